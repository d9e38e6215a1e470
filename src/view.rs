//! The view: pure functions from the model to HTML and SVG. Rendering only reads state;
//! every change goes through a `UiAction`.

use crate::app::{fresh_seed, Ui, UiAction};
use crate::embed::Panel;
use crate::geometry::{dec, ms1, position, NODE_R};
use crate::model::{parse_groups, quorum_text, Member, Model, SPEED_RANGE};
use raftlab_raft::{Entry, Micros, Node, NodeId, ReadMode, Role};
use raftlab_sim::scenario::{Action, ConfigPatch, Target};
use yew::prelude::*;

/// The keyboard shortcuts, as listed in the help overlay.
pub const SHORTCUTS: [(&str, &str); 16] = [
    ("Space or P", "play / pause"),
    (". or →", "step to the next event"),
    (", or ←", "step back to the previous event"),
    ("Home / End", "go to the start / the end of the run"),
    ("+ / −", "faster / slower"),
    ("1 to 9", "select a node"),
    ("C", "crash the selected node"),
    ("R", "restart the selected node"),
    ("T", "force the selected node's election timeout"),
    ("I", "isolate the selected node"),
    ("W", "client write (to the selected node, else the leader)"),
    ("H", "heal every link"),
    ("0", "replay this seed from the start"),
    ("N", "new run with a fresh seed"),
    ("?", "this help"),
    ("Esc", "close help / deselect"),
];

/// The number the next quick write (`W`) carries.
pub fn next_write_number(m: &Model) -> usize {
    m.scenario()
        .events
        .iter()
        .filter(|e| matches!(e.action, Action::ClientWrite { .. }))
        .count()
        + 1
}

fn term_class(term: u64) -> String {
    format!("t{}", term % 8)
}

