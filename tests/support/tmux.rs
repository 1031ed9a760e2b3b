//! A real terminal for end-to-end tests: a private tmux server (its own socket, so tests never
//! touch the user's sessions) running one command in one window.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::time::{Duration, Instant};

pub struct Tmux {
    socket: PathBuf,
}

const SESSION: &str = "cv";

impl Tmux {
    /// Whether the `tmux` binary runs at all.
    pub fn available() -> bool {
        Command::new("tmux")
            .arg("-V")
            .output()
            .is_ok_and(|o| o.status.success())
    }

    /// `None` (after saying so) when tmux is missing on a developer machine; a failure in CI,
    /// where a skipped end-to-end test would hide a broken dashboard.
    pub fn require(test: &str) -> Option<()> {
        if Self::available() {
            return Some(());
        }
        if std::env::var_os("CI").is_some() {
            panic!("{test}: tmux is required when CI is set (install it: apt-get install -y tmux)");
        }
        eprintln!("SKIPPED {test}: tmux is not installed (apt-get install -y tmux)");
        None
    }

    /// Starts `command` (run by `sh -c`) in a detached `width` x `height` window.
    pub fn start(dir: &Path, width: u16, height: u16, command: &str) -> Tmux {
        let t = Tmux {
            socket: dir.join("tmux.sock"),
        };
        let out = t.run(&[
            "new-session",
            "-d",
            "-s",
            SESSION,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
            command,
        ]);
        assert!(
            out.status.success(),
            "tmux new-session: {}",
            String::from_utf8_lossy(&out.stderr)
        );
        t
    }

    fn run(&self, args: &[&str]) -> Output {
        Command::new("tmux")
            .arg("-S")
            .arg(&self.socket)
            .args(["-f", "/dev/null"])
            .args(args)
            .env("TERM", "xterm-256color")
            .output()
            .expect("running tmux")
    }

    /// Sends tmux key names ("q", "Escape", "C-c"), one at a time with a pause, so a lone
    /// Escape is not read as Alt plus the next key.
    pub fn send_keys(&self, keys: &[&str]) {
        for k in keys {
            self.run(&["send-keys", "-t", SESSION, k]);
            std::thread::sleep(Duration::from_millis(150));
        }
    }

    /// The visible screen, one line per row.
    pub fn capture(&self) -> String {
        String::from_utf8_lossy(&self.run(&["capture-pane", "-p", "-t", SESSION]).stdout)
            .into_owned()
    }

    pub fn resize(&self, width: u16, height: u16) {
        let out = self.run(&[
            "resize-window",
            "-t",
            SESSION,
            "-x",
            &width.to_string(),
            "-y",
            &height.to_string(),
        ]);
        assert!(
            out.status.success(),
            "tmux resize-window: {}",
            String::from_utf8_lossy(&out.stderr)
        );
    }

    /// Polls the screen until `pred` holds; panics with `what` and the last screen otherwise.
    pub fn wait_for(&self, what: &str, timeout: Duration, pred: impl Fn(&str) -> bool) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            let screen = self.capture();
            if pred(&screen) {
                return screen;
            }
            if Instant::now() > deadline {
                panic!("timed out after {timeout:?} waiting for {what}; screen:\n{screen}");
            }
            std::thread::sleep(Duration::from_millis(100));
        }
    }
}

impl Drop for Tmux {
    fn drop(&mut self) {
        let _ = self.run(&["kill-server"]);
    }
}

/// The real dashboard in a terminal of `width` x `height`: `--config cfg --data-dir data` and
/// `extra` arguments (already quoted); its exit status lands in `<data>/exit`.
pub fn dashboard(
    dir: &Path,
    cfg: &Path,
    data: &Path,
    extra: &str,
    width: u16,
    height: u16,
) -> Tmux {
    let _ = std::fs::remove_file(data.join("exit"));
    let command = format!(
        "'{bin}' --config '{cfg}' --data-dir '{data}' {extra}; echo EXIT=$? > '{data}/exit'",
        bin = env!("CARGO_BIN_EXE_cryptoviz"),
        cfg = cfg.display(),
        data = data.display(),
    );
    Tmux::start(dir, width, height, &command)
}

impl Tmux {
    /// Quits a [`dashboard`] with `q` and asserts it exits 0 within 20 s.
    pub fn quit_dashboard(&self, data: &Path) {
        self.send_keys(&["q"]);
        let exit = data.join("exit");
        let deadline = Instant::now() + Duration::from_secs(20);
        while !exit.exists() {
            assert!(Instant::now() < deadline, "dashboard did not exit");
            std::thread::sleep(Duration::from_millis(100));
        }
        let status = std::fs::read_to_string(&exit).unwrap_or_default();
        assert_eq!(status.trim(), "EXIT=0");
    }
}
