//! How old the data on screen is and what the status bar calls it.

use super::theme::Level;
use crate::source::StreamStatus;

/// What the status bar says about the data on screen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Live,
    Demo,
    /// No market connection: stored history only.
    Offline,
    /// Connected, but nothing new for `age_ms`.
    Stale {
        age_ms: i64,
    },
    /// The series on screen is not streamed (a `--symbol` or `--timeframe` outside the
    /// config): stored history only, its newest candle `age_ms` old.
    HistoryOnly {
        age_ms: Option<i64>,
    },
}

impl Mode {
    /// The report's mode: stale data is still from the live source.
    pub fn report_mode(self) -> crate::report::Mode {
        match self {
            Mode::Live | Mode::Stale { .. } => crate::report::Mode::Live,
            Mode::Demo => crate::report::Mode::Demo,
            Mode::Offline | Mode::HistoryOnly { .. } => crate::report::Mode::Offline,
        }
    }
}

/// Good below the warning age, critical above the critical age (thresholds in seconds).
pub fn level(age_ms: i64, f: crate::config::Freshness) -> Level {
    if age_ms > f.critical as i64 * 1000 {
        Level::Critical
    } else if age_ms > f.warning as i64 * 1000 {
        Level::Warning
    } else {
        Level::Good
    }
}

/// "connected", "reconnecting 3", "connecting", "offline".
pub fn stream_label(s: &StreamStatus) -> String {
    match s {
        StreamStatus::Connected => "connected".into(),
        StreamStatus::Connecting { attempt } if *attempt > 1 => format!("connecting {attempt}"),
        StreamStatus::Connecting { .. } => "connecting".into(),
        StreamStatus::Reconnecting { attempt, .. } => format!("reconnecting {attempt}"),
        StreamStatus::Stopped => "offline".into(),
    }
}
