//! The `pause` fault: a process frozen (a garbage collection pause, a stalled virtual
//! machine) while its clock keeps running. It handles nothing; what reaches it waits; when it
//! wakes, its overdue timer fires first, late, then it handles what waited in arrival order.

use raftlab_raft::Role;
use raftlab_sim::scenario::{Action, Scenario, Target};
use raftlab_sim::trace::{DropReason, TraceEvent, TraceKind};
use raftlab_sim::Simulation;
use std::cell::RefCell;
use std::rc::Rc;

fn example() -> Scenario {
    let path = format!(
        "{}/../../examples/paused-leader.json",
        env!("CARGO_MANIFEST_DIR")
    );
    Scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn traced(sim: &mut Simulation) -> Rc<RefCell<Vec<TraceEvent>>> {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    trace
}

/// The paused leader (S2, seed 7) is replaced while frozen (its followers' election timers
/// run out: it sends nothing), and knows nothing of it. When it wakes it acts on its old
/// belief first: its late heartbeat timer sends AppendEntries of its old term, and it appends
/// the client write that waited, in term 1. Only then does it read the newer term and step
/// down; the stale entry is later overwritten. No safety property breaks: Raft's terms
/// fence the stale leader.
#[test]
fn a_paused_leader_wakes_acts_on_its_old_term_then_steps_down() {
    let scenario = example();
    let mut sim = Simulation::from_scenario(&scenario);
    let trace = traced(&mut sim);
    sim.run_until(599_999, false);
    assert_eq!(sim.leader(), Some(2));
    sim.run_until(1_499_999, false);
    assert_eq!(sim.paused_until(2), Some(1_500_000));
    assert!(sim.is_alive(2));
    let s2 = &sim.nodes()[1];
    assert_eq!(
        (s2.role(), s2.term()),
        (Role::Leader, 1),
        "frozen: it still believes"
    );
    let new_leader = sim.leader().expect("another leader was elected meanwhile");
    assert_ne!(new_leader, 2);
    // Nothing happened at S2 during the pause: no step, no send, no deliver.
    let during: Vec<_> = trace
        .borrow()
        .iter()
        .filter(|e| e.t_us > 600_000 && e.t_us < 1_500_000)
        .filter(|e| match &e.kind {
            TraceKind::Send { node, .. } | TraceKind::Deliver { node, .. } => *node == 2,
            TraceKind::BecomeFollower { node, .. } => *node == 2,
            _ => false,
        })
        .cloned()
        .collect();
    assert!(during.is_empty(), "{during:?}");

    let seen = trace.borrow().len();
    sim.run_until(1_500_000, false);
    assert_eq!(sim.paused_until(2), None);
    let woke: Vec<TraceKind> = trace.borrow()[seen..]
        .iter()
        .map(|e| e.kind.clone())
        .collect();
    let pos = |f: &dyn Fn(&TraceKind) -> bool| woke.iter().position(f);
    let wake = pos(&|k| matches!(k, TraceKind::Wake { node: 2 })).expect("wake");
    let stale_heartbeat =
        pos(&|k| matches!(k, TraceKind::Send { node: 2, msg, .. } if msg.message.raft().unwrap().term == 1))
            .expect("a heartbeat of term 1");
    let stale_append = pos(&|k| {
        matches!(k, TraceKind::Append { node: 2, term: 1, command, .. } if command.to_string() == "set x=2")
    })
    .expect("the waiting write appended in term 1");
    let step_down = pos(&|k| matches!(k, TraceKind::BecomeFollower { node: 2, term } if *term > 1))
        .expect("steps down");
    assert!(wake < stale_heartbeat && stale_heartbeat < stale_append && stale_append < step_down);

    sim.run_until(scenario.until_us, false);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    let x2_committed = (1..=sim.nodes()[0].commit_index()).any(|i| {
        sim.committed_entry(i)
            .is_some_and(|e| e.command.to_string() == "set x=2")
    });
    assert!(!x2_committed, "the stale leader's write is never committed");
}

/// A crash ends a pause: the messages that waited are dropped (reason `crashed`), and the
/// wake of that pause does nothing after a restart (the restarted node is not paused).
#[test]
fn a_crash_ends_a_pause_and_drops_what_waited() {
    let mut sim = Simulation::from_scenario(&example());
    sim.run_until(600_000, false);
    let trace = traced(&mut sim);
    sim.run_until(700_000, false);
    sim.act(&Action::Crash(Target::Node(2)));
    let dropped = trace
        .borrow()
        .iter()
        .filter(|e| {
            matches!(
                &e.kind,
                TraceKind::Drop {
                    node: 2,
                    reason: DropReason::Crashed,
                    ..
                }
            )
        })
        .count();
    assert!(dropped > 0, "the replies that waited are dropped");
    sim.act(&Action::Restart(Target::Node(2)));
    assert_eq!(sim.paused_until(2), None);
    sim.run_until(1_600_000, false);
    assert!(
        !trace
            .borrow()
            .iter()
            .any(|e| matches!(e.kind, TraceKind::Wake { .. })),
        "no wake after the crash"
    );
}

/// Pausing a paused node keeps it frozen until the later end; pausing a crashed one does
/// nothing; a forced timeout of a paused node waits for the wake.
#[test]
fn pauses_extend_and_ignore_crashed_nodes() {
    let mut sim = Simulation::new(3, Default::default(), 1);
    sim.run_until(500_000, false);
    sim.act(&Action::Pause(Target::Node(1), 300_000));
    sim.act(&Action::Pause(Target::Node(1), 100_000));
    assert_eq!(sim.paused_until(1), Some(800_000));
    sim.act(&Action::Pause(Target::Node(1), 500_000));
    assert_eq!(sim.paused_until(1), Some(1_000_000));
    let term = sim.nodes()[0].term();
    sim.act(&Action::Timeout(Target::Node(1)));
    assert_eq!(
        sim.nodes()[0].term(),
        term,
        "a paused node starts no election"
    );
    sim.act(&Action::Crash(Target::Node(3)));
    sim.act(&Action::Pause(Target::Node(3), 100_000));
    assert_eq!(sim.paused_until(3), None);
    sim.run_until(999_999, false);
    assert_eq!(sim.paused_until(1), Some(1_000_000));
    sim.run_until(1_000_000, false);
    assert_eq!(sim.paused_until(1), None);
}

/// Time travel through a pause: a snapshot taken mid-pause runs on to the same trace as the
/// original run.
#[test]
fn a_snapshot_mid_pause_replays_the_same_trace() {
    let scenario = example();
    let mut a = Simulation::from_scenario(&scenario);
    a.run_until(1_000_000, false);
    let mut b = a.snapshot();
    let ta = traced(&mut a);
    let tb = traced(&mut b);
    a.run_until(scenario.until_us, false);
    b.run_until(scenario.until_us, false);
    assert!(ta.borrow().len() > 100);
    assert_eq!(*ta.borrow(), *tb.borrow());
}

/// The scenario form: `{"do": "pause", "node": N|"leader", "ms": MS}`, read back equal, and
/// bad values refused with the field named.
#[test]
fn pause_in_scenarios_and_its_errors() {
    let s = example();
    assert_eq!(s.events[1].action, Action::Pause(Target::Leader, 900_000));
    assert_eq!(Scenario::parse(&s.to_json().to_string()).unwrap(), s);
    let bad = [
        (
            r#"{"at_ms": 1, "do": "pause", "node": 1}"#,
            "events[0].ms: missing: how long the process freezes, in milliseconds",
        ),
        (
            r#"{"at_ms": 1, "do": "pause", "node": 1, "ms": 0}"#,
            "events[0].ms: must be more than 0 ms",
        ),
        (
            r#"{"at_ms": 1, "do": "pause", "node": 1, "ms": -5}"#,
            "events[0].ms: must not be negative",
        ),
        (
            r#"{"at_ms": 1, "do": "pause", "ms": 5}"#,
            "events[0].node: missing: \"pause\" needs a node number or \"leader\"",
        ),
        (
            r#"{"at_ms": 1, "do": "pause", "node": 4, "ms": 5}"#,
            "events[0].node:",
        ),
    ];
    for (event, want) in bad {
        let text = format!(r#"{{"version": 1, "nodes": 3, "events": [{event}]}}"#);
        let e = Scenario::parse(&text).unwrap_err().to_string();
        assert!(e.starts_with(want), "{event}: {e}");
    }
}
