//! What the campaign tests build on: the in-memory service, gates, releases, and the `Job` a
//! mocked service describes.

use ota_cloud::campaign::{Gate, Percent};
use ota_cloud::catalog::Release;
use ota_cloud::jobs::model::{
    AttemptCounts, Job, JobProcessDetails, JobSpec, JobStatus, StatusCounts,
};
use ota_cloud::{InMemory, ManualClock, Settings};
use ota_core::version::Version;

use super::T0;

/// The in-memory service the campaign tests drive.
pub type Svc = InMemory<ManualClock>;

/// The in-memory service at [`T0`] with default settings, and no thing yet.
pub fn service() -> Svc {
    InMemory::new(ManualClock::new(T0), Settings::default())
}

/// A gate judging after `min_sample` terminal devices, with success and failure thresholds
/// in whole percent; the rest as [`Gate::default`].
pub fn gate(min_sample: u32, success: Option<u32>, failure: Option<u32>) -> Gate {
    Gate {
        min_sample,
        success_threshold: success.map(Percent::whole),
        failure_threshold: failure.map(Percent::whole),
        ..Gate::default()
    }
}

/// Release `id` of product `acme` at `version` for `rev-b`, with the document
/// `{"operation":"firmware_update","version":"<version>"}` and no version requirement.
pub fn release(id: &str, version: &str) -> Release {
    let document = format!(r#"{{"operation":"firmware_update","version":"{version}"}}"#);
    Release::new(
        id,
        "acme",
        Version::parse(version).unwrap(),
        ["rev-b"],
        &document,
    )
}

/// `spec`'s job as a mocked `DescribeJob` returns it: `status`, things counted by
/// `by_status`, created and updated at 0, not completed, no attempt counted.
pub fn described(spec: JobSpec, status: JobStatus, by_status: StatusCounts) -> Job {
    Job {
        job_arn: format!("arn:aws:iot:us-east-1:0:job/{}", spec.job_id),
        status,
        reason_code: None,
        comment: None,
        force_canceled: false,
        is_concurrent: false,
        created_at: 0,
        last_updated_at: 0,
        completed_at: None,
        job_process_details: JobProcessDetails {
            processing_targets: None,
            by_status,
        },
        attempts: AttemptCounts::default(),
        scheduled_job_rollouts: vec![],
        spec,
    }
}
