//! People's accounts (issue 16): the accounts, their links, sessions and audit, used by the pages
//! (`web`) and `credithub users`. A person belongs to a firm as its `owner` or a `member`. The government side creates a
//! firm's accounts; an owner invites members and resets their passwords. Every account starts
//! `pending` with a one-time activation link (valid 72 h) shown to whoever issued it — there is no
//! e-mail — and becomes `active` when its person sets a password through it. Passwords are hashed with
//! argon2id; sessions live in the database, so signing out or suspending an account bites at once and a
//! cache outage signs no one out. Every sign-in, failed sign-in, lockout and sign-out is in
//! `auth_events`.

use super::{access::Actor, Context, ServiceError, Violation};
use crate::domain::account::{
    self, AccountStatus, MemberRole, ADDRESS_FAILURES, ADDRESS_WINDOW_MINUTES, LINK_VALID_HOURS,
    SESSION_HOURS,
};
use crate::domain::Uscc;
/// Secrets are made and hashed as API keys are: 256 random bits, stored as their hex SHA-256.
pub use crate::store::keys::{hash_key as token_hash, random_secret as new_secret};
use crate::store::users::{self, AuthEventRow, LinkRow, SessionRow, UserRow};
use crate::store::{firms, DbConn, StoreError};
use argon2::password_hash::{PasswordHash, PasswordHasher, PasswordVerifier, SaltString};
use argon2::Argon2;
use chrono::{Duration, NaiveDateTime};
use rand::RngCore;

#[derive(Debug, thiserror::Error)]
pub enum AccountError {
    #[error("{} input(s) break a rule", .0.len())]
    Invalid(Vec<Violation>),
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error(transparent)]
    Store(StoreError),
}

impl From<StoreError> for AccountError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::Conflict(m) => AccountError::Conflict(m),
            other => AccountError::Store(other),
        }
    }
}

impl From<diesel::result::Error> for AccountError {
    fn from(e: diesel::result::Error) -> Self {
        StoreError::from(e).into()
    }
}

impl From<AccountError> for ServiceError {
    fn from(e: AccountError) -> Self {
        match e {
            AccountError::Invalid(v) => ServiceError::Invalid(v),
            AccountError::NotFound(m) => ServiceError::NotFound(m),
            AccountError::Forbidden(m) => ServiceError::Forbidden(m),
            AccountError::Conflict(m) => ServiceError::Conflict(m),
            AccountError::Store(s) => ServiceError::Store(s),
        }
    }
}

/// Why a sign-in did not happen. An unknown login and a wrong password read the same.
#[derive(Debug, thiserror::Error)]
pub enum SignInError {
    #[error("the login or the password is wrong (登录名或密码错误)")]
    Wrong,
    /// Too many failures in a row on this account.
    #[error(
        "this account is locked after too many failed sign-ins until {until} UTC (账户已锁定)"
    )]
    AccountLocked { until: NaiveDateTime },
    /// Too many failures from this address.
    #[error(
        "too many failed sign-ins from this address; try again after {until} UTC (尝试次数过多)"
    )]
    AddressLocked { until: NaiveDateTime },
    /// Not activated yet, or suspended.
    #[error("{0}")]
    NotActive(String),
    #[error(transparent)]
    Store(#[from] StoreError),
}

/// Who issues an account or a link: the government side (a key, or the command line as admin), or a
/// firm's owner (signed in).
#[derive(Debug, Clone, Copy)]
pub enum Issuer<'a> {
    Platform(&'a Actor),
    Owner(&'a Account),
}

impl Issuer<'_> {
    fn name(&self) -> String {
        match self {
            Issuer::Platform(a) => match a.institution() {
                Some(i) => format!("{}:{i}", a.role().as_str()),
                None => a.role().as_str().to_string(),
            },
            Issuer::Owner(a) => format!("user:{}", a.id),
        }
    }

    /// Whether this issuer may create or reset an account of `firm` with `role`.
    fn may_manage(&self, firm: &str, role: MemberRole) -> bool {
        match self {
            Issuer::Platform(a) => a.is_government_side(),
            Issuer::Owner(o) => o.firm().is_some_and(|(f, r)| {
                r == MemberRole::Owner && f.as_str() == firm && role == MemberRole::Member
            }),
        }
    }

    /// Whether this issuer may reset the stored account `row`: a firm's as [`Issuer::may_manage`] says,
    /// an institution's staff by the government side only.
    fn may_manage_row(&self, row: &UserRow) -> bool {
        match (row.party.as_str(), self) {
            ("firm", _) => MemberRole::parse(&row.role)
                .zip(row.firm_uscc.as_deref())
                .is_some_and(|(role, firm)| self.may_manage(firm, role)),
            (_, Issuer::Platform(a)) => a.is_government_side(),
            (_, Issuer::Owner(_)) => false,
        }
    }
}

