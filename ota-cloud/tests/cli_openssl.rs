//! The `ota-cloud` binary against the `openssl` CLI, both ways: our keys and OpenSSL's
//! signatures, OpenSSL's keys and our signatures, for P-256 and RSA (PKCS#1 v1.5 and PSS),
//! plus the errors a user meets. These tests need `openssl` on PATH and fail (not skip)
//! without it.

mod common;

use std::fs;
use std::path::Path;
use std::process::{Command, Output};

use base64::Engine as _;
use base64::engine::general_purpose::STANDARD;
use common::args::{self, with};
use common::cli::{ota_cloud, text};
use common::scratch::Dir;

const PSS: [&str; 6] = [
    "-sigopt",
    "rsa_padding_mode:pss",
    "-sigopt",
    "rsa_pss_saltlen:32",
    "-sigopt",
    "rsa_mgf1_md:sha256",
];

fn run(program: &str, args: &[&str]) -> Output {
    match Command::new(program).args(args).output() {
        Ok(out) => out,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound && program == "openssl" => panic!(
            "these tests need the `openssl` command-line tool, and it is not on PATH \
             (install it, e.g. `apt-get install openssl`; CI does)"
        ),
        Err(e) => panic!("cannot run {program}: {e}"),
    }
}

/// `openssl ARGS`, which must succeed.
fn openssl(args: &[&str]) -> String {
    let out = run("openssl", args);
    assert!(
        out.status.success(),
        "openssl {args:?} failed: {}",
        text(&out.stderr)
    );
    text(&out.stdout)
}

/// `openssl genpkey -quiet OPTIONS -out KEY`: a new private key (PKCS#8) at `key`.
fn genpkey(key: &str, options: &[&str]) {
    let mut args = vec!["genpkey", "-quiet"];
    args.extend(options);
    args.extend(["-out", key]);
    openssl(&args);
}

/// `openssl ecparam -name prime256v1 -genkey OPTIONS -out KEY`: a new P-256 key in SEC1 form
/// at `key`.
fn ecparam_genkey(key: &str, options: &[&str]) {
    let mut args = vec!["ecparam", "-name", "prime256v1", "-genkey"];
    args.extend(options);
    args.extend(["-out", key]);
    openssl(&args);
}

/// The text of the file at `path`.
fn read(path: &str) -> String {
    fs::read_to_string(path).unwrap()
}

/// `release` options of a firmware document: version 2.0.0 of product `acme` for `rev-b`.
const FIRMWARE_2_0_0: [&str; 6] = [
    "--version",
    "2.0.0",
    "--hardware",
    "rev-b",
    "--product",
    "acme",
];

/// `genpkey` options for a P-256 key.
const P256: [&str; 4] = ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"];

/// `genpkey` options for an RSA-2048 key.
const RSA2048: [&str; 4] = ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"];

/// `--pss` when `pss`, else nothing: the option of `ota-cloud` commands for RSA-PSS.
fn pss_flag(pss: bool) -> &'static [&'static str] {
    if pss { &["--pss"] } else { &[] }
}

/// `ota-cloud ARGS`.
fn ours(args: &[&str]) -> Output {
    ota_cloud(args).output().unwrap()
}

/// `ota-cloud ARGS`, which must succeed; its stdout.
fn ours_ok(args: &[&str]) -> String {
    let out = ours(args);
    assert!(
        out.status.success(),
        "ota-cloud {args:?} failed: {}",
        text(&out.stderr)
    );
    assert!(out.stderr.is_empty(), "stderr: {}", text(&out.stderr));
    text(&out.stdout)
}

/// `ota-cloud ARGS`, which must fail with `code`, nothing on stdout and one line on stderr;
/// that line.
fn ours_fails(code: i32, args: &[&str]) -> String {
    let out = ours(args);
    assert_eq!(
        out.status.code(),
        Some(code),
        "ota-cloud {args:?}: {}",
        text(&out.stderr)
    );
    assert!(
        out.stdout.is_empty() || code == 1,
        "stdout: {}",
        text(&out.stdout)
    );
    let err = text(&out.stderr);
    assert_eq!(err.lines().count(), 1, "one line: {err:?}");
    assert!(err.starts_with("error: ") && err.ends_with('\n'), "{err:?}");
    assert!(!err.contains("panicked"), "{err}");
    err
}

