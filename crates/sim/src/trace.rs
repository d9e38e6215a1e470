//! Trace events and their NDJSON form (one JSON object per line; see `docs/trace-format.md`).
//!
//! The names and fields here are a public contract read by tools outside this repository:
//! add fields and kinds, never rename or remove one.

use raftlab_raft::{
    AppendRejection, Body, Command, Entry, Index, Micros, NodeId, ReadMode, RequestId, Term,
    VoteRefusal,
};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;
use std::collections::BTreeMap;

/// One line of the trace: a time and what happened.
#[derive(Debug, PartialEq)]
pub struct TraceEvent {
    /// Simulated time in microseconds.
    pub t_us: Micros,
    /// What happened.
    pub kind: TraceKind,
}

/// Written by hand, not derived: a derived `clone` is `#[inline]`, so every crate that clones
/// an event (this one and the page) compiled its own 11 KB copy into the wasm. This one is
/// compiled once, here.
impl Clone for TraceEvent {
    fn clone(&self) -> Self {
        TraceEvent {
            t_us: self.t_us,
            kind: self.kind.clone(),
        }
    }
}

/// Serialized as a map: `t_us`, then `kind` and the fields of [`TraceKind`], as
/// `#[serde(flatten)]` of the kind would write it (written out by hand: flattening costs code
/// in every serializer it is used with).
impl Serialize for TraceEvent {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.fields(&mut Serde(&mut map))?;
        map.end()
    }
}

impl TraceEvent {
    fn fields<S: Sink>(&self, sink: &mut S) -> Result<(), S::Error> {
        sink.entry("t_us", &self.t_us)?;
        self.kind.entries(sink)
    }
}

/// Where the fields of a trace event go, in order: a serde map, or JSON text.
trait Sink {
    type Error;
    fn entry<T: Field + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Self::Error>;
}

/// The entries of a serde map.
struct Serde<'a, M>(&'a mut M);

impl<M: SerializeMap> Sink for Serde<'_, M> {
    type Error = M::Error;
    fn entry<T: Field + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), M::Error> {
        self.0.serialize_entry(key, value)
    }
}

/// A JSON object written as text, byte for byte as serde_json writes the same map (less code in
/// WebAssembly than a serde serializer, and faster).
struct Text<'a> {
    out: &'a mut String,
    first: bool,
}

impl<'a> Text<'a> {
    fn open(out: &'a mut String) -> Text<'a> {
        out.push('{');
        Text { out, first: true }
    }

    fn key(&mut self, key: &str) {
        self.out.push_str(if self.first { "\"" } else { ",\"" });
        self.first = false;
        self.out.push_str(key);
        self.out.push_str("\":");
    }

    fn close(self) {
        self.out.push('}');
    }
}

impl Sink for Text<'_> {
    type Error = std::convert::Infallible;
    fn entry<T: Field + ?Sized>(&mut self, key: &str, value: &T) -> Result<(), Self::Error> {
        self.key(key);
        value.write(self.out);
        Ok(())
    }
}

/// A value in a trace event: serializable, and writable as the compact JSON text serde_json
/// makes of it.
trait Field: Serialize {
    fn write(&self, out: &mut String);
}

impl<T: Field + ?Sized> Field for &T {
    fn write(&self, out: &mut String) {
        (**self).write(out);
    }
}

impl Field for u64 {
    fn write(&self, out: &mut String) {
        crate::json::write_u64(out, *self);
    }
}

impl Field for f64 {
    /// As the scenario JSON writes it (`null` for NaN and infinities, never produced).
    fn write(&self, out: &mut String) {
        out.push_str(&crate::json::Value::from(*self).to_json());
    }
}

impl Field for u32 {
    fn write(&self, out: &mut String) {
        u64::from(*self).write(out);
    }
}

impl Field for bool {
    fn write(&self, out: &mut String) {
        out.push_str(if *self { "true" } else { "false" });
    }
}

impl Field for str {
    /// A JSON string, escaped as serde_json escapes it.
    fn write(&self, out: &mut String) {
        crate::json::write_str(out, self);
    }
}

impl Field for String {
    fn write(&self, out: &mut String) {
        self.as_str().write(out);
    }
}

impl<T: Field> Field for Option<T> {
    fn write(&self, out: &mut String) {
        match self {
            Some(v) => v.write(out),
            None => out.push_str("null"),
        }
    }
}

