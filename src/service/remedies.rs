//! The firm's remedies (Art 58, issue 21): a firm applies for credit repair of a public-credit record
//! when the rules allow (DOMAIN §13), or disputes any signal; the department whose remit owns the
//! record accepts, verifies and decides within the working-day deadlines. A repair or an upheld dispute
//! corrects the signal through the normal ingestion path (a superseding row, history kept) in the same
//! transaction as the decision; the profile is recomputed at once, and the banks reading it under a
//! live consent are told (post-loan monitoring consents also get an event they read through the API).

use super::access::{firm_access, Actor};
use super::notifications::{self, Kind};
use super::{Context, ServiceError, Violation};
use crate::domain::month::Month;
use crate::domain::public_credit::{self, RecordFacts, Rules, Severity};
use crate::domain::signals::{self as sig, RawRow, Source};
use crate::domain::states::{RemedyAction, RemedyKind, RemedyStatus, TransitionError};
use crate::domain::workdays::Calendar;
use crate::domain::Uscc;
use crate::ingest::format::Line;
use crate::ingest::Origin;
use crate::store::remedies::{
    self as store, FileMeta, MonitoringEventRow, NewFile, RemedyRow, StepRow,
};
use crate::store::signals::SignalRow;
use crate::store::{DbConn, StoreError};
use chrono::{Days, NaiveDate, NaiveDateTime};
use serde::Serialize;
use sha2::{Digest, Sha256};

/// The largest evidence file.
pub const MAX_FILE_BYTES: usize = 5 << 20;
/// Evidence files on one request at most.
pub const MAX_FILES: usize = 10;
/// The longest statement.
const MAX_STATEMENT: usize = 4000;

#[derive(Debug, thiserror::Error)]
pub enum RemedyError {
    #[error("the request breaks {} rule(s)", .0.len())]
    Invalid(Vec<Violation>),
    /// Absent, or not visible to this actor (the same answer).
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    Forbidden(String),
    #[error("{0}")]
    Conflict(String),
    #[error("remedy {id}: {error}")]
    Transition { id: String, error: TransitionError },
    #[error(transparent)]
    Store(#[from] StoreError),
}

impl From<diesel::result::Error> for RemedyError {
    fn from(e: diesel::result::Error) -> Self {
        RemedyError::Store(e.into())
    }
}

impl From<RemedyError> for ServiceError {
    fn from(e: RemedyError) -> Self {
        match e {
            RemedyError::Invalid(v) => ServiceError::Invalid(v),
            RemedyError::NotFound(m) => ServiceError::NotFound(m),
            RemedyError::Forbidden(m) => ServiceError::Forbidden(m),
            RemedyError::Conflict(_) | RemedyError::Transition { .. } => {
                ServiceError::Conflict(e.to_string())
            }
            RemedyError::Store(s) => ServiceError::Store(s),
        }
    }
}

impl From<super::signals::SignalError> for RemedyError {
    fn from(e: super::signals::SignalError) -> Self {
        match e {
            super::signals::SignalError::Store(s) => RemedyError::Store(s),
            super::signals::SignalError::Unreadable(m) => {
                RemedyError::Invalid(vec![Violation::new("correction", "correction.row", m)])
            }
        }
    }
}

fn invalid(field: &str, rule: &'static str, message: impl Into<String>) -> RemedyError {
    RemedyError::Invalid(vec![Violation::new(field, rule, message)])
}

/// An evidence file as sent: its name and bytes.
#[derive(Debug, Clone)]
pub struct Evidence {
    pub filename: String,
    pub bytes: Vec<u8>,
}

/// The media type of a file by its first bytes: PDF, JPEG or PNG, nothing else.
pub fn sniff(bytes: &[u8]) -> Option<&'static str> {
    if bytes.starts_with(b"%PDF-") {
        Some("application/pdf")
    } else if bytes.starts_with(&[0xFF, 0xD8, 0xFF]) {
        Some("image/jpeg")
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0D, 0x0A, 0x1A, 0x0A]) {
        Some("image/png")
    } else {
        None
    }
}

/// A file checked: its type by content, its size, its SHA-256; or the rule it breaks.
fn check_file(
    field: &str,
    e: &Evidence,
    request: &str,
    at: NaiveDateTime,
) -> Result<NewFile, Violation> {
    if e.bytes.is_empty() {
        return Err(Violation::new(field, "file.empty", "the file is empty"));
    }
    if e.bytes.len() > MAX_FILE_BYTES {
        return Err(Violation::new(
            field,
            "file.too_large",
            format!(
                "the file has {} bytes; at most {} MiB are taken",
                e.bytes.len(),
                MAX_FILE_BYTES >> 20
            ),
        ));
    }
    let Some(content_type) = sniff(&e.bytes) else {
        return Err(Violation::new(
            field,
            "file.type",
            "only PDF, JPEG and PNG files are taken (told by their content)",
        ));
    };
    let name: String = e
        .filename
        .chars()
        .filter(|c| !c.is_control() && !matches!(c, '/' | '\\' | '"'))
        .take(200)
        .collect();
    Ok(NewFile {
        id: uuid::Uuid::now_v7().to_string(),
        request_id: request.to_string(),
        filename: if name.trim().is_empty() {
            "evidence".into()
        } else {
            name
        },
        content_type: content_type.into(),
        sha256: hex::encode(Sha256::digest(&e.bytes)),
        size_bytes: e.bytes.len() as i64,
        bytes: e.bytes.clone(),
        uploaded_at: at,
    })
}

/// A firm's application for credit repair of one of its public-credit records.
#[derive(Debug, Clone, Default)]
pub struct NewRepair {
    /// The record's id at its source.
    pub record_id: String,
    /// The statement of correction and the public credit commitment (信用承诺书).
    pub statement: String,
    /// References proving the obligations fulfilled (payment slips, decision numbers).
    pub references: Vec<String>,
    pub files: Vec<Evidence>,
}

/// A firm's dispute of a signal or record.
#[derive(Debug, Clone, Default)]
pub struct NewDispute {
    /// The signal kind (`utility_days_late`, `administrative_penalty`, …).
    pub kind: String,
    /// `YYYY-MM` or `YYYY` (periodic kinds); for records, the record id is enough.
    pub period: Option<String>,
    pub record_id: Option<String>,
    /// What is wrong.
    pub statement: String,
    /// What the firm says the value is, if it says.
    pub claimed_value: Option<String>,
    pub references: Vec<String>,
    pub files: Vec<Evidence>,
}

