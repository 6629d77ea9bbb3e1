//! [`Journal`]: the inputs on SQLite, each committed (WAL, `synchronous=FULL`) before it is
//! applied, and read back in order on open.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};

use rusqlite::{Connection, OptionalExtension, params};

use super::DurableError;
use super::input::Input;

/// The journal's format; a database of another format is refused.
const FORMAT: &str = "1";

/// The inputs of one engine, in order, with the time each was made at.
#[derive(Debug)]
pub(crate) struct Journal {
    conn: Connection,
    /// An exclusive lock on `<path>.lock`, held while the journal is open, so that a second
    /// process (or a second `Durable` in this one) cannot open the same journal and diverge.
    _lock: ProcessLock,
    /// Entries stored, counted once at open and then kept: metrics and health read it
    /// without a scan of the table.
    entries: AtomicU64,
}

/// An exclusive lock on a file, released when dropped (and by the system when the process
/// dies).
// `File::try_lock` is Rust 1.89: the `sqlite` feature needs it (see the crate's README).
#[allow(clippy::incompatible_msrv)]
#[derive(Debug)]
struct ProcessLock(std::fs::File);

#[allow(clippy::incompatible_msrv)]
impl ProcessLock {
    fn take(db: &Path) -> Result<Self, DurableError> {
        let mut name = db.as_os_str().to_owned();
        name.push(".lock");
        let path = std::path::PathBuf::from(name);
        let file = std::fs::File::options()
            .create(true)
            .truncate(false)
            .write(true)
            .open(&path)
            .map_err(|e| DurableError::Storage(format!("{}: {e}", path.display())))?;
        match file.try_lock() {
            Ok(()) => Ok(Self(file)),
            Err(std::fs::TryLockError::WouldBlock) => Err(DurableError::Storage(format!(
                "{} is in use by another process (or another engine of this one)",
                db.display()
            ))),
            Err(std::fs::TryLockError::Error(e)) => {
                Err(DurableError::Storage(format!("{}: {e}", path.display())))
            }
        }
    }
}

#[allow(clippy::incompatible_msrv)]
impl Drop for ProcessLock {
    fn drop(&mut self) {
        let _ = self.0.unlock();
    }
}

fn storage(e: rusqlite::Error) -> DurableError {
    DurableError::Storage(e.to_string())
}

