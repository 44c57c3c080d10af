//! Public credit (公共信用) feed: dishonesty listings (`SXMD` 失信名单) and administrative penalties
//! (`XZCF` 行政处罚), each with its dates, deciding authority and, once repaired, the repair date
//! (信用修复, Art 58). See `public_credit/README.md`.

use crate::CanonicalRow;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Xyjl {
    /// 记录编号
    pub jlbh: String,
    /// 统一社会信用代码
    pub tyshxydm: String,
    /// 类型 SXMD / XZCF
    pub lx: String,
    /// 认定日期 YYYY-MM-DD
    pub rdrq: String,
    /// 截止日期 (publication end), optional
    #[serde(default)]
    pub jzrq: Option<String>,
    /// 认定机关
    pub rdjg: String,
    /// 修复日期, once repaired
    #[serde(default)]
    pub xfrq: Option<String>,
    /// 类别: the category of the hub's closed list (`tax_penalty`, `court_dishonest_debtor`, …)
    #[serde(default)]
    pub lb: Option<String>,
    /// 严重程度: `minor` (轻微), `general` (一般), `serious` (严重); listings take their category's
    #[serde(default)]
    pub yzcd: Option<String>,
    /// 法律依据: the law or rule the decision rests on
    #[serde(default)]
    pub flyj: Option<String>,
}

pub fn map(r: Xyjl) -> Vec<CanonicalRow> {
    let kind = match r.lx.as_str() {
        "SXMD" => "dishonesty_listing",
        "XZCF" => "administrative_penalty",
        other => other,
    };
    vec![CanonicalRow {
        uscc: Some(r.tyshxydm),
        kind: Some(kind.to_string()),
        record_id: Some(r.jlbh),
        start_date: Some(r.rdrq),
        end_date: r.jzrq,
        authority: Some(r.rdjg),
        repaired_on: r.xfrq,
        category: r.lb,
        severity: r.yzcd,
        legal_basis: r.flyj,
        ..Default::default()
    }]
}
