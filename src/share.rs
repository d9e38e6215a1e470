//! Share links: the run (seed, settings, every action with its time) and the moment shown,
//! in the URL fragment (`docs/share-links.md`). Opening such a link reproduces the run.

use crate::app::UiAction;
use crate::geometry::ms1;
use crate::model::Model;
use raftlab_raft::Micros;
use raftlab_sim::link;
use yew::prelude::*;

/// Longest run a link may ask the page to compute (2 hours of simulated time, about a
/// second of work); `raftlab run` handles longer ones.
pub const MAX_LINK_RUN_US: Micros = 2 * 3600 * 1_000_000;

/// The link of the model's whole run at the moment shown (without the `#`).
pub fn link_of(m: &Model) -> String {
    link::encode(&m.full_scenario(), Some(m.now()))
}

/// Reads the link `text`, or says what is wrong with it.
pub fn check(text: &str) -> Result<link::Link, String> {
    let l = link::decode(text)
        .map_err(|e| format!("This link cannot be opened, so the run is unchanged. {e}"))?;
    if l.scenario.until_us > MAX_LINK_RUN_US {
        return Err(format!(
            "This link's run lasts {} ms; the page opens runs of up to {} ms (use `raftlab run` for longer ones). The run is unchanged.",
            ms1(l.scenario.until_us),
            ms1(MAX_LINK_RUN_US)
        ));
    }
    Ok(l)
}

/// What the page says after opening a link.
pub fn opened(m: &Model, actions: usize) -> String {
    format!(
        "Opened a shared run: seed {}, {} nodes, {actions} actions, at {} ms of {} ms{}.",
        m.sim().seed(),
        m.sim().nodes().len(),
        ms1(m.now()),
        ms1(m.end()),
        if m.playing { "" } else { " (paused)" }
    )
}

/// Opens the link `text` in the model, or says what is wrong with it (the run is then kept).
pub fn open(m: &mut Model, text: &str) -> Result<String, String> {
    let l = check(text)?;
    let actions = l.scenario.events.len();
    m.open(l.scenario, l.position_us);
    // The reader sees the moment the link was made at, and presses Play when ready.
    m.set_playing(false);
    Ok(opened(m, actions))
}

thread_local! {
    static STARTUP: std::cell::RefCell<Option<String>> = const { std::cell::RefCell::new(None) };
}

/// The share link the page was opened with, read once at start: the run to open and the
/// moment to show. A bad link is reported by [`startup_notice`].
pub fn startup_link() -> Option<link::Link> {
    let fragment = current_fragment()?;
    match check(&fragment) {
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

/// The URL fragment now (without the `#`), if there is one.
pub fn current_fragment() -> Option<String> {
    let hash = gloo_utils::window().location().hash().ok()?;
    let hash = hash.strip_prefix('#').unwrap_or(&hash).to_string();
    (!hash.is_empty()).then_some(hash)
}

/// Puts `fragment` in the address bar without a new history entry or a `hashchange`.
pub fn set_fragment(fragment: &str) {
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

/// Copies `text` to the clipboard, then tells the page how it went.
pub fn copy(text: String, dispatcher: UseReducerDispatcher<crate::app::Ui>) {
    use wasm_bindgen::closure::Closure;
    let len = text.len();
    let clipboard = gloo_utils::window().navigator().clipboard();
    let promise = clipboard.write_text(&text);
    let ok = {
        let dispatcher = dispatcher.clone();
        Closure::once_into_js(move |_: wasm_bindgen::JsValue| {
            dispatcher.dispatch(UiAction::Notice(Some(format!(
                "Link copied ({len} characters): it opens this run at this moment."
            ))));
        })
    };
    let failed = Closure::once_into_js(move |_: wasm_bindgen::JsValue| {
        dispatcher.dispatch(UiAction::Notice(Some(format!(
            "The browser did not allow copying; the address bar holds the link ({len} characters)."
        ))));
    });
    // promise.then(ok, failed), each callback freed after its one call.
    use wasm_bindgen::JsCast;
    if let Ok(then) = js_sys::Reflect::get(&promise, &"then".into()) {
        let _ = then
            .unchecked_into::<js_sys::Function>()
            .call2(&promise, &ok, &failed);
    }
}
