//! `/api/v1/releases` (the catalog campaigns take their releases from) and
//! `/api/v1/artifacts` (the images devices download, uploaded here and handed out as
//! signed URLs).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::StatusCode;
use axum::routing::get;
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiQuery, PageQuery, body};
use crate::catalog::Release;
use crate::serve::Shared;
use crate::serve::artifacts::ArtifactInfo;
use crate::serve::config::URL_LIFETIME_SECS;

/// Largest artifact accepted in one upload.
pub(crate) const MAX_ARTIFACT: usize = 256 * 1024 * 1024;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v1/releases", get(list_releases).post(create_release))
        .route("/api/v1/releases/:id", get(describe_release))
        .route("/api/v1/artifacts", get(list_artifacts))
        .route(
            "/api/v1/artifacts/:name",
            get(describe_artifact)
                .put(upload_artifact)
                .layer(DefaultBodyLimit::max(MAX_ARTIFACT)),
        )
        .route("/api/v1/artifacts/:name/url", get(artifact_url))
}

async fn create_release(
    State(shared): State<Arc<Shared>>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Release>), ApiError> {
    let release: Release = body(&bytes)?;
    shared.releases.add(release.clone())?;
    Ok((StatusCode::CREATED, Json(release)))
}

async fn list_releases(
    State(shared): State<Arc<Shared>>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let releases: Vec<Release> = shared.releases.catalog().iter().cloned().collect();
    Ok(Json(json!(page.page(releases, |r| &r.id)?)))
}

async fn describe_release(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Release>, ApiError> {
    shared
        .releases
        .catalog()
        .get(&id)
        .cloned()
        .map(Json)
        .ok_or_else(|| ApiError::not_found(format!("no release {id}")))
}

async fn upload_artifact(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<ArtifactInfo>), ApiError> {
    // An empty upload is a mistake (a missing file), and would take the name for good.
    if bytes.is_empty() {
        return Err(ApiError::bad_request(
            "an artifact needs a body: the image's bytes",
        ));
    }
    let store = Arc::clone(&shared);
    let info = tokio::task::spawn_blocking(move || store.artifacts.put(&name, &bytes))
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))??;
    Ok((StatusCode::CREATED, Json(info)))
}

async fn list_artifacts(
    State(shared): State<Arc<Shared>>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let names = shared.artifacts.names()?;
    let page = page.page(names, String::as_str)?;
    Ok(Json(json!(page)))
}

async fn describe_artifact(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Result<Json<ArtifactInfo>, ApiError> {
    // The first description after a start hashes the whole file: off the async workers.
    let store = Arc::clone(&shared);
    let info = tokio::task::spawn_blocking(move || store.artifacts.info(&name))
        .await
        .map_err(|e| ApiError::unavailable(e.to_string()))??;
    Ok(Json(info))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct UrlQuery {
    expires_in: Option<u64>,
}

/// A signed URL for the artifact, living `expiresIn` seconds (default: the service's URL
/// life).
async fn artifact_url(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    ApiQuery(query): ApiQuery<UrlQuery>,
) -> Result<Json<Value>, ApiError> {
    let life = query.expires_in.unwrap_or(shared.config.url_lifetime_secs);
    if !URL_LIFETIME_SECS.contains(&life) {
        return Err(ApiError::bad_request(format!(
            "expiresIn: {life} is not within {}..={}",
            URL_LIFETIME_SECS.start(),
            URL_LIFETIME_SECS.end()
        )));
    }
    shared.artifacts.check_exists(&name)?;
    let expires = shared.now_secs() + life;
    let url = shared
        .artifacts
        .signed_url(&shared.config.base_url(), &name, expires);
    Ok(Json(json!({ "url": url, "expires": expires })))
}
