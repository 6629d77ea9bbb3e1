//! The MQTT connection: rumqttc's event loop in a task of its own, and the runner's side of
//! it ([`Link`]).
//!
//! The event loop is never cancelled mid-poll (whether rumqttc's `poll` is cancel-safe is not
//! documented): a task polls it and forwards what the runner needs over a small channel. The
//! runner never waits on rumqttc either: it publishes with `try_publish` and keeps what did
//! not fit in a short queue of its own, retried on its next turn. Neither side can block the
//! other, so they cannot deadlock.

use std::collections::VecDeque;
use std::prelude::rust_2024::*;

use rumqttc::{AsyncClient, ConnectionError, Event, MqttOptions, Packet, QoS};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

use super::backoff::Backoff;

/// Publishes waiting for room in rumqttc's request channel, at most. Older ones are dropped
/// first: the client resends what still matters after its reply timeout.
const MAX_WAITING: usize = 32;

/// What the connection reports to the runner.
#[derive(Debug)]
pub(super) enum LinkEvent {
    /// Connected (first time or again): subscribe.
    Connected,
    /// The broker acknowledged the subscriptions: the client may talk.
    Subscribed,
    /// A message on a subscribed topic.
    Message { topic: String, payload: Vec<u8> },
    /// The connection failed or dropped; the task waits (backoff) and reconnects.
    Lost(String),
}

/// The runner's handle on the connection. Dropping it stops the event loop task.
pub(super) struct Link {
    client: AsyncClient,
    events: mpsc::Receiver<LinkEvent>,
    task: JoinHandle<()>,
    waiting: VecDeque<(String, QoS, Vec<u8>)>,
    /// Publishes dropped because [`MAX_WAITING`] were already waiting.
    pub(super) dropped: u64,
    /// Filters to subscribe to once rumqttc's request channel has room.
    subscribing: Option<Vec<String>>,
}

impl Link {
    /// Start connecting with `options`, waiting `backoff` between failed attempts. Must be
    /// called inside a tokio runtime.
    pub(super) fn start(options: MqttOptions, mut backoff: Backoff) -> Self {
        let (client, mut eventloop) = AsyncClient::new(options, 16);
        let (tx, events) = mpsc::channel(32);
        let task = tokio::spawn(async move {
            loop {
                let event = match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        backoff.reset();
                        LinkEvent::Connected
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => LinkEvent::Subscribed,
                    Ok(Event::Incoming(Packet::Publish(p))) => LinkEvent::Message {
                        topic: p.topic,
                        payload: p.payload.to_vec(),
                    },
                    Ok(_) => continue,
                    Err(ConnectionError::RequestsDone) => return,
                    Err(e) => {
                        let lost = LinkEvent::Lost(e.to_string());
                        if tx.send(lost).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(backoff.next_wait()).await;
                        continue;
                    }
                };
                if tx.send(event).await.is_err() {
                    return;
                }
            }
        });
        Self {
            client,
            events,
            task,
            waiting: VecDeque::new(),
            dropped: 0,
            subscribing: None,
        }
    }

    /// The next report from the connection (`None` once the event loop has ended).
    /// Cancel-safe.
    pub(super) async fn next(&mut self) -> Option<LinkEvent> {
        self.events.recv().await
    }

    /// Subscribe to `filters` at QoS 1 (one SUBSCRIBE), now or, when rumqttc's request
    /// channel is full (publishes queued while the broker was away), at the next
    /// [`Link::flush`]; publishes wait until the subscription is in.
    pub(super) fn subscribe(&mut self, filters: Vec<String>) {
        self.subscribing = Some(filters);
        self.try_subscribe();
    }

    fn try_subscribe(&mut self) -> bool {
        let Some(filters) = &self.subscribing else {
            return true;
        };
        let filters = filters
            .iter()
            .map(|f| rumqttc::SubscribeFilter::new(f.clone(), QoS::AtLeastOnce));
        if self.client.try_subscribe_many(filters).is_ok() {
            self.subscribing = None;
        }
        self.subscribing.is_none()
    }

    /// Queue a publish and send what fits.
    pub(super) fn publish(&mut self, topic: &str, qos: QoS, payload: &[u8]) {
        if self.waiting.len() == MAX_WAITING {
            self.waiting.pop_front();
            self.dropped += 1;
        }
        self.waiting
            .push_back((topic.to_string(), qos, payload.to_vec()));
        self.flush();
    }

    /// Hand waiting publishes to rumqttc while its request channel has room.
    pub(super) fn flush(&mut self) {
        if !self.try_subscribe() {
            return;
        }
        while let Some((topic, qos, payload)) = self.waiting.pop_front() {
            match self.client.try_publish(topic, qos, false, payload) {
                Ok(()) => {}
                Err(rumqttc::ClientError::TryRequest(rumqttc::Request::Publish(p))) => {
                    let qos = p.qos;
                    self.waiting.push_front((p.topic, qos, p.payload.to_vec()));
                    return;
                }
                Err(_) => return,
            }
        }
    }

    /// Whether publishes or a subscription wait for room.
    pub(super) fn has_waiting(&self) -> bool {
        !self.waiting.is_empty() || self.subscribing.is_some()
    }

    /// Send a DISCONNECT and give the event loop a moment to write it and what is queued.
    pub(super) async fn close(mut self) {
        self.flush();
        let _ = self.client.try_disconnect();
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_millis(500);
        while !self.task.is_finished() && tokio::time::Instant::now() < deadline {
            tokio::time::sleep(std::time::Duration::from_millis(10)).await;
            // Keep the channel moving so that the task is not stuck sending to us.
            while self.events.try_recv().is_ok() {}
        }
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}
