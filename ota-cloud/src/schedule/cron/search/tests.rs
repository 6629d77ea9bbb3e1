//! `next_at_or_after` and `previous_at_or_before` against known answers and against a
//! minute-by-minute search with an independent reading of the expression.

use std::collections::BTreeSet;
use std::format;
use std::string::{String, ToString};
use std::vec::Vec;

use jiff::civil::{Date, DateTime};
use proptest::prelude::*;

use crate::schedule::civil::{MINUTE_MS, aws_weekday, date, minute_of, unix_ms};
use crate::schedule::cron::Cron;
use crate::schedule::time::{format_schedule_time, parse_schedule_time};

fn ms(text: &str) -> u64 {
    parse_schedule_time(text).unwrap()
}

fn next(expr: &str, from: &str) -> Option<String> {
    let c = Cron::parse(expr).unwrap();
    c.next_at_or_after(ms(from)).map(format_schedule_time)
}

fn prev(expr: &str, from: &str) -> Option<String> {
    let c = Cron::parse(expr).unwrap();
    c.previous_at_or_before(ms(from)).map(format_schedule_time)
}

fn some(text: &str) -> Option<String> {
    Some(text.to_string())
}

#[test]
fn known_next_and_previous() {
    let daily = "cron(0 10 * * ? *)";
    assert_eq!(next(daily, "2024-06-03T10:00"), some("2024-06-03T10:00"));
    assert_eq!(next(daily, "2024-06-03T10:01"), some("2024-06-04T10:00"));
    assert_eq!(next(daily, "2024-12-31T10:01"), some("2025-01-01T10:00"));
    assert_eq!(prev(daily, "2024-06-03T09:59"), some("2024-06-02T10:00"));
    assert_eq!(prev(daily, "2025-01-01T09:00"), some("2024-12-31T10:00"));
    let leap = "cron(0 0 29 FEB ? *)";
    assert_eq!(next(leap, "2025-03-01T00:00"), some("2028-02-29T00:00"));
    assert_eq!(prev(leap, "2027-12-31T00:00"), some("2024-02-29T00:00"));
    assert_eq!(
        next("cron(0 0 29 2 ? 2100/4)", "2024-01-01T00:00"),
        some("2104-02-29T00:00")
    );
    assert_eq!(next("cron(0 0 31 2 ? *)", "1970-01-01T00:00"), None);
    assert_eq!(prev("cron(0 0 31 2 ? *)", "2199-12-31T23:59"), None);
    assert_eq!(
        next("cron(0 9 ? * 2#1 *)", "2024-06-04T00:00"),
        some("2024-07-01T09:00")
    );
    assert_eq!(
        next("cron(0 9 ? * 2#5 *)", "2024-06-01T00:00"),
        some("2024-07-29T09:00")
    );
    assert_eq!(
        prev("cron(0 9 ? * 6L *)", "2024-06-28T08:59"),
        some("2024-05-31T09:00")
    );
    assert_eq!(
        next("cron(30 23 L * ? *)", "2024-02-01T00:00"),
        some("2024-02-29T23:30")
    );
    assert_eq!(
        next("cron(0 0 LW * ? *)", "2024-08-01T00:00"),
        some("2024-08-30T00:00")
    );
    assert_eq!(
        next("cron(0/15 * * * ? *)", "2024-06-03T10:07"),
        some("2024-06-03T10:15")
    );
    assert_eq!(
        next("cron(0/15 * * * ? *)", "2024-06-03T23:50"),
        some("2024-06-04T00:00")
    );
    assert_eq!(
        prev("cron(0/15 * * * ? *)", "2024-06-03T00:14"),
        some("2024-06-03T00:00")
    );
    assert_eq!(
        prev("cron(45 22 * * ? *)", "2024-03-01T00:00"),
        some("2024-02-29T22:45")
    );
}

#[test]
fn rounding_to_the_minute() {
    let every = Cron::parse("cron(* * * * ? *)").unwrap();
    assert_eq!(every.next_at_or_after(1), Some(MINUTE_MS));
    assert_eq!(every.next_at_or_after(MINUTE_MS), Some(MINUTE_MS));
    assert_eq!(every.previous_at_or_before(MINUTE_MS - 1), Some(0));
    assert_eq!(every.previous_at_or_before(0), Some(0));
}

#[test]
fn ends_of_the_year_range() {
    let every = Cron::parse("cron(* * * * ? *)").unwrap();
    let last = ms("2199-12-31T23:59");
    assert_eq!(every.next_at_or_after(last), Some(last));
    assert_eq!(every.next_at_or_after(last + 1), None);
    assert_eq!(every.next_at_or_after(u64::MAX), None);
    assert_eq!(every.previous_at_or_before(u64::MAX), Some(last));
    assert_eq!(
        every.previous_at_or_before(last + 10 * MINUTE_MS),
        Some(last)
    );
    let first_2030 = Cron::parse("cron(0 0 1 1 ? 2030)").unwrap();
    assert_eq!(
        first_2030.previous_at_or_before(ms("2029-12-31T23:59")),
        None
    );
    assert_eq!(first_2030.next_at_or_after(ms("2030-01-01T00:01")), None);
    let y1970 = Cron::parse("cron(0 0 1 1 ? 1970)").unwrap();
    assert_eq!(y1970.previous_at_or_before(0), Some(0));
    assert_eq!(y1970.previous_at_or_before(u64::MAX), Some(0));
}

