//! The page's state: the shared model plus the view's own choices (`Ui`), what can happen
//! to it (`UiAction`) and the reducer. It depends on the model only: the views and the
//! platform adapters (scripting API, share links, files, embed) depend on it, never the
//! other way round, and `app.rs` puts them together.

use crate::geometry::ms1;
use crate::model::{link_of, open_link, Fork, Lesson, LessonInfo, Model, Notes};
use raftlab_raft::{Micros, NodeId};
use raftlab_sim::scenario::{Action, ConfigPatch, Scenario, SimConfig};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use yew::prelude::*;

thread_local! {
    static MODEL: Rc<RefCell<Model>> =
        Rc::new(RefCell::new(Model::with_seed(fresh_seed(), 5, SimConfig::default())));
    static AFTER_ACTION: Cell<fn()> = const { Cell::new(|| {}) };
}

/// The model shared by the page and the scripting API.
pub fn shared_model() -> Rc<RefCell<Model>> {
    MODEL.with(Rc::clone)
}

/// Sets what runs after every action the reducer handled (the scripting API delivers new
/// trace events to its listeners then).
pub fn set_after_action(f: fn()) {
    AFTER_ACTION.with(|a| a.set(f));
}

/// A fresh seed from the browser's random generator.
pub fn fresh_seed() -> u64 {
    let mut bytes = [0u8; 4];
    // Seeds are kept below 2^32 so they are short to read and type.
    if getrandom::fill(&mut bytes).is_err() {
        return 1;
    }
    u32::from_le_bytes(bytes) as u64
}

/// What the reader selected: its details are shown in one place, the Details section.
///
/// A server, one of its log entries, or a message in flight (by its id, as in the trace:
/// a click on it in the picture or a "Messages on the wire" button selects it, and the
/// Deliver now, Drop and Duplicate buttons act on it). The details panel
/// (`view/details.rs`) shows the facts the model has for each, and the simulator's
/// explanation.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Selection {
    /// Nothing selected.
    #[default]
    None,
    /// A server.
    Node(NodeId),
    /// Entry `index` (absolute, as in the paper) of server `node`'s log.
    Entry { node: NodeId, index: u64 },
    /// A message in flight, by its id.
    Message(u64),
}

impl Selection {
    /// The server the selection is about (a server, or the owner of a log entry): the node
    /// actions and the keyboard shortcuts act on it.
    pub fn node(self) -> Option<NodeId> {
        match self {
            Selection::Node(n) | Selection::Entry { node: n, .. } => Some(n),
            Selection::None | Selection::Message(_) => None,
        }
    }
}

/// The page's colour theme: the system's, or one chosen with the toggle.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Theme {
    /// `prefers-color-scheme`.
    #[default]
    System,
    /// Light.
    Light,
    /// Dark.
    Dark,
}

/// Everything the view shows: the shared model plus view-only choices.
#[derive(Clone)]
pub struct Ui {
    /// The model (shared with `window.raftlab`).
    pub model: Rc<RefCell<Model>>,
    /// The model's version when this value was made: a new version means a new render.
    pub version: u64,
    /// What is selected (shown in the Details section).
    pub selection: Selection,
    /// The collapsible sections that are open, by name (`view::SECTIONS`).
    pub open: Vec<&'static str>,
    /// Whether the one-line introduction is shown (first visit, until dismissed).
    pub intro: bool,
    /// The colour theme.
    pub theme: Theme,
    /// Whether the keyboard help is open.
    pub help: bool,
    /// Event-log filter: a node, or all.
    pub filter_node: Option<NodeId>,
    /// Event-log filter: a category, or all.
    pub filter_kind: Option<&'static str>,
    /// A message for the user (bad input, what happened).
    pub notice: Option<String>,
    /// A share link to copy to the clipboard (by an effect, which can dispatch), numbered so
    /// that copying the same link twice copies it twice: its URL fragment, and what it opens
    /// in words.
    pub link: Option<(u32, String, String)>,
    /// The list of lessons (`lessons/index.json`), once fetched.
    pub lessons: Option<Rc<Vec<LessonInfo>>>,
    /// Whether the list of lessons is open.
    pub lessons_open: bool,
    /// Presenter mode: the picture and the logs fill the screen, the step's text is a
    /// caption.
    pub present: bool,
    /// The lesson arrivals whose selection and panels were applied (`Player::arrivals`).
    pub arrivals: u64,
    /// The presenter's notes window (`?present&notes`): what the presenter sent.
    pub notes: Option<Rc<Notes>>,
}