/// The department's decision on a repair.
#[derive(Debug, Clone)]
pub enum RepairDecision {
    Repaired { on: NaiveDate },
    Refused { reason: String },
}

/// The corrected fields of an upheld dispute: a periodic signal's value, a record's end of publication
/// or severity.
#[derive(Debug, Clone, Default, serde::Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Correction {
    pub value: Option<String>,
    pub end_date: Option<String>,
    pub severity: Option<String>,
}

/// The department's decision on a dispute.
#[derive(Debug, Clone)]
pub enum DisputeDecision {
    Upheld {
        correction: Correction,
        reason: Option<String>,
    },
    Rejected {
        reason: String,
    },
    Undecidable {
        reason: String,
    },
}

/// One step of a request's history.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct StepView {
    pub action: String,
    pub actor: String,
    pub detail: Option<String>,
    pub at: String,
}

/// An evidence file's record.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FileView {
    pub id: String,
    pub filename: String,
    pub content_type: String,
    pub sha256: String,
    pub size_bytes: i64,
    pub uploaded_at: String,
}

impl FileView {
    fn of(f: &FileMeta) -> FileView {
        FileView {
            id: f.id.clone(),
            filename: f.filename.clone(),
            content_type: f.content_type.clone(),
            sha256: f.sha256.clone(),
            size_bytes: f.size_bytes,
            uploaded_at: crate::domain::rfc3339(f.uploaded_at),
        }
    }
}

/// A request as shown: where it stands, its deadlines and how long each step took.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RemedyView {
    pub id: String,
    /// `repair` or `dispute`.
    #[schema(value_type = String)]
    pub kind: RemedyKind,
    pub firm_uscc: String,
    pub source: String,
    /// The remit that handles it: the record category's owner, else the signal's source.
    pub owner: String,
    pub signal_kind: String,
    pub period: String,
    pub record_id: Option<String>,
    /// `submitted`, `accepted`, `not_accepted`, `repaired`, `refused`, `upheld`, `rejected`,
    /// `undecidable`.
    #[schema(value_type = String)]
    pub status: RemedyStatus,
    pub statement: String,
    pub claimed_value: Option<String>,
    pub references: Vec<String>,
    pub submitted_at: String,
    /// The department accepts (or refuses to accept) a repair application by this day.
    pub accept_due: Option<String>,
    /// The request is answered by this day.
    pub decide_due: String,
    /// The deadline the request waits for now (none once decided).
    pub due: Option<String>,
    /// Open past its deadline.
    pub overdue: bool,
    /// Steps taken after their deadline.
    pub late_steps: Vec<String>,
    pub accepted_at: Option<String>,
    pub decided_at: Option<String>,
    /// Working days from receipt to acceptance, and to the decision (or to today while open).
    pub working_days_to_accept: Option<i64>,
    pub working_days_to_decide: Option<i64>,
    pub handled_by: Option<String>,
    pub outcome_reason: Option<String>,
    pub repaired_on: Option<String>,
    /// The ingestion run that stored the correction (a repair's date, an upheld dispute's value).
    pub correction_run_id: Option<String>,
}

impl RemedyView {
    pub fn of(r: &RemedyRow, today: NaiveDate) -> RemedyView {
        let cal = Calendar::shipped();
        let received = crate::clock::cst_date(r.submitted_at);
        let on = |t: Option<NaiveDateTime>| t.map(crate::clock::cst_date);
        let (accepted_on, decided_on) = (on(r.accepted_at), on(r.decided_at));
        let due = match r.status {
            RemedyStatus::Submitted => match (r.kind, r.accept_due) {
                (RemedyKind::Repair, Some(d)) => Some(d),
                _ => Some(r.decide_due),
            },
            RemedyStatus::Accepted => Some(r.decide_due),
            _ => None,
        };
        let mut late = Vec::new();
        if let (Some(a), Some(d)) = (accepted_on, r.accept_due) {
            if a > d {
                late.push("accept".to_string());
            }
        }
        if decided_on.is_some_and(|d| d > r.decide_due) {
            late.push("decide".to_string());
        }
        RemedyView {
            id: r.id.clone(),
            kind: r.kind,
            firm_uscc: r.firm_uscc.clone(),
            source: r.source.clone(),
            owner: r.owner.clone(),
            signal_kind: r.signal_kind.clone(),
            period: r.period.clone(),
            record_id: r.record_id.clone(),
            status: r.status,
            statement: r.statement.clone(),
            claimed_value: r.claimed_value.clone(),
            references: serde_json::from_str(&r.refs).unwrap_or_default(),
            submitted_at: crate::domain::rfc3339(r.submitted_at),
            accept_due: r.accept_due.map(|d| d.to_string()),
            decide_due: r.decide_due.to_string(),
            due: due.map(|d| d.to_string()),
            overdue: due.is_some_and(|d| today > d),
            late_steps: late,
            accepted_at: r.accepted_at.map(crate::domain::rfc3339),
            decided_at: r.decided_at.map(crate::domain::rfc3339),
            working_days_to_accept: accepted_on.map(|a| cal.working_days_between(received, a)),
            working_days_to_decide: Some(
                cal.working_days_between(received, decided_on.unwrap_or(today)),
            ),
            handled_by: r.handled_by.clone(),
            outcome_reason: r.outcome_reason.clone(),
            repaired_on: r.repaired_on.map(|d| d.to_string()),
            correction_run_id: r.correction_run_id.clone(),
        }
    }
}

/// A request with its history and its evidence.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RemedyDetail {
    #[serde(flatten)]
    pub request: RemedyView,
    pub steps: Vec<StepView>,
    pub files: Vec<FileView>,
}

fn step(
    request: &str,
    action: &str,
    actor: &str,
    detail: Option<String>,
    at: NaiveDateTime,
) -> StepRow {
    StepRow {
        id: uuid::Uuid::now_v7().to_string(),
        request_id: request.to_string(),
        at,
        action: action.to_string(),
        actor: actor.to_string(),
        detail,
    }
}

/// The firm's current public-credit record with this id.
fn record(conn: &mut DbConn, firm: &str, record_id: &str) -> Result<Option<SignalRow>, StoreError> {
    Ok(
        crate::store::signals::current_of_source(conn, firm, Source::PublicCredit.as_str())?
            .into_iter()
            .find(|s| s.event_key == record_id),
    )
}

