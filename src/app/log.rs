//! The activity log: the last 100 events, for the health panel and reports.

use std::collections::VecDeque;

use crate::domain::Millis;

pub const LOG_CAPACITY: usize = 100;

#[derive(Clone, Debug, PartialEq)]
pub struct LogEntry {
    pub level: tracing::Level,
    pub message: String,
    pub at: Millis,
}

#[derive(Clone, Debug, Default)]
pub struct ActivityLog {
    entries: VecDeque<LogEntry>,
}

impl ActivityLog {
    pub fn push(&mut self, level: tracing::Level, message: impl Into<String>, at: Millis) {
        if self.entries.len() == LOG_CAPACITY {
            self.entries.pop_front();
        }
        self.entries.push_back(LogEntry {
            level,
            message: message.into(),
            at,
        });
    }

    /// Oldest first.
    pub fn entries(&self) -> impl DoubleEndedIterator<Item = &LogEntry> + ExactSizeIterator {
        self.entries.iter()
    }

    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn keeps_the_last_hundred() {
        let mut log = ActivityLog::default();
        for i in 0..150 {
            log.push(tracing::Level::INFO, format!("e{i}"), i);
        }
        assert_eq!(log.len(), LOG_CAPACITY);
        assert_eq!(log.entries().next().unwrap().message, "e50");
        assert_eq!(log.entries().last().unwrap().message, "e149");
    }
}
