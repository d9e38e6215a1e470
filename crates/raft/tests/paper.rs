//! The "paper tests": scenarios of "In Search of an Understandable Consensus Algorithm"
//! (Ongaro and Ousterhout, 2014) replayed on the Raft core through a tiny deterministic
//! harness (`common::Cluster`). Each test names the section or figure it reproduces.

mod common;

use common::{delete, log_of_terms, set, state, terms_of, Cluster};
use raftlab_raft::{
    Body, Bugs, ClientReply, ClientResult, Command, Config, Entry, Event, Index, Input, Message,
    Node, NodeId, Persistent, Ready, Role, Term,
};

fn noop(term: Term) -> Entry {
    Entry {
        term,
        command: Command::Noop,
    }
}

fn vote_events(cluster: &Cluster, id: NodeId) -> Vec<(NodeId, Term)> {
    cluster
        .events(id)
        .iter()
        .filter_map(|event| match event {
            Event::Vote { candidate, term } => Some((*candidate, *term)),
            _ => None,
        })
        .collect()
}

fn truncations(cluster: &Cluster, id: NodeId) -> Vec<Index> {
    cluster
        .events(id)
        .iter()
        .filter_map(|event| match event {
            Event::Truncate { from } => Some(*from),
            _ => None,
        })
        .collect()
}

fn applied(cluster: &Cluster, id: NodeId) -> Vec<(Index, Term)> {
    cluster
        .events(id)
        .iter()
        .filter_map(|event| match event {
            Event::Apply { index, term, .. } => Some((*index, *term)),
            _ => None,
        })
        .collect()
}

fn has_ok(replies: &[ClientReply], request: u64) -> bool {
    replies
        .iter()
        .any(|reply| reply.request == request && reply.result == ClientResult::Ok)
}

// ---------------------------------------------------------------------------------------
// 5.2 Leader election
// ---------------------------------------------------------------------------------------

/// 5.2: a server whose election timeout fires becomes candidate in term 1, and with every
/// message delivered it wins in one round with the votes of a majority; every other server
/// follows it in term 1. Run with 3 and 5 servers, started from the first and the last one.
#[test]
fn election_in_one_round_5_2() {
    for n in [3u32, 5] {
        for starter in [1, n] {
            let mut c = Cluster::new(n, Config::default());
            c.timeout(starter);
            let candidate = c.node(starter);
            assert_eq!(candidate.role(), Role::Candidate);
            assert_eq!(candidate.term(), 1);
            assert_eq!(candidate.voted_for(), Some(starter));
            // Figure 2, Candidates: RequestVote to all other servers.
            assert_eq!(c.queue.len(), n as usize - 1);
            for m in &c.queue {
                assert_eq!(m.from, starter);
                assert_eq!(m.term, 1);
                assert_eq!(
                    m.body,
                    Body::RequestVote {
                        last_log_index: 0,
                        last_log_term: 0,
                        transfer: false,
                    }
                );
            }

            c.deliver_all();

            assert_eq!(c.leaders(), vec![starter], "n={n}");
            let leader = c.node(starter);
            assert_eq!(leader.term(), 1);
            assert_eq!(leader.leader(), Some(starter));
            assert_eq!(c.leader_terms(starter), vec![1]);
            // It became leader on the vote that made a majority, its own included.
            assert_eq!(leader.votes().len(), c.quorum(), "n={n}");
            let granted = c
                .delivered_where(|m| {
                    m.to == starter && m.body == Body::RequestVoteReply { granted: true }
                })
                .len();
            assert_eq!(granted, n as usize - 1, "every voter granted");
            // Section 8: its first entry is a no-op of its term.
            assert_eq!(leader.log(), &[noop(1)]);

            for id in 1..=n {
                assert_eq!(vote_events(&c, id), vec![(starter, 1)], "node {id}");
                if id == starter {
                    continue;
                }
                let follower = c.node(id);
                assert_eq!(follower.role(), Role::Follower, "node {id}");
                assert_eq!(follower.term(), 1, "node {id}");
                assert_eq!(follower.leader(), Some(starter), "node {id}");
                assert_eq!(follower.voted_for(), Some(starter), "node {id}");
                assert_eq!(follower.log(), &[noop(1)], "node {id}");
            }
            // The no-op is on everyone, so it is committed.
            assert_eq!(c.node(starter).commit_index(), 1);
        }
    }
}

