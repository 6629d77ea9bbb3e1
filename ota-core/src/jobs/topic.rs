//! Build and parse every AWS IoT Jobs MQTT topic.
//!
//! `$aws/things/{thing}/jobs/` followed by `get`, `start-next`, `{jobId}/get` (`{jobId}` may
//! be `$next`), `{jobId}/update`, each optionally with `/accepted` or `/rejected`, or by
//! `notify` and `notify-next`. The `$aws` root can be replaced (see
//! [`JobTopic::parse_with_root`]) for brokers that refuse `$` topics, such as rumqttd.

use core::fmt::{self, Write};

use super::names::{JobId, NameError, ThingName};

/// The topic root AWS IoT uses.
pub const AWS_ROOT: &str = "$aws";

/// Longest Jobs topic under the `$aws` root: a 128-byte thing name, a 64-byte job id and
/// `/update/accepted`.
pub const MAX_JOB_TOPIC_LEN: usize = 226;

/// The job a describe topic names: a job id or `$next`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobRef<'a> {
    /// `$next`: the next pending execution, whatever its id.
    Next,
    /// One job.
    Id(JobId<'a>),
}

impl<'a> JobRef<'a> {
    /// The topic segment: `$next` or the job id.
    pub const fn as_str(&self) -> &'a str {
        match self {
            Self::Next => "$next",
            Self::Id(id) => id.as_str(),
        }
    }
}

/// Which Jobs API a topic belongs to.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum JobsApi<'a> {
    /// `jobs/get`: GetPendingJobExecutions.
    GetPending,
    /// `jobs/start-next`: StartNextPendingJobExecution.
    StartNext,
    /// `jobs/{jobId}/get`: DescribeJobExecution.
    Describe(JobRef<'a>),
    /// `jobs/{jobId}/update`: UpdateJobExecution.
    Update(JobId<'a>),
    /// `jobs/notify`: JobExecutionsChanged (push only).
    Notify,
    /// `jobs/notify-next`: NextJobExecutionChanged (push only).
    NotifyNext,
}

/// The reply suffix of a response topic.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Reply {
    /// `/accepted`.
    Accepted,
    /// `/rejected`.
    Rejected,
}

/// Why a topic is not a Jobs topic we can use.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[non_exhaustive]
pub enum TopicError {
    /// Does not start with `{root}/things/`, or lacks `/jobs/`.
    #[error("not a jobs topic")]
    NotJobs,
    /// Under `…/jobs/` but maps to no API (the service answers `InvalidTopic`).
    #[error("jobs topic maps to no API")]
    UnknownApi,
    /// The thing name breaks a limit.
    #[error("invalid thing name in topic: {0}")]
    ThingName(NameError),
    /// The job id breaks a limit.
    #[error("invalid job id in topic: {0}")]
    JobId(NameError),
    /// `notify`/`notify-next` with a reply suffix, or `$next/update`.
    #[error("invalid combination of API and reply")]
    BadCombination,
    /// The output buffer is too small.
    #[error("topic does not fit the buffer")]
    BufferFull,
}

/// A Jobs topic: thing, API and optional reply suffix.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub struct JobTopic<'a> {
    /// The thing the topic belongs to.
    pub thing: ThingName<'a>,
    /// The API.
    pub api: JobsApi<'a>,
    /// `None` for a request or a push topic; `Some` for `/accepted` or `/rejected`.
    pub reply: Option<Reply>,
}

impl<'a> JobTopic<'a> {
    /// A request topic (or push topic) without a reply suffix.
    pub const fn request(thing: ThingName<'a>, api: JobsApi<'a>) -> Self {
        Self {
            thing,
            api,
            reply: None,
        }
    }

    /// The `/accepted` or `/rejected` topic answering `self`.
    pub const fn reply(self, reply: Reply) -> Self {
        Self {
            reply: Some(reply),
            ..self
        }
    }

    /// Parse a topic under the `$aws` root.
    ///
    /// # Errors
    /// [`TopicError`] saying what is wrong.
    pub fn parse(topic: &'a str) -> Result<Self, TopicError> {
        Self::parse_with_root(AWS_ROOT, topic)
    }

