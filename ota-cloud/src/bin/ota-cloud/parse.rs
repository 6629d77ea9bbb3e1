//! Parsers for option values shared by the commands.

use ota_core::version::{Version, VersionError};

use ota_cloud::schedule::parse_schedule_time;

/// A semantic version: `MAJOR.MINOR.PATCH[-PRE][+BUILD]`, no `v` prefix. The error says the
/// text is not a version and why.
pub(crate) fn version(text: &str) -> Result<Version, String> {
    Version::parse(text).map_err(|e| {
        let why = match e {
            VersionError::BadNumber | VersionError::BadLabel | VersionError::LabelTooLong => {
                e.to_string()
            }
            _ => "expected MAJOR.MINOR.PATCH".into(),
        };
        format!("not a version: {why} (e.g. 1.2.3 or 2.0.0-rc.1)")
    })
}

/// A point in time as Unix seconds: decimal seconds, or `YYYY-MM-DDTHH:MM` in UTC.
pub(crate) fn unix_time(text: &str) -> Result<u64, String> {
    if !text.is_empty() && text.bytes().all(|b| b.is_ascii_digit()) {
        return text
            .parse()
            .map_err(|_| "Unix time out of range".to_string());
    }
    parse_schedule_time(text)
        .map(|ms| ms / 1000)
        .map_err(|e| format!("{e} (expected Unix seconds or YYYY-MM-DDTHH:MM in UTC)"))
}

/// A device's trusted time: `unknown`, or a time as [`unix_time`] reads it.
pub(crate) fn trusted_time(text: &str) -> Result<ota_core::manifest::TrustedTime, String> {
    use ota_core::manifest::TrustedTime;
    if text == "unknown" {
        return Ok(TrustedTime::Unknown);
    }
    unix_time(text).map(TrustedTime::Unix)
}

/// Unix seconds now, from the system clock.
pub(crate) fn now() -> u64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_and_versions() {
        assert_eq!(unix_time("1900000000"), Ok(1_900_000_000));
        assert_eq!(unix_time("2030-01-01T00:00"), Ok(1_893_456_000));
        use ota_core::manifest::TrustedTime;
        assert_eq!(trusted_time("unknown"), Ok(TrustedTime::Unknown));
        assert_eq!(
            trusted_time("1900000000"),
            Ok(TrustedTime::Unix(1_900_000_000))
        );
        assert!(trusted_time("never").is_err());
        assert!(unix_time("").is_err());
        assert!(unix_time("99999999999999999999999").is_err());
        assert!(unix_time("2030-02-30T00:00").is_err());
        assert!(
            unix_time("tomorrow")
                .unwrap_err()
                .contains("YYYY-MM-DDTHH:MM")
        );
        assert_eq!(version("1.2.3"), Ok(Version::new(1, 2, 3)));
        assert!(version("v1.2").is_err());
        let banana = version("banana").unwrap_err();
        assert!(
            banana.starts_with("not a version: expected MAJOR.MINOR.PATCH")
                && !banana.contains("range"),
            "{banana}"
        );
        assert!(version("1.02.3").unwrap_err().contains("leading zero"));
        assert!(now() > 1_700_000_000);
    }
}
