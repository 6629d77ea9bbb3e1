//! The service's two secrets, each a file in the data directory made on first start with
//! mode 0600: the admin API's bearer token (`admin-token`) and the key that signs artifact
//! URLs (`url-key`). Both are 32 bytes from the OS's random source, as lowercase hex.

use std::io::Write;
use std::path::Path;

/// Length of a secret, bytes (64 hex digits in its file).
const SECRET_BYTES: usize = 32;

/// A secret read from, or made into, its file.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl core::fmt::Debug for Secret {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        f.write_str("Secret(..)")
    }
}

impl Secret {
    /// The secret as its file holds it (hex).
    pub fn expose(&self) -> &str {
        &self.0
    }

    /// Whether `candidate` is this secret, in time independent of where they differ.
    pub fn matches(&self, candidate: &str) -> bool {
        constant_time_eq(self.0.as_bytes(), candidate.as_bytes())
    }

    /// Read the secret in `path`, or make a new one there (mode 0600). A new secret is
    /// written whole to a temporary file, synced, and then linked into place, which fails
    /// if the name is taken: a crash leaves no secret or the whole one, never an empty file,
    /// and two processes starting at once end up with the same secret.
    ///
    /// # Errors
    /// The file cannot be read or made; it holds something other than 64 hex digits (a
    /// corrupt or foreign file is refused, not replaced); on Unix it is readable by group or
    /// others.
    pub fn load_or_create(path: &Path) -> std::io::Result<Self> {
        if path.exists() {
            return Self::load(path);
        }
        let mut bytes = [0u8; SECRET_BYTES];
        getrandom::fill(&mut bytes).map_err(|e| std::io::Error::other(e.to_string()))?;
        let text = hex(&bytes);
        place_private(path, format!("{text}\n").as_bytes())?;
        Self::load(path)
    }

    fn load(path: &Path) -> std::io::Result<Self> {
        check_private(path)?;
        let text = std::fs::read_to_string(path)?;
        let text = text.trim();
        if text.len() != 2 * SECRET_BYTES || !text.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(std::io::Error::new(
                std::io::ErrorKind::InvalidData,
                format!(
                    "{}: not a secret of {} hex digits (remove it to make a new one)",
                    path.display(),
                    2 * SECRET_BYTES
                ),
            ));
        }
        Ok(Self(text.to_ascii_lowercase()))
    }
}

/// Write `contents` to `path` with mode 0600, unless the name is taken (then nothing is
/// written: the caller reads what is there). The file is written whole to a temporary
/// file, synced, and linked into place: a crash leaves no file or the whole one, never a
/// partial one, and two processes starting at once end up with the same contents.
///
/// # Errors
/// The file cannot be made.
pub(crate) fn place_private(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let mut nonce = [0u8; 8];
    getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
    let name = path
        .file_name()
        .map_or_else(|| "secret".into(), |n| n.to_string_lossy().into_owned());
    let temp = path.with_file_name(format!(".{name}.{}.tmp", hex(&nonce)));
    let placed = (|| {
        let mut file = std::fs::OpenOptions::new()
            .write(true)
            .create_new(true)
            .mode_0600()
            .open(&temp)?;
        file.write_all(contents)?;
        file.sync_all()?;
        std::fs::hard_link(&temp, path)
    })();
    let _ = std::fs::remove_file(&temp);
    match placed {
        Ok(()) => sync_parent(path),
        Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => Ok(()),
        Err(e) => Err(e),
    }
}

/// Read a file that must be private (on Unix: no group or other access).
///
/// # Errors
/// Unreadable, or readable by others.
pub(crate) fn read_private(path: &Path) -> std::io::Result<String> {
    check_private(path)?;
    std::fs::read_to_string(path)
}

/// Make a new entry in `path`'s directory durable.
fn sync_parent(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        std::fs::File::open(dir)?.sync_all()?;
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

/// Lowercase hex of `bytes`.
pub(crate) fn hex(bytes: &[u8]) -> String {
    use core::fmt::Write as _;
    let mut s = String::with_capacity(bytes.len() * 2);
    for b in bytes {
        let _ = write!(s, "{b:02x}");
    }
    s
}

/// Equality of two byte strings that takes the same time wherever they differ (their
/// lengths are not secret).
pub(crate) fn constant_time_eq(a: &[u8], b: &[u8]) -> bool {
    if a.len() != b.len() {
        return false;
    }
    let diff = a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y));
    core::hint::black_box(diff) == 0
}

/// `OpenOptions::mode(0o600)` where there are modes.
trait Mode0600 {
    fn mode_0600(&mut self) -> &mut Self;
}

impl Mode0600 for std::fs::OpenOptions {
    #[cfg(unix)]
    fn mode_0600(&mut self) -> &mut Self {
        use std::os::unix::fs::OpenOptionsExt;
        self.mode(0o600)
    }
    #[cfg(not(unix))]
    fn mode_0600(&mut self) -> &mut Self {
        self
    }
}

/// On Unix, refuse a secret file that group or others may read.
fn check_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(path)?.permissions().mode();
        if mode & 0o077 != 0 {
            return Err(std::io::Error::new(
                std::io::ErrorKind::PermissionDenied,
                format!(
                    "{}: mode {:o} lets others read a secret (chmod 600 it)",
                    path.display(),
                    mode & 0o777
                ),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = path;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn made_once_then_read_back() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin-token");
        let made = Secret::load_or_create(&path).unwrap();
        assert_eq!(made.expose().len(), 64);
        let again = Secret::load_or_create(&path).unwrap();
        assert_eq!(made, again);
        assert!(made.matches(made.expose()));
        assert!(!made.matches(&made.expose()[..63]));
        let other = Secret::load_or_create(&dir.path().join("url-key")).unwrap();
        assert_ne!(made, other);
        assert_eq!(format!("{made:?}"), "Secret(..)");
    }

    #[cfg(unix)]
    #[test]
    fn file_is_private_and_a_readable_one_is_refused() {
        use std::os::unix::fs::PermissionsExt;
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("admin-token");
        Secret::load_or_create(&path).unwrap();
        let mode = std::fs::metadata(&path).unwrap().permissions().mode();
        assert_eq!(mode & 0o777, 0o600);
        std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o644)).unwrap();
        let e = Secret::load_or_create(&path).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::PermissionDenied);
    }

    #[test]
    fn a_foreign_file_is_refused_not_replaced() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("url-key");
        std::fs::write(&path, "hunter2\n").unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let e = Secret::load_or_create(&path).unwrap_err();
        assert_eq!(e.kind(), std::io::ErrorKind::InvalidData);
        assert_eq!(std::fs::read_to_string(&path).unwrap(), "hunter2\n");
    }

    #[test]
    fn processes_starting_at_once_share_one_secret_and_leave_nothing_else() {
        for _ in 0..10 {
            let dir = tempfile::tempdir().unwrap();
            let path = dir.path().join("admin-token");
            let made: Vec<Secret> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0..4)
                    .map(|_| scope.spawn(|| Secret::load_or_create(&path).unwrap()))
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            assert!(made.iter().all(|s| *s == made[0]));
            let names: Vec<_> = std::fs::read_dir(dir.path())
                .unwrap()
                .map(|e| e.unwrap().file_name())
                .collect();
            assert_eq!(names, ["admin-token"]);
        }
    }

    #[test]
    fn constant_time_eq_is_eq() {
        assert!(constant_time_eq(b"abc", b"abc"));
        assert!(!constant_time_eq(b"abc", b"abd"));
        assert!(!constant_time_eq(b"abc", b"ab"));
        assert!(constant_time_eq(b"", b""));
    }
}
