//! The page's model, apart from any view: the simulation, playback (speed, play/pause), the
//! actions taken (so the run can be exported and replayed by `raftlab run`), the trace so far
//! and its narration. Pure Rust: it compiles and is tested natively.

use raftlab_raft::{Membership, MembershipChange, Micros, NodeId, Role};
use raftlab_sim::scenario::{Action, ConfigPatch, Scenario, SimConfig, TimedAction, MAX_NODES};
use raftlab_sim::trace::{ReplyResult, TraceEvent, TraceKind};
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

/// A kind of moment marked on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// A node became leader.
    Election,
    /// A node crashed.
    Crash,
    /// A node restarted.
    Restart,
    /// The network split or a link was cut.
    Partition,
    /// The network healed or a link was restored.
    Heal,
    /// A leader committed entries.
    Commit,
    /// A server was added to or removed from the cluster (thesis 4.1).
    Membership,
    /// A safety property broke.
    Violation,
}

impl MarkKind {
    /// Every kind, in drawing order.
    pub const ALL: [MarkKind; 8] = [
        MarkKind::Commit,
        MarkKind::Membership,
        MarkKind::Election,
        MarkKind::Crash,
        MarkKind::Restart,
        MarkKind::Partition,
        MarkKind::Heal,
        MarkKind::Violation,
    ];

    /// The name used as a CSS class and in the legend.
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Election => "election",
            MarkKind::Crash => "crash",
            MarkKind::Restart => "restart",
            MarkKind::Partition => "partition",
            MarkKind::Heal => "heal",
            MarkKind::Commit => "commit",
            MarkKind::Membership => "membership",
            MarkKind::Violation => "violation",
        }
    }
}

/// A moment worth marking on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// When.
    pub t_us: Micros,
    /// What.
    pub kind: MarkKind,
}

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
}

