//! Behaviour that mutation testing (`cargo mutants` on `crates/raft`) showed no other test
//! pinned down: each test asserts a rule of the paper ("In Search of an Understandable
//! Consensus Algorithm", Ongaro and Ousterhout, 2014) or of Ongaro's thesis (2014), and fails
//! if the core's code for that rule is changed or removed.

mod common;

use common::{log_of_terms, set, state, Cluster};
use raftlab_raft::{
    Body, ClientReply, ClientResult, Command, Config, Event, Input, Message, Micros, Node, NodeId,
    ReadMode, Ready, Role, Snapshot, Term,
};

/// AppendEntries that `from` sent to `to` and that were delivered.
fn appends(c: &Cluster, from: NodeId, to: NodeId) -> usize {
    c.delivered_where(|m| {
        m.from == from && m.to == to && matches!(m.body, Body::AppendEntries { .. })
    })
    .len()
}

/// A RequestVote from `candidate` to `to` for `term`, with a log ending at `last_log_index`
/// in `last_log_term`.
fn request_vote(
    candidate: NodeId,
    to: NodeId,
    term: Term,
    last_log_index: u64,
    last_log_term: Term,
) -> Input {
    Input::Message(Message {
        from: candidate,
        to,
        term,
        body: Body::RequestVote {
            last_log_index,
            last_log_term,
            transfer: false,
        },
    })
}

/// The RequestVoteReply in `ready`, if any: whether the vote was granted.
fn vote_reply(ready: &Ready) -> Option<bool> {
    let replies: Vec<bool> = ready
        .messages
        .iter()
        .filter_map(|m| match m.body {
            Body::RequestVoteReply { granted } => Some(granted),
            _ => None,
        })
        .collect();
    assert!(replies.len() <= 1, "one reply at most: {replies:?}");
    replies.first().copied()
}

// ---------------------------------------------------------------------------------------
// Timing settings changed while the cluster runs
// ---------------------------------------------------------------------------------------

/// 5.2 and 5.6 ("Timing and availability"): the heartbeat interval and the election timeout
/// range are the knobs that keep `broadcastTime << electionTimeout << MTBF`; an operator
/// retunes them on a running cluster with [`Node::set_config`]. A timer already running keeps
/// its deadline; the next one is drawn with the new settings:
/// - a leader switched from 50 ms to 10 ms heartbeats sends its next heartbeat when the old
///   deadline comes, and from then on one every 10 ms (5.2: "leaders send periodic
///   heartbeats");
/// - a follower switched to a fixed 1 s election timeout restarts its timer on the next
///   AppendEntries with exactly 1 s, not a draw from the old 150-300 ms range (5.2: election
///   timeouts are chosen from a fixed interval), so with the leader gone it stands for
///   election 1 s after its last heartbeat and not before.
#[test]
fn live_timing_changes_take_effect_with_the_next_timer_5_2_5_6() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    let old_deadline = c.node(1).next_deadline();
    assert_eq!(old_deadline, c.now + 50_000, "default heartbeat: 50 ms");

    let fast = Config {
        heartbeat_us: 10_000,
        ..*c.node(1).config()
    };
    c.set_config(1, fast);
    assert_eq!(c.node(1).config().heartbeat_us, 10_000);
    assert_eq!(
        c.node(1).next_deadline(),
        old_deadline,
        "the running heartbeat timer keeps its deadline"
    );
    c.now = old_deadline;
    c.tick(1);
    c.deliver_all();
    assert_eq!(
        c.node(1).next_deadline(),
        old_deadline + 10_000,
        "the next heartbeat is 10 ms later"
    );
    // 100 ms more: ten rounds of heartbeats, where the old setting would send two.
    let before = appends(&c, 1, 2);
    for _ in 0..10 {
        c.heartbeat();
    }
    assert_eq!(c.now, old_deadline + 100_000);
    assert_eq!(appends(&c, 1, 2) - before, 10);

    // Follower 2: a fixed 1 s election timeout from its next heartbeat on (3 gets 5 s, so
    // that 2 is the first to stand once the leader is gone).
    c.set_config(
        3,
        Config {
            election_timeout_us: (5_000_000, 5_000_000),
            ..*c.node(3).config()
        },
    );
    let slow = Config {
        election_timeout_us: (1_000_000, 1_000_000),
        ..*c.node(2).config()
    };
    let (started, deadline) = c.node(2).election_timer();
    assert!(
        deadline - started <= 300_000,
        "a draw from the default range"
    );
    c.set_config(2, slow);
    assert_eq!(
        c.node(2).election_timer(),
        (started, deadline),
        "the running election timer keeps its deadline"
    );
    c.heartbeat();
    let heard = c.now;
    assert_eq!(c.node(2).election_timer(), (heard, heard + 1_000_000));

    // The leader is gone: 2 waits out its whole new timeout, then stands for election.
    c.crash(1);
    let term = c.node(2).term();
    c.run_until(999_999, |c| c.node(2).term() > term);
    assert_eq!(c.node(2).term(), term, "2 waits its full 1 s");
    assert_eq!(c.node(2).role(), Role::Follower);
    c.run_until(1, |c| c.node(2).term() > term);
    assert_eq!(c.now, heard + 1_000_000);
    assert_eq!(
        c.node(2).term(),
        term + 1,
        "2 stands for election after 1 s"
    );
    assert_eq!(c.leaders(), vec![2], "3 (a 5 s timeout) votes for it");
}

/// Thesis 6.2 (CheckQuorum) switched on in a running cluster: a leader cut off from every
/// follower keeps leading while CheckQuorum is off, and steps down within an election
/// timeout (plus a heartbeat) of turning it on.
#[test]
fn check_quorum_turned_on_live_makes_a_cut_off_leader_step_down_6_2() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    c.isolate(1);
    c.run_for(1_000_000);
    assert_eq!(
        c.node(1).role(),
        Role::Leader,
        "without CheckQuorum it leads on"
    );
    let on = c.now;
    let config = Config {
        check_quorum: true,
        ..*c.node(1).config()
    };
    c.set_config(1, config);
    let config = *c.node(1).config();
    let bound = config.election_timeout_us.0 + config.heartbeat_us;
    assert!(c.run_until(bound, |c| c.node(1).role() != Role::Leader));
    assert!(c.now - on <= bound);
    let term = c.node(1).term();
    assert!(c.events(1).contains(&Event::StepDown { term }));
}

// ---------------------------------------------------------------------------------------
// The quiet period after a restart (CheckQuorum)
// ---------------------------------------------------------------------------------------

/// A server that restarts at `at` from term 1 (it voted for 1 and holds 1's entry of term
/// 1), with CheckQuorum on or off.
fn restarted(check_quorum: bool, at: Micros) -> Node {
    let config = Config {
        check_quorum,
        ..Config::default()
    };
    let mut persistent = state(1, Some(1), &[1]);
    persistent.snapshot.config = raftlab_raft::Membership::new(&[1, 2, 3], &[]);
    Node::recover(2, config, persistent, 7, at)
}

/// Thesis 4.2.3 (with 6.2 and 6.4.1): with CheckQuorum, a server that heard from a current
/// leader within the minimum election timeout ignores RequestVote: it neither raises its term
/// nor grants. A server that has just restarted cannot know whether it heard from a leader
/// just before it crashed (and a leader's lease counts on it not voting for another leader
/// until then), so it ignores RequestVote for a minimum election timeout after the restart,
/// and only then grants an up-to-date candidate. Without CheckQuorum it grants at once.
#[test]
fn restarted_server_ignores_request_vote_for_an_election_timeout_4_2_3() {
    let at: Micros = 10_000_000;
    let min = Config::default().election_timeout_us.0;
    for (delay, expect) in [(0, None), (1_000, None), (min - 1, None), (min, Some(true))] {
        let mut node = restarted(true, at);
        assert_eq!(node.leader(), None, "a restarted server knows no leader");
        let mut ready = Ready::default();
        node.step(at + delay, request_vote(3, 2, 2, 1, 1), &mut ready);
        assert_eq!(vote_reply(&ready), expect, "{delay} us after the restart");
        if expect.is_none() {
            assert!(ready.messages.is_empty(), "ignored: no reply at all");
            assert_eq!(node.term(), 1, "ignored: the term stays");
            assert_eq!(node.voted_for(), Some(1));
            assert!(!ready.persist);
        } else {
            assert_eq!(node.term(), 2);
            assert_eq!(node.voted_for(), Some(3));
            assert!(ready.events.contains(&Event::Vote {
                candidate: 3,
                term: 2
            }));
        }
    }
    // Without CheckQuorum there is no quiet period.
    let mut node = restarted(false, at);
    let mut ready = Ready::default();
    node.step(at, request_vote(3, 2, 2, 1, 1), &mut ready);
    assert_eq!(vote_reply(&ready), Some(true));
    assert_eq!(node.term(), 2);
}

