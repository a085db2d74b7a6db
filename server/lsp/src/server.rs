//! The `LanguageServer` implementation: lifecycle (including loading the agent's
//! configuration at `initialize`), document symbols, workspace symbols, watched files, the
//! `codeloop/context` request, and the entry points of the agent: `workspace/executeCommand`
//! (`commands.rs`) and `window/workDoneProgress/cancel`.
//!
//! Handlers never block the runtime (parsing and index work go to `spawn_blocking`) and never
//! await a request to the client (that is done in spawned tasks). Document sync is not here:
//! the ordered wrapper routes it to the document actor (`documents.rs`).

use crate::agents::{AgentSetup, Agents, ClientFeatures};
use crate::code_actions::{self, ActionData};
use crate::commands;
use crate::convert;
use crate::documents::DocStore;
use crate::progress::Progress;
use crate::state::{Note, Shared};
use index::{Index, IndexConfig};
use serde::Deserialize;
use std::path::PathBuf;
use std::sync::{Arc, OnceLock};
use tower_lsp::jsonrpc::{Error, ErrorCode, Result};
use tower_lsp::lsp_types::*;
use tower_lsp::{Client, LanguageServer};

/// Options a client may pass in `initializationOptions` (all optional).
#[derive(Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct InitOptions {
    /// Where the index cache lives; default: $CODELOOP_CACHE_DIR or the XDG cache dir.
    pub cache_dir: Option<PathBuf>,
    pub index: IndexOptions,
    /// The agent's configuration, with the keys of config.toml (the last configuration layer).
    pub config: Option<serde_json::Value>,
    /// Send `codeloop/event` notifications with every agent event.
    pub events: bool,
    /// Keep a markdown transcript per thread in the state dir, shown with window/showDocument.
    pub transcript: bool,
}

#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase", default)]
pub struct IndexOptions {
    pub enabled: bool,
    pub persist: bool,
    pub max_file_bytes: Option<u64>,
}

impl Default for IndexOptions {
    fn default() -> Self {
        IndexOptions { enabled: true, persist: true, max_file_bytes: None }
    }
}

struct Session {
    caps: ClientCapabilities,
    options: InitOptions,
}

pub struct Backend {
    client: Client,
    shared: Arc<Shared>,
    docs: Arc<DocStore>,
    session: OnceLock<Session>,
    agents: Arc<Agents>,
}

/// Params of requests that name one document.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct TextDocumentIdentifierParams {
    pub text_document: TextDocumentIdentifier,
}

/// Params of `codeloop/context`.
#[derive(Debug, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextParams {
    pub text_document: TextDocumentIdentifier,
    pub range: Range,
}

fn internal(e: impl std::fmt::Display) -> Error {
    Error { code: ErrorCode::InternalError, message: e.to_string().into(), data: None }
}

fn invalid_params(message: String) -> Error {
    Error { code: ErrorCode::InvalidParams, message: message.into(), data: None }
}

impl Backend {
    pub fn new(client: Client, shared: Arc<Shared>, docs: Arc<DocStore>, mut notes: tokio::sync::mpsc::UnboundedReceiver<Note>) -> Backend {
        let c = client.clone();
        tokio::spawn(async move {
            while let Some(note) = notes.recv().await {
                match note {
                    Note::Log(typ, message) => c.log_message(typ, message).await,
                }
            }
        });
        let agents = Agents::start(client.clone(), docs.clone(), shared.clone());
        Backend { client, shared, docs, session: OnceLock::new(), agents }
    }

    fn roots(params: &InitializeParams) -> Vec<PathBuf> {
        let mut roots: Vec<PathBuf> = params.workspace_folders.iter().flatten().filter_map(|f| convert::uri_to_path(&f.uri)).collect();
        #[allow(deprecated)]
        if roots.is_empty() {
            if let Some(p) = params.root_uri.as_ref().and_then(convert::uri_to_path) {
                roots.push(p);
            } else if let Some(p) = params.root_path.as_ref() {
                roots.push(PathBuf::from(p));
            }
        }
        roots
    }

