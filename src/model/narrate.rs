//! The event log in plain words: one sentence per trace event worth telling.

use super::{Model, NARRATION_LIMIT};
use raftlab_raft::VoteRefusal;
use raftlab_raft::{Micros, NodeId, Role};
use raftlab_sim::explain::{append_reason, vote_reason};
use raftlab_sim::trace::{DropReason, ReplyResult, TraceEvent, TraceKind};
use raftlab_sim::Simulation;

/// One narrated line of the event log.
#[derive(Clone, Debug, PartialEq)]
pub struct Narration {
    /// Sequence number (unique, increasing).
    pub seq: u64,
    /// Simulated time.
    pub t_us: Micros,
    /// The node concerned, if one is.
    pub node: Option<NodeId>,
    /// A short category used by the filter: `election`, `log`, `config`, `fault`, `client`,
    /// `safety`.
    pub category: &'static str,
    /// The sentence.
    pub text: String,
}

impl Model {
    pub(super) fn narrate_new(&mut self) {
        let trace = self.trace.clone();
        let trace = trace.borrow();
        let start = self.narrated_upto.min(trace.len());
        for (i, event) in trace.iter().enumerate().skip(start) {
            if let Some((node, category, mut text)) = narrate(event, &self.sim) {
                if let TraceKind::Set { config } = &event.kind {
                    // Bugs switched off: said against those on before (the previous `set`
                    // line, or the run's starting settings).
                    let before = trace[..i]
                        .iter()
                        .rev()
                        .find_map(|e| match &e.kind {
                            TraceKind::Set { config } => Some(bug_names(config).len()),
                            _ => None,
                        })
                        .unwrap_or_else(|| {
                            usize::from(self.recorded.config.bugs != Default::default())
                        });
                    if bug_names(config).is_empty() && before > 0 {
                        text = "Settings changed; the bugs are off: every rule of Raft holds again from now on".to_string();
                    }
                }
                self.narration_seq += 1;
                self.narration.push_front(Narration {
                    seq: self.narration_seq,
                    t_us: event.t_us,
                    node,
                    category,
                    text,
                });
            }
        }
        self.narrated_upto = trace.len();
        self.narration.truncate(NARRATION_LIMIT);
    }
}

/// Simulated microseconds as milliseconds with one decimal, by integer arithmetic.
pub fn ms_text(us: Micros) -> String {
    format!("{}.{}", us / 1000, us % 1000 / 100)
}

