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

pub use raftlab_sim::lesson::{
    Goal, Highlight, Lesson, Pattern, Question, Select, Step, Task, Until,
};

/// Whether a JSON text looks like a lesson rather than a scenario (it has `steps` and no
/// `seed`): the Files panel and drops open it as a lesson.
pub fn looks_like_lesson(text: &str) -> bool {
    json::parse(text.trim_start_matches('\u{feff}'))
        .ok()
        .is_some_and(|v| v.get("steps").is_some() && v.get("seed").is_none())
}

/// Reads a lesson file, or says what is wrong with it (naming the step and the field).
pub fn read_lesson(text: &str) -> Result<Lesson, String> {
    Lesson::parse(text.trim_start_matches('\u{feff}')).map_err(|e| e.to_string())
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
        if let Err(e) = self.reach(0, false) {
            // No first moment: no lesson (the run is the lesson's, at its start).
            self.lesson = None;
            return Err(e);
        }
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
            until => until
                .find(&self.sim, &self.recorded.events[self.applied..])
                .ok(),
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
            Goal::Event(pattern) => {
                let trace = self.trace.borrow();
                let from = watched.saturating_sub(self.trace_base) as usize;
                trace[from.min(trace.len())..]
                    .iter()
                    .find(|e| e.t_us >= moment.t_us && pattern.matches(e))
                    .map(|e| e.t_us)
            }
            Goal::Expect(facts) => {
                (self.now() > moment.t_us || self.applied > moment.applied)
                    && facts.check(&self.sim, &self.history()).is_ok()
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
