//! Refusals reported as events: every reason a server refuses a vote, a pre-vote or an
//! AppendEntries, each driven on real nodes and checked against the reply it sends.

use raftlab_raft::{
    AppendRejection, Body, Command, Config, Entry, Event, Index, Input, Membership, Message,
    Micros, Node, NodeId, Persistent, Ready, Role, Term, VoteRefusal,
};

const MEMBERS: [NodeId; 3] = [1, 2, 3];

/// A server of {1, 2, 3} recovered at `now` from a term, a vote and a log of entry terms.
fn node(id: NodeId, term: Term, voted_for: Option<NodeId>, terms: &[Term], config: Config) -> Node {
    let mut persistent = Persistent {
        current_term: term,
        voted_for,
        log: terms
            .iter()
            .map(|&term| Entry {
                term,
                command: Command::Noop,
            })
            .collect(),
        ..Persistent::default()
    };
    persistent.snapshot.config = Membership::new(&MEMBERS, &[]);
    Node::recover(id, config, persistent, id as u64, 0)
}

fn step(node: &mut Node, now: Micros, input: Input) -> Ready {
    let mut ready = Ready::default();
    node.step(now, input, &mut ready);
    ready
}

fn request_vote(from: NodeId, to: NodeId, term: Term, last: (Index, Term)) -> Input {
    Input::Message(Message {
        from,
        to,
        term,
        body: Body::RequestVote {
            last_log_index: last.0,
            last_log_term: last.1,
            transfer: false,
        },
    })
}

fn pre_vote(from: NodeId, to: NodeId, term: Term, last: (Index, Term)) -> Input {
    Input::Message(Message {
        from,
        to,
        term,
        body: Body::PreVote {
            last_log_index: last.0,
            last_log_term: last.1,
        },
    })
}

fn append(from: NodeId, to: NodeId, term: Term, prev: (Index, Term), terms: &[Term]) -> Input {
    Input::Message(Message {
        from,
        to,
        term,
        body: Body::AppendEntries {
            prev_log_index: prev.0,
            prev_log_term: prev.1,
            entries: terms
                .iter()
                .map(|&term| Entry {
                    term,
                    command: Command::Noop,
                })
                .collect(),
            leader_commit: 0,
            stamp: 0,
        },
    })
}

/// The refusals among the events.
fn refusals(ready: &Ready) -> Vec<Event> {
    ready
        .events
        .iter()
        .filter(|e| matches!(e, Event::VoteRefused { .. } | Event::AppendRejected { .. }))
        .cloned()
        .collect()
}

fn vote_reply(ready: &Ready) -> Option<bool> {
    ready.messages.iter().find_map(|m| match m.body {
        Body::RequestVoteReply { granted } | Body::PreVoteReply { granted } => Some(granted),
        _ => None,
    })
}

fn append_reply(ready: &Ready) -> Option<(bool, Index, Option<Term>)> {
    ready.messages.iter().find_map(|m| match m.body {
        Body::AppendEntriesReply {
            success,
            conflict_index,
            conflict_term,
            ..
        } => Some((success, conflict_index, conflict_term)),
        _ => None,
    })
}

fn check_quorum() -> Config {
    Config {
        check_quorum: true,
        ..Config::default()
    }
}

fn with_pre_vote() -> Config {
    Config {
        pre_vote: true,
        ..Config::default()
    }
}

/// Figure 2, RequestVote rule 1 (5.1): a candidate of a lower term is refused.
#[test]
fn stale_term_vote_figure_2() {
    let mut voter = node(1, 5, None, &[1, 2], Config::default());
    let ready = step(&mut voter, 1_000, request_vote(2, 1, 4, (9, 3)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 4,
            pre_vote: false,
            reason: VoteRefusal::StaleTerm { voter_term: 5 },
        }]
    );
}

/// Section 5.2: one vote per term, first come first served.
#[test]
fn already_voted_section_5_2() {
    let mut voter = node(1, 4, Some(3), &[1], Config::default());
    let ready = step(&mut voter, 1_000, request_vote(2, 1, 4, (5, 4)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 4,
            pre_vote: false,
            reason: VoteRefusal::AlreadyVoted { voted_for: 3 },
        }]
    );
    // The same candidate asking again is granted again (a retransmission), with no refusal.
    let ready = step(&mut voter, 2_000, request_vote(3, 1, 4, (1, 1)));
    assert_eq!(vote_reply(&ready), Some(true));
    assert!(refusals(&ready).is_empty());
}

