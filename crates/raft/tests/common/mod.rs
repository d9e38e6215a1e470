//! A tiny deterministic test harness for the Raft core: a cluster of [`Node`]s, one FIFO
//! message queue, a manual clock, crashes and restarts, and link cuts.
//!
//! Nothing here is random except the nodes' own seeded election timeouts, so every test run
//! is identical. Messages are delivered one at a time in the order they were sent; a message
//! whose link is cut, or whose receiver is down, when it reaches the front of the queue is
//! dropped (and recorded in [`Cluster::dropped`]).

// Each integration-test binary uses only part of the harness.
#![allow(dead_code)]

use raftlab_raft::{
    Body, ClientReply, Command, Config, Entry, Event, Index, Input, Message, Micros, Node, NodeId,
    Persistent, Ready, RequestId, Role, Term,
};
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Safety valve against livelock in a test: no single `deliver_all` handles more messages.
const MAX_DELIVERIES: usize = 100_000;

/// A log from a list of entry terms (index 1 first); each entry sets `k<index>` to `t<term>`.
pub fn log_of_terms(terms: &[Term]) -> Vec<Entry> {
    terms
        .iter()
        .enumerate()
        .map(|(i, &term)| Entry {
            term,
            command: Command::Set {
                key: format!("k{}", i + 1),
                value: format!("t{term}"),
            },
        })
        .collect()
}

/// The terms of a log, index 1 first.
pub fn terms_of(log: &[Entry]) -> Vec<Term> {
    log.iter().map(|entry| entry.term).collect()
}

/// A `Set` command.
pub fn set(key: &str, value: &str) -> Command {
    Command::Set {
        key: key.to_string(),
        value: value.to_string(),
    }
}

/// A `Delete` command.
pub fn delete(key: &str) -> Command {
    Command::Delete {
        key: key.to_string(),
    }
}

/// Persistent state from a term, a vote and a list of entry terms.
pub fn state(current_term: Term, voted_for: Option<NodeId>, terms: &[Term]) -> Persistent {
    Persistent {
        current_term,
        voted_for,
        log: log_of_terms(terms),
        ..Persistent::default()
    }
}

/// The cluster under test. Servers are numbered `1..=n`.
pub struct Cluster {
    /// Every member, up or down.
    pub ids: Vec<NodeId>,
    /// Per-node settings, used at start and at every restart.
    pub configs: BTreeMap<NodeId, Config>,
    /// The manual clock, in microseconds.
    pub now: Micros,
    /// Live nodes.
    nodes: BTreeMap<NodeId, Node>,
    /// What survived the crash of the nodes that are down.
    disks: BTreeMap<NodeId, Persistent>,
    /// Messages sent and not yet delivered or dropped, oldest first.
    pub queue: VecDeque<Message>,
    /// Cut links, as ordered pairs (both directions are stored).
    cut: BTreeSet<(NodeId, NodeId)>,
    /// Every event of every node, in order (kept across crashes).
    pub events: BTreeMap<NodeId, Vec<Event>>,
    /// Every client reply a node produced, in order.
    pub replies: BTreeMap<NodeId, Vec<ClientReply>>,
    /// Every message that reached its receiver, in delivery order.
    pub delivered: Vec<Message>,
    /// Every message lost to a cut link or a crashed receiver.
    pub dropped: Vec<Message>,
    /// Restarts so far; each restart reseeds the node differently.
    restarts: u64,
    seed: u64,
}

impl Cluster {
    /// `n` fresh servers with the same settings.
    pub fn new(n: u32, config: Config) -> Cluster {
        Cluster::with_seed(n, config, 0)
    }

    /// `n` fresh servers; `seed` changes every node's random election timeouts.
    pub fn with_seed(n: u32, config: Config, seed: u64) -> Cluster {
        let states = (0..n).map(|_| Persistent::default()).collect();
        Cluster::from_states(config, states, seed)
    }

