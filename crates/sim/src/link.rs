//! Share links: a whole scenario and a moment of its timeline in the fragment of a URL
//! (`https://.../#v=1&seed=42&n=5&e=1000c1,1200p12-345&u=5000&p=1500`), described field by
//! field in `docs/share-links.md`.
//!
//! Writing uses integer arithmetic only (times are whole microseconds written as milliseconds
//! with up to three decimals) and the crate's own JSON number writer for rates, so no float
//! formatting code reaches the page. Reading is strict and explains itself: every error says
//! which part of the link is wrong (`link: action 3 ("12q"): unknown action letter "q"; ...`).
//! It builds the scenario's JSON form and reads it with [`Scenario::from_json`], so every rule
//! and limit of scenario files applies to links too. Nothing here panics on any input.

use crate::json::{self, Map, Value};
use crate::scenario::{self, Action, ConfigPatch, Mode, ParseError, Scenario, SimConfig, Target};
use raftlab_raft::Micros;
use raftlab_raft::ReadMode;
use std::fmt;

/// The link format version this build writes (`v=1`) and the newest one it reads.
pub const LINK_VERSION: u64 = 1;

/// Longest link [`decode`] reads, in bytes (a link is ASCII, so also in characters). Longer
/// input is refused; a scenario whose link would be longer has to be shared as a file.
pub const MAX_LINK_LEN: usize = 100_000;

/// What a share link holds: a scenario and, optionally, a moment of its timeline.
#[derive(Clone, Debug, PartialEq)]
pub struct Link {
    /// The scenario.
    pub scenario: Scenario,
    /// The moment of the run the link points at, in microseconds of simulated time (at most
    /// the end of the run: `until`, plus `liveness` when the scenario has a liveness phase).
    pub position_us: Option<Micros>,
}

/// A link that could not be read, with a message that says which part is wrong and why.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinkError {
    /// What is wrong, starting with `link: `.
    pub message: String,
}

impl fmt::Display for LinkError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for LinkError {}

fn fail<T>(message: impl Into<String>) -> Result<T, LinkError> {
    Err(LinkError {
        message: format!("link: {}", message.into()),
    })
}

// ---------------------------------------------------------------------------------------------
// Writing
// ---------------------------------------------------------------------------------------------

/// The link's fragment for `scenario` and an optional timeline position (microseconds), without
/// the leading `#`. [`decode`] reads it back to an equal scenario and position when the
/// scenario is valid, the position is within the run and the text is at most
/// [`MAX_LINK_LEN`] long; this function checks none of that.
pub fn encode(scenario: &Scenario, position_us: Option<Micros>) -> String {
    let mut out = String::from("v=");
    json::write_u64(&mut out, LINK_VERSION);
    out.push_str("&seed=");
    json::write_u64(&mut out, scenario.seed);
    out.push_str("&n=");
    json::write_u64(&mut out, u64::from(scenario.nodes));
    // Another system than Raft: `y=` and its settings as escaped compact JSON.
    let mut system = Map::new();
    crate::system::write(&scenario.system, &mut system);
    if !system.is_empty() {
        out.push_str("&y=");
        push_escaped(&mut out, &Value::Object(system).to_json());
    }
    let mut config = String::new();
    push_config(&mut config, &scenario.config);
    if !config.is_empty() {
        out.push_str("&c=");
        out.push_str(&config);
    }
    for (i, event) in scenario.events.iter().enumerate() {
        out.push_str(if i == 0 { "&e=" } else { "," });
        push_ms(&mut out, event.at_us);
        push_action(&mut out, &event.action);
    }
    out.push_str("&u=");
    push_ms(&mut out, scenario.until_us);
    if let Some(l) = scenario.liveness_us {
        out.push_str("&l=");
        push_ms(&mut out, l);
    }
    if let Some(p) = position_us {
        out.push_str("&p=");
        push_ms(&mut out, p);
    }
    out
}

/// Writes microseconds as milliseconds: `1500`, `1500.25`, `0.001` (no trailing zeros).
fn push_ms(out: &mut String, us: Micros) {
    json::write_u64(out, us / 1000);
    let frac = us % 1000;
    if frac != 0 {
        out.push('.');
        let all = [frac / 100, frac / 10 % 10, frac % 10];
        let mut digits = &all[..];
        while let [rest @ .., 0] = digits {
            digits = rest;
        }
        for &d in digits {
            out.push(char::from(b'0' + d as u8));
        }
    }
}

/// Microseconds as text in milliseconds (for messages).
fn ms_text(us: Micros) -> String {
    let mut out = String::new();
    push_ms(&mut out, us);
    out
}

/// Writes a rate as the shortest JSON number that reads back to it, without a useless `.0`.
fn push_rate(out: &mut String, x: f64) {
    let text = Value::from(x).to_json();
    out.push_str(text.strip_suffix(".0").unwrap_or(&text));
}

fn push_range(out: &mut String, letter: char, (lo, hi): (Micros, Micros)) {
    out.push(letter);
    push_ms(out, lo);
    out.push('-');
    push_ms(out, hi);
}

