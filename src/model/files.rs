//! Scenario files read and checked (native, tested): what a file's type and size say before
//! it is read, the scenario in its text, download names and the messages shown. A file that
//! cannot be opened leaves the current run untouched and says what is wrong, naming the field
//! when the scenario is at fault (the scenario reader's messages do). The browser side
//! (buttons, file reading, drops, fetching an address) is the adapter `files.rs`.

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

pub(crate) fn refused(name: &str, why: &str) -> String {
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
