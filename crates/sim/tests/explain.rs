//! `explain` on real runs: each explanation is checked against the state that produced it.

use raftlab_raft::{Body, Event, NodeId, Role, VoteRefusal};
use raftlab_sim::explain::{explain, Explanation, Target};
use raftlab_sim::scenario::{Action, SimConfig, Target as At};
use raftlab_sim::Simulation;

fn node(sim: &Simulation, id: NodeId) -> &raftlab_raft::Node {
    &sim.nodes()[id as usize - 1]
}

fn show(sim: &Simulation, target: Target) -> Explanation {
    let e = explain(sim, &target).unwrap_or_else(|err| panic!("{target:?}: {err}"));
    eprintln!("--- {target:?} at {} us\n{}", sim.now(), e.title);
    for line in &e.lines {
        eprintln!("  {line}");
    }
    e
}

/// Asserts that some line of `e` contains `text`.
fn has(e: &Explanation, text: &str) {
    assert!(
        e.lines.iter().any(|l| l.contains(text)),
        "no line contains {text:?} in {e:#?}"
    );
}

fn lacks(e: &Explanation, text: &str) {
    assert!(
        !e.lines.iter().any(|l| l.contains(text)),
        "a line contains {text:?} in {e:#?}"
    );
}

/// Steps the simulation until `done` holds (within 5 simulated seconds).
fn step_until(sim: &mut Simulation, mut done: impl FnMut(&Simulation) -> bool) {
    let limit = sim.now() + 5_000_000;
    while !done(sim) {
        assert!(sim.now() < limit, "the condition never held");
        assert!(sim.step(), "nothing left to do");
    }
}

/// The id of a message on the wire that satisfies `pick`.
fn wire(sim: &Simulation, pick: impl Fn(&raftlab_raft::Message) -> bool) -> Option<u64> {
    sim.in_flight()
        .filter(|f| !f.lost && f.message.raft().is_some_and(&pick))
        .map(|f| f.id)
        .min()
}

/// The paper's Figure 8 setting, with the no-op of section 8: S1 leads term 1, stores entry 2
/// (`x=1`) on S2 and S3 and is cut off before it hears back; S4 campaigns with a shorter log
/// and loses; S2 wins term 3 and is cut off at once. Entry 2 is then on a majority (S1, S2,
/// S3) but not committed: S2 may commit it only with an entry of its own term (5.4.2).
struct Figure8 {
    sim: Simulation,
    /// The predictions taken on the way: (what, explanation).
    seen: Vec<(&'static str, Explanation)>,
}

fn figure8() -> Figure8 {
    let mut sim = Simulation::new(5, SimConfig::default(), 1);
    let mut seen = Vec::new();
    sim.run_until(10_000, false);
    sim.act(&Action::Timeout(At::Node(1)));
    sim.run_until(200_000, false);
    assert_eq!(node(&sim, 1).role(), Role::Leader);
    assert!(sim.nodes().iter().all(|n| n.commit_index() == 1));
    sim.act(&Action::Partition(vec![vec![1, 2, 3], vec![4, 5]]));
    sim.act(&Action::ClientWrite {
        node: Some(At::Node(1)),
        key: "x".into(),
        value: "1".into(),
    });
    // Latency is 10 to 15 ms: at 217 ms S2 and S3 hold entry 2, their replies are on the way.
    sim.run_until(217_000, false);
    sim.act(&Action::Partition(vec![vec![1], vec![2, 3, 4, 5]]));
    for id in [1, 2, 3] {
        assert_eq!(node(&sim, id).last_index(), 2, "S{id}");
    }
    // S4, whose log ends at 1, campaigns in term 2.
    sim.act(&Action::Timeout(At::Node(4)));
    let request = wire(&sim, |m| {
        m.from == 4 && m.to == 2 && matches!(m.body, Body::RequestVote { .. })
    })
    .expect("S4 asks S2");
    seen.push(("refuse", show(&sim, Target::Message { id: request })));
    sim.run_until(260_000, false);
    // S2 campaigns in term 3.
    sim.act(&Action::Timeout(At::Node(2)));
    assert_eq!(node(&sim, 2).term(), 3);
    let request = wire(&sim, |m| {
        m.from == 2 && m.to == 3 && matches!(m.body, Body::RequestVote { .. })
    })
    .expect("S2 asks S3");
    seen.push(("grant", show(&sim, Target::Message { id: request })));
    step_until(&mut sim, |sim| {
        node(sim, 2).votes().len() == 2
            && wire(sim, |m| {
                m.to == 2 && matches!(m.body, Body::RequestVoteReply { granted: true })
            })
            .is_some()
    });
    let reply = wire(&sim, |m| {
        m.to == 2 && matches!(m.body, Body::RequestVoteReply { granted: true })
    })
    .unwrap();
    seen.push(("count", show(&sim, Target::Message { id: reply })));
    step_until(&mut sim, |sim| node(sim, 2).role() == Role::Leader);
    let to3 = wire(&sim, |m| {
        m.from == 2 && m.to == 3 && matches!(m.body, Body::AppendEntries { .. })
    })
    .unwrap();
    seen.push(("append", show(&sim, Target::Message { id: to3 })));
    let to4 = wire(&sim, |m| {
        m.from == 2 && m.to == 4 && matches!(m.body, Body::AppendEntries { .. })
    })
    .unwrap();
    seen.push(("reject", show(&sim, Target::Message { id: to4 })));
    // Cut S2 off before its AppendEntries arrive.
    sim.act(&Action::Partition(vec![vec![1], vec![2], vec![3, 4, 5]]));
    Figure8 { sim, seen }
}

fn seen<'a>(f: &'a Figure8, what: &str) -> &'a Explanation {
    &f.seen.iter().find(|(w, _)| *w == what).unwrap().1
}

