//! The real binary in a real terminal (tmux): `--demo` with a temporary data dir, driven by
//! keys the way a user would, read back with capture-pane.

mod support;

use std::path::Path;
use std::time::{Duration, Instant};

use support::tmux::Tmux;

const START: Duration = Duration::from_secs(60);
const STEP: Duration = Duration::from_secs(15);

/// The status bar (last non-empty line of the screen).
fn status(screen: &str) -> &str {
    screen
        .lines()
        .rev()
        .find(|l| !l.trim().is_empty())
        .unwrap_or("")
}

fn reports(dir: &Path) -> Vec<std::path::PathBuf> {
    std::fs::read_dir(dir)
        .unwrap()
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| {
            p.file_name()
                .is_some_and(|n| n.to_string_lossy().starts_with("cryptoviz-report-"))
        })
        .collect()
}

fn wait_file(path: &Path, timeout: Duration) -> String {
    let deadline = Instant::now() + timeout;
    loop {
        if let Ok(s) = std::fs::read_to_string(path)
            && !s.is_empty()
        {
            return s;
        }
        assert!(
            Instant::now() < deadline,
            "{} never appeared",
            path.display()
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The shell command running the demo dashboard, leaving its exit status in `exit`.
fn demo_command(config: &Path, data: &Path, exit: &Path) -> String {
    format!(
        "'{bin}' --demo --config '{config}' --data-dir '{data}'; echo EXIT=$? > '{exit}'",
        bin = env!("CARGO_BIN_EXE_cryptoviz"),
        config = config.display(),
        data = data.display(),
        exit = exit.display(),
    )
}

#[test]
fn demo_dashboard_end_to_end() {
    if Tmux::require("demo_dashboard_end_to_end").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "[ui]\nfps = 30\n").unwrap();
    let exit_file = tmp.path().join("exit");
    let command = demo_command(&config, &data, &exit_file);
    let t = Tmux::start(tmp.path(), 160, 48, &command);

    // The panels appear, then the demo market's candles (the last-price marker).
    let screen = t.wait_for("the panels", START, |s| {
        [
            "BTCUSDT 1m",
            "Watchlist",
            "News",
            "Health",
            "RSI(14)",
            "MACD(12,26,9)",
            "● DEMO",
        ]
        .iter()
        .all(|n| s.contains(n))
    });
    assert!(status(&screen).contains("BTCUSDT"), "{screen}");
    t.wait_for("candles", START, |s| {
        // The demo simulates several venues: one dot per venue in the health panel.
        s.contains('◀') && s.contains("● BIN") && s.contains("● KRK")
    });

    // Timeframe: 2 is 5m.
    t.send_keys(&["2"]);
    t.wait_for("the 5m timeframe", STEP, |s| {
        s.contains("BTCUSDT 5m") && status(s).contains(" 5m ")
    });

    // Symbol: j moves down the watchlist.
    t.send_keys(&["j"]);
    t.wait_for("ETHUSDT", STEP, |s| {
        s.contains("ETHUSDT 5m") && status(s).contains("ETHUSDT")
    });

    // The demo's made-up ledger holds ETH: the status bar gives the holding and its P&L at
    // the live price and the chart its average cost; P opens the portfolio (its perp short
    // too), equity chart and all, and Esc closes it.
    t.wait_for("the ETH holding", STEP, |s| {
        status(s).contains("hold 2.5 ETH") && s.contains("cost ")
    });
    t.send_keys(&["P"]);
    t.wait_for("the portfolio popup", STEP, |s| {
        s.contains("Portfolio · USD · fifo")
            && s.contains("│BTC ")
            && s.contains("│P BTCUSDT ")
            && s.contains("equity, daily")
    });
    t.send_keys(&["Escape"]);
    t.wait_for("the portfolio popup to close", STEP, |s| {
        !s.contains("Portfolio · USD")
    });
    // E charts the equity in the chart's place; E again gives the market back.
    t.send_keys(&["E"]);
    t.wait_for("the equity chart", STEP, |s| {
        s.contains("Portfolio equity · USD · fifo") && !s.contains("ETHUSDT 5m")
    });
    t.send_keys(&["E"]);
    t.wait_for("the market's chart again", STEP, |s| {
        s.contains("ETHUSDT 5m") && !s.contains("Portfolio equity")
    });

    // Help opens with ? and closes with Esc.
    t.send_keys(&["?"]);
    let help = t.wait_for("the help popup", STEP, |s| s.contains("Help · Esc closes"));
    for line in [
        "Quit",
        "Toggle this help",
        "Export the view",
        "Freeze / resume",
    ] {
        assert!(help.contains(line), "help lacks {line:?}:\n{help}");
    }
    t.send_keys(&["Escape"]);
    t.wait_for("the help popup to close", STEP, |s| {
        !s.contains("Help · Esc closes")
    });

    // Export: the status bar says where, and the file is a valid report of the view.
    t.send_keys(&["e"]);
    let screen = t.wait_for("the export message", STEP, |s| {
        status(s).contains("exported to")
    });
    let files = reports(&data);
    assert_eq!(files.len(), 1, "{files:?}");
    let name = files[0].file_name().unwrap().to_string_lossy().into_owned();
    assert!(status(&screen).contains(&name), "{}", status(&screen));
    let report: serde_json::Value = serde_json::from_str(&wait_file(&files[0], STEP)).unwrap();
    assert_eq!(report["schema"], "cryptoviz.report/v1");
    assert_eq!(report["mode"], "demo");
    assert_eq!(report["series"][0]["symbol"], "ETHUSDT");
    assert_eq!(report["series"][0]["timeframe"], "5m");
    let candles = report["series"][0]["candles"].as_array().unwrap();
    assert!(!candles.is_empty());
    assert_eq!(
        report["series"][0]["indicators"]["rsi14"]
            .as_array()
            .unwrap()
            .len(),
        candles.len()
    );
    // SPEC §8: the default chart's indicators by name too, aligned, equal to v2's keys.
    let ind = &report["series"][0]["indicators"];
    assert_eq!(ind["rsi:14"], ind["rsi14"]);
    assert_eq!(ind["mom:10"], ind["momentum10"]);
    assert_eq!(
        ind["macd:12,26,9"]["hist"].as_array().unwrap().len(),
        candles.len()
    );
    assert_eq!(
        ind["bbands:20,2"]["upper"].as_array().unwrap().len(),
        candles.len()
    );

    // An alert from the keyboard: ! opens it at the last price; a level a little above it is
    // typed in; the rule is listed by A, drawn on the chart, and counted in the health panel.
    t.send_keys(&["!"]);
    let popup = t.wait_for("the alert popup", STEP, |s| {
        s.contains("New alert · Enter sets")
    });
    let last: f64 = popup
        .lines()
        .find_map(|l| l.split("last ").nth(1))
        .and_then(|rest| rest.split_whitespace().next())
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("no last price in\n{popup}"));
    let level = format!("{:.0}", last * 1.5 + 1.0);
    let mut keys: Vec<&str> = vec!["BSpace"; 16];
    keys.extend(level.split("").filter(|c| !c.is_empty()));
    keys.push("Enter");
    t.send_keys(&keys);
    t.wait_for("the alert to be set", STEP, |s| {
        status(s).contains(&format!("alert set: binance:ETHUSDT > {level}"))
    });
    t.send_keys(&["A"]);
    t.wait_for("the rules popup", STEP, |s| {
        s.contains("Alerts · space on/off") && s.contains(&format!("price > {level}"))
    });
    t.send_keys(&["Escape"]);
    t.wait_for("the health panel to count it", STEP, |s| {
        s.contains("Alerts   1 rules")
    });

    // Resizes: smaller (side panels stay at 100 columns), too small, and back.
    t.resize(100, 30);
    t.wait_for("the 100x30 layout", STEP, |s| {
        s.lines().count() <= 30 && s.contains("Watchlist") && s.contains("ETHUSDT 5m")
    });
    t.resize(30, 8);
    t.wait_for("the too-small message", STEP, |s| {
        s.contains("terminal too small")
    });
    t.resize(160, 48);
    t.wait_for("the full layout again", STEP, |s| {
        s.contains("Watchlist") && s.contains("Health")
    });

    // Quit with q: exit code 0.
    t.send_keys(&["q"]);
    let exit = wait_file(&exit_file, STEP);
    assert_eq!(exit.trim(), "EXIT=0");
}

#[test]
fn ctrl_c_quits_cleanly_too() {
    if Tmux::require("ctrl_c_quits_cleanly_too").is_none() {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "").unwrap();
    let exit_file = tmp.path().join("exit");
    let command = demo_command(&config, &tmp.path().join("data"), &exit_file);
    let t = Tmux::start(tmp.path(), 120, 40, &command);
    t.wait_for("the dashboard", START, |s| s.contains("Watchlist"));
    t.send_keys(&["C-c"]);
    assert_eq!(wait_file(&exit_file, STEP).trim(), "EXIT=0");
}

#[test]
fn bad_key_config_is_a_usage_error_before_the_screen_is_touched() {
    let tmp = tempfile::tempdir().unwrap();
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "[ui.keys]\nlaunch = [\"x\"]\n").unwrap();
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_cryptoviz"))
        .args(["--demo", "--config"])
        .arg(&config)
        .arg("--data-dir")
        .arg(tmp.path().join("data"))
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(2));
    let err = String::from_utf8_lossy(&out.stderr);
    assert!(err.contains("ui.keys.launch"), "{err}");
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(
        out.stdout.is_empty(),
        "no escape sequences on a failed start"
    );
}

