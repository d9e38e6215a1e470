//! The views: pure functions from the state (`state.rs`) to HTML and SVG. Rendering only
//! reads; every change goes through a `UiAction`. One file per part of the page.

mod cluster;
mod controls;
mod details;
mod diagram;
mod embed;
mod events;
mod files;
mod history;
mod lesson;
mod logs;
mod panels;
mod systems;
mod timeline;

pub(crate) use cluster::cluster;
use cluster::{legend, membership};
use controls::{help, playback};
pub(crate) use diagram::{draw as draw_diagram, draw_playing as draw_diagram_playing};
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

/// The collapsible sections of the full page, in order: (name, title). The name is the
/// section's accessible name (a region) and the key in `Ui::open`.
pub const SECTIONS: [(&str, &str); 10] = [
    ("Space-time diagram", "Space-time diagram"),
    ("Client", "Client"),
    ("Network", "Network"),
    ("Event log", "Event log"),
    ("Client history", "Client history"),
    ("Safety", "Safety"),
    ("Key-value stores", "Key-value stores"),
    ("Settings", "Settings"),
    ("Files", "Files"),
    ("Legend", "Legend"),
];

/// The sections presenter mode does not show even when a step opens them: they are forms
/// (the controls are hidden there, except the lesson's navigation and play/pause).
const PRESENTER_HIDES: [&str; 4] = ["Client", "Network", "Settings", "Files"];

/// The whole page: on a wide screen the picture on the left, as tall as the window allows;
/// on the right every server's log, the details of the selection and the sections that open
/// on demand; the playback bar and the timeline on top. On a narrow screen the picture
/// comes first.
pub fn page(ui: &UseReducerHandle<Ui>) -> Html {
    // Embed mode (`?embed`) has a compact page of its own (embed.rs).
    if crate::embed::options().notes {
        return lesson::notes_page(ui);
    }
    if crate::embed::options().embed {
        return embed::page(ui);
    }
    let m = ui.model.borrow();
    let paused = if m.playing { "" } else { " paused" };
    if ui.present {
        // Presenter mode: the picture and the logs fill the screen, the step's text is a
        // caption band. Beside the logs: the sections open now (a step's `panels`), then the
        // selection's details (a step's `select`), so the class sees what the step shows.
        let selected = ui.selection != crate::state::Selection::None;
        return html! {
            <div class="page present">
                <main class="present-layout">
                    <section class={format!("stage{paused}")} aria-label="Cluster">
                        { cluster(ui, &m) }
                    </section>
                    <div class="present-side">
                        { notice(ui) }
                        { logs(ui, &m) }
                        { for SECTIONS.iter()
                            .filter(|(name, _)| ui.open.contains(name) && !PRESENTER_HIDES.contains(name))
                            .map(|&(name, title)| fold(ui, name, title, section(ui, &m, name))) }
                        if selected { { details::details(ui, &m) } }
                    </div>
                </main>
                { lesson::caption(ui, &m) }
                if ui.lessons_open { { lesson::lessons_dialog(ui) } }
            </div>
        };
    }
    html! {
        <div class="page">
        <header class="bar">
            <h1>{ "raftlab" }</h1>
            { lesson::lessons_button(ui) }
            { playback(ui, &m) }
            { theme_toggle(ui) }
            { timeline::timeline(ui, &m) }
        </header>
        <main class="layout">
            <section class={format!("stage{paused}")} aria-label="Cluster">
                { cluster(ui, &m) }
            </section>
            <div class="side">
                { lesson::player(ui, &m) }
                { intro(ui, &m) }
                { notice(ui) }
                { panel(ui, &m, Panel::Logs) }
                if m.sim().system() == raftlab_sim::system::System::Raft { { membership(ui, &m) } }
                { details::details(ui, &m) }
                { for SECTIONS.iter().map(|&(name, title)| fold(ui, name, title, section(ui, &m, name))) }
            </div>
        </main>
        if ui.help { { help(ui) } }
        if ui.lessons_open { { lesson::lessons_dialog(ui) } }
        </div>
    }
}

/// The content of the section `name`.
fn section(ui: &UseReducerHandle<Ui>, m: &Model, name: &str) -> Html {
    match name {
        "Client" => client_form(ui, m),
        "Network" => network(ui, m),
        "Event log" => narration(ui, m),
        "Client history" => history(m),
        "Safety" => safety(m),
        "Key-value stores" => panel(ui, m, Panel::Kv),
        "Settings" => settings(ui, m),
        "Files" => files::panel(ui),
        "Space-time diagram" => diagram::diagram(ui, m),
        _ => {
            html! { <section class="panel" aria-label="Legend"><h2>{ "Legend" }</h2>{ legend() }</section> }
        }
    }
}

