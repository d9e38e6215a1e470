//! What only Raft can do, in the other systems: forced election timeouts, leadership
//! transfer, membership changes, timers by hand and Raft's settings; clients in the lease
//! system (it has none) and deletes in leaderless quorums. `Scenario::check_system` names
//! each such event. Scenario files and links are still read (version 1 says these events do
//! nothing there, and now they truly do nothing: no trace line, no timer by hand); lessons
//! are refused, and so are the page's API calls (tests/e2e/systems.mjs). Raft runs accept all
//! of it.

use raftlab_sim::link;
use raftlab_sim::scenario::{Action, ConfigPatch, Mode, Scenario, Target};
use raftlab_sim::sim::Simulation;
use raftlab_sim::system::System;

fn with_event(system: &str, event: &str) -> String {
    format!(
        r#"{{"version":1,"seed":4,"nodes":4,"system":"{system}","until_ms":500,"events":[{{"at_ms":10,"do":"crash","node":2}},{event}]}}"#
    )
}

/// The first problem `check_system` finds in a scenario file that parses.
fn refused(json: &str) -> String {
    let s = Scenario::parse(json).unwrap_or_else(|e| panic!("a file is read: {e}"));
    match s.check_system() {
        Ok(()) => panic!("accepted: {json}"),
        Err(e) => e.to_string(),
    }
}

fn accepted(json: &str) {
    let s = Scenario::parse(json).unwrap_or_else(|e| panic!("{json}: {e}"));
    s.check_system().unwrap_or_else(|e| panic!("{json}: {e}"));
}

#[test]
fn raft_only_events_are_refused_for_quorum_and_lease_runs_naming_the_event() {
    let cases = [
        (
            r#"{"at_ms":20,"do":"timeout","node":1}"#,
            "\"timeout\" forces a Raft election timeout",
        ),
        (
            r#"{"at_ms":20,"do":"fire_timer","node":1}"#,
            "\"fire_timer\" fires a Raft timer by hand",
        ),
        (
            r#"{"at_ms":20,"do":"transfer_leadership","node":3}"#,
            "hands over Raft leadership",
        ),
        (
            r#"{"at_ms":20,"do":"add_server","node":5}"#,
            "membership changes are Raft's",
        ),
        (
            r#"{"at_ms":20,"do":"remove_server","node":3}"#,
            "membership changes are Raft's",
        ),
        (
            r#"{"at_ms":20,"do":"set","pre_vote":true}"#,
            "pre_vote is a Raft setting",
        ),
        (
            r#"{"at_ms":20,"do":"set","heartbeat_ms":30}"#,
            "heartbeat_ms is a Raft setting",
        ),
        (
            r#"{"at_ms":20,"do":"set","timers":"manual"}"#,
            "timers by hand are Raft's",
        ),
    ];
    for system in ["quorum", "lease"] {
        for (event, why) in cases {
            let e = refused(&with_event(system, event));
            assert!(e.starts_with("events[1]: "), "{e}");
            assert!(e.contains(why), "{system} {event}: {e}");
            assert!(e.contains(&format!("the {system} system")), "{e}");
            // Raft takes the same event.
            accepted(&with_event("raft", event));
        }
    }
}

#[test]
fn what_every_system_shares_is_accepted() {
    for system in ["quorum", "lease"] {
        for event in [
            r#"{"at_ms":20,"do":"set","latency_ms":[5,20],"drop_rate":0.1,"duplicate_rate":0.05}"#,
            r#"{"at_ms":20,"do":"set","delivery":"manual"}"#,
            r#"{"at_ms":20,"do":"set","timers":"auto"}"#,
            r#"{"at_ms":20,"do":"pause","node":2,"ms":300}"#,
            r#"{"at_ms":20,"do":"clock_rate","node":2,"rate":0.5}"#,
            r#"{"at_ms":20,"do":"partition","groups":[[1,2],[3,4]]}"#,
            r#"{"at_ms":20,"do":"restart","node":2}"#,
        ] {
            accepted(&with_event(system, event));
        }
    }
}

#[test]
fn clients_are_refused_where_the_system_has_none_or_no_delete() {
    let write = r#"{"at_ms":20,"do":"client_write","node":1,"key":"x","value":"1"}"#;
    let delete = r#"{"at_ms":20,"do":"client_delete","node":1,"key":"x"}"#;
    let read = r#"{"at_ms":20,"do":"client_read","node":1,"key":"x"}"#;
    for event in [write, delete, read] {
        assert!(refused(&with_event("lease", event)).contains("the lease system has no clients"));
    }
    assert!(refused(&with_event("quorum", delete)).contains("leaderless quorums only write values"));
    for event in [write, read] {
        accepted(&with_event("quorum", event));
    }
}

