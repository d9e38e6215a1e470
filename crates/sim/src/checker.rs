//! The safety checker: the properties of paper Figure 3 and two more, checked after every
//! simulated event. It keeps what it needs across the whole history (leaders per term, votes
//! per term, the committed prefix) so each check costs about O(nodes).
//!
//! Logs may be compacted (paper section 7): a node's log then starts after its snapshot. The
//! checks compare only the entries a node still holds, by absolute index; the entries below a
//! snapshot were checked when they were committed or applied, and the snapshot itself is
//! checked against the committed prefix it claims (State Machine Safety) whenever a node gets
//! a new one (taken, installed, or recovered after a restart).

use raftlab_raft::{Command, Entry, Event, Index, Micros, Node, NodeId, Role, Term};
use std::collections::BTreeMap;

/// A property the checker watches.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Property {
    /// At most one leader per term, over the whole history (Figure 3, 5.2).
    ElectionSafety,
    /// A leader never overwrites or deletes entries of its own log (Figure 3, 5.3).
    LeaderAppendOnly,
    /// Two logs with an entry of the same index and term agree up to it (Figure 3, 5.3).
    LogMatching,
    /// A committed entry is in the log of every leader of a later term (Figure 3, 5.4).
    LeaderCompleteness,
    /// No two servers commit or apply different entries at one index (Figure 3, 5.4.3).
    StateMachineSafety,
    /// A server votes at most once per term, also across restarts (Figure 2, votedFor).
    OneVotePerTerm,
    /// A running server's commit index never decreases (Figure 2).
    CommitMonotonic,
    /// A configuration entry adds or removes at most one voter from the configuration before
    /// it in the same log (thesis 4.1): any majority of the old configuration then overlaps
    /// any majority of the new one.
    SingleServerChange,
    /// A leader appends a configuration entry only when the configuration entry before it is
    /// committed and an entry of the leader's own term is committed (thesis 4.1, with
    /// Ongaro's 2015 correction to single-server changes).
    OneChangeAtATime,
    /// After the faults stop, the cluster settles on one leader with equal logs.
    Liveness,
    /// Thesis 6.4: every read served by ReadIndex, or by a lease while CheckQuorum is on and
    /// clocks keep to the drift bound, is linearizable with the writes (checked on the
    /// clients' history at the end of the run).
    Linearizability,
    /// Leaderless quorums (`system: "quorum"`): an acknowledged write is lost, silently
    /// shadowed by an older write with a higher version (last-write-wins with skewed clocks)
    /// or held by no server any more (Jepsen on Cassandra and Riak; `raftlab-quorum`'s
    /// `check`).
    AckedWriteLost,
    /// Lease election (`system: "lease"`): the resource accepted writes from two holders whose
    /// leadership overlapped (Kleppmann 2016; `raftlab-lease`'s `check`).
    TwoLeadersActAtOnce,
    /// Lease election: the resource accepted a write under a lease the store had already
    /// given to another server, once the newer holder's token had reached it (Kleppmann
    /// 2016: what fencing tokens prevent).
    StaleLeaseWriteAccepted,
}

impl Property {
    /// Every safety property, in report order (liveness is checked separately).
    pub const SAFETY: [Property; 9] = [
        Property::ElectionSafety,
        Property::LeaderAppendOnly,
        Property::LogMatching,
        Property::LeaderCompleteness,
        Property::StateMachineSafety,
        Property::OneVotePerTerm,
        Property::CommitMonotonic,
        Property::SingleServerChange,
        Property::OneChangeAtATime,
    ];

