//! `/metrics`: the service's counters in the Prometheus text format (version 0.0.4), the
//! CloudWatch-style job and execution counts per job and per campaign stage, rollout
//! settings, and the gateway's and HTTP server's message counts.

use core::fmt::Write as _;
use std::sync::atomic::{AtomicU64, Ordering};

use crate::campaign::{CampaignState, CampaignStatus};
use crate::freshness::FreshnessSummary;
use crate::gateway::mqtt::MqttGatewayStats;
use crate::jobs::model::{Job, JobStatus};

/// HTTP-side counters, bumped by the handlers.
#[derive(Debug, Default)]
pub(crate) struct Counts {
    unauthorized: AtomicU64,
    downloads: AtomicU64,
    download_bytes: AtomicU64,
    url_refusals: AtomicU64,
}

impl Counts {
    pub(crate) fn refused_unauthorized(&self) {
        self.unauthorized.fetch_add(1, Ordering::Relaxed);
    }

    pub(crate) fn served_download(&self, bytes: u64) {
        self.downloads.fetch_add(1, Ordering::Relaxed);
        self.download_bytes.fetch_add(bytes, Ordering::Relaxed);
    }

    pub(crate) fn refused_url(&self) {
        self.url_refusals.fetch_add(1, Ordering::Relaxed);
    }
}

/// What one scrape reports.
pub(crate) struct Snapshot<'a> {
    pub(crate) jobs: &'a [Job],
    pub(crate) campaigns: &'a [CampaignStatus],
    pub(crate) gateway: MqttGatewayStats,
    pub(crate) counts: &'a Counts,
    pub(crate) journal_entries: u64,
    pub(crate) things: usize,
    /// The MQTT endpoint's refusals: connects, publishes, subscriptions (none with an
    /// external broker).
    pub(crate) device_refusals: Option<[u64; 3]>,
    /// Freeze defence: the devices' last reports.
    pub(crate) freshness: FreshnessSummary,
    /// Freeze defence: each product's statement, `(product, issued, expires)`.
    pub(crate) latest: Vec<(String, u64, u64)>,
}

/// A label value with `\`, `"` and newlines escaped.
fn label(value: &str) -> String {
    value
        .replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}

fn header(out: &mut String, name: &str, kind: &str, help: &str) {
    let _ = writeln!(out, "# HELP {name} {help}");
    let _ = writeln!(out, "# TYPE {name} {kind}");
}

fn state_name(state: &CampaignState) -> &'static str {
    match state {
        CampaignState::NotStarted => "NOT_STARTED",
        CampaignState::Running => "RUNNING",
        CampaignState::Completed => "COMPLETED",
        CampaignState::Stopped { .. } => "STOPPED",
    }
}

