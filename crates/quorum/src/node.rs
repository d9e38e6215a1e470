//! One server: a replica of the keys it is responsible for, and the coordinator of the client
//! requests it receives. [`Node::step`] is the single entry point.

use crate::*;
use std::collections::BTreeMap;

/// A write a stand-in keeps for a replica it could not reach (sloppy quorum, Dynamo 4.6).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Hint {
    /// The round number of the latest handoff attempt: 0 before the first, and again 0 when the
    /// hint gets a new value, so an answer to an older attempt does not drop the newer value.
    pub id: u64,
    /// The replica the write is meant for.
    pub home: NodeId,
    /// The key.
    pub key: String,
    /// The values kept for `home`.
    pub values: Siblings,
}

/// What survives a crash: the replica's data, its hints, and the counters that keep its
/// versions and round numbers unique.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Persistent {
    /// Key to siblings.
    pub store: BTreeMap<String, Siblings>,
    /// Hints held for other replicas.
    pub hints: Vec<Hint>,
    /// The last timestamp, counter or own vector-clock entry this node issued.
    pub last_stamp: u64,
    /// The last round number used.
    pub last_op: u64,
}

/// A client request a coordinator is working on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Pending {
    /// The client request.
    pub request: RequestId,
    /// The current round's number (in messages).
    pub op: u64,
    /// The key.
    pub key: String,
    /// The value of a client write; `None` for a read.
    pub value: Option<String>,
    /// The current round.
    pub phase: Phase,
    /// The servers asked in this round, each with the replica it stands in for (sloppy).
    pub targets: Vec<(NodeId, Option<NodeId>)>,
    /// The servers that answered this round, in order.
    pub acks: Vec<NodeId>,
    /// Answers needed (R or W).
    pub needed: usize,
    /// Read round: what each server answered.
    pub replies: Vec<(NodeId, Siblings)>,
    /// Read round: the newest values seen so far; write rounds: what is being written.
    pub result: Siblings,
    /// When the coordinator gives up (its own clock).
    pub deadline: Micros,
}

/// One server of a leaderless cluster.
#[derive(Clone, Debug)]
pub struct Node {
    id: NodeId,
    cluster: Vec<NodeId>,
    config: Config,
    data: Persistent,
    pending: Vec<Pending>,
    /// Suspected peers, sorted, each with the time its suspicion ends.
    suspected: Vec<(NodeId, Micros)>,
    /// The next anti-entropy sync; `None` until the first tick of a fresh node schedules it.
    next_sync: Option<Micros>,
    sync_turn: usize,
    next_handoff: Option<Micros>,
}

/// A suspicion ends this many request timeouts after it began, if the peer has not been
/// heard from before: the coordinator then tries the peer again.
pub const SUSPICION_TIMEOUTS: u64 = 10;

/// FNV-1a, to place a key on the ring of servers.
fn hash(key: &str) -> u64 {
    key.bytes().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ b as u64).wrapping_mul(0x100_0000_01b3)
    })
}

fn same_versions(a: &Siblings, b: &Siblings) -> bool {
    a.len() == b.len() && a.iter().all(|(_, v)| b.iter().any(|(_, w)| w == v))
}

impl Node {
    /// A fresh server `id` of `cluster` (the ids of every server, this one included).
    /// Its first tick (see [`Node::next_deadline`]) schedules its first anti-entropy sync.
    pub fn new(id: NodeId, cluster: &[NodeId], config: &Config) -> Node {
        let mut node = Node::recover(id, cluster, config, Persistent::default(), 0);
        node.next_sync = None;
        node
    }

