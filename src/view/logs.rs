//! Every server's log, one row per server, and the key-value stores.

use super::*;
use crate::state::Selection;

/// How many indexes the log table shows (the newest).
pub(crate) const LOG_WINDOW: usize = 16;

/// Every server's log as a table, as in RaftScope: one row per server, one column per index
/// (the same index in the same column on every row), the term number in each cell;
/// committed entries filled, uncommitted ones dashed. A cell is a button: it selects the
/// entry (its details are shown in the Details section).
pub(crate) fn logs(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let sim = m.sim();
    // Absolute indexes: a log compacted into a snapshot (paper section 7) starts later.
    let longest = sim
        .nodes()
        .iter()
        .map(|n| n.last_index() as usize)
        .max()
        .unwrap_or(0);
    let first = longest.saturating_sub(LOG_WINDOW) + 1;
    let snapshots = sim.nodes().iter().any(|n| n.snapshot_index() > 0);
    let lead = if snapshots || first > 1 { " lead" } else { "" };
    html! {
        <section class="panel logs" aria-label="Logs">
            <h2>{ "Logs" }<span class="key" aria-hidden="true">
                <span class="cell sample committed t1">{ "1" }</span>{ "committed" }
                <span class="cell sample pending">{ "1" }</span>{ "not yet" }
                <span class="keynote">{ "number: term, colour: term" }</span>
            </span></h2>
            <div class={format!("logtable{lead}")} style={format!("--cols:{LOG_WINDOW}")}>
                <div class="loghead" aria-hidden="true">
                    <span class="who">{ "index" }</span>
                    if !lead.is_empty() { <span class="pre"></span> }
                    { for (first..first + LOG_WINDOW).map(|i| html! { <span class="ix">{ i }</span> }) }
                </div>
                { for sim.nodes().iter().map(|node| log_row(ui, m, node, first, !lead.is_empty())) }
            </div>
        </section>
    }
}

pub(crate) fn log_row(
    ui: &UseReducerHandle<Ui>,
    m: &Model,
    node: &Node,
    first: usize,
    lead: bool,
) -> Html {
    let id = node.id();
    let member = m.member(id);
    let role = m.role_name(id);
    let commit = node.commit_index() as usize;
    // The log holds the entries after the snapshot: `log()[0]` is entry `first_index()`.
    let offset = node.snapshot_index() as usize;
    let shown = first.max(offset + 1);
    let live = !crate::embed::options().readonly;
    let pre = if offset > 0 {
        let title = format!(
            "S{id} snapshot: entries 1 to {offset} (last term {}) compacted into its state machine (section 7)",
            node.snapshot_term()
        );
        html! {
            <span class="pre snapshot" role="img" title={title.clone()} aria-label={title}>
                <span aria-hidden="true">{ format!("snapshot ≤ {offset}") }</span>
            </span>
        }
    } else if shown > 1 {
        html! { <span class="pre more" aria-hidden="true">{ "…" }</span> }
    } else if lead {
        html! { <span class="pre"></span> }
    } else {
        html! {}
    };
    let cells = node.log().iter().enumerate().skip(shown - offset - 1).map(|(i, e): (usize, &Entry)| {
        let index = offset + i + 1;
        let committed = index <= commit;
        let title = format!("S{id} entry {index}, term {}: {}{}", e.term, e.command, if committed { ", committed" } else { ", not committed" });
        let selected = ui.selection == Selection::Entry { node: id, index: index as u64 };
        let emph = m.emphasis().is_some_and(|h| h.entries.contains(&(id, index as u64)));
        let class = format!(
            "cell {} {}{}{}",
            term_class(e.term),
            if committed { "committed" } else { "pending" },
            if selected { " selected" } else { "" },
            if emph { " emph" } else { "" }
        );
        let title = if emph { format!("{title}, highlighted") } else { title };
        let style = format!("grid-column:{}", index - first + if lead { 3 } else { 2 });
        let pick = if selected {
            Selection::None
        } else {
            Selection::Entry { node: id, index: index as u64 }
        };
        if live {
            html! {
                <button {class} {style} title={title.clone()} aria-label={title}
                    aria-pressed={selected.to_string()}
                    onclick={ui_cb(ui, move |_| UiAction::Select(pick))}>{ e.term }</button>
            }
        } else {
            html! { <span {class} {style} role="img" title={title.clone()} aria-label={title}>{ e.term }</span> }
        }
    });
    let name = format!(
        "Log of S{id}, {role}, {} entries, commit index {commit}{}",
        node.last_index(),
        member.short().map_or(String::new(), |w| format!(", {w}"))
    );
    html! {
        <div class={format!("logrow {role}{}", if member == Member::Voter { "" } else { " nonvoter" })}
            role="group" aria-label={name}>
            <span class="who">{ format!("S{id}") }
                if role == "leader" { <span class="star" aria-hidden="true">{ "★" }</span> }
                <small>{ format!("c{commit}") }</small>
                if let Some(word) = member.short() { <small class="member">{ word }</small> }
            </span>
            { pre }
            { for cells }
        </div>
    }
}

pub(crate) fn kv(m: &Model) -> Html {
    let sim = m.sim();
    // Another system keeps no Raft state machine: say where its data is shown instead.
    let elsewhere = match sim.system() {
        raftlab_sim::system::System::Raft => None,
        raftlab_sim::system::System::Quorum => Some(
            "Leaderless quorums have no state machine: each replica's value and version per key are in the Replicas table, in place of Raft's logs.",
        ),
        raftlab_sim::system::System::Lease => Some(
            "Lease election keeps no replicated store of its own: the store's record, what each candidate believes and the resource's writes are in the Lease table, in place of Raft's logs.",
        ),
    };
    if let Some(text) = elsewhere {
        return html! {
            <section class="panel" aria-label="Key-value stores">
                <h2>{ "Key-value stores" }</h2>
                <p class="hint">{ text }</p>
            </section>
        };
    }
    html! {
        <section class="panel" aria-label="Key-value stores">
            <h2>{ "Key-value stores" }</h2>
            <div class="kvs">
                { for sim.nodes().iter().map(|node| html! {
                    <div class="kv">
                        <strong>{ format!("S{}", node.id()) }</strong>
                        if node.kv().is_empty() { <span class="hint">{ " empty" }</span> }
                        { for node.kv().iter().take(12).map(|(k, v)| html! { <code>{ format!(" {k}={v}") }</code> }) }
                    </div>
                }) }
            </div>
        </section>
    }
}
