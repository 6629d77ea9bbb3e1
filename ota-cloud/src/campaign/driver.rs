//! A thin async driver: [`Campaign::step`] runs one step of the state machine over any
//! [`CampaignServices`] (a [`JobService`] + [`FleetService`], or one of each), making each
//! call with [`execute`].

use super::command::execute;
use super::event::CampaignEvent;
use super::{Campaign, CampaignError, CampaignServices};
#[cfg(doc)]
use crate::service::{FleetService, JobService};

impl Campaign {
    /// Do what is due at `now` (Unix ms) over `svc` and return the events logged since the
    /// previous successful step: [`Campaign::poll_command`] and [`Campaign::handle_reply`]
    /// until the step is over, then [`Campaign::take_events`]. Never sleeps, reads no clock;
    /// calling it again with nothing due changes nothing.
    ///
    /// # Errors
    /// As [`Campaign::handle_reply`]: the step ends at the first error; whatever was done
    /// before it is kept, its events are returned by the next successful step, and the next
    /// step retries the rest.
    pub async fn step<S>(&mut self, now: u64, svc: &S) -> Result<Vec<CampaignEvent>, CampaignError>
    where
        S: CampaignServices + ?Sized,
    {
        while let Some(command) = self.poll_command(now) {
            let reply = execute(svc, &command).await;
            self.handle_reply(now, reply)?;
        }
        Ok(self.take_events())
    }
}