/// Where a person works: in a firm as its owner or a member, or on the staff of a bank, a guarantee
/// agency or the government side, acting for that institution.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Membership {
    Firm { firm: Uscc, role: MemberRole },
    Staff { actor: Actor },
}

/// The role column of an institution's staff (they act for the institution; there are no grades of
/// staff yet).
pub const STAFF_ROLE: &str = "officer";

/// An account as the application layer sees it.
#[derive(Debug, Clone, PartialEq, serde::Serialize)]
pub struct Account {
    pub id: String,
    pub login: String,
    pub display_name: String,
    pub membership: Membership,
    pub status: AccountStatus,
    pub language: String,
}

impl Account {
    /// The actor this person acts as (a firm's owner and members act for their firm, staff for their
    /// institution).
    pub fn actor(&self) -> Actor {
        match &self.membership {
            Membership::Firm { firm, .. } => Actor::Firm { uscc: firm.clone() },
            Membership::Staff { actor } => actor.clone(),
        }
    }

    /// The firm and the role in it, for a firm's people.
    pub fn firm(&self) -> Option<(&Uscc, MemberRole)> {
        match &self.membership {
            Membership::Firm { firm, role } => Some((firm, *role)),
            Membership::Staff { .. } => None,
        }
    }

    fn of(row: &UserRow) -> Result<Account, StoreError> {
        let bad = |what: &str, v: &str| {
            StoreError::Config(format!("account {}: stored {what} '{v}'", row.id))
        };
        let membership = match row.party.as_str() {
            "firm" => Membership::Firm {
                firm: row
                    .firm_uscc
                    .as_deref()
                    .and_then(|u| Uscc::parse(u).ok())
                    .ok_or_else(|| bad("firm", row.firm_uscc.as_deref().unwrap_or("")))?,
                role: MemberRole::parse(&row.role).ok_or_else(|| bad("role", &row.role))?,
            },
            party => {
                let role = crate::domain::role::Role::parse(party)
                    .filter(|r| *r != crate::domain::role::Role::Firm)
                    .ok_or_else(|| bad("party", party))?;
                Membership::Staff {
                    actor: Actor::of_key(role, row.institution_id.as_deref(), None)
                        .map_err(|e| bad("institution", &e.to_string()))?,
                }
            }
        };
        Ok(Account {
            id: row.id.clone(),
            login: row.login.clone(),
            display_name: row.display_name.clone(),
            membership,
            status: AccountStatus::parse(&row.status).ok_or_else(|| bad("status", &row.status))?,
            language: row.language.clone(),
        })
    }
}

/// A new account and the link that activates it (shown once: only its hash is stored).
#[derive(Debug, Clone)]
pub struct Issued {
    pub account: Account,
    /// The secret of the link: `/activate/{token}`.
    pub token: String,
    pub expires_at: NaiveDateTime,
}

/// A signed-in session: the cookie's secret (shown once), the CSRF token its forms carry, until when.
#[derive(Debug, Clone)]
pub struct Session {
    pub token: String,
    pub csrf: String,
    pub account: Account,
    pub expires_at: NaiveDateTime,
}

/// A live session, found by its cookie.
#[derive(Debug, Clone)]
pub struct SignedIn {
    pub account: Account,
    pub csrf: String,
    pub expires_at: NaiveDateTime,
}

pub struct NewAccount<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub firm: &'a str,
    pub role: &'a str,
}