#[test]
fn timers_by_hand_in_the_starting_settings_are_refused_for_other_systems() {
    let json = r#"{"version":1,"nodes":3,"system":"quorum","config":{"timers":"manual"}}"#;
    let e = refused(json);
    assert!(
        e.starts_with("config.timers: timers by hand are Raft's"),
        "{e}"
    );
    accepted(r#"{"version":1,"nodes":3,"config":{"timers":"manual"}}"#);
}

#[test]
fn a_link_with_such_an_event_opens_and_the_event_does_nothing() {
    // Version 1 promised that Raft-only events do nothing in the other systems: a link (or
    // file) with one still opens, and its run is the run without it, trace and all.
    let base = Scenario::parse(&with_event(
        "quorum",
        r#"{"at_ms":20,"do":"client_write","node":1,"key":"x","value":"1"}"#,
    ))
    .unwrap();
    let mut with = base.clone();
    for (at_us, action) in [
        (30_000, Action::TransferLeadership(3)),
        (40_000, Action::Timeout(Target::Node(2))),
        (50_000, Action::FireTimer(Target::Node(3))),
        (60_000, Action::AddServer(5)),
    ] {
        with.events
            .push(raftlab_sim::scenario::TimedAction { at_us, action });
    }
    let opened = link::decode(&link::encode(&with, None)).unwrap().scenario;
    assert_eq!(opened, with);
    assert_eq!(opened.system_problems().len(), 4);
    assert_eq!(trace_of(&opened), trace_of(&base));
}

fn trace_of(s: &Scenario) -> Vec<String> {
    let lines = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = lines.clone();
    raftlab_sim::run::run(
        s,
        Some(Box::new(move |e: &raftlab_sim::trace::TraceEvent| {
            sink.borrow_mut().push(e.to_json())
        })),
        false,
    );
    let out = lines.borrow().clone();
    out
}

#[test]
fn a_lesson_that_asks_another_system_for_raft_actions_is_refused() {
    let step =
        |extra: &str| format!(r#"{{"title":"t","text":"x","until":{{"at_ms":100}}{extra}}}"#);
    let lesson = |steps: Vec<String>, event: &str| {
        format!(
            r#"{{"version":1,"id":"q","title":"Q","summary":"s","topics":[],"scenario":{{"version":1,"nodes":4,"system":"quorum","until_ms":2000,"events":[{event}]}},"steps":[{}]}}"#,
            steps.join(",")
        )
    };
    let plain: Vec<String> = (0..5).map(|_| step("")).collect();
    let e = raftlab_sim::lesson::Lesson::parse(&lesson(
        plain.clone(),
        r#"{"at_ms":50,"do":"transfer_leadership","node":2}"#,
    ))
    .unwrap_err()
    .to_string();
    assert!(
        e.contains("scenario.events[0]") && e.contains("hands over Raft leadership"),
        "{e}"
    );
    let mut steps = plain;
    steps[2] = step(
        r#","task":{"prompt":"p","goal":{"kind":"crash"},"show_me":[{"do":"crash","node":2},{"do":"timeout","node":3}]}"#,
    );
    let e = raftlab_sim::lesson::Lesson::parse(&lesson(steps, ""))
        .unwrap_err()
        .to_string();
    assert!(e.contains("step 3") && e.contains("task.show_me[1]"), "{e}");
    assert!(e.contains("forces a Raft election timeout"), "{e}");
}

#[test]
fn a_simulation_of_another_system_never_runs_timers_by_hand() {
    // Even when asked directly (not through a scenario), a quorum run keeps its own timers:
    // anti-entropy goes on, and `timers_manual` says so, which the page's picture follows.
    let s = Scenario::parse(
        r#"{"version":1,"seed":2,"nodes":3,"system":"quorum","quorum":{"anti_entropy_ms":20},"until_ms":300}"#,
    )
    .unwrap();
    let mut sim = Simulation::from_scenario(&s);
    sim.act(&Action::Set(ConfigPatch {
        timers: Some(Mode::Manual),
        ..ConfigPatch::default()
    }));
    let syncs = std::rc::Rc::new(std::cell::Cell::new(0));
    let count = syncs.clone();
    sim.set_trace(Box::new(move |e| {
        if e.kind.name() == "anti_entropy" {
            count.set(count.get() + 1);
        }
    }));
    sim.run_until(300_000, false);
    assert!(!sim.timers_manual());
    assert!(
        syncs.get() >= 3 * 10,
        "three servers sync every 20 ms: {}",
        syncs.get()
    );
    assert_eq!(sim.system(), System::Quorum);
    assert!(Action::FireTimer(Target::Node(1))
        .refusal(System::Quorum)
        .is_some());
    assert!(Action::FireTimer(Target::Node(1))
        .refusal(System::Raft)
        .is_none());
}

#[test]
fn every_fuzz_campaign_is_a_scenario_its_system_accepts() {
    // A failing campaign is printed as a scenario file to replay: it must parse.
    use raftlab_sim::fuzz::{campaign, FuzzOptions};
    for system in [System::Quorum, System::Lease, System::Raft] {
        for unsafe_settings in [false, true] {
            let options = FuzzOptions {
                system,
                unsafe_settings,
                ..FuzzOptions::default()
            };
            for seed in 0..200 {
                let s = campaign(seed, &options);
                s.check_system()
                    .unwrap_or_else(|e| panic!("{system:?} seed {seed}: {e}"));
                assert_eq!(Scenario::from_json(&s.to_json()).as_ref(), Ok(&s));
            }
        }
    }
}
