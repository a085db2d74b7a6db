//! `ResponseStream` and the loop behind it: POST, read the body chunk by chunk under an idle
//! timeout, parse SSE, decode the dialect, and retry.
//!
//! Rules (see docs/model-providers.md):
//! - An attempt that failed before it produced any event (connect errors, non-2xx statuses, an idle
//!   timeout before the first event) spends the request budget (`request_max_retries`).
//! - The idle timeout (`stream_idle_timeout_ms`) runs from the request to the response headers, and
//!   then between two SSE events (comments and partial events do not reset it), as Codex times
//!   each `next()` of its event stream.
//! - An attempt that broke after producing events (EOF or disconnect before `completed`, idle
//!   timeout, a malformed event, a retryable `response.failed`) spends the stream budget
//!   (`stream_max_retries`) and re-POSTs the same body.
//! - Either way the stream first yields `Retrying{attempt, max, delay, reason}` (the consumer drops
//!   the partial output of the attempt), then waits; the wait, like every other await here, ends at
//!   once when the cancellation token fires.
//!
//! Cancellation and drop: the HTTP response is owned by the stream state. Dropping the stream, or
//! the token firing while the stream is polled, drops it, which closes the connection (an HTTP/1.1
//! body that was not read to the end is never returned to the pool). The stream is driven by its
//! consumer and spawns nothing, so a consumer that stops polling should drop it.
//!
//! Not here: building requests and headers (`client.rs`), decoding events (`responses.rs`, `chat_stream.rs`).

use crate::chat_stream::ChatDecoder;
use crate::client::Inner;
use crate::error::{ModelError, RetryPolicy};
use crate::event::ResponseEvent;
use crate::http_error::error_from_status;
use crate::rate_limits::parse_rate_limits;
use crate::responses::{Flow, ResponsesDecoder};
use crate::sse::{SseEvent, SseParser};
use bytes::Bytes;
use futures::Stream;
use reqwest::header::HeaderMap;
use std::collections::{HashSet, VecDeque};
use std::pin::Pin;
use std::sync::Arc;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio_util::sync::CancellationToken;

type Item = Result<ResponseEvent, ModelError>;

/// The events of one model response. Ends after `Completed` or after the first `Err`.
pub struct ResponseStream {
    inner: Pin<Box<dyn Stream<Item = Item> + Send>>,
}

impl std::fmt::Debug for ResponseStream {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("ResponseStream")
    }
}

impl Stream for ResponseStream {
    type Item = Item;
    fn poll_next(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<Option<Item>> {
        self.inner.as_mut().poll_next(cx)
    }
}

/// The dialect of the body being read.
pub(crate) enum Wire {
    Responses,
    /// With the names of the request's custom tools.
    Chat(Arc<HashSet<String>>),
}

enum Decoder {
    Responses(ResponsesDecoder),
    Chat(ChatDecoder),
}

impl Decoder {
    fn on_event(&mut self, sse: &SseEvent, out: &mut Vec<ResponseEvent>) -> Result<Flow, ModelError> {
        match self {
            Decoder::Responses(d) => d.on_event(sse, out),
            Decoder::Chat(d) => d.on_event(sse, out),
        }
    }

