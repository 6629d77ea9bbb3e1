//! `linux-device` as a person runs it, as a process: against the gateway on an embedded broker
//! (in this test's process), killed with SIGKILL in the middle of its update and started
//! again, it resumes from its state directory, re-executes itself into the new version and
//! exits 0 with `--once`; with a failing self-test it rolls back and exits 1.
#![allow(clippy::std_instead_of_core)]

use std::io::{BufRead as _, BufReader};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::sync::mpsc;
use std::time::Duration;

use ota_cloud::broker::{EMBEDDED_TOPIC_ROOT, EmbeddedBroker};
use ota_cloud::gateway::mqtt::{MqttBinding, MqttGateway};
use ota_cloud::gateway::{FileStreams, Gateway};
use ota_cloud::jobs::model::{JobSpec, Target};
use ota_cloud::release::{FirmwareSpec, ManifestSpec, firmware_update};
use ota_cloud::signing::{KeyAlgorithm, LocalSigner, PrivateKey};
use ota_cloud::{InMemory, Settings, SystemClock};
use ota_core::jobs::JobExecutionStatus;
use ota_core::version::Version;

const IMAGE_LEN: usize = 400_000;

struct Service {
    dir: tempfile::TempDir,
    broker: String,
    service: Arc<InMemory<SystemClock>>,
    _gateway: MqttGateway,
    _runtime: tokio::runtime::Runtime,
}

/// A release key, a signed 2.0.0 image, the gateway serving a job for `things`.
fn service(things: &[&str]) -> Service {
    let dir = tempfile::tempdir().unwrap();
    let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, [9; 32]).unwrap();
    std::fs::write(dir.path().join("release.pub.pem"), key.public_key_pem()).unwrap();
    let signer = LocalSigner::with_default_algorithm(key, false).unwrap();
    let image: Vec<u8> = (0..IMAGE_LEN).map(|i| (i * 7 % 253) as u8).collect();
    std::fs::write(dir.path().join("fw.bin"), &image).unwrap();
    let mut manifest = ManifestSpec::new("acme", "rev-a", Version::new(2, 0, 0));
    manifest.security_counter = ota_core::version::SecurityCounter(1);
    let mut spec = FirmwareSpec::new(manifest);
    spec.stream = Some("fw-2");
    let document = firmware_update(&image, &spec, &signer).unwrap().document;

    let service = Arc::new(InMemory::new(SystemClock, Settings::default()));
    {
        let mut engine = service.engine();
        for thing in things {
            engine.create_thing(thing, &[]).unwrap();
        }
        let targets = things
            .iter()
            .map(|t| Target::Thing((*t).to_string()))
            .collect();
        engine
            .create_job(JobSpec::new("fw-2", targets, document))
            .unwrap();
    }
    let mut streams = FileStreams::new();
    streams
        .add_file("fw-2", 0, &dir.path().join("fw.bin"))
        .unwrap();
    let broker = EmbeddedBroker::start("127.0.0.1:0".parse().unwrap(), 64).unwrap();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    let addr = broker.addr();
    let gateway = runtime.block_on(async {
        let binding = MqttBinding::new(&addr.ip().to_string(), addr.port(), "gateway");
        let gateway = MqttGateway::start(
            Arc::clone(&service),
            streams,
            Gateway::new(EMBEDDED_TOPIC_ROOT),
            binding,
        );
        assert!(gateway.wait_subscribed(Duration::from_secs(10)).await);
        gateway
    });
    Service {
        dir,
        broker: broker.url(),
        service,
        _gateway: gateway,
        _runtime: runtime,
    }
}

