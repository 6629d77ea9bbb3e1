//! The service's side of the simulation: requests from devices reach the responder, replies
//! and the engine's pushes go back over the network, and the engine's own timers (rollout
//! admissions, timeouts) fire as events.

use super::{Event, World};
use crate::net::{Message, deliveries, deliveries_qos1};

impl World {
    /// A publish from device `d` reaches the broker.
    pub(super) fn deliver_to_service(&mut self, d: u32, m: Message) {
        let name = self.devices[d as usize].name;
        self.control.last_activity = self.now;
        let corrupt = self.scenario.faults.corrupt_block;
        let mut replies = Vec::new();
        {
            let mut engine = self.service.engine();
            self.responder
                .handle(&mut engine, name, &m, &mut self.rng, corrupt, &mut replies);
        }
        for reply in replies {
            self.send_to_device(d, reply);
        }
        self.after_engine();
    }

    /// A message from the service to device `d`, through the network. A device that is
    /// offline now misses it (a broker keeps no QoS 0 messages for it).
    pub(super) fn send_to_device(&mut self, d: u32, m: Message) {
        if !self.devices[d as usize].online {
            return;
        }
        let delays = deliveries(&self.scenario.network, &mut self.rng);
        self.schedule_deliveries(delays, d, m, Event::ToDevice);
    }

    /// After anything touched the engine: send its pushes and schedule its next timer.
    pub(super) fn after_engine(&mut self) {
        let mut pushes = Vec::new();
        let due = {
            let mut engine = self.service.engine();
            while let Some(n) = engine.poll_notification() {
                if let Some(push) = self.responder.notification(&engine, n) {
                    pushes.push(push);
                }
            }
            engine.poll_timeout()
        };
        for (thing, message) in pushes {
            if let Some(&d) = self.by_name.get(thing.as_str())
                && self.devices[d as usize].online
            {
                for delay in deliveries_qos1(&self.scenario.network, &mut self.rng) {
                    self.schedule(self.now + delay, Event::ToDevice(d, message.clone()));
                }
            }
        }
        if let Some(due) = due {
            // Never at or before now: the engine has applied everything due by now.
            let due = due.max(self.now + 1);
            if self.engine_tick_at.is_none_or(|t| due < t || t <= self.now) {
                self.engine_tick_at = Some(due);
                self.schedule(due, Event::EngineTick);
            }
        }
    }

    /// The engine's timer: bring it to now (in `after_engine`), then look again.
    pub(super) fn engine_tick(&mut self) {
        if self.engine_tick_at == Some(self.now) {
            self.engine_tick_at = None;
        }
        self.after_engine();
    }
}