/// 5.2: a split vote. Two candidates of the same term each collect fewer votes than a
/// majority (links are cut so each reaches only part of the voters), so nobody leads term 1.
/// Their randomized election timeouts then expire at different times (time advances through
/// `Input::Tick` at `next_deadline()`), and exactly one leader emerges in a later term.
/// Run with 4 servers and with 5, over several seeds.
#[test]
fn split_vote_resolves_5_2() {
    for n in [4u32, 5] {
        for seed in 0..16 {
            let mut c = Cluster::with_seed(n, Config::default(), seed);
            // Candidate 1 reaches 3, candidate 2 reaches 4; with 5 servers, 5 reaches nobody.
            c.cut(1, 4);
            c.cut(2, 3);
            if n == 5 {
                c.isolate(5);
            }
            c.timeout(1);
            c.timeout(2);
            c.deliver_all();

            for candidate in [1, 2] {
                let node = c.node(candidate);
                assert_eq!(node.role(), Role::Candidate, "n={n} seed={seed}");
                assert_eq!(node.term(), 1);
                assert_eq!(node.votes().len(), 2, "n={n} seed={seed}");
                assert!(node.votes().len() < c.quorum());
            }
            assert_eq!(c.node(3).voted_for(), Some(1));
            assert_eq!(c.node(4).voted_for(), Some(2));
            assert!(c.leaders().is_empty());

            c.heal();
            assert!(
                c.run_until(3_000_000, |c| !c.leaders().is_empty()),
                "no leader after 3 s, n={n} seed={seed}"
            );
            assert_eq!(c.leaders().len(), 1, "n={n} seed={seed}");
            let leader = c.leader();
            let term = c.node(leader).term();
            assert!(term >= 2, "n={n} seed={seed}: leader in term {term}");

            // Let the cluster settle: the leader keeps its place and everyone follows it.
            c.run_for(1_000_000);
            assert_eq!(c.leaders(), vec![leader], "n={n} seed={seed}");
            for id in 1..=n {
                assert_eq!(c.node(id).term(), term, "n={n} seed={seed} node {id}");
                assert_eq!(c.node(id).leader(), Some(leader));
                // Nobody ever led term 1, and at most one server led any term.
                assert!(!c.leader_terms(id).contains(&1), "node {id} led term 1");
            }
            let mut all: Vec<Term> = (1..=n).flat_map(|id| c.leader_terms(id)).collect();
            let before = all.len();
            all.sort_unstable();
            all.dedup();
            assert_eq!(all.len(), before, "two leaders in one term");
        }
    }
}

/// 5.2: "If the leader's term is at least as large as the candidate's current term, then the
/// candidate recognizes the leader as legitimate and returns to follower state." Two
/// candidates in term 1; 1 wins (with 3's vote); 2, still a candidate of term 1, steps down
/// on 1's AppendEntries of term 1 without changing its term.
#[test]
fn candidate_steps_down_on_append_of_its_term_5_2() {
    let mut c = Cluster::new(3, Config::default());
    c.cut(2, 3);
    c.timeout(1);
    c.timeout(2);
    assert!(c.deliver_until(|c| c.node(1).role() == Role::Leader));
    assert_eq!(c.node(1).term(), 1);
    let candidate = c.node(2);
    assert_eq!(candidate.role(), Role::Candidate);
    assert_eq!(candidate.term(), 1);
    assert_eq!(candidate.leader(), None);
    let before = c.events(2).len();

    // Deliver up to and including 1's first AppendEntries to 2.
    assert!(c.deliver_until(|c| {
        c.delivered.last().is_some_and(|m| {
            m.from == 1 && m.to == 2 && matches!(m.body, Body::AppendEntries { .. })
        })
    }));
    let node = c.node(2);
    assert_eq!(node.role(), Role::Follower);
    assert_eq!(node.term(), 1, "the candidate keeps its term");
    assert_eq!(node.leader(), Some(1));
    assert_eq!(node.voted_for(), Some(2), "its vote of term 1 stands");
    assert_eq!(
        c.events(2)[before],
        Event::BecomeFollower { term: 1 },
        "the step-down is the first thing it does"
    );
    // It accepted the entries of that AppendEntries (the leader's no-op).
    assert_eq!(node.log(), &[noop(1)]);

    c.deliver_all();
    assert_eq!(c.leaders(), vec![1]);
    assert_eq!(c.leader_terms(2), Vec::<Term>::new());
}

// ---------------------------------------------------------------------------------------
// 5.4.1 Election restriction
// ---------------------------------------------------------------------------------------

/// Step a lone voter with a RequestVote, 1 ms after its election timer last started, and
/// return whether it granted.
fn ask_vote(
    voter: &mut Node,
    candidate: NodeId,
    term: Term,
    last_index: Index,
    last_term: Term,
) -> (bool, Ready) {
    let mut ready = Ready::default();
    // Each request arrives 1 ms after the voter's election timer last started.
    let now = voter.election_timer().0 + 1_000;
    voter.step(
        now,
        Input::Message(Message {
            from: candidate,
            to: voter.id(),
            term,
            body: Body::RequestVote {
                last_log_index: last_index,
                last_log_term: last_term,
                transfer: false,
            },
        }),
        &mut ready,
    );
    let replies: Vec<&Message> = ready
        .messages
        .iter()
        .filter(|m| m.to == candidate)
        .collect();
    assert_eq!(replies.len(), 1, "exactly one reply to the candidate");
    assert_eq!(
        replies[0].term,
        voter.term(),
        "the reply carries the voter's term"
    );
    let granted = match replies[0].body {
        Body::RequestVoteReply { granted } => granted,
        ref other => panic!("unexpected reply {other:?}"),
    };
    (granted, ready)
}

fn voter(mut persistent: Persistent, bugs: Bugs) -> Node {
    let config = Config {
        bugs,
        ..Config::default()
    };
    persistent.snapshot.config = raftlab_raft::Membership::new(&[1, 2, 3, 4, 5], &[]);
    Node::recover(1, config, persistent, 1, 0)
}

