//! Membership changes in the simulator (Ongaro's thesis chapter 4): sizes from 1 to 9, even
//! ones included, reached one server at a time in one run; the scenario, trace and link forms;
//! the checker catching unsafe changes.

use raftlab_raft::{Bugs, Membership, NodeId};
use raftlab_sim::fuzz::{fuzz_one, FuzzOptions};
use raftlab_sim::link;
use raftlab_sim::scenario::{Action, SimConfig};
use raftlab_sim::trace::TraceEvent;
use raftlab_sim::{Property, Scenario, Simulation};
use std::cell::RefCell;
use std::rc::Rc;

fn traced(sim: &mut Simulation) -> Rc<RefCell<Vec<TraceEvent>>> {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    trace
}

/// Runs until the cluster settles (one leader, every member caught up), at most 5 s.
fn settle(sim: &mut Simulation) -> NodeId {
    let end = sim.now() + 5_000_000;
    while sim.now() < end {
        sim.run_until(sim.now() + 10_000, false);
        if let Ok(l) = sim.settled() {
            return l;
        }
    }
    panic!("did not settle: {:?}", sim.settled());
}

fn voters(sim: &Simulation) -> Vec<NodeId> {
    sim.membership().voters.clone()
}

/// Thesis 4.1 and the 2f + 1 rule: from one server to nine and back, one at a time, without
/// restarting the run; every size works, even ones included, and the checker stays quiet.
#[test]
fn every_size_from_one_to_nine_and_back_in_one_run_4_1() {
    for seed in 1..=3 {
        let mut sim = Simulation::new(1, SimConfig::default(), seed);
        settle(&mut sim);
        for n in 2..=9u32 {
            sim.act(&Action::AddServer(n));
            settle(&mut sim);
            assert_eq!(voters(&sim), (1..=n).collect::<Vec<_>>(), "seed {seed}");
            assert!(sim.membership().learners.is_empty());
            assert_eq!(sim.nodes().len(), n as usize);
            // The cluster still commits writes at this size.
            let leader = sim.leader().unwrap();
            let before = sim.nodes()[leader as usize - 1].commit_index();
            sim.act(&Action::ClientWrite {
                node: None,
                key: "x".into(),
                value: n.to_string(),
            });
            settle(&mut sim);
            let leader = sim.leader().unwrap();
            assert!(sim.nodes()[leader as usize - 1].commit_index() > before);
        }
        // Back down, removing the leader itself whenever it is next in line.
        for n in (2..=9u32).rev() {
            sim.act(&Action::RemoveServer(n));
            settle(&mut sim);
            assert_eq!(voters(&sim), (1..n).collect::<Vec<_>>(), "seed {seed}");
        }
        assert_eq!(sim.leader(), Some(1));
        assert!(sim.violations().is_empty(), "{:?}", sim.violations());
    }
}

/// The 2f + 1 rule with an even size: four voters survive one failure, not two.
#[test]
fn four_voters_survive_one_failure_not_two() {
    let mut sim = Simulation::new(3, SimConfig::default(), 7);
    settle(&mut sim);
    sim.act(&Action::AddServer(4));
    settle(&mut sim);
    assert_eq!(sim.membership(), &Membership::new(&[1, 2, 3, 4], &[]));
    assert_eq!(sim.membership().quorum(), 3);
    assert_eq!(sim.membership().tolerates(), 1);
    let leader = sim.leader().unwrap();
    let others: Vec<NodeId> = (1..=4).filter(|&n| n != leader).collect();
    let commit = |sim: &Simulation| {
        let l = sim.leader().unwrap();
        sim.nodes()[l as usize - 1].commit_index()
    };
    let write = |sim: &mut Simulation, v: &str| {
        sim.act(&Action::ClientWrite {
            node: None,
            key: "k".into(),
            value: v.into(),
        })
    };
    // One down: still a majority (3 of 4).
    sim.act(&Action::Crash(raftlab_sim::scenario::Target::Node(
        others[0],
    )));
    let before = commit(&sim);
    write(&mut sim, "1");
    sim.run_until(sim.now() + 500_000, false);
    assert!(commit(&sim) > before);
    // Two down: 2 of 4 is no majority.
    sim.act(&Action::Crash(raftlab_sim::scenario::Target::Node(
        others[1],
    )));
    sim.run_until(sim.now() + 100_000, false);
    let before = commit(&sim);
    write(&mut sim, "2");
    sim.run_until(sim.now() + 1_000_000, false);
    assert_eq!(commit(&sim), before);
}