/// Section 5.4.2, Figure 8: an entry of an earlier term on a majority is not committed.
#[test]
fn majority_entry_of_an_earlier_term_waits_section_5_4_2() {
    let f = figure8();
    let sim = &f.sim;
    assert_eq!(node(sim, 2).role(), Role::Leader);
    assert_eq!(node(sim, 2).commit_index(), 1);
    let e = show(sim, Target::Entry { node: 2, index: 2 });
    assert_eq!(e.title, "S2's entry 2 (term 1, set x=1)");
    has(
        &e,
        "S1 created it as leader of term 1, for client request 1 (set x=1).",
    );
    has(&e, "S1, S2, S3 store it: 3 of 5, a majority.");
    has(&e, "It is not committed on S2 (its commit index is 1).");
    has(
        &e,
        "It comes from term 1, and the leader S2 is in term 3: a leader commits by counting \
         replicas only entries of its own term, so it waits for an entry of term 3 to be \
         committed, which commits it too (section 5.4.2, Figure 8).",
    );
    has(&e, "S2 has not applied it (lastApplied 1)");
}

/// Section 5.3: an entry on a minority needs more servers; section 8: the no-op.
#[test]
fn minority_entry_section_5_3() {
    let f = figure8();
    let e = show(&f.sim, Target::Entry { node: 2, index: 3 });
    assert_eq!(e.title, "S2's entry 3 (term 3, noop)");
    has(
        &e,
        "S2 created it as leader of term 3: it is the no-op a new leader appends at the start \
         of its term (section 8).",
    );
    has(
        &e,
        "Only S2 stores it: 1 of 5; a majority needs 3, so 2 more (section 5.3).",
    );
    has(
        &e,
        "The leader S2 commits it once a majority stores it (section 5.3).",
    );
}

/// Section 5.4: a committed entry.
#[test]
fn committed_entry_section_5_4() {
    let f = figure8();
    let e = show(&f.sim, Target::Entry { node: 3, index: 1 });
    has(&e, "S1, S2, S3, S4, S5 store it: 5 of 5, a majority.");
    has(
        &e,
        "It is committed on S3 (its commit index is 1): no later leader can lack it (section 5.4).",
    );
    has(
        &e,
        "S3 has applied it to its state machine (lastApplied 1).",
    );
    lacks(&e, "waits");
}

/// Section 5.2: a leader and its votes, from the run's own votes.
#[test]
fn leader_and_its_votes_section_5_2() {
    let f = figure8();
    let sim = &f.sim;
    let votes = node(sim, 2).votes().to_vec();
    assert_eq!(votes.len(), 3);
    let names: Vec<String> = votes.iter().map(|v| format!("S{v}")).collect();
    let e = show(sim, Target::Node { node: 2 });
    assert_eq!(e.title, "S2 (leader, term 3)");
    has(
        &e,
        &format!(
            "S2 leads term 3 with the votes of {} (section 5.2).",
            names.join(", ")
        ),
    );
    has(&e, "It sends its next heartbeats in ");
}

/// Section 5.4.1 in a server's explanation: S3 refused S4, whose log was shorter.
#[test]
fn log_behind_refusal_in_node_section_5_4_1() {
    let f = figure8();
    let e = show(&f.sim, Target::Node { node: 3 });
    has(
        &e,
        "it refused S4's vote request for term 2: S4's log is behind (same last term 1, but \
         last index 1 < 2, section 5.4.1).",
    );
    // The refusal happened in the run.
    assert!(f.sim.refusals(3).any(|r| matches!(
        r.event,
        Event::VoteRefused {
            candidate: 4,
            term: 2,
            reason: VoteRefusal::LogBehind { .. },
            ..
        }
    )));
}

/// Messages: what the receiver will do, predicted by stepping a clone.
#[test]
fn message_predictions() {
    let f = figure8();
    let e = seen(&f, "refuse");
    has(
        e,
        "S4 asks S2 for its vote in term 2; S4's log ends at index 1, term 1",
    );
    has(
        e,
        "S2 will take up term 2 and become a follower (section 5.1) and refuse: S4's log is \
         behind (same last term 1, but last index 1 < 2, section 5.4.1).",
    );
    has(
        seen(&f, "grant"),
        "S3 will take up term 3 and become a follower (section 5.1), grant its vote to S2 for \
         term 3 (section 5.2), restart its election timer (section 5.2) and reply granted.",
    );
    has(
        seen(&f, "count"),
        "S2 will count the vote: 3 of 5, it becomes leader of term 3 (section 5.2).",
    );
    let e = seen(&f, "append");
    has(
        e,
        "S2, leader of term 3, sends S3 entry 3 (term 3, noop), to follow its entry 2 of term 1",
    );
    has(
        e,
        "S3 will append entry 3, restart its election timer (section 5.2) and reply success.",
    );
    has(
        e,
        "A prediction of what S3 would do if the message arrived now",
    );
    has(
        seen(&f, "reject"),
        "S4 will restart its election timer (section 5.2) and reject: its log has no entry 2 (it \
         ends at 1); S2 should resume at 2 (section 5.3).",
    );
}

