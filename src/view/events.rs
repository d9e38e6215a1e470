//! The event log in plain words, with its filters.

use super::*;

pub(crate) const KINDS: [(&str, &str); 6] = [
    ("election", "Elections"),
    ("log", "Log"),
    ("config", "Membership"),
    ("fault", "Faults"),
    ("client", "Clients"),
    ("safety", "Safety"),
];

pub(crate) fn narration(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let n = m.sim().node_count() as NodeId;
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
            <ol class="events" aria-live="polite" aria-relevant="additions" tabindex="0" aria-label="Narrated events, newest first">
                { for lines.map(|l| html! {
                    <li key={l.seq} class={l.category}>
                        <time>{ format!("{} ms", ms1(l.t_us)) }</time><span>{ &l.text }</span>
                    </li>
                }) }
            </ol>
        </section>
    }
}
