//! The health panel: stream state, throughput and latency, per-source freshness, caches,
//! breakers, store size, backfill progress, and the activity log below.

use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::text::{Line, Span};
use ratatui::widgets::{Block, Widget};

use super::theme::{Level, Theme};
use super::{Ctx, Draw};
use super::{age_span, text};
use crate::app::Panel;
use crate::app::event::HealthSnapshot;
use crate::app::freshness::{level, stream_label};
use crate::app::health::HealthPanel;
use crate::app::time::age;
use crate::net::BreakerState;
use crate::source::StreamStatus;

fn opt<T: std::fmt::Display>(v: Option<T>, unit: &str) -> String {
    text::dash(v.map(|v| format!("{v}{unit}")))
}

fn label(s: &str, t: &Theme) -> Span<'static> {
    Span::styled(format!("{s:<9}"), t.dim())
}

/// Collectors heard on the bus publish their health every 5 s: one silent for three of those
/// is worrying, for six it is likely gone.
const COLLECTOR_WARNING_MS: i64 = 15_000;
const COLLECTOR_CRITICAL_MS: i64 = 30_000;

/// The collectors on the bus: each one's age, trade rate, and what it published and dropped.
fn collectors(cx: &Ctx) -> Line<'static> {
    let t = &cx.model.settings.theme;
    let mut spans = vec![label("Bus", t)];
    for c in cx.model.sources.collectors.values() {
        let a = cx.model.now - c.heard_at;
        let lvl = if a >= COLLECTOR_CRITICAL_MS {
            Level::Critical
        } else if a >= COLLECTOR_WARNING_MS {
            Level::Warning
        } else {
            Level::Good
        };
        let h = &c.health;
        spans.push(Span::raw(format!("{} ", text::clean(&h.name))));
        spans.push(Span::styled(format!("●{} ", age(a)), t.level(lvl)));
        let rate = c
            .trades_per_sec
            .map(|r| format!("{r:.1}/s "))
            .unwrap_or_default();
        spans.push(Span::raw(format!("{rate}{} published", h.published)));
        if h.dropped > 0 {
            spans.push(Span::styled(
                format!(" {} dropped", h.dropped),
                t.level(Level::Critical),
            ));
        }
        spans.push(Span::raw("  "));
    }
    Line::from(spans)
}

