//! The `aws` backend against independent AWS emulators: MiniStack 1.5.33 (behaviour: IoT
//! control plane, Jobs data plane, registry and S3 on one endpoint) and moto 5.2.1 (wire
//! shape only: it stores configurations without enforcing them and has no Jobs data plane).
//!
//! What neither emulator can show, and so no test here: AWS throttling (MiniStack never
//! answers `ThrottlingException`; `tests/aws_faults.rs` scripts it instead), refused or
//! expired credentials (any key is accepted; also in `aws_faults.rs`), notifications on
//! timeouts, scheduled jobs and maintenance windows (MiniStack starts every job at once),
//! dynamic thing groups and MQTT streams (`CreateStream`), which MiniStack answers
//! "Unsupported IoT path" and moto lacks, retries after a failure or timeout, and IAM.
//!
//! `#[ignore]`d: `scripts/peers-test.sh` installs both and runs them by name.

mod peers;

use ota_cloud::aws::{AwsBackend, AwsSettings, S3Location};
use ota_cloud::service::conformance::{Suite, run};
use peers::Peer;

/// Conformance checks MiniStack fails, with a piece of the failure each must show (so that
/// a MiniStack that changes behaviour fails this test rather than going unnoticed), and
/// why. Every other check must pass.
const MINISTACK_DIVERGENCES: &[(&str, &str, &str)] = &[
    (
        "cancel_job_and_force",
        "forced cancel of the cancelled job: InvalidStateTransition(\"CancelJob: \
         InvalidRequestException: Job conf-j10 is in status CANCELED and cannot be canceled",
        "MiniStack refuses CancelJob on a job already CANCELED, with force too, so the \
         IN_PROGRESS executions an unforced cancel left can only be cancelled one by one \
         (CancelJobExecution with force); a forced CancelJob of a running job does cancel \
         its IN_PROGRESS executions there (checked before this step)",
    ),
    (
        "pending_lists_in_progress_and_queued",
        "start-next did not return the IN_PROGRESS job",
        "MiniStack's StartNextPendingJobExecution starts the next QUEUED execution while \
         another is IN_PROGRESS; AWS returns the IN_PROGRESS one",
    ),
    (
        "in_progress_timeout_and_retry",
        "status: TimedOut",
        "MiniStack times the execution out (lazily, on read) but does not model \
         jobExecutionsRetryConfig: no second execution is queued",
    ),
];

