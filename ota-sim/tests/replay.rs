//! A run is a pure function of its scenario and seed.

use ota_sim::{Scenario, simulate, simulate_with_replay};

fn small(seed: u64) -> Scenario {
    let mut s = Scenario::parse(Scenario::builtin("default").expect("shipped")).expect("valid");
    s.devices = 150;
    s.seed = seed;
    s
}

#[test]
fn same_seed_gives_a_byte_identical_report() {
    let a = simulate(small(5), |_, _| {}).expect("run").to_json();
    let b = simulate(small(5), |_, _| {}).expect("run").to_json();
    assert_eq!(a, b);
}

#[test]
fn another_seed_gives_another_run() {
    let a = simulate(small(5), |_, _| {}).expect("run").to_json();
    let c = simulate(small(6), |_, _| {}).expect("run").to_json();
    assert_ne!(a, c);
}

#[test]
fn the_replay_invariant_is_reported() {
    let r = simulate_with_replay(small(9), None, |_, _| {}).expect("run");
    let replay = r.invariants.last().expect("added");
    assert!(replay.name.contains("byte-identical"));
    assert!(replay.held, "{}", replay.detail);
}
