//! [`Endpoint`]: the listener, one task per device connection, and one that pushes the
//! engine's notifications.

use std::collections::HashMap;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{Arc, Mutex, PoisonError};
use std::time::Duration;

use bytes::BytesMut;
use rumqttc::mqttbytes::v4::{
    ConnAck, ConnectReturnCode, Packet, PubAck, Publish, SubAck, SubscribeReasonCode, UnsubAck,
};
use rumqttc::mqttbytes::{self, Protocol, QoS};
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::tcp::{OwnedReadHalf, OwnedWriteHalf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{OwnedSemaphorePermit, Semaphore, mpsc, watch};
use tokio::time::Instant;

use super::credentials::Credentials;
use super::rules::{matches, may_publish, may_subscribe};
use crate::durable::Durable;
use crate::gateway::mqtt::{MqttGatewayStats, ServedEngine};
use crate::gateway::{Gateway, MAX_PAYLOAD, MemoryStreams, Outgoing};
use crate::service::SystemClock;

/// Largest packet taken from a device: AWS IoT's payload limit and room for the topic.
const MAX_PACKET: usize = MAX_PAYLOAD + 1024;
/// Time a new connection has to send CONNECT.
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// Deliveries that may wait for one connection before more are dropped.
const QUEUE: usize = 256;
/// Connections that may be waiting for or checking their CONNECT at once; more are closed
/// as soon as they are accepted. Authenticated connections are bounded by the fleet (one per
/// thing), these by this.
const MAX_HANDSHAKES: usize = 1024;
/// Filters one connection may hold (AWS IoT's default quota).
pub(crate) const MAX_SUBSCRIPTIONS: usize = 50;
/// Time a write to a device may take before its connection is dropped (a device that
/// stops reading must not hold a task, or shutdown, forever).
const WRITE_TIMEOUT: Duration = Duration::from_secs(10);
/// Longest part of a refused client id that is logged.
const LOGGED_ID: usize = 64;

/// What the endpoint counted.
#[derive(Debug, Default)]
pub(crate) struct EndpointCounts {
    received: AtomicU64,
    bytes_received: AtomicU64,
    published: AtomicU64,
    bytes_published: AtomicU64,
    notifications: AtomicU64,
    dropped: AtomicU64,
    connections: AtomicU64,
    disconnections: AtomicU64,
    /// CONNECTs refused: unknown thing, wrong password, user name not the client id, a
    /// protocol other than MQTT 3.1.1; and connections closed unheard because too many
    /// were already waiting for their CONNECT.
    pub(crate) refused_connect: AtomicU64,
    /// Connections closed for publishing outside the device's own topics.
    pub(crate) refused_publish: AtomicU64,
    /// Subscriptions refused for a filter outside the device's own topics.
    pub(crate) refused_subscribe: AtomicU64,
}

fn bump(counter: &AtomicU64, by: u64) {
    counter.fetch_add(by, Ordering::Relaxed);
}

enum ToSession {
    Deliver(Outgoing),
    /// Another connection took the thing.
    Replaced,
}

struct Session {
    id: u64,
    tx: mpsc::Sender<ToSession>,
}

/// The gateway and what it serves streams from.
struct Served {
    gateway: Gateway,
    streams: MemoryStreams,
}

/// The MQTT endpoint.
pub(crate) struct Endpoint {
    root: String,
    engine: Arc<Durable<SystemClock>>,
    credentials: Arc<Credentials>,
    served: Mutex<Served>,
    sessions: Mutex<HashMap<String, Session>>,
    next_session: AtomicU64,
    pub(crate) counts: EndpointCounts,
}

impl Endpoint {
    /// The endpoint answering through `gateway` (its topic root is the devices').
    pub(crate) fn new(
        gateway: Gateway,
        engine: Arc<Durable<SystemClock>>,
        credentials: Arc<Credentials>,
    ) -> Self {
        Self {
            root: gateway.topic_root().to_string(),
            engine,
            credentials,
            served: Mutex::new(Served {
                gateway,
                streams: MemoryStreams::new(),
            }),
            sessions: Mutex::new(HashMap::new()),
            next_session: AtomicU64::new(1),
            counts: EndpointCounts::default(),
        }
    }

    /// The counters in the gateway's terms, for metrics.
    pub(crate) fn stats(&self) -> MqttGatewayStats {
        let load = |c: &AtomicU64| c.load(Ordering::Relaxed);
        let c = &self.counts;
        MqttGatewayStats {
            gateway: self
                .served
                .lock()
                .unwrap_or_else(PoisonError::into_inner)
                .gateway
                .stats,
            received: load(&c.received),
            bytes_received: load(&c.bytes_received),
            published: load(&c.published),
            bytes_published: load(&c.bytes_published),
            notifications: load(&c.notifications),
            shed: load(&c.dropped),
            connections: load(&c.connections),
            disconnections: load(&c.disconnections),
            backlog: 0,
        }
    }

    /// Accept devices on `listener` until `stop`; each connection ends at `stop` too.
    pub(crate) async fn serve(
        self: Arc<Self>,
        listener: TcpListener,
        mut stop: watch::Receiver<bool>,
    ) {
        let pushes = tokio::spawn(Arc::clone(&self).push_notifications(stop.clone()));
        let handshakes = Arc::new(Semaphore::new(MAX_HANDSHAKES));
        let mut connections = tokio::task::JoinSet::new();
        loop {
            tokio::select! {
                accepted = listener.accept() => match accepted {
                    Ok((stream, peer)) => {
                        let Ok(handshake) = Arc::clone(&handshakes).try_acquire_owned() else {
                            bump(&self.counts.refused_connect, 1);
                            tracing::debug!(%peer, "MQTT connection closed: too many waiting for CONNECT");
                            continue;
                        };
                        let _ = stream.set_nodelay(true);
                        connections.spawn(Arc::clone(&self).connection(stream, peer, handshake, stop.clone()));
                    }
                    Err(e) => {
                        tracing::warn!(error = %e, "MQTT accept failed");
                        tokio::time::sleep(Duration::from_millis(100)).await;
                    }
                },
                () = stopped(&mut stop) => break,
                Some(_) = connections.join_next() => {}
            }
        }
        while connections.join_next().await.is_some() {}
        let _ = pushes.await;
    }

    /// Every 100 ms, send the engine's pushes to the connections of their things.
    async fn push_notifications(self: Arc<Self>, mut stop: watch::Receiver<bool>) {
        let mut ticker = tokio::time::interval(Duration::from_millis(100));
        loop {
            tokio::select! {
                _ = ticker.tick() => {}
                () = stopped(&mut stop) => return,
            }
            let mut pushes = Vec::new();
            {
                let served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
                self.engine.serve(&mut |engine| {
                    while let Some(n) = engine.poll_notification() {
                        pushes.extend(served.gateway.notification(engine.engine(), n));
                    }
                });
            }
            for (thing, push) in pushes {
                bump(&self.counts.notifications, 1);
                self.deliver(&thing, push);
            }
        }
    }

    /// Queue `message` for `thing`'s connection, if it has one (dropped and counted when
    /// its queue is full: the device asks again).
    fn deliver(&self, thing: &str, message: Outgoing) {
        let sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        if let Some(session) = sessions.get(thing)
            && session.tx.try_send(ToSession::Deliver(message)).is_err()
        {
            bump(&self.counts.dropped, 1);
        }
    }

    /// Answer a device's publish through the gateway.
    fn handle(&self, topic: &str, payload: &[u8]) -> Vec<Outgoing> {
        let mut out = Vec::new();
        let mut served = self.served.lock().unwrap_or_else(PoisonError::into_inner);
        let Served { gateway, streams } = &mut *served;
        self.engine.serve(&mut |engine| {
            gateway.handle_publish(engine, streams, topic, payload, &mut out);
        });
        out
    }

    fn register(&self, thing: &str, tx: mpsc::Sender<ToSession>) -> u64 {
        let id = self.next_session.fetch_add(1, Ordering::Relaxed);
        let old = self
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(thing.to_string(), Session { id, tx });
        if let Some(old) = old {
            let _ = old.tx.try_send(ToSession::Replaced);
        }
        id
    }

    /// Close `thing`'s connection, if it has one (its credentials changed or it was deleted).
    pub(crate) fn disconnect(&self, thing: &str) {
        let session = self
            .sessions
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .remove(thing);
        if let Some(session) = session {
            let _ = session.tx.try_send(ToSession::Replaced);
        }
    }

    fn unregister(&self, thing: &str, id: u64) {
        let mut sessions = self.sessions.lock().unwrap_or_else(PoisonError::into_inner);
        if sessions.get(thing).is_some_and(|s| s.id == id) {
            sessions.remove(thing);
        }
    }

    /// Whether the CONNECT's credentials are thing `client_id`'s.
    fn authenticate(&self, connect: &rumqttc::mqttbytes::v4::Connect) -> bool {
        connect.login.as_ref().is_some_and(|login| {
            !connect.client_id.is_empty()
                && login.username == connect.client_id
                && self
                    .credentials
                    .verify(&connect.client_id, login.password.as_bytes())
        })
    }

    async fn connection(
        self: Arc<Self>,
        stream: TcpStream,
        peer: SocketAddr,
        handshake: OwnedSemaphorePermit,
        mut stop: watch::Receiver<bool>,
    ) {
        let (mut reader, mut writer) = stream.into_split();
        let mut buf = BytesMut::with_capacity(4096);
        let connect =
            match tokio::time::timeout(CONNECT_TIMEOUT, read_packet(&mut reader, &mut buf)).await {
                Ok(Ok(Packet::Connect(connect))) => connect,
                _ => return,
            };
        let refusal = if connect.protocol != Protocol::V4 {
            // MQTT 3.1.1 section 3.1.2.2: another protocol level is refused with 0x01.
            Some(ConnectReturnCode::RefusedProtocolVersion)
        } else if !self.authenticate(&connect) {
            Some(ConnectReturnCode::BadUserNamePassword)
        } else {
            None
        };
        if let Some(code) = refusal {
            bump(&self.counts.refused_connect, 1);
            tracing::warn!(%peer, client_id = ?logged(&connect.client_id), ?code, "MQTT connection refused");
            let _ = write_packet(&mut writer, &Packet::ConnAck(ConnAck::new(code, false))).await;
            return;
        }
        let thing = connect.client_id.clone();
        if write_packet(
            &mut writer,
            &Packet::ConnAck(ConnAck::new(ConnectReturnCode::Success, false)),
        )
        .await
        .is_err()
        {
            return;
        }
        drop(handshake);
        bump(&self.counts.connections, 1);
        let (tx, mut rx) = mpsc::channel(QUEUE);
        let id = self.register(&thing, tx);
        tracing::info!(%peer, thing = %thing, "device connected");
        // MQTT: no packet from the device for 1.5 keep-alive periods closes the connection
        // (0: no limit). What the service sends does not count.
        let idle = (connect.keep_alive > 0)
            .then(|| Duration::from_millis(u64::from(connect.keep_alive) * 1500));
        let mut last_heard = Instant::now();
        let mut subscriptions: Vec<String> = Vec::new();
        let why = loop {
            let read = async {
                match idle {
                    Some(idle) => tokio::time::timeout_at(
                        last_heard + idle,
                        read_packet(&mut reader, &mut buf),
                    )
                    .await
                    .unwrap_or(Err(Closed::Idle)),
                    None => read_packet(&mut reader, &mut buf).await,
                }
            };
            tokio::select! {
                packet = read => match packet {
                    Ok(packet) => {
                        last_heard = Instant::now();
                        if let Err(why) = self.on_packet(&thing, packet, &mut subscriptions, &mut writer).await {
                            break why;
                        }
                    }
                    Err(why) => break why,
                },
                command = rx.recv() => match command {
                    Some(ToSession::Deliver(message)) => {
                        if let Err(why) = send(&self.counts, &subscriptions, &mut writer, message).await {
                            break why;
                        }
                    }
                    Some(ToSession::Replaced) | None => break Closed::Replaced,
                },
                () = stopped(&mut stop) => break Closed::Stopping,
            }
        };
        self.unregister(&thing, id);
        bump(&self.counts.disconnections, 1);
        tracing::info!(%peer, thing = %thing, reason = ?why, "device disconnected");
    }

    /// One packet from an authenticated device. `Err` closes the connection.
    async fn on_packet(
        self: &Arc<Self>,
        thing: &str,
        packet: Packet,
        subscriptions: &mut Vec<String>,
        writer: &mut OwnedWriteHalf,
    ) -> Result<(), Closed> {
        match packet {
            Packet::Publish(publish) => {
                bump(&self.counts.received, 1);
                bump(
                    &self.counts.bytes_received,
                    (publish.topic.len() + publish.payload.len()) as u64,
                );
                if !may_publish(&self.root, thing, &publish.topic) {
                    bump(&self.counts.refused_publish, 1);
                    tracing::warn!(thing = %thing, topic = ?logged(&publish.topic), "publish outside the thing's topics: connection closed");
                    return Err(Closed::Forbidden);
                }
                if publish.qos == QoS::ExactlyOnce {
                    // As AWS IoT: QoS 2 is not supported, and a device that uses it is
                    // disconnected (answering its PUBLISH with a PUBACK would be wrong).
                    tracing::warn!(thing = %thing, "QoS 2 publish: connection closed");
                    return Err(Closed::Protocol);
                }
                // The request may be committed to the journal (a disk sync): on a blocking
                // thread, so the async workers keep serving other connections meanwhile.
                let endpoint = Arc::clone(self);
                let (qos, pkid) = (publish.qos, publish.pkid);
                let replies = tokio::task::spawn_blocking(move || {
                    endpoint.handle(&publish.topic, &publish.payload)
                })
                .await
                .map_err(|_| Closed::Io)?;
                if qos != QoS::AtMostOnce {
                    write_packet(writer, &Packet::PubAck(PubAck::new(pkid))).await?;
                }
                for reply in replies {
                    send(&self.counts, subscriptions, writer, reply).await?;
                }
            }
            Packet::Subscribe(subscribe) => {
                let mut codes = Vec::with_capacity(subscribe.filters.len());
                for filter in subscribe.filters {
                    let room = subscriptions.len() < MAX_SUBSCRIPTIONS
                        || subscriptions.contains(&filter.path);
                    if !room {
                        tracing::warn!(thing = %thing, "more than {MAX_SUBSCRIPTIONS} subscriptions: refused");
                        codes.push(SubscribeReasonCode::Failure);
                    } else if may_subscribe(&self.root, thing, &filter.path) {
                        if !subscriptions.contains(&filter.path) {
                            subscriptions.push(filter.path);
                        }
                        let granted = match filter.qos {
                            QoS::AtMostOnce => QoS::AtMostOnce,
                            _ => QoS::AtLeastOnce,
                        };
                        codes.push(SubscribeReasonCode::Success(granted));
                    } else {
                        bump(&self.counts.refused_subscribe, 1);
                        tracing::warn!(thing = %thing, filter = ?logged(&filter.path), "subscription outside the thing's topics refused");
                        codes.push(SubscribeReasonCode::Failure);
                    }
                }
                write_packet(writer, &Packet::SubAck(SubAck::new(subscribe.pkid, codes))).await?;
            }
            Packet::Unsubscribe(unsubscribe) => {
                subscriptions.retain(|s| !unsubscribe.topics.contains(s));
                write_packet(writer, &Packet::UnsubAck(UnsubAck::new(unsubscribe.pkid))).await?;
            }
            Packet::PingReq => write_packet(writer, &Packet::PingResp).await?,
            Packet::PubAck(_) => {}
            Packet::Disconnect => return Err(Closed::ByClient),
            // A second CONNECT, or packets only a server sends: a protocol error.
            _ => return Err(Closed::Protocol),
        }
        Ok(())
    }
}

/// Resolves once `stop` is true (without holding its value across an await).
async fn stopped(stop: &mut watch::Receiver<bool>) {
    let _ = stop.wait_for(|s| *s).await;
}

/// Why a connection ended.
#[derive(Debug)]
enum Closed {
    ByClient,
    Idle,
    Io,
    /// A write did not finish in [`WRITE_TIMEOUT`].
    Stalled,
    Protocol,
    Forbidden,
    Replaced,
    Stopping,
}

/// Publish `message` at QoS 0 if a subscription of the connection matches it.
async fn send(
    counts: &EndpointCounts,
    subscriptions: &[String],
    writer: &mut OwnedWriteHalf,
    message: Outgoing,
) -> Result<(), Closed> {
    if !subscriptions.iter().any(|f| matches(f, &message.topic)) {
        return Ok(());
    }
    bump(&counts.published, 1);
    bump(
        &counts.bytes_published,
        (message.topic.len() + message.payload.len()) as u64,
    );
    let publish = Publish::new(message.topic, QoS::AtMostOnce, message.payload);
    write_packet(writer, &Packet::Publish(publish)).await
}

/// Write `packet`, giving up after [`WRITE_TIMEOUT`].
async fn write_packet(writer: &mut OwnedWriteHalf, packet: &Packet) -> Result<(), Closed> {
    let mut out = BytesMut::new();
    packet
        .write(&mut out, usize::MAX)
        .map_err(|_| Closed::Protocol)?;
    match tokio::time::timeout(WRITE_TIMEOUT, writer.write_all(&out)).await {
        Ok(Ok(())) => Ok(()),
        Ok(Err(_)) => Err(Closed::Io),
        Err(_) => Err(Closed::Stalled),
    }
}

/// At most [`LOGGED_ID`] characters of `text` a device chose, for a log line (which
/// prints it escaped, `?`).
fn logged(text: &str) -> &str {
    text.char_indices()
        .nth(LOGGED_ID)
        .map_or(text, |(end, _)| &text[..end])
}

/// The next whole packet, reading more from the socket as needed.
async fn read_packet(reader: &mut OwnedReadHalf, buf: &mut BytesMut) -> Result<Packet, Closed> {
    loop {
        match Packet::read(buf, MAX_PACKET) {
            Ok(packet) => return Ok(packet),
            Err(mqttbytes::Error::InsufficientBytes(_)) => {
                if reader.read_buf(buf).await.map_err(|_| Closed::Io)? == 0 {
                    return Err(Closed::Io);
                }
            }
            Err(_) => return Err(Closed::Protocol),
        }
    }
}
