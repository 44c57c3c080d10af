//! Uploads (signal imports, guarantee ledgers, claim batches): at most the configured upload limit
//! (`CREDITHUB_UPLOAD_LIMIT`, 256 MiB), refused with 413 from `Content-Length` before a byte is read and
//! again if the body grows past it; at most `CREDITHUB_MAX_UPLOADS` read at once (one more waits up to
//! a second for a place, then is answered 503 with Retry-After). A signal import is written to a
//! temporary file as it arrives, so what it holds in memory is about a megabyte, and parsed from there
//! chunk by chunk.

use super::error::{ApiError, ApiResult};
use super::extract::{content_length, read_limited, too_large};
use super::AppState;
use actix_web::{web, HttpRequest};
use futures_util::StreamExt;
use std::io::Write;

/// A place among the uploads in flight; let go when dropped.
pub struct Permit(#[allow(dead_code)] tokio::sync::OwnedSemaphorePermit);

/// How long an upload waits for a place before it is answered 503.
const PLACE_WAIT: std::time::Duration = std::time::Duration::from_secs(1);

/// Admit an upload: its declared size within the limit, and a place among those being read.
pub async fn admit(state: &AppState, req: &HttpRequest) -> ApiResult<Permit> {
    let limit = state.body_limits.upload_limit;
    if content_length(req).is_some_and(|n| n > limit as u64) {
        return Err(too_large("the upload", limit, "CREDITHUB_UPLOAD_LIMIT"));
    }
    let busy = || {
        ApiError::Unavailable(format!(
            "{} uploads are being read already; retry shortly",
            state.body_limits.max_uploads
        ))
    };
    match tokio::time::timeout(PLACE_WAIT, state.uploads.clone().acquire_owned()).await {
        Ok(Ok(p)) => Ok(Permit(p)),
        _ => Err(busy()),
    }
}

/// The whole body in memory, within the upload limit (for batches parsed as a whole).
pub async fn read_all(
    state: &AppState,
    req: &HttpRequest,
    payload: web::Payload,
) -> ApiResult<(Permit, web::BytesMut)> {
    let permit = admit(state, req).await?;
    let limit = state.body_limits.upload_limit;
    let body = read_limited(
        &mut payload.into_inner(),
        limit,
        content_length(req),
        || too_large("the upload", limit, "CREDITHUB_UPLOAD_LIMIT"),
    )
    .await?;
    Ok((permit, body))
}

/// An upload written to a temporary file; the file is removed when this is dropped.
pub struct Spooled {
    pub path: std::path::PathBuf,
}

impl Drop for Spooled {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.path);
    }
}

/// Write the body to a temporary file as it arrives, a megabyte at a time, each write on the blocking
/// pool. The place is let go once the body is on disk: what is parsed from there is bounded by the chunk
/// size.
pub async fn spool(
    state: &AppState,
    req: &HttpRequest,
    mut payload: web::Payload,
) -> ApiResult<Spooled> {
    let permit = admit(state, req).await?;
    let limit = state.body_limits.upload_limit;
    let spooled = Spooled {
        path: std::env::temp_dir().join(format!("credithub-upload-{}", uuid::Uuid::new_v4())),
    };
    let internal =
        |e: std::io::Error| ApiError::Internal(anyhow::anyhow!("spooling an upload: {e}"));
    let mut file = std::fs::File::create(&spooled.path).map_err(internal)?;
    let (mut received, mut pending) = (0usize, web::BytesMut::new());
    loop {
        let next = payload.next().await;
        let done = next.is_none();
        if let Some(chunk) = next {
            let chunk =
                chunk.map_err(|e| ApiError::BadRequest(format!("could not read the body: {e}")))?;
            received += chunk.len();
            if received > limit {
                return Err(too_large("the upload", limit, "CREDITHUB_UPLOAD_LIMIT"));
            }
            pending.extend_from_slice(&chunk);
        }
        if pending.len() >= 1 << 20 || (done && !pending.is_empty()) {
            let data = pending.split().freeze();
            file = web::block(move || file.write_all(&data).map(|()| file))
                .await
                .map_err(|e| ApiError::Internal(e.into()))?
                .map_err(internal)?;
        }
        if done {
            break;
        }
    }
    drop(permit);
    Ok(spooled)
}
