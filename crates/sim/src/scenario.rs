//! Scenario files: a seed, a cluster size, settings and timed actions (`docs/scenario-format.md`).
//!
//! Parsing is strict and explains itself: every error names the field and where it is
//! (`events[3].node: node 7 does not exist; the cluster has nodes 1 to 5`). Nothing here panics
//! on any input.

use crate::json::{self, Map, Value};
use crate::system::System;
use raftlab_raft::{Bugs, Micros, NodeId, ReadMode};
use std::fmt;

/// The newest scenario format version this build reads and writes.
pub const VERSION: u64 = 1;
/// Largest cluster.
pub const MAX_NODES: u32 = 9;
/// Longest run a scenario may ask for: 24 hours of simulated time.
pub const MAX_UNTIL_MS: u64 = 24 * 3600 * 1000;
/// Most events a scenario may hold.
pub const MAX_EVENTS: usize = 100_000;
/// Longest key or value a client may write.
pub const MAX_TEXT: usize = 256;
/// Largest `snapshot_threshold`.
pub const MAX_SNAPSHOT_THRESHOLD: u64 = 100_000;
/// Largest `max_entries_per_message`.
pub const MAX_ENTRIES_PER_MESSAGE: u64 = 100_000;
/// Longest `pause`, in milliseconds (an hour).
pub const MAX_PAUSE_MS: u64 = 3_600_000;
/// Default `max_entries_per_message`: the Raft core's default.
pub const DEFAULT_ENTRIES_PER_MESSAGE: u64 = 64;

/// Network and timing settings of a simulated cluster (the scenario's `config`).
#[derive(Clone, Debug, PartialEq)]
pub struct SimConfig {
    /// Election timeout range, microseconds, drawn uniformly per node (`election_timeout_ms`).
    pub election_timeout_us: (Micros, Micros),
    /// Heartbeat interval, microseconds (`heartbeat_ms`).
    pub heartbeat_us: Micros,
    /// One-way message latency range, microseconds (`latency_ms`).
    pub latency_us: (Micros, Micros),
    /// Probability that a message is lost (`drop_rate`, 0 to 1).
    pub drop_rate: f64,
    /// Probability that a message is delivered twice (`duplicate_rate`, 0 to 1).
    pub duplicate_rate: f64,
    /// How long a client waits for an answer before giving up (`client_timeout_ms`).
    pub client_timeout_us: Micros,
    /// Injected bugs (`bugs`), for teaching and for testing the checker.
    pub bugs: Bugs,
    /// PreVote (`pre_vote`, thesis 9.6): a node asks whether it could win before raising
    /// its term.
    pub pre_vote: bool,
    /// CheckQuorum (`check_quorum`, thesis 6.2): a leader that hears from no majority within
    /// an election timeout steps down.
    pub check_quorum: bool,
    /// The clock drift that lease reads assume at most (`clock_drift`, 0 to 0.5).
    pub clock_drift: f64,
    /// Log compaction (`snapshot_threshold`, paper section 7): a node snapshots its state
    /// machine once this many applied entries are not yet in a snapshot; 0 is off.
    pub snapshot_threshold: u64,
    /// Who delivers messages (`delivery`): the network by itself (`auto`), or nobody until a
    /// `deliver_message`, `drop_message` or `duplicate_message` action (`manual`).
    pub delivery: Mode,
    /// Who fires the servers' timers (`timers`): the clock (`auto`), or only `fire_timer`
    /// actions (`manual`).
    pub timers: Mode,
    /// At most this many entries travel in one AppendEntries (`max_entries_per_message`, 1 to
    /// 100000): the paper (5.3) lets a leader send several at once for efficiency; 1 makes
    /// entries travel one by one.
    pub max_entries_per_message: u64,
    /// Flexible quorums (`election_quorum`, Flexible Paxos): the votes that win an election
    /// (Q1), 1 to `nodes`; 0 is a majority.
    pub election_quorum: u32,
    /// Flexible quorums (`commit_quorum`): the servers that must hold an entry to commit it
    /// (Q2), 1 to `nodes`; 0 is a majority.
    pub commit_quorum: u32,
}

/// Whether the simulator does something by itself or waits for the reader to do it (the
/// values of `config.delivery` and `config.timers`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// By itself: messages arrive after their latency, timers fire at their deadline.
    #[default]
    Auto,
    /// Only by hand, through actions.
    Manual,
}

impl Mode {
    /// The name in scenario files: `auto` or `manual`.
    pub fn as_str(self) -> &'static str {
        match self {
            Mode::Auto => "auto",
            Mode::Manual => "manual",
        }
    }
    /// Whether it is [`Mode::Manual`].
    pub fn is_manual(self) -> bool {
        self == Mode::Manual
    }
}

impl Default for SimConfig {
    fn default() -> Self {
        SimConfig {
            election_timeout_us: (150_000, 300_000),
            heartbeat_us: 50_000,
            latency_us: (10_000, 15_000),
            drop_rate: 0.0,
            duplicate_rate: 0.0,
            client_timeout_us: 1_000_000,
            bugs: Bugs::default(),
            pre_vote: false,
            check_quorum: false,
            clock_drift: 0.1,
            snapshot_threshold: 0,
            delivery: Mode::Auto,
            timers: Mode::Auto,
            max_entries_per_message: DEFAULT_ENTRIES_PER_MESSAGE,
            election_quorum: 0,
            commit_quorum: 0,
        }
    }
}

/// The names accepted in `config.bugs`.
pub const BUG_NAMES: [&str; 3] = [
    "commit_previous_term",
    "skip_vote_log_check",
    "unsafe_membership",
];

/// Which bugs are on, in the order of [`BUG_NAMES`].
pub fn bug_flags(b: &Bugs) -> [bool; 3] {
    [
        b.commit_previous_term,
        b.skip_vote_log_check,
        b.unsafe_membership,
    ]
}

/// The names of the bugs that are on, in the order of [`BUG_NAMES`].
pub fn bug_names(b: &Bugs) -> Vec<&'static str> {
    BUG_NAMES
        .into_iter()
        .zip(bug_flags(b))
        .filter_map(|(name, on)| on.then_some(name))
        .collect()
}

