//! Messages you can hold and a hand-driven network: manual delivery and manual timers, and
//! the `drop_message`, `deliver_message`, `duplicate_message` and `fire_timer` actions.

use raftlab_raft::{Body, Command, Entry, NodeId, Role};
use raftlab_sim::explain::{explain, Target as Explain};
use raftlab_sim::link;
use raftlab_sim::scenario::{Action, ConfigPatch, Mode, SimConfig, Target, TimedAction};
use raftlab_sim::trace::{DropReason, TraceEvent, TraceKind};
use raftlab_sim::{Scenario, Simulation};
use std::cell::RefCell;
use std::rc::Rc;

type Trace = Rc<RefCell<Vec<TraceEvent>>>;

fn traced(mut sim: Simulation) -> (Simulation, Trace) {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    (sim, trace)
}

fn manual(delivery: bool, timers: bool) -> SimConfig {
    SimConfig {
        delivery: if delivery { Mode::Manual } else { Mode::Auto },
        timers: if timers { Mode::Manual } else { Mode::Auto },
        ..SimConfig::default()
    }
}

fn kinds(trace: &Trace) -> Vec<&'static str> {
    trace.borrow().iter().map(|e| e.kind.name()).collect()
}

/// Ids of the messages on the wire from `from` to `to` whose body passes `pred`, oldest first.
fn wire(sim: &Simulation, from: NodeId, to: NodeId, pred: impl Fn(&Body) -> bool) -> Vec<u64> {
    let mut ids: Vec<u64> = sim
        .in_flight()
        .filter(|m| {
            m.message.from() == from
                && m.message.to() == to
                && pred(&m.message.raft().unwrap().body)
        })
        .map(|m| m.id)
        .collect();
    ids.sort_unstable();
    ids
}

fn any(_: &Body) -> bool {
    true
}

fn deliver_all_from(sim: &mut Simulation, from: NodeId) {
    let mut ids: Vec<u64> = sim
        .in_flight()
        .filter(|m| m.message.from() == from)
        .map(|m| m.id)
        .collect();
    ids.sort_unstable();
    for id in ids {
        sim.act(&Action::DeliverMessage(id));
    }
}

fn deliver_all_to(sim: &mut Simulation, to: NodeId) {
    let mut ids: Vec<u64> = sim
        .in_flight()
        .filter(|m| m.message.to() == to)
        .map(|m| m.id)
        .collect();
    ids.sort_unstable();
    for id in ids {
        sim.act(&Action::DeliverMessage(id));
    }
}

fn leaders(sim: &Simulation) -> Vec<NodeId> {
    sim.nodes()
        .iter()
        .filter(|n| sim.is_alive(n.id()) && n.role() == Role::Leader)
        .map(|n| n.id())
        .collect()
}

// ---------------------------------------------------------------------------------------
// Manual delivery
// ---------------------------------------------------------------------------------------

/// With manual delivery nothing arrives by itself: timers fire, candidates ask for votes
/// term after term, but no vote is ever delivered, so no leader is elected. Every message
/// is on the wire, held.
#[test]
fn with_manual_delivery_nobody_is_elected_by_itself() {
    let (mut sim, trace) = traced(Simulation::new(5, manual(true, false), 7));
    sim.run_until(3_000_000, false);
    assert_eq!(sim.leader(), None);
    assert!(sim.delivery_manual() && !sim.timers_manual());
    let k = kinds(&trace);
    assert!(k.contains(&"become_candidate"));
    assert!(!k.contains(&"deliver") && !k.contains(&"drop"));
    let on_wire: Vec<_> = sim.in_flight().collect();
    let sent = k.iter().filter(|&&k| k == "send").count();
    assert_eq!(
        on_wire.len(),
        sent,
        "every message sent is still on the wire"
    );
    assert!(on_wire.iter().all(|m| m.held && !m.lost));
    // The trace says so too.
    assert!(trace
        .borrow()
        .iter()
        .all(|e| !matches!(e.kind, TraceKind::Send { held: false, .. })));
    let first_send = trace
        .borrow()
        .iter()
        .find(|e| e.kind.name() == "send")
        .map(TraceEvent::to_json)
        .unwrap();
    assert!(first_send.ends_with(",\"held\":true}"), "{first_send}");
}

