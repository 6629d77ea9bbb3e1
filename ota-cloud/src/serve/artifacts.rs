//! [`Artifacts`]: release images in the data directory, served over HTTP with range requests
//! to whoever holds an expiring signed URL, the way S3 pre-signs.
//!
//! A URL is `{base}/artifacts/{name}?expires={unix seconds}&signature={hex}` where the
//! signature is HMAC-SHA256, under the service's `url-key`, of `GET`, the path and the
//! expiry, one per line. It opens that one object until that second and no other: changing
//! the name or the expiry breaks the signature, and the key never leaves the service.
//!
//! What it does not do: multiple ranges in one request (the whole object is sent, as RFC
//! 9110 allows), conditional requests, or delete (artifacts are immutable: a name, once
//! stored, keeps its bytes).

use std::collections::HashMap;
use std::io::{Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Mutex, PoisonError};

use hmac::{Hmac, KeyInit, Mac};
use sha2::{Digest, Sha256};

use super::secrets::{Secret, hex};

/// Longest artifact name.
pub const MAX_NAME: usize = 128;

/// An artifact as listed: name, size and SHA-256.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ArtifactInfo {
    /// Its name (the last part of its URL).
    pub name: String,
    /// Bytes.
    pub size: u64,
    /// SHA-256, hex.
    pub sha256: String,
}

/// Why an artifact call failed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ArtifactError {
    /// The name is not 1 to 128 of `A-Z a-z 0-9 . _ -`, or starts with a dot.
    #[error("artifact name {0:?}: use 1 to 128 of A-Z a-z 0-9 . _ - not starting with a dot")]
    BadName(String),
    /// No artifact has this name.
    #[error("no artifact {0}")]
    NotFound(String),
    /// An artifact with this name holds other bytes.
    #[error("artifact {0} exists with other contents (artifacts are immutable)")]
    Exists(String),
    /// The disk refused (full, read-only, gone).
    #[error("artifact storage: {0}")]
    Io(#[from] std::io::Error),
}

/// Why a signed URL was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum UrlRefusal {
    /// `expires` or `signature` is missing or not a number / hex.
    #[error("the URL is not signed")]
    Unsigned,
    /// The signature is not this URL's.
    #[error("the signature does not match")]
    BadSignature,
    /// The URL's life is over.
    #[error("the URL has expired")]
    Expired,
}

/// What a range request gets.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RangeAnswer {
    /// The whole object (no `Range`, one this does not serve, or one not in bytes).
    Full,
    /// Bytes `start..=end`.
    Partial {
        /// First byte.
        start: u64,
        /// Last byte (inclusive).
        end: u64,
    },
    /// No byte of the object is in the range (416).
    Unsatisfiable,
}

/// Parse a `Range` header against an object of `len` bytes (RFC 9110 section 14): one
/// `bytes=` range, `a-b`, `a-` or `-n`. Anything else it does not serve (other units,
/// several ranges, a malformed value) is [`RangeAnswer::Full`], as the RFC allows.
pub fn parse_range(header: &str, len: u64) -> RangeAnswer {
    let Some(spec) = header.trim().strip_prefix("bytes=") else {
        return RangeAnswer::Full;
    };
    if spec.contains(',') {
        return RangeAnswer::Full;
    }
    let Some((first, last)) = spec.trim().split_once('-') else {
        return RangeAnswer::Full;
    };
    let number = |s: &str| {
        (!s.is_empty() && s.bytes().all(|b| b.is_ascii_digit()))
            .then(|| s.parse::<u64>().ok())
            .flatten()
    };
    match (first.trim(), last.trim()) {
        ("", suffix) => match number(suffix) {
            None => RangeAnswer::Full,
            Some(0) => RangeAnswer::Unsatisfiable,
            Some(_) if len == 0 => RangeAnswer::Unsatisfiable,
            Some(n) => RangeAnswer::Partial {
                start: len - n.min(len),
                end: len - 1,
            },
        },
        (first, "") => match number(first) {
            None => RangeAnswer::Full,
            Some(a) if a >= len => RangeAnswer::Unsatisfiable,
            Some(a) => RangeAnswer::Partial {
                start: a,
                end: len - 1,
            },
        },
        (first, last) => match (number(first), number(last)) {
            (Some(a), Some(b)) if a <= b => {
                if a >= len {
                    RangeAnswer::Unsatisfiable
                } else {
                    RangeAnswer::Partial {
                        start: a,
                        end: b.min(len - 1),
                    }
                }
            }
            _ => RangeAnswer::Full,
        },
    }
}

