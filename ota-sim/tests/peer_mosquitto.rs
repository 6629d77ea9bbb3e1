//! Interop with mosquitto (Debian's 2.0.11, or `MOSQUITTO_BIN`), a broker nobody here wrote:
//! the gateway and 100 device runners on the literal `$aws/...` topics: one job to the end,
//! then a 100-device staged campaign (`ota-sim`'s default scenario over MQTT), and the same
//! campaign with mosquitto killed and restarted in the middle; and, under the ACL the
//! gateway's docs recommend, a thing that cannot publish as another.
//!
//! `#[ignore]`d: it needs mosquitto installed. `scripts/peers-test.sh` installs it and runs
//! these; without it the test fails, unless `OTA_PEERS_OPTIONAL=1` (then it says it skipped).
#![allow(clippy::std_instead_of_core)]

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ota_cloud::gateway::Gateway;
use ota_cloud::gateway::mqtt::MqttBinding;
use ota_core::jobs::JobExecutionStatus;
use ota_sim::world::Verdict;
use ota_sim::{LiveOptions, Report, Scenario, simulate_live};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};

/// A mosquitto on a free loopback port, killed on drop.
struct Mosquitto {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Mosquitto {
    fn start() -> Option<Self> {
        Self::start_with(|_| String::new())
    }

    /// Started with the configuration lines `extra` writes (given the configuration's
    /// directory) after the listener's.
    fn start_with(extra: impl FnOnce(&std::path::Path) -> String) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .unwrap()
            .port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous true\npersistence false\n\
                 max_queued_messages 100000\nlog_dest stdout\n{}",
                extra(dir.path())
            ),
        )
        .unwrap();
        let child = match Self::spawn(dir.path(), port) {
            Ok(child) => child,
            Err(e) if std::env::var("OTA_PEERS_OPTIONAL").as_deref() == Ok("1") => {
                eprintln!("skipped: mosquitto not installed ({e}; set MOSQUITTO_BIN)");
                return None;
            }
            Err(e) => panic!("mosquitto not installed ({e}); run scripts/peers-test.sh"),
        };
        Some(Self { child, port, dir })
    }

    /// Start mosquitto on `dir`'s configuration and wait until it listens on `port`.
    fn spawn(dir: &std::path::Path, port: u16) -> Result<Child, String> {
        let bin = std::env::var("MOSQUITTO_BIN").unwrap_or_else(|_| "mosquitto".into());
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(dir.join("mosquitto.log"))
            .unwrap();
        let child = Command::new(&bin)
            .arg("-c")
            .arg(dir.join("mosquitto.conf"))
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| format!("{bin}: {e}"))?;
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "mosquitto did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Ok(child)
    }

    /// Kill it (SIGKILL: sessions and queued messages are lost) and start it again on the
    /// same port.
    fn restart(&mut self) {
        self.child.kill().unwrap();
        self.child.wait().unwrap();
        self.child = Self::spawn(self.dir.path(), self.port).unwrap();
    }

    fn url(&self) -> String {
        format!("mqtt://127.0.0.1:{}", self.port)
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs mosquitto: scripts/peers-test.sh"]
async fn a_hundred_devices_update_through_mosquitto_on_aws_topics() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let fleet = common::Fleet::start(100, 60_000, "127.0.0.1", broker.port, "$aws").await;
    fleet
        .update_all(&broker.url(), "$aws", Duration::from_secs(300))
        .await;
    let stats = fleet.gateway.stats();
    assert_eq!(stats.shed, 0);
    assert!(stats.notifications >= 100);
    assert!(stats.gateway.blocks >= (100 * fleet.firmware.len() / 4096) as u64);
}

/// The shipped default scenario (three canary stages per hardware type, power cuts, tampered
/// images, misfits) at 100 devices.
fn campaign() -> Scenario {
    let mut s = Scenario::parse(Scenario::builtin("default").unwrap()).unwrap();
    s.devices = 100;
    s
}