/// Two secrets compared in time that does not depend on where they differ.
pub fn same_secret(a: &str, b: &str) -> bool {
    let (a, b) = (a.as_bytes(), b.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn hash_password(password: &str) -> Result<String, StoreError> {
    let mut salt = [0u8; 16];
    rand::rng().fill_bytes(&mut salt);
    let salt = SaltString::encode_b64(&salt).map_err(|e| StoreError::Config(e.to_string()))?;
    Argon2::default()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|e| StoreError::Config(format!("argon2: {e}")))
}

/// Whether `password` is the one hashed in `phc`; `None` (no password yet) verifies against a fixed
/// hash so an unknown login takes as long as a wrong password.
fn verify_password(password: &str, phc: Option<&str>) -> bool {
    static DUMMY: std::sync::OnceLock<String> = std::sync::OnceLock::new();
    let dummy =
        DUMMY.get_or_init(|| hash_password("credithub-no-such-account").unwrap_or_default());
    let (stored, real) = match phc {
        Some(p) => (p, true),
        None => (dummy.as_str(), false),
    };
    let ok = PasswordHash::new(stored)
        .map(|h| {
            Argon2::default()
                .verify_password(password.as_bytes(), &h)
                .is_ok()
        })
        .unwrap_or(false);
    ok && real
}

fn event(
    at: NaiveDateTime,
    user: Option<&UserRow>,
    login: &str,
    what: &str,
    address: Option<&str>,
    detail: Option<String>,
) -> AuthEventRow {
    AuthEventRow {
        id: uuid::Uuid::now_v7().to_string(),
        at,
        user_id: user.map(|u| u.id.clone()),
        login: login.to_string(),
        event: what.to_string(),
        address: address.map(str::to_string),
        detail,
    }
}

fn invalid(field: &str, rule: &'static str, message: impl Into<String>) -> AccountError {
    AccountError::Invalid(vec![Violation::new(field, rule, message)])
}

fn link_row(user_id: &str, purpose: &str, issuer: &str, at: NaiveDateTime) -> (LinkRow, String) {
    let token = new_secret();
    let row = LinkRow {
        token_hash: token_hash(&token),
        user_id: user_id.to_string(),
        purpose: purpose.to_string(),
        issued_by: issuer.to_string(),
        created_at: at,
        expires_at: at + Duration::hours(LINK_VALID_HOURS),
        used_at: None,
    };
    (row, token)
}

/// A login and a display name as the form or the command line gave them: the login normalised, the
/// name trimmed, every fault said into `faults`.
fn login_and_name(
    login: &str,
    display_name: &str,
    faults: &mut Vec<Violation>,
) -> (Option<String>, String) {
    let login = account::normalise_login(login)
        .map_err(|m| faults.push(Violation::new("login", "login.format", m)))
        .ok();
    let name = display_name.trim().to_string();
    if name.is_empty() || name.chars().count() > 100 {
        faults.push(Violation::new(
            "display_name",
            "display_name.length",
            "a name of 1-100 characters",
        ));
    }
    (login, name)
}

/// A pending account row made by `by` at `at`.
fn pending_row(
    login: String,
    display_name: String,
    party: &str,
    at: NaiveDateTime,
    by: &str,
) -> UserRow {
    UserRow {
        id: uuid::Uuid::now_v7().to_string(),
        login,
        display_name,
        party: party.into(),
        firm_uscc: None,
        institution_id: None,
        role: STAFF_ROLE.into(),
        password_hash: None,
        status: AccountStatus::Pending.as_str().into(),
        language: "zh".into(),
        failed_sign_ins: 0,
        locked_until: None,
        created_by: by.to_string(),
        created_at: at,
        updated_at: at,
    }
}

/// Store a new account and its activation link in one transaction, after `check` (which may fill the
/// row's firm or institution from the database); a login already taken is said as such.
async fn insert_account<F>(
    ctx: &Context,
    row: UserRow,
    by: String,
    check: F,
) -> Result<Issued, AccountError>
where
    F: FnOnce(&mut DbConn, &mut UserRow) -> Result<(), AccountError> + Send + 'static,
{
    let (link, token) = link_row(&row.id, "activation", &by, row.created_at);
    let expires_at = link.expires_at;
    let row = ctx
        .db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| -> Result<UserRow, AccountError> {
                let mut user = row;
                check(c, &mut user)?;
                if users::by_login(c, &user.login)?.is_some() {
                    return Err(invalid(
                        "login",
                        "login.taken",
                        format!("the login '{}' is taken", user.login),
                    ));
                }
                users::insert_user(c, &user)?;
                store_link(c, &user, &link, &by)?;
                Ok(user)
            })
        })
        .await?;
    issued(&row, token, expires_at)
}

