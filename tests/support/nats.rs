//! A private `nats-server -js` on a free port of 127.0.0.1, its own store directory, stopped
//! when dropped: tests that stop and restart the server never touch the machine's own.
#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

pub struct NatsServer {
    child: Option<Child>,
    pub port: u16,
    dir: PathBuf,
    args: Vec<String>,
}

/// Whether `nats-server` can be run here; without it a test says it skipped, and fails in CI
/// (`CRYPTOVIZ_REQUIRE_NATS`).
pub fn available(test: &str) -> bool {
    let ok = Command::new("nats-server")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    if !ok {
        assert!(
            std::env::var_os("CRYPTOVIZ_REQUIRE_NATS").is_none(),
            "{test}: nats-server is not installed"
        );
        eprintln!("{test}: skipped, nats-server is not installed");
    }
    ok
}

pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

impl NatsServer {
    /// A JetStream server on a free port; `extra` adds server flags (`--user`, `--pass`).
    pub fn start(dir: &Path, extra: &[&str]) -> NatsServer {
        let mut s = NatsServer {
            child: None,
            port: free_port(),
            dir: dir.join("nats"),
            args: extra.iter().map(|a| a.to_string()).collect(),
        };
        s.up();
        s
    }

    /// Not started: the port is chosen and kept for [`NatsServer::up`].
    pub fn later(dir: &Path, extra: &[&str]) -> NatsServer {
        NatsServer {
            child: None,
            port: free_port(),
            dir: dir.join("nats"),
            args: extra.iter().map(|a| a.to_string()).collect(),
        }
    }

    pub fn url(&self) -> String {
        format!("nats://127.0.0.1:{}", self.port)
    }

    /// Starts it (again, on the same port and store) and waits until it accepts.
    pub fn up(&mut self) {
        assert!(self.child.is_none());
        let child = Command::new("nats-server")
            .args([
                "-js",
                "-a",
                "127.0.0.1",
                "-p",
                &self.port.to_string(),
                "-sd",
            ])
            .arg(&self.dir)
            .args(&self.args)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start nats-server");
        self.child = Some(child);
        let deadline = Instant::now() + Duration::from_secs(10);
        while std::net::TcpStream::connect(("127.0.0.1", self.port)).is_err() {
            assert!(Instant::now() < deadline, "nats-server did not start");
            std::thread::sleep(Duration::from_millis(20));
        }
    }

    /// Stops it at once (SIGKILL), as a crash would.
    pub fn down(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }
}

impl Drop for NatsServer {
    fn drop(&mut self) {
        self.down();
    }
}

/// Every message the stream holds on `subject`, in stream order: (payload, Nats-Msg-Id);
/// none while the stream does not exist.
pub async fn stream_messages(
    url: &str,
    user: Option<(&str, &str)>,
    stream: &str,
    subject: &str,
) -> Vec<(serde_json::Value, String)> {
    let opts = match user {
        Some((u, p)) => async_nats::ConnectOptions::with_user_and_password(u.into(), p.into()),
        None => async_nats::ConnectOptions::new(),
    };
    let client = opts.connect(url).await.expect("connect to the bus");
    let js = async_nats::jetstream::new(client);
    // Not made yet: nothing on it.
    let Ok(mut s) = js.get_stream(stream).await else {
        return Vec::new();
    };
    let info = s.info().await.unwrap().state.clone();
    let mut out = Vec::new();
    for seq in info.first_sequence..=info.last_sequence {
        let Ok(m) = s.get_raw_message(seq).await else {
            continue;
        };
        if m.subject.as_str() != subject {
            continue;
        }
        let id = m
            .headers
            .get("Nats-Msg-Id")
            .map(|v| v.as_str().to_string())
            .unwrap_or_default();
        out.push((serde_json::from_slice(&m.payload).unwrap(), id));
    }
    out
}

/// The distinct subjects the stream holds, for a failure's message.
pub async fn stream_subjects(url: &str, stream: &str) -> Vec<String> {
    let client = async_nats::connect(url).await.expect("connect to the bus");
    let js = async_nats::jetstream::new(client);
    let Ok(mut s) = js.get_stream(stream).await else {
        return Vec::new();
    };
    let info = s.info().await.unwrap().state.clone();
    let mut out = std::collections::BTreeSet::new();
    for seq in info.first_sequence..=info.last_sequence {
        if let Ok(m) = s.get_raw_message(seq).await {
            out.insert(m.subject.to_string());
        }
    }
    out.into_iter().collect()
}
