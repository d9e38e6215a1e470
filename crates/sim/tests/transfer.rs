//! Leadership transfer (Ongaro's thesis 3.10): the leader brings the chosen server's log up to
//! date, sends it TimeoutNow, and the server wins the next term at once; a transfer that does
//! not complete within an election timeout is aborted.

use raftlab_raft::{NodeId, Term};
use raftlab_sim::scenario::{Action, SimConfig, Target};
use raftlab_sim::trace::{ReplyResult, TraceEvent, TraceKind};
use raftlab_sim::Simulation;
use std::cell::RefCell;
use std::rc::Rc;

fn cluster(seed: u64, config: SimConfig) -> (Simulation, Rc<RefCell<Vec<TraceEvent>>>) {
    let mut sim = Simulation::new(5, config, seed);
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    (sim, trace)
}

fn term_of(sim: &Simulation, id: NodeId) -> Term {
    sim.nodes()[id as usize - 1].term()
}

fn other_than(leader: NodeId) -> NodeId {
    if leader == 3 {
        4
    } else {
        3
    }
}

/// Thesis 3.10: the target becomes leader in the next term, well within an election timeout,
/// with the features that guard against disruption on or off.
#[test]
fn transfer_hands_leadership_to_the_chosen_node_3_10() {
    for (pre_vote, check_quorum) in [(false, false), (true, true)] {
        for seed in 1..=5 {
            let config = SimConfig {
                pre_vote,
                check_quorum,
                ..SimConfig::default()
            };
            let (mut sim, trace) = cluster(seed, config);
            sim.run_until(1_000_000, false);
            let leader = sim.leader().unwrap();
            let term = term_of(&sim, leader);
            let to = other_than(leader);
            sim.act(&Action::TransferLeadership(to));
            let started = sim.now();
            sim.run_until(started + 100_000, false);
            assert_eq!(
                sim.leader(),
                Some(to),
                "seed {seed}: S{to} leads after the transfer"
            );
            assert_eq!(term_of(&sim, to), term + 1, "seed {seed}: in the next term");
            let t = trace.borrow();
            assert!(t.iter().any(|e| matches!(e.kind, TraceKind::TransferStart { node, to: x } if node == leader && x == to)));
            assert!(t.iter().any(|e| matches!(&e.kind, TraceKind::Send { msg, .. } if msg.message.type_name() == "TimeoutNow")));
            assert!(!t.iter().any(
                |e| matches!(e.kind, TraceKind::BecomePreCandidate { .. }) && e.t_us >= started
            ));
            assert!(sim.violations().is_empty());
        }
    }
}

/// A target whose log is behind is first brought up to date (5.4.1 would refuse it votes
/// otherwise), then wins.
#[test]
fn a_lagging_target_is_caught_up_first_3_10() {
    let (mut sim, _) = cluster(2, SimConfig::default());
    sim.run_until(1_000_000, false);
    let leader = sim.leader().unwrap();
    let to = other_than(leader);
    sim.act(&Action::Crash(Target::Node(to)));
    for k in 0..5 {
        sim.act(&Action::ClientWrite {
            node: None,
            key: format!("k{k}"),
            value: "v".into(),
        });
        sim.run_until(sim.now() + 20_000, false);
    }
    sim.act(&Action::Restart(Target::Node(to)));
    sim.run_until(sim.now() + 5_000, false);
    let behind = sim.nodes()[to as usize - 1].last_index();
    assert!(behind < sim.nodes()[leader as usize - 1].last_index());
    sim.act(&Action::TransferLeadership(to));
    sim.run_until(sim.now() + 200_000, false);
    assert_eq!(sim.leader(), Some(to));
    assert!(sim.nodes()[to as usize - 1].commit_index() >= 6);
    assert!(sim.violations().is_empty());
}

/// A transfer to a node that cannot be reached is aborted after an election timeout; during
/// it the leader turns clients away, after it the leader takes requests again.
#[test]
fn an_unreachable_target_aborts_the_transfer_3_10() {
    let (mut sim, trace) = cluster(4, SimConfig::default());
    sim.run_until(1_000_000, false);
    let leader = sim.leader().unwrap();
    let term = term_of(&sim, leader);
    let to = other_than(leader);
    sim.act(&Action::Isolate(Target::Node(to)));
    sim.act(&Action::TransferLeadership(to));
    let started = sim.now();
    sim.act(&Action::ClientWrite {
        node: Some(Target::Node(leader)),
        key: "during".into(),
        value: "1".into(),
    });
    sim.run_until(started + 400_000, false);
    let aborted = trace.borrow().iter().find_map(|e| match e.kind {
        TraceKind::TransferAbort { node, to: x } if node == leader && x == to => Some(e.t_us),
        _ => None,
    });
    let at = aborted.expect("the transfer was aborted");
    assert!(
        at - started
            <= SimConfig::default().election_timeout_us.1 + SimConfig::default().heartbeat_us
    );
    assert_eq!((sim.leader(), term_of(&sim, leader)), (Some(leader), term));
    let replies: Vec<ReplyResult> = trace
        .borrow()
        .iter()
        .filter_map(|e| match &e.kind {
            TraceKind::ClientReply { result, .. } => Some(*result),
            _ => None,
        })
        .collect();
    assert_eq!(
        replies,
        vec![ReplyResult::Redirect],
        "turned away during the transfer"
    );
    sim.act(&Action::ClientWrite {
        node: Some(Target::Node(leader)),
        key: "after".into(),
        value: "2".into(),
    });
    sim.run_until(sim.now() + 200_000, false);
    assert!(sim.nodes()[leader as usize - 1].kv().contains_key("after"));
    assert!(sim.violations().is_empty());
}
