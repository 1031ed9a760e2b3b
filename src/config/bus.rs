//! `[bus]` (SPEC §7): the NATS server collectors publish to and dashboards follow, the
//! JetStream stream that keeps the recent past, and how to authenticate. The URL may carry a
//! user and password or a token; it is only ever shown through [`BusUrl`]'s `Display`, which
//! masks them.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::domain::check::{Invalid, invalid};
use crate::store::Secret;

#[derive(Clone, Debug, Serialize, Deserialize)]
#[serde(deny_unknown_fields, default)]
pub struct BusConfig {
    /// `nats://[USER:PW@]HOST[:PORT]`, `tls://…` for TLS; empty: no bus.
    pub url: String,
    /// The JetStream stream keeping `cryptoviz.>`.
    pub stream: String,
    /// How long the stream keeps a message.
    pub max_age_secs: u64,
    /// A NATS credentials file (JWT and NKey seed), instead of a password or token.
    pub credentials: String,
}

impl Default for BusConfig {
    fn default() -> Self {
        BusConfig {
            url: String::new(),
            stream: "cryptoviz".into(),
            max_age_secs: 3600,
            credentials: String::new(),
        }
    }
}

impl BusConfig {
    pub fn validate(&self) -> Result<(), Invalid> {
        if !self.url.is_empty()
            && let Err(e) = BusUrl::parse(&self.url)
        {
            return invalid("bus.url", &e);
        }
        let s = &self.stream;
        if s.is_empty()
            || s.len() > 64
            || !s
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-')
        {
            return invalid("bus.stream", "must be 1 to 64 of A-Z a-z 0-9 _ -");
        }
        if !(60..=30 * 86_400).contains(&self.max_age_secs) {
            return invalid("bus.max_age_secs", "must be 60 to 2592000 (30 days)");
        }
        Ok(())
    }

    /// The bus to use, `None` without one.
    pub fn bus_url(&self) -> Option<BusUrl> {
        BusUrl::parse(&self.url).ok()
    }
}

/// How a client proves who it is; the secrets print as `Secret(***)`, even in `Debug`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Auth {
    None,
    UserPassword { user: String, password: Secret },
    Token(Secret),
}

/// A parsed bus URL. `Display` writes it with any secret masked: `nats://ops:***@host:4222`.
#[derive(Clone, PartialEq, Eq)]
pub struct BusUrl {
    pub tls: bool,
    pub host: String,
    pub port: u16,
    pub auth: Auth,
}

impl BusUrl {
    /// `nats://[USER:PW@|TOKEN@]HOST[:PORT]` or `tls://…`; the error never repeats the URL
    /// (it may hold a password).
    pub fn parse(url: &str) -> Result<BusUrl, String> {
        let (tls, rest) = if let Some(r) = url.strip_prefix("nats://") {
            (false, r)
        } else if let Some(r) = url.strip_prefix("tls://") {
            (true, r)
        } else {
            return Err("must start with nats:// or tls://".into());
        };
        let rest = rest.trim_end_matches('/');
        let (auth, hostport) = match rest.rsplit_once('@') {
            None => (Auth::None, rest),
            Some((cred, hp)) => {
                let auth = match cred.split_once(':') {
                    Some((u, p)) if !u.is_empty() => Auth::UserPassword {
                        user: decode(u),
                        password: Secret::new(decode(p)),
                    },
                    None if !cred.is_empty() => Auth::Token(Secret::new(decode(cred))),
                    _ => return Err("has an empty user or token before @".into()),
                };
                (auth, hp)
            }
        };
        let (host, port) = match hostport.rsplit_once(':') {
            Some((h, p)) if !h.ends_with(']') || h.starts_with('[') => (
                h,
                p.parse::<u16>()
                    .ok()
                    .filter(|p| *p > 0)
                    .ok_or("has a port that is not 1 to 65535")?,
            ),
            _ => (hostport, 4222),
        };
        if host.is_empty()
            || host.contains(['/', '?', '#', ' '])
            || host.chars().any(|c| c.is_control())
        {
            return Err("needs a host (nats://HOST[:PORT])".into());
        }
        Ok(BusUrl {
            tls,
            host: host.to_string(),
            port,
            auth,
        })
    }