    /// One server per given persistent state (server `i + 1` gets `states[i]`), all started
    /// with [`Node::recover`] as after a crash.
    pub fn from_states(config: Config, states: Vec<Persistent>, seed: u64) -> Cluster {
        let ids: Vec<NodeId> = (1..=states.len() as NodeId).collect();
        let mut cluster = Cluster {
            configs: ids.iter().map(|&id| (id, config)).collect(),
            ids: ids.clone(),
            now: 0,
            nodes: BTreeMap::new(),
            disks: BTreeMap::new(),
            queue: VecDeque::new(),
            cut: BTreeSet::new(),
            events: ids.iter().map(|&id| (id, Vec::new())).collect(),
            replies: ids.iter().map(|&id| (id, Vec::new())).collect(),
            delivered: Vec::new(),
            dropped: Vec::new(),
            restarts: 0,
            seed,
        };
        let initial = raftlab_raft::Membership::new(&ids, &[]);
        for (id, mut persistent) in ids.into_iter().zip(states) {
            // Every server starts knowing the initial configuration (thesis 4.1), unless the
            // test gave it another.
            if persistent.snapshot.config == raftlab_raft::Membership::default() {
                persistent.snapshot.config = initial.clone();
            }
            cluster.disks.insert(id, persistent);
            cluster.restart(id);
        }
        cluster
    }

    fn node_seed(&self, id: NodeId) -> u64 {
        self.seed
            .wrapping_mul(0x9E37_79B9_7F4A_7C15)
            .wrapping_add(u64::from(id) * 7919)
            .wrapping_add(self.restarts * 104_729)
    }

    // ----- access -----

    /// A live node.
    pub fn node(&self, id: NodeId) -> &Node {
        self.nodes
            .get(&id)
            .unwrap_or_else(|| panic!("node {id} is down"))
    }

    /// Is the node running?
    pub fn is_up(&self, id: NodeId) -> bool {
        self.nodes.contains_key(&id)
    }

    /// Live nodes that currently believe they lead.
    pub fn leaders(&self) -> Vec<NodeId> {
        self.nodes
            .values()
            .filter(|node| node.role() == Role::Leader)
            .map(|node| node.id())
            .collect()
    }

    /// The single live leader with the highest term (panics when there is none).
    pub fn leader(&self) -> NodeId {
        self.nodes
            .values()
            .filter(|node| node.role() == Role::Leader)
            .max_by_key(|node| node.term())
            .map(|node| node.id())
            .expect("no leader")
    }

    /// The quorum size of the cluster.
    pub fn quorum(&self) -> usize {
        self.ids.len() / 2 + 1
    }

    /// All events of one node, across its restarts.
    pub fn events(&self, id: NodeId) -> &[Event] {
        &self.events[&id]
    }

    /// Terms in which `id` emitted `BecomeLeader`.
    pub fn leader_terms(&self, id: NodeId) -> Vec<Term> {
        self.events(id)
            .iter()
            .filter_map(|event| match event {
                Event::BecomeLeader { term } => Some(*term),
                _ => None,
            })
            .collect()
    }

    /// All client replies of one node.
    pub fn replies(&self, id: NodeId) -> &[ClientReply] {
        &self.replies[&id]
    }

    /// Delivered messages matching a predicate.
    pub fn delivered_where(&self, pred: impl Fn(&Message) -> bool) -> Vec<&Message> {
        self.delivered.iter().filter(|m| pred(m)).collect()
    }

    /// Number of delivered AppendEntries refusals from `from` to `to` (consistency-check
    /// failures and stale-term refusals alike).
    pub fn append_refusals(&self, from: NodeId, to: NodeId) -> usize {
        self.delivered_where(|m| {
            m.from == from
                && m.to == to
                && matches!(m.body, Body::AppendEntriesReply { success: false, .. })
        })
        .len()
    }

    // ----- links, crashes, restarts -----

    /// Cut the link between `a` and `b`, both directions.
    pub fn cut(&mut self, a: NodeId, b: NodeId) {
        self.cut.insert((a, b));
        self.cut.insert((b, a));
    }

    /// Restore the link between `a` and `b`.
    pub fn restore(&mut self, a: NodeId, b: NodeId) {
        self.cut.remove(&(a, b));
        self.cut.remove(&(b, a));
    }

    /// Is the link `from -> to` up?
    pub fn linked(&self, from: NodeId, to: NodeId) -> bool {
        !self.cut.contains(&(from, to))
    }

