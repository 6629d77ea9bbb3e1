//! Block bitmaps: LSB-first within each byte, bit `k` (byte `k / 8`, value `1 << (k % 8)`)
//! standing for block `o + k`.
//!
//! [`BlockBitmap`] tracks which blocks of a file are still needed (bit set = needed, as in the
//! AWS C agent) and cuts request windows from it. The free functions convert between block
//! indices, bitmap bytes and the JSON hex form `"0x130080"`.

use super::error::StreamError;

/// Which blocks of one file are still needed, for files of up to `8 * BYTES` blocks.
///
/// Out-of-range block indices are ignored (queries answer `false`), never a panic. The bytes
/// ([`BlockBitmap::as_bytes`]) can be persisted and restored with
/// [`BlockBitmap::from_bytes`] to resume a download.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockBitmap<const BYTES: usize> {
    bits: [u8; BYTES],
    block_count: u32,
}

/// The next request: the first missing block and a bitmap of the missing blocks from there.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Window<const BYTES: usize> {
    /// Offset `o` of the request, in blocks: the first missing block of the window.
    pub offset: u32,
    /// Bitmap `b` relative to `offset`: `ceil(max_blocks / 8)` bytes, bits for blocks that are
    /// received, past the window or past the end of the file cleared.
    pub bitmap: heapless::Vec<u8, BYTES>,
}

impl<const BYTES: usize> Window<BYTES> {
    /// The blocks this window requests, ascending.
    pub fn blocks(&self) -> impl Iterator<Item = u32> + '_ {
        bitmap_blocks(self.offset, &self.bitmap)
    }

    /// How many blocks this window requests (a natural `n`).
    pub fn block_count(&self) -> u32 {
        self.bitmap.iter().map(|b| b.count_ones()).sum()
    }
}

fn byte_len(blocks: u32) -> usize {
    (blocks as usize).div_ceil(8)
}

impl<const BYTES: usize> BlockBitmap<BYTES> {
    /// Most blocks this bitmap can track.
    pub const CAPACITY: usize = BYTES * 8;

    /// A bitmap for a file of `block_count` blocks, all of them needed.
    ///
    /// # Errors
    /// [`StreamError::TooManyBlocks`] if `block_count` exceeds [`Self::CAPACITY`].
    pub fn new(block_count: u32) -> Result<Self, StreamError> {
        let mut bits = [0; BYTES];
        let len = Self::used_len(block_count)?;
        bits[..len].fill(0xff);
        let mut bitmap = Self { bits, block_count };
        bitmap.clear_past_end();
        Ok(bitmap)
    }

    /// Restore a bitmap saved with [`BlockBitmap::as_bytes`]; bits past the last block are
    /// cleared.
    ///
    /// # Errors
    /// [`StreamError::TooManyBlocks`] if `block_count` exceeds [`Self::CAPACITY`];
    /// [`StreamError::BufferTooSmall`] if `bytes` is not `ceil(block_count / 8)` long.
    pub fn from_bytes(block_count: u32, bytes: &[u8]) -> Result<Self, StreamError> {
        let len = Self::used_len(block_count)?;
        if bytes.len() != len {
            return Err(StreamError::BufferTooSmall);
        }
        let mut bits = [0; BYTES];
        bits[..len].copy_from_slice(bytes);
        let mut bitmap = Self { bits, block_count };
        bitmap.clear_past_end();
        Ok(bitmap)
    }

    fn used_len(block_count: u32) -> Result<usize, StreamError> {
        let len = byte_len(block_count);
        if len > BYTES {
            Err(StreamError::TooManyBlocks)
        } else {
            Ok(len)
        }
    }

    fn clear_past_end(&mut self) {
        let tail = self.block_count % 8;
        if tail != 0 {
            self.bits[byte_len(self.block_count) - 1] &= (1u8 << tail) - 1;
        }
    }

    /// Number of blocks in the file.
    pub const fn block_count(&self) -> u32 {
        self.block_count
    }

    fn locate(&self, block: u32) -> Option<(usize, u8)> {
        (block < self.block_count).then(|| (block as usize / 8, 1u8 << (block % 8)))
    }

    /// Whether `block` is still needed; `false` past the end of the file.
    pub fn is_set(&self, block: u32) -> bool {
        self.locate(block)
            .is_some_and(|(byte, mask)| self.bits[byte] & mask != 0)
    }

    /// Mark `block` as needed; returns whether it was not needed before.
    pub fn set(&mut self, block: u32) -> bool {
        let Some((byte, mask)) = self.locate(block) else {
            return false;
        };
        let was_clear = self.bits[byte] & mask == 0;
        self.bits[byte] |= mask;
        was_clear
    }

