//! The Details section: what is selected (a server, a log entry, a message) and the facts
//! the model has about it, in one place, with the selected server's actions under them.
//!
//! Each kind of selection has its own function below; an explanation in words from the
//! simulator can be shown in each (a paragraph under the facts) without changing the rest.

use super::*;
use crate::state::Selection;

/// The Details section of the full page.
pub(crate) fn details(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let n = m.sim().nodes().len() as NodeId;
    // A selection of a server the run does not have at this moment (time travel, a new
    // run) shows nothing.
    let body = match ui.selection {
        Selection::Node(id) if id <= n => html! {},
        Selection::Entry { node, index } if node <= n => entry(m, node, index),
        Selection::Message(id) => message(m, id),
        _ => html! {
            <p class="hint">{ "Click a server or a log entry (or press 1 to 9) to see its details and act on it. Click a link between two servers to cut or mend it." }</p>
        },
    };
    let clear = (ui.selection != Selection::None).then(|| {
        html! {
            <button class="link" onclick={ui_cb(ui, |_| UiAction::Select(Selection::None))}
                aria-keyshortcuts="Escape">{ "Clear selection" }</button>
        }
    });
    html! {
        <section class="panel details" aria-label="Details">
            <h2>{ "Details" }{ for clear }</h2>
            { body }
            if ui.selection.node().is_some_and(|id| id <= n) { { node_panel(ui, m) } }
        </section>
    }
}

/// A log entry: its term, command, and whether it is committed, and where it is held.
fn entry(m: &Model, id: NodeId, index: u64) -> Html {
    let sim = m.sim();
    let node = &sim.nodes()[id as usize - 1];
    let Some(e) = node.entry(index) else {
        return html! {
            <p class="facts">{ format!("S{id} no longer holds entry {index} (its log was truncated or compacted into a snapshot).") }</p>
        };
    };
    let committed = index <= node.commit_index();
    // Servers holding the same entry (same index and term: by the Log Matching property,
    // the same entry and everything before it).
    let holders: Vec<String> = sim
        .nodes()
        .iter()
        .filter(|n| n.term_at(index) == Some(e.term))
        .map(|n| format!("S{}", n.id()))
        .collect();
    let quorum = sim.membership().quorum();
    html! {
        <>
            <p class="selected-what">
                <span class={format!("cell sample {} {}", term_class(e.term), if committed { "committed" } else { "pending" })} aria-hidden="true">{ e.term }</span>
                <strong>{ format!("S{id}, entry {index}") }</strong>
            </p>
            <dl class="facts-list">
                <dt>{ "term" }</dt><dd>{ format!("{} (the leader of term {} created it)", e.term, e.term) }</dd>
                <dt>{ "command" }</dt><dd><code>{ e.command.to_string() }</code></dd>
                <dt>{ "status" }</dt>
                <dd>{ if committed {
                    format!("committed at S{id} (its commit index is {})", node.commit_index())
                } else {
                    format!("not committed at S{id} yet (its commit index is {})", node.commit_index())
                } }</dd>
                <dt>{ "held by" }</dt>
                <dd>{ format!("{} of {} servers: {} (a majority is {quorum})", holders.len(), sim.nodes().len(), holders.join(", ")) }</dd>
            </dl>
        </>
    }
}

/// A message in flight: its kind, ends and times.
fn message(m: &Model, id: u64) -> Html {
    let sim = m.sim();
    match sim.in_flight().find(|f| f.id == id) {
        Some(f) => html! {
            <dl class="facts-list">
                <dt>{ "message" }</dt><dd>{ format!("{} from S{} to S{}", f.message.body.type_name(), f.message.from, f.message.to) }</dd>
                <dt>{ "sent" }</dt><dd>{ format!("at {} ms, arrives at {} ms{}", ms1(f.sent_at), ms1(f.deliver_at), if f.lost { " (the network will lose it)" } else { "" }) }</dd>
            </dl>
        },
        None => html! { <p class="facts">{ format!("Message {id} has arrived or was lost.") }</p> },
    }
}
