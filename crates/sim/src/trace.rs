//! Trace events and their NDJSON form (one JSON object per line; see `docs/trace-format.md`).
//!
//! The names and fields here are a public contract read by tools outside this repository:
//! add fields and kinds, never rename or remove one.

use raftlab_raft::{Body, Command, Entry, Index, Message, Micros, NodeId, RequestId, Term};
use serde::ser::{SerializeMap, Serializer};
use serde::Serialize;

/// One line of the trace: a time and what happened.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct TraceEvent {
    /// Simulated time in microseconds.
    pub t_us: Micros,
    /// What happened.
    #[serde(flatten)]
    pub kind: TraceKind,
}

/// A message as the trace shows it: its id, its RPC type and fields.
#[derive(Clone, Debug, PartialEq)]
pub struct TraceMsg {
    /// Unique id of this copy of the message within the run.
    pub id: u64,
    /// The message itself.
    pub message: Message,
}

impl Serialize for TraceMsg {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        let m = &self.message;
        let mut map = serializer.serialize_map(None)?;
        map.serialize_entry("id", &self.id)?;
        map.serialize_entry("type", m.body.type_name())?;
        map.serialize_entry("from", &m.from)?;
        map.serialize_entry("to", &m.to)?;
        map.serialize_entry("term", &m.term)?;
        match &m.body {
            Body::RequestVote {
                last_log_index,
                last_log_term,
            } => {
                map.serialize_entry("last_log_index", last_log_index)?;
                map.serialize_entry("last_log_term", last_log_term)?;
            }
            Body::RequestVoteReply { granted } => map.serialize_entry("granted", granted)?,
            Body::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
            } => {
                map.serialize_entry("prev_log_index", prev_log_index)?;
                map.serialize_entry("prev_log_term", prev_log_term)?;
                map.serialize_entry("entries", &LogJson(entries))?;
                map.serialize_entry("leader_commit", leader_commit)?;
            }
            Body::AppendEntriesReply {
                success,
                match_index,
                conflict_index,
                conflict_term,
            } => {
                map.serialize_entry("success", success)?;
                map.serialize_entry("match_index", match_index)?;
                map.serialize_entry("conflict_index", conflict_index)?;
                map.serialize_entry("conflict_term", conflict_term)?;
            }
        }
        map.end()
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
        /// When it arrives or is lost.
        deliver_at_us: Micros,
    },
    /// The network made a second copy of message `of`, travelling as `msg`.
    Duplicate {
        /// The sender.
        node: NodeId,
        /// The copy (with its own id).
        msg: TraceMsg,
        /// Id of the original.
        of: u64,
        /// When the copy arrives or is lost.
        deliver_at_us: Micros,
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
    /// Settings changed; `config` holds the whole new configuration.
    Set {
        /// The configuration now in force, in the scenario's `config` form.
        config: serde_json::Value,
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
        /// Its log, index 1 first.
        #[serde(serialize_with = "log_json")]
        log: Vec<Entry>,
    },
}

impl TraceEvent {
    /// The event as one line of NDJSON (without the newline).
    pub fn to_json(&self) -> String {
        serde_json::to_string(self).expect("trace events always serialize")
    }
}