/// 5.4.1: a voter refuses a candidate whose log is less up to date than its own: a lower
/// last term (even with a longer log), or an equal last term with a shorter log. It grants
/// to a candidate exactly as up to date, or with a higher last term (even with a shorter
/// log). It grants at most one vote per term (Figure 2), and refuses a stale term.
#[test]
fn voter_refuses_less_up_to_date_candidate_5_4_1() {
    let bugs = Bugs::default();

    // Lower last term, longer log: refused. The voter still moves to the candidate's term.
    let mut v = voter(state(2, None, &[1, 2]), bugs);
    let (granted, ready) = ask_vote(&mut v, 2, 3, 3, 1);
    assert!(!granted, "lower last term must be refused");
    assert_eq!(
        v.election_timer().0,
        0,
        "a refusal does not reset the election timer"
    );
    assert_eq!(v.term(), 3);
    assert_eq!(v.voted_for(), None);
    assert!(!ready.events.iter().any(|e| matches!(e, Event::Vote { .. })));

    // Equal last term, shorter log: refused.
    let mut v = voter(state(1, None, &[1, 1, 1]), bugs);
    let (granted, _) = ask_vote(&mut v, 2, 2, 2, 1);
    assert!(!granted, "equal last term and shorter log must be refused");
    assert_eq!(v.voted_for(), None);

    // Equal last term, equal length: granted.
    let mut v = voter(state(1, None, &[1, 1, 1]), bugs);
    let (granted, ready) = ask_vote(&mut v, 2, 2, 3, 1);
    assert!(granted, "an equally up-to-date candidate gets the vote");
    assert_eq!(v.voted_for(), Some(2));
    assert_eq!(
        v.election_timer().0,
        1_000,
        "granting resets the election timer (Figure 2)"
    );
    assert!(
        ready.persist,
        "the vote is persisted before the reply is sent"
    );
    assert!(ready.events.contains(&Event::Vote {
        candidate: 2,
        term: 2
    }));

    // One vote per term: another candidate of term 2, even with a better log, is refused;
    // the same candidate asking again (a retransmission) is granted again.
    let (granted, _) = ask_vote(&mut v, 3, 2, 9, 2);
    assert!(!granted, "second vote in the same term");
    assert_eq!(v.voted_for(), Some(2));
    let (granted, _) = ask_vote(&mut v, 2, 2, 3, 1);
    assert!(granted, "a repeated request from the same candidate");
    // A new term frees the vote.
    let (granted, _) = ask_vote(&mut v, 3, 3, 9, 2);
    assert!(granted, "new term, new vote");
    assert_eq!(v.voted_for(), Some(3));
    // A stale term is refused outright.
    let (granted, _) = ask_vote(&mut v, 4, 2, 9, 2);
    assert!(!granted, "stale term");
    assert_eq!(v.term(), 3);

    // Higher last term, shorter log: granted.
    let mut v = voter(state(2, None, &[1, 1, 1, 1]), bugs);
    let (granted, _) = ask_vote(&mut v, 2, 3, 2, 2);
    assert!(granted, "a higher last term wins over a longer log");

    // The check matters: with it switched off the lower-last-term candidate wins the vote.
    let mut v = voter(
        state(2, None, &[1, 2]),
        Bugs {
            skip_vote_log_check: true,
            ..Bugs::default()
        },
    );
    let (granted, _) = ask_vote(&mut v, 2, 3, 3, 1);
    assert!(
        granted,
        "with skip_vote_log_check the stale candidate is granted"
    );

    // In a whole cluster: a server missing an entry the others hold cannot be elected.
    let mut c = Cluster::from_states(
        Config::default(),
        vec![
            state(1, None, &[1]),
            state(1, None, &[1, 1]),
            state(1, None, &[1, 1]),
        ],
        0,
    );
    c.timeout(1);
    c.deliver_all();
    assert_eq!(c.node(1).role(), Role::Candidate);
    assert_eq!(c.node(1).votes(), &[1]);
    assert_eq!(c.node(2).voted_for(), None);
    assert_eq!(c.node(3).voted_for(), None);
    // A server with the longest log wins, and repairs the short one.
    c.elect(2);
    c.heartbeat();
    c.assert_all_logs_equal(&[log_of_terms(&[1, 1]), vec![noop(3)]].concat());
}

// ---------------------------------------------------------------------------------------
// 5.3 Log replication: Figure 7
// ---------------------------------------------------------------------------------------