/// The whole page.
pub fn page(ui: &UseReducerHandle<Ui>) -> Html {
    // Embed mode (`?embed`) has a compact page of its own (embed.rs).
    if crate::embed::options().embed {
        return crate::embed::page(ui);
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
                { crate::timeline::timeline(ui, &m) }
                { membership(ui, &m) }
                { legend() }
            </section>
            <div class="side">
                { for [Panel::Node, Panel::Client, Panel::Network, Panel::Safety].map(|p| panel(ui, &m, p)) }
                { crate::files::panel(ui) }
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
            <section class="panel" aria-label="Timeline">{ crate::timeline::timeline(ui, m) }</section>
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

fn ui_cb<E: 'static>(
    ui: &UseReducerHandle<Ui>,
    f: impl Fn(E) -> UiAction + 'static,
) -> Callback<E> {
    let ui = ui.clone();
    Callback::from(move |e| ui.dispatch(f(e)))
}

/// The value of an input or a select element ("" for anything else).
fn value_of(target: Option<web_sys::EventTarget>) -> String {
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

fn playback(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    // A new run starts with as many servers as this one started with (servers added or
    // removed since are changes made during the run).
    let nodes = m.start_nodes();
    let seed = m.sim().seed();
    // The speed slider is logarithmic: position 0..=1000 maps to SPEED_RANGE.
    let (lo, hi) = (SPEED_RANGE.0.ln(), SPEED_RANGE.1.ln());
    let pos = ((m.speed.ln() - lo) / (hi - lo) * 1000.0).round();
    let on_speed = ui_cb(ui, move |e: InputEvent| {
        let p = input_value(&e).parse::<i64>().unwrap_or(500) as f64;
        UiAction::Speed((lo + (hi - lo) * p / 1000.0).exp())
    });
    let on_seed = {
        let ui = ui.clone();
        Callback::from(
            move |e: Event| match input_value(&e).trim().parse::<u64>() {
                Ok(s) => ui.dispatch(UiAction::Restart(s, nodes)),
                Err(_) => ui.dispatch(UiAction::Notice(Some(
                    "The seed must be a whole number from 0 to 18446744073709551615".into(),
                ))),
            },
        )
    };
    let on_size = {
        let ui = ui.clone();
        Callback::from(move |e: Event| {
            if let Ok(n) = input_value(&e).parse::<u32>() {
                ui.dispatch(UiAction::Restart(seed, n));
            }
        })
    };
    html! {
        <div class="controls" role="toolbar" aria-label="Playback">
            <button class="primary" onclick={ui_cb(ui, |_| UiAction::TogglePlay)}
                aria-keyshortcuts="Space">
                { if m.playing { "Pause" } else { "Play" } }
            </button>
            <button onclick={ui_cb(ui, |_| UiAction::StepBack)} aria-keyshortcuts=","
                disabled={m.now() == 0} title="Back to the previous moment">{ "Back" }</button>
            <button onclick={ui_cb(ui, |_| UiAction::Step)} aria-keyshortcuts=".">{ "Step" }</button>
            <button onclick={ui_cb(ui, move |_| UiAction::Restart(seed, nodes))}
                title="Replay this seed from the start">{ "Reset" }</button>
            <label class="field">
                <span>{ "Speed" }</span>
                <input type="range" min="0" max="1000" step="1" value={(pos as i64).to_string()}
                    aria-label="Speed" aria-valuetext={format!("{}x real time", dec(whole(m.speed * 1000.0), 3))}
                    oninput={on_speed} />
                <output>{ format!("{}×", dec(whole(m.speed * 1000.0), 3)) }</output>
            </label>
            <label class="field">
                <span>{ "Seed" }</span>
                <input type="number" min="0" class="seed" value={seed.to_string()}
                    aria-label="Seed" onchange={on_seed} />
            </label>
            <button onclick={ui_cb(ui, move |_| UiAction::Restart(fresh_seed(), nodes))}>{ "New seed" }</button>
            <label class="field">
                <span>{ "Nodes" }</span>
                <select aria-label="Cluster size" onchange={on_size}
                    title="How many servers a new run starts with (Add server and Remove change the size during a run)">
                    { for (1..=9u32).map(|k| html! {
                        <option value={k.to_string()} selected={k == nodes}>{ k }</option>
                    }) }
                </select>
            </label>
            <span class="clock" aria-label="Simulated time">{ format!("{} ms", ms1(m.now())) }</span>
            <button onclick={ui_cb(ui, |_| UiAction::CopyLink)}
                title="A link that opens this run at this moment">{ "Copy link" }</button>
            <button onclick={ui_cb(ui, |_| UiAction::Help(true))} aria-keyshortcuts="?">{ "Help" }</button>
        </div>
    }
}

pub(crate) fn cluster(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let sim = m.sim();
    let n = sim.nodes().len();
    // Each server's place in the configuration now (index id - 1).
    let members: Vec<Member> = (1..=n as NodeId).map(|id| m.member(id)).collect();
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
    let nodes = sim
        .nodes()
        .iter()
        .zip(&members)
        .map(|(node, &member)| node_view(ui, m, node, member, live));
    let notes = client_notes(m).into_iter().map(|(node, text, class)| {
        let (x, y) = position(node, n);
        // Outside the circle, away from the centre.
        let (dx, dy) = (x - 50.0, y - 50.0);
        let d = (dx * dx + dy * dy).sqrt().max(1.0);
        let (tx, ty) = (x + dx / d * 3.0, y + dy / d * 3.0 + NODE_R + 7.0);
        html! { <text key={format!("c{node}")} class={format!("note {class}")} x={f(tx)} y={f(ty)}>{ text }</text> }
    });
    html! {
        <div class="cluster">
            <svg viewBox="0 0 100 100" class="picture" role="group" aria-label="Servers and links">
                <g class="nodes">{ for nodes }</g>
                <g class="links">{ for links }</g>
                <g class="notes" aria-hidden="true">{ for notes }</g>
            </svg>
            <canvas id={crate::canvas::CANVAS_ID} class="anim" aria-hidden="true"></canvas>
        </div>
    }
}

/// The latest client request or reply at each node within the last moments: drawn next to
/// the node ("→ set x=1", "✓ ok", "↪ S2", "⌛ no answer").
fn client_notes(m: &Model) -> Vec<(NodeId, String, &'static str)> {
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
                (ReplyResult::Timeout, _) => (*n, "⌛ no answer".to_string(), "timeout"),
            },
            _ => continue,
        };
        if !notes.iter().any(|(k, _, _)| *k == node) {
            notes.push((node, text, class));
        }
    }
    notes
}

