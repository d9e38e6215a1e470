//! The `raftlab` command line: exit codes (0 ok, 1 violation, 2 bad input), messages, the
//! trace option, overrides, fuzzing with reproducers, and help.

use raftlab_raft::Bugs;
use raftlab_sim::fuzz::{fuzz_one, FuzzOptions};
use serde_json::Value;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};

const GOOD: &str = r#"{
  "version": 1,
  "seed": 42,
  "nodes": 5,
  "until_ms": 3000,
  "config": {"election_timeout_ms": [150, 300], "heartbeat_ms": 50, "latency_ms": [10, 15]},
  "events": [
    {"at_ms": 1000, "do": "crash", "node": 1},
    {"at_ms": 1200, "do": "partition", "groups": [[1, 2], [3, 4, 5]]},
    {"at_ms": 1500, "do": "client_write", "node": 3, "key": "x", "value": "2"},
    {"at_ms": 1600, "do": "client_write", "key": "y", "value": "3"},
    {"at_ms": 2000, "do": "heal"},
    {"at_ms": 2100, "do": "restart", "node": 1}
  ]
}"#;

/// What a run of the binary produced.
struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

impl std::fmt::Debug for Ran {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "exit {}\n--- stdout ---\n{}\n--- stderr ---\n{}",
            self.code,
            tail(&self.stdout),
            tail(&self.stderr)
        )
    }
}

fn tail(s: &str) -> &str {
    let mut start = s.len().saturating_sub(3000);
    while !s.is_char_boundary(start) {
        start += 1;
    }
    &s[start..]
}

fn finish(out: Output) -> Ran {
    let ran = Ran {
        code: out.status.code().expect("exited normally, not by a signal"),
        stdout: String::from_utf8(out.stdout).expect("UTF-8 stdout"),
        stderr: String::from_utf8(out.stderr).expect("UTF-8 stderr"),
    };
    assert!(
        !ran.stderr.contains("panicked") && !ran.stdout.contains("panicked"),
        "the binary panicked: {ran:?}"
    );
    ran
}

fn command(args: &[&str]) -> Command {
    let mut c = Command::new(env!("CARGO_BIN_EXE_raftlab"));
    c.args(args)
        // Anything the binary writes by default (e.g. fuzz-failures/) lands in the temp dir.
        .current_dir(std::env::temp_dir())
        .env_remove("RUST_BACKTRACE");
    c
}

fn raftlab(args: &[&str]) -> Ran {
    finish(
        command(args)
            .stdin(Stdio::null())
            .output()
            .expect("run raftlab"),
    )
}

fn raftlab_with_stdin(args: &[&str], input: &str) -> Ran {
    let mut child = command(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run raftlab");
    let mut stdin = child.stdin.take().unwrap();
    let input = input.to_string();
    let writer = std::thread::spawn(move || {
        let _ = stdin.write_all(input.as_bytes());
    });
    let out = child.wait_with_output().expect("wait for raftlab");
    writer.join().unwrap();
    finish(out)
}

/// A fresh path under the temp dir, unique across tests and test processes.
fn temp_path(name: &str) -> PathBuf {
    static NEXT: AtomicU64 = AtomicU64::new(0);
    std::env::temp_dir().join(format!(
        "raftlab-cli-test-{}-{}-{name}",
        std::process::id(),
        NEXT.fetch_add(1, Ordering::Relaxed)
    ))
}

/// A temp file (or directory) removed when dropped.
struct Temp(PathBuf);

impl Temp {
    fn file(name: &str, contents: &str) -> Temp {
        let path = temp_path(name);
        std::fs::write(&path, contents).expect("write temp file");
        Temp(path)
    }
    fn dir(name: &str) -> Temp {
        let path = temp_path(name);
        std::fs::create_dir_all(&path).expect("create temp dir");
        Temp(path)
    }
    fn unused(name: &str) -> Temp {
        Temp(temp_path(name))
    }
    fn s(&self) -> &str {
        self.0.to_str().expect("UTF-8 temp path")
    }
}

impl Drop for Temp {
    fn drop(&mut self) {
        if self.0.is_dir() {
            let _ = std::fs::remove_dir_all(&self.0);
        } else {
            let _ = std::fs::remove_file(&self.0);
        }
    }
}

fn ndjson(text: &str) -> Vec<Value> {
    text.lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("not JSON: {l:?}: {e}")))
        .collect()
}

/// Asserts that the last `nodes` lines are the `final` lines of nodes 1..=nodes.
fn assert_ends_with_finals(lines: &[Value], nodes: usize) {
    assert!(lines.len() > nodes);
    for (k, line) in lines[lines.len() - nodes..].iter().enumerate() {
        assert_eq!(line["kind"], "final", "{line}");
        assert_eq!(line["node"].as_u64(), Some(k as u64 + 1), "{line}");
        for field in ["term", "role", "alive", "commit_index", "log"] {
            assert!(
                line.get(field).is_some(),
                "final line without {field}: {line}"
            );
        }
    }
    assert_ne!(lines[lines.len() - nodes - 1]["kind"], "final");
}

/// Asserts exit code 2 and a `raftlab: error:` or clap `error:` message containing every
/// needle.
#[track_caller]
fn assert_bad_input(ran: &Ran, needles: &[&str]) {
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("error: "), "{ran:?}");
    for n in needles {
        assert!(
            ran.stderr.contains(n),
            "stderr should mention {n:?}: {ran:?}"
        );
    }
    assert!(
        ran.stdout.is_empty(),
        "nothing on stdout for bad input: {ran:?}"
    );
}

// ---------------------------------------------------------------------------------------------
// run
// ---------------------------------------------------------------------------------------------

