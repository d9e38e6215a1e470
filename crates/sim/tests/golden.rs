//! The NDJSON trace is a contract (docs/trace-format.md): every existing kind and field stays
//! as it is. This test pins the trace of every example scenario (`examples/*.json`, every
//! system) by its length and an FNV-1a hash of its bytes, in `tests/golden/traces.txt`.
//!
//! A change that alters any line of any example's trace fails here. When the change is meant
//! (a new kind or field, which extends the contract; a bug fix that changes a run), look at the
//! differences (`raftlab run --trace` before and after), say so in the commit, and write the
//! new figures with `RAFTLAB_BLESS=1 cargo test -p raftlab-sim --test golden`.

use raftlab_sim::run::run;
use raftlab_sim::Scenario;
use std::cell::RefCell;
use std::fmt::Write as _;
use std::path::Path;
use std::rc::Rc;

const GOLDEN: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/traces.txt");

fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, &b| {
        (h ^ b as u64).wrapping_mul(0x0100_0000_01b3)
    })
}

/// One line per example: its file name, how many trace lines and bytes, and the hash.
fn figures() -> String {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/")
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 20,
        "the examples are there ({})",
        files.len()
    );
    let mut out = String::new();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let scenario = Scenario::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", file.display()));
        let trace = Rc::new(RefCell::new(String::new()));
        let sink = trace.clone();
        run(
            &scenario,
            Some(Box::new(move |e| {
                let mut s = sink.borrow_mut();
                s.push_str(&e.to_json());
                s.push('\n');
            })),
            false,
        );
        let trace = trace.borrow();
        let name = file.file_name().unwrap().to_string_lossy().into_owned();
        writeln!(
            out,
            "{name} lines={} bytes={} fnv1a={:016x}",
            trace.lines().count(),
            trace.len(),
            fnv1a(trace.as_bytes())
        )
        .unwrap();
    }
    out
}

#[test]
fn every_example_trace_is_unchanged() {
    let now = figures();
    if std::env::var_os("RAFTLAB_BLESS").is_some() {
        std::fs::write(GOLDEN, &now).unwrap();
        return;
    }
    let golden = std::fs::read_to_string(GOLDEN).unwrap_or_default();
    let changed: Vec<String> = now
        .lines()
        .filter(|l| !golden.lines().any(|g| g == *l))
        .map(|l| {
            let name = l.split(' ').next().unwrap();
            let was = golden
                .lines()
                .find(|g| g.split(' ').next() == Some(name))
                .unwrap_or("(not pinned)");
            format!("  {l}\n    was {was}")
        })
        .collect();
    let gone: Vec<&str> = golden
        .lines()
        .filter(|g| {
            !now.lines()
                .any(|l| l.split(' ').next() == g.split(' ').next())
        })
        .collect();
    assert!(
        changed.is_empty() && gone.is_empty(),
        "example traces differ from tests/golden/traces.txt (the trace is a contract; see this \
         file's header):\n{}\n  no longer there: {gone:?}",
        changed.join("\n")
    );
}
