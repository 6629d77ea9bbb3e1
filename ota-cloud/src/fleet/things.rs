//! The thing table: names packed in one string, a 12-byte record per thing, a name index.
//!
//! A thing costs its record, its name bytes and about 8 to 16 bytes of index, plus a slab
//! entry (16 bytes) and one allocation if it has attributes. Deleted things keep their record (ids are
//! never reused); their name bytes are reclaimed by compacting the name string once more
//! than half of it is dead.

use super::index::NameIndex;
use super::{FleetError, ThingId, attributes};
use crate::str_slab::StrSlab;

/// Compact the name string only past this many dead bytes.
const MIN_COMPACT: usize = 4096;

#[derive(Clone, Debug)]
struct Record {
    name_start: u32,
    /// Packed attributes (see `attributes`) in the slab, 0 without any.
    attributes: u32,
    /// Static groups the thing is a direct member of.
    static_groups: u16,
    /// 1-128 for a live thing, 0 once deleted.
    name_len: u8,
}

/// Every thing ever created, indexed by [`ThingId`].
#[derive(Clone, Debug, Default)]
pub(super) struct Things {
    names: String,
    records: Vec<Record>,
    attributes: StrSlab,
    index: NameIndex,
    live: usize,
    dead_bytes: usize,
}

impl Things {
    fn record(&self, id: ThingId) -> Option<&Record> {
        self.records
            .get(id.0 as usize)
            .filter(|record| record.name_len > 0)
    }

    fn record_mut(&mut self, id: ThingId) -> Option<&mut Record> {
        self.records
            .get_mut(id.0 as usize)
            .filter(|record| record.name_len > 0)
    }

    fn name_of(&self, record: &Record) -> &str {
        let start = record.name_start as usize;
        self.names
            .get(start..start + usize::from(record.name_len))
            .unwrap_or_default()
    }

    /// The live thing called `name`.
    pub(super) fn find(&self, name: &str) -> Option<ThingId> {
        let tag = self.index.tag(name);
        self.index
            .find(tag, |id| self.name(ThingId(id)) == Some(name))
            .map(ThingId)
    }

    /// The name of a live thing.
    pub(super) fn name(&self, id: ThingId) -> Option<&str> {
        self.record(id).map(|record| self.name_of(record))
    }

    /// Packed attributes of a live thing (empty without any or for an unknown id).
    pub(super) fn attributes(&self, id: ThingId) -> &str {
        self.record(id)
            .and_then(|record| self.attributes.get(record.attributes))
            .unwrap_or_default()
    }

    /// The value of one attribute of a live thing.
    pub(super) fn attribute(&self, id: ThingId, key: &str) -> Option<&str> {
        attributes::get(self.attributes(id), key)
    }

    /// Replace the packed attributes of a live thing; does nothing for an unknown id.
    pub(super) fn set_attributes(&mut self, id: ThingId, packed: Option<Box<str>>) {
        let Some(record) = self
            .records
            .get_mut(id.0 as usize)
            .filter(|record| record.name_len > 0)
        else {
            return;
        };
        match packed {
            Some(packed) => self.attributes.set(&mut record.attributes, packed),
            None => self.attributes.clear(&mut record.attributes),
        }
    }

    /// Number of static groups a live thing is directly in (0 for an unknown id).
    pub(super) fn static_groups(&self, id: ThingId) -> u16 {
        self.record(id).map_or(0, |record| record.static_groups)
    }

    /// Count one static group more (`joined`) or less for a live thing.
    pub(super) fn count_static_group(&mut self, id: ThingId, joined: bool) {
        if let Some(record) = self.record_mut(id) {
            record.static_groups = if joined {
                record.static_groups.saturating_add(1)
            } else {
                record.static_groups.saturating_sub(1)
            };
        }
    }

    /// Number of live things.
    pub(super) fn len(&self) -> usize {
        self.live
    }

