//! Shared by the MQTT benches: a mosquitto on a free loopback port, the fleet service, the
//! process's memory and file-descriptor limit, and single-worker tokio runtimes.
#![allow(dead_code, unreachable_pub, missing_docs)]

use std::net::{TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::Arc;
use std::time::{Duration, Instant};

use ota_cloud::jobs::model::{JobSpec, Target};
use ota_cloud::{InMemory, ManualClock, Settings};
use ota_core::jobs::JobExecutionStatus;

/// Unix ms at which the fleet and its job are created.
pub const T0: u64 = 1_800_000_000_000;

/// The name of thing `i`.
pub fn thing(i: usize) -> String {
    format!("device-{i:05}")
}

/// A service with `n` things in group `fleet` and job `fw-2` over the group, every execution
/// admitted (`QUEUED`) and the pushes drained: nothing is published when a gateway starts.
pub fn fleet_service(n: usize) -> Arc<InMemory<ManualClock>> {
    let service = Arc::new(InMemory::new(ManualClock::new(T0), Settings::default()));
    {
        let mut engine = service.engine();
        engine.create_group("fleet", None).expect("group");
        for i in 0..n {
            let name = thing(i);
            engine.create_thing(&name, &[]).expect("thing");
            engine.add_thing_to_group("fleet", &name).expect("member");
        }
        engine
            .create_job(JobSpec::new(
                "fw-2",
                vec![Target::Group("fleet".into())],
                r#"{"operation":"firmware_update","version":"2.0.0"}"#,
            ))
            .expect("job");
    }
    // AWS's default rate (1000 things a minute) admits them all in n / 1000 minutes.
    let minutes = n as u64 / 1000 + 2;
    service.clock().set(T0 + minutes * 60_000);
    let _ = service.take_notifications();
    let queued = service
        .engine()
        .describe_job("fw-2")
        .expect("job")
        .job_process_details
        .by_status[JobExecutionStatus::Queued];
    assert_eq!(queued, n as u64, "every execution admitted");
    service
}

/// A tokio runtime with one worker thread of its own.
pub fn runtime(name: &str) -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .thread_name(name)
        .enable_all()
        .build()
        .expect("tokio runtime")
}

