//! Guided lessons in the model (`docs/lesson-format.md`): the lesson being played, the
//! moment recorded for each step visited, playing on to a step's moment and pausing there,
//! questions, tasks and their goals. Pure Rust, tested natively.
//!
//! Every step's moment is recorded when it is first reached, as (run, time, actions
//! applied): Back and a jump to a visited step restore exactly that moment with
//! [`Model::seek_moment`], so `state()` is the same as on the first visit. A step that starts
//! a new run (its own `scenario`) keeps the previous run's scenario, so Back can reopen it.

use super::*;
use raftlab_sim::json::{self, Value};

/// Default `within_ms` of a pattern and of a task: 10 s of simulated time.
pub const DEFAULT_WITHIN_US: Micros = 10_000_000;

/// A lesson, as read from its file.
#[derive(Clone, Debug)]
pub struct Lesson {
    /// Its id (`lessons/<id>.json`).
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
#[derive(Clone, Debug, Default)]
pub struct Step {
    /// The step's title.
    pub title: String,
    /// Its text, in the lesson format's small markup (see [`markup`]).
    pub text: String,
    /// Notes for the teacher (the presenter's notes window).
    pub notes: Option<String>,
    /// The moment it shows.
    pub until: Until,
    /// A new run that starts at this step.
    pub scenario: Option<Scenario>,
    /// What to emphasise.
    pub highlight: Highlight,
    /// What the Details panel shows: a server, or one of its log entries.
    pub select: Option<(NodeId, Option<u64>)>,
    /// The panels open at this step (embed names), or `None`: as the reader left them.
    pub panels: Option<Vec<String>>,
    /// A question asked before playing on to the step's moment.
    pub question: Option<Question>,
    /// Something the reader does to go on, after the step's moment.
    pub task: Option<Task>,
}

/// The moment a step shows.
#[derive(Clone, Debug)]
pub enum Until {
    /// A time of the run.
    At(Micros),
    /// A time after the previous step's moment.
    After(Micros),
    /// The first trace event matching a pattern after the previous step's moment.
    Pattern(Pattern),
}

impl Default for Until {
    fn default() -> Self {
        Until::At(0)
    }
}

/// A trace pattern: the fields a trace event must have, with equal values.
#[derive(Clone, Debug)]
pub struct Pattern {
    /// The pattern as an object (`kind` and other fields of that kind).
    pub fields: Value,
    /// How long to look for it.
    pub within_us: Micros,
}

impl Pattern {
    /// Whether `event` matches.
    pub fn matches(&self, event: &TraceEvent) -> bool {
        if self.fields.get("kind").and_then(Value::as_str) != Some(event.kind.name()) {
            return false;
        }
        json::parse(&event.to_json()).is_ok_and(|e| includes(&e, &self.fields, true))
    }
}

/// Whether `event` has every field of `pattern` with an equal value (objects as patterns of
/// their own; numbers compared as numbers; `within_ms` is not a field of events).
fn includes(event: &Value, pattern: &Value, top: bool) -> bool {
    match (event, pattern) {
        (Value::Object(e), Value::Object(p)) => p.iter().all(|(k, v)| {
            (top && k == "within_ms") || e.get(k).is_some_and(|x| includes(x, v, false))
        }),
        (a, b) => match (a.as_f64(), b.as_f64()) {
            (Some(x), Some(y)) => x == y,
            _ => a == b,
        },
    }
}

/// What a step emphasises.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Highlight {
    /// Servers.
    pub nodes: Vec<NodeId>,
    /// Log cells: (server, index).
    pub entries: Vec<(NodeId, u64)>,
    /// Message types, by their trace names.
    pub messages: Vec<String>,
    /// Links between two servers.
    pub links: Vec<(NodeId, NodeId)>,
}

/// A question to predict before seeing.
#[derive(Clone, Debug)]
pub struct Question {
    /// The question.
    pub prompt: String,
    /// The choices (2 to 6).
    pub choices: Vec<String>,
    /// The right choice, from 0.
    pub answer: usize,
    /// Why, shown with the answer.
    pub why: String,
}

/// Something the reader does.
#[derive(Clone, Debug)]
pub struct Task {
    /// What to do.
    pub prompt: String,
    /// When it is done.
    pub goal: Goal,
    /// What "Show me" performs, in order.
    pub show_me: Vec<Action>,
    /// How long the goal may take once acted.
    pub within_us: Micros,
}

/// A task's goal.
#[derive(Clone, Debug)]
pub enum Goal {
    /// A trace event matching the pattern happens.
    Pattern(Pattern),
    /// The facts hold.
    Expect(Value),
}

/// What the reader answered to a step's question.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Answer {
    /// This choice (from 0).
    Chose(usize),
    /// "Just show me".
    Skipped,
}

