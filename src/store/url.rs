//! Where the store is (SPEC §1, STORE): empty for the SQLite file in the data dir,
//! `sqlite:PATH`, or a `postgres://` URL. A password never reaches a message: the URL is
//! only ever shown through its `Display`, which leaves it out.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreUrlError {
    #[error("{shown}: expected empty, sqlite:PATH or postgres://USER@HOST[:PORT]/DB")]
    Unknown { shown: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `cryptoviz.db` in the data dir.
    Default,
    Sqlite(PathBuf),
    Postgres {
        url: Secret,
        redacted: String,
    },
}

/// The URL as given, password and all: only the connector reads it, and `Debug` hides it.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

impl StoreUrl {
    pub fn parse(s: &str) -> Result<StoreUrl, StoreUrlError> {
        let s = s.trim();
        if s.is_empty() {
            return Ok(StoreUrl::Default);
        }
        if let Some(path) = s.strip_prefix("sqlite:") {
            let path = path.strip_prefix("//").unwrap_or(path);
            if path.is_empty() {
                return Err(StoreUrlError::Unknown { shown: redact(s) });
            }
            return Ok(StoreUrl::Sqlite(PathBuf::from(path)));
        }
        if s.starts_with("postgres://") || s.starts_with("postgresql://") {
            return Ok(StoreUrl::Postgres {
                url: Secret(s.to_string()),
                redacted: redact(s),
            });
        }
        Err(StoreUrlError::Unknown { shown: redact(s) })
    }

    /// The same server with another database (`bench` measures in a scratch database of its
    /// own rather than in the user's); None for SQLite.
    pub fn with_database(&self, db: &str) -> Option<StoreUrl> {
        let StoreUrl::Postgres { url, .. } = self else {
            return None;
        };
        let (head, query) = match url.expose().split_once('?') {
            Some((h, q)) => (h, Some(q)),
            None => (url.expose(), None),
        };
        let (scheme, rest) = head.split_once("://")?;
        let server = rest.split_once('/').map_or(rest, |(s, _)| s);
        let mut s = format!("{scheme}://{server}/{db}");
        if let Some(q) = query {
            s.push('?');
            s.push_str(q);
        }
        StoreUrl::parse(&s).ok()
    }

    /// A server store that several processes share (no data-dir lock).
    pub fn is_shared(&self) -> bool {
        matches!(self, StoreUrl::Postgres { .. })
    }

    /// The SQLite file this URL names, if it names one.
    pub fn sqlite_path(&self, data_dir: &std::path::Path) -> Option<PathBuf> {
        match self {
            StoreUrl::Default => Some(crate::paths::database_file(data_dir)),
            StoreUrl::Sqlite(p) => Some(p.clone()),
            StoreUrl::Postgres { .. } => None,
        }
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Default => f.write_str("the data dir's cryptoviz.db"),
            StoreUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            StoreUrl::Postgres { redacted, .. } => f.write_str(redacted),
        }
    }
}

/// `postgres://user:secret@host/db` as `postgres://user:***@host/db`; anything else as it is.
fn redact(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_string();
    };
    let (auth, host) = match rest.rsplit_once('@') {
        Some(parts) => parts,
        None => return s.to_string(),
    };
    let user = auth.split_once(':').map_or(auth, |(u, _)| u);
    let hidden = if auth.contains(':') { ":***" } else { "" };
    format!("{scheme}://{user}{hidden}@{host}")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_and_passwords() {
        assert_eq!(StoreUrl::parse("").unwrap(), StoreUrl::Default);
        assert_eq!(
            StoreUrl::parse("sqlite:/tmp/x.db").unwrap(),
            StoreUrl::Sqlite("/tmp/x.db".into())
        );
        assert_eq!(
            StoreUrl::parse("sqlite://rel/x.db").unwrap(),
            StoreUrl::Sqlite("rel/x.db".into())
        );
        let pg = StoreUrl::parse("postgres://app:s3cret@db.example:5432/market?sslmode=require")
            .unwrap();
        assert_eq!(
            pg.to_string(),
            "postgres://app:***@db.example:5432/market?sslmode=require"
        );
        assert!(!format!("{pg:?}").contains("s3cret"));
        assert!(pg.is_shared() && pg.sqlite_path(std::path::Path::new("/d")).is_none());
        let e = StoreUrl::parse("mysql://root:pw@h/db")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("pw@") && e.contains("expected"), "{e}");
        assert!(StoreUrl::parse("sqlite:").is_err());
        let scratch = pg.with_database("scratch").unwrap();
        assert_eq!(
            scratch.to_string(),
            "postgres://app:***@db.example:5432/scratch?sslmode=require"
        );
        let StoreUrl::Postgres { url, .. } = scratch else {
            unreachable!()
        };
        assert!(
            url.expose().contains(":s3cret@"),
            "the password is kept for connecting"
        );
    }
}