/// 5.2 by hand: one fired timer, the votes delivered one by one: the candidate becomes leader
/// on the vote that makes a majority, and exactly one leader exists.
#[test]
fn votes_delivered_by_hand_elect_exactly_one_leader_5_2() {
    let (mut sim, _) = traced(Simulation::new(5, manual(true, true), 3));
    sim.run_until(2_000_000, false);
    assert_eq!(sim.leader(), None, "no timer fires by itself");
    sim.act(&Action::FireTimer(Target::Node(3)));
    assert_eq!(sim.nodes()[2].role(), Role::Candidate);
    deliver_all_from(&mut sim, 3);
    assert_eq!(sim.leader(), None, "the replies are held too");
    let replies: Vec<u64> = (1..=5)
        .filter(|&n| n != 3)
        .flat_map(|n| {
            wire(&sim, n, 3, |b| {
                matches!(b, Body::RequestVoteReply { granted: true })
            })
        })
        .collect();
    assert_eq!(replies.len(), 4);
    sim.act(&Action::DeliverMessage(replies[0]));
    assert_eq!(sim.leader(), None, "two votes of five");
    sim.act(&Action::DeliverMessage(replies[1]));
    assert_eq!(leaders(&sim), vec![3]);
    sim.act(&Action::DeliverMessage(replies[2]));
    sim.act(&Action::DeliverMessage(replies[3]));
    assert_eq!(leaders(&sim), vec![3]);
    assert!(sim.violations().is_empty());
}

/// `drop_message` takes a held message off the wire with a `drop` line of reason `manual`;
/// the same id a second time, or an id never sent, does nothing and writes nothing.
#[test]
fn drop_message_and_ids_not_on_the_wire() {
    let (mut sim, trace) = traced(Simulation::new(3, manual(true, true), 1));
    sim.act(&Action::FireTimer(Target::Node(1)));
    let id = wire(&sim, 1, 2, any)[0];
    let before = trace.borrow().len();
    sim.act(&Action::DropMessage(id));
    {
        let t = trace.borrow();
        assert_eq!(t.len(), before + 1);
        match &t[before].kind {
            TraceKind::Drop { node, msg, reason } => {
                assert_eq!((*node, msg.id, *reason), (2, id, DropReason::Manual));
            }
            other => panic!("expected a drop, found {other:?}"),
        }
        assert!(t[before].to_json().ends_with(",\"reason\":\"manual\"}"));
    }
    assert!(sim.message(id).is_none());
    let len = trace.borrow().len();
    for action in [
        Action::DropMessage(id),
        Action::DeliverMessage(id),
        Action::DuplicateMessage(id),
        Action::DropMessage(9999),
        Action::DeliverMessage(0),
        Action::DuplicateMessage(u64::MAX),
    ] {
        sim.act(&action);
    }
    assert_eq!(
        trace.borrow().len(),
        len,
        "actions aimed at nothing write nothing"
    );
    assert_eq!(
        sim.nodes()[1].term(),
        0,
        "the dropped RequestVote never arrived"
    );
}

/// `deliver_message` is still judged by the network: across a partition the message is
/// dropped (`partition`), to a crashed server too (`crashed`); a message that the network
/// had decided to lose (auto delivery, `drop_rate` 1) arrives when the reader forces it.
#[test]
fn deliver_message_is_judged_by_the_network() {
    let (mut sim, trace) = traced(Simulation::new(5, manual(true, true), 1));
    sim.act(&Action::FireTimer(Target::Node(1)));
    sim.act(&Action::Partition(vec![vec![1, 2, 3], vec![4, 5]]));
    sim.act(&Action::Crash(Target::Node(3)));
    for to in [2, 3, 4] {
        let id = wire(&sim, 1, to, any)[0];
        sim.act(&Action::DeliverMessage(id));
    }
    let reasons: Vec<(NodeId, Option<DropReason>)> = trace
        .borrow()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Deliver { node, .. } => Some((*node, None)),
            TraceKind::Drop { node, reason, .. } => Some((*node, Some(*reason))),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        vec![
            (2, None),
            (3, Some(DropReason::Crashed)),
            (4, Some(DropReason::Partition))
        ]
    );
    assert_eq!(sim.nodes()[1].voted_for(), Some(1));

    // Auto delivery with every message lost: forcing one delivers it.
    let config = SimConfig {
        drop_rate: 1.0,
        timers: Mode::Manual,
        ..SimConfig::default()
    };
    let (mut sim, trace) = traced(Simulation::new(3, config, 1));
    sim.act(&Action::FireTimer(Target::Node(1)));
    let m = sim.message(wire(&sim, 1, 2, any)[0]).unwrap();
    assert!(m.lost && !m.held);
    let (id, at) = (m.id, m.deliver_at);
    sim.act(&Action::DeliverMessage(id));
    assert!(trace
        .borrow()
        .iter()
        .any(|e| matches!(&e.kind, TraceKind::Deliver { msg, .. } if msg.id == id)));
    assert_eq!(sim.nodes()[1].voted_for(), Some(1));
    // It is gone from the queue: nothing about it happens at its old arrival time.
    let len = trace.borrow().len();
    sim.run_until(at + 1, false);
    assert!(trace.borrow()[len..]
        .iter()
        .all(|e| !matches!(&e.kind, TraceKind::Drop { msg, .. } if msg.id == id)));
}

