//! One job over a million things: create the fleet and the job, admit every target at the
//! rollout rate, and drive every execution to a terminal status through the device plane
//! (`IN_PROGRESS`, then `SUCCEEDED`). Reports data-plane updates per second, and prints the
//! heap bytes per execution (counted by the global allocator) with and without the event
//! log's per-execution entries.
//!
//! `cargo bench -p ota-cloud --bench engine_scale`

use std::alloc::System;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ota_cloud::jobs::model::{JobSpec, RolloutConfig, Target, UpdateExecution};
use ota_cloud::{Engine, Settings};
use ota_core::jobs::JobExecutionStatus;
use stats_alloc::{INSTRUMENTED_SYSTEM, Region, StatsAlloc};

#[global_allocator]
static GLOBAL: &StatsAlloc<System> = &INSTRUMENTED_SYSTEM;

const THINGS: usize = 1_000_000;
const T0: u64 = 1_800_000_000_000;

fn names() -> Vec<String> {
    (0..THINGS).map(|i| format!("thing-{i:07}")).collect()
}

/// A fleet of `names` in one group and a job over it, every target admitted.
fn admitted(names: &[String], keep_events: bool) -> Engine {
    let mut settings = Settings::default();
    settings.keep_execution_events = keep_events;
    let mut e = Engine::new(T0, settings);
    e.create_group("fleet", None).unwrap();
    for name in names {
        e.create_thing(name, &[]).unwrap();
        e.add_thing_to_group("fleet", name).unwrap();
    }
    let mut spec = JobSpec::new(
        "million",
        vec![Target::Group("fleet".into())],
        r#"{"operation":"firmware_update"}"#,
    );
    spec.job_executions_rollout_config = Some(RolloutConfig::per_minute(1000));
    e.create_job(spec).unwrap();
    // 1000 per minute: 1000 minutes of simulated time.
    e.advance(T0 + 1001 * 60_000);
    while e.poll_notification().is_some() {}
    e
}

fn net(region: &Region<'_, System>) -> f64 {
    let s = region.change();
    s.bytes_allocated as f64 - s.bytes_deallocated as f64
}

fn memory_report(names: &[String]) {
    for keep in [false, true] {
        let region = Region::new(GLOBAL);
        let mut e = admitted(names, keep);
        let admitted_bytes = net(&region);
        let in_progress = UpdateExecution::new(JobExecutionStatus::InProgress);
        let succeeded = UpdateExecution::new(JobExecutionStatus::Succeeded);
        for name in names {
            e.update_execution(name, "million", &in_progress).unwrap();
            e.update_execution(name, "million", &succeeded).unwrap();
        }
        while e.poll_notification().is_some() {}
        let done_bytes = net(&region);
        let job = e.describe_job("million").unwrap();
        assert_eq!(
            job.job_process_details.by_status[JobExecutionStatus::Succeeded],
            THINGS as u64
        );
        println!(
            "memory, execution events {}: {:.1} bytes per execution when admitted, {:.1} when all SUCCEEDED (fleet included)",
            if keep { "kept" } else { "not kept" },
            admitted_bytes / THINGS as f64,
            done_bytes / THINGS as f64
        );
    }
}

fn bench(c: &mut Criterion) {
    let names = names();
    memory_report(&names);
    let mut group = c.benchmark_group("engine_1M_things");
    group.sample_size(10);
    group.measurement_time(Duration::from_secs(20));
    group.throughput(Throughput::Elements(2 * THINGS as u64));
    group.bench_function("data_plane_updates", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut e = admitted(&names, false);
                let in_progress = UpdateExecution::new(JobExecutionStatus::InProgress);
                let succeeded = UpdateExecution::new(JobExecutionStatus::Succeeded);
                let start = Instant::now();
                for name in &names {
                    e.update_execution(name, "million", &in_progress).unwrap();
                    e.update_execution(name, "million", &succeeded).unwrap();
                    if e.poll_notification().is_some() {
                        while e.poll_notification().is_some() {}
                    }
                }
                total += start.elapsed();
                assert!(e.counters_consistent());
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
