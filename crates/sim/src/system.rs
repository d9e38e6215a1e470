//! The systems the simulator runs: Raft (the default), leaderless quorum replication
//! (`raftlab-quorum`) and leader election by a lease on a check-and-set store
//! (`raftlab-lease`). The engine in `sim.rs` (queue, network, faults, clocks, pauses, crashes,
//! trace, snapshots) is shared; what differs per system is dispatched here, by enum, so the
//! engine's code exists once in the WebAssembly build.

use crate::json::Value as Json;
use raftlab_raft::{Message, NodeId};

/// Which system a scenario runs (the scenario's `system`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum System {
    /// Raft (the default: every file, link and trace without `system` is Raft).
    #[default]
    Raft,
    /// Leaderless quorum replication (Dynamo, Cassandra, Riak; ABD with blocking read
    /// repair): `raftlab-quorum`.
    Quorum,
    /// Leader election by a lease on a linearizable check-and-set store, with a resource the
    /// leader writes to (Kubernetes client-go, Consul sessions; fencing tokens):
    /// `raftlab-lease`.
    Lease,
}

impl System {
    /// Every system, in documentation order.
    pub const ALL: [System; 3] = [System::Raft, System::Quorum, System::Lease];

    /// The name in scenarios and traces: `raft`, `quorum` or `lease`.
    pub fn as_str(self) -> &'static str {
        match self {
            System::Raft => "raft",
            System::Quorum => "quorum",
            System::Lease => "lease",
        }
    }

    /// The system of a name, if it is one.
    pub fn from_name(name: &str) -> Option<System> {
        System::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

/// The settings of the system a scenario runs, beyond the shared network and timing settings
/// of its `config`.
#[derive(Clone, Debug, Default, PartialEq)]
pub enum SystemConfig {
    /// Raft: its settings are in the scenario's `config`.
    #[default]
    Raft,
    /// Leaderless quorums, with the scenario's `quorum` object.
    Quorum(raftlab_quorum::Config),
    /// Lease election, with the scenario's `lease` object.
    Lease(raftlab_lease::Config),
}

impl SystemConfig {
    /// Which system.
    pub fn system(&self) -> System {
        match self {
            SystemConfig::Raft => System::Raft,
            SystemConfig::Quorum(_) => System::Quorum,
            SystemConfig::Lease(_) => System::Lease,
        }
    }
}

/// A message on the wire, of whichever system runs.
#[derive(Clone, Debug, PartialEq)]
pub enum Wire {
    /// A Raft RPC.
    Raft(Message),
    /// A leaderless-quorum message.
    Quorum(raftlab_quorum::Message),
    /// A lease-election message.
    Lease(raftlab_lease::Message),
}

impl Wire {
    /// The sender.
    pub fn from(&self) -> NodeId {
        match self {
            Wire::Raft(m) => m.from,
            Wire::Quorum(m) => m.from,
            Wire::Lease(m) => m.from,
        }
    }
    /// The receiver.
    pub fn to(&self) -> NodeId {
        match self {
            Wire::Raft(m) => m.to,
            Wire::Quorum(m) => m.to,
            Wire::Lease(m) => m.to,
        }
    }
    /// The message type, as in the trace's `msg.type` (`AppendEntries`, `Write`, `Cas`, ...).
    pub fn type_name(&self) -> &'static str {
        match self {
            Wire::Raft(m) => m.body.type_name(),
            Wire::Quorum(m) => m.body.type_name(),
            Wire::Lease(m) => m.body.type_name(),
        }
    }
    /// How a drawing shows a message of another system than Raft: a short label, and
    /// whether it is a request (`None`), a positive answer (`Some(true)`) or a negative one
    /// (`Some(false)`). For a Raft message: its type name and `None` (the page draws Raft's
    /// own way).
    pub fn look(&self) -> (&'static str, Option<bool>) {
        use raftlab_lease::Body as L;
        use raftlab_quorum::Body as Q;
        match self {
            Wire::Raft(m) => (m.body.type_name(), None),
            Wire::Quorum(m) => match m.body {
                Q::Read { .. } => ("RD", None),
                Q::ReadReply { .. } => ("rd", Some(true)),
                Q::Write { .. } => ("WR", None),
                Q::WriteAck { .. } => ("✓", Some(true)),
                Q::Sync { .. } => ("SY", None),
                Q::SyncReply { .. } => ("sy", Some(true)),
            },
            Wire::Lease(m) => match &m.body {
                L::Get { .. } => ("GET", None),
                L::Cas { .. } => ("CAS", None),
                L::Release { .. } => ("REL", None),
                L::Reply(r) => (if r.ok { "✓" } else { "✗" }, Some(r.ok)),
                L::WatchEvent { .. } => ("WCH", None),
                L::Write { .. } => ("WR", None),
                L::WriteReply { accepted, .. } => {
                    (if *accepted { "✓" } else { "✗" }, Some(*accepted))
                }
            },
        }
    }
    /// The Raft message, when it is one.
    pub fn raft(&self) -> Option<&Message> {
        match self {
            Wire::Raft(m) => Some(m),
            _ => None,
        }
    }
    /// The fields after `id`, `type`, `from` and `to` of a message of another system than
    /// Raft, as its crate describes them (Raft's are written by `trace.rs`).
    pub fn other_fields(&self) -> Vec<(&'static str, Json)> {
        match self {
            Wire::Raft(_) => Vec::new(),
            Wire::Quorum(m) => m
                .body
                .fields()
                .into_iter()
                .map(|(k, v)| (k, quorum_json(v)))
                .collect(),
            Wire::Lease(m) => m
                .body
                .fields()
                .into_iter()
                .map(|(k, v)| (k, lease_json(v)))
                .collect(),
        }
    }
}

