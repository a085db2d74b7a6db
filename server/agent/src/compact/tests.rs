//! Data-driven tests of the replacement history (local and remote), token accounting and the
//! overflow retry. Histories are written one item per line: `d` developer, `u` user, `a`
//! assistant, `call ID`, `out ID`, `compaction`, `reasoning`.

use super::*;
use agent_protocol::{FunctionCallOutput, ResponseItem, Role, TokenUsage};
use expect_test::{expect, Expect};

fn parse(spec: &str) -> Vec<ResponseItem> {
    spec.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .map(|l| {
            let (kind, rest) = l.split_once(' ').unwrap_or((l, ""));
            let rest = rest.replace("\\n", "\n");
            match kind {
                "d" => ResponseItem::developer_text(rest),
                "u" => ResponseItem::user_text(rest),
                "a" => ResponseItem::assistant_text(rest),
                "call" => ResponseItem::FunctionCall { name: "shell".into(), namespace: None, arguments: "{}".into(), call_id: rest },
                "out" => ResponseItem::FunctionCallOutput { call_id: rest, output: FunctionCallOutput::Text("ok".into()) },
                "compaction" => ResponseItem::Compaction { encrypted_content: rest },
                "reasoning" => ResponseItem::Reasoning { summary: vec![], content: None, encrypted_content: Some(rest) },
                other => panic!("bad spec line kind {other}"),
            }
        })
        .collect()
}

fn render(items: &[ResponseItem]) -> String {
    items
        .iter()
        .map(|i| match i {
            ResponseItem::Message { role, .. } => {
                let r = match role {
                    Role::Developer => "d",
                    Role::User => "u",
                    Role::Assistant => "a",
                    Role::System => "s",
                };
                format!("{r} {}", i.message_text().unwrap_or_default().replace('\n', "\\n"))
            }
            ResponseItem::FunctionCall { call_id, .. } => format!("call {call_id}"),
            ResponseItem::FunctionCallOutput { call_id, .. } => format!("out {call_id}"),
            ResponseItem::Compaction { encrypted_content } => format!("compaction {encrypted_content}"),
            ResponseItem::Reasoning { .. } => "reasoning".into(),
            other => format!("{other:?}"),
        })
        .collect::<Vec<_>>()
        .join("\n")
}

const PREFIX: &str = "
    d <permissions>\\nSandbox: workspace-write.\\n</permissions>
    u # AGENTS.md instructions for /w\\n\\n<INSTRUCTIONS>\\nbe terse\\n</INSTRUCTIONS>
    u <environment_context>\\n  <cwd>/w</cwd>\\n</environment_context>
";

fn check_local(history: &str, budget: u64, expect: Expect) {
    let prefix = parse(PREFIX);
    let mut full = prefix.clone();
    full.extend(parse(history));
    let out = replacement_history(&prefix, &full, "  did X; next Y  ", budget);
    // The prefix is kept byte for byte and the summary is last.
    assert_eq!(&out[..prefix.len()], &prefix[..]);
    assert!(out.last().is_some_and(is_summary_message));
    expect.assert_eq(&render(&out[prefix.len()..]));
}

