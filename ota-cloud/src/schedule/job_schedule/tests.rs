//! `Schedule` on known days, and the properties an engine relies on.

use std::format;
use std::string::String;
use std::vec;
use std::vec::Vec;

use proptest::prelude::*;

use super::*;
use crate::schedule::civil::MINUTE_MS;
use crate::schedule::time::{format_schedule_time, parse_schedule_time};

fn ms(text: &str) -> u64 {
    parse_schedule_time(text).unwrap()
}

fn window(start: &str, minutes: u32) -> MaintenanceWindow {
    MaintenanceWindow::new(start, minutes).unwrap()
}

/// From `start`, in one window of `minutes` opening at `cron`; no end.
fn windowed(start: &str, cron: &str, minutes: u32) -> Schedule {
    Schedule {
        start: Some(ms(start)),
        windows: vec![window(cron, minutes)],
        ..Schedule::default()
    }
}

fn fmt(t: Option<u64>) -> Option<String> {
    t.map(format_schedule_time)
}

/// Assert what `s` answers at each instant of `timeline`: whether it admits, its next
/// admission and its next change (times as text).
fn assert_timeline(s: &Schedule, timeline: &[(&str, bool, Option<&str>, Option<&str>)]) {
    for &(at, admits, admission, change) in timeline {
        let t = ms(at);
        let answers = (s.admits(t), fmt(s.next_admission(t)), fmt(s.next_change(t)));
        let expected = (
            admits,
            admission.map(String::from),
            change.map(String::from),
        );
        assert_eq!(answers, expected, "at {at}");
    }
}

#[test]
fn without_windows_only_start_and_end_matter() {
    let s = Schedule {
        start: Some(ms("2024-06-01T10:00")),
        end: Some(ms("2024-06-02T10:00")),
        ..Schedule::default()
    };
    let (start, end) = (ms("2024-06-01T10:00"), ms("2024-06-02T10:00"));
    assert!(!s.admits(start - 1) && s.is_before_start(start - 1));
    assert!(s.admits(start) && s.admits(end - 1));
    assert!(!s.admits(end) && s.has_ended(end));
    assert_eq!(s.next_admission(0), Some(start));
    assert_eq!(s.next_admission(start + 5), Some(start + 5));
    assert_eq!(s.next_admission(end), None);
    assert_eq!(s.next_change(0), Some(start));
    assert_eq!(s.next_change(start), Some(end));
    assert_eq!(s.next_change(end), None);
    assert!(s.upcoming_starts(0, 7).is_empty());
}

#[test]
fn default_admits_everything_forever() {
    let s = Schedule::default();
    assert!(s.admits(0) && s.admits(u64::MAX));
    assert_eq!(s.next_admission(42), Some(42));
    assert_eq!(s.next_change(42), None);
}

#[test]
fn nightly_window_crossing_midnight_cut_by_the_end() {
    let s = Schedule {
        start: Some(ms("2024-06-01T00:00")),
        end: Some(ms("2024-06-03T00:30")),
        end_behavior: EndBehavior::Cancel,
        windows: vec![window("cron(0 23 * * ? *)", 120)],
    };
    assert_timeline(
        &s,
        &[
            (
                "2024-06-01T12:00",
                false,
                Some("2024-06-01T23:00"),
                Some("2024-06-01T23:00"),
            ),
            (
                "2024-06-02T00:59",
                true,
                Some("2024-06-02T00:59"),
                Some("2024-06-02T01:00"),
            ),
            (
                "2024-06-03T00:00",
                true,
                Some("2024-06-03T00:00"),
                Some("2024-06-03T00:30"),
            ),
            (
                "2024-06-03T00:29",
                true,
                Some("2024-06-03T00:29"),
                Some("2024-06-03T00:30"),
            ),
            ("2024-06-03T00:30", false, None, None),
        ],
    );
}

#[test]
fn start_inside_an_open_window() {
    let s = windowed("2024-06-01T23:30", "cron(0 23 * * ? *)", 120);
    assert_timeline(
        &s,
        &[
            (
                "1970-01-01T00:00",
                false,
                Some("2024-06-01T23:30"),
                Some("2024-06-01T23:30"),
            ),
            (
                "2024-06-01T23:30",
                true,
                Some("2024-06-01T23:30"),
                Some("2024-06-02T01:00"),
            ),
        ],
    );
    assert_eq!(
        s.upcoming_starts(0, 2),
        [ms("2024-06-02T23:00"), ms("2024-06-03T23:00")]
    );
}

#[test]
fn overlapping_windows_of_two_entries() {
    let s = Schedule {
        start: Some(ms("2024-06-01T00:00")),
        windows: vec![
            window("cron(0 1 * * ? *)", 120),
            window("cron(0 2 * * ? *)", 120),
        ],
        ..Schedule::default()
    };
    // The first window closes at 03:00 while the second is open: a change that flips nothing.
    assert_timeline(
        &s,
        &[
            (
                "2024-06-01T02:30",
                true,
                Some("2024-06-01T02:30"),
                Some("2024-06-01T03:00"),
            ),
            (
                "2024-06-01T03:00",
                true,
                Some("2024-06-01T03:00"),
                Some("2024-06-01T04:00"),
            ),
            (
                "2024-06-01T03:59",
                true,
                Some("2024-06-01T03:59"),
                Some("2024-06-01T04:00"),
            ),
            (
                "2024-06-01T04:00",
                false,
                Some("2024-06-02T01:00"),
                Some("2024-06-02T01:00"),
            ),
        ],
    );
}

