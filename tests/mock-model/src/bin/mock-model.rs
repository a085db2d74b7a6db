//! The `mock-model` binary: serves a JSON script on 127.0.0.1 for benchmarks, the pytest suite and manual
//! runs. Prints exactly one line, the base URL, on stdout; then serves until killed or stdin closes.
//!
//! Deliberately thin: all behaviour lives in the library; this only parses flags and ties lifetimes.

use std::io::{Read, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;
use mock_model::{MockServer, MockServerConfig, Script};

#[derive(Parser)]
#[command(about = "Scripted mock model server speaking the OpenAI Responses and Chat Completions wire formats")]
struct Args {
    /// Script file (JSON, see tests/mock-model/README.md), or `-` to read it from stdin.
    #[arg(long)]
    script: PathBuf,
    /// Port on 127.0.0.1 (0 picks a free one).
    #[arg(long, default_value_t = 0)]
    port: u16,
    /// Write each POST body as DIR/0001.json, DIR/0002.json, ...
    #[arg(long, value_name = "DIR")]
    log_requests: Option<PathBuf>,
    /// Keep serving when stdin closes (for background jobs whose stdin is /dev/null).
    #[arg(long)]
    ignore_stdin: bool,
}

#[tokio::main(flavor = "current_thread")]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let from_stdin = args.script.as_os_str() == "-";
    let script = if from_stdin {
        let mut text = String::new();
        std::io::stdin().read_to_string(&mut text).context("cannot read the script from stdin")?;
        Script::from_json(&text).context("cannot parse the script from stdin")?
    } else {
        Script::load(&args.script)?
    };
    let config = MockServerConfig { port: args.port, log_requests: args.log_requests };
    let server = MockServer::start_with(script, config).await.context("cannot start the mock server")?;
    let mut stdout = std::io::stdout().lock();
    writeln!(stdout, "{}", server.base_url()).context("cannot write the base url")?;
    stdout.flush().context("cannot flush stdout")?;
    drop(stdout);

    let (closed_tx, closed_rx) = tokio::sync::oneshot::channel::<()>();
    if !from_stdin && !args.ignore_stdin {
        // A plain thread, not tokio's stdin: a blocking read must not hold up runtime shutdown.
        std::thread::spawn(move || {
            let mut sink = [0u8; 4096];
            let mut stdin = std::io::stdin();
            while matches!(stdin.read(&mut sink), Ok(n) if n > 0) {}
            let _ = closed_tx.send(());
        });
    } else {
        std::mem::forget(closed_tx);
    }
    // An Err means the sender was dropped without sending, which only a panicked thread does: stop too.
    let _ = closed_rx.await;
    server.shutdown().await;
    Ok(())
}
