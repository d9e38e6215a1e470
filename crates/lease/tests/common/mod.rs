//! A tiny in-test harness: real time advances in 1 ms steps; each node has its own clock
//! (offset and rate), can be paused, and links can be cut one way.
#![allow(dead_code)]

use raftlab_lease::check::{Checker, Violation};
use raftlab_lease::*;

pub const MS: Micros = 1000;

/// Decides whether a message is lost.
pub type DropFn = Box<dyn FnMut(&Message) -> bool>;

pub struct Sim {
    pub cluster: Vec<NodeId>,
    pub nodes: Vec<Node>,
    /// Real simulated time.
    pub now: Micros,
    /// Per node: (real anchor, local anchor, rate numerator, rate denominator).
    clocks: Vec<(Micros, Micros, u64, u64)>,
    /// Per node: paused until this real time.
    pub paused_until: Vec<Micros>,
    /// Messages in flight: (real delivery time, message).
    pub queue: Vec<(Micros, Message)>,
    /// Network delay of every message.
    pub delay: Micros,
    /// Cut links (from, to).
    pub cut: Vec<(NodeId, NodeId)>,
    pub checker: Checker,
    pub violations: Vec<Violation>,
    /// Every event with the real time and the node.
    pub events: Vec<(Micros, NodeId, Event)>,
    /// Every message sent: (real time, message).
    pub sent: Vec<(Micros, Message)>,
    /// Optional per-message drop decision.
    pub drop: Option<DropFn>,
}

impl Sim {
    pub fn new(n: NodeId, config: &Config) -> Sim {
        let cluster: Vec<NodeId> = (1..=n).collect();
        Sim {
            nodes: cluster
                .iter()
                .map(|&id| Node::new(id, &cluster, config))
                .collect(),
            clocks: vec![(0, 0, 1, 1); n as usize],
            paused_until: vec![0; n as usize],
            cluster,
            now: 0,
            queue: Vec::new(),
            delay: MS,
            cut: Vec::new(),
            checker: Checker::new(),
            violations: Vec::new(),
            events: Vec::new(),
            sent: Vec::new(),
            drop: None,
        }
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize - 1]
    }

    /// Node `id`'s own clock reading now.
    pub fn local(&self, id: NodeId) -> Micros {
        let (r, l, num, den) = self.clocks[id as usize - 1];
        l + (self.now - r) * num / den
    }

    /// From now on node `id`'s clock runs at `num/den` of real time.
    pub fn set_rate(&mut self, id: NodeId, num: u64, den: u64) {
        let l = self.local(id);
        self.clocks[id as usize - 1] = (self.now, l, num, den);
    }

    /// Freeze node `id` for `length` of real time from now (its clock keeps running).
    pub fn pause(&mut self, id: NodeId, length: Micros) {
        self.paused_until[id as usize - 1] = self.now + length;
    }

    fn step(&mut self, id: NodeId, input: Input) {
        let mut out = Ready::default();
        let local = self.local(id);
        self.nodes[id as usize - 1].step(local, input, &mut out);
        for e in out.events {
            let v = self.checker.observe(self.now, id, &e);
            self.violations.extend(v);
            self.events.push((self.now, id, e));
        }
        for m in out.messages {
            self.sent.push((self.now, m.clone()));
            if self.cut.contains(&(m.from, m.to)) {
                continue;
            }
            if let Some(d) = self.drop.as_mut() {
                if d(&m) {
                    continue;
                }
            }
            self.queue.push((self.now + self.delay, m));
        }
    }

    /// One millisecond of real time: each running node handles its due timers, then the
    /// messages that reached it.
    fn tick(&mut self) {
        self.now += MS;
        for id in self.cluster.clone() {
            if self.now < self.paused_until[id as usize - 1] {
                continue;
            }
            let due = self.nodes[id as usize - 1].next_deadline();
            if due.is_some_and(|d| d <= self.local(id)) {
                self.step(id, Input::Tick);
            }
            let mut i = 0;
            while i < self.queue.len() {
                if self.queue[i].1.to == id && self.queue[i].0 <= self.now {
                    let (_, m) = self.queue.remove(i);
                    self.step(id, Input::Message(m));
                } else {
                    i += 1;
                }
            }
        }
    }

    pub fn run_until(&mut self, t: Micros) {
        while self.now < t {
            self.tick();
        }
    }

    /// Run until `pred` holds for a new event; returns its real time. Panics after `limit`.
    pub fn run_until_event(
        &mut self,
        limit: Micros,
        pred: impl Fn(NodeId, &Event) -> bool,
    ) -> Micros {
        let mut seen = self.events.len();
        while self.now < limit {
            self.tick();
            if let Some(e) = self.events[seen..].iter().find(|e| pred(e.1, &e.2)) {
                return e.0;
            }
            seen = self.events.len();
        }
        panic!("no such event before {limit} us");
    }

    pub fn resign(&mut self, id: NodeId) {
        self.step(id, Input::Resign);
    }

    /// Accepted resource writes: (real time, holder, token).
    pub fn accepted(&self) -> Vec<(Micros, NodeId, u64)> {
        self.events
            .iter()
            .filter_map(|e| match e.2 {
                Event::ResourceWrite {
                    holder,
                    token,
                    accepted: true,
                    ..
                } => Some((e.0, holder, token)),
                _ => None,
            })
            .collect()
    }

    /// Refused resource writes: (holder, token).
    pub fn refused(&self) -> Vec<(NodeId, u64)> {
        self.events
            .iter()
            .filter_map(|e| match e.2 {
                Event::ResourceWrite {
                    holder,
                    token,
                    accepted: false,
                    ..
                } => Some((holder, token)),
                _ => None,
            })
            .collect()
    }

    pub fn has(&self, property: &str) -> bool {
        self.violations.iter().any(|v| v.property == property)
    }
}

/// splitmix64, for the randomized test.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        mix(self.0)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n.max(1)
    }
}
