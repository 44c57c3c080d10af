//! The statistics as files: a section as CSV (one row per value: part, table, row keys, column, value —
//! a shape any tool pivots), and sections or the yearly report as an XLSX workbook (a contents sheet, one
//! sheet per part, numbers as numbers, yuan with two decimals, shares as percentages), with the Chinese
//! names of `labels.toml`.

use super::Yearly;
use crate::domain::statistics::{Section, Unit};
use rust_decimal::prelude::ToPrimitive;
use rust_decimal::Decimal;
use std::collections::HashMap;
use std::sync::OnceLock;

/// The Chinese name of a part, figure, table or column; the key itself when it has none.
pub fn label(key: &str) -> &str {
    static LABELS: OnceLock<HashMap<String, String>> = OnceLock::new();
    let labels =
        LABELS.get_or_init(|| toml::from_str(include_str!("labels.toml")).unwrap_or_default());
    labels.get(key).map_or(key, String::as_str)
}

fn text(v: Option<Decimal>) -> String {
    v.map(|d| d.normalize().to_string()).unwrap_or_default()
}

/// CSV, UTF-8: `part,table,keys,column,value` — figures under table `figures` (with their numerator,
/// denominator, target, flag and rule as columns of their own), then every table's cells.
pub fn csv(s: &Section) -> Result<Vec<u8>, csv::Error> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(["part", "table", "keys", "column", "value"])?;
    for f in &s.figures {
        for (column, value) in [
            ("value", text(f.value)),
            ("numerator", text(f.numerator)),
            ("denominator", text(f.denominator)),
            ("target", f.target.clone().unwrap_or_default()),
            ("flag", f.flag.clone().unwrap_or_default()),
            ("rule", f.rule.clone()),
        ] {
            w.write_record([
                s.part.as_str(),
                "figures",
                f.key.as_str(),
                column,
                value.as_str(),
            ])?;
        }
    }
    for t in &s.tables {
        for r in &t.rows {
            let keys = r.keys.join("|");
            for (m, v) in t.measures.iter().zip(&r.values) {
                w.write_record([
                    s.part.as_str(),
                    t.key.as_str(),
                    keys.as_str(),
                    m.as_str(),
                    text(*v).as_str(),
                ])?;
            }
            for f in &r.flags {
                w.write_record([
                    s.part.as_str(),
                    t.key.as_str(),
                    keys.as_str(),
                    "flag",
                    f.as_str(),
                ])?;
            }
        }
    }
    w.into_inner().map_err(|e| csv::Error::from(e.into_error()))
}

/// Whether a table column holds yuan, a share or a plain number (by its name).
fn column_unit(name: &str) -> Unit {
    if name.contains("share")
        || name.ends_with("_rate")
        || name.ends_with("growth")
        || name == "coverage"
        || name == "budget_used"
        || name == "non_performing_ratio"
    {
        Unit::Share
    } else if name == "leverage" {
        Unit::Ratio
    } else if [
        "balance",
        "amount",
        "net_assets",
        "compensation_paid",
        "ended_guaranteed",
        "invoiced_revenue",
        "tax_paid",
        "small_micro",
        "all",
        "class_unknown",
        "budget",
        "approved",
        "paid",
    ]
    .iter()
    .any(|k| name == *k || name.ends_with(&format!("_{k}")) || name.starts_with(&format!("{k}_")))
    {
        Unit::Yuan
    } else {
        Unit::Count
    }
}

struct Formats {
    bold: rust_xlsxwriter::Format,
    title: rust_xlsxwriter::Format,
    yuan: rust_xlsxwriter::Format,
    share: rust_xlsxwriter::Format,
    ratio: rust_xlsxwriter::Format,
    count: rust_xlsxwriter::Format,
    flag: rust_xlsxwriter::Format,
}

impl Formats {
    fn new() -> Formats {
        use rust_xlsxwriter::{Color, Format};
        Formats {
            bold: Format::new().set_bold(),
            title: Format::new().set_bold().set_font_size(14),
            yuan: Format::new().set_num_format("#,##0.00"),
            share: Format::new().set_num_format("0.00%"),
            ratio: Format::new().set_num_format("0.00"),
            count: Format::new().set_num_format("#,##0"),
            flag: Format::new().set_font_color(Color::RGB(0xB0_1E_1E)),
        }
    }
    fn of(&self, unit: Unit) -> &rust_xlsxwriter::Format {
        match unit {
            Unit::Yuan => &self.yuan,
            Unit::Share | Unit::Growth => &self.share,
            Unit::Ratio => &self.ratio,
            Unit::Count | Unit::Days => &self.count,
        }
    }
}

type Sheet = rust_xlsxwriter::Worksheet;

fn number(
    ws: &mut Sheet,
    row: u32,
    col: u16,
    v: Option<Decimal>,
    f: &rust_xlsxwriter::Format,
) -> Result<(), rust_xlsxwriter::XlsxError> {
    if let Some(x) = v.and_then(|d| d.to_f64()) {
        ws.write_number_with_format(row, col, x, f)?;
    }
    Ok(())
}

