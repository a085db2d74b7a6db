//! The registry: the tool specs in one fixed order (the request prefix must not change
//! between requests), lookup by name, which tools may run in parallel, argument parsing that
//! turns unknown tools and bad arguments into model-facing text, and dispatch.
//!
//! It holds no state beyond the configuration and runs nothing by itself: the agent loop
//! decides what runs when, and passes a cancel future.

use crate::context::{ToolContext, ToolOutput, ToolsConfig};
use crate::grep::{self, GrepArgs};
use crate::list_dir::{self, ListDirArgs};
use crate::patch::tool as patch_tool;
use crate::plan::{self, Plan};
use crate::read_file::{self, ReadFileArgs};
use crate::shell_tool::{self, ShellArgs, ShellCommand};
use crate::symbols::{self, FileOutlineArgs, FindSymbolArgs};
use agent_protocol::{FunctionCallOutput, ResponseItem, ToolSpec};
use serde::de::DeserializeOwned;
use std::future::Future;

/// A call's input as the model sent it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ToolInput {
    /// `function_call.arguments`: JSON text (possibly invalid).
    Json(String),
    /// `custom_tool_call.input`: free text.
    Freeform(String),
}

impl ToolInput {
    /// The tool name and input of a `function_call` or `custom_tool_call` item.
    pub fn from_item(item: &ResponseItem) -> Option<(&str, ToolInput)> {
        match item {
            ResponseItem::FunctionCall { name, arguments, .. } => Some((name, ToolInput::Json(arguments.clone()))),
            ResponseItem::CustomToolCall { name, input, .. } => Some((name, ToolInput::Freeform(input.clone()))),
            _ => None,
        }
    }

    /// The output item answering a call with this kind of input.
    pub fn output_item(&self, call_id: &str, output: &ToolOutput) -> ResponseItem {
        match self {
            ToolInput::Json(_) => {
                ResponseItem::FunctionCallOutput { call_id: call_id.to_string(), output: FunctionCallOutput::Text(output.text.clone()) }
            }
            ToolInput::Freeform(_) => ResponseItem::CustomToolCallOutput { call_id: call_id.to_string(), output: output.text.clone() },
        }
    }
}

/// A parsed call, ready to run.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum ToolCall {
    Shell(ShellArgs),
    ApplyPatch { input: String },
    ReadFile(ReadFileArgs),
    ListDir(ListDirArgs),
    Grep(GrepArgs),
    FindSymbol(FindSymbolArgs),
    FileOutline(FileOutlineArgs),
    UpdatePlan(Plan),
}

impl ToolCall {
    pub fn name(&self) -> &'static str {
        match self {
            ToolCall::Shell(_) => shell_tool::NAME,
            ToolCall::ApplyPatch { .. } => patch_tool::NAME,
            ToolCall::ReadFile(_) => read_file::NAME,
            ToolCall::ListDir(_) => list_dir::NAME,
            ToolCall::Grep(_) => grep::NAME,
            ToolCall::FindSymbol(_) => symbols::FIND_SYMBOL,
            ToolCall::FileOutline(_) => symbols::FILE_OUTLINE,
            ToolCall::UpdatePlan(_) => plan::NAME,
        }
    }

    /// Whether the call may run alongside others. Reads and shell may; apply_patch and
    /// update_plan run alone (a patch must see the edits before it, and be seen after).
    pub fn is_parallel_safe(&self) -> bool {
        !matches!(self, ToolCall::ApplyPatch { .. } | ToolCall::UpdatePlan(_))
    }
}

/// The offered tools.
#[derive(Clone, Debug)]
pub struct ToolRegistry {
    specs: Vec<ToolSpec>,
}

impl ToolRegistry {
    pub fn new(config: &ToolsConfig) -> ToolRegistry {
        // The order is part of the prompt: change it only deliberately.
        let mut specs =
            vec![shell_tool::spec(), patch_tool::spec(config.apply_patch_freeform), read_file::spec(), list_dir::spec(), grep::spec()];
        if config.symbol_tools {
            specs.push(symbols::find_symbol_spec());
            specs.push(symbols::file_outline_spec());
        }
        specs.push(plan::spec());
        ToolRegistry { specs }
    }

    /// The specs to send, always in the same order.
    pub fn specs(&self) -> &[ToolSpec] {
        &self.specs
    }

