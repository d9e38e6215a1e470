//! `max_entries_per_message`: how many entries one AppendEntries may carry (paper 5.3: a
//! leader may send several at once, for efficiency).

use raftlab_raft::{Body, NodeId};
use raftlab_sim::scenario::{Action, ConfigPatch, SimConfig, Target};
use raftlab_sim::trace::{TraceEvent, TraceKind};
use raftlab_sim::Simulation;
use std::cell::RefCell;
use std::rc::Rc;

/// What reached the follower while it caught up: for each AppendEntries that carried entries,
/// its message id and how many; and for each entry the follower appended, the id of the
/// message that brought it.
struct CatchUp {
    sizes: Vec<(u64, usize)>,
    appended_from: Vec<u64>,
    caught_up: bool,
}

/// A 3-server cluster whose follower misses 3 writes while cut off, then is reconnected
/// (with PreVote, so that its return does not start an election, thesis 9.6).
fn catch_up(max: Option<u64>) -> CatchUp {
    let config = SimConfig {
        max_entries_per_message: max.unwrap_or(64),
        pre_vote: true,
        ..SimConfig::default()
    };
    let mut sim = Simulation::new(3, config, 5);
    sim.run_until(1_000_000, false);
    let leader = sim.leader().expect("a leader by 1 s");
    let follower: NodeId = (1..=3).find(|&n| n != leader).unwrap();
    sim.act(&Action::Isolate(Target::Node(follower)));
    for v in 1..=3 {
        sim.act(&Action::ClientWrite {
            node: None,
            key: "x".into(),
            value: v.to_string(),
        });
    }
    sim.run_until(1_500_000, false);
    let lead = &sim.nodes()[leader as usize - 1];
    let behind = lead.last_index() - sim.nodes()[follower as usize - 1].last_index();
    assert_eq!(behind, 3, "the follower is 3 entries behind");
    assert_eq!(
        lead.commit_index(),
        lead.last_index(),
        "the others commit them"
    );
    let trace = Rc::new(RefCell::new(Vec::<TraceEvent>::new()));
    let sink = trace.clone();
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    sim.act(&Action::Heal);
    let target = sim.nodes()[leader as usize - 1].last_index();
    let end = sim.now() + 1_000_000;
    while sim.now() < end && sim.nodes()[follower as usize - 1].last_index() < target {
        assert!(sim.step());
    }
    let mut out = CatchUp {
        sizes: Vec::new(),
        appended_from: Vec::new(),
        caught_up: sim.nodes()[follower as usize - 1].last_index() == target,
    };
    let mut last_delivered = None;
    for e in trace.borrow().iter() {
        match &e.kind {
            TraceKind::Deliver { node, msg } if *node == follower => {
                last_delivered = Some(msg.id);
                if let Body::AppendEntries { entries, .. } = &msg.message.raft().unwrap().body {
                    if !entries.is_empty() {
                        out.sizes.push((msg.id, entries.len()));
                    }
                }
            }
            TraceKind::Deliver { .. } => last_delivered = None,
            TraceKind::Append { node, .. } if *node == follower => out
                .appended_from
                .push(last_delivered.expect("appended on a delivery")),
            _ => {}
        }
    }
    out
}

/// With 1, a follower 3 entries behind gets them in 3 messages, one entry each.
#[test]
fn one_entry_per_message_takes_three_messages_5_3() {
    let c = catch_up(Some(1));
    assert!(c.caught_up);
    assert!(c.sizes.iter().all(|&(_, n)| n == 1), "{:?}", c.sizes);
    // Three entries appended, each from a different message (a heartbeat may repeat one the
    // follower already holds, which it does not append again).
    assert_eq!(c.appended_from.len(), 3);
    let mut ids = c.appended_from.clone();
    ids.dedup();
    assert_eq!(ids.len(), 3, "{:?}", c.appended_from);
}

/// With the default (64), the same 3 entries travel together in one message.
#[test]
fn the_default_sends_them_together_5_3() {
    let c = catch_up(None);
    assert!(c.caught_up);
    assert_eq!(c.appended_from.len(), 3);
    assert!(c.appended_from.iter().all(|&id| id == c.appended_from[0]));
    assert!(c
        .sizes
        .iter()
        .any(|&(id, n)| id == c.appended_from[0] && n == 3));
}

/// `set` changes the limit live: every server's core gets it.
#[test]
fn set_changes_the_limit_live() {
    let mut sim = Simulation::new(3, SimConfig::default(), 5);
    assert!(sim
        .nodes()
        .iter()
        .all(|n| n.config().max_entries_per_message == 64));
    sim.act(&Action::Set(ConfigPatch {
        max_entries_per_message: Some(2),
        ..ConfigPatch::default()
    }));
    assert_eq!(sim.config().max_entries_per_message, 2);
    assert!(sim
        .nodes()
        .iter()
        .all(|n| n.config().max_entries_per_message == 2));
}
