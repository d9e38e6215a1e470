//! Leader election by a lease on a linearizable check-and-set (CAS) key-value store, as a pure
//! deterministic core (no clock, no thread, no randomness: time is an input).
//!
//! The cluster has three kinds of server, all of them a [`Node`]:
//! - S1, the **store**: one server standing for etcd or Consul (which run Raft underneath,
//!   so a single linearizable server is a fair model). It holds one key, the lease record,
//!   written only by CAS on its modify index, and tells every candidate about each change
//!   through a watch that may answer late.
//! - the highest-numbered server, the **resource**: the storage the leader writes to. With
//!   fencing on it refuses a write whose token is lower than the highest it has seen.
//! - every other server is a **candidate** running the lease loop of Kubernetes' client-go
//!   `leaderelection` package, on its own clock.
//!
//! See `README.md` for the rules and their sources, and `docs/trace-format.md` ("Other systems") for the trace events.
#![warn(missing_docs)]

pub mod check;
mod node;

pub use node::Node;

/// A server's id. Servers are numbered from 1.
pub type NodeId = u32;
/// Time in microseconds. The core never reads a clock: each node is given its own reading.
pub type Micros = u64;
/// Identifies one client request (none are used yet; kept for the shared core shape).
pub type RequestId = u64;

/// Timing and behaviour settings, shared by every node of a cluster.
///
/// The lease loop's three durations default to client-go's (15 s lease, 10 s renew deadline,
/// 2 s retry period) divided by ten, so a run is watchable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// How long a candidate waits, on its own clock, after it last saw the record change
    /// before it may take the lease from another holder (client-go `LeaseDuration`).
    pub lease_duration_us: Micros,
    /// A leader stops leading when this long (on its own clock) has passed since it started
    /// its last successful renewal (client-go `RenewDeadline`). Must be below the lease
    /// duration.
    pub renew_deadline_us: Micros,
    /// How often a candidate tries to acquire, and a leader to renew (client-go `RetryPeriod`).
    pub retry_period_us: Micros,
    /// While it believes it leads, a leader starts a write to the resource this often.
    pub work_period_us: Micros,
    /// Time between the leader's check "am I still the leader?" and the moment its write
    /// leaves: a pause that falls here sends the write late, unchecked (the pitfall Kleppmann
    /// describes). 0 sends it in the same step.
    pub work_duration_us: Micros,
    /// 0: Kubernetes lease mode (the store never expires anything; candidates judge expiry on
    /// their own clocks). Above 0: Consul session mode: the store deletes the record when the
    /// holder has not renewed for this long (on the store's clock), candidates acquire only an
    /// empty record, and a holder believes it leads until the store tells it otherwise.
    pub session_ttl_us: Micros,
    /// Session mode only: after the store expires a session, it refuses to give the record to
    /// anybody for this long (Consul's lock-delay, 15 s by default there).
    pub lock_delay_us: Micros,
    /// The store tells watchers of a change this long after it happened (at least).
    pub watch_delay_us: Micros,
    /// Extra watch delay, drawn per change and per watcher from `seed`: 0 to this many
    /// microseconds.
    pub watch_jitter_us: Micros,
    /// Seed of the watch jitter.
    pub seed: u64,
    /// Whether the resource checks fencing tokens (Kleppmann 2016).
    pub fencing: bool,
    /// The store's revision and token before its first write: the first acquisition gets
    /// token `first_revision + 1` (32 makes the tokens of Kleppmann's example, 33 and 34).
    pub first_revision: u64,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            lease_duration_us: 1_500_000,
            renew_deadline_us: 1_000_000,
            retry_period_us: 200_000,
            work_period_us: 300_000,
            work_duration_us: 50_000,
            session_ttl_us: 0,
            lock_delay_us: 0,
            watch_delay_us: 0,
            watch_jitter_us: 0,
            seed: 0,
            fencing: true,
            first_revision: 0,
        }
    }
}

impl Config {
    /// Why these settings cannot run, if they cannot: a zero retry or work period (the loop
    /// would never advance) or a renew deadline not below the lease duration (client-go
    /// refuses it too).
    pub fn validate(&self) -> Result<(), &'static str> {
        if self.retry_period_us == 0 || self.work_period_us == 0 {
            return Err("retry_period_us and work_period_us must be above 0");
        }
        if self.session_ttl_us == 0 && self.renew_deadline_us >= self.lease_duration_us {
            return Err("renew_deadline_us must be below lease_duration_us");
        }
        Ok(())
    }
}

/// What part a server plays; see [`role_of`] for the layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    /// The key-value store (S1).
    Store,
    /// A server that runs the lease loop and works while it believes it leads.
    Candidate,
    /// The storage the leader writes to (the highest-numbered server).
    Resource,
}