/// Section 5.2: a candidate has voted for itself, so it refuses a rival of its term.
#[test]
fn candidate_refuses_rival_section_5_2() {
    let mut candidate = node(1, 1, None, &[1], Config::default());
    step(&mut candidate, 400_000, Input::Timeout);
    assert_eq!(candidate.role(), Role::Candidate);
    let term = candidate.term();
    let ready = step(&mut candidate, 401_000, request_vote(2, 1, term, (1, 1)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term,
            pre_vote: false,
            reason: VoteRefusal::AlreadyVoted { voted_for: 1 },
        }]
    );
}

/// Section 5.4.1: a later last term wins; with equal last terms the longer log wins. A higher
/// term is taken up (5.1) before the log is compared.
#[test]
fn log_behind_section_5_4_1() {
    // The candidate's last term (1) is earlier than the voter's (2).
    let mut voter = node(1, 2, None, &[1, 2], Config::default());
    let ready = step(&mut voter, 1_000, request_vote(2, 1, 3, (5, 1)));
    assert_eq!(
        voter.term(),
        3,
        "the higher term is taken up even though refused"
    );
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 3,
            pre_vote: false,
            reason: VoteRefusal::LogBehind {
                candidate_last_term: 1,
                candidate_last_index: 5,
                voter_last_term: 2,
                voter_last_index: 2,
            },
        }]
    );
    // Same last term, shorter log.
    let mut voter = node(1, 2, None, &[1, 2, 2], Config::default());
    let ready = step(&mut voter, 1_000, request_vote(2, 1, 3, (2, 2)));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 3,
            pre_vote: false,
            reason: VoteRefusal::LogBehind {
                candidate_last_term: 2,
                candidate_last_index: 2,
                voter_last_term: 2,
                voter_last_index: 3,
            },
        }]
    );
}

/// Thesis 4.2.3: with CheckQuorum, a server that heard from its leader within the shortest
/// election timeout ignores a RequestVote of a higher term: no reply, no term change, but the
/// refusal is reported.
#[test]
fn leader_alive_check_quorum_thesis_4_2_3() {
    let mut voter = node(1, 2, None, &[1], check_quorum());
    // Past the quiet period of a restart (150 ms), the leader S3 is heard from at 200 ms.
    step(&mut voter, 200_000, append(3, 1, 2, (1, 1), &[]));
    assert_eq!(voter.leader(), Some(3));
    assert_eq!(voter.leader_contact(), 200_000);
    let ready = step(&mut voter, 250_000, request_vote(2, 1, 3, (9, 9)));
    assert_eq!(vote_reply(&ready), None, "ignored: no reply");
    assert_eq!(voter.term(), 2, "the disruptive term changes nothing");
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 3,
            pre_vote: false,
            reason: VoteRefusal::LeaderAlive { leader: Some(3) },
        }]
    );
    // An election timeout later, the leader is no longer heard from: the vote is granted.
    let ready = step(&mut voter, 360_000, request_vote(2, 1, 3, (9, 9)));
    assert_eq!(vote_reply(&ready), Some(true));
    assert!(refusals(&ready).is_empty());
}

/// Thesis 4.2.3: with CheckQuorum, a restarted server keeps quiet for an election timeout
/// (it may have promised a leader not to vote before the crash).
#[test]
fn leader_alive_quiet_after_restart_thesis_4_2_3() {
    let mut voter = node(1, 2, None, &[1], check_quorum());
    assert_eq!(voter.quiet_until(), 150_000);
    let ready = step(&mut voter, 100_000, request_vote(2, 1, 3, (1, 1)));
    assert_eq!(vote_reply(&ready), None);
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 3,
            pre_vote: false,
            reason: VoteRefusal::LeaderAlive { leader: None },
        }]
    );
}

/// Thesis 9.6: a server that hears from a leader refuses pre-votes (and changes nothing).
#[test]
fn leader_alive_pre_vote_thesis_9_6() {
    let mut voter = node(1, 2, None, &[1], with_pre_vote());
    step(&mut voter, 10_000, append(3, 1, 2, (1, 1), &[]));
    let ready = step(&mut voter, 50_000, pre_vote(2, 1, 3, (1, 1)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(voter.term(), 2);
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 3,
            pre_vote: true,
            reason: VoteRefusal::LeaderAlive { leader: Some(3) },
        }]
    );
    // A leader hears from itself.
    let mut leader = node(1, 1, None, &[1], with_pre_vote());
    step(&mut leader, 400_000, Input::Timeout);
    assert_eq!(leader.role(), Role::PreCandidate);
    let granted = |term, body| {
        Input::Message(Message {
            from: 2,
            to: 1,
            term,
            body,
        })
    };
    step(
        &mut leader,
        401_000,
        granted(2, Body::PreVoteReply { granted: true }),
    );
    step(
        &mut leader,
        402_000,
        granted(2, Body::RequestVoteReply { granted: true }),
    );
    assert_eq!(leader.role(), Role::Leader);
    let ready = step(&mut leader, 403_000, pre_vote(3, 1, 3, (9, 9)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 3,
            term: 3,
            pre_vote: true,
            reason: VoteRefusal::LeaderAlive { leader: Some(1) },
        }]
    );
}

