//! Where the symbols walk looks: the node kinds a symbols pattern starts at, read from the
//! query's own text, and, from the grammar's node types, the kinds whose subtrees can contain
//! one of those. `symbols::extract` runs the query only at the first and skips every other
//! subtree unwalked, which is most of a file (expressions, strings, types, parameter lists).
//!
//! Node types describe error-free trees only, so the walk still enters every subtree that
//! holds an error; kinds the node types do not list are always entered, and when an extra that
//! may sit anywhere (Ruby's heredoc bodies, with their interpolations) can hold a definition,
//! every node with children is entered. The query stays the
//! single description of what a definition is: this module never decides that, it only bounds
//! where a match can start.

use std::collections::{HashMap, HashSet};

use tree_sitter::{Language, Query};

use crate::Lang;

/// Per node kind id of one grammar.
pub(crate) struct Reach {
    /// A symbols pattern starts at nodes of this kind.
    pub(crate) root: Vec<bool>,
    /// A subtree of this kind can contain a node of a `root` kind.
    pub(crate) holds: Vec<bool>,
}

/// The grammar's `node-types.json`.
fn node_types(lang: Lang) -> &'static str {
    match lang {
        Lang::Rust => tree_sitter_rust::NODE_TYPES,
        Lang::Python => tree_sitter_python::NODE_TYPES,
        Lang::JavaScript => tree_sitter_javascript::NODE_TYPES,
        Lang::TypeScript => tree_sitter_typescript::TYPESCRIPT_NODE_TYPES,
        Lang::Tsx => tree_sitter_typescript::TSX_NODE_TYPES,
        Lang::Go => tree_sitter_go::NODE_TYPES,
        Lang::C => tree_sitter_c::NODE_TYPES,
        Lang::Cpp => tree_sitter_cpp::NODE_TYPES,
        Lang::Java => tree_sitter_java::NODE_TYPES,
        Lang::Ruby => tree_sitter_ruby::NODE_TYPES,
        Lang::Bash => tree_sitter_bash::NODE_TYPES,
    }
}

type Kind = (String, bool);

/// The root node kind of each pattern: the name after the pattern's opening parenthesis, or
/// after `((` for a single node grouped with its predicates. `Err` for a pattern that starts
/// any other way (alternation, wildcard, anonymous node, a sequence of siblings).
fn pattern_roots(query: &Query, source: &str) -> Result<HashSet<String>, String> {
    let mut roots = HashSet::new();
    for pattern in 0..query.pattern_count() {
        if !query.is_pattern_rooted(pattern) || query.is_pattern_non_local(pattern) {
            return Err(format!("pattern {pattern} has no single root node"));
        }
        let text = source.get(query.start_byte_for_pattern(pattern)..).unwrap_or_default();
        let mut rest = text.trim_start().strip_prefix('(').ok_or_else(|| format!("pattern {pattern} does not start with a node"))?;
        // `((node ...) @capture (#predicate ...))`: a rooted, local pattern, so one node.
        while let Some(inner) = rest.trim_start().strip_prefix('(') {
            rest = inner;
        }
        let name: String = rest.trim_start().chars().take_while(|c| c.is_ascii_alphanumeric() || *c == '_').collect();
        if name.is_empty() || name == "_" {
            return Err(format!("pattern {pattern} starts with a wildcard"));
        }
        roots.insert(name);
    }
    Ok(roots)
}

/// What the node types say about a grammar.
struct NodeTypes {
    /// For each named or anonymous kind, the kinds that can be its children (fields and plain
    /// children, supertypes expanded to their subtypes).
    children: HashMap<Kind, HashSet<Kind>>,
    /// The supertypes (hidden kinds that stand for any of their subtypes).
    supertypes: HashSet<Kind>,
    /// The root kind (`"root": true`).
    root: Option<Kind>,
}

