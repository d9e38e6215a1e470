//! The root component: it only composes. It holds the state (`state.rs`) in a reducer, runs
//! the animation-frame loop, connects the platform adapters (scripting API, share links,
//! files, embed) and renders the views (`view/`). Keyboard shortcuts become `UiAction`s here.

use crate::lessons::{store, stored};
use crate::model::{lesson_fragment, parse_lesson_fragment, Phase};
use crate::model::{next_write_number, SPEED_RANGE};
use crate::state::{fresh_seed, shared_model, LessonAction, Selection, Theme, Ui, UiAction};
use crate::view;
use gloo_render::{request_animation_frame, AnimationFrame};
use raftlab_raft::NodeId;
use raftlab_sim::scenario::{Action, Target};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Longest wall time one frame may account for: a tab coming back from the background does
/// not make the simulation jump.
const MAX_FRAME_MS: f64 = 100.0;
/// Shortest wall time between two redraws of the canvas while playing (a little less than
/// the frame pacing's 33 ms, so that a frame arriving a little early still draws).
const CANVAS_FRAME_MS: f64 = 25.0;
/// The loop asks for the next animation frame this long after the current frame's callback
/// began, so that the next frame comes at the second display refresh: about 30 frames a
/// second at 60 Hz (a request before 16.7 ms would get the very next refresh, at 60 frames
/// a second; one after 33.3 ms, the third). Measured from the callback, not from the frame's
/// timestamp: a browser may run the callback well after that timestamp (headless Chromium,
/// about 8 to 12 ms), and a wait based on it then gets every refresh. Smooth enough at
/// teaching speeds, and each frame the browser makes costs main-thread time (its commit
/// above all), even one in which nothing changes.
const FRAME_GAP_MS: f64 = 25.0;

/// A pending wait: the browser's timeout id and its callback (kept until the next wait
/// replaces it, never dropped while it runs).
type Gap = (i32, wasm_bindgen::closure::Closure<dyn FnMut()>);

/// The animation-frame loop's state. The loop runs only while the run plays: the effect that
/// starts it stops it (`stop`) when playing stops or the app goes away.
#[derive(Default)]
struct FrameLoop {
    handle: RefCell<Option<AnimationFrame>>,
    /// The pending wait before the next frame: the browser's timeout id and its callback.
    gap: RefCell<Option<Gap>>,
    stopped: Cell<bool>,
    last_frame: Cell<Option<f64>>,
    last_draw: Cell<Option<f64>>,
}

impl FrameLoop {
    /// Stops the loop: no frame or wait is pending after this (it also breaks the reference
    /// cycle between the loop and its callbacks).
    fn stop(&self) {
        self.stopped.set(true);
        self.handle.borrow_mut().take();
        if let Some((id, _)) = self.gap.borrow_mut().take() {
            gloo_utils::window().clear_timeout_with_handle(id);
        }
    }
}

/// Waits until [`FRAME_GAP_MS`] after `frame_start` (when the current frame's callback
/// began, `performance.now()`), then asks for the next frame.
fn schedule_after_gap(
    state: Rc<FrameLoop>,
    dispatcher: UseReducerDispatcher<Ui>,
    frame_start: f64,
) {
    if state.stopped.get() {
        return;
    }
    let now = now_ms().unwrap_or(frame_start);
    let wait = (FRAME_GAP_MS - (now - frame_start)).clamp(0.0, FRAME_GAP_MS) as i32;
    let next = state.clone();
    let callback = wasm_bindgen::closure::Closure::<dyn FnMut()>::new(move || {
        schedule_frame(next.clone(), dispatcher.clone());
    });
    let id = gloo_utils::window()
        .set_timeout_with_callback_and_timeout_and_arguments_0(
            callback.as_ref().unchecked_ref(),
            wait,
        )
        .unwrap_or(0);
    *state.gap.borrow_mut() = Some((id, callback));
}

/// `performance.now()`.
fn now_ms() -> Option<f64> {
    web_sys::window()
        .and_then(|w| w.performance())
        .map(|p| p.now())
}

