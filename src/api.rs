//! `window.raftlab`: the scripting API for authors and tests (documented in
//! `docs/embedding.md`). Every function checks its arguments and throws a JavaScript `Error`
//! with a clear message; none can panic the wasm or stop the page.

use crate::model::{link_of, open_link, Model, SPEED_RANGE};
pub use crate::state::shared_model;
use raftlab_sim::explain::{explain, Target as ExplainTarget};
use raftlab_sim::json::{self, Map, Value};
use raftlab_sim::scenario::{parse_action, parse_config_patch, Action, Scenario, MAX_NODES};
use raftlab_sim::system::System;
use raftlab_sim::trace::TraceMsg;
use std::cell::RefCell;
use wasm_bindgen::prelude::*;
use yew::Callback;

thread_local! {
    static REFRESH: RefCell<Option<Callback<()>>> = const { RefCell::new(None) };
    static LISTENERS: RefCell<Vec<(u32, String, js_sys::Function)>> = const { RefCell::new(Vec::new()) };
    static DELIVERED: RefCell<(u64, u64, u64)> = const { RefCell::new((0, 0, 0)) };
    static NEXT_LISTENER: RefCell<u32> = const { RefCell::new(1) };
    static DELIVERY_PENDING: std::cell::Cell<bool> = const { std::cell::Cell::new(false) };
}

/// Registers how the API asks the page to re-render.
pub fn set_refresh(cb: Callback<()>) {
    REFRESH.with(|r| *r.borrow_mut() = Some(cb));
}

/// Forgets the re-render callback (the page is going away).
pub fn clear_refresh() {
    REFRESH.with(|r| r.borrow_mut().take());
}

fn refresh() {
    let cb = REFRESH.with(|r| r.borrow().clone());
    if let Some(cb) = cb {
        cb.emit(());
    }
    schedule_delivery();
}

/// Delivers trace events to listeners in a microtask: never inside a render or a reducer,
/// so listeners may call the API freely.
pub fn schedule_delivery() {
    if LISTENERS.with(|l| l.borrow().is_empty()) || DELIVERY_PENDING.with(|p| p.replace(true)) {
        return;
    }
    let run = Closure::once_into_js(move || {
        DELIVERY_PENDING.with(|p| p.set(false));
        deliver_events();
    });
    if let Some(window) = web_sys::window() {
        window.queue_microtask(run.unchecked_ref());
    }
}

/// JSON text (always valid: written by the crate's own JSON writer) as a JavaScript value.
/// The browser's `JSON.parse` does the conversion: far less wasm than a serde serializer.
fn from_json(text: &str) -> JsValue {
    js_sys::JSON::parse(text).unwrap_or(JsValue::NULL)
}

/// `value` as a JavaScript value.
fn to_js(value: &Value) -> JsValue {
    from_json(&value.to_json())
}

/// `Some(v)` as `v`, `None` as `null`.
fn or_null<T: Into<Value>>(v: Option<T>) -> Value {
    v.map_or(Value::Null, Into::into)
}

fn error(message: impl AsRef<str>) -> JsValue {
    js_sys::Error::new(message.as_ref()).into()
}

/// Sends new trace events to the `on(kind, callback)` listeners. Called after every change;
/// listeners may call the API again (events are taken out before any callback runs).
pub fn deliver_events() {
    if LISTENERS.with(|l| l.borrow().is_empty()) {
        return;
    }
    let model = shared_model();
    let Ok(m) = model.try_borrow() else { return };
    // Each trace event of a run is delivered once, in order: seeking back does not deliver
    // again, a new run (restart, load) starts from its first event, and a fork (acting in
    // the past) delivers the new events from the fork on.
    let (last_run, last_fork, delivered) = DELIVERED.with(|d| *d.borrow());
    let mut from = if last_run == m.run { delivered } else { 0 };
    if last_run == m.run && last_fork != m.fork_count {
        from = from.min(m.forked_from);
    }
    let total = m.traced();
    let base = m.trace_base();
    let trace = m.trace();
    let events: Vec<(String, JsValue)> = if total > from {
        trace[(from.max(base) - base) as usize..]
            .iter()
            .map(|e| (kind_of(e), from_json(&e.to_json())))
            .collect()
    } else {
        Vec::new()
    };
    let delivered = total.max(from);
    DELIVERED.with(|d| *d.borrow_mut() = (m.run, m.fork_count, delivered));
    drop(trace);
    drop(m);
    if let Ok(mut m) = model.try_borrow_mut() {
        m.keep_trace_from = Some(delivered);
    }
    let listeners = LISTENERS.with(|l| l.borrow().clone());
    for (kind, event) in events {
        for (_, want, f) in &listeners {
            if want == "*" || *want == kind {
                if let Err(e) = f.call1(&JsValue::NULL, &event) {
                    web_sys::console::error_2(&"raftlab.on: a listener threw".into(), &e);
                }
            }
        }
    }
}

fn kind_of(e: &raftlab_sim::TraceEvent) -> String {
    e.kind.name().to_string()
}

/// Runs `f` on the model, then re-renders and delivers events.
fn with_model<T>(f: impl FnOnce(&mut Model) -> Result<T, JsValue>) -> Result<T, JsValue> {
    let model = shared_model();
    let result = {
        let Ok(mut m) = model.try_borrow_mut() else {
            return Err(error(
                "raftlab is busy (called from inside a render); try again",
            ));
        };
        f(&mut m)
    };
    refresh();
    result
}

