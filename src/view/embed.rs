//! The compact page of embed mode (`?embed`, options in `embed.rs`): the controls (unless
//! read-only), the notice and the picture sized to the frame, then the chosen panels.

use super::*;
use crate::embed::options;

fn cb<E: 'static>(ui: &UseReducerHandle<Ui>, f: impl Fn() -> UiAction + 'static) -> Callback<E> {
    let ui = ui.clone();
    Callback::from(move |_| ui.dispatch(f()))
}

/// The compact controls: Play/Pause, Step, Reset and the clock.
fn controls(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let reset = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| {
            let start = crate::embed::start_again(&ui.model.borrow());
            ui.dispatch(UiAction::Load(Box::new(start), None));
        })
    };
    html! {
        <div class="embed-bar" role="toolbar" aria-label="Playback">
            <button class="primary" onclick={cb(ui, || UiAction::TogglePlay)}
                aria-keyshortcuts="Space">
                { if m.playing { "Pause" } else { "Play" } }
            </button>
            <button onclick={cb(ui, || UiAction::Step)} aria-keyshortcuts=".">{ "Step" }</button>
            <button onclick={reset} title="Start this run again">{ "Reset" }</button>
            <span class="clock" aria-label="Simulated time">{ format!("{} ms", ms1(m.now())) }</span>
        </div>
    }
}

/// The compact page: the controls (unless read-only), the notice and the picture sized
/// to the frame, then the chosen panels.
pub(crate) fn page(ui: &UseReducerHandle<Ui>) -> Html {
    let o = options();
    let m = ui.model.borrow();
    let fit = if o.panels.is_empty() { "fit" } else { "more" };
    let paused = if m.playing { "" } else { " paused" };
    html! {
        <div class={format!("embed-page {fit}")}>
            if !o.readonly { { controls(ui, &m) } }
            <div class="embed-main">
                { notice(ui) }
                <section class={format!("stage{paused}")} aria-label="Cluster">
                    { cluster(ui, &m) }
                </section>
            </div>
            { super::lesson::player(ui, &m) }
            if !o.panels.is_empty() {
                <div class="embed-panels">
                    { for o.panels.iter().map(|&p| panel(ui, &m, p)) }
                </div>
            }
        </div>
    }
}
