//! The environment a sandboxed command sees: the server's environment minus anything that looks
//! like a credential, plus the variables that tell tools they run non-interactively in a sandbox.
//!
//! This is a name-based filter, not a guarantee: a secret stored under an innocent name survives.
//! It deliberately keeps everything else (PATH, HOME, LANG, toolchain variables) so builds work.

use crate::policy::SandboxPolicy;
use std::ffi::{OsStr, OsString};
use std::path::Path;

/// Substrings (upper-cased) that mark a variable as secret.
const SECRET_MARKERS: &[&str] =
    &["KEY", "TOKEN", "SECRET", "PASSWORD", "PASSWD", "PASSPHRASE", "CREDENTIAL", "COOKIE", "SESSION", "PRIVATE", "AUTH"];

/// Exact names that carry credentials without a marker in the name.
const SECRET_NAMES: &[&str] = &["DATABASE_URL", "REDIS_URL", "MONGODB_URI", "SENTRY_DSN", "NETRC", "PGPASS", "KUBECONFIG", "DOCKER_HOST"];

/// Prefixes of cloud and model-provider families whose variables are credentials or point at them.
const SECRET_PREFIXES: &[&str] =
    &["AWS_", "AZURE_", "GCP_", "GOOGLE_", "OPENAI_", "ANTHROPIC_", "GITHUB_", "GH_", "GITLAB_", "HF_", "VAULT_"];

/// Names never dropped even if a marker matches (none of the defaults do; kept explicit).
const ALWAYS_KEEP: &[&str] = &["PATH", "HOME", "USER", "LOGNAME", "SHELL", "LANG", "LANGUAGE", "TZ", "PWD"];

/// Whether a variable name looks like it holds a secret.
pub fn is_secret_name(name: &str) -> bool {
    let upper = name.to_ascii_uppercase();
    if ALWAYS_KEEP.contains(&upper.as_str()) {
        return false;
    }
    SECRET_MARKERS.iter().any(|m| upper.contains(m))
        || SECRET_NAMES.contains(&upper.as_str())
        || SECRET_PREFIXES.iter().any(|p| upper.starts_with(p))
}

/// The variables codeloop sets for every sandboxed command (they override inherited ones).
pub fn sandbox_vars(policy: &SandboxPolicy, tmp: Option<&Path>) -> Vec<(OsString, OsString)> {
    let mut v: Vec<(OsString, OsString)> = [
        ("NO_COLOR", "1"),
        ("TERM", "dumb"),
        ("PAGER", "cat"),
        ("GIT_PAGER", "cat"),
        ("GIT_TERMINAL_PROMPT", "0"),
        ("CODELOOP_SANDBOX", policy.mode.as_str()),
    ]
    .into_iter()
    .map(|(k, v)| (k.into(), v.into()))
    .collect();
    if !policy.network_allowed() {
        v.push(("CODELOOP_SANDBOX_NETWORK_DISABLED".into(), "1".into()));
    }
    if let Some(tmp) = tmp {
        for k in ["TMPDIR", "TMP", "TEMP"] {
            v.push((k.into(), tmp.as_os_str().to_owned()));
        }
    }
    v
}

/// Builds the command's environment from `base` (usually `std::env::vars_os()`): secrets dropped,
/// `extra` (the caller's explicit variables, trusted) added, then the sandbox variables on top.
pub fn command_env(
    base: impl IntoIterator<Item = (OsString, OsString)>,
    extra: &[(String, String)],
    policy: &SandboxPolicy,
    tmp: Option<&Path>,
) -> Vec<(OsString, OsString)> {
    let mut out: Vec<(OsString, OsString)> = base.into_iter().filter(|(k, _)| !k.to_str().is_none_or(is_secret_name)).collect();
    let mut set = |k: OsString, v: OsString| {
        out.retain(|(old, _)| old != &k);
        out.push((k, v));
    };
    for (k, v) in extra {
        set(k.into(), v.into());
    }
    for (k, v) in sandbox_vars(policy, tmp) {
        set(k, v);
    }
    out
}

/// The value of `name` in an environment built by [`command_env`].
pub fn lookup<'a>(env: &'a [(OsString, OsString)], name: &str) -> Option<&'a OsStr> {
    env.iter().find(|(k, _)| k == name).map(|(_, v)| v.as_os_str())
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::policy::SandboxMode;
    use expect_test::expect;

    #[test]
    fn secret_names() {
        let names = [
            "PATH",
            "HOME",
            "LANG",
            "LC_ALL",
            "CARGO_HOME",
            "RUSTUP_TOOLCHAIN",
            "OPENAI_API_KEY",
            "openai_base_url",
            "GITHUB_TOKEN",
            "GH_TOKEN",
            "NPM_TOKEN",
            "MY_SECRET",
            "PGPASSWORD",
            "AWS_REGION",
            "AWS_SECRET_ACCESS_KEY",
            "SSH_AUTH_SOCK",
            "XAUTHORITY",
            "DATABASE_URL",
            "GOOGLE_APPLICATION_CREDENTIALS",
            "CODELOOP_TEST_SECRET",
            "EDITOR",
            "TERM",
        ];
        let dropped: Vec<&str> = names.iter().copied().filter(|n| is_secret_name(n)).collect();
        expect![[r#"OPENAI_API_KEY openai_base_url GITHUB_TOKEN GH_TOKEN NPM_TOKEN MY_SECRET PGPASSWORD AWS_REGION AWS_SECRET_ACCESS_KEY SSH_AUTH_SOCK XAUTHORITY DATABASE_URL GOOGLE_APPLICATION_CREDENTIALS CODELOOP_TEST_SECRET"#]]
            .assert_eq(&dropped.join(" "));
    }

    #[test]
    fn command_env_layers() {
        let base = [("PATH", "/bin"), ("TERM", "xterm"), ("API_TOKEN", "t"), ("LANG", "C.UTF-8")]
            .into_iter()
            .map(|(k, v)| (OsString::from(k), OsString::from(v)));
        let policy = SandboxPolicy { mode: SandboxMode::ReadOnly, ..Default::default() };
        let env = command_env(base, &[("FOO".into(), "bar".into())], &policy, Some(Path::new("/tmp/x")));
        let shown: Vec<String> = env.iter().map(|(k, v)| format!("{}={}", k.to_string_lossy(), v.to_string_lossy())).collect();
        expect![[r#"PATH=/bin LANG=C.UTF-8 FOO=bar NO_COLOR=1 TERM=dumb PAGER=cat GIT_PAGER=cat GIT_TERMINAL_PROMPT=0 CODELOOP_SANDBOX=read-only CODELOOP_SANDBOX_NETWORK_DISABLED=1 TMPDIR=/tmp/x TMP=/tmp/x TEMP=/tmp/x"#]]
            .assert_eq(&shown.join(" "));
        let full = command_env(std::iter::empty(), &[], &SandboxPolicy::full_access(), None);
        assert_eq!(lookup(&full, "CODELOOP_SANDBOX"), Some(OsStr::new("danger-full-access")));
        assert_eq!(lookup(&full, "CODELOOP_SANDBOX_NETWORK_DISABLED"), None);
    }
}
