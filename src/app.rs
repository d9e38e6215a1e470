//! The root component: the reducer that owns the model, the animation-frame loop and the
//! keyboard shortcuts.

use crate::geometry::ms1;
use crate::model::{Model, SPEED_RANGE};
use crate::view;
use gloo_render::{request_animation_frame, AnimationFrame};
use raftlab_raft::{Micros, NodeId};
use raftlab_sim::scenario::{Action, ConfigPatch, Scenario, Target};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Longest wall time one frame may account for: a tab coming back from the background does
/// not make the simulation jump.
const MAX_FRAME_MS: f64 = 100.0;
/// Shortest wall time between two redraws of the canvas while playing.
const CANVAS_FRAME_MS: f64 = 33.0;

/// Everything the view shows: the shared model plus view-only choices.
#[derive(Clone)]
pub struct Ui {
    /// The model (shared with `window.raftlab`).
    pub model: Rc<RefCell<Model>>,
    /// The model's version when this value was made: a new version means a new render.
    pub version: u64,
    /// The node whose actions are shown.
    pub selected: Option<NodeId>,
    /// Whether the keyboard help is open.
    pub help: bool,
    /// Event-log filter: a node, or all.
    pub filter_node: Option<NodeId>,
    /// Event-log filter: a category, or all.
    pub filter_kind: Option<&'static str>,
    /// A message for the user (bad input, what happened).
    pub notice: Option<String>,
    /// A share link to copy to the clipboard (by an effect, which can dispatch), numbered so
    /// that copying the same link twice copies it twice.
    pub link: Option<(u32, String)>,
}

impl PartialEq for Ui {
    fn eq(&self, other: &Self) -> bool {
        Rc::ptr_eq(&self.model, &other.model)
            && self.version == other.version
            && self.selected == other.selected
            && self.help == other.help
            && self.filter_node == other.filter_node
            && self.filter_kind == other.filter_kind
            && self.notice == other.notice
            && self.link == other.link
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
    /// Select a node (or none).
    Select(Option<NodeId>),
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
                UiAction::Act(a) => next.notice = m.act(a).map(fork_notice).or(next.notice),
                UiAction::Configure(p) => {
                    next.notice = m.configure(p).map(fork_notice).or(next.notice)
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
                    next.notice = Some(match crate::share::open(&mut m, &text) {
                        Ok(said) => {
                            next.selected = None;
                            said
                        }
                        Err(problem) => problem,
                    });
                }
                UiAction::CopyLink => {
                    let link = crate::share::link_of(&m);
                    crate::share::set_fragment(&link);
                    let n = next.link.as_ref().map_or(0, |l| l.0 + 1);
                    next.link = Some((n, link));
                }
                UiAction::Restart(seed, nodes) => {
                    m.restart(seed, nodes);
                    next.selected = None;
                    next.notice = Some(format!("New run: seed {seed}, {nodes} nodes"));
                }
                UiAction::Select(n) => next.selected = n,
                UiAction::Help(open) => next.help = open,
                UiAction::FilterNode(n) => next.filter_node = n,
                UiAction::FilterKind(k) => next.filter_kind = k,
                UiAction::Notice(n) => next.notice = n,
                UiAction::Load(scenario, message) => {
                    m.load(*scenario);
                    next.selected = None;
                    if message.is_some() {
                        next.notice = message;
                    }
                }
            }
            next.version = m.version;
        }
        crate::api::schedule_delivery();
        if next == *self {
            self
        } else {
            Rc::new(next)
        }
    }
}

/// What the page says when acting in the past forked the run.
fn fork_notice(f: crate::model::Fork) -> String {
    format!(
        "You changed the past: the run now goes on from {} ms, and what had happened after it (up to {} ms) is gone.",
        ms1(f.at_us),
        ms1(f.old_end_us)
    )
}

/// The animation-frame loop's state.
#[derive(Default)]
struct FrameLoop {
    handle: RefCell<Option<AnimationFrame>>,
    last_frame: Cell<Option<f64>>,
    last_draw: Cell<Option<f64>>,
}

