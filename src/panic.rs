//! A panic in the wasm shows an overlay with the seed and a copyable report (the scenario and
//! the end of the trace) instead of a dead page.
//!
//! Two paths lead there. A build with panic messages calls the panic hook. The page's usual
//! build (scripts/wasm-env.sh) stops the wasm at once on a panic, with no message and no hook:
//! the browser then reports a `WebAssembly.RuntimeError` to the window's `error` (or
//! `unhandledrejection`) listeners, and the one installed here makes the same report, when
//! the error comes from this instance (see [`from_this_instance`]).

use std::cell::Cell;
use wasm_bindgen::prelude::*;
use wasm_bindgen::JsCast;

#[wasm_bindgen]
extern "C" {
    /// The address of this instance's JS glue (`import.meta.url`): each `<raft-lab>` element
    /// imports it under its own address (`?instance=N`, www/raft-lab.js).
    #[wasm_bindgen(thread_local_v2, js_namespace = ["import", "meta"], js_name = url)]
    static GLUE_URL: String;
}

thread_local! {
    /// Whether the report is shown (once per instance).
    static SHOWN: Cell<bool> = const { Cell::new(false) };
}

/// Installs the panic hook and the listeners for a wasm trap.
pub fn install() {
    // Yew installs its own hook when it renders; this one replaces it for good. A build whose
    // panics abort at once never calls a hook: it has none, so the hook's formatting is not
    // linked in.
    #[cfg(not(panic = "immediate-abort"))]
    yew::set_custom_panic_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("raftlab: {message}").into());
        report(&message);
    }));
    let window = gloo_utils::window();
    let on_error = Closure::<dyn Fn(web_sys::ErrorEvent)>::new(|e: web_sys::ErrorEvent| {
        on_trap(&e.error());
    });
    let on_rejection = Closure::<dyn Fn(web_sys::PromiseRejectionEvent)>::new(
        |e: web_sys::PromiseRejectionEvent| {
            on_trap(&e.reason());
        },
    );
    let _ = window.add_event_listener_with_callback("error", on_error.as_ref().unchecked_ref());
    let _ = window.add_event_listener_with_callback(
        "unhandledrejection",
        on_rejection.as_ref().unchecked_ref(),
    );
    // The listeners live as long as the page.
    on_error.forget();
    on_rejection.forget();
}

/// A wasm trap (`unreachable`: a panic in the small build) reported to the window.
fn on_trap(error: &JsValue) {
    if SHOWN.get() || !error.is_instance_of::<js_sys::WebAssembly::RuntimeError>() {
        return;
    }
    let text = js_sys::Reflect::get(error, &"message".into())
        .ok()
        .and_then(|m| m.as_string())
        .unwrap_or_default();
    let stack = js_sys::Reflect::get(error, &"stack".into())
        .ok()
        .and_then(|s| s.as_string())
        .unwrap_or_default();
    if !from_this_instance(&stack) {
        return;
    }
    report(&format!(
        "the wasm stopped ({text}): a panic, whose message this small build leaves out; `raftlab run` on the scenario below replays the run and shows it"
    ));
}

/// Whether a trap with this stack came from this instance. The full page runs one instance,
/// so any trap is its own. Several `<raft-lab>` elements share one page and one compiled
/// module: the stack names the glue that called into the wasm, under the element's own
/// address (the element script raises `Error.stackTraceLimit` to 200 so that a deep stack
/// keeps that outermost frame; one deeper still would show no report, the console has it).
fn from_this_instance(stack: &str) -> bool {
    if !crate::host::in_element() {
        return true;
    }
    GLUE_URL.with(|url| stack.contains(&format!("{url}:")))
}

/// Shows the report: `message`, the seed, the scenario and the end of the trace.
fn report(message: &str) {
    if SHOWN.replace(true) {
        return;
    }
    let model = crate::state::shared_model();
    let report = match model.try_borrow() {
        Ok(m) => {
            let trace = m.trace_ndjson();
            let tail: Vec<&str> = trace.lines().rev().take(30).collect();
            format!(
                "raftlab crashed: {message}\nseed: {}\n\nscenario:\n{}\nlast trace lines (newest first):\n{}\n",
                m.sim().seed(),
                m.scenario().to_pretty(),
                tail.join("\n")
            )
        }
        Err(_) => format!("raftlab crashed: {message}\n(the run's state was being changed; no scenario available)\n"),
    };
    show(&report);
}

/// Panics on purpose, to test the crash report: reachable only from the browser's console
/// (`wasmBindings.crash_for_test()` on the full page), never from the page's own controls.
/// `depth` (0 when left out) calls that many frames deep first, as a panic deep inside a
/// render would be.
#[wasm_bindgen]
pub fn crash_for_test(depth: u32) {
    #[inline(never)]
    fn down(n: u32) -> u32 {
        if n == 0 {
            panic!("crash_for_test: a panic on purpose");
        }
        std::hint::black_box(down(std::hint::black_box(n - 1))).wrapping_add(1)
    }
    down(depth);
}

fn show(report: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    // In a <raft-lab> element the report shows inside it, not over the host page.
    let Some(body) = crate::host::element_root().or_else(|| doc.body().map(Into::into)) else {
        return;
    };
    let Ok(overlay) = doc.create_element("div") else {
        return;
    };
    overlay.set_class_name("panic");
    overlay.set_attribute("role", "alertdialog").ok();
    overlay.set_attribute("aria-label", "raftlab stopped").ok();
    let Ok(title) = doc.create_element("h2") else {
        return;
    };
    title.set_text_content(Some("Something went wrong inside raftlab"));
    let Ok(text) = doc.create_element("p") else {
        return;
    };
    text.set_text_content(Some(
        "The simulation stopped. Please copy this report (it holds the seed and every action, so the run can be replayed) and send it to us.",
    ));
    let Ok(area) = doc.create_element("textarea") else {
        return;
    };
    area.set_attribute("readonly", "").ok();
    area.set_attribute("aria-label", "Report").ok();
    area.set_text_content(Some(report));
    let Ok(button) = doc.create_element("button") else {
        return;
    };
    button.set_text_content(Some("Copy report"));
    let copy = report.to_string();
    let on_copy = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&copy);
        }
    });
    if let Some(b) = button.dyn_ref::<web_sys::HtmlElement>() {
        b.set_onclick(Some(on_copy.as_ref().unchecked_ref()));
    }
    // The overlay lives until the page is reloaded.
    on_copy.forget();
    for child in [&title, &text, &area, &button] {
        overlay.append_child(child).ok();
    }
    body.append_child(&overlay).ok();
}