/// What the repair rules read of a stored record.
pub fn facts(s: &SignalRow) -> Option<RecordFacts> {
    let category = s.value_code.as_deref().and_then(public_credit::category)?;
    let severity = s
        .severity
        .as_deref()
        .and_then(Severity::parse)
        .or(category.severity)?;
    Some(RecordFacts {
        decided_on: s.event_start?,
        severity,
        repairable: category.repairable,
        end: s.event_end,
        repaired_on: s.repaired_on,
    })
}

/// The remit that handles a signal's remedies: a public-credit record's category owner, else the
/// signal's source.
fn owner_of(s: &SignalRow) -> String {
    s.value_code
        .as_deref()
        .filter(|_| s.source == Source::PublicCredit.as_str())
        .and_then(public_credit::category)
        .map_or_else(|| s.source.clone(), |c| c.owner.clone())
}

/// Each file checked for request `id`; a file's fault goes to `errors` under `files[i]`.
fn check_files(
    files: &[Evidence],
    id: &str,
    at: NaiveDateTime,
    errors: &mut Vec<Violation>,
) -> Vec<NewFile> {
    files
        .iter()
        .enumerate()
        .filter_map(|(i, e)| {
            check_file(&format!("files[{i}]"), e, id, at)
                .map_err(|v| errors.push(v))
                .ok()
        })
        .collect()
}

/// The step that records an evidence file.
fn file_step(f: &NewFile, firm: &str, at: NaiveDateTime) -> StepRow {
    step(
        &f.request_id,
        "file_added",
        firm,
        Some(format!("{} sha256={}", f.filename, f.sha256)),
        at,
    )
}

fn statement_and_proof(
    statement: &str,
    references: &[String],
    files: &[Evidence],
    proof_needed: bool,
) -> Vec<Violation> {
    let mut errors = Vec::new();
    let s = statement.trim();
    if s.is_empty() {
        errors.push(Violation::new(
            "statement",
            "statement.required",
            "say what was corrected and commit to keep the rules (信用承诺书)",
        ));
    } else if s.chars().count() > MAX_STATEMENT {
        errors.push(Violation::new(
            "statement",
            "length",
            format!("the statement is longer than {MAX_STATEMENT} characters"),
        ));
    }
    if proof_needed && references.iter().all(|r| r.trim().is_empty()) && files.is_empty() {
        errors.push(Violation::new(
            "references",
            "repair.proof_required",
            "attach proof that every obligation is fulfilled: a reference or a file",
        ));
    }
    if files.len() > MAX_FILES {
        errors.push(Violation::new(
            "files",
            "files.too_many",
            format!("at most {MAX_FILES} files"),
        ));
    }
    errors
}

/// Store a new request with its first step, its files, and the departments told.
fn file_request(conn: &mut DbConn, row: &RemedyRow, files: &[NewFile]) -> Result<(), RemedyError> {
    crate::store::backend::write_transaction(conn, |c| {
        if let Some(open) = store::open_on_record(
            c,
            row.kind,
            &row.firm_uscc,
            &row.signal_kind,
            &row.period,
            &row.event_key,
        )? {
            return Err(RemedyError::Conflict(format!(
                "a {} of this record is already open: {open}",
                row.kind
            )));
        }
        store::insert(c, row)?;
        store::add_step(
            c,
            &step(&row.id, "submitted", &row.firm_uscc, None, row.submitted_at),
        )?;
        for f in files {
            store::add_file(c, f)?;
            store::add_step(c, &file_step(f, &row.firm_uscc, row.submitted_at))?;
        }
        for dept in store::departments_for(c, &row.owner)? {
            notifications::tell(
                c,
                &dept,
                Kind::RemedyToHandle,
                &row.id,
                &[
                    ("kind", row.kind.as_str()),
                    ("firm", &row.firm_uscc),
                    ("record", &row.signal_kind),
                    ("due", &row.accept_due.unwrap_or(row.decide_due).to_string()),
                ],
                row.submitted_at,
            )?;
        }
        Ok(())
    })
}

fn refs_json(references: &[String]) -> String {
    let list: Vec<&str> = references
        .iter()
        .map(|r| r.trim())
        .filter(|r| !r.is_empty())
        .collect();
    serde_json::to_string(&list).unwrap_or_else(|_| "[]".into())
}

