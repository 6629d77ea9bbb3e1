//! Running the `ota-cloud` binary (only in tests built with the `cli` feature, which builds
//! it).

use std::process::Command;

/// `ota-cloud ARGS`, ready to run.
pub fn ota_cloud(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ota-cloud"));
    command.args(args);
    command
}

/// `bytes` as text, invalid UTF-8 replaced.
pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}
