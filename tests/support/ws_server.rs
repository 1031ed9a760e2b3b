//! A Binance-like WebSocket server on 127.0.0.1 for tests, scripted from the test body: push
//! frames, garbage, pings and `serverShutdown` to every open connection, drop or close them,
//! go silent, or refuse new connections for a while (an outage). Every handshake's path and
//! query is recorded, and so is every pong a client sends back.
//!
//! Runs on the test's own tokio runtime (`#[tokio::test]`); dropping the server stops it.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use futures_util::{SinkExt, StreamExt};
use tokio::io::AsyncWriteExt;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tokio::task::AbortHandle;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::handshake::server::{
    Callback, ErrorResponse, Request, Response,
};
use tokio_tungstenite::tungstenite::http::StatusCode;

/// How to end the open connections.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Disconnect {
    /// A WebSocket close frame, then the TCP close.
    Close,
    /// Drop the TCP connection without a word.
    Drop,
}

#[derive(Debug)]
enum Cmd {
    Text(String),
    Raw(Vec<u8>),
    Ping(Vec<u8>),
    End(Disconnect),
}

#[derive(Default)]
struct State {
    /// Request target (path and query) of every handshake, accepted or refused.
    requests: Vec<String>,
    accepted: usize,
    refused: usize,
    refuse_until: Option<Instant>,
    conns: Vec<mpsc::UnboundedSender<Cmd>>,
    pongs: Vec<Vec<u8>>,
    /// Text frames clients sent.
    received: Vec<String>,
    tasks: Vec<AbortHandle>,
    /// Answers a client's text frame on the same connection (a venue's acks and pongs).
    responder: Option<Responder>,
    /// Only connections whose path starts with this get pushed frames (Binance fstream's
    /// routes): others stay open and silent, answering pings.
    route: Option<String>,
}

/// What a venue answers to a text frame from a client: the frames to send back.
pub type Responder = Arc<dyn Fn(&str) -> Vec<String> + Send + Sync>;

pub struct WsServer {
    pub addr: SocketAddr,
    state: Arc<Mutex<State>>,
    silent: watch::Sender<bool>,
}

impl WsServer {
    /// A server that answers each client text frame with `respond(frame)` on that connection
    /// (subscription acks, pongs), as a venue does.
    pub async fn start_with(
        respond: impl Fn(&str) -> Vec<String> + Send + Sync + 'static,
    ) -> WsServer {
        let server = Self::start().await;
        server.state.lock().unwrap().responder = Some(Arc::new(respond));
        server
    }

    pub async fn start() -> WsServer {
        let listener = TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind ws test server");
        let addr = listener.local_addr().expect("local addr");
        let state = Arc::new(Mutex::new(State::default()));
        let (silent, silent_rx) = watch::channel(false);
        let accept = {
            let state = state.clone();
            tokio::spawn(async move {
                while let Ok((tcp, _)) = listener.accept().await {
                    let task = tokio::spawn(serve(tcp, state.clone(), silent_rx.clone()));
                    state.lock().unwrap().tasks.push(task.abort_handle());
                }
            })
        };
        state.lock().unwrap().tasks.push(accept.abort_handle());
        WsServer {
            addr,
            state,
            silent,
        }
    }

    /// The base URL to configure (`ws://127.0.0.1:PORT`).
    pub fn url(&self) -> String {
        format!("ws://{}", self.addr)
    }

    pub fn requests(&self) -> Vec<String> {
        self.state.lock().unwrap().requests.clone()
    }

    /// Connections whose handshake completed.
    pub fn accepted(&self) -> usize {
        self.state.lock().unwrap().accepted
    }

    /// Handshakes answered with 503 during an outage.
    pub fn refused(&self) -> usize {
        self.state.lock().unwrap().refused
    }

    pub fn pongs(&self) -> Vec<Vec<u8>> {
        self.state.lock().unwrap().pongs.clone()
    }

    pub fn received(&self) -> Vec<String> {
        self.state.lock().unwrap().received.clone()
    }

    /// Waits until `n` connections have completed their handshake (at most 5 s).
    pub async fn wait_accepted(&self, n: usize) {
        wait_until(
            || self.accepted() >= n,
            &format!("{n} accepted connections"),
        )
        .await;
    }

    /// Waits for a pong carrying `payload` (at most 5 s) and returns how long it took.
    pub async fn wait_pong(&self, payload: &[u8]) -> Duration {
        let start = Instant::now();
        wait_until(
            || self.pongs().iter().any(|p| p == payload),
            &format!("a pong with payload {payload:?}"),
        )
        .await;
        start.elapsed()
    }

    /// Sends a text frame to every open connection.
    pub fn push(&self, text: impl Into<String>) {
        self.broadcast(|| Cmd::Text(text.into()));
    }

    fn broadcast(&self, cmd: impl FnOnce() -> Cmd) {
        let cmd = cmd();
        let mut st = self.state.lock().unwrap();
        st.conns.retain(|c| !c.is_closed());
        for c in &st.conns {
            let copy = match &cmd {
                Cmd::Text(t) => Cmd::Text(t.clone()),
                Cmd::Raw(b) => Cmd::Raw(b.clone()),
                Cmd::Ping(p) => Cmd::Ping(p.clone()),
                Cmd::End(d) => Cmd::End(*d),
            };
            let _ = c.send(copy);
        }
    }