/// The summary lines above the log.
fn summary(health: &HealthPanel, cx: &Ctx) -> Vec<Line<'static>> {
    let t = &cx.model.settings.theme;
    let h: Option<&HealthSnapshot> = health.snapshot.as_ref().map(|(h, _)| h);
    let mut lines = Vec::new();

    let state_of = |s: &StreamStatus| match s {
        StreamStatus::Connected => (stream_label(s), Level::Good),
        StreamStatus::Stopped => (stream_label(s), Level::Critical),
        s => (stream_label(s), Level::Warning),
    };
    let msg_age = cx
        .model
        .sources
        .last_market_at
        .map(|at| cx.model.now - at)
        .or_else(|| h.and_then(|h| h.last_message_age_ms).map(|a| a as i64));
    let mut stream = vec![label("Stream", t)];
    match cx.model.sources.streams.len() {
        // Attached: the venues are the collector's, whose state this dashboard cannot see.
        0 if cx.model.settings.attached => {
            stream.push(Span::styled("● collector's venues", t.dim()));
            if let Some((a, lvl)) = cx.model.attached_age() {
                stream.push(Span::styled(format!(" · write {}", age(a)), t.level(lvl)));
            }
        }
        0 => {
            let (state, lvl) = if cx.model.settings.demo {
                ("simulated".to_string(), Level::Good)
            } else {
                ("offline".to_string(), Level::Critical)
            };
            stream.push(Span::styled(format!("● {state}"), t.level(lvl)));
        }
        1 if cx.model.single_venue() => {
            let (s, _) = cx
                .model
                .sources
                .streams
                .values()
                .next()
                .expect("one stream");
            let (state, lvl) = state_of(s);
            stream.push(Span::styled(format!("● {state}"), t.level(lvl)));
        }
        _ => {
            // One dot per venue: the name in the colour of its state.
            for (venue, (s, _)) in &cx.model.sources.streams {
                let (state, lvl) = state_of(s);
                let name = venue.short();
                let text = if lvl == Level::Good {
                    format!("● {name} ")
                } else {
                    format!("● {name} {state} ")
                };
                stream.push(Span::styled(text, t.level(lvl)));
            }
        }
    }
    if let Some(a) = msg_age {
        stream.push(Span::styled(
            format!(" · msg {}", age(a)),
            t.level(level(a, cx.model.settings.freshness.trades)),
        ));
    }
    lines.push(Line::from(stream));
    if !cx.model.sources.collectors.is_empty() {
        lines.push(collectors(cx));
    }

    let Some(h) = h else {
        lines.push(Line::from(Span::styled("waiting for health data", t.dim())));
        return lines;
    };
    lines.push(Line::from(vec![
        label("Trades/s", t),
        Span::raw(opt(h.trades_per_sec.map(|v| format!("{v:.1}")), "")),
        Span::styled("  p50 ", t.dim()),
        Span::raw(opt(h.ingest_p50_us, "µs")),
        Span::styled(" p99 ", t.dim()),
        Span::raw(opt(h.ingest_p99_us, "µs")),
    ]));
    // Far levels past the books' bound: dropped by design, counted where a trader sees it.
    if h.book_levels_dropped > 0 {
        lines.push(Line::from(vec![
            label("Books", t),
            Span::styled(
                format!("{} far levels dropped", h.book_levels_dropped),
                t.dim(),
            ),
        ]));
    }
    if !h.sources.is_empty() {
        let mut spans = vec![label("Sources", t)];
        for s in &h.sources {
            let (txt, lvl) = match s.last_update_ms {
                Some(at) => {
                    let a = cx.model.now - at;
                    (age(a), level(a, s.thresholds))
                }
                None => ("never".into(), Level::Critical),
            };
            let mark = match lvl {
                Level::Good => "●",
                Level::Warning => "◐",
                Level::Critical => "○",
            };
            spans.push(Span::raw(format!("{} ", text::clean(&s.name))));
            spans.push(Span::styled(format!("{mark}{txt}  "), t.level(lvl)));
        }
        lines.push(Line::from(spans));
    }
    if !h.caches.is_empty() {
        let mut spans = vec![label("Cache", t)];
        for c in &h.caches {
            let rate = c
                .hit_rate()
                .map(|r| format!("{:.0}%", r * 100.0))
                .unwrap_or_else(|| "–".into());
            let fresh = c.age_ms.map(|a| format!(" {}", age(a))).unwrap_or_default();
            spans.push(Span::raw(format!(
                "{} {rate} ({}){fresh}  ",
                text::clean(&c.name),
                c.entries
            )));
        }
        lines.push(Line::from(spans));
    }
    if !h.breakers.is_empty() {
        let mut spans = vec![label("Breakers", t)];
        for (name, b) in &h.breakers {
            let lvl = match b.state {
                BreakerState::Closed => Level::Good,
                BreakerState::HalfOpen => Level::Warning,
                BreakerState::Open => Level::Critical,
            };
            let retry = b
                .retry_in_secs
                .map(|s| format!(" {s}s"))
                .unwrap_or_default();
            spans.push(Span::raw(format!("{} ", text::clean(name))));
            spans.push(Span::styled(
                format!("{}{retry}  ", b.state.as_str()),
                t.level(lvl),
            ));
        }
        lines.push(Line::from(spans));
    }
    let w = &h.store_writes;
    let writes = if w.failing() {
        Span::styled(
            format!(
                "FAILING: {} · {} rows waiting · {} failed commits",
                text::clean(w.last_error.as_deref().unwrap_or("commit failed")),
                w.pending,
                w.failed_commits,
            ),
            t.level(Level::Critical),
        )
    } else {
        Span::styled(
            format!("ok · {} rows committed", w.rows_committed),
            t.level(Level::Good),
        )
    };
    let mut spans = vec![label("Writes", t), writes];
    if w.shed_rows > 0 {
        spans.push(Span::styled(
            format!(" · {} rows dropped", w.shed_rows),
            t.level(Level::Critical),
        ));
    }
    if h.log_lines_lost > 0 {
        spans.push(Span::styled(
            format!(" · {} log lines lost", h.log_lines_lost),
            t.level(Level::Warning),
        ));
    }
    lines.push(Line::from(spans));
    if let Some(a) = &h.alerts {
        let rules = cx.model.settings.alert_rules.len()
            + cx.model
                .alerts
                .user_rules
                .iter()
                .filter(|(_, on)| *on)
                .count();
        let mut spans = vec![
            label("Alerts", t),
            Span::raw(format!(
                "{rules} rules · {} fired · {} delivered",
                a.firings, a.delivered
            )),
        ];
        if a.failed > 0 {
            let why = a
                .last_error
                .as_deref()
                .map(|e| format!(" ({})", text::clean(e)))
                .unwrap_or_default();
            spans.push(Span::styled(
                format!(" · {} failed{why}", a.failed),
                t.level(Level::Warning),
            ));
        }
        lines.push(Line::from(spans));
    }
    if !h.store.is_empty() {
        let parts: Vec<String> = h
            .store
            .iter()
            .map(|s| {
                let size = match (s.bytes, s.rows) {
                    (Some(b), _) => text::bytes(b),
                    (None, Some(r)) => format!("{} rows", text::compact(r as f64)),
                    (None, None) => "–".into(),
                };
                format!("{} {size}", text::clean(&s.tier))
            })
            .collect();
        lines.push(Line::from(vec![
            label("Store", t),
            Span::raw(parts.join(" · ")),
        ]));
    }
    for b in &h.backfill {
        let lvl = match b.status.as_str() {
            "failed" => Level::Critical,
            "done" => Level::Good,
            _ => Level::Warning,
        };
        lines.push(Line::from(vec![
            label("Backfill", t),
            Span::raw(format!(
                "{} {} ",
                cx.model.label(b.key.symbol),
                b.key.timeframe
            )),
            Span::styled(
                format!(
                    "{:.0}% {}",
                    b.done.clamp(0.0, 1.0) * 100.0,
                    text::clean(&b.status)
                ),
                t.level(lvl),
            ),
        ]));
    }
    lines
}

