//! Text into a byte slice that fails instead of truncating.

pub(crate) struct SliceWriter<'b> {
    buf: &'b mut [u8],
    len: usize,
}

impl<'b> SliceWriter<'b> {
    pub(crate) fn new(buf: &'b mut [u8]) -> Self {
        Self { buf, len: 0 }
    }

    /// Append `s`; `None` (nothing written) when it does not fit.
    pub(crate) fn push(&mut self, s: &str) -> Option<()> {
        let end = self.len.checked_add(s.len())?;
        self.buf
            .get_mut(self.len..end)?
            .copy_from_slice(s.as_bytes());
        self.len = end;
        Some(())
    }

    /// The text written so far.
    pub(crate) fn into_str(self) -> Option<&'b str> {
        core::str::from_utf8(&self.buf[..self.len]).ok()
    }
}

/// For formatted text (the scripted peer); the client itself uses [`SliceWriter::push`].
impl core::fmt::Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        self.push(s).ok_or(core::fmt::Error)
    }
}
