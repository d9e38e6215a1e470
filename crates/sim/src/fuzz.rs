//! Random fault campaigns: a seed becomes a scenario full of crashes, restarts, partitions,
//! isolations, message loss and duplication, forced timeouts and client writes, followed by a
//! liveness phase. A failing campaign is its own reproducer: the scenario file.

use crate::run::{run, Outcome};
use crate::scenario::{Action, ConfigPatch, Scenario, SimConfig, Target, TimedAction, MAX_NODES};
use raftlab_raft::{Bugs, Micros, NodeId, ReadMode};
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg32;

/// What campaigns to generate.
#[derive(Clone, Debug, PartialEq)]
pub struct FuzzOptions {
    /// Cluster sizes to pick from.
    pub nodes: Vec<u32>,
    /// Length of the fault phase.
    pub until_us: Micros,
    /// Bound for the liveness phase.
    pub liveness_us: Micros,
    /// Bugs to inject (to show the checker catches them).
    pub bugs: Bugs,
    /// Run every campaign with PreVote on (thesis 9.6).
    pub pre_vote: bool,
    /// Run every campaign with CheckQuorum on (thesis 6.2).
    pub check_quorum: bool,
    /// Add leadership transfers (thesis 3.10) to the campaigns' actions.
    pub transfer: bool,
    /// Add client reads in every mode (thesis 6.4); the ReadIndex reads, and the lease
    /// reads when CheckQuorum is on, must be linearizable.
    pub reads: bool,
    /// Turn log compaction on (paper section 7) with a small random `snapshot_threshold` (3 to
    /// 20 entries), so that snapshots and InstallSnapshot happen often.
    pub snapshots: bool,
    /// Add membership changes (thesis 4.1): servers added (new ones started, up to 9) and
    /// removed, one at a time, among the campaign's faults.
    pub membership: bool,
    /// Add process pauses (50 ms to 2 s, the `pause` fault) among the faults: half of the
    /// crashes become pauses.
    pub pauses: bool,
    /// Flexible quorums (Flexible Paxos): each campaign draws an election quorum Q1 and a
    /// commit quorum Q2 of this kind.
    pub flexible: Option<Flexible>,
}

/// Which flexible quorums a campaign draws.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flexible {
    /// Q1 + Q2 > N and 2 Q1 > N: every election quorum meets every commit quorum and every
    /// other election quorum, so Raft stays safe. (Flexible Paxos needs only the first,
    /// because its ballots are unique to a proposer; Raft's terms are not: with 2 Q1 <= N two
    /// candidates can both win one term, and Election Safety breaks.)
    Intersecting,
    /// Q1 + Q2 <= N: they need not meet; the checker should catch two leaders committing
    /// different entries in some campaigns.
    Disjoint,
}

impl Default for FuzzOptions {
    fn default() -> Self {
        FuzzOptions {
            nodes: vec![3, 5, 7],
            until_us: 10_000_000,
            liveness_us: 10_000_000,
            bugs: Bugs::default(),
            pre_vote: false,
            check_quorum: false,
            transfer: false,
            reads: false,
            snapshots: false,
            membership: false,
            pauses: false,
            flexible: None,
        }
    }
}

struct Dice(Pcg32);

impl Dice {
    fn below(&mut self, n: u64) -> u64 {
        ((self.0.next_u64() as u128 * n as u128) >> 64) as u64
    }
    fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    fn rate(&mut self, max_percent: u64) -> f64 {
        self.range(0, max_percent) as f64 / 100.0
    }
}