    async fn index_workspace(client: Client, index: Index, progress_supported: bool) {
        let mut progress = Progress::begin(client.clone(), progress_supported, "codeloop/index", "codeloop: indexing").await;
        let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
        let job = tokio::task::spawn_blocking(move || {
            index.index_workspace(&move |p| {
                let _ = tx.send(p);
            })
        });
        while let Some(p) = rx.recv().await {
            let pct = (p.done * 100).checked_div(p.total).unwrap_or(100) as u32;
            progress.report(pct.min(100), format!("{}/{} files", p.done, p.total)).await;
        }
        match job.await {
            Ok(stats) => {
                let message = format!(
                    "{} files, {} symbols ({} parsed, {} from cache, {} skipped) in {:.2}s",
                    stats.files_seen,
                    stats.symbols,
                    stats.files_parsed,
                    stats.files_from_cache,
                    stats.files_skipped,
                    stats.elapsed.as_secs_f64()
                );
                tracing::info!("index ready: {message}");
                progress.end(message).await;
            }
            Err(e) => {
                tracing::error!("indexing failed: {e}");
                progress.end(format!("indexing failed: {e}")).await;
                client.log_message(MessageType::ERROR, format!("codeloop: indexing failed: {e}")).await;
            }
        }
    }

    /// `window/workDoneProgress/cancel` (tower-lsp 0.20 does not route it): stops the turn
    /// whose progress has this token.
    pub async fn progress_cancel(&self, params: WorkDoneProgressCancelParams) {
        let token = match params.token {
            NumberOrString::String(s) => s,
            NumberOrString::Number(n) => n.to_string(),
        };
        self.agents.cancel_progress(&token);
    }

    /// Loads the agent's configuration for the workspace root; errors and warnings are shown
    /// to the user, and an error makes the agent commands fail with it.
    async fn load_agent_config(
        &self,
        cwd: Option<PathBuf>,
        lsp_config: Option<serde_json::Value>,
    ) -> std::result::Result<config::Config, String> {
        let dir = cwd.or_else(|| std::env::current_dir().ok()).unwrap_or_else(|| PathBuf::from("/"));
        let loaded = tokio::task::spawn_blocking(move || {
            let mut loader = config::ConfigLoader::new(dir);
            loader.lsp_config = lsp_config.filter(|v| !v.is_null());
            loader.load()
        })
        .await;
        let result = match loaded {
            Ok(Ok(config)) => Ok(config),
            Ok(Err(e)) => Err(e.to_string()),
            Err(e) => Err(format!("internal error: {e}")),
        };
        let client = self.client.clone();
        let (error, warnings) = match &result {
            Ok(c) => (None, c.warnings.clone()),
            Err(e) => (Some(e.clone()), Vec::new()),
        };
        tokio::spawn(async move {
            if let Some(e) = error {
                client
                    .show_message(
                        MessageType::ERROR,
                        format!("codeloop: configuration error: {e}; the agent is disabled until it is fixed"),
                    )
                    .await;
            }
            for w in warnings {
                client.log_message(MessageType::WARNING, format!("codeloop: configuration: {w}")).await;
            }
        });
        result
    }

    /// `workspace/didChangeConfiguration`: re-loads the agent's configuration with the new settings
    /// as the initializationOptions.config layer; new threads use it.
    async fn reload_config(&self, params: DidChangeConfigurationParams) {
        // `settings.codeloop`, or the initializationOptions shape (Helix sends its `config`
        // table, whose `config` key holds the agent's configuration), or the whole object.
        let settings = params.settings;
        let layer = match settings.get("codeloop").or_else(|| settings.get("config")) {
            Some(v) => v.clone(),
            None => settings,
        };
        if layer.is_null() || layer.as_object().is_some_and(|o| o.is_empty()) {
            // Neovim sends `{}` at startup: keep the configuration.
            return;
        }
        let cwd = self.agents.setup().and_then(|s| s.cwd.clone());
        let config = self.load_agent_config(cwd, Some(layer)).await;
        if let Err(e) = &config {
            tracing::error!("configuration error after didChangeConfiguration: {e}");
        }
        self.agents.set_config(config);
    }

