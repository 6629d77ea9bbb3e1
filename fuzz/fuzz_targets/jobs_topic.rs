//! Jobs topic parsing: no panic, and whatever parses writes back to the same text.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_core::jobs::{JobTopic, MAX_JOB_TOPIC_LEN};

fuzz_target!(|data: &[u8]| {
    let Ok(text) = std::str::from_utf8(data) else { return };
    if let Ok(topic) = JobTopic::parse(text) {
        let written = topic.to_heapless::<MAX_JOB_TOPIC_LEN>().expect("a parsed topic fits");
        assert_eq!(written.as_str(), text);
    }
});