impl<T: Field> Field for [T] {
    fn write(&self, out: &mut String) {
        out.push('[');
        for (i, v) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            v.write(out);
        }
        out.push(']');
    }
}

impl<T: Field> Field for Vec<T> {
    fn write(&self, out: &mut String) {
        self.as_slice().write(out);
    }
}

impl<T: Field> Field for [T; 2] {
    fn write(&self, out: &mut String) {
        self.as_slice().write(out);
    }
}

impl Field for BTreeMap<String, String> {
    /// A JSON object of the pairs, in key order, as serde_json writes a map.
    fn write(&self, out: &mut String) {
        out.push('{');
        for (i, (key, value)) in self.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            key.write(out);
            out.push(':');
            value.write(out);
        }
        out.push('}');
    }
}

impl Field for crate::json::Value {
    fn write(&self, out: &mut String) {
        out.push_str(&self.to_json());
    }
}

impl Field for TraceMsg {
    fn write(&self, out: &mut String) {
        let mut text = Text::open(out);
        self.entries(&mut text).unwrap_or_else(|e| match e {});
        text.close();
    }
}

impl Field for CommandStr<'_> {
    fn write(&self, out: &mut String) {
        self.0.to_string().write(out);
    }
}

impl Field for LogJson<'_> {
    fn write(&self, out: &mut String) {
        out.push('[');
        for (i, e) in self.0.iter().enumerate() {
            out.push_str(if i == 0 { "{" } else { ",{" });
            let mut text = Text {
                out: &mut *out,
                first: true,
            };
            text.entry("term", &e.term)
                .and_then(|()| text.entry("command", &CommandStr(&e.command)))
                .unwrap_or_else(|e| match e {});
            out.push('}');
        }
        out.push(']');
    }
}

impl Field for DropReason {
    fn write(&self, out: &mut String) {
        match self {
            DropReason::Loss => "loss",
            DropReason::Partition => "partition",
            DropReason::Crashed => "crashed",
            DropReason::Manual => "manual",
        }
        .write(out);
    }
}

impl Field for ReplyResult {
    fn write(&self, out: &mut String) {
        match self {
            ReplyResult::Ok => "ok",
            ReplyResult::Redirect => "redirect",
            ReplyResult::Timeout => "timeout",
        }
        .write(out);
    }
}

