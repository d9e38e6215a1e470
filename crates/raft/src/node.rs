//! One Raft server as a deterministic state machine: [`Node::step`] is the single entry point.
//!
//! Section numbers refer to "In Search of an Understandable Consensus Algorithm" (Ongaro and
//! Ousterhout, 2014); "thesis" refers to Ongaro's PhD thesis (2014).

use crate::types::*;
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg32;
use std::collections::BTreeMap;

/// Deliberate departures from the paper, for teaching and for proving the checker can fail.
/// All are off by default; a correct cluster never turns them on.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Bugs {
    /// Commit an entry of a previous term as soon as it is on a majority, ignoring the rule of
    /// 5.4.2 that Figure 8 illustrates. As in Figure 8, a new leader then also skips its no-op
    /// entry (which would otherwise mask the bug by committing older entries safely).
    pub commit_previous_term: bool,
    /// Grant votes without the "at least as up to date" log check of 5.4.1.
    pub skip_vote_log_check: bool,
    /// Make membership changes without the two waits of thesis 4.1: a leader appends a
    /// configuration entry while the one before is uncommitted, and before an entry of its
    /// own term is committed (the single-server change bug Ongaro described on raft-dev in
    /// 2015: two changes can then leave two disjoint majorities).
    pub unsafe_membership: bool,
}

/// Timing and behaviour settings of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Config {
    /// Election timeouts are drawn uniformly from `[min, max]` microseconds (5.2).
    pub election_timeout_us: (Micros, Micros),
    /// A leader sends AppendEntries to each follower at least this often (5.2).
    pub heartbeat_us: Micros,
    /// At most this many entries travel in one AppendEntries.
    pub max_entries_per_message: usize,
    /// Injected bugs; see [`Bugs`].
    pub bugs: Bugs,
    /// PreVote (thesis 9.6): before raising its term, a node asks whether it could win, and
    /// peers that hear from a leader say no. A node cut off from the others then cannot
    /// disrupt the cluster when it comes back.
    pub pre_vote: bool,
    /// CheckQuorum (thesis 6.2): a leader that has not heard from a majority within an
    /// election timeout steps down; and a server that hears from a leader (or restarted less
    /// than an election timeout ago) ignores RequestVote (thesis 4.2.3).
    pub check_quorum: bool,
    /// The bound on clock drift that lease reads assume, in millionths (thesis 6.4.1): the
    /// lease lasts `min election timeout x (1 - d) / (1 + d)` of the leader's clock.
    pub clock_drift_ppm: u64,
    /// Log compaction (paper section 7, thesis 5.1): once this many applied entries are not
    /// yet in the snapshot, the node snapshots its state machine up to lastApplied and drops
    /// those entries from its log. 0 turns compaction off.
    pub snapshot_threshold: u64,
    /// Flexible quorums (Howard, Malkhi and Spiegelman 2016, "Flexible Paxos"): how many
    /// votes win an election (phase 1, Q1), pre-votes included. 0: a majority of the voters
    /// (5.2). Q1 and Q2 only need to intersect: when `election_quorum + commit_quorum` is at
    /// most the number of voters, two leaders may commit different entries (safety is lost).
    pub election_quorum: usize,
    /// Flexible quorums: how many servers (the leader included) must hold an entry of the
    /// leader's term for it to be committed (phase 2, Q2). 0: a majority of the voters
    /// (5.3, 5.4.2).
    pub commit_quorum: usize,
}

impl Default for Config {
    fn default() -> Self {
        Config {
            election_timeout_us: (150_000, 300_000),
            heartbeat_us: 50_000,
            max_entries_per_message: 64,
            bugs: Bugs::default(),
            pre_vote: false,
            check_quorum: false,
            clock_drift_ppm: 100_000,
            snapshot_threshold: 0,
            election_quorum: 0,
            commit_quorum: 0,
        }
    }
}

/// The state a server keeps on stable storage and recovers after a crash (Figure 2,
/// "Persistent state on all servers").
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Persistent {
    /// Latest term this server has seen.
    pub current_term: Term,
    /// The candidate that received this server's vote in `current_term`, if any.
    pub voted_for: Option<NodeId>,
    /// The log after the snapshot: `log[0]` has index `snapshot.last_index + 1` (index 1
    /// without a snapshot).
    pub log: Vec<Entry>,
    /// The latest snapshot (paper section 7): the state machine up to `snapshot.last_index`,
    /// which replaces the log entries up to there. `last_index` 0: none.
    pub snapshot: Snapshot,
}

/// What a server is told: time passing, a message, a client request, or a forced timeout.
#[derive(Clone, Debug)]
pub enum Input {
    /// Time has advanced to the `now` given to [`Node::step`]; fire any timer that is due.
    Tick,
    /// A message from another server arrived.
    Message(Message),
    /// A client asks to append `command` to the replicated log.
    ClientWrite {
        /// Id used in the reply.
        request: RequestId,
        /// The command to replicate.
        command: Command,
    },
    /// Make the election timeout expire now (a teaching control; same path as a real timeout).
    Timeout,
    /// Fire this server's next timer now, whatever its deadline (a teaching control for a
    /// simulator whose timers are driven by hand). On a follower or candidate it is the
    /// election timeout, as [`Input::Timeout`]: it starts an election (Figure 2, paper 5.2),
    /// or a pre-vote with PreVote on (thesis 9.6), if this server may campaign (thesis 4.1;
    /// otherwise its election timer restarts). On a leader it is the heartbeat deadline: with
    /// CheckQuorum on, a leader that heard from no majority within the shortest election
    /// timeout steps down (thesis 6.2); otherwise it sends a round of AppendEntries
    /// (heartbeats, paper 5.2) and restarts its heartbeat timer. A leadership transfer whose
    /// deadline has passed is given up first, as on a real heartbeat deadline (thesis 3.10).
    FireTimer,
    /// A client asks to read `key` (thesis 6.4).
    ClientRead {
        /// Id used in the reply.
        request: RequestId,
        /// The key read.
        key: String,
        /// How the read is served.
        mode: ReadMode,
    },
    /// Hand leadership over to server `to` (thesis 3.10); only a leader acts on it.
    TransferLeadership {
        /// The server that should lead next.
        to: NodeId,
    },
    /// Add or remove one server (thesis 4.1); only a leader acts on it. The leader queues the
    /// change and makes it as soon as it may: once an entry of its own term is committed, no
    /// earlier configuration entry is uncommitted, and no learner is still catching up (a
    /// change removing a learner does not wait for that). A change that would do nothing (adding
    /// a member, removing a non-member) or leave no voter is dropped with
    /// [`Event::MembershipRefused`].
    ChangeMembership(MembershipChange),
}

/// Something that happened inside a node, reported so a simulator can trace and check it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// The node became a follower in `term`.
    BecomeFollower {
        /// Its term.
        term: Term,
    },
    /// The node became a candidate for `term`.
    BecomeCandidate {
        /// Its new term.
        term: Term,
    },
    /// The node started a pre-vote (PreVote, thesis 9.6): it asks whether it could win an
    /// election for `term` + 1, without changing its term.
    BecomePreCandidate {
        /// Its term (unchanged).
        term: Term,
    },
    /// The leader stepped down: it has not heard from a majority within an election timeout
    /// (CheckQuorum, thesis 6.2). A `BecomeFollower` follows.
    StepDown {
        /// Its term.
        term: Term,
    },
    /// The leader started handing leadership over to `to` (thesis 3.10): it takes no client
    /// request until the transfer ends.
    TransferStart {
        /// The server that should lead next.
        to: NodeId,
    },
    /// The leader gave up a transfer to `to` that did not complete within an election
    /// timeout, and takes client requests again.
    TransferAbort {
        /// The server that was to lead.
        to: NodeId,
    },
    /// The node won the election for `term`.
    BecomeLeader {
        /// Its term.
        term: Term,
    },
    /// The node granted its vote in `term` to `candidate` (itself included).
    Vote {
        /// Who got the vote.
        candidate: NodeId,
        /// In which term.
        term: Term,
    },
    /// The node stored an entry at `index`.
    Append {
        /// Where.
        index: Index,
        /// The entry's term.
        term: Term,
        /// The entry's command.
        command: Command,
    },
    /// The node deleted its entries from `from` on (a conflict, 5.3).
    Truncate {
        /// The first index removed.
        from: Index,
    },
    /// The node's commit index became `index`.
    Commit {
        /// The new commit index.
        index: Index,
    },
    /// The node applied the entry at `index` to its state machine.
    Apply {
        /// Index applied.
        index: Index,
        /// The entry's term.
        term: Term,
        /// The entry's command.
        command: Command,
    },
    /// The node took a snapshot of its state machine up to `last_index` and dropped the log
    /// entries it replaces (paper section 7).
    Snapshot {
        /// The last index the snapshot covers (the node's lastApplied).
        last_index: Index,
        /// The term of the entry at `last_index`.
        last_term: Term,
    },
    /// The configuration this node uses changed (thesis 4.1: a server uses the latest
    /// configuration in its log, committed or not): a configuration entry was appended, or
    /// removed by a truncation, or a snapshot brought one. `index` is where that
    /// configuration's entry is (the snapshot's last index for one from a snapshot, 0 for the
    /// initial one).
    Membership {
        /// Where the configuration comes from.
        index: Index,
        /// The configuration now in use.
        config: Membership,
    },
    /// A leader dropped a membership change it was asked for, because `reason`.
    MembershipRefused {
        /// The change.
        change: MembershipChange,
        /// Why, in words (e.g. "S4 is already a member").
        reason: &'static str,
    },
    /// The node refused `candidate`'s vote request (or pre-vote request, `pre_vote`) for
    /// `term`, because of `reason`: "S3 refused S4's vote for term 3: S4's log is behind".
    VoteRefused {
        /// Who asked.
        candidate: NodeId,
        /// The term asked for (for a pre-vote, the term the pre-candidate would campaign in).
        term: Term,
        /// A pre-vote (thesis 9.6) rather than a vote.
        pre_vote: bool,
        /// Why.
        reason: VoteRefusal,
    },
    /// The node rejected `leader`'s AppendEntries of `term` whose previous entry is
    /// (`prev_index`, `prev_term`), because of `reason`: "S2 rejected S1's entries: its log
    /// has no entry 5".
    AppendRejected {
        /// Who sent it.
        leader: NodeId,
        /// The sender's term.
        term: Term,
        /// prevLogIndex of the request.
        prev_index: Index,
        /// prevLogTerm of the request.
        prev_term: Term,
        /// Why.
        reason: AppendRejection,
    },
    /// The node installed a snapshot sent by its leader (InstallSnapshot, Figure 13): its
    /// state machine, commit index and lastApplied are now at `last_index`, and its log keeps
    /// only the entries after `last_index` (none unless it held that entry in `last_term`).
    InstallSnapshot {
        /// The last index the snapshot covers.
        last_index: Index,
        /// The term of the entry at `last_index`.
        last_term: Term,
    },
}

