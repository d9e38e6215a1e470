//! The cluster picture (servers, links, client notes; the moving parts are `canvas.rs`),
//! the configuration line and the legend.

use super::*;
use crate::state::Selection;

pub(crate) fn cluster(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let sim = m.sim();
    let n = sim.node_count();
    // Each server's place in the configuration now (index id - 1).
    let raft = sim.system() == raftlab_sim::system::System::Raft;
    let members: Vec<Member> = (1..=n as NodeId)
        .map(|id| if raft { m.member(id) } else { Member::Voter })
        .collect();
    let inside = |id: NodeId| matches!(members[id as usize - 1], Member::Voter | Member::Learner);
    // Read-only embeds (embed.rs): nodes and links are named pictures, not buttons.
    let live = !crate::embed::options().readonly;
    let mut links = Vec::new();
    for a in 1..=n as NodeId {
        for b in a + 1..=n as NodeId {
            let (ax, ay) = position(a, n);
            let (bx, by) = position(b, n);
            // From edge to edge, so the links can come after the nodes (in Tab order too).
            let (dx, dy) = (bx - ax, by - ay);
            let d = (dx * dx + dy * dy).sqrt().max(0.001);
            let (ux, uy) = (dx / d * (NODE_R + 0.6), dy / d * (NODE_R + 0.6));
            let (x1, y1, x2, y2) = (ax + ux, ay + uy, bx - ux, by - uy);
            let up = sim.link_up(a, b);
            let label = format!("Link S{a}–S{b}, {}", if up { "working" } else { "cut" });
            let action = if up {
                Action::Cut(a, b)
            } else {
                Action::Restore(a, b)
            };
            let onclick = live.then(|| ui_cb(ui, move |_| UiAction::Act(action.clone())));
            let onkeydown = live.then(|| link_keys(ui, a, b, up));
            // A link to a server outside the configuration carries no Raft traffic of note.
            let class = match (up, inside(a) && inside(b)) {
                (true, true) => "link",
                (false, true) => "link cut",
                (true, false) => "link outside",
                (false, false) => "link cut outside",
            };
            // A lesson's step may emphasise a link: drawn thick and dashed (not colour alone).
            let emph = m.emphasis().is_some_and(|h| {
                h.links
                    .iter()
                    .any(|&(x, y)| (x, y) == (a, b) || (y, x) == (a, b))
            });
            let class = if emph {
                format!("{class} emph")
            } else {
                class.to_string()
            };
            let label = if emph {
                format!("{label}, highlighted")
            } else {
                label
            };
            links.push(html! {
                <g key={format!("l{a}-{b}")} {class}
                    role={if live { "button" } else { "img" }} tabindex={live.then_some("0")}
                    aria-label={label} {onclick} {onkeydown}>
                    <line class="hit" x1={f(x1)} y1={f(y1)} x2={f(x2)} y2={f(y2)} />
                    <line class="wire" x1={f(x1)} y1={f(y1)} x2={f(x2)} y2={f(y2)} />
                    if !up {
                        <text class="cutmark" x={f((x1 + x2) / 2.0)} y={f((y1 + y2) / 2.0 + 1.2)}>{ "✂" }</text>
                    }
                </g>
            });
        }
    }
    let (nodes, words): (Vec<Html>, Vec<Html>) = if raft {
        sim.nodes()
            .iter()
            .zip(&members)
            .map(|(node, &member)| node_view(ui, m, node, member, live))
            .unzip()
    } else {
        (1..=n as NodeId)
            .map(|id| super::systems::node(ui, m, id, live))
            .unzip()
    };
    let notes = client_notes(m).into_iter().map(|(node, text, class)| {
        let (x, y) = position(node, n);
        // Outside the circle, away from the centre.
        let (dx, dy) = (x - 50.0, y - 50.0);
        let d = (dx * dx + dy * dy).sqrt().max(1.0);
        let (tx, ty) = (x + dx / d * 3.0, y + dy / d * 3.0 + NODE_R + 8.2);
        html! { <text key={format!("c{node}")} class={format!("note {class}")} x={f(tx)} y={f(ty)}>{ text }</text> }
    });
    // Manual timers: a button above each server with a timer, which fires it.
    let timers = (live && sim.timers_manual()).then(|| {
        html! {
            <g class="timers">
                { for sim.nodes().iter().filter(|node| sim.timer_at(node.id()).is_some()).map(|node| timer_button(ui, node, n)) }
            </g>
        }
    });
    // Messages are drawn on the canvas: the pointer over the picture finds the one under it
    // (canvas::message_at_client) to highlight it; a click on it is caught by the app's
    // click listener (app.rs), before the link or server under it.
    let onpointermove = live.then(|| {
        Callback::from(|e: PointerEvent| {
            let hit = crate::canvas::message_at_client(e.client_x() as f64, e.client_y() as f64);
            crate::canvas::set_hover(hit);
            use wasm_bindgen::JsCast;
            // Yew delegates events (the current target is its root): the picture is found
            // from the target.
            let picture = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::Element>().ok())
                .and_then(|t| t.closest(".cluster").ok().flatten())
                .and_then(|t| t.dyn_into::<web_sys::HtmlElement>().ok());
            if let Some(el) = picture {
                let _ = el
                    .style()
                    .set_property("cursor", if hit.is_some() { "pointer" } else { "" });
                // Over a message, the link under it does not light up (the click is the
                // message's): the stylesheet reads this attribute.
                let _ = if hit.is_some() {
                    el.set_attribute("data-over-message", "")
                } else {
                    el.remove_attribute("data-over-message")
                };
            }
        })
    });
    let onpointerleave =
        live.then(|| Callback::from(|_: PointerEvent| crate::canvas::set_hover(None)));
    html! {
        <div class="cluster" {onpointermove} {onpointerleave}>
            <svg viewBox="0 0 100 100" class="picture" role="group" aria-label={format!("Cluster of {n} servers and their links")}>
                <g class="nodes">{ for nodes }</g>
                { for timers }
                <g class="links">{ for links }</g>
            </svg>
            <canvas id={crate::canvas::CANVAS_ID} class="anim" aria-hidden="true"></canvas>
            // Over the messages: the words beside each server and the client's notes, with a
            // halo, stay readable where a message passes or waits under them.
            <svg viewBox="0 0 100 100" class="words" aria-hidden="true">
                { for words }
                <g class="notes">{ for notes }</g>
            </svg>
        </div>
    }
}