/// Whether `name` may name an artifact.
pub fn valid_name(name: &str) -> bool {
    (1..=MAX_NAME).contains(&name.len())
        && !name.starts_with('.')
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-'))
}

/// The bytes a request gets: an open file at the first byte and how many to send.
#[derive(Debug)]
pub struct Opened {
    /// What the request gets.
    pub answer: RangeAnswer,
    /// The object's length.
    pub len: u64,
    /// The file, at the first byte to send (`None` for [`RangeAnswer::Unsatisfiable`]).
    pub file: Option<std::fs::File>,
    /// Bytes to send from `file`.
    pub count: u64,
}

/// The artifact store: a directory of immutable files and the URL-signing key.
///
/// It assumes it is the only writer of its directory (the service's journal lock ensures
/// one service per data directory).
#[derive(Debug)]
pub struct Artifacts {
    dir: PathBuf,
    key: Secret,
    /// Sizes and hashes already computed: artifacts never change, so each file is hashed
    /// once per process.
    known: Mutex<HashMap<String, ArtifactInfo>>,
    /// Held from "is the name free?" to the rename that takes it, so two uploads of one
    /// name cannot both win.
    placing: Mutex<()>,
}

impl Artifacts {
    /// The store in `dir` (created if absent), signing with `key`.
    ///
    /// # Errors
    /// The directory cannot be made.
    pub fn open(dir: &Path, key: Secret) -> std::io::Result<Self> {
        std::fs::create_dir_all(dir)?;
        Ok(Self {
            dir: dir.to_path_buf(),
            key,
            known: Mutex::new(HashMap::new()),
            placing: Mutex::new(()),
        })
    }

    fn path(&self, name: &str) -> Result<PathBuf, ArtifactError> {
        if valid_name(name) {
            Ok(self.dir.join(name))
        } else {
            Err(ArtifactError::BadName(name.to_string()))
        }
    }

    /// Store `bytes` as `name`: written to a temporary file, synced, then renamed into
    /// place, so a crash leaves either nothing or the whole object. Storing the same bytes
    /// again is accepted; of two concurrent uploads of one name with different bytes, one
    /// is stored and the other gets [`ArtifactError::Exists`].
    ///
    /// # Errors
    /// [`ArtifactError::BadName`], [`ArtifactError::Exists`] with other bytes,
    /// [`ArtifactError::Io`] (nothing is left behind).
    pub fn put(&self, name: &str, bytes: &[u8]) -> Result<ArtifactInfo, ArtifactError> {
        let path = self.path(name)?;
        let stored = ArtifactInfo {
            name: name.to_string(),
            size: bytes.len() as u64,
            sha256: hex(&Sha256::digest(bytes)),
        };
        if path.exists() {
            return self.same_or_exists(name, &stored);
        }
        let mut nonce = [0u8; 8];
        getrandom::fill(&mut nonce).map_err(|e| std::io::Error::other(e.to_string()))?;
        let temp = self.dir.join(format!(".{name}.{}.part", hex(&nonce)));
        let written = (|| {
            let mut file = std::fs::File::create_new(&temp)?;
            file.write_all(bytes)?;
            file.sync_all()
        })();
        if let Err(e) = written {
            let _ = std::fs::remove_file(&temp);
            return Err(e.into());
        }
        let placed = {
            let _placing = self.placing.lock().unwrap_or_else(PoisonError::into_inner);
            if path.exists() {
                None
            } else {
                Some(std::fs::rename(&temp, &path).and_then(|()| sync_dir(&self.dir)))
            }
        };
        match placed {
            None => {
                let _ = std::fs::remove_file(&temp);
                self.same_or_exists(name, &stored)
            }
            Some(Err(e)) => {
                let _ = std::fs::remove_file(&temp);
                Err(e.into())
            }
            Some(Ok(())) => {
                self.remember(&stored);
                Ok(stored)
            }
        }
    }

