//! Plain-words explanations of a running cluster: why an entry is (not) committed, why a
//! server has its role, what a message on the wire says and what its receiver will do with it.
//!
//! Everything is derived from the live [`Simulation`]: the nodes' state, the leaders and
//! client writes the simulator recorded, the refusals the servers reported, and, for a
//! message, a clone of its receiver stepped with it. Section numbers cite "In Search of an
//! Understandable Consensus Algorithm" (Ongaro and Ousterhout, 2014); "thesis" is Ongaro's PhD
//! thesis (2014). Pure Rust, like the rest of the crate: the page calls it on its simulation.

use crate::sim::{InFlight, Refusal, Simulation};
use raftlab_raft::{
    AppendRejection, Body, Command, Event, Index, Input, Membership, Message, Micros, Node, NodeId,
    Ready, Role, Term, VoteRefusal,
};

/// What to explain.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Target {
    /// The entry at `index` in server `node`'s log.
    Entry {
        /// The server.
        node: NodeId,
        /// The log index (from 1).
        index: Index,
    },
    /// Server `node`: its role and why, its timer, its last refusal.
    Node {
        /// The server.
        node: NodeId,
    },
    /// The message with trace id `id`, while it is on the wire.
    Message {
        /// Its id (as in the trace's `msg.id`).
        id: u64,
    },
}

/// An explanation: a title and short sentences, each of which stands alone.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Explanation {
    /// What is explained, e.g. "S2's entry 3 (term 2, set x=1)".
    pub title: String,
    /// The sentences, most important first.
    pub lines: Vec<String>,
}

mod others;

/// Explains `target` in the state `sim` is in now. `Err` says, in words, why there is nothing
/// to explain (no such server, no such entry, no such message on the wire).
pub fn explain(sim: &Simulation, target: &Target) -> Result<Explanation, String> {
    let system = sim.system();
    if system != crate::system::System::Raft {
        return match *target {
            Target::Entry { .. } => Err(format!(
                "a {} run has no log: explain a server or a message on the wire instead",
                system.as_str()
            )),
            Target::Node { node } => others::node(sim, node),
            Target::Message { id } => match sim.in_flight().find(|f| f.id == id) {
                Some(f) => others::message(sim, &f),
                None => Err(format!(
                    "no message {id} is on the wire (it was delivered or dropped, or never sent)"
                )),
            },
        };
    }
    match *target {
        Target::Entry { node, index } => entry(sim, node, index),
        Target::Node { node } => server(sim, node),
        Target::Message { id } => message(sim, id),
    }
}

// ----- words -----

fn s(id: NodeId) -> String {
    format!("S{id}")
}

fn list(ids: &[NodeId]) -> String {
    ids.iter().map(|&id| s(id)).collect::<Vec<_>>().join(", ")
}

/// "a", "a and b", "a, b and c".
fn and(pieces: &[String]) -> String {
    match pieces {
        [] => String::new(),
        [one] => one.clone(),
        [init @ .., last] => format!("{} and {last}", init.join(", ")),
    }
}

/// A duration: "40 ms", "2.5 ms" (tenths only below 10 ms).
fn dur(us: Micros) -> String {
    if us.is_multiple_of(1000) || us >= 10_000 {
        format!("{} ms", us / 1000)
    } else {
        format!("{}.{} ms", us / 1000, us % 1000 / 100)
    }
}

/// A moment of the run: "1.52 s", "0.185 s" (to the millisecond).
fn at(us: Micros) -> String {
    let ms = us / 1000;
    let text = format!("{}.{:03}", ms / 1000, ms % 1000);
    let text = text.trim_end_matches('0').trim_end_matches('.');
    format!("{text} s")
}

fn range(first: Index, last: Index) -> String {
    if first == last {
        format!("entry {first}")
    } else {
        format!("entries {first}-{last}")
    }
}

fn config_words(m: &Membership) -> String {
    let mut text = format!("voters {}", list(&m.voters));
    if !m.learners.is_empty() {
        text.push_str(&format!(", learners {}", list(&m.learners)));
    }
    text
}

fn node_ref(sim: &Simulation, id: NodeId) -> Result<&Node, String> {
    let n = sim.nodes().len();
    (id as usize)
        .checked_sub(1)
        .and_then(|k| sim.nodes().get(k))
        .ok_or_else(|| format!("no server {id} (the cluster has {n})"))
}

