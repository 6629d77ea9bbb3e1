//! [`LatestBoard`]: the statements the service hands out, and what devices reported.

use std::collections::{BTreeMap, HashMap};
use std::sync::{Arc, Mutex};

use ota_core::jobs::ErrorCode;
use serde::{Deserialize, Serialize};

use super::SignedLatestStatement;

/// A board shared by the gateway (which answers) and the service (which signs and counts).
pub type SharedBoard = Arc<Mutex<LatestBoard>>;

/// The latest statement of each product, and each device's last report.
#[derive(Debug, Default)]
pub struct LatestBoard {
    statements: BTreeMap<String, SignedLatestStatement>,
    reports: HashMap<String, ThingReport>,
    requests: u64,
}

/// What a device said in its last request.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ThingReport {
    /// Its product.
    pub product: String,
    /// When it asked (service milliseconds).
    pub at_ms: u64,
    /// It got no newer statement for its period.
    pub stale: bool,
    /// Its newest statement names a newer release than it runs.
    pub behind: bool,
    /// The newest `issued` it took.
    pub issued: u64,
}

/// Counts over the devices that ever asked.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct FreshnessSummary {
    /// Devices that asked at least once.
    pub asking: u64,
    /// Of them, the ones whose last request said stale.
    pub stale: u64,
    /// Of them, the ones whose last request said behind.
    pub behind: u64,
    /// Of them, the ones that did not ask for longer than the period given: held back,
    /// offline, or cut off.
    pub silent: u64,
    /// Requests answered (both ways).
    pub requests: u64,
}

#[derive(Deserialize)]
#[serde(rename_all = "camelCase")]
struct Request {
    product: String,
    #[serde(default)]
    stale: bool,
    #[serde(default)]
    behind: bool,
    #[serde(default)]
    issued: u64,
    #[serde(default)]
    client_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Accepted<'s> {
    #[serde(flatten)]
    statement: &'s SignedLatestStatement,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_token: Option<String>,
}

#[derive(Serialize)]
#[serde(rename_all = "camelCase")]
struct Rejected<'s> {
    code: &'s str,
    message: &'s str,
    #[serde(skip_serializing_if = "Option::is_none")]
    client_token: Option<String>,
}

impl LatestBoard {
    /// A board shared between the gateway and the service.
    pub fn shared() -> SharedBoard {
        Arc::new(Mutex::new(Self::default()))
    }

    /// Hand out `statement` for its product from now on (replacing the one before).
    pub fn publish(&mut self, statement: SignedLatestStatement) {
        self.statements.insert(statement.product.clone(), statement);
    }

    /// The statements handed out, by product.
    pub fn statements(&self) -> impl Iterator<Item = &SignedLatestStatement> {
        self.statements.values()
    }

    /// Each device's last report, by thing name.
    pub fn reports(&self) -> impl Iterator<Item = (&str, &ThingReport)> {
        self.reports.iter().map(|(k, v)| (k.as_str(), v))
    }

    /// Answer `thing`'s request: `(true, accepted payload)` with its product's statement,
    /// or `(false, rejected payload)`: `InvalidJson` for a payload that is not a request
    /// (nothing recorded), `ResourceNotFound` when the product has no statement (the report
    /// is recorded). The client token is echoed.
    pub fn answer(&mut self, thing: &str, payload: &[u8], now_ms: u64) -> (bool, Vec<u8>) {
        self.requests += 1;
        let Ok(request) = serde_json::from_slice::<Request>(payload) else {
            return (false, rejected("InvalidJson", "not a latest request", None));
        };
        self.reports.insert(
            thing.to_string(),
            ThingReport {
                product: request.product.clone(),
                at_ms: now_ms,
                stale: request.stale,
                behind: request.behind,
                issued: request.issued,
            },
        );
        match self.statements.get(&request.product) {
            Some(statement) => {
                let body = Accepted {
                    statement,
                    client_token: request.client_token,
                };
                (true, serde_json::to_vec(&body).unwrap_or_default())
            }
            None => (
                false,
                rejected(
                    ErrorCode::ResourceNotFound.as_str(),
                    "no latest statement for this product",
                    request.client_token,
                ),
            ),
        }
    }

    /// Counts over the devices that asked; `silent_after_ms` is the period after which a
    /// device that did not ask counts as silent.
    pub fn summary(&self, now_ms: u64, silent_after_ms: u64) -> FreshnessSummary {
        let mut summary = FreshnessSummary {
            requests: self.requests,
            ..FreshnessSummary::default()
        };
        for report in self.reports.values() {
            summary.asking += 1;
            summary.stale += u64::from(report.stale);
            summary.behind += u64::from(report.behind);
            summary.silent += u64::from(now_ms.saturating_sub(report.at_ms) > silent_after_ms);
        }
        summary
    }
}

fn rejected(code: &str, message: &str, client_token: Option<String>) -> Vec<u8> {
    serde_json::to_vec(&Rejected {
        code,
        message,
        client_token,
    })
    .unwrap_or_default()
}

#[cfg(test)]
mod tests;
