//! Lessons (`docs/lesson-format.md`): strict parsing with errors naming the step and the
//! field, the trace-kind table against real traces, pattern matching, every fact true and
//! false on real runs, moments, tasks, the page's look-ahead API, and `raftlab lesson`.

use raftlab_raft::{Body, Message};
use raftlab_sim::json::{self, Value};
use raftlab_sim::lesson::{
    self, message_fields, trace_fields, Goal, Lesson, Pattern, Run, Until, MESSAGE_FIELDS,
};
use raftlab_sim::scenario::{Scenario, TimedAction};
use raftlab_sim::trace::{TraceEvent, TraceKind, TraceMsg};
use raftlab_sim::Simulation;
use std::cell::RefCell;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::rc::Rc;

fn root() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../..")
}

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/lessons")
        .join(name)
}

fn example(name: &str) -> Scenario {
    let text = std::fs::read_to_string(root().join("examples").join(name)).expect("example");
    let mut s = Scenario::parse(&text).expect("valid example");
    s.liveness_us = None;
    s
}

/// A small valid lesson whose first step is `step` (a JSON object's members, without braces).
fn with_step(step: &str) -> String {
    format!(
        r#"{{"version": 1, "id": "t", "title": "T", "summary": "S", "topics": ["5.2"],
            "scenario": {{"version": 1, "seed": 42, "nodes": 5}},
            "steps": [{{"title": "Start", "text": "Go.", {step}}}]}}"#
    )
}

/// The error message of a lesson that must be refused.
fn refused(text: &str) -> String {
    match Lesson::parse(text) {
        Ok(_) => panic!("accepted: {text}"),
        Err(e) => e.to_string(),
    }
}

#[test]
fn the_small_example_of_the_format_parses_and_holds() {
    let lesson =
        Lesson::parse(&std::fs::read_to_string(fixture("hello.json")).unwrap()).expect("valid");
    assert_eq!(lesson.id, "hello");
    assert_eq!(lesson.steps.len(), 4);
    let q = lesson.steps[1].question.as_ref().expect("a question");
    assert_eq!((q.answer, q.choices.len()), (1, 3));
    let checked = lesson::check(&lesson, None, false).expect("holds");
    // Step 2 is S5's election at 190.001 ms (as `raftlab run examples/basic.json` shows for
    // seed 42); step 3 is 100 ms later; the crash's goal is met at once.
    assert_eq!(checked.moments, vec![0, 190_001, 290_001, 498_605]);
    assert_eq!(checked.goals, vec![None, None, Some(290_001), None]);
    assert!(checked.moments.windows(2).all(|w| w[0] <= w[1]));
}

#[test]
fn malformed_json_is_refused_with_its_line() {
    let e = refused("{\"version\": 1,\n");
    assert!(e.starts_with("line 2, column 1: not valid JSON"), "{e}");
}

