//! Government procurement (政府采购) feed: award notices (中标公告), one per awarded supplier of a
//! project — the buying department, the project's number and budget, whether it was reserved for SMEs
//! (专门面向中小企业, 财库〔2020〕46号), the supplier's USCC, the amount and the award date. Art 49 reads them.
//! See `procurement/README.md`.

use crate::CanonicalRow;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Zbgg {
    /// 项目编号 (the project's number; with the supplier, the award's key)
    pub xmbh: String,
    /// 采购人名称 (the buying department)
    pub cgrmc: String,
    /// 预算金额, yuan
    pub ysje: String,
    /// 专门面向中小企业: `1` reserved for SMEs, `0` open; absent when the notice does not say
    #[serde(default)]
    pub zxqy: Option<String>,
    /// 中标供应商统一社会信用代码
    pub gysdm: String,
    /// 中标金额, yuan
    pub zbje: String,
    /// 中标日期 YYYY-MM-DD
    pub zbrq: String,
}

pub fn map(r: Zbgg) -> Vec<CanonicalRow> {
    vec![CanonicalRow {
        uscc: Some(r.gysdm),
        kind: Some("procurement_award".into()),
        value: Some(r.zbje),
        record_id: Some(r.xmbh),
        start_date: Some(r.zbrq),
        authority: Some(r.cgrmc),
        budget: Some(r.ysje),
        reserved_for_smes: r.zxqy.map(|z| match z.as_str() {
            "1" => "true".to_string(),
            "0" => "false".to_string(),
            other => other.to_string(),
        }),
        ..Default::default()
    }]
}
