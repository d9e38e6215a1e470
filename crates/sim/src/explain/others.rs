//! Explanations for the systems other than Raft (`system` `quorum` and `lease`): a server's
//! state and why it is so, and a message on the wire with what its receiver would do.
//!
//! - Leaderless quorums (Dynamo 4.5-4.7; ABD for blocking read repair): what a replica
//!   holds, whether the key's other replicas agree and what would bring them together, the
//!   requests it coordinates with their quorum counts, its hints and suspicions.
//! - Lease election on a check-and-set store (Kubernetes client-go; Consul sessions;
//!   Kleppmann 2016 for fencing): the store's record, each candidate's belief on its own
//!   clock set against that record, and the resource's fencing check.
//!
//! A message's prediction steps a copy of its receiver with it, at the receiver's clock now,
//! exactly as the simulator would, and tells what that copy did.

use super::{and, at, dur, list, s, timing, Explanation};
use crate::sim::{InFlight, Simulation};
use crate::system::{SystemConfig, Wire};
use raftlab_raft::NodeId;

/// A server of a quorum or lease run.
pub(super) fn node(sim: &Simulation, id: NodeId) -> Result<Explanation, String> {
    let n = sim.node_count() as NodeId;
    if id == 0 || id > n {
        return Err(format!(
            "no server {}: the cluster has S1 to {}",
            s(id),
            s(n)
        ));
    }
    let mut lines = Vec::new();
    if !sim.is_alive(id) {
        lines.push(format!(
            "{} is down: it answers nothing until it restarts, with what it kept on stable \
             storage.",
            s(id)
        ));
    } else if let Some(until) = sim.paused_until(id) {
        lines.push(format!(
            "{} is paused until {}: it handles nothing while its clock runs on; what reaches \
             it waits, and its late timers fire first when it wakes.",
            s(id),
            at(until)
        ));
    }
    let title = match sim.system_config() {
        SystemConfig::Quorum(c) => {
            replica(sim, id, &c, &mut lines);
            format!("{}, a replica", s(id))
        }
        SystemConfig::Lease(c) => {
            let role = lease_node(sim, id, &c, &mut lines);
            format!("{}, the {role}", s(id))
        }
        SystemConfig::Raft => return Err("this run is of Raft".into()),
    };
    Ok(Explanation { title, lines })
}

fn versions(sibs: &raftlab_quorum::Siblings) -> String {
    let v: Vec<String> = sibs
        .iter()
        .map(|(value, ver)| format!("{value} (version {})", ver.text()))
        .collect();
    and(&v)
}

