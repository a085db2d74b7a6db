//! Reading, validating and merging the layers into a `Config`.
//!
//! Each layer is a TOML table. Every known key of every layer is checked on its own (so an error
//! names one key of one layer); the layers are then merged (tables merge, other values replace) and
//! turned into the typed `Config`. Provider tables are checked after merging, because a layer may
//! change one field of a built-in provider (`[model_providers.ollama] base_url = ...`).

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};

use model_client::{built_in_providers, ProviderInfo};
use toml::{Table, Value};

use crate::locate;
use crate::model::{ConfigToml, KNOWN_KEYS};
use crate::{Config, ConfigError, LayerSource, Result};

/// Keys an untrusted project file may not set: they would let a cloned repository redirect the
/// user's API key, run commands (MCP servers) or lift the sandbox.
const UNTRUSTED_PROJECT_DENIED: &[&str] = &[
    "model_providers",
    "approval_policy",
    "sandbox_mode",
    "sandbox_workspace_write",
    "mcp_servers",
    "projects",
    "model_instructions_file",
];

/// Fields of a `[model_providers.<id>]` table (`ProviderInfo`).
const PROVIDER_FIELDS: &[&str] = &[
    "name",
    "base_url",
    "env_key",
    "env_key_instructions",
    "wire_api",
    "query_params",
    "http_headers",
    "env_http_headers",
    "request_max_retries",
    "stream_max_retries",
    "stream_idle_timeout_ms",
    "supports_remote_compaction",
];

/// What to read. `ConfigLoader::new(cwd)` finds the files; fields can be changed before `load`.
#[derive(Clone, Debug)]
pub struct ConfigLoader {
    /// The directory holding the user's `config.toml`; `None` skips the user layer.
    pub user_dir: Option<PathBuf>,
    /// Where the project file is searched from (upward to the project root).
    pub cwd: PathBuf,
    /// `-c key=value` arguments, in order.
    pub overrides: Vec<String>,
    /// The `config` object of LSP `initializationOptions`.
    pub lsp_config: Option<serde_json::Value>,
}

struct Merged {
    table: Table,
    /// Top-level key (or `model_providers.<id>`) -> the last layer that set it.
    provenance: BTreeMap<String, LayerSource>,
    sources: Vec<LayerSource>,
    warnings: Vec<String>,
}

impl ConfigLoader {
    pub fn new(cwd: impl Into<PathBuf>) -> ConfigLoader {
        ConfigLoader { user_dir: locate::user_config_dir(), cwd: cwd.into(), overrides: Vec::new(), lsp_config: None }
    }

    pub fn load(&self) -> Result<Config> {
        let mut m = Merged { table: Table::new(), provenance: BTreeMap::new(), sources: Vec::new(), warnings: Vec::new() };
        let builtin = Value::try_from(built_in_providers()).map_err(|e| ConfigError::Key {
            layer: LayerSource::BuiltIn,
            key: "model_providers".into(),
            message: e.to_string(),
        })?;
        let mut base = Table::new();
        base.insert("model_providers".into(), builtin);
        m.add(LayerSource::BuiltIn, base)?;

        if let Some(dir) = &self.user_dir {
            let path = dir.join("config.toml");
            if let Some(table) = read_file(&path, LayerSource::UserFile(path.clone()))? {
                m.add(LayerSource::UserFile(path), table)?;
            }
        }
        if let Some((path, root)) = locate::project_config(&self.cwd) {
            let source = LayerSource::ProjectFile(path.clone());
            if let Some(mut table) = read_file(&path, source.clone())? {
                if !m.trusts(&root) {
                    for key in UNTRUSTED_PROJECT_DENIED {
                        if table.remove(*key).is_some() {
                            m.warnings.push(format!(
                                "{source}: `{key}` ignored: the project is not trusted (add [projects.\"{}\"] trust_level = \"trusted\" to your user config)",
                                root.display()
                            ));
                        }
                    }
                }
                m.add(source, table)?;
            }
        }
        for arg in &self.overrides {
            let table = parse_override(arg)?;
            m.add(LayerSource::Override(arg.clone()), table)?;
        }
        if let Some(json) = &self.lsp_config {
            let source = LayerSource::InitializationOptions;
            match json_to_toml(json) {
                Some(Value::Table(t)) => m.add(source, t)?,
                None => {}
                Some(_) => {
                    return Err(ConfigError::Key { layer: source, key: "config".into(), message: "expected an object".into() });
                }
            }
        }
        m.finish()
    }
}