/// A firm applies for credit repair of one of its records, when the rules allow it (DOMAIN §13).
#[tracing::instrument(skip(ctx, new), fields(firm = %firm, record = %new.record_id))]
pub async fn apply_repair(
    ctx: &Context,
    actor: &Actor,
    firm: &Uscc,
    new: NewRepair,
) -> Result<RemedyView, RemedyError> {
    firm_access(actor, firm.as_str()).map_err(RemedyError::Forbidden)?;
    let today = ctx.clock.today();
    let now = ctx.clock.now();
    let (f, rid) = (firm.to_string(), new.record_id.trim().to_string());
    let found = ctx.db.run(move |c| record(c, &f, &rid)).await?;
    let mut errors = statement_and_proof(&new.statement, &new.references, &new.files, true);
    let Some(rec) = found else {
        return Err(RemedyError::NotFound(format!(
            "firm {firm} has no public-credit record {}",
            new.record_id.trim()
        )));
    };
    let Some(facts) = facts(&rec) else {
        return Err(invalid(
            "record_id",
            "repair.unlisted",
            "the record has no category of the closed list; it cannot be repaired here",
        ));
    };
    if let Err(e) = facts.may_apply(today) {
        errors.push(Violation::new("record_id", e.rule(), e.to_string()));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let files = check_files(&new.files, &id, now, &mut errors);
    if !errors.is_empty() {
        return Err(RemedyError::Invalid(errors));
    }
    let rules = Rules::shipped();
    let cal = Calendar::shipped();
    let row = RemedyRow {
        id,
        kind: RemedyKind::Repair,
        firm_uscc: firm.to_string(),
        source: rec.source.clone(),
        owner: owner_of(&rec),
        signal_kind: rec.kind.clone(),
        period: rec.period.clone(),
        event_key: rec.event_key.clone(),
        record_id: rec.record_id.clone(),
        status: RemedyStatus::Submitted,
        statement: new.statement.trim().to_string(),
        claimed_value: None,
        refs: refs_json(&new.references),
        submitted_at: now,
        accept_due: Some(cal.add_working_days(today, rules.deadlines.accept_working_days)),
        decide_due: cal.add_working_days(today, rules.deadlines.decide_working_days),
        accepted_at: None,
        decided_at: None,
        handled_by: None,
        outcome_reason: None,
        repaired_on: None,
        correction_run_id: None,
    };
    let stored = row.clone();
    ctx.db
        .run_as(move |c| file_request(c, &stored, &files))
        .await?;
    Ok(RemedyView::of(&row, today))
}

/// A firm disputes a signal or a record (异议): the department answers within the deadline; meanwhile
/// the profile shows it as disputed, its score unchanged.
#[tracing::instrument(skip(ctx, new), fields(firm = %firm, kind = %new.kind))]
pub async fn open_dispute(
    ctx: &Context,
    actor: &Actor,
    firm: &Uscc,
    new: NewDispute,
) -> Result<RemedyView, RemedyError> {
    firm_access(actor, firm.as_str()).map_err(RemedyError::Forbidden)?;
    let today = ctx.clock.today();
    let now = ctx.clock.now();
    let mut errors = statement_and_proof(&new.statement, &new.references, &new.files, false);
    let Some(spec) = sig::kind(new.kind.trim()) else {
        errors.push(Violation::new(
            "kind",
            "kind.unknown",
            format!("'{}' is not a signal kind", new.kind.trim()),
        ));
        return Err(RemedyError::Invalid(errors));
    };
    let period = new
        .period
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    let record_id = new
        .record_id
        .as_deref()
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(str::to_string);
    let is_event = matches!(spec.period, sig::PeriodType::EventStart);
    if is_event && record_id.is_none() {
        errors.push(Violation::new(
            "record_id",
            "record_id.required",
            "name the record by its id",
        ));
    }
    if !is_event && period.is_none() {
        errors.push(Violation::new(
            "period",
            "period.required",
            "name the period: YYYY-MM (or YYYY)",
        ));
    }
    let id = uuid::Uuid::now_v7().to_string();
    let files = check_files(&new.files, &id, now, &mut errors);
    if !errors.is_empty() {
        return Err(RemedyError::Invalid(errors));
    }
    let (f, key, per, rid) = (
        firm.to_string(),
        spec.key,
        period.clone(),
        record_id.clone(),
    );
    let found = ctx
        .db
        .run(move |c| {
            Ok::<_, StoreError>(
                crate::store::signals::for_firm(c, &f, Some(key), false)?
                    .into_iter()
                    .find(|s| match (&rid, &per) {
                        (Some(r), _) if is_event => &s.event_key == r,
                        (_, Some(p)) => &s.period == p,
                        _ => false,
                    }),
            )
        })
        .await?;
    let Some(sigrow) = found else {
        return Err(RemedyError::NotFound(format!(
            "firm {firm} has no {} signal {}",
            spec.key,
            record_id.or(period).unwrap_or_default()
        )));
    };
    let row = RemedyRow {
        id,
        kind: RemedyKind::Dispute,
        firm_uscc: firm.to_string(),
        source: sigrow.source.clone(),
        owner: owner_of(&sigrow),
        signal_kind: sigrow.kind.clone(),
        period: sigrow.period.clone(),
        event_key: sigrow.event_key.clone(),
        record_id: sigrow.record_id.clone().filter(|_| is_event),
        status: RemedyStatus::Submitted,
        statement: new.statement.trim().to_string(),
        claimed_value: new
            .claimed_value
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty()),
        refs: refs_json(&new.references),
        submitted_at: now,
        accept_due: None,
        decide_due: today
            .checked_add_days(Days::new(Rules::shipped().deadlines.dispute_days.into()))
            .unwrap_or(today),
        accepted_at: None,
        decided_at: None,
        handled_by: None,
        outcome_reason: None,
        repaired_on: None,
        correction_run_id: None,
    };
    let stored = row.clone();
    ctx.db
        .run_as(move |c| file_request(c, &stored, &files))
        .await?;
    // The profile shows the record as disputed from now on (its score unchanged).
    recompute(ctx, &row.firm_uscc, &format!("dispute:{}", row.id)).await?;
    Ok(RemedyView::of(&row, today))
}

/// The sources whose requests an actor handles: a department its remit, the administrators all.
async fn remit(ctx: &Context, actor: &Actor) -> Result<Option<Vec<String>>, RemedyError> {
    match actor {
        Actor::Admin => Ok(None),
        Actor::Government { institution } => {
            let i = institution.to_string();
            Ok(Some(ctx.db.run(move |c| store::remit(c, &i)).await?))
        }
        _ => Err(RemedyError::Forbidden(
            "remedies are handled by the department that owns the record".into(),
        )),
    }
}

/// A request the actor may see: the firm its own, a department those in its remit, the administrators
/// all. Anything else is "not found".
async fn visible(ctx: &Context, actor: &Actor, id: &str) -> Result<RemedyRow, RemedyError> {
    let i = id.to_string();
    let row = ctx.db.run(move |c| store::get(c, &i)).await?;
    let missing = || RemedyError::NotFound(format!("no remedy {id} visible to this key"));
    let row = row.ok_or_else(missing)?;
    let ok = match actor {
        Actor::Firm { uscc } => uscc.as_str() == row.firm_uscc,
        Actor::Admin => true,
        Actor::Government { .. } => remit(ctx, actor)
            .await?
            .is_none_or(|r| r.contains(&row.owner)),
        Actor::Bank { .. } | Actor::Agency { .. } => {
            return Err(RemedyError::Forbidden(
                "remedies are seen by their firm and the department that owns the record".into(),
            ))
        }
    };
    if ok {
        Ok(row)
    } else {
        Err(missing())
    }
}

/// Which requests to list.
#[derive(Debug, Clone, Default)]
pub struct ListFilter {
    pub status: Option<RemedyStatus>,
    pub kind: Option<RemedyKind>,
    pub firm: Option<Uscc>,
    /// Only those open past their deadline.
    pub overdue: bool,
    pub before: Option<String>,
}

/// The requests the actor may see, newest first (up to `limit + 1`).
pub async fn list(
    ctx: &Context,
    actor: &Actor,
    filter: ListFilter,
    limit: i64,
) -> Result<Vec<RemedyView>, RemedyError> {
    let (firm, owners) = match actor {
        Actor::Firm { uscc } => (Some(uscc.to_string()), None),
        _ => (
            filter.firm.as_ref().map(Uscc::to_string),
            remit(ctx, actor).await?,
        ),
    };
    let today = ctx.clock.today();
    let f = store::Filter {
        firm,
        owners,
        status: filter.status,
        kind: filter.kind,
        overdue_on: filter.overdue.then_some(today),
        before: filter.before.clone(),
    };
    let rows = ctx.db.run(move |c| store::list(c, &f, limit)).await?;
    Ok(rows.iter().map(|r| RemedyView::of(r, today)).collect())
}

