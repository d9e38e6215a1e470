//! Embed mode, for blogs and docs: options read from the page's query string
//! (`index.html?embed&panels=logs,safety&speed=0.2`), a compact layout (the cluster picture and
//! Play/Pause, Step, Reset; drawn by `view/embed.rs`), and height reports to the host page when the page is in a frame.
//!
//! Reading the options is pure Rust (tested natively); the layout and the height reports are
//! browser-only. Bad options never stop the page: each is reported in the notice area and
//! the default is kept.

use crate::model::{Model, SPEED_RANGE};
use raftlab_raft::Micros;
use raftlab_sim::json;
use raftlab_sim::scenario::Scenario;
use raftlab_sim::system::System;
use std::sync::OnceLock;

/// A panel that embed mode can show under the picture (`panels=logs,safety`).
#[derive(Clone, Copy, PartialEq, Eq)]
#[cfg_attr(test, derive(Debug))]
pub enum Panel {
    /// Every node's log.
    Logs,
    /// Every node's key-value store.
    Kv,
    /// The narrated event log.
    Events,
    /// The safety checker's verdicts.
    Safety,
    /// Network actions (partitions, heal).
    Network,
    /// The client-write form.
    Client,
    /// Actions on the selected node.
    Node,
    /// The live settings.
    Settings,
    /// The legend of the picture.
    Legend,
    /// The timeline: marks of the whole run and a slider to any moment (time travel).
    Timeline,
    /// The clients' operations and the linearizability verdict.
    History,
    /// The space-time diagram: one lane per server, messages as arrows.
    Diagram,
}

impl Panel {
    /// Every panel, in the order the documentation lists them.
    pub const ALL: [Panel; 12] = [
        Panel::Logs,
        Panel::Kv,
        Panel::Events,
        Panel::Safety,
        Panel::Network,
        Panel::Client,
        Panel::Node,
        Panel::Settings,
        Panel::Legend,
        Panel::Timeline,
        Panel::History,
        Panel::Diagram,
    ];

    /// The panel's name in the `panels` option.
    pub fn name(self) -> &'static str {
        match self {
            Panel::Logs => "logs",
            Panel::Kv => "kv",
            Panel::Events => "events",
            Panel::Safety => "safety",
            Panel::Network => "network",
            Panel::Client => "client",
            Panel::Node => "node",
            Panel::Settings => "settings",
            Panel::Legend => "legend",
            Panel::Timeline => "timeline",
            Panel::History => "history",
            Panel::Diagram => "diagram",
        }
    }

    /// The panel called `name`, if there is one.
    pub fn from_name(name: &str) -> Option<Panel> {
        Panel::ALL.into_iter().find(|p| p.name() == name)
    }

    /// Whether the panel acts on the run (it has no place in a read-only page).
    pub fn acts(self) -> bool {
        matches!(
            self,
            Panel::Network | Panel::Client | Panel::Node | Panel::Settings | Panel::Timeline
        )
    }
}

/// The option names, as listed in messages.
const OPTION_NAMES: &str =
    "embed, panels, autoplay, speed, seed, nodes, readonly, lesson, present, notes, system, scenario";
/// The panel names, as listed in messages (the order of [`Panel::ALL`]).
const PANEL_NAMES: &str =
    "logs, kv, events, safety, network, client, node, settings, legend, timeline, history, diagram";

/// Adds `item` to the list `list` ("a, b").
fn add(list: &mut String, item: &str) {
    if !list.is_empty() {
        list.push_str(", ");
    }
    list.push_str(item);
}