/// The scrape's text.
pub(crate) fn render(s: &Snapshot<'_>) -> String {
    let mut out = String::new();

    header(&mut out, "ota_things", "gauge", "Things in the registry.");
    let _ = writeln!(out, "ota_things {}", s.things);

    header(&mut out, "ota_jobs", "gauge", "Jobs by status.");
    for status in JobStatus::ALL {
        let n = s.jobs.iter().filter(|j| j.status == status).count();
        let _ = writeln!(out, "ota_jobs{{status=\"{}\"}} {n}", status.as_str());
    }

    header(
        &mut out,
        "ota_job_executions",
        "gauge",
        "Things by the status of their latest execution, per job (DescribeJob's jobProcessDetails).",
    );
    for job in s.jobs {
        let id = label(&job.spec.job_id);
        for (status, n) in job.job_process_details.by_status.iter() {
            let _ = writeln!(
                out,
                "ota_job_executions{{job=\"{id}\",status=\"{}\"}} {n}",
                status.as_str()
            );
        }
    }

    header(
        &mut out,
        "ota_job_things_notified",
        "gauge",
        "Things a job has notified so far (its rollout; rate() of it is the rollout rate).",
    );
    for job in s.jobs {
        let notified: u64 = job
            .job_process_details
            .by_status
            .iter()
            .map(|(_, n)| n)
            .sum();
        let _ = writeln!(
            out,
            "ota_job_things_notified{{job=\"{}\"}} {notified}",
            label(&job.spec.job_id)
        );
    }

    header(
        &mut out,
        "ota_job_rollout_max_per_minute",
        "gauge",
        "A job's configured rollout rate (maximumPerMinute), for jobs that set one.",
    );
    for job in s.jobs {
        if let Some(rate) = job
            .spec
            .job_executions_rollout_config
            .as_ref()
            .and_then(|r| r.maximum_per_minute)
        {
            let _ = writeln!(
                out,
                "ota_job_rollout_max_per_minute{{job=\"{}\"}} {rate}",
                label(&job.spec.job_id)
            );
        }
    }

    header(
        &mut out,
        "ota_campaign_state",
        "gauge",
        "1 for each campaign's current state.",
    );
    for c in s.campaigns {
        let _ = writeln!(
            out,
            "ota_campaign_state{{campaign=\"{}\",state=\"{}\",paused=\"{}\"}} 1",
            label(&c.id),
            state_name(&c.state),
            c.paused
        );
    }

    header(
        &mut out,
        "ota_campaign_stage_devices",
        "gauge",
        "Devices of each campaign stage by the status of their latest execution, as the last step saw them (total: the stage's size).",
    );
    for c in s.campaigns {
        for stage in &c.stages {
            let (campaign, name) = (label(&c.id), label(&stage.name));
            let _ = writeln!(
                out,
                "ota_campaign_stage_devices{{campaign=\"{campaign}\",stage=\"{name}\",status=\"total\"}} {}",
                stage.counts.total
            );
            for (status, n) in stage.counts.by_status.iter() {
                let _ = writeln!(
                    out,
                    "ota_campaign_stage_devices{{campaign=\"{campaign}\",stage=\"{name}\",status=\"{}\"}} {n}",
                    status.as_str()
                );
            }
        }
    }

    let g = &s.gateway;
    plain(
        &mut out,
        "counter",
        &[
            (
                "ota_gateway_received_total",
                "MQTT requests received.",
                g.received,
            ),
            (
                "ota_gateway_published_total",
                "MQTT messages published (replies and pushes).",
                g.published,
            ),
            (
                "ota_gateway_notifications_total",
                "notify and notify-next pushes.",
                g.notifications,
            ),
            (
                "ota_gateway_jobs_requests_total",
                "Jobs API requests.",
                g.gateway.jobs_requests,
            ),
            (
                "ota_gateway_stream_requests_total",
                "Streams API requests.",
                g.gateway.stream_requests,
            ),
            (
                "ota_gateway_blocks_total",
                "Stream data blocks sent.",
                g.gateway.blocks,
            ),
            (
                "ota_gateway_malformed_total",
                "Requests refused as malformed.",
                g.gateway.malformed,
            ),
            (
                "ota_gateway_throttled_total",
                "Jobs requests refused with RequestThrottled.",
                g.gateway.throttled,
            ),
            (
                "ota_gateway_shed_total",
                "Requests dropped while the publish backlog was full.",
                g.shed,
            ),
            (
                "ota_gateway_disconnections_total",
                "Broker connection losses.",
                g.disconnections,
            ),
        ],
    );
    plain(
        &mut out,
        "gauge",
        &[(
            "ota_gateway_backlog",
            "Publishes waiting for the broker connection.",
            u64::try_from(g.backlog).unwrap_or(u64::MAX),
        )],
    );

    let c = s.counts;
    let load = |counter: &std::sync::atomic::AtomicU64| counter.load(Ordering::Relaxed);
    plain(
        &mut out,
        "counter",
        &[
            (
                "ota_http_unauthorized_total",
                "Admin API requests refused for a missing or wrong token.",
                load(&c.unauthorized),
            ),
            (
                "ota_artifact_downloads_total",
                "Artifact requests served (whole or ranges).",
                load(&c.downloads),
            ),
            (
                "ota_artifact_bytes_total",
                "Artifact bytes served.",
                load(&c.download_bytes),
            ),
            (
                "ota_artifact_url_refusals_total",
                "Artifact requests refused: unsigned, bad signature or expired.",
                load(&c.url_refusals),
            ),
        ],
    );

    if let Some([connects, publishes, subscriptions]) = s.device_refusals {
        plain(
            &mut out,
            "counter",
            &[
                (
                    "ota_mqtt_refused_connects_total",
                    "MQTT connections refused: not a thing with these credentials, another protocol level, or too many waiting for CONNECT.",
                    connects,
                ),
                (
                    "ota_mqtt_refused_publishes_total",
                    "Connections closed for a publish outside the thing's own topics.",
                    publishes,
                ),
                (
                    "ota_mqtt_refused_subscriptions_total",
                    "Subscriptions refused outside the thing's own topics.",
                    subscriptions,
                ),
            ],
        );
    }

    plain(
        &mut out,
        "gauge",
        &[(
            "ota_journal_entries",
            "Entries in the durable journal.",
            s.journal_entries,
        )],
    );
    freshness(&mut out, s);
    out
}

