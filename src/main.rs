//! The raftlab page: a Yew single-page app that runs the simulator (crates/sim) compiled to
//! WebAssembly and animates the cluster.

pub mod embed;
pub mod files;
pub mod geometry;
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
mod view;

#[cfg(target_arch = "wasm32")]
fn main() {
    panic::install();
    // The starting run: a scenario from a share link (the URL fragment) when there is one
    // (none yet: `None`), then the page options of the query string (embed.rs).
    let start: Option<raftlab_sim::scenario::Scenario> = None;
    embed::install(start);
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
