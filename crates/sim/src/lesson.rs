//! Lessons (`docs/lesson-format.md`): a scenario and a list of steps, each a moment of the run
//! with facts that hold there, maybe a question or a task. This module reads lesson files
//! strictly, matches trace patterns, checks facts, and plays a lesson's run headless (what
//! `raftlab lesson check` does).
//!
//! # For the page
//!
//! - [`Lesson::parse`] reads a file; its errors name the step and the field
//!   (`step 3 (Split vote): until.kind: no trace kind "leader"`).
//! - [`Until::find`] says when a step's moment comes, looking ahead on a copy of the live
//!   simulation: give it the simulation at the previous moment (it is not changed) and the
//!   recorded actions still to come (those the page schedules itself as time passes). The
//!   page then plays its own run to that time and pauses: by determinism it reaches the same
//!   state. A step with its own `scenario` starts a new run first
//!   ([`Simulation::new`] and the scenario's events as `pending`).
//! - [`Expect::check`] checks facts on the live simulation and the clients' history so far
//!   (the page's `Model::history()`); the error is the first failed fact in words.
//! - A task: [`Task::show_me`] are the actions of the "Show me" button, performed at the
//!   current moment as any reader action. [`Goal::met`] says whether the goal is met, given
//!   the new trace events since the step's moment (for a pattern) and the state (for facts);
//!   call it after every action and every played frame. [`Task::find_goal`] looks ahead for
//!   when the goal will be met if the reader does nothing more (after "Show me", to play to
//!   it).
//! - [`Pattern::matches`] matches one trace event.
//! - To open a lesson at step N (a link, a reload, a jump in the step list) without the
//!   reader's own actions: [`open_at`] gives the scenario to load (the run in force, with
//!   the "Show me" actions of the tasks before N at their moments) and the moment to seek
//!   to. [`Lesson::scenario_at`] is the scenario a step's run starts from.
//!
//! # For the checker
//!
//! [`check`] plays a whole lesson as `raftlab lesson check` does and returns each step's
//! moment, or the first failure; [`Run`] is the run it plays, usable step by step.
//!
//! Nothing here panics on any input, reads a clock or starts a thread.

use crate::checker::Property;
use crate::json::{self, Map, Value};
use crate::linearizability::{self, Op};
use crate::scenario::{
    self, as_ms, as_u64, describe, err, expected, names, quoted, read_version, Action, Fields,
    ParseError, Scenario, TimedAction, MAX_NODES, MAX_UNTIL_MS,
};
use crate::sim::Simulation;
use crate::system::System;
use crate::trace::{vote_refusal_name, TraceEvent, TraceKind};
use raftlab_raft::{AppendRejection, Event, Index, Micros, NodeId, Role, Term};
use std::cell::RefCell;
use std::fmt;
use std::rc::Rc;

/// The newest lesson format version this build reads.
pub const VERSION: u64 = 1;
/// How long a pattern moment or a task's goal is waited for by default (`within_ms`).
pub const DEFAULT_WITHIN_US: Micros = 10_000_000;
/// The longest `within_ms`: one hour.
pub const MAX_WITHIN_MS: u64 = 3_600_000;

/// Every trace kind (`docs/trace-format.md`) and its fields besides `t_us` and `kind`: a
/// pattern naming another kind or field could never match. A test runs every example and
/// checks every traced line against this table.
pub const TRACE_KINDS: &[(&str, &[&str])] = &[
    ("become_follower", &["node", "term"]),
    ("become_candidate", &["node", "term"]),
    ("become_leader", &["node", "term"]),
    ("become_precandidate", &["node", "term"]),
    ("step_down", &["node", "term"]),
    ("transfer_start", &["node", "to"]),
    ("transfer_abort", &["node", "to"]),
    ("clock_rate", &["node", "rate"]),
    ("vote", &["node", "candidate", "term"]),
    (
        "vote_refused",
        &[
            "node",
            "candidate",
            "term",
            "reason",
            "pre_vote",
            "voter_term",
            "voted_for",
            "candidate_last_term",
            "candidate_last_index",
            "voter_last_term",
            "voter_last_index",
            "leader",
            "config_index",
            "voters",
        ],
    ),
    (
        "append_rejected",
        &[
            "node",
            "leader",
            "term",
            "prev_index",
            "prev_term",
            "reason",
            "follower_term",
            "conflict_index",
            "conflict_term",
        ],
    ),
    ("send", &["node", "msg", "deliver_at_us", "held"]),
    ("duplicate", &["node", "msg", "of", "deliver_at_us", "held"]),
    ("deliver", &["node", "msg"]),
    ("drop", &["node", "msg", "reason"]),
    ("append", &["node", "index", "term", "command"]),
    ("truncate", &["node", "index"]),
    ("commit", &["node", "index"]),
    ("apply", &["node", "index", "term", "command"]),
    ("snapshot", &["node", "index", "term"]),
    ("install_snapshot", &["node", "index", "term"]),
    ("membership", &["node", "index", "voters", "learners"]),
    (
        "membership_refused",
        &["node", "server", "change", "reason"],
    ),
    ("add_server", &["node", "leader"]),
    ("remove_server", &["node", "leader"]),
    ("crash", &["node"]),
    ("restart", &["node"]),
    ("pause", &["node", "until_us"]),
    ("wake", &["node"]),
    // Leaderless quorums (`system: "quorum"`, docs/trace-format.md).
    (
        "quorum_request",
        &["node", "request", "phase", "key", "targets", "needed"],
    ),
    (
        "quorum_ack",
        &["node", "request", "phase", "from", "acks", "needed"],
    ),
    (
        "quorum_write_acked",
        &["node", "request", "key", "value", "version"],
    ),
    ("quorum_read_done", &["node", "request", "key", "values"]),
    (
        "quorum_timeout",
        &["node", "request", "key", "phase", "acks", "needed"],
    ),
    (
        "read_repair",
        &["node", "request", "key", "targets", "blocking"],
    ),
    ("peer_suspected", &["node", "peer"]),
    ("peer_healthy", &["node", "peer"]),
    (
        "quorum_write_stored",
        &["node", "key", "value", "version", "old", "from", "via"],
    ),
    (
        "quorum_write_ignored",
        &["node", "key", "value", "version", "kept", "from", "via"],
    ),
    ("hint_stored", &["node", "key", "home", "version"]),
    ("hint_handed_off", &["node", "key", "home"]),
    ("anti_entropy", &["node", "peer", "keys"]),
    // Lease election (`system: "lease"`, docs/trace-format.md).
    ("store_cas", &["node", "op", "holder", "token", "revision"]),
    ("watch_fired", &["node", "to", "revision", "late_us"]),
    ("lease_acquired", &["node", "holder", "token", "until"]),
    ("lease_renewed", &["node", "holder", "token", "until"]),
    ("lease_lost", &["node", "holder", "token", "reason"]),
    (
        "lease_cas_failed",
        &["node", "candidate", "expected", "holder", "reason"],
    ),
    (
        "lease_believes",
        &["node", "holder", "token", "until", "leading"],
    ),
    ("work_started", &["node", "holder", "token", "send_at"]),
    (
        "resource_write",
        &["node", "holder", "token", "accepted", "reason", "highest"],
    ),
    ("timeout", &["node"]),
    ("fire_timer", &["node"]),
    ("partition", &["groups"]),
    ("heal", &[]),
    ("cut", &["nodes"]),
    ("restore", &["nodes"]),
    ("set", &["config"]),
    ("client_request", &["node", "id", "command"]),
    ("client_read", &["node", "id", "key", "mode"]),
    ("client_reply", &["node", "id", "result", "leader", "value"]),
    ("violation", &["property", "detail", "nodes", "seed"]),
    (
        "final",
        &[
            "node",
            "term",
            "role",
            "alive",
            "commit_index",
            "log",
            "snapshot_index",
            "snapshot_term",
            // Other systems' `final` lines.
            "store",
            "hints",
            "holder",
            "token",
            "mod_index",
            "revision",
            "leading",
            "believes",
            "highest_token",
            "accepted",
        ],
    ),
];

/// The fields every `msg` object has.
pub const MESSAGE_FIELDS: [&str; 5] = ["id", "type", "from", "to", "term"];

/// Every message type of a trace's `msg` and its fields besides [`MESSAGE_FIELDS`].
pub const MESSAGE_TYPES: &[(&str, &[&str])] = &[
    (
        "RequestVote",
        &["last_log_index", "last_log_term", "transfer"],
    ),
    ("RequestVoteReply", &["granted"]),
    ("PreVote", &["last_log_index", "last_log_term"]),
    ("PreVoteReply", &["granted"]),
    ("TimeoutNow", &[]),
    (
        "AppendEntries",
        &[
            "prev_log_index",
            "prev_log_term",
            "entries",
            "leader_commit",
            "stamp",
        ],
    ),
    (
        "AppendEntriesReply",
        &[
            "success",
            "match_index",
            "conflict_index",
            "conflict_term",
            "stamp",
        ],
    ),
    (
        "InstallSnapshot",
        &[
            "last_included_index",
            "last_included_term",
            "data",
            "voters",
            "learners",
        ],
    ),
    ("InstallSnapshotReply", &["last_included_index"]),
    // Leaderless quorums (`Write` is also the lease leader's write to its resource).
    ("Read", &["op", "key"]),
    ("ReadReply", &["op", "key", "values"]),
    (
        "Write",
        &["op", "key", "values", "hint_for", "via", "token"],
    ),
    ("WriteAck", &["op", "key"]),
    ("Sync", &["items"]),
    ("SyncReply", &["items"]),
    // Lease election.
    ("Get", &["seq"]),
    ("Cas", &["seq", "expect"]),
    ("Release", &["seq"]),
    (
        "StoreReply",
        &[
            "seq",
            "ok",
            "holder",
            "token",
            "mod_index",
            "revision",
            "reason",
        ],
    ),
    ("WatchEvent", &["holder", "token", "mod_index", "revision"]),
    ("WriteReply", &["token", "accepted"]),
];

/// The fields of trace kind `kind` besides `t_us` and `kind`; `None` for an unknown kind.
pub fn trace_fields(kind: &str) -> Option<&'static [&'static str]> {
    TRACE_KINDS
        .iter()
        .find(|(k, _)| *k == kind)
        .map(|(_, f)| *f)
}

/// The fields of message type `name` besides [`MESSAGE_FIELDS`]; `None` for an unknown type.
pub fn message_fields(name: &str) -> Option<&'static [&'static str]> {
    MESSAGE_TYPES
        .iter()
        .find(|(k, _)| *k == name)
        .map(|(_, f)| *f)
}

/// The panels a step may open (their embed names).
pub const PANELS: [&str; 12] = [
    "logs", "kv", "events", "safety", "network", "client", "node", "settings", "legend",
    "timeline", "history", "diagram",
];

/// A lesson file, read and validated.
#[derive(Clone, Debug, PartialEq)]
pub struct Lesson {
    /// The lesson's id (lowercase letters, digits and `-`).
    pub id: String,
    /// Its title.
    pub title: String,
    /// One or two sentences for the list of lessons.
    pub summary: String,
    /// The paper and thesis sections it teaches.
    pub topics: Vec<String>,
    /// The run.
    pub scenario: Scenario,
    /// The steps, at least one.
    pub steps: Vec<Step>,
}

