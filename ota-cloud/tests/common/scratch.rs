//! [`Dir`]: a scratch directory for a test's files.

use std::fs;
use std::path::{Path, PathBuf};

/// A fresh directory under the system's temporary directory, named after the test process
/// and the test, removed with everything in it when dropped.
pub struct Dir(PathBuf);

impl Dir {
    /// Create the directory of test `name`, emptied if it exists. Panics when it cannot be
    /// created.
    pub fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("ota-cloud-test-{}-{name}", std::process::id()));
        let _ = fs::remove_dir_all(&dir);
        fs::create_dir_all(&dir).unwrap();
        Self(dir)
    }

    /// The directory itself.
    pub fn root(&self) -> &Path {
        &self.0
    }

    /// The path of file `name` in it, as text for a command line. Creates nothing.
    pub fn path(&self, name: &str) -> String {
        self.0.join(name).display().to_string()
    }

    /// Write a 10 000-byte file of varied bytes named `name`; its path.
    pub fn image(&self, name: &str) -> String {
        let bytes: Vec<u8> = (0u32..10_000)
            .map(|i| (i.wrapping_mul(2_654_435_761) >> 13) as u8)
            .collect();
        let path = self.path(name);
        fs::write(&path, bytes).unwrap();
        path
    }

    /// The names of its files, sorted.
    pub fn names(&self) -> Vec<String> {
        let mut names: Vec<_> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    }
}

/// The directory's path, so that `dir.join(name)` names a file in it.
impl std::ops::Deref for Dir {
    type Target = Path;

    fn deref(&self) -> &Path {
        &self.0
    }
}

impl Drop for Dir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}