/// Why `voter` refused `candidate`'s vote (or pre-vote) for `term`, as a phrase: "S4's log is
/// behind (last term 1 < 2, section 5.4.1)".
pub fn vote_reason(
    voter: NodeId,
    candidate: NodeId,
    term: Term,
    pre_vote: bool,
    reason: &VoteRefusal,
) -> String {
    match reason.clone() {
        VoteRefusal::StaleTerm { voter_term } if pre_vote => format!(
            "{} could only campaign in term {term}, not later than its own term {voter_term} \
             (thesis 9.6)",
            s(candidate)
        ),
        VoteRefusal::StaleTerm { voter_term } => format!(
            "{}'s term {term} is lower than its term {voter_term} (section 5.1)",
            s(candidate)
        ),
        VoteRefusal::AlreadyVoted { voted_for } if voted_for == voter => {
            format!("it voted for itself in term {term} (section 5.2)")
        }
        VoteRefusal::AlreadyVoted { voted_for } => {
            format!(
                "already voted for {} in term {term} (section 5.2)",
                s(voted_for)
            )
        }
        VoteRefusal::LogBehind {
            candidate_last_term,
            candidate_last_index,
            voter_last_term,
            voter_last_index,
        } => {
            if candidate_last_term < voter_last_term {
                format!(
                    "{}'s log is behind (last term {candidate_last_term} < {voter_last_term}, \
                     section 5.4.1)",
                    s(candidate)
                )
            } else {
                format!(
                    "{}'s log is behind (same last term {candidate_last_term}, but last index \
                     {candidate_last_index} < {voter_last_index}, section 5.4.1)",
                    s(candidate)
                )
            }
        }
        VoteRefusal::LeaderAlive { leader } => {
            let section = if pre_vote {
                "thesis 9.6"
            } else {
                "thesis 4.2.3"
            };
            match leader {
                Some(l) if l == voter => format!("it leads its term itself ({section})"),
                Some(l) => format!(
                    "it heard from its leader {} less than an election timeout ago ({section})",
                    s(l)
                ),
                None => format!(
                    "it restarted less than an election timeout ago and keeps quiet \
                     (it may have promised a leader not to vote, {section})"
                ),
            }
        }
        VoteRefusal::NotAVoter { voters, .. } => format!(
            "{} is not a voter in {}'s configuration (voters {}), so {} does not {} for it \
             (thesis 4.1)",
            s(candidate),
            s(voter),
            list(&voters),
            s(voter),
            if pre_vote { "pre-vote" } else { "vote" }
        ),
    }
}

/// Why an AppendEntries was rejected, as a phrase: "its log has no entry 5 (section 5.3)".
pub fn append_reason(
    leader: NodeId,
    term: Term,
    prev_index: Index,
    prev_term: Term,
    reason: &AppendRejection,
) -> String {
    match *reason {
        AppendRejection::StaleTerm { follower_term } => format!(
            "{}'s term {term} is lower than its term {follower_term}; the reply's term tells {} \
             it is no longer leader (section 5.1)",
            s(leader),
            s(leader)
        ),
        AppendRejection::LogMismatch {
            conflict_index,
            conflict_term: None,
        } => format!(
            "its log has no entry {prev_index} ({}); {} should resume at {conflict_index} \
             (section 5.3)",
            match conflict_index.saturating_sub(1) {
                0 => "it is empty".to_string(),
                last => format!("it ends at {last}"),
            },
            s(leader)
        ),
        AppendRejection::LogMismatch {
            conflict_index,
            conflict_term: Some(t),
        } => format!(
            "its entry {prev_index} has term {t}, not {prev_term}; {} should resume at \
             {conflict_index}, where its entries of term {t} start (section 5.3)",
            s(leader)
        ),
    }
}

/// A refusal as a sentence: "At 1.2 s it refused S4's vote request for term 3: ...".
fn refusal_sentence(voter: NodeId, r: &Refusal) -> Option<String> {
    match &r.event {
        Event::VoteRefused {
            candidate,
            term,
            pre_vote,
            reason,
        } => {
            let what = if *pre_vote {
                "pre-vote request"
            } else {
                "vote request"
            };
            let verb = if matches!(reason, VoteRefusal::LeaderAlive { .. }) && !pre_vote {
                "ignored (no reply)"
            } else {
                "refused"
            };
            Some(format!(
                "At {} it {verb} {}'s {what} for term {term}: {}.",
                at(r.at_us),
                s(*candidate),
                vote_reason(voter, *candidate, *term, *pre_vote, reason)
            ))
        }
        Event::AppendRejected {
            leader,
            term,
            prev_index,
            prev_term,
            reason,
        } => Some(format!(
            "At {} it rejected {}'s AppendEntries of term {term} (after entry {prev_index} of \
             term {prev_term}): {}.",
            at(r.at_us),
            s(*leader),
            append_reason(*leader, *term, *prev_index, *prev_term, reason)
        )),
        _ => None,
    }
}

// ----- entries -----

