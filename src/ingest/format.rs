//! Batch formats: CSV with a header row, and NDJSON (one JSON object a line). Each input line becomes a
//! numbered row with its raw text; a row that cannot be read is kept as malformed, never dropped.

use crate::domain::signals::RawRow;

/// One input row: its line number, its raw text, and the row or why it could not be read.
#[derive(Debug, Clone)]
pub struct Line {
    pub line_no: i64,
    pub raw: String,
    pub row: Result<RawRow, String>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Format {
    Csv,
    Ndjson,
}

impl Format {
    /// From a Content-Type (`text/csv`, `application/x-ndjson`, `application/ndjson`) or a file extension.
    pub fn from_media_type(ct: &str) -> Option<Format> {
        match ct
            .split(';')
            .next()
            .unwrap_or("")
            .trim()
            .to_ascii_lowercase()
            .as_str()
        {
            "text/csv" | "application/csv" => Some(Format::Csv),
            "application/x-ndjson" | "application/ndjson" | "application/jsonl" => {
                Some(Format::Ndjson)
            }
            _ => None,
        }
    }
    pub fn from_path(p: &std::path::Path) -> Option<Format> {
        match p.extension()?.to_str()?.to_ascii_lowercase().as_str() {
            "csv" => Some(Format::Csv),
            "ndjson" | "jsonl" => Some(Format::Ndjson),
            _ => None,
        }
    }
}

pub const COLUMNS: [&str; 12] = [
    "uscc",
    "kind",
    "period",
    "value",
    "record_id",
    "start_date",
    "end_date",
    "authority",
    "repaired_on",
    "category",
    "severity",
    "legal_basis",
];

#[derive(Debug, thiserror::Error)]
pub enum FormatError {
    #[error("the CSV has no header row")]
    NoHeader,
    #[error("unknown CSV column '{0}'; the columns are {cols}", cols = COLUMNS.join(", "))]
    UnknownColumn(String),
    #[error("the body is not UTF-8 text")]
    NotUtf8,
}

pub fn parse(format: Format, body: &[u8]) -> Result<Vec<Line>, FormatError> {
    let text = std::str::from_utf8(body).map_err(|_| FormatError::NotUtf8)?;
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    match format {
        Format::Ndjson => Ok(parse_ndjson(text)),
        Format::Csv => parse_csv(text),
    }
}

/// Lines per chunk read from a stream.
pub const CHUNK_LINES: usize = 20_000;

/// A batch read from a stream a chunk at a time: each chunk ends at a record boundary (outside any quoted
/// CSV field), and its rows carry their line numbers in the whole file. What is held at once is one chunk.
pub struct Chunks<R> {
    format: Format,
    reader: R,
    /// The CSV header row (with its newline), prepended to every chunk for the parser.
    header: String,
    /// Line number of the next chunk's first line.
    next_line: i64,
    done: bool,
}

impl<R: std::io::BufRead> Chunks<R> {
    /// Read (and check) the CSV header; NDJSON has none.
    pub fn new(format: Format, mut reader: R) -> Result<Self, FormatError> {
        let mut header = String::new();
        let mut next_line = 1;
        if format == Format::Csv {
            let mut raw = Vec::new();
            reader
                .read_until(b'\n', &mut raw)
                .map_err(|_| FormatError::NotUtf8)?;
            header = String::from_utf8(raw).map_err(|_| FormatError::NotUtf8)?;
            if let Some(h) = header.strip_prefix('\u{feff}') {
                header = h.to_string();
            }
            if !header.ends_with('\n') {
                header.push('\n');
            }
            // Checks the columns (an unknown one fails the whole batch, as for a body).
            parse_csv(&header)?;
            next_line = 2;
        }
        Ok(Chunks {
            format,
            reader,
            header,
            next_line,
            done: false,
        })
    }