/// Thesis 4.2.3 in a cluster: with CheckQuorum, 2 crashes and restarts while 1 leads; 3, cut
/// off from 1, times out at once and asks for votes in a higher term. The restarted 2 ignores
/// it while its quiet period lasts, so 1 keeps leading and nobody's term moves. 2's timer,
/// restarted from a longer timeout, has not fired either.
#[test]
fn restarted_server_does_not_help_a_disruptive_candidate_4_2_3() {
    let config = Config {
        check_quorum: true,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    // Every server has just started, so every one is in its quiet period at first.
    c.now = config.election_timeout_us.0;
    c.elect(1);
    c.client_write(1, 1, set("x", "1"));
    c.deliver_all();
    c.heartbeat();
    let term = c.node(1).term();
    c.now += 1_000_000;
    c.crash(2);
    c.restart(2);
    c.cut(1, 3);
    c.now += 100_000;
    c.timeout(3);
    c.deliver_all();
    assert_eq!(c.node(3).term(), term + 1);
    assert_eq!(c.node(3).role(), Role::Candidate);
    assert_eq!(c.node(2).term(), term, "2 ignored 3's RequestVote");
    assert_eq!(c.node(2).voted_for(), Some(1));
    assert!(c.delivered_where(|m| m.from == 2 && m.to == 3).is_empty());
    assert_eq!(c.leaders(), vec![1]);
}

// ---------------------------------------------------------------------------------------
// Reads (thesis 6.4)
// ---------------------------------------------------------------------------------------

/// Steps `id` with a read of `key` in `mode` at the current time.
fn read(c: &mut Cluster, id: NodeId, request: u64, key: &str, mode: ReadMode) -> Ready {
    c.step(
        id,
        Input::ClientRead {
            request,
            key: key.to_string(),
            mode,
        },
    )
}

/// The value answered to `request` in `ready`, if it was answered.
fn answer(ready: &Ready, request: u64) -> Option<Option<String>> {
    ready.replies.iter().find_map(|r| match &r.result {
        ClientResult::Value { value } if r.request == request => Some(value.clone()),
        _ => None,
    })
}

/// The AppendEntries in `ready`, as (receiver, stamp).
fn heartbeats(ready: &Ready) -> Vec<(NodeId, Micros)> {
    ready
        .messages
        .iter()
        .filter_map(|m| match m.body {
            Body::AppendEntries { stamp, .. } => Some((m.to, stamp)),
            _ => None,
        })
        .collect()
}

/// A 3-server cluster whose leader 1 has committed and applied `x = 1`, and has just had a
/// round of heartbeats echoed by both followers.
fn reading_cluster() -> Cluster {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.client_write(1, 1, set("x", "1"));
    c.deliver_all();
    c.heartbeat();
    assert_eq!(c.node(1).kv().get("x").map(String::as_str), Some("1"));
    c
}

/// Thesis 6.4, step 3: for a ReadIndex read the leader confirms that it still leads by
/// exchanging a round of heartbeats with a majority, and answers once a majority has
/// echoed a heartbeat sent no earlier than the read arrived. The round starts at once (the
/// read does not wait for the next heartbeat timer), and one round serves every read
/// waiting for it; a read arriving in the very instant a majority echoed a heartbeat needs
/// no new round and is answered at once ("the leader can amortize the cost of confirming
/// its leadership").
#[test]
fn read_index_confirms_leadership_with_one_immediate_round_6_4() {
    let mut c = reading_cluster();
    let h = c.now;
    // Both followers echoed a heartbeat stamped `h`: leadership is confirmed as of `h`.
    let ready = read(&mut c, 1, 10, "x", ReadMode::ReadIndex);
    assert_eq!(answer(&ready, 10), Some(Some("1".to_string())));
    assert!(heartbeats(&ready).is_empty(), "no round needed: {ready:?}");

    // 1 us later, a read needs a new round, sent at once with the read's time as stamp.
    c.now = h + 1;
    let ready = read(&mut c, 1, 11, "x", ReadMode::ReadIndex);
    assert_eq!(
        answer(&ready, 11),
        None,
        "not before leadership is confirmed"
    );
    assert_eq!(heartbeats(&ready), vec![(2, h + 1), (3, h + 1)]);
    let ready = read(&mut c, 1, 12, "y", ReadMode::ReadIndex);
    assert_eq!(answer(&ready, 12), None);
    assert_eq!(heartbeats(&ready).len(), 2);
    // The first echo makes a majority (leader and one follower): both reads are answered.
    assert!(c.deliver_until(|c| c.replies(1).iter().any(|r| r.request == 11)));
    let answered: Vec<(u64, ClientResult)> = c
        .replies(1)
        .iter()
        .filter(|r| r.request >= 11)
        .map(|r| (r.request, r.result.clone()))
        .collect();
    assert_eq!(
        answered,
        vec![
            (
                11,
                ClientResult::Value {
                    value: Some("1".to_string())
                }
            ),
            (12, ClientResult::Value { value: None }),
        ]
    );
    assert_eq!(c.now, h + 1, "without waiting for the heartbeat timer");
}

/// Thesis 6.4.1: a leader's lease starts when a majority (itself included) heard from it,
/// and lasts the minimum election timeout shrunk by the clock drift bound:
/// `min x (1 - d) / (1 + d)` (150 ms and 10 %: 122 727 us). Inside the lease a lease read is
/// answered at once, with no message; from the instant the lease ends it is served as
/// ReadIndex, with a round of heartbeats. Only a majority counts: with follower 3 cut off
/// for longer than a lease, follower 2's fresh echo alone keeps the lease.
#[test]
fn lease_reads_are_local_exactly_while_the_lease_lasts_6_4_1() {
    let d = Config::default();
    let lease =
        d.election_timeout_us.0 * (1_000_000 - d.clock_drift_ppm) / (1_000_000 + d.clock_drift_ppm);
    assert_eq!(lease, 122_727);
    let mut c = reading_cluster();
    let h = c.now;
    c.now = h + lease - 1;
    let ready = read(&mut c, 1, 20, "x", ReadMode::Lease);
    assert_eq!(answer(&ready, 20), Some(Some("1".to_string())));
    assert!(ready.messages.is_empty(), "a lease read sends nothing");
    c.now = h + lease;
    let ready = read(&mut c, 1, 21, "x", ReadMode::Lease);
    assert_eq!(answer(&ready, 21), None, "the lease has ended");
    assert_eq!(heartbeats(&ready), vec![(2, h + lease), (3, h + lease)]);
    c.deliver_all();
    assert!(c
        .replies(1)
        .iter()
        .any(|r| r.request == 21 && matches!(r.result, ClientResult::Value { .. })));

    // 3 is cut off: its last echo gets older than a lease, while 2 keeps echoing.
    c.cut(1, 3);
    for _ in 0..4 {
        c.heartbeat();
    }
    let ready = read(&mut c, 1, 22, "x", ReadMode::Lease);
    assert_eq!(
        answer(&ready, 22),
        Some(Some("1".to_string())),
        "1 and 2 are a majority"
    );
    c.cut(1, 2);
    c.now += lease;
    let ready = read(&mut c, 1, 23, "x", ReadMode::Lease);
    assert_eq!(
        answer(&ready, 23),
        None,
        "no majority heard from 1 within a lease"
    );
}

/// Thesis 6.4 and 6.2: only the leader serves reads that must be up to date (LeaderLocal,
/// ReadIndex, Lease); any other server redirects the client to the leader it knows of (none
/// while an election is on). A read of mode Any is answered by whoever gets it, from its own
/// state machine, which may lag the leader's (here 3 is cut off and misses `x = 2`).
#[test]
fn only_the_leader_serves_up_to_date_reads_6_4() {
    let mut c = reading_cluster();
    c.cut(1, 3);
    c.client_write(1, 2, set("x", "2"));
    c.deliver_all();
    c.heartbeat();
    for (request, mode) in [
        (30, ReadMode::LeaderLocal),
        (31, ReadMode::ReadIndex),
        (32, ReadMode::Lease),
    ] {
        for follower in [2, 3] {
            let ready = read(&mut c, follower, request, "x", mode);
            assert_eq!(
                ready.replies,
                vec![ClientReply {
                    request,
                    result: ClientResult::Redirect { leader: Some(1) }
                }],
                "{mode:?} at {follower}"
            );
            assert!(ready.messages.is_empty());
        }
        let ready = read(&mut c, 1, request, "x", mode);
        assert_eq!(answer(&ready, request), Some(Some("2".to_string())));
    }
    let ready = read(&mut c, 2, 33, "x", ReadMode::Any);
    assert_eq!(answer(&ready, 33), Some(Some("2".to_string())));
    let ready = read(&mut c, 3, 34, "x", ReadMode::Any);
    assert_eq!(answer(&ready, 34), Some(Some("1".to_string())), "3 lags");
    // 3 stands for election: a candidate knows no leader.
    c.timeout(3);
    let ready = read(&mut c, 3, 35, "x", ReadMode::ReadIndex);
    assert_eq!(
        ready.replies,
        vec![ClientReply {
            request: 35,
            result: ClientResult::Redirect { leader: None }
        }]
    );
}

// ---------------------------------------------------------------------------------------
// RequestVote of the current term under CheckQuorum
// ---------------------------------------------------------------------------------------

/// Figure 2 (RequestVote RPC) and 5.1 (RPCs are retried and idempotent): a RequestVote of
/// the voter's own term is always answered, even with CheckQuorum while the voter hears
/// from its leader: thesis 4.2.3 ignores only RequestVote of a *higher* term (the ones that
/// would make it raise its term and depose a working leader). A duplicate of the leader's
/// own RequestVote is granted again (votedFor is that candidate); another candidate of the
/// same term is refused, with the voter's term in the reply; neither changes anything.
#[test]
fn a_request_vote_of_the_current_term_is_answered_under_check_quorum_4_2_3() {
    let config = Config {
        check_quorum: true,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    c.now = config.election_timeout_us.0;
    let term = c.elect(1);
    c.heartbeat();
    for (candidate, granted) in [(1, true), (3, false)] {
        c.now += 1_000;
        let ready = c.step(2, request_vote(candidate, 2, term, 1, term));
        assert_eq!(
            vote_reply(&ready),
            Some(granted),
            "RequestVote from {candidate}"
        );
        let reply = &ready.messages[0];
        assert_eq!((reply.to, reply.term), (candidate, term));
        assert_eq!(c.node(2).voted_for(), Some(1));
        assert_eq!(c.node(2).leader(), Some(1));
        assert_eq!(c.node(2).term(), term);
    }
    // A RequestVote of a higher term, meanwhile, is ignored: no reply, no new term.
    let ready = c.step(2, request_vote(3, 2, term + 1, 1, term));
    assert_eq!(vote_reply(&ready), None);
    assert_eq!(c.node(2).term(), term);
}

// ---------------------------------------------------------------------------------------
// Leadership transfer (thesis 3.10)
// ---------------------------------------------------------------------------------------

/// Thesis 3.10 and 5.1: TimeoutNow is the leader's order to its chosen successor to campaign
/// at once; like any message of an older term it is stale once a later term is known, and
/// a server that has moved on ignores it. Here 1, leader of term 1, sent TimeoutNow to 2,
/// which was delayed; meanwhile 3 won term 2. The late TimeoutNow changes nothing at 2 (a
/// follower of 3) nor at 3 (the leader); a TimeoutNow of the current term from the leader
/// does make 2 campaign, with no pre-vote and at once.
#[test]
fn a_stale_timeout_now_is_ignored_3_10() {
    let mut c = Cluster::new(3, Config::default());
    let old = c.elect(1);
    c.heartbeat();
    let term = c.elect(3);
    c.heartbeat();
    assert_eq!(c.node(2).leader(), Some(3));
    let timeout_now = |from, to, term| {
        Input::Message(Message {
            from,
            to,
            term,
            body: Body::TimeoutNow,
        })
    };
    for to in [2, 3] {
        let ready = c.step(to, timeout_now(1, to, old));
        assert!(
            !ready
                .events
                .iter()
                .any(|e| matches!(e, Event::BecomeCandidate { .. })),
            "{to} ignores a TimeoutNow of term {old}: {ready:?}"
        );
        assert_eq!(c.node(to).term(), term);
    }
    assert_eq!(c.node(2).role(), Role::Follower);
    assert_eq!(c.node(3).role(), Role::Leader);
    // The leader's own TimeoutNow, of the current term: 2 campaigns in term + 1 at once.
    let ready = c.step(2, timeout_now(3, 2, term));
    assert!(ready
        .events
        .contains(&Event::BecomeCandidate { term: term + 1 }));
    c.deliver_all();
    assert_eq!(c.leaders(), vec![2]);
}

// ---------------------------------------------------------------------------------------
// Log compaction (section 7)
// ---------------------------------------------------------------------------------------

/// Server 2 of {1, 2, 3} in term 1 whose snapshot covers entries 1..=8 of `log_of_terms`
/// (all of term 1) and whose log holds the next `tail` entries of term 1.
fn compacted_follower(tail: usize) -> Node {
    let full = log_of_terms(&[1; 8]);
    let mut kv = std::collections::BTreeMap::new();
    for entry in &full {
        if let Command::Set { key, value } = &entry.command {
            kv.insert(key.clone(), value.clone());
        }
    }
    let mut persistent = state(1, Some(1), &[]);
    persistent.log = log_of_terms(&vec![1; 8 + tail])[8..].to_vec();
    persistent.snapshot = Snapshot {
        last_index: 8,
        last_term: 1,
        kv,
        config: raftlab_raft::Membership::new(&[1, 2, 3], &[]),
    };
    Node::recover(2, Config::default(), persistent, 3, 0)
}

/// Section 7: servers snapshot independently, so an AppendEntries can reach a follower whose
/// snapshot already covers part of it (a late or duplicated message, or one sent before the
/// follower compacted). The entries up to the snapshot's last index are committed, so the
/// leader's log holds them too (Leader Completeness, 5.4): the follower skips the ones it
/// compacted, matches from its snapshot's last entry, and appends the rest at their own
/// indexes (5.3). Here the snapshot ends at 8 and the message brings entries 5..=10 after
/// index 4: the follower ends with entries 9 and 10, commits and applies them, and reports
/// a match up to 10.
#[test]
fn append_entries_overlapping_the_snapshot_appends_only_what_follows_it_7() {
    let full = log_of_terms(&[1; 10]);
    let mut node = compacted_follower(0);
    assert_eq!((node.snapshot_index(), node.last_index()), (8, 8));
    let mut ready = Ready::default();
    node.step(
        1_000,
        Input::Message(Message {
            from: 1,
            to: 2,
            term: 1,
            body: Body::AppendEntries {
                prev_log_index: 4,
                prev_log_term: 1,
                entries: full[4..].to_vec(),
                leader_commit: 10,
                stamp: 1_000,
            },
        }),
        &mut ready,
    );
    assert_eq!(
        node.log(),
        &full[8..],
        "entries 9 and 10, at indexes 9 and 10"
    );
    assert_eq!((node.last_index(), node.commit_index()), (10, 10));
    assert_eq!(node.kv().get("k10").map(String::as_str), Some("t1"));
    let replies: Vec<(bool, u64)> = ready
        .messages
        .iter()
        .filter_map(|m| match m.body {
            Body::AppendEntriesReply {
                success,
                match_index,
                ..
            } => Some((success, match_index)),
            _ => None,
        })
        .collect();
    assert_eq!(replies, vec![(true, 10)]);
}

/// 5.3: a follower refusing an AppendEntries whose previous entry conflicts with its own
/// includes "the term of the conflicting entry and the first index it stores for that
/// term", so the leader can skip the whole term in one round trip. A compacted follower
/// stores no entry at or before its snapshot's last index: here the snapshot ends at 8, and
/// entries 9 and 10 of term 1 follow it; a leader of term 2 whose entry 10 is of term 2 is
/// told term 1 and index 9 (the first entry of term 1 still in the log), not 8.
#[test]
fn a_compacted_follower_hints_the_first_index_it_stores_5_3() {
    let mut node = compacted_follower(2);
    assert_eq!((node.first_index(), node.last_index()), (9, 10));
    let mut ready = Ready::default();
    node.step(
        1_000,
        Input::Message(Message {
            from: 1,
            to: 2,
            term: 2,
            body: Body::AppendEntries {
                prev_log_index: 10,
                prev_log_term: 2,
                entries: Vec::new(),
                leader_commit: 8,
                stamp: 1_000,
            },
        }),
        &mut ready,
    );
    let replies: Vec<(bool, u64, Option<Term>)> = ready
        .messages
        .iter()
        .filter_map(|m| match m.body {
            Body::AppendEntriesReply {
                success,
                conflict_index,
                conflict_term,
                ..
            } => Some((success, conflict_index, conflict_term)),
            _ => None,
        })
        .collect();
    assert_eq!(replies, vec![(false, 9, Some(1))]);
    assert_eq!(node.last_index(), 10, "a refusal changes no log");
}

// ---------------------------------------------------------------------------------------
// Commitment (5.3, 5.4.2) and stale replies (5.1)
// ---------------------------------------------------------------------------------------

/// Figure 2, AppendEntries rule 5: "if leaderCommit > commitIndex, set commitIndex =
/// min(leaderCommit, index of last new entry)": a follower commits only what it knows
/// matches the leader. A heartbeat whose leader commit is ahead but whose previous entry is
/// the follower's commit index moves nothing: the commit index does not move, and no
/// Commit event (which reports a change of the commit index) is emitted.
#[test]
fn a_follower_commits_only_entries_known_to_match_figure_2() {
    let config = Config::default();
    let mut persistent = state(1, Some(1), &[]);
    persistent.snapshot.config = raftlab_raft::Membership::new(&[1, 2, 3], &[]);
    let mut node = Node::recover(2, config, persistent, 5, 0);
    let append = |prev_log_index, entries: Vec<raftlab_raft::Entry>, leader_commit| {
        Input::Message(Message {
            from: 1,
            to: 2,
            term: 1,
            body: Body::AppendEntries {
                prev_log_index,
                prev_log_term: if prev_log_index == 0 { 0 } else { 1 },
                entries,
                leader_commit,
                stamp: 0,
            },
        })
    };
    let commits = |ready: &Ready| -> Vec<u64> {
        ready
            .events
            .iter()
            .filter_map(|e| match e {
                Event::Commit { index } => Some(*index),
                _ => None,
            })
            .collect()
    };
    let log = log_of_terms(&[1; 5]);
    // Entries 1..=3 arrive with leader commit 2.
    let mut ready = Ready::default();
    node.step(1_000, append(0, log[..3].to_vec(), 2), &mut ready);
    assert_eq!((node.last_index(), node.commit_index()), (3, 2));
    assert_eq!(commits(&ready), vec![2]);
    // A heartbeat after entry 2 with leader commit 5: only up to 2 is known to match.
    let mut ready = Ready::default();
    node.step(2_000, append(2, Vec::new(), 5), &mut ready);
    assert_eq!(node.commit_index(), 2);
    assert_eq!(commits(&ready), Vec::<u64>::new(), "{ready:?}");
    // A heartbeat after entry 3: 3 commits.
    let mut ready = Ready::default();
    node.step(3_000, append(3, Vec::new(), 5), &mut ready);
    assert_eq!(node.commit_index(), 3);
    assert_eq!(commits(&ready), vec![3]);
}

/// 5.1 and Figure 2: a reply of an older term is stale and is ignored (AppendEntries and
/// InstallSnapshot replies alike). Here 1 led term 1,
/// lost leadership to 2 and won it back in term 3; then it appends `x = 1` at index 4 with
/// both followers cut off. A late success reply from 2, sent in term 1 and claiming a match
/// up to index 4, must not count: in term 1 the entry at 4 did not exist (a stale reply can
/// speak of entries since overwritten), so counting it would commit an entry that only the
/// leader holds.
#[test]
fn a_leader_ignores_replies_of_an_older_term_5_1() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    c.elect(2);
    c.heartbeat();
    let term = c.elect(1);
    c.heartbeat();
    assert_eq!(term, 3);
    assert_eq!(c.node(1).commit_index(), 3);
    c.isolate(1);
    c.client_write(1, 1, set("x", "1"));
    c.deliver_all();
    assert_eq!(c.node(1).last_index(), 4);
    let before = c.node(1).progress().to_vec();
    let ready = c.step(
        1,
        Input::Message(Message {
            from: 2,
            to: 1,
            term: 1,
            body: Body::AppendEntriesReply {
                success: true,
                match_index: 4,
                conflict_index: 0,
                conflict_term: None,
                stamp: c.now,
            },
        }),
    );
    assert_eq!(
        c.node(1).commit_index(),
        3,
        "index 4 is on the leader alone"
    );
    assert_eq!(c.node(1).progress(), &before[..]);
    assert!(ready.messages.is_empty() && ready.events.is_empty());
    // The same for a late InstallSnapshotReply of term 1 (Figure 13).
    let ready = c.step(
        1,
        Input::Message(Message {
            from: 2,
            to: 1,
            term: 1,
            body: Body::InstallSnapshotReply {
                last_included_index: 4,
            },
        }),
    );
    assert_eq!(c.node(1).commit_index(), 3);
    assert_eq!(c.node(1).progress(), &before[..]);
    assert!(ready.messages.is_empty() && ready.events.is_empty());
    assert_eq!(c.node(1).role(), Role::Leader);
}

// ---------------------------------------------------------------------------------------
// Removing the leader (thesis 4.2.2)
// ---------------------------------------------------------------------------------------

/// Thesis 4.2.2: a leader that removes itself keeps leading, without counting itself, until
/// the entry of the configuration without it is committed, and only then steps down. A
/// commit of an earlier entry is not that: here 1 appends `x = 1` at index 2 and its own
/// removal at index 3; when index 2 commits (and its client is answered) 1 still leads, and
/// it steps down when index 3 commits.
#[test]
fn a_removed_leader_leads_until_its_removal_commits_not_before_4_2_2() {
    let mut c = Cluster::new(3, Config::default());
    let term = c.elect(1);
    assert_eq!(c.node(1).commit_index(), 1);
    c.client_write(1, 7, set("x", "1"));
    c.step(
        1,
        Input::ChangeMembership(raftlab_raft::MembershipChange::Remove(1)),
    );
    assert_eq!(c.node(1).membership_index(), 3);
    assert!(c.deliver_until(|c| c.node(1).commit_index() >= 2));
    assert_eq!(c.node(1).commit_index(), 2);
    assert_eq!(
        c.node(1).role(),
        Role::Leader,
        "index 3 is not committed yet"
    );
    assert!(c
        .replies(1)
        .iter()
        .any(|r| r.request == 7 && r.result == ClientResult::Ok));
    c.deliver_all();
    assert_eq!(c.node(1).commit_index(), 3);
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.node(1).term(), term);
}