/// Create a firm's account and its activation link. The government side creates owners and members of
/// any registered firm; an owner creates members of their own.
#[tracing::instrument(skip(ctx, issuer, new), fields(login = %new.login, firm = %new.firm))]
pub async fn create(
    ctx: &Context,
    issuer: Issuer<'_>,
    new: NewAccount<'_>,
) -> Result<Issued, AccountError> {
    let mut faults = Vec::new();
    let (login, name) = login_and_name(new.login, new.display_name, &mut faults);
    let firm = Uscc::parse(new.firm)
        .map_err(|e| faults.push(Violation::new("firm", "uscc", e.to_string())))
        .ok();
    let role = MemberRole::parse(new.role)
        .ok_or_else(|| {
            faults.push(Violation::new(
                "role",
                "role.unknown",
                format!("'{}' is not a role in a firm: owner or member", new.role),
            ))
        })
        .ok();
    let (Some(login), Some(firm), Some(role), true) = (login, firm, role, faults.is_empty()) else {
        return Err(AccountError::Invalid(faults));
    };
    if !issuer.may_manage(firm.as_str(), role) {
        return Err(AccountError::Forbidden(match issuer {
            Issuer::Owner(_) => "an owner invites members of their own firm".into(),
            Issuer::Platform(_) => "the government side creates accounts".into(),
        }));
    }
    let by = issuer.name();
    let mut row = pending_row(login, name, "firm", ctx.clock.now(), &by);
    row.firm_uscc = Some(firm.to_string());
    row.role = role.as_str().into();
    insert_account(ctx, row, by, |c, user| {
        let uscc = user.firm_uscc.clone().unwrap_or_default();
        match firms::get(c, &uscc) {
            Err(StoreError::NotFound) => Err(AccountError::NotFound(format!(
                "no firm {uscc} is registered"
            ))),
            other => other.map(|_| ()).map_err(AccountError::from),
        }
    })
    .await
}

/// A staff account to create: the person and the institution they work for (its name or id). An
/// institution not known yet is created when its kind is given (`bank`, `guarantor`, `government`).
pub struct NewStaff<'a> {
    pub login: &'a str,
    pub display_name: &'a str,
    pub institution: &'a str,
    pub kind: Option<&'a str>,
}

/// Create the account of a bank's, an agency's or a government department's staff member, with its
/// activation link. The government side does this (issue 17: an institution's first account).
#[tracing::instrument(skip(ctx, by, new), fields(login = %new.login, institution = %new.institution))]
pub async fn create_staff(
    ctx: &Context,
    by: &Actor,
    new: NewStaff<'_>,
) -> Result<Issued, AccountError> {
    let mut faults = Vec::new();
    let (login, name) = login_and_name(new.login, new.display_name, &mut faults);
    let institution = new.institution.trim().to_string();
    if institution.is_empty() {
        faults.push(Violation::new(
            "institution",
            "required",
            "name the institution (its name or id)",
        ));
    }
    let kind = new.kind.map(str::trim).filter(|k| !k.is_empty());
    if let Some(k) = kind.filter(|k| !crate::store::institutions::KINDS.contains(k)) {
        faults.push(Violation::new(
            "kind",
            "institution.kind",
            format!("'{k}' is not an institution kind: bank, guarantor or government"),
        ));
    }
    let (Some(login), true) = (login, faults.is_empty()) else {
        return Err(AccountError::Invalid(faults));
    };
    if !by.is_government_side() {
        return Err(AccountError::Forbidden(
            "the government side creates accounts".into(),
        ));
    }
    let who = Issuer::Platform(by).name();
    let row = pending_row(login, name, "", ctx.clock.now(), &who);
    let kind = kind.map(str::to_string);
    insert_account(ctx, row, who, move |c, user| {
        use crate::store::institutions as inst;
        let found = match inst::find_by_name(c, &institution)? {
            Some(i) => Some(i),
            None => match inst::get(c, &institution) {
                Ok(i) => Some(i),
                Err(StoreError::NotFound) => None,
                Err(e) => return Err(e.into()),
            },
        };
        let i = match (found, kind.as_deref()) {
            (Some(i), Some(k)) if i.kind != k => {
                return Err(invalid(
                    "kind",
                    "institution.kind_mismatch",
                    format!("'{}' is a {}, not a {k}", i.name, i.kind),
                ))
            }
            (Some(i), _) => i,
            (None, Some(k)) => inst::ensure(c, &institution, k)?,
            (None, None) => {
                return Err(invalid(
                    "institution",
                    "institution.unknown",
                    format!("no institution '{institution}'; give its kind to create it"),
                ))
            }
        };
        user.party = crate::domain::role::Role::ALL
            .into_iter()
            .find(|r| r.institution_kind() == Some(i.kind.as_str()))
            .map(|r| r.as_str().to_string())
            .ok_or_else(|| StoreError::Config(format!("institution kind '{}'", i.kind)))?;
        user.institution_id = Some(i.id);
        Ok(())
    })
    .await
}

