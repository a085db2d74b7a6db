//! Document synchronisation: ordering under bursts, position encodings, CRLF, clamping.

use super::*;

fn change(uri: &str, version: i64, l1: u32, c1: u32, l2: u32, c2: u32, text: &str) -> Value {
    json!({"textDocument": {"uri": uri, "version": version}, "contentChanges": [
        {"range": {"start": {"line": l1, "character": c1}, "end": {"line": l2, "character": c2}}, "text": text}
    ]})
}

/// A model of the client's buffer in UTF-16 positions, to compute the expected text.
fn utf16_to_byte(text: &str, line: u32, col: u32) -> usize {
    let mut offset = 0;
    for (i, l) in text.split_inclusive('\n').enumerate() {
        if i as u32 == line {
            let mut units = 0;
            for (b, ch) in l.char_indices() {
                // A column inside a surrogate pair floors to the character, as the server does.
                if units + ch.len_utf16() as u32 > col || ch == '\n' || ch == '\r' {
                    return offset + b;
                }
                units += ch.len_utf16() as u32;
            }
            return offset + l.trim_end_matches(['\n', '\r']).len();
        }
        offset += l.len();
    }
    text.len()
}

#[test]
fn burst_of_1000_incremental_changes_gives_the_exact_text() {
    let ws = TempWorkspace::new("burst");
    let mut c = start(&ws, Value::Null);
    let path = ws.path("burst.rs");
    let mut model = String::from("fn main() {\n}\n");
    let uri = c.open(&path, "rust", &model);
    let pieces = ["a", "é", "😀", "\n", "{", "}", "/*", "*/", "let x = 1;", "\r\n", ""];
    let mut seed = 0x9E37_79B9_7F4A_7C15u64;
    let mut rnd = |n: u64| {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed % n
    };
    // Send all 1000 changes back to back without waiting for anything.
    for v in 2..1002 {
        let lines = model.split_inclusive('\n').count() as u64;
        let line = rnd(lines + 1) as u32;
        let col = rnd(12) as u32;
        let text = pieces[rnd(pieces.len() as u64) as usize];
        let delete = rnd(3) == 0;
        let (l2, c2) = if delete { (line, col + 1 + rnd(3) as u32) } else { (line, col) };
        let a = utf16_to_byte(&model, line, col);
        let b = utf16_to_byte(&model, l2, c2).max(a);
        model.replace_range(a..b, text);
        c.notify("textDocument/didChange", change(&uri, v, line, col, l2, c2, text));
    }
    let state = doc_text(&mut c, &uri);
    assert_eq!(state["version"], 1001);
    assert_eq!(state["text"].as_str().unwrap(), model);
    assert_eq!(state["parsed"], true);
    assert_eq!(c.shutdown().code(), Some(0));
}

#[test]
fn utf8_is_negotiated_when_offered_and_columns_count_bytes() {
    let ws = TempWorkspace::new("utf8");
    let cache = ws.root.with_extension("cache");
    let mut c = LspClient::spawn(&cache, &[]);
    let init = c.initialize(&ws.root, json!({"general": {"positionEncodings": ["utf-16", "utf-8"]}}), Value::Null);
    assert_eq!(init["capabilities"]["positionEncoding"], "utf-8");
    let uri = c.open(&ws.path("a.py"), "python", "s = '😀'\ndef f():\n    pass\n");
    // Byte column 9 is after the emoji (5 + 4 bytes); insert "x" there.
    c.notify("textDocument/didChange", change(&uri, 2, 0, 9, 0, 9, "x"));
    assert_eq!(doc_text(&mut c, &uri)["text"], "s = '😀x'\ndef f():\n    pass\n");
    let syms = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}})).unwrap();
    let f = syms.as_array().unwrap().iter().find(|s| s["name"] == "f").unwrap().clone();
    assert_eq!(f["selectionRange"]["start"], json!({"line": 1, "character": 4}));
    c.shutdown();
}

#[test]
fn utf16_default_surrogate_pairs_crlf_and_clamping() {
    let ws = TempWorkspace::new("utf16");
    let mut c = start(&ws, Value::Null);
    let init_enc = c.request("codeloop/documentState", json!({"textDocument": {"uri": "file:///nope"}}));
    assert!(init_enc.is_err(), "unknown documents are an error, not a crash");
    let uri = c.open(&ws.path("a.js"), "javascript", "const s = '😀';\r\nfunction f() {}\r\n");
    // UTF-16 column 13 is after the surrogate pair (11 + 2).
    c.notify("textDocument/didChange", change(&uri, 2, 0, 13, 0, 13, "!"));
    assert_eq!(doc_text(&mut c, &uri)["text"], "const s = '😀!';\r\nfunction f() {}\r\n");
    // A column inside the surrogate pair floors to the emoji start.
    c.notify("textDocument/didChange", change(&uri, 3, 0, 12, 0, 12, "<"));
    assert_eq!(doc_text(&mut c, &uri)["text"], "const s = '<😀!';\r\nfunction f() {}\r\n");
    // Past the end of a line clamps before the CRLF; past the end of the file clamps to the end.
    c.notify("textDocument/didChange", change(&uri, 4, 0, 500, 0, 900, "//"));
    c.notify("textDocument/didChange", change(&uri, 5, 40, 0, 41, 3, "end"));
    assert_eq!(doc_text(&mut c, &uri)["text"], "const s = '<😀!';//\r\nfunction f() {}\r\nend");
    let syms = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}})).unwrap();
    let names: Vec<&str> = syms.as_array().unwrap().iter().filter_map(|s| s["name"].as_str()).collect();
    assert_eq!(names, ["s", "f"]);
    // Full-text replacement.
    c.notify("textDocument/didChange", json!({"textDocument": {"uri": uri, "version": 6}, "contentChanges": [{"text": "class K {}\n"}]}));
    let syms = c.request("textDocument/documentSymbol", json!({"textDocument": {"uri": uri}})).unwrap();
    assert_eq!(syms[0]["name"], "K");
    c.shutdown();
}
