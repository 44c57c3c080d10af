//! Uploads an agency makes: guarantee contracts and claim batches as one JSON object, a CSV with a header
//! row or NDJSON. Every fault of a file is named at once (by line and column) and nothing is accepted
//! unless every row is good; a column or field that is not one of the known names is refused, not
//! dropped.

use super::{positive_money, uscc, ServiceError, Violation};
use crate::domain::Money;
use crate::financing::claims::Submitted;
use crate::store::guarantees::GuaranteeRow;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use serde_json::Value;

#[derive(Debug, thiserror::Error)]
pub enum UploadError {
    /// Not readable as the format it says it is (broken CSV, JSON that does not parse).
    #[error("{0}")]
    Unreadable(String),
    /// A format the upload does not take.
    #[error("{0}")]
    Unsupported(String),
    #[error("{} fault(s) in the upload", .0.len())]
    Invalid(Vec<Violation>),
}

impl UploadError {
    fn invalid(field: &str, rule: &'static str, message: &str) -> Self {
        UploadError::Invalid(vec![Violation::new(field, rule, message)])
    }
}

impl From<UploadError> for ServiceError {
    fn from(e: UploadError) -> Self {
        match e {
            UploadError::Unreadable(m) => ServiceError::Unreadable(m),
            UploadError::Unsupported(m) => ServiceError::Unsupported(m),
            UploadError::Invalid(v) => ServiceError::Invalid(v),
        }
    }
}

/// The contracts of an upload as read: each good row with its line (0 for one JSON object), and every
/// fault of the others, by line and column.
#[derive(Debug)]
pub struct ContractUpload {
    pub rows: Vec<(usize, GuaranteeRow)>,
    pub faults: Vec<Violation>,
    /// Every row's contract number and borrower where each reads, good row or not: what the database
    /// checks (numbers on file, unknown borrowers), so those faults come with the others.
    pub keys: Vec<(usize, Option<String>, Option<String>)>,
    /// One JSON object (answered with the contract itself).
    pub single: bool,
}

/// Read the contracts of an upload (`kind`: its media type, after [`readable`]): every row checked, a
/// contract number repeated in the file named with the line it first appeared on. What only the
/// database can tell (unknown borrowers, numbers already on file) is checked by
/// `service::guarantees::register_upload`, which answers every fault at once.
pub fn contracts(
    kind: &str,
    body: &[u8],
    agency: &str,
    at: chrono::NaiveDateTime,
) -> Result<ContractUpload, UploadError> {
    let single = kind == "application/json";
    let rows: Vec<(usize, Value)> = if single {
        let v = serde_json::from_slice(body)
            .map_err(|e| UploadError::Unreadable(format!("the body is not valid JSON: {e}")))?;
        vec![(0, v)]
    } else {
        rows_of(
            kind,
            body,
            CONTRACT_FIELDS,
            super::spreadsheet::CONTRACT_HEADERS,
        )?
    };
    if rows.is_empty() {
        return Err(UploadError::invalid(
            "body",
            "batch.empty",
            "the batch has no rows",
        ));
    }
    let mut errors = Vec::new();
    let mut good = Vec::new();
    let mut keys = Vec::with_capacity(rows.len());
    for (line, v) in &rows {
        let place = place(*line);
        keys.push((
            *line,
            text_field(v, "contract_no").map(str::to_string),
            text_field(v, "firm_uscc")
                .and_then(|u| crate::domain::Uscc::parse(u).ok())
                .map(|u| u.to_string()),
        ));
        if let Some(g) = contract_row(at, v, agency, &place, &mut errors) {
            good.push((*line, g));
        }
    }
    // Each contract number once: a repeat names its line and the line it first appeared on.
    let mut seen = std::collections::HashMap::new();
    let mut repeated = std::collections::HashSet::new();
    for (line, no) in keys.iter().filter_map(|(l, n, _)| Some((*l, n.as_ref()?))) {
        if let Some(first) = seen.insert(no.clone(), line) {
            errors.push(Violation::new(
                format!("line {line}: contract_no"),
                "contract.duplicate",
                format!("contract_no {no} appears twice in the batch (first on line {first})"),
            ));
            seen.insert(no.clone(), first);
            repeated.insert(line);
        }
    }
    good.retain(|(line, _)| !repeated.contains(line));
    Ok(ContractUpload {
        rows: good,
        faults: errors,
        keys,
        single,
    })
}

