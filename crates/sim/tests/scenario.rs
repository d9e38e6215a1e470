//! The scenario parser: the full example, defaults, every documented error (with its path and
//! message), hostile input, and round trips through `to_json` / `to_pretty`.

use proptest::prelude::*;
use raftlab_raft::{Bugs, Micros, NodeId};
use raftlab_sim::scenario::{ConfigPatch, Mode, MAX_EVENTS, MAX_NODES, MAX_TEXT, MAX_UNTIL_MS};
use raftlab_sim::{Action, ParseError, Scenario, SimConfig, Target, TimedAction};

const FULL_EXAMPLE: &str = r#"{
  "version": 1,
  "seed": 42,
  "nodes": 5,
  "until_ms": 5000,
  "config": {
    "election_timeout_ms": [150, 300],
    "heartbeat_ms": 50,
    "latency_ms": [10, 15],
    "drop_rate": 0,
    "duplicate_rate": 0
  },
  "events": [
    {"at_ms": 1000, "do": "crash", "node": 1},
    {"at_ms": 1200, "do": "partition", "groups": [[1, 2], [3, 4, 5]]},
    {"at_ms": 1500, "do": "client_write", "node": 3, "key": "x", "value": "2"},
    {"at_ms": 1600, "do": "client_write", "key": "y", "value": "3"},
    {"at_ms": 1700, "do": "isolate", "node": "leader"},
    {"at_ms": 2000, "do": "heal"},
    {"at_ms": 2100, "do": "restart", "node": 1},
    {"at_ms": 2200, "do": "timeout", "node": 2},
    {"at_ms": 2300, "do": "set", "drop_rate": 0.1}
  ]
}"#;

fn at(ms: u64, action: Action) -> TimedAction {
    TimedAction {
        at_us: ms * 1000,
        action,
    }
}

#[test]
fn full_example_parses() {
    let s = Scenario::parse(FULL_EXAMPLE).expect("the example parses");
    assert_eq!(s.seed, 42);
    assert_eq!(s.nodes, 5);
    assert_eq!(s.until_us, 5_000_000);
    assert_eq!(s.liveness_us, None);
    assert_eq!(
        s.config,
        SimConfig {
            election_timeout_us: (150_000, 300_000),
            heartbeat_us: 50_000,
            latency_us: (10_000, 15_000),
            drop_rate: 0.0,
            duplicate_rate: 0.0,
            client_timeout_us: 1_000_000,
            bugs: Bugs::default(),
            pre_vote: false,
            check_quorum: false,
            clock_drift: 0.1,
            snapshot_threshold: 0,
            delivery: Mode::Auto,
            timers: Mode::Auto,
            max_entries_per_message: 64,
            election_quorum: 0,
            commit_quorum: 0,
        }
    );
    let expected = vec![
        at(1000, Action::Crash(Target::Node(1))),
        at(1200, Action::Partition(vec![vec![1, 2], vec![3, 4, 5]])),
        at(
            1500,
            Action::ClientWrite {
                node: Some(Target::Node(3)),
                key: "x".into(),
                value: "2".into(),
            },
        ),
        at(
            1600,
            Action::ClientWrite {
                node: None,
                key: "y".into(),
                value: "3".into(),
            },
        ),
        at(1700, Action::Isolate(Target::Leader)),
        at(2000, Action::Heal),
        at(2100, Action::Restart(Target::Node(1))),
        at(2200, Action::Timeout(Target::Node(2))),
        at(
            2300,
            Action::Set(ConfigPatch {
                drop_rate: Some(0.1),
                ..ConfigPatch::default()
            }),
        ),
    ];
    assert_eq!(s.events, expected);
    // And it survives a round trip through both writers.
    assert_eq!(Scenario::parse(&s.to_json().to_string()), Ok(s.clone()));
    assert_eq!(Scenario::parse(&s.to_pretty()), Ok(s));
}

