//! What an agency's back office makes, read as the upload readers take it (issue 17): CSV saved by Excel
//! on Chinese Windows (GB18030/GBK, or UTF-8 with a byte-order mark), XLSX workbooks (the first sheet or
//! a named one, through `calamine`), header names in English or in the ledger's Chinese terms (one table
//! per upload kind, below), dates as `2026-01-01`, `2026/1/1`, `2026年1月1日` or Excel serial numbers,
//! amounts with thousands separators, `元` or `¥`, and fee rates as fractions or percentages.
//!
//! An XLSX sheet becomes CSV text with its header row, so a fault's "line N" is the sheet's row N.

use super::uploads::UploadError;
use chrono::NaiveDate;
use rust_decimal::Decimal;
use std::borrow::Cow;

/// The media type of an XLSX workbook.
pub const XLSX: &str = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet";

/// Header names of a guarantee-contract ledger: (name as written, column).
pub const CONTRACT_HEADERS: &[(&str, &str)] = &[
    ("合同编号", "contract_no"),
    ("担保合同编号", "contract_no"),
    ("合同号", "contract_no"),
    ("统一社会信用代码", "firm_uscc"),
    ("社会信用代码", "firm_uscc"),
    ("信用代码", "firm_uscc"),
    ("贷款银行", "lender"),
    ("合作银行", "lender"),
    ("放款银行", "lender"),
    ("债权人", "lender"),
    ("贷款金额", "loan_amount"),
    ("借款金额", "loan_amount"),
    ("主债权金额", "loan_amount"),
    ("担保金额", "guaranteed"),
    ("在保金额", "guaranteed"),
    ("保费费率", "fee_rate"),
    ("担保费率", "fee_rate"),
    ("费率", "fee_rate"),
    ("起始日", "start_on"),
    ("起始日期", "start_on"),
    ("担保起始日", "start_on"),
    ("开始日期", "start_on"),
    ("到期日", "end_on"),
    ("到期日期", "end_on"),
    ("担保到期日", "end_on"),
    ("结束日期", "end_on"),
    ("是否首贷", "first_loan"),
    ("首贷", "first_loan"),
];

/// Header names of a claim batch.
pub const CLAIM_HEADERS: &[(&str, &str)] = &[
    ("合同编号", "contract_no"),
    ("担保合同编号", "contract_no"),
    ("合同号", "contract_no"),
    ("起始日", "from"),
    ("开始日期", "from"),
    ("补贴起始日", "from"),
    ("期间起始日", "from"),
    ("截止日", "to"),
    ("到期日", "to"),
    ("结束日期", "to"),
    ("补贴截止日", "to"),
    ("期间截止日", "to"),
    ("申请金额", "claimed"),
    ("申报金额", "claimed"),
    ("申请补贴金额", "claimed"),
    ("补贴金额", "claimed"),
];

/// Columns a ledger carries for people that the hub does not read: accepted and left aside.
pub const INFORMATIONAL: &[&str] = &[
    "序号",
    "单位名称",
    "企业名称",
    "借款人名称",
    "备注",
    "firm_name",
    "note",
];

