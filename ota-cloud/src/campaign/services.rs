//! [`CampaignServices`]: the jobs control plane and the registry a campaign calls, from one
//! backend or two.

use crate::service::{FleetService, JobService};

/// The services a campaign calls: a [`JobService`] and a [`FleetService`]. Any backend of
/// both traits is one (it serves both itself); two backends, say a mock of each, are one
/// through a type whose [`jobs`](Self::jobs) and [`fleet`](Self::fleet) hand out each (a
/// type that is not itself both; `tests/campaign_mock.rs` pairs two `mockall` mocks so).
pub trait CampaignServices: Sync {
    /// The jobs control plane.
    type Jobs: JobService + ?Sized;
    /// The registry.
    type Fleet: FleetService + ?Sized;

    /// The backend of the jobs calls.
    fn jobs(&self) -> &Self::Jobs;

    /// The backend of the fleet calls.
    fn fleet(&self) -> &Self::Fleet;
}

impl<S: JobService + FleetService + ?Sized> CampaignServices for S {
    type Jobs = Self;
    type Fleet = Self;

    fn jobs(&self) -> &Self {
        self
    }

    fn fleet(&self) -> &Self {
        self
    }
}
