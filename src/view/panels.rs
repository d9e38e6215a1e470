//! The panels that act on the run: network, node actions, client, settings; and safety.

use super::*;

pub(crate) fn network(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let sim = m.sim();
    let n = sim.node_count() as NodeId;
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
            { hand_driven(ui, m) }
            { on_the_wire(ui, m) }
        </section>
    }
}

/// The switches "Delivery: automatic / by hand" and "Timers: automatic / by hand" (live), and
/// what manual mode means.
fn hand_driven(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    use raftlab_sim::scenario::Mode;
    let sim = m.sim();
    let switch = |name: &'static str, manual: bool, patch: fn(Mode) -> ConfigPatch| {
        let choice = |mode: Mode, label: &'static str| {
            let onchange = ui_cb(ui, move |_: Event| UiAction::Configure(patch(mode)));
            html! {
                <label>
                    <input type="radio" name={format!("mode-{}", name.to_ascii_lowercase())}
                        checked={manual == mode.is_manual()} {onchange} />
                    { label }
                </label>
            }
        };
        html! {
            <fieldset class="modes">
                <legend>{ name }</legend>
                { choice(Mode::Auto, "automatic") }
                { choice(Mode::Manual, "by hand") }
            </fieldset>
        }
    };
    html! {
        <div class="hand">
            <div class="switches">
                { switch("Delivery", sim.delivery_manual(), |m| ConfigPatch { delivery: Some(m), ..Default::default() }) }
                // Only Raft's timers can be fired by hand (the other systems' run on their
                // own clocks).
                if sim.system() == raftlab_sim::system::System::Raft {
                    { switch("Timers", sim.timers_manual(), |m| ConfigPatch { timers: Some(m), ..Default::default() }) }
                }
            </div>
            if sim.delivery_manual() {
                <p class="hint">{ "Delivery by hand: nothing arrives until you deliver it. Click a waiting message in the picture (or pick it below), then Deliver now, Drop or Duplicate." }</p>
            }
            if sim.timers_manual() {
                <p class="hint">{ "Timers by hand: no server times out or sends heartbeats by itself. Click the fire button by a server (or Fire timer in its details) to fire its timer." }</p>
            }
        </div>
    }
}

/// Most messages listed on the wire (the rest are counted).
const WIRE_LIST: usize = 40;

/// "Messages on the wire": a button per message, to select it without the picture (by
/// keyboard), while paused or with manual delivery (otherwise the list would change every
/// moment).
fn on_the_wire(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let sim = m.sim();
    if m.playing && !sim.delivery_manual() {
        return html! {
            <p class="hint">{ "Pause (or deliver by hand) to pick a message on the wire from a list." }</p>
        };
    }
    let now = sim.now();
    let mut wire: Vec<_> = sim.in_flight().collect();
    raftlab_sim::order::sort_by_key(&mut wire, |f| f.id.into());
    let more = wire.len().saturating_sub(WIRE_LIST);
    let selected = match ui.selection {
        crate::state::Selection::Message(id) => Some(id),
        _ => None,
    };
    html! {
        <div class="wire" role="group" aria-label="Messages on the wire">
            <h3>{ "Messages on the wire" }</h3>
            if wire.is_empty() {
                <p class="hint">{ "No message is on the wire now." }</p>
            } else {
                <ul>
                    { for wire.iter().take(WIRE_LIST).map(|f| {
                        let id = f.id;
                        let when = if f.held {
                            "waiting".to_string()
                        } else if f.lost {
                            "will be lost".to_string()
                        } else {
                            format!("arrives in {} ms", ms1(f.deliver_at.saturating_sub(now)))
                        };
                        let text = format!("S{} → S{} {} #{id}, {when}", f.message.from(), f.message.to(), f.message.type_name());
                        let pressed = selected == Some(id);
                        html! {
                            <li key={id}>
                                <button class={if f.held { "msgpick held" } else { "msgpick" }} aria-pressed={pressed.to_string()}
                                    onclick={ui_cb(ui, move |_| UiAction::Select(if pressed { crate::state::Selection::None } else { crate::state::Selection::Message(id) }))}
                                    onmouseenter={Callback::from(move |_: MouseEvent| crate::canvas::highlight(Some(id)))}
                                    onmouseleave={Callback::from(|_: MouseEvent| crate::canvas::highlight(None))}
                                    onfocus={Callback::from(move |_: FocusEvent| crate::canvas::highlight(Some(id)))}
                                    onblur={Callback::from(|_: FocusEvent| crate::canvas::highlight(None))}>
                                    { text }
                                </button>
                            </li>
                        }
                    }) }
                </ul>
                if more > 0 { <p class="hint">{ format!("and {more} more") }</p> }
            }
        </div>
    }
}

