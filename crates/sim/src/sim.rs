//! The discrete-event simulator: a logical clock in microseconds, an event queue, a network
//! with latency, loss, duplication and partitions, and the cluster's nodes. One seed drives
//! every random choice, so the same scenario always gives the same trace.

use crate::checker::{Checker, Property, Violation};
use crate::json::Value as Json;
use crate::scenario::MAX_NODES;
use crate::scenario::{Action, ConfigPatch, Mode, Scenario, SimConfig, Target};
use crate::system::{
    LeaseCluster, Others, QuorumCluster, SysEvent, SysInput, System, SystemConfig, Wire,
};
use crate::trace::{DropReason, ReplyResult, TraceEvent, TraceKind, TraceMsg};
use raftlab_raft::{
    ClientResult, Command, Event, Index, Input, Membership, MembershipChange, Micros, Node, NodeId,
    ReadMode, Ready, RequestId, Role, Term,
};
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg32;
use std::cmp::Ordering;
use std::collections::{BTreeMap, BinaryHeap, VecDeque};

/// At most this many violations are kept (and traced) per run.
pub const MAX_VIOLATIONS: usize = 100;

/// At most this many client writes are remembered (the newest; see [`Simulation::write_at`]).
pub const MAX_WRITES: usize = 4096;

/// At most this many refusals are kept per server (see [`Simulation::refusals`]).
pub const MAX_REFUSALS: usize = 8;

/// A refusal a server reported, a vote or an AppendEntries it turned down, as the simulator
/// keeps it for explanations ([`crate::explain`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Refusal {
    /// When it happened (simulated time, µs).
    pub at_us: Micros,
    /// The server's term after that step: the term of its reply, when it sent one.
    pub node_term: Term,
    /// [`Event::VoteRefused`] or [`Event::AppendRejected`].
    pub event: Event,
}

/// A function that receives every trace event as it happens.
pub type TraceSink = Box<dyn FnMut(&TraceEvent)>;

#[derive(Clone, Debug)]
enum Item {
    Deliver {
        id: u64,
        message: Wire,
        lost: bool,
        sent_at: Micros,
        copy_of: Option<u64>,
    },
    Timer {
        node: NodeId,
        generation: u64,
    },
    Action(Action),
    ClientTimeout {
        request: RequestId,
    },
    /// A paused node wakes (if it is still the pause of this incarnation ending now).
    Wake {
        node: NodeId,
        incarnation: u64,
    },
}

#[derive(Clone, Debug)]
struct Queued {
    at: Micros,
    /// 0 for the cluster's own events, 1 for actions: an action at time t happens after
    /// everything else due at t, so acting "now" in the page, after the clock reached t, is
    /// the same as a scenario action at t.
    class: u8,
    seq: u64,
    item: Item,
}

impl PartialEq for Queued {
    fn eq(&self, other: &Self) -> bool {
        (self.at, self.class, self.seq) == (other.at, other.class, other.seq)
    }
}
impl Eq for Queued {}
impl PartialOrd for Queued {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Queued {
    /// Reversed, so that the max-heap pops the earliest event; at equal times the cluster's
    /// events go before actions, and ties go in insertion order.
    fn cmp(&self, other: &Self) -> Ordering {
        (other.at, other.class, other.seq).cmp(&(self.at, self.class, self.seq))
    }
}

/// A message on the wire.
#[derive(Clone, Copy, Debug)]
pub struct InFlight<'a> {
    /// Its id (as in the trace).
    pub id: u64,
    /// The message.
    pub message: &'a Wire,
    /// When it was sent.
    pub sent_at: Micros,
    /// When it arrives (or is found lost).
    pub deliver_at: Micros,
    /// Whether the network will lose it (decided when it was sent; never for a message sent
    /// with manual delivery, whose fate the reader decides).
    pub lost: bool,
    /// For a duplicate: the id of the original.
    pub copy_of: Option<u64>,
    /// Held on its link until an action delivers, drops or duplicates it (manual delivery);
    /// `deliver_at` is then when it would arrive by itself.
    pub held: bool,
}

/// A message waiting on its link for the reader (manual delivery).
#[derive(Clone, Debug)]
struct Held {
    message: Wire,
    sent_at: Micros,
    /// When it would arrive by itself: its arrival time when it was queued, or its send time
    /// plus the latency drawn for it.
    arrive_at: Micros,
    /// Decided lost at send, before manual delivery began (a `deliver_message` overrides it).
    lost: bool,
    copy_of: Option<u64>,
}

impl Held {
    /// The message as [`Simulation::in_flight`] shows it.
    fn view(&self, id: u64) -> InFlight<'_> {
        InFlight {
            id,
            message: &self.message,
            sent_at: self.sent_at,
            deliver_at: self.arrive_at,
            lost: self.lost,
            copy_of: self.copy_of,
            held: true,
        }
    }
}

/// Per-node bookkeeping of the simulator.
#[derive(Clone, Debug)]
struct Slot {
    alive: bool,
    incarnation: u64,
    timer_at: Micros,
    timer_generation: u64,
    group: u32,
    /// Bit `j` set: the link to node `j + 1` is cut.
    cut: u32,
    /// The node's clock: at simulated time `clock.0` it read `clock.1`, and it runs at
    /// `clock.2` millionths of real speed (a `clock_rate` fault changes it).
    clock: (Micros, Micros, u64),
    /// While the process is frozen by a `pause` fault: when it wakes (0: not paused).
    paused_until: Micros,
    /// What reached the node during its pause, in arrival order: a message (with its id) or
    /// a client request, handled when it wakes.
    inbox: Vec<Waiting>,
}

/// What reached a paused node, handled when it wakes.
#[derive(Clone, Debug)]
enum Waiting {
    /// A message, with its id.
    Message(u64, Wire),
    /// A client request.
    Request(SysInput),
}

/// splitmix64: derives independent seeds from the run's seed.
fn mix(seed: u64, a: u64, b: u64) -> u64 {
    let mut z =
        seed ^ a.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ b.wrapping_mul(0xD1B5_4A32_D192_ED03);
    z = z.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

/// A simulated cluster.
pub struct Simulation {
    now: Micros,
    seed: u64,
    config: SimConfig,
    rng: Pcg32,
    nodes: Vec<Node>,
    slots: Vec<Slot>,
    queue: BinaryHeap<Queued>,
    /// Messages held on their links with manual delivery, by id.
    held: BTreeMap<u64, Held>,
    seq: u64,
    next_message: u64,
    next_request: RequestId,
    /// Requests waiting for an answer: (request, node asked), sorted by request. Mostly
    /// answered oldest first, which a deque removes cheaply.
    clients: VecDeque<(RequestId, Option<NodeId>)>,
    ready: Ready,
    checker: Option<Checker>,
    violations: Vec<Violation>,
    traced_violations: usize,
    trace: Option<TraceSink>,
    processed: u64,
    /// Who became leader of each term (the first one, should Election Safety break).
    leaders: BTreeMap<Term, NodeId>,
    /// The client write a leader appended at (term, index): its request id and command.
    writes: BTreeMap<(Term, Index), (RequestId, Command)>,
    /// Per server (node `n` at `n - 1`), its last refusals, oldest first.
    refusals: Vec<VecDeque<Refusal>>,
    /// The servers of another system than Raft (`nodes` is then empty).
    others: Option<Box<Others>>,
}

impl std::fmt::Debug for Simulation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Simulation")
            .field("now", &self.now)
            .field("seed", &self.seed)
            .field("nodes", &self.nodes.len())
            .finish_non_exhaustive()
    }
}

impl Simulation {
    /// A cluster of `nodes` servers (1 to 9) at time 0, with the safety checker on.
    pub fn new(nodes: u32, config: SimConfig, seed: u64) -> Simulation {
        Simulation::with_system(nodes, config, &SystemConfig::Raft, seed)
    }

    /// A cluster of `nodes` servers (1 to 9) running `system` at time 0, with its checker
    /// on. `config` gives the network and timing settings (and Raft's own, for Raft).
    pub fn with_system(
        nodes: u32,
        config: SimConfig,
        system: &SystemConfig,
        seed: u64,
    ) -> Simulation {
        let members: Vec<NodeId> = (1..=nodes).collect();
        let raft_nodes = if matches!(system, SystemConfig::Raft) {
            nodes
        } else {
            0
        };
        let raft = config.raft_config();
        let mut sim = Simulation {
            now: 0,
            seed,
            rng: Pcg32::seed_from_u64(mix(seed, 0, 0)),
            nodes: members[..raft_nodes as usize]
                .iter()
                .map(|&id| Node::new(id, &members, raft, mix(seed, id as u64, 0), 0))
                .collect(),
            slots: vec![
                Slot {
                    alive: true,
                    incarnation: 0,
                    timer_at: Micros::MAX,
                    timer_generation: 0,
                    group: 0,
                    cut: 0,
                    clock: (0, 0, 1_000_000),
                    paused_until: 0,
                    inbox: Vec::new(),
                };
                nodes as usize
            ],
            config,
            queue: BinaryHeap::new(),
            held: BTreeMap::new(),
            seq: 0,
            next_message: 1,
            next_request: 1,
            clients: VecDeque::new(),
            ready: Ready::default(),
            checker: (raft_nodes > 0).then(|| Checker::new(nodes as usize, seed)),
            violations: Vec::new(),
            traced_violations: 0,
            trace: None,
            processed: 0,
            leaders: BTreeMap::new(),
            writes: BTreeMap::new(),
            refusals: Vec::new(),
            others: match system {
                SystemConfig::Raft => None,
                SystemConfig::Quorum(c) => Some(Box::new(Others::Quorum(QuorumCluster {
                    nodes: members
                        .iter()
                        .map(|&id| raftlab_quorum::Node::new(id, &members, c))
                        .collect(),
                    config: *c,
                    checker: Some(raftlab_quorum::check::Checker::new()),
                }))),
                SystemConfig::Lease(c) => Some(Box::new(Others::Lease(LeaseCluster {
                    nodes: members
                        .iter()
                        .map(|&id| raftlab_lease::Node::new(id, &members, c))
                        .collect(),
                    config: *c,
                    checker: Some(raftlab_lease::check::Checker::new()),
                }))),
            },
        };
        for k in 0..sim.slots.len() {
            sim.schedule_timer(k);
        }
        sim
    }

