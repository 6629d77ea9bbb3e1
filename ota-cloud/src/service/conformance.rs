//! One behavioural suite for every backend of the service traits.
//!
//! [`run`] exercises a [`JobService`] + [`DeviceJobs`] + [`FleetService`] the way a device
//! fleet and an operator would, and checks the answers AWS IoT Jobs gives. The in-memory
//! engine runs it in this crate's tests; the AWS backend runs it against MiniStack
//! (`tests/peer_aws.rs`, with that emulator's divergences listed). `advance` moves the backend's clock (a
//! backend on a real clock would pass a function that sleeps, and skip the timing checks with
//! [`Suite::timing`] off).
//!
//! Names are prefixed with `prefix` so that several runs can share one backend. AWS notifies
//! targets at up to 1000 per minute, so after creating a job the suite lets a minute pass
//! (through `advance`) before it expects executions.

use ota_core::jobs::{ErrorCode, JobExecutionStatus};

use crate::error::{DataPlaneError, ServiceError};
use crate::jobs::model::{
    CancelExecution, CancelJob, DeviceExecution, JobExecution, JobSpec, JobStatus, RetryConfig,
    RetryCriteria, RetryFailureType, RolloutConfig, StartNext, Target, TimeoutConfig,
    UpdateExecution, UpdateOutcome,
};
use crate::service::{DescribeExecution, DeviceJobs, FleetService, JobService, NextOrJob};

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

    /// Group `group` of `things` new things, and job `id` on it created and rolled out: the
    /// things' names.
    async fn job_on(&self, id: &str, group: &str, things: usize) -> Result<Vec<String>, String> {
        let names = self.fleet(group, things).await?;
        self.create(self.job(id, group)).await?;
        Ok(names)
    }

    /// UpdateJobExecution of job `job` on `thing` to `status`, without options.
    async fn update(
        &self,
        thing: &str,
        job: &str,
        status: JobExecutionStatus,
    ) -> Result<UpdateOutcome, DataPlaneError> {
        let update = UpdateExecution::new(status);
        self.s.update_execution(thing, &self.n(job), update).await
    }

    /// Update `thing`'s execution of job `job` to each of `statuses` in turn.
    async fn set(
        &self,
        thing: &str,
        job: &str,
        statuses: &[JobExecutionStatus],
    ) -> Result<(), String> {
        for &status in statuses {
            self.update(thing, job, status).await.map_err(e)?;
        }
        Ok(())
    }

    /// DescribeJobExecution of job `job` on `thing`, the latest execution.
    async fn execution(&self, job: &str, thing: &str) -> Result<JobExecution, String> {
        self.s
            .describe_job_execution(&self.n(job), thing, None)
            .await
            .map_err(e)
    }

    /// StartNextPendingJobExecution on `thing`, without options.
    async fn start(&self, thing: &str) -> Result<Option<DeviceExecution>, String> {
        self.s
            .start_next(thing, StartNext::default())
            .await
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
    check!("create_describe_list_delete", ctx.create_describe());
    check!("duplicate_job_id_is_refused", ctx.duplicate());
    check!("quotas_are_refused_up_front", ctx.quotas());
    check!("group_targets_expand_to_members", ctx.expand());
    check!("start_next_starts_the_oldest_queued", ctx.start_next());
    check!(
        "stale_expected_version_is_version_mismatch",
        ctx.version_mismatch()
    );
    check!("terminal_updates_are_invalid_transitions", ctx.terminal());
    check!("unknown_executions_are_not_found", ctx.not_found());
    check!("snapshot_job_completes", ctx.completes());
    check!("cancel_job_and_force", ctx.cancel());
    check!(
        "cancel_execution_needs_force_in_progress",
        ctx.cancel_execution()
    );
    check!("pending_lists_in_progress_and_queued", ctx.pending());
    if suite.timing {
        check!("in_progress_timeout_and_retry", ctx.timeout_retry());
    }
    checks
}