fn link_keys(ui: &UseReducerHandle<Ui>, a: NodeId, b: NodeId, up: bool) -> Callback<KeyboardEvent> {
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

fn f(x: f64) -> String {
    dec((x * 100.0).round() as i64, 2)
}

fn whole(x: f64) -> i64 {
    x.round() as i64
}

fn node_view(
    ui: &UseReducerHandle<Ui>,
    m: &Model,
    node: &Node,
    member: Member,
    live: bool,
) -> Html {
    let sim = m.sim();
    let id = node.id();
    let n = sim.nodes().len();
    let (x, y) = position(id, n);
    let alive = sim.is_alive(id);
    let role = m.role_name(id);
    // A candidate needs a majority of the voters of its own latest configuration.
    let quorum = node.membership().quorum();
    let label = format!(
        "Node {id}, {role}, term {}{}{}",
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
    let selected = ui.selected == Some(id);
    let place = match member {
        Member::Voter => "",
        Member::Learner => " learner",
        Member::Joining | Member::Removed | Member::Outside => " outside",
    };
    let class = format!(
        "node {role}{place}{}",
        if selected { " selected" } else { "" }
    );
    let onclick = live.then(|| {
        ui_cb(ui, move |_| {
            UiAction::Select(if selected { None } else { Some(id) })
        })
    });
    let onkeydown = live.then(|| {
        let ui = ui.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                ui.dispatch(UiAction::Select(if selected { None } else { Some(id) }));
            }
        })
    });
    let badge = match (alive, node.role()) {
        (false, _) => "✕",
        (true, Role::Leader) => "★",
        (true, Role::Candidate) => "?",
        (true, Role::PreCandidate) => "¿",
        _ => "",
    };
    let sub = if !alive {
        "down".to_string()
    } else if let Some(word) = member.short() {
        word.to_string()
    } else {
        match node.role() {
            Role::Candidate => format!("{} votes, needs {quorum}", node.votes().len()),
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
    html! {
        <g key={format!("n{id}")} {class} role={if live { "button" } else { "img" }}
            tabindex={live.then_some("0")} aria-label={label}
            aria-pressed={live.then(|| selected.to_string())} {onclick} {onkeydown}>
            <circle class="body" cx={f(x)} cy={f(y)} r={f(NODE_R)} />
            if member == Member::Learner {
                // A learner: a dashed ring around it, not yet inside the voting cluster.
                <circle class="ring" cx={f(x)} cy={f(y)} r={f(NODE_R + 1.1)} />
            }
            <text class="name" x={f(x)} y={f(y - 1.0)}>{ format!("S{id}") }</text>
            <text class="term" x={f(x)} y={f(y + 3.4)}>{ format!("T{}", node.term()) }</text>
            if !badge.is_empty() {
                <text class="badge" x={f(x + 5.6)} y={f(y - 4.6)}>{ badge }</text>
            }
            <text class="sub" x={f(x)} y={f(y + NODE_R + 3.6)}>{ sub }</text>
        </g>
    }
}

/// The configuration now: how big a majority is and how many failures the cluster survives
/// (the 2f + 1 rule), its learners, and the Add server button.
fn membership(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
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

fn legend() -> Html {
    let items = [
        ("msg rv", "RV", "RequestVote"),
        ("msg rv", "PV", "PreVote (asks, changes no term)"),
        ("msg rv", "TN", "TimeoutNow (leadership transfer)"),
        ("msg vote yes", "✓", "vote granted"),
        ("msg vote no", "✗", "vote refused"),
        ("msg ae hb", "", "heartbeat (empty AppendEntries)"),
        ("msg ae data", "+2", "AppendEntries with entries"),
        ("msg aer yes", "ok", "AppendEntries accepted"),
        ("msg aer no", "no", "AppendEntries refused"),
        (
            "msg ae data",
            "SNAP",
            "InstallSnapshot: the leader's snapshot, for a follower that needs compacted entries",
        ),
        (
            "msg aer yes",
            "s✓",
            "InstallSnapshot installed (or already held)",
        ),
        ("msg rv dies", "RV", "a message the network loses"),
    ];
    html! {
        <details class="legend">
            <summary>{ "Legend" }</summary>
            <ul>
                { for items.iter().map(|(class, text, what)| html! {
                    <li><span class={format!("{class} sample")}>{ *text }</span>{ *what }</li>
                }) }
                <li><span class="sample shape">{ "★" }</span>{ "leader; ? candidate; ¿ pre-candidate (PreVote); ✕ crashed" }</li>
                <li><span class="sample ring">{ "S" }</span>{ "dashed ring: a learner, catching up before it votes (thesis 4.2.1)" }</li>
                <li><span class="sample faded">{ "S" }</span>{ "faded: a server outside the configuration (removed, or not added yet)" }</li>
                <li><span class="sample bar"></span>{ "the bar above a node is its election timer, draining" }</li>
            </ul>
        </details>
    }
}

fn network(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let sim = m.sim();
    let n = sim.nodes().len() as NodeId;
    // Presets: the leader with one follower against the rest; the cluster cut in halves.
    let minority = sim.leader().map(|l| {
        let other = if l == n { 1 } else { l + 1 };
        vec![vec![l, other]]
    });
    let halves: Vec<Vec<NodeId>> = vec![(1..=n / 2).collect(), (n / 2 + 1..=n).collect()];
    let onsubmit = {
        let ui = ui.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let text = field_value("net-groups");
            match parse_groups(&text, n) {
                Ok(groups) => ui.dispatch(UiAction::Act(Action::Partition(groups))),
                Err(problem) => {
                    ui.dispatch(UiAction::Notice(Some(format!("Partition: {problem}"))))
                }
            }
        })
    };
    html! {
        <section class="panel" aria-label="Network">
            <h2>{ "Network" }</h2>
            <div class="buttons">
                if let Some(groups) = minority {
                    <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Partition(groups.clone())))}>
                        { "Cut the leader off with one follower" }
                    </button>
                }
                if n >= 2 {
                    <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Partition(halves.clone())))}>
                        { "Split in two halves" }
                    </button>
                }
                <button onclick={ui_cb(ui, |_| UiAction::Act(Action::Heal))}>{ "Heal all" }</button>
            </div>
            <form class="client" {onsubmit}>
                <label>{ "Groups" }<input id="net-groups" placeholder="1 2 | 3 4 5" aria-label="Partition groups" /></label>
                <button type="submit">{ "Partition" }</button>
            </form>
        </section>
    }
}

