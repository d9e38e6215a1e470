//! Client reads (Ongaro's thesis 6.4) and the linearizability checker: ReadIndex and a lease
//! with CheckQuorum stay linearizable under partitions and crashes; reads served from a
//! server's local state do not.

use raftlab_raft::{NodeId, ReadMode};
use raftlab_sim::fuzz::{campaign, FuzzOptions};
use raftlab_sim::linearizability::{self, OpKind};
use raftlab_sim::run::run;
use raftlab_sim::scenario::{Action, SimConfig, Target};
use raftlab_sim::trace::TraceEvent;
use raftlab_sim::{Property, Scenario, Simulation};
use std::cell::RefCell;
use std::rc::Rc;

fn example(name: &str) -> Scenario {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../examples")
        .join(name);
    Scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap()
}

fn traced(scenario: &Scenario) -> Vec<TraceEvent> {
    let trace = Rc::new(RefCell::new(Vec::new()));
    let sink = trace.clone();
    let mut sim = Simulation::from_scenario(scenario);
    sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
    sim.run_until(scenario.until_us, false);
    let t = trace.borrow().clone();
    t
}

/// The stale read Jepsen found in etcd and Consul (2014): a leader cut off in a minority goes
/// on answering reads from its own state after the majority has elected a new leader and
/// committed a newer value.
#[test]
fn the_stale_read_example_6_4() {
    let scenario = example("stale-read.json");
    let outcome = run(&scenario, None, false);
    assert!(
        outcome.violations.is_empty(),
        "ReadIndex and lease reads stay linearizable"
    );
    let e = outcome.linearizability.unwrap().unwrap_err();
    assert_eq!(e.key, "x");
    assert_eq!(e.culprit.mode, Some(ReadMode::LeaderLocal));
    assert_eq!(e.culprit.kind, OpKind::Read(Some("1".into())));
    let history = linearizability::history(&traced(&scenario));
    let read = |mode| {
        history
            .iter()
            .filter(|op| op.mode == Some(mode))
            .map(|op| (op.kind.clone(), op.returned_us.is_some()))
            .collect::<Vec<_>>()
    };
    // At the cut-off S5, any and leader_local answer 1 (stale); ReadIndex and lease get no
    // answer (left out of the history). At the new leader both answer 2.
    assert_eq!(
        read(ReadMode::Any),
        vec![(OpKind::Read(Some("1".into())), true)]
    );
    assert_eq!(
        read(ReadMode::LeaderLocal),
        vec![(OpKind::Read(Some("1".into())), true)]
    );
    assert_eq!(
        read(ReadMode::ReadIndex),
        vec![(OpKind::Read(Some("2".into())), true)]
    );
    assert_eq!(
        read(ReadMode::Lease),
        vec![(OpKind::Read(Some("2".into())), true)]
    );
}

/// A lease needs followers that refuse votes while it lasts (CheckQuorum's rule, thesis
/// 4.2.3). Without it, a follower forced to time out just after a heartbeat wins at once,
/// and the old leader, cut off, still serves a stale lease read; with it, the new election
/// waits until the lease is over.
#[test]
fn a_lease_is_safe_with_check_quorum_and_stale_without_6_4_1() {
    for check_quorum in [false, true] {
        let mut config = SimConfig {
            check_quorum,
            ..SimConfig::default()
        };
        config.latency_us = (1_000, 1_000);
        let mut sim = Simulation::new(5, config, 3);
        let trace = Rc::new(RefCell::new(Vec::new()));
        let sink = trace.clone();
        sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
        sim.run_until(1_000_000, false);
        let old = sim.leader().unwrap();
        sim.act(&Action::ClientWrite {
            node: None,
            key: "x".into(),
            value: "1".into(),
        });
        sim.run_until(1_050_000, false);
        // Right after a heartbeat round: cut the leader off and force an election.
        let other: NodeId = if old == 1 { 2 } else { 1 };
        sim.act(&Action::Isolate(Target::Node(old)));
        sim.act(&Action::Timeout(Target::Node(other)));
        sim.run_until(1_060_000, false);
        sim.act(&Action::ClientWrite {
            node: Some(Target::Node(other)),
            key: "x".into(),
            value: "2".into(),
        });
        sim.run_until(1_080_000, false);
        sim.act(&Action::ClientRead {
            node: Some(Target::Node(old)),
            key: "x".into(),
            mode: ReadMode::Lease,
        });
        sim.run_until(3_000_000, false);
        let history = linearizability::history(&trace.borrow());
        let verdict = linearizability::check(&history);
        if check_quorum {
            assert!(verdict.is_ok(), "with CheckQuorum: {:?}", verdict);
        } else {
            let e = verdict.expect_err("without CheckQuorum the lease read is stale");
            assert_eq!(e.culprit.mode, Some(ReadMode::Lease));
            assert_eq!(e.culprit.kind, OpKind::Read(Some("1".into())));
        }
    }
}

