//! raftlab's leaderless quorum core: replicas of a key-value store in the style of Dynamo,
//! Cassandra and Riak, with the ABD register's blocking read repair as an option.
//!
//! Any server coordinates a client's request: it sends it to the key's N replicas and answers
//! once W of them stored a write, or R of them answered a read. There is no leader and no log:
//! each replica keeps, per key, the value with the newest version it has seen (or several
//! concurrent siblings with vector clocks). Like the Raft core, a [`Node`] is a pure state
//! machine: time is the `now` given to [`Node::step`], and outputs are batched in a [`Ready`].

#![warn(missing_docs)]

pub mod check;
mod node;

pub use node::{Hint, Node, Pending, Persistent, SUSPICION_TIMEOUTS};

/// A server's id. Servers are numbered from 1.
pub type NodeId = u32;
/// Time in microseconds, as read on the node's own clock (the simulator adds any skew).
pub type Micros = u64;
/// Identifies one client request so its reply can be matched to it.
pub type RequestId = u64;
/// The values a replica holds for one key, each with its version. One item with timestamps or
/// counters; with vector clocks, every concurrent sibling. Empty: the key is not set.
pub type Siblings = Vec<(String, Version)>;

/// How a coordinator stamps a write with a version, which decides which write wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Versions {
    /// Last write wins (Cassandra, Riak with `last_write_wins`): the coordinator's own clock
    /// reading, in microseconds, with its node id to break ties. A coordinator whose clock is
    /// behind stamps its writes in the past, and replicas silently keep the "newer" older write.
    Lww,
    /// A counter: the coordinator first reads the key from R replicas, then writes with the
    /// highest number it saw plus one (and its node id to break ties).
    Counter,
    /// Vector clocks (Dynamo, Riak): the coordinator reads the key from R replicas, merges the
    /// clocks it saw and increments its own entry. Writes that did not see each other are
    /// concurrent: replicas keep both as siblings and a read returns them all.
    Vector,
}

/// What a coordinator does when the replicas that answered a read disagree.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ReadRepair {
    /// Nothing: stale replicas stay stale until anti-entropy or a later write.
    Off,
    /// Dynamo and Cassandra: answer the client first, then send the newest value to the stale
    /// replicas that answered.
    Async,
    /// ABD (Attiya, Bar-Noy, Dolev 1995): before answering, write the newest value back until W
    /// replicas hold it. A later read then overlaps that quorum (when R + W > N), so a read
    /// never returns an older value than a read that finished before it.
    Blocking,
}

/// The settings of a cluster (every node gets the same).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// N, how many servers hold each key: the first N of the key's preference list. 0 means
    /// every server of the cluster.
    pub replicas: usize,
    /// W: a write is acknowledged once this many replicas stored it (the coordinator counts
    /// when it is one of them).
    pub write_quorum: usize,
    /// R: a read answers once this many replicas answered.
    pub read_quorum: usize,
    /// How writes are versioned.
    pub versions: Versions,
    /// What a read does with stale replicas.
    pub read_repair: ReadRepair,
    /// Sloppy quorum with hinted handoff (Dynamo 4.6): requests go to the first N servers of the
    /// preference list that the coordinator does not suspect; a stand-in keeps a write meant
    /// for a suspected replica as a hint and hands it over later.
    pub sloppy: bool,
    /// Anti-entropy: every this many milliseconds a node syncs its keys with one peer, in
    /// turn. 0 turns it off.
    pub anti_entropy_ms: u64,
    /// A coordinator answers [`Reply::Timeout`] when its quorum is not complete this long after
    /// the request arrived. Also the period at which stand-ins retry handing hints over.
    pub request_timeout_us: Micros,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            replicas: 0,
            write_quorum: 2,
            read_quorum: 2,
            versions: Versions::Lww,
            read_repair: ReadRepair::Off,
            sloppy: false,
            anti_entropy_ms: 0,
            request_timeout_us: 100_000,
        }
    }
}

