//! The conformance suite against the in-memory engine behind the async traits.

use ota_cloud::service::conformance::{Suite, run};
use ota_cloud::{InMemory, ManualClock, Settings};

#[tokio::test]
async fn in_memory_engine_passes_the_conformance_suite() {
    let service = InMemory::new(ManualClock::new(1_800_000_000_000), Settings::default());
    // Rollout runs at up to 1000 per minute: move the clock a minute with every step.
    let advance = |ms: u64| service.clock().advance(ms);
    let checks = run(
        &service,
        advance,
        Suite {
            prefix: "c-",
            timing: true,
        },
    )
    .await;
    assert!(checks.len() >= 13);
    let failed: Vec<_> = checks.iter().filter(|c| c.result.is_err()).collect();
    assert!(failed.is_empty(), "{failed:#?}");
}
