//! Running a whole scenario: the actions, the checker after every event, the optional liveness
//! phase, and the final trace lines.

use crate::checker::{Property, Violation};
use crate::linearizability::{self, NotLinearizable, OpKind, Undecided, Verdict};
use crate::scenario::{Action, Scenario};
use crate::sim::{Simulation, TraceSink};
use crate::trace::{TraceEvent, TraceKind};
use raftlab_raft::{Index, Micros, NodeId, ReadMode, Term};
use std::cell::RefCell;
use std::rc::Rc;

/// What a run produced.
#[derive(Clone, Debug)]
pub struct Outcome {
    /// Safety violations, then the liveness failure if any.
    pub violations: Vec<Violation>,
    /// Events handled.
    pub events: u64,
    /// Simulated time at the end.
    pub end_us: Micros,
    /// The leader at the end, if any.
    pub leader: Option<NodeId>,
    /// Per node: (id, term, role, alive, commit index, log length).
    pub nodes: Vec<NodeSummary>,
    /// How long the cluster took to settle in the liveness phase, when there was one and it
    /// settled.
    pub settled_after_us: Option<Micros>,
    /// When the scenario reads: whether the history with every read (stale modes included)
    /// is linearizable. Stale modes may break it; that is not a violation. `None` too when
    /// the check could not decide within its budget ([`linearizability::DEFAULT_BUDGET`]):
    /// then `linearizability_undecided` says where it gave up.
    pub linearizability: Option<Result<(), Box<NotLinearizable>>>,
    /// When the scenario reads and the check of the history with every read ran out of its
    /// budget before it could decide: the key it was on and the steps it took.
    /// `linearizability` is then `None`; the history is neither shown linearizable nor not.
    pub linearizability_undecided: Option<Undecided>,
    /// When the scenario reads and the check of the reads held to linearizability (the
    /// writes with ReadIndex reads, CheckQuorum lease reads, and every read of a leaderless
    /// quorum system: the check whose failure is a `linearizability` violation) ran out of
    /// its budget: where it gave up. No violation is recorded then, but the run is not
    /// shown safe either: its reads were not checked.
    pub strict_linearizability_undecided: Option<Undecided>,
    /// When the scenario has a liveness phase that these settings make no promise for: why
    /// ([`Simulation::liveness_promise`]). The phase then only runs the cluster with the
    /// faults gone, and `settled_after_us` is `None`.
    pub liveness_unchecked: Option<&'static str>,
    /// For another system than Raft (whose `nodes` is then empty): one line per server
    /// saying its end state ([`Simulation::describe`]).
    pub other_nodes: Vec<String>,
}

/// The end state of one node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NodeSummary {
    /// The node.
    pub id: NodeId,
    /// Its term.
    pub term: Term,
    /// Its role name.
    pub role: &'static str,
    /// Whether it is up.
    pub alive: bool,
    /// Its commit index.
    pub commit_index: Index,
    /// Its log length.
    pub log_len: Index,
}

