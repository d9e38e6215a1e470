//! Plain data shared by the core and its users: ids, log entries, commands, messages.

use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use std::fmt;

/// A snapshot of the state machine (paper section 7, Figure 12): it replaces the log entries up
/// to and including `last_index`, which are all committed.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Snapshot {
    /// The index of the last entry the snapshot replaces (0: no snapshot).
    pub last_index: Index,
    /// The term of that entry.
    pub last_term: Term,
    /// The key-value store after applying every entry up to `last_index`.
    pub kv: BTreeMap<String, String>,
    /// The cluster configuration as of `last_index` (Figure 13 keeps "the latest
    /// configuration as of lastIncludedIndex"; thesis 4.1). Without a snapshot it is the
    /// configuration the server was started with: every initial server, or nobody for a
    /// server that joins later.
    #[serde(default)]
    pub config: Membership,
}

/// A cluster configuration (thesis 4.1): the voters, whose majority elects leaders and commits
/// entries, and the learners (thesis 4.2.1), which receive the log but neither vote nor count
/// towards a majority. Both lists are sorted and hold no duplicate; no server is in both.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct Membership {
    /// The voting servers.
    pub voters: Vec<NodeId>,
    /// The non-voting servers catching up before they become voters.
    pub learners: Vec<NodeId>,
}

impl Membership {
    /// A configuration with these voters and learners (sorted, duplicates dropped; a server
    /// listed in both is a voter).
    pub fn new(voters: &[NodeId], learners: &[NodeId]) -> Membership {
        let mut voters = voters.to_vec();
        crate::node::sort_small(&mut voters);
        voters.dedup();
        let mut learners: Vec<NodeId> = learners
            .iter()
            .copied()
            .filter(|id| voters.binary_search(id).is_err())
            .collect();
        crate::node::sort_small(&mut learners);
        learners.dedup();
        Membership { voters, learners }
    }
    /// Whether `id` votes in this configuration.
    pub fn is_voter(&self, id: NodeId) -> bool {
        self.voters.binary_search(&id).is_ok()
    }
    /// Whether `id` is a voter or a learner.
    pub fn contains(&self, id: NodeId) -> bool {
        self.is_voter(id) || self.learners.binary_search(&id).is_ok()
    }
    /// Voters then learners.
    pub fn members(&self) -> impl Iterator<Item = NodeId> + '_ {
        self.voters.iter().chain(&self.learners).copied()
    }
    /// How many voters make a majority (5.2): more than half. 2f+1 voters survive f failures.
    pub fn quorum(&self) -> usize {
        self.voters.len() / 2 + 1
    }
    /// The configuration `change` gives (thesis 4.1: one server at a time; a new server
    /// joins as a learner, thesis 4.2.1), or why the change is refused: it would do nothing
    /// (`it is already a member`, `it is not a member`) or leave no voter (`it is the last
    /// voter`).
    pub fn apply(&self, change: MembershipChange) -> Result<Membership, &'static str> {
        let without = |ids: &[NodeId], id: NodeId| -> Vec<NodeId> {
            ids.iter().copied().filter(|&x| x != id).collect()
        };
        match change {
            MembershipChange::Add(id) if self.contains(id) => Err("it is already a member"),
            MembershipChange::Add(id) => {
                let mut learners = self.learners.clone();
                learners.push(id);
                Ok(Membership::new(&self.voters, &learners))
            }
            MembershipChange::Remove(id) if !self.contains(id) => Err("it is not a member"),
            MembershipChange::Remove(id) if self.voters == [id] => Err("it is the last voter"),
            MembershipChange::Remove(id) => Ok(Membership::new(
                &without(&self.voters, id),
                &without(&self.learners, id),
            )),
        }
    }
    /// The configuration with learner `id` made a voter (thesis 4.2.1).
    pub fn promote(&self, id: NodeId) -> Membership {
        let mut voters = self.voters.clone();
        voters.push(id);
        Membership::new(&voters, &self.learners)
    }
    /// How many voters can fail while a majority remains: `(voters - 1) / 2`.
    pub fn tolerates(&self) -> usize {
        self.voters.len().saturating_sub(1) / 2
    }
}

impl fmt::Display for Membership {
    /// `voters=1,2,3`, followed by ` learners=4` when there are learners.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let list = |f: &mut fmt::Formatter<'_>, ids: &[NodeId]| {
            for (i, id) in ids.iter().enumerate() {
                if i > 0 {
                    f.write_str(",")?;
                }
                write!(f, "{id}")?;
            }
            Ok(())
        };
        f.write_str("voters=")?;
        list(f, &self.voters)?;
        if !self.learners.is_empty() {
            f.write_str(" learners=")?;
            list(f, &self.learners)?;
        }
        Ok(())
    }
}