/// Where the player is within the current step.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phase {
    /// The step's moment is shown.
    Shown,
    /// The next step's question is asked, at this step's moment.
    Asking,
    /// Playing on to the step's moment, at that time.
    Playing(Micros),
    /// The step's moment never comes (within its pattern's `within_ms`).
    Stuck,
}

/// A recorded moment: which run, the time, and how many recorded actions were applied.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Moment {
    /// The index of the run (a step with its own scenario starts a new one).
    pub run: usize,
    /// The time.
    pub t_us: Micros,
    /// Recorded actions applied.
    pub applied: usize,
}

/// The lesson being played.
#[derive(Clone, Debug)]
pub struct Player {
    /// The lesson.
    pub lesson: Rc<Lesson>,
    /// The step shown (from 0).
    pub step: usize,
    /// What the player is doing.
    pub phase: Phase,
    /// The moment of each step reached so far (a prefix of the steps).
    moments: Vec<Moment>,
    /// The scenario of each run the lesson went through (the current one's is the model's).
    runs: Vec<Scenario>,
    /// The run shown.
    run: usize,
    /// Each step's answer, once given.
    pub answers: Vec<Option<Answer>>,
    /// Each task's goal, once met: the moment it was met at.
    goals: Vec<Option<Micros>>,
    /// Trace events (counted from the start) looked at for the current task's goal.
    watched: u64,
    /// Bumped at each arrival at a step: the page applies the step's selection and panels.
    pub arrivals: u64,
    /// The effective speed while playing on to a moment.
    play_speed: f64,
}

impl Player {
    /// The step shown.
    pub fn current(&self) -> &Step {
        &self.lesson.steps[self.step]
    }

    /// Whether step `i`'s task (if any) is done.
    pub fn task_done(&self, i: usize) -> bool {
        self.goals.get(i).is_some_and(Option::is_some)
    }

    /// The recorded moment of step `i`, if it was reached.
    pub fn moment(&self, i: usize) -> Option<Moment> {
        self.moments.get(i).copied()
    }

    /// How many steps have a recorded moment.
    pub fn reached(&self) -> usize {
        self.moments.len()
    }

    /// The step whose question is asked or whose moment is being played to, if any.
    pub fn pending(&self) -> Option<usize> {
        match self.phase {
            Phase::Asking | Phase::Playing(_) | Phase::Stuck => Some(self.step + 1),
            Phase::Shown => None,
        }
    }
}

/// The longest a play on to a step's moment takes in wall time, in ms: a faster speed is
/// used for longer stretches.
pub const PLAY_WALL_MS: f64 = 3000.0;

impl Model {
    /// The lesson being played, if any.
    pub fn lesson(&self) -> Option<&Player> {
        self.lesson.as_deref()
    }

    /// Leaves the lesson: the run stays as it is ("Explore from here").
    pub fn close_lesson(&mut self) {
        if self.lesson.take().is_some() {
            self.version += 1;
        }
    }

    /// Opens `lesson` at step `step` (from 0): the steps before it are played
    /// headless (questions skipped, tasks done by their "Show me").
    pub fn open_lesson(&mut self, lesson: Lesson, step: usize) -> Result<(), String> {
        let steps = lesson.steps.len();
        if step >= steps {
            return Err(format!(
                "There is no step {}: the lesson has steps 1 to {steps}",
                step + 1
            ));
        }
        let scenario = lesson.scenario.clone();
        self.replace(Model::new(scenario.clone()));
        self.set_playing(false);
        self.lesson = Some(Box::new(Player {
            lesson: Rc::new(lesson),
            step: 0,
            phase: Phase::Shown,
            moments: Vec::new(),
            runs: vec![scenario],
            run: 0,
            answers: vec![None; steps],
            goals: vec![None; steps],
            watched: 0,
            arrivals: 0,
            play_speed: self.speed,
        }));
        self.reach(0, false)?;
        self.lesson_goto(step)
    }

    fn player(&mut self) -> Result<&mut Player, String> {
        self.lesson
            .as_deref_mut()
            .ok_or_else(|| "No lesson is open".to_string())
    }

    /// Continue: from the step shown, on to the next one. With `animate`, a question is
    /// asked first and the run plays on to the moment; without, it jumps there (a question
    /// is skipped). A task not done yet is done by its "Show me" first (without `animate`)
    /// or refused. Playing on already: jumps to the moment.
    pub fn lesson_next(&mut self, animate: bool) -> Result<(), String> {
        let p = self.player()?;
        let (step, phase) = (p.step, p.phase);
        let steps = p.lesson.steps.len();
        if let Phase::Playing(t) = phase {
            self.run_to(t);
            self.player()?.step = step + 1;
            return self.arrive();
        }
        if phase == Phase::Stuck {
            return Err(self.stuck_message());
        }
        if step + 1 >= steps {
            return Err(format!("This is the last step ({steps} of {steps})"));
        }
        if self.lesson_task().is_some() && !self.player()?.task_done(step) {
            if animate {
                return Err("Do the task to go on, or press Show me".into());
            }
            self.show_me(true)?;
        }
        let p = self.player()?;
        if p.moments.len() > step + 1 {
            let m = p.moments[step + 1];
            p.step = step + 1;
            p.phase = Phase::Shown;
            self.seek_moment(m);
            return self.arrived();
        }
        let asks = p.lesson.steps[step + 1].question.is_some() && p.answers[step + 1].is_none();
        if animate && asks && phase == Phase::Shown {
            p.phase = Phase::Asking;
            self.version += 1;
            return Ok(());
        }
        self.reach(step + 1, animate)
    }

