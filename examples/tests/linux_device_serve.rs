//! `linux-device` against `ota-cloud serve` (the service in this test's process), as the
//! README's walkthrough runs them: the image uploaded as an artifact, a job whose document
//! points at it through the pre-signing placeholder, the device connecting with the password
//! the API issued, downloading over HTTP from the signed URL it was sent, and committing.
#![allow(clippy::std_instead_of_core)]

use std::process::Command;
use std::time::Duration;

use ota_cloud::jobs::model::{JobSpec, Target};
use ota_cloud::release::{FirmwareSpec, ManifestSpec, firmware_update};
use ota_cloud::serve::{self, HttpBackend, ServeConfig};
use ota_cloud::signing::{KeyAlgorithm, LocalSigner, PrivateKey};
use ota_cloud::{FleetService, JobService};
use ota_core::jobs::JobExecutionStatus;
use ota_core::version::Version;

#[test]
fn linux_device_updates_from_the_self_hosted_service() {
    let dir = tempfile::tempdir().unwrap();
    let d = dir.path();
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    let mut config = ServeConfig::new(d.join("data"));
    config.http = "127.0.0.1:0".parse().unwrap();
    config.mqtt = "127.0.0.1:0".parse().unwrap();
    let running = runtime.block_on(serve::start(config)).unwrap();
    let http = running.http_addr();
    let api = HttpBackend::new(&format!("http://{http}"), running.admin_token()).unwrap();

    // A release: key, image, and a document whose URL is the artifact's placeholder.
    let key = PrivateKey::generate_seeded(KeyAlgorithm::P256, [7; 32]).unwrap();
    std::fs::write(d.join("release.pub.pem"), key.public_key_pem()).unwrap();
    let signer = LocalSigner::with_default_algorithm(key, false).unwrap();
    let image: Vec<u8> = (0..300_000u32).map(|i| (i * 13 % 251) as u8).collect();
    let placeholder = format!("${{aws:iot:s3-presigned-url:http://{http}/artifacts/fw-2.0.0.bin}}");
    let mut manifest = ManifestSpec::new("acme", "rev-a", Version::new(2, 0, 0));
    manifest.security_counter = ota_core::version::SecurityCounter(1);
    let mut spec = FirmwareSpec::new(manifest);
    spec.url = Some(&placeholder);
    let document = firmware_update(&image, &spec, &signer).unwrap().document;

    let password = runtime.block_on(async {
        api.upload_artifact("fw-2.0.0.bin", &image).await.unwrap();
        api.create_thing("dev-1", vec![]).await.unwrap();
        let job = JobSpec::new("fw-2", vec![Target::Thing("dev-1".into())], document);
        api.create_job(job).await.unwrap();
        running.issue_device_credentials("dev-1").await.unwrap()
    });
    std::fs::write(d.join("dev-1.password"), &password).unwrap();

    let mqtt = running.mqtt_addr();
    let output = device(d, mqtt, "dev-1.password", "state").output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(0), "{stdout}\n{stderr}");
    assert!(
        stdout.contains("committed: the new image is permanent"),
        "{stdout}"
    );

    let status = runtime.block_on(async {
        // The last report may still be on its way.
        for _ in 0..50 {
            let x = api
                .describe_job_execution("fw-2", "dev-1", None)
                .await
                .unwrap();
            if x.status.is_terminal() {
                return x.status;
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        JobExecutionStatus::InProgress
    });
    assert_eq!(status, JobExecutionStatus::Succeeded);

    // A device with a wrong password gets nowhere.
    std::fs::write(d.join("wrong.password"), "0000").unwrap();
    let mut child = device(d, mqtt, "wrong.password", "state-wrong")
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // It is refused at every attempt (and keeps retrying): the service counts the refusals.
    let refused = (0..100).find_map(|_| {
        std::thread::sleep(Duration::from_millis(100));
        let text = scrape(http);
        let n: u64 = text
            .lines()
            .find_map(|l| l.strip_prefix("ota_mqtt_refused_connects_total "))?
            .parse()
            .ok()?;
        (n > 0).then_some(n)
    });
    assert!(refused.is_some(), "no refused connection counted");
    assert!(child.try_wait().unwrap().is_none_or(|s| !s.success()));
    let _ = child.kill();
    let _ = child.wait();
    runtime.block_on(running.shutdown());
}

/// `GET /metrics` (no token needed).
fn scrape(addr: std::net::SocketAddr) -> String {
    use std::io::{Read as _, Write as _};
    let mut stream = std::net::TcpStream::connect(addr).unwrap();
    write!(stream, "GET /metrics HTTP/1.0\r\nHost: {addr}\r\n\r\n").unwrap();
    let mut text = String::new();
    stream.read_to_string(&mut text).unwrap();
    text
}

/// `linux-device --once` as thing dev-1 on the service's MQTT endpoint, with the password in
/// `d/password` and its state in `d/state`.
fn device(d: &std::path::Path, mqtt: std::net::SocketAddr, password: &str, state: &str) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_linux-device"));
    command
        .args(["--broker", &format!("mqtt://{mqtt}")])
        .args([
            "--thing",
            "dev-1",
            "--product",
            "acme",
            "--hardware",
            "rev-a",
        ])
        .args(["--version", "1.0.0", "--once"])
        .arg("--password-file")
        .arg(d.join(password))
        .arg("--trust")
        .arg(d.join("release.pub.pem"))
        .arg("--state-dir")
        .arg(d.join(state));
    command
}