    /// The stored `name` if it holds what `wanted` describes, else [`ArtifactError::Exists`].
    fn same_or_exists(
        &self,
        name: &str,
        wanted: &ArtifactInfo,
    ) -> Result<ArtifactInfo, ArtifactError> {
        let existing = self.info(name)?;
        if existing == *wanted {
            Ok(existing)
        } else {
            Err(ArtifactError::Exists(name.to_string()))
        }
    }

    fn remember(&self, info: &ArtifactInfo) {
        self.known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .insert(info.name.clone(), info.clone());
    }

    /// Size and SHA-256 of `name`: read and hashed whole the first time this process asks,
    /// then remembered (an artifact never changes; a file whose size changed behind the
    /// store's back is hashed again).
    ///
    /// # Errors
    /// [`ArtifactError::BadName`], [`ArtifactError::NotFound`], [`ArtifactError::Io`].
    pub fn info(&self, name: &str) -> Result<ArtifactInfo, ArtifactError> {
        let path = self.path(name)?;
        let mut file = open_existing(&path, name)?;
        let len = file.metadata()?.len();
        let remembered = self
            .known
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .get(name)
            .filter(|info| info.size == len)
            .cloned();
        if let Some(info) = remembered {
            return Ok(info);
        }
        let mut hasher = Sha256::new();
        let mut buf = vec![0u8; 64 * 1024];
        let mut size = 0u64;
        loop {
            let n = file.read(&mut buf)?;
            if n == 0 {
                break;
            }
            hasher.update(&buf[..n]);
            size += n as u64;
        }
        let info = ArtifactInfo {
            name: name.to_string(),
            size,
            sha256: hex(&hasher.finalize()),
        };
        self.remember(&info);
        Ok(info)
    }

    /// Whether `name` is stored (its metadata only: nothing is read).
    ///
    /// # Errors
    /// [`ArtifactError::BadName`], [`ArtifactError::NotFound`], [`ArtifactError::Io`].
    pub fn check_exists(&self, name: &str) -> Result<(), ArtifactError> {
        match std::fs::metadata(self.path(name)?) {
            Ok(m) if m.is_file() => Ok(()),
            Ok(_) => Err(ArtifactError::NotFound(name.to_string())),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {
                Err(ArtifactError::NotFound(name.to_string()))
            }
            Err(e) => Err(e.into()),
        }
    }

    /// Every artifact's name, sorted.
    ///
    /// # Errors
    /// [`ArtifactError::Io`].
    pub fn names(&self) -> Result<Vec<String>, ArtifactError> {
        let mut names = Vec::new();
        for entry in std::fs::read_dir(&self.dir)? {
            let entry = entry?;
            if let Some(name) = entry.file_name().to_str()
                && valid_name(name)
                && entry.file_type()?.is_file()
            {
                names.push(name.to_string());
            }
        }
        names.sort();
        Ok(names)
    }

    /// Open what a request with `range` (its `Range` header) gets of `name`, without
    /// reading it: the caller streams [`Opened::count`] bytes from [`Opened::file`].
    ///
    /// # Errors
    /// [`ArtifactError::BadName`], [`ArtifactError::NotFound`], [`ArtifactError::Io`].
    pub fn open_range(&self, name: &str, range: Option<&str>) -> Result<Opened, ArtifactError> {
        let path = self.path(name)?;
        let mut file = open_existing(&path, name)?;
        let len = file.metadata()?.len();
        let answer = range.map_or(RangeAnswer::Full, |r| parse_range(r, len));
        let (start, count) = match answer {
            RangeAnswer::Full => (0, len),
            RangeAnswer::Partial { start, end } => (start, end - start + 1),
            RangeAnswer::Unsatisfiable => {
                return Ok(Opened {
                    answer,
                    len,
                    file: None,
                    count: 0,
                });
            }
        };
        file.seek(SeekFrom::Start(start))?;
        Ok(Opened {
            answer,
            len,
            file: Some(file),
            count,
        })
    }

