//! The `<environment_context>` user message: where the agent runs (cwd, shell, date, timezone,
//! network, sandbox), in a fixed field order so that the same environment renders to the same
//! bytes. The date and timezone are inputs: `EnvironmentContext::detect` fills them from the
//! process, tests pass fixed values.
//!
//! Deliberately not here: the permissions wording (permissions.rs) and the date arithmetic
//! (rollout's clock, shared so that session files and prompts agree on "today").

use agent_protocol::ResponseItem;
use config::SandboxMode;
use serde::{Deserialize, Serialize};
use std::fmt::Write;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use crate::rollout::clock;

/// The opening tag; also how a history scan recognises this message as injected context.
pub const ENVIRONMENT_CONTEXT_OPEN: &str = "<environment_context>";

#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct EnvironmentContext {
    pub cwd: PathBuf,
    /// The shell's name (`bash`, `zsh`), as commands given as one string run in it.
    pub shell: String,
    /// `YYYY-MM-DD`.
    pub current_date: String,
    /// An IANA name (`Europe/Paris`) or `UTC`.
    pub timezone: String,
    pub network_enabled: bool,
    pub sandbox_mode: SandboxMode,
}

impl EnvironmentContext {
    /// The environment of this process: `$SHELL`'s name (else `bash`), today's date in UTC, and
    /// the timezone from `$TZ`, `/etc/timezone` or the `/etc/localtime` link (else `UTC`).
    ///
    /// The date is UTC's: the process has no timezone database to compute the local one. It is
    /// off by a day only for a few hours a day, and the timezone is stated next to it.
    pub fn detect(cwd: &Path, network_enabled: bool, sandbox_mode: SandboxMode) -> EnvironmentContext {
        EnvironmentContext {
            cwd: cwd.to_path_buf(),
            shell: detect_shell(),
            current_date: clock::utc_date(SystemTime::now()),
            timezone: detect_timezone(),
            network_enabled,
            sandbox_mode,
        }
    }

    /// The message text, fields one per line in a fixed order.
    pub fn render(&self) -> String {
        let mut out = String::new();
        out.push_str(ENVIRONMENT_CONTEXT_OPEN);
        out.push('\n');
        let network = if self.network_enabled { "enabled" } else { "disabled" };
        let fields = [
            ("cwd", self.cwd.display().to_string()),
            ("shell", self.shell.clone()),
            ("current_date", self.current_date.clone()),
            ("timezone", self.timezone.clone()),
            ("network", network.to_string()),
            ("sandbox", sandbox_mode_name(self.sandbox_mode).to_string()),
        ];
        for (tag, value) in fields {
            let _ = writeln!(out, "  <{tag}>{}</{tag}>", xml_escape(&value));
        }
        out.push_str("</environment_context>");
        out
    }
}

/// The environment context as the user message the model sees.
pub fn environment_context(env: &EnvironmentContext) -> ResponseItem {
    ResponseItem::user_text(env.render())
}

/// The config spelling of a sandbox mode, which is also how the prompt names it.
pub fn sandbox_mode_name(mode: SandboxMode) -> &'static str {
    mode.as_str()
}

/// Escapes the three characters that would end or open a tag.
pub(crate) fn xml_escape(s: &str) -> String {
    if !s.contains(['&', '<', '>']) {
        return s.to_string();
    }
    s.replace('&', "&amp;").replace('<', "&lt;").replace('>', "&gt;")
}

fn detect_shell() -> String {
    std::env::var_os("SHELL")
        .map(PathBuf::from)
        .and_then(|p| p.file_name().map(|n| n.to_string_lossy().into_owned()))
        .filter(|n| !n.is_empty())
        .unwrap_or_else(|| "bash".to_string())
}

fn detect_timezone() -> String {
    if let Some(tz) = std::env::var("TZ").ok().map(|t| t.trim_start_matches(':').to_string()).filter(|t| !t.is_empty()) {
        return tz;
    }
    if let Some(tz) = std::fs::read_to_string("/etc/timezone").ok().map(|t| t.trim().to_string()).filter(|t| !t.is_empty()) {
        return tz;
    }
    // /etc/localtime -> /usr/share/zoneinfo/Europe/Paris
    if let Ok(target) = std::fs::read_link("/etc/localtime") {
        let s = target.to_string_lossy();
        if let Some((_, name)) = s.split_once("zoneinfo/") {
            if !name.is_empty() {
                return name.to_string();
            }
        }
    }
    "UTC".to_string()
}