/// What a header names: `Some(column)` (its own name when it is one of `known`), `Some("")` for an
/// informational column left aside, `None` for an unknown name.
pub fn column<'a>(
    header: &'a str,
    known: &[&'a str],
    aliases: &[(&str, &'a str)],
) -> Option<&'a str> {
    let h = header.trim();
    if let Some(k) = known.iter().find(|k| **k == h) {
        return Some(k);
    }
    if let Some((_, c)) = aliases.iter().find(|(a, _)| *a == h) {
        return Some(c);
    }
    INFORMATIONAL.contains(&h).then_some("")
}

/// The body as UTF-8: a byte-order mark dropped; text that is not UTF-8 read as GB18030 (the superset
/// of GBK and GB2312 that Excel on Chinese Windows writes). `charset` (from the Content-Type) forces it.
pub fn utf8<'a>(body: &'a [u8], charset: Option<&str>) -> Result<Cow<'a, [u8]>, UploadError> {
    let forced = charset.map(|c| c.trim().to_ascii_lowercase());
    let gb = |b: &[u8]| {
        let (text, _, bad) = encoding_rs::GB18030.decode(b);
        if bad {
            Err(UploadError::Unreadable(
                "the file is neither UTF-8 nor GB18030/GBK text".into(),
            ))
        } else {
            Ok(Cow::Owned(text.into_owned().into_bytes()))
        }
    };
    match forced.as_deref() {
        Some("gbk" | "gb2312" | "gb18030" | "x-gbk") => gb(body),
        Some(other) if other != "utf-8" && other != "utf8" => Err(UploadError::Unsupported(
            format!("charset '{other}': send UTF-8 or GB18030/GBK"),
        )),
        _ => {
            let b = body.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(body);
            if std::str::from_utf8(b).is_ok() {
                Ok(Cow::Borrowed(b))
            } else if forced.is_some() {
                Err(UploadError::Unreadable("the file is not UTF-8 text".into()))
            } else {
                gb(b)
            }
        }
    }
}

/// A sheet of an XLSX workbook (the first, or the one named) as CSV text with its header row: text as
/// written, whole numbers without decimals, dates as `YYYY-MM-DD`.
pub fn xlsx_as_csv(body: &[u8], sheet: Option<&str>) -> Result<Vec<u8>, UploadError> {
    use calamine::{Data, Reader};
    let mut wb: calamine::Xlsx<_> = calamine::open_workbook_from_rs(std::io::Cursor::new(body))
        .map_err(|e| UploadError::Unreadable(format!("not an XLSX workbook: {e}")))?;
    let names = wb.sheet_names();
    let name = match sheet {
        Some(s) => names
            .iter()
            .find(|n| n.as_str() == s)
            .cloned()
            .ok_or_else(|| {
                UploadError::Unreadable(format!(
                    "no sheet '{s}' in the workbook; its sheets are {}",
                    names.join(", ")
                ))
            })?,
        None => names
            .first()
            .cloned()
            .ok_or_else(|| UploadError::Unreadable("the workbook has no sheet".into()))?,
    };
    let range = wb
        .worksheet_range(&name)
        .map_err(|e| UploadError::Unreadable(format!("sheet '{name}': {e}")))?;
    let mut w = csv::Writer::from_writer(Vec::new());
    // Rows from the sheet's first row, so that a row's number is its line.
    let first_row = range.start().map_or(0, |(r, _)| r);
    for _ in 0..first_row {
        w.write_record([""])
            .map_err(|e| UploadError::Unreadable(e.to_string()))?;
    }
    for row in range.rows() {
        let cells: Vec<String> = row
            .iter()
            .map(|c| match c {
                Data::Empty => String::new(),
                Data::String(s) => s.trim().to_string(),
                Data::Int(i) => i.to_string(),
                Data::Float(f) if f.fract() == 0.0 && f.abs() < 1e15 => format!("{}", *f as i64),
                Data::Float(f) => Decimal::try_from(*f)
                    .map(|d| d.normalize().to_string())
                    .unwrap_or_else(|_| f.to_string()),
                Data::Bool(b) => b.to_string(),
                Data::DateTime(d) => serial_date(d.as_f64())
                    .map(|d| d.to_string())
                    .unwrap_or_else(|| d.as_f64().to_string()),
                Data::DateTimeIso(s) | Data::DurationIso(s) => s.chars().take(10).collect(),
                Data::Error(e) => format!("#{e:?}"),
            })
            .collect();
        w.write_record(&cells)
            .map_err(|e| UploadError::Unreadable(e.to_string()))?;
    }
    w.into_inner()
        .map_err(|e| UploadError::Unreadable(e.to_string()))
}

/// An Excel serial date (days since 1899-12-30, the 1900 date system) as a date.
fn serial_date(days: f64) -> Option<NaiveDate> {
    if !(1.0..2_958_466.0).contains(&days) {
        return None;
    }
    NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(days.floor() as u64))
}

