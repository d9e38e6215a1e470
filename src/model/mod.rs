//! The page's model, apart from any view: the simulation, playback (speed, play/pause), the
//! actions taken (so the run can be exported and replayed by `raftlab run`), the trace so far
//! and its narration. Pure Rust: it compiles and is tested natively.

use raftlab_raft::{Micros, NodeId};
use raftlab_sim::scenario::{Action, ConfigPatch, Scenario, SimConfig, TimedAction};
use raftlab_sim::trace::{TraceEvent, TraceKind};
use raftlab_sim::{Property, Simulation};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Default playback speed: simulated time runs at 1/20 of wall time, so a message takes about
/// a quarter of a second to cross and a heartbeat goes out every second.
pub const DEFAULT_SPEED: f64 = 0.05;
/// Slowest and fastest playback speeds (simulated seconds per wall second).
pub const SPEED_RANGE: (f64, f64) = (0.001, 2.0);
/// `step_event` looks at most this far ahead for something to show.
pub const STEP_LIMIT_US: Micros = 60_000_000;
/// Narrated lines kept for the event log.
pub const NARRATION_LIMIT: usize = 300;
/// At most this much simulated time is run per animation frame, so a long pause of the tab
/// (or a huge speed) never freezes the page.
pub const MAX_FRAME_US: Micros = 2_000_000;

/// Trace events kept in memory (the newest); older ones are recomputed from the seed when
/// asked for.
pub const TRACE_WINDOW: usize = 10_000;
/// Checkpoints kept for time travel; past this number every other one is dropped and the
/// spacing doubles, so memory stays bounded however long the run.
pub const MAX_CHECKPOINTS: usize = 64;
/// Spacing of the first checkpoints (simulated time).
pub const CHECKPOINT_EVERY_US: Micros = 2_000_000;
/// Seeking back restores a checkpoint at least this long before the target, so the event
/// log has something to show.
const SEEK_HISTORY_US: Micros = 1_000_000;

/// The whole simulation at a moment of the run, to seek from.
struct Checkpoint {
    sim: Simulation,
    /// Recorded actions already applied.
    applied: usize,
    /// Trace events emitted up to this moment.
    traced: u64,
}

/// What acting in the past did: the run was cut at `at_us`, and what had happened after it,
/// up to `old_end_us`, is gone.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Fork {
    /// Where the run was cut.
    pub at_us: Micros,
    /// Where it used to end.
    pub old_end_us: Micros,
}

/// The page's model.
pub struct Model {
    sim: Simulation,
    /// The scenario the run started from, plus every action taken since, sorted by time.
    recorded: Scenario,
    /// How many of `recorded.events` the simulation has applied.
    applied: usize,
    /// The furthest moment the run has reached: the end of the timeline.
    end_us: Micros,
    checkpoints: Vec<Checkpoint>,
    checkpoint_every: Micros,
    /// The newest trace events up to now (shared with the simulator's trace sink).
    trace: Rc<RefCell<Vec<TraceEvent>>>,
    /// How many trace events came before `trace[0]`.
    trace_base: u64,
    marks: Vec<Mark>,
    /// Trace events (counted from the start) already looked at for marks.
    marked: u64,
    /// The highest commit index marked.
    max_commit: u64,
    /// Every client request, read and reply of the run so far (kept whatever the trace
    /// window, for the history and the linearizability check).
    client_events: Vec<TraceEvent>,
    narrated_upto: usize,
    narration: VecDeque<Narration>,
    narration_seq: u64,
    /// Simulated seconds per wall second.
    pub speed: f64,
    /// Whether the clock runs.
    pub playing: bool,
    /// Bumped on every change that the view must show.
    pub version: u64,
    /// Which run this is: a new run (restart, load) gets a new number and a new trace.
    pub run: u64,
    /// Bumped when the past is rewritten (a fork): trace events from `forked_from` on are new.
    pub fork_count: u64,
    /// The first trace event (counted from the start) that the last fork may have changed.
    pub forked_from: u64,
    /// Keep trace events in memory from this one on (counted from the start), whatever the
    /// window: the scripting API sets it so that its listeners miss nothing.
    pub keep_trace_from: Option<u64>,
    /// The lesson being played (`lesson.rs`), if any.
    lesson: Option<Box<Player>>,
    /// While restoring a recorded moment: recorded actions from this one on are not applied
    /// at the target time.
    hold: Option<usize>,
    /// The last history checked and its verdict ([`Model::history_verdict`]): the search can
    /// take a second on a broken history, and the view and the API ask on every render.
    verdict_cache: RefCell<
        Option<(
            Vec<raftlab_sim::linearizability::Op>,
            raftlab_sim::linearizability::Verdict,
        )>,
    >,
}

