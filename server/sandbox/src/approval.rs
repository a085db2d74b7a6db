//! Approval policies: whether a command runs, runs after asking the user, or is refused, and
//! whether it runs in the sandbox. Pure decisions ([`decide`], [`after_failure`]) plus the
//! session's "allow for this session" memory ([`SessionApprovals`]).
//!
//! The semantics are the Codex CLI's (codex-reference §7), summed up in docs/approvals.md:
//! - `untrusted`: known-safe commands run in the sandbox; everything else asks.
//! - `on-failure`: everything runs in the sandbox; a sandbox denial offers an unsandboxed retry.
//! - `on-request` (default): everything runs in the sandbox; the model may ask to escalate
//!   (run outside the sandbox) with a justification, which asks the user.
//! - `never`: nothing asks; escalation requests run sandboxed anyway, with a note for the model.
//! - Dangerous commands (command_safety.rs) always ask, and are forbidden under `never` unless
//!   the sandbox is danger-full-access. Under danger-full-access nothing is sandboxed.
//!
//! Not here: asking (the agent emits the request as an event and waits for the Op) and running.
//! This crate stays a leaf, so the policy enum mirrors the config's; the agent maps one to the other.

use std::collections::HashMap;
use std::sync::{Arc, RwLock};

use serde::{Deserialize, Serialize};

use crate::command_safety::{is_dangerous, is_known_safe, script_segments, shell_script};
use crate::policy::SandboxPolicy;

/// When the user is asked (Codex's `approval_policy`, same kebab-case names).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AskForApproval {
    /// Only known-safe commands run without asking; apply_patch asks too.
    Untrusted,
    /// Run in the sandbox; ask to retry without it when the sandbox blocked the command.
    OnFailure,
    /// Run in the sandbox; ask when the model requests escalation.
    #[default]
    OnRequest,
    /// Never ask.
    Never,
}

impl AskForApproval {
    pub fn as_str(self) -> &'static str {
        match self {
            AskForApproval::Untrusted => "untrusted",
            AskForApproval::OnFailure => "on-failure",
            AskForApproval::OnRequest => "on-request",
            AskForApproval::Never => "never",
        }
    }
}

/// The model's request to run a command outside the sandbox (`sandbox_permissions:
/// "require_escalated"`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Escalation {
    /// The one-sentence reason the model gave, shown to the user.
    pub justification: Option<String>,
}

/// A question for the user.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ask {
    /// Why the user is asked (the model's justification, or what makes the command need it).
    pub reason: String,
    /// Approving runs the command outside the sandbox (false when there is no sandbox anyway).
    pub escalated: bool,
}

/// What to do with a command.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Decision {
    /// Run it now. `note` is text for the model (appended to the output) when the run differs
    /// from what it asked for.
    Run { sandboxed: bool, note: Option<String> },
    /// Ask the user first; if approved, run it (outside the sandbox when `escalated`).
    Ask(Ask),
    /// Refuse; `reason` is for the model.
    Forbid { reason: String },
}

/// The reason shown for an untrusted command.
pub const UNTRUSTED_REASON: &str = "not a known read-only command (approval policy: untrusted)";
/// The reason shown for a dangerous command.
pub const DANGEROUS_REASON: &str = "this command can destroy data";
/// The reason shown for an unsandboxed retry after a denial.
pub const RETRY_REASON: &str = "command failed in the sandbox; retry without it?";
/// The note for the model when `never` runs an escalation request in the sandbox.
pub const NEVER_ESCALATION_NOTE: &str = "[approval] Escalation is not available (approval policy: never): the command ran in the sandbox.";