/// Thesis 6.4, step 1: a new leader does not know which entries are committed until an entry
/// of its own term is; a ReadIndex read it takes before then waits for its no-op to commit
/// (and be applied), and is answered as soon as it is: here 1 is elected, a read of `x`
/// arrives before any AppendEntries reply, and it is answered in the very step in which the
/// reply that commits the no-op arrives (leadership is confirmed by that same echo).
#[test]
fn a_read_waits_for_the_new_leaders_no_op_and_no_longer_6_4() {
    let mut c = Cluster::new(3, Config::default());
    c.timeout(1);
    assert!(c.deliver_until(|c| c.node(1).role() == Role::Leader));
    assert_eq!(c.node(1).commit_index(), 0);
    let ready = read(&mut c, 1, 40, "x", ReadMode::ReadIndex);
    assert!(ready.replies.is_empty(), "the no-op is not committed yet");
    assert!(c.deliver_until(|c| c.node(1).commit_index() >= 1));
    assert_eq!(c.node(1).commit_index(), 1);
    assert_eq!(
        c.replies(1).to_vec(),
        vec![ClientReply {
            request: 40,
            result: ClientResult::Value { value: None }
        }]
    );
}

// ---------------------------------------------------------------------------------------
// Heartbeats (5.2), CheckQuorum (thesis 6.2) and PreVote (thesis 9.6): timer boundaries
// ---------------------------------------------------------------------------------------