impl Draw for HealthPanel {
    fn draw(&self, cx: &Ctx, area: Rect, buf: &mut Buffer) {
        let t = &cx.model.settings.theme;
        let mut title = vec![Span::styled(" Health ", t.title())];
        title.push(age_span(self.age(cx.model), t));
        let block = Block::bordered()
            .border_style(t.border(cx.focus == Panel::Health))
            .title(Line::from(title));
        let inner = block.inner(area);
        block.render(area, buf);
        if inner.is_empty() {
            return;
        }
        let mut y = inner.y;
        for line in summary(self, cx) {
            if y >= inner.bottom() {
                return;
            }
            buf.set_line(inner.x, y, &line, inner.width);
            y += 1;
        }
        if y >= inner.bottom() {
            return;
        }
        let head = format!("─ Activity ({}) ", self.log.len());
        buf.set_stringn(
            inner.x,
            y,
            format!("{head:─<w$}", w = inner.width as usize),
            inner.width as usize,
            t.dim(),
        );
        y += 1;
        let rows = (inner.bottom() - y) as usize;
        let end = self.log.len().saturating_sub(self.log_scroll);
        let start = end.saturating_sub(rows);
        for e in self.log.entries().skip(start).take(end - start) {
            let line = Line::from(vec![
                Span::styled(cx.model.settings.tz.format(e.at, "%H:%M:%S "), t.dim()),
                Span::styled(format!("{:<5} ", e.level), t.log_level(e.level)),
                Span::raw(text::clean(&e.message).into_owned()),
            ]);
            buf.set_line(inner.x, y, &line, inner.width);
            y += 1;
        }
    }
}
