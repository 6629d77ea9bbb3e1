//! [`Disk`]: the files and directory of a [`super::CrashFs`], each with a durable and a
//! volatile state, and what a power loss keeps of them. No power, no operation counting.
//!
//! Files are inodes named by the directory. An inode keeps its durable contents (as of its last
//! sync), its volatile contents (what a reader sees) and the writes in between; the directory
//! keeps its durable entries (as of its last sync), its volatile entries, and the changes in
//! between. A crash keeps the durable state, or, torn, a seeded prefix of each list of changes
//! with the next change half-applied.

use std::collections::BTreeMap;
use std::io;
use std::string::{String, ToString};
use std::vec::Vec;

use crate::storage::testing::SplitMix64;

/// The largest file a disk holds (a write beyond is refused, rather than allocating it).
const MAX_FILE: usize = 1 << 30;

type Dir = BTreeMap<String, u64>;

/// A change of an inode's contents.
#[derive(Debug, Clone)]
enum DataOp {
    Truncate,
    Write { offset: usize, bytes: Vec<u8> },
}

impl DataOp {
    /// Apply the change, or with `keep` only its first `keep` bytes.
    fn apply(&self, data: &mut Vec<u8>, keep: Option<usize>) {
        match self {
            Self::Truncate => data.clear(),
            Self::Write { offset, bytes } => {
                let bytes = &bytes[..keep.unwrap_or(bytes.len()).min(bytes.len())];
                let end = offset + bytes.len();
                if data.len() < end {
                    data.resize(end, 0);
                }
                data[*offset..end].copy_from_slice(bytes);
            }
        }
    }

    /// Apply the change half: a seeded prefix of a write's bytes, or nothing of a truncation.
    fn apply_torn(&self, data: &mut Vec<u8>, rng: &mut SplitMix64) {
        if let Self::Write { bytes, .. } = self {
            let keep = rng.below(bytes.len() as u64 + 1) as usize;
            self.apply(data, Some(keep));
        }
    }
}

/// A change of the directory.
#[derive(Debug, Clone)]
enum DirOp {
    Link { name: String, inode: u64 },
    Rename { from: String, to: String },
}

impl DirOp {
    fn apply(&self, dir: &mut Dir) {
        match self {
            Self::Link { name, inode } => {
                dir.insert(name.clone(), *inode);
            }
            Self::Rename { from, to } => {
                if let Some(inode) = dir.remove(from) {
                    dir.insert(to.clone(), inode);
                }
            }
        }
    }
}

#[derive(Debug, Clone, Default)]
struct Inode {
    durable: Vec<u8>,
    volatile: Vec<u8>,
    pending: Vec<DataOp>,
}

impl Inode {
    fn durable(data: Vec<u8>) -> Self {
        Self {
            durable: data.clone(),
            volatile: data,
            pending: Vec::new(),
        }
    }

    /// The durable contents after a crash: torn with `rng`, a prefix of the pending changes and
    /// half of the next one.
    fn after_crash(&self, rng: Option<&mut SplitMix64>) -> Vec<u8> {
        let mut data = self.durable.clone();
        let Some(rng) = rng else {
            return data;
        };
        let kept = rng.below(self.pending.len() as u64 + 1) as usize;
        for op in &self.pending[..kept] {
            op.apply(&mut data, None);
        }
        if let Some(op) = self.pending.get(kept) {
            op.apply_torn(&mut data, rng);
        }
        data
    }
}

fn not_found() -> io::Error {
    io::Error::from(io::ErrorKind::NotFound)
}

/// The files and directory of a [`super::CrashFs`].
#[derive(Debug, Clone, Default)]
pub(super) struct Disk {
    inodes: BTreeMap<u64, Inode>,
    next: u64,
    durable: Dir,
    volatile: Dir,
    pending: Vec<DirOp>,
}

impl Disk {
    fn inode(&self, name: &str) -> io::Result<&Inode> {
        let id = self.volatile.get(name).ok_or_else(not_found)?;
        self.inodes.get(id).ok_or_else(not_found)
    }

    fn inode_mut(&mut self, name: &str) -> io::Result<&mut Inode> {
        let id = self.volatile.get(name).ok_or_else(not_found)?;
        self.inodes.get_mut(id).ok_or_else(not_found)
    }

    /// Link a new inode as `name` (volatile).
    fn link_new(&mut self, name: &str, inode: Inode) -> u64 {
        let id = self.next;
        self.next += 1;
        self.inodes.insert(id, inode);
        let op = DirOp::Link {
            name: name.to_string(),
            inode: id,
        };
        op.apply(&mut self.volatile);
        self.pending.push(op);
        id
    }