impl Config {
    /// N for a cluster of `cluster_len` servers (`replicas`, or every server when 0).
    pub fn n(&self, cluster_len: usize) -> usize {
        if self.replicas == 0 {
            cluster_len
        } else {
            self.replicas.min(cluster_len)
        }
    }

    /// Why these settings cannot work on a cluster of `cluster_len` servers, if they cannot:
    /// N larger than the cluster, W or R outside 1..=N, or a zero timeout.
    pub fn validate(&self, cluster_len: usize) -> Result<(), String> {
        let n = self.n(cluster_len);
        if cluster_len == 0 {
            return Err("the cluster has no server".into());
        }
        if self.replicas > cluster_len {
            return Err(format!(
                "replicas (N = {}) is larger than the cluster ({cluster_len} servers)",
                self.replicas
            ));
        }
        for (name, q) in [
            ("write_quorum", self.write_quorum),
            ("read_quorum", self.read_quorum),
        ] {
            if q == 0 || q > n {
                return Err(format!("{name} is {q}: it must be between 1 and N = {n}"));
            }
        }
        if self.request_timeout_us == 0 {
            return Err("request_timeout_us must be above 0".into());
        }
        Ok(())
    }
}

/// How two versions relate.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Order {
    /// The first is older: the second supersedes it.
    Older,
    /// The same version.
    Same,
    /// The first is newer.
    Newer,
    /// Neither descends from the other (vector clocks only): both are kept as siblings.
    Concurrent,
}

/// The version a coordinator gave a write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Version {
    /// A timestamp (microseconds, [`Versions::Lww`]) or a counter ([`Versions::Counter`]),
    /// with the coordinator's id to break ties: compared as the pair (`n`, `node`).
    Stamp {
        /// The timestamp or counter.
        n: u64,
        /// The coordinator that stamped it.
        node: NodeId,
    },
    /// A vector clock: (server, count) pairs sorted by server, zero counts left out.
    Clock(Vec<(NodeId, u64)>),
}

impl Version {
    /// How `self` relates to `other`. Stamps are totally ordered; clocks are compared entry by
    /// entry (older: no entry larger and one smaller). A stamp and a clock are concurrent.
    pub fn compare(&self, other: &Version) -> Order {
        match (self, other) {
            (Version::Stamp { n: a, node: x }, Version::Stamp { n: b, node: y }) => {
                match (a, x).cmp(&(b, y)) {
                    std::cmp::Ordering::Less => Order::Older,
                    std::cmp::Ordering::Equal => Order::Same,
                    std::cmp::Ordering::Greater => Order::Newer,
                }
            }
            (Version::Clock(a), Version::Clock(b)) => {
                let (mut le, mut ge) = (true, true);
                for &(id, _) in a.iter().chain(b) {
                    let (x, y) = (clock_get(a, id), clock_get(b, id));
                    le &= x <= y;
                    ge &= x >= y;
                }
                match (le, ge) {
                    (true, true) => Order::Same,
                    (true, false) => Order::Older,
                    (false, true) => Order::Newer,
                    (false, false) => Order::Concurrent,
                }
            }
            _ => Order::Concurrent,
        }
    }

    /// Whether `self` is `other` or supersedes it.
    pub fn covers(&self, other: &Version) -> bool {
        matches!(self.compare(other), Order::Same | Order::Newer)
    }

    /// The trace form: `1500@S2` for a stamp (timestamp or counter 1500 by S2), `[S1:2,S3:1]`
    /// for a vector clock.
    pub fn text(&self) -> String {
        use std::fmt::Write;
        let mut s = String::new();
        match self {
            Version::Stamp { n, node } => {
                let _ = write!(s, "{n}@S{node}");
            }
            Version::Clock(c) => {
                s.push('[');
                for (i, (id, k)) in c.iter().enumerate() {
                    let _ = write!(s, "{}S{id}:{k}", if i > 0 { "," } else { "" });
                }
                s.push(']');
            }
        }
        s
    }
}