    /// Writes bytes straight onto the TCP streams, outside any WebSocket frame.
    pub fn push_raw(&self, bytes: &[u8]) {
        self.broadcast(|| Cmd::Raw(bytes.to_vec()));
    }

    pub fn ping(&self, payload: &[u8]) {
        self.broadcast(|| Cmd::Ping(payload.to_vec()));
    }

    pub fn server_shutdown(&self) {
        self.push(format!(r#"{{"e":"serverShutdown","E":{}}}"#, now_ms()));
    }

    pub fn disconnect_all(&self, how: Disconnect) {
        self.broadcast(|| Cmd::End(how));
    }

    /// Answers new handshakes with 503 for `d` (connections already open are untouched).
    pub fn refuse_for(&self, d: Duration) {
        self.state.lock().unwrap().refuse_until = Some(Instant::now() + d);
    }

    /// Pushes go only to connections whose handshake path starts with `prefix`; the others
    /// are accepted and left silent, as fstream does with a stream on the wrong route.
    pub fn set_route(&self, prefix: &str) {
        self.state.lock().unwrap().route = Some(prefix.to_string());
    }

    /// While silent, open connections neither send nor read (so pings go unanswered and
    /// pushed frames are dropped); handshakes still succeed.
    pub fn set_silent(&self, silent: bool) {
        let _ = self.silent.send(silent);
    }
}

impl Drop for WsServer {
    fn drop(&mut self) {
        if let Ok(st) = self.state.lock() {
            for t in &st.tasks {
                t.abort();
            }
        }
    }
}

/// A combined-stream trade frame as Binance sends it; even ids are buyer-maker trades.
pub fn trade_frame(symbol: &str, id: i64, price: &str, qty: &str, time_ms: i64) -> String {
    format!(
        r#"{{"stream":"{lower}@trade","data":{{"e":"trade","E":{e},"s":"{upper}","t":{id},"p":"{price}","q":"{qty}","T":{time_ms},"m":{m},"M":true}}}}"#,
        lower = symbol.to_ascii_lowercase(),
        upper = symbol.to_ascii_uppercase(),
        e = time_ms + 1,
        m = id % 2 == 0,
    )
}

fn now_ms() -> i64 {
    std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.as_millis() as i64)
        .unwrap_or(0)
}

async fn wait_until(mut ok: impl FnMut() -> bool, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(5);
    while !ok() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        tokio::time::sleep(Duration::from_millis(5)).await;
    }
}

/// Records each handshake (and its path for the connection) and refuses it with 503 during
/// an outage.
struct Handshake(Arc<Mutex<State>>, Arc<Mutex<String>>);

impl Callback for Handshake {
    fn on_request(self, req: &Request, resp: Response) -> Result<Response, ErrorResponse> {
        *self.1.lock().unwrap() = req.uri().path().to_string();
        let mut st = self.0.lock().unwrap();
        st.requests.push(req.uri().to_string());
        if st.refuse_until.is_some_and(|t| Instant::now() < t) {
            st.refused += 1;
            let mut err = ErrorResponse::new(Some("outage".to_string()));
            *err.status_mut() = StatusCode::SERVICE_UNAVAILABLE;
            return Err(err);
        }
        Ok(resp)
    }
}

async fn serve(tcp: TcpStream, state: Arc<Mutex<State>>, mut silent: watch::Receiver<bool>) {
    let path = Arc::new(Mutex::new(String::new()));
    let check = Handshake(state.clone(), path.clone());
    let Ok(mut ws) = tokio_tungstenite::accept_hdr_async(tcp, check).await else {
        return;
    };
    let (tx, mut rx) = mpsc::unbounded_channel();
    let routed = {
        let mut st = state.lock().unwrap();
        st.conns.push(tx);
        st.accepted += 1;
        let path = path.lock().unwrap();
        st.route
            .as_ref()
            .is_none_or(|r| path.starts_with(r.as_str()))
    };
    loop {
        let quiet = *silent.borrow();
        tokio::select! {
            changed = silent.changed() => if changed.is_err() { return },
            cmd = rx.recv() => {
                let Some(cmd) = cmd else { return };
                if quiet || !routed && !matches!(cmd, Cmd::Ping(_) | Cmd::End(_)) {
                    continue;
                }
                let sent = match cmd {
                    Cmd::Text(t) => ws.send(Message::text(t)).await.is_ok(),
                    Cmd::Ping(p) => ws.send(Message::Ping(p.into())).await.is_ok(),
                    Cmd::Raw(b) => ws.get_mut().write_all(&b).await.is_ok(),
                    Cmd::End(Disconnect::Close) => {
                        let _ = ws.close(None).await;
                        return;
                    }
                    Cmd::End(Disconnect::Drop) => return,
                };
                if !sent {
                    return;
                }
            }
            msg = ws.next(), if !quiet => match msg {
                Some(Ok(Message::Pong(p))) => state.lock().unwrap().pongs.push(p.to_vec()),
                Some(Ok(Message::Text(t))) => {
                    let replies = {
                        let mut st = state.lock().unwrap();
                        st.received.push(t.to_string());
                        st.responder.as_ref().map(|r| r(t.as_str())).unwrap_or_default()
                    };
                    for r in replies {
                        if ws.send(Message::text(r)).await.is_err() {
                            return;
                        }
                    }
                }
                Some(Ok(_)) => {}
                Some(Err(_)) | None => return,
            },
        }
    }
}