/// The checks, one method each.
impl<S: JobService + DeviceJobs + FleetService> Ctx<'_, S> {
    async fn create_describe(&self) -> Result<(), String> {
        let id = self.n("j1");
        self.fleet("g1", 2).await?;
        let job = self.create(self.job("j1", "g1")).await?;
        ensure(job.status == JobStatus::InProgress, || {
            format!("new job is {:?}", job.status)
        })?;
        let described = self.s.describe_job(&id).await.map_err(e)?;
        ensure(described.spec.job_id == id, || e(&described))?;
        let doc = self.s.job_document(&id).await.map_err(e)?;
        ensure(doc == r#"{"operation":"conformance"}"#, || doc.clone())?;
        let listed = self.s.list_jobs(None).await.map_err(e)?;
        ensure(listed.iter().any(|j| j.spec.job_id == id), || {
            "not listed".into()
        })?;
        self.s
            .cancel_job(&id, CancelJob::forced())
            .await
            .map_err(e)?;
        self.s.delete_job(&id, true).await.map_err(e)?;
        match self.s.describe_job(&id).await {
            Err(ServiceError::ResourceNotFound(_)) => Ok(()),
            other => Err(format!("deleted job: {other:?}")),
        }
    }

    async fn duplicate(&self) -> Result<(), String> {
        self.job_on("j2", "g2", 1).await?;
        match self.s.create_job(self.job("j2", "g2")).await {
            Err(ServiceError::ResourceAlreadyExists(_)) => Ok(()),
            other => Err(format!("second create: {other:?}")),
        }
    }

    async fn quotas(&self) -> Result<(), String> {
        self.fleet("g3", 1).await?;
        let mut spec = self.job("j3", "g3");
        spec.job_executions_rollout_config = Some(RolloutConfig {
            maximum_per_minute: Some(1001),
            ..Default::default()
        });
        match self.s.create_job(spec).await {
            Err(ServiceError::InvalidRequest(_)) => {}
            other => return Err(format!("maximumPerMinute 1001: {other:?}")),
        }
        let mut spec = self.job("bad id!", "g3");
        spec.job_id = self.n("bad id!");
        match self.s.create_job(spec).await {
            Err(ServiceError::InvalidRequest(_)) => Ok(()),
            other => Err(format!("bad job id: {other:?}")),
        }
    }

    async fn expand(&self) -> Result<(), String> {
        for thing in &self.job_on("j4", "g4", 3).await? {
            let pending = self.s.get_pending(thing).await.map_err(e)?;
            let queued = pending.queued.iter().any(|x| x.job_id == self.n("j4"));
            ensure(queued, || format!("{thing}: {pending:?}"))?;
        }
        Ok(())
    }

    async fn start_next(&self) -> Result<(), String> {
        let things = self.job_on("j5", "g5", 1).await?;
        let started = self.start(&things[0]).await?.ok_or("nothing started")?;
        ensure(
            started.execution.status == JobExecutionStatus::InProgress
                && started.execution.version_number == 2,
            || e(&started),
        )?;
        ensure(started.job_document.is_some(), || "no document".into())?;
        let next = self
            .s
            .describe_execution(&things[0], DescribeExecution::latest(NextOrJob::Next, true))
            .await
            .map_err(e)?;
        ensure(
            next.is_some_and(|n| n.execution.job_id == self.n("j5")),
            || "$next is not the started job".into(),
        )
    }

    async fn version_mismatch(&self) -> Result<(), String> {
        let things = self.job_on("j6", "g6", 1).await?;
        self.set(&things[0], "j6", &[JobExecutionStatus::InProgress])
            .await?;
        let mut update = UpdateExecution::new(JobExecutionStatus::Succeeded);
        update.expected_version = Some(1);
        match self
            .s
            .update_execution(&things[0], &self.n("j6"), update)
            .await
        {
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

    async fn terminal(&self) -> Result<(), String> {
        let things = self.job_on("j7", "g7", 1).await?;
        let done = [
            JobExecutionStatus::InProgress,
            JobExecutionStatus::Succeeded,
        ];
        self.set(&things[0], "j7", &done).await?;
        match self.update(&things[0], "j7", done[0]).await {
            Err(err) if err.code == ErrorCode::InvalidStateTransition => {}
            other => return Err(format!("update after SUCCEEDED: {other:?}")),
        }
        let job = NextOrJob::Job(self.n("j7"));
        match self
            .s
            .describe_execution(&things[0], DescribeExecution::latest(job, false))
            .await
        {
            Err(err) if err.code == ErrorCode::TerminalStateReached => Ok(()),
            other => Err(format!("describe after SUCCEEDED: {other:?}")),
        }
    }

    async fn not_found(&self) -> Result<(), String> {
        let things = self.fleet("g8", 1).await?;
        match self
            .update(&things[0], "no-such-job", JobExecutionStatus::InProgress)
            .await
        {
            Err(err) if err.code == ErrorCode::ResourceNotFound => Ok(()),
            other => Err(format!("update of an unknown job: {other:?}")),
        }
    }

    async fn completes(&self) -> Result<(), String> {
        use JobExecutionStatus::{Failed, InProgress, Succeeded};
        let things = self.job_on("j9", "g9", 2).await?;
        self.set(&things[0], "j9", &[InProgress, Succeeded]).await?;
        self.set(&things[1], "j9", &[InProgress, Failed]).await?;
        let job = self.s.describe_job(&self.n("j9")).await.map_err(e)?;
        let d = &job.job_process_details;
        ensure(job.status == JobStatus::Completed, || {
            format!("status {:?}", job.status)
        })?;
        ensure(
            d.by_status[Succeeded] == 1 && d.by_status[Failed] == 1,
            || e(d),
        )
    }

    async fn cancel(&self) -> Result<(), String> {
        let things = self.job_on("j10", "g10", 2).await?;
        self.set(&things[0], "j10", &[JobExecutionStatus::InProgress])
            .await?;
        let job = self
            .s
            .cancel_job(&self.n("j10"), CancelJob::because("TEST"))
            .await
            .map_err(e)?;
        ensure(job.status == JobStatus::Canceled, || e(job.status))?;
        let queued = self.execution("j10", &things[1]).await?;
        ensure(queued.status == JobExecutionStatus::Canceled, || {
            e(queued.status)
        })?;
        let running = self.execution("j10", &things[0]).await?;
        ensure(running.status == JobExecutionStatus::InProgress, || {
            "IN_PROGRESS cancelled without force".into()
        })?;
        self.forced_cancel("j10b", "g10b").await?;
        // The job cancelled without force, cancelled again with force: the execution it left
        // IN_PROGRESS is cancelled.
        let job = self
            .s
            .cancel_job(&self.n("j10"), CancelJob::forced())
            .await
            .map_err(|err| format!("forced cancel of the cancelled job: {err:?}"))?;
        ensure(job.force_canceled, || "forceCanceled not set".into())?;
        let running = self.execution("j10", &things[0]).await?;
        ensure(running.status == JobExecutionStatus::Canceled, || {
            format!("IN_PROGRESS after the forced cancel: {:?}", running.status)
        })
    }

    /// Job `id` on a group of one thing whose execution is IN_PROGRESS, cancelled with force:
    /// the job (marked force-cancelled) and the execution are CANCELED.
    async fn forced_cancel(&self, id: &str, group: &str) -> Result<(), String> {
        let things = self.job_on(id, group, 1).await?;
        self.set(&things[0], id, &[JobExecutionStatus::InProgress])
            .await?;
        let job = self
            .s
            .cancel_job(&self.n(id), CancelJob::forced())
            .await
            .map_err(e)?;
        ensure(
            job.status == JobStatus::Canceled && job.force_canceled,
            || format!("job after a forced cancel: {:?}", job.status),
        )?;
        let x = self.execution(id, &things[0]).await?;
        ensure(x.status == JobExecutionStatus::Canceled, || {
            format!("IN_PROGRESS after a forced cancel: {:?}", x.status)
        })
    }

    async fn cancel_execution(&self) -> Result<(), String> {
        let things = self.job_on("j11", "g11", 1).await?;
        self.set(&things[0], "j11", &[JobExecutionStatus::InProgress])
            .await?;
        let job = self.n("j11");
        let cancel = |force| {
            let cancel = CancelExecution {
                force,
                ..CancelExecution::default()
            };
            self.s.cancel_job_execution(&job, &things[0], cancel)
        };
        match cancel(false).await {
            Err(ServiceError::InvalidStateTransition(_)) => {}
            other => return Err(format!("unforced cancel of IN_PROGRESS: {other:?}")),
        }
        cancel(true).await.map_err(e)?;
        let x = self.execution("j11", &things[0]).await?;
        ensure(x.status == JobExecutionStatus::Canceled, || e(x.status))
    }

    async fn pending(&self) -> Result<(), String> {
        let things = self.job_on("j12a", "g12", 1).await?;
        self.create(self.job("j12b", "g12")).await?;
        self.set(&things[0], "j12b", &[JobExecutionStatus::InProgress])
            .await?;
        let p = self.s.get_pending(&things[0]).await.map_err(e)?;
        let ok = p.in_progress.iter().any(|x| x.job_id == self.n("j12b"))
            && p.queued.iter().any(|x| x.job_id == self.n("j12a"));
        ensure(ok, || e(&p))?;
        let started = self.start(&things[0]).await?;
        ensure(
            started.is_some_and(|s| s.execution.job_id == self.n("j12b")),
            || "start-next did not return the IN_PROGRESS job".into(),
        )
    }

    async fn timeout_retry(&self) -> Result<(), String> {
        let things = self.fleet("g13", 1).await?;
        let mut spec = self.job("j13", "g13");
        spec.timeout_config = Some(TimeoutConfig::in_progress(1));
        spec.job_executions_retry_config = Some(RetryConfig {
            criteria_list: vec![RetryCriteria {
                failure_type: RetryFailureType::TimedOut,
                number_of_retries: 1,
            }],
        });
        self.create(spec).await?;
        self.set(&things[0], "j13", &[JobExecutionStatus::InProgress])
            .await?;
        (self.advance)(61_000);
        let x = self.execution("j13", &things[0]).await?;
        ensure(
            x.status == JobExecutionStatus::Queued && x.execution_number == 2,
            || format!("after the timeout: {x:?}"),
        )
    }
}