/// One request with its history and its evidence.
pub async fn get(ctx: &Context, actor: &Actor, id: &str) -> Result<RemedyDetail, RemedyError> {
    let row = visible(ctx, actor, id).await?;
    let rid = row.id.clone();
    let (steps, files) = ctx
        .db
        .run(move |c| Ok::<_, StoreError>((store::steps(c, &rid)?, store::files(c, &rid)?)))
        .await?;
    Ok(RemedyDetail {
        request: RemedyView::of(&row, ctx.clock.today()),
        steps: steps
            .into_iter()
            .map(|s| StepView {
                action: s.action,
                actor: s.actor,
                detail: s.detail,
                at: crate::domain::rfc3339(s.at),
            })
            .collect(),
        files: files.iter().map(FileView::of).collect(),
    })
}

/// An evidence file's record and bytes.
pub async fn file(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    file_id: &str,
) -> Result<(FileView, Vec<u8>), RemedyError> {
    let row = visible(ctx, actor, id).await?;
    let (rid, fid) = (row.id.clone(), file_id.to_string());
    match ctx.db.run(move |c| store::file(c, &rid, &fid)).await? {
        Some((meta, bytes)) => Ok((FileView::of(&meta), bytes)),
        None => Err(RemedyError::NotFound(format!(
            "remedy {id} has no file {file_id}"
        ))),
    }
}

/// The firm adds evidence to its open request.
pub async fn add_file(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    e: Evidence,
) -> Result<FileView, RemedyError> {
    let row = visible(ctx, actor, id).await?;
    if actor.firm().is_none() {
        return Err(RemedyError::Forbidden(
            "only the firm adds its evidence".into(),
        ));
    }
    if !row.status.is_open() {
        return Err(RemedyError::Conflict(format!(
            "remedy {id} is {}; evidence is added while it is open",
            row.status
        )));
    }
    let now = ctx.clock.now();
    let f = check_file("file", &e, &row.id, now).map_err(|v| RemedyError::Invalid(vec![v]))?;
    let view = FileView {
        id: f.id.clone(),
        filename: f.filename.clone(),
        content_type: f.content_type.clone(),
        sha256: f.sha256.clone(),
        size_bytes: f.size_bytes,
        uploaded_at: crate::domain::rfc3339(now),
    };
    let firm = row.firm_uscc.clone();
    ctx.db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                if store::files(c, &f.request_id)?.len() >= MAX_FILES {
                    return Err(invalid(
                        "file",
                        "files.too_many",
                        format!("at most {MAX_FILES} files"),
                    ));
                }
                store::add_file(c, &f)?;
                store::add_step(c, &file_step(&f, &firm, now))?;
                Ok(())
            })
        })
        .await?;
    Ok(view)
}

/// Move a request one step, with its history and the firm told, in one transaction (on `conn`).
fn record_move(
    c: &mut DbConn,
    row: &RemedyRow,
    to: RemedyStatus,
    by: &str,
    at: NaiveDateTime,
    reason: Option<String>,
    repaired_on: Option<NaiveDate>,
) -> Result<(), StoreError> {
    let moved = store::advance(
        c,
        &store::Move {
            id: &row.id,
            from: row.status,
            to,
            at,
            by,
            reason: reason.clone(),
            repaired_on,
            correction_run_id: None,
        },
    )?;
    if !moved {
        return Err(StoreError::Conflict(format!(
            "remedy {} moved meanwhile; read it again",
            row.id
        )));
    }
    let detail = match (&reason, repaired_on) {
        (_, Some(d)) => Some(format!("repaired_on={d}")),
        (Some(r), _) => Some(r.clone()),
        _ => None,
    };
    store::add_step(c, &step(&row.id, to.as_str(), by, detail, at))?;
    notifications::tell(
        c,
        &row.firm_uscc,
        Kind::RemedyMoved,
        &row.id,
        &[("kind", row.kind.as_str()), ("status", to.as_str())],
        at,
    )
}

/// The request as it stands after a step (read again: the step stamped it).
async fn as_it_stands(ctx: &Context, row: RemedyRow) -> Result<RemedyView, RemedyError> {
    let i = row.id.clone();
    let row = ctx.db.run(move |c| store::get(c, &i)).await?.unwrap_or(row);
    Ok(RemedyView::of(&row, ctx.clock.today()))
}

/// A step that corrects nothing (acceptance, refusal, rejection), in its own transaction.
async fn step_only(
    ctx: &Context,
    row: &RemedyRow,
    to: RemedyStatus,
    by: String,
    reason: Option<String>,
) -> Result<(), RemedyError> {
    let (r, at) = (row.clone(), ctx.clock.now());
    ctx.db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                record_move(c, &r, to, &by, at, reason.clone(), None)
            })
        })
        .await?;
    Ok(())
}

/// A department's request (in its remit), with the move `action` checked against its status.
async fn to_handle(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    action: RemedyAction,
) -> Result<(RemedyRow, RemedyStatus), RemedyError> {
    if !actor.is_government_side() {
        return Err(RemedyError::Forbidden(
            "remedies are decided by the department that owns the record".into(),
        ));
    }
    let row = visible(ctx, actor, id).await?;
    let to = row
        .status
        .after(row.kind, action)
        .map_err(|error| RemedyError::Transition {
            id: id.to_string(),
            error,
        })?;
    Ok((row, to))
}

fn reason_required(reason: &str) -> Result<String, RemedyError> {
    let r = reason.trim();
    if r.is_empty() {
        return Err(invalid(
            "reason",
            "reason.required",
            "give the reason in writing",
        ));
    }
    Ok(r.chars().take(MAX_STATEMENT).collect())
}

/// The department accepts a repair application for verification (or, with a reason, does not).
#[tracing::instrument(skip(ctx, reason))]
pub async fn accept(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    reason: Option<String>,
) -> Result<RemedyView, RemedyError> {
    let action = if reason.is_some() {
        RemedyAction::NotAccept
    } else {
        RemedyAction::Accept
    };
    let (row, to) = to_handle(ctx, actor, id, action).await?;
    let reason = reason.map(|r| reason_required(&r)).transpose()?;
    step_only(ctx, &row, to, actor.who(), reason).await?;
    as_it_stands(ctx, row).await
}