/// Our base64 signature file → DER/binary signature file for OpenSSL.
fn decode_to(b64_path: &str, bin_path: &str) {
    let text = read(b64_path);
    fs::write(bin_path, STANDARD.decode(text.trim()).unwrap()).unwrap();
}

/// `ota-cloud sign --key KEY [--pss] FILE` into `NAME.b64` in `dir`, decoded into
/// `NAME.bin` for OpenSSL: the binary signature's path.
fn we_sign(dir: &Dir, key: &str, file: &str, pss: bool, name: &str) -> String {
    let b64 = dir.path(&format!("{name}.b64"));
    let sign = with(vec!["sign", "--key", key, file], pss_flag(pss));
    fs::write(&b64, ours_ok(&sign)).unwrap();
    let bin = dir.path(&format!("{name}.bin"));
    decode_to(&b64, &bin);
    bin
}

/// `openssl dgst -sha256 -sign KEY -out NAME.bin [PSS options] FILE` in `dir`: OpenSSL's
/// binary signature's path.
fn openssl_sign(dir: &Dir, key: &str, file: &str, pss: bool, name: &str) -> String {
    let sig = dir.path(&format!("{name}.bin"));
    let mut args = vec!["dgst", "-sha256", "-sign", key, "-out", &sig];
    if pss {
        args.extend(PSS);
    }
    args.push(file);
    openssl(&args);
    sig
}

fn openssl_verify(public: &str, signature: &str, file: &str, pss: bool) {
    let mut args = vec![
        "dgst",
        "-sha256",
        "-verify",
        public,
        "-signature",
        signature,
    ];
    if pss {
        args.extend(PSS);
    }
    args.push(file);
    assert_eq!(openssl(&args).trim(), "Verified OK");
}

/// Our keygen, OpenSSL signs (base64 wrapped at 64 columns by `openssl base64`), we verify.
fn our_key_openssl_signs(algorithm: &str, pss: bool) {
    let dir = Dir::new(&format!("ours-{algorithm}-{pss}"));
    let key = dir.path("k.pem");
    let printed = ours_ok(&["keygen", "--algorithm", algorithm, "--out", &key]);
    let public = dir.path("k.pub.pem");
    // OpenSSL reads our private key and derives exactly our public key file.
    assert_eq!(openssl(&["pkey", "-in", &key, "-pubout"]), read(&public));
    // Our key id is the SHA-256 of the public key DER.
    let der = dir.path("k.pub.der");
    openssl(&[
        "pkey", "-pubin", "-in", &public, "-outform", "DER", "-out", &der,
    ]);
    let id = openssl(&["dgst", "-sha256", "-r", &der]);
    let id = id.split_whitespace().next().unwrap();
    assert!(printed.contains(&format!("key id:      {id}")), "{printed}");

    let file = dir.image("fw.bin");
    let sig = openssl_sign(&dir, &key, &file, pss, "sig");
    let b64 = dir.path("sig.b64");
    openssl(&["base64", "-in", &sig, "-out", &b64]);
    let mut verify = with(args::verify(&public, &b64, &file), pss_flag(pss));
    assert_eq!(ours_ok(&verify), "valid\n");
    // The other RSA padding, or another file, is refused.
    if algorithm != "p256" {
        let mut other = verify.clone();
        if pss {
            other.retain(|a| *a != "--pss");
        } else {
            other.push("--pss");
        }
        assert!(ours_fails(1, &other).contains("invalid"));
    }
    let other_file = dir.path("other.bin");
    fs::write(&other_file, b"not the signed file").unwrap();
    verify[5] = &other_file;
    assert!(ours_fails(1, &verify).contains("does not verify"));
}

#[test]
fn p256_our_key_openssl_signs_we_verify() {
    our_key_openssl_signs("p256", false);
}

#[test]
fn rsa2048_our_key_openssl_signs_pkcs1v15_we_verify() {
    our_key_openssl_signs("rsa2048", false);
}

#[test]
fn rsa3072_our_key_openssl_signs_pss_we_verify() {
    our_key_openssl_signs("rsa3072", true);
}