    /// Ids of live things, ascending.
    pub(super) fn ids(&self) -> impl Iterator<Item = ThingId> + '_ {
        self.records
            .iter()
            .enumerate()
            .filter(|(_, record)| record.name_len > 0)
            .map(|(i, _)| ThingId(i as u32))
    }

    /// Add a thing with a checked `name` (1-128 bytes) and packed attributes.
    ///
    /// # Errors
    /// [`FleetError::AlreadyExists`] if a live thing has the name,
    /// [`FleetError::CapacityExceeded`] when ids or name storage run out.
    pub(super) fn insert(
        &mut self,
        name: &str,
        attributes: Option<Box<str>>,
    ) -> Result<ThingId, FleetError> {
        let name_len = u8::try_from(name.len()).map_err(|_| FleetError::InvalidName)?;
        if name_len == 0 {
            return Err(FleetError::InvalidName);
        }
        if self.find(name).is_some() {
            return Err(FleetError::AlreadyExists);
        }
        // `u32::MAX` is never an id: the index reserves it.
        let id = u32::try_from(self.records.len())
            .ok()
            .filter(|&id| id < u32::MAX)
            .ok_or(FleetError::CapacityExceeded)?;
        if self.names.len() + name.len() > u32::MAX as usize {
            self.compact();
        }
        let name_start =
            u32::try_from(self.names.len()).map_err(|_| FleetError::CapacityExceeded)?;
        if (name_start as usize) + name.len() > u32::MAX as usize {
            return Err(FleetError::CapacityExceeded);
        }
        self.index.insert(self.index.tag(name), id)?;
        self.names.push_str(name);
        let mut handle = 0;
        if let Some(attributes) = attributes {
            self.attributes.set(&mut handle, attributes);
        }
        self.records.push(Record {
            name_start,
            attributes: handle,
            static_groups: 0,
            name_len,
        });
        self.live += 1;
        Ok(ThingId(id))
    }

    /// Delete the live thing called `name`; its id, or `None` if there is none.
    pub(super) fn remove(&mut self, name: &str) -> Option<ThingId> {
        let tag = self.index.tag(name);
        let Self {
            index,
            records,
            names,
            ..
        } = self;
        let is_name = |id: u32| {
            records.get(id as usize).is_some_and(|r| {
                let start = r.name_start as usize;
                r.name_len > 0 && names.get(start..start + usize::from(r.name_len)) == Some(name)
            })
        };
        let id = index.remove(tag, is_name)?;
        if let Some(record) = self.records.get_mut(id as usize) {
            self.dead_bytes += usize::from(record.name_len);
            self.attributes.clear(&mut record.attributes);
            *record = Record {
                name_start: 0,
                attributes: 0,
                static_groups: 0,
                name_len: 0,
            };
        }
        self.live -= 1;
        if self.dead_bytes > MIN_COMPACT && self.dead_bytes * 2 > self.names.len() {
            self.compact();
        }
        Some(ThingId(id))
    }

    /// Rewrite the name string without the names of deleted things.
    fn compact(&mut self) {
        let mut names = String::with_capacity(self.names.len() - self.dead_bytes);
        for record in self.records.iter_mut().filter(|r| r.name_len > 0) {
            let start = record.name_start as usize;
            let name = self
                .names
                .get(start..start + usize::from(record.name_len))
                .unwrap_or_default();
            // Live names took at most u32::MAX bytes before, so they still fit.
            record.name_start = names.len() as u32;
            names.push_str(name);
        }
        self.names = names;
        self.dead_bytes = 0;
    }

    /// Bytes of heap held, without attributes.
    #[cfg(test)]
    pub(super) fn heap_bytes(&self) -> usize {
        self.names.capacity()
            + self.records.capacity() * core::mem::size_of::<Record>()
            + self.index.heap_bytes()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn record_is_12_bytes() {
        assert_eq!(core::mem::size_of::<Record>(), 12);
    }

    #[test]
    fn insert_find_remove() {
        let mut t = Things::default();
        let a = t.insert("a", None).unwrap();
        let b = t.insert("bb", Some("k=v".into())).unwrap();
        assert_eq!(t.insert("a", None), Err(FleetError::AlreadyExists));
        assert_eq!(
            (t.find("a"), t.find("bb"), t.find("c")),
            (Some(a), Some(b), None)
        );
        assert_eq!(t.attribute(b, "k"), Some("v"));
        assert_eq!(t.remove("a"), Some(a));
        assert_eq!(t.remove("a"), None);
        assert_eq!((t.name(a), t.name(b)), (None, Some("bb")));
        let c = t.insert("a", None).unwrap();
        assert_ne!(c, a, "ids are not reused");
        assert_eq!(t.ids().collect::<Vec<_>>(), [b, c]);
        assert_eq!(t.len(), 2);
        assert_eq!(t.remove("bb"), Some(b));
        assert_eq!(t.attribute(b, "k"), None);
        assert_eq!(
            t.attributes.len(),
            0,
            "a deleted thing's attributes go with it"
        );
        t.set_attributes(b, Some("k=w".into()));
        assert_eq!(t.attributes.len(), 0, "nor can they come back");
        t.set_attributes(c, Some("k=x".into()));
        t.set_attributes(c, Some("k=y".into()));
        assert_eq!((t.attribute(c, "k"), t.attributes.len()), (Some("y"), 1));
        t.set_attributes(c, None);
        assert_eq!((t.attribute(c, "k"), t.attributes.len()), (None, 0));
    }

    #[test]
    fn compaction_keeps_names() {
        let mut t = Things::default();
        let names: Vec<String> = (0..2000).map(|i| format!("thing-{i:06}")).collect();
        for name in &names {
            t.insert(name, None).unwrap();
        }
        for name in names
            .iter()
            .step_by(3)
            .chain(names.iter().skip(1).step_by(3))
        {
            t.remove(name).unwrap();
        }
        assert!(t.names.len() < 2000 * 12, "compacted");
        for (i, name) in names.iter().enumerate() {
            let expected = (i % 3 == 2).then_some(ThingId(i as u32));
            assert_eq!(t.find(name), expected, "{name}");
            assert_eq!(t.name(ThingId(i as u32)), expected.map(|_| name.as_str()));
        }
    }
}
