//! Customs enterprise credit (海关企业信用) feed: one record per enterprise and month, with its credit class
//! code (`1` advanced certified 高级认证, `2` general 一般信用, `3` dishonest 失信) and trade totals.
//! See `customs/README.md`.

use crate::CanonicalRow;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Serialize, Deserialize)]
pub struct Qyxy {
    pub id: String,
    /// 统一社会信用代码
    pub tyshxydm: String,
    /// 年月 YYYY-MM
    pub ny: String,
    /// 企业信用级别 1/2/3
    pub xyjb: String,
    /// 进口总额, yuan
    pub jkze: String,
    /// 出口总额, yuan
    pub ckze: String,
}

pub fn class_of(code: &str) -> &str {
    match code {
        "1" => "advanced_certified",
        "2" => "general",
        "3" => "dishonest",
        other => other,
    }
}

pub fn map(r: Qyxy) -> Vec<CanonicalRow> {
    vec![
        CanonicalRow::periodic(
            &r.tyshxydm,
            "customs_class",
            &r.ny,
            class_of(&r.xyjb),
            &r.id,
        ),
        CanonicalRow::periodic(&r.tyshxydm, "import_value", &r.ny, r.jkze, &r.id),
        CanonicalRow::periodic(&r.tyshxydm, "export_value", &r.ny, r.ckze, &r.id),
    ]
}
