//! The `job` and `campaign` commands with `--backend http://HOST:PORT` against a running
//! service (`ota_cloud::serve`, in this process): the registry made through the library's
//! `HttpBackend`, the devices playing over the service's MQTT endpoint with their own
//! credentials, the binary driving jobs and a campaign as a pipeline would.

use std::path::Path;
use std::process::{Command, Output};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use ota_cloud::serve::{self, HttpBackend, ServeConfig};
use ota_cloud::{FleetService, JobService, ServiceError};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

/// Run `ota-cloud ARGS` in `dir`, without OTA_ADMIN_TOKEN.
fn ota(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let o: Output = Command::new(env!("CARGO_BIN_EXE_ota-cloud"))
        .current_dir(dir)
        .args(args)
        .env_remove("OTA_ADMIN_TOKEN")
        .output()
        .unwrap();
    (
        o.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `ota` on a blocking thread (the service runs on this runtime).
async fn ota_async(dir: &Path, args: Vec<String>) -> (i32, String, String) {
    let dir = dir.to_path_buf();
    tokio::task::spawn_blocking(move || {
        let args: Vec<&str> = args.iter().map(String::as_str).collect();
        ota(&dir, &args)
    })
    .await
    .unwrap()
}

fn args(list: &[&str], url: &str, token: &Path) -> Vec<String> {
    let mut all: Vec<String> = list.iter().map(|s| s.to_string()).collect();
    all.extend([
        "--backend".into(),
        url.into(),
        "--token-file".into(),
        token.display().to_string(),
    ]);
    all
}

/// Devices `things` over MQTT until `stop`: each takes its next execution and reports it
/// `SUCCEEDED`.
fn devices(
    mqtt: std::net::SocketAddr,
    things: Vec<(String, String)>,
    stop: Arc<AtomicBool>,
) -> tokio::task::JoinHandle<()> {
    tokio::spawn(async move {
        let mut clients = Vec::new();
        for (thing, password) in &things {
            let mut options = MqttOptions::new(thing, mqtt.ip().to_string(), mqtt.port());
            options.set_credentials(thing, password);
            let (client, mut events) = AsyncClient::new(options, 100);
            let (tx, rx) = tokio::sync::mpsc::unbounded_channel::<(String, Value)>();
            tokio::spawn(async move {
                while let Ok(event) = events.poll().await {
                    if let Event::Incoming(Packet::Publish(p)) = event {
                        let v = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                        if tx.send((p.topic.clone(), v)).is_err() {
                            return;
                        }
                    }
                }
            });
            client
                .subscribe(format!("$aws/things/{thing}/jobs/#"), QoS::AtLeastOnce)
                .await
                .unwrap();
            clients.push((thing.clone(), client, rx));
        }
        while !stop.load(Ordering::Relaxed) {
            for (thing, client, rx) in &mut clients {
                let _ = client
                    .publish(
                        format!("$aws/things/{thing}/jobs/start-next"),
                        QoS::AtLeastOnce,
                        false,
                        "{}",
                    )
                    .await;
                let deadline = tokio::time::Instant::now() + Duration::from_secs(2);
                while let Ok(Some((topic, v))) = tokio::time::timeout_at(deadline, rx.recv()).await
                {
                    if topic.ends_with("/start-next/accepted") {
                        if let Some(job) = v["execution"]["jobId"].as_str() {
                            let _ = client
                                .publish(
                                    format!("$aws/things/{thing}/jobs/{job}/update"),
                                    QoS::AtLeastOnce,
                                    false,
                                    r#"{"status":"SUCCEEDED"}"#,
                                )
                                .await;
                        }
                        break;
                    }
                }
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    })
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn job_and_campaign_commands_drive_a_running_service() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let mut config = ServeConfig::new(d.join("data"));
    config.http = "127.0.0.1:0".parse().unwrap();
    config.mqtt = "127.0.0.1:0".parse().unwrap();
    config.campaign_tick_ms = 50;
    let running = serve::start(config).await.unwrap();
    let url = format!("http://{}", running.http_addr());
    let token = d.join("data/admin-token");
    let api = HttpBackend::new(&url, running.admin_token()).unwrap();

    // The registry through the library's client.
    api.create_group("fleet", None).await.unwrap();
    let mut things = Vec::new();
    for i in 0..5 {
        let thing = format!("t{i}");
        let attributes = vec![
            ("hardware".to_string(), "board-a".to_string()),
            ("version".to_string(), "1.2.0".to_string()),
        ];
        api.create_thing(&thing, attributes).await.unwrap();
        api.add_thing_to_group("fleet", &thing).await.unwrap();
        let password = running.issue_device_credentials(&thing).await.unwrap();
        things.push((thing, password));
    }
    assert_eq!(api.list_group_members("fleet").await.unwrap().len(), 5);
    assert!(matches!(
        api.create_thing("t0", vec![]).await,
        Err(ServiceError::ResourceAlreadyExists(_))
    ));
    let wrong = HttpBackend::new(&url, "not-the-token").unwrap();
    assert!(matches!(
        wrong.list_jobs(None).await,
        Err(ServiceError::AccessDenied(_))
    ));

    // job create | describe | list | cancel.
    std::fs::write(
        d.join("doc.json"),
        r#"{"operation":"update","version":"1.3.0"}"#,
    )
    .unwrap();
    let (code, out, err) = ota_async(
        d,
        args(
            &[
                "job",
                "create",
                "--job-id",
                "one",
                "--document",
                "doc.json",
                "--target",
                "thing/t0",
                "--output",
                "json",
            ],
            &url,
            &token,
        ),
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let created: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(created["job"]["status"], "IN_PROGRESS");
    let (code, out, _) =
        ota_async(d, args(&["job", "list", "--output", "json"], &url, &token)).await;
    assert_eq!(code, 0);
    assert!(out.contains("\"one\""), "{out}");
    let (code, out, err) =
        ota_async(d, args(&["job", "cancel", "--job-id", "one"], &url, &token)).await;
    assert!(code == 0 || code == 1, "{out}{err}");
    assert_eq!(
        api.describe_job("one").await.unwrap().status,
        ota_cloud::jobs::model::JobStatus::Canceled
    );
    let (code, _, err) = ota_async(
        d,
        args(&["job", "describe", "--job-id", "none"], &url, &token),
    )
    .await;
    assert_eq!(code, 1);
    assert!(err.contains("none"), "{err}");

    // Without a token: a usage error; with a wrong one: a failure naming the refusal.
    let (code, _, err) = ota_async(
        d,
        vec!["job".into(), "list".into(), "--backend".into(), url.clone()],
    )
    .await;
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("token"), "{err}");
    std::fs::write(d.join("bad-token"), "0000").unwrap();
    let (code, _, err) = ota_async(d, args(&["job", "list"], &url, &d.join("bad-token"))).await;
    assert_eq!(code, 1, "{err}");

    // campaign run to the end with the devices over MQTT.
    let spec = json!({
        "id": "c1",
        "release": {"id": "app-1.3.0", "version": "1.3.0", "product": "p", "hardware": ["board-a"], "securityCounter": 0},
        "targets": {"Group": "fleet"},
        "stages": [
            {"name": "canary", "size": {"Count": 2}, "gate": {"min_sample": 2, "failure_threshold": 5000}},
            {"name": "rest", "size": {"Percent": 10000}, "gate": {"min_sample": 1, "failure_threshold": 5000}},
        ],
    });
    std::fs::write(d.join("campaign.json"), spec.to_string()).unwrap();
    // The plan as JSON: each stage and its devices; nothing created, no state written.
    let (code, out, err) = ota_async(
        d,
        args(
            &[
                "campaign",
                "run",
                "--spec",
                "campaign.json",
                "--document",
                "doc.json",
                "--state",
                "state.json",
                "--dry-run",
                "--output",
                "json",
            ],
            &url,
            &token,
        ),
    )
    .await;
    assert_eq!(code, 0, "{out}{err}");
    let plan: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(
        plan["stages"],
        json!([{"name": "canary", "devices": 2}, {"name": "rest", "devices": 3}])
    );
    assert_eq!(
        (&plan["campaign"], &plan["dryRun"]),
        (&json!("c1"), &json!(true))
    );
    assert!(!d.join("state.json").exists());
    let stop = Arc::new(AtomicBool::new(false));
    let players = devices(running.mqtt_addr(), things, Arc::clone(&stop));
    let (code, out, err) = ota_async(
        d,
        args(
            &[
                "campaign",
                "run",
                "--spec",
                "campaign.json",
                "--document",
                "doc.json",
                "--state",
                "state.json",
                "--poll-seconds",
                "1",
            ],
            &url,
            &token,
        ),
    )
    .await;
    stop.store(true, Ordering::Relaxed);
    players.await.unwrap();
    assert_eq!(code, 0, "{out}{err}");
    assert!(out.contains("completed"), "{out}");
    let jobs = api.list_jobs(None).await.unwrap();
    assert!(
        jobs.iter().any(|j| j.spec.job_id == "c1-canary"),
        "{jobs:?}"
    );
    // The state file names the service and the token file, not the token.
    let state = std::fs::read_to_string(d.join("state.json")).unwrap();
    assert!(state.contains(&url) && !state.contains(running.admin_token()));
    running.shutdown().await;
}

/// Run `ota-cloud serve --data DATA` as a user who may read but not write `data` (as root:
/// `nobody` through setpriv, owning only the secrets; otherwise the tree made read-only);
/// its exit code and stderr.
fn serve_without_write_access(data: &Path) -> (i32, String) {
    use std::os::unix::fs::PermissionsExt;
    let set_mode = |path: &Path, mode: u32| {
        std::fs::set_permissions(path, std::fs::Permissions::from_mode(mode)).unwrap();
    };
    let root = Command::new("id")
        .arg("-u")
        .output()
        .is_ok_and(|o| o.stdout.starts_with(b"0\n"));
    let mut command = if root {
        let mut c = Command::new("setpriv");
        c.args(["--reuid=65534", "--regid=65534", "--clear-groups"])
            .arg(env!("CARGO_BIN_EXE_ota-cloud"));
        c
    } else {
        Command::new(env!("CARGO_BIN_EXE_ota-cloud"))
    };
    // Readable (and searchable) by all, writable by nobody but root.
    let mut stack = vec![data.to_path_buf()];
    while let Some(path) = stack.pop() {
        if path.is_dir() {
            set_mode(&path, 0o555);
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        } else if path.ends_with("admin-token") || path.ends_with("url-key") {
            // Secrets stay private, readable by the user the service runs as.
            if root {
                std::os::unix::fs::chown(&path, Some(65534), Some(65534)).unwrap();
            }
            set_mode(&path, 0o400);
        } else {
            set_mode(&path, 0o444);
        }
    }
    set_mode(data.parent().unwrap(), 0o755);
    let out = command
        .args(["serve", "--data"])
        .arg(data)
        .args(["--http", "127.0.0.1:0", "--mqtt", "127.0.0.1:0"])
        .env("RUST_LOG", "warn")
        .output()
        .unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_data_directory_it_cannot_write_is_a_clear_error_and_loses_nothing() {
    use std::os::unix::fs::PermissionsExt;
    let dir = tempfile::tempdir().unwrap();
    let data = dir.path().join("data");
    let start = || {
        let mut config = ServeConfig::new(&data);
        config.http = "127.0.0.1:0".parse().unwrap();
        config.mqtt = "127.0.0.1:0".parse().unwrap();
        serve::start(config)
    };
    let running = start().await.unwrap();
    let api = HttpBackend::new(
        &format!("http://{}", running.http_addr()),
        running.admin_token(),
    )
    .unwrap();
    api.create_thing("kept", vec![]).await.unwrap();
    running.shutdown().await;
    let before: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();

    let (code, stderr) = serve_without_write_access(&data);
    assert_eq!(code, 1, "{stderr}");
    assert!(
        stderr.contains(&data.display().to_string()) && stderr.contains("ermission denied"),
        "the error names the path and the reason: {stderr}"
    );
    let mut after: Vec<_> = std::fs::read_dir(&data)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    after.sort();
    let mut before = before;
    before.sort();
    assert_eq!(before, after, "nothing made or removed");

    // Writable again (the secrets ours and private again): everything is there.
    let mut stack = vec![data.clone()];
    while let Some(path) = stack.pop() {
        let _ = std::os::unix::fs::chown(&path, Some(0), Some(0));
        let mode = if path.is_dir() { 0o700 } else { 0o600 };
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(mode)).unwrap();
        if path.is_dir() {
            stack.extend(std::fs::read_dir(&path).unwrap().map(|e| e.unwrap().path()));
        }
    }
    let running = start().await.unwrap();
    let api = HttpBackend::new(
        &format!("http://{}", running.http_addr()),
        running.admin_token(),
    )
    .unwrap();
    api.describe_thing("kept").await.unwrap();
    running.shutdown().await;
}