impl Model {
    /// A fresh run of `scenario` (its scheduled actions run as time passes).
    pub fn new(mut scenario: Scenario) -> Model {
        // The page never runs a liveness phase, so its exported runs do not ask for one.
        scenario.liveness_us = None;
        // Actions run in time order; at the same time in the order written (as the CLI).
        raftlab_sim::order::sort_by_key(&mut scenario.events, |e| e.at_us.into());
        let sim = Simulation::with_system(
            scenario.nodes,
            scenario.config.clone(),
            &scenario.system,
            scenario.seed,
        );
        let mut m = Model {
            sim,
            recorded: scenario,
            applied: 0,
            end_us: 0,
            checkpoints: Vec::new(),
            checkpoint_every: CHECKPOINT_EVERY_US,
            trace: Rc::new(RefCell::new(Vec::new())),
            trace_base: 0,
            marks: Vec::new(),
            marked: 0,
            max_commit: 0,
            client_events: Vec::new(),
            narrated_upto: 0,
            narration: VecDeque::new(),
            narration_seq: 0,
            speed: DEFAULT_SPEED,
            playing: true,
            version: 0,
            run: 0,
            fork_count: 0,
            forked_from: 0,
            keep_trace_from: None,
            lesson: None,
            hold: None,
            verdict_cache: RefCell::new(None),
        };
        m.attach_trace();
        m.checkpoints.push(Checkpoint {
            sim: m.sim.snapshot(),
            applied: 0,
            traced: 0,
        });
        m
    }

    fn attach_trace(&mut self) {
        let sink = self.trace.clone();
        self.sim.set_trace(Box::new(move |e: &TraceEvent| {
            sink.borrow_mut().push(e.clone())
        }));
    }

    /// A default 5-node run with `seed`.
    pub fn with_seed(seed: u64, nodes: u32, config: SimConfig) -> Model {
        Model::new(Scenario {
            seed,
            nodes,
            until_us: 0,
            config,
            events: Vec::new(),
            liveness_us: None,
            system: Default::default(),
        })
    }

    /// Starts the same run again from time 0 with another seed (or the same).
    pub fn restart(&mut self, seed: u64, nodes: u32) {
        let config = self.recorded.config.clone();
        let system = self.sim.system_config();
        if system == SystemConfig::Raft {
            self.replace(Model::with_seed(seed, nodes, config));
        } else {
            let scenario = self.scenario_with(system, nodes);
            self.replace(Model::new(Scenario { seed, ..scenario }));
        }
    }

    /// A new run of this seed and network settings, of `system` on `nodes` servers (the
    /// page's System choice and the systems' own settings start one).
    pub fn scenario_with(&self, system: SystemConfig, nodes: u32) -> Scenario {
        let mut config = self.recorded.config.clone();
        if !matches!(system, SystemConfig::Raft) {
            // Only Raft's timers can be fired by hand (Scenario::check_system).
            config.timers = raftlab_sim::scenario::Mode::Auto;
        }
        Scenario {
            seed: self.sim.seed(),
            nodes,
            until_us: 0,
            config,
            events: Vec::new(),
            liveness_us: None,
            system,
        }
    }

    /// Replaces the run by `scenario`, from time 0.
    pub fn load(&mut self, scenario: Scenario) {
        self.replace(Model::new(scenario));
    }

    /// Replaces the run by `scenario` computed up to its `until_us` (the end of its
    /// timeline), then shows the moment `position_us` (default: the end).
    pub fn open(&mut self, scenario: Scenario, position_us: Option<Micros>) {
        let until = scenario.until_us;
        let mut next = Model::new(scenario);
        next.advance_to(until);
        next.seek(position_us.unwrap_or(until));
        self.replace(next);
    }

