//! One line per step: the [`Application`] of this device.

use ota_core::jobs::JobExecutionStatus;
use ota_device::runner::Application;
use ota_device::{CustomJob, Event};

/// Prints every step; passes self-tests unless told to fail them.
pub(crate) struct Printer {
    fail_self_test: bool,
    last_percent: u32,
    /// Whether the first HTTP range of this run was printed (the rest show as progress).
    http_announced: bool,
}

impl Printer {
    pub(crate) fn new(fail_self_test: bool) -> Self {
        Self {
            fail_self_test,
            last_percent: 0,
            http_announced: false,
        }
    }
}

impl Application for Printer {
    fn on_event(&mut self, event: &Event) {
        match *event {
            Event::DownloadStarted { size, from_byte } => {
                self.last_percent = 0;
                println!("job: signature verified; downloading {size} bytes from byte {from_byte}");
            }
            Event::Progress { received, total } => {
                let percent = (u64::from(received) * 100 / u64::from(total.max(1))) as u32;
                if percent / 10 > self.last_percent / 10 || received == total {
                    println!("progress: {received}/{total} bytes ({percent} %)");
                    self.last_percent = percent;
                }
            }
            Event::FetchRange { offset, len } if !self.http_announced => {
                self.http_announced = true;
                println!("http: fetching ranges of {len} bytes from byte {offset}");
            }
            Event::FetchRange { .. } => {}
            Event::ActivateAndReboot => println!("verified: image digest matches; activating"),
            Event::SelfTestRequired => println!("self-test: running"),
            Event::Committed => println!("committed: the new image is permanent"),
            Event::RollBackAndReboot { reason } => println!("rejected: {reason:?}; rolling back"),
            Event::JobFinished { status, reason } => match reason {
                Some(reason) => println!("job: {status} ({reason:?})"),
                None => println!("job: {status}"),
            },
            Event::JobCanceled => println!("job: cancelled by the service"),
            Event::StorageFailed => println!("storage: failed; retrying later"),
            Event::ReportUndelivered => println!("report: undelivered; resent on reconnect"),
            _ => println!("event: {event:?}"),
        }
    }

    fn on_connection(&mut self, up: bool, detail: &str) {
        if up {
            println!("mqtt: connected and subscribed");
        } else {
            println!("mqtt: connection lost ({detail}); reconnecting");
        }
    }

    fn self_test(&mut self) -> bool {
        let passed = !self.fail_self_test;
        println!("self-test: {}", if passed { "passed" } else { "failed" });
        passed
    }

    fn custom_job(&mut self, job: &CustomJob<'_>) -> JobExecutionStatus {
        println!(
            "job: not a firmware update (execution {}); rejecting",
            job.execution_number
        );
        JobExecutionStatus::Rejected
    }
}
