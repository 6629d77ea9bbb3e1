//! The shipped `stress` and `stress-harsh` scenarios: 1,000 devices on a network that loses,
//! duplicates and reorders messages (latency up to 2 s), with power cuts and offline windows.
//! Every targeted device must still reach a final status, whatever the seed.
//!
//! The default test runs the seeds that failed before replies were matched to their requests
//! (a late empty `$next/get` reply made a device drop its job and stay QUEUED). The ignored
//! test runs many seeds, spread over the machine's cores; CI runs 100 of each:
//!
//! ```sh
//! STRESS_SEEDS=100 cargo test -p ota-sim --test stress -- --ignored
//! ```

use std::sync::atomic::{AtomicUsize, Ordering};

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
#[ignore = "many seeds: CI runs it (see the module docs)"]
fn every_seed_finishes() {
    let seeds: u64 = std::env::var("STRESS_SEEDS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(100);
    let runs: Vec<(&str, u64)> = ["stress", "stress-harsh"]
        .into_iter()
        .flat_map(|name| (1..=seeds).map(move |seed| (name, seed)))
        .collect();
    // Each run is deterministic and independent: spread them over the machine's cores.
    let next = AtomicUsize::new(0);
    let workers = std::thread::available_parallelism().map_or(1, |n| n.get());
    let mut failed: Vec<String> = std::thread::scope(|scope| {
        let handles: Vec<_> = (0..workers)
            .map(|_| {
                scope.spawn(|| {
                    let mut failed = Vec::new();
                    while let Some(&(name, seed)) = runs.get(next.fetch_add(1, Ordering::Relaxed)) {
                        failed.extend(run(name, seed));
                    }
                    failed
                })
            })
            .collect();
        handles
            .into_iter()
            .flat_map(|h| h.join().expect("a stress worker panicked"))
            .collect()
    });
    failed.sort();
    assert!(failed.is_empty(), "{} failures: {failed:#?}", failed.len());
}