    /// The name used in traces and reports, e.g. `election_safety`.
    pub fn name(self) -> &'static str {
        match self {
            Property::ElectionSafety => "election_safety",
            Property::LeaderAppendOnly => "leader_append_only",
            Property::LogMatching => "log_matching",
            Property::LeaderCompleteness => "leader_completeness",
            Property::StateMachineSafety => "state_machine_safety",
            Property::OneVotePerTerm => "one_vote_per_term",
            Property::CommitMonotonic => "commit_monotonic",
            Property::SingleServerChange => "single_server_change",
            Property::OneChangeAtATime => "one_change_at_a_time",
            Property::Liveness => "liveness",
            Property::Linearizability => "linearizability",
            Property::AckedWriteLost => "acked_write_lost",
            Property::TwoLeadersActAtOnce => "two_leaders_act_at_once",
            Property::StaleLeaseWriteAccepted => "stale_lease_write_accepted",
        }
    }

    /// The property of a name as [`Property::name`] gives it.
    pub fn from_name(name: &str) -> Option<Property> {
        [
            Property::AckedWriteLost,
            Property::TwoLeadersActAtOnce,
            Property::StaleLeaseWriteAccepted,
            Property::Liveness,
            Property::Linearizability,
        ]
        .into_iter()
        .chain(Property::SAFETY)
        .find(|p| p.name() == name)
    }

    /// The paper section the property comes from.
    pub fn section(self) -> &'static str {
        match self {
            Property::ElectionSafety => "5.2",
            Property::LeaderAppendOnly => "5.3",
            Property::LogMatching => "5.3",
            Property::LeaderCompleteness => "5.4",
            Property::StateMachineSafety => "5.4.3",
            Property::OneVotePerTerm => "Figure 2",
            Property::CommitMonotonic => "Figure 2",
            Property::SingleServerChange | Property::OneChangeAtATime => "thesis 4.1",
            Property::Liveness => "5.2, 5.3",
            Property::Linearizability => "Herlihy and Wing 1990; thesis 6.4",
            Property::AckedWriteLost => "Dynamo; Jepsen",
            Property::TwoLeadersActAtOnce | Property::StaleLeaseWriteAccepted => "Kleppmann 2016",
        }
    }
}

/// A broken property: which, when, who, and what was seen.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Violation {
    /// The property.
    pub property: Property,
    /// Simulated time of the event after which it was found.
    pub t_us: Micros,
    /// The nodes involved.
    pub nodes: Vec<NodeId>,
    /// What was seen, in words.
    pub detail: String,
    /// The run's seed.
    pub seed: u64,
}

impl std::fmt::Display for Violation {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{} ({}{}) broken at {} ms, nodes {}, seed {}: {}",
            self.property.name(),
            // A section of the paper is a number; other sources (the thesis, another paper)
            // are named.
            if self
                .property
                .section()
                .starts_with(|c: char| c.is_ascii_digit())
            {
                "section "
            } else {
                ""
            },
            self.property.section(),
            Millis(self.t_us),
            Ids(&self.nodes),
            self.seed,
            self.detail
        )
    }
}

/// Microseconds shown as milliseconds with three decimals: the same text as
/// `format!("{:.3}", us as f64 / 1000.0)`, without the code of float formatting.
struct Millis(Micros);

impl std::fmt::Display for Millis {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        // The f64 quotient, exactly: m * 2^exp (it is never subnormal, NaN or infinite).
        let bits = (self.0 as f64 / 1000.0).to_bits();
        let biased = (bits >> 52) as i32;
        let m = bits & ((1 << 52) - 1) | if biased == 0 { 0 } else { 1 << 52 };
        let exp = biased.max(1) - 1075;
        // The quotient is below 2^64 / 1000, so exp <= 11 (and from exp >= 0 on it is a whole
        // number); for 1 us or more it is at least 2^-10, so exp >= -62.
        let (whole, frac) = if m == 0 {
            (0, 0)
        } else if exp >= 0 {
            (m << exp, 0)
        } else {
            // Thousandths, rounded half to even as float formatting does; m * 1000 < 2^63.
            let (scaled, shift) = (m * 1000, -exp as u32);
            let (q, r) = (scaled >> shift, scaled & ((1 << shift) - 1));
            let half = 1 << (shift - 1);
            let thousandths = q + u64::from(r > half || (r == half && q & 1 == 1));
            (thousandths / 1000, thousandths % 1000)
        };
        write!(f, "{whole}.{frac:03}")
    }
}

/// Keeps the history the properties need and checks them.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    seed: u64,
    /// (term, leader), sorted by term.
    leaders: Vec<(Term, NodeId)>,
    /// Per node (index id - 1): (term, candidate voted for), sorted by term.
    votes: Vec<Vec<(Term, NodeId)>>,
    /// Per index (index - 1): (term, term of the entry before, command) for each term seen at
    /// that index: enough to check Log Matching inductively, one new entry at a time.
    entries: Vec<Vec<(Term, Term, Command)>>,
    /// The committed prefix of the log, as far as any node has committed.
    committed: Vec<Entry>,
    /// For each committed index, the term of the node that committed it first (always a
    /// leader: followers learn commits from leaders). Leader Completeness concerns leaders of
    /// later terms than this, not of later terms than the entry's own.
    commit_terms: Vec<Term>,
    /// Per node (index id - 1): last seen commit index while up.
    commit_seen: Vec<Index>,
    /// Per node: (term, log length) when it was a leader before the current step.
    leading: Vec<Option<(Term, Index)>>,
    /// Per node: the last index of the snapshot last checked (0: none since it started).
    snapshot_seen: Vec<Index>,
    /// The key-value store after applying the first `.0` committed entries: where the next
    /// snapshot check starts from when it is not behind.
    kv_cache: (usize, BTreeMap<String, String>),
    /// The cluster's initial configuration (every server it started with as a voter): what
    /// is in effect before the first configuration entry, also for a server that joined
    /// later knowing none.
    initial: raftlab_raft::Membership,
}

