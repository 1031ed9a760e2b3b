//! Reaching the server: a `postgres://` URL becomes a connection, over TLS when `sslmode`
//! asks for it, and every failure becomes one line naming `host:port/db` without the password.

use std::str::FromStr;
use std::sync::Arc;
use std::time::Duration;

use postgres::config::{Host, SslMode};
use postgres::{Client, Config};
use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use tokio_postgres_rustls::MakeRustlsConnect;

use crate::store::StoreError;

/// How long connecting may take before it is a failure (a firewalled host would otherwise
/// hang a command for minutes).
const CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// A parsed `postgres://` URL and the name it is shown by.
#[derive(Clone)]
pub struct Target {
    config: Config,
    /// `host:port/db`: what messages and the dashboard show; never the password.
    pub shown: String,
}

impl Target {
    pub fn parse(url: &str) -> Result<Target, StoreError> {
        let mut config = Config::from_str(url).map_err(|e| StoreError::Open {
            store: crate::store::StoreUrl::parse(url)
                .map(|u| u.to_string())
                .unwrap_or_else(|_| "postgres".into()),
            detail: format!("not a valid PostgreSQL URL: {e}"),
        })?;
        if config.get_connect_timeout().is_none() {
            config.connect_timeout(CONNECT_TIMEOUT);
        }
        if config.get_application_name().is_none() {
            config.application_name("cryptoviz");
        }
        let host = match config.get_hosts().first() {
            Some(Host::Tcp(h)) => h.clone(),
            Some(Host::Unix(p)) => p.display().to_string(),
            None => "localhost".into(),
        };
        let port = config.get_ports().first().copied().unwrap_or(5432);
        let db = config
            .get_dbname()
            .or(config.get_user())
            .unwrap_or("postgres")
            .to_string();
        Ok(Target {
            config,
            shown: format!("{host}:{port}/{db}"),
        })
    }

    /// Connects (TLS as `sslmode` says: `disable` never, `prefer` when the server offers it,
    /// `require` always).
    pub fn connect(&self) -> Result<Client, StoreError> {
        let tls = MakeRustlsConnect::new(tls_config());
        self.config.connect(tls).map_err(|e| StoreError::Open {
            store: self.shown.clone(),
            detail: reason(&e),
        })
    }

    pub fn requires_tls(&self) -> bool {
        self.config.get_ssl_mode() == SslMode::Require
    }
}

/// The server's own words when it gave any (a wrong password, an unknown database), else the
/// transport's (refused, timed out, a TLS failure).
pub fn reason(e: &postgres::Error) -> String {
    if let Some(db) = e.as_db_error() {
        return db.message().to_string();
    }
    let mut text = e.to_string();
    let mut source = std::error::Error::source(e);
    while let Some(s) = source {
        let more = s.to_string();
        if !text.contains(&more) {
            text.push_str(": ");
            text.push_str(&more);
        }
        source = s.source();
    }
    text
}

/// `sslmode=require` means what it means to libpq: the connection is encrypted, and the
/// server is trusted to be the one named (libpq checks the certificate only in `verify-ca`
/// and `verify-full`, which this build does not offer). The handshake's signatures are still
/// verified, so the session key is bound to the certificate the server showed.
fn tls_config() -> rustls::ClientConfig {
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(EncryptOnly(provider.clone()));
    rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .expect("ring supports the default protocol versions")
        .dangerous()
        .with_custom_certificate_verifier(verifier)
        .with_no_client_auth()
}

#[derive(Debug)]
struct EncryptOnly(Arc<rustls::crypto::CryptoProvider>);

impl ServerCertVerifier for EncryptOnly {
    fn verify_server_cert(
        &self,
        _end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp_response: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        Ok(ServerCertVerified::assertion())
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls12_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        rustls::crypto::verify_tls13_signature(
            message,
            cert,
            dss,
            &self.0.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.0.signature_verification_algorithms.supported_schemes()
    }
}