/// One step of a lesson.
#[derive(Clone, Debug, PartialEq)]
pub struct Step {
    /// Its title.
    pub title: String,
    /// What the reader reads (the small markup of the format).
    pub text: String,
    /// Notes for the teacher.
    pub notes: Option<String>,
    /// The moment the step shows.
    pub until: Until,
    /// A new run started before playing to `until`.
    pub scenario: Option<Scenario>,
    /// What to emphasise.
    pub highlight: Highlight,
    /// What the Details panel shows.
    pub select: Option<Select>,
    /// The panels open at this step (`None`: as the reader left them).
    pub panels: Option<Vec<String>>,
    /// Facts that hold at the moment.
    pub expect: Option<Expect>,
    /// A question asked before playing to the moment.
    pub question: Option<Question>,
    /// Something the reader does after the moment.
    pub task: Option<Task>,
}

/// When a step's moment is.
#[derive(Clone, Debug, PartialEq)]
pub enum Until {
    /// At this time of the run (`at_ms`).
    At(Micros),
    /// This long after the previous moment (`after_ms`).
    After(Micros),
    /// The first trace event matching the pattern after the previous moment, waited for at
    /// most `within_us`.
    Event {
        /// The pattern.
        pattern: Pattern,
        /// How long to wait (`within_ms`).
        within_us: Micros,
    },
}

/// A trace pattern: a JSON object with `kind` whose fields an event must have, with equal
/// values (objects match as patterns of their own, lists must be equal, `null` also matches
/// an absent field).
#[derive(Clone, Debug, PartialEq)]
pub struct Pattern {
    fields: Map,
}

/// What a step emphasises.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Highlight {
    /// Servers.
    pub nodes: Vec<NodeId>,
    /// Log cells: (server, index).
    pub entries: Vec<(NodeId, Index)>,
    /// Message types, by their trace names.
    pub messages: Vec<String>,
    /// Links between two servers.
    pub links: Vec<(NodeId, NodeId)>,
}

/// What the Details panel shows at a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Select {
    /// The server.
    pub node: NodeId,
    /// A log entry of that server, if given.
    pub index: Option<Index>,
}

/// A question asked before the step's moment is shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Question {
    /// The question.
    pub prompt: String,
    /// 2 to 6 choices.
    pub choices: Vec<String>,
    /// The index of the right choice, from 0.
    pub answer: usize,
    /// Why it is right, shown with the answer.
    pub why: String,
}

/// Something the reader does after the step's moment.
#[derive(Clone, Debug, PartialEq)]
pub struct Task {
    /// What to do.
    pub prompt: String,
    /// When it is done.
    pub goal: Goal,
    /// What the "Show me" button does, in order, at the current moment.
    pub show_me: Vec<Action>,
    /// How long the goal is waited for after the action (`within_ms`).
    pub within_us: Micros,
}

/// A task's goal.
#[derive(Clone, Debug, PartialEq)]
pub enum Goal {
    /// A trace event matching the pattern happens after the step's moment.
    Event(Pattern),
    /// The facts hold.
    Expect(Expect),
}

/// Facts about the state at a moment (`expect`): every one must hold.
#[derive(Clone, Debug, PartialEq)]
pub struct Expect {
    /// The facts, in the order they are checked.
    pub facts: Vec<Fact>,
}

/// One fact of an `expect` (see the table in `docs/lesson-format.md`).
#[derive(Clone, Debug, PartialEq)]
pub enum Fact {
    /// `leader`: this server leads (`None`: no server leads).
    Leader(Option<NodeId>),
    /// `leader_exists`.
    LeaderExists(bool),
    /// `term_at_least`.
    TermAtLeast(Term),
    /// `term_at_most`.
    TermAtMost(Term),
    /// `roles`: `follower`, `candidate`, `pre_candidate`, `leader` or `down`.
    Roles(Vec<(NodeId, &'static str)>),
    /// `terms`.
    Terms(Vec<(NodeId, Term)>),
    /// `voted_for`.
    VotedFor(Vec<(NodeId, Option<NodeId>)>),
    /// `committed`.
    Committed(EntryFact),
    /// `not_committed`.
    NotCommitted(EntryFact),
    /// `stored`.
    Stored(EntryFact),
    /// `not_stored`.
    NotStored(EntryFact),
    /// `log_length`: each server's last log index.
    LogLength(Vec<(NodeId, Index)>),
    /// `value`: the server's store maps the key to the value (`None`: the key is absent).
    Value {
        /// The server.
        node: NodeId,
        /// The key.
        key: String,
        /// The value.
        is: Option<String>,
    },
    /// `crashed`.
    Crashed(Vec<NodeId>),
    /// `running`.
    Running(Vec<NodeId>),
    /// `safe`.
    Safe(bool),
    /// `violation`: the checker reported this property (its trace name).
    Violation(&'static str),
    /// `history`: the clients' history is linearizable (`false`: it is not).
    History(bool),
    /// `refused`.
    Refused {
        /// The server.
        node: NodeId,
        /// The reason's trace name.
        reason: &'static str,
        /// The candidate (or, for an AppendEntries rejection, its sender).
        candidate: Option<NodeId>,
    },
    /// `held_at_least`.
    HeldAtLeast(u64),
    /// `in_flight`.
    InFlight {
        /// The message type.
        kind: &'static str,
        /// How many at least.
        at_least: u64,
    },
    /// `members`.
    Members {
        /// The voters, sorted.
        voters: Vec<NodeId>,
        /// The learners, sorted.
        learners: Vec<NodeId>,
    },
    /// `snapshot`.
    Snapshot {
        /// The server.
        node: NodeId,
        /// The index its snapshot covers at least.
        index_at_least: Index,
    },
    /// `replica` (leaderless quorums): the replica's values of a key, siblings included, in
    /// any order (none: the replica does not hold the key).
    Replica {
        /// The replicas (`node`: one server or a list).
        nodes: Vec<NodeId>,
        /// The key.
        key: String,
        /// The values, sorted.
        values: Vec<String>,
    },
    /// `holder` (lease election): who holds the lease in the store's record (`None`: no
    /// record).
    Holder(Option<NodeId>),
    /// `believes` (lease election): what a candidate believes.
    Believes {
        /// The candidate.
        node: NodeId,
        /// Who it believes holds the lease, when given (`Some(None)`: nobody).
        holder: Option<Option<NodeId>>,
        /// Whether it believes it leads, when given.
        leading: Option<bool>,
    },
    /// `resource` (lease election): the resource's highest accepted token and how many
    /// writes it accepted.
    Resource {
        /// The highest token it accepted, when given.
        highest: Option<u64>,
        /// How many writes it accepted at least, when given.
        accepted_at_least: Option<u64>,
    },
}

/// A fact about the log entry at one index on several servers.
#[derive(Clone, Debug, PartialEq)]
pub struct EntryFact {
    /// The index.
    pub index: Index,
    /// The servers.
    pub on: Vec<NodeId>,
    /// The entry's term, when given.
    pub term: Option<Term>,
    /// The entry's command (`set x=1`), when given.
    pub command: Option<String>,
}

/// A lesson file that could not be read: the step (number from 1 and title), the field and
/// what is wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonError {
    /// The step, when the problem is in one: its number (from 1) and its title (empty when it
    /// has none).
    pub step: Option<(usize, String)>,
    /// The field, such as `until.kind` (inside the step when there is one), or
    /// `line 3, column 7` for a JSON syntax error.
    pub path: String,
    /// What is wrong.
    pub message: String,
}

impl fmt::Display for LessonError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if let Some((n, title)) = &self.step {
            if title.is_empty() {
                write!(f, "step {n}: ")?;
            } else {
                write!(f, "step {n} ({title}): ")?;
            }
        }
        if self.path.is_empty() {
            write!(f, "{}", self.message)
        } else {
            write!(f, "{}: {}", self.path, self.message)
        }
    }
}

impl std::error::Error for LessonError {}

impl From<ParseError> for LessonError {
    fn from(e: ParseError) -> LessonError {
        LessonError {
            step: None,
            path: e.path,
            message: e.message,
        }
    }
}

/// The error of a field inside another one (`scenario` + `events[0].node`).
fn within(prefix: &str, e: ParseError) -> ParseError {
    ParseError {
        path: if e.path.is_empty() {
            prefix.to_string()
        } else {
            format!("{prefix}.{}", e.path)
        },
        message: e.message,
    }
}

#[inline(never)]
fn text(path: &str, v: Option<&Value>, max_chars: usize) -> Result<String, ParseError> {
    let Some(v) = v else {
        return err(path, "missing");
    };
    match v.as_str() {
        Some(s) if s.trim().is_empty() => err(path, "must not be empty"),
        Some(s) if s.chars().count() > max_chars => err(
            path,
            format!(
                "{} characters is too long; at most {max_chars}",
                s.chars().count()
            ),
        ),
        Some(s) => Ok(s.to_string()),
        None => expected(path, "a string", v),
    }
}

/// Longest text of a step, notes, a prompt or an explanation.
const MAX_TEXT: usize = 20_000;

#[inline(never)]
fn node(path: &str, v: &Value) -> Result<NodeId, ParseError> {
    match v.as_u64() {
        Some(n) if (1..=MAX_NODES as u64).contains(&n) => Ok(n as NodeId),
        _ => expected(path, "a server number from 1 to 9", v),
    }
}

#[inline(never)]
fn node_list(path: &str, v: &Value) -> Result<Vec<NodeId>, ParseError> {
    let Some(list) = v.as_array() else {
        return expected(path, "a list of server numbers such as [1, 2]", v);
    };
    list.iter()
        .enumerate()
        .map(|(i, n)| node(&format!("{path}[{i}]"), n))
        .collect()
}

/// An object of server numbers to values: `{"1": "candidate"}`.
fn per_node<T>(
    path: &str,
    v: &Value,
    read: impl Fn(&str, &Value) -> Result<T, ParseError>,
) -> Result<Vec<(NodeId, T)>, ParseError> {
    let Some(map) = v.as_object() else {
        return expected(path, "an object of server numbers, such as {\"1\": ...}", v);
    };
    if map.is_empty() {
        return err(path, "names no server");
    }
    let mut out = Vec::new();
    for (k, value) in map.iter() {
        let p = format!("{path}.{k}");
        let id = match k.parse::<u64>() {
            Ok(n) if (1..=MAX_NODES as u64).contains(&n) => n as NodeId,
            _ => return err(&p, "not a server number from 1 to 9"),
        };
        out.push((id, read(&p, value)?));
    }
    Ok(out)
}

#[inline(never)]
fn one_of(
    path: &str,
    v: &Value,
    list: &[&'static str],
    what: &str,
) -> Result<&'static str, ParseError> {
    match v.as_str().and_then(|s| list.iter().find(|x| **x == s)) {
        Some(x) => Ok(x),
        None => err(
            path,
            format!("expected {what} ({}), found {}", names(list), describe(v)),
        ),
    }
}

impl Lesson {
    /// Reads a lesson from JSON text.
    pub fn parse(text: &str) -> Result<Lesson, LessonError> {
        let value = json::parse(text).map_err(|e| LessonError {
            step: None,
            path: format!("line {}, column {}", e.line, e.column),
            message: format!("not valid JSON: {}", e.message),
        })?;
        Lesson::from_json(&value)
    }

    /// Reads a lesson from a parsed JSON value.
    pub fn from_json(value: &Value) -> Result<Lesson, LessonError> {
        let (mut lesson, raw_steps) = parse_head(value)?;
        let mut nodes = cluster_size(&lesson.scenario);
        for (i, raw) in raw_steps.iter().enumerate() {
            let step = parse_step(raw, &mut nodes).map_err(|e| LessonError {
                step: Some((
                    i + 1,
                    raw.get("title")
                        .and_then(Value::as_str)
                        .map(|t| t.chars().take(80).collect())
                        .unwrap_or_default(),
                )),
                path: e.path,
                message: e.message,
            })?;
            lesson.steps.push(step);
        }
        lesson.check_systems()?;
        Ok(lesson)
    }