/// Figure 7: the leader of term 8 has the terms `1 1 1 4 4 5 5 6 6 6`; each follower log
/// (a)-(f) is repaired to equal the leader's (plus the leader's term-8 no-op). Cluster of
/// three: the leader (persistent term 7, so its election lands in term 8), the follower
/// under test, and a third server with the leader's log, whose vote lets the leader win even
/// when the follower refuses (c, d). With the conflict hint of 5.3 the repair costs at most
/// two refused AppendEntries per follower; without it, stepping back one index per refusal,
/// (b), (e) and (f) would need 6, 6 and 7.
#[test]
fn figure_7_leader_repairs_follower_logs_5_3() {
    const LEADER: &[Term] = &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6];
    struct Case {
        name: &'static str,
        follower: &'static [Term],
        /// (conflict_index, conflict_term) of each refusal, in order.
        refusals: &'static [(Index, Option<Term>)],
        /// `prev_log_index` of the first AppendEntries the follower accepts.
        repaired_at: Index,
        truncated_from: Option<Index>,
    }
    let cases = [
        Case {
            name: "a",
            follower: &[1, 1, 1, 4, 4, 5, 5, 6, 6],
            refusals: &[(10, None)],
            repaired_at: 9,
            truncated_from: None,
        },
        Case {
            name: "b",
            follower: &[1, 1, 1, 4, 4],
            refusals: &[(6, None)],
            repaired_at: 5,
            truncated_from: None,
        },
        Case {
            name: "c",
            follower: &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 6],
            refusals: &[],
            repaired_at: 10,
            truncated_from: Some(11),
        },
        Case {
            name: "d",
            follower: &[1, 1, 1, 4, 4, 5, 5, 6, 6, 6, 7, 7],
            refusals: &[],
            repaired_at: 10,
            truncated_from: Some(11),
        },
        Case {
            name: "e",
            follower: &[1, 1, 1, 4, 4, 4, 4],
            refusals: &[(8, None), (4, Some(4))],
            repaired_at: 5,
            truncated_from: Some(6),
        },
        Case {
            name: "f",
            follower: &[1, 1, 1, 2, 2, 2, 3, 3, 3, 3, 3],
            refusals: &[(7, Some(3)), (4, Some(2))],
            repaired_at: 3,
            truncated_from: Some(4),
        },
    ];
    let expected: Vec<Entry> = [log_of_terms(LEADER), vec![noop(8)]].concat();

    // Whole batches, then one entry per AppendEntries (so that commit information reaches
    // the follower while its log is still being repaired).
    for (case, max_entries) in cases.iter().flat_map(|case| [(case, 64), (case, 1)]) {
        let name = format!("{} max_entries={max_entries}", case.name);
        let config = Config {
            max_entries_per_message: max_entries,
            ..Config::default()
        };
        let mut c = Cluster::from_states(
            config,
            vec![
                state(7, None, LEADER),
                state(7, None, case.follower),
                state(7, None, LEADER),
            ],
            0,
        );
        let term = c.elect(1);
        assert_eq!(term, 8, "({name})");
        c.heartbeat();

        assert_eq!(
            c.node(1).log(),
            &expected[..],
            "({name}) the leader never changes its log"
        );
        assert_eq!(
            terms_of(c.node(2).log()),
            terms_of(&expected),
            "({name}) follower log"
        );
        assert_eq!(c.node(2).log(), &expected[..], "({name}) follower entries");

        let hints: Vec<(Index, Option<Term>)> = c
            .delivered_where(|m| m.from == 2 && m.to == 1)
            .into_iter()
            .filter_map(|m| match m.body {
                Body::AppendEntriesReply {
                    success: false,
                    conflict_index,
                    conflict_term,
                    ..
                } => Some((conflict_index, conflict_term)),
                _ => None,
            })
            .collect();
        assert_eq!(hints, case.refusals, "({name}) refusals and their hints");
        let prevs: Vec<Index> = c
            .delivered_where(|m| m.from == 1 && m.to == 2)
            .into_iter()
            .filter_map(|m| match m.body {
                Body::AppendEntries { prev_log_index, .. } => Some(prev_log_index),
                _ => None,
            })
            .collect();
        assert_eq!(
            prevs[0], 10,
            "({name}) nextIndex starts after the leader's log"
        );
        assert_eq!(
            prevs[case.refusals.len()],
            case.repaired_at,
            "({name}) where the logs were found to match"
        );
        assert!(
            c.append_refusals(2, 1) <= 2,
            "({name}) too many round trips"
        );
        assert_eq!(
            truncations(&c, 2),
            case.truncated_from.into_iter().collect::<Vec<_>>(),
            "({name}) truncation"
        );
        assert_eq!(
            c.append_refusals(3, 1),
            0,
            "({name}) the third server matched at once"
        );

        // Everything up to the no-op is committed and applied everywhere.
        for id in 1..=3 {
            assert_eq!(c.node(id).commit_index(), 11, "({name}) node {id}");
            assert_eq!(c.node(id).last_applied(), 11, "({name}) node {id}");
            assert_eq!(c.node(id).kv(), c.node(1).kv(), "({name}) node {id}");
        }
        let progress = c.node(1).progress().iter().find(|p| p.id == 2).copied();
        let progress = progress.expect("progress of follower 2");
        assert_eq!(
            (progress.match_index, progress.next_index),
            (11, 12),
            "({name})"
        );
    }
}

// ---------------------------------------------------------------------------------------
// 5.4.2 Committing entries from previous terms: Figure 8
// ---------------------------------------------------------------------------------------

