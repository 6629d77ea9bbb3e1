//! One behavioural suite for every backend of the service traits.
//!
//! [`run`] exercises a [`JobService`] + [`DeviceJobs`] + [`FleetService`] the way a device
//! fleet and an operator would, and checks the answers AWS IoT Jobs gives. The in-memory
//! engine runs it in this crate's tests; it is written so that other backends of the traits
//! can run it too (an AWS backend is not built yet). `advance` moves the backend's clock (a
//! backend on a real clock would pass a function that sleeps, and skip the timing checks with
//! [`Suite::timing`] off).
//!
//! Names are prefixed with `prefix` so that several runs can share one backend. AWS notifies
//! targets at up to 1000 per minute, so after creating a job the suite lets a minute pass
//! (through `advance`) before it expects executions.

use ota_core::jobs::{ErrorCode, JobExecutionStatus};

use crate::error::ServiceError;
use crate::jobs::model::{
    JobSpec, JobStatus, RetryConfig, RetryCriteria, RetryFailureType, RolloutConfig, StartNext,
    Target, TimeoutConfig, UpdateExecution,
};
use crate::service::{DeviceJobs, FleetService, JobService, NextOrJob};

/// What to run.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Suite<'a> {
    /// Prefix of every thing, group and job name.
    pub prefix: &'a str,
    /// Run the checks that need the clock to move (timeouts).
    pub timing: bool,
}

/// The outcome of one check.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Check {
    /// Its name.
    pub name: &'static str,
    /// `Ok`, or what differed.
    pub result: Result<(), String>,
}

fn ensure(cond: bool, what: impl FnOnce() -> String) -> Result<(), String> {
    if cond { Ok(()) } else { Err(what()) }
}

fn e<T: core::fmt::Debug>(r: T) -> String {
    format!("{r:?}")
}

struct Ctx<'s, S> {
    s: &'s S,
    p: String,
    advance: &'s dyn Fn(u64),
}

impl<S: JobService + DeviceJobs + FleetService> Ctx<'_, S> {
    fn n(&self, name: &str) -> String {
        format!("{}{name}", self.p)
    }

    async fn fleet(&self, group: &str, things: usize) -> Result<Vec<String>, String> {
        let group = self.n(group);
        self.s.create_group(&group, None).await.map_err(e)?;
        let mut names = Vec::new();
        for i in 0..things {
            let thing = format!("{group}-t{i}");
            self.s.create_thing(&thing, vec![]).await.map_err(e)?;
            self.s.add_thing_to_group(&group, &thing).await.map_err(e)?;
            names.push(thing);
        }
        Ok(names)
    }

    /// Create a job and let the rollout notify its targets.
    async fn create(&self, spec: JobSpec) -> Result<crate::jobs::model::Job, String> {
        let job = self.s.create_job(spec).await.map_err(e)?;
        (self.advance)(60_000);
        Ok(job)
    }

    fn job(&self, id: &str, group: &str) -> JobSpec {
        JobSpec::new(
            self.n(id),
            vec![Target::Group(self.n(group))],
            r#"{"operation":"conformance"}"#,
        )
    }

    async fn set(&self, thing: &str, job: &str, status: JobExecutionStatus) -> Result<(), String> {
        self.s
            .update_execution(thing, job, UpdateExecution::new(status))
            .await
            .map(drop)
            .map_err(e)
    }
}