#[test]
fn local_replacement_keeps_recent_real_user_messages_and_the_summary_last() {
    check_local(
        "
        u first request
        a on it
        call c1
        out c1
        u <editor_context>\\nFile: `a.rs`\\n</editor_context>
        u second request
        d <permissions>\\nchanged\\n</permissions>
        u <environment_context>\\n  <cwd>/w/sub</cwd>\\n</environment_context>
        u Summary of the earlier conversation (you wrote it when the history was compacted; the messages it covers are gone):\\n\\nold summary
        u third request
        a done
        ",
        1_000,
        expect![[r#"
            u first request
            u second request
            u third request
            u Summary of the earlier conversation (you wrote it when the history was compacted; the messages it covers are gone):\n\ndid X; next Y"#]],
    );
}

#[test]
fn local_replacement_drops_the_oldest_messages_first() {
    // Each of these user messages costs 22 tokens (its JSON is 86 bytes); 50 keeps two.
    let history = "
        u message one
        u message two
        u message six
    ";
    assert_eq!(estimate_tokens(&ResponseItem::user_text("message one")), 22);
    check_local(
        history,
        50,
        expect![[r#"
            u message two
            u message six
            u Summary of the earlier conversation (you wrote it when the history was compacted; the messages it covers are gone):\n\ndid X; next Y"#]],
    );
    check_local(
        history,
        0,
        expect![[
            r#"u Summary of the earlier conversation (you wrote it when the history was compacted; the messages it covers are gone):\n\ndid X; next Y"#
        ]],
    );
}

#[test]
fn a_message_crossing_the_budget_is_cut_in_the_middle() {
    let long = format!("u HEAD{}TAIL", "x".repeat(4000));
    check_local(
        &format!("{long}\nu recent"),
        15 + 100,
        expect![[r#"
            u HEADxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxx\n…[940 tokens cut]…\nxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxxTAIL
            u recent
            u Summary of the earlier conversation (you wrote it when the history was compacted; the messages it covers are gone):\n\ndid X; next Y"#]],
    );
    // Too little budget left for a useful part: the old message goes entirely.
    check_local(
        &format!("{long}\nu recent"),
        15 + 20,
        expect![[r#"
            u recent
            u Summary of the earlier conversation (you wrote it when the history was compacted; the messages it covers are gone):\n\ndid X; next Y"#]],
    );
}

#[test]
fn compaction_request_input_ends_with_the_prompt() {
    let history = parse("u hi\na hello\nreasoning enc");
    let mut with_other = history.clone();
    with_other.push(ResponseItem::Other);
    let input = build_compaction_request_input(&with_other, SUMMARIZATION_PROMPT);
    assert_eq!(&input[..3], &history[..]);
    assert_eq!(input.len(), 4);
    assert_eq!(input[3], ResponseItem::user_text(SUMMARIZATION_PROMPT));
    assert_eq!(summary_from_output(&parse("reasoning r\na first\na the summary")).as_deref(), Some("the summary"));
    assert_eq!(summary_from_output(&parse("reasoning r\na  ")), None);
}

#[test]
fn compaction_prompt_can_be_configured() {
    let dir = std::env::temp_dir().join(format!("codeloop-compact-prompt-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let mut config = config::ConfigLoader::new(&dir).load().unwrap();
    config.compact_prompt = None;
    assert_eq!(compaction_prompt(&config), SUMMARIZATION_PROMPT);
    config.compact_prompt = Some("Summarize.".into());
    assert_eq!(compaction_prompt(&config), "Summarize.");
    std::fs::remove_dir_all(&dir).unwrap();
}

fn check_remote(output: &str, expect: Expect) {
    let prefix = parse(PREFIX);
    let recent = parse("u recent one\nu recent two");
    let out = replacement_from_remote(&prefix, &recent, parse(output));
    assert_eq!(&out[..prefix.len()], &prefix[..]);
    expect.assert_eq(&render(&out[prefix.len()..]));
}

#[test]
fn remote_replacement_keeps_the_output_as_returned_minus_context() {
    check_remote(
        "
        d <permissions>\\nold\\n</permissions>
        u <environment_context>\\n</environment_context>
        u first request
        a answer
        reasoning r1
        call c1
        out c1
        u second request
        compaction gAAAA
        ",
        expect![[r#"
            u first request
            a answer
            u second request
            compaction gAAAA"#]],
    );
    // No user message in the output: the recent ones go before it.
    check_remote(
        "compaction gBBBB",
        expect![[r#"
            u recent one
            u recent two
            compaction gBBBB"#]],
    );
}

#[test]
fn token_budget_threshold_and_estimate() {
    let b = TokenBudget::new(272_000, None);
    assert_eq!(b.auto_compact_limit, 217_600);
    assert_eq!(TokenBudget::new(272_000, Some(100_000)).auto_compact_limit, 100_000);
    // A configured limit can only lower the threshold; 0 means unset.
    assert_eq!(TokenBudget::new(272_000, Some(300_000)).auto_compact_limit, 217_600);
    assert_eq!(TokenBudget::new(272_000, Some(0)).auto_compact_limit, 217_600);
    assert_eq!(b.user_message_budget(), USER_MESSAGE_BUDGET_TOKENS);
    assert_eq!(TokenBudget::new(8_000, None).user_message_budget(), 800);

    let usage = TokenUsage { input_tokens: 200_000, output_tokens: 17_000, total_tokens: 217_000, ..Default::default() };
    let small = parse("out c1");
    let est = estimate_items_tokens(&small);
    assert_eq!(est, tokens_of_bytes(serde_json::to_string(&small[0]).unwrap().len() as u64));
    assert_eq!(TokenBudget::estimate_context(Some(&usage), &small), 217_000 + est);
    assert!(!b.should_compact(Some(&usage), &[]));
    assert!(b.should_compact(Some(&usage), &parse(&format!("u {}", "x".repeat(2_400)))));
    assert!(!b.should_compact(None, &small));
}

#[test]
fn estimate_is_json_bytes_over_four() {
    for item in parse("u hello\na héllo wörld\ncall c9\nreasoning abcdef\ncompaction zz") {
        let bytes = serde_json::to_vec(&item).unwrap().len() as u64;
        assert_eq!(estimate_tokens(&item), bytes.div_ceil(4), "{item:?}");
    }
    assert_eq!(estimate_text_tokens("abcde"), 2);
}

#[test]
fn dropping_the_oldest_item_takes_its_output_along() {
    let mut h = parse("d perms\ncall c1\nu hi\nout c1\na done");
    assert!(drop_oldest_item(&mut h, 1));
    expect![[r#"
        d perms
        u hi
        a done"#]]
    .assert_eq(&render(&h));
    assert!(drop_oldest_item(&mut h, 1));
    assert!(drop_oldest_item(&mut h, 1));
    assert!(!drop_oldest_item(&mut h, 1));
    assert_eq!(render(&h), "d perms");
}