fn node_panel(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let Some(id) = ui
        .selected
        .filter(|&id| (id as usize) <= m.sim().nodes().len())
    else {
        return html! {
            <section class="panel" aria-label="Node actions">
                <h2>{ "Node actions" }</h2>
                <p class="hint">{ "Select a node (click it, or press 1 to 9) to crash, restart, time out or isolate it. Click a link to cut or mend it." }</p>
            </section>
        };
    };
    let t = Target::Node(id);
    let node = &m.sim().nodes()[id as usize - 1];
    let progress = node.progress();
    let member = m.member(id);
    let remove = match m.removal_blocked(id) {
        None => html! {
            <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::RemoveServer(id)))}
                title="The leader removes this server from the configuration (one change at a time); it keeps running, outside the cluster">
                { format!("Remove S{id}") }
            </button>
        },
        Some(why) => html! {
            <>
                <button disabled=true aria-describedby="remove-why">{ format!("Remove S{id}") }</button>
                <span id="remove-why" class="why">{ why }</span>
            </>
        },
    };
    html! {
        <section class="panel" aria-label="Node actions">
            <h2>{ format!("S{id}: {}, term {}{}", m.role_name(id), node.term(),
                member.short().map_or(String::new(), |w| format!(" ({w})"))) }</h2>
            <div class="buttons">
                <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Crash(t)))} aria-keyshortcuts="C">{ format!("Crash S{id}") }</button>
                <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Restart(t)))} aria-keyshortcuts="R">{ format!("Restart S{id}") }</button>
                <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Timeout(t)))} aria-keyshortcuts="T">{ format!("Time out S{id}") }</button>
                <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Isolate(t)))} aria-keyshortcuts="I">{ format!("Isolate S{id}") }</button>
                <span class="clockctl" role="group" aria-label={format!("S{id}'s clock speed")}>
                    { for [(0.5, "Clock ×0.5"), (1.0, "Clock ×1"), (2.0, "Clock ×2")].into_iter().map(|(rate, label)| html! {
                        <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::ClockRate(t, rate)))}
                            title="A clock fault: lease reads assume clocks drift less than the bound in Settings">{ label }</button>
                    }) }
                </span>
                // Only a voter can be handed leadership (thesis 3.10, 4.1).
                if m.sim().leader().is_some_and(|l| l != id) && member == Member::Voter {
                    <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::TransferLeadership(id)))}
                        title="The leader hands leadership over to this node (TimeoutNow)">{ format!("Make S{id} leader") }</button>
                }
                { remove }
            </div>
            <p class="facts">
                { format!("commit index {}, applied {}, log length {}", node.commit_index(), node.last_applied(), node.last_index()) }
                if node.snapshot_index() > 0 {
                    { format!(", snapshot ≤ {} (term {})", node.snapshot_index(), node.snapshot_term()) }
                }
                if let Some(l) = node.leader() { { format!(", follows S{l}") } }
                { format!("; its configuration (entry {}): {}", node.membership_index(), node.membership()) }
            </p>
            if !progress.is_empty() {
                <table class="progress">
                    <caption>{ "Replication (leader's view)" }</caption>
                    <thead><tr><th scope="col">{ "follower" }</th><th scope="col">{ "nextIndex" }</th><th scope="col">{ "matchIndex" }</th></tr></thead>
                    <tbody>
                        { for progress.iter().map(|p| html! {
                            <tr><td>{ format!("S{}", p.id) }</td><td>{ p.next_index }</td><td>{ p.match_index }</td></tr>
                        }) }
                    </tbody>
                </table>
            }
        </section>
    }
}