impl TraceKind {
    /// The name in the `kind` field, e.g. `become_follower`.
    pub fn name(&self) -> &'static str {
        match self {
            TraceKind::BecomeFollower { .. } => "become_follower",
            TraceKind::BecomeCandidate { .. } => "become_candidate",
            TraceKind::BecomeLeader { .. } => "become_leader",
            TraceKind::BecomePreCandidate { .. } => "become_precandidate",
            TraceKind::StepDown { .. } => "step_down",
            TraceKind::TransferStart { .. } => "transfer_start",
            TraceKind::ClockRate { .. } => "clock_rate",
            TraceKind::TransferAbort { .. } => "transfer_abort",
            TraceKind::Vote { .. } => "vote",
            TraceKind::Send { .. } => "send",
            TraceKind::Duplicate { .. } => "duplicate",
            TraceKind::Deliver { .. } => "deliver",
            TraceKind::Drop { .. } => "drop",
            TraceKind::Append { .. } => "append",
            TraceKind::Truncate { .. } => "truncate",
            TraceKind::Commit { .. } => "commit",
            TraceKind::Apply { .. } => "apply",
            TraceKind::Snapshot { .. } => "snapshot",
            TraceKind::InstallSnapshot { .. } => "install_snapshot",
            TraceKind::Crash { .. } => "crash",
            TraceKind::Restart { .. } => "restart",
            TraceKind::Pause { .. } => "pause",
            TraceKind::Sys { event, .. } => event.kind(),
            TraceKind::Wake { .. } => "wake",
            TraceKind::Partition { .. } => "partition",
            TraceKind::Heal => "heal",
            TraceKind::Cut { .. } => "cut",
            TraceKind::Restore { .. } => "restore",
            TraceKind::Timeout { .. } => "timeout",
            TraceKind::FireTimer { .. } => "fire_timer",
            TraceKind::Set { .. } => "set",
            TraceKind::ClientRequest { .. } => "client_request",
            TraceKind::ClientReply { .. } => "client_reply",
            TraceKind::ClientRead { .. } => "client_read",
            TraceKind::Violation { .. } => "violation",
            TraceKind::Final { .. } | TraceKind::FinalSystem { .. } => "final",
            TraceKind::Membership { .. } => "membership",
            TraceKind::MembershipRefused { .. } => "membership_refused",
            TraceKind::AddServer { .. } => "add_server",
            TraceKind::RemoveServer { .. } => "remove_server",
            TraceKind::VoteRefused { .. } => "vote_refused",
            TraceKind::AppendRejected { .. } => "append_rejected",
        }
    }

    /// Writes `kind` and the fields, in declaration order, into `map`.
    fn entries<S: Sink>(&self, map: &mut S) -> Result<(), S::Error> {
        map.entry("kind", self.name())?;
        match self {
            TraceKind::BecomeFollower { node, term }
            | TraceKind::BecomeCandidate { node, term }
            | TraceKind::BecomeLeader { node, term }
            | TraceKind::BecomePreCandidate { node, term }
            | TraceKind::StepDown { node, term } => {
                map.entry("node", node)?;
                map.entry("term", term)?;
            }
            TraceKind::Snapshot { node, index, term }
            | TraceKind::InstallSnapshot { node, index, term } => {
                map.entry("node", node)?;
                map.entry("index", index)?;
                map.entry("term", term)?;
            }
            TraceKind::Vote {
                node,
                candidate,
                term,
            } => {
                map.entry("node", node)?;
                map.entry("candidate", candidate)?;
                map.entry("term", term)?;
            }
            TraceKind::ClockRate { node, rate } => {
                map.entry("node", node)?;
                map.entry("rate", rate)?;
            }
            TraceKind::TransferStart { node, to } | TraceKind::TransferAbort { node, to } => {
                map.entry("node", node)?;
                map.entry("to", to)?;
            }
            TraceKind::Membership {
                node,
                index,
                voters,
                learners,
            } => {
                map.entry("node", node)?;
                map.entry("index", index)?;
                map.entry("voters", voters)?;
                map.entry("learners", learners)?;
            }
            TraceKind::MembershipRefused {
                node,
                server,
                change,
                reason,
            } => {
                map.entry("node", node)?;
                map.entry("server", server)?;
                map.entry("change", *change)?;
                map.entry("reason", *reason)?;
            }
            TraceKind::AddServer { node, leader } | TraceKind::RemoveServer { node, leader } => {
                map.entry("node", node)?;
                map.entry("leader", leader)?;
            }
            TraceKind::Send {
                node,
                msg,
                deliver_at_us,
                held,
            } => {
                map.entry("node", node)?;
                map.entry("msg", msg)?;
                map.entry("deliver_at_us", deliver_at_us)?;
                if *held {
                    map.entry("held", held)?;
                }
            }
            TraceKind::Duplicate {
                node,
                msg,
                of,
                deliver_at_us,
                held,
            } => {
                map.entry("node", node)?;
                map.entry("msg", msg)?;
                map.entry("of", of)?;
                map.entry("deliver_at_us", deliver_at_us)?;
                if *held {
                    map.entry("held", held)?;
                }
            }
            TraceKind::Deliver { node, msg } => {
                map.entry("node", node)?;
                map.entry("msg", msg)?;
            }
            TraceKind::Drop { node, msg, reason } => {
                map.entry("node", node)?;
                map.entry("msg", msg)?;
                map.entry("reason", reason)?;
            }
            TraceKind::Append {
                node,
                index,
                term,
                command,
            }
            | TraceKind::Apply {
                node,
                index,
                term,
                command,
            } => {
                map.entry("node", node)?;
                map.entry("index", index)?;
                map.entry("term", term)?;
                map.entry("command", &CommandStr(command))?;
            }
            TraceKind::Truncate { node, index } | TraceKind::Commit { node, index } => {
                map.entry("node", node)?;
                map.entry("index", index)?;
            }
            TraceKind::Sys { node, event } => {
                map.entry("node", node)?;
                for (key, value) in event.fields() {
                    map.entry(key, &value)?;
                }
            }
            TraceKind::Pause { node, until } => {
                map.entry("node", node)?;
                map.entry("until_us", until)?;
            }
            TraceKind::Crash { node }
            | TraceKind::Restart { node }
            | TraceKind::Wake { node }
            | TraceKind::Timeout { node }
            | TraceKind::FireTimer { node } => map.entry("node", node)?,
            TraceKind::Partition { groups } => map.entry("groups", groups)?,
            TraceKind::Heal => {}
            TraceKind::Cut { nodes } | TraceKind::Restore { nodes } => map.entry("nodes", nodes)?,
            TraceKind::Set { config } => map.entry("config", config)?,
            TraceKind::ClientRequest { node, id, command } => {
                if node.is_some() {
                    map.entry("node", node)?;
                }
                map.entry("id", id)?;
                map.entry("command", &CommandStr(command))?;
            }
            TraceKind::ClientRead {
                node,
                id,
                key,
                mode,
            } => {
                if node.is_some() {
                    map.entry("node", node)?;
                }
                map.entry("id", id)?;
                map.entry("key", key)?;
                map.entry("mode", mode.as_str())?;
            }
            TraceKind::ClientReply {
                node,
                id,
                result,
                leader,
                value,
            } => {
                if node.is_some() {
                    map.entry("node", node)?;
                }
                map.entry("id", id)?;
                map.entry("result", result)?;
                if leader.is_some() {
                    map.entry("leader", leader)?;
                }
                if value.is_some() {
                    map.entry("value", value)?;
                }
            }
            TraceKind::Violation {
                property,
                detail,
                nodes,
                seed,
            } => {
                map.entry("property", property)?;
                map.entry("detail", detail)?;
                map.entry("nodes", nodes)?;
                map.entry("seed", seed)?;
            }
            TraceKind::FinalSystem {
                node,
                alive,
                fields,
            } => {
                map.entry("node", node)?;
                map.entry("alive", alive)?;
                for (key, value) in fields {
                    map.entry(key, value)?;
                }
            }
            TraceKind::Final {
                node,
                term,
                role,
                alive,
                commit_index,
                log,
                snapshot_index,
                snapshot_term,
            } => {
                map.entry("node", node)?;
                map.entry("term", term)?;
                map.entry("role", role)?;
                map.entry("alive", alive)?;
                map.entry("commit_index", commit_index)?;
                map.entry("log", &LogJson(log))?;
                // Only nodes with a snapshot say so: traces without one stay as they were.
                if *snapshot_index > 0 {
                    map.entry("snapshot_index", snapshot_index)?;
                    map.entry("snapshot_term", snapshot_term)?;
                }
            }
            TraceKind::VoteRefused {
                node,
                candidate,
                term,
                pre_vote,
                reason,
            } => {
                map.entry("node", node)?;
                map.entry("candidate", candidate)?;
                map.entry("term", term)?;
                map.entry("reason", vote_refusal_name(reason))?;
                map.entry("pre_vote", pre_vote)?;
                match reason {
                    VoteRefusal::StaleTerm { voter_term } => map.entry("voter_term", voter_term)?,
                    VoteRefusal::AlreadyVoted { voted_for } => map.entry("voted_for", voted_for)?,
                    VoteRefusal::LogBehind {
                        candidate_last_term,
                        candidate_last_index,
                        voter_last_term,
                        voter_last_index,
                    } => {
                        map.entry("candidate_last_term", candidate_last_term)?;
                        map.entry("candidate_last_index", candidate_last_index)?;
                        map.entry("voter_last_term", voter_last_term)?;
                        map.entry("voter_last_index", voter_last_index)?;
                    }
                    VoteRefusal::LeaderAlive { leader } => map.entry("leader", leader)?,
                    VoteRefusal::NotAVoter {
                        config_index,
                        voters,
                    } => {
                        map.entry("config_index", config_index)?;
                        map.entry("voters", voters)?;
                    }
                }
            }
            TraceKind::AppendRejected {
                node,
                leader,
                term,
                prev_index,
                prev_term,
                reason,
            } => {
                map.entry("node", node)?;
                map.entry("leader", leader)?;
                map.entry("term", term)?;
                map.entry("prev_index", prev_index)?;
                map.entry("prev_term", prev_term)?;
                match reason {
                    AppendRejection::StaleTerm { follower_term } => {
                        map.entry("reason", "stale_term")?;
                        map.entry("follower_term", follower_term)?;
                    }
                    AppendRejection::LogMismatch {
                        conflict_index,
                        conflict_term,
                    } => {
                        map.entry("reason", "log_mismatch")?;
                        map.entry("conflict_index", conflict_index)?;
                        map.entry("conflict_term", conflict_term)?;
                    }
                }
            }
        }
        Ok(())
    }
}