#[test]
fn version_alone_gives_defaults() {
    let s = Scenario::parse(r#"{"version":1}"#).expect("minimal scenario");
    assert_eq!(s, Scenario::default());
    assert_eq!(s.seed, 1);
    assert_eq!(s.nodes, 5);
    assert_eq!(s.until_us, 5_000_000);
    assert_eq!(s.config, SimConfig::default());
    assert!(s.events.is_empty());
    assert_eq!(s.liveness_us, None);
}

#[test]
fn fractional_milliseconds_become_microseconds() {
    let s = Scenario::parse(
        r#"{"version":1,"until_ms":0.5,"liveness_ms":2.25,"events":[{"at_ms":12.345,"do":"heal"}]}"#,
    )
    .unwrap();
    assert_eq!(s.events[0].at_us, 12_345);
    assert_eq!(s.until_us, 500);
    assert_eq!(s.liveness_us, Some(2_250));
    // Written back with three decimals.
    let json: serde_json::Value = serde_json::from_str(&s.to_json().to_json()).unwrap();
    assert_eq!(json["events"][0]["at_ms"], serde_json::json!(12.345));
    assert_eq!(json["until_ms"], serde_json::json!(0.5));
}

#[test]
fn every_action_kind_and_bugs_parse() {
    let s = Scenario::parse(
        r#"{"version":1,"nodes":3,"liveness_ms":1000,
            "config":{"bugs":["commit_previous_term","skip_vote_log_check"],"client_timeout_ms":250},
            "events":[
              {"at_ms":0,"do":"client_delete","key":"k"},
              {"at_ms":1,"do":"client_delete","node":"leader","key":"k"},
              {"at_ms":2,"do":"crash","node":"leader"},
              {"at_ms":3,"do":"set","election_timeout_ms":[10,20],"heartbeat_ms":5,
               "latency_ms":[0,0],"duplicate_rate":1,"client_timeout_ms":7}
            ]}"#,
    )
    .unwrap();
    assert!(s.config.bugs.commit_previous_term);
    assert!(s.config.bugs.skip_vote_log_check);
    assert_eq!(s.config.client_timeout_us, 250_000);
    assert_eq!(s.liveness_us, Some(1_000_000));
    assert_eq!(
        s.events[0].action,
        Action::ClientDelete {
            node: None,
            key: "k".into()
        }
    );
    assert_eq!(
        s.events[1].action,
        Action::ClientDelete {
            node: Some(Target::Leader),
            key: "k".into()
        }
    );
    assert_eq!(s.events[2].action, Action::Crash(Target::Leader));
    assert_eq!(
        s.events[3].action,
        Action::Set(ConfigPatch {
            election_timeout_us: Some((10_000, 20_000)),
            heartbeat_us: Some(5_000),
            latency_us: Some((0, 0)),
            drop_rate: None,
            duplicate_rate: Some(1.0),
            client_timeout_us: Some(7_000),
            pre_vote: None,
            check_quorum: None,
            clock_drift: None,
            snapshot_threshold: None,
            delivery: None,
            timers: None,
            max_entries_per_message: None,
            election_quorum: None,
            commit_quorum: None,
            bugs: None,
        })
    );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

fn parse_err(text: &str) -> ParseError {
    match Scenario::parse(text) {
        Ok(s) => panic!("expected an error for {text:?}, got {s:?}"),
        Err(e) => e,
    }
}

/// Asserts that `text` fails at `path` with a message containing `needle`.
#[track_caller]
fn assert_err(text: &str, path: &str, needle: &str) {
    let e = parse_err(text);
    assert_eq!(e.path, path, "path of {e:?} for {text}");
    assert!(
        e.message.contains(needle),
        "message {:?} should contain {needle:?} (input {text})",
        e.message
    );
    // Display puts the path first.
    let shown = e.to_string();
    if !path.is_empty() {
        assert!(shown.starts_with(&format!("{path}: ")), "{shown}");
    }
}

/// A 5-node scenario with one event.
fn with_event(event: &str) -> String {
    format!(r#"{{"version":1,"nodes":5,"events":[{event}]}}"#)
}

/// A scenario with this config object.
fn with_config(config: &str) -> String {
    format!(r#"{{"version":1,"config":{config}}}"#)
}

#[test]
fn not_json() {
    let e = parse_err("hello");
    assert_eq!(e.path, "line 1, column 1");
    assert!(e.message.starts_with("not valid JSON: "), "{e:?}");
    assert!(
        !e.message.contains(" at line "),
        "position is in the path: {e:?}"
    );

    let e = parse_err("{\n  \"version\": 1,\n  \"seed\": 4");
    assert!(e.path.starts_with("line 3, column "), "{e:?}");
    assert!(e.message.contains("not valid JSON"), "{e:?}");
    assert!(e.message.contains("the text ends"), "{e:?}");

    let e = parse_err(r#"{"version": 1,"#);
    assert!(e.path.starts_with("line 1, column "), "{e:?}");
    assert!(e.message.starts_with("not valid JSON"), "{e:?}");

    let e = parse_err(r#"{"version": 1} trailing"#);
    assert!(e.path.starts_with("line 1, column "), "{e:?}");
    assert!(e.message.contains("trailing characters"), "{e:?}");

    let e = parse_err("");
    assert!(e.message.starts_with("not valid JSON"), "{e:?}");
}

#[test]
fn not_an_object() {
    assert_err("[1, 2]", "", "expected an object, found a list");
    assert_err("42", "", "expected an object, found the number 42");
    assert_err("null", "", "expected an object, found null");
    assert_err(r#""version""#, "", "expected an object, found the string");
}

#[test]
fn version_problems() {
    assert_err("{}", "version", "missing: write \"version\": 1");
    assert_err(r#"{"seed":1}"#, "version", "missing");
    assert_err(
        r#"{"version":2}"#,
        "version",
        "version 2 is newer than this raftlab understands (up to 1)",
    );
    assert_err(r#"{"version":0}"#, "version", "must be 1 or more");
    assert_err(r#"{"version":"1"}"#, "version", "expected a version number");
    assert_err(r#"{"version":-1}"#, "version", "expected a version number");
}

#[test]
fn unknown_fields() {
    assert_err(
        r#"{"version":1,"sed":3}"#,
        "sed",
        "unknown field; expected one of: version, seed, nodes, until_ms, liveness_ms, config, events",
    );
    assert_err(
        &with_config(r#"{"heartbeat":50}"#),
        "config.heartbeat",
        "unknown field; expected one of: election_timeout_ms, heartbeat_ms",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"crash","node":1,"extra":true}"#),
        "events[0].extra",
        "unknown field; expected one of: at_ms, do, node",
    );
    // `heal` takes no node.
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"heal","node":1}"#),
        "events[0].node",
        "unknown field",
    );
    // `set` takes the settings of `config`, and no other field.
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"set","drop_rate":0.5,"seed":2}"#),
        "events[0].seed",
        "unknown field",
    );
}

#[test]
fn action_problems() {
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"explode"}"#),
        "events[0].do",
        "unknown action \"explode\"; expected one of: crash, restart, timeout, isolate, partition, heal, cut, restore, client_write, client_delete, set, transfer_leadership, client_read, clock_rate, add_server, remove_server, drop_message, deliver_message, duplicate_message, fire_timer, pause",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"node":2}"#),
        "events[0].do",
        "missing (the action: one of crash",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":3}"#),
        "events[0].do",
        "expected an action name, found the number 3",
    );
    assert_err(
        &with_event(r#"{"do":"heal"}"#),
        "events[0].at_ms",
        "missing (when the action happens, in milliseconds)",
    );
    assert_err(
        &with_event(r#"{"at_ms":-5,"do":"heal"}"#),
        "events[0].at_ms",
        "must not be negative",
    );
    assert_err(
        &with_event(r#"{"at_ms":"soon","do":"heal"}"#),
        "events[0].at_ms",
        "expected a number of milliseconds, found the string \"soon\"",
    );
    assert_err(
        &with_event(r#"{"at_ms":1e12,"do":"heal"}"#),
        "events[0].at_ms",
        "is too large; at most 86400000 ms",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"crash"}"#),
        "events[0].node",
        "missing: \"crash\" needs a node number or \"leader\"",
    );
    assert_err(
        &with_event("7"),
        "events[0]",
        "expected an object, found the number 7",
    );
    // The error names the right event.
    assert_err(
        r#"{"version":1,"events":[{"at_ms":1,"do":"heal"},{"at_ms":2,"do":"heal"},{"at_ms":3,"do":"crash","node":9}]}"#,
        "events[2].node",
        "node 9 does not exist",
    );
}

#[test]
fn node_numbers() {
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"crash","node":0}"#),
        "events[0].node",
        "node 0 does not exist; the cluster has nodes 1 to 5",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"restart","node":6}"#),
        "events[0].node",
        "node 6 does not exist; the cluster has nodes 1 to 5",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"isolate","node":"bob"}"#),
        "events[0].node",
        "expected a node number from 1 to 5 or \"leader\", found the string \"bob\"",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"timeout","node":-1}"#),
        "events[0].node",
        "expected a node number from 1 to 5, found the number -1",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"timeout","node":1.5}"#),
        "events[0].node",
        "expected a node number from 1 to 5",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"client_write","node":7,"key":"k","value":"v"}"#),
        "events[0].node",
        "node 7 does not exist",
    );
    // The cluster size is taken into account wherever `nodes` appears in the object.
    assert_err(
        r#"{"events":[{"at_ms":1,"do":"crash","node":3}],"nodes":2,"version":1}"#,
        "events[0].node",
        "the cluster has nodes 1 to 2",
    );
    // A very long string is shortened in the message, even with multi-byte characters.
    let long = "é".repeat(100);
    let e = parse_err(&with_event(&format!(
        r#"{{"at_ms":1,"do":"crash","node":"{long}"}}"#
    )));
    assert_eq!(e.path, "events[0].node");
    assert!(e.message.ends_with("..."), "{e:?}");
    assert!(e.message.len() < 250, "{e:?}");
}

