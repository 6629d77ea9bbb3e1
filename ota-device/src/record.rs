//! The persistent record: what must survive a power cut, in a fixed little-endian layout.
//!
//! The record is small (at most 417 bytes) and written through [`crate::storage::StateStore`],
//! which makes each write atomic. It holds the job being applied, how far its download got,
//! what phase the update is in, and the anti-rollback floor.

use ota_core::manifest::RollbackFloor;
use ota_core::version::{SecurityCounter, Version};

use crate::reason::Reason;

/// Format of the encoding; bumped on any layout change. Format 1 (without
/// `latest_issued`) is still read.
const FORMAT: u8 = 2;

/// Longest version text: three 10-digit numbers, two dots, the `-` and `+`, and the labels'
/// 32 bytes.
const MAX_VERSION_TEXT: usize = 3 * 10 + 2 + 2 + ota_core::version::MAX_VERSION_LABEL_LEN;

/// Longest encoded record: the header, the job id, the execution number, the digest, five
/// u32 fields, three versions, each with a length byte, the newest latest statement's
/// `issued` and the timestamp role it was taken under, and the floor reset's sequence and
/// allowance (417 bytes).
pub(crate) const RECORD_CAPACITY: usize = 4
    + (1 + 64)
    + 8
    + 32
    + 5 * 4
    + 3 * (1 + MAX_VERSION_TEXT)
    + 8
    + 4
    + 4
    + 4
    + (1 + MAX_VERSION_TEXT);

/// Where an update stands across reboots.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Phase {
    /// No update in progress.
    Idle = 0,
    /// Downloading `job`; `received` bytes at the start of the slot are written.
    Downloading = 1,
    /// Verified and marked pending; the next boot runs it on trial.
    Installed = 2,
    /// Committed; `SUCCEEDED` still to be reported.
    ReportSucceeded = 3,
    /// Rolled back or refused after install; `FAILED` with `reason` still to be reported.
    ReportFailed = 4,
}

/// How the image's authenticity is established.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum ImageKind {
    /// Our signed manifest: length and SHA-256 known up front.
    Manifest = 0,
    /// AWS `afr_ota` firmware: the signature covers the file.
    AfrFirmware = 1,
    /// AWS `afr_ota` non-firmware file: verified, never activated.
    AfrFile = 2,
}

/// The persistent record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Record {
    pub(crate) phase: Phase,
    pub(crate) kind: ImageKind,
    pub(crate) reason: Option<Reason>,
    pub(crate) job_id: heapless::String<64>,
    pub(crate) execution_number: u64,
    /// SHA-256 of the raw job document: a resumed download must be for the same document.
    pub(crate) document_digest: [u8; 32],
    pub(crate) image_size: u32,
    pub(crate) block_size: u32,
    /// Bytes at the start of the slot known to be written.
    pub(crate) received: u32,
    /// The version the image must report after booting (manifest documents).
    pub(crate) target_version: Option<Version>,
    pub(crate) target_counter: SecurityCounter,
    /// The version that ran when the download started (AWS `updatedBy`).
    pub(crate) updated_by: Version,
    pub(crate) floor: RollbackFloor,
    /// The newest `issued` of a latest statement taken (freeze defence; 0: none), so that
    /// no older one counts as fresh after a reboot.
    pub(crate) latest_issued: u64,
    /// The timestamp role `latest_issued` was taken under ([`crate::trust::role_id`]): a
    /// bound taken under other timestamp keys is not used (TUF's fast-forward recovery).
    pub(crate) latest_role: u32,
    /// The sequence of the last floor reset taken (0: none): only a higher one is taken.
    pub(crate) reset_sequence: u32,
    /// The release a floor reset allows below the floor, until it is committed.
    pub(crate) allowance: Option<(Version, SecurityCounter)>,
}

impl Record {
    /// The record of a device that has never updated: idle, floor at `running`, counter 0.
    pub(crate) fn fresh(running: Version) -> Self {
        Self {
            phase: Phase::Idle,
            kind: ImageKind::Manifest,
            reason: None,
            job_id: heapless::String::new(),
            execution_number: 0,
            document_digest: [0; 32],
            image_size: 0,
            block_size: 0,
            received: 0,
            target_version: None,
            target_counter: SecurityCounter(0),
            updated_by: running,
            floor: RollbackFloor {
                version: running,
                security_counter: SecurityCounter(0),
            },
            latest_issued: 0,
            latest_role: 0,
            reset_sequence: 0,
            allowance: None,
        }
    }

