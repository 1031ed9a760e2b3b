//! Render tests on ratatui's TestBackend: the candle widget against exact buffers at several
//! sizes, and whole screens of the deterministic sample state (fixed data, fixed "now", UTC).

use cryptoviz::app::event::DataEvent;
use cryptoviz::app::keymap::Keymap;
use cryptoviz::app::sample::{SAMPLE_NOW, sample_app, sample_settings};
use cryptoviz::app::{App, Popup};
use cryptoviz::domain::{Candle, NewsItem, Price, Sentiment, Symbol};
use cryptoviz::ui::candles::{CandleChart, fold};
use cryptoviz::ui::{Theme, draw};
use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::buffer::Buffer;
use ratatui::layout::Rect;
use ratatui::style::Color;
use ratatui::widgets::Widget;

fn lines(buf: &Buffer) -> Vec<String> {
    let w = buf.area.width as usize;
    if w == 0 {
        return Vec::new();
    }
    buf.content()
        .chunks(w)
        .map(|row| row.iter().map(|c| c.symbol()).collect::<String>())
        .collect()
}

fn screen(app: &App, w: u16, h: u16) -> Buffer {
    let mut term = Terminal::new(TestBackend::new(w, h)).unwrap();
    term.draw(|f| cryptoviz::ui::render(f, app)).unwrap();
    term.backend().buffer().clone()
}

fn text(buf: &Buffer) -> String {
    lines(buf).join("\n")
}

fn candle(i: i64, o: i64, h: i64, l: i64, c: i64) -> Candle {
    let p = Price::from_int;
    Candle {
        open: p(o),
        high: p(h),
        low: p(l),
        close: p(c),
        ..Candle::flat(i * 60_000, p(o))
    }
}

/// Up, down, up: prices chosen so each half-row is exactly one unit of price at 8 rows.
fn three() -> Vec<Candle> {
    vec![
        candle(0, 102, 106, 100, 105),
        candle(1, 105, 108, 103, 104),
        candle(2, 104, 115, 104, 112),
    ]
}

fn chart(candles: &[Candle], w: u16, h: u16, theme: &Theme) -> Buffer {
    let bars = fold(candles, 1, 60_000);
    let area = Rect::new(0, 0, w, h);
    let mut buf = Buffer::empty(area);
    CandleChart::new(&bars, theme).render(area, &mut buf);
    buf
}

#[test]
fn candles_at_20x8_exact() {
    let buf = chart(&three(), 20, 8, &Theme::default());
    assert_eq!(
        lines(&buf),
        [
            "  │                 ",
            "┈┈╽┈┈┈┈┈┈◀112       ",
            "  ┃       110       ",
            " ╷┃                 ",
            "╷│┃                 ",
            "┃┃┃                 ",
            "┃╵                  ",
            "│         100       ",
        ]
    );
    // Up candles green, down red, the last price on its own colour.
    assert_eq!(buf[(0, 5)].fg, Color::Green);
    assert_eq!(buf[(1, 5)].fg, Color::Red);
    assert_eq!(buf[(10, 1)].bg, Color::Green);
}

#[test]
fn candles_at_10x5_exact_without_axis() {
    let buf = chart(&three(), 10, 5, &Theme::default());
    assert_eq!(
        lines(&buf),
        [
            "  │       ",
            "┈┈┃┈┈┈┈┈┈┈",
            "╷│┃       ",
            "┃┃┃       ",
            "╿         ",
        ]
    );
}

#[test]
fn candles_at_tiny_sizes() {
    let t = Theme::default();
    assert!(lines(&chart(&three(), 0, 0, &t)).is_empty());
    // One cell: the newest candle only.
    assert_eq!(lines(&chart(&three(), 1, 1, &t)), ["┃"]);
    assert_eq!(lines(&chart(&three(), 3, 0, &t)), Vec::<String>::new());
    assert_eq!(lines(&chart(&[], 5, 2, &t)), ["     ", "     "]);
}

#[test]
fn candles_at_80x24_and_200x50() {
    let app = sample_app(sample_settings());
    let t = Theme::default();
    for (w, h) in [(80u16, 24u16), (200, 50)] {
        let plot = w as usize - 11;
        let candles = &app.model.candles()[app.model.candles().len() - plot..];
        let buf = chart(candles, w, h, &t);
        let rows = lines(&buf);
        // Every column of the plot holds a candle glyph somewhere.
        for x in 0..plot {
            let col: String = rows.iter().map(|r| r.chars().nth(x).unwrap()).collect();
            assert!(
                col.chars().any(|c| "│┃╵╷╹╻╽╿".contains(c)),
                "{w}x{h} column {x}: {col:?}"
            );
        }
        // Nice tick labels: multiples of 20 or 50 for BTC-like prices.
        let labels: Vec<f64> = rows
            .iter()
            .filter(|r| !r.contains('◀'))
            .filter_map(|r| {
                r.chars()
                    .skip(plot + 1)
                    .collect::<String>()
                    .trim()
                    .parse()
                    .ok()
            })
            .collect();
        assert!(labels.len() >= 2, "{w}x{h}: {labels:?}");
        let step = labels[0] - labels[1];
        assert!([10.0, 20.0, 50.0, 100.0, 200.0].contains(&step), "{step}");
        assert!(labels.iter().all(|l| l % step == 0.0));
        // The last price, highlighted, at full precision.
        let last = app.model.candles().last().unwrap().close.to_string();
        assert!(
            rows.iter().any(|r| r.contains(&format!("◀{last}"))),
            "{last}\n{}",
            rows.join("\n")
        );
    }
}

#[test]
fn whole_screen_at_120x40() {
    let app = sample_app(sample_settings());
    let buf = screen(&app, 120, 40);
    let all = text(&buf);
    for needle in [
        " BTCUSDT 1m ",
        "Watchlist",
        "ETHUSDT",
        "SOLUSDT",
        "News BTC",
        "▲ Bitcoin climbs",
        "Health",
        "● connected · msg now",
        "Trades/s 42.5",
        "p99 210µs",
        "news 95% (1200)",
        "binance rest closed",
        "hot 12.3 MB",
        "ETHUSDT 1m 45% running",
        "ERROR klines request",
        "RSI(14)",
        "MACD(12,26,9)",
        "MOM(10)",
        "BB(20,2)",
        "● DEMO",
        "? help",
        "q quit",
        "╵23:45",
        "◆",
        "24h H ",
    ] {
        assert!(all.contains(needle), "missing {needle:?} in\n{all}");
    }
    let rows = lines(&buf);
    assert!(rows[39].starts_with(" BTCUSDT  1m ● DEMO"), "{}", rows[39]);
    // Chart column and side panels are framed side by side.
    assert!(rows[0].starts_with("┌ BTCUSDT 1m "));
    assert_eq!(rows[0].chars().filter(|c| *c == '┌').count(), 2);
    // The same state draws the same screen.
    assert_eq!(buf, screen(&app, 120, 40));
}

#[test]
fn whole_screen_any_size_never_panics() {
    let app = sample_app(sample_settings());
    for (w, h) in [
        (0, 0),
        (1, 1),
        (2, 1),
        (10, 5),
        (39, 12),
        (40, 11),
        (40, 12),
        (80, 24),
        (99, 19),
        (100, 20),
        (200, 50),
        (300, 90),
    ] {
        let buf = screen(&app, w, h);
        assert_eq!(buf.area, Rect::new(0, 0, w, h));
    }
    let small = text(&screen(&app, 30, 8));
    assert!(small.contains("terminal too small"), "{small}");
    assert!(small.contains("30x8"), "{small}");
}

#[test]
fn narrow_screens_keep_the_chart_and_status() {
    let app = sample_app(sample_settings());
    let all = text(&screen(&app, 80, 24));
    assert!(all.contains("BTCUSDT 1m"));
    assert!(all.contains("● DEMO"));
    assert!(!all.contains("Watchlist"));
}

#[test]
fn help_popup_lists_every_key() {
    let mut app = sample_app(sample_settings());
    app.popup = Some(Popup::Help { scroll: 0 });
    // Tall enough for every row (shorter screens scroll the list).
    let all = text(&screen(&app, 120, 50));
    for (keys, help) in Keymap::default().help_rows() {
        assert!(all.contains(&keys), "missing {keys:?}");
        assert!(all.contains(help), "missing {help:?}");
    }
}

#[test]
fn help_popup_follows_remapped_keys() {
    let mut settings = sample_settings();
    let mut keys = std::collections::BTreeMap::new();
    keys.insert(
        "quit".to_string(),
        vec!["x".to_string(), "ctrl-q".to_string()],
    );
    settings.keymap = Keymap::from_config(&keys).unwrap();
    let mut app = sample_app(settings);
    app.popup = Some(Popup::Help { scroll: 0 });
    let all = text(&screen(&app, 120, 40));
    assert!(all.contains("x/ctrl-q  Quit"), "{all}");
    assert!(all.contains(" x quit "), "status bar hint follows too");
}

#[test]
fn no_color_means_no_colour_anywhere() {
    let mut settings = sample_settings();
    settings.theme = Theme::new(Color::Green, Color::Red, false);
    let mut app = sample_app(settings);
    for popup in [None, Some(Popup::Help { scroll: 0 })] {
        app.popup = popup;
        let buf = screen(&app, 160, 48);
        for cell in buf.content() {
            assert_eq!((cell.fg, cell.bg), (Color::Reset, Color::Reset), "{cell:?}");
        }
        // Still readable: direction marks are there.
        let all = text(&buf);
        assert!(all.contains('▲') || all.contains('▼'));
    }
}

#[test]
fn colour_mode_does_colour() {
    let app = sample_app(sample_settings());
    let buf = screen(&app, 120, 40);
    assert!(buf.content().iter().any(|c| c.fg == Color::Green));
    assert!(buf.content().iter().any(|c| c.fg == Color::Red));
}

#[test]
fn hostile_news_renders_without_control_characters() {
    let mut app = sample_app(sample_settings());
    let evil = "\x1b]0;pwned\x07\x1b[2J\x1b[31mBTC\u{9b}1;1H to the moon\r\n\u{202e}txt.exe";
    app.apply(DataEvent::News(vec![NewsItem {
        id: "evil".into(),
        source: "Evil\x1b[5m".into(),
        feed: "https://evil.example/rss".into(),
        title: evil.into(),
        link: "https://evil.example/\x1b[8m".into(),
        published_at: SAMPLE_NOW - 1_000,
        fetched_at: SAMPLE_NOW,
        summary: evil.into(),
        symbols: vec!["BTC".into()],
        title_sentiment: Sentiment::default(),
        summary_sentiment: None,
    }]));
    app.apply(DataEvent::Log {
        level: tracing::Level::WARN,
        message: evil.into(),
        at: SAMPLE_NOW,
    });
    let mut buffers = vec![screen(&app, 160, 48)];
    app.popup = Some(Popup::News("evil".into()));
    buffers.push(screen(&app, 160, 48));
    for buf in buffers {
        let all = text(&buf);
        assert!(
            all.contains("]0;pwned[2J[31mBTC"),
            "the text itself survives:\n{all}"
        );
        for c in all.chars() {
            let bad = c < ' ' && c != '\n' || ('\x7f'..='\u{9f}').contains(&c) || c == '\u{202e}';
            assert!(!bad, "control character {c:?} on screen");
        }
    }
}

