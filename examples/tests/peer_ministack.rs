//! Interop with MiniStack (PyPI `ministack` 1.5.33, `MINISTACK_BIN`), an independent
//! implementation of the AWS IoT Jobs service, its MQTT broker (WebSocket) and S3:
//!
//! - a job created through MiniStack's HTTP API, whose document (from `ota-cloud`'s release
//!   path) points at the image in MiniStack's S3 through the
//!   `${aws:iot:s3-presigned-url:...}` placeholder, is completed by `linux-device` over
//!   WebSocket (with the `Host` header MiniStack routes on), the image fetched with HTTP
//!   ranges from the URL MiniStack pre-signed for it;
//! - a stale update answered with MiniStack's `VersionMismatch`, read with `ota-core`'s wire
//!   type;
//! - a job cancelled (forced) while the device downloads: the device stops and exits 3.
//!
//! Where MiniStack differs from AWS, as these tests meet it: it has no MQTT streams (so the
//! image comes over HTTP here), and it accepts any SigV4 signature when `AUTH` is off (the
//! requests below carry a well-formed but unsigned `Authorization` header, which MiniStack
//! routes on).
//!
//! `#[ignore]`d: `scripts/peers-test.sh` installs MiniStack and runs them.
#![allow(clippy::std_instead_of_core)]

use std::io::{BufRead as _, BufReader};
use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::sync::mpsc;
use std::time::Duration;

use ota_cloud::release::{FirmwareSpec, ManifestSpec, firmware_update};
use ota_cloud::signing::{KeyAlgorithm, LocalSigner, PrivateKey};
use ota_core::jobs::{ErrorCode, ErrorResponse, JobExecutionStatus};
use ota_core::version::{SecurityCounter, Version};

/// A MiniStack on a free loopback port, killed on drop.
struct MiniStack {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl MiniStack {
    fn start() -> Option<Self> {
        let default = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/../target/peers/ministack/bin/ministack"
        );
        let bin = std::env::var("MINISTACK_BIN").unwrap_or_else(|_| default.to_string());
        let dir = tempfile::tempdir().unwrap();
        for sub in ["run", "s3", "state"] {
            std::fs::create_dir_all(dir.path().join(sub)).unwrap();
        }
        let port = TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let log = std::fs::File::create(dir.path().join("ministack.log")).unwrap();
        let child = Command::new(&bin)
            .env("BIND_HOST", "127.0.0.1")
            .env("IOT_MTLS_ENABLED", "0")
            .env("GATEWAY_PORT", port.to_string())
            .env("TMPDIR", dir.path().join("run"))
            .env("S3_DATA_DIR", dir.path().join("s3"))
            .env("STATE_DIR", dir.path().join("state"))
            .stdout(log.try_clone().unwrap())
            .stderr(log)
            .spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if std::env::var("OTA_PEERS_OPTIONAL").as_deref() == Ok("1") => {
                eprintln!("skipped: MiniStack not installed ({bin}: {e}; set MINISTACK_BIN)");
                return None;
            }
            Err(e) => panic!("MiniStack not installed ({bin}: {e}); run scripts/peers-test.sh"),
        };
        let stack = Self { child, port, dir };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while ureq::get(&stack.url("/_ministack/ready")).call().is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "MiniStack did not start: {}",
                stack.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(stack)
    }

    fn url(&self, path: &str) -> String {
        format!("http://127.0.0.1:{}{path}", self.port)
    }

    fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("ministack.log")).unwrap_or_default()
    }

    /// An AWS API call: `scope` is the SigV4 service MiniStack routes on. Returns the status
    /// and the body.
    fn call(&self, method: &str, path: &str, scope: &str, body: &[u8]) -> (u16, String) {
        let auth = format!(
            "AWS4-HMAC-SHA256 Credential=test/20261206/us-east-1/{scope}/aws4_request, \
             SignedHeaders=host;x-amz-date, Signature=00"
        );
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .build()
            .into();
        let request = ureq::http::Request::builder()
            .method(method)
            .uri(self.url(path))
            .header("Authorization", auth)
            .header("X-Amz-Date", "20261206T000000Z")
            .header("Content-Type", "application/json")
            .body(body.to_vec())
            .unwrap();
        let mut response = agent.run(request).unwrap();
        let status = response.status().as_u16();
        (
            status,
            response.body_mut().read_to_string().unwrap_or_default(),
        )
    }

    fn ok(&self, method: &str, path: &str, scope: &str, body: &[u8]) -> String {
        let (status, text) = self.call(method, path, scope, body);
        assert_eq!(status, 200, "{method} {path}: {text}");
        text
    }
}

