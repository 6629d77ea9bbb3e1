//! One link of a chain: the child's signature checked with the issuer's key, through
//! [`crate::crypto`] (no ring, no aws-lc).

use x509_parser::oid_registry::{
    OID_PKCS1_RSASSAPSS, OID_PKCS1_SHA256WITHRSA, OID_SIG_ECDSA_WITH_SHA256,
};
use x509_parser::x509::AlgorithmIdentifier;

use super::checks::Cert;
use super::{CodeSigningPolicy, X509Error};
use crate::crypto::{Algorithm, PublicKey, SignatureEncoding, TrustedKey};

/// Contents of the RSASSA-PSS-params SEQUENCE for SHA-256, MGF1-SHA-256, salt 32, trailer 1,
/// with NULL parameters in both hash AlgorithmIdentifiers (what OpenSSL writes).
const PSS_SHA256_PARAMS: &[u8] = &[
    0xa0, 0x0f, 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05,
    0x00, 0xa1, 0x1c, 0x30, 0x1a, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08,
    0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0x05, 0x00, 0xa2,
    0x03, 0x02, 0x01, 0x20,
];
/// The same with the NULL parameters left out (also allowed by RFC 4055).
const PSS_SHA256_PARAMS_NO_NULL: &[u8] = &[
    0xa0, 0x0d, 0x30, 0x0b, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0xa1,
    0x1a, 0x30, 0x18, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08, 0x30, 0x0b,
    0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65, 0x03, 0x04, 0x02, 0x01, 0xa2, 0x03, 0x02, 0x01, 0x20,
];

/// The crypto [`Algorithm`] for a certificate signatureAlgorithm, if the policy allows it.
fn algorithm(id: &AlgorithmIdentifier<'_>, policy: &CodeSigningPolicy) -> Option<Algorithm> {
    let allowed = policy.algorithms;
    let params = id.parameters.as_ref();
    let null_or_absent = params.is_none_or(|p| p.tag().0 == 5 && p.data.is_empty());
    if id.algorithm == OID_SIG_ECDSA_WITH_SHA256 {
        (allowed.ecdsa_p256_sha256 && params.is_none()).then_some(Algorithm::EcdsaP256Sha256)
    } else if id.algorithm == OID_PKCS1_SHA256WITHRSA {
        (allowed.rsa_pkcs1v15_sha256 && null_or_absent).then_some(Algorithm::RsaPkcs1v15Sha256)
    } else if id.algorithm == OID_PKCS1_RSASSAPSS {
        let simple = params.is_some_and(|p| {
            p.tag().0 == 16 && matches!(p.data, PSS_SHA256_PARAMS | PSS_SHA256_PARAMS_NO_NULL)
        });
        (allowed.rsa_pss_sha256 && simple).then_some(Algorithm::RSA_PSS_SHA256)
    } else {
        None
    }
}

/// Verify `child`'s signature with `issuer`'s public key under `policy`.
pub(super) fn verify_link(
    child: &Cert<'_>,
    issuer: &Cert<'_>,
    policy: &CodeSigningPolicy,
) -> Result<(), X509Error> {
    let x509 = &child.x509;
    let not_allowed = X509Error::SignatureAlgorithmNotAllowed(child.at);
    if x509.signature_algorithm != x509.tbs_certificate.signature {
        return Err(not_allowed);
    }
    let algorithm = algorithm(&x509.signature_algorithm, policy).ok_or(not_allowed)?;
    let key = PublicKey::from_spki_der_with(issuer.x509.public_key().raw, policy.rsa).map_err(
        |error| X509Error::Key {
            cert: issuer.at,
            error,
        },
    )?;
    let key = TrustedKey::new(key, algorithm).map_err(|_| not_allowed)?;
    let signature = &x509.signature_value;
    if signature.unused_bits != 0 {
        return Err(X509Error::BadSignature(child.at));
    }
    key.verify_message(
        x509.tbs_certificate.as_ref(),
        &signature.data,
        SignatureEncoding::Der,
    )
    .map_err(|_| X509Error::BadSignature(child.at))
}