impl Merged {
    fn add(&mut self, source: LayerSource, mut table: Table) -> Result<()> {
        validate_layer(&source, &mut table, &mut self.warnings)?;
        for (key, value) in &table {
            if key == "model_providers" {
                if let Value::Table(providers) = value {
                    for id in providers.keys() {
                        self.provenance.insert(format!("model_providers.{id}"), source.clone());
                    }
                }
            }
            self.provenance.insert(key.clone(), source.clone());
        }
        merge(&mut self.table, table);
        self.sources.push(source);
        Ok(())
    }

    fn trusts(&self, root: &Path) -> bool {
        let Some(Value::Table(projects)) = self.table.get("projects") else { return false };
        let canonical = root.canonicalize().unwrap_or_else(|_| root.to_path_buf());
        projects.iter().any(|(path, entry)| {
            let trusted = entry.get("trust_level").and_then(Value::as_str) == Some("trusted");
            let p = Path::new(path);
            trusted && (p == root || p.canonicalize().is_ok_and(|c| c == canonical))
        })
    }

    fn finish(self) -> Result<Config> {
        let source_of = |key: &str| self.provenance.get(key).cloned().unwrap_or(LayerSource::BuiltIn);
        let raw: ConfigToml = Value::Table(self.table.clone()).try_into().map_err(|e: toml::de::Error| ConfigError::Key {
            layer: source_of(""),
            key: String::new(),
            message: e.message().to_string(),
        })?;
        let mut providers = BTreeMap::new();
        for (id, table) in raw.model_providers.unwrap_or_default() {
            let key = format!("model_providers.{id}");
            let info: ProviderInfo = Value::Table(table).try_into().map_err(|e: toml::de::Error| ConfigError::Key {
                layer: source_of(&key),
                key: key.clone(),
                message: e.message().to_string(),
            })?;
            if let Some(url) = &info.base_url {
                if !(url.starts_with("http://") || url.starts_with("https://")) {
                    return Err(ConfigError::Key {
                        layer: source_of(&key),
                        key: format!("{key}.base_url"),
                        message: format!("`{url}` is not an http:// or https:// URL"),
                    });
                }
            }
            providers.insert(id, info);
        }
        let model_provider_id = raw.model_provider.unwrap_or_else(|| "openai".to_string());
        let Some(model_provider) = providers.get(&model_provider_id).cloned() else {
            let known: Vec<&str> = providers.keys().map(String::as_str).collect();
            return Err(ConfigError::Key {
                layer: source_of("model_provider"),
                key: "model_provider".into(),
                message: format!("no provider `{model_provider_id}`; known: {}", known.join(", ")),
            });
        };
        Ok(Config {
            model: raw.model,
            model_provider_id,
            model_provider,
            model_providers: providers,
            model_reasoning_effort: raw.model_reasoning_effort,
            model_reasoning_summary: raw.model_reasoning_summary,
            model_verbosity: raw.model_verbosity,
            model_context_window: raw.model_context_window,
            model_auto_compact_token_limit: raw.model_auto_compact_token_limit,
            model_instructions_file: raw.model_instructions_file,
            developer_instructions: raw.developer_instructions,
            compact_prompt: raw.compact_prompt,
            project_doc_max_bytes: raw.project_doc_max_bytes.unwrap_or(Config::DEFAULT_PROJECT_DOC_MAX_BYTES),
            tool_output_token_limit: raw.tool_output_token_limit,
            shell_timeout_ms: raw.shell_timeout_ms.unwrap_or(Config::DEFAULT_SHELL_TIMEOUT_MS),
            approval_timeout_ms: raw.approval_timeout_ms.unwrap_or(Config::DEFAULT_APPROVAL_TIMEOUT_MS),
            approval_policy: raw.approval_policy.unwrap_or_default(),
            sandbox_mode: raw.sandbox_mode.unwrap_or_default(),
            sandbox_workspace_write: raw.sandbox_workspace_write.unwrap_or_default(),
            mcp_servers: raw.mcp_servers.unwrap_or_default(),
            sources: self.sources,
            warnings: self.warnings,
        })
    }
}

fn read_file(path: &Path, source: LayerSource) -> Result<Option<Table>> {
    let text = match std::fs::read_to_string(path) {
        Ok(t) => t,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(ConfigError::Read { path: path.to_path_buf(), source: e }),
    };
    text.parse::<Table>().map(Some).map_err(|e| ConfigError::Syntax { layer: source, message: e.to_string().trim_end().to_string() })
}

