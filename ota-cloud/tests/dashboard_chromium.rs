//! The dashboard in a real browser: headless Chromium (Debian's package, installed by
//! `scripts/peers-test.sh`) opens `/` of a service with a campaign half-way through, with
//! devices that reported over MQTT. The page must load without console errors and show
//! each stage with the counts the API gives; a screenshot is written for the docs.
//!
//! `CHROMIUM_BIN` names the browser (default `chromium` on `PATH`); without one the test
//! fails unless `OTA_PEERS_OPTIONAL=1`. `DASHBOARD_SCREENSHOT` is where the screenshot goes
//! (default `target/dashboard.png`).

mod common;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::process::Command;
use std::time::Duration;

use common::http::request;
use ota_cloud::serve::{self, Running, ServeConfig};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};

fn call(running: &Running, method: &str, path: &str, body: Option<Value>) -> Value {
    let auth = format!("Bearer {}", running.admin_token());
    let body = body.map(|b| b.to_string()).unwrap_or_default();
    let r = request(
        running.http_addr(),
        method,
        path,
        &[
            ("Authorization", &auth),
            ("Content-Type", "application/json"),
        ],
        body.as_bytes(),
    );
    assert!(
        r.status < 300,
        "{method} {path}: {} {}",
        r.status,
        String::from_utf8_lossy(&r.body)
    );
    if r.body.is_empty() {
        Value::Null
    } else {
        r.json()
    }
}