    /// A server restarted at `now` with what it had persisted (`Persistent::default()` models
    /// a replaced disk). Requests it was coordinating are forgotten: their clients time out.
    pub fn recover(
        id: NodeId,
        cluster: &[NodeId],
        config: &Config,
        persistent: Persistent,
        now: Micros,
    ) -> Node {
        // Sorted without duplicates (by insertion: no sort code in the wasm).
        let mut sorted: Vec<NodeId> = Vec::new();
        for &c in cluster {
            if let Err(i) = sorted.binary_search(&c) {
                sorted.insert(i, c);
            }
        }
        let cluster = sorted;
        let mut node = Node {
            id,
            cluster,
            config: *config,
            data: persistent,
            pending: Vec::new(),
            suspected: Vec::new(),
            next_sync: None,
            sync_turn: 0,
            next_handoff: None,
        };
        node.next_sync = Some(now + config.anti_entropy_ms * 1000);
        if !node.data.hints.is_empty() {
            node.next_handoff = Some(now + config.request_timeout_us);
        }
        node
    }

    /// This server's id.
    pub fn id(&self) -> NodeId {
        self.id
    }
    /// The settings.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// The replica's data: key to siblings (hints are apart, see [`Node::hints`]).
    pub fn store(&self) -> &BTreeMap<String, Siblings> {
        &self.data.store
    }
    /// Writes held for other replicas.
    pub fn hints(&self) -> &[Hint] {
        &self.data.hints
    }
    /// The client requests this node coordinates, with their rounds and answers so far.
    pub fn pending(&self) -> &[Pending] {
        &self.pending
    }
    /// Peers this node suspects (they missed a round's deadline), sorted. A suspicion ends
    /// when the peer is heard from, or [`SUSPICION_TIMEOUTS`] request timeouts later.
    pub fn suspected(&self) -> Vec<NodeId> {
        self.suspected.iter().map(|s| s.0).collect()
    }
    fn is_suspected(&self, id: NodeId) -> bool {
        self.suspected.iter().any(|s| s.0 == id)
    }
    /// What must survive a crash.
    pub fn persistent(&self) -> Persistent {
        self.data.clone()
    }

    /// The key's preference list: every server, starting at position `FNV-1a(key) mod size`
    /// of the sorted cluster and going round. The first N are the key's replicas.
    pub fn preference_list(&self, key: &str) -> Vec<NodeId> {
        let len = self.cluster.len().max(1);
        let start = (hash(key) % len as u64) as usize;
        (0..self.cluster.len())
            .map(|i| self.cluster[(start + i) % len])
            .collect()
    }

    /// Whether this server is one of `key`'s N replicas.
    fn is_replica(&self, id: NodeId, key: &str) -> bool {
        let n = self.config.n(self.cluster.len());
        self.preference_list(key)[..n].contains(&id)
    }

    /// The servers a round on `key` goes to. Strict: the first N of the preference list.
    /// Sloppy: the first N this node does not suspect; the stand-ins beyond the first N are
    /// paired, in order, with the replicas skipped.
    pub fn targets(&self, key: &str) -> Vec<(NodeId, Option<NodeId>)> {
        let n = self.config.n(self.cluster.len());
        let pref = self.preference_list(key);
        if !self.config.sloppy {
            return pref[..n].iter().map(|&id| (id, None)).collect();
        }
        let healthy = |id: &NodeId| *id == self.id || !self.is_suspected(*id);
        let mut skipped = pref[..n].iter().filter(|id| !healthy(id));
        pref.iter()
            .filter(|id| healthy(id))
            .take(n)
            .map(|&id| {
                let home = if pref[..n].contains(&id) {
                    None
                } else {
                    skipped.next().copied()
                };
                (id, home)
            })
            .collect()
    }

    /// The node's next timer on its own clock: a request deadline, the next anti-entropy
    /// sync, the next hint handoff or the end of a suspicion. With anti-entropy on, a fresh
    /// node answers 0: its first tick schedules the first sync one period later.
    pub fn next_deadline(&self) -> Option<Micros> {
        let sync = (self.config.anti_entropy_ms > 0 && self.cluster.len() > 1)
            .then(|| self.next_sync.unwrap_or(0));
        self.pending
            .iter()
            .map(|p| p.deadline)
            .chain(sync)
            .chain(self.next_handoff)
            .chain(self.suspected.iter().map(|s| s.1))
            .min()
    }

