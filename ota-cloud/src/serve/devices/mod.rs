//! The service's own MQTT endpoint for devices: what AWS IoT Core is to a device, without a
//! general-purpose broker. Each device connects as its thing (client id and user name the
//! thing's name, password issued by the admin API), may subscribe and publish only under
//! `{root}/things/{its name}/`, and its Jobs and Streams requests are answered by the
//! gateway straight from the durable engine; the engine's `notify` and `notify-next` go to
//! the thing's connection.
//!
//! MQTT 3.1.1 over TCP: QoS 0 and 1 from devices (a QoS 1 publish is acknowledged once it is
//! handled, so once its change is committed), delivery at QoS 0 (MQTT lets the server
//! deliver below the granted QoS), clean sessions only (a reconnecting device subscribes and
//! asks again, as after any lost message), one connection per thing (a new one closes the
//! old), keep-alive enforced at 1.5 times the client's. A publish outside the device's own
//! topics closes its connection, as AWS IoT does; a subscription outside them is refused in
//! the SUBACK.
//!
//! What it does not do: TLS or client certificates, retained messages, wills, or serve
//! anyone but devices (the admin API is HTTP).

mod credentials;
mod endpoint;
mod rules;

pub(crate) use credentials::Credentials;
pub(crate) use endpoint::Endpoint;
