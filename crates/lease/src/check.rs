//! The safety properties of leader election by lease, checked on the trace as it happens,
//! in REAL simulated time (the simulator's clock, not any node's).
//!
//! Words used below. A **holding** is one acquisition granted by the store: a holder and its
//! token (which grows by one per acquisition), starting at the real time the store granted it
//! (its `store_cas` event with op `acquire`). Tokens grow with grant time, so "newer holding"
//! means "higher token". A holding **acts** when the resource accepts a write carrying its
//! token. Source for both properties: Kleppmann, "How to do distributed locking" (2016): a
//! lease alone cannot stop a paused or slow holder from writing after its lease was given
//! away; a fencing token checked by the resource, atomically with the write, can.

use crate::{Event, Micros, NodeId, StoreOp};

/// A broken property.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// Which property (see [`Checker`]).
    pub property: &'static str,
    /// Real simulated time at which it was seen.
    pub at: Micros,
    /// One plain sentence for students.
    pub detail: String,
}

/// Watches the trace for [`TWO_LEADERS`] and [`STALE_WRITE`].
#[derive(Clone, Debug, Default)]
pub struct Checker {
    /// Holdings granted by the store: (token, holder, real time).
    grants: Vec<(u64, NodeId, Micros)>,
    /// Tokens whose writes the resource accepted: (token, holder, real time of the first).
    accepted: Vec<(u64, NodeId, Micros)>,
    /// Tokens that reached the resource, accepted or not: (token, holder, real time of the first).
    presented: Vec<(u64, NodeId, Micros)>,
    /// (property, token, newer token) already reported.
    reported: Vec<(&'static str, u64, u64)>,
}

/// Property name: two leaders act at once. Holdings A (older) and B (newer, a different
/// holder) overlap when the resource accepts a write of A at real time `t` after it had
/// accepted a write of B at some real time in `[grant(B), t]`: A still acts after B has begun
/// to act, so their acting periods `[grant, last accepted write]` intersect and the resource
/// holds writes of both, interleaved (Kleppmann's lost update).
pub const TWO_LEADERS: &str = "two_leaders_act_at_once";

/// Property name: a write under a stale lease is accepted. The resource accepts a write with
/// token `k` at real time `t` although, before `t`, the store had granted a higher token to
/// another holder AND that higher token had already reached the resource. (Before the newer
/// token reaches it, the resource cannot know the lease moved; such a write is ordered before
/// every write of the new holder and does no harm, which is why fencing is enough.)
pub const STALE_WRITE: &str = "stale_lease_write_accepted";

fn secs(us: Micros) -> String {
    format!("{}.{:03} s", us / 1_000_000, us / 1000 % 1000)
}

impl Checker {
    /// A checker that has seen nothing.
    pub fn new() -> Checker {
        Checker::default()
    }

    /// Feed one event emitted by `node`, at real simulated time `real_now`; returns what it
    /// breaks.
    pub fn observe(&mut self, real_now: Micros, _node: NodeId, event: &Event) -> Vec<Violation> {
        let mut found = Vec::new();
        match *event {
            Event::StoreCas {
                op: StoreOp::Acquire,
                holder,
                token,
                ..
            } => self.grants.push((token, holder, real_now)),
            Event::ResourceWrite {
                holder,
                token,
                accepted,
                ..
            } => {
                if accepted {
                    found.extend(self.two_leaders(real_now, holder, token));
                    found.extend(self.stale_write(real_now, holder, token));
                }
                let first = |v: &mut Vec<(u64, NodeId, Micros)>| {
                    if !v.iter().any(|x| x.0 == token) {
                        v.push((token, holder, real_now));
                    }
                };
                first(&mut self.presented);
                if accepted {
                    first(&mut self.accepted);
                }
            }
            _ => {}
        }
        found
    }

    fn grant(&self, token: u64) -> Option<Micros> {
        self.grants.iter().find(|g| g.0 == token).map(|g| g.2)
    }

    fn once(&mut self, property: &'static str, token: u64, newer: u64) -> bool {
        let key = (property, token, newer);
        let new = !self.reported.contains(&key);
        if new {
            self.reported.push(key);
        }
        new
    }

    /// [`TWO_LEADERS`].
    fn two_leaders(&mut self, now: Micros, holder: NodeId, token: u64) -> Option<Violation> {
        let &(newer, by, since) = self
            .accepted
            .iter()
            .filter(|a| a.0 > token && a.1 != holder)
            .max_by_key(|a| a.0)?;
        if !self.once(TWO_LEADERS, token, newer) {
            return None;
        }
        let granted = self.grant(newer).map_or(String::new(), |g| {
            format!(", leader by the store's grant at {}", secs(g))
        });
        Some(Violation {
            property: TWO_LEADERS,
            at: now,
            detail: format!(
                "The resource accepted a write from S{holder} with token {token} at {}, \
                 after it had accepted writes from S{by} with token {newer} since {}{granted}: \
                 two leaders acted at once.",
                secs(now),
                secs(since)
            ),
        })
    }

    /// [`STALE_WRITE`].
    fn stale_write(&mut self, now: Micros, holder: NodeId, token: u64) -> Option<Violation> {
        let (newer, by, reached, granted) = self
            .presented
            .iter()
            .filter(|p| p.0 > token && p.1 != holder)
            .filter_map(|p| Some((p.0, p.1, p.2, self.grant(p.0).filter(|&g| g < now)?)))
            .max_by_key(|p| p.0)?;
        if !self.once(STALE_WRITE, token, newer) {
            return None;
        }
        Some(Violation {
            property: STALE_WRITE,
            at: now,
            detail: format!(
                "The resource accepted a write from S{holder} with token {token} at {}, although \
                 the store had given the lease to S{by} with token {newer} at {} and that token \
                 had reached the resource at {}.",
                secs(now),
                secs(granted),
                secs(reached)
            ),
        })
    }
}