    /// `codeloop/documentState`: what the server holds for an open document (version, text,
    /// whether it is parsed). For clients and tests that verify synchronisation.
    pub async fn document_state(&self, params: TextDocumentIdentifierParams) -> Result<serde_json::Value> {
        self.docs.sync().await;
        let uri = params.text_document.uri;
        let snap = self.docs.get(&uri).ok_or_else(|| invalid_params(format!("{uri} is not open")))?;
        Ok(serde_json::json!({
            "uri": uri,
            "version": snap.doc.version(),
            "text": snap.doc.text(),
            "byteLength": snap.doc.len_bytes(),
            "lineCount": snap.doc.rope().len_lines(),
            "languageId": snap.lang.map(|l| l.name()),
            "parsed": snap.tree.is_some(),
        }))
    }

    /// `codeloop/context`: the agent's context for a range (see docs/lsp-extensions.md).
    pub async fn context(&self, params: ContextParams) -> Result<serde_json::Value> {
        self.docs.sync().await;
        let uri = params.text_document.uri;
        let snap = self.docs.get(&uri).ok_or_else(|| invalid_params(format!("{uri} is not open")))?;
        let (Some(lang), Some(tree), Some(path)) = (snap.lang, snap.tree.clone(), snap.path.clone()) else {
            return Err(invalid_params(format!("{uri} has no syntax tree (unknown language or too large)")));
        };
        let index = self.shared.index.get().cloned().ok_or_else(|| internal("the server is not initialized"))?;
        let enc = self.shared.encoding();
        tokio::task::spawn_blocking(move || {
            let range = convert::to_byte_range(snap.doc.rope(), params.range, enc);
            let ctx = index::context::context(&index, &path, lang, &snap.doc, &tree, range);
            let markdown = ctx.render_markdown();
            let mut v = serde_json::to_value(&ctx).map_err(internal)?;
            if let Some(o) = v.as_object_mut() {
                o.insert("markdown".into(), serde_json::Value::String(markdown));
            }
            Ok(v)
        })
        .await
        .map_err(internal)?
    }
}

/// Builds the hierarchical outline from a flat list whose items name their parent's index
/// (parents always come before their children).
fn nest<T>(items: &[T], parent: impl Fn(&T) -> Option<usize>, make: impl Fn(&T) -> DocumentSymbol) -> Vec<DocumentSymbol> {
    let mut built: Vec<Option<DocumentSymbol>> = items.iter().map(|s| Some(make(s))).collect();
    for i in (0..items.len()).rev() {
        if let Some(p) = parent(&items[i]).filter(|&p| p < i) {
            if let Some(child) = built[i].take() {
                if let Some(parent) = built[p].as_mut() {
                    parent.children.get_or_insert_with(Vec::new).insert(0, child);
                }
            }
        }
    }
    built.into_iter().flatten().collect()
}

#[tower_lsp::async_trait]
impl LanguageServer for Backend {
    async fn initialize(&self, params: InitializeParams) -> Result<InitializeResult> {
        let enc = convert::negotiate_encoding(&params.capabilities);
        self.shared.set_encoding(enc);
        let options: InitOptions = match params.initialization_options.clone() {
            Some(v) if !v.is_null() => serde_json::from_value(v).map_err(|e| invalid_params(format!("initializationOptions: {e}")))?,
            _ => InitOptions::default(),
        };
        let roots = Self::roots(&params);
        let cwd = roots.first().cloned();
        let config = self.load_agent_config(cwd.clone(), options.config.clone()).await;
        if let Err(e) = &config {
            tracing::error!("configuration error: {e}");
        }
        self.agents.configure(AgentSetup {
            config,
            cwd,
            events: options.events,
            transcript: options.transcript,
            features: ClientFeatures::from_caps(&params.capabilities),
        });
        let mut cfg = IndexConfig { roots, ..IndexConfig::default() };
        cfg.cache_dir = if options.index.persist { options.cache_dir.clone().or_else(index::default_cache_dir) } else { None };
        if let Some(max) = options.index.max_file_bytes {
            cfg.max_file_bytes = max;
        }
        tracing::info!(encoding = enc.as_str(), roots = ?cfg.roots, cache = ?cfg.cache_dir, "initialize");
        let _ = self.shared.index.set(Index::new(cfg));
        let _ = self.session.set(Session { caps: params.capabilities, options });
        let sync = TextDocumentSyncOptions {
            open_close: Some(true),
            change: Some(TextDocumentSyncKind::INCREMENTAL),
            save: Some(TextDocumentSyncSaveOptions::SaveOptions(SaveOptions { include_text: Some(false) })),
            ..Default::default()
        };
        Ok(InitializeResult {
            server_info: Some(ServerInfo { name: "codeloop".into(), version: Some(env!("CARGO_PKG_VERSION").into()) }),
            capabilities: ServerCapabilities {
                position_encoding: Some(PositionEncodingKind::from(enc.as_str().to_string())),
                text_document_sync: Some(TextDocumentSyncCapability::Options(sync)),
                document_symbol_provider: Some(OneOf::Left(true)),
                code_action_provider: Some(CodeActionProviderCapability::Options(CodeActionOptions {
                    code_action_kinds: Some(code_actions::kinds()),
                    resolve_provider: Some(true),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                })),
                workspace_symbol_provider: Some(OneOf::Left(true)),
                execute_command_provider: Some(ExecuteCommandOptions {
                    commands: commands::COMMANDS.iter().map(|c| c.to_string()).collect(),
                    work_done_progress_options: WorkDoneProgressOptions::default(),
                }),
                ..Default::default()
            },
        })
    }

