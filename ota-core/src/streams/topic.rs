//! Stream topics: `$aws/things/{thing}/streams/{streamId}/{kind}/{json|cbor}`.
//!
//! As with [`crate::jobs::JobTopic`], the `$aws` root can be replaced for brokers that refuse
//! `$` topics ([`StreamTopic::parse_with_root`], [`StreamTopic::write_with_root`]).

use core::fmt::{self, Write};

use crate::jobs::{
    AWS_ROOT, MAX_STREAM_ID_LEN, MAX_THING_NAME_LEN, NameError, StreamId, ThingName, after_things,
};

const STREAMS: &str = "/streams/";

/// Longest stream topic under the `$aws` root: a 128-byte thing name, a 128-byte stream id
/// and `/description/json`.
pub const MAX_STREAM_TOPIC_LEN: usize = AWS_ROOT.len()
    + "/things/".len()
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
    /// Not of the form `{root}/things/{thing}/streams/{streamId}/{kind}/{fmt}`.
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
    BufferFull,
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

    /// The topic of another kind for the same thing, stream and format (e.g. the `data`
    /// topic to subscribe to before publishing `get`).
    pub const fn with_kind(self, kind: StreamTopicKind) -> Self {
        Self { kind, ..self }
    }

    /// Length of the topic under `root`, in bytes.
    pub fn len_with_root(&self, root: &str) -> usize {
        self.levels(root).iter().map(|l| l.len()).sum()
    }

    /// Length of the topic under `$aws`, in bytes; at most [`MAX_STREAM_TOPIC_LEN`].
    pub fn len(&self) -> usize {
        self.len_with_root(AWS_ROOT)
    }

    /// Always false: a topic is never empty. (Here for `clippy::len_without_is_empty`.)
    pub const fn is_empty(&self) -> bool {
        false
    }

    fn levels<'s>(&'s self, root: &'s str) -> [&'s str; 9] {
        [
            root,
            "/things/",
            self.thing.as_str(),
            STREAMS,
            self.stream.as_str(),
            "/",
            self.kind.as_str(),
            "/",
            self.format.as_str(),
        ]
    }

    /// Parse a topic under the `$aws` root, validating the thing name and stream id.
    ///
    /// Does not check that the thing is this device: compare [`StreamTopic::thing`].
    ///
    /// # Errors
    /// [`StreamTopicError`] saying which level is wrong.
    pub fn parse(topic: &'a str) -> Result<Self, StreamTopicError> {
        Self::parse_with_root(AWS_ROOT, topic)
    }

    /// Parse a topic under `root` instead of `$aws` (for brokers that refuse `$` topics).
    ///
    /// # Errors
    /// [`StreamTopicError`] saying which level is wrong.
    pub fn parse_with_root(root: &str, topic: &'a str) -> Result<Self, StreamTopicError> {
        let rest = after_things(root, topic).ok_or(StreamTopicError::NotAStreamTopic)?;
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

    /// Write the topic under the `$aws` root.
    ///
    /// The writer decides what happens on overflow; [`StreamTopic::to_heapless`] and
    /// [`StreamTopic::write_into`] never produce a truncated topic.
    ///
    /// # Errors
    /// [`fmt::Error`] when the writer fails (e.g. a full `heapless::String`).
    pub fn write_to(&self, out: &mut impl Write) -> fmt::Result {
        self.write_with_root(AWS_ROOT, out)
    }

    /// Write the topic under `root`.
    ///
    /// # Errors
    /// [`fmt::Error`] when the writer fails.
    pub fn write_with_root(&self, root: &str, out: &mut impl Write) -> fmt::Result {
        self.levels(root)
            .iter()
            .try_for_each(|level| out.write_str(level))
    }

    /// The topic under `$aws` as a fixed-capacity string.
    ///
    /// # Errors
    /// [`StreamTopicError::BufferFull`] if it is longer than `N` bytes.
    pub fn to_heapless<const N: usize>(&self) -> Result<heapless::String<N>, StreamTopicError> {
        let mut s = heapless::String::new();
        if self.len() > N {
            return Err(StreamTopicError::BufferFull);
        }
        self.write_to(&mut s)
            .map_err(|_| StreamTopicError::BufferFull)?;
        Ok(s)
    }

    /// Write the topic under `root` at the start of `buf`; returns the written `&str`.
    ///
    /// # Errors
    /// [`StreamTopicError::BufferFull`] if it does not fit; `buf` is then unchanged.
    pub fn write_into<'b>(
        &self,
        root: &str,
        buf: &'b mut [u8],
    ) -> Result<&'b str, StreamTopicError> {
        let out = buf
            .get_mut(..self.len_with_root(root))
            .ok_or(StreamTopicError::BufferFull)?;
        let mut at = 0;
        for level in self.levels(root) {
            out[at..at + level.len()].copy_from_slice(level.as_bytes());
            at += level.len();
        }
        // Only whole `&str`s were copied, so this cannot fail.
        core::str::from_utf8(out).map_err(|_| StreamTopicError::BufferFull)
    }
}

impl fmt::Display for StreamTopic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
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
        assert_eq!(t.to_heapless::<30>(), Err(StreamTopicError::BufferFull));
        assert!(len > 30);
        let mut buf = [0xaa; 64];
        assert_eq!(
            t.write_into(AWS_ROOT, &mut buf[..len - 1]),
            Err(StreamTopicError::BufferFull)
        );
        assert!(buf.iter().all(|&b| b == 0xaa));
        assert_eq!(
            t.write_into(AWS_ROOT, &mut buf).unwrap(),
            "$aws/things/dev-1/streams/s/get/cbor"
        );
        let mut s = heapless::String::<30>::new();
        assert_eq!(t.write_to(&mut s), Err(fmt::Error));
    }

    #[test]
    fn other_roots() {
        let t = topic("dev-1", "s", StreamTopicKind::Data);
        let mut buf = [0; 64];
        let written = t.write_into("ota", &mut buf).unwrap();
        assert_eq!(written, "ota/things/dev-1/streams/s/data/cbor");
        assert_eq!(t.len_with_root("ota"), written.len());
        assert_eq!(StreamTopic::parse_with_root("ota", written), Ok(t));
        assert_eq!(
            StreamTopic::parse(written),
            Err(StreamTopicError::NotAStreamTopic)
        );
        let get = t.with_kind(StreamTopicKind::Get);
        assert_eq!(
            std::format!("{get}"),
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
