//! App behaviour without a terminal: keys in, state and requests out.

use crossterm::event::{KeyCode, KeyEvent, KeyModifiers, MouseEvent, MouseEventKind};

use super::event::{DataEvent, Request};
use super::sample::{SAMPLE_NOW, sample_app, sample_settings};
use super::view::{ZOOM_MAX, ZOOM_MIN};
use super::{App, Mode, Panel, Popup};
use crate::domain::{Candle, Price, SeriesKey, Symbol, Timeframe};
use crate::source::StreamStatus;

fn press(app: &mut App, code: KeyCode) {
    app.handle_key(KeyEvent::new(code, KeyModifiers::NONE));
}

fn chars(app: &mut App, s: &str) {
    for c in s.chars() {
        press(app, KeyCode::Char(c));
    }
}

fn loads(reqs: &[Request]) -> Vec<(SeriesKey, i64, usize)> {
    reqs.iter()
        .filter_map(|r| match r {
            Request::LoadHistory { key, before, limit } => Some((*key, *before, *limit)),
            _ => None,
        })
        .collect()
}

fn sample() -> App {
    let mut app = sample_app(sample_settings());
    app.set_chart_cols(100);
    app.take_requests();
    app
}

/// An app whose only data is what the test sends.
fn empty() -> App {
    let mut app = App::new(sample_settings(), SAMPLE_NOW);
    app.set_chart_cols(100);
    app
}

#[test]
fn startup_asks_for_the_chart_and_every_watchlist_series() {
    let mut app = empty();
    let reqs = app.take_requests();
    let keys: Vec<SeriesKey> = loads(&reqs).iter().map(|l| l.0).collect();
    assert_eq!(keys[0], app.model.key());
    assert_eq!(keys.len(), 1 + app.model.symbols.len());
    assert!(loads(&reqs).iter().all(|l| l.1 == i64::MAX));
    // Only the visible window and a margin, never everything.
    assert!(loads(&reqs)[0].2 <= 1_000);
}

#[test]
fn number_keys_switch_timeframe_and_load_it() {
    let mut app = sample();
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.model.timeframe, Timeframe::M5);
    press(&mut app, KeyCode::Char(']'));
    assert_eq!(app.model.timeframe, Timeframe::M15);
    press(&mut app, KeyCode::Char('['));
    press(&mut app, KeyCode::Char('['));
    press(&mut app, KeyCode::Char('['));
    assert_eq!(
        app.model.timeframe,
        Timeframe::M1,
        "clamped at the shortest"
    );

    let mut app = empty();
    app.take_requests();
    press(&mut app, KeyCode::Char('4'));
    assert_eq!(app.model.timeframe, Timeframe::H1);
    // H1 is the watchlist's series, already asked for: nothing new to load.
    assert!(loads(&app.take_requests()).is_empty());
    press(&mut app, KeyCode::Char('5'));
    let l = loads(&app.take_requests());
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].0.timeframe, Timeframe::D1);
}

#[test]
fn unconfigured_timeframe_is_refused_with_a_message() {
    let mut s = sample_settings();
    s.timeframes = vec![Timeframe::M1, Timeframe::H1];
    let mut app = App::new(s, SAMPLE_NOW);
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(app.model.timeframe, Timeframe::M1);
    assert!(app.message().unwrap().contains("5m"), "{:?}", app.message());
}

#[test]
fn j_and_k_move_through_the_watchlist_within_bounds() {
    let mut app = sample();
    press(&mut app, KeyCode::Char('j'));
    assert_eq!(app.model.symbol().as_str(), "ETHUSDT");
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Down);
    assert_eq!(app.model.symbol().as_str(), "SOLUSDT");
    press(&mut app, KeyCode::Char('k'));
    press(&mut app, KeyCode::Up);
    press(&mut app, KeyCode::Up);
    assert_eq!(app.model.symbol().as_str(), "BTCUSDT");
}