    /// Handles one input at `now` (this node's clock). Timers that are due fire first, in
    /// order, whatever the input.
    pub fn step(&mut self, now: Micros, input: Input, ready: &mut Ready) {
        self.timers(now, ready);
        match input {
            Input::Tick => {}
            Input::Message(m) => self.receive(now, m, ready),
            Input::ClientWrite {
                request,
                key,
                value,
            } => self.start(now, request, key, Some(value), ready),
            Input::ClientRead { request, key } => self.start(now, request, key, None, ready),
        }
    }

    /// Ends the suspicions `f` selects, with a `peer_healthy` event each.
    fn trust(&mut self, f: impl Fn(NodeId, Micros) -> bool, ready: &mut Ready) {
        for &(peer, until) in &self.suspected {
            if f(peer, until) {
                ready.events.push(Event::PeerHealthy { peer });
            }
        }
        self.suspected.retain(|&(id, until)| !f(id, until));
    }

    fn timers(&mut self, now: Micros, ready: &mut Ready) {
        self.trust(|_, until| until <= now, ready);
        // Request deadlines, earliest first (the first one listed on a tie).
        while let Some(i) = (0..self.pending.len())
            .filter(|&i| self.pending[i].deadline <= now)
            .min_by_key(|&i| self.pending[i].deadline)
        {
            let p = self.pending.remove(i);
            ready.events.push(Event::RequestTimeout {
                request: p.request,
                key: p.key.clone(),
                phase: p.phase,
                acks: p.acks.len(),
                needed: p.needed,
            });
            for &(t, _) in &p.targets {
                if !p.acks.contains(&t) && t != self.id && !self.is_suspected(t) {
                    let until = now + SUSPICION_TIMEOUTS * self.config.request_timeout_us;
                    let at = self.suspected.partition_point(|s| s.0 < t);
                    self.suspected.insert(at, (t, until));
                    ready.events.push(Event::PeerSuspected { peer: t });
                }
            }
            ready.replies.push((p.request, Reply::Timeout));
        }
        let period = self.config.anti_entropy_ms * 1000;
        if period > 0 && self.cluster.len() > 1 && self.next_sync.is_none_or(|t| t <= now) {
            let due = self.next_sync.is_some();
            self.next_sync = Some(now + period);
            if due {
                let peers: Vec<NodeId> = self
                    .cluster
                    .iter()
                    .copied()
                    .filter(|&i| i != self.id)
                    .collect();
                let peer = peers[self.sync_turn % peers.len()];
                self.sync_turn += 1;
                let items = self.items_for(peer);
                ready.events.push(Event::AntiEntropy {
                    peer,
                    keys: items.len(),
                });
                self.send(peer, Body::Sync { items }, ready);
            }
        }
        if self.next_handoff.is_some_and(|t| t <= now) {
            self.next_handoff = None;
            let mut sends = Vec::new();
            for h in &mut self.data.hints {
                self.data.last_op += 1;
                h.id = self.data.last_op;
                sends.push((
                    h.home,
                    Body::Write {
                        op: h.id,
                        key: h.key.clone(),
                        values: h.values.clone(),
                        hint_for: None,
                        via: Via::Handoff,
                    },
                ));
            }
            if !sends.is_empty() {
                ready.persist = true;
                self.next_handoff = Some(now + self.config.request_timeout_us);
            }
            for (to, body) in sends {
                self.send(to, body, ready);
            }
        }
    }

    /// The keys this node holds that `peer` also replicates, with their siblings.
    fn items_for(&self, peer: NodeId) -> Vec<(String, Siblings)> {
        self.data
            .store
            .iter()
            .filter(|(k, _)| self.is_replica(peer, k))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect()
    }

    fn send(&self, to: NodeId, body: Body, ready: &mut Ready) {
        ready.messages.push(Message {
            from: self.id,
            to,
            body,
        });
    }

    /// What this node answers for `key`: its siblings, merged with any hint it keeps for it.
    fn read_local(&self, key: &str) -> Siblings {
        let mut out = self.data.store.get(key).cloned().unwrap_or_default();
        for h in self.data.hints.iter().filter(|h| h.key == key) {
            for (v, ver) in &h.values {
                merge(&mut out, v, ver);
            }
        }
        out
    }