/// The page's URL options (see `docs/embedding.md`).
#[derive(Clone, PartialEq)]
#[cfg_attr(test, derive(Debug))]
pub struct EmbedOptions {
    /// `embed`: the compact layout.
    pub embed: bool,
    /// `panels=a,b`: extra panels in embed mode, in the order given.
    pub panels: Vec<Panel>,
    /// `autoplay=0|1`: whether the clock starts running (default yes).
    pub autoplay: bool,
    /// `speed=X`: simulated seconds per wall second, within [`SPEED_RANGE`].
    pub speed: Option<f64>,
    /// `seed=N`: the starting run's seed.
    pub seed: Option<u64>,
    /// `nodes=N`: the starting run's cluster size, 1 to 9.
    pub nodes: Option<u32>,
    /// `readonly`: no controls at all and a picture that is not interactive (implies embed).
    pub readonly: bool,
    /// `lesson=ID`: open this lesson (`lessons/ID.json`) at its first step.
    pub lesson: Option<String>,
    /// `present`: presenter mode (the picture fills the screen, the step's text is a caption).
    pub present: bool,
    /// `present&notes`: the presenter's notes window (the step list and the teacher's notes).
    pub notes: bool,
    /// `system=raft|quorum|lease`: what the starting run's cluster runs, with that system's
    /// default settings.
    pub system: Option<System>,
    /// `scenario={...}`: the starting run, a scenario given inline (JSON text).
    pub scenario: Option<Scenario>,
    /// `scenario=URL`: the starting run, a scenario file fetched when the page opens (the
    /// URL is relative to the page's own address).
    pub scenario_url: Option<String>,
    /// What was wrong with the options, one sentence each (shown in the notice area).
    pub problems: Vec<String>,
}

impl Default for EmbedOptions {
    fn default() -> Self {
        EmbedOptions {
            embed: false,
            panels: Vec::new(),
            autoplay: true,
            speed: None,
            seed: None,
            nodes: None,
            readonly: false,
            lesson: None,
            present: false,
            notes: false,
            system: None,
            scenario: None,
            scenario_url: None,
            problems: Vec::new(),
        }
    }
}

/// `%XX` escapes and `+` (a space) decoded; a `%` not followed by two hex digits stays as it
/// is. Text that does not decode to UTF-8 reads as empty.
fn decode(text: &str) -> String {
    let hex = |b: u8| (b as char).to_digit(16).map(|d| d as u8);
    let bytes = text.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'+' => out.push(b' '),
            b'%' if i + 2 < bytes.len() => match (hex(bytes[i + 1]), hex(bytes[i + 2])) {
                (Some(h), Some(l)) => {
                    out.push(h * 16 + l);
                    i += 2;
                }
                _ => out.push(b'%'),
            },
            b => out.push(b),
        }
        i += 1;
    }
    String::from_utf8(out).unwrap_or_default()
}

/// A value as messages show it: quoted, and cut short when long.
fn shown(value: &str) -> String {
    const MAX: usize = 40;
    match value.char_indices().nth(MAX) {
        Some((cut, _)) => json::quote(&format!("{}…", &value[..cut])),
        None => json::quote(value),
    }
}

/// `value` if it is `Some`, else a problem: "name: "value" is not expected".
fn or_problem<T>(
    value: Option<T>,
    name: &str,
    text: &str,
    expected: &str,
    problems: &mut Vec<String>,
) -> Option<T> {
    if value.is_none() {
        problems.push(format!("{name}: {} is not {expected}", shown(text)));
    }
    value
}

/// Reads a yes/no option: present without a value, `1`, `true`, `yes`, `on` mean yes.
fn flag(name: &str, value: &str, problems: &mut Vec<String>) -> Option<bool> {
    let v = match value.to_ascii_lowercase().as_str() {
        "" | "1" | "true" | "yes" | "on" => Some(true),
        "0" | "false" | "no" | "off" => Some(false),
        _ => None,
    };
    or_problem(v, name, value, "1 or 0", problems)
}

