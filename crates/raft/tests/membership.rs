//! Membership changes (Ongaro's thesis chapter 4): one server at a time (4.1), a new server
//! catching up as a learner first (4.2.1), removing the leader (4.2.2), and the configuration
//! in effect as soon as its entry is in a log, committed or not (4.1).

mod common;

use common::*;
use raftlab_raft::{
    Body, Command, Config, Event, Input, Membership, MembershipChange, NodeId, Role,
};

fn change(cluster: &mut Cluster, leader: NodeId, change: MembershipChange) {
    cluster.step(leader, Input::ChangeMembership(change));
}

/// The configurations `id` appended, in order (as `voters=.. learners=..` text).
fn configs_appended(cluster: &Cluster, id: NodeId) -> Vec<String> {
    cluster
        .events(id)
        .iter()
        .filter_map(|e| match e {
            Event::Append {
                command: Command::Config(m),
                ..
            } => Some(m.to_string()),
            _ => None,
        })
        .collect()
}

fn writes(cluster: &mut Cluster, leader: NodeId, first: u64, count: u64) {
    for i in first..first + count {
        cluster.client_write(leader, i, set("x", &i.to_string()));
        cluster.deliver_all();
    }
}

#[test]
fn new_server_joins_as_learner_then_becomes_voter_4_2_1() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    writes(&mut c, 1, 1, 5);
    c.add_node(4);
    change(&mut c, 1, MembershipChange::Add(4));
    c.deliver_all();
    // First as a learner (it catches up without counting), then as a voter.
    assert_eq!(
        configs_appended(&c, 1),
        ["voters=1,2,3 learners=4", "voters=1,2,3,4"]
    );
    let leader_log = c.node(1).log().to_vec();
    assert_eq!(c.node(4).log(), &leader_log[..]);
    for id in 1..=4 {
        assert_eq!(
            c.node(id).membership(),
            &Membership::new(&[1, 2, 3, 4], &[]),
            "S{id}"
        );
    }
    // Four voters: a majority is 3, so two servers alone cannot commit (2f + 1).
    c.partition(&[1, 2], &[3, 4]);
    let before = c.node(1).commit_index();
    c.client_write(1, 100, set("y", "1"));
    c.deliver_all();
    c.heartbeat();
    assert_eq!(c.node(1).commit_index(), before);
    c.heal();
    c.heartbeat();
    assert!(c.node(1).commit_index() > before);
}

#[test]
fn learner_neither_votes_nor_counts_4_2_1() {
    let mut c = Cluster::new(1, Config::default());
    c.elect(1);
    c.add_node(2);
    // S2 cannot be reached: it stays a learner, and the single voter still commits alone.
    c.cut(1, 2);
    change(&mut c, 1, MembershipChange::Add(2));
    c.deliver_all();
    assert_eq!(c.node(1).membership(), &Membership::new(&[1], &[2]));
    let before = c.node(1).commit_index();
    c.client_write(1, 1, set("x", "1"));
    c.deliver_all();
    assert_eq!(c.node(1).commit_index(), before + 1);
    // The learner never campaigns, even with its timer expiring.
    c.restore(1, 2);
    c.heartbeat();
    c.deliver_all();
    assert!(!c
        .events(2)
        .iter()
        .any(|e| matches!(e, Event::BecomeCandidate { .. })));
}

#[test]
fn leader_first_commits_an_entry_of_its_term_4_1() {
    let mut c = Cluster::new(3, Config::default());
    c.timeout(1);
    // Deliver the votes but not yet the no-op's replication: S1 leads, nothing of its term is
    // committed.
    c.deliver_until(|c| c.node(1).role() == Role::Leader);
    assert_eq!(c.node(1).commit_index(), 0);
    c.add_node(4);
    change(&mut c, 1, MembershipChange::Add(4));
    assert!(configs_appended(&c, 1).is_empty());
    assert_eq!(c.node(1).pending_changes(), [MembershipChange::Add(4)]);
    c.deliver_all();
    c.deliver_all();
    let log = c.node(1).log();
    let noop = log.iter().position(|e| e.command == Command::Noop).unwrap();
    let config = log
        .iter()
        .position(|e| matches!(e.command, Command::Config(_)))
        .unwrap();
    assert!(noop < config, "the no-op of the term comes first");
    assert!(c.node(1).membership().is_voter(4));
}

#[test]
fn one_change_at_a_time_4_1() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.add_node(4);
    c.add_node(5);
    // The leader is cut off: the first change cannot commit, so the second must wait.
    c.isolate(1);
    change(&mut c, 1, MembershipChange::Add(4));
    change(&mut c, 1, MembershipChange::Remove(3));
    c.deliver_all();
    assert_eq!(configs_appended(&c, 1), ["voters=1,2,3 learners=4"]);
    assert_eq!(c.node(1).pending_changes(), [MembershipChange::Remove(3)]);
    c.heal();
    c.heartbeat();
    c.deliver_all();
    // Each entry was appended only once the one before it was committed.
    assert_eq!(
        configs_appended(&c, 1),
        ["voters=1,2,3 learners=4", "voters=1,2,3,4", "voters=1,2,4"]
    );
    let events = c.events(1);
    let mut commit = 0;
    let mut last_config = 0;
    for e in events {
        match e {
            Event::Commit { index } => commit = *index,
            Event::Append {
                index,
                command: Command::Config(_),
                ..
            } => {
                assert!(
                    last_config <= commit,
                    "entry {index} appended with {last_config} uncommitted"
                );
                last_config = *index;
            }
            _ => {}
        }
    }
}