/// An input to a node of whichever system runs.
#[derive(Clone, Debug)]
pub(crate) enum SysInput {
    Raft(raftlab_raft::Input),
    Quorum(raftlab_quorum::Input),
    Lease(raftlab_lease::Input),
}

impl SysInput {
    /// The arrival of `wire` at its receiver.
    pub(crate) fn message(wire: Wire) -> SysInput {
        match wire {
            Wire::Raft(m) => SysInput::Raft(raftlab_raft::Input::Message(m)),
            Wire::Quorum(m) => SysInput::Quorum(raftlab_quorum::Input::Message(m)),
            Wire::Lease(m) => SysInput::Lease(raftlab_lease::Input::Message(m)),
        }
    }
    /// Whether it is a timer of any kind (a paused node drops those: its wake fires them).
    pub(crate) fn is_timer(&self) -> bool {
        matches!(
            self,
            SysInput::Raft(
                raftlab_raft::Input::Tick
                    | raftlab_raft::Input::Timeout
                    | raftlab_raft::Input::FireTimer
            ) | SysInput::Quorum(raftlab_quorum::Input::Tick)
                | SysInput::Lease(raftlab_lease::Input::Tick)
        )
    }
}

/// An event of a node of another system than Raft, traced with its crate's kind and fields.
#[derive(Clone, Debug, PartialEq)]
pub enum SysEvent {
    /// A leaderless-quorum event.
    Quorum(raftlab_quorum::Event),
    /// A lease-election event.
    Lease(raftlab_lease::Event),
}

impl SysEvent {
    /// The trace kind (`quorum_request`, `lease_acquired`, ...).
    pub fn kind(&self) -> &'static str {
        match self {
            SysEvent::Quorum(e) => e.kind(),
            SysEvent::Lease(e) => e.kind(),
        }
    }
    /// The trace fields after `node`, as JSON values.
    pub fn fields(&self) -> Vec<(&'static str, Json)> {
        match self {
            SysEvent::Quorum(e) => e
                .fields()
                .into_iter()
                .map(|(k, v)| (k, quorum_json(v)))
                .collect(),
            SysEvent::Lease(e) => e
                .fields()
                .into_iter()
                .map(|(k, v)| (k, lease_json(v)))
                .collect(),
        }
    }
}

