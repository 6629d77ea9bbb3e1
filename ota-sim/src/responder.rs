//! The service side of the MQTT APIs in the simulation: [`ota_cloud::gateway::Gateway`]
//! answers Jobs from the engine and Streams from the release images, through a stream
//! source that injects the simulator's faults (a tampered image for some things, blocks
//! corrupted in transit with the simulation's rng). The gateway knows nothing of faults.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};

use ota_cloud::gateway::{BlockRead, Gateway, MemoryStreams, Outgoing, StreamInfo, StreamSource};
use ota_cloud::{Engine, Notification};
use ota_core::streams::{Format, StreamFile};

use crate::net::Message;
use crate::rng::SimRng;

/// Counts of what the service answered.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, serde::Serialize)]
pub struct ResponderStats {
    /// Jobs requests answered.
    pub jobs_requests: u64,
    /// Stream requests answered.
    pub stream_requests: u64,
    /// Data blocks sent.
    pub blocks: u64,
    /// Data blocks corrupted in transit (fault injection).
    pub corrupted_blocks: u64,
    /// Requests refused as malformed.
    pub malformed: u64,
}

/// Jobs and Streams over MQTT, in front of the engine: the gateway, the images it serves,
/// and the faults injected into them.
#[derive(Debug)]
pub struct Responder {
    gateway: Gateway,
    streams: MemoryStreams,
    tampered: BTreeMap<String, Arc<[u8]>>,
    corrupted_blocks: u64,
}

impl Responder {
    /// A responder under topic root `root` (`$aws`).
    pub fn new(root: &str) -> Self {
        Self {
            gateway: Gateway::new(root),
            streams: MemoryStreams::new(),
            tampered: BTreeMap::new(),
            corrupted_blocks: 0,
        }
    }

    /// Serve `image` as file 0 of stream `stream`.
    pub fn add_stream(&mut self, stream: &str, image: Arc<[u8]>) {
        self.streams.add_file(stream, 0, image);
    }

    /// Serve `thing` a tampered copy of every stream (fault injection: the bytes at the
    /// source are not the signed ones).
    pub fn tamper_for(&mut self, thing: &str, image: Arc<[u8]>) {
        self.tampered.insert(thing.to_string(), image);
    }

    /// What was answered.
    pub fn stats(&self) -> ResponderStats {
        let s = self.gateway.stats;
        ResponderStats {
            jobs_requests: s.jobs_requests,
            stream_requests: s.stream_requests,
            blocks: s.blocks,
            corrupted_blocks: self.corrupted_blocks,
            malformed: s.malformed,
        }
    }

    /// A publish from `thing`; replies are appended to `out`. Only topics of `thing` are
    /// answered (the simulated broker knows who published); each block sent is corrupted
    /// with probability `corrupt`.
    pub fn handle(
        &mut self,
        engine: &mut Engine,
        thing: &str,
        message: &Message,
        rng: &mut SimRng,
        corrupt: f64,
        out: &mut Vec<Message>,
    ) {
        let own = message
            .topic
            .strip_prefix(self.gateway.topic_root())
            .and_then(|t| t.strip_prefix("/things/"))
            .and_then(|t| t.strip_prefix(thing))
            .is_some_and(|t| t.starts_with('/'));
        if !own {
            return;
        }
        let mut source = Faulty {
            streams: &mut self.streams,
            tampered: &self.tampered,
            rng,
            corrupt,
            corrupted: &mut self.corrupted_blocks,
        };
        let mut replies = Vec::new();
        self.gateway.handle_publish(
            engine,
            &mut source,
            &message.topic,
            &message.payload,
            &mut replies,
        );
        out.extend(replies.into_iter().map(message_of));
    }

    /// The same images and faults for a gateway on a real broker, corrupting blocks with
    /// probability `corrupt` drawn from `seed`.
    pub fn live_streams(&self, seed: u64, corrupt: f64) -> LiveStreams {
        LiveStreams {
            streams: self.streams.clone(),
            tampered: self.tampered.clone(),
            rng: SimRng::new(seed),
            corrupt,
            corrupted: Arc::default(),
        }
    }