/// A date as people write it: `2026-01-01`, `2026/1/1`, `2026.1.1`, `2026年1月1日`, or an Excel serial
/// number (`46023`); `None` otherwise.
pub fn date(s: &str) -> Option<NaiveDate> {
    let s = s.trim();
    if let Ok(d) = s.parse::<NaiveDate>() {
        return Some(d);
    }
    // Five digits: a serial from 1927 to 2173 (a bare year is not a date).
    if s.len() == 5 && s.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<f64>().ok().and_then(serial_date);
    }
    let parts: Vec<&str> = s
        .trim_end_matches('日')
        .split(['-', '/', '.', '年', '月'])
        .map(str::trim)
        .collect();
    match parts.as_slice() {
        [y, m, d] if y.len() == 4 => {
            NaiveDate::from_ymd_opt(y.parse().ok()?, m.parse().ok()?, d.parse().ok()?)
        }
        _ => None,
    }
}

/// An amount as people write it, as the decimal the readers take: thousands separators, `元`, `¥` and
/// spaces dropped (borrowed when there is nothing to drop).
pub fn amount(s: &str) -> Cow<'_, str> {
    if s.bytes()
        .all(|b| b.is_ascii_digit() || b == b'.' || b == b'-')
    {
        return Cow::Borrowed(s);
    }
    Cow::Owned(
        s.chars()
            .filter(|c| !matches!(c, ',' | '，' | '元' | '¥' | '￥' | ' ' | '\u{3000}'))
            .collect(),
    )
}

/// A fee rate as a fraction: `0.012`, or a percentage `1.2%`.
pub fn rate(s: &str) -> Option<Decimal> {
    let s = s.trim();
    match s.strip_suffix(['%', '％']) {
        Some(p) => p
            .trim()
            .parse::<Decimal>()
            .ok()
            .map(|d| d / Decimal::ONE_HUNDRED),
        None => s.parse().ok(),
    }
}

/// Yes or no as a ledger writes it.
pub fn yes_no(s: &str) -> Option<bool> {
    match s.trim() {
        "true" | "是" | "Y" | "y" | "1" => Some(true),
        "false" | "否" | "N" | "n" | "0" | "" => Some(false),
        _ => None,
    }
}

/// The fault report of a refused upload: the agency's own rows as they were read (header and cells),
/// each on the sheet row whose number its faults cite ("line N" is row N), with a last column saying
/// every fault of that row; faults that name no line (or line 1, the header) stand beside the header.
pub fn fault_report(
    csv_utf8: &[u8],
    faults: &[super::Violation],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let mut by_line: std::collections::BTreeMap<usize, Vec<String>> = Default::default();
    for f in faults {
        let line = super::uploads::fault_line(f);
        by_line
            .entry(line.max(1))
            .or_default()
            .push(format!("{}: {}", f.field, f.message));
    }
    let bold = Format::new().set_bold();
    let bad = Format::new().set_font_color("#A4161A").set_text_wrap();
    let mut wb = Workbook::new();
    let s = wb.add_worksheet();
    s.set_name("核对结果")?;
    let mut r = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(csv_utf8);
    let mut width = 0u16;
    let mut rows: Vec<(u32, Vec<String>)> = Vec::new();
    for rec in r.records().flatten() {
        let line = rec.position().map_or(1, |p| p.line()) as u32;
        let cells: Vec<String> = rec.iter().map(str::to_string).collect();
        width = width.max(cells.len() as u16);
        rows.push((line, cells));
    }
    for (line, cells) in &rows {
        let row = line - 1;
        for (c, v) in cells.iter().enumerate() {
            if row == 0 {
                s.write_with_format(row, c as u16, v, &bold)?;
            } else {
                s.write(row, c as u16, v)?;
            }
        }
    }
    s.write_with_format(0, width, "问题 Faults", &bold)?;
    s.set_column_width(width, 60)?;
    for (line, said) in &by_line {
        let row = (*line as u32).saturating_sub(1);
        let text = said.join("\n");
        if row == 0 {
            s.write_with_format(0, width + 1, text, &bad)?;
        } else {
            s.write_with_format(row, width, text, &bad)?;
        }
    }
    s.set_freeze_panes(1, 0)?;
    wb.save_to_buffer()
}

