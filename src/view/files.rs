//! The Files panel: download the scenario or the trace, open a scenario (`files.rs` does the
//! browser's part).

use super::*;
use crate::files::{download_name, open, save};

/// The "Files" panel: download the scenario or the trace, open a scenario.
pub(crate) fn panel(ui: &UseReducerHandle<Ui>) -> Html {
    let on_scenario = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| {
            save(&ui, |m| {
                let name = download_name(m.sim().seed(), "json");
                (name, "application/json", m.scenario().to_pretty())
            })
        })
    };
    let on_trace = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| {
            save(&ui, |m| {
                let name = download_name(m.sim().seed(), "ndjson");
                (name, "application/x-ndjson", m.trace_ndjson())
            })
        })
    };
    let on_pick = {
        let dispatch = ui.dispatcher();
        Callback::from(move |e: Event| {
            let Some(input) = e.target_dyn_into::<web_sys::HtmlInputElement>() else {
                return;
            };
            if let Some(file) = input.files().and_then(|f| f.get(0)) {
                open(file, dispatch.clone());
            }
            // Choosing the same file again is a change too.
            input.set_value("");
        })
    };
    html! {
        <section class="panel" aria-label="Files">
            <h2>{ "Files" }</h2>
            <div class="buttons">
                <button onclick={on_scenario}>{ "Download scenario" }</button>
                <button onclick={on_trace}>{ "Download trace" }</button>
                <label class="filepick">
                    { "Open scenario…" }
                    <input type="file" accept=".json,application/json" onchange={on_pick} />
                </label>
            </div>
            <p class="hint">{ "The scenario replays this run exactly in the raftlab CLI (raftlab run); the trace is its event log (NDJSON). Drop a scenario file anywhere on the page to open it." }</p>
        </section>
    }
}