#[test]
fn run_prints_a_summary() {
    let file = Temp::file("good.json", GOOD);
    let ran = raftlab(&["run", file.s()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let out = &ran.stdout;
    assert!(
        out.starts_with(&format!(
            "{}: seed 42, 5 nodes, 6 actions, 3000 ms simulated, ",
            file.s()
        )),
        "{ran:?}"
    );
    assert!(out.contains("\nleader: S"), "{ran:?}");
    assert!(out.contains(" in term "), "{ran:?}");
    assert!(
        out.contains("node  state      term  commit  log\n"),
        "{ran:?}"
    );
    for n in 1..=5 {
        assert!(out.contains(&format!("\nS{n} ")), "row for S{n}: {ran:?}");
    }
    assert!(out.contains("safety: no violation"), "{ran:?}");
    assert!(!out.contains("VIOLATIONS"), "{ran:?}");
    assert!(ran.stderr.is_empty(), "{ran:?}");
}

/// An example file of the repository.
fn example(name: &str) -> String {
    format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"))
}

#[test]
fn run_summarizes_a_quorum_run_per_replica_with_its_quorum_setting() {
    let file = example("quorum-lww-skew.json");
    let ran = raftlab(&["run", &file]);
    // LWW with a skewed clock loses an acknowledged write: the run fails.
    assert_eq!(ran.code, 1, "{ran:?}");
    let out = &ran.stdout;
    assert!(out.contains("\nsystem: quorum\n"), "{ran:?}");
    assert!(
        out.contains("\nquorums: R + W > N (2 + 2 > 3): every read quorum meets"),
        "{ran:?}"
    );
    for n in 1..=3 {
        assert!(out.contains(&format!("\nS{n} replica: x=")), "{ran:?}");
    }
    assert!(!out.contains("node  state"), "no Raft table: {ran:?}");
    assert!(out.contains("VIOLATIONS: 2\n  acked_write_lost"), "{ran:?}");
    // The reads verdict, without the Raft read modes' words.
    assert!(
        out.contains("reads: the history with every read is NOT linearizable: key x"),
        "{ran:?}"
    );
    assert!(!out.contains("ReadIndex"), "{ran:?}");
}

#[test]
fn run_summarizes_a_lease_run_per_role_and_a_safe_quorum_run() {
    let ran = raftlab(&["run", &example("lease-pause.json")]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let out = &ran.stdout;
    assert!(out.contains("\nsystem: lease\n"), "{ran:?}");
    assert!(out.contains("\nS1 store: holder S"), "{ran:?}");
    assert!(out.contains("\nS2 candidate: "), "{ran:?}");
    assert!(out.contains("\nS4 resource: "), "{ran:?}");
    assert!(
        out.contains("two_leaders_act_at_once (Kleppmann 2016)"),
        "{ran:?}"
    );
    assert!(!out.contains("quorums:"), "{ran:?}");

    let safe = Temp::file(
        "safe-quorum.json",
        r#"{"version": 1, "seed": 4, "nodes": 3, "until_ms": 2000, "system": "quorum",
            "quorum": {"write_quorum": 2, "read_quorum": 1},
            "events": [{"at_ms": 300, "do": "client_write", "key": "k", "value": "v"}]}"#,
    );
    let ran = raftlab(&["run", safe.s()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout
            .contains("\nquorums: R + W <= N (1 + 2 <= 3): a read may ask only replicas"),
        "{ran:?}"
    );
    assert!(
        ran.stdout
            .contains("safety: no violation (acknowledged write lost;"),
        "{ran:?}"
    );
}

#[test]
fn trace_to_a_file() {
    let file = Temp::file("good.json", GOOD);
    let trace = Temp::unused("trace.ndjson");
    let ran = raftlab(&["run", file.s(), "--trace", trace.s()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.contains("leader: "),
        "summary on stdout: {ran:?}"
    );
    let text = std::fs::read_to_string(&trace.0).expect("trace written");
    assert!(text.ends_with('\n'));
    let lines = ndjson(&text);
    assert_ends_with_finals(&lines, 5);
    let mut last = 0;
    for l in &lines {
        let t = l["t_us"].as_u64().expect("integer t_us");
        assert!(t >= last, "{l}");
        last = t;
        assert!(l["kind"].is_string(), "{l}");
    }
    assert_eq!(last, 3_000_000);
    // The same run again writes the same bytes.
    let trace2 = Temp::unused("trace2.ndjson");
    assert_eq!(raftlab(&["run", file.s(), "--trace", trace2.s()]).code, 0);
    assert_eq!(std::fs::read(&trace2.0).unwrap(), text.as_bytes());
}

#[test]
fn trace_to_stdout_moves_the_summary_to_stderr() {
    let file = Temp::file("good.json", GOOD);
    let ran = raftlab(&["run", file.s(), "--trace", "-"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let lines = ndjson(&ran.stdout);
    assert_ends_with_finals(&lines, 5);
    assert!(ran.stderr.contains("leader: "), "{ran:?}");
    assert!(ran.stderr.contains("safety: no violation"), "{ran:?}");
    // Same bytes as a trace file.
    let trace = Temp::unused("trace.ndjson");
    assert_eq!(raftlab(&["run", file.s(), "--trace", trace.s()]).code, 0);
    assert_eq!(std::fs::read_to_string(&trace.0).unwrap(), ran.stdout);
}

#[test]
fn seed_override() {
    let file = Temp::file("good.json", GOOD);
    let original = raftlab(&["run", file.s(), "--trace", "-"]);
    let seven = raftlab(&["run", file.s(), "--seed", "7", "--trace", "-"]);
    assert_eq!(seven.code, 0, "{seven:?}");
    assert!(seven.stderr.contains(": seed 7, 5 nodes"), "{seven:?}");
    assert_ne!(original.stdout, seven.stdout, "the seed changes the run");
    // --seed 7 is the same as writing seed 7 in the file.
    let file7 = Temp::file("seed7.json", &GOOD.replace("\"seed\": 42", "\"seed\": 7"));
    let written = raftlab(&["run", file7.s(), "--trace", "-"]);
    assert_eq!(written.stdout, seven.stdout);
    // The largest seed is accepted.
    let max = raftlab(&["run", file.s(), "--seed", "18446744073709551615"]);
    assert_eq!(max.code, 0, "{max:?}");
    assert!(max.stdout.contains("seed 18446744073709551615"), "{max:?}");
}

#[test]
fn until_override() {
    let file = Temp::file("good.json", GOOD);
    let ran = raftlab(&["run", file.s(), "--until-ms", "1300", "--trace", "-"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let lines = ndjson(&ran.stdout);
    let last = lines
        .iter()
        .map(|l| l["t_us"].as_u64().unwrap())
        .max()
        .unwrap();
    assert!(last <= 1_300_000, "trace goes to {last} us");
    assert_eq!(lines.last().unwrap()["t_us"].as_u64(), Some(1_300_000));
    assert!(ran.stderr.contains("1300 ms simulated"), "{ran:?}");
    // Actions after the new end do not happen: no heal (at 2000 ms).
    assert!(lines.iter().all(|l| l["kind"] != "heal"));
    // Longer than the file says works too.
    let ran = raftlab(&["run", file.s(), "--until-ms", "4000"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("4000 ms simulated"), "{ran:?}");
}

#[test]
fn scenario_from_stdin() {
    let ran = raftlab_with_stdin(&["run", "-"], GOOD);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.starts_with("-: seed 42, 5 nodes"), "{ran:?}");
    assert!(ran.stdout.contains("safety: no violation"), "{ran:?}");
    // Same run as from a file.
    let file = Temp::file("good.json", GOOD);
    let from_file = raftlab(&["run", file.s()]);
    let strip = |s: &str| s.split_once(": seed").unwrap().1.to_string();
    assert_eq!(strip(&ran.stdout), strip(&from_file.stdout));

    let bad = raftlab_with_stdin(&["run", "-"], "{\"version\": 1, \"nodes\": 99}");
    assert_bad_input(&bad, &["-: nodes: a cluster has 1 to 9 nodes (found 99)"]);
    let empty = raftlab_with_stdin(&["run", "-"], "");
    assert_bad_input(&empty, &["not valid JSON"]);
}

/// A campaign that breaks a property when `skip_vote_log_check` is on.
fn violating_scenario() -> String {
    let options = FuzzOptions {
        until_us: 3_000_000,
        liveness_us: 3_000_000,
        bugs: Bugs {
            skip_vote_log_check: true,
            ..Bugs::default()
        },
        ..FuzzOptions::default()
    };
    for seed in 0..500 {
        if let Err(failure) = fuzz_one(seed, &options) {
            return failure.0.to_pretty();
        }
    }
    panic!("no campaign in 500 seeds broke a property with skip_vote_log_check");
}

#[test]
fn violations_exit_1() {
    let text = violating_scenario();
    assert!(
        text.contains("\"bugs\":[\"skip_vote_log_check\"]"),
        "{text}"
    );
    let file = Temp::file("violating.json", &text);
    let ran = raftlab(&["run", file.s()]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stdout.contains("\nVIOLATIONS: "), "{ran:?}");
    assert!(!ran.stdout.contains("safety: no violation"), "{ran:?}");
    // The violation names a property and its section.
    let first = ran
        .stdout
        .split_once("VIOLATIONS: ")
        .unwrap()
        .1
        .lines()
        .nth(1)
        .unwrap()
        .trim();
    assert!(first.contains(" (section "), "{first}");
    // The trace carries violation lines too.
    let traced = raftlab(&["run", file.s(), "--trace", "-"]);
    assert_eq!(traced.code, 1, "{traced:?}");
    let lines = ndjson(&traced.stdout);
    let v = lines
        .iter()
        .find(|l| l["kind"] == "violation")
        .expect("a violation line");
    assert!(
        first.starts_with(v["property"].as_str().unwrap()),
        "{v} vs {first}"
    );
    assert!(
        first.ends_with(v["detail"].as_str().unwrap()),
        "{v} vs {first}"
    );
    assert!(traced.stderr.contains("VIOLATIONS: "), "{traced:?}");
}

// ---------------------------------------------------------------------------------------------
// Bad input
// ---------------------------------------------------------------------------------------------

#[test]
fn missing_file() {
    let missing = Temp::unused("missing.json");
    let ran = raftlab(&["run", missing.s()]);
    assert_bad_input(&ran, &["raftlab: error: cannot read ", missing.s()]);
}

#[test]
fn directory_as_file() {
    let dir = Temp::dir("a-dir");
    let ran = raftlab(&["run", dir.s()]);
    assert_bad_input(&ran, &["raftlab: error: cannot read ", dir.s()]);
}

#[test]
fn invalid_json() {
    let file = Temp::file("invalid.json", "{\"version\": 1,\n  \"seed\": }");
    let ran = raftlab(&["run", file.s()]);
    assert_bad_input(
        &ran,
        &[
            file.s(),
            "line 2, column ",
            "not valid JSON: expected a value",
        ],
    );
    let file = Temp::file("empty.json", "");
    assert_bad_input(&raftlab(&["run", file.s()]), &["not valid JSON"]);
    let file = Temp::file("binary.json", "\u{0}\u{1}\u{2}\u{fffd}");
    assert_bad_input(&raftlab(&["run", file.s()]), &["not valid JSON"]);
}

#[test]
fn invalid_utf8_file() {
    let path = Temp::unused("latin1.json");
    std::fs::write(&path.0, b"{\"version\":1,\"seed\":\xff}").unwrap();
    let ran = raftlab(&["run", path.s()]);
    assert_bad_input(&ran, &[path.s()]);
}

#[test]
fn bad_node_number() {
    let file = Temp::file(
        "bad-node.json",
        r#"{"version":1,"nodes":3,"events":[{"at_ms":5,"do":"crash","node":4}]}"#,
    );
    let ran = raftlab(&["run", file.s()]);
    assert_bad_input(
        &ran,
        &[&format!(
            "{}: events[0].node: node 4 does not exist; the cluster has nodes 1 to 3",
            file.s()
        )],
    );
}

#[test]
fn other_scenario_errors_name_the_field() {
    for (text, needle) in [
        (r#"{"seed":1}"#, "version: missing"),
        (r#"{"version":2}"#, "version: version 2 is newer"),
        (r#"{"version":1,"nodez":3}"#, "nodez: unknown field"),
        (
            r#"{"version":1,"config":{"drop_rate":1.5}}"#,
            "config.drop_rate: must be between 0 and 1",
        ),
        (
            r#"{"version":1,"events":[{"at_ms":1,"do":"fly"}]}"#,
            "events[0].do: unknown action \"fly\"",
        ),
    ] {
        let file = Temp::file("bad.json", text);
        assert_bad_input(&raftlab(&["run", file.s()]), &[needle]);
    }
}

#[test]
fn unwritable_trace() {
    let file = Temp::file("good.json", GOOD);
    let dir = Temp::dir("trace-dir");
    let ran = raftlab(&["run", file.s(), "--trace", dir.s()]);
    assert_bad_input(&ran, &["cannot write the trace to ", dir.s()]);
    let nowhere = format!("{}/no/such/dir/trace.ndjson", dir.s());
    let ran = raftlab(&["run", file.s(), "--trace", &nowhere]);
    assert_bad_input(&ran, &["cannot write the trace to "]);
}

#[test]
fn unknown_subcommand() {
    let ran = raftlab(&["frobnicate"]);
    assert_bad_input(&ran, &["unrecognized subcommand 'frobnicate'"]);
    let ran = raftlab(&[]);
    assert_eq!(ran.code, 2, "{ran:?}");
    assert!(ran.stderr.contains("Usage: raftlab"), "{ran:?}");
    let ran = raftlab(&["run"]);
    assert_bad_input(&ran, &["<FILE>"]);
}

#[test]
fn bad_run_options() {
    let file = Temp::file("good.json", GOOD);
    let f = file.s();
    assert_bad_input(
        &raftlab(&["run", f, "--seed", "abc"]),
        &["invalid value 'abc' for '--seed <N>'"],
    );
    assert_bad_input(&raftlab(&["run", f, "--seed", "-1"]), &["'-1'"]);
    assert_bad_input(
        &raftlab(&["run", f, "--seed=-1"]),
        &["invalid value '-1' for '--seed <N>'"],
    );
    assert_bad_input(
        &raftlab(&["run", f, "--seed", "18446744073709551616"]),
        &["--seed"],
    );
    assert_bad_input(
        &raftlab(&["run", f, "--until-ms", "abc"]),
        &["\"abc\" is not a whole number of milliseconds"],
    );
    assert_bad_input(
        &raftlab(&["run", f, "--until-ms", "86400001"]),
        &["at most 86400000 ms (24 hours)"],
    );
    assert_bad_input(&raftlab(&["run", f, "--bogus"]), &["'--bogus'"]);
}

#[test]
fn bad_fuzz_options() {
    assert_bad_input(
        &raftlab(&["fuzz", "--seeds", "0"]),
        &["invalid value '0' for '--seeds <N>'"],
    );
    assert_bad_input(
        &raftlab(&["fuzz", "--nodes", "0"]),
        &["0 is not a cluster size from 1 to 9"],
    );
    assert_bad_input(
        &raftlab(&["fuzz", "--nodes", "3,x"]),
        &["\"x\" is not a number; expected a list such as 3,5,7"],
    );
    assert_bad_input(
        &raftlab(&["fuzz", "--nodes", "10"]),
        &["10 is not a cluster size from 1 to 9"],
    );
    assert_bad_input(&raftlab(&["fuzz", "--nodes", ""]), &["--nodes"]);
    assert_bad_input(
        &raftlab(&["fuzz", "--bug", "nonsense"]),
        &[
            "invalid value 'nonsense' for '--bug <NAME>'",
            "commit_previous_term",
            "skip_vote_log_check",
        ],
    );
    assert_bad_input(
        &raftlab(&["fuzz", "--liveness-ms", "0"]),
        &["--liveness-ms"],
    );
    assert_bad_input(&raftlab(&["fuzz", "--jobs", "0"]), &["--jobs"]);
}

#[test]
fn bad_bench_options() {
    assert_bad_input(
        &raftlab(&["bench", "--nodes", "0"]),
        &["invalid value '0' for '--nodes"],
    );
    assert_bad_input(&raftlab(&["bench", "--nodes", "10"]), &["--nodes"]);
    assert_bad_input(
        &raftlab(&["bench", "--sim-seconds", "0"]),
        &["--sim-seconds"],
    );
}

#[test]
fn bench_runs() {
    let ran = raftlab(&["bench", "--nodes", "3", "--sim-seconds", "1"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("checker off"), "{ran:?}");
    assert!(ran.stdout.contains("checker on "), "{ran:?}");
    assert!(ran.stdout.contains("events/s"), "{ran:?}");
    let ran = raftlab(&["bench", "--sim-seconds", "1", "--writes-per-second", "0"]);
    assert_eq!(ran.code, 0, "{ran:?}");
}

// ---------------------------------------------------------------------------------------------
// Help
// ---------------------------------------------------------------------------------------------

#[test]
fn help() {
    let top = raftlab(&["--help"]);
    assert_eq!(top.code, 0, "{top:?}");
    for word in ["run", "fuzz", "bench", "Exit codes", "--help", "--version"] {
        assert!(
            top.stdout.contains(word),
            "top-level help lacks {word}: {top:?}"
        );
    }
    let cases: [(&[&str], &[&str]); 4] = [
        (
            &["run", "--help"],
            &["<FILE>", "--seed", "--until-ms", "--trace"],
        ),
        (
            &["fuzz", "--help"],
            &[
                "--seeds",
                "--from-seed",
                "--nodes",
                "--until-ms",
                "--liveness-ms",
                "--bug",
                "--out",
                "--jobs",
            ],
        ),
        (
            &["bench", "--help"],
            &["--nodes", "--sim-seconds", "--writes-per-second"],
        ),
        (&["help", "run"], &["--seed", "--trace"]),
    ];
    for (args, words) in cases {
        let ran = raftlab(args);
        assert_eq!(ran.code, 0, "{args:?}: {ran:?}");
        for word in words {
            assert!(
                ran.stdout.contains(word),
                "{args:?} help lacks {word}: {ran:?}"
            );
        }
    }
    let v = raftlab(&["--version"]);
    assert_eq!(v.code, 0, "{v:?}");
    assert!(v.stdout.starts_with("raftlab "), "{v:?}");
}

// ---------------------------------------------------------------------------------------------
// fuzz
// ---------------------------------------------------------------------------------------------

#[test]
fn fuzz_without_bugs_finds_nothing() {
    let out = Temp::unused("fuzz-none");
    let ran = raftlab(&[
        "fuzz",
        "--seeds",
        "20",
        "--until-ms",
        "2000",
        "--out",
        out.s(),
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.contains("20 campaigns (seeds 0..=19)"),
        "{ran:?}"
    );
    assert!(ran.stdout.contains("no violation"), "{ran:?}");
    assert!(!out.0.exists(), "no reproducer directory without failures");
}

/// The `replay: raftlab run PATH` lines of a fuzz report, with the violation reported for
/// each.
fn replays(stdout: &str) -> Vec<(String, PathBuf)> {
    let mut found = Vec::new();
    let mut violation = None;
    for line in stdout.lines() {
        let line = line.trim();
        if let Some(path) = line.strip_prefix("replay: raftlab run ") {
            let v: String = violation
                .take()
                .expect("a seed line before each replay line");
            found.push((v, PathBuf::from(path)));
        } else if line.starts_with("seed ") {
            violation = Some(
                line.split_once(": ")
                    .expect("seed N: violation")
                    .1
                    .to_string(),
            );
        }
    }
    found
}

#[test]
fn fuzz_with_a_bug_writes_reproducers_that_replay() {
    let out = Temp::unused("fuzz-bug");
    let ran = raftlab(&[
        "fuzz",
        "--seeds",
        "200",
        "--bug",
        "skip_vote_log_check",
        "--out",
        out.s(),
    ]);
    assert_eq!(ran.code, 1, "{ran:?}");
    assert!(ran.stdout.contains("failing campaign(s)"), "{ran:?}");
    let found = replays(&ran.stdout);
    assert!(!found.is_empty(), "no replay lines: {ran:?}");
    assert!(found.len() <= 10, "at most 10 reproducers are listed");
    let written: Vec<_> = std::fs::read_dir(&out.0)
        .expect("reproducer directory")
        .map(|e| e.unwrap().path())
        .collect();
    assert_eq!(written.len(), found.len(), "{written:?}");
    for (violation, path) in &found {
        assert!(path.starts_with(&out.0), "{path:?}");
        assert!(path.is_file(), "{path:?} was not written");
        let name = path.file_name().unwrap().to_str().unwrap();
        assert!(
            name.starts_with("seed-") && name.ends_with(".json"),
            "{name}"
        );
        let property = violation.split(' ').next().unwrap();
        assert!(!property.is_empty());

        // Replaying the reproducer breaks the same property, at the same moment.
        let replay = raftlab(&["run", path.to_str().unwrap()]);
        assert_eq!(replay.code, 1, "{path:?}: {replay:?}");
        assert!(replay.stdout.contains("VIOLATIONS: "), "{replay:?}");
        let first = replay
            .stdout
            .split_once("VIOLATIONS: ")
            .unwrap()
            .1
            .lines()
            .nth(1)
            .unwrap()
            .trim();
        assert!(first.starts_with(property), "{first} vs {violation}");
        assert_eq!(first, violation.as_str(), "{path:?}");
        // And the file is a scenario with the bug turned on.
        let text = std::fs::read_to_string(path).unwrap();
        let s = raftlab_sim::Scenario::parse(&text).expect("reproducer parses");
        assert!(s.config.bugs.skip_vote_log_check);
        assert!(s.liveness_us.is_some());
    }
    // The same fuzz run again reports the same failures.
    let again = raftlab(&[
        "fuzz",
        "--seeds",
        "200",
        "--bug",
        "skip_vote_log_check",
        "--out",
        out.s(),
        "--jobs",
        "1",
    ]);
    assert_eq!(again.code, 1, "{again:?}");
    assert_eq!(replays(&again.stdout), found);
}

#[test]
fn fuzz_reproducer_paths_are_quoted_for_the_shell() {
    let out = Temp::unused("fuzz dir with 'quote'");
    let ran = raftlab(&[
        "fuzz",
        "--seeds",
        "30",
        "--bug",
        "skip_vote_log_check",
        "--out",
        out.s(),
    ]);
    assert_eq!(ran.code, 1, "{ran:?}");
    let line = ran
        .stdout
        .lines()
        .find(|l| l.contains("replay: raftlab run "))
        .expect("a replay line");
    let quoted = line.trim().strip_prefix("replay: raftlab run ").unwrap();
    assert!(quoted.starts_with('\''), "{quoted}");
    // Undo the shell quoting: '...'\''...'
    let unquoted = quoted[1..quoted.len() - 1].replace("'\\''", "'");
    assert!(Path::new(&unquoted).is_file(), "{unquoted}");
}

// ---------------------------------------------------------------------------------------------
// A closed standard output (`raftlab ... | head`)
// ---------------------------------------------------------------------------------------------

/// Runs `args` with a standard output that is closed after `keep` lines were read.
fn raftlab_closed_stdout(args: &[&str], keep: usize) -> (Vec<String>, Ran) {
    use std::io::BufRead;
    let mut child = command(args)
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run raftlab");
    let stdout = child.stdout.take().unwrap();
    let mut read = Vec::new();
    {
        let mut reader = std::io::BufReader::new(stdout);
        for _ in 0..keep {
            let mut line = String::new();
            if reader.read_line(&mut line).unwrap() == 0 {
                break;
            }
            read.push(line);
        }
        // The reader (and the pipe's read end) is dropped here.
    }
    let out = child.wait_with_output().expect("wait for raftlab");
    (read, finish(out))
}

#[test]
fn closed_stdout_is_not_an_error_for_the_summary() {
    let file = Temp::file("good.json", GOOD);
    let (_, ran) = raftlab_closed_stdout(&["run", file.s()], 0);
    assert_eq!(ran.code, 0, "{ran:?}");
    let (_, ran) = raftlab_closed_stdout(&["fuzz", "--seeds", "3", "--until-ms", "500"], 0);
    assert_eq!(ran.code, 0, "{ran:?}");
}

/// `docs/cli.md`: a reader that closes the pipe early (`| head`) is not an error: the run
/// finishes, the summary goes to standard error and the exit code is the run's.
#[test]
fn closed_stdout_while_tracing_is_not_an_error() {
    // Long enough that the trace does not fit in a pipe buffer.
    let file = Temp::file(
        "long.json",
        &GOOD.replace("\"until_ms\": 3000", "\"until_ms\": 60000"),
    );
    let (read, ran) = raftlab_closed_stdout(&["run", file.s(), "--trace", "-"], 2);
    assert_eq!(read.len(), 2);
    assert!(read[0].starts_with("{\"t_us\":"), "{read:?}");
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stderr.contains("leader: S"),
        "the summary still goes to stderr: {ran:?}"
    );
    assert!(!ran.stderr.contains("error"), "{ran:?}");
}

// ---------------------------------------------------------------------------------------------
// campaign
// ---------------------------------------------------------------------------------------------

#[test]
fn campaign_prints_the_fuzz_scenario() {
    let ran = raftlab(&["campaign", "5", "--nodes", "3", "--until-ms", "800"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let printed = raftlab_sim::Scenario::parse(&ran.stdout).expect("a scenario");
    let expected = raftlab_sim::fuzz::campaign(
        5,
        &FuzzOptions {
            nodes: vec![3],
            until_us: 800_000,
            ..FuzzOptions::default()
        },
    );
    assert_eq!(printed, expected);
    assert_eq!(ran.stdout, expected.to_pretty());
    // Running it is running that campaign: it passes like the fuzz run does.
    let file = Temp::file("campaign.json", &ran.stdout);
    let run = raftlab(&["run", file.s()]);
    assert_eq!(run.code, 0, "{run:?}");
    assert!(run.stdout.contains("liveness: settled "), "{run:?}");
    assert_bad_input(
        &raftlab(&["campaign", "x"]),
        &["invalid value 'x' for '<SEED>'"],
    );
}

// ---------------------------------------------------------------------------------------------
// link
// ---------------------------------------------------------------------------------------------

#[test]
fn link_prints_the_fragment() {
    let file = Temp::file("good.json", GOOD);
    let scenario = raftlab_sim::Scenario::parse(GOOD).unwrap();
    let ran = raftlab(&["link", file.s()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout,
        "v=1&seed=42&n=5&e=1000c1,1200p12-345,1500w3:x:2,1600w:y:3,2000h,2100r1&u=3000\n"
    );
    assert!(ran.stderr.is_empty(), "{ran:?}");
    let ran = raftlab(&["link", file.s(), "--position-ms", "1500.25"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(
        ran.stdout.trim_end(),
        raftlab_sim::link::encode(&scenario, Some(1_500_250))
    );
    assert!(ran.stdout.ends_with("&u=3000&p=1500.25\n"), "{ran:?}");
    // The end of the run is a valid position; standard input works as for `run`.
    let ran = raftlab_with_stdin(&["link", "-", "--position-ms", "3000"], GOOD);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.ends_with("&p=3000\n"), "{ran:?}");
}

#[test]
fn link_decode_prints_the_scenario_and_the_position() {
    let scenario = raftlab_sim::Scenario::parse(GOOD).unwrap();
    let fragment = raftlab_sim::link::encode(&scenario, Some(1_500_250));
    for text in [
        fragment.clone(),
        format!("#{fragment}"),
        format!("https://example.org/raftlab/#{fragment}"),
    ] {
        let ran = raftlab(&["link", "--decode", &text]);
        assert_eq!(ran.code, 0, "{ran:?}");
        assert_eq!(ran.stdout, scenario.to_pretty());
        assert_eq!(ran.stderr, "position: 1500.25 ms\n");
    }
    let ran = raftlab_with_stdin(
        &["link", "--decode", "-"],
        &format!("{}\n", raftlab_sim::link::encode(&scenario, None)),
    );
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stdout, scenario.to_pretty());
    assert_eq!(ran.stderr, "position: none\n");
    // What it prints is a scenario file that runs like the original.
    let decoded = Temp::file("decoded.json", &ran.stdout);
    let original = Temp::file("good.json", GOOD);
    let a = raftlab(&["run", decoded.s()]);
    let b = raftlab(&["run", original.s()]);
    assert_eq!(a.code, 0, "{a:?}");
    assert_eq!(
        a.stdout.replace(decoded.s(), "FILE"),
        b.stdout.replace(original.s(), "FILE")
    );
}

#[test]
fn link_bad_input() {
    assert_bad_input(
        &raftlab(&["link", "--decode", "v=2&seed=1&n=5&u=5000"]),
        &["raftlab: error: link: made by a newer raftlab (format v2); this page reads format 1"],
    );
    assert_bad_input(
        &raftlab(&["link", "--decode", "v=1&seed=1&n=5&e=1h,2h,12q&u=5000"]),
        &["raftlab: error: link: action 3 (\"12q\"): unknown action letter \"q\""],
    );
    assert_bad_input(
        &raftlab(&["link", "--decode", ""]),
        &["raftlab: error: link: the link is empty"],
    );
    assert_bad_input(
        &raftlab(&["link", "--decode", "v=1&seed=1&n=5&u=5000&p=5001"]),
        &["link: field p (\"p=5001\"): position 5001 ms is after the end of the run (5000 ms)"],
    );
    let file = Temp::file("good.json", GOOD);
    assert_bad_input(
        &raftlab(&["link", file.s(), "--position-ms", "3000.001"]),
        &["raftlab: error: --position-ms 3000.001 is after the end of the run (3000 ms)"],
    );
    assert_bad_input(
        &raftlab(&["link", file.s(), "--position-ms", "-1"]),
        &["invalid value '-1' for '--position-ms <MS>': must not be negative"],
    );
    assert_bad_input(
        &raftlab(&["link", file.s(), "--position-ms", "1.2345"]),
        &["at most 3 decimals"],
    );
    let bad = Temp::file(
        "bad-node.json",
        r#"{"version":1,"nodes":3,"events":[{"at_ms":5,"do":"crash","node":4}]}"#,
    );
    assert_bad_input(
        &raftlab(&["link", bad.s()]),
        &[&format!(
            "raftlab: error: {}: events[0].node: node 4 does not exist",
            bad.s()
        )],
    );
    let missing = Temp::unused("missing.json");
    assert_bad_input(
        &raftlab(&["link", missing.s()]),
        &["raftlab: error: cannot read "],
    );
    // FILE or --decode, not both, not neither; no position when decoding.
    assert_bad_input(&raftlab(&["link"]), &["<FILE|--decode <TEXT>>"]);
    assert_bad_input(
        &raftlab(&["link", file.s(), "--decode", "v=1"]),
        &["cannot be used with"],
    );
    assert_bad_input(
        &raftlab(&["link", "--decode", "v=1", "--position-ms", "5"]),
        &["cannot be used with"],
    );
    // A scenario too large for a link.
    let mut big = raftlab_sim::Scenario::default();
    for i in 0..30_000 {
        big.events.push(raftlab_sim::TimedAction {
            at_us: i * 1000 + 1,
            action: raftlab_sim::Action::Heal,
        });
    }
    let big_file = Temp::file("big.json", &big.to_pretty());
    assert_bad_input(
        &raftlab(&["link", big_file.s()]),
        &["a link has at most 100000 (share the file instead)"],
    );
}

#[test]
fn link_help() {
    let ran = raftlab(&["link", "--help"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for word in ["[FILE]", "--position-ms", "--decode"] {
        assert!(ran.stdout.contains(word), "link help lacks {word}: {ran:?}");
    }
    let top = raftlab(&["--help"]);
    assert!(top.stdout.contains("link"), "{top:?}");
}

// ---------------------------------------------------------------------------------------------
// explain
// ---------------------------------------------------------------------------------------------

/// The library's explanation of `target` in GOOD at `at_us`: what `raftlab explain` must print.
fn explained(
    at_us: u64,
    target: raftlab_sim::explain::Target,
) -> raftlab_sim::explain::Explanation {
    let scenario = raftlab_sim::Scenario::parse(GOOD).unwrap();
    let sim = raftlab_sim::run::run_to(&scenario, at_us).unwrap();
    raftlab_sim::explain::explain(&sim, &target).unwrap()
}

fn as_text(e: &raftlab_sim::explain::Explanation) -> String {
    let mut text = format!("{}\n", e.title);
    for line in &e.lines {
        text.push_str(&format!("  {line}\n"));
    }
    text
}

#[test]
fn explain_a_server_an_entry_and_a_message() {
    use raftlab_sim::explain::Target;
    let file = Temp::file("good.json", GOOD);
    // 1200.5 ms: S1 crashed at 1000 ms, the partition of 1200 ms has just cut S1 and S2 off.
    let ran = raftlab(&["explain", file.s(), "--at", "1200.5", "--node", "2"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let e = explained(1_200_500, Target::Node { node: 2 });
    assert!(e.title.starts_with("S2 ("), "{e:?}");
    assert_eq!(ran.stdout, as_text(&e));
    assert!(ran.stderr.is_empty(), "{ran:?}");

    let ran = raftlab(&[
        "explain",
        file.s(),
        "--at",
        "1200.5",
        "--node",
        "3",
        "--index",
        "1",
        "--json",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let e = explained(1_200_500, Target::Entry { node: 3, index: 1 });
    assert!(e.title.starts_with("S3's entry 1 "), "{e:?}");
    let json: Value = serde_json::from_str(&ran.stdout).expect("one JSON document");
    assert_eq!(json["title"], e.title.as_str());
    let lines: Vec<&str> = json["lines"]
        .as_array()
        .unwrap()
        .iter()
        .map(|l| l.as_str().unwrap())
        .collect();
    assert_eq!(lines, e.lines);
    assert_eq!(json.as_object().unwrap().len(), 2, "{json}");

    // A message on the wire then, from the listing.
    let ran = raftlab(&[
        "explain",
        file.s(),
        "--at",
        "1200.5",
        "--messages",
        "--json",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let json: Value = serde_json::from_str(&ran.stdout).expect("one JSON document");
    let first = &json["messages"][0];
    let id = first["id"].as_u64().expect("a message on the wire");
    let ran = raftlab(&[
        "explain",
        file.s(),
        "--at",
        "1200.5",
        "--message",
        &id.to_string(),
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let e = explained(1_200_500, Target::Message { id });
    assert_eq!(
        e.title,
        format!(
            "Message {id}: {} from S{} to S{}",
            first["type"].as_str().unwrap(),
            first["from"],
            first["to"]
        )
    );
    assert_eq!(ran.stdout, as_text(&e));
}

#[test]
fn explain_lists_the_messages_on_the_wire() {
    let file = Temp::file("good.json", GOOD);
    let scenario = raftlab_sim::Scenario::parse(GOOD).unwrap();
    let sim = raftlab_sim::run::run_to(&scenario, 1_200_500).unwrap();
    let mut wire: Vec<_> = sim.in_flight().collect();
    wire.sort_by_key(|m| m.id);
    assert!(!wire.is_empty());

    let ran = raftlab(&[
        "explain",
        file.s(),
        "--at",
        "1200.5",
        "--messages",
        "--json",
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let json: Value = serde_json::from_str(&ran.stdout).expect("one JSON document");
    assert_eq!(json["at_ms"].as_f64(), Some(1200.5));
    let listed = json["messages"].as_array().unwrap();
    assert_eq!(listed.len(), wire.len());
    for (m, j) in wire.iter().zip(listed) {
        assert_eq!(j["id"].as_u64(), Some(m.id), "{j}");
        assert_eq!(j["from"].as_u64(), Some(m.message.from() as u64), "{j}");
        assert_eq!(j["to"].as_u64(), Some(m.message.to() as u64), "{j}");
        assert_eq!(j["type"], m.message.type_name(), "{j}");
        assert_eq!(
            j["sent_ms"].as_f64(),
            Some(m.sent_at as f64 / 1000.0),
            "{j}"
        );
        assert_eq!(
            j["arrives_ms"].as_f64(),
            Some(m.deliver_at as f64 / 1000.0),
            "{j}"
        );
        assert!(m.sent_at <= 1_200_500 && m.deliver_at > 1_200_500, "{j}");
        assert_eq!(j["held"], m.held, "{j}");
        assert_eq!(j["lost"], m.lost, "{j}");
    }

    // The table: a count, a header, one row per message in id order.
    let ran = raftlab(&["explain", file.s(), "--at", "1200.5", "--messages"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    let rows: Vec<&str> = ran.stdout.lines().collect();
    assert_eq!(
        rows[0],
        format!("{} message(s) on the wire at 1200.5 ms", wire.len())
    );
    let header: Vec<&str> = rows[1].split_whitespace().collect();
    assert_eq!(
        header,
        [
            "id",
            "from",
            "to",
            "type",
            "sent_ms",
            "arrives_ms",
            "held",
            "lost"
        ]
    );
    assert_eq!(rows.len(), 2 + wire.len(), "{ran:?}");
    for (m, row) in wire.iter().zip(&rows[2..]) {
        let cells: Vec<&str> = row.split_whitespace().collect();
        assert_eq!(cells[0], m.id.to_string(), "{row}");
        assert_eq!(cells[1], format!("S{}", m.message.from()), "{row}");
        assert_eq!(cells[2], format!("S{}", m.message.to()), "{row}");
        assert_eq!(cells[3], m.message.type_name(), "{row}");
        assert_eq!(cells[6], if m.held { "yes" } else { "no" }, "{row}");
    }

    // At 0 nothing has been sent yet.
    let ran = raftlab(&["explain", file.s(), "--at", "0", "--messages"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert_eq!(ran.stdout, "0 message(s) on the wire at 0 ms\n");
}

/// In the liveness phase the moment is reached as `raftlab run` reaches it, faults stopped
/// and removed servers shut down; once the cluster settled the run is over.
#[test]
fn explain_in_the_liveness_phase() {
    let data = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/tests/data/liveness-new-leader-removing-itself.json"
    );
    let ran = raftlab(&["explain", data, "--at", "10320", "--node", "4"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.starts_with("S4 (leader, term 4)\n"), "{ran:?}");
    let ran = raftlab(&["explain", data, "--at", "10320", "--node", "1"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(ran.stdout.contains("down"), "{ran:?}");
    let ran = raftlab(&["explain", data, "--at", "10650.001", "--node", "3"]);
    assert_bad_input(&ran, &["--at 10650.001 ms is after the end of the run (10650 ms, when the cluster settled 650 ms after the faults stopped)"]);
}

#[test]
fn explain_bad_input() {
    let file = Temp::file("good.json", GOOD);
    let f = file.s();
    let cases: [(&[&str], &[&str]); 10] = [
        (
            &["--at", "1000", "--node", "9"],
            &["no server 9 (the cluster has 5)"],
        ),
        (&["--at", "1000", "--node", "0"], &["no server 0"]),
        (
            &["--at", "1000", "--node", "3", "--index", "99"],
            &["S3 has no entry 99"],
        ),
        (
            &["--at", "1000", "--message", "999999"],
            &["no message 999999 is on the wire"],
        ),
        (
            &["--at", "3000.001", "--node", "1"],
            &["--at 3000.001 ms is after the end of the run (3000 ms)"],
        ),
        (&["--at", "-5", "--node", "1"], &["--at"]),
        (&["--at", "1000"], &["--node", "--message", "--messages"]),
        (&["--node", "1"], &["--at"]),
        (&["--at", "1000", "--index", "1"], &["--node"]),
        (
            &["--at", "1000", "--node", "1", "--message", "3"],
            &["cannot be used with"],
        ),
    ];
    for (args, needles) in cases {
        let mut all = vec!["explain", f];
        all.extend_from_slice(args);
        assert_bad_input(&raftlab(&all), needles);
    }
    let missing = Temp::unused("missing.json");
    assert_bad_input(
        &raftlab(&["explain", missing.s(), "--at", "1", "--node", "1"]),
        &["cannot read", missing.s()],
    );
    let bad = Temp::file("bad.json", "{\"version\": 1, \"nodes\": 3, \"events\": [{\"at_ms\": 1, \"do\": \"crash\", \"node\": 4}]}");
    assert_bad_input(
        &raftlab(&["explain", bad.s(), "--at", "1", "--node", "1"]),
        &["events[0].node", "node 4 does not exist"],
    );
}

#[test]
fn explain_help() {
    let ran = raftlab(&["explain", "--help"]);
    assert_eq!(ran.code, 0, "{ran:?}");
    for word in [
        "<FILE>",
        "--at",
        "--node",
        "--index",
        "--message",
        "--messages",
        "--json",
    ] {
        assert!(
            ran.stdout.contains(word),
            "explain help lacks {word}: {ran:?}"
        );
    }
    let top = raftlab(&["--help"]);
    assert!(top.stdout.contains("explain"), "{top:?}");
}

/// `--unsafe` alone keeps every unsafe quorum setting (the same campaigns as before it took a
/// value); `--unsafe repair` and `--unsafe skew` each find the violation their flaw allows;
/// both are refused with another system.
#[test]
fn fuzz_unsafe_takes_one_quorum_flaw_at_a_time() {
    let run = |args: &[&str]| {
        let out = Temp::dir("fuzz-unsafe-out");
        let mut all = vec!["fuzz", "--system"];
        all.extend_from_slice(args);
        all.extend_from_slice(&["--out", out.s()]);
        raftlab(&all)
    };
    let all = run(&["quorum", "--seeds", "200", "--until-ms", "2000", "--unsafe"]);
    assert_eq!(all.code, 1, "{all:?}");
    assert!(
        all.stdout
            .contains("14 failing campaign(s) (acked_write_lost: 7, linearizability: 7)"),
        "{all:?}"
    );
    let repair = run(&[
        "quorum",
        "--seeds",
        "300",
        "--until-ms",
        "5000",
        "--unsafe",
        "repair",
    ]);
    assert_eq!(repair.code, 1, "{repair:?}");
    assert!(
        repair
            .stdout
            .contains("failing campaign(s) (linearizability: "),
        "{repair:?}"
    );
    let skew = run(&[
        "quorum",
        "--seeds",
        "200",
        "--until-ms",
        "2000",
        "--unsafe",
        "skew",
    ]);
    assert_eq!(skew.code, 1, "{skew:?}");
    assert!(
        skew.stdout
            .contains("failing campaign(s) (acked_write_lost: "),
        "{skew:?}"
    );
    let refused = run(&["lease", "--seeds", "3", "--unsafe", "skew"]);
    assert_bad_input(
        &refused,
        &["--unsafe repair and --unsafe skew are flaws of the quorum system"],
    );
    let bad = run(&["quorum", "--seeds", "3", "--unsafe", "clocks"]);
    assert_eq!(bad.code, 2, "{bad:?}");
}

/// A run whose linearizability search runs out of its budget (an unsafe leaderless-quorum
/// campaign of 10 s) says so, neither passing nor failing the reads; fuzz counts it apart.
#[test]
fn an_undecided_linearizability_check_is_reported_as_such() {
    let options = FuzzOptions {
        system: raftlab_sim::system::System::Quorum,
        unsafe_settings: true,
        until_us: 10_000_000,
        ..FuzzOptions::default()
    };
    let file = Temp::file(
        "undecided.json",
        &raftlab_sim::fuzz::campaign(39, &options).to_pretty(),
    );
    let ran = raftlab(&["run", file.s()]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout
            .contains("reads: undecided: the search gave up after "),
        "{ran:?}"
    );
    assert!(
        ran.stdout.contains(
            "safety: undecided for the reads held to linearizability: the search gave up after "
        ),
        "{ran:?}"
    );
    assert!(
        ran.stdout.contains("safety: no other violation\n"),
        "{ran:?}"
    );
    assert!(!ran.stdout.contains("is linearizable"), "{ran:?}");
    assert!(!ran.stdout.contains("safety: no violation"), "{ran:?}");
    let out = Temp::dir("undecided-fuzz");
    let ran = raftlab(&[
        "fuzz",
        "--system",
        "quorum",
        "--unsafe",
        "--until-ms",
        "10000",
        "--from-seed",
        "39",
        "--seeds",
        "1",
        "--out",
        out.s(),
    ]);
    assert_eq!(ran.code, 0, "{ran:?}");
    assert!(
        ran.stdout.contains(
            "1 campaign(s) undecided, neither passed nor failed: the linearizability search gave up within its budget\n  seed 39: the search gave up after "
        ),
        "{ran:?}"
    );
    assert!(
        ran.stdout
            .contains("no violation in the 0 decided campaign(s)"),
        "{ran:?}"
    );
}
