//! The clients' operations and the linearizability verdict.

use super::*;

/// The clients' operations as bars from call to answer, one row per client (a client does
/// one thing at a time), and the linearizability verdict.
pub(crate) fn history(m: &Model) -> Html {
    use raftlab_sim::linearizability::{OpKind, Verdict};
    let ops = m.history();
    // Bounded (a broken system's history can make the search explode), and remembered.
    let verdict = m.history_verdict(&ops);
    let culprit = match &verdict {
        Verdict::NotLinearizable(e) => Some(e.culprit.id),
        _ => None,
    };
    let now = m.now();
    let shown: Vec<_> = ops.iter().rev().take(30).rev().collect();
    let start = shown.first().map_or(0, |o| o.invoked_us);
    let span = now.saturating_sub(start).max(1);
    // Up to 92% of the width: an operation called just now still has room for its label
    // (a bar is at least 2.6em wide) inside the row.
    let x = |t: Micros| (t.saturating_sub(start).min(span) as u128 * 920 / span as u128) as u64;
    // Rows: the first whose last operation ended before this one began.
    let mut rows: Vec<(Micros, Vec<Html>)> = Vec::new();
    for op in &shown {
        let end = op.returned_us.unwrap_or(now);
        let row = match rows.iter().position(|(busy, _)| *busy < op.invoked_us) {
            Some(r) => r,
            None => {
                rows.push((0, Vec::new()));
                rows.len() - 1
            }
        };
        rows[row].0 = end;
        let (x0, x1) = (x(op.invoked_us), x(end));
        let label = match &op.kind {
            OpKind::Write(Some(v)) => format!("{}={v}", op.key),
            OpKind::Write(None) => format!("del {}", op.key),
            OpKind::Read(Some(v)) => format!("{}→{v}", op.key),
            OpKind::Read(None) => format!("{}→∅", op.key),
        };
        let class = format!(
            "op {} {}{}",
            if matches!(op.kind, OpKind::Read(_)) {
                "read"
            } else {
                "write"
            },
            if op.returned_us.is_some() {
                "done"
            } else {
                "open"
            },
            if culprit == Some(op.id) {
                " culprit"
            } else {
                ""
            }
        );
        // Positions in tenths of a percent of the width.
        let style = format!(
            "left:{}%;width:{}%",
            dec(x0 as i64, 1),
            dec((x1 - x0).max(8) as i64, 1)
        );
        rows[row].1.push(html! {
            <span {class} {style} title={op.to_string()} tabindex="0" aria-label={op.to_string()}>{ label }</span>
        });
    }
    html! {
        <section class="panel history" aria-label="Client history">
            <h2>{ "Client history" }</h2>
            if ops.is_empty() {
                <p class="hint">{ "Writes and reads appear here, from call to answer, one row per client. A read's mode is in its tooltip." }</p>
            } else {
                <div class="ops" role="group" aria-label={format!("{} client operations, the last {} drawn", ops.len(), shown.len())}>
                    { for rows.into_iter().map(|(_, ops)| html! { <div class="oprow">{ for ops }</div> }) }
                </div>
                {
                    match &verdict {
                        Verdict::Linearizable => html! { <p class="ok">{ format!("✓ Linearizable: the {} operations fit one order of a single copy of the store.", ops.len()) }</p> },
                        Verdict::NotLinearizable(e) => html! { <p class="bad"><strong>{ "✗ Not linearizable. " }</strong>{ e.to_string() }</p> },
                        Verdict::Undecided { .. } => html! { <p class="undecided"><strong>{ "? Undecided: " }</strong>{ verdict.undecided().map(|u| format!("{u}, so the history may or may not be linearizable.")) }</p> },
                    }
                }
            }
        </section>
    }
}