fn replica(sim: &Simulation, id: NodeId, c: &raftlab_quorum::Config, lines: &mut Vec<String>) {
    let nodes = sim.quorum_nodes();
    let Some(me) = nodes.get(id as usize - 1) else {
        return;
    };
    let n = c.n(nodes.len());
    let how = match c.versions {
        raftlab_quorum::Versions::Lww => {
            "last write wins: the newest timestamp of the coordinator's own clock, ties to the \
             higher server id"
        }
        raftlab_quorum::Versions::Counter => {
            "counters: a write reads R replicas first, then writes the next number"
        }
        raftlab_quorum::Versions::Vector => {
            "vector clocks: concurrent writes are both kept, as siblings, and a read returns \
             them all"
        }
    };
    if me.store().is_empty() {
        lines.push(format!("It holds no value yet. Versions: {how}."));
    }
    for (key, sibs) in me.store() {
        let pref = me.preference_list(key);
        // The key's replicas (the first N of its preference list), named in order of id.
        let mut replicas = pref[..n.min(pref.len())].to_vec();
        crate::order::sort_ids(&mut replicas);
        let replicas = &replicas[..];
        let mut line = if sibs.len() > 1 {
            format!(
                "It holds {} concurrent values of {key}, kept side by side: {}.",
                sibs.len(),
                versions(sibs)
            )
        } else {
            format!("It holds {key} = {}.", versions(sibs))
        };
        if !replicas.contains(&id) {
            line.push_str(&format!(
                " It is not one of {key}'s {n} replicas ({}): it stood in for one.",
                list(replicas)
            ));
        }
        lines.push(line);
        // The key's other replicas, as they are now (a crashed one keeps its data).
        let differ: Vec<String> = replicas
            .iter()
            .filter(|&&r| r != id)
            .filter_map(|&r| {
                let theirs = nodes.get(r as usize - 1)?.store().get(key);
                match theirs {
                    Some(t) if t == sibs => None,
                    Some(t) => Some(format!("{} holds {}", s(r), versions(t))),
                    None => Some(format!("{} holds none", s(r))),
                }
            })
            .collect();
        if differ.is_empty() {
            lines.push(format!(
                "Every replica of {key} ({}) holds the same.",
                list(replicas)
            ));
        } else {
            let mend = match (c.read_repair, c.anti_entropy_ms) {
                (raftlab_quorum::ReadRepair::Off, 0) => {
                    "nothing will bring them together but a newer write: read repair and \
                     anti-entropy are off"
                        .to_string()
                }
                (raftlab_quorum::ReadRepair::Off, ms) => {
                    format!("anti-entropy (every {ms} ms) will bring them together")
                }
                (_, 0) => "a read that sees both will repair the stale replicas".to_string(),
                (_, ms) => format!(
                    "a read that sees both repairs the stale replicas, and anti-entropy (every \
                     {ms} ms) does in any case"
                ),
            };
            lines.push(format!(
                "The replicas of {key} disagree: {}. Until they agree, a read may see either \
                 (Dynamo 4.5); {mend}.",
                and(&differ)
            ));
        }
    }
    let clock = sim.node_clock(id);
    for p in me.pending() {
        let waiting: Vec<NodeId> = p
            .targets
            .iter()
            .map(|t| t.0)
            .filter(|t| !p.acks.contains(t))
            .collect();
        let what = match (p.phase, &p.value) {
            (raftlab_quorum::Phase::Read, Some(v)) => {
                format!("a write of {} = {v}, reading the versions first", p.key)
            }
            (raftlab_quorum::Phase::Read, None) => format!("a read of {}", p.key),
            (raftlab_quorum::Phase::Write, Some(v)) => format!("a write of {} = {v}", p.key),
            (raftlab_quorum::Phase::Write, None) => format!("a write of {}", p.key),
            (raftlab_quorum::Phase::WriteBack, _) => format!(
                "a read of {}, writing the newest value back to W replicas before it answers \
                 (blocking read repair, ABD)",
                p.key
            ),
        };
        let quorum = if p.phase == raftlab_quorum::Phase::Read {
            "R"
        } else {
            "W"
        };
        let from = if p.acks.is_empty() {
            String::new()
        } else {
            format!(" (from {})", list(&p.acks))
        };
        lines.push(format!(
            "It coordinates {what} (client request {}): {} of {quorum} = {} answers{from}; \
             waiting for {}. It gives up in {} of its own clock and answers \"timeout\", an \
             unknown outcome: a write may still reach replicas and appear later.",
            p.request,
            p.acks.len(),
            p.needed,
            if waiting.is_empty() {
                "nobody".to_string()
            } else {
                list(&waiting)
            },
            dur(p.deadline.saturating_sub(clock)),
        ));
    }
    for h in me.hints() {
        lines.push(format!(
            "It keeps a hint for {}: {} = {}, stored on its behalf while {} was unreachable \
             (sloppy quorum, Dynamo 4.6). It hands it over when {} answers.",
            s(h.home),
            h.key,
            versions(&h.values),
            s(h.home),
            s(h.home)
        ));
    }
    let suspected = me.suspected();
    if !suspected.is_empty() {
        lines.push(format!(
            "It suspects {} (no answer before a request's deadline){}.",
            list(&suspected),
            if c.sloppy {
                ": its next requests go to stand-ins instead"
            } else {
                ""
            }
        ));
    }
    let (_, overlap) = raftlab_quorum::check::quorums_overlap(c, nodes.len());
    lines.push(format!(
        "Settings: W = {}, R = {} of N = {n}. {overlap} Versions: {how}.",
        c.write_quorum, c.read_quorum
    ));
}

