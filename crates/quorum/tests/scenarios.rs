//! The teaching scenarios of leaderless replication, step by step (contrast-systems A 1-5).

mod common;

use common::*;
use raftlab_quorum::check::{quorums_overlap, stale_read_odds};
use raftlab_quorum::*;

fn config(w: usize, r: usize, versions: Versions, read_repair: ReadRepair) -> Config {
    Config {
        write_quorum: w,
        read_quorum: r,
        versions,
        read_repair,
        ..Config::default()
    }
}

/// N = 3, W = 2, R = 2: `old` is everywhere; `new` is on S1 only (its messages to S2 and S3
/// are slow). Reader A via S2 asks {S2, S1}; reader B, after A has its answer, asks {S3, S2}.
/// Returns (A's values, B's values).
fn new_then_old(read_repair: ReadRepair) -> (Net, Vec<String>, Vec<String>) {
    let mut net = Net::new(3, config(2, 2, Versions::Lww, read_repair));
    net.write(1, 1, "x", "old");
    net.deliver_all();
    assert_eq!(net.held(3, "x"), ["old"]);
    net.t += 10_000;
    net.write(1, 2, "x", "new");
    assert_eq!(net.held(1, "x"), ["new"]);
    assert!(net.reply(2).is_none(), "the write waits for a second ack");
    // Reader A through S2: S2's own copy (old) and S1's answer (new).
    net.read(2, 3, "x");
    net.ask(2, 1);
    let a = net.read_values(3);
    // Reader B starts after A finished, through S3: its own copy and S2's answer.
    net.t += 1_000;
    net.read(3, 4, "x");
    net.ask(3, 2);
    let b = net.read_values(4);
    (net, a, b)
}

#[test]
fn new_then_old_with_overlapping_quorums_is_not_linearizable() {
    assert!(quorums_overlap(&config(2, 2, Versions::Lww, ReadRepair::Off), 3).0);
    let (net, a, b) = new_then_old(ReadRepair::Off);
    // A saw the new value, B (later) the old one: no single order of the operations explains
    // both, although R + W > N.
    assert_eq!(a, ["new"]);
    assert_eq!(b, ["old"]);
    assert!(net.violations.is_empty(), "no acknowledged write is lost");
}

#[test]
fn blocking_read_repair_fixes_new_then_old() {
    let (net, a, b) = new_then_old(ReadRepair::Blocking);
    assert_eq!(a, ["new"]);
    assert_eq!(
        b,
        ["new"],
        "A wrote new back to W replicas before answering"
    );
    // A's write-back stored new on S2 (its own copy) before A answered.
    let repair = net
        .events
        .iter()
        .find(|e| e.1.kind() == "read_repair")
        .expect("a read repair");
    assert_eq!(repair.0, 2);
    assert!(
        matches!(&repair.1, Event::ReadRepair { blocking: true, targets, .. } if targets.contains(&2))
    );
    assert_eq!(net.held(2, "x"), ["new"]);
}

#[test]
fn async_read_repair_answers_first() {
    let (net, a, b) = new_then_old(ReadRepair::Async);
    assert_eq!(a, ["new"]);
    // S2 repaired itself after answering A, so B (which reads S2) sees new as well here; what
    // async repair does not do is wait: the repair message to a remote replica may be late.
    assert_eq!(b, ["new"]);
    let i_reply = net
        .events
        .iter()
        .position(|e| e.1.kind() == "quorum_read_done");
    let i_repair = net.events.iter().position(|e| e.1.kind() == "read_repair");
    assert!(i_reply < i_repair, "the answer comes before the repair");
}

#[test]
fn a_timed_out_write_becomes_visible_later() {
    let mut net = Net::new(3, config(2, 2, Versions::Lww, ReadRepair::Async));
    net.write(1, 1, "x", "1");
    // S1 stored it (1 ack of W = 2); the messages to S2 and S3 are lost.
    net.drop_where(is_write);
    net.advance(100_000);
    assert_eq!(net.reply(1), Some(&Reply::Timeout));
    assert_eq!(net.count("peer_suspected"), 2);
    // A later read through S3 that includes S1 returns the "failed" write...
    net.read(3, 2, "x");
    net.ask(3, 1);
    assert_eq!(net.read_values(2), ["1"]);
    // ...and read repair spreads it: S3 now holds it too.
    assert_eq!(net.held(3, "x"), ["1"]);
    assert!(net.events.iter().any(|e| matches!(&e.1,
        Event::ReadRepair { blocking: false, targets, .. } if targets == &vec![3])));
    assert!(net.violations.is_empty());
}

