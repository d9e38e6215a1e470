//! Log compaction (paper section 7, Ongaro's thesis chapter 5): snapshots at the threshold,
//! InstallSnapshot (Figure 13) for a follower that needs compacted entries, and recovery from
//! a snapshot after a crash.

mod common;

use common::*;
use raftlab_raft::{Body, Config, Event, Index, Role};
use std::collections::BTreeMap;

fn config(threshold: u64) -> Config {
    Config {
        snapshot_threshold: threshold,
        ..Config::default()
    }
}

/// Writes `count` commands `k<i> = v<i>` (from `first` on) through `leader`, delivering
/// everything after each.
fn write(cluster: &mut Cluster, leader: u32, first: u64, count: u64) {
    for i in first..first + count {
        cluster.client_write(leader, i, set(&format!("k{}", i % 4), &format!("v{i}")));
        cluster.deliver_all();
    }
}

/// The key-value store the writes `first..first + count` leave behind (over `kv`).
fn expected_kv(
    mut kv: BTreeMap<String, String>,
    first: u64,
    count: u64,
) -> BTreeMap<String, String> {
    for i in first..first + count {
        kv.insert(format!("k{}", i % 4), format!("v{i}"));
    }
    kv
}

fn snapshots(cluster: &Cluster, id: u32) -> Vec<Index> {
    cluster
        .events(id)
        .iter()
        .filter_map(|e| match e {
            Event::Snapshot { last_index, .. } => Some(*last_index),
            _ => None,
        })
        .collect()
}

/// Section 7: once `snapshot_threshold` applied entries sit in the log, a server snapshots its
/// state machine up to lastApplied; its log then keeps only the later entries, and indexes
/// stay absolute.
#[test]
fn a_node_snapshots_at_the_threshold_and_its_log_shrinks_7() {
    let mut cluster = Cluster::new(3, config(5));
    let term = cluster.elect(1);
    cluster.deliver_all();
    // The no-op (index 1) and four writes: five applied entries.
    write(&mut cluster, 1, 1, 3);
    assert_eq!(
        cluster.node(1).snapshot_index(),
        0,
        "4 applied: no snapshot yet"
    );
    assert_eq!(cluster.node(1).log().len(), 4);
    write(&mut cluster, 1, 4, 1);
    // Followers learn the commit index from the next AppendEntries.
    cluster.heartbeat();
    for id in 1..=3 {
        let node = cluster.node(id);
        assert_eq!(node.last_applied(), 5, "S{id} applied 5 entries");
        assert_eq!(snapshots(&cluster, id), vec![5], "S{id} took one snapshot");
        assert_eq!(node.snapshot_index(), 5);
        assert_eq!(node.snapshot_term(), term);
        assert_eq!(node.snapshot().kv, expected_kv(BTreeMap::new(), 1, 4));
        assert!(node.log().is_empty(), "S{id}'s log is compacted");
        assert_eq!((node.first_index(), node.last_index()), (6, 5));
    }
    // Two more writes: the log holds only them, at absolute indexes 6 and 7.
    write(&mut cluster, 1, 5, 2);
    let node = cluster.node(1);
    assert_eq!(node.log().len(), 2);
    assert_eq!(node.first_index(), 6);
    assert_eq!(node.last_index(), 7);
    assert_eq!(node.term_at(5), Some(term), "the snapshot's last term");
    assert_eq!(node.term_at(4), None, "compacted away");
    assert_eq!(
        node.entry(6).map(|e| e.command.clone()),
        Some(set("k1", "v5"))
    );
    assert_eq!(node.kv(), &expected_kv(BTreeMap::new(), 1, 6));
}

/// Section 7, Figure 13: a follower that was down while the leader compacted its log is
/// brought back with InstallSnapshot; it ends with the same state machine and the same log
/// tail, and the leader's matchIndex for it reaches the end of the log.
#[test]
fn a_follower_that_was_down_is_caught_up_by_install_snapshot_7() {
    let mut cluster = Cluster::new(3, config(4));
    cluster.elect(1);
    cluster.deliver_all();
    cluster.crash(3);
    write(&mut cluster, 1, 1, 10);
    let leader = cluster.node(1);
    assert!(leader.snapshot_index() >= 8, "the leader compacted");
    cluster.restart(3);
    cluster.heartbeat();
    cluster.heartbeat();
    let installed: Vec<_> = cluster
        .delivered_where(|m| m.to == 3 && matches!(m.body, Body::InstallSnapshot { .. }))
        .into_iter()
        .cloned()
        .collect();
    assert_eq!(installed.len(), 1, "one InstallSnapshot reached S3");
    assert!(cluster
        .events(3)
        .iter()
        .any(|e| matches!(e, Event::InstallSnapshot { .. })));
    let (leader, follower) = (cluster.node(1), cluster.node(3));
    assert_eq!(follower.kv(), leader.kv());
    assert_eq!(follower.kv(), &expected_kv(BTreeMap::new(), 1, 10));
    assert_eq!(follower.last_index(), leader.last_index());
    assert_eq!(follower.commit_index(), leader.commit_index());
    for i in follower.first_index().max(leader.first_index())..=leader.last_index() {
        assert_eq!(follower.entry(i), leader.entry(i), "entry {i}");
    }
    let progress = leader.progress().iter().find(|p| p.id == 3).unwrap();
    assert_eq!(progress.match_index, leader.last_index());
    // And it keeps up afterwards with plain AppendEntries.
    write(&mut cluster, 1, 11, 1);
    cluster.heartbeat();
    assert_eq!(cluster.node(3).kv(), cluster.node(1).kv());
}