    /// A lesson teaches only what its runs do: an event or a "Show me" action that the run's
    /// system ignores (a Raft-only action in a quorum or lease run) is refused
    /// ([`Scenario::check_system`], [`Action::refusal`]).
    fn check_systems(&self) -> Result<(), LessonError> {
        let fail = |step: Option<usize>, path: String, message: String| LessonError {
            step: step.map(|i| (i + 1, self.steps[i].title.chars().take(80).collect())),
            path,
            message,
        };
        if let Err(e) = self.scenario.check_system() {
            return Err(fail(None, format!("scenario.{}", e.path), e.message));
        }
        for (i, step) in self.steps.iter().enumerate() {
            if let Some(s) = &step.scenario {
                if let Err(e) = s.check_system() {
                    return Err(fail(Some(i), format!("scenario.{}", e.path), e.message));
                }
            }
            let system = self.scenario_at(i).system.system();
            for (k, a) in step.task.iter().flat_map(|t| t.show_me.iter()).enumerate() {
                if let Some(why) = a.refusal(system) {
                    return Err(fail(Some(i), format!("task.show_me[{k}]"), why));
                }
            }
        }
        Ok(())
    }

    /// The scenario the run of step `index` (from 0) starts from: that of the last step at
    /// or before it with a `scenario`, or the lesson's.
    pub fn scenario_at(&self, index: usize) -> &Scenario {
        self.steps
            .iter()
            .take(index.saturating_add(1))
            .rev()
            .find_map(|s| s.scenario.as_ref())
            .unwrap_or(&self.scenario)
    }

    /// The lesson's entry of `lessons/index.json`: `{"id", "title", "summary", "topics",
    /// "steps", "nodes", "system"}` (`steps`: how many; `nodes` and `system`: those of the
    /// lesson's first run, which a `<raft-lab lesson=...>` element draws on its poster).
    pub fn index_entry(&self) -> Value {
        let mut o = Map::new();
        o.insert("id".into(), self.id.as_str().into());
        o.insert("title".into(), self.title.as_str().into());
        o.insert("summary".into(), self.summary.as_str().into());
        let topics = self
            .topics
            .iter()
            .map(|t| Value::from(t.as_str()))
            .collect();
        o.insert("topics".into(), Value::Array(topics));
        o.insert("steps".into(), Value::from(self.steps.len() as u64));
        o.insert("nodes".into(), Value::from(u64::from(self.scenario.nodes)));
        o.insert(
            "system".into(),
            self.scenario.system.system().as_str().into(),
        );
        Value::Object(o)
    }
}

/// The top-level fields of a lesson (its steps still to read).
fn parse_head(value: &Value) -> Result<(Lesson, &Vec<Value>), ParseError> {
    let mut f = Fields::new("", value)?;
    read_version(&mut f, VERSION, |version| {
        format!("this lesson is written in lesson format {version}, newer than this raftlab reads (lesson format {VERSION}); update raftlab")
    })?;
    let id = text("id", f.get("id"), 40)?;
    if !id
        .chars()
        .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
    {
        return err(
            "id",
            format!(
                "{} may hold only lowercase letters, digits and '-'",
                quoted(&id)
            ),
        );
    }
    let title = text("title", f.get("title"), 80)?;
    let summary = text("summary", f.get("summary"), 300)?;
    let Some(v) = f.get("topics") else {
        return err(
            "topics",
            "missing: the sections it teaches, such as [\"5.2\"]",
        );
    };
    let Some(list) = v.as_array() else {
        return expected(
            "topics",
            "a list of sections such as [\"5.2\", \"thesis 4.2.3\"]",
            v,
        );
    };
    let mut topics = Vec::new();
    for (i, t) in list.iter().enumerate() {
        topics.push(text(&format!("topics[{i}]"), Some(t), 40)?);
    }
    let scenario = match f.get("scenario") {
        None => return err("scenario", "missing: the run, in the scenario format"),
        Some(v) => lesson_scenario("scenario", v)?,
    };
    let steps = match f.get("steps") {
        None => return err("steps", "missing: a list of steps"),
        Some(v) => match v.as_array() {
            Some(list) if list.is_empty() => return err("steps", "a lesson has at least one step"),
            Some(list) => list,
            None => return expected("steps", "a list of steps", v),
        },
    };
    f.finish(&[
        "version", "id", "title", "summary", "topics", "scenario", "steps",
    ])?;
    let lesson = Lesson {
        id,
        title,
        summary,
        topics,
        scenario,
        steps: Vec::new(),
    };
    Ok((lesson, steps))
}

/// The servers a run may name: the scenario's, and those its `add_server` events add.
fn cluster_size(s: &Scenario) -> u32 {
    s.events
        .iter()
        .filter_map(|e| match e.action {
            Action::AddServer(n) => Some(n),
            _ => None,
        })
        .fold(s.nodes, u32::max)
}

#[inline(never)]
fn lesson_scenario(path: &str, v: &Value) -> Result<Scenario, ParseError> {
    let s = Scenario::from_json(v).map_err(|e| within(path, e))?;
    if s.liveness_us.is_some() {
        return err(
            &format!("{path}.liveness_ms"),
            "a lesson's run has no liveness phase; remove it",
        );
    }
    Ok(s)
}

const STEP_FIELDS: [&str; 11] = [
    "title",
    "text",
    "notes",
    "until",
    "scenario",
    "highlight",
    "select",
    "panels",
    "expect",
    "question",
    "task",
];

fn parse_step(v: &Value, nodes: &mut u32) -> Result<Step, ParseError> {
    let mut f = Fields::new("", v)?;
    // One value filled in field by field: an error drops it in one place (less code in
    // WebAssembly than dropping each field read so far at every early return).
    let mut step = Step {
        title: text("title", f.get("title"), 80)?,
        text: String::new(),
        notes: None,
        until: Until::At(0),
        scenario: None,
        highlight: Highlight::default(),
        select: None,
        panels: None,
        expect: None,
        question: None,
        task: None,
    };
    step.text = text("text", f.get("text"), MAX_TEXT)?;
    if let Some(n) = f.get("notes") {
        step.notes = Some(text("notes", Some(n), MAX_TEXT)?);
    }
    if let Some(s) = f.get("scenario") {
        let s = lesson_scenario("scenario", s)?;
        *nodes = cluster_size(&s);
        step.scenario = Some(s);
    }
    step.until = match f.get("until") {
        None => {
            return err(
                "until",
                "missing: the step's moment, {\"at_ms\": MS}, {\"after_ms\": MS} or a trace pattern such as {\"kind\": \"become_leader\"}",
            )
        }
        Some(u) => parse_until("until", u)?,
    };
    if let Some(h) = f.get("highlight") {
        step.highlight = parse_highlight("highlight", h)?;
    }
    if let Some(s) = f.get("select") {
        step.select = Some(parse_select(s)?);
    }
    if let Some(p) = f.get("panels") {
        step.panels = Some(parse_panels(p)?);
    }
    if let Some(e) = f.get("expect") {
        step.expect = Some(parse_expect("expect", e)?);
    }
    if let Some(q) = f.get("question") {
        step.question = Some(parse_question("question", q)?);
    }
    if let Some(t) = f.get("task") {
        step.task = Some(parse_task("task", t, nodes)?);
    }
    f.finish(&STEP_FIELDS)?;
    Ok(step)
}

#[inline(never)]
fn parse_select(s: &Value) -> Result<Select, ParseError> {
    let mut g = Fields::new("select", s)?;
    let node_ = match g.get("node") {
        Some(n) => node("select.node", n)?,
        None => return err("select.node", "missing: the server to show"),
    };
    let index = match g.get("index") {
        Some(i) => match i.as_u64() {
            Some(n) if n >= 1 => Some(n),
            _ => return expected("select.index", "a log index from 1", i),
        },
        None => None,
    };
    g.finish(&["node", "index"])?;
    Ok(Select { node: node_, index })
}

#[inline(never)]
fn parse_panels(p: &Value) -> Result<Vec<String>, ParseError> {
    let Some(list) = p.as_array() else {
        return expected("panels", "a list of panel names such as [\"logs\"]", p);
    };
    let mut out = Vec::new();
    for (i, name) in list.iter().enumerate() {
        out.push(one_of(&format!("panels[{i}]"), name, &PANELS, "a panel name")?.to_string());
    }
    Ok(out)
}

fn within_ms(path: &str, v: Option<&Value>) -> Result<Micros, ParseError> {
    match v {
        None => Ok(DEFAULT_WITHIN_US),
        Some(v) => match as_ms(path, v, MAX_WITHIN_MS)? {
            0 => err(path, "must be more than 0"),
            us => Ok(us),
        },
    }
}

#[inline(never)]
fn parse_until(path: &str, v: &Value) -> Result<Until, ParseError> {
    let Some(map) = v.as_object() else {
        return expected(
            path,
            "an object: {\"at_ms\": MS}, {\"after_ms\": MS} or a trace pattern",
            v,
        );
    };
    for (name, after) in [("at_ms", false), ("after_ms", true)] {
        if let Some(t) = map.get(name) {
            let mut f = Fields::new(path, v)?;
            f.get(name);
            f.finish(&[name])?;
            let us = as_ms(&format!("{path}.{name}"), t, MAX_UNTIL_MS)?;
            return Ok(if after {
                Until::After(us)
            } else {
                Until::At(us)
            });
        }
    }
    if map.get("kind").is_none() {
        return err(
            path,
            "expected {\"at_ms\": MS}, {\"after_ms\": MS} or a trace pattern with \"kind\"",
        );
    }
    let within_us = within_ms(&format!("{path}.within_ms"), map.get("within_ms"))?;
    let mut fields = Map::new();
    for (k, x) in map.iter().filter(|(k, _)| *k != "within_ms") {
        fields.insert(k.clone(), x.clone());
    }
    Ok(Until::Event {
        pattern: Pattern::from_map(path, fields)?,
        within_us,
    })
}

#[inline(never)]
fn parse_highlight(path: &str, v: &Value) -> Result<Highlight, ParseError> {
    let mut f = Fields::new(path, v)?;
    let mut h = Highlight::default();
    if let Some(n) = f.get("nodes") {
        h.nodes = node_list(&f.at("nodes"), n)?;
    }
    if let Some(e) = f.get("entries") {
        let p = f.at("entries");
        let Some(list) = e.as_array() else {
            return expected(
                &p,
                "a list of log cells such as [{\"node\": 1, \"index\": 3}]",
                e,
            );
        };
        for (i, cell) in list.iter().enumerate() {
            let cp = format!("{p}[{i}]");
            let mut c = Fields::new(&cp, cell)?;
            let n = match c.get("node") {
                Some(n) => node(&c.at("node"), n)?,
                None => return err(&c.at("node"), "missing"),
            };
            let index = match c.get("index") {
                Some(x) => match x.as_u64() {
                    Some(i) if i >= 1 => i,
                    _ => return expected(&c.at("index"), "a log index from 1", x),
                },
                None => return err(&c.at("index"), "missing"),
            };
            c.finish(&["node", "index"])?;
            h.entries.push((n, index));
        }
    }
    if let Some(m) = f.get("messages") {
        let p = f.at("messages");
        let Some(list) = m.as_array() else {
            return expected(&p, "a list of message types such as [\"RequestVote\"]", m);
        };
        let types: Vec<&'static str> = MESSAGE_TYPES.iter().map(|(t, _)| *t).collect();
        for (i, t) in list.iter().enumerate() {
            h.messages
                .push(one_of(&format!("{p}[{i}]"), t, &types, "a message type")?.to_string());
        }
    }
    if let Some(l) = f.get("links") {
        let p = f.at("links");
        let Some(list) = l.as_array() else {
            return expected(&p, "a list of links such as [[1, 2]]", l);
        };
        for (i, link) in list.iter().enumerate() {
            let lp = format!("{p}[{i}]");
            match link.as_array().map(Vec::as_slice) {
                Some([a, b]) => {
                    let (a, b) = (node(&format!("{lp}[0]"), a)?, node(&format!("{lp}[1]"), b)?);
                    if a == b {
                        return err(&lp, "a link joins two different servers");
                    }
                    h.links.push((a, b));
                }
                _ => return expected(&lp, "two server numbers such as [1, 2]", link),
            }
        }
    }
    f.finish(&["nodes", "entries", "messages", "links"])?;
    Ok(h)
}