impl Model {
    /// A fresh run of `scenario` (its scheduled actions run as time passes).
    pub fn new(mut scenario: Scenario) -> Model {
        // The page never runs a liveness phase, so its exported runs do not ask for one.
        scenario.liveness_us = None;
        // Actions run in time order; at the same time in the order written (as the CLI).
        scenario.events.sort_by_key(|e| e.at_us);
        let sim = Simulation::new(scenario.nodes, scenario.config.clone(), scenario.seed);
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
        })
    }

    /// Starts the same run again from time 0 with another seed (or the same).
    pub fn restart(&mut self, seed: u64, nodes: u32) {
        let config = self.recorded.config.clone();
        self.replace(Model::with_seed(seed, nodes, config));
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
        let sim_us = (wall_ms * 1000.0 * self.speed)
            .round()
            .clamp(0.0, MAX_FRAME_US as f64) as Micros;
        self.advance_clock(sim_us)
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

    /// Runs everything due up to `target` (recorded actions included), taking checkpoints on
    /// the way, and sets the clock to `target`.
    fn advance_to(&mut self, target: Micros) {
        loop {
            let next_action = self
                .recorded
                .events
                .get(self.applied)
                .map(|e| e.at_us)
                .filter(|&t| t <= target);
            let last_checkpoint = self.checkpoints.last().map_or(0, |c| c.sim.now());
            let next_checkpoint =
                (last_checkpoint / self.checkpoint_every + 1) * self.checkpoint_every;
            let stop = next_action
                .unwrap_or(target)
                .min(next_checkpoint)
                .min(target);
            self.sim.run_until(stop, false);
            if next_action == Some(stop) {
                self.apply_next_action();
                continue;
            }
            if stop == next_checkpoint {
                self.take_checkpoint();
                self.trim_trace();
            }
            if stop == target {
                break;
            }
        }
        self.end_us = self.end_us.max(self.sim.now());
        self.trim_trace();
    }

    fn take_checkpoint(&mut self) {
        let now = self.sim.now();
        if self.checkpoints.last().is_some_and(|c| c.sim.now() >= now) {
            return;
        }
        self.checkpoints.push(Checkpoint {
            sim: self.sim.snapshot(),
            applied: self.applied,
            traced: self.traced(),
        });
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            // Thin out: keep time 0 and the even multiples of the doubled spacing.
            self.checkpoint_every *= 2;
            let every = self.checkpoint_every;
            let last = self.checkpoints.len() - 1;
            let mut k = 0;
            self.checkpoints.retain(|c| {
                let keep = c.sim.now() % every == 0 || k == last;
                k += 1;
                keep
            });
        }
    }

    /// Keeps the trace in memory bounded (the events stay reachable through replay).
    fn trim_trace(&mut self) {
        // Marks are taken from the events before they leave memory.
        self.mark_new();
        let len = self.trace.borrow().len();
        if len > 2 * TRACE_WINDOW {
            let keep_from = self
                .keep_trace_from
                .map_or(u64::MAX, |k| k.saturating_sub(self.trace_base));
            let cut = (len - TRACE_WINDOW).min(keep_from.min(len as u64) as usize);
            if cut == 0 {
                return;
            }
            self.trace.borrow_mut().drain(..cut);
            self.trace_base += cut as u64;
            self.narrated_upto = self.narrated_upto.saturating_sub(cut);
        }
    }

    /// Shows the moment `t_us` of the run (clamped to the timeline): going forward runs on,
    /// going back restores a checkpoint and replays from it. Nothing is recorded.
    pub fn seek(&mut self, t_us: Micros) {
        let t = t_us.min(self.end());
        let now = self.sim.now();
        // Start from the latest checkpoint a little before `t` (so the event log has
        // something to show), unless running on from now is shorter.
        let i = self
            .checkpoints
            .iter()
            .rposition(|c| c.sim.now() <= t.saturating_sub(SEEK_HISTORY_US))
            .or_else(|| self.checkpoints.iter().rposition(|c| c.sim.now() <= t))
            .unwrap_or(0);
        let from = self.checkpoints[i].sim.now();
        if t >= now && now >= from {
            let before = self.traced();
            self.advance_to(t);
            self.after_change(before);
        } else {
            let c = &self.checkpoints[i];
            self.sim = c.sim.snapshot();
            self.applied = c.applied;
            self.trace.borrow_mut().clear();
            self.trace_base = c.traced;
            self.narrated_upto = 0;
            self.narration.clear();
            self.attach_trace();
            self.advance_to(t);
            // Only the end of a long replay can show in the event log.
            self.narrated_upto = self.trace.borrow().len().saturating_sub(2_000);
            self.after_change(self.trace_base);
        }
        self.version += 1;
    }

    /// Goes back to the previous moment at which something was traced (or to the start).
    /// Returns whether the moment shown changed.
    pub fn step_back(&mut self) -> bool {
        let now = self.sim.now();
        if now == 0 {
            return false;
        }
        let previous = {
            let trace = self.trace.borrow();
            trace.iter().rev().map(|e| e.t_us).find(|&t| t < now)
        };
        match previous {
            Some(t) => self.seek(t),
            // Nothing earlier in memory: look from a checkpoint well before.
            None => {
                self.seek(now.saturating_sub(SEEK_HISTORY_US).saturating_sub(1));
                let t = self
                    .trace
                    .borrow()
                    .iter()
                    .rev()
                    .map(|e| e.t_us)
                    .find(|&t| t < now)
                    .unwrap_or(0);
                self.seek(t);
            }
        }
        true
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
        self.advance_to(now);
        let before = self.traced();
        let fork = (now < self.end_us).then_some(Fork {
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
        self.speed = speed.clamp(SPEED_RANGE.0, SPEED_RANGE.1);
        self.version += 1;
    }

    /// After the simulation ran: narrates the new events, marks the timeline and bumps the
    /// version when one of them changes what the page's DOM shows. Messages on the wire
    /// (sent, delivered, lost, duplicated) only change the canvas, which is redrawn on its
    /// own, so they do not re-render the page. Returns whether anything at all happened.
    fn after_change(&mut self, before: u64) -> bool {
        let changed = self.traced() > before;
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

    fn mark_new(&mut self) {
        let trace = self.trace.clone();
        let trace = trace.borrow();
        let from = self.marked.saturating_sub(self.trace_base) as usize;
        for event in trace.iter().skip(from) {
            if matches!(
                event.kind,
                TraceKind::ClientRequest { .. }
                    | TraceKind::ClientRead { .. }
                    | TraceKind::ClientReply { .. }
            ) {
                self.client_events.push(event.clone());
            }
            let kind = match &event.kind {
                TraceKind::BecomeLeader { .. } => MarkKind::Election,
                TraceKind::Crash { .. } => MarkKind::Crash,
                TraceKind::Restart { .. } => MarkKind::Restart,
                TraceKind::Partition { .. } | TraceKind::Cut { .. } => MarkKind::Partition,
                TraceKind::Heal | TraceKind::Restore { .. } => MarkKind::Heal,
                TraceKind::Violation { .. } => MarkKind::Violation,
                TraceKind::AddServer { .. } | TraceKind::RemoveServer { .. } => {
                    MarkKind::Membership
                }
                // The cluster's commit index moved on (the first node to commit is the leader).
                TraceKind::Commit { index, .. } if *index > self.max_commit => {
                    self.max_commit = *index;
                    MarkKind::Commit
                }
                _ => continue,
            };
            self.marks.push(Mark {
                t_us: event.t_us,
                kind,
            });
        }
        self.marked = self.marked.max(self.traced());
    }

    fn narrate_new(&mut self) {
        let trace = self.trace.clone();
        let trace = trace.borrow();
        for event in &trace[self.narrated_upto.min(trace.len())..] {
            if let Some((node, category, text)) = narrate(event, &self.sim) {
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

    /// The clients' operations up to now (answers that come later are not known yet).
    pub fn history(&self) -> Vec<raftlab_sim::linearizability::Op> {
        let now = self.sim.now();
        let end = self.client_events.partition_point(|e| e.t_us <= now);
        raftlab_sim::linearizability::history(&self.client_events[..end])
    }

    /// Which safety properties have been broken so far, with the first detail for each.
    pub fn safety(&self) -> Vec<(Property, Option<String>)> {
        Property::SAFETY
            .iter()
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
        if !self.sim.is_alive(id) {
            return "crashed";
        }
        self.sim
            .nodes()
            .get((id as usize).wrapping_sub(1))
            .map_or("crashed", |n| n.role().as_str())
    }

    /// How many servers the run started with (servers added since are not counted): what
    /// Reset, a new seed and the cluster-size list start a new run with.
    pub fn start_nodes(&self) -> u32 {
        self.recorded.nodes
    }

    /// Server `id`'s place in the configuration the cluster uses now
    /// ([`Simulation::membership`]), and for a server outside it, why.
    pub fn member(&self, id: NodeId) -> Member {
        let config = self.sim.membership();
        if config.is_voter(id) {
            Member::Voter
        } else if config.contains(id) {
            Member::Learner
        } else if self.pending_adds().contains(&id) {
            Member::Joining
        } else if self
            .sim
            .nodes()
            .get((id as usize).wrapping_sub(1))
            .is_some_and(|n| n.membership().contains(id) || n.membership_index() > 0)
        {
            // It has been a member: it was removed (and may not know it yet).
            Member::Removed
        } else {
            Member::Outside
        }
    }

    /// The servers the leader has been asked to add and has not added yet.
    fn pending_adds(&self) -> Vec<NodeId> {
        let Some(l) = self.sim.leader() else {
            return Vec::new();
        };
        self.sim.nodes()[l as usize - 1]
            .pending_changes()
            .iter()
            .filter_map(|c| match c {
                MembershipChange::Add(id) => Some(*id),
                MembershipChange::Remove(_) => None,
            })
            .collect()
    }

    /// The server that "Add server" adds: the lowest-numbered one that is neither in the
    /// configuration nor waiting to join (a server outside it, or a new one), or why none can
    /// be added.
    pub fn next_server(&self) -> Result<NodeId, String> {
        let config = self.sim.membership();
        let pending = self.pending_adds();
        let taken = |id: NodeId| config.contains(id) || pending.contains(&id);
        (1..=MAX_NODES).find(|&id| !taken(id)).ok_or_else(|| {
            let joining = if pending.is_empty() {
                ""
            } else {
                " (with those joining)"
            };
            format!("The configuration has {MAX_NODES} members{joining}: raftlab runs at most {MAX_NODES} servers")
        })
    }

    /// Why server `id` cannot be removed now, if it cannot: it is not a member, or it is the
    /// last voter.
    pub fn removal_blocked(&self, id: NodeId) -> Option<String> {
        let config = self.sim.membership();
        if !config.contains(id) {
            Some(format!("S{id} is not a member of the configuration"))
        } else if config.voters == [id] {
            Some(format!(
                "S{id} is the last voter: a cluster needs at least one"
            ))
        } else {
            None
        }
    }
}

/// A server's place in the cluster's configuration (thesis 4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    /// It votes: its vote elects leaders and its log counts towards commits.
    Voter,
    /// It receives the log but does not vote yet (thesis 4.2.1): it is catching up.
    Learner,
    /// Not a member yet: the leader has been asked to add it and will when it may.
    Joining,
    /// It was a member and has been removed; it keeps running, outside the cluster.
    Removed,
    /// It runs but has never been a member (started for a change the leader did not make).
    Outside,
}

impl Member {
    /// The name the scripting API gives it: `voter`, `learner` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Member::Voter => "voter",
            Member::Learner => "learner",
            Member::Joining | Member::Removed | Member::Outside => "none",
        }
    }

    /// A short word under the node in the picture (`None` for a voter).
    pub fn short(self) -> Option<&'static str> {
        match self {
            Member::Voter => None,
            Member::Learner => Some("learner"),
            Member::Joining => Some("joining"),
            Member::Removed => Some("removed"),
            Member::Outside => Some("not a member"),
        }
    }

    /// The words the node's accessible name ends with (`None` for a voter).
    pub fn describe(self) -> Option<&'static str> {
        match self {
            Member::Voter => None,
            Member::Learner => Some("learner: catching up, not voting"),
            Member::Joining => Some("not a member yet: waiting to join"),
            Member::Removed => Some("removed: not a member of the configuration"),
            Member::Outside => Some("not a member of the configuration"),
        }
    }
}