impl EmbedOptions {
    /// Reads the options of a query string (`location.search`, with or without its `?`).
    /// Never fails: what cannot be read is listed in `problems` and left at its default.
    pub fn parse(query: &str) -> EmbedOptions {
        let mut o = EmbedOptions::default();
        let mut p = Vec::new();
        let mut unknown: Vec<String> = Vec::new();
        let mut panels_given = false;
        let query = query.strip_prefix('?').unwrap_or(query);
        for pair in query.split('&').filter(|s| !s.is_empty()) {
            let (key, value) = pair.split_once('=').unwrap_or((pair, ""));
            let key = decode(key).trim().to_ascii_lowercase();
            let value = decode(value);
            let value = value.trim();
            match key.as_str() {
                "embed" => o.embed = flag("embed", value, &mut p).unwrap_or(o.embed),
                "readonly" => o.readonly = flag("readonly", value, &mut p).unwrap_or(o.readonly),
                "autoplay" => o.autoplay = flag("autoplay", value, &mut p).unwrap_or(o.autoplay),
                "present" => o.present = flag("present", value, &mut p).unwrap_or(o.present),
                "notes" => o.notes = flag("notes", value, &mut p).unwrap_or(o.notes),
                "lesson" => {
                    let id = crate::model::valid_lesson_id(value).then(|| value.to_string());
                    let expected = "a lesson id (lowercase letters, digits and -)";
                    o.lesson = or_problem(id, "lesson", value, expected, &mut p).or(o.lesson);
                }
                "panels" => {
                    panels_given = true;
                    o.panels.clear();
                    let mut bad = String::new();
                    for name in value
                        .split(|c: char| c == ',' || c.is_whitespace())
                        .filter(|s| !s.is_empty())
                    {
                        match Panel::from_name(&name.to_ascii_lowercase()) {
                            Some(panel) if !o.panels.contains(&panel) => o.panels.push(panel),
                            Some(_) => {}
                            None => add(&mut bad, &shown(name)),
                        }
                    }
                    if !bad.is_empty() {
                        p.push(format!(
                            "panels: no panel {bad} (the panels are {PANEL_NAMES})"
                        ));
                    }
                }
                "speed" => {
                    let speed = json::parse(value)
                        .ok()
                        .and_then(|v| v.as_f64())
                        .filter(|x| *x >= SPEED_RANGE.0 && *x <= SPEED_RANGE.1);
                    let expected = "a number from 0.001 to 2 (simulated seconds per wall second)";
                    o.speed = or_problem(speed, "speed", value, expected, &mut p).or(o.speed);
                }
                "seed" => {
                    let seed = value.parse::<u64>().ok();
                    let expected = "a whole number from 0 to 18446744073709551615";
                    o.seed = or_problem(seed, "seed", value, expected, &mut p).or(o.seed);
                }
                "nodes" => {
                    let nodes = value.parse::<u32>().ok().filter(|n| (1..=9).contains(n));
                    let expected = "a cluster size from 1 to 9";
                    o.nodes = or_problem(nodes, "nodes", value, expected, &mut p).or(o.nodes);
                }
                "system" => {
                    let system = System::from_name(&value.to_ascii_lowercase());
                    let expected = "a system (raft, quorum or lease)";
                    o.system = or_problem(system, "system", value, expected, &mut p).or(o.system);
                }
                "scenario" if value.starts_with('{') => {
                    match crate::model::files::read_scenario("the scenario option", value) {
                        Ok(s) => o.scenario = Some(s),
                        Err(problem) => p.push(format!("scenario: {problem}")),
                    }
                    o.scenario_url = None;
                }
                "scenario" => {
                    let url = (!value.is_empty()).then(|| value.to_string());
                    let expected = "a scenario: its URL or its JSON text";
                    o.scenario_url = or_problem(url, "scenario", value, expected, &mut p);
                    o.scenario = None;
                }
                _ => {
                    let key = shown(&key);
                    if !unknown.contains(&key) {
                        unknown.push(key);
                    }
                }
            }
        }
        if !unknown.is_empty() {
            let mut list = String::new();
            for key in &unknown {
                add(&mut list, key);
            }
            p.push(format!("no option {list} (the options are {OPTION_NAMES})"));
        }
        if o.readonly {
            o.embed = true;
            let mut acting = String::new();
            for panel in o.panels.iter().filter(|p| p.acts()) {
                add(&mut acting, panel.name());
            }
            if !acting.is_empty() {
                p.push(format!(
                    "readonly: the panels {acting} act on the run and are not shown"
                ));
                o.panels.retain(|p| !p.acts());
            }
        }
        if o.notes && !o.present {
            p.push("notes: applies only with present (add present to the options)".into());
            o.notes = false;
        }
        if let Some(system) = o.system.filter(|s| *s != System::Raft) {
            // The system's default settings on the cluster size asked for: checked as a
            // scenario file would be (a lease needs at least 3 servers, W = 2 quorums 2).
            let (config, n) = crate::model::system_view::defaults(system);
            let s = Scenario {
                nodes: o.nodes.unwrap_or(n),
                system: config,
                ..Scenario::default()
            };
            if let Err(e) = Scenario::parse(&s.to_pretty()) {
                p.push(format!(
                    "system: {} cannot run this way: {e}",
                    system.as_str()
                ));
                o.system = None;
            }
        }
        if panels_given && !o.embed {
            p.push("panels: applies only in embed mode (add embed to the options)".into());
        }
        o.problems = p;
        o
    }