/// One membership change a leader is asked to make (thesis 4.1: one server at a time).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum MembershipChange {
    /// Add a server: first as a learner; the leader makes it a voter once it has caught up
    /// (thesis 4.2.1).
    Add(NodeId),
    /// Remove a server (voter or learner). A leader that removes itself steps down once the
    /// change is committed (thesis 4.2.2).
    Remove(NodeId),
}

/// A server's id. Servers are numbered from 1.
pub type NodeId = u32;
/// A Raft term (paper Figure 2: `currentTerm` starts at 0 and only grows).
pub type Term = u64;
/// A log index; the first entry has index 1, index 0 means "before the log".
pub type Index = u64;
/// Simulated time in microseconds. The core never reads a clock: time is an input.
pub type Micros = u64;
/// Identifies one client request so its reply can be matched to it.
pub type RequestId = u64;

/// A state-machine command carried by a log entry.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum Command {
    /// The empty entry a new leader appends in its own term (paper section 8).
    Noop,
    /// Set `key` to `value` in the key-value store.
    Set {
        /// The key written.
        key: String,
        /// The value stored.
        value: String,
    },
    /// Remove `key` from the key-value store.
    Delete {
        /// The key removed.
        key: String,
    },
    /// A configuration entry (thesis 4.1): from the moment it is in a server's log, that server
    /// uses this configuration, committed or not. It changes nothing in the key-value store.
    Config(Membership),
}

impl fmt::Display for Command {
    /// The trace form of a command: `noop`, `set x=2`, `delete x`, `config voters=1,2,3`
    /// (with ` learners=4` when there are learners).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Command::Config(m) => write!(f, "config {m}"),
            Command::Noop => f.write_str("noop"),
            Command::Set { key, value } => write!(f, "set {key}={value}"),
            Command::Delete { key } => write!(f, "delete {key}"),
        }
    }
}

/// One log entry: a command and the term in which a leader created it (paper 5.3).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Entry {
    /// The term of the leader that created the entry.
    pub term: Term,
    /// The command to apply once the entry is committed.
    pub command: Command,
}

/// Which part of Raft a server is playing (paper 5.1, Figure 4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Passive: answers leaders and candidates.
    Follower,
    /// Asking for votes to become leader.
    Candidate,
    /// Asking whether it could win an election before starting one (PreVote, thesis 9.6):
    /// its term has not changed yet.
    PreCandidate,
    /// Handles clients and replicates the log.
    Leader,
}

impl Role {
    /// The lowercase name used in traces and the scripting API.
    pub fn as_str(self) -> &'static str {
        match self {
            Role::Follower => "follower",
            Role::Candidate => "candidate",
            Role::Leader => "leader",
            Role::PreCandidate => "precandidate",
        }
    }
}

/// A message between two servers. Every message carries the sender's term (paper 5.1).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Message {
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// The sender's current term.
    pub term: Term,
    /// What the message says.
    pub body: Body,
}

/// The RPCs of paper Figure 2, with the repair hint of section 5.3.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum Body {
    /// A candidate asks for a vote (Figure 2, RequestVote arguments).
    RequestVote {
        /// Index of the candidate's last log entry.
        last_log_index: Index,
        /// Term of the candidate's last log entry.
        last_log_term: Term,
        /// True when the election was started by a leadership transfer (TimeoutNow): servers
        /// that hear from the leader vote anyway (thesis 3.10, 4.2.3).
        #[serde(default)]
        transfer: bool,
    },
    /// The answer to a RequestVote.
    RequestVoteReply {
        /// True when the voter granted its vote.
        granted: bool,
    },
    /// A pre-candidate asks whether it would get a vote (PreVote, thesis 9.6). The message's
    /// term is the term it would campaign in (its own term + 1); the receiver changes nothing.
    PreVote {
        /// Index of the pre-candidate's last log entry.
        last_log_index: Index,
        /// Term of the pre-candidate's last log entry.
        last_log_term: Term,
    },
    /// A leader hands over leadership: the receiver starts an election at once, without
    /// waiting for its timeout or asking for pre-votes (thesis 3.10).
    TimeoutNow,
    /// The answer to a PreVote: when granted, the message carries the term asked about;
    /// otherwise the receiver's own term.
    PreVoteReply {
        /// True when the receiver would vote for the pre-candidate.
        granted: bool,
    },
    /// A leader replicates entries, or sends a heartbeat when `entries` is empty.
    AppendEntries {
        /// Index of the entry just before the new ones.
        prev_log_index: Index,
        /// Term of the entry at `prev_log_index`.
        prev_log_term: Term,
        /// Entries to store (empty for a heartbeat).
        entries: Vec<Entry>,
        /// The leader's commit index.
        leader_commit: Index,
        /// The leader's clock when it sent the message; the reply echoes it, so the leader
        /// knows how recently a majority heard from it (reads, thesis 6.4).
        #[serde(default)]
        stamp: Micros,
    },
    /// The answer to an AppendEntries.
    AppendEntriesReply {
        /// True when the follower's log matched at `prev_log_index` and now holds the entries.
        success: bool,
        /// On success: the index of the last entry known to match the leader's log.
        /// On failure: the `prev_log_index` that was refused.
        match_index: Index,
        /// On failure, the repair hint: the first index of the conflicting term, or the
        /// follower's last index + 1 when its log is too short (paper 5.3, last paragraphs).
        conflict_index: Index,
        /// On failure, the term of the follower's entry at `prev_log_index`, if it had one.
        conflict_term: Option<Term>,
        /// The `stamp` of the AppendEntries answered.
        #[serde(default)]
        stamp: Micros,
    },
    /// A leader sends its snapshot to a follower that needs entries the leader has already
    /// compacted away (paper section 7, Figure 13, sent in one chunk: `offset` 0, `done`).
    InstallSnapshot {
        /// The snapshot replaces all entries up to and including this index.
        last_included_index: Index,
        /// The term of the entry at `last_included_index`.
        last_included_term: Term,
        /// The state machine (the key-value store) as of `last_included_index`.
        data: BTreeMap<String, String>,
        /// The latest configuration as of `last_included_index` (Figure 13, thesis 4.1).
        #[serde(default)]
        config: Membership,
    },
    /// The answer to an InstallSnapshot (Figure 13: the receiver's term, carried by the
    /// message), naming the snapshot answered so the leader can update matchIndex.
    InstallSnapshotReply {
        /// The `last_included_index` of the snapshot answered.
        last_included_index: Index,
    },
}

