//! Shared helpers for the benchmark binaries: percentiles and a generated Rust source file.
//! Benchmarks print figures; they never assert timings (machines here are noisy).

use std::time::Duration;

/// The p-th percentile (0..=100) of sorted durations.
pub fn percentile(sorted: &[Duration], p: f64) -> Duration {
    if sorted.is_empty() {
        return Duration::ZERO;
    }
    let rank = ((p / 100.0) * (sorted.len() - 1) as f64).round() as usize;
    sorted[rank.min(sorted.len() - 1)]
}

/// A realistic Rust file of about `lines` lines: structs, impls, functions with bodies.
pub fn rust_source(lines: usize) -> String {
    let mut out = String::from("//! Generated benchmark input.\nuse std::collections::HashMap;\n\n");
    let mut i = 0;
    while out.lines().count() < lines {
        out.push_str(&format!(
            "/// Item {i}.\npub struct Item{i} {{\n    pub id: u64,\n    pub name: String,\n    pub tags: Vec<String>,\n}}\n\n\
impl Item{i} {{\n    pub fn new(id: u64) -> Self {{\n        Item{i} {{ id, name: format!(\"item-{{}}\", id), tags: Vec::new() }}\n    }}\n\n\
    pub fn score(&self, weights: &HashMap<String, f64>) -> f64 {{\n        let mut total = 0.0;\n        for tag in &self.tags {{\n            if let Some(w) = weights.get(tag) {{\n                total += w * (self.id as f64 + {i}.0);\n            }}\n        }}\n        total\n    }}\n}}\n\n"
        ));
        i += 1;
    }
    out
}

/// A realistic Python file of about `lines` lines: classes with methods, module constants.
/// Every method body line starts with an identifier at column 8 (`total`, `self`), so typing
/// letters there keeps the file valid.
pub fn python_source(lines: usize) -> String {
    let mut out = String::from("\"\"\"Generated benchmark input.\"\"\"\nimport math\n\n");
    let mut i = 0;
    let mut count = 3;
    while count < lines {
        let item = format!(
            "class Item{i}:\n    KIND = \"item{i}\"\n\n    def __init__(self, ident):\n        self.ident = ident\n        self.name = \"item-%d\" % ident\n        self.tags = []\n\n\
    def score(self, weights):\n        total = 0.0\n        total = total + sum(weights.get(t, 0.0) for t in self.tags)\n        total = math.fsum([total, {i}.0])\n        return total\n\n\nMAX_{i} = {i}\n\n\n"
        );
        count += item.lines().count();
        out.push_str(&item);
        i += 1;
    }
    out
}