/// Decides how `command` runs under `policy` in `sandbox`. `escalation` is the model's request to
/// leave the sandbox; `session` holds what the user allowed for the session.
pub fn decide(
    policy: AskForApproval,
    sandbox: &SandboxPolicy,
    command: &[String],
    escalation: Option<&Escalation>,
    session: &SessionApprovals,
) -> Decision {
    let restricted = sandbox.is_restricted();
    // Without a sandbox there is nothing to escalate from.
    let escalate = escalation.is_some() && restricted;
    let dangerous = is_dangerous(command);
    if policy == AskForApproval::Never {
        if dangerous && restricted {
            return Decision::Forbid {
                reason: format!(
                    "{DANGEROUS_REASON}; destructive commands are forbidden under the `never` approval policy (nobody can approve them). \
                     Find a narrower command, or leave this step to the user."
                ),
            };
        }
        return Decision::Run { sandboxed: restricted, note: escalate.then(|| NEVER_ESCALATION_NOTE.to_string()) };
    }
    if session.allows(command, escalate) {
        return Decision::Run { sandboxed: restricted && !escalate, note: None };
    }
    let justification = || {
        escalation
            .and_then(|e| e.justification.as_deref())
            .map(str::trim)
            .filter(|j| !j.is_empty())
            .map_or_else(|| "the model asks to run this command outside the sandbox".to_string(), str::to_string)
    };
    let ask = |reason: String| Decision::Ask(Ask { reason, escalated: escalate });
    if dangerous {
        return ask(if escalate { format!("{} ({DANGEROUS_REASON})", justification()) } else { DANGEROUS_REASON.to_string() });
    }
    if escalate {
        return ask(justification());
    }
    match policy {
        AskForApproval::Untrusted if !is_known_safe(command) => ask(UNTRUSTED_REASON.to_string()),
        _ => Decision::Run { sandboxed: restricted, note: None },
    }
}

/// After a sandboxed run: whether to offer an unsandboxed retry. Only under `untrusted` and
/// `on-failure` (Codex's rule; under `on-request` the model escalates itself), only when the run
/// was sandboxed and its failure looks like a sandbox denial.
pub fn after_failure(policy: AskForApproval, sandbox: &SandboxPolicy, ran_sandboxed: bool, denied: bool) -> Option<Ask> {
    let offers = matches!(policy, AskForApproval::Untrusted | AskForApproval::OnFailure);
    (offers && sandbox.is_restricted() && ran_sandboxed && denied).then(|| Ask { reason: RETRY_REASON.to_string(), escalated: true })
}

/// Programs whose arguments are code: a prefix of them would allow anything, so their approvals
/// are remembered only for the exact command.
const INTERPRETERS: &[&str] = &[
    "bash", "sh", "zsh", "dash", "ksh", "fish", "python", "python3", "node", "deno", "perl", "ruby", "php", "lua", "sudo", "doas", "env",
    "xargs", "eval", "exec", "command", "nohup", "time", "timeout",
];

/// "Allow for this session", by command prefix. Cheap to clone (shared), safe across threads.
///
/// What an approval covers:
/// - an argv command: commands starting with that argv (or with the model's `prefix_rule`, when it
///   is a prefix of the command);
/// - a plain shell script (command_safety's `script_segments`): each of its commands that is not
///   known-safe, by its first two words (`cargo test`) or the `prefix_rule`; a later script is
///   allowed when every command in it is known-safe or covered, and at least one is covered;
/// - anything else (a script with redirections or substitutions, a dangerous command, a command
///   of an interpreter such as `python3 -c`): exactly that command, nothing more.
///
/// An approval to run outside the sandbox also covers running inside it, not the reverse.
#[derive(Clone, Debug, Default)]
pub struct SessionApprovals {
    inner: Arc<RwLock<Entries>>,
}

#[derive(Debug, Default)]
struct Entries {
    /// Prefix -> approved to run outside the sandbox.
    prefixes: HashMap<Vec<String>, bool>,
    /// Exact command -> approved to run outside the sandbox.
    exact: HashMap<Vec<String>, bool>,
}

/// What one approval is remembered as.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
struct Keys {
    exact: Option<Vec<String>>,
    prefixes: Vec<Vec<String>>,
}

impl SessionApprovals {
    pub fn new() -> SessionApprovals {
        SessionApprovals::default()
    }