    /// Encode into `out`; returns the length.
    pub(crate) fn encode(&self, out: &mut [u8; RECORD_CAPACITY]) -> usize {
        let mut w = Writer { out, len: 0 };
        w.bytes(&[
            FORMAT,
            self.phase as u8,
            self.kind as u8,
            self.reason.map_or(0, Reason::code),
        ]);
        w.short_str(self.job_id.as_bytes());
        w.bytes(&self.execution_number.to_le_bytes());
        w.bytes(&self.document_digest);
        for v in [
            self.image_size,
            self.block_size,
            self.received,
            self.target_counter.0,
            self.floor.security_counter.0,
        ] {
            w.bytes(&v.to_le_bytes());
        }
        w.version(self.target_version.as_ref());
        w.version(Some(&self.updated_by));
        w.version(Some(&self.floor.version));
        w.bytes(&self.latest_issued.to_le_bytes());
        w.bytes(&self.latest_role.to_le_bytes());
        w.bytes(&self.reset_sequence.to_le_bytes());
        w.bytes(&self.allowance.map_or(0, |(_, c)| c.0).to_le_bytes());
        w.version(self.allowance.as_ref().map(|(v, _)| v));
        w.len
    }

    /// Decode; `None` for anything that is not a record of this format.
    pub(crate) fn decode(input: &[u8]) -> Option<Self> {
        let mut r = Reader { input };
        let [format, phase, kind, reason] = r.array::<4>()?;
        if format != FORMAT && format != 1 {
            return None;
        }
        let phase = match phase {
            0 => Phase::Idle,
            1 => Phase::Downloading,
            2 => Phase::Installed,
            3 => Phase::ReportSucceeded,
            4 => Phase::ReportFailed,
            _ => return None,
        };
        let kind = match kind {
            0 => ImageKind::Manifest,
            1 => ImageKind::AfrFirmware,
            2 => ImageKind::AfrFile,
            _ => return None,
        };
        let reason = match reason {
            0 => None,
            code => Some(Reason::from_code(code)?),
        };
        let job_id = heapless::String::try_from(core::str::from_utf8(r.short_str()?).ok()?).ok()?;
        let execution_number = u64::from_le_bytes(r.array()?);
        let document_digest = r.array()?;
        let image_size = r.word()?;
        let block_size = r.word()?;
        let received = r.word()?;
        let target_counter = r.word()?;
        let floor_counter = r.word()?;
        let target_version = r.version()?;
        let updated_by = r.version()??;
        let floor_version = r.version()??;
        let (latest_issued, latest_role, reset_sequence, allowance) = if format == 1 {
            (0, 0, 0, None)
        } else {
            let issued = u64::from_le_bytes(r.array()?);
            let role = r.word()?;
            let sequence = r.word()?;
            let counter = r.word()?;
            let allowed = r.version()?.map(|v| (v, SecurityCounter(counter)));
            (issued, role, sequence, allowed)
        };
        if !r.input.is_empty() || received > image_size {
            return None;
        }
        Some(Self {
            phase,
            kind,
            reason,
            job_id,
            execution_number,
            document_digest,
            image_size,
            block_size,
            received,
            target_version,
            target_counter: SecurityCounter(target_counter),
            updated_by,
            floor: RollbackFloor {
                version: floor_version,
                security_counter: SecurityCounter(floor_counter),
            },
            latest_issued,
            latest_role,
            reset_sequence,
            allowance,
        })
    }
}

struct Writer<'o> {
    out: &'o mut [u8; RECORD_CAPACITY],
    len: usize,
}

impl Writer<'_> {
    fn bytes(&mut self, b: &[u8]) {
        // Every field is bounded so the total stays under RECORD_CAPACITY (see the test).
        if let Some(dst) = self.out.get_mut(self.len..self.len + b.len()) {
            dst.copy_from_slice(b);
            self.len += b.len();
        }
    }

    fn short_str(&mut self, s: &[u8]) {
        self.bytes(&[s.len() as u8]);
        self.bytes(s);
    }

    fn version(&mut self, v: Option<&Version>) {
        let mut text: heapless::String<MAX_VERSION_TEXT> = heapless::String::new();
        if let Some(v) = v {
            // Always fits: MAX_VERSION_TEXT is the longest a version writes.
            let _ = crate::text::push_version(&mut text, v);
        }
        self.short_str(text.as_bytes());
    }
}