/// `duplicate_message` puts a second copy on the wire with the next id: held with manual
/// delivery, arriving after a fresh latency draw with auto delivery; both copies arrive.
#[test]
fn duplicate_message_copies_with_a_new_id() {
    let (mut sim, trace) = traced(Simulation::new(3, manual(true, true), 1));
    sim.act(&Action::FireTimer(Target::Node(1)));
    let id = wire(&sim, 1, 2, any)[0];
    let next = sim.in_flight().map(|m| m.id).max().unwrap() + 1;
    sim.act(&Action::DuplicateMessage(id));
    let copy = sim.message(next).expect("the copy is on the wire");
    assert!(copy.held);
    assert_eq!(copy.copy_of, Some(id));
    assert_eq!(copy.message, sim.message(id).unwrap().message);
    match &trace.borrow().last().unwrap().kind {
        TraceKind::Duplicate { msg, of, held, .. } => {
            assert_eq!((msg.id, *of, *held), (next, id, true))
        }
        other => panic!("expected a duplicate, found {other:?}"),
    }
    sim.act(&Action::DeliverMessage(id));
    sim.act(&Action::DeliverMessage(next));
    let delivered = trace
        .borrow()
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::Deliver { .. }))
        .count();
    assert_eq!(delivered, 2);

    // Auto delivery: the copy arrives by itself, after its own latency.
    let (mut sim, trace) = traced(Simulation::new(3, manual(false, true), 1));
    sim.act(&Action::FireTimer(Target::Node(1)));
    let id = wire(&sim, 1, 2, any)[0];
    sim.act(&Action::DuplicateMessage(id));
    let copy = sim
        .in_flight()
        .find(|m| m.copy_of == Some(id))
        .expect("a copy");
    assert!(!copy.held && !copy.lost);
    assert!(copy.deliver_at >= sim.now() + 10_000 && copy.deliver_at <= sim.now() + 15_000);
    let copy_id = copy.id;
    sim.run_until(100_000, false);
    assert!(trace
        .borrow()
        .iter()
        .any(|e| matches!(&e.kind, TraceKind::Deliver { msg, .. } if msg.id == copy_id)));
}

// ---------------------------------------------------------------------------------------
// Manual timers
// ---------------------------------------------------------------------------------------

