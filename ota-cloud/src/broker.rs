//! An MQTT broker inside the process (feature `broker`): [`EmbeddedBroker`], rumqttd on a
//! loopback (or any) address, for tests, the simulator and a self-hosted service that should
//! need nothing installed.
//!
//! rumqttd 0.20 drops a client that subscribes to a topic starting with `$` (its upstream
//! issue 650), so on it the gateway and the devices use another topic root than AWS's
//! `$aws` (the simulator's default is [`EMBEDDED_TOPIC_ROOT`]); everything else on the wire
//! is AWS's. Against brokers that allow `$` topics (mosquitto, AWS IoT), `$aws` works.
//!
//! What it does not do: authenticate clients, TLS, persist anything, or stop: rumqttd has
//! no shutdown, so the broker's threads live until the process exits.

use std::net::{SocketAddr, TcpListener};

use rumqttd::{Broker, Config, ConnectionSettings, RouterConfig, ServerSettings};

/// The topic root used on the embedded broker instead of `$aws`.
pub const EMBEDDED_TOPIC_ROOT: &str = "ota";

/// A running rumqttd broker speaking MQTT 3.1.1 over TCP.
#[derive(Debug, Clone, Copy)]
pub struct EmbeddedBroker {
    addr: SocketAddr,
}

/// Why the broker did not start.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum BrokerError {
    /// The address could not be bound.
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        /// The address asked for.
        addr: SocketAddr,
        /// Why.
        source: std::io::Error,
    },
    /// The broker's thread could not be started.
    #[error("cannot start the broker thread: {0}")]
    Thread(std::io::Error),
}

impl EmbeddedBroker {
    /// Start a broker listening on `addr`; port 0 takes a free port (found by binding it
    /// first, then handing it to rumqttd: another process could take it in between).
    /// Returns once the port accepts connections.
    ///
    /// `max_connections` bounds the clients at once; payloads up to 256 KiB pass.
    ///
    /// # Errors
    /// [`BrokerError::Bind`] when the address is taken or not local, [`BrokerError::Thread`].
    pub fn start(addr: SocketAddr, max_connections: usize) -> Result<Self, BrokerError> {
        let addr = TcpListener::bind(addr)
            .and_then(|l| l.local_addr())
            .map_err(|source| BrokerError::Bind { addr, source })?;
        let mut broker = Broker::new(config(addr, max_connections));
        std::thread::Builder::new()
            .name("ota-broker".into())
            .spawn(move || {
                // Runs until the process exits; a failure shows as refused connections.
                let _ = broker.start();
            })
            .map_err(BrokerError::Thread)?;
        let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
        while std::net::TcpStream::connect(addr).is_err() {
            if std::time::Instant::now() > deadline {
                return Err(BrokerError::Bind {
                    addr,
                    source: std::io::Error::other("the broker did not start listening"),
                });
            }
            std::thread::sleep(std::time::Duration::from_millis(5));
        }
        Ok(Self { addr })
    }

    /// Where it listens.
    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Its URL, `mqtt://IP:PORT`.
    pub fn url(&self) -> String {
        format!("mqtt://{}", self.addr)
    }
}

fn config(addr: SocketAddr, max_connections: usize) -> Config {
    let connections = ConnectionSettings {
        connection_timeout_ms: 60_000,
        max_payload_size: 256 * 1024,
        max_inflight_count: 1000,
        auth: None,
        external_auth: None,
        dynamic_filters: true,
    };
    let server = ServerSettings {
        name: "ota-v4".into(),
        listen: addr,
        tls: None,
        next_connection_delay_ms: 0,
        connections,
    };
    Config {
        router: RouterConfig {
            max_connections: max_connections.max(2),
            max_outgoing_packet_count: 1000,
            max_segment_size: 16 * 1024 * 1024,
            max_segment_count: 10,
            ..RouterConfig::default()
        },
        v4: Some([("1".to_string(), server)].into_iter().collect()),
        ..Config::default()
    }
}