impl serde::Serialize for SysEvent {
    /// As a map of its fields (the trace's own writer adds `node` and `kind`).
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        use serde::ser::SerializeMap;
        let mut map = serializer.serialize_map(None)?;
        for (key, value) in self.fields() {
            map.serialize_entry(key, &value)?;
        }
        map.end()
    }
}

fn quorum_json(v: raftlab_quorum::Value) -> Json {
    use raftlab_quorum::Value as V;
    match v {
        V::U64(n) => Json::from(n),
        V::Str(s) => Json::from(s.as_str()),
        V::List(items) => Json::Array(items.into_iter().map(quorum_json).collect()),
        V::Bool(b) => Json::Bool(b),
        V::Null => Json::Null,
    }
}

fn lease_json(v: raftlab_lease::Value) -> Json {
    use raftlab_lease::Value as V;
    match v {
        V::U64(n) => Json::from(n),
        V::Str(s) => Json::from(s.as_str()),
        V::List(items) => Json::Array(items.into_iter().map(lease_json).collect()),
        V::Bool(b) => Json::Bool(b),
        V::Null => Json::Null,
    }
}

/// The servers of another system than Raft, with their settings and their checker.
#[derive(Clone, Debug)]
pub enum Others {
    /// Leaderless quorums.
    Quorum(QuorumCluster),
    /// Lease election.
    Lease(LeaseCluster),
}

/// A leaderless-quorum cluster.
#[derive(Clone, Debug)]
pub struct QuorumCluster {
    /// Server `n` at index `n - 1`.
    pub nodes: Vec<raftlab_quorum::Node>,
    /// The settings.
    pub config: raftlab_quorum::Config,
    /// Its properties.
    pub checker: Option<raftlab_quorum::check::Checker>,
}

/// A lease-election cluster.
#[derive(Clone, Debug)]
pub struct LeaseCluster {
    /// Server `n` at index `n - 1`.
    pub nodes: Vec<raftlab_lease::Node>,
    /// The settings.
    pub config: raftlab_lease::Config,
    /// Its properties.
    pub checker: Option<raftlab_lease::check::Checker>,
}

impl QuorumCluster {
    /// Every server's id.
    pub fn cluster(&self) -> Vec<NodeId> {
        (1..=self.nodes.len() as NodeId).collect()
    }
}

impl LeaseCluster {
    /// Every server's id.
    pub fn cluster(&self) -> Vec<NodeId> {
        (1..=self.nodes.len() as NodeId).collect()
    }
}

/// A replica's data as JSON, `{key: [[value, version], ...]}` (siblings in order): the
/// `store` of the trace's `final` line and of `state().replicas`.
pub fn store_json(node: &raftlab_quorum::Node) -> Json {
    let mut store = crate::json::Map::new();
    for (key, sibs) in node.store() {
        let pairs = sibs
            .iter()
            .map(|(v, ver)| Json::Array(vec![Json::from(v.as_str()), Json::from(ver.text())]))
            .collect();
        store.insert(key.clone(), Json::Array(pairs));
    }
    Json::from(store)
}

// ----- the scenario's `system`, `quorum` and `lease` fields -----

use crate::json::Map;
use crate::scenario::{as_ms, as_u64, err, expected, ms, Fields, ParseError};

/// The fields of the scenario's `quorum` object.
pub const QUORUM_FIELDS: [&str; 8] = [
    "replicas",
    "write_quorum",
    "read_quorum",
    "versions",
    "read_repair",
    "sloppy",
    "anti_entropy_ms",
    "request_timeout_ms",
];

/// The fields of the scenario's `lease` object.
pub const LEASE_FIELDS: [&str; 11] = [
    "lease_duration_ms",
    "renew_deadline_ms",
    "retry_period_ms",
    "work_period_ms",
    "work_duration_ms",
    "session_ttl_ms",
    "lock_delay_ms",
    "watch_delay_ms",
    "watch_jitter_ms",
    "fencing",
    "first_revision",
];

