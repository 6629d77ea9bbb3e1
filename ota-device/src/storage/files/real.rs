//! [`RealFs`]: [`Fs`] with `std::fs`, on the files of one directory.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use super::Fs;

/// [`Fs`] with `std::fs` on the files of one directory (which must exist).
///
/// Every call opens the file again and closes it (no descriptors are kept). Names must be
/// plain file names: no path separators, not empty, `.` or `..`
/// ([`io::ErrorKind::InvalidInput`] otherwise). [`Fs::sync_dir`] fsyncs the directory on Unix,
/// which makes created and renamed names durable; elsewhere it does nothing (Windows has no
/// directory fsync; NTFS journals renames).
///
/// It does not lock the directory, create it, or follow anything but the names it is given
/// (a name that is a symbolic link is followed by the OS).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RealFs {
    dir: PathBuf,
}

impl RealFs {
    /// The files of directory `dir`.
    pub fn new(dir: impl Into<PathBuf>) -> Self {
        Self { dir: dir.into() }
    }

    /// The directory.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// The path of file `name` in the directory.
    ///
    /// # Errors
    /// [`io::ErrorKind::InvalidInput`] if `name` is not a plain file name.
    pub fn path(&self, name: &str) -> io::Result<PathBuf> {
        let plain =
            !name.is_empty() && name != "." && name != ".." && !name.contains(['/', '\\', '\0']);
        if plain {
            Ok(self.dir.join(name))
        } else {
            Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                "not a plain file name",
            ))
        }
    }

    /// File `name`, opened for writing (it must exist).
    fn writable(&self, name: &str) -> io::Result<File> {
        OpenOptions::new().write(true).open(self.path(name)?)
    }
}

impl Fs for RealFs {
    fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let mut file = File::open(self.path(name)?)?;
        file.seek(SeekFrom::Start(offset))?;
        let mut done = 0;
        while done < buf.len() {
            match file.read(&mut buf[done..]) {
                Ok(0) => break,
                Ok(n) => done += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        Ok(done)
    }

    fn create(&self, name: &str, data: &[u8]) -> io::Result<()> {
        let mut file = File::create(self.path(name)?)?;
        file.write_all(data)
    }

    fn write_at(&self, name: &str, offset: u64, data: &[u8]) -> io::Result<()> {
        let mut file = self.writable(name)?;
        file.seek(SeekFrom::Start(offset))?;
        file.write_all(data)
    }

    fn sync(&self, name: &str) -> io::Result<()> {
        self.writable(name)?.sync_all()
    }

    fn sync_data(&self, name: &str) -> io::Result<()> {
        self.writable(name)?.sync_data()
    }

    fn rename(&self, from: &str, to: &str) -> io::Result<()> {
        fs::rename(self.path(from)?, self.path(to)?)
    }

    fn sync_dir(&self) -> io::Result<()> {
        #[cfg(unix)]
        File::open(&self.dir)?.sync_all()?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_operation_on_a_real_directory() {
        let dir = tempfile::tempdir().unwrap();
        let fs = RealFs::new(dir.path());
        assert_eq!(fs.dir(), dir.path());
        let mut buf = [0; 8];
        let missing = fs.read_at("a", 0, &mut buf).unwrap_err();
        assert_eq!(missing.kind(), io::ErrorKind::NotFound);
        assert_eq!(
            fs.write_at("a", 0, b"x").unwrap_err().kind(),
            io::ErrorKind::NotFound
        );
        fs.create("a", b"hello").unwrap();
        fs.write_at("a", 3, b"p!!").unwrap();
        fs.sync("a").unwrap();
        fs.sync_data("a").unwrap();
        assert_eq!(fs.read_at("a", 0, &mut buf).unwrap(), 6);
        assert_eq!(&buf[..6], b"help!!");
        assert_eq!(fs.read_at("a", 4, &mut buf[..1]).unwrap(), 1);
        assert_eq!(fs.read_at("a", 100, &mut buf).unwrap(), 0);
        fs.create("b", b"old").unwrap();
        fs.rename("a", "b").unwrap();
        fs.sync_dir().unwrap();
        assert_eq!(fs.read_at("b", 0, &mut buf).unwrap(), 6);
        assert!(!dir.path().join("a").exists());
        fs.create("b", b"").unwrap();
        assert_eq!(fs.read_at("b", 0, &mut buf).unwrap(), 0, "create truncates");
    }

    #[test]
    fn names_are_plain() {
        let fs = RealFs::new("/nonexistent");
        for bad in ["", ".", "..", "a/b", "../x", "a\\b", "a\0"] {
            assert_eq!(
                fs.path(bad).unwrap_err().kind(),
                io::ErrorKind::InvalidInput,
                "{bad:?}"
            );
            assert!(fs.create(bad, b"").is_err());
        }
        assert_eq!(
            fs.path("state.rec").unwrap(),
            Path::new("/nonexistent/state.rec")
        );
    }
}
