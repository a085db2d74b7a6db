//! Tests of the approval worker against a real agent thread (a tool that asks for approval,
//! the mock model) and a tower-lsp client whose requests the test answers by hand: the
//! showMessageRequest path, and the fallback when the client answers -32601 (Helix).
//! (No standard tool asks for approval yet, so the end-to-end tests cannot reach this.)

use super::*;
use agent::{CallContext, ToolCall, ToolOutcome, ToolRuntime};
use agent_protocol::{EventMsg, ToolSpec, UserInput};
use futures::future::BoxFuture;
use futures::{FutureExt, SinkExt, StreamExt};
use mock_model::{MockServer, Script, Turn};
use serde_json::json;
use tower_lsp::jsonrpc::{Error as RpcError, Response};
use tower_lsp::lsp_types::{InitializeParams, InitializeResult};
use tower_lsp::{ClientSocket, LanguageServer, LspService};

/// A tool that asks the user and returns the decision.
struct AskTool;

impl ToolRuntime for AskTool {
    fn specs(&self) -> Vec<ToolSpec> {
        vec![ToolSpec::Function { name: "ask".into(), description: "asks".into(), strict: false, parameters: json!({"type": "object"}) }]
    }

    fn is_parallel_safe(&self, _: &ToolCall) -> bool {
        false
    }

    fn summary(&self, _: &ToolCall) -> String {
        "ask".into()
    }

    fn run(&self, _: ToolCall, ctx: CallContext) -> BoxFuture<'static, ToolOutcome> {
        async move {
            let request = ApprovalRequest::Exec {
                command: vec!["rm".into(), "-rf".into(), "build".into()],
                cwd: "/w".into(),
                escalated: false,
                reason: None,
            };
            ToolOutcome::ok(format!("{:?}", ctx.request_approval(request).await))
        }
        .boxed()
    }
}

struct Nothing;

#[tower_lsp::async_trait]
impl LanguageServer for Nothing {
    async fn initialize(&self, _: InitializeParams) -> tower_lsp::jsonrpc::Result<InitializeResult> {
        Ok(InitializeResult::default())
    }

    async fn shutdown(&self) -> tower_lsp::jsonrpc::Result<()> {
        Ok(())
    }
}

/// Runs one approval; `answer` gets the showMessageRequest (or None when the client does not
/// support it) and returns the response to send. Returns what the tool saw and the messages shown.
async fn approval_round(
    supports: bool,
    answer: impl Fn(&tower_lsp::jsonrpc::Request) -> Response,
    by_command: Option<ReviewDecision>,
) -> (String, Vec<String>) {
    let server = MockServer::start(Script::new([Turn::function_call("ask", "c1", "{}"), Turn::message("ok")])).await.unwrap();
    let cwd = std::env::temp_dir();
    let mut loader = config::ConfigLoader::new(&cwd);
    loader.user_dir = None;
    loader.lsp_config =
        Some(json!({"model": "m", "model_provider": "mock", "model_providers": {"mock": {"name": "mock", "base_url": server.base_url()}}}));
    let config = loader.load().unwrap();
    let session = agent::new_session(&config, &cwd, Arc::new(AskTool), agent::new_thread_id()).unwrap();
    let (events_tx, mut events) = tokio::sync::mpsc::unbounded_channel();
    let (thread, _task) = agent::spawn(session, events_tx);

    let slot = Arc::new(Mutex::new(None));
    let s2 = slot.clone();
    let (_service, mut socket): (_, ClientSocket) = LspService::new(move |client| {
        *s2.lock().unwrap() = Some(client);
        Nothing
    });
    let client = slot.lock().unwrap().clone().unwrap();
    let approvals = Arc::new(Approvals::default());
    approvals.start(client, supports);

    thread.submit(Op::UserTurn { input: vec![UserInput::Text { text: "clean".into() }], editor: None });
    let mut shown = Vec::new();
    loop {
        let event = tokio::time::timeout(Duration::from_secs(20), events.recv()).await.unwrap().unwrap();
        match event.msg {
            EventMsg::ApprovalRequested { approval_id, request, .. } => {
                approvals.push(PendingApproval { approval_id, thread_id: event.thread_id.clone(), handle: thread.clone(), request });
                if supports {
                    let req = socket.next().await.unwrap();
                    assert_eq!(req.method(), "window/showMessageRequest");
                    let text = req.params().unwrap()["message"].as_str().unwrap().to_string();
                    shown.push(text);
                    socket.send(answer(&req)).await.unwrap();
                }
                if let Some(decision) = by_command {
                    let note = socket.next().await.unwrap();
                    assert_eq!(note.method(), "window/showMessage");
                    shown.push(note.params().unwrap()["message"].as_str().unwrap().to_string());
                    let answered = approvals.answer(None, None, decision).unwrap();
                    assert_eq!(answered.thread_id, event.thread_id);
                    assert!(approvals.answer(None, None, decision).is_err(), "answered twice");
                }
            }
            EventMsg::TurnCompleted { .. } => break,
            EventMsg::TurnFailed { error } => panic!("{error}"),
            _ => {}
        }
    }
    let reqs = server.wait_for_requests(2, Duration::from_secs(10)).await.unwrap();
    let out = reqs[1].tool_output("c1").unwrap().as_str().unwrap_or_default().to_string();
    (out, shown)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_message_request_answers_the_agent() {
    let pick = |req: &tower_lsp::jsonrpc::Request| {
        let actions = &req.params().unwrap()["actions"];
        assert_eq!(actions, &json!([{"title": ALLOW_ONCE}, {"title": ALLOW_SESSION}, {"title": DENY}]));
        Response::from_ok(req.id().unwrap().clone(), json!({"title": ALLOW_SESSION}))
    };
    let (out, shown) = approval_round(true, pick, None).await;
    assert_eq!(out, "ApprovedForSession");
    assert_eq!(shown, vec!["codeloop wants to run `rm -rf build` in /w".to_string()]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn method_not_found_falls_back_to_commands() {
    let helix = |req: &tower_lsp::jsonrpc::Request| Response::from_error(req.id().unwrap().clone(), RpcError::method_not_found());
    let (out, shown) = approval_round(true, helix, Some(ReviewDecision::Denied)).await;
    assert_eq!(out, "Denied");
    assert!(
        shown[1].contains("`codeloop.approve`") && shown[1].contains("`codeloop.deny`") && shown[1].contains("approval-1"),
        "{shown:?}"
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn clients_without_show_message_request_use_commands() {
    let never = |_: &tower_lsp::jsonrpc::Request| -> Response { unreachable!() };
    let (out, shown) = approval_round(false, never, Some(ReviewDecision::Approved)).await;
    assert_eq!(out, "Approved");
    assert!(shown[0].starts_with("codeloop wants to run `rm -rf build` in /w. Run the command `codeloop.approve`"), "{shown:?}");
}