/// Why a server refused a vote or a pre-vote ([`Event::VoteRefused`]).
///
/// A server that is not a voter of its own configuration (a learner, a removed server) still
/// answers like any other, as in etcd: thesis 4.1 lets the candidate's configuration decide
/// whose votes count. It is the *candidate* that must be a voter of the receiver's latest
/// configuration ([`VoteRefusal::NotAVoter`]).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum VoteRefusal {
    /// The candidate's term is lower than the voter's (Figure 2, RequestVote rule 1); for a
    /// pre-vote, the term it would campaign in is not later than the voter's (thesis 9.6).
    StaleTerm {
        /// The voter's term.
        voter_term: Term,
    },
    /// The voter already voted for `voted_for` in this term: one vote per term (5.2).
    AlreadyVoted {
        /// Who has the vote (the voter itself when it is a candidate or leader).
        voted_for: NodeId,
    },
    /// The candidate's log is less up to date than the voter's (5.4.1): its last term is
    /// earlier, or equal with a shorter log.
    LogBehind {
        /// Term of the candidate's last entry.
        candidate_last_term: Term,
        /// Index of the candidate's last entry.
        candidate_last_index: Index,
        /// Term of the voter's last entry.
        voter_last_term: Term,
        /// Index of the voter's last entry.
        voter_last_index: Index,
    },
    /// The voter hears from a leader (CheckQuorum, thesis 4.2.3, which ignores the
    /// RequestVote and sends no reply; PreVote, thesis 9.6), or is in its quiet period after a
    /// restart.
    LeaderAlive {
        /// The leader it hears from (itself when it leads); `None` in the quiet period after
        /// a restart.
        leader: Option<NodeId>,
    },
    /// The candidate is not a voter of the receiver's latest configuration (thesis 4.1: each
    /// server uses the latest configuration in its log, committed or not): a removed server,
    /// or a new one not yet added or still a learner (thesis 4.2.1), cannot win the vote of a
    /// server that knows it does not vote (thesis 4.2.3, as HashiCorp raft does). Unlike
    /// HashiCorp raft, only when the candidate's log is not more up to date than the
    /// receiver's (5.4.1): a log that is ahead may hold a later configuration, and refusing
    /// it can leave no server able to win. A server that knows no configuration at all (a
    /// new server with an empty log) refuses no one for this reason.
    NotAVoter {
        /// Where the receiver's configuration comes from: the index of its configuration
        /// entry (or of the snapshot holding it; 0 for the initial configuration).
        config_index: Index,
        /// The voters of that configuration.
        voters: Vec<NodeId>,
    },
}

/// Why a follower rejected an AppendEntries ([`Event::AppendRejected`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AppendRejection {
    /// The sender's term is lower than the follower's (Figure 2, AppendEntries rule 1).
    StaleTerm {
        /// The follower's term.
        follower_term: Term,
    },
    /// The follower's log has no entry at prevLogIndex with term prevLogTerm (Figure 2,
    /// AppendEntries rule 2; 5.3). The hint tells the leader where to resume.
    LogMismatch {
        /// Where the leader should resume: the first index of the follower's conflicting term,
        /// or the follower's last index + 1 when its log is too short.
        conflict_index: Index,
        /// The term of the follower's entry at prevLogIndex; `None` when it has none.
        conflict_term: Option<Term>,
    },
}

/// Everything one step asks the caller to do, in order: persist first, then send (as in
/// etcd's `Ready`). Reuse one value across steps; [`Ready::clear`] empties it.
#[derive(Clone, Debug, Default)]
pub struct Ready {
    /// True when `current_term`, `voted_for` or the log changed and must reach stable storage
    /// before any message below is sent.
    pub persist: bool,
    /// Messages to send.
    pub messages: Vec<Message>,
    /// Replies to client requests.
    pub replies: Vec<ClientReply>,
    /// What happened, in order.
    pub events: Vec<Event>,
}

impl Ready {
    /// Empties the value for the next step, keeping its allocations.
    pub fn clear(&mut self) {
        self.persist = false;
        self.messages.clear();
        self.replies.clear();
        self.events.clear();
    }
}

/// A leader's view of one follower (Figure 2, "Volatile state on leaders").
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Progress {
    /// The follower.
    pub id: NodeId,
    /// Index of the next entry to send to it.
    pub next_index: Index,
    /// Highest index known to be replicated on it.
    pub match_index: Index,
}

/// A read waiting at the leader (ReadIndex, or a lease read without a valid lease).
#[derive(Clone, Debug)]
struct PendingRead {
    request: RequestId,
    key: String,
    /// The commit index to reach before answering.
    read_index: Index,
    /// Leadership is confirmed once a majority has echoed a stamp this recent.
    since: Micros,
}

/// One Raft server.
#[derive(Clone, Debug)]
pub struct Node {
    id: NodeId,
    // The servers a leader replicates to: the members of the latest configuration, and while
    // that configuration is uncommitted also those of the one before (so a removed server
    // still hears of its removal), this server excluded.
    peers: Vec<NodeId>,
    // The latest configuration in the log or snapshot (thesis 4.1), and the index of its entry.
    membership: Membership,
    config_index: Index,
    // Membership changes a leader was asked for and has not made yet, oldest first.
    changes: Vec<MembershipChange>,
    config: Config,
    rng: Pcg32,
    persistent: Persistent,
    // Volatile state on all servers (Figure 2).
    role: Role,
    commit_index: Index,
    last_applied: Index,
    leader: Option<NodeId>,
    votes: Vec<NodeId>,
    // Volatile state on leaders (Figure 2).
    progress: Vec<Progress>,
    pending: Vec<(Index, Term, RequestId)>,
    kv: BTreeMap<String, String>,
    // When this follower last heard from its leader (for PreVote and CheckQuorum).
    leader_contact: Micros,
    // A leader's last reply from each follower, by `progress` position (CheckQuorum).
    acks: Vec<Micros>,
    // A leadership transfer under way: (target, when to give up, TimeoutNow sent).
    transfer: Option<(NodeId, Micros, bool)>,
    // A leader's newest stamp echoed by each follower, by `progress` position (reads).
    stamps: Vec<Micros>,
    // The index of the first entry of the leader's term (its no-op): reads wait until it is
    // committed, so the state machine holds everything committed before the term.
    term_start: Index,
    // Reads waiting for leadership to be confirmed (and the state machine to catch up).
    reads: Vec<PendingRead>,
    // With CheckQuorum, a restarted server grants no vote before this time (it may have
    // promised a leader, before the crash, to vote for nobody else until then).
    quiet_until: Micros,
    // The time given to the step being handled.
    now: Micros,
    // The stamp of the AppendEntries being answered.
    echo: Micros,
    // Timers as absolute deadlines.
    election_started: Micros,
    election_deadline: Micros,
    heartbeat_deadline: Micros,
}

impl Node {
    /// A new server with an empty log. `members` lists the voters of the cluster's initial
    /// configuration, this one included; it is empty for a server that joins later and waits
    /// for a leader to add it (thesis 4.1). `seed` feeds the node's own random generator
    /// (election timeouts).
    pub fn new(id: NodeId, members: &[NodeId], config: Config, seed: u64, now: Micros) -> Node {
        let mut persistent = Persistent::default();
        persistent.snapshot.config = Membership::new(members, &[]);
        Node::recover(id, config, persistent, seed, now)
    }

    /// A server started from its persistent state, as after a crash: everything volatile
    /// starts afresh (Figure 2). The state machine is rebuilt from the snapshot, which holds
    /// only committed entries, so `commit_index` and `last_applied` start at the snapshot's
    /// last index (0 without one) until a leader says more (paper section 7).
    /// The configuration is the latest one in the log, or else the snapshot's (thesis 4.1).
    pub fn recover(
        id: NodeId,
        config: Config,
        persistent: Persistent,
        seed: u64,
        now: Micros,
    ) -> Node {
        let snapshot_index = persistent.snapshot.last_index;
        let kv = persistent.snapshot.kv.clone();
        let mut node = Node {
            id,
            peers: Vec::new(),
            membership: Membership::default(),
            config_index: 0,
            changes: Vec::new(),
            config,
            rng: Pcg32::seed_from_u64(seed),
            persistent,
            role: Role::Follower,
            commit_index: snapshot_index,
            last_applied: snapshot_index,
            leader: None,
            votes: Vec::new(),
            progress: Vec::new(),
            pending: Vec::new(),
            kv,
            leader_contact: 0,
            acks: Vec::new(),
            transfer: None,
            stamps: Vec::new(),
            term_start: 0,
            reads: Vec::new(),
            quiet_until: now + config.election_timeout_us.0,
            now,
            echo: 0,
            election_started: now,
            election_deadline: now,
            heartbeat_deadline: Micros::MAX,
        };
        let (index, membership) = node.config_at(node.last_index());
        (node.config_index, node.membership) = (index, membership.clone());
        node.peers = node.replication_targets();
        node.reset_election_timer(now);
        node
    }