impl Drop for MiniStack {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A release key (its public half written to `dir/release.pub.pem`) and the document of a
/// 2.0.0 `image` whose URL is the pre-signing placeholder for `s3://fw-bucket/KEY`.
fn release(dir: &std::path::Path, image: &[u8], key_name: &str) -> String {
    let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, [5; 32]).unwrap();
    std::fs::write(dir.join("release.pub.pem"), key.public_key_pem()).unwrap();
    let signer = LocalSigner::with_default_algorithm(key, false).unwrap();
    let mut manifest = ManifestSpec::new("acme", "rev-a", Version::new(2, 0, 0));
    manifest.security_counter = SecurityCounter(1);
    let mut spec = FirmwareSpec::new(manifest);
    let url =
        format!("${{aws:iot:s3-presigned-url:https://s3.amazonaws.com/fw-bucket/{key_name}}}");
    spec.url = Some(&url);
    firmware_update(image, &spec, &signer).unwrap().document
}

/// Put `image` in S3, create `thing` and job `job_id` with `document` for it.
fn create_job(
    stack: &MiniStack,
    thing: &str,
    job_id: &str,
    key_name: &str,
    image: &[u8],
    document: &str,
) {
    let _ = stack.call("PUT", "/fw-bucket", "s3", b"");
    stack.ok("PUT", &format!("/fw-bucket/{key_name}"), "s3", image);
    stack.ok("POST", &format!("/things/{thing}"), "iot", b"{}");
    let body = serde_json::json!({
        "targets": [format!("arn:aws:iot:us-east-1:000000000000:thing/{thing}")],
        "document": document,
        "presignedUrlConfig": {"roleArn": "arn:aws:iam::000000000000:role/ota", "expiresInSec": 600},
    });
    stack.ok(
        "PUT",
        &format!("/jobs/{job_id}"),
        "iot",
        body.to_string().as_bytes(),
    );
}

fn execution_status(stack: &MiniStack, thing: &str, job_id: &str) -> String {
    let text = stack.ok("GET", &format!("/things/{thing}/jobs/{job_id}"), "iot", b"");
    let value: serde_json::Value = serde_json::from_str(&text).unwrap();
    value["execution"]["status"]
        .as_str()
        .unwrap_or_default()
        .to_string()
}

/// `linux-device` for `thing` over MiniStack's WebSocket broker.
fn device(
    stack: &MiniStack,
    thing: &str,
    dir: &std::path::Path,
) -> (Child, mpsc::Receiver<String>) {
    let port = stack.port;
    let mut child = Command::new(env!("CARGO_BIN_EXE_linux-device"))
        .args(["--broker", &format!("ws://127.0.0.1:{port}/mqtt")])
        .args([
            "--ws-host",
            &format!("{thing}.iot.us-east-1.localhost:{port}"),
        ])
        .args(["--thing", thing, "--product", "acme", "--hardware", "rev-a"])
        .args(["--version", "1.0.0", "--once", "--capacity", "33554432"])
        .arg("--trust")
        .arg(dir.join("release.pub.pem"))
        .arg("--state-dir")
        .arg(dir.join(format!("state-{thing}")))
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    let stdout = child.stdout.take().unwrap();
    let (tx, rx) = mpsc::channel();
    std::thread::spawn(move || {
        for line in BufReader::new(stdout).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                return;
            }
        }
    });
    (child, rx)
}

fn image(len: usize) -> Vec<u8> {
    (0..len).map(|i| (i * 31 % 251) as u8).collect()
}