/// Thesis 9.6 with 5.4.1: a pre-vote from a log that is behind is refused, when no leader is
/// heard from; and a pre-vote for a term not later than the voter's is stale.
#[test]
fn pre_vote_log_behind_and_stale_thesis_9_6() {
    // After the quiet period of a restart (the shortest election timeout, 150 ms).
    let mut voter = node(1, 2, None, &[1, 2], with_pre_vote());
    let ready = step(&mut voter, 200_000, pre_vote(2, 1, 3, (4, 1)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 3,
            pre_vote: true,
            reason: VoteRefusal::LogBehind {
                candidate_last_term: 1,
                candidate_last_index: 4,
                voter_last_term: 2,
                voter_last_index: 2,
            },
        }]
    );
    let ready = step(&mut voter, 201_000, pre_vote(2, 1, 2, (9, 9)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 2,
            pre_vote: true,
            reason: VoteRefusal::StaleTerm { voter_term: 2 },
        }]
    );
    // Both fine: granted, no refusal.
    let ready = step(&mut voter, 202_000, pre_vote(2, 1, 3, (2, 2)));
    assert_eq!(vote_reply(&ready), Some(true));
    assert!(refusals(&ready).is_empty());
}

/// Thesis 4.1: the candidate's configuration decides whose votes count, so a server that is
/// not a voter of its own configuration (a learner) still answers as any other and grants its
/// vote to a candidate that is a voter (as etcd does).
#[test]
fn non_voter_receiver_still_grants_thesis_4_1() {
    let mut persistent = Persistent::default();
    persistent.snapshot.config = Membership::new(&[2, 3], &[1]);
    let mut learner = Node::recover(1, Config::default(), persistent, 1, 0);
    let ready = step(&mut learner, 1_000, request_vote(2, 1, 1, (0, 0)));
    assert_eq!(vote_reply(&ready), Some(true));
    assert!(refusals(&ready).is_empty());
}

/// A server of `voters` + `learners` (initial configuration, index 0) at term 2, log [1].
fn member(id: NodeId, voters: &[NodeId], learners: &[NodeId], config: Config) -> Node {
    let mut persistent = Persistent {
        current_term: 2,
        log: vec![Entry {
            term: 1,
            command: Command::Noop,
        }],
        ..Persistent::default()
    };
    persistent.snapshot.config = Membership::new(voters, learners);
    Node::recover(id, config, persistent, id as u64, 0)
}

