//! Interop with mosquitto (Debian's 2.0.11, or `MOSQUITTO_BIN`), a broker nobody here wrote:
//! the gateway and 100 device runners on the literal `$aws/...` topics: one job to the end,
//! then a 100-device staged campaign (`ota-sim`'s default scenario over MQTT), and the same
//! campaign with mosquitto killed and restarted in the middle.
//!
//! `#[ignore]`d: it needs mosquitto installed. `scripts/peers-test.sh` installs it and runs
//! these; without it the test fails, unless `OTA_PEERS_OPTIONAL=1` (then it says it skipped).
#![allow(clippy::std_instead_of_core)]

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use ota_core::jobs::JobExecutionStatus;
use ota_sim::world::Verdict;
use ota_sim::{LiveOptions, Report, Scenario, simulate_live};

/// A mosquitto on a free loopback port, killed on drop.
struct Mosquitto {
    child: Child,
    port: u16,
    dir: tempfile::TempDir,
}

impl Mosquitto {
    fn start() -> Option<Self> {
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
                 max_queued_messages 100000\nlog_dest stdout\n"
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