    /// The message for the notice area, if any option was wrong.
    pub fn notice(&self) -> Option<String> {
        let (first, rest) = self.problems.split_first()?;
        let mut text = format!("Page options ignored: {first}");
        for problem in rest {
            text.push_str("; ");
            text.push_str(problem);
        }
        text.push('.');
        Some(text)
    }

    /// Applies the options to the starting run: `start` (a shared scenario, when there is
    /// one) or a fresh run with the `seed` and `nodes` options; then autoplay and speed.
    pub fn apply(&self, start: Option<(Scenario, Option<Micros>)>, m: &mut Model) {
        let shared = start.is_some();
        match start {
            // A share link: its whole run, at the moment it was made.
            Some((scenario, position)) => m.open(scenario, position),
            // A scenario given inline: its run from the start.
            None if self.scenario.is_some() => m.load(self.scenario.clone().unwrap_or_default()),
            None if self.system.is_some_and(|s| s != System::Raft) => {
                let (config, n) =
                    crate::model::system_view::defaults(self.system.unwrap_or_default());
                let seed = self.seed.unwrap_or_else(|| m.sim().seed());
                let s = m.scenario_with(config, self.nodes.unwrap_or(n));
                m.load(Scenario { seed, ..s });
            }
            None if self.seed.is_some() || self.nodes.is_some() => {
                let seed = self.seed.unwrap_or_else(|| m.sim().seed());
                let nodes = self.nodes.unwrap_or(m.sim().node_count() as u32);
                m.restart(seed, nodes);
            }
            None => {}
        }
        // A shared run opens paused on the full page (the reader presses Play); an embed
        // follows its `autoplay` option.
        m.set_playing(self.autoplay && (self.embed || !shared));
        if let Some(speed) = self.speed {
            m.set_speed(speed);
        }
    }
}

static OPTIONS: OnceLock<EmbedOptions> = OnceLock::new();

/// The page's options (the defaults until [`install`] ran).
pub fn options() -> &'static EmbedOptions {
    OPTIONS.get_or_init(EmbedOptions::default)
}

/// Whether the options were read already (the app started).
pub fn installed() -> bool {
    OPTIONS.get().is_some()
}

/// The notice to show when the page opens (bad options), if any.
pub fn startup_notice() -> Option<String> {
    options().notice()
}

#[cfg(target_arch = "wasm32")]
pub use web::{install, report_height, set_start, start_again, HeightReports};

#[cfg(target_arch = "wasm32")]
mod web {
    use super::{options, EmbedOptions, OPTIONS};
    use crate::model::Model;
    use raftlab_raft::Micros;
    use raftlab_sim::scenario::Scenario;
    use std::cell::{Cell, RefCell};
    use std::rc::Rc;
    use wasm_bindgen::prelude::*;

    thread_local! {
        /// The scenario the page started from, when one was given (a share link): Reset in
        /// embed mode goes back to it.
        static START: RefCell<Option<Scenario>> = const { RefCell::new(None) };
    }