fn entry(sim: &Simulation, id: NodeId, index: Index) -> Result<Explanation, String> {
    let n = node_ref(sim, id)?;
    if index == 0 || index > n.last_index() {
        return Err(if n.last_index() == 0 {
            format!("{} has no entry {index} (its log is empty)", s(id))
        } else if index == 0 {
            format!("{} has no entry 0 (entries are numbered from 1)", s(id))
        } else {
            format!(
                "{} has no entry {index} (its log ends at {})",
                s(id),
                n.last_index()
            )
        });
    }
    let mut lines = Vec::new();
    if index <= n.snapshot_index() {
        lines.push(format!(
            "Entry {index} was compacted into {}'s snapshot, which covers entries 1 to {} (last \
             term {}): it is committed and applied, and only the state it produced is kept \
             (section 7).",
            s(id),
            n.snapshot_index(),
            n.snapshot_term()
        ));
        return Ok(Explanation {
            title: format!("{}'s entry {index} (in its snapshot)", s(id)),
            lines,
        });
    }
    let e = n.entry(index).expect("inside the log");
    let term = e.term;

    // Who made it, and what it is.
    let author = match sim.leader_of(term) {
        Some(l) => format!("{} created it as leader of term {term}", s(l)),
        None => format!("The leader of term {term} created it"),
    };
    lines.push(match &e.command {
        Command::Noop => format!(
            "{author}: it is the no-op a new leader appends at the start of its term (section 8)."
        ),
        Command::Config(m) => format!(
            "{author}: it is a configuration entry, {} (thesis 4.1); a server uses it as soon as \
             it is in its log, committed or not.",
            config_words(m)
        ),
        command => match sim.write_at(term, index) {
            Some((request, _)) => format!("{author}, for client request {request} ({command})."),
            None => format!("{author}, for a client's command ({command})."),
        },
    });

    // Who stores it, counted among the voters of the configuration in use.
    let membership = sim.membership();
    let committed_here = index <= n.commit_index() && sim.is_alive(id);
    let stores = |m: &Node| {
        m.term_at(index) == Some(term) || (committed_here && index <= m.snapshot_index())
    };
    let holders: Vec<NodeId> = sim
        .nodes()
        .iter()
        .filter(|m| stores(m))
        .map(Node::id)
        .collect();
    let voters: Vec<NodeId> = holders
        .iter()
        .copied()
        .filter(|&h| membership.is_voter(h))
        .collect();
    let total = membership.voters.len();
    let quorum = membership.quorum();
    let majority = voters.len() >= quorum;
    if majority {
        lines.push(format!(
            "{} store it: {} of {total}, a majority.",
            list(&voters),
            voters.len()
        ));
    } else if voters.is_empty() {
        lines.push(format!(
            "No voter stores it: a majority needs {quorum} of {total} (section 5.3)."
        ));
    } else {
        let more = quorum - voters.len();
        lines.push(format!(
            "Only {} store{} it: {} of {total}; a majority needs {quorum}, so {more} more \
             (section 5.3).",
            list(&voters),
            if voters.len() == 1 { "s" } else { "" },
            voters.len()
        ));
    }
    let others: Vec<NodeId> = holders
        .iter()
        .copied()
        .filter(|&h| !membership.is_voter(h))
        .collect();
    if !others.is_empty() {
        lines.push(format!(
            "{} also store{} it but {} not a voter of the configuration in use ({}), so {} not \
             count (thesis 4.1).",
            list(&others),
            if others.len() == 1 { "s" } else { "" },
            if others.len() == 1 { "is" } else { "are" },
            config_words(membership),
            if others.len() == 1 { "does" } else { "do" }
        ));
    }

    // Committed or not, and why.
    let leader = sim.leader().map(|l| &sim.nodes()[l as usize - 1]);
    if !sim.is_alive(id) {
        lines.push(format!(
            "{} is down: its commit index and state machine are volatile and rebuilt once it \
             restarts (Figure 2).",
            s(id)
        ));
    } else if committed_here {
        let bugs = &sim.config().bugs;
        let first = sim.committed_entry(index).filter(|c| c.term != term);
        if let Some(c) = first {
            lines.push(format!(
                "{} counts it as committed (its commit index is {}), but another entry, {} of \
                 term {}, was committed at index {index} first: a committed entry was lost, \
                 which Raft forbids (State Machine Safety, section 5.4.3).",
                s(id),
                n.commit_index(),
                c.command,
                c.term
            ));
        } else if bugs.commit_previous_term || bugs.skip_vote_log_check || bugs.unsafe_membership {
            lines.push(format!(
                "It is committed on {} (its commit index is {}). In Raft no later leader could \
                 lack it (section 5.4), but a bug is switched on in this run, so that promise \
                 does not hold.",
                s(id),
                n.commit_index()
            ));
        } else {
            lines.push(format!(
                "It is committed on {} (its commit index is {}): no later leader can lack it \
                 (section 5.4).",
                s(id),
                n.commit_index()
            ));
        }
    } else {
        lines.push(format!(
            "It is not committed on {} (its commit index is {}).",
            s(id),
            n.commit_index()
        ));
    }
    match leader {
        Some(l) if l.term_at(index) != Some(term) && !committed_here => {
            let has = match l.term_at(index) {
                Some(t) => format!("it has an entry of term {t} at index {index}"),
                None => format!("its log ends at {}", l.last_index()),
            };
            lines.push(format!(
                "The leader {} (term {}) does not store it ({has}): it will replace this entry \
                 on the servers that hold it (section 5.3, Figure 8).",
                s(l.id()),
                l.term()
            ));
        }
        Some(l) if l.term_at(index) == Some(term) && index <= l.commit_index() => {
            let line = format!("The leader {} has committed it.", s(l.id()));
            lines.extend((l.id() != id).then_some(line));
        }
        Some(l) if l.term_at(index) == Some(term) => {
            if term < l.term() && sim.config().bugs.commit_previous_term {
                lines.push(format!(
                    "It comes from term {term}, and the leader {} is in term {}. Raft would \
                     wait for an entry of term {} to be committed (section 5.4.2, Figure 8), \
                     but the bug commit_previous_term is switched on: this leader commits it \
                     as soon as a majority stores it.",
                    s(l.id()),
                    l.term(),
                    l.term()
                ));
            } else if majority && term < l.term() {
                lines.push(format!(
                    "It comes from term {term}, and the leader {} is in term {}: a leader \
                     commits by counting replicas only entries of its own term, so it waits \
                     for an entry of term {} to be committed, which commits it too (section \
                     5.4.2, Figure 8).",
                    s(l.id()),
                    l.term(),
                    l.term()
                ));
            } else if majority {
                lines.push(format!(
                    "The leader {} commits it as soon as the replies tell it a majority \
                     stores it (section 5.3).",
                    s(l.id())
                ));
            } else if term < l.term() {
                lines.push(format!(
                    "The leader {} commits it once a majority stores it and an entry of its \
                     term {} is committed (sections 5.3, 5.4.2).",
                    s(l.id()),
                    l.term()
                ));
            } else {
                lines.push(format!(
                    "The leader {} commits it once a majority stores it (section 5.3).",
                    s(l.id())
                ));
            }
        }
        Some(_) => {}
        None if !committed_here => lines.push(
            "There is no leader now: only a leader commits entries (section 5.3).".to_string(),
        ),
        None => {}
    }

    // Applied or not.
    if sim.is_alive(id) {
        let lost = sim.committed_entry(index).is_some_and(|c| c.term != term);
        if index <= n.last_applied() && lost {
            lines.push(format!(
                "{} has applied an entry at index {index} (lastApplied {}), but two different \
                 entries were committed at this index, so the servers' state machines may \
                 disagree (section 5.4.3).",
                s(id),
                n.last_applied()
            ));
        } else if index <= n.last_applied() {
            lines.push(format!(
                "{} has applied it to its state machine (lastApplied {}).",
                s(id),
                n.last_applied()
            ));
        } else {
            lines.push(format!(
                "{} has not applied it (lastApplied {}): entries are applied in order once \
                 committed (Figure 2).",
                s(id),
                n.last_applied()
            ));
        }
    }
    Ok(Explanation {
        title: format!("{}'s entry {index} (term {term}, {})", s(id), e.command),
        lines,
    })
}