#[test]
fn time_axis_uses_the_configured_zone() {
    let mut settings = sample_settings();
    settings.tz =
        cryptoviz::app::time::TimeZone::Fixed(chrono::FixedOffset::east_opt(2 * 3600).unwrap());
    let app = sample_app(settings);
    let all = text(&screen(&app, 120, 40));
    // UTC 23:45 is 01:45 at +02:00; the day boundary (00:00 local) reads as a date.
    assert!(all.contains("╵01:45"), "{all}");
    assert!(!all.contains("╵23:45"));
}

#[test]
fn render_is_fast_enough_in_any_build() {
    // The real budget (4 ms p99 at 200x50) is measured in release by `cryptoviz bench`;
    // here only a gross regression (a frame costing a large part of a second) fails.
    let app = sample_app(sample_settings());
    let mut term = Terminal::new(TestBackend::new(200, 50)).unwrap();
    let start = std::time::Instant::now();
    for _ in 0..10 {
        term.draw(|f| cryptoviz::ui::render(f, &app)).unwrap();
    }
    assert!(start.elapsed().as_millis() < 3_000, "{:?}", start.elapsed());
    let mut buf = Buffer::empty(Rect::new(0, 0, 200, 50));
    draw(&app, buf.area, &mut buf);
}

/// The first frame with data needs only the visible window and a margin from the store,
/// however much history it holds: a year of 1m candles here.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn first_frame_with_a_year_of_history_is_quick() {
    use cryptoviz::app::event::Request;
    use cryptoviz::domain::{SeriesKey, Symbol, Timeframe};
    use cryptoviz::store::{CandleSource, Store, StoreOptions};

    let dir = tempfile::tempdir().unwrap();
    let store = Store::open(&dir.path().join("cv.db"), StoreOptions::default()).unwrap();
    let key = SeriesKey {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        timeframe: Timeframe::M1,
    };
    let minutes: i64 = 365 * 24 * 60;
    let start = SAMPLE_NOW - minutes * 60_000;
    for chunk in (0..minutes).collect::<Vec<_>>().chunks(50_000) {
        let candles = chunk
            .iter()
            .map(|i| {
                candle(
                    (start / 60_000) + i,
                    100 + i % 7,
                    108 + i % 5,
                    95,
                    101 + i % 3,
                )
            })
            .collect();
        store
            .write_klines(key, candles, CandleSource::Import, None)
            .await
            .unwrap();
    }

    let started = std::time::Instant::now();
    let mut settings = sample_settings();
    settings.symbols.truncate(1);
    let mut app = App::new(settings, SAMPLE_NOW);
    app.set_chart_cols(189);
    for r in app.take_requests() {
        if let Request::LoadHistory { key, before, limit } = r {
            let candles = store.candles_before(key, before, limit).await.unwrap();
            assert!(candles.len() <= 1_000, "loads a window, not the year");
            app.apply(DataEvent::History {
                complete: candles.len() < limit,
                key,
                candles,
            });
        }
    }
    let buf = screen(&app, 200, 50);
    let elapsed = started.elapsed();
    assert!(text(&buf).contains('◀'), "candles on screen");
    eprintln!("first frame with a year of history: {elapsed:?}");
    assert!(elapsed.as_millis() < 200, "first frame took {elapsed:?}");
    store.close().await.unwrap();
}

#[test]
fn a_store_that_cannot_write_is_shown_in_the_status_bar_and_health_panel() {
    let mut app = sample_app(sample_settings());
    let ok = text(&screen(&app, 120, 40));
    assert!(!ok.contains("STORE NOT WRITING"), "{ok}");
    assert!(ok.contains("Writes   ok"), "{ok}");
    let mut h = app.health.snapshot.clone().unwrap().0;
    h.store_writes = cryptoviz::store::WriteStats {
        rows_committed: 10,
        batches: 2,
        failed_commits: 3,
        pending: 42,
        shed_rows: 0,
        last_error: Some("database or disk is full".into()),
    };
    app.apply(DataEvent::Health(h));
    let buf = screen(&app, 120, 40);
    let rows = lines(&buf);
    assert!(
        rows[39].contains("● DEMO ✖ STORE NOT WRITING (42 waiting)"),
        "{}",
        rows[39]
    );
    assert!(text(&buf).contains("Writes   FAILING: database or disk"));
    let wide = text(&screen(&app, 300, 80));
    assert!(
        wide.contains("FAILING: database or disk is full · 42 rows w"),
        "{wide}"
    );
    assert!(!wide.contains("log lines lost"), "{wide}");
    // The log file full too: its lost lines are shown beside the writes.
    let mut h = app.health.snapshot.clone().unwrap().0;
    h.store_writes = Default::default();
    h.log_lines_lost = 17;
    app.apply(DataEvent::Health(h));
    let wide = text(&screen(&app, 300, 80));
    assert!(
        wide.contains("Writes   ok · 0 rows committed · 17 log lines lost"),
        "{wide}"
    );
    // Book levels dropped past the bound are counted where a trader sees them.
    assert!(!wide.contains("far levels dropped"), "{wide}");
    let mut h = app.health.snapshot.clone().unwrap().0;
    h.book_levels_dropped = 9_000;
    app.apply(DataEvent::Health(h));
    let wide = text(&screen(&app, 300, 80));
    assert!(wide.contains("Books    9000 far levels dropped"), "{wide}");
}

#[test]
fn the_news_popup_says_why_the_model_judged_a_headline() {
    let mut app = sample_app(sample_settings());
    let title = "Exchange hacked, $40 million in crypto stolen";
    let analyzer = cryptoviz::news::sentiment::Analyzer::crypto();
    let scored = analyzer.score_with(cryptoviz::news::sentiment::Scorer::Headlines, title);
    app.apply(DataEvent::News(vec![NewsItem {
        id: "hack".into(),
        source: "Wire".into(),
        feed: "https://wire.example/rss".into(),
        title: title.into(),
        link: "https://wire.example/hack".into(),
        published_at: SAMPLE_NOW - 1_000,
        fetched_at: SAMPLE_NOW,
        summary: String::new(),
        symbols: vec!["BTC".into()],
        title_sentiment: scored,
        summary_sentiment: None,
    }]));
    app.popup = Some(Popup::News("hack".into()));
    let all = text(&screen(&app, 160, 48));
    assert!(all.contains("▼ negative"), "{all}");
    assert!(all.contains("cryptoviz-headlines-1"), "{all}");
    assert!(all.contains("why: "), "{all}");
    assert!(all.contains("hack"), "{all}");
}

#[test]
fn the_crosshair_reads_a_past_candle_exactly_and_esc_leaves() {
    use cryptoviz::app::Action;
    let mut app = sample_app(sample_settings());
    let before = screen(&app, 120, 40);
    app.act(Action::Crosshair);
    let newest = app.model.candles().last().unwrap().open_time;
    assert_eq!(
        app.chart.crosshair,
        Some(newest),
        "it starts on the newest candle"
    );
    app.act(Action::PanLeft);
    app.act(Action::PanLeft);
    let n = app.model.candles().len();
    let c = app.model.candles()[n - 3];
    assert_eq!(app.chart.crosshair, Some(c.open_time), "two candles back");
    let prev = app.model.candles()[n - 4].close;
    let buf = screen(&app, 120, 40);
    let rows = lines(&buf);
    let when = app.model.settings.tz.format(c.open_time, "%Y-%m-%d %H:%M");
    let change = (c.close.to_f64() / prev.to_f64() - 1.0) * 100.0;
    assert!(
        rows[1].starts_with(&format!(
            "│✚ {when}  {change:+.2}% V {} N {}",
            c.volume,
            c.trades.unwrap()
        )),
        "{}",
        rows[1]
    );
    // A candle whose venue gives no trade count reads `–`, not 0 (which would mean none).
    let key = app.model.key();
    let mut silent = c;
    silent.trades = None;
    app.model.series.get_mut(&key).unwrap().upsert(silent);
    let rows = lines(&screen(&app, 120, 40));
    assert!(
        rows[1].contains(&format!("V {} N – ", c.volume)),
        "{}",
        rows[1]
    );
    app.model.series.get_mut(&key).unwrap().upsert(c);
    assert!(
        rows[2].starts_with(&format!(
            "│ O {} H {} L {} C {}",
            c.open, c.high, c.low, c.close
        )),
        "{}",
        rows[2]
    );
    assert!(
        rows[3].contains(" RSI(14) ") && rows[3].contains(" MACD(12,26,9) "),
        "{}",
        rows[3]
    );
    assert!(rows[4].starts_with("│ BB(20,2) "), "{}", rows[4]);
    // Its time on the axis, its close on the price axis, a mark through its column.
    let all = text(&buf);
    assert!(all.contains(&format!(
        " {} ",
        app.model.settings.tz.format(c.open_time, "%H:%M")
    )));
    assert!(all.contains('┊'), "{all}");
    // Esc leaves it and the chart is as before.
    app.act(Action::Close);
    assert_eq!(app.chart.crosshair, None);
    assert_eq!(screen(&app, 120, 40), before);
}

#[test]
fn a_series_the_stream_does_not_carry_never_reads_live() {
    // `cryptoviz --symbol XRPETH` with XRPETH outside [market] symbols: shown from the store.
    let config = cryptoviz::config::Config::parse("", std::path::Path::new("c.toml")).unwrap();
    let xrp = cryptoviz::domain::Symbol::new("XRPETH").unwrap();
    let s = cryptoviz::app::AppSettings::from_config(
        &config,
        "/tmp".into(),
        false,
        Some(xrp),
        None,
        true,
    )
    .unwrap();
    assert_eq!(s.history_only.symbols, vec![xrp]);
    assert!(s.history_only.timeframes.is_empty());

    let mut settings = sample_settings();
    settings.history_only.symbols = vec![cryptoviz::domain::Symbol::new("BTCUSDT").unwrap()];
    let app = sample_app(settings);
    let rows = lines(&screen(&app, 120, 40));
    assert!(
        rows[39].contains("◌ HISTORY ONLY · not streamed · newest"),
        "{}",
        rows[39]
    );
    assert!(!rows[39].contains("DEMO") && !rows[39].contains("LIVE"));
}

