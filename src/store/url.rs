//! Where the store is (SPEC §1, STORE): empty for the SQLite file in the data dir,
//! `sqlite:PATH`, or a `postgres://` URL. A password never reaches a message: the URL is
//! only ever shown through its `Display`, which leaves it out.

use std::fmt;
use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StoreUrlError {
    #[error("{shown}: expected empty, sqlite:PATH or postgres://USER@HOST[:PORT]/DB")]
    Unknown { shown: String },
    #[error("{shown}: not a valid PostgreSQL URL: {why}")]
    Invalid { shown: String, why: String },
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
    /// A password or token held for a connector (the bus's too).
    pub fn new(s: impl Into<String>) -> Secret {
        Secret(s.into())
    }

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
            let redacted = redact(s);
            let invalid = |why: String| StoreUrlError::Invalid {
                shown: redacted.clone(),
                why,
            };
            // Two `@` before the path: one is the password's, unescaped. The driver would take
            // what follows the first for the host, and show it.
            let authority = s.split_once("://").map_or("", |(_, r)| r);
            let authority = authority.split(['/', '?']).next().unwrap_or("");
            if authority.matches('@').count() > 1 {
                return Err(invalid(
                    "an @ in the user name or password must be written %40".into(),
                ));
            }
            if let Err(e) = <postgres::Config as std::str::FromStr>::from_str(s) {
                return Err(invalid(scrub(&e.to_string(), s)));
            }
            return Ok(StoreUrl::Postgres {
                url: Secret(s.to_string()),
                redacted,
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

    /// Whether the URL itself carries a password (in its user info or a `password=`
    /// parameter), rather than leaving it to `PGPASSWORD` or `~/.pgpass`.
    pub fn has_password(&self) -> bool {
        let StoreUrl::Postgres { url, .. } = self else {
            return false;
        };
        scrub(url.expose(), url.expose()) != url.expose()
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

/// `postgres://user:secret@host/db?password=x` as `postgres://user:***@host/db?password=***`;
/// anything else as it is. Everything before the last `@` is credentials (an unescaped `@` in
/// a password leaves its tail in neither the host nor the message).
pub fn redact(s: &str) -> String {
    let Some((scheme, rest)) = s.split_once("://") else {
        return s.to_string();
    };
    let (head, tail) = match rest.rsplit_once('@') {
        Some((auth, tail)) => {
            let user = auth.split_once(':').map_or(auth, |(u, _)| u);
            let hidden = if auth.contains(':') { ":***" } else { "" };
            (format!("{scheme}://{user}{hidden}@"), tail)
        }
        None => (format!("{scheme}://"), rest),
    };
    let tail = match tail.split_once('?') {
        Some((path, query)) => {
            let query: Vec<String> = query
                .split('&')
                .map(|kv| match kv.split_once('=') {
                    Some((k, _)) if k.eq_ignore_ascii_case("password") => format!("{k}=***"),
                    _ => kv.to_string(),
                })
                .collect();
            format!("{path}?{}", query.join("&"))
        }
        None => tail.to_string(),
    };
    head + &tail
}

/// `text` with every password `url` carries replaced by `***` (a driver's message may quote
/// what it could not parse).
fn scrub(text: &str, url: &str) -> String {
    let mut out = text.to_string();
    let rest = url.split_once("://").map_or("", |(_, r)| r);
    let userinfo = rest.rsplit_once('@').map(|(auth, _)| auth);
    let from_userinfo = userinfo.and_then(|a| a.split_once(':')).map(|(_, p)| p);
    let from_query = url.split_once('?').into_iter().flat_map(|(_, q)| {
        q.split('&').filter_map(|kv| {
            kv.split_once('=')
                .filter(|(k, _)| k.eq_ignore_ascii_case("password"))
                .map(|(_, v)| v)
        })
    });
    for secret in from_userinfo.into_iter().chain(from_query) {
        if !secret.is_empty() {
            out = out.replace(secret, "***");
        }
    }
    out
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
        // Every form a credential takes is hidden: a password= parameter, an unescaped @ in
        // the password (refused, naming the fix), a driver's complaint about the URL.
        let q = StoreUrl::parse("postgres://app@db:5432/m?password=hunter2&sslmode=disable")
            .unwrap()
            .to_string();
        assert_eq!(q, "postgres://app@db:5432/m?password=***&sslmode=disable");
        let at = StoreUrl::parse("postgres://app:p@ss-tail@db/m")
            .unwrap_err()
            .to_string();
        assert!(!at.contains("ss-tail") && !at.contains("p@"), "{at}");
        assert!(at.contains("%40"), "{at}");
        let bad = StoreUrl::parse("postgres://app:hunter2@db:notaport/m")
            .unwrap_err()
            .to_string();
        assert!(
            !bad.contains("hunter2") && bad.contains("not a valid"),
            "{bad}"
        );
        let bad = StoreUrl::parse("postgres://db/m?password=hunter2&sslmode=sometimes")
            .unwrap_err()
            .to_string();
        assert!(!bad.contains("hunter2"), "{bad}");
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