/// Thesis 4.1 and 4.2.3 (HashiCorp raft's rule): a candidate that is not a voter of the
/// receiver's latest configuration (a learner, or a server the receiver knows was removed or
/// never added) is refused; the higher term is still taken up (5.1).
#[test]
fn not_a_voter_vote_thesis_4_1() {
    // S4 is a learner in S1's configuration; its log equals S1's (index 1, term 1).
    let mut voter = member(1, &[1, 2, 3], &[4], Config::default());
    let ready = step(&mut voter, 1_000, request_vote(4, 1, 3, (1, 1)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(voter.term(), 3, "the higher term is taken up (5.1)");
    assert_eq!(voter.voted_for(), None, "no vote given");
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 4,
            term: 3,
            pre_vote: false,
            reason: VoteRefusal::NotAVoter {
                config_index: 0,
                voters: vec![1, 2, 3],
            },
        }]
    );
    // S5 is not a member at all (removed, or never added): refused too, before its log is
    // found behind (5.4.1).
    let ready = step(&mut voter, 2_000, request_vote(5, 1, 4, (0, 0)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert!(matches!(
        refusals(&ready)[..],
        [Event::VoteRefused {
            candidate: 5,
            reason: VoteRefusal::NotAVoter { .. },
            ..
        }]
    ));
    // A voter of its configuration is granted.
    let ready = step(&mut voter, 3_000, request_vote(2, 1, 4, (9, 9)));
    assert_eq!(vote_reply(&ready), Some(true));
    assert!(refusals(&ready).is_empty());
}

/// Liveness (thesis 4.1, 5.4.1): a candidate whose log is more up to date than the receiver's
/// is not judged by the receiver's configuration, which may be an uncommitted entry its log
/// overwrites (or its log holds a later one that makes it a voter). HashiCorp raft refuses
/// it; in `raftlab fuzz --membership` that left no server able to win.
#[test]
fn not_a_voter_with_a_log_ahead_is_granted_thesis_4_1() {
    // S1's log ends with an uncommitted entry of term 2 that removes S2; S2's log ends in
    // term 7 (a later leader's entries, which will overwrite S1's).
    let mut persistent = Persistent {
        current_term: 2,
        log: vec![
            Entry {
                term: 1,
                command: Command::Noop,
            },
            Entry {
                term: 2,
                command: Command::Config(Membership::new(&[1, 3], &[])),
            },
        ],
        ..Persistent::default()
    };
    persistent.snapshot.config = Membership::new(&MEMBERS, &[]);
    let mut voter = Node::recover(1, Config::default(), persistent.clone(), 1, 0);
    assert!(!voter.membership().is_voter(2));
    let ready = step(&mut voter, 1_000, request_vote(2, 1, 8, (3, 7)));
    assert_eq!(vote_reply(&ready), Some(true));
    assert!(refusals(&ready).is_empty());
    // The same candidate with a log no further than S1's (equal: the same configuration) is
    // refused.
    let mut voter = Node::recover(1, Config::default(), persistent, 1, 0);
    let ready = step(&mut voter, 1_000, request_vote(2, 1, 8, (2, 2)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 2,
            term: 8,
            pre_vote: false,
            reason: VoteRefusal::NotAVoter {
                config_index: 2,
                voters: vec![1, 3],
            },
        }]
    );
}

/// Precedence: a stale term comes first (Figure 2); then the candidate's place in the
/// configuration (thesis 4.1), before the one vote per term (5.2) and the log (5.4.1); with
/// CheckQuorum, a leader heard from (thesis 4.2.3) comes before it.
#[test]
fn not_a_voter_precedence_thesis_4_1() {
    // Stale term first.
    let mut voter = member(1, &[1, 2, 3], &[], Config::default());
    let ready = step(&mut voter, 1_000, request_vote(4, 1, 1, (0, 0)));
    assert!(matches!(
        refusals(&ready)[..],
        [Event::VoteRefused {
            reason: VoteRefusal::StaleTerm { voter_term: 2 },
            ..
        }]
    ));
    // Not a voter before already voted and log behind: S1 has voted for S2 in term 3 and
    // S4's log is behind, yet the refusal names the configuration.
    let ready = step(&mut voter, 2_000, request_vote(2, 1, 3, (1, 1)));
    assert_eq!(vote_reply(&ready), Some(true));
    let ready = step(&mut voter, 3_000, request_vote(4, 1, 3, (0, 0)));
    assert!(matches!(
        refusals(&ready)[..],
        [Event::VoteRefused {
            reason: VoteRefusal::NotAVoter { .. },
            ..
        }]
    ));
    // With CheckQuorum, a leader heard from comes first (the RequestVote is ignored).
    let mut voter = member(1, &[1, 2, 3], &[], check_quorum());
    step(&mut voter, 200_000, append(3, 1, 2, (1, 1), &[]));
    let ready = step(&mut voter, 250_000, request_vote(4, 1, 3, (9, 9)));
    assert_eq!(vote_reply(&ready), None);
    assert!(matches!(
        refusals(&ready)[..],
        [Event::VoteRefused {
            reason: VoteRefusal::LeaderAlive { leader: Some(3) },
            ..
        }]
    ));
}

/// Thesis 9.6 with 4.1: a pre-vote from a server that is not a voter of the receiver's
/// configuration is refused too (after the term and a leader heard from, before the log).
#[test]
fn not_a_voter_pre_vote_thesis_9_6() {
    let mut voter = member(1, &[1, 2, 3], &[4], with_pre_vote());
    // Past the quiet period of a restart (150 ms).
    let ready = step(&mut voter, 200_000, pre_vote(4, 1, 3, (0, 0)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(voter.term(), 2, "a pre-vote changes no term");
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 4,
            term: 3,
            pre_vote: true,
            reason: VoteRefusal::NotAVoter {
                config_index: 0,
                voters: vec![1, 2, 3],
            },
        }]
    );
    let ready = step(&mut voter, 201_000, pre_vote(2, 1, 3, (1, 1)));
    assert_eq!(vote_reply(&ready), Some(true));
}

