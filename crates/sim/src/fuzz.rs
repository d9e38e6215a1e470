//! Random fault campaigns: a seed becomes a scenario full of crashes, restarts, partitions,
//! isolations, message loss and duplication, forced timeouts and client writes, followed by a
//! liveness phase. A failing campaign is its own reproducer: the scenario file.

use crate::run::{run, Outcome};
use crate::scenario::{Action, ConfigPatch, Scenario, SimConfig, Target, TimedAction, MAX_NODES};
use crate::system::{System, SystemConfig};
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
    /// Which system the campaigns run (Raft by default); the other systems have fault mixes
    /// of their own ([`campaign`]).
    pub system: System,
    /// For the other systems: draw settings that do not keep their promise (quorums: read
    /// repair off or asynchronous, any coordinator, clock faults; lease: no fencing), so that
    /// the checker should catch violations in some campaigns. Otherwise the settings are safe
    /// (quorums: blocking read repair, R + W > N, one writer; lease: fencing).
    pub unsafe_settings: bool,
    /// With `unsafe_settings` and the quorum system, the one unsafe setting the campaigns
    /// draw, so that each is shown caught on its own; `None`: all of them together.
    pub quorum_flaw: Option<QuorumFlaw>,
}

/// One way a leaderless-quorum campaign breaks its promise (`FuzzOptions::quorum_flaw`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QuorumFlaw {
    /// Read repair off or asynchronous; R + W > N, one writer and true clocks are kept: a
    /// read may see a write in progress and a later read the older value (not linearizable).
    Repair,
    /// Last-write-wins stamps from clocks running at 0.5 to 1.5 times real speed, writes
    /// through any server; blocking read repair and R + W > N are kept: a newer write may
    /// carry an older stamp and be lost although acknowledged.
    Skew,
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
            system: System::Raft,
            unsafe_settings: false,
            quorum_flaw: None,
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
    match options.system {
        System::Raft => raft_campaign(seed, options),
        System::Quorum => quorum_campaign(seed, options),
        System::Lease => lease_campaign(seed, options),
    }
}

/// The faults every system's campaign draws from: crashes, restarts, pauses, partitions,
/// isolations, heals, clock rates, loss and duplication.
fn fault(dice: &mut Dice, servers: u32, clocks: (u64, u64), first: u32) -> Action {
    let node =
        |dice: &mut Dice| Target::Node(dice.range(u64::from(first), u64::from(servers)) as NodeId);
    match dice.below(100) {
        0..=14 => Action::Crash(node(dice)),
        15..=29 => Action::Restart(node(dice)),
        30..=44 => Action::Pause(node(dice), dice.range(50_000, 2_500_000)),
        45..=54 => {
            let count = dice.range(2, 3) as usize;
            let mut groups = vec![Vec::new(); count];
            for n in 1..=servers {
                groups[dice.below(count as u64) as usize].push(n);
            }
            groups.retain(|g| !g.is_empty());
            Action::Partition(groups)
        }
        55..=61 => Action::Isolate(node(dice)),
        62..=76 => Action::Heal,
        77..=86 if clocks.1 > clocks.0 => {
            Action::ClockRate(node(dice), dice.range(clocks.0, clocks.1) as f64 / 100.0)
        }
        77..=92 => Action::Set(ConfigPatch {
            drop_rate: Some(dice.rate(20)),
            ..ConfigPatch::default()
        }),
        _ => Action::Set(ConfigPatch {
            duplicate_rate: Some(dice.rate(10)),
            ..ConfigPatch::default()
        }),
    }
}

