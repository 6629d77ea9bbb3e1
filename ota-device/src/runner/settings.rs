//! Where and how the runner connects: [`MqttSettings`], parsed from a broker URL.

use std::prelude::rust_2024::*;
use std::sync::Arc;
use std::time::Duration;

use rumqttc::{MqttOptions, Transport};

use super::error::RunnerError;
use super::tls::TlsFiles;

/// How to reach the broker and who to be there.
///
/// Built with [`MqttSettings::new`] from a URL (`mqtt://HOST:PORT`, `mqtts://HOST:PORT`,
/// `ws://HOST:PORT/PATH`, `wss://HOST:PORT/PATH`); the fields then adjust it.
#[derive(Debug, Clone)]
pub struct MqttSettings {
    /// The broker URL as given.
    pub url: String,
    /// The MQTT client id: on AWS IoT Core, the thing name (a policy usually requires it).
    pub client_id: String,
    /// TLS for `mqtts://` and `wss://`: the CA to trust and the client certificate and key
    /// (as AWS IoT Core authenticates devices). Required for those schemes.
    pub tls: Option<TlsFiles>,
    /// ALPN protocols offered in the TLS handshake: AWS IoT Core takes MQTT on port 443 with
    /// `x-amzn-mqtt-ca`.
    pub alpn: Vec<String>,
    /// The `Host` header of the WebSocket upgrade, when it must differ from the URL's host
    /// (an emulator reached through 127.0.0.1 that routes by host name).
    pub ws_host: Option<String>,
    /// MQTT keep-alive.
    pub keep_alive: Duration,
    /// Largest MQTT packet accepted or sent.
    pub max_packet: usize,
    /// Start with a clean session. Off by default: the broker keeps the subscriptions and the
    /// QoS 1 messages for the device across reconnects.
    pub clean_session: bool,
    /// MQTT user name and password (`ota-cloud serve`'s endpoint takes the thing name and
    /// the password its API issued; AWS IoT Core authenticates by certificate instead).
    pub credentials: Option<(String, String)>,
    /// First wait before reconnecting after a connection failure.
    pub reconnect_min: Duration,
    /// Longest wait between reconnect attempts (the wait doubles up to it, with jitter).
    pub reconnect_max: Duration,
}

/// A parsed broker URL.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Scheme {
    Mqtt,
    Mqtts,
    Ws,
    Wss,
}

impl MqttSettings {
    /// Settings for `url` as `client_id`, with defaults: 30 s keep-alive, 256 KiB packets,
    /// persistent session, reconnects from 1 s doubling to 60 s.
    pub fn new(url: impl Into<String>, client_id: impl Into<String>) -> Self {
        Self {
            url: url.into(),
            client_id: client_id.into(),
            tls: None,
            alpn: Vec::new(),
            ws_host: None,
            keep_alive: Duration::from_secs(30),
            max_packet: 256 * 1024,
            clean_session: false,
            credentials: None,
            reconnect_min: Duration::from_secs(1),
            reconnect_max: Duration::from_secs(60),
        }
    }

