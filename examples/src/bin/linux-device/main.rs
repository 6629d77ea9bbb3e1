//! `linux-device`: the OTA client as a Linux process, on a real MQTT broker.
//!
//! Boots like a device with two banks: at start the bootloader step
//! ([`FileBoot::reset`](ota_device::storage::files::FileBoot::reset)) picks the bank to run
//! from the state directory, then [`ota_device::runner::run`] drives the client until it asks
//! for a reset, which this process does by re-executing itself (the new image is the file of
//! the active bank; its version is recorded beside it). Kill it at any moment and start it
//! again: it resumes from the state directory.
//!
//! The images are data: this process does not execute them.

mod args;
mod boot;
mod report;

use std::process::ExitCode;

use clap::Parser as _;
use ota_core::crypto::{Algorithm, KeyKind, PublicKey, TrustStore, TrustedKey};
use ota_core::jobs::{JobExecutionStatus, ThingName};
use ota_core::version::Version;
use ota_device::runner::{Exit, MqttSettings, RunOptions, TlsFiles, run};
use ota_device::storage::files::{FileSlot, FileStateStore, RealFs};
use ota_device::{Buffers, Client, Config};

use args::Args;

fn main() -> ExitCode {
    let args = Args::parse();
    match device(&args) {
        Ok(code) => code,
        Err(e) => {
            eprintln!("linux-device: {e}");
            ExitCode::from(2)
        }
    }
}

fn trust_store(args: &Args) -> Result<TrustStore<1>, Box<dyn std::error::Error>> {
    let pem = std::fs::read_to_string(&args.trust)
        .map_err(|e| format!("{}: {e}", args.trust.display()))?;
    let key =
        PublicKey::from_spki_pem(&pem).map_err(|e| format!("{}: {e:?}", args.trust.display()))?;
    let algorithm = match key.kind() {
        KeyKind::P256 => Algorithm::EcdsaP256Sha256,
        KeyKind::Rsa { .. } => Algorithm::RsaPkcs1v15Sha256,
        other => return Err(format!("{}: unsupported key {other:?}", args.trust.display()).into()),
    };
    let mut store = TrustStore::new();
    store
        .add(TrustedKey::new(key, algorithm).map_err(|e| format!("{e:?}"))?)
        .map_err(|e| format!("{e:?}"))?;
    Ok(store)
}

fn mqtt_settings(args: &Args) -> Result<MqttSettings, String> {
    let mut settings = MqttSettings::new(&args.broker, &args.thing);
    if let Some(path) = &args.password_file {
        let password = std::fs::read_to_string(path)
            .map_err(|e| format!("--password-file {}: {e}", path.display()))?;
        settings.credentials = Some((args.thing.clone(), password.trim().to_string()));
    }
    settings.ws_host.clone_from(&args.ws_host);
    settings.alpn = args.alpn.iter().cloned().collect();
    settings.tls = args.ca.as_ref().map(|ca| TlsFiles {
        ca: ca.clone(),
        client: args.cert.clone().zip(args.key.clone()),
    });
    Ok(settings)
}

fn device(args: &Args) -> Result<ExitCode, Box<dyn std::error::Error>> {
    let factory: Version = args
        .version
        .parse()
        .map_err(|e| format!("--version {}: {e:?}", args.version))?;
    let thing = ThingName::new(&args.thing).map_err(|e| format!("--thing: {e:?}"))?;
    let trust = trust_store(args)?;
    let (flags, state, running) = boot::boot(&args.state_dir, args.capacity, factory)?;
    println!("boot: running {running} ({state:?})");

    let mut config = Config::new(thing, &args.product, &args.hardware, running);
    config.topic_root = &args.topic_root;
    config.block_size = args.block_size;
    config.random_seed = seed();
    let mut scratch = vec![0u8; (args.block_size as usize).max(ota_device::MIN_SCRATCH_LEN)];
    let mut url = vec![0u8; 2048];
    let buffers = Buffers {
        scratch: &mut scratch,
        url: &mut url,
    };
    let store = FileStateStore::new(RealFs::new(&args.state_dir));
    let mut client = Client::new(config, &trust, FileSlot::new(flags), store, buffers)?;

    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()?;
    let options = RunOptions {
        stop_after_job: args.once,
        seed: seed(),
        ..RunOptions::default()
    };
    let mut app = report::Printer::new(args.fail_self_test);
    let exit = runtime.block_on(run(&mut client, &mqtt_settings(args)?, &mut app, options))?;
    match exit {
        Exit::Activate => {
            let version = client
                .target_version()
                .ok_or("activating an image without a version")?;
            boot::record_pending_version(client.slot().boot(), &args.state_dir, version)?;
            println!("reboot: into {version}");
            drop(runtime);
            Err(boot::reboot().into())
        }
        Exit::RollBack(reason) => {
            println!("reboot: rolling back ({reason:?})");
            drop(runtime);
            Err(boot::reboot().into())
        }
        Exit::JobFinished { status, reason } => {
            println!(
                "done: {status}{}",
                reason.map(|r| format!(" ({r:?})")).unwrap_or_default()
            );
            Ok(match status {
                JobExecutionStatus::Succeeded => ExitCode::SUCCESS,
                _ => ExitCode::from(1),
            })
        }
        Exit::JobCanceled => {
            println!("done: job cancelled");
            Ok(ExitCode::from(3))
        }
        other => Err(format!("unexpected end of run: {other:?}").into()),
    }
}

/// A seed that differs between runs (client tokens, reconnect jitter).
fn seed() -> u64 {
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos() as u64);
    nanos ^ u64::from(std::process::id()).rotate_left(32)
}
