//! The inbox: notifications per recipient (a firm's USCC), each written once (the unique key), read
//! newest first and marked read; and how far the access log has been turned into notifications.

use super::schema::{access_log, consents, notification_marks, notifications};
use super::{DbConn, Result};
use diesel::prelude::*;

#[derive(Debug, Clone, PartialEq, Queryable, Insertable, Selectable)]
#[diesel(table_name = notifications)]
pub struct NotificationRow {
    /// UUIDv7: time-ordered.
    pub id: String,
    pub recipient: String,
    pub kind: String,
    pub subject: String,
    pub detail: String,
    pub created_at: chrono::NaiveDateTime,
    pub read_at: Option<chrono::NaiveDateTime>,
}

/// Add notifications, skipping any already written; how many were new.
pub fn add(conn: &mut DbConn, rows: &[NotificationRow]) -> Result<usize> {
    if rows.is_empty() {
        return Ok(0);
    }
    Ok(crate::insert_ignoring_conflicts!(
        conn,
        notifications::table,
        rows
    )?)
}

/// A recipient's notifications, newest first, before the row `before`: up to `limit`.
pub fn list(
    conn: &mut DbConn,
    recipient: &str,
    before: Option<&str>,
    limit: i64,
) -> Result<Vec<NotificationRow>> {
    let mut q = notifications::table
        .filter(notifications::recipient.eq(recipient.to_string()))
        .order(notifications::id.desc())
        .limit(limit)
        .into_boxed();
    if let Some(b) = before {
        q = q.filter(notifications::id.lt(b.to_string()));
    }
    Ok(q.load(conn)?)
}

pub fn unread(conn: &mut DbConn, recipient: &str) -> Result<i64> {
    Ok(notifications::table
        .filter(notifications::recipient.eq(recipient.to_string()))
        .filter(notifications::read_at.is_null())
        .count()
        .get_result(conn)?)
}

/// Mark read: these (`ids`) or all of the recipient's.
pub fn mark_read(
    conn: &mut DbConn,
    recipient: &str,
    ids: Option<&[String]>,
    at: chrono::NaiveDateTime,
) -> Result<usize> {
    let mine = notifications::table
        .filter(notifications::recipient.eq(recipient.to_string()))
        .filter(notifications::read_at.is_null());
    Ok(match ids {
        Some(i) => diesel::update(mine.filter(notifications::id.eq_any(i.to_vec())))
            .set(notifications::read_at.eq(at))
            .execute(conn)?,
        None => diesel::update(mine)
            .set(notifications::read_at.eq(at))
            .execute(conn)?,
    })
}

/// How far the recipient's access log has been read into notifications.
pub fn access_mark(conn: &mut DbConn, recipient: &str) -> Result<Option<String>> {
    Ok(notification_marks::table
        .find(recipient.to_string())
        .select(notification_marks::access_seen_id)
        .first(conn)
        .optional()?)
}

pub fn set_access_mark(conn: &mut DbConn, recipient: &str, id: &str) -> Result<()> {
    let updated = diesel::update(notification_marks::table.find(recipient.to_string()))
        .set(notification_marks::access_seen_id.eq(id))
        .execute(conn)?;
    if updated == 0 {
        diesel::insert_into(notification_marks::table)
            .values((
                notification_marks::recipient.eq(recipient),
                notification_marks::access_seen_id.eq(id),
            ))
            .execute(conn)?;
    }
    Ok(())
}

/// An institution's query of the firm, after the row `after` (oldest first; on the access log's
/// connection): (id, at, institution, purpose, result).
pub type Query = (
    String,
    chrono::NaiveDateTime,
    Option<String>,
    Option<String>,
    String,
);

pub fn queries_after(
    conn: &mut DbConn,
    firm: &str,
    after: Option<&str>,
    limit: i64,
) -> Result<Vec<Query>> {
    let mut q = access_log::table
        .filter(access_log::firm_uscc.eq(firm.to_string()))
        .filter(access_log::role.eq_any(["bank", "guarantor"]))
        .order(access_log::id.asc())
        .select((
            access_log::id,
            access_log::at,
            access_log::institution_id,
            access_log::purpose,
            access_log::result,
        ))
        .limit(limit)
        .into_boxed();
    if let Some(a) = after {
        q = q.filter(access_log::id.gt(a.to_string()));
    }
    Ok(q.load(conn)?)
}

/// The firm's live consents that end between `now` and `until`: (id, institution, expires at).
pub fn consents_ending(
    conn: &mut DbConn,
    firm: &str,
    now: chrono::NaiveDateTime,
    until: chrono::NaiveDateTime,
) -> Result<Vec<(String, String, chrono::NaiveDateTime)>> {
    Ok(consents::table
        .filter(consents::firm_uscc.eq(firm.to_string()))
        .filter(consents::revoked_at.is_null())
        .filter(consents::refused_at.is_null())
        .filter(consents::confirmed_at.is_not_null())
        .filter(consents::expires_at.gt(now))
        .filter(consents::expires_at.le(until))
        .select((consents::id, consents::institution_id, consents::expires_at))
        .load(conn)?)
}