    /// Gives up all volatile state and returns what survives a crash.
    pub fn into_persistent(self) -> Persistent {
        self.persistent
    }

    // ----- accessors -----

    /// This server's id.
    pub fn id(&self) -> NodeId {
        self.id
    }
    /// The servers a leader replicates to: the other members of the latest configuration,
    /// and while it is uncommitted, those of the one before.
    pub fn peers(&self) -> &[NodeId] {
        &self.peers
    }
    /// The configuration this server uses: the latest in its log, committed or not (thesis
    /// 4.1), or its snapshot's.
    pub fn membership(&self) -> &Membership {
        &self.membership
    }
    /// The index of the entry holding [`Node::membership`] (the snapshot's last index when it
    /// comes from the snapshot; 0 for the initial configuration).
    pub fn membership_index(&self) -> Index {
        self.config_index
    }
    /// The latest configuration at or before `index` and where its entry is (the snapshot's
    /// when the log holds none up to there).
    pub fn config_at(&self, index: Index) -> (Index, &Membership) {
        let offset = self.snapshot_index();
        let upto = index.min(self.last_index());
        let mut i = upto;
        while i > offset {
            if let Command::Config(m) = &self.persistent.log[(i - offset - 1) as usize].command {
                return (i, m);
            }
            i -= 1;
        }
        (offset, &self.persistent.snapshot.config)
    }
    /// Membership changes a leader has been asked for and has not made yet, oldest first.
    pub fn pending_changes(&self) -> &[MembershipChange] {
        &self.changes
    }
    /// Current settings.
    pub fn config(&self) -> &Config {
        &self.config
    }
    /// Changes settings; timers already running keep their deadlines.
    pub fn set_config(&mut self, config: Config) {
        self.config = config;
    }
    /// Current role.
    pub fn role(&self) -> Role {
        self.role
    }
    /// `currentTerm`.
    pub fn term(&self) -> Term {
        self.persistent.current_term
    }
    /// `votedFor` in the current term.
    pub fn voted_for(&self) -> Option<NodeId> {
        self.persistent.voted_for
    }
    /// The persistent state.
    pub fn persistent(&self) -> &Persistent {
        &self.persistent
    }
    /// The log entries after the snapshot: `log()[0]` has index [`Node::first_index`] (1
    /// without a snapshot). Entries up to [`Node::snapshot_index`] were compacted away
    /// (paper section 7).
    pub fn log(&self) -> &[Entry] {
        &self.persistent.log
    }
    /// The index of `log()[0]`: the snapshot's last index + 1.
    pub fn first_index(&self) -> Index {
        self.persistent.snapshot.last_index + 1
    }
    /// The last index the snapshot covers (0: no snapshot).
    pub fn snapshot_index(&self) -> Index {
        self.persistent.snapshot.last_index
    }
    /// The term of the entry at [`Node::snapshot_index`] (0: no snapshot).
    pub fn snapshot_term(&self) -> Term {
        self.persistent.snapshot.last_term
    }
    /// The snapshot (paper section 7): last included index and term, and the state machine.
    pub fn snapshot(&self) -> &Snapshot {
        &self.persistent.snapshot
    }
    /// The entry at absolute index `index`, if the log still holds it (not compacted, not
    /// past the end).
    pub fn entry(&self, index: Index) -> Option<&Entry> {
        let offset = self.snapshot_index();
        if index <= offset {
            return None;
        }
        self.persistent.log.get((index - offset - 1) as usize)
    }
    /// `commitIndex`.
    pub fn commit_index(&self) -> Index {
        self.commit_index
    }
    /// `lastApplied`.
    pub fn last_applied(&self) -> Index {
        self.last_applied
    }
    /// The leader this server believes in for its current term (itself when leading).
    pub fn leader(&self) -> Option<NodeId> {
        self.leader
    }
    /// The server a leadership transfer is handing over to, if one is under way.
    pub fn transferring_to(&self) -> Option<NodeId> {
        self.transfer.map(|(to, _, _)| to)
    }
    /// Votes a candidate has collected in its current election (itself included).
    pub fn votes(&self) -> &[NodeId] {
        &self.votes
    }
    /// A leader's `nextIndex` and `matchIndex` per follower; empty otherwise.
    pub fn progress(&self) -> &[Progress] {
        &self.progress
    }
    /// The applied key-value store.
    pub fn kv(&self) -> &BTreeMap<String, String> {
        &self.kv
    }
    /// When the current election timer started and when it fires (`Micros::MAX`: not running).
    pub fn election_timer(&self) -> (Micros, Micros) {
        (self.election_started, self.election_deadline)
    }
    /// When this server last heard from the leader of its term (an AppendEntries or an
    /// InstallSnapshot), on its own clock (0: never since it started). PreVote and
    /// CheckQuorum use it (thesis 9.6, 4.2.3).
    pub fn leader_contact(&self) -> Micros {
        self.leader_contact
    }
    /// A restarted server counts as hearing from a leader before this time on its own clock
    /// (its quiet period): it refuses pre-votes and, with CheckQuorum, votes (thesis 4.2.3).
    pub fn quiet_until(&self) -> Micros {
        self.quiet_until
    }
    /// When a leader next sends heartbeats, on its own clock (`Micros::MAX`: not leading).
    pub fn heartbeat_deadline(&self) -> Micros {
        self.heartbeat_deadline
    }
    /// The earliest time at which a [`Input::Tick`] would change something.
    pub fn next_deadline(&self) -> Micros {
        self.election_deadline.min(self.heartbeat_deadline)
    }
    /// Index of the last log entry, counting those in the snapshot (0 when both are empty).
    pub fn last_index(&self) -> Index {
        self.snapshot_index() + self.persistent.log.len() as Index
    }
    /// Term of the entry at `index`; 0 for index 0; the snapshot's last term at its last
    /// index; `None` past the end, and before the snapshot's last index (compacted away).
    pub fn term_at(&self, index: Index) -> Option<Term> {
        if index == self.snapshot_index() {
            return Some(self.snapshot_term());
        }
        self.entry(index).map(|entry| entry.term)
    }
    fn last_term(&self) -> Term {
        self.persistent
            .log
            .last()
            .map_or(self.snapshot_term(), |entry| entry.term)
    }
    /// The votes that win an election (Q1): a majority of the voters (5.2), or
    /// `Config::election_quorum` (Flexible Paxos), at most every voter.
    pub fn vote_quorum(&self) -> usize {
        flexible(self.config.election_quorum, &self.membership)
    }
    /// The replicas that commit an entry (Q2): a majority of the voters (5.3), or
    /// `Config::commit_quorum` (Flexible Paxos), at most every voter.
    pub fn commit_quorum(&self) -> usize {
        flexible(self.config.commit_quorum, &self.membership)
    }
    /// The servers (this leader included) whose contact confirms that it still leads, for
    /// CheckQuorum (thesis 6.2), ReadIndex and leases (thesis 6.4): enough to intersect every
    /// election quorum (`voters - Q1 + 1`: none of them has voted for a newer leader), and at
    /// least a commit quorum (a leader that cannot commit steps down). With majorities both
    /// are a majority.
    fn confirm_quorum(&self) -> usize {
        let voters = self.membership.voters.len();
        (voters + 1)
            .saturating_sub(self.vote_quorum())
            .max(self.commit_quorum())
    }
    fn is_voter(&self) -> bool {
        self.membership.is_voter(self.id)
    }
    /// How many of `ids` are voters, this server counted when `with_self` and a voter.
    fn voters_among(&self, ids: impl Iterator<Item = NodeId>, with_self: bool) -> usize {
        ids.filter(|&id| self.membership.is_voter(id)).count()
            + usize::from(with_self && self.is_voter())
    }
    /// Whether this server may start an election: it is a voter of its latest configuration,
    /// or that configuration, which removes it, is not known to be committed and it was a
    /// voter of the one before. Like a leader that removes itself and leads until the change
    /// commits (thesis 4.2.2), such a server still helps the change through: it may hold the
    /// most up-to-date log, without which no other server can win.
    pub fn may_campaign(&self) -> bool {
        self.is_voter()
            || (self.config_index > self.commit_index
                && self.config_at(self.config_index - 1).1.is_voter(self.id))
    }
    /// Whether the votes collected so far come from a majority of the voters (or from
    /// `Config::election_quorum` of them).
    fn has_vote_quorum(&self) -> bool {
        self.voters_among(self.votes.iter().copied(), false) >= self.vote_quorum()
    }

    // ----- the entry point -----

