//! Determinism and the trace contract: one scenario always gives the same NDJSON, a different
//! seed gives a different one, and a run with faults shows every documented kind of line.

use raftlab_sim::fuzz::{campaign, FuzzOptions};
use raftlab_sim::run::{run, Outcome};
use raftlab_sim::{Scenario, Simulation};
use serde_json::Value;
use std::cell::RefCell;
use std::collections::{BTreeMap, BTreeSet};
use std::rc::Rc;

/// Five nodes; a leader is isolated while a client writes to it (the entry is never committed
/// and is truncated after the heal); a crash, a partition, a restart, a forced timeout, loss
/// and duplication; client requests answered with ok, redirect and timeout.
const FAULTY: &str = r#"{"version":1,"seed":7,"nodes":5,"until_ms":5000,
 "config":{"duplicate_rate":0.05},
 "events":[
  {"at_ms":600,"do":"client_write","key":"a","value":"1"},
  {"at_ms":700,"do":"client_write","node":1,"key":"b","value":"1"},
  {"at_ms":700,"do":"client_write","node":2,"key":"b","value":"2"},
  {"at_ms":700,"do":"client_write","node":3,"key":"b","value":"3"},
  {"at_ms":700,"do":"client_write","node":4,"key":"b","value":"4"},
  {"at_ms":700,"do":"client_write","node":5,"key":"b","value":"5"},
  {"at_ms":1000,"do":"isolate","node":"leader"},
  {"at_ms":1050,"do":"client_write","node":"leader","key":"x","value":"lost"},
  {"at_ms":1600,"do":"client_write","key":"y","value":"kept"},
  {"at_ms":2000,"do":"heal"},
  {"at_ms":2500,"do":"crash","node":2},
  {"at_ms":2600,"do":"partition","groups":[[1,2],[3,4,5]]},
  {"at_ms":2800,"do":"heal"},
  {"at_ms":3000,"do":"restart","node":2},
  {"at_ms":3200,"do":"timeout","node":3},
  {"at_ms":3300,"do":"set","drop_rate":0.2},
  {"at_ms":3800,"do":"set","drop_rate":0},
  {"at_ms":4000,"do":"client_delete","key":"a"}
 ]}"#;

fn faulty() -> Scenario {
    Scenario::parse(FAULTY).expect("valid scenario")
}

/// Runs `scenario` through `run::run`, returning the NDJSON trace and the outcome.
fn traced(scenario: &Scenario) -> (String, Outcome) {
    let out = Rc::new(RefCell::new(String::new()));
    let sink = out.clone();
    let outcome = run(
        scenario,
        Some(Box::new(move |e| {
            let mut s = sink.borrow_mut();
            s.push_str(&e.to_json());
            s.push('\n');
        })),
        false,
    );
    let text = out.borrow().clone();
    (text, outcome)
}

fn lines(ndjson: &str) -> Vec<Value> {
    ndjson
        .lines()
        .map(|l| serde_json::from_str(l).unwrap_or_else(|e| panic!("bad line {l}: {e}")))
        .collect()
}

#[test]
fn same_scenario_same_bytes() {
    let s = faulty();
    let (a, oa) = traced(&s);
    let (b, ob) = traced(&s);
    assert!(!a.is_empty());
    assert_eq!(a, b, "two runs of one scenario differ");
    assert_eq!(oa.nodes, ob.nodes);
    assert_eq!(oa.events, ob.events);
    assert_eq!(oa.end_us, ob.end_us);
    assert_eq!(oa.leader, ob.leader);
    // A scenario read back from its own JSON runs the same.
    let again = Scenario::parse(&s.to_pretty()).unwrap();
    assert_eq!(traced(&again).0, a);
}

#[test]
fn simulation_set_trace_matches_run() {
    let s = faulty();
    let (expected, outcome) = traced(&s);
    let out = Rc::new(RefCell::new(String::new()));
    let sink = out.clone();
    let mut sim = Simulation::from_scenario(&s);
    sim.set_trace(Box::new(move |e| {
        let mut t = sink.borrow_mut();
        t.push_str(&e.to_json());
        t.push('\n');
    }));
    assert!(sim.run_until(s.until_us, false));
    sim.finish();
    assert_eq!(*out.borrow(), expected);
    assert_eq!(sim.events_processed(), outcome.events);
    assert_eq!(sim.now(), outcome.end_us);
}

