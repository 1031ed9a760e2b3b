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
        if config.get_password().is_none()
            && let Some(password) = password_for(&config, |k| std::env::var_os(k))
        {
            config.password(password);
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

/// A password kept out of the URL, and so out of `ps` (libpq's conventions): `PGPASSWORD`,
/// else the first line of `PGPASSFILE` (default `~/.pgpass`) matching
/// `host:port:database:user:password`, `*` matching anything and `\` escaping `:` and `\`.
/// A password file others can read is ignored, as libpq ignores it.
fn password_for(
    config: &Config,
    env: impl Fn(&str) -> Option<std::ffi::OsString>,
) -> Option<String> {
    if let Some(p) = env("PGPASSWORD").and_then(|p| p.into_string().ok()) {
        return Some(p);
    }
    let file = env("PGPASSFILE")
        .map(std::path::PathBuf::from)
        .or_else(|| env("HOME").map(|h| std::path::PathBuf::from(h).join(".pgpass")))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = std::fs::metadata(&file).ok()?.permissions().mode();
        if mode & 0o077 != 0 {
            tracing::warn!(
                file = %file.display(),
                "password file has group or world access; ignored (chmod 0600 it)"
            );
            return None;
        }
    }
    let text = std::fs::read_to_string(&file).ok()?;
    let host = match config.get_hosts().first() {
        Some(Host::Tcp(h)) => h.clone(),
        _ => "localhost".into(),
    };
    let port = config
        .get_ports()
        .first()
        .copied()
        .unwrap_or(5432)
        .to_string();
    let user = config.get_user().unwrap_or_default();
    let db = config.get_dbname().unwrap_or(user);
    pgpass_lookup(&text, [&host, &port, db, user])
}

/// The password of the first `.pgpass` line whose four fields match.
fn pgpass_lookup(text: &str, want: [&str; 4]) -> Option<String> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .map(pgpass_fields)
        .find(|f| f.len() == 5 && (0..4).all(|i| f[i] == "*" || f[i] == want[i]))
        .map(|mut f| f.swap_remove(4))
}

/// A `.pgpass` line split at its unescaped colons, escapes removed.
fn pgpass_fields(line: &str) -> Vec<String> {
    let mut fields = vec![String::new()];
    let mut chars = line.chars();
    while let Some(c) = chars.next() {
        match c {
            '\\' => fields.last_mut().unwrap().extend(chars.next()),
            ':' if fields.len() < 5 => fields.push(String::new()),
            c => fields.last_mut().unwrap().push(c),
        }
    }
    fields
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

#[cfg(test)]
mod tests {
    use super::*;

    fn config(url: &str) -> Config {
        Config::from_str(url).unwrap()
    }

    #[test]
    fn a_password_comes_from_pgpassword_or_a_private_pgpass_file() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("pgpass");
        std::fs::write(
            &file,
            "# comment\nother:5432:*:app:nope\ndb.example:*:market:app:pa\\:ss\\\\w\n*:*:*:*:fallback\n",
        )
        .unwrap();
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o600)).unwrap();
        }
        let env = |pgpassword: Option<&'static str>| {
            let file = file.clone();
            move |k: &str| match k {
                "PGPASSWORD" => pgpassword.map(Into::into),
                "PGPASSFILE" => Some(file.clone().into_os_string()),
                _ => None,
            }
        };
        let c = config("postgres://app@db.example:6432/market");
        assert_eq!(password_for(&c, env(None)).as_deref(), Some("pa:ss\\w"));
        assert_eq!(
            password_for(&c, env(Some("from-env"))).as_deref(),
            Some("from-env")
        );
        let other = config("postgres://bob@elsewhere/x");
        assert_eq!(password_for(&other, env(None)).as_deref(), Some("fallback"));
        #[cfg(unix)]
        {
            use std::os::unix::fs::PermissionsExt;
            std::fs::set_permissions(&file, std::fs::Permissions::from_mode(0o644)).unwrap();
            assert_eq!(
                password_for(&c, env(None)),
                None,
                "a readable file is ignored"
            );
        }
    }
}
