//! CRC-32 (IEEE 802.3, reflected, as zlib and Ethernet) with a 16-entry table: 64 bytes of
//! flash, two table look-ups per byte.
//!
//! Detects torn and bit-flipped state records; it is not a cryptographic check.

const POLY: u32 = 0xEDB8_8320;

const TABLE: [u32; 16] = {
    let mut table = [0; 16];
    let mut i = 0;
    while i < 16 {
        let mut c = i as u32;
        let mut bit = 0;
        while bit < 4 {
            c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            bit += 1;
        }
        table[i] = c;
        i += 1;
    }
    table
};

/// An incremental CRC-32: `update` any number of times, then `finish`.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Crc32(u32);

impl Crc32 {
    pub(crate) const fn new() -> Self {
        Self(!0)
    }

    pub(crate) fn update(&mut self, data: &[u8]) {
        for &byte in data {
            let mut c = self.0 ^ u32::from(byte);
            c = (c >> 4) ^ TABLE[(c & 0xF) as usize];
            c = (c >> 4) ^ TABLE[(c & 0xF) as usize];
            self.0 = c;
        }
    }

    pub(crate) const fn finish(self) -> u32 {
        !self.0
    }

    /// The CRC-32 of `data` in one call.
    #[cfg(any(test, feature = "testing", feature = "files"))]
    pub(crate) fn of(data: &[u8]) -> u32 {
        let mut crc = Self::new();
        crc.update(data);
        crc.finish()
    }
}

#[cfg(test)]
pub(crate) fn crc32(data: &[u8]) -> u32 {
    let mut crc = Crc32::new();
    crc.update(data);
    crc.finish()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    /// The textbook bit-at-a-time form, as an independent reference.
    fn bitwise(data: &[u8]) -> u32 {
        let mut c = !0u32;
        for &b in data {
            c ^= u32::from(b);
            for _ in 0..8 {
                c = if c & 1 == 1 { (c >> 1) ^ POLY } else { c >> 1 };
            }
        }
        !c
    }

    #[test]
    fn known_values() {
        assert_eq!(crc32(b"123456789"), 0xCBF4_3926);
        assert_eq!(crc32(b""), 0);
        assert_eq!(crc32(b"a"), 0xE8B7_BE43);
        assert_eq!(
            crc32(b"The quick brown fox jumps over the lazy dog"),
            0x414F_A339
        );
        assert_eq!(crc32(&[0xFF; 4]), 0xFFFF_FFFF);
    }

    proptest! {
        #[test]
        fn matches_bitwise_and_is_incremental(data in proptest::collection::vec(any::<u8>(), 0..300), cut in 0usize..300) {
            let cut = cut.min(data.len());
            let mut crc = Crc32::new();
            crc.update(&data[..cut]);
            crc.update(&data[cut..]);
            prop_assert_eq!(crc.finish(), bitwise(&data));
        }
    }
}
