//! Reading Wycheproof's vector files (`tests/vectors/wycheproof/`) and counting outcomes as
//! `wycheproof.rs` reports them (included with `#[path]` there and in `p256_accelerator.rs`).

use core::fmt::Write as _;
use std::path::PathBuf;

use ota_core::crypto::CryptoError;
use serde_json::Value;

pub(crate) fn load(name: &str) -> Value {
    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/vectors/wycheproof")
        .join(name);
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    serde_json::from_str(&text).expect("vector file is JSON")
}

pub(crate) fn hex(v: &Value) -> Vec<u8> {
    hex::decode(v.as_str().expect("hex string")).expect("valid hex")
}

pub(crate) fn groups(file: &Value) -> &[Value] {
    file["testGroups"].as_array().expect("testGroups")
}

pub(crate) fn tests(group: &Value) -> &[Value] {
    group["tests"].as_array().expect("tests")
}

/// Outcome counts for one file.
#[derive(Default, Debug)]
pub(crate) struct Tally {
    pub(crate) valid: usize,
    pub(crate) valid_accepted: usize,
    pub(crate) invalid: usize,
    pub(crate) invalid_rejected: usize,
    pub(crate) acceptable: usize,
    pub(crate) acceptable_accepted: usize,
    pub(crate) failures: String,
}

impl Tally {
    /// Record one case. `expect_accept_acceptable` is the policy for `acceptable` cases.
    pub(crate) fn record(
        &mut self,
        case: &Value,
        outcome: Result<(), CryptoError>,
        accept_acceptable: bool,
    ) {
        let ok = outcome.is_ok();
        let good = match case["result"].as_str() {
            Some("valid") => {
                self.valid += 1;
                self.valid_accepted += usize::from(ok);
                ok
            }
            Some("invalid") => {
                self.invalid += 1;
                self.invalid_rejected += usize::from(!ok);
                !ok
            }
            Some("acceptable") => {
                self.acceptable += 1;
                self.acceptable_accepted += usize::from(ok);
                ok == accept_acceptable
            }
            other => panic!("unknown result {other:?}"),
        };
        if !good {
            let _ = writeln!(
                self.failures,
                "  tcId {} ({}) flags {} expected {}, got {:?}",
                case["tcId"], case["comment"], case["flags"], case["result"], outcome
            );
        }
    }

    pub(crate) fn total(&self) -> usize {
        self.valid + self.invalid + self.acceptable
    }

    pub(crate) fn report(&self, file: &str) {
        println!(
            "wycheproof {file}: {} cases; valid {}/{} accepted; invalid {}/{} rejected; \
             acceptable {} ({} accepted, {} rejected)",
            self.total(),
            self.valid_accepted,
            self.valid,
            self.invalid_rejected,
            self.invalid,
            self.acceptable,
            self.acceptable_accepted,
            self.acceptable - self.acceptable_accepted,
        );
        assert!(
            self.failures.is_empty(),
            "{file} failures:\n{}",
            self.failures
        );
    }

    pub(crate) fn assert_counts(&self, valid: usize, invalid: usize, acceptable: usize) {
        assert_eq!(
            (self.valid, self.invalid, self.acceptable),
            (valid, invalid, acceptable)
        );
    }
}