#[test]
fn search_selects_a_symbol() {
    let mut app = sample();
    press(&mut app, KeyCode::Char('/'));
    assert!(matches!(app.popup, Some(Popup::Search(_))));
    // Letters go to the query, not to the keymap ('e' would export, 'h' would pan).
    chars(&mut app, "eth");
    assert!(app.take_requests().is_empty());
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.popup, None);
    assert_eq!(app.model.symbol().as_str(), "ETHUSDT");
    press(&mut app, KeyCode::Char('/'));
    chars(&mut app, "zzz");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.model.symbol().as_str(), "ETHUSDT");
}

#[test]
fn zoom_stops_at_its_bounds_and_follows_the_wheel() {
    let mut app = sample();
    for _ in 0..20 {
        press(&mut app, KeyCode::Char('+'));
    }
    assert_eq!(app.chart.view.zoom, ZOOM_MAX);
    for _ in 0..20 {
        app.handle_mouse(MouseEvent {
            kind: MouseEventKind::ScrollDown,
            column: 0,
            row: 0,
            modifiers: KeyModifiers::NONE,
        });
    }
    assert_eq!(app.chart.view.zoom, ZOOM_MIN);
    press(&mut app, KeyCode::Char('-'));
    assert_eq!(app.chart.view.zoom, ZOOM_MIN);
}

#[test]
fn pan_stays_within_history_and_returns_to_live() {
    let mut app = sample();
    let n = app.model.candles().len();
    assert_eq!(app.chart.view.window(app.model.candles(), 100), n - 100..n);
    press(&mut app, KeyCode::Char('h'));
    assert_eq!(
        app.chart.view.window(app.model.candles(), 100),
        n - 125..n - 25
    );
    for _ in 0..200 {
        press(&mut app, KeyCode::Left);
    }
    assert_eq!(app.chart.view.window(app.model.candles(), 100), 0..100);
    // The sample's history is complete: nothing more to ask for.
    assert!(loads(&app.take_requests()).is_empty());
    press(&mut app, KeyCode::Char('l'));
    assert_eq!(app.chart.view.window(app.model.candles(), 100), 25..125);
    press(&mut app, KeyCode::Char('G'));
    assert_eq!(app.chart.view.anchor, None);
    press(&mut app, KeyCode::Char('g'));
    assert_eq!(app.chart.view.window(app.model.candles(), 100), 0..100);
    press(&mut app, KeyCode::End);
    assert_eq!(app.chart.view.window(app.model.candles(), 100), n - 100..n);
}

fn candle(t: i64, p: i64) -> Candle {
    Candle::flat(t * 60_000, Price::from_int(p))
}

#[test]
fn panning_towards_the_oldest_loads_older_pages() {
    let mut app = empty();
    let key = app.model.key();
    let first = loads(&app.take_requests())[0];
    // A full page, so the store may have more.
    let page: Vec<Candle> = (10_000..10_000 + first.2 as i64)
        .map(|t| candle(t, 1))
        .collect();
    app.apply(DataEvent::History {
        key,
        candles: page,
        complete: false,
    });
    assert!(
        loads(&app.take_requests()).is_empty(),
        "far from the edge yet"
    );
    for _ in 0..40 {
        press(&mut app, KeyCode::Left);
    }
    let l = loads(&app.take_requests());
    assert_eq!(l, vec![(key, 10_000 * 60_000 - 1, l[0].2)]);
    // One request in flight at a time.
    press(&mut app, KeyCode::Left);
    assert!(loads(&app.take_requests()).is_empty());
    let anchor = app.chart.view.anchor;
    app.apply(DataEvent::History {
        key,
        candles: (9_000..10_000).map(|t| candle(t, 2)).collect(),
        complete: true,
    });
    assert_eq!(
        app.chart.view.anchor, anchor,
        "the view stays on the same candles"
    );
    assert_eq!(app.model.candles().len(), first.2 + 1_000);
    for _ in 0..500 {
        press(&mut app, KeyCode::Left);
    }
    assert!(
        loads(&app.take_requests()).is_empty(),
        "complete: nothing older"
    );
    assert_eq!(app.chart.view.window(app.model.candles(), 100).start, 0);
}

