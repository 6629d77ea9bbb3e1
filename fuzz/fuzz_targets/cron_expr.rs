//! `ota_cloud::schedule::Cron::parse` on any text: no panic; an accepted expression prints
//! back to text that parses to the same expression, and every minute the search finds
//! matches it.
#![no_main]
use libfuzzer_sys::fuzz_target;
use ota_cloud::schedule::Cron;

fuzz_target!(|input: (&str, u32)| {
    let (text, start_minutes) = input;
    let Ok(cron) = Cron::parse(text) else { return };
    let again = Cron::parse(&cron.to_string()).expect("printed expression parses");
    assert_eq!(again, cron, "round trip of {text:?}");
    let from = u64::from(start_minutes) * 60_000;
    if let Some(at) = cron.next_at_or_after(from) {
        assert!(at >= from, "{text:?}: {at} before {from}");
        assert!(cron.matches(at), "{text:?}: next {at} does not match");
    }
    if let Some(at) = cron.previous_at_or_before(from) {
        assert!(at <= from, "{text:?}: {at} after {from}");
        assert!(cron.matches(at), "{text:?}: previous {at} does not match");
    }
});