/// Checks every key of one layer on its own; unknown top-level keys become warnings and are dropped.
fn validate_layer(source: &LayerSource, table: &mut Table, warnings: &mut Vec<String>) -> Result<()> {
    let unknown: Vec<String> = table.keys().filter(|k| !KNOWN_KEYS.contains(&k.as_str())).cloned().collect();
    for key in unknown {
        table.remove(&key);
        warnings.push(format!("{source}: unknown key `{key}` ignored"));
    }
    for (key, value) in table.iter() {
        let err = |message: String| ConfigError::Key { layer: source.clone(), key: key.clone(), message };
        let mut single = Table::new();
        single.insert(key.clone(), value.clone());
        Value::Table(single).try_into::<ConfigToml>().map_err(|e| err(e.message().to_string()))?;
        if key == "model_providers" {
            validate_providers(source, value)?;
        }
    }
    Ok(())
}

/// A layer may set some fields of a provider; each field must exist and have the right type.
fn validate_providers(source: &LayerSource, value: &Value) -> Result<()> {
    let Value::Table(providers) = value else { return Ok(()) };
    for (id, provider) in providers {
        let Value::Table(fields) = provider else { continue };
        let key = |field: &str| format!("model_providers.{id}.{field}");
        if let Some(field) = fields.keys().find(|f| !PROVIDER_FIELDS.contains(&f.as_str())) {
            return Err(ConfigError::Key {
                layer: source.clone(),
                key: key(field),
                message: format!("unknown field; expected one of {}", PROVIDER_FIELDS.join(", ")),
            });
        }
        for (field, v) in fields {
            let mut probe = Table::new();
            probe.insert("name".into(), Value::String("probe".into()));
            probe.insert(field.clone(), v.clone());
            if let Err(e) = Value::Table(probe).try_into::<ProviderInfo>() {
                return Err(ConfigError::Key { layer: source.clone(), key: key(field), message: e.message().to_string() });
            }
        }
    }
    Ok(())
}

fn merge(into: &mut Table, from: Table) {
    for (key, value) in from {
        match (into.get_mut(&key), value) {
            (Some(Value::Table(a)), Value::Table(b)) => merge(a, b),
            (_, value) => {
                into.insert(key, value);
            }
        }
    }
}

/// `a.b.c=value`: the value is TOML when it parses as TOML (`true`, `3`, `["x"]`, `{k = "v"}`,
/// `"quoted"`), otherwise the raw text as a string, as Codex does.
fn parse_override(arg: &str) -> Result<Table> {
    let Some((key, raw)) = arg.split_once('=') else { return Err(ConfigError::OverrideSyntax { arg: arg.to_string() }) };
    let key = key.trim();
    if key.is_empty() || key.split('.').any(|p| p.trim().is_empty()) {
        return Err(ConfigError::OverrideSyntax { arg: arg.to_string() });
    }
    let raw = raw.trim();
    let value =
        format!("v = {raw}").parse::<Table>().ok().and_then(|mut t| t.remove("v")).unwrap_or_else(|| Value::String(raw.to_string()));
    let mut value = value;
    for part in key.rsplit('.') {
        let mut t = Table::new();
        t.insert(part.trim().trim_matches('"').to_string(), value);
        value = Value::Table(t);
    }
    match value {
        Value::Table(t) => Ok(t),
        _ => Err(ConfigError::OverrideSyntax { arg: arg.to_string() }),
    }
}

/// JSON from an LSP client to TOML; `null` means "not set" and is dropped.
fn json_to_toml(v: &serde_json::Value) -> Option<Value> {
    use serde_json::Value as J;
    Some(match v {
        J::Null => return None,
        J::Bool(b) => Value::Boolean(*b),
        J::Number(n) => match n.as_i64() {
            Some(i) => Value::Integer(i),
            None => Value::Float(n.as_f64()?),
        },
        J::String(s) => Value::String(s.clone()),
        J::Array(a) => Value::Array(a.iter().filter_map(json_to_toml).collect()),
        J::Object(o) => Value::Table(o.iter().filter_map(|(k, v)| Some((k.clone(), json_to_toml(v)?))).collect()),
    })
}

#[cfg(test)]
#[path = "layers_tests.rs"]
mod tests;