impl SimConfig {
    /// The settings as the scenario's `config` object (every field present, except
    /// `pre_vote`, `check_quorum`, `clock_drift`, `snapshot_threshold`, `delivery`, `timers`,
    /// `max_entries_per_message`, `election_quorum`, `commit_quorum` and `bugs`, written only when not the default so that files
    /// of runs without them read in older versions too).
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        put_patch(
            &mut o,
            &ConfigPatch {
                election_timeout_us: Some(self.election_timeout_us),
                heartbeat_us: Some(self.heartbeat_us),
                latency_us: Some(self.latency_us),
                drop_rate: Some(self.drop_rate),
                duplicate_rate: Some(self.duplicate_rate),
                client_timeout_us: Some(self.client_timeout_us),
                pre_vote: self.pre_vote.then_some(true),
                check_quorum: self.check_quorum.then_some(true),
                clock_drift: (self.clock_drift != SimConfig::default().clock_drift)
                    .then_some(self.clock_drift),
                snapshot_threshold: (self.snapshot_threshold != 0)
                    .then_some(self.snapshot_threshold),
                delivery: self.delivery.is_manual().then_some(self.delivery),
                timers: self.timers.is_manual().then_some(self.timers),
                max_entries_per_message: (self.max_entries_per_message
                    != DEFAULT_ENTRIES_PER_MESSAGE)
                    .then_some(self.max_entries_per_message),
                election_quorum: (self.election_quorum != 0).then_some(self.election_quorum),
                commit_quorum: (self.commit_quorum != 0).then_some(self.commit_quorum),
                bugs: (self.bugs != Bugs::default()).then_some(self.bugs),
            },
        );
        Value::Object(o)
    }

    /// The Raft core settings these simulator settings imply.
    pub fn raft_config(&self) -> raftlab_raft::Config {
        raftlab_raft::Config {
            election_timeout_us: self.election_timeout_us,
            heartbeat_us: self.heartbeat_us,
            bugs: self.bugs,
            pre_vote: self.pre_vote,
            check_quorum: self.check_quorum,
            clock_drift_ppm: (self.clock_drift * 1_000_000.0).round() as u64,
            snapshot_threshold: self.snapshot_threshold,
            max_entries_per_message: usize::try_from(self.max_entries_per_message)
                .unwrap_or(usize::MAX),
            election_quorum: self.election_quorum as usize,
            commit_quorum: self.commit_quorum as usize,
        }
    }
}

/// Which node an action is aimed at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// A node by number.
    Node(NodeId),
    /// The node that believes it leads in the highest term at that moment, if any.
    Leader,
}

impl Target {
    fn to_json(self) -> Value {
        match self {
            Target::Node(n) => Value::from(n),
            Target::Leader => Value::from("leader"),
        }
    }
}

/// Settings changed by a `set` action; absent fields keep their value.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ConfigPatch {
    /// New election timeout range.
    pub election_timeout_us: Option<(Micros, Micros)>,
    /// New heartbeat interval.
    pub heartbeat_us: Option<Micros>,
    /// New latency range.
    pub latency_us: Option<(Micros, Micros)>,
    /// New drop rate.
    pub drop_rate: Option<f64>,
    /// New duplicate rate.
    pub duplicate_rate: Option<f64>,
    /// New client timeout.
    pub client_timeout_us: Option<Micros>,
    /// PreVote on or off.
    pub pre_vote: Option<bool>,
    /// CheckQuorum on or off.
    pub check_quorum: Option<bool>,
    /// New clock drift bound for lease reads.
    pub clock_drift: Option<f64>,
    /// New snapshot threshold (0: compaction off).
    pub snapshot_threshold: Option<u64>,
    /// Messages delivered by the network or by hand from now on.
    pub delivery: Option<Mode>,
    /// Timers fired by the clock or by hand from now on.
    pub timers: Option<Mode>,
    /// New limit on the entries of one AppendEntries.
    pub max_entries_per_message: Option<u64>,
    /// New election quorum (0: a majority).
    pub election_quorum: Option<u32>,
    /// New commit quorum (0: a majority).
    pub commit_quorum: Option<u32>,
    /// The injected bugs from now on (`bugs`): those it names are on, the others off.
    pub bugs: Option<Bugs>,
}

impl ConfigPatch {
    /// The first setting of this patch that only Raft uses (timeouts, heartbeat, PreVote,
    /// CheckQuorum, lease-read drift, snapshots, batching, flexible quorums, timers by hand),
    /// by its scenario name; `None` when every setting given applies to any system (latency,
    /// loss, duplication, the client timeout, delivery by hand).
    pub fn raft_only(&self) -> Option<&'static str> {
        [
            ("election_timeout_ms", self.election_timeout_us.is_some()),
            ("heartbeat_ms", self.heartbeat_us.is_some()),
            ("pre_vote", self.pre_vote.is_some()),
            ("check_quorum", self.check_quorum.is_some()),
            ("clock_drift", self.clock_drift.is_some()),
            ("snapshot_threshold", self.snapshot_threshold.is_some()),
            (
                "max_entries_per_message",
                self.max_entries_per_message.is_some(),
            ),
            ("election_quorum", self.election_quorum.is_some()),
            ("commit_quorum", self.commit_quorum.is_some()),
            ("timers", self.timers.is_some_and(Mode::is_manual)),
            ("bugs", self.bugs.is_some()),
        ]
        .into_iter()
        .find(|f| f.1)
        .map(|f| f.0)
    }

    /// Applies the patch to `config`.
    pub fn apply(&self, config: &mut SimConfig) {
        if let Some(v) = self.election_timeout_us {
            config.election_timeout_us = v;
        }
        if let Some(v) = self.heartbeat_us {
            config.heartbeat_us = v;
        }
        if let Some(v) = self.latency_us {
            config.latency_us = v;
        }
        if let Some(v) = self.drop_rate {
            config.drop_rate = v;
        }
        if let Some(v) = self.pre_vote {
            config.pre_vote = v;
        }
        if let Some(v) = self.check_quorum {
            config.check_quorum = v;
        }
        if let Some(v) = self.clock_drift {
            config.clock_drift = v;
        }
        if let Some(v) = self.snapshot_threshold {
            config.snapshot_threshold = v;
        }
        if let Some(v) = self.duplicate_rate {
            config.duplicate_rate = v;
        }
        if let Some(v) = self.client_timeout_us {
            config.client_timeout_us = v;
        }
        if let Some(v) = self.delivery {
            config.delivery = v;
        }
        if let Some(v) = self.timers {
            config.timers = v;
        }
        if let Some(v) = self.max_entries_per_message {
            config.max_entries_per_message = v;
        }
        if let Some(v) = self.election_quorum {
            config.election_quorum = v;
        }
        if let Some(v) = self.bugs {
            config.bugs = v;
        }
        if let Some(v) = self.commit_quorum {
            config.commit_quorum = v;
        }
    }
}

