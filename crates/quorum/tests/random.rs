//! Seeded random runs: random delivery order, lost messages, skewed clocks and timeouts.

mod common;

use common::*;
use raftlab_quorum::*;

/// One client operation: (is_write, value as a number, 0 for "not set", invoked, returned).
/// `invoked` and `returned` are positions in the run's sequence of actions.
type Op = (bool, u64, u64, Option<u64>);

struct Run {
    net: Net,
    rng: Rng,
    seq: u64,
    ops: Vec<(RequestId, usize)>,
    history: Vec<Op>,
    seen: usize,
    siblings_seen: bool,
}

impl Run {
    fn new(seed: u64, config: Config) -> Run {
        let mut rng = Rng(seed);
        let mut net = Net::new(3, config);
        for s in net.skew.iter_mut() {
            *s = rng.below(100_001) as i64 - 50_000;
        }
        Run {
            net,
            rng,
            seq: 0,
            ops: Vec::new(),
            history: Vec::new(),
            seen: 0,
            siblings_seen: false,
        }
    }

    fn busy(&self, client: usize) -> bool {
        self.ops.iter().any(|&(_, c)| c == client)
    }

    fn issue(&mut self, client: usize, write: Option<u64>, via: NodeId) {
        let request = self.history.len() as RequestId + 1;
        self.history
            .push((write.is_some(), write.unwrap_or(0), self.seq, None));
        self.ops.push((request, client));
        match write {
            Some(v) => self.net.write(via, request, "x", &v.to_string()),
            None => self.net.read(via, request, "x"),
        }
    }

    /// Records the replies that came since the last call.
    fn collect(&mut self) {
        self.seq += 1;
        while self.seen < self.net.replies.len() {
            let (request, reply, _) = self.net.replies[self.seen].clone();
            self.seen += 1;
            self.ops.retain(|o| o.0 != request);
            let op = &mut self.history[request as usize - 1];
            match reply {
                Reply::WriteOk { .. } => op.3 = Some(self.seq),
                Reply::ReadOk { values } => {
                    let vector = self.net.config.versions == Versions::Vector;
                    assert!(
                        vector || values.len() <= 1,
                        "LWW and counters keep one value"
                    );
                    self.siblings_seen |= values.len() > 1;
                    // With siblings, the register's value is taken as the highest one.
                    op.1 = values
                        .iter()
                        .map(|v| v.0.parse().unwrap())
                        .max()
                        .unwrap_or(0);
                    op.3 = Some(self.seq);
                }
                Reply::Timeout => {}
                Reply::Failed { reason } => panic!("{reason}"),
            }
        }
    }

    /// Random network actions and client requests: `writers` clients write increasing values
    /// (through S1 only when `one_coordinator`, else through any server), two clients read.
    fn play(&mut self, steps: usize, writers: usize, one_coordinator: bool) {
        let mut next_value = 1;
        for _ in 0..steps {
            match self.rng.below(10) {
                0..=4 if !self.net.queue.is_empty() => {
                    let i = self.rng.below(self.net.queue.len() as u64) as usize;
                    let m = self.net.queue.remove(i);
                    if self.rng.below(20) != 0 {
                        self.net.step(m.to, Input::Message(m));
                    }
                }
                5 | 6 => {
                    let dt = self.rng.below(4_000);
                    self.net.advance(dt);
                }
                7 => {
                    let c = self.rng.below(writers as u64) as usize;
                    if !self.busy(c) {
                        let via = if one_coordinator {
                            1
                        } else {
                            self.rng.below(3) as NodeId + 1
                        };
                        self.issue(c, Some(next_value), via);
                        next_value += 1;
                    }
                }
                _ => {
                    let c = 10 + self.rng.below(2) as usize;
                    if !self.busy(c) {
                        let via = self.rng.below(3) as NodeId + 1;
                        self.issue(c, None, via);
                    }
                }
            }
            self.collect();
        }
        for _ in 0..10 {
            self.net.advance(50_000);
            self.collect();
        }
    }

    /// For a single-writer register with increasing values, the reads that break
    /// linearizability: a read older than a write acknowledged before it began, or older than
    /// a read that returned before it began (new then old).
    fn stale_reads(&self) -> usize {
        let done = |op: &Op, before: u64| op.3.is_some_and(|r| r < before);
        self.history
            .iter()
            .filter(|rd| !rd.0 && rd.3.is_some())
            .filter(|rd| self.history.iter().any(|o| done(o, rd.2) && o.1 > rd.1))
            .count()
    }
}

fn cfg(versions: Versions, read_repair: ReadRepair) -> Config {
    Config {
        write_quorum: 2,
        read_quorum: 2,
        versions,
        read_repair,
        request_timeout_us: 20_000,
        ..Config::default()
    }
}

const SEEDS: u64 = 300;

#[test]
fn blocking_read_repair_never_loses_or_reorders_a_single_writer_register() {
    let mut reads = 0;
    for seed in 0..SEEDS {
        let mut run = Run::new(seed, cfg(Versions::Lww, ReadRepair::Blocking));
        run.play(400, 1, true);
        assert!(
            run.net.violations.is_empty(),
            "seed {seed}: {:?}",
            run.net.violations
        );
        assert_eq!(run.stale_reads(), 0, "seed {seed}: {:?}", run.history);
        reads += run.history.iter().filter(|o| !o.0 && o.3.is_some()).count();
    }
    assert!(
        reads > 20 * SEEDS as usize,
        "the runs answered only {reads} reads"
    );
}

#[test]
fn without_blocking_repair_some_reads_go_back_in_time() {
    for repair in [ReadRepair::Off, ReadRepair::Async] {
        let stale: usize = (0..SEEDS)
            .map(|seed| {
                let mut run = Run::new(seed, cfg(Versions::Lww, repair));
                run.play(400, 1, true);
                assert!(run.net.violations.is_empty(), "one coordinator: no loss");
                run.stale_reads()
            })
            .sum();
        assert!(stale > 0, "{repair:?}: no stale read in {SEEDS} seeds");
    }
}

#[test]
fn lww_with_skewed_clocks_loses_acknowledged_writes_in_some_seeds() {
    let caught = (0..SEEDS)
        .filter(|&seed| {
            let mut run = Run::new(seed, cfg(Versions::Lww, ReadRepair::Off));
            run.play(400, 2, false);
            run.net
                .violations
                .iter()
                .all(|v| v.property == "acked_write_lost")
                && !run.net.violations.is_empty()
        })
        .count();
    assert!(caught > 0, "no seed lost a write");
}

#[test]
fn counters_read_first_and_lose_no_sequential_write() {
    for seed in 0..SEEDS {
        let mut run = Run::new(seed, cfg(Versions::Counter, ReadRepair::Off));
        run.play(400, 2, false);
        assert!(
            run.net.violations.is_empty(),
            "seed {seed}: {:?}",
            run.net.violations
        );
    }
}

#[test]
fn vector_clocks_lose_no_write_even_without_overlap() {
    let mut with_siblings = 0;
    for seed in 0..SEEDS {
        let config = Config {
            write_quorum: 1,
            read_quorum: 1,
            ..cfg(Versions::Vector, ReadRepair::Async)
        };
        let mut run = Run::new(seed, config);
        run.play(400, 2, false);
        assert!(
            run.net.violations.is_empty(),
            "seed {seed}: {:?}",
            run.net.violations
        );
        with_siblings += run.siblings_seen as usize;
    }
    assert!(with_siblings > 0, "no run produced concurrent writes");
}