#[test]
fn go_to_oldest_keeps_loading_until_complete() {
    let mut app = empty();
    let key = app.model.key();
    app.take_requests();
    app.apply(DataEvent::History {
        key,
        candles: (500..1_200).map(|t| candle(t, 1)).collect(),
        complete: false,
    });
    app.take_requests();
    press(&mut app, KeyCode::Home);
    let l = loads(&app.take_requests());
    assert_eq!(l.len(), 1);
    assert_eq!(l[0].1, 500 * 60_000 - 1);
    app.apply(DataEvent::History {
        key,
        candles: (0..500).map(|t| candle(t, 1)).collect(),
        complete: true,
    });
    assert_eq!(app.chart.view.window(app.model.candles(), 100), 0..100);
    assert!(!app.chart.view.pinned_oldest);
}

#[test]
fn freeze_holds_updates_until_resumed() {
    let mut app = sample();
    let key = app.model.key();
    let last = *app.model.candles().last().unwrap();
    let mut next = last;
    next.open_time += 60_000;
    next.close = Price::from_int(1);
    press(&mut app, KeyCode::Char('f'));
    assert!(app.is_frozen());
    app.apply(DataEvent::Candles(vec![(key, next)]));
    assert_eq!(*app.model.candles().last().unwrap(), last);
    // History still lands while frozen: panning must keep working.
    press(&mut app, KeyCode::Char('f'));
    assert!(!app.is_frozen());
    assert_eq!(*app.model.candles().last().unwrap(), next);
}

#[test]
fn help_opens_closes_and_shields_the_screen() {
    let mut app = sample();
    press(&mut app, KeyCode::Char('?'));
    assert!(matches!(app.popup, Some(Popup::Help { .. })));
    press(&mut app, KeyCode::Char('2'));
    assert_eq!(
        app.model.timeframe,
        Timeframe::M1,
        "keys under the popup do nothing"
    );
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.popup, None);
    press(&mut app, KeyCode::F(1));
    assert!(app.popup.is_some());
    press(&mut app, KeyCode::F(1));
    assert_eq!(app.popup, None);
}

#[test]
fn tab_focus_and_news_popup() {
    let mut app = sample();
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Panel::Book);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Panel::Trades);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Panel::Watchlist);
    press(&mut app, KeyCode::Tab);
    assert_eq!(app.focus, Panel::News);
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Enter);
    let coin = app.model.coin().to_string();
    let second = app.news.visible(&coin).nth(1).unwrap().id.clone();
    assert_eq!(app.popup, Some(Popup::News(second)));
    press(&mut app, KeyCode::Esc);
    assert_eq!(app.popup, None);
    for _ in 0..4 {
        press(&mut app, KeyCode::BackTab);
    }
    assert_eq!(app.focus, Panel::Chart);
}

#[test]
fn q_and_ctrl_c_quit() {
    let mut app = sample();
    press(&mut app, KeyCode::Char('q'));
    assert!(app.should_quit());
    let mut app = sample();
    press(&mut app, KeyCode::Char('?'));
    app.handle_key(KeyEvent::new(KeyCode::Char('c'), KeyModifiers::CONTROL));
    assert!(app.should_quit());
}

#[test]
fn export_sends_the_view_as_a_report() {
    let mut app = sample();
    press(&mut app, KeyCode::Char('e'));
    let reqs = app.take_requests();
    let Some(Request::Export { path, report }) = reqs.first() else {
        panic!("no export request");
    };
    assert!(path.starts_with(&app.model.settings.data_dir));
    assert!(path.to_string_lossy().ends_with(".json"));
    assert!(app.message().unwrap().contains(&*path.to_string_lossy()));
    let v = serde_json::to_value(report).unwrap();
    assert_eq!(v["schema"], "cryptoviz.report/v1");
    assert_eq!(v["mode"], "demo");
    let candles = v["series"][0]["candles"].as_array().unwrap();
    assert_eq!(candles.len(), 100);
    assert_eq!(
        v["series"][0]["indicators"]["rsi14"]
            .as_array()
            .unwrap()
            .len(),
        100
    );
    // Warmed up: defined from the first candle of the view on.
    assert!(v["series"][0]["indicators"]["macd"]["signal"][0].is_number());
    // Built before "exporting to ..." was logged.
    assert_eq!(
        v["activity_log"].as_array().unwrap().len(),
        app.health.log.len() - 1
    );
    app.apply(DataEvent::Exported {
        path: path.clone(),
        result: Ok(()),
    });
    assert!(app.message().unwrap().starts_with("exported to "));
}

