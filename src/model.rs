//! The page's model, apart from any view: the simulation, playback (speed, play/pause), the
//! actions taken (so the run can be exported and replayed by `raftlab run`), the trace so far
//! and its narration. Pure Rust: it compiles and is tested natively.

use raftlab_raft::{Micros, NodeId, Role};
use raftlab_sim::scenario::{Action, ConfigPatch, Scenario, SimConfig, TimedAction};
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
    /// A short category used by the filter: `election`, `log`, `fault`, `client`, `safety`.
    pub category: &'static str,
    /// The sentence.
    pub text: String,
}

/// The page's model.
pub struct Model {
    sim: Simulation,
    /// The scenario the run started from, plus every action taken since, with its time.
    recorded: Scenario,
    /// Every trace event so far (shared with the simulator's trace sink).
    trace: Rc<RefCell<Vec<TraceEvent>>>,
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
}

impl Model {
    /// A fresh run of `scenario` (its scheduled actions run as time passes).
    pub fn new(mut scenario: Scenario) -> Model {
        // The page never runs a liveness phase, so its exported runs do not ask for one.
        scenario.liveness_us = None;
        let trace = Rc::new(RefCell::new(Vec::new()));
        let mut sim = Simulation::from_scenario(&scenario);
        let sink = trace.clone();
        sim.set_trace(Box::new(move |e: &TraceEvent| {
            sink.borrow_mut().push(e.clone())
        }));
        Model {
            sim,
            recorded: scenario,
            trace,
            narrated_upto: 0,
            narration: VecDeque::new(),
            narration_seq: 0,
            speed: DEFAULT_SPEED,
            playing: true,
            version: 0,
            run: 0,
        }
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

    /// Starts the new run `next`, keeping playback (speed, play or pause).
    fn replace(&mut self, next: Model) {
        let (speed, playing, version, run) = (self.speed, self.playing, self.version, self.run);
        *self = next;
        self.speed = speed;
        self.playing = playing;
        self.version = version + 1;
        self.run = run + 1;
    }

    /// The simulation (read only: change it through the model so actions are recorded).
    pub fn sim(&self) -> &Simulation {
        &self.sim
    }

    /// Current simulated time.
    pub fn now(&self) -> Micros {
        self.sim.now()
    }

    /// The run as a scenario: start settings, every action with its time, ending now. Running
    /// it with `raftlab run` gives the same trace as the page.
    pub fn scenario(&self) -> Scenario {
        let mut s = self.recorded.clone();
        s.until_us = self.sim.now();
        s
    }

    /// Every trace event so far.
    pub fn trace(&self) -> std::cell::Ref<'_, Vec<TraceEvent>> {
        self.trace.borrow()
    }

    /// The trace so far as NDJSON (the CLI's format, without the `final` lines).
    pub fn trace_ndjson(&self) -> String {
        let mut out = String::new();
        for event in self.trace.borrow().iter() {
            out.push_str(&event.to_json());
            out.push('\n');
        }
        out
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
        let before = self.trace.borrow().len();
        let target = self.sim.now().saturating_add(us);
        self.sim.run_until(target, false);
        self.after_change(before)
    }

    /// Handles queued events until one produces a trace line (or none is left). Returns
    /// whether anything happened.
    pub fn step_event(&mut self) -> bool {
        let before = self.trace.borrow().len();
        // A quiet cluster (one node leading alone) may never trace again: give up after a
        // minute of simulated time rather than freeze the page.
        let limit = self.sim.now().saturating_add(STEP_LIMIT_US);
        while self.trace.borrow().len() == before {
            if self.sim.next_event_time().is_none_or(|t| t > limit) || !self.sim.step() {
                break;
            }
        }
        let changed = self.after_change(before);
        self.version += 1;
        changed
    }

    /// Performs `action` now and records it.
    pub fn act(&mut self, action: Action) {
        let before = self.trace.borrow().len();
        // What is due at this very microsecond happens first (scheduled actions included),
        // exactly as `raftlab run` orders the recorded action after them.
        self.sim.run_until(self.sim.now(), false);
        self.recorded.events.push(TimedAction {
            at_us: self.sim.now(),
            action: action.clone(),
        });
        self.sim.act(&action);
        self.after_change(before);
        self.version += 1;
    }

    /// Changes settings now (recorded as a `set` action).
    pub fn configure(&mut self, patch: ConfigPatch) {
        self.act(Action::Set(patch));
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

    /// After the simulation ran: narrates the new events and bumps the version when one of
    /// them changes what the page's DOM shows. Messages on the wire (sent, delivered, lost,
    /// duplicated) only change the canvas, which is redrawn on its own, so they do not
    /// re-render the page. Returns whether anything at all happened.
    fn after_change(&mut self, before: usize) -> bool {
        let changed = self.trace.borrow().len() > before;
        if changed {
            self.narrate_new();
            let visible = self.trace.borrow()[before..].iter().any(|e| {
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

    fn narrate_new(&mut self) {
        let trace = self.trace.clone();
        let trace = trace.borrow();
        for event in &trace[self.narrated_upto..] {
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
        self.sim.nodes()[id as usize - 1].role().as_str()
    }
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
        TraceKind::Crash { node } => (
            Some(*node),
            "fault",
            format!("{} crashed: it keeps only its term, vote and log", s(node)),
        ),
        TraceKind::Restart { node } => (
            Some(*node),
            "fault",
            format!("{} restarted as a follower with commit index 0", s(node)),
        ),
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
        TraceKind::ClientReply {
            node,
            id,
            result,
            leader,
        } => (
            *node,
            "client",
            match (result, leader) {
                (ReplyResult::Ok, _) => format!("Request {id} is committed and applied: OK"),
                (ReplyResult::Redirect, Some(Some(l))) => {
                    format!("Request {id} refused: not the leader; try S{l}")
                }
                (ReplyResult::Redirect, _) => {
                    format!("Request {id} refused: not the leader, and no leader known")
                }
                (ReplyResult::Timeout, _) => format!("Request {id} got no answer in time"),
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
        | TraceKind::Append { .. }
        | TraceKind::Send { .. }
        | TraceKind::Deliver { .. }
        | TraceKind::Duplicate { .. }
        | TraceKind::Apply { .. }
        | TraceKind::Vote { .. }
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
}
