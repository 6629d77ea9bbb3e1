//! Reading inputs and writing outputs without leaving a partial file behind.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use super::CliError;

/// The whole file, or a failure naming it.
pub(crate) fn read(path: &Path) -> Result<Vec<u8>, CliError> {
    fs::read(path).map_err(|e| CliError::failure(format!("cannot read {}: {e}", path.display())))
}

/// The whole file as UTF-8 text, or a failure naming it; `what` says what was expected
/// (e.g. "a PEM key").
pub(crate) fn read_text(path: &Path, what: &str) -> Result<String, CliError> {
    String::from_utf8(read(path)?)
        .map_err(|_| CliError::failure(format!("{}: not text; expected {what}", path.display())))
}

/// `bytes` written to a temporary file next to `dest`, synced, not yet in place. Dropping
/// it removes the temporary file; [`Staged::commit`] moves it to `dest`.
#[derive(Debug)]
pub(crate) struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    done: bool,
}

/// Write `bytes` to a new temporary file in `dest`'s directory (mode 0600 on Unix when
/// `private`, else 0644 less the umask).
pub(crate) fn stage(dest: &Path, bytes: &[u8], private: bool) -> Result<Staged, CliError> {
    let fail =
        |e: std::io::Error| CliError::failure(format!("cannot write {}: {e}", dest.display()));
    let name = dest
        .file_name()
        .ok_or_else(|| CliError::failure(format!("{}: not a file path", dest.display())))?;
    let dir = match dest.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    };
    let mut attempt = 0u32;
    let (tmp, mut file) = loop {
        let tmp = dir.join(format!(
            ".{}.{}-{attempt}.tmp",
            name.to_string_lossy(),
            std::process::id()
        ));
        match open_new(&tmp, private) {
            Ok(file) => break (tmp, file),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(fail(e)),
        }
    };
    let staged = Staged {
        tmp,
        dest: dest.to_path_buf(),
        done: false,
    };
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(fail)?;
    Ok(staged)
}

impl Staged {
    /// Move the file into place: replacing `dest` when `overwrite`, else failing if it
    /// exists (atomically: a hard link, then the temporary name is removed).
    pub(crate) fn commit(mut self, overwrite: bool) -> Result<(), CliError> {
        let result = if overwrite {
            fs::rename(&self.tmp, &self.dest)
        } else {
            fs::hard_link(&self.tmp, &self.dest)
        };
        result.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                exists(&self.dest)
            } else {
                CliError::failure(format!("cannot write {}: {e}", self.dest.display()))
            }
        })?;
        if overwrite {
            self.done = true;
        }
        Ok(())
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// The failure for an output that exists and may not be replaced.
pub(crate) fn exists(path: &Path) -> CliError {
    CliError::failure(format!(
        "{} already exists; pass --force to replace it",
        path.display()
    ))
}

fn open_new(path: &Path, private: bool) -> std::io::Result<File> {
    let mut options = OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt as _;
        options.mode(if private { 0o600 } else { 0o644 });
    }
    #[cfg(not(unix))]
    let _ = private;
    options.open(path)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let dir =
            std::env::temp_dir().join(format!("ota-cloud-files-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        dir
    }

    fn entries(dir: &Path) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }

    #[test]
    fn staged_file_lands_only_on_commit() {
        let dir = scratch("commit");
        let dest = dir.join("out.json");
        let staged = stage(&dest, b"one", false).unwrap();
        assert!(!dest.exists());
        staged.commit(false).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"one");
        assert_eq!(entries(&dir), ["out.json"]);
        // No overwrite without permission, and nothing left behind.
        let err = stage(&dest, b"two", false)
            .unwrap()
            .commit(false)
            .unwrap_err();
        assert!(err.to_string().contains("already exists"), "{err}");
        assert_eq!(fs::read(&dest).unwrap(), b"one");
        stage(&dest, b"two", false).unwrap().commit(true).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"two");
        // Dropped without commit: nothing.
        drop(stage(&dir.join("never"), b"x", true).unwrap());
        assert_eq!(entries(&dir), ["out.json"]);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = scratch("mode");
        let dest = dir.join("key.pem");
        stage(&dest, b"secret", true)
            .unwrap()
            .commit(false)
            .unwrap();
        let mode = fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
        fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn unwritable_destinations_fail_cleanly() {
        let dir = scratch("fail");
        assert!(stage(&dir.join("missing/out.json"), b"x", false).is_err());
        assert!(stage(Path::new("/"), b"x", false).is_err());
        assert!(
            read(&dir.join("absent"))
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
        fs::remove_dir_all(&dir).unwrap();
    }
}
