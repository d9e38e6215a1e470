//! The views: pure functions from the state (`state.rs`) to HTML and SVG. Rendering only
//! reads; every change goes through a `UiAction`. One file per part of the page.

mod cluster;
mod controls;
mod embed;
mod events;
mod files;
mod history;
mod logs;
mod panels;
mod timeline;

pub(crate) use cluster::cluster;
use cluster::{legend, membership};
use controls::{help, playback};
use events::narration;
use history::history;
use logs::{kv, logs};
use panels::{client_form, network, node_panel, safety, settings};

use crate::embed::Panel;
use crate::geometry::{dec, ms1, position, NODE_R};
use crate::model::{parse_groups, quorum_text, Member, Model, SPEED_RANGE};
use crate::state::{fresh_seed, Ui, UiAction};
use raftlab_raft::{Entry, Micros, Node, NodeId, ReadMode, Role};
use raftlab_sim::scenario::{Action, ConfigPatch, Target};
use yew::prelude::*;

pub(crate) fn term_class(term: u64) -> String {
    format!("t{}", term % 8)
}

/// The whole page.
pub fn page(ui: &UseReducerHandle<Ui>) -> Html {
    // Embed mode (`?embed`) has a compact page of its own (embed.rs).
    if crate::embed::options().embed {
        return embed::page(ui);
    }
    let m = ui.model.borrow();
    let paused = if m.playing { "" } else { " paused" };
    html! {
        <>
        <header class="bar">
            <h1>{ "raftlab" }</h1>
            { playback(ui, &m) }
        </header>
        { notice(ui) }
        <main class="layout">
            <section class={format!("stage{paused}")} aria-label="Cluster">
                { cluster(ui, &m) }
                { timeline::timeline(ui, &m) }
                { membership(ui, &m) }
                { legend() }
            </section>
            <div class="side">
                { for [Panel::Node, Panel::Client, Panel::Network, Panel::Safety].map(|p| panel(ui, &m, p)) }
                { files::panel(ui) }
            </div>
            <div class="wide">
                { for [Panel::Logs, Panel::Kv, Panel::History, Panel::Events, Panel::Settings].map(|p| panel(ui, &m, p)) }
            </div>
        </main>
        if ui.help { { help(ui) } }
        </>
    }
}

/// One panel (the full page and embed mode both show panels through here).
pub(crate) fn panel(ui: &UseReducerHandle<Ui>, m: &Model, p: Panel) -> Html {
    match p {
        Panel::Logs => logs(m),
        Panel::Kv => kv(m),
        Panel::History => history(m),
        Panel::Events => narration(ui, m),
        Panel::Safety => safety(m),
        Panel::Network => network(ui, m),
        Panel::Client => client_form(ui, m),
        Panel::Node => node_panel(ui, m),
        Panel::Settings => settings(ui, m),
        Panel::Legend => html! {
            <section class="panel" aria-label="Legend">{ legend() }</section>
        },
        Panel::Timeline => html! {
            <section class="panel" aria-label="Timeline">{ timeline::timeline(ui, m) }</section>
        },
    }
}

/// The notice area: a message for the user, if there is one.
pub(crate) fn notice(ui: &UseReducerHandle<Ui>) -> Html {
    html! {
        if let Some(text) = &ui.notice {
            <p class="notice" role="status">
                { text }
                <button class="link" aria-label="Dismiss message"
                    onclick={ui_cb(ui, |_| UiAction::Notice(None))}>{ "×" }</button>
            </p>
        }
    }
}

pub(crate) fn ui_cb<E: 'static>(
    ui: &UseReducerHandle<Ui>,
    f: impl Fn(E) -> UiAction + 'static,
) -> Callback<E> {
    let ui = ui.clone();
    Callback::from(move |e| ui.dispatch(f(e)))
}

/// The value of an input or a select element ("" for anything else).
pub(crate) fn value_of(target: Option<web_sys::EventTarget>) -> String {
    use wasm_bindgen::JsCast;
    let Some(target) = target else {
        return String::new();
    };
    match target.dyn_into::<web_sys::HtmlInputElement>() {
        Ok(i) => i.value(),
        Err(other) => other
            .dyn_into::<web_sys::HtmlSelectElement>()
            .map(|s| s.value())
            .unwrap_or_default(),
    }
}

/// The value of the input or select an event came from.
pub(crate) fn input_value<E: AsRef<web_sys::Event>>(e: &E) -> String {
    value_of(e.as_ref().target())
}

/// The value of the form field `id` (an input or a select).
pub(crate) fn field_value(id: &str) -> String {
    value_of(gloo_utils::document().get_element_by_id(id).map(Into::into))
}

pub(crate) fn f(x: f64) -> String {
    dec((x * 100.0).round() as i64, 2)
}

pub(crate) fn whole(x: f64) -> i64 {
    x.round() as i64
}
