//! `MockServer`: binds 127.0.0.1, accepts HTTP/1.1 connections with hyper, and keeps the shared state
//! (script cursor, recorded requests, connection records) that tests observe and wait on.
//!
//! Waiting is event-driven: every state change bumps a `watch` counter, and waiters re-check their
//! condition on each bump, so tests never sleep. Request routing lives in `service`, not here.

use std::net::{Ipv4Addr, SocketAddr};
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};
use std::time::{Duration, Instant};

use hyper::server::conn::http1;
use hyper::service::service_fn;
use hyper_util::rt::TokioIo;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::task::{JoinHandle, JoinSet};

use crate::record::{ConnectionRecord, RecordedRequest};
use crate::script::{Script, Turn};
use crate::{Error, Result};

/// How to run a server beyond its script.
#[derive(Debug, Clone, Default)]
pub struct MockServerConfig {
    /// Port on 127.0.0.1; 0 picks a free one.
    pub port: u16,
    /// Write each POST body as `DIR/0001.json`, `DIR/0002.json`, ... in arrival order.
    pub log_requests: Option<PathBuf>,
}

/// A scripted model server on 127.0.0.1, serving in the background until shut down or dropped.
pub struct MockServer {
    addr: SocketAddr,
    state: Arc<State>,
    shutdown: watch::Sender<bool>,
    accept: Option<JoinHandle<()>>,
}

impl MockServer {
    /// Binds 127.0.0.1 on a free port and serves `script` in the background.
    pub async fn start(script: Script) -> std::io::Result<MockServer> {
        MockServer::start_with(script, MockServerConfig::default()).await
    }

    pub async fn start_with(script: Script, config: MockServerConfig) -> std::io::Result<MockServer> {
        let listener = TcpListener::bind((Ipv4Addr::LOCALHOST, config.port)).await?;
        let addr = listener.local_addr()?;
        if let Some(dir) = &config.log_requests {
            std::fs::create_dir_all(dir)?;
        }
        let state = Arc::new(State::new(script, config.log_requests));
        let (shutdown, shutdown_rx) = watch::channel(false);
        let accept = tokio::spawn(accept_loop(listener, Arc::clone(&state), shutdown_rx));
        Ok(MockServer { addr, state, shutdown, accept: Some(accept) })
    }

    /// `http://127.0.0.1:PORT/v1`: the base URL to configure a provider with.
    pub fn base_url(&self) -> String {
        format!("http://{}/v1", self.addr)
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }

    /// Every request received so far, in arrival order (model calls, `/v1/models` probes, bad requests).
    pub fn requests(&self) -> Vec<RecordedRequest> {
        lock(&self.state.requests).clone()
    }

    /// Only the requests that asked for a model turn (see `RecordedRequest::is_model_call`).
    pub fn model_requests(&self) -> Vec<RecordedRequest> {
        self.requests().into_iter().filter(RecordedRequest::is_model_call).collect()
    }

    /// Waits until at least `n` requests arrived; returns all requests so far.
    pub async fn wait_for_requests(&self, n: usize, timeout: Duration) -> Result<Vec<RecordedRequest>> {
        let waited = self.wait_until(timeout, || lock(&self.state.requests).len() >= n).await;
        let requests = self.requests();
        match waited {
            true => Ok(requests),
            false => Err(Error::RequestsTimeout { wanted: n, got: requests.len(), timeout }),
        }
    }

    /// TCP connections accepted so far.
    pub fn connections(&self) -> Vec<ConnectionRecord> {
        lock(&self.state.connections).clone()
    }

    /// Waits until connection `id` has closed; returns when it closed.
    pub async fn wait_connection_closed(&self, id: usize, timeout: Duration) -> Result<Instant> {
        let closed = || lock(&self.state.connections).get(id).and_then(|record| record.closed);
        self.wait_until(timeout, || closed().is_some()).await;
        closed().ok_or(Error::ConnectionTimeout { id, timeout })
    }

    /// How many scripted responses have been served (a `repeat: N` turn counts N times).
    pub fn turns_served(&self) -> usize {
        lock(&self.state.cursor).served
    }

    /// Stops accepting, closes every connection (hanging streams included) and waits for the tasks.
    pub async fn shutdown(mut self) {
        self.shutdown.send_replace(true);
        if let Some(accept) = self.accept.take() {
            if let Err(error) = accept.await {
                tracing::warn!(%error, "mock-model accept loop failed");
            }
        }
    }

    async fn wait_until(&self, timeout: Duration, condition: impl Fn() -> bool) -> bool {
        let mut changed = self.state.changed.subscribe();
        let deadline = tokio::time::Instant::now() + timeout;
        loop {
            // Marking the current value seen before checking means no change can slip in between.
            changed.borrow_and_update();
            if condition() {
                return true;
            }
            match tokio::time::timeout_at(deadline, changed.changed()).await {
                Ok(Ok(())) => {}
                Ok(Err(_)) | Err(_) => return condition(),
            }
        }
    }
}