/// Explains a lease-run server; returns its role's name.
fn lease_node(
    sim: &Simulation,
    id: NodeId,
    c: &raftlab_lease::Config,
    lines: &mut Vec<String>,
) -> &'static str {
    use raftlab_lease::Role;
    let nodes = sim.lease_nodes();
    let Some(me) = nodes.get(id as usize - 1) else {
        return "server";
    };
    let record = nodes.first().and_then(|st| st.store_record());
    let session = c.session_ttl_us > 0;
    match me.role() {
        Role::Store => {
            lines.push(
                "It is the store: a linearizable key-value store whose one record names the \
                 lease holder; a candidate changes it only by check-and-set on the record's \
                 modify index, so two candidates cannot both win one change."
                    .to_string(),
            );
            lines.push(match record {
                Some(r) => format!(
                    "The record names {} with fencing token {} (modify index {}), acquired at \
                     {} and last renewed at {} on the store's clock.",
                    s(r.holder),
                    r.token,
                    r.mod_index,
                    at(r.acquired_at),
                    at(r.renewed_at)
                ),
                None => "The record is empty: nobody holds the lease.".to_string(),
            });
            lines.push(if session {
                format!(
                    "Session mode (Consul): the store itself deletes the record when its holder \
                     has not renewed for {} on the store's clock{}.",
                    dur(c.session_ttl_us),
                    if c.lock_delay_us > 0 {
                        format!(", then refuses it to anybody for {}", dur(c.lock_delay_us))
                    } else {
                        String::new()
                    }
                )
            } else {
                format!(
                    "Lease mode (Kubernetes): the store never expires the record; each candidate \
                     judges on its own clock that the holder is gone after {} without a change.",
                    dur(c.lease_duration_us)
                )
            });
            if c.watch_delay_us > 0 || c.watch_jitter_us > 0 {
                lines.push(format!(
                    "It tells watchers of a change {} late (plus up to {}): a candidate may act \
                     on an old record meanwhile.",
                    dur(c.watch_delay_us),
                    dur(c.watch_jitter_us)
                ));
            }
            "store"
        }
        Role::Resource => {
            let (highest, accepted) = me.resource_state().unwrap_or((0, 0));
            lines.push(format!(
                "It is the resource the leader writes to. It took {accepted} {}; the highest \
                 fencing token it has seen is {highest}.",
                if accepted == 1 { "write" } else { "writes" }
            ));
            lines.push(if c.fencing {
                format!(
                    "Fencing is on: it refuses a write whose token is below {highest}, so a \
                     leader that lost its lease without knowing cannot overwrite its successor's \
                     work (Kleppmann 2016)."
                )
            } else {
                "Fencing is off: it takes every write, whatever its token; two servers that \
                 both believe they lead can both write."
                    .to_string()
            });
            "resource"
        }
        Role::Candidate => {
            let clock = sim.node_clock(id);
            let belief = me.belief();
            let leading = belief.is_some_and(|b| b.leading);
            let token = belief.and_then(|b| b.token);
            lines.push(match belief {
                Some(b) if b.leading => format!(
                    "It believes it leads, with token {}{}. While it does, it writes to the \
                     resource every {}.",
                    token.unwrap_or(0),
                    match b.until {
                        Some(u) => format!(
                            ", until {} on its own clock unless it renews (renew deadline {})",
                            at(u),
                            dur(c.renew_deadline_us)
                        ),
                        None => ", until the store tells it otherwise (session mode)".into(),
                    },
                    dur(c.work_period_us)
                ),
                Some(b) => match b.holder {
                    Some(h) => format!(
                        "It believes {} holds the lease{}{}; it tries to take it every {} once \
                         the record has not changed for {}.",
                        s(h),
                        b.token.map_or(String::new(), |t| format!(" (token {t})")),
                        b.until.map_or(String::new(), |u| format!(
                            ", and may take it over at {} on its own clock",
                            at(u)
                        )),
                        dur(c.retry_period_us),
                        dur(c.lease_duration_us)
                    ),
                    None => format!(
                        "It believes nobody holds the lease; it tries to take it every {}.",
                        dur(c.retry_period_us)
                    ),
                },
                None => "It has not read the record yet.".to_string(),
            });
            if let Some(u) = belief.filter(|b| b.leading).and_then(|b| b.until) {
                if u <= clock {
                    lines.push(format!(
                        "That moment has passed on its own clock, which reads {}: it stops \
                         leading {}.",
                        at(clock),
                        if sim.paused_until(id).is_some() {
                            "when it wakes and its late timer fires"
                        } else {
                            "as soon as its timer fires"
                        }
                    ));
                }
            }
            if clock != sim.now() {
                lines.push(format!(
                    "Its clock reads {} while real time is {}: every duration above is measured \
                     on it.",
                    at(clock),
                    at(sim.now())
                ));
            }
            // The gap this system teaches: belief against the record.
            match (leading, record) {
                (true, Some(r)) if r.holder != id => lines.push(format!(
                    "But the store's record names {} (token {}): this belief is stale. Two \
                     servers act as leader at once until it learns so, at its next renewal or \
                     from a watch; {}",
                    s(r.holder),
                    r.token,
                    if c.fencing {
                        "meanwhile the resource refuses its writes (token below the newest)."
                    } else {
                        "meanwhile its writes reach the resource unchecked (fencing is off)."
                    }
                )),
                (true, None) => lines.push(
                    "But the store's record is empty: the store let its lease go, and it does \
                     not know yet."
                        .to_string(),
                ),
                (true, Some(_)) => {
                    lines.push("The store's record agrees: it holds the lease.".to_string())
                }
                (false, Some(r)) if r.holder == id => lines.push(format!(
                    "The store's record still names it (token {}), but it no longer believes \
                     it leads: it does not write.",
                    r.token
                )),
                _ => {}
            }
            "candidate"
        }
    }
}

