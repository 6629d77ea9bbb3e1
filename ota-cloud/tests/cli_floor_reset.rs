//! `ota-cloud floor-reset` end to end: a floor reset signed by two root keys that
//! `ota-cloud inspect` finds meets a threshold of 2, the refusals a user meets, and its
//! signatures checked by the `openssl` CLI (these tests need `openssl` on PATH and fail, not
//! skip, without it).
#![cfg(feature = "cli")]

mod common;

use std::fs;
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::args::{self, with};
use common::cli::{ota_cloud, text};
use common::scratch::Dir;

/// `ota-cloud ARGS`, which must succeed; its stdout.
fn ours_ok(args: &[&str]) -> String {
    let out = ota_cloud(args).output().unwrap();
    assert!(
        out.status.success(),
        "ota-cloud {args:?} failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `ota-cloud ARGS`, which must fail with `code` and one line on stderr; that line.
fn ours_fails(code: i32, args: &[&str]) -> String {
    let out = ota_cloud(args).output().unwrap();
    assert_eq!(
        out.status.code(),
        Some(code),
        "ota-cloud {args:?}: {}",
        text(&out.stderr)
    );
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("error: "), "{err:?}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// `floor-reset --key KEY --product acme --hardware rev-b --sequence 1 --version 1.2.1
/// --security-counter 6`: the caller adds `--cosign-key`, `--out` or others.
fn floor_reset(key: &str) -> Vec<&str> {
    vec![
        "floor-reset",
        "--key",
        key,
        "--product",
        "acme",
        "--hardware",
        "rev-b",
        "--sequence",
        "1",
        "--version",
        "1.2.1",
        "--security-counter",
        "6",
    ]
}

/// P-256 key pairs `a.pem`/`a.pub.pem` and `b.pem`/`b.pub.pem` in `dir`.
fn two_keys(dir: &Dir) -> [String; 4] {
    let names = [
        dir.path("a.pem"),
        dir.path("a.pub.pem"),
        dir.path("b.pem"),
        dir.path("b.pub.pem"),
    ];
    ours_ok(&args::keygen(&names[0]));
    ours_ok(&args::keygen(&names[2]));
    names
}

#[test]
fn a_floor_reset_signed_by_two_root_keys_meets_their_threshold() {
    let dir = Dir::new("floor-reset-two-keys");
    let [a, a_pub, b, b_pub] = two_keys(&dir);
    let doc = dir.path("reset.json");
    let printed = ours_ok(&with(floor_reset(&a), &["--cosign-key", &b, "--out", &doc]));
    assert!(printed.is_empty(), "{printed}");
    let written = fs::read_to_string(&doc).unwrap();
    assert!(
        written.starts_with(r#"{"operation":"floor_reset","reset":{"statement":""#)
            && written.ends_with("}\n")
            && written.contains(r#""cosignatures":[{"keyId":""#),
        "{written}"
    );

    let report = ours_ok(&[
        "inspect",
        &doc,
        "--trust",
        &a_pub,
        "--trust",
        &b_pub,
        "--threshold",
        "2",
    ]);
    for line in [
        "product: acme",
        "hardware: rev-b",
        "sequence: 1",
        "version 1.2.1 with security counter 6 below the floor, once",
        "2 of the 2 trusted keys signed, 2 needed: met",
        "a device holding these root keys would allow 1.2.1 (counter 6) once",
    ] {
        let squeezed = report.split_whitespace().collect::<Vec<_>>().join(" ");
        assert!(squeezed.contains(line), "{line:?} not in:\n{report}");
    }

    // Signed by a alone, to stdout: the threshold of 2 is not met and a device refuses it.
    let by_a = dir.path("by-a.json");
    fs::write(&by_a, ours_ok(&floor_reset(&a))).unwrap();
    let out = ota_cloud(&[
        "inspect",
        &by_a,
        "--trust",
        &a_pub,
        "--trust",
        &b_pub,
        "--threshold",
        "2",
    ])
    .output()
    .unwrap();
    assert_eq!(out.status.code(), Some(1), "{}", text(&out.stderr));
    let report = text(&out.stdout);
    assert!(report.contains("needed: NOT met"), "{report}");
    assert!(report.contains("a device would reject it"), "{report}");
}

#[test]
fn unusable_floor_resets_are_refused() {
    let dir = Dir::new("floor-reset-refused");
    let [a, _, b, _] = two_keys(&dir);
    let key_before = fs::read(&a).unwrap();
    // An output over an input.
    let err = ours_fails(2, &with(floor_reset(&a), &["--out", &a]));
    assert!(err.contains("--out"), "{err}");
    let err = ours_fails(
        2,
        &with(floor_reset(&a), &["--cosign-key", &b, "--out", &b]),
    );
    assert!(err.contains("--out"), "{err}");
    assert_eq!(fs::read(&a).unwrap(), key_before);
    // A product the statement cannot carry, a sequence no device takes, a bad version.
    let mut quoted = floor_reset(&a);
    quoted[4] = "ac\"me";
    let err = ours_fails(2, &quoted);
    assert!(err.contains("product: "), "{err}");
    let mut zero = floor_reset(&a);
    zero[8] = "0";
    ours_fails(2, &zero);
    let mut banana = floor_reset(&a);
    banana[10] = "banana";
    assert!(ours_fails(2, &banana).contains("not a version"));
    // The same key twice.
    let err = ours_fails(1, &with(floor_reset(&a), &["--cosign-key", &a]));
    assert!(err.contains("already signed"), "{err}");
    assert_eq!(dir.names(), ["a.pem", "a.pub.pem", "b.pem", "b.pub.pem"]);
}

/// `openssl ARGS`, which must succeed; its stdout.
fn openssl(args: &[&str]) -> String {
    let out: Output = match Command::new("openssl").args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => panic!(
            "this test needs the `openssl` command-line tool, and it is not on PATH \
             (install it, e.g. `apt-get install openssl`; CI does)"
        ),
        Err(e) => panic!("cannot run openssl: {e}"),
    };
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}{}",
        text(&out.stdout),
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// The statement and each signature (first, then the cosignatures) of the floor-reset
/// document at `doc`, decoded into files in `dir`: the statement's path and, per signature,
/// its key id and the signature file's path.
fn unpack(dir: &Dir, doc: &str) -> (String, Vec<(String, String)>) {
    let json: serde_json::Value = serde_json::from_str(&fs::read_to_string(doc).unwrap()).unwrap();
    let reset = &json["reset"];
    let decode = |v: &serde_json::Value| STANDARD.decode(v.as_str().unwrap()).unwrap();
    let statement = dir.path("statement.json");
    fs::write(&statement, decode(&reset["statement"])).unwrap();
    let mut signatures = vec![(reset["keyId"].clone(), reset["signature"].clone())];
    for c in reset["cosignatures"].as_array().into_iter().flatten() {
        signatures.push((c["keyId"].clone(), c["signature"].clone()));
    }
    let signatures = signatures
        .iter()
        .enumerate()
        .map(|(i, (key_id, signature))| {
            let path = dir.path(&format!("sig{i}.bin"));
            fs::write(&path, decode(signature)).unwrap();
            (key_id.as_str().unwrap().to_owned(), path)
        })
        .collect();
    (statement, signatures)
}

/// `ota-cloud keygen` prints the key id; the id in `output`.
fn key_id(keygen_output: &str) -> String {
    keygen_output
        .split_whitespace()
        .find(|w| w.len() == 64 && w.bytes().all(|b| b.is_ascii_hexdigit()))
        .unwrap_or_else(|| panic!("no key id in {keygen_output:?}"))
        .to_owned()
}

#[test]
fn openssl_verifies_the_floor_reset_signatures() {
    let dir = Dir::new("floor-reset-openssl");
    // P-256 keys of ours, one signer and one cosigner.
    let (a, b) = (dir.path("a.pem"), dir.path("b.pem"));
    let a_id = key_id(&ours_ok(&args::keygen(&a)));
    let b_id = key_id(&ours_ok(&args::keygen(&b)));
    let doc = dir.path("reset.json");
    ours_ok(&with(floor_reset(&a), &["--cosign-key", &b, "--out", &doc]));
    let (statement, signatures) = unpack(&dir, &doc);
    assert_eq!(
        fs::read_to_string(&statement).unwrap(),
        r#"{"type":"floor-reset","product":"acme","hardware":"rev-b","sequence":1,"version":"1.2.1","securityCounter":6}"#
    );
    let ids: Vec<&str> = signatures.iter().map(|(id, _)| id.as_str()).collect();
    assert_eq!(ids, [a_id.as_str(), b_id.as_str()]);
    for (public, (_, signature)) in [dir.path("a.pub.pem"), dir.path("b.pub.pem")]
        .iter()
        .zip(&signatures)
    {
        let verdict = openssl(&[
            "dgst",
            "-sha256",
            "-verify",
            public,
            "-signature",
            signature,
            &statement,
        ]);
        assert_eq!(verdict.trim(), "Verified OK");
    }

    // An RSA key of OpenSSL's, signing with RSA-PSS.
    let rsa = dir.path("rsa.pem");
    let rsa_pub = dir.path("rsa.pub.pem");
    openssl(&[
        "genpkey",
        "-quiet",
        "-algorithm",
        "RSA",
        "-pkeyopt",
        "rsa_keygen_bits:2048",
        "-out",
        &rsa,
    ]);
    openssl(&["pkey", "-in", &rsa, "-pubout", "-out", &rsa_pub]);
    let pss_doc = dir.path("reset-pss.json");
    ours_ok(&with(floor_reset(&rsa), &["--pss", "--out", &pss_doc]));
    let (statement, signatures) = unpack(&dir, &pss_doc);
    assert_eq!(signatures.len(), 1);
    let verdict = openssl(&[
        "dgst",
        "-sha256",
        "-sigopt",
        "rsa_padding_mode:pss",
        "-sigopt",
        "rsa_pss_saltlen:32",
        "-sigopt",
        "rsa_mgf1_md:sha256",
        "-verify",
        &rsa_pub,
        "-signature",
        &signatures[0].1,
        &statement,
    ]);
    assert_eq!(verdict.trim(), "Verified OK");
    let report = ours_ok(&["inspect", &pss_doc, "--trust", &rsa_pub, "--pss"]);
    assert!(
        report.contains("a device holding these root keys would allow 1.2.1 (counter 6) once"),
        "{report}"
    );
}