#[test]
fn cluster_size() {
    assert_err(
        r#"{"version":1,"nodes":0}"#,
        "nodes",
        "a cluster has 1 to 9 nodes (found 0)",
    );
    assert_err(
        r#"{"version":1,"nodes":10}"#,
        "nodes",
        "a cluster has 1 to 9 nodes (found 10)",
    );
    assert_err(
        r#"{"version":1,"nodes":"five"}"#,
        "nodes",
        "expected a cluster size from 1 to 9, found the string \"five\"",
    );
    assert_eq!(
        Scenario::parse(&format!(r#"{{"version":1,"nodes":{MAX_NODES}}}"#))
            .unwrap()
            .nodes,
        MAX_NODES
    );
}

#[test]
fn top_level_numbers() {
    assert_err(
        r#"{"version":1,"seed":-1}"#,
        "seed",
        "expected a whole number from 0 to 18446744073709551615",
    );
    assert_err(
        r#"{"version":1,"seed":1.5}"#,
        "seed",
        "expected a whole number",
    );
    assert_eq!(
        Scenario::parse(r#"{"version":1,"seed":18446744073709551615}"#)
            .unwrap()
            .seed,
        u64::MAX
    );
    assert_err(
        r#"{"version":1,"until_ms":-1}"#,
        "until_ms",
        "must not be negative",
    );
    assert_err(
        &format!(r#"{{"version":1,"until_ms":{}}}"#, MAX_UNTIL_MS + 1),
        "until_ms",
        "is too large",
    );
    assert_err(
        r#"{"version":1,"liveness_ms":"long"}"#,
        "liveness_ms",
        "expected a number of milliseconds",
    );
}

#[test]
fn rates() {
    assert_err(
        &with_config(r#"{"drop_rate":-0.1}"#),
        "config.drop_rate",
        "must be between 0 and 1 (found -0.1)",
    );
    assert_err(
        &with_config(r#"{"drop_rate":1.5}"#),
        "config.drop_rate",
        "must be between 0 and 1 (found 1.5)",
    );
    assert_err(
        &with_config(r#"{"duplicate_rate":"often"}"#),
        "config.duplicate_rate",
        "expected a number between 0 and 1, found the string \"often\"",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"set","duplicate_rate":2}"#),
        "events[0].duplicate_rate",
        "must be between 0 and 1",
    );
}

#[test]
fn ranges_and_intervals() {
    assert_err(
        &with_config(r#"{"election_timeout_ms":[300,150]}"#),
        "config.election_timeout_ms",
        "min 300 ms is greater than max 150 ms",
    );
    assert_err(
        &with_config(r#"{"election_timeout_ms":[150]}"#),
        "config.election_timeout_ms",
        "expected a list of two numbers [min, max] in milliseconds, found a list",
    );
    assert_err(
        &with_config(r#"{"election_timeout_ms":[1,2,3]}"#),
        "config.election_timeout_ms",
        "expected a list of two numbers",
    );
    assert_err(
        &with_config(r#"{"election_timeout_ms":150}"#),
        "config.election_timeout_ms",
        "expected a list of two numbers [min, max] in milliseconds, found the number 150",
    );
    assert_err(
        &with_config(r#"{"election_timeout_ms":[0,10]}"#),
        "config.election_timeout_ms",
        "min must be at least 1 ms",
    );
    assert_err(
        &with_config(r#"{"election_timeout_ms":[150,"x"]}"#),
        "config.election_timeout_ms[1]",
        "expected a number of milliseconds",
    );
    assert_err(
        &with_config(r#"{"latency_ms":[-1,10]}"#),
        "config.latency_ms[0]",
        "must not be negative",
    );
    assert_err(
        &with_config(r#"{"heartbeat_ms":0}"#),
        "config.heartbeat_ms",
        "must be at least 1 ms",
    );
    assert_err(
        &with_config(r#"{"client_timeout_ms":0.5}"#),
        "config.client_timeout_ms",
        "must be at least 1 ms",
    );
    assert_err(
        r#"{"version":1,"config":[1]}"#,
        "config",
        "expected an object, found a list",
    );
}

#[test]
fn partitions() {
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"partition","groups":[[1,2],[2,3]]}"#),
        "events[0].groups[1][0]",
        "node 2 is in more than one group",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"partition","groups":[[1,1]]}"#),
        "events[0].groups[0][1]",
        "node 1 is in more than one group",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"partition","groups":[[1,2],[]]}"#),
        "events[0].groups[1]",
        "a group must not be empty",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"partition","groups":[]}"#),
        "events[0].groups",
        "expected at least one group",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"partition","groups":"1,2|3"}"#),
        "events[0].groups",
        "expected a list of groups such as [[1, 2], [3, 4, 5]], found the string",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"partition","groups":[1,2]}"#),
        "events[0].groups[0]",
        "expected a list of node numbers, found the number 1",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"partition","groups":[[1],[6]]}"#),
        "events[0].groups[1][0]",
        "node 6 does not exist",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"partition"}"#),
        "events[0].groups",
        "missing: \"partition\" needs groups",
    );
    // Nodes in no group are fine (they form one more group at run time).
    let s = Scenario::parse(&with_event(
        r#"{"at_ms":1,"do":"partition","groups":[[1]]}"#,
    ))
    .unwrap();
    assert_eq!(s.events[0].action, Action::Partition(vec![vec![1]]));
}

#[test]
fn client_requests() {
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"client_write","value":"v"}"#),
        "events[0].key",
        "missing: a client request needs a key",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"client_write","key":"","value":"v"}"#),
        "events[0].key",
        "must not be empty",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"client_write","key":"k"}"#),
        "events[0].value",
        "missing: \"client_write\" needs a value",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"client_write","key":"k","value":""}"#),
        "events[0].value",
        "must not be empty",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"client_write","key":"k","value":2}"#),
        "events[0].value",
        "expected a string, found the number 2",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"client_write","key":"a\nb","value":"v"}"#),
        "events[0].key",
        "must not contain control characters",
    );
    assert_err(
        &with_event(&format!(
            r#"{{"at_ms":1,"do":"client_delete","key":"{}"}}"#,
            "k".repeat(MAX_TEXT + 1)
        )),
        "events[0].key",
        "longer than 256 bytes",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"client_delete","key":"k","value":"v"}"#),
        "events[0].value",
        "unknown field",
    );
    // Exactly MAX_TEXT bytes is allowed.
    let key = "k".repeat(MAX_TEXT);
    let s = Scenario::parse(&with_event(&format!(
        r#"{{"at_ms":1,"do":"client_delete","key":"{key}"}}"#
    )))
    .unwrap();
    assert_eq!(s.events[0].action, Action::ClientDelete { node: None, key });
}