#[test]
fn mode_never_calls_stale_data_live() {
    let mut s = sample_settings();
    s.demo = false;
    let mut app = App::new(s, SAMPLE_NOW);
    assert_eq!(app.model.mode(), Mode::Offline);
    app.apply(DataEvent::Stream(
        crate::domain::Venue::Binance,
        StreamStatus::Connected,
    ));
    assert_eq!(app.model.mode(), Mode::Live);
    let key = app.model.key();
    app.apply(DataEvent::Candles(vec![(key, candle(1, 1))]));
    app.tick(SAMPLE_NOW + 5_000);
    assert_eq!(app.model.mode(), Mode::Live);
    app.tick(SAMPLE_NOW + 11_000);
    assert_eq!(app.model.mode(), Mode::Stale { age_ms: 11_000 });
    app.apply(DataEvent::Stream(
        crate::domain::Venue::Binance,
        StreamStatus::Reconnecting {
            attempt: 2,
            delay: std::time::Duration::from_secs(1),
            reason: "eof".into(),
        },
    ));
    assert_eq!(app.model.mode(), Mode::Offline);
}

#[test]
fn a_quiet_symbol_reads_stale_while_another_trades() {
    let mut s = sample_settings();
    s.demo = false;
    let mut app = App::new(s, SAMPLE_NOW);
    app.apply(DataEvent::Stream(
        crate::domain::Venue::Binance,
        StreamStatus::Connected,
    ));
    let btc = app.model.key();
    let eth = SeriesKey {
        symbol: app.model.symbols[1],
        ..btc
    };
    app.apply(DataEvent::Candles(vec![(btc, candle(1, 1))]));
    app.tick(SAMPLE_NOW + 8_000);
    app.apply(DataEvent::Candles(vec![(eth, candle(1, 2))]));
    app.tick(SAMPLE_NOW + 15_000);
    // BTC, on screen, last traded 15 s ago; ETH 7 s ago.
    assert_eq!(app.model.mode(), Mode::Stale { age_ms: 15_000 });
    app.act(crate::app::Action::Down);
    assert_eq!(app.model.mode(), Mode::Live, "ETH is live");
}

#[test]
fn store_changed_asks_again() {
    let mut app = empty();
    let key = app.model.key();
    app.take_requests();
    app.apply(DataEvent::History {
        key,
        candles: vec![],
        complete: true,
    });
    app.apply(DataEvent::StoreChanged);
    let l = loads(&app.take_requests());
    assert_eq!(l.len(), 1 + app.model.symbols.len());
    assert_eq!(l[0].0, key);
}

#[test]
fn cli_symbol_outside_the_config_is_added() {
    let cfg = crate::config::Config::default();
    let xrp = Symbol::new("XRPUSDT").unwrap();
    let s =
        super::AppSettings::from_config(&cfg, "/tmp".into(), false, Some(xrp), None, true).unwrap();
    let app = App::new(s, SAMPLE_NOW);
    assert_eq!(app.model.symbol(), xrp);
    assert!(!app.model.settings.theme.color);
}

#[test]
fn chart_windows_report_as_a_cache() {
    let mut app = empty();
    app.take_requests();
    press(&mut app, KeyCode::Char('2'));
    press(&mut app, KeyCode::Char('1'));
    app.apply(DataEvent::Health(Default::default()));
    let (h, _) = app.health.snapshot.as_ref().unwrap();
    let chart = h.caches.iter().find(|c| c.name == "chart").unwrap();
    // 5m was never loaded (a store read); 1m was, so going back is served from memory.
    assert!(chart.misses >= 2, "{chart:?}");
    assert!(chart.hits >= 1, "{chart:?}");
}