/// Runs `scenario` to its end (and through its liveness phase, if it asks for one), sending
/// the trace to `trace`. With `stop_on_violation`, stops at the first safety violation.
pub fn run(scenario: &Scenario, trace: Option<TraceSink>, stop_on_violation: bool) -> Outcome {
    let mut sim = Simulation::from_scenario(scenario);
    // With reads, the clients' history is kept for the linearizability check.
    let reads = scenario
        .events
        .iter()
        .any(|e| matches!(e.action, Action::ClientRead { .. }));
    let clients: Rc<RefCell<Vec<TraceEvent>>> = Rc::default();
    let sink: Option<TraceSink> = if reads {
        let kept = clients.clone();
        let mut inner = trace;
        Some(Box::new(move |e: &TraceEvent| {
            if matches!(
                e.kind,
                TraceKind::ClientRequest { .. }
                    | TraceKind::ClientRead { .. }
                    | TraceKind::ClientReply { .. }
            ) {
                kept.borrow_mut().push(e.clone());
            }
            if let Some(f) = inner.as_mut() {
                f(e);
            }
        }))
    } else {
        trace
    };
    if let Some(sink) = sink {
        sim.set_trace(sink);
    }
    let mut violations = Vec::new();
    let mut settled_after_us = None;
    let safe = sim.run_until(scenario.until_us, stop_on_violation);
    let mut liveness_unchecked = None;
    if let (true, Some(within)) = (safe, scenario.liveness_us) {
        let promise = sim.liveness_promise();
        match sim.check_liveness(within) {
            Ok(t) => match promise {
                Ok(()) => settled_after_us = Some(t),
                Err(why) => liveness_unchecked = Some(why),
            },
            Err(v) => violations.push(v),
        }
    }
    let mut linearizability = None;
    let mut undecided = None;
    let mut strict_undecided = None;
    if reads {
        let history = linearizability::history(&clients.borrow());
        // Reads that must be linearizable: ReadIndex always; lease reads when CheckQuorum
        // makes followers refuse votes (the lease's other half) throughout the run.
        // A clock run faster or slower than the drift bound the leases assume breaks that
        // assumption: such reads are no longer held to linearizability
        // (docs/scenario-format.md, `clock_rate`). The smallest bound of the run counts.
        let drift = scenario
            .events
            .iter()
            .filter_map(|e| match &e.action {
                Action::Set(p) => p.clock_drift,
                _ => None,
            })
            .fold(scenario.config.clock_drift, f64::min);
        let clocks_in_bound = scenario.events.iter().all(|e| match &e.action {
            Action::ClockRate(_, rate) => (rate - 1.0).abs() <= drift,
            _ => true,
        });
        let check_quorum = scenario.config.check_quorum
            && clocks_in_bound
            && !scenario
                .events
                .iter()
                .any(|e| matches!(&e.action, Action::Set(p) if p.check_quorum == Some(false)));
        // Leaderless quorums make no difference between read modes: every read is held to
        // linearizability (the promise R + W > N seems to make, and which only blocking read
        // repair keeps, for a single writer).
        let quorum = scenario.system.system() == crate::system::System::Quorum;
        let strict: Vec<_> = history
            .iter()
            .filter(|op| match (&op.kind, op.mode) {
                _ if quorum => true,
                (OpKind::Write(_), _) => true,
                (_, Some(ReadMode::ReadIndex)) => true,
                (_, Some(ReadMode::Lease)) => check_quorum,
                _ => false,
            })
            .cloned()
            .collect();
        // Bounded searches (a broken system's history can make them explode): an
        // undecided verdict is reported as such, never as a pass or a failure.
        let strict_verdict = linearizability::verdict(&strict, linearizability::DEFAULT_BUDGET);
        match &strict_verdict {
            Verdict::NotLinearizable(e) => violations.push(Violation {
                property: Property::Linearizability,
                t_us: e.culprit.returned_us.unwrap_or(e.culprit.invoked_us),
                nodes: Vec::new(),
                detail: e.to_string(),
                seed: scenario.seed,
            }),
            Verdict::Undecided { .. } => strict_undecided = strict_verdict.undecided(),
            Verdict::Linearizable => {}
        }
        // Every read held to it: the same history, whose verdict is known.
        let whole = if strict.len() == history.len() {
            strict_verdict
        } else {
            linearizability::verdict(&history, linearizability::DEFAULT_BUDGET)
        };
        linearizability = whole.decided();
        undecided = whole.undecided();
    }
    sim.finish();
    violations.splice(0..0, sim.violations().iter().cloned());
    Outcome {
        violations,
        events: sim.events_processed(),
        end_us: sim.now(),
        leader: sim.leader(),
        nodes: sim
            .nodes()
            .iter()
            .map(|n| NodeSummary {
                id: n.id(),
                term: n.term(),
                role: n.role().as_str(),
                alive: sim.is_alive(n.id()),
                commit_index: n.commit_index(),
                log_len: n.last_index(),
            })
            .collect(),
        settled_after_us,
        linearizability,
        linearizability_undecided: undecided,
        strict_linearizability_undecided: strict_undecided,
        liveness_unchecked,
        other_nodes: if sim.system() == crate::system::System::Raft {
            Vec::new()
        } else {
            (1..=sim.node_count() as NodeId)
                .map(|id| sim.describe(id))
                .collect()
        },
    }
}

/// The simulation of `scenario` at the moment `at_us`, reached as [`run`] reaches it: the
/// scenario's actions up to `until_us`, then, when the scenario has a liveness phase, that
/// phase (faults stopped, removed servers shut down at its 10 ms checks) up to `at_us`.
/// `Err` gives the moment the run ends when `at_us` is after it: the end of the scenario, or
/// the moment the cluster settled in the liveness phase (where [`run`] stops).
pub fn run_to(scenario: &Scenario, at_us: Micros) -> Result<Simulation, Micros> {
    let until = scenario.until_us;
    let end = until.saturating_add(scenario.liveness_us.unwrap_or(0));
    if at_us > end {
        return Err(end);
    }
    let mut sim = Simulation::from_scenario(scenario);
    sim.run_until(at_us.min(until), false);
    if at_us <= until {
        return Ok(sim);
    }
    // The liveness phase checks the cluster every 10 ms from `until`: run it to its last
    // check at or before `at_us` (to its very end at the end of the run, where it checks
    // once more), then on to `at_us` between checks.
    let phase = at_us - until;
    let within = if at_us == end {
        phase
    } else {
        phase / 10_000 * 10_000
    };
    if let Ok(settled) = sim.check_liveness(within) {
        if until + settled < at_us {
            return Err(until + settled);
        }
    }
    sim.run_until(at_us, false);
    Ok(sim)
}
