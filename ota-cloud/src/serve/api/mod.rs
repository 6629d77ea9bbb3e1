//! The admin API under `/api/v1/`: things, groups, releases, artifacts, jobs, executions and
//! campaigns, as JSON, behind the bearer token in the data directory's `admin-token`
//! (`GET /api/v1/health` excepted). Lists are paginated: `?limit=N` (1 to 250, default 100)
//! and the `nextToken` of the previous page; items come sorted by their id.

mod campaigns;
mod error;
mod fleet;
mod jobs;
mod latest;
mod releases;

use std::sync::Arc;

use axum::Router;
use axum::body::Bytes;
use axum::extract::{Request, State};
use axum::http::header::AUTHORIZATION;
use axum::middleware::Next;
use axum::response::Response;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::Deserialize;
use serde::de::DeserializeOwned;

pub(crate) use error::ApiError;

use super::Shared;

/// Page size when none is asked for, and the largest.
const DEFAULT_LIMIT: usize = 100;
const MAX_LIMIT: usize = 250;

/// The API's routes (under `/api/v1`), the token check on all but `health`.
pub(crate) fn router(shared: Arc<Shared>) -> Router<Arc<Shared>> {
    let authed = Router::new()
        .merge(fleet::routes())
        .merge(jobs::routes())
        .merge(campaigns::routes())
        .merge(releases::routes())
        .merge(latest::routes())
        .layer(axum::middleware::from_fn_with_state(shared, require_token));
    Router::new()
        .route("/api/v1/health", axum::routing::get(health))
        .merge(authed)
}

async fn health(State(shared): State<Arc<Shared>>) -> axum::Json<serde_json::Value> {
    let entries = shared.engine.journal_len();
    axum::Json(serde_json::json!({ "status": "ok", "journalEntries": entries }))
}

/// Refuse a request without `Authorization: Bearer <admin token>` (401, nothing done).
async fn require_token(
    State(shared): State<Arc<Shared>>,
    request: Request,
    next: Next,
) -> Result<Response, ApiError> {
    // The scheme is case-insensitive (RFC 9110 section 11.1).
    let presented = request
        .headers()
        .get(AUTHORIZATION)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.trim().split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("bearer"))
        .map(|(_, token)| token.trim());
    match presented {
        Some(token) if shared.token.matches(token) => Ok(next.run(request).await),
        _ => {
            shared.counts.refused_unauthorized();
            Err(ApiError::new(
                axum::http::StatusCode::UNAUTHORIZED,
                "UnauthorizedException",
                "this API needs the service's admin token: Authorization: Bearer <DIR/admin-token>",
            ))
        }
    }
}

/// A query string as `T`, refused as JSON with `InvalidRequestException` (axum's own
/// `Query` answers in plain text).
#[derive(Debug)]
pub(crate) struct ApiQuery<T>(pub(crate) T);

#[axum::async_trait]
impl<T, S> axum::extract::FromRequestParts<S> for ApiQuery<T>
where
    T: DeserializeOwned,
    S: Send + Sync,
{
    type Rejection = ApiError;

    async fn from_request_parts(
        parts: &mut axum::http::request::Parts,
        state: &S,
    ) -> Result<Self, Self::Rejection> {
        axum::extract::Query::<T>::from_request_parts(parts, state)
            .await
            .map(|q| Self(q.0))
            .map_err(|e| ApiError::bad_request(format!("query: {}", e.body_text())))
    }
}

/// A method the path does not take: a JSON 405.
pub(crate) async fn method_not_allowed(request: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::METHOD_NOT_ALLOWED,
        "MethodNotAllowedException",
        format!(
            "{} does not take {}",
            request.uri().path(),
            request.method()
        ),
    )
}

/// Any path no route serves: a JSON 404.
pub(crate) async fn unknown_operation(request: Request) -> ApiError {
    ApiError::new(
        axum::http::StatusCode::NOT_FOUND,
        "UnknownOperationException",
        format!("no operation {} {}", request.method(), request.uri().path()),
    )
}

/// A JSON body as `T`, refused with `InvalidRequestException` naming what is wrong.
pub(crate) fn body<T: DeserializeOwned>(bytes: &Bytes) -> Result<T, ApiError> {
    serde_json::from_slice(bytes).map_err(|e| ApiError::bad_request(format!("request body: {e}")))
}

/// `?limit=&nextToken=`.
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct PageQuery {
    limit: Option<usize>,
    next_token: Option<String>,
}

/// One page of a list.
#[derive(Debug, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Page<T> {
    pub(crate) items: Vec<T>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub(crate) next_token: Option<String>,
}

impl PageQuery {
    /// The page of `items` (any order) this query asks for, by `key`: sorted, after the
    /// token's key, at most `limit`.
    pub(crate) fn page<T>(
        &self,
        mut items: Vec<T>,
        key: impl Fn(&T) -> &str,
    ) -> Result<Page<T>, ApiError> {
        let limit = self.limit.unwrap_or(DEFAULT_LIMIT);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::bad_request(format!(
                "limit: {limit} is not within 1..={MAX_LIMIT}"
            )));
        }
        let after = match &self.next_token {
            None => None,
            Some(token) => Some(
                URL_SAFE_NO_PAD
                    .decode(token)
                    .ok()
                    .and_then(|b| String::from_utf8(b).ok())
                    .ok_or_else(|| ApiError::bad_request("nextToken: not a token this API gave"))?,
            ),
        };
        items.sort_by(|a, b| key(a).cmp(key(b)));
        if let Some(after) = &after {
            items.retain(|i| key(i) > after.as_str());
        }
        let next_token =
            (items.len() > limit).then(|| URL_SAFE_NO_PAD.encode(key(&items[limit - 1])));
        items.truncate(limit);
        Ok(Page { items, next_token })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pages_cover_every_item_once() {
        let items: Vec<String> = (0..23).map(|i| format!("item-{i:02}")).rev().collect();
        let mut query = PageQuery {
            limit: Some(5),
            next_token: None,
        };
        let mut seen = Vec::new();
        loop {
            let page = query.page(items.clone(), |s| s.as_str()).unwrap();
            seen.extend(page.items);
            match page.next_token {
                Some(t) => query.next_token = Some(t),
                None => break,
            }
        }
        let mut expected = items;
        expected.sort();
        assert_eq!(seen, expected);
    }

    #[test]
    fn bad_limits_and_tokens_are_refused() {
        for limit in [0, MAX_LIMIT + 1] {
            let query = PageQuery {
                limit: Some(limit),
                next_token: None,
            };
            assert!(query.page(vec!["a".to_string()], |s| s.as_str()).is_err());
        }
        let query = PageQuery {
            limit: None,
            next_token: Some("not base64!".into()),
        };
        assert!(query.page(vec!["a".to_string()], |s| s.as_str()).is_err());
    }
}
