//! `/api/v1/latest`: the freeze defence's latest releases per product, the timestamp key
//! devices' roots must name, and what devices reported.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::routing::{get, put};
use axum::{Json, Router};
use serde_json::{Value, json};

use super::{ApiError, body};
use crate::serve::Shared;
use crate::serve::latest::{LatestError, LatestSetting};

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v1/latest", get(describe_latest))
        .route("/api/v1/latest/:product", put(set_latest))
}

/// The statements handed out, the timestamp key, and the devices' counts.
async fn describe_latest(State(shared): State<Arc<Shared>>) -> Json<Value> {
    let now_ms = shared.now_ms();
    let silent_ms = shared.config.freshness_silent_secs.saturating_mul(1000);
    let board = shared
        .latest
        .board
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    let statements: Vec<Value> = board
        .statements()
        .map(|s| {
            json!({
                "product": s.product,
                "version": s.version.to_string(),
                "issued": s.issued,
                "expires": s.expires,
            })
        })
        .collect();
    Json(json!({
        "timestampKey": shared.latest.public_key_pem(),
        "keyId": shared.latest.key_id(),
        "lifetimeSecs": shared.latest.lifetime_secs(),
        "statements": statements,
        "devices": board.summary(now_ms, silent_ms),
    }))
}

/// Make a release the latest of a product: signed at once, then every quarter of the
/// statement's lifetime.
async fn set_latest(
    State(shared): State<Arc<Shared>>,
    Path(product): Path<String>,
    bytes: Bytes,
) -> Result<Json<Value>, ApiError> {
    let setting: LatestSetting = body(&bytes)?;
    let store = Arc::clone(&shared);
    let now = shared.now_secs();
    let signed = tokio::task::spawn_blocking(move || store.latest.set(&product, setting, now))
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))?
        .map_err(|e| match e {
            LatestError::Invalid(message) => ApiError::bad_request(message),
            LatestError::Store(e) => ApiError::unavailable(e.to_string()),
        })?;
    Ok(Json(json!({
        "product": signed.product,
        "version": signed.version.to_string(),
        "issued": signed.issued,
        "expires": signed.expires,
    })))
}
