//! One simulated device: a real `ota-device` client over simulated storage, with the
//! application around it (resets, self-tests) played by the simulator.

use ota_core::jobs::ThingName;
use ota_core::version::Version;
use ota_device::{Buffers, Client, Config};

use crate::release::PRODUCT;

use crate::storage::{DeviceStorage, SimSlot, SimStore};
use crate::trust::{SimTrust, TRUST_KEYS};

/// The client type every simulated device runs.
pub type SimClient = Client<'static, SimSlot, SimStore, TRUST_KEYS, SimTrust>;

/// The scratch buffer a client needs: the client's minimum, a block, and a root statement
/// when the scenario rotates roots. Every device holds one for the whole run, so it is no
/// larger than that: it is the largest part of a simulated device's memory after the
/// client itself.
pub fn scratch_len(block_size: u32, root_statements: bool) -> usize {
    let root = if root_statements {
        ota_core::trust::MAX_ROOT_LEN
    } else {
        0
    };
    ota_device::MIN_SCRATCH_LEN
        .max(block_size as usize)
        .max(root)
}

/// What became of a device's update, from the device's point of view.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, serde::Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DeviceOutcome {
    /// Runs the new release, committed.
    Updated,
    /// Tried the new release, rolled back to the old image.
    RolledBack,
    /// Never installed it (rejected, failed download, cancelled, or not reached).
    Unchanged,
}

/// A simulated device.
pub struct SimDevice {
    /// Thing name.
    pub name: &'static str,
    /// Index of its real hardware type (`None`: a hardware id no release is built for).
    pub hardware: Option<usize>,
    /// The hardware id the device itself reports (may differ from the registry).
    pub hardware_id: &'static str,
    /// Version at the start of the run.
    pub initial_version: Version,
    /// Its flash.
    pub storage: DeviceStorage,
    /// The client, while the device is powered.
    pub client: Option<SimClient>,
    /// Storage handles and buffers while the client is down (between a cut and the reset);
    /// boxed, since the client is up nearly all the time (72 bytes less per device).
    pub parts: Option<Box<(SimSlot, SimStore, Buffers<'static>)>>,
    /// Connected to the broker.
    pub online: bool,
    /// When its client's timer is set for (stale timer events are ignored).
    pub timer_at: Option<u64>,
    /// The time of the earliest timer event queued for it, if it has not fired yet. A timer
    /// that moves later queues nothing: that event fires first and queues the next one, so
    /// the queue holds about one timer per device rather than one per re-arm.
    pub timer_queued: Option<u64>,
    /// Whether the new release's self-test fails on this device.
    pub self_test_fails: bool,
    /// Whether a reset is already scheduled.
    pub reset_pending: bool,
    /// Resets so far (power cuts, activations, roll-backs).
    pub resets: u32,
    /// Power cuts so far.
    pub power_cuts: u32,
    /// Whether the device ever booted the new release on trial.
    pub tried_new: bool,
}

impl SimDevice {
    /// Build the client (at boot), with the running version read from the active image.
    /// `scratch_len`: the scratch buffer's size when one is made ([`scratch_len`]).
    pub fn boot(
        &mut self,
        config: ota_device::Config<'static>,
        trust: SimTrust,
        scratch_len: usize,
    ) -> Result<(), ota_device::Error> {
        let (slot, store, buffers) = match self.parts.take() {
            Some(parts) => *parts,
            None => {
                let scratch: &'static mut [u8] =
                    Box::leak(vec![0u8; scratch_len].into_boxed_slice());
                (
                    self.storage.slot(),
                    self.storage.store(),
                    Buffers {
                        scratch,
                        url: &mut [],
                    },
                )
            }
        };
        match Client::new(config, trust, slot.clone(), store.clone(), buffers) {
            Ok(client) => {
                self.client = Some(client);
                Ok(())
            }
            Err(e) => {
                // Keep the storage handles; the buffers of a refused client are lost with it,
                // so a fresh pair is made at the next boot.
                self.parts = None;
                Err(e)
            }
        }
    }

    /// The client's configuration at a boot: the version of the running image (`running`),
    /// the simulation's block size and persistence cadence, this boot's random seed.
    pub fn config(&self, running: Version, block_size: u32, seed: u64) -> Config<'static> {
        let thing = ThingName::new(self.name).expect("simulated thing names are valid");
        let mut config = Config::new(thing, PRODUCT, self.hardware_id, running);
        config.block_size = block_size;
        config.blocks_per_request = 16;
        config.persist_every_blocks = 8;
        config.self_test_timeout = ota_core::time::Duration::from_secs(600);
        config.random_seed = seed;
        config
    }

    /// The power is cut: counted (a cut during a boot that built no client is counted once),
    /// and the client taken apart.
    pub fn cut_power(&mut self) {
        if self.client.is_some() || self.parts.is_none() {
            self.power_cuts += 1;
        }
        self.power_off();
    }

    /// The bootloader's reset: the client down, the power back after a cut (a cut armed for
    /// later in the update stays armed through an activation reset), the boot flags applied,
    /// counted. The caller boots the client again.
    pub fn reset(&mut self) {
        self.reset_pending = false;
        self.power_off();
        if self.storage.power().is_cut() {
            self.storage.power().restore();
        }
        self.storage.reset();
        self.resets += 1;
    }

    /// Power off: take the client apart, keeping storage and buffers for the next boot.
    pub fn power_off(&mut self) {
        if let Some(client) = self.client.take() {
            self.parts = Some(Box::new(client.into_parts()));
        }
        self.timer_at = None;
    }
}
