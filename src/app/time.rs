//! Wall-clock presentation: the time axis and timestamps use local time, but tests and
//! snapshots need a fixed zone, so the zone is a setting rather than a global.

use chrono::{DateTime, FixedOffset, Local, Offset, TimeZone as _, Utc};

use crate::domain::Millis;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TimeZone {
    /// The system's local zone (with its daylight-saving rules).
    Local,
    Fixed(FixedOffset),
}

impl TimeZone {
    pub fn utc() -> TimeZone {
        TimeZone::Fixed(Utc.fix())
    }

    /// Offset from UTC at instant `t`, in milliseconds.
    pub fn offset_ms(&self, t: Millis) -> i64 {
        let secs = match self {
            TimeZone::Fixed(o) => o.local_minus_utc(),
            TimeZone::Local => match DateTime::from_timestamp_millis(t) {
                Some(utc) => Local
                    .offset_from_utc_datetime(&utc.naive_utc())
                    .fix()
                    .local_minus_utc(),
                None => 0,
            },
        };
        secs as i64 * 1000
    }

    /// `strftime`-style formatting of instant `t`; "?" for an unrepresentable time.
    pub fn format(&self, t: Millis, fmt: &str) -> String {
        let Some(utc) = DateTime::from_timestamp_millis(t) else {
            return "?".into();
        };
        match self {
            TimeZone::Fixed(o) => utc.with_timezone(o).format(fmt).to_string(),
            TimeZone::Local => utc.with_timezone(&Local).format(fmt).to_string(),
        }
    }
}

/// "now", "42s", "5m", "3h", "2d": compact ages for panel titles.
pub fn age(ms: i64) -> String {
    let s = ms.max(0) / 1000;
    match s {
        0 => "now".into(),
        1..=59 => format!("{s}s"),
        60..=3599 => format!("{}m", s / 60),
        3600..=86_399 => format!("{}h", s / 3600),
        _ => format!("{}d", s / 86_400),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fixed_zones_format_and_offset() {
        let tz = TimeZone::Fixed(FixedOffset::east_opt(3600).unwrap());
        assert_eq!(tz.offset_ms(0), 3_600_000);
        assert_eq!(tz.format(0, "%H:%M"), "01:00");
        assert_eq!(
            TimeZone::utc().format(1_700_000_000_000, "%Y-%m-%d %H:%M"),
            "2023-11-14 22:13"
        );
        assert_eq!(TimeZone::utc().format(i64::MAX, "%H"), "?");
    }

    #[test]
    fn ages_are_compact() {
        assert_eq!(age(-5), "now");
        assert_eq!(age(999), "now");
        assert_eq!(age(42_000), "42s");
        assert_eq!(age(300_000), "5m");
        assert_eq!(age(3 * 3_600_000), "3h");
        assert_eq!(age(2 * 86_400_000), "2d");
    }
}