struct Reader<'i> {
    input: &'i [u8],
}

impl<'i> Reader<'i> {
    fn take(&mut self, n: usize) -> Option<&'i [u8]> {
        let (head, tail) = self.input.split_at_checked(n)?;
        self.input = tail;
        Some(head)
    }

    fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
        self.take(N)?.try_into().ok()
    }

    /// A little-endian `u32`.
    #[inline(always)]
    fn word(&mut self) -> Option<u32> {
        self.array().map(u32::from_le_bytes)
    }

    fn short_str(&mut self) -> Option<&'i [u8]> {
        let [len] = self.array::<1>()?;
        self.take(usize::from(len))
    }

    /// `Some(None)` for an empty version, `None` for a malformed one.
    fn version(&mut self) -> Option<Option<Version>> {
        let text = self.short_str()?;
        if text.is_empty() {
            return Some(None);
        }
        Version::parse(core::str::from_utf8(text).ok()?)
            .ok()
            .map(Some)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn full() -> Record {
        // The longest version text: three 10-digit numbers and 32 bytes of labels.
        let long = "4294967295.4294967295.4294967295-aaaaaaaaaaaaaaaa+bbbbbbbbbbbbbbbb";
        let v = Version::parse(long).unwrap();
        Record {
            phase: Phase::ReportFailed,
            kind: ImageKind::AfrFile,
            reason: Some(Reason::SelfTestTimeout),
            job_id: heapless::String::try_from("j".repeat(64).as_str()).unwrap(),
            execution_number: u64::MAX,
            document_digest: [7; 32],
            image_size: u32::MAX,
            block_size: 131_072,
            received: 4096,
            target_version: Some(v),
            target_counter: SecurityCounter(u32::MAX),
            updated_by: v,
            floor: RollbackFloor {
                version: v,
                security_counter: SecurityCounter(9),
            },
            latest_issued: u64::MAX,
            latest_role: u32::MAX,
            reset_sequence: u32::MAX,
            allowance: Some((v, SecurityCounter(u32::MAX))),
        }
    }

    #[test]
    fn round_trips_at_the_largest_sizes() {
        let mut buf = [0u8; RECORD_CAPACITY];
        let record = full();
        let n = record.encode(&mut buf);
        assert_eq!(
            n, RECORD_CAPACITY,
            "the largest record fills the buffer exactly"
        );
        assert_eq!(Record::decode(&buf[..n]), Some(record));
        let fresh = Record::fresh(Version::new(1, 0, 0));
        let n = fresh.encode(&mut buf);
        assert_eq!(Record::decode(&buf[..n]), Some(fresh));
    }

    #[test]
    fn refuses_anything_else() {
        let mut buf = [0u8; RECORD_CAPACITY];
        let n = full().encode(&mut buf);
        for cut in 0..n {
            assert_eq!(Record::decode(&buf[..cut]), None, "truncated at {cut}");
        }
        let mut longer = [0u8; RECORD_CAPACITY + 1];
        longer[..n].copy_from_slice(&buf[..n]);
        assert_eq!(Record::decode(&longer[..n + 1]), None);
        buf[0] = 3;
        assert_eq!(Record::decode(&buf[..n]), None, "other format");
    }

    #[test]
    fn a_format_1_record_reads_with_no_latest_statement() {
        let mut buf = [0u8; RECORD_CAPACITY];
        let record = full();
        let n = record.encode(&mut buf);
        buf[0] = 1;
        let old = Record::decode(&buf[..n - 8 - 4 - 8 - 1 - MAX_VERSION_TEXT]).unwrap();
        assert_eq!(
            (
                old.latest_issued,
                old.latest_role,
                old.reset_sequence,
                old.allowance
            ),
            (0, 0, 0, None)
        );
        assert_eq!(old.floor, record.floor);
        assert_eq!(
            Record::decode(&buf[..n]),
            None,
            "format 1 has no trailing field"
        );
    }

    proptest::proptest! {
        #[test]
        fn decode_never_panics(bytes in proptest::collection::vec(proptest::prelude::any::<u8>(), 0..RECORD_CAPACITY)) {
            let _ = Record::decode(&bytes);
        }
    }
}