/// Where a row's fault is said: `line 12: ` before the column; nothing for one JSON object (line 0).
pub fn place(line: usize) -> String {
    if line == 0 {
        String::new()
    } else {
        format!("line {line}: ")
    }
}

/// The line a fault names (`line 12: …`), for ordering; 0 when it names none.
pub fn fault_line(v: &Violation) -> usize {
    v.field
        .strip_prefix("line ")
        .and_then(|r| r.split(':').next())
        .and_then(|n| n.parse().ok())
        .unwrap_or(0)
}

/// A CSV reader (cells trimmed) past its header row, and the header as column names: each one of
/// `known`, or a ledger's name for one (`aliases`, [`super::spreadsheet`]), or `""` for an
/// informational column left aside; any other name is refused.
fn csv_with_header<'a>(
    body: &'a [u8],
    known: &[&str],
    aliases: &[(&str, &str)],
) -> Result<(csv::Reader<&'a [u8]>, csv::StringRecord), UploadError> {
    let mut r = csv::ReaderBuilder::new()
        .trim(csv::Trim::All)
        .flexible(true)
        .from_reader(body);
    let written = r
        .headers()
        .map_err(|e| UploadError::Unreadable(format!("the CSV header row: {e}")))?
        .clone();
    let mut headers = csv::StringRecord::new();
    let mut unknown = csv::StringRecord::new();
    for h in written.iter() {
        match super::spreadsheet::column(h, known, aliases) {
            Some(c) => headers.push_field(c),
            None => {
                unknown.push_field(h);
                headers.push_field("");
            }
        }
    }
    unknown_columns(&unknown, known)?;
    Ok((r, headers))
}

/// The upload as the readers take it: an XLSX sheet (`sheet`, or the first) as CSV; CSV text as UTF-8
/// (GB18030/GBK detected, or named by `charset`); other kinds as sent.
pub fn readable<'a>(
    kind: &str,
    charset: Option<&str>,
    sheet: Option<&str>,
    body: &'a [u8],
) -> Result<(String, std::borrow::Cow<'a, [u8]>), UploadError> {
    use super::spreadsheet as xl;
    Ok(match kind {
        xl::XLSX => (
            "text/csv".into(),
            std::borrow::Cow::Owned(xl::xlsx_as_csv(body, sheet)?),
        ),
        "text/csv" => ("text/csv".into(), xl::utf8(body, charset)?),
        other => (other.to_string(), std::borrow::Cow::Borrowed(body)),
    })
}

/// Rows of a CSV (header row) or NDJSON body as JSON objects of strings, with their line numbers.
fn rows_of(
    kind: &str,
    body: &[u8],
    known: &[&str],
    aliases: &[(&str, &str)],
) -> Result<Vec<(usize, Value)>, UploadError> {
    match kind {
        "text/csv" => {
            let (mut r, headers) = csv_with_header(body, known, aliases)?;
            let mut out = Vec::new();
            for (i, rec) in r.records().enumerate() {
                let rec =
                    rec.map_err(|e| UploadError::Unreadable(format!("CSV line {}: {e}", i + 2)))?;
                let obj: serde_json::Map<String, Value> = headers
                    .iter()
                    .zip(rec.iter())
                    .filter(|(h, v)| !h.is_empty() && !v.is_empty())
                    .map(|(h, v)| (h.to_string(), Value::from(v)))
                    .collect();
                out.push((i + 2, Value::Object(obj)));
            }
            Ok(out)
        }
        "application/x-ndjson" => body
            .split(|b| *b == b'\n')
            .enumerate()
            .filter(|(_, l)| !l.iter().all(u8::is_ascii_whitespace))
            .map(|(i, l)| {
                serde_json::from_slice(l)
                    .map(|v| (i + 1, v))
                    .map_err(|e| UploadError::Unreadable(format!("NDJSON line {}: {e}", i + 1)))
            })
            .collect(),
        other => Err(UploadError::Unsupported(format!(
            "'{other}': send application/json, text/csv (header row; UTF-8 or GBK), an XLSX workbook ({}) or application/x-ndjson",
            super::spreadsheet::XLSX
        ))),
    }
}