impl Checker {
    /// A checker for a cluster of `nodes` servers in a run with `seed`.
    pub fn new(nodes: usize, seed: u64) -> Checker {
        Checker {
            seed,
            votes: vec![Vec::new(); nodes],
            commit_seen: vec![0; nodes],
            leading: vec![None; nodes],
            snapshot_seen: vec![0; nodes],
            initial: raftlab_raft::Membership::new(&(1..=nodes as NodeId).collect::<Vec<_>>(), &[]),
            ..Checker::default()
        }
    }

    /// Makes room for one more server (numbered after the others), started by a membership
    /// change.
    pub fn add_node(&mut self) {
        self.votes.push(Vec::new());
        self.commit_seen.push(0);
        self.leading.push(None);
        self.snapshot_seen.push(0);
    }

    /// The committed prefix seen so far.
    pub fn committed(&self) -> &[Entry] {
        &self.committed
    }

    /// Records a violation of `property` found at `t_us`, involving `nodes`.
    #[inline(never)]
    fn report(
        &self,
        found: &mut Vec<Violation>,
        property: Property,
        t_us: Micros,
        nodes: &[NodeId],
        detail: std::fmt::Arguments<'_>,
    ) {
        found.push(Violation {
            property,
            t_us,
            nodes: nodes.to_vec(),
            detail: std::fmt::format(detail),
            seed: self.seed,
        });
    }

    /// A node crashed: its volatile state (commit index) is gone.
    pub fn on_crash(&mut self, node: NodeId) {
        self.commit_seen[node as usize - 1] = 0;
        self.leading[node as usize - 1] = None;
        // Its snapshot is checked again when it restarts from it.
        self.snapshot_seen[node as usize - 1] = 0;
    }