    pub fn get(&self, name: &str) -> Option<&ToolSpec> {
        self.specs.iter().find(|s| s.name() == name)
    }

    /// Whether calls of `name` may run in parallel (false for unknown names).
    pub fn is_parallel_safe(&self, name: &str) -> bool {
        self.get(name).is_some() && ![patch_tool::NAME, plan::NAME].contains(&name)
    }

    /// Parses a call. Unknown tools and bad arguments become an error output for the model.
    pub fn parse(&self, name: &str, input: ToolInput) -> Result<ToolCall, ToolOutput> {
        let Some(spec) = self.get(name) else {
            let names: Vec<&str> = self.specs.iter().map(ToolSpec::name).collect();
            return Err(ToolOutput::error(format!("unknown tool {name:?}; the tools are: {}.", names.join(", "))));
        };
        let text = match &input {
            ToolInput::Json(t) | ToolInput::Freeform(t) => t.as_str(),
        };
        let call = match name {
            patch_tool::NAME => ToolCall::ApplyPatch { input: patch_input(&input) },
            shell_tool::NAME => {
                let args: ShellArgs = args(spec, text)?;
                match intercept_apply_patch(&args) {
                    Some(patch) => ToolCall::ApplyPatch { input: patch },
                    None => ToolCall::Shell(args),
                }
            }
            read_file::NAME => ToolCall::ReadFile(args(spec, text)?),
            list_dir::NAME => ToolCall::ListDir(args(spec, if text.trim().is_empty() { "{}" } else { text })?),
            grep::NAME => ToolCall::Grep(args(spec, text)?),
            symbols::FIND_SYMBOL => ToolCall::FindSymbol(args(spec, text)?),
            symbols::FILE_OUTLINE => ToolCall::FileOutline(args(spec, text)?),
            plan::NAME => ToolCall::UpdatePlan(args(spec, text)?),
            _ => return Err(ToolOutput::error(format!("tool {name:?} has no handler."))),
        };
        Ok(call)
    }

    /// Runs a parsed call. Blocking tools run on tokio's blocking pool; `cancel` stops a
    /// shell command (the others finish quickly and ignore it).
    pub async fn run(&self, ctx: &ToolContext, call: ToolCall, cancel: impl Future<Output = ()> + Send) -> ToolOutput {
        let name = call.name();
        let started = std::time::Instant::now();
        let out = match call {
            ToolCall::Shell(args) => shell_tool::run(ctx, &args, cancel).await,
            other => {
                let ctx = ctx.clone();
                let job = tokio::task::spawn_blocking(move || run_blocking(&ctx, other));
                match job.await {
                    Ok(out) => out,
                    Err(e) => {
                        tracing::error!(tool = name, error = %e, "tool task failed");
                        ToolOutput::error(format!("internal error in {name}; try another approach."))
                    }
                }
            }
        };
        tracing::debug!(tool = name, elapsed_ms = started.elapsed().as_millis() as u64, success = out.success, "tool call");
        out
    }
}

/// The tools that do not wait on a process.
pub fn run_blocking(ctx: &ToolContext, call: ToolCall) -> ToolOutput {
    match call {
        ToolCall::ApplyPatch { input } => patch_tool::run(ctx, &input),
        ToolCall::ReadFile(a) => read_file::run(ctx, &a),
        ToolCall::ListDir(a) => list_dir::run(ctx, &a),
        ToolCall::Grep(a) => grep::run(ctx, &a),
        ToolCall::FindSymbol(a) => symbols::find_symbol(ctx, &a),
        ToolCall::FileOutline(a) => symbols::file_outline(ctx, &a),
        ToolCall::UpdatePlan(p) => plan::run(p),
        ToolCall::Shell(_) => ToolOutput::error("shell cannot run here"),
    }
}