    /// Answers the question of the step about to be shown (`None`: "Just show me"), then
    /// plays on to its moment.
    pub fn lesson_answer(&mut self, choice: Option<usize>, animate: bool) -> Result<(), String> {
        let p = self.player()?;
        let next = p.step + 1;
        let Some(q) = p.lesson.steps.get(next).and_then(|s| s.question.as_ref()) else {
            return Err("There is no question to answer now".into());
        };
        if let Some(c) = choice.filter(|&c| c >= q.choices.len()) {
            return Err(format!(
                "Choice {c} does not exist: the question has choices 0 to {}",
                q.choices.len() - 1
            ));
        }
        p.answers[next] = Some(choice.map_or(Answer::Skipped, Answer::Chose));
        if p.phase == Phase::Asking {
            p.phase = Phase::Shown;
        }
        self.reach(next, animate)
    }

    /// Back: to the previous step's moment exactly (or, while a question is asked, back to
    /// the step shown).
    pub fn lesson_back(&mut self) -> Result<(), String> {
        let p = self.player()?;
        match p.phase {
            Phase::Asking | Phase::Stuck => {
                p.phase = Phase::Shown;
                let m = p.moments[p.step];
                self.seek_moment(m);
                return Ok(());
            }
            Phase::Playing(_) => {
                // Stop playing: back to where the play started.
                p.phase = Phase::Shown;
                let m = p.moments[p.step];
                self.set_playing(false);
                self.seek_moment(m);
                return Ok(());
            }
            Phase::Shown => {}
        }
        if p.step == 0 {
            return Err("This is the first step".into());
        }
        p.step -= 1;
        let m = p.moments[p.step];
        self.set_playing(false);
        self.seek_moment(m);
        self.arrived()
    }

    /// Jumps to step `target` (from 0): a step reached before is restored exactly; later
    /// ones are played headless from the furthest reached (questions skipped, tasks done by
    /// "Show me").
    pub fn lesson_goto(&mut self, target: usize) -> Result<(), String> {
        let p = self.player()?;
        let steps = p.lesson.steps.len();
        if target >= steps {
            return Err(format!(
                "There is no step {}: the lesson has steps 1 to {steps}",
                target + 1
            ));
        }
        self.set_playing(false);
        let p = self.player()?;
        p.phase = Phase::Shown;
        if target < p.moments.len() {
            p.step = target;
            let m = p.moments[target];
            self.seek_moment(m);
            return self.arrived();
        }
        let from = p.moments.len() - 1;
        if p.step != from {
            p.step = from;
            let m = p.moments[from];
            self.seek_moment(m);
        }
        while self.player()?.step < target {
            self.lesson_next(false)?;
            if self.player()?.phase == Phase::Stuck {
                return Err(self.stuck_message());
            }
        }
        Ok(())
    }

    /// The task of the step shown, if any.
    pub fn lesson_task(&self) -> Option<&Task> {
        let p = self.lesson()?;
        (p.phase == Phase::Shown)
            .then(|| p.current().task.as_ref())
            .flatten()
    }

    /// "Show me": performs the task's canonical actions now, then (with `headless`) runs
    /// on until the goal is met (at most its `within_ms`); otherwise the run plays on.
    pub fn show_me(&mut self, headless: bool) -> Result<(), String> {
        let task = self
            .lesson_task()
            .cloned()
            .ok_or_else(|| "There is no task at this step".to_string())?;
        for action in task.show_me {
            self.act(action);
        }
        let step = self.player()?.step;
        if headless {
            let limit = self.now().saturating_add(task.within_us);
            while !self.player()?.task_done(step) && self.now() < limit {
                if !self.step_event() {
                    break;
                }
            }
            if !self.player()?.task_done(step) {
                return Err(format!(
                    "Show me did not reach the task's goal within {} ms",
                    ms_text(task.within_us)
                ));
            }
        } else if !self.player()?.task_done(step) {
            self.set_playing(true);
        }
        Ok(())
    }

    /// What to say when the next step's moment never comes.
    fn stuck_message(&self) -> String {
        let n = self.lesson().map_or(0, |p| p.step + 2);
        format!("The moment of step {n} does not come in this run; go Back, or Explore from here")
    }

