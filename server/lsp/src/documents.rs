//! The document store: one actor thread applies didOpen/didChange/didClose/didSave strictly in
//! arrival order, keeps each open document as a rope with its tree-sitter tree, re-parses
//! incrementally after every change, and publishes cheap immutable snapshots.
//!
//! Request handlers call [`DocStore::sync`] before reading, which waits until every document
//! notification that arrived before the request has been applied. The actor runs on its own
//! thread because parsing is CPU work that must not stall the async runtime.
//! Bad notifications (a change to a document that is not open, a version going backwards, an
//! inverted range, unparsable params) are reported to the client as log messages; none of
//! them panics or stops the actor. This file does not answer requests.
//!
//! The store also keeps, per open document, a bounded log of the byte ranges each change
//! replaced (`changes_between`), so that `codeloop.undo` can map a turn's edits over the user's
//! typing since.

use crate::convert;
use crate::state::{Note, Shared};
use serde_json::Value;
use std::collections::{HashMap, HashSet};
use std::path::PathBuf;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, RecvTimeoutError};
use std::sync::{Arc, OnceLock, RwLock};
use std::time::Duration;
use syntax::{Lang, Symbol, Tree};
use text::Document;
use tower_lsp::lsp_types::{self as lsp, MessageType, Url};

/// Documents larger than this are kept as text but not parsed: a tree costs about 23 times
/// the source size in memory.
pub const MAX_PARSE_BYTES: usize = 4 * 1024 * 1024;
/// How long the document stream must be quiet before open documents' symbols are pushed to the
/// workspace index (documentSymbol requests never wait for this: they read the snapshot).
const INDEX_DEBOUNCE: Duration = Duration::from_millis(150);
/// Changes kept per document for `changes_between`.
const LOG_LIMIT: usize = 10_000;

/// One applied change: bytes `start..old_end` of the previous text became `start..new_end`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LoggedChange {
    /// The document version of the didChange that carried it.
    pub version: i32,
    pub start: usize,
    pub old_end: usize,
    pub new_end: usize,
}

#[derive(Default)]
struct ChangeLog {
    /// Changes after this version are all in `entries`.
    floor: i32,
    entries: std::collections::VecDeque<LoggedChange>,
}

/// An immutable view of one open document. Cloning the rope and the tree is O(1).
pub struct DocSnapshot {
    pub uri: Url,
    pub path: Option<PathBuf>,
    pub doc: Document,
    pub lang: Option<Lang>,
    pub tree: Option<Tree>,
    symbols: OnceLock<Arc<Vec<Symbol>>>,
}

impl DocSnapshot {
    /// The document's definitions, computed once per snapshot.
    pub fn symbols(&self) -> Arc<Vec<Symbol>> {
        self.symbols
            .get_or_init(|| match (self.lang, &self.tree) {
                (Some(lang), Some(tree)) => Arc::new(syntax::symbols_rope(lang, tree, self.doc.rope())),
                _ => Arc::new(Vec::new()),
            })
            .clone()
    }
}

struct DocMsg {
    seq: u64,
    method: String,
    params: Value,
}

/// The sending half, held by the ordered service wrapper.
#[derive(Clone)]
pub struct DocSender {
    tx: mpsc::Sender<DocMsg>,
    submitted: Arc<AtomicU64>,
}

impl DocSender {
    pub fn submit(&self, method: &str, params: Value) {
        let seq = self.submitted.fetch_add(1, Ordering::SeqCst) + 1;
        if self.tx.send(DocMsg { seq, method: method.to_string(), params }).is_err() {
            stdx::never!(true, "document actor is gone; dropped {method}");
        }
    }
}

pub struct DocStore {
    map: RwLock<HashMap<Url, Arc<DocSnapshot>>>,
    log: std::sync::Mutex<HashMap<Url, ChangeLog>>,
    submitted: Arc<AtomicU64>,
    applied: tokio::sync::watch::Receiver<u64>,
}