/// The count of server `id` in clock `c` (0 when absent).
pub fn clock_get(c: &[(NodeId, u64)], id: NodeId) -> u64 {
    c.iter().find(|e| e.0 == id).map_or(0, |e| e.1)
}

/// Adds `value` with `version` to `sibs` unless a sibling already has that version or a newer
/// one; drops the siblings it supersedes. Returns whether it was added.
pub fn merge(sibs: &mut Siblings, value: &str, version: &Version) -> bool {
    if sibs.iter().any(|(_, v)| v.covers(version)) {
        return false;
    }
    sibs.retain(|(_, v)| v.compare(version) != Order::Older);
    sibs.push((value.to_string(), version.clone()));
    true
}

/// A field value in a trace line, so a simulator can write NDJSON without knowing this crate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// A number.
    U64(u64),
    /// A string.
    Str(String),
    /// A list.
    List(Vec<Value>),
    /// A flag.
    Bool(bool),
    /// Nothing.
    Null,
}

fn ids(v: &[NodeId]) -> Value {
    Value::List(v.iter().map(|&i| Value::U64(i as u64)).collect())
}
fn versions(v: &[Version]) -> Value {
    Value::List(v.iter().map(|x| Value::Str(x.text())).collect())
}
/// Siblings as a trace value: a list of `[value, version]` pairs.
pub fn siblings_value(s: &Siblings) -> Value {
    Value::List(
        s.iter()
            .map(|(v, ver)| Value::List(vec![Value::Str(v.clone()), Value::Str(ver.text())]))
            .collect(),
    )
}
fn s(x: &str) -> Value {
    Value::Str(x.to_string())
}
fn n(x: u64) -> Value {
    Value::U64(x)
}

/// Why a replica received a write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Via {
    /// A client write relayed by its coordinator.
    Client,
    /// Read repair by a read's coordinator (asynchronous or blocking).
    Repair,
    /// A stand-in handing over a hinted write.
    Handoff,
    /// Anti-entropy between two replicas.
    Sync,
}

impl Via {
    /// `client`, `repair`, `handoff` or `sync`.
    pub fn as_str(self) -> &'static str {
        match self {
            Via::Client => "client",
            Via::Repair => "repair",
            Via::Handoff => "handoff",
            Via::Sync => "sync",
        }
    }
}

/// A message between two servers.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Message {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// What it says.
    pub body: Body,
}

/// What servers say to each other. `op` numbers a coordinator's quorum round so answers can be
/// matched; 0 means no answer is wanted.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A coordinator asks a replica for its values of `key`.
    Read {
        /// The coordinator's round.
        op: u64,
        /// The key.
        key: String,
    },
    /// A replica's values of `key` (its siblings; with a hint for the key, those too).
    ReadReply {
        /// The round answered.
        op: u64,
        /// The key.
        key: String,
        /// What the replica holds.
        values: Siblings,
    },
    /// Store these values of `key` (a client write, a read repair or a hint handed over).
    Write {
        /// The coordinator's round (0: do not acknowledge).
        op: u64,
        /// The key.
        key: String,
        /// The values, each with its version.
        values: Siblings,
        /// Sloppy quorum: the receiver stands in for this replica and keeps a hint.
        hint_for: Option<NodeId>,
        /// Why the write is sent.
        via: Via,
    },
    /// The receiver stored (or already had a newer version of) the write of round `op`.
    WriteAck {
        /// The round acknowledged.
        op: u64,
        /// The key.
        key: String,
    },
    /// Anti-entropy: the sender's values for every key both servers replicate. The receiver
    /// merges them and answers with its own.
    Sync {
        /// Key and siblings, sorted by key.
        items: Vec<(String, Siblings)>,
    },
    /// The answer to a [`Body::Sync`], merged by the sender of the sync.
    SyncReply {
        /// Key and siblings, sorted by key.
        items: Vec<(String, Siblings)>,
    },
}

