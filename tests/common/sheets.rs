//! Files as an agency's back office makes them, for the upload tests: text saved by Excel on Chinese
//! Windows (GBK), and a ledger workbook with Chinese headers, real Excel dates, amounts as numbers and a
//! percentage fee rate, on a sheet named 台账 behind a title sheet.
#![allow(dead_code)]

/// The text as GBK bytes.
pub fn gbk(text: &str) -> Vec<u8> {
    let (bytes, _, bad) = encoding_rs::GBK.encode(text);
    assert!(!bad, "not representable in GBK: {text}");
    bytes.into_owned()
}

/// A ledger workbook: `rows` of (contract number, borrower USCC), each lent 2,000,000 and guaranteed
/// 1,600,000.50 at 1.2% from 2026-01-01 to 2027-01-01, dates shown in `date_format`.
pub fn ledger_workbook(rows: &[(&str, &str)], date_format: &str) -> Vec<u8> {
    use rust_xlsxwriter::{ExcelDateTime, Format, Workbook};
    let mut wb = Workbook::new();
    wb.add_worksheet()
        .set_name("说明")
        .unwrap()
        .write_string(0, 0, "2026年担保台账")
        .unwrap();
    let sheet = wb.add_worksheet();
    sheet.set_name("台账").unwrap();
    let date = Format::new().set_num_format(date_format);
    let headers = [
        "序号",
        "合同编号",
        "企业名称",
        "统一社会信用代码",
        "贷款银行",
        "贷款金额",
        "担保金额",
        "保费费率",
        "起始日",
        "到期日",
    ];
    for (c, h) in headers.iter().enumerate() {
        sheet.write_string(0, c as u16, *h).unwrap();
    }
    for (i, (no, firm)) in rows.iter().enumerate() {
        let r = i as u32 + 1;
        sheet.write_number(r, 0, f64::from(r)).unwrap();
        sheet.write_string(r, 1, *no).unwrap();
        sheet.write_string(r, 2, format!("企业{r}")).unwrap();
        sheet.write_string(r, 3, *firm).unwrap();
        sheet.write_string(r, 4, "申城银行").unwrap();
        sheet.write_number(r, 5, 2_000_000.0).unwrap();
        sheet.write_number(r, 6, 1_600_000.5).unwrap();
        sheet.write_string(r, 7, "1.2%").unwrap();
        let start = ExcelDateTime::from_ymd(2026, 1, 1).unwrap();
        let end = ExcelDateTime::from_ymd(2027, 1, 1).unwrap();
        sheet
            .write_datetime_with_format(r, 8, &start, &date)
            .unwrap();
        sheet.write_datetime_with_format(r, 9, &end, &date).unwrap();
    }
    wb.save_to_buffer().unwrap()
}

/// An amount as a page shows it (`¥1,234.56`, or an API's `1234.56`) in fen.
pub fn fen(shown: &str) -> i64 {
    shown
        .chars()
        .filter(|c| c.is_ascii_digit() || *c == '-')
        .collect::<String>()
        .parse()
        .unwrap()
}

/// The reconciliation workbook's lines: (status, approved yuan).
pub fn reconciled_lines(xlsx: &[u8]) -> Vec<(String, f64)> {
    use calamine::{Data, Reader, Xlsx};
    let mut wb: Xlsx<_> = Xlsx::new(std::io::Cursor::new(xlsx.to_vec())).unwrap();
    let range = wb.worksheet_range("Lines").unwrap();
    range
        .rows()
        .skip(1)
        .map(|r| {
            let approved = match &r[7] {
                Data::Float(f) => *f,
                Data::Int(i) => *i as f64,
                other => panic!("approved is not a number: {other:?}"),
            };
            (r[4].to_string(), approved)
        })
        .collect()
}