/// The PreVoteReply in `ready`, if any: whether the pre-vote was granted.
fn pre_vote_reply(ready: &Ready) -> Option<bool> {
    ready.messages.iter().find_map(|m| match m.body {
        Body::PreVoteReply { granted } => Some(granted),
        _ => None,
    })
}

fn pre_vote(
    candidate: NodeId,
    to: NodeId,
    term: Term,
    last_log_index: u64,
    last_log_term: Term,
) -> Input {
    Input::Message(Message {
        from: candidate,
        to,
        term,
        body: Body::PreVote {
            last_log_index,
            last_log_term,
        },
    })
}

/// 5.2: a leader sends heartbeats periodically, every heartbeat interval: a tick before its
/// heartbeat timer is due sends nothing; the tick at the deadline sends one AppendEntries to
/// each follower.
#[test]
fn a_leader_heartbeats_only_when_its_timer_is_due_5_2() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    let deadline = c.node(1).next_deadline();
    for early in [c.now, c.now + 1, deadline - 1] {
        c.now = early;
        let ready = c.tick(1);
        assert!(ready.messages.is_empty(), "at {early}: {ready:?}");
        assert_eq!(c.node(1).next_deadline(), deadline);
    }
    c.now = deadline;
    let ready = c.tick(1);
    assert_eq!(heartbeats(&ready), vec![(2, deadline), (3, deadline)]);
}

