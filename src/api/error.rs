//! The one place where errors become HTTP: RFC 9457 `application/problem+json` with a stable `type`.

use crate::store::StoreError;
use actix_web::http::{header, StatusCode};
use actix_web::{HttpResponse, ResponseError};
use serde::Serialize;

pub const PROBLEM_JSON: &str = "application/problem+json";

/// A JSON body ending with one newline, so answers shown in a terminal do not run together.
pub fn json_line<T: Serialize + ?Sized>(value: &T) -> Vec<u8> {
    let mut out = serde_json::to_vec(value).unwrap_or_default();
    out.push(b'\n');
    out
}

/// `HttpResponseBuilder::json`, with the body ending in a newline.
pub trait JsonLine {
    fn json_line<T: Serialize>(&mut self, value: T) -> HttpResponse;
}

impl JsonLine for actix_web::HttpResponseBuilder {
    fn json_line<T: Serialize>(&mut self, value: T) -> HttpResponse {
        self.content_type("application/json")
            .body(json_line(&value))
    }
}

/// One field that failed validation: which field, which rule, and what is wrong in words.
#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct FieldError {
    /// JSON path of the field (`revenue`, `items[3].uscc`) or the query parameter.
    pub field: String,
    /// Stable rule identifier, e.g. `uscc.check_character`, `money.precision`, `required`.
    pub rule: String,
    pub message: String,
}

impl FieldError {
    /// The same fault, for an operation that collects it with its own.
    pub fn into_violation(self) -> crate::service::Violation {
        crate::service::Violation::new(self.field, self.rule, self.message)
    }

    pub fn new(
        field: impl Into<String>,
        rule: impl Into<String>,
        message: impl Into<String>,
    ) -> Self {
        FieldError {
            field: field.into(),
            rule: rule.into(),
            message: message.into(),
        }
    }
}

/// RFC 9457 problem details.
#[derive(Debug, Serialize, utoipa::ToSchema)]
pub struct Problem {
    #[serde(rename = "type")]
    pub type_: String,
    pub title: String,
    pub status: u16,
    pub detail: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldError>,
}

#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("{detail}")]
    Validation {
        detail: String,
        errors: Vec<FieldError>,
    },
    #[error("{0}")]
    BadRequest(String),
    #[error("{0}")]
    UnsupportedMediaType(String),
    #[error("{0}")]
    PayloadTooLarge(String),
    #[error("{0}")]
    Unauthorized(String),
    #[error("{0}")]
    Forbidden(String),
    /// Too many requests for this key; retry after the given seconds.
    #[error("{detail}")]
    TooManyRequests {
        detail: String,
        retry_after_secs: u64,
    },
    #[error("{0}")]
    NotFound(String),
    #[error("{0}")]
    MethodNotAllowed(String),
    #[error("{0}")]
    Conflict(String),
    #[error("{0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow::Error),
}