fn parse_node_types(json: &str) -> Result<NodeTypes, String> {
    let entries: Vec<serde_json::Value> = serde_json::from_str(json).map_err(|e| format!("node types: {e}"))?;
    let kind_of = |v: &serde_json::Value| -> Option<Kind> { Some((v.get("type")?.as_str()?.to_owned(), v.get("named")?.as_bool()?)) };
    let mut subtypes: HashMap<Kind, Vec<Kind>> = HashMap::new();
    let mut direct: HashMap<Kind, Vec<Kind>> = HashMap::new();
    let mut root = None;
    for entry in &entries {
        let Some(kind) = kind_of(entry) else { continue };
        if entry.get("root").and_then(|r| r.as_bool()) == Some(true) {
            root = Some(kind.clone());
        }
        if let Some(subs) = entry.get("subtypes").and_then(|s| s.as_array()) {
            subtypes.insert(kind.clone(), subs.iter().filter_map(kind_of).collect());
        }
        let mut kids = Vec::new();
        let fields = entry.get("fields").and_then(|f| f.as_object()).into_iter().flat_map(|f| f.values());
        for group in fields.chain(entry.get("children")) {
            kids.extend(group.get("types").and_then(|t| t.as_array()).into_iter().flatten().filter_map(kind_of));
        }
        direct.insert(kind, kids);
    }
    // Supertypes are hidden: a child typed `_expression` is any of its (transitive) subtypes.
    let expand = |kind: &Kind| -> Vec<Kind> {
        let (mut out, mut todo, mut seen) = (Vec::new(), vec![kind.clone()], HashSet::new());
        while let Some(k) = todo.pop() {
            if !seen.insert(k.clone()) {
                continue;
            }
            match subtypes.get(&k) {
                Some(subs) => todo.extend(subs.iter().cloned()),
                None => out.push(k),
            }
        }
        out
    };
    let children = direct.iter().map(|(kind, kids)| (kind.clone(), kids.iter().flat_map(&expand).collect())).collect();
    let supertypes = subtypes.keys().cloned().collect();
    Ok(NodeTypes { children, supertypes, root })
}

/// Builds the tables for `lang`'s grammar and its compiled symbols query.
pub(crate) fn reach(lang: Lang, query: &Query, source: &str) -> Result<Reach, String> {
    let roots = pattern_roots(query, source)?;
    let types = parse_node_types(node_types(lang))?;
    let children = &types.children;
    for root in &roots {
        let kind = (root.clone(), true);
        if types.supertypes.contains(&kind) {
            return Err(format!("pattern root `{root}` is a supertype; name its subtypes"));
        }
        if !children.contains_key(&kind) {
            return Err(format!("pattern root `{root}` is not a node kind of the grammar"));
        }
    }
    // Every kind that can reach a root kind, walking the child relation backwards from them.
    let mut parents: HashMap<&Kind, Vec<&Kind>> = HashMap::new();
    for (kind, kids) in children {
        for kid in kids {
            parents.entry(kid).or_default().push(kind);
        }
    }
    let mut holds: HashSet<&Kind> = HashSet::new();
    let mut todo: Vec<&Kind> = parents.keys().copied().filter(|k| k.1 && roots.contains(&k.0)).collect();
    while let Some(kind) = todo.pop() {
        for parent in parents.get(kind).into_iter().flatten() {
            if holds.insert(parent) {
                todo.push(parent);
            }
        }
    }
    // Kinds no node lists as a child, other than the root, are extras (comments, Ruby's
    // heredoc bodies): they can sit under any node. If one can hold a root kind, so can every
    // node that has children at all.
    let floating_holds = children
        .keys()
        .filter(|k| Some(*k) != types.root.as_ref() && !parents.contains_key(k))
        .any(|k| holds.contains(k) || (k.1 && roots.contains(&k.0)));
    let language: Language = lang.language();
    let count = language.node_kind_count();
    // Kinds the node types do not describe (ERROR, hidden rules, nameless ids) are always entered.
    let (mut root, mut hold) = (vec![false; count], vec![true; count]);
    for id in 0..count {
        let id16 = id as u16;
        let Some(name) = language.node_kind_for_id(id16) else { continue };
        let named = language.node_kind_is_named(id16);
        let kind = (name.to_owned(), named);
        root[id] = named && language.node_kind_is_visible(id16) && roots.contains(name);
        if let Some(kids) = children.get(&kind) {
            hold[id] = holds.contains(&kind) || (floating_holds && !kids.is_empty());
        }
    }
    Ok(Reach { root, holds: hold })
}