/// Three venues' BTC and their composite; Kraken stopped trading a while ago.
fn venues() -> App {
    let sym = |s: &str| Symbol::new(s).unwrap();
    let members = vec![
        sym("binance:BTCUSDT"),
        sym("coinbase:BTC-USD"),
        sym("kraken:BTC/USD"),
    ];
    let composite = sym("composite:BTC-USD");
    let mut settings = sample_settings();
    settings.symbols = members.iter().copied().chain([composite]).collect();
    settings.composites = vec![crate::domain::Composite {
        symbol: composite,
        members: members.clone(),
    }];
    settings.demo = false;
    let mut app = App::new(settings, SAMPLE_NOW);
    app.set_chart_cols(100);
    let minute = SAMPLE_NOW / 60_000 * 60_000;
    for (s, price, at) in [
        (members[0], 100_000, minute),
        (members[1], 100_050, minute),
        (members[2], 99_000, minute - 3 * 3_600_000),
    ] {
        let key = app.model.watch_key(s);
        let mut c = Candle::flat(key.timeframe.bucket(at), Price::from_int(price));
        c.closed = false;
        if at == minute {
            app.apply(DataEvent::Candles(vec![(key, c)]));
        } else {
            app.apply(DataEvent::History {
                key,
                candles: vec![c],
                complete: true,
            });
        }
    }
    app.take_requests();
    app
}

#[test]
fn a_composite_shows_its_members_spread_and_stale_ones() {
    let app = venues();
    assert!(!app.model.single_venue());
    assert_eq!(app.model.label(app.model.symbols[2]), "kraken:BTC/USD");
    let view = app.model.composite_view(&app.model.settings.composites[0]);
    let stale: Vec<bool> = view.members.iter().map(|m| m.stale).collect();
    assert_eq!(stale, [false, false, true]);
    // 100,050 vs 100,000: 5 bp; Kraken's old 99,000 is left out.
    assert!((view.spread_bps.unwrap() - 5.0).abs() < 1e-9, "{view:?}");
    // The markets, the shown one's day, the composite and its three members.
    assert_eq!(app.model.watch_rows(), 4 + 1 + 1 + 3);
}

#[test]
fn a_composite_is_live_while_any_member_venue_is() {
    use crate::domain::Venue;
    let mut app = venues();
    app.select_symbol(3);
    app.apply(DataEvent::Stream(Venue::Kraken, StreamStatus::Stopped));
    app.apply(DataEvent::Stream(Venue::Binance, StreamStatus::Connected));
    assert!(
        !matches!(app.model.mode(), Mode::Offline),
        "{:?}",
        app.model.mode()
    );
    app.apply(DataEvent::Stream(Venue::Binance, StreamStatus::Stopped));
    assert_eq!(
        app.model.mode(),
        Mode::Offline,
        "no member venue is connected"
    );
}

#[test]
fn search_finds_markets_by_venue_and_coin() {
    let syms = venues().model.symbols;
    let hits = |q: &str| -> Vec<usize> {
        super::popup::search_hits(&syms, &[], q)
            .iter()
            .map(|h| syms.iter().position(|s| s == h).unwrap())
            .collect()
    };
    assert_eq!(hits("kraken"), [2]);
    assert_eq!(hits("coinbase"), [1]);
    assert_eq!(hits("BTC"), [0, 1, 2, 3]);
    assert_eq!(hits("composite"), [3]);
    // Separators do not count: `btcusd` finds Coinbase's and Kraken's spelling too.
    assert_eq!(hits("btcusd"), [0, 1, 2, 3]);
}

#[test]
fn the_search_adds_a_listed_market_and_shift_d_removes_it_again() {
    let sym = |s: &str| Symbol::new(s).unwrap();
    let mut app = sample();
    app.apply(DataEvent::Instruments(
        ["BTCUSDT", "DOGEUSDT", "SOLBTC", "SOLUSDT"]
            .map(|s| sym(s).into())
            .to_vec(),
    ));
    // Watched markets first, then the venue's others; a watched one is not offered twice.
    let hits =
        super::popup::search_hits(&app.model.symbols, &app.model.listings.instruments, "sol");
    assert_eq!(hits, [sym("SOLUSDT"), sym("SOLBTC")]);

    press(&mut app, KeyCode::Char('/'));
    chars(&mut app, "solbtc");
    press(&mut app, KeyCode::Enter);
    assert_eq!(app.model.symbol(), sym("SOLBTC"));
    assert_eq!(app.model.symbols.len(), 4);
    let reqs = app.take_requests();
    assert!(
        reqs.iter()
            .any(|r| matches!(r, Request::Watch(l) if l == &[sym("SOLBTC")])),
        "the producers are told"
    );
    assert!(
        loads(&reqs).iter().any(|(k, ..)| k.symbol == sym("SOLBTC")),
        "its history is asked for"
    );

    // Configured markets stay; the added one goes, and the neighbour is shown.
    app.select_symbol(0);
    press(&mut app, KeyCode::Char('D'));
    assert_eq!(app.model.symbols.len(), 4);
    assert!(app.message().unwrap().contains("config file"));
    app.select_symbol(3);
    press(&mut app, KeyCode::Char('D'));
    assert_eq!(app.model.symbols.len(), 3);
    assert_eq!(app.model.symbol(), sym("SOLUSDT"));
    assert!(
        app.take_requests()
            .iter()
            .any(|r| matches!(r, Request::Watch(l) if l.is_empty()))
    );
}

