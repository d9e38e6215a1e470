//! The raftlab page: a Yew single-page app that runs the simulator (crates/sim) compiled to
//! WebAssembly and animates the cluster.

pub mod diagram;
pub mod embed;
pub mod files;
pub mod geometry;
#[cfg(target_arch = "wasm32")]
mod lessons;
pub mod model;

#[cfg(target_arch = "wasm32")]
mod api;
#[cfg(target_arch = "wasm32")]
mod app;
#[cfg(target_arch = "wasm32")]
mod canvas;
#[cfg(target_arch = "wasm32")]
mod panic;
#[cfg(target_arch = "wasm32")]
mod share;
#[cfg(target_arch = "wasm32")]
mod state;
#[cfg(target_arch = "wasm32")]
mod view;

#[cfg(target_arch = "wasm32")]
fn main() {
    panic::install();
    // The starting run: a share link (the URL fragment) when there is one, then the page
    // options of the query string (embed.rs).
    let link = share::startup_link();
    let actions = link.as_ref().map(|l| l.scenario.events.len());
    embed::install(link.map(|l| (l.scenario, l.position_us)));
    if let Some(actions) = actions {
        share::set_startup_notice(model::opened_link(&state::shared_model().borrow(), actions));
    }
    api::install();
    let root = gloo_utils::document()
        .get_element_by_id("app")
        .expect("index.html has #app");
    yew::Renderer::<app::App>::with_root(root).render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("raftlab-web is the browser app; build it with Trunk (bash scripts/serve.sh). Natively, use the raftlab CLI (cargo run -p raftlab-sim -- --help).");
}