/// The mosquitto binary: `MOSQUITTO_BIN`, else `mosquitto` on `PATH`, else Debian's
/// `/usr/sbin/mosquitto`.
pub fn mosquitto_bin() -> Option<PathBuf> {
    if let Some(bin) = std::env::var_os("MOSQUITTO_BIN") {
        return Some(PathBuf::from(bin));
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain([PathBuf::from("/usr/sbin"), PathBuf::from("/usr/local/sbin")])
        .map(|dir| dir.join("mosquitto"))
        .find(|bin| bin.is_file())
}

/// A mosquitto on a free loopback port with a generated configuration, killed on drop.
pub struct Mosquitto {
    child: Child,
    pub port: u16,
    dir: PathBuf,
}

impl Mosquitto {
    /// Start mosquitto: anonymous, no persistence, no connection limit, 1,000 QoS 1
    /// messages in flight and 100,000 queued per client (the defaults, 20 and 1,000, would
    /// throttle and drop a pipelined load). `Err` says why not (binary missing, no start).
    pub fn start() -> Result<Self, String> {
        let bin = mosquitto_bin().ok_or("mosquitto not found (set MOSQUITTO_BIN)")?;
        let port = TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map_err(|e| e.to_string())?
            .port();
        let dir =
            std::env::temp_dir().join(format!("ota-bench-mosquitto-{}-{port}", std::process::id()));
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let conf = dir.join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "per_listener_settings false\nallow_anonymous true\npersistence false\n\
                 max_inflight_messages 1000\nmax_queued_messages 100000\n\
                 log_dest file {log}\nlog_type error\nlog_type warning\n\
                 listener {port} 127.0.0.1\nmax_connections -1\n",
                log = dir.join("mosquitto.log").display()
            ),
        )
        .map_err(|e| e.to_string())?;
        let child = match Command::new(&bin)
            .arg("-c")
            .arg(&conf)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
        {
            Ok(child) => child,
            Err(e) => {
                let _ = std::fs::remove_dir_all(&dir);
                return Err(format!("{}: {e}", bin.display()));
            }
        };
        let mut broker = Self { child, port, dir };
        let deadline = Instant::now() + Duration::from_secs(10);
        while TcpStream::connect(("127.0.0.1", port)).is_err() {
            if Instant::now() > deadline || broker.child.try_wait().ok().flatten().is_some() {
                return Err(format!(
                    "mosquitto did not start listening on {port}: {}",
                    broker.log()
                ));
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        Ok(broker)
    }

    /// Its process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Its log (errors and warnings).
    pub fn log(&mut self) -> String {
        std::fs::read_to_string(self.dir.join("mosquitto.log")).unwrap_or_default()
    }

    /// Its configuration directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Mosquitto {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// `VmRSS` of process `pid` (`None`: this one), in KiB.
pub fn rss_kib(pid: Option<u32>) -> Option<u64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/status"),
        None => "/proc/self/status".into(),
    };
    let status = std::fs::read_to_string(path).ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// This process's open-file limit `(soft, hard)`, from `/proc/self/limits`.
pub fn nofile_limit() -> Option<(u64, u64)> {
    let limits = std::fs::read_to_string("/proc/self/limits").ok()?;
    let line = limits.lines().find(|l| l.starts_with("Max open files"))?;
    let mut numbers = line.split_whitespace().filter_map(|w| {
        w.parse::<u64>()
            .ok()
            .or((w == "unlimited").then_some(u64::MAX))
    });
    Some((numbers.next()?, numbers.next()?))
}

/// Raise this process's soft open-file limit to the hard one (children inherit it), with
/// util-linux's `prlimit` (the crate has no `unsafe` for `setrlimit`). Returns the soft
/// limit in force afterwards.
pub fn raise_nofile() -> Option<u64> {
    let (soft, hard) = nofile_limit()?;
    if soft < hard {
        let hard_text = if hard == u64::MAX {
            "unlimited".to_string()
        } else {
            hard.to_string()
        };
        let status = Command::new("prlimit")
            .arg("--pid")
            .arg(std::process::id().to_string())
            .arg(format!("--nofile={hard_text}:{hard_text}"))
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status();
        if !status.is_ok_and(|s| s.success()) {
            eprintln!("could not raise the open-file limit from {soft} (prlimit failed)");
        }
    }
    nofile_limit().map(|(soft, _)| soft)
}

/// User and system CPU seconds used so far by process `pid` (`None`: this one), from
/// `/proc/PID/stat` (Linux's `USER_HZ`, 100 ticks a second).
pub fn cpu_seconds(pid: Option<u32>) -> Option<f64> {
    let path = match pid {
        Some(pid) => format!("/proc/{pid}/stat"),
        None => "/proc/self/stat".into(),
    };
    let stat = std::fs::read_to_string(path).ok()?;
    // Fields after the command name (which may hold spaces): state is field 3, utime 14.
    let rest = &stat[stat.rfind(')')? + 2..];
    let fields: Vec<&str> = rest.split_whitespace().collect();
    let ticks: u64 = fields.get(11)?.parse::<u64>().ok()? + fields.get(12)?.parse::<u64>().ok()?;
    Some(ticks as f64 / 100.0)
}

/// CPU seconds of mosquitto and of this process, and wall time, over a span of work.
pub struct CpuSpan {
    broker: Option<u32>,
    at: (f64, f64, Instant),
}

impl CpuSpan {
    pub fn start(broker: Option<u32>) -> Self {
        Self {
            broker,
            at: (
                broker.and_then(|p| cpu_seconds(Some(p))).unwrap_or(0.0),
                cpu_seconds(None).unwrap_or(0.0),
                Instant::now(),
            ),
        }
    }

    /// `what: broker X s CPU, this process Y s CPU, over Z s` since the start.
    pub fn report(&self, what: &str) {
        let broker = self
            .broker
            .and_then(|p| cpu_seconds(Some(p)))
            .map_or(0.0, |c| c - self.at.0);
        let own = cpu_seconds(None).map_or(0.0, |c| c - self.at.1);
        println!(
            "cpu, {what}: broker {broker:.1} s, this process {own:.1} s (gateway or echo, load \
             generator, criterion{}), over {:.1} s wall",
            if self.broker.is_none() {
                ", rumqttd"
            } else {
                ""
            },
            self.at.2.elapsed().as_secs_f64()
        );
    }
}