/// Thesis 6.2: with CheckQuorum, "if an election timeout elapses without a successful round
/// of heartbeats to a majority of its cluster, the leader steps down". The window is the
/// minimum election timeout (150 ms): the followers last answered at `h`; the leader, cut off
/// at `h`, still leads at its heartbeat ticks of `h + 50` and `h + 100` ms, and steps down at
/// the one of `h + 150` ms, when a full election timeout has passed.
#[test]
fn check_quorum_steps_down_when_a_full_election_timeout_passed_6_2() {
    let config = Config {
        check_quorum: true,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    c.now = config.election_timeout_us.0;
    c.elect(1);
    c.heartbeat();
    let h = c.now;
    c.isolate(1);
    for k in 1..=2 {
        c.now = h + k * config.heartbeat_us;
        c.tick(1);
        assert_eq!(c.node(1).role(), Role::Leader, "at h + {k} heartbeats");
    }
    c.now = h + config.election_timeout_us.0;
    assert_eq!(c.node(1).next_deadline(), c.now);
    let ready = c.tick(1);
    let term = c.node(1).term();
    assert!(ready.events.contains(&Event::StepDown { term }));
    assert_eq!(c.node(1).role(), Role::Follower);
}

/// Thesis 9.6 and 4.2.3: a leader counts as hearing from a leader (itself). It refuses a
/// pre-vote, even one for a later term from a candidate with an up-to-date log, and with
/// CheckQuorum it ignores a RequestVote of a later term (no reply, no new term), so it keeps
/// leading.
#[test]
fn a_leader_refuses_pre_votes_and_ignores_disruptive_request_votes_9_6_4_2_3() {
    let config = Config {
        check_quorum: true,
        pre_vote: true,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    c.now = config.election_timeout_us.0;
    let term = c.elect(1);
    c.heartbeat();
    let last = c.node(1).last_index();
    let ready = c.step(1, pre_vote(3, 1, term + 1, last, term));
    assert_eq!(pre_vote_reply(&ready), Some(false));
    let ready = c.step(1, request_vote(3, 1, term + 1, last, term));
    assert_eq!(vote_reply(&ready), None);
    assert!(ready.messages.is_empty());
    assert_eq!(c.node(1).role(), Role::Leader);
    assert_eq!(c.node(1).term(), term);
}

/// Thesis 9.6: a follower refuses pre-votes while it hears from its leader, that is for the
/// minimum election timeout (150 ms) after the leader's last AppendEntries, and grants an
/// up-to-date pre-candidate from the instant that timeout has passed (its own randomized
/// timer may still run: the leader is presumed gone). A granted pre-vote changes nothing.
#[test]
fn a_follower_hears_from_its_leader_for_one_election_timeout_9_6() {
    let config = Config {
        pre_vote: true,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    // Every server has just started: none grants a pre-vote for an election timeout.
    c.now = config.election_timeout_us.0;
    let term = c.elect(1);
    c.heartbeat();
    let heard = c.now;
    let last = c.node(2).last_index();
    let min = config.election_timeout_us.0;
    for (at, granted) in [
        (heard + 1, false),
        (heard + min - 1, false),
        (heard + min, true),
    ] {
        c.now = at;
        let ready = c.step(2, pre_vote(3, 2, term + 1, last, term));
        assert_eq!(
            pre_vote_reply(&ready),
            Some(granted),
            "{} us after",
            at - heard
        );
        assert_eq!(c.node(2).term(), term);
        assert_eq!(c.node(2).leader(), Some(1));
    }
}

/// A server of {1, 2, 3} with PreVote, started at 0 from term `term` with a log of one
/// entry of term 1.
fn pre_voting(id: NodeId, term: Term) -> Node {
    let config = Config {
        pre_vote: true,
        ..Config::default()
    };
    let mut persistent = state(term, None, &[1]);
    persistent.snapshot.config = raftlab_raft::Membership::new(&[1, 2, 3], &[]);
    Node::recover(id, config, persistent, 11, 0)
}

/// Thesis 9.6: a server grants a pre-vote only if it would grant the RequestVote that would
/// follow, which needs a term later than its own (Figure 2 refuses a term below or at one in
/// which it may have voted). A pre-candidate a term behind asks for the term the voter is
/// already in: refused, with the voter's term in the reply (which brings the pre-candidate
/// up to date); the same request for the next term is granted, and changes no term.
#[test]
fn a_pre_vote_needs_a_later_term_than_the_voters_9_6() {
    let mut voter = pre_voting(2, 2);
    let at = 1_000_000; // long after any quiet period; no leader known
    let mut ready = Ready::default();
    voter.step(at, pre_vote(3, 2, 2, 1, 1), &mut ready);
    assert_eq!(pre_vote_reply(&ready), Some(false));
    assert_eq!(ready.messages[0].term, 2);
    let mut ready = Ready::default();
    voter.step(at, pre_vote(3, 2, 3, 1, 1), &mut ready);
    assert_eq!(pre_vote_reply(&ready), Some(true));
    assert_eq!(ready.messages[0].term, 3);
    assert_eq!((voter.term(), voter.voted_for()), (2, None));
}

/// Thesis 9.6: a pre-candidate counts only grants for the term it now asks about (the one
/// after its own). A late grant from an earlier round, for the term it is now in, counts for nothing:
/// here 1 is a pre-candidate in term 2 (asking about term 3) and receives a grant for term 2;
/// it stays a pre-candidate. The grant for term 3 that follows makes a majority, and only then
/// it stands for election in term 3.
#[test]
fn a_pre_candidate_counts_only_grants_for_the_term_it_asks_about_9_6() {
    let mut node = pre_voting(1, 2);
    let at = 1_000_000;
    let mut ready = Ready::default();
    node.step(at, Input::Timeout, &mut ready);
    assert_eq!(node.role(), Role::PreCandidate);
    assert_eq!(node.term(), 2);
    let grant = |term| {
        Input::Message(Message {
            from: 2,
            to: 1,
            term,
            body: Body::PreVoteReply { granted: true },
        })
    };
    let mut ready = Ready::default();
    node.step(at + 1, grant(2), &mut ready);
    assert_eq!(node.role(), Role::PreCandidate, "{ready:?}");
    assert_eq!(node.term(), 2);
    let mut ready = Ready::default();
    node.step(at + 2, grant(3), &mut ready);
    assert_eq!(node.role(), Role::Candidate);
    assert_eq!(node.term(), 3);
}

/// 5.1 and thesis 6.4: only an echo of the leader's current term confirms its leadership for
/// a read. Leader 1 of term 3, cut off from both followers, takes a ReadIndex read; a late
/// reply of term 1 echoing a fresh stamp must not answer it (that follower may follow another
/// leader by now).
#[test]
fn an_echo_of_an_older_term_confirms_nothing_6_4() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    c.elect(2);
    c.heartbeat();
    let term = c.elect(1);
    c.heartbeat();
    c.isolate(1);
    c.now += 1;
    let ready = read(&mut c, 1, 50, "x", ReadMode::ReadIndex);
    assert!(ready.replies.is_empty());
    for from in [2, 3] {
        let ready = c.step(
            1,
            Input::Message(Message {
                from,
                to: 1,
                term: 1,
                body: Body::AppendEntriesReply {
                    success: true,
                    match_index: 1,
                    conflict_index: 0,
                    conflict_term: None,
                    stamp: c.now,
                },
            }),
        );
        assert!(ready.replies.is_empty(), "{ready:?}");
    }
    assert_eq!(c.node(1).term(), term);
    assert!(c.replies(1).iter().all(|r| r.request != 50));
}

/// Thesis 6.4: any majority confirms a read, whichever servers it holds. In a cluster of
/// five whose leader is cut off from 2 and 3, the echoes of 4 and 5 (with the leader, three
/// of five) answer a ReadIndex read.
#[test]
fn any_majority_confirms_a_read_6_4() {
    let mut c = Cluster::new(5, Config::default());
    c.elect(1);
    c.client_write(1, 1, set("x", "1"));
    c.deliver_all();
    c.heartbeat();
    c.cut(1, 2);
    c.cut(1, 3);
    c.now += 1;
    let ready = read(&mut c, 1, 60, "x", ReadMode::ReadIndex);
    assert!(ready.replies.is_empty());
    c.deliver_all();
    assert!(c.replies(1).contains(&ClientReply {
        request: 60,
        result: ClientResult::Value {
            value: Some("1".to_string())
        }
    }));
}

/// Thesis 3.10: leadership is handed to another server; a leader asked to hand it to itself
/// does nothing: no transfer starts, and it keeps taking client writes.
#[test]
fn a_transfer_to_the_leader_itself_is_ignored_3_10() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    let ready = c.step(1, Input::TransferLeadership { to: 1 });
    assert!(ready.events.is_empty() && ready.messages.is_empty());
    assert_eq!(c.node(1).transferring_to(), None);
    c.client_write(1, 70, set("y", "1"));
    c.deliver_all();
    assert!(c
        .replies(1)
        .iter()
        .any(|r| r.request == 70 && r.result == ClientResult::Ok));
}

/// Figure 13 with 5.2: like an AppendEntries, an InstallSnapshot from the leader of the
/// candidate's own term shows that the election is lost: the candidate returns to follower
/// and takes the snapshot.
#[test]
fn a_candidate_steps_down_on_install_snapshot_of_its_term_5_2_figure_13() {
    let mut node = compacted_follower(0);
    let mut ready = Ready::default();
    node.step(1_000_000, Input::Timeout, &mut ready);
    assert_eq!((node.role(), node.term()), (Role::Candidate, 2));
    let mut ready = Ready::default();
    node.step(
        1_000_001,
        Input::Message(Message {
            from: 1,
            to: 2,
            term: 2,
            body: Body::InstallSnapshot {
                last_included_index: 12,
                last_included_term: 2,
                data: Default::default(),
                config: raftlab_raft::Membership::new(&[1, 2, 3], &[]),
            },
        }),
        &mut ready,
    );
    assert_eq!(node.role(), Role::Follower);
    assert_eq!(node.leader(), Some(1));
    assert_eq!((node.snapshot_index(), node.commit_index()), (12, 12));
}

/// Figure 13 and section 7: a follower's InstallSnapshot reply tells the leader that it now
/// holds everything up to the snapshot's last index; the leader updates matchIndex for it at
/// once (Figure 2, Leaders) and sends the entries after the snapshot in the same step,
/// without waiting for its next heartbeat. Here 3 was down while the leader compacted its
/// log up to `s`; the step that takes 3's reply sets 3's matchIndex to `s` and sends it an
/// AppendEntries after `s`.
#[test]
fn a_leader_counts_an_install_snapshot_reply_as_a_match_7() {
    let config = Config {
        snapshot_threshold: 4,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    c.elect(1);
    c.heartbeat();
    c.crash(3);
    for i in 0..10 {
        c.client_write(1, 100 + i, set("k", &i.to_string()));
        c.deliver_all();
    }
    let s = c.node(1).snapshot_index();
    assert!(s >= 8 && s < c.node(1).last_index(), "snapshot at {s}");
    c.restart(3);
    c.now = c.node(1).next_deadline();
    c.tick(1);
    assert!(c.deliver_until(|c| c
        .queue
        .front()
        .is_some_and(|m| m.to == 1 && matches!(m.body, Body::InstallSnapshotReply { .. }))));
    let (reply, delivered) = c.deliver_one().unwrap();
    assert!(delivered, "{reply:?}");
    let progress = c.node(1).progress().iter().find(|p| p.id == 3).copied();
    assert_eq!(progress.map(|p| p.match_index), Some(s));
    let sent: Vec<u64> = c
        .queue
        .iter()
        .filter(|m| m.from == 1 && m.to == 3)
        .filter_map(|m| match m.body {
            Body::AppendEntries { prev_log_index, .. } => Some(prev_log_index),
            _ => None,
        })
        .collect();
    assert_eq!(sent, vec![s], "the entries after the snapshot, at once");
}

/// Thesis 3.10, step 2: the leader sends TimeoutNow only once the *target's* log is up to
/// date. Here 2 is up to date but the target 3, cut off, lacks the leader's last entry: no
/// TimeoutNow goes out (the leader keeps replicating to 3); once 3 is back and has caught
/// up, TimeoutNow is sent to it and it wins.
#[test]
fn timeout_now_waits_for_the_targets_log_not_anothers_3_10() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    c.cut(1, 3);
    c.client_write(1, 80, set("z", "1"));
    c.deliver_all();
    let last = c.node(1).last_index();
    let p2 = c.node(1).progress().iter().find(|p| p.id == 2).copied();
    assert_eq!(p2.map(|p| p.match_index), Some(last), "2 is up to date");
    let ready = c.step(1, Input::TransferLeadership { to: 3 });
    assert!(ready.events.contains(&Event::TransferStart { to: 3 }));
    assert!(
        !ready
            .messages
            .iter()
            .any(|m| matches!(m.body, Body::TimeoutNow)),
        "3 lacks entry {last}: {ready:?}"
    );
    c.deliver_all();
    c.restore(1, 3);
    c.heartbeat();
    c.deliver_all();
    assert_eq!(c.node(3).last_index(), c.node(1).last_index());
    let timeout_now = c.delivered_where(|m| m.to == 3 && matches!(m.body, Body::TimeoutNow));
    assert_eq!(timeout_now.len(), 1);
    assert_eq!(c.leaders(), vec![3]);
}

/// Thesis 3.10, step 2: the leader sends TimeoutNow as soon as it learns that the target's
/// log is up to date, that is in the very step that takes the target's reply, not when some
/// other follower happens to answer. Here 2 is cut off from the leader (its replies cannot
/// bring the transfer on) and the target 3 lacks the leader's last entry when the transfer
/// starts; the success reply of 3 that matches the whole log is answered with TimeoutNow at
/// once, and 3 wins.
#[test]
fn the_targets_own_reply_brings_the_transfer_on_3_10() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    c.cut(1, 3);
    c.client_write(1, 90, set("t", "1"));
    c.deliver_all();
    let last = c.node(1).last_index();
    c.cut(1, 2);
    c.restore(1, 3);
    let ready = c.step(1, Input::TransferLeadership { to: 3 });
    assert!(ready.events.contains(&Event::TransferStart { to: 3 }));
    c.now = c.node(1).next_deadline();
    c.tick(1);
    // Deliver until the reply of 3 that matches the whole log is next.
    assert!(
        c.deliver_until(|c| c.queue.front().is_some_and(|m| m.from == 3
            && m.to == 1
            && matches!(
                m.body,
                Body::AppendEntriesReply { success: true, match_index, .. } if match_index == last
            )))
    );
    let reply = c.queue.pop_front().unwrap();
    let ready = c.step(1, Input::Message(reply));
    let timeout_now: Vec<NodeId> = ready
        .messages
        .iter()
        .filter(|m| matches!(m.body, Body::TimeoutNow))
        .map(|m| m.to)
        .collect();
    assert_eq!(timeout_now, vec![3], "{ready:?}");
    c.deliver_all();
    assert_eq!(c.leaders(), vec![3]);
}

