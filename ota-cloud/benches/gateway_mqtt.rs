//! Jobs API messages per second through the MQTT gateway, on mosquitto and on the embedded
//! rumqttd broker, on loopback, with mosquitto's own throughput for the same message sizes as
//! the baseline, measured in the same run.
//!
//! - `mosquitto_baseline/one_way_pairs`: one rumqttc publisher, one subscriber; each element
//!   is a message of a Jobs `get` request's size and one of its `get/accepted` reply's size
//!   (topic and payload lengths taken from a real reply of the gateway), both QoS 1.
//! - `mosquitto_baseline/echo_roundtrip` (and `rumqttd_baseline/echo_roundtrip`): the
//!   round trips of `gateway_jobs_roundtrip` with a rumqttc client in the gateway's place that
//!   answers every request with a reply-sized payload and does nothing else.
//! - `gateway_jobs_roundtrip/mosquitto` (literal `$aws/...` topics) and `/rumqttd` (topic
//!   root `ota`): four load-generator connections, each speaking for a quarter of 10,000
//!   things (one subscription `.../things/T/jobs/get/+` per thing), publish Jobs `get`
//!   requests round-robin over their things, at most 250 unanswered per connection, and count
//!   the replies. An element is a request answered.
//!
//! On rumqttd 0.20 a subscriber with more than one wildcard filter (the gateway has six;
//! an echo given two behaves the same) receives in bursts with pauses of up to seconds, so
//! `gateway_jobs_roundtrip/rumqttd` measures that, not the gateway; its echo has one filter.
//!
//! Every part runs on its own single-worker tokio runtime (gateway or echo, load generator,
//! publisher and subscriber); the brokers share the same cores.
//!
//! `cargo bench -p ota-cloud --features mqtt,broker --bench gateway_mqtt`
//!
//! mosquitto is found through `MOSQUITTO_BIN`, `PATH` or `/usr/sbin`; without it the
//! mosquitto measurements are skipped (with a line saying so) and only rumqttd's run.
#![allow(missing_docs, clippy::std_instead_of_core)]

mod common;

use std::net::{Ipv4Addr, SocketAddr};
use std::time::{Duration, Instant};

use criterion::measurement::WallTime;
use criterion::{BenchmarkGroup, Criterion, Throughput, criterion_group, criterion_main};
use ota_cloud::broker::{EMBEDDED_TOPIC_ROOT, EmbeddedBroker};
use ota_cloud::gateway::mqtt::{MqttBinding, MqttGateway};
use ota_cloud::gateway::{Gateway, MemoryStreams};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS, SubscribeFilter};
use tokio::runtime::Runtime;
use tokio::sync::mpsc;

use common::{CpuSpan, Mosquitto, fleet_service, runtime, thing};

/// Things in the fleet (each with a `QUEUED` execution of one job).
const THINGS: usize = 10_000;
/// Load-generator connections.
const CLIENTS: usize = 4;
/// Requests a connection may have unanswered.
const WINDOW: u64 = 250;
/// Round trips (or message pairs) per measured iteration.
const BATCH: u64 = 2_000;
/// A reply later than this is an error, not a slow measurement.
const REPLY_TIMEOUT: Duration = Duration::from_secs(20);

/// Where a broker listens and the topic root used on it.
#[derive(Clone)]
struct Broker {
    name: &'static str,
    port: u16,
    root: &'static str,
}

fn options(client_id: &str, port: u16) -> MqttOptions {
    let mut options = MqttOptions::new(client_id, "127.0.0.1", port);
    options
        .set_keep_alive(Duration::from_secs(30))
        .set_max_packet_size(1024 * 1024, 1024 * 1024)
        .set_inflight(1000)
        .set_clean_session(true);
    options
}

/// A rumqttc client whose event loop runs in a task and forwards every publish received
/// (`(topic, payload)`) and the number of SubAcks.
struct Connection {
    client: AsyncClient,
    messages: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
    subacks: mpsc::UnboundedReceiver<()>,
    task: tokio::task::JoinHandle<()>,
}

