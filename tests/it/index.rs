//! The workspace index over LSP: progress percentages, .gitignore, persistence across
//! restarts, and freshness from didChangeWatchedFiles and didSave.

use super::*;

fn fixture(name: &str) -> TempWorkspace {
    let mut files = String::from("//- /.gitignore\nignored/\n//- /ignored/secret.py\ndef hidden_function():\n    pass\n");
    for i in 0..40 {
        files.push_str(&format!(
            "//- /pkg/mod{i}.py\ndef function_{i}():\n    return {i}\n\nclass Model{i}:\n    def method_{i}(self):\n        pass\n"
        ));
    }
    // `ignore` honours .gitignore only inside a git repository.
    let ws = TempWorkspace::with_fixture(name, &files);
    std::fs::create_dir_all(ws.path(".git")).unwrap();
    ws
}

#[test]
fn initial_index_reports_progress_and_respects_gitignore() {
    let ws = fixture("progress");
    let mut c = start(&ws, Value::Null);
    let summary = wait_indexed(&mut c);
    assert!(summary.contains("40 files"), "{summary}");
    // The server created the token, began at 0 % and reported percentages up to the end.
    let create = c.log.iter().find(|m| m["method"] == "window/workDoneProgress/create").cloned().expect("create");
    assert_eq!(create["params"]["token"], "codeloop/index");
    let values: Vec<Value> = c.log.iter().filter(|m| m["method"] == "$/progress").map(|m| m["params"]["value"].clone()).collect();
    assert_eq!(values[0]["kind"], "begin");
    assert_eq!(values[0]["percentage"], 0);
    let pcts: Vec<u64> = values.iter().filter(|v| v["kind"] == "report").filter_map(|v| v["percentage"].as_u64()).collect();
    assert!(pcts.windows(2).all(|w| w[0] <= w[1]) && pcts.iter().all(|p| *p <= 100), "{pcts:?}");
    let hits = c.request("workspace/symbol", json!({"query": "hidden_function"})).unwrap();
    assert_eq!(hits, json!([]), "files under a .gitignore'd directory are not indexed");
    let hits = c.request("workspace/symbol", json!({"query": "method_17"})).unwrap();
    assert_eq!(hits[0]["name"], "method_17");
    assert_eq!(hits[0]["containerName"], "Model17");
    c.shutdown();
}

#[test]
fn restart_reuses_the_persisted_cache() {
    let ws = fixture("persist");
    let mut c = start(&ws, Value::Null);
    let first = wait_indexed(&mut c);
    assert!(first.contains("40 parsed"), "{first}");
    c.shutdown();

    ws.write("pkg/mod3.py", "def renamed_function():\n    pass\n");
    let mut c = start(&ws, Value::Null);
    let second = wait_indexed(&mut c);
    assert!(second.contains("1 parsed, 39 from cache"), "{second}");
    let hits = c.request("workspace/symbol", json!({"query": "renamed_function"})).unwrap();
    assert_eq!(hits[0]["name"], "renamed_function");
    let hits = c.request("workspace/symbol", json!({"query": "function_3"})).unwrap();
    assert!(!hits.as_array().unwrap().iter().any(|h| h["name"] == "function_3"), "{hits:#}");
    c.shutdown();
}

#[test]
fn watched_file_changes_and_saves_keep_the_index_fresh() {
    let ws = fixture("watch");
    let mut c = start(&ws, Value::Null);
    wait_indexed(&mut c);
    let reg = c.log.iter().find(|m| m["method"] == "client/registerCapability").cloned().expect("watchers registered");
    assert_eq!(reg["params"]["registrations"][0]["method"], "workspace/didChangeWatchedFiles");

    ws.write("pkg/new_file.go", "package pkg\n\nfunc BrandNew() {}\n");
    std::fs::remove_file(ws.path("pkg/mod5.py")).unwrap();
    c.notify(
        "workspace/didChangeWatchedFiles",
        json!({"changes": [
            {"uri": tests::file_uri(&ws.path("pkg/new_file.go")), "type": 1},
            {"uri": tests::file_uri(&ws.path("pkg/mod5.py")), "type": 3},
        ]}),
    );
    let ok = (0..100).any(|_| {
        let a = c.request("workspace/symbol", json!({"query": "BrandNew"})).unwrap();
        let b = c.request("workspace/symbol", json!({"query": "Model5"})).unwrap();
        let done =
            a.as_array().unwrap().iter().any(|h| h["name"] == "BrandNew") && !b.as_array().unwrap().iter().any(|h| h["name"] == "Model5");
        if !done {
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        done
    });
    assert!(ok, "created file indexed and deleted file dropped");

    // didSave of a file that is not open re-reads it from disk.
    ws.write("pkg/mod7.py", "def saved_function():\n    pass\n");
    c.notify("textDocument/didSave", json!({"textDocument": {"uri": tests::file_uri(&ws.path("pkg/mod7.py"))}}));
    let hits = c.request("workspace/symbol", json!({"query": "saved_function"})).unwrap();
    assert_eq!(hits[0]["name"], "saved_function");
    c.shutdown();
}
