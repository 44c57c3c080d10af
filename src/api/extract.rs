//! Request extractors whose failures are problem+json naming the field: JSON bodies (with the JSON path of
//! the field that failed to parse) and query strings.

use super::error::{ApiError, ApiResult, FieldError};
use actix_web::{dev::Payload, web, FromRequest, HttpRequest};
use futures_util::future::LocalBoxFuture;
use serde::de::DeserializeOwned;

/// A JSON body; a parse failure names the JSON path and the expected type. At most the configured JSON
/// limit (`CREDITHUB_JSON_LIMIT`, default 16 MiB): a larger `Content-Length` is refused with 413 before the
/// body is read, and so is a body that grows past it.
pub struct Json<T>(pub T);

/// 413 naming the limit and the setting that raises it.
pub fn too_large(what: &str, limit: usize, setting: &str) -> ApiError {
    ApiError::PayloadTooLarge(format!(
        "{what} is larger than the limit of {limit} bytes ({} MiB; {setting})",
        limit >> 20
    ))
}

/// Whether the caller asked for a workbook back (`Accept: application/vnd.openxmlformats-…sheet`).
pub fn wants_xlsx(req: &HttpRequest) -> bool {
    req.headers()
        .get("accept")
        .and_then(|v| v.to_str().ok())
        .is_some_and(|a| a.contains(crate::service::spreadsheet::XLSX))
}

/// The request's `Content-Length`, if it sent a valid one.
pub fn content_length(req: &HttpRequest) -> Option<u64> {
    req.headers()
        .get(actix_web::http::header::CONTENT_LENGTH)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
}

/// The whole body, refused with `over()` as soon as it grows past `limit` bytes (`declared`: its
/// `Content-Length`, to size the buffer).
pub async fn read_limited(
    payload: &mut Payload,
    limit: usize,
    declared: Option<u64>,
    over: impl Fn() -> ApiError,
) -> Result<web::BytesMut, ApiError> {
    let mut bytes =
        web::BytesMut::with_capacity(declared.map_or(0, |n| n.min(limit as u64) as usize));
    while let Some(chunk) = futures_util::StreamExt::next(payload).await {
        let chunk =
            chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
        if bytes.len() + chunk.len() > limit {
            return Err(over());
        }
        bytes.extend_from_slice(&chunk);
    }
    Ok(bytes)
}

impl<T: DeserializeOwned + 'static> FromRequest for Json<T> {
    type Error = ApiError;
    type Future = LocalBoxFuture<'static, Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let content_type_ok = req
            .headers()
            .get(actix_web::http::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .map(|ct| {
                ct.split(';')
                    .next()
                    .unwrap_or("")
                    .trim()
                    .eq_ignore_ascii_case("application/json")
            })
            .unwrap_or(false);
        let limit = req
            .app_data::<web::Data<super::AppState>>()
            .map_or(crate::config::BodyLimits::default().json_limit, |s| {
                s.body_limits.json_limit
            });
        let declared = content_length(req);
        let mut payload = payload.take();
        Box::pin(async move {
            if !content_type_ok {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as Content-Type: application/json".into(),
                ));
            }
            let over = || too_large("the JSON body", limit, "CREDITHUB_JSON_LIMIT");
            if declared.is_some_and(|n| n > limit as u64) {
                return Err(over());
            }
            let bytes = read_limited(&mut payload, limit, declared, over).await?;
            parse_json(&bytes).map(Json)
        })
    }
}

pub fn parse_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    serde_path_to_error::deserialize(de).map_err(|e| {
        let path = e.path().to_string();
        let inner = e.into_inner();
        if inner.is_syntax() || inner.is_eof() {
            ApiError::BadRequest(format!("the body is not valid JSON: {inner}"))
        } else {
            let field = if path == "." {
                "body".to_string()
            } else {
                path
            };
            let msg = inner.to_string();
            // serde's text ends with " at line L column C"; keep the reason, the path says where.
            let msg = msg.split(" at line ").next().unwrap_or(&msg).to_string();
            let rule = if msg.starts_with("missing field") {
                "required"
            } else if msg.starts_with("unknown field") {
                "unknown_field"
            } else {
                "type"
            };
            let field = match (rule, msg.split('`').nth(1)) {
                ("required", Some(name)) if field == "body" => name.to_string(),
                ("required", Some(name)) => format!("{field}.{name}"),
                _ => field,
            };
            ApiError::fields(vec![FieldError::new(field, rule, msg)])
        }
    })
}

const CURSOR_ENGINE: base64::engine::GeneralPurpose =
    base64::engine::general_purpose::URL_SAFE_NO_PAD;

/// An opaque list cursor: `<kind>:<position>` in URL-safe base64.
pub fn encode_cursor(kind: &str, position: &str) -> String {
    use base64::Engine;
    CURSOR_ENGINE.encode(format!("{kind}:{position}"))
}

/// The position in a cursor this API made for `kind`; a 422 field error otherwise.
pub fn decode_cursor(kind: &str, cursor: &str) -> Result<String, FieldError> {
    use base64::Engine;
    CURSOR_ENGINE
        .decode(cursor)
        .ok()
        .and_then(|b| String::from_utf8(b).ok())
        .and_then(|s| s.strip_prefix(&format!("{kind}:")).map(str::to_string))
        .ok_or_else(|| {
            FieldError::new(
                "cursor",
                "cursor.invalid",
                "cursor is not one this API returned",
            )
        })
}