#[test]
fn a_short_series_fills_the_chart_and_ends_at_its_right_edge() {
    use cryptoviz::app::Action;
    let mut app = sample_app(sample_settings());
    app.act(Action::Timeframe4); // 1h: a few candles of the sample's hours
    let n = app.model.candles().len();
    assert!((2..40).contains(&n), "{n} hourly candles");
    let rows = lines(&screen(&app, 120, 40));
    // The candle rows of the chart column: glyph columns used, left of the price axis.
    let glyph = |c: char| "│┃╵╷╹╻╿╽".contains(c);
    let cols: Vec<usize> = rows[1..20]
        .iter()
        .flat_map(|r| {
            r.chars()
                .take(72)
                .enumerate()
                .filter(|(_, c)| glyph(*c))
                .map(|(i, _)| i)
                .collect::<Vec<_>>()
        })
        .collect();
    let (first, last) = (*cols.iter().min().unwrap(), *cols.iter().max().unwrap());
    let plot_right = rows[0].chars().position(|c| c == '┐').unwrap() - 11;
    assert!(
        last + 8 >= plot_right,
        "the newest candle at the right edge: {last} of {plot_right}"
    );
    assert!(
        first < plot_right / 3,
        "spread across the chart, from column {first}"
    );
}

#[test]
fn the_time_axis_names_the_day_at_its_left_edge() {
    use cryptoviz::app::Action;
    let mut app = sample_app(sample_settings());
    app.act(Action::Oldest);
    let rows = lines(&screen(&app, 120, 40));
    let axis = rows
        .iter()
        .rev()
        .find(|r| r.contains('╵'))
        .expect("a time axis");
    let first = axis.split('╵').nth(1).unwrap_or("");
    let b = first.as_bytes();
    // "MM-DD HH:MM": a panned view still says which day it shows.
    assert!(
        b.len() >= 11 && b[2] == b'-' && b[5] == b' ' && b[8] == b':',
        "{axis}"
    );
}

#[test]
fn without_colour_falling_candles_are_filled() {
    let theme = Theme::new(Color::Green, Color::Red, false);
    let buf = chart(&three(), 20, 8, &theme);
    let rows = lines(&buf);
    // Up, down, up: the middle (falling) candle's body is a block, the others are lines.
    let col = |i: usize| {
        rows.iter()
            .map(|r| r.chars().nth(i).unwrap())
            .collect::<String>()
    };
    assert!(
        col(1).contains('█') || col(1).contains('▀') || col(1).contains('▄'),
        "{rows:?}"
    );
    assert!(!col(0).contains('█') && !col(2).contains('█'), "{rows:?}");
    // With colour the shapes stay as they were.
    let rows = lines(&chart(&three(), 20, 8, &Theme::default()));
    assert!(!rows.concat().contains('█'));
}

#[test]
fn at_80x24_tab_brings_every_panel_into_view() {
    use cryptoviz::app::Action;
    let mut app = sample_app(sample_settings());
    let chart = text(&screen(&app, 80, 24));
    assert!(
        chart.contains(" BTCUSDT 1m ") && !chart.contains("Watchlist"),
        "{chart}"
    );
    let mut seen = Vec::new();
    for _ in 0..5 {
        app.act(Action::FocusNext);
        let screen = text(&screen(&app, 80, 24));
        for (title, what) in [
            ("Book BTCUSDT", "spread 0.01"),
            ("Trades BTCUSDT", "▲ 36"),
            ("Watchlist", "ETHUSDT"),
            ("News", "Bitcoin climbs"),
            ("Health", "Stream"),
        ] {
            if screen.contains(title) && screen.contains(what) {
                seen.push(title);
            }
        }
    }
    assert_eq!(
        seen,
        [
            "Book BTCUSDT",
            "Trades BTCUSDT",
            "Watchlist",
            "News",
            "Health"
        ]
    );
    app.act(Action::FocusNext);
    assert!(
        text(&screen(&app, 80, 24)).contains(" BTCUSDT 1m "),
        "back to the chart"
    );
}

#[test]
fn each_indicator_pane_is_toggled_by_its_key() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    let mut app = sample_app(sample_settings());
    let all = text(&screen(&app, 120, 40));
    for name in ["RSI(14)", "MACD(12,26,9)", "MOM(10)", "vol "] {
        assert!(all.contains(name), "{name} shown by default");
    }
    let press = |app: &mut App, c: char| {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT));
    };
    for (key, name) in [
        ('R', "RSI(14)"),
        ('M', "MACD(12,26,9)"),
        ('O', "MOM(10)"),
        ('V', "vol "),
    ] {
        press(&mut app, key);
        let hidden = text(&screen(&app, 120, 40));
        assert!(!hidden.contains(name), "{key} hides {name}");
        press(&mut app, key);
        assert!(
            text(&screen(&app, 120, 40)).contains(name),
            "{key} shows {name} again"
        );
    }
}

#[test]
fn the_light_theme_has_no_washed_out_colours() {
    let mut ui = cryptoviz::config::UiConfig {
        theme: "light".into(),
        ..Default::default()
    };
    let mut settings = sample_settings();
    settings.theme = Theme::from_config(&ui, false).unwrap();
    let app = sample_app(settings);
    let buf = screen(&app, 160, 48);
    let mut coloured = 0;
    for cell in buf.content() {
        // White only on a coloured label; never yellow or cyan text.
        let washed_out = matches!(cell.fg, Color::Yellow | Color::Cyan | Color::LightYellow)
            || (cell.bg == Color::Reset && cell.fg == Color::White);
        assert!(!washed_out, "{cell:?}");
        coloured += usize::from(cell.fg != Color::Reset);
    }
    assert!(coloured > 100, "still in colour");
    // Every colour is one of the 16 named ones (16-colour terminals).
    assert!(
        buf.content()
            .iter()
            .all(|c| !matches!(c.fg, Color::Rgb(..) | Color::Indexed(_)))
    );
    ui.theme = "solarized".into();
    let e = Theme::from_config(&ui, false).unwrap_err();
    assert_eq!(e.key, "ui.theme");
}

#[test]
fn a_click_puts_the_crosshair_on_the_candle_under_the_mouse() {
    use crossterm::event::{KeyModifiers, MouseButton, MouseEvent, MouseEventKind};
    let mut app = sample_app(sample_settings());
    app.set_screen(120, 40);
    let plot = app.chart.cols;
    let mouse = |kind, column| MouseEvent {
        kind,
        column,
        row: 10,
        modifiers: KeyModifiers::NONE,
    };
    // The plot starts after the chart's border; the newest candle is in its last column.
    app.handle_mouse(mouse(MouseEventKind::Down(MouseButton::Left), plot));
    let n = app.model.candles().len();
    assert_eq!(
        app.chart.crosshair,
        Some(app.model.candles()[n - 1].open_time)
    );
    // With the crosshair on, it follows the mouse: three columns left is three candles back.
    app.handle_mouse(mouse(MouseEventKind::Moved, plot - 3));
    let c = app.model.candles()[n - 4];
    assert_eq!(app.chart.crosshair, Some(c.open_time));
    let rows = lines(&screen(&app, 120, 40));
    assert!(
        rows[2].contains(&format!("O {} H {}", c.open, c.high)),
        "{}",
        rows[2]
    );
    // Clicks beside the chart (the side panels) leave it alone.
    app.handle_mouse(mouse(MouseEventKind::Down(MouseButton::Left), 110));
    assert_eq!(app.chart.crosshair, Some(c.open_time));
}

/// Three venues' BTC and their composite: venue tags in the watchlist, the composite's
/// members with their last prices and spread below the list, a stale member marked, and one
/// stream dot per venue in the health panel.
#[test]
fn several_venues_and_a_composite_on_one_screen() {
    use cryptoviz::domain::{SeriesKey, Symbol, Timeframe, Venue};
    use cryptoviz::source::StreamStatus;
    let sym = |s: &str| Symbol::new(s).unwrap();
    let members = vec![
        sym("binance:BTCUSDT"),
        sym("coinbase:BTC-USD"),
        sym("kraken:BTC/USD"),
    ];
    let composite = sym("composite:BTC-USD");
    let mut settings = sample_settings();
    settings.symbols = members.iter().copied().chain([composite]).collect();
    settings.composites = vec![cryptoviz::config::Composite {
        symbol: composite,
        members: members.clone(),
    }];
    settings.demo = false;
    let mut app = App::new(settings, SAMPLE_NOW);
    let hour = SAMPLE_NOW / 3_600_000 * 3_600_000;
    for (s, price, live) in [(0, 90_000, true), (1, 90_045, true), (2, 89_100, false)] {
        let key = SeriesKey {
            symbol: members[s],
            timeframe: Timeframe::H1,
        };
        let at = if live { hour } else { hour - 5 * 3_600_000 };
        let c = Candle::flat(at, Price::from_int(price));
        if live {
            app.apply(DataEvent::Candles(vec![(key, c)]));
        } else {
            app.apply(DataEvent::History {
                key,
                candles: vec![c],
                complete: true,
            });
        }
    }
    app.apply(DataEvent::Stream(Venue::Binance, StreamStatus::Connected));
    app.apply(DataEvent::Stream(Venue::Coinbase, StreamStatus::Connected));
    app.apply(DataEvent::Stream(
        Venue::Kraken,
        StreamStatus::Reconnecting {
            attempt: 3,
            delay: std::time::Duration::from_secs(2),
            reason: "eof".into(),
        },
    ));
    let s = text(&screen(&app, 140, 45));
    for want in [
        "▶ BIN BTCUSDT",
        "  CB  BTC-USD",
        "  KRK BTC/USD",
        "  CMP BTC-USD",
        "BTC-USD spread 5.0 bp",
        "   binance       90000",
        "   coinbase      90045",
        // Its newest candle ended four hours ago.
        "   kraken        89100 ✖ stale 4h",
        "● BIN ● CB ● KRK reconnecting 3",
        "binance:BTCUSDT 1m",
    ] {
        assert!(s.contains(want), "missing {want:?} in\n{s}");
    }
}