/// The `reason` of a `vote_refused` line: `stale_term`, `already_voted`, `log_behind`,
/// `leader_alive` or `not_a_voter`.
pub fn vote_refusal_name(reason: &VoteRefusal) -> &'static str {
    match reason {
        VoteRefusal::StaleTerm { .. } => "stale_term",
        VoteRefusal::AlreadyVoted { .. } => "already_voted",
        VoteRefusal::LogBehind { .. } => "log_behind",
        VoteRefusal::LeaderAlive { .. } => "leader_alive",
        VoteRefusal::NotAVoter { .. } => "not_a_voter",
    }
}

/// A message as the trace shows it: its id, its RPC type and fields.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceMsg {
    /// Unique id of this copy of the message within the run.
    pub id: u64,
    /// The message itself.
    pub message: crate::system::Wire,
}

impl Serialize for TraceMsg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let mut map = serializer.serialize_map(None)?;
        self.entries(&mut Serde(&mut map))?;
        map.end()
    }
}

impl TraceMsg {
    /// The message as the compact JSON object the trace's `msg` field holds.
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let mut text = Text::open(&mut out);
        self.entries(&mut text).unwrap_or_else(|e| match e {});
        text.close();
        out
    }

    fn entries<S: Sink>(&self, map: &mut S) -> Result<(), S::Error> {
        let Some(m) = self.message.raft() else {
            map.entry("id", &self.id)?;
            map.entry("type", self.message.type_name())?;
            map.entry("from", &self.message.from())?;
            map.entry("to", &self.message.to())?;
            for (key, value) in self.message.other_fields() {
                map.entry(key, &value)?;
            }
            return Ok(());
        };
        map.entry("id", &self.id)?;
        map.entry("type", m.body.type_name())?;
        map.entry("from", &m.from)?;
        map.entry("to", &m.to)?;
        map.entry("term", &m.term)?;
        match &m.body {
            Body::RequestVote {
                last_log_index,
                last_log_term,
                transfer,
            } => {
                map.entry("last_log_index", last_log_index)?;
                map.entry("last_log_term", last_log_term)?;
                // Only elections started by a leadership transfer say so.
                if *transfer {
                    map.entry("transfer", transfer)?;
                }
            }
            Body::TimeoutNow => {}
            Body::RequestVoteReply { granted } | Body::PreVoteReply { granted } => {
                map.entry("granted", granted)?
            }
            Body::PreVote {
                last_log_index,
                last_log_term,
            } => {
                map.entry("last_log_index", last_log_index)?;
                map.entry("last_log_term", last_log_term)?;
            }
            Body::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                stamp,
            } => {
                map.entry("prev_log_index", prev_log_index)?;
                map.entry("prev_log_term", prev_log_term)?;
                map.entry("entries", &LogJson(entries))?;
                map.entry("leader_commit", leader_commit)?;
                map.entry("stamp", stamp)?;
            }
            Body::AppendEntriesReply {
                success,
                match_index,
                conflict_index,
                conflict_term,
                stamp,
            } => {
                map.entry("success", success)?;
                map.entry("match_index", match_index)?;
                map.entry("conflict_index", conflict_index)?;
                map.entry("conflict_term", conflict_term)?;
                map.entry("stamp", stamp)?;
            }
            Body::InstallSnapshot {
                last_included_index,
                last_included_term,
                data,
                config,
            } => {
                map.entry("last_included_index", last_included_index)?;
                map.entry("last_included_term", last_included_term)?;
                map.entry("data", data)?;
                map.entry("voters", &config.voters)?;
                map.entry("learners", &config.learners)?;
            }
            Body::InstallSnapshotReply {
                last_included_index,
            } => map.entry("last_included_index", last_included_index)?,
        }
        Ok(())
    }
}

