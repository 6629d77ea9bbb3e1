//! The `ota-cloud` binary's files and exit codes where only a real process shows them:
//! standard output redirected into an input, and the exit status of usage errors.

mod common;

use std::fs::{self, OpenOptions};
use std::process::{Output, Stdio};

use common::args::{self, with};
use common::cli::{ota_cloud, text};
use common::scratch::Dir;

fn stderr(output: &Output) -> String {
    text(&output.stderr)
}

#[test]
fn stdout_appended_to_an_input_is_refused() {
    let dir = Dir::new("stdout-input");
    let key = dir.path("k.pem");
    let made = ota_cloud(&args::keygen(&key)).output().unwrap();
    assert!(made.status.success(), "{}", stderr(&made));
    let image = dir.path("fw.bin");
    fs::write(&image, b"firmware image").unwrap();
    let release = with(args::release(&key), &[&image]);
    for command in [&["sign", "--key", &key, &image][..], &release] {
        // `ota-cloud sign --key k.pem fw.bin >> fw.bin`
        let append = OpenOptions::new().append(true).open(&image).unwrap();
        let output = ota_cloud(command)
            .stdout(Stdio::from(append))
            .output()
            .unwrap();
        assert_eq!(output.status.code(), Some(2), "{command:?}");
        let message = stderr(&output);
        assert!(
            message.contains("standard output is redirected into the input")
                && message.trim_end().lines().count() == 1,
            "{message}"
        );
        assert_eq!(fs::read(&image).unwrap(), b"firmware image", "{command:?}");
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