#[inline(never)]
fn parse_question(path: &str, v: &Value) -> Result<Question, ParseError> {
    let mut f = Fields::new(path, v)?;
    let prompt = text(&f.at("prompt"), f.get("prompt"), MAX_TEXT)?;
    let p = f.at("choices");
    let choices = match f.get("choices") {
        None => return err(&p, "missing: 2 to 6 choices"),
        Some(c) => {
            let Some(list) = c.as_array() else {
                return expected(&p, "a list of 2 to 6 choices", c);
            };
            if !(2..=6).contains(&list.len()) {
                return err(&p, format!("{} choices; a question has 2 to 6", list.len()));
            }
            let mut out = Vec::new();
            for (i, c) in list.iter().enumerate() {
                out.push(text(&format!("{p}[{i}]"), Some(c), 300)?);
            }
            out
        }
    };
    let ap = f.at("answer");
    let answer = match f.get("answer") {
        None => return err(&ap, "missing: the index of the right choice, from 0"),
        Some(a) => match a.as_u64() {
            Some(i) if (i as usize) < choices.len() => i as usize,
            Some(i) => {
                return err(
                    &ap,
                    format!(
                        "{i} is not a choice: the choices are numbered 0 to {}",
                        choices.len() - 1
                    ),
                )
            }
            None => return expected(&ap, "the index of the right choice, from 0", a),
        },
    };
    let why = text(&f.at("why"), f.get("why"), MAX_TEXT)?;
    f.finish(&["prompt", "choices", "answer", "why"])?;
    Ok(Question {
        prompt,
        choices,
        answer,
        why,
    })
}

#[inline(never)]
fn parse_task(path: &str, v: &Value, nodes: &mut u32) -> Result<Task, ParseError> {
    let mut f = Fields::new(path, v)?;
    let prompt = text(&f.at("prompt"), f.get("prompt"), MAX_TEXT)?;
    let gp = f.at("goal");
    let goal = match f.get("goal") {
        None => {
            return err(
                &gp,
                "missing: a trace pattern such as {\"kind\": \"crash\"} or {\"expect\": {...}}",
            )
        }
        Some(g) => parse_goal(&gp, g)?,
    };
    let sp = f.at("show_me");
    let show_me = match f.get("show_me") {
        None => return err(&sp, "missing: the actions of the \"Show me\" button"),
        Some(s) => {
            let Some(list) = s.as_array() else {
                return expected(
                    &sp,
                    "a list of actions such as [{\"do\": \"crash\", \"node\": \"leader\"}]",
                    s,
                );
            };
            if list.is_empty() {
                return err(&sp, "needs at least one action");
            }
            let mut out = Vec::new();
            for (i, a) in list.iter().enumerate() {
                let action = parse_show_me(&format!("{sp}[{i}]"), a, *nodes)?;
                if let Action::AddServer(n) = action {
                    *nodes = (*nodes).max(n);
                }
                out.push(action);
            }
            out
        }
    };
    let within_us = within_ms(&f.at("within_ms"), f.get("within_ms"))?;
    f.finish(&["prompt", "goal", "show_me", "within_ms"])?;
    Ok(Task {
        prompt,
        goal,
        show_me,
        within_us,
    })
}

/// A scenario action without `at_ms` (it happens at the current moment).
#[inline(never)]
fn parse_show_me(path: &str, v: &Value, nodes: u32) -> Result<Action, ParseError> {
    let Some(map) = v.as_object() else {
        return expected(
            path,
            "an action such as {\"do\": \"crash\", \"node\": 1}",
            v,
        );
    };
    if map.get("at_ms").is_some() {
        return err(
            &format!("{path}.at_ms"),
            "a \"Show me\" action happens at the current moment: remove at_ms",
        );
    }
    let mut timed = map.clone();
    timed.insert("at_ms".into(), Value::from(0u64));
    scenario::parse_action(path, &Value::Object(timed), nodes).map(|t| t.action)
}

#[inline(never)]
fn parse_goal(path: &str, v: &Value) -> Result<Goal, ParseError> {
    let Some(map) = v.as_object() else {
        return expected(path, "a trace pattern or {\"expect\": {...}}", v);
    };
    if let Some(e) = map.get("expect") {
        let mut f = Fields::new(path, v)?;
        f.get("expect");
        f.finish(&["expect"])?;
        return Ok(Goal::Expect(parse_expect(&format!("{path}.expect"), e)?));
    }
    if map.get("within_ms").is_some() {
        return err(
            &format!("{path}.within_ms"),
            "the task's within_ms says how long the goal is waited for; move it to the task",
        );
    }
    Pattern::from_map(path, map.clone()).map(Goal::Event)
}

/// The JSON type a trace field's value has.
#[derive(Clone, Copy, PartialEq)]
enum Shape {
    Number,
    NumberOrNull,
    Text,
    TextOrNull,
    Bool,
    List,
    Object,
    /// A field whose type depends on the kind (`op`: a text in `store_cas`, a number in a
    /// quorum message).
    Any,
}

fn shape(field: &str) -> Shape {
    match field {
        "kind" | "change" | "reason" | "command" | "key" | "mode" | "result" | "property"
        | "detail" | "role" | "type" | "phase" | "version" | "via" => Shape::Text,
        "value" => Shape::TextOrNull,
        "leader" | "conflict_term" | "holder" | "token" | "until" | "hint_for" | "mod_index" => {
            Shape::NumberOrNull
        }
        "held" | "alive" | "pre_vote" | "transfer" | "granted" | "success" | "blocking"
        | "leading" | "accepted" | "ok" => Shape::Bool,
        "voters" | "learners" | "groups" | "nodes" | "log" | "entries" | "targets" | "values"
        | "old" | "kept" | "items" => Shape::List,
        "op" => Shape::Any,
        "msg" | "config" | "data" => Shape::Object,
        _ => Shape::Number,
    }
}

fn fits(s: Shape, v: &Value) -> bool {
    match (s, v) {
        (Shape::Number | Shape::NumberOrNull, Value::Number(_)) => true,
        (Shape::Text | Shape::TextOrNull, Value::String(_)) => true,
        (Shape::Bool, Value::Bool(_)) => true,
        (Shape::List, Value::Array(_)) => true,
        (Shape::Object, Value::Object(_)) => true,
        (Shape::Any, _) => true,
        (Shape::NumberOrNull | Shape::TextOrNull, Value::Null) => true,
        // `null` also matches an absent field (a client request sent to no server).
        (_, Value::Null) => true,
        _ => false,
    }
}

/// The values a text field can take in a kind, when they are few.
fn values(kind: &str, field: &str) -> Option<&'static [&'static str]> {
    Some(match (kind, field) {
        ("drop", "reason") => &["loss", "partition", "crashed", "manual"],
        ("vote_refused", "reason") => &[
            "stale_term",
            "already_voted",
            "log_behind",
            "leader_alive",
            "not_a_voter",
        ],
        ("append_rejected", "reason") => &["stale_term", "log_mismatch"],
        ("membership_refused", "change") => &["add", "remove"],
        (_, "mode") => &["any", "leader_local", "read_index", "lease"],
        (_, "result") => &["ok", "redirect", "timeout"],
        ("violation", "property") => &[
            "election_safety",
            "leader_append_only",
            "log_matching",
            "leader_completeness",
            "state_machine_safety",
            "one_vote_per_term",
            "commit_monotonic",
            "single_server_change",
            "one_change_at_a_time",
            "acked_write_lost",
            "two_leaders_act_at_once",
            "stale_lease_write_accepted",
            "linearizability",
        ],
        ("quorum_request" | "quorum_ack" | "quorum_timeout", "phase") => {
            &["read", "write", "write_back"]
        }
        (_, "via") => &["client", "repair", "handoff", "sync"],
        ("store_cas", "op") => &["acquire", "renew", "release", "expire"],
        _ => return None,
    })
}

/// Checks that every field of `pattern` (at `path`) is one of `fields` with a value that
/// can match.
#[inline(never)]
fn check_fields(
    path: &str,
    kind: &str,
    pattern: &Map,
    fields: &[&str],
    what: &str,
) -> Result<(), ParseError> {
    for (k, v) in pattern.iter() {
        let p = format!("{path}.{k}");
        if !fields.contains(&k.as_str()) {
            return err(
                &p,
                format!(
                    "{what} has no field {}, so the pattern could never match; its fields: {}",
                    quoted(k),
                    names(fields)
                ),
            );
        }
        let s = shape(k);
        if !fits(s, v) {
            let want = match s {
                Shape::Number => "a number",
                Shape::NumberOrNull => "a number or null",
                Shape::Text => "a string",
                Shape::TextOrNull => "a string or null",
                Shape::Bool => "true or false",
                Shape::List => "a list",
                Shape::Object => "an object",
                Shape::Any => "any value",
            };
            return expected(&p, &format!("{want} (the pattern could never match)"), v);
        }
        if let (Some(list), Some(s)) = (values(kind, k), v.as_str()) {
            if !list.contains(&s) {
                return err(
                    &p,
                    format!(
                        "{what} never has {k} {}, so the pattern could never match; expected one of: {}",
                        quoted(s),
                        names(list)
                    ),
                );
            }
        }
    }
    Ok(())
}

impl Pattern {
    /// A pattern from its JSON object, validated against [`TRACE_KINDS`] and
    /// [`MESSAGE_TYPES`]; errors name fields below `path`.
    pub fn from_map(path: &str, fields: Map) -> Result<Pattern, ParseError> {
        let kp = format!("{path}.kind");
        let kind = match fields.get("kind") {
            None => {
                return err(
                    &kp,
                    "missing: the trace kind to wait for, such as \"become_leader\"",
                )
            }
            Some(Value::String(k)) => k.clone(),
            Some(v) => return expected(&kp, "a trace kind such as \"become_leader\"", v),
        };
        let Some(own) = trace_fields(&kind) else {
            return err(&kp, format!("no trace kind {}", quoted(&kind)));
        };
        if kind == "final" {
            return err(
                &kp,
                "\"final\" lines end a trace written by raftlab run; a lesson's run has none",
            );
        }
        let mut all: Vec<&str> = vec!["t_us", "kind"];
        all.extend_from_slice(own);
        check_fields(path, &kind, &fields, &all, &format!("a \"{kind}\" event"))?;
        if let Some(Value::Object(msg)) = fields.get("msg") {
            let mp = format!("{path}.msg");
            let mut known: Vec<&str> = MESSAGE_FIELDS.to_vec();
            let what = match msg.get("type") {
                Some(Value::String(t)) => match message_fields(t) {
                    Some(f) => {
                        known.extend_from_slice(f);
                        format!("a {t} message")
                    }
                    None => {
                        let types: Vec<&str> = MESSAGE_TYPES.iter().map(|(t, _)| *t).collect();
                        return err(
                            &format!("{mp}.type"),
                            format!(
                                "no message type {}; expected one of: {}",
                                quoted(t),
                                names(&types)
                            ),
                        );
                    }
                },
                _ => {
                    for (_, f) in MESSAGE_TYPES {
                        for x in f.iter() {
                            if !known.contains(x) {
                                known.push(x);
                            }
                        }
                    }
                    "a message".to_string()
                }
            };
            check_fields(&mp, "msg", msg, &known, &what)?;
        }
        Ok(Pattern { fields })
    }