/// The row a correction ingests: the stored signal as it is, with `change` applied; the dispute's or
/// repair's id as its source record where the key allows (periodic kinds).
fn correction_row(s: &SignalRow, change: &dyn Fn(&mut RawRow)) -> RawRow {
    let event = s.event_start.is_some()
        && s.value_code.is_some()
        && s.source == Source::PublicCredit.as_str();
    let mut raw = RawRow {
        uscc: Some(s.uscc.clone()),
        kind: Some(s.kind.clone()),
        period: (!event).then(|| s.period.clone()),
        value: s.value_text().filter(|_| !event),
        record_id: s.record_id.clone(),
        start_date: s.event_start.map(|d| d.to_string()),
        end_date: s.event_end.map(|d| d.to_string()),
        authority: s.authority.clone(),
        repaired_on: s.repaired_on.map(|d| d.to_string()),
        category: s.value_code.clone().filter(|_| event),
        severity: s.severity.clone(),
        legal_basis: s.legal_basis.clone(),
        ..Default::default()
    };
    change(&mut raw);
    raw
}

/// Ingest `raw` as a correction of `row`'s signal, with the decision stored in the same transaction;
/// the profile is recomputed after it and its readers told of the score before and after.
async fn correct(
    ctx: &Context,
    row: &RemedyRow,
    raw: RawRow,
    to: RemedyStatus,
    by: String,
    reason: Option<String>,
    repaired_on: Option<NaiveDate>,
) -> Result<(), RemedyError> {
    let source = Source::parse(&row.source).ok_or_else(|| {
        invalid(
            "source",
            "source.unknown",
            format!("{} is not a source", row.source),
        )
    })?;
    // A correction that would be quarantined is refused here, with its reasons, before anything moves.
    if let Err(reasons) = sig::validate(&raw, source, crate::clock::system::today_cst()) {
        return Err(RemedyError::Invalid(
            reasons
                .into_iter()
                .map(|r| Violation::new("correction", format!("correction.{}", r.code), r.message))
                .collect(),
        ));
    }
    let line = Line {
        line_no: 1,
        raw: serde_json::to_string(&raw).unwrap_or_default(),
        row: Ok(raw),
    };
    let before = score(ctx, &row.firm_uscc).await;
    let at = ctx.clock.now();
    let r = row.clone();
    let imported = super::signals::ingest_rows_then(
        ctx,
        source,
        Origin::Remedy,
        vec![line],
        Box::new(move |c| record_move(c, &r, to, &by, at, reason.clone(), repaired_on)),
    )
    .await?;
    let (id, run) = (row.id.clone(), imported.run.id.clone());
    ctx.db
        .run(move |c| store::set_correction_run(c, &id, &run))
        .await?;
    let after = score(ctx, &row.firm_uscc).await;
    tell_readers(ctx, row, before, after).await
}

/// The score of the firm's newest profile, if it has one.
async fn score(ctx: &Context, firm: &str) -> Option<i64> {
    let body = ctx.profiles.latest(firm).await.ok()??;
    serde_json::from_slice::<serde_json::Value>(&body).ok()?["score"].as_i64()
}

async fn recompute(ctx: &Context, firm: &str, cause: &str) -> Result<(), RemedyError> {
    let as_of = Month::last_complete(ctx.clock.today());
    ctx.profiles
        .recompute(vec![firm.to_string()], vec![as_of], cause, &|_| {})
        .await?;
    Ok(())
}

/// Tell every institution reading the firm's profile under a live consent that it changed; a
/// post-loan monitoring consent also gets an event it reads through the API.
async fn tell_readers(
    ctx: &Context,
    row: &RemedyRow,
    before: Option<i64>,
    after: Option<i64>,
) -> Result<(), RemedyError> {
    let now = ctx.clock.now();
    let (firm, id, kind) = (row.firm_uscc.clone(), row.id.clone(), row.kind);
    let show = |s: Option<i64>| s.map_or(String::new(), |v| v.to_string());
    let (b, a) = (show(before), show(after));
    ctx.db
        .run(move |c| {
            let consents = crate::store::consents::list(
                c,
                &crate::store::consents::Filter {
                    firm: Some(firm.clone()),
                    ..Default::default()
                },
                1000,
            )?;
            let live: Vec<_> = consents
                .into_iter()
                .filter(|k| k.status(now) == crate::domain::consent::Status::Active)
                .collect();
            let mut told = std::collections::BTreeSet::new();
            let mut events = Vec::new();
            for k in &live {
                if told.insert(k.institution_id.clone()) {
                    notifications::tell(
                        c,
                        &k.institution_id,
                        Kind::ProfileChanged,
                        &id,
                        &[
                            ("firm", &firm),
                            ("cause", kind.as_str()),
                            ("score_before", &b),
                            ("score_after", &a),
                        ],
                        now,
                    )?;
                }
                if k.purpose == "post_loan_monitoring" {
                    events.push(MonitoringEventRow {
                        id: uuid::Uuid::now_v7().to_string(),
                        institution_id: k.institution_id.clone(),
                        consent_id: k.id.clone(),
                        firm_uscc: firm.clone(),
                        kind: match kind {
                            RemedyKind::Repair => "record_repaired".into(),
                            RemedyKind::Dispute => "signal_corrected".into(),
                        },
                        subject: id.clone(),
                        detail: serde_json::json!({"score_before": before, "score_after": after})
                            .to_string(),
                        at: now,
                    });
                }
            }
            store::add_monitoring_events(c, &events)
        })
        .await?;
    Ok(())
}