/// Writes the settings a patch gives, as setting letters (`E150-300H50D0.1`).
fn push_patch(out: &mut String, p: &ConfigPatch) {
    if let Some(r) = p.election_timeout_us {
        push_range(out, 'E', r);
    }
    if let Some(h) = p.heartbeat_us {
        out.push('H');
        push_ms(out, h);
    }
    if let Some(r) = p.latency_us {
        push_range(out, 'L', r);
    }
    if let Some(r) = p.drop_rate {
        out.push('D');
        push_rate(out, r);
    }
    if let Some(r) = p.duplicate_rate {
        out.push('R');
        push_rate(out, r);
    }
    if let Some(t) = p.client_timeout_us {
        out.push('C');
        push_ms(out, t);
    }
    if let Some(d) = p.clock_drift {
        out.push('K');
        push_rate(out, d);
    }
    if let Some(n) = p.snapshot_threshold {
        out.push('S');
        json::write_u64(out, n);
    }
    if let Some(on) = p.pre_vote {
        out.push_str(if on { "P1" } else { "P0" });
    }
    if let Some(on) = p.check_quorum {
        out.push_str(if on { "Q1" } else { "Q0" });
    }
    if let Some(m) = p.delivery {
        out.push_str(if m.is_manual() { "M1" } else { "M0" });
    }
    if let Some(m) = p.timers {
        out.push_str(if m.is_manual() { "T1" } else { "T0" });
    }
    if let Some(n) = p.max_entries_per_message {
        out.push('A');
        json::write_u64(out, n);
    }
    if let Some(n) = p.election_quorum {
        out.push('V');
        json::write_u64(out, n.into());
    }
    if let Some(n) = p.commit_quorum {
        out.push('W');
        json::write_u64(out, n.into());
    }
    if let Some(b) = p.bugs {
        // The bugs on by number; `B0`: none (an action that switches them all off).
        out.push('B');
        let on = scenario::bug_flags(&b);
        if !on.contains(&true) {
            out.push('0');
        }
        for (k, _) in on.iter().enumerate().filter(|x| *x.1) {
            json::write_u64(out, k as u64 + 1);
        }
    }
}

/// Writes the settings that differ from [`SimConfig::default`], and the bugs.
fn push_config(out: &mut String, c: &SimConfig) {
    let d = SimConfig::default();
    push_patch(
        out,
        &ConfigPatch {
            election_timeout_us: (c.election_timeout_us != d.election_timeout_us)
                .then_some(c.election_timeout_us),
            heartbeat_us: (c.heartbeat_us != d.heartbeat_us).then_some(c.heartbeat_us),
            latency_us: (c.latency_us != d.latency_us).then_some(c.latency_us),
            drop_rate: (c.drop_rate != d.drop_rate).then_some(c.drop_rate),
            duplicate_rate: (c.duplicate_rate != d.duplicate_rate).then_some(c.duplicate_rate),
            client_timeout_us: (c.client_timeout_us != d.client_timeout_us)
                .then_some(c.client_timeout_us),
            pre_vote: (c.pre_vote != d.pre_vote).then_some(c.pre_vote),
            check_quorum: (c.check_quorum != d.check_quorum).then_some(c.check_quorum),
            clock_drift: (c.clock_drift != d.clock_drift).then_some(c.clock_drift),
            snapshot_threshold: (c.snapshot_threshold != d.snapshot_threshold)
                .then_some(c.snapshot_threshold),
            delivery: (c.delivery != d.delivery).then_some(c.delivery),
            timers: (c.timers != d.timers).then_some(c.timers),
            max_entries_per_message: (c.max_entries_per_message != d.max_entries_per_message)
                .then_some(c.max_entries_per_message),
            election_quorum: (c.election_quorum != d.election_quorum).then_some(c.election_quorum),
            commit_quorum: (c.commit_quorum != d.commit_quorum).then_some(c.commit_quorum),
            bugs: (c.bugs != d.bugs).then_some(c.bugs),
        },
    );
}

fn push_target(out: &mut String, t: Target) {
    match t {
        Target::Leader => out.push('L'),
        Target::Node(n) => json::write_u64(out, u64::from(n)),
    }
}

/// Writes text with everything outside `[A-Za-z0-9_.-]` as `%XX` (UTF-8 bytes, upper case).
fn push_escaped(out: &mut String, text: &str) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for b in text.bytes() {
        if b.is_ascii_alphanumeric() || matches!(b, b'_' | b'.' | b'-') {
            out.push(char::from(b));
        } else {
            out.push('%');
            out.push(char::from(HEX[usize::from(b >> 4)]));
            out.push(char::from(HEX[usize::from(b & 0xF)]));
        }
    }
}

