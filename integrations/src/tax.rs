//! Tax bureau, bank-tax interaction (银税互动) feed: one record per taxpayer and tax period.
//! Field names are the bureau's pinyin abbreviations; amounts are yuan strings. See `tax/README.md`.

use crate::{month_dash, CanonicalRow};
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Nsxx {
    /// 记录ID
    pub jlid: String,
    /// 纳税人识别号 (the USCC)
    pub nsrsbh: String,
    /// 所属期 YYYYMM
    pub ssq: String,
    /// 缴纳税额: tax paid
    pub jnse: String,
    /// 开票金额: invoiced revenue
    pub kpje: String,
    /// 欠税金额: arrears outstanding
    pub qsje: String,
    /// 纳税信用等级 A/B/M/C/D, present on the December record of each year
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub xydj: Option<String>,
    /// 评价年度 of the grade
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pjnd: Option<String>,
}

pub fn map(r: Nsxx) -> Vec<CanonicalRow> {
    let period = month_dash(&r.ssq);
    let mut out = vec![
        CanonicalRow::periodic(&r.nsrsbh, "tax_paid", &period, r.jnse, &r.jlid),
        CanonicalRow::periodic(&r.nsrsbh, "invoiced_revenue", &period, r.kpje, &r.jlid),
        CanonicalRow::periodic(&r.nsrsbh, "tax_arrears", &period, r.qsje, &r.jlid),
    ];
    if let (Some(grade), Some(year)) = (r.xydj, r.pjnd) {
        out.push(CanonicalRow::periodic(
            &r.nsrsbh,
            "tax_grade",
            &year,
            grade,
            &r.jlid,
        ));
    }
    out
}
