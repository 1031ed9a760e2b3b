//! Checks a settings section makes of itself: each failure is the dotted key at fault and why,
//! which the config turns into one line naming the file too.

/// A setting that cannot be: (dotted key, message).
pub type Invalid = (String, String);

/// `key` must lie in `lo..=hi`; the error names both bounds.
pub fn in_range(key: &str, value: u64, lo: u64, hi: u64) -> Result<(), Invalid> {
    if (lo..=hi).contains(&value) {
        Ok(())
    } else {
        Err((
            key.to_string(),
            format!("{value} is out of range ({lo} to {hi})"),
        ))
    }
}

pub fn is_http_url(s: &str) -> bool {
    s.starts_with("http://") || s.starts_with("https://")
}

/// An [`Invalid`] from borrowed words.
pub fn invalid<T>(key: &str, message: &str) -> Result<T, Invalid> {
    Err((key.to_string(), message.to_string()))
}
