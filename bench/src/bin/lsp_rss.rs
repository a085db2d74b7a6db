//! RSS of the real server after indexing a workspace: starts `codeloop lsp` on a directory
//! (default: a generated tree of 10,000 files), waits for the initial index to finish, reads
//! the peak and the idle RSS from /proc, then shuts down.
//! Run: cargo build --release -p cli && CODELOOP_BIN=target/release/codeloop \
//!      cargo run --release -p bench --bin lsp_rss [DIR]

use serde_json::{json, Value};
use std::time::{Duration, Instant};
use tests::LspClient;

fn generate(root: &std::path::Path, files: usize) {
    for i in 0..files {
        let dir = root.join(format!("pkg{}", i / 100));
        std::fs::create_dir_all(&dir).expect("dir");
        let body = match i % 4 {
            0 => format!("pub struct S{i} {{ a: u32 }}\nimpl S{i} {{\n    pub fn get(&self) -> u32 {{ self.a }}\n    pub fn set(&mut self, a: u32) {{ self.a = a }}\n}}\npub fn helper_{i}() {{}}\n"),
            1 => format!("class C{i}:\n    def run(self):\n        return {i}\n\n    def stop(self):\n        pass\n\ndef helper_{i}():\n    pass\n"),
            2 => format!("export class C{i} {{\n  run(): number {{ return {i}; }}\n}}\nexport function helper{i}(): void {{}}\nexport const LIMIT_{i} = {i};\n"),
            _ => format!("package pkg\n\ntype T{i} struct {{ A int }}\n\nfunc (t *T{i}) Run() int {{ return t.A }}\n\nfunc Helper{i}() {{}}\n"),
        };
        let ext = ["rs", "py", "ts", "go"][i % 4];
        std::fs::write(dir.join(format!("f{i}.{ext}")), body).expect("write");
    }
}

fn status(pid: u32, key: &str) -> u64 {
    let s = std::fs::read_to_string(format!("/proc/{pid}/status")).unwrap_or_default();
    s.lines().find(|l| l.starts_with(key)).and_then(|l| l[key.len()..].trim().trim_end_matches("kB").trim().parse().ok()).unwrap_or(0)
}

fn main() {
    let arg = std::env::args().nth(1);
    let tmp = std::env::temp_dir().join(format!("codeloop-rss-{}", std::process::id()));
    let root = match &arg {
        Some(d) => std::path::PathBuf::from(d),
        None => {
            generate(&tmp.join("ws"), 10_000);
            tmp.join("ws")
        }
    };
    let cache = tmp.join("cache");
    let mut c = LspClient::spawn(&cache, &[("CODELOOP_LOG", "warn")]);
    let pid = c.pid();
    let start = Instant::now();
    c.initialize(&root, json!({"window": {"workDoneProgress": true}}), Value::Null);
    let end = c.wait_notification("$/progress", |p| p["value"]["kind"] == "end");
    let took = start.elapsed();
    std::thread::sleep(Duration::from_secs(2));
    let (rss, peak) = (status(pid, "VmRSS:"), status(pid, "VmHWM:"));
    println!("workspace: {}", root.display());
    println!("index: {} in {:.2}s", end["value"]["message"], took.as_secs_f64());
    println!("idle RSS after indexing: {:.1} MB, peak RSS: {:.1} MB", rss as f64 / 1024.0, peak as f64 / 1024.0);
    c.shutdown();
    let _ = std::fs::remove_dir_all(&tmp);
}
