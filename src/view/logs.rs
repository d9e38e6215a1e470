//! Every server's log, one row per server, and the key-value stores.

use super::*;

pub(crate) const LOG_WINDOW: usize = 24;

pub(crate) fn logs(m: &Model) -> Html {
    let sim = m.sim();
    // Absolute indexes: a log compacted into a snapshot (paper section 7) starts later.
    let longest = sim
        .nodes()
        .iter()
        .map(|n| n.last_index() as usize)
        .max()
        .unwrap_or(0);
    let first = longest.saturating_sub(LOG_WINDOW) + 1;
    html! {
        <section class="panel logs" aria-label="Logs">
            <h2>{ "Logs" }</h2>
            <p class="hint">{ "Solid cells are committed, hatched ones not yet; the colour is the term. Hover or focus a cell for its command. \"snapshot ≤ N\": entries 1 to N were compacted into a snapshot of the state machine." }</p>
            <div class="logtable">
                { for sim.nodes().iter().map(|node| log_row(m, node, first)) }
            </div>
        </section>
    }
}

pub(crate) fn log_row(m: &Model, node: &Node, first: usize) -> Html {
    let id = node.id();
    let member = m.member(id);
    let commit = node.commit_index() as usize;
    // The log holds the entries after the snapshot: `log()[0]` is entry `first_index()`.
    let offset = node.snapshot_index() as usize;
    let shown = first.max(offset + 1);
    let snapshot = (offset > 0).then(|| {
        let title = format!(
            "S{id} snapshot: entries 1 to {offset} (last term {}) compacted into its state machine (section 7)",
            node.snapshot_term()
        );
        html! {
            <span class="cell snapshot" tabindex="0" title={title.clone()} aria-label={title}>
                <span class="idx">{ "snapshot" }</span><span class="tm">{ format!("≤ {offset}") }</span>
            </span>
        }
    });
    let cells = node.log().iter().enumerate().skip(shown - offset - 1).map(|(i, e): (usize, &Entry)| {
        let index = offset + i + 1;
        let committed = index <= commit;
        let title = format!("S{id} entry {index}, term {}: {}{}", e.term, e.command, if committed { ", committed" } else { ", not committed" });
        html! {
            <span class={format!("cell {} {}", term_class(e.term), if committed { "committed" } else { "pending" })}
                tabindex="0" title={title.clone()} aria-label={title}>
                <span class="idx">{ index }</span><span class="tm">{ e.term }</span>
            </span>
        }
    });
    html! {
        <div class={format!("logrow {}{}", m.role_name(id), if member == Member::Voter { "" } else { " nonvoter" })}>
            <span class="who">{ format!("S{id}") }<small>{ format!("c{commit}") }</small>
                if let Some(word) = member.short() { <small class="member">{ word }</small> }
            </span>
            <span class="cells">
                { for snapshot }
                if shown > offset + 1 { <span class="more">{ "…" }</span> }
                { for cells }
            </span>
        </div>
    }
}

pub(crate) fn kv(m: &Model) -> Html {
    let sim = m.sim();
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