impl Body {
    /// The name used in traces: `Read`, `ReadReply`, `Write`, `WriteAck`, `Sync`, `SyncReply`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Body::Read { .. } => "Read",
            Body::ReadReply { .. } => "ReadReply",
            Body::Write { .. } => "Write",
            Body::WriteAck { .. } => "WriteAck",
            Body::Sync { .. } => "Sync",
            Body::SyncReply { .. } => "SyncReply",
        }
    }

    /// The message's fields for a trace line (see docs/trace-format.md, "Leaderless quorums").
    pub fn fields(&self) -> Vec<(&'static str, Value)> {
        let items = |it: &Vec<(String, Siblings)>| {
            Value::List(
                it.iter()
                    .map(|(k, v)| Value::List(vec![s(k), siblings_value(v)]))
                    .collect(),
            )
        };
        match self {
            Body::Read { op, key } | Body::WriteAck { op, key } => {
                vec![("op", n(*op)), ("key", s(key))]
            }
            Body::ReadReply { op, key, values } => {
                vec![
                    ("op", n(*op)),
                    ("key", s(key)),
                    ("values", siblings_value(values)),
                ]
            }
            Body::Write {
                op,
                key,
                values,
                hint_for,
                via,
            } => vec![
                ("op", n(*op)),
                ("key", s(key)),
                ("values", siblings_value(values)),
                ("hint_for", hint_for.map_or(Value::Null, |h| n(h as u64))),
                ("via", s(via.as_str())),
            ],
            Body::Sync { items: it } | Body::SyncReply { items: it } => vec![("items", items(it))],
        }
    }
}

/// What a node is told: time passing, a message, or a client request it coordinates.
#[derive(Clone, Debug)]
pub enum Input {
    /// Time has advanced to the `now` given to [`Node::step`]: fire every timer that is due.
    Tick,
    /// A message from another server arrived.
    Message(Message),
    /// A client asks this node to coordinate a write of `value` to `key`.
    ClientWrite {
        /// Id used in the reply.
        request: RequestId,
        /// The key written.
        key: String,
        /// The value stored.
        value: String,
    },
    /// A client asks this node to coordinate a read of `key`.
    ClientRead {
        /// Id used in the reply.
        request: RequestId,
        /// The key read.
        key: String,
    },
}

/// The answer to a client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Reply {
    /// W replicas stored the write, with this version.
    WriteOk {
        /// The version the coordinator gave the write.
        version: Version,
    },
    /// R replicas answered (and, with blocking read repair, W hold the result): the newest
    /// value, every concurrent sibling with vector clocks, or nothing when the key is not set.
    ReadOk {
        /// The values read, each with its version.
        values: Siblings,
    },
    /// The quorum was not complete in time. Indeterminate: a write may still have reached
    /// some replicas and become visible later.
    Timeout,
    /// The request cannot be served with these settings (see [`Config::validate`]).
    Failed {
        /// One plain sentence.
        reason: String,
    },
}

/// Which round of a request a coordinator is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// Reading from R replicas (a client read, or the first round of a counter or vector
    /// write).
    Read,
    /// Writing to W replicas.
    Write,
    /// Blocking read repair: writing the value read back to W replicas before answering.
    WriteBack,
}

impl Phase {
    /// `read`, `write` or `write_back`.
    pub fn as_str(self) -> &'static str {
        match self {
            Phase::Read => "read",
            Phase::Write => "write",
            Phase::WriteBack => "write_back",
        }
    }
}