#[test]
fn set_and_bugs() {
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"set"}"#),
        "events[0]",
        "\"set\" changes nothing: give at least one setting",
    );
    assert_err(
        &with_config(r#"{"bugs":["nonsense"]}"#),
        "config.bugs[0]",
        "unknown bug \"nonsense\"; known: commit_previous_term, skip_vote_log_check, unsafe_membership",
    );
    assert_err(
        &with_config(r#"{"bugs":["skip_vote_log_check", 3]}"#),
        "config.bugs[1]",
        "expected a bug name, found the number 3",
    );
    assert_err(
        &with_config(r#"{"bugs":"skip_vote_log_check"}"#),
        "config.bugs",
        "expected a list of bug names",
    );
    // A `set` switches bugs on or off during the run: it names those on from then on (`[]`:
    // none), and it is checked as in config.
    let s = Scenario::parse(&with_event(
        r#"{"at_ms":1,"do":"set","bugs":["skip_vote_log_check"]}"#,
    ))
    .unwrap();
    let on = Bugs {
        skip_vote_log_check: true,
        ..Bugs::default()
    };
    assert_eq!(
        s.events[0].action,
        Action::Set(ConfigPatch {
            bugs: Some(on),
            ..ConfigPatch::default()
        })
    );
    let off = Scenario::parse(&with_event(r#"{"at_ms":1,"do":"set","bugs":[]}"#)).unwrap();
    assert_eq!(
        off.events[0].action,
        Action::Set(ConfigPatch {
            bugs: Some(Bugs::default()),
            ..ConfigPatch::default()
        })
    );
    assert!(off.to_json().to_string().contains(r#""bugs":[]"#));
    assert_eq!(Scenario::parse(&off.to_json().to_string()).unwrap(), off);
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"set","bugs":["nonsense"]}"#),
        "events[0].bugs[0]",
        "unknown bug \"nonsense\"",
    );
}

#[test]
fn events_not_a_list() {
    assert_err(
        r#"{"version":1,"events":{"at_ms":1,"do":"heal"}}"#,
        "events",
        "expected a list of actions, found an object",
    );
    assert_err(
        r#"{"version":1,"events":null}"#,
        "events",
        "expected a list of actions, found null",
    );
}

// ---------------------------------------------------------------------------------------------
// Hostile input
// ---------------------------------------------------------------------------------------------

#[test]
fn deep_nesting_is_an_error_not_a_crash() {
    for open in ["[", "{\"a\":"] {
        let text = open.repeat(100_000);
        let e = parse_err(&text);
        assert!(e.message.starts_with("not valid JSON"), "{e:?}");
        assert!(e.path.starts_with("line 1, column "), "{e:?}");
    }
    let text = format!(r#"{{"version":1,"config":{}"#, "[".repeat(50_000));
    let e = parse_err(&text);
    assert!(e.message.starts_with("not valid JSON"), "{e:?}");
    // Deep but balanced and under the JSON depth limit: a type error at the field.
    let text = format!(
        r#"{{"version":1,"seed":{}1{}}}"#,
        "[".repeat(100),
        "]".repeat(100)
    );
    assert_err(&text, "seed", "expected a whole number");
}

#[test]
fn huge_lists_are_errors() {
    // One more event than allowed.
    let events = vec!["{}"; MAX_EVENTS + 1].join(",");
    assert_err(
        &format!(r#"{{"version":1,"events":[{events}]}}"#),
        "events",
        "100001 events is too many; at most 100000",
    );
    // 100,000 numbers: each is not an action; the first is reported.
    let events = vec!["0"; 100_000].join(",");
    assert_err(
        &format!(r#"{{"version":1,"events":[{events}]}}"#),
        "events[0]",
        "expected an object, found the number 0",
    );
    // A top-level list of 100,000 elements.
    assert_err(
        &format!("[{}]", vec!["1"; 100_000].join(",")),
        "",
        "expected an object, found a list",
    );
    // Exactly MAX_EVENTS valid events is accepted.
    let events = vec![r#"{"at_ms":1,"do":"heal"}"#; MAX_EVENTS].join(",");
    let s = Scenario::parse(&format!(r#"{{"version":1,"events":[{events}]}}"#)).unwrap();
    assert_eq!(s.events.len(), MAX_EVENTS);
}

#[test]
fn huge_strings_are_errors() {
    let mb = "x".repeat(1 << 20);
    assert_err(
        &with_event(&format!(
            r#"{{"at_ms":1,"do":"client_write","key":"{mb}","value":"v"}}"#
        )),
        "events[0].key",
        "longer than 256 bytes",
    );
    let e = parse_err(&with_event(&format!(
        r#"{{"at_ms":1,"do":"crash","node":"{mb}"}}"#
    )));
    assert_eq!(e.path, "events[0].node");
    assert!(e.message.len() < 1000, "the value is shortened");
    let e = parse_err(&format!(r#"{{"version":1,"seed":"{mb}"}}"#));
    assert_eq!(e.path, "seed");
    assert!(e.message.len() < 1000, "the value is shortened");
    let e = parse_err(&format!(r#"{{"version":1,"{mb}":1}}"#));
    assert!(e.message.contains("unknown field"), "{}", &e.message);
    let e = parse_err(&with_event(&format!(r#"{{"at_ms":1,"do":"{mb}"}}"#)));
    assert_eq!(e.path, "events[0].do");
    assert!(e.message.starts_with("unknown action"));
    // An unterminated 1 MB string.
    let e = parse_err(&format!(r#"{{"version":1,"seed":"{mb}"#));
    assert!(e.message.starts_with("not valid JSON"), "{e:?}");
    // A 1 MB number: out of range for JSON numbers here.
    let e = parse_err(&format!(
        r#"{{"version":1,"seed":{}}}"#,
        "9".repeat(1 << 20)
    ));
    assert!(e.path.starts_with("line 1, column "), "{e:?}");
    assert!(e.message.starts_with("not valid JSON"), "{e:?}");
    // A 1 MB run of digits after a decimal point is a valid (tiny) number.
    let s = Scenario::parse(&format!(
        r#"{{"version":1,"until_ms":0.{}}}"#,
        "0".repeat(1 << 20)
    ))
    .unwrap();
    assert_eq!(s.until_us, 0);
}

#[test]
fn odd_numbers() {
    // Exponents, negative zero, the largest allowed time.
    let s = Scenario::parse(
        r#"{"version":1,"until_ms":8.64e7,"events":[{"at_ms":-0.0,"do":"heal"},{"at_ms":1e3,"do":"heal"}]}"#,
    )
    .unwrap();
    assert_eq!(s.until_us, MAX_UNTIL_MS * 1000);
    assert_eq!(s.events[0].at_us, 0);
    assert_eq!(s.events[1].at_us, 1_000_000);
    let e = parse_err(r#"{"version":1,"until_ms":1e400}"#);
    assert!(e.path.starts_with("line 1, column "), "{e:?}");
    assert!(e.message.contains("number out of range"), "{e:?}");
}

// ---------------------------------------------------------------------------------------------
// Property tests
// ---------------------------------------------------------------------------------------------

/// Whole microseconds in `[lo, hi]`.
fn micros(lo: Micros, hi: Micros) -> impl Strategy<Value = Micros> {
    prop_oneof![
        // Whole milliseconds, as people write them.
        (lo.div_ceil(1000)..=hi / 1000).prop_map(|m| m * 1000),
        lo..=hi,
    ]
}

fn range(lo: Micros, hi: Micros) -> impl Strategy<Value = (Micros, Micros)> {
    (micros(lo, hi), micros(lo, hi)).prop_map(|(a, b)| (a.min(b), a.max(b)))
}

/// Rates as people write them (a few decimals), and arbitrary ones.
fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(1.0),
        (0u32..=1000).prop_map(|k| k as f64 / 1000.0),
    ]
}

const MAX_RANGE_US: Micros = 3_600_000 * 1000;

fn config() -> impl Strategy<Value = SimConfig> {
    (
        range(1000, MAX_RANGE_US),
        micros(1000, MAX_RANGE_US),
        range(0, MAX_RANGE_US),
        rate(),
        rate(),
        micros(1000, MAX_RANGE_US),
        any::<(bool, bool, bool, bool, bool)>(),
        prop_oneof![Just(0u64), 1u64..=100_000],
        any::<(bool, bool)>(),
        prop_oneof![Just(64u64), 1u64..=100_000],
        (0u32..=1, 0u32..=1),
    )
        .prop_map(
            |(
                election,
                heartbeat,
                latency,
                drop,
                dup,
                client,
                (b1, b2, b3, pv, cq),
                snap,
                (md, mt),
                batch,
                (q1, q2),
            )| {
                SimConfig {
                    election_timeout_us: election,
                    heartbeat_us: heartbeat,
                    latency_us: latency,
                    drop_rate: drop,
                    duplicate_rate: dup,
                    client_timeout_us: client,
                    bugs: Bugs {
                        commit_previous_term: b1,
                        skip_vote_log_check: b2,
                        unsafe_membership: b3,
                    },
                    pre_vote: pv,
                    check_quorum: cq,
                    clock_drift: 0.1,
                    snapshot_threshold: snap,
                    delivery: if md { Mode::Manual } else { Mode::Auto },
                    timers: if mt { Mode::Manual } else { Mode::Auto },
                    max_entries_per_message: batch,
                    election_quorum: q1,
                    commit_quorum: q2,
                }
            },
        )
}

fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z]{1,8}",
        // Any non-control characters, including quotes, backslashes and non-ASCII.
        "[^\\p{Cc}]{1,40}",
    ]
    .prop_filter("at most MAX_TEXT bytes", |s| s.len() <= MAX_TEXT)
}

/// A key: like a value, without '=' or whitespace (the command reads `set key=value`).
fn key() -> impl Strategy<Value = String> {
    text().prop_filter("no '=' or space in a key", |s| {
        !s.contains(|c: char| c == '=' || c.is_whitespace())
    })
}

fn target(nodes: u32) -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::Leader),
        (1..=nodes).prop_map(|n| Target::Node(n as NodeId)),
    ]
}

fn groups(nodes: u32) -> impl Strategy<Value = Vec<Vec<NodeId>>> {
    // Each node goes to one of up to 4 groups, or (slot 4) to none.
    prop::collection::vec(0usize..5, nodes as usize)
        .prop_map(|slots| {
            let mut groups = vec![Vec::new(); 4];
            for (k, &g) in slots.iter().enumerate() {
                if g < 4 {
                    groups[g].push(k as NodeId + 1);
                }
            }
            groups.retain(|g| !g.is_empty());
            groups
        })
        .prop_filter("at least one group", |g| !g.is_empty())
        .prop_shuffle()
}

fn patch() -> impl Strategy<Value = ConfigPatch> {
    (
        prop::option::of(range(1000, MAX_RANGE_US)),
        prop::option::of(micros(1000, MAX_RANGE_US)),
        prop::option::of(range(0, MAX_RANGE_US)),
        prop::option::of(rate()),
        prop::option::of(rate()),
        prop::option::of(micros(1000, MAX_RANGE_US)),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(0u64..=100_000),
        (
            prop::option::of(prop_oneof![Just(Mode::Auto), Just(Mode::Manual)]),
            prop::option::of(prop_oneof![Just(Mode::Auto), Just(Mode::Manual)]),
            prop::option::of(0u32..=1),
            prop::option::of(0u32..=1),
            prop::option::of((any::<bool>(), any::<bool>(), any::<bool>())),
        ),
        prop::option::of(1u64..=100_000),
    )
        .prop_map(
            |(e, h, l, d, u, c, pv, cq, snap, (md, mt, q1, q2, bugs), batch)| ConfigPatch {
                election_timeout_us: e,
                heartbeat_us: h,
                latency_us: l,
                drop_rate: d,
                duplicate_rate: u,
                client_timeout_us: c,
                pre_vote: pv,
                check_quorum: cq,
                clock_drift: None,
                snapshot_threshold: snap,
                delivery: md,
                timers: mt,
                max_entries_per_message: batch,
                election_quorum: q1,
                commit_quorum: q2,
                bugs: bugs.map(|(a, b, c)| Bugs {
                    commit_previous_term: a,
                    skip_vote_log_check: b,
                    unsafe_membership: c,
                }),
            },
        )
        .prop_filter("set changes something", |p| *p != ConfigPatch::default())
}

fn action(nodes: u32) -> impl Strategy<Value = Action> {
    prop_oneof![
        target(nodes).prop_map(Action::Crash),
        target(nodes).prop_map(Action::Restart),
        target(nodes).prop_map(Action::Timeout),
        target(nodes).prop_map(Action::Isolate),
        groups(nodes).prop_map(Action::Partition),
        Just(Action::Heal),
        (prop::option::of(target(nodes)), key(), text())
            .prop_map(|(node, key, value)| Action::ClientWrite { node, key, value }),
        (prop::option::of(target(nodes)), key())
            .prop_map(|(node, key)| Action::ClientDelete { node, key }),
        patch().prop_map(Action::Set),
        target(nodes).prop_map(Action::FireTimer),
        (target(nodes), 1u64..=3_600_000_000).prop_map(|(t, us)| Action::Pause(t, us)),
        any::<u64>().prop_map(Action::DropMessage),
        any::<u64>().prop_map(Action::DeliverMessage),
        any::<u64>().prop_map(Action::DuplicateMessage),
    ]
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (1..=MAX_NODES)
        .prop_flat_map(|nodes| {
            (
                any::<u64>(),
                Just(nodes),
                micros(0, MAX_UNTIL_MS * 1000),
                config(),
                prop::collection::vec(
                    (micros(0, MAX_UNTIL_MS * 1000), action(nodes))
                        .prop_map(|(at_us, action)| TimedAction { at_us, action }),
                    0..20,
                ),
                prop::option::of(micros(0, MAX_RANGE_US)),
            )
        })
        .prop_map(
            |(seed, nodes, until_us, config, events, liveness_us)| Scenario {
                seed,
                nodes,
                until_us,
                config,
                events,
                liveness_us,
                system: Default::default(),
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(512))]

    #[test]
    fn valid_scenarios_round_trip(s in scenario()) {
        let compact = s.to_json().to_string();
        prop_assert_eq!(Scenario::parse(&compact), Ok(s.clone()), "compact: {}", compact);
        let pretty = s.to_pretty();
        prop_assert_eq!(Scenario::parse(&pretty), Ok(s.clone()), "pretty: {}", pretty);
        // Writing is stable too.
        prop_assert_eq!(Scenario::parse(&pretty).unwrap().to_pretty(), pretty);
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn arbitrary_strings_never_panic(text in any::<String>()) {
        let _ = Scenario::parse(&text);
    }

    #[test]
    fn json_ish_soup_never_panics(
        parts in prop::collection::vec(
            prop::sample::select(vec![
                "{", "}", "[", "]", ",", ":", "\"", "\\", " ", "\n", "0", "1", "-", ".", "e",
                "9999999999999999999999", "1e308", "-0", "null", "true", "false",
                "\"version\"", "\"seed\"", "\"nodes\"", "\"until_ms\"", "\"liveness_ms\"",
                "\"config\"", "\"events\"", "\"at_ms\"", "\"do\"", "\"node\"", "\"groups\"",
                "\"key\"", "\"value\"", "\"crash\"", "\"partition\"", "\"client_write\"",
                "\"set\"", "\"heal\"", "\"leader\"", "\"bugs\"", "\"drop_rate\"",
                "\"election_timeout_ms\"", "\"é\"", "\"\\u0000\"", "\"\\ud800\"",
            ]),
            0..80,
        )
    ) {
        let text: String = parts.concat();
        let _ = Scenario::parse(&text);
        let wrapped = format!(r#"{{"version":1,"nodes":3,"events":[{text}]}}"#);
        let _ = Scenario::parse(&wrapped);
    }

    #[test]
    fn mutated_valid_scenarios_never_panic(
        s in scenario(),
        cut in any::<prop::sample::Index>(),
        byte in any::<u8>(),
    ) {
        let mut bytes = s.to_pretty().into_bytes();
        let k = cut.index(bytes.len());
        bytes[k] = byte;
        let _ = Scenario::parse(&String::from_utf8_lossy(&bytes));
        let half = bytes.len() / 2;
        let _ = Scenario::parse(&String::from_utf8_lossy(&bytes[..half]));
    }

    #[test]
    fn errors_always_have_a_message(text in "[\\[\\]{}\",:0-9a-z ]{0,60}") {
        if let Err(e) = Scenario::parse(&text) {
            prop_assert!(!e.message.is_empty());
            prop_assert!(!e.to_string().is_empty());
        }
    }
}

/// Arbitrary `f64` rates (not only the few-decimal ones people write) must survive a round
/// trip too: `to_json` documents that `parse` reads its output back to an equal value.
#[test]
fn arbitrary_float_rates_round_trip() {
    let mut failures = Vec::new();
    let mut x: u64 = 0x1234_5678_9ABC_DEF0;
    for _ in 0..20_000 {
        // xorshift
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        let rate = (x >> 11) as f64 / (1u64 << 53) as f64;
        let s = Scenario {
            config: SimConfig {
                drop_rate: rate,
                ..SimConfig::default()
            },
            ..Scenario::default()
        };
        match Scenario::parse(&s.to_json().to_string()) {
            Ok(back) if back == s => {}
            Ok(back) => failures.push((rate, back.config.drop_rate)),
            Err(e) => panic!("{rate}: {e}"),
        }
    }
    assert!(
        failures.is_empty(),
        "{} of 20000 rates changed, e.g. {:?}",
        failures.len(),
        &failures[..failures.len().min(5)]
    );
}

/// The error messages shown in `docs/scenario-format.md`, word for word.
#[test]
fn documented_error_messages() {
    for (text, shown) in [
        (r#"{"seed":1}"#, r#"version: missing: write "version": 1"#),
        (
            r#"{"version":2}"#,
            "version: version 2 is newer than this raftlab understands (up to 1); update raftlab",
        ),
        (
            r#"{"version":1,"nodes":10}"#,
            "nodes: a cluster has 1 to 9 nodes (found 10)",
        ),
        (
            r#"{"version":1,"until_ms":86400001}"#,
            "until_ms: 86400001 ms is too large; at most 86400000 ms",
        ),
        (
            r#"{"version":1,"config":{"election_timeout_ms":[300,150]}}"#,
            "config.election_timeout_ms: min 300 ms is greater than max 150 ms",
        ),
        (
            r#"{"version":1,"config":{"drop_rate":1.5}}"#,
            "config.drop_rate: must be between 0 and 1 (found 1.5)",
        ),
        (
            r#"{"version":1,"config":{"bugs":["x"]}}"#,
            r#"config.bugs[0]: unknown bug "x"; known: commit_previous_term, skip_vote_log_check, unsafe_membership"#,
        ),
        (
            r#"{"version":1,"config":{"foo":1}}"#,
            "config.foo: unknown field; expected one of: election_timeout_ms, heartbeat_ms, latency_ms, drop_rate, duplicate_rate, client_timeout_ms, pre_vote, check_quorum, clock_drift, snapshot_threshold, delivery, timers, max_entries_per_message, election_quorum, commit_quorum, bugs",
        ),
        (
            &with_event(r#"{"at_ms":1,"do":"crash","node":7}"#),
            "events[0].node: node 7 does not exist; the cluster has nodes 1 to 5",
        ),
        (
            &with_event(r#"{"at_ms":1,"do":"crash"}"#),
            r#"events[0].node: missing: "crash" needs a node number or "leader""#,
        ),
        (
            &with_event(r#"{"at_ms":1,"do":"explode"}"#),
            r#"events[0].do: unknown action "explode"; expected one of: crash, restart, timeout, isolate, partition, heal, cut, restore, client_write, client_delete, set, transfer_leadership, client_read, clock_rate, add_server, remove_server, drop_message, deliver_message, duplicate_message, fire_timer, pause"#,
        ),
        (
            &with_event(r#"{"at_ms":1,"do":"deliver_message","id":-1}"#),
            "events[0].id: expected a message id (a whole number, as msg.id in the trace), found the number -1",
        ),
        (
            r#"{"version":1,"config":{"delivery":"sometimes"}}"#,
            r#"config.delivery: expected "auto" or "manual", found the string "sometimes""#,
        ),
        (
            &with_event(r#"{"at_ms":-1,"do":"heal"}"#),
            "events[0].at_ms: must not be negative (found -1)",
        ),
        (
            &with_event(r#"{"at_ms":1,"do":"heal","node":1}"#),
            "events[0].node: unknown field; expected one of: at_ms, do",
        ),
        (
            &with_event(r#"{"at_ms":1,"do":"partition","groups":[[1,2],[2,3]]}"#),
            "events[0].groups[1][0]: node 2 is in more than one group",
        ),
        (
            &with_event(r#"{"at_ms":1,"do":"client_write","key":"","value":"v"}"#),
            "events[0].key: must not be empty",
        ),
        (
            &with_event(r#"{"at_ms":1,"do":"set"}"#),
            r#"events[0]: "set" changes nothing: give at least one setting"#,
        ),
        (
            "{\n  \"version\": 1,}",
            "line 2, column 16: not valid JSON: trailing comma",
        ),
    ] {
        let e = parse_err(text);
        assert_eq!(e.to_string(), shown, "for {text}");
    }
}

/// Whole numbers must be written as integers (`5.0` is refused).
#[test]
fn whole_numbers_must_be_integers() {
    assert_err(r#"{"version":1.0}"#, "version", "expected a version number");
    assert_err(
        r#"{"version":1,"nodes":5.0}"#,
        "nodes",
        "expected a cluster size from 1 to 9, found the number 5.0",
    );
    assert_err(
        r#"{"version":1,"seed":3.0}"#,
        "seed",
        "expected a whole number",
    );
    assert_err(
        &with_event(r#"{"at_ms":1,"do":"crash","node":2.0}"#),
        "events[0].node",
        "expected a node number from 1 to 5",
    );
    // Times may be decimals and use exponents; extra decimals round to the microsecond.
    let s = Scenario::parse(&with_event(r#"{"at_ms":0.0004,"do":"heal"}"#)).unwrap();
    assert_eq!(s.events[0].at_us, 0);
    let s = Scenario::parse(&with_event(r#"{"at_ms":1500.25,"do":"heal"}"#)).unwrap();
    assert_eq!(s.events[0].at_us, 1_500_250);
    let s = Scenario::parse(&with_event(r#"{"at_ms":0.0006,"do":"heal"}"#)).unwrap();
    assert_eq!(s.events[0].at_us, 1);
}

/// `max_entries_per_message` (5.3: a leader may send several entries in one AppendEntries):
/// parsed in `config` and in `set`, 1 to 100000, default 64, written in exports only when
/// not the default, and read back the same.
#[test]
fn max_entries_per_message_parses_exports_and_round_trips() {
    let s = Scenario::parse(&with_config(r#"{"max_entries_per_message":1}"#)).unwrap();
    assert_eq!(s.config.max_entries_per_message, 1);
    assert_eq!(s.config.raft_config().max_entries_per_message, 1);
    let text = s.to_json().to_json();
    assert!(text.contains(r#""max_entries_per_message":1"#), "{text}");
    assert_eq!(Scenario::parse(&text).unwrap(), s);
    // The default is the core's, and is not written.
    let d = Scenario::parse(&with_config("{}")).unwrap();
    assert_eq!(d.config.max_entries_per_message, 64);
    assert_eq!(
        raftlab_raft::Config::default().max_entries_per_message,
        64,
        "the scenario default follows the core's"
    );
    assert!(!d.to_json().to_json().contains("max_entries_per_message"));
    // Given at its default, it reads fine and is dropped on export.
    let e = Scenario::parse(&with_config(r#"{"max_entries_per_message":64}"#)).unwrap();
    assert_eq!(e, d);
    // In `set`, live.
    let s = Scenario::parse(&with_event(
        r#"{"at_ms":5,"do":"set","max_entries_per_message":100000}"#,
    ))
    .unwrap();
    assert_eq!(
        s.events[0].action,
        Action::Set(ConfigPatch {
            max_entries_per_message: Some(100_000),
            ..ConfigPatch::default()
        })
    );
    let text = s.to_json().to_json();
    assert!(
        text.contains(r#""max_entries_per_message":100000"#),
        "{text}"
    );
    assert_eq!(Scenario::parse(&text).unwrap(), s);
}

#[test]
fn max_entries_per_message_errors() {
    for (value, needle) in [
        ("0", "must be between 1 and 100000 (found 0)"),
        ("100001", "must be between 1 and 100000 (found 100001)"),
        ("2.5", "a number of entries from 1 to 100000"),
        ("-1", "a number of entries from 1 to 100000"),
        (r#""8""#, "a number of entries from 1 to 100000"),
    ] {
        assert_err(
            &with_config(&format!(r#"{{"max_entries_per_message":{value}}}"#)),
            "config.max_entries_per_message",
            needle,
        );
        assert_err(
            &with_event(&format!(
                r#"{{"at_ms":5,"do":"set","max_entries_per_message":{value}}}"#
            )),
            "events[0].max_entries_per_message",
            needle,
        );
    }
}