    /// Starts to show step `i` (the one after the step shown): its moment is found on a copy
    /// of the run, then the run plays on to it (`animate`) or jumps there.
    fn reach(&mut self, i: usize, animate: bool) -> Result<(), String> {
        let p = self.player()?;
        let step = p.lesson.steps[i].clone();
        if let Some(s) = &step.scenario {
            // A new run: the old one is kept for Back.
            let run = p.runs.len();
            let old = p.run;
            let mut player = self.lesson.take().expect("a lesson is open");
            player.runs[old] = self.full_scenario();
            player.runs.push(s.clone());
            player.run = run;
            let playing = self.playing;
            self.replace(Model::new(s.clone()));
            self.playing = playing;
            self.lesson = Some(player);
        }
        let p = self.player()?;
        // The first step, and the first of a new run, are searched from time 0.
        let from = if i == 0 || step.scenario.is_some() {
            0
        } else {
            match p.goals[i - 1] {
                Some(g) => g,
                None => p.moments[i - 1].t_us,
            }
        };
        if from != self.now() && i > 0 {
            self.seek(from);
        }
        let target = match &step.until {
            Until::At(t) => Some((*t).max(from)),
            Until::After(d) => Some(from.saturating_add(*d)),
            Until::Pattern(pattern) => self.find(pattern),
        };
        let p = self.player()?;
        let Some(t) = target else {
            p.phase = Phase::Stuck;
            self.version += 1;
            return Err(self.stuck_message());
        };
        p.step = i - usize::from(animate && i > 0);
        if animate && t > self.now() && i > 0 {
            let speed = self
                .speed
                .max((t - self.now()) as f64 / (PLAY_WALL_MS * 1000.0));
            let p = self.player()?;
            p.phase = Phase::Playing(t);
            p.play_speed = speed;
            self.playing = true;
            self.version += 1;
            return Ok(());
        }
        self.player()?.step = i;
        self.run_to(t);
        self.arrive()
    }

    /// Runs on to `t` (not before now), past the end of the timeline if need be.
    fn run_to(&mut self, t: Micros) {
        let before = self.traced();
        self.advance_to(t.max(self.now()));
        self.after_change(before);
        self.version += 1;
    }

    /// The first moment after now at which a trace event matches `pattern`, found on a copy
    /// of the run (within the pattern's `within_ms`).
    fn find(&self, pattern: &Pattern) -> Option<Micros> {
        let mut probe = self.probe();
        let limit = probe.now().saturating_add(pattern.within_us);
        loop {
            let before = probe.traced();
            if !probe.step_event() {
                return None;
            }
            let base = probe.trace_base;
            let trace = probe.trace.borrow();
            let from = before.saturating_sub(base) as usize;
            if let Some(e) = trace[from.min(trace.len())..]
                .iter()
                .find(|e| pattern.matches(e))
            {
                return (e.t_us <= limit).then_some(e.t_us);
            }
            if probe.now() > limit {
                return None;
            }
        }
    }

    /// A copy of the run at this moment, with its own trace, to look ahead.
    fn probe(&self) -> Model {
        let mut p = Model::new(self.recorded.clone());
        p.sim = self.sim.snapshot();
        p.applied = self.applied;
        p.end_us = self.sim.now();
        p.checkpoints.clear();
        p.attach_trace();
        p
    }

    /// The run reached the moment of the step shown: records it (first visit) and starts
    /// watching its task.
    fn arrive(&mut self) -> Result<(), String> {
        self.set_playing(false);
        let (now, applied) = (self.now(), self.applied);
        let traced = self.traced();
        let p = self.player()?;
        let m = Moment {
            run: p.run,
            t_us: now,
            applied,
        };
        if p.moments.len() == p.step {
            p.moments.push(m);
        } else if p.moments.len() > p.step {
            p.moments[p.step] = m;
            p.moments.truncate(p.step + 1);
        }
        p.phase = Phase::Shown;
        p.watched = traced;
        self.arrived()
    }

    /// A step is shown: the page applies its selection and panels.
    fn arrived(&mut self) -> Result<(), String> {
        let traced = self.traced();
        let p = self.player()?;
        p.arrivals += 1;
        p.watched = traced;
        self.version += 1;
        self.check_goal();
        Ok(())
    }

    /// Restores the recorded moment `m` exactly (reopening its run when another is shown).
    pub fn seek_moment(&mut self, m: Moment) {
        if let Some(mut player) = self.lesson.take() {
            // What the replay traces is not the reader's doing.
            player.watched = u64::MAX;
            if player.run != m.run {
                let old = player.run;
                player.runs[old] = self.full_scenario();
                let s = player.runs[m.run].clone();
                let (playing, end) = (self.playing, s.until_us);
                self.replace(Model::new(s));
                self.playing = playing;
                // The run went that far before: its moments may be shown.
                self.end_us = end;
                player.run = m.run;
            }
            self.lesson = Some(player);
        }
        self.seek_exact(m.t_us, Some(m.applied));
    }