    async fn initialized(&self, _: InitializedParams) {
        let Some(session) = self.session.get() else { return };
        let window_progress = session.caps.window.as_ref().and_then(|w| w.work_done_progress).unwrap_or(false);
        if let (Some(index), true) = (self.shared.index.get().cloned(), session.options.index.enabled) {
            tokio::spawn(Self::index_workspace(self.client.clone(), index, window_progress));
        }
        let watch = session
            .caps
            .workspace
            .as_ref()
            .and_then(|w| w.did_change_watched_files.as_ref())
            .and_then(|d| d.dynamic_registration)
            .unwrap_or(false);
        if watch {
            let client = self.client.clone();
            tokio::spawn(async move {
                let options = DidChangeWatchedFilesRegistrationOptions {
                    watchers: vec![FileSystemWatcher { glob_pattern: GlobPattern::String("**/*".into()), kind: None }],
                };
                let reg = Registration {
                    id: "codeloop/watch".into(),
                    method: "workspace/didChangeWatchedFiles".into(),
                    register_options: serde_json::to_value(options).ok(),
                };
                if let Err(e) = client.register_capability(vec![reg]).await {
                    tracing::info!("file watching not registered: {e}");
                }
            });
        }
    }

    async fn shutdown(&self) -> Result<()> {
        self.agents.shutdown_all().await;
        if let Some(index) = self.shared.index.get().cloned() {
            let saved = tokio::task::spawn_blocking(move || index.save_cache()).await;
            if let Ok(Err(e)) = saved {
                tracing::warn!("could not save the index cache: {e}");
            }
        }
        Ok(())
    }

    async fn document_symbol(&self, params: DocumentSymbolParams) -> Result<Option<DocumentSymbolResponse>> {
        self.docs.sync().await;
        let uri = params.text_document.uri;
        let enc = self.shared.encoding();
        if let Some(snap) = self.docs.get(&uri) {
            let out = tokio::task::spawn_blocking(move || {
                let symbols = snap.symbols();
                let rope = snap.doc.rope();
                nest(
                    &symbols,
                    |s| s.parent,
                    |s| {
                        #[allow(deprecated)]
                        DocumentSymbol {
                            name: s.name.clone(),
                            detail: s.container.clone(),
                            kind: convert::symbol_kind(s.kind),
                            tags: None,
                            deprecated: None,
                            range: convert::byte_range(rope, &s.range, enc),
                            selection_range: convert::byte_range(rope, &s.selection, enc),
                            children: None,
                        }
                    },
                )
            })
            .await
            .map_err(internal)?;
            return Ok(Some(DocumentSymbolResponse::Nested(out)));
        }
        // Not open: answer from the index (the file as it is on disk).
        let path = convert::uri_to_path(&uri).ok_or_else(|| invalid_params(format!("not a file URI: {uri}")))?;
        let index = self.shared.index.get().ok_or_else(|| internal("the server is not initialized"))?;
        let Some(symbols) = index.file_symbols(&path) else {
            return Err(invalid_params(format!("{uri} is neither open nor indexed")));
        };
        let out = nest(
            &symbols,
            |s| s.parent.map(|p| p as usize),
            |s| {
                #[allow(deprecated)]
                DocumentSymbol {
                    name: s.name.to_string(),
                    detail: s.container.as_deref().map(str::to_string),
                    kind: convert::symbol_kind(s.kind),
                    tags: None,
                    deprecated: None,
                    range: convert::range(s.range, enc),
                    selection_range: convert::range(s.selection, enc),
                    children: None,
                }
            },
        );
        Ok(Some(DocumentSymbolResponse::Nested(out)))
    }

