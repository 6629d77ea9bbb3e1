//! Per-certificate checks: version, validity, extensions, and the leaf and issuer profiles.

use spki::ObjectIdentifier;
use x509_parser::certificate::X509Certificate;
use x509_parser::extensions::{BasicConstraints, ExtendedKeyUsage, KeyUsage, ParsedExtension};
use x509_parser::oid_registry::{
    OID_X509_EXT_BASIC_CONSTRAINTS, OID_X509_EXT_EXTENDED_KEY_USAGE, OID_X509_EXT_KEY_USAGE,
    OID_X509_EXT_SUBJECT_ALT_NAME,
};
use x509_parser::x509::X509Version;

use super::policy::{ID_KP_CLIENT_AUTH, ID_KP_CODE_SIGNING, ID_KP_SERVER_AUTH};
use super::{CertRef, CodeSigningPolicy, X509Error};

const ID_KP_EMAIL_PROTECTION: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.4");
const ID_KP_TIME_STAMPING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.8");
const ID_KP_OCSP_SIGNING: ObjectIdentifier = ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.3.9");

/// A parsed certificate and where it came from.
pub(super) struct Cert<'a> {
    pub(super) x509: X509Certificate<'a>,
    pub(super) at: CertRef,
}

impl<'a> Cert<'a> {
    /// Parse exactly one DER certificate.
    pub(super) fn parse(der: &'a [u8], at: CertRef) -> Result<Self, X509Error> {
        use x509_parser::prelude::FromDer as _;
        match X509Certificate::from_der(der) {
            Ok(([], x509)) => Ok(Self { x509, at }),
            _ => Err(X509Error::Malformed(at)),
        }
    }

    /// Whether `issuer`'s subject is this certificate's issuer (byte-for-byte name match).
    pub(super) fn is_issued_by(&self, issuer: &Self) -> bool {
        self.x509.issuer().as_raw() == issuer.x509.subject().as_raw()
    }

    /// Subject and issuer names are identical (RFC 5280 "self-issued").
    pub(super) fn is_self_issued(&self) -> bool {
        self.is_issued_by(self)
    }
}

/// The extensions the profile looks at.
#[derive(Default)]
struct Extensions<'e> {
    basic_constraints: Option<(bool, &'e BasicConstraints)>,
    key_usage: Option<&'e KeyUsage>,
    ext_key_usage: Option<&'e ExtendedKeyUsage<'e>>,
}

/// Checks for every certificate on a path, whatever its role.
fn check_common<'e>(cert: &'e Cert<'_>, now: i64) -> Result<Extensions<'e>, X509Error> {
    let at = cert.at;
    let x509 = &cert.x509;
    if x509.version() != X509Version::V3 {
        return Err(X509Error::NotV3(at));
    }
    let validity = x509.validity();
    if now < validity.not_before.timestamp() {
        return Err(X509Error::NotYetValid(at));
    }
    if now > validity.not_after.timestamp() {
        return Err(X509Error::Expired(at));
    }
    if x509.issuer().iter().next().is_none() {
        return Err(X509Error::EmptyName(at));
    }
    x509.extensions_map()
        .map_err(|_| X509Error::DuplicateExtension(at))?;
    let mut found = Extensions::default();
    for ext in x509.extensions() {
        match ext.parsed_extension() {
            ParsedExtension::BasicConstraints(bc) => {
                found.basic_constraints = Some((ext.critical, bc))
            }
            ParsedExtension::KeyUsage(ku) => found.key_usage = Some(ku),
            ParsedExtension::ExtendedKeyUsage(eku) => found.ext_key_usage = Some(eku),
            _ if is_profile_extension(ext) => return Err(X509Error::MalformedExtension(at)),
            _ if ext.critical && ext.oid != OID_X509_EXT_SUBJECT_ALT_NAME => {
                return Err(X509Error::UnknownCriticalExtension(at));
            }
            _ => {}
        }
    }
    if found
        .ext_key_usage
        .is_some_and(|eku| purposes(eku).next().is_none() && !eku.any)
    {
        return Err(X509Error::MalformedExtension(at));
    }
    let is_ca = found.basic_constraints.is_some_and(|(_, bc)| bc.ca);
    if found.key_usage.is_some_and(KeyUsage::key_cert_sign) && !is_ca {
        return Err(X509Error::KeyCertSignWithoutCa(at));
    }
    Ok(found)
}