fn node_arg(name: &str, v: &JsValue) -> Value {
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x >= 0.0 && x <= u32::MAX as f64 => Value::from(x as u64),
        Some(x) => Value::from(x),
        None => match v.as_string() {
            Some(s) => Value::from(s),
            None if v.is_undefined() || v.is_null() => {
                let _ = name;
                Value::Null
            }
            None => Value::from(describe(v)),
        },
    }
}

/// A JSON object of the given members.
fn object<const N: usize>(members: [(&str, Value); N]) -> Value {
    let mut map = Map::new();
    for (k, v) in members {
        map.insert(k.to_string(), v);
    }
    Value::Object(map)
}

fn act_json(name: &str, fields: Value) -> Result<JsValue, JsValue> {
    act_json_as(name, name, fields)
}

/// As [`act_json`], with errors named after `label` (the API function) rather than the
/// scenario action `name`: `raftlab.fireTimer.node: ...`.
fn act_json_as(label: &str, name: &str, fields: Value) -> Result<JsValue, JsValue> {
    with_model(|m| {
        let nodes = m.sim().node_count() as u32;
        let mut event = Map::new();
        event.insert("at_ms".into(), Value::from(0u64));
        event.insert("do".into(), Value::from(name));
        if let Some(f) = fields.as_object() {
            for (k, v) in f.iter() {
                if *v != Value::Null {
                    event.insert(k.clone(), v.clone());
                }
            }
        }
        let event = Value::Object(event);
        let action = parse_action(&format!("raftlab.{label}"), &event, nodes)
            .map_err(|e| error(e.to_string()))?;
        if let Some(why) = action.action.refusal(m.sim().system()) {
            return Err(error(format!("raftlab.{label}: {why}")));
        }
        m.act(action.action);
        Ok(JsValue::UNDEFINED)
    })
}

/// A server number from 1 to `max` (`max` servers exist, or for an added server, may be
/// started), or a message that says what is wrong.
fn server_arg(what: &str, v: &JsValue, max: u32, add: bool) -> Result<u32, JsValue> {
    let range = if add {
        format!("a server number from 1 to {max}")
    } else {
        format!("the number of a server, 1 to {max}")
    };
    match v.as_f64() {
        Some(x) if x.fract() == 0.0 && x >= 1.0 && x <= max as f64 => Ok(x as u32),
        Some(x) if x.fract() == 0.0 && !add && x > max as f64 => Err(error(format!(
            "{what}: there is no server {}; the cluster has servers 1 to {max}",
            num(x)
        ))),
        Some(x) if x.fract() == 0.0 && add && x > max as f64 => Err(error(format!(
            "{what}: {} is out of range: raftlab runs at most {max} servers",
            num(x)
        ))),
        Some(x) => Err(error(format!("{what}: expected {range}, got {}", num(x)))),
        None => Err(error(format!(
            "{what}: expected {range}, got {}",
            describe(v)
        ))),
    }
}

fn number_arg(what: &str, v: &JsValue, min: f64, max: f64) -> Result<f64, JsValue> {
    match v.as_f64() {
        Some(x) if x.is_finite() && x >= min && x <= max => Ok(x),
        Some(x) => Err(error(format!(
            "{what}: {} is out of range ({} to {})",
            num(x),
            num(min),
            num(max)
        ))),
        None => Err(error(format!(
            "{what}: expected a number, got {}",
            describe(v)
        ))),
    }
}

/// A number as JavaScript writes it, through the shortest form of the JSON writer (the page
/// then needs no float formatting code of its own).
fn num(x: f64) -> String {
    if x.is_nan() {
        "NaN".into()
    } else if x.is_infinite() {
        if x > 0.0 { "Infinity" } else { "-Infinity" }.into()
    } else if x.fract() == 0.0 && x.abs() < 9.2e18 {
        (x as i64).to_string()
    } else {
        Value::from(x).to_json()
    }
}

fn describe(v: &JsValue) -> String {
    if v.is_undefined() {
        "nothing".into()
    } else if let Some(s) = v.as_string() {
        format!("the string {}", json::quote(&s))
    } else {
        js_sys::JSON::stringify(v)
            .ok()
            .and_then(|s| s.as_string())
            .unwrap_or_else(|| "a value that is not JSON".into())
    }
}

fn json_arg(what: &str, v: &JsValue) -> Result<Value, JsValue> {
    // An object is written as JSON by the browser and read back here: JavaScript numbers
    // are doubles, and JSON.stringify writes each in a form that reads back exactly.
    let text = match v.as_string() {
        Some(text) => text,
        None => js_sys::JSON::stringify(v)
            .ok()
            .and_then(|s| s.as_string())
            .ok_or_else(|| {
                error(format!(
                    "{what}: expected a JSON-like object or JSON text, got {}",
                    describe(v)
                ))
            })?,
    };
    json::parse(&text).map_err(|e| error(format!("{what}: not valid JSON: {e}")))
}

