//! One test per fault kind: each fault happens, is handled, and every invariant holds.

use ota_core::jobs::JobExecutionStatus::{Failed, Rejected, Succeeded, TimedOut};
use ota_sim::{Report, Scenario, World, simulate};

fn base(faults: &str, extra: &str) -> Scenario {
    let text = format!(
        r#"
name = "fault"
seed = 11
devices = 120
[image]
size = 16384
block_size = 1024
[release]
version = "1.1.0"
{extra}
[campaign]
rollout_per_minute = 300
min_sample = 1000
in_progress_timeout_minutes = 20
retries = 2
[faults]
{faults}
"#
    );
    Scenario::parse(&text).expect("valid scenario")
}

fn assert_invariants(r: &Report) {
    for i in &r.invariants {
        assert!(i.held, "{}: {}", i.name, i.detail);
    }
}

#[test]
fn message_loss_duplication_and_reordering() {
    let mut s = base("", "");
    s.network.loss = 0.1;
    s.network.duplicate = 0.1;
    s.network.latency_min_ms = 5;
    s.network.latency_max_ms = 2_000;
    let r = simulate(s, |_, _| {}).expect("run");
    assert_invariants(&r);
    assert_eq!(r.release.by_status[Succeeded], 120, "{:?}", r.release);
    // Duplicates reach devices: more deliveries than blocks served plus replies.
    assert!(r.messages.down > r.messages.service.blocks);
}

#[test]
fn power_loss_during_updates() {
    let r = simulate(base("power_loss = 1.0", ""), |_, _| {}).expect("run");
    assert_invariants(&r);
    // One cut per device, anywhere in its update: some land after activation, on the trial
    // boot, and the bootloader goes back to the old image; the retry then succeeds.
    assert_eq!(r.fleet.power_cuts, 120, "{:?}", r.fleet);
    assert!(
        r.device_reports
            .get("rolled_back_by_bootloader")
            .copied()
            .unwrap_or(0)
            > 0,
        "{:?}",
        r.device_reports
    );
    assert_eq!(r.release.by_status[Succeeded], 120, "{:?}", r.release);
}

#[test]
fn offline_windows() {
    let r = simulate(base("offline = 0.5\noffline_minutes = 15", ""), |_, _| {}).expect("run");
    assert_invariants(&r);
    assert_eq!(r.release.targeted, 120);
    // Every device either finished or is listed with why.
    assert_eq!(
        r.release.by_status[Succeeded]
            + r.release.by_status[TimedOut]
            + r.release.by_status[Failed]
            + r.unreachable.len() as u64,
        120,
        "{:?} {:?}",
        r.release,
        r.unreachable
    );
}

#[test]
fn failing_self_tests_roll_back() {
    let mut s = base("", "");
    s.hardware[0].self_test_failure = 1.0;
    s.campaign.retries = 0;
    let r = simulate(s, |_, _| {}).expect("run");
    assert_invariants(&r);
    assert_eq!(r.fleet.updated, 0);
    assert_eq!(r.fleet.rolled_back, 120, "{:?}", r.fleet);
    assert_eq!(r.release.by_status[Failed], 120);
    assert_eq!(r.device_reports.get("self_test_failed"), Some(&120));
}

#[test]
fn corrupted_blocks_fail_the_hash_and_are_retried() {
    let r = simulate(base("corrupt_block = 0.01", ""), |_, _| {}).expect("run");
    assert_invariants(&r);
    assert!(r.messages.service.corrupted_blocks > 0);
    assert!(
        r.device_reports
            .get("image_hash_mismatch")
            .copied()
            .unwrap_or(0)
            > 0,
        "{:?}",
        r.device_reports
    );
    // Retries get the rest through; no corrupted image ever runs (first invariant).
    assert!(r.release.by_status[Succeeded] >= 110, "{:?}", r.release);
}

#[test]
fn a_tampered_image_is_never_installed() {
    let r = simulate(base("tampered_image_devices = 5", ""), |_, _| {}).expect("run");
    assert_invariants(&r);
    assert_eq!(r.fleet.tampered, 5);
    assert_eq!(r.release.by_status[Failed], 5, "{:?}", r.release);
    assert_eq!(r.fleet.unchanged, 5);
    // Three attempts each (two retries), all refused.
    assert_eq!(r.device_reports.get("image_hash_mismatch"), Some(&15));
}

#[test]
fn wrong_hardware_is_filtered_or_rejected() {
    let r = simulate(base("wrong_hardware = 0.3", ""), |_, _| {}).expect("run");
    assert_invariants(&r);
    let excluded = r
        .excluded
        .get("no release for its registered hardware")
        .copied()
        .unwrap_or(0);
    let rejected = r.device_reports.get("wrong_hardware").copied().unwrap_or(0);
    assert!(
        excluded > 0 && rejected > 0,
        "{:?} {:?}",
        r.excluded,
        r.device_reports
    );
    assert_eq!(r.release.by_status[Rejected], rejected);
    assert_eq!(r.fleet.updated + excluded + rejected, 120);
}

#[test]
fn below_min_version_is_filtered_or_rejected() {
    let r = simulate(
        base("below_min_version = 0.3", "min_version = \"1.0.0\""),
        |_, _| {},
    )
    .expect("run");
    assert_invariants(&r);
    // Refused by the campaign (the catalog's `requires`), with the catalog's reason.
    let excluded: u64 = r
        .excluded
        .iter()
        .filter(|(k, _)| k.contains("1.0.0"))
        .map(|(_, v)| v)
        .sum();
    let rejected = r
        .device_reports
        .get("running_version_too_old")
        .copied()
        .unwrap_or(0);
    assert!(
        excluded > 0 && rejected > 0,
        "{:?} {:?}",
        r.excluded,
        r.device_reports
    );
    assert_eq!(r.fleet.updated + excluded + rejected, 120);
}

#[test]
fn the_image_invariants_catch_a_corrupted_device() {
    let mut world = World::new(base("", "")).expect("world");
    world.run(|_, _| {});
    assert!(world.report().all_invariants_hold());
    world.devices[3].storage.corrupt_running_image();
    let r = world.report();
    let failed: Vec<_> = r
        .invariants
        .iter()
        .filter(|i| !i.held)
        .map(|i| i.name.as_str())
        .collect();
    assert_eq!(failed.len(), 2, "{failed:?}");
    assert!(
        failed[0].contains("signed image") && failed[1].contains("bootable"),
        "{failed:?}"
    );
}

#[test]
fn devices_offline_longer_than_the_quiet_period_are_waited_for() {
    let mut s = base("offline = 0.3\noffline_minutes = 90", "");
    s.campaign.quiet_minutes = 20;
    s.campaign.in_progress_timeout_minutes = 200;
    let r = simulate(s, |_, _| {}).expect("run");
    assert_invariants(&r);
    // Offline windows start within the first two hours; every device comes back and
    // finishes, none is left as unreachable.
    assert!(r.unreachable.is_empty(), "{:?}", r.unreachable);
    assert_eq!(r.release.by_status[Succeeded], 120, "{:?}", r.release);
}
