//! [`GatewayEngine`]: the engine as the gateway uses it, so that a durable service can
//! journal the device calls that change it before they are made.

use crate::error::DataPlaneError;
use crate::jobs::engine::{Engine, Notification};
use crate::jobs::model::{DeviceExecution, StartNext, UpdateExecution, UpdateOutcome};

/// The engine as the gateway uses it: reads, the two device calls that change it
/// (`StartNextPendingJobExecution` and `UpdateJobExecution`), and its pushes.
///
/// [`Engine`] makes the calls directly. A durable service (`durable::Durable`, feature
/// `sqlite`) commits each call to its journal first and refuses it with `InternalError`
/// when it cannot, so a device is never answered for a change a restart would lose.
pub trait GatewayEngine {
    /// The engine, for reads.
    fn engine(&self) -> &Engine;
    /// `StartNextPendingJobExecution` for `thing`.
    ///
    /// # Errors
    /// The engine's refusal, or `InternalError` when the call could not be recorded.
    fn start_next(
        &mut self,
        thing: &str,
        request: &StartNext,
    ) -> Result<Option<DeviceExecution>, DataPlaneError>;
    /// `UpdateJobExecution` of `thing`'s execution of `job_id`.
    ///
    /// # Errors
    /// The engine's refusal, or `InternalError` when the call could not be recorded.
    fn update_execution(
        &mut self,
        thing: &str,
        job_id: &str,
        update: &UpdateExecution,
    ) -> Result<UpdateOutcome, DataPlaneError>;
    /// The next push the engine produced, if any.
    fn poll_notification(&mut self) -> Option<Notification>;
}

impl GatewayEngine for Engine {
    fn engine(&self) -> &Engine {
        self
    }

    fn start_next(
        &mut self,
        thing: &str,
        request: &StartNext,
    ) -> Result<Option<DeviceExecution>, DataPlaneError> {
        Self::start_next(self, thing, request)
    }

    fn update_execution(
        &mut self,
        thing: &str,
        job_id: &str,
        update: &UpdateExecution,
    ) -> Result<UpdateOutcome, DataPlaneError> {
        Self::update_execution(self, thing, job_id, update)
    }

    fn poll_notification(&mut self) -> Option<Notification> {
        Self::poll_notification(self)
    }
}
