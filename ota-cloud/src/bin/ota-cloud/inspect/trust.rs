//! Describing a trust-update document: the root statement it carries.

use ota_core::crypto::Base64Mode;
use ota_core::document::TrustUpdate;
use ota_core::trust::{MAX_ROOT_LEN, RoleStatement, Root, RootStatement};

use super::Report;

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