impl Role {
    /// The lowercase name used in traces.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Store => "store",
            Role::Candidate => "candidate",
            Role::Resource => "resource",
        }
    }
}

/// The cluster layout: S1 is the store, the highest-numbered server is the resource, every
/// other server is a candidate. A cluster needs at least 3 servers (see [`check_cluster`]).
pub fn role_of(id: NodeId, cluster: &[NodeId]) -> Role {
    if id == 1 {
        Role::Store
    } else if cluster.iter().all(|&c| c <= id) {
        Role::Resource
    } else {
        Role::Candidate
    }
}

/// Why `cluster` cannot hold this system, if it cannot: it needs S1 (the store), a resource
/// and at least one candidate.
pub fn check_cluster(cluster: &[NodeId]) -> Result<(), &'static str> {
    if !cluster.contains(&1) {
        return Err("needs S1, the store");
    }
    if cluster.iter().filter(|&&c| c != 1).count() < 2 {
        return Err("needs at least 3 servers: the store, a candidate, the resource");
    }
    Ok(())
}

/// The lease record kept by the store under its one key.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record {
    /// The candidate holding the lease.
    pub holder: NodeId,
    /// The fencing token: it grows by one at each acquisition and never otherwise (Consul's
    /// LockIndex; etcd's revision at the acquisition would also do, with gaps).
    pub token: u64,
    /// The store's revision at the record's last write (renewals change it): a CAS must name
    /// it.
    pub mod_index: u64,
    /// When the holder acquired it, on the store's clock.
    pub acquired_at: Micros,
    /// When the holder last renewed it, on the store's clock.
    pub renewed_at: Micros,
}

/// What a candidate believes about the lease, for display next to the store's record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Belief {
    /// Who it believes holds the lease (itself when it leads); `None`: nobody.
    pub holder: Option<NodeId>,
    /// The token of that holding, if known.
    pub token: Option<u64>,
    /// On the candidate's own clock: for a leader, when it will stop leading unless it renews;
    /// for another candidate in lease mode, when it may take the lease over. `None` in session
    /// mode (only the store's word ends a holding).
    pub until: Option<Micros>,
    /// Whether it believes it is the leader (and so writes to the resource).
    pub leading: bool,
}

/// What the store says in reply to [`Body::Get`], [`Body::Cas`] and [`Body::Release`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StoreReply {
    /// The request number the candidate gave.
    pub seq: u64,
    /// Whether a CAS or release took effect (always true for a read).
    pub ok: bool,
    /// The record after the request.
    pub record: Option<Record>,
    /// The store's revision after the request.
    pub revision: u64,
    /// Why a CAS failed (empty when it did not).
    pub reason: &'static str,
}

/// What a message says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body {
    /// A candidate reads the record.
    Get {
        /// Request number, echoed in the reply.
        seq: u64,
    },
    /// A candidate writes itself as holder if the record's modify index is still `expect`
    /// (0: only if there is no record). Same holder: a renewal; another: an acquisition.
    Cas {
        /// Request number, echoed in the reply.
        seq: u64,
        /// The modify index the candidate last read.
        expect: u64,
    },
    /// The holder gives the lease up (deletes the record if it still holds it).
    Release {
        /// Request number, echoed in the reply.
        seq: u64,
    },
    /// The store's answer to `Get`, `Cas` or `Release`.
    Reply(StoreReply),
    /// The store tells a watcher that the record changed.
    WatchEvent {
        /// The record after the change.
        record: Option<Record>,
        /// The store's revision after the change.
        revision: u64,
    },
    /// The leader writes to the resource, carrying its fencing token.
    Write {
        /// The token of the lease the writer believes it holds.
        token: u64,
    },
    /// The resource's answer to a write.
    WriteReply {
        /// The token the write carried.
        token: u64,
        /// Whether the resource took it.
        accepted: bool,
    },
}

