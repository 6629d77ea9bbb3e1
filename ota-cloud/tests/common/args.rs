//! The `ota-cloud` command lines the CLI tests run, said once for the in-process tests
//! (`src/bin/ota-cloud/tests.rs`, which include this file) and the tests of the binary.

/// `keygen --algorithm p256 --out KEY`: a new P-256 key pair at `key` and `*.pub.pem`.
pub fn keygen(key: &str) -> Vec<&str> {
    vec!["keygen", "--algorithm", "p256", "--out", key]
}

/// `release --key KEY --product p --hardware h --version 1.0.0 --stream s`: a firmware
/// release with the fewest options; the caller adds `--out` or others, then the image.
pub fn release(key: &str) -> Vec<&str> {
    vec![
        "release",
        "--key",
        key,
        "--product",
        "p",
        "--hardware",
        "h",
        "--version",
        "1.0.0",
        "--stream",
        "s",
    ]
}

/// `verify --public-key PUBLIC --signature SIGNATURE FILE`.
pub fn verify<'a>(public: &'a str, signature: &'a str, file: &'a str) -> Vec<&'a str> {
    vec![
        "verify",
        "--public-key",
        public,
        "--signature",
        signature,
        file,
    ]
}

/// `inspect DOC --trust PUBLIC --file FILE`.
pub fn inspect<'a>(doc: &'a str, public: &'a str, file: &'a str) -> Vec<&'a str> {
    vec!["inspect", doc, "--trust", public, "--file", file]
}

/// `args` followed by `more`.
pub fn with<'a>(mut args: Vec<&'a str>, more: &[&'a str]) -> Vec<&'a str> {
    args.extend_from_slice(more);
    args
}
