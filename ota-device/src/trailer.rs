//! The manifest trailer: the signed manifest of an image, kept with the image at the end of
//! its slot, so that the anti-rollback floor survives a lost state record.
//!
//! When the client takes a signed-manifest job, it writes the job's manifest, signature and
//! key id into the last erase units of the slot ([`region`]) before downloading the image
//! below them. The image and its trailer travel together: a dual-bank device boots the whole
//! bank, a swapping bootloader swaps whole slots. After the update, the application hands the
//! bytes of the *running* image's trailer to the client ([`crate::Config::running_trailer`]:
//! on most microcontrollers a slice of memory-mapped flash), and the client takes the floor at
//! least from it: the signature is checked with the trust store, the manifest must name this
//! product and hardware and the running version. A trailer that fails any check is ignored
//! (the floor then comes from the record and the security counter alone); it never lowers the
//! floor.
//!
//! The region is reserved for every image, one layout for all. `afr_ota` images carry no
//! signed manifest: their trailer region is left as it is (a stale trailer names another
//! version and is ignored, or names the same version and is true of it).
//!
//! Layout (little-endian): `OTA-TRL1`, key id length (`u8`, 0 or 64), manifest length and
//! signature length (`u16` each), the key id (hex), the manifest (base64, as in the job
//! document), the signature (base64), then a CRC-32 of everything before it. The CRC only
//! rejects erased or torn trailers early: authenticity comes from the signature.

use ota_core::crypto::{MAX_SIGNATURE_LEN, TrustStore};
use ota_core::document::FirmwareRef;
use ota_core::json::JsonStr;
use ota_core::manifest::{self, MAX_MANIFEST_LEN, Manifest, Rejection};
use ota_core::version::{SecurityCounter, Version};

use crate::storage::crc::Crc32;

const MAGIC: &[u8; 8] = b"OTA-TRL1";
const HEADER_LEN: usize = MAGIC.len() + 1 + 2 + 2;
const KEY_ID_HEX_LEN: usize = 64;

/// Longest base64 text of `n` bytes.
const fn base64_len(n: usize) -> usize {
    n.div_ceil(3) * 4
}

/// Longest encoded trailer, in bytes (2,133).
pub const TRAILER_MAX_LEN: usize =
    HEADER_LEN + KEY_ID_HEX_LEN + base64_len(MAX_MANIFEST_LEN) + base64_len(MAX_SIGNATURE_LEN) + 4;

/// Where the trailer lives in a slot of `capacity` bytes erased in `erase_size` units:
/// `(offset, len)` of the last whole erase units that hold [`TRAILER_MAX_LEN`] bytes. Images
/// must end at or before `offset`. `None` if the slot is too small to hold a trailer and one
/// byte of image.
pub const fn region(capacity: u32, erase_size: u32) -> Option<(u32, u32)> {
    let erase = if erase_size == 0 { 1 } else { erase_size };
    let len = (TRAILER_MAX_LEN as u32).div_ceil(erase) * erase;
    if capacity <= len {
        return None;
    }
    Some((capacity - len, len))
}

/// Why trailer bytes were not accepted.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum TrailerError {
    /// No trailer: the bytes do not start with the magic (an erased area, or none given).
    Absent,
    /// A trailer whose lengths or CRC do not hold (torn, or corrupted).
    Corrupt,
    /// The manifest or signature is not valid base64, or too long.
    Encoding,
    /// The signature does not verify with a trusted key.
    Signature,
    /// The signed manifest does not parse.
    Malformed,
    /// The manifest is for another product, hardware or version than the running image.
    NotThisImage,
}

/// A trailer's fields, borrowed from its bytes (or from a job document when writing one, as
/// written there: a field written with escapes is stored decoded).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Trailer<'t> {
    /// Hex key id of the signing key, if the document named one.
    pub key_id: Option<JsonStr<'t>>,
    /// Base64 of the manifest bytes.
    pub manifest: JsonStr<'t>,
    /// Base64 of the signature over the manifest bytes.
    pub signature: JsonStr<'t>,
}