/// Random fault campaigns with reads in every mode: the strict reads never break
/// linearizability (the run reports any such break as a violation), every mode gets
/// answers, and the checker does catch stale reads of the local modes.
#[test]
fn campaigns_with_reads_6_4() {
    let options = FuzzOptions {
        reads: true,
        pre_vote: true,
        check_quorum: true,
        transfer: true,
        ..FuzzOptions::default()
    };
    let mut stale = 0;
    let mut answered = [0usize; 4];
    for seed in 0..150 {
        let scenario = campaign(seed, &options);
        let outcome = run(&scenario, None, true);
        assert!(
            outcome.violations.is_empty(),
            "seed {seed}: {}",
            outcome.violations[0]
        );
        if let Some(Err(_)) = outcome.linearizability {
            stale += 1;
        }
        let history = linearizability::history(&traced(&scenario));
        for (k, mode) in ReadMode::ALL.iter().enumerate() {
            answered[k] += history.iter().filter(|op| op.mode == Some(*mode)).count();
        }
    }
    assert!(
        answered.iter().all(|&n| n > 50),
        "reads answered per mode: {answered:?}"
    );
    assert!(stale > 0, "some campaign saw a stale local read");
}

/// A broken read path is caught: the run reports a ReadIndex read that returned a value no
/// write ever set as a linearizability violation.
#[test]
fn the_run_reports_broken_strict_reads_6_4() {
    let ops = vec![
        linearizability::Op {
            id: 1,
            key: "x".into(),
            kind: OpKind::Write(Some("1".into())),
            mode: None,
            invoked_us: 0,
            returned_us: Some(10),
        },
        linearizability::Op {
            id: 2,
            key: "x".into(),
            kind: OpKind::Read(None),
            mode: Some(ReadMode::ReadIndex),
            invoked_us: 20,
            returned_us: Some(30),
        },
    ];
    let e = linearizability::check(&ops).unwrap_err();
    assert_eq!(e.culprit.id, 2);
    assert_eq!(Property::Linearizability.name(), "linearizability");
}

/// Thesis 6.4.1: a lease assumes bounded clock drift. With CheckQuorum on, a leader whose
/// clock runs at half speed (far beyond the 10% bound) keeps believing in its lease after the
/// others have elected a new leader, and serves a stale read; with a normal clock the same
/// read is not served from the lease.
#[test]
fn a_slow_clock_breaks_the_lease_6_4_1() {
    for rate in [1.0, 0.5] {
        let mut config = SimConfig {
            check_quorum: true,
            ..SimConfig::default()
        };
        config.latency_us = (1_000, 1_000);
        let mut sim = Simulation::new(5, config, 3);
        let trace = Rc::new(RefCell::new(Vec::new()));
        let sink = trace.clone();
        sim.set_trace(Box::new(move |e| sink.borrow_mut().push(e.clone())));
        sim.run_until(1_000_000, false);
        let old = sim.leader().unwrap();
        sim.act(&Action::ClientWrite {
            node: None,
            key: "x".into(),
            value: "1".into(),
        });
        sim.run_until(1_050_000, false);
        sim.act(&Action::ClockRate(Target::Node(old), rate));
        sim.run_until(1_060_000, false);
        sim.act(&Action::Isolate(Target::Node(old)));
        let other: NodeId = if old == 1 { 2 } else { 1 };
        sim.run_until(1_215_000, false);
        sim.act(&Action::Timeout(Target::Node(other)));
        sim.run_until(1_230_000, false);
        assert_eq!(sim.leader(), Some(other), "rate {rate}: a new leader");
        sim.act(&Action::ClientWrite {
            node: Some(Target::Node(other)),
            key: "x".into(),
            value: "2".into(),
        });
        sim.run_until(1_250_000, false);
        sim.act(&Action::ClientRead {
            node: Some(Target::Node(old)),
            key: "x".into(),
            mode: ReadMode::Lease,
        });
        sim.run_until(3_000_000, false);
        let history = linearizability::history(&trace.borrow());
        let verdict = linearizability::check(&history);
        if rate == 1.0 {
            assert!(verdict.is_ok(), "{verdict:?}");
        } else {
            let e = verdict.expect_err("the slow clock's lease read is stale");
            assert_eq!(e.culprit.kind, OpKind::Read(Some("1".into())));
        }
        assert!(trace
            .borrow()
            .iter()
            .any(|e| matches!(e.kind, raftlab_sim::TraceKind::ClockRate { .. })));
    }
}