impl PartialEq for Ui {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model)
            && self.version == other.version
            && self.selection == other.selection
            && self.open == other.open
            && self.intro == other.intro
            && self.theme == other.theme
            && self.help == other.help
            && self.filter_node == other.filter_node
            && self.filter_kind == other.filter_kind
            && self.notice == other.notice
            && self.link == other.link
            && self.lessons_open == other.lessons_open
            && self.present == other.present
            && self.arrivals == other.arrivals
            && self.notes == other.notes
            && match (&self.lessons, &other.lessons) {
                (Some(a), Some(b)) => Rc::ptr_eq(a, b),
                (a, b) => a.is_none() && b.is_none(),
            }
    }
}

/// What can happen to the page.
pub enum UiAction {
    /// The model was changed from outside (the scripting API).
    Refresh,
    /// Play or pause.
    TogglePlay,
    /// Run to the next event.
    Step,
    /// Set the playback speed.
    Speed(f64),
    /// Act on the cluster (in the past: forks the run).
    Act(Action),
    /// Show another moment of the run (time travel).
    Seek(Micros),
    /// Go back to the previous moment at which something happened.
    StepBack,
    /// Open a share link (the URL fragment); a bad one leaves the run as it is.
    OpenLink(String),
    /// Put the share link of the run in the address bar and the clipboard.
    CopyLink,
    /// Change settings.
    Configure(ConfigPatch),
    /// Start over with this seed and cluster size.
    Restart(u64, u32),
    /// Select a server, a log entry, a message, or nothing.
    Select(Selection),
    /// Open or close a collapsible section (by name).
    Section(&'static str, bool),
    /// Hide the introduction (for good: the app remembers it).
    DismissIntro,
    /// Choose the colour theme.
    SetTheme(Theme),
    /// Open or close the keyboard help.
    Help(bool),
    /// Filter the event log by node.
    FilterNode(Option<NodeId>),
    /// Filter the event log by kind.
    FilterKind(Option<&'static str>),
    /// Show a message.
    Notice(Option<String>),
    /// Replace the run by this scenario, from its start (an opened file, Reset in embed
    /// mode), with an optional message.
    Load(Box<Scenario>, Option<String>),
    /// Open or close the list of lessons.
    ShowLessons(bool),
    /// The list of lessons arrived.
    LessonIndex(Rc<Vec<LessonInfo>>),
    /// Open a lesson at a step (from 0).
    OpenLesson(Box<Lesson>, usize),
    /// Act in the lesson being played.
    Lesson(LessonAction),
    /// Presenter mode on or off.
    Present(bool),
    /// The presenter window sent where its lesson is (the notes window).
    Notes(Rc<Notes>),
}

/// What the reader does in a lesson.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LessonAction {
    /// Continue (with its question, then playing on).
    Next,
    /// Back to the previous step's moment.
    Back,
    /// Jump to a step (from 0).
    Goto(usize),
    /// Answer the question (`None`: "Just show me").
    Answer(Option<usize>),
    /// "Show me" the task.
    ShowMe,
    /// Leave the lesson, keeping the run ("Explore from here").
    Close,
}

/// The sections of the full page for a lesson's `panels` names.
fn section_of(panel: &str) -> Option<&'static str> {
    Some(match panel {
        "kv" => "Key-value stores",
        "events" => "Event log",
        "safety" => "Safety",
        "network" => "Network",
        "client" => "Client",
        "settings" => "Settings",
        "legend" => "Legend",
        "history" => "Client history",
        "diagram" => "Space-time diagram",
        _ => return None,
    })
}

impl Reducible for Ui {
    type Action = UiAction;

