//! How many connected devices one machine holds, and the memory each costs: device
//! connections to mosquitto on loopback in steps (1,000, 2,000, 5,000, 10,000), each
//! subscribing as the ota-device runner does and then asking the gateway (same process) for
//! its next job; at each step the SubAcks and replies counted, and the RSS growth per
//! connection of this process and of mosquitto.
//!
//! A device here is the runner's connection without the runner's client: rumqttc with the
//! runner's options (30 s keep-alive, 256 KiB packets, persistent session, a request channel
//! of 16), its event loop in a task forwarding over a channel of 32 to a second task, as
//! `ota_device::runner` does; on connection it subscribes to the five filters the client
//! asks for (`notify-next`, `jobs/+/get/+`, `jobs/+/update/+`, `streams/+/data/cbor`,
//! `streams/+/rejected/cbor`) and, once acknowledged, publishes `$next/get`. Not included:
//! the ota-device `Client` itself, its buffers and storage (on a real device they live on the
//! device, not on this machine).
//!
//! `cargo bench -p ota-cloud --features mqtt --bench gateway_connections`
//!
//! Not a criterion bench: it prints one line per step. Run without `--bench` (as `cargo test
//! --benches` does) it only checks 100 connections. The open-file soft limit is raised to
//! the hard one (`prlimit`); steps beyond what it allows are skipped and said so.
//! `OTA_BENCH_MAX_DEVICES=N` adds a last step of `N` devices. mosquitto
//! is found through `MOSQUITTO_BIN`, `PATH` or `/usr/sbin`; without it nothing is measured.
#![allow(missing_docs, clippy::std_instead_of_core)]

mod common;

use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use ota_cloud::gateway::mqtt::{MqttBinding, MqttGateway};
use ota_cloud::gateway::{Gateway, MemoryStreams};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, SubscribeFilter};
use tokio::sync::mpsc;

use common::{Mosquitto, fleet_service, raise_nofile, rss_kib, runtime, thing};

const STEPS: [usize; 4] = [1_000, 2_000, 5_000, 10_000];
const SMOKE: [usize; 1] = [100];
/// Connections being set up at once (connected but not yet acknowledged).
const CONNECTING: u64 = 200;
/// File descriptors kept for everything else (the gateway, the runtime, stdio).
const SPARE_FDS: u64 = 64;
const ROOT: &str = "$aws";

#[derive(Default)]
struct Counters {
    connected: AtomicU64,
    subscribed: AtomicU64,
    replies: AtomicU64,
    errors: AtomicU64,
}

impl Counters {
    fn get(&self) -> (u64, u64, u64, u64) {
        (
            self.connected.load(Ordering::Relaxed),
            self.subscribed.load(Ordering::Relaxed),
            self.replies.load(Ordering::Relaxed),
            self.errors.load(Ordering::Relaxed),
        )
    }
}

enum LinkEvent {
    Connected,
    Subscribed,
    Message(String),
    Lost,
}

/// The topic filters the ota-device client subscribes to (`Client::subscription`, CBOR
/// streams).
fn filters(name: &str) -> Vec<SubscribeFilter> {
    [
        "jobs/notify-next",
        "jobs/+/get/+",
        "jobs/+/update/+",
        "streams/+/data/cbor",
        "streams/+/rejected/cbor",
    ]
    .iter()
    .map(|tail| SubscribeFilter::new(format!("{ROOT}/things/{name}/{tail}"), QoS::AtLeastOnce))
    .collect()
}

