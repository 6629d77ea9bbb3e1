//! A job inside the engine.

use std::collections::HashMap;

use ota_core::jobs::JobExecutionStatus::Succeeded;

use crate::fleet::{GroupId, ThingId};
use crate::jobs::model::{JobStatus, StatusDetails};
use crate::jobs::validate::Validated;

use super::Pacing;
use super::admission::Admission;
use super::counts::Counts;
use super::slot::Slot;
use crate::str_slab::StrSlab;

#[derive(Debug)]
pub(crate) struct JobState {
    pub(crate) id: std::sync::Arc<str>,
    pub(crate) v: Validated,
    pub(crate) status: JobStatus,
    pub(crate) created_at: u64,
    pub(crate) last_updated_at: u64,
    pub(crate) completed_at: Option<u64>,
    pub(crate) reason_code: Option<String>,
    pub(crate) comment: Option<String>,
    pub(crate) force_canceled: bool,
    /// One slot per target thing; `slots[..sorted]` are sorted by thing (the targets at
    /// creation), later joiners are appended and found through `late`.
    pub(crate) slots: Vec<Slot>,
    pub(crate) sorted: usize,
    pub(crate) late: HashMap<ThingId, u32>,
    /// Groups a continuous job follows, and things it targets by name.
    pub(crate) groups: Vec<GroupId>,
    pub(crate) things: Vec<ThingId>,
    pub(crate) admission: Admission,
    pub(crate) counts: Counts,
    /// `statusDetails` as compact JSON, for the executions whose device set any (a slot
    /// holds its handle).
    pub(crate) details: StrSlab,
}

impl JobState {
    pub(crate) fn slot_of(&self, thing: ThingId) -> Option<u32> {
        match self.slots[..self.sorted].binary_search_by_key(&thing, |s| s.thing) {
            Ok(i) => Some(i as u32),
            Err(_) => self.late.get(&thing).copied(),
        }
    }

    /// The `statusDetails` of `slot`'s execution (empty when none were set).
    pub(crate) fn details_map(&self, slot: u32) -> StatusDetails {
        self.slots
            .get(slot as usize)
            .and_then(|s| self.details.get(s.details))
            .and_then(|d| serde_json::from_str(d).ok())
            .unwrap_or_default()
    }

    /// Replace the `statusDetails` of `slot`'s execution.
    pub(crate) fn set_details(&mut self, slot: u32, details: &StatusDetails) {
        let Some(s) = self.slots.get_mut(slot as usize) else {
            return;
        };
        match serde_json::to_string(details) {
            Ok(json) => self.details.set(&mut s.details, json.into_boxed_str()),
            Err(_) => self.details.clear(&mut s.details),
        }
    }

    /// Drop the `statusDetails` of `slot`'s execution.
    pub(crate) fn clear_details(&mut self, slot: u32) {
        if let Some(s) = self.slots.get_mut(slot as usize) {
            self.details.clear(&mut s.details);
        }
    }

    pub(crate) fn add_slot(&mut self, thing: ThingId) -> u32 {
        let index = self.slots.len() as u32;
        self.slots.push(Slot::new(thing));
        self.late.insert(thing, index);
        index
    }

    /// Whether the job may still create executions.
    pub(crate) fn is_active(&self) -> bool {
        self.status == JobStatus::InProgress
    }

    /// Targets not yet notified.
    pub(crate) fn unadmitted(&self) -> usize {
        self.slots.len() - self.admission.next as usize
    }

    /// Apply a ramp increase if the job's notified or succeeded count crossed a threshold,
    /// as [`Admission::maybe_increase`] (`now` when a success triggers it).
    pub(crate) fn ramp_up(&mut self, pacing: Pacing, now: Option<u64>) {
        let (notified, succeeded) = (self.counts.notified, self.counts.things[Succeeded]);
        let (ramp, max) = (self.v.ramp.as_ref(), self.v.max_per_minute);
        self.admission
            .maybe_increase(pacing, ramp, max, notified, succeeded, now);
    }

    pub(crate) fn is_continuous(&self) -> bool {
        self.v.spec.target_selection == crate::jobs::model::TargetSelection::Continuous
    }
}