// ----- servers -----

fn server(sim: &Simulation, id: NodeId) -> Result<Explanation, String> {
    let n = node_ref(sim, id)?;
    let mut lines = Vec::new();
    let membership = n.membership();
    if !sim.is_alive(id) {
        let vote = match n.voted_for() {
            Some(v) => format!("its vote for {}", s(v)),
            None => "its vote (none in this term)".to_string(),
        };
        lines.push(format!(
            "{} is down: it keeps its term ({}), {vote} and its log ({} {}), which are on \
             stable storage; the rest is rebuilt when it restarts (Figure 2).",
            s(id),
            n.term(),
            n.last_index(),
            if n.last_index() == 1 {
                "entry"
            } else {
                "entries"
            }
        ));
        push_refusal(sim, id, &mut lines);
        return Ok(Explanation {
            title: format!("{} (down)", s(id)),
            lines,
        });
    }
    let clock = sim.node_clock(id);
    let quorum = membership.quorum();
    let counted = |votes: &[NodeId]| votes.iter().filter(|&&v| membership.is_voter(v)).count();
    match n.role() {
        Role::Leader => {
            let votes = n.votes();
            lines.push(if votes.len() <= 1 {
                format!(
                    "{} leads term {} with its own vote (section 5.2).",
                    s(id),
                    n.term()
                )
            } else {
                format!(
                    "{} leads term {} with the votes of {} (section 5.2).",
                    s(id),
                    n.term(),
                    list(votes)
                )
            });
            let beat = n.heartbeat_deadline();
            if beat != Micros::MAX {
                lines.push(format!(
                    "It sends its next heartbeats in {} (at {}), every {} (section 5.2).",
                    dur(beat.saturating_sub(clock)),
                    at(sim.time_of(id, beat)),
                    dur(n.config().heartbeat_us)
                ));
            }
            let progress: Vec<String> = n
                .progress()
                .iter()
                .map(|p| format!("{} {}", s(p.id), p.match_index))
                .collect();
            if !progress.is_empty() {
                lines.push(format!(
                    "Its log ends at {} and its commit index is {}; what each server is known \
                     to hold (matchIndex, Figure 2): {}.",
                    n.last_index(),
                    n.commit_index(),
                    progress.join(", ")
                ));
            }
        }
        Role::Follower => match n.leader() {
            Some(l) => {
                let contact = n.leader_contact();
                lines.push(format!(
                    "{} follows {} in term {}; it heard from it {} ago (at {}).",
                    s(id),
                    s(l),
                    n.term(),
                    dur(clock.saturating_sub(contact)),
                    at(sim.time_of(id, contact))
                ));
            }
            None => {
                let vote = match n.voted_for() {
                    Some(v) if v == id => " and voted for itself".to_string(),
                    Some(v) => format!(" and voted for {} in it", s(v)),
                    None => " and has not voted in it".to_string(),
                };
                lines.push(format!(
                    "{} is a follower in term {}{vote}; it knows no leader of this term.",
                    s(id),
                    n.term()
                ));
            }
        },
        Role::Candidate => {
            let votes = n.votes();
            lines.push(format!(
                "{} asks for votes in term {}; it has {} ({}) of the {quorum} it needs \
                 (section 5.2).",
                s(id),
                n.term(),
                list(votes),
                counted(votes)
            ));
        }
        Role::PreCandidate => {
            let votes = n.votes();
            lines.push(format!(
                "{} asks for pre-votes: could it win term {}? Its term stays {} until a \
                 majority says yes; it has {} ({}) of the {quorum} it needs (thesis 9.6).",
                s(id),
                n.term() + 1,
                n.term(),
                list(votes),
                counted(votes)
            ));
        }
    }

    // Membership (thesis 4.1).
    if membership.voters.is_empty() && membership.learners.is_empty() {
        lines.push(format!(
            "{} has no configuration yet: it waits for a leader to add it (thesis 4.1).",
            s(id)
        ));
    } else if membership.learners.contains(&id) {
        lines.push(format!(
            "{} is a learner ({}): it receives entries but does not count for elections or \
             commits until it has caught up and is promoted (thesis 4.2.1).",
            s(id),
            config_words(membership)
        ));
    } else if !membership.is_voter(id) {
        lines.push(format!(
            "{} is not in its latest configuration ({}){} (thesis 4.2.2).",
            s(id),
            config_words(membership),
            if n.may_campaign() {
                ", which is not committed yet: it may still stand for election"
            } else {
                ": it starts no election"
            }
        ));
    }

    // Timers (section 5.2) and what keeps it from voting (thesis 4.2.3, 9.6).
    if n.role() != Role::Leader {
        let (_, deadline) = n.election_timer();
        let (lo, hi) = n.config().election_timeout_us;
        if deadline != Micros::MAX {
            let then = if !n.may_campaign() {
                "it will not campaign, only draw a new timeout".to_string()
            } else if n.config().pre_vote {
                format!(
                    "it will then ask for pre-votes for term {} (thesis 9.6)",
                    n.term() + 1
                )
            } else {
                format!("it will then start an election for term {}", n.term() + 1)
            };
            lines.push(format!(
                "Its election timer fires in {} (at {}); it was drawn from [{}, {}] ms \
                 (section 5.2); {then}.",
                dur(deadline.saturating_sub(clock)),
                at(sim.time_of(id, deadline)),
                lo / 1000,
                hi / 1000
            ));
        }
        let cq = n.config().check_quorum;
        let pv = n.config().pre_vote;
        if n.role() == Role::Follower && (cq || pv) {
            let heard = n.leader().is_some() && clock.saturating_sub(n.leader_contact()) < lo;
            let until = if heard {
                Some(n.leader_contact() + lo)
            } else if clock < n.quiet_until() {
                Some(n.quiet_until())
            } else {
                None
            };
            if let Some(until) = until {
                let what = match (cq, pv) {
                    (true, true) => "it ignores vote requests and refuses pre-votes",
                    (true, false) => "it ignores vote requests",
                    _ => "it refuses pre-votes",
                };
                let why = if heard {
                    "it heard from its leader less than the shortest election timeout ago"
                } else {
                    "it restarted less than the shortest election timeout ago"
                };
                lines.push(format!(
                    "Until {} {what}: {why} (thesis 4.2.3{}).",
                    at(sim.time_of(id, until)),
                    if pv { ", 9.6" } else { "" }
                ));
            }
        }
    }
    push_refusal(sim, id, &mut lines);
    Ok(Explanation {
        title: format!("{} ({}, term {})", s(id), n.role().as_str(), n.term()),
        lines,
    })
}