/// x=1 through S1, then (after its ack) x=2 through S2, whose clock is 50 ms behind.
fn skewed(versions: Versions) -> Net {
    let mut net = Net::new(3, config(2, 2, versions, ReadRepair::Off));
    net.skew[1] = -50_000;
    net.write(1, 1, "x", "1");
    net.deliver_all();
    assert!(matches!(net.reply(1), Some(Reply::WriteOk { .. })));
    net.t += 10_000;
    net.write(2, 2, "x", "2");
    net.deliver_all();
    assert!(matches!(net.reply(2), Some(Reply::WriteOk { .. })));
    net.read(3, 3, "x");
    net.deliver_all();
    net
}

#[test]
fn lww_with_a_slow_clock_loses_an_acknowledged_write() {
    let net = skewed(Versions::Lww);
    // x=2 was acknowledged, yet every replica kept x=1 and said so in its trace.
    assert_eq!(net.read_values(3), ["1"]);
    assert_eq!(net.count("quorum_write_ignored"), 3);
    assert_eq!(net.violations.len(), 1);
    let v = &net.violations[0];
    assert_eq!(v.property, "acked_write_lost");
    assert!(v.detail.contains("S2 acknowledged x=2"), "{}", v.detail);
}

#[test]
fn counter_versions_read_first_and_keep_the_later_write() {
    let net = skewed(Versions::Counter);
    assert_eq!(net.read_values(3), ["2"]);
    assert_eq!(net.count("quorum_write_ignored"), 0);
    assert!(net.violations.is_empty(), "{:?}", net.violations);
    assert_eq!(
        net.reply(2),
        Some(&Reply::WriteOk {
            version: Version::Stamp { n: 2, node: 2 }
        })
    );
}

/// Two clients write x concurrently through S1 (`a`) and S2 (`b`): both first rounds (reads)
/// finish before either write is sent.
fn concurrent(versions: Versions) -> Net {
    let mut net = Net::new(3, config(2, 2, versions, ReadRepair::Off));
    net.write(1, 1, "x", "a");
    net.write(2, 2, "x", "b");
    let reads = |m: &Message| matches!(m.body, Body::Read { .. } | Body::ReadReply { .. });
    net.deliver_all_where(reads);
    // S2's writes first, then S1's.
    net.deliver_all_where(|m| m.from == 2 || m.to == 2);
    net.deliver_all();
    assert!(matches!(net.reply(1), Some(Reply::WriteOk { .. })));
    assert!(matches!(net.reply(2), Some(Reply::WriteOk { .. })));
    net.read(3, 3, "x");
    net.deliver_all();
    net
}

#[test]
fn lww_keeps_one_of_two_concurrent_writes() {
    let net = concurrent(Versions::Lww);
    // Same clock reading: the higher node id wins the tie; a is dropped where b arrived first.
    assert_eq!(net.read_values(3), ["b"]);
    assert!(net.events.iter().any(|e| matches!(&e.1,
        Event::WriteIgnored { value, .. } if value == "a")));
    // Concurrent writes: a linearizable register may order a first, so this is not a loss.
    assert!(net.violations.is_empty());
}

#[test]
fn vector_clocks_keep_concurrent_writes_as_siblings() {
    let mut net = concurrent(Versions::Vector);
    assert_eq!(net.read_values(3), ["a", "b"]);
    assert_eq!(net.held(3, "x"), ["a", "b"]);
    assert!(net.violations.is_empty());
    // A write that read both siblings supersedes them.
    net.write(3, 4, "x", "c");
    net.deliver_all();
    match net.reply(4) {
        Some(Reply::WriteOk { version }) => assert_eq!(version.text(), "[S1:1,S2:1,S3:1]"),
        other => panic!("{other:?}"),
    }
    net.read(1, 5, "x");
    net.deliver_all();
    assert_eq!(net.read_values(5), ["c"]);
}

