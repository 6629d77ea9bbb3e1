//! `/api/v1/things` and `/api/v1/groups`: the registry.

use std::sync::Arc;

use axum::body::Bytes;
use axum::extract::{Path, State};
use axum::http::StatusCode;
use axum::routing::{get, put};
use axum::{Json, Router};
use ota_core::jobs::JobExecutionStatus;
use serde::Deserialize;
use serde_json::{Value, json};

use super::{ApiError, ApiQuery, PageQuery, body};
use crate::serve::Shared;
use crate::service::{FleetService, JobService, Thing};

pub(super) fn routes() -> Router<Arc<Shared>> {
    Router::new()
        .route("/api/v1/things", get(list_things).post(create_thing))
        .route(
            "/api/v1/things/:name",
            get(describe_thing).delete(delete_thing),
        )
        .route("/api/v1/things/:name/executions", get(thing_executions))
        .route(
            "/api/v1/things/:name/credentials",
            axum::routing::post(issue_credentials).delete(revoke_credentials),
        )
        .route("/api/v1/groups", get(list_groups).post(create_group))
        .route("/api/v1/groups/:name", get(describe_group))
        .route(
            "/api/v1/groups/:name/things/:thing",
            put(add_to_group).delete(remove_from_group),
        )
}

/// A thing as the API writes it: `{"thingName": ..., "attributes": {...}}`, the shape
/// `POST /things` takes.
fn thing_json(thing: &Thing) -> Value {
    let attributes: serde_json::Map<String, Value> = thing
        .attributes
        .iter()
        .map(|(k, v)| (k.clone(), Value::String(v.clone())))
        .collect();
    json!({ "thingName": thing.name, "attributes": attributes })
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateThing {
    thing_name: String,
    #[serde(default)]
    attributes: std::collections::BTreeMap<String, String>,
}

async fn create_thing(
    State(shared): State<Arc<Shared>>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: CreateThing = body(&bytes)?;
    let attributes: Vec<(String, String)> = request.attributes.into_iter().collect();
    shared
        .engine
        .create_thing(&request.thing_name, attributes)
        .await?;
    let thing = shared.engine.describe_thing(&request.thing_name).await?;
    Ok((StatusCode::CREATED, Json(thing_json(&thing))))
}

async fn list_things(
    State(shared): State<Arc<Shared>>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let things: Vec<Thing> = shared.engine.read(|engine| {
        let fleet = engine.fleet();
        fleet
            .things()
            .filter_map(|id| {
                Some(Thing {
                    name: fleet.thing_name(id)?.to_string(),
                    attributes: fleet
                        .attributes(id)
                        .map(|(k, v)| (k.to_string(), v.to_string()))
                        .collect(),
                })
            })
            .collect()
    });
    let page = query.page(things, |t| &t.name)?;
    let mut answer = json!({ "items": page.items.iter().map(thing_json).collect::<Vec<_>>() });
    if let Some(token) = page.next_token {
        answer["nextToken"] = Value::String(token);
    }
    Ok(Json(answer))
}

async fn describe_thing(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    Ok(Json(thing_json(
        &shared.engine.describe_thing(&name).await?,
    )))
}

async fn delete_thing(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    shared.engine.delete_thing(&name).await?;
    // Its credentials go with it (a thing of the same name made later must not inherit
    // them), and so does its connection.
    shared
        .credentials
        .revoke(&name)
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    if let Some(endpoint) = &shared.endpoint {
        endpoint.disconnect(&name);
    }
    Ok(StatusCode::NO_CONTENT)
}

/// `?status=` as an execution status (AWS's names).
#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
pub(super) struct StatusQuery {
    status: Option<String>,
}

impl StatusQuery {
    pub(super) fn execution_status(&self) -> Result<Option<JobExecutionStatus>, ApiError> {
        self.status
            .as_deref()
            .map(|s| {
                JobExecutionStatus::from_wire(s).ok_or_else(|| {
                    ApiError::bad_request(format!("status: {s} is not an execution status"))
                })
            })
            .transpose()
    }

    pub(super) fn raw(&self) -> Option<&str> {
        self.status.as_deref()
    }
}

async fn thing_executions(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
    ApiQuery(status): ApiQuery<StatusQuery>,
    ApiQuery(page): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let executions = shared
        .engine
        .list_job_executions_for_thing(&name, status.execution_status()?)
        .await?;
    Ok(Json(json!(page.page(executions, |e| &e.job_id)?)))
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct CreateGroup {
    group_name: String,
    parent_group_name: Option<String>,
    /// A fleet-indexing query: a dynamic group.
    query: Option<String>,
}

async fn create_group(
    State(shared): State<Arc<Shared>>,
    bytes: Bytes,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    let request: CreateGroup = body(&bytes)?;
    match (&request.query, &request.parent_group_name) {
        (Some(_), Some(_)) => {
            return Err(ApiError::bad_request(
                "a dynamic group (query) cannot have a parent",
            ));
        }
        (Some(query), None) => {
            shared
                .engine
                .create_dynamic_group(&request.group_name, query)
                .await?;
        }
        (None, parent) => {
            shared
                .engine
                .create_group(&request.group_name, parent.clone())
                .await?;
        }
    }
    Ok((
        StatusCode::CREATED,
        group(&shared, &request.group_name).await?,
    ))
}

async fn group(shared: &Shared, name: &str) -> Result<Json<Value>, ApiError> {
    let mut members = shared.engine.list_group_members(name).await?;
    members.sort();
    let (parent, query) = shared.engine.read(|engine| {
        let fleet = engine.fleet();
        let id = fleet.group(name);
        (
            id.and_then(|id| fleet.parent(id))
                .and_then(|p| fleet.group_name(p))
                .map(str::to_string),
            id.and_then(|id| fleet.query(id))
                .map(|q| q.as_str().to_string()),
        )
    });
    Ok(Json(json!({
        "groupName": name,
        "parentGroupName": parent,
        "query": query,
        "members": members,
    })))
}

async fn list_groups(
    State(shared): State<Arc<Shared>>,
    ApiQuery(query): ApiQuery<PageQuery>,
) -> Result<Json<Value>, ApiError> {
    let names: Vec<String> = shared.engine.read(|engine| {
        let fleet = engine.fleet();
        fleet
            .groups()
            .filter_map(|id| fleet.group_name(id).map(str::to_string))
            .collect()
    });
    Ok(Json(json!(query.page(names, String::as_str)?)))
}

async fn describe_group(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Result<Json<Value>, ApiError> {
    group(&shared, &name).await
}

async fn add_to_group(
    State(shared): State<Arc<Shared>>,
    Path((name, thing)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    shared.engine.add_thing_to_group(&name, &thing).await?;
    Ok(StatusCode::NO_CONTENT)
}

async fn remove_from_group(
    State(shared): State<Arc<Shared>>,
    Path((name, thing)): Path<(String, String)>,
) -> Result<StatusCode, ApiError> {
    shared.engine.remove_thing_from_group(&name, &thing).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// New MQTT credentials for the thing (the password is shown this once; earlier ones stop
/// working, and a connection made with them ends). Only for the service's own MQTT
/// endpoint: with an external broker, its own authentication applies.
async fn issue_credentials(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Result<(StatusCode, Json<Value>), ApiError> {
    if shared.endpoint.is_none() {
        return Err(ApiError::conflict(
            "the service uses an external broker: devices authenticate there",
        ));
    }
    shared.engine.describe_thing(&name).await?;
    let password = shared
        .credentials
        .issue(&name)
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    // A connection made with the old password ends now.
    if let Some(endpoint) = &shared.endpoint {
        endpoint.disconnect(&name);
    }
    Ok((
        StatusCode::CREATED,
        Json(json!({
            "thingName": name,
            "clientId": name,
            "username": name,
            "password": password,
            "topicRoot": shared.config.topic_root(),
        })),
    ))
}

/// Remove the thing's MQTT credentials: it can no longer connect, and its connection ends.
/// Idempotent: a known thing without credentials answers 204 too; an unknown thing is 404.
async fn revoke_credentials(
    State(shared): State<Arc<Shared>>,
    Path(name): Path<String>,
) -> Result<StatusCode, ApiError> {
    let had = shared
        .credentials
        .revoke(&name)
        .map_err(|e| ApiError::unavailable(e.to_string()))?;
    if let Some(endpoint) = &shared.endpoint {
        endpoint.disconnect(&name);
    }
    if !had {
        // Revoking is idempotent: a thing without credentials is already revoked. Only an
        // unknown thing is an error.
        shared.engine.describe_thing(&name).await?;
    }
    Ok(StatusCode::NO_CONTENT)
}
