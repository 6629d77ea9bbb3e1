//! Client configuration.

use ota_core::jobs::ThingName;
use ota_core::streams::Format;
use ota_core::time::Duration;
use ota_core::version::Version;

/// How requests are retried: exponential backoff with jitter, bounded in time and count.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct RetryConfig {
    /// How long to wait for a reply before a request counts as lost.
    pub reply_timeout: Duration,
    /// First backoff; doubled on each further attempt.
    pub initial_backoff: Duration,
    /// Longest backoff.
    pub max_backoff: Duration,
    /// Attempts per request (the first send included) before giving up.
    pub max_attempts: u8,
}

impl Default for RetryConfig {
    /// 10 s reply timeout, backoff 1 s doubling to 60 s, 8 attempts.
    fn default() -> Self {
        Self {
            reply_timeout: Duration::from_secs(10),
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(60),
            max_attempts: 8,
        }
    }
}

/// Which transport to use when a document offers both.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum PreferredTransport {
    /// MQTT streams (the default: no second connection needed).
    Mqtt,
    /// HTTP ranges fetched by the application.
    Http,
}

/// Everything the client needs to know about the device and how to behave.
#[derive(Debug, Clone, Copy)]
#[non_exhaustive]
pub struct Config<'a> {
    /// This device's thing name.
    pub thing_name: ThingName<'a>,
    /// Topic root, `$aws` on AWS IoT (another root for brokers that refuse `$` topics).
    pub topic_root: &'a str,
    /// Product id, compared with signed manifests.
    pub product: &'a str,
    /// Hardware id, compared with signed manifests.
    pub hardware: &'a str,
    /// The version of the firmware that is running (compiled in).
    pub running_version: Version,
    /// Stream block size in bytes: a power of two in 256..=131072.
    pub block_size: u32,
    /// Blocks asked for per stream request (1..=64).
    pub blocks_per_request: u32,
    /// CBOR (smaller) or JSON stream messages; JSON needs the `json-streams` feature.
    pub stream_format: Format,
    /// Transport when both are offered.
    pub preferred_transport: PreferredTransport,
    /// Request timeouts and retries.
    pub retry: RetryConfig,
    /// How long the application has to report its self-test after booting a new image.
    pub self_test_timeout: Duration,
    /// Report `receive: n/total` every this many blocks (the AWS agent uses 64).
    pub progress_every_blocks: u32,
    /// Persist download progress every this many blocks (more often costs flash wear).
    pub persist_every_blocks: u32,
    /// Refuse manifests with an expiry while no trusted time is set.
    pub require_trusted_time: bool,
    /// Accept an image whose version equals the installed one.
    pub allow_same_version: bool,
    /// Take AWS `afr_ota` documents (with the `afr-ota` feature; default `true`). Their
    /// `fileType`, which decides whether the signed file is activated, is not signed: a
    /// network attacker can turn a signed firmware into "SUCCEEDED, not installed". A
    /// device whose releases use this project's signed manifest sets `false`, and every
    /// `afr_ota` document is refused unread (`REJECTED`, `unsupported_document`).
    pub accept_afr_ota: bool,
    /// How often a client with nothing in hand asks `$next/get` (jittered: uniform in the upper
    /// half of the interval). Notifications are the fast path; this check makes sure that a
    /// lost or stale one cannot leave a job waiting on the service while the device idles. A
    /// final report that ran out of attempts is also retried after this interval. At least one
    /// second ([`crate::Error::BadConfig`] otherwise).
    pub idle_check_interval: Duration,
    /// Seed for backoff jitter and client tokens. Give each boot another one (a hardware
    /// random number, or a boot counter mixed with the device id): client tokens are drawn
    /// from it, and a boot that repeats the last boot's seed repeats its tokens, so a late
    /// reply to the last boot's request could match (the client still ignores one naming a
    /// job it finished).
    pub random_seed: u64,
    /// The bytes of the running image's manifest trailer (see [`crate::trailer`]): on most
    /// microcontrollers a slice of the running slot's memory-mapped flash at
    /// [`crate::trailer::region`]. Empty (the default) when there is none, e.g. a factory
    /// image programmed without one. The client checks its signature and takes the
    /// anti-rollback floor at least from it; bytes that do not verify are ignored.
    pub running_trailer: &'a [u8],
    /// Freeze defence (see [`ota_core::freshness`]): when set, and the client's trust root
    /// has a timestamp role, the client asks for the signed "latest release" statement with
    /// every `$next/get`, and reports itself stale ([`crate::Event::Stale`], and `stale` in
    /// its next request) when no statement newer than the last one arrived for this long
    /// (its own uptime, so no clock is needed), or the newest one expired by trusted time.
    /// `None` (the default): no statement is asked for.
    pub freshness_max_age: Option<Duration>,
}

impl<'a> Config<'a> {
    /// A configuration with the defaults: `$aws` root, 1 KiB CBOR blocks, 16 per request,
    /// MQTT preferred, [`RetryConfig::default`], 5-minute self-test, progress every 64 blocks,
    /// persistence every 16 blocks, an idle check every hour, seed 1.
    pub const fn new(
        thing_name: ThingName<'a>,
        product: &'a str,
        hardware: &'a str,
        running_version: Version,
    ) -> Self {
        Self {
            thing_name,
            topic_root: "$aws",
            product,
            hardware,
            running_version,
            block_size: 1024,
            blocks_per_request: 16,
            stream_format: Format::Cbor,
            preferred_transport: PreferredTransport::Mqtt,
            retry: RetryConfig {
                reply_timeout: Duration::from_secs(10),
                initial_backoff: Duration::from_secs(1),
                max_backoff: Duration::from_secs(60),
                max_attempts: 8,
            },
            self_test_timeout: Duration::from_secs(300),
            progress_every_blocks: 64,
            persist_every_blocks: 16,
            require_trusted_time: false,
            allow_same_version: false,
            accept_afr_ota: true,
            idle_check_interval: Duration::from_secs(3600),
            random_seed: 1,
            running_trailer: &[],
            freshness_max_age: None,
        }
    }

    /// Check the numeric settings.
    pub(crate) fn validate(&self) -> Result<(), crate::Error> {
        let block_ok =
            self.block_size.is_power_of_two() && (256..=131_072).contains(&self.block_size);
        let window_ok = (1..=64).contains(&self.blocks_per_request);
        let every_ok = self.progress_every_blocks > 0 && self.persist_every_blocks > 0;
        let retry_ok = self.retry.max_attempts > 0;
        let idle_ok = self.idle_check_interval.as_millis() >= 1000;
        let format_ok = supports(self.stream_format);
        if block_ok
            && window_ok
            && every_ok
            && retry_ok
            && idle_ok
            && format_ok
            && !self.topic_root.is_empty()
        {
            Ok(())
        } else {
            Err(crate::Error::BadConfig)
        }
    }
}

/// Whether this build speaks `format`: CBOR always, JSON with the `json-streams` feature.
const fn supports(format: Format) -> bool {
    match format {
        Format::Cbor => true,
        Format::Json => cfg!(feature = "json-streams"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(format: Format) -> Config<'static> {
        let thing = ThingName::new("t").unwrap();
        let mut config = Config::new(thing, "p", "h", Version::new(1, 0, 0));
        config.stream_format = format;
        config
    }

    #[test]
    fn json_streams_need_their_feature() {
        assert_eq!(config(Format::Cbor).validate(), Ok(()));
        let json = config(Format::Json).validate();
        if cfg!(feature = "json-streams") {
            assert_eq!(json, Ok(()));
        } else {
            assert_eq!(json, Err(crate::Error::BadConfig));
        }
    }
}
