//! The safety checker: the properties of paper Figure 3 and two more, checked after every
//! simulated event. It keeps what it needs across the whole history (leaders per term, votes
//! per term, the committed prefix) so each check costs about O(nodes).

use raftlab_raft::{Command, Entry, Event, Index, Micros, Node, NodeId, Role, Term};
use std::collections::{BTreeMap, HashMap};

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
    /// After the faults stop, the cluster settles on one leader with equal logs.
    Liveness,
}

impl Property {
    /// Every safety property, in report order (liveness is checked separately).
    pub const SAFETY: [Property; 7] = [
        Property::ElectionSafety,
        Property::LeaderAppendOnly,
        Property::LogMatching,
        Property::LeaderCompleteness,
        Property::StateMachineSafety,
        Property::OneVotePerTerm,
        Property::CommitMonotonic,
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
            Property::Liveness => "liveness",
        }
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
            Property::Liveness => "5.2, 5.3",
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
            "{} (section {}) broken at {:.3} ms, nodes {:?}, seed {}: {}",
            self.property.name(),
            self.property.section(),
            self.t_us as f64 / 1000.0,
            self.nodes,
            self.seed,
            self.detail
        )
    }
}

/// Keeps the history the properties need and checks them.
#[derive(Clone, Debug, Default)]
pub struct Checker {
    seed: u64,
    leaders: BTreeMap<Term, NodeId>,
    votes: HashMap<(NodeId, Term), NodeId>,
    /// (index, term) -> (term of the entry before, command): enough to check Log Matching
    /// inductively, one new entry at a time.
    entries: HashMap<(Index, Term), (Term, Command)>,
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
}

impl Checker {
    /// A checker for a cluster of `nodes` servers in a run with `seed`.
    pub fn new(nodes: usize, seed: u64) -> Checker {
        Checker {
            seed,
            commit_seen: vec![0; nodes],
            leading: vec![None; nodes],
            ..Checker::default()
        }
    }

    /// The committed prefix seen so far.
    pub fn committed(&self) -> &[Entry] {
        &self.committed
    }

    fn violation(
        &self,
        property: Property,
        t_us: Micros,
        nodes: Vec<NodeId>,
        detail: String,
    ) -> Violation {
        Violation {
            property,
            t_us,
            nodes,
            detail,
            seed: self.seed,
        }
    }

    /// A node crashed: its volatile state (commit index) is gone.
    pub fn on_crash(&mut self, node: NodeId) {
        self.commit_seen[node as usize - 1] = 0;
        self.leading[node as usize - 1] = None;
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
        self.check_commit(now, id, nodes, found);
        for event in events {
            match event {
                Event::BecomeLeader { term } => {
                    // Election Safety (5.2).
                    match self.leaders.get(term) {
                        Some(&other) if other != id => found.push(self.violation(
                            Property::ElectionSafety,
                            now,
                            vec![other, id],
                            format!("S{other} and S{id} were both elected leader of term {term}"),
                        )),
                        _ => {
                            self.leaders.insert(*term, id);
                        }
                    }
                    // Leader Completeness (5.4): the new leader holds every entry committed in
                    // an earlier term.
                    if let Some(index) = self.missing_committed(node, *term) {
                        found.push(self.violation(
                            Property::LeaderCompleteness,
                            now,
                            vec![id],
                            format!(
                                "S{id} became leader of term {term} without the committed entry {index} ({})",
                                describe_entry(&self.committed[index as usize - 1])
                            ),
                        ));
                    }
                }
                Event::Vote { candidate, term } => {
                    // One vote per term, across restarts (Figure 2, votedFor is persistent).
                    match self.votes.get(&(id, *term)) {
                        Some(&earlier) if earlier != *candidate => found.push(self.violation(
                            Property::OneVotePerTerm,
                            now,
                            vec![id, earlier, *candidate],
                            format!("S{id} voted for S{earlier} and then for S{candidate} in term {term}"),
                        )),
                        _ => {
                            self.votes.insert((id, *term), *candidate);
                        }
                    }
                }
                Event::Append { index, .. } | Event::Truncate { from: index } if matches!(before, Some((t, len)) if still_leading(t) && *index <= len) =>
                {
                    found.push(self.violation(
                        Property::LeaderAppendOnly,
                        now,
                        vec![id],
                        format!(
                            "S{id}, leader of term {}, changed its own entry at index {index}",
                            node.term()
                        ),
                    ));
                }
                _ => {}
            }
            if let Event::Truncate { from } = event {
                // State Machine Safety (5.4.3): a committed entry is never removed.
                if *from <= commit_before {
                    found.push(self.violation(
                        Property::StateMachineSafety,
                        now,
                        vec![id],
                        format!(
                            "S{id} removed entries from index {from} on, but it had committed up to {commit_before}"
                        ),
                    ));
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
                    found.push(self.violation(
                        Property::StateMachineSafety,
                        now,
                        vec![id],
                        format!(
                            "S{id} applied {} at index {index}, but the committed entry there is {}",
                            describe_entry(&Entry { term: *term, command: command.clone() }),
                            agreed.map_or("missing".to_string(), describe_entry)
                        ),
                    ));
                }
            }
        }
        self.leading[k] = (node.role() == Role::Leader).then(|| (node.term(), node.last_index()));
    }