fn push_refusal(sim: &Simulation, id: NodeId, lines: &mut Vec<String>) {
    let last = sim.refusals(id).next_back();
    if let Some(line) = last.and_then(|r| refusal_sentence(id, r)) {
        lines.push(line);
    }
}

// ----- messages -----

fn message(sim: &Simulation, id: u64) -> Result<Explanation, String> {
    let Some(f) = sim.in_flight().find(|f| f.id == id) else {
        return Err(format!(
            "no message {id} is on the wire (it was delivered or dropped, or never sent)"
        ));
    };
    let Some(m) = f.message.raft() else {
        return Err(format!(
            "message {id} is a {} of the {} system: explanations cover Raft's messages",
            f.message.type_name(),
            sim.system().as_str()
        ));
    };
    let (from, to) = (m.from, m.to);
    let mut lines = vec![fields(sim, m)];
    if let Some(of) = f.copy_of {
        lines.push(format!("It is a copy of message {of} made by the network."));
    }
    lines.push(timing(sim, &f));
    if f.lost {
        lines.push(format!(
            "It will never arrive, so {} will do nothing with it.",
            s(to)
        ));
    } else if !sim.is_alive(to) {
        lines.push(format!(
            "{} is down: it would not handle the message.",
            s(to)
        ));
    } else {
        lines.push(format!(
            "A prediction of what {} would do if the message arrived now (the cluster may \
             change before it does):",
            s(to)
        ));
        lines.extend(predict(sim, m));
    }
    Ok(Explanation {
        title: format!(
            "Message {id}: {} from {} to {}",
            m.body.type_name(),
            s(from),
            s(to)
        ),
        lines,
    })
}

