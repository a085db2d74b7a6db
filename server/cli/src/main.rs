//! The `codeloop` binary: `codeloop lsp` (the language server over stdio), `codeloop exec` (the agent, headless),
//! `codeloop index` (build or refresh the workspace symbol index and print statistics),
//! `codeloop sandbox` (run a command under a sandbox policy; also the helper the server re-executes)
//! and `codeloop doctor` (what this machine supports).
//!
//! Logging goes to stderr or a file, never stdout: in `lsp` mode stdout carries JSON-RPC.
//! This file wires things together; it holds no server logic.

mod doctor_cmd;
mod exec_cmd;
mod index_cmd;

use anyhow::Context;
use clap::{Parser, Subcommand};
use std::path::PathBuf;

#[derive(Parser)]
#[command(name = "codeloop", version, about = "A coding agent that lives inside a language server")]
struct Cli {
    /// Write logs to this file instead of stderr.
    #[arg(long, global = true)]
    log_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run the language server over stdio (what editors start).
    Lsp {
        /// Accepted for compatibility with clients that always pass it; stdio is the only transport.
        #[arg(long)]
        stdio: bool,
    },
    /// Run the agent headless on one prompt: `codeloop exec [-C DIR] [-m MODEL] [--json] "prompt"`.
    Exec(exec_cmd::ExecArgs),
    /// Index directories (respecting .gitignore) and print statistics; reuses the persisted cache.
    Index(index_cmd::IndexArgs),
    /// Run a command under a sandbox policy: `codeloop sandbox [--mode M] [--network] -- cmd args...`
    /// (see `codeloop sandbox --help`).
    Sandbox {
        #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
        args: Vec<std::ffi::OsString>,
    },
    /// Check what this machine supports (Landlock, seccomp, namespaces, overlayfs, config, state dir).
    Doctor,
}

fn init_tracing(log_file: Option<&PathBuf>) -> anyhow::Result<()> {
    let filter = tracing_subscriber::EnvFilter::try_from_env("CODELOOP_LOG").unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn"));
    let builder = tracing_subscriber::fmt().with_env_filter(filter).with_target(false);
    match log_file {
        Some(path) => {
            let file = std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(path)
                .with_context(|| format!("cannot open log file {}", path.display()))?;
            builder.with_ansi(false).with_writer(std::sync::Mutex::new(file)).init();
        }
        None => builder.with_writer(std::io::stderr).init(),
    }
    Ok(())
}

fn main() -> std::process::ExitCode {
    // The sandbox helper runs before anything else: single-threaded, no logging setup, and it
    // parses its own arguments (the server passes them; users get `codeloop sandbox --help`).
    let mut raw = std::env::args_os();
    if raw.nth(1).is_some_and(|a| a == "sandbox") {
        sandbox::helper_main(raw.collect());
    }
    let cli = Cli::parse();
    if let Err(e) = init_tracing(cli.log_file.as_ref()) {
        eprintln!("codeloop: {e:#}");
        return std::process::ExitCode::from(2);
    }
    // A panic anywhere is logged (to stderr or the log file), never printed to stdout.
    std::panic::set_hook(Box::new(|info| tracing::error!("panic: {info}")));
    let result = match cli.command {
        Command::Lsp { stdio: _ } => run_lsp(),
        Command::Exec(args) => exec_cmd::run(args),
        Command::Index(args) => index_cmd::run(args),
        Command::Sandbox { args } => sandbox::helper_main(args),
        Command::Doctor => doctor_cmd::run(),
    };
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("codeloop: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}

fn run_lsp() -> anyhow::Result<std::process::ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .thread_name("codeloop-rt")
        .build()
        .context("cannot start the async runtime")?;
    let ending = runtime.block_on(lsp::serve(tokio::io::stdin(), tokio::io::stdout()));
    // Exit at once: tokio's stdin reader parks an uncancellable blocking read, so dropping the
    // runtime would wait for input that never comes.
    let code = match ending {
        lsp::Ending::Clean => 0,
        lsp::Ending::Abrupt => 1,
    };
    std::process::exit(code);
}
