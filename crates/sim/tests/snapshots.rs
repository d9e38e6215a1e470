//! Log compaction in the simulator (paper section 7): the example, the trace, fuzzing with
//! snapshots, and a checker that still fails when a snapshot is wrong.

use raftlab_raft::{Command, Config, Event, Input, Node, Ready, Snapshot};
use raftlab_sim::fuzz::{fuzz_one, FuzzOptions};
use raftlab_sim::run::run;
use raftlab_sim::trace::{TraceEvent, TraceKind};
use raftlab_sim::{Checker, Property, Scenario, Simulation};
use std::cell::RefCell;
use std::rc::Rc;

fn example() -> Scenario {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../../examples/snapshots.json");
    Scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

/// examples/snapshots.json: S4 is down while the leader compacts its log; when it restarts the
/// leader sends it its snapshot (InstallSnapshot, Figure 13) and S4 ends with the leader's
/// state machine and log tail.
#[test]
fn the_example_catches_a_follower_up_with_install_snapshot_7() {
    let scenario = example();
    assert_eq!(scenario.config.snapshot_threshold, 5);
    let mut sim = Simulation::from_scenario(&scenario);
    let trace = Rc::new(RefCell::new(Vec::<TraceEvent>::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    sim.run_until(scenario.until_us, false);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    let leader = sim.leader().expect("a leader");
    let nodes = sim.nodes();
    let (l, s4) = (&nodes[leader as usize - 1], &nodes[3]);
    assert_ne!(leader, 4);
    assert!(s4.snapshot_index() >= 5);
    assert_eq!(s4.kv(), l.kv());
    assert_eq!(s4.last_index(), l.last_index());
    for i in s4.first_index().max(l.first_index())..=l.last_index() {
        assert_eq!(s4.entry(i), l.entry(i));
    }
    let t = trace.borrow();
    assert!(t
        .iter()
        .any(|e| matches!(e.kind, TraceKind::InstallSnapshot { node: 4, .. })));
    assert!(t
        .iter()
        .any(|e| matches!(e.kind, TraceKind::Snapshot { node, .. } if node == leader)));
    // The hand-written JSON of the new kinds and messages is what serde writes.
    for e in t.iter().filter(|e| {
        let json = e.to_json();
        json.contains("napshot")
    }) {
        assert_eq!(serde_json::to_string(e).unwrap(), e.to_json());
    }
    let outcome = run(&scenario, None, false);
    assert!(outcome.violations.is_empty());
}

/// Without a threshold nothing is ever compacted: no snapshot, no InstallSnapshot, and the
/// final lines carry no snapshot fields.
#[test]
fn threshold_zero_never_snapshots() {
    let mut scenario = example();
    scenario.config.snapshot_threshold = 0;
    let mut sim = Simulation::from_scenario(&scenario);
    let lines = Rc::new(RefCell::new(Vec::<String>::new()));
    let sink = lines.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.to_json())));
    sim.run_until(scenario.until_us, false);
    sim.finish();
    assert!(sim.nodes().iter().all(|n| n.snapshot_index() == 0));
    assert!(!lines.borrow().iter().any(|l| l.contains("napshot")));
}

/// Fuzz campaigns with small thresholds break no property (`raftlab fuzz --snapshots`).
#[test]
fn fuzzing_with_snapshots_finds_no_violation() {
    let options = FuzzOptions {
        snapshots: true,
        ..FuzzOptions::default()
    };
    for seed in 0..150 {
        if let Err(failure) = fuzz_one(seed, &options) {
            panic!("seed {seed}: {}", failure.1.violations[0]);
        }
    }
    let all = FuzzOptions {
        snapshots: true,
        pre_vote: true,
        check_quorum: true,
        transfer: true,
        reads: true,
        ..FuzzOptions::default()
    };
    for seed in 0..100 {
        if let Err(failure) = fuzz_one(seed, &all) {
            panic!("seed {seed} (all features): {}", failure.1.violations[0]);
        }
    }
}

/// A one-server cluster with a snapshot every 2 entries, stepped by hand with a checker.
fn single(checker: &mut Checker, found: &mut Vec<raftlab_sim::Violation>) -> Node {
    let config = Config {
        snapshot_threshold: 2,
        ..Config::default()
    };
    let mut node = Node::new(1, &[1], config, 1, 0);
    let mut step = |node: &mut Node, input: Input| {
        let mut ready = Ready::default();
        node.step(0, input, &mut ready);
        checker.after_step(0, 1, &ready.events, std::slice::from_ref(node), found);
        ready.events
    };
    step(&mut node, Input::Timeout);
    let command = Command::Set {
        key: "x".into(),
        value: "1".into(),
    };
    let events = step(
        &mut node,
        Input::ClientWrite {
            request: 1,
            command,
        },
    );
    assert!(events.contains(&Event::Snapshot {
        last_index: 2,
        last_term: 1
    }));
    node
}

/// The checker still fails when it should: a snapshot whose state differs from the committed
/// prefix it claims (here a corrupted store on disk, found when the server restarts from it),
/// or whose last term is not the committed entry's, breaks State Machine Safety.
#[test]
fn a_corrupted_snapshot_is_caught() {
    let mut checker = Checker::new(1, 0);
    let mut found = Vec::new();
    let node = single(&mut checker, &mut found);
    assert!(found.is_empty(), "an honest snapshot passes: {found:?}");

    let corrupt = |snapshot: Snapshot| {
        let mut checker = checker.clone();
        let mut found = Vec::new();
        let mut persistent = node.clone().into_persistent();
        persistent.snapshot = snapshot;
        checker.on_crash(1);
        let mut restarted = Node::recover(1, *node.config(), persistent, 2, 0);
        let mut ready = Ready::default();
        restarted.step(0, Input::Tick, &mut ready);
        checker.after_step(
            0,
            1,
            &ready.events,
            std::slice::from_ref(&restarted),
            &mut found,
        );
        found
    };
    // The honest snapshot, recovered: fine.
    assert!(corrupt(node.snapshot().clone()).is_empty());
    // A wrong value.
    let mut bad = node.snapshot().clone();
    bad.kv.insert("x".into(), "2".into());
    let found = corrupt(bad);
    assert_eq!(found.len(), 1, "{found:?}");
    assert_eq!(found[0].property, Property::StateMachineSafety);
    assert!(
        found[0].detail.contains("{x=2}") && found[0].detail.contains("{x=1}"),
        "{}",
        found[0].detail
    );
    // A wrong last term.
    let mut bad = node.snapshot().clone();
    bad.last_term = 7;
    let found = corrupt(bad);
    assert_eq!(found[0].property, Property::StateMachineSafety);
    // Entries nobody committed.
    let mut bad = node.snapshot().clone();
    bad.last_index = 9;
    let found = corrupt(bad);
    assert_eq!(found[0].property, Property::StateMachineSafety);
    assert!(found[0].detail.contains("only 2 entries are committed"));
}
