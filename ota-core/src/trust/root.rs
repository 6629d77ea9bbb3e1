//! [`Root`]: a device's keys by role, and the checks a root update must pass.

use crate::crypto::{Base64Mode, Digest, MAX_VERIFIABLE_SIGNATURE_LEN, Quorum, TrustStore};
use crate::document::TrustUpdate;

use super::RootError;
use super::persist::trusted_key;
use super::statement::{MAX_ROOT_LEN, ROOT_TYPE, RoleStatement, RootStatement};

/// The keys a device trusts, by role, at a version: `root` keys sign the next root,
/// `release` keys sign firmware manifests, each role with its own threshold.
///
/// A firmware image carries its first root (version 1, say); updates arrive as signed
/// statements ([`Root::check_update`]) and are stored in the compact form of
/// [`super::encode`]. A device uses [`Root::release`] as the trust store of its firmware
/// client.
#[derive(Debug, Clone)]
pub struct Root<const K: usize> {
    version: u32,
    root: TrustStore<K>,
    release: TrustStore<K>,
    /// Empty when the root has no timestamp role.
    timestamp: TrustStore<K>,
}

/// What [`Root::check_update`] found.
#[derive(Debug, Clone)]
#[allow(
    clippy::large_enum_variant,
    reason = "no allocation: the new root is returned by value, once"
)]
pub enum RootUpdate<const K: usize> {
    /// A newer root, signed by the threshold of the current root keys and of its own. The
    /// statement's bytes are the first `statement_len` bytes of the scratch buffer, for
    /// [`super::encode`].
    Newer {
        /// The root it makes.
        root: Root<K>,
        /// Length of the decoded statement in the scratch buffer.
        statement_len: usize,
    },
    /// The statement makes exactly the root the device holds (it was applied before, e.g.
    /// before a power cut that lost the report): nothing to change.
    Current,
}

impl<const K: usize> Root<K> {
    /// A root of `version` with these roles, each with its threshold set.
    ///
    /// # Errors
    /// [`RootError::BadRole`] when a role is empty or holds fewer keys than its threshold.
    pub fn new(
        version: u32,
        root: TrustStore<K>,
        release: TrustStore<K>,
    ) -> Result<Self, RootError> {
        for role in [&root, &release] {
            Quorum::of(role).map_err(|_| RootError::BadRole)?;
        }
        Ok(Self {
            version,
            root,
            release,
            timestamp: TrustStore::new(),
        })
    }

    /// This root with a timestamp role: the keys that sign "latest release" statements
    /// ([`crate::freshness`]).
    ///
    /// # Errors
    /// [`RootError::BadRole`] when the role is empty or holds fewer keys than its
    /// threshold.
    pub fn with_timestamp(mut self, timestamp: TrustStore<K>) -> Result<Self, RootError> {
        Quorum::of(&timestamp).map_err(|_| RootError::BadRole)?;
        self.timestamp = timestamp;
        Ok(self)
    }

    /// The version.
    pub const fn version(&self) -> u32 {
        self.version
    }

    /// The keys that sign root statements.
    pub const fn root(&self) -> &TrustStore<K> {
        &self.root
    }

    /// The keys that sign firmware manifests: the firmware client's trust store.
    pub const fn release(&self) -> &TrustStore<K> {
        &self.release
    }

    /// The keys that sign "latest release" statements, when the root has them.
    pub fn timestamp(&self) -> Option<&TrustStore<K>> {
        (!self.timestamp.is_empty()).then_some(&self.timestamp)
    }

    /// The root a statement describes. Checks its `type`, roles and keys; not its
    /// signatures, product or version ([`Root::check_update`] does).
    ///
    /// # Errors
    /// [`RootError::Malformed`], [`RootError::BadRole`], [`RootError::BadKey`].
    pub fn from_statement(statement: &RootStatement<'_>) -> Result<Self, RootError> {
        if statement.kind != ROOT_TYPE {
            return Err(RootError::Malformed);
        }
        let root = Self::new(
            statement.version,
            role(&statement.root)?,
            role(&statement.release)?,
        )?;
        match &statement.timestamp {
            Some(timestamp) => root.with_timestamp(role(timestamp)?),
            None => Ok(root),
        }
    }

