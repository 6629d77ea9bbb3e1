//! The shipped `stress` and `stress-harsh` scenarios: 1,000 devices on a network that loses,
//! duplicates and reorders messages (latency up to 2 s), with power cuts and offline windows.
//! Every targeted device must still reach a final status, whatever the seed.
//!
//! The default test runs the seeds that failed before replies were matched to their requests
//! (a late empty `$next/get` reply made a device drop its job and stay QUEUED). The ignored
//! test runs many seeds; CI runs it in release:
//!
//! ```sh
//! STRESS_SEEDS=100 cargo test --release -p ota-sim --test stress -- --ignored
//! ```

use ota_sim::{Report, Scenario, simulate};

fn shipped(name: &str, seed: u64) -> Scenario {
    let mut s = Scenario::parse(Scenario::builtin(name).expect("shipped")).expect("valid");
    s.seed = seed;
    s
}

/// The invariants that failed, with the scenario and seed that replays them.
fn violations(name: &str, seed: u64, r: &Report) -> Vec<String> {
    let mut out: Vec<String> = r
        .invariants
        .iter()
        .filter(|i| !i.held)
        .map(|i| format!("{name} --seed {seed}: {}: {}", i.name, i.detail))
        .collect();
    if r.hit_horizon {
        out.push(format!("{name} --seed {seed}: the run reached its horizon"));
    }
    out
}

fn run(name: &str, seed: u64) -> Vec<String> {
    let r = simulate(shipped(name, seed), |_, _| {}).expect("run");
    assert!(
        r.release.targeted > 0,
        "{name} --seed {seed}: nothing was targeted"
    );
    violations(name, seed, &r)
}

#[test]
fn the_seeds_that_stranded_a_device_now_finish() {
    // Measured on the client before the fix, seeds 1..=100: `stress` failed with 67 and 88,
    // `stress-harsh` with 22 seeds, the first 6, 9 and 12.
    let mut failed = Vec::new();
    for (name, seed) in [("stress", 67), ("stress-harsh", 6), ("stress-harsh", 9)] {
        failed.extend(run(name, seed));
    }
    assert!(failed.is_empty(), "{failed:#?}");
}

#[test]
#[ignore = "many seeds: run in release (see the module docs)"]
fn every_seed_finishes() {
    let seeds: u64 = std::env::var("STRESS_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let mut failed = Vec::new();
    for name in ["stress", "stress-harsh"] {
        for seed in 1..=seeds {
            failed.extend(run(name, seed));
        }
    }
    assert!(failed.is_empty(), "{} failures: {failed:#?}", failed.len());
}