#[test]
fn checker_does_not_change_the_run() {
    let s = faulty();
    let (expected, _) = traced(&s);
    let out = Rc::new(RefCell::new(String::new()));
    let sink = out.clone();
    let mut sim = Simulation::from_scenario(&s);
    sim.set_checker(false);
    sim.set_trace(Box::new(move |e| {
        let mut t = sink.borrow_mut();
        t.push_str(&e.to_json());
        t.push('\n');
    }));
    sim.run_until(s.until_us, false);
    sim.finish();
    assert_eq!(*out.borrow(), expected);
}

#[test]
fn different_seed_different_trace() {
    let s = faulty();
    let (a, _) = traced(&s);
    let other = Scenario { seed: 8, ..s };
    let (b, _) = traced(&other);
    assert_ne!(a, b);
    // A scenario without events still differs by seed (election timeouts are drawn).
    let quiet = Scenario::parse(r#"{"version":1,"seed":1,"until_ms":1000}"#).unwrap();
    let (c, _) = traced(&quiet);
    let (d, _) = traced(&Scenario { seed: 2, ..quiet });
    assert_ne!(c, d);
}

#[test]
fn fuzz_campaigns_with_liveness_are_deterministic() {
    let options = FuzzOptions {
        nodes: vec![3, 5, 7],
        until_us: 2_000_000,
        liveness_us: 5_000_000,
        ..FuzzOptions::default()
    };
    for seed in 0..10 {
        let s = campaign(seed, &options);
        assert_eq!(s, campaign(seed, &options), "campaign {seed} is not stable");
        let (a, oa) = traced(&s);
        let (b, ob) = traced(&s);
        assert_eq!(a, b, "campaign {seed}: traces differ");
        assert_eq!(oa.settled_after_us, ob.settled_after_us);
        assert!(oa.violations.is_empty(), "{:?}", oa.violations);
        // The final lines come last, one per node.
        let all = lines(&a);
        let finals = all
            .iter()
            .rev()
            .take_while(|l| l["kind"] == "final")
            .count();
        assert_eq!(finals, s.nodes as usize);
    }
}

#[test]
fn trace_shows_every_kind_of_line() {
    let s = faulty();
    let (text, outcome) = traced(&s);
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    let all = lines(&text);

    let mut kinds: BTreeMap<String, usize> = BTreeMap::new();
    let mut results = BTreeSet::new();
    let mut drop_reasons = BTreeSet::new();
    let mut last_t = 0u64;
    for (i, line) in all.iter().enumerate() {
        let obj = line
            .as_object()
            .unwrap_or_else(|| panic!("line {i} is not an object"));
        let t = obj
            .get("t_us")
            .and_then(Value::as_u64)
            .unwrap_or_else(|| panic!("line {i} has no integer t_us: {line}"));
        assert!(t >= last_t, "line {i} goes back in time: {t} < {last_t}");
        last_t = t;
        assert!(t <= s.until_us, "line {i} is after the end: {line}");
        let kind = obj
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or_else(|| panic!("line {i} has no string kind: {line}"));
        *kinds.entry(kind.to_string()).or_default() += 1;
        match kind {
            "client_reply" => {
                results.insert(line["result"].as_str().unwrap().to_string());
            }
            "drop" => {
                drop_reasons.insert(line["reason"].as_str().unwrap().to_string());
            }
            "send" | "duplicate" => {
                let at = line["deliver_at_us"].as_u64().unwrap();
                assert!(at >= t, "message arrives before it is sent: {line}");
                assert!(line["msg"]["id"].is_u64(), "{line}");
                assert!(line["msg"]["type"].is_string(), "{line}");
            }
            _ => {}
        }
    }
    for required in [
        "become_candidate",
        "become_leader",
        "become_follower",
        "vote",
        "send",
        "deliver",
        "drop",
        "duplicate",
        "append",
        "truncate",
        "commit",
        "apply",
        "crash",
        "restart",
        "partition",
        "heal",
        "timeout",
        "set",
        "client_request",
        "client_reply",
        "final",
    ] {
        assert!(
            kinds.contains_key(required),
            "no {required:?} line; kinds seen: {kinds:?}"
        );
    }
    assert!(!kinds.contains_key("violation"), "{kinds:?}");
    for r in ["ok", "redirect", "timeout"] {
        assert!(
            results.contains(r),
            "no client_reply with {r:?}: {results:?}"
        );
    }
    for r in ["loss", "partition"] {
        assert!(
            drop_reasons.contains(r),
            "no drop for {r:?}: {drop_reasons:?}"
        );
    }

    // The write sent to the isolated leader timed out and its entry was truncated: no final
    // log holds it, while the write made in the majority survives.
    let finals: Vec<&Value> = all.iter().filter(|l| l["kind"] == "final").collect();
    assert_eq!(finals.len(), 5);
    for f in &finals {
        let log = f["log"].as_array().unwrap();
        let commands: Vec<&str> = log.iter().map(|e| e["command"].as_str().unwrap()).collect();
        assert!(!commands.contains(&"set x=lost"), "{f}");
        assert!(commands.contains(&"set y=kept"), "{f}");
    }
}

#[test]
fn final_lines_describe_each_node() {
    let s = faulty();
    let (text, outcome) = traced(&s);
    let all = lines(&text);
    let finals: Vec<&Value> = all.iter().rev().take(s.nodes as usize).rev().collect();
    for (k, f) in finals.iter().enumerate() {
        assert_eq!(
            f["kind"], "final",
            "the last {} lines are final lines",
            s.nodes
        );
        assert_eq!(f["t_us"].as_u64(), Some(s.until_us));
        assert_eq!(f["node"].as_u64(), Some(k as u64 + 1));
        assert!(f["term"].is_u64(), "{f}");
        assert!(
            matches!(
                f["role"].as_str(),
                Some("follower" | "candidate" | "leader")
            ),
            "{f}"
        );
        assert!(f["alive"].is_boolean(), "{f}");
        assert!(f["commit_index"].is_u64(), "{f}");
        let log = f["log"].as_array().expect("log is a list");
        for e in log {
            assert!(e["term"].is_u64(), "{e}");
            assert!(e["command"].is_string(), "{e}");
        }
        let summary = &outcome.nodes[k];
        assert_eq!(f["term"].as_u64(), Some(summary.term));
        assert_eq!(f["role"].as_str(), Some(summary.role));
        assert_eq!(f["alive"].as_bool(), Some(summary.alive));
        assert_eq!(f["commit_index"].as_u64(), Some(summary.commit_index));
        assert_eq!(log.len() as u64, summary.log_len);
        assert!(summary.commit_index <= summary.log_len);
    }
    // Nothing but final lines after the first final line.
    let first = all.iter().position(|l| l["kind"] == "final").unwrap();
    assert_eq!(all.len() - first, s.nodes as usize);
}

#[test]
fn messages_and_requests_are_accounted_for() {
    let s = faulty();
    let (text, _) = traced(&s);
    let all = lines(&text);
    let end = s.until_us;
    // Message ids: 1, 2, 3, ... in sending order; each arrives or is dropped exactly once.
    let mut sent: BTreeMap<u64, u64> = BTreeMap::new(); // id -> deliver_at_us
    let mut fate: BTreeMap<u64, usize> = BTreeMap::new();
    let mut next_id = 1;
    // Requests: ids 1, 2, 3, ...; one reply each.
    let mut requests: BTreeMap<u64, (u64, Option<u64>)> = BTreeMap::new(); // id -> (t, node)
    let mut replies: BTreeMap<u64, usize> = BTreeMap::new();
    let mut next_request = 1;
    for (i, l) in all.iter().enumerate() {
        let t = l["t_us"].as_u64().unwrap();
        match l["kind"].as_str().unwrap() {
            "send" | "duplicate" => {
                let id = l["msg"]["id"].as_u64().unwrap();
                assert_eq!(id, next_id, "message ids in sending order: {l}");
                next_id += 1;
                sent.insert(id, l["deliver_at_us"].as_u64().unwrap());
                assert_eq!(l["node"], l["msg"]["from"], "{l}");
                if l["kind"] == "duplicate" {
                    let of = l["of"].as_u64().unwrap();
                    let prev = &all[i - 1];
                    assert_eq!(
                        prev["kind"], "send",
                        "a duplicate follows its original: {l}"
                    );
                    assert_eq!(prev["msg"]["id"].as_u64(), Some(of), "{l}");
                }
            }
            "deliver" | "drop" => {
                let id = l["msg"]["id"].as_u64().unwrap();
                assert_eq!(sent.get(&id), Some(&t), "arrives when announced: {l}");
                *fate.entry(id).or_default() += 1;
                assert_eq!(l["node"], l["msg"]["to"], "{l}");
            }
            "client_request" => {
                let id = l["id"].as_u64().unwrap();
                assert_eq!(id, next_request, "{l}");
                next_request += 1;
                requests.insert(id, (t, l.get("node").and_then(Value::as_u64)));
            }
            "client_reply" => {
                let id = l["id"].as_u64().unwrap();
                let (asked_at, asked) = requests[&id];
                *replies.entry(id).or_default() += 1;
                match l["result"].as_str().unwrap() {
                    "redirect" => {
                        assert_eq!(t, asked_at, "a redirect is immediate: {l}");
                        assert!(l.get("leader").is_some(), "{l}");
                        assert_eq!(l["node"].as_u64(), asked, "{l}");
                    }
                    "timeout" => {
                        assert_eq!(t, asked_at + s.config.client_timeout_us, "{l}");
                        assert_eq!(l.get("node").and_then(Value::as_u64), asked, "{l}");
                        assert!(l.get("leader").is_none(), "{l}");
                    }
                    "ok" => {
                        assert_eq!(l["node"].as_u64(), asked, "{l}");
                        assert!(l.get("leader").is_none(), "{l}");
                        let prev = &all[i - 1];
                        assert_eq!(prev["kind"], "apply", "ok follows the apply: {l}");
                    }
                    other => panic!("unknown result {other}"),
                }
            }
            _ => {}
        }
    }
    for (id, at) in &sent {
        let n = fate.get(id).copied().unwrap_or(0);
        if *at <= end {
            assert_eq!(n, 1, "message {id} (due {at}) arrived or dropped {n} times");
        } else {
            assert_eq!(n, 0);
        }
    }
    for (id, (t, _)) in &requests {
        let n = replies.get(id).copied().unwrap_or(0);
        if t + s.config.client_timeout_us <= end {
            assert_eq!(n, 1, "request {id} got {n} replies");
        } else {
            assert!(n <= 1);
        }
    }
}

fn kinds_at(all: &[Value], t_us: u64) -> Vec<&str> {
    all.iter()
        .filter(|l| l["t_us"].as_u64() == Some(t_us))
        .map(|l| l["kind"].as_str().unwrap())
        .collect()
}

#[test]
fn documented_action_edge_cases() {
    let s = Scenario::parse(
        r#"{"version":1,"seed":3,"nodes":3,"until_ms":2000,"events":[
            {"at_ms":0,"do":"crash","node":"leader"},
            {"at_ms":0,"do":"timeout","node":"leader"},
            {"at_ms":0,"do":"client_write","key":"k","value":"v"},
            {"at_ms":500,"do":"crash","node":1},
            {"at_ms":600,"do":"crash","node":1},
            {"at_ms":650,"do":"timeout","node":1},
            {"at_ms":700,"do":"restart","node":2},
            {"at_ms":800,"do":"partition","groups":[[3]]},
            {"at_ms":900,"do":"isolate","node":2},
            {"at_ms":2000,"do":"heal"},
            {"at_ms":2000.001,"do":"crash","node":3}
        ]}"#,
    )
    .unwrap();
    let (text, _) = traced(&s);
    let all = lines(&text);
    // Nothing leads at time 0: "leader" actions do nothing, the client request goes nowhere
    // and times out.
    let at0: Vec<&Value> = all.iter().filter(|l| l["t_us"] == 0).collect();
    assert_eq!(at0.len(), 1, "{at0:?}");
    assert_eq!(at0[0]["kind"], "client_request");
    assert!(at0[0].get("node").is_none());
    let reply = all
        .iter()
        .find(|l| l["kind"] == "client_reply" && l["id"] == 1)
        .unwrap();
    assert_eq!(reply["result"], "timeout");
    assert_eq!(reply["t_us"], 1_000_000);
    assert!(reply.get("node").is_none(), "{reply}");
    // Crashing a crashed server, or forcing its timeout, writes nothing.
    assert_eq!(kinds_at(&all, 500_000), ["crash"]);
    assert!(kinds_at(&all, 600_000).is_empty());
    assert!(kinds_at(&all, 650_000).is_empty());
    // Restarting a running server: crash, then restart.
    assert_eq!(&kinds_at(&all, 700_000)[..2], ["crash", "restart"]);
    // Partition groups: unlisted servers first, then the named groups.
    let p = all.iter().find(|l| l["t_us"] == 800_000).unwrap();
    assert_eq!(p["groups"], serde_json::json!([[1, 2], [3]]));
    // Isolating keeps the partition in force and gives the node a group of its own, last.
    let p = all.iter().find(|l| l["t_us"] == 900_000).unwrap();
    assert_eq!(p["groups"], serde_json::json!([[1], [3], [2]]));
    // An action exactly at until_ms runs; one after it does not.
    assert!(all
        .iter()
        .any(|l| l["kind"] == "heal" && l["t_us"] == 2_000_000));
    assert!(!all.iter().any(|l| l["t_us"].as_u64().unwrap() > 2_000_000));
    // Node 1 is still down at the end: a follower with commit index 0.
    let f1 = all
        .iter()
        .find(|l| l["kind"] == "final" && l["node"] == 1)
        .unwrap();
    assert_eq!(f1["alive"], false);
    assert_eq!(f1["role"], "follower");
    assert_eq!(f1["commit_index"], 0);
}

