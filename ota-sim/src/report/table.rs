//! The plain-text summary the CLI prints.

use core::fmt::Write as _;

use ota_core::jobs::JobExecutionStatus::*;

use super::Report;

fn minutes(m: Option<f64>) -> String {
    m.map_or_else(|| "-".to_string(), |m| format!("{m:.1} min"))
}

fn bytes(n: u64) -> String {
    match n {
        n if n >= 10_000_000 => format!("{:.1} MB", n as f64 / 1e6),
        n if n >= 10_000 => format!("{:.1} kB", n as f64 / 1e3),
        n => format!("{n} B"),
    }
}

/// A totals row: label and count.
type Row = (&'static str, fn(&super::Totals) -> u64);

/// The rows of the totals table.
const TOTALS_ROWS: [Row; 8] = [
    ("targeted", |t| t.targeted),
    ("succeeded", |t| t.by_status[Succeeded]),
    ("failed", |t| t.by_status[Failed]),
    ("timed out", |t| t.by_status[TimedOut]),
    ("rejected", |t| t.by_status[Rejected]),
    ("canceled", |t| t.by_status[Canceled]),
    ("removed", |t| t.by_status[Removed]),
    ("unfinished", |t| t.unfinished),
];

/// The summary table: totals, times, traffic, stages, invariants.
pub fn summary(r: &Report) -> String {
    let mut s = String::new();
    let _ = writeln!(
        s,
        "scenario {} (seed {}): {} devices, {:.1} simulated minutes{}",
        r.scenario,
        r.seed,
        r.devices,
        r.simulated_minutes,
        if r.hit_horizon {
            ", stopped at the horizon"
        } else {
            ""
        }
    );
    if r.transport != "simulated" {
        let _ = writeln!(s, "transport: {}", r.transport);
    }
    let _ = writeln!(s);
    totals(&mut s, r);
    let _ = writeln!(s);
    fleet(&mut s, r);
    traffic(&mut s, r);
    trust(&mut s, r);
    let _ = writeln!(s);
    stages(&mut s, r);
    let _ = writeln!(s);
    for i in &r.invariants {
        let _ = writeln!(
            s,
            "[{}] {}: {}",
            if i.held { " ok " } else { "FAIL" },
            i.name,
            i.detail
        );
    }
    s
}

/// Release and rollback things by the status of their latest execution, side by side.
fn totals(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "{:<28}{:>10}{:>10}",
        "executions (latest/thing)", "release", "rollback"
    );
    for (name, get) in TOTALS_ROWS {
        let _ = writeln!(
            s,
            "  {name:<26}{:>10}{:>10}",
            get(&r.release),
            get(&r.rollback)
        );
    }
}

/// Where the devices ended up, and the times to finish the release.
fn fleet(s: &mut String, r: &Report) {
    let f = &r.fleet;
    let _ = writeln!(
        s,
        "devices: {} updated, {} rolled back, {} restored by rollback, {} unchanged{}",
        f.updated,
        f.rolled_back,
        f.restored,
        f.unchanged,
        if f.on_trial > 0 {
            format!(", {} still on trial", f.on_trial)
        } else {
            String::new()
        }
    );
    let _ = writeln!(
        s,
        "         {} resets, {} power cuts, {} served a tampered image, {} not targeted",
        f.resets,
        f.power_cuts,
        f.tampered,
        r.excluded.values().sum::<u64>()
    );
    let t = &r.time_to_finish;
    let _ = writeln!(
        s,
        "time to 50% / 90% / 100% of the release finished: {} / {} / {}",
        minutes(t.p50),
        minutes(t.p90),
        minutes(t.p100)
    );
}

/// Messages and bytes, and the devices' reports by reason.
fn traffic(s: &mut String, r: &Report) {
    let m = &r.messages;
    let _ = writeln!(
        s,
        "messages: {} up ({}), {} down ({}); {} blocks served, {} corrupted in transit",
        m.up,
        bytes(m.bytes_up),
        m.down,
        bytes(m.bytes_down),
        m.service.blocks,
        m.service.corrupted_blocks
    );
    if !r.device_reports.is_empty() {
        let list: Vec<String> = r
            .device_reports
            .iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect();
        let _ = writeln!(s, "device reports: {}", list.join(", "));
    }
}

/// The `[trust]` section: the threshold, the roots held, the rotation and the attacks.
fn trust(s: &mut String, r: &Report) {
    let Some(t) = &r.trust else { return };
    let list = |m: &std::collections::BTreeMap<String, u64>| {
        m.iter()
            .map(|(k, v)| format!("{k} {v}"))
            .collect::<Vec<_>>()
            .join(", ")
    };
    let _ = writeln!(
        s,
        "trust: {} of {} release keys per release; devices by root version: {}; {} running \
         an attacker's image",
        t.threshold,
        t.release_keys,
        list(&t.roots),
        t.compromised
    );
    for (what, job) in t
        .rotation
        .iter()
        .map(|j| ("rotation", j))
        .chain(t.attacks.iter().map(|j| ("stolen key", j)))
    {
        let _ = writeln!(
            s,
            "  {what} {} at minute {}: {} targeted: {}",
            job.job_id,
            job.minute,
            job.targeted,
            list(&job.by_result)
        );
    }
    if t.unreadable_roots > 0 {
        let _ = writeln!(
            s,
            "  {} boots found the stored root unreadable and used the built-in one",
            t.unreadable_roots
        );
    }
}

/// A row per stage, then the unreachable things by reason.
fn stages(s: &mut String, r: &Report) {
    let _ = writeln!(
        s,
        "{:<26}{:<10}{:>9}{:>10}{:>8}{:>10}{:>9}{:>9}{:>11}  verdict",
        "campaign",
        "stage",
        "targeted",
        "succeeded",
        "failed",
        "timed out",
        "rejected",
        "canceled",
        "unfinished"
    );
    for st in &r.stages {
        let verdict = if st.aborted {
            format!("{} (aborted)", st.verdict.as_str())
        } else {
            st.verdict.as_str().to_string()
        };
        let _ = writeln!(
            s,
            "{:<26}{:<10}{:>9}{:>10}{:>8}{:>10}{:>9}{:>9}{:>11}  {}",
            st.campaign,
            st.stage,
            st.targeted,
            st.by_status[Succeeded],
            st.by_status[Failed],
            st.by_status[TimedOut],
            st.by_status[Rejected],
            st.by_status[Canceled],
            st.unfinished,
            verdict
        );
    }
    if !r.unreachable.is_empty() {
        let mut by_reason = std::collections::BTreeMap::new();
        for u in &r.unreachable {
            *by_reason.entry(u.reason.as_str()).or_insert(0u64) += 1;
        }
        let list: Vec<String> = by_reason.iter().map(|(k, v)| format!("{v} {k}")).collect();
        let _ = writeln!(s, "unreachable: {}", list.join(", "));
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn byte_units() {
        assert_eq!(bytes(999), "999 B");
        assert_eq!(bytes(12_345), "12.3 kB");
        assert_eq!(bytes(12_345_678), "12.3 MB");
        assert_eq!(minutes(None), "-");
        assert_eq!(minutes(Some(2.26)), "2.3 min");
    }
}