impl Drop for Connection {
    /// Stop the event loop (it holds a sender of its own request channel, so dropping the
    /// client alone does not end it; left running it would reconnect and take over the
    /// client id of the next connection of that name).
    fn drop(&mut self) {
        self.task.abort();
    }
}

impl Connection {
    /// Connect (on the current runtime); `keep_payload` forwards payloads (else empty).
    fn open(client_id: &str, port: u16, keep_payload: bool) -> Self {
        let (client, mut eventloop) = AsyncClient::new(options(client_id, port), 10_000);
        let (tx, messages) = mpsc::unbounded_channel();
        let (sub_tx, subacks) = mpsc::unbounded_channel();
        let id = client_id.to_string();
        let task = tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let payload = if keep_payload {
                            p.payload.to_vec()
                        } else {
                            Vec::new()
                        };
                        if tx.send((p.topic, payload)).is_err() {
                            return;
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = sub_tx.send(());
                    }
                    Ok(_) => {}
                    Err(rumqttc::ConnectionError::RequestsDone) => return,
                    Err(e) => {
                        eprintln!("{id}: connection error: {e}");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                }
            }
        });
        Self {
            client,
            messages,
            subacks,
            task,
        }
    }

    /// Subscribe to `filters` at QoS 1, 500 to a SUBSCRIBE packet, and wait for the SubAcks.
    async fn subscribe(&mut self, filters: Vec<String>) {
        let chunks: Vec<Vec<SubscribeFilter>> = filters
            .chunks(500)
            .map(|c| {
                c.iter()
                    .map(|f| SubscribeFilter::new(f.clone(), QoS::AtLeastOnce))
                    .collect()
            })
            .collect();
        let n = chunks.len();
        for chunk in chunks {
            self.client.subscribe_many(chunk).await.expect("subscribe");
        }
        for _ in 0..n {
            tokio::time::timeout(REPLY_TIMEOUT, self.subacks.recv())
                .await
                .expect("SubAck in time")
                .expect("event loop alive");
        }
    }

    /// The next message, or a panic after [`REPLY_TIMEOUT`].
    async fn next(&mut self, what: &str) -> (String, Vec<u8>) {
        tokio::time::timeout(REPLY_TIMEOUT, self.messages.recv())
            .await
            .unwrap_or_else(|_| panic!("{what}: nothing within {REPLY_TIMEOUT:?}"))
            .expect("event loop alive")
    }
}

