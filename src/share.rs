//! Share links in the browser: the URL fragment at start and on `hashchange`, the address
//! bar and the clipboard. Reading and writing links is the model's (`model/links.rs`).

use crate::model::check_link;
use crate::state::{Ui, UiAction};
use raftlab_sim::link;
use yew::prelude::*;

thread_local! {
    static STARTUP: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The share link the page was opened with (`fragment`: the page's URL fragment, or a
/// `<raft-lab>` element's `link`), read once at start: the run to open and the moment to
/// show. A bad link is reported by [`startup_notice`].
pub fn startup_link(fragment: Option<String>) -> Option<link::Link> {
    let fragment = fragment?;
    // A lesson's fragment (`lesson=<id>&step=<n>`) is opened by the app once it runs.
    if let Some(lesson) = crate::model::parse_lesson_fragment(&fragment) {
        if let Err(problem) = lesson {
            set_startup_notice(problem);
        }
        return None;
    }
    match check_link(&fragment) {
        Ok(l) => Some(l),
        Err(problem) => {
            set_startup_notice(problem);
            None
        }
    }
}

/// Records what to say when the page opens.
pub fn set_startup_notice(text: String) {
    STARTUP.with(|s| *s.borrow_mut() = Some(text));
}

/// What the share link at start gave to say, if anything.
pub fn startup_notice() -> Option<String> {
    STARTUP.with(|s| s.borrow().clone())
}

/// The URL fragment now (without the `#`), if there is one. An element does not read its
/// host page's address.
pub fn current_fragment() -> Option<String> {
    if crate::host::in_element() {
        return None;
    }
    let hash = gloo_utils::window().location().hash().ok()?;
    let hash = hash.strip_prefix('#').unwrap_or(&hash).to_string();
    (!hash.is_empty()).then_some(hash)
}

/// Puts `fragment` in the address bar without a new history entry or a `hashchange`.
/// An element leaves its host page's address alone.
pub fn set_fragment(fragment: &str) {
    if crate::host::in_element() {
        return;
    }
    let window = gloo_utils::window();
    let Ok(history) = window.history() else {
        return;
    };
    let location = window.location();
    let base = location.href().unwrap_or_default();
    let base = base.split('#').next().unwrap_or_default().to_string();
    let _ = history.replace_state_with_url(
        &wasm_bindgen::JsValue::NULL,
        "",
        Some(&format!("{base}#{fragment}")),
    );
}

/// The whole address of raftlab's page opened at `fragment`, as a reader would paste it:
/// this page's address without its query (`?embed`, `?present` are the sharer's way of
/// viewing), or raftlab's own page next to an element's script.
pub fn address(fragment: &str) -> String {
    let page = if crate::host::in_element() {
        crate::host::asset("")
    } else {
        let location = gloo_utils::window().location();
        let origin = location.origin().unwrap_or_default();
        origin + &location.pathname().unwrap_or_default()
    };
    format!("{page}#{fragment}")
}

/// Copies `text` (a link that opens `opens`) to the clipboard, then tells the page how it
/// went.
pub fn copy(text: String, opens: String, dispatcher: UseReducerDispatcher<Ui>) {
    use wasm_bindgen::closure::Closure;
    let len = text.len();
    let clipboard = gloo_utils::window().navigator().clipboard();
    let promise = clipboard.write_text(&text);
    let ok = {
        let dispatcher = dispatcher.clone();
        Closure::once_into_js(move |_: wasm_bindgen::JsValue| {
            dispatcher.dispatch(UiAction::Notice(Some(format!(
                "Link copied ({len} characters): it opens {opens}."
            ))));
        })
    };
    // An element leaves the host's address bar alone, so it shows the link itself.
    let failed = if crate::host::in_element() {
        format!("The browser did not allow copying. The link: {text}")
    } else {
        format!(
            "The browser did not allow copying; the address bar holds the link ({len} characters)."
        )
    };
    let failed = Closure::once_into_js(move |_: wasm_bindgen::JsValue| {
        dispatcher.dispatch(UiAction::Notice(Some(failed)));
    });
    // promise.then(ok, failed), each callback freed after its one call.
    use wasm_bindgen::JsCast;
    if let Ok(then) = js_sys::Reflect::get(&promise, &"then".into()) {
        let _ = then
            .unchecked_into::<js_sys::Function>()
            .call2(&promise, &ok, &failed);
    }
}