fn entries_words(entries: &[raftlab_raft::Entry], first: Index) -> String {
    if let [e] = entries {
        return format!("entry {first} (term {}, {})", e.term, e.command);
    }
    let shown: Vec<String> = entries
        .iter()
        .take(4)
        .enumerate()
        .map(|(k, e)| format!("{}: term {}, {}", first + k as Index, e.term, e.command))
        .collect();
    let more = if entries.len() > 4 {
        format!("; and {} more", entries.len() - 4)
    } else {
        String::new()
    };
    let last = first + entries.len() as Index - 1;
    format!("{} ({}{more})", range(first, last), shown.join("; "))
}

/// Every field of the message, in words.
fn fields(sim: &Simulation, m: &Message) -> String {
    let (from, to, term) = (s(m.from), s(m.to), m.term);
    match &m.body {
        Body::RequestVote {
            last_log_index,
            last_log_term,
            transfer,
        } => format!(
            "{from} asks {to} for its vote in term {term}; {from}'s log ends at index \
             {last_log_index}, term {last_log_term} (lastLogIndex, lastLogTerm: {to} compares \
             them with its own, section 5.4.1).{}",
            if *transfer {
                " It comes from a leadership transfer (thesis 3.10): voters that hear from a \
                 leader vote anyway."
            } else {
                ""
            }
        ),
        Body::PreVote {
            last_log_index,
            last_log_term,
        } => format!(
            "{from} asks {to} whether it would vote for it in term {term} (a pre-vote, thesis \
             9.6: {from}'s term stays {}); {from}'s log ends at index {last_log_index}, term \
             {last_log_term} (section 5.4.1).",
            term.saturating_sub(1)
        ),
        Body::RequestVoteReply { granted } | Body::PreVoteReply { granted } => {
            let pre_vote = matches!(m.body, Body::PreVoteReply { .. });
            let what = if pre_vote { "pre-vote" } else { "vote" };
            if *granted && sim.config().bugs.skip_vote_log_check {
                format!(
                    "{from} answers {to}'s {what} request: granted (term {term}); the bug \
                     skip_vote_log_check is on, so votes are granted whatever the candidate's \
                     log (section 5.4.1)."
                )
            } else if *granted {
                format!("{from} answers {to}'s {what} request: granted (term {term}).")
            } else {
                let why = sim
                    .refusals(m.from)
                    .rev()
                    .find_map(|r| match &r.event {
                        Event::VoteRefused {
                            candidate,
                            term: asked,
                            pre_vote: p,
                            reason,
                        } if *candidate == m.to && *p == pre_vote && r.node_term == m.term => {
                            Some(vote_reason(m.from, *candidate, *asked, pre_vote, reason))
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| "the reason is no longer recorded".to_string());
                format!("{from} answers {to}'s {what} request: refused, in its term {term}: {why}.")
            }
        }
        Body::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
            ..
        } => {
            let what = if entries.is_empty() {
                "a heartbeat (no entries)".to_string()
            } else {
                entries_words(entries, prev_log_index + 1)
            };
            format!(
                "{from}, leader of term {term}, sends {to} {what}, to follow its entry \
                 {prev_log_index} of term {prev_log_term} (prevLogIndex, prevLogTerm: the \
                 consistency check, section 5.3); its commit index is {leader_commit} \
                 (leaderCommit)."
            )
        }
        Body::AppendEntriesReply {
            success,
            match_index,
            conflict_index,
            conflict_term,
            ..
        } => {
            if *success {
                format!(
                    "{from} answers {to}'s AppendEntries in term {term}: success, its log \
                     matches {to}'s up to entry {match_index} (section 5.3)."
                )
            } else {
                let why = sim
                    .refusals(m.from)
                    .rev()
                    .find_map(|r| match &r.event {
                        Event::AppendRejected {
                            leader,
                            term: t,
                            prev_index,
                            prev_term,
                            reason,
                        } if *leader == m.to
                            && *prev_index == *match_index
                            && r.node_term == m.term =>
                        {
                            Some(append_reason(*leader, *t, *prev_index, *prev_term, reason))
                        }
                        _ => None,
                    })
                    .unwrap_or_else(|| "the reason is no longer recorded".to_string());
                let hint = match (conflict_index, conflict_term) {
                    (0, _) => String::new(),
                    (i, Some(t)) => {
                        format!(" Hint: resume at {i} (conflictIndex), conflicting term {t}.")
                    }
                    (i, None) => format!(" Hint: resume at {i} (conflictIndex)."),
                };
                format!(
                    "{from} answers {to}'s AppendEntries after entry {match_index} in its \
                     term {term}: rejected, {why}.{hint}"
                )
            }
        }
        Body::InstallSnapshot {
            last_included_index,
            last_included_term,
            data,
            config,
        } => format!(
            "{from}, leader of term {term}, sends {to} its snapshot of entries 1 to \
             {last_included_index} (last term {last_included_term}): the state machine ({} \
             keys) and the configuration, {} (section 7, Figure 13).",
            data.len(),
            config_words(config)
        ),
        Body::InstallSnapshotReply {
            last_included_index,
        } => format!(
            "{from} answers {to} in term {term}: it has the snapshot up to entry \
             {last_included_index} (section 7)."
        ),
        Body::TimeoutNow => format!(
            "{from}, leader of term {term}, hands leadership to {to}: {to} should start an \
             election at once (thesis 3.10)."
        ),
    }
}

fn timing(sim: &Simulation, f: &InFlight<'_>) -> String {
    let sent = format!("Sent at {}", at(f.sent_at));
    let (from, to) = (f.message.from(), f.message.to());
    let eta = f.deliver_at.saturating_sub(sim.now());
    if f.lost {
        format!(
            "{sent}; the network will lose it (it would have arrived at {}).",
            at(f.deliver_at)
        )
    } else if !sim.link_up(from, to) {
        format!(
            "{sent}; the link from {} to {} is cut by a partition: unless it is mended by then, \
             the message is dropped at {} (in {}).",
            s(from),
            s(to),
            at(f.deliver_at),
            dur(eta)
        )
    } else if !sim.is_alive(to) {
        format!(
            "{sent}; its receiver {} is down: unless it restarts by then, the message is \
             dropped at {} (in {}).",
            s(to),
            at(f.deliver_at),
            dur(eta)
        )
    } else {
        format!(
            "{sent}; it arrives at {} (in {}).",
            at(f.deliver_at),
            dur(eta)
        )
    }
}

/// Steps a clone of the receiver with the message, at its clock now, and tells what happens.
fn predict(sim: &Simulation, m: &Message) -> Vec<String> {
    let to = m.to;
    let before = &sim.nodes()[to as usize - 1];
    let mut after = before.clone();
    let mut ready = Ready::default();
    after.step(sim.node_clock(to), Input::Message(m.clone()), &mut ready);
    let who = s(to);
    let mut lines = Vec::new();
    let mut pieces: Vec<String> = Vec::new();
    let mut refused = false;
    // A refusal's reason ends the sentence.
    let mut refusal: Option<String> = None;
    let mut appended: Option<(Index, Index)> = None;
    let mut applied: Option<(Index, Index)> = None;
    for event in &ready.events {
        match event {
            Event::BecomeFollower { term } => pieces.push(if *term > before.term() {
                format!("take up term {term} and become a follower (section 5.1)")
            } else {
                format!(
                    "return to follower: {} leads term {term} (section 5.2)",
                    s(m.from)
                )
            }),
            Event::BecomeCandidate { term } => {
                pieces.push(format!("start an election for term {term}"))
            }
            Event::Vote { candidate, term } => pieces.push(format!(
                "grant its vote to {} for term {term} (section 5.2)",
                s(*candidate)
            )),
            Event::VoteRefused {
                candidate,
                term,
                pre_vote,
                reason,
            } => {
                refused = true;
                let verb = if matches!(reason, VoteRefusal::LeaderAlive { .. }) && !pre_vote {
                    "ignore it, with no reply"
                } else {
                    "refuse"
                };
                refusal = Some(format!(
                    "{verb}: {}",
                    vote_reason(to, *candidate, *term, *pre_vote, reason)
                ));
            }
            Event::AppendRejected {
                leader,
                term,
                prev_index,
                prev_term,
                reason,
            } => {
                refused = true;
                refusal = Some(format!(
                    "reject: {}",
                    append_reason(*leader, *term, *prev_index, *prev_term, reason)
                ));
            }
            Event::BecomeLeader { term } => {
                let votes = after.votes();
                let counted = votes
                    .iter()
                    .filter(|&&v| after.membership().is_voter(v))
                    .count();
                lines.push(format!(
                    "{who} will count the vote: {counted} of {}, it becomes leader of term \
                     {term} (section 5.2).",
                    after.membership().voters.len()
                ));
            }
            Event::Truncate { from } => pieces.push(format!(
                "delete its entries from {from} on, which conflict with the leader's (section 5.3)"
            )),
            Event::Append { index, command, .. } => {
                if matches!(command, Command::Noop) && after.role() == Role::Leader {
                    pieces.push(format!("append its no-op entry {index} (section 8)"));
                } else {
                    appended = Some(appended.map_or((*index, *index), |(a, _)| (a, *index)));
                }
            }
            Event::Commit { index } => {
                if let Some((a, b)) = appended.take() {
                    pieces.push(format!("append {}", range(a, b)));
                }
                pieces.push(format!("commit up to entry {index}"));
            }
            Event::Apply { index, .. } => {
                applied = Some(applied.map_or((*index, *index), |(a, _)| (a, *index)));
            }
            Event::InstallSnapshot { last_index, .. } => pieces.push(format!(
                "install the snapshot up to entry {last_index} (section 7)"
            )),
            Event::Snapshot { last_index, .. } => pieces.push(format!(
                "take a snapshot up to entry {last_index} (section 7)"
            )),
            Event::Membership { config, .. } => pieces.push(format!(
                "use the configuration {} (thesis 4.1)",
                config_words(config)
            )),
            _ => {}
        }
    }
    if let Some((a, b)) = appended {
        pieces.push(format!("append {}", range(a, b)));
    }
    if let Some((a, b)) = applied {
        pieces.push(format!("apply {}", range(a, b)));
    }
    // What the receiver learns from a reply.
    match &m.body {
        Body::RequestVoteReply { granted: true } | Body::PreVoteReply { granted: true }
            if after.role() == before.role() && after.votes().len() > before.votes().len() =>
        {
            let counted = after
                .votes()
                .iter()
                .filter(|&&v| after.membership().is_voter(v))
                .count();
            pieces.push(format!(
                "count the vote: it has {counted} of the {} it needs",
                after.membership().quorum()
            ));
        }
        Body::AppendEntriesReply { success, .. } => {
            let old = before.progress().iter().find(|p| p.id == m.from);
            let new = after.progress().iter().find(|p| p.id == m.from);
            if let (Some(old), Some(new)) = (old, new) {
                if new.match_index > old.match_index {
                    pieces.push(format!(
                        "record that {} holds its log up to entry {} (matchIndex)",
                        s(m.from),
                        new.match_index
                    ));
                }
                // A refusal: the leader backs off and sends again at once (section 5.3). What
                // it sends says where from: by then nextIndex has moved past those entries.
                let resent = ready.messages.iter().find_map(|o| match o.body {
                    Body::AppendEntries { prev_log_index, .. } if o.to == m.from => {
                        Some(prev_log_index + 1)
                    }
                    _ => None,
                });
                match resent {
                    Some(from) if !success => pieces.push(format!(
                        "back off and send {} entries from {from} (nextIndex, section 5.3)",
                        s(m.from)
                    )),
                    _ if new.next_index < old.next_index => pieces.push(format!(
                        "back off and send {} entries from {} (nextIndex, section 5.3)",
                        s(m.from),
                        new.next_index
                    )),
                    _ => {}
                }
            }
        }
        _ => {}
    }
    // Figure 2, Followers: hearing from the leader, or granting a vote, restarts the timer.
    if after.role() != Role::Leader
        && after.election_timer() != before.election_timer()
        && !matches!(m.body, Body::TimeoutNow)
    {
        pieces.push("restart its election timer (section 5.2)".to_string());
    }
    // What it sends.
    let mut sent: Vec<(&'static str, Vec<NodeId>)> = Vec::new();
    for out in &ready.messages {
        match out.body {
            Body::RequestVoteReply { granted } | Body::PreVoteReply { granted } => {
                if !refused {
                    pieces.push(format!(
                        "reply {}",
                        if granted { "granted" } else { "refused" }
                    ));
                }
            }
            Body::AppendEntriesReply { success, .. } => {
                if !refused {
                    pieces.push(format!(
                        "reply {}",
                        if success { "success" } else { "failure" }
                    ));
                }
            }
            Body::InstallSnapshotReply { .. } => {
                pieces.push("reply that it holds the snapshot".to_string())
            }
            _ => {
                let name = out.body.type_name();
                match sent.iter_mut().find(|(n, _)| *n == name) {
                    Some((_, ids)) => ids.push(out.to),
                    None => sent.push((name, vec![out.to])),
                }
            }
        }
    }
    for (name, ids) in sent {
        pieces.push(format!("send {name} to {}", list(&ids)));
    }
    pieces.extend(refusal);
    if pieces.is_empty() && lines.is_empty() {
        lines.push(format!("{who} will ignore it: {}.", why_ignored(before, m)));
    } else if !pieces.is_empty() {
        let then = if lines.is_empty() { "" } else { "then " };
        lines.push(format!("{who} will {then}{}.", and(&pieces)));
    }
    lines
}

/// Why a message changes nothing at its receiver.
fn why_ignored(n: &Node, m: &Message) -> String {
    let replies = matches!(
        m.body,
        Body::RequestVoteReply { .. }
            | Body::PreVoteReply { .. }
            | Body::AppendEntriesReply { .. }
            | Body::InstallSnapshotReply { .. }
    );
    if replies && m.term < n.term() {
        return format!(
            "it answers a request of term {}, and {} is in term {} now",
            m.term,
            s(n.id()),
            n.term()
        );
    }
    match m.body {
        Body::RequestVoteReply { granted: false } | Body::PreVoteReply { granted: false } => {
            "a refusal adds no vote".to_string()
        }
        Body::RequestVoteReply { .. } if n.role() != Role::Candidate => format!(
            "{} is no longer a candidate ({})",
            s(n.id()),
            n.role().as_str()
        ),
        Body::PreVoteReply { .. } if n.role() != Role::PreCandidate => format!(
            "{} is no longer a precandidate ({})",
            s(n.id()),
            n.role().as_str()
        ),
        Body::RequestVoteReply { .. } | Body::PreVoteReply { .. } => {
            "the vote is already counted".to_string()
        }
        Body::AppendEntriesReply { .. } | Body::InstallSnapshotReply { .. }
            if n.role() != Role::Leader =>
        {
            format!("{} no longer leads", s(n.id()))
        }
        Body::AppendEntriesReply { success: true, .. } => format!(
            "it already knows {} holds its log up to entry {}",
            s(m.from),
            match m.body {
                Body::AppendEntriesReply { match_index, .. } => match_index,
                _ => 0,
            }
        ),
        Body::TimeoutNow => "it is not the leader's current term, or it leads".to_string(),
        _ => "it tells it nothing new".to_string(),
    }
}
