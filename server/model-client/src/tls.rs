//! The rustls configuration handed to reqwest: the ring crypto provider (passed explicitly, so this
//! library installs no process-wide default), the platform verifier (system roots, so corporate CAs
//! work, as reqwest's own default does), TLS 1.2 and 1.3, and ALPN `h2` then `http/1.1` so HTTP/2 is
//! used when the server offers it.
//!
//! Not here: certificates pinned per provider, client certificates, or a way to disable verification.

use std::sync::Arc;

pub(crate) fn rustls_config() -> Result<rustls::ClientConfig, rustls::Error> {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = rustls_platform_verifier::Verifier::new(provider.clone())?;
    let mut config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()?
        .dangerous()
        .with_custom_certificate_verifier(Arc::new(verifier))
        .with_no_client_auth();
    config.alpn_protocols = vec![b"h2".to_vec(), b"http/1.1".to_vec()];
    Ok(config)
}
