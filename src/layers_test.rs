//! The page's modules form layers with no import cycle (docs/architecture.md, "The page's
//! layers"): every `crate::name` path in a top-level module's files (`src/name.rs` or
//! `src/name/`) counts as a use of `name`, and the graph of uses has no cycle. The model and
//! the state, which native tests run, use nothing of the browser side.

use std::collections::{BTreeMap, BTreeSet};
use std::path::Path;

/// Each top-level module and the other top-level modules its files name.
fn uses() -> BTreeMap<String, BTreeSet<String>> {
    fn files(dir: &Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).unwrap() {
            let path = entry.unwrap().path();
            if path.is_dir() {
                files(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut all = Vec::new();
    files(&src, &mut all);
    let mut graph: BTreeMap<String, BTreeSet<String>> = BTreeMap::new();
    for path in all {
        let rel = path.strip_prefix(&src).unwrap();
        let top = rel.iter().next().unwrap().to_string_lossy();
        let top = top.trim_end_matches(".rs").to_string();
        if top == "main" || top.ends_with("_test") {
            continue;
        }
        let text = std::fs::read_to_string(&path).unwrap();
        let used = graph.entry(top.clone()).or_default();
        for (i, _) in text.match_indices("crate::") {
            let name: String = text[i + 7..]
                .chars()
                .take_while(|c| c.is_ascii_lowercase() || *c == '_')
                .collect();
            if !name.is_empty() && name != top {
                used.insert(name);
            }
        }
    }
    graph
}

#[test]
fn the_pages_modules_have_no_import_cycle() {
    let graph = uses();
    assert!(graph.len() > 10, "modules found: {graph:?}");
    // Depth-first search; a module met again on the current path closes a cycle.
    fn visit(
        name: &str,
        graph: &BTreeMap<String, BTreeSet<String>>,
        path: &mut Vec<String>,
        done: &mut BTreeSet<String>,
    ) {
        if let Some(at) = path.iter().position(|p| p == name) {
            panic!("import cycle: {} -> {name}", path[at..].join(" -> "));
        }
        if !done.insert(name.to_string()) {
            return;
        }
        path.push(name.to_string());
        for next in graph.get(name).into_iter().flatten() {
            visit(next, graph, path, done);
        }
        path.pop();
    }
    let mut done = BTreeSet::new();
    for name in graph.keys() {
        visit(name, &graph, &mut Vec::new(), &mut done);
    }
}

#[test]
fn the_model_and_the_state_stay_native() {
    let graph = uses();
    let lower = |m: &str| graph[m].iter().cloned().collect::<Vec<_>>();
    assert_eq!(lower("model"), ["geometry"]);
    assert_eq!(lower("state"), ["geometry", "model"]);
    assert!(lower("geometry").is_empty() && lower("diagram") == ["geometry"]);
}
