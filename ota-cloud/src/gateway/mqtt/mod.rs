//! The gateway on a real MQTT broker (feature `mqtt`): [`MqttGateway`] connects to any broker
//! with rumqttc, subscribes with wildcards to every thing's Jobs and Streams request topics,
//! answers each request through the sans-IO [`Gateway`], and publishes the engine's `notify`
//! and `notify-next` pushes.
//!
//! One task and one connection serve the whole fleet: nothing per device but what the engine
//! and the gateway keep. Replies on `.../jobs/...` go out at QoS 1, stream replies (data
//! blocks included) at QoS 0, as devices re-request missing blocks.
//!
//! Bounded everywhere: the event loop forwards into a channel of [`MqttBinding::channel`]
//! messages and stops reading the socket when it is full (the broker then holds or drops
//! messages for the gateway's session, per its own limits); publishes waiting for the
//! connection are capped at [`MqttBinding::max_backlog`], and while that many wait, new
//! requests are dropped unanswered and counted ([`MqttGatewayStats::shed`]): a device
//! retries with backoff, as it does when AWS loses a message.
//!
//! It serves any [`ServedEngine`]: the in-memory engine, or the durable one (feature
//! `sqlite`), which commits each device call that changes it before it is answered.
//!
//! What it does not do: authenticate or authorize (the gateway answers whoever publishes on a
//! thing's topics as that thing; restrict publishing with the broker's ACLs, e.g. mosquitto's
//! `pattern write ota/things/%c/#` with the thing name as client id), or create jobs (use the engine or the service traits;
//! their pushes are published at the next [`MqttBinding::tick`]).

mod link;

use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use rumqttc::{MqttOptions, QoS};
use tokio::task::JoinHandle;

use super::{Gateway, GatewayEngine, GatewayStats, Outgoing, StreamSource};
use crate::service::{Clock, InMemory};
use link::{Link, LinkEvent, Waiting};

/// An engine an [`MqttGateway`] can serve from another task: [`InMemory`], or the durable
/// engine (`durable::Durable`, feature `sqlite`), which journals device calls.
pub trait ServedEngine: Send + Sync + 'static {
    /// Run `serve` on the engine, brought up to the clock's time, under its lock.
    fn serve(&self, serve: &mut dyn FnMut(&mut dyn GatewayEngine));
}

impl<C: Clock + 'static> ServedEngine for InMemory<C> {
    fn serve(&self, serve: &mut dyn FnMut(&mut dyn GatewayEngine)) {
        serve(&mut *self.engine());
    }
}

/// How the gateway connects and how much it buffers.
#[derive(Debug, Clone)]
pub struct MqttBinding {
    /// The rumqttc options (broker address, client id, transport, keep-alive).
    pub options: MqttOptions,
    /// Publishes that may wait for the connection before requests are shed.
    pub max_backlog: usize,
    /// Messages the event loop may hand over before it stops reading the socket.
    pub channel: usize,
    /// rumqttc's request channel capacity.
    pub requests: usize,
    /// How often the engine's pushes are collected (and its timers advanced).
    pub tick: Duration,
    /// Wait before reconnecting after a connection failure.
    pub retry: Duration,
}

impl MqttBinding {
    /// The broker at `host:port`, as client `client_id`, with defaults: a clean session,
    /// 30 s keep-alive, 256 KiB packets, 1,000 QoS 1 messages in flight, 100,000 waiting
    /// publishes, a 1,024-message channel, 100 ms tick, 1 s between reconnects.
    pub fn new(host: &str, port: u16, client_id: &str) -> Self {
        let mut options = MqttOptions::new(client_id, host, port);
        options
            .set_keep_alive(Duration::from_secs(30))
            .set_max_packet_size(256 * 1024, 256 * 1024)
            .set_inflight(1000)
            .set_clean_session(true);
        Self {
            options,
            max_backlog: 100_000,
            channel: 1024,
            requests: 1024,
            tick: Duration::from_millis(100),
            retry: Duration::from_secs(1),
        }
    }
}

