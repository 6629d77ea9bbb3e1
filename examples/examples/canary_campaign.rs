//! A three-stage canary campaign (1 % / 10 % / 100 %) on the in-memory IoT Jobs engine, with
//! simulated devices and a fake clock, printing the progression minute by minute.
//!
//! 1000 devices on firmware 1.4.0 and a few that cannot take 2.0.0 (wrong hardware, too old).
//! Each stage is one snapshot job over a thing group made for it. The canary must soak for
//! 30 minutes after 95 % of it succeeded; the 10 % wave soaks 15 minutes and then waits for
//! an operator's approval (given here as soon as it is asked for); the last stage takes
//! everything left. Devices take two minutes to install; one in fifty fails.
//!
//! With `--bad-release` one device in three fails: the canary's gate fails, its job is
//! cancelled and a rollback campaign takes the devices that installed 2.0.0 to 2.0.1, the
//! 1.4.0 build re-signed under a higher version (devices refuse downgrades).
//!
//! Run: `cargo run -p ota-examples --example canary_campaign [-- --bad-release]`

use ota_cloud::campaign::{
    AssignmentOrder, Campaign, CampaignEvent, CampaignSpec, Gate, Percent, RollbackPolicy, Stage,
    StageSize, Targets,
};
use ota_cloud::catalog::{Catalog, Release, VersionReq};
use ota_cloud::jobs::model::{RolloutConfig, StartNext, UpdateExecution};
use ota_cloud::{Clock, DeviceJobs, FleetService, InMemory, JobService, ManualClock, Settings};
use ota_core::jobs::JobExecutionStatus;
use ota_core::version::Version;

const T0: u64 = 1_800_000_000_000;
const MIN: u64 = 60_000;
const DEVICES: usize = 1000;

type Service = InMemory<ManualClock>;

#[tokio::main(flavor = "current_thread")]
async fn main() -> Result<(), Box<dyn std::error::Error>> {
    let bad_release = std::env::args().any(|a| a == "--bad-release");
    let svc = InMemory::new(ManualClock::new(T0), Settings::default());

    // The fleet, as the registry knows it.
    svc.create_group("fleet", None).await?;
    for i in 0..DEVICES {
        let name = format!("sensor-{i:04}");
        add_device(&svc, &name, "rev-b", "1.4.0").await?;
    }
    add_device(&svc, "proto-0001", "rev-a", "1.4.0").await?;
    add_device(&svc, "lab-0001", "rev-b", "0.9.2").await?;

    // The catalog: 2.0.0 from any 1.x, and its rollback, 1.4.0's build re-signed as 2.0.1.
    let release = Release::new(
        "fw-2.0.0",
        "acme-sensor",
        Version::new(2, 0, 0),
        ["rev-b"],
        r#"{"operation":"firmware_update","version":"2.0.0"}"#,
    )
    .requiring(VersionReq::parse("^1")?);
    let rollback = Release::new(
        "fw-2.0.1-rollback",
        "acme-sensor",
        Version::new(2, 0, 1),
        ["rev-b"],
        r#"{"operation":"firmware_update","version":"2.0.1","builtFrom":"1.4.0"}"#,
    )
    .requiring(VersionReq::parse("=2.0.0")?);
    let mut catalog = Catalog::new();
    catalog.add(release.clone())?;
    catalog.add(rollback.clone())?;

    let healthy = Gate {
        min_sample: 5,
        success_threshold: Some(Percent::whole(95)),
        failure_threshold: Some(Percent::whole(5)),
        ..Gate::default()
    };
    let stages = vec![
        Stage::new("canary", StageSize::Percent(Percent::whole(1))).with_gate(Gate {
            soak_ms: 30 * MIN,
            ..healthy.clone()
        }),
        Stage::new("wave", StageSize::Percent(Percent::whole(10))).with_gate(Gate {
            soak_ms: 15 * MIN,
            manual_approval: true,
            ..healthy.clone()
        }),
        Stage::new("fleet", StageSize::Percent(Percent::ALL))
            .with_gate(healthy)
            .with_rollout(RolloutConfig {
                maximum_per_minute: Some(200),
                ..RolloutConfig::default()
            }),
    ];
    let mut spec = CampaignSpec::new(
        "fw2-rollout",
        release,
        Targets::Group("fleet".into()),
        stages,
    );
    spec.order = AssignmentOrder::Shuffled { seed: 2024 };
    spec.previous = Some(rollback);
    spec.rollback = RollbackPolicy::Automatic {
        stages: vec![Stage::new("all", StageSize::Percent(Percent::ALL))],
    };
    let mut campaign = Campaign::new(spec, &catalog)?;

    let mut printed = 0;
    for _ in 0..=240 {
        let now = svc.clock().now();
        campaign.step(now, &svc).await?;
        // The operator approves a manual gate as soon as it asks; the step after it passes.
        for stage in print_new_events(&campaign, &mut printed) {
            campaign.approve(&stage, "operator", "canary and wave look healthy", now)?;
            campaign.step(now, &svc).await?;
            print_new_events(&campaign, &mut printed);
        }
        let rollback_running = campaign
            .rollback_campaign()
            .is_some_and(|r| !r.is_finished());
        if campaign.is_finished() && !rollback_running {
            break;
        }
        svc.clock().advance(MIN);
        simulate_devices(&svc, bad_release).await?;
    }

    let report = campaign.report(&svc, 3).await?;
    println!("\nstage     devices  succeeded  failed  phase");
    for stage in &report.stages {
        let s = &stage.status;
        println!(
            "{:<9} {:>7}  {:>9}  {:>6}  {:?}",
            s.name,
            s.devices,
            s.counts.by_status[JobExecutionStatus::Succeeded],
            s.counts.failures(),
            s.phase
        );
    }
    for approval in &report.approvals {
        println!(
            "approved {} by {} at t+{}m: {}",
            approval.stage,
            approval.by,
            (approval.at - T0) / MIN,
            approval.remark
        );
    }
    Ok(())
}

