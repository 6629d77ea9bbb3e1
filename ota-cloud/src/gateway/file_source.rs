//! [`FileStreams`]: stream files served from disk, read block by block.

use std::collections::BTreeMap;
use std::fs::File;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::path::{Path, PathBuf};

use ota_core::streams::StreamFile;

use super::source::{BlockRead, StreamInfo, StreamSource};

/// One file of a stream: where it is and its size when added.
#[derive(Debug)]
struct Entry {
    path: PathBuf,
    size: u32,
    file: File,
}

/// Streams whose files are artifact files on disk, the same for every thing: each block is
/// read from its file when sent, so an image is never held in memory.
///
/// Does not watch the files: one that changes size after [`FileStreams::add_file`] has its
/// blocks refused past the new end (`read_block` returns `false`), and one whose contents
/// change serves the new bytes (which the device's signature check then refuses).
#[derive(Debug, Default)]
pub struct FileStreams {
    streams: BTreeMap<String, (u32, BTreeMap<u8, Entry>)>,
}

impl FileStreams {
    /// No streams.
    pub fn new() -> Self {
        Self::default()
    }

    /// Serve the file at `path` as file `file_id` of `stream` (version 1 when the stream is
    /// new).
    ///
    /// # Errors
    /// The file cannot be opened, or is over 4 GiB (a stream file's size is 32 bits).
    pub fn add_file(&mut self, stream: &str, file_id: u8, path: &Path) -> std::io::Result<()> {
        let file = File::open(path)?;
        let size = u32::try_from(file.metadata()?.len())
            .map_err(|_| std::io::Error::other("a stream file is at most 4 GiB"))?;
        let entry = Entry {
            path: path.to_path_buf(),
            size,
            file,
        };
        self.streams
            .entry(stream.to_string())
            .or_insert_with(|| (1, BTreeMap::new()))
            .1
            .insert(file_id, entry);
        Ok(())
    }

    /// The path of file `file_id` of `stream`, if served.
    pub fn path(&self, stream: &str, file_id: u8) -> Option<&Path> {
        let entry = self.streams.get(stream)?.1.get(&file_id)?;
        Some(&entry.path)
    }
}

impl StreamSource for FileStreams {
    fn describe(&self, _thing: &str, stream: &str) -> Option<StreamInfo> {
        let (version, files) = self.streams.get(stream)?;
        Some(StreamInfo {
            version: *version,
            description: None,
            files: files
                .iter()
                .map(|(&file_id, e)| StreamFile {
                    file_id,
                    size: e.size,
                })
                .collect(),
        })
    }

    fn read_block(&mut self, block: &BlockRead<'_>, out: &mut [u8]) -> bool {
        let Some((_, files)) = self.streams.get_mut(block.stream) else {
            return false;
        };
        let Some(entry) = files.get_mut(&block.file_id) else {
            return false;
        };
        out.len() == block.range.len()
            && entry
                .file
                .seek(SeekFrom::Start(block.range.start as u64))
                .and_then(|_| entry.file.read_exact(out))
                .is_ok()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_come_from_the_file() {
        let dir = std::env::temp_dir().join(format!("ota-file-streams-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("fw.bin");
        let bytes: Vec<u8> = (0..10_000u32).map(|i| (i % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let mut streams = FileStreams::new();
        streams.add_file("fw", 0, &path).unwrap();
        assert!(streams.add_file("fw", 1, &dir.join("missing")).is_err());
        let info = streams.describe("t", "fw").unwrap();
        assert_eq!(
            info.files,
            vec![StreamFile {
                file_id: 0,
                size: 10_000
            }]
        );
        assert!(streams.describe("t", "other").is_none());
        let mut out = vec![0u8; 1000];
        let read = |range: std::ops::Range<usize>| BlockRead {
            thing: "t",
            stream: "fw",
            file_id: 0,
            range,
        };
        assert!(streams.read_block(&read(4000..5000), &mut out));
        assert_eq!(out, bytes[4000..5000]);
        assert!(
            !streams.read_block(&read(9500..10_500), &mut out),
            "past the end"
        );
        assert!(
            !streams.read_block(&read(0..999), &mut out),
            "length mismatch"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
