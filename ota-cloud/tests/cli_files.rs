//! The `ota-cloud` binary's files and exit codes where only a real process shows them:
//! standard output redirected into an input, and the exit status of usage errors.

use std::fs::{self, OpenOptions};
use std::path::PathBuf;
use std::process::{Command, Output, Stdio};

/// A scratch directory, removed afterwards.
struct Dir(PathBuf);

impl Dir {
    fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("ota-cloud-files-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn ota_cloud(args: &[&str]) -> Command {
    let mut command = Command::new(env!("CARGO_BIN_EXE_ota-cloud"));
    command.args(args);
    command
}

fn stderr(output: &Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

#[test]
fn stdout_appended_to_an_input_is_refused() {
    let dir = Dir::new("stdout-input");
    let key = dir.path("k.pem");
    let made = ota_cloud(&["keygen", "--algorithm", "p256", "--out", &key])
        .output()
        .unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let image = dir.path("fw.bin");
    fs::write(&image, b"firmware image").unwrap();
    let release = [
        "release",
        "--key",
        &key,
        "--product",
        "p",
        "--hardware",
        "h",
        "--version",
        "1.0.0",
        "--stream",
        "s",
        &image,
    ];
    for args in [&["sign", "--key", &key, &image][..], &release] {
        // `ota-cloud sign --key k.pem fw.bin >> fw.bin`
        let append = OpenOptions::new().append(true).open(&image).unwrap();
        let output = ota_cloud(args)
            .stdout(Stdio::from(append))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{args:?}");
        let message = stderr(&output);
        assert!(
            message.contains("standard output is redirected into the input")
                && message.trim_end().lines().count() == 1,
            "{message}"
        );
        assert_eq!(fs::read(&image).unwrap(), b"firmware image", "{args:?}");
    }
}

#[test]
fn bounds_are_usage_errors_with_exit_status_2() {
    let output = ota_cloud(&["plan", "--things", "4294967295", "--max-per-minute", "10"])
        .output()
        .unwrap();
    assert_eq!(output.status.code(), Some(2));
    assert_eq!(
        stderr(&output),
        "error: --things must be 1 to 1000000, not 4294967295\n"
    );
}
