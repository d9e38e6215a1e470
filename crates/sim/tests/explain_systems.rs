//! `explain` for the systems other than Raft, on the shipped examples and small runs: each
//! sentence checked against the state it describes (the store's record against a
//! candidate's belief, replicas that disagree, a coordinator's count, a message's fate).

use raftlab_sim::explain::{explain, Explanation, Target};
use raftlab_sim::scenario::Scenario;
use raftlab_sim::Simulation;

fn at(path: &str, edit: impl Fn(&mut Scenario), t_us: u64) -> Simulation {
    let text =
        std::fs::read_to_string(format!("{}/../../{path}", env!("CARGO_MANIFEST_DIR"))).unwrap();
    let mut s = Scenario::parse(&text).unwrap();
    edit(&mut s);
    let mut sim = Simulation::from_scenario(&s);
    sim.run_until(t_us, false);
    sim
}

fn show(sim: &Simulation, target: Target) -> Explanation {
    let e = explain(sim, &target).unwrap_or_else(|err| panic!("{target:?}: {err}"));
    eprintln!("--- {target:?} at {} us\n{}", sim.now(), e.title);
    for line in &e.lines {
        eprintln!("  {line}");
    }
    e
}

fn has(e: &Explanation, text: &str) {
    assert!(
        e.lines.iter().any(|l| l.contains(text)),
        "no line contains {text:?} in {e:#?}"
    );
}

fn lacks(e: &Explanation, text: &str) {
    assert!(
        !e.lines.iter().any(|l| l.contains(text)),
        "a line contains {text:?} in {e:#?}"
    );
}

fn message_to(sim: &Simulation, ty: &str, to: u32) -> u64 {
    sim.in_flight()
        .find(|f| f.message.type_name() == ty && f.message.to() == to)
        .unwrap_or_else(|| panic!("no {ty} to S{to} on the wire"))
        .id
}

const LEASE: &str = "examples/lease-pause.json";
const QUORUM: &str = "examples/quorum-lww-skew.json";

#[test]
fn a_paused_leader_s_belief_is_set_against_the_store_s_record() {
    // Kleppmann's pause: S2 leads with token 33, pauses from 1 s to 3.5 s; S3 takes the
    // lease (token 34) at about 2.64 s. At 3 s S2 still believes it leads.
    let sim = at(LEASE, |_| {}, 3_000_000);
    let record = sim.lease_nodes()[0].store_record().unwrap();
    assert_eq!((record.holder, record.token), (3, 34));
    let store = show(&sim, Target::Node { node: 1 });
    assert_eq!(store.title, "S1, the store");
    has(&store, "The record names S3 with fencing token 34");
    has(&store, "Lease mode (Kubernetes)");
    let s2 = show(&sim, Target::Node { node: 2 });
    assert_eq!(s2.title, "S2, the candidate");
    has(&s2, "S2 is paused until 3.5 s");
    has(&s2, "It believes it leads, with token 33");
    has(&s2, "That moment has passed on its own clock");
    has(
        &s2,
        "But the store's record names S3 (token 34): this belief is stale",
    );
    has(&s2, "reach the resource unchecked (fencing is off)");
    let s3 = show(&sim, Target::Node { node: 3 });
    has(&s3, "It believes it leads, with token 34");
    has(&s3, "The store's record agrees");
    lacks(&s3, "stale");
    let s4 = show(&sim, Target::Node { node: 4 });
    assert_eq!(s4.title, "S4, the resource");
    has(&s4, "Fencing is off");
}