/// A bulk profile query's answers as a workbook (issue 17): one row per USCC asked, in the order asked —
/// the result (`ok`, `withheld`, `not_found`), score, grade, the month the profile ends with, the consent
/// it was read under, and for the others the rule and the reason.
pub fn bulk_profiles(
    items: &[super::profiles::BulkItem],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use super::profiles::BulkItem;
    use rust_xlsxwriter::{Format, Workbook};
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();
    let s = wb.add_worksheet();
    s.set_name("画像 Profiles")?;
    let head = [
        "统一社会信用代码 USCC",
        "结果 result",
        "评分 score",
        "等级 grade",
        "数据截至 as_of",
        "授权 consent",
        "规则 rule",
        "原因 reason",
    ];
    for (c, h) in head.iter().enumerate() {
        s.write_with_format(0, c as u16, *h, &bold)?;
    }
    for (i, item) in items.iter().enumerate() {
        let r = i as u32 + 1;
        match item {
            BulkItem::Ok {
                uscc,
                consent_id,
                profile,
            } => {
                s.write(r, 0, uscc.as_str())?;
                s.write(r, 1, "ok")?;
                if let Some(score) = profile["score"].as_i64() {
                    s.write(r, 2, score as f64)?;
                }
                s.write(r, 3, profile["grade"].as_str().unwrap_or(""))?;
                s.write(r, 4, profile["as_of"].as_str().unwrap_or(""))?;
                s.write(r, 5, consent_id.as_deref().unwrap_or(""))?;
            }
            BulkItem::Withheld { uscc, rule, reason }
            | BulkItem::NotFound { uscc, rule, reason } => {
                let result = match item {
                    BulkItem::Withheld { .. } => "withheld",
                    _ => "not_found",
                };
                s.write(r, 0, uscc.as_str())?;
                s.write(r, 1, result)?;
                s.write(r, 6, rule.as_str())?;
                s.write(r, 7, reason.as_str())?;
            }
        }
    }
    s.set_column_width(0, 24)?;
    s.set_column_width(5, 38)?;
    s.set_column_width(7, 60)?;
    wb.save_to_buffer()
}