/// Writes an action without its time: a letter and its arguments.
fn push_action(out: &mut String, action: &Action) {
    match action {
        Action::Crash(t) | Action::Restart(t) | Action::Timeout(t) | Action::Isolate(t) => {
            out.push(match action {
                Action::Crash(_) => 'c',
                Action::Restart(_) => 'r',
                Action::Timeout(_) => 't',
                _ => 'i',
            });
            push_target(out, *t);
        }
        Action::Partition(groups) => {
            out.push('p');
            for (i, g) in groups.iter().enumerate() {
                if i > 0 {
                    out.push('-');
                }
                for &n in g {
                    json::write_u64(out, u64::from(n));
                }
            }
        }
        Action::Heal => out.push('h'),
        Action::FireTimer(t) => {
            out.push('f');
            push_target(out, *t);
        }
        Action::DropMessage(id) | Action::DeliverMessage(id) | Action::DuplicateMessage(id) => {
            out.push(match action {
                Action::DropMessage(_) => 'o',
                Action::DeliverMessage(_) => 'n',
                _ => 'u',
            });
            json::write_u64(out, *id);
        }
        Action::Pause(t, us) => {
            out.push('z');
            push_target(out, *t);
            out.push(':');
            push_ms(out, *us);
        }
        Action::ClockRate(t, rate) => {
            out.push('k');
            push_target(out, *t);
            out.push(':');
            push_rate(out, *rate);
        }
        Action::ClientRead { node, key, mode } => {
            out.push('g');
            if let Some(t) = node {
                push_target(out, *t);
            }
            out.push(':');
            push_escaped(out, key);
            out.push(':');
            out.push(match mode {
                ReadMode::Any => 'a',
                ReadMode::LeaderLocal => 'l',
                ReadMode::ReadIndex => 'r',
                ReadMode::Lease => 'e',
            });
        }
        Action::TransferLeadership(n) | Action::AddServer(n) | Action::RemoveServer(n) => {
            out.push(match action {
                Action::TransferLeadership(_) => 'l',
                Action::AddServer(_) => 'a',
                _ => 'v',
            });
            json::write_u64(out, u64::from(*n));
        }
        Action::Cut(a, b) | Action::Restore(a, b) => {
            out.push(if matches!(action, Action::Cut(..)) {
                'x'
            } else {
                'm'
            });
            json::write_u64(out, u64::from(*a));
            json::write_u64(out, u64::from(*b));
        }
        Action::ClientWrite { node, key, value } => {
            out.push('w');
            if let Some(t) = node {
                push_target(out, *t);
            }
            out.push(':');
            push_escaped(out, key);
            out.push(':');
            push_escaped(out, value);
        }
        Action::ClientDelete { node, key } => {
            out.push('d');
            if let Some(t) = node {
                push_target(out, *t);
            }
            out.push(':');
            push_escaped(out, key);
        }
        Action::Set(p) => {
            out.push('s');
            push_patch(out, p);
        }
    }
}

// ---------------------------------------------------------------------------------------------
// Reading
// ---------------------------------------------------------------------------------------------

/// The field names, in the order the writer puts them.
const FIELDS: [&str; 9] = ["v", "seed", "n", "c", "e", "u", "l", "p", "y"];
const SEED: usize = 1;
const NODES: usize = 2;
const CONFIG: usize = 3;
const EVENTS: usize = 4;
const UNTIL: usize = 5;
const LIVENESS: usize = 6;
const POSITION: usize = 7;
const SYSTEM: usize = 8;

/// The action letters, with the action each stands for.
const LETTERS: [(char, &str); 21] = [
    ('c', "crash"),
    ('r', "restart"),
    ('t', "timeout"),
    ('i', "isolate"),
    ('p', "partition"),
    ('h', "heal"),
    ('x', "cut"),
    ('m', "restore"),
    ('w', "client_write"),
    ('d', "client_delete"),
    ('s', "set"),
    ('l', "transfer_leadership"),
    ('g', "client_read"),
    ('k', "clock_rate"),
    ('a', "add_server"),
    ('v', "remove_server"),
    ('f', "fire_timer"),
    ('o', "drop_message"),
    ('n', "deliver_message"),
    ('u', "duplicate_message"),
    ('z', "pause"),
];

/// The setting letters: letter, scenario field, what it is.
const SETTINGS: [(char, &str, &str); 16] = [
    ('E', "election_timeout_ms", "election timeout"),
    ('H', "heartbeat_ms", "heartbeat"),
    ('L', "latency_ms", "latency"),
    ('D', "drop_rate", "drop rate"),
    ('R', "duplicate_rate", "duplicate rate"),
    ('C', "client_timeout_ms", "client timeout"),
    ('B', "bugs", "bugs"),
    ('P', "pre_vote", "PreVote"),
    ('Q', "check_quorum", "CheckQuorum"),
    ('K', "clock_drift", "clock drift bound"),
    ('S', "snapshot_threshold", "snapshot threshold"),
    ('M', "delivery", "manual delivery"),
    ('T', "timers", "manual timers"),
    ('A', "max_entries_per_message", "entries per AppendEntries"),
    ('V', "election_quorum", "election quorum"),
    ('W', "commit_quorum", "commit quorum"),
];