    /// A cluster set up as `scenario` says, with its actions scheduled.
    pub fn from_scenario(scenario: &Scenario) -> Simulation {
        let mut sim = Simulation::with_system(
            scenario.nodes,
            scenario.config.clone(),
            &scenario.system,
            scenario.seed,
        );
        for event in &scenario.events {
            sim.schedule(event.at_us, event.action.clone());
        }
        sim
    }

    /// A copy of the whole simulation at this moment, without the trace sink: running it on
    /// gives exactly what running this one gives (the page keeps these as time-travel
    /// checkpoints).
    pub fn snapshot(&self) -> Simulation {
        Simulation {
            now: self.now,
            seed: self.seed,
            config: self.config.clone(),
            rng: self.rng.clone(),
            nodes: self.nodes.clone(),
            slots: self.slots.clone(),
            queue: self.queue.clone(),
            held: self.held.clone(),
            seq: self.seq,
            next_message: self.next_message,
            next_request: self.next_request,
            clients: self.clients.clone(),
            ready: self.ready.clone(),
            checker: self.checker.clone(),
            violations: self.violations.clone(),
            traced_violations: self.traced_violations,
            trace: None,
            processed: self.processed,
            leaders: self.leaders.clone(),
            writes: self.writes.clone(),
            refusals: self.refusals.clone(),
            others: self.others.clone(),
        }
    }

    /// Sends every trace event to `sink` from now on.
    pub fn set_trace(&mut self, sink: TraceSink) {
        self.trace = Some(sink);
    }

    /// The entry the safety checker saw committed first at `index` (the committed prefix as
    /// far as any server has committed), or `None` when the checker is off or nothing is
    /// committed there yet.
    pub fn committed_entry(&self, index: Index) -> Option<&raftlab_raft::Entry> {
        let c = self.checker.as_ref()?;
        c.committed().get((index as usize).checked_sub(1)?)
    }

    /// Turns the safety checker on or off (it is on by default). Turning it on mid-run
    /// starts it with no history.
    pub fn set_checker(&mut self, on: bool) {
        match self.others.as_deref_mut() {
            Some(Others::Quorum(c)) => c.checker = on.then(raftlab_quorum::check::Checker::new),
            Some(Others::Lease(c)) => c.checker = on.then(raftlab_lease::check::Checker::new),
            None => self.checker = on.then(|| Checker::new(self.nodes.len(), self.seed)),
        }
    }

    /// Current simulated time.
    pub fn now(&self) -> Micros {
        self.now
    }
    /// The run's seed.
    pub fn seed(&self) -> u64 {
        self.seed
    }
    /// Settings in force.
    pub fn config(&self) -> &SimConfig {
        &self.config
    }
    /// Every node, node `n` at index `n - 1` (down nodes keep only their persistent state).
    pub fn nodes(&self) -> &[Node] {
        &self.nodes
    }
    /// Whether node `id` is up.
    pub fn is_alive(&self, id: NodeId) -> bool {
        (id as usize)
            .checked_sub(1)
            .and_then(|k| self.slots.get(k))
            .is_some_and(|s| s.alive)
    }
    /// Violations found so far (at most [`MAX_VIOLATIONS`]).
    pub fn violations(&self) -> &[Violation] {
        &self.violations
    }
    /// Events handled so far (message arrivals and losses, timer firings, actions, client
    /// timeouts).
    pub fn events_processed(&self) -> u64 {
        self.processed
    }
    /// The partition groups now in force (one group: no partition).
    pub fn groups(&self) -> Vec<Vec<NodeId>> {
        // (group number, members), sorted by group number.
        let mut by_group: Vec<(u32, Vec<NodeId>)> = Vec::new();
        for (k, slot) in self.slots.iter().enumerate() {
            let id = k as NodeId + 1;
            let i = by_group
                .iter()
                .position(|(g, _)| *g >= slot.group)
                .unwrap_or(by_group.len());
            match by_group.get_mut(i) {
                Some((g, members)) if *g == slot.group => members.push(id),
                _ => by_group.insert(i, (slot.group, vec![id])),
            }
        }
        by_group.into_iter().map(|(_, members)| members).collect()
    }
    /// The node that believes it leads in the highest term, if any is up. With lease
    /// election: the running candidate that believes it leads, with the highest token. With
    /// leaderless quorums: none.
    pub fn leader(&self) -> Option<NodeId> {
        if let Some(Others::Lease(c)) = self.others.as_deref() {
            return c
                .nodes
                .iter()
                .filter(|n| self.is_alive(n.id()))
                .filter_map(|n| n.belief().filter(|b| b.leading).map(|b| (b.token, n.id())))
                .max()
                .map(|(_, id)| id);
        }
        self.nodes
            .iter()
            .filter(|n| self.is_alive(n.id()) && n.role() == Role::Leader)
            .max_by_key(|n| (n.term(), std::cmp::Reverse(n.id())))
            .map(Node::id)
    }
    /// Messages on the wire now, those held with manual delivery included, in no particular
    /// order: what the page animates.
    pub fn in_flight(&self) -> impl Iterator<Item = InFlight<'_>> + '_ {
        let queued = self.queue.iter().filter_map(|q| match &q.item {
            Item::Deliver {
                id,
                message,
                lost,
                sent_at,
                copy_of,
            } => Some(InFlight {
                id: *id,
                message,
                sent_at: *sent_at,
                deliver_at: q.at,
                lost: *lost,
                copy_of: *copy_of,
                held: false,
            }),
            _ => None,
        });
        queued.chain(self.held.iter().map(|(&id, h)| h.view(id)))
    }

