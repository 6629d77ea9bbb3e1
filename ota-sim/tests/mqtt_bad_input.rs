//! Bad input over real MQTT (an embedded broker on loopback): a client nobody trusts
//! publishes malformed, oversized, forged and flooding messages to the gateway and to the
//! devices while a fleet updates. Nothing panics, every bad request gets the reply AWS would
//! send (or none, where AWS's broker would drop it), and every device still commits the
//! signed image with its status recorded once.
#![allow(clippy::std_instead_of_core)]

mod common;

use std::time::Duration;

use ota_cloud::broker::{EMBEDDED_TOPIC_ROOT, EmbeddedBroker};
use ota_cloud::gateway::mqtt::MqttBinding;
use ota_cloud::gateway::{Gateway, Limits, MAX_PAYLOAD, Rate};
use ota_core::jobs::JobExecutionStatus;
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;

const ROOT: &str = EMBEDDED_TOPIC_ROOT;

/// A raw MQTT client: publishes anything, and hands over what arrives on its filters.
struct Probe {
    client: AsyncClient,
    inbox: mpsc::UnboundedReceiver<(String, Vec<u8>)>,
}

impl Probe {
    async fn connect(broker: &EmbeddedBroker, id: &str, filters: &[String]) -> Self {
        let addr = broker.addr();
        let mut options = MqttOptions::new(id, addr.ip().to_string(), addr.port());
        options.set_max_packet_size(512 * 1024, 512 * 1024);
        let (client, mut eventloop) = AsyncClient::new(options, 1024);
        let (tx, inbox) = mpsc::unbounded_channel();
        let (subscribed_tx, mut subscribed) = mpsc::unbounded_channel();
        tokio::spawn(async move {
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::Publish(p))) => {
                        let _ = tx.send((p.topic, p.payload.to_vec()));
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        let _ = subscribed_tx.send(());
                    }
                    Ok(_) => {}
                    Err(_) => tokio::time::sleep(Duration::from_millis(50)).await,
                }
            }
        });
        for filter in filters {
            client
                .subscribe(filter.as_str(), QoS::AtLeastOnce)
                .await
                .unwrap();
            tokio::time::timeout(Duration::from_secs(10), subscribed.recv())
                .await
                .expect("subscribed");
        }
        Self { client, inbox }
    }

    async fn publish(&self, topic: &str, payload: impl Into<Vec<u8>>) {
        self.client
            .publish(topic, QoS::AtLeastOnce, false, payload.into())
            .await
            .unwrap();
    }

    /// The next message on `topic` within 10 s (others are skipped).
    async fn expect(&mut self, topic: &str) -> Vec<u8> {
        let wait = async {
            loop {
                let (t, payload) = self.inbox.recv().await.expect("probe open");
                if t == topic {
                    return payload;
                }
            }
        };
        tokio::time::timeout(Duration::from_secs(10), wait)
            .await
            .unwrap_or_else(|_| panic!("no message on {topic}"))
    }

    /// Everything that arrives within `wait`.
    async fn drain(&mut self, wait: Duration) -> Vec<(String, Vec<u8>)> {
        let mut out = Vec::new();
        let deadline = tokio::time::Instant::now() + wait;
        while let Ok(Some(m)) = tokio::time::timeout_at(deadline, self.inbox.recv()).await {
            out.push(m);
        }
        out
    }
}

fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_gateway_answers_bad_requests_as_aws_does_and_keeps_serving() {
    let broker = EmbeddedBroker::start("127.0.0.1:0".parse().unwrap(), 64).unwrap();
    let addr = broker.addr();
    let limits = Limits {
        jobs_rate: Some(Rate {
            per_second: 5,
            burst: 20,
        }),
        ..Limits::default()
    };
    let fleet = common::Fleet::start_with(
        3,
        40_000,
        Gateway::with_limits(ROOT, limits),
        MqttBinding::new(&addr.ip().to_string(), addr.port(), "ota-gateway"),
    )
    .await;
    let things = format!("{ROOT}/things/+/#");
    let mut probe = Probe::connect(&broker, "probe", &[things]).await;
    let t0 = format!("{ROOT}/things/linux-0");

    // Not JSON, and not UTF-8: `InvalidJson` on the request's `rejected`, token unknown.
    probe
        .publish(&format!("{t0}/jobs/get"), b"{\"clientToken\":".to_vec())
        .await;
    let reply = text(&probe.expect(&format!("{t0}/jobs/get/rejected")).await);
    assert!(reply.contains("\"code\":\"InvalidJson\""), "{reply}");
    probe
        .publish(&format!("{t0}/jobs/fw-2/update"), vec![0xff, 0xfe, 0x00])
        .await;
    let reply = text(
        &probe
            .expect(&format!("{t0}/jobs/fw-2/update/rejected"))
            .await,
    );
    assert!(reply.contains("\"code\":\"InvalidJson\""), "{reply}");
    // A status that is not one: refused (the request does not decode, so its token is not
    // read), and the execution untouched.
    probe
        .publish(
            &format!("{t0}/jobs/fw-2/update"),
            r#"{"status":"DONE","clientToken":"t-1"}"#,
        )
        .await;
    let reply = text(
        &probe
            .expect(&format!("{t0}/jobs/fw-2/update/rejected"))
            .await,
    );
    assert!(reply.contains("\"code\":\"InvalidJson\""), "{reply}");
    let untouched = fleet
        .service
        .engine()
        .describe_job_execution("fw-2", "linux-0", None)
        .unwrap();
    assert_eq!(untouched.status, JobExecutionStatus::Queued);
    // Garbage CBOR and JSON on the Streams API: the stream's `rejected`.
    let stream = format!("{t0}/streams/{}", common::STREAM);
    probe
        .publish(&format!("{stream}/get/cbor"), vec![0xff, 0x00, 0x13])
        .await;
    let reply = probe.expect(&format!("{stream}/rejected/cbor")).await;
    assert!(text(&reply).contains("InvalidCbor"), "{reply:?}");
    probe
        .publish(&format!("{stream}/get/json"), b"[1,2".to_vec())
        .await;
    let reply = text(&probe.expect(&format!("{stream}/rejected/json")).await);
    assert!(reply.contains("InvalidJson"), "{reply}");
    // Over AWS's 128 KiB: dropped without a reply, as AWS's broker refuses it.
    probe
        .publish(&format!("{t0}/jobs/get"), vec![b' '; MAX_PAYLOAD + 1])
        .await;
    // A topic under the root that is no API, and a thing name AWS would refuse.
    probe
        .publish(&format!("{t0}/jobs/get/extra/levels"), b"{}".to_vec())
        .await;
    let long = "x".repeat(200);
    probe
        .publish(&format!("{ROOT}/things/{long}/jobs/get"), b"{}".to_vec())
        .await;

    // A flood from one thing: past its burst, `RequestThrottled` with the token echoed...
    for i in 0..60 {
        probe
            .publish(
                &format!("{t0}/jobs/get"),
                format!(r#"{{"clientToken":"flood-{i}"}}"#),
            )
            .await;
    }
    let replies = probe.drain(Duration::from_secs(3)).await;
    let throttled = replies
        .iter()
        .filter(|(t, p)| {
            t == &format!("{t0}/jobs/get/rejected") && text(p).contains("RequestThrottled")
        })
        .count();
    let accepted = replies
        .iter()
        .filter(|(t, _)| t == &format!("{t0}/jobs/get/accepted"))
        .count();
    // Each answered once: the burst (less what the requests above took) accepted, the rest
    // throttled.
    assert_eq!(
        throttled + accepted,
        60,
        "{throttled} throttled, {accepted} accepted"
    );
    assert!(throttled >= 30, "{throttled} throttled of 60");
    assert!(accepted >= 10, "the burst is answered: {accepted}");
    assert!(
        replies
            .iter()
            .all(|(t, _)| !t.starts_with(&format!("{ROOT}/things/{long}/jobs/get/"))),
        "nothing for the invalid thing name"
    );
    // ...while another thing is answered at once.
    let t1 = format!("{ROOT}/things/linux-1");
    probe
        .publish(&format!("{t1}/jobs/get"), r#"{"clientToken":"calm"}"#)
        .await;
    let reply = text(&probe.expect(&format!("{t1}/jobs/get/accepted")).await);
    assert!(reply.contains("\"clientToken\":\"calm\""), "{reply}");

    let stats = fleet.gateway.stats();
    assert_eq!(stats.gateway.oversized, 1, "{stats:?}");
    assert!(stats.gateway.malformed >= 4, "{stats:?}");
    assert!(stats.gateway.throttled >= 30, "{stats:?}");
    // The fleet then updates as if nothing happened; the refused update left no trace.
    fleet
        .update_all(&broker.url(), ROOT, Duration::from_secs(120))
        .await;
    let history = fleet
        .service
        .engine()
        .describe_job_execution("fw-2", "linux-0", None)
        .unwrap();
    assert_eq!(history.status, JobExecutionStatus::Succeeded);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_ignore_forged_and_malformed_messages_while_they_update() {
    let broker = EmbeddedBroker::start("127.0.0.1:0".parse().unwrap(), 64).unwrap();
    let addr = broker.addr();
    let mut fleet =
        common::Fleet::start(3, 60_000, &addr.ip().to_string(), addr.port(), ROOT).await;
    // A forged job that arrives while a device is idle is taken, refused (its signature
    // does not verify: nothing is written) and reported REJECTED; the service knows no such
    // job, so the device drops it (`JobCanceled`) and asks again. The runner is started
    // again after each.
    fleet.resume_after_cancel = true;
    let probe = Probe::connect(&broker, "forger", &[]).await;
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let forging = {
        let stop = std::sync::Arc::clone(&stop);
        tokio::spawn(async move {
            let mut sent = 0u64;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                for thing in ["linux-0", "linux-1", "linux-2"] {
                    let at = |tail: &str| format!("{ROOT}/things/{thing}/{tail}");
                    let stream = format!("streams/{}", common::STREAM);
                    let forged: [(String, Vec<u8>); 9] = [
                        (at("jobs/notify-next"), b"{\"execution\":".to_vec()),
                        (at("jobs/notify-next"), vec![0xc3, 0x28, 0xff]),
                        // A well-formed job nobody signed.
                        (
                            at("jobs/notify-next"),
                            br#"{"timestamp":1,"execution":{"jobId":"evil","status":"QUEUED","queuedAt":1,"versionNumber":1,"executionNumber":1,"jobDocument":{"afr_ota":{"protocols":["MQTT"],"streamname":"evil","files":[{"filepath":"fw","filesize":4096,"fileid":0,"certfile":"c","sig-sha256-ecdsa":"AAAA"}]}}}}"#.to_vec(),
                        ),
                        (at("jobs/$next/get/accepted"), b"[]".to_vec()),
                        (at("jobs/fw-2/update/accepted"), b"{\"timestamp\":\"x\"}".to_vec()),
                        (at("jobs/fw-2/update/rejected"), b"{\"code\":9}".to_vec()),
                        (at(&format!("{stream}/data/cbor")), vec![0xbf, 0x61, 0x66, 0xff]),
                        (at(&format!("{stream}/data/cbor")), vec![0u8; 140 * 1024]),
                        (at(&format!("{stream}/rejected/cbor")), vec![0xa1, 0x61]),
                    ];
                    for (topic, payload) in forged {
                        probe.publish(&topic, payload).await;
                        sent += 1;
                    }
                }
                tokio::time::sleep(Duration::from_millis(40)).await;
            }
            sent
        })
    };
    fleet
        .update_all(&broker.url(), ROOT, Duration::from_secs(180))
        .await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    let sent = forging.await.unwrap();
    assert!(sent >= 27, "the forger ran during the update: {sent}");
    // `update_all` checked each device committed the signed image and the engine says
    // SUCCEEDED; the forged job never reached the engine.
    let engine = fleet.service.engine();
    assert!(engine.describe_job("evil").is_err());
    for thing in &fleet.things {
        let execution = engine.describe_job_execution("fw-2", thing, None).unwrap();
        assert_eq!(execution.status, JobExecutionStatus::Succeeded, "{thing}");
    }
}