    /// Cut every link between the two groups.
    pub fn partition(&mut self, left: &[NodeId], right: &[NodeId]) {
        for &a in left {
            for &b in right {
                self.cut(a, b);
            }
        }
    }

    /// Cut `id` from everyone.
    pub fn isolate(&mut self, id: NodeId) {
        let others: Vec<NodeId> = self.ids.iter().copied().filter(|&x| x != id).collect();
        self.partition(&[id], &others);
    }

    /// Restore every link.
    pub fn heal(&mut self) {
        self.cut.clear();
    }

    /// Crash a node: its volatile state is lost, its persistent state is kept (and returned).
    pub fn crash(&mut self, id: NodeId) -> Persistent {
        let node = self
            .nodes
            .remove(&id)
            .unwrap_or_else(|| panic!("node {id} is already down"));
        let persistent = node.into_persistent();
        self.disks.insert(id, persistent.clone());
        persistent
    }

    /// Restart a crashed node from what it persisted, at the current time.
    pub fn restart(&mut self, id: NodeId) {
        let persistent = self
            .disks
            .remove(&id)
            .unwrap_or_else(|| panic!("node {id} is not down"));
        let seed = self.node_seed(id);
        self.restarts += 1;
        let node = Node::recover(id, self.configs[&id], persistent, seed, self.now);
        self.nodes.insert(id, node);
    }

    /// Overwrite the persistent state of a crashed node (to stage a scenario from a figure).
    pub fn set_disk(&mut self, id: NodeId, persistent: Persistent) {
        assert!(!self.is_up(id), "node {id} must be down");
        self.disks.insert(id, persistent);
    }

    /// Drop every message still in flight.
    pub fn drop_in_flight(&mut self) {
        self.dropped.extend(self.queue.drain(..));
    }

    // ----- inputs -----

    /// Step node `id` with `input` at the current time, record what it did, queue its
    /// messages, and return its `Ready`.
    pub fn step(&mut self, id: NodeId, input: Input) -> Ready {
        let now = self.now;
        let node = self
            .nodes
            .get_mut(&id)
            .unwrap_or_else(|| panic!("node {id} is down"));
        let mut ready = Ready::default();
        node.step(now, input, &mut ready);
        self.events
            .get_mut(&id)
            .unwrap()
            .extend(ready.events.iter().cloned());
        self.replies
            .get_mut(&id)
            .unwrap()
            .extend(ready.replies.iter().cloned());
        self.queue.extend(ready.messages.iter().cloned());
        ready
    }

    /// Force the election timeout of `id` to expire now.
    pub fn timeout(&mut self, id: NodeId) -> Ready {
        self.step(id, Input::Timeout)
    }

    /// A client write sent to `id`; returns the replies given at once.
    pub fn client_write(&mut self, id: NodeId, request: RequestId, command: Command) -> Ready {
        self.step(id, Input::ClientWrite { request, command })
    }

    /// Step `id` with `Input::Tick` at the current time.
    pub fn tick(&mut self, id: NodeId) -> Ready {
        self.step(id, Input::Tick)
    }

    /// Changes the settings of `id` while it runs ([`Node::set_config`]), and for its later
    /// restarts.
    pub fn set_config(&mut self, id: NodeId, config: Config) {
        self.configs.insert(id, config);
        self.nodes
            .get_mut(&id)
            .unwrap_or_else(|| panic!("node {id} is down"))
            .set_config(config);
    }

    /// Starts a new server `id` with an empty log and no configuration, as a server that is
    /// about to be added to the cluster (thesis 4.1); it takes server 1's settings.
    pub fn add_node(&mut self, id: NodeId) {
        assert!(!self.ids.contains(&id), "node {id} exists already");
        let config = self.configs[&1];
        self.ids.push(id);
        self.configs.insert(id, config);
        self.events.insert(id, Vec::new());
        self.replies.insert(id, Vec::new());
        let seed = self.node_seed(id);
        self.nodes
            .insert(id, Node::new(id, &[], config, seed, self.now));
    }

    /// Put a hand-made message at the back of the queue.
    pub fn send(&mut self, message: Message) {
        self.queue.push_back(message);
    }