/// Stage Figure 8 up to (c): S1 leads term 4 and has its term-2 entry at index 2 on a
/// majority (S1, S3, S4; S2 holds it too but is cut off from S1), while its term-4 entry at
/// index 3 (its no-op; a client write when the bug mode skips the no-op) is still in flight
/// to S3 and S4. S5 is down. Every AppendEntries carries at most
/// one entry, so the old entry and the new one travel separately.
///
/// While staging, checks at every delivery that S1 commits nothing before its term-4 entry
/// is on a majority, unless the `commit_previous_term` bug is on.
fn figure_8_up_to_c(bugs: Bugs) -> Cluster {
    let config = Config {
        max_entries_per_message: 1,
        bugs,
        ..Config::default()
    };
    // After (b): S1 (term 2) crashed holding [1, 2]; S2 got index 2 from it; S5 was elected
    // for term 3 by S3, S4 and itself and took a term-3 entry at index 2.
    let mut c = Cluster::from_states(
        config,
        vec![
            state(2, Some(1), &[1, 2]),
            state(2, Some(1), &[1, 2]),
            state(3, Some(5), &[1]),
            state(3, Some(5), &[1]),
            state(3, Some(5), &[1, 3]),
        ],
        8,
    );
    // (c): S5 crashes; S1 restarts. Its first election (term 3) fails: S3 and S4 already
    // voted for S5 in term 3 and S5 is down.
    c.crash(5);
    c.timeout(1);
    c.deliver_all();
    assert_eq!(c.node(1).term(), 3);
    assert_eq!(c.node(1).role(), Role::Candidate);
    assert_eq!(c.node(1).votes(), &[1, 2]);
    // Its second election (term 4) succeeds.
    c.timeout(1);
    assert!(c.deliver_until(|c| c.node(1).role() == Role::Leader));
    assert_eq!(c.node(1).term(), 4);
    if bugs.commit_previous_term {
        // With this bug the core also skips the new leader's no-op (as the figure's leaders
        // do); a client write supplies the term-4 entry at index 3 that (c) shows.
        assert_eq!(terms_of(c.node(1).log()), vec![1, 2]);
        c.client_write(1, 1, set("k3", "t4"));
    }
    assert_eq!(terms_of(c.node(1).log()), vec![1, 2, 4]);
    c.cut(1, 2);

    // S1 copies index 2 to S3 and S4 (after one refusal each), one entry per message.
    let buggy = bugs.commit_previous_term;
    let reached = c.deliver_until(|c| {
        let s1 = c.node(1);
        let on_majority = |index: Index| {
            let holders = s1
                .progress()
                .iter()
                .filter(|p| p.match_index >= index)
                .count();
            holders + 1 >= c.quorum()
        };
        if !buggy && !on_majority(3) {
            assert_eq!(
                s1.commit_index(),
                0,
                "S1 committed before a term-4 entry is on a majority"
            );
        }
        on_majority(2)
    });
    assert!(reached, "index 2 never reached a majority");
    assert_eq!(terms_of(c.node(3).log()), vec![1, 2]);
    assert_eq!(terms_of(c.node(4).log()), vec![1, 2]);
    c
}

/// Figure 8 (c) and (d2), 5.4.2: S1, leader of term 4, has its term-2 entry at index 2 on
/// a majority but must not commit it by counting replicas; once its term-4 entry at index 3
/// is on a majority, indexes 2 and 3 commit together, and S5 can no longer be elected.
#[test]
fn figure_8_old_term_entry_commits_only_with_current_term_entry_5_4_2() {
    let mut c = figure_8_up_to_c(Bugs::default());
    // (c): on a majority, not committed.
    assert_eq!(c.node(1).commit_index(), 0);
    assert!(!c
        .events(1)
        .iter()
        .any(|e| matches!(e, Event::Commit { .. })));
    // The term-4 no-op to S3 and S4 is in flight.
    assert!(c.queue.iter().any(|m| m.to == 3 || m.to == 4));

    // (d2): the term-4 entry reaches S3 and S4, a majority with S1.
    c.deliver_all();
    assert_eq!(terms_of(c.node(3).log()), vec![1, 2, 4]);
    assert_eq!(terms_of(c.node(4).log()), vec![1, 2, 4]);
    assert_eq!(c.node(1).commit_index(), 3);
    let commits: Vec<&Event> = c
        .events(1)
        .iter()
        .filter(|e| matches!(e, Event::Commit { .. }))
        .collect();
    assert_eq!(
        commits,
        vec![&Event::Commit { index: 3 }],
        "2 and 3 commit in one step"
    );
    assert_eq!(applied(&c, 1), vec![(1, 1), (2, 2), (3, 4)]);
    c.heartbeat();
    assert_eq!(c.node(3).commit_index(), 3);
    assert_eq!(c.node(4).commit_index(), 3);

    // Now S1 crashes and S5 comes back: S3 and S4 refuse it (their last term 4 beats its 3),
    // so it cannot gather a majority in any term, and index 2 keeps its term-2 entry.
    c.crash(1);
    c.drop_in_flight();
    c.restart(5);
    for _ in 0..3 {
        c.timeout(5);
        c.deliver_all();
        assert_ne!(c.node(5).role(), Role::Leader);
        assert!(c.node(5).votes().len() < c.quorum());
    }
    for id in 2..=4 {
        assert_eq!(c.node(id).term_at(2), Some(2), "node {id}");
    }
}