fn assert_campaign_finished(r: &Report) {
    for i in &r.invariants {
        assert!(i.held, "{}: {}", i.name, i.detail);
    }
    assert!(!r.hit_horizon);
    assert!(r.transport.contains("topic root $aws"), "{}", r.transport);
    assert_eq!(r.stages.len(), 6);
    assert!(
        r.stages.iter().all(|s| s.verdict == Verdict::Passed),
        "{:?}",
        r.stages
    );
    assert_eq!(r.release.unfinished, 0);
    assert!(r.fleet.updated >= 90, "{:?}", r.fleet);
    assert_eq!(
        r.fleet.updated,
        r.release.by_status[JobExecutionStatus::Succeeded]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs mosquitto: scripts/peers-test.sh"]
async fn a_hundred_device_campaign_runs_to_the_end_through_mosquitto() {
    let Some(broker) = Mosquitto::start() else {
        return;
    };
    let options = LiveOptions {
        broker: Some(broker.url()),
        topic_root: None,
        speed: 60,
    };
    let r = simulate_live(campaign(), None, &options, |_, _| {})
        .await
        .unwrap();
    assert_campaign_finished(&r);
}

/// mosquitto killed (sessions, subscriptions and queued messages lost) and restarted while
/// the campaign's devices download: the gateway and every runner reconnect and subscribe
/// again, no status is lost or counted twice (the invariants recount the engine), and the
/// campaign ends as it would have.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs mosquitto: scripts/peers-test.sh"]
async fn a_campaign_survives_a_broker_restart() {
    let Some(mut broker) = Mosquitto::start() else {
        return;
    };
    let options = LiveOptions {
        broker: Some(broker.url()),
        topic_root: None,
        speed: 60,
    };
    let (restarted_tx, restarted) = std::sync::mpsc::channel();
    let run =
        tokio::spawn(async move { simulate_live(campaign(), None, &options, |_, _| {}).await });
    // Mid-campaign: past the canaries, while the last stages download.
    tokio::time::sleep(Duration::from_secs(12)).await;
    // The broker comes back from the blocking task and lives until the end of the test.
    let restart = tokio::task::spawn_blocking(move || {
        broker.restart();
        restarted_tx.send(()).unwrap();
        broker
    });
    let r = tokio::time::timeout(Duration::from_secs(300), run)
        .await
        .expect("the campaign ends")
        .unwrap()
        .unwrap();
    restarted
        .try_recv()
        .expect("mosquitto was restarted during the run");
    let broker = restart.await.unwrap();
    assert!(
        std::fs::read_to_string(broker.dir.path().join("mosquitto.log"))
            .unwrap()
            .matches("running")
            .count()
            >= 2,
        "mosquitto started twice"
    );
    assert_campaign_finished(&r);
}

/// The broker setup the gateway's docs recommend: devices connect with their thing name as
/// client id and may publish and subscribe only under their own `$aws/things/<id>/`; the
/// gateway logs in as a user allowed on every thing's topics.
fn with_acl(dir: &std::path::Path) -> String {
    let passwords = dir.join("passwords");
    let made = Command::new("mosquitto_passwd")
        .arg("-b")
        .arg("-c")
        .arg(&passwords)
        .args(["ota-gateway", "gateway-secret"])
        .status();
    assert!(
        made.is_ok_and(|s| s.success()),
        "mosquitto_passwd (from the mosquitto package) makes the password file"
    );
    let acl = dir.join("acl");
    std::fs::write(
        &acl,
        "pattern readwrite $aws/things/%c/#\nuser ota-gateway\ntopic readwrite $aws/things/#\n",
    )
    .unwrap();
    format!(
        "password_file {}\nacl_file {}\n",
        passwords.display(),
        acl.display()
    )
}

/// A client authenticated as one thing publishes on another thing's topics: mosquitto drops
/// it under the recommended ACL, so the gateway never sees it and the other thing's
/// execution is untouched; the same client on its own topics is answered. (Without an ACL
/// the gateway answers whoever publishes on a thing's topics as that thing: it cannot tell
/// who published; see `ota_cloud::gateway::mqtt`.)
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
#[ignore = "needs mosquitto: scripts/peers-test.sh"]
async fn a_thing_cannot_publish_as_another_under_the_recommended_acl() {
    let Some(broker) = Mosquitto::start_with(with_acl) else {
        return;
    };
    let mut binding = MqttBinding::new("127.0.0.1", broker.port, "ota-gateway");
    binding
        .options
        .set_credentials("ota-gateway", "gateway-secret");
    let fleet = common::Fleet::start_with(2, 30_000, Gateway::new("$aws"), binding).await;
    // "linux-1", on the topics of linux-0 and then on its own.
    let mut options = MqttOptions::new("linux-1", "127.0.0.1", broker.port);
    options.set_clean_session(true);
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let (replies_tx, mut replies) = tokio::sync::mpsc::unbounded_channel();
    let events = tokio::spawn(async move {
        loop {
            match eventloop.poll().await {
                Ok(Event::Incoming(Packet::Publish(p))) => {
                    let _ = replies_tx.send(p.topic);
                }
                Ok(_) => {}
                Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
            }
        }
    });
    client
        .subscribe("$aws/things/linux-1/jobs/get/accepted", QoS::AtLeastOnce)
        .await
        .unwrap();
    for (topic, payload) in [
        (
            "$aws/things/linux-0/jobs/fw-2/update",
            r#"{"status":"SUCCEEDED","clientToken":"forged"}"#,
        ),
        (
            "$aws/things/linux-0/jobs/get",
            r#"{"clientToken":"forged"}"#,
        ),
        ("$aws/things/linux-1/jobs/get", r#"{"clientToken":"own"}"#),
    ] {
        client
            .publish(topic, QoS::AtLeastOnce, false, payload)
            .await
            .unwrap();
    }
    let own = tokio::time::timeout(Duration::from_secs(10), replies.recv())
        .await
        .expect("its own request is answered")
        .unwrap();
    assert_eq!(own, "$aws/things/linux-1/jobs/get/accepted");
    // Messages from one client arrive in order: the two forged ones were before it.
    let stats = fleet.gateway.stats();
    assert_eq!(
        stats.gateway.jobs_requests, 1,
        "only its own request: {stats:?}"
    );
    let execution = fleet
        .service
        .engine()
        .describe_job_execution("fw-2", "linux-0", None)
        .unwrap();
    assert_eq!(execution.status, JobExecutionStatus::Queued);
    events.abort();
    drop(client);
    // The real devices, on their own topics, update through the same broker.
    fleet
        .update_all(&broker.url(), "$aws", Duration::from_secs(120))
        .await;
}
