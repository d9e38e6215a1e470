//! The Details section: what is selected (a server, a log entry, a message) and the facts
//! the model has about it, in one place, with the selected server's actions under them.
//!
//! Each kind of selection has its own function below; under the facts, "Why": the
//! simulator's explanation in words (`raftlab_sim::explain`, citing the paper's sections),
//! derived from the model at each render, so it follows the run. A selected message has
//! its fields, its times, and the Deliver now, Drop and Duplicate buttons.

use super::*;
use crate::state::Selection;
use raftlab_raft::Body;
use raftlab_sim::explain::{explain, Target as Explain};
use raftlab_sim::trace::{DropReason, TraceKind};

/// The Details section of the full page.
pub(crate) fn details(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let n = m.sim().node_count() as NodeId;
    // A selection of a server the run does not have at this moment (time travel, a new
    // run) shows nothing.
    let other = m.sim().system() != raftlab_sim::system::System::Raft;
    let body = match ui.selection {
        Selection::Node(id) if id <= n && other => html! {
            <><p class="facts">{ m.sim().describe(id) }</p>{ why(m, Explain::Node { node: id }) }</>
        },
        Selection::Node(id) if id <= n => {
            let manual = m.sim().timers_manual();
            why_with(m, Explain::Node { node: id }, move |line| {
                // The simulator's timer sentence says when it would fire by itself.
                (manual
                    && (line.starts_with("Its election timer fires")
                        || line.starts_with("It sends its next heartbeats")))
                .then(|| format!("{line} Timers are by hand: nothing fires until you fire it."))
            })
        }
        Selection::Entry { node, index } if node <= n => html! {
            <>{ entry(m, node, index) }{ why(m, Explain::Entry { node, index }) }</>
        },
        Selection::Message(id) => message(ui, m, id),
        _ => html! {
            <p class="hint">{ "Click a server or a log entry (or press 1 to 9) to see its details and act on it. Click a link between two servers to cut or mend it. Click a message on the wire to see what it says and deliver, drop or copy it." }</p>
        },
    };
    let clear = (ui.selection != Selection::None && !ui.present).then(|| {
        html! {
            <button class="link" onclick={ui_cb(ui, |_| UiAction::Select(Selection::None))}
                aria-keyshortcuts="Escape">{ "Clear selection" }</button>
        }
    });
    html! {
        <section class="panel details" aria-label="Details">
            <h2>{ "Details" }{ for clear }</h2>
            { body }
            // Presenter mode hides the controls: the facts and the why stay.
            if let Some(id) = ui.selection.node().filter(|&id| id <= n && !ui.present) {
                if other { { super::systems::node_panel(ui, m, id) } } else { { node_panel(ui, m) } }
            }
        </section>
    }
}

/// A log entry: its term, command, and whether it is committed, and where it is held.
fn entry(m: &Model, id: NodeId, index: u64) -> Html {
    let sim = m.sim();
    let Some((node, e)) = sim
        .nodes()
        .get((id as usize).wrapping_sub(1))
        .and_then(|node| Some((node, node.entry(index)?)))
    else {
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
                <dd>{ format!("{} of {} servers: {} (a majority is {quorum})", holders.len(), sim.node_count(), holders.join(", ")) }</dd>
            </dl>
        </>
    }
}

/// The simulator's explanation of `target` now: a heading and its sentences ("Why").
fn why(m: &Model, target: Explain) -> Html {
    why_with(m, target, |_| None)
}

/// [`why`], with some sentences replaced (`fix` returns the new one).
fn why_with(m: &Model, target: Explain, fix: impl Fn(&str) -> Option<String>) -> Html {
    match explain(m.sim(), &target) {
        Ok(mut e) => {
            for line in &mut e.lines {
                if let Some(new) = fix(line) {
                    *line = new;
                }
            }
            html! {
            <div class="explain" role="group" aria-label="Why">
                <h3>{ "Why: " }{ e.title }</h3>
                <ul>{ for e.lines.iter().map(|l| html! { <li>{ l }</li> }) }</ul>
            </div>
            }
        }
        // The selection is gone (a truncated entry, a removed server): said by the facts.
        Err(_) => html! {},
    }
}

