//! Where the client's keys come from: a fixed trust store, or a root that trust-update jobs
//! rotate ([`ota_core::trust`]), stored power-safely in a record store of its own.
//!
//! A rotating device keeps its [`Root`] in RAM (the client verifies releases with its
//! release keys) and its compact form in a [`StateStore`] beside the state record. At boot
//! the application loads it with [`load_root`], which falls back to the root built into the
//! firmware when nothing newer is stored. When a trust-update job arrives, the client checks
//! it against the root it holds, stores the new root, and only then uses it: a power cut
//! before the store completes leaves the old root (the job comes again and is applied
//! again), after it the new one (the job comes again and is [`RootUpdate::Current`]:
//! reported SUCCEEDED without a change).

use ota_core::crypto::TrustStore;
use ota_core::document::TrustUpdate;
use ota_core::trust::{self, MAX_ROOT_LEN, Root, RootError, RootStatement, RootUpdate};

use crate::Reason;
use crate::storage::{MAX_RECORD_LEN, StateStore, StorageError};

/// Where a [`crate::Client`] gets its keys: a fixed trust store (`&TrustStore`), a
/// [`Rotation`], or a [`Trust`] that is either, chosen at run time.
pub trait TrustSource<const K: usize> {
    /// The keys releases are verified with.
    fn release(&self) -> &TrustStore<K>;

    /// The root, when the keys rotate.
    fn root(&self) -> Option<&Root<K>> {
        None
    }

    /// Whether trust updates are taken (the client then needs a scratch buffer of
    /// [`MAX_ROOT_LEN`] bytes).
    fn rotates(&self) -> bool {
        false
    }

    /// The keys that sign "latest release" statements ([`ota_core::freshness`]), when
    /// there are any.
    fn timestamp(&self) -> Option<&TrustStore<K>> {
        None
    }

    /// Apply a trust-update document (see [`apply_update`]); the version of the root held
    /// after it.
    ///
    /// # Errors
    /// The reason to report; [`Reason::UnsupportedDocument`] for fixed keys.
    fn apply_update(
        &mut self,
        raw_document: &[u8],
        product: &str,
        scratch: &mut [u8; MAX_ROOT_LEN],
    ) -> Result<u32, Reason> {
        let _ = (raw_document, product, scratch);
        Err(Reason::UnsupportedDocument)
    }
}

/// Fixed keys: trust-update jobs are refused as `unsupported_document`.
impl<const K: usize> TrustSource<K> for &TrustStore<K> {
    fn release(&self) -> &TrustStore<K> {
        self
    }
}

impl<const K: usize> TrustSource<K> for Rotation<'_, K> {
    fn release(&self) -> &TrustStore<K> {
        self.root.release()
    }

    fn root(&self) -> Option<&Root<K>> {
        Some(self.root)
    }

    fn rotates(&self) -> bool {
        true
    }

    fn timestamp(&self) -> Option<&TrustStore<K>> {
        self.root.timestamp()
    }

    fn apply_update(
        &mut self,
        raw_document: &[u8],
        product: &str,
        scratch: &mut [u8; MAX_ROOT_LEN],
    ) -> Result<u32, Reason> {
        apply_update(self, raw_document, product, scratch)
    }
}

/// Fixed or rotating keys, chosen at run time (e.g. by a build that supports both). Not
/// `Send` (a rotation holds its store as `dyn StateStore`): a client that must move between
/// threads takes `&TrustStore` or a [`Rotation`] directly.
pub enum Trust<'a, const K: usize> {
    /// A fixed trust store (built into the firmware).
    Fixed(&'a TrustStore<K>),
    /// A root that trust-update jobs rotate.
    Rotating(Rotation<'a, K>),
}

impl<'a, const K: usize> From<&'a TrustStore<K>> for Trust<'a, K> {
    fn from(store: &'a TrustStore<K>) -> Self {
        Self::Fixed(store)
    }
}

impl<'a, const K: usize> From<Rotation<'a, K>> for Trust<'a, K> {
    fn from(rotation: Rotation<'a, K>) -> Self {
        Self::Rotating(rotation)
    }
}

impl<const K: usize> TrustSource<K> for Trust<'_, K> {
    fn release(&self) -> &TrustStore<K> {
        match self {
            Self::Fixed(store) => store,
            Self::Rotating(rotation) => rotation.release(),
        }
    }

    fn root(&self) -> Option<&Root<K>> {
        match self {
            Self::Fixed(_) => None,
            Self::Rotating(rotation) => rotation.root(),
        }
    }

    fn rotates(&self) -> bool {
        matches!(self, Self::Rotating(_))
    }

    fn timestamp(&self) -> Option<&TrustStore<K>> {
        match self {
            Self::Fixed(_) => None,
            Self::Rotating(rotation) => rotation.timestamp(),
        }
    }

    fn apply_update(
        &mut self,
        raw_document: &[u8],
        product: &str,
        scratch: &mut [u8; MAX_ROOT_LEN],
    ) -> Result<u32, Reason> {
        match self {
            Self::Fixed(_) => Err(Reason::UnsupportedDocument),
            Self::Rotating(rotation) => apply_update(rotation, raw_document, product, scratch),
        }
    }
}

