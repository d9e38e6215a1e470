//! The event log in words for the systems other than Raft (leaderless quorums, lease
//! election).

use raftlab_raft::{Micros, NodeId};
use raftlab_sim::system::SysEvent;

fn vers(v: &[raftlab_quorum::Version]) -> String {
    let t: Vec<String> = v.iter().map(|v| v.text()).collect();
    t.join(" and ")
}

fn ms(us: Micros) -> String {
    crate::geometry::ms1(us)
}

fn via(v: raftlab_quorum::Via, from: NodeId) -> String {
    use raftlab_quorum::Via;
    match v {
        Via::Client => format!("from coordinator S{from}"),
        Via::Repair => format!("as a read repair from S{from}"),
        Via::Handoff => format!("handed off by S{from}"),
        Via::Sync => format!("by anti-entropy with S{from}"),
    }
}

/// A sentence for an event of another system than Raft, or `None` when it is not worth
/// telling (the picture shows it).
pub fn narrate(node: NodeId, event: &SysEvent) -> Option<String> {
    use raftlab_lease::Event as L;
    use raftlab_quorum::Event as Q;
    let s = format!("S{node}");
    Some(match event {
        SysEvent::Quorum(e) => match e {
            Q::QuorumRequest { phase, key, targets, needed, .. } => {
                let t: Vec<String> = targets.iter().map(|t| format!("S{t}")).collect();
                format!(
                    "{s} coordinates a {} of {key}: it asks {} and needs {needed} answers",
                    phase.as_str().replace('_', "-"),
                    t.join(", ")
                )
            }
            Q::QuorumAck { .. } => return None,
            Q::WriteAcked { key, value, version, .. } => format!(
                "{s} acknowledged the write {key}={value} (version {}) to the client: enough replicas stored it",
                version.text()
            ),
            Q::ReadDone { key, values, .. } => {
                let v: Vec<String> = values.iter().map(|(v, ver)| format!("{v} ({})", ver.text())).collect();
                if v.is_empty() {
                    format!("{s} answered the read of {key}: no value found on the replicas it heard from")
                } else {
                    format!("{s} answered the read of {key} with {}: the newest version among the replicas it heard from", v.join(" and "))
                }
            }
            Q::RequestTimeout { key, phase, acks, needed, .. } => format!(
                "{s} gave up on the {} of {key}: only {acks} of the {needed} answers it needs came in time",
                phase.as_str().replace('_', "-")
            ),
            Q::WriteStored { key, value, version, old, from, via: v } => {
                let replaced = if old.is_empty() {
                    String::new()
                } else {
                    format!(", replacing the older version {}", vers(old))
                };
                format!("{s} stored {key}={value} (version {}) {}{replaced}", version.text(), via(*v, *from))
            }
            Q::WriteIgnored { key, value, version, kept, from, via: v } => format!(
                "{s} ignored {key}={value} (version {}) {}: it keeps the newer version {} — last write wins silently drops the older one",
                version.text(),
                via(*v, *from),
                vers(kept)
            ),
            Q::ReadRepair { key, targets, blocking, .. } => {
                let t: Vec<String> = targets.iter().map(|t| format!("S{t}")).collect();
                format!(
                    "{s} repairs {key} on {}, which answered with an older value{}",
                    t.join(", "),
                    if *blocking { " (the read waits for the repair)" } else { "" }
                )
            }
            Q::HintStored { key, home, version } => format!(
                "{s} keeps a hint for {key} (version {}) on behalf of S{home}, which it cannot reach (sloppy quorum)",
                version.text()
            ),
            Q::HintHandedOff { key, home } => format!("{s} handed its hint for {key} back to S{home}, reachable again"),
            Q::AntiEntropy { peer, keys } => format!("{s} compared its replicas with S{peer}: {keys} keys brought up to date"),
            Q::PeerSuspected { peer } => format!("{s} suspects S{peer} is down: it did not answer in time"),
            Q::PeerHealthy { peer } => format!("{s} hears from S{peer} again"),
        },
        SysEvent::Lease(e) => match e {
            L::StoreCas { op, holder, token, revision } => {
                use raftlab_lease::StoreOp;
                match op {
                    StoreOp::Acquire => format!("The store {s} gave the lease to S{holder} with token {token} (revision {revision})"),
                    StoreOp::Renew => return None,
                    StoreOp::Release => format!("The store {s} released S{holder}'s lease (token {token})"),
                    StoreOp::Expire => format!("The store {s} let S{holder}'s lease (token {token}) expire on its own clock: S{holder} did not renew in time"),
                }
            }
            L::WatchFired { to, late_us, .. } => format!(
                "The store {s} told S{to} the record changed{}",
                if *late_us > 0 { format!(", {} ms late", ms(*late_us)) } else { String::new() }
            ),
            L::LeaseAcquired { holder, token, until } => format!(
                "S{holder} acquired the lease with token {token}{}: it now believes it leads",
                until.map_or(String::new(), |u| format!(", until {} ms on its own clock", ms(u)))
            ),
            L::LeaseRenewed { .. } => return None,
            L::LeaseLost { holder, token, reason } => format!("S{holder} stopped leading (token {token}): {reason}"),
            L::LeaseCasFailed { candidate, holder, reason, .. } => format!(
                "S{candidate}'s check-and-set on the lease failed{}: {reason}",
                holder.map_or(String::new(), |h| format!(" (the store says S{h} holds it)"))
            ),
            L::LeaseBelieves { .. } => return None,
            L::WorkStarted { holder, token, .. } => format!("S{holder} starts a write to the resource with token {token}, believing it leads"),
            L::ResourceWrite { holder, token, accepted: true, .. } => format!("The resource {s} accepted S{holder}'s write with token {token}"),
            L::ResourceWrite { holder, token, reason, highest, .. } => format!(
                "The resource {s} refused S{holder}'s write with token {token}: {reason} (it has seen token {highest})"
            ),
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftlab_quorum::{Event as Q, Version, Via};

    #[test]
    fn last_write_wins_drop_is_explained() {
        let e = SysEvent::Quorum(Q::WriteIgnored {
            key: "x".into(),
            value: "2".into(),
            version: Version::Stamp { n: 480000, node: 2 },
            kept: vec![Version::Stamp { n: 500000, node: 1 }],
            from: 2,
            via: Via::Client,
        });
        let text = narrate(2, &e).unwrap();
        assert!(text.contains("ignored x=2 (version 480000@S2)"), "{text}");
        assert!(text.contains("newer version 500000@S1"), "{text}");
        assert!(text.contains("last write wins"), "{text}");
    }

    #[test]
    fn every_event_of_the_examples_has_words_or_is_left_to_the_picture() {
        for path in ["examples/quorum-lww-skew.json", "examples/lease-pause.json"] {
            let text = std::fs::read_to_string(path).unwrap();
            let mut m =
                crate::model::Model::new(raftlab_sim::scenario::Scenario::parse(&text).unwrap());
            m.run_for(5_000_000);
            let mut told = 0;
            for e in m.trace().iter() {
                if let raftlab_sim::trace::TraceKind::Sys { node, event } = &e.kind {
                    if let Some(t) = narrate(*node, event) {
                        assert!(t.starts_with('S') || t.starts_with("The "), "{t}");
                        assert!(!t.contains('_'), "a trace name leaked into the words: {t}");
                        told += 1;
                    }
                }
            }
            assert!(told > 3, "{path}: only {told} sentences");
        }
    }
}
