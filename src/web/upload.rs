//! A file sent from a page (`multipart/form-data`): the form's text fields and the one file, read within
//! the upload limit and among the uploads in flight exactly as the API reads its bodies
//! (`CREDITHUB_UPLOAD_LIMIT`, `CREDITHUB_MAX_UPLOADS`). The file's kind is told by its name (`.xlsx`,
//! `.csv`, `.ndjson`, `.json`), as a browser's own content type for a CSV varies with the machine.

use super::layout::FieldErrors;
use super::session::Signed;
use crate::api::upload::{admit, Permit};
use crate::api::AppState;
use crate::service::spreadsheet::XLSX;
use actix_multipart::Multipart;
use actix_web::http::StatusCode;
use actix_web::{HttpRequest, HttpResponse};
use futures_util::StreamExt;
use std::collections::HashMap;

/// The longest text field a form sends (a token, a policy id, a sheet's name).
const FIELD_LIMIT: usize = 4096;

/// A form with a file, as read.
#[derive(Debug, Default)]
pub struct UploadForm {
    pub fields: HashMap<String, String>,
    pub file: Option<FilePart>,
}

impl UploadForm {
    /// A text field, trimmed (empty when absent).
    pub fn field(&self, name: &str) -> &str {
        self.fields.get(name).map_or("", |s| s.trim())
    }

    /// A checkbox: sent (ticked) or not.
    pub fn ticked(&self, name: &str) -> bool {
        self.fields.contains_key(name)
    }

    /// The charset chosen on the form (`auto`, or nothing, lets the reader detect it).
    pub fn charset(&self) -> Option<&str> {
        Some(self.field("charset")).filter(|c| !c.is_empty() && *c != "auto")
    }

    /// The sheet named on the form, if any.
    pub fn sheet(&self) -> Option<&str> {
        Some(self.field("sheet")).filter(|s| !s.is_empty())
    }
}

/// The file of a form: its name as sent and its bytes.
#[derive(Debug)]
pub struct FilePart {
    pub filename: String,
    pub bytes: Vec<u8>,
}

impl FilePart {
    /// The media type the readers take, from the file's name; `None` for a name they do not know.
    pub fn kind(&self) -> Option<&'static str> {
        let name = self.filename.to_ascii_lowercase();
        let ext = name.rsplit_once('.').map_or("", |(_, e)| e);
        Some(match ext {
            "xlsx" => XLSX,
            "csv" | "txt" => "text/csv",
            "ndjson" | "jsonl" => "application/x-ndjson",
            "json" => "application/json",
            _ => return None,
        })
    }
}

/// Why a form with a file could not be read.
#[derive(Debug, thiserror::Error)]
pub enum UploadRefused {
    #[error("the file is larger than the upload limit ({limit} bytes)")]
    TooLarge { limit: usize },
    #[error("other uploads are being read; try again shortly")]
    Busy,
    #[error("the form could not be read: {0}")]
    Broken(String),
}

/// Read the form: its fields and its file (`file`), within the upload limit, holding a place among the
/// uploads in flight while it is read and parsed (the permit is given back with the form).
pub async fn read(
    state: &AppState,
    req: &HttpRequest,
    mut form: Multipart,
) -> Result<(Permit, UploadForm), UploadRefused> {
    let limit = state.body_limits.upload_limit;
    let permit = admit(state, req).await.map_err(|e| match e {
        crate::api::error::ApiError::Unavailable(_) => UploadRefused::Busy,
        _ => UploadRefused::TooLarge { limit },
    })?;
    let mut out = UploadForm::default();
    let mut received = 0usize;
    while let Some(field) = form.next().await {
        let mut field = field.map_err(|e| UploadRefused::Broken(e.to_string()))?;
        let name = field.name().unwrap_or_default().to_string();
        let filename = field
            .content_disposition()
            .and_then(|d| d.get_filename())
            .map(str::to_string);
        let mut bytes = Vec::new();
        while let Some(chunk) = field.next().await {
            let chunk = chunk.map_err(|e| UploadRefused::Broken(e.to_string()))?;
            received += chunk.len();
            if received > limit {
                return Err(UploadRefused::TooLarge { limit });
            }
            if filename.is_none() && bytes.len() + chunk.len() > FIELD_LIMIT {
                return Err(UploadRefused::Broken(format!(
                    "the field {name} is longer than {FIELD_LIMIT} bytes"
                )));
            }
            bytes.extend_from_slice(&chunk);
        }
        match filename {
            // A file input left empty is sent with an empty name and no bytes.
            Some(f) if name == "file" && !(f.is_empty() && bytes.is_empty()) => {
                out.file = Some(FilePart { filename: f, bytes })
            }
            Some(_) => {}
            None => {
                let text = String::from_utf8(bytes)
                    .map_err(|_| UploadRefused::Broken(format!("the field {name} is not UTF-8")))?;
                out.fields.insert(name, text);
            }
        }
    }
    Ok((permit, out))
}

/// A form with a file as a page receives it.
pub enum Received {
    /// Read, and its token is this session's; the place among the uploads in flight is held until the
    /// permit is dropped.
    Form(Permit, UploadForm),
    /// Not read: the fault to show beside the file field, and the status to answer with.
    Refused(FieldErrors, StatusCode),
    /// The form's token is not this session's: the 403 page.
    Forged(HttpResponse),
}

/// Read a page's form with a file for the signed-in person `who`, its token checked.
pub async fn receive(
    state: &AppState,
    req: &HttpRequest,
    form: Multipart,
    who: &Signed,
) -> Received {
    let t = &who.t;
    match read(state, req, form).await {
        Ok((permit, form)) => match who.forged(form.field("csrf")) {
            Some(page) => Received::Forged(page),
            None => Received::Form(permit, form),
        },
        Err(e) => {
            let (m, status) = match e {
                UploadRefused::TooLarge { limit } => (
                    t.with("upload-too-large", &[("mb", (limit >> 20).to_string())]),
                    StatusCode::PAYLOAD_TOO_LARGE,
                ),
                UploadRefused::Busy => (t.t("upload-busy"), StatusCode::SERVICE_UNAVAILABLE),
                UploadRefused::Broken(m) => (m, StatusCode::BAD_REQUEST),
            };
            Received::Refused(FieldErrors(vec![("file".into(), m)]), status)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_file_is_read_as_its_name_says() {
        let f = |n: &str| FilePart {
            filename: n.into(),
            bytes: vec![],
        };
        assert_eq!(f("台账.XLSX").kind(), Some(XLSX));
        assert_eq!(f("claims.csv").kind(), Some("text/csv"));
        assert_eq!(f("lines.ndjson").kind(), Some("application/x-ndjson"));
        assert_eq!(f("one.json").kind(), Some("application/json"));
        assert_eq!(f("ledger.xls").kind(), None);
        assert_eq!(f("noextension").kind(), None);
    }
}