/// `raftlab.state()`: the run at the moment shown (documented in `docs/embedding.md`).
fn state(m: &Model) -> JsValue {
    let sim = m.sim();
    let config = sim.membership();
    let ids = |v: &[u32]| Value::Array(v.iter().map(|&i| Value::from(i)).collect());
    let ms = |us: u64| Value::from(us as f64 / 1000.0);
    let nodes = sim
        .nodes()
        .iter()
        .map(|n| {
            let mut kv = Map::new();
            for (k, v) in n.kv() {
                kv.insert(k.clone(), Value::from(v.as_str()));
            }
            let log = n
                .log()
                .iter()
                .map(|e| {
                    object([
                        ("term", Value::from(e.term)),
                        ("command", Value::from(e.command.to_string())),
                    ])
                })
                .collect();
            object([
                ("id", Value::from(n.id())),
                ("role", Value::from(n.role().as_str())),
                ("term", Value::from(n.term())),
                ("voted_for", or_null(n.voted_for())),
                ("alive", Value::from(sim.is_alive(n.id()))),
                ("commit_index", Value::from(n.commit_index())),
                // The entries after the snapshot: `log[0]` is entry `snapshot_index + 1`.
                ("log", Value::Array(log)),
                ("snapshot_index", Value::from(n.snapshot_index())),
                ("snapshot_term", Value::from(n.snapshot_term())),
                ("kv", Value::Object(kv)),
                ("member", Value::from(m.member(n.id()).as_str())),
                ("config_index", Value::from(n.membership_index())),
                ("timer_ms", or_null(sim.timer_at(n.id()).map(ms))),
            ])
        })
        .collect();
    let mut state = object([
        ("time_ms", ms(sim.now())),
        ("end_ms", ms(m.end())),
        ("playing", Value::from(m.playing)),
        ("speed", Value::from(m.speed)),
        ("voters", ids(&config.voters)),
        ("learners", ids(&config.learners)),
        ("delivery", Value::from(sim.config().delivery.as_str())),
        ("timers", Value::from(sim.config().timers.as_str())),
        ("nodes", Value::Array(nodes)),
    ]);
    if let Value::Object(map) = &mut state {
        for (k, v) in crate::model::system_view::state_fields(sim) {
            map.insert(k.to_string(), v);
        }
    }
    to_js(&state)
}

/// Runs `f` on the model without changing it (no re-render).
fn read_model<T>(f: impl FnOnce(&Model) -> Result<T, JsValue>) -> Result<T, JsValue> {
    let model = shared_model();
    let Ok(m) = model.try_borrow() else {
        return Err(error(
            "raftlab is busy (called from inside a render); try again",
        ));
    };
    f(&m)
}

/// A value as an error message shows it: numbers as JavaScript writes them.
fn got(v: &JsValue) -> String {
    match v.as_f64() {
        Some(x) => num(x),
        None if v.is_function() => "a function".into(),
        None => describe(v),
    }
}

/// A whole number from 0 up (as a message id, a server number or a log index are), or `None`.
/// (Beyond 2^53 a double holds only some whole numbers; none of them names anything here.)
fn whole(v: &JsValue) -> Option<u64> {
    v.as_f64()
        .filter(|x| x.fract() == 0.0 && *x >= 0.0 && *x < 18_446_744_073_709_551_616.0)
        .map(|x| x as u64)
}

/// `raftlab.explain(target)`: `{node}`, `{node, index}` or `{message}`, explained in the state
/// shown now.
fn explain_api(m: &Model, v: &JsValue) -> Result<JsValue, JsValue> {
    const SHAPES: &str = "{node: 2} (a server), {node: 2, index: 3} (an entry of its log) or \
                          {message: 17} (a message on the wire)";
    if !v.is_object() || js_sys::Array::is_array(v) {
        return Err(error(format!(
            "raftlab.explain(target): expected an object such as {SHAPES}, got {}",
            got(v)
        )));
    }
    for key in js_sys::Object::keys(v.unchecked_ref::<js_sys::Object>()).iter() {
        let key = key.as_string().unwrap_or_default();
        if !matches!(key.as_str(), "node" | "index" | "message") {
            return Err(error(format!(
                "raftlab.explain.{key}: unknown field; expected node (with index, for an entry) \
                 or message"
            )));
        }
    }
    let field = |k: &str| {
        js_sys::Reflect::get(v, &k.into())
            .ok()
            .filter(|x| !x.is_undefined())
    };
    let (node, index, message) = (field("node"), field("index"), field("message"));
    let sim = m.sim();
    let target =
        match (node, index, message) {
            (None, None, None) => {
                return Err(error(format!(
                    "raftlab.explain(target): expected an object such as {SHAPES}, got {}",
                    got(v)
                )))
            }
            (Some(_), _, Some(_)) | (_, Some(_), Some(_)) => {
                return Err(error(
                    "raftlab.explain(target): give either node (with index, for an entry) or \
                 message, not both",
                ))
            }
            (None, None, Some(id)) => {
                let Some(id) = whole(&id) else {
                    return Err(error(format!(
                        "raftlab.explain.message: expected a message id (a whole number, as in \
                     messages()), got {}",
                        got(&id)
                    )));
                };
                ExplainTarget::Message { id }
            }
            (None, Some(_), None) => return Err(error(
                "raftlab.explain.node: missing: an entry is named by its server and its index, \
                 such as {node: 2, index: 3}",
            )),
            (Some(n), index, None) => {
                let node = if n.as_string().as_deref() == Some("leader") {
                    sim.leader().ok_or_else(|| {
                        error("raftlab.explain.node: no server leads now, so \"leader\" names none")
                    })?
                } else {
                    match whole(&n) {
                        Some(id) if id <= u64::from(u32::MAX) => id as u32,
                        _ => {
                            return Err(error(format!(
                                "raftlab.explain.node: expected a server number (1 to {}) or \
                             \"leader\", got {}",
                                sim.node_count(),
                                got(&n)
                            )))
                        }
                    }
                };
                match index {
                    None => ExplainTarget::Node { node },
                    Some(i) => {
                        let Some(index) = whole(&i) else {
                            return Err(error(format!(
                                "raftlab.explain.index: expected a log index (a whole number from \
                             1), got {}",
                                got(&i)
                            )));
                        };
                        ExplainTarget::Entry { node, index }
                    }
                }
            }
        };
    // explain's own words say what is missing; the prefix names the field at fault.
    let exists = |id: u32| {
        (id as usize)
            .checked_sub(1)
            .is_some_and(|k| k < sim.node_count())
    };
    let e = explain(sim, &target).map_err(|why| {
        let field = match target {
            ExplainTarget::Node { .. } => "node",
            ExplainTarget::Entry { node, .. } if !exists(node) => "node",
            ExplainTarget::Entry { .. } => "index",
            ExplainTarget::Message { .. } => "message",
        };
        error(format!("raftlab.explain.{field}: {why}"))
    })?;
    let text = e.lines.join(" ");
    Ok(to_js(&object([
        ("title", Value::from(e.title)),
        (
            "lines",
            Value::Array(e.lines.into_iter().map(Value::from).collect()),
        ),
        ("text", Value::from(text)),
    ])))
}

