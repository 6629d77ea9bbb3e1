//! The first step's planning phase: resolve the targets, describe each, refuse what cannot
//! take the release, list the groups stage sizes name, and deal the rest to the stages.
//! Nothing is recorded until every call has succeeded: a failed call ends the step, and the
//! next step plans again from the start.

use std::collections::{BTreeMap, BTreeSet};

use serde::{Deserialize, Serialize};

use super::assignment;
use super::command::{Command, Reply};
use super::event::{CampaignEvent, RefusalReason};
use super::spec::{StageSize, Targets};
use super::status::CampaignState;
use super::step::{Next, Phase, answer, failed, members, unexpected};
use super::{Campaign, CampaignError};
use crate::error::ServiceError;
use crate::service::Thing;

/// What planning has read so far.
#[derive(Debug, Clone, Default, Serialize, Deserialize)]
pub(super) struct Planning {
    /// The targets, sorted and without repeats, once resolved.
    names: Option<Vec<String>>,
    /// How many of them have been described.
    described: usize,
    eligible: Vec<Thing>,
    refused: Vec<(String, RefusalReason)>,
    /// The members of each group a stage size names.
    groups: BTreeMap<String, BTreeSet<String>>,
}

fn sorted_unique(mut names: Vec<String>) -> Vec<String> {
    names.sort_unstable();
    names.dedup();
    names
}

impl Campaign {
    pub(super) fn plan_next(&mut self, now: u64, planning: &mut Planning) -> Next {
        if self.state != CampaignState::NotStarted {
            return Next::Go(Phase::Watch { next: 0 });
        }
        let names = match (&planning.names, &self.spec.targets) {
            (Some(names), _) => names,
            (None, Targets::Things(things)) => planning.names.insert(sorted_unique(things.clone())),
            (None, Targets::Group(group)) => {
                return Next::Call(Command::ListGroupMembers {
                    group: group.clone(),
                });
            }
        };
        if let Some(thing) = names.get(planning.described) {
            return Next::Call(Command::DescribeThing {
                thing: thing.clone(),
            });
        }
        let unlisted = self.spec.stages.iter().find_map(|stage| match &stage.size {
            StageSize::Group(group) if !planning.groups.contains_key(group) => Some(group),
            _ => None,
        });
        if let Some(group) = unlisted {
            return Next::Call(Command::ListGroupMembers {
                group: group.clone(),
            });
        }
        self.deal(now, std::mem::take(planning));
        Next::Go(Phase::Watch { next: 0 })
    }

    pub(super) fn plan_reply(
        &mut self,
        planning: &mut Planning,
        command: &Command,
        reply: Reply,
    ) -> Result<(), CampaignError> {
        match command {
            Command::ListGroupMembers { group } => {
                let members = members(command, reply)?.map_err(|e| failed(command, e))?;
                if planning.names.is_none() {
                    planning.names = Some(sorted_unique(members));
                } else {
                    planning
                        .groups
                        .insert(group.clone(), members.into_iter().collect());
                }
            }
            Command::DescribeThing { thing } => {
                match described(command, reply)? {
                    Ok(t) => {
                        match assignment::check(&self.spec.release, &self.spec.eligibility, &t) {
                            Ok(()) => planning.eligible.push(t),
                            Err(reason) => planning.refused.push((thing.clone(), reason)),
                        }
                    }
                    Err(ServiceError::ResourceNotFound(_)) => planning
                        .refused
                        .push((thing.clone(), RefusalReason::UnknownThing)),
                    Err(e) => return Err(failed(command, e)),
                }
                planning.described += 1;
            }
            _ => return Err(unexpected(command)),
        }
        Ok(())
    }

    /// Record the plan: refusals, each stage's devices, the leftovers.
    fn deal(&mut self, now: u64, planning: Planning) {
        let Planning {
            mut eligible,
            refused,
            groups,
            ..
        } = planning;
        assignment::arrange(&mut eligible, self.spec.order);
        let (dealt, unassigned) = assignment::assign(&self.spec.stages, &eligible, &groups);
        let refused_count = refused.len();
        for (thing, reason) in refused {
            self.refuse(now, thing, None, reason);
        }
        for (run, devices) in self.stages.iter_mut().zip(dealt) {
            run.devices = devices;
        }
        self.eligible = eligible.len();
        self.unassigned = unassigned;
        self.state = CampaignState::Running;
        let event = CampaignEvent::Planned {
            eligible: self.eligible,
            refused: refused_count,
            unassigned: self.unassigned.len(),
        };
        self.log(now, event);
    }
}

/// A `DescribeThing` answer.
pub(super) fn described(
    command: &Command,
    reply: Reply,
) -> Result<Result<Thing, ServiceError>, CampaignError> {
    answer(command, reply, |r| match r {
        Reply::Thing(t) => Some(t),
        _ => None,
    })
}