/// A message of a quorum or lease run, with what its receiver would do now.
pub(super) fn message(sim: &Simulation, f: &InFlight<'_>) -> Result<Explanation, String> {
    let (from, to) = (f.message.from(), f.message.to());
    let mut lines = vec![fields(f.message)];
    if let Some(of) = f.copy_of {
        lines.push(format!("It is a copy of message {of} made by the network."));
    }
    lines.push(timing(sim, f));
    if f.lost {
        lines.push(format!(
            "It will never arrive, so {} will do nothing with it.",
            s(to)
        ));
    } else if !sim.is_alive(to) {
        lines.push(format!("{} is down: it would not handle it.", s(to)));
    } else {
        let said = predict(sim, f.message);
        if said.is_empty() {
            lines.push(format!(
                "If it arrived now, {} would change nothing (an answer to a round that is over, \
                 or news it already has).",
                s(to)
            ));
        } else {
            lines.push(format!(
                "If it arrived now, {} would: {}.",
                s(to),
                and(&said)
            ));
        }
    }
    Ok(Explanation {
        title: format!(
            "message {} ({} from {} to {})",
            f.id,
            f.message.type_name(),
            s(from),
            s(to)
        ),
        lines,
    })
}

fn fields(m: &Wire) -> String {
    match m {
        Wire::Quorum(q) => {
            use raftlab_quorum::Body;
            match &q.body {
                Body::Read { key, .. } => {
                    format!("A coordinator asks for the replica's values of {key}.")
                }
                Body::ReadReply { key, values, .. } => format!(
                    "A replica's answer for {key}: {}.",
                    if values.is_empty() {
                        "no value".to_string()
                    } else {
                        versions(values)
                    }
                ),
                Body::Write {
                    key,
                    values,
                    hint_for,
                    via,
                    ..
                } => format!(
                    "{}: store {key} = {}{}.",
                    match via {
                        raftlab_quorum::Via::Client => "A client's write",
                        raftlab_quorum::Via::Repair => "Read repair",
                        raftlab_quorum::Via::Handoff => "A hint handed over",
                        raftlab_quorum::Via::Sync => "Anti-entropy",
                    },
                    versions(values),
                    hint_for.map_or(String::new(), |h| format!(", as a hint for {}", s(h))),
                ),
                Body::WriteAck { key, .. } => {
                    format!("The replica stored the write of {key} (or holds a newer version).")
                }
                Body::Sync { items } => format!(
                    "Anti-entropy: the sender's values of {} {} the two share.",
                    items.len(),
                    if items.len() == 1 { "key" } else { "keys" }
                ),
                Body::SyncReply { items } => format!(
                    "Anti-entropy's answer: the receiver's values of {} {}.",
                    items.len(),
                    if items.len() == 1 { "key" } else { "keys" }
                ),
            }
        }
        Wire::Lease(l) => {
            use raftlab_lease::Body;
            match &l.body {
                Body::Get { .. } => "A candidate reads the lease record.".to_string(),
                Body::Cas { expect, .. } => format!(
                    "A candidate writes itself as the holder if the record's modify index is \
                     still {expect}{}.",
                    if *expect == 0 {
                        " (0: only if nobody holds it)"
                    } else {
                        ""
                    }
                ),
                Body::Release { .. } => "The holder gives the lease up.".to_string(),
                Body::Reply(r) => format!(
                    "The store's answer: {}; the record {}.",
                    if r.ok {
                        "done".to_string()
                    } else {
                        format!("refused ({})", r.reason)
                    },
                    match r.record {
                        Some(rec) => format!("names {} with token {}", s(rec.holder), rec.token),
                        None => "is empty".to_string(),
                    }
                ),
                Body::WatchEvent { record, .. } => format!(
                    "A watch: the record changed; it now {}.",
                    match record {
                        Some(rec) => format!("names {} with token {}", s(rec.holder), rec.token),
                        None => "is empty".to_string(),
                    }
                ),
                Body::Write { token } => {
                    format!("The leader's write to the resource, with fencing token {token}.")
                }
                Body::WriteReply { token, accepted } => format!(
                    "The resource {} the write with token {token}.",
                    if *accepted { "took" } else { "refused" }
                ),
            }
        }
        Wire::Raft(_) => String::new(),
    }
}