/// Store a link issued for `user`, with its audit row.
fn store_link(
    c: &mut DbConn,
    user: &UserRow,
    link: &LinkRow,
    by: &str,
) -> Result<(), AccountError> {
    users::insert_link(c, link)?;
    let detail = Some(format!("{} link issued by {by}", link.purpose));
    let row = event(
        link.created_at,
        Some(user),
        &user.login,
        "link_issued",
        None,
        detail,
    );
    Ok(users::insert_event(c, &row)?)
}

fn issued(row: &UserRow, token: String, expires_at: NaiveDateTime) -> Result<Issued, AccountError> {
    Ok(Issued {
        account: Account::of(row)?,
        token,
        expires_at,
    })
}

/// Someone to give an account: a firm's person or an institution's staff member.
pub enum Newcomer<'a> {
    Firm(NewAccount<'a>),
    Staff(NewStaff<'a>),
}

/// The account of `new` with this password, made by the government side: created if absent, its
/// password reset if present (the demo's printed accounts, so a second demo run prints working passwords
/// again).
pub async fn provision_with_password(
    ctx: &Context,
    by: &Actor,
    new: Newcomer<'_>,
    password: &str,
) -> Result<Account, AccountError> {
    let login = match &new {
        Newcomer::Firm(n) => n.login,
        Newcomer::Staff(n) => n.login,
    };
    let made = match new {
        Newcomer::Firm(n) => create(ctx, Issuer::Platform(by), n).await,
        Newcomer::Staff(n) => create_staff(ctx, by, n).await,
    };
    let issued = match made {
        Ok(i) => i,
        Err(AccountError::Invalid(v)) if v.iter().any(|v| v.rule == "login.taken") => {
            issue_reset(ctx, Issuer::Platform(by), login).await?
        }
        Err(e) => return Err(e),
    };
    set_password(ctx, &issued.token, password).await
}

/// A new one-time link for an account (a lost password, or an activation link that expired); every
/// earlier unused link stops working. The government side resets anyone; an owner their members.
#[tracing::instrument(skip(ctx, issuer))]
pub async fn issue_reset(
    ctx: &Context,
    issuer: Issuer<'_>,
    login: &str,
) -> Result<Issued, AccountError> {
    let login = account::normalise_login(login).map_err(|m| invalid("login", "login.format", m))?;
    let at = ctx.clock.now();
    let by = issuer.name();
    let l = login.clone();
    let found = ctx.db.run(move |c| users::by_login(c, &l)).await?;
    // An account the issuer does not manage reads as absent.
    let row = found
        .filter(|row| issuer.may_manage_row(row))
        .ok_or_else(|| AccountError::NotFound(format!("no account '{login}' you manage")))?;
    let purpose = if row.password_hash.is_some() {
        "reset"
    } else {
        "activation"
    };
    let (link, token) = link_row(&row.id, purpose, &by, at);
    let expires_at = link.expires_at;
    let user = row.clone();
    ctx.db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| -> Result<(), AccountError> {
                users::void_links(c, &user.id, at)?;
                store_link(c, &user, &link, &by)
            })
        })
        .await?;
    issued(&row, token, expires_at)
}