/// Figure 8 (c) and (d1) with the `commit_previous_term` bug: S1 commits its term-2 entry
/// as soon as it is on a majority, applies it, crashes; S5 is then elected by S2, S3, S4 and
/// overwrites index 2 with its term-3 entry, which every other server applies: two servers
/// applied different entries at index 2 (State Machine Safety broken). This is why the
/// rule of 5.4.2 matters.
#[test]
fn figure_8_bug_commit_previous_term_loses_a_committed_entry_5_4_2() {
    let mut c = figure_8_up_to_c(Bugs {
        commit_previous_term: true,
        ..Bugs::default()
    });
    // (c) with the bug: committed early, before any term-4 entry is on a majority.
    assert_eq!(c.node(1).commit_index(), 2);
    assert_eq!(applied(&c, 1), vec![(1, 1), (2, 2)]);
    assert_eq!(terms_of(c.node(3).log()), vec![1, 2]);

    // (d1): S1 crashes before its term-4 entry leaves; S5 restarts.
    c.crash(1);
    c.drop_in_flight();
    c.restart(5);
    // Term 4: everyone already voted for S1. Term 5: S2, S3, S4 grant (last term 3 > 2).
    c.timeout(5);
    c.deliver_all();
    assert_eq!(c.node(5).role(), Role::Candidate);
    c.timeout(5);
    c.deliver_all();
    assert_eq!(c.node(5).role(), Role::Leader);
    assert_eq!(c.node(5).term(), 5);
    c.heartbeat();
    for id in 2..=5 {
        let log = terms_of(c.node(id).log());
        assert_eq!(log[..2], [1, 3], "node {id}: index 2 overwritten");
        assert!(c.node(id).commit_index() >= 2, "node {id}");
        assert!(
            applied(&c, id).contains(&(2, 3)),
            "node {id} applied the term-3 entry"
        );
    }
    // S1 applied (2, term 2), the others (2, term 3).
    assert!(applied(&c, 1).contains(&(2, 2)));
}

// ---------------------------------------------------------------------------------------
// 5.3 / 5.4: a leader in a minority
// ---------------------------------------------------------------------------------------

/// 5.3/5.4: a leader cut off with one follower (2 of 5) still appends client writes but can
/// never commit them. The majority elects a new leader in a higher term, which commits its
/// own write. After the partition heals the old leader steps down, its uncommitted entry is
/// removed from every log, and every server ends with the majority's log and state.
#[test]
fn minority_leader_cannot_commit_5_3() {
    let mut c = Cluster::with_seed(5, Config::default(), 3);
    c.elect(1);
    c.client_write(1, 1, set("x", "1"));
    c.deliver_all();
    c.heartbeat();
    assert!(has_ok(c.replies(1), 1));
    assert_eq!(
        c.commit_indexes().values().copied().collect::<Vec<_>>(),
        vec![2; 5]
    );

    c.partition(&[1, 2], &[3, 4, 5]);
    let ready = c.client_write(1, 2, set("y", "old"));
    assert!(ready.replies.is_empty());
    assert_eq!(
        c.node(1).last_index(),
        3,
        "the old leader appends the write"
    );
    let mark = c.events(1).len();

    // The majority side times out and elects a leader of a higher term.
    let elected = c.run_until(3_000_000, |c| {
        [3, 4, 5]
            .iter()
            .any(|&id| c.node(id).role() == Role::Leader)
    });
    assert!(elected, "the majority never elected a leader");
    let new = c.leader();
    assert!([3, 4, 5].contains(&new));
    let new_term = c.node(new).term();
    assert!(new_term > 1);
    c.client_write(new, 3, set("y", "new"));
    c.run_for(500_000);
    assert!(
        has_ok(c.replies(new), 3),
        "the majority leader commits its write"
    );

    // Meanwhile the old leader still believes it leads term 1, and commits nothing.
    assert_eq!(c.node(1).role(), Role::Leader);
    assert_eq!(c.node(1).term(), 1);
    assert_eq!(
        c.node(2).log(),
        c.node(1).log(),
        "its follower got the entry"
    );
    assert_eq!(c.node(1).commit_index(), 2);
    assert_eq!(c.node(2).commit_index(), 2);
    assert!(!c.events(1)[mark..]
        .iter()
        .any(|e| matches!(e, Event::Commit { .. })));
    assert!(!c.replies(1).iter().any(|r| r.request == 2));

    // Heal: the old leader learns the higher term and steps down, and is repaired.
    c.heal();
    c.run_for(500_000);
    c.heartbeat();
    assert_eq!(c.leaders(), vec![new]);
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.node(1).term(), new_term);
    assert_eq!(c.node(1).leader(), Some(new));
    assert!(c.events(1)[mark..].contains(&Event::BecomeFollower { term: new_term }));
    assert_eq!(truncations(&c, 1), vec![3]);
    assert_eq!(truncations(&c, 2), vec![3]);
    assert!(
        !c.replies(1).iter().any(|r| r.request == 2),
        "no reply for a lost write"
    );

    let log = c.node(new).log().to_vec();
    c.assert_all_logs_equal(&log);
    assert!(!log.contains(&Entry {
        term: 1,
        command: set("y", "old")
    }));
    assert!(log.iter().any(|e| e.command == set("y", "new")));
    for id in 1..=5 {
        let node = c.node(id);
        assert_eq!(node.commit_index(), log.len() as Index, "node {id}");
        assert_eq!(
            node.kv().get("y").map(String::as_str),
            Some("new"),
            "node {id}"
        );
        assert_eq!(
            node.kv().get("x").map(String::as_str),
            Some("1"),
            "node {id}"
        );
    }
}

