//! `ota-cloud` (the binary) on MiniStack 1.5.33 as a release pipeline drives it: `release
//! --publish` to S3, `job create | describe | cancel | list`, and `campaign run | status |
//! pause | resume | stop` with the test playing the devices over the Jobs data plane; bad
//! input (an unknown group, an invalid target, the endpoint down mid-campaign) gets one-line
//! errors and the exit codes a pipeline acts on.
//!
//! `#[ignore]`d: `scripts/peers-test.sh` installs MiniStack and runs them by name.

mod peers;

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

use ota_cloud::aws::{AwsBackend, AwsSettings};
use ota_cloud::jobs::model::{JobStatus, StartNext, UpdateExecution};
use ota_cloud::{DeviceJobs, FleetService, JobService, ServiceError};
use ota_core::jobs::JobExecutionStatus;
use peers::Peer;

const ROLE: &str = "arn:aws:iam::000000000000:role/ota-presign";

/// Run `ota-cloud ARGS` in `dir`.
fn ota(dir: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_ota-cloud"))
        .current_dir(dir)
        .args(args)
        .env("AWS_ACCESS_KEY_ID", "test")
        .env("AWS_SECRET_ACCESS_KEY", "test")
        .env("AWS_EC2_METADATA_DISABLED", "true")
        .env_remove("AWS_PROFILE")
        .output()
        .unwrap()
}

fn text(o: &Output) -> (String, String) {
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// Exit code, stdout and stderr of `ota-cloud ARGS --backend aws --endpoint-url URL`.
fn aws_cli(dir: &Path, url: &str, args: &[&str]) -> (i32, String, String) {
    let mut all = args.to_vec();
    all.extend(["--backend", "aws", "--endpoint-url", url]);
    let o = ota(dir, &all);
    let (out, err) = text(&o);
    (o.status.code().unwrap_or(-1), out, err)
}

async fn fleet(aws: &AwsBackend, group: &str, n: usize) -> Vec<String> {
    aws.create_group(group, None).await.unwrap();
    let mut things = Vec::new();
    for i in 0..n {
        let thing = format!("{group}-{i:02}");
        let attributes = vec![
            ("hardware".to_string(), "board-a".to_string()),
            ("version".to_string(), "1.2.0".to_string()),
        ];
        aws.create_thing(&thing, attributes).await.unwrap();
        aws.add_thing_to_group(group, &thing).await.unwrap();
        things.push(thing);
    }
    things
}

/// Play the devices until `stop`: each takes its next execution and reports it
/// `SUCCEEDED`, or `FAILED` if its name is in `failing`.
fn devices(
    url: String,
    things: Vec<String>,
    failing: Vec<String>,
    stop: Arc<AtomicBool>,
) -> std::thread::JoinHandle<usize> {
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async {
            let aws = AwsBackend::connect(&AwsSettings::emulator(url)).await;
            let mut done = 0;
            while !stop.load(Ordering::Relaxed) {
                for thing in &things {
                    let Ok(Some(x)) = aws.start_next(thing, StartNext::default()).await else {
                        continue;
                    };
                    let status = if failing.contains(thing) {
                        JobExecutionStatus::Failed
                    } else {
                        JobExecutionStatus::Succeeded
                    };
                    let update = UpdateExecution::new(status);
                    if aws
                        .update_execution(thing, &x.execution.job_id, update)
                        .await
                        .is_ok()
                    {
                        done += 1;
                    }
                }
                tokio::time::sleep(std::time::Duration::from_millis(200)).await;
            }
            done
        })
    })
}

/// Job `id` as AWS describes it.
async fn aws_job(aws: &AwsBackend, id: &str) -> aws_sdk_iot::types::Job {
    let out = aws.iot().describe_job().job_id(id).send().await.unwrap();
    out.job().unwrap().clone()
}

/// When AWS says job `id` was created.
async fn job_created_at(aws: &AwsBackend, id: &str) -> aws_smithy_types::DateTime {
    *aws_job(aws, id).await.created_at().unwrap()
}

/// Wait (up to a minute) until job `id` is `status`.
async fn wait_for_job(aws: &AwsBackend, id: &str, status: JobStatus) {
    for _ in 0..120 {
        if aws.describe_job(id).await.unwrap().status == status {
            return;
        }
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    }
    panic!("job {id} is not {status:?} after a minute");
}

