//! Properties of a leaderless cluster, checked as the simulator runs it.
//!
//! One property, **an acknowledged write is lost** (`acked_write_lost`), is watched by two
//! rules, one per function:
//! - [`Checker::shadowed`]: a write that was acknowledged carries a version that does not
//!   supersede the version of a write acknowledged *before it began*. Every replica prefers the
//!   older write, so no read can ever return the newer one, although its client was told it
//!   succeeded. This is how last-write-wins loses writes when clocks are skewed (Kingsbury,
//!   "Jepsen: Cassandra" and "Jepsen: Riak", 2013; Kleppmann, DDIA chapter 8, "Timestamps for
//!   ordering events").
//! - [`Checker::vanished`]: no server holds an acknowledged write's version, or a version that
//!   supersedes it, in its data or its hints. The write is gone from the cluster (DeCandia et
//!   al., "Dynamo", 2007, section 4.6: durability comes from keeping N copies).
//!
//! Concurrent writes (neither acknowledged before the other began) may legitimately hide one
//! another: a linearizable register may order either first. Whether reads are linearizable is
//! checked on the clients' history by the simulator, not here; [`quorums_overlap`] reports the
//! R + W > N setting, which is a setting, not a guarantee.

use crate::{Config, Event, Micros, Node, NodeId, RequestId, Version};

/// A property broken at a moment of the run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The property's name: `acked_write_lost`.
    pub property: &'static str,
    /// Real simulated time.
    pub at: Micros,
    /// One plain sentence for a student.
    pub detail: String,
}

/// An acknowledged write the checker remembers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Acked {
    /// Its coordinator.
    pub node: NodeId,
    /// The client request.
    pub request: RequestId,
    /// The key.
    pub key: String,
    /// The value.
    pub value: String,
    /// Its version.
    pub version: Version,
    /// When the coordinator received it (real time).
    pub invoked: Micros,
    /// When it was acknowledged (real time).
    pub at: Micros,
    /// Already reported as vanished.
    pub lost: bool,
}

/// Watches the events of every node; see the module documentation.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    starts: Vec<(NodeId, RequestId, Micros)>,
    acked: Vec<Acked>,
}

const LOST: &str = "acked_write_lost";

impl Checker {
    /// A checker that has seen nothing.
    pub fn new() -> Checker {
        Checker::default()
    }

    /// How many requests a coordinator started that have not ended yet (acknowledged, read,
    /// or timed out): the checker forgets each one when it ends, so this stays as small as
    /// the requests in progress.
    pub fn open_requests(&self) -> usize {
        self.starts.len()
    }

    /// The acknowledged writes still watched (a write superseded by a later acknowledged one
    /// is dropped: that one's survival covers it).
    pub fn acked(&self) -> &[Acked] {
        &self.acked
    }

    /// Feeds one event of `node` at real time `real_now`.
    pub fn observe(&mut self, real_now: Micros, node: NodeId, event: &Event) -> Vec<Violation> {
        let started =
            |c: &Checker, r: RequestId| c.starts.iter().position(|s| s.0 == node && s.1 == r);
        match event {
            Event::QuorumRequest { request, .. } => {
                if started(self, *request).is_none() {
                    self.starts.push((node, *request, real_now));
                }
                Vec::new()
            }
            Event::RequestTimeout { request, .. } | Event::ReadDone { request, .. } => {
                if let Some(i) = started(self, *request) {
                    self.starts.swap_remove(i);
                }
                Vec::new()
            }
            Event::WriteAcked {
                request,
                key,
                value,
                version,
            } => {
                let invoked = match started(self, *request) {
                    Some(i) => self.starts.swap_remove(i).2,
                    None => real_now,
                };
                let w = Acked {
                    node,
                    request: *request,
                    key: key.clone(),
                    value: value.clone(),
                    version: version.clone(),
                    invoked,
                    at: real_now,
                    lost: false,
                };
                let out = self.shadowed(&w);
                self.acked
                    .retain(|a| a.key != w.key || !w.version.covers(&a.version));
                self.acked.push(w);
                out
            }
            _ => Vec::new(),
        }
    }

    /// Rule 1 of `acked_write_lost`: `w` was just acknowledged, but a write acknowledged
    /// before `w` began has a version at least as new, so replicas keep that one and `w` is
    /// never read (last-write-wins with a coordinator whose clock is behind). At most one
    /// violation per write, naming the latest such earlier write.
    pub fn shadowed(&self, w: &Acked) -> Vec<Violation> {
        self.acked
            .iter()
            .rev()
            .find(|a| a.key == w.key && a.at < w.invoked && a.version.covers(&w.version))
            .map(|a| Violation {
                property: LOST,
                at: w.at,
                detail: format!(
                    "S{} acknowledged {}={} with version {}, but {}={} was acknowledged by S{} \
                     before that write began and has the newer version {}: replicas keep {}={} \
                     and the acknowledged write is silently lost.",
                    w.node,
                    w.key,
                    w.value,
                    w.version.text(),
                    a.key,
                    a.value,
                    a.node,
                    a.version.text(),
                    a.key,
                    a.value
                ),
            })
            .into_iter()
            .collect()
    }