/// Something done to the cluster at a moment of a scenario.
#[derive(Clone, Debug, PartialEq)]
pub enum Action {
    /// Stop a node; it keeps only its persistent state. No effect on a node already down.
    Crash(Target),
    /// Start a node from its persistent state; a running node is rebooted (crash, then start).
    Restart(Target),
    /// Make a node's election timeout expire now.
    Timeout(Target),
    /// Cut one node off from all the others.
    Isolate(Target),
    /// Split the network into groups; nodes listed in no group form one more group together.
    Partition(Vec<Vec<NodeId>>),
    /// Restore every link (undoes partitions, isolations and cuts).
    Heal,
    /// Cut the link between two nodes, both ways.
    Cut(NodeId, NodeId),
    /// Restore the link between two nodes cut by [`Action::Cut`].
    Restore(NodeId, NodeId),
    /// A client asks a node (or the current leader when `node` is `None`) to set `key`.
    ClientWrite {
        /// Where the request goes; `None`: to the current leader.
        node: Option<Target>,
        /// The key.
        key: String,
        /// The value.
        value: String,
    },
    /// A client asks a node (or the current leader) to delete `key`.
    ClientDelete {
        /// Where the request goes; `None`: to the current leader.
        node: Option<Target>,
        /// The key.
        key: String,
    },
    /// Change settings from now on.
    Set(ConfigPatch),
    /// Ask the current leader to hand leadership over to this node (thesis 3.10).
    TransferLeadership(NodeId),
    /// Make a node's clock run at `rate` times real speed (1 is normal): a fault for lease
    /// reads, which assume clocks drift less than `clock_drift`.
    ClockRate(Target, f64),
    /// A client asks a node (or the current leader) to read `key` (thesis 6.4).
    ClientRead {
        /// Where the request goes; `None`: to the current leader.
        node: Option<Target>,
        /// The key.
        key: String,
        /// How the read is served.
        mode: ReadMode,
    },
    /// Ask the current leader to add this server (thesis 4.1): it joins as a learner and
    /// becomes a voter once it has caught up (thesis 4.2.1). A server that does not exist yet
    /// is started first, with an empty log and no configuration (and so are the numbers
    /// below it that do not exist yet).
    AddServer(NodeId),
    /// Ask the current leader to remove this server (voter or learner) from the
    /// configuration (thesis 4.1). The server keeps running, outside the cluster.
    RemoveServer(NodeId),
    /// The message with this id, on the wire (queued or held), is lost now (`drop` with
    /// reason `manual`). Nothing happens when no such message is on the wire.
    DropMessage(u64),
    /// The message with this id, on the wire, arrives now, still judged by the network (a
    /// partition or a crashed receiver drops it); a random loss decided at send is
    /// overridden. Nothing happens when no such message is on the wire.
    DeliverMessage(u64),
    /// A second copy of the message with this id, on the wire, with a new id: held with
    /// manual delivery, otherwise arriving after a fresh latency draw. Nothing happens when no
    /// such message is on the wire.
    DuplicateMessage(u64),
    /// A server's next timer fires now: a leader's heartbeat round (with the CheckQuorum
    /// check, thesis 6.2), another server's election timeout (paper 5.2), as
    /// [`raftlab_raft::Input::FireTimer`].
    FireTimer(Target),
    /// The node's process freezes for this many microseconds (written as `ms`; a garbage
    /// collection pause or a stalled virtual machine): it handles nothing, while its clock
    /// keeps running. Messages and client requests that reach it wait; when it wakes, its
    /// overdue timer fires first (late), then it handles what waited, in arrival order. A
    /// pause of a paused node lasts until the later of the two ends; a crash ends it.
    Pause(Target, Micros),
}

impl Action {
    /// Why this action means nothing in a run of `system`, in words; `None` when it applies.
    /// Raft's own actions (forced election timeouts, leadership transfer, membership
    /// changes, timers fired by hand) and Raft's settings have no counterpart in the other
    /// systems, whose timers run on their own clocks; the lease system has no clients (its
    /// leader writes to the resource by itself) and leaderless quorums only write values.
    /// Scenario files, links, lessons and the page's API are all held to this.
    pub fn refusal(&self, system: System) -> Option<String> {
        let name = system.as_str();
        let raft_only = |what: &str| Some(format!("{what}: the {name} system does not have it"));
        match (self, system) {
            (_, System::Raft) => None,
            (Action::Timeout(_), _) => raft_only("\"timeout\" forces a Raft election timeout"),
            (Action::FireTimer(_), _) => raft_only("\"fire_timer\" fires a Raft timer by hand"),
            (Action::TransferLeadership(_), _) => {
                raft_only("\"transfer_leadership\" hands over Raft leadership")
            }
            (Action::AddServer(_) | Action::RemoveServer(_), _) => {
                raft_only("membership changes are Raft's (thesis chapter 4)")
            }
            (Action::ClientWrite { .. } | Action::ClientDelete { .. }, System::Lease)
            | (Action::ClientRead { .. }, System::Lease) => Some(
                "the lease system has no clients: its leader writes to the resource by itself"
                    .to_string(),
            ),
            (Action::ClientDelete { .. }, System::Quorum) => Some(
                "leaderless quorums only write values: \"client_delete\" is for Raft runs"
                    .to_string(),
            ),
            (Action::Set(patch), _) => patch.raft_only().map(|field| match field {
                "timers" => format!(
                    "timers by hand are Raft's: the {name} system's timers run on their own clocks"
                ),
                _ => format!("{field} is a Raft setting: the {name} system does not use it"),
            }),
            _ => None,
        }
    }
}

/// An action and the simulated time at which it happens.
#[derive(Clone, Debug, PartialEq)]
pub struct TimedAction {
    /// When, in microseconds (written as `at_ms`, with up to three decimals).
    pub at_us: Micros,
    /// What.
    pub action: Action,
}

/// A whole scenario: everything needed to reproduce a run.
#[derive(Clone, Debug, PartialEq)]
pub struct Scenario {
    /// The seed every random choice of the run derives from.
    pub seed: u64,
    /// Cluster size, 1 to 9.
    pub nodes: u32,
    /// The run ends at this time (microseconds; written as `until_ms`).
    pub until_us: Micros,
    /// Settings at the start.
    pub config: SimConfig,
    /// Timed actions, in the order given (equal times run in that order).
    pub events: Vec<TimedAction>,
    /// When set, after `until` the faults stop (heal, restart every node, no loss) and the
    /// cluster must within this many microseconds have one leader and equal logs.
    pub liveness_us: Option<Micros>,
    /// The system the cluster runs (`system`, with its `quorum` or `lease` settings): Raft by
    /// default.
    pub system: crate::system::SystemConfig,
}

impl Default for Scenario {
    fn default() -> Self {
        Scenario {
            seed: 1,
            nodes: 5,
            until_us: 5_000_000,
            config: SimConfig::default(),
            events: Vec::new(),
            liveness_us: None,
            system: crate::system::SystemConfig::Raft,
        }
    }
}

/// A scenario that could not be read: where, and what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ParseError {
    /// Where the problem is: a field path such as `events[2].node`, or `line 3, column 7`.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for ParseError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for ParseError {}

pub(crate) fn err<T>(path: &str, message: impl Into<String>) -> Result<T, ParseError> {
    Err(parse_error(path, message.into()))
}

#[inline(never)]
fn parse_error(path: &str, message: String) -> ParseError {
    ParseError {
        path: path.to_string(),
        message,
    }
}

/// Microseconds as a JSON number of milliseconds: an integer when whole, else 3 decimals.
pub fn ms(us: Micros) -> Value {
    if us.is_multiple_of(1000) {
        Value::from(us / 1000)
    } else {
        Value::from(us as f64 / 1000.0)
    }
}

/// Sets `key` in a JSON object.
fn put(o: &mut Map, key: &str, value: Value) {
    o.insert(key.to_string(), value);
}

/// A range of microseconds as `[min, max]` in milliseconds.
fn ms_pair((lo, hi): (Micros, Micros)) -> Value {
    Value::Array(vec![ms(lo), ms(hi)])
}