/// A root the client may rotate, and the record store it is kept in (not the state
/// record's store: a store of its own, e.g. a second [`crate::storage::DualCopyStore`]
/// region or file).
pub struct Rotation<'a, const K: usize> {
    root: &'a mut Root<K>,
    store: &'a mut dyn StateStore,
}

impl<'a, const K: usize> Rotation<'a, K> {
    /// `root` (as [`load_root`] gave it) kept in `store`.
    pub fn new(root: &'a mut Root<K>, store: &'a mut dyn StateStore) -> Self {
        Self { root, store }
    }
}

/// Where [`load_root`] took the root from.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RootSource {
    /// The stored root (newer than the built-in one).
    Stored,
    /// The built-in root: nothing stored, or nothing newer.
    BuiltIn,
    /// The built-in root, because the stored one does not decode (every copy damaged, or a
    /// root this build cannot hold). Keys revoked by the lost root are trusted again until
    /// the next rotation: report it.
    BuiltInStoredUnreadable,
}

/// The root to start with: the stored one when it is newer than `built_in`, else
/// `built_in` (a firmware built with a newer root than the stored one brings its own).
/// Writes nothing.
///
/// # Errors
/// [`StorageError`] when the store cannot be read at all.
pub fn load_root<const K: usize>(
    store: &mut dyn StateStore,
    built_in: Root<K>,
) -> Result<(Root<K>, RootSource), StorageError> {
    let mut buf = [0u8; MAX_RECORD_LEN];
    let Some(len) = store.load(&mut buf)? else {
        return Ok((built_in, RootSource::BuiltIn));
    };
    match trust::decode::<K>(buf.get(..len).unwrap_or_default()) {
        Ok(stored) if stored.version() > built_in.version() => Ok((stored, RootSource::Stored)),
        Ok(_) => Ok((built_in, RootSource::BuiltIn)),
        Err(_) => Ok((built_in, RootSource::BuiltInStoredUnreadable)),
    }
}

/// Apply a trust-update document: check it against the held root (see
/// [`Root::check_update`]), store the new root, then hold it. Returns the root version now
/// held. `scratch` receives the statement.
///
/// # Errors
/// The [`Reason`] to report: the document's or the statement's fault (REJECTED), or
/// [`Reason::StorageFailure`] (FAILED) when the new root could not be stored; the held
/// root is then unchanged.
#[inline(never)]
pub fn apply_update<const K: usize>(
    rotation: &mut Rotation<'_, K>,
    raw_document: &[u8],
    product: &str,
    scratch: &mut [u8; MAX_ROOT_LEN],
) -> Result<u32, Reason> {
    let update = TrustUpdate::parse(raw_document).map_err(|_| Reason::BadDocument)?;
    match rotation.root.check_update(&update, product, scratch) {
        Ok(RootUpdate::Current) => Ok(rotation.root.version()),
        Ok(RootUpdate::Newer {
            root,
            statement_len,
        }) => {
            let statement = scratch.get(..statement_len).unwrap_or_default();
            store_root(rotation.store, statement)?;
            let version = root.version();
            *rotation.root = root;
            Ok(version)
        }
        Err(e) => Err(reason_of(e)),
    }
}

/// Write the compact form of a checked statement. After a write error the store holds the
/// old or the new root; which one is unknown, so the held root stays the old one (and the
/// next boot loads whichever it is).
#[inline(never)]
fn store_root(store: &mut dyn StateStore, statement: &[u8]) -> Result<(), Reason> {
    let statement = RootStatement::parse(statement).map_err(|_| Reason::BadRoot)?;
    let mut record = [0u8; MAX_RECORD_LEN];
    let len = trust::encode(&statement, &mut record).map_err(|_| Reason::BadRoot)?;
    store
        .store(record.get(..len).unwrap_or_default())
        .map_err(|_| Reason::StorageFailure)
}

/// A short id of a timestamp role (its keys, in order, and its threshold; 0 for none): the
/// freshness bound kept in the state record is used only under the role it was taken
/// under, so that rotating the timestamp keys forgets a statement a stolen key dated in the
/// future (TUF's fast-forward recovery). Not a security boundary in itself: the keys it
/// names come from a root the device's root keys signed.
pub fn role_id<const K: usize>(role: Option<&TrustStore<K>>) -> u32 {
    let Some(role) = role else { return 0 };
    role.iter().fold(u32::from(role.threshold()), |id, key| {
        let [a, b, c, d, ..] = key.key_id().0;
        id.rotate_left(7) ^ u32::from_le_bytes([a, b, c, d])
    }) | 1
}

/// The reason a refused root update is reported with.
fn reason_of(e: RootError) -> Reason {
    match e {
        RootError::Encoding => Reason::BadEncoding,
        RootError::WrongProduct => Reason::WrongProduct,
        RootError::NotNewer { .. } => Reason::RootNotNewer,
        RootError::NotAuthorized(rejection) => rejection.into(),
        _ => Reason::BadRoot,
    }
}

#[cfg(test)]
mod tests;