/// A message on the wire: its kind, ends, every field, its times, what its receiver will do
/// (the explanation), and the buttons that decide its fate.
fn message(ui: &UseReducerHandle<Ui>, m: &Model, id: u64) -> Html {
    let sim = m.sim();
    let Some(f) = sim.message(id) else {
        return html! { <p class="facts gone" role="status">{ gone(m, id) }</p> };
    };
    let msg = f.message;
    let now = sim.now();
    let arrives = if f.held {
        format!(
            "waiting on the link until you deliver or drop it (by itself it would have arrived {})",
            when(f.deliver_at, now)
        )
    } else if f.lost {
        format!(
            "never: the network will lose it ({})",
            when(f.deliver_at, now)
        )
    } else {
        when(f.deliver_at, now)
    };
    let (fields, (kind, glyph), term) = match msg.raft() {
        Some(r) => (body_fields(&r.body), sample(&r.body), Some(r.term)),
        None => (
            msg.other_fields()
                .into_iter()
                .map(|(k, v)| (k, v.to_string()))
                .collect(),
            ("append", msg.look().0.to_string()),
            None,
        ),
    };
    let act = |action: fn(u64) -> Action| ui_cb(ui, move |_| UiAction::Act(action(id)));
    let live = !crate::embed::options().readonly && !ui.present;
    let (held, sent_at, would) = (f.held, f.sent_at, f.deliver_at);
    html! {
        <>
            <p class="selected-what">
                <span class={format!("msg sample {kind}")} aria-hidden="true">{ glyph }</span>
                <strong>{ format!("Message {id}: {} from S{} to S{}", msg.type_name(), msg.from(), msg.to()) }</strong>
            </p>
            <dl class="facts-list">
                if let Some(term) = term {
                    <dt>{ "term" }</dt><dd>{ term }</dd>
                }
                { for fields.into_iter().map(|(k, v)| html! { <><dt>{ k }</dt><dd>{ v }</dd></> }) }
                if let Some(of) = f.copy_of {
                    <dt>{ "copy of" }</dt><dd>{ format!("message {of}") }</dd>
                }
                <dt>{ "sent" }</dt><dd>{ format!("at {} ms", ms1(f.sent_at)) }</dd>
                <dt>{ "arrives" }</dt><dd>{ arrives }</dd>
            </dl>
            if live {
                <div class="buttons" role="group" aria-label={format!("Message {id}")}>
                    <button onclick={act(Action::DeliverMessage)}
                        title="It arrives now (a cut link or a crashed receiver still loses it)">{ "Deliver now" }</button>
                    <button onclick={act(Action::DropMessage)} title="The network loses it now">{ "Drop" }</button>
                    <button onclick={act(Action::DuplicateMessage)}
                        title="The network sends a second copy of it, with a new id">{ "Duplicate" }</button>
                </div>
            }
            { why_with(m, Explain::Message { id }, |line| {
                // The simulator's timing sentence does not know a held message waits: say so.
                (held && line.starts_with("Sent at ")).then(|| format!(
                    "Sent at {} ms; it waits on its link until you deliver, drop or duplicate it (by itself it would have arrived at {} ms).",
                    ms1(sent_at), ms1(would)
                ))
            }) }
        </>
    }
}

/// "at 120.0 ms, in 12.0 ms" (or "… ago" for a time past).
fn when(at: Micros, now: Micros) -> String {
    if at >= now {
        format!("at {} ms, in {} ms", ms1(at), ms1(at - now))
    } else {
        format!("at {} ms, {} ms ago", ms1(at), ms1(now - at))
    }
}

/// What became of a message that is no longer on the wire, from the trace.
fn gone(m: &Model, id: u64) -> String {
    let trace = m.trace();
    let said = trace.iter().rev().find_map(|e| match &e.kind {
        TraceKind::Deliver { node, msg } if msg.id == id => Some(format!(
            "Message {id} has arrived: {} from S{} reached S{node} at {} ms. It is no longer on the wire.",
            msg.message.type_name(),
            msg.message.from(),
            ms1(e.t_us)
        )),
        TraceKind::Drop { node, msg, reason } if msg.id == id => Some(format!(
            "Message {id} is lost: {} from S{} to S{node} {} at {} ms.",
            msg.message.type_name(),
            msg.message.from(),
            match reason {
                DropReason::Manual => "was dropped by you",
                DropReason::Loss => "was lost by the network",
                DropReason::Partition => "was stopped by a cut link",
                DropReason::Crashed => "found its receiver down",
            },
            ms1(e.t_us)
        )),
        _ => None,
    });
    said.unwrap_or_else(|| {
        format!(
            "Message {id} is not on the wire at this moment (it was not sent yet, or it is gone)."
        )
    })
}