/// The department decides a repair: repaired from a date (the record stops counting from it, through
/// a superseding row; the profile is recomputed and its readers told), or refused with a reason.
#[tracing::instrument(skip(ctx, decision))]
pub async fn decide_repair(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    decision: RepairDecision,
) -> Result<RemedyView, RemedyError> {
    let action = match decision {
        RepairDecision::Repaired { .. } => RemedyAction::Repair,
        RepairDecision::Refused { .. } => RemedyAction::Refuse,
    };
    let (row, to) = to_handle(ctx, actor, id, action).await?;
    let by = actor.who();
    let today = ctx.clock.today();
    match decision {
        RepairDecision::Refused { reason } => {
            step_only(ctx, &row, to, by, Some(reason_required(&reason)?)).await?;
        }
        RepairDecision::Repaired { on } => {
            let (f, rid) = (row.firm_uscc.clone(), row.event_key.clone());
            let rec = ctx
                .db
                .run(move |c| record(c, &f, &rid))
                .await?
                .ok_or_else(|| {
                    RemedyError::Conflict(format!("the record of remedy {id} is gone"))
                })?;
            if on > today {
                return Err(invalid(
                    "repaired_on",
                    "date.future",
                    "repaired_on is in the future",
                ));
            }
            if rec.event_start.is_some_and(|s| on < s) {
                return Err(invalid(
                    "repaired_on",
                    "date.before_record",
                    "repaired_on is before the record's decision date",
                ));
            }
            let raw = correction_row(&rec, &|r| r.repaired_on = Some(on.to_string()));
            correct(ctx, &row, raw, to, by, None, Some(on)).await?;
        }
    }
    as_it_stands(ctx, row).await
}

/// The department answers a dispute: upheld (the signal corrected through ingestion, history kept),
/// rejected, or recorded as undecidable; either way the disputed mark leaves the profile.
#[tracing::instrument(skip(ctx, decision))]
pub async fn decide_dispute(
    ctx: &Context,
    actor: &Actor,
    id: &str,
    decision: DisputeDecision,
) -> Result<RemedyView, RemedyError> {
    let action = match decision {
        DisputeDecision::Upheld { .. } => RemedyAction::Uphold,
        DisputeDecision::Rejected { .. } => RemedyAction::Reject,
        DisputeDecision::Undecidable { .. } => RemedyAction::Undecidable,
    };
    let (row, to) = to_handle(ctx, actor, id, action).await?;
    let by = actor.who();
    match decision {
        DisputeDecision::Rejected { reason } | DisputeDecision::Undecidable { reason } => {
            step_only(ctx, &row, to, by, Some(reason_required(&reason)?)).await?;
            recompute(ctx, &row.firm_uscc, &format!("dispute:{id}")).await?;
        }
        DisputeDecision::Upheld { correction, reason } => {
            let (f, k, p, e) = (
                row.firm_uscc.clone(),
                row.signal_kind.clone(),
                row.period.clone(),
                row.event_key.clone(),
            );
            let sigrow = ctx
                .db
                .run(move |c| {
                    Ok::<_, StoreError>(
                        crate::store::signals::for_firm(c, &f, Some(&k), false)?
                            .into_iter()
                            .find(|s| s.period == p && s.event_key == e),
                    )
                })
                .await?
                .ok_or_else(|| {
                    RemedyError::Conflict(format!("the signal of remedy {id} is gone"))
                })?;
            let event = sigrow.event_start.is_some();
            let mut errors = Vec::new();
            if correction.value.is_none()
                && correction.end_date.is_none()
                && correction.severity.is_none()
            {
                errors.push(Violation::new(
                    "correction",
                    "correction.required",
                    "an upheld dispute says the corrected value (or, for a record, its end or severity)",
                ));
            }
            if event && correction.value.is_some() {
                errors.push(Violation::new(
                    "correction.value",
                    "correction.value",
                    "a record has no value; correct its end_date or severity",
                ));
            }
            if !event && (correction.end_date.is_some() || correction.severity.is_some()) {
                errors.push(Violation::new(
                    "correction",
                    "correction.fields",
                    "a periodic signal is corrected by its value",
                ));
            }
            if !errors.is_empty() {
                return Err(RemedyError::Invalid(errors));
            }
            let dispute_ref = format!("dispute:{id}");
            let raw = correction_row(&sigrow, &|r| {
                if let Some(v) = &correction.value {
                    r.value = Some(v.clone());
                    // The dispute is the corrected value's source record.
                    r.record_id = Some(dispute_ref.clone());
                }
                if let Some(d) = &correction.end_date {
                    r.end_date = Some(d.clone());
                }
                if let Some(s) = &correction.severity {
                    r.severity = Some(s.clone());
                }
            });
            let reason = reason
                .map(|r| r.trim().to_string())
                .filter(|r| !r.is_empty());
            correct(ctx, &row, raw, to, by, reason, None).await?;
        }
    }
    as_it_stands(ctx, row).await
}

/// One department's figures (or the requests no department's remit holds, under `unassigned`).
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct DepartmentFigures {
    pub institution_id: String,
    pub institution: String,
    pub remit: Vec<String>,
    pub requests: i64,
    pub open: i64,
    /// Open past their deadline now.
    pub overdue: i64,
    /// Decided (or accepted) after their deadline.
    pub late: i64,
    /// (overdue + late) / requests.
    pub overdue_share: Option<String>,
    /// Median working days from receipt to the decision, over the decided ones.
    pub median_working_days: Option<String>,
}

/// The government's dashboard: per department, how its requests stand against the deadlines.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Overview {
    pub as_of: String,
    pub deadlines: public_credit::Deadlines,
    pub departments: Vec<DepartmentFigures>,
}

pub async fn overview(ctx: &Context, actor: &Actor) -> Result<Overview, RemedyError> {
    if !actor.is_government_side() {
        return Err(RemedyError::Forbidden(
            "the remedies' figures are for the government side".into(),
        ));
    }
    let today = ctx.clock.today();
    let (rows, remits, names) = ctx
        .db
        .run(|c| {
            Ok::<_, StoreError>((
                store::all(c)?,
                store::remits(c)?,
                crate::store::institutions::names(c)?,
            ))
        })
        .await?;
    let mut depts: std::collections::BTreeMap<String, Vec<String>> = Default::default();
    for (i, s) in remits {
        depts.entry(i).or_default().push(s);
    }
    let views: Vec<RemedyView> = rows.iter().map(|r| RemedyView::of(r, today)).collect();
    let figures = |id: &str, name: String, remit: Vec<String>, of: &dyn Fn(&RemedyView) -> bool| {
        let mine: Vec<&RemedyView> = views.iter().filter(|v| of(v)).collect();
        let n = mine.len() as i64;
        let open = mine.iter().filter(|v| v.status.is_open()).count() as i64;
        let overdue = mine.iter().filter(|v| v.overdue).count() as i64;
        let late = mine.iter().filter(|v| !v.late_steps.is_empty()).count() as i64;
        let mut days: Vec<i64> = mine
            .iter()
            .filter(|v| v.decided_at.is_some())
            .filter_map(|v| v.working_days_to_decide)
            .collect();
        days.sort_unstable();
        let median = (!days.is_empty()).then(|| {
            let m = days.len() / 2;
            let d = if days.len() % 2 == 1 {
                rust_decimal::Decimal::from(days[m])
            } else {
                (rust_decimal::Decimal::from(days[m - 1] + days[m]))
                    / rust_decimal::Decimal::from(2)
            };
            d.normalize().to_string()
        });
        let share = (n > 0).then(|| {
            (rust_decimal::Decimal::from(overdue + late) / rust_decimal::Decimal::from(n))
                .round_dp(4)
                .to_string()
        });
        DepartmentFigures {
            institution_id: id.to_string(),
            institution: name,
            remit,
            requests: n,
            open,
            overdue,
            late,
            overdue_share: share,
            median_working_days: median,
        }
    };
    let mut out: Vec<DepartmentFigures> = depts
        .iter()
        .map(|(id, remit)| {
            let r = remit.clone();
            figures(
                id,
                names.get(id).cloned().unwrap_or_else(|| id.clone()),
                remit.clone(),
                &move |v: &RemedyView| r.contains(&v.owner),
            )
        })
        .collect();
    let held: std::collections::BTreeSet<&String> = depts.values().flatten().collect();
    let unassigned = figures("unassigned", "unassigned".into(), vec![], &|v| {
        !held.contains(&v.owner)
    });
    if unassigned.requests > 0 {
        out.push(unassigned);
    }
    Ok(Overview {
        as_of: today.to_string(),
        deadlines: Rules::shipped().deadlines,
        departments: out,
    })
}

