//! Stream topics: `$aws/things/{thing}/streams/{streamId}/{kind}/{json|cbor}`.

use core::fmt::{self, Write};

use crate::jobs::{MAX_STREAM_ID_LEN, MAX_THING_NAME_LEN, NameError, StreamId, ThingName};

const PREFIX: &str = "$aws/things/";
const STREAMS: &str = "/streams/";

/// Longest topic [`StreamTopic`] can produce (longest names, `description`, a 4-letter format).
pub const MAX_STREAM_TOPIC_LEN: usize = PREFIX.len()
    + MAX_THING_NAME_LEN
    + STREAMS.len()
    + MAX_STREAM_ID_LEN
    + "/description/".len()
    + "json".len();

/// Which of the five stream topics.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum StreamTopicKind {
    /// `describe`: the device asks for the stream's file list.
    Describe,
    /// `description`: the service's answer to `describe`.
    Description,
    /// `get`: the device asks for blocks.
    Get,
    /// `data`: one block per message.
    Data,
    /// `rejected`: errors for both requests.
    Rejected,
}

impl StreamTopicKind {
    /// The topic level, e.g. `"description"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Describe => "describe",
            Self::Description => "description",
            Self::Get => "get",
            Self::Data => "data",
            Self::Rejected => "rejected",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        Some(match s {
            "describe" => Self::Describe,
            "description" => Self::Description,
            "get" => Self::Get,
            "data" => Self::Data,
            "rejected" => Self::Rejected,
            _ => return None,
        })
    }
}

/// Payload encoding, named by the last topic level.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[cfg_attr(feature = "arbitrary", derive(arbitrary::Arbitrary))]
pub enum Format {
    /// `json`.
    Json,
    /// `cbor`.
    Cbor,
}

impl Format {
    /// The topic level, `"json"` or `"cbor"`.
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Json => "json",
            Self::Cbor => "cbor",
        }
    }

    fn parse(s: &str) -> Option<Self> {
        match s {
            "json" => Some(Self::Json),
            "cbor" => Some(Self::Cbor),
            _ => None,
        }
    }
}

/// Why a topic could not be parsed or written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum StreamTopicError {
    /// Not of the form `$aws/things/{thing}/streams/{streamId}/{kind}/{fmt}`.
    #[error("not a stream topic")]
    NotAStreamTopic,
    /// The thing name level is not a valid thing name.
    #[error("invalid thing name in stream topic: {0}")]
    ThingName(NameError),
    /// The stream level is not a valid stream id.
    #[error("invalid stream id in stream topic: {0}")]
    StreamId(NameError),
    /// The kind level is not one of `describe`, `description`, `get`, `data`, `rejected`.
    #[error("unknown stream topic kind")]
    UnknownKind,
    /// The last level is neither `json` nor `cbor`.
    #[error("unknown stream payload format")]
    UnknownFormat,
    /// The output buffer is too small; nothing was written.
    #[error("stream topic does not fit the buffer")]
    BufferTooSmall,
}

/// A stream topic, borrowed from validated names.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct StreamTopic<'a> {
    /// The thing the stream is delivered to.
    pub thing: ThingName<'a>,
    /// The stream id (the job document's `streamname`).
    pub stream: StreamId<'a>,
    /// Which topic.
    pub kind: StreamTopicKind,
    /// Payload encoding.
    pub format: Format,
}

impl<'a> StreamTopic<'a> {
    /// A topic from its parts.
    pub const fn new(
        thing: ThingName<'a>,
        stream: StreamId<'a>,
        kind: StreamTopicKind,
        format: Format,
    ) -> Self {
        Self {
            thing,
            stream,
            kind,
            format,
        }
    }

    /// Length of the topic in bytes; at most [`MAX_STREAM_TOPIC_LEN`].
    pub fn len(&self) -> usize {
        PREFIX.len()
            + self.thing.as_str().len()
            + STREAMS.len()
            + self.stream.as_str().len()
            + 1
            + self.kind.as_str().len()
            + 1
            + self.format.as_str().len()
    }

    /// Always false: a topic is never empty. (Here for `clippy::len_without_is_empty`.)
    pub const fn is_empty(&self) -> bool {
        false
    }