/// A five-server cluster with `config`, where `timeouts` are forced at 10 ms (in order), or
/// at 200 ms with CheckQuorum or PreVote: a server that just started keeps quiet for the
/// shortest election timeout (thesis 4.2.3).
fn start(config: SimConfig, seed: u64, timeouts: &[NodeId]) -> Simulation {
    let at = if config.check_quorum || config.pre_vote {
        200_000
    } else {
        10_000
    };
    let mut sim = Simulation::new(5, config, seed);
    sim.run_until(at, false);
    for &id in timeouts {
        sim.act(&Action::Timeout(At::Node(id)));
    }
    sim
}

/// The newest refusal at `id` that `pick` accepts, once there is one.
fn refusal_at(sim: &mut Simulation, id: NodeId, pick: impl Fn(&Event) -> bool) -> Event {
    step_until(sim, |sim| sim.refusals(id).any(|r| pick(&r.event)));
    sim.refusals(id)
        .rev()
        .find(|r| pick(&r.event))
        .unwrap()
        .event
        .clone()
}

/// Figure 2 and section 5.1: S2 moved on to term 2 refuses S1's request for term 1.
#[test]
fn stale_term_refusal_in_node_section_5_1() {
    let mut sim = start(SimConfig::default(), 3, &[1, 2, 2]);
    assert_eq!(node(&sim, 2).term(), 2);
    refusal_at(&mut sim, 2, |e| {
        matches!(
            e,
            Event::VoteRefused {
                candidate: 1,
                reason: VoteRefusal::StaleTerm { voter_term: 2 },
                ..
            }
        )
    });
    let e = show(&sim, Target::Node { node: 2 });
    has(
        &e,
        "it refused S1's vote request for term 1: S1's term 1 is lower than its term 2 \
         (section 5.1).",
    );
}

/// Section 5.2: S1 and S2 campaign at once; each voter gives its one vote to the first.
#[test]
fn already_voted_refusal_in_node_section_5_2() {
    let mut sim = start(SimConfig::default(), 3, &[1, 2]);
    let event = refusal_at(&mut sim, 3, |e| {
        matches!(
            e,
            Event::VoteRefused {
                reason: VoteRefusal::AlreadyVoted { .. },
                ..
            }
        )
    });
    let Event::VoteRefused {
        candidate,
        reason: VoteRefusal::AlreadyVoted { voted_for },
        ..
    } = event
    else {
        unreachable!()
    };
    assert_eq!(node(&sim, 3).voted_for(), Some(voted_for));
    assert_ne!(candidate, voted_for);
    let e = show(&sim, Target::Node { node: 3 });
    has(
        &e,
        &format!(
            "it refused S{candidate}'s vote request for term 1: already voted for S{voted_for} \
             in term 1 (section 5.2)."
        ),
    );
    // And a candidate refuses its rival: it voted for itself.
    refusal_at(&mut sim, 1, |e| {
        matches!(e, Event::VoteRefused { candidate: 2, .. })
    });
    let e = show(&sim, Target::Node { node: 1 });
    has(
        &e,
        "it refused S2's vote request for term 1: it voted for itself in term 1 (section 5.2).",
    );
}

/// The leader once one is elected and 600 ms have passed, and two of its followers.
fn settled(sim: &mut Simulation) -> (NodeId, NodeId, NodeId) {
    step_until(sim, |sim| sim.leader().is_some());
    sim.run_until(sim.now().max(600_000), false);
    let l = sim.leader().expect("a leader");
    let mut followers = (1..=5).filter(|&id| id != l);
    (l, followers.next().unwrap(), followers.next().unwrap())
}

/// Thesis 4.2.3: with CheckQuorum, followers of a live leader ignore a disruptive candidate;
/// the follower's explanation says until when, and its last refusal says why.
#[test]
fn leader_alive_refusal_in_node_thesis_4_2_3() {
    let config = SimConfig {
        check_quorum: true,
        ..SimConfig::default()
    };
    let mut sim = start(config, 5, &[]);
    let (l, d, w) = settled(&mut sim);
    let term = node(&sim, l).term();
    sim.act(&Action::Timeout(At::Node(d)));
    refusal_at(
        &mut sim,
        w,
        |e| matches!(e, Event::VoteRefused { candidate, reason: VoteRefusal::LeaderAlive { leader: Some(x) }, pre_vote: false, .. } if *candidate == d && *x == l),
    );
    let e = show(&sim, Target::Node { node: w });
    has(
        &e,
        &format!(
            "it ignored (no reply) S{d}'s vote request for term {}: it heard from its leader \
             S{l} less than an election timeout ago (thesis 4.2.3).",
            term + 1
        ),
    );
    let nw = node(&sim, w);
    assert_eq!(nw.leader(), Some(l));
    let ago = sim.node_clock(w) - nw.leader_contact();
    has(
        &e,
        &format!(
            "S{w} follows S{l} in term {term}; it heard from it {} ms ago",
            ago / 1000
        ),
    );
    has(
        &e,
        "ignores vote requests: it heard from its leader less than the shortest election",
    );
    // The leader too: it hears from itself.
    refusal_at(
        &mut sim,
        l,
        |e| matches!(e, Event::VoteRefused { candidate, .. } if *candidate == d),
    );
    has(
        &show(&sim, Target::Node { node: l }),
        &format!(
            "it ignored (no reply) S{d}'s vote request for term {}: it leads its term itself \
             (thesis 4.2.3).",
            term + 1
        ),
    );
}