/// With manual timers nothing fires by itself, however long the run, while `timer_at` still
/// tells when each server's timer would have fired; `fire_timer` fires it: a
/// `fire_timer` line, then the election (5.2). On the leader it is a heartbeat round; on a
/// crashed server nothing happens and nothing is written.
#[test]
fn with_manual_timers_only_fire_timer_fires() {
    let (mut sim, trace) = traced(Simulation::new(3, manual(false, true), 5));
    sim.run_until(5_000_000, false);
    assert!(trace.borrow().is_empty(), "{:?}", trace.borrow().first());
    let deadlines: Vec<_> = (1..=3).map(|n| sim.timer_at(n).unwrap()).collect();
    assert!(deadlines.iter().all(|&t| (150_000..=300_000).contains(&t)));
    assert_eq!(sim.timer_at(4), None);
    sim.act(&Action::FireTimer(Target::Node(2)));
    assert_eq!(
        kinds(&trace)[..3],
        ["fire_timer", "become_candidate", "vote"]
    );
    assert!(trace.borrow()[0].to_json() == r#"{"t_us":5000000,"kind":"fire_timer","node":2}"#);
    sim.run_until(5_100_000, false);
    assert_eq!(sim.leader(), Some(2));
    // The leader's timer is its heartbeat, due a heartbeat interval after it was elected.
    let due = sim.timer_at(2).unwrap();
    sim.run_until(due + 1_000_000, false);
    let sends = |t: &Trace| {
        t.borrow()
            .iter()
            .filter(|e| e.kind.name() == "send")
            .count()
    };
    let before = sends(&trace);
    sim.act(&Action::FireTimer(Target::Leader));
    assert_eq!(sends(&trace), before + 2, "one AppendEntries per follower");
    assert_eq!(sim.timer_at(2), Some(sim.now() + 50_000));
    sim.act(&Action::Crash(Target::Node(3)));
    assert_eq!(sim.timer_at(3), None);
    let len = trace.borrow().len();
    sim.act(&Action::FireTimer(Target::Node(3)));
    assert_eq!(trace.borrow().len(), len);
}

/// Thesis 6.2: with CheckQuorum, a leader whose fired heartbeat finds no majority heard from
/// within an election timeout steps down.
#[test]
fn a_fired_leader_timer_checks_the_quorum_6_2() {
    let config = SimConfig {
        check_quorum: true,
        ..manual(false, true)
    };
    let (mut sim, trace) = traced(Simulation::new(3, config, 5));
    sim.run_until(200_000, false);
    sim.act(&Action::FireTimer(Target::Node(1)));
    sim.run_until(300_000, false);
    assert_eq!(sim.leader(), Some(1));
    sim.act(&Action::Isolate(Target::Node(1)));
    sim.act(&Action::FireTimer(Target::Node(1)));
    sim.run_until(600_000, false);
    assert_eq!(sim.leader(), Some(1), "no timer fires by itself");
    sim.act(&Action::FireTimer(Target::Node(1)));
    assert_eq!(sim.leader(), None);
    assert!(kinds(&trace).contains(&"step_down"));
}

// ---------------------------------------------------------------------------------------
// Switching live
// ---------------------------------------------------------------------------------------

/// `set` switches both modes during the run: to manual delivery, the queued messages are held
/// (nothing arrives for a second); back to auto, each arrives at its time or at once if that
/// has passed. To manual timers, no heartbeat goes out; back to auto, the overdue heartbeat
/// fires at once.
#[test]
fn modes_switch_live() {
    let (mut sim, trace) = traced(Simulation::new(5, SimConfig::default(), 42));
    sim.run_until(1_000_000, false);
    let leader = sim.leader().expect("a leader");
    // Right after a heartbeat round, messages are queued.
    let due = sim.timer_at(leader).unwrap();
    sim.run_until(due, false);
    let queued: Vec<u64> = sim.in_flight().map(|m| m.id).collect();
    assert!(!queued.is_empty());
    assert!(sim.in_flight().all(|m| !m.held));
    sim.act(&Action::Set(ConfigPatch {
        delivery: Some(Mode::Manual),
        ..ConfigPatch::default()
    }));
    assert!(sim.in_flight().all(|m| m.held));
    for id in &queued {
        assert!(sim.message(*id).is_some_and(|m| m.held));
    }
    let len = trace.borrow().len();
    sim.run_until(due + 1_000_000, false);
    assert!(trace.borrow()[len..]
        .iter()
        .all(|e| !matches!(e.kind, TraceKind::Deliver { .. } | TraceKind::Drop { .. })));
    let back = sim.now();
    sim.act(&Action::Set(ConfigPatch {
        delivery: Some(Mode::Auto),
        ..ConfigPatch::default()
    }));
    let len = trace.borrow().len();
    sim.run_until(back, false);
    let delivered: Vec<u64> = trace.borrow()[len..]
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::Deliver { msg, .. } => Some(msg.id),
            _ => None,
        })
        .collect();
    for id in &queued {
        assert!(
            delivered.contains(id),
            "overdue message {id} arrives at once"
        );
    }
    assert!(sim.in_flight().all(|m| !m.held));

    // Timers.
    sim.run_until(back + 500_000, false);
    let leader = sim.leader().expect("a leader");
    sim.act(&Action::Set(ConfigPatch {
        timers: Some(Mode::Manual),
        ..ConfigPatch::default()
    }));
    let stopped = sim.now();
    let due = sim.timer_at(leader).unwrap();
    let len = trace.borrow().len();
    sim.run_until(stopped + 1_000_000, false);
    assert!(trace.borrow()[len..].iter().all(|e| !matches!(
        e.kind,
        TraceKind::Send { .. } | TraceKind::BecomeCandidate { .. }
    )));
    assert_eq!(
        sim.timer_at(leader),
        Some(due),
        "the deadline is kept, now past"
    );
    sim.act(&Action::Set(ConfigPatch {
        timers: Some(Mode::Auto),
        ..ConfigPatch::default()
    }));
    let len = trace.borrow().len();
    sim.run_until(sim.now(), false);
    assert!(trace.borrow()[len..]
        .iter()
        .any(|e| matches!(&e.kind, TraceKind::Send { node, .. } if *node == leader)));
    assert!(sim.violations().is_empty());
}

/// A snapshot taken with messages held runs on exactly as the original.
#[test]
fn snapshots_keep_the_held_messages() {
    let (mut sim, _) = traced(Simulation::new(5, manual(true, true), 9));
    sim.act(&Action::FireTimer(Target::Node(4)));
    deliver_all_from(&mut sim, 4);
    let copy = sim.snapshot();
    let (mut copy, copy_trace) = traced(copy);
    let (mut sim, trace) = traced(sim);
    assert_eq!(copy.in_flight().count(), 4);
    for s in [&mut sim, &mut copy] {
        deliver_all_to(s, 4);
        s.act(&Action::Set(ConfigPatch {
            delivery: Some(Mode::Auto),
            timers: Some(Mode::Auto),
            ..ConfigPatch::default()
        }));
        s.run_until(2_000_000, false);
    }
    assert_eq!(sim.leader(), Some(4));
    let a: Vec<String> = trace.borrow().iter().map(TraceEvent::to_json).collect();
    let b: Vec<String> = copy_trace
        .borrow()
        .iter()
        .map(TraceEvent::to_json)
        .collect();
    assert!(!a.is_empty());
    assert_eq!(a, b);
}

