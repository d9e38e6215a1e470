//! Lessons in the browser (a platform adapter): lesson files fetched on demand
//! (`lessons/index.json`, `lessons/<id>.json`, never bundled into the wasm), progress and
//! other choices remembered in localStorage when the browser allows it, and the channel
//! that keeps the presenter's notes window (`?present&notes`) in step with the presenter.
//! Reading lessons, fragments and progress is the model's (`model/lesson.rs`).

use crate::model::{parse_index, read_lesson, with_progress, Lesson, Model, Notes};
use crate::state::{LessonAction, Ui, UiAction};
use raftlab_sim::json::{self, Value};
use std::rc::Rc;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;
use yew::prelude::*;

/// Where the lessons are, relative to the page.
pub const LESSONS_DIR: &str = "lessons/";
/// The storage key of the lessons' progress.
const PROGRESS_KEY: &str = "raftlab-lessons";
/// The channel's name.
const CHANNEL: &str = "raftlab-present";

/// Fetches the text at `url` (relative to the page), then calls `done` with it or with what
/// went wrong.
pub fn fetch_text(url: &str, done: impl FnOnce(Result<String, String>) + 'static) {
    thread_local! {
        static FETCH: js_sys::Function = js_sys::Function::new_with_args(
            "u",
            "return fetch(u).then(r => { if (!r.ok) throw new Error('the server answered ' + r.status); return r.text(); })",
        );
    }
    let done = Rc::new(std::cell::RefCell::new(Some(done)));
    let (a, b) = (done.clone(), done);
    let ok = Closure::once_into_js(move |text: JsValue| {
        if let Some(f) = a.borrow_mut().take() {
            f(Ok(text.as_string().unwrap_or_default()));
        }
    });
    let failed = Closure::once_into_js(move |e: JsValue| {
        let message = js_sys::Reflect::get(&e, &"message".into())
            .ok()
            .and_then(|m| m.as_string())
            .unwrap_or_else(|| "it could not be fetched".into());
        if let Some(f) = b.borrow_mut().take() {
            f(Err(message));
        }
    });
    let promise = FETCH.with(|f| f.call1(&JsValue::NULL, &url.into()));
    match promise {
        Ok(p) => {
            // p.then(ok, failed), each callback freed after its one call.
            if let Ok(then) = js_sys::Reflect::get(&p, &"then".into()) {
                let _ = then
                    .unchecked_into::<js_sys::Function>()
                    .call2(&p, &ok, &failed);
            }
        }
        Err(_) => {
            let _ = failed
                .unchecked_into::<js_sys::Function>()
                .call1(&JsValue::NULL, &JsValue::NULL);
        }
    }
}

/// Fetches the list of lessons, then gives it to the page (or says what went wrong).
pub fn load_index(dispatch: UseReducerDispatcher<Ui>) {
    fetch_text(
        &crate::host::asset(&format!("{LESSONS_DIR}index.json")),
        move |r| {
            dispatch.dispatch(
                match r
                    .map_err(|e| format!("The list of lessons could not be loaded: {e}."))
                    .and_then(|t| parse_index(&t))
                {
                    Ok(list) => UiAction::LessonIndex(Rc::new(list)),
                    Err(e) => UiAction::Notice(Some(e)),
                },
            )
        },
    );
}

/// Fetches lesson `id` and reads it, then calls `done`.
pub fn fetch_lesson(id: &str, done: impl FnOnce(Result<Lesson, String>) + 'static) {
    let name = id.to_string();
    fetch_text(
        &crate::host::asset(&format!("{LESSONS_DIR}{id}.json")),
        move |r| {
            done(
                r.and_then(|t| read_lesson(&t))
                    .map_err(|e| format!("The lesson \"{name}\" could not be opened: {e}.")),
            )
        },
    );
}

/// Fetches lesson `id` and opens it at `step` (from 0), or says why not (the run is kept).
pub fn open(id: &str, step: usize, dispatch: UseReducerDispatcher<Ui>) {
    fetch_lesson(id, move |r| {
        dispatch.dispatch(match r {
            Ok(lesson) => UiAction::OpenLesson(Box::new(lesson), step),
            Err(e) => UiAction::Notice(Some(e)),
        })
    });
}

/// localStorage, when the browser gives it (not in some private windows or sandboxed
/// frames, where reading it throws). Reached through `Reflect`: one web-sys feature fewer.
fn local_storage() -> Option<JsValue> {
    let storage = js_sys::Reflect::get(&gloo_utils::window(), &"localStorage".into()).ok()?;
    (!storage.is_null() && !storage.is_undefined()).then_some(storage)
}

fn call(storage: &JsValue, method: &str, args: &js_sys::Array) -> Option<JsValue> {
    let f = js_sys::Reflect::get(storage, &method.into()).ok()?;
    js_sys::Reflect::apply(f.dyn_ref::<js_sys::Function>()?, storage, args).ok()
}

