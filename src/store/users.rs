//! People's accounts, their one-time links, sessions and the sign-in audit (issue 16). Secrets are
//! stored as SHA-256 hashes of 256-bit random tokens (passwords as argon2id PHC strings, made by the
//! service).

use super::schema::{auth_events, sessions, user_links, users};
use super::{DbConn, Result};
use chrono::NaiveDateTime;
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = users)]
pub struct UserRow {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub party: String,
    pub firm_uscc: Option<String>,
    pub institution_id: Option<String>,
    pub role: String,
    pub password_hash: Option<String>,
    pub status: String,
    pub language: String,
    pub failed_sign_ins: i32,
    pub locked_until: Option<NaiveDateTime>,
    pub created_by: String,
    pub created_at: NaiveDateTime,
    pub updated_at: NaiveDateTime,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = user_links)]
pub struct LinkRow {
    pub token_hash: String,
    pub user_id: String,
    pub purpose: String,
    pub issued_by: String,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub used_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = sessions)]
pub struct SessionRow {
    pub id_hash: String,
    pub user_id: String,
    pub csrf_token: String,
    pub address: Option<String>,
    pub created_at: NaiveDateTime,
    pub expires_at: NaiveDateTime,
    pub ended_at: Option<NaiveDateTime>,
}

#[derive(Debug, Clone, PartialEq, Queryable, Selectable, Insertable)]
#[diesel(table_name = auth_events)]
pub struct AuthEventRow {
    pub id: String,
    pub at: NaiveDateTime,
    pub user_id: Option<String>,
    pub login: String,
    pub event: String,
    pub address: Option<String>,
    pub detail: Option<String>,
}

/// A login already taken is a conflict.
pub fn insert_user(conn: &mut DbConn, row: &UserRow) -> Result<()> {
    diesel::insert_into(users::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn by_login(conn: &mut DbConn, login: &str) -> Result<Option<UserRow>> {
    Ok(users::table
        .filter(users::login.eq(login))
        .select(UserRow::as_select())
        .first(conn)
        .optional()?)
}

pub fn get(conn: &mut DbConn, id: &str) -> Result<UserRow> {
    Ok(users::table
        .find(id)
        .select(UserRow::as_select())
        .first(conn)?)
}

/// The accounts of a firm, oldest first.
pub fn of_firm(conn: &mut DbConn, uscc: &str) -> Result<Vec<UserRow>> {
    Ok(users::table
        .filter(users::firm_uscc.eq(uscc))
        .order((users::created_at.asc(), users::id.asc()))
        .select(UserRow::as_select())
        .load(conn)?)
}

/// Write back an account's mutable fields.
pub fn update_user(conn: &mut DbConn, row: &UserRow) -> Result<()> {
    diesel::update(users::table.find(&row.id))
        .set((
            users::display_name.eq(&row.display_name),
            users::password_hash.eq(&row.password_hash),
            users::status.eq(&row.status),
            users::language.eq(&row.language),
            users::failed_sign_ins.eq(row.failed_sign_ins),
            users::locked_until.eq(row.locked_until),
            users::updated_at.eq(row.updated_at),
        ))
        .execute(conn)?;
    Ok(())
}

pub fn insert_link(conn: &mut DbConn, row: &LinkRow) -> Result<()> {
    diesel::insert_into(user_links::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

pub fn link(conn: &mut DbConn, token_hash: &str) -> Result<Option<LinkRow>> {
    Ok(user_links::table
        .find(token_hash)
        .select(LinkRow::as_select())
        .first(conn)
        .optional()?)
}

/// Mark a link used; `false` when it already was (two tabs racing: only one wins).
pub fn use_link(conn: &mut DbConn, token_hash: &str, at: NaiveDateTime) -> Result<bool> {
    let n = diesel::update(
        user_links::table
            .find(token_hash)
            .filter(user_links::used_at.is_null()),
    )
    .set(user_links::used_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// Every unused link of an account stops working (a new one was issued, or the account was suspended).
pub fn void_links(conn: &mut DbConn, user_id: &str, at: NaiveDateTime) -> Result<usize> {
    Ok(diesel::update(
        user_links::table
            .filter(user_links::user_id.eq(user_id))
            .filter(user_links::used_at.is_null()),
    )
    .set(user_links::used_at.eq(Some(at)))
    .execute(conn)?)
}

pub fn insert_session(conn: &mut DbConn, row: &SessionRow) -> Result<()> {
    diesel::insert_into(sessions::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// A session that has not ended or expired at `at`, with its account.
pub fn live_session(
    conn: &mut DbConn,
    id_hash: &str,
    at: NaiveDateTime,
) -> Result<Option<(SessionRow, UserRow)>> {
    Ok(sessions::table
        .inner_join(users::table.on(users::id.eq(sessions::user_id)))
        .filter(sessions::id_hash.eq(id_hash))
        .filter(sessions::ended_at.is_null())
        .filter(sessions::expires_at.gt(at))
        .select((SessionRow::as_select(), UserRow::as_select()))
        .first(conn)
        .optional()?)
}

/// End one session; `false` when it had already ended.
pub fn end_session(conn: &mut DbConn, id_hash: &str, at: NaiveDateTime) -> Result<bool> {
    let n = diesel::update(
        sessions::table
            .find(id_hash)
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(at)))
    .execute(conn)?;
    Ok(n == 1)
}

/// End every session of an account; how many were live.
pub fn end_sessions_of(conn: &mut DbConn, user_id: &str, at: NaiveDateTime) -> Result<usize> {
    Ok(diesel::update(
        sessions::table
            .filter(sessions::user_id.eq(user_id))
            .filter(sessions::ended_at.is_null()),
    )
    .set(sessions::ended_at.eq(Some(at)))
    .execute(conn)?)
}

pub fn insert_event(conn: &mut DbConn, row: &AuthEventRow) -> Result<()> {
    diesel::insert_into(auth_events::table)
        .values(row)
        .execute(conn)?;
    Ok(())
}

/// Failed sign-ins from `address` since `since`, oldest first (their times).
pub fn failures_from(
    conn: &mut DbConn,
    address: &str,
    since: NaiveDateTime,
) -> Result<Vec<NaiveDateTime>> {
    Ok(auth_events::table
        .filter(auth_events::address.eq(address))
        .filter(auth_events::event.eq("sign_in_failed"))
        .filter(auth_events::at.ge(since))
        .order(auth_events::at.asc())
        .select(auth_events::at)
        .load(conn)?)
}

/// An account's audit trail, newest first.
pub fn events_of(conn: &mut DbConn, user_id: &str, limit: i64) -> Result<Vec<AuthEventRow>> {
    Ok(auth_events::table
        .filter(auth_events::user_id.eq(user_id))
        .order((auth_events::at.desc(), auth_events::id.desc()))
        .limit(limit)
        .select(AuthEventRow::as_select())
        .load(conn)?)
}