/// The liveness phase cannot wait for a reader: it switches delivery and timers back to auto,
/// and the cluster settles.
#[test]
fn the_liveness_phase_switches_back_to_auto() {
    let scenario = Scenario {
        nodes: 3,
        until_us: 1_000_000,
        liveness_us: Some(5_000_000),
        system: Default::default(),
        config: manual(true, true),
        events: vec![TimedAction {
            at_us: 100_000,
            action: Action::FireTimer(Target::Node(1)),
        }],
        ..Scenario::default()
    };
    let outcome = raftlab_sim::run::run(&scenario, None, false);
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    assert!(outcome.settled_after_us.is_some());
    assert!(outcome.leader.is_some());
}

// ---------------------------------------------------------------------------------------
// Figure 8 by hand
// ---------------------------------------------------------------------------------------

fn figure8() -> Scenario {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/figure8-by-hand.json"
    );
    let text = std::fs::read_to_string(path).expect("examples/figure8-by-hand.json");
    Scenario::parse(&text).expect("the example parses")
}

fn log(sim: &Simulation, id: NodeId) -> Vec<(u64, String)> {
    let node = &sim.nodes()[id as usize - 1];
    (1..=node.last_index())
        .map(|i| {
            let e: &Entry = node.entry(i).unwrap();
            (e.term, e.command.to_string())
        })
        .collect()
}

fn has_x1(sim: &Simulation, id: NodeId) -> bool {
    let node = &sim.nodes()[id as usize - 1];
    node.entry(3).is_some_and(|e| {
        e.term == 2
            && e.command
                == Command::Set {
                    key: "x".into(),
                    value: "1".into(),
                }
    })
}

/// The moment (c) of the example: S4's reply that it holds x=1 (message 74) has just reached
/// the leader S1, at 810 ms.
const MOMENT_C_US: u64 = 810_000;

/// The leader's view at (c): the match indexes of its followers (Figure 2, matchIndex) and
/// how many voters, itself included, are known to store `index`.
fn known_holders(sim: &Simulation, leader: NodeId, index: u64) -> Vec<NodeId> {
    let l = &sim.nodes()[leader as usize - 1];
    let mut ids: Vec<NodeId> = l
        .progress()
        .iter()
        .filter(|p| p.match_index >= index)
        .map(|p| p.id)
        .collect();
    if l.last_index() >= index {
        ids.push(leader);
    }
    ids.sort_unstable();
    ids
}

