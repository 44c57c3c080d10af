//! Social-insurance agency (社保) feed: one record per employer unit and statistical month.
//! See `social_insurance/README.md`.

use crate::CanonicalRow;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Jfjl {
    /// 记录号
    pub id: String,
    /// 单位统一社会信用代码
    pub dwtyxydm: String,
    /// 统计年月 YYYY-MM
    pub tjny: String,
    /// 参保人数: persons insured
    pub cbrs: i64,
    /// 实缴金额: contributions paid, yuan
    pub sjje: String,
    /// 欠缴月数: months in arrears
    pub qjys: i64,
}

pub fn map(r: Jfjl) -> Vec<CanonicalRow> {
    vec![
        CanonicalRow::periodic(
            &r.dwtyxydm,
            "insured_headcount",
            &r.tjny,
            r.cbrs.to_string(),
            &r.id,
        ),
        CanonicalRow::periodic(&r.dwtyxydm, "contributions_paid", &r.tjny, r.sjje, &r.id),
        CanonicalRow::periodic(
            &r.dwtyxydm,
            "si_arrears_months",
            &r.tjny,
            r.qjys.to_string(),
            &r.id,
        ),
    ]
}
