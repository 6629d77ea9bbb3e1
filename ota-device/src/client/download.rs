//! Fetching the image: windows of blocks over MQTT streams, or ranges over HTTP, written
//! into erased flash, with progress persisted so a power cut resumes instead of restarting.

use crate::config::Config;
use core::borrow::Borrow;
use ota_core::jobs::JobExecutionStatus;
use ota_core::streams::{DataBlock, StreamErrorCode};
use ota_core::time::Instant;

use super::Client;
use super::job::{ActiveJob, Target, Transport};
use super::outbox::{Details, Outgoing, Qos};
use super::state::{Download, FinalReport, JobInHand, Stage, State, Window};
use super::transition::{Next, When};
use crate::error::Error;
use crate::event::Event;
use crate::reason::Reason;
use crate::record::Phase;
use crate::storage::{FirmwareSlot, StateStore};
use crate::trust::TrustSource;

fn gcd(a: u32, b: u32) -> u32 {
    if b == 0 { a } else { gcd(b, a % b) }
}

impl<'a, S: FirmwareSlot, P: StateStore, const K: usize, T: TrustSource<K>, C: Borrow<Config<'a>>>
    Client<'a, S, P, K, T, C>
{
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

    /// What the download and the image checks of the job in hand need.
    pub(super) fn firmware(&self) -> Option<&ActiveJob> {
        self.state.job()?.firmware.as_ref()
    }

    pub(super) fn is_http(&self) -> bool {
        matches!(
            self.firmware(),
            Some(ActiveJob {
                transport: Transport::Http { .. },
                ..
            })
        )
    }

    /// The stream id and file id of an MQTT download.
    pub(super) fn stream(&self) -> Option<(&str, u8)> {
        match &self.firmware()?.transport {
            Transport::Stream { id, file_id } => Some((id.as_str(), *file_id)),
            Transport::Http { .. } => None,
        }
    }

    /// A validated firmware job: record it (or keep the record of the same job, to resume)
    /// and announce it with the first `IN_PROGRESS` update, at `expected_version`.
    /// The job's download details are in the job in hand already (written by the intake).
    pub(super) fn start_firmware_job(
        &mut self,
        now: Instant,
        target: Target,
        expected_version: u64,
    ) {
        let Some(job) = self.state.job() else {
            return;
        };
        let r = &mut self.record;
        let resume = r.phase == Phase::Downloading
            && r.job_id == job.id
            && r.execution_number == job.execution_number
            && r.document_digest == target.document_digest
            && r.image_size == target.size;
        if !resume {
            r.phase = Phase::Downloading;
            r.kind = target.kind;
            r.reason = None;
            r.job_id = job.id.clone();
            r.execution_number = job.execution_number;
            r.document_digest = target.document_digest;
            r.image_size = target.size;
            r.block_size = self.config.borrow().block_size;
            r.received = 0;
            r.target_version = target.version;
            r.target_counter = target.counter;
            r.updated_by = self.config.borrow().running_version;
        }
        if self.persist().is_err() {
            // Nothing started on the service side: leave the job queued and try again later.
            self.emit(Event::StorageFailed);
            return self.enter(Next::Describing, When::Backoff(now));
        }
        let expected_version = Some(expected_version);
        self.enter(
            Next::Stage(Stage::Starting { expected_version }),
            When::Now(now),
        );
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
        let download = Download {
            window: self.window_at(from / bs),
            erased_to: from,
            since_persist: 0,
            since_progress: 0,
            http_fill: 0,
        };
        self.enter(Next::Stage(Stage::Downloading(download)), When::Now(now));
    }

    /// The progress of the download in hand.
    fn download(&self) -> Option<Download> {
        match self.state.stage()? {
            Stage::Downloading(d) => Some(*d),
            _ => None,
        }
    }

    /// Keep `d` as the progress of the download in hand (nothing else changes).
    fn set_download(&mut self, d: Download) {
        if let State::Job(JobInHand {
            stage: Stage::Downloading(current),
            ..
        }) = &mut self.state
        {
            *current = d;
        }
    }

    fn window_at(&self, start: u32) -> Window {
        let len = self
            .config
            .borrow()
            .blocks_per_request
            .min(self.total_blocks() - start);
        Window {
            start,
            len,
            received: 0,
        }
    }

    /// Erase what the window needs, then ask for its missing blocks: over HTTP, through
    /// [`Event::FetchRange`]; over MQTT, with a `GetStream` request (rendered from the window
    /// when `poll_transmit` takes it).
    pub(super) fn request_window(&mut self, now: Instant) {
        let Some(mut d) = self.download() else {
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
        d.http_fill = 0;
        self.set_download(d);
        if self.is_http() {
            let offset = d.window.start * bs + d.window.received.trailing_ones() * bs;
            self.emit(Event::FetchRange {
                offset,
                len: window_end - offset,
            });
        } else if let Some(request) = self.request {
            self.outbox.request = Some(Outgoing::GetStream {
                token: request.token,
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
        let Some(d) = self.download() else {
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
        self.set_download(d);
        let deadline = self.reply_deadline(now);
        self.arm(deadline);
        Ok(())
    }

    /// Move on when the window is complete (verification reads the slot through the scratch
    /// buffer, so this runs only when no block payload occupies it).
    pub(super) fn after_block(&mut self, now: Instant) {
        if let Some(d) = self.download()
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
        if d.since_persist >= self.config.borrow().persist_every_blocks || done {
            if self.persist().is_err() {
                return self.fail_job(now, Reason::StorageFailure);
            }
            d.since_persist = 0;
        }
        if d.since_progress >= self.config.borrow().progress_every_blocks {
            d.since_progress = 0;
            let (blocks, total) = self.blocks_progress();
            let token = self.new_token();
            let details = Details::Receive { blocks, total };
            self.outbox.progress = Some(Outgoing::Update {
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
        self.enter(Next::Stage(Stage::Downloading(d)), When::Now(now));
    }

    /// `streams/…/rejected`: retry what may succeed later, fail the job otherwise.
    pub(super) fn on_stream_rejected(
        &mut self,
        now: Instant,
        stream_id: &str,
        code: &StreamErrorCode<'_>,
    ) -> Result<(), Error> {
        if self.download().is_none() || self.stream().map(|(id, _)| id) != Some(stream_id) {
            return Err(Error::Ignored);
        }
        if code.is_retryable() {
            self.retry_later(now);
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
        let Some(mut d) = self.download() else {
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
                self.set_download(d);
                // Lend the scratch buffer out while the block is written from it.
                let staged = core::mem::take(&mut self.scratch);
                let result = self.store_block(now, d, bit, &staged[..block_len]);
                self.scratch = staged;
                result?;
                self.after_block(now);
                match self.download() {
                    Some(next) if next.window.start == d.window.start => d = next,
                    _ => return Ok(()),
                }
            }
        }
        self.set_download(d);
        let deadline = self.reply_deadline(now);
        self.arm(deadline);
        Ok(())
    }

    /// The application could not fetch the range: retry after a backoff.
    pub(crate) fn on_http_error(&mut self, now: Instant) -> Result<(), Error> {
        if self.download().is_none() || !self.is_http() {
            return Err(Error::UnexpectedCall);
        }
        self.retry_later(now);
        Ok(())
    }

    /// The job failed after it started: report `FAILED` (the record keeps the report until
    /// the service accepts it).
    pub(super) fn fail_job(&mut self, now: Instant, reason: Reason) {
        self.record.phase = Phase::ReportFailed;
        self.record.reason = Some(reason);
        let _ = self.persist();
        self.report(
            now,
            FinalReport::new(JobExecutionStatus::Failed, Some(reason)),
        );
    }
}