pub(crate) fn node_panel(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let Some(id) = ui
        .selection
        .node()
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
                if m.sim().timer_at(id).is_some() {
                    <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::FireTimer(t)))}
                        title={if node.role() == Role::Leader { "Its next heartbeat round happens now" } else { "Its election timeout expires now" }}>
                        { format!("Fire S{id}'s timer") }
                    </button>
                }
                <button onclick={ui_cb(ui, move |_| UiAction::Act(Action::Pause(t, 1_000_000)))} aria-keyshortcuts="Z"
                    title="A process pause (garbage collection, a stalled virtual machine): it handles nothing for 1 s while its clock runs on; then its late timers fire and it handles what waited">
                    { format!("Pause S{id} 1 s") }
                </button>
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

/// The key typed in the client form, or what is wrong with it.
pub(crate) fn form_key() -> Result<String, &'static str> {
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

pub(crate) fn client_form(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let n = m.sim().node_count() as NodeId;
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
    let system = m.sim().system();
    if system == raftlab_sim::system::System::Lease {
        return html! {
            <section class="panel" aria-label="Client">
                <h2>{ "Client" }</h2>
                <p class="hint">{ "No client here: the candidates run the lease loop themselves, and the leader writes to the resource (the highest-numbered server)." }</p>
            </section>
        };
    }
    let quorum = system == raftlab_sim::system::System::Quorum;
    let chosen = ui.selection.node().filter(|_| quorum);
    html! {
        <section class="panel" aria-label="Client">
            <h2>{ "Client" }</h2>
            <form class="client" {onsubmit}>
                <label>{ "Key" }<input id="cw-key" value="x" maxlength="256" aria-label="Key" /></label>
                <label>{ "Value" }<input id="cw-value" value="1" maxlength="256" aria-label="Value" /></label>
                <label>{ "Send to" }
                    <select id="cw-to" aria-label="Send to">
                        <option value="leader" selected={chosen.is_none()}>{ if quorum { "Any server (coordinator)" } else { "Leader" } }</option>
                        { for (1..=n).map(|k| html! { <option value={k.to_string()} selected={chosen == Some(k)}>{ format!("S{k}") }</option> }) }
                    </select>
                </label>
                <button type="submit">{ "Send write" }</button>
                if !quorum {
                <label>{ "Read mode" }
                    <select id="cr-mode" aria-label="Read mode">
                        { for ReadMode::ALL.into_iter().map(|m| html! {
                            <option value={m.as_str()} selected={m == ReadMode::ReadIndex}>{ m.as_str().replace('_', " ") }</option>
                        }) }
                    </select>
                </label>
                }
                <button type="button" onclick={on_read}>{ "Send read" }</button>
            </form>
        </section>
    }
}

pub(crate) fn safety(m: &Model) -> Html {
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
            if let Some(note) = m.quorum_setting() {
                <p class="hint quorum-setting">{ note }</p>
            }
            if let Some(on) = bugs_on(m) {
                <p class="warn" role="status">{ format!("Bugs on: {on}. Raft's guarantees do not hold while they are (Settings, Bugs).") }</p>
            }
        </section>
    }
}

/// The bugs switched on now, by name, if any.
fn bugs_on(m: &Model) -> Option<String> {
    let names = raftlab_sim::scenario::bug_names(&m.sim().config().bugs);
    (!names.is_empty()).then(|| names.join(", "))
}

pub(crate) fn settings(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let c = m.sim().config();
    let raft = m.sim().system() == raftlab_sim::system::System::Raft;
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
            { super::systems::system_settings(ui, m) }
            <div class="settings">
                if raft { <>
                { field("Election timeout min (ms)", ms(c.election_timeout_us.0), "1", "3600000", "1",
                    |v, c| (v >= 1.0 && us(v) <= c.election_timeout_us.1).then(|| ConfigPatch { election_timeout_us: Some((us(v), c.election_timeout_us.1)), ..Default::default() })) }
                { field("Election timeout max (ms)", ms(c.election_timeout_us.1), "1", "3600000", "1",
                    |v, c| (v <= 3_600_000.0 && us(v) >= c.election_timeout_us.0).then(|| ConfigPatch { election_timeout_us: Some((c.election_timeout_us.0, us(v))), ..Default::default() })) }
                { field("Heartbeat (ms)", ms(c.heartbeat_us), "1", "3600000", "1",
                    |v, _| (1.0..=3_600_000.0).contains(&v).then(|| ConfigPatch { heartbeat_us: Some(us(v)), ..Default::default() })) }
                </> }
                { field("Latency min (ms)", ms(c.latency_us.0), "0", "3600000", "1",
                    |v, c| (v >= 0.0 && us(v) <= c.latency_us.1).then(|| ConfigPatch { latency_us: Some((us(v), c.latency_us.1)), ..Default::default() })) }
                { field("Latency max (ms)", ms(c.latency_us.1), "0", "3600000", "1",
                    |v, c| (v <= 3_600_000.0 && us(v) >= c.latency_us.0).then(|| ConfigPatch { latency_us: Some((c.latency_us.0, us(v))), ..Default::default() })) }
                { field("Drop rate", rate(c.drop_rate), "0", "1", "0.01",
                    |v, _| (0.0..=1.0).contains(&v).then(|| ConfigPatch { drop_rate: Some(v), ..Default::default() })) }
                { field("Duplicate rate", rate(c.duplicate_rate), "0", "1", "0.01",
                    |v, _| (0.0..=1.0).contains(&v).then(|| ConfigPatch { duplicate_rate: Some(v), ..Default::default() })) }
                if raft { <>
                { field("Clock drift bound", rate(c.clock_drift), "0", "0.5", "0.01",
                    |v, _| (0.0..=0.5).contains(&v).then(|| ConfigPatch { clock_drift: Some(v), ..Default::default() })) }
                { field("Snapshot every (entries)", c.snapshot_threshold.to_string(), "0", "100000", "1",
                    |v, _| (v.fract() == 0.0 && (0.0..=100_000.0).contains(&v)).then(|| ConfigPatch { snapshot_threshold: Some(v as u64), ..Default::default() })) }
                { toggle(ui, "PreVote (thesis 9.6)", c.pre_vote, |on| ConfigPatch { pre_vote: Some(on), ..Default::default() }) }
                { toggle(ui, "CheckQuorum (thesis 6.2)", c.check_quorum, |on| ConfigPatch { check_quorum: Some(on), ..Default::default() }) }
                { field("Election quorum Q1 (0: majority)", c.election_quorum.to_string(), "0", "9", "1",
                    |v, _| (v.fract() == 0.0 && (0.0..=9.0).contains(&v)).then(|| ConfigPatch { election_quorum: Some(v as u32), ..Default::default() })) }
                { field("Commit quorum Q2 (0: majority)", c.commit_quorum.to_string(), "0", "9", "1",
                    |v, _| (v.fract() == 0.0 && (0.0..=9.0).contains(&v)).then(|| ConfigPatch { commit_quorum: Some(v as u32), ..Default::default() })) }
                </> }
            </div>
            if raft { { quorum_note(m) } }
            if raft { { bugs(ui, c.bugs) } }
        </section>
    }
}