// ---------------------------------------------------------------------------------------
// Figure 2: persistent state
// ---------------------------------------------------------------------------------------

/// Figure 2 ("Persistent state on all servers"): term, vote and log survive a crash and
/// restart; volatile state does not, so `commit_index` is 0 until a leader's AppendEntries
/// says more. A server that voted in term T and restarted refuses another candidate of T;
/// a server that forgot its vote would elect two leaders in one term.
#[test]
fn crash_and_restart_keep_persistent_state_figure_2() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.client_write(1, 1, set("a", "1"));
    c.deliver_all();
    c.heartbeat();
    assert_eq!(c.node(2).commit_index(), 2);
    assert_eq!(c.node(2).kv().get("a").map(String::as_str), Some("1"));
    let before = c.node(2).persistent().clone();

    let disk = c.crash(2);
    assert_eq!(disk, before);
    assert_eq!(disk.current_term, 1);
    assert_eq!(disk.voted_for, Some(1));
    assert_eq!(terms_of(&disk.log), vec![1, 1]);
    c.restart(2);
    let node = c.node(2);
    assert_eq!(node.persistent(), &before);
    assert_eq!(node.role(), Role::Follower);
    assert_eq!(node.leader(), None);
    assert_eq!((node.commit_index(), node.last_applied()), (0, 0));
    assert!(node.kv().is_empty());
    c.deliver_all();
    assert_eq!(c.node(2).commit_index(), 0, "nothing said otherwise yet");

    c.heartbeat();
    let node = c.node(2);
    assert_eq!(node.commit_index(), 2, "the leader's commit index arrived");
    assert_eq!(node.last_applied(), 2);
    assert_eq!(node.kv().get("a").map(String::as_str), Some("1"));
    assert_eq!(node.leader(), Some(1));

    // A vote survives a restart; a forgotten one allows two leaders in one term.
    for amnesia in [false, true] {
        let mut c = vote_then_restart(amnesia);
        assert_eq!(
            c.node(2).log(),
            &[] as &[Entry],
            "2 has heard nothing but the vote"
        );
        assert_eq!(c.node(3).term(), 0, "3 never heard of term 1");
        c.timeout(3); // 3 asks 2 for a vote in the same term 1, with an equally good log.
        assert_eq!(c.node(3).term(), 1);
        c.deliver_all();
        let replies: Vec<bool> = c
            .delivered_where(|m| m.from == 2 && m.to == 3)
            .iter()
            .filter_map(|m| match m.body {
                Body::RequestVoteReply { granted } => Some(granted),
                _ => None,
            })
            .collect();
        if amnesia {
            assert_eq!(replies, vec![true]);
            assert_eq!(c.leaders(), vec![1, 3], "two leaders in term 1");
            assert_eq!((c.node(1).term(), c.node(3).term()), (1, 1));
        } else {
            assert_eq!(replies, vec![false], "the restarted voter must refuse");
            assert_eq!(c.node(2).voted_for(), Some(1));
            assert_eq!(c.node(3).role(), Role::Candidate);
            assert_eq!(c.leaders(), vec![1]);
        }
    }
}

/// 1 asks for votes in term 1; 2 grants, crashes and restarts (forgetting its vote when
/// `amnesia`), and its reply still makes 1 leader; 1 is then cut off at once, so 2 and 3 see
/// nothing else. 3 is cut from 1 from the start and stays in term 0.
fn vote_then_restart(amnesia: bool) -> Cluster {
    let mut c = Cluster::new(3, Config::default());
    c.cut(1, 3);
    c.timeout(1);
    let (to_2, delivered) = c.deliver_one().unwrap();
    assert!(delivered && to_2.to == 2);
    assert_eq!(c.node(2).voted_for(), Some(1));
    let mut disk = c.crash(2);
    if amnesia {
        disk.voted_for = None;
    }
    c.set_disk(2, disk);
    c.restart(2);
    assert_eq!(c.node(2).term(), 1);
    assert_eq!(c.node(2).voted_for(), (!amnesia).then_some(1));
    assert!(c.deliver_until(|c| c.node(1).role() == Role::Leader));
    c.isolate(1);
    c.deliver_all();
    c
}

// ---------------------------------------------------------------------------------------
// Figure 2 / section 8: clients
// ---------------------------------------------------------------------------------------