    /// The lesson's part of a frame: the speed to play at, and the time not to pass.
    pub(super) fn lesson_limit(&self) -> Option<(f64, Micros)> {
        match self.lesson()?.phase {
            Phase::Playing(t) => Some((self.lesson()?.play_speed, t)),
            _ => None,
        }
    }

    /// After a frame: arrives when the moment played to is reached.
    pub(super) fn lesson_frame(&mut self) {
        if let Some((_, t)) = self.lesson_limit() {
            if self.now() >= t {
                if let Some(p) = self.lesson.as_deref_mut() {
                    p.step += 1;
                }
                let _ = self.arrive();
            }
        }
    }

    /// After the run changed: checks the goal of the task shown on the new trace events
    /// (or its facts); once met, the run pauses and the lesson may go on.
    pub(super) fn check_goal(&mut self) {
        let Some(task) = self.lesson_task().cloned() else {
            return;
        };
        let (step, watched, done) = {
            let p = self.lesson().expect("a lesson");
            (p.step, p.watched, p.task_done(p.step))
        };
        if done || watched == u64::MAX {
            return;
        }
        let Some(moment) = self.lesson().and_then(|p| p.moment(step)) else {
            return;
        };
        let met = match &task.goal {
            Goal::Pattern(pattern) => {
                let trace = self.trace.borrow();
                let from = watched.saturating_sub(self.trace_base) as usize;
                trace[from.min(trace.len())..]
                    .iter()
                    .find(|e| e.t_us >= moment.t_us && pattern.matches(e))
                    .map(|e| e.t_us)
            }
            Goal::Expect(facts) => {
                (self.now() > moment.t_us || self.applied > moment.applied)
                    && facts_hold(&self.sim, facts)
            }
            .then_some(self.now()),
        };
        let traced = self.traced();
        if let Some(p) = self.lesson.as_deref_mut() {
            p.watched = traced;
            if let Some(t) = met {
                p.goals[step] = Some(t);
                self.playing = false;
                self.version += 1;
            }
        }
    }

    /// Acting changed the run: moments after the step shown are no longer those of this run.
    pub(super) fn lesson_acted(&mut self) {
        if let Some(p) = self.lesson.as_deref_mut() {
            if p.phase == Phase::Shown {
                p.moments.truncate(p.step + 1);
                for g in p.goals.iter_mut().skip(p.step + 1) {
                    *g = None;
                }
            }
        }
    }
}

/// Whether the facts `facts` (an `expect` object) hold in `sim`. Only the facts the page
/// needs for task goals are read here; an unknown fact does not hold.
pub fn facts_hold(sim: &Simulation, facts: &Value) -> bool {
    let Some(facts) = facts.as_object() else {
        return false;
    };
    let ids = |v: &Value| -> Vec<NodeId> {
        v.as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|x| x.as_u64())
                    .map(|x| x as NodeId)
                    .collect()
            })
            .unwrap_or_default()
    };
    let leader = sim.leader();
    facts.iter().all(|(name, v)| match name.as_str() {
        "leader" => match v.as_u64() {
            Some(n) => leader == Some(n as NodeId),
            None => leader.is_none(),
        },
        "leader_exists" => *v == Value::Bool(leader.is_some()),
        "crashed" => ids(v).iter().all(|&n| !sim.is_alive(n)),
        "running" => ids(v).iter().all(|&n| sim.is_alive(n)),
        "term_at_least" => {
            let max = sim.nodes().iter().map(|n| n.term()).max().unwrap_or(0);
            v.as_u64().is_some_and(|t| max >= t)
        }
        "committed" => {
            let index = v.get("index").and_then(Value::as_u64).unwrap_or(u64::MAX);
            let on = v.get("on").map(ids).unwrap_or_default();
            on.iter().all(|&n| {
                sim.nodes()
                    .get((n as usize).wrapping_sub(1))
                    .is_some_and(|node| node.commit_index() >= index)
            })
        }
        _ => false,
    })
}

/// One piece of a step's text (`docs/lesson-format.md`, Text).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Span {
    /// Plain text.
    Text(String),
    /// `*emphasis*`.
    Em(String),
    /// `` `code` ``.
    Code(String),
    /// A link: its words and its address.
    Link(String, String),
}

/// The paper's address.
pub const PAPER_URL: &str = "https://raft.github.io/raft.pdf";
/// The thesis's address.
pub const THESIS_URL: &str = "https://github.com/ongardie/dissertation";

/// A step's text as paragraphs of spans. Nothing is HTML: the page shows every span as text.
pub fn markup(text: &str) -> Vec<Vec<Span>> {
    text.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(paragraph)
        .collect()
}