#[test]
fn removed_leader_steps_down_once_committed_4_2_2() {
    let mut c = Cluster::new(3, Config::default());
    let term = c.elect(1);
    change(&mut c, 1, MembershipChange::Remove(1));
    // Appended: in effect at once, so the leader no longer counts itself.
    assert_eq!(c.node(1).membership(), &Membership::new(&[2, 3], &[]));
    assert_eq!(c.node(1).role(), Role::Leader);
    c.deliver_all();
    // Committed by S2 and S3: S1 steps down and never campaigns again.
    assert_eq!(c.node(1).role(), Role::Follower);
    assert_eq!(c.node(1).term(), term);
    c.run_until(3_000_000, |c| !c.leaders().is_empty());
    let leader = c.leader();
    assert!(leader == 2 || leader == 3);
    c.run_for(3_000_000);
    let campaigns = c
        .events(1)
        .iter()
        .filter(|e| {
            matches!(
                e,
                Event::BecomeCandidate { .. } | Event::BecomePreCandidate { .. }
            )
        })
        .count();
    assert_eq!(
        campaigns, 1,
        "only the first election, before it was removed"
    );
    // The new leader replicates only to S2 and S3.
    assert_eq!(c.node(leader).progress().len(), 1);
}

#[test]
fn removed_server_hears_of_its_removal_and_stays_quiet_4_2_3() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    change(&mut c, 1, MembershipChange::Remove(3));
    c.deliver_all();
    c.heartbeat();
    assert_eq!(c.node(3).membership(), &Membership::new(&[1, 2], &[]));
    let terms_before = c.node(1).term();
    c.run_for(5_000_000);
    assert_eq!(c.node(1).role(), Role::Leader);
    assert_eq!(c.node(1).term(), terms_before, "S3 disrupted nobody");
    assert!(!c
        .events(3)
        .iter()
        .any(|e| matches!(e, Event::BecomeCandidate { .. })));
    // Two voters: both are needed for a majority.
    c.cut(1, 2);
    let before = c.node(1).commit_index();
    c.client_write(1, 7, set("z", "1"));
    c.deliver_all();
    assert_eq!(c.node(1).commit_index(), before);
}

#[test]
fn changes_that_would_do_nothing_are_refused() {
    let mut c = Cluster::new(1, Config::default());
    c.elect(1);
    change(&mut c, 1, MembershipChange::Remove(1));
    change(&mut c, 1, MembershipChange::Add(1));
    change(&mut c, 1, MembershipChange::Remove(5));
    let reasons: Vec<&str> = c
        .events(1)
        .iter()
        .filter_map(|e| match e {
            Event::MembershipRefused { reason, .. } => Some(*reason),
            _ => None,
        })
        .collect();
    assert_eq!(
        reasons,
        [
            "it is the last voter",
            "it is already a member",
            "it is not a member"
        ]
    );
    assert!(configs_appended(&c, 1).is_empty());
    // A follower ignores the request: only a leader changes the configuration.
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    change(&mut c, 2, MembershipChange::Remove(3));
    c.deliver_all();
    assert!(configs_appended(&c, 2).is_empty());
    assert!(c.node(2).pending_changes().is_empty());
}

#[test]
fn a_new_server_never_campaigns_on_its_own_4_1() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.add_node(4);
    c.cut(1, 4);
    c.cut(2, 4);
    c.cut(3, 4);
    c.run_for(3_000_000);
    c.timeout(4);
    c.deliver_all();
    assert!(c.events(4).is_empty(), "{:?}", c.events(4));
    assert_eq!(c.node(4).term(), 0);
}

#[test]
fn truncated_configuration_entry_stops_being_in_effect_4_1() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.add_node(4);
    c.isolate(1);
    change(&mut c, 1, MembershipChange::Add(4));
    assert_eq!(c.node(1).membership(), &Membership::new(&[1, 2, 3], &[4]));
    // S2 leads a new term without the entry; S1 comes back and drops it.
    c.elect(2);
    c.heal();
    c.heartbeat();
    c.deliver_all();
    assert_eq!(c.node(1).membership(), &Membership::new(&[1, 2, 3], &[]));
    assert!(c.events(1).iter().any(|e| matches!(
        e,
        Event::Membership { config, .. } if *config == Membership::new(&[1, 2, 3], &[])
    )));
}

#[test]
fn snapshot_carries_the_configuration_figure_13() {
    let config = Config {
        snapshot_threshold: 4,
        ..Config::default()
    };
    let mut c = Cluster::new(3, config);
    c.elect(1);
    writes(&mut c, 1, 1, 12);
    assert!(c.node(1).snapshot_index() > 0);
    c.add_node(4);
    change(&mut c, 1, MembershipChange::Add(4));
    c.deliver_all();
    c.heartbeat();
    writes(&mut c, 1, 20, 8);
    c.heartbeat();
    let install =
        c.delivered_where(|m| m.to == 4 && matches!(m.body, Body::InstallSnapshot { .. }));
    assert!(!install.is_empty(), "S4 got the snapshot");
    assert!(c.node(4).membership().is_voter(4));
    assert_eq!(c.node(4).kv(), c.node(1).kv());
    // The snapshot's configuration survives a restart of S4 from it.
    c.crash(4);
    c.restart(4);
    assert!(c.node(4).membership().is_voter(4));
}

#[test]
fn transfer_only_to_a_voter() {
    let mut c = Cluster::new(3, Config::default());
    c.elect(1);
    c.add_node(4);
    c.cut(1, 4);
    change(&mut c, 1, MembershipChange::Add(4));
    c.deliver_all();
    // S4 is a learner: no transfer starts.
    c.step(1, Input::TransferLeadership { to: 4 });
    assert!(!c
        .events(1)
        .iter()
        .any(|e| matches!(e, Event::TransferStart { .. })));
}