#[test]
fn liveness_phase_is_traced() {
    let s = Scenario::parse(
        r#"{"version":1,"seed":5,"nodes":3,"until_ms":1000,"liveness_ms":3000,
            "config":{"drop_rate":0.5},
            "events":[{"at_ms":500,"do":"crash","node":2},{"at_ms":900,"do":"partition","groups":[[1]]},
                      {"at_ms":1500,"do":"crash","node":3}]}"#,
    )
    .unwrap();
    let (text, outcome) = traced(&s);
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    let settled = outcome.settled_after_us.expect("the cluster settles");
    assert_eq!(settled % 10_000, 0, "checked every 10 ms");
    let all = lines(&text);
    let at_end = kinds_at(&all, 1_000_000);
    assert_eq!(&at_end[..3], ["heal", "set", "restart"], "{at_end:?}");
    let set = all.iter().find(|l| l["kind"] == "set").unwrap();
    assert_eq!(set["config"]["drop_rate"], 0.0);
    assert_eq!(set["config"]["duplicate_rate"], 0.0);
    // The action scheduled after until_ms was discarded.
    assert_eq!(all.iter().filter(|l| l["kind"] == "crash").count(), 1);
    // All servers end up alive with equal, fully committed logs.
    let finals: Vec<&Value> = all.iter().filter(|l| l["kind"] == "final").collect();
    assert_eq!(finals.len(), 3);
    for f in &finals {
        assert_eq!(f["alive"], true);
        assert_eq!(f["log"], finals[0]["log"]);
        assert_eq!(
            f["commit_index"].as_u64().unwrap(),
            f["log"].as_array().unwrap().len() as u64
        );
    }
    assert_eq!(
        finals.iter().filter(|f| f["role"] == "leader").count(),
        1,
        "{finals:?}"
    );
    assert_eq!(finals[0]["t_us"].as_u64(), Some(outcome.end_us));
    assert!(outcome.end_us <= 1_000_000 + 3_000_000);
}

#[test]
fn is_alive_of_an_unknown_node_is_false() {
    let sim = Simulation::from_scenario(&faulty());
    assert!(sim.is_alive(1));
    assert!(!sim.is_alive(6));
}

#[test]
fn is_alive_of_node_0_is_false() {
    let sim = Simulation::from_scenario(&faulty());
    assert!(!sim.is_alive(0));
}
