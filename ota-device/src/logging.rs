//! Log lines for someone debugging an update in the field: `defmt` on firmware, `log` on
//! hosts. The crate logs through these macros and nothing else.
//!
//! - feature `defmt`: `defmt`'s macros (the firmware links a global logger);
//! - feature `log`: the `log` crate's, target `ota_device::…` (the module);
//! - both: `defmt` on bare-metal targets (`target_os = "none"`), `log` on every other, so that
//!   a host build with every feature links no `defmt` logger;
//! - neither: an `if false` block that only borrows the arguments. They are type-checked but
//!   never evaluated, and no code or string is emitted: the firmware is byte-identical to one
//!   without these calls (measured, see the README).
//!
//! Code that only picks a line (an `if let` on a reason, a match on an event) goes in
//! `if_logging!`, which is the same `if false` without a logging feature. Left outside,
//! even an `if let` with an empty body changes what the optimizer inlines: a firmware without
//! logging then differs (by 152 bytes, in the measurement that found it).
//!
//! Formats use `{}` and `{:?}` only, on integers, `&str`, and types that implement both
//! `core::fmt` and `defmt::Format` ([`crate::Reason`], [`crate::Error`],
//! [`crate::storage::StorageError`]). What is logged: events, dropped messages, state
//! changes, final reports with their reason, state-store failures. What is never logged:
//! payloads, job documents, URLs, keys, tokens.

use crate::event::Event;

#[cfg(all(feature = "defmt", any(target_os = "none", not(feature = "log"))))]
macro_rules! log_at {
    ($level:ident, $($arg:tt)+) => {
        ::defmt::$level!($($arg)+)
    };
}

#[cfg(all(feature = "log", not(all(feature = "defmt", target_os = "none"))))]
macro_rules! log_at {
    ($level:ident, $($arg:tt)+) => {
        ::log::$level!($($arg)+)
    };
}

#[cfg(not(any(feature = "defmt", feature = "log")))]
macro_rules! log_at {
    ($level:ident, $fmt:literal $(, $arg:expr)* $(,)?) => {
        if false {
            $(let _ = &$arg;)*
        }
    };
}

/// Statements that exist only to log, run with a logging feature. Without one they are
/// type-checked inside `if false` and never compiled into code.
#[cfg(any(feature = "defmt", feature = "log"))]
macro_rules! if_logging {
    ($($body:tt)*) => {
        $($body)*
    };
}

#[cfg(not(any(feature = "defmt", feature = "log")))]
macro_rules! if_logging {
    ($($body:tt)*) => {
        if false {
            $($body)*
        }
    };
}

/// Steps worth seeing when debugging (dropped messages, state changes).
macro_rules! log_debug {
    ($($arg:tt)+) => {
        log_at!(debug, $($arg)+)
    };
}

/// What the application is told (events).
macro_rules! log_info {
    ($($arg:tt)+) => {
        log_at!(info, $($arg)+)
    };
}

/// A job refused or failed, an event that needs attention.
macro_rules! log_warn {
    ($($arg:tt)+) => {
        log_at!(warn, $($arg)+)
    };
}

/// Storage that failed.
macro_rules! log_error {
    ($($arg:tt)+) => {
        log_at!(error, $($arg)+)
    };
}

/// Logs `event` as one line: its kind and numbers, at info (warn for storage failures,
/// roll-backs and undelivered reports). Does not log the job id or anything from a payload.
/// Call it in `if_logging!`.
pub(crate) fn event(event: &Event) {
    match *event {
        Event::DownloadStarted { size, from_byte } => {
            log_info!(
                "ota event: download started, {} bytes from byte {}",
                size,
                from_byte
            );
        }
        Event::Progress { received, total } => {
            log_info!("ota event: progress {} of {} bytes", received, total);
        }
        Event::FetchRange { offset, len } => {
            log_info!("ota event: fetch {} bytes at {}", len, offset);
        }
        Event::ActivateAndReboot => log_info!("ota event: activate and reboot"),
        Event::SelfTestRequired => log_info!("ota event: self-test required"),
        Event::Committed => log_info!("ota event: committed"),
        Event::RollBackAndReboot { reason } => {
            log_warn!("ota event: roll back and reboot ({})", reason);
        }
        Event::JobFinished { status, reason } => match reason {
            Some(reason) => log_info!("ota event: job finished {} ({})", status.as_str(), reason),
            None => log_info!("ota event: job finished {}", status.as_str()),
        },
        Event::JobCanceled => log_info!("ota event: job canceled"),
        Event::StorageFailed => log_warn!("ota event: storage failed"),
        Event::ReportUndelivered => log_warn!("ota event: report undelivered"),
        Event::TrustRotated { version } => {
            log_info!("ota event: trust rotated to root {}", version)
        }
        Event::Stale { last_issued } => {
            log_info!("ota event: stale, newest statement issued {}", last_issued);
        }
        Event::FloorResetAllowed { security_counter } => log_info!(
            "ota event: floor reset allowed (security counter {})",
            security_counter
        ),
        Event::Fresh { issued } => log_info!("ota event: fresh, issued {}", issued),
        Event::Behind => log_info!("ota event: behind a newer release"),
    }
}