    /// The message with this id if it is on the wire now (queued or held).
    pub fn message(&self, id: u64) -> Option<InFlight<'_>> {
        match self.held.get(&id) {
            Some(h) => Some(h.view(id)),
            None => self.in_flight().find(|m| m.id == id),
        }
    }

    /// Whether messages wait for `deliver_message`, `drop_message` or `duplicate_message`
    /// actions (`config.delivery` is `manual`).
    pub fn delivery_manual(&self) -> bool {
        self.config.delivery.is_manual()
    }

    /// Whether timers fire only by `fire_timer` actions (`config.timers` is `manual`).
    pub fn timers_manual(&self) -> bool {
        // Only Raft's timers can be fired by hand; the other systems' run on their own clocks
        // (scenarios asking otherwise are refused: [`Scenario::check_system`]).
        self.others.is_none() && self.config.timers.is_manual()
    }

    /// When node `id`'s next timer is due, in simulated time (a leader's heartbeat, another
    /// server's election timeout), also with manual timers, where it may be past; `None` for a
    /// server that is down or does not exist, or has no timer running.
    pub fn timer_at(&self, id: NodeId) -> Option<Micros> {
        let slot = (id as usize)
            .checked_sub(1)
            .and_then(|k| self.slots.get(k))?;
        (slot.alive && slot.timer_at != Micros::MAX).then_some(slot.timer_at)
    }

    /// The server that became leader of `term`, if one did in this run.
    pub fn leader_of(&self, term: Term) -> Option<NodeId> {
        self.leaders.get(&term).copied()
    }
    /// The client write the leader of `term` appended at `index`: its request id and command
    /// (only the newest [`MAX_WRITES`] are remembered).
    pub fn write_at(&self, term: Term, index: Index) -> Option<(RequestId, &Command)> {
        self.writes.get(&(term, index)).map(|(r, c)| (*r, c))
    }
    /// Server `id`'s last refusals (at most [`MAX_REFUSALS`]), oldest first.
    pub fn refusals(&self, id: NodeId) -> impl DoubleEndedIterator<Item = &Refusal> + '_ {
        (id as usize)
            .checked_sub(1)
            .and_then(|k| self.refusals.get(k))
            .into_iter()
            .flatten()
    }
    /// The simulated time at which node `id`'s clock reads `t` (`Micros::MAX` stays so).
    pub fn time_of(&self, id: NodeId, t: Micros) -> Micros {
        self.global(id as usize - 1, t)
    }

    /// Time of the next queued event, if any.
    pub fn next_event_time(&self) -> Option<Micros> {
        self.queue.peek().map(|q| q.at)
    }

    /// Schedules `action` at `at_us` (not before now).
    pub fn schedule(&mut self, at_us: Micros, action: Action) {
        self.push(at_us.max(self.now), Item::Action(action));
    }

    fn push(&mut self, at: Micros, item: Item) {
        self.seq += 1;
        let class = u8::from(matches!(item, Item::Action(_)));
        self.queue.push(Queued {
            at,
            class,
            seq: self.seq,
            item,
        });
    }

    fn emit(&mut self, make: impl FnOnce() -> TraceKind) {
        if let Some(sink) = self.trace.as_mut() {
            sink(&TraceEvent {
                t_us: self.now,
                kind: make(),
            });
        }
    }

    /// Handles the next queued event, whatever its time. Returns false when nothing is queued.
    pub fn step(&mut self) -> bool {
        let Some(q) = self.queue.pop() else {
            return false;
        };
        self.now = self.now.max(q.at);
        self.handle(q.item);
        true
    }

    /// Handles every event due at or before `t_us`, then sets the clock to `t_us`. Stops early
    /// (returning false) if `stop_on_violation` is set and a violation is found.
    pub fn run_until(&mut self, t_us: Micros, stop_on_violation: bool) -> bool {
        while let Some(q) = self.queue.peek() {
            if q.at > t_us {
                break;
            }
            self.step();
            if stop_on_violation && !self.violations.is_empty() {
                return false;
            }
        }
        self.now = self.now.max(t_us);
        true
    }

    fn handle(&mut self, item: Item) {
        match item {
            Item::Timer { node, generation } => {
                let k = node as usize - 1;
                if self.slots[k].timer_generation != generation || !self.slots[k].alive {
                    return; // superseded by a newer deadline
                }
                if self.paused(k) {
                    return; // fired by the wake, late
                }
                self.processed += 1;
                self.slots[k].timer_at = Micros::MAX;
                self.step_node(k, self.tick());
            }
            Item::Deliver {
                id, message, lost, ..
            } => {
                self.processed += 1;
                self.arrive(id, message, lost);
            }
            Item::Action(action) => {
                self.processed += 1;
                self.act(&action);
            }
            Item::Wake { node, incarnation } => {
                let k = node as usize - 1;
                let slot = &self.slots[k];
                if slot.alive && slot.incarnation == incarnation && slot.paused_until == self.now {
                    self.processed += 1;
                    self.wake(k);
                }
            }
            Item::ClientTimeout { request } => {
                if let Some(node) = self.answered(request) {
                    self.processed += 1;
                    self.emit(|| TraceKind::ClientReply {
                        node,
                        id: request,
                        result: ReplyResult::Timeout,
                        leader: None,
                        value: None,
                    });
                }
            }
        }
    }

    /// Message `id` reaches the end of its link now: judged by the network (lost at random,
    /// cut by a partition, or aimed at a crashed node: a `drop` line), else handed to its
    /// receiver.
    fn arrive(&mut self, id: u64, message: Wire, lost: bool) {
        let (from, to) = (message.from() as usize - 1, message.to() as usize - 1);
        let reason = if lost {
            Some(DropReason::Loss)
        } else if !self.linked(from, to) {
            Some(DropReason::Partition)
        } else if !self.slots[to].alive {
            Some(DropReason::Crashed)
        } else {
            None
        };
        let node = message.to();
        match reason {
            Some(reason) => self.emit(|| TraceKind::Drop {
                node,
                msg: TraceMsg { id, message },
                reason,
            }),
            // A frozen process does not read its socket: the message waits for the wake.
            None if self.paused(to) => self.slots[to].inbox.push(Waiting::Message(id, message)),
            None => {
                if self.trace.is_some() {
                    let msg = TraceMsg {
                        id,
                        message: message.clone(),
                    };
                    self.emit(|| TraceKind::Deliver { node, msg });
                }
                self.step_node(to, SysInput::message(message));
            }
        }
    }

    /// Takes message `id` off the wire (out of the held set or the queue): the message, when
    /// it was sent, when it would arrive, whether it was decided lost, and what it copies.
    fn take(&mut self, id: u64) -> Option<Held> {
        if let Some(h) = self.held.remove(&id) {
            return Some(h);
        }
        let is_it = |q: &Queued| matches!(q.item, Item::Deliver { id: i, .. } if i == id);
        if !self.queue.iter().any(is_it) {
            return None;
        }
        let mut found = None;
        self.queue.retain(|q| {
            if !is_it(q) {
                return true;
            }
            if let Item::Deliver {
                message,
                lost,
                sent_at,
                copy_of,
                ..
            } = &q.item
            {
                found = Some(Held {
                    message: message.clone(),
                    sent_at: *sent_at,
                    arrive_at: q.at,
                    lost: *lost,
                    copy_of: *copy_of,
                });
            }
            false
        });
        found
    }

    /// Manual delivery begins: every message queued for delivery is held instead, keeping
    /// its arrival time and its fate.
    fn hold_all(&mut self) {
        let items = std::mem::take(&mut self.queue).into_vec();
        let mut rest = Vec::with_capacity(items.len());
        for q in items {
            match q.item {
                Item::Deliver {
                    id,
                    message,
                    lost,
                    sent_at,
                    copy_of,
                } => {
                    self.held.insert(
                        id,
                        Held {
                            message,
                            sent_at,
                            arrive_at: q.at,
                            lost,
                            copy_of,
                        },
                    );
                }
                _ => rest.push(q),
            }
        }
        self.queue = BinaryHeap::from(rest);
    }

    /// Manual delivery ends: every held message, in id order, arrives at the time it would
    /// have, or now if that has passed.
    fn release_all(&mut self) {
        for (id, h) in std::mem::take(&mut self.held) {
            let at = h.arrive_at.max(self.now);
            self.push(
                at,
                Item::Deliver {
                    id,
                    message: h.message,
                    lost: h.lost,
                    sent_at: h.sent_at,
                    copy_of: h.copy_of,
                },
            );
        }
    }

    /// Manual timers begin: the queued timers are dropped (each server's deadline is kept,
    /// for [`Simulation::timer_at`]).
    fn stop_timers(&mut self) {
        for slot in &mut self.slots {
            slot.timer_generation += 1;
        }
        self.queue.retain(|q| !matches!(q.item, Item::Timer { .. }));
    }

    /// Manual timers end: every running server's timer is queued again at its deadline, or
    /// now if that has passed.
    fn restart_timers(&mut self) {
        for k in 0..self.slots.len() {
            let slot = &mut self.slots[k];
            if !slot.alive || slot.timer_at == Micros::MAX {
                continue;
            }
            slot.timer_generation += 1;
            let item = Item::Timer {
                node: k as NodeId + 1,
                generation: slot.timer_generation,
            };
            let at = slot.timer_at.max(self.now);
            self.push(at, item);
        }
    }

    /// Whether messages get from node index `a` to node index `b` (same partition group, link
    /// not cut).
    fn linked(&self, a: usize, b: usize) -> bool {
        self.slots[a].group == self.slots[b].group && self.slots[a].cut & (1 << b) == 0
    }

    /// Whether the link between nodes `a` and `b` works now.
    pub fn link_up(&self, a: NodeId, b: NodeId) -> bool {
        let n = self.slots.len() as NodeId;
        (1..=n).contains(&a) && (1..=n).contains(&b) && self.linked(a as usize - 1, b as usize - 1)
    }

    fn resolve(&self, target: Target) -> Option<usize> {
        match target {
            Target::Node(n) => {
                (n >= 1 && (n as usize) <= self.slots.len()).then_some(n as usize - 1)
            }
            Target::Leader => self.leader().map(|n| n as usize - 1),
        }
    }

    /// Performs `action` now. Actions aimed at a node that does not exist, or at "leader"
    /// when there is none, do nothing.
    pub fn act(&mut self, action: &Action) {
        match action {
            Action::Crash(t) => {
                if let Some(k) = self.resolve(*t) {
                    self.crash(k);
                }
            }
            Action::Restart(t) => {
                if let Some(k) = self.resolve(*t) {
                    self.crash(k);
                    self.start(k);
                }
            }
            // A forced election timeout, or the node's next timer fired by hand: traced, then
            // the node is stepped; a crashed node is not affected and nothing is traced.
            // A paused node's timers wait for it to wake.
            // Raft's alone: in another system they do nothing, and nothing is traced
            // (scenario format: Raft-only actions do nothing there).
            Action::Timeout(_) | Action::FireTimer(_) if self.others.is_some() => {}
            Action::Timeout(t) | Action::FireTimer(t) => {
                if let Some(k) = self.resolve(*t) {
                    if self.slots[k].alive && !self.paused(k) {
                        let node = k as NodeId + 1;
                        let fire = matches!(action, Action::FireTimer(_));
                        self.emit(|| {
                            if fire {
                                TraceKind::FireTimer { node }
                            } else {
                                TraceKind::Timeout { node }
                            }
                        });
                        let input = if fire {
                            Input::FireTimer
                        } else {
                            Input::Timeout
                        };
                        self.step_node(k, SysInput::Raft(input));
                    }
                }
            }
            Action::Isolate(t) => {
                // The node gets a group of its own; the other groups stay as they are.
                if let Some(k) = self.resolve(*t) {
                    let fresh = self.slots.iter().map(|s| s.group).max().unwrap_or(0) + 1;
                    self.slots[k].group = fresh;
                    if self.trace.is_some() {
                        let groups = self.groups();
                        self.emit(|| TraceKind::Partition { groups });
                    }
                }
            }
            Action::Pause(t, us) => {
                if let Some(k) = self.resolve(*t) {
                    self.pause(k, *us);
                }
            }
            Action::ClockRate(t, rate) => {
                if let Some(k) = self.resolve(*t) {
                    // The clock goes on from what it reads now, at the new speed.
                    let reading = self.local(k);
                    // Not f64::clamp: its panic message links float formatting into the wasm.
                    #[allow(clippy::manual_clamp)]
                    let ppm = (rate * 1_000_000.0).round().max(1.0).min(1e9) as u64;
                    self.slots[k].clock = (self.now, reading, ppm);
                    self.emit(|| TraceKind::ClockRate {
                        node: k as NodeId + 1,
                        rate: *rate,
                    });
                    // Its timers now fire at other real times.
                    self.schedule_timer(k);
                }
            }
            Action::TransferLeadership(to) => {
                // The request goes to the current leader; with none, nothing happens.
                if let Some(leader) = self.leader() {
                    self.step_node(
                        leader as usize - 1,
                        SysInput::Raft(Input::TransferLeadership { to: *to }),
                    );
                }
            }
            Action::AddServer(id) | Action::RemoveServer(id) => {
                let id = *id;
                let add = matches!(action, Action::AddServer(_));
                if self.others.is_some()
                    || id == 0
                    || id > MAX_NODES
                    || (!add && id as usize > self.nodes.len())
                {
                    return;
                }
                let leader = self.leader();
                // A server that does not exist yet starts empty, outside the configuration,
                // on the leader's side of any partition.
                while add && self.nodes.len() < id as usize {
                    self.spawn(leader);
                }
                self.emit(|| {
                    if add {
                        TraceKind::AddServer { node: id, leader }
                    } else {
                        TraceKind::RemoveServer { node: id, leader }
                    }
                });
                let change = if add {
                    MembershipChange::Add(id)
                } else {
                    MembershipChange::Remove(id)
                };
                if let Some(l) = leader {
                    self.step_node(
                        l as usize - 1,
                        SysInput::Raft(Input::ChangeMembership(change)),
                    );
                }
            }
            Action::Partition(groups) => self.partition(groups),
            Action::DropMessage(id) => {
                if let Some(h) = self.take(*id) {
                    let node = h.message.to();
                    let msg = TraceMsg {
                        id: *id,
                        message: h.message,
                    };
                    self.emit(|| TraceKind::Drop {
                        node,
                        msg,
                        reason: DropReason::Manual,
                    });
                }
            }
            Action::DeliverMessage(id) => {
                // The reader forces the arrival: a random loss decided at send does not
                // apply; partitions and crashed receivers still do.
                if let Some(h) = self.take(*id) {
                    self.arrive(*id, h.message, false);
                }
            }
            Action::DuplicateMessage(id) => self.duplicate(*id),
            Action::Heal => {
                for slot in &mut self.slots {
                    slot.group = 0;
                    slot.cut = 0;
                }
                self.emit(|| TraceKind::Heal);
            }
            Action::Cut(a, b) | Action::Restore(a, b) => {
                let (a, b) = (*a, *b);
                let n = self.slots.len() as NodeId;
                if a == b || !(1..=n).contains(&a) || !(1..=n).contains(&b) {
                    return;
                }
                let cut = matches!(action, Action::Cut(..));
                let (i, j) = (a as usize - 1, b as usize - 1);
                for (x, y) in [(i, j), (j, i)] {
                    if cut {
                        self.slots[x].cut |= 1 << y;
                    } else {
                        self.slots[x].cut &= !(1 << y);
                    }
                }
                let nodes = [a.min(b), a.max(b)];
                self.emit(|| {
                    if cut {
                        TraceKind::Cut { nodes }
                    } else {
                        TraceKind::Restore { nodes }
                    }
                });
            }
            Action::ClientWrite { node, key, value } => self.client(
                *node,
                Command::Set {
                    key: key.clone(),
                    value: value.clone(),
                },
            ),
            Action::ClientDelete { node, key } => {
                self.client(*node, Command::Delete { key: key.clone() })
            }
            Action::ClientRead { node, key, mode } => self.read(*node, key, *mode),
            Action::Set(patch) => self.set(patch),
        }
    }

    /// A second copy of message `id`, if it is on the wire: a new id, sent now, with a fresh
    /// latency draw and no random loss; held with manual delivery.
    fn duplicate(&mut self, id: u64) {
        let Some(original) = self.message(id) else {
            return;
        };
        let message = original.message.clone();
        let copy_id = self.next_message;
        self.next_message += 1;
        let at = self.now + self.draw(self.config.latency_us);
        let held = self.delivery_manual();
        let from = message.from();
        if self.trace.is_some() {
            let msg = TraceMsg {
                id: copy_id,
                message: message.clone(),
            };
            self.emit(|| TraceKind::Duplicate {
                node: from,
                msg,
                of: id,
                deliver_at_us: at,
                held,
            });
        }
        let sent_at = self.now;
        if held {
            self.held.insert(
                copy_id,
                Held {
                    message,
                    sent_at,
                    arrive_at: at,
                    lost: false,
                    copy_of: Some(id),
                },
            );
        } else {
            self.push(
                at,
                Item::Deliver {
                    id: copy_id,
                    message,
                    lost: false,
                    sent_at,
                    copy_of: Some(id),
                },
            );
        }
    }

    fn set(&mut self, patch: &ConfigPatch) {
        let (delivery, timers) = (self.config.delivery, self.config.timers);
        patch.apply(&mut self.config);
        if self.config.delivery != delivery {
            if self.config.delivery.is_manual() {
                self.hold_all();
            } else {
                self.release_all();
            }
        }
        if self.others.is_some() {
            self.config.timers = timers;
        }
        if self.config.timers != timers {
            if self.config.timers.is_manual() {
                self.stop_timers();
            } else {
                self.restart_timers();
            }
        }
        let raft = self.config.raft_config();
        for node in &mut self.nodes {
            node.set_config(raft);
        }
        if self.trace.is_some() {
            let config = self.config.to_json();
            self.emit(|| TraceKind::Set { config });
        }
    }

    /// Starts one more server, numbered after the others, with an empty log and no
    /// configuration: it waits for a leader to add it (thesis 4.1).
    fn spawn(&mut self, near: Option<NodeId>) {
        let id = self.nodes.len() as NodeId + 1;
        let group = near.map_or(0, |l| self.slots[l as usize - 1].group);
        let raft = self.config.raft_config();
        self.nodes.push(Node::new(
            id,
            &[],
            raft,
            mix(self.seed, id as u64, 0),
            self.now,
        ));
        self.slots.push(Slot {
            alive: true,
            incarnation: 0,
            timer_at: Micros::MAX,
            timer_generation: 0,
            group,
            cut: 0,
            clock: (self.now, self.now, 1_000_000),
            paused_until: 0,
            inbox: Vec::new(),
        });
        if let Some(c) = self.checker.as_mut() {
            c.add_node();
        }
        self.schedule_timer(id as usize - 1);
    }

    fn partition(&mut self, groups: &[Vec<NodeId>]) {
        for slot in &mut self.slots {
            slot.group = 0;
        }
        for (g, group) in groups.iter().enumerate() {
            for &n in group {
                if let Some(slot) = self.slots.get_mut((n as usize).wrapping_sub(1)) {
                    slot.group = g as u32 + 1;
                }
            }
        }
        if self.trace.is_some() {
            let groups = self.groups();
            self.emit(|| TraceKind::Partition { groups });
        }
    }

    /// Whether node index `k`'s process is frozen by a pause now.
    fn paused(&self, k: usize) -> bool {
        self.slots[k].paused_until > self.now
    }

    /// When node `id`'s pause ends, while it is paused.
    pub fn paused_until(&self, id: NodeId) -> Option<Micros> {
        let k = (id as usize).checked_sub(1)?;
        (k < self.slots.len() && self.paused(k)).then(|| self.slots[k].paused_until)
    }

    /// A `pause` fault: node index `k` freezes for `us` (a running node only; a paused one
    /// stays frozen until the later end).
    fn pause(&mut self, k: usize, us: Micros) {
        let until = self.now.saturating_add(us);
        let slot = &mut self.slots[k];
        if !slot.alive || until <= slot.paused_until {
            return;
        }
        slot.paused_until = until;
        let item = Item::Wake {
            node: k as NodeId + 1,
            incarnation: slot.incarnation,
        };
        self.push(until, item);
        let node = k as NodeId + 1;
        self.emit(|| TraceKind::Pause { node, until });
    }

    /// Node index `k` wakes from its pause: its overdue timer fires (late, as of its clock
    /// now), then what reached it meanwhile is handled in arrival order.
    fn wake(&mut self, k: usize) {
        let node = k as NodeId + 1;
        self.slots[k].paused_until = 0;
        self.emit(|| TraceKind::Wake { node });
        if !self.timers_manual() && self.slots[k].timer_at <= self.now {
            self.slots[k].timer_at = Micros::MAX;
            self.step_node(k, self.tick());
        } else {
            self.schedule_timer(k);
        }
        // A step never pauses or crashes a node, so the node is still up for each of these.
        for waiting in std::mem::take(&mut self.slots[k].inbox) {
            let input = match waiting {
                Waiting::Message(id, message) => {
                    if self.trace.is_some() {
                        let msg = TraceMsg {
                            id,
                            message: message.clone(),
                        };
                        self.emit(|| TraceKind::Deliver { node, msg });
                    }
                    SysInput::message(message)
                }
                Waiting::Request(input) => input,
            };
            self.step_node(k, input);
        }
    }

    fn crash(&mut self, k: usize) {
        if !self.slots[k].alive {
            return;
        }
        let id = k as NodeId + 1;
        // A crash ends a pause; what waited for the wake is lost with the process.
        self.slots[k].paused_until = 0;
        for waiting in std::mem::take(&mut self.slots[k].inbox) {
            if let Waiting::Message(mid, message) = waiting {
                self.emit(|| TraceKind::Drop {
                    node: id,
                    msg: TraceMsg { id: mid, message },
                    reason: DropReason::Crashed,
                });
            }
        }
        self.slots[k].alive = false;
        self.slots[k].timer_generation += 1;
        self.slots[k].timer_at = Micros::MAX;
        // Only the persistent state survives (Figure 2); the rest is rebuilt on restart.
        self.rebuild(k, 0);
        if let Some(c) = self.checker.as_mut() {
            c.on_crash(id);
        }
        self.emit(|| TraceKind::Crash { node: id });
    }

    fn start(&mut self, k: usize) {
        let id = k as NodeId + 1;
        let slot = &mut self.slots[k];
        slot.alive = true;
        slot.incarnation += 1;
        let seed = mix(self.seed, id as u64, slot.incarnation);
        self.rebuild(k, seed);
        self.emit(|| TraceKind::Restart { node: id });
        self.schedule_timer(k);
    }

    /// Replaces node `k` by one recovered from its persistent state, with fresh volatile state.
    fn rebuild(&mut self, k: usize, seed: u64) {
        let id = k as NodeId + 1;
        let local = self.local(k);
        match self.others.as_deref_mut() {
            Some(Others::Quorum(c)) => {
                let cluster = c.cluster();
                let persistent = c.nodes[k].persistent();
                c.nodes[k] =
                    raftlab_quorum::Node::recover(id, &cluster, &c.config, persistent, local);
                return;
            }
            Some(Others::Lease(c)) => {
                let cluster = c.cluster();
                let persistent = c.nodes[k].persistent();
                c.nodes[k] =
                    raftlab_lease::Node::recover(id, &cluster, &c.config, persistent, local);
                return;
            }
            None => {}
        }
        let config = self.config.raft_config();
        let placeholder = Node::new(id, &[], config, 0, self.now);
        let persistent = std::mem::replace(&mut self.nodes[k], placeholder).into_persistent();
        self.nodes[k] = Node::recover(id, config, persistent, seed, local);
    }

    fn client(&mut self, target: Option<Target>, command: Command) {
        let traced = self.trace.is_some().then(|| command.clone());
        let system = self.system();
        if system == System::Lease {
            return; // no clients: the leader's work goes to the resource
        }
        if system == System::Quorum && !matches!(command, Command::Set { .. }) {
            return; // leaderless quorums only write values
        }
        self.request(
            target,
            traced,
            |node, id, command| TraceKind::ClientRequest { node, id, command },
            move |request| match (system, command) {
                (System::Quorum, Command::Set { key, value }) => {
                    SysInput::Quorum(raftlab_quorum::Input::ClientWrite {
                        request,
                        key,
                        value,
                    })
                }
                (_, command) => SysInput::Raft(Input::ClientWrite { request, command }),
            },
        );
    }

    /// A client read: like [`Simulation::client`], with its own trace line.
    fn read(&mut self, target: Option<Target>, key: &str, mode: ReadMode) {
        let system = self.system();
        if system == System::Lease {
            return;
        }
        let traced = self.trace.is_some().then(|| key.to_string());
        let key = key.to_string();
        self.request(
            target,
            traced,
            |node, id, key| TraceKind::ClientRead {
                node,
                id,
                key,
                mode,
            },
            move |request| match system {
                System::Quorum => {
                    SysInput::Quorum(raftlab_quorum::Input::ClientRead { request, key })
                }
                _ => SysInput::Raft(Input::ClientRead { request, key, mode }),
            },
        );
    }

    /// Sends a client request to `target` (the leader when `None`): a new request id, its
    /// trace line (made by `line` from `traced` when tracing), its timeout, then the input
    /// (made by `input`) to the node if it is up.
    fn request<T>(
        &mut self,
        target: Option<Target>,
        traced: Option<T>,
        line: impl FnOnce(Option<NodeId>, RequestId, T) -> TraceKind,
        input: impl FnOnce(RequestId) -> SysInput,
    ) {
        let request = self.next_request;
        let k = match (target, self.system()) {
            // Any replica coordinates: without a node named, they take turns (request ids
            // modulo the cluster), skipping the servers that are down.
            (None, System::Quorum) => {
                let n = self.slots.len();
                (0..n)
                    .map(|i| (request as usize + i) % n)
                    .find(|&k| self.slots[k].alive)
            }
            (target, _) => self.resolve(target.unwrap_or(Target::Leader)),
        };
        self.next_request += 1;
        let node = k.map(|k| k as NodeId + 1);
        if let Some(t) = traced {
            self.emit(|| line(node, request, t));
        }
        // Request ids only grow, so the list stays sorted.
        self.clients.push_back((request, node));
        let at = self.now + self.config.client_timeout_us;
        self.push(at, Item::ClientTimeout { request });
        if let Some(k) = k.filter(|&k| self.slots[k].alive) {
            self.step_node(k, input(request));
        }
    }

    /// Forgets a waiting request; returns the node it was sent to, if it was waiting.
    fn answered(&mut self, request: RequestId) -> Option<Option<NodeId>> {
        let i = self
            .clients
            .binary_search_by_key(&request, |&(r, _)| r)
            .ok()?;
        self.clients.remove(i).map(|(_, node)| node)
    }

    /// Node `k`'s own clock now (equal to the simulated time unless a `clock_rate` fault
    /// made it run fast or slow).
    fn local(&self, k: usize) -> Micros {
        let (g, l, rate) = self.slots[k].clock;
        if rate == 1_000_000 {
            return l + (self.now - g);
        }
        l + ((self.now - g) as u128 * rate as u128 / 1_000_000) as Micros
    }

    /// The simulated time at which node `k`'s clock reads `t` (the first microsecond at or
    /// after it).
    fn global(&self, k: usize, t: Micros) -> Micros {
        if t == Micros::MAX {
            return t;
        }
        let (g, l, rate) = self.slots[k].clock;
        let ahead = t.saturating_sub(l) as u128;
        let real = (ahead * 1_000_000).div_ceil(rate.max(1) as u128);
        g.saturating_add(real.min(Micros::MAX as u128) as Micros)
    }

    /// Node `id`'s own clock now (what it measures its timeouts and leases with).
    pub fn node_clock(&self, id: NodeId) -> Micros {
        self.local(id as usize - 1)
    }

    fn schedule_timer(&mut self, k: usize) {
        let own = match self.others.as_deref() {
            None => self.nodes[k].next_deadline(),
            Some(Others::Quorum(c)) => c.nodes[k].next_deadline().unwrap_or(Micros::MAX),
            Some(Others::Lease(c)) => c.nodes[k].next_deadline().unwrap_or(Micros::MAX),
        };
        let deadline = self.global(k, own);
        let manual = self.timers_manual();
        let slot = &mut self.slots[k];
        if deadline == slot.timer_at || !slot.alive {
            return;
        }
        slot.timer_generation += 1;
        slot.timer_at = deadline;
        // With manual timers the deadline is only remembered (`timer_at`); `fire_timer` fires.
        if deadline != Micros::MAX && !manual {
            let item = Item::Timer {
                node: k as NodeId + 1,
                generation: slot.timer_generation,
            };
            let at = deadline.max(self.now);
            self.push(at, item);
        }
    }

    fn draw(&mut self, (lo, hi): (Micros, Micros)) -> Micros {
        let span = hi.saturating_sub(lo) + 1;
        lo + ((self.rng.next_u64() as u128 * span as u128) >> 64) as u64
    }

    fn chance(&mut self, rate: f64) -> bool {
        rate > 0.0 && ((self.rng.next_u64() >> 11) as f64 / (1u64 << 53) as f64) < rate
    }

    fn send(&mut self, message: Wire) {
        let id = self.next_message;
        self.next_message += 1;
        let at = self.now + self.draw(self.config.latency_us);
        let lost = self.chance(self.config.drop_rate);
        let copy = self
            .chance(self.config.duplicate_rate)
            .then(|| message.clone());
        let from = message.from();
        // With manual delivery the reader is the network: the draws above are made as in
        // auto mode, but the message is held, never lost or copied at random.
        let held = self.delivery_manual();
        if self.trace.is_some() {
            let msg = TraceMsg {
                id,
                message: message.clone(),
            };
            self.emit(|| TraceKind::Send {
                node: from,
                msg,
                deliver_at_us: at,
                held,
            });
        }
        let sent_at = self.now;
        if held {
            self.held.insert(
                id,
                Held {
                    message,
                    sent_at,
                    arrive_at: at,
                    lost: false,
                    copy_of: None,
                },
            );
            return;
        }
        self.push(
            at,
            Item::Deliver {
                id,
                message,
                lost,
                sent_at,
                copy_of: None,
            },
        );
        if let Some(message) = copy {
            let copy_id = self.next_message;
            self.next_message += 1;
            let at = self.now + self.draw(self.config.latency_us);
            let lost = self.chance(self.config.drop_rate);
            if self.trace.is_some() {
                let msg = TraceMsg {
                    id: copy_id,
                    message: message.clone(),
                };
                self.emit(|| TraceKind::Duplicate {
                    node: from,
                    msg,
                    of: id,
                    deliver_at_us: at,
                    held: false,
                });
            }
            self.push(
                at,
                Item::Deliver {
                    id: copy_id,
                    message,
                    lost,
                    sent_at,
                    copy_of: Some(id),
                },
            );
        }
    }

    /// Steps node index `k` with one input of its system (an input of another system does
    /// nothing); a paused node keeps it for its wake, or drops a timer (the wake fires it).
    fn step_node(&mut self, k: usize, input: SysInput) {
        if self.paused(k) {
            if !input.is_timer() {
                self.slots[k].inbox.push(Waiting::Request(input));
            }
            return;
        }
        match input {
            SysInput::Raft(input) if self.others.is_none() => self.step_raft(k, input),
            SysInput::Quorum(input) => self.step_quorum(k, input),
            SysInput::Lease(input) => self.step_lease(k, input),
            SysInput::Raft(_) => {}
        }
    }

    /// The timer input of the system that runs.
    fn tick(&self) -> SysInput {
        match self.system() {
            System::Raft => SysInput::Raft(Input::Tick),
            System::Quorum => SysInput::Quorum(raftlab_quorum::Input::Tick),
            System::Lease => SysInput::Lease(raftlab_lease::Input::Tick),
        }
    }

    /// Which system runs.
    pub fn system(&self) -> System {
        match self.others.as_deref() {
            None => System::Raft,
            Some(Others::Quorum(_)) => System::Quorum,
            Some(Others::Lease(_)) => System::Lease,
        }
    }

    /// The leaderless-quorum servers, server `n` at index `n - 1` (empty for another system).
    pub fn quorum_nodes(&self) -> &[raftlab_quorum::Node] {
        match self.others.as_deref() {
            Some(Others::Quorum(c)) => &c.nodes,
            _ => &[],
        }
    }

    /// The lease-election servers, server `n` at index `n - 1` (empty for another system).
    pub fn lease_nodes(&self) -> &[raftlab_lease::Node] {
        match self.others.as_deref() {
            Some(Others::Lease(c)) => &c.nodes,
            _ => &[],
        }
    }

    /// The system that runs, with its settings.
    pub fn system_config(&self) -> SystemConfig {
        match self.others.as_deref() {
            None => SystemConfig::Raft,
            Some(Others::Quorum(c)) => SystemConfig::Quorum(c.config),
            Some(Others::Lease(c)) => SystemConfig::Lease(c.config),
        }
    }

    /// Server `id`'s state in one line, for another system than Raft: a replica's values per
    /// key; the lease store's record, a candidate's belief, the resource's highest token.
    pub fn describe(&self, id: NodeId) -> String {
        let k = id as usize - 1;
        let up = if self.is_alive(id) { "" } else { " (down)" };
        match self.others.as_deref() {
            Some(Others::Quorum(c)) => {
                let values: Vec<String> = c.nodes[k]
                    .store()
                    .iter()
                    .map(|(key, sibs)| {
                        let v: Vec<String> = sibs
                            .iter()
                            .map(|(v, ver)| format!("{v} ({})", ver.text()))
                            .collect();
                        format!("{key}={}", v.join(" | "))
                    })
                    .collect();
                format!(
                    "S{id}{up} replica: {}",
                    if values.is_empty() {
                        "empty".into()
                    } else {
                        values.join(", ")
                    }
                )
            }
            Some(Others::Lease(c)) => {
                let n = &c.nodes[k];
                match n.role() {
                    raftlab_lease::Role::Store => match n.store_record() {
                        Some(r) => format!(
                            "S{id}{up} store: holder S{}, token {}, modify index {}",
                            r.holder, r.token, r.mod_index
                        ),
                        None => format!("S{id}{up} store: no holder"),
                    },
                    raftlab_lease::Role::Candidate => match n.belief() {
                        Some(b) if b.leading => format!(
                            "S{id}{up} candidate: believes it leads (token {})",
                            b.token.unwrap_or(0)
                        ),
                        Some(b) => match b.holder {
                            Some(h) => format!("S{id}{up} candidate: believes S{h} leads"),
                            None => format!("S{id}{up} candidate: believes nobody leads"),
                        },
                        None => format!("S{id}{up} candidate"),
                    },
                    raftlab_lease::Role::Resource => {
                        let (highest, accepted) = n.resource_state().unwrap_or((0, 0));
                        format!("S{id}{up} resource: {accepted} writes accepted, highest token {highest}")
                    }
                }
            }
            None => format!("S{id}{up}"),
        }
    }

    /// The end state of server `id` of another system than Raft, as the fields of its
    /// `final` trace line: `role`, then a replica's `store` (key to its siblings, each a
    /// `[value, version]` pair) and `hints`; the lease store's `holder`, `token`, `mod_index`
    /// and `revision`; a candidate's `leading`, `believes` and `token`; the resource's
    /// `highest_token` and `accepted`. Empty for Raft (its `final` lines have fields of their
    /// own).
    pub fn final_fields(&self, id: NodeId) -> Vec<(&'static str, Json)> {
        let k = id as usize - 1;
        let opt = |v: Option<u64>| v.map_or(Json::Null, Json::from);
        match self.others.as_deref() {
            Some(Others::Quorum(c)) => {
                let node = &c.nodes[k];
                vec![
                    ("role", Json::from("replica")),
                    ("store", crate::system::store_json(node)),
                    ("hints", Json::from(node.hints().len() as u64)),
                ]
            }
            Some(Others::Lease(c)) => {
                use raftlab_lease::Role;
                let n = &c.nodes[k];
                let role = ("role", Json::from(n.role().as_str()));
                match n.role() {
                    Role::Store => {
                        let r = n.store_record();
                        vec![
                            role,
                            ("holder", opt(r.map(|r| r.holder as u64))),
                            ("token", opt(r.map(|r| r.token))),
                            ("mod_index", opt(r.map(|r| r.mod_index))),
                            ("revision", opt(n.store_revision())),
                        ]
                    }
                    Role::Candidate => {
                        let b = n.belief();
                        vec![
                            role,
                            ("leading", Json::Bool(b.is_some_and(|b| b.leading))),
                            ("believes", opt(b.and_then(|b| b.holder).map(u64::from))),
                            ("token", opt(b.and_then(|b| b.token))),
                        ]
                    }
                    Role::Resource => {
                        let (highest, accepted) = n.resource_state().unwrap_or((0, 0));
                        vec![
                            role,
                            ("highest_token", Json::from(highest)),
                            ("accepted", Json::from(accepted)),
                        ]
                    }
                }
            }
            None => Vec::new(),
        }
    }

    /// How many servers the run has (every system).
    pub fn node_count(&self) -> usize {
        self.slots.len()
    }

    /// Node index `k` of a leaderless-quorum cluster handles `input`: its events are traced
    /// and checked (the quorum checker's properties), its messages sent, its replies given.
    fn step_quorum(&mut self, k: usize, input: raftlab_quorum::Input) {
        let (now, local, id, seed) = (self.now, self.local(k), k as NodeId + 1, self.seed);
        let Some(Others::Quorum(c)) = self.others.as_deref_mut() else {
            return;
        };
        let mut ready = raftlab_quorum::Ready::default();
        c.nodes[k].step(local, input, &mut ready);
        let mut found = Vec::new();
        if let Some(checker) = c.checker.as_mut() {
            for event in &ready.events {
                found.extend(checker.observe(now, id, event));
            }
            let nodes: Vec<(NodeId, &raftlab_quorum::Node)> =
                c.nodes.iter().map(|n| (n.id(), n)).collect();
            found.extend(checker.check_nodes(now, &nodes));
        }
        for event in ready.events {
            let event = SysEvent::Quorum(event);
            self.emit(|| TraceKind::Sys { node: id, event });
        }
        for v in found {
            self.other_violation(v.property, v.at, id, v.detail, seed);
        }
        for message in ready.messages {
            self.send(Wire::Quorum(message));
        }
        for (request, reply) in ready.replies {
            if self.answered(request).is_none() {
                continue;
            }
            use raftlab_quorum::Reply;
            let (result, value) = match reply {
                Reply::WriteOk { .. } => (ReplyResult::Ok, None),
                // Siblings (vector clocks) are joined with `|`, in the order the replica
                // keeps them.
                Reply::ReadOk { values } => (
                    ReplyResult::Ok,
                    Some((!values.is_empty()).then(|| {
                        values
                            .iter()
                            .map(|(v, _)| v.as_str())
                            .collect::<Vec<_>>()
                            .join("|")
                    })),
                ),
                Reply::Timeout | Reply::Failed { .. } => (ReplyResult::Timeout, None),
            };
            self.emit(|| TraceKind::ClientReply {
                node: Some(id),
                id: request,
                result,
                leader: None,
                value,
            });
        }
        self.schedule_timer(k);
    }

    /// Node index `k` of a lease-election cluster handles `input`: its events are traced and
    /// checked (the lease checker's properties) and its messages sent.
    fn step_lease(&mut self, k: usize, input: raftlab_lease::Input) {
        let (now, local, id, seed) = (self.now, self.local(k), k as NodeId + 1, self.seed);
        let Some(Others::Lease(c)) = self.others.as_deref_mut() else {
            return;
        };
        let mut ready = raftlab_lease::Ready::default();
        c.nodes[k].step(local, input, &mut ready);
        let mut found = Vec::new();
        if let Some(checker) = c.checker.as_mut() {
            for event in &ready.events {
                found.extend(checker.observe(now, id, event));
            }
        }
        for event in ready.events {
            let event = SysEvent::Lease(event);
            self.emit(|| TraceKind::Sys { node: id, event });
        }
        for v in found {
            self.other_violation(v.property, v.at, id, v.detail, seed);
        }
        for message in ready.messages {
            self.send(Wire::Lease(message));
        }
        self.schedule_timer(k);
    }

    /// Records a violation of another system's property (named as its crate names it).
    fn other_violation(
        &mut self,
        name: &'static str,
        at: Micros,
        node: NodeId,
        detail: String,
        seed: u64,
    ) {
        let Some(property) = Property::from_name(name) else {
            return;
        };
        if self.violations.len() < MAX_VIOLATIONS {
            self.violations.push(Violation {
                property,
                t_us: at,
                nodes: vec![node],
                detail,
                seed,
            });
        }
        self.trace_violations();
    }

    /// Node index `k` of a Raft cluster handles `input` (`Node::step`, the core's one entry
    /// point), then its events are traced and checked, its messages sent and its replies
    /// given (Figure 2: persistent state is saved before messages go out).
    fn step_raft(&mut self, k: usize, input: Input) {
        let mut ready = std::mem::take(&mut self.ready);
        ready.clear();
        let local = self.local(k);
        let write = match &input {
            Input::ClientWrite { request, .. } => Some(*request),
            _ => None,
        };
        self.nodes[k].step(local, input, &mut ready);
        let id = k as NodeId + 1;
        self.record(k, write, &ready.events);
        if self.trace.is_some() {
            for event in &ready.events {
                let kind = node_event(id, event);
                self.emit(|| kind);
            }
        }
        if let Some(checker) = self.checker.as_mut() {
            if self.violations.len() < MAX_VIOLATIONS {
                checker.after_step(
                    self.now,
                    id,
                    &ready.events,
                    &self.nodes,
                    &mut self.violations,
                );
                self.violations.truncate(MAX_VIOLATIONS);
            }
            self.trace_violations();
        }
        // Figure 2: persistent state is saved before messages go out. Here the node's
        // persistent state lives in the simulator's memory and survives crashes, so saving
        // is immediate; the messages leave now.
        for message in ready.messages.drain(..) {
            self.send(Wire::Raft(message));
        }
        for reply in ready.replies.drain(..) {
            if self.answered(reply.request).is_some() {
                let (result, leader, value) = match reply.result {
                    ClientResult::Ok => (ReplyResult::Ok, None, None),
                    ClientResult::Value { value } => (ReplyResult::Ok, None, Some(value)),
                    ClientResult::Redirect { leader } => {
                        (ReplyResult::Redirect, Some(leader), None)
                    }
                };
                self.emit(|| TraceKind::ClientReply {
                    node: Some(id),
                    id: reply.request,
                    result,
                    leader,
                    value,
                });
            }
        }
        self.ready = ready;
        self.schedule_timer(k);
    }

    /// Keeps what explanations need from a step of node `k`: who became leader, the client
    /// write `write` appended, refusals.
    fn record(&mut self, k: usize, write: Option<RequestId>, events: &[Event]) {
        for event in events {
            match event {
                Event::BecomeLeader { term } => {
                    self.leaders.entry(*term).or_insert(k as NodeId + 1);
                }
                Event::Append {
                    index,
                    term,
                    command: command @ (Command::Set { .. } | Command::Delete { .. }),
                } => {
                    if let Some(request) = write {
                        let key = (*term, *index);
                        self.writes.insert(key, (request, command.clone()));
                        // Snapshots (the page's checkpoints) copy the map: keep it small.
                        if self.writes.len() > MAX_WRITES {
                            self.writes.pop_first();
                        }
                    }
                }
                Event::VoteRefused { .. } | Event::AppendRejected { .. } => {
                    if self.refusals.len() <= k {
                        self.refusals.resize(k + 1, VecDeque::new());
                    }
                    let kept = &mut self.refusals[k];
                    if kept.len() == MAX_REFUSALS {
                        kept.pop_front();
                    }
                    kept.push_back(Refusal {
                        at_us: self.now,
                        node_term: self.nodes[k].term(),
                        event: event.clone(),
                    });
                }
                _ => {}
            }
        }
    }

    fn trace_violations(&mut self) {
        while self.traced_violations < self.violations.len() {
            let v = self.violations[self.traced_violations].clone();
            self.traced_violations += 1;
            self.emit(|| TraceKind::Violation {
                property: v.property.name().to_string(),
                detail: v.detail,
                nodes: v.nodes,
                seed: v.seed,
            });
        }
    }

    /// Emits one `final` trace line per node.
    pub fn finish(&mut self) {
        if self.others.is_some() {
            for id in 1..=self.slots.len() as NodeId {
                let kind = TraceKind::FinalSystem {
                    node: id,
                    alive: self.is_alive(id),
                    fields: self.final_fields(id),
                };
                self.emit(|| kind);
            }
            return;
        }
        for k in 0..self.nodes.len() {
            let node = &self.nodes[k];
            let kind = TraceKind::Final {
                node: node.id(),
                term: node.term(),
                role: node.role().as_str(),
                alive: self.slots[k].alive,
                commit_index: node.commit_index(),
                log: node.log().to_vec(),
                snapshot_index: node.snapshot_index(),
                snapshot_term: node.snapshot_term(),
            };
            self.emit(|| kind);
        }
    }

    /// The liveness phase: the faults stop (scheduled actions are dropped, partitions heal,
    /// loss and duplication end, crashed nodes restart) and within `within_us` the cluster must
    /// have one leader that every node follows, with equal logs, all committed. Returns the
    /// time it took, or the violation.
    ///
    /// Servers whose removal from the configuration is committed are shut down first, as an
    /// operator would: one that never heard of its removal would otherwise keep starting
    /// elections and disrupt the cluster unless PreVote or CheckQuorum is on (thesis 4.2.3).
    pub fn check_liveness(&mut self, within_us: Micros) -> Result<Micros, Violation> {
        let start = self.now;
        let items = std::mem::take(&mut self.queue).into_vec();
        self.queue = items
            .into_iter()
            .filter(|q| !matches!(q.item, Item::Action(_)))
            .collect();
        self.act(&Action::Heal);
        // The reader stops being the network and the clock: held messages go on their way
        // and timers run again (nothing changes for a run without manual modes).
        self.act(&Action::Set(ConfigPatch {
            drop_rate: Some(0.0),
            duplicate_rate: Some(0.0),
            delivery: Some(Mode::Auto),
            timers: Some(Mode::Auto),
            ..ConfigPatch::default()
        }));
        for k in 0..self.slots.len() {
            if !self.slots[k].alive {
                self.start(k);
            }
        }
        let deadline = start + within_us;
        if self.liveness_promise().is_err() {
            // Settings that promise no convergence: the phase only lets the cluster run with
            // the faults gone ([`crate::run::Outcome::liveness_unchecked`] says why).
            self.run_until(deadline, false);
            return Ok(0);
        }
        loop {
            if self.others.is_none() {
                self.decommission();
            }
            if self.settled_any().is_ok() {
                return Ok(self.now - start);
            }
            if self.now >= deadline {
                break;
            }
            let next = (self.now + 10_000).min(deadline);
            self.run_until(next, false);
        }
        let detail = self.settled_any().err().unwrap_or_default();
        let violation = Violation {
            property: Property::Liveness,
            t_us: self.now,
            nodes: (1..=self.slots.len() as NodeId).collect(),
            detail: format!(
                "the cluster did not settle within {} ms after the faults stopped: {detail}",
                within_us / 1000
            ),
            seed: self.seed,
        };
        let v = violation.clone();
        self.emit(|| TraceKind::Violation {
            property: v.property.name().to_string(),
            detail: v.detail,
            nodes: v.nodes,
            seed: v.seed,
        });
        Err(violation)
    }

    /// The operator of the liveness phase: with a leader in place, shuts down the servers it
    /// no longer needs and starts again those it does that are down.
    ///
    /// The servers still needed are the leader itself, the members of its latest
    /// configuration, and, while that one is not known committed (its entry is after the
    /// leader's commit index), the members of the one before it: the leader replicates to
    /// both until the latest commits (thesis 4.2.2), and if the latest is lost with its
    /// leader, the next leader uses the one before. That one is committed even when the
    /// leader's commit index does not show it yet (a new leader's starts low, 0 after a
    /// restart): a leader appends a configuration only once the previous one is committed
    /// (thesis 4.1). So it, not the configuration at the leader's commit index, is the one
    /// every later leader will have; the servers in neither were removed for good.
    fn decommission(&mut self) {
        let Some(l) = self.leader() else {
            return;
        };
        let leader = &self.nodes[l as usize - 1];
        let mut keep: Vec<NodeId> = leader.membership().members().collect();
        if leader.membership_index() > leader.commit_index() {
            let before = leader.config_at(leader.membership_index() - 1).1;
            keep.extend(before.members());
        }
        keep.push(l);
        for k in 0..self.nodes.len() {
            let kept = keep.contains(&(k as NodeId + 1));
            if self.slots[k].alive && !kept {
                self.crash(k);
            } else if !self.slots[k].alive && kept {
                self.start(k);
            }
        }
    }

    /// The configuration the cluster uses now: the latest one of the leader, or else of the
    /// server with the longest log (what the page shows as the cluster's size).
    pub fn membership(&self) -> &Membership {
        let best = self
            .leader()
            .and_then(|l| self.nodes.get(l as usize - 1))
            .or_else(|| {
                self.nodes
                    .iter()
                    .max_by_key(|n| (n.membership_index(), n.commit_index()))
            });
        best.map_or(&EMPTY, Node::membership)
    }

    /// Why the liveness phase checks nothing for this run's settings, if it does not:
    /// leaderless replicas converge only through anti-entropy (Dynamo 4.7); without it a
    /// replica that missed a write keeps its old value until a read repairs it, so the
    /// settings promise no convergence. Raft and lease election always promise theirs.
    pub fn liveness_promise(&self) -> Result<(), &'static str> {
        match self.others.as_deref() {
            Some(Others::Quorum(c)) if c.config.anti_entropy_ms == 0 => Err(
                "leaderless replicas converge only through anti-entropy, and anti_entropy_ms is 0",
            ),
            _ => Ok(()),
        }
    }

    /// What the liveness phase waits for, for every system: [`Simulation::settled`] for
    /// Raft; for leaderless quorums, every replica of every key holds the same versions,
    /// no hint waits for its home and no request is open (eventual consistency, Dynamo 4.7);
    /// for lease election, the store names a holder that believes it leads with the
    /// record's token, no other candidate believes it leads, and the resource has accepted
    /// that token. Ok, or what is still missing.
    pub fn settled_any(&self) -> Result<(), String> {
        match self.others.as_deref() {
            None => self.settled().map(|_| ()),
            Some(Others::Quorum(c)) => {
                for (k, node) in c.nodes.iter().enumerate() {
                    let id = k as NodeId + 1;
                    if !self.slots[k].alive {
                        return Err(format!("S{id} is down"));
                    }
                    if !node.hints().is_empty() {
                        return Err(format!(
                            "S{id} still holds {} hint(s) for other replicas",
                            node.hints().len()
                        ));
                    }
                    if !node.pending().is_empty() {
                        return Err(format!("S{id} still coordinates a request"));
                    }
                }
                let n = c.config.n(c.nodes.len());
                for node in &c.nodes {
                    for key in node.store().keys() {
                        let replicas = node.preference_list(key);
                        let first = replicas[0];
                        let want = c.nodes[first as usize - 1].store().get(key);
                        for &r in &replicas[1..n] {
                            let have = c.nodes[r as usize - 1].store().get(key);
                            if !same_siblings(want, have) {
                                return Err(format!(
                                    "replicas S{first} and S{r} hold different versions of {key}"
                                ));
                            }
                        }
                    }
                }
                Ok(())
            }
            Some(Others::Lease(c)) => {
                use raftlab_lease::Role;
                let alive = |id: NodeId| self.slots[id as usize - 1].alive;
                let find = |role: Role| c.nodes.iter().find(|n| n.role() == role);
                let Some(store) = find(Role::Store) else {
                    return Err("there is no store".into());
                };
                if !alive(store.id()) {
                    return Err(format!("the store S{} is down", store.id()));
                }
                let Some(record) = store.store_record() else {
                    return Err("the store names no holder".into());
                };
                let h = record.holder;
                for n in c.nodes.iter().filter(|n| n.role() == Role::Candidate) {
                    let leading = n.belief().is_some_and(|b| b.leading);
                    if n.id() == h {
                        let token = n.belief().and_then(|b| b.token);
                        if !alive(h) || !leading || token != Some(record.token) {
                            return Err(format!(
                                "S{h} holds the lease (token {}) but does not believe it leads with it",
                                record.token
                            ));
                        }
                    } else if leading && alive(n.id()) {
                        return Err(format!(
                            "S{} believes it leads while the store names S{h}",
                            n.id()
                        ));
                    }
                }
                if let Some(resource) = find(Role::Resource) {
                    let (highest, _) = resource.resource_state().unwrap_or((0, 0));
                    if highest != record.token {
                        return Err(format!(
                            "the resource has not yet accepted a write with S{h}'s token {} (highest {highest})",
                            record.token
                        ));
                    }
                }
                Ok(())
            }
        }
    }

    /// Ok when one leader is followed by every member of its configuration in its term,
    /// their logs are equal and all committed, and the configuration has no learner left;
    /// otherwise what is still missing. Servers outside the configuration are not waited for.
    pub fn settled(&self) -> Result<NodeId, String> {
        let Some(l) = self.leader() else {
            return Err("there is no leader".into());
        };
        let leader = &self.nodes[l as usize - 1];
        if let Some(learner) = leader.membership().learners.first() {
            return Err(format!("S{learner} is still a learner"));
        }
        for (k, node) in self.nodes.iter().enumerate() {
            let id = k as NodeId + 1;
            if !leader.membership().contains(id) {
                continue;
            }
            if !self.slots[k].alive {
                return Err(format!("S{id} is down"));
            }
            if node.term() != leader.term() || node.leader() != Some(l) {
                // `Some(2)` or `None`, as `{:?}` wrote it, without the code of `Debug`.
                let following = match node.leader() {
                    Some(s) => format!("Some({s})"),
                    None => "None".to_string(),
                };
                return Err(format!(
                    "S{id} is in term {} following {following}, not S{l}'s term {}",
                    node.term(),
                    leader.term()
                ));
            }
            // Compare the entries both still hold (section 7: below a snapshot they are
            // committed), and the last index.
            let from = node.first_index().max(leader.first_index());
            if node.last_index() != leader.last_index()
                || (from..=leader.last_index()).any(|i| node.entry(i) != leader.entry(i))
            {
                return Err(format!("S{id}'s log differs from leader S{l}'s"));
            }
            if node.commit_index() != leader.last_index() {
                return Err(format!(
                    "S{id} has committed {} of {} entries",
                    node.commit_index(),
                    leader.last_index()
                ));
            }
        }
        Ok(l)
    }
}