fn paragraph(p: &str) -> Vec<Span> {
    let mut out = Vec::new();
    let mut plain = String::new();
    let mut rest = p;
    while let Some(c) = rest.chars().next() {
        let closing = |mark: char| rest[1..].find(mark).filter(|&e| e > 0);
        let section = |s: &str| {
            let n = s
                .find(|c: char| !(c.is_ascii_digit() || c == '.'))
                .unwrap_or(s.len());
            let n = s[..n].trim_end_matches('.').len();
            (n > 0 && s.as_bytes()[0].is_ascii_digit()).then_some(n)
        };
        let (span, used) = match c {
            '*' | '`' => match closing(c) {
                Some(e) => {
                    let inner = rest[1..1 + e].to_string();
                    let span = if c == '*' {
                        Span::Em(inner)
                    } else {
                        Span::Code(inner)
                    };
                    (Some(span), e + 2)
                }
                None => (None, c.len_utf8()),
            },
            '§' => match section(&rest[2..]) {
                Some(n) => {
                    let words = &rest[..2 + n];
                    let thesis = plain.ends_with("thesis ");
                    if thesis {
                        plain.truncate(plain.len() - "thesis ".len());
                    }
                    let (words, url) = if thesis {
                        (format!("thesis {words}"), THESIS_URL)
                    } else {
                        (words.to_string(), PAPER_URL)
                    };
                    (Some(Span::Link(words, url.to_string())), 2 + n)
                }
                None => (None, c.len_utf8()),
            },
            _ => (None, c.len_utf8()),
        };
        match span {
            Some(s) => {
                if !plain.is_empty() {
                    out.push(Span::Text(std::mem::take(&mut plain)));
                }
                out.push(s);
            }
            None => plain.push_str(&rest[..used]),
        }
        rest = &rest[used..];
    }
    if !plain.is_empty() {
        out.push(Span::Text(plain));
    }
    out
}

impl Lesson {
    /// Reads a lesson file, or says what is wrong with it (naming the step and the field).
    pub fn parse(text: &str) -> Result<Lesson, String> {
        let v = json::parse(text).map_err(|e| e.to_string())?;
        Lesson::from_json(&v)
    }

    /// Whether a JSON document looks like a lesson rather than a scenario (it has `steps`).
    pub fn looks_like(text: &str) -> bool {
        json::parse(text.trim_start_matches('\u{feff}'))
            .ok()
            .is_some_and(|v| v.get("steps").is_some() && v.get("seed").is_none())
    }

    /// Reads a lesson from its JSON value.
    pub fn from_json(v: &Value) -> Result<Lesson, String> {
        let text = |v: &Value, path: &str, key: &str| -> Result<String, String> {
            v.get(key)
                .and_then(Value::as_str)
                .map(str::to_string)
                .ok_or_else(|| format!("{path}{key}: expected a string"))
        };
        let version = v.get("version").and_then(Value::as_u64);
        match version {
            Some(1) => {}
            Some(n) if n > 1 => {
                return Err(format!(
                    "version: this lesson is of format version {n}; this raftlab reads version 1"
                ))
            }
            _ => return Err("version: expected 1".into()),
        }
        let scenario = |v: &Value, path: &str| {
            Scenario::from_json(v).map_err(|e| format!("{path}scenario.{e}"))
        };
        let steps = v
            .get("steps")
            .and_then(Value::as_array)
            .filter(|s| !s.is_empty())
            .ok_or("steps: expected a list of at least one step")?;
        let mut out = Vec::new();
        for (i, s) in steps.iter().enumerate() {
            let title = s.get("title").and_then(Value::as_str).unwrap_or("");
            let path = format!("step {} ({title}): ", i + 1);
            out.push(Step::from_json(s, &path, &text, &scenario)?);
        }
        let topics = v
            .get("topics")
            .and_then(Value::as_array)
            .map(|a| {
                a.iter()
                    .filter_map(|t| t.as_str().map(str::to_string))
                    .collect()
            })
            .unwrap_or_default();
        let id = text(v, "", "id")?;
        if id.is_empty()
            || id.len() > 40
            || !id
                .bytes()
                .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
        {
            return Err("id: expected lowercase letters, digits and -, 1 to 40 characters".into());
        }
        Ok(Lesson {
            id,
            title: text(v, "", "title")?,
            summary: text(v, "", "summary")?,
            topics,
            scenario: scenario(v.get("scenario").ok_or("scenario: missing")?, "")?,
            steps: out,
        })
    }
}

type TextField<'a> = dyn Fn(&Value, &str, &str) -> Result<String, String> + 'a;
type ScenarioField<'a> = dyn Fn(&Value, &str) -> Result<Scenario, String> + 'a;

fn pattern(v: &Value, path: &str) -> Result<Pattern, String> {
    if v.get("kind").and_then(Value::as_str).is_none() {
        return Err(format!("{path}kind: a pattern needs a trace kind"));
    }
    let within_us = v
        .get("within_ms")
        .and_then(Value::as_f64)
        .map_or(DEFAULT_WITHIN_US, |ms| (ms * 1000.0).round() as Micros);
    Ok(Pattern {
        fields: v.clone(),
        within_us,
    })
}