/// Writes the settings a patch changes, in the scenario's `config` form.
fn put_patch(o: &mut Map, p: &ConfigPatch) {
    if let Some(r) = p.election_timeout_us {
        put(o, "election_timeout_ms", ms_pair(r));
    }
    if let Some(h) = p.heartbeat_us {
        put(o, "heartbeat_ms", ms(h));
    }
    if let Some(r) = p.latency_us {
        put(o, "latency_ms", ms_pair(r));
    }
    if let Some(r) = p.drop_rate {
        put(o, "drop_rate", Value::from(r));
    }
    if let Some(r) = p.duplicate_rate {
        put(o, "duplicate_rate", Value::from(r));
    }
    if let Some(t) = p.client_timeout_us {
        put(o, "client_timeout_ms", ms(t));
    }
    if let Some(on) = p.pre_vote {
        put(o, "pre_vote", Value::Bool(on));
    }
    if let Some(on) = p.check_quorum {
        put(o, "check_quorum", Value::Bool(on));
    }
    if let Some(d) = p.clock_drift {
        put(o, "clock_drift", Value::from(d));
    }
    if let Some(n) = p.snapshot_threshold {
        put(o, "snapshot_threshold", Value::from(n));
    }
    if let Some(m) = p.delivery {
        put(o, "delivery", Value::from(m.as_str()));
    }
    if let Some(m) = p.timers {
        put(o, "timers", Value::from(m.as_str()));
    }
    if let Some(n) = p.max_entries_per_message {
        put(o, "max_entries_per_message", Value::from(n));
    }
    if let Some(n) = p.election_quorum {
        put(o, "election_quorum", Value::from(n));
    }
    if let Some(n) = p.commit_quorum {
        put(o, "commit_quorum", Value::from(n));
    }
    if let Some(b) = p.bugs {
        let names = bug_names(&b).into_iter().map(Value::from);
        put(o, "bugs", Value::Array(names.collect()));
    }
}

/// A number as `format!("{x}")` writes an `f64`, without the code of float formatting.
struct Plain(f64);

impl fmt::Display for Plain {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&json::plain(self.0))
    }
}

/// A name from the input, quoted and cut to a readable length.
pub(crate) fn quoted(name: &str) -> String {
    match name.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", json::quote(&name[..i])),
        None => json::quote(name),
    }
}

#[inline(never)]
pub(crate) fn describe(v: &Value) -> String {
    let text = match v {
        Value::Null => return "null".into(),
        Value::Bool(b) => return format!("the boolean {b}"),
        Value::Number(n) => return format!("the number {n}"),
        Value::String(s) => format!("the string {}", json::quote(s)),
        Value::Array(_) => return "a list".into(),
        Value::Object(_) => return "an object".into(),
    };
    if text.len() > 60 {
        format!(
            "{}...",
            &text[..text.char_indices().nth(50).map_or(text.len(), |(i, _)| i)]
        )
    } else {
        text
    }
}

/// Reads the fields of one JSON object, remembering which were used so that unknown fields
/// can be reported.
pub(crate) struct Fields<'a> {
    path: String,
    map: &'a Map,
    used: Vec<&'static str>,
}

