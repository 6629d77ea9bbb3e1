//! Map keys of the stream messages.

/// Every key any stream message uses; which ones a message reads is in its description
/// ([`super::fields::Message::FIELDS`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Key {
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
    pub(crate) fn name(self) -> &'static str {
        /// The one-letter keys, in the order they are declared.
        const LETTERS: &str = "csflonbipdrzm";
        match self {
            Self::Code => "code",
            Self::Message => "message",
            Self::ClientToken => "clientToken",
            Self::Unknown => "?",
            letter => {
                let at = letter as usize;
                LETTERS.get(at..=at).unwrap_or("?")
            }
        }
    }

    /// Longest known key, in bytes (`clientToken`).
    pub(crate) const MAX_LEN: usize = 11;

    /// How many keys there are, [`Key::Unknown`] included.
    pub(crate) const COUNT: usize = Self::Unknown as usize + 1;

    /// The older spelling a rejection may use for this key (`code`, `message`,
    /// `clientToken`); read only by a message that lists it, and the newer one wins.
    pub(crate) const fn older_spelling(self) -> Option<Self> {
        match self {
            Self::O => Some(Self::Code),
            Self::M => Some(Self::Message),
            Self::C => Some(Self::ClientToken),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keys_round_trip() {
        let all = [
            Key::C,
            Key::S,
            Key::F,
            Key::L,
            Key::O,
            Key::N,
            Key::B,
            Key::I,
            Key::P,
            Key::D,
            Key::R,
            Key::Z,
            Key::M,
            Key::Code,
            Key::Message,
            Key::ClientToken,
        ];
        for key in all {
            assert_eq!(Key::from_bytes(key.name().as_bytes()), key);
            assert!(key.name().len() <= Key::MAX_LEN);
        }
        assert_eq!(Key::from_bytes(b"C"), Key::Unknown);
    }
}