    /// The trace kind the pattern waits for.
    pub fn kind(&self) -> &str {
        self.fields
            .get("kind")
            .and_then(Value::as_str)
            .unwrap_or("")
    }

    /// The pattern as JSON.
    pub fn to_json(&self) -> Value {
        Value::Object(self.fields.clone())
    }

    /// Whether `event` has every field of the pattern with an equal value.
    pub fn matches(&self, event: &TraceEvent) -> bool {
        if event.kind.name() != self.kind() {
            return false;
        }
        json::parse(&event.to_json()).is_ok_and(|v| subset(&self.fields, &v))
    }
}

/// Whether `value` is an object with every member of `pattern`.
fn subset(pattern: &Map, value: &Value) -> bool {
    let Some(obj) = value.as_object() else {
        return false;
    };
    pattern.iter().all(|(k, p)| match (p, obj.get(k)) {
        (Value::Object(sub), Some(v)) => subset(sub, v),
        (_, Some(v)) => same(p, v),
        (Value::Null, None) => true,
        (_, None) => false,
    })
}

/// JSON equality where numbers compare by value (`2` equals `2.0`).
fn same(a: &Value, b: &Value) -> bool {
    match (a, b) {
        (Value::Number(x), Value::Number(y)) => x.as_f64() == y.as_f64(),
        (Value::Array(x), Value::Array(y)) => {
            x.len() == y.len() && x.iter().zip(y).all(|(a, b)| same(a, b))
        }
        _ => a == b,
    }
}

const FACTS: [&str; 27] = [
    "leader",
    "leader_exists",
    "term_at_least",
    "term_at_most",
    "roles",
    "terms",
    "voted_for",
    "committed",
    "not_committed",
    "stored",
    "not_stored",
    "log_length",
    "value",
    "crashed",
    "running",
    "safe",
    "violation",
    "history",
    "refused",
    "held_at_least",
    "in_flight",
    "members",
    "snapshot",
    "replica",
    "holder",
    "believes",
    "resource",
];

/// The safety properties of the other systems than Raft, which `violation` also names.
const OTHER_SAFETY: [Property; 3] = [
    Property::AckedWriteLost,
    Property::TwoLeadersActAtOnce,
    Property::StaleLeaseWriteAccepted,
];

const ROLES: [&str; 6] = [
    "follower",
    "candidate",
    "pre_candidate",
    "precandidate",
    "leader",
    "down",
];

#[inline(never)]
fn boolean(path: &str, v: &Value) -> Result<bool, ParseError> {
    match v {
        Value::Bool(b) => Ok(*b),
        _ => expected(path, "true or false", v),
    }
}

#[inline(never)]
fn parse_entry_fact(path: &str, v: &Value, with_entry: bool) -> Result<EntryFact, ParseError> {
    let mut f = Fields::new(path, v)?;
    let index = match f.get("index") {
        Some(i) => match i.as_u64() {
            Some(n) if n >= 1 => n,
            _ => return expected(&f.at("index"), "a log index from 1", i),
        },
        None => return err(&f.at("index"), "missing: the log index"),
    };
    let on = match f.get("on") {
        Some(o) => node_list(&f.at("on"), o)?,
        None => return err(&f.at("on"), "missing: the servers, such as [1, 2, 3]"),
    };
    if on.is_empty() {
        return err(&f.at("on"), "names no server");
    }
    let mut fact = EntryFact {
        index,
        on,
        term: None,
        command: None,
    };
    if with_entry {
        if let Some(t) = f.get("term") {
            fact.term = Some(as_u64(&f.at("term"), t, "a term")?);
        }
        if let Some(c) = f.get("command") {
            fact.command = Some(text(&f.at("command"), Some(c), 600)?);
        }
        f.finish(&["index", "on", "term", "command"])?;
    } else {
        f.finish(&["index", "on"])?;
    }
    Ok(fact)
}

/// Reads an `expect` object; errors name fields below `path`.
pub fn parse_expect(path: &str, v: &Value) -> Result<Expect, ParseError> {
    let Some(map) = v.as_object() else {
        return expected(path, "an object of facts such as {\"leader\": 3}", v);
    };
    let mut facts = Vec::new();
    for (name, v) in map.iter() {
        let p = format!("{path}.{name}");
        let p = p.as_str();
        let fact = match name.as_str() {
            "leader" => match v {
                Value::Null => Fact::Leader(None),
                _ => Fact::Leader(Some(node(p, v)?)),
            },
            "leader_exists" => Fact::LeaderExists(boolean(p, v)?),
            "term_at_least" => Fact::TermAtLeast(as_u64(p, v, "a term")?),
            "term_at_most" => Fact::TermAtMost(as_u64(p, v, "a term")?),
            "roles" => Fact::Roles(per_node(p, v, |p, r| {
                one_of(p, r, &ROLES, "a role").map(|r| {
                    if r == "precandidate" {
                        "pre_candidate"
                    } else {
                        r
                    }
                })
            })?),
            "terms" => Fact::Terms(per_node(p, v, |p, t| as_u64(p, t, "a term"))?),
            "voted_for" => Fact::VotedFor(per_node(p, v, |p, c| match c {
                Value::Null => Ok(None),
                _ => node(p, c).map(Some),
            })?),
            "committed" => Fact::Committed(parse_entry_fact(p, v, true)?),
            "not_committed" => Fact::NotCommitted(parse_entry_fact(p, v, false)?),
            "stored" => Fact::Stored(parse_entry_fact(p, v, true)?),
            "not_stored" => Fact::NotStored(parse_entry_fact(p, v, true)?),
            "log_length" => Fact::LogLength(per_node(p, v, |p, n| as_u64(p, n, "a log index"))?),
            "value" => {
                let mut f = Fields::new(p, v)?;
                let n = match f.get("node") {
                    Some(n) => node(&f.at("node"), n)?,
                    None => return err(&f.at("node"), "missing: the server"),
                };
                let key = text(&f.at("key"), f.get("key"), 256)?;
                let is = match f.get("is") {
                    None => {
                        return err(&f.at("is"), "missing: the value, or null for an absent key")
                    }
                    Some(Value::Null) => None,
                    Some(x) => Some(text(&f.at("is"), Some(x), 256)?),
                };
                f.finish(&["node", "key", "is"])?;
                Fact::Value { node: n, key, is }
            }
            "crashed" => Fact::Crashed(node_list(p, v)?),
            "running" => Fact::Running(node_list(p, v)?),
            "safe" => Fact::Safe(boolean(p, v)?),
            "violation" => {
                let props: Vec<&'static str> = Property::SAFETY
                    .iter()
                    .chain(&OTHER_SAFETY)
                    .map(|p| p.name())
                    .collect();
                Fact::Violation(one_of(p, v, &props, "a safety property")?)
            }
            "history" => Fact::History(
                one_of(p, v, &["linearizable", "not_linearizable"], "a verdict")? == "linearizable",
            ),
            "refused" => {
                let mut f = Fields::new(p, v)?;
                let n = match f.get("node") {
                    Some(n) => node(&f.at("node"), n)?,
                    None => return err(&f.at("node"), "missing: the server that refused"),
                };
                let reason = match f.get("reason") {
                    Some(r) => one_of(
                        &f.at("reason"),
                        r,
                        &[
                            "stale_term",
                            "already_voted",
                            "log_behind",
                            "leader_alive",
                            "not_a_voter",
                            "log_mismatch",
                        ],
                        "a refusal reason",
                    )?,
                    None => {
                        return err(
                            &f.at("reason"),
                            "missing: the reason, such as \"log_behind\"",
                        )
                    }
                };
                let candidate = match f.get("candidate") {
                    Some(c) => Some(node(&f.at("candidate"), c)?),
                    None => None,
                };
                f.finish(&["node", "reason", "candidate"])?;
                Fact::Refused {
                    node: n,
                    reason,
                    candidate,
                }
            }
            "held_at_least" => Fact::HeldAtLeast(as_u64(p, v, "a number of messages")?),
            "in_flight" => {
                let mut f = Fields::new(p, v)?;
                let types: Vec<&'static str> = MESSAGE_TYPES.iter().map(|(t, _)| *t).collect();
                let kind = match f.get("type") {
                    Some(t) => one_of(&f.at("type"), t, &types, "a message type")?,
                    None => return err(&f.at("type"), "missing: the message type"),
                };
                let at_least = match f.get("at_least") {
                    Some(n) => as_u64(&f.at("at_least"), n, "a number of messages")?,
                    None => 1,
                };
                f.finish(&["type", "at_least"])?;
                Fact::InFlight { kind, at_least }
            }
            "members" => {
                let mut f = Fields::new(p, v)?;
                let mut voters = match f.get("voters") {
                    Some(l) => node_list(&f.at("voters"), l)?,
                    None => return err(&f.at("voters"), "missing: the voters"),
                };
                let mut learners = match f.get("learners") {
                    Some(l) => node_list(&f.at("learners"), l)?,
                    None => Vec::new(),
                };
                f.finish(&["voters", "learners"])?;
                crate::order::sort_ids(&mut voters);
                crate::order::sort_ids(&mut learners);
                Fact::Members { voters, learners }
            }
            "snapshot" => {
                let mut f = Fields::new(p, v)?;
                let n = match f.get("node") {
                    Some(n) => node(&f.at("node"), n)?,
                    None => return err(&f.at("node"), "missing: the server"),
                };
                let index_at_least = match f.get("index_at_least") {
                    Some(i) => as_u64(&f.at("index_at_least"), i, "a log index")?,
                    None => return err(&f.at("index_at_least"), "missing: the index"),
                };
                f.finish(&["node", "index_at_least"])?;
                Fact::Snapshot {
                    node: n,
                    index_at_least,
                }
            }
            "replica" => {
                let mut f = Fields::new(p, v)?;
                let nodes = match f.get("node") {
                    Some(l @ Value::Array(_)) => node_list(&f.at("node"), l)?,
                    Some(n) => vec![node(&f.at("node"), n)?],
                    None => return err(&f.at("node"), "missing: the replica (or a list of them)"),
                };
                let key = text(&f.at("key"), f.get("key"), 256)?;
                let mut values = match f.get("values") {
                    Some(Value::Array(list)) => list
                        .iter()
                        .enumerate()
                        .map(|(i, x)| text(&format!("{}[{i}]", f.at("values")), Some(x), 256))
                        .collect::<Result<Vec<String>, ParseError>>()?,
                    Some(other) => {
                        return expected(
                            &f.at("values"),
                            "a list of values such as [\"2\"] ([] for an absent key)",
                            other,
                        )
                    }
                    None => {
                        return err(
                            &f.at("values"),
                            "missing: the values, siblings included ([] for an absent key)",
                        )
                    }
                };
                f.finish(&["node", "key", "values"])?;
                crate::order::sort_strings(&mut values);
                Fact::Replica { nodes, key, values }
            }
            "holder" => match v {
                Value::Null => Fact::Holder(None),
                _ => Fact::Holder(Some(node(p, v)?)),
            },
            "believes" => {
                let mut f = Fields::new(p, v)?;
                let n = match f.get("node") {
                    Some(n) => node(&f.at("node"), n)?,
                    None => return err(&f.at("node"), "missing: the candidate"),
                };
                let holder = match f.get("holder") {
                    None => None,
                    Some(Value::Null) => Some(None),
                    Some(h) => Some(Some(node(&f.at("holder"), h)?)),
                };
                let leading = match f.get("leading") {
                    None => None,
                    Some(l) => Some(boolean(&f.at("leading"), l)?),
                };
                f.finish(&["node", "holder", "leading"])?;
                if holder.is_none() && leading.is_none() {
                    return err(p, "states nothing: give \"holder\", \"leading\" or both");
                }
                Fact::Believes {
                    node: n,
                    holder,
                    leading,
                }
            }
            "resource" => {
                let mut f = Fields::new(p, v)?;
                let highest = match f.get("highest") {
                    None => None,
                    Some(t) => Some(as_u64(&f.at("highest"), t, "a token")?),
                };
                let accepted_at_least = match f.get("accepted_at_least") {
                    None => None,
                    Some(n) => Some(as_u64(&f.at("accepted_at_least"), n, "a number of writes")?),
                };
                f.finish(&["highest", "accepted_at_least"])?;
                if highest.is_none() && accepted_at_least.is_none() {
                    return err(
                        p,
                        "states nothing: give \"highest\", \"accepted_at_least\" or both",
                    );
                }
                Fact::Resource {
                    highest,
                    accepted_at_least,
                }
            }
            other => {
                return err(
                    p,
                    format!("no fact {}; the facts: {}", quoted(other), names(&FACTS)),
                )
            }
        };
        facts.push(fact);
    }
    if facts.is_empty() {
        return err(path, "states no fact");
    }
    Ok(Expect { facts })
}