/// Reads a share link: the fragment alone (`v=1&...`), with its `#`, or a whole URL (the part
/// after the first `#` is read). Whitespace around it is ignored.
pub fn decode(fragment: &str) -> Result<Link, LinkError> {
    let text = fragment.trim();
    let text = match text.find('#') {
        Some(i) => text[i + 1..].trim(),
        None => text,
    };
    if text.is_empty() {
        return fail("the link is empty (nothing after the '#')");
    }
    let Some(first) = text.strip_prefix("v=") else {
        if text.split('&').any(|f| f.starts_with("v=")) {
            return fail("the version (v=...) must be the first field");
        }
        return fail(format!(
            "not a raftlab link: {} does not start with \"v=\"",
            quoted(text)
        ));
    };
    let version = first.split('&').next().unwrap_or_default();
    match digits(version) {
        Some(Ok(LINK_VERSION)) => {}
        Some(Ok(0)) => {
            return fail(format!(
                "format v0 does not exist; this page reads format {LINK_VERSION}"
            ))
        }
        Some(Ok(v)) => {
            return fail(format!(
                "made by a newer raftlab (format v{v}); this page reads format {LINK_VERSION}"
            ))
        }
        Some(Err(())) => {
            // All digits, so any cut is on a character boundary.
            let shown = match version.get(..40) {
                Some(start) if version.len() > 40 => format!("{start}..."),
                _ => version.to_string(),
            };
            return fail(format!(
                "made by a newer raftlab (format v{shown}); this page reads format {LINK_VERSION}"
            ));
        }
        None => {
            return fail(format!(
                "field v ({}): expected a format version number such as v=1",
                quoted(&format!("v={version}"))
            ))
        }
    }
    if text.len() > MAX_LINK_LEN {
        return fail(format!(
            "too long: {} characters; a link has at most {MAX_LINK_LEN}",
            text.len()
        ));
    }

    // Split into fields: each known name once, each with a value.
    let mut values: [Option<&str>; 9] = [None; 9];
    for (k, field) in text.split('&').enumerate() {
        if field.is_empty() {
            return fail(format!(
                "field {} is empty (two '&' in a row, or an '&' at an end)",
                k + 1
            ));
        }
        let Some((name, value)) = field.split_once('=') else {
            return fail(format!(
                "field {} ({}) has no '=': expected NAME=VALUE",
                k + 1,
                quoted(field)
            ));
        };
        let Some(slot) = FIELDS.iter().position(|&f| f == name) else {
            return fail(format!(
                "unknown field {}; expected one of: {}",
                quoted(name),
                FIELDS.join(", ")
            ));
        };
        if values[slot].is_some() {
            return fail(format!("field {name} appears more than once"));
        }
        if value.is_empty() {
            return fail(format!(
                "field {name} is empty: write a value after the '='"
            ));
        }
        values[slot] = Some(value);
    }
    for (slot, what) in [
        (SEED, "the seed, such as seed=42"),
        (NODES, "the cluster size, such as n=5"),
        (UNTIL, "the end of the run in milliseconds, such as u=5000"),
    ] {
        if values[slot].is_none() {
            return fail(format!("missing field {} ({what})", FIELDS[slot]));
        }
    }
    // Where errors point: `field n ("n=10")`.
    let field_at = |slot: usize| {
        format!(
            "field {} ({})",
            FIELDS[slot],
            quoted(&format!(
                "{}={}",
                FIELDS[slot],
                values[slot].unwrap_or_default()
            ))
        )
    };

    // Build the scenario's JSON form.
    let mut o = Map::new();
    // Link format 1 holds what scenario format 1 holds.
    o.insert("version".into(), Value::from(1u64));
    let seed = values[SEED].unwrap_or_default();
    match digits(seed) {
        Some(Ok(s)) => o.insert("seed".into(), Value::from(s)),
        Some(Err(())) => {
            return fail(format!(
                "{}: too large; a seed is at most 18446744073709551615",
                field_at(SEED)
            ))
        }
        None => {
            return fail(format!(
                "{}: expected a whole number from 0 to 18446744073709551615",
                field_at(SEED)
            ))
        }
    }
    match digits(values[NODES].unwrap_or_default()) {
        Some(Ok(n)) => o.insert("nodes".into(), Value::from(n)),
        _ => {
            return fail(format!(
                "{}: expected a cluster size from 1 to 9",
                field_at(NODES)
            ))
        }
    }
    for (slot, name) in [(UNTIL, "until_ms"), (LIVENESS, "liveness_ms")] {
        if let Some(v) = values[slot] {
            let us = parse_ms(v).map_err(|m| link_error(format!("{}: {m}", field_at(slot))))?;
            o.insert(name.into(), scenario::ms(us));
        }
    }
    if let Some(y) = values[SYSTEM] {
        // `{"system": ..., "quorum" | "lease": {...}}`, percent-escaped compact JSON.
        let bad = |m: String| link_error(format!("{}: {m}", field_at(SYSTEM)));
        let text = unescape(y, "the system").map_err(bad)?;
        let value =
            json::parse(&text).map_err(|e| bad(format!("not valid JSON: {}", e.message)))?;
        let Value::Object(members) = value else {
            return Err(bad(
                "expected an object such as {\"system\":\"quorum\"}".into()
            ));
        };
        for (k, v) in members.iter() {
            if !matches!(k.as_str(), "system" | "quorum" | "lease") {
                return Err(bad(format!(
                    "unknown member {}; expected system, quorum or lease",
                    quoted(k)
                )));
            }
            o.insert(k.clone(), v.clone());
        }
    }
    if let Some(c) = values[CONFIG] {
        let mut config = Map::new();
        parse_settings(c, &mut config)
            .map_err(|m| link_error(format!("{}: {m}", field_at(CONFIG))))?;
        o.insert("config".into(), Value::Object(config));
    }
    let tokens: Vec<&str> = match values[EVENTS] {
        Some(e) => e.split(',').collect(),
        None => Vec::new(),
    };
    let mut events = Vec::with_capacity(tokens.len());
    for (i, token) in tokens.iter().enumerate() {
        let event = parse_event(token).map_err(|m| {
            link_error(if token.is_empty() {
                format!(
                    "action {} is empty (two ',' in a row, or a ',' at an end)",
                    i + 1
                )
            } else {
                format!("action {} ({}): {m}", i + 1, quoted(token))
            })
        })?;
        events.push(event);
    }
    o.insert("events".into(), Value::Array(events));
    let position_us = match values[POSITION] {
        Some(p) => {
            Some(parse_ms(p).map_err(|m| link_error(format!("{}: {m}", field_at(POSITION))))?)
        }
        None => None,
    };

    // Every rule of scenario files, with errors pointed back at the link.
    let scenario = Scenario::from_json(&Value::Object(o))
        .map_err(|e| link_error(explain(&e, &tokens, &field_at)))?;
    if let Some(p) = position_us {
        let end = scenario
            .until_us
            .saturating_add(scenario.liveness_us.unwrap_or(0));
        if p > end {
            return fail(format!(
                "{}: position {} ms is after the end of the run ({} ms)",
                field_at(POSITION),
                ms_text(p),
                ms_text(end)
            ));
        }
    }
    Ok(Link {
        scenario,
        position_us,
    })
}

