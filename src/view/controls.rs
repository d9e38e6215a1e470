//! The playback bar and the keyboard help.

use super::*;

/// The keyboard shortcuts, as listed in the help overlay.
pub const SHORTCUTS: [(&str, &str); 19] = [
    ("Space", "play / pause"),
    (
        "→ Space PageDown / ← PageUp",
        "in a lesson: next step / back",
    ),
    ("P", "presenter mode (Escape leaves it)"),
    (". or →", "step to the next event"),
    (", or ←", "step back to the previous event"),
    ("Home / End", "go to the start / the end of the run"),
    ("+ / −", "faster / slower"),
    ("1 to 9", "select a node"),
    ("C", "crash the selected node"),
    ("R", "restart the selected node"),
    ("T", "force the selected node's election timeout"),
    ("I", "isolate the selected node"),
    ("Z", "pause the selected node's process for 1 s"),
    ("W", "client write (to the selected node, else the leader)"),
    ("H", "heal every link"),
    ("0", "replay this seed from the start"),
    ("N", "new run with a fresh seed"),
    ("?", "this help"),
    ("Esc", "close help / deselect"),
];

pub(crate) fn playback(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    // A new run starts with as many servers as this one started with (servers added or
    // removed since are changes made during the run).
    let nodes = m.start_nodes();
    let seed = m.sim().seed();
    // The speed slider is logarithmic: position 0..=1000 maps to SPEED_RANGE.
    let (lo, hi) = (SPEED_RANGE.0.ln(), SPEED_RANGE.1.ln());
    let pos = ((m.speed.ln() - lo) / (hi - lo) * 1000.0).round();
    let on_speed = ui_cb(ui, move |e: InputEvent| {
        let p = input_value(&e).parse::<i64>().unwrap_or(500) as f64;
        UiAction::Speed((lo + (hi - lo) * p / 1000.0).exp())
    });
    let on_seed = {
        let ui = ui.clone();
        Callback::from(
            move |e: Event| match input_value(&e).trim().parse::<u64>() {
                Ok(s) => ui.dispatch(UiAction::Restart(s, nodes)),
                Err(_) => ui.dispatch(UiAction::Notice(Some(
                    "The seed must be a whole number from 0 to 18446744073709551615".into(),
                ))),
            },
        )
    };
    let on_size = {
        let ui = ui.clone();
        Callback::from(move |e: Event| {
            if let Ok(n) = input_value(&e).parse::<u32>() {
                ui.dispatch(UiAction::Restart(seed, n));
            }
        })
    };
    html! {
        <div class="controls" role="toolbar" aria-label="Playback">
            <button class="primary" onclick={ui_cb(ui, |_| UiAction::TogglePlay)}
                aria-keyshortcuts="Space">
                { if m.playing { "Pause" } else { "Play" } }
            </button>
            <button onclick={ui_cb(ui, |_| UiAction::StepBack)} aria-keyshortcuts=","
                disabled={m.now() == 0} title="Back to the previous moment">{ "Back" }</button>
            <button onclick={ui_cb(ui, |_| UiAction::Step)} aria-keyshortcuts=".">{ "Step" }</button>
            <button onclick={ui_cb(ui, move |_| UiAction::Restart(seed, nodes))}
                title="Replay this seed from the start">{ "Reset" }</button>
            <label class="field">
                <span>{ "Speed" }</span>
                <input type="range" min="0" max="1000" step="1" value={(pos as i64).to_string()}
                    aria-label="Speed" aria-valuetext={format!("{}x real time", dec(whole(m.speed * 1000.0), 3))}
                    oninput={on_speed} />
                <output>{ format!("{}×", dec(whole(m.speed * 1000.0), 3)) }</output>
            </label>
            <label class="field">
                <span>{ "Seed" }</span>
                <input type="number" min="0" class="seed" value={seed.to_string()}
                    aria-label="Seed" onchange={on_seed} />
            </label>
            <button onclick={ui_cb(ui, move |_| UiAction::Restart(fresh_seed(), nodes))}>{ "New seed" }</button>
            <label class="field">
                <span>{ "Nodes" }</span>
                <select aria-label="Cluster size" onchange={on_size}
                    title="How many servers a new run starts with (Add server and Remove change the size during a run)">
                    { for (1..=9u32).map(|k| html! {
                        <option value={k.to_string()} selected={k == nodes}>{ k }</option>
                    }) }
                </select>
            </label>
            <span class="clock" aria-label="Simulated time">{ format!("{} ms", ms1(m.now())) }</span>
            <button onclick={ui_cb(ui, |_| UiAction::CopyLink)}
                title="A link that opens this run at this moment">{ "Copy link" }</button>
            <button onclick={ui_cb(ui, |_| UiAction::Help(true))} aria-keyshortcuts="?">{ "Help" }</button>
        </div>
    }
}

pub(crate) fn help(ui: &UseReducerHandle<Ui>) -> Html {
    html! {
        <div class="overlay" onclick={ui_cb(ui, |_| UiAction::Help(false))}>
            <div class="dialog" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2>{ "Keyboard shortcuts" }</h2>
                <dl>
                    { for SHORTCUTS.iter().map(|(k, what)| html! { <><dt><kbd>{ *k }</kbd></dt><dd>{ *what }</dd></> }) }
                </dl>
                <button autofocus=true onclick={ui_cb(ui, |_| UiAction::Help(false))}>{ "Close" }</button>
            </div>
        </div>
    }
}
