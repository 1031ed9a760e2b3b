//! Dashboard figures: frame render time, time to the first frame with data from a store
//! holding long histories, and the real dashboard process's idle CPU and peak memory.

use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use ratatui::Terminal;
use ratatui::backend::TestBackend;
use ratatui::layout::Rect;

use super::data;
use super::measure::median;
use crate::app::event::{DataEvent, Request};
use crate::app::sample::{sample_app, sample_settings};
use crate::app::{App, AppSettings};
use crate::config::Config;
use crate::domain::{Millis, SeriesKey, Symbol, Timeframe};
use crate::store::{CandleSource, Store, StoreOptions};

/// p50 and p99 of one full frame at 200x50 on a populated App; with `portfolio`, the user
/// holds the shown coin (the cost line, the P&L in the status bar) and the portfolio popup is
/// open on 30 positions and a year of daily equity.
pub fn render_frames(n: usize, portfolio: bool) -> anyhow::Result<(f64, f64)> {
    let mut app = sample_app(sample_settings());
    if portfolio {
        app.apply(DataEvent::Portfolio(Ok(Some(sample_portfolio(
            app.model.now,
        )))));
        app.handle_key(crossterm::event::KeyEvent::new(
            crossterm::event::KeyCode::Char('P'),
            crossterm::event::KeyModifiers::SHIFT,
        ));
        app.take_requests();
    }
    let mut terminal = Terminal::new(TestBackend::new(200, 50))?;
    for _ in 0..10 {
        terminal.draw(|f| crate::ui::render(f, &app))?;
    }
    let mut times = Vec::with_capacity(n);
    for _ in 0..n {
        let t = Instant::now();
        terminal.draw(|f| crate::ui::render(f, &app))?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(|a, b| a.total_cmp(b));
    let p = |q: f64| times[((q * times.len() as f64) as usize).min(times.len() - 1)];
    Ok((round3(p(0.5)), round3(p(0.99))))
}

/// A valued portfolio: BTC (the sample's shown coin) and 29 others, a year of daily equity
/// with its ups and downs.
fn sample_portfolio(now: Millis) -> crate::portfolio::report::PortfolioReport {
    use crate::portfolio::history::Snapshot;
    use crate::portfolio::report::{PortfolioReport, PositionReport, Totals};
    let coins = ["BTC", "ETH", "SOL"]
        .into_iter()
        .map(String::from)
        .chain((3..30).map(|i| format!("COIN{i}")));
    let positions = coins
        .enumerate()
        .map(|(i, asset)| PositionReport {
            asset,
            qty: format!("{}.5", i + 1),
            avg_cost: Some(format!("{}", 36_000 / (i + 1))),
            cost: "1000".into(),
            value: (i % 7 != 6).then(|| format!("{}", 1000 + 37 * i)),
            unrealized: (i % 7 != 6).then(|| format!("{}", 37 * i)),
            realized: "12.5".into(),
            fees: "1.25".into(),
            funding: "0".into(),
            share_pct: (i % 7 != 6).then(|| "3.3".into()),
            price_path: None,
            perp: None,
        })
        .collect();
    let snapshots = (0..365)
        .map(|d| Snapshot {
            time: now - (365 - d) * 86_400_000,
            equity: format!(
                "{:.2}",
                30_000.0 + 5_000.0 * (d as f64 / 20.0).sin() + 20.0 * d as f64
            ),
            realized: "0".into(),
            unrealized: "0".into(),
            unvalued: Vec::new(),
        })
        .collect();
    PortfolioReport {
        currency: "USD".into(),
        method: "fifo",
        at: now,
        positions,
        totals: Totals {
            cost: "30000".into(),
            value: "41000".into(),
            unrealized: "11000".into(),
            realized: "375".into(),
            fees: "37.5".into(),
            funding: "0".into(),
            unvalued: vec!["COIN6".into(), "COIN13".into()],
        },
        risk: None,
        snapshots,
        cash: vec!["USD".into(), "USDT".into()],
    }
}

fn round3(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

pub const SYMBOLS: [&str; 10] = [
    "BTCUSDT", "ETHUSDT", "SOLUSDT", "XRPUSDT", "BNBUSDT", "ADAUSDT", "DOGEUSDT", "LINKUSDT",
    "AVAXUSDT", "DOTUSDT",
];

/// Writes `days` of 1m candles for each of the ten symbols, then tiers them with the default
/// retention (7 days hot, the rest cold), as a long-running install would hold them.
pub async fn fill_history(path: &Path, days: usize) -> anyhow::Result<()> {
    let store = Store::open(path, StoreOptions::default())?;
    let n = days * 1440;
    let end: Millis = crate::domain::now_ms() / 60_000 * 60_000;
    let start = end - n as Millis * 60_000;
    for s in SYMBOLS {
        let key = SeriesKey {
            symbol: Symbol::new(s)?,
            timeframe: Timeframe::M1,
        };
        for chunk in data::candles(n, start).chunks(50_000) {
            store
                .write_klines(key, chunk.to_vec(), CandleSource::Rest, None)
                .await?;
        }
    }
    crate::store::tier_all(&store, &Default::default(), end, None).await?;
    store.close().await?;
    Ok(())
}

/// From opening the store to the first 200x50 frame showing the selected series' candles,
/// through the dashboard's own code path (App, history request, render).
pub async fn first_frame(path: &Path, reps: usize) -> anyhow::Result<f64> {
    let mut runs = Vec::new();
    for _ in 0..reps {
        let t = Instant::now();
        let store = Store::open(path, StoreOptions::default())?;
        let settings = AppSettings {
            symbols: SYMBOLS
                .iter()
                .map(|s| Symbol::new(s))
                .collect::<Result<_, _>>()?,
            timeframes: vec![Timeframe::M1],
            demo: false,
            ..sample_settings()
        };
        let mut app = App::new(settings, crate::domain::now_ms());
        let area = Rect::new(0, 0, 200, 50);
        app.set_screen(area.width, area.height);
        let mut terminal = Terminal::new(TestBackend::new(200, 50))?;
        terminal.draw(|f| crate::ui::render(f, &app))?;
        for r in app.take_requests() {
            if let Request::LoadHistory { key, before, limit } = r {
                let candles = store.candles_before(key, before, limit).await?;
                let complete = candles.len() < limit;
                app.apply(DataEvent::History {
                    key,
                    candles,
                    complete,
                });
                if key.symbol == app.model.key().symbol {
                    break;
                }
            }
        }
        terminal.draw(|f| crate::ui::render(f, &app))?;
        runs.push(t.elapsed().as_secs_f64() * 1000.0);
        anyhow::ensure!(
            !app.model.candles().is_empty(),
            "first frame without candles"
        );
        store.close().await?;
    }
    Ok(round3(median(runs)))
}

/// Runs the real dashboard binary in a pseudo-terminal (`script`) for `secs` after `warmup`
/// and returns (CPU percent over that span, peak RSS in MB). None where `script` is missing.
pub fn dashboard_process(
    dir: &Path,
    config: &Config,
    demo: bool,
    warmup: Duration,
    secs: Duration,
) -> anyhow::Result<Option<(f64, f64)>> {
    if Command::new("script").arg("--version").output().is_err() {
        return Ok(None);
    }
    let cfg = dir.join(if demo { "demo.toml" } else { "idle.toml" });
    std::fs::write(&cfg, toml::to_string(config)?)?;
    let exe = std::env::current_exe()?;
    let cmd = format!(
        "'{}' --config '{}' --data-dir '{}'{}",
        exe.display(),
        cfg.display(),
        dir.display(),
        if demo { " --demo" } else { "" }
    );
    // The dashboard inherits the variable through `script`.
    let mut child = super::orphan::child("script")
        .args(["-qfec", &cmd, "/dev/null"])
        .env("TERM", "xterm-256color")
        .env("COLUMNS", "200")
        .env("LINES", "50")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()?;
    std::thread::sleep(warmup);
    let pid = find_child(child.id(), "cryptoviz");
    let result = pid.and_then(|pid| {
        let (cpu0, t0) = (cpu_ticks(pid)?, Instant::now());
        std::thread::sleep(secs);
        let cpu1 = cpu_ticks(pid)?;
        let ticks = ticks_per_sec();
        let cpu = (cpu1 - cpu0) as f64 / ticks / t0.elapsed().as_secs_f64() * 100.0;
        Some(((cpu * 100.0).round() / 100.0, hwm_mb(pid)?))
    });
    let _ = child.kill();
    if let Some(pid) = pid {
        let _ = Command::new("kill").arg(pid.to_string()).status();
    }
    let _ = child.wait();
    Ok(result)
}

/// The first descendant of `parent` whose command name starts with `name`.
fn find_child(parent: u32, name: &str) -> Option<u32> {
    let mut frontier = vec![parent];
    while let Some(p) = frontier.pop() {
        let children = std::fs::read_to_string(format!("/proc/{p}/task/{p}/children")).ok()?;
        for c in children
            .split_whitespace()
            .filter_map(|c| c.parse::<u32>().ok())
        {
            let comm = std::fs::read_to_string(format!("/proc/{c}/comm")).unwrap_or_default();
            if comm.trim().starts_with(name) {
                return Some(c);
            }
            frontier.push(c);
        }
    }
    None
}

/// utime + stime of a process, in clock ticks.
pub(super) fn cpu_ticks(pid: u32) -> Option<u64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may contain spaces) start after the last ')'.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    Some(f.get(11)?.parse::<u64>().ok()? + f.get(12)?.parse::<u64>().ok()?)
}

pub(super) fn ticks_per_sec() -> f64 {
    // getconf CLK_TCK is 100 on every Linux this runs on; ask to be sure.
    Command::new("getconf")
        .arg("CLK_TCK")
        .output()
        .ok()
        .and_then(|o| String::from_utf8_lossy(&o.stdout).trim().parse().ok())
        .unwrap_or(100.0)
}

pub(super) fn hwm_mb(pid: u32) -> Option<f64> {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).ok()?;
    let kb: f64 = status
        .lines()
        .find_map(|l| l.strip_prefix("VmHWM:"))?
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some((kb / 1024.0 * 10.0).round() / 10.0)
}