/// `raftlab run` holds lease reads to linearizability only while every clock keeps to the
/// drift bound the leases assume (docs/scenario-format.md, `clock_rate`; thesis 6.4.1): a
/// stale lease read after a clock ran at half speed is reported in the verdict, not as a
/// violation; with the clock in bound, the same kind of run has no stale read and no
/// violation.
#[test]
fn a_clock_beyond_the_drift_bound_makes_lease_reads_not_strict_6_4_1() {
    for (rate, stale) in [(1.05, false), (0.5, true)] {
        let text = format!(
            r#"{{"version": 1, "seed": 3, "nodes": 5, "until_ms": 3000,
              "config": {{"check_quorum": true, "latency_ms": [1, 1]}},
              "events": [
                {{"at_ms": 1000, "do": "client_write", "key": "x", "value": "1"}},
                {{"at_ms": 1050, "do": "clock_rate", "node": "leader", "rate": {rate}}},
                {{"at_ms": 1060, "do": "isolate", "node": "leader"}},
                {{"at_ms": 1215, "do": "timeout", "node": OTHER}},
                {{"at_ms": 1230, "do": "client_write", "node": OTHER, "key": "x", "value": "2"}},
                {{"at_ms": 1250, "do": "client_read", "node": OLD, "key": "x", "mode": "lease"}}
              ]}}"#
        );
        // The leader of seed 3 at 1 s, and another server, as in a_slow_clock_breaks_the_lease.
        let mut config = SimConfig {
            check_quorum: true,
            ..SimConfig::default()
        };
        config.latency_us = (1_000, 1_000);
        let mut probe = Simulation::new(5, config, 3);
        probe.run_until(1_000_000, false);
        let old = probe.leader().unwrap();
        let other: NodeId = if old == 1 { 2 } else { 1 };
        let text = text
            .replace("OTHER", &other.to_string())
            .replace("OLD", &old.to_string());
        let scenario = Scenario::parse(&text).unwrap();
        let outcome = run(&scenario, None, false);
        assert!(
            outcome.violations.is_empty(),
            "rate {rate}: {:?}",
            outcome.violations
        );
        let verdict = outcome.linearizability.expect("the run reads");
        assert_eq!(verdict.is_err(), stale, "rate {rate}: {verdict:?}");
    }
}

/// An unsafe leaderless-quorum campaign of 10 s whose history makes the linearizability search
/// explode: the run reports the check as undecided, records no violation for it, and claims
/// neither verdict.
#[test]
fn an_exploding_search_is_undecided_not_passed() {
    let options = FuzzOptions {
        system: raftlab_sim::system::System::Quorum,
        unsafe_settings: true,
        until_us: 10_000_000,
        ..FuzzOptions::default()
    };
    let scenario = campaign(39, &options);
    let outcome = run(&scenario, None, true);
    let strict = outcome
        .strict_linearizability_undecided
        .clone()
        .expect("the strict check gives up");
    assert!(strict.explored >= linearizability::DEFAULT_BUDGET);
    assert_eq!(
        strict.to_string(),
        format!(
            "the search gave up after {} steps on key {}",
            strict.explored, strict.key
        )
    );
    // Every read is held to linearizability: the whole history is the strict one.
    assert_eq!(outcome.linearizability_undecided, Some(strict));
    assert!(outcome.linearizability.is_none());
    assert!(outcome
        .violations
        .iter()
        .all(|v| v.property != Property::Linearizability));
    // The history's own bounded verdict says the same.
    let history = linearizability::history(&traced(&scenario));
    assert!(matches!(
        linearizability::verdict(&history, linearizability::DEFAULT_BUDGET),
        linearizability::Verdict::Undecided { .. }
    ));
}

mod bounded {
    use proptest::prelude::*;
    use raftlab_sim::linearizability::{check, verdict, Op, OpKind, Verdict};

    /// Histories of two keys with overlapping operations, values from a small set (so that
    /// some are linearizable and some not), and writes of unknown outcome.
    fn histories() -> impl Strategy<Value = Vec<Op>> {
        prop::collection::vec(
            (
                0..2u8,
                any::<bool>(),
                0..4u8,
                0..2_000u64,
                1..400u64,
                0..8u8,
            ),
            0..24,
        )
        .prop_map(|ops| {
            ops.into_iter()
                .enumerate()
                .map(|(i, (key, write, value, call, len, unknown))| Op {
                    id: i as u64 + 1,
                    key: ["x", "y"][key as usize].into(),
                    kind: if write {
                        OpKind::Write(Some(value.to_string()))
                    } else {
                        OpKind::Read((value > 0).then(|| value.to_string()))
                    },
                    mode: None,
                    invoked_us: call,
                    returned_us: (!(write && unknown == 0)).then_some(call + len),
                })
                .collect()
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(500))]

        /// Unbounded, `verdict` is `check`; bounded, it is `check` or undecided after exactly
        /// the budget (these keys have too few operations for a stored state to cost more
        /// than one step).
        #[test]
        fn verdict_agrees_with_check(ops in histories(), budget in 0..200u64) {
            let checked = check(&ops);
            let expected = match checked {
                Ok(()) => Verdict::Linearizable,
                Err(e) => Verdict::NotLinearizable(e),
            };
            prop_assert_eq!(verdict(&ops, u64::MAX), expected.clone());
            match verdict(&ops, budget) {
                Verdict::Undecided { explored, .. } => prop_assert_eq!(explored, budget),
                v => prop_assert_eq!(v, expected),
            }
        }
    }
}