/// Figure 2 (Leaders: "if successful: update nextIndex and matchIndex for follower") and
/// 5.3: after a success, nextIndex is the entry after the follower's new matchIndex, even
/// when a refusal had just moved it back. With one entry per message, leader 1 sends 2 the
/// entries 2, 3 and 4 one by one; 2 gets the one after 3 first and refuses it (its log ends
/// at 1), then gets 2 and 3. The refusal reaches the leader first and moves nextIndex back to
/// 2 (the leader resends 2); then 2's success for 3 arrives: the leader goes on with entry 4,
/// after what 2 has just confirmed, and does not send 3 again.
#[test]
fn after_a_success_next_index_follows_the_match_figure_2_5_3() {
    let config = Config {
        max_entries_per_message: 1,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    let term = c.elect(1);
    c.heartbeat();
    for (i, value) in ["a", "b", "c"].into_iter().enumerate() {
        c.client_write(1, 300 + i as u64, set("m", value));
    }
    assert_eq!(c.node(1).last_index(), 4);
    // Hold every AppendEntries to 2, in the order sent; let 3 catch up.
    let to_2: Vec<Message> = c.queue.iter().filter(|m| m.to == 2).cloned().collect();
    c.queue.retain(|m| m.to != 2);
    c.deliver_all();
    let prevs: Vec<u64> = to_2
        .iter()
        .map(|m| match m.body {
            Body::AppendEntries { prev_log_index, .. } => prev_log_index,
            _ => panic!("{m:?}"),
        })
        .collect();
    assert_eq!(prevs, vec![1, 2, 3]);
    // 2 gets the last one first and refuses it, then takes the first two.
    let refusal = c.step(2, Input::Message(to_2[2].clone())).messages;
    let ok_2 = c.step(2, Input::Message(to_2[0].clone())).messages;
    let ok_3 = c.step(2, Input::Message(to_2[1].clone())).messages;
    c.queue.clear();
    assert!(matches!(
        refusal[..],
        [Message {
            body: Body::AppendEntriesReply { success: false, .. },
            ..
        }]
    ));
    assert!(matches!(
        ok_3[..],
        [Message {
            body: Body::AppendEntriesReply {
                success: true,
                match_index: 3,
                ..
            },
            ..
        }]
    ));
    // The refusal arrives first: nextIndex goes back to 2, and entry 2 is sent again.
    let ready = c.step(1, Input::Message(refusal[0].clone()));
    let resent: Vec<u64> = ready
        .messages
        .iter()
        .filter_map(|m| match m.body {
            Body::AppendEntries { prev_log_index, .. } if m.to == 2 => Some(prev_log_index),
            _ => None,
        })
        .collect();
    assert_eq!(resent, vec![1]);
    // Then the success for 3: matchIndex 3, and the next message carries entry 4.
    let ready = c.step(1, Input::Message(ok_3[0].clone()));
    let p2 = c
        .node(1)
        .progress()
        .iter()
        .find(|p| p.id == 2)
        .copied()
        .unwrap();
    assert_eq!(p2.match_index, 3);
    let sent: Vec<(u64, usize)> = ready
        .messages
        .iter()
        .filter_map(|m| match &m.body {
            Body::AppendEntries {
                prev_log_index,
                entries,
                ..
            } if m.to == 2 => Some((*prev_log_index, entries.len())),
            _ => None,
        })
        .collect();
    assert_eq!(sent, vec![(3, 1)], "entry 4 next, not 3 again");
    assert_eq!(p2.next_index, 5);
    // The late success for 2 changes nothing: matchIndex only grows.
    let ready = c.step(1, Input::Message(ok_2[0].clone()));
    assert!(ready.messages.is_empty(), "{ready:?}");
    assert_eq!(c.node(1).term(), term);
}

/// Section 7 with 5.3: like entries in flight, a snapshot in flight moves nextIndex past its
/// last index at once, so what the leader sends the follower next (here with a client
/// write, before the InstallSnapshot has arrived) is the entries after the snapshot, not the
/// whole snapshot again. Once everything is delivered the follower holds the leader's log,
/// having received the snapshot once.
#[test]
fn a_snapshot_in_flight_is_not_sent_again_7() {
    let config = Config {
        snapshot_threshold: 4,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    c.elect(1);
    c.heartbeat();
    c.crash(3);
    for i in 0..10 {
        c.client_write(1, 400 + i, set("k", &i.to_string()));
        c.deliver_all();
    }
    let s = c.node(1).snapshot_index();
    assert!(s >= 8 && s < c.node(1).last_index(), "snapshot at {s}");
    c.restart(3);
    c.now = c.node(1).next_deadline();
    c.tick(1);
    assert!(c.deliver_until(|c| c
        .queue
        .iter()
        .any(|m| m.to == 3 && matches!(m.body, Body::InstallSnapshot { .. }))));
    let p3 = c.node(1).progress().iter().find(|p| p.id == 3).copied();
    assert_eq!(p3.map(|p| p.next_index), Some(s + 1));
    let ready = c.client_write(1, 500, set("k", "last"));
    let to_3: Vec<&Body> = ready
        .messages
        .iter()
        .filter(|m| m.to == 3)
        .map(|m| &m.body)
        .collect();
    assert!(
        matches!(to_3[..], [Body::AppendEntries { prev_log_index, .. }] if *prev_log_index == s),
        "{to_3:?}"
    );
    c.deliver_all();
    c.heartbeat();
    assert_eq!(c.node(3).last_index(), c.node(1).last_index());
    let snapshots =
        c.delivered_where(|m| m.to == 3 && matches!(m.body, Body::InstallSnapshot { .. }));
    assert_eq!(snapshots.len(), 1);
}

/// Thesis 4.2.2 with 4.1: a server uses the latest configuration in its log, committed or
/// not, but while the entry that removes it is not known to be committed it may still be
/// needed to elect a leader (its log may be the only up-to-date one), so, as a voter of the
/// configuration before, it still stands for election. Here 3 holds the entry of {1, 2}
/// (removing it) at index 2, uncommitted as far as it knows: its timeout makes it a
/// candidate, asking 1 and 2 (the voters of the configuration it now uses) for votes.
#[test]
fn a_server_whose_removal_is_uncommitted_still_campaigns_4_2_2() {
    let mut persistent = state(1, None, &[1]);
    persistent.snapshot.config = raftlab_raft::Membership::new(&[1, 2, 3], &[]);
    persistent.log.push(raftlab_raft::Entry {
        term: 1,
        command: Command::Config(raftlab_raft::Membership::new(&[1, 2], &[])),
    });
    let mut node = Node::recover(3, Config::default(), persistent, 11, 0);
    assert_eq!(node.membership().voters, vec![1, 2]);
    assert_eq!((node.membership_index(), node.commit_index()), (2, 0));
    assert!(node.may_campaign());
    let mut ready = Ready::default();
    node.step(1_000_000, Input::Timeout, &mut ready);
    assert_eq!((node.role(), node.term()), (Role::Candidate, 2));
    let asked: Vec<NodeId> = ready
        .messages
        .iter()
        .filter(|m| matches!(m.body, Body::RequestVote { .. }))
        .map(|m| m.to)
        .collect();
    assert_eq!(asked, vec![1, 2]);
}

/// 5.2: election timeouts are chosen randomly from a fixed interval, here `[min, max]`
/// with both ends included (as `Config::election_timeout_us` documents). With the interval
/// [1000, 1001] us, a candidate timing out again and again draws both values, and nothing
/// else.
#[test]
fn election_timeouts_are_drawn_from_the_whole_closed_interval_5_2() {
    let config = Config {
        election_timeout_us: (1_000, 1_001),
        ..Config::default()
    };
    let mut node = Node::new(1, &[1, 2, 3], config, 7, 0);
    let mut drawn = std::collections::BTreeSet::new();
    let mut now = 0;
    for _ in 0..200 {
        let (started, deadline) = node.election_timer();
        drawn.insert(deadline - started);
        now = now.max(deadline);
        let mut ready = Ready::default();
        node.step(now, Input::Tick, &mut ready);
        assert_eq!(node.role(), Role::Candidate);
    }
    assert_eq!(drawn.into_iter().collect::<Vec<_>>(), vec![1_000, 1_001]);
}

// ---------------------------------------------------------------------------------------
// The configuration in effect (thesis 4.1, 4.2.2)
// ---------------------------------------------------------------------------------------

/// Server 3 of {1, 2, 3} in term 1 whose log holds two entries of term 1 and, at index 3,
/// the configuration {1, 2} (its own removal, uncommitted).
fn removed_at_3() -> Node {
    let mut persistent = state(1, None, &[1, 1]);
    persistent.snapshot.config = raftlab_raft::Membership::new(&[1, 2, 3], &[]);
    persistent.log.push(raftlab_raft::Entry {
        term: 1,
        command: Command::Config(raftlab_raft::Membership::new(&[1, 2], &[])),
    });
    let node = Node::recover(3, Config::default(), persistent, 11, 0);
    assert_eq!((node.membership_index(), node.commit_index()), (3, 0));
    node
}

/// An AppendEntries of term 2 from 1 to 3 after index 2 (of term 1).
fn append_after_2(entries: Vec<raftlab_raft::Entry>, leader_commit: u64) -> Input {
    Input::Message(Message {
        from: 1,
        to: 3,
        term: 2,
        body: Body::AppendEntries {
            prev_log_index: 2,
            prev_log_term: 1,
            entries,
            leader_commit,
            stamp: 0,
        },
    })
}

/// Thesis 4.1: a server uses the latest configuration in its log, and knows where its entry
/// is, because whether that entry is committed decides what it may do (4.2.2: a server whose
/// removal is not known to be committed still campaigns). Here 3's entry removing it (index
/// 3, term 1) is overwritten by a leader of term 2 whose log holds a no-op at 3 and the same
/// configuration {1, 2} at 4, with index 3 committed. The configuration is the same, but its
/// entry is now at 4, which is not committed: 3 may still campaign, and does on a timeout.
#[test]
fn the_same_configuration_at_a_later_index_is_a_new_entry_4_1_4_2_2() {
    let mut node = removed_at_3();
    let entries = vec![
        raftlab_raft::Entry {
            term: 2,
            command: Command::Noop,
        },
        raftlab_raft::Entry {
            term: 2,
            command: Command::Config(raftlab_raft::Membership::new(&[1, 2], &[])),
        },
    ];
    let mut ready = Ready::default();
    node.step(1_000, append_after_2(entries, 3), &mut ready);
    assert_eq!(node.last_index(), 4);
    assert_eq!(node.membership().voters, vec![1, 2]);
    assert_eq!((node.membership_index(), node.commit_index()), (4, 3));
    assert!(node.may_campaign());
    let mut ready = Ready::default();
    node.step(1_000_000, Input::Timeout, &mut ready);
    assert_eq!((node.role(), node.term()), (Role::Candidate, 3));
}

/// Thesis 4.1: a configuration takes effect when its entry reaches the log, and a change is
/// reported (`Event::Membership`) only when the configuration in effect changes. Here 3's
/// entry of {1, 2} at index 3 (term 1) is overwritten by the same configuration at the same
/// index in term 2: the entry is new, but the configuration and its index are as before, so
/// no change is reported.
#[test]
fn an_overwritten_configuration_replaced_by_the_same_one_is_no_change_4_1() {
    let mut node = removed_at_3();
    let entries = vec![raftlab_raft::Entry {
        term: 2,
        command: Command::Config(raftlab_raft::Membership::new(&[1, 2], &[])),
    }];
    let mut ready = Ready::default();
    node.step(1_000, append_after_2(entries, 0), &mut ready);
    assert!(
        ready.events.contains(&Event::Truncate { from: 3 }),
        "{ready:?}"
    );
    assert_eq!(node.term_at(3), Some(2));
    assert_eq!(
        (node.membership_index(), node.membership().voters.clone()),
        (3, vec![1, 2])
    );
    assert!(
        !ready
            .events
            .iter()
            .any(|e| matches!(e, Event::Membership { .. })),
        "{ready:?}"
    );
}

/// Figure 2 (Leaders: nextIndex "initialized to leader last log index + 1") and thesis 4.1:
/// a server added to the cluster is a new follower for the leader, which assumes nothing of
/// its log. In the step that appends the configuration adding 4, the leader sends 4 an
/// AppendEntries after its last entry (the configuration entry itself) with no entries; the
/// new server's refusal walks nextIndex back (5.3) and it then catches up.
#[test]
fn a_new_server_starts_with_next_index_after_the_leaders_log_figure_2_4_1() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    c.add_node(4);
    let ready = c.step(
        1,
        Input::ChangeMembership(raftlab_raft::MembershipChange::Add(4)),
    );
    let last = c.node(1).last_index();
    assert!(matches!(
        c.node(1).entry(last).map(|e| &e.command),
        Some(Command::Config(_))
    ));
    let to_4: Vec<(u64, usize)> = ready
        .messages
        .iter()
        .filter_map(|m| match &m.body {
            Body::AppendEntries {
                prev_log_index,
                entries,
                ..
            } if m.to == 4 => Some((*prev_log_index, entries.len())),
            _ => None,
        })
        .collect();
    assert_eq!(to_4, vec![(last, 0)]);
    c.deliver_all();
    c.heartbeat();
    assert_eq!(c.node(4).last_index(), c.node(1).last_index());
}

/// 5.1: "a typical Raft cluster contains five servers; this allows the system to tolerate
/// two failures": with 2f + 1 voters (or 2f + 2) a majority survives f failures. Learners
/// count for nothing (thesis 4.2.1).
#[test]
fn a_configuration_tolerates_a_minority_of_failures_5_1() {
    let tolerates = |voters: u32| {
        let ids: Vec<NodeId> = (1..=voters).collect();
        raftlab_raft::Membership::new(&ids, &[voters + 1]).tolerates()
    };
    let counts: Vec<usize> = (1..=7).map(tolerates).collect();
    assert_eq!(counts, vec![0, 0, 1, 1, 2, 2, 3]);
    assert_eq!(raftlab_raft::Membership::default().tolerates(), 0);
}

// ---------------------------------------------------------------------------------------
// Names in the trace contract (docs/trace-format.md)
// ---------------------------------------------------------------------------------------

/// The names traces, scenarios and the page use for roles (Figure 4), RPCs (Figure 2, Figure
/// 13, thesis 3.10 and 9.6), read modes (thesis 6.4) and commands are a contract
/// (`docs/trace-format.md`): they are extended, never renamed.
#[test]
fn trace_names_are_the_documented_ones() {
    let roles: Vec<&str> = [
        Role::Follower,
        Role::Candidate,
        Role::PreCandidate,
        Role::Leader,
    ]
    .into_iter()
    .map(Role::as_str)
    .collect();
    assert_eq!(roles, ["follower", "candidate", "precandidate", "leader"]);
    let modes: Vec<&str> = ReadMode::ALL.into_iter().map(ReadMode::as_str).collect();
    assert_eq!(modes, ["any", "leader_local", "read_index", "lease"]);
    let config = raftlab_raft::Membership::new(&[1, 2, 3], &[4]);
    let bodies = [
        Body::RequestVote {
            last_log_index: 0,
            last_log_term: 0,
            transfer: false,
        },
        Body::RequestVoteReply { granted: true },
        Body::AppendEntries {
            prev_log_index: 0,
            prev_log_term: 0,
            entries: vec![],
            leader_commit: 0,
            stamp: 0,
        },
        Body::AppendEntriesReply {
            success: true,
            match_index: 0,
            conflict_index: 0,
            conflict_term: None,
            stamp: 0,
        },
        Body::PreVote {
            last_log_index: 0,
            last_log_term: 0,
        },
        Body::PreVoteReply { granted: true },
        Body::TimeoutNow,
        Body::InstallSnapshot {
            last_included_index: 0,
            last_included_term: 0,
            data: Default::default(),
            config: config.clone(),
        },
        Body::InstallSnapshotReply {
            last_included_index: 0,
        },
    ];
    let names: Vec<&str> = bodies.iter().map(Body::type_name).collect();
    assert_eq!(
        names,
        [
            "RequestVote",
            "RequestVoteReply",
            "AppendEntries",
            "AppendEntriesReply",
            "PreVote",
            "PreVoteReply",
            "TimeoutNow",
            "InstallSnapshot",
            "InstallSnapshotReply"
        ]
    );
    let commands = [
        Command::Noop,
        set("x", "2"),
        raftlab_raft::Command::Delete {
            key: "x".to_string(),
        },
        Command::Config(config),
    ];
    let texts: Vec<String> = commands.iter().map(|c| c.to_string()).collect();
    assert_eq!(
        texts,
        [
            "noop",
            "set x=2",
            "delete x",
            "config voters=1,2,3 learners=4"
        ]
    );
}

/// 5.2: only a leader runs a heartbeat timer: right after a round of heartbeats at `t` its
/// next one is due at `t` plus the heartbeat interval, and that is its next deadline; a
/// follower has none (`Micros::MAX`), and a leader that steps down stops it.
#[test]
fn only_a_leader_runs_a_heartbeat_timer_5_2() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    let t = c.now;
    assert_eq!(c.node(1).heartbeat_deadline(), t + 50_000);
    assert_eq!(c.node(1).next_deadline(), t + 50_000);
    assert_eq!(c.node(2).heartbeat_deadline(), Micros::MAX);
    c.elect(2);
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.node(1).heartbeat_deadline(), Micros::MAX);
    assert_eq!(c.node(2).heartbeat_deadline(), c.now + 50_000);
}