/// The administrator sets a government department's remit: the sources whose requests it handles.
pub async fn set_remit(
    ctx: &Context,
    actor: &Actor,
    institution: &str,
    sources: Vec<String>,
) -> Result<Vec<String>, RemedyError> {
    if *actor != Actor::Admin {
        return Err(RemedyError::Forbidden(
            "a department's remit is set by the platform administrator".into(),
        ));
    }
    let mut errors = Vec::new();
    let mut list: Vec<String> = Vec::new();
    for (i, s) in sources.iter().enumerate() {
        match Source::parse(s.trim()) {
            Some(src) => list.push(src.as_str().to_string()),
            None => errors.push(Violation::new(
                format!("sources[{i}]"),
                "source.unknown",
                format!("'{s}' is not a source; use {}", Source::keys()),
            )),
        }
    }
    if !errors.is_empty() {
        return Err(RemedyError::Invalid(errors));
    }
    list.sort();
    list.dedup();
    let (i, l) = (institution.to_string(), list.clone());
    ctx.db
        .run_as(move |c| {
            crate::store::backend::write_transaction(c, |c| {
                let inst = match crate::store::institutions::get(c, &i) {
                    Ok(x) => x,
                    Err(StoreError::NotFound) => {
                        return Err(RemedyError::NotFound(format!("no institution {i}")))
                    }
                    Err(e) => return Err(e.into()),
                };
                if inst.kind != "government" {
                    return Err(invalid(
                        "institution",
                        "remit.government_only",
                        format!(
                            "{} is a {}, not a government department",
                            inst.name, inst.kind
                        ),
                    ));
                }
                store::set_remit(c, &i, &l)?;
                Ok(())
            })
        })
        .await?;
    Ok(list)
}

/// A department's remit (the actor's own, or any for the administrator).
pub async fn remit_of(ctx: &Context, institution: &str) -> Result<Vec<String>, RemedyError> {
    let i = institution.to_string();
    Ok(ctx.db.run(move |c| store::remit(c, &i)).await?)
}

/// The monitoring events of an institution (post-loan monitoring consents), oldest first after
/// `after`.
pub async fn monitoring_events(
    ctx: &Context,
    actor: &Actor,
    after: Option<String>,
    limit: i64,
) -> Result<Vec<MonitoringEventRow>, RemedyError> {
    let Some(inst) = actor.institution().filter(|_| actor.is_institution()) else {
        return Err(RemedyError::Forbidden(
            "monitoring events are read by the banks and agencies holding a post-loan monitoring consent".into(),
        ));
    };
    let i = inst.to_string();
    Ok(ctx
        .db
        .run(move |c| store::monitoring_events(c, &i, after.as_deref(), limit))
        .await?)
}

/// A firm's public-credit records with whether (and from when) each may be repaired: what the firm's
/// page lists.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct RecordView {
    pub record_id: String,
    pub kind: String,
    pub category: Option<String>,
    pub category_zh: Option<String>,
    pub severity: Option<String>,
    pub legal_basis: Option<String>,
    pub authority: Option<String>,
    pub decided_on: Option<String>,
    pub publication_ends: Option<String>,
    pub repaired_on: Option<String>,
    pub earliest_repair: Option<String>,
    /// Whether the firm may apply today; otherwise `why_not` says why.
    pub may_apply: bool,
    pub why_not: Option<String>,
}

pub async fn records(
    ctx: &Context,
    actor: &Actor,
    firm: &Uscc,
) -> Result<Vec<RecordView>, RemedyError> {
    firm_access(actor, firm.as_str()).map_err(RemedyError::Forbidden)?;
    let today = ctx.clock.today();
    let f = firm.to_string();
    let rows = ctx
        .db
        .run(move |c| {
            crate::store::signals::current_of_source(c, &f, Source::PublicCredit.as_str())
        })
        .await?;
    Ok(rows
        .iter()
        .map(|s| {
            let facts = facts(s);
            let verdict = facts.as_ref().map(|f| f.may_apply(today));
            let cat = s.value_code.as_deref().and_then(public_credit::category);
            RecordView {
                record_id: s.event_key.clone(),
                kind: s.kind.clone(),
                category: s.value_code.clone(),
                category_zh: cat.map(|c| c.zh.clone()),
                severity: facts.as_ref().map(|f| f.severity.as_str().to_string()),
                legal_basis: s.legal_basis.clone(),
                authority: s.authority.clone(),
                decided_on: s.event_start.map(|d| d.to_string()),
                publication_ends: facts.as_ref().map(|f| f.publication_ends().to_string()),
                repaired_on: s.repaired_on.map(|d| d.to_string()),
                earliest_repair: facts.as_ref().map(|f| f.earliest_repair().to_string()),
                may_apply: matches!(verdict, Some(Ok(()))),
                why_not: match verdict {
                    Some(Err(e)) => Some(e.to_string()),
                    None => Some("the record has no category of the closed list".into()),
                    Some(Ok(())) => None,
                },
            }
        })
        .collect())
}