    /// Read what a request with `range` gets of `name` into memory: the answer, the bytes
    /// (empty for [`RangeAnswer::Unsatisfiable`]) and the object's length. For tests and
    /// small objects; the HTTP server streams from [`Artifacts::open_range`].
    ///
    /// # Errors
    /// As [`Artifacts::open_range`].
    pub fn read(
        &self,
        name: &str,
        range: Option<&str>,
    ) -> Result<(RangeAnswer, Vec<u8>, u64), ArtifactError> {
        let opened = self.open_range(name, range)?;
        let mut bytes = Vec::new();
        if let Some(file) = opened.file {
            file.take(opened.count).read_to_end(&mut bytes)?;
        }
        Ok((opened.answer, bytes, opened.len))
    }

    fn signature(&self, name: &str, expires: u64) -> Hmac<Sha256> {
        let mut mac = <Hmac<Sha256> as KeyInit>::new_from_slice(self.key.expose().as_bytes())
            .expect("HMAC takes keys of any length");
        mac.update(format!("GET\n/artifacts/{name}\n{expires}").as_bytes());
        mac
    }

    /// A URL under `base` that opens `name` until `expires` (Unix seconds). Does not check
    /// that the artifact exists.
    pub fn signed_url(&self, base: &str, name: &str, expires: u64) -> String {
        let signature = hex(&self.signature(name, expires).finalize().into_bytes());
        format!(
            "{}/artifacts/{name}?expires={expires}&signature={signature}",
            base.trim_end_matches('/')
        )
    }

    /// Check a request for `name` with the URL's `expires` and `signature` at `now` (Unix
    /// seconds). The signature is checked first, in constant time, so an expired URL of
    /// another object says nothing about this one.
    ///
    /// # Errors
    /// [`UrlRefusal`].
    pub fn check_url(
        &self,
        name: &str,
        expires: Option<&str>,
        signature: Option<&str>,
        now: u64,
    ) -> Result<(), UrlRefusal> {
        let expires = expires
            .filter(|e| !e.is_empty() && e.bytes().all(|b| b.is_ascii_digit()))
            .and_then(|e| e.parse::<u64>().ok())
            .ok_or(UrlRefusal::Unsigned)?;
        let signature = signature.and_then(unhex).ok_or(UrlRefusal::Unsigned)?;
        self.signature(name, expires)
            .verify_slice(&signature)
            .map_err(|_| UrlRefusal::BadSignature)?;
        if now > expires {
            return Err(UrlRefusal::Expired);
        }
        Ok(())
    }
}

fn open_existing(path: &Path, name: &str) -> Result<std::fs::File, ArtifactError> {
    std::fs::File::open(path).map_err(|e| match e.kind() {
        std::io::ErrorKind::NotFound => ArtifactError::NotFound(name.to_string()),
        _ => ArtifactError::Io(e),
    })
}

/// Bytes of an even-length hex string, `None` for anything else.
fn unhex(text: &str) -> Option<Vec<u8>> {
    if !text.len().is_multiple_of(2) || text.len() > 128 {
        return None;
    }
    (0..text.len())
        .step_by(2)
        .map(|i| u8::from_str_radix(text.get(i..i + 2)?, 16).ok())
        .collect()
}

