//! Describing the root keys' documents: a trust update's root statement, a floor reset.

use ota_core::crypto::Base64Mode;
use ota_core::crypto::TrustStore;
use ota_core::document::{FloorReset, TrustUpdate};
use ota_core::trust::{
    FloorResetStatement, MAX_FLOOR_RESET_LEN, MAX_ROOT_LEN, RoleStatement, Root, RootStatement,
    RootUpdate, check_floor_reset,
};

use super::{MAX_TRUST, Report};

/// Print what the document says; returns the statement bytes when they decode.
pub(super) fn describe(update: &TrustUpdate<'_>, report: &mut Report) -> Option<Vec<u8>> {
    report.line("format:", "trust_update (signed root statement)");
    let mut scratch = [0u8; MAX_ROOT_LEN];
    let Ok(bytes) = update.root.decode_base64(&mut scratch, Base64Mode::Strict) else {
        report.problem(
            "root:",
            format!("not strict base64 of at most {MAX_ROOT_LEN} bytes"),
        );
        return None;
    };
    let bytes = bytes.to_vec();
    match RootStatement::parse(&bytes) {
        Ok(statement) => {
            report.line("product:", statement.product.to_string());
            report.line("root version:", statement.version.to_string());
            describe_role("root keys:", &statement.root, report);
            describe_role("release keys:", &statement.release, report);
            if let Some(timestamp) = &statement.timestamp {
                describe_role("timestamp keys:", timestamp, report);
            }
            if let Err(e) = Root::<{ ota_core::trust::MAX_ROLE_KEYS }>::from_statement(&statement) {
                report.problem("statement:", e.to_string());
            }
        }
        Err(e) => report.problem("statement:", format!("malformed: {e}")),
    }
    report.line("key id:", update.key_id.to_string());
    if let Some(list) = update.cosignatures {
        let ids: Vec<String> = list.iter().map(|c| c.key_id.to_string()).collect();
        report.line("cosigned by:", ids.join(", "));
    }
    Some(bytes)
}

fn describe_role(label: &str, role: &RoleStatement<'_>, report: &mut Report) {
    let algorithms: Vec<&str> = role.keys.iter().map(|k| k.algorithm.name()).collect();
    report.line(
        label,
        format!(
            "{} needed of {} ({})",
            role.threshold,
            role.keys.len(),
            algorithms.join(", ")
        ),
    );
}

/// What a device whose current root keys are `root_keys` (with their threshold) would
/// decide: [`Root::check_update`], the device's own check. Without keys, the signatures are
/// not checked; without `product` or `root_version` those checks are left out.
pub(super) fn verdict(
    update: &TrustUpdate<'_>,
    statement: &[u8],
    root_keys: &TrustStore<MAX_TRUST>,
    product: Option<&str>,
    root_version: Option<u32>,
    report: &mut Report,
) {
    if root_keys.is_empty() {
        report.line(
            "verdict:",
            "signatures not checked (give the devices' current root keys: --trust ROOT.pub.pem... --threshold N)",
        );
        return;
    }
    let Ok(parsed) = RootStatement::parse(statement) else {
        return report.problem("verdict:", "a device would reject it: bad_root");
    };
    let own_product = parsed.product.to_string();
    let product = product.unwrap_or(&own_product);
    // The release role does not take part in the check: the root keys stand in for it.
    let Ok(current) = Root::new(
        root_version.unwrap_or(0),
        root_keys.clone(),
        root_keys.clone(),
    ) else {
        return report.problem("verdict:", "the --trust keys and --threshold make no root");
    };
    let mut scratch = [0u8; MAX_ROOT_LEN];
    let unchecked = match (root_version, product == own_product) {
        (None, _) => " (root version not checked: give --root-version)",
        _ => "",
    };
    match current.check_update(update, product, &mut scratch) {
        Ok(RootUpdate::Newer { root, .. }) => report.line(
            "verdict:",
            format!(
                "a device holding these root keys would take root {}{unchecked}",
                root.version()
            ),
        ),
        Ok(RootUpdate::Current) => {
            report.line("verdict:", "the root the device holds: nothing to change")
        }
        Err(e) => report.problem("verdict:", format!("a device would reject it: {e}")),
    }
}

/// Print what a floor-reset document says; returns the statement bytes when they decode.
pub(super) fn describe_reset(reset: &FloorReset<'_>, report: &mut Report) -> Option<Vec<u8>> {
    report.line(
        "format:",
        "floor_reset (root-signed anti-rollback floor reset)",
    );
    let mut scratch = [0u8; MAX_FLOOR_RESET_LEN];
    let Ok(bytes) = reset
        .statement
        .decode_base64(&mut scratch, Base64Mode::Strict)
    else {
        report.problem(
            "statement:",
            format!("not strict base64 of at most {MAX_FLOOR_RESET_LEN} bytes"),
        );
        return None;
    };
    let bytes = bytes.to_vec();
    match ota_core::json::from_slice::<FloorResetStatement<'_>>(&bytes) {
        Ok(s) => {
            report.line("product:", s.product.to_string());
            report.line("hardware:", s.hardware.to_string());
            report.line("sequence:", s.sequence.to_string());
            report.line(
                "allows:",
                format!(
                    "version {} with security counter {} below the floor, once",
                    s.version, s.security_counter
                ),
            );
        }
        Err(e) => report.problem("statement:", format!("malformed: {e}")),
    }
    report.line("key id:", reset.key_id.to_string());
    Some(bytes)
}

/// What a device whose root keys are `root_keys` would decide on a floor reset (its last
/// reset's sequence taken as 0; without --product/--hardware, the statement's own).
pub(super) fn reset_verdict(
    reset: &FloorReset<'_>,
    statement: &[u8],
    root_keys: &TrustStore<MAX_TRUST>,
    identity: (Option<&str>, Option<&str>),
    report: &mut Report,
) {
    if root_keys.is_empty() {
        report.line(
            "verdict:",
            "signatures not checked (give the devices' root keys: --trust ROOT.pub.pem... --threshold N)",
        );
        return;
    }
    let Ok(parsed) = ota_core::json::from_slice::<FloorResetStatement<'_>>(statement) else {
        return report.problem("verdict:", "a device would reject it: bad_document");
    };
    let (own_product, own_hardware) = (parsed.product.to_string(), parsed.hardware.to_string());
    let product = identity.0.unwrap_or(&own_product);
    let hardware = identity.1.unwrap_or(&own_hardware);
    let mut scratch = [0u8; MAX_FLOOR_RESET_LEN];
    match check_floor_reset(reset, root_keys, product, hardware, 0, &mut scratch) {
        Ok(allowance) => report.line(
            "verdict:",
            format!(
                "a device holding these root keys would allow {} (counter {}) once, unless it took reset {} or a later one already",
                allowance.version, allowance.security_counter, allowance.sequence
            ),
        ),
        Err(e) => report.problem("verdict:", format!("a device would reject it: {e}")),
    }
}