    /// Stores `values` of `key` sent by `from` (or as a hint for `hint_for`).
    fn apply(
        &mut self,
        now: Micros,
        key: &str,
        values: &Siblings,
        hint_for: Option<NodeId>,
        (from, via): (NodeId, Via),
        ready: &mut Ready,
    ) {
        if let Some(home) = hint_for.filter(|&h| h != self.id) {
            let hints = &mut self.data.hints;
            let i = match hints.iter().position(|h| h.home == home && h.key == key) {
                Some(i) => i,
                None => {
                    hints.push(Hint {
                        id: 0,
                        home,
                        key: key.to_string(),
                        values: Vec::new(),
                    });
                    hints.len() - 1
                }
            };
            for (v, ver) in values {
                if merge(&mut hints[i].values, v, ver) {
                    // An answer to an earlier handoff no longer covers this hint.
                    hints[i].id = 0;
                    ready.persist = true;
                    ready.events.push(Event::HintStored {
                        key: key.to_string(),
                        home,
                        version: ver.clone(),
                    });
                }
            }
            if self.next_handoff.is_none() {
                self.next_handoff = Some(now + self.config.request_timeout_us);
            }
            return;
        }
        if values.is_empty() {
            return;
        }
        let sibs = self.data.store.entry(key.to_string()).or_default();
        for (v, ver) in values {
            let old: Vec<Version> = sibs.iter().map(|x| x.1.clone()).collect();
            if merge(sibs, v, ver) {
                ready.persist = true;
                ready.events.push(Event::WriteStored {
                    key: key.to_string(),
                    value: v.clone(),
                    version: ver.clone(),
                    old,
                    from,
                    via,
                });
            } else if old.iter().any(|o| o.compare(ver) == Order::Newer) {
                ready.events.push(Event::WriteIgnored {
                    key: key.to_string(),
                    value: v.clone(),
                    version: ver.clone(),
                    kept: old,
                    from,
                    via,
                });
            }
        }
    }

    fn start(
        &mut self,
        now: Micros,
        request: RequestId,
        key: String,
        value: Option<String>,
        ready: &mut Ready,
    ) {
        if let Err(reason) = self.config.validate(self.cluster.len()) {
            ready.replies.push((request, Reply::Failed { reason }));
            return;
        }
        let mut p = Pending {
            request,
            op: 0,
            key,
            value,
            phase: Phase::Read,
            targets: Vec::new(),
            acks: Vec::new(),
            needed: 0,
            replies: Vec::new(),
            result: Vec::new(),
            deadline: now + self.config.request_timeout_us,
        };
        if let (Some(v), Versions::Lww) = (&p.value, self.config.versions) {
            // The coordinator's clock, kept increasing so its own writes stay ordered.
            self.data.last_stamp = now.max(self.data.last_stamp + 1);
            p.result = vec![(
                v.clone(),
                Version::Stamp {
                    n: self.data.last_stamp,
                    node: self.id,
                },
            )];
            p.phase = Phase::Write;
        }
        self.round(now, p, ready);
    }

    /// Starts the current round of `p`: fresh round number, targets, messages, and the
    /// coordinator's own part when it is a target.
    fn round(&mut self, now: Micros, mut p: Pending, ready: &mut Ready) {
        self.data.last_op += 1;
        ready.persist = true;
        p.op = self.data.last_op;
        p.targets = self.targets(&p.key);
        p.needed = match p.phase {
            Phase::Read => self.config.read_quorum,
            _ => self.config.write_quorum,
        };
        if p.phase != Phase::WriteBack {
            p.acks.clear();
        }
        let via = if p.phase == Phase::Write {
            Via::Client
        } else {
            Via::Repair
        };
        let asked: Vec<NodeId> = p
            .targets
            .iter()
            .map(|t| t.0)
            .filter(|t| !p.acks.contains(t))
            .collect();
        ready.events.push(Event::QuorumRequest {
            request: p.request,
            phase: p.phase,
            key: p.key.clone(),
            targets: asked.clone(),
            needed: p.needed,
        });
        if p.phase == Phase::WriteBack {
            ready.events.push(Event::ReadRepair {
                request: p.request,
                key: p.key.clone(),
                targets: asked.clone(),
                blocking: true,
            });
        }
        for &(to, hint_for) in &p.targets.clone() {
            if !asked.contains(&to) {
                continue;
            }
            if to == self.id {
                if p.phase == Phase::Read {
                    let local = self.read_local(&p.key);
                    self.answer(&mut p, to, Some(local), ready);
                } else {
                    self.apply(now, &p.key, &p.result, hint_for, (to, via), ready);
                    self.answer(&mut p, to, None, ready);
                }
            } else {
                let (op, key) = (p.op, p.key.clone());
                let body = if p.phase == Phase::Read {
                    Body::Read { op, key }
                } else {
                    Body::Write {
                        op,
                        key,
                        values: p.result.clone(),
                        hint_for,
                        via,
                    }
                };
                self.send(to, body, ready);
            }
        }
        self.advance(now, p, ready);
    }

