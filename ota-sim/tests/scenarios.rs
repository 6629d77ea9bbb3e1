//! The shipped scenarios at small size behave as their descriptions say.

use ota_core::jobs::JobExecutionStatus::Succeeded;
use ota_sim::world::{CampaignKind, Verdict};
use ota_sim::{Report, Scenario, simulate};

fn shipped(name: &str, devices: u32) -> Scenario {
    let mut s = Scenario::parse(Scenario::builtin(name).expect("shipped")).expect("valid");
    s.devices = devices;
    s
}

fn assert_invariants(r: &Report) {
    for i in &r.invariants {
        assert!(i.held, "{}: {}", i.name, i.detail);
    }
    assert!(!r.hit_horizon, "the run reached its horizon");
}

#[test]
fn default_rolls_out_through_every_stage() {
    let r = simulate(shipped("default", 300), |_, _| {}).expect("run");
    assert_invariants(&r);
    assert!(
        r.stages.iter().all(|s| s.verdict == Verdict::Passed),
        "{:?}",
        r.stages
    );
    assert_eq!(
        r.stages.len(),
        6,
        "three stages for each of two hardware types"
    );
    // Everything targeted ends final; the only failures are the tampered devices.
    assert_eq!(r.release.unfinished, 0);
    assert!(
        r.release.by_status[Succeeded] + 4 >= r.release.targeted,
        "{:?}",
        r.release
    );
    assert_eq!(r.fleet.updated, r.release.by_status[Succeeded]);
    assert!(r.time_to_finish.p100.is_some());
    assert!(
        r.fleet.power_cuts > 0,
        "2% power loss over 300 devices cuts some"
    );
    assert!(r.messages.service.blocks >= r.release.by_status[Succeeded] * 64);
}

#[test]
fn bad_release_stops_at_the_gate_and_the_rollback_restores() {
    let r = simulate(shipped("bad-release", 400), |_, _| {}).expect("run");
    assert_invariants(&r);
    let rev_b: Vec<_> = r
        .stages
        .iter()
        .filter(|s| s.hardware == "rev-b" && s.kind == CampaignKind::Release)
        .collect();
    // One stage fails its gate (the canary may be too small for `min_sample`); the ones
    // before it passed and the ones after it never start.
    let failed = rev_b
        .iter()
        .position(|s| s.verdict == Verdict::Failed)
        .expect("a rev-b gate fails");
    assert!(failed < 2, "{rev_b:?}");
    assert!(
        rev_b[..failed].iter().all(|s| s.verdict == Verdict::Passed),
        "{rev_b:?}"
    );
    assert!(
        rev_b[failed + 1..]
            .iter()
            .all(|s| s.verdict == Verdict::NotStarted),
        "{rev_b:?}"
    );
    let rev_a: Vec<_> = r.stages.iter().filter(|s| s.hardware == "rev-a").collect();
    assert!(
        rev_a.iter().all(|s| s.verdict == Verdict::Passed),
        "{rev_a:?}"
    );
    // Devices that failed the self-test rolled themselves back; the ones that passed it on
    // rev-b were restored by the rollback campaign.
    assert!(r.fleet.rolled_back > 0);
    // Exactly the rev-b devices that took the bad release are rolled back.
    let took: u64 = rev_b.iter().map(|s| s.by_status[Succeeded]).sum();
    assert!(took > 0);
    assert_eq!(r.rollback.targeted, took);
    assert_eq!(r.rollback.by_status[Succeeded], r.rollback.targeted);
    assert_eq!(r.fleet.restored, r.rollback.by_status[Succeeded]);
    assert_eq!(
        r.device_reports.get("self_test_failed").copied(),
        Some(r.fleet.rolled_back)
    );
}

#[test]
fn large_shape_at_small_size_updates_everyone() {
    let r = simulate(shipped("large", 1500), |_, _| {}).expect("run");
    assert_invariants(&r);
    assert_eq!(r.release.targeted, 1500);
    assert_eq!(r.release.by_status[Succeeded], 1500);
    assert_eq!(r.fleet.updated, 1500);
}

#[test]
fn the_cli_names_every_shipped_scenario() {
    for name in Scenario::BUILTIN {
        let text = Scenario::builtin(name).expect("listed scenarios exist");
        let s = Scenario::parse(text).expect("shipped scenarios parse");
        assert_eq!(s.name, name);
    }
    assert!(Scenario::builtin("nope").is_none());
}

#[test]
fn a_soak_longer_than_the_quiet_period_is_waited_for() {
    let mut s = shipped("default", 200);
    s.campaign.soak_minutes = 120;
    s.campaign.quiet_minutes = 10;
    let r = simulate(s, |_, _| {}).expect("run");
    assert_invariants(&r);
    assert!(
        r.stages.iter().all(|s| s.verdict == Verdict::Passed),
        "{:?}",
        r.stages
    );
    // Two soaks of two hours before each campaign's last stage.
    assert!(r.simulated_minutes > 240.0, "{}", r.simulated_minutes);
}

#[test]
fn stages_can_select_a_group_and_an_attribute() {
    let text = r#"
name = "selectors"
seed = 4
devices = 400
[image]
size = 8192
[[groups]]
name = "beta"
share = 0.1
[[attributes]]
key = "region"
values = ["eu", "us"]
[campaign]
stages = [
  { name = "beta", group = "beta" },
  { name = "eu", attribute = "region=eu" },
  { name = "rest", percent = 100.0 },
]
min_sample = 10
"#;
    let r = simulate(Scenario::parse(text).expect("valid"), |_, _| {}).expect("run");
    assert_invariants(&r);
    let sizes: Vec<u64> = r.stages.iter().map(|s| s.targeted).collect();
    assert_eq!(sizes.iter().sum::<u64>(), 400, "{sizes:?}");
    // About 10% in beta, about half of the others in eu, the rest last.
    assert!((20..=65).contains(&sizes[0]), "{sizes:?}");
    assert!((140..=220).contains(&sizes[1]), "{sizes:?}");
    assert!(
        r.stages.iter().all(|s| s.verdict == Verdict::Passed),
        "{:?}",
        r.stages
    );
    assert_eq!(r.release.by_status[Succeeded], 400);
}
