//! `codeloop exec "prompt"`: the agent, headless. One thread, one turn; edits are written to disk
//! atomically (the front end's job in exec mode); events are printed as JSON lines (`--json`) or
//! as short progress lines on stderr with the final answer on stdout. The exit code says whether
//! the turn completed (0), failed (1), was interrupted (130) or could not start (2).

use std::io::{Read, Write};
use std::path::PathBuf;
use std::sync::Arc;

use agent_protocol::{EventMsg, Op, ReviewDecision, UserInput};
use anyhow::Context;
use config::ConfigLoader;
use tokio::sync::mpsc;

#[derive(clap::Args)]
pub struct ExecArgs {
    /// The prompt; `-` reads it from stdin.
    prompt: String,
    /// Run in this directory (the workspace root).
    #[arg(short = 'C', long = "cd")]
    dir: Option<PathBuf>,
    /// The model (same as `-c model=MODEL`).
    #[arg(short = 'm', long)]
    model: Option<String>,
    /// Override a configuration key: `-c key=value` (TOML value, else a string). Repeatable.
    #[arg(short = 'c', long = "config", value_name = "KEY=VALUE")]
    overrides: Vec<String>,
    /// Print every event as one JSON object per line on stdout.
    #[arg(long)]
    json: bool,
    /// Sandbox mode for commands: read-only, workspace-write or danger-full-access.
    #[arg(long, value_name = "MODE")]
    sandbox: Option<String>,
    /// Approval policy: untrusted, on-failure, on-request or never (exec has no one to ask, so
    /// requests that need an answer are denied).
    #[arg(long, value_name = "POLICY")]
    approval: Option<String>,
    /// Continue this thread (an id from `codeloop threads`).
    #[arg(long, value_name = "THREAD")]
    resume: Option<String>,
}

pub fn run(args: ExecArgs) -> anyhow::Result<std::process::ExitCode> {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .thread_name("codeloop-exec")
        .build()
        .context("cannot start the async runtime")?;
    runtime.block_on(exec(args))
}

async fn exec(args: ExecArgs) -> anyhow::Result<std::process::ExitCode> {
    let cwd = match &args.dir {
        Some(d) => d.canonicalize().with_context(|| format!("cannot use -C {}", d.display()))?,
        None => std::env::current_dir().context("cannot read the current directory")?,
    };
    let prompt = if args.prompt == "-" {
        let mut s = String::new();
        std::io::stdin().read_to_string(&mut s).context("cannot read the prompt from stdin")?;
        s
    } else {
        args.prompt.clone()
    };
    let mut loader = ConfigLoader::new(&cwd);
    loader.overrides = args.overrides.clone();
    if let Some(m) = &args.model {
        loader.overrides.push(format!("model={m}"));
    }
    if let Some(s) = &args.sandbox {
        loader.overrides.push(format!("sandbox_mode={s}"));
    }
    if let Some(a) = &args.approval {
        loader.overrides.push(format!("approval_policy={a}"));
    }
    let config = loader.load()?;
    for w in &config.warnings {
        eprintln!("codeloop: warning: {w}");
    }

    let view: Arc<dyn tools::FileView> = Arc::new(tools::DiskView);
    let tools_config = tools::ToolsConfig {
        shell_default_timeout: std::time::Duration::from_millis(config.shell_timeout_ms),
        symbol_tools: false,
        sandbox: Some(agent::sandbox_policy(&config)),
        workspace_roots: vec![cwd.clone()],
        ..tools::ToolsConfig::default()
    };
    let tool_ctx = tools::ToolContext::new(cwd.clone(), view.clone(), None, tools_config);
    let tools = agent::standard_tools(tool_ctx, config.approval_policy);
    let state_dir = agent::rollout::state_dir();
    let session = match &args.resume {
        Some(id) => {
            let dir = state_dir.as_deref().context("--resume needs a state directory ($CODELOOP_STATE_DIR or $HOME)")?;
            agent::resume_thread(&config, &cwd, tools, dir, &agent_protocol::ThreadId(id.clone()))?
        }
        None => agent::start_thread(&config, &cwd, tools, state_dir.as_deref())?,
    };
    if !args.json {
        eprintln!("codeloop: thread {} ({})", session.config.thread_id, session.config.model);
    }

    let (tx, mut events) = mpsc::unbounded_channel();
    // One signal stream for the whole run: a fresh `ctrl_c()` future per loop iteration would miss
    // a SIGINT delivered while an event is being handled (tokio's handler swallows it).
    let mut sigint = tokio::signal::unix::signal(tokio::signal::unix::SignalKind::interrupt()).context("cannot listen for Ctrl-C")?;
    let (thread, task) = agent::spawn(session, tx);
    thread.submit(Op::UserTurn { input: vec![UserInput::Text { text: prompt }], editor: None });

    let mut stdout = std::io::stdout().lock();
    let mut interrupted = false;
    let code = loop {
        let event = tokio::select! {
            e = events.recv() => e,
            _ = sigint.recv() => {
                if interrupted {
                    break 130;
                }
                interrupted = true;
                eprintln!("codeloop: interrupting (Ctrl-C again to quit at once)");
                thread.submit(Op::Interrupt);
                continue;
            }
        };
        let Some(event) = event else { break 1 };
        if args.json {
            // One line per event; a closed stdout ends the run.
            let line = serde_json::to_string(&event).unwrap_or_default();
            if writeln!(stdout, "{line}").and_then(|()| stdout.flush()).is_err() {
                thread.submit(Op::Interrupt);
            }
        }
        match event.msg {
            EventMsg::EditProposed { proposal_id, proposal, .. } => {
                let result = tools::apply_to_disk(&proposal, view.as_ref());
                let (applied, reason) = match result {
                    Ok(()) => (true, None),
                    Err(e) => (false, Some(e.to_string())),
                };
                thread.submit(Op::EditResult { proposal_id, applied, reason });
            }
            EventMsg::ApprovalRequested { approval_id, request, .. } => {
                eprintln!("codeloop: denied (exec mode cannot ask): {}", serde_json::to_string(&request).unwrap_or_default());
                thread.submit(Op::Approval { approval_id, decision: ReviewDecision::Denied });
            }
            EventMsg::ToolCallBegin { tool, summary, .. } if !args.json => eprintln!("[{tool}] {summary}"),
            EventMsg::ToolCallEnd { tool, success: false, output, .. } if !args.json => {
                eprintln!("[{tool}] failed: {}", output.lines().next().unwrap_or(""))
            }
            EventMsg::StreamRetry { attempt, max, reason, .. } if !args.json => eprintln!("codeloop: retrying {attempt}/{max}: {reason}"),
            EventMsg::Warning { message } if !args.json => eprintln!("codeloop: warning: {message}"),
            EventMsg::TurnCompleted { last_message } => {
                if !args.json {
                    if let Some(m) = last_message {
                        let _ = writeln!(stdout, "{m}");
                    }
                }
                break 0;
            }
            EventMsg::TurnAborted { reason } => {
                eprintln!("codeloop: turn aborted: {reason}");
                break 130;
            }
            EventMsg::TurnFailed { error } => {
                eprintln!("codeloop: turn failed: {error}");
                break 1;
            }
            _ => {}
        }
    };
    thread.submit(Op::Shutdown);
    let _ = tokio::time::timeout(std::time::Duration::from_secs(2), task).await;
    Ok(std::process::ExitCode::from(code))
}