    /// Counts `from`'s answer in the current round (with what it read, in a read round).
    fn answer(&mut self, p: &mut Pending, from: NodeId, read: Option<Siblings>, ready: &mut Ready) {
        if p.acks.contains(&from) {
            return;
        }
        p.acks.push(from);
        if let Some(values) = read {
            for (v, ver) in &values {
                merge(&mut p.result, v, ver);
            }
            p.replies.push((from, values));
        }
        ready.events.push(Event::QuorumAck {
            request: p.request,
            phase: p.phase,
            from,
            acks: p.acks.len(),
            needed: p.needed,
        });
    }

    /// Moves `p` on when its round has its quorum; otherwise keeps it pending.
    fn advance(&mut self, now: Micros, mut p: Pending, ready: &mut Ready) {
        if p.acks.len() < p.needed {
            self.pending.push(p);
            return;
        }
        match p.phase {
            Phase::Read => {
                if let Some(value) = p.value.clone() {
                    let version = self.next_version(&p.result);
                    p.result = vec![(value, version)];
                    p.phase = Phase::Write;
                    return self.round(now, p, ready);
                }
                match self.config.read_repair {
                    ReadRepair::Blocking if !p.result.is_empty() => {
                        // The replicas that already hold exactly the result count as acks.
                        let holders: Vec<NodeId> = p
                            .replies
                            .iter()
                            .filter(|(_, v)| same_versions(v, &p.result))
                            .map(|r| r.0)
                            .collect();
                        if holders.len() >= self.config.write_quorum {
                            return self.read_done(&p, ready);
                        }
                        p.acks = holders;
                        p.phase = Phase::WriteBack;
                        self.round(now, p, ready)
                    }
                    ReadRepair::Async => {
                        let stale: Vec<NodeId> = p
                            .replies
                            .iter()
                            .filter(|(_, v)| !same_versions(v, &p.result))
                            .map(|r| r.0)
                            .collect();
                        self.read_done(&p, ready);
                        if stale.is_empty() {
                            return;
                        }
                        ready.events.push(Event::ReadRepair {
                            request: p.request,
                            key: p.key.clone(),
                            targets: stale.clone(),
                            blocking: false,
                        });
                        for to in stale {
                            let hint_for = p.targets.iter().find(|t| t.0 == to).and_then(|t| t.1);
                            if to == self.id {
                                self.apply(
                                    now,
                                    &p.key,
                                    &p.result,
                                    hint_for,
                                    (to, Via::Repair),
                                    ready,
                                );
                            } else {
                                let body = Body::Write {
                                    op: 0,
                                    key: p.key.clone(),
                                    values: p.result.clone(),
                                    hint_for,
                                    via: Via::Repair,
                                };
                                self.send(to, body, ready);
                            }
                        }
                    }
                    _ => self.read_done(&p, ready),
                }
            }
            Phase::Write => {
                let (value, version) = p.result[0].clone();
                ready.events.push(Event::WriteAcked {
                    request: p.request,
                    key: p.key.clone(),
                    value,
                    version: version.clone(),
                });
                ready.replies.push((p.request, Reply::WriteOk { version }));
            }
            Phase::WriteBack => self.read_done(&p, ready),
        }
    }