/// `raftlab.messages()`: the messages on the wire, held ones included, in id order, each the
/// trace's `msg` object plus where it is.
fn messages(m: &Model) -> JsValue {
    let mut wire: Vec<_> = m.sim().in_flight().collect();
    raftlab_sim::order::sort_by_key(&mut wire, |f| f.id.into());
    let list = js_sys::Array::new();
    for f in wire {
        let o = from_json(
            &TraceMsg {
                id: f.id,
                message: f.message.clone(),
            }
            .to_json(),
        );
        let put = |k: &str, v: JsValue| {
            let _ = js_sys::Reflect::set(&o, &k.into(), &v);
        };
        put("sent_ms", JsValue::from_f64(f.sent_at as f64 / 1000.0));
        put(
            "arrives_ms",
            JsValue::from_f64(f.deliver_at as f64 / 1000.0),
        );
        put("held", f.held.into());
        put("lost", f.lost.into());
        put(
            "copy_of",
            f.copy_of
                .map_or(JsValue::NULL, |c| JsValue::from_f64(c as f64)),
        );
        list.push(&o);
    }
    list.into()
}

/// `raftlab.drop(id)`, `deliver(id)`, `duplicate(id)`: the scenario's message actions, on a
/// message that is on the wire now.
fn message_action(name: &str, id: &JsValue) -> Result<JsValue, JsValue> {
    if id.is_undefined() || id.is_null() {
        return Err(error(format!(
            "raftlab.{name}(id): give the id of a message on the wire (messages() lists them)"
        )));
    }
    let Some(id) = whole(id) else {
        return Err(error(format!(
            "raftlab.{name}.id: expected a message id (a whole number, as in messages()), got {}",
            got(id)
        )));
    };
    with_model(|m| {
        if m.sim().message(id).is_none() {
            return Err(error(format!(
                "raftlab.{name}.id: no message {id} is on the wire; messages() lists those that \
                 are"
            )));
        }
        m.act(match name {
            "drop" => Action::DropMessage(id),
            "deliver" => Action::DeliverMessage(id),
            _ => Action::DuplicateMessage(id),
        });
        Ok(JsValue::UNDEFINED)
    })
}

type Fn0 = dyn Fn() -> Result<JsValue, JsValue>;
type Fn1 = dyn Fn(JsValue) -> Result<JsValue, JsValue>;
type Fn2 = dyn Fn(JsValue, JsValue) -> Result<JsValue, JsValue>;
type Fn3 = dyn Fn(JsValue, JsValue, JsValue) -> Result<JsValue, JsValue>;

fn set(obj: &js_sys::Object, name: &str, f: JsValue) {
    let _ = js_sys::Reflect::set(obj, &name.into(), &f);
}