#[test]
fn sparse_expressions_end_the_search() {
    // Never matches: the search must still end (it visits each month of 230 years once, with
    // no minute loop; the speed itself is a benchmark matter, not asserted here).
    let never = Cron::parse("cron(59 23 30 FEB ? *)").unwrap();
    assert_eq!(never.next_at_or_after(0), None);
    assert_eq!(never.previous_at_or_before(u64::MAX), None);
}

// ---- an independent reading of generated expressions ----

/// A generated day rule, with its text and its meaning kept apart from the parser's.
#[derive(Debug, Clone)]
enum DayGen {
    MonthDays(BTreeSet<u32>, String),
    Last,
    LastWeekday,
    Nearest(u8),
    Weekdays(BTreeSet<u32>, String),
    LastOf(u8),
    Nth(u8, u8),
}

#[derive(Debug, Clone)]
struct Gen {
    minutes: (BTreeSet<u32>, String),
    hours: (BTreeSet<u32>, String),
    day: DayGen,
    months: (BTreeSet<u32>, String),
    years: (BTreeSet<u32>, String),
}

fn is_weekday(d: Date) -> bool {
    (2..=6).contains(&aws_weekday(d))
}

impl DayGen {
    fn fields(&self) -> (String, String) {
        let q = "?".to_string();
        match self {
            Self::MonthDays(_, t) => (t.clone(), q),
            Self::Last => ("L".to_string(), q),
            Self::LastWeekday => ("LW".to_string(), q),
            Self::Nearest(n) => (format!("{n}W"), q),
            Self::Weekdays(_, t) => (q, t.clone()),
            Self::LastOf(w) => (q, format!("{w}L")),
            Self::Nth(w, n) => (q, format!("{w}#{n}")),
        }
    }

    /// Whether the day of `c` matches, by looking at the whole month.
    fn holds(&self, c: Date) -> bool {
        let this = c.day().unsigned_abs();
        let day = |d: u8| date(c.year().into(), c.month().unsigned_abs(), d);
        let month: Vec<Date> = (1..=31).filter_map(day).collect();
        let weekday = aws_weekday(c);
        match self {
            Self::MonthDays(set, _) => set.contains(&this.into()),
            Self::Last => day(this + 1).is_none(),
            Self::LastWeekday => is_weekday(c) && !month.iter().any(|d| *d > c && is_weekday(*d)),
            Self::Nearest(n) => {
                let best = month
                    .iter()
                    .filter(|d| is_weekday(**d))
                    .min_by_key(|d| d.day().unsigned_abs().abs_diff(*n));
                usize::from(*n) <= month.len() && best == Some(&c)
            }
            Self::Weekdays(set, _) => set.contains(&weekday.into()),
            Self::LastOf(w) => weekday == *w && day(this + 7).is_none(),
            Self::Nth(w, n) => {
                weekday == *w
                    && month
                        .iter()
                        .filter(|d| aws_weekday(**d) == *w && **d <= c)
                        .count()
                        == usize::from(*n)
            }
        }
    }
}

impl Gen {
    fn text(&self) -> String {
        let (dom, dow) = self.day.fields();
        format!(
            "cron({} {} {} {} {} {})",
            self.minutes.1, self.hours.1, dom, self.months.1, dow, self.years.1
        )
    }

    fn holds(&self, unix_ms: u64) -> bool {
        let c: DateTime = minute_of(unix_ms).unwrap();
        let has = |set: &BTreeSet<u32>, v: i8| set.contains(&v.unsigned_abs().into());
        has(&self.minutes.0, c.minute())
            && has(&self.hours.0, c.hour())
            && has(&self.months.0, c.month())
            && u32::try_from(c.year()).is_ok_and(|y| self.years.0.contains(&y))
            && self.day.holds(c.date())
    }
}

/// A plain field over `min..=max`: its text and its values.
fn plain(min: u32, max: u32) -> BoxedStrategy<(BTreeSet<u32>, String)> {
    let span = max - min + 1;
    let step = |from: u32, to: u32, s: u32| (from..=to).step_by(s as usize).collect();
    prop_oneof![
        6 => plain_without_steps(min, max),
        1 => (min..=max, 1..=span).prop_map(move |(a, s)| (step(a, max, s), format!("{a}/{s}"))),
        1 => (1..=span).prop_map(move |s| (step(min, max, s), format!("*/{s}"))),
        1 => (min..=max, min..=max, 1..=span).prop_map(move |(a, b, s)| {
            let (a, b) = (a.min(b), a.max(b));
            (step(a, b, s), format!("{a}-{b}/{s}"))
        }),
    ]
    .boxed()
}

