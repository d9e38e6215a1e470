//! Seeded random runs: pauses, clock rates, network delays, lost messages, late watches, both
//! modes. With fencing the checker never fires; without it, pauses are caught in some seeds.

mod common;

use common::*;
use raftlab_lease::*;

const S: Micros = 1_000_000;

/// One random run of 8 s; returns it. `faults` false: no pause, honest clocks, lease mode.
fn run(seed: u64, fencing: bool, faults: bool) -> Sim {
    let mut rng = Rng(seed);
    let session = faults && rng.below(3) == 0;
    let cfg = Config {
        fencing,
        seed,
        session_ttl_us: if session { S } else { 0 },
        lock_delay_us: if session { rng.below(2) * S } else { 0 },
        watch_delay_us: rng.below(400) * MS,
        watch_jitter_us: rng.below(200) * MS,
        work_duration_us: rng.below(100) * MS,
        first_revision: rng.below(50),
        ..Config::default()
    };
    let n = 4 + rng.below(2) as NodeId;
    let mut sim = Sim::new(n, &cfg);
    sim.delay = (1 + rng.below(20)) * MS;
    let mut drops = Rng(seed ^ 0xd1ce);
    sim.drop = Some(Box::new(move |_m: &Message| drops.below(100) < 5));
    let candidates: Vec<NodeId> = (2..n).collect();
    if faults {
        for &c in &candidates {
            let rates = [(1, 2), (2, 3), (1, 1), (1, 1), (3, 2)];
            let (num, den) = rates[rng.below(5) as usize];
            sim.set_rate(c, num, den);
        }
    }
    // Up to three pauses of up to 3 s at random times.
    let mut pauses: Vec<(Micros, NodeId, Micros)> = (0..if faults { 3 } else { 0 })
        .map(|_| {
            let c = candidates[rng.below(candidates.len() as u64) as usize];
            (rng.below(6000) * MS, c, rng.below(3000) * MS)
        })
        .collect();
    pauses.sort();
    for (at, c, len) in pauses {
        sim.run_until(at);
        if sim.paused_until[c as usize - 1] <= sim.now {
            sim.pause(c, len);
        }
    }
    sim.run_until(8 * S);
    sim
}

#[test]
fn fencing_never_violates() {
    for seed in 0..120 {
        let sim = run(seed, true, true);
        assert!(
            sim.violations.is_empty(),
            "seed {seed}: {:?}",
            sim.violations
        );
        // Somebody led and worked: the run is not vacuous.
        assert!(!sim.accepted().is_empty(), "seed {seed}: no write accepted");
    }
}

#[test]
fn without_fencing_pauses_are_caught_in_some_seeds() {
    let caught = (0..120)
        .filter(|&seed| !run(seed, false, true).violations.is_empty())
        .count();
    // 19 of 120 when written.
    assert!(caught >= 10, "only {caught} of 120 seeds caught");
    assert!(
        caught < 120,
        "every seed caught: the checker fires too easily"
    );
}

#[test]
fn without_faults_the_lease_alone_is_safe() {
    for seed in 0..60 {
        let sim = run(seed, false, false);
        assert!(
            sim.violations.is_empty(),
            "seed {seed}: {:?}",
            sim.violations
        );
        let holders: Vec<NodeId> = sim.accepted().iter().map(|w| w.1).collect();
        assert!(!holders.is_empty(), "seed {seed}: no write accepted");
    }
}

#[test]
fn runs_are_deterministic() {
    let a = run(7, false, true);
    let b = run(7, false, true);
    assert_eq!(a.events, b.events);
    assert_eq!(a.sent, b.sent);
}