/// `thing` connects with `password`, takes its next job and, unless `status` is `None`
/// (left in progress), reports `status` with `reason`.
async fn report(mqtt: SocketAddr, thing: &str, password: &str, status: Option<&str>, reason: &str) {
    let mut options = MqttOptions::new(thing, mqtt.ip().to_string(), mqtt.port());
    options.set_credentials(thing, password);
    let (client, mut events) = AsyncClient::new(options, 10);
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel::<(String, Value)>();
    let poller = tokio::spawn(async move {
        while let Ok(event) = events.poll().await {
            match event {
                Event::Incoming(Packet::SubAck(_)) => {
                    let _ = tx.send(("suback".into(), Value::Null));
                }
                Event::Incoming(Packet::Publish(p)) => {
                    let v = serde_json::from_slice(&p.payload).unwrap_or(Value::Null);
                    let _ = tx.send((p.topic.clone(), v));
                }
                _ => {}
            }
        }
    });
    let base = format!("$aws/things/{thing}/jobs");
    client
        .subscribe(format!("{base}/#"), QoS::AtLeastOnce)
        .await
        .unwrap();
    let mut wait_for = async |suffix: &str| loop {
        let (topic, v) = tokio::time::timeout(Duration::from_secs(30), rx.recv())
            .await
            .expect("an answer in time")
            .expect("connected");
        if topic.ends_with(suffix) {
            return v;
        }
    };
    wait_for("suback").await;
    let job = loop {
        client
            .publish(format!("{base}/start-next"), QoS::AtLeastOnce, false, "{}")
            .await
            .unwrap();
        let reply = wait_for("/start-next/accepted").await;
        if let Some(job) = reply["execution"]["jobId"].as_str() {
            break job.to_string();
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    };
    if let Some(status) = status {
        let update = json!({"status": status, "statusDetails": {"reason": reason}});
        client
            .publish(
                format!("{base}/{job}/update"),
                QoS::AtLeastOnce,
                false,
                update.to_string(),
            )
            .await
            .unwrap();
        wait_for(&format!("/{job}/update/accepted")).await;
    }
    let _ = client.disconnect().await;
    poller.abort();
}

/// What the dashboard must show for a stage: its bar's accessible label.
fn stage_label(stage: &Value) -> String {
    let c = &stage["counts"];
    let n = |k: &str| c[k].as_u64().unwrap_or(0);
    format!(
        "{}: Succeeded {}, Failed {}, Timed out {}, Rejected {}, In progress {}, Queued {} of {}",
        stage["name"].as_str().unwrap(),
        n("succeeded"),
        n("failed"),
        n("timedOut"),
        n("rejected"),
        n("inProgress"),
        n("queued"),
        n("total")
    )
}

fn chromium() -> Option<String> {
    let bin = std::env::var("CHROMIUM_BIN").unwrap_or_else(|_| "chromium".into());
    Command::new(&bin)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map(|_| bin)
}

/// Headless Chromium on `url` with `args`, given time for the page's first polls; its
/// stdout and stderr.
fn browse(bin: &str, url: &str, args: &[&str]) -> (String, String) {
    let profile = tempfile::tempdir().unwrap();
    let out = Command::new(bin)
        .args([
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--no-first-run",
            "--hide-scrollbars",
            "--enable-logging=stderr",
            "--v=0",
            "--virtual-time-budget=6000",
            "--window-size=1280,1180",
        ])
        .arg(format!("--user-data-dir={}", profile.path().display()))
        .args(args)
        .arg(url)
        .output()
        .expect("chromium runs");
    assert!(
        out.status.success(),
        "chromium failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    (
        String::from_utf8_lossy(&out.stdout).into_owned(),
        String::from_utf8_lossy(&out.stderr).into_owned(),
    )
}

#[test]
#[ignore = "needs Chromium: scripts/peers-test.sh installs it"]
fn the_dashboard_shows_the_campaign_as_the_api_does() {
    let Some(bin) = chromium() else {
        assert!(
            std::env::var("OTA_PEERS_OPTIONAL").is_ok_and(|v| v == "1"),
            "no Chromium (CHROMIUM_BIN or chromium on PATH)"
        );
        eprintln!("skipped: no Chromium");
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut config = ServeConfig::new(dir.path().join("data"));
    config.http = "127.0.0.1:0".parse().unwrap();
    config.mqtt = "127.0.0.1:0".parse().unwrap();
    config.campaign_tick_ms = 50;
    let running = runtime.block_on(serve::start(config)).unwrap();

    // Six devices, a canary of two that passes, and the rest part-way: two succeeded, one
    // failed with a reason, one still installing.
    let things = [
        "pump-01", "pump-02", "pump-03", "pump-04", "pump-05", "pump-06",
    ];
    call(
        &running,
        "POST",
        "/api/v1/groups",
        Some(json!({"groupName": "fleet"})),
    );
    let mut passwords = Vec::new();
    for thing in things {
        let body =
            json!({"thingName": thing, "attributes": {"hardware": "rev-b", "version": "2.0.0"}});
        call(&running, "POST", "/api/v1/things", Some(body));
        call(
            &running,
            "PUT",
            &format!("/api/v1/groups/fleet/things/{thing}"),
            None,
        );
        let r = call(
            &running,
            "POST",
            &format!("/api/v1/things/{thing}/credentials"),
            None,
        );
        passwords.push(r["password"].as_str().unwrap().to_string());
    }
    let release = json!({
        "id": "pump-fw-2.1.0", "version": "2.1.0", "product": "pump", "hardware": ["rev-b"],
        "securityCounter": 3, "document": "{\"operation\":\"update\",\"version\":\"2.1.0\"}",
    });
    call(&running, "POST", "/api/v1/releases", Some(release.clone()));
    let spec = json!({
        "id": "pump-2_1_0-rollout", "release": release, "targets": {"Group": "fleet"},
        "stages": [
            {"name": "canary", "size": {"Count": 2}, "gate": {"min_sample": 2, "success_threshold": 10000}},
            {"name": "fleet", "size": {"Percent": 10000}, "gate": {"min_sample": 4, "success_threshold": 7500}},
        ],
    });
    call(&running, "POST", "/api/v1/campaigns", Some(spec));
    let mqtt = running.mqtt_addr();
    let stage_of = |running: &Running| {
        call(running, "GET", "/api/v1/campaigns/pump-2_1_0-rollout", None)["status"]
            ["current_stage"]
            .as_str()
            .map(str::to_string)
    };
    // The canary: whichever two things it picked (once its job exists) report success.
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    let done: Vec<&str> = loop {
        let picked: Vec<&str> = things
            .into_iter()
            .filter(|thing| {
                let path = format!("/api/v1/things/{thing}/executions");
                call(&running, "GET", &path, None)["items"]
                    .as_array()
                    .is_some_and(|a| !a.is_empty())
            })
            .collect();
        if picked.len() == 2 {
            break picked;
        }
        assert!(
            std::time::Instant::now() < deadline,
            "no canary job: {picked:?}"
        );
        std::thread::sleep(Duration::from_millis(100));
    };
    runtime.block_on(async {
        for (thing, password) in things.iter().zip(&passwords) {
            if done.contains(thing) {
                report(mqtt, thing, password, Some("SUCCEEDED"), "installed").await;
            }
        }
    });
    let deadline = std::time::Instant::now() + Duration::from_secs(30);
    while stage_of(&running).as_deref() != Some("fleet") {
        assert!(
            std::time::Instant::now() < deadline,
            "the canary's gate did not pass"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    let rest: Vec<_> = things
        .iter()
        .zip(&passwords)
        .filter(|(t, _)| !done.contains(t))
        .collect();
    let plan = [
        (Some("SUCCEEDED"), "installed"),
        (Some("SUCCEEDED"), "installed"),
        (Some("FAILED"), "image hash mismatch"),
        (None, ""),
    ];
    runtime.block_on(async {
        for ((thing, password), (status, reason)) in rest.iter().zip(plan) {
            report(mqtt, thing, password, status, reason).await;
        }
    });

    // What the API says, then what the page shows.
    let report = call(
        &running,
        "GET",
        "/api/v1/campaigns/pump-2_1_0-rollout",
        None,
    );
    let labels: Vec<String> = report["stages"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| stage_label(&s["status"]))
        .collect();
    assert_eq!(labels.len(), 2);
    let url = format!(
        "http://{}/#token={}",
        running.http_addr(),
        running.admin_token()
    );
    let (dom, log) = browse(&bin, &url, &["--dump-dom"]);
    let console: Vec<&str> = log.lines().filter(|l| l.contains("CONSOLE")).collect();
    assert!(console.is_empty(), "console messages: {console:#?}");
    for label in &labels {
        assert!(
            dom.contains(&format!("aria-label=\"{label}\"")),
            "the page lacks {label:?}:\n{dom}"
        );
    }
    for shown in [
        "pump-2_1_0-rollout",
        "image hash mismatch",
        "current stage: fleet",
    ] {
        assert!(dom.contains(shown), "the page lacks {shown:?}:\n{dom}");
    }
    // No problem reported: the banner is hidden and empty.
    let banner = dom
        .split("id=\"status-banner\"")
        .nth(1)
        .and_then(|rest| rest.split("</div>").next())
        .expect("the banner");
    assert!(
        banner.contains("hidden") && banner.ends_with('>'),
        "banner: {banner}"
    );
    // The token left the address bar, and is not in the page.
    assert!(
        !dom.contains(running.admin_token()),
        "the token is in the page"
    );

    let shot = std::env::var("DASHBOARD_SCREENSHOT").map_or_else(
        |_| PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/dashboard.png"),
        PathBuf::from,
    );
    let (_, log) = browse(&bin, &url, &[&format!("--screenshot={}", shot.display())]);
    let png = std::fs::read(&shot).unwrap_or_else(|e| panic!("{}: {e}\n{log}", shot.display()));
    assert!(
        png.starts_with(b"\x89PNG") && png.len() > 10_000,
        "{} bytes",
        png.len()
    );
    eprintln!("screenshot: {}", shot.display());
    runtime.block_on(running.shutdown());
}
