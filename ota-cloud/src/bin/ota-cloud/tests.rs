//! The commands run in-process on files in a scratch directory. `tests/cli_openssl.rs` runs
//! the binary against the `openssl` CLI; both build their command lines with
//! `tests/common/args.rs`.

use std::fs;
use std::path::Path;

use super::*;

#[path = "../../../tests/common/args.rs"]
#[allow(unreachable_pub)]
mod args;
#[path = "../../../tests/common/scratch.rs"]
#[allow(dead_code, unreachable_pub)]
pub(crate) mod scratch;

use args::with;
use scratch::Dir;

/// Run `ota-cloud ARGS`: stdout, or the error.
fn cli(args: &[&str]) -> Result<String, CliError> {
    let mut out = Vec::new();
    let argv = std::iter::once("ota-cloud").chain(args.iter().copied());
    run(argv, &mut out).map(|()| String::from_utf8(out).unwrap())
}

fn usage_error(args: &[&str]) -> String {
    match cli(args) {
        Err(e @ CliError::Usage(_)) => {
            let line = e.one_line();
            assert_eq!(line, e.to_string(), "one line");
            line
        }
        other => panic!("expected a usage error for {args:?}, got {other:?}"),
    }
}

fn failure(args: &[&str]) -> String {
    match cli(args) {
        Err(e @ CliError::Failure(_)) => e.one_line(),
        other => panic!("expected a failure for {args:?}, got {other:?}"),
    }
}

/// `keygen` a P-256 key pair in `dir`: the private key's path (the public key is
/// `k.pub.pem`).
fn keygen(dir: &Dir) -> String {
    let key = dir.path("k.pem");
    cli(&args::keygen(&key)).unwrap();
    key
}

/// Release `image` with [`args::release`] and `key` into `doc.json` in `dir`: its path.
fn release_doc(dir: &Dir, key: &str, image: &str) -> String {
    let doc = dir.path("doc.json");
    cli(&with(args::release(key), &["--out", &doc, image])).unwrap();
    doc
}

#[test]
fn command_definition_is_consistent() {
    command_line().debug_assert();
}

#[test]
fn help_for_every_command() {
    let top = cli(&["--help"]).unwrap();
    for command in ["keygen", "sign", "verify", "release", "inspect", "plan"] {
        assert!(top.contains(command), "{top}");
        let help = cli(&[command, "--help"]).unwrap();
        assert!(help.contains("Usage: ota-cloud "), "{help}");
        assert!(help.lines().count() > 8, "{command}: {help}");
    }
    assert!(cli(&["--version"]).unwrap().starts_with("ota-cloud "));
}

#[test]
fn command_line_mistakes_are_one_usage_line() {
    assert!(usage_error(&[]).contains("a command is required"));
    assert!(usage_error(&["frobnicate"]).contains("frobnicate"));
    assert!(usage_error(&["sign", "--bogus", "x"]).contains("--bogus"));
    assert!(usage_error(&["sign", "file"]).contains("--key"));
    assert!(usage_error(&["keygen", "--algorithm", "ed25519", "--out", "k"]).contains("ed25519"));
    let missing = usage_error(&["release", "--key", "k", "--stream", "s", "img"]);
    assert!(
        missing.contains("--version") && missing.contains("--hardware"),
        "{missing}"
    );
    assert!(usage_error(&["release", "--key", "k", "--version", "1.x", "img"]).contains("1.x"));
    let banana = usage_error(&["release", "--key", "k", "--version", "banana", "img"]);
    assert!(
        banana.contains("'banana'") && banana.contains("not a version"),
        "{banana}"
    );
    assert!(!banana.contains("For more information"), "{banana}");
    assert!(usage_error(&["inspect", "doc", "--hardware", "h"]).contains("--product"));
}

