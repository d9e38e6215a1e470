//! `Input::FireTimer`: a server's next timer fired by hand, before its deadline. On a
//! follower or candidate it is the election timeout (Figure 2, paper 5.2; PreVote, thesis
//! 9.6); on a leader the heartbeat deadline, with the CheckQuorum check (thesis 6.2) and the
//! end of a late leadership transfer (thesis 3.10).

mod common;

use common::Cluster;
use raftlab_raft::{Body, Config, Event, Input, Role};

fn fire(c: &mut Cluster, id: u32) -> raftlab_raft::Ready {
    c.step(id, Input::FireTimer)
}

/// 5.2: a follower's fired timer is its election timeout, long before the deadline: it
/// becomes a candidate of term 1, votes for itself and asks every other server for a vote,
/// exactly as `Input::Timeout` does.
#[test]
fn a_follower_fired_timer_starts_an_election_5_2() {
    let mut c = Cluster::new(3, Config::default());
    assert!(
        c.node(2).next_deadline() > c.now,
        "the deadline is still ahead"
    );
    let ready = fire(&mut c, 2);
    assert_eq!(
        ready.events[..2],
        [
            Event::BecomeCandidate { term: 1 },
            Event::Vote {
                candidate: 2,
                term: 1
            }
        ]
    );
    assert_eq!(c.node(2).role(), Role::Candidate);
    let asked: Vec<u32> = ready.messages.iter().map(|m| m.to).collect();
    assert_eq!(asked, vec![1, 3]);
    assert!(ready
        .messages
        .iter()
        .all(|m| matches!(m.body, Body::RequestVote { .. }) && m.term == 1));

    // The same as a forced timeout on an identical cluster.
    let mut d = Cluster::new(3, Config::default());
    let forced = d.step(2, Input::Timeout);
    assert_eq!(forced.events, ready.events);
    assert_eq!(forced.messages, ready.messages);
}

/// Thesis 9.6: with PreVote on, the fired election timer starts a pre-vote, not an election:
/// the term stays 0.
#[test]
fn with_pre_vote_a_fired_timer_starts_a_pre_vote_9_6() {
    let config = Config {
        pre_vote: true,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    let ready = fire(&mut c, 1);
    assert_eq!(ready.events, vec![Event::BecomePreCandidate { term: 0 }]);
    assert_eq!(c.node(1).term(), 0);
    assert!(ready
        .messages
        .iter()
        .all(|m| matches!(m.body, Body::PreVote { .. }) && m.term == 1));
}

/// 5.2: a leader's fired timer is its heartbeat deadline: it sends AppendEntries to every
/// follower at once, before the deadline, and its next heartbeat is a heartbeat interval
/// later.
#[test]
fn a_leader_fired_timer_sends_heartbeats_5_2() {
    let mut c = Cluster::new(3, Config::default());
    c.timeout(1);
    c.deliver_all();
    assert_eq!(c.leaders(), vec![1]);
    c.now += 10_000;
    assert!(
        c.node(1).next_deadline() > c.now,
        "the heartbeat is not due yet"
    );
    let ready = fire(&mut c, 1);
    assert!(ready.events.is_empty(), "{:?}", ready.events);
    let to: Vec<u32> = ready.messages.iter().map(|m| m.to).collect();
    assert_eq!(to, vec![2, 3]);
    assert!(ready
        .messages
        .iter()
        .all(|m| matches!(m.body, Body::AppendEntries { .. }) && m.term == 1));
    assert_eq!(c.node(1).next_deadline(), c.now + 50_000);
    assert_eq!(c.node(1).role(), Role::Leader);
}

/// Thesis 6.2: with CheckQuorum on, a leader whose fired heartbeat timer finds that no
/// majority answered within the shortest election timeout steps down, as on a real
/// heartbeat deadline; while a majority answers, it goes on leading.
#[test]
fn a_leader_fired_timer_checks_the_quorum_6_2() {
    let config = Config {
        check_quorum: true,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    // Freshly started servers grant no vote for an election timeout (thesis 4.2.3).
    c.now = 150_000;
    c.timeout(1);
    c.deliver_all();
    assert_eq!(c.leaders(), vec![1]);
    // Followers answered just now: the leader stays.
    c.now += 20_000;
    let ready = fire(&mut c, 1);
    assert!(!ready.events.contains(&Event::StepDown { term: 1 }));
    assert_eq!(c.node(1).role(), Role::Leader);
    // Cut off for longer than the shortest election timeout (150 ms): it steps down.
    c.drop_in_flight();
    c.now += 200_000;
    let ready = fire(&mut c, 1);
    assert_eq!(
        ready.events,
        vec![
            Event::StepDown { term: 1 },
            Event::BecomeFollower { term: 1 }
        ]
    );
    assert_eq!(c.node(1).role(), Role::Follower);
    assert!(ready.messages.is_empty());
}

/// Thesis 3.10: a leadership transfer whose deadline has passed is given up when the
/// leader's timer fires; one still within its deadline goes on.
#[test]
fn a_leader_fired_timer_ends_a_late_transfer_3_10() {
    let mut c = Cluster::new(3, Config::default());
    c.timeout(1);
    c.deliver_all();
    c.cut(1, 3);
    c.step(1, Input::TransferLeadership { to: 3 });
    c.drop_in_flight();
    assert_eq!(c.node(1).transferring_to(), Some(3));
    c.now += 100_000;
    let ready = fire(&mut c, 1);
    assert!(!ready
        .events
        .iter()
        .any(|e| matches!(e, Event::TransferAbort { .. })));
    assert_eq!(c.node(1).transferring_to(), Some(3));
    // The transfer's deadline is the longest election timeout (300 ms) after it began.
    c.now += 250_000;
    let ready = fire(&mut c, 1);
    assert_eq!(ready.events, vec![Event::TransferAbort { to: 3 }]);
    assert_eq!(c.node(1).transferring_to(), None);
    assert_eq!(c.node(1).role(), Role::Leader);
}