#[test]
fn sloppy_quorum_reads_from_primaries_miss_hinted_writes() {
    let cfg = Config {
        replicas: 3,
        sloppy: true,
        ..config(2, 2, Versions::Lww, ReadRepair::Off)
    };
    assert!(
        !quorums_overlap(&cfg, 5).0,
        "sloppy quorums do not promise overlap"
    );
    let mut net = Net::new(5, cfg);
    let p = net.node(1).preference_list("k");
    let (c, p1, p2) = (p[0], p[1], p[2]);
    let cut =
        move |m: &Message| (m.from == c) != (m.to == c) && [p1, p2].contains(&(m.from + m.to - c));
    // A partition cuts the coordinator c from the two other primaries.
    net.write(c, 1, "k", "v1");
    net.drop_where(cut);
    net.advance(100_000);
    assert_eq!(net.reply(1), Some(&Reply::Timeout));
    assert_eq!(net.node(c).suspected(), {
        let mut s = vec![p1, p2];
        s.sort();
        s
    });
    // The next write goes to c and the two stand-ins, which keep hints for p1 and p2.
    net.write(c, 2, "k", "v2");
    assert_eq!(
        net.node(c).targets("k"),
        vec![(c, None), (p[3], Some(p1)), (p[4], Some(p2))]
    );
    net.drop_where(cut);
    net.deliver_all();
    assert!(matches!(net.reply(2), Some(Reply::WriteOk { .. })));
    assert_eq!(net.count("hint_stored"), 2);
    assert_eq!(net.node(p[3]).hints()[0].home, p1);
    // The partition heals. A read through p1 asks the primaries; p2 answers first: neither
    // has v2, although W = 2 acknowledged it and R + W > N.
    net.read(p1, 3, "k");
    net.ask(p1, p2);
    assert_eq!(net.read_values(3), Vec::<String>::new());
    // The stand-ins hand their hints over; reads then see v2.
    net.advance(100_000);
    net.deliver_all();
    assert_eq!(net.count("hint_handed_off"), 2);
    assert!(net.node(p[3]).hints().is_empty() && net.node(p[4]).hints().is_empty());
    assert_eq!(net.held(p1, "k"), ["v2"]);
    net.read(p1, 4, "k");
    net.ask(p1, p2);
    assert_eq!(net.read_values(4), ["v2"]);
    assert!(net.violations.is_empty());
    // p1 was heard from again (it asked c during its reads); p2's suspicion runs out after
    // ten request timeouts, and c then writes to the primaries again.
    assert!(net
        .events
        .iter()
        .any(|e| e.0 == c && e.1 == Event::PeerHealthy { peer: p1 }));
    assert!(
        net.node(c).suspected().contains(&p2),
        "only p1 was heard from"
    );
    net.advance(1_000_000);
    assert!(net.node(c).suspected().is_empty());
    assert_eq!(
        net.node(c).targets("k"),
        vec![(c, None), (p1, None), (p2, None)]
    );
}

#[test]
fn a_late_tick_fires_every_overdue_timeout_in_order() {
    let mut net = Net::new(3, config(2, 2, Versions::Lww, ReadRepair::Off));
    net.write(1, 1, "x", "1");
    net.t += 30_000;
    net.read(1, 2, "x");
    net.drop_where(|_| true);
    assert_eq!(net.node(1).next_deadline(), Some(net.t - 30_000 + 100_000));
    // The node was paused: its first tick comes long after both deadlines.
    net.advance(500_000);
    let order: Vec<RequestId> = net.replies.iter().map(|r| r.0).collect();
    assert_eq!(order, [1, 2]);
    assert!(net.replies.iter().all(|r| r.1 == Reply::Timeout));
    // Each of S2 and S3 is suspected once, as of the late tick; the suspicion then has its
    // own deadline, ten request timeouts later.
    assert_eq!(net.node(1).suspected(), [2, 3]);
    assert_eq!(net.node(1).next_deadline(), Some(net.t + 10 * 100_000));
}

#[test]
fn strict_quorum_does_not_use_stand_ins() {
    let cfg = Config {
        replicas: 3,
        ..config(2, 2, Versions::Lww, ReadRepair::Off)
    };
    let mut net = Net::new(5, cfg);
    let p = net.node(1).preference_list("k");
    net.write(p[0], 1, "k", "v");
    net.drop_where(|_| true);
    net.advance(100_000);
    assert_eq!(net.reply(1), Some(&Reply::Timeout));
    assert_eq!(
        net.node(p[0]).targets("k"),
        vec![(p[0], None), (p[1], None), (p[2], None)]
    );
    // The stand-ins never hear of the key.
    net.write(p[0], 2, "k", "w");
    assert!(net.queue.iter().all(|m| m.to == p[1] || m.to == p[2]));
}