impl Step {
    fn from_json(
        s: &Value,
        path: &str,
        text: &TextField,
        scenario: &ScenarioField,
    ) -> Result<Step, String> {
        let ms = |v: &Value| v.as_f64().map(|x| (x * 1000.0).round() as Micros);
        let until = s.get("until").ok_or(format!("{path}until: missing"))?;
        let until = if let Some(t) = until.get("at_ms") {
            Until::At(ms(t).ok_or(format!("{path}until.at_ms: expected a time"))?)
        } else if let Some(t) = until.get("after_ms") {
            Until::After(ms(t).ok_or(format!("{path}until.after_ms: expected a time"))?)
        } else {
            Until::Pattern(pattern(until, &format!("{path}until."))?)
        };
        let nodes = |v: Option<&Value>| -> Vec<NodeId> {
            v.and_then(Value::as_array)
                .map(|a| {
                    a.iter()
                        .filter_map(|x| x.as_u64())
                        .map(|x| x as NodeId)
                        .collect()
                })
                .unwrap_or_default()
        };
        let h = s.get("highlight");
        let hl = |k: &str| h.and_then(|h| h.get(k)).and_then(Value::as_array);
        let highlight = Highlight {
            nodes: nodes(h.and_then(|h| h.get("nodes"))),
            entries: hl("entries")
                .map(|a| {
                    a.iter()
                        .filter_map(|e| {
                            Some((
                                e.get("node")?.as_u64()? as NodeId,
                                e.get("index")?.as_u64()?,
                            ))
                        })
                        .collect()
                })
                .unwrap_or_default(),
            messages: hl("messages")
                .map(|a| {
                    a.iter()
                        .filter_map(|m| m.as_str().map(str::to_string))
                        .collect()
                })
                .unwrap_or_default(),
            links: hl("links")
                .map(|a| {
                    a.iter()
                        .filter_map(|l| {
                            let l = nodes(Some(l));
                            (l.len() == 2).then(|| (l[0], l[1]))
                        })
                        .collect()
                })
                .unwrap_or_default(),
        };
        let select = s.get("select").and_then(|v| {
            Some((
                v.get("node")?.as_u64()? as NodeId,
                v.get("index").and_then(Value::as_u64),
            ))
        });
        let panels = s.get("panels").and_then(Value::as_array).map(|a| {
            a.iter()
                .filter_map(|p| p.as_str().map(str::to_string))
                .collect()
        });
        let question = match s.get("question") {
            None => None,
            Some(q) => {
                let qp = format!("{path}question.");
                let choices: Vec<String> = q
                    .get("choices")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|c| c.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default();
                if !(2..=6).contains(&choices.len()) {
                    return Err(format!("{qp}choices: expected 2 to 6 choices"));
                }
                let answer = q
                    .get("answer")
                    .and_then(Value::as_u64)
                    .map(|a| a as usize)
                    .filter(|&a| a < choices.len())
                    .ok_or(format!("{qp}answer: expected the index of a choice"))?;
                Some(Question {
                    prompt: text(q, &qp, "prompt")?,
                    choices,
                    answer,
                    why: text(q, &qp, "why")?,
                })
            }
        };
        let task = match s.get("task") {
            None => None,
            Some(t) => {
                let tp = format!("{path}task.");
                let g = t.get("goal").ok_or(format!("{tp}goal: missing"))?;
                let goal = match g.get("expect") {
                    Some(e) => Goal::Expect(e.clone()),
                    None => Goal::Pattern(pattern(g, &format!("{tp}goal."))?),
                };
                let mut show_me = Vec::new();
                for (k, a) in t
                    .get("show_me")
                    .and_then(Value::as_array)
                    .into_iter()
                    .flatten()
                    .enumerate()
                {
                    let mut obj = a.as_object().cloned().unwrap_or_default();
                    obj.insert("at_ms".into(), Value::from(0u64));
                    let action = raftlab_sim::scenario::parse_action(
                        &format!("{tp}show_me[{k}]"),
                        &Value::Object(obj),
                        raftlab_sim::scenario::MAX_NODES,
                    )
                    .map_err(|e| e.to_string())?;
                    show_me.push(action.action);
                }
                Some(Task {
                    prompt: text(t, &tp, "prompt")?,
                    goal,
                    show_me,
                    within_us: t.get("within_ms").and_then(ms).unwrap_or(DEFAULT_WITHIN_US),
                })
            }
        };
        Ok(Step {
            title: text(s, path, "title")?,
            text: text(s, path, "text")?,
            notes: s.get("notes").and_then(Value::as_str).map(str::to_string),
            until,
            scenario: s.get("scenario").map(|v| scenario(v, path)).transpose()?,
            highlight,
            select,
            panels,
            question,
            task,
        })
    }
}

