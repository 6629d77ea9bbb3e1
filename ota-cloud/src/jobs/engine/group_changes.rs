//! Fleet changes through the engine, so that continuous jobs follow their groups.
//!
//! A thing joining a group a `CONTINUOUS` job targets gets an execution at once (AWS does not
//! pace late joiners; [`super::Settings::pace_late_joiners`] puts them through the rollout
//! instead). A thing that leaves, and is no longer targeted by any other group or by name,
//! has its pending execution `REMOVED` (no retries follow); when it rejoins, it starts over
//! with a new execution and a fresh retry count. Deleting a thing removes its pending
//! executions in every job.

use ota_core::jobs::JobExecutionStatus;

use super::Engine;
use crate::fleet::{FleetError, GroupId, MembershipChange, ThingId};

impl Engine {
    /// CreateThing.
    ///
    /// # Errors
    /// As [`crate::fleet::Fleet::create_thing`].
    pub fn create_thing(
        &mut self,
        name: &str,
        attributes: &[(&str, &str)],
    ) -> Result<ThingId, FleetError> {
        let id = self.fleet.create_thing(name, attributes)?;
        self.follow_membership();
        Ok(id)
    }

    /// DeleteThing: it leaves every group, and its pending executions are `REMOVED`.
    ///
    /// # Errors
    /// As [`crate::fleet::Fleet::delete_thing`].
    pub fn delete_thing(&mut self, name: &str) -> Result<(), FleetError> {
        let id = self.fleet.delete_thing(name)?;
        self.follow_membership();
        for job in 0..self.jobs.len() as u32 {
            let Some(j) = self.jobs[job as usize].as_ref() else {
                continue;
            };
            if let Some(slot) = j.slot_of(id).filter(|&s| j.slots[s as usize].is_pending()) {
                self.set_status(job, slot, JobExecutionStatus::Removed);
            }
        }
        Ok(())
    }

    /// Set (or with `None` remove) an attribute; dynamic groups follow.
    ///
    /// # Errors
    /// As [`crate::fleet::Fleet::set_attribute`].
    pub fn set_attribute(
        &mut self,
        thing: &str,
        key: &str,
        value: Option<&str>,
    ) -> Result<(), FleetError> {
        self.fleet.set_attribute(thing, key, value)?;
        self.follow_membership();
        Ok(())
    }

    /// CreateThingGroup (static, optionally nested).
    ///
    /// # Errors
    /// As [`crate::fleet::Fleet::create_group`].
    pub fn create_group(
        &mut self,
        name: &str,
        parent: Option<&str>,
    ) -> Result<GroupId, FleetError> {
        let id = self.fleet.create_group(name, parent)?;
        self.follow_membership();
        Ok(id)
    }

    /// CreateDynamicThingGroup.
    ///
    /// # Errors
    /// As [`crate::fleet::Fleet::create_dynamic_group`].
    pub fn create_dynamic_group(&mut self, name: &str, query: &str) -> Result<GroupId, FleetError> {
        let id = self.fleet.create_dynamic_group(name, query)?;
        self.follow_membership();
        Ok(id)
    }

    /// AddThingToThingGroup.
    ///
    /// # Errors
    /// As [`crate::fleet::Fleet::add_to_group`].
    pub fn add_thing_to_group(&mut self, group: &str, thing: &str) -> Result<(), FleetError> {
        self.fleet.add_to_group(group, thing)?;
        self.follow_membership();
        Ok(())
    }

    /// RemoveThingFromThingGroup.
    ///
    /// # Errors
    /// As [`crate::fleet::Fleet::remove_from_group`].
    pub fn remove_thing_from_group(&mut self, group: &str, thing: &str) -> Result<(), FleetError> {
        self.fleet.remove_from_group(group, thing)?;
        self.follow_membership();
        Ok(())
    }

    /// DeleteThingGroup.
    ///
    /// # Errors
    /// As [`crate::fleet::Fleet::delete_group`].
    pub fn delete_group(&mut self, name: &str) -> Result<(), FleetError> {
        self.fleet.delete_group(name)?;
        self.follow_membership();
        Ok(())
    }

    fn follow_membership(&mut self) {
        while let Some(change) = self.fleet.poll_membership_change() {
            self.apply_membership(change);
        }
    }

    fn apply_membership(&mut self, change: MembershipChange) {
        for job in 0..self.jobs.len() as u32 {
            let Some(j) = self.jobs[job as usize].as_ref() else {
                continue;
            };
            if !j.is_continuous() || !j.is_active() || !j.groups.contains(&change.group) {
                continue;
            }
            if change.joined {
                self.join(job, change.thing);
            } else if !self.still_targeted(job, change.thing) {
                let j = self.job(job);
                if let Some(slot) = j
                    .slot_of(change.thing)
                    .filter(|&s| j.slots[s as usize].is_pending())
                {
                    self.set_status(job, slot, JobExecutionStatus::Removed);
                }
            }
        }
    }

    fn still_targeted(&self, job: u32, thing: ThingId) -> bool {
        let j = self.job(job);
        j.things.contains(&thing) || j.groups.iter().any(|&g| self.fleet.is_member(g, thing))
    }

    fn join(&mut self, job: u32, thing: ThingId) {
        let pace = self.settings.pace_late_joiners;
        let j = self.job_mut(job);
        let slot = match j.slot_of(thing) {
            Some(slot) => slot,
            None => j.add_slot(thing),
        };
        let s = &mut j.slots[slot as usize];
        match s.status {
            None if pace => {}
            None => self.admit(job, slot),
            Some(JobExecutionStatus::Removed) if s.rejoins < u8::MAX => {
                // AWS resets the retry count of a thing that rejoins.
                s.failed_before_rejoin = s.failed_before_rejoin.saturating_add(s.retries_failed);
                s.timed_out_before_rejoin = s
                    .timed_out_before_rejoin
                    .saturating_add(s.retries_timed_out);
                s.retries_failed = 0;
                s.retries_timed_out = 0;
                s.rejoins += 1;
                self.admit(job, slot);
            }
            Some(_) => {}
        }
        if pace {
            self.run_due(job);
        }
    }
}