/// A Jobs `get` request's payload, the client token as wide as every other one's.
fn request_payload(seq: u64, thing: &str) -> String {
    format!(r#"{{"clientToken":"{:08}:{thing}"}}"#, seq % 100_000_000)
}

/// One load-generator connection and the things it speaks for.
struct Device {
    connection: Connection,
    things: Vec<String>,
    next: usize,
    seq: u64,
    rejected: u64,
}

impl Device {
    /// Send `n` Jobs `get` requests (at most [`WINDOW`] unanswered) and wait for every
    /// reply.
    async fn requests(mut self, root: &'static str, n: u64) -> Self {
        let (mut sent, mut answered) = (0, 0);
        while answered < n {
            while sent < n && sent - answered < WINDOW {
                let thing = &self.things[self.next % self.things.len()];
                self.next += 1;
                self.seq += 1;
                self.connection
                    .client
                    .publish(
                        format!("{root}/things/{thing}/jobs/get"),
                        QoS::AtLeastOnce,
                        false,
                        request_payload(self.seq, thing),
                    )
                    .await
                    .expect("publish");
                sent += 1;
            }
            let (topic, _) = self.connection.next("a reply").await;
            if !topic.ends_with("/accepted") {
                self.rejected += 1;
            }
            answered += 1;
        }
        self
    }
}

/// [`CLIENTS`] load-generator connections on `broker` over [`THINGS`] things, subscribed.
fn devices(rt: &Runtime, broker: &Broker, tag: &str) -> Vec<Device> {
    rt.block_on(async {
        let mut devices = Vec::new();
        for k in 0..CLIENTS {
            let things: Vec<String> = (k..THINGS).step_by(CLIENTS).map(thing).collect();
            let mut connection =
                Connection::open(&format!("loadgen-{tag}-{k}"), broker.port, false);
            let filters = things
                .iter()
                .map(|t| format!("{}/things/{t}/jobs/get/+", broker.root))
                .collect();
            connection.subscribe(filters).await;
            devices.push(Device {
                connection,
                things,
                next: 0,
                seq: 0,
                rejected: 0,
            });
        }
        devices
    })
}

/// `n` round trips spread over `devices`, all at once; the time they took.
fn round_trips(rt: &Runtime, devices: &mut Vec<Device>, root: &'static str, n: u64) -> Duration {
    let per = n.div_ceil(CLIENTS as u64);
    let running: Vec<Device> = std::mem::take(devices);
    let (back, elapsed) = rt.block_on(async move {
        let start = Instant::now();
        let tasks: Vec<_> = running
            .into_iter()
            .map(|d| tokio::spawn(d.requests(root, per)))
            .collect();
        let mut back = Vec::new();
        for task in tasks {
            back.push(task.await.expect("load generator"));
        }
        (back, start.elapsed())
    });
    *devices = back;
    elapsed
}

/// The gateway over a fleet of [`THINGS`], on its own runtime.
struct GatewayUnderTest {
    gateway: MqttGateway,
    _rt: Runtime,
}

impl GatewayUnderTest {
    fn start(broker: &Broker) -> Self {
        let rt = runtime("gateway");
        let service = fleet_service(THINGS);
        let gateway = {
            let _enter = rt.enter();
            MqttGateway::start(
                service,
                MemoryStreams::new(),
                Gateway::new(broker.root),
                MqttBinding::new(
                    "127.0.0.1",
                    broker.port,
                    &format!("gateway-{}", broker.name),
                ),
            )
        };
        assert!(
            rt.block_on(gateway.wait_subscribed(Duration::from_secs(10))),
            "the gateway subscribed on {}",
            broker.name
        );
        Self { gateway, _rt: rt }
    }
}

/// A rumqttc client in the gateway's place: answers every Jobs `get` request with a
/// `reply_len`-byte payload on its `get/accepted` topic, QoS 1, and does nothing else.
fn echo(rt: &Runtime, broker: &Broker, reply_len: usize) {
    let root = broker.root;
    let port = broker.port;
    let name = broker.name;
    rt.block_on(async move {
        let mut connection = Connection::open(&format!("echo-{name}"), port, false);
        connection
            .subscribe(vec![format!("{root}/things/+/jobs/get")])
            .await;
        tokio::spawn(async move {
            let payload = vec![b'x'; reply_len];
            while let Some((topic, _)) = connection.messages.recv().await {
                // The request channel (10,000) outsizes the requests ever unanswered.
                if connection
                    .client
                    .publish(
                        format!("{topic}/accepted"),
                        QoS::AtLeastOnce,
                        false,
                        payload.clone(),
                    )
                    .await
                    .is_err()
                {
                    return;
                }
            }
        });
    });
}

/// Topic and payload lengths of a real Jobs `get` request and its `get/accepted` reply,
/// through the gateway on `broker`.
fn probe(rt: &Runtime, broker: &Broker) -> ((usize, usize), (usize, usize)) {
    rt.block_on(async {
        let mut c = Connection::open("probe", broker.port, true);
        let name = thing(THINGS - 1);
        c.subscribe(vec![format!("{}/things/{name}/jobs/get/+", broker.root)])
            .await;
        let topic = format!("{}/things/{name}/jobs/get", broker.root);
        let payload = request_payload(1, &name);
        c.client
            .publish(topic.as_str(), QoS::AtLeastOnce, false, payload.as_str())
            .await
            .expect("publish");
        let (reply_topic, reply) = c.next("the probe's reply").await;
        println!(
            "probe: {topic} {payload} -> {reply_topic} {}",
            String::from_utf8_lossy(&reply)
        );
        assert!(reply_topic.ends_with("/get/accepted"), "{reply_topic}");
        (
            (topic.len(), payload.len()),
            (reply_topic.len(), reply.len()),
        )
    })
}

/// The baseline: a publisher and a subscriber; each element one request-sized and one
/// reply-sized message, QoS 1 (topics on another root of the same length, `$bws`, so that
/// the gateway, still subscribed, does not see them).
struct OneWay {
    publisher: Connection,
    subscriber: Connection,
    request_topics: Vec<String>,
    reply_topics: Vec<String>,
    request: Vec<u8>,
    reply: Vec<u8>,
    next: usize,
}

impl OneWay {
    fn start(
        rt: &Runtime,
        port: u16,
        (request_topic, request_len): (usize, usize),
        (reply_topic, reply_len): (usize, usize),
    ) -> Self {
        rt.block_on(async move {
            let publisher = Connection::open("baseline-pub", port, false);
            let mut subscriber = Connection::open("baseline-sub", port, false);
            subscriber
                .subscribe(vec![
                    "$bws/things/+/jobs/get".to_string(),
                    "$bws/things/+/jobs/get/accepted".to_string(),
                ])
                .await;
            let request_topics: Vec<String> = (0..THINGS)
                .map(|i| format!("$bws/things/{}/jobs/get", thing(i)))
                .collect();
            let reply_topics: Vec<String> = request_topics
                .iter()
                .map(|t| format!("{t}/accepted"))
                .collect();
            assert_eq!(
                request_topics[0].len(),
                request_topic,
                "request topic length"
            );
            assert_eq!(reply_topics[0].len(), reply_topic, "reply topic length");
            Self {
                publisher,
                subscriber,
                request_topics,
                reply_topics,
                request: vec![b'r'; request_len],
                reply: vec![b'a'; reply_len],
                next: 0,
            }
        })
    }

    /// `n` pairs published and received; the time it took.
    fn pairs(&mut self, rt: &Runtime, n: u64) -> Duration {
        rt.block_on(async {
            let start = Instant::now();
            let publisher = self.publisher.client.clone();
            let messages: Vec<(String, Vec<u8>)> = (0..n as usize)
                .flat_map(|i| {
                    let t = (self.next + i) % THINGS;
                    [
                        (self.request_topics[t].clone(), self.request.clone()),
                        (self.reply_topics[t].clone(), self.reply.clone()),
                    ]
                })
                .collect();
            self.next += n as usize;
            let sending = tokio::spawn(async move {
                for (topic, payload) in messages {
                    publisher
                        .publish(topic, QoS::AtLeastOnce, false, payload)
                        .await
                        .expect("publish");
                }
            });
            for _ in 0..2 * n {
                self.subscriber.next("a baseline message").await;
            }
            sending.await.expect("publisher");
            start.elapsed()
        })
    }
}

fn group<'a>(c: &'a mut Criterion, name: &str) -> BenchmarkGroup<'a, WallTime> {
    let mut g = c.benchmark_group(name);
    g.sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(5))
        .throughput(Throughput::Elements(BATCH));
    g
}