    /// Mark `block` as received; returns whether it was needed (`false` for a duplicate or a
    /// block past the end of the file).
    pub fn clear(&mut self, block: u32) -> bool {
        let Some((byte, mask)) = self.locate(block) else {
            return false;
        };
        let was_set = self.bits[byte] & mask != 0;
        self.bits[byte] &= !mask;
        was_set
    }

    /// Number of blocks still needed.
    pub fn remaining(&self) -> u32 {
        self.as_bytes().iter().map(|b| b.count_ones()).sum()
    }

    /// Whether every block has been received.
    pub fn is_complete(&self) -> bool {
        self.as_bytes().iter().all(|&b| b == 0)
    }

    /// The blocks still needed, ascending.
    pub fn missing(&self) -> impl Iterator<Item = u32> + '_ {
        bitmap_blocks(0, self.as_bytes())
    }

    /// The tracking bytes, `ceil(block_count / 8)` of them.
    pub fn as_bytes(&self) -> &[u8] {
        &self.bits[..byte_len(self.block_count)]
    }

    /// The next GetStream window: offset at the first missing block at or after `from`,
    /// covering at most `max_blocks` blocks (clamped to [`Self::CAPACITY`]).
    ///
    /// The bitmap is always `ceil(max_blocks / 8)` bytes, as the AWS agent and rustot send it
    /// (a 31-block window is `ff ff ff 7f`); bits for received blocks and blocks past the end
    /// of the file are cleared. Does not wrap around: `None` when no block at or after `from`
    /// is missing (ask again with `from = 0` for earlier gaps), or when `max_blocks` is 0.
    pub fn window(&self, from: u32, max_blocks: u32) -> Option<Window<BYTES>> {
        let max_blocks = (max_blocks as usize).min(Self::CAPACITY);
        if max_blocks == 0 {
            return None;
        }
        let offset = self.missing().find(|&b| b >= from)?;
        let mut bitmap = heapless::Vec::new();
        bitmap.resize(max_blocks.div_ceil(8), 0).ok()?;
        for k in 0..max_blocks {
            let set = u32::try_from(k)
                .ok()
                .and_then(|k| offset.checked_add(k))
                .is_some_and(|block| self.is_set(block));
            if set {
                bitmap[k / 8] |= 1 << (k % 8);
            }
        }
        Some(Window { offset, bitmap })
    }
}

/// Write the bitmap of `blocks` relative to `offset` into all of `out` (zeroed first).
///
/// The bitmap length is the caller's choice: blocks 0, 1, 4, 23 give `13 00 80 00` into four
/// bytes and `13 00 80` into three.
///
/// # Errors
/// [`StreamError::BlockOutsideBitmap`] for a block before `offset` or at or beyond
/// `offset + 8 * out.len()`; `out` then holds the blocks before it.
pub fn encode_bitmap(
    offset: u32,
    blocks: impl IntoIterator<Item = u32>,
    out: &mut [u8],
) -> Result<(), StreamError> {
    out.fill(0);
    for block in blocks {
        let k = block
            .checked_sub(offset)
            .ok_or(StreamError::BlockOutsideBitmap)? as usize;
        let byte = out.get_mut(k / 8).ok_or(StreamError::BlockOutsideBitmap)?;
        *byte |= 1 << (k % 8);
    }
    Ok(())
}

/// The blocks a bitmap requests, ascending: `offset + k` for every set bit `k`. Stops before
/// a block index would overflow `u32`.
pub fn bitmap_blocks(offset: u32, bitmap: &[u8]) -> impl Iterator<Item = u32> + '_ {
    bitmap
        .iter()
        .enumerate()
        .filter(|&(_, &byte)| byte != 0)
        .flat_map(|(i, &byte)| {
            (0..8)
                .filter(move |bit| byte & (1 << bit) != 0)
                .map(move |bit| i * 8 + bit)
        })
        .map_while(move |k| u32::try_from(k).ok().and_then(|k| offset.checked_add(k)))
}

/// Length of the JSON hex form of a `bitmap_len`-byte bitmap: `"0x"` and two digits a byte.
pub const fn hex_bitmap_len(bitmap_len: usize) -> usize {
    2 + 2 * bitmap_len
}

/// Write the JSON hex form of `bitmap` (`0x` then two lowercase digits per byte, in byte
/// order; no quotes) at the start of `out`.
///
/// # Errors
/// [`StreamError::BufferTooSmall`] if `out` is shorter than [`hex_bitmap_len`].
pub fn bitmap_to_hex<'o>(bitmap: &[u8], out: &'o mut [u8]) -> Result<&'o str, StreamError> {
    const DIGITS: &[u8; 16] = b"0123456789abcdef";
    let len = bitmap_len_checked(bitmap.len())?;
    let out = out.get_mut(..len).ok_or(StreamError::BufferTooSmall)?;
    out[..2].copy_from_slice(b"0x");
    for (pair, &byte) in out[2..].chunks_exact_mut(2).zip(bitmap) {
        pair[0] = DIGITS[usize::from(byte >> 4)];
        pair[1] = DIGITS[usize::from(byte & 0xf)];
    }
    // Only ASCII was written.
    core::str::from_utf8(out).map_err(|_| StreamError::BitmapHex)
}