    /// The rumqttc options these settings describe.
    ///
    /// # Errors
    /// [`RunnerError::BadUrl`] for a URL that is not one of the four schemes with a host and
    /// port, [`RunnerError::Tls`] for TLS files that cannot be read or used, or a TLS scheme
    /// without [`MqttSettings::tls`].
    pub fn mqtt_options(&self) -> Result<MqttOptions, RunnerError> {
        let (scheme, host, port) = parse_url(&self.url)?;
        let address = match scheme {
            Scheme::Mqtt | Scheme::Mqtts => host.to_string(),
            // rumqttc takes the whole URL as the address of a WebSocket broker.
            Scheme::Ws | Scheme::Wss => self.url.clone(),
        };
        let mut options = MqttOptions::new(&self.client_id, address, port);
        options
            .set_keep_alive(self.keep_alive)
            .set_max_packet_size(self.max_packet, self.max_packet)
            .set_clean_session(self.clean_session);
        if let Some((username, password)) = &self.credentials {
            options.set_credentials(username, password);
        }
        let tls = || -> Result<_, RunnerError> {
            let files = self.tls.as_ref().ok_or(RunnerError::Tls(
                "a mqtts:// or wss:// broker needs a CA (and usually a client certificate)".into(),
            ))?;
            Ok(rumqttc::TlsConfiguration::Rustls(Arc::new(
                files.client_config(&self.alpn)?,
            )))
        };
        match scheme {
            Scheme::Mqtt => {}
            Scheme::Mqtts => {
                options.set_transport(Transport::tls_with_config(tls()?));
            }
            Scheme::Ws => {
                options.set_transport(Transport::Ws);
            }
            Scheme::Wss => {
                options.set_transport(Transport::wss_with_config(tls()?));
            }
        }
        if let Some(host) = self.ws_host.clone() {
            let value = http::HeaderValue::from_str(&host)
                .map_err(|_| RunnerError::BadUrl(format!("bad WebSocket Host header {host:?}")))?;
            options.set_request_modifier(move |mut request: http::Request<()>| {
                request
                    .headers_mut()
                    .insert(http::header::HOST, value.clone());
                async move { request }
            });
        }
        Ok(options)
    }
}

/// `scheme://host:port[/path]` split into its scheme, host and port (the scheme's usual port
/// when none is written: 1883, 8883, 80, 443).
pub(super) fn parse_url(url: &str) -> Result<(Scheme, &str, u16), RunnerError> {
    let bad = || RunnerError::BadUrl(url.to_string());
    let (scheme, rest) = url.split_once("://").ok_or_else(bad)?;
    let (scheme, default_port) = match scheme {
        "mqtt" | "tcp" => (Scheme::Mqtt, 1883),
        "mqtts" | "ssl" => (Scheme::Mqtts, 8883),
        "ws" => (Scheme::Ws, 80),
        "wss" => (Scheme::Wss, 443),
        _ => return Err(bad()),
    };
    let authority = rest.split(['/', '?']).next().unwrap_or_default();
    let (host, port) = match authority.rsplit_once(':') {
        Some((host, port)) if !host.ends_with(']') || authority.starts_with('[') => {
            (host, port.parse().map_err(|_| bad())?)
        }
        _ => (authority, default_port),
    };
    let host = host.trim_start_matches('[').trim_end_matches(']');
    if host.is_empty() {
        return Err(bad());
    }
    Ok((scheme, host, port))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_give_scheme_host_and_port() {
        assert_eq!(
            parse_url("mqtt://127.0.0.1:1883").unwrap(),
            (Scheme::Mqtt, "127.0.0.1", 1883)
        );
        assert_eq!(
            parse_url("mqtts://a.iot.us-east-1.amazonaws.com").unwrap(),
            (Scheme::Mqtts, "a.iot.us-east-1.amazonaws.com", 8883)
        );
        assert_eq!(
            parse_url("ws://localhost:4566/mqtt?x=1").unwrap(),
            (Scheme::Ws, "localhost", 4566)
        );
        assert_eq!(
            parse_url("wss://[::1]:443/mqtt").unwrap(),
            (Scheme::Wss, "::1", 443)
        );
    }

    #[test]
    fn bad_urls_are_typed_errors() {
        for url in [
            "",
            "127.0.0.1:1883",
            "http://x",
            "mqtt://",
            "mqtt://h:port",
            "mqtt://h:99999",
        ] {
            assert!(
                matches!(parse_url(url), Err(RunnerError::BadUrl(_))),
                "{url}"
            );
        }
    }

    #[test]
    fn tls_schemes_need_tls_files() {
        let settings = MqttSettings::new("mqtts://h:8883", "t");
        assert!(matches!(settings.mqtt_options(), Err(RunnerError::Tls(_))));
        assert!(
            MqttSettings::new("ws://h:80/mqtt", "t")
                .mqtt_options()
                .is_ok()
        );
    }

    #[test]
    fn a_bad_ws_host_is_refused() {
        let mut settings = MqttSettings::new("ws://h:80/mqtt", "t");
        settings.ws_host = Some("bad\nhost".into());
        assert!(matches!(
            settings.mqtt_options(),
            Err(RunnerError::BadUrl(_))
        ));
    }
}