/// basicConstraints, keyUsage or extKeyUsage (whatever x509-parser made of them).
fn is_profile_extension(ext: &x509_parser::extensions::X509Extension<'_>) -> bool {
    ext.oid == OID_X509_EXT_BASIC_CONSTRAINTS
        || ext.oid == OID_X509_EXT_KEY_USAGE
        || ext.oid == OID_X509_EXT_EXTENDED_KEY_USAGE
}

/// The purposes an extKeyUsage lists, as DER OID contents (`anyExtendedKeyUsage` excluded).
fn purposes<'e>(eku: &'e ExtendedKeyUsage<'_>) -> impl Iterator<Item = &'e [u8]> {
    let known = [
        (eku.server_auth, ID_KP_SERVER_AUTH.as_bytes()),
        (eku.client_auth, ID_KP_CLIENT_AUTH.as_bytes()),
        (eku.code_signing, ID_KP_CODE_SIGNING.as_bytes()),
        (eku.email_protection, ID_KP_EMAIL_PROTECTION.as_bytes()),
        (eku.time_stamping, ID_KP_TIME_STAMPING.as_bytes()),
        (eku.ocsp_signing, ID_KP_OCSP_SIGNING.as_bytes()),
    ];
    known
        .into_iter()
        .filter_map(|(set, oid)| set.then_some(oid))
        .chain(eku.other.iter().map(|oid| oid.as_bytes()))
}

/// The leaf profile: common checks, no CA (unless allowed), required EKU and KU.
pub(super) fn check_leaf(
    cert: &Cert<'_>,
    now: i64,
    policy: &CodeSigningPolicy,
) -> Result<(), X509Error> {
    let at = cert.at;
    let ext = check_common(cert, now)?;
    if ext.basic_constraints.is_some_and(|(_, bc)| bc.ca) && !policy.allow_ca_leaf {
        return Err(X509Error::LeafIsCa(at));
    }
    if let Some(required) = policy.required_eku {
        let listed = ext
            .ext_key_usage
            .is_some_and(|eku| purposes(eku).any(|oid| oid == required.as_bytes()));
        if !listed {
            return Err(X509Error::MissingExtendedKeyUsage(at));
        }
    }
    if policy.require_digital_signature && !ext.key_usage.is_some_and(KeyUsage::digital_signature) {
        return Err(X509Error::MissingDigitalSignature(at));
    }
    Ok(())
}

/// The issuer profile (intermediates and pinned roots): common checks, non-empty subject,
/// critical basicConstraints with cA, keyCertSign when keyUsage is present, and
/// pathLenConstraint against `below`, the number of non-self-issued intermediates between
/// this issuer and the leaf.
pub(super) fn check_issuer(cert: &Cert<'_>, now: i64, below: usize) -> Result<(), X509Error> {
    let at = cert.at;
    let ext = check_common(cert, now)?;
    if cert.x509.subject().iter().next().is_none() {
        return Err(X509Error::EmptyName(at));
    }
    let Some((critical, bc)) = ext.basic_constraints.filter(|(_, bc)| bc.ca) else {
        return Err(X509Error::NotCa(at));
    };
    if !critical {
        return Err(X509Error::BasicConstraintsNotCritical(at));
    }
    if ext.key_usage.is_some_and(|ku| !ku.key_cert_sign()) {
        return Err(X509Error::MissingKeyCertSign(at));
    }
    if bc
        .path_len_constraint
        .is_some_and(|max| below > max as usize)
    {
        return Err(X509Error::PathLenExceeded(at));
    }
    Ok(())
}