/// A lesson as the list of lessons shows it (`lessons/index.json`).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LessonInfo {
    /// Its id.
    pub id: String,
    /// Its title.
    pub title: String,
    /// Its summary.
    pub summary: String,
    /// The sections it teaches.
    pub topics: Vec<String>,
    /// How many steps it has.
    pub steps: usize,
}

/// Reads `lessons/index.json`: `[{id, title, summary, topics, steps}]`.
pub fn parse_index(text: &str) -> Result<Vec<LessonInfo>, String> {
    let v = json::parse(text).map_err(|e| format!("lessons/index.json: {e}"))?;
    let list = v
        .as_array()
        .ok_or("lessons/index.json: expected a list of lessons")?;
    list.iter()
        .enumerate()
        .map(|(i, l)| {
            let s = |k: &str| {
                l.get(k)
                    .and_then(Value::as_str)
                    .map(str::to_string)
                    .ok_or_else(|| format!("lessons/index.json: [{i}].{k}: expected a string"))
            };
            Ok(LessonInfo {
                id: s("id")?,
                title: s("title")?,
                summary: s("summary")?,
                topics: l
                    .get("topics")
                    .and_then(Value::as_array)
                    .map(|a| {
                        a.iter()
                            .filter_map(|t| t.as_str().map(str::to_string))
                            .collect()
                    })
                    .unwrap_or_default(),
                steps: l.get("steps").and_then(Value::as_u64).unwrap_or(0) as usize,
            })
        })
        .collect()
}

/// Whether `id` can be a lesson's id (lowercase letters, digits and `-`, 1 to 40).
pub fn valid_lesson_id(id: &str) -> bool {
    (1..=40).contains(&id.len())
        && id
            .bytes()
            .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
}

/// Reads a lesson's URL fragment, `lesson=<id>&step=<n>` (step from 1, default 1): the id
/// and the step from 0. `None` when the fragment is not a lesson's; `Err` says what is wrong.
pub fn parse_lesson_fragment(fragment: &str) -> Option<Result<(String, usize), String>> {
    let fragment = fragment.strip_prefix('#').unwrap_or(fragment);
    let rest = fragment.strip_prefix("lesson=")?;
    let (id, tail) = rest.split_once('&').unwrap_or((rest, ""));
    if !valid_lesson_id(id) {
        return Some(Err(format!(
            "This lesson link names no lesson: \"{}\" is not a lesson id.",
            id.chars().take(40).collect::<String>()
        )));
    }
    let mut step = 0;
    for pair in tail.split('&').filter(|p| !p.is_empty()) {
        if let Some(("step", n)) = pair.split_once('=') {
            match n.parse::<usize>() {
                Ok(n) if n >= 1 => step = n - 1,
                _ => {
                    return Some(Err(format!(
                        "This lesson link's step \"{}\" is not a step number (1, 2, ...).",
                        n.chars().take(20).collect::<String>()
                    )))
                }
            }
        }
    }
    Some(Ok((id.to_string(), step)))
}

/// The URL fragment of a lesson's step (from 0): `lesson=<id>&step=<n>`.
pub fn lesson_fragment(id: &str, step: usize) -> String {
    format!("lesson={id}&step={}", step + 1)
}

/// Progress remembered per lesson: `id:step,id:step` (the furthest step reached, from 1).
pub fn parse_progress(text: &str) -> Vec<(String, usize)> {
    text.split(',')
        .filter_map(|p| {
            let (id, n) = p.split_once(':')?;
            Some((id.to_string(), n.parse().ok()?))
        })
        .filter(|(id, _)| valid_lesson_id(id))
        .collect()
}

/// `progress` with lesson `id` at step `step` (from 1), when further than before.
pub fn with_progress(progress: &str, id: &str, step: usize) -> String {
    let mut list = parse_progress(progress);
    match list.iter_mut().find(|(i, _)| i == id) {
        Some(entry) => entry.1 = entry.1.max(step),
        None => list.push((id.to_string(), step)),
    }
    list.iter()
        .map(|(i, n)| format!("{i}:{n}"))
        .collect::<Vec<_>>()
        .join(",")
}

impl Model {
    /// What the step shown emphasises (none while playing on to the next one).
    pub fn emphasis(&self) -> Option<&Highlight> {
        let p = self.lesson()?;
        matches!(p.phase, Phase::Shown | Phase::Asking).then(|| &p.current().highlight)
    }
}

/// What the notes window shows: the lesson's title, each step's title and notes, and the
/// step shown.
#[derive(Clone, Debug, PartialEq)]
pub struct Notes {
    /// The lesson's title.
    pub title: String,
    /// Each step's title and notes.
    pub steps: Vec<(String, Option<String>)>,
    /// The step shown (from 0).
    pub step: usize,
}
