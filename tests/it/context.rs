//! The agent context API over `codeloop/context`: enclosing symbol, outline and the
//! definitions of identifiers in the range, resolved through the index.

use super::*;

#[test]
fn context_for_a_range() {
    let ws = TempWorkspace::with_fixture(
        "context",
        r#"
//- /src/shapes.rs
pub struct Circle { pub radius: f64 }

pub fn area(c: &Circle) -> f64 { 3.14 * c.radius * c.radius }
"#,
    );
    let mut c = start(&ws, Value::Null);
    wait_indexed(&mut c);
    let text = "use crate::shapes::{area, Circle};\n\nfn report(c: &Circle) -> String {\n    format!(\"{}\", area(c))\n}\n";
    let uri = c.open(&ws.path("src/main.rs"), "rust", text);
    let ctx = c
        .request(
            "codeloop/context",
            json!({"textDocument": {"uri": uri}, "range": {"start": {"line": 3, "character": 4}, "end": {"line": 3, "character": 27}}}),
        )
        .unwrap();
    assert_eq!(ctx["enclosing"]["name"], "report", "{ctx:#}");
    assert!(ctx["enclosing"]["text"].as_str().unwrap().starts_with("fn report"));
    let defs: Vec<&str> = ctx["definitions"].as_array().unwrap().iter().filter_map(|d| d["name"].as_str()).collect();
    assert!(defs.contains(&"area"), "{ctx:#}");
    assert!(ctx["markdown"].as_str().unwrap().contains("area"));
    assert!(ctx["outline"].as_array().unwrap().iter().any(|o| o["name"] == "report"));
    c.shutdown();
}