static EMPTY: Membership = Membership {
    voters: Vec::new(),
    learners: Vec::new(),
};

fn node_event(node: NodeId, event: &Event) -> TraceKind {
    match event.clone() {
        Event::BecomeFollower { term } => TraceKind::BecomeFollower { node, term },
        Event::BecomeCandidate { term } => TraceKind::BecomeCandidate { node, term },
        Event::BecomeLeader { term } => TraceKind::BecomeLeader { node, term },
        Event::BecomePreCandidate { term } => TraceKind::BecomePreCandidate { node, term },
        Event::StepDown { term } => TraceKind::StepDown { node, term },
        Event::TransferStart { to } => TraceKind::TransferStart { node, to },
        Event::TransferAbort { to } => TraceKind::TransferAbort { node, to },
        Event::Vote { candidate, term } => TraceKind::Vote {
            node,
            candidate,
            term,
        },
        Event::Append {
            index,
            term,
            command,
        } => TraceKind::Append {
            node,
            index,
            term,
            command,
        },
        Event::Truncate { from } => TraceKind::Truncate { node, index: from },
        Event::Snapshot {
            last_index,
            last_term,
        } => TraceKind::Snapshot {
            node,
            index: last_index,
            term: last_term,
        },
        Event::InstallSnapshot {
            last_index,
            last_term,
        } => TraceKind::InstallSnapshot {
            node,
            index: last_index,
            term: last_term,
        },
        Event::Commit { index } => TraceKind::Commit { node, index },
        Event::Membership { index, config } => TraceKind::Membership {
            node,
            index,
            voters: config.voters,
            learners: config.learners,
        },
        Event::MembershipRefused { change, reason } => {
            let (server, add) = match change {
                MembershipChange::Add(id) => (id, true),
                MembershipChange::Remove(id) => (id, false),
            };
            TraceKind::MembershipRefused {
                node,
                server,
                change: if add { "add" } else { "remove" },
                reason,
            }
        }
        Event::Apply {
            index,
            term,
            command,
        } => TraceKind::Apply {
            node,
            index,
            term,
            command,
        },
        Event::VoteRefused {
            candidate,
            term,
            pre_vote,
            reason,
        } => TraceKind::VoteRefused {
            node,
            candidate,
            term,
            pre_vote,
            reason,
        },
        Event::AppendRejected {
            leader,
            term,
            prev_index,
            prev_term,
            reason,
        } => TraceKind::AppendRejected {
            node,
            leader,
            term,
            prev_index,
            prev_term,
            reason,
        },
    }
}

/// Whether two replicas hold the same siblings of a key, in any order (absent: none).
fn same_siblings(
    a: Option<&raftlab_quorum::Siblings>,
    b: Option<&raftlab_quorum::Siblings>,
) -> bool {
    let (a, b) = (a.map_or(&[][..], |s| &s[..]), b.map_or(&[][..], |s| &s[..]));
    a.len() == b.len() && a.iter().all(|x| b.contains(x))
}
