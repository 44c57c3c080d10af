//! Utilities (公用事业缴费) feed: one record per customer and billing month, with a line per utility type
//! (`01` electricity kWh, `02` water m³, `03` gas m³). See `utility/README.md`.

use crate::{month_dash, CanonicalRow};
use rust_decimal::Decimal;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Bill {
    pub bill_no: String,
    pub uscc: String,
    /// YYYYMM
    pub bill_month: String,
    pub lines: Vec<BillLine>,
    /// Days the month's bills were paid after their due date.
    pub overdue_days: i64,
}

#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct BillLine {
    /// 01 electricity, 02 water, 03 gas
    pub util_type: String,
    pub usage: String,
    pub amount: String,
}

pub fn map(b: Bill) -> Vec<CanonicalRow> {
    let period = month_dash(&b.bill_month);
    let mut out = Vec::new();
    let mut total = Decimal::ZERO;
    let mut total_ok = true;
    for l in &b.lines {
        let kind = match l.util_type.as_str() {
            "01" => "electricity_kwh",
            "02" => "water_m3",
            "03" => "gas_m3",
            other => other, // an unknown code goes on as an unknown kind, to be quarantined
        };
        out.push(CanonicalRow::periodic(
            &b.uscc,
            kind,
            &period,
            l.usage.clone(),
            &b.bill_no,
        ));
        match l.amount.parse::<Decimal>() {
            Ok(a) => total += a,
            Err(_) => total_ok = false,
        }
    }
    let billed = if total_ok {
        total.to_string()
    } else {
        "unreadable amount".to_string()
    };
    out.push(CanonicalRow::periodic(
        &b.uscc,
        "utility_billed",
        &period,
        billed,
        &b.bill_no,
    ));
    out.push(CanonicalRow::periodic(
        &b.uscc,
        "utility_days_late",
        &period,
        b.overdue_days.to_string(),
        &b.bill_no,
    ));
    out
}