impl<'t> Trailer<'t> {
    /// The trailer for a signed-manifest document's firmware; `None` if a field is longer
    /// than a trailer holds (the intake refuses such documents anyway).
    pub fn for_document(firmware: &FirmwareRef<'t>) -> Option<Self> {
        let trailer = Self {
            key_id: firmware.key_id,
            manifest: firmware.manifest,
            signature: firmware.signature,
        };
        trailer.fits().then_some(trailer)
    }

    fn fits(&self) -> bool {
        self.key_id.is_none_or(|k| k.len() == KEY_ID_HEX_LEN)
            && self.manifest.len() <= base64_len(MAX_MANIFEST_LEN)
            && self.signature.len() <= base64_len(MAX_SIGNATURE_LEN)
    }

    /// Encoded length in bytes.
    pub fn encoded_len(&self) -> usize {
        HEADER_LEN
            + self.key_id.map_or(0, |k| k.len())
            + self.manifest.len()
            + self.signature.len()
            + 4
    }

    /// Feed the encoding to `sink`, piece by piece (nothing is buffered here).
    #[inline]
    pub fn encode(&self, mut sink: impl FnMut(&[u8])) {
        self.encode_dyn(&mut sink);
    }

    /// [`Trailer::encode`] through one non-generic body: the client writes and compares
    /// trailers with two sinks, and one copy of the encoder (with its JSON unescaping) serves
    /// both.
    fn encode_dyn(&self, sink: &mut dyn FnMut(&[u8])) {
        let key_id = self.key_id.unwrap_or_default();
        let mut crc = Crc32::new();
        let mut put = |bytes: &[u8]| {
            crc.update(bytes);
            sink(bytes);
        };
        put(MAGIC);
        put(&[key_id.len() as u8]);
        put(&(self.manifest.len() as u16).to_le_bytes());
        put(&(self.signature.len() as u16).to_le_bytes());
        key_id.decode_to(&mut put);
        self.manifest.decode_to(&mut put);
        self.signature.decode_to(&mut put);
        let crc = crc.finish();
        sink(&crc.to_le_bytes());
    }

    /// Read a trailer from the start of `bytes` (trailing bytes, e.g. erased flash, are
    /// ignored). Checks the layout and CRC only, not the signature.
    ///
    /// # Errors
    /// [`TrailerError::Absent`] without the magic, [`TrailerError::Corrupt`] when lengths or
    /// CRC do not hold.
    pub fn parse(bytes: &'t [u8]) -> Result<Self, TrailerError> {
        if bytes.get(..MAGIC.len()) != Some(MAGIC) {
            return Err(TrailerError::Absent);
        }
        let header = bytes.get(..HEADER_LEN).ok_or(TrailerError::Corrupt)?;
        let key_len = usize::from(header[8]);
        let manifest_len = usize::from(u16::from_le_bytes([header[9], header[10]]));
        let signature_len = usize::from(u16::from_le_bytes([header[11], header[12]]));
        let body_end = HEADER_LEN + key_len + manifest_len + signature_len;
        let body = bytes.get(..body_end).ok_or(TrailerError::Corrupt)?;
        let stored = bytes
            .get(body_end..body_end + 4)
            .ok_or(TrailerError::Corrupt)?;
        let mut crc = Crc32::new();
        crc.update(body);
        if crc.finish().to_le_bytes() != stored {
            return Err(TrailerError::Corrupt);
        }
        let text = |from: usize, len: usize| {
            core::str::from_utf8(&body[from..from + len])
                .ok()
                .and_then(JsonStr::from_plain)
                .ok_or(TrailerError::Corrupt)
        };
        let key_id = text(HEADER_LEN, key_len)?;
        let trailer = Self {
            key_id: (key_len > 0).then_some(key_id),
            manifest: text(HEADER_LEN + key_len, manifest_len)?,
            signature: text(HEADER_LEN + key_len + manifest_len, signature_len)?,
        };
        if !trailer.fits() {
            return Err(TrailerError::Corrupt);
        }
        Ok(trailer)
    }
}