    /// Steps the node at time `now` with one input. What it must do is appended to `out`
    /// (the caller clears `out` between steps or keeps accumulating, as it prefers).
    pub fn step(&mut self, now: Micros, input: Input, out: &mut Ready) {
        self.now = now;
        match input {
            Input::ClientRead { request, key, mode } => {
                self.client_read(now, request, key, mode, out)
            }
            Input::Tick => self.tick(now, out),
            Input::Message(message) => self.receive(now, message, out),
            Input::ClientWrite { request, command } => {
                self.client_write(now, request, command, out)
            }
            Input::Timeout => {
                if self.role != Role::Leader {
                    self.election_timeout(now, out);
                }
            }
            Input::FireTimer => {
                if self.role == Role::Leader {
                    self.abort_late_transfer(now, out);
                    self.heartbeat_round(now, out);
                } else {
                    self.election_timeout(now, out);
                }
            }
            Input::TransferLeadership { to } => self.transfer_leadership(now, to, out),
            Input::ChangeMembership(change) => {
                if self.config.election_quorum != 0 || self.config.commit_quorum != 0 {
                    // Quorums given as sizes do not carry over to another set of voters,
                    // and joint or single-server changes assume majorities (thesis 4.1).
                    out.events.push(Event::MembershipRefused {
                        change,
                        reason: "membership changes need majority quorums (election_quorum and commit_quorum are set)",
                    });
                } else if self.role == Role::Leader {
                    self.changes.push(change);
                    self.next_change(out);
                }
            }
        }
    }

    fn client_read(
        &mut self,
        now: Micros,
        request: RequestId,
        key: String,
        mode: ReadMode,
        out: &mut Ready,
    ) {
        let answer = |kv: &BTreeMap<String, String>| ClientResult::Value {
            value: kv.get(&key).cloned(),
        };
        match mode {
            // Whatever this server has applied: possibly stale.
            ReadMode::Any => {
                out.replies.push(ClientReply {
                    request,
                    result: answer(&self.kv),
                });
                return;
            }
            _ if self.role != Role::Leader => {
                out.replies.push(ClientReply {
                    request,
                    result: ClientResult::Redirect {
                        leader: self.leader,
                    },
                });
                return;
            }
            // Stale if this leader was deposed without knowing it.
            ReadMode::LeaderLocal => {
                out.replies.push(ClientReply {
                    request,
                    result: answer(&self.kv),
                });
                return;
            }
            _ => {}
        }
        // Thesis 6.4: the state machine must hold every entry committed before the read,
        // which is certain once an entry of the leader's own term is committed.
        let read_index = self.commit_index.max(self.term_start);
        if mode == ReadMode::Lease && now < self.lease_until(now) && self.last_applied >= read_index
        {
            // Thesis 6.4.1: no other leader can exist before the lease ends.
            out.replies.push(ClientReply {
                request,
                result: answer(&self.kv),
            });
            return;
        }
        self.reads.push(PendingRead {
            request,
            key,
            read_index,
            since: now,
        });
        if self.serve_reads(out) > 0 {
            // Thesis 6.4, step 3: confirm leadership with a round of heartbeats.
            self.broadcast_append(now, out);
        }
    }

    /// The newest stamp a majority (this leader included, at `now`) has echoed.
    fn quorum_stamp(&self, now: Micros) -> Micros {
        // Only voters count (thesis 4.1); a leader that is removing itself does not count
        // itself (thesis 4.2.2).
        let mut stamps: Vec<Micros> = self
            .progress
            .iter()
            .zip(&self.stamps)
            .filter(|(p, _)| self.membership.is_voter(p.id))
            .map(|(_, &s)| s)
            .collect();
        if self.is_voter() {
            stamps.push(now);
        }
        sort_small(&mut stamps);
        stamps.reverse();
        stamps
            .get(self.confirm_quorum().saturating_sub(1))
            .copied()
            .unwrap_or(0)
    }

    /// When the leader's lease ends (thesis 6.4.1): a majority heard from it at
    /// `quorum_stamp`, and none of them votes for another server for an election timeout of
    /// its own clock; with clocks drifting at most `d`, that is safe for `min x (1 - d) /
    /// (1 + d)` of the leader's clock.
    fn lease_until(&self, now: Micros) -> Micros {
        let d = self.config.clock_drift_ppm.min(999_999) as u128;
        let min = self.config.election_timeout_us.0 as u128;
        let lease = min * (1_000_000 - d) / (1_000_000 + d);
        self.quorum_stamp(now).saturating_add(lease as Micros)
    }

    /// A follower echoed `stamp`: leadership may now be confirmed for waiting reads.
    fn note_stamp(&mut self, from: NodeId, term: Term, stamp: Micros, out: &mut Ready) {
        if self.role != Role::Leader || term != self.term() {
            return;
        }
        if let Some(i) = self.progress.iter().position(|p| p.id == from) {
            if let Some(s) = self.stamps.get_mut(i) {
                *s = (*s).max(stamp);
            }
        }
        self.serve_reads(out);
    }

    /// Answers the waiting reads whose leadership round is confirmed and whose read index is
    /// applied; returns how many remain.
    fn serve_reads(&mut self, out: &mut Ready) -> usize {
        if self.reads.is_empty() {
            return 0;
        }
        let confirmed = self.quorum_stamp(self.now);
        let applied = self.last_applied;
        let kv = &self.kv;
        self.reads.retain(|r| {
            if r.since > confirmed || r.read_index > applied {
                return true;
            }
            out.replies.push(ClientReply {
                request: r.request,
                result: ClientResult::Value {
                    value: kv.get(&r.key).cloned(),
                },
            });
            false
        });
        self.reads.len()
    }

    fn transfer_leadership(&mut self, now: Micros, to: NodeId, out: &mut Ready) {
        // Thesis 3.10: the leader stops taking requests, brings the target's log up to date,
        // then tells it to start an election at once; it gives up after an election timeout.
        if self.role != Role::Leader || to == self.id || !self.membership.is_voter(to) {
            return;
        }
        self.transfer = Some((to, now + self.config.election_timeout_us.1, false));
        out.events.push(Event::TransferStart { to });
        self.continue_transfer(out);
    }

    /// Sends TimeoutNow once the transfer's target holds the whole log; until then, keeps
    /// replicating to it.
    fn continue_transfer(&mut self, out: &mut Ready) {
        let Some((to, deadline, false)) = self.transfer else {
            return;
        };
        let Some(i) = self.progress.iter().position(|p| p.id == to) else {
            return;
        };
        if self.progress[i].match_index == self.last_index() {
            self.transfer = Some((to, deadline, true));
            out.messages.push(Message {
                from: self.id,
                to,
                term: self.term(),
                body: Body::TimeoutNow,
            });
        } else if self.progress[i].next_index > self.last_index() {
            // Entries are in flight: their replies bring the transfer on.
        } else {
            self.send_append(i, out);
        }
    }

    fn tick(&mut self, now: Micros, out: &mut Ready) {
        if self.role != Role::Leader && now >= self.election_deadline {
            // Figure 2, Followers and Candidates: on election timeout, start an election.
            self.election_timeout(now, out);
        }
        if self.role == Role::Leader {
            self.abort_late_transfer(now, out);
        }
        if self.role == Role::Leader && now >= self.heartbeat_deadline {
            self.heartbeat_round(now, out);
        }
    }

    /// A leader gives up a leadership transfer whose deadline (an election timeout after it
    /// began) has passed (thesis 3.10).
    fn abort_late_transfer(&mut self, now: Micros, out: &mut Ready) {
        if let Some((to, deadline, _)) = self.transfer {
            if now >= deadline {
                self.transfer = None;
                out.events.push(Event::TransferAbort { to });
            }
        }
    }

    /// What a leader does when its heartbeat timer fires.
    fn heartbeat_round(&mut self, now: Micros, out: &mut Ready) {
        // Thesis 6.2 (CheckQuorum): a leader that has not heard from a majority within
        // an election timeout steps down, so clients can find the real leader.
        if self.config.check_quorum && !self.has_quorum_contact(now) {
            let term = self.term();
            out.events.push(Event::StepDown { term });
            self.become_follower(now, term, None, out);
            return;
        }
        // 5.2: leaders send periodic heartbeats to keep their authority.
        self.broadcast_append(now, out);
    }

    /// Whether a majority (this leader included) replied within the shortest election
    /// timeout.
    fn has_quorum_contact(&self, now: Micros) -> bool {
        let window = self.config.election_timeout_us.0;
        let recent = self
            .progress
            .iter()
            .zip(&self.acks)
            .filter(|(_, &t)| now.saturating_sub(t) < window)
            .map(|(p, _)| p.id);
        self.voters_among(recent, true) >= self.confirm_quorum()
    }

    /// Whether this server has heard from a current leader within the shortest election
    /// timeout (a leader counts as hearing from itself): such a server refuses pre-votes and,
    /// with CheckQuorum, ignores RequestVote (thesis 4.2.3, 9.6).
    fn hears_from_leader(&self, now: Micros) -> bool {
        match self.role {
            Role::Leader => true,
            Role::Follower => {
                (self.leader.is_some()
                    && now.saturating_sub(self.leader_contact) < self.config.election_timeout_us.0)
                    || now < self.quiet_until
            }
            _ => false,
        }
    }

    fn election_timeout(&mut self, now: Micros, out: &mut Ready) {
        // Thesis 4.1: only a voter stands for election; a new server waits for a leader to add
        // it, a removed one stays quiet.
        if !self.may_campaign() {
            self.reset_election_timer(now);
            return;
        }
        if self.config.pre_vote {
            self.start_pre_vote(now, out);
        } else {
            self.start_election(now, out);
        }
    }