    /// Starts the new run `next`, keeping playback (speed, play or pause).
    fn replace(&mut self, next: Model) {
        let (speed, playing, version, run) = (self.speed, self.playing, self.version, self.run);
        let keep = self.keep_trace_from.map(|_| 0);
        *self = next;
        self.keep_trace_from = keep;
        self.speed = speed;
        self.playing = playing;
        self.version = version + 1;
        self.run = run + 1;
    }

    /// The simulation (read only: change it through the model so actions are recorded).
    pub fn sim(&self) -> &Simulation {
        &self.sim
    }

    /// Current simulated time: the moment shown.
    pub fn now(&self) -> Micros {
        self.sim.now()
    }

    /// The end of the timeline: the furthest moment the run has reached.
    pub fn end(&self) -> Micros {
        self.end_us.max(self.sim.now())
    }

    /// The marks of the timeline, in time order.
    pub fn marks(&self) -> &[Mark] {
        &self.marks
    }

    /// The run up to now as a scenario: start settings, every action with its time, ending
    /// now. Running it with `raftlab run` gives the same trace as the page.
    pub fn scenario(&self) -> Scenario {
        let mut s = self.recorded.clone();
        let now = self.sim.now();
        s.events.retain(|e| e.at_us <= now);
        s.until_us = now;
        s
    }

    /// The whole run as a scenario, ending at the end of the timeline (with any later
    /// actions of a loaded scenario too).
    pub fn full_scenario(&self) -> Scenario {
        let mut s = self.recorded.clone();
        s.until_us = self.end();
        s
    }

