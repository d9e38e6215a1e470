//! Saving and opening runs as files: "Download scenario" (the CLI's scenario JSON, which
//! `raftlab run` replays to the same trace), "Download trace" (NDJSON), and opening a
//! scenario with a file picker or by dropping it anywhere on the page.
//!
//! Checking a file and reading its text is pure Rust (tested natively); the buttons, the
//! reading and the drop target are browser-only. A file that cannot be opened leaves the
//! current run untouched and says what is wrong, naming the field when the scenario is at
//! fault (the scenario reader's messages do).

use raftlab_sim::json;
use raftlab_sim::scenario::Scenario;

/// Files larger than this are refused before they are read (5 MB).
pub const MAX_FILE_BYTES: u64 = 5_000_000;

/// The download name of the run with `seed`: `raftlab-seed42.json`.
pub fn download_name(seed: u64, extension: &str) -> String {
    format!("raftlab-seed{seed}.{extension}")
}

/// A file name as messages show it (long names are cut short).
fn shown(name: &str) -> String {
    const MAX: usize = 60;
    let name = if name.is_empty() { "the file" } else { name };
    match name.char_indices().nth(MAX) {
        Some((cut, _)) => format!("{}…", &name[..cut]),
        None => name.to_string(),
    }
}

fn refused(name: &str, why: &str) -> String {
    format!(
        "Could not open {}: {why}. The current run is unchanged.",
        shown(name)
    )
}

/// What a media type says the file is, when that is surely not a scenario.
fn wrong_kind(mime: &str) -> Option<&'static str> {
    let mime = mime.trim().to_ascii_lowercase();
    let (kind, sub) = mime.split_once('/').unwrap_or((mime.as_str(), ""));
    Some(match kind {
        "image" => "an image",
        "audio" => "a sound file",
        "video" => "a video",
        "font" => "a font",
        "model" => "a 3D model",
        "application" => match sub {
            "pdf" => "a PDF document",
            "zip" | "gzip" | "x-gzip" | "x-tar" | "x-7z-compressed" | "x-rar-compressed"
            | "x-bzip2" | "zstd" => "an archive",
            "wasm" => "a WebAssembly module",
            "x-msdownload" | "x-executable" | "x-mach-binary" => "a program",
            _ if sub.starts_with("vnd.") && !sub.ends_with("+json") => "a document",
            _ => return None,
        },
        _ => return None,
    })
}

/// Checks what is known before reading a file: its media type (as the browser guesses it
/// from the name) and its size. `Err` is the message to show.
pub fn check_file(name: &str, mime: &str, size: u64) -> Result<(), String> {
    if let Some(kind) = wrong_kind(mime) {
        return Err(refused(
            name,
            &format!("it is {kind} ({mime}), not a scenario; a scenario is a JSON text file such as one saved by Download scenario"),
        ));
    }
    if size > MAX_FILE_BYTES {
        return Err(refused(
            name,
            &format!(
                "it is {} bytes, larger than the 5 MB a scenario may have",
                size
            ),
        ));
    }
    if size == 0 {
        return Err(refused(name, "the file is empty"));
    }
    Ok(())
}

/// Whether `line` is one line of a trace (an object with `t_us` and `kind`).
fn is_trace_line(line: &str) -> bool {
    json::parse(line.trim()).ok().is_some_and(|v| {
        v.as_object()
            .is_some_and(|o| o.get("t_us").is_some() && o.get("kind").is_some())
    })
}

/// Reads a scenario from the text of the file `name`. `Err` is the message to show: it
/// names the line and column of a JSON error, or the field path of a wrong value.
pub fn read_scenario(name: &str, text: &str) -> Result<Scenario, String> {
    // Some editors start UTF-8 files with a byte-order mark.
    let text = text.strip_prefix('\u{feff}').unwrap_or(text);
    if text.trim().is_empty() {
        return Err(refused(name, "the file is empty"));
    }
    let head = text.get(..4096).unwrap_or(text);
    if head.contains(['\0', '\u{fffd}']) {
        return Err(refused(
            name,
            "it is not a text file; a scenario is a JSON text file such as one saved by Download scenario",
        ));
    }
    Scenario::parse(text).map_err(|e| {
        if is_trace_line(text.lines().next().unwrap_or("")) {
            refused(
                name,
                "it is a trace (one event per line), not a scenario; open the scenario (.json) saved by Download scenario",
            )
        } else {
            refused(name, &e.to_string())
        }
    })
}

/// What the page says once the file `name` has replaced the run.
pub fn opened_message(name: &str, s: &Scenario) -> String {
    let actions = match s.events.len() {
        0 => "no scheduled actions".to_string(),
        1 => "1 scheduled action".to_string(),
        n => format!("{n} scheduled actions"),
    };
    format!(
        "Opened {}: a new run with seed {}, {} nodes, {actions}.",
        shown(name),
        s.seed,
        s.nodes
    )
}

#[cfg(target_arch = "wasm32")]
pub use web::{accept_drops, open, save};