/// The account a link is for, if the link can still be used (to show its form).
pub async fn link_account(ctx: &Context, token: &str) -> Result<Account, AccountError> {
    let (h, at) = (token_hash(token), ctx.clock.now());
    let found = ctx.db.run(move |c| link_with_user(c, &h)).await?;
    let (_, user) = usable(found, at)?;
    Ok(Account::of(&user)?)
}

/// A stored link and the account it is for.
fn link_with_user(c: &mut DbConn, h: &str) -> Result<Option<(LinkRow, UserRow)>, StoreError> {
    let Some(link) = users::link(c, h)? else {
        return Ok(None);
    };
    let user = users::get(c, &link.user_id)?;
    Ok(Some((link, user)))
}

fn usable(
    found: Option<(LinkRow, UserRow)>,
    at: NaiveDateTime,
) -> Result<(LinkRow, UserRow), AccountError> {
    let Some((link, user)) = found else {
        return Err(invalid(
            "token",
            "link.unknown",
            "this link is not valid (链接无效)",
        ));
    };
    if link.used_at.is_some() {
        return Err(invalid(
            "token",
            "link.used",
            "this link has been used; ask for a new one (链接已使用)",
        ));
    }
    if link.expires_at <= at {
        return Err(invalid(
            "token",
            "link.expired",
            format!(
                "this link expired at {} UTC; ask for a new one (链接已过期)",
                link.expires_at
            ),
        ));
    }
    if user.status == AccountStatus::Suspended.as_str() {
        return Err(AccountError::Forbidden("this account is suspended".into()));
    }
    Ok((link, user))
}

/// Set the password through an activation or reset link: the account becomes active, its lock is
/// lifted, and (a reset) every session it had is ended.
#[tracing::instrument(skip_all)]
pub async fn set_password(
    ctx: &Context,
    token: &str,
    password: &str,
) -> Result<Account, AccountError> {
    let account = link_account(ctx, token).await?;
    let faults: Vec<Violation> = account::password_faults(password, &account.login)
        .into_iter()
        .map(|(rule, m)| Violation::new("password", rule, m))
        .collect();
    if !faults.is_empty() {
        return Err(AccountError::Invalid(faults));
    }
    let pw = password.to_string();
    let hash = tokio::task::spawn_blocking(move || hash_password(&pw))
        .await
        .map_err(StoreError::from)??;
    let (h, at) = (token_hash(token), ctx.clock.now());
    let row = ctx
        .db
        .run_as(move |c: &mut DbConn| {
            crate::store::backend::write_transaction(c, |c| -> Result<UserRow, AccountError> {
                let (link, mut user) = usable(link_with_user(c, &h)?, at)?;
                if !users::use_link(c, &h, at)? {
                    return Err(invalid("token", "link.used", "this link has been used"));
                }
                user.password_hash = Some(hash);
                user.status = AccountStatus::Active.as_str().into();
                user.failed_sign_ins = 0;
                user.locked_until = None;
                user.updated_at = at;
                users::update_user(c, &user)?;
                let ended = users::end_sessions_of(c, &user.id, at)?;
                let what = if link.purpose == "reset" {
                    format!("password reset; {ended} session(s) ended")
                } else {
                    "activated".to_string()
                };
                users::insert_event(
                    c,
                    &event(at, Some(&user), &user.login, "activated", None, Some(what)),
                )?;
                Ok(user)
            })
        })
        .await?;
    Ok(Account::of(&row)?)
}