/// Round trips of Jobs `get` through `broker` to whatever answers (the gateway or the echo).
fn bench_round_trips(
    g: &mut BenchmarkGroup<'_, WallTime>,
    id: &str,
    rt: &Runtime,
    broker: &Broker,
) -> u64 {
    let mut devices = devices(rt, broker, &format!("{}-{id}", broker.name));
    let mut total = 0;
    g.bench_function(id, |b| {
        b.iter_custom(|iters| {
            let mut elapsed = Duration::ZERO;
            for _ in 0..iters {
                elapsed += round_trips(rt, &mut devices, broker.root, BATCH);
                total += BATCH.div_ceil(CLIENTS as u64) * CLIENTS as u64;
            }
            elapsed
        });
    });
    let rejected: u64 = devices.iter().map(|d| d.rejected).sum();
    assert_eq!(rejected, 0, "{id}: rejected replies");
    total
}

fn report(broker: &Broker, gateway: &GatewayUnderTest, sent: u64) {
    let stats = gateway.gateway.stats();
    println!(
        "gateway on {}: {} requests sent (probe included), {} received, {} jobs requests, \
         {} published ({:.0} B each on average), shed {}, throttled {}, malformed {}",
        broker.name,
        sent,
        stats.received,
        stats.gateway.jobs_requests,
        stats.published,
        stats.bytes_published as f64 / stats.published.max(1) as f64,
        stats.shed,
        stats.gateway.throttled,
        stats.gateway.malformed,
    );
    assert_eq!(stats.shed, 0, "nothing shed");
    assert_eq!(stats.received, sent, "every request reached the gateway");
}

