//! The picture, tables and node actions of the systems other than Raft (leaderless quorums,
//! lease election); their words come from `model/system_view.rs`.

use super::*;
use crate::model::system_view::{self as sv};
use crate::state::Selection;
use raftlab_sim::system::System;

/// A server of another system in the cluster picture: a button named "Node N, SN, role,
/// ...", and (the second part, drawn over the messages) its state in short lines beside it.
pub(crate) fn node(ui: &UseReducerHandle<Ui>, m: &Model, id: NodeId, live: bool) -> (Html, Html) {
    let sim = m.sim();
    let n = sim.node_count();
    let (x, y) = position(id, n);
    let alive = sim.is_alive(id);
    let role = sv::role(sim, id);
    let paused = alive && sim.paused_until(id).is_some();
    let lines = sv::lines(sim, id);
    let label = format!(
        "Node {id}, S{id}, {role}{}, {}",
        sim.paused_until(id)
            .filter(|_| alive)
            .map_or(String::new(), |t| format!(", paused until {} ms", t / 1000)),
        lines.join("; ")
    );
    let selected = ui.selection == Selection::Node(id);
    // Classes of their own (`sys-candidate`, not Raft's `candidate` with its election look);
    // a candidate that believes it leads is drawn as a leader.
    let leading = sim
        .lease_nodes()
        .get(id as usize - 1)
        .and_then(|n| n.belief())
        .is_some_and(|b| b.leading && alive);
    let class = format!(
        "node sys-{role}{}{}{}",
        if leading { " leading" } else { "" },
        if selected { " selected" } else { "" },
        if paused { " paused" } else { "" }
    );
    let toggle = move || {
        UiAction::Select(if selected {
            Selection::None
        } else {
            Selection::Node(id)
        })
    };
    let onclick = live.then(|| ui_cb(ui, move |_| toggle()));
    let onkeydown = live.then(|| {
        let ui = ui.clone();
        Callback::from(move |e: KeyboardEvent| {
            if e.key() == "Enter" || e.key() == " " {
                e.prevent_default();
                e.stop_propagation();
                ui.dispatch(toggle());
            }
        })
    });
    // Below the server; beside a server at the bottom of the picture (above it, the links
    // meet and messages pass), on the side towards the middle.
    let bottom = y >= 80.0;
    let (tx, y0, anchor) = if !bottom {
        (x, y + NODE_R + 3.2, None)
    } else {
        let first = y + 1.0 - 1.5 * (lines.len().max(1) as f64 - 1.0);
        if x > 50.5 {
            (x - NODE_R - 1.2, first, Some("text-anchor: end"))
        } else {
            (x + NODE_R + 1.2, first, Some("text-anchor: start"))
        }
    };
    // A long role word takes a smaller size to stay inside the circle.
    let role_class = if role.chars().count() > 7 {
        "term long"
    } else {
        "term"
    };
    let badge = if !alive {
        "✕"
    } else if paused {
        "‖"
    } else {
        ""
    };
    let body = html! {
        <g key={format!("n{id}")} class={format!("{class} nodeg")}>
        <g class={format!("hitg sys-{role}")} role={if live { "button" } else { "img" }}
            tabindex={live.then_some("0")} aria-label={label}
            aria-pressed={live.then(|| selected.to_string())} {onclick} {onkeydown}>
            <circle class="body" cx={f(x)} cy={f(y)} r={f(NODE_R)} />
            <text class="name" x={f(x)} y={f(y - 0.6)}>{ format!("S{id}") }</text>
        </g>
        <g class="facts" aria-hidden="true">
            <text class={role_class} x={f(x)} y={f(y + 4.0)}>{ role }</text>
            if !badge.is_empty() {
                <text class="badge" x={f(x + NODE_R - 0.5)} y={f(y - NODE_R + 2.0)}>{ badge }</text>
            }
        </g>
        </g>
    };
    let words = html! {
        <g key={format!("w{id}")} class={format!("word sys-{role}")} data-node={id.to_string()}>
            { for lines.iter().enumerate().map(|(i, l)| html! {
                <text class="sysline" x={f(tx)} y={f(y0 + 3.0 * i as f64)} style={anchor}>{ l.clone() }</text>
            }) }
        </g>
    };
    (body, words)
}

