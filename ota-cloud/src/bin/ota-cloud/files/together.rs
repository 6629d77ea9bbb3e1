//! Putting several staged files in place as one change: all of them, or none (what a key
//! pair needs: never a new private key without its public half, never a lost old key).

use std::fs;
use std::path::{Path, PathBuf};

use super::staged::{Staged, create_unique, sync_dir};
use crate::CliError;

/// What a destination held before it was replaced: a second name (a hard link) for the
/// same file. Dropping it removes that name; [`Backup::restore`] moves it back.
#[derive(Debug)]
struct Backup {
    link: PathBuf,
    dest: PathBuf,
    kept: bool,
}

impl Backup {
    /// A second name for what `dest` is now, or `None` when there is nothing to keep (no
    /// file, or a directory, which no rename replaces).
    fn take(dest: &Path, dir: &Path) -> Result<Option<Self>, CliError> {
        match fs::symlink_metadata(dest) {
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Ok(meta) if meta.is_dir() => return Ok(None),
            _ => {}
        }
        let name = dest
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let (link, ()) = create_unique(dir, &name, "old", |link| fs::hard_link(dest, link))
            .map_err(|e| {
                CliError::failure(format!(
                    "cannot keep {} while replacing it: {e}",
                    dest.display()
                ))
            })?;
        Ok(Some(Self {
            link,
            dest: dest.to_path_buf(),
            kept: false,
        }))
    }

    /// Put the old file back at its name (atomically replacing what was placed there).
    fn restore(mut self) -> Result<(), String> {
        fs::rename(&self.link, &self.dest).map_err(|e| {
            // Keep the second name: it is the only copy of the old file now.
            self.kept = true;
            format!(
                "restoring {} failed: {e}; its previous content is in {}",
                self.dest.display(),
                self.link.display()
            )
        })?;
        self.kept = true;
        Ok(())
    }
}

impl Drop for Backup {
    fn drop(&mut self) {
        if !self.kept {
            let _ = fs::remove_file(&self.link);
        }
    }
}

/// Move every staged file into place (replacing existing ones when `overwrite`), in order,
/// or none of them: when one cannot be placed, those already placed are undone (the old
/// file put back, or the new one removed) before the error is returned. The directories
/// are synced afterwards. Temporary files and second names are removed either way.
///
/// Does not protect against another process changing the same names meanwhile.
pub(crate) fn commit_together(mut files: Vec<Staged>, overwrite: bool) -> Result<(), CliError> {
    let mut backups = Vec::with_capacity(files.len());
    for file in &files {
        backups.push(if overwrite {
            Backup::take(file.dest(), file.dir())?
        } else {
            None
        });
    }
    let mut placed = 0;
    let mut failure = None;
    for file in &mut files {
        if let Err(e) = file.place(overwrite) {
            failure = Some(e);
            break;
        }
        placed += 1;
    }
    let mut dirs: Vec<PathBuf> = files.iter().map(|f| f.dir().to_path_buf()).collect();
    dirs.dedup();
    let Some(failure) = failure else {
        drop(backups);
        return dirs.iter().try_for_each(|d| sync_dir(d));
    };
    let mut undo_failures = Vec::new();
    for (file, backup) in files.iter().zip(backups).take(placed).rev() {
        let undone = match backup {
            Some(backup) => backup.restore(),
            None => fs::remove_file(file.dest())
                .map_err(|e| format!("removing {} failed: {e}", file.dest().display())),
        };
        undo_failures.extend(undone.err());
    }
    for dir in &dirs {
        let _ = sync_dir(dir);
    }
    let what = if undo_failures.is_empty() {
        "nothing was changed".to_string()
    } else {
        undo_failures.join("; ")
    };
    Err(CliError::failure(format!("{}; {what}", failure.one_line())))
}

#[cfg(test)]
mod tests {
    use super::super::stage;
    use super::super::tests::Dir;
    use super::*;

    #[test]
    fn a_pair_lands_together() {
        let dir = Dir::new("pair-new");
        let (a, b) = (dir.join("k.pem"), dir.join("k.pub.pem"));
        let files = vec![
            stage(&a, b"private", true).unwrap(),
            stage(&b, b"public", false).unwrap(),
        ];
        commit_together(files, false).unwrap();
        assert_eq!(dir.names(), ["k.pem", "k.pub.pem"]);
        let files = vec![
            stage(&a, b"private 2", true).unwrap(),
            stage(&b, b"public 2", false).unwrap(),
        ];
        commit_together(files, true).unwrap();
        assert_eq!(fs::read(&a).unwrap(), b"private 2");
        assert_eq!(fs::read(&b).unwrap(), b"public 2");
        assert_eq!(dir.names(), ["k.pem", "k.pub.pem"], "no second names left");
    }

    #[test]
    fn a_failure_on_the_second_file_puts_the_first_back() {
        let dir = Dir::new("pair-undo");
        let (a, b) = (dir.join("k.pem"), dir.join("k.pub.pem"));
        fs::write(&a, b"old private").unwrap();
        fs::create_dir(&b).unwrap();
        let files = vec![
            stage(&a, b"new private", true).unwrap(),
            stage(&b, b"new public", false).unwrap(),
        ];
        let err = commit_together(files, true).unwrap_err().to_string();
        assert!(
            err.contains("k.pub.pem") && err.ends_with("nothing was changed"),
            "{err}"
        );
        assert_eq!(fs::read(&a).unwrap(), b"old private");
        assert_eq!(dir.names(), ["k.pem", "k.pub.pem"]);

        // Without overwrite, a first file that was new is removed again.
        fs::remove_file(&a).unwrap();
        let files = vec![
            stage(&a, b"new private", true).unwrap(),
            stage(&b, b"new public", false).unwrap(),
        ];
        assert!(commit_together(files, false).is_err());
        assert_eq!(dir.names(), ["k.pub.pem"]);
    }
}