impl DocStore {
    /// Starts the actor thread and returns the store and its sender.
    pub fn start(shared: Arc<Shared>) -> (Arc<DocStore>, DocSender) {
        let (tx, rx) = mpsc::channel();
        let submitted = Arc::new(AtomicU64::new(0));
        let (applied_tx, applied) = tokio::sync::watch::channel(0);
        let store = Arc::new(DocStore { map: RwLock::new(HashMap::new()), log: Default::default(), submitted: submitted.clone(), applied });
        let actor = Actor { store: store.clone(), shared, states: HashMap::new(), dirty: HashSet::new(), unparsed: HashSet::new() };
        let spawned = std::thread::Builder::new().name("codeloop-documents".into()).spawn(move || actor.run(rx, applied_tx));
        if let Err(e) = spawned {
            tracing::error!("cannot start the document thread: {e}");
        }
        (store, DocSender { tx, submitted })
    }

    /// Waits until every document notification received so far has been applied.
    pub async fn sync(&self) {
        let target = self.submitted.load(Ordering::SeqCst);
        let mut rx = self.applied.clone();
        let _ = rx.wait_for(|applied| *applied >= target).await;
    }

    pub fn get(&self, uri: &Url) -> Option<Arc<DocSnapshot>> {
        self.map.read().ok()?.get(uri).cloned()
    }

    /// The open document of a file path, whatever spelling of its URI the client used.
    pub fn by_path(&self, path: &std::path::Path) -> Option<Arc<DocSnapshot>> {
        if let Some(snap) = convert::path_to_uri(path).and_then(|uri| self.get(&uri)) {
            return Some(snap);
        }
        self.map.read().ok()?.values().find(|s| s.path.as_deref() == Some(path)).cloned()
    }

    /// Every open document.
    pub fn all(&self) -> Vec<Arc<DocSnapshot>> {
        self.map.read().map(|m| m.values().cloned().collect()).unwrap_or_default()
    }

    /// The changes of `uri` after version `from` up to version `to`, in order; `None` when the
    /// document is not open or the log does not reach back to `from`.
    pub fn changes_between(&self, uri: &Url, from: i32, to: i32) -> Option<Vec<LoggedChange>> {
        let logs = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let log = logs.get(uri)?;
        if from < log.floor {
            return None;
        }
        Some(log.entries.iter().filter(|c| c.version > from && c.version <= to).copied().collect())
    }

    fn log_reset(&self, uri: &Url, version: Option<i32>) {
        let mut logs = self.log.lock().unwrap_or_else(|e| e.into_inner());
        match version {
            Some(v) => {
                logs.insert(uri.clone(), ChangeLog { floor: v, entries: Default::default() });
            }
            None => {
                logs.remove(uri);
            }
        }
    }

    fn log_push(&self, uri: &Url, change: LoggedChange) {
        let mut logs = self.log.lock().unwrap_or_else(|e| e.into_inner());
        let log = logs.entry(uri.clone()).or_default();
        log.entries.push_back(change);
        while log.entries.len() > LOG_LIMIT {
            if let Some(old) = log.entries.pop_front() {
                log.floor = log.floor.max(old.version);
            }
        }
    }

    fn publish(&self, snap: DocSnapshot) {
        if let Ok(mut map) = self.map.write() {
            map.insert(snap.uri.clone(), Arc::new(snap));
        }
    }

    fn remove(&self, uri: &Url) {
        if let Ok(mut map) = self.map.write() {
            map.remove(uri);
        }
    }
}

struct DocState {
    doc: Document,
    lang: Option<Lang>,
    tree: Option<Tree>,
}

struct Actor {
    store: Arc<DocStore>,
    shared: Arc<Shared>,
    states: HashMap<Url, DocState>,
    dirty: HashSet<Url>,
    /// Documents changed since their last parse (re-parsed once the queue is drained).
    unparsed: HashSet<Url>,
}