#[test]
fn upcoming_starts_merge_windows_within_start_and_end() {
    let s = Schedule {
        start: Some(ms("2024-06-01T00:00")),
        end: Some(ms("2024-06-04T12:00")),
        windows: vec![
            window("cron(0 2 * * ? *)", 60),
            window("cron(0 2,14 ? * SUN,SAT *)", 60),
        ],
        ..Schedule::default()
    };
    let starts: Vec<_> = s
        .upcoming_starts(0, SCHEDULED_ROLLOUTS)
        .into_iter()
        .map(format_schedule_time)
        .collect();
    assert_eq!(
        starts,
        [
            "2024-06-01T02:00",
            "2024-06-01T14:00",
            "2024-06-02T02:00",
            "2024-06-02T14:00",
            "2024-06-03T02:00",
            "2024-06-04T02:00",
        ]
    );
    assert_eq!(
        s.upcoming_starts(ms("2024-06-02T02:00"), 1),
        [ms("2024-06-02T02:00")]
    );
    assert!(s.upcoming_starts(0, 0).is_empty());
}

#[test]
fn windows_that_never_open() {
    let s = windowed("2024-06-01T00:00", "cron(0 0 30 FEB ? *)", 60);
    assert_eq!(s.next_admission(0), None);
    assert_eq!(s.next_change(0), Some(ms("2024-06-01T00:00")));
    assert_eq!(s.next_change(ms("2024-06-01T00:00")), None);
    assert!(s.upcoming_starts(0, 7).is_empty());
}

// ---- properties ----

const EXPRESSIONS: [&str; 8] = [
    "cron(0 22 * * ? *)",
    "cron(0/30 * * * ? *)",
    "cron(15 3 ? * MON-FRI *)",
    "cron(0 0 L * ? *)",
    "cron(0 12 ? * 6#2 *)",
    "cron(45 23 ? * SUN *)",
    "cron(0 0 1 3 ? 2024)",
    "cron(0 0 31 2 ? *)",
];

fn any_window() -> impl Strategy<Value = MaintenanceWindow> {
    let listed = proptest::sample::select(&EXPRESSIONS[..]).prop_map(String::from);
    let daily = (0_u32..60, 0_u32..24).prop_map(|(m, h)| format!("cron({m} {h} * * ? *)"));
    (prop_oneof![listed, daily], 1_u32..=1430).prop_map(|(e, d)| window(&e, d))
}

fn any_schedule() -> impl Strategy<Value = Schedule> {
    let base = ms("2024-01-01T00:00");
    let start = proptest::option::of(base..base + 60 * 1440 * MINUTE_MS);
    let span = proptest::option::of(30 * MINUTE_MS..60 * 1440 * MINUTE_MS);
    let windows = proptest::collection::vec(any_window(), 0..3);
    (start, span, windows).prop_map(move |(start, span, windows)| Schedule {
        start,
        end: span.map(|s| start.unwrap_or(base) + s),
        end_behavior: EndBehavior::StopRollout,
        windows,
    })
}

fn any_instant() -> impl Strategy<Value = u64> {
    ms("2023-12-01T00:00")..ms("2024-06-01T00:00")
}

/// Follow `next_change` from `t` until `admits` holds; `None` if it never does (or not
/// within `steps`, reported as `Some(None)` being impossible to tell: skipped).
fn walk_to_admission(s: &Schedule, t: u64, steps: usize) -> Result<Option<u64>, ()> {
    let mut at = t;
    for _ in 0..steps {
        if s.admits(at) {
            return Ok(Some(at));
        }
        match s.next_change(at) {
            Some(next) => at = next,
            None => return Ok(None),
        }
    }
    Err(())
}

proptest! {
    #[test]
    fn next_admission_is_the_first_admitted_instant(s in any_schedule(), t in any_instant(), probes in proptest::collection::vec(0.0_f64..1.0, 4)) {
        match s.next_admission(t) {
            Some(a) => {
                prop_assert!(a >= t);
                prop_assert!(s.admits(a));
                if a > t {
                    prop_assert!(!s.admits(t) && !s.admits(a - 1));
                    for p in probes {
                        let x = t + ((a - t) as f64 * p) as u64;
                        prop_assert!(!s.admits(x), "admitted at {} before {}", x, a);
                    }
                }
            }
            None => prop_assert!(!s.admits(t)),
        }
        if let Ok(walked) = walk_to_admission(&s, t, 5_000) {
            prop_assert_eq!(walked, s.next_admission(t));
        }
    }

    #[test]
    fn admits_is_constant_until_next_change(s in any_schedule(), t in any_instant(), probes in proptest::collection::vec(0.0_f64..1.0, 6)) {
        let now = s.admits(t);
        match s.next_change(t) {
            Some(c) => {
                prop_assert!(c > t);
                prop_assert_eq!(s.admits(c - 1), now);
                for p in probes {
                    let x = t + ((c - t) as f64 * p) as u64;
                    prop_assert_eq!(s.admits(x), now, "at {} before {}", x, c);
                }
            }
            None => {
                for p in probes {
                    let x = t + (1e13 * p) as u64;
                    prop_assert_eq!(s.admits(x), now, "at {} after the last change", x);
                }
            }
        }
    }

    #[test]
    fn upcoming_starts_are_every_start_in_order(s in any_schedule(), t in any_instant(), n in 0_usize..10) {
        let starts = s.upcoming_starts(t, n);
        prop_assert!(starts.len() <= n);
        let from = t.max(s.start.unwrap_or(0));
        let first_after = |x: u64| s.windows.iter().filter_map(|w| w.start.next_at_or_after(x)).min();
        let mut cursor = from;
        for &st in &starts {
            prop_assert!(!s.has_ended(st));
            prop_assert_eq!(first_after(cursor), Some(st));
            cursor = st + 1;
        }
        if starts.len() < n {
            prop_assert!(first_after(cursor).is_none_or(|x| s.has_ended(x)));
        }
    }
}
