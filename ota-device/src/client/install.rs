//! After the download: verification, activation, the trial boot, self-test, commit or roll
//! back, and what to do after a reset at any of these points.

use crate::config::Config;
use core::borrow::Borrow;
use ota_core::crypto::ImageVerifier;
#[cfg(feature = "afr-ota")]
use ota_core::crypto::{ImageHasher, SignatureEncoding};
use ota_core::jobs::JobExecutionStatus;
use ota_core::manifest::RollbackFloor;
use ota_core::time::Instant;
use ota_core::version::SecurityCounter;

use super::Client;
use super::job::ImageCheck;
use super::state::{FinalReport, Stage};
use super::transition::{Next, When};
use crate::error::Error;
use crate::event::Event;
use crate::reason::Reason;
use crate::record::{ImageKind, Phase};
use crate::storage::{BootState, FirmwareSlot, StateStore, StorageError};
use crate::trust::TrustSource;

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize, T: TrustSource<K>, C: Borrow<Config<'a>>>
    Client<'a, S, P, K, T, C>
{
    /// Every byte is in the slot: read it back and check it.
    pub(super) fn download_complete(&mut self, now: Instant) {
        match self.verify_slot() {
            Err(reason) => self.fail_job(now, reason),
            Ok(()) if self.record.kind == ImageKind::AfrFile => {
                // Verified, not firmware: nothing to activate.
                self.record.phase = Phase::ReportSucceeded;
                let _ = self.persist();
                self.report(now, FinalReport::new(JobExecutionStatus::Succeeded, None));
            }
            Ok(()) => self.enter(Next::Stage(Stage::ReportingReady), When::Now(now)),
        }
    }

    /// Hash the slot's first `image_size` bytes and check them against the manifest's
    /// SHA-256, or the file signature against the trust store.
    fn verify_slot(&mut self) -> Result<(), Reason> {
        let Some(job) = self.firmware() else {
            return Err(Reason::ImageMismatch);
        };
        let size = self.record.image_size;
        match &job.check {
            ImageCheck::Sha256(expected) => {
                let mut verifier = ImageVerifier::new(u64::from(size), *expected);
                self.read_slot(size, |chunk| verifier.update(chunk).is_ok())?;
                verifier.finish().map_err(|_| Reason::ImageMismatch)
            }
            #[cfg(feature = "afr-ota")]
            ImageCheck::Signature {
                families,
                signature,
            } => {
                let (families, signature) = (*families, signature.clone());
                let mut hasher = ImageHasher::new_unsigned_length(u64::from(size));
                self.read_slot(size, |chunk| hasher.update(chunk).is_ok())?;
                let digest = hasher.finish().map_err(|_| Reason::SignatureCheckFailed)?;
                let verified = families.0.iter().any(|&family| {
                    self.trust
                        .release()
                        .verify_digest_for(
                            family,
                            None,
                            &digest,
                            &signature,
                            SignatureEncoding::Der,
                        )
                        .is_ok()
                });
                verified.then_some(()).ok_or(Reason::SignatureCheckFailed)
            }
        }
    }

    /// Feed the slot's first `size` bytes to `sink`, a scratch buffer at a time; a failed read
    /// is tried once more.
    fn read_slot(&mut self, size: u32, mut sink: impl FnMut(&[u8]) -> bool) -> Result<(), Reason> {
        if self.scratch.is_empty() {
            return Err(Reason::StorageFailure);
        }
        let mut offset = 0u32;
        while offset < size {
            let len = (size - offset).min(self.scratch.len() as u32) as usize;
            let chunk = &mut self.scratch[..len];
            // One retry: a transient read error (a bus glitch, a busy flash) should not fail
            // a download that is whole.
            self.slot
                .read(offset, chunk)
                .or_else(|_| self.slot.read(offset, chunk))
                .map_err(|_| Reason::StorageFailure)?;
            if !sink(chunk) {
                return Err(Reason::ImageMismatch);
            }
            offset += len as u32;
        }
        Ok(())
    }

    /// The service accepted `self_test: ready`: mark the image pending, record it, and ask
    /// the application to reset.
    ///
    /// The slot is verified again first: the image may have changed since the download's
    /// check (a flash fault, another writer) and nothing unverified is marked. What changes
    /// after `mark_pending` is the bootloader's to catch (MCUboot checks the image at boot);
    /// the client then checks the booted version before the self-test.
    pub(super) fn activate(&mut self, now: Instant) {
        if let Err(reason) = self.verify_slot() {
            return self.fail_job(now, reason);
        }
        if self.slot.mark_pending().is_err() {
            return self.fail_job(now, Reason::StorageFailure);
        }
        self.record.phase = Phase::Installed;
        // A failure here is recovered at boot: the slot's pending state is the truth.
        let _ = self.persist();
        self.enter(Next::Stage(Stage::AwaitingReboot), When::Now(now));
        self.emit(Event::ActivateAndReboot);
    }

    /// Decide, at start-up, what the persisted record and how the device booted mean
    /// together. Nothing is sent before `handle_connected`.
    pub(super) fn reconcile_boot(&mut self, boot: BootState) -> Result<(), StorageError> {
        let downloaded =
            self.record.image_size > 0 && self.record.received == self.record.image_size;
        match (self.record.phase, boot) {
            (Phase::Installed, BootState::Trial) | (Phase::Downloading, BootState::Trial)
                if downloaded || self.record.phase == Phase::Installed =>
            {
                // Booted on trial: confirm with the service before the self-test.
                self.enter(Next::Recorded(Stage::ReportingActive), When::OnConnect);
            }
            (Phase::Installed, BootState::Pending) | (Phase::Downloading, BootState::Pending)
                if downloaded || self.record.phase == Phase::Installed =>
            {
                self.enter(Next::Recorded(Stage::AwaitingReboot), When::OnConnect);
                self.emit(Event::ActivateAndReboot);
            }
            (Phase::Installed, BootState::Normal | BootState::RolledBack) => {
                self.after_untried_reset(boot)?
            }
            (Phase::Idle | Phase::Downloading, BootState::Trial) => {
                // On trial, but the record does not say which job installed this image (it
                // was lost or corrupt): without a job there is nothing to self-test against
                // and no one to report to, so go back to the committed image.
                let _ = self.slot.roll_back();
                self.enter(Next::RolledBack, When::OnConnect);
                self.emit(Event::RollBackAndReboot {
                    reason: Reason::StateLost,
                });
            }
            (Phase::Idle | Phase::Downloading, BootState::Pending) => {
                // Marked, but the record does not say for which job: withdraw the mark rather
                // than boot an image on trial that the next start could not account for.
                self.slot.roll_back()?;
            }
            (Phase::ReportSucceeded, _) => {
                self.park_report(FinalReport::new(JobExecutionStatus::Succeeded, None));
            }
            (Phase::ReportFailed, boot) => {
                let reason = self.record.reason;
                let rolled_back = boot == BootState::Trial;
                self.park_report(FinalReport {
                    status: JobExecutionStatus::Failed,
                    reason,
                    rolled_back,
                });
                if rolled_back {
                    self.emit(Event::RollBackAndReboot {
                        reason: reason.unwrap_or(Reason::SelfTestFailed),
                    });
                }
            }
            _ => {}
        }
        Ok(())
    }

    /// At start-up, the boot flags cannot be read (corrupt). Whether the running image is
    /// committed is unknown, and nothing can be marked pending (jobs then fail with
    /// `storage_failure`), but the client runs: final reports are still sent. An image the
    /// record says was installed may be running on trial: its job is reported FAILED (a
    /// record written first, so that a bootloader that does not repair the flags cannot cause
    /// a reset loop), the slot is asked to roll back, and the application to reset, at which
    /// the bootloader boots its last committed image.
    pub(super) fn on_unreadable_flags(&mut self) {
        self.emit(Event::StorageFailed);
        let downloaded =
            self.record.image_size > 0 && self.record.received == self.record.image_size;
        match self.record.phase {
            Phase::Installed | Phase::Downloading
                if downloaded || self.record.phase == Phase::Installed =>
            {
                let reason = Reason::StorageFailure;
                self.record.phase = Phase::ReportFailed;
                self.record.reason = Some(reason);
                let _ = self.persist();
                let _ = self.slot.roll_back();
                self.park_report(FinalReport {
                    status: JobExecutionStatus::Failed,
                    reason: Some(reason),
                    rolled_back: true,
                });
                self.emit(Event::RollBackAndReboot { reason });
            }
            Phase::ReportSucceeded => {
                self.park_report(FinalReport::new(JobExecutionStatus::Succeeded, None));
            }
            Phase::ReportFailed => {
                let reason = self.record.reason;
                self.park_report(FinalReport::new(JobExecutionStatus::Failed, reason));
            }
            _ => {}
        }
    }

    /// Installed, but the device now runs a committed image: either ours was committed just
    /// before a power cut, or it never booted or was reverted.
    fn after_untried_reset(&mut self, boot: BootState) -> Result<(), StorageError> {
        if self.running_is_target() {
            self.raise_floor();
            self.record.phase = Phase::ReportSucceeded;
            self.persist()?;
            self.park_report(FinalReport::new(JobExecutionStatus::Succeeded, None));
        } else {
            let reason = if boot == BootState::RolledBack {
                Reason::RolledBackByBootloader
            } else {
                Reason::ActivationFailed
            };
            self.record.phase = Phase::ReportFailed;
            self.record.reason = Some(reason);
            self.persist()?;
            self.park_report(FinalReport::new(JobExecutionStatus::Failed, Some(reason)));
        }
        Ok(())
    }

    /// A final report of the recorded job, to send on the next `handle_connected`.
    fn park_report(&mut self, report: FinalReport) {
        if_logging! {
            if let Some(reason) = report.reason {
                log_warn!("ota job {} (at start-up): {}", report.status.as_str(), reason);
            }
        }
        self.enter(Next::Recorded(Stage::Reporting(report)), When::OnConnect);
    }

    /// Whether the running firmware is the image this job installed: the signed version for
    /// manifest documents; for AWS `afr_ota`, newer than the version that downloaded it (the
    /// AWS agent's `updatedBy` check, against the persisted value rather than the job's).
    fn running_is_target(&self) -> bool {
        let running = self.config.borrow().running_version;
        match (self.record.kind, self.record.target_version) {
            (ImageKind::Manifest, Some(target)) => running.cmp_precedence(&target).is_eq(),
            (ImageKind::Manifest, None) => false,
            _ => running.cmp_precedence(&self.record.updated_by).is_gt(),
        }
    }

    /// The service acknowledged `self_test: active`: check the version, then let the
    /// application test.
    pub(super) fn on_active_accepted(&mut self, now: Instant) {
        if !self.running_is_target() {
            let reason = if self.record.kind == ImageKind::Manifest {
                Reason::BootedWrongVersion
            } else {
                Reason::NotNewer
            };
            return self.fail_trial(now, reason);
        }
        // The self-test deadline starts now.
        self.enter(Next::Stage(Stage::SelfTest), When::Now(now));
        self.emit(Event::SelfTestRequired);
    }

    pub(super) fn on_self_test(&mut self, now: Instant, passed: bool) -> Result<(), Error> {
        if !matches!(self.state.stage(), Some(Stage::SelfTest)) {
            return Err(Error::UnexpectedCall);
        }
        if !passed {
            self.fail_trial(now, Reason::SelfTestFailed);
            return Ok(());
        }
        if self.slot.commit().is_err() {
            self.fail_trial(now, Reason::StorageFailure);
            return Ok(());
        }
        self.raise_floor();
        self.record.phase = Phase::ReportSucceeded;
        // If this write is lost, the boot after the next reset sees a committed image of
        // the target version and reports SUCCEEDED then.
        let _ = self.persist();
        self.emit(Event::Committed);
        self.report(now, FinalReport::new(JobExecutionStatus::Succeeded, None));
        Ok(())
    }

    /// Raise the anti-rollback floor to the running (now committed) image, and the device's
    /// security counter with it. The counter is raised only after the commit, so the fallback
    /// image is never below it while it may still boot. A failed raise is redone at the next
    /// start (from the record's floor, see `restore_floor`).
    ///
    /// The release a floor reset allows sets the floor to itself instead, lower, and the
    /// allowance is spent.
    fn raise_floor(&mut self) {
        let running = self.config.borrow().running_version;
        let target = self.record.target_counter;
        if self.record.allowance.take() == Some((running, target)) {
            self.record.floor = RollbackFloor {
                version: running,
                security_counter: target,
            };
            let _ = self.slot.raise_security_counter(target.0);
            return;
        }
        let floor = &mut self.record.floor;
        if running > floor.version {
            floor.version = running;
        }
        let counter = target.0.max(floor.security_counter.0);
        floor.security_counter = SecurityCounter(counter);
        let _ = self.slot.raise_security_counter(counter);
    }

    /// The trial image failed: have the bootloader return to the previous image, record the
    /// report, and ask the application to reset.
    pub(super) fn fail_trial(&mut self, now: Instant, reason: Reason) {
        let _ = self.slot.roll_back();
        self.record.phase = Phase::ReportFailed;
        self.record.reason = Some(reason);
        let _ = self.persist();
        self.emit(Event::RollBackAndReboot { reason });
        self.report(
            now,
            FinalReport {
                status: JobExecutionStatus::Failed,
                reason: Some(reason),
                rolled_back: true,
            },
        );
    }
}