/// Run every check; returns one [`Check`] per check, in order.
pub async fn run<S, F>(service: &S, advance: F, suite: Suite<'_>) -> Vec<Check>
where
    S: JobService + DeviceJobs + FleetService,
    F: Fn(u64),
{
    let ctx = Ctx {
        s: service,
        p: suite.prefix.to_string(),
        advance: &advance,
    };
    let mut checks = Vec::new();
    macro_rules! check {
        ($name:literal, $body:expr) => {
            checks.push(Check {
                name: $name,
                result: $body.await,
            });
        };
    }
    check!("create_describe_list_delete", create_describe(&ctx));
    check!("duplicate_job_id_is_refused", duplicate(&ctx));
    check!("quotas_are_refused_up_front", quotas(&ctx));
    check!("group_targets_expand_to_members", expand(&ctx));
    check!("start_next_starts_the_oldest_queued", start_next(&ctx));
    check!(
        "stale_expected_version_is_version_mismatch",
        version_mismatch(&ctx)
    );
    check!("terminal_updates_are_invalid_transitions", terminal(&ctx));
    check!("unknown_executions_are_not_found", not_found(&ctx));
    check!("snapshot_job_completes", completes(&ctx));
    check!("cancel_job_and_force", cancel(&ctx));
    check!(
        "cancel_execution_needs_force_in_progress",
        cancel_execution(&ctx)
    );
    check!("pending_lists_in_progress_and_queued", pending(&ctx));
    if suite.timing {
        check!("in_progress_timeout_and_retry", timeout_retry(&ctx));
    }
    checks
}

async fn create_describe<S: JobService + DeviceJobs + FleetService>(
    c: &Ctx<'_, S>,
) -> Result<(), String> {
    c.fleet("g1", 2).await?;
    let job = c.create(c.job("j1", "g1")).await?;
    ensure(job.status == JobStatus::InProgress, || {
        format!("new job is {:?}", job.status)
    })?;
    let described = c.s.describe_job(&c.n("j1")).await.map_err(e)?;
    ensure(described.spec.job_id == c.n("j1"), || e(&described))?;
    let doc = c.s.job_document(&c.n("j1")).await.map_err(e)?;
    ensure(doc == r#"{"operation":"conformance"}"#, || doc.clone())?;
    let listed = c.s.list_jobs(None).await.map_err(e)?;
    ensure(listed.iter().any(|j| j.spec.job_id == c.n("j1")), || {
        "not listed".into()
    })?;
    c.s.cancel_job(&c.n("j1"), None, None, true)
        .await
        .map_err(e)?;
    c.s.delete_job(&c.n("j1"), true).await.map_err(e)?;
    match c.s.describe_job(&c.n("j1")).await {
        Err(ServiceError::ResourceNotFound(_)) => Ok(()),
        other => Err(format!("deleted job: {other:?}")),
    }
}

async fn duplicate<S: JobService + DeviceJobs + FleetService>(
    c: &Ctx<'_, S>,
) -> Result<(), String> {
    c.fleet("g2", 1).await?;
    c.create(c.job("j2", "g2")).await?;
    match c.s.create_job(c.job("j2", "g2")).await {
        Err(ServiceError::ResourceAlreadyExists(_)) => Ok(()),
        other => Err(format!("second create: {other:?}")),
    }
}

async fn quotas<S: JobService + DeviceJobs + FleetService>(c: &Ctx<'_, S>) -> Result<(), String> {
    c.fleet("g3", 1).await?;
    let mut spec = c.job("j3", "g3");
    spec.job_executions_rollout_config = Some(RolloutConfig {
        maximum_per_minute: Some(1001),
        ..Default::default()
    });
    match c.s.create_job(spec).await {
        Err(ServiceError::InvalidRequest(_)) => {}
        other => return Err(format!("maximumPerMinute 1001: {other:?}")),
    }
    let mut spec = c.job("bad id!", "g3");
    spec.job_id = c.n("bad id!");
    match c.s.create_job(spec).await {
        Err(ServiceError::InvalidRequest(_)) => Ok(()),
        other => Err(format!("bad job id: {other:?}")),
    }
}

async fn expand<S: JobService + DeviceJobs + FleetService>(c: &Ctx<'_, S>) -> Result<(), String> {
    let things = c.fleet("g4", 3).await?;
    c.create(c.job("j4", "g4")).await?;
    for thing in &things {
        let pending = c.s.get_pending(thing).await.map_err(e)?;
        let queued = pending.queued.iter().any(|x| x.job_id == c.n("j4"));
        ensure(queued, || format!("{thing}: {pending:?}"))?;
    }
    Ok(())
}

async fn start_next<S: JobService + DeviceJobs + FleetService>(
    c: &Ctx<'_, S>,
) -> Result<(), String> {
    let things = c.fleet("g5", 1).await?;
    c.create(c.job("j5", "g5")).await?;
    let started =
        c.s.start_next(&things[0], StartNext::default())
            .await
            .map_err(e)?
            .ok_or("nothing started")?;
    ensure(
        started.status == JobExecutionStatus::InProgress && started.version_number == 2,
        || e(&started),
    )?;
    ensure(started.job_document.is_some(), || "no document".into())?;
    let next =
        c.s.describe_execution(&things[0], NextOrJob::Next, None, true)
            .await
            .map_err(e)?;
    ensure(next.is_some_and(|n| n.job_id == c.n("j5")), || {
        "$next is not the started job".into()
    })
}

async fn version_mismatch<S: JobService + DeviceJobs + FleetService>(
    c: &Ctx<'_, S>,
) -> Result<(), String> {
    let things = c.fleet("g6", 1).await?;
    c.create(c.job("j6", "g6")).await?;
    c.set(&things[0], &c.n("j6"), JobExecutionStatus::InProgress)
        .await?;
    let mut update = UpdateExecution::new(JobExecutionStatus::Succeeded);
    update.expected_version = Some(1);
    match c.s.update_execution(&things[0], &c.n("j6"), update).await {
        Err(err)
            if err.code == ErrorCode::VersionMismatch
                && err
                    .execution_state
                    .as_ref()
                    .is_some_and(|s| s.version_number == 2) =>
        {
            Ok(())
        }
        other => Err(format!("stale update: {other:?}")),
    }
}

async fn terminal<S: JobService + DeviceJobs + FleetService>(c: &Ctx<'_, S>) -> Result<(), String> {
    let things = c.fleet("g7", 1).await?;
    c.create(c.job("j7", "g7")).await?;
    c.set(&things[0], &c.n("j7"), JobExecutionStatus::InProgress)
        .await?;
    c.set(&things[0], &c.n("j7"), JobExecutionStatus::Succeeded)
        .await?;
    match c
        .s
        .update_execution(
            &things[0],
            &c.n("j7"),
            UpdateExecution::new(JobExecutionStatus::InProgress),
        )
        .await
    {
        Err(err) if err.code == ErrorCode::InvalidStateTransition => {}
        other => return Err(format!("update after SUCCEEDED: {other:?}")),
    }
    match c
        .s
        .describe_execution(&things[0], NextOrJob::Job(c.n("j7")), None, false)
        .await
    {
        Err(err) if err.code == ErrorCode::TerminalStateReached => Ok(()),
        other => Err(format!("describe after SUCCEEDED: {other:?}")),
    }
}

async fn not_found<S: JobService + DeviceJobs + FleetService>(
    c: &Ctx<'_, S>,
) -> Result<(), String> {
    let things = c.fleet("g8", 1).await?;
    match c
        .s
        .update_execution(
            &things[0],
            &c.n("no-such-job"),
            UpdateExecution::new(JobExecutionStatus::InProgress),
        )
        .await
    {
        Err(err) if err.code == ErrorCode::ResourceNotFound => Ok(()),
        other => Err(format!("update of an unknown job: {other:?}")),
    }
}

async fn completes<S: JobService + DeviceJobs + FleetService>(
    c: &Ctx<'_, S>,
) -> Result<(), String> {
    let things = c.fleet("g9", 2).await?;
    c.create(c.job("j9", "g9")).await?;
    c.set(&things[0], &c.n("j9"), JobExecutionStatus::InProgress)
        .await?;
    c.set(&things[0], &c.n("j9"), JobExecutionStatus::Succeeded)
        .await?;
    c.set(&things[1], &c.n("j9"), JobExecutionStatus::InProgress)
        .await?;
    c.set(&things[1], &c.n("j9"), JobExecutionStatus::Failed)
        .await?;
    let job = c.s.describe_job(&c.n("j9")).await.map_err(e)?;
    let d = &job.job_process_details;
    ensure(job.status == JobStatus::Completed, || {
        format!("status {:?}", job.status)
    })?;
    ensure(
        d.by_status[JobExecutionStatus::Succeeded] == 1
            && d.by_status[JobExecutionStatus::Failed] == 1,
        || e(d),
    )
}

async fn cancel<S: JobService + DeviceJobs + FleetService>(c: &Ctx<'_, S>) -> Result<(), String> {
    let things = c.fleet("g10", 2).await?;
    c.create(c.job("j10", "g10")).await?;
    c.set(&things[0], &c.n("j10"), JobExecutionStatus::InProgress)
        .await?;
    let job =
        c.s.cancel_job(&c.n("j10"), Some("TEST".into()), None, false)
            .await
            .map_err(e)?;
    ensure(job.status == JobStatus::Canceled, || e(job.status))?;
    let queued =
        c.s.describe_job_execution(&c.n("j10"), &things[1], None)
            .await
            .map_err(e)?;
    ensure(queued.status == JobExecutionStatus::Canceled, || {
        e(queued.status)
    })?;
    let running =
        c.s.describe_job_execution(&c.n("j10"), &things[0], None)
            .await
            .map_err(e)?;
    ensure(running.status == JobExecutionStatus::InProgress, || {
        "IN_PROGRESS cancelled without force".into()
    })
}

async fn cancel_execution<S: JobService + DeviceJobs + FleetService>(
    c: &Ctx<'_, S>,
) -> Result<(), String> {
    let things = c.fleet("g11", 1).await?;
    c.create(c.job("j11", "g11")).await?;
    c.set(&things[0], &c.n("j11"), JobExecutionStatus::InProgress)
        .await?;
    match c
        .s
        .cancel_job_execution(&c.n("j11"), &things[0], false, None, None)
        .await
    {
        Err(ServiceError::InvalidStateTransition(_)) => {}
        other => return Err(format!("unforced cancel of IN_PROGRESS: {other:?}")),
    }
    c.s.cancel_job_execution(&c.n("j11"), &things[0], true, None, None)
        .await
        .map_err(e)?;
    let x =
        c.s.describe_job_execution(&c.n("j11"), &things[0], None)
            .await
            .map_err(e)?;
    ensure(x.status == JobExecutionStatus::Canceled, || e(x.status))
}

async fn pending<S: JobService + DeviceJobs + FleetService>(c: &Ctx<'_, S>) -> Result<(), String> {
    let things = c.fleet("g12", 1).await?;
    c.create(c.job("j12a", "g12")).await?;
    c.create(c.job("j12b", "g12")).await?;
    c.set(&things[0], &c.n("j12b"), JobExecutionStatus::InProgress)
        .await?;
    let p = c.s.get_pending(&things[0]).await.map_err(e)?;
    let ok = p.in_progress.iter().any(|x| x.job_id == c.n("j12b"))
        && p.queued.iter().any(|x| x.job_id == c.n("j12a"));
    ensure(ok, || e(&p))?;
    let started =
        c.s.start_next(&things[0], StartNext::default())
            .await
            .map_err(e)?;
    ensure(started.is_some_and(|s| s.job_id == c.n("j12b")), || {
        "start-next did not return the IN_PROGRESS job".into()
    })
}

async fn timeout_retry<S: JobService + DeviceJobs + FleetService>(
    c: &Ctx<'_, S>,
) -> Result<(), String> {
    let things = c.fleet("g13", 1).await?;
    let mut spec = c.job("j13", "g13");
    spec.timeout_config = Some(TimeoutConfig {
        in_progress_timeout_in_minutes: Some(1),
    });
    spec.job_executions_retry_config = Some(RetryConfig {
        criteria_list: vec![RetryCriteria {
            failure_type: RetryFailureType::TimedOut,
            number_of_retries: 1,
        }],
    });
    c.create(spec).await?;
    c.set(&things[0], &c.n("j13"), JobExecutionStatus::InProgress)
        .await?;
    (c.advance)(61_000);
    let x =
        c.s.describe_job_execution(&c.n("j13"), &things[0], None)
            .await
            .map_err(e)?;
    ensure(
        x.status == JobExecutionStatus::Queued && x.execution_number == 2,
        || format!("after the timeout: {x:?}"),
    )
}