/// The freeze defence's samples.
fn freshness(out: &mut String, s: &Snapshot<'_>) {
    header(
        out,
        "ota_freshness_devices",
        "gauge",
        "Devices that asked for the latest statement, by what their last request said (stale: no newer statement for their period; behind: a newer release is named) and silent ones (no request for freshness_silent_secs).",
    );
    let f = &s.freshness;
    for (state, n) in [
        ("asking", f.asking),
        ("stale", f.stale),
        ("behind", f.behind),
        ("silent", f.silent),
    ] {
        let _ = writeln!(out, "ota_freshness_devices{{state=\"{state}\"}} {n}");
    }
    plain(
        out,
        "counter",
        &[(
            "ota_latest_requests_total",
            "Latest-statement requests answered.",
            f.requests,
        )],
    );
    header(
        out,
        "ota_latest_expires_seconds",
        "gauge",
        "When each product's latest statement expires (Unix seconds); it is signed again every quarter of its lifetime.",
    );
    for (product, _, expires) in &s.latest {
        let _ = writeln!(
            out,
            "ota_latest_expires_seconds{{product=\"{}\"}} {expires}",
            label(product)
        );
    }
}

/// For each `(name, help, value)`: its `# HELP` and `# TYPE kind` lines and one sample
/// without labels.
fn plain(out: &mut String, kind: &str, rows: &[(&str, &str, u64)]) {
    for (name, help, value) in rows {
        header(out, name, kind, help);
        let _ = writeln!(out, "{name} {value}");
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn labels_are_escaped() {
        assert_eq!(label("a\"b\\c\nd"), "a\\\"b\\\\c\\nd");
    }

    #[test]
    fn every_sample_has_its_header_and_a_number() {
        let counts = Counts::default();
        counts.served_download(10);
        let text = render(&Snapshot {
            jobs: &[],
            campaigns: &[],
            gateway: MqttGatewayStats::default(),
            counts: &counts,
            journal_entries: 7,
            things: 3,
            device_refusals: Some([1, 2, 3]),
            freshness: FreshnessSummary {
                asking: 4,
                stale: 1,
                behind: 2,
                silent: 1,
                requests: 9,
            },
            latest: vec![("acme \"x\"".into(), 10, 20)],
        });
        let mut typed = std::collections::BTreeSet::new();
        for line in text.lines() {
            if let Some(rest) = line.strip_prefix("# TYPE ") {
                typed.insert(rest.split(' ').next().unwrap().to_string());
                continue;
            }
            if line.starts_with('#') {
                continue;
            }
            let (name, value) = line.rsplit_once(' ').unwrap();
            let name = name.split('{').next().unwrap();
            assert!(typed.contains(name), "{name} has no TYPE line");
            assert!(value.parse::<f64>().is_ok(), "{line}");
        }
        assert!(text.contains("ota_things 3\n"));
        assert!(text.contains("ota_journal_entries 7\n"));
        assert!(text.contains("ota_freshness_devices{state=\"stale\"} 1\n"));
        assert!(text.contains("ota_latest_expires_seconds{product=\"acme \\\"x\\\"\"} 20\n"));
        assert!(text.contains("ota_artifact_bytes_total 10\n"));
        assert!(text.contains("ota_mqtt_refused_subscriptions_total 3\n"));
    }
}