/// Something that happened inside a node, for traces, the page and the checker.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A coordinator starts a round of a client request: it sends to `targets` and needs
    /// `needed` answers.
    QuorumRequest {
        /// The client request.
        request: RequestId,
        /// The round.
        phase: Phase,
        /// The key.
        key: String,
        /// The servers asked (the coordinator included when it is a replica).
        targets: Vec<NodeId>,
        /// The quorum needed (R or W).
        needed: usize,
    },
    /// A coordinator got one more answer in the current round.
    QuorumAck {
        /// The client request.
        request: RequestId,
        /// The round.
        phase: Phase,
        /// Who answered.
        from: NodeId,
        /// Answers so far in this round.
        acks: usize,
        /// The quorum needed.
        needed: usize,
    },
    /// A coordinator acknowledged a client write (it answers [`Reply::WriteOk`]).
    WriteAcked {
        /// The client request.
        request: RequestId,
        /// The key.
        key: String,
        /// The value.
        value: String,
        /// Its version.
        version: Version,
    },
    /// A coordinator answered a client read.
    ReadDone {
        /// The client request.
        request: RequestId,
        /// The key.
        key: String,
        /// The values returned.
        values: Siblings,
    },
    /// A coordinator gave up on a request (it answers [`Reply::Timeout`]).
    RequestTimeout {
        /// The client request.
        request: RequestId,
        /// The key.
        key: String,
        /// The round it was in.
        phase: Phase,
        /// Answers it had.
        acks: usize,
        /// Answers it needed.
        needed: usize,
    },
    /// A replica stored a value: `version` is new for it.
    WriteStored {
        /// The key.
        key: String,
        /// The value stored.
        value: String,
        /// Its version.
        version: Version,
        /// The versions the replica held before (those not superseded stay as siblings).
        old: Vec<Version>,
        /// The server that sent the write (itself for a local write).
        from: NodeId,
        /// Why it was sent.
        via: Via,
    },
    /// A replica refused a value because it holds a strictly newer version. The write is still
    /// acknowledged: with last-write-wins this is how an acknowledged write silently vanishes.
    WriteIgnored {
        /// The key.
        key: String,
        /// The value refused.
        value: String,
        /// Its version.
        version: Version,
        /// The versions the replica keeps.
        kept: Vec<Version>,
        /// The server that sent the write.
        from: NodeId,
        /// Why it was sent.
        via: Via,
    },
    /// A read's coordinator sends the newest value to replicas that answered with an older one
    /// (or, when blocking, to every replica that does not hold it yet).
    ReadRepair {
        /// The client read.
        request: RequestId,
        /// The key.
        key: String,
        /// The replicas repaired.
        targets: Vec<NodeId>,
        /// True for ABD's write-back, which the read waits for.
        blocking: bool,
    },
    /// A stand-in kept a write meant for `home` as a hint (sloppy quorum).
    HintStored {
        /// The key.
        key: String,
        /// The replica the write is meant for.
        home: NodeId,
        /// The version kept.
        version: Version,
    },
    /// `home` acknowledged a hinted write: the stand-in dropped its hint.
    HintHandedOff {
        /// The key.
        key: String,
        /// The replica that now holds the write.
        home: NodeId,
    },
    /// A node started an anti-entropy sync with `peer`, sending `keys` keys.
    AntiEntropy {
        /// The peer.
        peer: NodeId,
        /// How many keys were sent.
        keys: usize,
    },
    /// A coordinator now suspects `peer`: it did not answer a round in time. With a sloppy
    /// quorum, later requests skip it.
    PeerSuspected {
        /// The peer.
        peer: NodeId,
    },
    /// A suspected peer was heard from again.
    PeerHealthy {
        /// The peer.
        peer: NodeId,
    },
}

