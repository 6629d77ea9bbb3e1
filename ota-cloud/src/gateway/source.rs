//! Where stream contents come from: the [`StreamSource`] trait the gateway reads files
//! through, and [`MemoryStreams`], an in-memory implementation.

use std::collections::BTreeMap;
use std::ops::Range;
use std::sync::Arc;

use ota_core::streams::StreamFile;

/// A stream as one thing sees it: what DescribeStream answers, and what GetStream checks
/// requests against.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct StreamInfo {
    /// The stream version (`s`); a GetStream request naming another gets `VersionMismatch`.
    pub version: u32,
    /// The stream description (`d`), if any.
    pub description: Option<String>,
    /// The files, by id, with their sizes.
    pub files: Vec<StreamFile>,
}

impl StreamInfo {
    /// The file with id `file_id`, if listed.
    pub fn file(&self, file_id: u8) -> Option<StreamFile> {
        self.files.iter().find(|f| f.file_id == file_id).copied()
    }
}

/// The bytes of one block, as one thing asks for them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BlockRead<'a> {
    /// The thing the block is sent to.
    pub thing: &'a str,
    /// The stream.
    pub stream: &'a str,
    /// The file of the stream.
    pub file_id: u8,
    /// The bytes of the file.
    pub range: Range<usize>,
}

/// The stream contents the gateway serves.
///
/// Both methods take the thing the request names, so a source may serve different things
/// different bytes (the simulator serves one thing a tampered image this way) and may alter
/// what it hands out (the simulator corrupts blocks here). The gateway knows nothing of
/// that: it only slices files into blocks and writes the replies. A source does not check
/// authorization; the gateway does not either.
pub trait StreamSource {
    /// Stream `stream` as `thing` sees it, or `None` when there is no such stream (the
    /// request is rejected with `ResourceNotFound`).
    fn describe(&self, thing: &str, stream: &str) -> Option<StreamInfo>;

    /// Write the bytes `block` asks for into `out` (exactly `block.range.len()` bytes).
    /// Called once per block sent, in the order sent, and only for a file
    /// [`StreamSource::describe`] listed, with the range within its size. Returns `false`
    /// when the bytes cannot be had after all (the block is not sent).
    fn read_block(&mut self, block: &BlockRead<'_>, out: &mut [u8]) -> bool;
}

/// One stream of [`MemoryStreams`].
#[derive(Debug, Clone, Default)]
struct MemoryStream {
    version: u32,
    description: Option<String>,
    files: BTreeMap<u8, Arc<[u8]>>,
}

/// Streams held in memory, the same for every thing: for tests and simple services.
///
/// Does not persist anything, and does not serve files over 4 GiB (a stream file's size is
/// 32 bits on the wire); such a file is left out of the description.
#[derive(Debug, Clone, Default)]
pub struct MemoryStreams {
    streams: BTreeMap<String, MemoryStream>,
}

impl MemoryStreams {
    /// No streams.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve `bytes` as file `file_id` of `stream` (created at version 1 if new; an existing
    /// file of that id is replaced, without changing the version).
    pub fn add_file(&mut self, stream: &str, file_id: u8, bytes: Arc<[u8]>) {
        let entry = self
            .streams
            .entry(stream.to_string())
            .or_insert_with(|| MemoryStream {
                version: 1,
                ..MemoryStream::default()
            });
        entry.files.insert(file_id, bytes);
    }

    /// Set the version and description of `stream`; `false` if there is no such stream.
    pub fn set_info(&mut self, stream: &str, version: u32, description: Option<&str>) -> bool {
        let Some(entry) = self.streams.get_mut(stream) else {
            return false;
        };
        entry.version = version;
        entry.description = description.map(str::to_string);
        true
    }

    /// File `file_id` of `stream`, if served.
    pub fn file(&self, stream: &str, file_id: u8) -> Option<&Arc<[u8]>> {
        self.streams.get(stream)?.files.get(&file_id)
    }
}

impl StreamSource for MemoryStreams {
    fn describe(&self, _thing: &str, stream: &str) -> Option<StreamInfo> {
        let entry = self.streams.get(stream)?;
        let files = entry
            .files
            .iter()
            .filter_map(|(&file_id, bytes)| {
                let size = u32::try_from(bytes.len()).ok()?;
                Some(StreamFile { file_id, size })
            })
            .collect();
        Some(StreamInfo {
            version: entry.version,
            description: entry.description.clone(),
            files,
        })
    }

    fn read_block(&mut self, block: &BlockRead<'_>, out: &mut [u8]) -> bool {
        let file = self.file(block.stream, block.file_id);
        let Some(bytes) = file.and_then(|f| f.get(block.range.clone())) else {
            return false;
        };
        if bytes.len() != out.len() {
            return false;
        }
        out.copy_from_slice(bytes);
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn read(stream: &str, file_id: u8, range: Range<usize>) -> BlockRead<'_> {
        BlockRead {
            thing: "any",
            stream,
            file_id,
            range,
        }
    }

    #[test]
    fn memory_streams_describe_and_read() {
        let mut streams = MemoryStreams::new();
        streams.add_file("s1", 0, Arc::from(vec![1u8, 2, 3, 4]));
        streams.add_file("s1", 3, Arc::from(vec![9u8; 10]));
        assert!(streams.set_info("s1", 4, Some("fw")));
        assert!(!streams.set_info("s2", 1, None));

        let info = streams.describe("any", "s1").unwrap();
        assert_eq!(info.version, 4);
        assert_eq!(info.description.as_deref(), Some("fw"));
        assert_eq!(
            info.file(3),
            Some(StreamFile {
                file_id: 3,
                size: 10
            })
        );
        assert_eq!(info.file(1), None);
        assert!(streams.describe("any", "s2").is_none());

        let mut out = [0u8; 2];
        assert!(streams.read_block(&read("s1", 0, 1..3), &mut out));
        assert_eq!(out, [2, 3]);
        assert!(!streams.read_block(&read("s1", 0, 3..5), &mut out));
        assert!(!streams.read_block(&read("s1", 7, 0..2), &mut out));
    }
}