/// The majority size and the failures the configuration `m` survives (the 2f + 1 rule), with
/// its learners: "4 voters: a majority is 3, so the cluster survives 1 failure (4 voters
/// tolerate no more failures than 3). + S6 learning (not voting)."
pub fn quorum_text(m: &Membership) -> String {
    let n = m.voters.len();
    let (majority, survives) = (m.quorum(), m.tolerates());
    let why = match n {
        2 => " (2 voters tolerate no failure: one is not a majority of two)",
        4 => " (4 voters tolerate no more failures than 3)",
        6 | 8 => " (an even size adds no tolerance)",
        _ => "",
    };
    let mut text = format!(
        "{n} voter{}: a majority is {majority}, so the cluster survives {survives} failure{}{why}.",
        if n == 1 { "" } else { "s" },
        if survives == 1 { "" } else { "s" }
    );
    if !m.learners.is_empty() {
        let list: Vec<String> = m.learners.iter().map(|l| format!("S{l}")).collect();
        text.push_str(&format!(" + {} learning (not voting).", list.join(", ")));
    }
    text
}

/// Reads groups typed as `1 2 | 3 4 5` (commas or spaces between nodes, `|` between groups).
pub fn parse_groups(text: &str, nodes: u32) -> Result<Vec<Vec<NodeId>>, String> {
    let mut seen = [false; 10];
    let mut groups = Vec::new();
    for part in text.split('|') {
        let mut group = Vec::new();
        for item in part
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            let item = item.trim_start_matches(['S', 's']);
            let n: NodeId = item
                .parse()
                .map_err(|_| format!("{} is not a node number", raftlab_sim::json::quote(item)))?;
            if n == 0 || n > nodes {
                return Err(format!(
                    "there is no node {n}; the cluster has nodes 1 to {nodes}"
                ));
            }
            if std::mem::replace(&mut seen[n as usize], true) {
                return Err(format!("node {n} is in more than one group"));
            }
            group.push(n);
        }
        if !group.is_empty() {
            groups.push(group);
        }
    }
    if groups.len() < 2 && groups.iter().map(Vec::len).sum::<usize>() == nodes as usize {
        return Err("that is one group: nothing to split".into());
    }
    if groups.is_empty() {
        return Err("type groups such as 1 2 | 3 4 5".into());
    }
    Ok(groups)
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
        TraceKind::Set { .. } => (None, "fault", "Settings changed".to_string()),
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
        TraceKind::Drop { .. }
        | TraceKind::Commit { .. }
        | TraceKind::Membership { .. }
        | TraceKind::Append { .. }
        | TraceKind::Send { .. }
        | TraceKind::Deliver { .. }
        | TraceKind::Duplicate { .. }
        | TraceKind::Apply { .. }
        | TraceKind::Vote { .. }
        | TraceKind::VoteRefused { .. }
        | TraceKind::AppendRejected { .. }
        | TraceKind::FireTimer { .. }
        | TraceKind::Final { .. } => return None,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_advance_by_wall_time_times_speed_and_pause_stops_them() {
        let mut m = Model::with_seed(1, 5, SimConfig::default());
        m.speed = 0.5;
        m.frame(16.0);
        assert_eq!(m.now(), 8_000);
        m.playing = false;
        assert!(!m.frame(16.0));
        assert_eq!(m.now(), 8_000);
    }

    #[test]
    fn the_result_does_not_depend_on_frame_rate() {
        let mut a = Model::with_seed(9, 5, SimConfig::default());
        let mut b = Model::with_seed(9, 5, SimConfig::default());
        a.speed = 1.0;
        b.speed = 1.0;
        for _ in 0..1000 {
            a.frame(2.0); // 500 frames per second
        }
        for _ in 0..50 {
            b.frame(40.0); // 25 frames per second
        }
        assert_eq!(a.now(), b.now());
        assert_eq!(a.trace_ndjson(), b.trace_ndjson());
    }

    #[test]
    fn an_exported_run_replays_to_the_same_trace() {
        let mut m = Model::with_seed(4, 5, SimConfig::default());
        m.run_for(700_000);
        let leader = m.sim().leader().expect("a leader by 700 ms");
        m.act(Action::Crash(raftlab_sim::Target::Node(leader)));
        m.run_for(123_457);
        m.act(Action::ClientWrite {
            node: None,
            key: "x".into(),
            value: "1".into(),
        });
        m.step_event();
        m.run_for(1_000_000);
        let scenario = m.scenario();
        let replay = Rc::new(RefCell::new(String::new()));
        let sink = replay.clone();
        let mut sim = Simulation::from_scenario(&scenario);
        sim.set_trace(Box::new(move |e| {
            sink.borrow_mut().push_str(&e.to_json());
            sink.borrow_mut().push('\n');
        }));
        sim.run_until(scenario.until_us, false);
        assert_eq!(*replay.borrow(), m.trace_ndjson());
    }

    /// Section 7: a run with snapshots, a follower down while the leader compacts and then
    /// caught up by InstallSnapshot, with the threshold changed live, exports to a scenario
    /// whose replay gives the same trace.
    #[test]
    fn an_exported_run_with_snapshots_replays_to_the_same_trace() {
        let config = SimConfig {
            snapshot_threshold: 4,
            ..SimConfig::default()
        };
        let mut m = Model::with_seed(4, 5, config);
        m.run_for(700_000);
        let leader = m.sim().leader().expect("a leader by 700 ms");
        let follower = if leader == 1 { 2 } else { 1 };
        m.act(Action::Crash(raftlab_sim::Target::Node(follower)));
        for i in 0..12 {
            m.act(Action::ClientWrite {
                node: None,
                key: format!("k{}", i % 3),
                value: i.to_string(),
            });
            m.run_for(40_000);
        }
        m.act(Action::Set(raftlab_sim::scenario::ConfigPatch {
            snapshot_threshold: Some(3),
            ..Default::default()
        }));
        m.act(Action::Restart(raftlab_sim::Target::Node(follower)));
        m.run_for(500_000);
        let node = &m.sim().nodes()[follower as usize - 1];
        assert!(node.snapshot_index() >= 4, "S{follower} got a snapshot");
        assert_eq!(node.kv(), m.sim().nodes()[leader as usize - 1].kv());
        assert!(m.trace_ndjson().contains("\"kind\":\"install_snapshot\""));
        assert!(m
            .narration()
            .iter()
            .any(|l| l.text.contains("installed its leader's snapshot")));
        let scenario = m.scenario();
        assert_eq!(scenario.config.snapshot_threshold, 4);
        let replay = Rc::new(RefCell::new(String::new()));
        let sink = replay.clone();
        let mut sim = Simulation::from_scenario(&scenario);
        sim.set_trace(Box::new(move |e| {
            sink.borrow_mut().push_str(&e.to_json());
            sink.borrow_mut().push('\n');
        }));
        sim.run_until(scenario.until_us, false);
        assert_eq!(*replay.borrow(), m.trace_ndjson());
    }

    /// Thesis 4.1: a 3-server run grown one server at a time to 4 (an even size) and 9, then
    /// shrunk to 1, without a restart; the page's view of the configuration follows, seeking
    /// back shows the old size, and the exported scenario replays to the same trace.
    #[test]
    fn membership_changes_grow_and_shrink_the_cluster_and_replay() {
        let mut m = Model::with_seed(5, 3, SimConfig::default());
        m.run_for(1_000_000);
        assert!(m.sim().leader().is_some());
        assert_eq!(m.next_server(), Ok(4));
        assert!(quorum_text(m.sim().membership())
            .starts_with("3 voters: a majority is 2, so the cluster survives 1 failure."));
        m.act(Action::AddServer(4));
        assert_eq!(m.sim().nodes().len(), 4, "S4 started at once");
        let added_at = m.now();
        assert_ne!(m.member(4), Member::Voter);
        assert_eq!(m.next_server(), Ok(5), "S4 is joining: the next one is S5");
        m.run_for(1_000_000);
        assert_eq!(m.member(4), Member::Voter);
        assert_eq!(m.sim().membership().voters, vec![1, 2, 3, 4]);
        assert_eq!(
            quorum_text(m.sim().membership()),
            "4 voters: a majority is 3, so the cluster survives 1 failure (4 voters tolerate no more failures than 3)."
        );
        // A learner shows as one while it catches up.
        m.act(Action::AddServer(5));
        let mut saw_learner = false;
        for _ in 0..100 {
            m.run_for(10_000);
            if m.member(5) == Member::Learner {
                saw_learner = true;
                assert!(quorum_text(m.sim().membership()).ends_with(" + S5 learning (not voting)."));
                assert_eq!(m.member(5).as_str(), "learner");
            }
        }
        assert!(saw_learner, "S5 was a learner for a while");
        for id in 6..=9 {
            assert_eq!(m.next_server(), Ok(id));
            m.act(Action::AddServer(id));
            m.run_for(1_000_000);
        }
        assert_eq!(m.sim().membership().voters, (1..=9).collect::<Vec<_>>());
        assert!(m.next_server().unwrap_err().contains("at most 9"));
        assert!(quorum_text(m.sim().membership())
            .starts_with("9 voters: a majority is 5, so the cluster survives 4 failures."));
        // Down to one voter, one removal at a time; the removed servers keep running.
        for id in (2..=9).rev() {
            assert_eq!(m.removal_blocked(id), None);
            m.act(Action::RemoveServer(id));
            m.run_for(1_500_000);
            assert_eq!(m.member(id), Member::Removed, "S{id} removed");
        }
        assert_eq!(m.sim().membership().voters, vec![1]);
        assert_eq!(m.sim().nodes().len(), 9);
        assert_eq!(
            m.marks()
                .iter()
                .filter(|k| k.kind == MarkKind::Membership)
                .count(),
            14,
            "every add and remove is marked on the timeline"
        );
        assert!(m.removal_blocked(1).unwrap().contains("last voter"));
        assert!(m.removal_blocked(2).unwrap().contains("not a member"));
        assert_eq!(m.next_server(), Ok(2), "a removed server can be added back");
        assert!(quorum_text(m.sim().membership())
            .starts_with("1 voter: a majority is 1, so the cluster survives 0 failures."));
        // Seeking back before S4 was added shows three servers again.
        let end = m.end();
        m.seek(added_at - 1);
        assert_eq!(m.sim().nodes().len(), 3);
        assert_eq!(m.sim().membership().voters, vec![1, 2, 3]);
        m.seek(end);
        assert_eq!(m.sim().nodes().len(), 9);
        assert_eq!(m.start_nodes(), 3);
        // The run replays exactly from its scenario.
        let scenario = m.scenario();
        assert_eq!(scenario.nodes, 3);
        let replay = Rc::new(RefCell::new(String::new()));
        let sink = replay.clone();
        let mut sim = Simulation::from_scenario(&scenario);
        sim.set_trace(Box::new(move |e| {
            sink.borrow_mut().push_str(&e.to_json());
            sink.borrow_mut().push('\n');
        }));
        sim.run_until(scenario.until_us, false);
        assert_eq!(*replay.borrow(), m.trace_ndjson());
    }

    #[test]
    fn the_majority_line_names_the_2f_plus_1_rule() {
        let text = |v: &[NodeId], l: &[NodeId]| quorum_text(&Membership::new(v, l));
        assert_eq!(
            text(&[1, 2], &[]),
            "2 voters: a majority is 2, so the cluster survives 0 failures (2 voters tolerate no failure: one is not a majority of two)."
        );
        assert_eq!(
            text(&[1, 2, 3, 4, 5], &[6, 7]),
            "5 voters: a majority is 3, so the cluster survives 2 failures. + S6, S7 learning (not voting)."
        );
        assert!(text(&[1, 2, 3, 4, 5, 6], &[]).contains("an even size adds no tolerance"));
    }

    #[test]
    fn narration_is_newest_first_and_bounded() {
        let mut m = Model::with_seed(2, 5, SimConfig::default());
        m.run_for(60_000_000);
        let n = m.narration();
        assert!(n.len() <= NARRATION_LIMIT && !n.is_empty());
        assert!(n.iter().zip(n.iter().skip(1)).all(|(a, b)| a.seq > b.seq));
        assert!(
            n.iter().any(|l| l.text.contains("leads term")),
            "an election is narrated"
        );
    }

    #[test]
    fn acting_at_an_instant_with_scheduled_actions_replays_exactly() {
        let scenario = Scenario::parse(
            r#"{"version":1,"seed":7,"nodes":3,"events":[{"at_ms":0,"do":"crash","node":1}]}"#,
        )
        .expect("valid");
        let mut m = Model::new(scenario);
        m.act(Action::Restart(raftlab_sim::Target::Node(1)));
        m.run_for(50_000);
        assert!(
            m.sim().is_alive(1),
            "the scheduled crash came first, then the restart"
        );
        let exported = m.scenario();
        assert_eq!(exported.liveness_us, None);
        let mut replay = Model::new(exported);
        replay.run_for(50_000);
        assert_eq!(replay.trace_ndjson(), m.trace_ndjson());
    }

    #[test]
    fn step_gives_up_on_a_quiet_cluster() {
        let mut m = Model::with_seed(1, 1, SimConfig::default());
        m.run_for(1_000_000);
        assert_eq!(m.sim().leader(), Some(1));
        assert!(
            !m.step_event(),
            "nothing more is ever traced by a lone leader"
        );
        assert!(m.now() <= 1_000_000 + STEP_LIMIT_US + 50_000);
    }

    #[test]
    fn a_new_run_gets_a_new_number_and_keeps_playback() {
        let mut m = Model::with_seed(1, 5, SimConfig::default());
        m.set_speed(0.2);
        m.set_playing(false);
        let run = m.run;
        m.restart(1, 5);
        assert_eq!(m.run, run + 1);
        m.load(Scenario::default());
        assert_eq!(m.run, run + 2);
        assert_eq!((m.speed, m.playing), (0.2, false));
        assert_eq!(m.now(), 0);
    }

    #[test]
    fn typed_groups() {
        assert_eq!(
            parse_groups("1 2 | 3,4,5", 5),
            Ok(vec![vec![1, 2], vec![3, 4, 5]])
        );
        assert_eq!(parse_groups("S1 | s2", 3), Ok(vec![vec![1], vec![2]]));
        assert!(parse_groups("1 2 | 2 3", 5)
            .unwrap_err()
            .contains("more than one group"));
        assert!(parse_groups("1 | 9", 5).unwrap_err().contains("no node 9"));
        assert!(parse_groups("1 | x", 5)
            .unwrap_err()
            .contains("not a node number"));
        assert!(parse_groups("1 2 3", 3)
            .unwrap_err()
            .contains("nothing to split"));
        assert!(parse_groups("  ", 3).is_err());
    }

    #[test]
    fn a_frame_never_runs_more_than_the_cap() {
        let mut m = Model::with_seed(3, 3, SimConfig::default());
        m.speed = SPEED_RANGE.1;
        m.frame(1e12);
        assert_eq!(m.now(), MAX_FRAME_US);
    }

    /// Everything the page shows of a moment: time, nodes, liveness, links, messages in flight.
    fn fingerprint(m: &Model) -> String {
        let sim = m.sim();
        let mut flight: Vec<String> = sim
            .in_flight()
            .map(|f| {
                format!(
                    "{} {} {} {} {:?}",
                    f.id, f.sent_at, f.deliver_at, f.lost, f.message
                )
            })
            .collect();
        flight.sort();
        let alive: Vec<bool> = (1..=sim.nodes().len() as NodeId)
            .map(|n| sim.is_alive(n))
            .collect();
        format!(
            "{} {:?} {:?} {:?} {:?} {:?}",
            sim.now(),
            sim.nodes(),
            alive,
            sim.groups(),
            flight,
            sim.violations()
        )
    }

    /// A run with actions of every sort, ending at `end_us`.
    fn busy_run(seed: u64, end_us: Micros) -> Model {
        let mut m = Model::with_seed(seed, 5, SimConfig::default());
        let mut k = 0;
        while m.now() < end_us {
            m.run_for(337_000);
            k += 1;
            let target = raftlab_sim::Target::Node((k % 5) as NodeId + 1);
            match k % 7 {
                0 => {
                    m.act(Action::Crash(raftlab_sim::Target::Leader));
                }
                1 => {
                    m.act(Action::Restart(target));
                }
                2 => {
                    m.act(Action::ClientWrite {
                        node: None,
                        key: format!("k{k}"),
                        value: "v".into(),
                    });
                }
                3 => {
                    m.act(Action::Partition(vec![vec![1, 2], vec![3, 4, 5]]));
                }
                4 => {
                    m.act(Action::Heal);
                }
                _ => {}
            }
        }
        m
    }

    #[test]
    fn seeking_anywhere_shows_what_a_fresh_replay_shows() {
        let mut m = busy_run(11, 30_000_000);
        let end = m.end();
        let whole = m.full_scenario();
        for t in [
            0, 1, 5_432_100, 29_000_000, 2_000_000, 17_777_777, end, 12_345, end,
        ] {
            m.seek(t);
            let mut fresh = Model::new(whole.clone());
            fresh.run_for(t);
            assert_eq!(fingerprint(&m), fingerprint(&fresh), "at {t}");
            assert_eq!(m.trace_ndjson(), fresh.trace_ndjson(), "trace up to {t}");
            assert_eq!(m.end(), end, "seeking never changes the run");
        }
    }

    #[test]
    fn stepping_back_then_forward_returns_to_the_same_moment() {
        let mut m = busy_run(12, 5_000_000);
        m.seek(3_000_000);
        m.step_event();
        let here = fingerprint(&m);
        let t = m.now();
        assert!(m.step_back());
        assert!(m.now() < t);
        m.step_event();
        assert_eq!(m.now(), t);
        assert_eq!(fingerprint(&m), here);
        // Back to the very start, one moment at a time, never going forward.
        let mut last = m.now();
        let mut steps = 0;
        while m.step_back() {
            assert!(m.now() < last);
            last = m.now();
            steps += 1;
            assert!(steps < 10_000);
        }
        assert_eq!(m.now(), 0);
    }

    #[test]
    fn acting_in_the_past_forks_the_run() {
        let mut m = busy_run(13, 10_000_000);
        let old_end = m.end();
        m.seek(4_000_000);
        let fork = m.act(Action::Crash(raftlab_sim::Target::Node(2)));
        assert_eq!(
            fork,
            Some(Fork {
                at_us: 4_000_000,
                old_end_us: old_end
            })
        );
        assert_eq!(m.end(), 4_000_000);
        assert!(m.marks().iter().all(|k| k.t_us <= 4_000_000));
        let s = m.full_scenario();
        assert!(s.events.iter().all(|e| e.at_us <= 4_000_000));
        assert_eq!(
            s.events.last().map(|e| &e.action),
            Some(&Action::Crash(raftlab_sim::Target::Node(2)))
        );
        // At the end, acting does not fork.
        m.run_for(1_000_000);
        assert_eq!(m.act(Action::Heal), None);
        // The forked run is what the CLI runs from its scenario.
        let scenario = m.scenario();
        let mut sim = Simulation::from_scenario(&scenario);
        let replay = Rc::new(RefCell::new(String::new()));
        let sink = replay.clone();
        sim.set_trace(Box::new(move |e| {
            sink.borrow_mut().push_str(&e.to_json());
            sink.borrow_mut().push('\n');
        }));
        sim.run_until(scenario.until_us, false);
        assert_eq!(*replay.borrow(), m.trace_ndjson());
    }

    #[test]
    fn an_hour_keeps_checkpoints_and_trace_bounded_and_seeks_exactly() {
        let mut m = Model::with_seed(14, 5, SimConfig::default());
        for _ in 0..60 {
            m.run_for(60_000_000);
        }
        assert_eq!(m.now(), 3_600_000_000);
        assert!(m.checkpoints.len() <= MAX_CHECKPOINTS + 1);
        assert!(m.trace().len() <= 2 * TRACE_WINDOW);
        assert!(m.trace_base() > 0);
        let whole = m.full_scenario();
        for t in [1_234_567_890, 100, 3_599_999_999] {
            m.seek(t);
            let mut fresh = Model::new(whole.clone());
            fresh.run_for(t);
            assert_eq!(fingerprint(&m), fingerprint(&fresh), "at {t}");
        }
        // The whole trace is still available (recomputed), and ends where the window ends.
        let ndjson = m.trace_ndjson();
        let window_last = m.trace().last().map(|e| e.to_json()).unwrap();
        assert!(ndjson.trim_end().ends_with(&window_last));
        assert_eq!(ndjson.lines().count() as u64, m.traced());
    }

    #[test]
    fn opening_a_run_at_a_position() {
        let m = busy_run(15, 8_000_000);
        let whole = m.full_scenario();
        let mut opened = Model::with_seed(0, 3, SimConfig::default());
        opened.open(whole.clone(), Some(2_500_000));
        assert_eq!(opened.now(), 2_500_000);
        assert_eq!(opened.end(), whole.until_us);
        let mut fresh = Model::new(whole);
        fresh.run_for(2_500_000);
        assert_eq!(fingerprint(&opened), fingerprint(&fresh));
        assert_eq!(opened.marks(), m.marks(), "the whole run's marks");
        assert!(opened.marks().iter().any(|k| k.kind == MarkKind::Election));
        assert!(opened.marks().iter().any(|k| k.kind == MarkKind::Crash));
        assert!(opened.marks().iter().any(|k| k.kind == MarkKind::Partition));
        assert!(opened.marks().iter().any(|k| k.kind == MarkKind::Commit));
    }
}
