//! Fetching the image: windows of blocks over MQTT streams, or ranges over HTTP, written
//! into erased flash, with progress persisted so a power cut resumes instead of restarting.

use ota_core::jobs::JobExecutionStatus;
use ota_core::streams::{DataBlock, StreamErrorCode};
use ota_core::time::Instant;

use super::Client;
use super::job::{ActiveJob, Target, Transport};
use super::outbox::{Details, Outgoing, Qos};
use super::state::{Download, Request, State, Window};
use crate::error::Error;
use crate::event::Event;
use crate::reason::Reason;
use crate::record::Phase;
use crate::storage::{FirmwareSlot, StateStore};

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize> Client<'a, S, P, K> {
    fn block_size(&self) -> u32 {
        self.record.block_size
    }

    fn total_blocks(&self) -> u32 {
        self.record.image_size.div_ceil(self.block_size().max(1))
    }

    /// `(received blocks, total blocks)` for `receive` progress reports.
    pub(super) fn blocks_progress(&self) -> (u32, u32) {
        (
            self.record.received / self.block_size().max(1),
            self.total_blocks(),
        )
    }

    pub(super) fn is_http(&self) -> bool {
        matches!(
            self.job,
            Some(ActiveJob {
                transport: Transport::Http { .. },
                ..
            })
        )
    }

    /// The stream id and file id of an MQTT download.
    pub(super) fn stream(&self) -> Option<(&str, u8)> {
        match &self.job.as_ref()?.transport {
            Transport::Stream { id, file_id } => Some((id.as_str(), *file_id)),
            Transport::Http { .. } => None,
        }
    }

    /// A validated firmware job: record it (or keep the record of the same job, to resume)
    /// and announce it with the first `IN_PROGRESS` update.
    /// The job's download details are in `self.job` already (written by the intake).
    pub(super) fn start_firmware_job(&mut self, now: Instant, target: Target) {
        let resume = self.record.phase == Phase::Downloading
            && self.record.job_id == self.job_id
            && self.record.execution_number == self.execution_number
            && self.record.document_digest == target.document_digest
            && self.record.image_size == target.size;
        if !resume {
            let r = &mut self.record;
            r.phase = Phase::Downloading;
            r.kind = target.kind;
            r.reason = None;
            r.job_id = self.job_id.clone();
            r.execution_number = self.execution_number;
            r.document_digest = target.document_digest;
            r.image_size = target.size;
            r.block_size = self.config.block_size;
            r.received = 0;
            r.target_version = target.version;
            r.target_counter = target.counter;
            r.updated_by = self.config.running_version;
        }
        if self.persist().is_err() {
            // Nothing started on the service side: leave the job queued and try again later.
            self.go_idle(now);
            self.emit(Event::StorageFailed);
            return self.describe_later(now);
        }
        self.state = State::Starting(Request::first(0));
        self.send(now, 1);
    }

    /// The service accepted the start: fetch from where the record says, rounded down to a
    /// point that is both block- and erase-aligned (a torn write past it is redone).
    pub(super) fn begin_download(&mut self, now: Instant) {
        let bs = self.block_size();
        let erase = self.slot.erase_size().max(1);
        let step = bs / gcd(bs, erase) * erase;
        let from = self.record.received - self.record.received % step;
        self.record.received = from;
        let size = self.record.image_size;
        self.emit(Event::DownloadStarted {
            size,
            from_byte: from,
        });
        if from >= size {
            return self.download_complete(now);
        }
        let window = self.window_at(from / bs);
        self.state = State::Downloading(Download {
            window,
            erased_to: from,
            since_persist: 0,
            since_progress: 0,
            http_fill: 0,
            request: Request::first(0),
        });
        self.send(now, 1);
    }

    fn window_at(&self, start: u32) -> Window {
        let len = self
            .config
            .blocks_per_request
            .min(self.total_blocks() - start);
        Window {
            start,
            len,
            received: 0,
        }
    }

    /// Erase what the window needs, then ask for its missing blocks.
    pub(super) fn request_window(&mut self, now: Instant) {
        let State::Downloading(mut d) = self.state else {
            return;
        };
        let bs = self.block_size();
        let window_end = ((d.window.start + d.window.len) * bs).min(self.record.image_size);
        if d.erased_to < window_end {
            let erase = self.slot.erase_size().max(1);
            let to = window_end
                .div_ceil(erase)
                .saturating_mul(erase)
                .min(self.slot.capacity());
            if self.slot.erase(d.erased_to, to).is_err() {
                return self.fail_job(now, Reason::StorageFailure);
            }
            d.erased_to = to;
        }
        self.state = State::Downloading(d);
        if self.is_http() {
            let offset = d.window.start * bs + d.window.received.trailing_ones() * bs;
            self.emit(Event::FetchRange {
                offset,
                len: window_end - offset,
            });
        } else {
            self.queue(Outgoing::GetStream {
                token: d.request.token,
            });
        }
        let deadline = self.reply_deadline(now);
        self.arm(deadline);
    }

    /// One data block from the stream named `stream_id`.
    pub(super) fn on_block(
        &mut self,
        now: Instant,
        stream_id: &str,
        block: &DataBlock<'_>,
    ) -> Result<(), Error> {
        let State::Downloading(d) = self.state else {
            return Err(Error::Ignored);
        };
        let Some((ours, file_id)) = self.stream() else {
            return Err(Error::Ignored);
        };
        if ours != stream_id || file_id != block.file_id {
            return Err(Error::Ignored);
        }
        let index = block.block_id;
        let Some(bit) = index
            .checked_sub(d.window.start)
            .filter(|&k| k < d.window.len)
        else {
            return Err(Error::Ignored);
        };
        if d.window.received & (1 << bit) != 0 {
            return Err(Error::Ignored);
        }
        self.store_block(now, d, bit, block.payload)
    }

    /// Write block `start + bit` of the window (already checked to be missing). The caller
    /// then calls [`Client::after_block`], once the scratch buffer is back in place.
    fn store_block(
        &mut self,
        now: Instant,
        mut d: Download,
        bit: u32,
        payload: &[u8],
    ) -> Result<(), Error> {
        let bs = self.block_size();
        let offset = (d.window.start + bit) * bs;
        let expected = bs.min(self.record.image_size - offset);
        if payload.len() != expected as usize {
            return Err(Error::Malformed);
        }
        if self.slot.write(offset, payload).is_err() {
            self.fail_job(now, Reason::StorageFailure);
            return Ok(());
        }
        d.window.received |= 1 << bit;
        d.since_persist += 1;
        d.since_progress += 1;
        self.state = State::Downloading(d);
        let deadline = self.reply_deadline(now);
        self.arm(deadline);
        Ok(())
    }

    /// Move on when the window is complete (verification reads the slot through the scratch
    /// buffer, so this runs only when no block payload occupies it).
    pub(super) fn after_block(&mut self, now: Instant) {
        if let State::Downloading(d) = self.state
            && d.window.is_complete()
        {
            self.window_done(now, d);
        }
    }

    fn window_done(&mut self, now: Instant, mut d: Download) {
        let bs = self.block_size();
        let size = self.record.image_size;
        self.record.received = ((d.window.start + d.window.len) * bs).min(size);
        let done = self.record.received == size;
        if d.since_persist >= self.config.persist_every_blocks || done {
            if self.persist().is_err() {
                return self.fail_job(now, Reason::StorageFailure);
            }
            d.since_persist = 0;
        }
        if d.since_progress >= self.config.progress_every_blocks {
            d.since_progress = 0;
            let (blocks, total) = self.blocks_progress();
            let token = self.new_token();
            let details = Details::Receive { blocks, total };
            self.queue(Outgoing::Update {
                token,
                status: JobExecutionStatus::InProgress,
                details,
                expected_version: None,
                qos: Qos::AtMostOnce,
            });
            self.emit(Event::Progress {
                received: self.record.received,
                total: size,
            });
        }
        if done {
            return self.download_complete(now);
        }
        d.window = self.window_at(d.window.start + d.window.len);
        d.request = Request::first(0);
        self.state = State::Downloading(d);
        self.send(now, 1);
    }

    /// `streams/…/rejected`: retry what may succeed later, fail the job otherwise.
    pub(super) fn on_stream_rejected(
        &mut self,
        now: Instant,
        stream_id: &str,
        code: &StreamErrorCode<'_>,
    ) -> Result<(), Error> {
        let State::Downloading(d) = self.state else {
            return Err(Error::Ignored);
        };
        if self.stream().map(|(id, _)| id) != Some(stream_id) {
            return Err(Error::Ignored);
        }
        if code.is_retryable() {
            self.retry_later(now, d.request);
        } else {
            self.fail_job(now, Reason::StreamRejected);
        }
        Ok(())
    }

    /// Bytes of the range asked for by the last [`Event::FetchRange`], in order.
    pub(crate) fn on_http_data(
        &mut self,
        now: Instant,
        offset: u32,
        mut data: &[u8],
    ) -> Result<(), Error> {
        let State::Downloading(mut d) = self.state else {
            return Err(Error::UnexpectedCall);
        };
        if !self.is_http() {
            return Err(Error::UnexpectedCall);
        }
        let bs = self.block_size();
        let next = d.window.start * bs + d.window.received.trailing_ones() * bs + d.http_fill;
        if offset != next {
            return Err(Error::Ignored);
        }
        while !data.is_empty() {
            let bit = d.window.received.trailing_ones();
            if bit >= d.window.len {
                return Err(Error::Malformed);
            }
            let block_offset = (d.window.start + bit) * bs;
            let block_len = bs.min(self.record.image_size - block_offset) as usize;
            let fill = d.http_fill as usize;
            let take = (block_len - fill).min(data.len());
            self.scratch[fill..fill + take].copy_from_slice(&data[..take]);
            data = &data[take..];
            d.http_fill += take as u32;
            if d.http_fill as usize == block_len {
                d.http_fill = 0;
                self.state = State::Downloading(d);
                // Lend the scratch buffer out while the block is written from it.
                let staged = core::mem::take(&mut self.scratch);
                let result = self.store_block(now, d, bit, &staged[..block_len]);
                self.scratch = staged;
                result?;
                self.after_block(now);
                match self.state {
                    State::Downloading(next) if next.window.start == d.window.start => d = next,
                    _ => return Ok(()),
                }
            }
        }
        self.state = State::Downloading(d);
        let deadline = self.reply_deadline(now);
        self.arm(deadline);
        Ok(())
    }

    /// The application could not fetch the range: retry after a backoff.
    pub(crate) fn on_http_error(&mut self, now: Instant) -> Result<(), Error> {
        let State::Downloading(d) = self.state else {
            return Err(Error::UnexpectedCall);
        };
        if !self.is_http() {
            return Err(Error::UnexpectedCall);
        }
        self.retry_later(now, d.request);
        Ok(())
    }

    /// The job failed after it started: report `FAILED` (the record keeps the report until
    /// the service accepts it).
    pub(super) fn fail_job(&mut self, now: Instant, reason: Reason) {
        self.record.phase = Phase::ReportFailed;
        self.record.reason = Some(reason);
        let _ = self.persist();
        self.report(now, JobExecutionStatus::Failed, Some(reason));
    }
}
