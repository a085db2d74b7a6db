//! `codeloop doctor`: one line per capability codeloop relies on, each with what to do when it is
//! missing. The sandbox checks come from the sandbox crate (which runs a real sandboxed `true`);
//! this file adds the provider config and the state directory.
//!
//! It reads and probes only; it never writes config. (The state dir check creates and removes one
//! probe file.)

use sandbox::doctor::{Check, CheckStatus};
use std::io::Write;
use std::path::PathBuf;

pub fn run() -> anyhow::Result<std::process::ExitCode> {
    let exe = std::env::current_exe()?;
    let mut checks = sandbox::doctor::checks(sandbox::doctor::probe(&exe));
    checks.push(provider_config());
    checks.push(state_dir());
    let mut out = std::io::stdout().lock();
    for c in &checks {
        writeln!(out, "{}", c.line())?;
    }
    let missing = checks.iter().any(|c| c.status == CheckStatus::Missing);
    Ok(if missing { std::process::ExitCode::FAILURE } else { std::process::ExitCode::SUCCESS })
}

fn env_dir(name: &str) -> Option<PathBuf> {
    std::env::var_os(name).filter(|v| !v.is_empty()).map(PathBuf::from)
}

/// `$CODELOOP_CONFIG_DIR`, `$XDG_CONFIG_HOME/codeloop` or `~/.config/codeloop` (as the config crate).
fn config_file() -> Option<PathBuf> {
    let dir = env_dir("CODELOOP_CONFIG_DIR")
        .or_else(|| env_dir("XDG_CONFIG_HOME").map(|d| d.join("codeloop")))
        .or_else(|| env_dir("HOME").map(|h| h.join(".config/codeloop")))?;
    Some(dir.join("config.toml"))
}

fn provider_config() -> Check {
    let name = "provider config";
    let Some(path) = config_file() else {
        return Check {
            name,
            status: CheckStatus::Warn,
            detail: "no HOME: cannot locate config.toml".into(),
            fix: "set HOME or CODELOOP_CONFIG_DIR".into(),
        };
    };
    match std::fs::read_to_string(&path) {
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Check {
            name,
            status: CheckStatus::Ok,
            detail: format!("{} absent: built-in defaults (OPENAI_API_KEY from the environment)", path.display()),
            fix: String::new(),
        },
        Err(e) => Check { name, status: CheckStatus::Missing, detail: format!("{}: {e}", path.display()), fix: "make it readable".into() },
        Ok(text) => match text.parse::<toml::Table>() {
            Ok(_) => Check { name, status: CheckStatus::Ok, detail: format!("{} parses", path.display()), fix: String::new() },
            Err(e) => Check {
                name,
                status: CheckStatus::Missing,
                detail: format!("{} is not valid TOML: {}", path.display(), e.message()),
                fix: "fix the syntax (see docs/configuration.md)".into(),
            },
        },
    }
}

/// `$CODELOOP_STATE_DIR`, `$XDG_STATE_HOME/codeloop` or `~/.local/state/codeloop`.
fn state_dir() -> Check {
    let name = "state dir";
    let dir = env_dir("CODELOOP_STATE_DIR")
        .or_else(|| env_dir("XDG_STATE_HOME").map(|d| d.join("codeloop")))
        .or_else(|| env_dir("HOME").map(|h| h.join(".local/state/codeloop")));
    let Some(dir) = dir else {
        return Check { name, status: CheckStatus::Missing, detail: "no HOME".into(), fix: "set HOME or CODELOOP_STATE_DIR".into() };
    };
    let probe = dir.join(format!(".doctor-{}", std::process::id()));
    let result = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&probe, b"ok")).and_then(|()| std::fs::remove_file(&probe));
    match result {
        Ok(()) => Check { name, status: CheckStatus::Ok, detail: format!("{} writable", dir.display()), fix: String::new() },
        Err(e) => Check {
            name,
            status: CheckStatus::Missing,
            detail: format!("{}: {e}", dir.display()),
            fix: "make it writable or set CODELOOP_STATE_DIR".into(),
        },
    }
}
