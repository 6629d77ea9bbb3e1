//! `/api/v1/campaigns`: staged campaigns, stepped by the service (see `serve::campaigns`).

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiQuery, PageQuery, body};
use crate::campaign::{Campaign, CampaignSpec, CampaignStatus};
use crate::serve::Shared;

/// Failed devices listed per stage in a campaign's report.
const REPORT_FAILURES: usize = 50;

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route(
            "/api/v1/campaigns",
            get(list_campaigns).post(create_campaign),
        )
        .route("/api/v1/campaigns/:id", get(describe_campaign))
        .route("/api/v1/campaigns/:id/pause", post(pause))
        .route("/api/v1/campaigns/:id/resume", post(resume))
        .route("/api/v1/campaigns/:id/stop", post(stop))
        .route("/api/v1/campaigns/:id/approve", post(approve))
}

async fn create_campaign(
    State(shared): State<Arc<Shared>>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<CampaignStatus>), ApiError> {
    let mut spec: CampaignSpec = body(&bytes)?;
    super::jobs::fill_self_signing(
        &mut spec.presigned_url_config,
        std::iter::once(&spec.release)
            .chain(&spec.previous)
            .map(|r| r.document.as_str()),
        shared.config.url_lifetime_secs,
    );
    let catalog = shared.releases.catalog();
    for release in std::iter::once(&spec.release).chain(&spec.previous) {
        match catalog.get(&release.id) {
            None => {
                return Err(ApiError::bad_request(format!(
                    "release {} is not in the catalog: POST it to /api/v1/releases first",
                    release.id
                )));
            }
            Some(stored) if stored != release => {
                return Err(ApiError::bad_request(format!(
                    "release {} differs from the catalog's (GET /api/v1/releases/{} and use it as it is)",
                    release.id, release.id
                )));
            }
            Some(_) => {}
        }
    }
    let campaign = Campaign::new(spec, &catalog)?;
    let mut campaigns = shared.campaigns.lock().await;
    if campaigns.contains_key(campaign.id()) {
        return Err(ApiError::new(
            StatusCode::CONFLICT,
            "ResourceAlreadyExistsException",
            format!("campaign {} exists", campaign.id()),
        ));
    }
    shared.save_campaign(&campaign)?;
    let status = campaign.status();
    campaigns.insert(campaign.id().to_string(), campaign);
    drop(campaigns);
    shared.wake_campaigns.notify_one();
    Ok((StatusCode::CREATED, Json(status)))
}

async fn list_campaigns(
    State(shared): State<Arc<Shared>>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let statuses: Vec<CampaignStatus> = shared
        .campaigns
        .lock()
        .await
        .values()
        .map(Campaign::status)
        .collect();
    Ok(Json(json!(page.page(statuses, |s| &s.id)?)))
}

/// The campaign's report: status, each stage's fresh counts and failed devices with their
/// reasons, refusals and approvals. When a stage's job cannot be described (deleted outside
/// the campaign), the status as the last step saw it, no stages, and `reportError`.
async fn describe_campaign(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let campaign = shared
        .campaigns
        .lock()
        .await
        .get(&id)
        .cloned()
        .ok_or_else(|| ApiError::not_found(format!("no campaign {id}")))?;
    // A stage job deleted behind the campaign's back leaves the status without fresh counts.
    match campaign.report(&*shared.engine, REPORT_FAILURES).await {
        Ok(report) => Ok(Json(json!(report))),
        Err(e) => Ok(Json(json!({
            "status": campaign.status(),
            "stages": [],
            "refusals": campaign.refusals(),
            "approvals": campaign.approvals(),
            "reportError": e.to_string(),
        }))),
    }
}

/// Apply `change` to campaign `id` and store it; the stepping task takes it from there.
async fn change(
    shared: &Shared,
    id: &str,
    change: impl FnOnce(&mut Campaign, u64) -> Result<(), crate::campaign::CampaignError>,
) -> Result<Json<CampaignStatus>, ApiError> {
    let mut campaigns = shared.campaigns.lock().await;
    let campaign = campaigns
        .get_mut(id)
        .ok_or_else(|| ApiError::not_found(format!("no campaign {id}")))?;
    let mut changed = campaign.clone();
    change(&mut changed, shared.now_ms())?;
    shared.save_campaign(&changed)?;
    *campaign = changed;
    let status = campaign.status();
    drop(campaigns);
    shared.wake_campaigns.notify_one();
    Ok(Json(status))
}

async fn pause(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<CampaignStatus>, ApiError> {
    change(&shared, &id, |c, now| c.pause(now)).await
}

async fn resume(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
) -> Result<Json<CampaignStatus>, ApiError> {
    change(&shared, &id, |c, now| c.resume(now)).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Stop {
    by: String,
    reason: String,
}

async fn stop(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<CampaignStatus>, ApiError> {
    let stop: Stop = body(&bytes)?;
    change(&shared, &id, |c, now| c.stop(&stop.by, &stop.reason, now)).await
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct Approve {
    stage: String,
    by: String,
    #[serde(default)]
    remark: String,
}

async fn approve(
    State(shared): State<Arc<Shared>>,
    Path(id): Path<String>,
    bytes: Bytes,
) -> Result<Json<CampaignStatus>, ApiError> {
    let approve: Approve = body(&bytes)?;
    change(&shared, &id, |c, now| {
        c.approve(&approve.stage, &approve.by, &approve.remark, now)
    })
    .await
}