    fn on_eof(&mut self, out: &mut Vec<ResponseEvent>) -> Result<(), ModelError> {
        match self {
            Decoder::Responses(d) => Err(d.on_eof()),
            Decoder::Chat(d) => d.on_eof(out),
        }
    }
}

enum State {
    Connect,
    Backoff(Duration),
    Streaming(Box<Attempt>),
    Done,
}

/// One POST whose 2xx body is being read.
struct Attempt {
    response: reqwest::Response,
    parser: SseParser,
    decoder: Decoder,
    /// Whether this attempt has produced events (which decides the retry budget).
    produced: bool,
    /// When the idle timeout fires: reset by every dispatched SSE event, not by bare bytes, so a
    /// server that only sends keep-alive comments or trickles a partial event still times out.
    deadline: tokio::time::Instant,
}

enum Step {
    Continue,
    Completed,
    Failed(ModelError),
}

pub(crate) struct Driver {
    client: Arc<Inner>,
    headers: HeaderMap,
    body: Bytes,
    wire: Wire,
    cancel: CancellationToken,
    idle: Duration,
    state: State,
    queue: VecDeque<Item>,
    request_retries: u64,
    stream_retries: u64,
    sse: Vec<SseEvent>,
    events: Vec<ResponseEvent>,
}

impl Driver {
    pub fn start(client: Arc<Inner>, headers: HeaderMap, body: Bytes, wire: Wire, cancel: CancellationToken) -> ResponseStream {
        let idle = client.provider.stream_idle_timeout();
        let driver = Driver {
            client,
            headers,
            body,
            wire,
            cancel,
            idle,
            state: State::Connect,
            queue: VecDeque::new(),
            request_retries: 0,
            stream_retries: 0,
            sse: Vec::new(),
            events: Vec::new(),
        };
        let stream = futures::stream::unfold(driver, |mut d| async move { d.next().await.map(|item| (item, d)) });
        ResponseStream { inner: Box::pin(stream) }
    }

    async fn next(&mut self) -> Option<Item> {
        loop {
            if let Some(item) = self.queue.pop_front() {
                return Some(item);
            }
            match std::mem::replace(&mut self.state, State::Done) {
                State::Done => return None,
                State::Backoff(delay) => {
                    tokio::select! {
                        biased;
                        _ = self.cancel.cancelled() => self.queue.push_back(Err(ModelError::Cancelled)),
                        _ = tokio::time::sleep(delay) => self.state = State::Connect,
                    }
                }
                State::Connect => match self.connect().await {
                    Ok(response) => {
                        let decoder = match &self.wire {
                            Wire::Responses => Decoder::Responses(ResponsesDecoder::default()),
                            Wire::Chat(custom) => Decoder::Chat(ChatDecoder::new(custom.clone())),
                        };
                        let deadline = tokio::time::Instant::now() + self.idle;
                        let attempt = Attempt { response, parser: SseParser::new(), decoder, produced: false, deadline };
                        self.state = State::Streaming(Box::new(attempt));
                    }
                    Err(err) => self.fail(err, false),
                },
                State::Streaming(mut attempt) => match self.read(&mut attempt).await {
                    Step::Continue => self.state = State::Streaming(attempt),
                    Step::Completed => self.drain(attempt).await,
                    Step::Failed(err) => {
                        let produced = attempt.produced;
                        drop(attempt);
                        self.fail(err, produced);
                    }
                },
            }
        }
    }