/// Sign in: refused while the address or the account is locked; a wrong password counts towards both
/// locks; a right one starts a session in the database.
#[tracing::instrument(skip(ctx, password))]
pub async fn sign_in(
    ctx: &Context,
    login: &str,
    password: &str,
    address: Option<&str>,
) -> Result<Session, SignInError> {
    let at = ctx.clock.now();
    let login = account::normalise_login(login).unwrap_or_else(|_| login.trim().to_lowercase());
    let addr = address.map(str::to_string);
    let (l, a) = (login.clone(), addr.clone());
    let (user, failures) = ctx
        .db
        .run(move |c| {
            let failures = match &a {
                Some(a) => {
                    users::failures_from(c, a, at - Duration::minutes(ADDRESS_WINDOW_MINUTES))?
                }
                None => Vec::new(),
            };
            Ok((users::by_login(c, &l)?, failures))
        })
        .await?;
    let account_lock = user
        .as_ref()
        .and_then(|u| u.locked_until)
        .filter(|u| *u > at);
    let lock = if failures.len() as i64 >= ADDRESS_FAILURES {
        let oldest = failures[failures.len() - ADDRESS_FAILURES as usize];
        let until = oldest + Duration::minutes(ADDRESS_WINDOW_MINUTES);
        Some((SignInError::AddressLocked { until }, "address"))
    } else {
        account_lock.map(|until| (SignInError::AccountLocked { until }, "account"))
    };
    if let Some((refused, which)) = lock {
        let detail = Some(which.to_string());
        let row = event(at, user.as_ref(), &login, "sign_in_locked", address, detail);
        ctx.db.run(move |c| users::insert_event(c, &row)).await?;
        return Err(refused);
    }
    let (pw, phc) = (
        password.to_string(),
        user.as_ref().and_then(|u| u.password_hash.clone()),
    );
    let ok = tokio::task::spawn_blocking(move || verify_password(&pw, phc.as_deref()))
        .await
        .map_err(StoreError::from)?;
    // `ok` only for an account with a password, and the right one.
    let mut user = match user {
        Some(u) if ok => u,
        other => return Err(failed(ctx, at, other, &login, address).await?),
    };
    if user.status != AccountStatus::Active.as_str() {
        let row = event(
            at,
            Some(&user),
            &login,
            "sign_in_failed",
            address,
            Some(user.status.clone()),
        );
        ctx.db.run(move |c| users::insert_event(c, &row)).await?;
        return Err(SignInError::NotActive(format!(
            "this account is {} (账户不可用)",
            user.status
        )));
    }
    let (token, csrf) = (new_secret(), new_secret());
    let session = SessionRow {
        id_hash: token_hash(&token),
        user_id: user.id.clone(),
        csrf_token: csrf.clone(),
        address: addr,
        created_at: at,
        expires_at: at + Duration::hours(SESSION_HOURS),
        ended_at: None,
    };
    user.failed_sign_ins = 0;
    user.locked_until = None;
    user.updated_at = at;
    let (u, s) = (user.clone(), session.clone());
    let signed = event(at, Some(&user), &login, "signed_in", address, None);
    ctx.db
        .run(move |c| {
            crate::store::backend::write_transaction(c, |c| -> Result<(), StoreError> {
                users::update_user(c, &u)?;
                users::insert_session(c, &s)?;
                users::insert_event(c, &signed)
            })
        })
        .await?;
    Ok(Session {
        token,
        csrf,
        account: Account::of(&user)?,
        expires_at: session.expires_at,
    })
}

/// Count a failure against the account (locking it at the limit) and the address.
async fn failed(
    ctx: &Context,
    at: NaiveDateTime,
    user: Option<UserRow>,
    login: &str,
    address: Option<&str>,
) -> Result<SignInError, StoreError> {
    let mut row = event(at, user.as_ref(), login, "sign_in_failed", address, None);
    let locked = user.map(|mut u| {
        let (n, until) = account::after_failure(u.failed_sign_ins, at);
        u.failed_sign_ins = n;
        u.locked_until = until.or(u.locked_until);
        u.updated_at = at;
        (u, until)
    });
    if let Some((_, Some(until))) = &locked {
        row.detail = Some(format!("account locked until {until}"));
    }
    let until = locked.as_ref().and_then(|(_, u)| *u);
    ctx.db
        .run(move |c| {
            crate::store::backend::write_transaction(c, |c| -> Result<(), StoreError> {
                if let Some((u, _)) = &locked {
                    users::update_user(c, u)?;
                }
                users::insert_event(c, &row)
            })
        })
        .await?;
    Ok(match until {
        Some(until) => SignInError::AccountLocked { until },
        None => SignInError::Wrong,
    })
}