async fn backend(peer: &Peer, page_size: Option<i32>) -> AwsBackend {
    let mut settings = AwsSettings::emulator(peer.url());
    settings.page_size = page_size;
    AwsBackend::connect(&settings).await
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
async fn ministack_runs_the_conformance_suite() {
    let Some(stack) = Peer::ministack() else {
        return;
    };
    // Pages of 2. MiniStack 1.5.33 pages ListJobExecutionsForJob by them; ListJobs,
    // ListJobExecutionsForThing and ListThingsInThingGroup come back whole, whatever the page
    // size (moto_lists_a_things_executions_in_pages and tests/aws_faults.rs page those).
    let aws = backend(&stack, Some(2)).await;
    // MiniStack admits every target of a job without a rollout configuration at creation,
    // so the suite's minute for the rollout passes at once; its only longer wait (the
    // in-progress timeout, 61 s) is real.
    let advance = |ms: u64| {
        if ms > 60_000 {
            std::thread::sleep(std::time::Duration::from_millis(ms));
        }
    };
    let checks = run(
        &aws,
        advance,
        Suite {
            prefix: "conf-",
            timing: true,
        },
    )
    .await;
    let mut unexpected = Vec::new();
    for check in &checks {
        let known = MINISTACK_DIVERGENCES.iter().find(|d| d.0 == check.name);
        let line = match (&check.result, known) {
            (Ok(()), None) => format!("pass      {}", check.name),
            (Err(e), Some((_, shows, why))) if e.contains(shows) => {
                format!("diverges  {}: {why}\n          ({e})", check.name)
            }
            (result, _) => {
                unexpected.push(check.name);
                format!("UNEXPECTED {}: {result:?}", check.name)
            }
        };
        println!("{line}");
    }
    assert!(checks.len() >= 13, "{checks:?}");
    assert!(unexpected.is_empty(), "unexpected results: {unexpected:?}");
}

use ota_cloud::jobs::model::{
    AbortConfig, AbortCriteria, ExponentialRate, JobSpec, PresignedUrlConfig, RolloutConfig, Target,
};
use ota_cloud::{FleetService, JobService, ServiceError};

const ROLE: &str = "arn:aws:iam::000000000000:role/ota-presign";

fn spec(id: &str, group: &str, document: &str) -> JobSpec {
    JobSpec::new(id, vec![Target::Group(group.into())], document)
}

async fn group_of(aws: &AwsBackend, group: &str, things: usize) -> Vec<String> {
    aws.create_group(group, None).await.unwrap();
    let mut names = Vec::new();
    for i in 0..things {
        let thing = format!("{group}-{i}");
        aws.create_thing(&thing, vec![]).await.unwrap();
        aws.add_thing_to_group(group, &thing).await.unwrap();
        names.push(thing);
    }
    names
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
async fn ministack_bad_input_gets_typed_errors_and_changes_nothing() {
    let Some(stack) = Peer::ministack() else {
        return;
    };
    let aws = backend(&stack, None).await;
    group_of(&aws, "bad", 1).await;

    // An unknown thing group: refused before CreateJob, by the registry lookup.
    match aws
        .create_job(spec("j-unknown", "no-such-group", "{}"))
        .await
    {
        Err(ServiceError::ResourceNotFound(m)) => assert!(m.contains("DescribeThingGroup"), "{m}"),
        other => panic!("unknown group: {other:?}"),
    }
    // Thing targets: a known thing gets its execution; an unknown one is refused before
    // CreateJob, by DescribeThing.
    let single = JobSpec::new("j-thing", vec![Target::Thing("bad-0".into())], "{}");
    aws.create_job(single).await.unwrap();
    let x = aws
        .describe_job_execution("j-thing", "bad-0", None)
        .await
        .unwrap();
    assert_eq!(x.status, ota_core::jobs::JobExecutionStatus::Queued);
    let unknown = JobSpec::new(
        "j-nothing",
        vec![Target::Thing("no-such-thing".into())],
        "{}",
    );
    match aws.create_job(unknown).await {
        Err(ServiceError::ResourceNotFound(m)) => assert!(m.contains("DescribeThing"), "{m}"),
        other => panic!("unknown thing: {other:?}"),
    }
    // A document over 32 KB, a rate over 1000, an extension AWS lacks: nothing is sent.
    let big = format!("{{\"pad\":\"{}\"}}", "x".repeat(33_000));
    assert!(matches!(
        aws.create_job(spec("j-big", "bad", &big)).await,
        Err(ServiceError::InvalidRequest(m)) if m.contains("too long")
    ));
    let fast = spec("j-fast", "bad", "{}").with_rollout(RolloutConfig::per_minute(5000));
    assert!(matches!(
        aws.create_job(fast).await,
        Err(ServiceError::InvalidRequest(m)) if m.contains("maximumPerMinute")
    ));
    let capped = spec("j-cap", "bad", "{}")
        .with_rollout(RolloutConfig::per_minute(10).with_max_in_flight(2));
    assert!(matches!(
        aws.create_job(capped).await,
        Err(ServiceError::NotExpressible(_))
    ));
    // A placeholder without presignedUrlConfig.
    let placeholder = r#"{"url":"${aws:iot:s3-presigned-url:https://s3.amazonaws.com/b/k}"}"#;
    assert!(matches!(
        aws.create_job(spec("j-role", "bad", placeholder)).await,
        Err(ServiceError::InvalidRequest(m)) if m.contains("roleArn")
    ));
    for refused in [
        "j-unknown",
        "j-nothing",
        "j-big",
        "j-fast",
        "j-cap",
        "j-role",
    ] {
        assert!(
            matches!(
                aws.describe_job(refused).await,
                Err(ServiceError::ResourceNotFound(_))
            ),
            "{refused} was created"
        );
    }

    // A job id that exists: refused by CreateJob; accepted by the idempotent create only
    // when it is the same job.
    let first = aws
        .create_job(spec("j-dup", "bad", r#"{"v":1}"#))
        .await
        .unwrap();
    assert!(matches!(
        aws.create_job(spec("j-dup", "bad", r#"{"v":1}"#)).await,
        Err(ServiceError::ResourceAlreadyExists(_))
    ));
    let again = aws
        .create_job_idempotent(spec("j-dup", "bad", r#"{"v":1}"#))
        .await
        .unwrap();
    assert_eq!(again.job_arn, first.job_arn);
    assert!(matches!(
        aws.create_job_idempotent(spec("j-dup", "bad", r#"{"v":2}"#)).await,
        Err(ServiceError::ResourceAlreadyExists(m)) if m.contains("another document")
    ));

    // Unknown job: typed.
    assert!(matches!(
        aws.cancel_job("no-such-job", Default::default()).await,
        Err(ServiceError::ResourceNotFound(_))
    ));
    // APIs MiniStack does not have: Unsupported, one line.
    match aws.create_dynamic_group("dyn", "attributes.fw:1").await {
        Err(ServiceError::Unsupported(m)) => assert!(!m.contains('\n'), "{m}"),
        other => panic!("dynamic group on MiniStack: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
async fn the_endpoint_down_is_unavailable_and_a_create_retried_after_it_is_idempotent() {
    let Some(stack) = Peer::ministack() else {
        return;
    };
    let aws = backend(&stack, None).await;
    group_of(&aws, "down", 1).await;
    let job = spec("j-down", "down", r#"{"v":1}"#);
    aws.create_job(job.clone()).await.unwrap();

    // Nothing listens on this port: every attempt is refused.
    let closed = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let port = closed.local_addr().unwrap().port();
    drop(closed);
    let mut settings = AwsSettings::emulator(format!("http://127.0.0.1:{port}"));
    settings.max_attempts = 2;
    let down = AwsBackend::connect(&settings).await;
    match down.describe_job("j-down").await {
        Err(e @ ServiceError::Unavailable(_)) => {
            assert!(e.is_transient());
            assert!(!e.to_string().contains('\n'), "{e}");
        }
        other => panic!("endpoint down: {other:?}"),
    }
    // The create whose answer was lost, retried once the endpoint is back.
    let again = aws.create_job_idempotent(job).await.unwrap();
    assert_eq!(again.spec.job_id, "j-down");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
async fn missing_credentials_are_access_denied() {
    let Some(stack) = Peer::ministack() else {
        return;
    };
    // No key, no profile, no metadata service: the chain finds nothing.
    let mut settings = AwsSettings::emulator(stack.url());
    settings.credentials = None;
    settings.profile = Some("ota-cloud-test-no-such-profile".into());
    settings.max_attempts = 1;
    let aws = AwsBackend::connect(&settings).await;
    match aws.describe_job("j").await {
        Err(ServiceError::AccessDenied(m)) => assert!(m.contains("DescribeJob"), "{m}"),
        other => panic!("no credentials: {other:?}"),
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
async fn lists_follow_pages_past_a_thousand() {
    let Some(stack) = Peer::ministack() else {
        return;
    };
    let aws = backend(&stack, None).await;
    let things = group_of(&aws, "big", 1005).await;
    // MiniStack answers ListThingsInThingGroup in one page; ListJobExecutionsForJob in pages.
    let mut members = aws.list_group_members("big").await.unwrap();
    members.sort();
    let mut expected = things.clone();
    expected.sort();
    assert_eq!(members, expected);

    aws.create_job(spec("j-big-fleet", "big", "{}"))
        .await
        .unwrap();
    let executions = aws
        .list_job_executions_for_job("j-big-fleet", None)
        .await
        .unwrap();
    assert_eq!(executions.len(), 1005);
    let mut listed: Vec<_> = executions.into_iter().map(|x| x.thing_name).collect();
    listed.sort();
    assert_eq!(listed, expected);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
async fn images_publish_to_s3_whole_and_in_parts() {
    let Some(stack) = Peer::ministack() else {
        return;
    };
    let aws = backend(&stack, None).await;
    aws.s3()
        .create_bucket()
        .bucket("fw-images")
        .send()
        .await
        .unwrap();
    let image: Vec<u8> = (0..11 * 1024 * 1024u32)
        .map(|i| (i * 31 % 251) as u8)
        .collect();

    let small = S3Location::parse("s3://fw-images/app/1.0.0.bin").unwrap();
    let done = aws
        .publish(&small, image[..100_000].to_vec())
        .await
        .unwrap();
    assert_eq!((done.parts, done.size), (1, 100_000));

    let large = S3Location::parse("s3://fw-images/app/2.0.0.bin").unwrap();
    let done = aws
        .publish_in_parts(&large, &image, 5 * 1024 * 1024)
        .await
        .unwrap();
    assert_eq!((done.parts, done.size), (3, image.len() as u64));
    for (location, bytes) in [(&small, &image[..100_000]), (&large, &image[..])] {
        let got = aws
            .s3()
            .get_object()
            .bucket(&location.bucket)
            .key(&location.key)
            .send()
            .await
            .unwrap()
            .body
            .collect()
            .await
            .unwrap()
            .into_bytes();
        assert!(got[..] == bytes[..], "{location}: content differs");
    }

    // No bucket: typed, and nothing left behind.
    let nowhere = S3Location::parse("s3://no-such-bucket/x.bin").unwrap();
    assert!(matches!(
        aws.publish(&nowhere, vec![1, 2, 3]).await,
        Err(ServiceError::ResourceNotFound(_))
    ));
    assert!(matches!(
        aws.publish_in_parts(&large, &image, 1024).await,
        Err(ServiceError::InvalidRequest(_))
    ));

    // MQTT streams of the object: MiniStack has no CreateStream (nor does moto), so this is
    // the refusal path only; a bad stream id is refused before any call.
    match aws
        .create_stream("fw-2-0-0", "image", &[(0, large.clone())], ROLE)
        .await
    {
        Err(ServiceError::Unsupported(m)) => assert!(m.contains("CreateStream"), "{m}"),
        other => panic!("CreateStream on MiniStack: {other:?}"),
    }
    assert!(matches!(
        aws.create_stream("bad id", "image", &[(0, large.clone())], ROLE)
            .await,
        Err(ServiceError::InvalidRequest(_))
    ));
    assert!(matches!(
        aws.create_stream("s", "image", &[], ROLE).await,
        Err(ServiceError::InvalidRequest(_))
    ));

    // The placeholder job MiniStack pre-signs per device needs the role.
    group_of(&aws, "s3g", 1).await;
    let document = format!(r#"{{"url":"{}"}}"#, large.presigned_placeholder());
    let mut job = spec("j-presigned", "s3g", &document);
    job.presigned_url_config = Some(PresignedUrlConfig {
        role_arn: ROLE.into(),
        expires_in_sec: Some(600),
    });
    let created = aws.create_job(job).await.unwrap();
    let presigned = created.spec.presigned_url_config.unwrap();
    assert_eq!(presigned.expires_in_sec, Some(600));
    assert_eq!(created.spec.document, document);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto: scripts/peers-test.sh"]
async fn moto_echoes_the_lowered_create_job() {
    let Some(moto) = Peer::moto() else {
        return;
    };
    let aws = AwsBackend::connect(&AwsSettings::emulator(moto.url())).await;
    aws.create_group("wire", None).await.unwrap();
    let mut job = spec("j-wire", "wire", r#"{"op":"wire"}"#).with_rollout(
        RolloutConfig::per_minute(200).with_ramp(ExponentialRate::per_notified(10, 2.5, 40)),
    );
    job.abort_config = Some(AbortConfig {
        criteria_list: vec![AbortCriteria {
            failure_type: ota_cloud::jobs::model::FailureType::Failed,
            action: Default::default(),
            threshold_percentage: 12.5,
            min_number_of_executed_things: 20,
            denominator: Default::default(),
            comparator: Default::default(),
        }],
    });
    job.timeout_config = Some(ota_cloud::jobs::model::TimeoutConfig::in_progress(45));
    job.job_executions_retry_config = Some(ota_cloud::jobs::model::RetryConfig {
        criteria_list: vec![ota_cloud::jobs::model::RetryCriteria {
            failure_type: ota_cloud::jobs::model::RetryFailureType::Failed,
            number_of_retries: 3,
        }],
    });
    let now_ms = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_millis() as u64;
    let start = ota_cloud::schedule::format_schedule_time(now_ms + 86_400_000);
    let end = ota_cloud::schedule::format_schedule_time(now_ms + 7 * 86_400_000);
    job.scheduling_config = Some(ota_cloud::schedule::SchedulingConfig {
        start_time: Some(start.clone()),
        end_time: Some(end),
        end_behavior: Some(ota_cloud::schedule::EndBehavior::Cancel),
        maintenance_windows: vec![ota_cloud::schedule::MaintenanceWindowConfig {
            start_time: "cron(0 2 ? * SUN *)".into(),
            duration_in_minutes: 120,
        }],
    });
    job.presigned_url_config = Some(PresignedUrlConfig {
        role_arn: ROLE.into(),
        expires_in_sec: Some(900),
    });
    // moto has no job status model: a new job reads "QUEUED", not a JobStatus, so the
    // backend's describe refuses it (typed). The raw echo is the wire check.
    match aws.create_job(job).await {
        Err(ServiceError::Unexpected(m)) => assert!(m.contains("QUEUED"), "{m}"),
        other => panic!("moto create: {other:?}"),
    }
    let echoed = aws
        .iot()
        .describe_job()
        .job_id("j-wire")
        .send()
        .await
        .unwrap();
    let echoed = echoed.job().unwrap();
    let rollout = echoed.job_executions_rollout_config().unwrap();
    assert_eq!(rollout.maximum_per_minute(), Some(200));
    let ramp = rollout.exponential_rate().unwrap();
    assert_eq!(
        (ramp.base_rate_per_minute(), ramp.increment_factor()),
        (10, 2.5)
    );
    assert_eq!(
        ramp.rate_increase_criteria()
            .and_then(|c| c.number_of_notified_things()),
        Some(40)
    );
    let abort = &echoed.abort_config().unwrap().criteria_list()[0];
    assert_eq!(
        (
            abort.threshold_percentage(),
            abort.min_number_of_executed_things()
        ),
        (12.5, 20)
    );
    assert_eq!(
        echoed
            .timeout_config()
            .and_then(|t| t.in_progress_timeout_in_minutes()),
        Some(45)
    );
    let retry = &echoed
        .job_executions_retry_config()
        .unwrap()
        .criteria_list()[0];
    assert_eq!(retry.number_of_retries(), 3);
    let schedule = echoed.scheduling_config().unwrap();
    assert_eq!(schedule.start_time(), Some(start.as_str()));
    assert_eq!(schedule.end_behavior().map(|b| b.as_str()), Some("CANCEL"));
    assert_eq!(schedule.maintenance_windows()[0].duration_in_minutes(), 120);
    assert_eq!(
        echoed
            .presigned_url_config()
            .and_then(|p| p.expires_in_sec()),
        Some(900)
    );
    assert_eq!(echoed.targets().len(), 1);
    assert!(echoed.targets()[0].ends_with(":thinggroup/wire"));
    assert_eq!(
        aws.job_document("j-wire").await.unwrap(),
        r#"{"op":"wire"}"#
    );
    // Cancel round-trips (moto cancels no execution; its job reads CANCELED).
    let cancel = aws.cancel_job("j-wire", ota_cloud::jobs::model::CancelJob::because("WIRE"));
    match cancel.await {
        Ok(job) => assert_eq!(job.reason_code.as_deref(), Some("WIRE")),
        Err(ServiceError::Unexpected(m)) => {
            assert!(m.contains("QUEUED") || m.contains("status"), "{m}")
        }
        Err(e) => panic!("moto cancel: {e:?}"),
    }
}

/// moto 5.2.1 pages ListJobExecutionsForThing, which MiniStack answers whole. (Its ListJobs
/// answers 500 as soon as a page needs a next token, `'FakeJob' object has no attribute
/// 'jobId'`, so ListJobs pages are shown by `tests/aws_faults.rs` instead.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs moto: scripts/peers-test.sh"]
async fn moto_lists_a_things_executions_in_pages() {
    let Some(moto) = Peer::moto() else {
        return;
    };
    let mut settings = AwsSettings::emulator(moto.url());
    settings.page_size = Some(2);
    let aws = AwsBackend::connect(&settings).await;
    let thing = aws
        .iot()
        .create_thing()
        .thing_name("paged")
        .send()
        .await
        .unwrap();
    let arn = thing.thing_arn().unwrap();
    let ids: Vec<String> = (0..5).map(|i| format!("j-page-{i}")).collect();
    for id in &ids {
        // Raw: a new moto job reads "QUEUED", which the backend's describe refuses.
        let create = aws
            .iot()
            .create_job()
            .job_id(id)
            .targets(arn)
            .document("{}");
        create.send().await.unwrap();
    }
    // moto pages: 2 of the 5, and a token for the rest.
    let first = aws
        .iot()
        .list_job_executions_for_thing()
        .thing_name("paged")
        .max_results(2)
        .send()
        .await
        .unwrap();
    assert_eq!(first.execution_summaries().len(), 2);
    assert!(first.next_token().is_some());
    let mut listed: Vec<String> = aws
        .list_job_executions_for_thing("paged", None)
        .await
        .unwrap()
        .into_iter()
        .map(|x| x.job_id)
        .collect();
    listed.sort();
    assert_eq!(listed, ids);
}