/// OpenSSL's key (genpkey: PKCS#8), we sign, OpenSSL verifies.
fn openssl_key_we_sign(options: &[&str], pss: bool) -> Dir {
    let dir = Dir::new(&format!(
        "theirs-{}-{pss}",
        options.join("_").replace([':', '-'], "")
    ));
    let key = dir.path("k.pem");
    genpkey(&key, options);
    let public = dir.path("k.pub.pem");
    openssl(&["pkey", "-in", &key, "-pubout", "-out", &public]);
    let file = dir.image("fw.bin");
    let sig = we_sign(&dir, &key, &file, pss, "sig");
    openssl_verify(&public, &sig, &file, pss);
    dir
}

#[test]
fn p256_openssl_key_we_sign_openssl_verifies() {
    openssl_key_we_sign(&P256, false);
}

#[test]
fn rsa_openssl_key_we_sign_pkcs1v15_byte_identical() {
    let dir = openssl_key_we_sign(&RSA2048, false);
    // PKCS#1 v1.5 is deterministic: OpenSSL's signature is ours, byte for byte.
    let theirs = openssl_sign(
        &dir,
        &dir.path("k.pem"),
        &dir.path("fw.bin"),
        false,
        "theirs",
    );
    assert_eq!(
        fs::read(&theirs).unwrap(),
        fs::read(dir.path("sig.bin")).unwrap()
    );
}

#[test]
fn rsa_openssl_key_we_sign_pss_openssl_verifies() {
    openssl_key_we_sign(
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:3072"],
        true,
    );
}

/// A committed test key in `tests/fixtures/openssl/` (RSA above 4096 bits takes OpenSSL
/// seconds to tens of seconds to generate; `generate.sh` there makes new ones).
fn fixture_key(name: &str) -> String {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/openssl")
        .join(name)
        .display()
        .to_string()
}

/// RSA keys above 4096 bits, both ways and both paddings: OpenSSL signs with an RSA-`bits`
/// key and `ota-cloud verify` accepts; `ota-cloud sign` signs (and passes its self-check) and
/// OpenSSL verifies; PKCS#1 v1.5 signatures are byte-identical; `release` documents signed with
/// the key verify in `inspect`.
fn large_rsa_both_ways(bits: usize) {
    let dir = Dir::new(&format!("rsa{bits}"));
    let key = fixture_key(&format!("rsa{bits}.pem"));
    let public = dir.path("k.pub.pem");
    openssl(&["pkey", "-in", &key, "-pubout", "-out", &public]);
    let file = dir.image("fw.bin");
    for pss in [false, true] {
        let theirs = openssl_sign(&dir, &key, &file, pss, "theirs");
        assert_eq!(fs::read(&theirs).unwrap().len(), bits / 8);
        let theirs_b64 = dir.path("theirs.b64");
        openssl(&["base64", "-in", &theirs, "-out", &theirs_b64]);
        let verify = with(args::verify(&public, &theirs_b64, &file), pss_flag(pss));
        assert_eq!(ours_ok(&verify), "valid\n", "RSA-{bits}, pss {pss}");

        let ours_bin = we_sign(&dir, &key, &file, pss, "ours");
        assert_eq!(fs::read(&ours_bin).unwrap().len(), bits / 8);
        openssl_verify(&public, &ours_bin, &file, pss);
        if !pss {
            assert_eq!(fs::read(&ours_bin).unwrap(), fs::read(&theirs).unwrap());
        }
    }
    // Job documents of both formats signed with the key pass release's self-check, and
    // inspect verifies them as a device with `alloc` would.
    for format in ["firmware", "afr-ota"] {
        let doc = dir.path(&format!("{format}.json"));
        let mut args = vec![
            "release", "--key", &key, "--format", format, "--stream", "s", "--out", &doc,
        ];
        if format == "firmware" {
            args.extend(FIRMWARE_2_0_0);
        }
        args.push(&file);
        ours_ok(&args);
        let report = ours_ok(&args::inspect(&doc, &public, &file));
        assert!(
            report.contains("verified by"),
            "RSA-{bits} {format}: {report}"
        );
    }
}

#[test]
fn rsa6144_openssl_signs_we_verify_we_sign_openssl_verifies() {
    large_rsa_both_ways(6144);
}