#[test]
fn anti_entropy_spreads_a_write_that_reached_one_replica() {
    let cfg = Config {
        write_quorum: 1,
        anti_entropy_ms: 10,
        ..config(1, 1, Versions::Lww, ReadRepair::Off)
    };
    let mut net = Net::new(3, cfg);
    net.write(1, 1, "x", "1");
    assert!(matches!(net.reply(1), Some(Reply::WriteOk { .. })));
    net.drop_where(|_| true);
    assert!(net.held(2, "x").is_empty());
    // Every 10 ms each node syncs with its next peer in turn.
    net.advance(9_999);
    assert_eq!(net.count("anti_entropy"), 0);
    net.advance(1);
    assert_eq!(net.node(1).next_deadline(), Some(net.t + 10_000));
    net.deliver_all();
    assert_eq!(net.count("anti_entropy"), 3);
    assert_eq!(net.held(2, "x"), ["1"]);
    net.advance(10_000);
    net.deliver_all();
    assert_eq!(net.held(3, "x"), ["1"]);
    // S1 syncs with its peers in turn: S2, then S3.
    let peers: Vec<NodeId> = net
        .events
        .iter()
        .filter_map(|e| match e.1 {
            Event::AntiEntropy { peer, .. } if e.0 == 1 => Some(peer),
            _ => None,
        })
        .collect();
    assert_eq!(peers, [2, 3]);
    assert!(net
        .events
        .iter()
        .any(|e| matches!(&e.1, Event::WriteStored { via: Via::Sync, .. })));
}

#[test]
fn a_wiped_replica_loses_a_write_acknowledged_by_one() {
    for (w, lost) in [(1, true), (2, false)] {
        let mut net = Net::new(3, config(w, 1, Versions::Lww, ReadRepair::Off));
        net.write(1, 1, "x", "1");
        // Only S2 hears of it.
        net.drop_where(|m| m.to == 3);
        net.deliver_all();
        assert!(matches!(net.reply(1), Some(Reply::WriteOk { .. })));
        if w == 1 {
            // W = 1: answered at once, and the message to S2 was lost as well.
            assert_eq!(net.held(2, "x"), ["1"]);
            net.nodes[1] = Node::recover(2, &[1, 2, 3], &net.config, Persistent::default(), 0);
        }
        // S1's disk is replaced.
        net.nodes[0] = Node::recover(1, &[1, 2, 3], &net.config, Persistent::default(), 0);
        net.check();
        assert_eq!(net.violations.len(), lost as usize, "W = {w}");
        if lost {
            assert!(net.violations[0].detail.contains("no longer on any server"));
        }
    }
}

#[test]
fn a_restarted_replica_keeps_its_data() {
    let mut net = Net::new(3, config(2, 2, Versions::Vector, ReadRepair::Off));
    net.write(1, 1, "x", "1");
    net.deliver_all();
    let saved = net.node(1).persistent();
    net.nodes[0] = Node::recover(1, &[1, 2, 3], &net.config, saved, net.t);
    assert_eq!(net.held(1, "x"), ["1"]);
    // Its own clock entry keeps growing after the restart.
    net.write(1, 2, "x", "2");
    net.deliver_all();
    assert_eq!(
        net.reply(2),
        Some(&Reply::WriteOk {
            version: Version::Clock(vec![(1, 2)])
        })
    );
}

#[test]
fn bad_settings_fail_requests_with_a_reason() {
    let n3 = Config {
        replicas: 3,
        ..config(2, 2, Versions::Lww, ReadRepair::Off)
    };
    assert_eq!(n3.validate(3), Ok(()));
    assert!(n3
        .validate(2)
        .unwrap_err()
        .contains("larger than the cluster"));
    assert!(config(2, 0, Versions::Lww, ReadRepair::Off)
        .validate(3)
        .unwrap_err()
        .contains("read_quorum is 0"));
    let cfg = config(4, 2, Versions::Lww, ReadRepair::Off);
    assert!(cfg.validate(3).unwrap_err().contains("write_quorum is 4"));
    let mut net = Net::new(3, cfg);
    net.write(1, 1, "x", "1");
    assert!(matches!(net.reply(1), Some(Reply::Failed { reason }) if reason.contains("N = 3")));
    assert!(net.queue.is_empty());
}

#[test]
fn quorum_overlap_is_reported_as_a_setting() {
    let (yes, s) = quorums_overlap(&config(2, 2, Versions::Lww, ReadRepair::Off), 3);
    assert!(yes && s.contains("2 + 2 > 3"));
    let (no, s) = quorums_overlap(&config(1, 1, Versions::Lww, ReadRepair::Off), 3);
    assert!(!no && s.contains("1 + 1 <= 3"));
    let (no, s) = quorums_overlap(&config(2, 1, Versions::Lww, ReadRepair::Off), 3);
    assert!(!no && s.contains("1 + 2 <= 3"));
    let (yes, s) = quorums_overlap(&config(3, 1, Versions::Lww, ReadRepair::Off), 3);
    assert!(yes && !s.contains("sloppy"));
    let sloppy = Config {
        sloppy: true,
        ..config(3, 1, Versions::Lww, ReadRepair::Off)
    };
    let (no, s) = quorums_overlap(&sloppy, 3);
    assert!(!no && s.contains("sloppy quorum"));
    let sloppy = Config {
        sloppy: true,
        ..config(1, 1, Versions::Lww, ReadRepair::Off)
    };
    assert!(!quorums_overlap(&sloppy, 3).1.contains("sloppy"));
}

