//! The work-done progress of one agent turn: on the client's `workDoneToken` when the
//! `codeloop.ask` request carried one, else created by the server with
//! `window/workDoneProgress/create` when the client supports it (else the steps go out as
//! `window/logMessage` lines), `cancellable: true`, with reports at most every 50 ms that
//! carry the current step ("running cargo test", "editing src/lib.rs") and the tail of the
//! streamed text, and an end with the final message's first line or the error.
//!
//! Each turn's progress is a spawned task fed by a channel, so awaiting the client's answer to
//! `create` never happens in a handler or in the event dispatcher. Cancellation is not here:
//! `agents.rs` maps the token back to its turn.

use std::time::{Duration, Instant};
use tokio::sync::mpsc;
use tower_lsp::lsp_types::notification::Progress as ProgressNotification;
use tower_lsp::lsp_types::request::WorkDoneProgressCreate;
use tower_lsp::lsp_types::{
    MessageType, NumberOrString, ProgressParams, ProgressParamsValue, WorkDoneProgress, WorkDoneProgressBegin,
    WorkDoneProgressCreateParams, WorkDoneProgressEnd, WorkDoneProgressReport,
};
use tower_lsp::Client;

/// Reports are sent at most this often.
pub const REPORT_INTERVAL: Duration = Duration::from_millis(50);
/// Characters of streamed text shown after the step.
const TAIL_CHARS: usize = 80;

enum Update {
    Step(String),
    Delta(String),
    End(String),
}

/// The sending side of one turn's progress. Dropping it ends the progress ("ended").
#[derive(Clone)]
pub struct TurnProgress {
    tx: mpsc::UnboundedSender<Update>,
}

impl TurnProgress {
    /// Starts the progress task; `supported` is the client's `window.workDoneProgress`;
    /// `client_token`, the request's workDoneToken, is used as is (nothing is created).
    pub fn start(client: Client, supported: bool, token: String, client_token: Option<NumberOrString>, title: String) -> TurnProgress {
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(run(client, supported, token, client_token, title, rx));
        TurnProgress { tx }
    }

    /// The current step; the streamed-text tail starts over.
    pub fn step(&self, step: impl Into<String>) {
        let _ = self.tx.send(Update::Step(step.into()));
    }

    /// Streamed text (message or reasoning deltas).
    pub fn delta(&self, delta: impl Into<String>) {
        let _ = self.tx.send(Update::Delta(delta.into()));
    }

    pub fn end(&self, message: impl Into<String>) {
        let _ = self.tx.send(Update::End(message.into()));
    }
}

/// The last `TAIL_CHARS` characters of `text` on one line.
fn tail(text: &str) -> String {
    let flat: String = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let n = flat.chars().count();
    if n <= TAIL_CHARS {
        return flat;
    }
    let cut: String = flat.chars().skip(n - TAIL_CHARS).collect();
    format!("…{cut}")
}

fn message(step: &str, streamed: &str) -> String {
    let t = tail(streamed);
    match (step.is_empty(), t.is_empty()) {
        (_, true) => step.to_string(),
        (true, false) => t,
        (false, false) => format!("{step}: {t}"),
    }
}

async fn send(client: &Client, token: &NumberOrString, value: WorkDoneProgress) {
    let params = ProgressParams { token: token.clone(), value: ProgressParamsValue::WorkDone(value) };
    client.send_notification::<ProgressNotification>(params).await;
}

async fn run(
    client: Client,
    supported: bool,
    token: String,
    client_token: Option<NumberOrString>,
    title: String,
    mut rx: mpsc::UnboundedReceiver<Update>,
) {
    let given = client_token.is_some();
    let token = client_token.unwrap_or(NumberOrString::String(token));
    let created = given
        || supported
            && match client.send_request::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams { token: token.clone() }).await {
                Ok(()) => true,
                Err(e) => {
                    tracing::info!("client refused workDoneProgress/create: {e}");
                    false
                }
            };
    if created {
        let begin = WorkDoneProgressBegin { title: title.clone(), cancellable: Some(true), message: None, percentage: None };
        send(&client, &token, WorkDoneProgress::Begin(begin)).await;
    } else {
        client.log_message(MessageType::INFO, format!("{title}: started")).await;
    }
    let mut step = String::new();
    let mut streamed = String::new();
    let mut logged_step = String::new();
    let mut dirty = false;
    let mut last_sent = Instant::now() - REPORT_INTERVAL;
    let end = loop {
        let due = tokio::time::Instant::from_std(last_sent + REPORT_INTERVAL);
        tokio::select! {
            update = rx.recv() => match update {
                None => break "ended".to_string(),
                Some(Update::End(m)) => break m,
                Some(Update::Step(s)) => {
                    if s != step {
                        step = s;
                        streamed.clear();
                        dirty = true;
                    }
                }
                Some(Update::Delta(d)) => {
                    streamed.push_str(&d);
                    // Keep the buffer small: only the tail is ever shown.
                    if streamed.len() > 4 * TAIL_CHARS {
                        let keep = streamed.char_indices().rev().nth(2 * TAIL_CHARS).map_or(0, |(i, _)| i);
                        streamed.drain(..keep);
                    }
                    dirty = true;
                }
            },
            _ = tokio::time::sleep_until(due), if dirty => {
                dirty = false;
                last_sent = Instant::now();
                if created {
                    let report = WorkDoneProgressReport { cancellable: Some(true), message: Some(message(&step, &streamed)), percentage: None };
                    send(&client, &token, WorkDoneProgress::Report(report)).await;
                } else if step != logged_step && !step.is_empty() {
                    // Plain clients get one log line per step, not the streamed text.
                    logged_step = step.clone();
                    client.log_message(MessageType::INFO, format!("{title}: {step}")).await;
                }
            }
        }
    };
    if created {
        send(&client, &token, WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(end) })).await;
    } else {
        client.log_message(MessageType::INFO, format!("{title}: {end}")).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn messages_show_the_step_and_the_tail() {
        assert_eq!(message("running cargo test", ""), "running cargo test");
        assert_eq!(message("", "Hello\n world"), "Hello world");
        let long = "word ".repeat(40);
        let m = message("thinking", &long);
        assert!(m.starts_with("thinking: …"), "{m}");
        assert_eq!(m.chars().count(), "thinking: …".chars().count() + TAIL_CHARS);
    }
}