#[test]
fn rsa8192_openssl_signs_we_verify_we_sign_openssl_verifies() {
    large_rsa_both_ways(8192);
}

#[test]
fn openssl_sec1_and_pkcs1_keys_load() {
    let dir = Dir::new("legacy-formats");
    let file = dir.image("fw.bin");
    // `ecparam -genkey` writes an EC PARAMETERS block, then the SEC1 key.
    let ec_params = dir.path("ec_params.pem");
    ecparam_genkey(&ec_params, &[]);
    assert!(read(&ec_params).contains("BEGIN EC PARAMETERS"));
    let ec = dir.path("ec.pem");
    openssl(&["ec", "-in", &ec_params, "-out", &ec]);
    let rsa8 = dir.path("rsa8.pem");
    genpkey(&rsa8, &RSA2048);
    let rsa1 = dir.path("rsa1.pem");
    openssl(&["rsa", "-in", &rsa8, "-traditional", "-out", &rsa1]);
    assert!(read(&rsa1).starts_with("-----BEGIN RSA PRIVATE KEY-----"));
    for (name, header) in [
        ("ec_params.pem", "EC PRIVATE KEY"),
        ("ec.pem", "EC PRIVATE KEY"),
        ("rsa1.pem", "RSA PRIVATE KEY"),
    ] {
        let key = dir.path(name);
        assert!(read(&key).contains(header));
        let public = format!("{key}.pub");
        openssl(&["pkey", "-in", &key, "-pubout", "-out", &public]);
        let sig = we_sign(&dir, &key, &file, false, &format!("{name}.sig"));
        openssl_verify(&public, &sig, &file, false);
        let b64 = format!("{key}.sig.b64");
        assert_eq!(ours_ok(&args::verify(&public, &b64, &file)), "valid\n");
    }
    // A PKCS#1 public key (`BEGIN RSA PUBLIC KEY`) verifies too.
    let rsa_pub = dir.path("rsa1.pub.pkcs1");
    openssl(&["rsa", "-in", &rsa1, "-RSAPublicKey_out", "-out", &rsa_pub]);
    let b64 = format!("{rsa1}.sig.b64");
    assert_eq!(ours_ok(&args::verify(&rsa_pub, &b64, &file)), "valid\n");
}

#[test]
fn encrypted_and_unsupported_keys_are_refused_in_one_line() {
    let dir = Dir::new("refused");
    let file = dir.image("fw.bin");
    let cases: [(&str, Vec<&str>, &str); 6] = [
        (
            "pkcs8_encrypted.pem",
            vec![
                "-algorithm",
                "EC",
                "-pkeyopt",
                "ec_paramgen_curve:P-256",
                "-aes-256-cbc",
                "-pass",
                "pass:secret",
            ],
            "encrypted",
        ),
        ("ed25519.pem", vec!["-algorithm", "ED25519"], "Ed25519"),
        (
            "p384.pem",
            vec!["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"],
            "P-384",
        ),
        (
            "rsa_pss.pem",
            vec!["-algorithm", "RSA-PSS", "-pkeyopt", "rsa_keygen_bits:2048"],
            "RSA-PSS",
        ),
        (
            "rsa1024.pem",
            vec!["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"],
            "1024 bits",
        ),
        (
            "rsa_e3.pem",
            vec![
                "-algorithm",
                "RSA",
                "-pkeyopt",
                "rsa_keygen_bits:2048",
                "-pkeyopt",
                "rsa_keygen_pubexp:3",
            ],
            "exponent",
        ),
    ];
    for (name, options, expected) in cases {
        let key = dir.path(name);
        genpkey(&key, &options);
        let err = ours_fails(1, &["sign", "--key", &key, &file]);
        assert!(err.contains(expected), "{name}: {err}");
    }
    // The legacy encrypted SEC1 form (`Proc-Type: 4,ENCRYPTED`).
    let legacy = dir.path("ec_legacy_encrypted.pem");
    let plain = dir.path("plain.pem");
    ecparam_genkey(&plain, &["-noout"]);
    openssl(&[
        "ec",
        "-in",
        &plain,
        "-aes256",
        "-passout",
        "pass:secret",
        "-out",
        &legacy,
    ]);
    assert!(read(&legacy).contains("Proc-Type: 4,ENCRYPTED"));
    assert!(ours_fails(1, &["sign", "--key", &legacy, &file]).contains("encrypted"));
    let legacy_rsa = dir.path("rsa_legacy_encrypted.pem");
    openssl(&[
        "genrsa",
        "-traditional",
        "-aes256",
        "-passout",
        "pass:secret",
        "-out",
        &legacy_rsa,
        "2048",
    ]);
    assert!(ours_fails(1, &["sign", "--key", &legacy_rsa, &file]).contains("encrypted"));
}