/// The value of the form field `id` (an input or a select).
fn field_value(id: &str) -> String {
    value_of(gloo_utils::document().get_element_by_id(id).map(Into::into))
}

/// The key typed in the client form, or what is wrong with it.
fn form_key() -> Result<String, &'static str> {
    let key = field_value("cw-key");
    if key.is_empty() {
        Err("A request needs a key")
    } else if key.contains(|c: char| c == '=' || c.is_whitespace()) {
        Err("A key must not contain '=' or spaces")
    } else if key.len() > 256 {
        Err("Keys and values are at most 256 bytes")
    } else {
        Ok(key)
    }
}

fn client_form(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let n = m.sim().nodes().len() as NodeId;
    let target = || {
        field_value("cw-to")
            .parse::<NodeId>()
            .ok()
            .map(Target::Node)
    };
    let onsubmit = {
        let ui = ui.clone();
        Callback::from(move |e: SubmitEvent| {
            e.prevent_default();
            let value = field_value("cw-value");
            let action = form_key().and_then(|key| match value.len() {
                0 => Err("A write needs a key and a value"),
                257.. => Err("Keys and values are at most 256 bytes"),
                _ => Ok(Action::ClientWrite {
                    node: target(),
                    key,
                    value,
                }),
            });
            match action {
                Ok(a) => ui.dispatch(UiAction::Act(a)),
                Err(p) => ui.dispatch(UiAction::Notice(Some(p.into()))),
            }
        })
    };
    let on_read = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| {
            let mode = field_value("cr-mode");
            let mode = ReadMode::ALL
                .into_iter()
                .find(|m| m.as_str() == mode)
                .unwrap_or(ReadMode::ReadIndex);
            match form_key() {
                Ok(key) => ui.dispatch(UiAction::Act(Action::ClientRead {
                    node: target(),
                    key,
                    mode,
                })),
                Err(p) => ui.dispatch(UiAction::Notice(Some(p.into()))),
            }
        })
    };
    html! {
        <section class="panel" aria-label="Client">
            <h2>{ "Client" }</h2>
            <form class="client" {onsubmit}>
                <label>{ "Key" }<input id="cw-key" value="x" maxlength="256" aria-label="Key" /></label>
                <label>{ "Value" }<input id="cw-value" value="1" maxlength="256" aria-label="Value" /></label>
                <label>{ "Send to" }
                    <select id="cw-to" aria-label="Send to">
                        <option value="leader" selected=true>{ "Leader" }</option>
                        { for (1..=n).map(|k| html! { <option value={k.to_string()}>{ format!("S{k}") }</option> }) }
                    </select>
                </label>
                <button type="submit">{ "Send write" }</button>
                <label>{ "Read mode" }
                    <select id="cr-mode" aria-label="Read mode">
                        { for ReadMode::ALL.into_iter().map(|m| html! {
                            <option value={m.as_str()} selected={m == ReadMode::ReadIndex}>{ m.as_str().replace('_', " ") }</option>
                        }) }
                    </select>
                </label>
                <button type="button" onclick={on_read}>{ "Send read" }</button>
            </form>
        </section>
    }
}