    fn read(&self) -> std::sync::RwLockReadGuard<'_, Entries> {
        // A poisoned lock only means a panic elsewhere while holding it; the maps stay usable.
        self.inner.read().unwrap_or_else(|e| e.into_inner())
    }

    fn write(&self) -> std::sync::RwLockWriteGuard<'_, Entries> {
        self.inner.write().unwrap_or_else(|e| e.into_inner())
    }

    /// Remembers that the user allowed `command` for the session (`escalated`: outside the
    /// sandbox). `prefix_rule` is the model's suggested prefix; it is used only where it is a
    /// prefix of the command (see the type's doc).
    pub fn remember(&self, command: &[String], prefix_rule: Option<&[String]>, escalated: bool) {
        let keys = session_keys(command, prefix_rule);
        let mut entries = self.write();
        if let Some(exact) = keys.exact {
            *entries.exact.entry(exact).or_default() |= escalated;
        }
        for p in keys.prefixes {
            *entries.prefixes.entry(p).or_default() |= escalated;
        }
    }

    /// Whether an earlier "allow for this session" covers `command` (run outside the sandbox
    /// when `escalated`).
    pub fn allows(&self, command: &[String], escalated: bool) -> bool {
        let entries = self.read();
        if entries.prefixes.is_empty() && entries.exact.is_empty() {
            return false;
        }
        let covers = |approved_escalated: bool| approved_escalated || !escalated;
        if entries.exact.get(command).is_some_and(|&e| covers(e)) {
            return true;
        }
        let by_prefix = |argv: &[String]| (1..=argv.len()).any(|n| entries.prefixes.get(&argv[..n]).is_some_and(|&e| covers(e)));
        if is_dangerous(command) {
            return false;
        }
        match shell_script(command) {
            Some(script) => match script_segments(script) {
                Some(segments) => {
                    let mut covered = 0;
                    for s in &segments {
                        if !s.known_safe && is_interpreter(&s.argv) {
                            return false;
                        }
                        if by_prefix(&s.argv) {
                            covered += 1;
                        } else if !s.known_safe {
                            return false;
                        }
                    }
                    covered > 0
                }
                None => false,
            },
            None => !is_interpreter(command) && by_prefix(command),
        }
    }

    pub fn is_empty(&self) -> bool {
        let entries = self.read();
        entries.prefixes.is_empty() && entries.exact.is_empty()
    }
}

fn is_interpreter(argv: &[String]) -> bool {
    argv.first().is_some_and(|p| INTERPRETERS.contains(&p.rsplit('/').next().unwrap_or(p)))
}