/// A price alert on the shown market is drawn as a dashed level across the chart, and the
/// alerts popup lists the config's rules and those made here.
#[test]
fn alert_levels_on_the_chart_and_the_rules_popup() {
    use cryptoviz::alerts::{Channel, Condition, Repeat, Rule};
    use cryptoviz::domain::{Symbol, Timeframe};
    let symbol = Symbol::new("BTCUSDT").unwrap();
    let mut app = sample_app(sample_settings());
    let last = app.model.last_price().unwrap().to_f64();
    let rule = |name: &str, when: &str| Rule {
        name: name.into(),
        symbol: Some(symbol),
        timeframe: Timeframe::M1,
        when: when.into(),
        condition: Condition::parse(when).unwrap(),
        repeat: Repeat::Once,
        rearm_secs: 0,
        notify: vec![Channel::Bell],
    };
    let before = text(&screen(&app, 140, 40));
    assert!(!before.contains('╌'));
    app.model.settings.alert_rules = vec![rule("near", &format!("price > {:.0}", last + 5.0))];
    app.apply(DataEvent::UserRules(vec![(
        rule("far", "price < 1"),
        false,
    )]));
    let s = text(&screen(&app, 140, 40));
    assert!(s.contains('╌'), "the level inside the range is drawn:\n{s}");
    app.handle_key(crossterm::event::KeyEvent::new(
        crossterm::event::KeyCode::Char('A'),
        crossterm::event::KeyModifiers::SHIFT,
    ));
    let s = text(&screen(&app, 140, 40));
    assert!(s.contains("Alerts · space on/off · d deletes"), "{s}");
    assert!(s.contains(" config near: price > "), "{s}");
    assert!(s.contains(" off    far: price < 1 on BTCUSDT"), "{s}");
}

/// The columns `x0..x1` of each row.
fn columns(buf: &Buffer, x0: u16, x1: u16) -> Vec<String> {
    lines(buf)
        .iter()
        .map(|l| {
            l.chars()
                .skip(x0 as usize)
                .take((x1 - x0) as usize)
                .collect()
        })
        .collect()
}

#[test]
fn the_book_and_the_tape_at_200x50_exact() {
    let app = sample_app(sample_settings());
    let buf = screen(&app, 200, 50);
    // Chart 114 columns, then the market column (30), then the side panels.
    let col = columns(&buf, 114, 144);
    assert_eq!(
        col[..15],
        [
            "┌ Book BTCUSDT · now ────────┐",
            "│price         size cum.     │",
            "│36473.74    1.0422 █████████│",
            "│36473.72    1.0428 █████████│",
            "│36473.70    0.8065 ████████ │",
            "│36473.68    0.8344 ██████   │",
            "│36473.66    0.7879 █████    │",
            "│36473.64    0.7293 ████     │",
            "│36473.62    0.5665 ███      │",
            "│36473.60    0.4267 ██       │",
            "│36473.58    0.4378 ██       │",
            "│36473.56    0.3742 █        │",
            "│36473.54    0.1032 █        │",
            "│spread 0.01 (0.0027 bp)     │",
            "│36473.53    0.1449 █        │",
        ]
    );
    // Sizes with one number of decimals (the most any shown trade needs, no market list
    // here), so 2.5 is 2.50000 beside 0.11293.
    assert_eq!(
        col[26..32],
        [
            "┌ Trades BTCUSDT · now ──────┐",
            "│time          price     size│",
            "│00:00:00 ▼ 36472.24  2.50000│",
            "│23:59:59 ▲ 36475.21  0.11293│",
            "│23:59:58 ▲ 36478.11  0.01686│",
            "│23:59:57 ▲ 36471.39  0.12013│",
        ]
    );
    // Asks in the falling colour, bids in the rising one; the large trade stands out.
    assert_eq!(buf[(115, 2)].fg, Color::Red);
    assert_eq!(buf[(115, 14)].fg, Color::Green);
    let large = buf[(137, 28)].modifier;
    assert!(large.contains(ratatui::style::Modifier::REVERSED));
    assert!(
        !buf[(137, 29)]
            .modifier
            .contains(ratatui::style::Modifier::REVERSED)
    );
    // Below 160 columns the market column gives its room back to the chart.
    let narrow = text(&screen(&app, 159, 50));
    assert!(!narrow.contains("Book BTCUSDT"), "{narrow}");
}

#[test]
fn a_silent_book_reads_stale_and_unavailable_books_say_why() {
    let mut app = sample_app(sample_settings());
    app.tick(SAMPLE_NOW + 15_000);
    let buf = screen(&app, 200, 50);
    let col = columns(&buf, 114, 144);
    assert!(col[0].contains("Book BTCUSDT · 15s STALE"), "{}", col[0]);
    assert!(
        col[26].contains("Trades BTCUSDT · 15s STALE"),
        "{}",
        col[26]
    );

    // A market the stream does not carry (a --symbol outside the config), a composite, and a
    // dashboard attached to a collector: each says why it has no book.
    let mut settings = sample_settings();
    let history = Symbol::new("coinbase:BTC-USD").unwrap();
    let composite = Symbol::new("composite:BTC").unwrap();
    settings.symbols.extend([history, composite]);
    settings.history_only.symbols.push(history);
    let mut app = sample_app(settings);
    app.select_symbol(3);
    let all = text(&screen(&app, 200, 50));
    assert!(all.contains("│coinbase:BTC-USD is not"), "{all}");
    app.select_symbol(4);
    let all = text(&screen(&app, 200, 50));
    assert!(all.contains("│a composite has no book"), "{all}");
    let mut settings = sample_settings();
    settings.attached = true;
    let app = sample_app(settings);
    let all = text(&screen(&app, 200, 50));
    assert!(all.contains("│live only: a dashboard"), "{all}");
}
#[test]
fn the_layout_key_shows_two_or_four_charts() {
    use cryptoviz::app::Action;
    let mut app = sample_app(sample_settings());
    app.set_screen(200, 50);
    let single = app.chart.cols;
    let titles = |app: &App| -> Vec<String> {
        let all = text(&screen(app, 200, 50));
        ["BTCUSDT", "ETHUSDT", "SOLUSDT"]
            .iter()
            .flat_map(|s| ["1m", "5m", "15m", "1h"].map(|tf| format!("┌ {s} {tf} BB")))
            .filter(|t| all.contains(t.as_str()))
            .collect()
    };
    assert_eq!(titles(&app), ["┌ BTCUSDT 1m BB"]);

    // Two markets side by side; the shown one's chart (the one the keys drive) is narrower.
    app.act(Action::Layout);
    assert_eq!(titles(&app), ["┌ BTCUSDT 1m BB", "┌ ETHUSDT 1m BB"]);
    assert!(
        app.chart.cols < single / 2 + 2,
        "{} of {single}",
        app.chart.cols
    );
    let all = text(&screen(&app, 200, 50));
    assert!(
        all.contains("◀2069.67"),
        "ETHUSDT's last price on its chart\n{all}"
    );
    // The sample has three markets: the third takes the bottom row.
    app.act(Action::Layout);
    assert_eq!(
        titles(&app),
        ["┌ BTCUSDT 1m BB", "┌ ETHUSDT 1m BB", "┌ SOLUSDT 1m BB"]
    );
    // The shown market at four timeframes.
    app.act(Action::Layout);
    assert_eq!(
        titles(&app),
        [
            "┌ BTCUSDT 1m BB",
            "┌ BTCUSDT 5m BB",
            "┌ BTCUSDT 15m BB",
            "┌ BTCUSDT 1h BB"
        ]
    );
    // Selecting another market moves the whole grid with it.
    app.act(Action::Down);
    assert_eq!(titles(&app).len(), 4);
    assert!(titles(&app).iter().all(|t| t.contains("ETHUSDT")));
    // Then the coin's markets overlaid (ETH has one here), then back to one chart.
    app.act(Action::Layout);
    assert!(text(&screen(&app, 200, 50)).contains("ETH is watched on one market only"));
    app.act(Action::Layout);
    assert_eq!(titles(&app), ["┌ ETHUSDT 1m BB"]);
    assert_eq!(app.chart.cols, single);
    // Too small to split (80x24): one chart whatever the layout.
    app.act(Action::Layout);
    let small = text(&screen(&app, 80, 24));
    assert_eq!(small.matches(" BB(20,2)").count(), 1, "{small}");
}

#[test]
fn one_coin_on_several_venues_overlaid_in_percent() {
    use cryptoviz::app::Action;
    use cryptoviz::app::chart::ChartLayout;
    use cryptoviz::domain::{SeriesKey, Timeframe};
    let sym = |s: &str| Symbol::new(s).unwrap();
    let mut settings = sample_settings();
    settings.symbols = vec![sym("BTCUSDT"), sym("coinbase:BTC-USD"), sym("ETHUSDT")];
    let mut app = App::new(settings, SAMPLE_NOW);
    app.set_screen(200, 50);
    // Ten minutes each: Binance from 100 to 101 (+1 %), Coinbase from 200 to 198 (-1 %).
    let series = |start: i64, end: i64| -> Vec<Candle> {
        (0..10)
            .map(|i| {
                let p = Price::from_f64(start as f64 + (end - start) as f64 * i as f64 / 9.0);
                Candle::flat(SAMPLE_NOW - (10 - i) * 60_000, p)
            })
            .collect()
    };
    for (s, candles) in [
        ("BTCUSDT", series(100, 101)),
        ("coinbase:BTC-USD", series(200, 198)),
    ] {
        app.apply(DataEvent::History {
            key: SeriesKey {
                symbol: sym(s),
                timeframe: Timeframe::M1,
            },
            candles,
            complete: true,
        });
    }
    while app.chart.layout != ChartLayout::Overlay {
        app.act(Action::Layout);
    }
    let all = text(&screen(&app, 200, 50));
    assert!(all.contains(" BTC on 2 markets 1m · % change "), "{all}");
    assert!(all.contains("binance:BTCUSDT +1.00%"), "{all}");
    assert!(all.contains("coinbase:BTC-USD -1.00%"), "{all}");
    assert!(all.contains("+0.00%"), "the zero line is labelled\n{all}");
    // Ten candles are spread across the plot: the lines start at its left edge.
    let braille = |c: char| ('\u{2801}'..='\u{28ff}').contains(&c);
    assert!(
        all.lines()
            .skip(2)
            .any(|l| l.chars().nth(1).is_some_and(braille)),
        "{all}"
    );
    // ETH has one market: the overlay says so rather than drawing one line.
    app.act(Action::Down);
    app.act(Action::Down);
    let eth = text(&screen(&app, 200, 50));
    assert!(eth.contains("ETH is watched on one market only"), "{eth}");
}

#[test]
fn the_search_offers_watched_markets_then_the_venues_others() {
    use cryptoviz::app::popup::Search;
    let sym = |s: &str| Symbol::new(s).unwrap();
    let mut app = sample_app(sample_settings());
    app.popup = Some(Popup::Search(Search {
        query: "zzz".into(),
        selected: 0,
    }));
    let all = text(&screen(&app, 120, 40));
    assert!(
        all.contains("no matching market (the demo has no venue lists)"),
        "{all}"
    );
    app.apply(DataEvent::Instruments(vec![
        sym("SOLBTC").into(),
        sym("SOLUSDT").into(),
    ]));
    app.popup = Some(Popup::Search(Search {
        query: "sol".into(),
        selected: 1,
    }));
    let rows = lines(&screen(&app, 120, 40));
    let watched = rows
        .iter()
        .position(|l| l.contains("  binance:SOLUSDT "))
        .unwrap();
    let listed = rows
        .iter()
        .position(|l| l.contains("+ binance:SOLBTC "))
        .unwrap();
    assert_eq!(watched + 1, listed, "{rows:#?}");
}