    /// Take the counts of a gateway that served a live run with [`Responder::live_streams`].
    pub fn record_live(&mut self, stats: ota_cloud::gateway::GatewayStats, corrupted: u64) {
        self.gateway.stats = stats;
        self.corrupted_blocks = corrupted;
    }

    /// The message an engine push becomes (`notify` or `notify-next`) for its thing.
    pub fn notification(&self, engine: &Engine, n: Notification) -> Option<(String, Message)> {
        let (thing, push) = self.gateway.notification(engine, n)?;
        Some((thing, message_of(push)))
    }
}

fn message_of(o: Outgoing) -> Message {
    Message {
        topic: o.topic,
        payload: o.payload,
    }
}

/// The release images as the simulation serves them: a tampered thing gets its tampered
/// image for every stream, and each block read may be corrupted.
struct Faulty<'a> {
    streams: &'a mut MemoryStreams,
    tampered: &'a BTreeMap<String, Arc<[u8]>>,
    rng: &'a mut SimRng,
    corrupt: f64,
    corrupted: &'a mut u64,
}

impl StreamSource for Faulty<'_> {
    fn describe(&self, thing: &str, stream: &str) -> Option<StreamInfo> {
        describe(self.streams, self.tampered, thing, stream)
    }

    fn read_block(&mut self, block: &BlockRead<'_>, out: &mut [u8]) -> bool {
        let read = match self.tampered.get(block.thing) {
            Some(image) => image
                .get(block.range.clone())
                .filter(|bytes| bytes.len() == out.len())
                .map(|bytes| out.copy_from_slice(bytes))
                .is_some(),
            None => self.streams.read_block(block, out),
        };
        if !read || out.is_empty() {
            return false;
        }
        if self.rng.chance(self.corrupt) {
            let at = self.rng.range(0, out.len() as u64 - 1) as usize;
            out[at] ^= 0x5a;
            *self.corrupted += 1;
        }
        true
    }
}

/// Stream `stream` as `thing` sees it: its tampered image when it has one.
fn describe(
    streams: &MemoryStreams,
    tampered: &BTreeMap<String, Arc<[u8]>>,
    thing: &str,
    stream: &str,
) -> Option<StreamInfo> {
    let Some(image) = tampered.get(thing) else {
        return streams.describe(thing, stream);
    };
    Some(StreamInfo {
        version: 1,
        description: None,
        files: vec![StreamFile {
            file_id: 0,
            size: u32::try_from(image.len()).ok()?,
        }],
    })
}

/// The release images served over a real broker (`ota-sim run --transport mqtt`), with the
/// faults [`Responder::handle`] injects (tampered images, blocks corrupted with probability
/// `corrupt`) drawn from an rng of its own. Owned, so the MQTT gateway's task can hold it.
#[derive(Debug)]
pub struct LiveStreams {
    streams: MemoryStreams,
    tampered: BTreeMap<String, Arc<[u8]>>,
    rng: SimRng,
    corrupt: f64,
    corrupted: Arc<AtomicU64>,
}

impl LiveStreams {
    /// Blocks corrupted so far, shared with the caller.
    pub fn corrupted(&self) -> Arc<AtomicU64> {
        Arc::clone(&self.corrupted)
    }
}

impl StreamSource for LiveStreams {
    fn describe(&self, thing: &str, stream: &str) -> Option<StreamInfo> {
        describe(&self.streams, &self.tampered, thing, stream)
    }

    fn read_block(&mut self, block: &BlockRead<'_>, out: &mut [u8]) -> bool {
        let mut corrupted = 0;
        let read = Faulty {
            streams: &mut self.streams,
            tampered: &self.tampered,
            rng: &mut self.rng,
            corrupt: self.corrupt,
            corrupted: &mut corrupted,
        }
        .read_block(block, out);
        self.corrupted.fetch_add(corrupted, Ordering::Relaxed);
        read
    }
}

/// The stream format every simulated device uses.
pub const FORMAT: Format = Format::Cbor;
