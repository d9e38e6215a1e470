//! A panic in the wasm shows an overlay with the seed and a copyable report (the scenario and
//! the end of the trace) instead of a dead page.

use wasm_bindgen::JsCast;

/// Installs the panic hook.
pub fn install() {
    // Yew installs its own hook when it renders; this one replaces it for good.
    yew::set_custom_panic_hook(Box::new(|info| {
        let message = info.to_string();
        web_sys::console::error_1(&format!("raftlab: {message}").into());
        let model = crate::state::shared_model();
        let report = match model.try_borrow() {
            Ok(m) => {
                let trace = m.trace_ndjson();
                let tail: Vec<&str> = trace.lines().rev().take(30).collect();
                format!(
                    "raftlab crashed: {message}\nseed: {}\n\nscenario:\n{}\nlast trace lines (newest first):\n{}\n",
                    m.sim().seed(),
                    m.scenario().to_pretty(),
                    tail.join("\n")
                )
            }
            Err(_) => format!("raftlab crashed: {message}\n(the run's state was being changed; no scenario available)\n"),
        };
        show(&report);
    }));
}

fn show(report: &str) {
    let Some(doc) = web_sys::window().and_then(|w| w.document()) else {
        return;
    };
    // In a <raft-lab> element the report shows inside it, not over the host page.
    let Some(body) = crate::host::element_root().or_else(|| doc.body().map(Into::into)) else {
        return;
    };
    let Ok(overlay) = doc.create_element("div") else {
        return;
    };
    overlay.set_class_name("panic");
    overlay.set_attribute("role", "alertdialog").ok();
    overlay.set_attribute("aria-label", "raftlab stopped").ok();
    let Ok(title) = doc.create_element("h2") else {
        return;
    };
    title.set_text_content(Some("Something went wrong inside raftlab"));
    let Ok(text) = doc.create_element("p") else {
        return;
    };
    text.set_text_content(Some(
        "The simulation stopped. Please copy this report (it holds the seed and every action, so the run can be replayed) and send it to us.",
    ));
    let Ok(area) = doc.create_element("textarea") else {
        return;
    };
    area.set_attribute("readonly", "").ok();
    area.set_attribute("aria-label", "Report").ok();
    area.set_text_content(Some(report));
    let Ok(button) = doc.create_element("button") else {
        return;
    };
    button.set_text_content(Some("Copy report"));
    let copy = report.to_string();
    let on_copy = wasm_bindgen::closure::Closure::<dyn Fn()>::new(move || {
        if let Some(w) = web_sys::window() {
            let _ = w.navigator().clipboard().write_text(&copy);
        }
    });
    if let Some(b) = button.dyn_ref::<web_sys::HtmlElement>() {
        b.set_onclick(Some(on_copy.as_ref().unchecked_ref()));
    }
    // The overlay lives until the page is reloaded.
    on_copy.forget();
    for child in [&title, &text, &area, &button] {
        overlay.append_child(child).ok();
    }
    body.append_child(&overlay).ok();
}