fn session_keys(command: &[String], prefix_rule: Option<&[String]>) -> Keys {
    let exact = || Keys { exact: Some(command.to_vec()), prefixes: Vec::new() };
    let rule = prefix_rule.filter(|r| !r.is_empty());
    let prefix_of = |argv: &[String]| match rule {
        Some(r) if argv.starts_with(r) => r.to_vec(),
        _ => argv[..argv.len().min(2)].to_vec(),
    };
    if is_dangerous(command) {
        return exact();
    }
    match shell_script(command) {
        Some(script) => {
            let Some(segments) = script_segments(script) else { return exact() };
            if segments.iter().any(|s| !s.known_safe && is_interpreter(&s.argv)) {
                return exact();
            }
            let prefixes: Vec<Vec<String>> = segments.iter().filter(|s| !s.known_safe).map(|s| prefix_of(&s.argv)).collect();
            if prefixes.is_empty() {
                return exact();
            }
            Keys { exact: None, prefixes }
        }
        None if is_interpreter(command) => exact(),
        None => {
            let key = match rule {
                Some(r) if command.starts_with(r) => r.to_vec(),
                _ => command.to_vec(),
            };
            Keys { exact: None, prefixes: vec![key] }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::SandboxMode;
    use AskForApproval::*;

    fn argv(s: &str) -> Vec<String> {
        s.split_whitespace().map(str::to_string).collect()
    }

    fn script(s: &str) -> Vec<String> {
        vec!["bash".into(), "-lc".into(), s.into()]
    }

    /// One line per case: `policy sandbox command [esc] -> decision`.
    fn render(policy: AskForApproval, mode: SandboxMode, command: &[String], escalate: bool, session: &SessionApprovals) -> String {
        let sandbox = SandboxPolicy { mode, ..SandboxPolicy::default() };
        let esc = Escalation { justification: Some("needs the network".into()) };
        let d = decide(policy, &sandbox, command, escalate.then_some(&esc), session);
        let d = match d {
            Decision::Run { sandboxed, note } => {
                format!("run {}{}", if sandboxed { "sandboxed" } else { "unsandboxed" }, if note.is_some() { " +note" } else { "" })
            }
            Decision::Ask(a) => format!("ask{} ({})", if a.escalated { " escalated" } else { "" }, a.reason),
            Decision::Forbid { .. } => "forbid".to_string(),
        };
        let cmd = match shell_script(command) {
            Some(s) => s.to_string(),
            None => command.join(" "),
        };
        format!("{:<10} {:<18} {:<12}{:<5} -> {d}\n", policy.as_str(), mode.as_str(), cmd, if escalate { " esc" } else { "" })
    }

    #[test]
    fn decision_table() {
        let session = SessionApprovals::new();
        let mut out = String::new();
        for policy in [Untrusted, OnFailure, OnRequest, Never] {
            for mode in [SandboxMode::WorkspaceWrite, SandboxMode::DangerFullAccess] {
                for cmd in [argv("ls -la"), argv("touch x"), script("rm -rf x")] {
                    for esc in [false, true] {
                        out.push_str(&render(policy, mode, &cmd, esc, &session));
                    }
                }
            }
        }
        expect_test::expect![[r#"
            untrusted  workspace-write    ls -la            -> run sandboxed
            untrusted  workspace-write    ls -la       esc  -> ask escalated (needs the network)
            untrusted  workspace-write    touch x           -> ask (not a known read-only command (approval policy: untrusted))
            untrusted  workspace-write    touch x      esc  -> ask escalated (needs the network)
            untrusted  workspace-write    rm -rf x          -> ask (this command can destroy data)
            untrusted  workspace-write    rm -rf x     esc  -> ask escalated (needs the network (this command can destroy data))
            untrusted  danger-full-access ls -la            -> run unsandboxed
            untrusted  danger-full-access ls -la       esc  -> run unsandboxed
            untrusted  danger-full-access touch x           -> ask (not a known read-only command (approval policy: untrusted))
            untrusted  danger-full-access touch x      esc  -> ask (not a known read-only command (approval policy: untrusted))
            untrusted  danger-full-access rm -rf x          -> ask (this command can destroy data)
            untrusted  danger-full-access rm -rf x     esc  -> ask (this command can destroy data)
            on-failure workspace-write    ls -la            -> run sandboxed
            on-failure workspace-write    ls -la       esc  -> ask escalated (needs the network)
            on-failure workspace-write    touch x           -> run sandboxed
            on-failure workspace-write    touch x      esc  -> ask escalated (needs the network)
            on-failure workspace-write    rm -rf x          -> ask (this command can destroy data)
            on-failure workspace-write    rm -rf x     esc  -> ask escalated (needs the network (this command can destroy data))
            on-failure danger-full-access ls -la            -> run unsandboxed
            on-failure danger-full-access ls -la       esc  -> run unsandboxed
            on-failure danger-full-access touch x           -> run unsandboxed
            on-failure danger-full-access touch x      esc  -> run unsandboxed
            on-failure danger-full-access rm -rf x          -> ask (this command can destroy data)
            on-failure danger-full-access rm -rf x     esc  -> ask (this command can destroy data)
            on-request workspace-write    ls -la            -> run sandboxed
            on-request workspace-write    ls -la       esc  -> ask escalated (needs the network)
            on-request workspace-write    touch x           -> run sandboxed
            on-request workspace-write    touch x      esc  -> ask escalated (needs the network)
            on-request workspace-write    rm -rf x          -> ask (this command can destroy data)
            on-request workspace-write    rm -rf x     esc  -> ask escalated (needs the network (this command can destroy data))
            on-request danger-full-access ls -la            -> run unsandboxed
            on-request danger-full-access ls -la       esc  -> run unsandboxed
            on-request danger-full-access touch x           -> run unsandboxed
            on-request danger-full-access touch x      esc  -> run unsandboxed
            on-request danger-full-access rm -rf x          -> ask (this command can destroy data)
            on-request danger-full-access rm -rf x     esc  -> ask (this command can destroy data)
            never      workspace-write    ls -la            -> run sandboxed
            never      workspace-write    ls -la       esc  -> run sandboxed +note
            never      workspace-write    touch x           -> run sandboxed
            never      workspace-write    touch x      esc  -> run sandboxed +note
            never      workspace-write    rm -rf x          -> forbid
            never      workspace-write    rm -rf x     esc  -> forbid
            never      danger-full-access ls -la            -> run unsandboxed
            never      danger-full-access ls -la       esc  -> run unsandboxed
            never      danger-full-access touch x           -> run unsandboxed
            never      danger-full-access touch x      esc  -> run unsandboxed
            never      danger-full-access rm -rf x          -> run unsandboxed
            never      danger-full-access rm -rf x     esc  -> run unsandboxed
        "#]]
        .assert_eq(&out);
    }

    #[test]
    fn read_only_sandbox_behaves_like_workspace_write() {
        let session = SessionApprovals::new();
        for policy in [Untrusted, OnFailure, OnRequest, Never] {
            for (cmd, esc) in [(argv("ls"), false), (argv("touch x"), false), (argv("touch x"), true), (argv("rm -rf x"), false)] {
                let a = render(policy, SandboxMode::ReadOnly, &cmd, esc, &session);
                let b = render(policy, SandboxMode::WorkspaceWrite, &cmd, esc, &session);
                assert_eq!(a.split("->").nth(1), b.split("->").nth(1), "{a}{b}");
            }
        }
    }

    #[test]
    fn empty_justification_gets_a_default_reason() {
        let d = decide(
            OnRequest,
            &SandboxPolicy::default(),
            &argv("curl x"),
            Some(&Escalation { justification: Some("  ".into()) }),
            &SessionApprovals::new(),
        );
        assert_eq!(d, Decision::Ask(Ask { reason: "the model asks to run this command outside the sandbox".into(), escalated: true }));
    }

    #[test]
    fn unsandboxed_retry_is_offered_after_denials_under_untrusted_and_on_failure() {
        let ws = SandboxPolicy::default();
        let full = SandboxPolicy::full_access();
        let offered = |p, s: &SandboxPolicy, ran_sandboxed, denied| after_failure(p, s, ran_sandboxed, denied).is_some();
        assert!(offered(OnFailure, &ws, true, true));
        assert!(offered(Untrusted, &ws, true, true));
        assert_eq!(after_failure(OnFailure, &ws, true, true), Some(Ask { reason: RETRY_REASON.into(), escalated: true }));
        assert!(!offered(OnFailure, &ws, true, false), "not a denial");
        assert!(!offered(OnFailure, &ws, false, true), "ran unsandboxed already");
        assert!(!offered(OnFailure, &full, true, true), "no sandbox");
        assert!(!offered(OnRequest, &ws, true, true), "on-request: the model escalates itself");
        assert!(!offered(Never, &ws, true, true));
    }

    #[test]
    fn session_approvals_by_prefix() {
        let s = SessionApprovals::new();
        let ws = SandboxPolicy::default();
        let decide_untrusted = |cmd: &[String]| decide(Untrusted, &ws, cmd, None, &s);
        assert!(s.is_empty());
        assert!(matches!(decide_untrusted(&script("cargo test -p x")), Decision::Ask(_)));
        s.remember(&script("cargo test -p x"), None, false);
        // The first two words of each command.
        assert!(s.allows(&script("cargo test -p y"), false));
        assert!(s.allows(&script("cargo test && ls | wc -l"), false), "known-safe commands ride along");
        assert!(s.allows(&argv("cargo test --release"), false), "argv commands match the same prefixes");
        assert!(!s.allows(&script("cargo test && touch x"), false), "every unsafe command must be covered");
        assert!(!s.allows(&script("ls"), false), "at least one command must be covered");
        assert!(!s.allows(&script("cargo build"), false));
        assert!(!s.allows(&script("cargo test > out"), false), "not a plain script");
        assert!(!s.allows(&script("cargo test -p x"), true), "a sandboxed approval does not cover escalation");
        assert_eq!(decide_untrusted(&script("cargo test")), Decision::Run { sandboxed: true, note: None });
        // An escalated approval covers both, and runs escalated requests unsandboxed.
        s.remember(&argv("npm install"), None, true);
        assert!(s.allows(&argv("npm install"), true) && s.allows(&argv("npm install"), false));
        assert!(s.allows(&argv("npm install left-pad"), true), "an argv approval is a prefix");
        assert!(!s.allows(&argv("npm"), false));
        let esc = Escalation::default();
        assert_eq!(decide(OnRequest, &ws, &argv("npm install"), Some(&esc), &s), Decision::Run { sandboxed: false, note: None });
        assert_eq!(decide(OnRequest, &ws, &argv("npm install"), None, &s), Decision::Run { sandboxed: true, note: None });
    }

    #[test]
    fn session_prefix_rule_and_exact_only_cases() {
        let s = SessionApprovals::new();
        s.remember(&argv("cargo test -p a --lib"), Some(&argv("cargo test")), false);
        assert!(s.allows(&argv("cargo test -p b"), false));
        // A rule that is not a prefix of the command is ignored.
        s.remember(&argv("make all"), Some(&argv("rm")), false);
        assert!(!s.allows(&argv("rm x"), false));
        assert!(s.allows(&argv("make all -j4"), false));
        // Dangerous commands: exact only, and a prefix never lets one through.
        s.remember(&argv("rm -rf target"), Some(&argv("rm")), false);
        assert!(s.allows(&argv("rm -rf target"), false));
        assert!(!s.allows(&argv("rm -rf src"), false));
        s.remember(&script("git status && git push"), None, false);
        assert!(s.allows(&script("git push"), false));
        assert!(!s.allows(&script("git push --force"), false), "dangerous despite the `git push` prefix");
        // Interpreters: exact only, whatever the rule says.
        s.remember(&argv("python3 -c print(1)"), Some(&argv("python3")), false);
        assert!(s.allows(&argv("python3 -c print(1)"), false));
        assert!(!s.allows(&argv("python3 -c print(2)"), false));
        s.remember(&script("python3 -c 'print(1)'"), None, false);
        assert!(!s.allows(&script("python3 -c 'print(2)'"), false));
        // Scripts that are not plain: exact only.
        s.remember(&script("make > log"), None, false);
        assert!(s.allows(&script("make > log"), false) && !s.allows(&script("make > log2"), false));
        // Clones share the memory.
        let c = s.clone();
        c.remember(&argv("just build"), None, false);
        assert!(s.allows(&argv("just build"), false));
    }

    #[test]
    fn session_approvals_are_shared_across_threads() {
        let s = SessionApprovals::new();
        let handles: Vec<_> = (0..4)
            .map(|i| {
                let s = s.clone();
                std::thread::spawn(move || s.remember(&argv(&format!("tool{i} run")), None, false))
            })
            .collect();
        for h in handles {
            h.join().unwrap();
        }
        assert!((0..4).all(|i| s.allows(&argv(&format!("tool{i} run")), false)));
    }

    #[test]
    fn dangerous_commands_ask_even_when_approved_for_a_prefix_and_never_forbids_them() {
        let s = SessionApprovals::new();
        s.remember(&argv("git push"), None, false);
        let ws = SandboxPolicy::default();
        assert!(matches!(decide(OnRequest, &ws, &argv("git push --force"), None, &s), Decision::Ask(_)));
        assert!(matches!(decide(Never, &ws, &argv("sudo rm -rf /"), None, &s), Decision::Forbid { .. }));
        assert!(matches!(decide(Never, &SandboxPolicy::read_only(), &argv("git reset --hard"), None, &s), Decision::Forbid { .. }));
    }

    #[test]
    fn policy_names_are_the_config_spelling() {
        for p in [Untrusted, OnFailure, OnRequest, Never] {
            assert_eq!(serde_json::to_value(p).unwrap(), serde_json::Value::String(p.as_str().into()));
        }
    }
}