    fn start_pre_vote(&mut self, now: Micros, out: &mut Ready) {
        // Thesis 9.6: first ask whether an election could be won, keeping the term.
        let term = self.term();
        self.role = Role::PreCandidate;
        self.leader = None;
        self.progress.clear();
        self.acks.clear();
        self.pending.clear();
        self.changes.clear();
        self.heartbeat_deadline = Micros::MAX;
        self.votes.clear();
        self.votes.push(self.id);
        self.reset_election_timer(now);
        out.events.push(Event::BecomePreCandidate { term });
        if self.has_vote_quorum() {
            self.start_election(now, out);
            return;
        }
        let (last_log_index, last_log_term) = (self.last_index(), self.last_term());
        self.to_peers(term + 1, out, || Body::PreVote {
            last_log_index,
            last_log_term,
        });
    }

    /// 5.4.1: a candidate's log is at least as up to date as ours when its last term is
    /// later, or equal with a log at least as long (the `skip_vote_log_check` bug skips it).
    fn log_ok_for_vote(&self, last_log_index: Index, last_log_term: Term) -> bool {
        let up_to_date = last_log_term > self.last_term()
            || (last_log_term == self.last_term() && last_log_index >= self.last_index());
        up_to_date || self.config.bugs.skip_vote_log_check
    }

    /// The refusal for a candidate whose log is not at least as up to date (5.4.1).
    fn log_behind(&self, last_log_index: Index, last_log_term: Term) -> VoteRefusal {
        VoteRefusal::LogBehind {
            candidate_last_term: last_log_term,
            candidate_last_index: last_log_index,
            voter_last_term: self.last_term(),
            voter_last_index: self.last_index(),
        }
    }

    /// Thesis 4.1, 4.2.3: the refusal for a candidate that is not a voter of this server's
    /// latest configuration, if it is not one and its log is not more up to date than ours.
    /// `None` when it is a voter, or when this server knows no configuration at all (it has
    /// nothing to judge by).
    ///
    /// A candidate whose log is more up to date (5.4.1) is not judged by our configuration:
    /// its log may hold a later one that makes it a voter, and ours may be an uncommitted
    /// entry that its log overwrites. HashiCorp raft refuses it anyway; here that deadlocked
    /// (`raftlab fuzz --membership`): S3's stale "remove S2" refused S2, the only server that
    /// could win. A candidate whose log is not ahead of ours holds no configuration we lack
    /// (with an equal log, ours), so refusing it leaves the election to a server with a log
    /// at least as up to date that is a voter (this one, for instance).
    fn not_a_voter(
        &self,
        candidate: NodeId,
        last_log_index: Index,
        last_log_term: Term,
    ) -> Option<VoteRefusal> {
        let known = !self.membership.voters.is_empty() || !self.membership.learners.is_empty();
        let ahead = last_log_term > self.last_term()
            || (last_log_term == self.last_term() && last_log_index > self.last_index());
        (known && !ahead && !self.membership.is_voter(candidate)).then(|| VoteRefusal::NotAVoter {
            config_index: self.config_index,
            voters: self.membership.voters.clone(),
        })
    }

    /// The leader [`Node::hears_from_leader`] hears from: itself when leading, `None` when
    /// only its quiet period after a restart keeps it from voting.
    fn heard_leader(&self) -> Option<NodeId> {
        match self.role {
            Role::Leader => Some(self.id),
            _ if self.leader.is_some()
                && self.now.saturating_sub(self.leader_contact)
                    < self.config.election_timeout_us.0 =>
            {
                self.leader
            }
            _ => None,
        }
    }

    fn on_pre_vote(
        &mut self,
        now: Micros,
        from: NodeId,
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
        out: &mut Ready,
    ) {
        // Thesis 9.6: grant when a vote would be granted (a later term, a candidate that is a
        // voter of our latest configuration, thesis 4.1, an up-to-date log, 5.4.1) and no
        // leader is heard from; change nothing (no term, no vote, no timer).
        let not_a_voter = self.not_a_voter(from, last_log_index, last_log_term);
        let granted = term > self.term()
            && not_a_voter.is_none()
            && self.log_ok_for_vote(last_log_index, last_log_term)
            && !self.hears_from_leader(now);
        if !granted {
            // The first failed condition, in the order of RequestVote: the term, then a
            // leader heard from (as CheckQuorum checks it before anything else of a
            // RequestVote), then the candidate's place in our configuration (thesis 4.1), then
            // the log (5.4.1).
            let reason = if term <= self.term() {
                VoteRefusal::StaleTerm {
                    voter_term: self.term(),
                }
            } else if self.hears_from_leader(now) {
                VoteRefusal::LeaderAlive {
                    leader: self.heard_leader(),
                }
            } else if let Some(reason) = not_a_voter {
                reason
            } else {
                self.log_behind(last_log_index, last_log_term)
            };
            out.events.push(Event::VoteRefused {
                candidate: from,
                term,
                pre_vote: true,
                reason,
            });
        }
        out.messages.push(Message {
            from: self.id,
            to: from,
            term: if granted { term } else { self.term() },
            body: Body::PreVoteReply { granted },
        });
    }

    fn on_pre_vote_reply(
        &mut self,
        now: Micros,
        from: NodeId,
        term: Term,
        granted: bool,
        out: &mut Ready,
    ) {
        if self.role != Role::PreCandidate || term != self.term() + 1 || !granted {
            return;
        }
        if !self.votes.contains(&from) {
            self.votes.push(from);
        }
        // A majority would vote: now start the real election (thesis 9.6).
        if self.has_vote_quorum() {
            self.start_election(now, out);
        }
    }

    fn reset_election_timer(&mut self, now: Micros) {
        // 5.2: election timeouts are chosen randomly from a fixed interval.
        let (lo, hi) = self.config.election_timeout_us;
        let span = hi.saturating_sub(lo) + 1;
        let draw = ((self.rng.next_u64() as u128 * span as u128) >> 64) as u64;
        self.election_started = now;
        self.election_deadline = now + lo + draw;
    }

    fn set_term(&mut self, term: Term, out: &mut Ready) {
        if term != self.persistent.current_term {
            self.persistent.current_term = term;
            self.persistent.voted_for = None;
            out.persist = true;
        }
    }

    fn become_follower(
        &mut self,
        now: Micros,
        term: Term,
        leader: Option<NodeId>,
        out: &mut Ready,
    ) {
        let was = self.role;
        self.set_term(term, out);
        self.role = Role::Follower;
        self.leader = leader;
        self.votes.clear();
        self.progress.clear();
        self.acks.clear();
        self.transfer = None;
        self.reads.clear();
        self.stamps.clear();
        // A deposed leader's pending clients get no answer from it: they time out, since
        // their entries may still be committed by a later leader.
        self.pending.clear();
        self.changes.clear();
        self.heartbeat_deadline = Micros::MAX;
        if was != Role::Follower {
            self.reset_election_timer(now);
        }
        out.events.push(Event::BecomeFollower { term });
    }

    fn start_election(&mut self, now: Micros, out: &mut Ready) {
        self.campaign(now, false, out);
    }

    fn campaign(&mut self, now: Micros, transfer: bool, out: &mut Ready) {
        // Figure 2, Candidates: increment currentTerm, vote for self, reset the election
        // timer, send RequestVote to all other servers.
        let term = self.term() + 1;
        self.set_term(term, out);
        self.role = Role::Candidate;
        self.leader = None;
        self.progress.clear();
        self.acks.clear();
        self.reads.clear();
        self.stamps.clear();
        self.pending.clear();
        self.changes.clear();
        self.heartbeat_deadline = Micros::MAX;
        self.persistent.voted_for = Some(self.id);
        out.persist = true;
        self.votes.clear();
        self.votes.push(self.id);
        self.reset_election_timer(now);
        out.events.push(Event::BecomeCandidate { term });
        out.events.push(Event::Vote {
            candidate: self.id,
            term,
        });
        if self.has_vote_quorum() {
            self.become_leader(now, out);
            return;
        }
        let (last_log_index, last_log_term) = (self.last_index(), self.last_term());
        self.to_peers(term, out, || Body::RequestVote {
            last_log_index,
            last_log_term,
            transfer,
        });
    }

    /// Sends the message `body` (one copy each) with `term` to every other voter (only voters
    /// vote, thesis 4.1).
    fn to_peers(&self, term: Term, out: &mut Ready, body: impl Fn() -> Body) {
        for &peer in self.membership.voters.iter().filter(|&&v| v != self.id) {
            out.messages.push(Message {
                from: self.id,
                to: peer,
                term,
                body: body(),
            });
        }
    }

    fn become_leader(&mut self, now: Micros, out: &mut Ready) {
        self.role = Role::Leader;
        self.leader = Some(self.id);
        self.election_deadline = Micros::MAX;
        let term = self.term();
        out.events.push(Event::BecomeLeader { term });
        // Figure 2: nextIndex starts at the leader's last index + 1, matchIndex at 0.
        let next_index = self.last_index() + 1;
        self.peers = self.replication_targets();
        self.progress = self
            .peers
            .iter()
            .map(|&id| Progress {
                id,
                next_index,
                match_index: 0,
            })
            .collect();
        // CheckQuorum counts from now: every follower starts as just heard from.
        self.acks = vec![now; self.peers.len()];
        self.stamps = vec![0; self.peers.len()];
        self.term_start = self.last_index() + 1;
        // Section 8: a new leader commits a blank no-op entry of its own term, which is how
        // entries of earlier terms get committed (5.4.2).
        if !self.config.bugs.commit_previous_term {
            self.append_own(Command::Noop, out);
        }
        self.broadcast_append(now, out);
        self.advance_commit(out);
    }

    fn append_own(&mut self, command: Command, out: &mut Ready) -> Index {
        let term = self.term();
        let config = matches!(command, Command::Config(_));
        self.persistent.log.push(Entry {
            term,
            command: command.clone(),
        });
        out.persist = true;
        let index = self.last_index();
        out.events.push(Event::Append {
            index,
            term,
            command,
        });
        if config {
            self.refresh_membership(out);
        }
        index
    }