/// Make a rename in `dir` durable.
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    std::fs::File::open(dir)?.sync_all()?;
    #[cfg(not(unix))]
    let _ = dir;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn store() -> (tempfile::TempDir, Artifacts) {
        let dir = tempfile::tempdir().unwrap();
        let key = Secret::load_or_create(&dir.path().join("url-key")).unwrap();
        let store = Artifacts::open(&dir.path().join("artifacts"), key).unwrap();
        (dir, store)
    }

    /// The query values of `url`.
    fn query(url: &str) -> (String, String, String) {
        let (path, query) = url.split_once('?').unwrap();
        let name = path.rsplit('/').next().unwrap().to_string();
        let mut expires = String::new();
        let mut signature = String::new();
        for pair in query.split('&') {
            match pair.split_once('=').unwrap() {
                ("expires", v) => expires = v.into(),
                ("signature", v) => signature = v.into(),
                _ => panic!("{pair}"),
            }
        }
        (name, expires, signature)
    }

    #[test]
    fn ranges() {
        use RangeAnswer::{Full, Partial, Unsatisfiable};
        let p = |start, end| Partial { start, end };
        assert_eq!(parse_range("bytes=0-99", 1000), p(0, 99));
        assert_eq!(parse_range("bytes=900-", 1000), p(900, 999));
        assert_eq!(parse_range("bytes=-100", 1000), p(900, 999));
        assert_eq!(parse_range("bytes=-5000", 1000), p(0, 999));
        assert_eq!(parse_range("bytes=990-2000", 1000), p(990, 999));
        assert_eq!(parse_range("bytes=999-999", 1000), p(999, 999));
        assert_eq!(parse_range("bytes=1000-", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=1000-1001", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=-0", 1000), Unsatisfiable);
        assert_eq!(parse_range("bytes=0-", 0), Unsatisfiable);
        assert_eq!(parse_range("bytes=-1", 0), Unsatisfiable);
        // Not served: the whole object.
        for header in [
            "bytes=5-1",
            "bytes=0-1,5-6",
            "items=0-1",
            "bytes=a-b",
            "bytes=-",
            "bytes=+1-2",
            "bytes=18446744073709551616-",
            "",
        ] {
            assert_eq!(parse_range(header, 1000), Full, "{header}");
        }
    }

    #[test]
    fn names() {
        for good in ["fw-1.2.3.bin", "a", "A_b.c-d", &"x".repeat(MAX_NAME)] {
            assert!(valid_name(good), "{good}");
        }
        for bad in [
            "",
            ".hidden",
            "..",
            "a/b",
            "../etc/passwd",
            "a b",
            "é",
            "a%2fb",
            &"x".repeat(MAX_NAME + 1),
        ] {
            assert!(!valid_name(bad), "{bad}");
        }
    }

    #[test]
    fn put_read_and_immutability() {
        let (_dir, store) = store();
        let bytes: Vec<u8> = (0..=255u8).cycle().take(10_000).collect();
        let info = store.put("fw.bin", &bytes).unwrap();
        assert_eq!(info.size, 10_000);
        assert_eq!(info.sha256, hex(&Sha256::digest(&bytes)));
        assert_eq!(store.put("fw.bin", &bytes).unwrap(), info);
        assert!(matches!(
            store.put("fw.bin", b"other"),
            Err(ArtifactError::Exists(_))
        ));
        assert!(matches!(
            store.put("../x", b"x"),
            Err(ArtifactError::BadName(_))
        ));
        assert_eq!(store.names().unwrap(), vec!["fw.bin".to_string()]);
        let (answer, got, len) = store.read("fw.bin", None).unwrap();
        assert_eq!((answer, len), (RangeAnswer::Full, 10_000));
        assert_eq!(got, bytes);
        let (answer, got, _) = store.read("fw.bin", Some("bytes=100-199")).unwrap();
        assert_eq!(
            answer,
            RangeAnswer::Partial {
                start: 100,
                end: 199
            }
        );
        assert_eq!(got, &bytes[100..200]);
        let (answer, got, _) = store.read("fw.bin", Some("bytes=20000-")).unwrap();
        assert_eq!(answer, RangeAnswer::Unsatisfiable);
        assert!(got.is_empty());
        assert!(matches!(
            store.read("absent.bin", None),
            Err(ArtifactError::NotFound(_))
        ));
        assert!(matches!(
            store.info("absent.bin"),
            Err(ArtifactError::NotFound(_))
        ));
    }

    #[test]
    fn a_url_opens_its_object_until_it_expires_and_nothing_else() {
        let (_dir, store) = store();
        let url = store.signed_url("http://h:1/", "fw.bin", 2_000);
        assert!(url.starts_with("http://h:1/artifacts/fw.bin?expires=2000&signature="));
        let (name, expires, signature) = query(&url);
        let check = |name: &str, expires: &str, signature: &str, now| {
            store.check_url(name, Some(expires), Some(signature), now)
        };
        assert_eq!(check(&name, &expires, &signature, 1_000), Ok(()));
        assert_eq!(check(&name, &expires, &signature, 2_000), Ok(()));
        assert_eq!(
            check(&name, &expires, &signature, 2_001),
            Err(UrlRefusal::Expired)
        );
        // Another object, a longer life, a tampered signature.
        assert_eq!(
            check("other.bin", &expires, &signature, 1_000),
            Err(UrlRefusal::BadSignature)
        );
        assert_eq!(
            check(&name, "3000", &signature, 1_000),
            Err(UrlRefusal::BadSignature)
        );
        // The same expiry written with a leading zero is the same URL, no wider.
        assert_eq!(check(&name, "02000", &signature, 1_000), Ok(()));
        let mut flipped = signature.clone().into_bytes();
        flipped[0] = if flipped[0] == b'0' { b'1' } else { b'0' };
        let flipped = String::from_utf8(flipped).unwrap();
        assert_eq!(
            check(&name, &expires, &flipped, 1_000),
            Err(UrlRefusal::BadSignature)
        );
        assert_eq!(
            check(&name, &expires, &signature[..62], 1_000),
            Err(UrlRefusal::BadSignature)
        );
        // Unsigned.
        assert_eq!(
            store.check_url(&name, None, Some(&signature), 0),
            Err(UrlRefusal::Unsigned)
        );
        assert_eq!(
            store.check_url(&name, Some(&expires), None, 0),
            Err(UrlRefusal::Unsigned)
        );
        assert_eq!(check(&name, "-1", &signature, 0), Err(UrlRefusal::Unsigned));
        assert_eq!(check(&name, &expires, "zz", 0), Err(UrlRefusal::Unsigned));
        // Another service's key.
        let (_dir2, other) = self::store();
        let (_, _, theirs) = query(&other.signed_url("http://h:1", "fw.bin", 2_000));
        assert_eq!(
            check(&name, &expires, &theirs, 1_000),
            Err(UrlRefusal::BadSignature)
        );
    }

    #[test]
    fn of_concurrent_uploads_of_one_name_exactly_one_is_stored() {
        for round in 0..20 {
            let (_dir, store) = store();
            let name = format!("race-{round}.bin");
            let outcomes: Vec<_> = std::thread::scope(|scope| {
                let handles: Vec<_> = (0u8..4)
                    .map(|i| {
                        let (store, name) = (&store, &name);
                        scope.spawn(move || (i, store.put(name, &[i; 4096])))
                    })
                    .collect();
                handles.into_iter().map(|h| h.join().unwrap()).collect()
            });
            let winners: Vec<u8> = outcomes
                .iter()
                .filter_map(|(i, r)| r.as_ref().ok().map(|_| *i))
                .collect();
            assert_eq!(winners.len(), 1, "round {round}: {outcomes:?}");
            for (i, r) in &outcomes {
                if *i != winners[0] {
                    assert!(matches!(r, Err(ArtifactError::Exists(_))), "{r:?}");
                }
            }
            let (_, bytes, _) = store.read(&name, None).unwrap();
            assert_eq!(bytes, [winners[0]; 4096]);
            // Nothing temporary is left behind.
            assert_eq!(std::fs::read_dir(&store.dir).unwrap().count(), 1);
        }
    }
}