/// `T` from JSON text, or an error output naming the tool and its parameters.
fn args<T: DeserializeOwned>(spec: &ToolSpec, text: &str) -> Result<T, ToolOutput> {
    serde_json::from_str(text).map_err(|e| {
        let mut msg = format!("invalid arguments for {}: {e}.", spec.name());
        if let ToolSpec::Function { parameters, .. } = spec {
            let required: Vec<&str> =
                parameters["required"].as_array().map(|r| r.iter().filter_map(|v| v.as_str()).collect()).unwrap_or_default();
            if let Some(props) = parameters["properties"].as_object() {
                let optional = props.keys().filter(|k| !required.contains(&k.as_str())).cloned();
                let list: Vec<String> = required.iter().map(|r| format!("{r} (required)")).chain(optional).collect();
                msg.push_str(&format!(" Parameters: {}.", list.join(", ")));
            }
        }
        ToolOutput::error(msg)
    })
}

/// The patch of an apply_patch call: freeform text as is; JSON `{"input": ...}` unwrapped
/// (and JSON that is not an object taken as the patch itself).
fn patch_input(input: &ToolInput) -> String {
    match input {
        ToolInput::Freeform(t) => t.clone(),
        ToolInput::Json(t) => match serde_json::from_str::<patch_tool::ApplyPatchArgs>(t) {
            Ok(a) => a.input,
            Err(_) => serde_json::from_str::<String>(t).unwrap_or_else(|_| t.clone()),
        },
    }
}