#[test]
fn acks_are_counted_in_the_trace() {
    let mut net = Net::new(3, config(3, 2, Versions::Lww, ReadRepair::Off));
    net.write(1, 1, "x", "1");
    let p = &net.node(1).pending()[0];
    assert_eq!((p.request, p.phase, p.needed), (1, Phase::Write, 3));
    assert_eq!(p.acks, [1], "S1's own write counts at once");
    net.deliver_all();
    let acks: Vec<(usize, usize)> = net
        .events
        .iter()
        .filter_map(|e| match &e.1 {
            Event::QuorumAck { acks, needed, .. } => Some((*acks, *needed)),
            _ => None,
        })
        .collect();
    assert_eq!(acks, [(1, 3), (2, 3), (3, 3)]);
    let e = net
        .events
        .iter()
        .find(|e| e.1.kind() == "quorum_write_stored")
        .unwrap();
    let fields = e.1.fields();
    assert_eq!(fields[0], ("key", Value::Str("x".into())));
    assert_eq!(fields[2], ("version", Value::Str("1000000@S1".into())));
    assert!(net.node(1).pending().is_empty());
    assert_eq!(fields[5], ("via", Value::Str("client".into())));
    // R = 2 here, not W = 3: a read answers with two answers.
    net.read(2, 2, "x");
    net.ask(2, 3);
    assert_eq!(net.read_values(2), ["1"]);
}

#[test]
fn a_blocking_read_of_an_absent_key_answers_at_once() {
    let mut net = Net::new(3, config(2, 2, Versions::Lww, ReadRepair::Blocking));
    net.read(1, 1, "nothing");
    net.ask(1, 2);
    assert_eq!(net.reply(1), Some(&Reply::ReadOk { values: vec![] }));
    assert_eq!(net.count("read_repair"), 0);
}

#[test]
fn a_hint_updated_during_its_handoff_is_kept_until_the_new_value_is_handed_over() {
    let cfg = Config {
        replicas: 3,
        sloppy: true,
        ..config(2, 2, Versions::Lww, ReadRepair::Off)
    };
    let mut net = Net::new(5, cfg);
    let p = net.node(1).preference_list("k");
    let (c, home, stand_in) = (p[0], p[1], p[3]);
    let hinted = |value: &str, n: u64| {
        Input::Message(Message {
            from: c,
            to: stand_in,
            body: Body::Write {
                op: n,
                key: "k".into(),
                values: vec![(value.into(), Version::Stamp { n, node: c })],
                hint_for: Some(home),
                via: Via::Client,
            },
        })
    };
    net.step(stand_in, hinted("v2", 2));
    net.advance(100_000);
    // The handoff of v2 is on its way; v3 arrives as a hint before its ack.
    assert!(net.queue.iter().any(|m| m.from == stand_in && m.to == home));
    net.step(stand_in, hinted("v3", 3));
    net.deliver_all_where(|m| m.to == home || m.from == home);
    assert_eq!(net.count("hint_handed_off"), 0);
    assert_eq!(net.node(stand_in).hints()[0].values[0].0, "v3");
    // The next attempt hands v3 over.
    net.queue.clear();
    net.advance(100_000);
    net.deliver_all_where(|m| m.to == home || m.from == home);
    assert_eq!(net.count("hint_handed_off"), 1);
    assert!(net.node(stand_in).hints().is_empty());
    assert_eq!(net.held(home, "k"), ["v3"]);
}

#[test]
fn the_checker_watches_only_writes_not_superseded_by_a_later_acknowledged_one() {
    // LWW: x=2 supersedes x=1; y is another key.
    let mut net = Net::new(3, config(2, 2, Versions::Lww, ReadRepair::Off));
    for (r, k, v) in [(1, "x", "1"), (2, "y", "1"), (3, "x", "2")] {
        net.t += 1_000;
        net.write(1, r, k, v);
        net.deliver_all();
    }
    let watched: Vec<(&str, &str)> = net
        .checker
        .acked()
        .iter()
        .map(|a| (a.key.as_str(), a.value.as_str()))
        .collect();
    assert_eq!(watched, [("y", "1"), ("x", "2")]);
    // Vector clocks: two concurrent writes both stay watched.
    let net = concurrent(Versions::Vector);
    assert_eq!(net.checker.acked().len(), 2);
}