/// One `Ready` is reused across steps (the simulator does): [`Ready::clear`] empties it, so
/// what one step asked for (persist, send, reply, report) is not done again after the next.
#[test]
fn a_cleared_ready_asks_for_nothing() {
    let mut node = Node::new(1, &[1, 2, 3], Config::default(), 3, 0);
    let mut ready = Ready::default();
    node.step(1_000_000, Input::Timeout, &mut ready);
    node.step(
        1_000_001,
        Input::ClientWrite {
            request: 1,
            command: set("x", "1"),
        },
        &mut ready,
    );
    assert!(ready.persist && !ready.messages.is_empty());
    assert!(!ready.events.is_empty() && !ready.replies.is_empty());
    ready.clear();
    assert!(!ready.persist);
    assert!(ready.messages.is_empty() && ready.replies.is_empty() && ready.events.is_empty());
}

/// Flexible Paxos (Howard et al. 2016) and thesis 6.2: with an election quorum Q1 smaller
/// than a majority, a leader confirms that it still leads only by hearing from enough
/// servers that every election quorum includes one of them: `voters - Q1 + 1`, even where
/// that is more than its commit quorum Q2. With 5 voters, Q1 = 2 and Q2 = 2 the leader needs 4
/// (itself and 3 followers): cut off from 2 followers, it hears from 3 and steps down under
/// CheckQuorum, because the 2 servers it lost could elect a newer leader by themselves.
#[test]
fn check_quorum_with_a_small_election_quorum_needs_voters_minus_q1_plus_one_flexible_paxos() {
    let config = Config {
        check_quorum: true,
        election_quorum: 2,
        commit_quorum: 2,
        ..Config::default()
    };
    let mut c = Cluster::new(5, config);
    c.now = config.election_timeout_us.0;
    c.elect(1);
    assert_eq!(c.node(1).vote_quorum(), 2);
    assert_eq!(c.node(1).commit_quorum(), 2);
    c.heartbeat();
    c.partition(&[1, 2, 3], &[4, 5]);
    // Followers 2 and 3 answer every heartbeat; 4 and 5 hear nothing.
    let h = c.now;
    let mut stepped_down = false;
    for k in 1..=4 {
        c.now = h + k * config.heartbeat_us;
        let ready = c.tick(1);
        stepped_down |= ready
            .events
            .iter()
            .any(|e| matches!(e, Event::StepDown { .. }));
        c.deliver_all();
        if stepped_down {
            break;
        }
    }
    assert!(
        stepped_down,
        "a leader that hears from 3 of the 4 it needs must step down"
    );
    assert_eq!(c.node(1).role(), Role::Follower);
}