/// Attached to a store with no collector writing, the dashboard does not say LIVE: its one
/// age everywhere is the collector's newest live write, and the venues are not claimed.
#[test]
fn an_attached_dashboard_takes_its_age_from_the_collectors_writes() {
    let mut settings = sample_settings();
    settings.attached = true;
    settings.attached_to = Some("postgres 127.0.0.1:5432/market".into());
    let mut app = sample_app(settings);
    // The sample has a live stream; an attached dashboard is told of none.
    app.model.sources.streams.clear();
    let s = text(&screen(&app, 200, 50));
    assert!(s.contains("○ NO COLLECTOR WRITING "), "{s}");
    assert!(
        s.contains(" · attached (postgres 127.0.0.1:5432/market)"),
        "{s}"
    );
    assert!(!s.contains("LIVE"), "{s}");
    assert!(s.contains("● collector's venues"), "{s}");

    app.apply(DataEvent::CollectorWrite(Some(SAMPLE_NOW - 28_000)));
    let s = text(&screen(&app, 200, 50));
    assert!(
        s.contains("◌ STALE 28s ") && s.contains(" · attached"),
        "{s}"
    );
    let status = s.lines().last().unwrap();
    assert!(!status.contains("LIVE"), "{status}");
    // The chart, the watchlist and the health panel say the same age.
    assert!(s.contains(" BTCUSDT 1m "), "{s}");
    assert!(s.matches("· 28s STALE").count() >= 2, "{s}");
    assert!(s.contains("write 28s"), "{s}");

    app.apply(DataEvent::CollectorWrite(Some(SAMPLE_NOW - 2_000)));
    let s = text(&screen(&app, 200, 50));
    assert!(s.contains("● LIVE ") && s.contains(" · attached"), "{s}");
}

/// Attached with a bus, the health panel names each collector heard on it (its age, trade
/// rate, what it published and dropped; its name cleaned), and the book panel asks for the
/// book instead of saying an attached dashboard has none.
#[test]
fn attached_over_the_bus_the_collectors_health_and_the_asked_book_show() {
    use cryptoviz::domain::CollectorHealth;
    let mut settings = sample_settings();
    settings.attached = true;
    let mut app = sample_app(settings);
    app.model.sources.streams.clear();
    let s = text(&screen(&app, 200, 50));
    assert!(s.contains("streams nothing"), "{s}");
    app.apply(DataEvent::Bus(true));
    let h = |name: &str, time: i64, trades: u64, dropped: u64| CollectorHealth {
        name: name.into(),
        time,
        trades,
        malformed: 0,
        rejected: 0,
        published: 900,
        dropped,
        repaired: 0,
    };
    app.apply(DataEvent::CollectorHealth(h(
        "evil\u{1b}[2J",
        SAMPLE_NOW,
        5,
        3,
    )));
    let s = text(&screen(&app, 200, 50));
    let line = |s: &str| {
        s.lines()
            .find(|l| l.contains("Bus "))
            .unwrap_or("")
            .to_string()
    };
    assert!(
        line(&s).contains("│Bus      evil[2J ●now 900 published 3 dropped"),
        "{s}"
    );
    app.apply(DataEvent::CollectorHealth(h(
        "desk-1",
        SAMPLE_NOW - 7_000,
        100,
        0,
    )));
    app.apply(DataEvent::CollectorHealth(h(
        "desk-1",
        SAMPLE_NOW - 2_000,
        350,
        0,
    )));
    let s = text(&screen(&app, 200, 50));
    assert!(
        line(&s).contains("│Bus      desk-1 ●now 50.0/s 900 published  evil[2J"),
        "{s}"
    );
    // The book it has is shown; one not come yet is said to be asked for.
    assert!(
        s.contains("Book BTCUSDT · now") && s.contains("spread"),
        "{s}"
    );
    assert!(!s.contains("streams nothing"), "{s}");
    app.select_symbol(1);
    let s = text(&screen(&app, 200, 50));
    assert!(
        s.contains("asked the collectors for") && s.contains("this book…"),
        "{s}"
    );
}

/// At 80x24 the status bar keeps `? help`, the shown market's last price and 24 h change,
/// whatever else it has to say; the help popup says it scrolls, and scrolls to its end.
#[test]
fn at_80x24_the_status_bar_keeps_help_and_price_and_help_scrolls_visibly() {
    let mut settings = sample_settings();
    settings.attached = true;
    settings.attached_to = Some("postgres a-long-host-name.example.com:5432/market_data".into());
    let mut app = sample_app(settings);
    app.apply(DataEvent::CollectorWrite(Some(SAMPLE_NOW - 1_000)));
    let screen80 = text(&screen(&app, 80, 24));
    let status = screen80.lines().last().unwrap().to_string();
    assert!(status.contains("36473.53 ▲+1.84%"), "{status}");
    assert!(status.trim_end().ends_with("? help"), "{status}");

    app.set_screen(80, 24);
    app.popup = Some(Popup::Help { scroll: 0 });
    let s = text(&screen(&app, 80, 24));
    assert!(s.contains("↓ more (↓/j)"), "{s}");
    assert!(!s.contains("Mouse wheel zooms"), "the end is below: {s}");
    for _ in 0..60 {
        app.handle_key(crossterm::event::KeyEvent::from(
            crossterm::event::KeyCode::Down,
        ));
    }
    let s = text(&screen(&app, 80, 24));
    assert!(s.contains("↑ more (↑/k)"), "{s}");
    assert!(s.contains("Mouse wheel zooms"), "scrolled to the end: {s}");
    // One step up shows more again at once: the scroll never runs past the end.
    app.handle_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Up,
    ));
    app.handle_key(crossterm::event::KeyEvent::from(
        crossterm::event::KeyCode::Up,
    ));
    let s = text(&screen(&app, 80, 24));
    assert!(s.contains("↑↓ more"), "{s}");
}

/// The overlay's legend names every market even where one row cannot hold them: at 80x24
/// with five venues and the composite, the composite (last) is still there.
#[test]
fn the_overlay_legend_wraps_rather_than_cutting_a_market() {
    use cryptoviz::app::Action;
    use cryptoviz::app::chart::ChartLayout;
    use cryptoviz::domain::{SeriesKey, Timeframe};
    let sym = |s: &str| Symbol::new(s).unwrap();
    let markets = [
        "BTCUSDT",
        "coinbase:BTC-USD",
        "kraken:BTC/USD",
        "bybit:BTCUSDT",
        "okx:BTC-USDT",
        "composite:BTC",
    ];
    let mut settings = sample_settings();
    settings.symbols = markets.iter().map(|s| sym(s)).collect();
    let mut app = App::new(settings, SAMPLE_NOW);
    app.set_screen(80, 24);
    for (i, s) in markets.iter().enumerate() {
        let candles = (0..10)
            .map(|j| {
                Candle::flat(
                    SAMPLE_NOW - (10 - j) * 60_000,
                    Price::from_f64(100.0 + (i as i64 * j) as f64),
                )
            })
            .collect();
        app.apply(DataEvent::History {
            key: SeriesKey {
                symbol: sym(s),
                timeframe: Timeframe::M1,
            },
            candles,
            complete: true,
        });
    }
    while app.chart.layout != ChartLayout::Overlay {
        app.act(Action::Layout);
    }
    let all = text(&screen(&app, 80, 24));
    assert!(all.contains(" BTC on 6 markets "), "{all}");
    for name in ["binance:BTCUSDT", "okx:BTC-USDT", "composite:BTC +45.00%"] {
        assert!(all.contains(name), "{name} missing:\n{all}");
    }
}

/// Where the venue's market list gave the market's tick and lot step, every price and size of
/// it (book, tape, crosshair) has exactly those decimals.
#[test]
fn prices_and_sizes_take_the_markets_listed_decimals() {
    use cryptoviz::domain::{Listing, Precision};
    let mut app = sample_app(sample_settings());
    app.apply(DataEvent::Instruments(vec![Listing {
        symbol: Symbol::new("BTCUSDT").unwrap(),
        precision: Precision {
            price: Some(3),
            size: Some(5),
        },
    }]));
    let buf = screen(&app, 200, 50);
    let col = columns(&buf, 114, 144);
    assert_eq!(col[2], "│36473.740   1.04220 ████████│");
    assert_eq!(col[13], "│spread 0.010 (0.0027 bp)    │");
    assert_eq!(col[28], "│00:00:00 ▼ 36472.240 2.50000│");
    app.act(cryptoviz::app::Action::Crosshair);
    let all = text(&screen(&app, 200, 50));
    let readout = all.lines().find(|l| l.contains(" O ")).unwrap();
    let chart = readout.split('│').nth(1).unwrap();
    assert_eq!(
        chart.trim(),
        "O 36507.190 H 36521.680 L 36455.580 C 36473.530",
        "{readout}"
    );
}