/// The value stored under `key` in localStorage, if there is one.
pub fn stored(key: &str) -> Option<String> {
    call(
        &local_storage()?,
        "getItem",
        &js_sys::Array::of1(&key.into()),
    )?
    .as_string()
}

/// Stores `value` under `key` in localStorage when it can; silently does nothing otherwise.
pub fn store(key: &str, value: &str) {
    if let Some(storage) = local_storage() {
        let _ = call(
            &storage,
            "setItem",
            &js_sys::Array::of2(&key.into(), &value.into()),
        );
    }
}

/// The progress remembered: `id:step,...` (furthest step reached, from 1).
pub fn progress() -> String {
    stored(PROGRESS_KEY).unwrap_or_default()
}

/// Remembers that lesson `id` reached `step` (from 1).
pub fn remember(id: &str, step: usize) {
    let now = progress();
    let next = with_progress(&now, id, step);
    if next != now {
        store(PROGRESS_KEY, &next);
    }
}

/// The presenter's channel (a `BroadcastChannel`), when the browser has one.
fn channel() -> Option<JsValue> {
    thread_local! {
        static CH: Option<JsValue> = {
            let ctor = js_sys::Reflect::get(&gloo_utils::window(), &"BroadcastChannel".into()).ok();
            ctor.and_then(|c| c.dyn_into::<js_sys::Function>().ok())
                .and_then(|c| js_sys::Reflect::construct(&c, &js_sys::Array::of1(&CHANNEL.into())).ok())
        };
    }
    CH.with(Clone::clone)
}

/// Whether two windows can be kept in step.
pub fn can_link_windows() -> bool {
    channel().is_some()
}

fn post(text: String) {
    if let Some(ch) = channel() {
        if let Ok(f) = js_sys::Reflect::get(&ch, &"postMessage".into()) {
            if let Some(f) = f.dyn_ref::<js_sys::Function>() {
                let _ = f.call1(&ch, &text.into());
            }
        }
    }
}

/// Tells the notes window where the lesson is: its title, every step's title and notes,
/// and the step shown (from 0). Nothing when no lesson is open.
pub fn post_state(m: &Model) {
    let Some(p) = m.lesson() else {
        return;
    };
    let steps: Vec<Value> = p
        .lesson
        .steps
        .iter()
        .map(|s| {
            let mut o = json::Map::new();
            o.insert("title".into(), Value::from(s.title.as_str()));
            o.insert(
                "notes".into(),
                s.notes.as_deref().map_or(Value::Null, Value::from),
            );
            Value::Object(o)
        })
        .collect();
    let mut o = json::Map::new();
    o.insert("title".into(), Value::from(p.lesson.title.as_str()));
    o.insert("step".into(), Value::from(p.step as u64));
    o.insert("steps".into(), Value::from(steps));
    post(Value::Object(o).to_json());
}

/// Asks the presenter window for its state (the notes window, when it opens).
pub fn ask_state() {
    post(r#"{"hello":true}"#.into());
}

/// Asks the presenter window to show step `step` (from 0).
pub fn ask_goto(step: usize) {
    post(format!(r#"{{"goto":{step}}}"#));
}

/// Listens to the channel for the page's life: the presenter answers `hello` with its state
/// and follows `goto`; the notes window (`notes`) takes the state it is sent.
pub fn listen(
    dispatch: UseReducerDispatcher<Ui>,
    notes: Callback<Notes>,
) -> Option<gloo_events::EventListener> {
    let ch = channel()?;
    let target: web_sys::EventTarget = ch.unchecked_into();
    Some(gloo_events::EventListener::new(
        &target,
        "message",
        move |e| {
            let data = js_sys::Reflect::get(e, &"data".into())
                .ok()
                .and_then(|d| d.as_string())
                .unwrap_or_default();
            let Ok(v) = json::parse(&data) else { return };
            if v.get("hello").is_some() {
                post_state(&crate::state::shared_model().borrow());
            } else if let Some(step) = v.get("goto").and_then(Value::as_u64) {
                dispatch.dispatch(UiAction::Lesson(LessonAction::Goto(step as usize)));
            } else if let Some(steps) = v.get("steps").and_then(Value::as_array) {
                let text =
                    |v: &Value, k: &str| v.get(k).and_then(Value::as_str).map(str::to_string);
                notes.emit(Notes {
                    title: text(&v, "title").unwrap_or_default(),
                    steps: steps
                        .iter()
                        .map(|s| (text(s, "title").unwrap_or_default(), text(s, "notes")))
                        .collect(),
                    step: v.get("step").and_then(Value::as_u64).unwrap_or(0) as usize,
                });
            }
        },
    ))
}