/// A list of entries as `[{ "term": T, "command": "set x=2" }, ...]`.
#[derive(Clone, Debug, PartialEq)]
pub struct LogJson<'a>(pub &'a [Entry]);

impl Serialize for LogJson<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_seq(self.0.iter().map(|e| EntryJson {
            term: e.term,
            command: CommandStr(&e.command),
        }))
    }
}

#[derive(Serialize)]
struct EntryJson<'a> {
    term: Term,
    command: CommandStr<'a>,
}

/// A command in its trace form (`noop`, `set x=2`, `delete x`).
#[derive(Clone, Debug, PartialEq)]
pub struct CommandStr<'a>(pub &'a Command);

impl Serialize for CommandStr<'_> {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self.0)
    }
}

fn command_str<S: Serializer>(command: &Command, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.collect_str(command)
}

fn log_json<S: Serializer>(log: &[Entry], serializer: S) -> Result<S::Ok, S::Error> {
    LogJson(log).serialize(serializer)
}

fn is_zero(n: &u64) -> bool {
    *n == 0
}

fn is_false(b: &bool) -> bool {
    !*b
}

/// The outcome of a client request, as traced.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ReplyResult {
    /// Committed and applied.
    Ok,
    /// Refused by a non-leader, which names the leader it knows of.
    Redirect,
    /// No answer within the client timeout.
    Timeout,
}