/// Issue 19: the validation of each card as a workbook: a summary sheet (one row per card), and per
/// card its bad rates by grade and by score band, its calibration and its stability (PSI, CSI).
pub fn validation_workbook(
    items: &[crate::domain::scorecard::validation::Validation],
) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    use rust_xlsxwriter::{Format, Workbook};
    let bold = Format::new().set_bold();
    let mut wb = Workbook::new();
    let s = wb.add_worksheet();
    s.set_name("汇总 Summary")?;
    let head = [
        "评分卡 scorecard",
        "贷款 loans",
        "坏 bad",
        "好 good",
        "未定 indeterminate",
        "AUC",
        "Gini",
        "KS",
        "PSI",
        "提示 flags",
    ];
    for (c, h) in head.iter().enumerate() {
        s.write_string_with_format(0, c as u16, *h, &bold)?;
    }
    for (r, v) in items.iter().enumerate() {
        let r = r as u32 + 1;
        s.write_string(r, 0, &v.version)?;
        s.write_number(r, 1, v.loans as f64)?;
        s.write_number(r, 2, v.bad as f64)?;
        s.write_number(r, 3, v.good as f64)?;
        s.write_number(r, 4, v.indeterminate as f64)?;
        if let Some(k) = &v.ranking {
            s.write_number(r, 5, k.auc)?;
            s.write_number(r, 6, k.gini)?;
            s.write_number(r, 7, k.ks)?;
        }
        if let Some(p) = v.stability.psi {
            s.write_number(r, 8, p)?;
        }
        s.write_string(r, 9, v.flags.join(" "))?;
    }
    for (k, v) in items.iter().enumerate() {
        let s = wb.add_worksheet();
        // Sheet names hold at most 31 characters and no brackets.
        let name: String = format!("{} {}", k + 1, v.version)
            .chars()
            .take(31)
            .collect();
        s.set_name(name.replace(['[', ']', ':', '*', '?', '/', '\\'], "_"))?;
        let mut row = 0u32;
        let tables = [
            ("按等级 by grade", &v.by_grade),
            ("按分段 by score band", &v.by_band),
            ("校准 calibration", &v.calibration),
        ];
        for (title, rows) in tables {
            s.write_string_with_format(row, 0, title, &bold)?;
            row += 1;
            for (c, h) in [
                "组 group",
                "贷款 loans",
                "坏 bad",
                "坏账率 bad rate",
                "下限 CI low",
                "上限 CI high",
                "预测 predicted",
            ]
            .iter()
            .enumerate()
            {
                s.write_string_with_format(row, c as u16, *h, &bold)?;
            }
            row += 1;
            for x in rows.iter() {
                s.write_string(row, 0, &x.label)?;
                s.write_number(row, 1, x.loans as f64)?;
                s.write_number(row, 2, x.bads as f64)?;
                s.write_number(row, 3, x.bad_rate)?;
                s.write_number(row, 4, x.ci_low)?;
                s.write_number(row, 5, x.ci_high)?;
                if let Some(p) = x.predicted.filter(|p| p.is_finite()) {
                    s.write_number(row, 6, p)?;
                }
                row += 1;
            }
            row += 1;
        }
        s.write_string_with_format(row, 0, "稳定性 stability (CSI)", &bold)?;
        row += 1;
        for c in &v.stability.csi {
            s.write_string(row, 0, &c.indicator)?;
            s.write_number(row, 1, c.csi)?;
            row += 1;
        }
    }
    wb.save_to_buffer()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_amounts_and_rates_as_people_write_them() {
        let d = NaiveDate::from_ymd_opt(2026, 1, 1);
        for s in [
            "2026-01-01",
            "2026/1/1",
            "2026.1.1",
            "2026年1月1日",
            "46023",
            " 2026/01/01 ",
        ] {
            assert_eq!(date(s), d, "{s}");
        }
        assert_eq!(date("2026/13/1"), None);
        assert_eq!(date("1/1/2026"), None);
        assert_eq!(date("abc"), None);
        assert_eq!(amount("1,234.56元"), "1234.56");
        assert_eq!(amount("¥ 1,000"), "1000");
        assert!(matches!(amount("1234.56"), Cow::Borrowed(_)));
        assert_eq!(rate("1.2%"), Some(Decimal::new(12, 3)));
        assert_eq!(rate("0.012"), Some(Decimal::new(12, 3)));
        assert_eq!(yes_no("是"), Some(true));
        assert_eq!(yes_no("否"), Some(false));
        assert_eq!(yes_no("maybe"), None);
    }

    #[test]
    fn gbk_text_and_a_byte_order_mark_read_as_utf8() {
        let (gbk, _, _) = encoding_rs::GBK.encode("合同编号,担保金额\nA-1,1000\n");
        assert_eq!(
            utf8(&gbk, None).unwrap().as_ref(),
            "合同编号,担保金额\nA-1,1000\n".as_bytes()
        );
        assert_eq!(utf8(b"\xEF\xBB\xBFa,b\n", None).unwrap().as_ref(), b"a,b\n");
        assert!(utf8(b"a,b", Some("latin1")).is_err());
        assert_eq!(
            column("担保金额", &["guaranteed"], CONTRACT_HEADERS),
            Some("guaranteed")
        );
        assert_eq!(
            column("企业名称", &["guaranteed"], CONTRACT_HEADERS),
            Some("")
        );
        assert_eq!(column("金额?", &["guaranteed"], CONTRACT_HEADERS), None);
    }
}