fn text_field<'a>(v: &'a Value, f: &str) -> Option<&'a str> {
    v.get(f)
        .and_then(|x| x.as_str())
        .map(str::trim)
        .filter(|s| !s.is_empty())
}

fn need<'a>(v: &'a Value, f: &str, at: &str, errors: &mut Vec<Violation>) -> Option<&'a str> {
    let got = text_field(v, f);
    if got.is_none() {
        errors.push(match v.get(f) {
            // Amounts and dates travel as strings: a JSON number is not exact, so it is refused as such.
            Some(x) if !x.is_null() && !x.is_string() => Violation::new(
                format!("{at}{f}"),
                "type",
                format!("{f} must be a string (amounts as decimal strings like \"1234.56\", dates as \"YYYY-MM-DD\"), not {x}"),
            ),
            _ => Violation::new(format!("{at}{f}"), "required", format!("{f} is required")),
        });
    }
    got
}

/// An amount as a ledger writes it (`1,234.56`, `1234.56元`).
fn money_field(v: &Value, f: &str, at: &str, errors: &mut Vec<Violation>) -> Option<Money> {
    let s = need(v, f, at, errors)?;
    positive_money(&format!("{at}{f}"), f, &super::spreadsheet::amount(s))
        .map_err(|v| errors.push(v))
        .ok()
}

/// A date as a ledger writes it ([`super::spreadsheet::date`]).
fn date_field(v: &Value, f: &str, at: &str, errors: &mut Vec<Violation>) -> Option<NaiveDate> {
    let s = need(v, f, at, errors)?;
    super::spreadsheet::date(s)
        .ok_or_else(|| date_fault(&format!("{at}{f}"), f, s))
        .map_err(|v| errors.push(v))
        .ok()
}

fn date_fault(field: &str, name: &str, s: &str) -> Violation {
    Violation::new(
        field,
        "date.format",
        format!("{name} '{s}' is not a date (2026-01-01, 2026/1/1, 2026年1月1日 or an Excel date)"),
    )
}

/// One guarantee contract as it is sent (every value a string; `first_loan` may be a boolean).
/// The names are [`CONTRACT_FIELDS`].
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // the wire shape for the document; rows are read field by field to name every fault
pub struct ContractInput {
    /// The agency's own contract number, unique per agency.
    contract_no: String,
    /// The borrower's USCC (registered with the hub).
    #[schema(pattern = r"^[0-9A-HJ-NPQRTUWXY]{18}$")]
    firm_uscc: String,
    /// The lending bank, in words.
    lender: String,
    /// Yuan, decimal string.
    loan_amount: String,
    /// Yuan, decimal string, not above loan_amount.
    guaranteed: String,
    /// Yearly fee rate as a decimal fraction from 0 to 0.1.
    fee_rate: String,
    /// YYYY-MM-DD.
    start_on: String,
    /// YYYY-MM-DD, after start_on (the interval is [start_on, end_on)).
    end_on: String,
    /// Whether the loan is the firm's first (首贷).
    first_loan: Option<bool>,
}

/// The columns of a guarantee contract (JSON fields, CSV header names, NDJSON keys).
pub const CONTRACT_FIELDS: &[&str] = &[
    "contract_no",
    "firm_uscc",
    "lender",
    "loan_amount",
    "guaranteed",
    "fee_rate",
    "start_on",
    "end_on",
    "first_loan",
];
/// One claim line as it is sent: [`CLAIM_LINE_FIELDS`].
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)] // the wire shape for the document; lines are read field by field to name every fault
pub struct ClaimLineInput {
    /// The agency's contract number.
    contract_no: String,
    /// YYYY-MM-DD: the claimed period is [from, to).
    from: String,
    /// YYYY-MM-DD, after from.
    to: String,
    /// Yuan, decimal string: the subsidy claimed for the period.
    claimed: String,
}

/// A claim batch as JSON.
#[derive(Debug, utoipa::ToSchema)]
#[allow(dead_code)]
pub struct ClaimBatchInput {
    /// The fee-subsidy policy claimed under (or `?policy_id=`).
    policy_id: Option<String>,
    lines: Vec<ClaimLineInput>,
}

/// The columns of a claim line.
pub const CLAIM_LINE_FIELDS: &[&str] = &["contract_no", "from", "to", "claimed"];