fn bitmap_len_checked(bitmap_len: usize) -> Result<usize, StreamError> {
    bitmap_len
        .checked_mul(2)
        .and_then(|n| n.checked_add(2))
        .ok_or(StreamError::BufferTooSmall)
}

/// Decode the JSON hex form (`0x` or `0X`, then an even number of hex digits of either case)
/// into the start of `out`.
///
/// # Errors
/// [`StreamError::BitmapHex`] for a missing prefix, an odd digit count or a non-hex digit;
/// [`StreamError::BufferTooSmall`] if `out` cannot hold the bytes.
pub fn bitmap_from_hex<'o>(hex: &str, out: &'o mut [u8]) -> Result<&'o [u8], StreamError> {
    let digits = hex
        .strip_prefix("0x")
        .or_else(|| hex.strip_prefix("0X"))
        .ok_or(StreamError::BitmapHex)?
        .as_bytes();
    if digits.len() % 2 != 0 {
        return Err(StreamError::BitmapHex);
    }
    let out = out
        .get_mut(..digits.len() / 2)
        .ok_or(StreamError::BufferTooSmall)?;
    for (byte, pair) in out.iter_mut().zip(digits.chunks_exact(2)) {
        *byte = (nibble(pair[0])? << 4) | nibble(pair[1])?;
    }
    Ok(out)
}