    /// Takes up the latest configuration in the log or snapshot if it changed (thesis 4.1:
    /// a server uses the latest configuration in its log, committed or not).
    fn refresh_membership(&mut self, out: &mut Ready) {
        let (index, latest) = self.config_at(self.last_index());
        if index == self.config_index && *latest == self.membership {
            return;
        }
        let latest = latest.clone();
        self.config_index = index;
        self.membership = latest.clone();
        out.events.push(Event::Membership {
            index,
            config: latest,
        });
        self.sync_peers();
    }

    /// The servers to replicate to: the other members of the latest configuration and, while
    /// it is uncommitted, of the one before (a removed server learns of its removal).
    fn replication_targets(&self) -> Vec<NodeId> {
        let mut ids: Vec<NodeId> = self.membership.members().collect();
        if self.config_index > self.commit_index {
            ids.extend(self.config_at(self.config_index - 1).1.members());
        }
        ids.retain(|&id| id != self.id);
        sort_small(&mut ids);
        ids.dedup();
        ids
    }

    /// Brings `peers` (and a leader's per-follower state) in line with the configuration:
    /// a new server starts as in Figure 2 (nextIndex after the leader's log, matchIndex 0).
    fn sync_peers(&mut self) {
        let peers = self.replication_targets();
        if peers == self.peers {
            return;
        }
        if self.role == Role::Leader {
            let next_index = self.last_index() + 1;
            let (mut progress, mut acks, mut stamps) = (Vec::new(), Vec::new(), Vec::new());
            for &id in &peers {
                match self.progress.iter().position(|p| p.id == id) {
                    Some(i) => {
                        progress.push(self.progress[i]);
                        acks.push(self.acks.get(i).copied().unwrap_or(self.now));
                        stamps.push(self.stamps.get(i).copied().unwrap_or(0));
                    }
                    None => {
                        progress.push(Progress {
                            id,
                            next_index,
                            match_index: 0,
                        });
                        acks.push(self.now);
                        stamps.push(0);
                    }
                }
            }
            (self.progress, self.acks, self.stamps) = (progress, acks, stamps);
        }
        self.peers = peers;
    }

    /// Makes the next membership change if a leader may now (thesis 4.1): promotes a learner
    /// that has caught up, or else takes the oldest queued change.
    fn next_change(&mut self, out: &mut Ready) {
        // One change at a time: the previous configuration entry must be committed. And a
        // leader first commits an entry of its own term (Ongaro's correction to single-server
        // changes, raft-dev 2015): otherwise two changes made in different terms can leave
        // two disjoint majorities.
        if self.role != Role::Leader {
            return;
        }
        if (self.config_index > self.commit_index || self.commit_index < self.term_start)
            && !self.config.bugs.unsafe_membership
        {
            return;
        }
        // Thesis 4.2.1: a learner becomes a voter once it holds everything committed.
        let caught_up = self.membership.learners.iter().copied().find(|&l| {
            self.progress
                .iter()
                .any(|p| p.id == l && p.match_index >= self.commit_index)
        });
        let next = if let Some(l) = caught_up {
            self.membership.promote(l)
        } else {
            loop {
                let Some(&change) = self.changes.first() else {
                    return;
                };
                let m = &self.membership;
                // Changes are made in the order asked: while a learner catches up, the next
                // change waits, unless it removes a learner (one that never catches up must
                // not block the cluster).
                let removes_learner =
                    matches!(change, MembershipChange::Remove(id) if m.learners.contains(&id));
                if !m.learners.is_empty() && !removes_learner && !self.config.bugs.unsafe_membership
                {
                    return;
                }
                self.changes.remove(0);
                match m.apply(change) {
                    Ok(next) => break next,
                    Err(reason) => out.events.push(Event::MembershipRefused { change, reason }),
                }
            }
        };
        self.append_own(Command::Config(next), out);
        self.broadcast_append(self.now, out);
        self.advance_commit(out);
    }

    fn client_write(&mut self, now: Micros, request: RequestId, command: Command, out: &mut Ready) {
        if self.transfer.is_some() {
            // Thesis 3.10: no new requests while leadership is being handed over.
            out.replies.push(ClientReply {
                request,
                result: ClientResult::Redirect { leader: None },
            });
            return;
        }
        if self.role != Role::Leader {
            out.replies.push(ClientReply {
                request,
                result: ClientResult::Redirect {
                    leader: self.leader,
                },
            });
            return;
        }
        // Figure 2, Leaders: append the command to the local log, reply once it is applied.
        let index = self.append_own(command, out);
        self.pending.push((index, self.term(), request));
        self.broadcast_append(now, out);
        self.advance_commit(out);
    }

    fn broadcast_append(&mut self, now: Micros, out: &mut Ready) {
        for i in 0..self.progress.len() {
            self.send_append(i, out);
        }
        self.heartbeat_deadline = now + self.config.heartbeat_us;
    }