/// Why a message was lost.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum DropReason {
    /// Random loss (`drop_rate`).
    Loss,
    /// Sender and receiver were in different partition groups, or their link was cut, when it
    /// arrived.
    Partition,
    /// The receiver was down when it arrived.
    Crashed,
    /// A `drop_message` action took it off the wire.
    Manual,
}

/// Everything the trace can say. Serialized with a `kind` tag in snake_case.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum TraceKind {
    /// `node` became a follower in `term`.
    BecomeFollower {
        /// The node.
        node: NodeId,
        /// Its term.
        term: Term,
    },
    /// `node` became a candidate for `term`.
    BecomeCandidate {
        /// The node.
        node: NodeId,
        /// Its new term.
        term: Term,
    },
    /// `node` became leader of `term`.
    BecomeLeader {
        /// The node.
        node: NodeId,
        /// Its term.
        term: Term,
    },
    /// `node` started a pre-vote (PreVote on): it asks whether it could win an election for
    /// `term` + 1 without changing its term.
    BecomePreCandidate {
        /// The node.
        node: NodeId,
        /// Its term (unchanged).
        term: Term,
    },
    /// `node`'s clock now runs at `rate` times real speed (a `clock_rate` fault).
    ClockRate {
        /// The node.
        node: NodeId,
        /// Its clock's speed (1 is normal).
        rate: f64,
    },
    /// Leader `node` started handing leadership over to `to` (thesis 3.10).
    TransferStart {
        /// The leader.
        node: NodeId,
        /// The node that should lead next.
        to: NodeId,
    },
    /// Leader `node` gave up its transfer to `to` after an election timeout.
    TransferAbort {
        /// The leader.
        node: NodeId,
        /// The node that was to lead.
        to: NodeId,
    },
    /// `node` now uses the configuration `voters` + `learners`, whose entry is at `index`
    /// (thesis 4.1: the latest configuration in a server's log is in effect, committed or
    /// not). Written when a configuration entry is appended, truncated away, or comes with a
    /// snapshot.
    Membership {
        /// The node.
        node: NodeId,
        /// Where the configuration's entry is (a snapshot's last index when it came with one).
        index: Index,
        /// The voting servers.
        voters: Vec<NodeId>,
        /// The learners (non-voting, catching up).
        learners: Vec<NodeId>,
    },
    /// Leader `node` dropped a requested change of `server` (`change` is `add` or `remove`)
    /// because of `reason`.
    MembershipRefused {
        /// The leader.
        node: NodeId,
        /// The server the change was about.
        server: NodeId,
        /// `add` or `remove`.
        change: &'static str,
        /// Why, in words.
        reason: &'static str,
    },
    /// The `add_server` action: `leader` (`null`: there was none, nothing happens) was asked
    /// to add server `node`. A server that did not exist yet was started first.
    AddServer {
        /// The server to add.
        node: NodeId,
        /// The leader asked.
        leader: Option<NodeId>,
    },
    /// The `remove_server` action: `leader` (`null`: none) was asked to remove `node`.
    RemoveServer {
        /// The server to remove.
        node: NodeId,
        /// The leader asked.
        leader: Option<NodeId>,
    },
    /// Leader `node` stepped down: it heard from no majority within an election timeout
    /// (CheckQuorum on). A `become_follower` follows.
    StepDown {
        /// The node.
        node: NodeId,
        /// Its term.
        term: Term,
    },
    /// `node` granted its vote to `candidate` in `term`.
    Vote {
        /// The voter.
        node: NodeId,
        /// Who got the vote (the voter itself when it is the candidate).
        candidate: NodeId,
        /// The term.
        term: Term,
    },
    /// `node` sent `msg`, which will arrive (or be lost) at `deliver_at_us`.
    Send {
        /// The sender.
        node: NodeId,
        /// The message.
        msg: TraceMsg,
        /// When it arrives or is lost (with manual delivery: when it would arrive).
        deliver_at_us: Micros,
        /// Held on its link until an action delivers, drops or duplicates it (manual
        /// delivery); written only when true.
        #[serde(skip_serializing_if = "is_false")]
        held: bool,
    },
    /// The network made a second copy of message `of`, travelling as `msg`.
    Duplicate {
        /// The sender.
        node: NodeId,
        /// The copy (with its own id).
        msg: TraceMsg,
        /// Id of the original.
        of: u64,
        /// When the copy arrives or is lost (with manual delivery: when it would arrive).
        deliver_at_us: Micros,
        /// Held on its link (manual delivery); written only when true.
        #[serde(skip_serializing_if = "is_false")]
        held: bool,
    },
    /// `msg` arrived at `node`.
    Deliver {
        /// The receiver.
        node: NodeId,
        /// The message.
        msg: TraceMsg,
    },
    /// `msg`, on its way to `node`, was lost.
    Drop {
        /// The intended receiver.
        node: NodeId,
        /// The message.
        msg: TraceMsg,
        /// Why it was lost.
        reason: DropReason,
    },
    /// `node` stored an entry at `index`.
    Append {
        /// The node.
        node: NodeId,
        /// Where.
        index: Index,
        /// The entry's term.
        term: Term,
        /// The entry's command.
        #[serde(serialize_with = "command_str")]
        command: Command,
    },
    /// `node` removed its entries from `index` on.
    Truncate {
        /// The node.
        node: NodeId,
        /// First index removed.
        index: Index,
    },
    /// `node`'s commit index became `index`.
    Commit {
        /// The node.
        node: NodeId,
        /// The new commit index.
        index: Index,
    },
    /// `node` applied the entry at `index` to its key-value store.
    Apply {
        /// The node.
        node: NodeId,
        /// The index.
        index: Index,
        /// The entry's term.
        term: Term,
        /// The entry's command.
        #[serde(serialize_with = "command_str")]
        command: Command,
    },
    /// `node` took a snapshot of its state machine up to `index` (the entry there has `term`)
    /// and dropped the log entries it replaces (paper section 7).
    Snapshot {
        /// The node.
        node: NodeId,
        /// The snapshot's last included index.
        index: Index,
        /// The snapshot's last included term.
        term: Term,
    },
    /// `node` installed the snapshot its leader sent (InstallSnapshot, Figure 13): its state
    /// machine and commit index are now at `index`.
    InstallSnapshot {
        /// The node.
        node: NodeId,
        /// The snapshot's last included index.
        index: Index,
        /// The snapshot's last included term.
        term: Term,
    },
    /// `node` crashed: it loses its volatile state and stops until restarted.
    Crash {
        /// The node.
        node: NodeId,
    },
    /// `node` started again from its persistent state.
    Restart {
        /// The node.
        node: NodeId,
    },
    /// `node`'s process froze (a `pause` fault: a garbage collection pause, a stalled
    /// virtual machine) until simulated time `until_us` (microseconds, like `t_us`). It handles
    /// nothing meanwhile; its clock keeps running.
    Pause {
        /// The node.
        node: NodeId,
        /// When it wakes, in microseconds.
        until: Micros,
    },
    /// An event of a server of another system than Raft (`system: "quorum"` or `"lease"`),
    /// with the kind and fields its crate gives it (`docs/trace-format.md`).
    Sys {
        /// The server.
        node: NodeId,
        /// What happened.
        event: crate::system::SysEvent,
    },
    /// `node`'s process runs again after a pause: its overdue timer fires first, then it
    /// handles the messages and requests that waited (each traced as `deliver`, and so on).
    Wake {
        /// The node.
        node: NodeId,
    },
    /// The network was split into `groups` (every node is in exactly one group).
    Partition {
        /// The groups, each a sorted list of nodes.
        groups: Vec<Vec<NodeId>>,
    },
    /// Every link works again (partitions, isolations and cuts are undone).
    Heal,
    /// The link between two nodes was cut, both ways.
    Cut {
        /// The two ends, the smaller first.
        nodes: [NodeId; 2],
    },
    /// The link between two nodes works again.
    Restore {
        /// The two ends, the smaller first.
        nodes: [NodeId; 2],
    },
    /// `node`'s election timeout was forced to expire.
    Timeout {
        /// The node.
        node: NodeId,
    },
    /// `node`'s next timer was fired by hand (a `fire_timer` action): a leader's heartbeat,
    /// another server's election timeout.
    FireTimer {
        /// The node.
        node: NodeId,
    },
    /// Settings changed; `config` holds the whole new configuration.
    Set {
        /// The configuration now in force, in the scenario's `config` form.
        config: crate::json::Value,
    },
    /// A client sent request `id` carrying `command` to `node` (absent: there was no leader
    /// to send it to).
    ClientRequest {
        /// The receiving node, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        /// Request id, unique in the run.
        id: RequestId,
        /// The command.
        #[serde(serialize_with = "command_str")]
        command: Command,
    },
    /// The client got an answer to request `id` (or gave up waiting).
    ClientReply {
        /// The node that answered (or was asked).
        #[serde(skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        /// The request.
        id: RequestId,
        /// `ok`, `redirect` or `timeout`.
        result: ReplyResult,
        /// For a redirect: the leader the node knows of (`null` when it knows none).
        #[serde(skip_serializing_if = "Option::is_none")]
        leader: Option<Option<NodeId>>,
        /// For an answered read: the value read (`null` when the key is not set).
        #[serde(skip_serializing_if = "Option::is_none")]
        value: Option<Option<String>>,
    },
    /// A client asked `node` (absent: there was no leader to ask) to read `key` in `mode`.
    ClientRead {
        /// The receiving node, if any.
        #[serde(skip_serializing_if = "Option::is_none")]
        node: Option<NodeId>,
        /// Request id, unique in the run.
        id: RequestId,
        /// The key.
        key: String,
        /// How the read is served: `any`, `leader_local`, `read_index` or `lease`.
        mode: ReadMode,
    },
    /// The safety checker found a broken property.
    Violation {
        /// The property's name, e.g. `election_safety`.
        property: String,
        /// What was seen.
        detail: String,
        /// The nodes involved.
        nodes: Vec<NodeId>,
        /// The run's seed.
        seed: u64,
    },
    /// `node` refused `candidate`'s vote request (`pre_vote`: its pre-vote request) for `term`
    /// because of `reason`; the NDJSON line spells the reason out (see `docs/trace-format.md`).
    VoteRefused {
        /// The voter.
        node: NodeId,
        /// Who asked.
        candidate: NodeId,
        /// The term asked for.
        term: Term,
        /// A pre-vote (thesis 9.6) rather than a vote.
        pre_vote: bool,
        /// Why (written as `reason` and its fields in the NDJSON line).
        #[serde(skip)]
        reason: VoteRefusal,
    },
    /// `node` rejected `leader`'s AppendEntries of `term` whose previous entry is
    /// (`prev_index`, `prev_term`) because of `reason`.
    AppendRejected {
        /// The follower.
        node: NodeId,
        /// The sender.
        leader: NodeId,
        /// The sender's term.
        term: Term,
        /// prevLogIndex of the request.
        prev_index: Index,
        /// prevLogTerm of the request.
        prev_term: Term,
        /// Why (written as `reason` and its fields in the NDJSON line).
        #[serde(skip)]
        reason: AppendRejection,
    },
    /// After the run of another system than Raft: one line per server with its final state,
    /// written as kind `final` with `node`, `alive`, then the system's own `fields`
    /// (`docs/trace-format.md`).
    #[serde(skip)]
    FinalSystem {
        /// The server.
        node: NodeId,
        /// Whether it is up.
        alive: bool,
        /// Its state: `role`, then that role's fields.
        fields: Vec<(&'static str, crate::json::Value)>,
    },
    /// After the run: one line per node with its final state.
    Final {
        /// The node.
        node: NodeId,
        /// Its term.
        term: Term,
        /// `follower`, `candidate` or `leader`.
        role: &'static str,
        /// Whether it is up.
        alive: bool,
        /// Its commit index.
        commit_index: Index,
        /// Its log after its snapshot: index `snapshot_index + 1` first (index 1 without one).
        #[serde(serialize_with = "log_json")]
        log: Vec<Entry>,
        /// The last index its snapshot covers; written only when it has one.
        #[serde(skip_serializing_if = "is_zero")]
        snapshot_index: Index,
        /// The term of the entry at `snapshot_index`; written only with a snapshot.
        #[serde(skip_serializing_if = "is_zero")]
        snapshot_term: Term,
    },
}

impl TraceEvent {
    /// The event as one line of NDJSON (without the newline).
    pub fn to_json(&self) -> String {
        let mut out = String::new();
        let mut text = Text::open(&mut out);
        self.fields(&mut text).unwrap_or_else(|e| match e {});
        text.close();
        out
    }
}