#[test]
fn reports_of_a_kraken_series_get_a_safe_file_name() {
    let mut app = venues();
    app.select_symbol(2);
    press(&mut app, KeyCode::Char('e'));
    let reqs = app.take_requests();
    let Some(Request::Export { path, report }) =
        reqs.iter().find(|r| matches!(r, Request::Export { .. }))
    else {
        panic!("no export request in {}", reqs.len());
    };
    let name = path.file_name().unwrap().to_string_lossy().into_owned();
    assert!(
        name.starts_with("cryptoviz-report-kraken-BTC_USD-1m-"),
        "{name}"
    );
    assert_eq!(path.parent(), Some(app.model.settings.data_dir.as_path()));
    let v = serde_json::to_value(report).unwrap();
    assert_eq!(v["series"][0]["venue"], "kraken");
    assert_eq!(v["series"][0]["symbol"], "BTC/USD");
}

#[test]
fn an_alert_is_set_at_the_current_price_and_listed_disabled_and_deleted() {
    let mut app = venues();
    app.set_chart_cols(100);
    press(&mut app, KeyCode::Char('!'));
    let Some(Popup::AlertNew(level)) = &app.popup else {
        panic!("no alert popup: {:?}", app.popup);
    };
    assert_eq!(level, "100000", "the last price, ready to edit");
    for _ in 0..6 {
        press(&mut app, KeyCode::Backspace);
    }
    chars(&mut app, "101500.5");
    press(&mut app, KeyCode::Enter);
    let reqs = app.take_requests();
    let Some(Request::SaveRule { rule, enabled }) =
        reqs.iter().find(|r| matches!(r, Request::SaveRule { .. }))
    else {
        panic!("no rule saved");
    };
    assert!(*enabled);
    assert_eq!(
        rule.when, "price > 101500.5",
        "above the last price: going up"
    );
    assert_eq!(rule.symbol, Some(Symbol::new("binance:BTCUSDT").unwrap()));
    // The producers answer with the stored list; the panel shows it after the config's.
    app.apply(DataEvent::UserRules(vec![(rule.clone(), true)]));
    press(&mut app, KeyCode::Char('A'));
    assert_eq!(app.popup, Some(Popup::Alerts(0)));
    press(&mut app, KeyCode::Down);
    press(&mut app, KeyCode::Char(' '));
    press(&mut app, KeyCode::Char('d'));
    let reqs = app.take_requests();
    assert!(
        reqs.iter()
            .any(|r| matches!(r, Request::SaveRule { enabled: false, .. }))
    );
    assert!(
        reqs.iter()
            .any(|r| matches!(r, Request::DeleteRule(n) if *n == rule.name))
    );
    // Below the last price it fires going down.
    press(&mut app, KeyCode::Esc);
    press(&mut app, KeyCode::Char('!'));
    for _ in 0..6 {
        press(&mut app, KeyCode::Backspace);
    }
    chars(&mut app, "95000");
    press(&mut app, KeyCode::Enter);
    assert!(app.take_requests().iter().any(|r| matches!(r,
        Request::SaveRule { rule, .. } if rule.when == "price < 95000")));
}