/// A server that knows no configuration (a new server with an empty log, waiting to be
/// added) has nothing to judge by: it refuses no one for not being a voter.
#[test]
fn no_configuration_refuses_no_one_thesis_4_1() {
    let mut fresh = Node::recover(4, Config::default(), Persistent::default(), 4, 0);
    let ready = step(&mut fresh, 1_000, request_vote(1, 4, 1, (0, 0)));
    assert_eq!(vote_reply(&ready), Some(true));
    assert!(refusals(&ready).is_empty());
}

/// The configuration used is the latest in the log, committed or not (thesis 4.1): once a
/// follower has appended an entry that removes S3, it refuses S3's vote request; a server
/// without that entry still sees S3 as a voter and grants it (the removed leader can still
/// get the change through, see `Node::may_campaign`).
#[test]
fn not_a_voter_uses_latest_uncommitted_configuration_thesis_4_1() {
    let removal = Entry {
        term: 2,
        command: Command::Config(Membership::new(&[1, 2], &[])),
    };
    let mut with_entry = member(1, &[1, 2, 3], &[], Config::default());
    let input = Input::Message(Message {
        from: 3,
        to: 1,
        term: 2,
        body: Body::AppendEntries {
            prev_log_index: 1,
            prev_log_term: 1,
            entries: vec![removal],
            leader_commit: 0,
            stamp: 0,
        },
    });
    step(&mut with_entry, 1_000, input);
    assert_eq!(with_entry.membership(), &Membership::new(&[1, 2], &[]));
    assert_eq!(with_entry.commit_index(), 0, "the removal is not committed");
    let ready = step(&mut with_entry, 2_000, request_vote(3, 1, 3, (2, 2)));
    assert_eq!(vote_reply(&ready), Some(false));
    assert_eq!(
        refusals(&ready),
        vec![Event::VoteRefused {
            candidate: 3,
            term: 3,
            pre_vote: false,
            reason: VoteRefusal::NotAVoter {
                config_index: 2,
                voters: vec![1, 2],
            },
        }]
    );
    let mut without = member(2, &[1, 2, 3], &[], Config::default());
    let ready = step(&mut without, 2_000, request_vote(3, 2, 3, (2, 2)));
    assert_eq!(vote_reply(&ready), Some(true));
}

/// Figure 2, AppendEntries rule 1: a request of a lower term is rejected.
#[test]
fn append_stale_term_figure_2() {
    let mut follower = node(1, 3, None, &[1], Config::default());
    let ready = step(&mut follower, 1_000, append(2, 1, 2, (1, 1), &[2]));
    assert_eq!(append_reply(&ready), Some((false, 0, None)));
    assert_eq!(
        refusals(&ready),
        vec![Event::AppendRejected {
            leader: 2,
            term: 2,
            prev_index: 1,
            prev_term: 1,
            reason: AppendRejection::StaleTerm { follower_term: 3 },
        }]
    );
}

/// Figure 2, AppendEntries rule 2, with the hint of 5.3: a log too short, then a conflicting
/// term at prevLogIndex.
#[test]
fn append_log_mismatch_section_5_3() {
    let mut follower = node(1, 3, None, &[1, 2, 2], Config::default());
    let ready = step(&mut follower, 1_000, append(2, 1, 3, (5, 3), &[3]));
    assert_eq!(append_reply(&ready), Some((false, 4, None)));
    assert_eq!(
        refusals(&ready),
        vec![Event::AppendRejected {
            leader: 2,
            term: 3,
            prev_index: 5,
            prev_term: 3,
            reason: AppendRejection::LogMismatch {
                conflict_index: 4,
                conflict_term: None,
            },
        }]
    );
    // Index 3 holds term 2, not 3: resume at the first entry of term 2 (index 2).
    let ready = step(&mut follower, 2_000, append(2, 1, 3, (3, 3), &[3]));
    assert_eq!(append_reply(&ready), Some((false, 2, Some(2))));
    assert_eq!(
        refusals(&ready),
        vec![Event::AppendRejected {
            leader: 2,
            term: 3,
            prev_index: 3,
            prev_term: 3,
            reason: AppendRejection::LogMismatch {
                conflict_index: 2,
                conflict_term: Some(2),
            },
        }]
    );
    // A matching request is accepted with no refusal.
    let ready = step(&mut follower, 3_000, append(2, 1, 3, (1, 1), &[3]));
    assert_eq!(append_reply(&ready).map(|r| r.0), Some(true));
    assert!(refusals(&ready).is_empty());
}