#[test]
fn unknown_fields_are_refused_at_the_top_and_in_a_step() {
    let top = with_step(r#""until": {"at_ms": 0}"#).replacen('{', r#"{"colour": 1, "#, 1);
    let e = refused(&top);
    assert!(
        e.starts_with("colour: unknown field; expected one of: version"),
        "{e}"
    );
    let e = refused(&with_step(r#""until": {"at_ms": 0}, "colour": "red""#));
    assert!(
        e.starts_with("step 1 (Start): colour: unknown field"),
        "{e}"
    );
    let e = refused(&with_step(
        r#""until": {"at_ms": 0}, "highlight": {"servers": [1]}"#,
    ));
    assert!(
        e.starts_with("step 1 (Start): highlight.servers: unknown field"),
        "{e}"
    );
}

#[test]
fn a_newer_version_is_refused_naming_both_versions() {
    let text = with_step(r#""until": {"at_ms": 0}, "future_field": 1"#).replacen(
        "\"version\": 1, \"id\"",
        "\"version\": 2, \"id\"",
        1,
    );
    let e = refused(&text);
    assert!(
        e.starts_with("version: ")
            && e.contains("lesson format 2")
            && e.contains("lesson format 1"),
        "{e}"
    );
    assert!(refused(&with_step(r#""until": {"at_ms": 0}"#).replacen(
        "\"version\": 1, \"id\"",
        "\"id\"",
        1
    ))
    .starts_with("version: missing"));
}

#[test]
fn patterns_that_could_never_match_are_refused() {
    let cases = [
        (
            r#"{"kind": "leader"}"#,
            "until.kind: no trace kind \"leader\"",
        ),
        (r#"{"node": 3}"#, "until: expected {\"at_ms\": MS}"),
        (
            r#"{"kind": "crash", "term": 2}"#,
            "until.term: a \"crash\" event has no field \"term\"",
        ),
        (
            r#"{"kind": "become_leader", "node": "3"}"#,
            "until.node: expected a number (the pattern could never match), found the string \"3\"",
        ),
        (
            r#"{"kind": "drop", "reason": "lost"}"#,
            "until.reason: a \"drop\" event never has reason \"lost\"",
        ),
        (
            r#"{"kind": "send", "msg": {"type": "Vote"}}"#,
            "until.msg.type: no message type \"Vote\"",
        ),
        (
            r#"{"kind": "send", "msg": {"type": "RequestVote", "entries": []}}"#,
            "until.msg.entries: a RequestVote message has no field \"entries\"",
        ),
        (
            r#"{"kind": "send", "msg": {"colour": 1}}"#,
            "until.msg.colour: a message has no field \"colour\"",
        ),
        (
            r#"{"kind": "crash", "within_ms": 0}"#,
            "until.within_ms: must be more than 0",
        ),
        (
            r#"{"at_ms": 5, "kind": "crash"}"#,
            "until.kind: unknown field; expected one of: at_ms",
        ),
        (
            r#"{"kind": "final"}"#,
            "until.kind: \"final\" lines end a trace written by raftlab run",
        ),
    ];
    for (until, want) in cases {
        let e = refused(&with_step(&format!("\"until\": {until}")));
        assert!(
            e.starts_with(&format!("step 1 (Start): {want}")),
            "{until}: {e}"
        );
    }
    // The task's goal is validated the same way.
    let e = refused(&with_step(
        r#""until": {"at_ms": 0}, "task": {"prompt": "p", "goal": {"kind": "become_leader", "leader": 1}, "show_me": [{"do": "heal"}]}"#,
    ));
    assert!(
        e.starts_with("step 1 (Start): task.goal.leader: a \"become_leader\" event has no field"),
        "{e}"
    );
}

#[test]
fn bad_facts_questions_tasks_and_fields_are_refused_by_name() {
    let cases = [
        (
            r#""expect": {"leeder": 3}"#,
            "expect.leeder: no fact \"leeder\"; the facts: leader,",
        ),
        (
            r#""expect": {"roles": {"1": "boss"}}"#,
            "expect.roles.1: expected a role",
        ),
        (
            r#""expect": {"roles": {"10": "leader"}}"#,
            "expect.roles.10: not a server number",
        ),
        (
            r#""expect": {"leader": 10}"#,
            "expect.leader: expected a server number from 1 to 9",
        ),
        (
            r#""expect": {"violation": "bad_things"}"#,
            "expect.violation: expected a safety property",
        ),
        (
            r#""expect": {"committed": {"index": 2}}"#,
            "expect.committed.on: missing",
        ),
        (
            r#""expect": {"not_committed": {"index": 2, "on": [1], "term": 1}}"#,
            "expect.not_committed.term: unknown field",
        ),
        (r#""expect": {}"#, "expect: states no fact"),
        (
            r#""question": {"prompt": "?", "choices": ["a", "b", "c"], "answer": 3, "why": "w"}"#,
            "question.answer: 3 is not a choice: the choices are numbered 0 to 2",
        ),
        (
            r#""question": {"prompt": "?", "choices": ["a"], "answer": 0, "why": "w"}"#,
            "question.choices: 1 choices; a question has 2 to 6",
        ),
        (
            r#""question": {"prompt": "?", "choices": ["a", "b"], "answer": 0}"#,
            "question.why: missing",
        ),
        (
            r#""task": {"prompt": "p", "goal": {"kind": "crash"}, "show_me": [{"at_ms": 5, "do": "crash", "node": 1}]}"#,
            "task.show_me[0].at_ms: a \"Show me\" action happens at the current moment",
        ),
        (
            r#""task": {"prompt": "p", "goal": {"kind": "crash"}, "show_me": [{"do": "crash", "node": 7}]}"#,
            "task.show_me[0].node: node 7 does not exist; the cluster has nodes 1 to 5",
        ),
        (
            r#""task": {"prompt": "p", "goal": {"kind": "crash"}, "show_me": [{"do": "explode"}]}"#,
            "task.show_me[0].do: unknown action \"explode\"",
        ),
        (
            r#""task": {"prompt": "p", "goal": {"kind": "crash"}, "show_me": []}"#,
            "task.show_me: needs at least one action",
        ),
        (
            r#""task": {"prompt": "p", "goal": {"expect": {"leader": 1}, "kind": "crash"}, "show_me": [{"do": "heal"}]}"#,
            "task.goal.kind: unknown field; expected one of: expect",
        ),
        (
            r#""panels": ["logs", "chat"]"#,
            "panels[1]: expected a panel name",
        ),
        (
            r#""highlight": {"messages": ["Vote"]}"#,
            "highlight.messages[0]: expected a message type",
        ),
        (
            r#""highlight": {"links": [[2, 2]]}"#,
            "highlight.links[0]: a link joins two different servers",
        ),
        (r#""select": {"index": 2}"#, "select.node: missing"),
        (
            r#""select": {"node": 1, "index": 0}"#,
            "select.index: expected a log index from 1",
        ),
        (
            r#""scenario": {"version": 1, "nodes": 3, "events": [{"at_ms": 1, "do": "crash", "node": 4}]}"#,
            "scenario.events[0].node: node 4 does not exist; the cluster has nodes 1 to 3",
        ),
    ];
    for (field, want) in cases {
        let e = refused(&with_step(&format!("\"until\": {{\"at_ms\": 0}}, {field}")));
        assert!(
            e.starts_with(&format!("step 1 (Start): {want}")),
            "{field}: {e}"
        );
    }
    let e = refused(&with_step(r#""title": "x""#).replacen(
        r#""title": "Start", "text": "Go.", "#,
        "",
        1,
    ));
    assert!(e.starts_with("step 1 (x): text: missing"), "{e}");
    let e =
        refused(&with_step(r#""until": {"at_ms": 0}"#).replace("\"id\": \"t\"", "\"id\": \"Big\""));
    assert!(
        e.starts_with("id: \"Big\" may hold only lowercase letters"),
        "{e}"
    );
    let e = refused(
        &with_step(r#""until": {"at_ms": 0}"#)
            .replace(r#""nodes": 5}"#, r#""nodes": 5, "liveness_ms": 100}"#),
    );
    assert!(
        e.starts_with("scenario.liveness_ms: a lesson's run has no liveness phase"),
        "{e}"
    );
    let e = refused(
        &with_step(r#""until": {"at_ms": 0}"#).replace("\"steps\": [{", "\"steps\": [], \"x\": [{"),
    );
    assert!(
        e.starts_with("steps: a lesson has at least one step"),
        "{e}"
    );
}

/// Every trace line of every example, as JSON.
fn example_lines() -> Vec<Value> {
    let mut lines = Vec::new();
    for entry in std::fs::read_dir(root().join("examples")).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "json") {
            let scenario = Scenario::parse(&std::fs::read_to_string(&path).unwrap()).unwrap();
            let kept: Rc<RefCell<Vec<String>>> = Rc::default();
            let sink = kept.clone();
            raftlab_sim::run::run(
                &scenario,
                Some(Box::new(move |e: &TraceEvent| {
                    sink.borrow_mut().push(e.to_json())
                })),
                false,
            );
            lines.extend(kept.borrow().iter().map(|l| json::parse(l).unwrap()));
        }
    }
    lines
}

#[test]
fn the_table_of_trace_kinds_has_every_field_of_every_example_trace() {
    let mut kinds = std::collections::BTreeSet::new();
    let mut types = std::collections::BTreeSet::new();
    for line in example_lines() {
        let kind = line
            .get("kind")
            .and_then(Value::as_str)
            .unwrap()
            .to_string();
        let fields =
            trace_fields(&kind).unwrap_or_else(|| panic!("kind {kind} is not in the table"));
        for (k, v) in line.as_object().unwrap().iter() {
            assert!(
                k == "t_us" || k == "kind" || fields.contains(&k.as_str()),
                "{kind}.{k} is not in the table: {line}"
            );
            if k == "msg" {
                let t = v.get("type").and_then(Value::as_str).unwrap();
                let own = message_fields(t).unwrap_or_else(|| panic!("type {t} not in the table"));
                for f in v.as_object().unwrap().keys() {
                    assert!(
                        MESSAGE_FIELDS.contains(&f.as_str()) || own.contains(&f.as_str()),
                        "{t}.{f} is not in the table"
                    );
                }
                types.insert(t.to_string());
            }
            // Each field the table allows also passes the pattern check with its real value
            // (`final` lines, which a lesson's run never has, are refused as a pattern).
            if kind == "final" {
                continue;
            }
            let mut p = json::Map::new();
            p.insert("kind".into(), Value::from(kind.as_str()));
            p.insert(k.clone(), v.clone());
            if let Err(e) = Pattern::from_map("p", p) {
                panic!("a pattern of a real line is refused: {e}: {line}");
            }
        }
        kinds.insert(kind);
    }
    // The examples exercise most of the table (so this test is not vacuous).
    assert!(
        kinds.len() >= 30,
        "only {} kinds seen: {kinds:?}",
        kinds.len()
    );
    assert!(
        types.len() >= 8,
        "only {} message types seen: {types:?}",
        types.len()
    );
}

fn pattern(text: &str) -> Pattern {
    match json::parse(text).unwrap() {
        Value::Object(m) => Pattern::from_map("p", m).unwrap(),
        _ => unreachable!(),
    }
}

fn event(kind: TraceKind) -> TraceEvent {
    TraceEvent { t_us: 1000, kind }
}

#[test]
fn patterns_match_a_subset_of_the_fields_with_nested_objects_and_equal_lists() {
    let leader = event(TraceKind::BecomeLeader { node: 3, term: 2 });
    assert!(pattern(r#"{"kind": "become_leader"}"#).matches(&leader));
    assert!(pattern(r#"{"kind": "become_leader", "node": 3, "term": 2}"#).matches(&leader));
    assert!(!pattern(r#"{"kind": "become_leader", "node": 2}"#).matches(&leader));
    assert!(!pattern(r#"{"kind": "become_follower", "node": 3}"#).matches(&leader));
    assert!(pattern(r#"{"kind": "become_leader", "t_us": 1000}"#).matches(&leader));

    let send = event(TraceKind::Send {
        node: 1,
        msg: TraceMsg {
            id: 7,
            message: raftlab_sim::system::Wire::Raft(Message {
                from: 1,
                to: 2,
                term: 4,
                body: Body::RequestVote {
                    last_log_index: 3,
                    last_log_term: 2,
                    transfer: false,
                },
            }),
        },
        deliver_at_us: 2000,
        held: false,
    });
    assert!(pattern(r#"{"kind": "send", "msg": {"type": "RequestVote"}}"#).matches(&send));
    assert!(pattern(
        r#"{"kind": "send", "msg": {"type": "RequestVote", "to": 2, "last_log_term": 2}}"#
    )
    .matches(&send));
    assert!(!pattern(r#"{"kind": "send", "msg": {"type": "AppendEntries"}}"#).matches(&send));
    assert!(!pattern(r#"{"kind": "send", "msg": {"to": 3}}"#).matches(&send));
    // `held` is written only when true: a pattern asking for true does not match.
    assert!(!pattern(r#"{"kind": "send", "held": true}"#).matches(&send));

    let split = event(TraceKind::Partition {
        groups: vec![vec![1, 2], vec![3, 4, 5]],
    });
    assert!(pattern(r#"{"kind": "partition", "groups": [[1, 2], [3, 4, 5]]}"#).matches(&split));
    assert!(!pattern(r#"{"kind": "partition", "groups": [[1, 2]]}"#).matches(&split));

    // Numbers compare by value; null also matches an absent field.
    let rate = event(TraceKind::ClockRate { node: 1, rate: 2.0 });
    assert!(pattern(r#"{"kind": "clock_rate", "rate": 2}"#).matches(&rate));
    let nowhere = event(TraceKind::ClientRequest {
        node: None,
        id: 1,
        command: raftlab_raft::Command::Set {
            key: "x".into(),
            value: "1".into(),
        },
    });
    assert!(
        pattern(r#"{"kind": "client_request", "node": null, "command": "set x=1"}"#)
            .matches(&nowhere)
    );
    assert!(!pattern(r#"{"kind": "client_request", "node": 1}"#).matches(&nowhere));
}

/// The run of `scenario` at `ms`.
fn run_at(scenario: &Scenario, ms: u64) -> Run {
    let mut run = Run::new(scenario);
    run.reach(&Until::At(ms * 1000)).unwrap();
    run
}

fn facts(text: &str) -> lesson::Expect {
    lesson::parse_expect("expect", &json::parse(text).unwrap()).unwrap()
}

fn holds(run: &Run, text: &str) {
    if let Err(e) = run.check(&facts(text)) {
        panic!("{text} does not hold: {e}");
    }
}

fn fails(run: &Run, text: &str) -> String {
    match run.check(&facts(text)) {
        Ok(()) => panic!("{text} holds"),
        Err(e) => e,
    }
}

#[test]
fn every_fact_holds_and_fails_on_a_real_run() {
    // stale-read at 1900 ms: S5, isolated since 1000 ms, still leads term 1 with x=1
    // (entries 1-2); S2 leads term 2 with x=2 (entries 3-4) on S1 to S4.
    let run = run_at(&example("stale-read.json"), 1900);
    holds(&run, r#"{"leader": 2, "leader_exists": true}"#);
    assert_eq!(
        fails(&run, r#"{"leader": 5}"#),
        "expected leader S5, but S2 leads term 2"
    );
    assert_eq!(
        fails(&run, r#"{"leader": null}"#),
        "expected no leader, but S2 leads term 2"
    );
    assert_eq!(
        fails(&run, r#"{"leader_exists": false}"#),
        "expected no leader, but S2 leads term 2"
    );
    holds(&run, r#"{"term_at_least": 2, "term_at_most": 2}"#);
    assert_eq!(
        fails(&run, r#"{"term_at_least": 3}"#),
        "expected a term of at least 3, but the highest term is 2"
    );
    assert_eq!(
        fails(&run, r#"{"term_at_most": 1}"#),
        "expected a term of at most 1, but the highest term is 2"
    );
    holds(
        &run,
        r#"{"roles": {"2": "leader", "5": "leader", "1": "follower"}}"#,
    );
    assert_eq!(
        fails(&run, r#"{"roles": {"1": "candidate"}}"#),
        "expected S1 to be candidate, but it is follower"
    );
    holds(&run, r#"{"terms": {"5": 1, "1": 2}}"#);
    assert_eq!(
        fails(&run, r#"{"terms": {"5": 2}}"#),
        "expected S5 in term 2, but it is in term 1"
    );
    holds(&run, r#"{"voted_for": {"5": 5}}"#);
    assert!(fails(&run, r#"{"voted_for": {"5": null}}"#)
        .starts_with("expected S5 to have not voted in term 1, but it has voted for S5"));
    holds(
        &run,
        r#"{"committed": {"index": 4, "on": [1, 2, 3, 4], "term": 2, "command": "set x=2"}}"#,
    );
    holds(
        &run,
        r#"{"committed": {"index": 2, "on": [5], "command": "set x=1"}}"#,
    );
    assert_eq!(
        fails(&run, r#"{"committed": {"index": 3, "on": [1, 5]}}"#),
        "expected entry 3 committed on S5, but its commit index is 2"
    );
    assert_eq!(
        fails(
            &run,
            r#"{"committed": {"index": 4, "on": [1], "command": "set x=1"}}"#
        ),
        "expected entry 4 (set x=1) committed on S1, but S1's entry 4 is set x=2, not set x=1"
    );
    holds(&run, r#"{"not_committed": {"index": 3, "on": [5]}}"#);
    assert_eq!(
        fails(&run, r#"{"not_committed": {"index": 3, "on": [2]}}"#),
        "expected entry 3 not committed on S2, but its commit index is 4"
    );
    holds(&run, r#"{"stored": {"index": 3, "on": [1, 2], "term": 2}}"#);
    assert_eq!(
        fails(&run, r#"{"stored": {"index": 3, "on": [5]}}"#),
        "expected S5 to store entry 3, but S5 has no entry 3 (its log ends at 2)"
    );
    assert_eq!(
        fails(&run, r#"{"stored": {"index": 3, "on": [1], "term": 1}}"#),
        "expected S1 to store entry 3 of term 1, but S1's entry 3 has term 2, not 1"
    );
    holds(&run, r#"{"not_stored": {"index": 3, "on": [5]}}"#);
    holds(
        &run,
        r#"{"not_stored": {"index": 3, "on": [1], "term": 1}}"#,
    );
    assert_eq!(
        fails(
            &run,
            r#"{"not_stored": {"index": 4, "on": [1], "command": "set x=2"}}"#
        ),
        "expected S1 not to store entry 4 (set x=2), but it does (term 2, set x=2)"
    );
    holds(&run, r#"{"log_length": {"1": 4, "5": 2}}"#);
    assert_eq!(
        fails(&run, r#"{"log_length": {"5": 4}}"#),
        "expected S5's log to end at index 4, but it ends at 2"
    );
    holds(&run, r#"{"value": {"node": 5, "key": "x", "is": "1"}}"#);
    holds(&run, r#"{"value": {"node": 1, "key": "y", "is": null}}"#);
    assert_eq!(
        fails(&run, r#"{"value": {"node": 5, "key": "x", "is": "2"}}"#),
        "expected S5's store to map x to \"2\", but it maps x to \"1\""
    );
    assert_eq!(
        fails(&run, r#"{"value": {"node": 1, "key": "x", "is": null}}"#),
        "expected S1's store to have no x, but it maps x to \"2\""
    );
    holds(
        &run,
        r#"{"running": [1, 2, 3, 4, 5], "safe": true, "history": "linearizable"}"#,
    );
    assert_eq!(
        fails(&run, r#"{"crashed": [3]}"#),
        "expected S3 to be down, but it is running"
    );
    assert_eq!(
        fails(&run, r#"{"safe": false}"#),
        "expected a safety violation, but the checker has found none"
    );
    assert_eq!(
        fails(&run, r#"{"violation": "election_safety"}"#),
        "expected a election_safety violation, but the checker has found none"
    );
    assert!(fails(&run, r#"{"history": "not_linearizable"}"#)
        .starts_with("expected the clients' history not to be linearizable, but it is"));
    holds(&run, r#"{"members": {"voters": [5, 4, 3, 2, 1]}}"#);
    assert_eq!(
        fails(&run, r#"{"members": {"voters": [1, 2, 3], "learners": [4]}}"#),
        "expected voters S1, S2, S3 and learners S4, but the cluster uses voters S1, S2, S3, S4, S5 and learners none"
    );
    assert_eq!(
        fails(&run, r#"{"snapshot": {"node": 1, "index_at_least": 1}}"#),
        "expected S1's snapshot to cover index 1, but it has no snapshot"
    );
    assert_eq!(
        fails(&run, r#"{"roles": {"7": "leader"}}"#),
        "S7 does not exist (the cluster has 5 servers)"
    );
    assert_eq!(
        fails(&run, r#"{"refused": {"node": 1, "reason": "log_behind"}}"#),
        "expected S1 to have refused (log_behind), but it has refused nothing"
    );

    // After the stale reads at 2000 ms, the history is not linearizable.
    let run = run_at(&example("stale-read.json"), 2200);
    holds(&run, r#"{"history": "not_linearizable"}"#);
    assert!(fails(&run, r#"{"history": "linearizable"}"#)
        .starts_with("expected the clients' history to be linearizable, but it is not: key x:"));
    // At time 0 nobody leads.
    let run = run_at(&example("stale-read.json"), 0);
    holds(
        &run,
        r#"{"leader": null, "leader_exists": false, "term_at_most": 0}"#,
    );
    assert_eq!(
        fails(&run, r#"{"leader_exists": true}"#),
        "expected a leader, but no server leads"
    );
    assert_eq!(
        fails(&run, r#"{"leader": 1}"#),
        "expected leader S1, but no server leads"
    );
    // A crashed server is down.
    let run = run_at(&example("basic.json"), 1100);
    holds(&run, r#"{"crashed": [1], "roles": {"1": "down"}}"#);
    assert_eq!(
        fails(&run, r#"{"running": [1]}"#),
        "expected S1 to be running, but it is down"
    );
}

#[test]
fn facts_about_refusals_messages_members_snapshots_and_violations() {
    // basic at 2011.1 ms: S3 has just rejected the deposed S5's AppendEntries (stale term).
    let mut run = Run::new(&example("basic.json"));
    run.reach(&Until::At(2_011_100)).unwrap();
    holds(
        &run,
        r#"{"refused": {"node": 3, "reason": "stale_term", "candidate": 5}}"#,
    );
    assert_eq!(
        fails(&run, r#"{"refused": {"node": 3, "reason": "log_behind"}}"#),
        "expected S3's latest refusal to be log_behind, but it was stale_term (of S5)"
    );
    assert_eq!(
        fails(
            &run,
            r#"{"refused": {"node": 3, "reason": "stale_term", "candidate": 4}}"#
        ),
        "expected S3's latest refusal to be stale_term (of S4), but it was stale_term (of S5)"
    );
    // figure8-by-hand at 15 ms: S5's four RequestVotes are held (manual delivery).
    let run = run_at(&example("figure8-by-hand.json"), 15);
    holds(
        &run,
        r#"{"held_at_least": 4, "in_flight": {"type": "RequestVote", "at_least": 4}}"#,
    );
    assert_eq!(
        fails(&run, r#"{"held_at_least": 5}"#),
        "expected at least 5 held messages, but 4 are held"
    );
    assert_eq!(
        fails(&run, r#"{"in_flight": {"type": "AppendEntries"}}"#),
        "expected at least 1 AppendEntries on the wire, but there are 0"
    );
    // membership: S4 joins as a learner at 1000 ms, and is a voter by 1100 ms.
    let mut run = Run::new(&example("membership.json"));
    run.reach(&Until::At(1_005_000)).unwrap();
    holds(
        &run,
        r#"{"members": {"voters": [1, 2, 3], "learners": [4]}}"#,
    );
    run.reach(&Until::At(1_100_000)).unwrap();
    holds(&run, r#"{"members": {"voters": [1, 2, 3, 4]}}"#);
    // snapshots at 1300 ms: S5, S3 and S2 have snapshots up to index 5.
    let run = run_at(&example("snapshots.json"), 1300);
    holds(&run, r#"{"snapshot": {"node": 5, "index_at_least": 5}}"#);
    assert_eq!(
        fails(&run, r#"{"snapshot": {"node": 5, "index_at_least": 6}}"#),
        "expected S5's snapshot to cover index 6, but it covers up to 5"
    );
    // figure8-bug at the end: the checker caught a committed entry being replaced.
    let run = run_at(&example("figure8-bug.json"), 1000);
    holds(
        &run,
        r#"{"safe": false, "violation": "state_machine_safety"}"#,
    );
    assert!(fails(&run, r#"{"safe": true}"#).starts_with(
        "expected no safety violation, but the checker found one: leader_completeness"
    ));
    assert_eq!(
        fails(&run, r#"{"violation": "election_safety"}"#),
        "expected a election_safety violation, but the checker found only: leader_completeness, state_machine_safety"
    );
}

fn lesson_with(steps: &str) -> Lesson {
    let text = format!(
        r#"{{"version": 1, "id": "t", "title": "T", "summary": "S", "topics": ["5.2"],
            "scenario": {{"version": 1, "seed": 42, "nodes": 5, "until_ms": 3000}},
            "steps": [{steps}]}}"#
    );
    Lesson::parse(&text).unwrap_or_else(|e| panic!("{e}"))
}

#[test]
fn moments_come_in_order_and_failures_name_the_step() {
    let l = lesson_with(
        r#"{"title": "A", "text": "a", "until": {"at_ms": 300}},
           {"title": "B", "text": "b", "until": {"at_ms": 200}}"#,
    );
    let e = lesson::check(&l, None, false).unwrap_err();
    assert_eq!(e.step, 2);
    assert_eq!(
        e.to_string(),
        "step 2 (B): until.at_ms: 200 ms is before the previous step's moment, 300 ms"
    );

    let l = lesson_with(
        r#"{"title": "A", "text": "a", "until": {"kind": "become_leader", "node": 3}, "expect": {"leader": 3}}"#,
    );
    let e = lesson::check(&l, None, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"step 1 (A): until: no trace event matched {"kind":"become_leader","node":3} within 10000 ms of 0 ms"#
    );
    let l = lesson_with(
        r#"{"title": "A", "text": "a", "until": {"kind": "become_leader", "within_ms": 100}}"#,
    );
    assert!(lesson::check(&l, None, false)
        .unwrap_err()
        .message
        .contains("within 100 ms of 0 ms"));

    // Pattern moments: each after the previous one; a step's scenario starts again at 0.
    let l = lesson_with(
        r#"{"title": "A", "text": "a", "until": {"kind": "send", "msg": {"type": "AppendEntries"}}},
           {"title": "B", "text": "b", "until": {"kind": "commit", "index": 1}, "expect": {"committed": {"index": 1, "on": [5]}}},
           {"title": "C", "text": "c", "until": {"kind": "commit", "index": 1}},
           {"title": "D", "text": "d", "scenario": {"version": 1, "seed": 42, "nodes": 3}, "until": {"kind": "become_leader"}}"#,
    );
    let c = lesson::check(&l, None, false).unwrap();
    assert_eq!(
        c.moments[0], 190_001,
        "the new leader's first AppendEntries"
    );
    assert!(
        c.moments[1] > c.moments[0] && c.moments[2] > c.moments[1],
        "{:?}",
        c.moments
    );
    assert!(c.moments[3] < c.moments[2], "a new run: {:?}", c.moments);
    assert_eq!(c.run.sim().nodes().len(), 3);
    assert_eq!(l.scenario_at(2).nodes, 5);
    assert_eq!(l.scenario_at(3).nodes, 3);
    assert_eq!(l.scenario_at(9).nodes, 3);
}

#[test]
fn tasks_perform_show_me_and_wait_for_the_goal() {
    // A goal of facts, met some time after the action: a new leader once the old one is down.
    let l = lesson_with(
        r#"{"title": "A", "text": "a", "until": {"kind": "become_leader"},
            "task": {"prompt": "Crash it.", "goal": {"expect": {"leader_exists": true, "crashed": [5]}},
                     "show_me": [{"do": "crash", "node": "leader"}]}},
           {"title": "B", "text": "b", "until": {"after_ms": 0}, "expect": {"term_at_least": 2}}"#,
    );
    let c = lesson::check(&l, None, false).unwrap();
    let met = c.goals[0].unwrap();
    assert!(
        met > c.moments[0],
        "a new leader takes a while: {:?}",
        c.goals
    );
    assert_eq!(
        c.moments[1], met,
        "the next moment is searched from the goal"
    );
    // The recorded scenario has the action at the step's moment.
    let s = c.run.scenario();
    assert_eq!(s.events.len(), 1);
    assert_eq!(s.events[0].at_us, c.moments[0]);
    assert_eq!(s.until_us, met);

    // Opening at step 2 replays the "Show me" of step 1; at step 1, nothing yet.
    let (s2, t2) = lesson::open_at(&l, 2).unwrap();
    assert_eq!(
        (s2.events.len(), t2, s2.until_us),
        (1, c.moments[1], c.moments[1])
    );
    let (s1, t1) = lesson::open_at(&l, 1).unwrap();
    assert_eq!(
        (s1.events.len(), t1, s1.until_us),
        (0, c.moments[0], c.moments[0])
    );
    let mut replay = Run::new(&s2);
    replay.reach(&Until::At(t2)).unwrap();
    assert_eq!(replay.sim().leader(), c.run.sim().leader());
    assert_eq!(
        lesson::open_at(&l, 3).unwrap_err().message,
        "no such step: the lesson has steps 1 to 2"
    );

    // A goal never met.
    let l = lesson_with(
        r#"{"title": "A", "text": "a", "until": {"at_ms": 500},
            "task": {"prompt": "p", "goal": {"kind": "restart"}, "show_me": [{"do": "crash", "node": 1}], "within_ms": 300}}"#,
    );
    let e = lesson::check(&l, None, false).unwrap_err();
    assert_eq!(
        e.to_string(),
        r#"step 1 (A): task: the goal was not met within 300 ms after "Show me" at 500 ms: no trace event matched {"kind":"restart"}"#
    );
    // A highlight of a server the cluster does not have.
    let l = lesson_with(
        r#"{"title": "A", "text": "a", "until": {"at_ms": 500}, "highlight": {"links": [[1, 6]]}}"#,
    );
    assert_eq!(
        lesson::check(&l, None, false).unwrap_err().to_string(),
        "step 1 (A): highlight.links: no such server at 500 ms (the cluster has 5)"
    );
    // A wrong fact at the moment.
    let l = lesson_with(
        r#"{"title": "A", "text": "a", "until": {"at_ms": 500}, "expect": {"leader": 1}}"#,
    );
    assert_eq!(
        lesson::check(&l, None, false).unwrap_err().to_string(),
        "step 1 (A): expect at 500 ms: expected leader S1, but S5 leads term 1"
    );
}

#[test]
fn the_page_finds_moments_on_a_snapshot_with_its_pending_actions() {
    // The page's simulation has no scheduled actions: it applies them as time passes.
    let scenario = example("basic.json");
    let mut live = Simulation::new(scenario.nodes, scenario.config.clone(), scenario.seed);
    live.run_until(900_000, false);
    let pending: Vec<TimedAction> = scenario.events.clone();
    let until = Until::Event {
        pattern: pattern(r#"{"kind": "become_leader"}"#),
        within_us: 5_000_000,
    };
    let t = until.find(&live, &pending).unwrap();
    assert_eq!(live.now(), 900_000, "the live run is not changed");
    // The same moment as the headless run: S1 crashes at 1000 ms, the partition at 1200 ms
    // leaves S5 leading the majority; S5 is isolated at 1700 ms, and the majority elects.
    let mut run = Run::new(&scenario);
    run.reach(&Until::At(900_000)).unwrap();
    assert_eq!(run.reach(&until).unwrap(), t);
    assert!(t > 1_700_000, "{t}");
    assert_eq!(
        Until::At(800_000).find(&live, &pending).unwrap_err(),
        "until.at_ms: 800 ms is before the previous step's moment, 900 ms"
    );
    assert_eq!(Until::After(50_000).find(&live, &pending), Ok(950_000));

    // A task's goal, looked ahead after the reader's action.
    let l = lesson_with(
        r#"{"title": "A", "text": "a", "until": {"at_ms": 500},
            "task": {"prompt": "p", "goal": {"kind": "become_leader", "term": 2}, "show_me": [{"do": "crash", "node": "leader"}]}}"#,
    );
    let task = l.steps[0].task.as_ref().unwrap();
    let mut sim = Simulation::new(5, scenario.config.clone(), 42);
    let seen: Rc<RefCell<Vec<TraceEvent>>> = Rc::default();
    let sink = seen.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    sim.run_until(500_000, false);
    seen.borrow_mut().clear();
    for a in &task.show_me {
        sim.schedule(500_000, a.clone());
    }
    sim.run_until(500_000, false);
    assert!(!task.goal.met(&sim, &[], &seen.borrow()), "not yet");
    let met = task.find_goal(&sim, &[], 500_000, &seen.borrow()).unwrap();
    let checked = lesson::check(&l, None, false).unwrap();
    assert_eq!(checked.goals[0], Some(met));
    sim.run_until(met, false);
    assert!(task.goal.met(&sim, &[], &seen.borrow()));
    assert!(matches!(task.goal, Goal::Event(_)));
}

// ---- the command line ----

struct Ran {
    code: i32,
    stdout: String,
    stderr: String,
}

fn raftlab(args: &[&str]) -> Ran {
    let out = Command::new(env!("CARGO_BIN_EXE_raftlab"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("runs");
    let ran = Ran {
        code: out.status.code().expect("exited"),
        stdout: String::from_utf8(out.stdout).unwrap(),
        stderr: String::from_utf8(out.stderr).unwrap(),
    };
    assert!(!ran.stderr.contains("panicked"), "{}", ran.stderr);
    ran
}

fn path(name: &str) -> String {
    fixture(name).display().to_string()
}

#[test]
fn lesson_check_passes_a_good_lesson() {
    let file = path("hello.json");
    let r = raftlab(&["lesson", "check", &file]);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        format!("ok {file}: 4 steps (0 ms, 190.001 ms, 290.001 ms, 498.605 ms)\n")
    );
}

#[test]
fn lesson_check_exits_1_when_a_moment_never_comes() {
    let file = path("never.json");
    let r = raftlab(&["lesson", "check", &path("hello.json"), &file]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(r.stdout.starts_with("ok "), "{}", r.stdout);
    assert!(
        r.stdout.contains(&format!(
            "FAIL {file}: step 2 (S3 wins): until: no trace event matched {{\"kind\":\"become_leader\",\"node\":3}} within 2000 ms of 0 ms"
        )),
        "{}",
        r.stdout
    );
}

#[test]
fn lesson_check_checks_an_index_against_its_lessons() {
    // The shipped lessons with their index, as `lessons/*.json` expands.
    let dir = root().join("lessons");
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().path().display().to_string())
        .filter(|p| p.ends_with(".json"))
        .collect();
    files.sort();
    let args: Vec<&str> = ["lesson", "check"]
        .into_iter()
        .chain(files.iter().map(String::as_str))
        .collect();
    let r = raftlab(&args);
    assert_eq!(r.code, 0, "{}{}", r.stdout, r.stderr);
    let index = dir.join("index.json").display().to_string();
    assert!(
        r.stdout.contains(&format!(
            "ok {index}: the index of 17 lessons matches their files\n"
        )),
        "{}",
        r.stdout
    );
    // A stale index (a lesson's step count changed since) fails, naming the entry.
    let tmp = std::env::temp_dir().join(format!("raftlab-index-{}", std::process::id()));
    std::fs::create_dir_all(&tmp).unwrap();
    std::fs::copy(fixture("hello.json"), tmp.join("hello.json")).unwrap();
    let entry = Lesson::parse(&std::fs::read_to_string(fixture("hello.json")).unwrap())
        .unwrap()
        .index_entry()
        .to_pretty()
        .replace("\"steps\": 4", "\"steps\": 5");
    std::fs::write(tmp.join("index.json"), format!("[{entry}]")).unwrap();
    let stale = tmp.join("index.json").display().to_string();
    let r = raftlab(&["lesson", "check", &stale]);
    let _ = std::fs::remove_dir_all(&tmp);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert!(
        r.stdout
            .starts_with(&format!("FAIL {stale}: entry 1 (hello) differs from ")),
        "{}",
        r.stdout
    );
    assert!(r.stdout.contains("raftlab lesson index"), "{}", r.stdout);
}

#[test]
fn lesson_check_exits_1_on_a_wrong_expect() {
    let file = path("wrong-expect.json");
    let r = raftlab(&["lesson", "check", &file]);
    assert_eq!(r.code, 1, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stdout,
        format!("FAIL {file}: step 2 (The leader): expect at 190.001 ms: expected leader S3, but S5 leads term 1\n")
    );
}

#[test]
fn lesson_check_exits_2_on_a_malformed_file_naming_step_and_field() {
    let file = path("malformed.json");
    let r = raftlab(&["lesson", "check", &file, &path("hello.json")]);
    assert_eq!(r.code, 2, "{}{}", r.stdout, r.stderr);
    assert_eq!(
        r.stderr,
        format!(
            "raftlab: error: {file}: step 2 (Split vote): until.kind: no trace kind \"leader\"\n"
        )
    );
    assert!(
        r.stdout.starts_with("ok "),
        "the other files are still checked: {}",
        r.stdout
    );
    let r = raftlab(&["lesson", "check", "/nonexistent/lesson.json"]);
    assert_eq!(r.code, 2);
    assert!(
        r.stderr
            .starts_with("raftlab: error: cannot read /nonexistent/lesson.json"),
        "{}",
        r.stderr
    );
}

#[test]
fn lesson_check_reads_standard_input() {
    let text = std::fs::read(fixture("wrong-expect.json")).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_raftlab"))
        .args(["lesson", "check", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .spawn()
        .unwrap();
    std::io::Write::write_all(&mut child.stdin.take().unwrap(), &text).unwrap();
    let out = child.wait_with_output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("FAIL -: step 2 (The leader)"));
}

#[test]
fn lesson_index_lists_the_lessons_in_order() {
    let r = raftlab(&[
        "lesson",
        "index",
        &path("hello.json"),
        &path("wrong-expect.json"),
    ]);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let v: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        v,
        serde_json::json!([
            {"id": "hello", "title": "A leader is elected", "summary": "Five servers start as followers; one times out and wins a majority.", "topics": ["5.2"], "steps": 4, "nodes": 5, "system": "raft"},
            {"id": "wrong-expect", "title": "A wrong fact", "summary": "The second step expects the wrong leader.", "topics": ["5.2"], "steps": 2, "nodes": 5, "system": "raft"}
        ])
    );
    let r = raftlab(&["lesson", "index", &path("malformed.json")]);
    assert_eq!(r.code, 2);
}

#[test]
fn lesson_run_prints_a_scenario_that_replays_the_trace_exactly() {
    let file = path("hello.json");
    let trace = raftlab(&["lesson", "run", &file, "--trace", "-"]);
    assert_eq!(trace.code, 0, "{}", trace.stderr);
    let scenario = raftlab(&["lesson", "run", &file, "--scenario"]);
    assert_eq!(scenario.code, 0, "{}", scenario.stderr);
    assert!(
        scenario
            .stdout
            .contains(r#"{"at_ms":290.001,"do":"crash","node":"leader"}"#),
        "{}",
        scenario.stdout
    );
    let tmp = std::env::temp_dir().join(format!("raftlab-lesson-run-{}.json", std::process::id()));
    std::fs::write(&tmp, &scenario.stdout).unwrap();
    let replay = raftlab(&["run", tmp.to_str().unwrap(), "--trace", "-"]);
    std::fs::remove_file(&tmp).ok();
    assert_eq!(replay.code, 0);
    assert_eq!(
        trace.stdout, replay.stdout,
        "raftlab run replays the lesson's run"
    );
    assert!(trace
        .stdout
        .lines()
        .any(|l| l.contains(r#""kind":"crash","node":5"#)));
    // Up to step 2 only.
    let short = raftlab(&["lesson", "run", &file, "--scenario", "--step", "2"]);
    assert!(
        short.stdout.contains("\"until_ms\": 190.001"),
        "{}",
        short.stdout
    );
    let r = raftlab(&["lesson", "run", &file, "--scenario", "--step", "9"]);
    assert_eq!(r.code, 2);
    assert!(r.stderr.contains("--step 9"), "{}", r.stderr);
}

#[test]
fn the_lessons_index_lists_every_lesson_in_the_repository() {
    let dir = root().join("lessons");
    let index = dir.join("index.json");
    if !index.exists() {
        return; // no lessons yet
    }
    let listed: serde_json::Value = serde_json::from_str(&std::fs::read_to_string(&index).unwrap())
        .expect("index.json is JSON");
    let ids: Vec<String> = listed
        .as_array()
        .expect("a list")
        .iter()
        .map(|e| e["id"].as_str().expect("an id").to_string())
        .collect();
    let files: Vec<String> = ids
        .iter()
        .map(|id| dir.join(format!("{id}.json")).display().to_string())
        .collect();
    let mut args = vec!["lesson", "index"];
    args.extend(files.iter().map(String::as_str));
    let r = raftlab(&args);
    assert_eq!(r.code, 0, "{}", r.stderr);
    let made: serde_json::Value = serde_json::from_str(&r.stdout).unwrap();
    assert_eq!(
        listed, made,
        "lessons/index.json is out of date: run raftlab lesson index"
    );
    for entry in std::fs::read_dir(&dir).unwrap() {
        let name = entry.unwrap().file_name().to_string_lossy().to_string();
        if let Some(id) = name.strip_suffix(".json").filter(|id| *id != "index") {
            assert!(
                ids.iter().any(|i| i == id),
                "lessons/{name} is not in lessons/index.json"
            );
        }
    }
}

/// Every copy of `v` with one value (at any depth) replaced by `with`.
fn mutations(v: &Value, with: &Value, out: &mut Vec<Value>) {
    out.push(with.clone());
    match v {
        Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let mut inner = Vec::new();
                mutations(item, with, &mut inner);
                for m in inner {
                    let mut copy = items.clone();
                    copy[i] = m;
                    out.push(Value::Array(copy));
                }
            }
        }
        Value::Object(map) => {
            for (k, item) in map.iter() {
                let mut inner = Vec::new();
                mutations(item, with, &mut inner);
                for m in inner {
                    let mut copy = map.clone();
                    copy.insert(k.clone(), m);
                    out.push(Value::Object(copy));
                }
            }
        }
        _ => {}
    }
}

#[test]
fn no_single_change_to_a_lesson_makes_the_parser_or_the_checker_panic() {
    let text = std::fs::read_to_string(fixture("hello.json")).unwrap();
    let good = json::parse(&text).unwrap();
    let replacements = [
        "null",
        "0",
        "-1",
        "1.5",
        "1e300",
        "\"\"",
        "\"leader\"",
        "[]",
        "[0]",
        "{}",
        "{\"kind\": \"crash\"}",
        "true",
    ];
    let (mut parsed, mut refused) = (0, 0);
    for r in replacements {
        let mut docs = Vec::new();
        mutations(&good, &json::parse(r).unwrap(), &mut docs);
        for doc in docs {
            match Lesson::from_json(&doc) {
                Ok(lesson) => {
                    parsed += 1;
                    let _ = lesson::check(&lesson, None, false);
                }
                Err(e) => {
                    refused += 1;
                    assert!(!e.to_string().is_empty());
                }
            }
        }
    }
    assert!(
        parsed > 20 && refused > 500,
        "{parsed} parsed, {refused} refused"
    );
}

#[test]
fn the_example_of_the_format_document_holds() {
    let doc = std::fs::read_to_string(root().join("docs/lesson-format.md")).unwrap();
    let start = doc.find("```json\n{").expect("an example") + "```json\n".len();
    let end = start + doc[start..].find("\n```").unwrap();
    let lesson = Lesson::parse(&doc[start..end]).unwrap_or_else(|e| panic!("{e}"));
    let checked = lesson::check(&lesson, None, false).unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(checked.moments, vec![0, 190_001]);
    // The question and the task of the Questions and Tasks sections are valid.
    for (section, name) in [
        ("### Questions", "\"question\": {"),
        ("### Tasks", "\"task\": {"),
    ] {
        let from = doc.find(section).expect("the section");
        let start = from + doc[from..].find(name).expect("the example");
        let end = start + doc[start..].find("\n```").unwrap();
        let step = format!("\"until\": {{\"at_ms\": 0}}, {}", &doc[start..end]);
        if let Err(e) = Lesson::parse(&with_step(&step)) {
            panic!("{name}: {e}");
        }
    }
}

/// Every Raft-only fact, as `expect` text, for the tests of the other systems.
const RAFT_ONLY_FACTS: [&str; 14] = [
    r#"{"term_at_least": 1}"#,
    r#"{"term_at_most": 1}"#,
    r#"{"roles": {"1": "leader"}}"#,
    r#"{"terms": {"1": 1}}"#,
    r#"{"voted_for": {"1": 1}}"#,
    r#"{"committed": {"index": 1, "on": [1]}}"#,
    r#"{"not_committed": {"index": 1, "on": [1]}}"#,
    r#"{"stored": {"index": 1, "on": [1]}}"#,
    r#"{"not_stored": {"index": 1, "on": [1]}}"#,
    r#"{"log_length": {"1": 1}}"#,
    r#"{"value": {"node": 1, "key": "x", "is": null}}"#,
    r#"{"refused": {"node": 1, "reason": "stale_term"}}"#,
    r#"{"members": {"voters": [1, 2, 3]}}"#,
    r#"{"snapshot": {"node": 1, "index_at_least": 1}}"#,
];

#[test]
fn quorum_facts_hold_and_fail_and_raft_facts_refuse_a_quorum_run() {
    // quorum-lww-skew: x=1 through S1 is acknowledged at 524.5 ms; x=2 through S2, whose
    // clock is 50 ms behind, is acknowledged at 555 ms but ignored by every replica; a read
    // at 800 ms returns x=1.
    let scenario = example("quorum-lww-skew.json");
    let run = run_at(&scenario, 510);
    holds(
        &run,
        r#"{"replica": {"node": 1, "key": "x", "values": ["1"]}, "safe": true}"#,
    );
    holds(
        &run,
        r#"{"replica": {"node": [2, 3], "key": "x", "values": []}}"#,
    );
    let run = run_at(&scenario, 900);
    holds(
        &run,
        r#"{"replica": {"node": [1, 2, 3], "key": "x", "values": ["1"]},
            "violation": "acked_write_lost", "safe": false, "history": "not_linearizable",
            "running": [1, 2, 3], "held_at_least": 0}"#,
    );
    assert_eq!(
        fails(
            &run,
            r#"{"replica": {"node": [1, 2], "key": "x", "values": ["2"]}}"#
        ),
        "expected replica S1 to hold x = \"2\", but it holds x = \"1\""
    );
    assert_eq!(
        fails(
            &run,
            r#"{"replica": {"node": 3, "key": "y", "values": ["1"]}}"#
        ),
        "expected replica S3 to hold y = \"1\", but it holds no y"
    );
    assert_eq!(
        fails(
            &run,
            r#"{"replica": {"node": 4, "key": "x", "values": []}}"#
        ),
        "S4 does not exist (the cluster has 3 servers)"
    );
    assert_eq!(
        fails(&run, r#"{"crashed": [2]}"#),
        "expected S2 to be down, but it is running"
    );
    assert_eq!(
        fails(&run, r#"{"history": "linearizable"}"#)
            .split(':')
            .next(),
        Some("expected the clients' history to be linearizable, but it is not")
    );
    assert_eq!(
        fails(&run, r#"{"violation": "two_leaders_act_at_once"}"#),
        "expected a two_leaders_act_at_once violation, but the checker found only: acked_write_lost"
    );
    // Raft's facts, the lease facts and `leader` refuse the run, naming what it checks.
    for text in RAFT_ONLY_FACTS {
        let e = fails(&run, text);
        assert!(
            e.contains("is not a fact of a quorum run (raft only); a quorum run checks replica,"),
            "{text}: {e}"
        );
    }
    for text in [
        r#"{"leader": null}"#,
        r#"{"leader_exists": false}"#,
        r#"{"holder": null}"#,
        r#"{"believes": {"node": 2, "leading": false}}"#,
        r#"{"resource": {"highest": 0}}"#,
    ] {
        assert!(
            fails(&run, text).contains("is not a fact of a quorum run"),
            "{text}"
        );
    }
}

#[test]
fn lease_facts_hold_and_fail_and_raft_facts_refuse_a_lease_run() {
    // lease-pause: S2 holds token 33 and freezes at 1 s for 2.5 s; S3 takes the lease with
    // token 34 at 2.637 s and writes at 2.709 s; S2 wakes at 3.5 s, stops leading, and its
    // late write with token 33 is accepted at 3.512 s (no fencing).
    let scenario = example("lease-pause.json");
    let run = run_at(&scenario, 500);
    holds(
        &run,
        r#"{"holder": 2, "leader": 2, "leader_exists": true,
            "believes": {"node": 3, "holder": 2, "leading": false},
            "resource": {"highest": 33, "accepted_at_least": 2}, "safe": true}"#,
    );
    let run = run_at(&scenario, 2800);
    holds(
        &run,
        r#"{"holder": 3, "leader": 3, "believes": {"node": 2, "holder": 2, "leading": true},
            "resource": {"highest": 34}, "running": [1, 2, 3, 4], "history": "linearizable"}"#,
    );
    assert_eq!(
        fails(&run, r#"{"holder": 2}"#),
        "expected the store to say S2 holds the lease, but it says S3 holds the lease (token 34)"
    );
    assert_eq!(
        fails(&run, r#"{"leader": 2}"#),
        "expected leader S2, but S3 believes it leads with token 34"
    );
    assert_eq!(
        fails(&run, r#"{"believes": {"node": 2, "leading": false}}"#),
        "expected S2 not to believe it leads, but it does (token 33)"
    );
    assert_eq!(
        fails(&run, r#"{"believes": {"node": 3, "holder": null}}"#),
        "expected S3 to believe nobody holds the lease, but it believes S3 does"
    );
    assert_eq!(
        fails(&run, r#"{"believes": {"node": 1, "leading": false}}"#),
        "S1 is not a candidate (S1 is the store, S4 the resource)"
    );
    assert_eq!(
        fails(&run, r#"{"resource": {"highest": 33}}"#),
        "expected the resource's highest accepted token to be 33, but it is 34"
    );
    assert!(
        fails(&run, r#"{"resource": {"accepted_at_least": 100}}"#).starts_with(
            "expected the resource to have accepted at least 100 writes, but it accepted "
        )
    );
    let run = run_at(&scenario, 3600);
    holds(
        &run,
        r#"{"violation": "two_leaders_act_at_once", "safe": false,
            "believes": {"node": 2, "leading": false}}"#,
    );
    holds(&run, r#"{"violation": "stale_lease_write_accepted"}"#);
    for text in RAFT_ONLY_FACTS {
        let e = fails(&run, text);
        assert!(
            e.contains("is not a fact of a lease run (raft only); a lease run checks leader,"),
            "{text}: {e}"
        );
    }
    assert!(fails(
        &run,
        r#"{"replica": {"node": 1, "key": "x", "values": []}}"#
    )
    .starts_with("replica is not a fact of a lease run (quorum only)"));
    // And the other systems' facts refuse a Raft run.
    let run = run_at(&example("basic.json"), 500);
    for text in [
        r#"{"replica": {"node": 1, "key": "x", "values": []}}"#,
        r#"{"holder": null}"#,
        r#"{"believes": {"node": 2, "leading": false}}"#,
        r#"{"resource": {"highest": 0}}"#,
    ] {
        assert!(
            fails(&run, text).contains("is not a fact of a raft run"),
            "{text}"
        );
    }
}

#[test]
fn the_facts_of_the_other_systems_are_parsed_strictly() {
    let bad = |fact: &str| {
        refused(&with_step(&format!(
            r#""until": {{"at_ms": 0}}, "expect": {fact}"#
        )))
    };
    assert!(
        bad(r#"{"replica": {"node": 1, "key": "x"}}"#).contains("expect.replica.values: missing")
    );
    assert!(
        bad(r#"{"replica": {"node": 1, "key": "x", "values": "2"}}"#)
            .contains("expect.replica.values: expected a list of values")
    );
    assert!(
        bad(r#"{"replica": {"node": 1, "key": "x", "values": [], "at": 1}}"#)
            .contains("expect.replica.at")
    );
    assert!(bad(r#"{"believes": {"node": 2}}"#).contains("expect.believes: states nothing"));
    assert!(bad(r#"{"resource": {}}"#).contains("expect.resource: states nothing"));
    assert!(bad(r#"{"holder": "S2"}"#).contains("expect.holder"));
    assert!(bad(r#"{"violation": "linearizable"}"#).contains("acked_write_lost"));
}

/// The lesson ids of issue 11, part of the contract: each exists in `lessons/`, is listed in
/// `lessons/index.json`, has at least 5 steps, a question and a task, and holds.
#[test]
fn the_raft_lessons_exist_with_their_questions_and_tasks_and_hold() {
    const IDS: [&str; 12] = [
        "consensus",
        "election",
        "replication",
        "crash-restart",
        "safety",
        "partitions",
        "two-nodes",
        "reads",
        "prevote",
        "membership",
        "compaction",
        "break-it",
    ];
    let index = std::fs::read_to_string(root().join("lessons/index.json")).unwrap();
    for id in IDS {
        let text = std::fs::read_to_string(root().join(format!("lessons/{id}.json")))
            .unwrap_or_else(|e| panic!("lessons/{id}.json: {e}"));
        let lesson = Lesson::parse(&text).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert_eq!(lesson.id, id);
        assert!(
            index.contains(&format!("\"{id}\"")),
            "{id} is not in lessons/index.json"
        );
        assert!(
            lesson.steps.len() >= 5,
            "{id}: {} steps",
            lesson.steps.len()
        );
        assert!(
            lesson.steps.iter().any(|s| s.question.is_some()),
            "{id}: no question"
        );
        assert!(
            lesson.steps.iter().any(|s| s.task.is_some()),
            "{id}: no task"
        );
        lesson::check(&lesson, None, false).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}

#[test]
fn the_lessons_of_the_other_systems_hold() {
    for id in [
        "leaderless",
        "lww-clocks",
        "lease-election",
        "raft-vs-quorum",
    ] {
        let text = std::fs::read_to_string(root().join(format!("lessons/{id}.json"))).unwrap();
        let lesson = Lesson::parse(&text).unwrap_or_else(|e| panic!("{id}: {e}"));
        assert!(lesson.steps.len() >= 9, "{id}");
        assert!(
            lesson.steps.iter().filter(|s| s.question.is_some()).count() >= 2,
            "{id}"
        );
        assert!(lesson.steps.iter().any(|s| s.task.is_some()), "{id}");
        lesson::check(&lesson, None, false).unwrap_or_else(|e| panic!("{id}: {e}"));
    }
}

#[test]
fn no_single_change_to_a_lesson_of_another_system_makes_the_checker_panic() {
    let lessons = [
        r#"{"version": 1, "id": "q", "title": "Q", "summary": "S", "topics": [],
            "scenario": {"version": 1, "seed": 3, "nodes": 3, "system": "quorum",
                         "events": [{"at_ms": 10, "do": "client_write", "node": 1, "key": "x", "value": "1"}]},
            "steps": [{"title": "A", "text": "T", "until": {"at_ms": 100},
                       "highlight": {"nodes": [1]},
                       "expect": {"replica": {"node": [1, 2], "key": "x", "values": ["1"]},
                                  "running": [1, 2, 3], "history": "linearizable"},
                       "task": {"prompt": "P", "goal": {"expect": {"crashed": [2]}},
                                "show_me": [{"do": "crash", "node": 2}]}}]}"#,
        r#"{"version": 1, "id": "l", "title": "L", "summary": "S", "topics": [],
            "scenario": {"version": 1, "seed": 1, "nodes": 4, "system": "lease"},
            "steps": [{"title": "A", "text": "T", "until": {"kind": "lease_acquired", "node": 2},
                       "select": {"node": 2},
                       "expect": {"holder": 2, "leader": 2,
                                  "believes": {"node": 2, "holder": 2, "leading": true},
                                  "resource": {"highest": 0, "accepted_at_least": 0}}}]}"#,
    ];
    let replacements = ["null", "0", "9", "-1", "\"\"", "[]", "[9]", "{}", "true"];
    for text in lessons {
        let good = json::parse(text).unwrap();
        let lesson = Lesson::from_json(&good).expect("valid");
        lesson::check(&lesson, None, false).expect("holds");
        let mut parsed = 0;
        for r in replacements {
            let mut docs = Vec::new();
            mutations(&good, &json::parse(r).unwrap(), &mut docs);
            for doc in docs {
                if let Ok(lesson) = Lesson::from_json(&doc) {
                    parsed += 1;
                    if let Err(e) = lesson::check(&lesson, None, false) {
                        assert!(!e.to_string().is_empty());
                    }
                }
            }
        }
        assert!(parsed > 5, "{parsed} parsed");
    }
}
