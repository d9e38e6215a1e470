//! The raftlab page: a Yew single-page app that will animate the simulated cluster
//! (crates/sim). For now it shows a placeholder; the simulator and CLI are complete.

#[cfg(target_arch = "wasm32")]
mod app {
    use yew::prelude::*;

    /// The page's root component.
    #[component]
    pub fn App() -> Html {
        html! {
            <main>
                <h1>{ "raftlab" }</h1>
                <p>{ "The Raft visualization is coming; the simulator runs with the raftlab CLI." }</p>
            </main>
        }
    }
}

#[cfg(target_arch = "wasm32")]
fn main() {
    yew::Renderer::<app::App>::new().render();
}

#[cfg(not(target_arch = "wasm32"))]
fn main() {
    eprintln!("raftlab-web is the browser app; build it with Trunk. Natively, use the raftlab CLI (cargo run -p raftlab-sim -- --help).");
}
