//! The raftlab page: a Yew single-page app that runs the simulator (crates/sim) compiled to
//! WebAssembly and animates the cluster.

pub mod diagram;
pub mod embed;
pub mod files;
pub mod geometry;
pub mod glyph;
#[cfg(target_arch = "wasm32")]
mod host;
#[cfg(target_arch = "wasm32")]
mod lessons;
pub mod model;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod canvas;
#[cfg(test)]
mod layers_test;
#[cfg(target_arch = "wasm32")]
mod panic;
#[cfg(target_arch = "wasm32")]
mod share;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
mod view;

/// Starts the full page, when this is the page (index.html's `#app[data-raftlab-page]`); on
/// any other page it does nothing: `<raft-lab>` elements call [`mount`].
#[cfg(target_arch = "wasm32")]
fn main() {
    let Some(root) = gloo_utils::document()
        .query_selector("#app[data-raftlab-page]")
        .ok()
        .flatten()
    else {
        return;
    };
    let query = gloo_utils::window().location().search().unwrap_or_default();
    let api = start(root, &query, share::current_fragment());
    let _ = js_sys::Reflect::set(&gloo_utils::window(), &"raftlab".into(), &api);
}

/// Runs raftlab inside `root`, the root of a `<raft-lab>` element's shadow tree
/// (www/raft-lab.js), with the page options of `query` (`embed&seed=42&panels=logs`, as in
/// the page's query string), the share link `link` (as after `#` in a page address; empty
/// for none) and raftlab's files (lessons) at `base` (its folder's address, ending in `/`).
/// Returns the element's scripting API (the functions of `window.raftlab`). Bad options and
/// links are said in the element; one instance mounts once.
#[cfg(target_arch = "wasm32")]
#[wasm_bindgen::prelude::wasm_bindgen]
pub fn mount(
    root: web_sys::Element,
    query: String,
    link: String,
    base: String,
) -> wasm_bindgen::JsValue {
    if host::in_element() || embed::installed() {
        return js_sys::Error::new("raftlab: this instance already runs").into();
    }
    host::set_element_root(root.clone(), base);
    start(root, &query, (!link.is_empty()).then_some(link))
}

/// The app in `root`: the starting run from a share link (`fragment`) when there is one, then
/// the page options (`query`, embed.rs). Returns the scripting API.
#[cfg(target_arch = "wasm32")]
fn start(root: web_sys::Element, query: &str, fragment: Option<String>) -> wasm_bindgen::JsValue {
    panic::install();
    let link = share::startup_link(fragment);
    let actions = link.as_ref().map(|l| l.scenario.events.len());
    embed::install(query, link.map(|l| (l.scenario, l.position_us)));
    if let Some(actions) = actions {
        share::set_startup_notice(model::opened_link(&state::shared_model().borrow(), actions));
    }
    let api = api::install();
    yew::Renderer::<app::App>::with_root(root).render();
    api
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("raftlab-web is the browser app; build it with Trunk (bash scripts/serve.sh). Natively, use the raftlab CLI (cargo run -p raftlab-sim -- --help).");
}