/// A perp on screen: the strip over its chart (mark, basis, funding with its interval,
/// countdown and yearly rate, open interest with its quote value and hour's change), and the
/// liquidation tape under the trades, a large one standing out; at 80x24 the strip keeps
/// what fits, in order.
#[test]
fn a_perps_derivatives_strip_and_liquidation_tape() {
    use cryptoviz::domain::{DerivState, DerivUpdate, Liquidation, PositionSide, Qty, Quote, Rate};
    use cryptoviz::ingest::derivs::DerivChanges;
    let perp = Symbol::new("bybit-perp:BTCUSDT").unwrap();
    let mut settings = sample_settings();
    settings.symbols.insert(0, perp);
    let mut app = sample_app(settings);
    let state = |minutes_ago: i64, oi: &str| {
        let mut u = DerivUpdate::new(perp, SAMPLE_NOW - minutes_ago * 60_000);
        u.mark = Some(Price::parse("90010").unwrap());
        u.index = Some(Price::parse("90000").unwrap());
        u.funding_rate = Some(Rate::parse("-0.00025").unwrap());
        u.funding_interval_hours = Some(8);
        u.next_funding = Some(SAMPLE_NOW + 7_170_000);
        u.open_interest = Some(Quote::parse(oi).unwrap());
        u.open_interest_quote = Some(Quote::parse("4509000000").unwrap());
        DerivState::new(u)
    };
    let liq = |side, price: &str, qty: &str, sampled| Liquidation {
        symbol: perp,
        time: SAMPLE_NOW - 5_000,
        side,
        price: Price::parse(price).unwrap(),
        qty: Qty::parse(qty).unwrap(),
        sampled,
    };
    app.apply(DataEvent::Derivs(DerivChanges {
        states: vec![state(60, "49000")],
        liquidations: Vec::new(),
    }));
    app.apply(DataEvent::Derivs(DerivChanges {
        states: vec![state(0, "50100")],
        liquidations: vec![
            liq(PositionSide::Long, "89500", "0.2", false),
            liq(PositionSide::Short, "90500", "2", true),
        ],
    }));
    let wide = text(&screen(&app, 200, 50));
    let strip = "mark 90010 · basis +1.1bp · fund -0.0250%/8h in 1:59:30 · -27.4%/y · OI 50.1k (4.51B) 1h +2.2%";
    assert!(wide.contains(strip), "missing the strip in\n{wide}");
    let all = text(&screen(&app, 120, 40));
    let fits = "│mark 90010 · basis +1.1bp · fund -0.0250%/8h in 1:59:30 · -27.4%/y   ";
    assert!(all.contains(fits), "what fits, whole segments only:\n{all}");
    // The tape shows at 200x50.
    assert!(wide.contains("liquidations"), "{wide}");
    // Newest first: the later-listed one; the quote value, `~` marking a venue's sample.
    assert!(wide.contains("liquidations                ││"), "{wide}");
    assert!(wide.contains("23:59:55 BYP S    181k~ @905"), "{wide}");
    assert!(wide.contains("23:59:55 BYP L   17.9k  @895"), "{wide}");
    // The large one (181k of quote) is drawn reversed.
    let buf = screen(&app, 200, 50);
    let rows = lines(&buf);
    let (y, row) = rows
        .iter()
        .enumerate()
        .find(|(_, r)| r.contains("181k~"))
        .unwrap();
    let x = row
        .find("BYP S")
        .map(|b| row[..b].chars().count() + 4)
        .unwrap();
    let cell = buf.cell((x as u16, y as u16)).unwrap();
    assert!(cell.modifier.contains(ratatui::style::Modifier::REVERSED));
    // The watchlist's perp row gives its funding rate beside the price.
    let minute = SAMPLE_NOW / 60_000 * 60_000;
    let series: Vec<_> = cryptoviz::domain::Timeframe::ALL
        .iter()
        .map(|&tf| {
            let key = cryptoviz::domain::SeriesKey {
                symbol: perp,
                timeframe: tf,
            };
            (
                key,
                Candle {
                    open_time: tf.bucket(minute),
                    ..candle(0, 90_000, 90_020, 89_990, 90_010)
                },
            )
        })
        .collect();
    app.apply(DataEvent::Candles(series));
    let wide = text(&screen(&app, 200, 50));
    assert!(wide.contains("▶ BYP BTCUSDT      90010"), "{wide}");
    assert!(wide.contains("f-0.0250%"), "{wide}");
    // 80x24: the strip keeps the segments that fit, whole (open interest does not).
    let small = lines(&screen(&app, 80, 24));
    assert_eq!(
        small[1],
        "│mark 90010 · basis +1.1bp · fund -0.0250%/8h in 1:59:30 · -27.4%/y            │"
    );
}

/// `[market] basis`: the strip adds the perp's mark against its configured spot market, at
/// that market's latest close.
#[test]
fn a_perps_basis_against_its_configured_spot_market() {
    use cryptoviz::domain::{DerivState, DerivUpdate};
    use cryptoviz::ingest::derivs::DerivChanges;
    let perp = Symbol::new("bybit-perp:BTCUSDT").unwrap();
    let spot = Symbol::new("binance:BTCUSDT").unwrap();
    let mut settings = sample_settings();
    settings.symbols.insert(0, perp);
    settings.basis = vec![(perp, spot)];
    let mut app = sample_app(settings);
    let close = app.model.series[&app.model.watch_key(spot)]
        .candles()
        .last()
        .unwrap()
        .close
        .to_f64();
    let mut u = DerivUpdate::new(perp, SAMPLE_NOW);
    u.mark = Some(Price::from_f64(close * 1.0012));
    u.index = Some(Price::from_f64(close * 1.001));
    app.apply(DataEvent::Derivs(DerivChanges {
        states: vec![DerivState::new(u)],
        liquidations: Vec::new(),
    }));
    let all = text(&screen(&app, 200, 50));
    let want = (u.mark.unwrap().to_f64() - close) / close * 10_000.0;
    assert!((want - 12.0).abs() < 0.1, "{want}");
    assert!(
        all.contains(&format!("basis +2.0bp · vs BTCUSDT {want:+.1}bp")),
        "{all}"
    );
}

/// A perp's funding, open interest and basis as panes under its chart, bar for bar: stored
/// samples (one per candle) and live points fill them, a bar without a sample stays empty,
/// each pane has its key, and a spot chart has none of them.
#[test]
fn a_perps_funding_oi_and_basis_panes() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use cryptoviz::domain::{DerivSample, DerivUpdate, Quote, Rate, SeriesKey, Timeframe};
    let perp = Symbol::new("binance-perp:BTCUSDT").unwrap();
    let spot = Symbol::new("binance:BTCUSDT").unwrap();
    let mut settings = sample_settings();
    settings.symbols.insert(0, perp);
    settings.basis = vec![(perp, spot)];
    let mut app = sample_app(settings);
    let tf = app.model.key().timeframe;
    assert_eq!(app.model.key().symbol, perp);
    let step = tf.millis();
    let first = tf.bucket(SAMPLE_NOW) - 59 * step;
    // Sixty candles; the spot series at the same timeframe closes 10 below the perp's mark.
    let perp_candles: Vec<Candle> = (0..60)
        .map(|i| Candle {
            open_time: first + i * step,
            ..candle(0, 90_000, 90_050, 89_950, 90_000)
        })
        .collect();
    let spot_candles: Vec<Candle> = perp_candles
        .iter()
        .map(|c| Candle {
            close: Price::from_int(89_990),
            ..*c
        })
        .collect();
    for (symbol, candles) in [(perp, perp_candles), (spot, spot_candles)] {
        app.apply(DataEvent::History {
            key: SeriesKey {
                symbol,
                timeframe: tf,
            },
            candles,
            complete: true,
        });
    }
    // Samples for every candle but the ten before the last twenty (an outage): funding
    // rising from -0.01 % to +0.0190 %, open interest from 40,000 to 40,590 BTC.
    let samples: Vec<DerivSample> = (0..60)
        .filter(|i| !(30..40).contains(i))
        .map(|i| {
            let mut u = DerivUpdate::new(perp, first + i * step + 30_000);
            u.funding_rate =
                Some(Rate::parse(&format!("{}", (i - 20) as f64 / 200_000.0)).unwrap());
            u.funding_interval_hours = Some(8);
            u.open_interest = Some(Quote::from_int(40_000 + 10 * i));
            u.mark = Some(Price::from_int(90_000));
            u.index = Some(Price::from_int(89_991));
            DerivSample {
                minute: Timeframe::M1.bucket(u.time),
                update: u,
            }
        })
        .collect();
    app.apply(DataEvent::DerivHistory {
        symbol: perp,
        samples,
    });
    // The sample's spot candles (held already, so they win over the page above).
    let spot_series = &app.model.series[&SeriesKey {
        symbol: spot,
        timeframe: tf,
    }];
    let last_open = first + 59 * step;
    let spot_close = spot_series.candles()[spot_series.index_at_or_before(last_open).unwrap()];
    assert_eq!(spot_close.open_time, last_open);
    let spot_close = spot_close.close.to_f64();
    let vs = (90_000.0 - spot_close) / spot_close * 10_000.0;
    let buf = screen(&app, 200, 60);
    let all = text(&buf);
    for want in [
        "─ Funding %/8h +0.0195% ".to_string(),
        "─ OI 40.6k BTC +1.5% on screen ".into(),
        format!("─ Basis bp index +1.0 vs BTCUSDT {vs:+.1} "),
    ] {
        assert!(all.contains(&want), "missing {want:?} in\n{all}");
    }
    // The funding pane's histogram: bars below zero for the early candles, above for the
    // late ones, and nothing over the outage.
    let rows = lines(&buf);
    let top = rows.iter().position(|r| r.contains("─ Funding")).unwrap();
    let pane: Vec<Vec<char>> = rows[top + 1..top + 3]
        .iter()
        .map(|r| r.chars().collect())
        .collect();
    let filled = |col: usize| pane.iter().any(|r| "█▄▀".contains(r[col]));
    let cols: Vec<usize> = (0..pane[0].len()).filter(|&c| filled(c)).collect();
    assert!(!cols.is_empty(), "{all}");
    let gaps = cols.windows(2).filter(|w| w[1] - w[0] > 2).count();
    assert_eq!(gaps, 1, "one outage in the funding bars: {cols:?}");
    // Each pane has its key; a spot market shows none of them.
    let press = |app: &mut App, c: char| {
        app.handle_key(KeyEvent::new(KeyCode::Char(c), KeyModifiers::SHIFT));
    };
    for (key, name) in [('F', "─ Funding"), ('I', "─ OI "), ('B', "─ Basis")] {
        press(&mut app, key);
        assert!(
            !text(&screen(&app, 200, 60)).contains(name),
            "{key} hides {name}"
        );
        press(&mut app, key);
        assert!(
            text(&screen(&app, 200, 60)).contains(name),
            "{key} shows {name}"
        );
    }
    app.handle_key(KeyEvent::new(KeyCode::Down, KeyModifiers::NONE));
    assert_eq!(app.model.key().symbol, spot);
    let spot_screen = text(&screen(&app, 200, 60));
    assert!(!spot_screen.contains("─ Funding") && !spot_screen.contains("─ OI "));
}