fn link_error(message: String) -> LinkError {
    LinkError {
        message: format!("link: {message}"),
    }
}

/// A scenario error as a link error: which field or action of the link, and what is wrong.
fn explain(e: &ParseError, tokens: &[&str], field_at: &dyn Fn(usize) -> String) -> String {
    let path = e.path.as_str();
    if let Some((index, sub)) = path
        .strip_prefix("events[")
        .and_then(|rest| rest.split_once(']'))
    {
        if let Some((i, token)) = index
            .parse::<usize>()
            .ok()
            .and_then(|i| Some((i, tokens.get(i)?)))
        {
            return format!(
                "action {} ({}): {}{}",
                i + 1,
                quoted(token),
                label(sub.strip_prefix('.').unwrap_or(sub)),
                e.message
            );
        }
    }
    if let Some(sub) = path.strip_prefix("config.") {
        return format!("{}: {}{}", field_at(CONFIG), label(sub), e.message);
    }
    let slot = match path {
        "seed" => SEED,
        "nodes" => NODES,
        "until_ms" => UNTIL,
        "liveness_ms" => LIVENESS,
        "events" => EVENTS,
        _ => return e.to_string(),
    };
    format!("{}: {}", field_at(slot), e.message)
}

/// How a link names the part of an action or of the settings that a scenario path points at.
fn label(sub: &str) -> String {
    let base = sub.split('[').next().unwrap_or_default();
    match base {
        "at_ms" => "time: ".into(),
        "key" => "key: ".into(),
        "value" => "value: ".into(),
        _ => match SETTINGS.iter().find(|s| s.1 == base) {
            Some((letter, _, what)) => format!("{letter} ({what}): "),
            None => String::new(),
        },
    }
}

/// A piece of the input, quoted and cut to a readable length.
fn quoted(text: &str) -> String {
    match text.char_indices().nth(40) {
        Some((i, _)) => format!("{}...", json::quote(&text[..i])),
        None => json::quote(text),
    }
}

/// Decimal digits as a number: `None` when `text` is not all digits (or empty), `Some(Err)`
/// when it is too large for a `u64`.
fn digits(text: &str) -> Option<Result<u64, ()>> {
    if text.is_empty() || !text.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    Some(text.bytes().try_fold(0u64, |n, b| {
        n.checked_mul(10)
            .and_then(|n| n.checked_add(u64::from(b - b'0')))
            .ok_or(())
    }))
}

/// Reads milliseconds as links write them, a whole number with up to three decimals (`1500`,
/// `0.25`), as microseconds; the error says what is wrong with the text (for `raftlab link
/// --position-ms`).
pub fn parse_ms(text: &str) -> Result<Micros, String> {
    if text.starts_with('-') {
        return Err(format!("must not be negative (found {})", quoted(text)));
    }
    let not_a_number = || {
        format!(
            "expected milliseconds such as 1500 or 1500.25, found {}",
            quoted(text)
        )
    };
    let (whole, frac) = match text.split_once('.') {
        Some((w, f)) => (w, f),
        None => (text, "0"),
    };
    let (Some(whole), Some(Ok(frac_value))) =
        (digits(whole), digits(frac).filter(|_| frac.len() <= 3))
    else {
        if digits(whole).is_some() && digits(frac).is_some() {
            return Err(format!(
                "{}: at most 3 decimals (times are whole microseconds)",
                quoted(text)
            ));
        }
        return Err(not_a_number());
    };
    let scale = [1000, 100, 10, 1][frac.len()];
    whole
        .ok()
        .and_then(|w| w.checked_mul(1000))
        .and_then(|us| us.checked_add(frac_value * scale))
        .ok_or_else(|| format!("{} ms is too large", quoted(text)))
}