impl Body {
    /// The CamelCase name used in traces.
    pub fn type_name(&self) -> &'static str {
        match self {
            Body::Get { .. } => "Get",
            Body::Cas { .. } => "Cas",
            Body::Release { .. } => "Release",
            Body::Reply(_) => "StoreReply",
            Body::WatchEvent { .. } => "WatchEvent",
            Body::Write { .. } => "Write",
            Body::WriteReply { .. } => "WriteReply",
        }
    }
    /// The message's fields for traces.
    pub fn fields(&self) -> Vec<(&'static str, Value)> {
        match self {
            Body::Get { seq } | Body::Release { seq } => vec![("seq", Value::U64(*seq))],
            Body::Cas { seq, expect } => {
                vec![("seq", Value::U64(*seq)), ("expect", Value::U64(*expect))]
            }
            Body::Reply(r) => {
                let mut f = vec![("seq", Value::U64(r.seq)), ("ok", Value::Bool(r.ok))];
                record_fields(&mut f, r.record.as_ref(), r.revision);
                if !r.reason.is_empty() {
                    f.push(("reason", Value::Str(r.reason.into())));
                }
                f
            }
            Body::WatchEvent { record, revision } => {
                let mut f = Vec::new();
                record_fields(&mut f, record.as_ref(), *revision);
                f
            }
            Body::Write { token } => vec![("token", Value::U64(*token))],
            Body::WriteReply { token, accepted } => vec![
                ("token", Value::U64(*token)),
                ("accepted", Value::Bool(*accepted)),
            ],
        }
    }
}

fn record_fields(f: &mut Vec<(&'static str, Value)>, r: Option<&Record>, revision: u64) {
    f.push(("holder", Value::opt(r.map(|r| r.holder as u64))));
    f.push(("token", Value::opt(r.map(|r| r.token))));
    f.push(("mod_index", Value::opt(r.map(|r| r.mod_index))));
    f.push(("revision", Value::U64(revision)));
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

/// What the simulator gives a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Input {
    /// Time passed: handle every timer due by now, in order.
    Tick,
    /// A message arrived.
    Message(Message),
    /// Teaching input: a leading candidate gives the lease up (deletes the record) and does
    /// not try to acquire it again for one lease duration. Ignored by other servers.
    Resign,
}

/// A trace field value.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Value {
    /// An unsigned number (ids, tokens, times in microseconds).
    U64(u64),
    /// A text.
    Str(String),
    /// A list.
    List(Vec<Value>),
    /// A boolean.
    Bool(bool),
    /// Nothing (no holder, no deadline).
    Null,
}

impl Value {
    fn opt(v: Option<u64>) -> Value {
        v.map_or(Value::Null, Value::U64)
    }
}

/// How the store changed the record (field `op` of `store_cas`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StoreOp {
    /// A new holder (new token).
    Acquire,
    /// The same holder again (same token, new modify index).
    Renew,
    /// The holder gave it up.
    Release,
    /// Session mode: the holder's session expired.
    Expire,
}

impl StoreOp {
    /// The lowercase name used in traces.
    pub fn as_str(self) -> &'static str {
        match self {
            StoreOp::Acquire => "acquire",
            StoreOp::Renew => "renew",
            StoreOp::Release => "release",
            StoreOp::Expire => "expire",
        }
    }
}

/// Something that happened, for the trace and the checker. Times in events are on the
/// emitting node's own clock.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// Store: the record changed.
    StoreCas {
        /// What kind of change.
        op: StoreOp,
        /// The holder acquiring, renewing, releasing or losing it.
        holder: NodeId,
        /// That holder's token.
        token: u64,
        /// The store's revision after the change.
        revision: u64,
    },
    /// Store: a watcher was told of a change.
    WatchFired {
        /// The watcher.
        to: NodeId,
        /// The revision it hears of.
        revision: u64,
        /// How long after the change (store clock).
        late_us: Micros,
    },
    /// Candidate: it became the leader.
    LeaseAcquired {
        /// Itself.
        holder: NodeId,
        /// Its new token.
        token: u64,
        /// When it stops leading unless it renews (own clock; `None` in session mode).
        until: Option<Micros>,
    },
    /// Candidate: it renewed its lease.
    LeaseRenewed {
        /// Itself.
        holder: NodeId,
        /// Its token.
        token: u64,
        /// When it stops leading unless it renews again (own clock; `None` in session mode).
        until: Option<Micros>,
    },
    /// Candidate: its own belief that it leads ended.
    LeaseLost {
        /// Itself.
        holder: NodeId,
        /// The token it held.
        token: u64,
        /// Why: `renew deadline passed`, `the store shows another holder`, `the store shows no
        /// holder`, `fenced by the resource`, `resigned`.
        reason: &'static str,
    },
    /// Candidate: its CAS was refused.
    LeaseCasFailed {
        /// Itself.
        candidate: NodeId,
        /// The modify index it named.
        expected: u64,
        /// Who holds the record now, if anybody.
        holder: Option<NodeId>,
        /// Why the store refused.
        reason: &'static str,
    },
    /// Candidate: what it believes changed (see [`Belief`]).
    LeaseBelieves {
        /// The candidate.
        node: NodeId,
        /// The belief.
        belief: Belief,
    },
    /// Candidate (leader): it checked it leads and started a write that leaves at `send_at`.
    WorkStarted {
        /// Itself.
        holder: NodeId,
        /// The token the write will carry.
        token: u64,
        /// When the write leaves (own clock).
        send_at: Micros,
    },
    /// Resource: a write arrived.
    ResourceWrite {
        /// The writer.
        holder: NodeId,
        /// Its token.
        token: u64,
        /// Whether the resource took it.
        accepted: bool,
        /// `ok`, `no fencing` (taken without a check) or `stale token` (refused).
        reason: &'static str,
        /// The highest token the resource has accepted, after this write.
        highest: u64,
    },
}