/// Every field of `v` that is not one of `known` (a misspelt column would otherwise be dropped silently).
pub fn unknown_fields(v: &Value, known: &[&str], at: &str, errors: &mut Vec<Violation>) {
    match v.as_object() {
        Some(o) => errors.extend(o.keys().filter(|k| !known.contains(&k.as_str())).map(|k| {
            Violation::new(
                format!("{at}{k}"),
                "field.unknown",
                format!("unknown field '{k}'; the fields are {}", known.join(", ")),
            )
        })),
        None => errors.push(Violation::new(
            match at.trim_end_matches([' ', ':']) {
                "" => "body",
                line => line,
            },
            "type",
            format!("expected an object with the fields {}", known.join(", ")),
        )),
    }
}

/// A CSV header row naming a column that is not one of `known`: refused by its name.
fn unknown_columns(headers: &csv::StringRecord, known: &[&str]) -> Result<(), UploadError> {
    let errors: Vec<Violation> = headers
        .iter()
        .filter(|h| !known.contains(h))
        .map(|h| {
            Violation::new(
                format!("line 1: {h}"),
                "column.unknown",
                format!("unknown column '{h}'; the columns are {}", known.join(", ")),
            )
        })
        .collect();
    if errors.is_empty() {
        Ok(())
    } else {
        Err(UploadError::Invalid(errors))
    }
}

/// One contract from a JSON object of strings; every fault added to `errors` under `at` (`rows[3].`).
pub fn contract_row(
    at_time: chrono::NaiveDateTime,
    v: &Value,
    agency: &str,
    at: &str,
    errors: &mut Vec<Violation>,
) -> Option<GuaranteeRow> {
    let before = errors.len();
    unknown_fields(v, CONTRACT_FIELDS, at, errors);
    let no = need(v, "contract_no", at, errors).map(str::to_string);
    let firm = need(v, "firm_uscc", at, errors).and_then(|u| {
        uscc(&format!("{at}firm_uscc"), u)
            .map(|u| u.to_string())
            .map_err(|v| errors.push(v))
            .ok()
    });
    let lender = need(v, "lender", at, errors).map(str::to_string);
    let loan = money_field(v, "loan_amount", at, errors);
    let g = money_field(v, "guaranteed", at, errors);
    let fee = need(v, "fee_rate", at, errors).and_then(|s| match super::spreadsheet::rate(s) {
        Some(d) if d >= Decimal::ZERO && d <= Decimal::new(1, 1) => Some(d),
        _ => {
            errors.push(Violation::new(
                format!("{at}fee_rate"),
                "rate.range",
                format!(
                    "fee_rate '{s}' must be a fraction from 0 to 0.1 (or a percentage up to 10%)"
                ),
            ));
            None
        }
    });
    let start = date_field(v, "start_on", at, errors);
    let end = date_field(v, "end_on", at, errors);
    if let (Some(s), Some(e)) = (start, end) {
        if e <= s {
            errors.push(Violation::new(
                format!("{at}end_on"),
                "range.order",
                "end_on must be after start_on (the interval is [start_on, end_on))",
            ));
        }
    }
    if let (Some(l), Some(g)) = (loan, g) {
        if g > l {
            errors.push(Violation::new(
                format!("{at}guaranteed"),
                "range.order",
                "guaranteed is above loan_amount",
            ));
        }
    }
    let first_loan = match v.get("first_loan") {
        None | Some(Value::Null) => false,
        Some(Value::Bool(b)) => *b,
        Some(Value::String(s)) if super::spreadsheet::yes_no(s).is_some() => {
            super::spreadsheet::yes_no(s) == Some(true)
        }
        Some(other) => {
            errors.push(Violation::new(
                format!("{at}first_loan"),
                "type",
                format!("first_loan must be true or false, not {other}"),
            ));
            false
        }
    };
    if errors.len() > before {
        return None;
    }
    Some(GuaranteeRow {
        id: uuid::Uuid::now_v7().to_string(),
        agency_id: agency.to_string(),
        contract_no: no?,
        firm_uscc: firm?,
        lender: lender?,
        loan_amount_fen: loan?.fen(),
        guaranteed_fen: g?.fen(),
        fee_rate: fee?.normalize().to_string(),
        start_on: start?,
        end_on: end?,
        released_on: None,
        called_on: None,
        compensation_fen: None,
        application_id: None,
        first_loan,
        created_at: at_time,
    })
}

