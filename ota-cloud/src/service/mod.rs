//! The service layer: the async traits a backend implements (control plane, device plane,
//! registry), their in-memory implementation over the engine with an injected clock, the
//! behavioural suite every backend must pass, and a job report over any backend. Campaigns
//! and tools are written against the traits only.

mod clock;
pub mod conformance;
pub(crate) mod in_memory;
mod job_report;
mod traits;

pub use clock::{Clock, ManualClock, SystemClock};
pub use in_memory::InMemory;
pub use job_report::{Failure, JobReport, job_report};
pub use traits::{DescribeExecution, DeviceJobs, FleetService, JobService, NextOrJob, Thing};
#[cfg(feature = "mock")]
pub use traits::{MockDeviceJobs, MockFleetService, MockJobService};