    fn missing_committed(&self, node: &Node, term: Term) -> Option<Index> {
        let log = node.log();
        self.committed
            .iter()
            .zip(&self.commit_terms)
            .enumerate()
            .find_map(|(i, (e, &t))| (t < term && log.get(i) != Some(e)).then_some(i as Index + 1))
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
        let prev = node.term_at(index - 1).unwrap_or(0);
        match self.entries.get(&(index, term)) {
            Some((p, c)) if *p != prev || c != command => found.push(self.violation(
                Property::LogMatching,
                now,
                vec![id],
                format!(
                    "S{id} has an entry at index {index} in term {term} ({command}, after term {prev}) but another log has ({c}, after term {p}) there"
                ),
            )),
            Some(_) => {}
            None => {
                self.entries.insert((index, term), (prev, command.clone()));
            }
        }
    }

    fn check_commit(
        &mut self,
        now: Micros,
        id: NodeId,
        nodes: &[Node],
        found: &mut Vec<Violation>,
    ) {
        let k = id as usize - 1;
        let node = &nodes[k];
        let seen = self.commit_seen[k];
        let commit = node.commit_index();
        if commit < seen {
            found.push(self.violation(
                Property::CommitMonotonic,
                now,
                vec![id],
                format!("S{id}'s commit index went down from {seen} to {commit} while it was up"),
            ));
        }
        for index in seen + 1..=commit {
            let Some(entry) = node.log().get(index as usize - 1) else {
                found.push(self.violation(
                    Property::StateMachineSafety,
                    now,
                    vec![id],
                    format!("S{id} committed index {index} past the end of its log"),
                ));
                break;
            };
            if let Some(agreed) = self.committed.get(index as usize - 1) {
                if agreed != entry {
                    found.push(self.violation(
                        Property::StateMachineSafety,
                        now,
                        vec![id],
                        format!(
                            "S{id} committed {} at index {index}, but {} was committed there before",
                            describe_entry(entry),
                            describe_entry(agreed)
                        ),
                    ));
                }
                continue;
            }
            self.committed.push(entry.clone());
            let commit_term = node.term();
            self.commit_terms.push(commit_term);
            // Leader Completeness (5.4): every current leader of a later term holds it.
            for other in nodes {
                if other.role() == Role::Leader
                    && other.term() > commit_term
                    && other.log().get(index as usize - 1) != Some(entry)
                {
                    found.push(self.violation(
                        Property::LeaderCompleteness,
                        now,
                        vec![id, other.id()],
                        format!(
                            "index {index} ({}) was committed in term {commit_term}, but S{}, leader of term {}, lacks it",
                            describe_entry(entry),
                            other.id(),
                            other.term()
                        ),
                    ));
                }
            }
        }
        self.commit_seen[k] = commit;
    }
}

fn describe_entry(e: &Entry) -> String {
    format!("term {} {}", e.term, e.command)
}