    fn read_done(&self, p: &Pending, ready: &mut Ready) {
        ready.events.push(Event::ReadDone {
            request: p.request,
            key: p.key.clone(),
            values: p.result.clone(),
        });
        ready.replies.push((
            p.request,
            Reply::ReadOk {
                values: p.result.clone(),
            },
        ));
    }

    /// The version of a counter or vector write, after reading `read` from R replicas.
    fn next_version(&mut self, read: &Siblings) -> Version {
        let id = self.id;
        match self.config.versions {
            Versions::Vector => {
                let mut clock: Vec<(NodeId, u64)> = Vec::new();
                for (_, v) in read {
                    if let Version::Clock(c) = v {
                        for &(node, k) in c {
                            match clock.binary_search_by_key(&node, |e| e.0) {
                                Ok(i) => clock[i].1 = clock[i].1.max(k),
                                Err(i) => clock.insert(i, (node, k)),
                            }
                        }
                    }
                }
                let mine = clock_get(&clock, id).max(self.data.last_stamp) + 1;
                self.data.last_stamp = mine;
                match clock.binary_search_by_key(&id, |e| e.0) {
                    Ok(i) => clock[i].1 = mine,
                    Err(i) => clock.insert(i, (id, mine)),
                }
                Version::Clock(clock)
            }
            _ => {
                let top = read
                    .iter()
                    .map(|(_, v)| match v {
                        Version::Stamp { n, .. } => *n,
                        Version::Clock(_) => 0,
                    })
                    .max()
                    .unwrap_or(0);
                self.data.last_stamp = top.max(self.data.last_stamp) + 1;
                Version::Stamp {
                    n: self.data.last_stamp,
                    node: id,
                }
            }
        }
    }

    fn receive(&mut self, now: Micros, m: Message, ready: &mut Ready) {
        let from = m.from;
        self.trust(|id, _| id == from, ready);
        match m.body {
            Body::Read { op, key } => {
                let values = self.read_local(&key);
                self.send(from, Body::ReadReply { op, key, values }, ready);
            }
            Body::Write {
                op,
                key,
                values,
                hint_for,
                via,
            } => {
                self.apply(now, &key, &values, hint_for, (from, via), ready);
                if op != 0 {
                    self.send(from, Body::WriteAck { op, key }, ready);
                }
            }
            Body::ReadReply { op, values, .. } => {
                self.on_answer(now, op, from, Some(values), ready)
            }
            Body::WriteAck { op, key } => {
                let hint = self
                    .data
                    .hints
                    .iter()
                    .position(|h| h.id == op && h.home == from);
                if let Some(i) = hint {
                    self.data.hints.remove(i);
                    ready.persist = true;
                    ready.events.push(Event::HintHandedOff { key, home: from });
                } else {
                    self.on_answer(now, op, from, None, ready);
                }
            }
            Body::Sync { items } => {
                self.merge_items(now, from, &items, ready);
                let mine = self.items_for(from);
                self.send(from, Body::SyncReply { items: mine }, ready);
            }
            Body::SyncReply { items } => self.merge_items(now, from, &items, ready),
        }
    }

    fn merge_items(
        &mut self,
        now: Micros,
        from: NodeId,
        items: &[(String, Siblings)],
        ready: &mut Ready,
    ) {
        for (key, values) in items {
            if self.is_replica(self.id, key) {
                self.apply(now, key, values, None, (from, Via::Sync), ready);
            }
        }
    }

    /// An answer to round `op` from `from`: a read reply carries values, a write ack none.
    fn on_answer(
        &mut self,
        now: Micros,
        op: u64,
        from: NodeId,
        read: Option<Siblings>,
        ready: &mut Ready,
    ) {
        let Some(i) = self.pending.iter().position(|p| p.op == op) else {
            return;
        };
        let p = &self.pending[i];
        if (p.phase == Phase::Read) != read.is_some() || !p.targets.iter().any(|t| t.0 == from) {
            return;
        }
        let mut p = self.pending.remove(i);
        self.answer(&mut p, from, read, ready);
        self.advance(now, p, ready);
    }
}