/// Makes the scripting API: `window.raftlab` on the full page (main.rs sets it), a
/// `<raft-lab>` element's `raftlab`. The functions live as long as the page (their closures
/// are handed to JavaScript once, here).
pub fn install() -> JsValue {
    crate::state::set_after_action(schedule_delivery);
    let api = js_sys::Object::new();
    let f0 = |f: Box<Fn0>| Closure::wrap(f).into_js_value();
    let f1 = |f: Box<Fn1>| Closure::wrap(f).into_js_value();
    let f2 = |f: Box<Fn2>| Closure::wrap(f).into_js_value();
    let f3 = |f: Box<Fn3>| Closure::wrap(f).into_js_value();

    set(
        &api,
        "state",
        f0(Box::new(|| Ok(state(&shared_model().borrow())))),
    );
    set(
        &api,
        "play",
        f0(Box::new(|| {
            with_model(|m| {
                m.set_playing(true);
                Ok(JsValue::UNDEFINED)
            })
        })),
    );
    set(
        &api,
        "pause",
        f0(Box::new(|| {
            with_model(|m| {
                m.set_playing(false);
                Ok(JsValue::UNDEFINED)
            })
        })),
    );
    set(
        &api,
        "step",
        f0(Box::new(|| {
            with_model(|m| {
                m.set_playing(false);
                Ok(m.step_event().into())
            })
        })),
    );
    set(
        &api,
        "stepBack",
        f0(Box::new(|| {
            with_model(|m| {
                m.set_playing(false);
                Ok(m.step_back().into())
            })
        })),
    );
    set(
        &api,
        "seek",
        f1(Box::new(|ms| {
            with_model(|m| {
                let end = m.end() as f64 / 1000.0;
                let ms = number_arg("raftlab.seek(ms)", &ms, 0.0, end)?;
                m.set_playing(false);
                m.seek((ms * 1000.0).round() as u64);
                Ok(JsValue::UNDEFINED)
            })
        })),
    );
    set(
        &api,
        "link",
        f0(Box::new(|| with_model(|m| Ok(link_of(m).into())))),
    );
    set(
        &api,
        "openLink",
        f1(Box::new(|text| {
            let text = text.as_string().ok_or_else(|| {
                error(format!(
                    "raftlab.openLink(link): expected the link as a string, got {}",
                    describe(&text)
                ))
            })?;
            with_model(|m| {
                open_link(m, &text)
                    .map(|_| JsValue::UNDEFINED)
                    .map_err(|e| error(format!("raftlab.openLink: {e}")))
            })
        })),
    );
    set(
        &api,
        "memoryBytes",
        f0(Box::new(|| {
            let memory: js_sys::WebAssembly::Memory = wasm_bindgen::memory().unchecked_into();
            let bytes = memory
                .buffer()
                .unchecked_into::<js_sys::ArrayBuffer>()
                .byte_length();
            Ok(JsValue::from_f64(bytes as f64))
        })),
    );
    set(
        &api,
        "advance",
        f1(Box::new(|ms| {
            // At most an hour at once, so that one call cannot freeze the page for long.
            let ms = number_arg("raftlab.advance(ms)", &ms, 0.0, 3_600_000.0)?;
            with_model(|m| {
                m.run_for((ms * 1000.0).round() as u64);
                Ok(JsValue::UNDEFINED)
            })
        })),
    );
    set(
        &api,
        "setSpeed",
        f1(Box::new(|x| {
            let x = number_arg("raftlab.setSpeed(x)", &x, SPEED_RANGE.0, SPEED_RANGE.1)?;
            with_model(|m| {
                m.set_speed(x);
                Ok(JsValue::UNDEFINED)
            })
        })),
    );
    for name in ["crash", "restart", "timeout", "isolate"] {
        set(
            &api,
            name,
            f1(Box::new(move |id| {
                if id.is_undefined() || id.is_null() {
                    return Err(error(format!(
                        "raftlab.{name}(id): give a node number or \"leader\""
                    )));
                }
                act_json(name, object([("node", node_arg(name, &id))]))
            })),
        );
    }
    set(
        &api,
        "fireTimer",
        f1(Box::new(|id| {
            if id.is_undefined() || id.is_null() {
                return Err(error(
                    "raftlab.fireTimer(id): give a node number or \"leader\"",
                ));
            }
            act_json_as(
                "fireTimer",
                "fire_timer",
                object([("node", node_arg("fireTimer", &id))]),
            )
        })),
    );
    set(
        &api,
        "pauseServer",
        f2(Box::new(|id, ms| {
            if id.is_undefined() || id.is_null() {
                return Err(error(
                    "raftlab.pauseServer(id, ms): give a node number or \"leader\", then the pause in ms",
                ));
            }
            let ms = match ms.as_f64() {
                Some(x) => Value::from(x),
                None if ms.is_undefined() || ms.is_null() => Value::Null,
                None => Value::from(describe(&ms)),
            };
            act_json_as(
                "pauseServer",
                "pause",
                object([("node", node_arg("pauseServer", &id)), ("ms", ms)]),
            )
        })),
    );
    for name in ["drop", "deliver", "duplicate"] {
        set(
            &api,
            name,
            f1(Box::new(move |id| message_action(name, &id))),
        );
    }
    set(
        &api,
        "messages",
        f0(Box::new(|| read_model(|m| Ok(messages(m))))),
    );
    set(
        &api,
        "explain",
        f1(Box::new(|target| read_model(|m| explain_api(m, &target)))),
    );
    set(
        &api,
        "clientRead",
        f3(Box::new(|key, mode, id| {
            let key = key.as_string().ok_or_else(|| {
                error(format!(
                    "raftlab.clientRead: key must be a string, got {}",
                    describe(&key)
                ))
            })?;
            let mode = if mode.is_undefined() || mode.is_null() {
                Value::Null
            } else {
                match mode.as_string() {
                    Some(m) => Value::from(m),
                    None => Value::from(describe(&mode)),
                }
            };
            let node = if id.is_undefined() || id.is_null() {
                Value::Null
            } else {
                node_arg("clientRead", &id)
            };
            act_json_as(
                "clientRead",
                "client_read",
                object([("key", key.into()), ("mode", mode), ("node", node)]),
            )
        })),
    );
    set(
        &api,
        "setClockRate",
        f2(Box::new(|id, rate| {
            if id.is_undefined() || id.is_null() {
                return Err(error(
                    "raftlab.setClockRate(id, rate): give a node number or \"leader\"",
                ));
            }
            let rate = match rate.as_f64() {
                Some(x) => Value::from(x),
                None => Value::from(describe(&rate)),
            };
            act_json_as(
                "setClockRate",
                "clock_rate",
                object([("node", node_arg("setClockRate", &id)), ("rate", rate)]),
            )
        })),
    );
    set(
        &api,
        "history",
        f0(Box::new(|| {
            use raftlab_sim::linearizability::{OpKind, Verdict};
            with_model(|m| {
                let ops = m.history();
                // Bounded and remembered, as the Client history panel's: never a guess when
                // undecided.
                let verdict = m.history_verdict(&ops);
                let list = js_sys::Array::new();
                for op in &ops {
                    let o = js_sys::Object::new();
                    let put = |k: &str, v: JsValue| {
                        let _ = js_sys::Reflect::set(&o, &k.into(), &v);
                    };
                    put("id", JsValue::from_f64(op.id as f64));
                    put("key", op.key.as_str().into());
                    let (kind, value) = match &op.kind {
                        OpKind::Write(v) => ("write", v),
                        OpKind::Read(v) => ("read", v),
                    };
                    put("kind", kind.into());
                    put(
                        "value",
                        value.as_deref().map_or(JsValue::NULL, JsValue::from),
                    );
                    put("mode", op.mode.map_or(JsValue::NULL, |m| m.as_str().into()));
                    put(
                        "invoked_ms",
                        JsValue::from_f64(op.invoked_us as f64 / 1000.0),
                    );
                    put(
                        "returned_ms",
                        op.returned_us
                            .map_or(JsValue::NULL, |t| JsValue::from_f64(t as f64 / 1000.0)),
                    );
                    list.push(&o);
                }
                let out = js_sys::Object::new();
                let _ = js_sys::Reflect::set(&out, &"ops".into(), &list);
                let linearizable = match &verdict {
                    Verdict::Linearizable => JsValue::TRUE,
                    Verdict::NotLinearizable(_) => JsValue::FALSE,
                    Verdict::Undecided { .. } => JsValue::NULL,
                };
                let _ = js_sys::Reflect::set(&out, &"linearizable".into(), &linearizable);
                let _ = js_sys::Reflect::set(&out, &"verdict".into(), &verdict.name().into());
                match &verdict {
                    Verdict::NotLinearizable(e) => {
                        let _ = js_sys::Reflect::set(
                            &out,
                            &"culprit".into(),
                            &JsValue::from_f64(e.culprit.id as f64),
                        );
                        let _ =
                            js_sys::Reflect::set(&out, &"problem".into(), &e.to_string().into());
                    }
                    Verdict::Undecided { .. } => {
                        if let Some(u) = verdict.undecided() {
                            let problem = format!("undecided: {u}");
                            let _ = js_sys::Reflect::set(&out, &"problem".into(), &problem.into());
                        }
                    }
                    Verdict::Linearizable => {}
                }
                Ok(out.into())
            })
        })),
    );
    set(
        &api,
        "transferLeadership",
        f1(Box::new(|id| {
            if id.is_undefined() || id.is_null() {
                return Err(error(
                    "raftlab.transferLeadership(id): give the number of the node to lead next",
                ));
            }
            act_json_as(
                "transferLeadership",
                "transfer_leadership",
                object([("node", node_arg("transferLeadership", &id))]),
            )
        })),
    );
    set(
        &api,
        "addServer",
        f1(Box::new(|id| {
            let id = if id.is_undefined() || id.is_null() {
                // What the page's Add server button adds.
                let model = shared_model();
                let Ok(m) = model.try_borrow() else {
                    return Err(error(
                        "raftlab is busy (called from inside a render); try again",
                    ));
                };
                m.next_server().map_err(|why| {
                    // The button's reason is a sentence; here it follows a colon.
                    let mut chars = why.chars();
                    let first = chars.next().map(|c| c.to_ascii_lowercase());
                    error(format!(
                        "raftlab.addServer(): {}{}",
                        first.map(String::from).unwrap_or_default(),
                        chars.as_str()
                    ))
                })?
            } else {
                server_arg("raftlab.addServer(id)", &id, MAX_NODES, true)?
            };
            act_json_as(
                "addServer",
                "add_server",
                object([("node", Value::from(id))]),
            )
        })),
    );
    set(
        &api,
        "removeServer",
        f1(Box::new(|id| {
            if id.is_undefined() || id.is_null() {
                return Err(error(
                    "raftlab.removeServer(id): give the number of the server to remove",
                ));
            }
            let nodes = shared_model()
                .try_borrow()
                .map(|m| m.sim().node_count() as u32)
                .unwrap_or(0);
            let id = server_arg("raftlab.removeServer(id)", &id, nodes, false)?;
            act_json_as(
                "removeServer",
                "remove_server",
                object([("node", Value::from(id))]),
            )
        })),
    );
    set(
        &api,
        "clientWrite",
        f3(Box::new(|key, value, id| {
            let text = |what: &str, v: &JsValue| {
                v.as_string().ok_or_else(|| {
                    error(format!(
                        "raftlab.clientWrite: {what} must be a string, got {}",
                        describe(v)
                    ))
                })
            };
            let (key, value) = (text("key", &key)?, text("value", &value)?);
            let node = if id.is_undefined() || id.is_null() {
                Value::Null
            } else {
                node_arg("clientWrite", &id)
            };
            act_json_as(
                "clientWrite",
                "client_write",
                object([("key", key.into()), ("value", value.into()), ("node", node)]),
            )
        })),
    );
    set(
        &api,
        "partition",
        f1(Box::new(|groups| {
            let groups = json_arg("raftlab.partition(groups)", &groups)?;
            act_json("partition", object([("groups", groups)]))
        })),
    );
    set(&api, "heal", f0(Box::new(|| act_json("heal", Value::Null))));
    for name in ["cut", "restore"] {
        set(
            &api,
            name,
            f2(Box::new(move |a, b| {
                act_json(
                    name,
                    object([(
                        "nodes",
                        Value::Array(vec![node_arg(name, &a), node_arg(name, &b)]),
                    )]),
                )
            })),
        );
    }
    set(
        &api,
        "configure",
        f1(Box::new(|settings| {
            let value = json_arg("raftlab.configure(settings)", &settings)?;
            let patch = parse_config_patch("raftlab.configure", &value)
                .map_err(|e| error(e.to_string()))?;
            with_model(|m| {
                if let Some(field) = patch
                    .raft_only()
                    .filter(|_| m.sim().system() != System::Raft)
                {
                    return Err(error(format!(
                        "raftlab.configure.{field}: a Raft setting; the {} system does not use it",
                        m.sim().system().as_str()
                    )));
                }
                m.configure(patch);
                Ok(JsValue::UNDEFINED)
            })
        })),
    );
    set(
        &api,
        "load",
        f1(Box::new(|scenario| {
            let value = json_arg("raftlab.load(scenario)", &scenario)?;
            let s = Scenario::from_json(&value).map_err(|e| error(format!("raftlab.load: {e}")))?;
            with_model(|m| {
                m.load(s);
                Ok(JsValue::UNDEFINED)
            })
        })),
    );
    set(
        &api,
        "reset",
        f2(Box::new(|seed, nodes| {
            // By default the run starts again as this one started: same seed, same size.
            let (current_seed, current_nodes) = {
                let m = shared_model();
                let m = m.borrow();
                (m.sim().seed(), m.start_nodes())
            };
            let seed = if seed.is_undefined() || seed.is_null() {
                current_seed
            } else {
                number_arg("raftlab.reset(seed)", &seed, 0.0, 9_007_199_254_740_991.0).and_then(
                    |s| {
                        if s.fract() == 0.0 {
                            Ok(s as u64)
                        } else {
                            Err(error(
                                "raftlab.reset(seed): the seed must be a whole number",
                            ))
                        }
                    },
                )?
            };
            let nodes = if nodes.is_undefined() || nodes.is_null() {
                current_nodes
            } else {
                number_arg("raftlab.reset(seed, nodes)", &nodes, 1.0, 9.0).and_then(|n| {
                    if n.fract() == 0.0 {
                        Ok(n as u32)
                    } else {
                        Err(error(
                            "raftlab.reset: nodes must be a whole number from 1 to 9",
                        ))
                    }
                })?
            };
            with_model(|m| {
                m.restart(seed, nodes);
                Ok(JsValue::UNDEFINED)
            })
        })),
    );
    set(
        &api,
        "scenario",
        f0(Box::new(|| {
            Ok(to_js(&shared_model().borrow().scenario().to_json()))
        })),
    );
    set(
        &api,
        "seed",
        f0(Box::new(|| {
            Ok(JsValue::from_f64(
                shared_model().borrow().sim().seed() as f64
            ))
        })),
    );
    set(
        &api,
        "trace",
        f0(Box::new(|| {
            Ok(shared_model().borrow().trace_ndjson().into())
        })),
    );
    set(
        &api,
        "on",
        f2(Box::new(|kind, callback| {
            let kind = kind.as_string().ok_or_else(|| error("raftlab.on(kind, callback): kind must be a string such as \"become_leader\" or \"*\""))?;
            let f: js_sys::Function = callback
                .dyn_into()
                .map_err(|_| error("raftlab.on(kind, callback): callback must be a function"))?;
            // Start listening from now: earlier events are not replayed.
            {
                let model = shared_model();
                let Ok(mut m) = model.try_borrow_mut() else {
                    return Err(error(
                        "raftlab is busy (called from inside a render); try again",
                    ));
                };
                let len = m.traced();
                if LISTENERS.with(|l| l.borrow().is_empty()) {
                    DELIVERED.with(|d| *d.borrow_mut() = (m.run, m.fork_count, len));
                    // Listeners must miss nothing: keep events until they are delivered.
                    m.keep_trace_from = Some(len);
                }
            }
            let id = NEXT_LISTENER.with(|n| {
                let mut n = n.borrow_mut();
                *n += 1;
                *n
            });
            LISTENERS.with(|l| l.borrow_mut().push((id, kind, f)));
            let off: Box<dyn Fn()> = Box::new(move || {
                LISTENERS.with(|l| l.borrow_mut().retain(|(i, _, _)| *i != id));
                if LISTENERS.with(|l| l.borrow().is_empty()) {
                    if let Ok(mut m) = shared_model().try_borrow_mut() {
                        m.keep_trace_from = None;
                    }
                }
            });
            Ok(Closure::wrap(off).into_js_value())
        })),
    );
    install_lessons(&api);
    api.into()
}