/// The paper's Figure 8 with no bug, by hand, with one entry per AppendEntries: (a) S1 leads
/// term 2 and stores x=1 (index 3, after its no-op, section 8) on S2 only; (b) S5 leads term 3
/// with S3 and S4; (c) S1 leads term 4 and sends x=1 alone to S3 and S4: when their replies
/// are in, S1 KNOWS (its matchIndex) that S1, S3 and S4, a majority, store x=1, and still does
/// not commit it, because it is of term 2, not 4 (Figure 2's rule, 5.4.2); (d) S1 crashes, S5
/// wins term 5 with S2, S3 and S4, and its log replaces x=1 everywhere. The checker stays
/// quiet: x=1 was never committed.
#[test]
fn figure_8_by_hand_the_commit_rule_holds_an_old_entry_back_5_4_2() {
    let scenario = figure8();
    assert!(scenario.config.delivery.is_manual() && scenario.config.timers.is_manual());
    assert_eq!(scenario.config.bugs, Default::default());
    assert_eq!(scenario.config.max_entries_per_message, 1);
    let mut sim = Simulation::from_scenario(&scenario);

    // (a) S1 leads term 2; x=1 at index 3 is on S1 and S2 only; index 1 is committed.
    sim.run_until(465_000, false);
    assert_eq!(leaders(&sim), vec![1]);
    assert_eq!(sim.nodes()[0].term(), 2);
    assert!(has_x1(&sim, 1) && has_x1(&sim, 2));
    assert!((3..=5).all(|n| !has_x1(&sim, n)));
    assert_eq!(sim.nodes()[0].commit_index(), 1);

    // (b) S5 leads term 3 with the votes of S3, S4 and its own; its no-op is at index 2.
    sim.run_until(575_000, false);
    assert_eq!(leaders(&sim), vec![5]);
    assert_eq!(sim.nodes()[4].term(), 3);
    assert_eq!(log(&sim, 5)[1], (3, "noop".to_string()));
    assert!(!sim.is_alive(1));

    // (c) S1 leads term 4; S3's reply came at 750 ms, S4's at 810 ms.
    sim.run_until(MOMENT_C_US, false);
    assert_eq!(leaders(&sim), vec![1]);
    let s1 = &sim.nodes()[0];
    assert_eq!(s1.term(), 4);
    assert_eq!(log(&sim, 1)[3], (4, "noop".to_string()));
    let matched: Vec<(NodeId, u64)> = s1
        .progress()
        .iter()
        .map(|p| (p.id, p.match_index))
        .collect();
    assert_eq!(matched, vec![(2, 0), (3, 3), (4, 3), (5, 0)]);
    // The leader knows a majority stores x=1 (index 3)...
    assert_eq!(known_holders(&sim, 1, 3), vec![1, 3, 4]);
    assert!(known_holders(&sim, 1, 3).len() >= sim.membership().quorum());
    // ...but not its own entry of term 4 (index 4): only itself.
    assert_eq!(known_holders(&sim, 1, 4), vec![1]);
    // And it has not committed x=1: counting replicas commits only an entry of the leader's
    // term (Figure 2, Leaders; 5.4.2). Nobody has.
    assert_eq!(s1.term_at(3), Some(2));
    assert!(s1.commit_index() < 3, "S1 committed x=1 by counting");
    for node in sim.nodes() {
        assert!(node.commit_index() < 3, "S{} committed x=1", node.id());
    }
    let holders: Vec<NodeId> = (1..=5).filter(|&n| has_x1(&sim, n)).collect();
    assert_eq!(holders, vec![1, 2, 3, 4], "x=1 is stored on four of five");
    let e = explain(&sim, &Explain::Entry { node: 1, index: 3 }).unwrap();
    assert!(
        e.lines
            .iter()
            .any(|l| l.contains("waits for an entry of term 4") && l.contains("section 5.4.2")),
        "{e:#?}"
    );
    assert!(sim.violations().is_empty());

    // (d) S1 crashes; S5 is elected for term 5 by S2, S3, S4 and itself (their logs end in
    // term 2, S5's in term 3, 5.4.1), and overwrites index 2 and 3 with its entries.
    sim.run_until(scenario.until_us, false);
    assert_eq!(leaders(&sim), vec![5]);
    assert_eq!(sim.nodes()[4].term(), 5);
    for n in 2..=5 {
        assert!(!has_x1(&sim, n), "S{n} still has x=1");
        assert_eq!(sim.nodes()[n as usize - 1].commit_index(), 3);
        assert_eq!(
            log(&sim, n),
            vec![
                (1, "noop".to_string()),
                (3, "noop".to_string()),
                (5, "noop".to_string())
            ]
        );
    }
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    assert!(sim.nodes().iter().all(|n| n.kv().get("x").is_none()));
}

/// Figure 8 (e), the other ending: at (c), S1's held no-op of term 4 (index 4) goes on to S3
/// and S4 instead; once their replies say a majority stores it, S1 commits it by counting,
/// and x=1 (term 2, index 3) with it, both together (5.4.2). Now S5 can no longer be elected:
/// S3 and S4 refuse it (their logs end in term 4, 5.4.1).
#[test]
fn figure_8_by_hand_e_the_own_term_entry_commits_the_old_one_5_4_2() {
    let full = figure8();
    let scenario = Scenario {
        events: full
            .events
            .iter()
            .filter(|e| e.at_us <= MOMENT_C_US)
            .cloned()
            .collect(),
        ..full.clone()
    };
    let mut sim = Simulation::from_scenario(&scenario);
    sim.run_until(MOMENT_C_US, false);
    assert_eq!(sim.nodes()[0].commit_index(), 0);
    let noop4 = |b: &Body| matches!(b, Body::AppendEntries { prev_log_index: 3, entries, .. } if entries.len() == 1);
    // S3 takes the no-op of term 4: on S1 and S3, not a majority yet.
    let to_s3 = wire(&sim, 1, 3, noop4);
    assert_eq!(to_s3, vec![69]);
    sim.act(&Action::DeliverMessage(to_s3[0]));
    let from_s3 = wire(&sim, 3, 1, |b| matches!(b, Body::AppendEntriesReply { .. }));
    sim.act(&Action::DeliverMessage(from_s3[0]));
    assert_eq!(known_holders(&sim, 1, 4), vec![1, 3]);
    assert_eq!(sim.nodes()[0].commit_index(), 0);
    // S4 takes it too: on a majority; committed, and x=1 with it.
    let to_s4 = wire(&sim, 1, 4, noop4);
    assert_eq!(to_s4, vec![75]);
    sim.act(&Action::DeliverMessage(to_s4[0]));
    let from_s4 = wire(&sim, 4, 1, |b| matches!(b, Body::AppendEntriesReply { .. }));
    sim.act(&Action::DeliverMessage(from_s4[0]));
    assert_eq!(known_holders(&sim, 1, 4), vec![1, 3, 4]);
    assert_eq!(sim.nodes()[0].commit_index(), 4);
    assert_eq!(sim.nodes()[0].kv().get("x").map(String::as_str), Some("1"));
    // S1 crashes; S5 restarts and stands for election: only S2 votes for it.
    sim.act(&Action::Crash(Target::Node(1)));
    sim.act(&Action::Restart(Target::Node(5)));
    for _ in 0..2 {
        sim.act(&Action::FireTimer(Target::Node(5)));
        deliver_all_from(&mut sim, 5);
        deliver_all_to(&mut sim, 5);
    }
    assert_eq!(sim.leader(), None);
    let granted: Vec<NodeId> = sim.nodes()[4].votes().to_vec();
    assert!(
        !granted.contains(&3) && !granted.contains(&4),
        "{granted:?}"
    );
    assert!(sim.violations().is_empty());
}

