//! [`Bank`]: one of the two image banks of a dual-bank device.

/// One of the two image banks of a dual-bank device: the bank holding the factory image, and
/// the other one. What a bank is (a flash partition, a file) is up to the device.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Bank {
    /// The bank holding the factory image.
    A,
    /// The other bank.
    B,
}

impl Bank {
    /// The other bank.
    pub const fn other(self) -> Self {
        match self {
            Self::A => Self::B,
            Self::B => Self::A,
        }
    }

    /// 0 for A, 1 for B: an index into a pair of banks.
    pub const fn index(self) -> usize {
        match self {
            Self::A => 0,
            Self::B => 1,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_other_bank_of_the_other_is_the_bank() {
        for bank in [Bank::A, Bank::B] {
            assert_eq!(bank.other().other(), bank);
            assert_ne!(bank.other(), bank);
            assert_eq!([Bank::A, Bank::B][bank.index()], bank);
        }
    }
}
