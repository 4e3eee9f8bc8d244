//! The TLS client setup SMTP and IMAP share: the system's trusted CAs plus
//! an optional CA file, with rustls on the ring provider.

use std::path::Path;
use std::sync::Arc;

use rustls::pki_types::CertificateDer;
use rustls::pki_types::pem::PemObject;

/// Why no TLS client could be set up.
#[derive(Debug)]
pub(crate) enum SetupError {
    /// The configured CA file is at fault.
    CaFile(String),
    /// Anything else: no trusted CA at all, the protocol versions.
    Tls(String),
}

/// A client configuration trusting the system store and `ca_file`.
pub(crate) fn client_config(
    ca_file: Option<&Path>,
) -> Result<Arc<rustls::ClientConfig>, SetupError> {
    let mut roots = rustls::RootCertStore::empty();
    // Unreadable entries in the system store are skipped, as browsers do;
    // an empty store only matters when no CA file is given either.
    let system = rustls_native_certs::load_native_certs();
    roots.add_parsable_certificates(system.certs);
    if let Some(path) = ca_file {
        let certs = CertificateDer::pem_file_iter(path)
            .map_err(|e| SetupError::CaFile(e.to_string()))?
            .collect::<Result<Vec<_>, _>>()
            .map_err(|e| SetupError::CaFile(e.to_string()))?;
        if certs.is_empty() {
            return Err(SetupError::CaFile("no PEM certificate in it".into()));
        }
        for cert in certs {
            roots
                .add(cert)
                .map_err(|e| SetupError::CaFile(e.to_string()))?;
        }
    }
    if roots.is_empty() {
        return Err(SetupError::Tls(
            "no trusted CA: the system store is empty (install ca-certificates) \
             and no CA file is configured"
                .into(),
        ));
    }
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| SetupError::Tls(e.to_string()))?
        .with_root_certificates(roots)
        .with_no_client_auth();
    Ok(Arc::new(config))
}