#[test]
fn an_attached_dashboard_leaves_alerts_to_its_collector() {
    let mut app = venues();
    app.model.settings.attached = true;
    press(&mut app, KeyCode::Char('!'));
    // Refused at once: no popup to type a level into first.
    assert!(app.popup.is_none());
    let said = app.message().unwrap();
    assert!(said.contains("collector writing this store"), "{said}");
    assert!(!said.contains("data dir"), "true of a database too: {said}");
    press(&mut app, KeyCode::Enter);
    assert!(
        !app.take_requests()
            .iter()
            .any(|r| matches!(r, Request::SaveRule { .. }))
    );
    assert!(app.message().unwrap().contains("collector"));
}

#[test]
fn attached_over_the_bus_the_search_asks_the_collectors_and_their_answer_shows_the_market() {
    let sym = |s: &str| Symbol::new(s).unwrap();
    let mut app = sample();
    app.model.settings.attached = true;
    app.apply(DataEvent::Instruments(
        ["BTCUSDT", "SOLBTC"].map(|s| sym(s).into()).to_vec(),
    ));
    // Without the bus there is no one to ask.
    press(&mut app, KeyCode::Char('/'));
    chars(&mut app, "solbtc");
    press(&mut app, KeyCode::Enter);
    assert!(
        app.message()
            .unwrap()
            .contains("add it to the collector's config")
    );
    assert!(
        !app.take_requests()
            .iter()
            .any(|r| matches!(r, Request::Collect(_)))
    );
    // With it, the collectors are asked; nothing is shown until one answers.
    app.apply(DataEvent::Bus(true));
    press(&mut app, KeyCode::Char('/'));
    chars(&mut app, "solbtc");
    press(&mut app, KeyCode::Enter);
    assert!(
        app.take_requests()
            .iter()
            .any(|r| matches!(r, Request::Collect(s) if *s == sym("SOLBTC")))
    );
    assert_eq!(app.model.symbols.len(), 3);
    assert!(
        app.message()
            .unwrap()
            .contains("asked the collectors on the bus")
    );
    // The answer names its collector (untrusted text, cleaned): the market is shown, its
    // history asked for, its book too.
    app.apply(DataEvent::Collected {
        market: sym("SOLBTC"),
        by: Err("no collector on the bus streams binance".into()),
    });
    assert_eq!(app.model.symbols.len(), 3, "not shown when not taken");
    assert_eq!(
        app.message().unwrap(),
        "SOLBTC not added: no collector on the bus streams binance"
    );
    app.apply(DataEvent::Collected {
        market: sym("SOLBTC"),
        by: Ok("desk-1\u{1b}[2J".into()),
    });
    assert_eq!(app.model.symbol(), sym("SOLBTC"));
    let said = app.message().unwrap();
    assert!(
        said.starts_with("SOLBTC added by collector desk-1"),
        "{said}"
    );
    assert!(!said.contains('\u{1b}'), "{said}");
    let reqs = app.take_requests();
    assert!(loads(&reqs).iter().any(|(k, ..)| k.symbol == sym("SOLBTC")));
    assert!(
        reqs.iter()
            .any(|r| matches!(r, Request::Shown(s) if *s == sym("SOLBTC")))
    );
}

#[test]
fn s_sorts_the_watchlist_and_up_down_follow_its_order() {
    let mut app = sample();
    assert_eq!(app.watch_order(), [0, 1, 2], "as listed");
    // The sample's day: BTC +1.84 %, ETH +6.70 %, SOL +9.83 %.
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.watch_order(), [2, 1, 0], "by change");
    assert_eq!(app.model.selected, 0, "the shown market stays");
    press(&mut app, KeyCode::Up);
    assert_eq!(app.model.symbol().as_str(), "ETHUSDT", "up the sorted list");
    press(&mut app, KeyCode::Char('s'));
    press(&mut app, KeyCode::Char('s'));
    let by_volume = app.watch_order();
    let volumes: Vec<f64> = by_volume
        .iter()
        .map(|&i| {
            app.model
                .day_stats(app.model.symbols[i])
                .unwrap()
                .quote_volume
                .unwrap()
        })
        .collect();
    assert!(volumes.windows(2).all(|w| w[0] >= w[1]), "{volumes:?}");
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.watch_order(), [0, 1, 2], "by name");
    press(&mut app, KeyCode::Char('s'));
    assert_eq!(app.watchlist.sort, super::watchlist::WatchSort::Listed);
}