/// Thesis 9.6: with PreVote, a follower of a live leader refuses a pre-vote; the
/// precandidate's explanation counts its pre-votes.
#[test]
fn pre_vote_refusal_and_precandidate_thesis_9_6() {
    let config = SimConfig {
        pre_vote: true,
        ..SimConfig::default()
    };
    let mut sim = start(config, 5, &[]);
    let (l, d, w) = settled(&mut sim);
    let term = node(&sim, l).term();
    sim.act(&Action::Timeout(At::Node(d)));
    assert_eq!(node(&sim, d).role(), Role::PreCandidate);
    let e = show(&sim, Target::Node { node: d });
    has(
        &e,
        &format!(
            "S{d} asks for pre-votes: could it win term {}? Its term stays {term} until a \
             majority says yes; it has S{d} (1) of the 3 it needs (thesis 9.6).",
            term + 1
        ),
    );
    let request = wire(&sim, |m| {
        m.to == w && matches!(m.body, Body::PreVote { .. })
    })
    .unwrap();
    let e = show(&sim, Target::Message { id: request });
    has(
        &e,
        &format!(
            "S{w} will refuse: it heard from its leader S{l} less than an election timeout ago \
             (thesis 9.6)."
        ),
    );
    refusal_at(&mut sim, w, |e| {
        matches!(e, Event::VoteRefused { pre_vote: true, .. })
    });
    has(
        &show(&sim, Target::Node { node: w }),
        &format!(
            "it refused S{d}'s pre-vote request for term {}: it heard from its leader S{l}",
            term + 1
        ),
    );
    // The refusal reply on the wire says why, from the refusal its sender recorded.
    let reply = wire(&sim, |m| {
        m.from == w && m.to == d && matches!(m.body, Body::PreVoteReply { granted: false })
    })
    .unwrap();
    let e = show(&sim, Target::Message { id: reply });
    has(
        &e,
        &format!(
            "S{w} answers S{d}'s pre-vote request: refused, in its term {term}: it heard from \
             its leader S{l}"
        ),
    );
    has(&e, &format!("S{d} will ignore it: a refusal adds no vote."));
}

/// Figure 2: a crashed server keeps its term, vote and log; a candidate counts its votes.
#[test]
fn crashed_and_candidate_servers_figure_2() {
    let mut sim = start(SimConfig::default(), 5, &[1]);
    sim.run_until(400_000, false);
    sim.act(&Action::Crash(At::Node(3)));
    let e = show(&sim, Target::Node { node: 3 });
    assert_eq!(e.title, "S3 (down)");
    has(
        &e,
        "S3 is down: it keeps its term (1), its vote for S1 and its log (1 entry), which are \
         on stable storage",
    );
    let e = show(&sim, Target::Entry { node: 3, index: 1 });
    has(
        &e,
        "S3 is down: its commit index and state machine are volatile",
    );
    sim.act(&Action::Partition(vec![vec![1, 2, 4, 5], vec![3]]));
    sim.act(&Action::Restart(At::Node(3)));
    sim.act(&Action::Timeout(At::Node(3)));
    let e = show(&sim, Target::Node { node: 3 });
    has(
        &e,
        "S3 asks for votes in term 2; it has S3 (1) of the 3 it needs (section 5.2).",
    );
    has(
        &e,
        "it was drawn from [150, 300] ms (section 5.2); it will then start an election for term 3.",
    );
    // Its requests are cut by the partition.
    let request = wire(&sim, |m| m.from == 3).unwrap();
    let e = show(&sim, Target::Message { id: request });
    has(
        &e,
        "is cut by a partition: unless it is mended by then, the message is dropped at",
    );
    if matches!(
        sim.in_flight()
            .find(|f| f.id == request)
            .unwrap()
            .message
            .raft()
            .unwrap()
            .body,
        Body::AppendEntriesReply { success: true, .. }
    ) {
        has(
            &e,
            "S1 will ignore it: it already knows S3 holds its log up to entry 1.",
        );
    }
}

/// Bad targets give clear errors.
#[test]
fn bad_targets_are_refused_clearly() {
    let mut sim = start(SimConfig::default(), 5, &[1]);
    sim.run_until(400_000, false);
    sim.act(&Action::ClientWrite {
        node: None,
        key: "x".into(),
        value: "1".into(),
    });
    sim.run_until(500_000, false);
    let last = node(&sim, 2).last_index();
    assert_eq!(last, 2);
    let err = |t| explain(&sim, &t).unwrap_err();
    assert_eq!(
        err(Target::Node { node: 7 }),
        "no server 7 (the cluster has 5)"
    );
    assert_eq!(
        err(Target::Node { node: 0 }),
        "no server 0 (the cluster has 5)"
    );
    assert_eq!(
        err(Target::Entry { node: 2, index: 9 }),
        "S2 has no entry 9 (its log ends at 2)"
    );
    assert_eq!(
        err(Target::Entry { node: 2, index: 0 }),
        "S2 has no entry 0 (entries are numbered from 1)"
    );
    assert_eq!(
        err(Target::Message { id: 123_456 }),
        "no message 123456 is on the wire (it was delivered or dropped, or never sent)"
    );
}

