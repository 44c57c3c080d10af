//! Reading the access log: a firm its own (like the query records of a credit report), an institution
//! the queries it made, the government side all. Nothing changes it but the profile read path.

use super::access::Actor;
use super::Context;
use super::ServiceError;
use crate::domain::Uscc;
use crate::store::access_log::{self as store, AccessRow, Filter};
use serde::Serialize;

#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct AccessView {
    pub id: String,
    pub at: String,
    /// Role of the key, and its institution (none for firm and admin keys).
    pub role: String,
    pub institution_id: Option<String>,
    pub key_id: String,
    pub firm_uscc: String,
    pub purpose: Option<String>,
    pub consent_id: Option<String>,
    /// What was returned: `all`, or the consent's scope.
    pub scope: Option<String>,
    pub route: String,
    /// `ok`, `denied` or `not_found`.
    pub result: String,
    pub reason: Option<String>,
    pub request_id: Option<String>,
}

impl From<AccessRow> for AccessView {
    fn from(r: AccessRow) -> Self {
        AccessView {
            id: r.id,
            at: r
                .at
                .and_utc()
                .to_rfc3339_opts(chrono::SecondsFormat::Millis, true),
            role: r.role,
            institution_id: r.institution_id,
            key_id: r.key_id,
            firm_uscc: r.firm_uscc,
            purpose: r.purpose,
            consent_id: r.consent_id,
            scope: r.scope,
            route: r.route,
            result: r.result,
            reason: r.reason,
            request_id: r.request_id,
        }
    }
}

/// Which rows, newest first: up to `limit` before the row `before` (an id from an earlier page).
#[derive(Debug, Clone, Default)]
pub struct Window {
    pub before: Option<String>,
    pub limit: i64,
}

/// A page of rows, and whether more follow.
#[derive(Debug)]
pub struct Rows {
    pub items: Vec<AccessView>,
    pub more: bool,
}

async fn read(ctx: &Context, mut f: Filter, w: Window) -> Result<Rows, ServiceError> {
    f.before = w.before;
    let limit = w.limit;
    let rows = ctx
        .db
        .run_log(move |c| store::list(c, &f, limit + 1))
        .await?;
    let (rows, more) = super::split_page(rows, limit);
    Ok(Rows {
        items: rows.into_iter().map(AccessView::from).collect(),
        more,
    })
}

/// Who accessed this firm's profile: the firm itself and the government side.
#[tracing::instrument(skip(ctx, actor, w), fields(firm = %firm))]
pub async fn of_firm(
    ctx: &Context,
    actor: &Actor,
    firm: &Uscc,
    w: Window,
) -> Result<Rows, ServiceError> {
    if actor.is_institution() {
        return Err(ServiceError::Forbidden(
            "a firm's access log is for the firm and the government side; an institution reads its own queries at GET /v1/access-log".into(),
        ));
    }
    super::access::firm_access(actor, firm.as_str()).map_err(ServiceError::Forbidden)?;
    let f = Filter {
        firm: Some(firm.to_string()),
        ..Default::default()
    };
    read(ctx, f, w).await
}

/// The access log: the government side all of it (narrowed to one institution or firm when asked); a
/// bank or guarantee agency only its own queries (narrowed to one firm when asked); nobody else.
#[tracing::instrument(skip(ctx, actor, w))]
pub async fn log(
    ctx: &Context,
    actor: &Actor,
    institution: Option<&str>,
    firm: Option<&str>,
    w: Window,
) -> Result<Rows, ServiceError> {
    let institution = match actor {
        Actor::Bank { institution: own } | Actor::Agency { institution: own } => {
            Some(own.to_string())
        }
        Actor::Government { .. } | Actor::Admin => institution.map(str::to_string),
        Actor::Firm { .. } => {
            return Err(ServiceError::Forbidden(
                "a firm reads its own access log at GET /v1/firms/{uscc}/access-log".into(),
            ))
        }
    };
    let firm = firm
        .map(|u| super::uscc("firm_uscc", u).map_err(|v| ServiceError::Invalid(vec![v])))
        .transpose()?
        .map(|u| u.to_string());
    read(
        ctx,
        Filter {
            firm,
            institution,
            before: None,
        },
        w,
    )
    .await
}