impl Event {
    /// The snake_case trace kind.
    pub fn kind(&self) -> &'static str {
        match self {
            Event::StoreCas { .. } => "store_cas",
            Event::WatchFired { .. } => "watch_fired",
            Event::LeaseAcquired { .. } => "lease_acquired",
            Event::LeaseRenewed { .. } => "lease_renewed",
            Event::LeaseLost { .. } => "lease_lost",
            Event::LeaseCasFailed { .. } => "lease_cas_failed",
            Event::LeaseBelieves { .. } => "lease_believes",
            Event::WorkStarted { .. } => "work_started",
            Event::ResourceWrite { .. } => "resource_write",
        }
    }
    /// The event's fields for traces.
    pub fn fields(&self) -> Vec<(&'static str, Value)> {
        let u = |v: u64| Value::U64(v);
        let n = |v: NodeId| Value::U64(v as u64);
        match self {
            Event::StoreCas {
                op,
                holder,
                token,
                revision,
            } => vec![
                ("op", Value::Str(op.as_str().into())),
                ("holder", n(*holder)),
                ("token", u(*token)),
                ("revision", u(*revision)),
            ],
            Event::WatchFired {
                to,
                revision,
                late_us,
            } => vec![
                ("to", n(*to)),
                ("revision", u(*revision)),
                ("late_us", u(*late_us)),
            ],
            Event::LeaseAcquired {
                holder,
                token,
                until,
            }
            | Event::LeaseRenewed {
                holder,
                token,
                until,
            } => vec![
                ("holder", n(*holder)),
                ("token", u(*token)),
                ("until", Value::opt(*until)),
            ],
            Event::LeaseLost {
                holder,
                token,
                reason,
            } => vec![
                ("holder", n(*holder)),
                ("token", u(*token)),
                ("reason", Value::Str((*reason).into())),
            ],
            Event::LeaseCasFailed {
                candidate,
                expected,
                holder,
                reason,
            } => vec![
                ("candidate", n(*candidate)),
                ("expected", u(*expected)),
                ("holder", Value::opt(holder.map(|h| h as u64))),
                ("reason", Value::Str((*reason).into())),
            ],
            // The node is the trace line's own `node` (the simulator writes it).
            Event::LeaseBelieves { belief, .. } => vec![
                ("holder", Value::opt(belief.holder.map(|h| h as u64))),
                ("token", Value::opt(belief.token)),
                ("until", Value::opt(belief.until)),
                ("leading", Value::Bool(belief.leading)),
            ],
            Event::WorkStarted {
                holder,
                token,
                send_at,
            } => vec![
                ("holder", n(*holder)),
                ("token", u(*token)),
                ("send_at", u(*send_at)),
            ],
            Event::ResourceWrite {
                holder,
                token,
                accepted,
                reason,
                highest,
            } => vec![
                ("holder", n(*holder)),
                ("token", u(*token)),
                ("accepted", Value::Bool(*accepted)),
                ("reason", Value::Str((*reason).into())),
                ("highest", u(*highest)),
            ],
        }
    }
}

/// A reply to a client request. This system takes no client requests yet, so there is none.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Reply {}

/// What a step produced; the simulator drains it after each step.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Ready {
    /// What happened, in order.
    pub events: Vec<Event>,
    /// Messages to send.
    pub messages: Vec<Message>,
    /// Replies to client requests (none yet).
    pub replies: Vec<(RequestId, Reply)>,
    /// True when [`Node::persistent`] changed and must reach stable storage.
    pub persist: bool,
}

/// What survives a crash: the store's record and revision, the resource's highest token.
/// Candidates keep nothing (client-go keeps nothing either).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Persistent {
    /// Store: the record.
    pub record: Option<Record>,
    /// Store: its revision.
    pub revision: u64,
    /// Store: the last token it gave.
    pub token: u64,
    /// Resource: the highest token accepted.
    pub highest: u64,
    /// Resource: how many writes it accepted.
    pub accepted: u64,
}

/// A 64-bit mix (splitmix64's finalizer), for deterministic jitter.
pub fn mix(mut z: u64) -> u64 {
    z = z.wrapping_add(0x9e37_79b9_7f4a_7c15);
    z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
    z ^ (z >> 31)
}