/// The plain-words sentence for a trace event, if it is worth narrating: (node, category,
/// text). Message sends and arrivals are shown in the picture, not narrated.
pub fn narrate(
    event: &TraceEvent,
    sim: &Simulation,
) -> Option<(Option<NodeId>, &'static str, String)> {
    // Followers' appends and commits repeat the leader's: only the leader's are told.
    let leads = |n: &NodeId| {
        sim.nodes()
            .get(*n as usize - 1)
            .is_some_and(|x| x.role() == Role::Leader)
    };
    let s = |n: &NodeId| format!("S{n}");
    Some(match &event.kind {
        TraceKind::BecomeCandidate { node, term } => (
            Some(*node),
            "election",
            format!(
                "{} timed out and started an election for term {term}",
                s(node)
            ),
        ),
        TraceKind::BecomePreCandidate { node, term } => (
            Some(*node),
            "election",
            format!(
                "{} timed out and asks for pre-votes: could it win term {}? (its term stays {term})",
                s(node),
                term + 1
            ),
        ),
        TraceKind::StepDown { node, term } => (
            Some(*node),
            "election",
            format!(
                "{} stepped down: it heard from no majority within an election timeout (term {term})",
                s(node)
            ),
        ),
        TraceKind::ClockRate { node, rate } => (
            Some(*node),
            "fault",
            format!(
                "{}'s clock now runs at {} times real speed{}",
                s(node),
                raftlab_sim::json::plain(*rate),
                if *rate == 1.0 { " (normal again)" } else { "" }
            ),
        ),
        TraceKind::TransferStart { node, to } => (
            Some(*node),
            "election",
            format!(
                "{} hands leadership over to {}: it stops taking requests, brings {}'s log up to date, then tells it to run",
                s(node),
                s(to),
                s(to)
            ),
        ),
        TraceKind::TransferAbort { node, to } => (
            Some(*node),
            "election",
            format!(
                "{} gave up handing leadership to {} (not done within an election timeout) and takes requests again",
                s(node),
                s(to)
            ),
        ),
        TraceKind::BecomeLeader { node, term } => (
            Some(*node),
            "election",
            format!("{} won a majority of votes and leads term {term}", s(node)),
        ),
        TraceKind::BecomeFollower { node, term } => (
            Some(*node),
            "election",
            format!("{} is a follower in term {term}", s(node)),
        ),
        TraceKind::Vote {
            node,
            candidate,
            term,
        } if node != candidate => (
            Some(*node),
            "election",
            format!("{} voted for {} in term {term}", s(node), s(candidate)),
        ),
        TraceKind::Truncate { node, index } => (
            Some(*node),
            "log",
            format!(
                "{} deleted its conflicting entries from index {index} on",
                s(node)
            ),
        ),
        TraceKind::Commit { node, index } if leads(node) => (
            Some(*node),
            "log",
            format!(
                "{} committed entries up to {index}: a majority stores them",
                s(node)
            ),
        ),
        TraceKind::Append {
            node,
            index,
            term,
            command,
        } if leads(node) => (
            Some(*node),
            "log",
            format!("{} stored entry {index} (term {term}): {command}", s(node)),
        ),
        TraceKind::Membership {
            node,
            index,
            voters,
            learners,
        } if leads(node) || !voters.contains(node) => {
            let list = |ids: &[NodeId]| {
                ids.iter().map(|n| format!("S{n}")).collect::<Vec<_>>().join(", ")
            };
            let mut text = format!(
                "{} now uses the configuration of entry {index}: voters {} (a majority is {})",
                s(node),
                list(voters),
                voters.len() / 2 + 1
            );
            if !learners.is_empty() {
                text.push_str(&format!("; learners {} (catching up, not voting)", list(learners)));
            }
            if !voters.contains(node) && !learners.contains(node) {
                text.push_str(&format!("; {} is no longer a member", s(node)));
            }
            (Some(*node), "config", text)
        }
        TraceKind::MembershipRefused {
            node,
            server,
            change,
            reason,
        } => (
            Some(*node),
            "config",
            format!("{} did not {change} S{server}: {reason}", s(node)),
        ),
        TraceKind::AddServer { node, leader } => (
            Some(*node),
            "config",
            match leader {
                Some(l) => format!(
                    "{} is asked to add {}: it joins as a learner and becomes a voter once it has caught up",
                    s(l),
                    s(node)
                ),
                None => format!("There is no leader to add {}: nothing happens", s(node)),
            },
        ),
        TraceKind::RemoveServer { node, leader } => (
            Some(*node),
            "config",
            match leader {
                Some(l) => format!("{} is asked to remove {} from the cluster", s(l), s(node)),
                None => format!("There is no leader to remove {}: nothing happens", s(node)),
            },
        ),
        TraceKind::Snapshot { node, index, term } => (
            Some(*node),
            "log",
            format!(
                "{} took a snapshot of its state machine up to entry {index} (term {term}) and dropped those entries from its log",
                s(node)
            ),
        ),
        TraceKind::InstallSnapshot { node, index, term } => (
            Some(*node),
            "log",
            format!(
                "{} installed its leader's snapshot up to entry {index} (term {term}): the entries it lacked were already compacted",
                s(node)
            ),
        ),
        TraceKind::Crash { node } => (
            Some(*node),
            "fault",
            if sim.config().snapshot_threshold > 0 {
                format!(
                    "{} crashed: it keeps only its term, vote, snapshot and log",
                    s(node)
                )
            } else {
                format!("{} crashed: it keeps only its term, vote and log", s(node))
            },
        ),
        TraceKind::Sys { node, event } => (Some(*node), "system", crate::model::system::narrate(*node, event)?),
        TraceKind::Pause { node, until } => (
            Some(*node),
            "fault",
            format!(
                "{}'s process froze for {} ms (a pause): it handles nothing while its clock runs on",
                s(node),
                until.saturating_sub(event.t_us) / 1000
            ),
        ),
        TraceKind::Wake { node } => (
            Some(*node),
            "fault",
            format!(
                "{} woke from its pause: late timers fire first, then it handles what waited",
                s(node)
            ),
        ),
        TraceKind::Restart { node } => {
            let from = sim
                .nodes()
                .get(*node as usize - 1)
                .map_or(0, |n| n.snapshot_index());
            (
                Some(*node),
                "fault",
                if from > 0 {
                    format!(
                        "{} restarted as a follower from its snapshot: state machine and commit index at {from}",
                        s(node)
                    )
                } else {
                    format!("{} restarted as a follower with commit index 0", s(node))
                },
            )
        }
        TraceKind::Timeout { node } => (
            Some(*node),
            "fault",
            format!("{}'s election timeout was forced to expire", s(node)),
        ),
        TraceKind::Partition { groups } => (
            None,
            "fault",
            format!(
                "The network split into {}",
                groups
                    .iter()
                    .map(|g| format!(
                        "{{{}}}",
                        g.iter()
                            .map(|n| format!("S{n}"))
                            .collect::<Vec<_>>()
                            .join(", ")
                    ))
                    .collect::<Vec<_>>()
                    .join(" and ")
            ),
        ),
        TraceKind::Heal => (None, "fault", "Every link works again".to_string()),
        TraceKind::Cut { nodes } => (
            None,
            "fault",
            format!("The link between S{} and S{} was cut", nodes[0], nodes[1]),
        ),
        TraceKind::Restore { nodes } => (
            None,
            "fault",
            format!(
                "The link between S{} and S{} works again",
                nodes[0], nodes[1]
            ),
        ),
        TraceKind::Set { config } => (None, "fault", settings_changed(config)),
        TraceKind::ClientRequest { node, id, command } => (
            *node,
            "client",
            match node {
                Some(n) => format!("A client asked {} to {command} (request {id})", s(n)),
                None => {
                    format!("A client wanted to {command} but there is no leader (request {id})")
                }
            },
        ),
        TraceKind::ClientRead { node, id, key, mode } => (
            *node,
            "client",
            match node {
                Some(n) => format!(
                    "A client asked {} to read {key} ({}, request {id})",
                    s(n),
                    mode.as_str()
                ),
                None => format!("A client wanted to read {key} but there is no leader (request {id})"),
            },
        ),
        TraceKind::ClientReply {
            node,
            id,
            result,
            leader,
            value,
        } => (
            *node,
            "client",
            match (result, leader, value) {
                (ReplyResult::Ok, _, Some(Some(v))) => format!("Request {id} read the value {v}"),
                (ReplyResult::Ok, _, Some(None)) => {
                    format!("Request {id} read nothing: the key is not set")
                }
                (ReplyResult::Ok, _, None) => {
                    format!("Request {id} is committed and applied: OK")
                }
                (ReplyResult::Redirect, Some(Some(l)), _) => {
                    format!("Request {id} refused: not the leader; try S{l}")
                }
                (ReplyResult::Redirect, _, _) => {
                    format!("Request {id} refused: not the leader, and no leader known")
                }
                (ReplyResult::Timeout, _, _) => format!("Request {id} got no answer in time"),
            },
        ),
        TraceKind::Violation {
            property, detail, ..
        } => (
            None,
            "safety",
            format!("SAFETY VIOLATION, {property}: {detail}"),
        ),
        TraceKind::VoteRefused {
            node,
            candidate,
            term,
            pre_vote,
            reason,
        } => {
            let what = if *pre_vote { "pre-vote" } else { "vote" };
            // Without a reply (CheckQuorum, thesis 4.2.3): the request is ignored.
            let verb = if matches!(reason, VoteRefusal::LeaderAlive { .. }) && !pre_vote {
                "ignored"
            } else {
                "refused"
            };
            (
                Some(*node),
                "election",
                format!(
                    "{} {verb} {}'s {what} request for term {term}: {}",
                    s(node),
                    s(candidate),
                    vote_reason(*node, *candidate, *term, *pre_vote, reason)
                ),
            )
        }
        TraceKind::AppendRejected {
            node,
            leader,
            term,
            prev_index,
            prev_term,
            reason,
        } => (
            Some(*node),
            "log",
            format!(
                "{} rejected {}'s AppendEntries (term {term}, after entry {prev_index} of term {prev_term}): {}",
                s(node),
                s(leader),
                append_reason(*leader, *term, *prev_index, *prev_term, reason)
            ),
        ),
        TraceKind::Drop {
            node,
            msg,
            reason: DropReason::Manual,
        } => (
            Some(msg.message.from()),
            "fault",
            format!(
                "You dropped {}'s {} to {} (message {})",
                s(&msg.message.from()),
                msg.message.type_name(),
                s(node),
                msg.id
            ),
        ),
        TraceKind::FireTimer { node } => (
            Some(*node),
            "fault",
            format!("You fired {}'s timer", s(node)),
        ),
        TraceKind::Drop { .. }
        | TraceKind::Commit { .. }
        | TraceKind::Membership { .. }
        | TraceKind::Append { .. }
        | TraceKind::Send { .. }
        | TraceKind::Deliver { .. }
        | TraceKind::Duplicate { .. }
        | TraceKind::Apply { .. }
        | TraceKind::Vote { .. }
        | TraceKind::Final { .. }
        | TraceKind::FinalSystem { .. } => return None,
    })
}

/// The bugs a `set` line's configuration has on, by their scenario names.
fn bug_names(config: &raftlab_sim::json::Value) -> Vec<&str> {
    config
        .get("bugs")
        .and_then(|b| b.as_array())
        .into_iter()
        .flatten()
        .filter_map(|b| b.as_str())
        .collect()
}

/// "Settings changed", naming the bugs on from now on, if any (the Settings panel's Bugs).
fn settings_changed(config: &raftlab_sim::json::Value) -> String {
    let on: Vec<&str> = bug_names(config)
        .into_iter()
        .map(|b| match b {
            "commit_previous_term" => "entries of earlier terms committed by counting (5.4.2 off)",
            "skip_vote_log_check" => "votes without comparing logs (5.4.1 off)",
            "unsafe_membership" => "membership changes without waiting (thesis 4.1 off)",
            other => other,
        })
        .collect();
    if on.is_empty() {
        "Settings changed".to_string()
    } else {
        format!("Settings changed; bugs on: {}", on.join(", "))
    }
}
