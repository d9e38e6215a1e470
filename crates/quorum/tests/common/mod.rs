//! A tiny hand-driven network for the tests: messages wait in a queue until a test delivers
//! (or drops) them; each node reads its own clock, the real time plus its skew.
#![allow(dead_code)]

use raftlab_quorum::check::{Checker, Violation};
use raftlab_quorum::*;

pub struct Net {
    pub nodes: Vec<Node>,
    pub config: Config,
    pub queue: Vec<Message>,
    /// Every message ever sent.
    pub sent: Vec<Message>,
    /// Real simulated time.
    pub t: Micros,
    /// Per node (index id - 1): clock offset in microseconds.
    pub skew: Vec<i64>,
    pub replies: Vec<(RequestId, Reply, Micros)>,
    pub events: Vec<(NodeId, Event)>,
    pub checker: Checker,
    pub violations: Vec<Violation>,
}

impl Net {
    pub fn new(size: u32, config: Config) -> Net {
        let ids: Vec<NodeId> = (1..=size).collect();
        let mut net = Net {
            nodes: ids.iter().map(|&i| Node::new(i, &ids, &config)).collect(),
            config,
            queue: Vec::new(),
            sent: Vec::new(),
            t: 1_000_000,
            skew: vec![0; size as usize],
            replies: Vec::new(),
            events: Vec::new(),
            checker: Checker::new(),
            violations: Vec::new(),
        };
        // Every node starts with a tick, as a simulator would (it schedules anti-entropy).
        for id in ids {
            net.step(id, Input::Tick);
        }
        net
    }

    pub fn node(&self, id: NodeId) -> &Node {
        &self.nodes[id as usize - 1]
    }

    pub fn clock(&self, id: NodeId) -> Micros {
        (self.t as i64 + self.skew[id as usize - 1]) as Micros
    }

    pub fn step(&mut self, id: NodeId, input: Input) {
        let now = self.clock(id);
        let mut ready = Ready::default();
        self.nodes[id as usize - 1].step(now, input, &mut ready);
        for e in ready.events {
            let v = self.checker.observe(self.t, id, &e);
            self.violations.extend(v);
            self.events.push((id, e));
        }
        self.sent.extend(ready.messages.iter().cloned());
        self.queue.extend(ready.messages);
        for (r, reply) in ready.replies {
            self.replies.push((r, reply, self.t));
        }
        self.check();
    }

    /// The whole-cluster check (done after every step).
    pub fn check(&mut self) {
        let all: Vec<(NodeId, &Node)> = self.nodes.iter().map(|n| (n.id(), n)).collect();
        let v = self.checker.check_nodes(self.t, &all);
        self.violations.extend(v);
    }

    pub fn write(&mut self, via: NodeId, request: RequestId, key: &str, value: &str) {
        let (key, value) = (key.to_string(), value.to_string());
        self.step(
            via,
            Input::ClientWrite {
                request,
                key,
                value,
            },
        );
    }

    pub fn read(&mut self, via: NodeId, request: RequestId, key: &str) {
        let key = key.to_string();
        self.step(via, Input::ClientRead { request, key });
    }

    /// Delivers the first queued message that matches; false when none does.
    pub fn deliver_where(&mut self, f: impl Fn(&Message) -> bool) -> bool {
        match self.queue.iter().position(f) {
            Some(i) => {
                let m = self.queue.remove(i);
                self.step(m.to, Input::Message(m));
                true
            }
            None => false,
        }
    }

    /// Delivers the first queued message from `from` to `to`.
    pub fn deliver(&mut self, from: NodeId, to: NodeId) -> bool {
        self.deliver_where(|m| m.from == from && m.to == to)
    }

    /// Delivers `coordinator`'s queued Read to `replica`, then the replica's ReadReply.
    pub fn ask(&mut self, coordinator: NodeId, replica: NodeId) {
        let (c, r) = (coordinator, replica);
        let read =
            self.deliver_where(|m| m.from == c && m.to == r && matches!(m.body, Body::Read { .. }));
        let reply = self.deliver_where(|m| {
            m.from == r && m.to == c && matches!(m.body, Body::ReadReply { .. })
        });
        assert!(read && reply, "S{c} asked S{r}");
    }

    /// Delivers messages in order until none matching `f` is left (new ones included).
    pub fn deliver_all_where(&mut self, f: impl Fn(&Message) -> bool) {
        while self.deliver_where(&f) {}
    }

    pub fn deliver_all(&mut self) {
        self.deliver_all_where(|_| true);
    }

    pub fn drop_where(&mut self, f: impl Fn(&Message) -> bool) {
        self.queue.retain(|m| !f(m));
    }

    /// Real time moves on by `dt`; every node whose timer is due gets a tick.
    pub fn advance(&mut self, dt: Micros) {
        self.t += dt;
        for i in 0..self.nodes.len() {
            let id = i as NodeId + 1;
            if self.nodes[i]
                .next_deadline()
                .is_some_and(|d| d <= self.clock(id))
            {
                self.step(id, Input::Tick);
            }
        }
    }

    pub fn reply(&self, request: RequestId) -> Option<&Reply> {
        self.replies.iter().find(|r| r.0 == request).map(|r| &r.1)
    }

    /// The values a read returned (panics if it did not answer ReadOk: a test failure).
    pub fn read_values(&self, request: RequestId) -> Vec<String> {
        match self.reply(request) {
            Some(Reply::ReadOk { values }) => {
                let mut v: Vec<String> = values.iter().map(|x| x.0.clone()).collect();
                v.sort();
                v
            }
            other => panic!("request {request} answered {other:?}, not ReadOk"),
        }
    }

    pub fn count(&self, kind: &str) -> usize {
        self.events.iter().filter(|e| e.1.kind() == kind).count()
    }

    /// The values node `id` holds for `key`.
    pub fn held(&self, id: NodeId, key: &str) -> Vec<String> {
        let mut v: Vec<String> = self
            .node(id)
            .store()
            .get(key)
            .map(|s| s.iter().map(|x| x.0.clone()).collect())
            .unwrap_or_default();
        v.sort();
        v
    }
}

pub fn is_write(m: &Message) -> bool {
    matches!(m.body, Body::Write { .. } | Body::WriteAck { .. })
}

/// splitmix64: a small deterministic generator for the randomized tests.
pub struct Rng(pub u64);

impl Rng {
    pub fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }
    pub fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}