#[test]
fn pbs_odds_of_missing_a_write_on_w_replicas() {
    assert_eq!(stale_read_odds(3, 1, 1), (2, 3));
    assert_eq!(stale_read_odds(3, 2, 2), (0, 1));
    assert_eq!(stale_read_odds(5, 2, 2), (3, 10));
    assert_eq!(stale_read_odds(5, 1, 1), (4, 5));
    // C(2, 2) / C(3, 2) = 1/3; C(3, 2) / C(4, 2) = 3/6, reduced.
    assert_eq!(stale_read_odds(3, 2, 1), (1, 3));
    assert_eq!(stale_read_odds(4, 2, 1), (1, 2));
}

#[test]
fn hints_count_as_copies_until_the_stand_ins_are_wiped_too() {
    let cfg = Config {
        replicas: 3,
        sloppy: true,
        ..config(2, 2, Versions::Lww, ReadRepair::Off)
    };
    let mut net = Net::new(5, cfg);
    let p = net.node(1).preference_list("k");
    let c = p[0];
    net.write(c, 1, "k", "v1");
    net.drop_where(|_| true);
    net.advance(100_000);
    net.write(c, 2, "k", "v2");
    net.drop_where(|m| m.to == p[1] || m.to == p[2]);
    net.deliver_all();
    assert!(matches!(net.reply(2), Some(Reply::WriteOk { .. })));
    let ids: Vec<NodeId> = (1..=5).collect();
    let wipe = |net: &mut Net, id: NodeId| {
        net.nodes[id as usize - 1] = Node::recover(id, &ids, &net.config, Persistent::default(), 0);
        net.check();
    };
    // v2 is now only in the stand-ins' hints: still held.
    wipe(&mut net, c);
    assert!(net.violations.is_empty(), "{:?}", net.violations);
    wipe(&mut net, p[3]);
    assert!(net.violations.is_empty());
    wipe(&mut net, p[4]);
    assert_eq!(net.violations.len(), 1);
    assert!(net.violations[0].detail.starts_with("k=v2"));
}

#[test]
fn the_preference_list_starts_at_the_fnv_hash_of_the_key() {
    let net = Net::new(5, Config::default());
    // FNV-1a 64 of "a" is 0xaf63dc4c8601ec8c, which is 1 modulo 5: the list starts at S2.
    assert_eq!(0xaf63_dc4c_8601_ec8c_u64 % 5, 1);
    assert_eq!(net.node(3).preference_list("a"), [2, 3, 4, 5, 1]);
    let starts: std::collections::BTreeSet<NodeId> = ["a", "b", "c", "d", "e", "f", "g", "h"]
        .iter()
        .map(|k| net.node(1).preference_list(k)[0])
        .collect();
    assert!(
        starts.len() >= 3,
        "keys spread over the servers: {starts:?}"
    );
}

#[test]
fn anti_entropy_keeps_keys_on_their_replicas_only() {
    let cfg = Config {
        replicas: 3,
        anti_entropy_ms: 10,
        ..config(3, 1, Versions::Lww, ReadRepair::Off)
    };
    let mut net = Net::new(5, cfg);
    let p = net.node(1).preference_list("k");
    net.write(p[0], 1, "k", "v");
    net.deliver_all();
    assert!(matches!(net.reply(1), Some(Reply::WriteOk { .. })));
    for _ in 0..10 {
        net.advance(10_000);
        net.deliver_all();
    }
    assert!(net.count("anti_entropy") >= 40);
    for &id in &p[3..] {
        assert!(net.held(id, "k").is_empty(), "S{id} is not a replica of k");
    }
}

#[test]
fn timers_after_a_restart_and_on_a_single_server() {
    let cfg = Config {
        anti_entropy_ms: 10,
        ..config(1, 1, Versions::Lww, ReadRepair::Off)
    };
    let single = Node::new(1, &[1], &cfg);
    assert_eq!(single.next_deadline(), None, "no peer to sync with");
    let fresh = Node::new(1, &[1, 2, 3], &cfg);
    assert_eq!(
        fresh.next_deadline(),
        Some(0),
        "the first tick schedules anti-entropy"
    );
    let hint = Hint {
        id: 0,
        home: 2,
        key: "k".into(),
        values: vec![("v".into(), Version::Stamp { n: 1, node: 1 })],
    };
    let saved = Persistent {
        hints: vec![hint],
        ..Persistent::default()
    };
    let off = Config {
        anti_entropy_ms: 0,
        ..cfg
    };
    let node = Node::recover(3, &[1, 2, 3], &off, saved.clone(), 5_000_000);
    assert_eq!(
        node.next_deadline(),
        Some(5_000_000 + 100_000),
        "hint handoff"
    );
    let node = Node::recover(3, &[1, 2, 3], &cfg, Persistent::default(), 5_000_000);
    assert_eq!(
        node.next_deadline(),
        Some(5_000_000 + 10_000),
        "anti-entropy"
    );
    assert_eq!((node.id(), node.config()), (3, &cfg));
    // Without anti-entropy nothing is sent in the background.
    let mut net = Net::new(3, off);
    net.nodes[2] = Node::recover(3, &[1, 2, 3], &off, saved, net.t);
    for _ in 0..5 {
        net.advance(100_000);
        net.deliver_all();
    }
    assert!(net
        .sent
        .iter()
        .all(|m| m.body.type_name() == "Write" || m.body.type_name() == "WriteAck"));
    assert_eq!(net.count("hint_handed_off"), 1);
}