/// The campaign for `seed`: a scenario whose seed is `seed`.
pub fn campaign(seed: u64, options: &FuzzOptions) -> Scenario {
    let mut dice = Dice(Pcg32::seed_from_u64(seed ^ 0x5EED_CA3E_0000_0000));
    let sizes = if options.nodes.is_empty() {
        &[5][..]
    } else {
        &options.nodes[..]
    };
    let nodes = sizes[dice.below(sizes.len() as u64) as usize];
    let mut config = SimConfig {
        bugs: options.bugs,
        pre_vote: options.pre_vote,
        check_quorum: options.check_quorum,
        ..SimConfig::default()
    };
    if dice.below(3) == 0 {
        config.drop_rate = dice.rate(30);
    }
    if dice.below(3) == 0 {
        config.duplicate_rate = dice.rate(10);
    }
    let mut events = Vec::new();
    let mut t: Micros = dice.range(0, 300_000);
    let mut value = 0u64;
    // Servers started so far (membership changes add some).
    let mut servers = nodes;
    let node = |dice: &mut Dice, servers: u32| -> Target {
        if dice.below(3) == 0 {
            Target::Leader
        } else {
            Target::Node(dice.range(1, servers as u64) as NodeId)
        }
    };
    while t < options.until_us {
        let action = match dice.below(100) {
            // With reads on, a third of the client requests are reads, in a random mode (the
            // dice are drawn only then, so campaigns without reads stay as they were).
            0..=34 if options.reads && dice.below(3) == 0 => Action::ClientRead {
                node: if dice.below(3) == 0 {
                    Some(node(&mut dice, servers))
                } else {
                    None
                },
                key: ["x", "y", "z", "w"][dice.below(4) as usize].to_string(),
                mode: ReadMode::ALL[dice.below(4) as usize],
            },
            // With membership changes on, some client requests become changes: an added
            // server may be a new one (up to 9).
            0..=34 if options.membership && dice.below(5) == 0 => {
                if dice.below(2) == 0 {
                    let id = dice.range(1, (servers + 1).min(MAX_NODES) as u64) as NodeId;
                    servers = servers.max(id);
                    Action::AddServer(id)
                } else {
                    Action::RemoveServer(dice.range(1, servers as u64) as NodeId)
                }
            }
            0..=34 => {
                value += 1;
                let key = ["x", "y", "z", "w"][dice.below(4) as usize].to_string();
                let target = if dice.below(3) == 0 {
                    Some(node(&mut dice, servers))
                } else {
                    None
                };
                Action::ClientWrite {
                    node: target,
                    key,
                    value: value.to_string(),
                }
            }
            35..=37 => Action::ClientDelete {
                node: None,
                key: ["x", "y", "z", "w"][dice.below(4) as usize].to_string(),
            },
            38..=47 if options.pauses && dice.below(2) == 0 => {
                Action::Pause(node(&mut dice, servers), dice.range(50_000, 2_000_000))
            }
            38..=47 => Action::Crash(node(&mut dice, servers)),
            48..=57 => Action::Restart(node(&mut dice, servers)),
            58..=64 => {
                let count = dice.range(2, 3) as usize;
                let mut groups = vec![Vec::new(); count];
                for n in 1..=servers {
                    groups[dice.below(count as u64) as usize].push(n);
                }
                groups.retain(|g| !g.is_empty());
                Action::Partition(groups)
            }
            65..=69 => Action::Isolate(node(&mut dice, servers)),
            70..=79 => Action::Heal,
            // With transfers on, half of the forced timeouts become leadership transfers (the
            // dice are drawn only then, so campaigns without them stay as they were).
            // With reads on, some forced timeouts become clock faults within the drift bound
            // leases assume (10%): lease reads must stay linearizable.
            80..=87 if options.reads && dice.below(4) == 0 => Action::ClockRate(
                node(&mut dice, servers),
                0.92 + dice.below(17) as f64 / 100.0,
            ),
            80..=87 if options.transfer && dice.below(2) == 0 => {
                Action::TransferLeadership(dice.range(1, servers as u64) as NodeId)
            }
            80..=87 => Action::Timeout(node(&mut dice, servers)),
            88..=92 => Action::Set(ConfigPatch {
                drop_rate: Some(dice.rate(30)),
                ..ConfigPatch::default()
            }),
            _ => Action::Set(ConfigPatch {
                duplicate_rate: Some(dice.rate(10)),
                ..ConfigPatch::default()
            }),
        };
        events.push(TimedAction { at_us: t, action });
        t += dice.range(5_000, 250_000);
    }
    // Drawn last, so that the campaign's actions are the same with and without snapshots.
    if options.snapshots {
        config.snapshot_threshold = dice.range(3, 20);
    }
    let n = u64::from(nodes);
    match options.flexible {
        Some(Flexible::Intersecting) => {
            let q1 = dice.range(n / 2 + 1, n);
            config.election_quorum = q1 as u32;
            config.commit_quorum = dice.range(n + 1 - q1, n) as u32;
        }
        Some(Flexible::Disjoint) if n >= 2 => {
            let q1 = dice.range(1, n - 1);
            config.election_quorum = q1 as u32;
            config.commit_quorum = dice.range(1, n - q1) as u32;
        }
        _ => {}
    }
    Scenario {
        seed,
        nodes,
        until_us: options.until_us,
        config,
        events,
        liveness_us: Some(options.liveness_us),
        system: Default::default(),
    }
}

/// Runs the campaign for `seed`; on failure returns the scenario that reproduces it with the
/// outcome.
pub fn fuzz_one(seed: u64, options: &FuzzOptions) -> Result<Outcome, Box<(Scenario, Outcome)>> {
    let scenario = campaign(seed, options);
    let outcome = run(&scenario, None, true);
    if outcome.violations.is_empty() {
        Ok(outcome)
    } else {
        Err(Box::new((scenario, outcome)))
    }
}