    /// Apply `op` to the volatile contents of `name` and keep it pending.
    fn change(&mut self, name: &str, op: DataOp) -> io::Result<()> {
        let inode = self.inode_mut(name)?;
        op.apply(&mut inode.volatile, None);
        inode.pending.push(op);
        Ok(())
    }

    pub(super) fn read_at(&self, name: &str, offset: u64, buf: &mut [u8]) -> io::Result<usize> {
        let data = &self.inode(name)?.volatile;
        let from = usize::try_from(offset).map_or(data.len(), |o| o.min(data.len()));
        let n = buf.len().min(data.len() - from);
        buf[..n].copy_from_slice(&data[from..from + n]);
        Ok(n)
    }

    pub(super) fn create(&mut self, name: &str, data: &[u8]) -> io::Result<()> {
        if self.inode(name).is_err() {
            self.link_new(name, Inode::default());
        }
        self.change(name, DataOp::Truncate)?;
        self.write_at(name, 0, data)
    }

    pub(super) fn write_at(&mut self, name: &str, offset: u64, data: &[u8]) -> io::Result<()> {
        let offset = usize::try_from(offset)
            .ok()
            .filter(|&o| o.saturating_add(data.len()) <= MAX_FILE)
            .ok_or_else(|| io::Error::from(io::ErrorKind::InvalidInput))?;
        self.inode(name)?;
        if data.is_empty() {
            return Ok(());
        }
        let bytes = data.to_vec();
        self.change(name, DataOp::Write { offset, bytes })
    }

    /// Make the contents of `name` durable.
    pub(super) fn sync(&mut self, name: &str) -> io::Result<()> {
        let inode = self.inode_mut(name)?;
        for op in core::mem::take(&mut inode.pending) {
            op.apply(&mut inode.durable, None);
        }
        Ok(())
    }

    pub(super) fn rename(&mut self, from: &str, to: &str) -> io::Result<()> {
        self.inode(from)?;
        let op = DirOp::Rename {
            from: from.to_string(),
            to: to.to_string(),
        };
        op.apply(&mut self.volatile);
        self.pending.push(op);
        Ok(())
    }

    /// Make the directory's entries durable; forget the inodes no name holds.
    pub(super) fn sync_dir(&mut self) {
        self.durable = self.volatile.clone();
        self.pending.clear();
        let linked: Vec<u64> = self.durable.values().copied().collect();
        self.inodes.retain(|id, _| linked.contains(id));
    }

    /// The disk as a power loss leaves it: the durable state, or torn with `rng`.
    pub(super) fn crash(&self, mut rng: Option<&mut SplitMix64>) -> Self {
        let mut dir = self.durable.clone();
        let kept = match rng.as_deref_mut() {
            Some(rng) => rng.below(self.pending.len() as u64 + 1) as usize,
            None => 0,
        };
        for op in &self.pending[..kept] {
            op.apply(&mut dir);
        }
        let mut inodes = BTreeMap::new();
        for (id, inode) in &self.inodes {
            // Every inode draws, so that the damage does not depend on which are linked.
            let data = inode.after_crash(rng.as_deref_mut());
            if dir.values().any(|linked| linked == id) {
                inodes.insert(*id, Inode::durable(data));
            }
        }
        Self {
            inodes,
            next: self.next,
            durable: dir.clone(),
            volatile: dir,
            pending: Vec::new(),
        }
    }

    /// What a reader of `name` sees now.
    pub(super) fn contents(&self, name: &str) -> Option<Vec<u8>> {
        self.inode(name).ok().map(|inode| inode.volatile.clone())
    }

    /// What a clean crash would keep of `name`.
    pub(super) fn durable_contents(&self, name: &str) -> Option<Vec<u8>> {
        let id = self.durable.get(name)?;
        Some(self.inodes.get(id)?.durable.clone())
    }

    /// The names a reader sees.
    pub(super) fn names(&self) -> Vec<String> {
        self.volatile.keys().cloned().collect()
    }

    /// Make `name` hold `bytes`, durably, name included.
    pub(super) fn poke(&mut self, name: &str, bytes: &[u8]) {
        let id = match self.volatile.get(name) {
            Some(&id) => id,
            None => self.link_new(name, Inode::default()),
        };
        self.inodes.insert(id, Inode::durable(bytes.to_vec()));
        self.durable.insert(name.to_string(), id);
    }
}
