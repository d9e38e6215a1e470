//! Flexible quorums in Raft (Howard, Malkhi and Spiegelman 2016, "Flexible Paxos"): the
//! election quorum Q1 (`election_quorum`) and the commit quorum Q2 (`commit_quorum`) need
//! only intersect. The two scenarios of `examples/flexible-*.json`, the quorums that
//! CheckQuorum and ReadIndex use, membership changes refused, and bad settings.

use raftlab_raft::{ReadMode, Role};
use raftlab_sim::checker::Property;
use raftlab_sim::scenario::{Action, Scenario, SimConfig, Target};
use raftlab_sim::trace::{ReplyResult, TraceEvent, TraceKind};
use raftlab_sim::Simulation;
use std::cell::RefCell;
use std::rc::Rc;

fn example(name: &str) -> Scenario {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    Scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn traced(scenario: &Scenario) -> (Simulation, Rc<RefCell<Vec<TraceEvent>>>) {
    let mut sim = Simulation::from_scenario(scenario);
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    (sim, trace)
}

fn commit_of(sim: &Simulation, id: u32) -> u64 {
    sim.nodes()[id as usize - 1].commit_index()
}

/// Contrast scenario C1: two servers, Q1 = 2, Q2 = 1. After S1 crashes the leader S2 still
/// commits alone; plain Raft (a majority of 2 is 2) stalls on the same run. When the leader
/// then crashes, S1 cannot win an election (it needs both votes): unavailable, but safe.
#[test]
fn two_servers_q1_2_q2_1_keep_committing_after_a_crash() {
    let flexible = example("flexible-two-nodes.json");
    assert_eq!(
        (
            flexible.config.election_quorum,
            flexible.config.commit_quorum
        ),
        (2, 1)
    );
    let (mut sim, _) = traced(&flexible);
    sim.run_until(1_100_000, false);
    assert_eq!(sim.leader(), Some(2), "S2 leads (seed 4)");
    let before = commit_of(&sim, 2);
    assert!(!sim.is_alive(1));
    sim.run_until(1_900_000, false);
    // noop, x=1, then x=2 and y=1 written while S1 is down.
    assert_eq!(commit_of(&sim, 2), 4, "S2 commits alone (Q2 = 1)");
    assert!(before < 4);

    let mut plain = flexible.clone();
    plain.config.election_quorum = 0;
    plain.config.commit_quorum = 0;
    let (mut stalled, _) = traced(&plain);
    stalled.run_until(1_900_000, false);
    assert_eq!(stalled.leader(), Some(2));
    assert_eq!(
        commit_of(&stalled, 2),
        before,
        "with majorities, S2 cannot commit without S1"
    );

    // S1 restarts at 2000 ms and catches up; the leader crashes at 2500 ms.
    sim.run_until(flexible.until_us, false);
    assert!(!sim.is_alive(2));
    let s1 = &sim.nodes()[0];
    assert_ne!(s1.role(), Role::Leader, "S1 alone cannot win with Q1 = 2");
    assert_eq!(s1.commit_index(), 4, "S1 learned every committed entry");
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

/// Contrast scenario C2: Q1 = Q2 = 1 with two servers do not intersect. Partitioned, both
/// sides elect a leader and commit different entries at index 2: the checker says so. With
/// Q1 = 2 (2 + 1 > 2) the same run is safe.
#[test]
fn non_intersecting_quorums_break_state_machine_safety() {
    let broken = example("flexible-split-brain.json");
    let (mut sim, trace) = traced(&broken);
    sim.run_until(broken.until_us, false);
    let v = sim.violations();
    assert!(
        v.iter().any(|v| v.property == Property::StateMachineSafety),
        "{v:?}"
    );
    let leaders: Vec<_> = trace
        .borrow()
        .iter()
        .filter_map(|e| match e.kind {
            TraceKind::BecomeLeader { node, term } => Some((node, term)),
            _ => None,
        })
        .collect();
    assert!(
        leaders.iter().any(|l| l.0 == 1) && leaders.iter().any(|l| l.0 == 2),
        "both sides elected a leader: {leaders:?}"
    );

    let mut safe = broken.clone();
    safe.config.election_quorum = 2;
    let (mut sim, _) = traced(&safe);
    sim.run_until(safe.until_us, false);
    assert!(sim.violations().is_empty(), "{:?}", sim.violations());
}

/// A two-server cluster, Q1 = 2 and Q2 = 1 or majorities, run until S2 leads; then S1
/// crashes.
fn two_servers_follower_down(flexible: bool, check_quorum: bool) -> Simulation {
    let config = SimConfig {
        election_quorum: if flexible { 2 } else { 0 },
        commit_quorum: if flexible { 1 } else { 0 },
        check_quorum,
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(2, config, 4);
    sim.run_until(1_000_000, false);
    assert_eq!(sim.leader(), Some(2));
    sim.act(&Action::Crash(Target::Node(1)));
    sim
}

/// A client reads x at S2 now with `mode`; runs until `until`; the reply's time and result.
fn read_at_s2(sim: &mut Simulation, mode: ReadMode, until: u64) -> Option<(u64, ReplyResult)> {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    sim.act(&Action::ClientRead {
        node: Some(Target::Node(2)),
        key: "x".into(),
        mode,
    });
    sim.run_until(until, false);
    let reply = trace.borrow().iter().find_map(|e| match &e.kind {
        TraceKind::ClientReply { result, .. } => Some((e.t_us, *result)),
        _ => None,
    });
    reply
}

/// ReadIndex (thesis 6.4) confirms leadership with `voters - Q1 + 1` servers (at least Q2):
/// with Q1 = 2 of 2, the leader alone, since S1 cannot elect anyone without S2's vote. With
/// majorities, the same read waits for S1 and times out.
#[test]
fn read_index_confirms_with_the_flexible_quorum() {
    for (flexible, answered) in [(true, true), (false, false)] {
        let mut sim = two_servers_follower_down(flexible, false);
        let result = read_at_s2(&mut sim, ReadMode::ReadIndex, 3_000_000).map(|r| r.1);
        let want = if answered {
            ReplyResult::Ok
        } else {
            ReplyResult::Timeout
        };
        assert_eq!(result, Some(want), "flexible {flexible}");
    }
}

/// When the quorums need not intersect (Q1 + Q2 <= N), the confirming quorum is larger than
/// Q2: a ReadIndex round must reach `voters - Q1 + 1` servers, so that it meets every
/// possible election quorum (one that elected a newer leader included). With 5 servers,
/// Q1 = 2 and Q2 = 3, that is 4: the leader with three servers up still commits (Q2 = 3),
/// yet its reads time out; with four up, they are answered.
#[test]
fn read_index_meets_every_election_quorum_when_quorums_need_not_intersect() {
    for (down, answered) in [(2, false), (1, true)] {
        let config = SimConfig {
            election_quorum: 2,
            commit_quorum: 3,
            ..SimConfig::default()
        };
        let mut sim = Simulation::new(5, config, 11);
        sim.run_until(1_000_000, false);
        let leader = sim.leader().expect("a leader by 1 s");
        let followers: Vec<u32> = (1..=5).filter(|&n| n != leader).collect();
        for &f in &followers[..down] {
            sim.act(&Action::Crash(Target::Node(f)));
        }
        let trace = Rc::new(RefCell::new(Vec::new()));
        let sink = trace.clone();
        sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
        sim.act(&Action::ClientWrite {
            node: Some(Target::Node(leader)),
            key: "x".into(),
            value: "1".into(),
        });
        sim.act(&Action::ClientRead {
            node: Some(Target::Node(leader)),
            key: "x".into(),
            mode: ReadMode::ReadIndex,
        });
        sim.run_until(4_000_000, false);
        let results: Vec<ReplyResult> = trace
            .borrow()
            .iter()
            .filter_map(|e| match &e.kind {
                TraceKind::ClientReply { result, .. } => Some(*result),
                _ => None,
            })
            .collect();
        let read = if answered {
            ReplyResult::Ok
        } else {
            ReplyResult::Timeout
        };
        // The write commits either way (Q2 = 3 servers are up); the read needs 4.
        assert_eq!(results, [ReplyResult::Ok, read], "{down} down");
        assert_eq!(sim.leader(), Some(leader));
    }
}

/// A lease read (thesis 6.4.1) counts the same confirming quorum: with Q1 = 2 of 2 and S1
/// down, the leader's own echo keeps its lease, and a read 1 s after the crash is answered
/// in the microsecond it arrives. With majorities the lease lapsed with S1's echoes: the
/// read waits for a round of heartbeats that nobody answers, and times out.
#[test]
fn lease_reads_confirm_with_the_flexible_quorum() {
    for (flexible, at_once) in [(true, true), (false, false)] {
        let mut sim = two_servers_follower_down(flexible, false);
        sim.run_until(2_000_000, false);
        let asked = sim.now();
        let reply = read_at_s2(&mut sim, ReadMode::Lease, 4_000_000);
        if at_once {
            assert_eq!(reply, Some((asked, ReplyResult::Ok)), "flexible");
        } else {
            assert_eq!(reply.map(|r| r.1), Some(ReplyResult::Timeout), "majorities");
        }
    }
}

/// CheckQuorum (thesis 6.2) uses the same confirming quorum: with Q1 = 2 of 2 the leader
/// alone stays leader (no one else can be elected); with majorities it steps down.
#[test]
fn check_quorum_uses_the_flexible_quorum() {
    for (flexible, stays) in [(true, true), (false, false)] {
        let mut sim = two_servers_follower_down(flexible, true);
        sim.run_until(2_000_000, false);
        assert_eq!(
            sim.nodes()[1].role() == Role::Leader,
            stays,
            "flexible {flexible}"
        );
    }
}

/// Quorum sizes do not carry over to another set of voters: a membership change is refused
/// with a reason saying so, and the configuration stays.
#[test]
fn membership_changes_are_refused_with_flexible_quorums() {
    let mut sim = two_servers_follower_down(true, false);
    sim.act(&Action::Restart(Target::Node(1)));
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    sim.act(&Action::AddServer(3));
    sim.run_until(2_000_000, false);
    let reason = trace.borrow().iter().find_map(|e| match &e.kind {
        TraceKind::MembershipRefused { reason, .. } => Some(reason.to_string()),
        _ => None,
    });
    assert_eq!(
        reason.as_deref(),
        Some(
            "membership changes need majority quorums (election_quorum and commit_quorum are set)"
        )
    );
    assert_eq!(sim.membership().voters, vec![1, 2]);
}

/// Either quorum set alone is enough to refuse a membership change (three servers, one of
/// Q1 = 2 or Q2 = 2 given, the other a majority); with both majorities the change goes on.
#[test]
fn membership_changes_are_refused_with_either_quorum_set() {
    for (q1, q2, refused) in [(2, 0, true), (0, 2, true), (0, 0, false)] {
        let config = SimConfig {
            election_quorum: q1,
            commit_quorum: q2,
            ..SimConfig::default()
        };
        let mut sim = Simulation::new(3, config, 5);
        sim.run_until(1_000_000, false);
        assert!(sim.leader().is_some(), "Q1 {q1}, Q2 {q2}: a leader");
        let trace = Rc::new(RefCell::new(Vec::new()));
        let sink = trace.clone();
        sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
        sim.act(&Action::RemoveServer(3));
        sim.run_until(2_000_000, false);
        let was_refused = trace
            .borrow()
            .iter()
            .any(|e| matches!(&e.kind, TraceKind::MembershipRefused { .. }));
        assert_eq!(was_refused, refused, "Q1 {q1}, Q2 {q2}: refused");
        assert_eq!(
            sim.membership().voters.len(),
            if refused { 3 } else { 2 },
            "Q1 {q1}, Q2 {q2}: the voters"
        );
    }
}

/// Bad quorum settings get a message naming the field and the limit.
#[test]
fn quorums_larger_than_the_cluster_are_refused() {
    let cases = [
        (
            r#"{"version": 1, "nodes": 3, "config": {"election_quorum": 4}}"#,
            "config.election_quorum: must be at most the number of nodes, 3 (found 4); 0 means a majority",
        ),
        (
            r#"{"version": 1, "nodes": 3, "config": {"commit_quorum": -1}}"#,
            "config.commit_quorum: expected a number of servers from 1 to 9, or 0 for a majority",
        ),
        (
            r#"{"version": 1, "nodes": 3, "config": {"commit_quorum": 10}}"#,
            "config.commit_quorum: must be at most 9 (found 10)",
        ),
        (
            r#"{"version": 1, "nodes": 2, "events": [{"at_ms": 1, "do": "set", "commit_quorum": 3}]}"#,
            "events[0].commit_quorum: must be at most the number of nodes, 2 (found 3); 0 means a majority",
        ),
    ];
    for (text, want) in cases {
        let e = Scenario::parse(text).unwrap_err().to_string();
        assert!(e.starts_with(want), "{text}: {e}");
    }
    // A scenario with quorums reads back equal, and writes them only when set.
    let s = example("flexible-two-nodes.json");
    let text = s.to_json().to_string();
    assert!(text.contains("\"election_quorum\":2") && text.contains("\"commit_quorum\":1"));
    assert_eq!(Scenario::parse(&text).unwrap(), s);
    let plain = Scenario::default().to_json().to_string();
    assert!(!plain.contains("quorum\""), "{plain}");
}
