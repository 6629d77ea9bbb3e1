//! [`Manifest::parse`]: the manifest read with [`Reader`], by hand. Accepts and refuses
//! exactly what the `Deserialize` derive does through [`crate::json::from_slice`] (the tests
//! below and the `manifest` fuzz target compare the two), in a fraction of its code.

use super::statement::{Manifest, Sha256Hex};
use crate::jobs::JobId;
use crate::jobs::wire_read as read;
use crate::json::{Error, Fields, Reader, Unknown};
use crate::version::{SecurityCounter, Version};

const FIELDS: &[&str] = &[
    "product",
    "hardware",
    "fileId",
    "version",
    "securityCounter",
    "size",
    "sha256",
    "minVersion",
    "expires",
    "jobId",
];

impl Manifest<'_> {
    /// Parse manifest bytes (strict JSON, no allocation; unknown members refused).
    ///
    /// # Errors
    /// The JSON error, e.g. a missing or unknown key.
    pub fn parse(bytes: &[u8]) -> Result<Manifest<'_>, Error> {
        Reader::read_all(bytes, read)
    }
}

fn read<'a>(r: &mut Reader<'a>) -> Result<Manifest<'a>, Error> {
    let mut fields = Fields::new(FIELDS);
    let (mut product, mut hardware, mut file_id, mut version) = (None, None, 0, None);
    let (mut counter, mut size, mut sha256) = (None, None, None);
    let (mut min_version, mut expires, mut job_id) = (None, None, None);
    let mut object = r.object()?;
    while let Some(key) = r.next_key(&mut object)? {
        match fields.member(r, key, Unknown::Deny)? {
            Some(0) => product = Some(r.string()?),
            Some(1) => hardware = Some(r.string()?),
            Some(2) => file_id = r.u8()?,
            Some(3) => version = Some(read_version(r)?),
            Some(4) => counter = Some(SecurityCounter(r.u32()?)),
            Some(5) => size = Some(r.u32()?),
            Some(6) => sha256 = Some(read_sha256(r)?),
            Some(7) => min_version = (!r.null()?).then(|| read_version(r)).transpose()?,
            Some(8) => expires = (!r.null()?).then(|| r.u64()).transpose()?,
            _ => job_id = read::optional(r, JobId::check_json)?,
        }
    }
    Ok(Manifest {
        product: fields.required(r, 0, product)?,
        hardware: fields.required(r, 1, hardware)?,
        file_id,
        version: fields.required(r, 3, version)?,
        security_counter: fields.required(r, 4, counter)?,
        size: fields.required(r, 5, size)?,
        sha256: fields.required(r, 6, sha256)?,
        min_version,
        expires,
        job_id,
    })
}

/// A version string (decoded when escaped), parsed strictly.
pub(crate) fn read_version(r: &mut Reader<'_>) -> Result<Version, Error> {
    // Longer than any valid version (three 10-digit numbers and two 32-byte labels).
    let mut buf = [0u8; 128];
    let text = r.decoded(&mut buf)?;
    Version::parse(text).map_err(|_| r.data_error("invalid value: a semantic version"))
}

fn read_sha256(r: &mut Reader<'_>) -> Result<Sha256Hex, Error> {
    let mut buf = [0u8; 64];
    let text = r.decoded(&mut buf)?;
    Sha256Hex::parse(text).ok_or_else(|| r.data_error("invalid value: 64 hex digits"))
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;
    use crate::json::differential::{apply, compare, edits};

    /// Valid manifests: every member, the required ones only, escapes, nulls.
    const VALID: &[&str] = &[
        r#"{"product":"acme-sensor","hardware":"rev-b","fileId":0,"version":"1.2.3","securityCounter":5,"size":65536,"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","minVersion":"1.0.0","expires":1790000000,"jobId":"fw-123"}"#,
        r#"{"product":"a","hardware":"b","version":"0.0.1","securityCounter":0,"size":1,"sha256":"9F86D081884C7D659A2FEAA0C55AD015A3BF4F1B2B0B822CD15D6C15B0F00A08"}"#,
        r#" { "product" : "ac\u006de" , "hardware":"rev\/b","version":"1.2.3-rc.1+b\u0031","securityCounter":4294967295,"size":0,"sha256":"9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","minVersion":null,"expires":null,"jobId":null,"fileId":255 } "#,
        r#"{"jobId":"j\u0031","sha256":"\u0039f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08","size":7,"securityCounter":1,"version":"2.0.0","hardware":"h","product":"p","expires":18446744073709551615}"#,
    ];

    fn check(input: &[u8]) {
        if let Err(diff) = compare(input, Manifest::parse) {
            panic!("{diff}");
        }
    }

    #[test]
    fn valid_manifests_read_as_serde_reads_them() {
        for doc in VALID {
            check(doc.as_bytes());
            Manifest::parse(doc.as_bytes()).unwrap();
        }
    }

    #[test]
    fn refusals_match_serde() {
        let sha = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";
        let base = std::format!(
            r#""product":"p","hardware":"h","version":"1.0.0","securityCounter":1,"size":1,"sha256":"{sha}""#
        );
        let cases = [
            std::format!("{{{base},\"x\":1}}"),
            std::format!("{{{base},\"product\":\"q\"}}"),
            std::format!("{{{base},\"fileId\":256}}"),
            std::format!("{{{base},\"fileId\":null}}"),
            std::format!("{{{base},\"fileId\":\"1\"}}"),
            std::format!("{{{base},\"fileId\":-1}}"),
            std::format!("{{{base},\"fileId\":1.0}}"),
            std::format!("{{{base},\"expires\":18446744073709551616}}"),
            std::format!("{{{base},\"minVersion\":\"01.0.0\"}}"),
            std::format!("{{{base},\"jobId\":\"\"}}"),
            std::format!("{{{base},\"jobId\":\"a b\"}}"),
            std::format!("{{{base},\"jobId\":\"{}\"}}", "j".repeat(65)),
            std::format!("{{{base},\"jobId\":\"{}\"}}", "\\u006a".repeat(65)),
            std::format!("{{{base},\"version\":\"{}\"}}", "\\u0031".repeat(300)),
            std::format!("{{{base},\"v\\u0065rsion\":\"1.0.0\"}}"),
            std::format!("{{{base}}} x"),
            std::format!("{{{base},}}"),
            std::format!("[{base}]"),
            r#"{"product":"p"}"#.into(),
            "{}".into(),
            "".into(),
            "null".into(),
        ];
        for case in &cases {
            check(case.as_bytes());
            assert!(Manifest::parse(case.as_bytes()).is_err(), "{case}");
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(4000))]
        #[test]
        fn mutated_manifests_read_as_serde_reads_them(
            which in 0..VALID.len(),
            edits in edits(6),
        ) {
            let input = apply(VALID[which].as_bytes(), &edits);
            prop_assert_eq!(compare(&input, Manifest::parse), Ok(()));
        }
    }
}
