//! The in-memory engine with a fleet, and the jobs the engine tests create.

use ota_cloud::Engine;
use ota_cloud::jobs::model::{
    AbortAction, AbortCriteria, Comparator, Denominator, FailureType, JobSpec, Target,
};
use ota_core::jobs::JobExecutionStatus;

/// Add the group `fleet` to `e` with `n` things, the i-th named `name(i)`, each with
/// `attributes`. Drains no notification.
pub fn add_fleet(
    e: &mut Engine,
    n: usize,
    name: impl Fn(usize) -> String,
    attributes: &[(&str, &str)],
) {
    e.create_group("fleet", None).unwrap();
    for i in 0..n {
        let name = name(i);
        e.create_thing(&name, attributes).unwrap();
        e.add_thing_to_group("fleet", &name).unwrap();
    }
}

/// A snapshot job `id` over the group `fleet`, with a document that asks nothing, and
/// nothing else configured.
pub fn noop_job(id: &str) -> JobSpec {
    JobSpec::new(
        id,
        vec![Target::Group("fleet".into())],
        r#"{"operation":"noop"}"#,
    )
}

/// The things of `job` whose latest execution is in `status`, in the engine's listing order.
pub fn things_in(e: &Engine, job: &str, status: JobExecutionStatus) -> Vec<String> {
    e.list_job_executions_for_job(job, Some(status))
        .unwrap()
        .into_iter()
        .map(|s| s.thing_name)
        .collect()
}

/// An abort criterion: cancel once `failure_type` failures reach `threshold` % of the
/// terminal executions, after at least `min` things notified.
pub fn abort(failure_type: FailureType, threshold: f64, min: u32) -> AbortCriteria {
    AbortCriteria {
        failure_type,
        action: AbortAction::Cancel,
        threshold_percentage: threshold,
        min_number_of_executed_things: min,
        denominator: Denominator::Terminal,
        comparator: Comparator::AtLeast,
    }
}