#[cfg(target_arch = "wasm32")]
mod web {
    use super::{check_file, opened_message, read_scenario, refused};
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
    pub fn accept_drops(dispatch: UseReducerDispatcher<Ui>) -> Vec<EventListener> {
        if crate::embed::options().embed {
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
}

#[cfg(test)]
mod tests {
    use super::*;

    const GOOD: &str = r#"{"version": 1, "seed": 42, "nodes": 3,
        "events": [{"at_ms": 100, "do": "crash", "node": 1}]}"#;

    #[test]
    fn names() {
        assert_eq!(download_name(42, "json"), "raftlab-seed42.json");
        assert_eq!(
            download_name(u64::MAX, "ndjson"),
            "raftlab-seed18446744073709551615.ndjson"
        );
    }

    #[test]
    fn a_good_file_opens() {
        let s = read_scenario("run.json", GOOD).unwrap();
        assert_eq!((s.seed, s.nodes, s.events.len()), (42, 3, 1));
        assert_eq!(
            opened_message("run.json", &s),
            "Opened run.json: a new run with seed 42, 3 nodes, 1 scheduled action."
        );
        let with_bom = format!("\u{feff}{GOOD}");
        assert_eq!(read_scenario("run.json", &with_bom).unwrap(), s);
        // What the page saves, it opens.
        assert_eq!(read_scenario("x.json", &s.to_pretty()).unwrap(), s);
        for mime in [
            "",
            "application/json",
            "text/plain",
            "application/octet-stream",
            "application/vnd.api+json",
        ] {
            assert_eq!(check_file("run.json", mime, 100), Ok(()), "{mime}");
        }
    }

    #[test]
    fn bad_files_say_what_is_wrong() {
        let cases: [(&str, &str, &str); 8] = [
            ("bad.json", r#"{"version": 1, "seed": }"#, "Could not open bad.json: line 1, column 24: not valid JSON: expected a value. The current run is unchanged."),
            ("cut.json", &GOOD[..40], "Could not open cut.json: line 2, column "),
            ("notes.txt", "hello, world", "Could not open notes.txt: line 1, column 1: not valid JSON: expected a value. The current run is unchanged."),
            ("new.json", r#"{"version": 99}"#, "Could not open new.json: version: version 99 is newer than this raftlab understands (up to 1); update raftlab. The current run is unchanged."),
            ("big.json", r#"{"version": 1, "nodes": 12}"#, "Could not open big.json: nodes: a cluster has 1 to 9 nodes (found 12). The current run is unchanged."),
            ("field.json", r#"{"version": 1, "events": [{"at_ms": 1, "do": "crash", "node": 7}]}"#, "Could not open field.json: events[0].node:"),
            ("blank.json", " \n ", "Could not open blank.json: the file is empty. The current run is unchanged."),
            ("run.ndjson", "{\"t_us\":0,\"kind\":\"become_follower\",\"node\":1,\"term\":0}\n{\"t_us\":1,\"kind\":\"heal\"}\n", "Could not open run.ndjson: it is a trace (one event per line), not a scenario;"),
        ];
        for (name, text, want) in cases {
            let got = read_scenario(name, text).unwrap_err();
            assert!(got.starts_with(want), "{name}: {got}");
            assert!(
                got.ends_with("The current run is unchanged."),
                "{name}: {got}"
            );
        }
        let binary = "\u{fffd}PNG\r\n\u{1a}\n\0\0\0\rIHDR";
        assert!(read_scenario("photo.json", binary)
            .unwrap_err()
            .contains("it is not a text file"));
    }

    #[test]
    fn files_are_checked_before_reading() {
        assert_eq!(
            check_file("photo.png", "image/png", 1234).unwrap_err(),
            "Could not open photo.png: it is an image (image/png), not a scenario; a scenario is a JSON text file such as one saved by Download scenario. The current run is unchanged."
        );
        for (mime, kind) in [
            ("audio/mpeg", "a sound file"),
            ("video/mp4", "a video"),
            ("application/pdf", "a PDF document"),
            ("application/zip", "an archive"),
            ("application/vnd.ms-excel", "a document"),
        ] {
            assert!(
                check_file("x", mime, 10).unwrap_err().contains(kind),
                "{mime}"
            );
        }
        assert_eq!(
            check_file("huge.json", "application/json", 6_000_000).unwrap_err(),
            "Could not open huge.json: it is 6000000 bytes, larger than the 5 MB a scenario may have. The current run is unchanged."
        );
        assert!(check_file("ok.json", "", MAX_FILE_BYTES).is_ok());
        assert!(check_file("empty.json", "", 0)
            .unwrap_err()
            .contains("empty"));
        let long = "n".repeat(500);
        assert!(check_file(&long, "image/gif", 1).unwrap_err().len() < 300);
        assert!(check_file("", "image/gif", 1)
            .unwrap_err()
            .starts_with("Could not open the file:"));
    }
}