/// What the running image's trailer proves: its signed version and security counter.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RunningManifest {
    /// The signed version (equal to the running version).
    pub version: Version,
    /// The signed security counter.
    pub security_counter: SecurityCounter,
}

/// Check `bytes` as the trailer of the running image: its one signature with `trust` (the
/// store's threshold is not asked again: the client wrote the trailer only after the
/// manifest met it, and a trailer only ever raises the floor), and a manifest
/// for `product`, `hardware` and `running` (the version must be equal in precedence).
/// `scratch` receives the decoded manifest. Does not check expiry, size or the image hash:
/// the image already runs.
///
/// # Errors
/// The first [`TrailerError`].
#[inline(never)]
pub fn check_running<const K: usize>(
    bytes: &[u8],
    trust: &TrustStore<K>,
    product: &str,
    hardware: &str,
    running: Version,
    scratch: &mut [u8; MAX_MANIFEST_LEN],
) -> Result<RunningManifest, TrailerError> {
    let trailer = Trailer::parse(bytes)?;
    let signed = FirmwareRef {
        manifest: trailer.manifest,
        signature: trailer.signature,
        key_id: trailer.key_id,
        cosignatures: None,
        version: None,
        stream: None,
        file_id: 0,
        url: None,
    };
    let (manifest, _) =
        manifest::check_one_signature(&signed, trust, scratch).map_err(|e| match e {
            Rejection::Encoding => TrailerError::Encoding,
            _ => TrailerError::Signature,
        })?;
    let m = Manifest::parse(manifest).map_err(|_| TrailerError::Malformed)?;
    let same_version = m.version.cmp_precedence(&running).is_eq();
    if m.product != product || m.hardware != hardware || !same_version {
        return Err(TrailerError::NotThisImage);
    }
    Ok(RunningManifest {
        version: m.version,
        security_counter: m.security_counter,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::vec::Vec;

    fn sample() -> Trailer<'static> {
        let plain = |s: &'static str| JsonStr::from_plain(s).unwrap();
        Trailer {
            key_id: Some(plain("ab".repeat(32).leak())),
            manifest: plain("eyJwcm9kdWN0IjoiYWNtZSJ9"),
            signature: plain("MEUCIQ=="),
        }
    }

    fn encoded(t: &Trailer<'_>) -> Vec<u8> {
        let mut out = Vec::new();
        t.encode(|b| out.extend_from_slice(b));
        out
    }

    #[test]
    fn a_trailer_reads_back_from_erased_flash() {
        let t = sample();
        let mut bytes = encoded(&t);
        assert_eq!(bytes.len(), t.encoded_len());
        bytes.resize(4096, 0xFF);
        assert_eq!(Trailer::parse(&bytes), Ok(t));
        let no_key = Trailer { key_id: None, ..t };
        assert_eq!(Trailer::parse(&encoded(&no_key)), Ok(no_key));
    }

    #[test]
    fn erased_torn_and_flipped_trailers_are_refused() {
        assert_eq!(Trailer::parse(&[0xFF; 64]), Err(TrailerError::Absent));
        assert_eq!(Trailer::parse(&[]), Err(TrailerError::Absent));
        let bytes = encoded(&sample());
        for cut in MAGIC.len()..bytes.len() {
            assert_eq!(
                Trailer::parse(&bytes[..cut]),
                Err(TrailerError::Corrupt),
                "{cut}"
            );
        }
        for at in MAGIC.len()..bytes.len() {
            let mut flipped = bytes.clone();
            flipped[at] ^= 0x10;
            assert!(Trailer::parse(&flipped).is_err(), "flip at {at}");
        }
    }

    #[test]
    fn the_region_is_whole_erase_units_at_the_end() {
        assert_eq!(TRAILER_MAX_LEN, 2133);
        assert_eq!(region(65536, 4096), Some((61440, 4096)));
        assert_eq!(region(16384, 1024), Some((16384 - 3072, 3072)));
        assert_eq!(region(4096, 4096), None);
        assert_eq!(region(3000, 0), Some((3000 - 2133, 2133)));
    }
}