/// `i` in the real binary: an indicator added from the menu is drawn, a bad one is refused with
/// the config's words, and the choice is there again after a restart at 80x24.
#[test]
fn the_indicator_menu_adds_refuses_and_keeps_the_choice_across_a_restart() {
    if Tmux::require("the_indicator_menu_adds_refuses_and_keeps_the_choice_across_a_restart")
        .is_none()
    {
        return;
    }
    let tmp = tempfile::tempdir().unwrap();
    let data = tmp.path().join("data");
    let config = tmp.path().join("config.toml");
    std::fs::write(&config, "[ui]\nfps = 30\n").unwrap();
    let run = |n: usize| {
        let exit_file = tmp.path().join(format!("exit{n}"));
        let command = demo_command(&config, &data, &exit_file);
        (Tmux::start(tmp.path(), 80, 24, &command), exit_file)
    };
    let (t, exit_file) = run(1);
    t.wait_for("the chart", START, |s| {
        s.contains("BB(20,2)") && s.contains('◀')
    });
    t.send_keys(&["i"]);
    t.wait_for("the menu", STEP, |s| {
        s.contains("Indicators") && s.contains("add:")
    });
    t.send_keys(&["e", "m", "a", ":", "0", "Enter"]);
    t.wait_for("the refusal", STEP, |s| {
        s.contains("refused: ema period must be a whole number from 2 to 100000")
    });
    t.send_keys(&["BSpace", "5", "0", "Enter"]);
    t.wait_for("EMA(50) in the menu", STEP, |s| s.contains("ema:50"));
    // Take the momentum pane off: it is the last; select it and Delete.
    t.send_keys(&["Down", "Down", "Down", "Down", "DC", "Escape"]);
    let screen = t.wait_for("EMA(50) in the legend", STEP, |s| {
        s.contains("·BB(20,2) •EMA(50)") && !s.contains("Indicators ·")
    });
    assert!(status(&screen).contains("indicators: "), "{screen}");
    t.send_keys(&["q"]);
    assert_eq!(wait_file(&exit_file, STEP).trim(), "EXIT=0");
    let kept = std::fs::read_to_string(data.join("demo-indicators.toml")).unwrap();
    assert!(
        kept.lines()
            .any(|l| l == r#"chosen = ["bbands:20,2", "ema:50", "rsi:14", "macd:12,26,9"]"#),
        "{kept}"
    );

    let (t, exit_file) = run(2);
    let screen = t.wait_for("the kept choice", START, |s| {
        s.contains("·BB(20,2) •EMA(50)") && s.contains('◀')
    });
    assert!(!screen.contains("MOM(10)"), "{screen}");
    t.send_keys(&["q"]);
    assert_eq!(wait_file(&exit_file, STEP).trim(), "EXIT=0");
}
