//! The timeline under the picture: the whole run with marks for elections, crashes,
//! partitions, commits and membership changes, and a slider to show any moment of it (time travel).

use crate::geometry::ms1;
use crate::model::{mark_paths, MarkKind, Model};
use crate::state::{Ui, UiAction};
use raftlab_raft::Micros;
use yew::prelude::*;

/// The slider counts in tenths of a millisecond.
const UNIT_US: Micros = 100;

/// The timeline.
pub fn timeline(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let (now, end) = (m.now(), m.end());
    let on_input = {
        let ui = ui.clone();
        Callback::from(move |e: InputEvent| {
            if let Ok(units) = super::input_value(&e).parse::<Micros>() {
                ui.dispatch(UiAction::Seek(units.saturating_mul(UNIT_US)));
            }
        })
    };
    let past = now < end;
    let text = format!("{} ms of {} ms", ms1(now), ms1(end));
    html! {
        <div class={if past { "timeline past" } else { "timeline" }}>
            <svg class="marks" viewBox="0 0 1000 10" preserveAspectRatio="none" aria-hidden="true">
                { for mark_paths(m.marks(), end).into_iter().map(|(kind, d)| html! {
                    <path class={kind.name()} {d} />
                }) }
            </svg>
            <input type="range" class="scrub" min="0" max={(end / UNIT_US).to_string()} step="1"
                value={(now / UNIT_US).to_string()} aria-label="Timeline" aria-valuetext={text.clone()}
                oninput={on_input} />
            <p class="tl-info">
                <span>{ text }</span>
                if past {
                    <strong>{ " · the past: Play replays it; acting here starts a new future" }</strong>
                }
                <span class="tl-key" aria-hidden="true">
                    { for [MarkKind::Election, MarkKind::Commit, MarkKind::Crash, MarkKind::Partition, MarkKind::Heal, MarkKind::Membership]
                        .into_iter()
                        .map(|k| html! { <i class={k.name()}>{ k.name() }</i> }) }
                </span>
            </p>
        </div>
    }
}