#[test]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
fn ministack_job_completed_over_websocket_with_a_presigned_url() {
    let Some(stack) = MiniStack::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let image = image(300_000);
    let document = release(dir.path(), &image, "fw-2.bin");
    create_job(
        &stack, "ms-dev-1", "ms-job-1", "fw-2.bin", &image, &document,
    );
    let (mut child, lines) = device(&stack, "ms-dev-1", dir.path());
    let code = child.wait().unwrap().code();
    let lines: Vec<String> = lines.iter().collect();
    assert_eq!(code, Some(0), "{lines:#?}\n{}", stack.log());
    assert!(
        lines.iter().any(|l| l.starts_with("http: ")),
        "fetched over HTTP: {lines:#?}"
    );
    assert!(
        lines.iter().any(|l| l.starts_with("boot: running 2.0.0")),
        "{lines:#?}"
    );
    assert_eq!(
        execution_status(&stack, "ms-dev-1", "ms-job-1"),
        "SUCCEEDED"
    );
    let state = dir.path().join("state-ms-dev-1");
    let in_a_bank = ["bank-a.img", "bank-b.img"]
        .iter()
        .any(|b| std::fs::read(state.join(b)).unwrap().starts_with(&image));
    assert!(in_a_bank);

    // A stale update of the finished execution: MiniStack checks the version first and
    // answers VersionMismatch with the execution's state, which ota-core reads.
    let reply = stale_update(&stack, "ms-dev-1", "ms-job-1");
    let error: ErrorResponse<'_> = ota_core::json::from_slice(reply.as_bytes()).unwrap();
    assert_eq!(error.code, ErrorCode::VersionMismatch, "{reply}");
    let state = error.execution_state.expect("executionState");
    assert_eq!(state.status, JobExecutionStatus::Succeeded);
    assert!(state.version_number > 1);
    assert_eq!(error.client_token.unwrap().raw(), "stale-1");
}

/// Publish an update with `expectedVersion: 1` for `thing`'s execution as that thing and
/// return the `update/rejected` payload.
fn stale_update(stack: &MiniStack, thing: &str, job_id: &str) -> String {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(async {
        let url = format!("ws://127.0.0.1:{}/mqtt", stack.port);
        let mut settings = ota_device::runner::MqttSettings::new(url, format!("{thing}-spy"));
        settings.ws_host = Some(format!("{thing}.iot.us-east-1.localhost:{}", stack.port));
        settings.clean_session = true;
        let (client, mut eventloop) =
            rumqttc::AsyncClient::new(settings.mqtt_options().unwrap(), 10);
        let rejected = format!("$aws/things/{thing}/jobs/{job_id}/update/rejected");
        client
            .subscribe(&rejected, rumqttc::QoS::AtLeastOnce)
            .await
            .unwrap();
        let request = r#"{"status":"IN_PROGRESS","expectedVersion":1,"clientToken":"stale-1"}"#;
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        loop {
            let event = tokio::time::timeout_at(deadline, eventloop.poll())
                .await
                .expect("a reply within 30 s")
                .unwrap();
            match event {
                rumqttc::Event::Incoming(rumqttc::Packet::SubAck(_)) => {
                    let topic = format!("$aws/things/{thing}/jobs/{job_id}/update");
                    client
                        .publish(topic, rumqttc::QoS::AtLeastOnce, false, request)
                        .await
                        .unwrap();
                }
                rumqttc::Event::Incoming(rumqttc::Packet::Publish(p)) if p.topic == rejected => {
                    return String::from_utf8(p.payload.to_vec()).unwrap();
                }
                _ => {}
            }
        }
    })
}

#[test]
#[ignore = "needs MiniStack: scripts/peers-test.sh"]
fn ministack_job_cancelled_while_the_device_downloads() {
    let Some(stack) = MiniStack::start() else {
        return;
    };
    let dir = tempfile::tempdir().unwrap();
    let image = image(24 * 1024 * 1024);
    let document = release(dir.path(), &image, "fw-big.bin");
    create_job(
        &stack,
        "ms-dev-2",
        "ms-job-2",
        "fw-big.bin",
        &image,
        &document,
    );
    let (mut child, lines) = device(&stack, "ms-dev-2", dir.path());
    let mut seen = Vec::new();
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        let started = line.starts_with("job: signature verified");
        seen.push(line);
        if started {
            break;
        }
    }
    stack.ok("PUT", "/jobs/ms-job-2/cancel?force=true", "iot", b"{}");
    let code = child.wait().unwrap().code();
    seen.extend(lines.iter());
    assert_eq!(code, Some(3), "exit 3 (cancelled): {seen:#?}");
    assert!(
        seen.iter().any(|l| l == "job: cancelled by the service"),
        "{seen:#?}"
    );
    assert!(
        !seen.iter().any(|l| l.starts_with("boot: running 2.0.0")),
        "{seen:#?}"
    );
    assert_eq!(execution_status(&stack, "ms-dev-2", "ms-job-2"), "CANCELED");
}
