//! The "bootloader": the state directory's banks and flags (`ota_device::storage::files`),
//! the version of each bank, and the reboot by re-executing the process.

use std::io;
use std::os::unix::process::CommandExt as _;
use std::path::{Path, PathBuf};
use std::process::Command;

use ota_core::version::Version;
use ota_device::storage::BootState;
use ota_device::storage::files::{Bank, FileBoot, RealFs};

/// The file holding the version of the image in `bank`, beside it.
fn version_file(dir: &Path, bank: Bank) -> PathBuf {
    dir.join(format!("{}.version", bank.file_name()))
}

/// Open the state directory (provisioning it with a factory image of `factory` on first use),
/// and take the bootloader's step. Returns the flags, the boot state and the running version.
pub(crate) fn boot(
    dir: &Path,
    capacity: u32,
    factory: Version,
) -> Result<(FileBoot<RealFs>, BootState, Version), Box<dyn std::error::Error>> {
    std::fs::create_dir_all(dir)?;
    let fs = RealFs::new(dir);
    let mut flags = FileBoot::open(fs.clone(), capacity);
    if !flags.is_provisioned()? {
        let image = format!("factory image {factory}\n");
        write_atomically(&version_file(dir, Bank::A), &factory.to_string())?;
        flags = FileBoot::provision(fs, capacity, image.as_bytes(), Some(0))?;
        println!(
            "provisioned {} with a factory image {factory}",
            dir.display()
        );
    }
    let state = flags.reset()?;
    let active = flags.active_bank()?;
    let version = std::fs::read_to_string(version_file(dir, active))
        .ok()
        .and_then(|v| v.trim().parse().ok())
        .unwrap_or(factory);
    Ok((flags, state, version))
}

/// Record `version` as the version of the bank that is not active (the one just written and
/// marked pending), before the reboot that boots it.
pub(crate) fn record_pending_version(
    flags: &FileBoot<RealFs>,
    dir: &Path,
    version: Version,
) -> io::Result<()> {
    let pending = flags
        .active_bank()
        .map_err(|e| io::Error::other(e.to_string()))?
        .other();
    write_atomically(&version_file(dir, pending), &version.to_string())
}

/// Replace `path` with `text`: a temporary file, fsync, rename, directory fsync.
fn write_atomically(path: &Path, text: &str) -> io::Result<()> {
    use std::io::Write as _;
    let tmp = path.with_extension("tmp");
    let mut file = std::fs::File::create(&tmp)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&tmp, path)?;
    if let Some(dir) = path.parent() {
        std::fs::File::open(dir)?.sync_all()?;
    }
    Ok(())
}

/// "Reboot": replace this process with a new run of the same command line. The bootloader
/// step at its start boots the pending (or previous) bank. Returns only on failure.
pub(crate) fn reboot() -> io::Error {
    let exe = match std::env::current_exe() {
        Ok(exe) => exe,
        Err(e) => return e,
    };
    Command::new(exe).args(std::env::args_os().skip(1)).exec()
}