/// `P` opens the portfolio and asks for its valuation; the answer is drawn as a table (value
/// first; `s` sorts by P&L, then P&L %), an unvalued holding as `–`, the totals and risk
/// below; Esc closes. Before an answer it says it is valuing; without a ledger, how to import.
#[test]
fn the_portfolio_popup_sorts_and_never_shows_an_unvalued_zero() {
    use crossterm::event::{KeyCode, KeyEvent, KeyModifiers};
    use cryptoviz::app::event::Request;
    use cryptoviz::portfolio::history::{Risk, Snapshot};
    use cryptoviz::portfolio::report::{PortfolioReport, PositionReport, Totals};
    let mut app = sample_app(sample_settings());
    app.take_requests();
    app.handle_key(KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT));
    assert!(
        app.take_requests()
            .iter()
            .any(|r| matches!(r, Request::Portfolio))
    );
    assert!(text(&screen(&app, 120, 40)).contains("valuing the ledger…"));
    app.apply(DataEvent::Portfolio(Ok(None)));
    assert!(text(&screen(&app, 120, 40)).contains("no ledger: cryptoviz portfolio import"));
    let pos =
        |asset: &str, value: Option<&str>, cost: &str, unrealized: Option<&str>| PositionReport {
            asset: asset.into(),
            qty: "1.5".into(),
            avg_cost: Some("10".into()),
            cost: cost.into(),
            value: value.map(Into::into),
            unrealized: unrealized.map(Into::into),
            realized: "0".into(),
            fees: "0".into(),
            funding: "0".into(),
            share_pct: value.map(|_| "50".into()),
            price_path: None,
            perp: None,
        };
    let report = PortfolioReport {
        currency: "USD".into(),
        method: "fifo",
        at: SAMPLE_NOW,
        positions: vec![
            pos("BTC", Some("15995"), "7649.17", Some("8345.83")),
            pos("ETH", Some("1952"), "1000", Some("952")),
            pos("DOGE", None, "100", None),
            // A short perp: its market without the venue, its P&L % on its entry value.
            PositionReport {
                qty: "-0.1".into(),
                perp: Some(cryptoviz::portfolio::report::PerpReport {
                    side: "short",
                    settle: "USDT".into(),
                    mark: Some("85000".into()),
                }),
                ..pos("okx:BTC-USDT-SWAP", Some("500"), "-9000", Some("500"))
            },
        ],
        totals: Totals {
            cost: "8749.17".into(),
            value: "17947".into(),
            unrealized: "9297.83".into(),
            realized: "1036.29".into(),
            fees: "26.48".into(),
            funding: "-1.5".into(),
            unvalued: vec!["DOGE".into()],
        },
        risk: Some(Risk {
            days: 30,
            volatility_30d_pct: Some(42.5),
            max_drawdown_pct: Some(12.25),
            drawdown_pct: Some(3.0),
            var_95_1d: Some(812.5),
            beta_btc: Some(1.1),
            correlation_btc: None,
            largest_position_pct: Some(50.0),
        }),
        // Up, down through a quarter, up to a new high: one drawdown.
        snapshots: [1000, 1200, 900, 1300]
            .iter()
            .enumerate()
            .map(|(i, e)| Snapshot {
                time: SAMPLE_NOW - (3 - i as i64) * 86_400_000,
                equity: e.to_string(),
                realized: "0".into(),
                unrealized: "0".into(),
                unvalued: Vec::new(),
            })
            .collect(),
        cash: vec!["USD".into()],
    };
    app.apply(DataEvent::Portfolio(Ok(Some(report.clone()))));
    let all = text(&screen(&app, 120, 40));
    let order = |all: &str| -> Vec<String> {
        ["BTC ", "ETH ", "DOGE "]
            .iter()
            .map(|a| {
                (
                    all.find(&format!("│{a}")).unwrap_or(usize::MAX),
                    a.trim().to_string(),
                )
            })
            .collect::<std::collections::BTreeMap<_, _>>()
            .into_values()
            .collect()
    };
    assert_eq!(order(&all), ["BTC", "ETH", "DOGE"], "by value:\n{all}");
    let perp = all.lines().find(|l| l.contains("│P BTC-USDT ")).unwrap();
    assert!(
        perp.contains("-0.1") && perp.contains("+500.00    5.6%"),
        "{perp}"
    );
    let doge = all.lines().find(|l| l.contains("│DOGE ")).unwrap();
    assert!(
        doge.contains("             –             –       –"),
        "{doge}"
    );
    assert!(
        doge.contains("1.5        10.00             –             –       –"),
        "value and P&L absent, not 0: {doge}"
    );
    assert!(
        all.contains("│value 17,947.00 · cost 8,749.17 · unreal. +9,297.83 · real. +1,036.29 · fees 26.48 · fund. -1.50"),
        "{all}"
    );
    assert!(
        all.contains("risk, 30 days · vol 30d 42.5% · max DD 12.2% · DD now 3.0% · VaR95 1d 812.50 · beta 1.10 · corr –"),
        "{all}"
    );
    assert!(all.contains("no stored price for DOGE"), "{all}");
    assert!(all.contains("s sorts (value)"), "{all}");
    // The equity chart: its span and range, the line, and the fall from 1,200 to 900 shaded
    // where it happened and nowhere else.
    let days = |n: i64| {
        chrono::DateTime::from_timestamp_millis(SAMPLE_NOW - n * 86_400_000)
            .unwrap()
            .format("%Y-%m-%d")
            .to_string()
    };
    assert!(
        all.contains(&format!(
            "equity, daily, {} to {} · high 1,300.00 · low 900.00 · ░ drawdown",
            days(3),
            days(0)
        )),
        "{all}"
    );
    let chart: Vec<&str> = all
        .lines()
        .skip_while(|l| !l.contains("equity, daily"))
        .skip(1)
        .take_while(|l| !l.contains('└'))
        .collect();
    assert_eq!(chart.len(), 9, "{all}");
    assert!(chart.iter().any(|l| l.contains(['⠁', '⠈', '⡀', '⢀'])));
    let shaded: Vec<usize> = chart
        .iter()
        .flat_map(|l| l.chars().enumerate().filter(|c| c.1 == '░').map(|c| c.0))
        .collect();
    assert!(!shaded.is_empty(), "{all}");
    let mid = chart[0].chars().count() / 2;
    assert!(
        shaded.iter().all(|&x| x > mid - 30 && x < mid + 30),
        "the drawdown is in the middle third: {shaded:?}\n{all}"
    );
    let rising = PortfolioReport {
        snapshots: report.snapshots[..2].to_vec(),
        ..report.clone()
    };
    app.apply(DataEvent::Portfolio(Ok(Some(rising))));
    let all = text(&screen(&app, 120, 40));
    assert!(all.contains("equity, daily"), "{all}");
    assert!(
        !all.lines()
            .filter(|l| !l.contains("░ drawdown"))
            .any(|l| l.contains('░')),
        "no drawdown, no shade:\n{all}"
    );
    app.apply(DataEvent::Portfolio(Ok(Some(report))));
    // By P&L and by P&L %: BTC (+8,345.83, +109.1 %) before ETH (+952, +95.2 %).
    app.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE));
    let all = text(&screen(&app, 120, 40));
    assert!(all.contains("s sorts (P&L)"), "{all}");
    app.handle_key(KeyEvent::new(KeyCode::Char('s'), KeyModifiers::NONE));
    let all = text(&screen(&app, 120, 40));
    assert!(all.contains("s sorts (P&L %)"), "{all}");
    assert_eq!(order(&all), ["BTC", "ETH", "DOGE"]);
    app.handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));
    assert!(!text(&screen(&app, 120, 40)).contains("Portfolio ·"));
    // 80x24 keeps the table readable.
    app.handle_key(KeyEvent::new(KeyCode::Char('P'), KeyModifiers::SHIFT));
    let small = text(&screen(&app, 80, 24));
    assert!(small.contains("│BTC "), "{small}");
    app.handle_key(KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE));

    // `E`: the chart column charts the equity instead of the market (valued again as it
    // opens), drawdown shaded; `E` again, or Esc, gives the market back.
    let market = text(&screen(&app, 120, 40));
    let title = " Portfolio equity · USD · fifo · E back ";
    assert!(!market.contains(title), "{market}");
    app.take_requests();
    app.handle_key(KeyEvent::new(KeyCode::Char('E'), KeyModifiers::SHIFT));
    assert!(
        app.take_requests()
            .iter()
            .any(|r| matches!(r, Request::Portfolio))
    );
    let all = text(&screen(&app, 120, 40));
    assert!(all.contains(title), "{all}");
    assert!(all.contains("equity, daily"), "{all}");
    let plot: Vec<&str> = all
        .lines()
        .skip_while(|l| !l.contains("equity, daily"))
        .skip(1)
        .take_while(|l| l.starts_with('│'))
        .collect();
    assert!(plot.len() > 20, "the whole column: {all}");
    assert!(plot.iter().any(|l| l.contains('░')), "{all}");
    assert!(
        !all.contains("BTCUSDT 1m"),
        "the market's chart gives way: {all}"
    );
    for back in [
        KeyEvent::new(KeyCode::Char('E'), KeyModifiers::SHIFT),
        KeyEvent::new(KeyCode::Esc, KeyModifiers::NONE),
    ] {
        assert!(text(&screen(&app, 120, 40)).contains(title));
        app.handle_key(back);
        assert_eq!(text(&screen(&app, 120, 40)), market, "{back:?}");
        app.handle_key(KeyEvent::new(KeyCode::Char('E'), KeyModifiers::SHIFT));
    }
    // Without a ledger it says how to import one.
    app.apply(DataEvent::Portfolio(Ok(None)));
    assert!(text(&screen(&app, 80, 24)).contains("no ledger: cryptoviz portfolio import"));
}

/// A holding of `qty` of `asset` at an average cost of `avg`, nothing valued or realised.
fn held(asset: &str, qty: f64, avg: f64) -> cryptoviz::portfolio::report::PositionReport {
    cryptoviz::portfolio::report::PositionReport {
        asset: asset.into(),
        qty: qty.to_string(),
        avg_cost: Some(avg.to_string()),
        cost: (avg * qty.abs()).to_string(),
        value: None,
        unrealized: None,
        realized: "0".into(),
        fees: "0".into(),
        funding: "0".into(),
        share_pct: None,
        price_path: None,
        perp: None,
    }
}