/// A one-character target: a node digit or `L` for the leader.
fn parse_target(text: &str, letter: char) -> Result<Value, String> {
    match text.as_bytes() {
        [b'L'] => Ok(Value::from("leader")),
        [d @ b'0'..=b'9'] => Ok(Value::from(u64::from(d - b'0'))),
        _ => Err(format!(
            "expected a node number (1 to 9) or L for the leader after \"{letter}\", found {}",
            if text.is_empty() {
                "nothing".into()
            } else {
                quoted(text)
            }
        )),
    }
}

fn node_digits(text: &str) -> Option<Vec<Value>> {
    (!text.is_empty() && text.bytes().all(|b| b.is_ascii_digit())).then(|| {
        text.bytes()
            .map(|b| Value::from(u64::from(b - b'0')))
            .collect()
    })
}

/// Reads one action token (`1500w3:x:2`) into a scenario event object.
fn parse_event(token: &str) -> Result<Value, String> {
    let split = token
        .find(|c: char| !(c.is_ascii_digit() || c == '.'))
        .unwrap_or(token.len());
    let (time, rest) = token.split_at(split);
    if time.is_empty() {
        return Err(if rest.starts_with('-') {
            "the time must not be negative".into()
        } else {
            "expected the time in milliseconds first, such as 1500c1".into()
        });
    }
    let at_us = parse_ms(time).map_err(|m| format!("time: {m}"))?;
    let mut chars = rest.chars();
    let Some(letter) = chars.next() else {
        return Err("the action letter is missing after the time".into());
    };
    let args = chars.as_str();
    let mut o = Map::new();
    o.insert("at_ms".into(), scenario::ms(at_us));
    let Some(&(_, kind)) = LETTERS.iter().find(|l| l.0 == letter) else {
        let letters: Vec<String> = LETTERS.iter().map(|l| l.0.to_string()).collect();
        return Err(format!(
            "unknown action letter {}; expected one of: {}",
            quoted(&letter.to_string()),
            letters.join(", ")
        ));
    };
    match letter {
        'c' | 'r' | 't' | 'i' | 'f' => {
            o.insert("node".into(), parse_target(args, letter)?);
        }
        'h' => {
            if !args.is_empty() {
                return Err(format!(
                    "heal (h) takes nothing after the letter, found {}",
                    quoted(args)
                ));
            }
        }
        'p' => {
            let mut groups = Vec::new();
            for group in args.split('-') {
                let Some(members) = node_digits(group) else {
                    return Err(format!(
                        "partition (p) expects groups of node digits separated by '-', such as p12-345; found {}",
                        if args.is_empty() { "nothing".into() } else { quoted(args) }
                    ));
                };
                groups.push(Value::Array(members));
            }
            o.insert("groups".into(), Value::Array(groups));
        }
        'l' | 'a' | 'v' => match node_digits(args) {
            Some(one) if one.len() == 1 => {
                o.insert("node".into(), one[0].clone());
            }
            _ => {
                let what = match letter {
                    'l' => "the node to lead next",
                    'a' => "the server to add",
                    _ => "the server to remove",
                };
                return Err(format!(
                    "{kind} ({letter}) expects the digit of {what}, such as {letter}3; found {}",
                    if args.is_empty() { "nothing".into() } else { quoted(args) }
                ));
            }
        },
        'o' | 'n' | 'u' => match digits(args) {
            Some(Ok(id)) => {
                o.insert("id".into(), Value::from(id));
            }
            Some(Err(())) => {
                return Err(format!(
                    "{kind} ({letter}): message id {} is too large (at most 18446744073709551615)",
                    quoted(args)
                ))
            }
            None => {
                return Err(format!(
                    "{kind} ({letter}) expects a message id (a whole number, as in the trace), such as {letter}17; found {}",
                    if args.is_empty() { "nothing".into() } else { quoted(args) }
                ))
            }
        },
        'x' | 'm' => match node_digits(args) {
            Some(ends) if ends.len() == 2 => {
                o.insert("nodes".into(), Value::Array(ends));
            }
            _ => {
                return Err(format!(
                    "{kind} ({letter}) expects the two node digits of a link, such as {letter}12; found {}",
                    if args.is_empty() { "nothing".into() } else { quoted(args) }
                ))
            }
        },
        'z' => {
            let Some((who, ms)) = args.split_once(':') else {
                return Err(format!(
                    "pause (z) expects NODE:MS, such as z3:800 or zL:800; found {}",
                    if args.is_empty() { "nothing".into() } else { quoted(args) }
                ));
            };
            o.insert("node".into(), parse_target(who, letter)?);
            let us = parse_ms(ms).map_err(|m| format!("pause (z): {m}"))?;
            o.insert("ms".into(), scenario::ms(us));
        }
        'k' => {
            let Some((who, rate)) = args.split_once(':') else {
                return Err(format!(
                    "clock_rate (k) expects NODE:RATE, such as k3:0.5 or kL:2; found {}",
                    if args.is_empty() { "nothing".into() } else { quoted(args) }
                ));
            };
            o.insert("node".into(), parse_target(who, letter)?);
            let number = rate
                .bytes()
                .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
                .then(|| json::parse(rate).ok())
                .flatten()
                .filter(|v| matches!(v, Value::Number(_)));
            match number {
                Some(n) => {
                    o.insert("rate".into(), n);
                }
                None => {
                    return Err(format!(
                        "clock_rate (k): expected a speed such as 0.5 after the ':', found {}",
                        quoted(rate)
                    ))
                }
            }
        }
        'g' => {
            let parts: Vec<&str> = args.split(':').collect();
            let mode = match parts.get(2) {
                Some(&"a") => "any",
                Some(&"l") => "leader_local",
                Some(&"r") => "read_index",
                Some(&"e") => "lease",
                _ => "",
            };
            if parts.len() != 3 || mode.is_empty() {
                return Err(format!(
                    "expected g[NODE]:KEY:MODE with MODE a (any), l (leader_local), r (read_index) or e (lease), such as g:x:r; found {}",
                    if args.is_empty() { "nothing".into() } else { quoted(args) }
                ));
            }
            if !parts[0].is_empty() {
                o.insert("node".into(), parse_target(parts[0], letter)?);
            }
            o.insert("key".into(), Value::from(unescape(parts[1], "key")?));
            o.insert("mode".into(), Value::from(mode));
        }
        'w' | 'd' => {
            let form = if letter == 'w' {
                "w[NODE]:KEY:VALUE, such as w3:x:2 or w:x:2"
            } else {
                "d[NODE]:KEY, such as d3:x or d:x"
            };
            let parts: Vec<&str> = args.split(':').collect();
            let want = if letter == 'w' { 3 } else { 2 };
            if parts.len() != want {
                return Err(format!(
                    "expected {form} (a ':' inside a key or value is written %3A); found {}",
                    if args.is_empty() { "nothing".into() } else { quoted(args) }
                ));
            }
            if !parts[0].is_empty() {
                o.insert("node".into(), parse_target(parts[0], letter)?);
            }
            o.insert("key".into(), Value::from(unescape(parts[1], "key")?));
            if letter == 'w' {
                o.insert("value".into(), Value::from(unescape(parts[2], "value")?));
            }
        }
        _ => parse_settings(args, &mut o)?,
    }
    o.insert("do".into(), Value::from(kind));
    Ok(Value::Object(o))
}