fn choice<T: Copy>(path: &str, v: &Json, options: &[(&str, T)]) -> Result<T, ParseError> {
    let names: Vec<String> = options.iter().map(|o| format!("\"{}\"", o.0)).collect();
    match v.as_str().and_then(|s| options.iter().find(|o| o.0 == s)) {
        Some(o) => Ok(o.1),
        None => expected(path, &format!("one of {}", names.join(", ")), v),
    }
}

fn name_of<T: PartialEq>(options: &[(&'static str, T)], v: T) -> &'static str {
    options.iter().find(|o| o.1 == v).map_or("", |o| o.0)
}

fn flag(path: &str, v: &Json) -> Result<bool, ParseError> {
    match v {
        Json::Bool(b) => Ok(*b),
        other => expected(path, "true or false", other),
    }
}

const VERSIONS: [(&str, raftlab_quorum::Versions); 3] = [
    ("lww", raftlab_quorum::Versions::Lww),
    ("counter", raftlab_quorum::Versions::Counter),
    ("vector", raftlab_quorum::Versions::Vector),
];

const REPAIRS: [(&str, raftlab_quorum::ReadRepair); 3] = [
    ("off", raftlab_quorum::ReadRepair::Off),
    ("async", raftlab_quorum::ReadRepair::Async),
    ("blocking", raftlab_quorum::ReadRepair::Blocking),
];

/// Reads the scenario's `system` and the object of its settings (`quorum` or `lease`) for a
/// cluster of `nodes` servers; `f` is the scenario's top level. A settings object for
/// another system than the one named is refused.
pub(crate) fn parse(f: &mut Fields, nodes: u32, seed: u64) -> Result<SystemConfig, ParseError> {
    let system = match f.get("system") {
        None => System::Raft,
        Some(v) => {
            let options: Vec<(&str, System)> =
                System::ALL.iter().map(|s| (s.as_str(), *s)).collect();
            choice("system", v, &options)?
        }
    };
    for (name, own) in [("quorum", System::Quorum), ("lease", System::Lease)] {
        if f.get(name).is_some() && system != own {
            return err(
                name,
                format!(
                    "settings of the {name} system, but the scenario runs {}; add \"system\": \"{name}\"",
                    system.as_str()
                ),
            );
        }
    }
    match system {
        System::Raft => Ok(SystemConfig::Raft),
        System::Quorum => {
            let mut c = raftlab_quorum::Config::default();
            if let Some(v) = f.get("quorum") {
                let mut q = Fields::new("quorum", v)?;
                let servers = "a number of servers from 1 to 9";
                for (name, slot) in [
                    ("replicas", &mut c.replicas),
                    ("write_quorum", &mut c.write_quorum),
                    ("read_quorum", &mut c.read_quorum),
                ] {
                    if let Some(v) = q.get(name) {
                        let p = q.at(name);
                        match as_u64(&p, v, servers)? {
                            n if n <= 9 => *slot = n as usize,
                            n => return err(&p, format!("must be at most 9 (found {n})")),
                        }
                    }
                }
                if let Some(v) = q.get("versions") {
                    c.versions = choice(&q.at("versions"), v, &VERSIONS)?;
                }
                if let Some(v) = q.get("read_repair") {
                    c.read_repair = choice(&q.at("read_repair"), v, &REPAIRS)?;
                }
                if let Some(v) = q.get("sloppy") {
                    c.sloppy = flag(&q.at("sloppy"), v)?;
                }
                if let Some(v) = q.get("anti_entropy_ms") {
                    c.anti_entropy_ms = as_ms(&q.at("anti_entropy_ms"), v, 3_600_000)? / 1000;
                }
                if let Some(v) = q.get("request_timeout_ms") {
                    let p = q.at("request_timeout_ms");
                    c.request_timeout_us = as_ms(&p, v, 3_600_000)?;
                    if c.request_timeout_us == 0 {
                        return err(&p, "must be more than 0 ms");
                    }
                }
                q.finish(&QUORUM_FIELDS)?;
            }
            if let Err(e) = c.validate(nodes as usize) {
                return err("quorum", e);
            }
            Ok(SystemConfig::Quorum(c))
        }
        System::Lease => {
            let mut c = raftlab_lease::Config {
                seed,
                ..raftlab_lease::Config::default()
            };
            if let Some(v) = f.get("lease") {
                let mut l = Fields::new("lease", v)?;
                for (name, slot) in [
                    ("lease_duration_ms", &mut c.lease_duration_us),
                    ("renew_deadline_ms", &mut c.renew_deadline_us),
                    ("retry_period_ms", &mut c.retry_period_us),
                    ("work_period_ms", &mut c.work_period_us),
                    ("work_duration_ms", &mut c.work_duration_us),
                    ("session_ttl_ms", &mut c.session_ttl_us),
                    ("lock_delay_ms", &mut c.lock_delay_us),
                    ("watch_delay_ms", &mut c.watch_delay_us),
                    ("watch_jitter_ms", &mut c.watch_jitter_us),
                ] {
                    if let Some(v) = l.get(name) {
                        *slot = as_ms(&l.at(name), v, 3_600_000)?;
                    }
                }
                if let Some(v) = l.get("fencing") {
                    c.fencing = flag(&l.at("fencing"), v)?;
                }
                if let Some(v) = l.get("first_revision") {
                    c.first_revision = as_u64(
                        &l.at("first_revision"),
                        v,
                        "a whole number (the store's revision before its first write)",
                    )?
                    .min(1 << 52);
                }
                l.finish(&LEASE_FIELDS)?;
            }
            let cluster: Vec<NodeId> = (1..=nodes).collect();
            if let Err(e) = raftlab_lease::check_cluster(&cluster) {
                return err("nodes", format!("the lease system {e}"));
            }
            if let Err(e) = c.validate() {
                return err("lease", e.replace("_us", "_ms"));
            }
            Ok(SystemConfig::Lease(c))
        }
    }
}

/// Writes the scenario's `system` and its settings object into `o` (nothing for Raft). Every
/// setting is written, so that a file says everything its run used.
pub(crate) fn write(system: &SystemConfig, o: &mut Map) {
    match system {
        SystemConfig::Raft => {}
        SystemConfig::Quorum(c) => {
            let mut q = Map::new();
            q.insert("replicas".into(), Json::from(c.replicas as u64));
            q.insert("write_quorum".into(), Json::from(c.write_quorum as u64));
            q.insert("read_quorum".into(), Json::from(c.read_quorum as u64));
            q.insert(
                "versions".into(),
                Json::from(name_of(&VERSIONS, c.versions)),
            );
            q.insert(
                "read_repair".into(),
                Json::from(name_of(&REPAIRS, c.read_repair)),
            );
            q.insert("sloppy".into(), Json::Bool(c.sloppy));
            q.insert("anti_entropy_ms".into(), Json::from(c.anti_entropy_ms));
            q.insert("request_timeout_ms".into(), ms(c.request_timeout_us));
            o.insert("system".into(), Json::from("quorum"));
            o.insert("quorum".into(), Json::Object(q));
        }
        SystemConfig::Lease(c) => {
            let mut l = Map::new();
            for (name, us) in [
                ("lease_duration_ms", c.lease_duration_us),
                ("renew_deadline_ms", c.renew_deadline_us),
                ("retry_period_ms", c.retry_period_us),
                ("work_period_ms", c.work_period_us),
                ("work_duration_ms", c.work_duration_us),
                ("session_ttl_ms", c.session_ttl_us),
                ("lock_delay_ms", c.lock_delay_us),
                ("watch_delay_ms", c.watch_delay_us),
                ("watch_jitter_ms", c.watch_jitter_us),
            ] {
                l.insert(name.into(), ms(us));
            }
            l.insert("fencing".into(), Json::Bool(c.fencing));
            l.insert("first_revision".into(), Json::from(c.first_revision));
            o.insert("system".into(), Json::from("lease"));
            o.insert("lease".into(), Json::Object(l));
        }
    }
}