/// `[1, 2, 3]` as `S1, S2, S3`.
fn servers(list: &[NodeId]) -> String {
    let mut out = String::new();
    for (i, n) in list.iter().enumerate() {
        if i > 0 {
            out.push_str(", ");
        }
        out.push_str(&format!("S{n}"));
    }
    if out.is_empty() {
        out.push_str("none");
    }
    out
}

/// Who leads, in words: `S1 leads term 2` (Raft), `S2 believes it leads with token 34`
/// (lease election) or `no server leads`.
fn who_leads(sim: &Simulation) -> String {
    let Some(l) = sim.leader() else {
        return "no server leads".into();
    };
    if let Some(n) = sim.nodes().get(l as usize - 1) {
        return format!("S{l} leads term {}", n.term());
    }
    match sim
        .lease_nodes()
        .get(l as usize - 1)
        .and_then(|n| n.belief())
        .and_then(|b| b.token)
    {
        Some(t) => format!("S{l} believes it leads with token {t}"),
        None => format!("S{l} believes it leads"),
    }
}

/// Whether server `id` exists in the run, whatever its system; `Err` says it does not.
fn exists(sim: &Simulation, id: NodeId) -> Result<(), String> {
    if id == 0 || id as usize > sim.node_count() {
        return Err(format!(
            "S{id} does not exist (the cluster has {} servers)",
            sim.node_count()
        ));
    }
    Ok(())
}

/// The facts each system's runs can check, by their names, for error messages.
fn facts_of(system: System) -> &'static str {
    match system {
        System::Raft => "every fact but replica, holder, believes and resource",
        System::Quorum => {
            "replica, crashed, running, safe, violation, history, held_at_least and in_flight"
        }
        System::Lease => {
            "leader, leader_exists, holder, believes, resource, crashed, running, safe, violation, history, held_at_least and in_flight"
        }
    }
}

/// The lease-election server of a run, or why there is none.
fn lease_node(sim: &Simulation, id: NodeId) -> Result<&raftlab_lease::Node, String> {
    exists(sim, id)?;
    sim.lease_nodes()
        .get(id as usize - 1)
        .ok_or_else(|| "not a lease run".to_string())
}

fn server(sim: &Simulation, id: NodeId) -> Result<&raftlab_raft::Node, String> {
    sim.nodes().get(id as usize - 1).ok_or_else(|| {
        format!(
            "S{id} does not exist (the cluster has {} servers)",
            sim.nodes().len()
        )
    })
}

/// The role of a server as facts name it.
fn role_of(sim: &Simulation, id: NodeId, n: &raftlab_raft::Node) -> &'static str {
    if !sim.is_alive(id) {
        return "down";
    }
    match n.role() {
        Role::Follower => "follower",
        Role::Candidate => "candidate",
        Role::PreCandidate => "pre_candidate",
        Role::Leader => "leader",
    }
}

/// The latest refusal of a server: its reason's name and the candidate (or sender).
fn latest_refusal(sim: &Simulation, id: NodeId) -> Option<(&'static str, NodeId)> {
    sim.refusals(id).next_back().map(|r| match &r.event {
        Event::VoteRefused {
            candidate, reason, ..
        } => (vote_refusal_name(reason), *candidate),
        Event::AppendRejected { leader, reason, .. } => (
            match reason {
                AppendRejection::StaleTerm { .. } => "stale_term",
                AppendRejection::LogMismatch { .. } => "log_mismatch",
            },
            *leader,
        ),
        _ => ("", 0),
    })
}

/// The entry at `index` of a server, in words for messages: `term 2, set x=1`.
fn entry_words(n: &raftlab_raft::Node, index: Index) -> String {
    match n.entry(index) {
        Some(e) => format!("term {}, {}", e.term, e.command),
        None => format!(
            "term {}, in its snapshot",
            n.term_at(index).map_or("?".into(), |t| t.to_string())
        ),
    }
}

/// Whether server `n`'s entry at `index` matches the optional term and command; `Err` says
/// how it differs.
#[inline(never)]
fn entry_matches(n: &raftlab_raft::Node, fact: &EntryFact) -> Result<(), String> {
    let id = n.id();
    let i = fact.index;
    if n.last_index() < i {
        return Err(format!(
            "S{id} has no entry {i} (its log ends at {})",
            n.last_index()
        ));
    }
    if let Some(t) = fact.term {
        match n.term_at(i) {
            Some(have) if have == t => {}
            Some(have) => return Err(format!("S{id}'s entry {i} has term {have}, not {t}")),
            None => {
                return Err(format!(
                    "S{id}'s entry {i} is compacted into its snapshot; its term is not known"
                ))
            }
        }
    }
    if let Some(c) = &fact.command {
        match n.entry(i) {
            Some(e) if e.command.to_string() == *c => {}
            Some(e) => return Err(format!("S{id}'s entry {i} is {}, not {c}", e.command)),
            None => {
                return Err(format!(
                    "S{id}'s entry {i} is compacted into its snapshot; its command is not known"
                ))
            }
        }
    }
    Ok(())
}

fn entry_spec(fact: &EntryFact) -> String {
    let mut s = format!("entry {}", fact.index);
    if let Some(t) = fact.term {
        s.push_str(&format!(" of term {t}"));
    }
    if let Some(c) = &fact.command {
        s.push_str(&format!(" ({c})"));
    }
    s
}