/// A leaderless-quorum campaign: client writes and reads of a few keys among the faults.
/// Safe settings: blocking read repair (ABD), R + W > N, and one writer (every write is
/// coordinated by S1, whose clock only moves forward, so its last-write-wins stamps follow
/// the writes' order); every read must then be linearizable and no acknowledged write may
/// be lost. Unsafe: read repair off or asynchronous, writes through any server, clocks
/// running at 0.5 to 1.5 times real speed.
fn quorum_campaign(seed: u64, options: &FuzzOptions) -> Scenario {
    let mut dice = Dice(Pcg32::seed_from_u64(seed ^ 0x0_0A11_0000_0000));
    let nodes = pick_size(&mut dice, options);
    let n = u64::from(nodes);
    let w = dice.range(1, n);
    let mut c = raftlab_quorum::Config {
        write_quorum: w as usize,
        read_quorum: dice.range(n + 1 - w, n) as usize,
        read_repair: raftlab_quorum::ReadRepair::Blocking,
        request_timeout_us: dice.range(50_000, 300_000),
        ..raftlab_quorum::Config::default()
    };
    // Which unsafe settings this campaign has (all of them without `quorum_flaw`).
    let flaw =
        |f: QuorumFlaw| options.unsafe_settings && options.quorum_flaw.is_none_or(|q| q == f);
    let (bad_repair, skewed) = (flaw(QuorumFlaw::Repair), flaw(QuorumFlaw::Skew));
    if bad_repair {
        c.read_repair = [
            raftlab_quorum::ReadRepair::Off,
            raftlab_quorum::ReadRepair::Async,
        ][dice.below(2) as usize];
    }
    if options.unsafe_settings && options.quorum_flaw.is_none() {
        c.read_quorum = dice.range(1, n) as usize;
    }
    let mut events = Vec::new();
    let mut t: Micros = dice.range(0, 100_000);
    let mut value = 0u64;
    while t < options.until_us {
        let key = ["x", "y"][dice.below(2) as usize].to_string();
        let action = match dice.below(100) {
            0..=29 => {
                value += 1;
                Action::ClientWrite {
                    node: Some(Target::Node(if skewed {
                        dice.range(1, n) as NodeId
                    } else {
                        1
                    })),
                    key,
                    value: value.to_string(),
                }
            }
            30..=64 => Action::ClientRead {
                node: Some(Target::Node(dice.range(1, n) as NodeId)),
                key,
                mode: ReadMode::Any,
            },
            _ => {
                // The one writer, S1, is a reliable process in the safe campaigns: it is
                // not crashed, paused or isolated (partitions still cut it off), which keeps
                // the writes of unknown outcome few enough for the linearizability search.
                let (clocks, first) = if skewed {
                    ((50, 150), 1)
                } else {
                    ((0, 0), 2.min(nodes))
                };
                fault(&mut dice, nodes, clocks, first)
            }
        };
        events.push(TimedAction { at_us: t, action });
        t += dice.range(5_000, 200_000);
    }
    // Safe campaigns end with a liveness phase. Anti-entropy is drawn last, so the faults and
    // requests are those of earlier versions for each seed. With it the replicas are held to
    // convergence; without it the phase only runs them with the faults gone (nothing is
    // promised). Unsafe campaigns are about safety, and stay as they were.
    let liveness_us = if options.unsafe_settings {
        None
    } else {
        c.anti_entropy_ms = [0, 50, 200][dice.below(3) as usize];
        Some(options.liveness_us)
    };
    Scenario {
        seed,
        nodes,
        until_us: options.until_us,
        config: SimConfig::default(),
        events,
        liveness_us,
        system: SystemConfig::Quorum(c),
    }
}

/// A lease-election campaign: no clients (the leader's writes to the resource are the
/// workload); pauses are frequent, and clocks may run at 0.7 to 1.3 times real speed.
/// Safe: fencing on. Unsafe: fencing off.
fn lease_campaign(seed: u64, options: &FuzzOptions) -> Scenario {
    let mut dice = Dice(Pcg32::seed_from_u64(seed ^ 0x1EA5_E000_0000_0000));
    // A store, a resource and at least two candidates.
    let sizes: Vec<u32> = options.nodes.iter().copied().filter(|&n| n >= 4).collect();
    let nodes = if sizes.is_empty() {
        4
    } else {
        sizes[dice.below(sizes.len() as u64) as usize]
    };
    let c = raftlab_lease::Config {
        fencing: !options.unsafe_settings,
        first_revision: 32,
        seed,
        ..raftlab_lease::Config::default()
    };
    let mut events = Vec::new();
    let mut t: Micros = dice.range(0, 300_000);
    while t < options.until_us {
        let action = if dice.below(3) == 0 {
            Action::Pause(Target::Leader, dice.range(500_000, 3_000_000))
        } else {
            fault(&mut dice, nodes, (70, 130), 1)
        };
        events.push(TimedAction { at_us: t, action });
        t += dice.range(50_000, 600_000);
    }
    Scenario {
        seed,
        nodes,
        until_us: options.until_us,
        config: SimConfig::default(),
        events,
        liveness_us: Some(options.liveness_us),
        system: SystemConfig::Lease(c),
    }
}

fn pick_size(dice: &mut Dice, options: &FuzzOptions) -> u32 {
    let sizes = if options.nodes.is_empty() {
        &[3][..]
    } else {
        &options.nodes[..]
    };
    sizes[dice.below(sizes.len() as u64) as usize]
}

fn raft_campaign(seed: u64, options: &FuzzOptions) -> Scenario {
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
