//! The agent context API: enclosing symbol, outline and referenced definitions, from the
//! editor's buffer and the index.

use super::fixture::Fixture;
use crate::context::context;
use expect_test::expect;
use syntax::Lang;

const TREE: &str = r#"
//- /src/geometry.rs
/// A point in the plane.
pub struct Point { pub x: f64, pub y: f64 }

pub fn distance(a: &Point, b: &Point) -> f64 {
    ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
}

pub fn unrelated() {}
//- /src/shapes.rs
use crate::geometry::{distance, Point};

pub struct Circle { pub center: Point, pub radius: f64 }

impl Circle {
    pub fn contains(&self, p: &Point) -> bool {
        distance(&self.center, p) <= self.radius
    }
}
"#;

/// The buffer of shapes.rs has unsaved edits: a new helper and a new call in `contains`.
const BUFFER: &str = r#"use crate::geometry::{distance, Point};

pub struct Circle { pub center: Point, pub radius: f64 }

impl Circle {
    pub fn contains(&self, p: &Point) -> bool {
        within(distance(&self.center, p), self.radius)
    }
}

fn within(d: f64, r: f64) -> bool { d <= r }
"#;

#[test]
fn context_of_a_selection_in_an_edited_buffer() {
    let f = Fixture::new(TREE);
    let (index, _) = f.index();
    let path = f.path("src/shapes.rs");
    let doc = text::Document::new(BUFFER, 3);
    let tree = syntax::parse_rope(Lang::Rust, doc.rope(), None).unwrap();
    let start = BUFFER.find("within(distance").unwrap();
    let end = start + "within(distance(&self.center, p), self.radius)".len();
    let ctx = context(&index, &path, Lang::Rust, &doc, &tree, start..end);
    expect![[r#"
        # Context: `src/shapes.rs` (rust)

        ## Enclosing method `contains` in `Circle` (lines 6-8)

        ```rust
            pub fn contains(&self, p: &Point) -> bool {
                within(distance(&self.center, p), self.radius)
            }
        ```

        ## Outline of `src/shapes.rs`

        - struct `Circle` (line 3)
          - field `center` (line 3)
          - field `radius` (line 3)
        - impl `impl Circle` (line 5)
          - method `contains` (line 6)
        - function `within` (line 11)

        ## Referenced definitions

        ### function `within` — `src/shapes.rs:11-11`

        ```rust
        fn within(d: f64, r: f64) -> bool { d <= r }
        ```

        ### function `distance` — `src/geometry.rs:4-6`

        ```rust
        pub fn distance(a: &Point, b: &Point) -> f64 {
            ((a.x - b.x).powi(2) + (a.y - b.y).powi(2)).sqrt()
        }
        ```

        ### field `center` in `Circle` — `src/shapes.rs:3-3`

        ```rust
        pub struct Circle { pub center: Point, pub radius: f64 }
        ```

    "#]]
    .assert_eq(&ctx.render_markdown());
    let json = serde_json::to_value(&ctx).unwrap();
    assert_eq!(json["enclosing"]["kind"], "method");
    assert_eq!(json["definitions"][0]["startLine"], 11);

    // A cursor outside every symbol has no enclosing symbol; out-of-range bytes are clamped.
    let ctx = context(&index, &path, Lang::Rust, &doc, &tree, 0..0);
    assert!(ctx.enclosing.is_none());
    let ctx = context(&index, &path, Lang::Rust, &doc, &tree, 10_000..20_000);
    assert!(ctx.enclosing.is_none());
    assert_eq!(ctx.outline.len(), 7.min(ctx.outline.len()));
}

#[test]
fn long_definitions_and_enclosing_symbols_are_capped() {
    let body: String = (0..100).map(|i| format!("    let v{i} = {i};\n")).collect();
    let f = Fixture::new("");
    f.write("src/big.rs", format!("pub fn big() {{\n{body}}}\n"));
    let (index, _) = f.index();
    let huge: String = (0..2000).map(|i| format!("    let w{i} = {i};\n")).collect();
    let buffer = format!("fn caller() {{\n    big();\n{huge}}}\n");
    let doc = text::Document::new(&buffer, 1);
    let tree = syntax::parse_rope(Lang::Rust, doc.rope(), None).unwrap();
    let at = buffer.find("big()").unwrap();
    let ctx = context(&index, &f.path("src/main.rs"), Lang::Rust, &doc, &tree, at..at + 3);
    let enclosing = ctx.enclosing.as_ref().unwrap();
    assert!(enclosing.truncated);
    assert!(enclosing.text.len() < crate::context::ENCLOSING_TEXT_CAP + 100);
    assert!(enclosing.text.ends_with("more bytes]"), "{}", &enclosing.text[enclosing.text.len() - 80..]);
    let def = &ctx.definitions[0];
    assert_eq!((def.name.as_str(), def.start_line, def.end_line, def.truncated), ("big", 1, 102, true));
    assert_eq!(def.text.lines().count(), crate::context::DEFINITION_LINES);
    assert!(ctx.render_markdown().contains("… [truncated]"));
}