    /// Reads the options from `query` (the page's `location.search`, or the query a
    /// `<raft-lab>` element built from its attributes), applies them to the shared model
    /// (with `start`, the starting scenario of a share link, if any) and marks the document
    /// (`<html class="embed readonly">`), or the element's root, for the stylesheet. Called
    /// once, before rendering.
    pub fn install(query: &str, start: Option<(Scenario, Option<Micros>)>) {
        let mut parsed = EmbedOptions::parse(query);
        if start.is_some() {
            // A share link wins over a scenario option (fetched later, it would replace it).
            parsed.scenario = None;
            parsed.scenario_url = None;
        }
        let _ = OPTIONS.set(parsed);
        let o = options();
        let first = start
            .as_ref()
            .map(|(s, _)| s.clone())
            .or(o.scenario.clone());
        START.with(|s| *s.borrow_mut() = first);
        o.apply(start, &mut crate::state::shared_model().borrow_mut());
        let class = match (o.embed, o.readonly) {
            (_, true) => "embed readonly",
            (true, false) => "embed",
            (false, false) => "",
        };
        if let Some(root) = crate::host::doc_root() {
            if !class.is_empty() {
                let classes = format!("{} {class}", root.class_name());
                root.set_class_name(classes.trim());
            }
        }
    }

    /// Makes `scenario` the starting run that Reset goes back to (a scenario fetched after
    /// the page opened: the `scenario=URL` option).
    pub fn set_start(scenario: Scenario) {
        START.with(|s| *s.borrow_mut() = Some(scenario));
    }

    /// The starting run again: the shared scenario, or a fresh run of this seed and size.
    pub fn start_again(m: &Model) -> Scenario {
        START.with(|s| s.borrow().clone()).unwrap_or_else(|| {
            let mut s = m.scenario();
            s.until_us = 0;
            s.events.clear();
            s
        })
    }

    /// Reports the document's height to the host page, when the page is in a frame: a
    /// `{source: "raftlab", type: "height", height}` message (height in CSS pixels, whole),
    /// at once and whenever it changes. Dropping it stops the reports.
    pub struct HeightReports {
        observer: web_sys::ResizeObserver,
        _callback: Closure<dyn FnMut()>,
    }

    impl Drop for HeightReports {
        fn drop(&mut self) {
            self.observer.disconnect();
        }
    }