impl Event {
    /// The snake_case trace kind (see docs/trace-format.md, "Leaderless quorums").
    pub fn kind(&self) -> &'static str {
        match self {
            Event::QuorumRequest { .. } => "quorum_request",
            Event::QuorumAck { .. } => "quorum_ack",
            Event::WriteAcked { .. } => "quorum_write_acked",
            Event::ReadDone { .. } => "quorum_read_done",
            Event::RequestTimeout { .. } => "quorum_timeout",
            Event::WriteStored { .. } => "quorum_write_stored",
            Event::WriteIgnored { .. } => "quorum_write_ignored",
            Event::ReadRepair { .. } => "read_repair",
            Event::HintStored { .. } => "hint_stored",
            Event::HintHandedOff { .. } => "hint_handed_off",
            Event::AntiEntropy { .. } => "anti_entropy",
            Event::PeerSuspected { .. } => "peer_suspected",
            Event::PeerHealthy { .. } => "peer_healthy",
        }
    }

    /// The event's fields for a trace line (see docs/trace-format.md, "Leaderless quorums").
    pub fn fields(&self) -> Vec<(&'static str, Value)> {
        let req = |r: &RequestId| ("request", n(*r));
        match self {
            Event::QuorumRequest {
                request,
                phase,
                key,
                targets,
                needed,
            } => vec![
                req(request),
                ("phase", s(phase.as_str())),
                ("key", s(key)),
                ("targets", ids(targets)),
                ("needed", n(*needed as u64)),
            ],
            Event::QuorumAck {
                request,
                phase,
                from,
                acks,
                needed,
            } => vec![
                req(request),
                ("phase", s(phase.as_str())),
                ("from", n(*from as u64)),
                ("acks", n(*acks as u64)),
                ("needed", n(*needed as u64)),
            ],
            Event::WriteAcked {
                request,
                key,
                value,
                version,
            } => vec![
                req(request),
                ("key", s(key)),
                ("value", s(value)),
                ("version", s(&version.text())),
            ],
            Event::ReadDone {
                request,
                key,
                values,
            } => vec![
                req(request),
                ("key", s(key)),
                ("values", siblings_value(values)),
            ],
            Event::RequestTimeout {
                request,
                key,
                phase,
                acks,
                needed,
            } => vec![
                req(request),
                ("key", s(key)),
                ("phase", s(phase.as_str())),
                ("acks", n(*acks as u64)),
                ("needed", n(*needed as u64)),
            ],
            Event::WriteStored {
                key,
                value,
                version,
                old,
                from,
                via,
            } => vec![
                ("key", s(key)),
                ("value", s(value)),
                ("version", s(&version.text())),
                ("old", versions(old)),
                ("from", n(*from as u64)),
                ("via", s(via.as_str())),
            ],
            Event::WriteIgnored {
                key,
                value,
                version,
                kept,
                from,
                via,
            } => vec![
                ("key", s(key)),
                ("value", s(value)),
                ("version", s(&version.text())),
                ("kept", versions(kept)),
                ("from", n(*from as u64)),
                ("via", s(via.as_str())),
            ],
            Event::ReadRepair {
                request,
                key,
                targets,
                blocking,
            } => vec![
                req(request),
                ("key", s(key)),
                ("targets", ids(targets)),
                ("blocking", Value::Bool(*blocking)),
            ],
            Event::HintStored { key, home, version } => vec![
                ("key", s(key)),
                ("home", n(*home as u64)),
                ("version", s(&version.text())),
            ],
            Event::HintHandedOff { key, home } => {
                vec![("key", s(key)), ("home", n(*home as u64))]
            }
            Event::AntiEntropy { peer, keys } => {
                vec![("peer", n(*peer as u64)), ("keys", n(*keys as u64))]
            }
            Event::PeerSuspected { peer } | Event::PeerHealthy { peer } => {
                vec![("peer", n(*peer as u64))]
            }
        }
    }
}

/// What one step produced; the simulator drains it after each step.
#[derive(Clone, Debug, Default)]
pub struct Ready {
    /// What happened, in order.
    pub events: Vec<Event>,
    /// Messages to send.
    pub messages: Vec<Message>,
    /// Answers to clients.
    pub replies: Vec<(RequestId, Reply)>,
    /// True when [`Node::persistent`] changed and must be written to stable storage.
    pub persist: bool,
}