/// Section 7: an entry compacted into a snapshot.
#[test]
fn compacted_entry_section_7() {
    let config = SimConfig {
        snapshot_threshold: 3,
        ..SimConfig::default()
    };
    let mut sim = start(config, 5, &[1]);
    sim.run_until(300_000, false);
    for k in 0..4 {
        sim.act(&Action::ClientWrite {
            node: None,
            key: format!("k{k}"),
            value: "v".into(),
        });
    }
    sim.run_until(600_000, false);
    let n = node(&sim, 1);
    assert!(n.snapshot_index() >= 3, "S1 has a snapshot");
    let e = show(&sim, Target::Entry { node: 1, index: 2 });
    has(
        &e,
        &format!(
            "Entry 2 was compacted into S1's snapshot, which covers entries 1 to {} (last term \
             1): it is committed and applied, and only the state it produced is kept (section 7).",
            n.snapshot_index()
        ),
    );
}

/// The trace carries the refusals (`vote_refused`, `append_rejected`), with their reasons, as
/// `docs/trace-format.md` shows them.
#[test]
fn trace_carries_refusals() {
    let scenario =
        raftlab_sim::Scenario::parse(include_str!("../../../examples/basic.json")).unwrap();
    let lines = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = lines.clone();
    raftlab_sim::run::run(
        &scenario,
        Some(Box::new(move |e| sink.borrow_mut().push(e.to_json()))),
        false,
    );
    let lines = lines.borrow();
    for documented in [
        r#"{"t_us":2210326,"kind":"vote_refused","node":5,"candidate":2,"term":6,"reason":"already_voted","pre_vote":false,"voted_for":5}"#,
        r#"{"t_us":2211728,"kind":"vote_refused","node":3,"candidate":2,"term":6,"reason":"log_behind","pre_vote":false,"candidate_last_term":1,"candidate_last_index":1,"voter_last_term":1,"voter_last_index":2}"#,
        r#"{"t_us":2151711,"kind":"vote_refused","node":2,"candidate":3,"term":3,"reason":"stale_term","pre_vote":false,"voter_term":5}"#,
        r#"{"t_us":2011716,"kind":"append_rejected","node":2,"leader":5,"term":1,"prev_index":2,"prev_term":1,"reason":"stale_term","follower_term":5}"#,
        r#"{"t_us":2247600,"kind":"append_rejected","node":2,"leader":5,"term":6,"prev_index":2,"prev_term":1,"reason":"log_mismatch","conflict_index":2,"conflict_term":null}"#,
    ] {
        assert!(
            lines.iter().any(|l| l == documented),
            "missing {documented}"
        );
    }
    // Each refusal comes right before the refused reply is sent (same step).
    let i = lines
        .iter()
        .position(|l| l.contains(r#""t_us":2211728,"kind":"vote_refused""#))
        .unwrap();
    assert!(
        lines[i + 1]
            .contains(r#""type":"RequestVoteReply","from":3,"to":2,"term":6,"granted":false"#),
        "{}",
        lines[i + 1]
    );
}

/// Every server, entry and message on the wire of busy runs (losses, duplicates, partitions,
/// crashes, membership changes, snapshots, PreVote, CheckQuorum) can be explained at any
/// moment, and explaining changes nothing in the run.
#[test]
fn everything_is_explainable_in_busy_runs() {
    for text in [
        include_str!("../../../examples/lossy-network.json"),
        include_str!("../../../examples/membership.json"),
        include_str!("../../../examples/snapshots.json"),
        include_str!("../../../examples/disruptive-node-prevote.json"),
        include_str!("../../../examples/stale-leader-checkquorum.json"),
        include_str!("../../../examples/figure8-bug.json"),
    ] {
        let scenario = raftlab_sim::Scenario::parse(text).unwrap();
        let mut sim = Simulation::from_scenario(&scenario);
        let mut twin = Simulation::from_scenario(&scenario);
        let mut explained = 0;
        for t in (0..scenario.until_us.min(4_000_000)).step_by(23_000) {
            sim.run_until(t, false);
            twin.run_until(t, false);
            let ids: Vec<u64> = sim.in_flight().map(|f| f.id).collect();
            for id in ids {
                let e = explain(&sim, &Target::Message { id }).unwrap();
                assert!(e.lines.len() >= 3, "{e:#?}");
                explained += 1;
            }
            for n in sim.nodes() {
                let id = n.id();
                assert!(!explain(&sim, &Target::Node { node: id })
                    .unwrap()
                    .lines
                    .is_empty());
                for index in 1..=n.last_index() {
                    let e = explain(&sim, &Target::Entry { node: id, index }).unwrap();
                    assert!(!e.lines.is_empty());
                    explained += 1;
                }
            }
        }
        assert!(explained > 100, "{explained}");
        // Explaining is read-only: the run goes on exactly as its twin.
        sim.run_until(scenario.until_us, false);
        twin.run_until(scenario.until_us, false);
        assert_eq!(sim.events_processed(), twin.events_processed());
        for (a, b) in sim.nodes().iter().zip(twin.nodes()) {
            assert_eq!(a.persistent(), b.persistent());
        }
    }
}

/// `run::run_to` reaches a moment as `raftlab run` does, the liveness phase included: in the
/// reproducer of fuzz seed 8216, S4 leads from 10315.459 ms, the operator shuts S1, S2 and S5
/// down at its 10 ms check at 10320 ms (not before), and the run ends when the cluster settles
/// at 10650 ms, with the state `run` reports.
#[test]
fn run_to_reaches_a_moment_as_run_does_liveness_phase_included() {
    use raftlab_sim::run::{run, run_to};
    use raftlab_sim::Scenario;
    let text = include_str!("data/liveness-new-leader-removing-itself.json");
    let scenario = Scenario::parse(text).expect("valid scenario");
    let alive = |sim: &Simulation| -> Vec<NodeId> {
        (1..=sim.nodes().len() as NodeId)
            .filter(|&n| sim.is_alive(n))
            .collect()
    };
    // The fault phase: the actions, run to the moment.
    let sim = run_to(&scenario, 5_000_000).unwrap();
    let mut by_hand = Simulation::from_scenario(&scenario);
    by_hand.run_until(5_000_000, false);
    assert_eq!(sim.now(), 5_000_000);
    assert_eq!(sim.events_processed(), by_hand.events_processed());
    // Between two checks of the liveness phase: the faults stopped at 10000 ms (S3 and S4
    // restarted), nobody is shut down yet.
    let sim = run_to(&scenario, 10_315_500).unwrap();
    assert_eq!(sim.leader(), Some(4));
    assert_eq!(alive(&sim), vec![1, 2, 3, 4, 5]);
    let sim = run_to(&scenario, 10_320_000).unwrap();
    assert_eq!(sim.leader(), Some(4));
    assert_eq!(alive(&sim), vec![3, 4]);
    // The end: what `run` ends with.
    let outcome = run(&scenario, None, false);
    assert_eq!(outcome.end_us, 10_650_000);
    let sim = run_to(&scenario, outcome.end_us).unwrap();
    assert_eq!(sim.leader(), outcome.leader);
    assert_eq!(sim.events_processed(), outcome.events);
    for (n, summary) in sim.nodes().iter().zip(&outcome.nodes) {
        assert_eq!(n.term(), summary.term);
        assert_eq!(n.role().as_str(), summary.role);
        assert_eq!(sim.is_alive(n.id()), summary.alive);
        assert_eq!(n.commit_index(), summary.commit_index);
        assert_eq!(n.last_index(), summary.log_len);
    }
    // After it: the moment the run ends.
    assert_eq!(run_to(&scenario, 10_650_001).err(), Some(10_650_000));
    assert_eq!(run_to(&scenario, 20_000_001).err(), Some(20_000_000));
    // Without a liveness phase the run ends at until_ms.
    let short = Scenario {
        liveness_us: None,
        system: Default::default(),
        ..scenario.clone()
    };
    assert!(run_to(&short, 10_000_000).is_ok());
    assert_eq!(run_to(&short, 10_000_001).err(), Some(10_000_000));
}

/// Runs `examples/figure8-bug.json` (the bug `commit_previous_term` on) up to `t_us`.
fn figure8_bug_at(t_us: u64) -> Simulation {
    let text = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../examples/figure8-bug.json"
    ))
    .unwrap();
    let scenario = raftlab_sim::Scenario::parse(&text).unwrap();
    let mut sim = Simulation::from_scenario(&scenario);
    for a in &scenario.events {
        sim.schedule(a.at_us, a.action.clone());
    }
    sim.run_until(t_us, false);
    sim
}

/// With a bug switched on, an explanation does not promise what Raft promises: a committed
/// entry may be lost (section 5.4), and the leader commits an earlier term's entry by counting
/// (the rule of 5.4.2 is what the bug removes).
#[test]
fn explanations_do_not_promise_raft_guarantees_under_a_bug() {
    // 493.941 ms: S5 leads term 4 without entry 1 (x=1, term 1), which S2 committed.
    let sim = figure8_bug_at(493_941);
    assert!(sim.config().bugs.commit_previous_term);
    let e = show(&sim, Target::Entry { node: 2, index: 1 });
    has(&e, "a bug is switched on");
    lacks(&e, "no later leader can lack it");
    // Just before S5 commits its term-2 entry at index 1: it commits by counting, the bug's
    // doing, and no line says it waits for an entry of term 4.
    let sim = figure8_bug_at(542_000);
    let e = show(&sim, Target::Entry { node: 5, index: 1 });
    has(&e, "the bug commit_previous_term is switched on");
    lacks(&e, "(5.4.2) (section");
    // After S5 committed x=2 at index 1: the entry first committed there was x=1.
    let sim = figure8_bug_at(560_000);
    let e = show(&sim, Target::Entry { node: 5, index: 1 });
    has(&e, "was committed at index 1 first");
    has(&e, "state machines may disagree");
    lacks(&e, "no later leader can lack it");
}

/// Without a bug, the same wording as before: committed entries cannot be lost.
#[test]
fn a_committed_entry_without_a_bug_is_promised_to_every_later_leader() {
    let mut sim = Simulation::new(3, SimConfig::default(), 5);
    sim.run_until(400_000, false);
    sim.act(&Action::ClientWrite {
        node: None,
        key: "x".into(),
        value: "1".into(),
    });
    sim.run_until(800_000, false);
    let l = sim.leader().unwrap();
    let e = show(&sim, Target::Entry { node: l, index: 2 });
    has(&e, "no later leader can lack it");
    lacks(&e, "a bug is switched on");
}

/// The hand-driven Figure 8 example (`examples/figure8-by-hand.json`, manual delivery and
/// timers), run to `t_us`.
fn figure8_by_hand_at(t_us: u64) -> Simulation {
    let text = include_str!("../../../examples/figure8-by-hand.json");
    let scenario = raftlab_sim::Scenario::parse(text).expect("the example parses");
    let mut sim = Simulation::from_scenario(&scenario);
    sim.run_until(t_us, false);
    sim
}

/// The one message on the wire from `from` to `to` that `pick` accepts.
fn only_on_wire(
    sim: &Simulation,
    from: NodeId,
    to: NodeId,
    pick: impl Fn(&Body) -> bool,
) -> (u64, raftlab_raft::Message) {
    let found: Vec<_> = sim
        .in_flight()
        .filter_map(|f| {
            let m = f.message.raft()?;
            (m.from == from && m.to == to && pick(&m.body)).then(|| (f.id, m.clone()))
        })
        .collect();
    assert_eq!(found.len(), 1, "one such message S{from} -> S{to}");
    found.into_iter().next().unwrap()
}

/// A rejected AppendEntriesReply on the wire says why its sender rejected (log_mismatch,
/// section 5.3) and gives its repair hint (conflictIndex, and conflictTerm when it has one).
#[test]
fn rejected_append_entries_reply_in_flight_says_why_and_its_hint_section_5_3() {
    // 705 ms: S3, whose log ends at 1, rejected S1's AppendEntries after entry 3 (term 4) at
    // 700 ms; the reply (message 64) waits on its link until 710 ms.
    let sim = figure8_by_hand_at(705_000);
    assert_eq!(node(&sim, 3).last_index(), 1);
    let (id, m) = only_on_wire(&sim, 3, 1, |b| matches!(b, Body::AppendEntriesReply { .. }));
    assert!(matches!(
        m.body,
        Body::AppendEntriesReply {
            success: false,
            match_index: 3,
            conflict_index: 2,
            conflict_term: None,
            ..
        }
    ));
    let e = show(&sim, Target::Message { id });
    assert_eq!(
        e.title,
        format!("Message {id}: AppendEntriesReply from S3 to S1")
    );
    has(
        &e,
        "S3 answers S1's AppendEntries after entry 3 in its term 4: rejected, its log has no \
         entry 3 (it ends at 1); S1 should resume at 2 (section 5.3). Hint: resume at 2 \
         (conflictIndex).",
    );
    lacks(&e, "conflicting term");
    lacks(&e, "the reason is no longer recorded");

    // 975 ms: S2's entry 2 has term 2, S5's AppendEntries (term 5) expected term 3 there: the
    // reply carries the conflicting term too.
    let sim = figure8_by_hand_at(975_000);
    let (id, m) = only_on_wire(&sim, 2, 5, |b| matches!(b, Body::AppendEntriesReply { .. }));
    assert!(matches!(
        m.body,
        Body::AppendEntriesReply {
            success: false,
            conflict_index: 2,
            conflict_term: Some(2),
            ..
        }
    ));
    let e = show(&sim, Target::Message { id });
    has(
        &e,
        "S2 answers S5's AppendEntries after entry 2 in its term 5: rejected, its entry 2 has \
         term 2, not 3; S5 should resume at 2, where its entries of term 2 start (section \
         5.3). Hint: resume at 2 (conflictIndex), conflicting term 2.",
    );
    lacks(&e, "the reason is no longer recorded");
}

/// A refused RequestVoteReply (a vote, not a pre-vote) on the wire says why its sender
/// refused, from the refusal it recorded: the candidate's log is behind (section 5.4.1).
#[test]
fn refused_request_vote_reply_in_flight_says_why_section_5_4_1() {
    // 605 ms: S1, restarted with x=1 (term 2) at index 3, refused S5's request for term 3
    // (S5's log ends in term 1) at 600 ms; the reply (message 53) waits until 610 ms.
    let sim = figure8_by_hand_at(605_000);
    let (id, m) = only_on_wire(&sim, 1, 5, |b| matches!(b, Body::RequestVoteReply { .. }));
    assert!(matches!(m.body, Body::RequestVoteReply { granted: false }));
    assert_eq!(m.term, 3);
    let e = show(&sim, Target::Message { id });
    assert_eq!(
        e.title,
        format!("Message {id}: RequestVoteReply from S1 to S5")
    );
    has(
        &e,
        "S1 answers S5's vote request: refused, in its term 3: S5's log is behind (last term 1 \
         < 2, section 5.4.1).",
    );
    lacks(&e, "pre-vote");
    lacks(&e, "the reason is no longer recorded");
}

/// The same moment with `skip_vote_log_check` switched on just before (a `set` action at
/// 590 ms): S1 grants the vote, and the reply on the wire says the log check was skipped.
#[test]
fn a_vote_granted_under_the_log_check_bug_says_so() {
    let text = include_str!("../../../examples/figure8-by-hand.json");
    let mut scenario = raftlab_sim::Scenario::parse(text).expect("the example parses");
    let at = scenario
        .events
        .iter()
        .position(|e| e.at_us > 590_000)
        .unwrap_or(scenario.events.len());
    scenario.events.insert(
        at,
        raftlab_sim::TimedAction {
            at_us: 590_000,
            action: raftlab_sim::Action::Set(raftlab_sim::scenario::ConfigPatch {
                bugs: Some(raftlab_raft::Bugs {
                    skip_vote_log_check: true,
                    ..Default::default()
                }),
                ..Default::default()
            }),
        },
    );
    let mut sim = Simulation::from_scenario(&scenario);
    sim.run_until(605_000, false);
    let (id, m) = only_on_wire(&sim, 1, 5, |b| matches!(b, Body::RequestVoteReply { .. }));
    assert!(matches!(m.body, Body::RequestVoteReply { granted: true }));
    let e = show(&sim, Target::Message { id });
    has(
        &e,
        "S1 answers S5's vote request: granted (term 3); the bug skip_vote_log_check is on, so \
         votes are granted whatever the candidate's log (section 5.4.1).",
    );
}

/// The prediction for a rejected AppendEntriesReply names the entries the leader sends
/// again (section 5.3), not its nextIndex after that re-send (which has moved past them: it
/// said "from 3" while the leader sent entry 2).
#[test]
fn rejected_append_entries_reply_prediction_names_the_entries_resent() {
    let mut sim = figure8_by_hand_at(705_000);
    let (id, _) = only_on_wire(&sim, 3, 1, |b| matches!(b, Body::AppendEntriesReply { .. }));
    let e = show(&sim, Target::Message { id });
    // What happens when it arrives (710 ms): S1 sends S3 entry 2, after entry 1.
    sim.run_until(710_000, false);
    let (_, resent) = only_on_wire(&sim, 1, 3, |b| matches!(b, Body::AppendEntries { .. }));
    assert!(matches!(
        resent.body,
        Body::AppendEntries {
            prev_log_index: 1,
            ..
        }
    ));
    has(&e, "back off and send S3 entries from 2");
}

/// A moment as explanations write it ("0.217 s"), for the expected sentences below.
fn moment(us: u64) -> String {
    let ms = us / 1000;
    let text = format!("{}.{:03}", ms / 1000, ms % 1000);
    format!("{} s", text.trim_end_matches('0').trim_end_matches('.'))
}

/// A message's timing (sent, arrives, or why it will not) and an AppendEntries' leaderCommit
/// (Figure 2) are stated with the run's own figures.
#[test]
fn message_timing_and_leader_commit_figure_2() {
    let mut sim = Simulation::new(5, SimConfig::default(), 1);
    sim.run_until(10_000, false);
    sim.act(&Action::Timeout(At::Node(1)));
    sim.run_until(200_000, false);
    assert_eq!(node(&sim, 1).role(), Role::Leader);
    sim.act(&Action::ClientWrite {
        node: Some(At::Node(1)),
        key: "x".into(),
        value: "1".into(),
    });
    let carries = |m: &raftlab_raft::Message| {
        m.from == 1 && matches!(&m.body, Body::AppendEntries { entries, .. } if !entries.is_empty())
    };
    step_until(&mut sim, |sim| wire(sim, carries).is_some());
    let id = wire(&sim, carries).unwrap();
    let f = sim.in_flight().find(|f| f.id == id).unwrap();
    let (sent, due, to) = (f.sent_at, f.deliver_at, f.message.to());
    let Some(Body::AppendEntries { leader_commit, .. }) = f.message.raft().map(|m| &m.body) else {
        unreachable!()
    };
    let leader_commit = *leader_commit;
    assert_eq!(leader_commit, node(&sim, 1).commit_index());
    let e = show(&sim, Target::Message { id });
    has(
        &e,
        &format!("its commit index is {leader_commit} (leaderCommit)."),
    );
    let eta = due - sim.now();
    let span = if eta.is_multiple_of(1000) || eta >= 10_000 {
        format!("{} ms", eta / 1000)
    } else {
        format!("{}.{} ms", eta / 1000, eta % 1000 / 100)
    };
    assert!(sent <= sim.now() && due > sim.now(), "on its way");
    has(
        &e,
        &format!(
            "Sent at {}; it arrives at {} (in {span}).",
            moment(sent),
            moment(due)
        ),
    );
    // The link cut: dropped on arrival unless mended.
    let others: Vec<NodeId> = (1..=5).filter(|&n| n != to).collect();
    sim.act(&Action::Partition(vec![others, vec![to]]));
    let e = show(&sim, Target::Message { id });
    has(
        &e,
        &format!(
            "the link from S1 to S{to} is cut by a partition: unless it is mended by then, the \
             message is dropped at {}",
            moment(due)
        ),
    );
    // Mended, then the receiver crashes: dropped unless it restarts.
    sim.act(&Action::Heal);
    sim.act(&Action::Crash(At::Node(to)));
    let e = show(&sim, Target::Message { id });
    has(
        &e,
        &format!(
            "its receiver S{to} is down: unless it restarts by then, the message is dropped at {}",
            moment(due)
        ),
    );
}
