//! `[trust]` scenarios: a rotation in the middle of a campaign, and a stolen release key
//! that the threshold stops (and that the rotation revokes).

use ota_sim::{Report, Scenario, simulate};

fn key_rotation(edit: impl FnOnce(&mut Scenario)) -> Report {
    let mut s =
        Scenario::parse(Scenario::builtin("key-rotation").expect("shipped")).expect("valid");
    s.devices = 300;
    edit(&mut s);
    s.check().expect("still valid");
    simulate(s, |_, _| {}).expect("run")
}

fn invariant<'a>(r: &'a Report, name: &str) -> &'a ota_sim::report::Invariant {
    r.invariants
        .iter()
        .find(|i| i.name == name)
        .unwrap_or_else(|| panic!("no invariant {name}"))
}

const BELOW: &str = "no device installed a release signed below the threshold";
const KEPT: &str = "every device that reported the rotation holds root 2 in its record";

#[test]
fn a_rotation_mid_campaign_and_a_stolen_key_stopped_by_the_threshold() {
    let r = key_rotation(|_| {});
    for i in &r.invariants {
        assert!(i.held, "{}: {}", i.name, i.detail);
    }
    let trust = r.trust.as_ref().expect("a trust report");
    // Every device took the release and the rotation, through power cuts.
    assert_eq!(r.fleet.updated, 300);
    assert!(r.fleet.power_cuts > 0);
    assert_eq!(trust.roots.get("2"), Some(&300), "{:?}", trust.roots);
    let rotation = trust.rotation.as_ref().expect("rotation made");
    assert_eq!(rotation.by_result.get("succeeded"), Some(&300));
    // The rotation came while the campaign was running: some devices finished the release
    // after it was made.
    let p100 = r.time_to_finish.p100.expect("finished");
    assert!(
        (rotation.minute as f64) < p100,
        "{} / {p100}",
        rotation.minute
    );
    // The attack before the rotation is refused below the threshold, the one after it
    // because key 1 is no longer trusted; nothing was installed.
    assert_eq!(trust.attacks.len(), 2);
    assert_eq!(trust.attacks[0].by_result.get("below_threshold"), Some(&40));
    assert_eq!(trust.attacks[1].by_result.get("unknown_key"), Some(&40));
    assert_eq!(trust.compromised, 0);
    assert!(invariant(&r, BELOW).held);
}

#[test]
fn with_a_threshold_of_one_the_stolen_key_installs_until_the_rotation_revokes_it() {
    let r = key_rotation(|s| s.trust.as_mut().expect("trust").threshold = 1);
    let trust = r.trust.as_ref().expect("a trust report");
    // The first attack gets in: the invariant names the devices it took over ...
    assert!(trust.compromised > 0, "{trust:?}");
    assert_eq!(
        trust.attacks[0].by_result.get("succeeded"),
        Some(&40),
        "{trust:?}"
    );
    let below = invariant(&r, BELOW);
    assert!(!below.held, "{}", below.detail);
    // ... and the second, after the rotation revoked key 1, does not.
    assert_eq!(trust.attacks[1].by_result.get("unknown_key"), Some(&40));
    assert_eq!(trust.compromised, 40);
    assert!(invariant(&r, KEPT).held);
}

#[test]
fn without_a_rotation_the_root_stays_and_the_stolen_key_stays_below_the_threshold() {
    let r = key_rotation(|s| s.trust.as_mut().expect("trust").rotate_at_minute = None);
    let trust = r.trust.as_ref().expect("a trust report");
    assert!(trust.rotation.is_none());
    assert_eq!(trust.roots.get("1"), Some(&300));
    for attack in &trust.attacks {
        assert_eq!(attack.by_result.get("below_threshold"), Some(&40));
    }
    assert!(invariant(&r, BELOW).held);
}

#[test]
fn a_plain_scenario_has_no_trust_report() {
    let mut s = Scenario::parse(Scenario::builtin("default").expect("shipped")).expect("valid");
    s.devices = 20;
    let r = simulate(s, |_, _| {}).expect("run");
    assert!(r.trust.is_none());
    assert!(!r.to_json().contains("\"trust\""));
}

#[test]
fn an_operator_key_is_refused_for_a_trust_scenario() {
    let s = Scenario::parse(Scenario::builtin("key-rotation").expect("shipped")).expect("valid");
    let refused = ota_sim::simulate_signed(s, Some("any PEM"), |_, _| {});
    assert!(
        matches!(refused, Err(ota_sim::KeyError::TrustScenario)),
        "{:?}",
        refused.err()
    );
}
