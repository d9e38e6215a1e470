//! Saving and opening runs as files (a platform adapter): "Download scenario" (the CLI's
//! scenario JSON, which `raftlab run` replays to the same trace), "Download trace" (NDJSON),
//! and opening a scenario with a file picker, by dropping it anywhere on the page, or from an
//! address (the `scenario=URL` option). Reading and checking the file is the model's
//! (`model/files.rs`).

pub use crate::model::files::*;

#[cfg(target_arch = "wasm32")]
pub use web::{accept_drops, fetch_scenario, open, save};

#[cfg(target_arch = "wasm32")]
mod web {
    use crate::model::files::{check_file, opened_message, read_scenario, refused};
    use crate::model::Model;
    use crate::state::{Ui, UiAction};
    use gloo_events::{EventListener, EventListenerOptions};
    use std::cell::Cell;
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;
    use yew::prelude::*;

    /// How long a download's object URL lives: long enough for any browser to have started
    /// the download.
    const REVOKE_AFTER_MS: i32 = 10_000;

    /// Saves `text` as the file `name` (a Blob, an object URL and a temporary `<a download>`).
    fn download(name: &str, mime: &str, text: &str) -> Result<(), JsValue> {
        let window = web_sys::window().ok_or("no window")?;
        let document = window.document().ok_or("no document")?;
        let parts = js_sys::Array::of1(&JsValue::from_str(text));
        let options = web_sys::BlobPropertyBag::new();
        options.set_type(mime);
        let blob = web_sys::Blob::new_with_str_sequence_and_options(&parts, &options)?;
        let url = web_sys::Url::create_object_url_with_blob(&blob)?;
        let link: web_sys::HtmlAnchorElement = document.create_element("a")?.unchecked_into();
        link.set_href(&url);
        link.set_download(name);
        if let Some(body) = document.body() {
            body.append_child(&link)?;
        }
        link.click();
        link.remove();
        let revoke: js_sys::Function = Closure::once_into_js(move || {
            let _ = web_sys::Url::revoke_object_url(&url);
        })
        .unchecked_into();
        // A once-closure is freed when it runs: if no timer can be set, run it now.
        if window
            .set_timeout_with_callback_and_timeout_and_arguments_0(&revoke, REVOKE_AFTER_MS)
            .is_err()
        {
            let _ = revoke.call0(&JsValue::NULL);
        }
        Ok(())
    }