/// The live session a cookie names, with its account (still active: a suspended account's sessions
/// are ended, and one found active-less is refused).
pub async fn session(ctx: &Context, token: &str) -> Result<Option<SignedIn>, StoreError> {
    let (h, at) = (token_hash(token), ctx.clock.now());
    let found = ctx.db.run(move |c| users::live_session(c, &h, at)).await?;
    let Some((s, u)) = found.filter(|(_, u)| u.status == AccountStatus::Active.as_str()) else {
        return Ok(None);
    };
    Ok(Some(SignedIn {
        account: Account::of(&u)?,
        csrf: s.csrf_token,
        expires_at: s.expires_at,
    }))
}

/// End the session a cookie names (nothing when it already ended).
pub async fn sign_out(ctx: &Context, token: &str, address: Option<&str>) -> Result<(), StoreError> {
    let (h, at) = (token_hash(token), ctx.clock.now());
    let addr = address.map(str::to_string);
    ctx.db
        .run(move |c| {
            let Some((_, user)) = users::live_session(c, &h, at)? else {
                return Ok(());
            };
            crate::store::backend::write_transaction(c, |c| -> Result<(), StoreError> {
                if users::end_session(c, &h, at)? {
                    let row = event(
                        at,
                        Some(&user),
                        &user.login,
                        "signed_out",
                        addr.as_deref(),
                        None,
                    );
                    users::insert_event(c, &row)?;
                }
                Ok(())
            })
        })
        .await
}

/// The page language a person chose (`zh` or `en`), kept on the account so that it follows them to any
/// browser they sign in from.
pub async fn set_language(
    ctx: &Context,
    account: &Account,
    language: &str,
) -> Result<(), AccountError> {
    if !matches!(language, "zh" | "en") {
        return Err(invalid("language", "language.unknown", "use zh or en"));
    }
    let (login, lang, at) = (account.login.clone(), language.to_string(), ctx.clock.now());
    ctx.db
        .run_as(move |c| {
            let Some(mut u) = users::by_login(c, &login)? else {
                return Err(AccountError::NotFound(format!("no account '{login}'")));
            };
            if u.language != lang {
                u.language = lang;
                u.updated_at = at;
                users::update_user(c, &u)?;
            }
            Ok(())
        })
        .await
}

/// Suspend an account (the government side): every session and link of it ends now.
#[tracing::instrument(skip(ctx, by))]
pub async fn suspend(ctx: &Context, by: &Actor, login: &str) -> Result<Account, AccountError> {
    if !by.is_government_side() {
        return Err(AccountError::Forbidden(
            "the government side suspends accounts".into(),
        ));
    }
    let login = account::normalise_login(login).map_err(|m| invalid("login", "login.format", m))?;
    let at = ctx.clock.now();
    let who = Issuer::Platform(by).name();
    let row = ctx
        .db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| -> Result<UserRow, AccountError> {
                let mut u = users::by_login(c, &login)?
                    .ok_or_else(|| AccountError::NotFound(format!("no account '{login}'")))?;
                u.status = AccountStatus::Suspended.as_str().into();
                u.updated_at = at;
                users::update_user(c, &u)?;
                let ended = users::end_sessions_of(c, &u.id, at)?;
                users::void_links(c, &u.id, at)?;
                let detail = Some(format!("by {who}; {ended} session(s) ended"));
                users::insert_event(c, &event(at, Some(&u), &u.login, "suspended", None, detail))?;
                Ok(u)
            })
        })
        .await?;
    Ok(Account::of(&row)?)
}

/// A firm's accounts, for its owner or the government side.
pub async fn of_firm(ctx: &Context, by: &Actor, firm: &Uscc) -> Result<Vec<Account>, AccountError> {
    if !super::access::may_act_for_firm(by, firm.as_str()) {
        return Err(AccountError::NotFound(format!("no firm {firm}")));
    }
    let u = firm.to_string();
    let rows = ctx.db.run(move |c| users::of_firm(c, &u)).await?;
    rows.iter()
        .map(|r| Account::of(r).map_err(AccountError::from))
        .collect()
}

/// An account's sign-in trail, newest first.
pub async fn events(
    ctx: &Context,
    account: &Account,
    limit: i64,
) -> Result<Vec<AuthEventRow>, StoreError> {
    let id = account.id.clone();
    ctx.db.run(move |c| users::events_of(c, &id, limit)).await
}