    /// Checks everything after `node` handled one input that produced `events`. `nodes` holds
    /// every node (index id - 1) as it is now. Violations are appended to `found`.
    pub fn after_step(
        &mut self,
        now: Micros,
        id: NodeId,
        events: &[Event],
        nodes: &[Node],
        found: &mut Vec<Violation>,
    ) {
        let k = id as usize - 1;
        let node = &nodes[k];
        let before = self.leading[k];
        let still_leading = |term: Term| node.role() == Role::Leader && node.term() == term;
        let commit_before = self.commit_seen[k];
        // Commits first, so that entries applied in this step are known to be committed.
        self.check_commit(now, id, nodes, events, found);
        // The node's commit index as the events go (for configuration entries).
        let mut commit = commit_before;
        for event in events {
            if let Event::Commit { index } = event {
                commit = *index;
            }
            if let Event::Append {
                index,
                term,
                command: Command::Config(config),
            } = event
            {
                self.check_config(now, id, node, (*index, *term), config, commit, found);
            }
            match event {
                Event::BecomeLeader { term } => {
                    // Election Safety (5.2).
                    match find(&self.leaders, *term) {
                        Ok(i) if self.leaders[i].1 != id => {
                            let other = self.leaders[i].1;
                            self.report(
                                found,
                                Property::ElectionSafety,
                                now,
                                &[other, id],
                                format_args!(
                                    "S{other} and S{id} were both elected leader of term {term}"
                                ),
                            )
                        }
                        Ok(_) => {}
                        Err(i) => self.leaders.insert(i, (*term, id)),
                    }
                    // Leader Completeness (5.4): the new leader holds every entry committed in
                    // an earlier term.
                    if let Some(index) = self.missing_committed(node, *term) {
                        self.report(
                            found,
                            Property::LeaderCompleteness,
                            now,
                            &[id],
                            format_args!(
                                "S{id} became leader of term {term} without the committed entry {index} ({})",
                                Described(Some(&self.committed[index as usize - 1]))
                            ),
                        );
                    }
                }
                Event::Vote { candidate, term } => {
                    // One vote per term, across restarts (Figure 2, votedFor is persistent).
                    let votes = &self.votes[k];
                    match find(votes, *term) {
                        Ok(i) if votes[i].1 != *candidate => {
                            let earlier = votes[i].1;
                            self.report(
                                found,
                                Property::OneVotePerTerm,
                                now,
                                &[id, earlier, *candidate],
                                format_args!(
                                    "S{id} voted for S{earlier} and then for S{candidate} in term {term}"
                                ),
                            )
                        }
                        Ok(_) => {}
                        Err(i) => self.votes[k].insert(i, (*term, *candidate)),
                    }
                }
                Event::Append { index, .. } | Event::Truncate { from: index } if matches!(before, Some((t, len)) if still_leading(t) && *index <= len) =>
                {
                    self.report(
                        found,
                        Property::LeaderAppendOnly,
                        now,
                        &[id],
                        format_args!(
                            "S{id}, leader of term {}, changed its own entry at index {index}",
                            node.term()
                        ),
                    );
                }
                _ => {}
            }
            if let Event::Truncate { from } = event {
                // State Machine Safety (5.4.3): a committed entry is never removed.
                if *from <= commit_before {
                    self.report(
                        found,
                        Property::StateMachineSafety,
                        now,
                        &[id],
                        format_args!(
                            "S{id} removed entries from index {from} on, but it had committed up to {commit_before}"
                        ),
                    );
                }
            }
            if let Event::Append {
                index,
                term,
                command,
            } = event
            {
                self.check_log_matching(now, id, node, *index, *term, command, found);
            }
            if let Event::Apply {
                index,
                term,
                command,
            } = event
            {
                // State Machine Safety (5.4.3): what is applied is the committed entry.
                let agreed = self.committed.get(*index as usize - 1);
                if agreed.is_none_or(|e| e.term != *term || e.command != *command) {
                    self.report(
                        found,
                        Property::StateMachineSafety,
                        now,
                        &[id],
                        format_args!(
                            "S{id} applied {} at index {index}, but the committed entry there is {}",
                            Described(Some(&Entry { term: *term, command: command.clone() })),
                            Described(agreed)
                        ),
                    );
                }
            }
        }
        self.leading[k] = (node.role() == Role::Leader).then(|| (node.term(), node.last_index()));
        // A new snapshot (taken, installed, or recovered after a restart) must be the state
        // of the committed prefix it claims to replace (section 7, State Machine Safety).
        if node.snapshot_index() != self.snapshot_seen[k] {
            self.snapshot_seen[k] = node.snapshot_index();
            self.check_snapshot(now, id, node, found);
        }
    }

    /// State Machine Safety for a snapshot (section 7): it covers only committed entries, its
    /// last term is the committed entry's, and its key-value store is what applying the
    /// committed prefix gives.
    fn check_snapshot(&mut self, now: Micros, id: NodeId, node: &Node, found: &mut Vec<Violation>) {
        let snapshot = node.snapshot();
        let n = snapshot.last_index as usize;
        if n == 0 {
            return;
        }
        let detail = if n > self.committed.len() {
            format!(
                "S{id}'s snapshot covers indexes 1 to {n}, but only {} entries are committed",
                self.committed.len()
            )
        } else if self.committed[n - 1].term != snapshot.last_term {
            format!(
                "S{id}'s snapshot ends at index {n} in term {}, but the committed entry there is {}",
                snapshot.last_term,
                Described(Some(&self.committed[n - 1]))
            )
        } else if let Some(config) =
            Some(self.committed_config(n)).filter(|c| **c != snapshot.config)
        {
            // Figure 13: the snapshot keeps the latest configuration as of its last index.
            format!(
                "S{id}'s snapshot up to index {n} holds the configuration {}, but the committed entries give {config}",
                snapshot.config
            )
        } else {
            let expected = self.committed_kv(n);
            if *expected == snapshot.kv {
                return;
            }
            format!(
                "S{id}'s snapshot up to index {n} holds {}, but the committed entries give {}",
                Pairs(&snapshot.kv),
                Pairs(expected)
            )
        };
        self.report(
            found,
            Property::StateMachineSafety,
            now,
            &[id],
            format_args!("{detail}"),
        );
    }

    /// The configuration in effect after the first `n` committed entries: the latest among
    /// them, or the initial one.
    fn committed_config(&self, n: usize) -> &raftlab_raft::Membership {
        self.committed[..n]
            .iter()
            .rev()
            .find_map(|e| match &e.command {
                Command::Config(m) => Some(m),
                _ => None,
            })
            .unwrap_or(&self.initial)
    }

