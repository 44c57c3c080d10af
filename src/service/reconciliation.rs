//! The reconciliation report of a claim batch: the batch with its totals (the sums of its lines) and
//! every line with the amount computed, approved and the caps that cut it; as views for JSON and pages,
//! and as CSV and XLSX for the agency's and the department's spreadsheets.

use crate::domain::rfc3339 as ts;
use crate::domain::subsidy::Status;
use crate::domain::Money;
use crate::store::guarantees::{BatchRow, LineRow};
use chrono::NaiveDate;
use serde::Serialize;

/// A batch's amounts: each the sum of its lines.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Totals {
    pub claimed: Money,
    pub computed: Money,
    pub approved: Money,
    pub difference: Money,
}

/// A claim batch, but for its lines.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Batch {
    pub id: String,
    pub agency_id: String,
    pub policy_id: String,
    pub idempotency_key: Option<String>,
    /// `reconciled`, `approved`, `paid`, or `withdrawn` by its agency before approval.
    pub status: crate::domain::states::BatchStatus,
    pub totals: Totals,
    pub submitted_at: String,
    pub reconciled_at: String,
    pub approved_at: Option<String>,
    pub paid_at: Option<String>,
    pub withdrawn_at: Option<String>,
    /// Where its report is.
    pub report: String,
}

impl Batch {
    fn of(b: &BatchRow) -> Self {
        Batch {
            id: b.id.clone(),
            agency_id: b.agency_id.clone(),
            policy_id: b.policy_id.clone(),
            idempotency_key: b.idempotency_key.clone(),
            status: b.status,
            totals: Totals {
                claimed: Money::from_fen(b.claimed_fen),
                computed: Money::from_fen(b.computed_fen),
                approved: Money::from_fen(b.approved_fen),
                difference: Money::from_fen(b.difference_fen),
            },
            submitted_at: ts(b.submitted_at),
            reconciled_at: ts(b.reconciled_at),
            approved_at: b.approved_at.map(ts),
            paid_at: b.paid_at.map(ts),
            withdrawn_at: b.withdrawn_at.map(ts),
            report: format!("/v1/reconciliations/{}", b.id),
        }
    }
}

/// A claim batch and how many lines it has.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct BatchView {
    #[serde(flatten)]
    pub batch: Batch,
    pub lines: i32,
}

impl BatchView {
    pub fn of(b: &BatchRow) -> Self {
        BatchView {
            batch: Batch::of(b),
            lines: b.lines,
        }
    }
}

/// The report: the batch and every line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Report {
    #[serde(flatten)]
    pub batch: Batch,
    pub lines: Vec<LineView>,
}

/// The report of a batch and its lines.
pub fn report(b: &BatchRow, lines: &[LineRow]) -> Report {
    Report {
        batch: Batch::of(b),
        lines: lines.iter().map(LineView::of).collect(),
    }
}

/// One reconciled line.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct LineView {
    pub line_no: i32,
    pub contract_no: String,
    /// The contract the line was matched to: a guarantee's id, or for an interest subsidy the loan's.
    pub guarantee_id: Option<String>,
    pub firm_uscc: Option<String>,
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub status: Status,
    pub claimed: Money,
    pub computed: Money,
    pub approved: Money,
    pub difference: Money,
    pub days: i64,
    /// The subsidy before any cap.
    pub before_caps: Money,
    /// The caps that cut it, in the order applied.
    pub caps: Vec<String>,
    pub reason: Option<String>,
    /// The borrower's size class public money relied on for the line: its class when the contract or
    /// loan started, from verified figures where the hub had them (issue 20 §8); `None` for a line of no
    /// known contract.
    pub size_class: Option<String>,
}

impl LineView {
    pub fn of(l: &LineRow) -> Self {
        LineView {
            line_no: l.line_no,
            contract_no: l.contract_no.clone(),
            guarantee_id: l.guarantee_id.clone(),
            firm_uscc: l.firm_uscc.clone(),
            from: l.from_on,
            to: l.to_on,
            status: l.status,
            claimed: Money::from_fen(l.claimed_fen),
            computed: Money::from_fen(l.computed_fen),
            approved: Money::from_fen(l.approved_fen),
            difference: Money::from_fen(l.difference_fen),
            days: l.days(),
            before_caps: Money::from_fen(l.before_caps_fen),
            caps: l
                .caps
                .split(',')
                .filter(|c| !c.is_empty())
                .map(str::to_string)
                .collect(),
            reason: l.reason.clone(),
            size_class: l.size_class.clone(),
        }
    }
}