impl<'a> Fields<'a> {
    #[inline(never)]
    pub(crate) fn new(path: &str, value: &'a Value) -> Result<Fields<'a>, ParseError> {
        match value {
            Value::Object(map) => Ok(Fields {
                path: path.to_string(),
                map,
                used: Vec::new(),
            }),
            other => expected(path, "an object", other),
        }
    }

    #[inline(never)]
    pub(crate) fn at(&self, name: &str) -> String {
        if self.path.is_empty() {
            name.to_string()
        } else {
            format!("{}.{name}", self.path)
        }
    }

    #[inline(never)]
    pub(crate) fn get(&mut self, name: &'static str) -> Option<&'a Value> {
        self.used.push(name);
        self.map.get(name)
    }

    #[inline(never)]
    pub(crate) fn finish(self, expected: &[&str]) -> Result<(), ParseError> {
        for key in self.map.keys() {
            if !self.used.contains(&key.as_str()) {
                let short = match key.char_indices().nth(40) {
                    Some((i, _)) => format!("{}...", &key[..i]),
                    None => key.clone(),
                };
                return err(
                    &self.at(&short),
                    format!("unknown field; expected one of: {}", names(expected)),
                );
            }
        }
        Ok(())
    }
}

#[inline(never)]
/// Reads the required `version` field of a format whose current version is `current`: a
/// later one is refused with the message `newer` gives (read first: a later version may have
/// fields this one does not know).
pub(crate) fn read_version(
    f: &mut Fields,
    current: u64,
    newer: impl FnOnce(u64) -> String,
) -> Result<(), ParseError> {
    let Some(v) = f.get("version") else {
        return err("version", format!("missing: write \"version\": {current}"));
    };
    match as_u64("version", v, "a version number")? {
        0 => err("version", "must be 1 or more"),
        version if version > current => err("version", newer(version)),
        _ => Ok(()),
    }
}

pub(crate) fn as_u64(path: &str, v: &Value, what: &str) -> Result<u64, ParseError> {
    match v.as_u64() {
        Some(n) => Ok(n),
        None => expected(path, what, v),
    }
}

/// The error `expected WHAT, found ...` for `v`.
pub(crate) fn expected<T>(path: &str, what: &str, v: &Value) -> Result<T, ParseError> {
    Err(expected_error(path, what, v))
}

#[inline(never)]
fn expected_error(path: &str, what: &str, v: &Value) -> ParseError {
    parse_error(path, format!("expected {what}, found {}", describe(v)))
}

/// A time in milliseconds with at most microsecond precision, as microseconds.
#[inline(never)]
pub(crate) fn as_ms(path: &str, v: &Value, max_ms: u64) -> Result<Micros, ParseError> {
    let Some(x) = v.as_f64() else {
        return expected(path, "a number of milliseconds", v);
    };
    if x < 0.0 {
        return err(path, format!("must not be negative (found {})", Plain(x)));
    }
    if x > max_ms as f64 {
        return err(
            path,
            format!("{} ms is too large; at most {max_ms} ms", Plain(x)),
        );
    }
    Ok((x * 1000.0).round() as Micros)
}

fn as_range(path: &str, v: &Value, min_low_us: Micros) -> Result<(Micros, Micros), ParseError> {
    let Some(items) = v.as_array().filter(|a| a.len() == 2) else {
        return expected(path, "a list of two numbers [min, max] in milliseconds", v);
    };
    let lo = as_ms(&format!("{path}[0]"), &items[0], 3_600_000)?;
    let hi = as_ms(&format!("{path}[1]"), &items[1], 3_600_000)?;
    if lo > hi {
        return err(
            path,
            format!("min {} ms is greater than max {} ms", ms(lo), ms(hi)),
        );
    }
    if lo < min_low_us {
        return err(path, format!("min must be at least {} ms", ms(min_low_us)));
    }
    Ok((lo, hi))
}

fn as_rate(path: &str, v: &Value) -> Result<f64, ParseError> {
    match v.as_f64() {
        Some(x) if (0.0..=1.0).contains(&x) => Ok(x),
        Some(x) => err(
            path,
            format!("must be between 0 and 1 (found {})", Plain(x)),
        ),
        None => expected(path, "a number between 0 and 1", v),
    }
}

fn as_text(path: &str, v: &Value) -> Result<String, ParseError> {
    match v.as_str() {
        Some("") => err(path, "must not be empty"),
        Some(s) if s.len() > MAX_TEXT => err(path, format!("longer than {MAX_TEXT} bytes")),
        Some(s) if s.chars().any(|c| c.is_control()) => {
            err(path, "must not contain control characters")
        }
        Some(s) => Ok(s.to_string()),
        None => expected(path, "a string", v),
    }
}

fn node_number(path: &str, v: &Value, nodes: u32) -> Result<NodeId, ParseError> {
    match v.as_u64() {
        Some(n) if n >= 1 && n <= nodes as u64 => Ok(n as NodeId),
        Some(n) => err(
            path,
            format!("node {n} does not exist; the cluster has nodes 1 to {nodes}"),
        ),
        None => expected(path, &format!("a node number from 1 to {nodes}"), v),
    }
}

fn target(path: &str, v: &Value, nodes: u32) -> Result<Target, ParseError> {
    if v.as_str() == Some("leader") {
        return Ok(Target::Leader);
    }
    if v.as_str().is_some() {
        return expected(
            path,
            &format!("a node number from 1 to {nodes} or \"leader\""),
            v,
        );
    }
    node_number(path, v, nodes).map(Target::Node)
}

const CONFIG_FIELDS: [&str; 16] = [
    "election_timeout_ms",
    "heartbeat_ms",
    "latency_ms",
    "drop_rate",
    "duplicate_rate",
    "client_timeout_ms",
    "pre_vote",
    "check_quorum",
    "clock_drift",
    "snapshot_threshold",
    "delivery",
    "timers",
    "max_entries_per_message",
    "election_quorum",
    "commit_quorum",
    "bugs",
];

fn parse_patch(f: &mut Fields) -> Result<ConfigPatch, ParseError> {
    let mut patch = ConfigPatch::default();
    if let Some(v) = f.get("election_timeout_ms") {
        patch.election_timeout_us = Some(as_range(&f.at("election_timeout_ms"), v, 1000)?);
    }
    if let Some(v) = f.get("heartbeat_ms") {
        let p = f.at("heartbeat_ms");
        let h = as_ms(&p, v, 3_600_000)?;
        if h < 1000 {
            return err(&p, "must be at least 1 ms");
        }
        patch.heartbeat_us = Some(h);
    }
    if let Some(v) = f.get("latency_ms") {
        patch.latency_us = Some(as_range(&f.at("latency_ms"), v, 0)?);
    }
    if let Some(v) = f.get("drop_rate") {
        patch.drop_rate = Some(as_rate(&f.at("drop_rate"), v)?);
    }
    if let Some(v) = f.get("duplicate_rate") {
        patch.duplicate_rate = Some(as_rate(&f.at("duplicate_rate"), v)?);
    }
    if let Some(v) = f.get("client_timeout_ms") {
        let p = f.at("client_timeout_ms");
        let t = as_ms(&p, v, 3_600_000)?;
        if t < 1000 {
            return err(&p, "must be at least 1 ms");
        }
        patch.client_timeout_us = Some(t);
    }
    if let Some(v) = f.get("clock_drift") {
        let p = f.at("clock_drift");
        match v.as_f64() {
            Some(x) if (0.0..=0.5).contains(&x) => patch.clock_drift = Some(x),
            Some(x) => {
                return err(
                    &p,
                    format!("must be between 0 and 0.5 (found {})", Plain(x)),
                )
            }
            None => return expected(&p, "a number between 0 and 0.5", v),
        }
    }
    if let Some(v) = f.get("snapshot_threshold") {
        let p = f.at("snapshot_threshold");
        let what = "a number of entries from 0 (off) to 100000";
        match as_u64(&p, v, what)? {
            n if n <= MAX_SNAPSHOT_THRESHOLD => patch.snapshot_threshold = Some(n),
            n => return err(&p, format!("must be at most 100000 (found {n})")),
        }
    }
    if let Some(v) = f.get("max_entries_per_message") {
        let p = f.at("max_entries_per_message");
        let what = "a number of entries from 1 to 100000";
        match as_u64(&p, v, what)? {
            n if (1..=MAX_ENTRIES_PER_MESSAGE).contains(&n) => {
                patch.max_entries_per_message = Some(n)
            }
            n => return err(&p, format!("must be between 1 and 100000 (found {n})")),
        }
    }
    for (name, slot) in [
        ("election_quorum", &mut patch.election_quorum),
        ("commit_quorum", &mut patch.commit_quorum),
    ] {
        if let Some(v) = f.get(name) {
            let p = f.at(name);
            let what = "a number of servers from 1 to 9, or 0 for a majority";
            match as_u64(&p, v, what)? {
                n if n <= MAX_NODES as u64 => *slot = Some(n as u32),
                n => return err(&p, format!("must be at most {MAX_NODES} (found {n})")),
            }
        }
    }
    for (name, slot) in [
        ("delivery", &mut patch.delivery),
        ("timers", &mut patch.timers),
    ] {
        if let Some(v) = f.get(name) {
            match v.as_str() {
                Some("auto") => *slot = Some(Mode::Auto),
                Some("manual") => *slot = Some(Mode::Manual),
                _ => return expected(&f.at(name), "\"auto\" or \"manual\"", v),
            }
        }
    }
    for (name, slot) in [
        ("pre_vote", &mut patch.pre_vote),
        ("check_quorum", &mut patch.check_quorum),
    ] {
        if let Some(v) = f.get(name) {
            match v {
                Value::Bool(on) => *slot = Some(*on),
                other => return expected(&f.at(name), "true or false", other),
            }
        }
    }
    if let Some(v) = f.get("bugs") {
        let p = f.at("bugs");
        let Some(list) = v.as_array() else {
            return expected(&p, "a list of bug names", v);
        };
        let mut b = Bugs::default();
        for (i, item) in list.iter().enumerate() {
            match item.as_str() {
                Some("commit_previous_term") => b.commit_previous_term = true,
                Some("skip_vote_log_check") => b.skip_vote_log_check = true,
                Some("unsafe_membership") => b.unsafe_membership = true,
                _ => {
                    return err(
                        &format!("{p}[{i}]"),
                        match item.as_str() {
                            Some(name) => {
                                format!(
                                    "unknown bug {}; known: {}",
                                    json::quote(name),
                                    names(&BUG_NAMES)
                                )
                            }
                            None => format!(
                                "expected a bug name, found {}; known: {}",
                                describe(item),
                                names(&BUG_NAMES)
                            ),
                        },
                    )
                }
            }
        }
        patch.bugs = Some(b);
    }
    Ok(patch)
}

const SET_FIELDS: [&str; 18] = [
    "at_ms",
    "do",
    "election_timeout_ms",
    "heartbeat_ms",
    "latency_ms",
    "drop_rate",
    "duplicate_rate",
    "client_timeout_ms",
    "pre_vote",
    "check_quorum",
    "clock_drift",
    "snapshot_threshold",
    "delivery",
    "timers",
    "max_entries_per_message",
    "election_quorum",
    "commit_quorum",
    "bugs",
];

const ACTIONS: [&str; 21] = [
    "crash",
    "restart",
    "timeout",
    "isolate",
    "partition",
    "heal",
    "cut",
    "restore",
    "client_write",
    "client_delete",
    "set",
    "transfer_leadership",
    "client_read",
    "clock_rate",
    "add_server",
    "remove_server",
    "drop_message",
    "deliver_message",
    "duplicate_message",
    "fire_timer",
    "pause",
];

fn parse_partition(path: &str, v: &Value, nodes: u32) -> Result<Vec<Vec<NodeId>>, ParseError> {
    let Some(list) = v.as_array() else {
        return expected(path, "a list of groups such as [[1, 2], [3, 4, 5]]", v);
    };
    let mut seen = vec![false; nodes as usize + 1];
    let mut groups = Vec::new();
    for (g, group) in list.iter().enumerate() {
        let gp = format!("{path}[{g}]");
        let Some(members) = group.as_array() else {
            return expected(&gp, "a list of node numbers", group);
        };
        if members.is_empty() {
            return err(&gp, "a group must not be empty");
        }
        let mut out = Vec::new();
        for (k, m) in members.iter().enumerate() {
            let mp = format!("{gp}[{k}]");
            let n = node_number(&mp, m, nodes)?;
            if seen[n as usize] {
                return err(&mp, format!("node {n} is in more than one group"));
            }
            seen[n as usize] = true;
            out.push(n);
        }
        groups.push(out);
    }
    if groups.is_empty() {
        return err(path, "expected at least one group");
    }
    Ok(groups)
}

fn parse_event(path: &str, v: &Value, nodes: u32) -> Result<TimedAction, ParseError> {
    let mut f = Fields::new(path, v)?;
    let Some(at) = f.get("at_ms") else {
        return err(
            &f.at("at_ms"),
            "missing (when the action happens, in milliseconds)",
        );
    };
    let at_us = as_ms(&f.at("at_ms"), at, MAX_UNTIL_MS)?;
    let Some(kind) = f.get("do") else {
        return err(
            &f.at("do"),
            format!("missing (the action: one of {})", names(&ACTIONS)),
        );
    };
    let Some(kind) = kind.as_str() else {
        return expected(&f.at("do"), "an action name", kind);
    };
    let (action, fields): (Action, &[&str]) = match kind {
        "crash" | "restart" | "timeout" | "isolate" => {
            let t = match f.get("node") {
                Some(n) => target(&f.at("node"), n, nodes)?,
                None => {
                    return err(
                        &f.at("node"),
                        format!("missing: \"{kind}\" needs a node number or \"leader\""),
                    )
                }
            };
            let action = match kind {
                "crash" => Action::Crash(t),
                "restart" => Action::Restart(t),
                "timeout" => Action::Timeout(t),
                _ => Action::Isolate(t),
            };
            (action, &["at_ms", "do", "node"])
        }
        "heal" => (Action::Heal, &["at_ms", "do"]),
        "fire_timer" => {
            let t = match f.get("node") {
                Some(n) => target(&f.at("node"), n, nodes)?,
                None => {
                    return err(
                        &f.at("node"),
                        "missing: \"fire_timer\" needs a node number or \"leader\"",
                    )
                }
            };
            (Action::FireTimer(t), &["at_ms", "do", "node"])
        }
        "drop_message" | "deliver_message" | "duplicate_message" => {
            let p = f.at("id");
            let Some(v) = f.get("id") else {
                return err(
                    &p,
                    format!("missing: \"{kind}\" needs the id of a message (as in the trace)"),
                );
            };
            let id = as_u64(
                &p,
                v,
                "a message id (a whole number, as msg.id in the trace)",
            )?;
            let action = match kind {
                "drop_message" => Action::DropMessage(id),
                "deliver_message" => Action::DeliverMessage(id),
                _ => Action::DuplicateMessage(id),
            };
            (action, &["at_ms", "do", "id"])
        }
        "clock_rate" => {
            let t = match f.get("node") {
                Some(n) => target(&f.at("node"), n, nodes)?,
                None => {
                    return err(
                        &f.at("node"),
                        "missing: \"clock_rate\" needs a node number or \"leader\"",
                    )
                }
            };
            let p = f.at("rate");
            let rate = match f.get("rate") {
                None => return err(&p, "missing: the clock's speed, 1 for normal (0.01 to 100)"),
                Some(v) => match v.as_f64() {
                    Some(x) if (0.01..=100.0).contains(&x) => x,
                    Some(x) => {
                        return err(
                            &p,
                            format!("must be between 0.01 and 100 (found {})", Plain(x)),
                        )
                    }
                    None => return expected(&p, "a number from 0.01 to 100", v),
                },
            };
            (Action::ClockRate(t, rate), &["at_ms", "do", "node", "rate"])
        }
        "pause" => {
            let t = match f.get("node") {
                Some(n) => target(&f.at("node"), n, nodes)?,
                None => {
                    return err(
                        &f.at("node"),
                        "missing: \"pause\" needs a node number or \"leader\"",
                    )
                }
            };
            let p = f.at("ms");
            let us = match f.get("ms") {
                None => return err(&p, "missing: how long the process freezes, in milliseconds"),
                Some(v) => as_ms(&p, v, MAX_PAUSE_MS)?,
            };
            if us == 0 {
                return err(&p, "must be more than 0 ms");
            }
            (Action::Pause(t, us), &["at_ms", "do", "node", "ms"])
        }
        "add_server" | "remove_server" => {
            let p = f.at("node");
            let Some(v) = f.get("node") else {
                return err(
                    &p,
                    format!("missing: \"{kind}\" needs the number of a server (1 to {MAX_NODES})"),
                );
            };
            let action = if kind == "add_server" {
                Action::AddServer(node_number(&p, v, MAX_NODES)?)
            } else {
                Action::RemoveServer(node_number(&p, v, nodes)?)
            };
            (action, &["at_ms", "do", "node"])
        }
        "transfer_leadership" => {
            let p = f.at("node");
            let Some(v) = f.get("node") else {
                return err(
                    &p,
                    "missing: \"transfer_leadership\" needs the number of the node to lead next",
                );
            };
            (
                Action::TransferLeadership(node_number(&p, v, nodes)?),
                &["at_ms", "do", "node"],
            )
        }
        "cut" | "restore" => {
            let p = f.at("nodes");
            let Some(v) = f.get("nodes") else {
                return err(
                    &p,
                    format!("missing: \"{kind}\" needs the two ends of a link, such as [1, 2]"),
                );
            };
            let Some([a, b]) = v.as_array().map(Vec::as_slice) else {
                return expected(&p, "two node numbers such as [1, 2]", v);
            };
            let a = node_number(&format!("{p}[0]"), a, nodes)?;
            let b = node_number(&format!("{p}[1]"), b, nodes)?;
            if a == b {
                return err(&p, "a link joins two different nodes");
            }
            let action = if kind == "cut" {
                Action::Cut(a, b)
            } else {
                Action::Restore(a, b)
            };
            (action, &["at_ms", "do", "nodes"])
        }
        "partition" => {
            let Some(g) = f.get("groups") else {
                return err(
                    &f.at("groups"),
                    "missing: \"partition\" needs groups such as [[1, 2], [3, 4, 5]]",
                );
            };
            (
                Action::Partition(parse_partition(&f.at("groups"), g, nodes)?),
                &["at_ms", "do", "groups"],
            )
        }
        "client_write" | "client_delete" | "client_read" => {
            let node = match f.get("node") {
                Some(n) => Some(target(&f.at("node"), n, nodes)?),
                None => None,
            };
            let Some(key) = f.get("key") else {
                return err(&f.at("key"), "missing: a client request needs a key");
            };
            let key = as_text(&f.at("key"), key)?;
            if key.contains(|c: char| c == '=' || c.is_whitespace()) {
                return err(
                    &f.at("key"),
                    "a key must not contain '=' or spaces (the command reads `set key=value`)",
                );
            }
            if kind == "client_read" {
                let mode = match f.get("mode") {
                    None => ReadMode::ReadIndex,
                    Some(v) => match v
                        .as_str()
                        .and_then(|m| ReadMode::ALL.into_iter().find(|x| x.as_str() == m))
                    {
                        Some(mode) => mode,
                        None => {
                            return expected(
                                &f.at("mode"),
                                "a read mode: any, leader_local, read_index or lease",
                                v,
                            )
                        }
                    },
                };
                (
                    Action::ClientRead { node, key, mode },
                    &["at_ms", "do", "node", "key", "mode"],
                )
            } else if kind == "client_write" {
                let Some(value) = f.get("value") else {
                    return err(&f.at("value"), "missing: \"client_write\" needs a value");
                };
                let value = as_text(&f.at("value"), value)?;
                (
                    Action::ClientWrite { node, key, value },
                    &["at_ms", "do", "node", "key", "value"],
                )
            } else {
                (
                    Action::ClientDelete { node, key },
                    &["at_ms", "do", "node", "key"],
                )
            }
        }
        "set" => {
            let patch = parse_patch(&mut f)?;
            check_quorums(&patch, nodes, path)?;
            if patch == ConfigPatch::default() {
                f.finish(&SET_FIELDS)?;
                return err(path, "\"set\" changes nothing: give at least one setting");
            }
            (Action::Set(patch), &SET_FIELDS)
        }
        other => {
            return err(
                &f.at("do"),
                format!(
                    "unknown action {}; expected one of: {}",
                    quoted(other),
                    names(&ACTIONS)
                ),
            )
        }
    };
    f.finish(fields)?;
    Ok(TimedAction { at_us, action })
}

/// The highest server number that `add_server` events name (0: none), for validating the
/// node numbers of the other events.
fn added_servers(events: &[Value]) -> u32 {
    events
        .iter()
        .filter(|e| e.get("do").and_then(Value::as_str) == Some("add_server"))
        .filter_map(|e| e.get("node").and_then(Value::as_u64))
        .filter(|&n| n <= MAX_NODES as u64)
        .max()
        .unwrap_or(0) as u32
}

/// Refuses a quorum size larger than the cluster (errors name `path`'s field).
fn check_quorums(patch: &ConfigPatch, nodes: u32, path: &str) -> Result<(), ParseError> {
    for (name, q) in [
        ("election_quorum", patch.election_quorum),
        ("commit_quorum", patch.commit_quorum),
    ] {
        if let Some(q) = q.filter(|&q| q > nodes) {
            let at = if path.is_empty() {
                name.to_string()
            } else {
                format!("{path}.{name}")
            };
            return err(
                &at,
                format!(
                    "must be at most the number of nodes, {nodes} (found {q}); 0 means a majority"
                ),
            );
        }
    }
    Ok(())
}

/// Reads one action given as a scenario event object (`{"at_ms": .., "do": .., ...}`) for a
/// cluster of `nodes`; errors name fields below `path` (for example `raftlab.crash.node`).
pub fn parse_action(path: &str, value: &Value, nodes: u32) -> Result<TimedAction, ParseError> {
    parse_event(path, value, nodes)
}

/// Reads settings given in the scenario's `config` form (any subset, `bugs` included) as a
/// change; errors name fields below `path`.
pub fn parse_config_patch(path: &str, value: &Value) -> Result<ConfigPatch, ParseError> {
    let mut f = Fields::new(path, value)?;
    let patch = parse_patch(&mut f)?;
    f.finish(&CONFIG_FIELDS)?;
    if patch == ConfigPatch::default() {
        return err(path, "changes nothing: give at least one setting");
    }
    Ok(patch)
}

impl Scenario {
    /// Reads a scenario from JSON text.
    pub fn parse(text: &str) -> Result<Scenario, ParseError> {
        let value = json::parse(text).map_err(|e| ParseError {
            path: format!("line {}, column {}", e.line, e.column),
            message: format!("not valid JSON: {}", e.message),
        })?;
        Scenario::from_json(&value)
    }

    /// Reads a scenario from a parsed JSON value.
    pub fn from_json(value: &Value) -> Result<Scenario, ParseError> {
        let mut s = Scenario::default();
        let mut f = Fields::new("", value)?;
        read_version(&mut f, VERSION, |version| {
            format!("version {version} is newer than this raftlab understands (up to {VERSION}); update raftlab")
        })?;
        if let Some(v) = f.get("seed") {
            s.seed = as_u64("seed", v, "a whole number from 0 to 18446744073709551615")?;
        }
        if let Some(v) = f.get("nodes") {
            let n = as_u64("nodes", v, "a cluster size from 1 to 9")?;
            if n == 0 || n > MAX_NODES as u64 {
                return err(
                    "nodes",
                    format!("a cluster has 1 to {MAX_NODES} nodes (found {n})"),
                );
            }
            s.nodes = n as u32;
        }
        if let Some(v) = f.get("until_ms") {
            s.until_us = as_ms("until_ms", v, MAX_UNTIL_MS)?;
        }
        if let Some(v) = f.get("liveness_ms") {
            s.liveness_us = Some(as_ms("liveness_ms", v, 3_600_000)?);
        }
        if let Some(v) = f.get("config") {
            let mut c = Fields::new("config", v)?;
            let patch = parse_patch(&mut c)?;
            c.finish(&CONFIG_FIELDS)?;
            check_quorums(&patch, s.nodes, "config")?;
            patch.apply(&mut s.config);
        }
        if let Some(v) = f.get("events") {
            let Some(list) = v.as_array() else {
                return expected("events", "a list of actions", v);
            };
            if list.len() > MAX_EVENTS {
                return err(
                    "events",
                    format!("{} events is too many; at most {MAX_EVENTS}", list.len()),
                );
            }
            // Servers added by `add_server` exist for the whole run's actions.
            let nodes = s.nodes.max(added_servers(list));
            for (i, e) in list.iter().enumerate() {
                s.events
                    .push(parse_event(&format!("events[{i}]"), e, nodes)?);
            }
        }
        s.system = crate::system::parse(&mut f, s.nodes, s.seed)?;
        f.finish(&[
            "version",
            "seed",
            "nodes",
            "until_ms",
            "liveness_ms",
            "config",
            "events",
            "system",
            "quorum",
            "lease",
        ])?;
        Ok(s)
    }

    /// What the scenario's system cannot do: timers by hand in its settings, or an event that
    /// is Raft's alone ([`Action::refusal`]). The error names the event. A scenario file or a
    /// link with such an event is still read (version 1 promised that these do nothing in the
    /// other systems; `raftlab run` notes each one); a lesson is refused, and so is the
    /// page's API call.
    pub fn check_system(&self) -> Result<(), ParseError> {
        match self.system_problems().into_iter().next() {
            Some(e) => Err(e),
            None => Ok(()),
        }
    }

    /// Every problem [`Scenario::check_system`] would report, in order.
    pub fn system_problems(&self) -> Vec<ParseError> {
        let system = self.system.system();
        let mut out = Vec::new();
        if system != System::Raft && self.config.timers.is_manual() {
            out.push(ParseError {
                path: "config.timers".into(),
                message: format!(
                    "timers by hand are Raft's: the {} system's timers run on their own clocks",
                    system.as_str()
                ),
            });
        }
        for (i, e) in self.events.iter().enumerate() {
            if let Some(why) = e.action.refusal(system) {
                out.push(ParseError {
                    path: format!("events[{i}]"),
                    message: why,
                });
            }
        }
        out
    }

    /// The scenario as JSON; [`Scenario::parse`] reads it back to an equal value.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "version", Value::from(VERSION));
        put(&mut o, "seed", Value::from(self.seed));
        put(&mut o, "nodes", Value::from(self.nodes));
        put(&mut o, "until_ms", ms(self.until_us));
        put(&mut o, "config", self.config.to_json());
        let events = self.events.iter().map(TimedAction::to_json).collect();
        put(&mut o, "events", Value::Array(events));
        if let Some(l) = self.liveness_us {
            put(&mut o, "liveness_ms", ms(l));
        }
        crate::system::write(&self.system, &mut o);
        Value::Object(o)
    }

    /// Pretty JSON text with one event per line.
    pub fn to_pretty(&self) -> String {
        let v = self.to_json();
        let mut out = String::from("{");
        let order = [
            "version",
            "seed",
            "nodes",
            "until_ms",
            "liveness_ms",
            "system",
            "quorum",
            "lease",
            "config",
            "events",
        ];
        let mut first = true;
        for k in order {
            let Some(val) = v.get(k) else { continue };
            if !first {
                out.push(',');
            }
            first = false;
            out.push_str("\n  \"");
            out.push_str(k);
            out.push_str("\": ");
            if k == "events" {
                let list = val.as_array().map(Vec::as_slice).unwrap_or_default();
                if list.is_empty() {
                    out.push_str("[]");
                } else {
                    out.push('[');
                    for (i, e) in list.iter().enumerate() {
                        out.push_str(if i == 0 { "\n    " } else { ",\n    " });
                        out.push_str(&e.to_string());
                    }
                    out.push_str("\n  ]");
                }
            } else {
                out.push_str(&val.to_string());
            }
        }
        out.push_str("\n}\n");
        out
    }
}

impl TimedAction {
    /// The action as one element of the scenario's `events`.
    pub fn to_json(&self) -> Value {
        let mut o = Map::new();
        put(&mut o, "at_ms", ms(self.at_us));
        let name = match &self.action {
            Action::Crash(t) | Action::Restart(t) | Action::Timeout(t) | Action::Isolate(t) => {
                put(&mut o, "node", t.to_json());
                match &self.action {
                    Action::Crash(_) => "crash",
                    Action::Restart(_) => "restart",
                    Action::Timeout(_) => "timeout",
                    _ => "isolate",
                }
            }
            Action::TransferLeadership(n) => {
                put(&mut o, "node", Value::from(*n));
                "transfer_leadership"
            }
            Action::AddServer(n) => {
                put(&mut o, "node", Value::from(*n));
                "add_server"
            }
            Action::RemoveServer(n) => {
                put(&mut o, "node", Value::from(*n));
                "remove_server"
            }
            Action::Partition(groups) => {
                let groups = groups
                    .iter()
                    .map(|g| Value::Array(g.iter().map(|&n| Value::from(n)).collect()))
                    .collect();
                put(&mut o, "groups", Value::Array(groups));
                "partition"
            }
            Action::Heal => "heal",
            Action::Cut(a, b) | Action::Restore(a, b) => {
                put(
                    &mut o,
                    "nodes",
                    Value::Array(vec![Value::from(*a), Value::from(*b)]),
                );
                if matches!(self.action, Action::Cut(..)) {
                    "cut"
                } else {
                    "restore"
                }
            }
            Action::ClientWrite { node, key, value } => {
                if let Some(t) = node {
                    put(&mut o, "node", t.to_json());
                }
                put(&mut o, "key", Value::from(key.as_str()));
                put(&mut o, "value", Value::from(value.as_str()));
                "client_write"
            }
            Action::ClientDelete { node, key } => {
                if let Some(t) = node {
                    put(&mut o, "node", t.to_json());
                }
                put(&mut o, "key", Value::from(key.as_str()));
                "client_delete"
            }
            Action::Set(p) => {
                put_patch(&mut o, p);
                "set"
            }
            Action::ClientRead { node, key, mode } => {
                if let Some(t) = node {
                    put(&mut o, "node", t.to_json());
                }
                put(&mut o, "key", Value::from(key.as_str()));
                put(&mut o, "mode", Value::from(mode.as_str()));
                "client_read"
            }
            Action::ClockRate(t, rate) => {
                put(&mut o, "node", t.to_json());
                put(&mut o, "rate", Value::from(*rate));
                "clock_rate"
            }
            Action::FireTimer(t) => {
                put(&mut o, "node", t.to_json());
                "fire_timer"
            }
            Action::Pause(t, us) => {
                put(&mut o, "node", t.to_json());
                put(&mut o, "ms", ms(*us));
                "pause"
            }
            Action::DropMessage(id) | Action::DeliverMessage(id) | Action::DuplicateMessage(id) => {
                put(&mut o, "id", Value::from(*id));
                match self.action {
                    Action::DropMessage(_) => "drop_message",
                    Action::DeliverMessage(_) => "deliver_message",
                    _ => "duplicate_message",
                }
            }
        };
        put(&mut o, "do", Value::from(name));
        Value::Object(o)
    }
}

/// Names separated by commas: `a, b, c`.
pub(crate) fn names(list: &[&str]) -> String {
    let mut out = String::new();
    for (i, name) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(name);
    }
    out
}