impl ApiError {
    pub fn field(field: &str, rule: &str, message: impl Into<String>) -> Self {
        let e = FieldError::new(field, rule, message);
        ApiError::Validation {
            detail: format!("{}: {}", e.field, e.message),
            errors: vec![e],
        }
    }
    pub fn fields(errors: Vec<FieldError>) -> Self {
        let detail = match errors.as_slice() {
            [one] => format!("{}: {}", one.field, one.message),
            many => format!(
                "{} fields are invalid: {}",
                many.len(),
                many.iter()
                    .map(|e| e.field.as_str())
                    .collect::<Vec<_>>()
                    .join(", ")
            ),
        };
        ApiError::Validation { detail, errors }
    }
    /// The field errors of a validation error (none for any other).
    pub fn field_errors(self) -> Vec<FieldError> {
        match self {
            ApiError::Validation { errors, .. } => errors,
            _ => Vec::new(),
        }
    }
    fn slug_title(&self) -> (&'static str, &'static str) {
        match self {
            ApiError::Validation { .. } => ("validation", "Request validation failed"),
            ApiError::BadRequest(_) => ("bad-request", "Malformed request"),
            ApiError::UnsupportedMediaType(_) => {
                ("unsupported-media-type", "Unsupported media type")
            }
            ApiError::PayloadTooLarge(_) => ("payload-too-large", "Payload too large"),
            ApiError::Unauthorized(_) => ("unauthorized", "Authentication required"),
            ApiError::Forbidden(_) => ("forbidden", "Not allowed for this key"),
            ApiError::TooManyRequests { .. } => ("rate-limited", "Too many requests"),
            ApiError::NotFound(_) => ("not-found", "Not found"),
            ApiError::MethodNotAllowed(_) => ("method-not-allowed", "Method not allowed"),
            ApiError::Conflict(_) => ("conflict", "Conflict"),
            ApiError::Unavailable(_) => ("unavailable", "Service unavailable"),
            ApiError::Internal(_) => ("internal", "Internal error"),
        }
    }
    pub fn problem(&self) -> Problem {
        let (slug, title) = self.slug_title();
        Problem {
            type_: format!("urn:credithub:problem:{slug}"),
            title: title.to_string(),
            status: self.status_code().as_u16(),
            detail: match self {
                ApiError::Internal(_) => {
                    "an internal error occurred; it has been logged with the request id".into()
                }
                other => other.to_string(),
            },
            errors: match self {
                ApiError::Validation { errors, .. } => errors.clone(),
                _ => vec![],
            },
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        match self {
            ApiError::Validation { .. } => StatusCode::UNPROCESSABLE_ENTITY,
            ApiError::BadRequest(_) => StatusCode::BAD_REQUEST,
            ApiError::UnsupportedMediaType(_) => StatusCode::UNSUPPORTED_MEDIA_TYPE,
            ApiError::PayloadTooLarge(_) => StatusCode::PAYLOAD_TOO_LARGE,
            ApiError::Unauthorized(_) => StatusCode::UNAUTHORIZED,
            ApiError::Forbidden(_) => StatusCode::FORBIDDEN,
            ApiError::TooManyRequests { .. } => StatusCode::TOO_MANY_REQUESTS,
            ApiError::NotFound(_) => StatusCode::NOT_FOUND,
            ApiError::MethodNotAllowed(_) => StatusCode::METHOD_NOT_ALLOWED,
            ApiError::Conflict(_) => StatusCode::CONFLICT,
            ApiError::Unavailable(_) => StatusCode::SERVICE_UNAVAILABLE,
            ApiError::Internal(_) => StatusCode::INTERNAL_SERVER_ERROR,
        }
    }
    fn error_response(&self) -> HttpResponse {
        if let ApiError::Internal(cause) = self {
            tracing::error!(error = ?cause, "internal error");
        }
        let mut resp = HttpResponse::build(self.status_code());
        resp.insert_header((header::CONTENT_TYPE, PROBLEM_JSON));
        if let ApiError::TooManyRequests {
            retry_after_secs, ..
        } = self
        {
            resp.insert_header((header::RETRY_AFTER, retry_after_secs.to_string()));
        }
        if matches!(self, ApiError::Unavailable(_)) {
            resp.insert_header((header::RETRY_AFTER, "1"));
        }
        if matches!(self, ApiError::Unauthorized(_)) {
            resp.insert_header((header::WWW_AUTHENTICATE, "Bearer realm=\"credithub\""));
        }
        resp.body(json_line(&self.problem()))
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound => ApiError::NotFound("no such record".into()),
            StoreError::Conflict(m) => ApiError::Conflict(m),
            e if e.is_unavailable() => {
                tracing::warn!(error = %e, "database unavailable; answered 503");
                ApiError::Unavailable(
                    "the database is unavailable for a moment; retry shortly".into(),
                )
            }
            other => ApiError::Internal(other.into()),
        }
    }
}

impl From<crate::cache::CacheError> for ApiError {
    /// Only a cache without the [`crate::cache::Resilient`] layer fails a call; a cache fault is the
    /// service's, for a moment.
    fn from(e: crate::cache::CacheError) -> Self {
        tracing::warn!(error = %e, "cache fault; answered 503");
        ApiError::Unavailable("the cache is unavailable for a moment; retry shortly".into())
    }
}

pub type ApiResult<T> = Result<T, ApiError>;

/// The one mapping of the application layer's errors to HTTP.
impl From<crate::service::ServiceError> for ApiError {
    fn from(e: crate::service::ServiceError) -> Self {
        use crate::service::ServiceError as S;
        match e {
            S::Invalid(v) => ApiError::fields(
                v.into_iter()
                    .map(|v| FieldError::new(v.field, v.rule, v.message))
                    .collect(),
            ),
            S::NotFound(m) => ApiError::NotFound(m),
            S::Unreadable(m) => ApiError::BadRequest(m),
            S::Unsupported(m) => ApiError::UnsupportedMediaType(m),
            S::Unauthenticated(m) => ApiError::Unauthorized(m),
            S::Forbidden(m) => ApiError::Forbidden(m),
            S::Conflict(m) => ApiError::Conflict(m),
            S::Store(s) => s.into(),
            S::Cache(c) => c.into(),
        }
    }
}

/// Each operation's own error reaches HTTP through [`crate::service::ServiceError`].
macro_rules! through_service_error {
    ($($t:ty),+ $(,)?) => {$(
        impl From<$t> for ApiError {
            fn from(e: $t) -> Self {
                crate::service::ServiceError::from(e).into()
            }
        }
    )+};
}

through_service_error!(
    crate::financing::CatalogueError,
    crate::service::agencies::AgencyError,
    crate::service::applications::ApplicationError,
    crate::service::assets::AssetError,
    crate::service::reports::ReportError,
    crate::service::claims::ClaimError,
    crate::service::consents::ConsentError,
    crate::service::firms::FirmError,
    crate::service::guarantees::GuaranteeError,
    crate::service::institutions::InstitutionError,
    crate::service::keys::RevokeError,
    crate::service::matching::MatchError,
    crate::service::policies::PolicyError,
    crate::service::products::ProductError,
    crate::service::profiles::ProfileError,
    crate::service::receivables::ReceivableError,
    crate::service::remedies::RemedyError,
    crate::service::rewards::RewardError,
    crate::service::scorecards::ScorecardError,
    crate::service::signals::SignalError,
    crate::service::uploads::UploadError,
);