impl Fact {
    /// Checks the fact on `sim`, with the clients' history so far; `Err` says, in plain
    /// words, what was expected and what is.
    pub fn check(&self, sim: &Simulation, history: &[Op]) -> Result<(), String> {
        let system = sim.system();
        if !self.systems().contains(&system) {
            return Err(format!(
                "{} is not a fact of a {} run ({} only); a {} run checks {}",
                self.name(),
                system.as_str(),
                names(
                    &self
                        .systems()
                        .iter()
                        .map(|s| s.as_str())
                        .collect::<Vec<_>>()
                ),
                system.as_str(),
                facts_of(system)
            ));
        }
        match self {
            Fact::Leader(want) => {
                if sim.leader() != *want {
                    return Err(match want {
                        Some(l) => format!("expected leader S{l}, but {}", who_leads(sim)),
                        None => format!("expected no leader, but {}", who_leads(sim)),
                    });
                }
            }
            Fact::LeaderExists(want) => {
                if sim.leader().is_some() != *want {
                    return Err(if *want {
                        "expected a leader, but no server leads".into()
                    } else {
                        format!("expected no leader, but {}", who_leads(sim))
                    });
                }
            }
            Fact::TermAtLeast(t) | Fact::TermAtMost(t) => {
                let top = sim.nodes().iter().map(|n| n.term()).max().unwrap_or(0);
                let least = matches!(self, Fact::TermAtLeast(_));
                if (least && top < *t) || (!least && top > *t) {
                    return Err(format!(
                        "expected a term of at {} {t}, but the highest term is {top}",
                        if least { "least" } else { "most" }
                    ));
                }
            }
            Fact::Roles(list) => {
                for &(id, want) in list {
                    let have = role_of(sim, id, server(sim, id)?);
                    if have != want {
                        return Err(format!("expected S{id} to be {want}, but it is {have}"));
                    }
                }
            }
            Fact::Terms(list) => {
                for &(id, want) in list {
                    let have = server(sim, id)?.term();
                    if have != want {
                        return Err(format!("expected S{id} in term {want}, but it is in term {have}"));
                    }
                }
            }
            Fact::VotedFor(list) => {
                for &(id, want) in list {
                    let n = server(sim, id)?;
                    if n.voted_for() != want {
                        let say = |v: Option<NodeId>| match v {
                            Some(c) => format!("voted for S{c}"),
                            None => "not voted".into(),
                        };
                        return Err(format!(
                            "expected S{id} to have {} in term {}, but it has {}",
                            say(want),
                            n.term(),
                            say(n.voted_for())
                        ));
                    }
                }
            }
            Fact::Committed(fact) => {
                for &id in &fact.on {
                    let n = server(sim, id)?;
                    if n.commit_index() < fact.index {
                        return Err(format!(
                            "expected {} committed on S{id}, but its commit index is {}",
                            entry_spec(fact),
                            n.commit_index()
                        ));
                    }
                    entry_matches(n, fact).map_err(|why| {
                        format!("expected {} committed on S{id}, but {why}", entry_spec(fact))
                    })?;
                }
            }
            Fact::NotCommitted(fact) => {
                for &id in &fact.on {
                    let n = server(sim, id)?;
                    if n.commit_index() >= fact.index {
                        return Err(format!(
                            "expected entry {} not committed on S{id}, but its commit index is {}",
                            fact.index,
                            n.commit_index()
                        ));
                    }
                }
            }
            Fact::Stored(fact) => {
                for &id in &fact.on {
                    entry_matches(server(sim, id)?, fact).map_err(|why| {
                        format!("expected S{id} to store {}, but {why}", entry_spec(fact))
                    })?;
                }
            }
            Fact::NotStored(fact) => {
                for &id in &fact.on {
                    let n = server(sim, id)?;
                    if entry_matches(n, fact).is_ok() {
                        return Err(format!(
                            "expected S{id} not to store {}, but it does ({})",
                            entry_spec(fact),
                            entry_words(n, fact.index)
                        ));
                    }
                }
            }
            Fact::LogLength(list) => {
                for &(id, want) in list {
                    let have = server(sim, id)?.last_index();
                    if have != want {
                        return Err(format!("expected S{id}'s log to end at index {want}, but it ends at {have}"));
                    }
                }
            }
            Fact::Value { node, key, is } => {
                let have = server(sim, *node)?.kv().get(key);
                if have != is.as_ref() {
                    let want = match is {
                        Some(v) => format!("to map {key} to {}", json::quote(v)),
                        None => format!("to have no {key}"),
                    };
                    let have = match have {
                        Some(v) => format!("maps {key} to {}", json::quote(v)),
                        None => format!("has no {key}"),
                    };
                    return Err(format!("expected S{node}'s store {want}, but it {have}"));
                }
            }
            Fact::Crashed(list) | Fact::Running(list) => {
                let want_down = matches!(self, Fact::Crashed(_));
                for &id in list {
                    exists(sim, id)?;
                    if sim.is_alive(id) == want_down {
                        return Err(if want_down {
                            format!("expected S{id} to be down, but it is running")
                        } else {
                            format!("expected S{id} to be running, but it is down")
                        });
                    }
                }
            }
            Fact::Safe(want) => match (sim.violations().first(), want) {
                (Some(v), true) => {
                    return Err(format!("expected no safety violation, but the checker found one: {v}"))
                }
                (None, false) => {
                    return Err("expected a safety violation, but the checker has found none".into())
                }
                _ => {}
            },
            Fact::Violation(name) => {
                if !sim.violations().iter().any(|v| v.property.name() == *name) {
                    let mut found: Vec<&str> = sim.violations().iter().map(|v| v.property.name()).collect();
                    found.dedup();
                    return Err(if found.is_empty() {
                        format!("expected a {name} violation, but the checker has found none")
                    } else {
                        format!("expected a {name} violation, but the checker found only: {}", names(&found))
                    });
                }
            }
            Fact::History(want) => match (
                linearizability::verdict(history, linearizability::DEFAULT_BUDGET),
                want,
            ) {
                // Never a pass: the lesson's fact is unknown.
                (v @ linearizability::Verdict::Undecided { .. }, _) => {
                    return Err(format!(
                        "expected the clients' history {}to be linearizable, but the checker could not decide within its budget ({})",
                        if *want { "" } else { "not " },
                        v.undecided().expect("an undecided verdict")
                    ))
                }
                (linearizability::Verdict::NotLinearizable(e), true) => {
                    return Err(format!("expected the clients' history to be linearizable, but it is not: {e}"))
                }
                (linearizability::Verdict::Linearizable, false) => {
                    return Err(format!(
                        "expected the clients' history not to be linearizable, but it is ({} operations)",
                        history.len()
                    ))
                }
                _ => {}
            },
            Fact::Refused {
                node,
                reason,
                candidate,
            } => {
                server(sim, *node)?;
                match latest_refusal(sim, *node) {
                    None => return Err(format!("expected S{node} to have refused ({reason}), but it has refused nothing")),
                    Some((r, c)) => {
                        if r != *reason || candidate.is_some_and(|want| want != c) {
                            let of = candidate.map_or(String::new(), |w| format!(" (of S{w})"));
                            return Err(format!(
                                "expected S{node}'s latest refusal to be {reason}{of}, but it was {r} (of S{c})"
                            ));
                        }
                    }
                }
            }
            Fact::HeldAtLeast(want) => {
                let have = sim.in_flight().filter(|m| m.held).count() as u64;
                if have < *want {
                    return Err(format!("expected at least {want} held messages, but {have} are held"));
                }
            }
            Fact::InFlight { kind, at_least } => {
                let have = sim
                    .in_flight()
                    .filter(|m| m.message.type_name() == *kind)
                    .count() as u64;
                if have < *at_least {
                    return Err(format!(
                        "expected at least {at_least} {kind} on the wire, but there are {have}"
                    ));
                }
            }
            Fact::Members { voters, learners } => {
                let m = sim.membership();
                let mut have_v = m.voters.clone();
                let mut have_l = m.learners.clone();
                crate::order::sort_ids(&mut have_v);
                crate::order::sort_ids(&mut have_l);
                if have_v != *voters || have_l != *learners {
                    return Err(format!(
                        "expected voters {} and learners {}, but the cluster uses voters {} and learners {}",
                        servers(voters),
                        servers(learners),
                        servers(&have_v),
                        servers(&have_l)
                    ));
                }
            }
            Fact::Snapshot {
                node,
                index_at_least,
            } => {
                let have = server(sim, *node)?.snapshot_index();
                if have < *index_at_least {
                    return Err(if have == 0 {
                        format!("expected S{node}'s snapshot to cover index {index_at_least}, but it has no snapshot")
                    } else {
                        format!("expected S{node}'s snapshot to cover index {index_at_least}, but it covers up to {have}")
                    });
                }
            }
            Fact::Replica { nodes, key, values } => {
                for node in nodes {
                exists(sim, *node)?;
                let replica = &sim.quorum_nodes()[*node as usize - 1];
                let mut have: Vec<String> = replica
                    .store()
                    .get(key)
                    .map(|sibs| sibs.iter().map(|(v, _)| v.clone()).collect())
                    .unwrap_or_default();
                crate::order::sort_strings(&mut have);
                if have != *values {
                    let say = |vs: &[String]| {
                        if vs.is_empty() {
                            format!("no {key}")
                        } else {
                            let quoted: Vec<String> = vs.iter().map(|v| json::quote(v)).collect();
                            format!("{key} = {}", quoted.join(" | "))
                        }
                    };
                    return Err(format!(
                        "expected replica S{node} to hold {}, but it holds {}",
                        say(values),
                        say(&have)
                    ));
                }
                }
            }
            Fact::Holder(want) => {
                let have = lease_node(sim, 1)?.store_record().map(|r| r.holder);
                if have != *want {
                    let say = |h: Option<NodeId>| match h {
                        Some(h) => format!("S{h} holds the lease"),
                        None => "nobody holds the lease".into(),
                    };
                    let token = lease_node(sim, 1)?
                        .store_record()
                        .map_or(String::new(), |r| format!(" (token {})", r.token));
                    return Err(format!(
                        "expected the store to say {}, but it says {}{token}",
                        say(*want),
                        say(have)
                    ));
                }
            }
            Fact::Believes {
                node,
                holder,
                leading,
            } => {
                let Some(b) = lease_node(sim, *node)?.belief() else {
                    return Err(format!(
                        "S{node} is not a candidate (S1 is the store, S{} the resource)",
                        sim.node_count()
                    ));
                };
                let say = |h: Option<NodeId>| match h {
                    Some(h) => format!("S{h}"),
                    None => "nobody".into(),
                };
                if let Some(want) = holder {
                    if b.holder != *want {
                        return Err(format!(
                            "expected S{node} to believe {} holds the lease, but it believes {} does",
                            say(*want),
                            say(b.holder)
                        ));
                    }
                }
                if let Some(want) = leading {
                    if b.leading != *want {
                        return Err(if *want {
                            format!("expected S{node} to believe it leads, but it does not (it believes {} holds the lease)", say(b.holder))
                        } else {
                            format!(
                                "expected S{node} not to believe it leads, but it does (token {})",
                                b.token.map_or("?".into(), |t| t.to_string())
                            )
                        });
                    }
                }
            }
            Fact::Resource {
                highest,
                accepted_at_least,
            } => {
                let last = sim.node_count() as NodeId;
                let (top, accepted) = lease_node(sim, last)?.resource_state().unwrap_or((0, 0));
                if let Some(want) = highest {
                    if top != *want {
                        return Err(format!(
                            "expected the resource's highest accepted token to be {want}, but it is {top}"
                        ));
                    }
                }
                if let Some(want) = accepted_at_least {
                    if accepted < *want {
                        return Err(format!(
                            "expected the resource to have accepted at least {want} writes, but it accepted {accepted}"
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The fact's name in `expect`.
    pub fn name(&self) -> &'static str {
        match self {
            Fact::Leader(_) => "leader",
            Fact::LeaderExists(_) => "leader_exists",
            Fact::TermAtLeast(_) => "term_at_least",
            Fact::TermAtMost(_) => "term_at_most",
            Fact::Roles(_) => "roles",
            Fact::Terms(_) => "terms",
            Fact::VotedFor(_) => "voted_for",
            Fact::Committed(_) => "committed",
            Fact::NotCommitted(_) => "not_committed",
            Fact::Stored(_) => "stored",
            Fact::NotStored(_) => "not_stored",
            Fact::LogLength(_) => "log_length",
            Fact::Value { .. } => "value",
            Fact::Crashed(_) => "crashed",
            Fact::Running(_) => "running",
            Fact::Safe(_) => "safe",
            Fact::Violation(_) => "violation",
            Fact::History(_) => "history",
            Fact::Refused { .. } => "refused",
            Fact::HeldAtLeast(_) => "held_at_least",
            Fact::InFlight { .. } => "in_flight",
            Fact::Members { .. } => "members",
            Fact::Snapshot { .. } => "snapshot",
            Fact::Replica { .. } => "replica",
            Fact::Holder(_) => "holder",
            Fact::Believes { .. } => "believes",
            Fact::Resource { .. } => "resource",
        }
    }

    /// The systems whose runs the fact can be checked on.
    pub fn systems(&self) -> &'static [System] {
        const ALL: &[System] = &System::ALL;
        const RAFT: &[System] = &[System::Raft];
        const LEADERS: &[System] = &[System::Raft, System::Lease];
        match self {
            Fact::Crashed(_)
            | Fact::Running(_)
            | Fact::Safe(_)
            | Fact::Violation(_)
            | Fact::History(_)
            | Fact::HeldAtLeast(_)
            | Fact::InFlight { .. } => ALL,
            Fact::Leader(_) | Fact::LeaderExists(_) => LEADERS,
            Fact::Replica { .. } => &[System::Quorum],
            Fact::Holder(_) | Fact::Believes { .. } | Fact::Resource { .. } => &[System::Lease],
            _ => RAFT,
        }
    }
}

impl Expect {
    /// Checks every fact on `sim`, with the clients' history so far (for `history`; the
    /// page's `Model::history()`, or [`linearizability::history`] of the client trace
    /// events); `Err` is the first failed fact, in plain words.
    pub fn check(&self, sim: &Simulation, history: &[Op]) -> Result<(), String> {
        self.facts.iter().try_for_each(|f| f.check(sim, history))
    }

    /// Whether a fact needs the clients' history (`history`).
    pub fn needs_history(&self) -> bool {
        self.facts.iter().any(|f| matches!(f, Fact::History(_)))
    }
}

impl Goal {
    /// Whether the goal is met: for a pattern, whether one of `new_events` (the trace events
    /// since the step's moment) matches; for facts, whether they hold on `sim` with the
    /// clients' `history`.
    pub fn met(&self, sim: &Simulation, history: &[Op], new_events: &[TraceEvent]) -> bool {
        match self {
            Goal::Event(p) => new_events.iter().any(|e| p.matches(e)),
            Goal::Expect(e) => e.check(sim, history).is_ok(),
        }
    }
}

impl Task {
    /// When the goal will be met if the reader does nothing more, looking ahead from `sim`
    /// (not changed) with the recorded actions still to come; `from_us` is the step's moment
    /// and `new_events` the trace events since (a pattern may have matched already). The
    /// wait ends `within_us` after `from_us`. Facts that need the history see only the
    /// clients' requests from `sim` on.
    pub fn find_goal(
        &self,
        sim: &Simulation,
        pending: &[TimedAction],
        from_us: Micros,
        new_events: &[TraceEvent],
    ) -> Result<Micros, String> {
        if let Goal::Event(p) = &self.goal {
            if new_events.iter().any(|e| p.matches(e)) {
                return Ok(sim.now());
            }
        }
        let mut run = Run::resume(sim.snapshot(), pending);
        let left = (from_us + self.within_us).saturating_sub(sim.now());
        run.wait(&self.goal, left)
    }
}

impl Until {
    /// When this moment comes, looking ahead from `sim` (the run at the previous moment; not
    /// changed) with the recorded actions still to come in `pending` (actions before now are
    /// ignored). `Err` says why it never comes.
    pub fn find(&self, sim: &Simulation, pending: &[TimedAction]) -> Result<Micros, String> {
        match self {
            Until::At(t) if *t < sim.now() => Err(at_too_early(*t, sim.now())),
            Until::At(t) => Ok(*t),
            Until::After(d) => Ok(sim.now().saturating_add(*d)),
            Until::Event { .. } => Run::resume(sim.snapshot(), pending).reach(self),
        }
    }
}

fn at_too_early(t: Micros, now: Micros) -> String {
    format!(
        "until.at_ms: {} ms is before the previous step's moment, {} ms",
        scenario::ms(t),
        scenario::ms(now)
    )
}

/// A lesson's run played headless: a simulation whose trace is watched for patterns, with the
/// clients' history kept for facts and the actions performed recorded.
pub struct Run {
    sim: Simulation,
    /// Trace events not yet looked at.
    fresh: Rc<RefCell<Vec<TraceEvent>>>,
    /// Every client request, read and reply since the run began.
    clients: Rc<RefCell<Vec<TraceEvent>>>,
    /// Every trace event looked at, when kept.
    kept: Option<Vec<TraceEvent>>,
    /// The scenario of the run with every action performed since, at its time.
    recorded: Scenario,
}

impl fmt::Debug for Run {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Run")
            .field("sim", &self.sim)
            .finish_non_exhaustive()
    }
}

impl Run {
    /// A new run of `scenario` at time 0.
    pub fn new(scenario: &Scenario) -> Run {
        let mut run = Run::resume(Simulation::from_scenario(scenario), &[]);
        run.recorded = scenario.clone();
        run.recorded.liveness_us = None;
        run
    }

    /// Goes on from `sim` (a snapshot of a live run, say), scheduling the actions of
    /// `pending` that are not before now. The clients' history starts here.
    pub fn resume(mut sim: Simulation, pending: &[TimedAction]) -> Run {
        let now = sim.now();
        for a in pending.iter().filter(|a| a.at_us >= now) {
            sim.schedule(a.at_us, a.action.clone());
        }
        let fresh: Rc<RefCell<Vec<TraceEvent>>> = Rc::default();
        let clients: Rc<RefCell<Vec<TraceEvent>>> = Rc::default();
        let (f, c) = (fresh.clone(), clients.clone());
        sim.set_trace(Box::new(move |e: &TraceEvent| {
            if matches!(
                e.kind,
                TraceKind::ClientRequest { .. }
                    | TraceKind::ClientRead { .. }
                    | TraceKind::ClientReply { .. }
            ) {
                c.borrow_mut().push(e.clone());
            }
            f.borrow_mut().push(e.clone());
        }));
        Run {
            recorded: Scenario {
                seed: sim.seed(),
                nodes: sim.node_count() as u32,
                until_us: now,
                config: sim.config().clone(),
                events: Vec::new(),
                liveness_us: None,
                system: sim.system_config(),
            },
            sim,
            fresh,
            clients,
            kept: None,
        }
    }

    /// Keeps every trace event from now on (see [`Run::trace`]).
    pub fn keep_trace(&mut self) {
        self.kept.get_or_insert_with(Vec::new);
    }

    /// The trace events kept since [`Run::keep_trace`] (empty otherwise).
    pub fn trace(&self) -> &[TraceEvent] {
        self.kept.as_deref().unwrap_or_default()
    }

    /// The simulation.
    pub fn sim(&self) -> &Simulation {
        &self.sim
    }

    /// The run's scenario with every action performed through [`Run::act`] at its time, up
    /// to now (`until_ms`): `raftlab run` on it replays this run exactly. Only for a run made
    /// by [`Run::new`].
    pub fn scenario(&self) -> Scenario {
        let mut s = self.recorded.clone();
        s.until_us = self.sim.now();
        // In time order; at equal times, the scenario's actions before those performed.
        crate::order::sort_by_key(&mut s.events, |e| e.at_us.into());
        s
    }

    /// The clients' operations so far.
    pub fn history(&self) -> Vec<Op> {
        linearizability::history(&self.clients.borrow())
    }

    /// Traces the `final` lines (as `raftlab run` does at the end of a run).
    pub fn finish(&mut self) {
        self.sim.finish();
        self.take_fresh();
    }

    /// The trace events since they were last looked at, kept when asked.
    fn take_fresh(&mut self) -> Vec<TraceEvent> {
        let events = std::mem::take(&mut *self.fresh.borrow_mut());
        if let Some(kept) = self.kept.as_mut() {
            kept.extend(events.iter().cloned());
        }
        events
    }

    /// Plays to `t` (everything due at or before it) and forgets the events on the way.
    fn play_to(&mut self, t: Micros) {
        self.sim.run_until(t, false);
        self.take_fresh();
    }

    /// Performs `action` now, as the page does: after everything due at this microsecond,
    /// recorded at the current time.
    pub fn act(&mut self, action: &Action) {
        let now = self.sim.now();
        self.sim.run_until(now, false);
        self.recorded.events.push(TimedAction {
            at_us: now,
            action: action.clone(),
        });
        self.sim.schedule(now, action.clone());
        self.sim.run_until(now, false);
    }

    /// Plays to the moment of `until` and pauses there (at the end of its microsecond);
    /// returns its time, or why it never comes. The events from now on are searched.
    pub fn reach(&mut self, until: &Until) -> Result<Micros, String> {
        let now = self.sim.now();
        let t = match until {
            Until::At(t) if *t < now => return Err(at_too_early(*t, now)),
            Until::At(t) => *t,
            Until::After(d) => now.saturating_add(*d),
            Until::Event { pattern, within_us } => {
                return self
                    .wait(&Goal::Event(pattern.clone()), *within_us)
                    .map_err(|_| {
                        format!(
                            "until: no trace event matched {} within {} ms of {} ms",
                            pattern.to_json(),
                            scenario::ms(*within_us),
                            scenario::ms(now)
                        )
                    })
            }
        };
        self.take_fresh();
        self.play_to(t);
        Ok(t)
    }

    /// Plays on, microsecond by microsecond, until `goal` is met, at most `within_us`; returns
    /// the moment it was met (the run pauses at the end of that microsecond), or the last
    /// reason it was not. Trace events since they were last looked at count (those of an
    /// action just performed, for example).
    pub fn wait(&mut self, goal: &Goal, within_us: Micros) -> Result<Micros, String> {
        let deadline = self.sim.now().saturating_add(within_us);
        loop {
            let events = self.take_fresh();
            let verdict = match goal {
                Goal::Event(p) => {
                    if events.iter().any(|e| p.matches(e)) {
                        Ok(())
                    } else {
                        Err(format!("no trace event matched {}", p.to_json()))
                    }
                }
                Goal::Expect(e) => {
                    let history = if e.needs_history() {
                        self.history()
                    } else {
                        Vec::new()
                    };
                    e.check(&self.sim, &history)
                }
            };
            let reason = match verdict {
                Ok(()) => return Ok(self.sim.now()),
                Err(r) => r,
            };
            match self.sim.next_event_time() {
                Some(t) if t <= deadline => {
                    self.sim.run_until(t, false);
                }
                _ => {
                    self.play_to(deadline);
                    return Err(reason);
                }
            }
        }
    }

    /// Checks facts now, with the clients' history since the run began.
    pub fn check(&self, expect: &Expect) -> Result<(), String> {
        let history = if expect.needs_history() {
            self.history()
        } else {
            Vec::new()
        };
        expect.check(&self.sim, &history)
    }
}

impl Step {
    /// The first field of `highlight` or `select` naming a server above `nodes`.
    fn names_missing_server(&self, nodes: NodeId) -> Option<&'static str> {
        let h = &self.highlight;
        if h.nodes.iter().any(|&n| n > nodes) {
            Some("highlight.nodes")
        } else if h.entries.iter().any(|&(n, _)| n > nodes) {
            Some("highlight.entries")
        } else if h.links.iter().any(|&(a, b)| a.max(b) > nodes) {
            Some("highlight.links")
        } else if self.select.is_some_and(|s| s.node > nodes) {
            Some("select.node")
        } else {
            None
        }
    }
}

/// A lesson that does not hold: the step and what failed.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct CheckError {
    /// The step's number, from 1.
    pub step: usize,
    /// Its title.
    pub title: String,
    /// What failed: the moment, a fact or the task's goal.
    pub message: String,
}

impl fmt::Display for CheckError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "step {} ({}): {}", self.step, self.title, self.message)
    }
}