/// The clients' operations as bars from call to answer, one row per client (a client does
/// one thing at a time), and the linearizability verdict.
fn history(m: &Model) -> Html {
    use raftlab_sim::linearizability::{check, OpKind};
    let ops = m.history();
    let verdict = check(&ops);
    let culprit = verdict.as_ref().err().map(|e| e.culprit.id);
    let now = m.now();
    let shown: Vec<_> = ops.iter().rev().take(30).rev().collect();
    let start = shown.first().map_or(0, |o| o.invoked_us);
    let span = now.saturating_sub(start).max(1);
    let x = |t: Micros| (t.saturating_sub(start).min(span) as u128 * 1000 / span as u128) as u64;
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
                        Ok(()) => html! { <p class="ok">{ format!("✓ Linearizable: the {} operations fit one order of a single copy of the store.", ops.len()) }</p> },
                        Err(e) => html! { <p class="bad"><strong>{ "✗ Not linearizable. " }</strong>{ e.to_string() }</p> },
                    }
                }
            }
        </section>
    }
}

fn safety(m: &Model) -> Html {
    html! {
        <section class="panel" aria-label="Safety">
            <h2>{ "Safety" }</h2>
            <ul class="safety">
                { for m.safety().into_iter().map(|(p, detail)| {
                    let name = p.name().replace('_', " ");
                    match detail {
                        None => html! { <li class="ok"><span aria-hidden="true">{ "✓ " }</span>{ format!("{name} holds") }</li> },
                        Some(d) => html! { <li class="bad"><span aria-hidden="true">{ "✗ " }</span><strong>{ format!("{name} BROKEN") }</strong>{ format!(" ({}) ", p.section()) }{ d }</li> },
                    }
                }) }
            </ul>
        </section>
    }
}

const LOG_WINDOW: usize = 24;

