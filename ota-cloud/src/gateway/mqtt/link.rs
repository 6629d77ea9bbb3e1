//! The gateway's MQTT connection: rumqttc's event loop in a task of its own, forwarding what
//! arrives over a bounded channel, and a bounded queue of publishes waiting for room in
//! rumqttc's request channel ([`Link`]).
//!
//! Neither side waits on the other: the event loop task waits only on the network and on the
//! channel to the gateway (which the gateway drains without waiting on anything), and the
//! gateway hands publishes to rumqttc with `try_publish`, keeping what does not fit. When the
//! channel is full the event loop task waits, so it stops reading the socket and the broker
//! holds the gateway's messages (TCP backpressure).

use std::collections::VecDeque;
use std::time::Duration;

use rumqttc::{AsyncClient, ConnectionError, Event, MqttOptions, Packet, QoS, SubscribeFilter};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;

/// What the connection reports.
#[derive(Debug)]
pub(super) enum LinkEvent {
    /// Connected (or again): subscribe.
    Connected,
    /// Subscriptions acknowledged.
    Subscribed,
    /// A publish on a subscribed topic.
    Message { topic: String, payload: Vec<u8> },
    /// The connection dropped; the task reconnects after `retry`.
    Lost,
}

/// A publish the gateway sends.
pub(super) struct Waiting {
    pub(super) topic: String,
    pub(super) qos: QoS,
    pub(super) payload: Vec<u8>,
}

pub(super) struct Link {
    client: AsyncClient,
    pub(super) events: mpsc::Receiver<LinkEvent>,
    task: JoinHandle<()>,
    waiting: VecDeque<Waiting>,
    /// Filters to subscribe to once rumqttc's request channel has room.
    subscribing: Option<Vec<String>>,
}

impl Link {
    /// Start the connection; after a failure, wait `retry` before the next attempt.
    pub(super) fn start(
        options: MqttOptions,
        requests: usize,
        channel: usize,
        retry: Duration,
    ) -> Self {
        let (client, mut eventloop) = AsyncClient::new(options, requests.max(1));
        let (tx, events) = mpsc::channel(channel.max(1));
        let task = tokio::spawn(async move {
            loop {
                let event = match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => LinkEvent::Connected,
                    Ok(Event::Incoming(Packet::SubAck(_))) => LinkEvent::Subscribed,
                    Ok(Event::Incoming(Packet::Publish(p))) => LinkEvent::Message {
                        topic: p.topic,
                        payload: p.payload.to_vec(),
                    },
                    Ok(_) => continue,
                    Err(ConnectionError::RequestsDone) => return,
                    Err(e) => {
                        let _ = e;
                        if tx.send(LinkEvent::Lost).await.is_err() {
                            return;
                        }
                        tokio::time::sleep(retry).await;
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
            subscribing: None,
        }
    }

    /// Subscribe to `filters` at QoS 1, now or, when rumqttc's request channel is full
    /// (publishes queued while the broker was away), at the next [`Link::flush`]: publishes
    /// wait until the subscription is in.
    pub(super) fn subscribe(&mut self, filters: &[String]) {
        self.subscribing = Some(filters.to_vec());
        self.try_subscribe();
    }

    /// Whether a subscription waits for room.
    pub(super) fn subscribing(&self) -> bool {
        self.subscribing.is_some()
    }

    fn try_subscribe(&mut self) -> bool {
        let Some(filters) = &self.subscribing else {
            return true;
        };
        let filters = filters
            .iter()
            .map(|f| SubscribeFilter::new(f.clone(), QoS::AtLeastOnce));
        if self.client.try_subscribe_many(filters).is_ok() {
            self.subscribing = None;
        }
        self.subscribing.is_none()
    }

    /// Queue a publish (unbounded here: the caller bounds [`Link::backlog`]).
    pub(super) fn publish(&mut self, message: Waiting) {
        self.waiting.push_back(message);
    }

    /// Hand waiting publishes to rumqttc while it has room; returns how many went.
    pub(super) fn flush(&mut self) -> (u64, u64) {
        let (mut sent, mut bytes) = (0, 0);
        if !self.try_subscribe() {
            return (sent, bytes);
        }
        while let Some(w) = self.waiting.pop_front() {
            let size = (w.topic.len() + w.payload.len()) as u64;
            match self.client.try_publish(w.topic, w.qos, false, w.payload) {
                Ok(()) => {
                    sent += 1;
                    bytes += size;
                }
                Err(rumqttc::ClientError::TryRequest(rumqttc::Request::Publish(p))) => {
                    self.waiting.push_front(Waiting {
                        qos: p.qos,
                        topic: p.topic,
                        payload: p.payload.to_vec(),
                    });
                    break;
                }
                Err(_) => break,
            }
        }
        (sent, bytes)
    }

    /// Publishes waiting for room.
    pub(super) fn backlog(&self) -> usize {
        self.waiting.len()
    }
}

impl Drop for Link {
    fn drop(&mut self) {
        self.task.abort();
    }
}
