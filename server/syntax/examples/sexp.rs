//! Scratch: prints the s-expression of a file (temporary).
fn main() {
    let args: Vec<String> = std::env::args().collect();
    let lang = syntax::Lang::from_name(&args[1]).unwrap();
    let src = std::fs::read(&args[2]).unwrap();
    let tree = syntax::parse_bytes(lang, &src).unwrap();
    let mut c = tree.walk();
    let mut depth = 0;
    loop {
        let n = c.node();
        if n.is_named() {
            let f = c.field_name().map(|f| format!("{f}: ")).unwrap_or_default();
            let t = if n.child_count() == 0 { format!(" {:?}", n.utf8_text(&src).unwrap()) } else { String::new() };
            eprintln!("{}{}{} [{}..{}]{}", "  ".repeat(depth), f, n.kind(), n.start_byte(), n.end_byte(), t);
        } else if n.child_count() == 0 && args.len() > 3 { eprintln!("{}{:?}", "  ".repeat(depth), n.kind()); }
        if c.goto_first_child() { depth += 1; continue; }
        loop {
            if c.goto_next_sibling() { break; }
            if !c.goto_parent() { return; }
            depth -= 1;
        }
    }
}