fn schedule_frame(state: Rc<FrameLoop>, dispatcher: UseReducerDispatcher<Ui>) {
    let next = state.clone();
    let frame = request_animation_frame(move |t| {
        if let Some(previous) = next.last_frame.replace(Some(t)) {
            // Advance the clock directly (no dispatch per frame: most frames change nothing
            // the DOM shows); render only when the model's version moved.
            let model = crate::api::shared_model();
            let (happened, rerender) = match model.try_borrow_mut() {
                Ok(mut m) => {
                    let version = m.version;
                    let happened = m.frame((t - previous).min(MAX_FRAME_MS));
                    (happened, m.version != version)
                }
                Err(_) => (false, false),
            };
            if happened {
                crate::api::schedule_delivery();
            }
            if rerender {
                dispatcher.dispatch(UiAction::Refresh);
            }
            // The moving parts are redrawn at most every CANVAS_FRAME_MS: smooth enough at
            // teaching speeds, for a fraction of the main thread's time.
            let due = next
                .last_draw
                .get()
                .is_none_or(|d| t - d >= CANVAS_FRAME_MS);
            if let Ok(m) = model.try_borrow() {
                if due && m.playing && !reduced_motion() {
                    crate::canvas::draw(&m);
                    next.last_draw.set(Some(t));
                }
            };
        }
        schedule_frame(next, dispatcher);
    });
    *state.handle.borrow_mut() = Some(frame);
}

/// Whether the reader asked for less motion: then the canvas is redrawn only when something
/// happens, so messages jump from event to event instead of gliding.
fn reduced_motion() -> bool {
    thread_local! {
        static REDUCED: bool = web_sys::window()
            .and_then(|w| w.match_media("(prefers-reduced-motion: reduce)").ok().flatten())
            .is_some_and(|q| q.matches());
    }
    REDUCED.with(|r| *r)
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

/// The page's root.
#[component]
pub fn App() -> Html {
    let ui = use_reducer(|| {
        let model = crate::api::shared_model();
        let version = model.borrow().version;
        Ui {
            model,
            version,
            selected: None,
            help: false,
            filter_node: None,
            filter_kind: None,
            // Bad page options (embed.rs) are reported when the page opens.
            notice: match (
                crate::embed::startup_notice(),
                crate::share::startup_notice(),
            ) {
                (Some(a), Some(b)) => Some(format!("{b} {a}")),
                (a, b) => b.or(a),
            },
            link: None,
        }
    });

    // Copying a share link to the clipboard answers later (a promise): done in an effect,
    // which holds a dispatcher for the answer.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with(ui.link.clone(), move |link| {
            if let Some((_, link)) = link.clone() {
                crate::share::copy(link, dispatcher);
            }
        });
    }

    // A share link pasted into this tab's address bar opens its run (the link the page was
    // opened with was read before the first render, by main). The listener is removed in
    // the cleanup.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with((), move |_| {
            let listener =
                gloo_events::EventListener::new(&gloo_utils::window(), "hashchange", move |_| {
                    if let Some(fragment) = crate::share::current_fragment() {
                        dispatcher.dispatch(UiAction::OpenLink(fragment));
                    }
                });
            move || drop(listener)
        });
    }

    // The scripting API re-renders through this dispatcher.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with((), move |_| {
            crate::api::set_refresh(Callback::from(move |_| {
                dispatcher.dispatch(UiAction::Refresh)
            }));
            || crate::api::clear_refresh()
        });
    }

    // The animation-frame loop: each frame advances the logical clock by the elapsed wall
    // time times the speed, and redraws the moving parts. The handle lives in the effect and
    // is dropped in its cleanup.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with((), move |_| {
            let state = Rc::new(FrameLoop::default());
            schedule_frame(state.clone(), dispatcher);
            move || {
                state.handle.borrow_mut().take();
            }
        });
    }

    // After every render (a step, an action while paused, a new run), draw the moment.
    {
        let model = ui.model.clone();
        use_effect_with(ui.version, move |_| {
            if let Ok(m) = model.try_borrow() {
                crate::canvas::draw(&m);
            }
        });
    }

    // Keyboard shortcuts anywhere on the page; the listener is rebuilt with the state it
    // reads and removed in the cleanup.
    {
        let handle = ui.clone();
        use_effect_with(ui.clone(), move |_| {
            let listener =
                // Not passive: a handled shortcut (Space) must not also scroll the page.
                gloo_events::EventListener::new_with_options(
                    &gloo_utils::document(),
                    "keydown",
                    gloo_events::EventListenerOptions::enable_prevent_default(),
                    move |e| {
                        if let Some(e) = e.dyn_ref::<KeyboardEvent>() {
                            shortcut(&handle, e.clone());
                        }
                    },
                );
            move || drop(listener)
        });
    }

    // Files dropped on the page (files.rs) and height reports to a host page (embed.rs),
    // for the page's life.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with((), move |_| {
            let drops = crate::files::accept_drops(dispatcher);
            let heights = crate::embed::report_height();
            move || drop((drops, heights))
        });
    }

    html! {
        <div class="app">
            { view::page(&ui) }
        </div>
    }
}