/// Start `linux-device` for `thing`; its stdout lines arrive on the returned channel.
fn start(service: &Service, thing: &str, extra: &[&str]) -> (Child, mpsc::Receiver<String>) {
    let dir = service.dir.path();
    let mut child = Command::new(env!("CARGO_BIN_EXE_linux-device"))
        .args([
            "--broker",
            &service.broker,
            "--topic-root",
            EMBEDDED_TOPIC_ROOT,
        ])
        .args(["--thing", thing, "--product", "acme", "--hardware", "rev-a"])
        .args(["--version", "1.0.0", "--once", "--block-size", "2048"])
        .arg("--trust")
        .arg(dir.join("release.pub.pem"))
        .arg("--state-dir")
        .arg(state_dir(dir, thing))
        .args(extra)
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

fn state_dir(dir: &Path, thing: &str) -> std::path::PathBuf {
    dir.join(format!("state-{thing}"))
}

// After a child has exited, its output is read with `iter()`: the reader thread ends at
// EOF, so every line arrives (`try_iter()` lost the last line when it raced the reader).
/// Lines until one starts with `prefix` (or the process's output ends).
fn wait_for(lines: &mpsc::Receiver<String>, prefix: &str, seen: &mut Vec<String>) -> bool {
    while let Ok(line) = lines.recv_timeout(Duration::from_secs(60)) {
        let hit = line.starts_with(prefix);
        seen.push(line);
        if hit {
            return true;
        }
    }
    false
}

fn status(service: &Service, thing: &str) -> JobExecutionStatus {
    let engine = service.service.engine();
    engine
        .describe_job_execution("fw-2", thing, None)
        .unwrap()
        .status
}

#[test]
fn killed_mid_download_and_after_activation_it_resumes_and_commits() {
    let service = service(&["dev-kill"]);
    let mut seen = Vec::new();
    // Killed once the download has started.
    let (mut child, lines) = start(&service, "dev-kill", &[]);
    assert!(
        wait_for(&lines, "job: signature verified", &mut seen),
        "{seen:#?}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // Started again: it resumes; killed again right after it re-executed into 2.0.0.
    let (mut child, lines) = start(&service, "dev-kill", &[]);
    assert!(
        wait_for(&lines, "boot: running 2.0.0", &mut seen),
        "{seen:#?}"
    );
    child.kill().unwrap();
    child.wait().unwrap();
    // A reset while on trial is a failed boot: the bootloader rolls back to 1.0.0, and the
    // job ends FAILED; or the self-test had already committed. Either way the device ends
    // on a committed image and the service agrees with it.
    let (mut child, lines) = start(&service, "dev-kill", &[]);
    let code = child.wait().unwrap().code();
    seen.extend(lines.iter());
    let resumed = seen
        .iter()
        .filter(|l| l.starts_with("job: signature verified"))
        .count();
    assert!(resumed >= 1, "{seen:#?}");
    match code {
        Some(0) => {
            assert!(
                seen.iter()
                    .any(|l| l == "committed: the new image is permanent"),
                "{seen:#?}"
            );
            assert_eq!(status(&service, "dev-kill"), JobExecutionStatus::Succeeded);
        }
        Some(1) => {
            assert!(
                seen.iter()
                    .any(|l| l.starts_with("boot: running 1.0.0 (RolledBack)")),
                "{seen:#?}"
            );
            assert_eq!(status(&service, "dev-kill"), JobExecutionStatus::Failed);
        }
        other => panic!("exit {other:?}: {seen:#?}"),
    }
}

#[test]
fn an_uninterrupted_update_commits_and_a_failing_self_test_rolls_back() {
    let service = service(&["dev-ok", "dev-bad"]);
    let (mut ok, ok_lines) = start(&service, "dev-ok", &[]);
    let (mut bad, bad_lines) = start(&service, "dev-bad", &["--fail-self-test"]);
    assert_eq!(ok.wait().unwrap().code(), Some(0));
    assert_eq!(bad.wait().unwrap().code(), Some(1));
    let ok_lines: Vec<String> = ok_lines.iter().collect();
    let bad_lines: Vec<String> = bad_lines.iter().collect();
    for expected in [
        "boot: running 1.0.0",
        "boot: running 2.0.0",
        "committed:",
        "done: SUCCEEDED",
    ] {
        assert!(
            ok_lines.iter().any(|l| l.starts_with(expected)),
            "{expected}: {ok_lines:#?}"
        );
    }
    for expected in [
        "self-test: failed",
        "boot: running 1.0.0 (RolledBack)",
        "done: FAILED",
    ] {
        assert!(
            bad_lines.iter().any(|l| l.starts_with(expected)),
            "{expected}: {bad_lines:#?}"
        );
    }
    assert_eq!(status(&service, "dev-ok"), JobExecutionStatus::Succeeded);
    assert_eq!(status(&service, "dev-bad"), JobExecutionStatus::Failed);
    let image = std::fs::read(service.dir.path().join("fw.bin")).unwrap();
    let state = state_dir(service.dir.path(), "dev-ok");
    let active = ["bank-a.img", "bank-b.img"]
        .iter()
        .map(|b| std::fs::read(state.join(b)).unwrap())
        .any(|bank| bank.starts_with(&image));
    assert!(active, "the new image is in a bank");
}