    // ----- message delivery -----

    /// Pop the oldest message and deliver it, or drop it when its link is cut or its
    /// receiver is down. Returns the message and whether it was delivered.
    pub fn deliver_one(&mut self) -> Option<(Message, bool)> {
        let message = self.queue.pop_front()?;
        if !self.linked(message.from, message.to) || !self.is_up(message.to) {
            self.dropped.push(message.clone());
            return Some((message, false));
        }
        self.delivered.push(message.clone());
        self.step(message.to, Input::Message(message.clone()));
        Some((message, true))
    }

    /// Deliver (or drop) messages until the queue is empty. Returns how many were handled.
    pub fn deliver_all(&mut self) -> usize {
        let mut handled = 0;
        while self.deliver_one().is_some() {
            handled += 1;
            assert!(handled < MAX_DELIVERIES, "message storm: livelock?");
        }
        handled
    }

    /// Deliver messages one by one until `pred` holds (checked before each delivery).
    /// Returns false if the queue ran dry first.
    pub fn deliver_until(&mut self, mut pred: impl FnMut(&Cluster) -> bool) -> bool {
        let mut handled = 0;
        loop {
            if pred(self) {
                return true;
            }
            if self.deliver_one().is_none() {
                return pred(self);
            }
            handled += 1;
            assert!(handled < MAX_DELIVERIES, "message storm: livelock?");
        }
    }

    // ----- time -----

    /// The earliest timer of any live node.
    pub fn next_deadline(&self) -> Micros {
        self.nodes
            .values()
            .map(|node| node.next_deadline())
            .min()
            .unwrap_or(Micros::MAX)
    }

    /// Move the clock to the earliest timer, tick every node whose timer is due, then deliver
    /// every message (delivery takes no time). Returns the new time.
    pub fn advance(&mut self) -> Micros {
        let deadline = self.next_deadline();
        assert!(deadline != Micros::MAX, "no timer is running");
        self.now = self.now.max(deadline);
        let due: Vec<NodeId> = self
            .nodes
            .values()
            .filter(|node| node.next_deadline() <= self.now)
            .map(|node| node.id())
            .collect();
        for id in due {
            self.tick(id);
        }
        self.deliver_all();
        self.now
    }

    /// Advance through timers until `pred` holds or `limit` microseconds have passed.
    /// Returns whether `pred` held.
    pub fn run_until(&mut self, limit: Micros, mut pred: impl FnMut(&Cluster) -> bool) -> bool {
        let end = self.now + limit;
        self.deliver_all();
        while !pred(self) {
            if self.next_deadline() > end {
                self.now = end;
                return false;
            }
            self.advance();
        }
        true
    }

    /// Advance through every timer due within the next `duration` microseconds.
    pub fn run_for(&mut self, duration: Micros) {
        let end = self.now + duration;
        self.deliver_all();
        while self.next_deadline() <= end {
            self.advance();
        }
        self.now = end;
    }

    /// Elect `id` by forcing its timeout and delivering everything; asserts it won.
    pub fn elect(&mut self, id: NodeId) -> Term {
        self.timeout(id);
        self.deliver_all();
        let node = self.node(id);
        assert_eq!(
            node.role(),
            Role::Leader,
            "node {id} failed to win an election"
        );
        node.term()
    }

    /// Let the current leaders send one round of heartbeats now, and deliver everything.
    pub fn heartbeat(&mut self) {
        for id in self.leaders() {
            let deadline = self.node(id).next_deadline();
            self.now = self.now.max(deadline);
            self.tick(id);
        }
        self.deliver_all();
    }

    // ----- whole-cluster views -----

    /// The commit index of every live node.
    pub fn commit_indexes(&self) -> BTreeMap<NodeId, Index> {
        self.nodes
            .values()
            .map(|node| (node.id(), node.commit_index()))
            .collect()
    }

    /// Asserts that every live node holds exactly `log`.
    pub fn assert_all_logs_equal(&self, log: &[Entry]) {
        for node in self.nodes.values() {
            assert_eq!(node.log(), log, "log of node {} differs", node.id());
        }
    }
}
