//! Checking a latest statement.

use crate::crypto::{Base64Mode, Digest, TrustStore};
use crate::manifest::Rejection;
use crate::version::{SecurityCounter, Version};

use super::statement::{LATEST_TYPE, LatestStatement, MAX_LATEST_LEN, SignedLatest};

/// A latest statement that checked out.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Latest {
    /// The latest release's version.
    pub version: Version,
    /// Its security counter.
    pub security_counter: SecurityCounter,
    /// When it was signed (Unix seconds).
    pub issued: u64,
    /// When it stops being valid (Unix seconds).
    pub expires: u64,
}

/// Why a latest statement was refused.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum FreshnessError {
    /// The statement is not strict base64 of at most [`MAX_LATEST_LEN`] bytes.
    #[error("latest statement encoding is invalid")]
    Encoding,
    /// The timestamp keys did not sign it to their threshold.
    #[error("latest statement not signed by the timestamp keys: {0}")]
    NotSigned(Rejection),
    /// Not a well-formed latest statement, or it expires before it was issued.
    #[error("latest statement is malformed")]
    Malformed,
    /// Signed for another product.
    #[error("latest statement is for another product")]
    WrongProduct,
    /// Past its expiry by the device's trusted time.
    #[error("latest statement expired at {expires}, it is {now}")]
    Expired {
        /// Its `expires`.
        expires: u64,
        /// The trusted time.
        now: u64,
    },
}

/// Check `signed` with the timestamp keys `keys` (and their threshold) for a device of
/// `product`: decode the statement (strict base64, into `scratch`), check its signatures,
/// parse it, check its product and that it does not expire before it was issued, and, when
/// the device has trusted time `now`, that it has not expired.
///
/// Does not compare it with statements seen before: a caller keeps the newest `issued` and
/// counts only newer ones as fresh.
///
/// # Errors
/// The first [`FreshnessError`], in that order.
pub fn check<const K: usize>(
    signed: &SignedLatest<'_>,
    keys: &TrustStore<K>,
    product: &str,
    now: Option<u64>,
    scratch: &mut [u8; MAX_LATEST_LEN],
) -> Result<Latest, FreshnessError> {
    let bytes = signed
        .latest
        .decode_base64(scratch, Base64Mode::Strict)
        .map_err(|_| FreshnessError::Encoding)?;
    signed
        .signatures()
        .check(keys, &Digest::sha256(bytes))
        .map_err(FreshnessError::NotSigned)?;
    let statement = LatestStatement::parse(bytes).map_err(|_| FreshnessError::Malformed)?;
    if statement.kind != LATEST_TYPE || statement.expires < statement.issued {
        return Err(FreshnessError::Malformed);
    }
    if statement.product != product {
        return Err(FreshnessError::WrongProduct);
    }
    if let Some(now) = now
        && now > statement.expires
    {
        return Err(FreshnessError::Expired {
            expires: statement.expires,
            now,
        });
    }
    Ok(Latest {
        version: statement.version,
        security_counter: statement.security_counter,
        issued: statement.issued,
        expires: statement.expires,
    })
}