/// A plain field without steps (day-of-week takes none).
fn plain_without_steps(min: u32, max: u32) -> BoxedStrategy<(BTreeSet<u32>, String)> {
    prop_oneof![
        3 => Just(((min..=max).collect(), "*".to_string())),
        2 => (min..=max).prop_map(|a| ([a].into(), a.to_string())),
        2 => (min..=max, min..=max).prop_map(|(a, b)| {
            let (a, b) = (a.min(b), a.max(b));
            ((a..=b).collect(), format!("{a}-{b}"))
        }),
        2 => proptest::collection::vec(min..=max, 1..4).prop_map(|v| {
            let text = v.iter().map(ToString::to_string).collect::<Vec<_>>().join(",");
            (v.into_iter().collect(), text)
        }),
    ]
    .boxed()
}

fn years() -> BoxedStrategy<(BTreeSet<u32>, String)> {
    prop_oneof![
        4 => Just(((1970..=2199).collect(), "*".to_string())),
        1 => (2022_u32..2032).prop_map(|y| ([y].into(), y.to_string())),
        1 => (2022_u32..2032, 0_u32..3).prop_map(|(y, n)| ((y..=y + n).collect(), format!("{y}-{}", y + n))),
        1 => (2022_u32..2032, 1_u32..3).prop_map(|(y, s)| ((y..=2199).step_by(s as usize).collect(), format!("{y}/{s}"))),
    ]
    .boxed()
}

fn day_rule() -> BoxedStrategy<DayGen> {
    prop_oneof![
        4 => plain(1, 31).prop_map(|(s, t)| DayGen::MonthDays(s, t)),
        4 => plain_without_steps(1, 7).prop_map(|(s, t)| DayGen::Weekdays(s, t)),
        1 => Just(DayGen::Last),
        1 => Just(DayGen::LastWeekday),
        1 => (1_u8..=31).prop_map(DayGen::Nearest),
        1 => (1_u8..=7).prop_map(DayGen::LastOf),
        1 => (1_u8..=7, 1_u8..=5).prop_map(|(w, n)| DayGen::Nth(w, n)),
    ]
    .boxed()
}

fn expression() -> impl Strategy<Value = Gen> {
    let months = prop_oneof![3 => Just(((1..=12).collect(), "*".to_string())), 1 => plain(1, 12)];
    (plain(0, 59), plain(0, 23), day_rule(), months, years()).prop_map(
        |(minutes, hours, day, months, years)| Gen {
            minutes,
            hours,
            day,
            months,
            years,
        },
    )
}

/// Instants from 2022 to 2032, half of them within two days of a month's end.
fn instant() -> impl Strategy<Value = u64> {
    let any_time = ms("2022-01-01T00:00")..ms("2032-01-01T00:00");
    let month_end =
        (2022_i32..2032, 1_u8..=12, 0_u64..2 * 1440 * MINUTE_MS).prop_map(|(y, m, off)| {
            let last = date(y, m, 1).unwrap().last_of_month();
            unix_ms(last.into()).unwrap() - MINUTE_MS * 1440 + off
        });
    prop_oneof![any_time, month_end]
}

/// Minutes searched by brute force in each direction.
const HORIZON: u64 = 3 * 1440;

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    #[test]
    fn agrees_with_a_minute_by_minute_search(g in expression(), t in instant()) {
        let text = g.text();
        let c = Cron::parse(&text).unwrap();
        let first = t.div_ceil(MINUTE_MS) * MINUTE_MS;
        let forward = (0..HORIZON).map(|i| first + i * MINUTE_MS);
        let mut found = None;
        for m in forward {
            prop_assert_eq!(c.matches(m), g.holds(m), "{} at {}", text, format_schedule_time(m));
            if found.is_none() && g.holds(m) {
                found = Some(m);
            }
        }
        let got = c.next_at_or_after(t);
        match found {
            Some(m) => prop_assert_eq!(got, Some(m), "{}", text),
            None => prop_assert!(got.is_none_or(|n| n >= first + HORIZON * MINUTE_MS), "{}", text),
        }
        let last = t - t % MINUTE_MS;
        let back = (0..HORIZON).map(|i| last - i * MINUTE_MS).find(|m| g.holds(*m));
        let got = c.previous_at_or_before(t);
        match back {
            Some(m) => prop_assert_eq!(got, Some(m), "{}", text),
            None => prop_assert!(got.is_none_or(|p| p + HORIZON * MINUTE_MS <= last), "{}", text),
        }
    }

    #[test]
    fn next_and_previous_bracket_the_gaps(g in expression(), t in 0_u64..7_300_000_000_000) {
        let c = Cron::parse(&g.text()).unwrap();
        let t = t - t % MINUTE_MS;
        let n = c.next_at_or_after(t);
        let p = t.checked_sub(1).and_then(|b| c.previous_at_or_before(b));
        if let Some(n) = n {
            prop_assert!(n >= t && g.holds(n));
            prop_assert_eq!(c.previous_at_or_before(n), Some(n));
            prop_assert_eq!(n.checked_sub(1).and_then(|b| c.previous_at_or_before(b)), p);
        }
        if let Some(p) = p {
            prop_assert!(p < t && g.holds(p));
            prop_assert_eq!(c.next_at_or_after(p), Some(p));
            prop_assert_eq!(c.next_at_or_after(p + 1), n);
        }
    }
}