/// The button above a server that fires its next timer (manual timers): a leader's
/// heartbeat round, another server's election timeout.
fn timer_button(ui: &UseReducerHandle<Ui>, node: &Node, n: usize) -> Html {
    let id = node.id();
    let (x, y) = position(id, n);
    let what = if node.role() == Role::Leader {
        "heartbeat"
    } else {
        "election timeout"
    };
    let fire = move || UiAction::Act(Action::FireTimer(Target::Node(id)));
    let onkeydown = {
        let ui = ui.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                ui.dispatch(fire());
            }
        })
    };
    // Above a server in the upper half of the picture, below the word under it in the lower
    // half: away from the links, where held messages wait.
    let (w, h) = (11.0, 3.6);
    let top = if y > 50.0 {
        y + NODE_R + 4.6
    } else {
        y - NODE_R - h - 1.0
    };
    let (cx, cy) = (x - w / 2.0 + 2.2, top + h / 2.0);
    html! {
        <g key={format!("tm{id}")} class="timerbtn" role="button" tabindex="0"
            aria-label={format!("Fire S{id}'s timer ({what})")} onclick={ui_cb(ui, move |_| fire())} {onkeydown}>
            <title>{ format!("Fire S{id}'s timer ({what})") }</title>
            <rect x={f(x - w / 2.0)} y={f(top)} width={f(w)} height={f(h)} rx="1.2" />
            // A clock face: drawn, not a font's glyph (fonts lack the stopwatch sign).
            <circle class="clock" cx={f(cx)} cy={f(cy)} r="1.15" />
            <path class="clock" d={format!("M{} {}V{}H{}", f(cx), f(cy - 0.75), f(cy), f(cx + 0.6))} />
            <text x={f(x + 1.3)} y={f(cy + 0.95)}>{ "fire" }</text>
        </g>
    }
}