    /// Starts the height reports, when the page is in a frame.
    pub fn report_height() -> Option<HeightReports> {
        if crate::host::in_element() {
            return None; // a <raft-lab> element takes its host page's width and its own height
        }
        let window = web_sys::window()?;
        let parent = window.parent().ok().flatten()?;
        if JsValue::from(&parent) == JsValue::from(&window) {
            return None; // not in a frame
        }
        let root = window.document()?.document_element()?;
        let last = Rc::new(Cell::new(-1i32));
        let report = {
            let root = root.clone();
            move || {
                // The root element's own height is that of the content (not at least the
                // frame's, as scrollHeight would be): a frame made too tall can shrink.
                let height = root
                    .dyn_ref::<web_sys::HtmlElement>()
                    .map_or(0, |e| e.offset_height());
                if height <= 0 || last.replace(height) == height {
                    return;
                }
                let message = js_sys::Object::new();
                for (k, v) in [
                    ("source", JsValue::from_str("raftlab")),
                    ("type", JsValue::from_str("height")),
                    ("height", JsValue::from(height)),
                ] {
                    let _ = js_sys::Reflect::set(&message, &k.into(), &v);
                }
                let _ = parent.post_message(&message, "*");
            }
        };
        report();
        let callback = Closure::<dyn FnMut()>::new(report);
        let observer = web_sys::ResizeObserver::new(callback.as_ref().unchecked_ref()).ok()?;
        observer.observe(&root);
        Some(HeightReports {
            observer,
            _callback: callback,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftlab_sim::scenario::SimConfig;

    #[test]
    fn no_options_are_the_full_page() {
        for q in ["", "?", "?&&", "&"] {
            assert_eq!(EmbedOptions::parse(q), EmbedOptions::default(), "{q:?}");
        }
        let d = EmbedOptions::default();
        assert!(!d.embed && !d.readonly && d.autoplay && d.panels.is_empty());
        assert_eq!(d.notice(), None);
    }

    #[test]
    fn every_option() {
        let o =
            EmbedOptions::parse("?embed&panels=logs,safety&autoplay=0&speed=0.25&seed=42&nodes=3");
        assert_eq!(o.problems, Vec::<String>::new());
        assert!(o.embed && !o.readonly && !o.autoplay);
        assert_eq!(o.panels, vec![Panel::Logs, Panel::Safety]);
        assert_eq!((o.speed, o.seed, o.nodes), (Some(0.25), Some(42), Some(3)));
        let o = EmbedOptions::parse("readonly");
        assert!(o.embed && o.readonly && o.autoplay && o.problems.is_empty());
    }

    #[test]
    fn flags_take_common_spellings() {
        for (q, want) in [
            ("embed", true),
            ("embed=", true),
            ("embed=1", true),
            ("embed=true", true),
            ("EMBED=Yes", true),
            ("embed=on", true),
            ("embed=0", false),
            ("embed=false", false),
            ("embed=no", false),
            ("embed=off", false),
        ] {
            let o = EmbedOptions::parse(q);
            assert_eq!(o.embed, want, "{q}");
            assert!(o.problems.is_empty(), "{q}");
        }
        let o = EmbedOptions::parse("embed&autoplay=maybe");
        assert!(o.autoplay, "a bad value keeps the default");
        assert_eq!(o.problems, vec![r#"autoplay: "maybe" is not 1 or 0"#]);
    }

    #[test]
    fn panels_in_order_without_repeats_and_unknown_ones_listed() {
        let o = EmbedOptions::parse("embed&panels=Safety,logs,,safety,%20kv%20,foo,bar");
        assert_eq!(o.panels, vec![Panel::Safety, Panel::Logs, Panel::Kv]);
        assert_eq!(
            o.problems,
            vec![
                r#"panels: no panel "foo", "bar" (the panels are logs, kv, events, safety, network, client, node, settings, legend, timeline, history, diagram)"#
            ]
        );
        assert_eq!(PANEL_NAMES, Panel::ALL.map(|p| p.name()).join(", "));
        let all = Panel::ALL.map(|p| p.name()).join(",");
        let o = EmbedOptions::parse(&format!("embed&panels={all}"));
        assert_eq!(o.panels, Panel::ALL.to_vec());
        assert!(o.problems.is_empty());
        let o = EmbedOptions::parse("embed&panels=logs+events");
        assert_eq!(o.panels, vec![Panel::Logs, Panel::Events], "+ is a space");
        let o = EmbedOptions::parse("embed&panels=logs%2Ckv");
        assert_eq!(o.panels, vec![Panel::Logs, Panel::Kv], "%2C is a comma");
        let o = EmbedOptions::parse("embed&panels=");
        assert!(o.panels.is_empty() && o.problems.is_empty());
    }

    #[test]
    fn panels_need_embed_and_readonly_drops_the_acting_ones() {
        let o = EmbedOptions::parse("panels=logs");
        assert!(!o.embed);
        assert_eq!(
            o.problems,
            vec!["panels: applies only in embed mode (add embed to the options)"]
        );
        let o = EmbedOptions::parse("readonly&panels=logs,client,settings,kv");
        assert_eq!(o.panels, vec![Panel::Logs, Panel::Kv]);
        assert_eq!(
            o.problems,
            vec!["readonly: the panels client, settings act on the run and are not shown"]
        );
    }

    #[test]
    fn numbers_are_checked() {
        for good in ["0.001", "2", "1e-3", "0.5"] {
            let o = EmbedOptions::parse(&format!("speed={good}"));
            assert!(o.speed.is_some() && o.problems.is_empty(), "{good}");
        }
        for bad in [
            "0", "3", "-1", "abc", "", "NaN", "Infinity", "1e400", ".5", "0x1", "2.0001",
        ] {
            let o = EmbedOptions::parse(&format!("speed={bad}"));
            assert_eq!(o.speed, None, "{bad}");
            assert_eq!(o.problems.len(), 1, "{bad}");
            assert!(o.problems[0].starts_with("speed: "), "{bad}");
        }
        assert_eq!(
            EmbedOptions::parse("seed=18446744073709551615").seed,
            Some(u64::MAX)
        );
        for bad in ["-1", "18446744073709551616", "1.5", "x", ""] {
            let o = EmbedOptions::parse(&format!("seed={bad}"));
            assert_eq!((o.seed, o.problems.len()), (None, 1), "{bad}");
        }
        for n in 1..=9 {
            assert_eq!(EmbedOptions::parse(&format!("nodes={n}")).nodes, Some(n));
        }
        for bad in ["0", "10", "-3", "4294967296", "five"] {
            let o = EmbedOptions::parse(&format!("nodes={bad}"));
            assert_eq!(o.nodes, None, "{bad}");
            assert_eq!(
                o.problems,
                vec![format!(
                    "nodes: \"{bad}\" is not a cluster size from 1 to 9"
                )]
            );
        }
    }

    #[test]
    fn unknown_options_are_named_once() {
        let o = EmbedOptions::parse("embed&foo=1&Foo&bar");
        assert!(o.embed);
        assert_eq!(
            o.problems,
            vec![format!(
                r#"no option "foo", "bar" (the options are {OPTION_NAMES})"#
            )]
        );
        assert_eq!(
            o.notice().unwrap(),
            format!(
                r#"Page options ignored: no option "foo", "bar" (the options are {OPTION_NAMES})."#
            )
        );
    }

    #[test]
    fn lesson_present_and_notes() {
        let o = EmbedOptions::parse("?embed&lesson=election");
        assert_eq!(o.lesson.as_deref(), Some("election"));
        assert!(o.problems.is_empty());
        let o = EmbedOptions::parse("?present&notes");
        assert!(o.present && o.notes && !o.embed);
        let o = EmbedOptions::parse("?lesson=../x&notes");
        assert_eq!(o.lesson, None);
        assert!(!o.notes);
        assert_eq!(
            o.notice().unwrap(),
            r#"Page options ignored: lesson: "../x" is not a lesson id (lowercase letters, digits and -); notes: applies only with present (add present to the options)."#
        );
    }

    #[test]
    fn the_documented_message() {
        // docs/embedding.md shows this message.
        let o = EmbedOptions::parse("?embed&speed=fast&nodes=12&panels=logs,bogus&colour=red");
        assert_eq!(
            o.notice().unwrap(),
            r#"Page options ignored: speed: "fast" is not a number from 0.001 to 2 (simulated seconds per wall second); nodes: "12" is not a cluster size from 1 to 9; panels: no panel "bogus" (the panels are logs, kv, events, safety, network, client, node, settings, legend, timeline, history, diagram); no option "colour" (the options are embed, panels, autoplay, speed, seed, nodes, readonly, lesson, present, notes, system, scenario)."#
        );
    }

    #[test]
    fn system_and_scenario() {
        let o = EmbedOptions::parse("embed&system=Quorum&nodes=5");
        assert_eq!(o.system, Some(System::Quorum));
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        let o = EmbedOptions::parse("embed&system=paxos");
        assert_eq!(o.system, None);
        assert_eq!(
            o.problems,
            vec![r#"system: "paxos" is not a system (raft, quorum or lease)"#]
        );
        let o = EmbedOptions::parse("embed&system=lease&nodes=2");
        assert_eq!(o.system, None, "a lease needs 3 servers");
        assert_eq!(
            o.problems,
            vec!["system: lease cannot run this way: nodes: the lease system needs at least 3 servers: the store, a candidate, the resource"]
        );
        let o = EmbedOptions::parse("embed&system=quorum&nodes=1");
        assert_eq!(o.system, None, "W = 2 needs 2 servers");

        let mut m = Model::with_seed(7, 5, SimConfig::default());
        EmbedOptions::parse("embed&system=lease&seed=9").apply(None, &mut m);
        assert_eq!(m.sim().system(), System::Lease);
        assert_eq!((m.sim().seed(), m.sim().node_count()), (9, 4));

        let inline = r#"{"version":1,"seed":2024,"nodes":3}"#;
        let o = EmbedOptions::parse(&format!("embed&scenario={inline}"));
        assert!(o.problems.is_empty(), "{:?}", o.problems);
        let mut m = Model::with_seed(7, 5, SimConfig::default());
        o.apply(None, &mut m);
        assert_eq!((m.sim().seed(), m.sim().node_count()), (2024, 3));

        let o = EmbedOptions::parse("embed&scenario=%7B%22version%22%3A1%2C%22nodes%22%3A12%7D");
        assert_eq!(o.scenario, None);
        assert!(
            o.problems[0].starts_with("scenario: Could not open the scenario option: "),
            "{:?}",
            o.problems
        );
        let o = EmbedOptions::parse("embed&scenario=runs/demo.json");
        assert_eq!(o.scenario_url.as_deref(), Some("runs/demo.json"));
        assert!(o.scenario.is_none() && o.problems.is_empty());
        let o = EmbedOptions::parse("embed&scenario=");
        assert_eq!(o.problems.len(), 1);
    }

    #[test]
    fn odd_text_never_panics() {
        let long = "x".repeat(10_000);
        for q in [
            "%",
            "%%",
            "%zz",
            "%e9",
            "%ff%fe=%00",
            "speed=%",
            "=",
            "==",
            "&=&",
            "nodes=%39",
            "panels=%E2%98%83",
            "embed=%F0%9F",
            "seed=%2B1",
            long.as_str(),
        ] {
            let _ = EmbedOptions::parse(q);
        }
        assert_eq!(EmbedOptions::parse("nodes=%39").nodes, Some(9));
        let o = EmbedOptions::parse(&format!("speed={long}"));
        assert!(o.problems[0].len() < 200, "long values are cut short");
        assert_eq!(decode("a%2"), "a%2");
        assert_eq!(decode("a%"), "a%");
        assert_eq!(decode("%41%4a%4A+b"), "AJJ b");
        assert_eq!(decode("%e2%9c%93"), "✓");
        assert_eq!(decode("%ff"), "");
    }

    #[test]
    fn options_set_up_the_starting_run() {
        let mut m = Model::with_seed(7, 5, SimConfig::default());
        let o = EmbedOptions::parse("seed=42&nodes=3&autoplay=0&speed=0.5");
        o.apply(None, &mut m);
        assert_eq!((m.sim().seed(), m.sim().node_count()), (42, 3));
        assert!(!m.playing);
        assert_eq!(m.speed, 0.5);

        let mut m = Model::with_seed(7, 5, SimConfig::default());
        EmbedOptions::parse("nodes=7").apply(None, &mut m);
        assert_eq!(
            (m.sim().seed(), m.sim().node_count()),
            (7, 7),
            "the seed is kept"
        );
        assert!(m.playing);

        let mut m = Model::with_seed(7, 5, SimConfig::default());
        let shared = Scenario {
            seed: 99,
            nodes: 4,
            ..Scenario::default()
        };
        EmbedOptions::parse("seed=1&nodes=2").apply(Some((shared.clone(), None)), &mut m);
        assert_eq!(
            (m.sim().seed(), m.sim().node_count()),
            (99, 4),
            "a shared scenario wins"
        );
        assert!(!m.playing, "a shared run opens paused on the full page");
        let mut m = Model::with_seed(7, 5, SimConfig::default());
        let mut long = shared;
        long.until_us = 3_000_000;
        EmbedOptions::parse("embed").apply(Some((long, Some(1_000_000))), &mut m);
        assert_eq!(
            (m.now(), m.end()),
            (1_000_000, 3_000_000),
            "at the link's moment"
        );
        assert!(m.playing, "an embed follows autoplay");

        let mut m = Model::with_seed(7, 5, SimConfig::default());
        let before = m.run;
        EmbedOptions::parse("embed").apply(None, &mut m);
        assert_eq!(m.run, before, "no options, no new run");
    }
}