/// Reads setting letters (`E150-300H50D0.1B1`) into `o` as scenario `config` fields.
fn parse_settings(text: &str, o: &mut Map) -> Result<(), String> {
    let mut rest = text;
    let mut seen = [false; SETTINGS.len()];
    while let Some(letter) = rest.chars().next() {
        let body = &rest[letter.len_utf8()..];
        let end = body
            .find(|c: char| c.is_ascii_uppercase())
            .unwrap_or(body.len());
        let (value, next) = body.split_at(end);
        rest = next;
        let Some(k) = SETTINGS.iter().position(|s| s.0 == letter) else {
            return Err(format!(
                "expected a setting letter (E, H, L, D, R, C, B, P, Q, K, S, M, T, A, V, W), found {}",
                quoted(&letter.to_string())
            ));
        };
        let (_, name, what) = SETTINGS[k];
        let at = format!("{letter} ({what})");
        if seen[k] {
            return Err(format!("{at} is given more than once"));
        }
        seen[k] = true;
        if value.is_empty() {
            return Err(format!("{at}: the value is missing after the letter"));
        }
        let v = match letter {
            'E' | 'L' => {
                let Some((lo, hi)) = value.split_once('-') else {
                    return Err(format!(
                        "{at}: expected MIN-MAX in milliseconds, such as {letter}150-300; found {}",
                        quoted(value)
                    ));
                };
                let lo = parse_ms(lo).map_err(|m| format!("{at} min: {m}"))?;
                let hi = parse_ms(hi).map_err(|m| format!("{at} max: {m}"))?;
                Value::Array(vec![scenario::ms(lo), scenario::ms(hi)])
            }
            'H' | 'C' => scenario::ms(parse_ms(value).map_err(|m| format!("{at}: {m}"))?),
            'S' | 'A' => match value.parse::<u64>() {
                Ok(n) if value.bytes().all(|b| b.is_ascii_digit()) => Value::from(n),
                _ => {
                    return Err(format!(
                        "{at}: expected a whole number of entries such as {letter}10, found {}",
                        quoted(value)
                    ))
                }
            },
            'V' | 'W' => match value.parse::<u64>() {
                Ok(n) if value.bytes().all(|b| b.is_ascii_digit()) => Value::from(n),
                _ => {
                    return Err(format!(
                        "{at}: expected a number of servers such as {letter}2 (0: a majority), found {}",
                        quoted(value)
                    ))
                }
            },
            'P' | 'Q' => match value {
                "1" => Value::Bool(true),
                "0" => Value::Bool(false),
                _ => {
                    return Err(format!(
                        "{at}: expected 1 (on) or 0 (off), found {}",
                        quoted(value)
                    ))
                }
            },
            'M' | 'T' => match value {
                "1" => Value::from(Mode::Manual.as_str()),
                "0" => Value::from(Mode::Auto.as_str()),
                _ => {
                    return Err(format!(
                        "{at}: expected 1 (manual) or 0 (auto), found {}",
                        quoted(value)
                    ))
                }
            },
            'D' | 'R' | 'K' => {
                let number = value
                    .bytes()
                    .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b'e' | b'+' | b'-'))
                    .then(|| json::parse(value).ok())
                    .flatten()
                    .filter(|v| matches!(v, Value::Number(_)));
                match number {
                    Some(n) => n,
                    None => {
                        return Err(format!(
                            "{at}: expected a number from 0 to 1 such as {letter}0.1, found {}",
                            quoted(value)
                        ))
                    }
                }
            }
            // `B0`: no bug (switches them all off).
            _ if value == "0" => Value::Array(Vec::new()),
            _ => {
                let mut bugs = Vec::new();
                let mut on = [false; scenario::BUG_NAMES.len()];
                for c in value.chars() {
                    let k = c.to_digit(10).map_or(0, |d| d as usize);
                    if k == 0 || k > on.len() {
                        return Err(format!(
                            "{at}: unknown bug {}; known: 1 (commit_previous_term), 2 (skip_vote_log_check), 3 (unsafe_membership), or 0 alone for none",
                            quoted(&c.to_string())
                        ));
                    }
                    if on[k - 1] {
                        return Err(format!("{at}: bug {k} is listed twice"));
                    }
                    on[k - 1] = true;
                    bugs.push(Value::from(scenario::BUG_NAMES[k - 1]));
                }
                Value::Array(bugs)
            }
        };
        o.insert(name.into(), v);
    }
    Ok(())
}