/// The position of an optional `cursor` parameter; a bad one is added to `errors`.
pub fn cursor_position(
    kind: &str,
    cursor: Option<&str>,
    errors: &mut Vec<FieldError>,
) -> Option<String> {
    cursor
        .map(|c| decode_cursor(kind, c))
        .transpose()
        .map_err(|e| errors.push(e))
        .ok()
        .flatten()
}

/// A page of a list read with `limit + 1` rows: at most `limit` of them, and the cursor to the next page
/// when there is one.
pub fn page<T>(
    mut rows: Vec<T>,
    limit: i64,
    kind: &str,
    id: impl Fn(&T) -> &str,
) -> (Vec<T>, Option<String>) {
    let more = rows.len() as i64 > limit;
    rows.truncate(limit.max(0) as usize);
    let next = more
        .then(|| rows.last().map(|r| encode_cursor(kind, id(r))))
        .flatten();
    (rows, next)
}

pub use crate::domain::rfc3339;

/// A yuan amount above zero, exact to the fen; a fault is added to `errors` under `path` (the field
/// as the client sent it, `amount` or `line 3: guaranteed`), its message naming `name`.
pub fn positive_money(
    path: &str,
    name: &str,
    s: &str,
    errors: &mut Vec<FieldError>,
) -> Option<crate::domain::Money> {
    crate::service::positive_money(path, name, s)
        .map_err(|v| errors.push(FieldError::new(v.field, v.rule, v.message)))
        .ok()
}

/// A calendar date `YYYY-MM-DD`; a fault is added to `errors` as for `positive_money`.
pub fn date_value(
    path: &str,
    name: &str,
    s: &str,
    errors: &mut Vec<FieldError>,
) -> Option<chrono::NaiveDate> {
    crate::service::date(path, name, s)
        .map_err(|v| errors.push(FieldError::new(v.field, v.rule, v.message)))
        .ok()
}

/// The `limit` of a paginated list: 1 to 500, 50 when absent.
pub fn page_limit(limit: Option<i64>) -> Result<i64, FieldError> {
    let l = limit.unwrap_or(50);
    if (1..=500).contains(&l) {
        Ok(l)
    } else {
        Err(FieldError::new(
            "limit",
            "range",
            "limit must be between 1 and 500",
        ))
    }
}

/// Two checked inputs, or a 422 naming whichever (or both) broke a rule.
pub fn both<A, B>(a: Result<A, FieldError>, b: Result<B, FieldError>) -> ApiResult<(A, B)> {
    match (a, b) {
        (Ok(a), Ok(b)) => Ok((a, b)),
        (a, b) => Err(ApiError::fields(
            a.err().into_iter().chain(b.err()).collect(),
        )),
    }
}

/// A query string; a parse failure is a 422 naming the parameter.
pub struct Query<T>(pub T);

impl<T: DeserializeOwned> FromRequest for Query<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(
            req.query_string().as_bytes(),
        ));
        std::future::ready(
            serde_path_to_error::deserialize(de)
                .map(Query)
                .map_err(|e| {
                    let field = e.path().to_string();
                    let msg = e.into_inner().to_string();
                    let field = if field == "." {
                        msg.split('`').nth(1).unwrap_or("query").to_string()
                    } else {
                        field
                    };
                    ApiError::fields(vec![FieldError::new(field, "query", msg)])
                }),
        )
    }
}

/// Parse a USCC into a typed value or a 422 naming the field and the exact fault.
pub fn parse_uscc(field: &str, s: &str) -> ApiResult<crate::domain::Uscc> {
    crate::domain::Uscc::parse(s).map_err(|e| ApiError::field(field, e.rule(), e.to_string()))
}

/// A body with a `rules` list: the rules parsed one by one (each fault named `rules[2].type`), the rest
/// into `T`. Fails with every fault found when the rest does not parse; else the caller adds its checks.
pub fn with_rules<T: serde::de::DeserializeOwned>(
    body: &serde_json::Value,
) -> ApiResult<(T, Vec<crate::domain::matching::Rule>, Vec<FieldError>)> {
    if !body.is_object() {
        return Err(ApiError::field(
            "body",
            "type",
            "the body must be a JSON object",
        ));
    }
    let mut errors = Vec::new();
    let mut rest = body.clone();
    let raw_rules = rest
        .as_object_mut()
        .and_then(|o| o.remove("rules"))
        .unwrap_or(serde_json::Value::Array(vec![]));
    let mut rules = Vec::new();
    match raw_rules {
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                match crate::domain::matching::Rule::from_json(item) {
                    Ok(r) => rules.push(r),
                    Err(v) => errors.push(FieldError::new(
                        if v.field.is_empty() {
                            format!("rules[{i}]")
                        } else {
                            format!("rules[{i}].{}", v.field)
                        },
                        v.rule,
                        v.message,
                    )),
                }
            }
        }
        _ => errors.push(FieldError::new("rules", "type", "rules must be a list")),
    }
    let bytes = serde_json::to_vec(&rest).map_err(|e| ApiError::Internal(e.into()))?;
    match parse_json(&bytes) {
        Ok(t) => Ok((t, rules, errors)),
        Err(ApiError::Validation { errors: e, .. }) => {
            errors.extend(e);
            Err(ApiError::fields(errors))
        }
        Err(other) => Err(other),
    }
}
