//! Where the store is (SPEC §1, STORE): empty for the SQLite file in the data dir,
//! `sqlite:PATH`, or a `postgres://` URL. A password never reaches a message: the URL is
//! only ever shown through its `Display`, which leaves it out.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreUrlError {
    #[error("{shown}: expected empty, sqlite:PATH or postgres://USER@HOST[:PORT]/DB")]
    Unknown { shown: String },
    #[error("{shown}: PostgreSQL stores are not available in this build yet; use sqlite:PATH")]
    PostgresUnavailable { shown: String },
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum StoreUrl {
    /// `cryptoviz.db` in the data dir.
    Default,
    Sqlite(PathBuf),
    Postgres {
        redacted: String,
    },
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
                redacted: redact(s),
            });
        }
        Err(StoreUrlError::Unknown { shown: redact(s) })
    }

    /// The SQLite file to open, or why this build cannot open the store.
    pub fn sqlite_path(&self, data_dir: &std::path::Path) -> Result<PathBuf, StoreUrlError> {
        match self {
            StoreUrl::Default => Ok(crate::paths::database_file(data_dir)),
            StoreUrl::Sqlite(p) => Ok(p.clone()),
            StoreUrl::Postgres { redacted } => Err(StoreUrlError::PostgresUnavailable {
                shown: redacted.clone(),
            }),
        }
    }
}

impl fmt::Display for StoreUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StoreUrl::Default => f.write_str("the data dir's cryptoviz.db"),
            StoreUrl::Sqlite(p) => write!(f, "sqlite:{}", p.display()),
            StoreUrl::Postgres { redacted } => f.write_str(redacted),
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
        let e = pg
            .sqlite_path(std::path::Path::new("/d"))
            .unwrap_err()
            .to_string();
        assert!(
            !e.contains("s3cret") && e.contains("postgres://app:***@"),
            "{e}"
        );
        let e = StoreUrl::parse("mysql://root:pw@h/db")
            .unwrap_err()
            .to_string();
        assert!(!e.contains("pw@") && e.contains("expected"), "{e}");
        assert!(StoreUrl::parse("sqlite:").is_err());
    }
}