#[test]
fn the_stale_write_is_taken_without_fencing_and_refused_with_it() {
    for fencing in [false, true] {
        let sim = at(
            LEASE,
            |s| {
                if let raftlab_sim::system::SystemConfig::Lease(c) = &mut s.system {
                    c.fencing = fencing;
                }
            },
            3_502_000,
        );
        // S2 woke at 3.5 s: its write, checked before the pause, leaves with token 33.
        let id = message_to(&sim, "Write", 4);
        let e = show(&sim, Target::Message { id });
        assert_eq!(e.title, format!("message {id} (Write from S2 to S4)"));
        has(
            &e,
            "The leader's write to the resource, with fencing token 33.",
        );
        if fencing {
            has(&e, "S4 would: refuse the write with token 33 (stale token)");
            has(
                &show(&sim, Target::Node { node: 4 }),
                "it refuses a write whose token is below 34",
            );
        } else {
            has(&e, "S4 would: take the write with token 33 (no fencing)");
        }
        // Its check-and-set names a modify index that changed: the store refuses it.
        let cas = message_to(&sim, "Cas", 1);
        has(
            &show(&sim, Target::Message { id: cas }),
            "S1 would: refuse it and tell S2 why: modify index changed",
        );
    }
}

#[test]
fn last_write_wins_drops_the_skewed_write_and_the_coordinator_counts_its_own_ack() {
    // S2's clock is 50 ms behind: its write of x = 2 at 530 ms gets version 480000@S2, older
    // than x = 1 (500000@S1), which every replica holds.
    let sim = at(QUORUM, |_| {}, 535_000);
    let s2 = show(&sim, Target::Node { node: 2 });
    assert_eq!(s2.title, "S2, a replica");
    has(&s2, "It holds x = 1 (version 500000@S1).");
    has(&s2, "Every replica of x");
    has(
        &s2,
        "It coordinates a write of x = 2 (client request 2): 1 of W = 2 answers (from S2)",
    );
    has(&s2, "R + W > N (2 + 2 > 3)");
    has(&s2, "last write wins");
    let id = message_to(&sim, "Write", 3);
    let e = show(&sim, Target::Message { id });
    has(&e, "A client's write: store x = 2 (version 480000@S2).");
    has(&e, "keep its newer version of x and drop 2");
    has(&e, "acknowledge the write of x to S2");
}

#[test]
fn replicas_that_disagree_are_named_with_what_would_bring_them_together() {
    // The write reaches S1 only (the other copies are lost): the replicas disagree.
    let json = r#"{"version":1,"seed":3,"nodes":3,"system":"quorum","until_ms":400,
        "quorum":{"write_quorum":1,"read_quorum":1},
        "events":[{"at_ms":100,"do":"isolate","node":1},
                  {"at_ms":110,"do":"client_write","node":1,"key":"x","value":"7"}]}"#;
    for (anti_entropy, mend) in [
        (0, "nothing will bring them together but a newer write"),
        (50, "anti-entropy (every 50 ms) will bring them together"),
    ] {
        let mut s = Scenario::parse(json).unwrap();
        if let raftlab_sim::system::SystemConfig::Quorum(c) = &mut s.system {
            c.anti_entropy_ms = anti_entropy;
        }
        let mut sim = Simulation::from_scenario(&s);
        sim.run_until(150_000, false);
        let e = show(&sim, Target::Node { node: 1 });
        has(&e, "It holds x = 7");
        has(
            &e,
            "The replicas of x disagree: S2 holds none and S3 holds none",
        );
        has(&e, mend);
        let s2 = show(&sim, Target::Node { node: 2 });
        has(&s2, "It holds no value yet.");
    }
}

#[test]
fn bad_targets_of_other_systems_say_why() {
    let sim = at(QUORUM, |_| {}, 100_000);
    let err = |t| explain(&sim, &t).unwrap_err();
    assert_eq!(
        err(Target::Entry { node: 1, index: 1 }),
        "a quorum run has no log: explain a server or a message on the wire instead"
    );
    assert_eq!(
        err(Target::Node { node: 4 }),
        "no server S4: the cluster has S1 to S3"
    );
    assert_eq!(
        err(Target::Node { node: 0 }),
        "no server S0: the cluster has S1 to S3"
    );
    assert!(err(Target::Message { id: 9999 }).starts_with("no message 9999 is on the wire"));
    let down = at(LEASE, |s| s.events.clear(), 200_000);
    assert!(explain(&down, &Target::Node { node: 2 }).is_ok());
}