    fn reduce(self: Rc<Self>, action: UiAction) -> Rc<Self> {
        let mut next = (*self).clone();
        {
            let mut m = self.model.borrow_mut();
            match action {
                UiAction::Refresh => {}
                UiAction::TogglePlay => {
                    let playing = !m.playing;
                    m.set_playing(playing);
                }
                UiAction::Step => {
                    m.set_playing(false);
                    m.step_event();
                }
                UiAction::Speed(x) => m.set_speed(x),
                // What this run's system cannot do is refused in words, and not recorded.
                UiAction::Act(a) => {
                    next.notice = match a.refusal(m.sim().system()) {
                        Some(why) => Some(format!("Not done: {why}.")),
                        None => m.act(a).map(fork_notice).or(next.notice),
                    }
                }
                UiAction::Configure(p) => {
                    next.notice = match Action::Set(p.clone()).refusal(m.sim().system()) {
                        Some(why) => Some(format!("Not done: {why}.")),
                        None => m.configure(p).map(fork_notice).or(next.notice),
                    }
                }
                UiAction::Seek(t) => {
                    m.set_playing(false);
                    m.seek(t);
                }
                UiAction::StepBack => {
                    m.set_playing(false);
                    m.step_back();
                }
                UiAction::OpenLink(text) => {
                    next.notice = Some(match open_link(&mut m, &text) {
                        Ok(said) => {
                            next.selection = Selection::None;
                            said
                        }
                        Err(problem) => problem,
                    });
                }
                UiAction::CopyLink => {
                    // The app puts it in the address bar and the clipboard (share.rs). In a
                    // lesson, the link is the step's (the address bar already shows it):
                    // it opens the lesson there, which is what a teacher shares.
                    let (link, opens) = match m.lesson() {
                        Some(p) => (
                            crate::model::lesson_fragment(&p.lesson.id, p.step),
                            format!(
                                "the lesson \u{201c}{}\u{201d} at step {}",
                                p.lesson.title,
                                p.step + 1
                            ),
                        ),
                        None => (link_of(&m), "this run at this moment".to_string()),
                    };
                    let n = next.link.as_ref().map_or(0, |l| l.0 + 1);
                    next.link = Some((n, link, opens));
                }
                UiAction::ShowLessons(open) => next.lessons_open = open,
                UiAction::LessonIndex(list) => next.lessons = Some(list),
                UiAction::OpenLesson(lesson, step) => {
                    next.lessons_open = false;
                    next.selection = Selection::None;
                    next.notice = m.open_lesson(*lesson, step).err();
                }
                UiAction::Lesson(a) => {
                    let done = match a {
                        LessonAction::Next => m.lesson_next(true),
                        LessonAction::Back => m.lesson_back(),
                        LessonAction::Goto(i) => m.lesson_goto(i),
                        LessonAction::Answer(c) => m.lesson_answer(c, true),
                        LessonAction::ShowMe => m.show_me(false),
                        LessonAction::Close => {
                            m.close_lesson();
                            next.present = false;
                            Ok(())
                        }
                    };
                    next.notice = done.err();
                }
                UiAction::Present(on) => next.present = on,
                UiAction::Notes(n) => next.notes = Some(n),
                UiAction::Restart(seed, nodes) => {
                    m.close_lesson();
                    m.restart(seed, nodes);
                    next.selection = Selection::None;
                    next.notice = Some(format!("New run: seed {seed}, {nodes} nodes"));
                }
                UiAction::Select(s) => next.selection = s,
                UiAction::Section(name, open) => {
                    next.open.retain(|&n| n != name);
                    if open {
                        next.open.push(name);
                    }
                }
                UiAction::DismissIntro => next.intro = false,
                UiAction::SetTheme(theme) => next.theme = theme,
                UiAction::Help(open) => next.help = open,
                UiAction::FilterNode(n) => next.filter_node = n,
                UiAction::FilterKind(k) => next.filter_kind = k,
                UiAction::Notice(n) => next.notice = n,
                UiAction::Load(scenario, message) => {
                    m.close_lesson();
                    m.load(*scenario);
                    next.selection = Selection::None;
                    if message.is_some() {
                        next.notice = message;
                    }
                }
            }
            // A lesson's step shown for the first time (or again): its selection and
            // panels.
            if let Some(p) = m.lesson() {
                if p.arrivals != next.arrivals {
                    next.arrivals = p.arrivals;
                    let step = p.current();
                    if let Some(sel) = step.select {
                        next.selection = match sel.index {
                            Some(index) => Selection::Entry {
                                node: sel.node,
                                index,
                            },
                            None => Selection::Node(sel.node),
                        };
                    }
                    if let Some(panels) = &step.panels {
                        next.open = panels.iter().filter_map(|p| section_of(p)).collect();
                    }
                }
            }
            next.version = m.version;
        }
        AFTER_ACTION.with(|f| f.get()());
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// What the page says when acting in the past forked the run.
fn fork_notice(f: Fork) -> String {
    format!(
        "You changed the past: the run now goes on from {} ms, and what had happened after it (up to {} ms) is gone.",
        ms1(f.at_us),
        ms1(f.old_end_us)
    )
}
