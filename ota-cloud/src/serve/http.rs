//! The HTTP server's routes: the admin API, `/metrics`, and `/artifacts/{name}` for signed
//! URLs; and a log line per request (without the query, which may hold a signature).

use std::sync::Arc;

use axum::Router;
use axum::body::Body;
use axum::extract::{Path, RawQuery, Request, State};
use axum::http::header::{ACCEPT_RANGES, CONTENT_LENGTH, CONTENT_RANGE, CONTENT_TYPE, RANGE};
use axum::http::{HeaderMap, HeaderValue, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use axum::routing::get;

use tokio::io::AsyncReadExt;
use tokio_util::io::ReaderStream;

use super::Shared;
use super::api::{self, ApiError};
use super::artifacts::{ArtifactError, RangeAnswer, UrlRefusal};
use super::metrics::{self, Snapshot};
use crate::service::JobService;

/// Every route of the service.
pub(crate) fn app(shared: Arc<Shared>) -> Router {
    Router::new()
        .merge(api::router(Arc::clone(&shared)))
        .route("/", get(dashboard))
        .route("/api/v1/openapi.json", get(openapi))
        .route("/metrics", get(scrape))
        .route("/artifacts/:name", get(download))
        .fallback(api::unknown_operation)
        .method_not_allowed_fallback(api::method_not_allowed)
        .layer(axum::middleware::from_fn(json_errors))
        .layer(axum::middleware::from_fn(log_request))
        .with_state(shared)
}

/// The live dashboard: one static page that reads the API (with the token the user gives
/// it) and `/metrics`.
async fn dashboard() -> Response {
    (
        [(CONTENT_TYPE, "text/html; charset=utf-8")],
        include_str!("dashboard.html"),
    )
        .into_response()
}

/// The API's OpenAPI 3.0 document.
async fn openapi() -> Response {
    (
        [(CONTENT_TYPE, "application/json")],
        include_str!("openapi.json"),
    )
        .into_response()
}

/// Longest plain-text refusal that [`json_errors`] carries into its message.
const MAX_REFUSAL_TEXT: usize = 1024;

/// The refusals axum writes as plain text (a body over the size limit, a path segment that
/// does not decode, a body that is not JSON) as the API's JSON errors, like every other.
/// Leaves alone successes, JSON bodies, and 416 (an artifact range: its body is empty).
async fn json_errors(request: Request, next: Next) -> Response {
    let response = next.run(request).await;
    let status = response.status();
    let json = response
        .headers()
        .get(CONTENT_TYPE)
        .is_some_and(|v| v.as_bytes().starts_with(b"application/json"));
    if json
        || !(status.is_client_error() || status.is_server_error())
        || status == StatusCode::RANGE_NOT_SATISFIABLE
    {
        return response;
    }
    let code = match status {
        StatusCode::PAYLOAD_TOO_LARGE => "PayloadTooLargeException",
        StatusCode::UNSUPPORTED_MEDIA_TYPE => "UnsupportedMediaTypeException",
        s if s.is_client_error() => "InvalidRequestException",
        _ => "InternalFailureException",
    };
    let text = axum::body::to_bytes(response.into_body(), MAX_REFUSAL_TEXT)
        .await
        .map(|b| String::from_utf8_lossy(&b).trim().to_string())
        .unwrap_or_default();
    let message = if text.is_empty() {
        status.canonical_reason().unwrap_or("refused").to_string()
    } else {
        text
    };
    ApiError::new(status, code, message).into_response()
}

async fn log_request(request: Request, next: Next) -> Response {
    let method = request.method().clone();
    let path = request.uri().path().to_string();
    let started = std::time::Instant::now();
    let response = next.run(request).await;
    tracing::info!(
        %method,
        %path,
        status = response.status().as_u16(),
        micros = u64::try_from(started.elapsed().as_micros()).unwrap_or(u64::MAX),
        "http"
    );
    response
}

async fn scrape(State(shared): State<Arc<Shared>>) -> Result<Response, ApiError> {
    let jobs = shared.engine.list_jobs(None).await?;
    let campaigns: Vec<_> = shared
        .campaigns
        .lock()
        .await
        .values()
        .map(crate::campaign::Campaign::status)
        .collect();
    let journal_entries = shared.engine.journal_len();
    let things = shared.engine.read(|e| e.fleet().thing_count());
    let (freshness, latest) = {
        let board = shared
            .latest
            .board
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let silent_ms = shared.config.freshness_silent_secs.saturating_mul(1000);
        let latest = board
            .statements()
            .map(|s| (s.product.clone(), s.issued, s.expires))
            .collect();
        (board.summary(shared.now_ms(), silent_ms), latest)
    };
    let text = metrics::render(&Snapshot {
        jobs: &jobs,
        campaigns: &campaigns,
        gateway: (shared.gateway_stats)(),
        counts: &shared.counts,
        journal_entries,
        things,
        device_refusals: shared.endpoint.as_ref().map(|e| {
            let load =
                |c: &std::sync::atomic::AtomicU64| c.load(std::sync::atomic::Ordering::Relaxed);
            [
                load(&e.counts.refused_connect),
                load(&e.counts.refused_publish),
                load(&e.counts.refused_subscribe),
            ]
        }),
        freshness,
        latest,
    });
    Ok((
        [(CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8")],
        text,
    )
        .into_response())
}

/// `expires` and `signature` of a signed URL's query; a parameter given twice counts as
/// missing (the URL is then unsigned: 403, like any other bad signature).
fn signed_query(query: Option<&str>) -> (Option<String>, Option<String>) {
    let mut expires: Option<Option<String>> = None;
    let mut signature: Option<Option<String>> = None;
    for pair in query.unwrap_or_default().split('&') {
        let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
        let slot = match key {
            "expires" => &mut expires,
            "signature" => &mut signature,
            _ => continue,
        };
        *slot = match slot {
            None => Some(Some(value.to_string())),
            Some(_) => Some(None),
        };
    }
    (expires.flatten(), signature.flatten())
}

/// An artifact through a signed URL: 200 whole, 206 a range, 416 a range past the end;
/// 403 for a URL that is unsigned, signed for something else, or expired; 404 for no such
/// artifact (only once the URL checked out, so names cannot be probed).
async fn download(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    RawQuery(query): RawQuery,
    headers: HeaderMap,
) -> Response {
    let (expires, signature) = signed_query(query.as_deref());
    if let Err(refusal) = shared.artifacts.check_url(
        &name,
        expires.as_deref(),
        signature.as_deref(),
        shared.now_secs(),
    ) {
        shared.counts.refused_url();
        let code = match refusal {
            UrlRefusal::Expired => "ExpiredUrl",
            _ => "AccessDenied",
        };
        return ApiError::new(StatusCode::FORBIDDEN, code, refusal.to_string()).into_response();
    }
    let range = headers
        .get(RANGE)
        .and_then(|v| v.to_str().ok())
        .map(str::to_string);
    let store = Arc::clone(&shared);
    let opened =
        tokio::task::spawn_blocking(move || store.artifacts.open_range(&name, range.as_deref()))
            .await;
    let opened = match opened {
        Ok(Ok(opened)) => opened,
        Ok(Err(e @ ArtifactError::NotFound(_))) => {
            return ApiError::not_found(e.to_string()).into_response();
        }
        Ok(Err(e)) => return ApiError::from(e).into_response(),
        Err(e) => return ApiError::unavailable(e.to_string()).into_response(),
    };
    let (answer, len, served) = (opened.answer, opened.len, opened.count);
    // Streamed from the file in chunks: a download holds a buffer, not the object.
    let body = match opened.file {
        Some(file) => Body::from_stream(ReaderStream::new(
            tokio::fs::File::from_std(file).take(opened.count),
        )),
        None => Body::empty(),
    };
    let mut response = match answer {
        RangeAnswer::Full => (StatusCode::OK, body).into_response(),
        RangeAnswer::Partial { start, end } => {
            let mut r = (StatusCode::PARTIAL_CONTENT, body).into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes {start}-{end}/{len}")) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            r
        }
        RangeAnswer::Unsatisfiable => {
            let mut r = StatusCode::RANGE_NOT_SATISFIABLE.into_response();
            if let Ok(v) = HeaderValue::from_str(&format!("bytes */{len}")) {
                r.headers_mut().insert(CONTENT_RANGE, v);
            }
            r
        }
    };
    response
        .headers_mut()
        .insert(CONTENT_LENGTH, HeaderValue::from(served));
    if answer != RangeAnswer::Unsatisfiable {
        shared.counts.served_download(served);
    }
    let headers = response.headers_mut();
    headers.insert(ACCEPT_RANGES, HeaderValue::from_static("bytes"));
    headers.insert(
        CONTENT_TYPE,
        HeaderValue::from_static("application/octet-stream"),
    );
    response
}

#[cfg(test)]
mod tests {
    use super::signed_query;

    #[test]
    fn signed_queries() {
        let q = |s| signed_query(Some(s));
        assert_eq!(
            q("expires=5&signature=ab"),
            (Some("5".into()), Some("ab".into()))
        );
        assert_eq!(
            q("signature=ab&x=1&expires=5"),
            (Some("5".into()), Some("ab".into()))
        );
        assert_eq!(
            q("expires=5&signature=ab&signature=ab"),
            (Some("5".into()), None)
        );
        assert_eq!(q("expires"), (Some(String::new()), None));
        assert_eq!(signed_query(None), (None, None));
    }
}