/// A section that opens on demand: a heading button (`aria-expanded`) over the panel, which
/// is only rendered while open.
fn fold(ui: &UseReducerHandle<Ui>, name: &'static str, title: &'static str, body: Html) -> Html {
    let open = ui.open.contains(&name);
    let id = format!("fold-{}", name.to_ascii_lowercase().replace(' ', "-"));
    html! {
        <div class={if open { "fold open" } else { "fold" }}>
            <h2 class="fold-head">
                <button aria-expanded={open.to_string()} aria-controls={id.clone()}
                    onclick={ui_cb(ui, move |_| UiAction::Section(name, !open))}>
                    <span class="chev" aria-hidden="true">{ if open { "▾" } else { "▸" } }</span>
                    { title }
                </button>
            </h2>
            <div {id} class="fold-body">
                if open { { body } }
            </div>
        </div>
    }
}

/// The one-line introduction of a first visit.
fn intro(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    use raftlab_sim::system::System;
    let text = match m.sim().system() {
        System::Raft => "Press Play: the servers elect a leader, and the leader copies each entry to a majority to commit it.",
        System::Quorum => "No leader here: any server coordinates a request, writes it to W replicas and reads from R; each value carries a version, and the newest version wins. Beside each server: its value and version per key.",
        System::Lease => "S1 is a store holding a lease record; the candidates compete for the lease and the holder writes to the resource (the last server). Beside each candidate: what it believes, on its own clock. Pause the holder (select it, press Z) and watch belief and record disagree.",
    };
    // A lesson is an introduction of its own: the first-visit line waits until it is closed.
    let raft_intro = ui.intro && m.lesson().is_none();
    html! {
        if raft_intro || m.sim().system() != System::Raft {
            <p class="intro">
                <span>{ text }</span>
                if m.sim().system() == System::Raft {
                <button class="link" aria-label="Dismiss introduction"
                    onclick={ui_cb(ui, |_| UiAction::DismissIntro)}>{ "×" }</button>
                }
            </p>
        }
    }
}

/// Light or dark, whatever the system says (a click goes to the other one).
fn theme_toggle(ui: &UseReducerHandle<Ui>) -> Html {
    use crate::state::Theme;
    let next = match ui.theme {
        Theme::Dark => Theme::Light,
        Theme::Light => Theme::Dark,
        // The system's theme is not known here: the stylesheet shows the right icon, and the
        // click picks the one that is not shown now.
        Theme::System => {
            let dark = crate::canvas::prefers_dark();
            if dark {
                Theme::Light
            } else {
                Theme::Dark
            }
        }
    };
    let label = if next == Theme::Dark {
        "Dark theme"
    } else {
        "Light theme"
    };
    html! {
        <button class="theme" aria-label={label} title={label}
            onclick={ui_cb(ui, move |_| UiAction::SetTheme(next))}>
            <span aria-hidden="true">{ if next == Theme::Dark { "☾" } else { "☀" } }</span>
        </button>
    }
}

/// One panel (the full page and embed mode both show panels through here).
pub(crate) fn panel(ui: &UseReducerHandle<Ui>, m: &Model, p: Panel) -> Html {
    let other = m.sim().system() != raftlab_sim::system::System::Raft;
    match p {
        Panel::Logs if other => systems::tables(m),
        Panel::Node if other => match ui
            .selection
            .node()
            .filter(|&id| id as usize <= m.sim().node_count())
        {
            Some(id) => systems::node_panel(ui, m, id),
            None => node_panel(ui, m),
        },
        Panel::Logs => logs(ui, m),
        Panel::Kv => kv(m),
        Panel::History => history(m),
        Panel::Events => narration(ui, m),
        Panel::Safety => safety(m),
        Panel::Network => network(ui, m),
        Panel::Client => client_form(ui, m),
        Panel::Node => node_panel(ui, m),
        Panel::Settings => settings(ui, m),
        Panel::Legend => html! {
            <section class="panel" aria-label="Legend"><h2>{ "Legend" }</h2>{ legend() }</section>
        },
        Panel::Diagram => diagram::diagram(ui, m),
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
    value_of(crate::host::by_id(id).map(Into::into))
}

pub(crate) fn f(x: f64) -> String {
    dec((x * 100.0).round() as i64, 2)
}

pub(crate) fn whole(x: f64) -> i64 {
    x.round() as i64
}