impl Journal {
    /// Open or create the journal at `path` for an engine with `settings` (their `Debug`
    /// text); `epoch` is the creation time written into a new journal; the database may
    /// grow to `max_bytes` at most. Returns the journal and the epoch it holds.
    pub(crate) fn open(
        path: &Path,
        settings: &str,
        epoch: u64,
        max_bytes: Option<u64>,
    ) -> Result<(Self, u64), DurableError> {
        let lock = ProcessLock::take(path)?;
        let conn = Connection::open(path).map_err(storage)?;
        conn.pragma_update(None, "journal_mode", "WAL")
            .map_err(storage)?;
        conn.pragma_update(None, "synchronous", "FULL")
            .map_err(storage)?;
        if let Some(max_bytes) = max_bytes {
            let page: i64 = conn
                .query_row("PRAGMA page_size", [], |r| r.get(0))
                .map_err(storage)?;
            let pages = i64::try_from(max_bytes).unwrap_or(i64::MAX) / page.max(1);
            // SQLite keeps at least the pages the database already has.
            conn.query_row(
                &format!("PRAGMA max_page_count = {}", pages.max(1)),
                [],
                |_| Ok(()),
            )
            .map_err(storage)?;
        }
        conn.execute_batch(
            "CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS journal (
                 seq INTEGER PRIMARY KEY AUTOINCREMENT,
                 at INTEGER NOT NULL,
                 input TEXT NOT NULL);
             CREATE TABLE IF NOT EXISTS campaigns (id TEXT PRIMARY KEY, state TEXT NOT NULL);",
        )
        .map_err(storage)?;
        let meta = |key: &str| -> Result<Option<String>, DurableError> {
            conn.query_row("SELECT value FROM meta WHERE key = ?1", [key], |r| r.get(0))
                .optional()
                .map_err(storage)
        };
        let epoch = match meta("format")? {
            None => {
                let tx = conn.unchecked_transaction().map_err(storage)?;
                for (key, value) in [
                    ("format", FORMAT.to_string()),
                    ("settings", settings.to_string()),
                    ("epoch", epoch.to_string()),
                ] {
                    tx.execute(
                        "INSERT INTO meta (key, value) VALUES (?1, ?2)",
                        params![key, value],
                    )
                    .map_err(storage)?;
                }
                tx.commit().map_err(storage)?;
                epoch
            }
            Some(format) if format != FORMAT => {
                return Err(DurableError::Format(format));
            }
            Some(_) => {
                let stored = meta("settings")?.unwrap_or_default();
                if stored != settings {
                    return Err(DurableError::SettingsChanged {
                        stored,
                        given: settings.to_string(),
                    });
                }
                meta("epoch")?
                    .and_then(|e| e.parse().ok())
                    .ok_or_else(|| DurableError::Corrupt("meta: no epoch".into()))?
            }
        };
        let entries: i64 = conn
            .query_row("SELECT COUNT(*) FROM journal", [], |r| r.get(0))
            .map_err(storage)?;
        let journal = Self {
            conn,
            _lock: lock,
            entries: AtomicU64::new(u64::try_from(entries).unwrap_or(0)),
        };
        Ok((journal, epoch))
    }

    /// Every input in order with its time; `Corrupt` at the first row that does not read.
    pub(crate) fn replay(&self) -> Result<Vec<(u64, Input)>, DurableError> {
        let mut statement = self
            .conn
            .prepare("SELECT seq, at, input FROM journal ORDER BY seq")
            .map_err(storage)?;
        let rows = statement
            .query_map([], |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, String>(2)?,
                ))
            })
            .map_err(storage)?;
        let mut inputs = Vec::new();
        for row in rows {
            let (seq, at, text) = row.map_err(storage)?;
            let input = serde_json::from_str(&text)
                .map_err(|e| DurableError::Corrupt(format!("journal entry {seq}: {e}")))?;
            let at = u64::try_from(at)
                .map_err(|_| DurableError::Corrupt(format!("journal entry {seq}: time {at}")))?;
            inputs.push((at, input));
        }
        Ok(inputs)
    }

    /// Append `input` made at `at`, committed to disk when this returns `Ok`.
    pub(crate) fn append(&self, at: u64, input: &Input) -> Result<(), DurableError> {
        let text = serde_json::to_string(input)
            .map_err(|e| DurableError::Storage(format!("cannot encode the input: {e}")))?;
        let at = i64::try_from(at).map_err(|_| DurableError::Storage(format!("time {at}")))?;
        self.conn
            .execute(
                "INSERT INTO journal (at, input) VALUES (?1, ?2)",
                params![at, text],
            )
            .map_err(storage)?;
        self.entries.fetch_add(1, Ordering::Relaxed);
        Ok(())
    }

    /// Entries stored (kept in memory: no query).
    pub(crate) fn len(&self) -> u64 {
        self.entries.load(Ordering::Relaxed)
    }

    /// Store campaign `id`'s state (JSON), replacing the previous one; committed when this
    /// returns `Ok`.
    pub(crate) fn put_campaign(&self, id: &str, state: &str) -> Result<(), DurableError> {
        self.conn
            .execute(
                "INSERT INTO campaigns (id, state) VALUES (?1, ?2)
                 ON CONFLICT(id) DO UPDATE SET state = excluded.state",
                params![id, state],
            )
            .map_err(storage)?;
        Ok(())
    }

    /// Every stored campaign's id and state, by id.
    pub(crate) fn campaigns(&self) -> Result<Vec<(String, String)>, DurableError> {
        let mut statement = self
            .conn
            .prepare("SELECT id, state FROM campaigns ORDER BY id")
            .map_err(storage)?;
        let rows = statement
            .query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))
            .map_err(storage)?;
        rows.collect::<Result<Vec<_>, _>>().map_err(storage)
    }
}