/// Steps a copy of the receiver with the message, at its clock now, and says what it did.
fn predict(sim: &Simulation, m: &Wire) -> Vec<String> {
    let to = m.to();
    let now = sim.node_clock(to);
    let mut said = Vec::new();
    match m {
        Wire::Quorum(q) => {
            use raftlab_quorum::Event as E;
            let Some(node) = sim.quorum_nodes().get(to as usize - 1) else {
                return said;
            };
            let mut copy = node.clone();
            let mut ready = raftlab_quorum::Ready::default();
            copy.step(now, raftlab_quorum::Input::Message(q.clone()), &mut ready);
            for e in &ready.events {
                said.push(match e {
                    E::WriteStored {
                        key,
                        value,
                        version,
                        ..
                    } => {
                        format!("store {key} = {value} (version {})", version.text())
                    }
                    E::WriteIgnored { key, value, .. } => format!(
                        "keep its newer version of {key} and drop {value} (still acknowledged: \
                         this is how last write wins loses a write silently)"
                    ),
                    E::QuorumAck { acks, needed, .. } => {
                        format!("count {acks} of the {needed} answers it needs")
                    }
                    E::WriteAcked { key, value, .. } => {
                        format!("tell the client its write of {key} = {value} is done")
                    }
                    E::ReadDone { key, values, .. } => format!(
                        "answer the client's read of {key} with {}",
                        if values.is_empty() {
                            "no value".to_string()
                        } else {
                            versions(values)
                        }
                    ),
                    E::ReadRepair {
                        targets, blocking, ..
                    } => format!(
                        "send the newest value back to {}{}",
                        list(targets),
                        if *blocking {
                            " and wait for W of them (blocking read repair)"
                        } else {
                            ""
                        }
                    ),
                    E::HintStored { key, home, .. } => {
                        format!("keep {key} as a hint for {}", s(*home))
                    }
                    E::HintHandedOff { home, .. } => {
                        format!("drop the hint {} now holds", s(*home))
                    }
                    E::PeerHealthy { peer } => format!("stop suspecting {}", s(*peer)),
                    other => other.kind().replace('_', " "),
                });
            }
            for out in &ready.messages {
                use raftlab_quorum::Body;
                match &out.body {
                    Body::ReadReply { key, values, .. } => said.push(format!(
                        "answer {} with its values of {key}: {}",
                        s(out.to),
                        if values.is_empty() {
                            "none".to_string()
                        } else {
                            versions(values)
                        }
                    )),
                    Body::WriteAck { key, .. } => {
                        said.push(format!("acknowledge the write of {key} to {}", s(out.to)))
                    }
                    Body::SyncReply { items } => said.push(format!(
                        "answer with its own values of {} {}",
                        items.len(),
                        if items.len() == 1 { "key" } else { "keys" }
                    )),
                    // Writes and reads it sends are told by the events above (a repair, a
                    // new round).
                    _ => {}
                }
            }
        }
        Wire::Lease(l) => {
            use raftlab_lease::Event as E;
            let Some(node) = sim.lease_nodes().get(to as usize - 1) else {
                return said;
            };
            let mut copy = node.clone();
            let mut ready = raftlab_lease::Ready::default();
            copy.step(now, raftlab_lease::Input::Message(l.clone()), &mut ready);
            for e in &ready.events {
                said.push(match e {
                    E::StoreCas {
                        op, holder, token, ..
                    } => {
                        use raftlab_lease::StoreOp;
                        let h = s(*holder);
                        match op {
                            StoreOp::Acquire => format!("give the lease to {h} with token {token}"),
                            StoreOp::Renew => format!("renew {h}'s lease (token {token})"),
                            StoreOp::Release => format!("release {h}'s lease (token {token})"),
                            StoreOp::Expire => format!("let {h}'s lease (token {token}) expire"),
                        }
                    }
                    E::LeaseAcquired { token, .. } => {
                        format!("believe it leads, with token {token}")
                    }
                    E::LeaseRenewed { .. } => "renew its lease".to_string(),
                    E::LeaseLost { reason, .. } => format!("stop leading ({reason})"),
                    E::LeaseCasFailed { reason, .. } => {
                        format!("learn its check-and-set failed ({reason})")
                    }
                    E::ResourceWrite {
                        accepted,
                        reason,
                        token,
                        ..
                    } => format!(
                        "{} the write with token {token} ({reason})",
                        if *accepted { "take" } else { "refuse" }
                    ),
                    E::LeaseBelieves { belief, .. } => match belief.holder {
                        Some(h) if !belief.leading => format!("believe {} holds the lease", s(h)),
                        Some(_) => "go on believing it leads".to_string(),
                        None => "believe nobody holds the lease".to_string(),
                    },
                    other => other.kind().replace('_', " "),
                });
            }
            for out in &ready.messages {
                if let raftlab_lease::Body::Reply(r) = &out.body {
                    said.push(if r.ok {
                        format!("answer {}: done", s(out.to))
                    } else {
                        format!("refuse it and tell {} why: {}", s(out.to), r.reason)
                    });
                }
            }
        }
        Wire::Raft(_) => {}
    }
    said.dedup();
    said
}