fn in_text_field(e: &KeyboardEvent) -> bool {
    e.target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| {
            let tag = el.tag_name().to_ascii_lowercase();
            tag == "input" || tag == "select" || tag == "textarea"
        })
}

/// The keyboard shortcuts (listed in the help overlay, `view::SHORTCUTS`).
fn shortcut(ui: &UseReducerHandle<Ui>, e: KeyboardEvent) {
    // A read-only embed is an illustration: no key changes it.
    if crate::embed::options().readonly || e.ctrl_key() || e.meta_key() || e.alt_key() {
        return;
    }
    let key = e.key();
    if key == "Escape" {
        ui.dispatch(if ui.help {
            UiAction::Help(false)
        } else {
            UiAction::Select(None)
        });
        return;
    }
    if in_text_field(&e) {
        return;
    }
    // `nodes`: the servers running now (1 to 9 select one); a new run starts with as many as
    // this one started with.
    let (speed, nodes, start_nodes, seed) = {
        let m = ui.model.borrow();
        (
            m.speed,
            m.sim().nodes().len() as u32,
            m.start_nodes(),
            m.sim().seed(),
        )
    };
    // A server selected before going back in time to when it did not run yet is ignored
    // (an action on it would name a server the run does not have at that moment).
    let selected = ui.selected.filter(|&n| n <= nodes);
    let act_on = |f: fn(Target) -> Action| {
        if let Some(n) = selected {
            ui.dispatch(UiAction::Act(f(Target::Node(n))));
        }
    };
    match key.as_str() {
        "?" => ui.dispatch(UiAction::Help(!ui.help)),
        " " | "p" => ui.dispatch(UiAction::TogglePlay),
        "." | "ArrowRight" => ui.dispatch(UiAction::Step),
        "," | "ArrowLeft" => ui.dispatch(UiAction::StepBack),
        "Home" => ui.dispatch(UiAction::Seek(0)),
        "End" => {
            let end = ui.model.borrow().end();
            ui.dispatch(UiAction::Seek(end));
        }
        "+" | "=" => ui.dispatch(UiAction::Speed((speed * 2.0).min(SPEED_RANGE.1))),
        "-" | "_" => ui.dispatch(UiAction::Speed((speed / 2.0).max(SPEED_RANGE.0))),
        "c" => act_on(Action::Crash),
        "r" => act_on(Action::Restart),
        "t" => act_on(Action::Timeout),
        "i" => act_on(Action::Isolate),
        "h" => ui.dispatch(UiAction::Act(Action::Heal)),
        "w" => {
            let n = view::next_write_number(&ui.model.borrow());
            ui.dispatch(UiAction::Act(Action::ClientWrite {
                node: selected.map(Target::Node),
                key: "x".into(),
                value: n.to_string(),
            }))
        }
        "0" => ui.dispatch(UiAction::Restart(seed, start_nodes)),
        "n" => ui.dispatch(UiAction::Restart(fresh_seed(), start_nodes)),
        k if k.len() == 1 && k.as_bytes()[0].is_ascii_digit() => {
            let n = (k.as_bytes()[0] - b'0') as NodeId;
            if n <= nodes {
                ui.dispatch(UiAction::Select(Some(n)));
            }
        }
        _ => return,
    }
    e.prevent_default();
}
