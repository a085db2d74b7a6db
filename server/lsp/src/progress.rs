//! Work-done progress for server-initiated work (the initial workspace index).
//!
//! Uses `window/workDoneProgress/create` when the client advertises
//! `window.workDoneProgress`, else falls back to `window/logMessage` at begin and end.
//! Reports are rate-limited. This runs only in spawned tasks: awaiting a client request
//! inside a handler can deadlock tower-lsp 0.20.

use std::time::{Duration, Instant};
use tower_lsp::lsp_types::notification::Progress as ProgressNotification;
use tower_lsp::lsp_types::request::WorkDoneProgressCreate;
use tower_lsp::lsp_types::{
    MessageType, NumberOrString, ProgressParams, ProgressParamsValue, WorkDoneProgress, WorkDoneProgressBegin,
    WorkDoneProgressCreateParams, WorkDoneProgressEnd, WorkDoneProgressReport,
};
use tower_lsp::Client;

const MIN_REPORT_INTERVAL: Duration = Duration::from_millis(100);

pub struct Progress {
    client: Client,
    token: Option<NumberOrString>,
    title: String,
    last: Option<(Instant, u32)>,
}

impl Progress {
    pub async fn begin(client: Client, supported: bool, token: &str, title: &str) -> Progress {
        let token = NumberOrString::String(token.to_string());
        let token = if supported {
            match client.send_request::<WorkDoneProgressCreate>(WorkDoneProgressCreateParams { token: token.clone() }).await {
                Ok(()) => Some(token),
                Err(e) => {
                    tracing::info!("client refused workDoneProgress/create: {e}");
                    None
                }
            }
        } else {
            None
        };
        let p = Progress { client, token, title: title.to_string(), last: None };
        match &p.token {
            Some(t) => {
                let begin = WorkDoneProgressBegin { title: p.title.clone(), cancellable: Some(false), message: None, percentage: Some(0) };
                p.send(t.clone(), WorkDoneProgress::Begin(begin)).await;
            }
            None => p.client.log_message(MessageType::INFO, format!("{}: started", p.title)).await,
        }
        p
    }

    async fn send(&self, token: NumberOrString, value: WorkDoneProgress) {
        let params = ProgressParams { token, value: ProgressParamsValue::WorkDone(value) };
        self.client.send_notification::<ProgressNotification>(params).await;
    }

    /// Reports a percentage, at most every 100 ms and only when it moved.
    pub async fn report(&mut self, percentage: u32, message: String) {
        let Some(token) = self.token.clone() else { return };
        let now = Instant::now();
        if let Some((at, pct)) = self.last {
            if pct == percentage || now.duration_since(at) < MIN_REPORT_INTERVAL {
                return;
            }
        }
        self.last = Some((now, percentage));
        let report = WorkDoneProgressReport { cancellable: Some(false), message: Some(message), percentage: Some(percentage) };
        self.send(token, WorkDoneProgress::Report(report)).await;
    }

    pub async fn end(self, message: String) {
        match &self.token {
            Some(t) => self.send(t.clone(), WorkDoneProgress::End(WorkDoneProgressEnd { message: Some(message) })).await,
            None => self.client.log_message(MessageType::INFO, format!("{}: {message}", self.title)).await,
        }
    }
}
