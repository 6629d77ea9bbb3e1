//! One job over a million things: create the fleet and the job, admit every target at the
//! rollout rate, and drive every execution to a terminal status through the device plane
//! (`IN_PROGRESS`, then `SUCCEEDED`). Reports data-plane updates per second beside the
//! baseline of the same run, a bare `HashMap<String, _>` holding each thing's status,
//! version and update time and updated the same way; and prints the memory per execution
//! with and without the event log's per-execution entries, and the bare map's: heap bytes
//! (counted by the global allocator) and resident memory (`VmRSS`, each measured in a
//! fresh child process of this binary, so nothing freed earlier is reused).
//!
//! `cargo bench -p ota-cloud --bench engine_scale`

use std::alloc::System;
use std::collections::HashMap;
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group};
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

/// The baseline: what one thing's execution needs at least, in the simplest map.
struct BareExecution {
    status: JobExecutionStatus,
    version: u32,
    updated_at: u64,
}

fn bare_map(names: &[String]) -> HashMap<String, BareExecution> {
    names
        .iter()
        .map(|n| {
            let e = BareExecution {
                status: JobExecutionStatus::Queued,
                version: 1,
                updated_at: T0,
            };
            (n.clone(), e)
        })
        .collect()
}

fn bare_update(
    map: &mut HashMap<String, BareExecution>,
    name: &str,
    to: JobExecutionStatus,
    now: u64,
) {
    let e = map.get_mut(name).expect("every name is in the map");
    e.status = to;
    e.version += 1;
    e.updated_at = now;
}

/// Resident memory of this process, in bytes (Linux `VmRSS`; 0 where there is none).
fn rss() -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .ok()
        .and_then(|s| {
            s.lines()
                .find_map(|l| l.strip_prefix("VmRSS:"))
                .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        })
        .map_or(0, |kb| kb * 1024)
}

const RSS_CHILD: &str = "ENGINE_SCALE_RSS";

/// In a child process: build one subject (`events`, `no-events` or `bare`) over `names`,
/// drive every execution to `SUCCEEDED`, and print the resident bytes per execution
/// after admission and at the end (the names themselves excluded).
fn rss_child(subject: &str) {
    let names = names();
    let before = rss();
    let per = |bytes: u64| bytes.saturating_sub(before) as f64 / THINGS as f64;
    let (admitted_rss, done_rss) = if subject == "bare" {
        let mut map = bare_map(&names);
        let admitted_rss = rss();
        for name in &names {
            bare_update(&mut map, name, JobExecutionStatus::InProgress, T0);
            bare_update(&mut map, name, JobExecutionStatus::Succeeded, T0);
        }
        let done = rss();
        std::hint::black_box(&map);
        (admitted_rss, done)
    } else {
        let mut e = admitted(&names, subject == "events");
        let admitted_rss = rss();
        let in_progress = UpdateExecution::new(JobExecutionStatus::InProgress);
        let succeeded = UpdateExecution::new(JobExecutionStatus::Succeeded);
        for name in &names {
            e.update_execution(name, "million", &in_progress).unwrap();
            e.update_execution(name, "million", &succeeded).unwrap();
        }
        while e.poll_notification().is_some() {}
        let done = rss();
        std::hint::black_box(&e);
        (admitted_rss, done)
    };
    println!("{subject} {:.1} {:.1}", per(admitted_rss), per(done_rss));
}

/// Run [`rss_child`] for each subject in a fresh process and print the figures.
fn rss_report() {
    let Ok(exe) = std::env::current_exe() else {
        return println!("resident memory: cannot find this binary; not measured");
    };
    for (subject, what) in [
        ("events", "engine, execution events kept (the default)"),
        ("no-events", "engine, execution events not kept"),
        ("bare", "bare HashMap<String, _> (baseline)"),
    ] {
        let out = std::process::Command::new(&exe)
            .env(RSS_CHILD, subject)
            .output();
        let text = out
            .as_ref()
            .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
            .unwrap_or_default();
        let figures: Vec<&str> = text
            .lines()
            .find_map(|l| l.strip_prefix(subject).map(str::split_whitespace))
            .map(Iterator::collect)
            .unwrap_or_default();
        match figures.as_slice() {
            [admitted, done] => println!(
                "resident memory per execution, {what}: {admitted} bytes when admitted, {done} when all SUCCEEDED (fleet included)"
            ),
            _ => println!("resident memory, {what}: the child failed: {out:?}"),
        }
    }
}

fn bench(c: &mut Criterion) {
    let names = names();
    memory_report(&names);
    rss_report();
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
    group.bench_function("bare_hashmap_updates", |b| {
        b.iter_custom(|iters| {
            let mut total = Duration::ZERO;
            for _ in 0..iters {
                let mut map = bare_map(&names);
                let start = Instant::now();
                for name in &names {
                    bare_update(&mut map, name, JobExecutionStatus::InProgress, T0);
                    bare_update(&mut map, name, JobExecutionStatus::Succeeded, T0);
                }
                total += start.elapsed();
                std::hint::black_box(&map);
            }
            total
        })
    });
    group.finish();
}

criterion_group!(benches, bench);

fn main() {
    if let Ok(subject) = std::env::var(RSS_CHILD) {
        return rss_child(&subject);
    }
    benches();
    Criterion::default().configure_from_args().final_summary();
}