/// A stand-in keeps one hint per (home, key): two keys meant for the same suspected replica
/// are two hints, a read of one key answers only that key's hint, and a handoff lost on the
/// way is sent again a request timeout later (Dynamo 4.6). Anti-entropy is off: no sync is
/// ever sent.
#[test]
fn a_stand_in_keeps_a_hint_per_key_answers_each_key_alone_and_retries_a_lost_handoff() {
    let cfg = Config {
        replicas: 1,
        sloppy: true,
        ..config(1, 1, Versions::Lww, ReadRepair::Off)
    };
    let mut net = Net::new(3, cfg);
    // Two keys with the same preference list: primary p, then the stand-in s, then c.
    let p = net.node(1).preference_list("k0");
    let other = (1..200)
        .map(|i| format!("k{i}"))
        .find(|k| net.node(1).preference_list(k) == p)
        .expect("a second key with the same preference list");
    let (home, stand_in, c) = (p[0], p[1], p[2]);
    // c's first write of k0 to p is lost: it times out and c suspects p.
    net.write(c, 1, "k0", "old");
    net.drop_where(|m| m.to == home);
    net.advance(100_000);
    assert_eq!(net.reply(1), Some(&Reply::Timeout));
    assert_eq!(net.node(c).suspected(), vec![home]);
    // Both keys now go to the stand-in, as hints for p.
    net.write(c, 2, "k0", "v0");
    net.write(c, 3, &other, "v1");
    net.deliver_all_where(|m| m.to != home);
    assert!(matches!(net.reply(2), Some(Reply::WriteOk { .. })));
    assert!(matches!(net.reply(3), Some(Reply::WriteOk { .. })));
    let hints = net.node(stand_in).hints();
    assert_eq!(hints.len(), 2, "{hints:?}");
    assert_eq!(
        (
            hints[0].home,
            hints[0].key.as_str(),
            hints[1].home,
            hints[1].key.as_str()
        ),
        (home, "k0", home, other.as_str())
    );
    // A read of k0 through c asks the stand-in: it answers k0's hint, not the other key's.
    net.read(c, 4, "k0");
    net.deliver_all_where(|m| m.to != home);
    assert_eq!(net.read_values(4), ["v0"]);
    // The stand-in hands both hints over; the first handoff is lost on the way.
    net.advance(100_000);
    let handoffs = |net: &Net| {
        net.queue
            .iter()
            .filter(|m| m.from == stand_in && m.to == home && is_write(m))
            .count()
    };
    assert_eq!(handoffs(&net), 2);
    net.drop_where(|m| m.to == home);
    net.advance(100_000);
    assert_eq!(handoffs(&net), 2, "the lost handoff is sent again");
    net.deliver_all();
    assert_eq!(net.held(home, "k0"), ["v0"]);
    assert_eq!(net.held(home, &other), ["v1"]);
    assert!(net.node(stand_in).hints().is_empty());
    assert_eq!(net.count("anti_entropy"), 0);
    assert!(net.violations.is_empty(), "{:?}", net.violations);
}

/// A coordinator counts an answer only when it is of the round's kind and comes from one of
/// the round's targets: a forged ack from a server outside the preference list, or a read
/// reply to a write round, does not complete the quorum.
#[test]
fn a_stray_answer_does_not_complete_a_quorum() {
    let mut net = Net::new(
        5,
        Config {
            replicas: 3,
            ..config(3, 2, Versions::Lww, ReadRepair::Off)
        },
    );
    let key = "x";
    let pref = net.node(1).preference_list(key);
    let (coordinator, target, outsider) = (pref[0], pref[1], pref[4]);
    net.write(coordinator, 1, key, "v");
    let op = net
        .queue
        .iter()
        .find_map(|m| match m.body {
            Body::Write { op, .. } => Some(op),
            _ => None,
        })
        .expect("the write fans out");
    let forged = |from, body| Message {
        from,
        to: coordinator,
        body,
    };
    // Two acks from the outsider, and a read reply from a real target: none counts.
    for _ in 0..2 {
        let ack = Body::WriteAck {
            op,
            key: key.into(),
        };
        net.step(coordinator, Input::Message(forged(outsider, ack)));
    }
    let reply = Body::ReadReply {
        op,
        key: key.into(),
        values: Vec::new(),
    };
    net.step(coordinator, Input::Message(forged(target, reply)));
    assert!(net.reply(1).is_none(), "W = 3 needs two real acks");
    net.deliver_all();
    assert!(matches!(net.reply(1), Some(Reply::WriteOk { .. })));
}

