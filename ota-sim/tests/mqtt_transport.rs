//! `ota-sim run --transport mqtt` as a library call: the same scenario over real MQTT
//! connections (an embedded broker on loopback, the gateway, a runner per device) ends as it
//! does over the simulated network, with the same invariants checked.
#![allow(clippy::std_instead_of_core)]

use ota_sim::world::{CampaignKind, Verdict};
use ota_sim::{LiveOptions, Report, Scenario, simulate, simulate_live};

fn assert_invariants(r: &Report) {
    for i in &r.invariants {
        assert!(i.held, "{}: {}", i.name, i.detail);
    }
    assert!(!r.hit_horizon, "the run reached its horizon");
}

fn options(speed: u32) -> LiveOptions {
    LiveOptions {
        speed,
        ..LiveOptions::embedded()
    }
}

/// The default scenario at 80 devices with every device fault that does not depend on
/// timing (power cuts, failing self-tests, tampered images, misfits), and no network faults:
/// what each device ends with is decided by the seed, whatever the transport.
fn faulty_fleet() -> Scenario {
    let mut s = Scenario::parse(Scenario::builtin("default").expect("shipped")).expect("valid");
    s.devices = 80;
    s.network.loss = 0.0;
    s.network.duplicate = 0.0;
    s.faults.corrupt_block = 0.0;
    s.faults.offline = 0.0;
    s.faults.power_loss = 0.15;
    s.faults.wrong_hardware = 0.03;
    s.faults.below_min_version = 0.03;
    s.hardware[0].self_test_failure = 0.05;
    s.check().expect("valid");
    s
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_scenario_over_mqtt_ends_as_over_the_simulated_network() {
    let scenario = faulty_fleet();
    let simulated = simulate(scenario.clone(), |_, _| {}).expect("simulated run");
    let live = simulate_live(scenario, None, &options(120), |_, _| {})
        .await
        .expect("live run");
    assert_invariants(&simulated);
    assert_invariants(&live);
    assert_eq!(simulated.transport, "simulated");
    assert!(
        live.transport.starts_with("mqtt mqtt://127.0.0.1:"),
        "{}",
        live.transport
    );
    // The faults fired: without them the comparison proves little.
    assert!(live.fleet.power_cuts > 0, "{:?}", live.fleet);
    assert!(live.fleet.tampered > 0, "{:?}", live.fleet);
    assert!(live.fleet.rolled_back > 0, "{:?}", live.fleet);
    // Same devices targeted, same final statuses, same images on the devices.
    assert_eq!(live.release, simulated.release);
    assert_eq!(live.excluded, simulated.excluded);
    let fleet = |r: &Report| {
        let f = r.fleet;
        (
            f.updated,
            f.rolled_back,
            f.unchanged,
            f.power_cuts,
            f.tampered,
        )
    };
    assert_eq!(fleet(&live), fleet(&simulated));
    let stages = |r: &Report| {
        r.stages
            .iter()
            .map(|s| (s.stage.clone(), s.hardware.clone(), s.targeted, s.verdict))
            .collect::<Vec<_>>()
    };
    assert_eq!(stages(&live), stages(&simulated));
    // Messages are counted at the gateway.
    let service = live.messages.service;
    assert!(service.blocks >= 64 * live.fleet.updated, "{service:?}");
    assert!(live.messages.up >= service.jobs_requests + service.stream_requests);
    assert!(live.messages.bytes_down > 64 * 1024 * live.fleet.updated);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_bad_release_is_stopped_at_its_gate_over_mqtt() {
    let mut scenario =
        Scenario::parse(Scenario::builtin("bad-release").expect("shipped")).expect("valid");
    scenario.devices = 150;
    let r = simulate_live(scenario, None, &options(120), |_, _| {})
        .await
        .expect("live run");
    assert_invariants(&r);
    let release = |hw: &str| -> Vec<Verdict> {
        r.stages
            .iter()
            .filter(|s| s.hardware == hw && s.kind == CampaignKind::Release)
            .map(|s| s.verdict)
            .collect()
    };
    assert_eq!(release("rev-a"), [Verdict::Passed; 3], "{:?}", r.stages);
    let rev_b = release("rev-b");
    let failed = rev_b
        .iter()
        .position(|v| *v == Verdict::Failed)
        .unwrap_or_else(|| panic!("a rev-b gate fails: {rev_b:?}"));
    assert!(rev_b[..failed].iter().all(|v| *v == Verdict::Passed));
    assert!(
        rev_b[failed + 1..]
            .iter()
            .all(|v| *v == Verdict::NotStarted)
    );
    assert!(r.fleet.rolled_back > 0, "{:?}", r.fleet);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn bad_options_are_refused_before_anything_starts() {
    let scenario = faulty_fleet();
    let slow = LiveOptions {
        speed: 0,
        ..LiveOptions::embedded()
    };
    let err = simulate_live(scenario.clone(), None, &slow, |_, _| {})
        .await
        .unwrap_err();
    assert_eq!(err.to_string(), "speed must be 1 to 600, not 0");
    let tls = LiveOptions {
        broker: Some("mqtts://127.0.0.1:8883".into()),
        ..LiveOptions::embedded()
    };
    let err = simulate_live(scenario, None, &tls, |_, _| {})
        .await
        .unwrap_err();
    assert_eq!(
        err.to_string(),
        "broker `mqtts://127.0.0.1:8883`: expected mqtt://HOST:PORT"
    );
}
