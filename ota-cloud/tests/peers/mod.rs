//! Independent AWS emulators on free loopback ports, for the `aws` backend's peer tests:
//! MiniStack (`MINISTACK_BIN`) and moto (`MOTO_SERVER_BIN`), each killed on drop with its
//! scratch directory. A missing emulator fails the test unless `OTA_PEERS_OPTIONAL=1`.

use std::io::{Read as _, Write as _};
use std::net::{TcpListener, TcpStream};
use std::path::PathBuf;
use std::process::{Child, Command};
use std::time::{Duration, Instant};

/// A running emulator.
pub(crate) struct Peer {
    child: Child,
    /// Its port on 127.0.0.1.
    pub(crate) port: u16,
    dir: tempfile::TempDir,
    name: &'static str,
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

fn venv_bin(var: &str, venv: &str, bin: &str) -> PathBuf {
    std::env::var_os(var).map_or_else(
        || {
            PathBuf::from(env!("CARGO_MANIFEST_DIR"))
                .join("../target/peers")
                .join(venv)
                .join("bin")
                .join(bin)
        },
        PathBuf::from,
    )
}

/// `GET path` on the peer: the status code, or `None` if nothing answered.
fn http_status(port: u16, path: &str) -> Option<u16> {
    let mut s = TcpStream::connect(("127.0.0.1", port)).ok()?;
    s.set_read_timeout(Some(Duration::from_secs(2))).ok()?;
    write!(
        s,
        "GET {path} HTTP/1.1\r\nHost: 127.0.0.1:{port}\r\nConnection: close\r\n\r\n"
    )
    .ok()?;
    let mut head = [0u8; 12];
    s.read_exact(&mut head).ok()?;
    std::str::from_utf8(&head[9..12]).ok()?.parse().ok()
}

impl Peer {
    fn spawn(
        name: &'static str,
        bin: PathBuf,
        configure: impl FnOnce(&mut Command, u16, &std::path::Path),
        ready_path: &str,
    ) -> Option<Self> {
        let dir = tempfile::tempdir().unwrap();
        let port = free_port();
        let log = std::fs::File::create(dir.path().join("peer.log")).unwrap();
        let mut command = Command::new(&bin);
        configure(&mut command, port, dir.path());
        let child = command.stdout(log.try_clone().unwrap()).stderr(log).spawn();
        let child = match child {
            Ok(child) => child,
            Err(e) if std::env::var("OTA_PEERS_OPTIONAL").as_deref() == Ok("1") => {
                eprintln!("skipped: {name} not installed ({}: {e})", bin.display());
                return None;
            }
            Err(e) => panic!(
                "{name} not installed ({}: {e}); run scripts/peers-test.sh",
                bin.display()
            ),
        };
        let peer = Self {
            child,
            port,
            dir,
            name,
        };
        let deadline = Instant::now() + Duration::from_secs(30);
        while http_status(port, ready_path) != Some(200) {
            assert!(
                Instant::now() < deadline,
                "{name} did not start: {}",
                peer.log()
            );
            std::thread::sleep(Duration::from_millis(50));
        }
        Some(peer)
    }

    /// MiniStack 1.5.33 (IoT, Jobs data plane and S3 on one endpoint).
    pub(crate) fn ministack() -> Option<Self> {
        let bin = venv_bin("MINISTACK_BIN", "ministack", "ministack");
        Self::spawn(
            "MiniStack",
            bin,
            |c, port, dir| {
                for sub in ["run", "s3", "state"] {
                    std::fs::create_dir_all(dir.join(sub)).unwrap();
                }
                c.env("BIND_HOST", "127.0.0.1")
                    .env("IOT_MTLS_ENABLED", "0")
                    .env("GATEWAY_PORT", port.to_string())
                    .env("TMPDIR", dir.join("run"))
                    .env("S3_DATA_DIR", dir.join("s3"))
                    .env("STATE_DIR", dir.join("state"));
            },
            "/_ministack/ready",
        )
    }

    /// moto 5.2.1 in server mode.
    #[allow(dead_code)] // Not every test file uses every emulator.
    pub(crate) fn moto() -> Option<Self> {
        let bin = venv_bin("MOTO_SERVER_BIN", "moto", "moto_server");
        Self::spawn(
            "moto",
            bin,
            |c, port, _| {
                c.args(["-H", "127.0.0.1", "-p", &port.to_string()]);
            },
            "/moto-api/",
        )
    }

    /// `http://127.0.0.1:PORT`.
    pub(crate) fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    /// The peer's output so far.
    pub(crate) fn log(&self) -> String {
        std::fs::read_to_string(self.dir.path().join("peer.log")).unwrap_or_default()
    }
}

impl Drop for Peer {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() {
            let log = self.log();
            let tail = log.get(log.len().saturating_sub(4000)..).unwrap_or(&log);
            eprintln!("--- {} log tail ---\n{tail}", self.name);
        }
    }
}