/// The example's trace is the same on every run, and its message ids are those its actions
/// name.
#[test]
fn figure_8_by_hand_is_deterministic() {
    let scenario = figure8();
    let run = || {
        let (mut sim, trace) = traced(Simulation::from_scenario(&scenario));
        sim.run_until(scenario.until_us, false);
        sim.finish();
        let lines: Vec<String> = trace.borrow().iter().map(TraceEvent::to_json).collect();
        lines
    };
    let a = run();
    assert_eq!(a, run());
    // Every deliver_message, drop_message of the example found its message.
    let named = scenario
        .events
        .iter()
        .filter(|e| matches!(e.action, Action::DropMessage(_) | Action::DeliverMessage(_)))
        .count();
    let handled = a
        .iter()
        .filter(|l| l.contains("\"kind\":\"deliver\"") || l.contains("\"kind\":\"drop\""))
        .count();
    assert_eq!(named, handled);
}

// ---------------------------------------------------------------------------------------
// Formats: scenario files and links
// ---------------------------------------------------------------------------------------

fn sample() -> Scenario {
    Scenario {
        nodes: 3,
        config: manual(true, false),
        events: vec![
            TimedAction {
                at_us: 10_000,
                action: Action::FireTimer(Target::Node(1)),
            },
            TimedAction {
                at_us: 20_000,
                action: Action::FireTimer(Target::Leader),
            },
            TimedAction {
                at_us: 30_500,
                action: Action::DeliverMessage(1),
            },
            TimedAction {
                at_us: 40_000,
                action: Action::DropMessage(17),
            },
            TimedAction {
                at_us: 50_000,
                action: Action::DuplicateMessage(u64::MAX),
            },
            TimedAction {
                at_us: 60_000,
                action: Action::Set(ConfigPatch {
                    delivery: Some(Mode::Auto),
                    timers: Some(Mode::Manual),
                    ..ConfigPatch::default()
                }),
            },
        ],
        ..Scenario::default()
    }
}