/// The legend's sample for a message (class and text), as the canvas draws it.
fn sample(body: &Body) -> (&'static str, String) {
    match body {
        Body::RequestVote { .. } => ("rv", "V".into()),
        Body::PreVote { .. } => ("rv", "PV".into()),
        Body::TimeoutNow => ("rv", "TN".into()),
        Body::RequestVoteReply { granted } | Body::PreVoteReply { granted } => (
            if *granted { "vote yes" } else { "vote no" },
            if *granted { "✓" } else { "✗" }.into(),
        ),
        Body::AppendEntries { entries, .. } if !entries.is_empty() => {
            ("ae", format!("+{}", entries.len()))
        }
        Body::AppendEntries { .. } => ("ae", "AE".into()),
        Body::AppendEntriesReply { success, .. } => (
            if *success { "aer yes" } else { "aer no" },
            if *success { "✓" } else { "✗" }.into(),
        ),
        Body::InstallSnapshot { .. } => ("ae", "SNAP".into()),
        Body::InstallSnapshotReply { .. } => ("aer yes", "s✓".into()),
    }
}

/// Every field of a message's body, by its name in the paper (Figure 2, Figure 13).
fn body_fields(body: &Body) -> Vec<(&'static str, String)> {
    let yes = |b: bool| if b { "yes" } else { "no" }.to_string();
    match body {
        Body::RequestVote {
            last_log_index,
            last_log_term,
            transfer,
        } => vec![
            ("lastLogIndex", last_log_index.to_string()),
            ("lastLogTerm", last_log_term.to_string()),
            ("leadership transfer", yes(*transfer)),
        ],
        Body::PreVote {
            last_log_index,
            last_log_term,
        } => vec![
            ("lastLogIndex", last_log_index.to_string()),
            ("lastLogTerm", last_log_term.to_string()),
        ],
        Body::RequestVoteReply { granted } | Body::PreVoteReply { granted } => {
            vec![("voteGranted", yes(*granted))]
        }
        Body::TimeoutNow => vec![],
        Body::AppendEntries {
            prev_log_index,
            prev_log_term,
            entries,
            leader_commit,
            ..
        } => vec![
            ("prevLogIndex", prev_log_index.to_string()),
            ("prevLogTerm", prev_log_term.to_string()),
            (
                "entries",
                if entries.is_empty() {
                    "none (a heartbeat)".to_string()
                } else {
                    entries
                        .iter()
                        .enumerate()
                        .map(|(k, e)| {
                            format!(
                                "{}: term {}, {}",
                                prev_log_index + 1 + k as u64,
                                e.term,
                                e.command
                            )
                        })
                        .collect::<Vec<_>>()
                        .join("; ")
                },
            ),
            ("leaderCommit", leader_commit.to_string()),
        ],
        Body::AppendEntriesReply {
            success,
            match_index,
            conflict_index,
            conflict_term,
            ..
        } => {
            let mut v = vec![
                ("success", yes(*success)),
                ("matchIndex", match_index.to_string()),
            ];
            if !success {
                v.push(("conflictIndex", conflict_index.to_string()));
                v.push((
                    "conflictTerm",
                    conflict_term.map_or("none".to_string(), |t| t.to_string()),
                ));
            }
            v
        }
        Body::InstallSnapshot {
            last_included_index,
            last_included_term,
            data,
            config,
        } => vec![
            ("lastIncludedIndex", last_included_index.to_string()),
            ("lastIncludedTerm", last_included_term.to_string()),
            ("data", format!("{} keys", data.len())),
            ("configuration", config.to_string()),
        ],
        Body::InstallSnapshotReply {
            last_included_index,
        } => {
            vec![("lastIncludedIndex", last_included_index.to_string())]
        }
    }
}