    /// Saves what `what` gives (file name, type, text), or says the browser refused.
    pub fn save(ui: &UseReducerHandle<Ui>, what: fn(&Model) -> (String, &'static str, String)) {
        let (name, mime, text) = what(&ui.model.borrow());
        if download(&name, mime, &text).is_err() {
            ui.dispatch(UiAction::Notice(Some(format!(
                "The browser refused to save {name}"
            ))));
        }
    }

    /// Reads `file` and opens it as the new run, or says why not (the run is then kept).
    pub fn open(file: web_sys::File, dispatch: UseReducerDispatcher<Ui>) {
        let name = file.name();
        if let Err(message) = check_file(&name, &file.type_(), file.size() as u64) {
            dispatch.dispatch(UiAction::Notice(Some(message)));
            return;
        }
        let Ok(reader) = web_sys::FileReader::new() else {
            dispatch.dispatch(UiAction::Notice(Some(refused(
                &name,
                "this browser cannot read files",
            ))));
            return;
        };
        let this = reader.clone();
        // `loadend` comes once, after a load or an error: one handler, called once.
        let done: js_sys::Function = Closure::once_into_js(move || {
            let action = match this.result().ok().and_then(|v| v.as_string()) {
                None => UiAction::Notice(Some(refused(&name, "the browser could not read it"))),
                // A lesson file (it has steps) opens as a lesson; a bad one is refused
                // with the lesson reader's message, and the run is kept.
                Some(text) if crate::model::looks_like_lesson(&text) => {
                    match crate::model::read_lesson(&text) {
                        Ok(lesson) => UiAction::OpenLesson(Box::new(lesson), 0),
                        Err(e) => UiAction::Notice(Some(refused(
                            &name,
                            &format!("it is a lesson with a problem: {e}"),
                        ))),
                    }
                }
                Some(text) => match read_scenario(&name, &text) {
                    Ok(s) => {
                        let message = opened_message(&name, &s);
                        UiAction::Load(Box::new(s), Some(message))
                    }
                    Err(message) => UiAction::Notice(Some(message)),
                },
            };
            dispatch.dispatch(action);
        })
        .unchecked_into();
        reader.set_onloadend(Some(&done));
        if reader.read_as_text(&file).is_err() {
            // No loadend will come: run the handler now (it says the file could not be read).
            reader.set_onloadend(None);
            let _ = done.call0(&JsValue::NULL);
        }
    }

    fn carries_files(e: &web_sys::DragEvent) -> bool {
        e.data_transfer()
            .is_some_and(|d| d.types().includes(&JsValue::from_str("Files"), 0))
    }

    /// Shows or hides the drop hint (`html[data-drop]` in the stylesheet).
    fn hint(show: bool) {
        if let Some(root) = crate::host::doc_root() {
            let _ = if show {
                root.set_attribute("data-drop", "")
            } else {
                root.remove_attribute("data-drop")
            };
        }
    }

    /// Accepts a scenario file dropped anywhere on the page, with a hint while a file is
    /// dragged over it; not in embed mode (an embedded page is an illustration). The drop
    /// target lives as long as the listeners returned.
    pub fn accept_drops(dispatch: UseReducerDispatcher<Ui>, embed: bool) -> Vec<EventListener> {
        if embed {
            return Vec::new();
        }
        let document = gloo_utils::document();
        // dragenter and dragleave come in pairs, one per element crossed: the hint stays
        // while more were entered than left.
        let depth = Rc::new(Cell::new(0i32));
        // Not passive: dragover and drop must prevent the browser from opening the file.
        let active = EventListenerOptions::enable_prevent_default();
        let on = |kind: &'static str, f: Box<dyn Fn(&web_sys::DragEvent)>| {
            EventListener::new_with_options(&document, kind, active, move |e| {
                if let Some(e) = e.dyn_ref::<web_sys::DragEvent>() {
                    if carries_files(e) {
                        f(e);
                    }
                }
            })
        };
        vec![
            on("dragenter", {
                let depth = depth.clone();
                Box::new(move |e| {
                    e.prevent_default();
                    depth.set(depth.get() + 1);
                    hint(true);
                })
            }),
            on(
                "dragover",
                Box::new(|e| {
                    e.prevent_default();
                    if let Some(d) = e.data_transfer() {
                        d.set_drop_effect("copy");
                    }
                }),
            ),
            on("dragleave", {
                let depth = depth.clone();
                Box::new(move |_| {
                    depth.set((depth.get() - 1).max(0));
                    if depth.get() == 0 {
                        hint(false);
                    }
                })
            }),
            on(
                "drop",
                Box::new(move |e| {
                    e.prevent_default();
                    depth.set(0);
                    hint(false);
                    let files = e.data_transfer().and_then(|d| d.files());
                    let count = files.as_ref().map_or(0, |f| f.length());
                    match files.and_then(|f| f.get(0)) {
                        Some(file) if count == 1 => open(file, dispatch.clone()),
                        Some(_) => dispatch.dispatch(UiAction::Notice(Some(format!(
                            "{count} files were dropped: drop one scenario file at a time. The current run is unchanged."
                        )))),
                        None => {}
                    }
                }),
            ),
        ]
    }

    /// Fetches the scenario at `url` (relative to the page) and reads it; `done` gets the
    /// scenario or the message to show (the current run is then unchanged).
    pub fn fetch_scenario(
        url: &str,
        done: impl FnOnce(Result<raftlab_sim::scenario::Scenario, String>) + 'static,
    ) {
        let name = url.rsplit('/').next().unwrap_or(url).to_string();
        let shown = url.to_string();
        crate::lessons::fetch_text(url, move |r| {
            done(
                r.map_err(|e| {
                    format!(
                        "Could not open the scenario {shown}: {e}. The current run is unchanged."
                    )
                })
                .and_then(|text| read_scenario(&name, &text)),
            )
        });
    }
}