    /// Write the topic to `w`.
    ///
    /// The writer decides what happens on overflow; [`StreamTopic::to_heapless`] and
    /// [`StreamTopic::write_to_slice`] never write a truncated topic.
    ///
    /// # Errors
    /// Whatever `w` returns.
    pub fn write(&self, w: &mut impl Write) -> fmt::Result {
        w.write_str(PREFIX)?;
        w.write_str(self.thing.as_str())?;
        w.write_str(STREAMS)?;
        w.write_str(self.stream.as_str())?;
        w.write_char('/')?;
        w.write_str(self.kind.as_str())?;
        w.write_char('/')?;
        w.write_str(self.format.as_str())
    }

    /// The topic in a `heapless::String<N>`.
    ///
    /// # Errors
    /// [`StreamTopicError::BufferTooSmall`] if it is longer than `N`.
    pub fn to_heapless<const N: usize>(&self) -> Result<heapless::String<N>, StreamTopicError> {
        let mut s = heapless::String::new();
        if self.len() > N {
            return Err(StreamTopicError::BufferTooSmall);
        }
        self.write(&mut s)
            .map_err(|_| StreamTopicError::BufferTooSmall)?;
        Ok(s)
    }

    /// Write the topic at the start of `buf` and return it.
    ///
    /// # Errors
    /// [`StreamTopicError::BufferTooSmall`] if it does not fit; `buf` is then unchanged.
    pub fn write_to_slice<'b>(&self, buf: &'b mut [u8]) -> Result<&'b str, StreamTopicError> {
        let len = self.len();
        let out = buf.get_mut(..len).ok_or(StreamTopicError::BufferTooSmall)?;
        let mut at = 0;
        for part in [
            PREFIX,
            self.thing.as_str(),
            STREAMS,
            self.stream.as_str(),
            "/",
            self.kind.as_str(),
            "/",
            self.format.as_str(),
        ] {
            out[at..at + part.len()].copy_from_slice(part.as_bytes());
            at += part.len();
        }
        // Only whole `&str`s were copied.
        core::str::from_utf8(out).map_err(|_| StreamTopicError::NotAStreamTopic)
    }

    /// Parse a topic, validating the thing name and stream id.
    ///
    /// Does not check that the thing is this device: compare [`StreamTopic::thing`].
    ///
    /// # Errors
    /// [`StreamTopicError`] saying which level is wrong.
    pub fn parse(topic: &'a str) -> Result<Self, StreamTopicError> {
        let rest = topic
            .strip_prefix(PREFIX)
            .ok_or(StreamTopicError::NotAStreamTopic)?;
        let mut levels = rest.split('/');
        let mut next = || levels.next().ok_or(StreamTopicError::NotAStreamTopic);
        let (thing, streams, stream, kind, format) = (next()?, next()?, next()?, next()?, next()?);
        if streams != "streams" || levels.next().is_some() {
            return Err(StreamTopicError::NotAStreamTopic);
        }
        Ok(Self {
            thing: ThingName::new(thing).map_err(StreamTopicError::ThingName)?,
            stream: StreamId::new(stream).map_err(StreamTopicError::StreamId)?,
            kind: StreamTopicKind::parse(kind).ok_or(StreamTopicError::UnknownKind)?,
            format: Format::parse(format).ok_or(StreamTopicError::UnknownFormat)?,
        })
    }
}