    async fn symbol(&self, params: WorkspaceSymbolParams) -> Result<Option<Vec<SymbolInformation>>> {
        self.docs.sync().await;
        let Some(index) = self.shared.index.get().cloned() else { return Ok(None) };
        let enc = self.shared.encoding();
        let hits = tokio::task::spawn_blocking(move || index.search(&params.query, 256)).await.map_err(internal)?;
        let out = hits
            .into_iter()
            .filter_map(|h| {
                let uri = convert::path_to_uri(&h.path)?;
                #[allow(deprecated)]
                Some(SymbolInformation {
                    name: h.symbol.name.to_string(),
                    kind: convert::symbol_kind(h.symbol.kind),
                    tags: None,
                    deprecated: None,
                    location: Location { uri, range: convert::range(h.symbol.range, enc) },
                    container_name: h.symbol.container.as_deref().map(str::to_string),
                })
            })
            .collect();
        Ok(Some(out))
    }

    async fn code_action(&self, params: CodeActionParams) -> Result<Option<CodeActionResponse>> {
        self.docs.sync().await;
        let snap = self.docs.get(&params.text_document.uri);
        let lazy = self.session.get().is_some_and(|s| code_actions::lazy_commands(&s.caps));
        let pending = self.agents.approvals.pending().into_iter().next();
        let cwd = self.agents.setup().and_then(|s| s.cwd.clone());
        let enc = self.shared.encoding();
        let actions = code_actions::list(&params, snap.as_deref(), pending.as_ref(), lazy, cwd.as_deref(), enc);
        Ok(Some(actions))
    }

    async fn code_action_resolve(&self, mut action: CodeAction) -> Result<CodeAction> {
        let Some(data) = action.data.clone() else { return Ok(action) };
        let data: ActionData =
            serde_json::from_value(data).map_err(|e| invalid_params(format!("codeAction/resolve: unknown data: {e}")))?;
        let uri = match &data {
            ActionData::Fix { uri, .. }
            | ActionData::Explain { uri, .. }
            | ActionData::Refactor { uri, .. }
            | ActionData::Tests { uri, .. }
            | ActionData::AiComment { uri, .. } => Some(uri.clone()),
            ActionData::Approve { .. } | ActionData::Deny { .. } => None,
        };
        self.docs.sync().await;
        let snap = uri.and_then(|u| self.docs.get(&u));
        let cwd = self.agents.setup().and_then(|s| s.cwd.clone());
        let command = code_actions::build(&data, snap.as_deref(), cwd.as_deref(), self.shared.encoding())
            .ok_or_else(|| invalid_params("codeAction/resolve: the AI comment is gone".to_string()))?;
        action.command = Some(command);
        Ok(action)
    }

    async fn did_change_configuration(&self, params: DidChangeConfigurationParams) {
        self.reload_config(params).await;
        self.shared.config_handled();
    }

    async fn execute_command(&self, params: ExecuteCommandParams) -> Result<Option<serde_json::Value>> {
        self.shared.config_sync().await;
        commands::execute(&self.agents, params).await
    }
    async fn did_change_watched_files(&self, params: DidChangeWatchedFilesParams) {
        let Some(index) = self.shared.index.get().cloned() else { return };
        tokio::task::spawn_blocking(move || {
            for change in params.changes {
                let Some(path) = convert::uri_to_path(&change.uri) else { continue };
                if change.typ == FileChangeType::DELETED {
                    index.remove_file(&path);
                } else {
                    index.refresh_file(&path);
                }
            }
        });
    }
}