/// Claim lines from CSV (`contract_no,from,to,claimed`, header row), every bad cell named by its line.
fn csv_claim_lines(
    body: &[u8],
    errors: &mut Vec<Violation>,
) -> Result<Vec<Submitted>, UploadError> {
    let (mut r, headers) =
        csv_with_header(body, CLAIM_LINE_FIELDS, super::spreadsheet::CLAIM_HEADERS)?;
    let col = |name: &str| headers.iter().position(|h| h == name);
    let (Some(ci), Some(fi), Some(ti), Some(ki)) =
        (col("contract_no"), col("from"), col("to"), col("claimed"))
    else {
        return Err(UploadError::invalid(
            "body",
            "csv.columns",
            "the header row needs the columns contract_no, from, to, claimed",
        ));
    };
    let mut rec = csv::StringRecord::new();
    let mut out = Vec::new();
    let mut n = 0;
    loop {
        match r.read_record(&mut rec) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => return Err(UploadError::Unreadable(format!("CSV: {e}"))),
        }
        n += 1;
        let line = rec.position().map_or(n + 1, |p| p.line() as usize);
        let get = |i: usize| rec.get(i).unwrap_or("");
        let before = errors.len();
        let no = get(ci);
        if no.is_empty() {
            errors.push(Violation::new(
                format!("line {line}: contract_no"),
                "required",
                "contract_no is required",
            ));
        }
        let date = |i: usize, f: &str, errors: &mut Vec<Violation>| {
            get(i)
                .parse::<NaiveDate>()
                .ok()
                .or_else(|| super::spreadsheet::date(get(i)))
                .ok_or_else(|| errors.push(date_fault(&format!("line {line}: {f}"), f, get(i))))
                .ok()
        };
        let from = date(fi, "from", errors);
        let to = date(ti, "to", errors);
        let claimed = Money::parse_non_negative(&super::spreadsheet::amount(get(ki)))
            .map_err(|e| {
                errors.push(Violation::new(
                    format!("line {line}: claimed"),
                    e.rule(),
                    format!("claimed '{}' {e}", get(ki)),
                ))
            })
            .ok();
        let no = (!no.is_empty()).then(|| no.to_string());
        out.extend(claim_line(line, n, (no, from, to, claimed), before, errors));
        if errors.len() > 1000 {
            errors.push(Violation::new(
                "body",
                "errors.too_many",
                "more than 1,000 faults; fix these and send the batch again",
            ));
            break;
        }
    }
    Ok(out)
}

/// A claim line's parts as read from file line `line` (`None` where a fault was noted), its period
/// checked ([from, to) in order): the line when no fault was added since `before`.
fn claim_line(
    line: usize,
    line_no: usize,
    parts: (
        Option<String>,
        Option<NaiveDate>,
        Option<NaiveDate>,
        Option<Money>,
    ),
    before: usize,
    errors: &mut Vec<Violation>,
) -> Option<Submitted> {
    let (no, from, to, claimed) = parts;
    if from.zip(to).is_some_and(|(f, t)| t <= f) {
        errors.push(Violation::new(
            format!("line {line}: to"),
            "range.order",
            "to must be after from (the period is [from, to))",
        ));
    }
    if errors.len() > before {
        return None;
    }
    Some(Submitted {
        line_no,
        contract_no: no?,
        from: from?,
        to: to?,
        claimed: claimed?,
    })
}

fn parse_lines(rows: &[(usize, Value)], errors: &mut Vec<Violation>) -> Vec<Submitted> {
    let mut out = Vec::new();
    for (n, (line, v)) in rows.iter().enumerate() {
        let at = format!("line {line}: ");
        let before = errors.len();
        unknown_fields(v, CLAIM_LINE_FIELDS, &at, errors);
        let no = need(v, "contract_no", &at, errors).map(str::to_string);
        let from = date_field(v, "from", &at, errors);
        let to = date_field(v, "to", &at, errors);
        let claimed =
            need(v, "claimed", &at, errors).and_then(|s| match Money::parse_non_negative(s) {
                Ok(m) => Some(m),
                Err(e) => {
                    errors.push(Violation::new(
                        format!("{at}claimed"),
                        e.rule(),
                        format!("claimed '{s}' {e}"),
                    ));
                    None
                }
            });
        out.extend(claim_line(
            *line,
            n + 1,
            (no, from, to, claimed),
            before,
            errors,
        ));
    }
    out
}