#[test]
fn keygen_sign_verify_round_trip() {
    let dir = Dir::new("roundtrip");
    let key = dir.path("k.pem");
    let printed = cli(&args::keygen(&key)).unwrap();
    assert!(
        printed.contains("k.pub.pem") && printed.contains("key id:"),
        "{printed}"
    );
    assert_eq!(dir.names(), ["k.pem", "k.pub.pem"]);
    assert!(failure(&args::keygen(&key)).contains("--force"));
    cli(&with(args::keygen(&key), &["--force"])).unwrap();

    let file = dir.path("fw.bin");
    fs::write(&file, b"firmware").unwrap();
    let signature = cli(&["sign", "--key", &key, &file]).unwrap();
    assert!(signature.ends_with('\n') && !signature.trim_end().contains('\n'));
    // Line breaks inside the base64 are tolerated.
    let sig = dir.path("sig.b64");
    let (a, b) = signature.split_at(20);
    fs::write(&sig, format!("{a}\n{b}")).unwrap();
    let public = dir.path("k.pub.pem");
    let verify = args::verify(&public, &sig, &file);
    assert_eq!(cli(&verify).unwrap(), "valid\n");

    fs::write(&file, b"firmwarE").unwrap();
    let reason = failure(&verify);
    assert!(reason.starts_with("invalid: "), "{reason}");
    assert!(failure(&["sign", "--key", &key, "--pss", &file]).contains("--pss applies to RSA"));
    assert!(failure(&args::verify(&key, &sig, &file)).contains("private key"));
    assert!(failure(&["sign", "--key", &public, &file]).contains("public key"));
    fs::write(&sig, "not base64!").unwrap();
    assert!(failure(&verify).contains("base64"));
    assert!(failure(&["sign", "--key", &dir.path("absent.pem"), &file]).starts_with("cannot read"));
}