/// Device `i`: the link task and the device task (on the current runtime).
fn device(i: usize, port: u16, counters: Arc<Counters>) {
    let name = thing(i);
    let mut options = MqttOptions::new(name.as_str(), "127.0.0.1", port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(256 * 1024, 256 * 1024)
        .set_clean_session(false);
    let (client, mut eventloop) = AsyncClient::new(options, 16);
    let (tx, mut events) = mpsc::channel(32);
    tokio::spawn(async move {
        loop {
            let event = match eventloop.poll().await {
                Ok(Event::Incoming(Packet::ConnAck(_))) => LinkEvent::Connected,
                Ok(Event::Incoming(Packet::SubAck(_))) => LinkEvent::Subscribed,
                Ok(Event::Incoming(Packet::Publish(p))) => LinkEvent::Message(p.topic),
                Ok(_) => continue,
                Err(rumqttc::ConnectionError::RequestsDone) => return,
                Err(_) => {
                    if tx.send(LinkEvent::Lost).await.is_err() {
                        return;
                    }
                    tokio::time::sleep(Duration::from_secs(1)).await;
                    continue;
                }
            };
            if tx.send(event).await.is_err() {
                return;
            }
        }
    });
    tokio::spawn(async move {
        let mut token = 0u32;
        while let Some(event) = events.recv().await {
            match event {
                LinkEvent::Connected => {
                    counters.connected.fetch_add(1, Ordering::Relaxed);
                    let _ = client.try_subscribe_many(filters(&name));
                }
                LinkEvent::Subscribed => {
                    counters.subscribed.fetch_add(1, Ordering::Relaxed);
                    token += 1;
                    let _ = client.try_publish(
                        format!("{ROOT}/things/{name}/jobs/$next/get"),
                        QoS::AtLeastOnce,
                        false,
                        format!(r#"{{"clientToken":"{token}:{name}"}}"#),
                    );
                }
                LinkEvent::Message(topic) => {
                    if topic.ends_with("/jobs/$next/get/accepted") {
                        counters.replies.fetch_add(1, Ordering::Relaxed);
                    }
                }
                LinkEvent::Lost => {
                    counters.errors.fetch_add(1, Ordering::Relaxed);
                }
            }
        }
    });
}

fn main() {
    let full = std::env::args().any(|a| a == "--bench");
    let mut steps: Vec<usize> = if full { STEPS.to_vec() } else { SMOKE.to_vec() };
    // One more step, beyond the usual ones: how far the machine goes.
    if let Some(n) = std::env::var("OTA_BENCH_MAX_DEVICES")
        .ok()
        .and_then(|n| n.parse::<usize>().ok())
        .filter(|&n| full && n > STEPS[STEPS.len() - 1])
    {
        steps.push(n);
    }
    let fds = raise_nofile().unwrap_or(1024);
    let mut mosquitto = match Mosquitto::start() {
        Ok(m) => m,
        Err(e) => {
            println!("skipped the connection measurements: {e}");
            return;
        }
    };
    let most = steps.iter().copied().max().unwrap_or(0);
    println!(
        "open-file limit {fds} (this process and mosquitto); {} cores",
        std::thread::available_parallelism().map_or(0, |n| n.get())
    );

    let gateway_rt = runtime("gateway");
    let gateway = {
        let _enter = gateway_rt.enter();
        MqttGateway::start(
            fleet_service(most),
            MemoryStreams::new(),
            Gateway::new(ROOT),
            MqttBinding::new("127.0.0.1", mosquitto.port, "ota-gateway"),
        )
    };
    assert!(gateway_rt.block_on(gateway.wait_subscribed(Duration::from_secs(10))));
    let rt = runtime("devices");
    let counters = Arc::new(Counters::default());
    std::thread::sleep(Duration::from_millis(500));
    let (rss0, broker0) = (
        rss_kib(None).unwrap_or(0),
        rss_kib(Some(mosquitto.pid())).unwrap_or(0),
    );
    println!("before any device: RSS {rss0} KiB here, {broker0} KiB mosquitto");

    let mut spawned = 0usize;
    for &step in &steps {
        if step as u64 + SPARE_FDS > fds {
            println!("{step} connections: skipped, the open-file limit is {fds}");
            continue;
        }
        let start = Instant::now();
        let port = mosquitto.port;
        let c = Arc::clone(&counters);
        spawned = rt.block_on(async move {
            let mut i = spawned;
            while i < step {
                if i as u64 >= c.connected.load(Ordering::Relaxed) + CONNECTING {
                    tokio::time::sleep(Duration::from_millis(1)).await;
                    continue;
                }
                device(i, port, Arc::clone(&c));
                i += 1;
            }
            i
        });
        let deadline = Instant::now() + Duration::from_secs(120);
        let target = step as u64;
        while counters.get().2 < target && Instant::now() < deadline {
            std::thread::sleep(Duration::from_millis(10));
        }
        let took = start.elapsed();
        std::thread::sleep(Duration::from_millis(500));
        let (connected, subscribed, replies, errors) = counters.get();
        let rss = rss_kib(None).unwrap_or(0);
        let broker = rss_kib(Some(mosquitto.pid())).unwrap_or(0);
        println!(
            "{step} devices: {connected} connected, {subscribed} subscribed (SubAcks), \
             {replies} $next/get answered, {errors} connection errors, in {:.1} s; \
             RSS +{:.1} KiB per connection here ({rss} KiB), +{:.1} KiB per connection in mosquitto ({broker} KiB)",
            took.as_secs_f64(),
            (rss.saturating_sub(rss0)) as f64 / step as f64,
            (broker.saturating_sub(broker0)) as f64 / step as f64,
        );
    }
    if full && spawned > 0 {
        // One keep-alive period (30 s) and a half: every connection pings and stays.
        std::thread::sleep(Duration::from_secs(46));
        let (connected, subscribed, _, errors) = counters.get();
        println!(
            "after 46 s idle: {connected} connected, {subscribed} subscribed, {errors} connection errors"
        );
    }
    let stats = gateway.stats();
    println!(
        "gateway: {} requests received, {} published, shed {}",
        stats.received, stats.published, stats.shed
    );
    let log = mosquitto.log();
    if !log.trim().is_empty() {
        println!("mosquitto log:\n{log}");
    }
    drop(rt);
    drop(gateway);
}
