//! The real transport end to end, with nothing installed: an embedded rumqttd broker on
//! loopback, `ota-cloud`'s gateway on it (`gateway::mqtt`), and device runners
//! (`ota_device::runner`) on power-safe file storage in temporary directories, each taking
//! a signed update from notification to a committed image over real MQTT connections.
#![allow(clippy::std_instead_of_core)]

mod common;

use std::time::Duration;

use ota_cloud::broker::{EMBEDDED_TOPIC_ROOT, EmbeddedBroker};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn devices_update_over_an_embedded_broker() {
    let broker = EmbeddedBroker::start("127.0.0.1:0".parse().unwrap(), 64).unwrap();
    let addr = broker.addr();
    let fleet = common::Fleet::start(
        4,
        100_000,
        &addr.ip().to_string(),
        addr.port(),
        EMBEDDED_TOPIC_ROOT,
    )
    .await;
    fleet
        .update_all(&broker.url(), EMBEDDED_TOPIC_ROOT, Duration::from_secs(120))
        .await;
    let stats = fleet.gateway.stats();
    assert!(stats.gateway.blocks >= (4 * fleet.firmware.len() / 4096) as u64);
    assert_eq!(stats.shed, 0);
    assert!(stats.notifications >= 4);
}