    /// The newest trace events up to now (at most about [`TRACE_WINDOW`]).
    pub fn trace(&self) -> std::cell::Ref<'_, Vec<TraceEvent>> {
        self.trace.borrow()
    }

    /// How many trace events the run has emitted up to now (counted from the start).
    pub fn traced(&self) -> u64 {
        self.trace_base + self.trace.borrow().len() as u64
    }

    /// How many trace events came before `trace()[0]`.
    pub fn trace_base(&self) -> u64 {
        self.trace_base
    }

    /// The trace up to now as NDJSON (the CLI's format, without the `final` lines). Events
    /// no longer in memory are recomputed from the seed.
    pub fn trace_ndjson(&self) -> String {
        let mut out = String::new();
        if self.trace_base == 0 {
            for event in self.trace.borrow().iter() {
                out.push_str(&event.to_json());
                out.push('\n');
            }
            return out;
        }
        let scenario = self.scenario();
        let text = Rc::new(RefCell::new(out));
        let sink = text.clone();
        let mut sim = Simulation::from_scenario(&scenario);
        sim.set_trace(Box::new(move |e: &TraceEvent| {
            let mut t = sink.borrow_mut();
            t.push_str(&e.to_json());
            t.push('\n');
        }));
        sim.run_until(scenario.until_us, false);
        drop(sim);
        Rc::try_unwrap(text).map_or_else(|t| t.borrow().clone(), RefCell::into_inner)
    }

    /// Narrated lines, newest first.
    pub fn narration(&self) -> &VecDeque<Narration> {
        &self.narration
    }

    /// Advances the clock by `wall_ms` of wall time at the current speed (nothing when
    /// paused). Returns whether anything happened.
    pub fn frame(&mut self, wall_ms: f64) -> bool {
        if !self.playing || wall_ms.is_nan() || wall_ms <= 0.0 {
            return false;
        }
        let limit = self.lesson_limit();
        let speed = limit.map_or(self.speed, |(s, _)| s);
        let mut sim_us =
            crate::geometry::clamp((wall_ms * 1000.0 * speed).round(), 0.0, MAX_FRAME_US as f64)
                as Micros;
        if let Some((_, t)) = limit {
            sim_us = sim_us.min(t.saturating_sub(self.sim.now()));
        }
        let changed = self.advance_clock(sim_us);
        self.lesson_frame();
        changed
    }

    /// Runs `us` of simulated time at once.
    /// Returns whether anything happened.
    pub fn run_for(&mut self, us: Micros) -> bool {
        let changed = self.advance_clock(us);
        self.version += 1;
        changed
    }

    fn advance_clock(&mut self, us: Micros) -> bool {
        let before = self.traced();
        let target = self.sim.now().saturating_add(us);
        self.advance_to(target);
        self.after_change(before)
    }

    /// Applies the next recorded action: as the CLI does, it is queued at its time and runs
    /// after the cluster's own events of that microsecond.
    fn apply_next_action(&mut self) {
        let e = &self.recorded.events[self.applied];
        let (at, action) = (e.at_us, e.action.clone());
        self.applied += 1;
        self.sim.schedule(at, action);
        self.sim.run_until(at, false);
    }

    /// Runs on to the next moment at which something is traced (every event of that
    /// microsecond, recorded actions included). Returns whether anything happened.
    pub fn step_event(&mut self) -> bool {
        let before = self.traced();
        // A quiet cluster (one node leading alone) may never trace again: give up after a
        // minute of simulated time rather than freeze the page.
        let limit = self.sim.now().saturating_add(STEP_LIMIT_US);
        while self.traced() == before {
            let next_action = self.recorded.events.get(self.applied).map(|e| e.at_us);
            let next_event = self.sim.next_event_time();
            match (next_event, next_action) {
                (Some(e), a) if a.is_none_or(|a| e <= a) && e <= limit => {
                    self.sim.step();
                }
                (_, Some(a)) if a <= limit => self.advance_to(a),
                _ => break,
            }
        }
        // Finish that microsecond, so the moment shown is a whole one.
        let now = self.sim.now();
        self.advance_to(now);
        let changed = self.after_change(before);
        self.version += 1;
        changed
    }

    /// Performs `action` now and records it. Acting in the past (before the end of the
    /// timeline) forks the run: what had happened after now is dropped, and the fork is
    /// returned.
    pub fn act(&mut self, action: Action) -> Option<Fork> {
        // What is due at this very microsecond happens first (recorded actions included),
        // exactly as `raftlab run` orders the new action after them.
        let now = self.sim.now();
        // A recorded moment restored exactly may leave actions of this microsecond not yet
        // applied: acting now replaces them (a fork).
        let pending = self
            .recorded
            .events
            .get(self.applied)
            .is_some_and(|e| e.at_us <= now);
        if pending {
            self.recorded.events.truncate(self.applied);
        }
        self.advance_to(now);
        let before = self.traced();
        let fork = (now < self.end_us || pending).then_some(Fork {
            at_us: now,
            old_end_us: self.end_us,
        });
        if fork.is_some() {
            self.recorded.events.truncate(self.applied);
            self.end_us = now;
            self.checkpoints.retain(|c| c.sim.now() <= now);
            let traced = self.traced();
            self.marks.retain(|m| m.t_us <= now);
            self.client_events.retain(|e| e.t_us <= now);
            self.marked = self.marked.min(traced);
            self.max_commit = self
                .sim
                .nodes()
                .iter()
                .map(|n| n.commit_index())
                .max()
                .unwrap_or(0);
            self.fork_count += 1;
            self.forked_from = traced;
        }
        self.recorded
            .events
            .insert(self.applied, TimedAction { at_us: now, action });
        self.apply_next_action();
        self.lesson_acted();
        self.after_change(before);
        self.version += 1;
        fork
    }

    /// Changes settings now (recorded as a `set` action).
    pub fn configure(&mut self, patch: ConfigPatch) -> Option<Fork> {
        self.act(Action::Set(patch))
    }

    /// Plays or pauses.
    pub fn set_playing(&mut self, playing: bool) {
        if playing != self.playing {
            self.playing = playing;
            self.version += 1;
        }
    }

    /// Sets the playback speed, clamped to [`SPEED_RANGE`].
    pub fn set_speed(&mut self, speed: f64) {
        self.speed = crate::geometry::clamp(speed, SPEED_RANGE.0, SPEED_RANGE.1);
        self.version += 1;
    }

    /// After the simulation ran: narrates the new events, marks the timeline and bumps the
    /// version when one of them changes what the page's DOM shows. Messages on the wire
    /// (sent, delivered, lost, duplicated) only change the canvas, which is redrawn on its
    /// own, so they do not re-render the page. Returns whether anything at all happened.
    fn after_change(&mut self, before: u64) -> bool {
        let changed = self.traced() > before;
        if self.lesson.is_some() {
            self.check_goal();
        }
        if changed {
            self.narrate_new();
            self.mark_new();
            let from = before.saturating_sub(self.trace_base) as usize;
            let visible = self.trace.borrow()[from..].iter().any(|e| {
                !matches!(
                    e.kind,
                    TraceKind::Send { .. }
                        | TraceKind::Deliver { .. }
                        | TraceKind::Drop { .. }
                        | TraceKind::Duplicate { .. }
                )
            });
            if visible {
                self.version += 1;
            }
        }
        changed
    }

    /// The clients' operations up to now (answers that come later are not known yet).
    pub fn history(&self) -> Vec<raftlab_sim::linearizability::Op> {
        let now = self.sim.now();
        let end = self.client_events.partition_point(|e| e.t_us <= now);
        raftlab_sim::linearizability::history(&self.client_events[..end])
    }

    /// The linearizability verdict on `ops` (normally [`Model::history`]) with the checker's
    /// default budget; the same history is not searched twice in a row.
    pub fn history_verdict(
        &self,
        ops: &[raftlab_sim::linearizability::Op],
    ) -> raftlab_sim::linearizability::Verdict {
        use raftlab_sim::linearizability::{verdict, DEFAULT_BUDGET};
        let mut cache = self.verdict_cache.borrow_mut();
        if let Some((seen, v)) = cache.as_ref() {
            if seen.as_slice() == ops {
                return v.clone();
            }
        }
        let v = verdict(ops, DEFAULT_BUDGET);
        *cache = Some((ops.to_vec(), v.clone()));
        v
    }

    /// Quorum runs: what the read and write quorums promise, as a setting and not a
    /// guarantee ("R + W > N (2 + 2 > 3): every read quorum meets ..."); other runs: `None`.
    pub fn quorum_setting(&self) -> Option<String> {
        match self.sim.system_config() {
            raftlab_sim::system::SystemConfig::Quorum(c) => Some(
                raftlab_quorum::check::quorums_overlap(&c, self.sim.node_count()).1
                    + " A setting, not a guarantee: the checker judges what the run does.",
            ),
            _ => None,
        }
    }

    /// Which safety properties have been broken so far, with the first detail for each.
    pub fn safety(&self) -> Vec<(Property, Option<String>)> {
        use raftlab_sim::system::System;
        let mut list: Vec<Property> = match self.sim.system() {
            System::Raft => Property::SAFETY.to_vec(),
            System::Quorum => vec![Property::AckedWriteLost],
            System::Lease => vec![
                Property::TwoLeadersActAtOnce,
                Property::StaleLeaseWriteAccepted,
            ],
        };
        // Any other property found broken is listed too (quorum reads held to
        // linearizability, for one).
        for v in self.sim.violations() {
            if v.property != Property::Liveness && !list.contains(&v.property) {
                list.push(v.property);
            }
        }
        list.iter()
            .map(|&p| {
                let detail = self
                    .sim
                    .violations()
                    .iter()
                    .find(|v| v.property == p)
                    .map(|v| format!("at {} ms: {}", ms_text(v.t_us), v.detail));
                (p, detail)
            })
            .collect()
    }

    /// The role of node `id` as the page names it.
    pub fn role_name(&self, id: NodeId) -> &'static str {
        system_view::role(&self.sim, id)
    }

    /// How many servers the run started with (servers added since are not counted): what
    /// Reset, a new seed and the cluster-size list start a new run with.
    pub fn start_nodes(&self) -> u32 {
        self.recorded.nodes
    }
}

pub mod files;
mod lesson;
#[cfg(test)]
mod lesson_tests;
mod links;
mod marks;
mod members;
mod narrate;
pub mod system;
pub mod system_view;

use raftlab_sim::system::SystemConfig;
#[cfg(test)]
mod tests;
mod timeline;

pub use lesson::*;
pub use links::*;
pub use marks::*;
pub use members::*;
pub use narrate::*;