fn mosquitto_benches(c: &mut Criterion, rt: &Runtime) {
    let mut mosquitto = match Mosquitto::start() {
        Ok(m) => m,
        Err(e) => {
            println!("skipped the mosquitto measurements: {e}");
            return;
        }
    };
    let broker = Broker {
        name: "mosquitto",
        port: mosquitto.port,
        root: "$aws",
    };
    let gateway = GatewayUnderTest::start(&broker);
    let (request, reply) = probe(rt, &broker);
    println!(
        "sizes: request topic {} B + payload {} B, reply topic {} B + payload {} B",
        request.0, request.1, reply.0, reply.1
    );

    let mut g = group(c, "mosquitto_baseline");
    let mut one_way = OneWay::start(rt, broker.port, request, reply);
    let cpu = CpuSpan::start(Some(mosquitto.pid()));
    g.bench_function("one_way_pairs", |b| {
        b.iter_custom(|iters| (0..iters).map(|_| one_way.pairs(rt, BATCH)).sum())
    });
    cpu.report("mosquitto_baseline/one_way_pairs");
    drop(one_way);
    g.finish();

    let mut g = group(c, "gateway_jobs_roundtrip");
    let cpu = CpuSpan::start(Some(mosquitto.pid()));
    let sent = bench_round_trips(&mut g, "mosquitto", rt, &broker);
    cpu.report("gateway_jobs_roundtrip/mosquitto");
    g.finish();
    report(&broker, &gateway, sent + 1);
    drop(gateway);

    let echo_rt = runtime("echo");
    echo(&echo_rt, &broker, reply.1);
    let mut g = group(c, "mosquitto_baseline");
    let cpu = CpuSpan::start(Some(mosquitto.pid()));
    bench_round_trips(&mut g, "echo_roundtrip", rt, &broker);
    cpu.report("mosquitto_baseline/echo_roundtrip");
    g.finish();
    drop(echo_rt);

    let log = mosquitto.log();
    if !log.trim().is_empty() {
        println!("mosquitto log:\n{log}");
    }
}

fn rumqttd_benches(c: &mut Criterion, rt: &Runtime) {
    let embedded =
        EmbeddedBroker::start(SocketAddr::from((Ipv4Addr::LOCALHOST, 0)), 100).expect("rumqttd");
    let broker = Broker {
        name: "rumqttd",
        port: embedded.addr().port(),
        root: EMBEDDED_TOPIC_ROOT,
    };
    let gateway = GatewayUnderTest::start(&broker);
    let (_, reply) = probe(rt, &broker);
    let mut g = group(c, "gateway_jobs_roundtrip");
    let cpu = CpuSpan::start(None);
    let sent = bench_round_trips(&mut g, "rumqttd", rt, &broker);
    cpu.report("gateway_jobs_roundtrip/rumqttd");
    g.finish();
    report(&broker, &gateway, sent + 1);
    drop(gateway);

    let echo_rt = runtime("echo");
    echo(&echo_rt, &broker, reply.1);
    let mut g = group(c, "rumqttd_baseline");
    let cpu = CpuSpan::start(None);
    bench_round_trips(&mut g, "echo_roundtrip", rt, &broker);
    cpu.report("rumqttd_baseline/echo_roundtrip");
    g.finish();
    drop(echo_rt);
}

fn bench(c: &mut Criterion) {
    let rt = runtime("loadgen");
    mosquitto_benches(c, &rt);
    rumqttd_benches(c, &rt);
}

criterion_group!(benches, bench);
criterion_main!(benches);