impl Body {
    /// The RPC name used in traces: `RequestVote`, `RequestVoteReply`, `AppendEntries`,
    /// `AppendEntriesReply`, `PreVote`, `PreVoteReply`, `TimeoutNow`, `InstallSnapshot`,
    /// `InstallSnapshotReply`.
    pub fn type_name(&self) -> &'static str {
        match self {
            Body::RequestVote { .. } => "RequestVote",
            Body::RequestVoteReply { .. } => "RequestVoteReply",
            Body::AppendEntries { .. } => "AppendEntries",
            Body::AppendEntriesReply { .. } => "AppendEntriesReply",
            Body::PreVote { .. } => "PreVote",
            Body::PreVoteReply { .. } => "PreVoteReply",
            Body::TimeoutNow => "TimeoutNow",
            Body::InstallSnapshot { .. } => "InstallSnapshot",
            Body::InstallSnapshotReply { .. } => "InstallSnapshotReply",
        }
    }
}

/// How a client read is served (thesis 6.4).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum ReadMode {
    /// Any server answers from its own state machine at once: it may be stale.
    Any,
    /// A server that believes it leads answers at once, without checking that it still
    /// does: stale when it was deposed without knowing.
    LeaderLocal,
    /// ReadIndex (thesis 6.4): the leader notes its commit index (once an entry of its term
    /// is committed), confirms it still leads with a round of heartbeats to a majority, and
    /// answers once that index is applied. Linearizable.
    ReadIndex,
    /// Leader lease (thesis 6.4.1): the leader answers at once while a majority has heard
    /// from it recently enough that no other leader can exist; otherwise as ReadIndex.
    /// Linearizable while clocks drift less than the configured bound (and CheckQuorum makes
    /// followers refuse votes meanwhile).
    Lease,
}

impl ReadMode {
    /// Every mode, in the order of the documentation.
    pub const ALL: [ReadMode; 4] = [
        ReadMode::Any,
        ReadMode::LeaderLocal,
        ReadMode::ReadIndex,
        ReadMode::Lease,
    ];

    /// The name used in scenarios and traces: `any`, `leader_local`, `read_index`, `lease`.
    pub fn as_str(self) -> &'static str {
        match self {
            ReadMode::Any => "any",
            ReadMode::LeaderLocal => "leader_local",
            ReadMode::ReadIndex => "read_index",
            ReadMode::Lease => "lease",
        }
    }
}

/// The outcome of a client request.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub enum ClientResult {
    /// The command was committed and applied.
    Ok,
    /// A read's answer: the key's value, or `None` when the key is not set.
    Value {
        /// The value read.
        value: Option<String>,
    },
    /// This server is not the leader; `leader` is the one it knows of, if any.
    Redirect {
        /// The leader this server knows of.
        leader: Option<NodeId>,
    },
}

/// A reply to a client request.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ClientReply {
    /// The request answered.
    pub request: RequestId,
    /// What happened to it.
    pub result: ClientResult,
}