fn schedule_frame(state: Rc<FrameLoop>, dispatcher: UseReducerDispatcher<Ui>) {
    if state.stopped.get() {
        return;
    }
    let next = state.clone();
    let frame = request_animation_frame(move |t| {
        let began = now_ms().unwrap_or(t);
        if let Some(previous) = next.last_frame.replace(Some(t)) {
            // Advance the clock directly (no dispatch per frame: most frames change nothing
            // the DOM shows); render only when the model's version moved.
            let model = shared_model();
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
            let due = next
                .last_draw
                .get()
                .is_none_or(|d| t - d >= CANVAS_FRAME_MS);
            if let Ok(m) = model.try_borrow() {
                if due && m.playing && !reduced_motion() {
                    crate::canvas::draw(&m);
                    crate::view::draw_diagram_playing(&m, t);
                    next.last_draw.set(Some(t));
                }
            };
        }
        schedule_after_gap(next, dispatcher, began);
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

/// The page's root.
#[component]
pub fn App() -> Html {
    let ui = use_reducer(|| {
        let model = shared_model();
        let version = model.borrow().version;
        Ui {
            model,
            version,
            selection: Selection::None,
            open: Vec::new(),
            // The introduction is for a first visit to the full page.
            intro: !crate::embed::options().embed
                && stored("raftlab-intro").as_deref() != Some("dismissed"),
            theme: match stored("raftlab-theme").as_deref() {
                Some("light") => Theme::Light,
                Some("dark") => Theme::Dark,
                _ => Theme::System,
            },
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
            lessons: None,
            lessons_open: false,
            present: crate::embed::options().present,
            arrivals: 0,
            notes: None,
        }
    });

    // The lesson the page was opened with (`?lesson=<id>`, or `#lesson=<id>&step=<n>`),
    // fetched once the page runs; the notes window asks the presenter where it is.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with((), move |_| {
            let o = crate::embed::options();
            if let Some(url) = &o.scenario_url {
                open_scenario_url(url, dispatcher.clone());
            }
            if o.notes {
                crate::lessons::ask_state();
            } else if let Some(id) = &o.lesson {
                crate::lessons::open(id, 0, dispatcher);
            } else if let Some(Ok((id, step))) =
                crate::share::current_fragment().and_then(|f| parse_lesson_fragment(&f))
            {
                crate::lessons::open(&id, step, dispatcher);
            }
        });
    }

    // The presenter's channel: the notes window follows the presenter, and a click on a step
    // there moves the presenter.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with((), move |_| {
            let notes = {
                let dispatcher = dispatcher.clone();
                Callback::from(move |n| dispatcher.dispatch(UiAction::Notes(Rc::new(n))))
            };
            let listener = crate::lessons::listen(dispatcher, notes);
            move || drop(listener)
        });
    }

    // A lesson's step shown: the address bar says where (reload returns there), progress is
    // remembered, and the notes window is told.
    {
        let where_ = ui
            .model
            .borrow()
            .lesson()
            .map(|p| (p.lesson.id.clone(), p.step, matches!(p.phase, Phase::Shown)));
        let model = ui.model.clone();
        use_effect_with(where_, move |w| {
            if let Some((id, step, true)) = w {
                if !crate::embed::options().embed {
                    crate::share::set_fragment(&lesson_fragment(id, *step));
                }
                crate::lessons::remember(id, step + 1);
                crate::lessons::post_state(&model.borrow());
            }
        });
    }

    // Copying a share link to the clipboard answers later (a promise): done in an effect,
    // which holds a dispatcher for the answer.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with(ui.link.clone(), move |link| {
            if let Some((_, link, opens)) = link.clone() {
                crate::share::set_fragment(&link);
                crate::share::copy(crate::share::address(&link), opens, dispatcher);
            }
        });
    }

    // A share link pasted into this tab's address bar opens its run (the link the page was
    // opened with was read before the first render, by main). The listener is removed in
    // the cleanup.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with((), move |_| {
            // An element does not follow its host page's address.
            let listener = (!crate::host::in_element()).then(|| {
                gloo_events::EventListener::new(&gloo_utils::window(), "hashchange", move |_| {
                    if let Some(fragment) = crate::share::current_fragment() {
                        match parse_lesson_fragment(&fragment) {
                            Some(Ok((id, step))) => {
                                crate::lessons::open(&id, step, dispatcher.clone())
                            }
                            Some(Err(problem)) => {
                                dispatcher.dispatch(UiAction::Notice(Some(problem)))
                            }
                            None => dispatcher.dispatch(UiAction::OpenLink(fragment)),
                        }
                    }
                })
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

    // The animation-frame loop, while the run plays: each frame advances the logical clock
    // by the elapsed wall time times the speed, and redraws the moving parts. A paused page
    // asks the browser for no frame at all. The loop lives in the effect and is stopped in
    // its cleanup (when playing stops, or the app goes away).
    {
        let dispatcher = ui.dispatcher();
        let playing = ui.model.borrow().playing;
        use_effect_with(playing, move |&playing| {
            let state = Rc::new(FrameLoop::default());
            if playing {
                schedule_frame(state.clone(), dispatcher);
            }
            move || state.stop()
        });
    }

    // After every render (a step, an action while paused, a new run), draw the moment.
    {
        let model = ui.model.clone();
        use_effect_with(ui.version, move |_| {
            if let Ok(m) = model.try_borrow() {
                crate::canvas::draw(&m);
                crate::view::draw_diagram(&m);
            }
        });
    }

    // The theme is a class on the root element (the stylesheet's tokens follow it), and is
    // remembered, as is a dismissed introduction.
    use_effect_with(ui.theme, |theme| {
        let name = match theme {
            Theme::System => "",
            Theme::Light => "light",
            Theme::Dark => "dark",
        };
        if let Some(root) = crate::host::doc_root() {
            let _ = if name.is_empty() {
                root.remove_attribute("data-theme")
            } else {
                root.set_attribute("data-theme", name)
            };
        }
        store("raftlab-theme", name);
    });
    use_effect_with(ui.intro, |intro| {
        if !intro {
            store("raftlab-intro", "dismissed");
        }
    });

    // Keyboard shortcuts anywhere on the page (in an element: inside it); the listener is rebuilt with the state it
    // reads and removed in the cleanup.
    {
        let handle = ui.clone();
        use_effect_with(ui.clone(), move |_| {
            let listener =
                // Not passive: a handled shortcut (Space) must not also scroll the page.
                gloo_events::EventListener::new_with_options(
                    &crate::host::events(),
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

    // A click on a message in the picture selects it (canvas.rs knows where each is drawn).
    // Caught in the capture phase, before the link or server under the message takes it.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with((), move |_| {
            let listener = gloo_events::EventListener::new_with_options(
                &crate::host::events(),
                "click",
                gloo_events::EventListenerOptions {
                    phase: gloo_events::EventListenerPhase::Capture,
                    passive: false,
                },
                move |e| {
                    if crate::embed::options().readonly {
                        return;
                    }
                    let Some(mouse) = e.dyn_ref::<MouseEvent>() else {
                        return;
                    };
                    let in_picture = e
                        .target()
                        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                        .and_then(|el| el.closest(".cluster").ok().flatten())
                        .is_some();
                    if !in_picture {
                        return;
                    }
                    let hit = crate::canvas::message_at_client(
                        mouse.client_x() as f64,
                        mouse.client_y() as f64,
                    );
                    if let Some(id) = hit {
                        e.prevent_default();
                        e.stop_propagation();
                        dispatcher.dispatch(UiAction::Select(Selection::Message(id)));
                    }
                },
            );
            move || drop(listener)
        });
    }

    // The selected message is drawn with a ring.
    use_effect_with(ui.selection, |selection| {
        crate::canvas::set_selected(match selection {
            Selection::Message(id) => Some(*id),
            _ => None,
        });
    });

    // Files dropped on the page (files.rs) and height reports to a host page (embed.rs),
    // for the page's life.
    {
        let dispatcher = ui.dispatcher();
        use_effect_with((), move |_| {
            let drops = crate::files::accept_drops(dispatcher, crate::embed::options().embed);
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

/// Fetches the scenario of the `scenario=URL` option (relative to the page) and opens it from
/// its start, as the run Reset goes back to; what went wrong is said in the notice area.
fn open_scenario_url(url: &str, dispatcher: UseReducerDispatcher<Ui>) {
    crate::files::fetch_scenario(url, move |opened| match opened {
        Ok(scenario) => {
            crate::embed::set_start(scenario.clone());
            dispatcher.dispatch(UiAction::Load(Box::new(scenario), None));
        }
        Err(problem) => dispatcher.dispatch(UiAction::Notice(Some(problem))),
    });
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
    // A read-only embed is an illustration: no key changes it; nor the notes window.
    let o = crate::embed::options();
    if o.readonly || o.notes || e.ctrl_key() || e.meta_key() || e.alt_key() {
        return;
    }
    let key = e.key();
    if key == "Escape" && ui.present && !ui.help {
        ui.dispatch(UiAction::Present(false));
        e.prevent_default();
        return;
    }
    if key == "Escape" {
        ui.dispatch(if ui.help {
            UiAction::Help(false)
        } else {
            UiAction::Select(Selection::None)
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
            m.sim().node_count() as u32,
            m.start_nodes(),
            m.sim().seed(),
        )
    };
    // A server selected before going back in time to when it did not run yet is ignored
    // (an action on it would name a server the run does not have at that moment).
    let selected = ui.selection.node().filter(|&n| n <= nodes);
    let act_on = |f: fn(Target) -> Action| {
        if let Some(n) = selected {
            ui.dispatch(UiAction::Act(f(Target::Node(n))));
        }
    };
    // In a lesson, the clicker's keys move through the steps (a question's choices and the
    // buttons keep their own Space and Enter).
    let in_lesson = ui.model.borrow().lesson().is_some();
    let on_button = e
        .target()
        .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
        .is_some_and(|el| el.tag_name().eq_ignore_ascii_case("button"));
    if in_lesson {
        let step = match key.as_str() {
            "ArrowRight" | "PageDown" => Some(LessonAction::Next),
            " " if !on_button => Some(LessonAction::Next),
            "ArrowLeft" | "PageUp" => Some(LessonAction::Back),
            _ => None,
        };
        if let Some(a) = step {
            ui.dispatch(UiAction::Lesson(a));
            e.prevent_default();
            return;
        }
    }
    match key.as_str() {
        "?" => ui.dispatch(UiAction::Help(!ui.help)),
        "p" => ui.dispatch(UiAction::Present(!ui.present)),
        " " => ui.dispatch(UiAction::TogglePlay),
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
        "z" => act_on(|t| Action::Pause(t, 1_000_000)),
        "h" => ui.dispatch(UiAction::Act(Action::Heal)),
        "w" => {
            let n = next_write_number(&ui.model.borrow());
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
                ui.dispatch(UiAction::Select(Selection::Node(n)));
            }
        }
        _ => return,
    }
    e.prevent_default();
}
