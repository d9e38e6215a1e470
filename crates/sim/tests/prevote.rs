//! PreVote (Ongaro's thesis 9.6) and CheckQuorum (thesis 6.2, 4.2.3) in the simulator: the
//! problems they solve, shown with the features off, and gone with them on.

use raftlab_raft::{NodeId, Role, Term};
use raftlab_sim::scenario::{Action, SimConfig, Target};
use raftlab_sim::trace::{TraceEvent, TraceKind};
use raftlab_sim::Simulation;
use std::cell::RefCell;
use std::rc::Rc;

fn cluster(
    seed: u64,
    pre_vote: bool,
    check_quorum: bool,
) -> (Simulation, Rc<RefCell<Vec<TraceEvent>>>) {
    let config = SimConfig {
        pre_vote,
        check_quorum,
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(5, config, seed);
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    (sim, trace)
}

fn term_of(sim: &Simulation, id: NodeId) -> Term {
    sim.nodes()[id as usize - 1].term()
}

/// A node cut off from the others while a leader runs the cluster, then the network heals.
/// Returns (the leader, its term, the isolated node's term while cut off, the trace after
/// the heal, the simulation).
fn isolate_a_follower(
    seed: u64,
    pre_vote: bool,
    check_quorum: bool,
) -> (NodeId, Term, Term, Vec<TraceEvent>, Simulation) {
    let (mut sim, trace) = cluster(seed, pre_vote, check_quorum);
    sim.run_until(1_000_000, false);
    let leader = sim.leader().expect("a leader within a second");
    let term = term_of(&sim, leader);
    let follower = if leader == 1 { 2 } else { 1 };
    sim.act(&Action::Isolate(Target::Node(follower)));
    sim.run_until(3_000_000, false);
    let cut_off_term = term_of(&sim, follower);
    assert_eq!(sim.leader(), Some(leader), "the majority keeps its leader");
    let healed_at = trace.borrow().len();
    sim.act(&Action::Heal);
    sim.run_until(4_000_000, false);
    let after = trace.borrow()[healed_at..].to_vec();
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    (leader, term, cut_off_term, after, sim)
}

/// Thesis 9.6, the problem: without PreVote a node cut off from the others keeps timing out
/// and raising its term; when it comes back, its higher term deposes a healthy leader.
#[test]
fn without_pre_vote_a_returning_node_deposes_the_leader_9_6() {
    for seed in 1..=5 {
        let (leader, term, cut_off_term, after, sim) = isolate_a_follower(seed, false, false);
        assert!(
            cut_off_term >= term + 3,
            "seed {seed}: the cut-off node raised its term from {term} to {cut_off_term}"
        );
        let deposed = after.iter().any(|e| {
            matches!(e.kind, TraceKind::BecomeFollower { node, term: t } if node == leader && t > term)
        });
        assert!(
            deposed,
            "seed {seed}: the leader S{leader} of term {term} was deposed"
        );
        let new_term = sim.nodes().iter().map(|n| n.term()).max().unwrap();
        assert!(
            new_term > cut_off_term,
            "seed {seed}: a new election in a higher term"
        );
    }
}

/// Thesis 9.6, the fix: with PreVote the cut-off node only asks for pre-votes, which change no
/// term; it never becomes a candidate, and after the heal the leader keeps leading in its term.
#[test]
fn with_pre_vote_a_returning_node_does_not_disrupt_9_6() {
    for seed in 1..=5 {
        let (leader, term, cut_off_term, after, sim) = isolate_a_follower(seed, true, false);
        assert_eq!(
            cut_off_term, term,
            "seed {seed}: the cut-off node kept term {term}"
        );
        assert_eq!(
            sim.leader(),
            Some(leader),
            "seed {seed}: S{leader} still leads"
        );
        assert_eq!(term_of(&sim, leader), term, "seed {seed}: in the same term");
        assert!(
            !after
                .iter()
                .any(|e| matches!(e.kind, TraceKind::BecomeCandidate { .. })),
            "seed {seed}: no election after the heal"
        );
    }
}

/// With PreVote, a lost leader is still replaced: pre-votes are granted once nobody hears
/// from a leader, and the real election follows.
#[test]
fn with_pre_vote_a_crashed_leader_is_still_replaced_9_6() {
    let (mut sim, trace) = cluster(3, true, false);
    sim.run_until(1_000_000, false);
    let leader = sim.leader().unwrap();
    let term = term_of(&sim, leader);
    sim.act(&Action::Crash(Target::Node(leader)));
    sim.run_until(2_000_000, false);
    let next = sim.leader().expect("a new leader");
    assert_ne!(next, leader);
    assert_eq!(
        term_of(&sim, next),
        term + 1,
        "one pre-vote round, then one election"
    );
    let t = trace.borrow();
    assert!(t
        .iter()
        .any(|e| matches!(e.kind, TraceKind::BecomePreCandidate { .. })));
    assert!(t.iter().any(
        |e| matches!(&e.kind, TraceKind::Send { msg, .. } if msg.message.type_name() == "PreVote")
    ));
    assert!(sim.violations().is_empty());
}

/// Thesis 6.2: with CheckQuorum a leader cut off from the majority steps down within an
/// election timeout; without it, it goes on believing it leads.
#[test]
fn check_quorum_makes_a_cut_off_leader_step_down_6_2() {
    for seed in 1..=5 {
        for check_quorum in [false, true] {
            let (mut sim, trace) = cluster(seed, false, check_quorum);
            sim.run_until(1_000_000, false);
            let leader = sim.leader().unwrap();
            let cut_at = sim.now();
            sim.act(&Action::Isolate(Target::Node(leader)));
            sim.run_until(3_000_000, false);
            let stepped = trace.borrow().iter().find_map(|e| match e.kind {
                TraceKind::StepDown { node, .. } if node == leader => Some(e.t_us),
                _ => None,
            });
            let role = sim.nodes()[leader as usize - 1].role();
            if check_quorum {
                let at = stepped.expect("the cut-off leader steps down");
                let limit = SimConfig::default().election_timeout_us.1;
                assert!(
                    at - cut_at <= limit,
                    "seed {seed}: stepped down {} µs after the cut (at most one election timeout, {limit} µs)",
                    at - cut_at
                );
                assert_ne!(role, Role::Leader);
            } else {
                assert_eq!(stepped, None);
                assert_eq!(
                    role,
                    Role::Leader,
                    "seed {seed}: without CheckQuorum it still leads"
                );
            }
            assert!(sim.violations().is_empty());
        }
    }
}

/// A healthy leader never steps down with CheckQuorum, even with some message loss.
#[test]
fn check_quorum_keeps_a_healthy_leader_6_2() {
    let (mut sim, trace) = cluster(9, true, true);
    sim.act(&Action::Set(raftlab_sim::scenario::ConfigPatch {
        drop_rate: Some(0.05),
        ..Default::default()
    }));
    sim.run_until(20_000_000, false);
    let downs = trace
        .borrow()
        .iter()
        .filter(|e| matches!(e.kind, TraceKind::StepDown { .. }))
        .count();
    assert_eq!(downs, 0);
    assert!(sim.leader().is_some());
}

/// Runs an example scenario from `examples/`, returning its trace and final simulation.
fn example(name: &str) -> (Vec<TraceEvent>, Simulation) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    let text = std::fs::read_to_string(&path).expect("example exists");
    let scenario = raftlab_sim::Scenario::parse(&text).expect("example parses");
    let mut sim = Simulation::from_scenario(&scenario);
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    sim.run_until(scenario.until_us, false);
    assert!(sim.violations().is_empty());
    let t = trace.borrow().clone();
    (t, sim)
}

