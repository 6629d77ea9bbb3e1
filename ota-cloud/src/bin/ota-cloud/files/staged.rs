//! Writing an output file whole or not at all: a temporary file in the same directory,
//! synced, moved into place, then the directory synced so the move survives a power cut.

use std::fs::{self, File, OpenOptions};
use std::io::Write as _;
use std::path::{Path, PathBuf};

use crate::CliError;

/// `bytes` written to a temporary file next to `dest`, synced, not yet in place. Dropping
/// it removes the temporary file; [`Staged::commit`] moves it to `dest`.
#[derive(Debug)]
pub(crate) struct Staged {
    tmp: PathBuf,
    dest: PathBuf,
    dir: PathBuf,
    done: bool,
}

/// Write `bytes` to a new temporary file in `dest`'s directory (mode 0600 on Unix when
/// `private`, else 0644 less the umask). Does not touch `dest`.
pub(crate) fn stage(dest: &Path, bytes: &[u8], private: bool) -> Result<Staged, CliError> {
    let fail =
        |e: std::io::Error| CliError::failure(format!("cannot write {}: {e}", dest.display()));
    let name = dest
        .file_name()
        .ok_or_else(|| CliError::failure(format!("{}: not a file path", dest.display())))?;
    let dir = directory_of(dest);
    let (tmp, mut file) = create_unique(dir, &name.to_string_lossy(), "tmp", |path| {
        open_new(path, private)
    })
    .map_err(fail)?;
    let staged = Staged {
        tmp,
        dest: dest.to_path_buf(),
        dir: dir.to_path_buf(),
        done: false,
    };
    file.write_all(bytes)
        .and_then(|()| file.sync_all())
        .map_err(fail)?;
    Ok(staged)
}

impl Staged {
    /// Move the file into place and sync the directory: replacing `dest` when `overwrite`,
    /// else failing if it exists (atomically: a hard link, then the temporary name is
    /// removed).
    pub(crate) fn commit(mut self, overwrite: bool) -> Result<(), CliError> {
        self.place(overwrite)?;
        sync_dir(&self.dir)
    }

    /// [`Staged::commit`] without the directory sync, for callers that place several files
    /// in one directory and sync it once.
    pub(super) fn place(&mut self, overwrite: bool) -> Result<(), CliError> {
        let result = if overwrite {
            fs::rename(&self.tmp, &self.dest)
        } else {
            fs::hard_link(&self.tmp, &self.dest).map(|()| {
                let _ = fs::remove_file(&self.tmp);
            })
        };
        result.map_err(|e| {
            if e.kind() == std::io::ErrorKind::AlreadyExists {
                super::exists(&self.dest)
            } else {
                CliError::failure(format!("cannot write {}: {e}", self.dest.display()))
            }
        })?;
        self.done = true;
        Ok(())
    }

    /// Where the file goes.
    pub(super) fn dest(&self) -> &Path {
        &self.dest
    }

    /// The directory it goes into.
    pub(super) fn dir(&self) -> &Path {
        &self.dir
    }
}

impl Drop for Staged {
    fn drop(&mut self) {
        if !self.done {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// The directory `path` is in (`.` for a bare file name).
pub(super) fn directory_of(path: &Path) -> &Path {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p,
        _ => Path::new("."),
    }
}

/// A new name `.NAME.PID-N.SUFFIX` in `dir` and what `create` made there; tries the next N
/// while the name is taken.
pub(super) fn create_unique<T>(
    dir: &Path,
    name: &str,
    suffix: &str,
    mut create: impl FnMut(&Path) -> std::io::Result<T>,
) -> std::io::Result<(PathBuf, T)> {
    let mut attempt = 0u32;
    loop {
        let path = dir.join(format!(".{name}.{}-{attempt}.{suffix}", std::process::id()));
        match create(&path) {
            Ok(made) => return Ok((path, made)),
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists && attempt < 100 => {
                attempt += 1;
            }
            Err(e) => return Err(e),
        }
    }
}

/// Flush `dir`'s entries to disk, so a file just renamed or linked into it survives a power
/// cut. On systems other than Unix this does nothing.
pub(crate) fn sync_dir(dir: &Path) -> Result<(), CliError> {
    #[cfg(test)]
    DIR_SYNCS.with(|n| n.set(n.get() + 1));
    #[cfg(unix)]
    {
        File::open(dir)
            .and_then(|d| d.sync_all())
            .map_err(|e| CliError::failure(format!("cannot sync directory {}: {e}", dir.display())))
    }
    #[cfg(not(unix))]
    {
        let _ = dir;
        Ok(())
    }
}

#[cfg(test)]
thread_local! {
    /// Directory syncs made by this thread, for the tests.
    pub(crate) static DIR_SYNCS: std::cell::Cell<u32> = const { std::cell::Cell::new(0) };
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
    use super::super::tests::Dir;
    use super::*;

    #[test]
    fn staged_file_lands_only_on_commit() {
        let dir = Dir::new("commit");
        let dest = dir.join("out.json");
        let staged = stage(&dest, b"one", false).unwrap();
        assert!(!dest.exists());
        staged.commit(false).unwrap();
        assert_eq!(fs::read(&dest).unwrap(), b"one");
        assert_eq!(dir.names(), ["out.json"]);
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
        assert_eq!(dir.names(), ["out.json"]);
    }

    #[test]
    fn every_commit_syncs_the_directory() {
        let dir = Dir::new("dirsync");
        let before = DIR_SYNCS.with(std::cell::Cell::get);
        stage(&dir.join("a"), b"a", false)
            .unwrap()
            .commit(false)
            .unwrap();
        stage(&dir.join("a"), b"b", false)
            .unwrap()
            .commit(true)
            .unwrap();
        assert_eq!(DIR_SYNCS.with(std::cell::Cell::get) - before, 2);
        // A failed commit moved nothing, so there is nothing to sync.
        assert!(
            stage(&dir.join("a"), b"c", false)
                .unwrap()
                .commit(false)
                .is_err()
        );
        assert_eq!(DIR_SYNCS.with(std::cell::Cell::get) - before, 2);
        sync_dir(&dir).unwrap();
        #[cfg(unix)]
        assert!(
            sync_dir(&dir.join("absent"))
                .unwrap_err()
                .to_string()
                .starts_with("cannot sync directory ")
        );
    }

    #[cfg(unix)]
    #[test]
    fn private_files_are_0600() {
        use std::os::unix::fs::PermissionsExt as _;
        let dir = Dir::new("mode");
        let dest = dir.join("key.pem");
        stage(&dest, b"secret", true)
            .unwrap()
            .commit(false)
            .unwrap();
        let mode = fs::metadata(&dest).unwrap().permissions().mode() & 0o777;
        assert_eq!(mode, 0o600);
    }

    #[test]
    fn unwritable_destinations_fail_cleanly() {
        let dir = Dir::new("fail");
        assert!(stage(&dir.join("missing/out.json"), b"x", false).is_err());
        assert!(stage(Path::new("/"), b"x", false).is_err());
    }
}