    /// The key-value store after applying the first `n` committed entries.
    fn committed_kv(&mut self, n: usize) -> &BTreeMap<String, String> {
        if self.kv_cache.0 > n {
            self.kv_cache = (0, BTreeMap::new());
        }
        let (done, kv) = &mut self.kv_cache;
        for entry in &self.committed[*done..n] {
            match &entry.command {
                Command::Noop | Command::Config(_) => {}
                Command::Set { key, value } => {
                    kv.insert(key.clone(), value.clone());
                }
                Command::Delete { key } => {
                    kv.remove(key);
                }
            }
        }
        *done = n;
        kv
    }

    fn missing_committed(&self, node: &Node, term: Term) -> Option<Index> {
        // Entries below the node's snapshot are in the snapshot, checked on its own.
        let snapshot = node.snapshot_index();
        self.committed
            .iter()
            .zip(&self.commit_terms)
            .enumerate()
            .map(|(i, pair)| (i as Index + 1, pair))
            .skip(snapshot as usize)
            .find_map(|(index, (e, &t))| {
                (t < term && node.entry(index) != Some(e)).then_some(index)
            })
    }

    /// Thesis 4.1 for the configuration entry `config` at `at` (index, term) in `node`'s log;
    /// `commit` is the node's commit index when it appended it.
    #[allow(clippy::too_many_arguments)]
    fn check_config(
        &self,
        now: Micros,
        id: NodeId,
        node: &Node,
        (index, term): (Index, Term),
        config: &raftlab_raft::Membership,
        commit: Index,
        found: &mut Vec<Violation>,
    ) {
        if node.term_at(index) != Some(term) || index <= node.snapshot_index() {
            return; // replaced, or compacted, within the same step
        }
        let (before_index, before) = node.config_at(index - 1);
        let before = if before_index == 0 {
            &self.initial
        } else {
            before
        };
        let changed = config
            .voters
            .iter()
            .filter(|v| !before.is_voter(**v))
            .chain(before.voters.iter().filter(|v| !config.is_voter(**v)))
            .count();
        if changed > 1 {
            self.report(
                found,
                Property::SingleServerChange,
                now,
                &[id],
                format_args!(
                    "S{id}'s entry {index} changes the voters from [{before}] to [{config}]: {changed} voters at once"
                ),
            );
        }
        // Only the leader's own new entries: it leads in the entry's term after the step.
        if node.role() != Role::Leader || node.term() != term {
            return;
        }
        // Looked up in the committed prefix: the node may have compacted that entry since.
        let own_term_committed = commit > 0
            && self
                .committed
                .get(commit as usize - 1)
                .is_some_and(|e| e.term == term);
        // A configuration from the snapshot (taken in this same step, maybe) is committed.
        let before_committed = before_index <= commit || before_index == node.snapshot_index();
        if !before_committed || !own_term_committed {
            self.report(
                found,
                Property::OneChangeAtATime,
                now,
                &[id],
                format_args!(
                    "S{id}, leader of term {term}, appended configuration entry {index} with commit index {commit}: {}",
                    if !before_committed {
                        "the configuration entry before it is not committed"
                    } else {
                        "no entry of its own term is committed yet"
                    }
                ),
            );
        }
    }

    #[allow(clippy::too_many_arguments)]
    fn check_log_matching(
        &mut self,
        now: Micros,
        id: NodeId,
        node: &Node,
        index: Index,
        term: Term,
        command: &Command,
        found: &mut Vec<Violation>,
    ) {
        // Log Matching (5.3), inductively: an (index, term) pair always comes with the same
        // command and the same term just before it, so equal pairs mean equal prefixes.
        if node.term_at(index) != Some(term) {
            return; // replaced later in the same step; the later append is checked instead
        }
        if index <= node.snapshot_index() {
            // Applied and compacted in the same step (section 7): committed, so checked as a
            // committed entry; the entry before it is gone.
            return;
        }
        let prev = node.term_at(index - 1).unwrap_or(0);
        let k = index as usize - 1;
        if self.entries.len() <= k {
            self.entries.resize_with(k + 1, Vec::new);
        }
        match self.entries[k].iter().find(|e| e.0 == term) {
            Some((_, p, c)) if *p != prev || c != command => self.report(
                found,
                Property::LogMatching,
                now,
                &[id],
                format_args!(
                    "S{id} has an entry at index {index} in term {term} ({command}, after term {prev}) but another log has ({c}, after term {p}) there"
                ),
            ),
            Some(_) => {}
            None => self.entries[k].push((term, prev, command.clone())),
        }
    }