/// The examples show the two problems and their fixes, as the docs say.
#[test]
fn the_examples_show_what_they_say() {
    // S1 is cut off from 1 s to 3 s while S5 leads term 1.
    let (_, sim) = example("disruptive-node.json");
    let leader = sim.leader().unwrap();
    assert!(
        term_of(&sim, leader) > 5,
        "without PreVote the returning S1 forced a new term"
    );
    let (trace, sim) = example("disruptive-node-prevote.json");
    assert_eq!(
        (sim.leader(), term_of(&sim, 5)),
        (Some(5), 1),
        "with PreVote S5 still leads term 1"
    );
    assert!(trace
        .iter()
        .any(|e| matches!(e.kind, TraceKind::BecomePreCandidate { node: 1, .. })));
    // Leader S5 is cut off at 1 s; a client writes to it at 2 s.
    let (trace, sim) = example("stale-leader.json");
    assert_eq!(
        sim.nodes()[4].role(),
        Role::Leader,
        "without CheckQuorum S5 still believes it leads"
    );
    let reply = trace.iter().rev().find_map(|e| match &e.kind {
        TraceKind::ClientReply {
            node: Some(5),
            result,
            ..
        } => Some(*result),
        _ => None,
    });
    assert_eq!(
        reply,
        Some(raftlab_sim::trace::ReplyResult::Timeout),
        "it accepted the write, which never commits"
    );
    let (trace, _) = example("stale-leader-checkquorum.json");
    let down = trace.iter().find_map(|e| match e.kind {
        TraceKind::StepDown { node: 5, .. } => Some(e.t_us),
        _ => None,
    });
    assert!(
        down.is_some_and(|t| t - 1_000_000 <= 300_000),
        "S5 stepped down within an election timeout: {down:?}"
    );
    let reply = trace.iter().rev().find_map(|e| match &e.kind {
        TraceKind::ClientReply {
            node: Some(5),
            result,
            ..
        } => Some(*result),
        _ => None,
    });
    assert_eq!(
        reply,
        Some(raftlab_sim::trace::ReplyResult::Redirect),
        "so it turns the client away"
    );
}
