//! What a run counts as it goes: messages and bytes each way, resets, device-side outcomes,
//! and the timeline sampled every tick.

use std::collections::BTreeMap;

use ota_cloud::jobs::model::{AsFields, StatusCounts};
use ota_core::jobs::JobExecutionStatus;
use ota_device::Reason;
use serde::Serialize;

use crate::net::Message;
use crate::report::status_names::EveryStatus;

/// One point of the timeline: the engine's `jobProcessDetails` summed over every job of the
/// run (each job counts its things by their latest execution, so a device in a release job
/// and in a rollback job counts in both) and the things admitted so far.
#[derive(Debug, Clone, Copy, Default, PartialEq, Serialize)]
pub struct Sample {
    /// Simulated minutes since the start.
    pub minute: f64,
    /// Things by the status of their latest execution, summed over the jobs.
    #[serde(flatten, serialize_with = "AsFields::<EveryStatus>::serialize")]
    pub by_status: StatusCounts,
    /// Things admitted (given an execution) so far, cumulative.
    pub admitted: u64,
}

/// What a device last reported as a job's final status.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct DeviceReport {
    /// Simulated time (Unix ms).
    pub at: u64,
    /// The status.
    pub status: JobExecutionStatus,
    /// The reason, for `FAILED` and `REJECTED`.
    pub reason: Option<Reason>,
}

/// Counters of a run.
#[derive(Debug, Clone, Default)]
pub struct Stats {
    /// Messages devices published.
    pub messages_up: u64,
    /// Payload and topic bytes devices published.
    pub bytes_up: u64,
    /// Messages delivered to devices.
    pub messages_down: u64,
    /// Payload and topic bytes delivered to devices.
    pub bytes_down: u64,
    /// Device resets (activations, roll-backs, power cuts).
    pub resets: u64,
    /// Images committed by devices.
    pub committed: u64,
    /// Power cuts that hit a device.
    pub power_cuts: u64,
    /// Devices served a tampered image.
    pub tampered_devices: Vec<String>,
    /// The run stopped at the scenario's horizon with work left.
    pub hit_horizon: bool,
    /// Final statuses reported by each device, in order.
    pub reports: BTreeMap<u32, Vec<DeviceReport>>,
    /// The timeline.
    pub timeline: Vec<Sample>,
}

impl Stats {
    /// A publish from a device.
    pub fn count_up(&mut self, m: &Message) {
        self.messages_up += 1;
        self.bytes_up += (m.topic.len() + m.payload.len()) as u64;
    }

    /// A delivery to a device.
    pub fn count_down(&mut self, m: &Message) {
        self.messages_down += 1;
        self.bytes_down += (m.topic.len() + m.payload.len()) as u64;
    }

    /// A device's job ended with `status`, accepted by the service.
    pub fn finished(
        &mut self,
        device: u32,
        at: u64,
        status: JobExecutionStatus,
        reason: Option<Reason>,
    ) {
        self.reports
            .entry(device)
            .or_default()
            .push(DeviceReport { at, status, reason });
    }

    /// Devices that reported at least one final status.
    pub fn finished_devices(&self) -> u64 {
        self.reports.len() as u64
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn counts_bytes_both_ways_and_reports_per_device() {
        let mut s = Stats::default();
        let m = Message {
            topic: "a/b".into(),
            payload: vec![0; 10],
        };
        s.count_up(&m);
        s.count_down(&m);
        s.count_down(&m);
        assert_eq!(
            (s.messages_up, s.bytes_up, s.messages_down, s.bytes_down),
            (1, 13, 2, 26)
        );
        s.finished(
            4,
            10,
            JobExecutionStatus::Failed,
            Some(Reason::ImageMismatch),
        );
        s.finished(4, 20, JobExecutionStatus::Succeeded, None);
        assert_eq!(s.finished_devices(), 1);
        assert_eq!(
            s.reports[&4].last().map(|r| r.status),
            Some(JobExecutionStatus::Succeeded)
        );
    }
}
