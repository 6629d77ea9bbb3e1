//! Interop with mosquitto (Debian's 2.0.11, or `MOSQUITTO_BIN`), a broker nobody here wrote:
//! the gateway and 100 device runners on the literal `$aws/...` topics, one job to the end.
//!
//! `#[ignore]`d: it needs mosquitto installed. `scripts/peers-test.sh` installs it and runs
//! these; without it the test fails, unless `OTA_PEERS_OPTIONAL=1` (then it says it skipped).
#![allow(clippy::std_instead_of_core)]

mod common;

use std::net::TcpListener;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

/// A mosquitto on a free loopback port, killed on drop.
struct Mosquitto {
    child: Child,
    port: u16,
    _dir: tempfile::TempDir,
}

impl Mosquitto {
    fn start() -> Option<Self> {
        let bin = std::env::var("MOSQUITTO_BIN").unwrap_or_else(|_| "mosquitto".into());
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
        let log = std::fs::File::create(dir.path().join("mosquitto.log")).unwrap();
        let child = match Command::new(&bin)
            .arg("-c")
            .arg(&conf)
            .stdout(log)
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) if std::env::var("OTA_PEERS_OPTIONAL").as_deref() == Ok("1") => {
                eprintln!("skipped: mosquitto not installed ({bin}: {e}; set MOSQUITTO_BIN)");
                return None;
            }
            Err(e) => panic!("mosquitto not installed ({bin}: {e}); run scripts/peers-test.sh"),
        };
        let deadline = std::time::Instant::now() + Duration::from_secs(30);
        while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
            assert!(
                std::time::Instant::now() < deadline,
                "mosquitto did not start"
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(Self {
            child,
            port,
            _dir: dir,
        })
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
    let url = format!("mqtt://127.0.0.1:{}", broker.port);
    fleet
        .update_all(&url, "$aws", Duration::from_secs(300))
        .await;
    let stats = fleet.gateway.stats();
    assert_eq!(stats.shed, 0);
    assert!(stats.notifications >= 100);
    assert!(stats.gateway.blocks >= (100 * fleet.firmware.len() / 4096) as u64);
}
