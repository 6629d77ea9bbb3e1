//! `ota_cloud::catalog::VersionReq::parse` on any text: no panic; an accepted requirement
//! prints back to text that parses to the same requirement with the same verdicts.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_cloud::catalog::VersionReq;
use ota_core::version::Version;

fuzz_target!(|input: (&str, &str)| {
    let (text, version) = input;
    let Ok(req) = VersionReq::parse(text) else { return };
    let again = VersionReq::parse(&req.to_string()).expect("printed requirement parses");
    assert!(again == req, "round trip of {text:?}");
    if let Ok(v) = Version::parse(version) {
        assert_eq!(again.matches(&v), req.matches(&v), "{text:?} on {version:?}");
    }
});