/// The latest client request or reply at each node within the last moments: drawn next to
/// the node ("→ set x=1", "✓ ok", "↪ S2", "✗ no answer").
pub(crate) fn client_notes(m: &Model) -> Vec<(NodeId, String, &'static str)> {
    use raftlab_sim::trace::{ReplyResult, TraceKind};
    let now = m.now();
    // About a second and a half of wall time at the current speed, at least 30 simulated ms.
    let window = ((1500.0 * 1000.0 * m.speed) as Micros).max(30_000);
    let mut notes: Vec<(NodeId, String, &'static str)> = Vec::new();
    for e in m.trace().iter().rev() {
        if e.t_us + window < now {
            break;
        }
        let (node, text, class) = match &e.kind {
            TraceKind::ClientRequest {
                node: Some(n),
                command,
                ..
            } => (*n, format!("→ {command}"), "req"),
            TraceKind::ClientReply {
                node: Some(n),
                result,
                leader,
                ..
            } => match (result, leader) {
                (ReplyResult::Ok, _) => (*n, "✓ ok".to_string(), "ok"),
                (ReplyResult::Redirect, Some(Some(l))) => (*n, format!("↪ try S{l}"), "redirect"),
                (ReplyResult::Redirect, _) => (*n, "↪ no leader".to_string(), "redirect"),
                (ReplyResult::Timeout, _) => (*n, "✗ no answer".to_string(), "timeout"),
            },
            _ => continue,
        };
        if !notes.iter().any(|(k, _, _)| *k == node) {
            notes.push((node, text, class));
        }
    }
    notes
}

pub(crate) fn link_keys(
    ui: &UseReducerHandle<Ui>,
    a: NodeId,
    b: NodeId,
    up: bool,
) -> Callback<KeyboardEvent> {
    let ui = ui.clone();
    Callback::from(move |e: KeyboardEvent| {
        if e.key() == "Enter" || e.key() == " " {
            e.prevent_default();
            e.stop_propagation();
            ui.dispatch(UiAction::Act(if up {
                Action::Cut(a, b)
            } else {
                Action::Restore(a, b)
            }));
        }
    })
}

pub(crate) fn node_view(
    ui: &UseReducerHandle<Ui>,
    m: &Model,
    node: &Node,
    member: Member,
    live: bool,
) -> (Html, Html) {
    let sim = m.sim();
    let id = node.id();
    let n = sim.node_count();
    let (x, y) = position(id, n);
    let alive = sim.is_alive(id);
    let role = m.role_name(id);
    // A candidate needs a majority of the voters of its own latest configuration (or the
    // election quorum of flexible quorums).
    let quorum = node.vote_quorum();
    let paused = alive && sim.paused_until(id).is_some();
    let label = format!(
        "Node {id}, S{id}, {role}{}, term {}{}{}",
        sim.paused_until(id)
            .filter(|_| alive)
            .map_or(String::new(), |t| format!(", paused until {} ms", t / 1000)),
        node.term(),
        match (alive, node.role(), node.voted_for()) {
            (true, Role::Candidate, _) => format!(", {} of {quorum} votes", node.votes().len()),
            (true, Role::PreCandidate, _) =>
                format!(", {} of {quorum} pre-votes", node.votes().len()),
            (true, _, Some(v)) if v != id => format!(", voted for S{v}"),
            _ => String::new(),
        },
        member
            .describe()
            .map_or(String::new(), |d| format!(", {d}"))
    );
    let selected = ui.selection == Selection::Node(id);
    // A lesson's step may emphasise the server: a thick dashed ring around it.
    let emph = m.emphasis().is_some_and(|h| h.nodes.contains(&id));
    let label = if emph {
        format!("{label}, highlighted")
    } else {
        label
    };
    let place = match member {
        Member::Voter => "",
        Member::Learner => " learner",
        Member::Joining | Member::Removed | Member::Outside => " outside",
    };
    let class = format!(
        "node {role}{place}{}{}",
        if selected { " selected" } else { "" },
        if paused { " paused" } else { "" }
    );
    let onclick = live.then(|| {
        ui_cb(ui, move |_| {
            UiAction::Select(if selected {
                Selection::None
            } else {
                Selection::Node(id)
            })
        })
    });
    let onkeydown = live.then(|| {
        let ui = ui.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                ui.dispatch(UiAction::Select(if selected {
                    Selection::None
                } else {
                    Selection::Node(id)
                }));
            }
        })
    });
    let badge = match (alive, node.role()) {
        (false, _) => "✕",
        _ if paused => "‖",
        (true, Role::Leader) => "★",
        (true, Role::Candidate) => "?",
        (true, Role::PreCandidate) => "¿",
        _ => "",
    };
    let sub = if !alive {
        "down".to_string()
    } else if paused {
        "paused".to_string()
    } else if let Some(word) = member.short() {
        word.to_string()
    } else {
        match node.role() {
            Role::Candidate => {
                let votes = node.votes().len();
                let noun = if votes == 1 { "vote" } else { "votes" };
                format!("{votes} {noun}, needs {quorum}")
            }
            Role::PreCandidate => {
                format!("pre-vote {} of {quorum}", node.votes().len())
            }
            Role::Leader => "leader".to_string(),
            Role::Follower => match node.voted_for() {
                Some(v) => format!("voted S{v}"),
                None => "follower".to_string(),
            },
        }
    };
    // The button holds the circle and the visible name ("S1", part of its accessible name);
    // the term, the badge and the word under it are drawn beside it, hidden from assistive
    // technology (the accessible name says the same). The word under it goes over the
    // messages (the second part).
    let word = html! {
        <g key={format!("w{id}")} class={format!("word {role}{place}")} data-node={id.to_string()}>
            <text class="sub" x={f(x)} y={f(y + NODE_R + 3.6)}>{ sub }</text>
        </g>
    };
    let body = html! {
        <g key={format!("n{id}")} class={format!("{class} nodeg")}>
        // The button carries the same state words in its class as the node (for tests and
        // user styles), the node group draws them.
        <g class={format!("hitg {role}{place}")} role={if live { "button" } else { "img" }}
            tabindex={live.then_some("0")} aria-label={label}
            aria-pressed={live.then(|| selected.to_string())} {onclick} {onkeydown}>
            <circle class="body" cx={f(x)} cy={f(y)} r={f(NODE_R)} />
            if member == Member::Learner {
                // A learner: a dashed ring around it, not yet inside the voting cluster.
                <circle class="ring" cx={f(x)} cy={f(y)} r={f(NODE_R + 1.1)} />
            }
            <text class="name" x={f(x)} y={f(y - 0.6)}>{ format!("S{id}") }</text>
        </g>
        if emph {
            <circle class="emph-ring" cx={f(x)} cy={f(y)} r={f(NODE_R + 2.0)} aria-hidden="true" />
        }
        <g class="facts" aria-hidden="true">
            <text class="term" x={f(x)} y={f(y + 4.0)}>{ format!("term {}", node.term()) }</text>
            if !badge.is_empty() {
                <text class="badge" x={f(x + 5.6)} y={f(y - 4.6)}>{ badge }</text>
            }
        </g>
        </g>
    };
    (body, word)
}