/// A claim batch's policy and lines from its body: JSON `{"policy_id", "lines"}`, or CSV / NDJSON lines
/// with `?policy_id=`; every fault named at once.
pub fn claim_batch(
    kind: &str,
    body: &[u8],
    query_policy: Option<String>,
) -> Result<(String, Vec<Submitted>), UploadError> {
    let mut errors = Vec::new();
    let (policy_id, lines) = match kind {
        "application/json" => {
            let v: Value = serde_json::from_slice(body)
                .map_err(|e| UploadError::Unreadable(format!("the body is not valid JSON: {e}")))?;
            unknown_fields(&v, &["policy_id", "lines"], "", &mut errors);
            let pid = text_field(&v, "policy_id")
                .map(str::to_string)
                .or(query_policy);
            let rows: Vec<(usize, Value)> = v
                .get("lines")
                .and_then(|l| l.as_array())
                .ok_or_else(|| UploadError::invalid("lines", "required", "lines: the claim lines"))?
                .iter()
                .enumerate()
                .map(|(i, l)| (i + 1, l.clone()))
                .collect();
            (pid, parse_lines(&rows, &mut errors))
        }
        // The large batches come as CSV: read straight into claim lines.
        "text/csv" => (query_policy, csv_claim_lines(body, &mut errors)?),
        _ => (
            query_policy,
            parse_lines(
                &rows_of(
                    kind,
                    body,
                    CLAIM_LINE_FIELDS,
                    super::spreadsheet::CLAIM_HEADERS,
                )?,
                &mut errors,
            ),
        ),
    };
    let policy_id = policy_id.ok_or_else(|| {
        UploadError::invalid(
            "policy_id",
            "required",
            "policy_id: the policy claimed under",
        )
    })?;
    // An empty batch is refused by `service::claims::submit`.
    if !errors.is_empty() {
        return Err(UploadError::Invalid(errors));
    }
    Ok((policy_id, lines))
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn properties<T: utoipa::PartialSchema>() -> Vec<String> {
        use utoipa::openapi::{schema::Schema, RefOr};
        match T::schema() {
            RefOr::T(Schema::Object(o)) => o.properties.keys().cloned().collect(),
            _ => panic!("not an object schema"),
        }
    }

    #[test]
    fn documented_fields_are_the_fields_read() {
        let sorted = |v: &[&str]| {
            let mut v: Vec<String> = v.iter().map(|f| f.to_string()).collect();
            v.sort();
            v
        };
        let mut documented = properties::<ContractInput>();
        documented.sort();
        assert_eq!(documented, sorted(CONTRACT_FIELDS));
        let mut documented = properties::<ClaimLineInput>();
        documented.sort();
        assert_eq!(documented, sorted(CLAIM_LINE_FIELDS));
    }

    #[test]
    fn a_repeated_contract_names_both_lines() {
        let body =
            b"contract_no,firm_uscc,lender,loan_amount,guaranteed,fee_rate,start_on,end_on\n\
G-1,91310101MA1003FYBL,Bank A,100000,80000,0.01,2026-01-01,2027-01-01\n\
G-1,91310101MA1003FYBL,Bank A,100000,80000,0.01,2026-01-01,2027-01-01\n";
        let at = chrono::NaiveDate::from_ymd_opt(2026, 1, 1)
            .and_then(|d| d.and_hms_opt(0, 0, 0))
            .unwrap();
        let read = contracts("text/csv", body, "agency-1", at).unwrap();
        let v = &read.faults;
        assert_eq!(v.len(), 1);
        assert_eq!(v[0].field, "line 3: contract_no");
        assert!(v[0].message.contains("first on line 2"), "{}", v[0].message);
        // The first stays to be checked against the database; the repeat is left out.
        assert_eq!(read.rows.len(), 1);
        assert_eq!(read.rows[0].0, 2);
    }

    #[test]
    fn unknown_fields_are_named() {
        let mut errors = Vec::new();
        unknown_fields(
            &json!({"contract_no": "G-1", "colour": "blue"}),
            CONTRACT_FIELDS,
            "line 2: ",
            &mut errors,
        );
        assert_eq!(errors.len(), 1);
        assert_eq!(errors[0].field, "line 2: colour");
        assert_eq!(errors[0].rule, "field.unknown");
    }
}
