//! A [`Bank`] as one of the two image files of a [`super::FileBoot`] directory: `bank-a.img`
//! (which [`super::FileBoot::provision`] fills with the factory image) and `bank-b.img`.

pub use crate::storage::Bank;

impl Bank {
    /// The bank's file name in the directory.
    pub const fn file_name(self) -> &'static str {
        match self {
            Self::A => "bank-a.img",
            Self::B => "bank-b.img",
        }
    }

    /// The bank's code in the flags record.
    pub(super) const fn code(self) -> u8 {
        self.index() as u8
    }

    /// The bank for a flags-record code, if valid.
    pub(super) const fn from_code(code: u8) -> Option<Self> {
        match code {
            0 => Some(Self::A),
            1 => Some(Self::B),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn banks() {
        for bank in [Bank::A, Bank::B] {
            assert_eq!(Bank::from_code(bank.code()), Some(bank));
        }
        assert_eq!(Bank::from_code(2), None);
        assert_ne!(Bank::A.file_name(), Bank::B.file_name());
    }
}
