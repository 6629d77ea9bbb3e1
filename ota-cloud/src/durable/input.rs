//! [`Input`]: one call that changes the engine, as the journal stores it, and [`apply`],
//! which makes it on an engine the same way whether the call is new or replayed.

use serde::{Deserialize, Serialize};

use crate::error::{DataPlaneError, ServiceError};
use crate::fleet::FleetError;
use crate::jobs::engine::Engine;
use crate::jobs::model::{
    CancelExecution, CancelJob, DeviceExecution, Job, JobSpec, StartNext, UpdateExecution,
    UpdateOutcome,
};

/// A call that changes the engine (reads are not journaled).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(tag = "op", rename_all = "camelCase", rename_all_fields = "camelCase")]
pub(crate) enum Input {
    CreateJob {
        spec: JobSpec,
    },
    CancelJob {
        job_id: String,
        cancel: CancelJob,
    },
    DeleteJob {
        job_id: String,
        force: bool,
    },
    CancelExecution {
        job_id: String,
        thing: String,
        cancel: CancelExecution,
    },
    StartNext {
        thing: String,
        request: StartNext,
    },
    Update {
        thing: String,
        job_id: String,
        update: UpdateExecution,
    },
    CreateThing {
        name: String,
        attributes: Vec<(String, String)>,
    },
    DeleteThing {
        name: String,
    },
    SetAttribute {
        thing: String,
        key: String,
        value: Option<String>,
    },
    CreateGroup {
        name: String,
        parent: Option<String>,
    },
    CreateDynamicGroup {
        name: String,
        query: String,
    },
    AddToGroup {
        group: String,
        thing: String,
    },
    RemoveFromGroup {
        group: String,
        thing: String,
    },
}

/// What applying an [`Input`] answered.
#[derive(Debug)]
pub(crate) enum Applied {
    Job(Box<Result<Job, ServiceError>>),
    Done(Result<(), ServiceError>),
    Started(Result<Option<DeviceExecution>, DataPlaneError>),
    Updated(Result<UpdateOutcome, DataPlaneError>),
    Fleet(Result<(), FleetError>),
}

/// Make `input` on `engine` (already advanced to the input's time).
pub(crate) fn apply(engine: &mut Engine, input: &Input) -> Applied {
    match input {
        Input::CreateJob { spec } => Applied::Job(Box::new(engine.create_job(spec.clone()))),
        Input::CancelJob { job_id, cancel } => {
            Applied::Job(Box::new(engine.cancel_job(job_id, cancel.clone())))
        }
        Input::DeleteJob { job_id, force } => Applied::Done(engine.delete_job(job_id, *force)),
        Input::CancelExecution {
            job_id,
            thing,
            cancel,
        } => Applied::Done(engine.cancel_job_execution(job_id, thing, cancel.clone())),
        Input::StartNext { thing, request } => Applied::Started(engine.start_next(thing, request)),
        Input::Update {
            thing,
            job_id,
            update,
        } => Applied::Updated(engine.update_execution(thing, job_id, update)),
        Input::CreateThing { name, attributes } => {
            let attrs: Vec<(&str, &str)> = attributes
                .iter()
                .map(|(k, v)| (k.as_str(), v.as_str()))
                .collect();
            Applied::Fleet(engine.create_thing(name, &attrs).map(drop))
        }
        Input::DeleteThing { name } => Applied::Fleet(engine.delete_thing(name)),
        Input::SetAttribute { thing, key, value } => {
            Applied::Fleet(engine.set_attribute(thing, key, value.as_deref()))
        }
        Input::CreateGroup { name, parent } => {
            Applied::Fleet(engine.create_group(name, parent.as_deref()).map(drop))
        }
        Input::CreateDynamicGroup { name, query } => {
            Applied::Fleet(engine.create_dynamic_group(name, query).map(drop))
        }
        Input::AddToGroup { group, thing } => {
            Applied::Fleet(engine.add_thing_to_group(group, thing))
        }
        Input::RemoveFromGroup { group, thing } => {
            Applied::Fleet(engine.remove_thing_from_group(group, thing))
        }
    }
}