    /// POSTs the body; a non-2xx status becomes its typed error (after reading the error body).
    async fn connect(&mut self) -> Result<reqwest::Response, ModelError> {
        let url = &self.client.url;
        let send = self.client.http.post(url.clone()).headers(self.headers.clone()).body(self.body.clone()).send();
        let response = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(ModelError::Cancelled),
            r = tokio::time::timeout(self.idle, send) => match r {
                Err(_) => return Err(ModelError::IdleTimeout { after: self.idle }),
                Ok(Err(e)) => return Err(ModelError::from_reqwest(&e, url.as_str())),
                Ok(Ok(response)) => response,
            },
        };
        let snapshot = parse_rate_limits(response.headers());
        if !snapshot.is_empty() {
            self.queue.push_back(Ok(ResponseEvent::RateLimits(snapshot)));
        }
        let status = response.status();
        if status.is_success() {
            return Ok(response);
        }
        let headers = response.headers().clone();
        let body = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Err(ModelError::Cancelled),
            r = tokio::time::timeout(self.idle, response.text()) => r.ok().and_then(Result::ok).unwrap_or_default(),
        };
        tracing::debug!(status = status.as_u16(), body = %body, "model request failed");
        Err(error_from_status(status.as_u16(), &headers, &body))
    }

    /// Reads one chunk and queues the events it completes.
    async fn read(&mut self, attempt: &mut Attempt) -> Step {
        let chunk = tokio::select! {
            biased;
            _ = self.cancel.cancelled() => return Step::Failed(ModelError::Cancelled),
            r = tokio::time::timeout_at(attempt.deadline, attempt.response.chunk()) => r,
        };
        let bytes = match chunk {
            Err(_) => return Step::Failed(ModelError::IdleTimeout { after: self.idle }),
            Ok(Err(e)) => return Step::Failed(ModelError::from_reqwest(&e, self.client.url.as_str())),
            Ok(Ok(Some(bytes))) => bytes,
            Ok(Ok(None)) => {
                if attempt.parser.finish() {
                    tracing::debug!("stream ended inside an event; the partial event was discarded");
                }
                let result = attempt.decoder.on_eof(&mut self.events);
                self.flush(attempt);
                return match result {
                    Ok(()) => Step::Completed,
                    Err(err) => Step::Failed(err),
                };
            }
        };
        if let Err(too_large) = attempt.parser.feed(&bytes, &mut self.sse) {
            self.sse.clear();
            let message = format!("event larger than {} bytes", too_large.limit);
            return Step::Failed(ModelError::MalformedEvent { event_type: "sse".into(), message });
        }
        if !self.sse.is_empty() {
            attempt.deadline = tokio::time::Instant::now() + self.idle;
        }
        let mut step = Step::Continue;
        let mut sse = std::mem::take(&mut self.sse);
        for event in sse.drain(..) {
            let result = attempt.decoder.on_event(&event, &mut self.events);
            self.flush(attempt);
            match result {
                Ok(Flow::Continue) => {}
                Ok(Flow::Completed) => {
                    step = Step::Completed;
                    break;
                }
                Err(err) => {
                    step = Step::Failed(err);
                    break;
                }
            }
        }
        sse.clear();
        self.sse = sse;
        step
    }

    fn flush(&mut self, attempt: &mut Attempt) {
        if !self.events.is_empty() {
            attempt.produced = true;
            self.queue.extend(self.events.drain(..).map(Ok));
        }
    }

    /// Reads the rest of the body after `completed`, briefly, so the connection can be reused.
    async fn drain(&mut self, mut attempt: Box<Attempt>) {
        let deadline = tokio::time::Instant::now() + self.client.config.drain_timeout;
        let mut budget: usize = 1 << 20;
        loop {
            let chunk = tokio::select! {
                biased;
                _ = self.cancel.cancelled() => return,
                r = tokio::time::timeout_at(deadline, attempt.response.chunk()) => r,
            };
            match chunk {
                Ok(Ok(Some(bytes))) if bytes.len() < budget => budget -= bytes.len(),
                Ok(Ok(None)) => return,
                _ => {
                    tracing::debug!("the body did not end after completed; closing the connection");
                    return;
                }
            }
        }
    }

    /// Queues a `Retrying` event and a backoff, or the error when it is final.
    fn fail(&mut self, err: ModelError, produced: bool) {
        let provider = &self.client.provider;
        let retry = &self.client.config.retry;
        let policy = err.retry_policy();
        let (attempt, max) = if produced {
            self.stream_retries += 1;
            self.request_retries = 0;
            (self.stream_retries, provider.stream_max_retries())
        } else {
            self.request_retries += 1;
            (self.request_retries, provider.request_max_retries())
        };
        let delay = match policy {
            RetryPolicy::Never => None,
            _ if attempt > max => None,
            RetryPolicy::Backoff => Some(retry.backoff(attempt)),
            RetryPolicy::After(requested) => retry.server_delay(requested),
        };
        match delay {
            Some(delay) => {
                tracing::warn!(attempt, max, delay_ms = delay.as_millis() as u64, error = %err, "retrying model request");
                self.queue.push_back(Ok(ResponseEvent::Retrying { attempt, max, delay, reason: err }));
                self.state = State::Backoff(delay);
            }
            None => {
                if err != ModelError::Cancelled {
                    tracing::debug!(error = %err, "model request failed");
                }
                self.queue.push_back(Err(err));
                self.state = State::Done;
            }
        }
    }
}