impl Actor {
    fn run(mut self, rx: mpsc::Receiver<DocMsg>, applied: tokio::sync::watch::Sender<u64>) {
        loop {
            let msg =
                if self.dirty.is_empty() { rx.recv().map_err(|_| RecvTimeoutError::Disconnected) } else { rx.recv_timeout(INDEX_DEBOUNCE) };
            let first = match msg {
                Ok(m) => m,
                Err(RecvTimeoutError::Timeout) => {
                    self.push_to_index();
                    continue;
                }
                Err(RecvTimeoutError::Disconnected) => return,
            };
            // Apply everything already queued before re-parsing: a burst of changes (typing,
            // a paste split by the client, a formatter) costs one incremental parse, not one
            // per change. Text changes and tree edits are applied one by one, in order.
            let mut last = first.seq;
            self.handle(&first.method, first.params);
            while let Ok(m) = rx.try_recv() {
                last = m.seq;
                self.handle(&m.method, m.params);
            }
            for uri in std::mem::take(&mut self.unparsed) {
                self.reparse(&uri);
            }
            applied.send_replace(last);
        }
    }

    fn note(&self, typ: MessageType, message: String) {
        if typ == MessageType::ERROR {
            tracing::error!("{message}");
        } else {
            tracing::warn!("{message}");
        }
        let _ = self.shared.notes.send(Note::Log(typ, message));
    }

    fn handle(&mut self, method: &str, params: Value) {
        let result = match method {
            "textDocument/didOpen" => serde_json::from_value(params).map(|p| self.open(p)),
            "textDocument/didChange" => serde_json::from_value(params).map(|p| self.change(p)),
            "textDocument/didClose" => {
                serde_json::from_value(params).map(|p: lsp::DidCloseTextDocumentParams| self.close(p.text_document.uri))
            }
            "textDocument/didSave" => {
                serde_json::from_value(params).map(|p: lsp::DidSaveTextDocumentParams| self.save(p.text_document.uri))
            }
            _ => Ok(()),
        };
        if let Err(e) = result {
            self.note(MessageType::ERROR, format!("{method}: invalid params: {e}; the notification was ignored"));
        }
    }

    fn open(&mut self, p: lsp::DidOpenTextDocumentParams) {
        let item = p.text_document;
        if self.states.contains_key(&item.uri) {
            self.note(MessageType::WARNING, format!("textDocument/didOpen: {} is already open; its text was replaced", item.uri));
        }
        let path = convert::uri_to_path(&item.uri);
        let lang = Lang::from_language_id(&item.language_id).or_else(|| path.as_deref().and_then(Lang::from_path));
        let doc = Document::new(&item.text, item.version);
        let tree = self.parse(&item.uri, lang, &doc, None);
        self.unparsed.remove(&item.uri);
        self.store.log_reset(&item.uri, Some(item.version));
        self.states.insert(item.uri.clone(), DocState { doc, lang, tree });
        self.publish(&item.uri);
    }

    fn parse(&self, uri: &Url, lang: Option<Lang>, doc: &Document, old: Option<&Tree>) -> Option<Tree> {
        let lang = lang?;
        if doc.len_bytes() > MAX_PARSE_BYTES {
            if old.is_some() {
                tracing::info!(%uri, bytes = doc.len_bytes(), "document grew past the parse limit; symbols are no longer tracked");
            } else {
                self.note(
                    MessageType::INFO,
                    format!(
                        "{uri}: {} is larger than {}; kept as text but not parsed (no symbols)",
                        stdx::human_bytes(doc.len_bytes() as u64),
                        stdx::human_bytes(MAX_PARSE_BYTES as u64)
                    ),
                );
            }
            return None;
        }
        syntax::parse_rope(lang, doc.rope(), old)
    }