    /// The next chunk's rows; `None` at the end.
    pub fn next_chunk(&mut self) -> Result<Option<Vec<Line>>, FormatError> {
        if self.done {
            return Ok(None);
        }
        let mut buf = Vec::new();
        let (mut lines, mut quotes) = (0usize, 0usize);
        loop {
            let start = buf.len();
            let n = self
                .reader
                .read_until(b'\n', &mut buf)
                .map_err(|_| FormatError::NotUtf8)?;
            if n == 0 {
                self.done = true;
                break;
            }
            lines += 1;
            if self.format == Format::Csv {
                quotes += buf[start..].iter().filter(|b| **b == b'"').count();
            }
            // A record ends where the quotes seen so far are balanced.
            if lines >= CHUNK_LINES && quotes % 2 == 0 {
                break;
            }
        }
        if buf.is_empty() {
            return Ok(None);
        }
        let text = std::str::from_utf8(&buf).map_err(|_| FormatError::NotUtf8)?;
        let first = self.next_line;
        // One per line read: only the last line of the file may lack its newline, and nothing follows it.
        self.next_line += lines as i64;
        let mut rows = match self.format {
            Format::Ndjson => parse_ndjson(text),
            Format::Csv => parse_csv(&format!("{}{text}", self.header))?,
        };
        // The parser numbered from the start of what it was given (the header is line 1).
        let shift = match self.format {
            Format::Ndjson => first - 1,
            Format::Csv => first - 2,
        };
        for r in &mut rows {
            r.line_no += shift;
        }
        Ok(Some(rows))
    }
}

fn parse_ndjson(text: &str) -> Vec<Line> {
    text.lines()
        .enumerate()
        .filter(|(_, l)| !l.trim().is_empty())
        .map(|(i, l)| Line {
            line_no: i as i64 + 1,
            raw: l.to_string(),
            row: serde_json::from_str::<RawRow>(l)
                .map_err(|e| format!("not a JSON signal row: {e}")),
        })
        .collect()
}

fn parse_csv(text: &str) -> Result<Vec<Line>, FormatError> {
    let mut rdr = csv::ReaderBuilder::new()
        .flexible(true)
        .trim(csv::Trim::All)
        .from_reader(text.as_bytes());
    let headers = rdr.headers().map_err(|_| FormatError::NoHeader)?.clone();
    if headers.is_empty() {
        return Err(FormatError::NoHeader);
    }
    let mut index = Vec::new();
    for h in headers.iter() {
        let h = h.to_ascii_lowercase();
        let col = COLUMNS
            .iter()
            .position(|c| *c == h)
            .ok_or_else(|| FormatError::UnknownColumn(h.clone()))?;
        index.push(col);
    }
    let lines: Vec<&str> = text.lines().collect();
    // Line numbers from the byte offset (the csv crate's own line count skips blank lines).
    // Records come in order: count newlines incrementally from the previous record's offset.
    let bytes = text.as_bytes();
    let (mut counted_to, mut newlines) = (0usize, 0i64);
    let mut line_of = |pos: Option<&csv::Position>| {
        let mut b = pos.map(|p| p.byte() as usize).unwrap_or(0).min(bytes.len());
        // A record's position is where reading began, before any blank lines it skipped.
        while b < bytes.len() && (bytes[b] == b'\n' || bytes[b] == b'\r') {
            b += 1;
        }
        if b >= counted_to {
            newlines += bytes[counted_to..b].iter().filter(|c| **c == b'\n').count() as i64;
            counted_to = b;
        }
        newlines + 1
    };
    let mut out = Vec::new();
    for rec in rdr.records() {
        let (line_no, row) = match rec {
            Ok(r) => {
                let line_no = line_of(r.position());
                if r.len() != index.len() {
                    (
                        line_no,
                        Err(format!(
                            "has {} fields, the header has {}",
                            r.len(),
                            index.len()
                        )),
                    )
                } else {
                    let mut row = RawRow::default();
                    for (field, &col) in r.iter().zip(&index) {
                        let v = Some(field.to_string()).filter(|s| !s.is_empty());
                        match col {
                            0 => row.uscc = v,
                            1 => row.kind = v,
                            2 => row.period = v,
                            3 => row.value = v,
                            4 => row.record_id = v,
                            5 => row.start_date = v,
                            6 => row.end_date = v,
                            7 => row.authority = v,
                            8 => row.repaired_on = v,
                            9 => row.category = v,
                            10 => row.severity = v,
                            _ => row.legal_basis = v,
                        }
                    }
                    (line_no, Ok(row))
                }
            }
            Err(e) => (line_of(e.position()), Err(format!("unreadable CSV: {e}"))),
        };
        let raw = lines
            .get((line_no - 1).max(0) as usize)
            .map(|s| s.to_string())
            .unwrap_or_default();
        out.push(Line { line_no, raw, row });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_rows_keep_line_numbers_and_raw_text() {
        let body = "uscc,kind,period,value\n91110000600037341L,tax_paid,2026-01,10.00\nbroken,row\n\n91110000600037341L,tax_paid,2026-02,11\n";
        let lines = parse(Format::Csv, body.as_bytes()).unwrap();
        assert_eq!(lines.len(), 3);
        assert_eq!(lines[0].line_no, 2);
        assert_eq!(
            lines[0].row.as_ref().unwrap().value.as_deref(),
            Some("10.00")
        );
        assert_eq!(lines[1].line_no, 3);
        assert_eq!(lines[1].raw, "broken,row");
        assert!(lines[1].row.is_err());
        assert_eq!(lines[2].line_no, 5);
        assert!(
            matches!(parse(Format::Csv, b"uscc,colour\n"), Err(FormatError::UnknownColumn(c)) if c == "colour")
        );
    }

    /// Read a chunk at a time, the rows and line numbers are those of the whole body, also when a quoted
    /// field holds a newline at a chunk's edge.
    #[test]
    fn chunks_keep_the_line_numbers_of_the_whole_file() {
        let mut body = String::from("\u{feff}uscc,kind,period,value,authority\n");
        for i in 0..(CHUNK_LINES * 2 + 7) {
            if i == CHUNK_LINES - 1 {
                body.push_str("91110000600037341L,tax_paid,2026-01,1,\"two\nlines\"\n");
            } else if i % 1000 == 3 {
                body.push('\n');
            } else {
                body.push_str(&format!("91110000600037341L,tax_paid,2026-01,{i},x\n"));
            }
        }
        let whole = parse(Format::Csv, body.as_bytes()).unwrap();
        let mut chunks = Chunks::new(Format::Csv, body.as_bytes()).unwrap();
        let mut streamed = Vec::new();
        let mut n = 0;
        while let Some(rows) = chunks.next_chunk().unwrap() {
            streamed.extend(rows);
            n += 1;
        }
        assert!(n >= 3, "{n} chunks");
        assert_eq!(streamed.len(), whole.len());
        for (a, b) in streamed.iter().zip(&whole) {
            assert_eq!((a.line_no, &a.raw), (b.line_no, &b.raw));
            assert_eq!(a.row.is_ok(), b.row.is_ok(), "line {}", a.line_no);
        }
        let nd = "{\"uscc\":\"x\"}\n\n{bad\n";
        let mut chunks = Chunks::new(Format::Ndjson, nd.as_bytes()).unwrap();
        let rows = chunks.next_chunk().unwrap().unwrap();
        assert_eq!(
            rows.iter().map(|r| r.line_no).collect::<Vec<_>>(),
            vec![1, 3]
        );
        assert!(matches!(
            Chunks::new(Format::Csv, &b"uscc,colour\n"[..]),
            Err(FormatError::UnknownColumn(c)) if c == "colour"
        ));
    }

    #[test]
    fn ndjson_rows() {
        let body = "{\"uscc\":\"x\",\"kind\":\"tax_paid\"}\n{not json\n";
        let lines = parse(Format::Ndjson, body.as_bytes()).unwrap();
        assert_eq!(lines.len(), 2);
        assert!(lines[0].row.is_ok());
        assert_eq!(lines[1].line_no, 2);
        assert!(lines[1].row.is_err());
    }
}