/// Section 8 and Figure 2 (Leaders): a client write to a follower is redirected to the
/// leader it knows; a write to the leader is answered `Ok` only once its entry is committed
/// and applied; after replication every server's key-value store holds the value, and a
/// `Delete` removes it everywhere.
#[test]
fn client_writes_redirect_and_commit_section_8() {
    let config = Config {
        max_entries_per_message: 1,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    let ready = c.client_write(2, 1, set("x", "1"));
    assert_eq!(
        ready.replies,
        vec![ClientReply {
            request: 1,
            result: ClientResult::Redirect { leader: None }
        }]
    );
    c.elect(1);
    c.heartbeat();

    let ready = c.client_write(2, 2, set("x", "1"));
    assert_eq!(
        ready.replies,
        vec![ClientReply {
            request: 2,
            result: ClientResult::Redirect { leader: Some(1) }
        }]
    );
    assert!(ready.messages.is_empty());
    assert_eq!(c.node(2).last_index(), 1, "a follower appends nothing");

    // Two writes at once; one entry per AppendEntries, so index 2 commits before index 3.
    let ready = c.client_write(1, 3, set("x", "1"));
    assert!(ready.replies.is_empty(), "no answer before commit");
    assert!(ready.events.contains(&Event::Append {
        index: 2,
        term: 1,
        command: set("x", "1")
    }));
    let ready = c.client_write(1, 4, set("y", "2"));
    assert!(ready.replies.is_empty(), "no answer before commit");
    assert_eq!(c.node(1).last_index(), 3);
    assert_eq!(c.node(1).commit_index(), 1);
    assert!(c.node(1).kv().is_empty());
    // At every step, a request is answered only once its entry is committed and applied.
    let mut answered_at = Vec::new();
    while c.deliver_one().is_some() {
        let leader = c.node(1);
        for (request, index, key) in [(3, 2, "x"), (4, 3, "y")] {
            if has_ok(c.replies(1), request) {
                assert!(
                    leader.commit_index() >= index,
                    "request {request} answered early"
                );
                assert!(leader.last_applied() >= index);
                assert!(leader.kv().contains_key(key));
                if !answered_at.iter().any(|&(r, _)| r == request) {
                    answered_at.push((request, leader.commit_index()));
                }
            }
        }
    }
    assert_eq!(
        answered_at,
        vec![(3, 2), (4, 3)],
        "each answered when committed"
    );
    let events = c.events(1);
    let applied_at = events
        .iter()
        .position(|e| matches!(e, Event::Apply { index: 2, .. }))
        .expect("applied");
    assert!(events[..applied_at].contains(&Event::Commit { index: 2 }));

    c.heartbeat();
    for id in 1..=3 {
        let kv = c.node(id).kv();
        assert_eq!(kv.get("x").map(String::as_str), Some("1"), "node {id}");
        assert_eq!(kv.get("y").map(String::as_str), Some("2"), "node {id}");
    }

    c.client_write(1, 5, delete("x"));
    c.deliver_all();
    assert!(has_ok(c.replies(1), 5));
    c.heartbeat();
    for id in 1..=3 {
        let node = c.node(id);
        assert_eq!(node.commit_index(), 4, "node {id}");
        assert!(!node.kv().contains_key("x"), "node {id}: x deleted");
        assert_eq!(node.kv().len(), 1, "node {id}");
    }
    let answered: Vec<u64> = c.replies(1).iter().map(|r| r.request).collect();
    assert_eq!(
        answered,
        vec![3, 4, 5],
        "exactly one answer per request to the leader"
    );
    assert!(c.replies(1).iter().all(|r| r.result == ClientResult::Ok));
}

// ---------------------------------------------------------------------------------------
// 5.1: stale leader
// ---------------------------------------------------------------------------------------

/// 5.1 / Figure 2 (AppendEntries rule 1): a leader of an old term, back from a partition,
/// has its AppendEntries refused with the newer term in the reply, and steps down on seeing
/// it; the current leader is undisturbed and then brings it up to date.
#[test]
fn stale_leader_steps_down_on_higher_term_reply_5_1() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.heartbeat();
    c.isolate(1);
    c.elect(2);
    c.client_write(2, 1, set("k", "v"));
    c.deliver_all();
    assert_eq!(c.node(2).term(), 2);
    assert_eq!(c.leaders(), vec![1, 2], "1 still believes it leads term 1");
    c.heal();

    // Only the stale leader's heartbeat travels.
    let heartbeat_at = c.node(1).next_deadline();
    c.now = c.now.max(heartbeat_at);
    c.tick(1);
    let sent = c.queue.len();
    assert_eq!(sent, 2);
    c.deliver_all();

    let refusals = c.delivered_where(|m| {
        m.to == 1 && matches!(m.body, Body::AppendEntriesReply { success: false, .. })
    });
    assert_eq!(refusals.len(), 2);
    assert!(refusals.iter().all(|m| m.term == 2));
    let node = c.node(1);
    assert_eq!(node.role(), Role::Follower);
    assert_eq!(node.term(), 2);
    assert_eq!(node.leader(), None, "it learned a term, not who leads it");
    assert!(c.events(1).contains(&Event::BecomeFollower { term: 2 }));
    assert_eq!(c.leaders(), vec![2]);
    assert_eq!(
        c.node(2).term(),
        2,
        "the stale message did not disturb the leader"
    );
    assert_eq!(c.node(3).leader(), Some(2));

    c.heartbeat();
    assert_eq!(c.node(1).leader(), Some(2));
    let log = c.node(2).log().to_vec();
    c.assert_all_logs_equal(&log);
    assert_eq!(c.node(1).kv().get("k").map(String::as_str), Some("v"));
}