    /// Check a trust update against this root for a device of `product`: decode the
    /// statement (strict base64, into `scratch`), check that the threshold of this root's
    /// root keys signed it, parse it, check its product and version, build the root it
    /// describes, and check that the threshold of *its* root keys signed it too (so that the
    /// keys it hands over are held; not checked twice when the root keys and threshold stay
    /// the same). A statement of this root's version that makes exactly
    /// this root is [`RootUpdate::Current`]; any other of this version or lower is refused.
    ///
    /// Changes nothing: the caller stores the new root ([`super::encode`]) and then uses it.
    ///
    /// # Errors
    /// [`RootError::Encoding`], [`RootError::NotAuthorized`], [`RootError::Malformed`],
    /// [`RootError::WrongProduct`], [`RootError::NotNewer`], [`RootError::BadRole`],
    /// [`RootError::BadKey`] or [`RootError::NotSelfSigned`], the first that applies in
    /// that order.
    #[inline(never)]
    pub fn check_update(
        &self,
        update: &TrustUpdate<'_>,
        product: &str,
        scratch: &mut [u8; MAX_ROOT_LEN],
    ) -> Result<RootUpdate<K>, RootError> {
        let bytes = update
            .root
            .decode_base64(scratch, Base64Mode::Strict)
            .map_err(|_| RootError::Encoding)?;
        let statement_len = bytes.len();
        let digest = Digest::sha256(bytes);
        update
            .signatures()
            .check(&self.root, &digest)
            .map_err(RootError::NotAuthorized)?;
        let statement = RootStatement::parse(bytes).map_err(|_| RootError::Malformed)?;
        if statement.product != product {
            return Err(RootError::WrongProduct);
        }
        let offered = statement.version;
        let next = Self::from_statement(&statement)?;
        if offered == self.version && next.same_as(self) {
            return Ok(RootUpdate::Current);
        }
        if offered <= self.version {
            return Err(RootError::NotNewer {
                current: self.version,
                offered,
            });
        }
        // The same root keys and threshold would give the same answer: checked above.
        if !same_role(&next.root, &self.root) {
            update
                .signatures()
                .check(&next.root, &digest)
                .map_err(RootError::NotSelfSigned)?;
        }
        Ok(RootUpdate::Newer {
            root: next,
            statement_len,
        })
    }

    /// Whether `other` holds the same version, keys (in the same order, with the same
    /// algorithms) and thresholds.
    pub fn same_as(&self, other: &Self) -> bool {
        self.version == other.version
            && same_role(&self.root, &other.root)
            && same_role(&self.release, &other.release)
            && same_role(&self.timestamp, &other.timestamp)
    }
}

/// Whether two roles hold the same keys, in the same order, with the same threshold.
fn same_role<const K: usize>(a: &TrustStore<K>, b: &TrustStore<K>) -> bool {
    a.threshold() == b.threshold() && a.iter().eq(b.iter())
}

/// A role's keys, decoded one at a time into a stack buffer (RSA keys need up to about
/// [`MAX_VERIFIABLE_SIGNATURE_LEN`] + 16 bytes).
fn role<const K: usize>(statement: &RoleStatement<'_>) -> Result<TrustStore<K>, RootError> {
    let mut store = TrustStore::new();
    let mut buf = [0u8; MAX_VERIFIABLE_SIGNATURE_LEN + 32];
    for key in &statement.keys {
        let bytes = key
            .key
            .decode_base64(&mut buf, Base64Mode::Strict)
            .map_err(|_| RootError::BadKey)?;
        let trusted = trusted_key(key.algorithm, bytes)?;
        store.add(trusted).map_err(|_| RootError::BadRole)?;
    }
    store
        .set_threshold(statement.threshold)
        .map_err(|_| RootError::BadRole)?;
    Ok(store)
}
