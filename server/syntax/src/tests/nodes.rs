//! `identifiers_in` and `comments_in` on small fixtures.

use expect_test::{expect, Expect};

use crate::{comments_in, identifiers_in, parse_rope, Lang};

/// `$0..$1` in the fixture marks the range (or `$0` alone, an empty range).
fn check_identifiers(lang: Lang, fixture: &str, expect: Expect) {
    let start = fixture.find("$0").unwrap();
    let src = fixture.replacen("$0", "", 1);
    let end = src.find("$1").unwrap_or(start);
    let src = src.replacen("$1", "", 1);
    let rope = text::Rope::from_str(&src);
    let tree = parse_rope(lang, &rope, None).unwrap();
    expect.assert_eq(&identifiers_in(lang, &tree, &rope, start..end).join(" "));
}

#[test]
fn identifiers_rust() {
    check_identifiers(
        Lang::Rust,
        r#"
fn unrelated() {}
fn area(s: &Shape) -> f64 {
    $0let r = s.radius;
    PI * r * r + helper::scale(r)$1
}
"#,
        expect!["r s radius PI helper scale"],
    );
}

#[test]
fn identifiers_empty_range_touches_a_name() {
    check_identifiers(Lang::Python, "value = comp$0ute(x)\n", expect!["compute"]);
}

#[test]
fn identifiers_typescript_types_and_properties() {
    check_identifiers(
        Lang::TypeScript,
        "$0const o: Order = { id: makeId(), total: cart.sum };$1\n",
        expect!["o Order id makeId total cart sum"],
    );
}

#[test]
fn identifiers_ruby_and_bash() {
    check_identifiers(Lang::Ruby, "$0Billing::Invoice.draft(customer)$1\n", expect!["Billing Invoice draft customer"]);
    check_identifiers(Lang::Bash, "$0deploy \"$HOST\" && log_file=x$1\n", expect!["deploy HOST log_file"]);
}

#[test]
fn comments_overlapping_a_range() {
    let src = "// one\nfn a() {} /* two */\n/// three\nfn b() {}\n// four\n";
    let rope = text::Rope::from_str(src);
    let tree = parse_rope(Lang::Rust, &rope, None).unwrap();
    let found =
        |range: std::ops::Range<usize>| comments_in(&tree, range).into_iter().map(|r| src[r].trim_end().to_owned()).collect::<Vec<_>>();
    assert_eq!(found(0..src.len()), ["// one", "/* two */", "/// three", "// four"]);
    let b = src.find("fn b").unwrap();
    assert_eq!(found(10..b), ["/* two */", "/// three"]);
    assert_eq!(found(b..b + 3), Vec::<String>::new());
    assert_eq!(found(2..2), ["// one"]);
}