fn logs(m: &Model) -> Html {
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

fn log_row(m: &Model, node: &Node, first: usize) -> Html {
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

fn kv(m: &Model) -> Html {
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

const KINDS: [(&str, &str); 6] = [
    ("election", "Elections"),
    ("log", "Log"),
    ("config", "Membership"),
    ("fault", "Faults"),
    ("client", "Clients"),
    ("safety", "Safety"),
];

fn narration(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let n = m.sim().nodes().len() as NodeId;
    let on_node = ui_cb(ui, |e: Event| {
        UiAction::FilterNode(input_value(&e).parse().ok())
    });
    let on_kind = ui_cb(ui, |e: Event| {
        let v = input_value(&e);
        UiAction::FilterKind(KINDS.iter().find(|(k, _)| *k == v).map(|(k, _)| *k))
    });
    let lines = m
        .narration()
        .iter()
        .filter(|l| ui.filter_node.is_none() || l.node == ui.filter_node)
        .filter(|l| ui.filter_kind.is_none() || Some(l.category) == ui.filter_kind)
        .take(60);
    html! {
        <section class="panel narration" aria-label="Event log">
            <h2>{ "What happened" }</h2>
            <div class="filters">
                <label>{ "Node " }
                    <select aria-label="Filter by node" onchange={on_node}>
                        <option value="" selected={ui.filter_node.is_none()}>{ "all" }</option>
                        { for (1..=n).map(|k| html! { <option value={k.to_string()} selected={ui.filter_node == Some(k)}>{ format!("S{k}") }</option> }) }
                    </select>
                </label>
                <label>{ "Kind " }
                    <select aria-label="Filter by kind" onchange={on_kind}>
                        <option value="" selected={ui.filter_kind.is_none()}>{ "all" }</option>
                        { for KINDS.iter().map(|(k, name)| html! { <option value={*k} selected={ui.filter_kind == Some(*k)}>{ *name }</option> }) }
                    </select>
                </label>
            </div>
            <ol class="events" aria-live="polite" aria-relevant="additions">
                { for lines.map(|l| html! {
                    <li key={l.seq} class={l.category}>
                        <time>{ format!("{} ms", ms1(l.t_us)) }</time><span>{ &l.text }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}

fn settings(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let c = m.sim().config();
    let ms = |us: Micros| {
        dec(us as i64, 3)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    };
    type Setter = fn(f64, &raftlab_sim::SimConfig) -> Option<ConfigPatch>;
    let field = |label: &'static str,
                 value: String,
                 min: &'static str,
                 max: &'static str,
                 step: &'static str,
                 set: Setter| {
        let ui = ui.clone();
        let config = c.clone();
        let onchange = Callback::from(move |e: Event| {
            let text = input_value(&e);
            // Read as a JSON number: the page then carries one float reader, not two.
            let patch = raftlab_sim::json::parse(text.trim())
                .ok()
                .and_then(|v| v.as_f64())
                .and_then(|v| set(v, &config));
            match patch {
                Some(p) => ui.dispatch(UiAction::Configure(p)),
                None => ui.dispatch(UiAction::Notice(Some(format!(
                    "{label}: {} is out of range ({min} to {max}, and min must not exceed max)",
                    raftlab_sim::json::quote(&text)
                )))),
            }
        });
        html! {
            <label class="setting">
                <span>{ label }</span>
                <input type="number" {min} {max} {step} value={value} aria-label={label} {onchange} />
            </label>
        }
    };
    fn rate(r: f64) -> String {
        dec(whole(r * 10_000.0), 4)
            .trim_end_matches('0')
            .trim_end_matches('.')
            .to_string()
    }
    fn us(v: f64) -> Micros {
        (v * 1000.0).round() as Micros
    }
    html! {
        <section class="panel" aria-label="Settings">
            <h2>{ "Settings (live)" }</h2>
            <div class="settings">
                { field("Election timeout min (ms)", ms(c.election_timeout_us.0), "1", "3600000", "1",
                    |v, c| (v >= 1.0 && us(v) <= c.election_timeout_us.1).then(|| ConfigPatch { election_timeout_us: Some((us(v), c.election_timeout_us.1)), ..Default::default() })) }
                { field("Election timeout max (ms)", ms(c.election_timeout_us.1), "1", "3600000", "1",
                    |v, c| (v <= 3_600_000.0 && us(v) >= c.election_timeout_us.0).then(|| ConfigPatch { election_timeout_us: Some((c.election_timeout_us.0, us(v))), ..Default::default() })) }
                { field("Heartbeat (ms)", ms(c.heartbeat_us), "1", "3600000", "1",
                    |v, _| (1.0..=3_600_000.0).contains(&v).then(|| ConfigPatch { heartbeat_us: Some(us(v)), ..Default::default() })) }
                { field("Latency min (ms)", ms(c.latency_us.0), "0", "3600000", "1",
                    |v, c| (v >= 0.0 && us(v) <= c.latency_us.1).then(|| ConfigPatch { latency_us: Some((us(v), c.latency_us.1)), ..Default::default() })) }
                { field("Latency max (ms)", ms(c.latency_us.1), "0", "3600000", "1",
                    |v, c| (v <= 3_600_000.0 && us(v) >= c.latency_us.0).then(|| ConfigPatch { latency_us: Some((c.latency_us.0, us(v))), ..Default::default() })) }
                { field("Drop rate", rate(c.drop_rate), "0", "1", "0.01",
                    |v, _| (0.0..=1.0).contains(&v).then(|| ConfigPatch { drop_rate: Some(v), ..Default::default() })) }
                { field("Duplicate rate", rate(c.duplicate_rate), "0", "1", "0.01",
                    |v, _| (0.0..=1.0).contains(&v).then(|| ConfigPatch { duplicate_rate: Some(v), ..Default::default() })) }
                { field("Clock drift bound", rate(c.clock_drift), "0", "0.5", "0.01",
                    |v, _| (0.0..=0.5).contains(&v).then(|| ConfigPatch { clock_drift: Some(v), ..Default::default() })) }
                { field("Snapshot every (entries)", c.snapshot_threshold.to_string(), "0", "100000", "1",
                    |v, _| (v.fract() == 0.0 && (0.0..=100_000.0).contains(&v)).then(|| ConfigPatch { snapshot_threshold: Some(v as u64), ..Default::default() })) }
                { toggle(ui, "PreVote (thesis 9.6)", c.pre_vote, |on| ConfigPatch { pre_vote: Some(on), ..Default::default() }) }
                { toggle(ui, "CheckQuorum (thesis 6.2)", c.check_quorum, |on| ConfigPatch { check_quorum: Some(on), ..Default::default() }) }
            </div>
        </section>
    }
}

/// A checkbox for an on/off setting, changed live.
fn toggle(
    ui: &UseReducerHandle<Ui>,
    label: &'static str,
    on: bool,
    patch: fn(bool) -> ConfigPatch,
) -> Html {
    let onchange = ui_cb(ui, move |e: Event| {
        use wasm_bindgen::JsCast;
        let checked = e
            .target()
            .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
            .is_some_and(|i| i.checked());
        UiAction::Configure(patch(checked))
    });
    html! {
        <label class="setting toggle">
            <span>{ label }</span>
            <input type="checkbox" checked={on} aria-label={label} {onchange} />
        </label>
    }
}

fn help(ui: &UseReducerHandle<Ui>) -> Html {
    html! {
        <div class="overlay" onclick={ui_cb(ui, |_| UiAction::Help(false))}>
            <div class="dialog" role="dialog" aria-modal="true" aria-label="Keyboard shortcuts"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2>{ "Keyboard shortcuts" }</h2>
                <dl>
                    { for SHORTCUTS.iter().map(|(k, what)| html! { <><dt><kbd>{ *k }</kbd></dt><dd>{ *what }</dd></> }) }
                </dl>
                <button autofocus=true onclick={ui_cb(ui, |_| UiAction::Help(false))}>{ "Close" }</button>
            </div>
        </div>
    }
}