#[test]
fn scenario_files_round_trip_the_new_actions_and_settings() {
    let s = sample();
    let text = s.to_pretty();
    assert!(text.contains(r#""delivery":"manual""#), "{text}");
    assert!(!text.contains(r#""timers":"auto""#) || text.contains(r#""do":"set""#));
    assert!(
        text.contains(r#"{"at_ms":10,"do":"fire_timer","node":1}"#),
        "{text}"
    );
    assert!(
        text.contains(r#"{"at_ms":30.5,"do":"deliver_message","id":1}"#),
        "{text}"
    );
    assert!(text.contains(r#""do":"drop_message","id":17"#));
    assert!(text.contains(r#""do":"duplicate_message","id":18446744073709551615"#));
    assert!(
        text.contains(r#""delivery":"auto","do":"set","timers":"manual""#),
        "{text}"
    );
    assert_eq!(Scenario::parse(&text), Ok(s));
    // Defaults are not written.
    let plain = SimConfig::default().to_json().to_string();
    assert!(
        !plain.contains("delivery") && !plain.contains("timers"),
        "{plain}"
    );
}

#[test]
fn bad_new_fields_get_clear_errors() {
    let with = |config: &str, event: &str| {
        Scenario::parse(&format!(
            r#"{{"version": 1, "nodes": 3, "config": {{{config}}}, "events": [{event}]}}"#
        ))
        .unwrap_err()
        .to_string()
    };
    let ev = |event: &str| with("", event);
    assert_eq!(
        ev(r#"{"at_ms": 1, "do": "drop_message"}"#),
        r#"events[0].id: missing: "drop_message" needs the id of a message (as in the trace)"#
    );
    assert_eq!(
        ev(r#"{"at_ms": 1, "do": "deliver_message", "id": -1}"#),
        "events[0].id: expected a message id (a whole number, as msg.id in the trace), found the number -1"
    );
    assert_eq!(
        ev(r#"{"at_ms": 1, "do": "duplicate_message", "id": 1.5}"#),
        "events[0].id: expected a message id (a whole number, as msg.id in the trace), found the number 1.5"
    );
    assert_eq!(
        ev(r#"{"at_ms": 1, "do": "deliver_message", "id": "7"}"#),
        "events[0].id: expected a message id (a whole number, as msg.id in the trace), found the string \"7\""
    );
    assert_eq!(
        ev(r#"{"at_ms": 1, "do": "drop_message", "id": 3, "node": 1}"#),
        "events[0].node: unknown field; expected one of: at_ms, do, id"
    );
    assert_eq!(
        ev(r#"{"at_ms": 1, "do": "fire_timer"}"#),
        r#"events[0].node: missing: "fire_timer" needs a node number or "leader""#
    );
    assert_eq!(
        ev(r#"{"at_ms": 1, "do": "fire_timer", "node": 4}"#),
        "events[0].node: node 4 does not exist; the cluster has nodes 1 to 3"
    );
    assert_eq!(
        with(r#""delivery": "sometimes""#, ""),
        r#"config.delivery: expected "auto" or "manual", found the string "sometimes""#
    );
    assert_eq!(
        with(r#""timers": true"#, ""),
        r#"config.timers: expected "auto" or "manual", found the boolean true"#
    );
    assert_eq!(
        ev(r#"{"at_ms": 1, "do": "set", "timers": "manul"}"#),
        r#"events[0].timers: expected "auto" or "manual", found the string "manul""#
    );
}

#[test]
fn links_round_trip_the_new_actions_and_settings() {
    let s = sample();
    let text = link::encode(&s, Some(25_000));
    assert_eq!(
        text,
        "v=1&seed=1&n=3&c=M1&e=10f1,20fL,30.5n1,40o17,50u18446744073709551615,60sM0T1&u=5000&p=25"
    );
    let back = link::decode(&text).unwrap();
    assert_eq!(back.scenario, s);
    assert_eq!(back.position_us, Some(25_000));
    let example = figure8();
    assert_eq!(
        link::decode(&link::encode(&example, None))
            .unwrap()
            .scenario,
        example
    );
}

#[test]
fn bad_links_get_clear_errors() {
    let err = |e: &str| {
        link::decode(&format!("v=1&seed=1&n=3&{e}&u=5000"))
            .unwrap_err()
            .message
    };
    assert_eq!(
        err("e=10o"),
        r#"link: action 1 ("10o"): drop_message (o) expects a message id (a whole number, as in the trace), such as o17; found nothing"#
    );
    assert_eq!(
        err("e=10nx"),
        r#"link: action 1 ("10nx"): deliver_message (n) expects a message id (a whole number, as in the trace), such as n17; found "x""#
    );
    assert_eq!(
        err("e=10u99999999999999999999"),
        r#"link: action 1 ("10u99999999999999999999"): duplicate_message (u): message id "99999999999999999999" is too large (at most 18446744073709551615)"#
    );
    assert_eq!(
        err("e=10f7"),
        r#"link: action 1 ("10f7"): node 7 does not exist; the cluster has nodes 1 to 3"#
    );
    assert_eq!(
        err("c=M2"),
        r#"link: field c ("c=M2"): M (manual delivery): expected 1 (manual) or 0 (auto), found "2""#
    );
    assert_eq!(
        err("c=T1T0"),
        r#"link: field c ("c=T1T0"): T (manual timers) is given more than once"#
    );
}

/// Nothing of this changes a run that does not use it: a default run has no held message,
/// writes no `held` field, and its messages all arrive by themselves.
#[test]
fn runs_without_the_new_settings_are_unchanged() {
    let (mut sim, trace) = traced(Simulation::new(5, SimConfig::default(), 42));
    sim.run_until(2_000_000, false);
    assert!(!sim.delivery_manual() && !sim.timers_manual());
    assert!(sim.in_flight().all(|m| !m.held));
    assert!(trace
        .borrow()
        .iter()
        .all(|e| !e.to_json().contains("\"held\"")));
}
