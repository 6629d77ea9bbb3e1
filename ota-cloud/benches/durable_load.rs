//! The self-hosted service's durability, measured:
//!
//! - `device_updates/{in_memory,sqlite_durable}`: one device's job driven to the end through
//!   the gateway (`start-next`, then `update` to `SUCCEEDED`, each answered as over MQTT)
//!   on the in-memory engine and on the durable one, where each request is committed to
//!   SQLite (WAL, `synchronous=FULL`) before it is answered. Throughput is in executions a
//!   second; the ratio of the two is the price of durability.
//! - `restart/reopen_100k_executions`: `Durable::open` of a journal holding 100,000 finished
//!   executions (the fleet, its group, the job, and each device's two requests), against
//!   `restart/read_rows_only`: SQLite reading the same rows without applying them.
//! - The database's size per stored execution is printed (`durable_load: ... bytes per
//!   execution`).
//!
//! The 100,000-execution journal is built once into `target/bench-data/` (a minute or two).
//!
//! `cargo bench -p ota-cloud --features sqlite,mqtt --bench durable_load`

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use criterion::{Criterion, Throughput, criterion_group, criterion_main};
use ota_cloud::durable::Durable;
use ota_cloud::gateway::mqtt::ServedEngine;
use ota_cloud::jobs::model::{JobSpec, Target};
use ota_cloud::{
    FleetService, Gateway, InMemory, JobService, ManualClock, MemoryStreams, Settings,
};
use ota_core::jobs::JobExecutionStatus;

const T0: u64 = 1_800_000_000_000;
/// Far enough after [`T0`] for any rollout to have admitted every target.
const LATER: u64 = T0 + 1_000_000_000_000;
const STORED: usize = 100_000;
const JOB: &str = "fw-2";

fn names(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("thing-{i:06}")).collect()
}

fn block_on<F: Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("a runtime")
        .block_on(f)
}

/// `names` in group `fleet`, one job over the group, the clock moved past the rollout.
fn fleet_and_job<S: JobService + FleetService>(service: &S, clock: &ManualClock, names: &[String]) {
    block_on(async {
        service.create_group("fleet", None).await.unwrap();
        for name in names {
            service.create_thing(name, Vec::new()).await.unwrap();
            service.add_thing_to_group("fleet", name).await.unwrap();
        }
        let spec = JobSpec::new(
            JOB,
            vec![Target::Group("fleet".into())],
            r#"{"operation":"firmware_update","version":"2.0.0"}"#,
        );
        service.create_job(spec).await.unwrap();
    });
    clock.set(LATER);
}

/// Each of `names` takes its job and reports it `SUCCEEDED` through the gateway; the time
/// it took. Panics unless every request was accepted.
fn drive(engine: &dyn ServedEngine, names: &[String]) -> Duration {
    let mut gateway = Gateway::new("$aws");
    let mut streams = MemoryStreams::new();
    let mut out = Vec::new();
    let mut accepted = 0usize;
    let started = Instant::now();
    for name in names {
        let topic = format!("$aws/things/{name}/jobs/start-next");
        engine.serve(&mut |e| gateway.handle_publish(e, &mut streams, &topic, b"{}", &mut out));
        let topic = format!("$aws/things/{name}/jobs/{JOB}/update");
        let update = br#"{"status":"SUCCEEDED"}"#;
        engine.serve(&mut |e| gateway.handle_publish(e, &mut streams, &topic, update, &mut out));
        accepted += out
            .iter()
            .filter(|o| o.topic.ends_with("/accepted"))
            .count();
        out.clear();
    }
    let took = started.elapsed();
    assert_eq!(accepted, 2 * names.len(), "every request accepted");
    took
}

fn succeeded<S: JobService>(service: &S) -> u64 {
    let job = block_on(service.describe_job(JOB)).unwrap();
    job.job_process_details
        .by_status
        .iter()
        .find(|(s, _)| *s == JobExecutionStatus::Succeeded)
        .map_or(0, |(_, n)| n)
}

fn device_updates(c: &mut Criterion) {
    let mut g = c.benchmark_group("device_updates");
    g.throughput(Throughput::Elements(1));
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(20));
    g.bench_function("in_memory", |b| {
        b.iter_custom(|iters| {
            let names = names(iters as usize);
            let service = InMemory::new(ManualClock::new(T0), Settings::default());
            fleet_and_job(&service, service.clock(), &names);
            let took = drive(&service, &names);
            assert_eq!(succeeded(&service), iters);
            took
        });
    });
    g.bench_function("sqlite_durable", |b| {
        b.iter_custom(|iters| {
            let names = names(iters as usize);
            let dir = tempfile::tempdir().unwrap();
            let service = Durable::open(
                &dir.path().join("ota.db"),
                ManualClock::new(T0),
                Settings::default(),
            )
            .unwrap();
            fleet_and_job(&service, service.clock(), &names);
            let took = drive(&service, &names);
            assert_eq!(succeeded(&service), iters);
            took
        });
    });
    g.finish();
}

/// The journal of [`STORED`] finished executions, built once.
fn stored_journal() -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/bench-data/durable-100k");
    let db = dir.join("ota.db");
    let done = dir.join("complete");
    if done.exists() {
        return db;
    }
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    eprintln!(
        "durable_load: building a journal of {STORED} finished executions in {}",
        dir.display()
    );
    let started = Instant::now();
    {
        let service = Durable::open(&db, ManualClock::new(T0), Settings::default()).unwrap();
        let names = names(STORED);
        fleet_and_job(&service, service.clock(), &names);
        drive(&service, &names);
        assert_eq!(succeeded(&service), STORED as u64);
    }
    std::fs::write(&done, b"").unwrap();
    eprintln!("durable_load: built in {:.0?}", started.elapsed());
    db
}

/// Bytes of the database and its WAL and shared-memory files.
fn size_on_disk(db: &Path) -> u64 {
    ["", "-wal", "-shm"]
        .iter()
        .filter_map(|suffix| std::fs::metadata(format!("{}{suffix}", db.display())).ok())
        .map(|m| m.len())
        .sum()
}

fn restart(c: &mut Criterion) {
    let db = stored_journal();
    let bytes = size_on_disk(&db);
    let rows: i64 = rusqlite::Connection::open(&db)
        .unwrap()
        .query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
        .unwrap();
    eprintln!(
        "durable_load: {bytes} bytes on disk for {STORED} finished executions ({rows} journal \
         entries): {:.0} bytes per execution",
        bytes as f64 / STORED as f64
    );
    let mut g = c.benchmark_group("restart");
    g.sample_size(10);
    g.measurement_time(Duration::from_secs(30));
    g.bench_function("reopen_100k_executions", |b| {
        b.iter(|| {
            let service = Durable::open(&db, ManualClock::new(LATER), Settings::default()).unwrap();
            assert_eq!(service.journal_len(), rows as u64);
            service
        });
    });
    g.bench_function("read_rows_only", |b| {
        b.iter(|| {
            let conn = rusqlite::Connection::open(&db).unwrap();
            let mut statement = conn
                .prepare("SELECT seq, at, input FROM journal ORDER BY seq")
                .unwrap();
            let mut bytes = 0usize;
            let mut read = statement.query_map([], |r| r.get::<_, String>(2)).unwrap();
            for row in read.by_ref() {
                bytes += row.unwrap().len();
            }
            bytes
        });
    });
    g.finish();
}

criterion_group!(benches, device_updates, restart);
criterion_main!(benches);