async fn add_device(
    svc: &Service,
    name: &str,
    hardware: &str,
    version: &str,
) -> Result<(), ota_cloud::ServiceError> {
    let attributes = vec![
        ("hardware".to_string(), hardware.to_string()),
        ("version".to_string(), version.to_string()),
    ];
    svc.create_thing(name, attributes).await?;
    svc.add_thing_to_group("fleet", name).await
}

/// Every device with a pending execution works one minute on it: a queued one starts
/// installing, an installing one finishes (one in fifty fails; one in three with
/// `bad_release`, but never the rollback).
async fn simulate_devices(
    svc: &Service,
    bad_release: bool,
) -> Result<(), Box<dyn std::error::Error>> {
    for job in svc.list_jobs(None).await? {
        let job_id = job.spec.job_id;
        for e in svc
            .list_job_executions_for_job(&job_id, Some(JobExecutionStatus::InProgress))
            .await?
        {
            let n: usize = e
                .thing_name
                .rsplit('-')
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0);
            let fails =
                !job_id.contains("-rb-") && (n % 50 == 7 || (bad_release && n.is_multiple_of(3)));
            let status = if fails {
                JobExecutionStatus::Failed
            } else {
                JobExecutionStatus::Succeeded
            };
            svc.update_execution(&e.thing_name, &job_id, UpdateExecution::new(status))
                .await?;
        }
        for e in svc
            .list_job_executions_for_job(&job_id, Some(JobExecutionStatus::Queued))
            .await?
        {
            svc.start_next(&e.thing_name, StartNext::default()).await?;
        }
    }
    Ok(())
}

/// Print the events logged since the last call; return the stages awaiting approval.
fn print_new_events(campaign: &Campaign, printed: &mut usize) -> Vec<String> {
    let mut awaiting = Vec::new();
    for logged in &campaign.events()[*printed..] {
        print_event((logged.at - T0) / MIN, "", &logged.event);
        if let CampaignEvent::AwaitingApproval { stage } = &logged.event {
            awaiting.push(stage.clone());
        }
    }
    *printed = campaign.events().len();
    awaiting
}

fn print_event(minute: u64, prefix: &str, event: &CampaignEvent) {
    let line = match event {
        CampaignEvent::Planned {
            eligible,
            refused,
            unassigned,
        } => format!("planned: {eligible} eligible, {refused} refused, {unassigned} left over"),
        CampaignEvent::Refused { thing, reason } => format!("refused {thing}: {reason}"),
        CampaignEvent::StageStarted {
            stage,
            job_id,
            devices,
        } => format!("stage {stage} started: job {job_id} over {devices} devices"),
        CampaignEvent::SoakStarted { stage, until } => {
            format!(
                "stage {stage} healthy, soaking until t+{}m",
                (until - T0) / MIN
            )
        }
        CampaignEvent::AwaitingApproval { stage } => format!("stage {stage} awaits approval"),
        CampaignEvent::Approved { stage, by } => format!("stage {stage} approved by {by}"),
        CampaignEvent::GatePassed { stage, counts } => format!(
            "stage {stage} passed: {} succeeded, {} failed of {}",
            counts.by_status[JobExecutionStatus::Succeeded],
            counts.failures(),
            counts.total
        ),
        CampaignEvent::GateFailed { stage, failure } => {
            format!("stage {stage} FAILED: {failure}")
        }
        CampaignEvent::JobCanceled { job_id } => format!("job {job_id} cancelled"),
        CampaignEvent::RolledBack {
            rollback_campaign,
            devices,
        } => format!("rollback campaign {rollback_campaign} over {devices} devices"),
        CampaignEvent::Rollback { campaign, event } => {
            return print_event(minute, &format!("[{campaign}] "), event);
        }
        other => format!("{other:?}"),
    };
    println!("t+{minute:>3}m  {prefix}{line}");
}