/// The bugs, switched on or off during the run (a `set` with `bugs`): a reader who failed to
/// break Raft honestly switches one rule off and tries again in the same run.
fn bugs(ui: &UseReducerHandle<Ui>, now: raftlab_raft::Bugs) -> Html {
    type Flip = fn(&mut raftlab_raft::Bugs, bool);
    let item = |label: &'static str, on: bool, flip: Flip| {
        let onchange = ui_cb(ui, move |e: Event| {
            use wasm_bindgen::JsCast;
            let checked = e
                .target()
                .and_then(|t| t.dyn_into::<web_sys::HtmlInputElement>().ok())
                .is_some_and(|i| i.checked());
            let mut bugs = now;
            flip(&mut bugs, checked);
            UiAction::Configure(ConfigPatch {
                bugs: Some(bugs),
                ..Default::default()
            })
        });
        html! {
            <label class="setting toggle">
                <span>{ label }</span>
                <input type="checkbox" checked={on} aria-label={label} {onchange} />
            </label>
        }
    };
    html! {
        <fieldset class="bugs">
            <legend>{ "Bugs: break Raft on purpose" }</legend>
            <p class="hint">{ "Each switches one rule of Raft off from this moment, on every server. The Safety panel shows what the checker then finds." }</p>
            <div class="settings">
                { item("Commit earlier-term entries by counting (breaks 5.4.2)", now.commit_previous_term, |b, on| b.commit_previous_term = on) }
                { item("Vote without comparing logs (breaks 5.4.1)", now.skip_vote_log_check, |b, on| b.skip_vote_log_check = on) }
                { item("Change membership without waiting (breaks thesis 4.1)", now.unsafe_membership, |b, on| b.unsafe_membership = on) }
            </div>
        </fieldset>
    }
}

/// What flexible quorums mean for this cluster: the sizes in use and, when an election
/// quorum and a commit quorum need not intersect, the warning that safety is lost.
fn quorum_note(m: &Model) -> Html {
    let c = m.sim().config();
    if c.election_quorum == 0 && c.commit_quorum == 0 {
        return Html::default();
    }
    let voters = m.sim().membership().voters.len();
    let size = |q: u32| {
        if q == 0 {
            voters / 2 + 1
        } else {
            (q as usize).min(voters)
        }
    };
    let (q1, q2) = (size(c.election_quorum), size(c.commit_quorum));
    html! {
        <>
            <p class="hint">{ format!("Flexible quorums (Flexible Paxos): {q1} of {voters} votes elect a leader, {q2} of {voters} servers commit an entry. Membership changes are refused while they are set.") }</p>
            if q1 + q2 <= voters {
                <p class="warn" role="status">{ format!("These quorums need not intersect ({q1} + {q2} is not more than {voters}): safety is not guaranteed. Two leaders may commit different entries; the checker will say so.") }</p>
            } else if 2 * q1 <= voters {
                <p class="warn" role="status">{ format!("Two election quorums need not intersect (2 × {q1} is not more than {voters}): two candidates can win the same term, so safety is not guaranteed. Raft's terms, unlike Paxos ballots, are not unique to a candidate.") }</p>
            }
        </>
    }
}

/// A checkbox for an on/off setting, changed live.
pub(crate) fn toggle(
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