impl Drop for MockServer {
    fn drop(&mut self) {
        // Background tasks watch this flag and end on their own; nothing here blocks.
        self.shutdown.send_replace(true);
    }
}

/// The state shared by the accept loop, connection tasks and the `MockServer` handle.
pub(crate) struct State {
    cursor: Mutex<Cursor>,
    requests: Mutex<Vec<RecordedRequest>>,
    connections: Mutex<Vec<ConnectionRecord>>,
    changed: watch::Sender<u64>,
    log_dir: Option<PathBuf>,
    logged: AtomicUsize,
}

/// The next turn to serve; a turn is served `repeat` times before the cursor moves on.
struct Cursor {
    turns: Vec<Turn>,
    turn: usize,
    repetition: usize,
    served: usize,
}

/// A turn taken from the script, with what makes its rendering unique.
pub(crate) struct NextTurn {
    pub turn: Turn,
    pub serial: usize,
    pub repetition: usize,
}

impl State {
    fn new(script: Script, log_dir: Option<PathBuf>) -> State {
        State {
            cursor: Mutex::new(Cursor { turns: script.turns, turn: 0, repetition: 0, served: 0 }),
            requests: Mutex::new(Vec::new()),
            connections: Mutex::new(Vec::new()),
            changed: watch::channel(0).0,
            log_dir,
            logged: AtomicUsize::new(0),
        }
    }

    fn bump(&self) {
        self.changed.send_modify(|n| *n += 1);
    }

    pub(crate) fn record(&self, request: RecordedRequest) {
        if let (Some(dir), true) = (&self.log_dir, request.method == "POST") {
            let n = self.logged.fetch_add(1, Ordering::SeqCst) + 1;
            let path = dir.join(format!("{n:04}.json"));
            if let Err(error) = std::fs::write(&path, &request.body) {
                tracing::warn!(%error, path = %path.display(), "cannot log mock-model request");
            }
        }
        if let Some(record) = lock(&self.connections).get_mut(request.connection_id) {
            record.requests += 1;
        }
        lock(&self.requests).push(request);
        self.bump();
    }

    pub(crate) fn next_turn(&self) -> Option<NextTurn> {
        let mut cursor = lock(&self.cursor);
        loop {
            let repeat = cursor.turns.get(cursor.turn)?.repeat;
            if cursor.repetition < repeat {
                let repetition = cursor.repetition;
                cursor.repetition += 1;
                cursor.served += 1;
                let turn = cursor.turns[cursor.turn].clone();
                return Some(NextTurn { turn, serial: cursor.served, repetition });
            }
            cursor.turn += 1;
            cursor.repetition = 0;
        }
    }

    fn open_connection(&self) -> usize {
        let mut connections = lock(&self.connections);
        let id = connections.len();
        connections.push(ConnectionRecord { id, opened: Instant::now(), closed: None, requests: 0 });
        drop(connections);
        self.bump();
        id
    }

    fn close_connection(&self, id: usize) {
        if let Some(record) = lock(&self.connections).get_mut(id) {
            record.closed.get_or_insert_with(Instant::now);
        }
        self.bump();
    }
}

/// Locks ignoring poisoning: a panicking test thread must not hide the recorded state from the next one.
fn lock<T>(mutex: &Mutex<T>) -> MutexGuard<'_, T> {
    mutex.lock().unwrap_or_else(PoisonError::into_inner)
}

async fn accept_loop(listener: TcpListener, state: Arc<State>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    let connection_shutdown = shutdown.clone();
    loop {
        tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            accepted = listener.accept() => match accepted {
                Ok((stream, _peer)) => {
                    // Events are small writes: without NODELAY the first one of a reused
                    // connection waits ~40 ms for the client's delayed ACK.
                    let _ = stream.set_nodelay(true);
                    let id = state.open_connection();
                    connections.spawn(serve_connection(stream, id, Arc::clone(&state), connection_shutdown.clone()));
                }
                Err(error) => tracing::warn!(%error, "mock-model accept failed"),
            },
            // Reap finished connections so a long benchmark does not accumulate them.
            Some(_) = connections.join_next(), if !connections.is_empty() => {}
        }
    }
    drop(listener);
    while connections.join_next().await.is_some() {}
}

async fn serve_connection(stream: TcpStream, id: usize, state: Arc<State>, mut shutdown: watch::Receiver<bool>) {
    let service_state = Arc::clone(&state);
    let service = service_fn(move |request| crate::service::handle(Arc::clone(&service_state), id, request));
    let connection = http1::Builder::new().keep_alive(true).serve_connection(TokioIo::new(stream), service);
    tokio::select! {
        result = connection => {
            if let Err(error) = result {
                tracing::debug!(%error, connection = id, "mock-model connection ended with an error");
            }
        }
        _ = shutdown.wait_for(|stop| *stop) => {}
    }
    state.close_connection(id);
}
