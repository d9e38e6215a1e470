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