/// The trace tells the story: the action, the learner, then the voter, on every server.
#[test]
fn trace_shows_learner_then_voter_and_is_deterministic() {
    let scenario = Scenario::parse(include_str!("../../../examples/membership.json")).unwrap();
    let run = |s: &Scenario| {
        let mut sim = Simulation::from_scenario(s);
        let trace = traced(&mut sim);
        sim.run_until(s.until_us, true);
        assert!(sim.violations().is_empty(), "{:?}", sim.violations());
        let lines: Vec<String> = trace.borrow().iter().map(TraceEvent::to_json).collect();
        (lines, sim)
    };
    let (lines, sim) = run(&scenario);
    assert_eq!(run(&scenario).0, lines, "same scenario, same trace");
    let configs: Vec<(Vec<NodeId>, Vec<NodeId>)> = lines
        .iter()
        .filter(|l| l.contains(r#""kind":"membership","node":1,"#))
        .map(|l| {
            let e: serde_json::Value = serde_json::from_str(l).unwrap();
            let ids = |k: &str| -> Vec<NodeId> {
                e[k].as_array()
                    .unwrap()
                    .iter()
                    .map(|v| v.as_u64().unwrap() as NodeId)
                    .collect()
            };
            (ids("voters"), ids("learners"))
        })
        .collect();
    assert_eq!(
        configs,
        [
            (vec![1, 2, 3], vec![4]),
            (vec![1, 2, 3, 4], vec![]),
            (vec![1, 2, 3, 4], vec![5]),
            (vec![1, 2, 3, 4, 5], vec![]),
            (vec![2, 3, 4, 5], vec![]),
        ],
        "S1 saw each change until its own removal"
    );
    assert!(lines
        .iter()
        .any(|l| l.contains(r#""kind":"add_server","node":4,"leader":3"#)));
    assert!(lines
        .iter()
        .any(|l| l.contains(r#""command":"config voters=1,2,3 learners=4""#)));
    // The leader removed itself: it stepped down, and the three voters left elected another.
    assert_eq!(sim.membership(), &Membership::new(&[2, 4, 5], &[]));
    let leader = sim.leader().unwrap();
    assert!([2, 4, 5].contains(&leader));
    // The removed servers stay quiet: no election after the new leader's.
    let last_election = lines
        .iter()
        .rposition(|l| l.contains(r#""kind":"become_candidate""#))
        .unwrap();
    assert!(lines[last_election].contains(&format!(r#""node":{leader}"#)));
}

#[test]
fn scenario_and_link_forms_of_the_actions() {
    let text = r#"{"version":1,"nodes":3,"events":[
        {"at_ms":100,"do":"add_server","node":5},
        {"at_ms":200,"do":"crash","node":5},
        {"at_ms":300,"do":"remove_server","node":2}]}"#;
    let s = Scenario::parse(text).unwrap();
    assert_eq!(s.events[0].action, Action::AddServer(5));
    assert_eq!(s.events[2].action, Action::RemoveServer(2));
    // The writer and the share link give the same scenario back.
    assert_eq!(Scenario::parse(&s.to_pretty()).unwrap(), s);
    let url = link::encode(&s, None);
    assert!(url.contains("100a5"), "{url}");
    assert!(url.contains("300v2"), "{url}");
    assert_eq!(link::decode(&url).unwrap().scenario, s);
    // Clear messages for bad numbers.
    for (bad, message) in [
        (
            r#"{"at_ms":1,"do":"add_server","node":10}"#,
            "events[0].node: node 10 does not exist; the cluster has nodes 1 to 9",
        ),
        (
            r#"{"at_ms":1,"do":"remove_server","node":4}"#,
            "events[0].node: node 4 does not exist; the cluster has nodes 1 to 3",
        ),
        (
            r#"{"at_ms":1,"do":"crash","node":6}"#,
            "events[0].node: node 6 does not exist; the cluster has nodes 1 to 3",
        ),
        (
            r#"{"at_ms":1,"do":"add_server"}"#,
            "events[0].node: missing: \"add_server\" needs the number of a server (1 to 9)",
        ),
    ] {
        let text = format!(r#"{{"version":1,"nodes":3,"events":[{bad}]}}"#);
        assert_eq!(Scenario::parse(&text).unwrap_err().to_string(), message);
    }
    let err = link::decode("v=1&seed=1&n=3&e=1a&u=5000")
        .unwrap_err()
        .to_string();
    assert!(
        err.contains("add_server (a) expects the digit of the server to add"),
        "{err}"
    );
}

/// The checker catches changes made without the waits of thesis 4.1.
#[test]
fn checker_catches_unsafe_membership_changes() {
    let options = FuzzOptions {
        membership: true,
        bugs: Bugs {
            unsafe_membership: true,
            ..Bugs::default()
        },
        ..FuzzOptions::default()
    };
    let caught = (0..100)
        .filter_map(|seed| fuzz_one(seed, &options).err())
        .filter(|f| {
            f.1.violations
                .iter()
                .any(|v| v.property == Property::OneChangeAtATime)
        })
        .count();
    assert!(caught >= 5, "only {caught} of 100 campaigns caught it");
    // Without the bug, the same campaigns are clean.
    let clean = FuzzOptions {
        membership: true,
        ..FuzzOptions::default()
    };
    for seed in 0..100 {
        if let Err(f) = fuzz_one(seed, &clean) {
            panic!("seed {seed}: {:?}", f.1.violations);
        }
    }
}

/// A removed server that missed its removal keeps timing out; without PreVote its higher
/// term deposes the leader (thesis 4.2.3), with PreVote it does not.
#[test]
fn removed_server_that_missed_its_removal_disrupts_without_prevote_4_2_3() {
    let mut terms = Vec::new();
    for pre_vote in [false, true] {
        let config = SimConfig {
            pre_vote,
            ..SimConfig::default()
        };
        let mut sim = Simulation::new(3, config, 3);
        let leader = settle(&mut sim);
        let victim = (1..=3).find(|&n| n != leader).unwrap();
        // Cut off before the change: it never hears of its removal.
        sim.act(&Action::Isolate(raftlab_sim::scenario::Target::Node(
            victim,
        )));
        sim.act(&Action::RemoveServer(victim));
        sim.run_until(sim.now() + 2_000_000, false);
        assert!(!sim.membership().contains(victim));
        let term = sim.nodes()[leader as usize - 1].term();
        sim.act(&Action::Heal);
        sim.run_until(sim.now() + 3_000_000, false);
        let after = sim.leader().map(|l| sim.nodes()[l as usize - 1].term());
        terms.push((term, after));
        assert!(sim.violations().is_empty());
    }
    let (before, after) = terms[0];
    assert!(
        after.unwrap_or(u64::MAX) > before,
        "without PreVote: disrupted"
    );
    let (before, after) = terms[1];
    assert_eq!(
        after,
        Some(before),
        "with PreVote: the leader keeps its term"
    );
}

/// Thesis 4.1 and 4.2.3 (HashiCorp raft's rule): a server removed while cut off misses its
/// removal and campaigns when the network heals. Its higher term still deposes the leader
/// (5.1), but the servers that hold the removal refuse it as `not_a_voter`, with their
/// configuration in the trace, and it never leads; `explain` says why.
#[test]
fn removed_server_is_refused_as_not_a_voter_4_1() {
    use raftlab_raft::{Event, VoteRefusal};
    use raftlab_sim::explain::{explain, Target as Explain};
    use raftlab_sim::scenario::Target;
    let mut sim = Simulation::new(3, SimConfig::default(), 11);
    let trace = traced(&mut sim);
    let leader = settle(&mut sim);
    let removed = (1..=3).find(|&n| n != leader).unwrap();
    let kept: Vec<NodeId> = (1..=3).filter(|&n| n != removed).collect();
    sim.act(&Action::Isolate(Target::Node(removed)));
    sim.act(&Action::RemoveServer(removed));
    sim.run_until(sim.now() + 1_000_000, false);
    assert_eq!(sim.membership(), &Membership::new(&kept, &[]));
    let cut_off = &sim.nodes()[removed as usize - 1];
    assert!(
        cut_off.membership().is_voter(removed),
        "it missed its removal"
    );
    assert!(cut_off.term() > sim.nodes()[leader as usize - 1].term());
    sim.act(&Action::Heal);
    // Right after the first refusal of its vote request by a remaining server, that server's
    // explanation gives the reason in words.
    let limit = sim.now() + 1_000_000;
    let refused_by = |sim: &Simulation| {
        kept.iter().copied().find(|&n| {
            sim.refusals(n).next_back().is_some_and(|r| {
                matches!(&r.event, Event::VoteRefused { candidate, reason: VoteRefusal::NotAVoter { voters, .. }, .. } if *candidate == removed && *voters == kept)
            })
        })
    };
    let voter = loop {
        assert!(sim.now() < limit && sim.step(), "never refused");
        if let Some(voter) = refused_by(&sim) {
            break voter;
        }
    };
    let e = explain(&sim, &Explain::Node { node: voter }).unwrap();
    let words = format!(
        "S{removed} is not a voter in S{voter}'s configuration (voters S{}, S{}), so S{voter} \
         does not vote for it (thesis 4.1)",
        kept[0], kept[1]
    );
    assert!(
        e.lines.iter().any(|l| l.contains(&words)),
        "{words:?} not in {e:#?}"
    );
    sim.run_until(sim.now() + 1_000_000, false);
    // Every refusal of its requests by a remaining server names the configuration.
    let voters = format!(
        r#""voters":[{}]"#,
        kept.iter()
            .map(|n| n.to_string())
            .collect::<Vec<_>>()
            .join(",")
    );
    let refusals: Vec<String> = trace
        .borrow()
        .iter()
        .map(|e| e.to_json())
        .filter(|line| {
            line.contains(r#""kind":"vote_refused""#)
                && line.contains(&format!(r#""candidate":{removed},"#))
        })
        .collect();
    for line in &refusals {
        assert!(line.contains(r#""reason":"not_a_voter""#), "{line}");
        assert!(line.contains(&voters), "{line}");
    }
    assert!(!refusals.is_empty(), "the removed server was refused");
    assert!(!trace.borrow().iter().any(|e| {
        let line = e.to_json();
        line.contains(r#""kind":"become_leader""#)
            && line.contains(&format!(r#""node":{removed},"#))
    }));
    assert!(sim.violations().is_empty());
}

/// Regression (fuzz seed 8216, `--membership --pre-vote`): when the faults stop, S4 wins
/// term 4 with S3's vote. Its latest configuration (voters S3, removing S4) is not committed
/// yet, and its commit index is still 0 after a restart. The liveness phase's operator took
/// the configuration at that commit index for the committed one (for S4, which joined later,
/// an empty one) and shut S4 down, leaving S3, whose latest configuration is S3 and S4,
/// waiting for S4's vote for good. The leader, its latest configuration and, while that is
/// uncommitted, the one before must stay up (thesis 4.1, 4.2.2); S4 goes only once its
/// removal is committed.
#[test]
fn liveness_phase_keeps_a_new_leader_whose_removal_is_not_committed_4_2_2() {
    use raftlab_sim::run::run;
    use raftlab_sim::TraceKind;
    let text = include_str!("data/liveness-new-leader-removing-itself.json");
    let scenario = Scenario::parse(text).expect("valid scenario");
    let trace: Rc<RefCell<Vec<TraceEvent>>> = Rc::default();
    let sink = trace.clone();
    let outcome = run(
        &scenario,
        Some(Box::new(move |e| sink.borrow_mut().push(e.clone()))),
        false,
    );
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    assert!(outcome.settled_after_us.is_some());
    // The cluster ends as S4's latest configuration says: S3 alone, S4 shut down.
    assert_eq!(outcome.leader, Some(3));
    let alive: Vec<NodeId> = outcome
        .nodes
        .iter()
        .filter(|n| n.alive)
        .map(|n| n.id)
        .collect();
    assert_eq!(alive, vec![3]);

    // Replaying the trace: no server is shut down by the operator while it leads, and S4
    // led in the liveness phase (the case of the bug) before S3 did.
    let mut leading = [false; 10];
    let mut leaders = Vec::new();
    for e in trace.borrow().iter() {
        match e.kind {
            TraceKind::BecomeLeader { node, term } => {
                leading[node as usize] = true;
                if e.t_us >= scenario.until_us {
                    leaders.push((node, term));
                }
            }
            TraceKind::BecomeFollower { node, .. }
            | TraceKind::BecomeCandidate { node, .. }
            | TraceKind::BecomePreCandidate { node, .. } => leading[node as usize] = false,
            TraceKind::Crash { node } => {
                assert!(
                    e.t_us < scenario.until_us || !leading[node as usize],
                    "S{node} was shut down at {} us while leading",
                    e.t_us
                );
                leading[node as usize] = false;
            }
            _ => {}
        }
    }
    assert_eq!(leaders, vec![(4, 4), (3, 5)]);

    // The campaign the file came from passes too.
    let options = FuzzOptions {
        membership: true,
        pre_vote: true,
        ..FuzzOptions::default()
    };
    if let Err(f) = fuzz_one(8216, &options) {
        panic!("seed 8216: {:?}", f.1.violations);
    }
}