fn nibble(digit: u8) -> Result<u8, StreamError> {
    match digit {
        b'0'..=b'9' => Ok(digit - b'0'),
        b'a'..=b'f' => Ok(digit - b'a' + 10),
        b'A'..=b'F' => Ok(digit - b'A' + 10),
        _ => Err(StreamError::BitmapHex),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;
    use std::vec::Vec;

    fn blocks(offset: u32, bitmap: &[u8]) -> Vec<u32> {
        bitmap_blocks(offset, bitmap).collect()
    }

    #[test]
    fn aws_doc_table() {
        let mut four = [0xaa; 4];
        encode_bitmap(0, [0, 1, 4, 23], &mut four).unwrap();
        assert_eq!(four, [0x13, 0x00, 0x80, 0x00]);
        assert_eq!(blocks(0, &four), [0, 1, 4, 23]);

        let mut three = [0; 3];
        encode_bitmap(20, [20, 21, 24, 43], &mut three).unwrap();
        assert_eq!(three, [0x13, 0x00, 0x80]);
        let mut hex = [0; 8];
        assert_eq!(bitmap_to_hex(&three, &mut hex).unwrap(), "0x130080");
        let mut back = [0; 3];
        assert_eq!(bitmap_from_hex("0x130080", &mut back).unwrap(), three);
        assert_eq!(blocks(20, &back), [20, 21, 24, 43]);

        let mut window = [0; 4];
        encode_bitmap(0, 0..31, &mut window).unwrap();
        assert_eq!(window, [0xff, 0xff, 0xff, 0x7f]);
    }

    #[test]
    fn windows_match_rustot_and_clear_bits_past_eof() {
        // 31-block window of a fresh 89-block file (181584 B in 2048 B blocks).
        let mut file = BlockBitmap::<16>::new(89).unwrap();
        let w = file.window(0, 31).unwrap();
        assert_eq!(
            (w.offset, w.bitmap.as_slice()),
            (0, &[0xff, 0xff, 0xff, 0x7f][..])
        );
        assert_eq!(w.block_count(), 31);
        // Only the last block left.
        for b in 0..88 {
            assert!(file.clear(b));
        }
        let w = file.window(0, 31).unwrap();
        assert_eq!((w.offset, w.bitmap.as_slice()), (88, &[0x01, 0, 0, 0][..]));
        assert!(w.blocks().eq([88]));
        // 355 blocks of 512 B, three left from 352.
        let mut large = BlockBitmap::<45>::new(355).unwrap();
        for b in 0..352 {
            large.clear(b);
        }
        let w = large.window(0, 31).unwrap();
        assert_eq!((w.offset, w.bitmap.as_slice()), (352, &[0x07, 0, 0, 0][..]));
    }

    #[test]
    fn window_skips_received_blocks_and_stops_at_the_end() {
        let mut file = BlockBitmap::<4>::new(20).unwrap();
        for b in [0, 1, 3, 10] {
            file.clear(b);
        }
        let w = file.window(0, 8).unwrap();
        assert_eq!(w.offset, 2);
        assert!(w.blocks().eq([2, 4, 5, 6, 7, 8, 9]));
        assert_eq!(file.window(19, 8).unwrap().offset, 19);
        file.clear(19);
        assert_eq!(file.window(19, 8), None);
        assert_eq!(file.window(0, 0), None);
        assert_eq!(file.window(0, u32::MAX).unwrap().bitmap.len(), 4);
    }

    #[test]
    fn tracking_basics() {
        let mut file = BlockBitmap::<2>::new(10).unwrap();
        assert_eq!(file.as_bytes(), [0xff, 0x03]);
        assert_eq!(file.remaining(), 10);
        assert!(file.clear(9));
        assert!(!file.clear(9), "duplicate");
        assert!(!file.clear(10), "past the end");
        assert!(!file.set(10));
        assert!(!file.is_set(u32::MAX));
        assert!(file.set(9));
        for b in 0..10 {
            file.clear(b);
        }
        assert!(file.is_complete());
        assert_eq!(file.missing().count(), 0);
        assert_eq!(BlockBitmap::<2>::new(17), Err(StreamError::TooManyBlocks));
        assert!(BlockBitmap::<2>::new(16).is_ok());
        assert!(BlockBitmap::<0>::new(0).unwrap().is_complete());
        let restored = BlockBitmap::<2>::from_bytes(10, &[0x0f, 0xff]).unwrap();
        assert_eq!(restored.as_bytes(), [0x0f, 0x03]);
        assert_eq!(
            BlockBitmap::<2>::from_bytes(10, &[0]),
            Err(StreamError::BufferTooSmall)
        );
    }

    #[test]
    fn helper_errors() {
        let mut out = [0; 2];
        for block in [4, 21] {
            assert_eq!(
                encode_bitmap(5, [block], &mut out),
                Err(StreamError::BlockOutsideBitmap)
            );
        }
        for (text, error) in [
            ("130080", StreamError::BitmapHex),
            ("0x1", StreamError::BitmapHex),
            ("0xzz", StreamError::BitmapHex),
            ("0x+1", StreamError::BitmapHex),
            ("0x010203", StreamError::BufferTooSmall),
        ] {
            assert_eq!(bitmap_from_hex(text, &mut out), Err(error), "{text}");
        }
        assert_eq!(bitmap_from_hex("0XaB", &mut out).unwrap(), [0xab]);
        assert_eq!(bitmap_from_hex("0x", &mut out).unwrap(), [0u8; 0]);
        assert_eq!(
            bitmap_to_hex(&[1, 2], &mut [0; 5]),
            Err(StreamError::BufferTooSmall)
        );
        assert_eq!(blocks(u32::MAX - 1, &[0xff]), [u32::MAX - 1, u32::MAX]);
    }

    proptest! {
        #[test]
        fn blocks_round_trip(offset in 0u32..1_000_000, set in proptest::collection::btree_set(0u32..200, 0..50)) {
            let blocks_in: Vec<u32> = set.iter().map(|b| b + offset).collect();
            let mut out = [0u8; 25];
            encode_bitmap(offset, blocks_in.iter().copied(), &mut out).unwrap();
            prop_assert_eq!(blocks(offset, &out), blocks_in);
            let mut hex = [0u8; 52];
            let text = bitmap_to_hex(&out, &mut hex).unwrap();
            let mut back = [0u8; 25];
            prop_assert_eq!(bitmap_from_hex(text, &mut back).unwrap(), &out[..]);
        }

        #[test]
        fn windows_request_exactly_missing_blocks(count in 0u32..256, received in proptest::collection::vec(0u32..300, 0..300),
                                                  from in 0u32..300, max in 0u32..300) {
            let mut file = BlockBitmap::<32>::new(count).unwrap();
            for b in &received {
                file.clear(*b);
            }
            prop_assert_eq!(file.remaining() as usize, file.missing().count());
            match file.window(from, max) {
                None => prop_assert!(max == 0 || file.missing().all(|b| b < from)),
                Some(w) => {
                    let max = max.min(256);
                    prop_assert_eq!(w.bitmap.len(), (max as usize).div_ceil(8));
                    let expected: Vec<u32> = file.missing().filter(|&b| b >= w.offset && b - w.offset < max).collect();
                    prop_assert_eq!(w.offset, file.missing().find(|&b| b >= from).unwrap());
                    prop_assert_eq!(w.blocks().collect::<Vec<_>>(), expected);
                }
            }
        }

        #[test]
        fn hex_parser_never_panics(s in "(0x)?[0-9a-fA-Fxz ]{0,20}|\\PC{0,10}") {
            let mut out = [0u8; 4];
            let _ = bitmap_from_hex(&s, &mut out);
        }
    }
}