    /// Parse a topic under `root` instead of `$aws`.
    ///
    /// # Errors
    /// [`TopicError`] saying what is wrong.
    pub fn parse_with_root(root: &str, topic: &'a str) -> Result<Self, TopicError> {
        let rest = after_things(root, topic).ok_or(TopicError::NotJobs)?;
        let (thing, rest) = split_at_jobs(rest).ok_or(TopicError::NotJobs)?;
        let thing = ThingName::new(thing).map_err(TopicError::ThingName)?;
        let mut parts = rest.split('/');
        let first = parts.next().unwrap_or("");
        let second = parts.next();
        let third = parts.next();
        if parts.next().is_some() {
            return Err(TopicError::UnknownApi);
        }
        let reply = |s: Option<&str>| match s {
            None => Ok(None),
            Some("accepted") => Ok(Some(Reply::Accepted)),
            Some("rejected") => Ok(Some(Reply::Rejected)),
            Some(_) => Err(TopicError::UnknownApi),
        };
        // A second segment `get` or `update` always means `{jobId}/…`, even when the job id is
        // itself a verb such as `get` or `notify`.
        let (api, reply) = match (first, second, third) {
            ("$next", Some("get"), r) => (JobsApi::Describe(JobRef::Next), reply(r)?),
            ("$next", Some("update"), _) => return Err(TopicError::BadCombination),
            (id, Some("get"), r) => {
                let id = JobId::new(id).map_err(TopicError::JobId)?;
                (JobsApi::Describe(JobRef::Id(id)), reply(r)?)
            }
            (id, Some("update"), r) => {
                let id = JobId::new(id).map_err(TopicError::JobId)?;
                (JobsApi::Update(id), reply(r)?)
            }
            ("get", s, None) => (JobsApi::GetPending, reply(s)?),
            ("start-next", s, None) => (JobsApi::StartNext, reply(s)?),
            ("notify", None, None) => (JobsApi::Notify, None),
            ("notify-next", None, None) => (JobsApi::NotifyNext, None),
            ("notify" | "notify-next", Some("accepted" | "rejected"), None) => {
                return Err(TopicError::BadCombination);
            }
            _ => return Err(TopicError::UnknownApi),
        };
        Ok(Self { thing, api, reply })
    }

    /// Write the topic under the `$aws` root.
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
        write!(out, "{root}/things/{}/jobs/", self.thing)?;
        match self.api {
            JobsApi::GetPending => out.write_str("get")?,
            JobsApi::StartNext => out.write_str("start-next")?,
            JobsApi::Describe(job) => write!(out, "{}/get", job.as_str())?,
            JobsApi::Update(id) => write!(out, "{id}/update")?,
            JobsApi::Notify => out.write_str("notify")?,
            JobsApi::NotifyNext => out.write_str("notify-next")?,
        }
        match self.reply {
            None => Ok(()),
            Some(Reply::Accepted) => out.write_str("/accepted"),
            Some(Reply::Rejected) => out.write_str("/rejected"),
        }
    }

    /// The topic as a fixed-capacity string under `$aws`.
    ///
    /// # Errors
    /// [`TopicError::BufferFull`] if it does not fit in `N` bytes.
    pub fn to_heapless<const N: usize>(&self) -> Result<heapless::String<N>, TopicError> {
        let mut s = heapless::String::new();
        self.write_to(&mut s).map_err(|_| TopicError::BufferFull)?;
        Ok(s)
    }

    /// Write the topic into `buf` under `root`; returns the written `&str`.
    ///
    /// # Errors
    /// [`TopicError::BufferFull`] if it does not fit.
    pub fn write_into<'b>(&self, root: &str, buf: &'b mut [u8]) -> Result<&'b str, TopicError> {
        let mut w = SliceWriter { buf, len: 0 };
        self.write_with_root(root, &mut w)
            .map_err(|_| TopicError::BufferFull)?;
        let len = w.len;
        core::str::from_utf8(&w.buf[..len]).map_err(|_| TopicError::BufferFull)
    }
}