/// What the MQTT gateway did so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct MqttGatewayStats {
    /// The sans-IO gateway's counters.
    pub gateway: GatewayStats,
    /// Messages received on the request topics (shed ones included).
    pub received: u64,
    /// Topic and payload bytes of those.
    pub bytes_received: u64,
    /// Messages handed to the broker connection.
    pub published: u64,
    /// Topic and payload bytes of those.
    pub bytes_published: u64,
    /// `notify` and `notify-next` pushes among them.
    pub notifications: u64,
    /// Requests dropped unanswered because [`MqttBinding::max_backlog`] publishes waited.
    pub shed: u64,
    /// Times the subscriptions were acknowledged (once per connection).
    pub connections: u64,
    /// Connection failures (each followed by a reconnect attempt).
    pub disconnections: u64,
    /// Publishes waiting for the connection now.
    pub backlog: usize,
}

/// The request topic filters of every thing under `root`.
pub fn request_filters(root: &str) -> Vec<String> {
    [
        "jobs/get",
        "jobs/start-next",
        "jobs/+/get",
        "jobs/+/update",
        "streams/+/get/+",
        "streams/+/describe/+",
    ]
    .iter()
    .map(|tail| format!("{root}/things/+/{tail}"))
    .collect()
}

/// The gateway running on a broker connection, in a tokio task. Dropping it (or
/// [`MqttGateway::stop`]) stops the task and the connection.
#[derive(Debug)]
pub struct MqttGateway {
    stats: Arc<Mutex<MqttGatewayStats>>,
    /// `None` once [`MqttGateway::shutdown`] took it.
    task: Option<JoinHandle<()>>,
}

impl MqttGateway {
    /// Connect as `binding` says and serve `service`'s engine and `streams` through
    /// `gateway`, until stopped. Must be called inside a tokio runtime with the time driver.
    /// Connection failures are retried forever; see [`MqttGateway::stats`].
    pub fn start<E, S>(service: Arc<E>, streams: S, gateway: Gateway, binding: MqttBinding) -> Self
    where
        E: ServedEngine + ?Sized,
        S: StreamSource + Send + 'static,
    {
        let stats = Arc::new(Mutex::new(MqttGatewayStats::default()));
        let link = Link::start(
            binding.options.clone(),
            binding.requests,
            binding.channel,
            binding.retry,
        );
        let serving = Serving {
            filters: request_filters(gateway.topic_root()),
            link,
            service,
            streams,
            gateway,
            stats: Arc::clone(&stats),
            counts: MqttGatewayStats::default(),
            max_backlog: binding.max_backlog,
        };
        let task = tokio::spawn(serving.run(binding.tick));
        Self {
            stats,
            task: Some(task),
        }
    }