/// Figure 13, rules 6 and 7: a follower that already holds the snapshot's last entry in the
/// same term keeps the entries after it; one that does not discards its whole log.
#[test]
fn install_snapshot_keeps_a_matching_tail_and_discards_a_conflicting_log_7() {
    let mut cluster = Cluster::new(3, config(0));
    let term = cluster.elect(1);
    cluster.deliver_all();
    write(&mut cluster, 1, 1, 4);
    // S2 holds entries 1..=5. A snapshot below its commit index would change nothing: restart
    // it (commit index 0, no snapshot) so that a snapshot up to 3 is news to it.
    cluster.crash(2);
    cluster.restart(2);
    let kv3 = expected_kv(BTreeMap::new(), 1, 2);
    cluster.send(raftlab_raft::Message {
        from: 1,
        to: 2,
        term,
        body: Body::InstallSnapshot {
            last_included_index: 3,
            last_included_term: term,
            data: kv3.clone(),
            config: raftlab_raft::Membership::new(&[1, 2, 3], &[]),
        },
    });
    cluster.deliver_one();
    let node = cluster.node(2);
    assert_eq!(
        (node.snapshot_index(), node.first_index(), node.last_index()),
        (3, 4, 5)
    );
    assert_eq!(node.kv(), &kv3);
    assert_eq!((node.commit_index(), node.last_applied()), (3, 3));
    // A snapshot whose last entry S2 holds in another term (here a made-up later one)
    // replaces the whole log.
    cluster.drop_in_flight();
    cluster.crash(2);
    cluster.restart(2);
    cluster.send(raftlab_raft::Message {
        from: 1,
        to: 2,
        term,
        body: Body::InstallSnapshot {
            last_included_index: 4,
            last_included_term: term + 7,
            data: BTreeMap::new(),
            config: raftlab_raft::Membership::new(&[1, 2, 3], &[]),
        },
    });
    cluster.deliver_one();
    let node = cluster.node(2);
    assert_eq!((node.snapshot_index(), node.snapshot_term()), (4, term + 7));
    assert!(node.log().is_empty());
    assert_eq!(node.last_index(), 4);
    // The reply names the snapshot.
    let reply = cluster.queue.back().unwrap();
    assert_eq!(
        reply.body,
        Body::InstallSnapshotReply {
            last_included_index: 4
        }
    );
}

/// Section 7: the snapshot is persistent. After a crash the server rebuilds its state machine
/// from it, starts with commit index and lastApplied at its last index, and keeps the log
/// after it; the leader then brings it up to date with ordinary AppendEntries.
#[test]
fn restart_recovers_from_the_snapshot_and_the_log_7() {
    let mut cluster = Cluster::new(3, config(3));
    cluster.elect(1);
    cluster.deliver_all();
    write(&mut cluster, 1, 1, 4);
    let before = cluster.node(2).clone();
    assert!(before.snapshot_index() > 0);
    assert!(!before.log().is_empty(), "some entries after the snapshot");
    let persistent = cluster.crash(2);
    assert_eq!(persistent.snapshot, before.snapshot().clone());
    assert_eq!(persistent.log, before.log());
    cluster.restart(2);
    let node = cluster.node(2);
    assert_eq!(node.role(), Role::Follower);
    assert_eq!(node.commit_index(), before.snapshot_index());
    assert_eq!(node.last_applied(), before.snapshot_index());
    assert_eq!(node.kv(), &before.snapshot().kv);
    assert_eq!(node.log(), before.log());
    assert_eq!(node.last_index(), before.last_index());
    cluster.heartbeat();
    let node = cluster.node(2);
    assert_eq!(node.commit_index(), cluster.node(1).commit_index());
    assert_eq!(node.kv(), cluster.node(1).kv());
    // No InstallSnapshot was needed: the log after the snapshot was enough.
    assert!(cluster
        .delivered_where(|m| matches!(m.body, Body::InstallSnapshot { .. }))
        .is_empty());
}

/// Section 7: a stale leader's InstallSnapshot is refused with the receiver's term, as an
/// AppendEntries would be (Figure 13, receiver rule 1).
#[test]
fn a_stale_install_snapshot_is_refused_7() {
    let mut cluster = Cluster::new(3, config(0));
    let term = cluster.elect(1);
    cluster.deliver_all();
    cluster.send(raftlab_raft::Message {
        from: 3,
        to: 2,
        term: term - 1,
        body: Body::InstallSnapshot {
            last_included_index: 9,
            last_included_term: term - 1,
            data: BTreeMap::from([("x".to_string(), "stale".to_string())]),
            config: raftlab_raft::Membership::new(&[1, 2, 3], &[]),
        },
    });
    cluster.deliver_one();
    let node = cluster.node(2);
    assert_eq!(node.snapshot_index(), 0);
    assert!(node.kv().is_empty());
    let reply = cluster.queue.back().unwrap();
    assert_eq!((reply.to, reply.term), (3, term));
    assert_eq!(node.leader(), Some(1));
}