/// The same cluster with 4 of 5 in touch: the leader hears from the 4 it needs and keeps
/// leading through several election timeouts.
#[test]
fn check_quorum_with_a_small_election_quorum_keeps_a_leader_that_hears_enough_flexible_paxos() {
    let config = Config {
        check_quorum: true,
        election_quorum: 2,
        commit_quorum: 2,
        ..Config::default()
    };
    let mut c = Cluster::new(5, config);
    c.now = config.election_timeout_us.0;
    c.elect(1);
    c.heartbeat();
    c.isolate(5);
    let h = c.now;
    for k in 1..=8 {
        c.now = h + k * config.heartbeat_us;
        c.tick(1);
        c.deliver_all();
        assert_eq!(c.node(1).role(), Role::Leader, "at h + {k} heartbeats");
    }
}

/// A leader's peers (section 5.3: whom it replicates to) are the other members of the
/// configuration, in order, never itself.
#[test]
fn peers_are_the_other_members() {
    for (id, members, peers) in [
        (1, &[1, 2, 3][..], &[2, 3][..]),
        (2, &[1, 2, 3, 4, 5][..], &[1, 3, 4, 5][..]),
        (1, &[1][..], &[][..]),
    ] {
        let node = Node::new(id, members, Config::default(), 3, 0);
        assert_eq!(node.peers(), peers, "S{id} of {members:?}");
    }
}
