//! The AWS IoT Jobs MQTT API: topics, request and response payloads, execution statuses.

mod names;

pub use names::{
    ClientToken, JobId, MAX_CLIENT_TOKEN_LEN, MAX_JOB_ID_LEN, MAX_STREAM_ID_LEN,
    MAX_THING_NAME_LEN, NameError, StreamId, ThingName,
};