#[test]
fn release_then_inspect() {
    let dir = Dir::new("release");
    let key = keygen(&dir);
    let public = dir.path("k.pub.pem");
    let image = dir.path("fw.bin");
    fs::write(&image, vec![0x5a; 3000]).unwrap();
    let doc = dir.path("doc.json");
    let base = vec![
        "release",
        "--key",
        &key,
        "--version",
        "1.2.0",
        "--hardware",
        "rev-b",
        "--product",
        "acme",
        "--security-counter",
        "3",
        "--stream",
        "fw-1",
    ];
    let job_1 = with(base.clone(), &["--job-id", "job-1", "--out", &doc, &image]);
    assert_eq!(cli(&job_1).unwrap(), "");
    let text = fs::read_to_string(&doc).unwrap();
    assert!(text.starts_with(r#"{"operation":"firmware_update""#) && text.ends_with("}\n"));

    let shown = cli(&["inspect", &doc]).unwrap();
    for expected in [
        "firmware_update",
        "acme",
        "rev-b",
        "1.2.0",
        "3000 bytes",
        "only job job-1",
        "MQTT stream fw-1",
        "not checked",
    ] {
        assert!(shown.contains(expected), "{expected}: {shown}");
    }
    let device = [
        "--hardware",
        "rev-b",
        "--product",
        "acme",
        "--running-version",
        "1.1.0",
    ];
    let inspect = |extra: &[&str]| cli(&with(args::inspect(&doc, &public, &image), extra));
    let ok = inspect(&device).unwrap();
    assert!(
        ok.contains("verified by")
            && ok.contains("would install")
            && ok.contains("matches the signed"),
        "{ok}"
    );
    let refusal = |extra: &[&str]| inspect(extra).unwrap_err().one_line();
    let mut wrong_hw = device;
    wrong_hw[1] = "rev-c";
    let err = refusal(&wrong_hw);
    assert!(err.contains("wrong_hardware"), "{err}");
    let other_job = with(device.to_vec(), &["--job-id", "job-2"]);
    assert!(refusal(&other_job).contains("wrong_job"));
    let floor = with(device.to_vec(), &["--security-counter-floor", "4"]);
    assert!(refusal(&floor).contains("security_counter_below_floor"));

    // Another key does not verify it.
    let other = dir.path("o.pem");
    cli(&args::keygen(&other)).unwrap();
    let err = cli(&["inspect", &doc, "--trust", &dir.path("o.pub.pem")]).unwrap_err();
    assert!(err.one_line().contains("unknown_key"), "{err}");

    // afr-ota: options it cannot carry are refused; the file signature is checked with --file.
    let afr = dir.path("afr.json");
    let afr_release = vec![
        "release", "--key", &key, "--format", "afr-ota", "--stream", "s",
    ];
    let refused = usage_error(&with(
        afr_release.clone(),
        &["--expires", "2999999999", &image],
    ));
    assert!(refused.contains("--expires"), "{refused}");
    cli(&with(afr_release, &["--out", &afr, &image])).unwrap();
    let shown = cli(&["inspect", &afr, "--trust", &public]).unwrap();
    assert!(shown.contains("give --file"), "{shown}");
    let shown = cli(&args::inspect(&afr, &public, &image)).unwrap();
    assert!(shown.contains("file 0 verified by"), "{shown}");
    fs::write(&image, vec![0x5b; 3000]).unwrap();
    assert!(cli(&args::inspect(&afr, &public, &image)).is_err());

    // Failures leave no file behind.
    let before = dir.names();
    let (new, absent) = (dir.path("new.json"), dir.path("absent.bin"));
    assert!(failure(&with(base, &["--out", &new, &absent])).starts_with("cannot read"));
    let expired = with(
        args::release(&key),
        &["--expires", "1000", "--out", &new, &image],
    );
    assert!(usage_error(&expired).contains("past"));
    assert_eq!(dir.names(), before);
    assert!(failure(&["inspect", &image]).contains("not a valid job document"));
    fs::write(dir.path("custom.json"), r#"{"operation":"reboot"}"#).unwrap();
    assert!(failure(&["inspect", &dir.path("custom.json")]).contains("custom job document"));
    let _ = Path::new(&doc);
}

#[test]
fn plan_projects_a_fixed_rate_and_a_ramp() {
    // 250 things at 100 per minute: every thing notified within the third minute.
    let fixed = cli(&["plan", "--things", "250", "--max-per-minute", "100"]).unwrap();
    assert!(
        fixed.starts_with("minute  notified  succeeded\n"),
        "{fixed}"
    );
    let line = |text: &str, minute: u64| {
        text.lines()
            .find(|l| l.split_whitespace().next() == Some(&minute.to_string()))
            .map(|l| {
                l.split_whitespace()
                    .map(|w| w.parse::<u64>().unwrap())
                    .collect::<Vec<_>>()
            })
    };
    assert_eq!(line(&fixed, 1), Some(vec![1, 100, 0]), "{fixed}");
    assert_eq!(line(&fixed, 2), Some(vec![2, 200, 0]), "{fixed}");
    assert!(
        fixed.contains("all 250 things notified after 2."),
        "{fixed}"
    );
    // A ramp on notified things: the base rate until 50 are notified, then doubled.
    let ramp = cli(&[
        "plan",
        "--things",
        "1000",
        "--base-rate",
        "10",
        "--factor",
        "2",
        "--notified-step",
        "50",
    ])
    .unwrap();
    let notified = |text: &str, minute| line(text, minute).map_or(0, |v| v[1]);
    assert_eq!(notified(&ramp, 3), 30, "{ramp}");
    assert!(notified(&ramp, 8) > 80, "{ramp}");
    // With successes, a succeeded-things ramp has something to count.
    let succeeded = cli(&[
        "plan",
        "--things",
        "100",
        "--base-rate",
        "10",
        "--factor",
        "2",
        "--succeeded-step",
        "10",
        "--success-after",
        "30",
        "--every-minute",
        "--max-minutes",
        "30",
    ])
    .unwrap();
    // Every minute is printed until the last success; the ramp on successes speeds it up.
    let last = (0..=30)
        .take_while(|&m| line(&succeeded, m).is_some())
        .last()
        .unwrap();
    assert!((2..30).contains(&last), "{succeeded}");
    assert_eq!(line(&succeeded, last).unwrap()[2], 100, "{succeeded}");
    assert!(succeeded.contains("all 100 things notified"), "{succeeded}");
}

#[test]
fn plan_refuses_bad_policies() {
    assert!(usage_error(&["plan", "--things", "0", "--max-per-minute", "10"]).contains("--things"));
    assert!(usage_error(&["plan", "--things", "5", "--base-rate", "10"]).contains("--factor"));
    assert!(usage_error(&["plan", "--things", "5", "--factor", "2"]).contains("--base-rate"));
    assert!(failure(&["plan", "--things", "5", "--max-per-minute", "5000"]).contains("1000"));
    assert!(
        failure(&[
            "plan",
            "--things",
            "5",
            "--rollout",
            "/nonexistent/rollout.json"
        ])
        .contains("rollout.json")
    );
}

#[test]
fn help_says_what_each_exit_status_means() {
    for args in [&["--help"][..], &["release", "--help"], &["plan", "--help"]] {
        let help = cli(args).unwrap();
        assert!(help.contains("Exit status:"), "{args:?}: {help}");
        for code in ["  0  success", "  1  failure", "  2  wrong command line"] {
            assert!(help.contains(code), "{args:?}: {help}");
        }
    }
}

#[test]
fn plan_sizes_are_bounded_before_anything_is_built() {
    for things in ["4294967295", "1000001"] {
        let err = usage_error(&["plan", "--things", things, "--max-per-minute", "10"]);
        assert_eq!(err, format!("--things must be 1 to 1000000, not {things}"));
    }
    let err = usage_error(&[
        "plan",
        "--things",
        "5",
        "--max-per-minute",
        "10",
        "--max-minutes",
        "18446744073709551615",
    ]);
    assert!(err.contains("at most 525600"), "{err}");
    let help = cli(&["plan", "--help"]).unwrap();
    assert!(help.contains("1,000,000"), "{help}");
}

#[test]
fn keygen_force_never_loses_the_old_key() {
    let dir = Dir::new("keygen-force");
    let key = keygen(&dir);
    let old = fs::read(&key).unwrap();
    // The public half cannot be replaced: the command fails and changes nothing.
    fs::remove_file(dir.path("k.pub.pem")).unwrap();
    fs::create_dir(dir.path("k.pub.pem")).unwrap();
    let force = with(args::keygen(&key), &["--force"]);
    let err = failure(&force);
    assert!(
        err.contains("k.pub.pem") && err.contains("nothing was changed"),
        "{err}"
    );
    assert_eq!(fs::read(&key).unwrap(), old, "old private key unchanged");
    assert_eq!(dir.names(), ["k.pem", "k.pub.pem"], "no temporary files");
    // With the obstacle gone, --force replaces both.
    fs::remove_dir(dir.path("k.pub.pem")).unwrap();
    cli(&force).unwrap();
    assert_ne!(fs::read(&key).unwrap(), old);
    assert_eq!(dir.names(), ["k.pem", "k.pub.pem"]);
}

#[test]
fn release_refuses_to_write_over_its_inputs() {
    let dir = Dir::new("release-over-input");
    let key = keygen(&dir);
    let image = dir.path("fw.bin");
    fs::write(&image, vec![0x42; 5000]).unwrap();
    let release = |out: &str| usage_error(&with(args::release(&key), &["--out", out, &image]));
    let err = release(&image);
    assert!(
        err.contains("is the input") && err.contains("fw.bin"),
        "{err}"
    );
    assert_eq!(fs::read(&image).unwrap(), vec![0x42; 5000], "image intact");
    let err = release(&key);
    assert!(err.contains("k.pem"), "{err}");
    let same_image = dir.join(".").join("fw.bin").display().to_string();
    assert!(release(&same_image).contains("is the input"));
    assert_eq!(dir.names(), ["fw.bin", "k.pem", "k.pub.pem"]);
}

#[test]
fn inspect_refuses_a_document_over_the_jobs_limit() {
    let dir = Dir::new("inspect-long");
    let key = keygen(&dir);
    let image = dir.path("fw.bin");
    fs::write(&image, b"firmware").unwrap();
    let doc = release_doc(&dir, &key, &image);
    cli(&["inspect", &doc]).unwrap();
    // The same document with an unknown top-level field of 1 MB.
    let text = fs::read_to_string(&doc).unwrap();
    let padded = format!(
        r#"{{"padding":"{}",{}"#,
        "x".repeat(1 << 20),
        text.trim_start_matches('{')
    );
    fs::write(&doc, &padded).unwrap();
    let err = failure(&["inspect", &doc]);
    assert!(
        err.ends_with(&format!(
            "doc.json: document too long: {} bytes, at most 32768",
            padded.len()
        )),
        "{err}"
    );
}

#[test]
fn streamed_images_are_signed_and_checked_as_before() {
    let dir = Dir::new("streamed");
    let key = keygen(&dir);
    // Larger than one chunk, and not a multiple of it.
    let bytes: Vec<u8> = (0..200_003u32).map(|i| (i % 249) as u8).collect();
    let image = dir.path("fw.bin");
    fs::write(&image, &bytes).unwrap();
    // P-256 signatures are deterministic (RFC 6979): streaming signs what signing the bytes
    // in memory signs.
    let printed = cli(&["sign", "--key", &key, &image]).unwrap();
    let signer = super::keys::signer(Path::new(&key), false).unwrap();
    let in_memory = ota_cloud::signing::Signer::sign(&signer, &bytes).unwrap();
    use base64::Engine as _;
    assert_eq!(
        printed.trim_end(),
        base64::engine::general_purpose::STANDARD.encode(in_memory)
    );
    let doc = release_doc(&dir, &key, &image);
    let shown = cli(&args::inspect(&doc, &dir.path("k.pub.pem"), &image)).unwrap();
    assert!(
        shown.contains("200003 bytes") && shown.contains("matches the signed"),
        "{shown}"
    );
    fs::write(&image, &bytes[..200_000]).unwrap();
    let err = cli(&["inspect", &doc, "--file", &image]).unwrap_err();
    assert!(
        err.one_line().contains("200000 bytes, signed size 200003"),
        "{err}"
    );
}

/// Finding "Wire truth" 4: without `--trust`, an `afr_ota` file without a signature entry
/// or with one that is not base64 was passed (exit 0); a device refuses both, and so does
/// `inspect` now, with the device's reason. A well-formed one passes, its signature "not
/// checked".
#[test]
fn inspect_without_trust_refuses_what_a_device_refuses() {
    let dir = Dir::new("inspect-afr");
    let doc = dir.path("afr.json");
    let with_file = |file: &str| {
        format!(r#"{{"afr_ota":{{"protocols":["MQTT"],"streamname":"s","files":[{file}]}}}}"#)
    };
    let cases = [
        (r#"{"filesize":10,"fileid":0}"#, "no_usable_signature"),
        (
            r#"{"filesize":10,"fileid":0,"sig-sha256-ecdsa":"not base64!"}"#,
            "bad_encoding",
        ),
    ];
    for (file, reason) in cases {
        fs::write(&doc, with_file(file)).unwrap();
        let err = failure(&["inspect", &doc]);
        assert!(
            err.contains(&format!("a device would reject it: {reason} (")),
            "{file}: {err}"
        );
    }
    fs::write(
        &doc,
        with_file(r#"{"filesize":10,"fileid":0,"sig-sha256-ecdsa":"MEUCIQ=="}"#),
    )
    .unwrap();
    let report = cli(&["inspect", &doc]).unwrap();
    assert!(report.contains("not checked"), "{report}");
}

/// `job create` on the memory backend: the projection, then the job as the engine made it;
/// `--dry-run --output json` creates nothing and says what it would send.
#[test]
fn job_create_rehearses_on_the_memory_backend() {
    let dir = Dir::new("job-create");
    let doc = dir.path("doc.json");
    fs::write(&doc, r#"{"operation":"x"}"#).unwrap();
    let out = cli(&[
        "job",
        "create",
        "--job-id",
        "j1",
        "--document",
        &doc,
        "--target",
        "thing/a",
        "--target",
        "thing/b",
        "--max-per-minute",
        "1",
    ])
    .unwrap();
    assert!(out.contains("job j1: 2 things targeted now"), "{out}");
    assert!(
        out.contains("all 2 things notified after 1.00 minutes"),
        "{out}"
    );
    assert!(out.contains("job j1: IN_PROGRESS"), "{out}");

    let json = cli(&[
        "job",
        "create",
        "--job-id",
        "j1",
        "--document",
        &doc,
        "--target",
        "thing/a",
        "--dry-run",
        "--output",
        "json",
    ])
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(v["dryRun"], true);
    assert!(v["job"].is_null());
    assert_eq!(
        v["spec"]["targets"][0],
        "arn:aws:iot:us-east-1:000000000000:thing/a"
    );

    // A job configuration file: rollout, abort and timeout together; a bare rollout too.
    let config = dir.path("config.json");
    fs::write(
        &config,
        r#"{"jobExecutionsRolloutConfig":{"maximumPerMinute":50},
            "abortConfig":{"criteriaList":[{"failureType":"ALL","action":"CANCEL",
              "thresholdPercentage":10,"minNumberOfExecutedThings":5}]},
            "timeoutConfig":{"inProgressTimeoutInMinutes":20}}"#,
    )
    .unwrap();
    let json = cli(&[
        "job",
        "create",
        "--job-id",
        "j2",
        "--document",
        &doc,
        "--target",
        "thing/a",
        "--rollout",
        &config,
        "--dry-run",
        "--output",
        "json",
    ])
    .unwrap();
    let v: serde_json::Value = serde_json::from_str(&json).unwrap();
    assert_eq!(
        v["spec"]["jobExecutionsRolloutConfig"]["maximumPerMinute"],
        50
    );
    assert_eq!(
        v["spec"]["abortConfig"]["criteriaList"][0]["minNumberOfExecutedThings"],
        5
    );
    assert_eq!(v["spec"]["timeoutConfig"]["inProgressTimeoutInMinutes"], 20);
    fs::write(&config, r#"{"maximumPerMinute":7}"#).unwrap();
    let json = cli(&[
        "job",
        "create",
        "--job-id",
        "j2",
        "--document",
        &doc,
        "--target",
        "thing/a",
        "--rollout",
        &config,
        "--dry-run",
        "--output",
        "json",
    ])
    .unwrap();
    assert!(json.contains("\"maximumPerMinute\": 7"), "{json}");
    fs::write(&config, r#"{"abortConfig":{},"bogusConfig":1}"#).unwrap();
    let err = failure(&[
        "job",
        "create",
        "--job-id",
        "j2",
        "--document",
        &doc,
        "--target",
        "thing/a",
        "--rollout",
        &config,
    ]);
    assert!(err.contains("not a rollout or job configuration"), "{err}");
}

#[test]
fn job_and_campaign_commands_refuse_bad_command_lines() {
    let dir = Dir::new("job-usage");
    let doc = dir.path("doc.json");
    fs::write(&doc, r#"{"operation":"x"}"#).unwrap();
    let base = ["job", "create", "--job-id", "j", "--document", &doc];
    let err = usage_error(&with(base.to_vec(), &["--target", "dev-1"]));
    assert!(err.contains("not a thing or thing group"), "{err}");
    let err = usage_error(&with(
        base.to_vec(),
        &["--target", "thing/a", "--max-per-minute", "1001"],
    ));
    assert!(err.contains("maximumPerMinute: 1001"), "{err}");
    let err = usage_error(&with(
        base.to_vec(),
        &["--target", "thing/a", "--region", "eu-west-1"],
    ));
    assert!(err.contains("need --backend aws"), "{err}");
    let err = usage_error(&[
        "job",
        "create",
        "--job-id",
        "bad id",
        "--document",
        &doc,
        "--target",
        "thing/a",
    ]);
    assert!(err.contains("jobId"), "{err}");
    let big = dir.path("big.json");
    fs::write(&big, format!(r#"{{"pad":"{}"}}"#, "x".repeat(33_000))).unwrap();
    let err = failure(&[
        "job",
        "create",
        "--job-id",
        "j",
        "--document",
        &big,
        "--target",
        "thing/a",
    ]);
    assert!(err.contains("too long"), "{err}");
    let err = failure(&["job", "describe", "--job-id", "nowhere"]);
    assert!(err.contains("not found"), "{err}");

    let state = dir.path("state.json");
    let err = failure(&["campaign", "status", "--state", &state]);
    assert!(err.contains("cannot read"), "{err}");
    fs::write(&state, "{not json").unwrap();
    let err = failure(&["campaign", "pause", "--state", &state]);
    assert!(err.contains("not a campaign state file"), "{err}");
    let err = usage_error(&["campaign", "run", "--state", &dir.path("new.json")]);
    assert!(err.contains("needs --spec"), "{err}");
}

/// The example pipeline's campaign (examples/pipeline/campaign.json) with a release
/// document: a valid campaign whose every stage job passes AWS's rules.
#[test]
fn the_example_pipeline_campaign_is_valid() {
    let dir = Dir::new("example-campaign");
    let key = keygen(&dir);
    let doc = dir.path("doc.json");
    let placeholder = "${aws:iot:s3-presigned-url:https://s3.amazonaws.com/b/app.bin}";
    let image = dir.path("app.bin");
    fs::write(&image, [7u8; 1000]).unwrap();
    cli(&[
        "release",
        "--key",
        &key,
        "--product",
        "thermostat",
        "--hardware",
        "board-a",
        "--version",
        "1.3.0",
        "--security-counter",
        "3",
        "--url",
        placeholder,
        "--out",
        &doc,
        &image,
    ])
    .unwrap();
    let spec = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../examples/pipeline/campaign.json"
    );
    let mut value: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(spec).unwrap()).unwrap();
    value["release"]["document"] = serde_json::Value::String(fs::read_to_string(&doc).unwrap());
    let spec: ota_cloud::campaign::CampaignSpec = serde_json::from_value(value).unwrap();
    assert_eq!(spec.stages.len(), 3);
    assert!(spec.abort_backstop && spec.presigned_url_config.is_some());
    let mut catalog = ota_cloud::catalog::Catalog::new();
    catalog.add(spec.release.clone()).unwrap();
    ota_cloud::campaign::Campaign::new(spec.clone(), &catalog).unwrap();
    // Without the role, the placeholder makes every stage job invalid.
    let mut no_role = spec;
    no_role.presigned_url_config = None;
    let err = ota_cloud::campaign::Campaign::new(no_role, &catalog).unwrap_err();
    assert!(err.to_string().contains("roleArn"), "{err}");
}

/// `campaign run --max-steps` on a service it cannot reach: the steps before the last are
/// retried at the next poll; the last fails the run (exit 1, one line) and the state file
/// is kept for the next run.
#[test]
fn campaign_run_fails_when_its_last_step_cannot_reach_the_service() {
    let dir = Dir::new("campaign-down");
    let (doc, spec, token) = (
        dir.path("doc.json"),
        dir.path("spec.json"),
        dir.path("token"),
    );
    fs::write(&doc, r#"{"operation":"x"}"#).unwrap();
    fs::write(
        &spec,
        r#"{"id": "c", "targets": {"Group": "g"},
            "release": {"id": "app-1.3.0", "version": "1.3.0", "product": "p",
                        "hardware": ["board-a"], "securityCounter": 0},
            "stages": [{"name": "all", "size": {"Percent": 10000},
                        "gate": {"min_sample": 1, "failure_threshold": 5000}}]}"#,
    )
    .unwrap();
    fs::write(&token, "t").unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let state = dir.path("state.json");
    let err = failure(&[
        "campaign",
        "run",
        "--spec",
        &spec,
        "--document",
        &doc,
        "--state",
        &state,
        "--poll-seconds",
        "1",
        "--max-steps",
        "2",
        "--backend",
        &closed,
        "--token-file",
        &token,
    ]);
    assert!(
        err.contains("service unavailable")
            && err.ends_with("(the state is saved: run again to resume)"),
        "{err}"
    );
    let status = cli(&["campaign", "status", "--state", &state]).unwrap();
    assert!(status.starts_with("campaign c: not started"), "{status}");
}

/// Run `ota-cloud ARGS`: what it printed, and its error if it failed.
fn cli_out(args: &[&str]) -> (String, Option<CliError>) {
    let mut out = Vec::new();
    let argv = std::iter::once("ota-cloud").chain(args.iter().copied());
    let err = run(argv, &mut out).err();
    (String::from_utf8(out).unwrap(), err)
}

/// `job create` shows the projected rollout before it calls CreateJob, so a create that
/// fails (here the service is out of reach) still shows it; as JSON, the one document says
/// that no job was made.
#[test]
fn job_create_shows_the_projection_when_the_create_fails() {
    let dir = Dir::new("job-create-down");
    let (doc, token) = (dir.path("doc.json"), dir.path("token"));
    fs::write(&doc, r#"{"operation":"x"}"#).unwrap();
    fs::write(&token, "t").unwrap();
    let closed = {
        let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
        format!("http://127.0.0.1:{}", l.local_addr().unwrap().port())
    };
    let create = [
        "job",
        "create",
        "--job-id",
        "j",
        "--document",
        &doc,
        "--target",
        "thing/a",
        "--target",
        "thing/b",
        "--max-per-minute",
        "1",
        "--backend",
        &closed,
        "--token-file",
        &token,
    ];
    let (out, err) = cli_out(&create);
    assert!(
        matches!(&err, Some(CliError::Failure(m)) if m.contains("service unavailable")),
        "{err:?}"
    );
    assert!(
        out.contains("job j: 2 things targeted now")
            && out.contains("all 2 things notified after 1.00 minutes"),
        "{out}"
    );
    let (out, err) = cli_out(&with(create.to_vec(), &["--output", "json"]));
    assert!(matches!(err, Some(CliError::Failure(_))), "{err:?}");
    let v: serde_json::Value = serde_json::from_str(&out).unwrap();
    assert!(v["job"].is_null() && v["dryRun"] == false, "{v}");
    assert_eq!(v["things"], 2);
    assert!(
        v["projection"]["allNotifiedAfterMinutes"].is_number(),
        "{v}"
    );
}