fn strings(list: &[String]) -> Value {
    Value::from(
        list.iter()
            .map(|s| Value::from(s.as_str()))
            .collect::<Vec<_>>(),
    )
}

/// `raftlab.lessonState()`: the lesson being played (docs/embedding.md), or null.
fn lesson_state(m: &Model) -> JsValue {
    use crate::model::{Answer, Phase};
    let Some(p) = m.lesson() else {
        return JsValue::NULL;
    };
    let asking = p.phase == Phase::Asking;
    let qi = if asking { p.step + 1 } else { p.step };
    let question = p.lesson.steps[qi].question.as_ref().map(|q| {
        object([
            ("prompt", Value::from(q.prompt.as_str())),
            ("choices", strings(&q.choices)),
            ("asking", Value::from(asking)),
            ("answer", or_null((!asking).then_some(q.answer as u64))),
            (
                "chosen",
                match p.answers[qi] {
                    Some(Answer::Chose(c)) => Value::from(c as u64),
                    Some(Answer::Skipped) => Value::from("skipped"),
                    None => Value::Null,
                },
            ),
            ("why", or_null((!asking).then_some(q.why.as_str()))),
        ])
    });
    let step = p.current();
    let task = step
        .task
        .as_ref()
        .map(|t| object([("prompt", Value::from(t.prompt.as_str()))]));
    to_js(&object([
        ("id", Value::from(p.lesson.id.as_str())),
        ("title", Value::from(p.lesson.title.as_str())),
        ("step", Value::from((p.step + 1) as u64)),
        ("steps", Value::from(p.lesson.steps.len() as u64)),
        ("step_title", Value::from(step.title.as_str())),
        (
            "phase",
            Value::from(match p.phase {
                Phase::Shown => "shown",
                Phase::Asking => "asking",
                Phase::Playing(_) => "playing",
                Phase::Stuck => "stuck",
            }),
        ),
        (
            "moment_ms",
            or_null(p.moment(p.step).map(|t| t.t_us as f64 / 1000.0)),
        ),
        ("question", or_null(question)),
        ("task", or_null(task)),
        ("task_done", Value::from(p.task_done(p.step))),
    ]))
}