    /// Whether the URL itself carries a password or token.
    pub fn has_secret(&self) -> bool {
        self.auth != Auth::None
    }

    /// `HOST:PORT` with the scheme, for the client to connect to (no credentials).
    pub fn address(&self) -> String {
        format!(
            "{}://{}:{}",
            if self.tls { "tls" } else { "nats" },
            self.host,
            self.port
        )
    }
}

/// `%40` and friends in a user or password, as URLs write them.
fn decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        let hex = |c: u8| (c as char).to_digit(16);
        if b[i] == b'%'
            && i + 2 < b.len()
            && let (Some(h), Some(l)) = (hex(b[i + 1]), hex(b[i + 2]))
        {
            out.push((h * 16 + l) as u8);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

impl fmt::Display for BusUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let scheme = if self.tls { "tls" } else { "nats" };
        match &self.auth {
            Auth::None => write!(f, "{scheme}://{}:{}", self.host, self.port),
            Auth::UserPassword { user, .. } => {
                let user = crate::news::clean::strip_controls(user);
                write!(f, "{scheme}://{user}:***@{}:{}", self.host, self.port)
            }
            Auth::Token(_) => write!(f, "{scheme}://***@{}:{}", self.host, self.port),
        }
    }
}

impl fmt::Debug for BusUrl {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "BusUrl({self})")
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn urls_parse_and_never_show_a_secret() {
        let u = BusUrl::parse("nats://127.0.0.1:4222").unwrap();
        assert_eq!((u.tls, u.host.as_str(), u.port), (false, "127.0.0.1", 4222));
        assert_eq!(u.to_string(), "nats://127.0.0.1:4222");
        assert_eq!(BusUrl::parse("nats://bus").unwrap().port, 4222);
        let u = BusUrl::parse("tls://ops:s3cr%40t@bus.example:4443").unwrap();
        assert!(u.tls);
        assert_eq!(
            u.auth,
            Auth::UserPassword {
                user: "ops".into(),
                password: Secret::new("s3cr@t")
            }
        );
        assert_eq!(u.to_string(), "tls://ops:***@bus.example:4443");
        assert_eq!(format!("{u:?}"), "BusUrl(tls://ops:***@bus.example:4443)");
        assert_eq!(u.address(), "tls://bus.example:4443");
        // A `%` before what is not two hex digits is kept (and never splits a character).
        let odd = BusUrl::parse("nats://u:p%é%4@h").unwrap();
        assert_eq!(
            odd.auth,
            Auth::UserPassword {
                user: "u".into(),
                password: Secret::new("p%é%4")
            }
        );
        let t = BusUrl::parse("nats://t0ken@bus").unwrap();
        assert_eq!(t.auth, Auth::Token(Secret::new("t0ken")));
        assert!(!t.to_string().contains("t0ken"));
        assert_eq!(format!("{:?}", t.auth), "Token(Secret(***))");
        for bad in [
            "http://bus",
            "nats://",
            "nats://bus:0",
            "nats://bus:99999",
            "nats://:pw@bus",
            "nats://a b",
        ] {
            let e = BusUrl::parse(bad).unwrap_err();
            assert!(!e.contains("pw"), "{bad}: {e}");
        }
    }

    #[test]
    fn the_section_is_checked() {
        assert!(BusConfig::default().validate().is_ok());
        let bad = |c: BusConfig| c.validate().unwrap_err().0;
        let url = BusConfig {
            url: "redis://x".into(),
            ..Default::default()
        };
        assert_eq!(bad(url), "bus.url");
        let stream = BusConfig {
            stream: "a.b".into(),
            ..Default::default()
        };
        assert_eq!(bad(stream), "bus.stream");
        let age = BusConfig {
            max_age_secs: 1,
            ..Default::default()
        };
        assert_eq!(bad(age), "bus.max_age_secs");
    }
}