/// The configuration now: how big a majority is and how many failures the cluster survives
/// (the 2f + 1 rule), its learners, and the Add server button.
pub(crate) fn membership(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let live = !crate::embed::options().readonly;
    let add = match m.next_server() {
        Ok(id) => html! {
            <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::AddServer(id)))}
                title="The leader adds this server: first as a learner that catches up, then as a voter (one change at a time)">
                { format!("Add server S{id}") }
            </button>
        },
        Err(why) => html! {
            <>
                <button disabled=true aria-describedby="add-why">{ "Add server" }</button>
                <span id="add-why" class="why">{ why }</span>
            </>
        },
    };
    html! {
        <div class="configuration" role="group" aria-label="Configuration">
            <p class="quorum">{ quorum_text(m.sim().membership()) }</p>
            if live { { add } }
        </div>
    }
}

pub(crate) fn legend() -> Html {
    let items = [
        ("msg rv", "V", "RequestVote (a diamond)"),
        ("msg rv", "PV", "PreVote (asks, changes no term)"),
        ("msg rv", "TN", "TimeoutNow (leadership transfer)"),
        ("msg vote yes", "v✓", "vote granted (a round tag)"),
        ("msg vote no", "v✗", "vote refused"),
        ("msg vote yes", "p✓", "pre-vote granted (p✗: refused)"),
        (
            "msg ae",
            "AE",
            "heartbeat: AppendEntries with no entry (an envelope)",
        ),
        ("msg ae", "+2", "AppendEntries carrying 2 entries"),
        ("msg aer yes", "✓", "AppendEntries accepted (a square tag)"),
        (
            "msg aer no",
            "✗",
            "AppendEntries refused (logs differ: the leader backs up)",
        ),
        (
            "msg ae",
            "SNAP",
            "InstallSnapshot: the leader's snapshot, for a follower that needs compacted entries",
        ),
        (
            "msg aer yes",
            "s✓",
            "InstallSnapshot installed (or already held)",
        ),
        (
            "msg rv dies",
            "V",
            "a message the network loses (it fades out)",
        ),
        (
            "msg ae held",
            "AE",
            "delivery by hand: a message waiting on its link, behind a bar (click it to deliver or drop it)",
        ),
    ];

    html! {
        <div class="legend">
            <ul>
                { for items.iter().map(|(class, text, what)| html! {
                    <li><span class={format!("{class} sample")}>{ *text }</span>{ *what }</li>
                }) }
                <li><span class="sample shape">{ "★" }</span>{ "leader; ? candidate; ¿ pre-candidate (PreVote); ‖ paused; ✕ crashed" }</li>
                <li><span class="sample ring">{ "S" }</span>{ "dashed ring: a learner, catching up before it votes (thesis 4.2.1)" }</li>
                <li><span class="sample faded">{ "S" }</span>{ "faded: a server outside the configuration (removed, or not added yet)" }</li>
                <li><span class="sample bar"></span>{ "the bar above a node is its election timer, draining" }</li>
                <li><span class="sample shape">{ "fire" }</span>{ "timers by hand: the button by a server fires its timer" }</li>
                <li><span class="sample shape">{ "◯" }</span>{ "a ring around a message: the selected one (bold) or the one under the pointer" }</li>
            </ul>
        </div>
    }
}