impl std::error::Error for CheckError {}

/// What [`check`] found: each step's moment and, for a task, when its goal was met.
#[derive(Debug)]
pub struct Checked {
    /// Each step's moment (in its run: a step with a `scenario` starts again at 0).
    pub moments: Vec<Micros>,
    /// For each step with a task, when the goal was met.
    pub goals: Vec<Option<Micros>>,
    /// The run the lesson ends in (at the last step's moment, or its goal), its trace kept
    /// when asked.
    pub run: Run,
}

/// Plays `lesson` headless as `raftlab lesson check` does: for every step, in order, starts
/// its scenario's run if it has one, plays to its moment, checks its facts there, and for a
/// task performs "Show me" and waits for the goal (the next moment is searched from the
/// moment the goal was met). Stops after step `last` (from 1) when given; with `keep_trace`
/// the trace of the run in force is kept.
pub fn check(
    lesson: &Lesson,
    last: Option<usize>,
    keep_trace: bool,
) -> Result<Checked, CheckError> {
    play(lesson, last, keep_trace, false)
}

/// The run to show step `step` (from 1) of `lesson` without the reader's own actions: the
/// scenario of the run in force there, with the "Show me" actions of the tasks before it at
/// their moments (not those of this step's task), up to the step's moment (`until_ms`), and
/// that moment. The page loads it and seeks to the moment (a link to a step, a reload, a
/// jump in the step list). `Err` when the lesson does not hold up to there, or names no
/// such step.
pub fn open_at(lesson: &Lesson, step: usize) -> Result<(Scenario, Micros), CheckError> {
    if step == 0 || step > lesson.steps.len() {
        return Err(CheckError {
            step,
            title: String::new(),
            message: format!(
                "no such step: the lesson has steps 1 to {}",
                lesson.steps.len()
            ),
        });
    }
    let checked = play(lesson, Some(step), false, true)?;
    Ok((checked.run.scenario(), checked.moments[step - 1]))
}

/// [`check`]; with `skip_last_task`, step `last`'s task is not performed.
fn play(
    lesson: &Lesson,
    last: Option<usize>,
    keep_trace: bool,
    skip_last_task: bool,
) -> Result<Checked, CheckError> {
    let new_run = |s: &Scenario| {
        let mut run = Run::new(s);
        if keep_trace {
            run.keep_trace();
        }
        run
    };
    let mut run = new_run(&lesson.scenario);
    let mut moments = Vec::new();
    let mut goals = Vec::new();
    for (i, step) in lesson.steps.iter().enumerate() {
        if last.is_some_and(|l| i >= l) {
            break;
        }
        let fail = |message: String| CheckError {
            step: i + 1,
            title: step.title.clone(),
            message,
        };
        if let Some(s) = &step.scenario {
            run = new_run(s);
        }
        let t = run.reach(&step.until).map_err(fail)?;
        moments.push(t);
        if let Some(field) = step.names_missing_server(run.sim().node_count() as NodeId) {
            return Err(fail(format!(
                "{field}: no such server at {} ms (the cluster has {})",
                scenario::ms(t),
                run.sim().node_count()
            )));
        }
        if let Some(e) = &step.expect {
            run.check(e)
                .map_err(|m| fail(format!("expect at {} ms: {m}", scenario::ms(t))))?;
        }
        let mut goal = None;
        let skip = skip_last_task && last == Some(i + 1);
        if let Some(task) = step.task.as_ref().filter(|_| !skip) {
            for a in &task.show_me {
                run.act(a);
            }
            let met = run.wait(&task.goal, task.within_us).map_err(|m| {
                fail(format!(
                    "task: the goal was not met within {} ms after \"Show me\" at {} ms: {m}",
                    scenario::ms(task.within_us),
                    scenario::ms(t)
                ))
            })?;
            goal = Some(met);
        }
        goals.push(goal);
    }
    Ok(Checked {
        moments,
        goals,
        run,
    })
}