    fn check_commit(
        &mut self,
        now: Micros,
        id: NodeId,
        nodes: &[Node],
        events: &[Event],
        found: &mut Vec<Violation>,
    ) {
        let k = id as usize - 1;
        let node = &nodes[k];
        let seen = self.commit_seen[k];
        let commit = node.commit_index();
        if commit < seen {
            self.report(
                found,
                Property::CommitMonotonic,
                now,
                &[id],
                format_args!(
                    "S{id}'s commit index went down from {seen} to {commit} while it was up"
                ),
            );
        }
        for index in seen + 1..=commit {
            // An entry applied and compacted into a snapshot in this same step is known from
            // its Apply event.
            let applied;
            let entry = match node.entry(index) {
                Some(entry) => Some(entry),
                None => {
                    applied = applied_in(events, index);
                    applied.as_ref()
                }
            };
            let Some(entry) = entry else {
                if index <= node.snapshot_index() {
                    // Committed by installing or recovering a snapshot: the snapshot is
                    // checked on its own.
                    continue;
                }
                self.report(
                    found,
                    Property::StateMachineSafety,
                    now,
                    &[id],
                    format_args!("S{id} committed index {index} past the end of its log"),
                );
                break;
            };
            if let Some(agreed) = self.committed.get(index as usize - 1) {
                if agreed != entry {
                    self.report(
                        found,
                        Property::StateMachineSafety,
                        now,
                        &[id],
                        format_args!(
                            "S{id} committed {} at index {index}, but {} was committed there before",
                            Described(Some(entry)),
                            Described(Some(agreed))
                        ),
                    );
                }
                continue;
            }
            if index as usize != self.committed.len() + 1 {
                // Past a gap left by a snapshot of uncommitted entries (reported as such).
                continue;
            }
            self.committed.push(entry.clone());
            let commit_term = node.term();
            self.commit_terms.push(commit_term);
            // Leader Completeness (5.4): every current leader of a later term holds it.
            for other in nodes {
                if other.role() == Role::Leader
                    && other.term() > commit_term
                    && index > other.snapshot_index()
                    && other.entry(index) != Some(entry)
                {
                    self.report(
                        found,
                        Property::LeaderCompleteness,
                        now,
                        &[id, other.id()],
                        format_args!(
                            "index {index} ({}) was committed in term {commit_term}, but S{}, leader of term {}, lacks it",
                            Described(Some(entry)),
                            other.id(),
                            other.term()
                        ),
                    );
                }
            }
        }
        self.commit_seen[k] = commit;
    }
}

/// The entry applied at `index` in this step, from its Apply event.
fn applied_in(events: &[Event], index: Index) -> Option<Entry> {
    events.iter().find_map(|event| match event {
        Event::Apply {
            index: i,
            term,
            command,
        } if *i == index => Some(Entry {
            term: *term,
            command: command.clone(),
        }),
        _ => None,
    })
}

/// Node ids as `{:?}` writes a list (`[1, 3]`), without the code of `Debug`.
struct Ids<'a>(&'a [NodeId]);

impl std::fmt::Display for Ids<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("[")?;
        for (i, id) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{id}")?;
        }
        f.write_str("]")
    }
}

/// A key-value store as violations describe it: `{x=1, y=2}`.
struct Pairs<'a>(&'a BTreeMap<String, String>);

impl std::fmt::Display for Pairs<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("{")?;
        for (i, (key, value)) in self.0.iter().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{key}={value}")?;
        }
        f.write_str("}")
    }
}

/// Where `key` is (or would go) in `pairs`, sorted by key.
fn find(pairs: &[(u64, NodeId)], key: u64) -> Result<usize, usize> {
    pairs.binary_search_by_key(&key, |&(k, _)| k)
}

/// An entry as violations describe it, `term 2 set x=1`, or `missing`.
struct Described<'a>(Option<&'a Entry>);

impl std::fmt::Display for Described<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self.0 {
            Some(e) => write!(f, "term {} {}", e.term, e.command),
            None => f.write_str("missing"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Ids;

    #[test]
    fn ids_are_written_as_debug_writes_a_list() {
        for ids in [vec![], vec![3], vec![1, 2, 9]] {
            assert_eq!(Ids(&ids).to_string(), format!("{ids:?}"));
        }
    }
}
