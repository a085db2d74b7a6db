//! Session files: round trips across compactions, a file cut at every byte offset, a writer
//! really killed with SIGKILL (this test binary re-runs itself as the writer), redaction, listing,
//! resuming and forking.

use super::*;
use agent_protocol::{FunctionCallOutput, ResponseItem, TokenUsage};
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

fn tmp(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("codeloop-rollout-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

fn meta(id: &str) -> SessionMeta {
    SessionMeta::new(id.into(), "/work/repo".into(), Some("gpt-5.5".into()), "openai".into())
}

fn writer(state: &Path, id: &str) -> RolloutWriter {
    RolloutWriter::create_with(state, &meta(id), Redactor::new(Vec::new())).unwrap()
}

fn usage(total: u64) -> TokenUsage {
    TokenUsage { total_tokens: total, input_tokens: total, ..Default::default() }
}

fn texts(items: &[ResponseItem]) -> Vec<String> {
    items.iter().map(|i| i.message_text().unwrap_or_else(|| format!("{i:?}"))).collect()
}

#[test]
fn history_is_rebuilt_across_compactions() {
    let state = tmp("compactions");
    let mut w = writer(&state, "t1");
    w.append(&RolloutLine::turn_started("turn-1".into())).unwrap();
    w.append_items(&[ResponseItem::user_text("one"), ResponseItem::assistant_text("ok one")]).unwrap();
    w.append(&RolloutLine::TokenUsage { usage: usage(100) }).unwrap();
    w.append(&RolloutLine::turn_ended("turn-1".into(), TurnStatus::Completed)).unwrap();
    w.append(&RolloutLine::Compacted { replacement_history: vec![ResponseItem::user_text("one"), ResponseItem::user_text("summary")] })
        .unwrap();
    w.append(&RolloutLine::turn_started("turn-2".into())).unwrap();
    w.append(&RolloutLine::item(ResponseItem::user_text("two"))).unwrap();
    w.append(&RolloutLine::item(ResponseItem::Other)).unwrap();
    w.append(&RolloutLine::turn_ended("turn-2".into(), TurnStatus::Completed)).unwrap();
    w.sync().unwrap();

    let t = load(w.path()).unwrap();
    assert_eq!(t.meta, meta("t1").clone_with_created_at(&t.meta.created_at));
    assert_eq!(texts(&t.history), ["one", "summary", "two"]);
    assert_eq!(t.usage, None, "usage is unknown after a compaction until the next response");
    assert!(!t.interrupted);
    assert_eq!(t.skipped_lines, 0);
    // The file sits under sessions/YYYY/MM/DD/.
    let rel = w.path().strip_prefix(sessions_dir(&state)).unwrap();
    assert_eq!(rel.components().count(), 4, "{rel:?}");
    assert_eq!(rel.file_name().unwrap(), "t1.jsonl");
    std::fs::remove_dir_all(&state).unwrap();
}

#[test]
fn items_of_a_retried_response_are_discarded() {
    let state = tmp("discard");
    let mut w = writer(&state, "t1");
    w.append_items(&[ResponseItem::user_text("ask"), ResponseItem::assistant_text("partial"), ResponseItem::assistant_text("more")])
        .unwrap();
    w.append(&RolloutLine::DiscardItems { count: 2 }).unwrap();
    w.append_items(&[ResponseItem::assistant_text("final")]).unwrap();
    // A count larger than the history cannot underflow.
    let t = load(w.path()).unwrap();
    assert_eq!(texts(&t.history), ["ask", "final"]);
    w.append(&RolloutLine::DiscardItems { count: 99 }).unwrap();
    assert!(load(w.path()).unwrap().history.is_empty());
    std::fs::remove_dir_all(&state).unwrap();
}

impl SessionMeta {
    fn clone_with_created_at(&self, created_at: &str) -> SessionMeta {
        SessionMeta { created_at: created_at.to_string(), ..self.clone() }
    }
}

#[test]
fn an_interrupted_turn_is_kept_up_to_its_last_item_with_calls_closed() {
    let state = tmp("interrupted");
    let mut w = writer(&state, "t2");
    w.append(&RolloutLine::turn_started("turn-1".into())).unwrap();
    w.append(&RolloutLine::item(ResponseItem::user_text("run it"))).unwrap();
    w.append(&RolloutLine::item(ResponseItem::FunctionCall {
        name: "shell".into(),
        namespace: None,
        arguments: "{}".into(),
        call_id: "c1".into(),
    }))
    .unwrap();
    w.append(&RolloutLine::item(ResponseItem::CustomToolCall { name: "apply_patch".into(), input: "x".into(), call_id: "c2".into() }))
        .unwrap();
    w.append(&RolloutLine::item(ResponseItem::CustomToolCallOutput { call_id: "c2".into(), output: "done".into() })).unwrap();
    w.append(&RolloutLine::TokenUsage { usage: usage(42) }).unwrap();
    let t = load(w.path()).unwrap();
    assert!(t.interrupted);
    assert_eq!(t.usage, Some(usage(42)));
    assert_eq!(
        t.history.last(),
        Some(&ResponseItem::FunctionCallOutput { call_id: "c1".into(), output: FunctionCallOutput::Text("aborted".into()) })
    );
    assert_eq!(t.history.len(), 5);
    std::fs::remove_dir_all(&state).unwrap();
}

#[test]
fn a_file_cut_at_any_byte_loads_its_complete_lines() {
    let state = tmp("cut");
    let mut w = writer(&state, "t3");
    let items: Vec<ResponseItem> = ["alpha", "béta ✓", "gamma"].iter().map(|t| ResponseItem::user_text(*t)).collect();
    w.append(&RolloutLine::turn_started("turn-1".into())).unwrap();
    w.append_items(&items).unwrap();
    w.append(&RolloutLine::turn_ended("turn-1".into(), TurnStatus::Completed)).unwrap();
    let full = std::fs::read(w.path()).unwrap();
    let line_ends: Vec<usize> = full.iter().enumerate().filter(|(_, &b)| b == b'\n').map(|(i, _)| i + 1).collect();
    let cut_path = state.join("cut.jsonl");
    for len in 0..=full.len() {
        std::fs::write(&cut_path, &full[..len]).unwrap();
        let complete = line_ends.iter().filter(|&&e| e <= len).count();
        match load(&cut_path) {
            Err(RolloutError::MissingMeta { .. }) => assert_eq!(complete, 0, "at {len}"),
            Err(e) => panic!("at {len}: {e}"),
            Ok(t) => {
                assert!(complete >= 1, "at {len}");
                // Lines: meta, turn start, three items, turn end.
                let kept = complete.saturating_sub(2).min(3);
                assert_eq!(t.history, items[..kept], "at {len}");
                assert_eq!(t.interrupted, (2..6).contains(&complete), "at {len}");
                assert_eq!(t.skipped_lines, usize::from(!line_ends.contains(&len)), "at {len}");
                // Resuming cuts the torn line off, so that the next line starts clean.
                let mut r = RolloutWriter::resume(&cut_path).unwrap();
                r.append(&RolloutLine::item(ResponseItem::user_text("after"))).unwrap();
                let again = load(&cut_path).unwrap();
                assert_eq!(again.skipped_lines, 0, "at {len}");
                assert_eq!(again.history.last().and_then(ResponseItem::message_text).as_deref(), Some("after"), "at {len}");
            }
        }
    }
    std::fs::remove_dir_all(&state).unwrap();
}

/// Not a test on its own: the writer process of `a_writer_killed_with_sigkill_leaves_a_loadable_file`,
/// which runs this test binary again with `CODELOOP_ROLLOUT_CHILD` set. Without it, it does nothing.
#[test]
fn sigkill_child_writer() {
    let Some(state) = std::env::var_os("CODELOOP_ROLLOUT_CHILD") else { return };
    let mut w = writer(Path::new(&state), "killed");
    let filler = "x".repeat(16 * 1024);
    // Bounded, in case the parent dies before killing this process.
    for i in 0..4_000 {
        w.append(&RolloutLine::turn_started(format!("turn-{i}").as_str().into())).unwrap();
        w.append(&RolloutLine::item(ResponseItem::user_text(format!("item {i} {filler}")))).unwrap();
        w.append(&RolloutLine::turn_ended(format!("turn-{i}").as_str().into(), TurnStatus::Completed)).unwrap();
        if i % 8 == 0 {
            w.sync().unwrap();
        }
    }
}

#[cfg(unix)]
#[test]
fn a_writer_killed_with_sigkill_leaves_a_loadable_file() {
    use std::os::unix::process::ExitStatusExt;
    let state = tmp("sigkill");
    let mut child = std::process::Command::new(std::env::current_exe().unwrap())
        .args(["--exact", "rollout::tests::sigkill_child_writer", "--test-threads=1", "--nocapture"])
        .env("CODELOOP_ROLLOUT_CHILD", &state)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Wait (bounded) until the child has written a good part of a megabyte, then kill it mid-loop.
    let deadline = Instant::now() + Duration::from_secs(60);
    let path = loop {
        let found = find_thread(&state, &"killed".into()).ok();
        if let Some(p) = found.as_ref().filter(|p| std::fs::metadata(p).map(|m| m.len()).unwrap_or(0) > 600_000) {
            break p.clone();
        }
        assert!(Instant::now() < deadline, "the child wrote nothing");
        std::thread::sleep(Duration::from_millis(2));
    };
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert_eq!(status.signal(), Some(9), "the child finished before being killed: {status:?}");

    let t = load(&path).unwrap();
    assert!(t.skipped_lines <= 1);
    assert!(t.history.len() >= 30, "{}", t.history.len());
    for (i, item) in t.history.iter().enumerate() {
        let text = item.message_text().unwrap();
        assert!(text.starts_with(&format!("item {i} ")), "item {i} is {:?}", &text[..20]);
    }
    // And the thread continues from there.
    let mut w = RolloutWriter::resume(&path).unwrap();
    w.append(&RolloutLine::item(ResponseItem::user_text("resumed"))).unwrap();
    let again = load(&path).unwrap();
    assert_eq!(again.history.len(), t.history.len() + 1);
    assert_eq!(again.skipped_lines, 0);
    std::fs::remove_dir_all(&state).unwrap();
}

#[test]
fn secrets_are_redacted_before_writing() {
    let state = tmp("redact");
    let redactor = Redactor::new(["my-db-password-123".to_string()]);
    let mut w = RolloutWriter::create_with(&state, &meta("t4"), redactor).unwrap();
    w.append(&RolloutLine::item(ResponseItem::FunctionCall {
        name: "shell".into(),
        namespace: None,
        arguments: r#"{"cmd":"curl -H \"Authorization: Bearer abcdefgh12345678\" -d my-db-password-123"}"#.into(),
        call_id: "c1".into(),
    }))
    .unwrap();
    w.append(&RolloutLine::item(ResponseItem::user_text("my key is sk-ABCDEFGHIJKLMNOPQRSTUVWXYZ and AKIAIOSFODNN7EXAMPLE"))).unwrap();
    let raw = std::fs::read_to_string(w.path()).unwrap();
    for secret in ["abcdefgh12345678", "my-db-password-123", "sk-ABCDEFGHIJ", "AKIAIOSFODNN7EXAMPLE"] {
        assert!(!raw.contains(secret), "{secret} leaked: {raw}");
    }
    let t = load(w.path()).unwrap();
    assert_eq!(t.skipped_lines, 0);
    assert_eq!(texts(&t.history[1..2]), ["my key is [REDACTED] and [REDACTED]"]);
    std::fs::remove_dir_all(&state).unwrap();
}

#[test]
fn threads_are_listed_newest_first_with_a_preview() {
    let state = tmp("list");
    let mut a = writer(&state, "older");
    a.append(&RolloutLine::item(ResponseItem::user_text("<environment_context>\n</environment_context>"))).unwrap();
    a.append(&RolloutLine::item(ResponseItem::user_text("  fix   the\nbuild  "))).unwrap();
    let mut b = writer(&state, "newer");
    b.append(&RolloutLine::item(ResponseItem::user_text("y".repeat(200)))).unwrap();
    let c = writer(&state, "empty");
    std::fs::write(sessions_dir(&state).join("junk.jsonl"), "not json\n").unwrap();
    let set_mtime =
        |p: &Path, secs: u64| std::fs::File::options().write(true).open(p).unwrap().set_modified(clock::from_unix(secs)).unwrap();
    set_mtime(a.path(), 1_700_000_000);
    set_mtime(b.path(), 1_800_000_000);
    set_mtime(c.path(), 1_600_000_000);

    let list = list_threads(&state).unwrap();
    let ids: Vec<&str> = list.iter().map(|s| s.id.as_str()).collect();
    assert_eq!(ids, ["newer", "older", "empty"]);
    assert_eq!(list[1].preview.as_deref(), Some("fix the build"));
    assert_eq!(list[1].updated_at, "2023-11-14T22:13:20.000Z");
    assert_eq!(list[0].preview.as_ref().map(|p| p.chars().count()), Some(PREVIEW_CHARS));
    assert_eq!(list[2].preview, None);
    assert_eq!(list[0].cwd, PathBuf::from("/work/repo"));
    assert_eq!(list_threads(&state.join("nothing-here")).unwrap(), vec![]);
    std::fs::remove_dir_all(&state).unwrap();
}

#[test]
fn fork_copies_the_history_under_a_new_id() {
    let state = tmp("fork");
    let mut w = writer(&state, "src");
    w.append(&RolloutLine::Compacted { replacement_history: vec![ResponseItem::user_text("summary")] }).unwrap();
    w.append(&RolloutLine::item(ResponseItem::user_text("next"))).unwrap();
    w.append(&RolloutLine::TokenUsage { usage: usage(7) }).unwrap();
    let before = std::fs::read(w.path()).unwrap();

    let (fw, forked) = fork(&state, &"src".into(), "dst".into()).unwrap();
    assert_eq!(forked.meta.forked_from, Some("src".into()));
    assert_eq!(texts(&forked.history), ["summary", "next"]);
    let reloaded = load(fw.path()).unwrap();
    assert_eq!(reloaded.history, forked.history);
    assert_eq!(reloaded.usage, Some(usage(7)));
    assert_eq!(reloaded.meta, forked.meta);
    assert_eq!(std::fs::read(w.path()).unwrap(), before, "the source is untouched");
    assert!(matches!(fork(&state, &"nope".into(), "x".into()), Err(RolloutError::NotFound(_))));
    assert!(matches!(fork(&state, &"src".into(), "dst".into()), Err(RolloutError::AlreadyExists { .. })));
    std::fs::remove_dir_all(&state).unwrap();
}

#[test]
fn thread_ids_must_be_safe_file_names() {
    for bad in ["", "../x", "a/b", ".hidden", "sp ace"] {
        assert!(matches!(check_thread_id(&bad.into()), Err(RolloutError::InvalidThreadId(_))), "{bad}");
    }
    check_thread_id(&"019a-b_c.d".into()).unwrap();
    let state = tmp("ids");
    assert!(RolloutWriter::create(&state, &meta("../escape")).is_err());
    std::fs::remove_dir_all(&state).unwrap();
}

#[test]
fn lines_have_a_stable_shape() {
    let line = RolloutLine::Compacted { replacement_history: vec![ResponseItem::user_text("s")] };
    assert_eq!(
        serde_json::to_string(&line).unwrap(),
        r#"{"type":"compacted","replacement_history":[{"type":"message","role":"user","content":[{"type":"input_text","text":"s"}]}]}"#
    );
    let m = SessionMeta { created_at: "2026-05-03T00:00:00.000Z".into(), version: "0.1.0".into(), ..meta("t") };
    assert_eq!(
        serde_json::to_string(&RolloutLine::SessionMeta(m)).unwrap(),
        r#"{"type":"session_meta","id":"t","created_at":"2026-05-03T00:00:00.000Z","cwd":"/work/repo","model":"gpt-5.5","provider":"openai","version":"0.1.0"}"#
    );
    let ended = RolloutLine::TurnEnded { turn_id: "u1".into(), ts: "T".into(), status: TurnStatus::Aborted };
    assert_eq!(serde_json::to_string(&ended).unwrap(), r#"{"type":"turn_ended","turn_id":"u1","ts":"T","status":"aborted"}"#);
}
