//! The pulling client: OAuth-style client-credentials token, keyset paging on `since`, retries with
//! exponential backoff and full jitter on 5xx, timeouts and connection errors; a clear error on 4xx.

use crate::{CanonicalRow, Envelope, SourceId};
use rand::Rng;
use std::time::Duration;

#[derive(Debug, Clone)]
pub struct RetryPolicy {
    pub attempts: u32,
    pub base: Duration,
    pub max: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            attempts: 5,
            base: Duration::from_millis(200),
            max: Duration::from_secs(5),
        }
    }
}

impl RetryPolicy {
    /// Full jitter: a random wait in [0, min(max, base·2^attempt)].
    pub fn backoff(&self, attempt: u32) -> Duration {
        let cap = self
            .base
            .saturating_mul(1u32 << attempt.min(16))
            .min(self.max);
        Duration::from_millis(rand::rng().random_range(0..=cap.as_millis() as u64))
    }
}

#[derive(Debug, thiserror::Error)]
pub enum UpstreamError {
    #[error("{source_name}: upstream refused the request with {status}: {body}")]
    Client {
        source_name: &'static str,
        status: u16,
        body: String,
    },
    #[error("{source_name}: upstream still failing after {attempts} attempts: {last}")]
    Exhausted {
        source_name: &'static str,
        attempts: u32,
        last: String,
    },
    #[error("{source_name}: the page is not the expected JSON envelope: {0}", source_name = .1)]
    Envelope(String, &'static str),
}

#[derive(Debug, Clone)]
pub struct Credentials {
    pub client_id: String,
    pub client_secret: String,
}

/// One line of a page: the wire record's text and its canonical rows (or why it could not be read).
#[derive(Debug, Clone)]
pub struct PageLine {
    pub raw: String,
    pub rows: Result<Vec<CanonicalRow>, String>,
}

#[derive(Debug, Clone)]
pub struct Page {
    pub lines: Vec<PageLine>,
    pub next_since: String,
    pub has_more: bool,
}

pub struct Client {
    base: String,
    http: reqwest::Client,
    credentials: Credentials,
    token: tokio::sync::Mutex<Option<String>>,
    pub retry: RetryPolicy,
}

#[derive(serde::Deserialize)]
struct TokenResponse {
    access_token: String,
}

impl Client {
    pub fn new(base: &str, credentials: Credentials, timeout: Duration) -> Self {
        Client {
            base: base.trim_end_matches('/').to_string(),
            http: reqwest::Client::builder()
                .timeout(timeout)
                .build()
                .unwrap_or_default(),
            credentials,
            token: tokio::sync::Mutex::new(None),
            retry: RetryPolicy::default(),
        }
    }

    async fn token(&self, source: SourceId, refresh: bool) -> Result<String, UpstreamError> {
        let mut guard = self.token.lock().await;
        if let (Some(t), false) = (guard.as_ref(), refresh) {
            return Ok(t.clone());
        }
        let url = format!("{}/oauth/token", self.base);
        let body = serde_json::json!({
            "grant_type": "client_credentials",
            "client_id": self.credentials.client_id,
            "client_secret": self.credentials.client_secret,
        });
        let resp = self
            .send_with_retry(source, || self.http.post(&url).json(&body))
            .await?;
        let t: TokenResponse = resp
            .json()
            .await
            .map_err(|e| UpstreamError::Envelope(format!("token response: {e}"), source.name()))?;
        *guard = Some(t.access_token.clone());
        Ok(t.access_token)
    }

    /// Send, retrying transient failures; a 4xx other than 401 is returned as `Client` at once.
    async fn send_with_retry(
        &self,
        source: SourceId,
        build: impl Fn() -> reqwest::RequestBuilder,
    ) -> Result<reqwest::Response, UpstreamError> {
        let mut last = String::new();
        for attempt in 0..self.retry.attempts {
            if attempt > 0 {
                tokio::time::sleep(self.retry.backoff(attempt)).await;
            }
            match build().send().await {
                Ok(r) if r.status().is_success() => return Ok(r),
                Ok(r) if r.status().is_server_error() || r.status().as_u16() == 429 => {
                    last = format!("HTTP {}", r.status());
                    tracing::warn!(
                        source = source.name(),
                        attempt,
                        status = r.status().as_u16(),
                        "upstream error; retrying"
                    );
                }
                Ok(r) => {
                    let status = r.status().as_u16();
                    let body = r.text().await.unwrap_or_default();
                    return Err(UpstreamError::Client {
                        source_name: source.name(),
                        status,
                        body,
                    });
                }
                Err(e) => {
                    last = if e.is_timeout() {
                        format!("timed out: {e}")
                    } else {
                        e.to_string()
                    };
                    tracing::warn!(source = source.name(), attempt, error = %last, "upstream unreachable; retrying");
                }
            }
        }
        Err(UpstreamError::Exhausted {
            source_name: source.name(),
            attempts: self.retry.attempts,
            last,
        })
    }

    /// The page of records after `since`.
    pub async fn fetch_page(
        &self,
        source: SourceId,
        since: &str,
        page_size: u32,
    ) -> Result<Page, UpstreamError> {
        let url = format!("{}{}", self.base, source.path());
        let mut refreshed = false;
        loop {
            let token = self.token(source, refreshed).await?;
            let query = [
                ("since", since.to_string()),
                ("page_size", page_size.to_string()),
            ];
            let result = self
                .send_with_retry(source, || {
                    self.http.get(&url).bearer_auth(&token).query(&query)
                })
                .await;
            let resp = match result {
                Err(UpstreamError::Client { status: 401, .. }) if !refreshed => {
                    refreshed = true; // the token expired: get a new one, once
                    continue;
                }
                other => other?,
            };
            let env: Envelope = resp
                .json()
                .await
                .map_err(|e| UpstreamError::Envelope(e.to_string(), source.name()))?;
            let lines = env
                .records
                .iter()
                .map(|rec| PageLine {
                    raw: rec.to_string(),
                    rows: source.map(rec),
                })
                .collect();
            return Ok(Page {
                lines,
                next_since: env.next_since,
                has_more: env.has_more,
            });
        }
    }
}