impl fmt::Display for StreamTopic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const KINDS: [StreamTopicKind; 5] = [
        StreamTopicKind::Describe,
        StreamTopicKind::Description,
        StreamTopicKind::Get,
        StreamTopicKind::Data,
        StreamTopicKind::Rejected,
    ];

    fn topic<'a>(thing: &'a str, stream: &'a str, kind: StreamTopicKind) -> StreamTopic<'a> {
        StreamTopic::new(
            ThingName::new(thing).unwrap(),
            StreamId::new(stream).unwrap(),
            kind,
            Format::Cbor,
        )
    }

    #[test]
    fn builds_and_parses_the_five_topics() {
        let expected = [
            "$aws/things/dev-1/streams/AFR_OTA-XYZ/describe/cbor",
            "$aws/things/dev-1/streams/AFR_OTA-XYZ/description/cbor",
            "$aws/things/dev-1/streams/AFR_OTA-XYZ/get/cbor",
            "$aws/things/dev-1/streams/AFR_OTA-XYZ/data/cbor",
            "$aws/things/dev-1/streams/AFR_OTA-XYZ/rejected/cbor",
        ];
        for (kind, want) in KINDS.into_iter().zip(expected) {
            let t = topic("dev-1", "AFR_OTA-XYZ", kind);
            assert_eq!(t.to_heapless::<64>().unwrap().as_str(), want);
            assert_eq!(t.len(), want.len());
            assert_eq!(StreamTopic::parse(want), Ok(t));
        }
        let json = StreamTopic::parse("$aws/things/t/streams/s/data/json").unwrap();
        assert_eq!(json.format, Format::Json);
        assert_eq!(std::format!("{json}"), "$aws/things/t/streams/s/data/json");
    }

    #[test]
    fn never_truncates() {
        let t = topic("dev-1", "s", StreamTopicKind::Get);
        let len = t.len();
        assert_eq!(t.to_heapless::<30>(), Err(StreamTopicError::BufferTooSmall));
        assert!(len > 30);
        let mut buf = [0xaa; 64];
        assert_eq!(
            t.write_to_slice(&mut buf[..len - 1]),
            Err(StreamTopicError::BufferTooSmall)
        );
        assert!(buf.iter().all(|&b| b == 0xaa));
        assert_eq!(
            t.write_to_slice(&mut buf).unwrap(),
            "$aws/things/dev-1/streams/s/get/cbor"
        );
    }

    #[test]
    fn longest_names_fit_the_max() {
        let thing = "t".repeat(MAX_THING_NAME_LEN);
        let stream = "s".repeat(MAX_STREAM_ID_LEN);
        let t = topic(&thing, &stream, StreamTopicKind::Description);
        assert_eq!(t.len(), MAX_STREAM_TOPIC_LEN);
        assert!(t.to_heapless::<MAX_STREAM_TOPIC_LEN>().is_ok());
    }

    #[test]
    fn rejects_malformed_topics() {
        use StreamTopicError::*;
        let cases = [
            ("$aws/things/t/jobs/s/get/json", NotAStreamTopic),
            ("$aws/things/t/streams/s/get", NotAStreamTopic),
            ("$aws/things/t/streams/s/get/json/x", NotAStreamTopic),
            ("$aws/things/t/streams/s/get/json/", NotAStreamTopic),
            ("aws/things/t/streams/s/get/json", NotAStreamTopic),
            (
                "$aws/things//streams/s/get/json",
                ThingName(NameError::Empty),
            ),
            (
                "$aws/things/t+/streams/s/get/json",
                ThingName(NameError::BadCharacter),
            ),
            (
                "$aws/things/t/streams/a:b/get/json",
                StreamId(NameError::BadCharacter),
            ),
            ("$aws/things/t/streams/s/put/json", UnknownKind),
            ("$aws/things/t/streams/s/get/xml", UnknownFormat),
            ("$aws/things/t/streams/s/get/JSON", UnknownFormat),
            ("", NotAStreamTopic),
        ];
        for (input, err) in cases {
            assert_eq!(StreamTopic::parse(input), Err(err), "{input}");
        }
    }

    proptest! {
        #[test]
        fn round_trips(thing in "[a-zA-Z0-9:_-]{1,128}", stream in "[a-zA-Z0-9_-]{1,128}",
                       kind in 0usize..5, json in any::<bool>()) {
            let mut t = topic(&thing, &stream, KINDS[kind]);
            if json {
                t.format = Format::Json;
            }
            let s = t.to_heapless::<MAX_STREAM_TOPIC_LEN>().unwrap();
            prop_assert_eq!(s.len(), t.len());
            prop_assert_eq!(StreamTopic::parse(&s), Ok(t));
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,80}|\\$aws/things/[a-z/]{0,10}/streams/[a-z/]{0,10}") {
            let _ = StreamTopic::parse(&s);
        }
    }
}
