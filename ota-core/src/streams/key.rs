//! Map keys of the stream messages and a slot that detects duplicate and missing keys.

use super::error::StreamError;

/// Every key any stream message uses; which ones a message reads is up to its decoder.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Key {
    C,
    S,
    F,
    L,
    O,
    N,
    B,
    I,
    P,
    D,
    R,
    Z,
    M,
    Code,
    Message,
    ClientToken,
    Unknown,
}

impl Key {
    pub(crate) fn from_bytes(key: &[u8]) -> Self {
        match key {
            b"c" => Self::C,
            b"s" => Self::S,
            b"f" => Self::F,
            b"l" => Self::L,
            b"o" => Self::O,
            b"n" => Self::N,
            b"b" => Self::B,
            b"i" => Self::I,
            b"p" => Self::P,
            b"d" => Self::D,
            b"r" => Self::R,
            b"z" => Self::Z,
            b"m" => Self::M,
            b"code" => Self::Code,
            b"message" => Self::Message,
            b"clientToken" => Self::ClientToken,
            _ => Self::Unknown,
        }
    }

    /// The key as written on the wire.
    pub(crate) const fn name(self) -> &'static str {
        match self {
            Self::C => "c",
            Self::S => "s",
            Self::F => "f",
            Self::L => "l",
            Self::O => "o",
            Self::N => "n",
            Self::B => "b",
            Self::I => "i",
            Self::P => "p",
            Self::D => "d",
            Self::R => "r",
            Self::Z => "z",
            Self::M => "m",
            Self::Code => "code",
            Self::Message => "message",
            Self::ClientToken => "clientToken",
            Self::Unknown => "?",
        }
    }

    /// Longest known key, in bytes (`clientToken`).
    pub(crate) const MAX_LEN: usize = 11;
}

/// The value of one key, at most once.
pub(crate) struct Slot<T> {
    key: Key,
    value: Option<T>,
}

impl<T> Slot<T> {
    pub(crate) const fn new(key: Key) -> Self {
        Self { key, value: None }
    }

    /// Store the value.
    ///
    /// # Errors
    /// [`StreamError::DuplicateKey`] if the key was seen before.
    pub(crate) fn put(&mut self, value: T) -> Result<(), StreamError> {
        if self.value.is_some() {
            return Err(StreamError::DuplicateKey(self.key.name()));
        }
        self.value = Some(value);
        Ok(())
    }

    /// The value, if the key was present.
    pub(crate) fn get(self) -> Option<T> {
        self.value
    }

    /// The value.
    ///
    /// # Errors
    /// [`StreamError::MissingKey`] if the key was absent.
    pub(crate) fn required(self) -> Result<T, StreamError> {
        self.value.ok_or(StreamError::MissingKey(self.key.name()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip_and_slots_check_presence() {
        for key in [Key::C, Key::R, Key::Code, Key::Message, Key::ClientToken] {
            assert_eq!(Key::from_bytes(key.name().as_bytes()), key);
            assert!(key.name().len() <= Key::MAX_LEN);
        }
        assert_eq!(Key::from_bytes(b"C"), Key::Unknown);
        let mut slot = Slot::new(Key::F);
        slot.put(1).unwrap();
        assert_eq!(slot.put(2), Err(StreamError::DuplicateKey("f")));
        assert_eq!(slot.required(), Ok(1));
        assert_eq!(
            Slot::<u8>::new(Key::L).required(),
            Err(StreamError::MissingKey("l"))
        );
    }
}