/// The table under the picture: replicas × keys (quorum), or the store's record, each
/// candidate's belief and the resource (lease).
pub(crate) fn tables(m: &Model) -> Html {
    let sim = m.sim();
    let ids = 1..=sim.node_count() as NodeId;
    match sim.system() {
        System::Quorum => {
            let mut keys: Vec<String> = sim
                .quorum_nodes()
                .iter()
                .flat_map(|n| n.store().keys().cloned())
                .collect();
            raftlab_sim::order::sort_strings(&mut keys);
            keys.dedup();
            html! {
                <section class="panel logs" aria-label="Replicas">
                    <h2>{ "Replicas: value · version per key" }</h2>
                    <table class="systable">
                        <thead><tr><th scope="col">{ "server" }</th>
                            { for keys.iter().map(|k| html! { <th scope="col">{ k.clone() }</th> }) }
                            <th scope="col">{ "in flight" }</th></tr></thead>
                        <tbody>
                        { for ids.map(|id| {
                            let node = &sim.quorum_nodes()[id as usize - 1];
                            html! { <tr>
                                <th scope="row">{ format!("S{id}") }{ if sim.is_alive(id) { "" } else { " (down)" } }</th>
                                { for keys.iter().map(|k| html! { <td>{
                                    node.store().get(k).map_or("—".to_string(), |s| s.iter().map(|(v, ver)| format!("{v} · {}", ver.text())).collect::<Vec<_>>().join(" | "))
                                }</td> }) }
                                <td>{ sv::replica_pending(sim, id).join(", ") }</td>
                            </tr> }
                        }) }
                        </tbody>
                    </table>
                </section>
            }
        }
        System::Lease => html! {
            <section class="panel logs" aria-label="Lease">
                <h2>{ "The lease: the store's record, what each candidate believes, the resource" }</h2>
                <table class="systable">
                    <thead><tr><th scope="col">{ "server" }</th><th scope="col">{ "role" }</th><th scope="col">{ "state (on its own clock)" }</th></tr></thead>
                    <tbody>
                    { for ids.map(|id| html! { <tr>
                        <th scope="row">{ format!("S{id}") }</th>
                        <td>{ sv::role(sim, id) }</td>
                        <td>{ sv::lines(sim, id).join("; ") }</td>
                    </tr> }) }
                    </tbody>
                </table>
            </section>
        },
        System::Raft => html! {},
    }
}

/// The node actions for a server of another system: crash, restart, isolate, pause, clock.
pub(crate) fn node_panel(ui: &UseReducerHandle<Ui>, m: &Model, id: NodeId) -> Html {
    let t = Target::Node(id);
    let sim = m.sim();
    html! {
        <section class="panel" aria-label="Node actions">
            <h2>{ format!("S{id}: {}", sv::role(sim, id)) }</h2>
            <div class="buttons">
                <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Crash(t)))} aria-keyshortcuts="C">{ format!("Crash S{id}") }</button>
                <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Restart(t)))} aria-keyshortcuts="R">{ format!("Restart S{id}") }</button>
                <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Isolate(t)))} aria-keyshortcuts="I">{ format!("Isolate S{id}") }</button>
                <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Pause(t, 1_000_000)))} aria-keyshortcuts="Z"
                    title="A process pause: it handles nothing for 1 s while its clock runs on">
                    { format!("Pause S{id} 1 s") }
                </button>
                <span class="clockctl" role="group" aria-label={format!("S{id}'s clock speed")}>
                    { for [(0.5, "Clock ×0.5"), (1.0, "Clock ×1"), (2.0, "Clock ×2")].into_iter().map(|(rate, label)| html! {
                        <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::ClockRate(t, rate)))}>{ label }</button>
                    }) }
                </span>
            </div>
            <p class="hint">{ "Raft's actions (time out, transfer leadership, membership changes) do not apply to this system." }</p>
        </section>
    }
}

/// Starts a new run (same seed and network settings) of `system` on `nodes` servers.
fn start(ui: &UseReducerHandle<Ui>, scenario: raftlab_sim::Scenario) {
    let name = system_name(scenario.system.system());
    let nodes = scenario.nodes;
    ui.dispatch(UiAction::Load(
        Box::new(scenario),
        Some(format!("New run: {name}, {nodes} servers")),
    ));
}

fn system_name(s: System) -> &'static str {
    match s {
        System::Raft => "Raft",
        System::Quorum => "Leaderless quorum",
        System::Lease => "Lease on a CAS store",
    }
}

