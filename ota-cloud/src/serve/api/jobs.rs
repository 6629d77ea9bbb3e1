//! `/api/v1/jobs`: jobs and their executions.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::fleet::StatusQuery;
use super::{ApiError, ApiQuery, PageQuery, body};
use crate::jobs::model::{
    CancelExecution, CancelJob, Job, JobExecution, JobSpec, JobStatus, PresignedUrlConfig,
};
use crate::serve::Shared;
use crate::service::JobService;

/// The role recorded in `presignedUrlConfig` when the service fills it in.
const SELF_SIGNING_ROLE: &str = "arn:aws:iam::000000000000:role/ota-cloud-serve";

/// AWS requires a role to pre-sign with; this service signs with its own key, so jobs
/// whose `documents` hold `${aws:iot:s3-presigned-url:...}` placeholders need none: a
/// configuration is filled in with [`SELF_SIGNING_ROLE`] and the service's URL life (within
/// AWS's bounds). One given is kept, and its role unused.
pub(super) fn fill_self_signing<'a>(
    config: &mut Option<PresignedUrlConfig>,
    documents: impl IntoIterator<Item = &'a str>,
    url_lifetime_secs: u64,
) {
    let placeholders = documents
        .into_iter()
        .any(|d| d.contains(crate::gateway::PRESIGN_PLACEHOLDER));
    if config.is_none() && placeholders {
        let life = url_lifetime_secs.clamp(
            u64::from(crate::PRESIGNED_MIN_SECS),
            u64::from(crate::PRESIGNED_MAX_SECS),
        );
        *config = Some(PresignedUrlConfig {
            role_arn: SELF_SIGNING_ROLE.to_string(),
            expires_in_sec: u32::try_from(life).ok(),
        });
    }
}

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v1/jobs", get(list_jobs).post(create_job))
        .route("/api/v1/jobs/:id", get(describe_job).delete(delete_job))
        .route("/api/v1/jobs/:id/document", get(job_document))
        .route("/api/v1/jobs/:id/cancel", post(cancel_job))
        .route("/api/v1/jobs/:id/executions", get(list_executions))
        .route(
            "/api/v1/jobs/:id/executions/:thing",
            get(describe_execution),
        )
        .route(
            "/api/v1/jobs/:id/executions/:thing/cancel",
            post(cancel_execution),
        )
}

async fn create_job(
    State(shared): State<Arc<Shared>>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Job>), ApiError> {
    let mut spec: JobSpec = body(&bytes)?;
    fill_self_signing(
        &mut spec.presigned_url_config,
        [spec.document.as_str()],
        shared.config.url_lifetime_secs,
    );
    let job = shared.engine.create_job(spec).await?;
    Ok((StatusCode::CREATED, Json(job)))
}

async fn list_jobs(
    State(shared): State<Arc<Shared>>,
    ApiQuery(status): ApiQuery<StatusQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let status = status
        .raw()
        .map(|s| {
            JobStatus::ALL
                .into_iter()
                .find(|status| status.as_str() == s)
                .ok_or_else(|| ApiError::bad_request(format!("status: {s} is not a job status")))
        })
        .transpose()?;
    let jobs = shared.engine.list_jobs(status).await?;
    Ok(Json(json!(page.page(jobs, |j| &j.spec.job_id)?)))
}

async fn describe_job(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Job>, ApiError> {
    Ok(Json(shared.engine.describe_job(&id).await?))
}

async fn job_document(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let document = shared.engine.job_document(&id).await?;
    Ok(Json(json!({ "document": document })))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ForceQuery {
    #[serde(default)]
    force: bool,
}

async fn delete_job(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    ApiQuery(force): ApiQuery<ForceQuery>,
) -> Result<StatusCode, ApiError> {
    shared.engine.delete_job(&id, force.force).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// A body that may be empty (then `T::default()`).
fn optional_body<T: serde::de::DeserializeOwned + Default>(bytes: &Bytes) -> Result<T, ApiError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        Ok(T::default())
    } else {
        body(bytes)
    }
}

async fn cancel_job(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<Job>, ApiError> {
    let cancel: CancelJob = optional_body(&bytes)?;
    Ok(Json(shared.engine.cancel_job(&id, cancel).await?))
}

async fn list_executions(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    ApiQuery(status): ApiQuery<StatusQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let executions = shared
        .engine
        .list_job_executions_for_job(&id, status.execution_status()?)
        .await?;
    Ok(Json(json!(page.page(executions, |e| &e.thing_name)?)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct ExecutionQuery {
    execution_number: Option<u64>,
}

async fn describe_execution(
    State(shared): State<Arc<Shared>>,
    Path((id, thing)): Path<(String, String)>,
    ApiQuery(query): ApiQuery<ExecutionQuery>,
) -> Result<Json<JobExecution>, ApiError> {
    Ok(Json(
        shared
            .engine
            .describe_job_execution(&id, &thing, query.execution_number)
            .await?,
    ))
}

async fn cancel_execution(
    State(shared): State<Arc<Shared>>,
    Path((id, thing)): Path<(String, String)>,
    bytes: Bytes,
) -> Result<StatusCode, ApiError> {
    let cancel: CancelExecution = optional_body(&bytes)?;
    shared
        .engine
        .cancel_job_execution(&id, &thing, cancel)
        .await?;
    Ok(StatusCode::NO_CONTENT)
}