    fn change(&mut self, p: lsp::DidChangeTextDocumentParams) {
        let uri = p.text_document.uri;
        let version = p.text_document.version;
        let enc = self.shared.encoding();
        let Some(state) = self.states.get_mut(&uri) else {
            self.note(
                MessageType::ERROR,
                format!("textDocument/didChange: {uri} is not open; the change was ignored (send didOpen first)"),
            );
            return;
        };
        let old_version = state.doc.version();
        let mut problems = Vec::new();
        if version <= old_version {
            // Earlier positions cannot be mapped over a version that went back.
            self.store.log_reset(&uri, Some(version));
            problems.push(format!("textDocument/didChange: version of {uri} went from {old_version} to {version}; versions must increase. The change was applied."));
        }
        for (i, change) in p.content_changes.iter().enumerate() {
            let range = change.range.map(|r| (convert::line_col(r.start), convert::line_col(r.end)));
            match state.doc.apply_change(range, &change.text, enc) {
                Ok(edit) => {
                    let logged = LoggedChange { version, start: edit.start_byte, old_end: edit.old_end_byte, new_end: edit.new_end_byte };
                    self.store.log_push(&uri, logged);
                    if let Some(tree) = state.tree.as_mut() {
                        syntax::apply_edit(tree, &edit);
                    }
                    if edit.clamped {
                        tracing::debug!(%uri, "change range past the end of a line or of the document was clamped");
                    }
                }
                Err(e) => {
                    problems.push(format!(
                        "textDocument/didChange: {uri} change {i}: {e}; this and the following {} change(s) were ignored, the document may be out of sync (close and reopen it)",
                        p.content_changes.len() - i - 1
                    ));
                    break;
                }
            }
        }
        state.doc.set_version(version);
        for problem in problems {
            self.note(MessageType::WARNING, problem);
        }
        self.unparsed.insert(uri);
    }

    /// Re-parses a changed document incrementally (its tree already carries every edit) and
    /// publishes the new snapshot.
    fn reparse(&mut self, uri: &Url) {
        let Some(state) = self.states.get_mut(uri) else { return };
        let old_tree = state.tree.take();
        let (lang, doc) = (state.lang, state.doc.clone());
        let tree = self.parse(uri, lang, &doc, old_tree.as_ref());
        if let Some(state) = self.states.get_mut(uri) {
            state.tree = tree;
        }
        self.publish(uri);
    }

    fn close(&mut self, uri: Url) {
        if self.states.remove(&uri).is_none() {
            self.note(MessageType::WARNING, format!("textDocument/didClose: {uri} is not open"));
            return;
        }
        self.store.remove(&uri);
        self.store.log_reset(&uri, None);
        self.dirty.remove(&uri);
        self.unparsed.remove(&uri);
        if let (Some(index), Some(path)) = (self.shared.index.get(), convert::uri_to_path(&uri)) {
            index.close(&path);
        }
    }

    fn save(&mut self, uri: Url) {
        // An open document's symbols come from its buffer; a save only matters to the index
        // when the buffer is not tracked (the file is then re-read from disk).
        if self.states.contains_key(&uri) {
            return;
        }
        if let (Some(index), Some(path)) = (self.shared.index.get(), convert::uri_to_path(&uri)) {
            index.refresh_file(&path);
        }
    }

    fn publish(&mut self, uri: &Url) {
        let Some(state) = self.states.get(uri) else { return };
        self.store.publish(DocSnapshot {
            uri: uri.clone(),
            path: convert::uri_to_path(uri),
            doc: state.doc.clone(),
            lang: state.lang,
            tree: state.tree.clone(),
            symbols: OnceLock::new(),
        });
        self.dirty.insert(uri.clone());
    }

    fn push_to_index(&mut self) {
        let Some(index) = self.shared.index.get() else {
            // Not initialized yet: keep the documents dirty until there is an index.
            return;
        };
        for uri in std::mem::take(&mut self.dirty) {
            let Some(snap) = self.store.get(&uri) else { continue };
            if let (Some(path), Some(lang)) = (&snap.path, snap.lang) {
                index.set_open(path, lang, &snap.symbols(), snap.doc.rope());
            }
        }
    }
}