/// The System choice and the system's own settings (each change starts a new run).
pub(crate) fn system_settings(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    use raftlab_sim::system::SystemConfig as C;
    let current = m.sim().system();
    let nodes = m.sim().node_count() as u32;
    let on_system = {
        let ui = ui.clone();
        let model = crate::state::shared_model();
        Callback::from(move |e: Event| {
            let Some(s) = System::from_name(&input_value(&e)) else {
                return;
            };
            let (config, n) = sv::defaults(s);
            let scenario = model.borrow().scenario_with(config, n);
            start(&ui, scenario);
        })
    };
    // A change of one field of this system's settings starts a new run with it.
    let change = |edit: fn(&mut C, &str) -> bool| {
        let ui = ui.clone();
        let model = crate::state::shared_model();
        Callback::from(move |e: Event| {
            let value = match e
                .target()
                .and_then(|t| wasm_bindgen::JsCast::dyn_into::<web_sys::HtmlInputElement>(t).ok())
            {
                Some(i) if i.type_() == "checkbox" => i.checked().to_string(),
                _ => input_value(&e),
            };
            // The model is borrowed only here: the reducer that `dispatch` runs borrows it too.
            let scenario = {
                let m = model.borrow();
                let nodes = m.sim().node_count();
                let mut config = m.sim().system_config();
                let bad = || {
                    format!(
                        "{} is not a valid setting here",
                        raftlab_sim::json::quote(&value)
                    )
                };
                if !edit(&mut config, value.trim()) {
                    Err(bad())
                } else {
                    // The same checks as a scenario file's (raftlab_quorum and raftlab_lease).
                    let valid = match &config {
                        C::Quorum(q) => q.validate(nodes),
                        C::Lease(l) => l.validate().map_err(|e| e.replace("_us", "_ms")),
                        C::Raft => Ok(()),
                    };
                    valid
                        .map(|()| m.scenario_with(config, nodes as u32))
                        .map_err(|why| format!("{}: {why}", bad()))
                }
            };
            match scenario {
                Ok(scenario) => start(&ui, scenario),
                Err(problem) => ui.dispatch(UiAction::Notice(Some(format!(
                    "{problem}. The run is unchanged."
                )))),
            }
        })
    };
    let own = match m.sim().system_config() {
        C::Raft => html! {},
        C::Quorum(q) => html! {
            <div class="settings">
                <label class="setting"><span>{ "Write quorum W" }</span>
                    <input type="number" min="1" max={nodes.to_string()} value={q.write_quorum.to_string()} aria-label="Write quorum W"
                        onchange={change(|c, v| match (c, v.parse::<usize>()) { (C::Quorum(q), Ok(w)) if w >= 1 => { q.write_quorum = w; true } _ => false })} /></label>
                <label class="setting"><span>{ "Read quorum R" }</span>
                    <input type="number" min="1" max={nodes.to_string()} value={q.read_quorum.to_string()} aria-label="Read quorum R"
                        onchange={change(|c, v| match (c, v.parse::<usize>()) { (C::Quorum(q), Ok(r)) if r >= 1 => { q.read_quorum = r; true } _ => false })} /></label>
                <label class="setting"><span>{ "Versions" }</span>
                    <select aria-label="Versions" onchange={change(|c, v| match c { C::Quorum(q) => { q.versions = match v { "counter" => raftlab_quorum::Versions::Counter, "vector" => raftlab_quorum::Versions::Vector, _ => raftlab_quorum::Versions::Lww }; true } _ => false })}>
                        { for [("lww", "last write wins (timestamps)", raftlab_quorum::Versions::Lww), ("counter", "counter", raftlab_quorum::Versions::Counter), ("vector", "vector clocks", raftlab_quorum::Versions::Vector)].into_iter().map(|(v, l, x)| html! {
                            <option value={v} selected={q.versions == x}>{ l }</option>
                        }) }
                    </select></label>
                <label class="setting"><span>{ "Read repair" }</span>
                    <select aria-label="Read repair" onchange={change(|c, v| match c { C::Quorum(q) => { q.read_repair = match v { "async" => raftlab_quorum::ReadRepair::Async, "blocking" => raftlab_quorum::ReadRepair::Blocking, _ => raftlab_quorum::ReadRepair::Off }; true } _ => false })}>
                        { for [("off", raftlab_quorum::ReadRepair::Off), ("async", raftlab_quorum::ReadRepair::Async), ("blocking", raftlab_quorum::ReadRepair::Blocking)].into_iter().map(|(v, x)| html! {
                            <option value={v} selected={q.read_repair == x}>{ v }</option>
                        }) }
                    </select></label>
                <label class="setting toggle"><span>{ "Sloppy quorum (hinted handoff)" }</span>
                    <input type="checkbox" checked={q.sloppy} aria-label="Sloppy quorum (hinted handoff)"
                        onchange={change(|c, v| match c { C::Quorum(q) => { q.sloppy = v == "true"; true } _ => false })} /></label>
                <label class="setting"><span>{ "Anti-entropy every (ms; 0: off)" }</span>
                    <input type="number" min="0" max="600000" value={q.anti_entropy_ms.to_string()} aria-label="Anti-entropy every (ms; 0: off)"
                        title="How often each replica compares its data with another's and takes what is newer (Dynamo 4.7)"
                        onchange={change(|c, v| match (c, v.parse::<u64>()) {
                            (C::Quorum(q), Ok(ms)) if ms <= 600_000 => { q.anti_entropy_ms = ms; true }
                            _ => false })} /></label>
            </div>
        },
        C::Lease(l) => html! {
            <div class="settings">
                <label class="setting toggle"><span>{ "Fencing tokens at the resource" }</span>
                    <input type="checkbox" checked={l.fencing} aria-label="Fencing tokens at the resource"
                        onchange={change(|c, v| match c { C::Lease(l) => { l.fencing = v == "true"; true } _ => false })} /></label>
                <label class="setting"><span>{ "Lease duration (ms)" }</span>
                    <input type="number" min="1" max="600000" value={(l.lease_duration_us / 1000).to_string()} aria-label="Lease duration (ms)"
                        onchange={change(|c, v| match (c, v.parse::<u64>()) {
                            (C::Lease(l), Ok(ms)) if ms * 1000 > l.renew_deadline_us && ms <= 600_000 => { l.lease_duration_us = ms * 1000; true }
                            _ => false })} /></label>
                <label class="setting"><span>{ "Renew deadline (ms)" }</span>
                    <input type="number" min="1" max="600000" value={(l.renew_deadline_us / 1000).to_string()} aria-label="Renew deadline (ms)"
                        title="A leader that has not renewed for this long on its own clock gives up (client-go RenewDeadline); below the lease duration"
                        onchange={change(|c, v| match (c, v.parse::<u64>()) {
                            (C::Lease(l), Ok(ms)) if (1..=600_000).contains(&ms) => { l.renew_deadline_us = ms * 1000; true }
                            _ => false })} /></label>
                <label class="setting"><span>{ "Retry period (ms)" }</span>
                    <input type="number" min="1" max="600000" value={(l.retry_period_us / 1000).to_string()} aria-label="Retry period (ms)"
                        title="How often a candidate tries to acquire, and a leader to renew (client-go RetryPeriod)"
                        onchange={change(|c, v| match (c, v.parse::<u64>()) {
                            (C::Lease(l), Ok(ms)) if (1..=600_000).contains(&ms) => { l.retry_period_us = ms * 1000; true }
                            _ => false })} /></label>
                <label class="setting"><span>{ "Session TTL (ms; 0: Kubernetes lease)" }</span>
                    <input type="number" min="0" max="600000" value={(l.session_ttl_us / 1000).to_string()} aria-label="Session TTL (ms; 0: Kubernetes lease)"
                        title="Above 0, the store itself expires a holder that stops renewing (Consul sessions)"
                        onchange={change(|c, v| match (c, v.parse::<u64>()) {
                            (C::Lease(l), Ok(ms)) if ms <= 600_000 => { l.session_ttl_us = ms * 1000; true }
                            _ => false })} /></label>
                <label class="setting"><span>{ "Watch delay (ms)" }</span>
                    <input type="number" min="0" max="600000" value={(l.watch_delay_us / 1000).to_string()} aria-label="Watch delay (ms)"
                        title="How late the store tells candidates that the record changed"
                        onchange={change(|c, v| match (c, v.parse::<u64>()) {
                            (C::Lease(l), Ok(ms)) if ms <= 600_000 => { l.watch_delay_us = ms * 1000; true }
                            _ => false })} /></label>
            </div>
        },
    };
    html! {
        <>
            <div class="settings">
                <label class="setting"><span>{ "System (starts a new run)" }</span>
                    <select aria-label="System (starts a new run)" onchange={on_system}>
                        { for System::ALL.into_iter().map(|s| html! {
                            <option value={s.as_str()} selected={s == current}>{ system_name(s) }</option>
                        }) }
                    </select>
                </label>
            </div>
            { own }
            if current != System::Raft {
                <p class="hint">{ "The settings of this system start a new run when changed. Raft's settings (timeouts, heartbeat, PreVote, CheckQuorum, snapshots, Q1/Q2) do not apply to it." }</p>
            }
        </>
    }
}