/// The state file `name` in `dir`, parsed.
fn state_of(dir: &Path, name: &str) -> serde_json::Value {
    serde_json::from_slice(&std::fs::read(dir.join(name)).unwrap()).unwrap()
}

fn write(dir: &Path, name: &str, content: &str) {
    std::fs::write(dir.join(name), content).unwrap();
}

/// A campaign over `group`: stages of 2, 3 and the rest, each gated on every device
/// terminal and failures under 50 %.
fn campaign_spec(id: &str, group: &str) -> String {
    format!(
        r#"{{
  "id": "{id}",
  "release": {{"id": "app-1.3.0", "version": "1.3.0", "product": "p",
               "hardware": ["board-a"], "securityCounter": 0}},
  "targets": {{"Group": "{group}"}},
  "stages": [
    {{"name": "canary", "size": {{"Count": 2}},
      "gate": {{"min_sample": 2, "failure_threshold": 5000}}}},
    {{"name": "early", "size": {{"Count": 3}},
      "gate": {{"min_sample": 3, "failure_threshold": 5000}}}},
    {{"name": "rest", "size": {{"Percent": 10000}},
      "gate": {{"min_sample": 1, "failure_threshold": 5000}}}}
  ],
  "abort_backstop": true,
  "presigned_url_config": {{"roleArn": "{ROLE}", "expiresInSec": 600}}
}}"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
async fn a_pipeline_publishes_creates_and_follows_a_job() {
    let Some(stack) = Peer::ministack() else {
        return;
    };
    let url = stack.url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let aws = AwsBackend::connect(&AwsSettings::emulator(&url)).await;
    aws.s3()
        .create_bucket()
        .bucket("fw-images")
        .send()
        .await
        .unwrap();
    let things = fleet(&aws, "pipe", 4).await;

    // Sign and publish: the image lands in S3, the document carries the placeholder.
    std::fs::write(d.join("app.bin"), vec![0x5a; 70_000]).unwrap();
    assert!(
        ota(d, &["keygen", "--algorithm", "p256", "--out", "k.pem"])
            .status
            .success()
    );
    let o = ota(
        d,
        &[
            "release",
            "--key",
            "k.pem",
            "--product",
            "p",
            "--hardware",
            "board-a",
            "--version",
            "1.3.0",
            "--publish",
            "s3://fw-images/app/1.3.0.bin",
            "--endpoint-url",
            &url,
            "--out",
            "doc.json",
            "app.bin",
        ],
    );
    assert!(o.status.success(), "{:?}", text(&o));
    let doc = std::fs::read_to_string(d.join("doc.json")).unwrap();
    assert!(
        doc.contains(
            "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/fw-images/app/1.3.0.bin}"
        ),
        "{doc}"
    );
    let object = aws
        .s3()
        .head_object()
        .bucket("fw-images")
        .key("app/1.3.0.bin")
        .send()
        .await
        .unwrap();
    assert_eq!(object.content_length(), Some(70_000));

    // A stream of the image as well: MiniStack has no CreateStream, so the command fails
    // with one line and writes no document (the image is uploaded first).
    let o = ota(
        d,
        &[
            "release",
            "--key",
            "k.pem",
            "--product",
            "p",
            "--hardware",
            "board-a",
            "--version",
            "1.3.0",
            "--publish",
            "s3://fw-images/app/1.3.0-s.bin",
            "--stream",
            "app-1-3-0",
            "--stream-role",
            ROLE,
            "--endpoint-url",
            &url,
            "--out",
            "doc-stream.json",
            "app.bin",
        ],
    );
    let (_, err) = text(&o);
    assert_eq!(o.status.code(), Some(1), "{err}");
    assert!(
        err.contains("not supported") && err.lines().count() == 1,
        "{err}"
    );
    assert!(!d.join("doc-stream.json").exists());

    // Create: the projection, then the job; the same create again is not an error.
    let create = [
        "job",
        "create",
        "--job-id",
        "pipe-1",
        "--document",
        "doc.json",
        "--target",
        "thinggroup/pipe",
        "--presign-role",
        ROLE,
        "--max-per-minute",
        "100",
    ];
    let (code, out, err) = aws_cli(d, &url, &create);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("4 things targeted") && out.contains("all 4 things notified"),
        "{out}"
    );
    let (code, _, err) = aws_cli(d, &url, &create);
    assert_eq!(code, 0, "re-run: {err}");
    // The same id with another document is refused.
    write(d, "other.json", r#"{"operation":"other"}"#);
    let mut other = create.to_vec();
    other[5] = "other.json";
    let (code, out, err) = aws_cli(d, &url, &other);
    assert_eq!(code, 1);
    assert!(
        err.contains("already exists") && err.lines().count() == 1,
        "{err}"
    );
    // The projection was printed before CreateJob refused.
    assert!(
        out.contains("4 things targeted") && out.contains("all 4 things notified"),
        "{out}"
    );

    // Describe while running: exit 0; as JSON, AWS's field names.
    let (code, out, _) = aws_cli(
        d,
        &url,
        &["job", "describe", "--job-id", "pipe-1", "--output", "json"],
    );
    assert_eq!(code, 0);
    let job: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(job["status"], "IN_PROGRESS");
    assert_eq!(job["presignedUrlConfig"]["roleArn"], ROLE);

    // The devices succeed: describe --wait ends with COMPLETED and exit 0.
    let stop = Arc::new(AtomicBool::new(false));
    let players = devices(url.clone(), things.clone(), vec![], stop.clone());
    let (code, out, err) = aws_cli(
        d,
        &url,
        &[
            "job",
            "describe",
            "--job-id",
            "pipe-1",
            "--wait",
            "--poll-seconds",
            "1",
            "--timeout-minutes",
            "2",
        ],
    );
    stop.store(true, Ordering::Relaxed);
    assert_eq!(players.join().unwrap(), 4);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("COMPLETED") && out.contains("SUCCEEDED 4"),
        "{out}"
    );

    // A second job, cancelled: describe exits 1 and says why.
    let mut second = create.to_vec();
    second[3] = "pipe-2";
    assert_eq!(aws_cli(d, &url, &second).0, 0);
    let (code, out, _) = aws_cli(
        d,
        &url,
        &[
            "job",
            "cancel",
            "--job-id",
            "pipe-2",
            "--reason-code",
            "PIPELINE_ABORT",
        ],
    );
    assert_eq!(code, 0);
    assert!(out.contains("CANCELED"), "{out}");
    let (code, _, err) = aws_cli(d, &url, &["job", "describe", "--job-id", "pipe-2"]);
    assert_eq!(code, 1);
    assert!(err.contains("cancelled (PIPELINE_ABORT)"), "{err}");

    // A third, cancelled with --force while a device runs it: its IN_PROGRESS execution is
    // cancelled too, and the device can no longer report it.
    let mut third = create.to_vec();
    third[3] = "pipe-3";
    assert_eq!(aws_cli(d, &url, &third).0, 0);
    let running = UpdateExecution::new(JobExecutionStatus::InProgress);
    aws.update_execution(&things[0], "pipe-3", running)
        .await
        .unwrap();
    let (code, out, err) = aws_cli(
        d,
        &url,
        &[
            "job", "cancel", "--job-id", "pipe-3", "--force", "--output", "json",
        ],
    );
    assert_eq!(code, 0, "{err}");
    let job: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        (&job["status"], &job["forceCanceled"]),
        (&"CANCELED".into(), &true.into())
    );
    let x = aws
        .describe_job_execution("pipe-3", &things[0], None)
        .await
        .unwrap();
    assert_eq!(x.status, JobExecutionStatus::Canceled);
    let late = UpdateExecution::new(JobExecutionStatus::Succeeded);
    assert!(
        aws.update_execution(&things[0], "pipe-3", late)
            .await
            .is_err()
    );

    let (code, out, _) = aws_cli(d, &url, &["job", "list"]);
    assert_eq!(code, 0);
    assert!(out.contains("pipe-1") && out.contains("pipe-2"), "{out}");
    let (_, out, _) = aws_cli(
        d,
        &url,
        &["job", "list", "--status", "canceled", "--output", "json"],
    );
    let listed: Vec<serde_json::Value> = serde_json::from_str(&out).unwrap();
    assert_eq!(listed.len(), 2);

    // The ramp flags, and the example pipeline's job configuration file: AWS gets them.
    let ramp = [
        "job",
        "create",
        "--job-id",
        "pipe-ramp",
        "--document",
        "doc.json",
        "--target",
        "thinggroup/pipe",
        "--presign-role",
        ROLE,
        "--base-rate",
        "2",
        "--factor",
        "1.5",
        "--notified-step",
        "3",
        "--max-per-minute",
        "100",
    ];
    let (code, out, err) = aws_cli(d, &url, &ramp);
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("all 4 things notified"), "{out}");
    let job = aws_job(&aws, "pipe-ramp").await;
    let rollout = job.job_executions_rollout_config().unwrap();
    let rate = rollout.exponential_rate().unwrap();
    assert_eq!(
        (
            rollout.maximum_per_minute(),
            rate.base_rate_per_minute(),
            rate.increment_factor(),
            rate.rate_increase_criteria()
                .and_then(|c| c.number_of_notified_things())
        ),
        (Some(100), 2, 1.5, Some(3))
    );
    let config = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/pipeline/job-config.json"
    );
    let from_file = [
        "job",
        "create",
        "--job-id",
        "pipe-config",
        "--document",
        "doc.json",
        "--target",
        "thinggroup/pipe",
        "--rollout",
        config,
    ];
    let (code, out, err) = aws_cli(d, &url, &from_file);
    assert_eq!(code, 0, "{out}{err}");
    let job = aws_job(&aws, "pipe-config").await;
    let rollout = job.job_executions_rollout_config().unwrap();
    assert_eq!(rollout.maximum_per_minute(), Some(200));
    assert_eq!(
        rollout.exponential_rate().unwrap().base_rate_per_minute(),
        20
    );
    let abort = &job.abort_config().unwrap().criteria_list()[0];
    assert_eq!(
        (
            abort.threshold_percentage(),
            abort.min_number_of_executed_things()
        ),
        (5.0, 20)
    );
    assert_eq!(
        job.timeout_config()
            .and_then(|t| t.in_progress_timeout_in_minutes()),
        Some(30)
    );
    let presigned = job.presigned_url_config().unwrap();
    assert_eq!(
        (presigned.role_arn(), presigned.expires_in_sec()),
        (
            Some("arn:aws:iam::123456789012:role/ota-presign"),
            Some(3600)
        )
    );

    // Bad input: one line each, 1 for what the service refused, 2 for the command line.
    let (code, _, err) = aws_cli(
        d,
        &url,
        &[
            "job",
            "create",
            "--job-id",
            "x",
            "--document",
            "doc.json",
            "--target",
            "thinggroup/nope",
            "--presign-role",
            ROLE,
        ],
    );
    assert_eq!((code, err.lines().count()), (1, 1), "{err}");
    assert!(err.contains("not found") && err.contains("nope"), "{err}");
    let (code, _, err) = aws_cli(
        d,
        &url,
        &[
            "job",
            "create",
            "--job-id",
            "x",
            "--document",
            "doc.json",
            "--target",
            "arn:aws:s3:::bucket/x",
        ],
    );
    assert_eq!(code, 2, "{err}");
    // Full ARNs: another region or account is refused (2, one line); this account's works.
    let by_arn = |arn: &str| {
        let args = [
            "job",
            "create",
            "--job-id",
            "arn-1",
            "--document",
            "doc.json",
            "--target",
            arn,
            "--presign-role",
            ROLE,
            "--dry-run",
        ];
        aws_cli(d, &url, &args)
    };
    for (arn, names) in [
        (
            "arn:aws:iot:eu-west-1:000000000000:thinggroup/pipe",
            "region eu-west-1",
        ),
        (
            "arn:aws:iot:us-east-1:123456789012:thinggroup/pipe",
            "account 123456789012",
        ),
    ] {
        let (code, _, err) = by_arn(arn);
        assert_eq!((code, err.lines().count()), (2, 1), "{err}");
        assert!(
            err.contains(names) && err.contains("not this connection's"),
            "{err}"
        );
    }
    let (code, out, err) = by_arn("arn:aws:iot:us-east-1:000000000000:thinggroup/pipe");
    assert_eq!(code, 0, "{err}");
    assert!(out.contains("4 things targeted"), "{out}");
    let (code, _, err) = aws_cli(
        d,
        &url,
        &[
            "job",
            "create",
            "--job-id",
            "x",
            "--document",
            "doc.json",
            "--target",
            "thinggroup/pipe",
        ],
    );
    assert_eq!(code, 2, "a placeholder without a role: {err}");
    assert!(err.contains("roleArn"), "{err}");
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let (code, _, err) = aws_cli(d, &closed, &["job", "describe", "--job-id", "pipe-1"]);
    assert_eq!((code, err.lines().count()), (1, 1), "{err}");
    assert!(err.contains("service unavailable"), "{err}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
async fn a_campaign_runs_to_the_end_resumes_after_the_endpoint_was_down_and_a_gate_stops_another() {
    let Some(stack) = Peer::ministack() else {
        return;
    };
    let url = stack.url();
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let aws = AwsBackend::connect(&AwsSettings::emulator(&url)).await;
    write(
        d,
        "doc.json",
        r#"{"operation":"firmware-update","version":"1.3.0"}"#,
    );

    // The dry run plans on the real fleet and creates nothing.
    let good = fleet(&aws, "green", 8).await;
    write(d, "green.json", &campaign_spec("green", "green"));
    let run = [
        "campaign",
        "run",
        "--spec",
        "green.json",
        "--document",
        "doc.json",
        "--state",
        "green-state.json",
        "--poll-seconds",
        "1",
    ];
    let mut dry = run.to_vec();
    dry.push("--dry-run");
    let (code, out, err) = aws_cli(d, &url, &dry);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("stage canary: 2 devices") && out.contains("stage rest: 3 devices"),
        "{out}"
    );
    assert!(!d.join("green-state.json").exists());

    // The first step on the endpoint: the canary stage's job exists.
    let mut first = run.to_vec();
    first.extend(["--max-steps", "1"]);
    let (code, out, err) = aws_cli(d, &url, &first);
    assert_eq!(code, 0, "{out}{err}");
    assert!(
        out.contains("stage canary started: job green-canary"),
        "{out}"
    );
    let canary_created = job_created_at(&aws, "green-canary").await;

    // The endpoint down mid-campaign: the step that cannot reach it is retried at the next
    // poll; the last one --max-steps allows fails the run (exit 1, one line) and the state
    // file is as the first run left it (the closed endpoint not taken into it).
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let before = state_of(d, "green-state.json");
    let down = [
        "campaign",
        "run",
        "--state",
        "green-state.json",
        "--poll-seconds",
        "1",
        "--max-steps",
        "2",
    ];
    let (code, _, err) = aws_cli(d, &closed, &down);
    assert_eq!(code, 1, "{err}");
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 2, "{err}");
    assert!(
        lines[0].contains("service unavailable") && lines[0].contains("retrying"),
        "{err}"
    );
    assert!(
        lines[1].contains("service unavailable") && lines[1].contains("run again to resume"),
        "{err}"
    );
    assert_eq!(state_of(d, "green-state.json"), before);

    // Back on the real endpoint, with devices that succeed: the campaign completes.
    let stop = Arc::new(AtomicBool::new(false));
    let players = devices(url.clone(), good.clone(), vec![], stop.clone());
    let (code, out, err) = aws_cli(d, &url, &run);
    stop.store(true, Ordering::Relaxed);
    players.join().unwrap();
    assert_eq!(code, 0, "{out}{err}");
    for stage in ["canary", "early", "rest"] {
        assert!(
            out.contains(&format!("stage {stage}: gate passed")),
            "{out}"
        );
    }
    assert!(out.contains("campaign completed"), "{out}");
    // The canary job of the first run was carried on, not made again.
    assert!(!out.contains("stage canary started"), "{out}");
    assert_eq!(job_created_at(&aws, "green-canary").await, canary_created);
    let o = ota(
        d,
        &[
            "campaign",
            "status",
            "--state",
            "green-state.json",
            "--output",
            "json",
        ],
    );
    assert!(o.status.success());
    let status: serde_json::Value = serde_json::from_slice(&o.stdout).unwrap();
    assert_eq!(status["state"], "Completed");
    // Each stage was one snapshot job on AWS, with the gate's abort backstop and the role.
    let job = aws
        .iot()
        .describe_job()
        .job_id("green-early")
        .send()
        .await
        .unwrap();
    let job = job.job().unwrap();
    assert!(job.targets()[0].ends_with("thinggroup/green-early"));
    let abort = &job.abort_config().unwrap().criteria_list()[0];
    assert_eq!(abort.threshold_percentage(), 50.0);
    assert_eq!(job.presigned_url_config().unwrap().role_arn(), Some(ROLE));

    // Another campaign whose second stage fails: pause and resume land, the gate stops it
    // and `campaign run` exits 1.
    let bad = fleet(&aws, "red", 8).await;
    write(d, "red.json", &campaign_spec("red", "red"));
    let red_run = [
        "campaign",
        "run",
        "--spec",
        "red.json",
        "--document",
        "doc.json",
        "--state",
        "red-state.json",
        "--poll-seconds",
        "1",
        "--max-steps",
        "1",
    ];
    assert_eq!(aws_cli(d, &url, &red_run).0, 0);
    let o = ota(d, &["campaign", "pause", "--state", "red-state.json"]);
    assert!(o.status.success(), "{:?}", text(&o));
    assert!(text(&o).0.contains("(paused)"));
    let failing: Vec<String> = bad[2..5].to_vec();
    let stop = Arc::new(AtomicBool::new(false));
    let players = devices(url.clone(), bad.clone(), failing, stop.clone());
    // Paused: the canary's job carries on to its end on AWS, and two steps start no next
    // stage.
    wait_for_job(&aws, "red-canary", JobStatus::Completed).await;
    let paused = [
        "campaign",
        "run",
        "--state",
        "red-state.json",
        "--poll-seconds",
        "1",
        "--max-steps",
        "2",
    ];
    let (code, out, err) = aws_cli(d, &url, &paused);
    assert_eq!(code, 0, "{out}{err}");
    assert!(!out.contains("stage early started"), "{out}");
    assert!(matches!(
        aws.describe_job("red-early").await,
        Err(ServiceError::ResourceNotFound(_))
    ));
    // Resumed: its step starts the next stage at once.
    let o = ota(d, &["campaign", "resume", "--state", "red-state.json"]);
    assert!(o.status.success() && !text(&o).0.contains("(paused)"));
    aws.describe_job("red-early").await.unwrap();
    let red_to_end: Vec<&str> = red_run[..red_run.len() - 2].to_vec();
    let (code, out, err) = aws_cli(d, &url, &red_to_end);
    stop.store(true, Ordering::Relaxed);
    players.join().unwrap();
    assert_eq!(code, 1, "{out}{err}");
    assert!(out.contains("stage early: gate failed"), "{out}");
    assert!(err.contains("stopped at stage early"), "{err}");
    let o = ota(d, &["campaign", "status", "--state", "red-state.json"]);
    assert_eq!(o.status.code(), Some(1));

    // Stop by an operator: the running stage's job is cancelled at once.
    let held = fleet(&aws, "held", 4).await;
    write(d, "held.json", &campaign_spec("held", "held"));
    let held_run = [
        "campaign",
        "run",
        "--spec",
        "held.json",
        "--document",
        "doc.json",
        "--state",
        "held-state.json",
        "--max-steps",
        "1",
    ];
    assert_eq!(aws_cli(d, &url, &held_run).0, 0);
    let o = ota(
        d,
        &[
            "campaign",
            "stop",
            "--state",
            "held-state.json",
            "--by",
            "ops",
            "--reason",
            "bad build",
        ],
    );
    assert_eq!(o.status.code(), Some(1), "{:?}", text(&o));
    assert!(
        text(&o).0.contains("stopped by ops: bad build"),
        "{:?}",
        text(&o)
    );
    let job = aws
        .iot()
        .describe_job()
        .job_id("held-canary")
        .send()
        .await
        .unwrap();
    assert_eq!(
        job.job().unwrap().status().map(|s| s.as_str().to_string()),
        Some("CANCELED".into())
    );
    drop(held);
    let (code, _, err) = aws_cli(
        d,
        &url,
        &["campaign", "pause", "--state", "held-state.json"],
    );
    assert_eq!(code, 2, "pause takes no backend options: {err}");
}
