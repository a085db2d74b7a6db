//! The initial context (the prefix every request of a thread starts with) and the items appended
//! when settings change between turns. The prefix is built once per thread (and again after a
//! compaction); a later change never rewrites it, so the provider's prompt cache keeps hitting:
//! `settings_update` compares two snapshots and returns items to append instead.
//!
//! Deliberately not here: deciding when to take a snapshot (the turn loop does, before each
//! turn) and the base instructions (sent as `instructions`, not as an item).

use agent_protocol::{ResponseItem, Role};
use config::Config;
use serde::{Deserialize, Serialize};
use std::path::Path;

use super::agents_md::AGENTS_MD_HEADER;
use super::editor::EDITOR_CONTEXT_OPEN;
use super::environment::{environment_context, EnvironmentContext, ENVIRONMENT_CONTEXT_OPEN};
use super::permissions::{permissions_message, Permissions};

/// What the model is told about the session's settings, compared turn to turn. Persisted in
/// session files (`RolloutLine::TurnContext`) so that a resumed thread diffs against what the
/// model last saw.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ContextSettings {
    pub permissions: Permissions,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub developer_instructions: Option<String>,
    pub environment: EnvironmentContext,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub model: Option<String>,
}

impl ContextSettings {
    /// The settings of a session in `cwd`: permissions and developer instructions from `config`,
    /// the environment detected from the process (see `EnvironmentContext::detect`).
    pub fn from_config(config: &Config, cwd: &Path) -> ContextSettings {
        let permissions = Permissions::from_config(config, cwd);
        let environment = EnvironmentContext::detect(cwd, permissions.network_enabled, permissions.sandbox_mode);
        ContextSettings {
            developer_instructions: config.developer_instructions.clone().filter(|s| !s.trim().is_empty()),
            model: config.model.clone(),
            permissions,
            environment,
        }
    }
}

/// The prefix of a thread's input, in a fixed order: the permissions (developer), the developer
/// instructions when set (developer), the AGENTS.md message when there is one (user, from
/// `project_docs`, loaded once per thread), and the environment context (user).
pub fn initial_context(settings: &ContextSettings, agents_md: Option<ResponseItem>) -> Vec<ResponseItem> {
    let mut items = vec![permissions_message(&settings.permissions)];
    if let Some(text) = &settings.developer_instructions {
        items.push(ResponseItem::developer_text(text.clone()));
    }
    items.extend(agents_md);
    items.push(environment_context(&settings.environment));
    items
}

/// The items to append when the settings went from `previous` to `current` (empty when nothing
/// the model sees changed): a new permissions message, the new developer instructions, a note on
/// a model switch (developer messages, in that order), then a new environment context (user).
pub fn settings_update(previous: &ContextSettings, current: &ContextSettings) -> Vec<ResponseItem> {
    let mut items = Vec::new();
    if previous.permissions != current.permissions {
        items.push(permissions_message(&current.permissions));
    }
    if previous.developer_instructions != current.developer_instructions {
        let text = match &current.developer_instructions {
            Some(text) => format!("The developer instructions changed. They now read, replacing the earlier ones:\n\n{text}"),
            None => "The developer instructions were removed: disregard the earlier ones.".to_string(),
        };
        items.push(ResponseItem::developer_text(text));
    }
    if previous.model != current.model {
        if let Some(model) = &current.model {
            let from = previous.model.as_deref().map(|m| format!(" from `{m}`")).unwrap_or_default();
            items.push(ResponseItem::developer_text(format!(
                "The model changed{from} to `{model}` for the rest of this conversation. Earlier replies may have been written by another model."
            )));
        }
    }
    if previous.environment != current.environment {
        items.push(environment_context(&current.environment));
    }
    items
}

/// Whether `item` is a user message this module (or the editor context) injected, as opposed to
/// something the user wrote: the AGENTS.md, environment and editor context messages.
pub fn is_injected_context(item: &ResponseItem) -> bool {
    let ResponseItem::Message { role: Role::User, .. } = item else {
        return false;
    };
    let text = item.message_text().unwrap_or_default();
    let text = text.trim_start();
    text.starts_with(AGENTS_MD_HEADER) || text.starts_with(ENVIRONMENT_CONTEXT_OPEN) || text.starts_with(EDITOR_CONTEXT_OPEN)
}