/// A cluster of one server has no peer to sync with: anti-entropy stays idle (and does not
/// divide by an empty peer list), while reads and writes work with W = R = 1.
#[test]
fn a_lone_server_with_anti_entropy_on_has_no_one_to_sync_with() {
    let mut net = Net::new(
        1,
        Config {
            anti_entropy_ms: 10,
            ..config(1, 1, Versions::Lww, ReadRepair::Off)
        },
    );
    net.write(1, 1, "x", "v");
    for _ in 0..5 {
        net.advance(10_000);
    }
    assert_eq!(net.count("anti_entropy"), 0);
    assert!(net.queue.is_empty());
    net.read(1, 2, "x");
    assert_eq!(net.read_values(2), ["v"]);
}

/// Blocking read repair writes back only a value that was read: a read of a key nobody holds
/// answers "not set" at once, even when R < W, with no write-back round.
#[test]
fn blocking_read_repair_of_an_unset_key_writes_nothing_back() {
    let mut net = Net::new(3, config(3, 1, Versions::Lww, ReadRepair::Blocking));
    net.read(1, 1, "never-written");
    assert_eq!(
        net.reply(1),
        Some(&Reply::ReadOk { values: Vec::new() }),
        "R = 1: the coordinator's own answer is enough"
    );
    assert!(!net.queue.iter().any(is_write), "nothing to write back");
}

/// An asynchronous read repair sent to a stand-in carries the hint the stand-in holds its
/// place by (Dynamo 4.6): the stand-in keeps the repaired value as a hint for its home replica
/// and hands it over once that replica is back, rather than keeping it as its own data.
#[test]
fn an_async_read_repair_to_a_stand_in_is_kept_as_a_hint_for_its_home() {
    let cfg = Config {
        replicas: 3,
        sloppy: true,
        ..config(2, 3, Versions::Lww, ReadRepair::Async)
    };
    let mut net = Net::new(5, cfg);
    let p = net.node(1).preference_list("k");
    let (c, p1, p2, s1, s2) = (p[0], p[1], p[2], p[3], p[4]);
    let cut = move |m: &Message| [p1, p2].contains(&m.to) || [p1, p2].contains(&m.from);
    // c cannot reach p1 and p2: its write times out and it suspects both.
    net.write(c, 1, "k", "v1");
    net.drop_where(cut);
    net.advance(100_000);
    assert_eq!(net.reply(1), Some(&Reply::Timeout));
    assert_eq!(
        net.node(c).targets("k"),
        vec![(c, None), (s1, Some(p1)), (s2, Some(p2))]
    );
    // v2 reaches c and s1 (a hint for p1), enough for W = 2; s2's copy is lost.
    net.write(c, 2, "k", "v2");
    net.drop_where(move |m| m.to == s2 || cut(m));
    net.deliver_all_where(move |m| !cut(m));
    assert!(matches!(net.reply(2), Some(Reply::WriteOk { .. })));
    assert!(net.node(s2).hints().is_empty());
    // A read through c asks c, s1 and s2 (R = 3): it answers v2, then repairs s2 alone.
    net.read(c, 3, "k");
    net.deliver_all_where(move |m| !cut(m));
    assert_eq!(net.read_values(3), ["v2"]);
    assert_eq!(net.count("read_repair"), 1);
    // s2 keeps v2 as a hint for p2, the replica it stands in for, and not as its own key.
    let hints = net.node(s2).hints();
    assert_eq!(hints.len(), 1, "{hints:?}");
    assert_eq!((hints[0].home, hints[0].key.as_str()), (p2, "k"));
    assert_eq!(net.held(s2, "k"), Vec::<String>::new());
    // The partition heals: the stand-ins hand their hints over, and p2 then holds v2.
    net.drop_where(cut);
    net.advance(100_000);
    net.deliver_all();
    assert_eq!(net.held(p2, "k"), ["v2"]);
    assert!(net.node(s2).hints().is_empty());
    assert!(net.violations.is_empty(), "{:?}", net.violations);
}