#[test]
fn errors_are_one_line_with_the_right_exit_code() {
    let dir = Dir::new("errors");
    let file = dir.image("fw.bin");
    let key = dir.path("k.pem");
    ours_ok(&args::keygen(&key));
    let public = dir.path("k.pub.pem");
    let b64 = dir.path("sig.b64");
    fs::write(&b64, ours_ok(&["sign", "--key", &key, &file])).unwrap();

    // Usage: exit 2.
    ours_fails(2, &[]);
    ours_fails(2, &["sign", &file]);
    ours_fails(2, &["sign", "--key", &key, "--nope", &file]);
    ours_fails(2, &["keygen", "--algorithm", "dsa", "--out", &key]);
    ours_fails(2, &["release", "--key", &key, "--stream", "s", &file]);
    // Failures: exit 1.
    assert!(
        ours_fails(1, &["sign", "--key", &dir.path("absent.pem"), &file]).contains("cannot read")
    );
    assert!(
        ours_fails(1, &["sign", "--key", &key, &dir.path("absent.bin")]).contains("cannot read")
    );
    assert!(ours_fails(1, &["sign", "--key", &key, "--pss", &file]).contains("RSA keys only"));
    assert!(ours_fails(1, &["sign", "--key", &public, &file]).contains("public key"));
    assert!(ours_fails(1, &["sign", "--key", &file, &file]).contains("not text"));
    // Wrong key type: an RSA key's public file for a P-256 signature.
    let rsa = dir.path("rsa.pem");
    genpkey(&rsa, &RSA2048);
    let rsa_pub = dir.path("rsa.pub.pem");
    openssl(&["pkey", "-in", &rsa, "-pubout", "-out", &rsa_pub]);
    assert!(ours_fails(1, &args::verify(&rsa_pub, &b64, &file)).contains("invalid"));
    assert!(ours_fails(1, &args::verify(&key, &b64, &file)).contains("private key"));
    // Bad signature: one bit flipped.
    let mut sig = STANDARD.decode(read(&b64).trim()).unwrap();
    let last = sig.len() - 3;
    sig[last] ^= 1;
    let bad = dir.path("bad.b64");
    fs::write(&bad, STANDARD.encode(&sig)).unwrap();
    assert!(ours_fails(1, &args::verify(&public, &bad, &file)).contains("invalid"));
    fs::write(&bad, "%%%").unwrap();
    assert!(ours_fails(1, &args::verify(&public, &bad, &file)).contains("base64"));

    // No partial file: failed releases and key generations leave the directory as it was.
    let before = dir.names();
    let out = dir.path("doc.json");
    let release = |key, out, image| with(args::release(key), &["--out", out, image]);
    let absent = dir.path("absent.bin");
    ours_fails(1, &release(&key, &out, &absent));
    let encrypted = dir.path("enc.pem");
    genpkey(
        &encrypted,
        &[&P256[..], &["-aes-256-cbc", "-pass", "pass:x"]].concat(),
    );
    let before_enc = dir.names();
    assert!(ours_fails(1, &release(&encrypted, &out, &file)).contains("encrypted"));
    assert_eq!(dir.names(), before_enc);
    ours_fails(1, &args::keygen(&dir.path("missing-dir/k.pem")));
    ours_fails(1, &args::keygen(&key));
    ours_fails(1, &release(&key, "/proc/version/doc.json", &file));
    let mut expected = before;
    expected.push("enc.pem".into());
    expected.sort();
    assert_eq!(dir.names(), expected);
}

#[cfg(unix)]
#[test]
fn keygen_private_key_is_0600() {
    use std::os::unix::fs::PermissionsExt as _;
    let dir = Dir::new("mode");
    let key = dir.path("k.pem");
    ours_ok(&args::keygen(&key));
    let mode = |p: &str| fs::metadata(p).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode(&key), 0o600);
    assert_eq!(mode(&dir.path("k.pub.pem")) & 0o600, 0o600);
}