/// Percent-decodes a key or value: `[A-Za-z0-9_.-]` as they are, everything else as `%XX`.
fn unescape(text: &str, what: &str) -> Result<String, String> {
    let b = text.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'%' => {
                let hex = |k: usize| b.get(k).and_then(|&c| char::from(c).to_digit(16));
                match (hex(i + 1), hex(i + 2)) {
                    (Some(h), Some(l)) => out.push((h * 16 + l) as u8),
                    _ if i + 3 > b.len() && b[i + 1..].iter().all(u8::is_ascii_hexdigit) => {
                        return Err(format!(
                            "{what}: truncated percent escape {} at the end (expected % and two hex digits)",
                            quoted(&text[i..])
                        ))
                    }
                    _ => {
                        let end = text[i + 1..]
                            .char_indices()
                            .nth(2)
                            .map_or(text.len(), |(k, _)| i + 1 + k);
                        return Err(format!(
                            "{what}: bad percent escape {} (expected % and two hex digits)",
                            quoted(&text[i..end])
                        ));
                    }
                }
                i += 3;
            }
            c if c.is_ascii_alphanumeric() || matches!(c, b'_' | b'.' | b'-') => {
                out.push(c);
                i += 1;
            }
            _ => {
                let c = text[i..].chars().next().unwrap_or_default();
                let mut escaped = String::new();
                push_escaped(&mut escaped, &c.to_string());
                return Err(format!(
                    "{what}: the character {} must be written percent-encoded ({escaped})",
                    quoted(&c.to_string())
                ));
            }
        }
    }
    String::from_utf8(out).map_err(|_| format!("{what}: not valid UTF-8 after percent-decoding"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn times_are_written_exactly_and_read_back() {
        let mut cases: Vec<Micros> = (0..=3000).collect();
        cases.extend([
            86_400_000_000,
            86_399_999_999,
            u64::MAX / 1000 * 1000,
            u64::MAX,
        ]);
        for us in cases {
            let text = ms_text(us);
            assert!(!text.ends_with('0') || !text.contains('.'), "{text}");
            assert_eq!(parse_ms(&text), Ok(us), "{text}");
        }
        assert_eq!(ms_text(1_500_250), "1500.25");
        assert_eq!(ms_text(1), "0.001");
        assert_eq!(ms_text(10), "0.01");
        assert_eq!(ms_text(100), "0.1");
        assert_eq!(parse_ms("0001.500"), Ok(1_500));
        assert!(parse_ms("18446744073709551.616").is_err());
        assert!(parse_ms("18446744073709552").is_err());
        for bad in ["", ".", "1.", ".5", "1.2.3", "1e3", "+1", " 1", "1 ", "١"] {
            assert!(parse_ms(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn escapes_round_trip() {
        for text in [
            "",
            "a",
            "A-Z_a.z-0",
            "a b",
            "%",
            "%25",
            "é😀",
            "\u{0}\u{7f}",
            ":,&=#",
        ] {
            let mut out = String::new();
            push_escaped(&mut out, text);
            assert!(out
                .bytes()
                .all(|b| b.is_ascii_alphanumeric() || b"_.-%".contains(&b)));
            assert_eq!(unescape(&out, "key"), Ok(text.to_string()));
        }
    }
}
