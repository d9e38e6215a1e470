//! Behaviour that mutation testing (`cargo mutants` on `crates/raft`) showed no other test
//! pinned down: each test asserts a rule of the paper ("In Search of an Understandable
//! Consensus Algorithm", Ongaro and Ousterhout, 2014) or of Ongaro's thesis (2014), and fails
//! if the core's code for that rule is changed or removed.

mod common;

use common::{set, state, Cluster};
use raftlab_raft::{Body, Config, Event, Input, Message, Micros, Node, NodeId, Ready, Role, Term};

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
