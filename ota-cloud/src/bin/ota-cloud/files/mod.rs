//! Reading inputs with bounded memory, and writing outputs without leaving a partial file
//! behind or writing over an input.
//!
//! Every input is either small and read whole up to a limit (a job document up to
//! [`MAX_DOCUMENT_LEN`], keys, signatures and rollout files up to [`MAX_SMALL_FILE`]), or an
//! image, streamed once through SHA-256 ([`image_digest`]). Nothing reads a file of
//! unbounded size into memory.

mod same_file;
mod staged;
mod together;

use std::fs::File;
use std::io::Read as _;
use std::path::Path;

pub(crate) use same_file::{refuse_output_over_inputs, refuse_stdout_over_inputs};
pub(crate) use staged::stage;
pub(crate) use together::commit_together;

use super::CliError;
use ota_cloud::release::ImageDigest;
use ota_cloud::{DocumentTooLong, MAX_DOCUMENT_LEN};

/// Longest key, signature or rollout file read: 64 KiB (an RSA-8192 private key in PEM is
/// under 7 KiB).
pub(crate) const MAX_SMALL_FILE: u64 = 64 * 1024;

/// Why a bounded read stopped.
enum ReadError {
    Io(std::io::Error),
    /// Longer than the limit: its length when known (a regular file), `None` otherwise.
    TooLong(Option<u64>),
}

/// The whole file if it holds at most `max` bytes. A regular file's length is checked
/// before reading; a pipe is read up to `max + 1` bytes.
fn read_bounded(path: &Path, max: u64) -> Result<Vec<u8>, ReadError> {
    let file = File::open(path).map_err(ReadError::Io)?;
    let meta = file.metadata().map_err(ReadError::Io)?;
    if meta.is_file() && meta.len() > max {
        return Err(ReadError::TooLong(Some(meta.len())));
    }
    let mut bytes = Vec::new();
    file.take(max + 1)
        .read_to_end(&mut bytes)
        .map_err(ReadError::Io)?;
    if bytes.len() as u64 > max {
        // A pipe, or a file that grew while it was read: its length is unknown.
        return Err(ReadError::TooLong(None));
    }
    Ok(bytes)
}

fn cannot_read(path: &Path, e: &std::io::Error) -> CliError {
    CliError::failure(format!("cannot read {}: {e}", path.display()))
}

/// A job document: the whole file, refused with [`DocumentTooLong`]'s words above
/// [`MAX_DOCUMENT_LEN`] (`DOC: document too long: N bytes, at most 32768`).
pub(crate) fn read_document(path: &Path) -> Result<Vec<u8>, CliError> {
    read_bounded(path, MAX_DOCUMENT_LEN as u64).map_err(|e| match e {
        ReadError::Io(e) => cannot_read(path, &e),
        ReadError::TooLong(Some(len)) => CliError::failure(format!(
            "{}: {}",
            path.display(),
            DocumentTooLong {
                len,
                max: MAX_DOCUMENT_LEN
            }
        )),
        ReadError::TooLong(None) => CliError::failure(format!(
            "{}: document too long: more than {MAX_DOCUMENT_LEN} bytes, at most {MAX_DOCUMENT_LEN}",
            path.display()
        )),
    })
}

/// A small input (a key, a signature, a rollout config) of at most [`MAX_SMALL_FILE`]
/// bytes; `what` says what was expected (e.g. "a PEM key").
pub(crate) fn read_small(path: &Path, what: &str) -> Result<Vec<u8>, CliError> {
    read_bounded(path, MAX_SMALL_FILE).map_err(|e| match e {
        ReadError::Io(e) => cannot_read(path, &e),
        ReadError::TooLong(len) => CliError::failure(format!(
            "{}: {} is too long for {what} (at most {MAX_SMALL_FILE} bytes)",
            path.display(),
            len.map_or_else(|| "the input".to_string(), |n| format!("{n} bytes")),
        )),
    })
}

/// [`read_small`] as UTF-8 text.
pub(crate) fn read_text(path: &Path, what: &str) -> Result<String, CliError> {
    String::from_utf8(read_small(path, what)?)
        .map_err(|_| CliError::failure(format!("{}: not text; expected {what}", path.display())))
}

/// The size and SHA-256 of an image file, read once in chunks: memory does not depend on
/// the image's size.
pub(crate) fn image_digest(path: &Path) -> Result<ImageDigest, CliError> {
    File::open(path)
        .and_then(ImageDigest::read_from)
        .map_err(|e| cannot_read(path, &e))
}

/// The failure for an output that exists and may not be replaced.
pub(crate) fn exists(path: &Path) -> CliError {
    CliError::failure(format!(
        "{} already exists; pass --force to replace it",
        path.display()
    ))
}

#[cfg(test)]
pub(super) mod tests {
    use std::fs;

    use super::*;
    pub(crate) use crate::tests::scratch::Dir;

    #[test]
    fn documents_are_read_up_to_the_jobs_limit() {
        let dir = Dir::new("document");
        let doc = dir.join("doc.json");
        fs::write(&doc, vec![b' '; MAX_DOCUMENT_LEN]).unwrap();
        assert_eq!(read_document(&doc).unwrap().len(), MAX_DOCUMENT_LEN);
        fs::write(&doc, vec![b' '; 1_048_576]).unwrap();
        let err = read_document(&doc).unwrap_err().to_string();
        assert!(
            err.ends_with("doc.json: document too long: 1048576 bytes, at most 32768"),
            "{err}"
        );
    }

    #[cfg(unix)]
    #[test]
    fn endless_inputs_are_cut_off() {
        let err = read_document(Path::new("/dev/zero"))
            .unwrap_err()
            .to_string();
        assert!(
            err.contains("document too long: more than 32768 bytes"),
            "{err}"
        );
        let err = read_text(Path::new("/dev/zero"), "a PEM key")
            .unwrap_err()
            .to_string();
        assert!(err.contains("too long for a PEM key"), "{err}");
    }

    #[test]
    fn small_inputs_are_bounded_and_named() {
        let dir = Dir::new("small");
        let big = dir.join("big.pem");
        fs::write(&big, vec![b'A'; MAX_SMALL_FILE as usize + 1]).unwrap();
        let err = read_text(&big, "a PEM key").unwrap_err().to_string();
        assert!(
            err.ends_with("big.pem: 65537 bytes is too long for a PEM key (at most 65536 bytes)"),
            "{err}"
        );
        assert!(
            read_text(&dir.join("absent"), "a PEM key")
                .unwrap_err()
                .to_string()
                .starts_with("cannot read ")
        );
        fs::write(dir.join("bin"), [0xff, 0xfe]).unwrap();
        assert!(
            read_text(&dir.join("bin"), "a PEM key")
                .unwrap_err()
                .to_string()
                .contains("not text")
        );
    }

    #[test]
    fn images_are_hashed_from_disk() {
        let dir = Dir::new("image");
        let image: Vec<u8> = (0..200_000u32).map(|i| (i % 253) as u8).collect();
        fs::write(dir.join("fw.bin"), &image).unwrap();
        assert_eq!(
            image_digest(&dir.join("fw.bin")).unwrap(),
            ImageDigest::of(&image)
        );
        assert!(
            image_digest(&dir.join("absent"))
                .unwrap_err()
                .to_string()
                .starts_with("cannot read ")
        );
    }
}