/// The JSON string at `pointer` in the document at `path`.
fn field(path: &str, pointer: &str) -> String {
    let doc: serde_json::Value = serde_json::from_str(&read(path)).unwrap();
    doc.pointer(pointer)
        .and_then(|v| v.as_str())
        .unwrap()
        .to_string()
}

/// Write the base64 text at JSON `pointer` of the document at `path`, decoded, to `out`.
fn decode_field(path: &str, pointer: &str, out: &str) {
    fs::write(out, STANDARD.decode(field(path, pointer)).unwrap()).unwrap();
}

#[test]
fn released_documents_verify_with_openssl() {
    let dir = Dir::new("release");
    let file = dir.image("fw.bin");
    for (options, sig_key, pss) in [
        (P256, "sig-sha256-ecdsa", false),
        (RSA2048, "sig-sha256-rsa", true),
    ] {
        let key = dir.path("k.pem");
        genpkey(&key, &options);
        let public = dir.path("k.pub.pem");
        openssl(&["pkey", "-in", &key, "-pubout", "-out", &public]);
        let pss_flag = pss_flag(pss);
        // `ota-cloud release --key KEY OPTIONS --out OUT [--pss] FILE`.
        let release = |options: &[&str], out: &str| {
            let command: &[&str] = &["release", "--key", &key];
            ours_ok(&[command, options, &["--out", out], pss_flag, &[&file]].concat());
        };

        // Firmware format: the signature covers the manifest bytes carried in base64.
        let doc = dir.path("doc.json");
        let url = ["--url", "https://example.com/fw.bin"];
        release(&[&FIRMWARE_2_0_0[..], &url].concat(), &doc);
        let manifest = dir.path("manifest.json");
        decode_field(&doc, "/firmware/manifest", &manifest);
        let sig = dir.path("manifest.sig");
        decode_field(&doc, "/firmware/signature", &sig);
        openssl_verify(&public, &sig, &manifest, pss);
        let sha = openssl(&["dgst", "-sha256", "-r", &file]);
        let manifest_text = read(&manifest);
        assert!(
            manifest_text.contains(sha.split_whitespace().next().unwrap()),
            "{manifest_text}"
        );
        assert!(manifest_text.contains(r#""size":10000"#));
        let mut inspect = args::inspect(&doc, &public, &file);
        inspect.extend(["--hardware", "rev-b", "--product", "acme"]);
        inspect.extend(["--running-version", "1.0.0"]);
        inspect.extend(pss_flag);
        assert!(ours_ok(&inspect).contains("would install"));

        // afr_ota: the signature covers the file.
        let afr = dir.path("afr.json");
        release(&["--format", "afr-ota", "--stream", "AFR_OTA-1"], &afr);
        let sig = dir.path("file.sig");
        decode_field(&afr, &format!("/afr_ota/files/0/{sig_key}"), &sig);
        openssl_verify(&public, &sig, &file, pss);
        let mut inspect = args::inspect(&afr, &public, &file);
        inspect.extend(pss_flag);
        assert!(ours_ok(&inspect).contains("file 0 verified by"));
    }
    let _ = Path::new(&file);
}

/// The manifest bytes of a firmware document, and each of its signatures (the document's
/// own, then its cosignatures) as `(key id, DER bytes)`.
fn signatures_of(document: &str) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    signed_statement(document, "firmware", "manifest")
}

/// The statement bytes at `object.statement` of a document, and each of its signatures.
fn signed_statement(
    document: &str,
    object: &str,
    statement: &str,
) -> (Vec<u8>, Vec<(String, Vec<u8>)>) {
    let value: serde_json::Value = serde_json::from_str(document).unwrap();
    let fw = &value[object];
    let decode = |v: &serde_json::Value| STANDARD.decode(v.as_str().unwrap()).unwrap();
    let mut list = vec![(
        fw["keyId"].as_str().unwrap().to_owned(),
        decode(&fw["signature"]),
    )];
    for entry in fw["cosignatures"].as_array().into_iter().flatten() {
        list.push((
            entry["keyId"].as_str().unwrap().to_owned(),
            decode(&entry["signature"]),
        ));
    }
    (decode(&fw[statement]), list)
}

/// The key id OpenSSL computes for a public key: SHA-256 of its DER.
fn openssl_key_id(dir: &Dir, public: &str) -> String {
    let der = dir.path("id.der");
    openssl(&[
        "pkey", "-pubin", "-in", public, "-outform", "DER", "-out", &der,
    ]);
    let id = openssl(&["dgst", "-sha256", "-r", &der]);
    id.split_whitespace().next().unwrap().to_owned()
}

#[test]
fn cosigned_releases_openssl_verifies_each_and_inspect_counts_openssl_cosigners() {
    let dir = Dir::new("cosign");
    // Release keys made by OpenSSL: a, b and c P-256, r RSA-2048; c signs with OpenSSL only.
    let names = ["a", "b", "c", "r"];
    let [ka, kb, kc, kr] = names.map(|n| dir.path(&format!("{n}.pem")));
    let [pa, pb, pc, pr] = names.map(|n| dir.path(&format!("{n}.pub.pem")));
    for key in [&ka, &kb, &kc] {
        genpkey(
            key,
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        );
    }
    genpkey(
        &kr,
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    for (key, public) in [(&ka, &pa), (&kb, &pb), (&kc, &pc), (&kr, &pr)] {
        openssl(&["pkey", "-in", key, "-pubout", "-out", public]);
    }
    let image = dir.image("fw.bin");
    let doc = dir.path("doc.json");
    let mut release = vec!["release", "--key", &ka, "--cosign-key", &kb];
    release.extend(FIRMWARE_2_0_0);
    release.extend(["--url", "https://example.com/fw.bin", "--out", &doc, &image]);
    ours_ok(&release);
    // Co-signed in turn by the holder of r, in place.
    ours_ok(&["sign", "--key", &kr, "--cosign", &doc, "--out", &doc]);

    // OpenSSL verifies every signature over the manifest bytes, under the key id it computes.
    let (manifest, signed) = signatures_of(&read(&doc));
    let manifest_path = dir.path("manifest.json");
    fs::write(&manifest_path, &manifest).unwrap();
    for (n, public) in [&pa, &pb, &pr].into_iter().enumerate() {
        assert_eq!(signed[n].0, openssl_key_id(&dir, public), "signature {n}");
        let sig = dir.path(&format!("sig{n}.der"));
        fs::write(&sig, &signed[n].1).unwrap();
        openssl_verify(public, &sig, &manifest_path, false);
    }

    let inspect = |threshold: &'static str, document: &str| {
        let mut args = vec!["inspect".to_owned(), document.to_owned()];
        args.extend(["--threshold".to_owned(), threshold.to_owned()]);
        for public in [&pa, &pb, &pc, &pr] {
            args.extend(["--trust".to_owned(), public.clone()]);
        }
        ours(&args.iter().map(String::as_str).collect::<Vec<_>>())
    };
    let three = inspect("3", &doc);
    let report = text(&three.stdout);
    assert!(three.status.success(), "{report}{}", text(&three.stderr));
    assert!(
        report.contains("3 of the 4 trusted keys signed, 3 needed: met"),
        "{report}"
    );
    let signers = report.lines().filter(|l| l.starts_with("signed by:"));
    assert_eq!(signers.count(), 3, "{report}");
    let four = inspect("4", &doc);
    let report = text(&four.stdout);
    assert_eq!(four.status.code(), Some(1), "{report}");
    assert!(
        report.contains("3 of the 4 trusted keys signed, 4 needed: NOT met"),
        "{report}"
    );
    assert!(
        text(&four.stderr).contains("below_threshold"),
        "{}",
        text(&four.stderr)
    );

    // OpenSSL co-signs: its signature, added to the document by hand, makes four.
    let c_sig = openssl_sign(&dir, &kc, &manifest_path, false, "c");
    let mut value: serde_json::Value = serde_json::from_str(&read(&doc)).unwrap();
    value["firmware"]["cosignatures"]
        .as_array_mut()
        .unwrap()
        .push(serde_json::json!({
            "keyId": openssl_key_id(&dir, &pc),
            "signature": STANDARD.encode(fs::read(&c_sig).unwrap()),
        }));
    let by_hand = dir.path("by-hand.json");
    fs::write(&by_hand, value.to_string()).unwrap();
    let all = inspect("4", &by_hand);
    assert!(all.status.success(), "{}", text(&all.stderr));
    assert!(text(&all.stdout).contains("4 of the 4 trusted keys signed, 4 needed: met"));

    // A key that signed already, and a threshold above the keys, are refused in one line.
    let again = ours_fails(1, &["sign", "--key", &kb, "--cosign", &doc]);
    assert!(again.contains("already signed"), "{again}");
    let too_high = ours_fails(2, &["inspect", &doc, "--threshold", "5", "--trust", &pa]);
    assert!(too_high.contains("--threshold"), "{too_high}");
}

#[test]
fn root_documents_from_openssl_keys_verify_with_openssl() {
    let dir = Dir::new("root");
    let names = ["r1", "r2", "r3", "k"];
    let [k1, k2, k3, kk] = names.map(|n| dir.path(&format!("{n}.pem")));
    let [p1, p2, p3, pk] = names.map(|n| dir.path(&format!("{n}.pub.pem")));
    for key in [&k1, &k2, &kk] {
        genpkey(
            key,
            &["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"],
        );
    }
    genpkey(
        &k3,
        &["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"],
    );
    for (key, public) in [(&k1, &p1), (&k2, &p2), (&k3, &p3), (&kk, &pk)] {
        openssl(&["pkey", "-in", key, "-pubout", "-out", public]);
    }
    let doc = dir.path("root.json");
    ours_ok(&[
        "root",
        "--key",
        &k1,
        "--cosign-key",
        &k2,
        "--product",
        "acme",
        "--version",
        "2",
        "--root-key",
        &p2,
        "--root-key",
        &p3,
        "--root-threshold",
        "2",
        "--release-key",
        &pk,
        "--timestamp-key",
        &p1,
        "--out",
        &doc,
    ]);
    // The holder of the RSA root key co-signs in turn.
    ours_ok(&["sign", "--key", &k3, "--cosign", &doc, "--out", &doc]);
    let (statement, signed) = signed_statement(&read(&doc), "trust", "root");
    let statement_path = dir.path("statement.json");
    fs::write(&statement_path, &statement).unwrap();
    for (n, public) in [&p1, &p2, &p3].into_iter().enumerate() {
        assert_eq!(signed[n].0, openssl_key_id(&dir, public), "signature {n}");
        let sig = dir.path(&format!("root-sig{n}.der"));
        fs::write(&sig, &signed[n].1).unwrap();
        openssl_verify(public, &sig, &statement_path, false);
    }
    // The statement carries the keys OpenSSL made: the release key's SEC1 point is the
    // last 65 bytes of its SPKI.
    let value: serde_json::Value = serde_json::from_slice(&statement).unwrap();
    let spki = dir.path("k.der");
    openssl(&[
        "pkey", "-pubin", "-in", &pk, "-outform", "DER", "-out", &spki,
    ]);
    let der = fs::read(&spki).unwrap();
    let point = STANDARD.encode(&der[der.len() - 65..]);
    assert_eq!(value["release"]["keys"][0]["key"], point.as_str());
    assert_eq!(value["root"]["keys"][1]["algorithm"], "rsa-pkcs1v15-sha256");
    assert_eq!(value["timestamp"]["threshold"], 1);

    let report = ours_ok(&[
        "inspect",
        &doc,
        "--trust",
        &p1,
        "--trust",
        &p2,
        "--threshold",
        "2",
    ]);
    assert!(report.contains("trust_update"), "{report}");
    assert!(report.contains("root version:     2"), "{report}");
    assert!(
        report.contains("timestamp keys:   1 needed of 1"),
        "{report}"
    );
    assert!(
        report.contains("2 of the 2 trusted keys signed, 2 needed: met"),
        "{report}"
    );
    // A threshold above the keys is a usage error, in one line.
    let bad = ours_fails(
        2,
        &[
            "root",
            "--key",
            &k1,
            "--product",
            "acme",
            "--version",
            "3",
            "--root-key",
            &p1,
            "--root-threshold",
            "2",
            "--release-key",
            &pk,
        ],
    );
    assert!(bad.contains("threshold"), "{bad}");
}
