//! Randomized simulation: many seeds over 3, 5 and 7 nodes with crashes, partitions, loss and
//! duplication; the checker runs after every event and every run ends with a liveness phase.

use raftlab_sim::fuzz::{fuzz_one, FuzzOptions};

fn campaigns(from: u64, count: u64, nodes: u32) {
    let options = FuzzOptions {
        nodes: vec![nodes],
        until_us: 10_000_000,
        ..FuzzOptions::default()
    };
    for seed in from..from + count {
        if let Err(failure) = fuzz_one(seed, &options) {
            let (scenario, outcome) = *failure;
            panic!(
                "seed {seed} ({nodes} nodes) broke {}\nreproducer:\n{}",
                outcome.violations[0],
                scenario.to_pretty()
            );
        }
    }
}

#[test]
fn random_campaigns_3_nodes() {
    campaigns(0, 400, 3);
}

#[test]
fn random_campaigns_5_nodes() {
    campaigns(10_000, 400, 5);
}

#[test]
fn random_campaigns_7_nodes() {
    campaigns(20_000, 400, 7);
}

/// Flexible quorums drawn to intersect (Q1 + Q2 > N and 2 Q1 > N), with pauses: safe. Drawn
/// not to (Q1 + Q2 <= N): the checker catches breaks in many campaigns, and only of the
/// properties two leaders break.
#[test]
fn flexible_quorums_safe_when_they_intersect_caught_when_not() {
    use raftlab_sim::checker::Property;
    use raftlab_sim::fuzz::{campaign, Flexible};
    let safe = FuzzOptions {
        flexible: Some(Flexible::Intersecting),
        pauses: true,
        ..FuzzOptions::default()
    };
    let mut drawn = std::collections::BTreeSet::new();
    let mut paused = 0;
    for seed in 0..300 {
        let s = campaign(seed, &safe);
        let (n, q1, q2) = (s.nodes, s.config.election_quorum, s.config.commit_quorum);
        assert!(
            q1 + q2 > n && 2 * q1 > n && q2 >= 1 && q1 <= n && q2 <= n,
            "{n} {q1} {q2}"
        );
        drawn.insert((n, q1, q2));
        paused += usize::from(
            s.events
                .iter()
                .any(|e| matches!(e.action, raftlab_sim::scenario::Action::Pause(..))),
        );
        if let Err(failure) = fuzz_one(seed, &safe) {
            panic!(
                "seed {seed}: {}\n{}",
                failure.1.violations[0],
                failure.0.to_pretty()
            );
        }
    }
    assert!(drawn.len() >= 10, "varied quorums: {drawn:?}");
    assert!(paused >= 250, "only {paused} of 300 campaigns have pauses");
    let unsafe_ = FuzzOptions {
        flexible: Some(Flexible::Disjoint),
        ..FuzzOptions::default()
    };
    let mut caught = 0;
    for seed in 0..100 {
        let s = campaign(seed, &unsafe_);
        assert!(s.config.election_quorum + s.config.commit_quorum <= s.nodes);
        if let Err(failure) = fuzz_one(seed, &unsafe_) {
            caught += 1;
            let p = failure.1.violations[0].property;
            assert!(
                matches!(
                    p,
                    Property::ElectionSafety
                        | Property::LeaderCompleteness
                        | Property::StateMachineSafety
                        | Property::LogMatching
                ),
                "seed {seed}: {p:?}"
            );
        }
    }
    assert!(caught >= 20, "only {caught} of 100 caught");
}