/// A promise settled by `start(resolve, reject)`.
fn promise(start: impl FnOnce(js_sys::Function, js_sys::Function) + 'static) -> JsValue {
    let mut start = Some(start);
    js_sys::Promise::new(&mut |resolve, reject| {
        if let Some(f) = start.take() {
            f(resolve, reject);
        }
    })
    .into()
}

/// The lesson functions of `window.raftlab` (docs/embedding.md, "Lessons").
fn install_lessons(api: &js_sys::Object) {
    let f0 = |f: Box<Fn0>| Closure::wrap(f).into_js_value();
    let f1 = |f: Box<Fn1>| Closure::wrap(f).into_js_value();
    let f2 = |f: Box<Fn2>| Closure::wrap(f).into_js_value();
    set(
        api,
        "lessons",
        f0(Box::new(|| {
            Ok(promise(|resolve, reject| {
                crate::lessons::fetch_text(&crate::host::asset("lessons/index.json"), move |r| {
                    match r.and_then(|t| crate::model::parse_index(&t)) {
                        Ok(list) => {
                            let listed = js_sys::Array::new();
                            for l in &list {
                                listed.push(&to_js(&object([
                                    ("id", Value::from(l.id.as_str())),
                                    ("title", Value::from(l.title.as_str())),
                                    ("summary", Value::from(l.summary.as_str())),
                                    ("topics", strings(&l.topics)),
                                    ("steps", Value::from(l.steps as u64)),
                                ])));
                            }
                            let _ = resolve.call1(&JsValue::NULL, &listed);
                        }
                        Err(e) => {
                            let _ = reject
                                .call1(&JsValue::NULL, &error(format!("raftlab.lessons(): {e}")));
                        }
                    }
                });
            }))
        })),
    );
    set(
        api,
        "openLesson",
        f2(Box::new(|id, step| {
            let what = "raftlab.openLesson(id, step)";
            let id = id
                .as_string()
                .filter(|i| crate::model::valid_lesson_id(i))
                .ok_or_else(|| {
                    error(format!(
                        "{what}: expected a lesson id such as \"election\" (lowercase letters, digits and -), got {}",
                        got(&id)
                    ))
                })?;
            let step = if step.is_undefined() {
                1.0
            } else {
                number_arg(what, &step, 1.0, 10_000.0)?
            };
            if step.fract() != 0.0 {
                return Err(error(format!(
                    "{what}: the step must be a whole number from 1"
                )));
            }
            let step = step as usize - 1;
            Ok(promise(move |resolve, reject| {
                crate::lessons::fetch_lesson(&id, move |r| {
                    let opened = r
                        .map_err(|e| error(format!("raftlab.openLesson: {e}")))
                        .and_then(|lesson| {
                            with_model(|m| {
                                m.open_lesson(lesson, step)
                                    .map_err(|e| error(format!("raftlab.openLesson: {e}")))
                            })
                        });
                    let _ = match opened {
                        Ok(()) => {
                            resolve.call1(&JsValue::NULL, &lesson_state(&shared_model().borrow()))
                        }
                        Err(e) => reject.call1(&JsValue::NULL, &e),
                    };
                });
            }))
        })),
    );
    set(
        api,
        "loadLesson",
        f1(Box::new(|json| {
            let value = json_arg("raftlab.loadLesson(json)", &json)?;
            let lesson = crate::model::read_lesson(&value.to_json())
                .map_err(|e| error(format!("raftlab.loadLesson: {e}")))?;
            with_model(|m| {
                m.open_lesson(lesson, 0)
                    .map_err(|e| error(format!("raftlab.loadLesson: {e}")))?;
                Ok(lesson_state(m))
            })
        })),
    );
    set(
        api,
        "lessonState",
        f0(Box::new(|| read_model(|m| Ok(lesson_state(m))))),
    );
    type Step = fn(&mut Model) -> Result<(), String>;
    let steps: [(&str, Step); 3] = [
        ("nextStep", |m| m.lesson_next(false)),
        ("prevStep", |m| m.lesson_back()),
        ("closeLesson", |m| {
            m.close_lesson();
            Ok(())
        }),
    ];
    for (name, f) in steps {
        set(
            api,
            name,
            f0(Box::new(move || {
                with_model(|m| {
                    if m.lesson().is_none() && name != "closeLesson" {
                        return Err(error(format!(
                            "raftlab.{name}(): no lesson is open (raftlab.openLesson(id) opens one)"
                        )));
                    }
                    f(m).map_err(|e| error(format!("raftlab.{name}(): {e}")))?;
                    Ok(lesson_state(m))
                })
            })),
        );
    }
}
