//! A deterministic fleet simulator binding `ota-device` and `ota-cloud`.
//!
//! Thousands of real [`ota_device::Client`]s, each over its own simulated flash, talk over a
//! simulated network (latency, loss, duplication, reordering, offline windows) to the
//! in-memory [`ota_cloud::Engine`] behind an MQTT responder that speaks the AWS IoT Jobs and
//! Streams APIs. Campaigns roll a signed release out in stages with gates; faults (power
//! cuts, failing self-tests, corrupted blocks, a tampered image, misfit devices) are injected
//! from the scenario's seed. At the end the run is checked against invariants and reported.
//!
//! ```no_run
//! let scenario = ota_sim::Scenario::parse(ota_sim::Scenario::builtin("default").unwrap()).unwrap();
//! let report = ota_sim::simulate(scenario, |_minute, _finished| {}).unwrap();
//! assert!(report.all_invariants_hold());
//! ```
//!
//! Everything happens in one thread on a virtual clock: a run is a pure function of its
//! scenario (seed included), so [`simulate_with_replay`] can check that a second run gives a
//! byte-identical JSON report.

pub mod device;
pub mod net;
pub mod release;
pub mod report;
pub mod responder;
pub mod rng;
pub mod scenario;
pub mod storage;
pub mod trust;
pub mod world;

pub use release::{KeyError, Keys};
pub use report::{Invariant, Report};
pub use scenario::{Scenario, ScenarioError};
pub use world::{LiveError, LiveOptions, World};

/// Run `scenario` to its end and report, with a release key drawn from the seed.
/// `progress` is called now and then with (simulated minutes, devices that reported a final
/// status).
///
/// # Errors
/// [`KeyError`] if the release key cannot be made.
pub fn simulate(scenario: Scenario, progress: impl FnMut(u64, u64)) -> Result<Report, KeyError> {
    simulate_signed(scenario, None, progress)
}

/// [`simulate`], with the release signed by the private key in `key_pem` (OpenSSL PEM, as
/// `ota-cloud keygen` writes it) when given.
///
/// # Errors
/// [`KeyError`] if the key cannot be loaded.
pub fn simulate_signed(
    scenario: Scenario,
    key_pem: Option<&str>,
    progress: impl FnMut(u64, u64),
) -> Result<Report, KeyError> {
    let mut world = world(scenario, key_pem)?;
    world.run(progress);
    Ok(world.report())
}

/// [`simulate_signed`], and the same scenario again on a second thread at the same time, then
/// add the replay invariant: both JSON reports are byte-identical. The second run costs
/// another core (and the memory of a second world), not twice the wall time; nothing is
/// shared between the two runs but the scenario and the key.
///
/// # Errors
/// [`KeyError`] if the key cannot be loaded.
pub fn simulate_with_replay(
    scenario: Scenario,
    key_pem: Option<&str>,
    mut progress: impl FnMut(u64, u64),
) -> Result<Report, KeyError> {
    let replay = scenario.clone();
    let (first, second) = std::thread::scope(|scope| {
        let second = scope.spawn(move || {
            simulate_signed(replay, key_pem, |_, _| {}).map(|report| report.to_json())
        });
        let first = simulate_signed(scenario, key_pem, &mut progress);
        // A panic in the replay is the simulator's bug: raise it here, as a sequential
        // replay would have.
        let second = second
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (first, second)
    });
    let mut report = first?;
    let first = report.to_json();
    let second = second?;
    let same = first == second;
    report.invariants.push(Invariant {
        name: "the same seed gives a byte-identical JSON report".into(),
        held: same,
        detail: if same {
            format!("replayed: {} identical bytes", first.len())
        } else {
            let at = first
                .bytes()
                .zip(second.bytes())
                .position(|(a, b)| a != b)
                .unwrap_or(first.len().min(second.len()));
            format!("replay differs from byte {at}")
        },
    });
    Ok(report)
}

/// [`simulate_signed`] over a real MQTT broker (embedded, or the one `options` name): every
/// device an `ota_device::runner` on its own connection, the service behind `ota-cloud`'s
/// MQTT gateway, the service clock sped up. See [`world::LiveOptions`] for what differs
/// from the simulated network; a live run does not replay byte for byte.
///
/// # Errors
/// [`LiveError`] when the key cannot be loaded, or the broker or the gateway cannot start.
pub async fn simulate_live(
    scenario: Scenario,
    key_pem: Option<&str>,
    options: &LiveOptions,
    progress: impl FnMut(u64, u64),
) -> Result<Report, LiveError> {
    let mut world = world(scenario, key_pem)?;
    world.run_live(options, progress).await?;
    Ok(world.report())
}

/// The world of `scenario`, signed by `key_pem` when given.
fn world(scenario: Scenario, key_pem: Option<&str>) -> Result<World, KeyError> {
    match key_pem {
        Some(_) if scenario.trust.is_some() => Err(KeyError::TrustScenario),
        Some(pem) => Ok(World::with_keys(scenario, Keys::from_pem(pem)?)),
        None => World::new(scenario),
    }
}