    /// The counters so far.
    pub fn stats(&self) -> MqttGatewayStats {
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Wait until the subscriptions are in place (at least once), up to `timeout`. Returns
    /// whether they are.
    pub async fn wait_subscribed(&self, timeout: Duration) -> bool {
        let deadline = tokio::time::Instant::now() + timeout;
        while self.stats().connections == 0 {
            if tokio::time::Instant::now() >= deadline {
                return false;
            }
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        true
    }

    /// A reader of the counters that outlives the gateway (for metrics).
    pub fn stats_reader(&self) -> impl Fn() -> MqttGatewayStats + Send + Sync + 'static {
        let stats = Arc::clone(&self.stats);
        move || *stats.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Stop serving and drop the connection (nothing waiting is sent). The serving task
    /// ends at its next poll; see [`MqttGateway::shutdown`] to wait for it.
    pub fn stop(self) {}

    /// Stop serving and wait until the serving task has ended, so that the engine and the
    /// stream source it held are released.
    pub async fn shutdown(mut self) {
        if let Some(task) = self.task.take() {
            task.abort();
            let _ = task.await;
        }
    }
}

impl Drop for MqttGateway {
    fn drop(&mut self) {
        if let Some(task) = &self.task {
            task.abort();
        }
    }
}

/// The serving task's state.
struct Serving<E: ?Sized, S> {
    filters: Vec<String>,
    link: Link,
    service: Arc<E>,
    streams: S,
    gateway: Gateway,
    stats: Arc<Mutex<MqttGatewayStats>>,
    counts: MqttGatewayStats,
    max_backlog: usize,
}

impl<E: ServedEngine + ?Sized, S: StreamSource> Serving<E, S> {
    async fn run(mut self, tick: Duration) {
        let mut ticker = tokio::time::interval(tick);
        ticker.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        let mut replies = Vec::new();
        loop {
            let retry = self.link.backlog() > 0 || self.link.subscribing();
            tokio::select! {
                event = self.link.events.recv() => {
                    let Some(event) = event else { return };
                    self.on_event(event, &mut replies);
                }
                _ = ticker.tick() => {}
                () = tokio::time::sleep(Duration::from_millis(1)), if retry => {}
            }
            self.push_notifications();
            let (sent, bytes) = self.link.flush();
            self.counts.published += sent;
            self.counts.bytes_published += bytes;
            self.publish_stats();
        }
    }

    fn on_event(&mut self, event: LinkEvent, replies: &mut Vec<Outgoing>) {
        match event {
            LinkEvent::Connected => {
                self.link.subscribe(&self.filters);
            }
            LinkEvent::Subscribed => self.counts.connections += 1,
            LinkEvent::Lost => self.counts.disconnections += 1,
            LinkEvent::Message { topic, payload } => {
                self.counts.received += 1;
                self.counts.bytes_received += (topic.len() + payload.len()) as u64;
                if self.link.backlog() >= self.max_backlog {
                    self.counts.shed += 1;
                    return;
                }
                let (gateway, streams) = (&mut self.gateway, &mut self.streams);
                self.service.serve(&mut |engine| {
                    gateway.handle_publish(engine, streams, &topic, &payload, replies);
                });
                for reply in replies.drain(..) {
                    let qos = if reply.topic.contains("/streams/") {
                        QoS::AtMostOnce
                    } else {
                        QoS::AtLeastOnce
                    };
                    self.link.publish(Waiting {
                        topic: reply.topic,
                        qos,
                        payload: reply.payload,
                    });
                }
            }
        }
    }

    /// Publish what the engine pushed since the last call.
    fn push_notifications(&mut self) {
        let mut pushes = Vec::new();
        let gateway = &self.gateway;
        self.service.serve(&mut |engine| {
            while let Some(n) = engine.poll_notification() {
                pushes.extend(gateway.notification(engine.engine(), n));
            }
        });
        for (_, push) in pushes {
            self.counts.notifications += 1;
            self.link.publish(Waiting {
                topic: push.topic,
                qos: QoS::AtLeastOnce,
                payload: push.payload,
            });
        }
    }

    fn publish_stats(&mut self) {
        self.counts.gateway = self.gateway.stats;
        self.counts.backlog = self.link.backlog();
        *self.stats.lock().unwrap_or_else(PoisonError::into_inner) = self.counts;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_cover_requests_but_not_replies() {
        let filters = request_filters("$aws");
        let matches = |topic: &str| filters.iter().any(|f| filter_matches(f, topic));
        for request in [
            "$aws/things/t1/jobs/get",
            "$aws/things/t1/jobs/start-next",
            "$aws/things/t1/jobs/$next/get",
            "$aws/things/t1/jobs/job-1/get",
            "$aws/things/t1/jobs/job-1/update",
            "$aws/things/t1/streams/s1/get/cbor",
            "$aws/things/t1/streams/s1/describe/json",
        ] {
            assert!(matches(request), "{request}");
        }
        for reply in [
            "$aws/things/t1/jobs/get/accepted",
            "$aws/things/t1/jobs/$next/get/accepted",
            "$aws/things/t1/jobs/job-1/update/rejected",
            "$aws/things/t1/jobs/notify-next",
            "$aws/things/t1/jobs/notify",
            "$aws/things/t1/streams/s1/data/cbor",
            "$aws/things/t1/streams/s1/rejected/json",
        ] {
            assert!(!matches(reply), "{reply}");
        }
    }

    /// MQTT filter matching, for the test (`+` one level, `#` the rest).
    fn filter_matches(filter: &str, topic: &str) -> bool {
        let mut t = topic.split('/');
        for f in filter.split('/') {
            match (f, t.next()) {
                ("#", _) => return true,
                ("+", Some(_)) => {}
                (f, Some(level)) if f == level => {}
                _ => return false,
            }
        }
        t.next().is_none()
    }
}