/// A shell call that only runs apply_patch (`["apply_patch", patch]`, or a script
/// `apply_patch <<'EOF' ...`): models trained on Codex do this; run it as the tool.
fn intercept_apply_patch(args: &ShellArgs) -> Option<String> {
    let is_patch_cmd = |s: &str| s == "apply_patch" || s == "applypatch";
    let script = match &args.command {
        ShellCommand::Argv(v) => match v.as_slice() {
            [cmd, patch] if is_patch_cmd(cmd) => return Some(patch.clone()),
            [shell, flag, script] if ["bash", "sh", "zsh"].contains(&shell.as_str()) && flag.starts_with('-') && flag.ends_with('c') => {
                script.clone()
            }
            _ => return None,
        },
        ShellCommand::Script(s) => s.clone(),
    };
    let first = script.split_whitespace().next()?;
    (is_patch_cmd(first) && script.contains("*** Begin Patch")).then_some(script)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::test_support::ctx_with;
    use expect_test::expect;

    fn registry() -> ToolRegistry {
        ToolRegistry::new(&ToolsConfig::default())
    }

    #[test]
    fn specs_are_in_a_fixed_order() {
        let r = registry();
        let names: Vec<&str> = r.specs().iter().map(ToolSpec::name).collect();
        expect![[r#"["shell", "apply_patch", "read_file", "list_dir", "grep", "find_symbol", "file_outline", "update_plan"]"#]]
            .assert_eq(&format!("{names:?}"));
        let no_symbols = ToolRegistry::new(&ToolsConfig { symbol_tools: false, apply_patch_freeform: false, ..Default::default() });
        assert_eq!(no_symbols.specs().len(), 6);
        assert!(matches!(no_symbols.get("apply_patch"), Some(ToolSpec::Function { .. })));
        assert!(matches!(registry().get("apply_patch"), Some(ToolSpec::Custom { .. })));
        let r = registry();
        assert!(r.is_parallel_safe("grep") && r.is_parallel_safe("shell"));
        assert!(!r.is_parallel_safe("apply_patch") && !r.is_parallel_safe("update_plan") && !r.is_parallel_safe("nope"));
    }

    #[test]
    fn bad_calls_become_model_text() {
        let r = registry();
        let err = |name: &str, input: ToolInput| r.parse(name, input).unwrap_err().text;
        expect![[
            r#"unknown tool "rm_rf"; the tools are: shell, apply_patch, read_file, list_dir, grep, find_symbol, file_outline, update_plan."#
        ]]
        .assert_eq(&err("rm_rf", ToolInput::Json("{}".into())));
        expect!["invalid arguments for read_file: missing field `path` at line 1 column 2. Parameters: path (required), limit, offset."]
            .assert_eq(&err("read_file", ToolInput::Json("{}".into())));
        expect!["invalid arguments for grep: EOF while parsing a value at line 1 column 11. Parameters: pattern (required), case_insensitive, glob, max_results, path."]
            .assert_eq(&err("grep", ToolInput::Json("{\"pattern\":".into())));
        expect!["invalid arguments for update_plan: unknown variant `done`, expected one of `pending`, `in_progress`, `completed` at line 1 column 36. Parameters: plan (required), explanation."]
            .assert_eq(&err("update_plan", ToolInput::Json(r#"{"plan":[{"step":"a","status":"done"}]}"#.into())));
    }

    #[test]
    fn apply_patch_inputs_and_interception() {
        let r = registry();
        let patch = "*** Begin Patch\n*** Add File: a\n+x\n*** End Patch";
        let expect_patch = |call: ToolCall| assert!(matches!(call, ToolCall::ApplyPatch { input } if input.contains("*** Add File: a")));
        expect_patch(r.parse("apply_patch", ToolInput::Freeform(patch.into())).unwrap());
        expect_patch(r.parse("apply_patch", ToolInput::Json(serde_json::json!({"input": patch}).to_string())).unwrap());
        expect_patch(r.parse("shell", ToolInput::Json(serde_json::json!({"command": ["apply_patch", patch]}).to_string())).unwrap());
        let heredoc = format!("apply_patch <<'EOF'\n{patch}\nEOF\n");
        expect_patch(r.parse("shell", ToolInput::Json(serde_json::json!({"command": ["bash", "-lc", heredoc]}).to_string())).unwrap());
        expect_patch(r.parse("shell", ToolInput::Json(serde_json::json!({"command": heredoc}).to_string())).unwrap());
        let plain = r.parse("shell", ToolInput::Json(r#"{"command": "ls -la", "workdir": "src"}"#.into())).unwrap();
        assert!(matches!(&plain, ToolCall::Shell(a) if a.argv() == ["bash", "-lc", "ls -la"]));
        assert!(plain.is_parallel_safe());
    }

    #[test]
    fn inputs_from_and_outputs_to_items() {
        let item = ResponseItem::CustomToolCall { name: "apply_patch".into(), input: "p".into(), call_id: "c1".into() };
        let (name, input) = ToolInput::from_item(&item).unwrap();
        assert_eq!((name, &input), ("apply_patch", &ToolInput::Freeform("p".into())));
        let out = input.output_item("c1", &ToolOutput::ok("done"));
        assert_eq!(out, ResponseItem::CustomToolCallOutput { call_id: "c1".into(), output: "done".into() });
        let item = ResponseItem::FunctionCall { name: "grep".into(), namespace: None, arguments: "{}".into(), call_id: "c2".into() };
        let (_, input) = ToolInput::from_item(&item).unwrap();
        assert!(matches!(input.output_item("c2", &ToolOutput::ok("x")), ResponseItem::FunctionCallOutput { .. }));
        assert!(ToolInput::from_item(&ResponseItem::user_text("hi")).is_none());
    }

    #[tokio::test]
    async fn runs_calls_end_to_end() {
        let (ctx, _dir) = ctx_with(&[("a.txt", "one\ntwo\n")], &[]);
        let r = registry();
        let call = |name: &str, args: serde_json::Value| r.parse(name, ToolInput::Json(args.to_string())).unwrap();
        let out = r.run(&ctx, call("read_file", serde_json::json!({"path": "a.txt"})), std::future::pending()).await;
        assert_eq!(out.text, "L1: one\nL2: two");
        let patch = "*** Begin Patch\n*** Update File: a.txt\n@@\n-two\n+2\n*** End Patch";
        let out = r.run(&ctx, r.parse("apply_patch", ToolInput::Freeform(patch.into())).unwrap(), std::future::pending()).await;
        assert_eq!(out.text, "Success. Updated the following files:\nM a.txt\n");
        assert!(matches!(out.effect, Some(crate::ToolEffect::Edits { .. })));
        // Proposed, not written.
        assert_eq!(std::fs::read_to_string(ctx.cwd.join("a.txt")).unwrap(), "one\ntwo\n");
        let out = r.run(&ctx, call("shell", serde_json::json!({"command": "echo hi; exit 2"})), std::future::pending()).await;
        assert!(!out.success);
        assert!(out.text.starts_with("Exit code: 2\nWall time: ") && out.text.ends_with("Output:\nhi\n"), "{}", out.text);
        let out =
            r.run(&ctx, call("shell", serde_json::json!({"command": ["definitely-not-a-program-xyz"]})), std::future::pending()).await;
        assert!(out.text.starts_with("failed to start \"definitely-not-a-program-xyz\""), "{}", out.text);
    }
}