    /// Rule 2 of `acked_write_lost`: an acknowledged write whose version (or a newer one) is
    /// held by no server, in its data or its hints. `nodes` must list every server, crashed
    /// ones included (their data survives on disk). Each write is reported once.
    pub fn vanished(&mut self, real_now: Micros, nodes: &[(NodeId, &Node)]) -> Vec<Violation> {
        let mut out = Vec::new();
        for a in self.acked.iter_mut().filter(|a| !a.lost) {
            let held = nodes.iter().any(|(_, n)| {
                let hinted = n.hints().iter().filter(|h| h.key == a.key);
                n.store()
                    .get(&a.key)
                    .into_iter()
                    .chain(hinted.map(|h| &h.values))
                    .flatten()
                    .any(|(_, v)| v.covers(&a.version))
            });
            if !held {
                a.lost = true;
                out.push(Violation {
                    property: LOST,
                    at: real_now,
                    detail: format!(
                        "{}={} (version {}), acknowledged by S{}, is no longer on any server \
                         and no newer version replaced it.",
                        a.key,
                        a.value,
                        a.version.text(),
                        a.node
                    ),
                });
            }
        }
        out
    }

    /// The whole-cluster check, to call after every step: [`Checker::vanished`].
    pub fn check_nodes(&mut self, real_now: Micros, nodes: &[(NodeId, &Node)]) -> Vec<Violation> {
        self.vanished(real_now, nodes)
    }
}

/// Whether read and write quorums are sure to overlap (R + W > N and no sloppy quorum), with
/// one sentence saying what the setting does and does not promise. A setting, not a guarantee: with a sloppy quorum the W
/// acknowledgements may come from stand-ins outside the key's N replicas, and even strict
/// overlapping quorums are not linearizable without blocking read repair.
pub fn quorums_overlap(config: &Config, cluster_len: usize) -> (bool, String) {
    let n = config.n(cluster_len);
    let (r, w) = (config.read_quorum, config.write_quorum);
    let overlap = r + w > n;
    let mut s = if overlap {
        format!(
            "R + W > N ({r} + {w} > {n}): every read quorum meets every write quorum in at \
             least one replica."
        )
    } else {
        format!(
            "R + W <= N ({r} + {w} <= {n}): a read may ask only replicas that missed the \
             latest acknowledged write."
        )
    };
    if overlap && config.sloppy {
        s.push_str(" With a sloppy quorum, writes acknowledged by stand-ins escape that overlap.");
    }
    (overlap && !config.sloppy, s)
}

/// The odds that a read of R replicas chosen at random misses a write that has reached only W
/// of the N replicas (Bailis et al., "Probabilistically Bounded Staleness", VLDB 2012):
/// C(N - W, R) / C(N, R), as a reduced fraction (numerator, denominator). (0, 1) when
/// R + W > N: every read quorum then meets the write's replicas. For N = 3 and R = W = 1 it is
/// (2, 3). Exact for the cluster sizes a page shows (the binomials saturate past about 60).
pub fn stale_read_odds(n: u64, r: u64, w: u64) -> (u64, u64) {
    fn choose(n: u64, k: u64) -> u64 {
        if k > n {
            return 0;
        }
        (0..k).fold(1u64, |acc, i| acc.saturating_mul(n - i) / (i + 1))
    }
    let (a, b) = (choose(n.saturating_sub(w), r), choose(n, r).max(1));
    let g = (1..=a.min(b))
        .rev()
        .find(|d| a % d == 0 && b % d == 0)
        .unwrap_or(b);
    (a / g, b / g)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Phase;

    fn start(c: &mut Checker, node: NodeId, request: RequestId, phase: Phase) {
        let e = Event::QuorumRequest {
            request,
            phase,
            key: "x".into(),
            targets: vec![1, 2, 3],
            needed: 2,
        };
        assert!(c.observe(10, node, &e).is_empty());
    }

    #[test]
    fn a_request_is_forgotten_when_it_ends_by_a_read_or_a_timeout() {
        let mut c = Checker::new();
        start(&mut c, 1, 7, Phase::Read);
        start(&mut c, 2, 8, Phase::Write);
        // A second round of the same request is not a second start.
        start(&mut c, 2, 8, Phase::WriteBack);
        assert_eq!(c.open_requests(), 2);
        let done = Event::ReadDone {
            request: 7,
            key: "x".into(),
            values: Vec::new(),
        };
        assert!(c.observe(20, 1, &done).is_empty());
        assert_eq!(c.open_requests(), 1);
        // The same request number at another coordinator is another request.
        let timeout = |request| Event::RequestTimeout {
            request,
            key: "x".into(),
            phase: Phase::Write,
            acks: 1,
            needed: 2,
        };
        assert!(c.observe(30, 1, &timeout(8)).is_empty());
        assert_eq!(c.open_requests(), 1);
        assert!(c.observe(30, 2, &timeout(8)).is_empty());
        assert_eq!(c.open_requests(), 0);
    }
}
