//! Strings that only some of a million records have (a thing's attributes, an execution's
//! `statusDetails`), held beside the records: a record keeps a 4-byte handle, 0 for none.
//!
//! A `Box<str>` in every record cost 16 bytes whether set or not, and a hash map by record
//! cost about 40 bytes for each record that had one. Here a record without a string costs
//! its 4-byte handle, one with a string 4 + 16 bytes and the string. Freed slots are reused;
//! the slab does not shrink.

/// The strings, by handle.
#[derive(Clone, Debug, Default)]
pub(crate) struct StrSlab {
    items: Vec<Option<Box<str>>>,
    free: Vec<u32>,
}

impl StrSlab {
    /// The string under `handle` (`None` for 0 or a cleared handle).
    pub(crate) fn get(&self, handle: u32) -> Option<&str> {
        let index = handle.checked_sub(1)? as usize;
        self.items.get(index)?.as_deref()
    }

    /// Put `value` under `*handle`, giving the record a handle if it had none. Past 2^32 - 1
    /// strings held at once (64 GB of handles and boxes alone), the value is dropped and the
    /// handle stays 0.
    pub(crate) fn set(&mut self, handle: &mut u32, value: Box<str>) {
        if let Some(item) = handle
            .checked_sub(1)
            .and_then(|index| self.items.get_mut(index as usize))
            .filter(|item| item.is_some())
        {
            *item = Some(value);
            return;
        }
        if let Some(index) = self.free.pop() {
            self.items[index as usize] = Some(value);
            *handle = index + 1;
        } else if let Ok(new) = u32::try_from(self.items.len() + 1) {
            self.items.push(Some(value));
            *handle = new;
        }
    }

    /// Drop the string under `*handle` and set the handle to 0.
    pub(crate) fn clear(&mut self, handle: &mut u32) {
        let Some(index) = handle.checked_sub(1) else {
            return;
        };
        if let Some(item) = self.items.get_mut(index as usize)
            && item.take().is_some()
        {
            self.free.push(index);
        }
        *handle = 0;
    }

    /// Strings held.
    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.items.len() - self.free.len()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn set_replace_clear_and_reuse() {
        let mut slab = StrSlab::default();
        let (mut a, mut b) = (0, 0);
        assert_eq!(slab.get(a), None);
        slab.set(&mut a, "one".into());
        slab.set(&mut b, "two".into());
        assert_eq!((slab.get(a), slab.get(b)), (Some("one"), Some("two")));
        slab.set(&mut a, "uno".into());
        assert_eq!((slab.get(a), slab.len()), (Some("uno"), 2));
        let old = a;
        slab.clear(&mut a);
        assert_eq!((a, slab.get(old), slab.len()), (0, None, 1));
        slab.clear(&mut a);
        let mut c = 0;
        slab.set(&mut c, "three".into());
        assert_eq!(c, old, "a freed slot is reused");
        assert_eq!((slab.get(b), slab.get(c)), (Some("two"), Some("three")));
        assert_eq!(slab.get(99), None);
    }
}