impl fmt::Display for JobTopic<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write_to(f)
    }
}

/// What follows `{root}/things/` in `topic`: `{thingName}/…` of a Jobs or a stream topic.
pub(crate) fn after_things<'t>(root: &str, topic: &'t str) -> Option<&'t str> {
    topic.strip_prefix(root)?.strip_prefix("/things/")
}

/// `s.split_once("/jobs/")`, without the substring searcher `str` patterns link (~1 KB on
/// Cortex-M).
fn split_at_jobs(s: &str) -> Option<(&str, &str)> {
    const SEPARATOR: &[u8] = b"/jobs/";
    let at = s
        .as_bytes()
        .windows(SEPARATOR.len())
        .position(|w| w == SEPARATOR)?;
    Some((s.get(..at)?, s.get(at + SEPARATOR.len()..)?))
}

/// A `fmt::Write` into a byte slice that fails instead of truncating.
pub(crate) struct SliceWriter<'b> {
    pub(crate) buf: &'b mut [u8],
    pub(crate) len: usize,
}

impl Write for SliceWriter<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn jobs_separator_is_found_as_split_once_finds_it() {
        for s in [
            "a/jobs/b",
            "/jobs/",
            "a/jobs/jobs/b",
            "a/job/b",
            "ajobs/",
            "",
            "a/jobs",
            "é/jobs/é",
        ] {
            assert_eq!(split_at_jobs(s), s.split_once("/jobs/"), "{s}");
        }
    }
    use proptest::prelude::*;
    use std::string::ToString;

    fn thing(s: &str) -> ThingName<'_> {
        ThingName::new(s).unwrap()
    }

    #[test]
    fn core_jobs_router_vectors() {
        // jobs-protocol.md vector 27 (coreJobs jobs_utest.c).
        let t = JobTopic::parse("$aws/things/foobar/jobs/start-next/accepted").unwrap();
        assert_eq!(
            t,
            JobTopic::request(thing("foobar"), JobsApi::StartNext).reply(Reply::Accepted)
        );
        let t = JobTopic::parse("$aws/things/foobar/jobs/1234/update/rejected").unwrap();
        let id = JobId::new("1234").unwrap();
        assert_eq!(
            t,
            JobTopic::request(thing("foobar"), JobsApi::Update(id)).reply(Reply::Rejected)
        );
        assert_ne!(t.thing, thing("foobaz"));
        for bad in [
            "$aws/things/foobar/jobs/",
            "$aws/things/foobar/jobs/start-next/accepted/x",
            "$aws/things/foobar/jobs/1234/update/maybe",
            "$aws/things/foobar/jobs/1234",
            "$aws/things/foobar/jobs/notify/accepted",
            "$aws/things/foobar/jobs/$next/update",
            "$aws/things/foobar/shadow/update",
            "$aws/things//jobs/get",
            "aws/things/foobar/jobs/get",
            "$aws/things/foo+bar/jobs/get",
            "$aws/things/foobar/jobs/bad:id/get",
        ] {
            assert!(JobTopic::parse(bad).is_err(), "{bad}");
        }
    }

    #[test]
    fn builds_every_topic() {
        let t = thing("dev-1");
        let id = JobId::new("job-7").unwrap();
        let cases = [
            (
                JobTopic::request(t, JobsApi::GetPending),
                "$aws/things/dev-1/jobs/get",
            ),
            (
                JobTopic::request(t, JobsApi::GetPending).reply(Reply::Accepted),
                "$aws/things/dev-1/jobs/get/accepted",
            ),
            (
                JobTopic::request(t, JobsApi::StartNext).reply(Reply::Rejected),
                "$aws/things/dev-1/jobs/start-next/rejected",
            ),
            (
                JobTopic::request(t, JobsApi::Describe(JobRef::Next)),
                "$aws/things/dev-1/jobs/$next/get",
            ),
            (
                JobTopic::request(t, JobsApi::Describe(JobRef::Next)).reply(Reply::Accepted),
                "$aws/things/dev-1/jobs/$next/get/accepted",
            ),
            (
                JobTopic::request(t, JobsApi::Describe(JobRef::Id(id))),
                "$aws/things/dev-1/jobs/job-7/get",
            ),
            (
                JobTopic::request(t, JobsApi::Update(id)),
                "$aws/things/dev-1/jobs/job-7/update",
            ),
            (
                JobTopic::request(t, JobsApi::Update(id)).reply(Reply::Accepted),
                "$aws/things/dev-1/jobs/job-7/update/accepted",
            ),
            (
                JobTopic::request(t, JobsApi::Notify),
                "$aws/things/dev-1/jobs/notify",
            ),
            (
                JobTopic::request(t, JobsApi::NotifyNext),
                "$aws/things/dev-1/jobs/notify-next",
            ),
        ];
        for (topic, text) in cases {
            assert_eq!(
                topic.to_heapless::<MAX_JOB_TOPIC_LEN>().unwrap().as_str(),
                text
            );
            assert_eq!(JobTopic::parse(text).unwrap(), topic);
        }
    }

    #[test]
    fn job_ids_that_look_like_verbs_are_still_job_ids() {
        let t = JobTopic::parse("$aws/things/d/jobs/get/get").unwrap();
        assert_eq!(
            t.api,
            JobsApi::Describe(JobRef::Id(JobId::new("get").unwrap()))
        );
        let t = JobTopic::parse("$aws/things/d/jobs/notify/update/accepted").unwrap();
        assert_eq!(t.api, JobsApi::Update(JobId::new("notify").unwrap()));
    }

    #[test]
    fn custom_root_and_buffer_limits() {
        let topic = JobTopic::parse_with_root("ota", "ota/things/d/jobs/notify-next").unwrap();
        assert_eq!(topic.api, JobsApi::NotifyNext);
        let mut small = [0u8; 10];
        assert_eq!(
            topic.write_into("ota", &mut small),
            Err(TopicError::BufferFull)
        );
        let mut buf = [0u8; 64];
        assert_eq!(
            topic.write_into("ota", &mut buf).unwrap(),
            "ota/things/d/jobs/notify-next"
        );
        let longest_thing = "t".repeat(128);
        let longest_job = "j".repeat(64);
        let topic = JobTopic::request(
            thing(&longest_thing),
            JobsApi::Update(JobId::new(&longest_job).unwrap()),
        )
        .reply(Reply::Accepted);
        assert_eq!(
            topic.to_heapless::<MAX_JOB_TOPIC_LEN>().unwrap().len(),
            MAX_JOB_TOPIC_LEN
        );
    }

    fn api_strategy() -> impl Strategy<Value = (u8, Option<u8>)> {
        (0u8..8, proptest::option::of(0u8..2))
    }

    proptest! {
        #[test]
        fn build_parse_round_trip(thing_name in "[a-zA-Z0-9:_-]{1,128}", job in "[a-zA-Z0-9_-]{1,64}",
                                  (api, reply) in api_strategy()) {
            let t = ThingName::new(&thing_name).unwrap();
            let id = JobId::new(&job).unwrap();
            let api = match api {
                0 => JobsApi::GetPending,
                1 => JobsApi::StartNext,
                2 => JobsApi::Describe(JobRef::Next),
                3 => JobsApi::Describe(JobRef::Id(id)),
                4 => JobsApi::Update(id),
                5 => JobsApi::Notify,
                _ => JobsApi::NotifyNext,
            };
            let reply = match (api, reply) {
                (JobsApi::Notify | JobsApi::NotifyNext, _) | (_, None) => None,
                (_, Some(0)) => Some(Reply::Accepted),
                _ => Some(Reply::Rejected),
            };
            let topic = JobTopic { thing: t, api, reply };
            let text = topic.to_string();
            prop_assert_eq!(JobTopic::parse(&text).unwrap(), topic);
        }

        #[test]
        fn parse_never_panics(s in "\\PC{0,300}") {
            let _ = JobTopic::parse(&s);
        }

        #[test]
        fn parse_never_panics_near_valid(s in "\\$aws/things/[a-z:/$-]{0,10}/jobs/[a-z$/-]{0,30}") {
            let _ = JobTopic::parse(&s);
        }
    }
}