/// The lines as CSV (UTF-8, header row; amounts in yuan).
pub fn csv(lines: &[LineRow]) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record([
        "line_no",
        "contract_no",
        "from",
        "to",
        "status",
        "claimed",
        "computed",
        "approved",
        "difference",
        "days",
        "before_caps",
        "caps",
        "reason",
        "size_class",
    ])?;
    for l in lines {
        w.write_record([
            l.line_no.to_string(),
            l.contract_no.clone(),
            l.from_on.to_string(),
            l.to_on.to_string(),
            l.status.as_str().to_string(),
            Money::from_fen(l.claimed_fen).to_string(),
            Money::from_fen(l.computed_fen).to_string(),
            Money::from_fen(l.approved_fen).to_string(),
            Money::from_fen(l.difference_fen).to_string(),
            l.days().to_string(),
            Money::from_fen(l.before_caps_fen).to_string(),
            l.caps.replace(',', " "),
            l.reason.clone().unwrap_or_default(),
            l.size_class.clone().unwrap_or_default(),
        ])?;
    }
    w.into_inner()
        .map_err(|e| csv::Error::from(std::io::Error::other(e.to_string())))
}

/// The report as a workbook: a `Summary` sheet (batch, status, totals) and a `Lines` sheet, amounts as
/// numbers formatted `#,##0.00` (yuan; exact in storage, a spreadsheet's numbers hold them to the fen).
pub fn xlsx(b: &BatchRow, lines: &[LineRow]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let yuan = |fen: i64| fen as f64 / 100.0;
    let money = Format::new().set_num_format("#,##0.00");
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();
    let s = wb.add_worksheet();
    s.set_name("Summary")?;
    s.set_column_width(0, 22)?;
    s.set_column_width(1, 40)?;
    for (r, (k, v)) in [
        ("batch", b.id.as_str()),
        ("agency", b.agency_id.as_str()),
        ("policy", b.policy_id.as_str()),
        ("status", b.status.as_str()),
    ]
    .into_iter()
    .enumerate()
    {
        s.write_with_format(r as u32, 0, k, &bold)?;
        s.write(r as u32, 1, v)?;
    }
    s.write_with_format(4, 0, "lines", &bold)?;
    s.write(4, 1, b.lines)?;
    for (i, (k, fen)) in [
        ("claimed", b.claimed_fen),
        ("computed", b.computed_fen),
        ("approved", b.approved_fen),
        ("difference", b.difference_fen),
    ]
    .into_iter()
    .enumerate()
    {
        let r = 5 + i as u32;
        s.write_with_format(r, 0, k, &bold)?;
        s.write_with_format(r, 1, yuan(fen), &money)?;
    }
    s.write_with_format(9, 0, "reconciled at", &bold)?;
    s.write(9, 1, ts(b.reconciled_at))?;
    let l = wb.add_worksheet();
    l.set_name("Lines")?;
    let head = [
        "line",
        "contract",
        "from",
        "to",
        "status",
        "claimed",
        "computed",
        "approved",
        "difference",
        "days",
        "before caps",
        "caps",
        "reason",
        "size class",
    ];
    for (c, h) in head.iter().enumerate() {
        l.write_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, x) in lines.iter().enumerate() {
        let r = i as u32 + 1;
        l.write(r, 0, x.line_no)?;
        l.write(r, 1, x.contract_no.as_str())?;
        l.write(r, 2, x.from_on.to_string())?;
        l.write(r, 3, x.to_on.to_string())?;
        l.write(r, 4, x.status.as_str())?;
        for (c, fen) in [
            x.claimed_fen,
            x.computed_fen,
            x.approved_fen,
            x.difference_fen,
        ]
        .into_iter()
        .enumerate()
        {
            l.write_with_format(r, 5 + c as u16, yuan(fen), &money)?;
        }
        l.write(r, 9, x.days() as f64)?;
        l.write_with_format(r, 10, yuan(x.before_caps_fen), &money)?;
        l.write(r, 11, x.caps.replace(',', " "))?;
        l.write(r, 12, x.reason.clone().unwrap_or_default())?;
        l.write(r, 13, x.size_class.clone().unwrap_or_default())?;
    }
    l.set_column_width(1, 16)?;
    l.set_column_width(12, 60)?;
    wb.save_to_buffer()
}