    fn send_append(&mut self, i: usize, out: &mut Ready) {
        let progress = self.progress[i];
        // Section 7: the entries the follower needs next were compacted into the snapshot;
        // send the snapshot instead (Figure 13).
        if progress.next_index <= self.snapshot_index() {
            self.send_snapshot(i, out);
            return;
        }
        let prev_log_index = progress.next_index - 1;
        let prev_log_term = self.term_at(prev_log_index).unwrap_or(0);
        let from = (progress.next_index - self.snapshot_index()) as usize - 1;
        let to = self
            .persistent
            .log
            .len()
            .min(from + self.config.max_entries_per_message);
        let entries = self.persistent.log[from.min(to)..to].to_vec();
        // Entries in flight are not sent again with every heartbeat: nextIndex moves past
        // them at once, and a refusal (a lost message) moves it back (5.3).
        self.progress[i].next_index = prev_log_index + entries.len() as Index + 1;
        out.messages.push(Message {
            from: self.id,
            to: progress.id,
            term: self.term(),
            body: Body::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit: self.commit_index,
                stamp: self.now,
            },
        });
    }

    /// Sends the whole snapshot in one InstallSnapshot (Figure 13 with a single chunk).
    fn send_snapshot(&mut self, i: usize, out: &mut Ready) {
        let snapshot = &self.persistent.snapshot;
        // As for entries in flight, nextIndex moves past the snapshot at once; a refusal of
        // the next AppendEntries (the snapshot was lost) brings it back.
        self.progress[i].next_index = snapshot.last_index + 1;
        out.messages.push(Message {
            from: self.id,
            to: self.progress[i].id,
            term: self.persistent.current_term,
            body: Body::InstallSnapshot {
                last_included_index: snapshot.last_index,
                last_included_term: snapshot.last_term,
                data: snapshot.kv.clone(),
                config: snapshot.config.clone(),
            },
        });
    }

    fn receive(&mut self, now: Micros, message: Message, out: &mut Ready) {
        if message.to != self.id {
            return;
        }
        // Thesis 4.2.3: with CheckQuorum, a server that hears from a leader ignores a
        // RequestVote (a disruptive server's higher term changes nothing).
        if self.config.check_quorum
            && message.term > self.term()
            && matches!(
                message.body,
                Body::RequestVote {
                    transfer: false,
                    ..
                }
            )
            && self.hears_from_leader(now)
        {
            // No reply is sent; the refusal is still reported.
            out.events.push(Event::VoteRefused {
                candidate: message.from,
                term: message.term,
                pre_vote: false,
                reason: VoteRefusal::LeaderAlive {
                    leader: self.heard_leader(),
                },
            });
            return;
        }
        // Figure 2, All Servers: a request or reply with a higher term makes us a follower
        // of that term (5.1). Pre-votes and granted pre-vote replies carry a term nobody
        // has reached yet: they change no term (thesis 9.6).
        let pre_vote = matches!(
            message.body,
            Body::PreVote { .. } | Body::PreVoteReply { granted: true }
        );
        if message.term > self.term() && !pre_vote {
            let leader = match message.body {
                Body::AppendEntries { .. } | Body::InstallSnapshot { .. } => Some(message.from),
                _ => None,
            };
            self.become_follower(now, message.term, leader, out);
        }
        match message.body {
            Body::RequestVote {
                last_log_index,
                last_log_term,
                ..
            } => self.on_request_vote(
                now,
                message.from,
                message.term,
                last_log_index,
                last_log_term,
                out,
            ),
            Body::RequestVoteReply { granted } => {
                self.on_vote_reply(now, message.from, message.term, granted, out)
            }
            Body::PreVote {
                last_log_index,
                last_log_term,
            } => self.on_pre_vote(
                now,
                message.from,
                message.term,
                last_log_index,
                last_log_term,
                out,
            ),
            Body::PreVoteReply { granted } => {
                self.on_pre_vote_reply(now, message.from, message.term, granted, out)
            }
            Body::TimeoutNow => {
                // Thesis 3.10: the leader of our term hands over: campaign at once, with no
                // pre-vote, and tell the voters it is a transfer.
                if message.term == self.term() && self.role != Role::Leader && self.is_voter() {
                    self.campaign(now, true, out);
                }
            }
            Body::AppendEntries {
                prev_log_index,
                prev_log_term,
                entries,
                leader_commit,
                stamp,
            } => {
                self.echo = stamp;
                self.on_append(
                    now,
                    message.from,
                    message.term,
                    prev_log_index,
                    prev_log_term,
                    entries,
                    leader_commit,
                    out,
                )
            }
            Body::AppendEntriesReply {
                success,
                match_index,
                conflict_index,
                conflict_term,
                stamp,
            } => {
                self.note_stamp(message.from, message.term, stamp, out);
                self.on_append_reply(
                    now,
                    message.from,
                    message.term,
                    success,
                    match_index,
                    conflict_index,
                    conflict_term,
                    out,
                )
            }
            Body::InstallSnapshot {
                last_included_index,
                last_included_term,
                data,
                config,
            } => self.on_install_snapshot(
                now,
                message.from,
                message.term,
                Snapshot {
                    last_index: last_included_index,
                    last_term: last_included_term,
                    kv: data,
                    config,
                },
                out,
            ),
            Body::InstallSnapshotReply {
                last_included_index,
            } => self.on_install_snapshot_reply(
                now,
                message.from,
                message.term,
                last_included_index,
                out,
            ),
        }
    }

    fn on_install_snapshot(
        &mut self,
        now: Micros,
        leader: NodeId,
        term: Term,
        snapshot: Snapshot,
        out: &mut Ready,
    ) {
        let last_index = snapshot.last_index;
        let reply = |node: &Node| Message {
            from: node.id,
            to: leader,
            term: node.term(),
            body: Body::InstallSnapshotReply {
                last_included_index: last_index,
            },
        };
        // Figure 13, receiver rule 1: reply immediately if term < currentTerm (our term in
        // the reply makes the stale leader step down).
        if term < self.term() {
            out.messages.push(reply(self));
            return;
        }
        // As for AppendEntries (5.2): the leader of our term is heard from.
        if self.role != Role::Follower {
            self.become_follower(now, term, Some(leader), out);
        }
        self.leader = Some(leader);
        self.leader_contact = now;
        self.reset_election_timer(now);
        // A snapshot we already hold everything of (it only covers committed entries) changes
        // nothing; the reply still tells the leader how far we match.
        if last_index > self.commit_index {
            let last_term = snapshot.last_term;
            // Figure 13, rules 6 and 7: keep the entries after the snapshot if the log holds
            // its last entry in the same term; otherwise discard the whole log.
            if self.term_at(last_index) == Some(last_term) {
                let drop = (last_index - self.snapshot_index()) as usize;
                self.persistent.log.drain(..drop);
            } else {
                self.persistent.log.clear();
            }
            // Rule 8: reset the state machine from the snapshot.
            self.kv = snapshot.kv.clone();
            self.persistent.snapshot = snapshot;
            self.commit_index = last_index;
            self.last_applied = last_index;
            out.persist = true;
            out.events.push(Event::InstallSnapshot {
                last_index,
                last_term,
            });
            out.events.push(Event::Commit { index: last_index });
            // Figure 13: the snapshot carries the configuration as of its last index; entries
            // kept after it may hold a later one.
            self.refresh_membership(out);
            self.sync_peers();
        }
        out.messages.push(reply(self));
    }

    fn on_install_snapshot_reply(
        &mut self,
        now: Micros,
        from: NodeId,
        term: Term,
        last_index: Index,
        out: &mut Ready,
    ) {
        if self.role != Role::Leader || term != self.term() {
            return;
        }
        let Some(i) = self.progress.iter().position(|p| p.id == from) else {
            return;
        };
        if let Some(ack) = self.acks.get_mut(i) {
            *ack = now;
        }
        // The follower now holds everything up to the snapshot's last index: as for a
        // successful AppendEntries.
        self.matched(i, last_index, out);
    }

    /// Follower `progress[i]` holds the leader's log up to `match_index` (Figure 2, Leaders:
    /// update matchIndex and nextIndex; replies may arrive out of order, so matchIndex only
    /// grows). Commits what a majority now holds, makes a membership change that may now be
    /// made (a learner may have caught up, thesis 4.2.1), and sends the follower what it
    /// lacks, or brings a transfer to it on.
    fn matched(&mut self, i: usize, match_index: Index, out: &mut Ready) {
        let from = self.progress[i].id;
        let progress = &mut self.progress[i];
        progress.match_index = progress.match_index.max(match_index);
        progress.next_index = progress.next_index.max(progress.match_index + 1);
        self.advance_commit(out);
        self.next_change(out);
        // A commit may have changed the configuration: the leader may have stepped down, and
        // the follower's position in `progress` may have moved.
        let Some(i) = self.progress.iter().position(|p| p.id == from) else {
            return;
        };
        if self.transfer.is_some_and(|(to, _, _)| to == from) {
            self.continue_transfer(out);
        } else if self.progress[i].next_index <= self.last_index() {
            self.send_append(i, out);
        }
    }

    fn on_request_vote(
        &mut self,
        now: Micros,
        candidate: NodeId,
        term: Term,
        last_log_index: Index,
        last_log_term: Term,
        out: &mut Ready,
    ) {
        // Figure 2, RequestVote: refuse a stale term; grant if we have not voted for someone
        // else in this term and the candidate's log is at least as up to date as ours (5.4.1:
        // a later last term wins; with equal last terms the longer log wins). And, as
        // HashiCorp raft does, not to a candidate that is not a voter of our latest
        // configuration (thesis 4.1; a removed or not yet added server cannot disrupt by
        // winning, 4.2.3), unless its log is ahead of ours (see `Node::not_a_voter`).
        // A higher term has already been taken up (5.1, in `receive`), refused or not.
        let not_a_voter = self.not_a_voter(candidate, last_log_index, last_log_term);
        let free = self.voted_for().is_none() || self.voted_for() == Some(candidate);
        let granted = term == self.term()
            && not_a_voter.is_none()
            && free
            && matches!(self.role, Role::Follower | Role::PreCandidate)
            && self.log_ok_for_vote(last_log_index, last_log_term);
        if !granted {
            // The first failed condition: the term (Figure 2), the candidate's place in our
            // configuration (thesis 4.1; before the vote, so that it never looks like a vote
            // given elsewhere), the one vote of this term (5.2), then the log (5.4.1). (With
            // CheckQuorum, a leader heard from was checked first, in `receive`.)
            let reason = if term < self.term() {
                VoteRefusal::StaleTerm {
                    voter_term: self.term(),
                }
            } else if let Some(reason) = not_a_voter {
                reason
            } else if !free || !matches!(self.role, Role::Follower | Role::PreCandidate) {
                VoteRefusal::AlreadyVoted {
                    voted_for: self.voted_for().unwrap_or(self.id),
                }
            } else {
                self.log_behind(last_log_index, last_log_term)
            };
            out.events.push(Event::VoteRefused {
                candidate,
                term,
                pre_vote: false,
                reason,
            });
        }
        if granted {
            if self.voted_for() != Some(candidate) {
                self.persistent.voted_for = Some(candidate);
                out.persist = true;
                out.events.push(Event::Vote { candidate, term });
            }
            // Figure 2, Followers: granting a vote resets the election timer.
            self.reset_election_timer(now);
        }
        out.messages.push(Message {
            from: self.id,
            to: candidate,
            term: self.term(),
            body: Body::RequestVoteReply { granted },
        });
    }

    fn on_vote_reply(
        &mut self,
        now: Micros,
        from: NodeId,
        term: Term,
        granted: bool,
        out: &mut Ready,
    ) {
        if self.role != Role::Candidate || term != self.term() || !granted {
            return;
        }
        if !self.votes.contains(&from) {
            self.votes.push(from);
        }
        // 5.2: a candidate that receives votes from a majority becomes leader.
        if self.has_vote_quorum() {
            self.become_leader(now, out);
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append(
        &mut self,
        now: Micros,
        leader: NodeId,
        term: Term,
        prev_log_index: Index,
        prev_log_term: Term,
        entries: Vec<Entry>,
        leader_commit: Index,
        out: &mut Ready,
    ) {
        if term < self.term() {
            // Figure 2, AppendEntries rule 1: reply false if term < currentTerm; our term in
            // the reply makes the stale leader step down.
            let message = self.append_reply(leader, false, prev_log_index, 0, None);
            out.messages.push(message);
            out.events.push(Event::AppendRejected {
                leader,
                term,
                prev_index: prev_log_index,
                prev_term: prev_log_term,
                reason: AppendRejection::StaleTerm {
                    follower_term: self.term(),
                },
            });
            return;
        }
        // 5.2: a candidate that hears from a leader of its term returns to follower.
        if self.role != Role::Follower {
            self.become_follower(now, term, Some(leader), out);
        }
        self.leader = Some(leader);
        self.leader_contact = now;
        self.reset_election_timer(now);

        // Section 7: the entries up to our snapshot's last index are committed, so the
        // leader's log holds them too (Leader Completeness, 5.4): skip the ones the message
        // repeats and match from the snapshot's last entry.
        let (mut prev_log_index, mut prev_log_term, mut entries) =
            (prev_log_index, prev_log_term, entries);
        let offset = self.snapshot_index();
        if prev_log_index < offset {
            let skip = ((offset - prev_log_index) as usize).min(entries.len());
            entries.drain(..skip);
            prev_log_index = offset;
            prev_log_term = self.snapshot_term();
        }
        // Figure 2, rule 2: reply false if the log has no entry at prevLogIndex whose term
        // matches prevLogTerm. The hint lets the leader skip a whole term per round trip (5.3).
        match self.term_at(prev_log_index) {
            None => {
                let conflict_index = self.last_index() + 1;
                let message =
                    self.append_reply(leader, false, prev_log_index, conflict_index, None);
                out.messages.push(message);
                out.events.push(Event::AppendRejected {
                    leader,
                    term,
                    prev_index: prev_log_index,
                    prev_term: prev_log_term,
                    reason: AppendRejection::LogMismatch {
                        conflict_index,
                        conflict_term: None,
                    },
                });
                return;
            }
            Some(t) if t != prev_log_term => {
                let mut first = prev_log_index;
                while first > self.first_index() && self.term_at(first - 1) == Some(t) {
                    first -= 1;
                }
                let message = self.append_reply(leader, false, prev_log_index, first, Some(t));
                out.messages.push(message);
                out.events.push(Event::AppendRejected {
                    leader,
                    term,
                    prev_index: prev_log_index,
                    prev_term: prev_log_term,
                    reason: AppendRejection::LogMismatch {
                        conflict_index: first,
                        conflict_term: Some(t),
                    },
                });
                return;
            }
            Some(_) => {}
        }
        // Rules 3 and 4: delete a conflicting entry and all that follow it; append the new
        // entries not already in the log.
        let mut index = prev_log_index;
        let mut config_changed = false;
        for entry in entries {
            index += 1;
            match self.term_at(index) {
                Some(t) if t == entry.term => continue,
                Some(_) => {
                    self.persistent.log.truncate((index - offset) as usize - 1);
                    out.persist = true;
                    out.events.push(Event::Truncate { from: index });
                    config_changed |= index <= self.config_index;
                }
                None => {}
            }
            config_changed |= matches!(entry.command, Command::Config(_));
            out.events.push(Event::Append {
                index,
                term: entry.term,
                command: entry.command.clone(),
            });
            self.persistent.log.push(entry);
            out.persist = true;
        }
        // Thesis 4.1: a configuration entry takes effect as soon as it is in the log, and a
        // truncated one stops being in effect.
        if config_changed {
            self.refresh_membership(out);
        }
        // Rule 5: commitIndex = min(leaderCommit, index of the last new entry). Only the
        // prefix up to `index` is known to match the leader's log.
        let match_index = index;
        if leader_commit > self.commit_index {
            let commit = leader_commit.min(match_index);
            if commit > self.commit_index {
                self.set_commit(commit, out);
            }
        }
        let message = self.append_reply(leader, true, match_index, 0, None);
        out.messages.push(message);
    }

    fn append_reply(
        &self,
        leader: NodeId,
        success: bool,
        match_index: Index,
        conflict_index: Index,
        conflict_term: Option<Term>,
    ) -> Message {
        Message {
            from: self.id,
            to: leader,
            term: self.term(),
            body: Body::AppendEntriesReply {
                success,
                match_index,
                conflict_index,
                conflict_term,
                stamp: self.echo,
            },
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn on_append_reply(
        &mut self,
        now: Micros,
        from: NodeId,
        term: Term,
        success: bool,
        match_index: Index,
        conflict_index: Index,
        conflict_term: Option<Term>,
        out: &mut Ready,
    ) {
        if self.role != Role::Leader || term != self.term() {
            return;
        }
        let Some(i) = self.progress.iter().position(|p| p.id == from) else {
            return;
        };
        // Any reply of this term shows the follower is reachable (CheckQuorum).
        if let Some(ack) = self.acks.get_mut(i) {
            *ack = now;
        }
        if success {
            self.matched(i, match_index, out);
            return;
        }
        // A refusal for an index at or below what is known to match is stale: ignore it.
        if match_index <= self.progress[i].match_index {
            return;
        }
        // 5.3: after a refusal, back nextIndex off. With the hint, skip the follower's whole
        // conflicting term, or to the end of the leader's entries of that term.
        let mut next = conflict_index.max(1);
        if let Some(ct) = conflict_term {
            if let Some(last) = (self.snapshot_index().max(1)..=self.last_index())
                .rev()
                .find(|&k| self.term_at(k) == Some(ct))
            {
                next = last + 1;
            }
        }
        let progress = &mut self.progress[i];
        next = next.min(match_index).max(progress.match_index + 1);
        if next < progress.next_index {
            progress.next_index = next;
            self.send_append(i, out);
        }
    }

    fn advance_commit(&mut self, out: &mut Ready) {
        // Figure 2, Leaders: if there is N > commitIndex with matchIndex >= N on a majority
        // and log[N].term == currentTerm, set commitIndex = N (5.3, 5.4.2).
        // N is the quorum-th largest of the match indexes (the leader's own is its last
        // index): the largest of them that a quorum has reached.
        // Only voters of the latest configuration count (thesis 4.1); the leader counts itself
        // only if it is one of them (thesis 4.2.2).
        let last = self.last_index();
        let reached = |n: Index| {
            let others = self.progress.iter().filter(|p| p.match_index >= n);
            self.voters_among(others.map(|p| p.id), last >= n)
        };
        let n = self
            .progress
            .iter()
            .map(|p| p.match_index)
            .chain([last])
            .filter(|&n| reached(n) >= self.commit_quorum())
            .max()
            .unwrap_or(0);
        if n <= self.commit_index {
            return;
        }
        // Figure 8: counting replicas commits only an entry of the current term.
        if self.term_at(n) == Some(self.term()) || self.config.bugs.commit_previous_term {
            self.set_commit(n, out);
        }
    }

    fn set_commit(&mut self, index: Index, out: &mut Ready) {
        let crossed = self.commit_index < self.config_index && self.config_index <= index;
        self.commit_index = index;
        out.events.push(Event::Commit { index });
        // Figure 2, All Servers: while commitIndex > lastApplied, apply log[lastApplied + 1].
        let offset = self.snapshot_index();
        while self.last_applied < self.commit_index {
            self.last_applied += 1;
            let entry = &self.persistent.log[(self.last_applied - offset) as usize - 1];
            match &entry.command {
                Command::Noop | Command::Config(_) => {}
                Command::Set { key, value } => {
                    self.kv.insert(key.clone(), value.clone());
                }
                Command::Delete { key } => {
                    self.kv.remove(key);
                }
            }
            out.events.push(Event::Apply {
                index: self.last_applied,
                term: entry.term,
                command: entry.command.clone(),
            });
        }
        // Reads waiting for this index can be answered now.
        if self.role == Role::Leader {
            self.serve_reads(out);
        }
        // The leader answers a client once its entry is applied (Figure 2, Leaders).
        let applied = self.last_applied;
        let term = self.term();
        let log = &self.persistent.log;
        self.pending.retain(|&(index, entry_term, request)| {
            if index > applied {
                return true;
            }
            let stored = index
                .checked_sub(offset + 1)
                .and_then(|k| log.get(k as usize))
                .map(|e| e.term);
            let result = if stored == Some(entry_term) && entry_term == term {
                Some(ClientResult::Ok)
            } else {
                None
            };
            if let Some(result) = result {
                out.replies.push(ClientReply { request, result });
            }
            false
        });
        // Section 7 (thesis 5.1): once enough applied entries sit in the log, snapshot the
        // state machine up to lastApplied and discard those entries.
        let threshold = self.config.snapshot_threshold;
        if threshold > 0 && self.last_applied - offset >= threshold {
            self.take_snapshot(out);
        }
        if crossed {
            // The latest configuration is committed: servers it removed no longer get entries,
            // after one last AppendEntries that tells them of the commit (so they know they
            // are out and stay quiet).
            if self.role == Role::Leader {
                for i in 0..self.progress.len() {
                    if !self.membership.contains(self.progress[i].id) {
                        self.send_append(i, out);
                    }
                }
            }
            self.sync_peers();
            // Thesis 4.2.2: a leader that is not in the committed configuration steps down.
            if self.role == Role::Leader && !self.membership.contains(self.id) {
                let term = self.term();
                self.become_follower(self.now, term, None, out);
                return;
            }
        }
        if self.role == Role::Leader {
            self.next_change(out);
        }
    }

    /// Snapshots the state machine at lastApplied and drops the entries it replaces
    /// (paper section 7, Figure 12).
    fn take_snapshot(&mut self, out: &mut Ready) {
        let last_index = self.last_applied;
        let last_term = self.term_at(last_index).unwrap_or(0);
        // The configuration as of the snapshot's last entry (Figure 13), found before the
        // entries that may hold it are dropped.
        let config = self.config_at(last_index).1.clone();
        let drop = (last_index - self.snapshot_index()) as usize;
        self.persistent.log.drain(..drop);
        self.persistent.snapshot = Snapshot {
            last_index,
            last_term,
            kv: self.kv.clone(),
            config,
        };
        out.persist = true;
        out.events.push(Event::Snapshot {
            last_index,
            last_term,
        });
    }
}

/// A quorum size: `size` when set (at most every voter), otherwise a majority of the voters.
fn flexible(size: usize, membership: &Membership) -> usize {
    if size == 0 {
        membership.quorum()
    } else {
        size.min(membership.voters.len().max(1))
    }
}

/// Sorts a list of at most a few dozen items (one per server) by insertion. The standard
/// library's sort compiles about 3 KB of wasm per element type; this is a few hundred bytes,
/// and as fast on lists this short.
pub(crate) fn sort_small<T: Ord + Copy>(v: &mut [T]) {
    for i in 1..v.len() {
        let mut j = i;
        while j > 0 && v[j - 1] > v[j] {
            v.swap(j - 1, j);
            j -= 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::sort_small;

    #[test]
    fn sort_small_sorts_as_the_standard_sort() {
        let mut seed = 3u64;
        for n in 0..40usize {
            let mut v: Vec<u64> = (0..n)
                .map(|_| {
                    seed = seed
                        .wrapping_mul(6364136223846793005)
                        .wrapping_add(1442695040888963407);
                    seed >> 59
                })
                .collect();
            let mut want = v.clone();
            want.sort_unstable();
            sort_small(&mut v);
            assert_eq!(v, want, "n {n}");
        }
    }
}