/// Holding the shown market's coin: its average cost is a labelled line across the chart (an
/// arrow and the label at the edge when the prices shown do not reach it) and the status bar
/// gives the holding and its P&L at the live price. Nothing where the quote is not the
/// portfolio's cash.
#[test]
fn the_shown_markets_cost_and_pnl_follow_the_live_price() {
    use cryptoviz::app::event::Request;
    use cryptoviz::portfolio::lots::Method;
    use cryptoviz::portfolio::report::PortfolioReport;
    let mut app = sample_app(sample_settings());
    // Valued soon after start, unasked: not before the first frame's history.
    app.tick(SAMPLE_NOW + 1_000);
    assert!(
        !app.take_requests()
            .iter()
            .any(|r| matches!(r, Request::Portfolio))
    );
    app.tick(SAMPLE_NOW + 3_000);
    assert!(
        app.take_requests()
            .iter()
            .any(|r| matches!(r, Request::Portfolio))
    );
    let last = app.model.last_price().unwrap().to_f64();
    let report = |avg: f64, cash: &[&str]| PortfolioReport {
        positions: vec![held("BTC", 0.5, avg)],
        cash: cash.iter().map(|c| c.to_string()).collect(),
        ..PortfolioReport::empty("USD", Method::Fifo, SAMPLE_NOW)
    };
    let avg = (last - 40.0).round();
    app.apply(DataEvent::Portfolio(Ok(Some(report(
        avg,
        &["USD", "USDT"],
    )))));
    let all = text(&screen(&app, 120, 40));
    let status = all.lines().last().unwrap();
    let pnl = 0.5 * (last - avg);
    let pct = pnl / (0.5 * avg) * 100.0;
    assert!(
        status.contains(&format!("hold 0.5 BTC +{pnl:.2} ({pct:+.1}%)")),
        "{status}"
    );
    let line = all
        .lines()
        .find(|l| l.contains(&format!("cost {avg}")))
        .unwrap_or_else(|| panic!("no cost line:\n{all}"));
    assert!(line.contains("┄┄┄"), "{line}");
    // Far below what the chart shows: the label alone, on its bottom row, pointing down.
    app.apply(DataEvent::Portfolio(Ok(Some(report(
        1.0,
        &["USD", "USDT"],
    )))));
    let all = text(&screen(&app, 120, 40));
    assert!(all.contains("▼ cost 1"), "{all}");
    assert!(!all.contains("┄┄┄"), "{all}");
    let status = all.lines().last().unwrap().to_string();
    assert!(status.contains("hold 0.5 BTC +"), "{status}");
    // USDT not counted as USD: a cost in USD is not drawn on a USDT chart.
    app.apply(DataEvent::Portfolio(Ok(Some(report(avg, &["USD"])))));
    let all = text(&screen(&app, 120, 40));
    assert!(!all.contains("cost ") && !all.contains("hold "), "{all}");
}

/// On a perp's chart the position is the perp's own: its entry price a line labelled `entry`,
/// and a short's P&L in the status bar gaining as the price falls below the entry. The coin's
/// own holding (none here) is not drawn on the perp.
#[test]
fn a_perps_chart_shows_its_entry_and_the_short_positions_pnl() {
    use cryptoviz::domain::{SeriesKey, Symbol, Timeframe};
    use cryptoviz::portfolio::lots::Method;
    use cryptoviz::portfolio::report::{PerpReport, PortfolioReport, PositionReport};
    let perp = Symbol::new("binance-perp:BTCUSDT").unwrap();
    let mut settings = sample_settings();
    settings.symbols.push(perp);
    settings.symbol = Some(perp);
    let mut app = sample_app(settings);
    // The perp's history in every timeframe: the spot's candles.
    let mut last = 0.0;
    for timeframe in Timeframe::ALL {
        let spot = SeriesKey {
            symbol: Symbol::new("BTCUSDT").unwrap(),
            timeframe,
        };
        let candles = app.model.series.get(&spot).unwrap().candles().to_vec();
        if timeframe == Timeframe::M1 {
            last = candles.last().unwrap().close.to_f64();
        }
        app.apply(DataEvent::History {
            key: SeriesKey {
                symbol: perp,
                timeframe,
            },
            candles,
            complete: true,
        });
    }
    assert_eq!(app.model.symbol(), perp);
    let entry = (last + 50.0).round();
    app.apply(DataEvent::Portfolio(Ok(Some(PortfolioReport {
        positions: vec![PositionReport {
            perp: Some(PerpReport {
                side: "short",
                settle: "USDT".into(),
                mark: None,
            }),
            ..held(&perp.canonical(), -0.2, entry)
        }],
        cash: vec!["USD".into(), "USDT".into()],
        ..PortfolioReport::empty("USD", Method::Fifo, SAMPLE_NOW)
    }))));
    let all = text(&screen(&app, 120, 40));
    let line = all
        .lines()
        .find(|l| l.contains(&format!("entry {entry}")))
        .unwrap_or_else(|| panic!("no entry line:\n{all}"));
    assert!(line.contains("┄┄┄"), "{line}");
    assert!(!all.contains("cost "), "{all}");
    let status = all.lines().last().unwrap();
    let pnl = 0.2 * (entry - last);
    let pct = pnl / (0.2 * entry) * 100.0;
    assert!(
        status.contains(&format!("short 0.2 BTC +{pnl:.2} ({pct:+.1}%)")),
        "{status}"
    );
}

fn chosen(names: &[&str]) -> Vec<cryptoviz::indicators::spec::Spec> {
    names
        .iter()
        .map(|n| cryptoviz::indicators::spec::Spec::parse(n).unwrap())
        .collect()
}

/// The `n`-th output of `name` over the shown series' candles, at candle `i` (counted from
/// the end when negative), computed here from the candles rather than through the chart.
fn computed(app: &App, name: &str, n: usize, from_end: usize) -> f64 {
    let candles = app.model.candles();
    let spec = cryptoviz::indicators::spec::Spec::parse(name).unwrap();
    let table = cryptoviz::indicators::Table::of(candles);
    let out = cryptoviz::indicators::registry::compute(&spec, &table.columns());
    out[n][candles.len() - 1 - from_end]
}

#[test]
fn chosen_overlays_and_panes_replace_v2s_with_a_legend_and_values_at_the_crosshair() {
    use cryptoviz::app::Action;
    let mut settings = sample_settings();
    settings.chosen = chosen(&["ema:5", "sma:30", "sar", "stoch:14,3,3", "atr:14"]);
    let mut app = sample_app(settings);
    let buf = screen(&app, 120, 40);
    let rows = lines(&buf);
    let all = rows.join("\n");
    // The legend: each overlay by name, with its glyph, in the title; v2's are gone.
    assert!(
        rows[0].contains(" ·EMA(5) •SMA(30) ∘SAR(0.02,0.2) "),
        "{}",
        rows[0]
    );
    for gone in ["BB(20,2)", "RSI(14)", "MACD(", "MOM("] {
        assert!(!all.contains(gone), "{gone} still shown:\n{all}");
    }
    // The panes, in order, each headed by its latest values.
    let stoch = rows.iter().position(|r| r.contains("─ STOCH(14,3,3) "));
    let atr = rows.iter().position(|r| r.contains("─ ATR(14) "));
    assert!(stoch.is_some() && atr.is_some() && stoch < atr, "{all}");
    let atr_row = &rows[atr.unwrap()];
    let atr_now = computed(&app, "atr:14", 0, 0);
    assert!(
        atr_row.contains(&format!("─ ATR(14) {atr_now:.2} ")),
        "{atr_row} vs {atr_now}"
    );
    let k_now = computed(&app, "stoch:14,3,3", 0, 0);
    let d_now = computed(&app, "stoch:14,3,3", 1, 0);
    assert!(
        rows[stoch.unwrap()].contains(&format!("{k_now:.2} d {d_now:.2} ")),
        "{} vs {k_now} {d_now}",
        rows[stoch.unwrap()]
    );
    // Every overlay dots the price chart in its own glyph.
    let plot: String = rows[1..stoch.unwrap()].join("");
    for glyph in ['·', '•', '∘'] {
        assert!(plot.contains(glyph), "no {glyph} on the chart:\n{all}");
    }
    // The crosshair two candles back reads every indicator there.
    app.act(Action::Crosshair);
    app.act(Action::PanLeft);
    app.act(Action::PanLeft);
    let rows = lines(&screen(&app, 120, 40));
    let ema = computed(&app, "ema:5", 0, 2);
    let sma = computed(&app, "sma:30", 0, 2);
    let atr = computed(&app, "atr:14", 0, 2);
    assert!(
        rows[3].contains(&format!(" ATR(14) {atr:.2}")),
        "{}",
        rows[3]
    );
    assert!(
        rows[4].contains(&format!(" EMA(5) {ema:.2} SMA(30) {sma:.2} SAR(0.02,0.2) ")),
        "{}",
        rows[4]
    );
}

#[test]
fn a_series_shorter_than_the_lookback_shows_nothing_and_a_flat_one_no_nan() {
    let mut settings = sample_settings();
    // ADX(1000) needs 1,999 candles; the sample holds 1,599.
    settings.chosen = chosen(&["wma:10", "adx:1000", "willr:14", "cci:20", "mfi:14"]);
    let mut app = sample_app(settings);
    let rows = lines(&screen(&app, 120, 60));
    let adx = rows
        .iter()
        .position(|r| r.contains("─ ADX(1000) "))
        .expect("its pane");
    assert!(rows[adx].contains("─ ADX(1000) – "), "{}", rows[adx]);
    let braille = |r: &String| r.chars().any(|c| ('\u{2801}'..='\u{28ff}').contains(&c));
    assert!(
        !rows[adx + 1..adx + 4].iter().any(braille),
        "no line:\n{}",
        rows[adx..adx + 4].join("\n")
    );
    // A flat market: every value is TA-Lib's (0, -100 or 50...), never NaN or inf on screen.
    let key = app.model.key();
    let flat: Vec<Candle> = app
        .model
        .candles()
        .iter()
        .map(|c| Candle::flat(c.open_time, Price::from_int(100)))
        .collect();
    let series = app.model.series.get_mut(&key).unwrap();
    for c in flat {
        series.upsert(c);
    }
    let all = text(&screen(&app, 120, 60));
    for bad in ["NaN", "inf"] {
        assert!(!all.contains(bad), "{bad}:\n{all}");
    }
    assert!(all.contains("─ WILLR(14) "), "{all}");
}

#[test]
fn the_indicator_menu_lists_the_chart_and_says_why_a_name_was_refused_at_80x24() {
    use cryptoviz::app::indicator_menu::IndicatorMenu;
    let mut settings = sample_settings();
    settings.chosen = chosen(&["bbands:20,2", "ema:50", "rsi:14", "atr:14"]);
    let mut app = sample_app(settings);
    app.popup = Some(Popup::Indicators(IndicatorMenu {
        selected: 1,
        input: "ema:0".into(),
        editing: None,
        refused: Some("ema period must be a whole number from 2 to 100000, got \"0\"".into()),
    }));
    let all = text(&screen(&app, 80, 24));
    for want in [
        "Indicators",
        "on the price chart",
        "BB(20,2)",
        "EMA(50)",
        "in panes",
        "ATR(14)",
        "add: ema:0",
        "refused: ema period must be a whole number",
        "names: sma ema",
    ] {
        assert!(all.contains(want), "{want}:\n{all}");
    }
    // Changing the selected one names it on the line.
    app.popup = Some(Popup::Indicators(IndicatorMenu {
        selected: 2,
        input: "rsi:2".into(),
        editing: Some(2),
        refused: None,
    }));
    let all = text(&screen(&app, 80, 24));
    assert!(all.contains("change rsi:14 to: rsi:2"), "{all}");
    assert!(!all.contains("refused"), "{all}");
}