/// Write `s` from `row` on; the next free row.
fn section_at(
    ws: &mut Sheet,
    mut row: u32,
    s: &Section,
    f: &Formats,
) -> Result<u32, rust_xlsxwriter::XlsxError> {
    ws.write_string_with_format(
        row,
        0,
        format!(
            "{} {} — {}",
            label(&s.part),
            s.from,
            s.to.pred_opt().unwrap_or(s.to)
        ),
        &f.title,
    )?;
    row += 1;
    for (i, h) in [
        "figure",
        "key",
        "value",
        "numerator",
        "denominator",
        "target",
        "flag",
        "rule",
    ]
    .iter()
    .enumerate()
    {
        ws.write_string_with_format(row, i as u16, label(h), &f.bold)?;
    }
    row += 1;
    for fig in &s.figures {
        let unit = fig.unit;
        ws.write_string(row, 0, label(&fig.key))?;
        ws.write_string(row, 1, &fig.key)?;
        number(ws, row, 2, fig.value, f.of(unit))?;
        let parts = if matches!(fig.unit, Unit::Share | Unit::Ratio | Unit::Growth) {
            &f.ratio
        } else {
            f.of(unit)
        };
        number(ws, row, 3, fig.numerator, parts)?;
        number(ws, row, 4, fig.denominator, parts)?;
        ws.write_string(row, 5, fig.target.as_deref().unwrap_or(""))?;
        if let Some(m) = &fig.flag {
            ws.write_string_with_format(row, 6, m, &f.flag)?;
        }
        ws.write_string(row, 7, &fig.rule)?;
        row += 1;
    }
    for t in &s.tables {
        row += 1;
        ws.write_string_with_format(row, 0, label(&t.key), &f.bold)?;
        row += 1;
        let mut col = 0u16;
        for h in t.dimensions.iter().chain(&t.measures) {
            ws.write_string_with_format(row, col, label(h), &f.bold)?;
            col += 1;
        }
        if t.rows.iter().any(|r| !r.flags.is_empty()) {
            ws.write_string_with_format(row, col, label("flag"), &f.bold)?;
        }
        row += 1;
        for r in &t.rows {
            let mut col = 0u16;
            for k in &r.keys {
                ws.write_string(row, col, k)?;
                col += 1;
            }
            for (m, v) in t.measures.iter().zip(&r.values) {
                number(ws, row, col, *v, f.of(column_unit(m)))?;
                col += 1;
            }
            if !r.flags.is_empty() {
                ws.write_string_with_format(row, col, r.flags.join("；"), &f.flag)?;
            }
            row += 1;
        }
    }
    Ok(row + 1)
}

/// Sections as a workbook: one sheet each.
pub fn xlsx(sections: &[Section]) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let f = Formats::new();
    let mut wb = rust_xlsxwriter::Workbook::new();
    for s in sections {
        let ws = wb.add_worksheet().set_name(sheet_name(&s.part))?;
        ws.set_column_width(0, 28)?;
        section_at(ws, 0, s, &f)?;
    }
    wb.save_to_buffer()
}

fn sheet_name(part: &str) -> String {
    // Sheet names: at most 31 characters, none of []:*?/\.
    part.chars()
        .filter(|c| !"[]:*?/\\".contains(*c))
        .take(31)
        .collect()
}

/// The yearly report as a workbook: a contents sheet, then one sheet per part of Art 63.
pub fn yearly_xlsx(y: &Yearly) -> Result<Vec<u8>, rust_xlsxwriter::XlsxError> {
    let f = Formats::new();
    let mut wb = rust_xlsxwriter::Workbook::new();
    let contents = wb.add_worksheet().set_name("contents")?;
    contents.set_column_width(0, 36)?;
    contents.write_string_with_format(
        0,
        0,
        format!("{} 年度中小企业发展情况报告（第六十二、六十三条）", y.year),
        &f.title,
    )?;
    contents.write_string(
        1,
        0,
        format!(
            "统计期间 {} — {}，截至 {}",
            y.from,
            y.to.pred_opt().unwrap_or(y.to),
            y.as_of
        ),
    )?;
    contents.write_string_with_format(3, 0, label("part"), &f.bold)?;
    contents.write_string_with_format(3, 1, "sheet", &f.bold)?;
    contents.write_string_with_format(3, 2, label("flags"), &f.bold)?;
    for (r, p) in (4u32..).zip(&y.parts) {
        let flags: usize = if p.key == "problems" {
            y.problems.len()
        } else {
            p.sections.iter().map(|s| s.flags.len()).sum()
        };
        contents.write_string(r, 0, label(&part_label(&p.key)))?;
        contents.write_string(r, 1, &p.key)?;
        contents.write_number(r, 2, flags as f64)?;
    }
    for p in &y.parts {
        let ws = wb.add_worksheet().set_name(sheet_name(&p.key))?;
        ws.set_column_width(0, 28)?;
        ws.write_string_with_format(0, 0, label(&part_label(&p.key)), &f.title)?;
        let mut row = 2;
        for s in &p.sections {
            row = section_at(ws, row, s, &f)?;
        }
    }
    wb.save_to_buffer()
}

/// The label key of an Art 63 part (`policies` names a section too).
pub fn part_label(key: &str) -> String {
    match key {
        "policies" | "funds" | "problems" => format!("{key}_part"),
        k => k.to_string(),
    }
}
