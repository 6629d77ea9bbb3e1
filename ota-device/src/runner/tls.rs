//! TLS for the MQTT connection: a rustls client configuration (ring provider) from PEM files.

use std::path::PathBuf;
use std::prelude::rust_2024::*;
use std::sync::Arc;

use rustls::pki_types::pem::PemObject;
use rustls::pki_types::{CertificateDer, PrivateKeyDer};
use rustls::{ClientConfig, RootCertStore};

use super::error::RunnerError;

/// The PEM files of a TLS connection: the CA certificates the broker's certificate must chain
/// to, and the device's certificate and key (AWS IoT Core's X.509 device authentication).
///
/// Does not load the system's trust anchors: only `ca` is trusted.
#[derive(Debug, Clone)]
pub struct TlsFiles {
    /// CA certificates (PEM, one or more).
    pub ca: PathBuf,
    /// The device certificate chain (PEM) and its private key (PKCS#8, SEC1 or PKCS#1 PEM),
    /// or `None` for a connection without client authentication.
    pub client: Option<(PathBuf, PathBuf)>,
}

impl TlsFiles {
    /// A rustls client configuration from these files, offering `alpn`.
    ///
    /// # Errors
    /// [`RunnerError::Tls`] naming the file that cannot be read or parsed, or the key that
    /// does not fit the certificate.
    pub fn client_config(&self, alpn: &[String]) -> Result<ClientConfig, RunnerError> {
        let tls = |what: &str, e: &dyn std::fmt::Display| RunnerError::Tls(format!("{what}: {e}"));
        let mut roots = RootCertStore::empty();
        let ca = self.ca.display().to_string();
        for cert in CertificateDer::pem_file_iter(&self.ca).map_err(|e| tls(&ca, &e))? {
            roots
                .add(cert.map_err(|e| tls(&ca, &e))?)
                .map_err(|e| tls(&ca, &e))?;
        }
        if roots.is_empty() {
            return Err(tls(&ca, &"no certificate"));
        }
        // ring rather than aws-lc-rs: no C toolchain beyond a compiler, and a smaller binary;
        // what it lacks is post-quantum key exchange (hence rustls's deprecation note).
        #[allow(deprecated)]
        let provider = Arc::new(rustls::crypto::ring::default_provider());
        let builder = ClientConfig::builder_with_provider(provider)
            .with_safe_default_protocol_versions()
            .map_err(|e| tls("protocol versions", &e))?
            .with_root_certificates(roots);
        let mut config = match &self.client {
            None => builder.with_no_client_auth(),
            Some((cert, key)) => {
                let cert_name = cert.display().to_string();
                let chain = CertificateDer::pem_file_iter(cert)
                    .map_err(|e| tls(&cert_name, &e))?
                    .collect::<Result<Vec<_>, _>>()
                    .map_err(|e| tls(&cert_name, &e))?;
                let key_name = key.display().to_string();
                let key = PrivateKeyDer::from_pem_file(key).map_err(|e| tls(&key_name, &e))?;
                builder
                    .with_client_auth_cert(chain, key)
                    .map_err(|e| tls(&key_name, &e))?
            }
        };
        config.alpn_protocols = alpn.iter().map(|p| p.as_bytes().to_vec()).collect();
        Ok(config)
    }
}
