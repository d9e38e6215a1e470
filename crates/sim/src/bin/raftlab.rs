//! `raftlab`: run scenarios, fuzz the Raft core with random fault campaigns, explain a moment
//! of a run, benchmark the simulator. Exit codes: 0 ok, 1 a safety or liveness violation, 2
//! bad input.

use clap::{ArgGroup, Args, Parser, Subcommand};
use raftlab_raft::ReadMode;
use raftlab_raft::{Bugs, Index, Micros, NodeId};
use raftlab_sim::fuzz::{fuzz_one, FuzzOptions};
use raftlab_sim::lesson::Lesson;
use raftlab_sim::linearizability;
use raftlab_sim::run::{run, Outcome};
use raftlab_sim::scenario::{Action, Scenario, TimedAction, BUG_NAMES, MAX_UNTIL_MS};
use raftlab_sim::{Property, Simulation};
use std::io::{BufWriter, Read, Write};
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::Instant;

/// Like `println!`, but a closed standard output (`raftlab ... | head`) is not an error.
macro_rules! say {
    ($($arg:tt)*) => {{
        let _ = writeln!(std::io::stdout(), $($arg)*);
    }};
}

#[derive(Parser)]
#[command(
    name = "raftlab",
    version,
    about = "Deterministic Raft cluster simulator with a safety checker",
    long_about = "Deterministic Raft cluster simulator with a safety checker.\n\n\
        Exit codes: 0 ok, 1 a safety or liveness violation, 2 bad input."
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a scenario file and print a summary (leader, terms, commit indexes, violations).
    Run(RunArgs),
    /// Run random fault campaigns with the safety checker after every event.
    Fuzz(FuzzArgs),
    /// Measure simulated events per second, with and without the checker.
    Bench(BenchArgs),
    /// Print the scenario of one fuzz campaign (what `fuzz` runs for that seed).
    Campaign(CampaignArgs),
    /// Print the share link (URL fragment) of a scenario file, or read a link back.
    Link(LinkArgs),
    /// Explain, in plain words, a server, a log entry or a message at a moment of a run; or
    /// list the messages on the wire then.
    Explain(ExplainArgs),
    /// Check lessons (docs/lesson-format.md), index them, or print a lesson's run.
    #[command(subcommand)]
    Lesson(LessonCommand),
}

#[derive(Subcommand)]
enum LessonCommand {
    /// Validate each lesson and run it headless: every step's moment comes, in order, its
    /// facts hold there, and every task's "Show me" reaches its goal.
    Check {
        /// Lesson files (JSON); `-` reads standard input.
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Print the JSON index of the lessons, in the order given: `[{"id", "title", "summary",
    /// "topics", "steps", "nodes", "system"}]` (what `lessons/index.json` holds).
    Index {
        /// Lesson files (JSON).
        #[arg(required = true, value_name = "FILE")]
        files: Vec<String>,
    },
    /// Play a lesson's checked run and print its trace or its scenario: the run in force at
    /// the last step (or at step N), up to that step's moment (or its task's goal).
    Run(LessonRunArgs),
}

#[derive(Args)]
#[command(group(ArgGroup::new("output").required(true).args(["trace", "scenario"])))]
struct LessonRunArgs {
    /// Lesson file (JSON); `-` reads standard input.
    file: String,
    /// Write the run's NDJSON trace (with the "Show me" actions' effects and the `final`
    /// lines) to PATH, or to standard output with `-`.
    #[arg(long, value_name = "PATH|-")]
    trace: Option<String>,
    /// Print the run as one scenario (its events and the "Show me" actions at their
    /// moments, `until_ms` at the end): `raftlab run` on it replays the run exactly.
    #[arg(long)]
    scenario: bool,
    /// Stop after step N (from 1) instead of the last step.
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    step: Option<u64>,
}

#[derive(Args)]
#[command(group(ArgGroup::new("what").required(true).args(["node", "message", "messages"])))]
struct ExplainArgs {
    /// Scenario file (JSON); `-` reads standard input.
    file: String,
    /// The moment of the run, in milliseconds (up to 3 decimals), from 0 to the end of the
    /// run (`until_ms`, plus the liveness phase when the scenario has one).
    #[arg(long, value_name = "MS", value_parser = parse_position, allow_hyphen_values = true)]
    at: Micros,
    /// Explain server N: its role and why, its timer, its last refusal.
    #[arg(long, value_name = "N")]
    node: Option<NodeId>,
    /// With --node: explain the entry at index I of that server's log (why it is, or is not,
    /// committed).
    #[arg(long, value_name = "I", requires = "node")]
    index: Option<Index>,
    /// Explain the message with this id (the trace's `msg.id`) while it is on the wire.
    #[arg(long, value_name = "ID")]
    message: Option<u64>,
    /// List the messages on the wire at that moment (id, from, to, type, sent, arrives,
    /// held, lost).
    #[arg(long)]
    messages: bool,
    /// Print JSON: `{"lines":[...],"title":...}`, or `{"at_ms":...,"messages":[...]}` with
    /// --messages.
    #[arg(long)]
    json: bool,
}

#[derive(Args)]
#[command(group(ArgGroup::new("input").required(true).args(["file", "decode"])))]
struct LinkArgs {
    /// Scenario file (JSON); `-` reads standard input. Its link's fragment (without the `#`)
    /// is printed.
    file: Option<String>,
    /// The moment of the run the link points at, in milliseconds (up to 3 decimals).
    #[arg(long, value_name = "MS", requires = "file", value_parser = parse_position, allow_hyphen_values = true)]
    position_ms: Option<Micros>,
    /// Read this link (the fragment, with or without `#`, or a whole URL; `-` reads standard
    /// input) and print its scenario as JSON; its position goes to standard error.
    #[arg(
        long,
        value_name = "TEXT",
        conflicts_with = "position_ms",
        allow_hyphen_values = true
    )]
    decode: Option<String>,
}

#[derive(Args)]
struct CampaignArgs {
    /// The campaign's seed.
    seed: u64,
    /// Cluster sizes to draw from, comma-separated (1 to 9).
    #[arg(long, default_value = "3,5,7", value_name = "LIST", value_parser = parse_nodes)]
    nodes: NodeList,
    /// Simulated length of the fault phase, in milliseconds.
    #[arg(long, default_value_t = 10_000, value_name = "MS", value_parser = parse_until)]
    until_ms: u64,
    #[command(flatten)]
    features: Features,
}

#[derive(Args)]
struct RunArgs {
    /// Scenario file (JSON, see docs/scenario-format.md); `-` reads standard input.
    file: String,
    /// Use this seed instead of the scenario's.
    #[arg(long, value_name = "N", allow_hyphen_values = true)]
    seed: Option<u64>,
    /// Stop at this simulated time (milliseconds) instead of the scenario's `until_ms`.
    #[arg(long, value_name = "MS", value_parser = parse_until, allow_hyphen_values = true)]
    until_ms: Option<u64>,
    /// Write the NDJSON trace to PATH, or to standard output with `-` (the summary then goes
    /// to standard error).
    #[arg(long, value_name = "PATH|-")]
    trace: Option<String>,
}

/// Optional Raft features a campaign runs with.
#[derive(Args, Debug, Clone, Copy)]
struct Features {
    /// Turn PreVote on in every campaign (thesis 9.6).
    #[arg(long)]
    pre_vote: bool,
    /// Turn CheckQuorum on in every campaign (thesis 6.2).
    #[arg(long)]
    check_quorum: bool,
    /// Add leadership transfers (thesis 3.10) to the campaigns' actions.
    #[arg(long)]
    transfer: bool,
    /// Add client reads in every mode (thesis 6.4) and check linearizability.
    #[arg(long)]
    reads: bool,
    /// Turn log compaction on (paper section 7) with a small random snapshot threshold, so
    /// snapshots and InstallSnapshot happen often.
    #[arg(long)]
    snapshots: bool,
    /// Add membership changes (thesis 4.1): servers added (new ones started, up to 9) and
    /// removed, one at a time.
    #[arg(long)]
    membership: bool,
    /// Add process pauses (the `pause` fault, 50 ms to 2 s): half of the crashes become
    /// pauses.
    #[arg(long)]
    pauses: bool,
    /// Flexible quorums (Flexible Paxos): each campaign draws an election quorum Q1 and a
    /// commit quorum Q2 that intersect (Q1 + Q2 > N, and 2 Q1 > N since Raft's terms are not
    /// unique to a candidate: safe), or with `--flexible disjoint`,
    /// that need not (Q1 + Q2 <= N: the checker should catch violations). Pauses are added.
    #[arg(long, value_name = "KIND", num_args = 0..=1, default_missing_value = "intersecting")]
    flexible: Option<FlexibleArg>,
    /// Turn every optional feature on (PreVote, CheckQuorum, leadership transfers, reads,
    /// snapshots, membership changes, pauses).
    #[arg(long)]
    all_features: bool,
    /// The system the campaigns run, with a fault mix of its own: raft (the default),
    /// quorum (leaderless quorums: client writes and reads among crashes, pauses,
    /// partitions and loss) or lease (lease election on a CAS store: frequent pauses of the
    /// leader, clock rates, partitions). The Raft options above apply to raft only.
    #[arg(long, value_name = "SYSTEM", default_value = "raft")]
    system: SystemArg,
    /// With --system quorum or lease: draw settings that break the system's promise
    /// (quorum: read repair off or asynchronous, any coordinator, skewed clocks; lease: no
    /// fencing), so that the checker should catch violations in some campaigns. Without it
    /// the settings are safe (quorum: blocking read repair, R + W > N, one writer; lease:
    /// fencing) and no campaign should fail. For quorums, one flaw alone: `--unsafe repair`
    /// (read repair off or asynchronous, all else safe) or `--unsafe skew` (last-write-wins
    /// stamps from skewed clocks, writes through any server, all else safe).
    #[arg(long = "unsafe", value_name = "FLAW", num_args = 0..=1, default_missing_value = "all")]
    unsafe_settings: Option<UnsafeArg>,
}

/// The values of `--unsafe`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
enum UnsafeArg {
    /// Every unsafe setting of the system at once.
    All,
    /// Quorums: read repair off or asynchronous.
    Repair,
    /// Quorums: last-write-wins with skewed clocks.
    Skew,
}

/// The values of `--system`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum SystemArg {
    /// Raft.
    Raft,
    /// Leaderless quorum replication.
    Quorum,
    /// Leader election by a lease on a CAS store.
    Lease,
}

/// The kinds of `--flexible`.
#[derive(Clone, Copy, Debug, clap::ValueEnum)]
enum FlexibleArg {
    /// Q1 + Q2 > N.
    Intersecting,
    /// Q1 + Q2 <= N.
    Disjoint,
}

impl Features {
    fn apply(self, options: &mut FuzzOptions) {
        options.pre_vote = self.pre_vote || self.all_features;
        options.check_quorum = self.check_quorum || self.all_features;
        options.transfer = self.transfer || self.all_features;
        options.reads = self.reads || self.all_features;
        options.snapshots = self.snapshots || self.all_features;
        options.membership = self.membership || self.all_features;
        options.flexible = self.flexible.map(|f| match f {
            FlexibleArg::Intersecting => raftlab_sim::fuzz::Flexible::Intersecting,
            FlexibleArg::Disjoint => raftlab_sim::fuzz::Flexible::Disjoint,
        });
        options.pauses = self.pauses || self.all_features || self.flexible.is_some();
        options.system = match self.system {
            SystemArg::Raft => raftlab_sim::system::System::Raft,
            SystemArg::Quorum => raftlab_sim::system::System::Quorum,
            SystemArg::Lease => raftlab_sim::system::System::Lease,
        };
        options.unsafe_settings = self.unsafe_settings.is_some();
        options.quorum_flaw = match self.unsafe_settings {
            Some(UnsafeArg::Repair) => Some(raftlab_sim::fuzz::QuorumFlaw::Repair),
            Some(UnsafeArg::Skew) => Some(raftlab_sim::fuzz::QuorumFlaw::Skew),
            _ => None,
        };
    }
}

#[derive(Args)]
struct FuzzArgs {
    /// Number of campaigns (one seed each).
    #[arg(long, default_value_t = 100, value_name = "N", value_parser = clap::value_parser!(u64).range(1..))]
    seeds: u64,
    /// First seed.
    #[arg(long, default_value_t = 0, value_name = "S")]
    from_seed: u64,
    /// Cluster sizes to draw from, comma-separated (1 to 9).
    #[arg(long, default_value = "3,5,7", value_name = "LIST", value_parser = parse_nodes)]
    nodes: NodeList,
    /// Simulated length of each campaign's fault phase, in milliseconds.
    #[arg(long, default_value_t = 10_000, value_name = "MS", value_parser = parse_until)]
    until_ms: u64,
    /// After the faults stop, the cluster must settle within this many milliseconds.
    #[arg(long, default_value_t = 10_000, value_name = "MS", value_parser = clap::value_parser!(u64).range(1..=3_600_000))]
    liveness_ms: u64,
    /// Inject a bug into every node (to see the checker catch it): commit_previous_term,
    /// skip_vote_log_check or unsafe_membership. May be repeated.
    #[arg(long = "bug", value_name = "NAME", value_parser = BUG_NAMES)]
    bugs: Vec<String>,
    #[command(flatten)]
    features: Features,
    /// Directory for reproducer scenario files.
    #[arg(long, default_value = "fuzz-failures", value_name = "DIR")]
    out: PathBuf,
    /// Worker threads (default: the number of CPUs).
    #[arg(long, value_name = "N", value_parser = clap::value_parser!(u64).range(1..=256))]
    jobs: Option<u64>,
}

#[derive(Args)]
struct BenchArgs {
    /// Cluster size.
    #[arg(long, default_value_t = 5, value_parser = clap::value_parser!(u32).range(1..=9))]
    nodes: u32,
    /// Simulated seconds per measurement.
    #[arg(long, default_value_t = 600, value_parser = clap::value_parser!(u64).range(1..=86_400))]
    sim_seconds: u64,
    /// Client writes per simulated second (spread evenly).
    #[arg(long, default_value_t = 20, value_parser = clap::value_parser!(u64).range(0..=1000))]
    writes_per_second: u64,
}

#[derive(Clone)]
struct NodeList(Vec<u32>);

fn parse_nodes(text: &str) -> Result<NodeList, String> {
    let mut sizes = Vec::new();
    for part in text.split(',') {
        let part = part.trim();
        match part.parse::<u32>() {
            Ok(n) if (1..=9).contains(&n) => sizes.push(n),
            Ok(n) => return Err(format!("{n} is not a cluster size from 1 to 9")),
            Err(_) => {
                return Err(format!(
                    "{part:?} is not a number; expected a list such as 3,5,7"
                ))
            }
        }
    }
    Ok(NodeList(sizes))
}

fn parse_until(text: &str) -> Result<u64, String> {
    match text.parse::<u64>() {
        Ok(n) if n <= MAX_UNTIL_MS => Ok(n),
        Ok(_) => Err(format!("at most {MAX_UNTIL_MS} ms (24 hours)")),
        Err(_) => Err(format!("{text:?} is not a whole number of milliseconds")),
    }
}

fn parse_position(text: &str) -> Result<Micros, String> {
    raftlab_sim::link::parse_ms(text)
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let result = match cli.command {
        Command::Run(args) => cmd_run(args),
        Command::Fuzz(args) => cmd_fuzz(args),
        Command::Bench(args) => cmd_bench(args),
        Command::Campaign(args) => {
            let mut options = FuzzOptions {
                nodes: args.nodes.0,
                until_us: args.until_ms * 1000,
                ..FuzzOptions::default()
            };
            args.features.apply(&mut options);
            let scenario = raftlab_sim::fuzz::campaign(args.seed, &options);
            let _ = std::io::stdout().write_all(scenario.to_pretty().as_bytes());
            Ok(ExitCode::SUCCESS)
        }
        Command::Link(args) => cmd_link(args),
        Command::Explain(args) => cmd_explain(args),
        Command::Lesson(LessonCommand::Check { files }) => cmd_lesson_check(&files),
        Command::Lesson(LessonCommand::Index { files }) => cmd_lesson_index(&files),
        Command::Lesson(LessonCommand::Run(args)) => cmd_lesson_run(args),
    };
    match result {
        Ok(code) => code,
        Err(message) => {
            eprintln!("raftlab: error: {message}");
            ExitCode::from(2)
        }
    }
}

fn read_scenario(file: &str) -> Result<Scenario, String> {
    let text = read_text(file)?;
    let scenario = Scenario::parse(&text).map_err(|e| format!("{file}: {e}"))?;
    // Raft-only events in another system's run are read (they do nothing), and said.
    for e in scenario.system_problems() {
        eprintln!("raftlab: note: {file}: {e} (ignored: it does nothing in this run)");
    }
    Ok(scenario)
}

fn read_lesson(file: &str) -> Result<Lesson, String> {
    let text = read_text(file)?;
    Lesson::parse(&text).map_err(|e| format!("{file}: {e}"))
}

/// A lessons index (a file named `index.json` holding a JSON list, as `lesson index` writes
/// it) is checked against the lesson files beside it: each entry must be exactly what
/// `lesson index` gives for `<dir>/<id>.json`. `None` when `file` is not an index; else the
/// number of entries, or what is wrong.
fn check_lesson_index(file: &str) -> Option<Result<usize, String>> {
    let path = std::path::Path::new(file);
    if path.file_name().is_none_or(|n| n != "index.json") {
        return None;
    }
    let text = read_text(file).ok()?;
    let Ok(raftlab_sim::json::Value::Array(entries)) = raftlab_sim::json::parse(&text) else {
        return None;
    };
    let dir = path.parent().unwrap_or(std::path::Path::new(""));
    let check = || {
        for (k, entry) in entries.iter().enumerate() {
            let id = entry
                .get("id")
                .and_then(|v| v.as_str())
                .ok_or_else(|| format!("entry {} has no \"id\" string", k + 1))?;
            let lesson_file = dir.join(format!("{id}.json"));
            let lesson = read_lesson(&lesson_file.to_string_lossy())
                .map_err(|e| format!("entry {} ({id}): {e}", k + 1))?;
            if *entry != lesson.index_entry() {
                return Err(format!(
                    "entry {} ({id}) differs from {}: write the index again with raftlab lesson index",
                    k + 1,
                    lesson_file.display()
                ));
            }
        }
        Ok(entries.len())
    };
    Some(check())
}

/// Checks each lesson: `ok FILE: N steps (moments)` or `FAIL FILE: step ...` on standard
/// output; an unreadable or malformed file on standard error. Exit 2 when a file could not be
/// read, else 1 when a lesson failed.
fn cmd_lesson_check(files: &[String]) -> Result<ExitCode, String> {
    use raftlab_sim::scenario::ms;
    let mut code = 0u8;
    for file in files {
        if let Some(result) = check_lesson_index(file) {
            match result {
                Ok(n) => say!("ok {file}: the index of {n} lessons matches their files"),
                Err(e) => {
                    say!("FAIL {file}: {e}");
                    code = code.max(1);
                }
            }
            continue;
        }
        let lesson = match read_lesson(file) {
            Ok(l) => l,
            Err(e) => {
                eprintln!("raftlab: error: {e}");
                code = 2;
                continue;
            }
        };
        match raftlab_sim::lesson::check(&lesson, None, false) {
            Ok(checked) => {
                let moments: Vec<String> = checked
                    .moments
                    .iter()
                    .map(|&t| format!("{} ms", ms(t)))
                    .collect();
                say!(
                    "ok {file}: {} steps ({})",
                    lesson.steps.len(),
                    moments.join(", ")
                );
            }
            Err(e) => {
                say!("FAIL {file}: {e}");
                code = code.max(1);
            }
        }
    }
    Ok(ExitCode::from(code))
}

fn cmd_lesson_index(files: &[String]) -> Result<ExitCode, String> {
    let mut list = Vec::new();
    for file in files {
        list.push(read_lesson(file)?.index_entry());
    }
    let mut out = raftlab_sim::json::Value::Array(list).to_pretty();
    out.push('\n');
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(ExitCode::SUCCESS)
}

fn cmd_lesson_run(args: LessonRunArgs) -> Result<ExitCode, String> {
    if args.scenario && args.trace.as_deref() == Some("-") {
        return Err(
            "--scenario and --trace - would both write to standard output; give --trace a file"
                .into(),
        );
    }
    let lesson = read_lesson(&args.file)?;
    let last = args.step.map(|n| n as usize);
    if let Some(n) = last.filter(|&n| n > lesson.steps.len()) {
        return Err(format!(
            "--step {n}: {} has {} steps",
            args.file,
            lesson.steps.len()
        ));
    }
    let mut checked = match raftlab_sim::lesson::check(&lesson, last, args.trace.is_some()) {
        Ok(c) => c,
        Err(e) => {
            eprintln!("FAIL {}: {e}", args.file);
            return Ok(ExitCode::from(1));
        }
    };
    if args.scenario {
        let _ = std::io::stdout().write_all(checked.run.scenario().to_pretty().as_bytes());
    }
    if let Some(path) = args.trace.as_deref() {
        checked.run.finish();
        let mut text = String::new();
        for e in checked.run.trace() {
            text.push_str(&e.to_json());
            text.push('\n');
        }
        if path == "-" {
            let _ = std::io::stdout().write_all(text.as_bytes());
        } else {
            std::fs::write(path, text)
                .map_err(|e| format!("cannot write the trace to {path}: {e}"))?;
        }
    }
    Ok(ExitCode::SUCCESS)
}

fn read_text(file: &str) -> Result<String, String> {
    let mut text = String::new();
    if file == "-" {
        std::io::stdin()
            .read_to_string(&mut text)
            .map_err(|e| format!("cannot read standard input: {e}"))?;
    } else {
        let meta = std::fs::metadata(file).map_err(|e| format!("cannot read {file}: {e}"))?;
        if meta.len() > 64 << 20 {
            return Err(format!(
                "{file} is {} MB; a file is at most 64 MB",
                meta.len() >> 20
            ));
        }
        text = std::fs::read_to_string(file).map_err(|e| format!("cannot read {file}: {e}"))?;
    }
    Ok(text)
}

fn cmd_link(args: LinkArgs) -> Result<ExitCode, String> {
    use raftlab_sim::link::{decode, encode, MAX_LINK_LEN};
    use raftlab_sim::scenario::ms;
    if let Some(text) = args.decode {
        let text = if text == "-" {
            let mut input = String::new();
            std::io::stdin()
                .read_to_string(&mut input)
                .map_err(|e| format!("cannot read standard input: {e}"))?;
            input
        } else {
            text
        };
        let link = decode(&text).map_err(|e| e.message)?;
        let _ = std::io::stdout().write_all(link.scenario.to_pretty().as_bytes());
        match link.position_us {
            Some(p) => eprintln!("position: {} ms", ms(p)),
            None => eprintln!("position: none"),
        }
        return Ok(ExitCode::SUCCESS);
    }
    let file = args.file.unwrap_or_default();
    let scenario = read_scenario(&file)?;
    if let Some(p) = args.position_ms {
        let end = scenario.until_us + scenario.liveness_us.unwrap_or(0);
        if p > end {
            return Err(format!(
                "--position-ms {} is after the end of the run ({} ms)",
                ms(p),
                ms(end)
            ));
        }
    }
    let link = encode(&scenario, args.position_ms);
    if link.len() > MAX_LINK_LEN {
        return Err(format!(
            "{file}: the link would be {} characters; a link has at most {MAX_LINK_LEN} (share the file instead)",
            link.len()
        ));
    }
    say!("{link}");
    Ok(ExitCode::SUCCESS)
}

fn cmd_explain(args: ExplainArgs) -> Result<ExitCode, String> {
    use raftlab_sim::explain::{explain, Target};
    use raftlab_sim::json::{Map, Value};
    use raftlab_sim::scenario::ms;
    let scenario = read_scenario(&args.file)?;
    let sim = raftlab_sim::run::run_to(&scenario, args.at).map_err(|end| {
        let settled = scenario
            .liveness_us
            .filter(|&l| end < scenario.until_us + l)
            .map(|_| {
                format!(
                    ", when the cluster settled {} ms after the faults stopped",
                    ms(end - scenario.until_us)
                )
            })
            .unwrap_or_default();
        format!(
            "--at {} ms is after the end of the run ({} ms{settled})",
            ms(args.at),
            ms(end)
        )
    })?;
    let mut out = String::new();
    if args.messages {
        let mut wire: Vec<_> = sim.in_flight().collect();
        wire.sort_by_key(|m| m.id);
        if args.json {
            let list: Vec<Value> = wire
                .iter()
                .map(|m| {
                    let mut o = Map::new();
                    o.insert("id".into(), m.id.into());
                    o.insert("from".into(), m.message.from().into());
                    o.insert("to".into(), m.message.to().into());
                    o.insert("type".into(), m.message.type_name().into());
                    o.insert("sent_ms".into(), ms(m.sent_at));
                    o.insert("arrives_ms".into(), ms(m.deliver_at));
                    o.insert("held".into(), m.held.into());
                    o.insert("lost".into(), m.lost.into());
                    Value::Object(o)
                })
                .collect();
            let mut o = Map::new();
            o.insert("at_ms".into(), ms(args.at));
            o.insert("messages".into(), list.into());
            out = Value::Object(o).to_json() + "\n";
        } else {
            out.push_str(&format!(
                "{} message(s) on the wire at {} ms\n",
                wire.len(),
                ms(args.at)
            ));
            if !wire.is_empty() {
                let width = wire
                    .iter()
                    .map(|m| m.message.type_name().len())
                    .max()
                    .unwrap_or(0);
                out.push_str(&format!(
                    "{:>6}  from  to   {:<width$}  {:>10}  {:>10}  held  lost\n",
                    "id", "type", "sent_ms", "arrives_ms"
                ));
                let yes = |b: bool| if b { "yes" } else { "no" };
                for m in &wire {
                    out.push_str(&format!(
                        "{:>6}  S{:<3} S{:<3} {:<width$}  {:>10}  {:>10}  {:<4}  {}\n",
                        m.id,
                        m.message.from(),
                        m.message.to(),
                        m.message.type_name(),
                        ms(m.sent_at).to_string(),
                        ms(m.deliver_at).to_string(),
                        yes(m.held),
                        yes(m.lost)
                    ));
                }
            }
        }
    } else {
        let target = match (args.node, args.index, args.message) {
            (Some(node), Some(index), _) => Target::Entry { node, index },
            (Some(node), None, _) => Target::Node { node },
            (None, _, id) => Target::Message {
                id: id.unwrap_or_default(),
            },
        };
        let e = explain(&sim, &target)?;
        if args.json {
            let mut o = Map::new();
            o.insert("title".into(), e.title.into());
            let lines: Vec<Value> = e.lines.into_iter().map(Value::from).collect();
            o.insert("lines".into(), lines.into());
            out = Value::Object(o).to_json() + "\n";
        } else {
            out.push_str(&e.title);
            out.push('\n');
            for line in &e.lines {
                out.push_str(&format!("  {line}\n"));
            }
        }
    }
    let _ = std::io::stdout().write_all(out.as_bytes());
    Ok(ExitCode::SUCCESS)
}

fn cmd_run(args: RunArgs) -> Result<ExitCode, String> {
    let mut scenario = read_scenario(&args.file)?;
    if let Some(seed) = args.seed {
        scenario.seed = seed;
    }
    if let Some(ms) = args.until_ms {
        scenario.until_us = ms * 1000;
    }
    let to_stdout = args.trace.as_deref() == Some("-");
    let sink: Option<Box<dyn Write>> = match args.trace.as_deref() {
        None => None,
        Some("-") => Some(Box::new(std::io::stdout().lock())),
        Some(path) => {
            Some(Box::new(std::fs::File::create(path).map_err(|e| {
                format!("cannot write the trace to {path}: {e}")
            })?))
        }
    };
    let write_error = std::rc::Rc::new(std::cell::RefCell::new(None::<String>));
    let trace = sink.map(|w| {
        let mut w = BufWriter::new(w);
        let error = write_error.clone();
        let sink: raftlab_sim::sim::TraceSink = Box::new(move |event| {
            if error.borrow().is_none() {
                if let Err(e) = writeln!(w, "{}", event.to_json()).and_then(|_| {
                    if matches!(event.kind, raftlab_sim::TraceKind::Final { .. }) {
                        w.flush()
                    } else {
                        Ok(())
                    }
                }) {
                    // A reader that stops early (`| head`) is not an error: the run goes on
                    // and its exit code tells what it found.
                    if e.kind() != std::io::ErrorKind::BrokenPipe {
                        *error.borrow_mut() = Some(e.to_string());
                    } else {
                        *error.borrow_mut() = Some(String::new());
                    }
                }
            }
        });
        sink
    });
    let outcome = run(&scenario, trace, false);
    if let Some(e) = write_error.borrow().as_ref().filter(|e| !e.is_empty()) {
        return Err(format!("writing the trace failed: {e}"));
    }
    let summary = summarize(&args.file, &scenario, &outcome);
    if to_stdout {
        eprint!("{summary}");
    } else {
        let _ = std::io::stdout().write_all(summary.as_bytes());
    }
    Ok(if outcome.violations.is_empty() {
        ExitCode::SUCCESS
    } else {
        ExitCode::from(1)
    })
}

fn summarize(file: &str, scenario: &Scenario, outcome: &Outcome) -> String {
    let mut s = String::new();
    s.push_str(&format!(
        "{file}: seed {}, {} nodes, {} actions, {} ms simulated, {} events\n",
        scenario.seed,
        scenario.nodes,
        scenario.events.len(),
        outcome.end_us / 1000,
        outcome.events
    ));
    let system = scenario.system.system();
    if system != raftlab_sim::system::System::Raft {
        s.push_str(&format!("system: {}\n", system.as_str()));
        if let raftlab_sim::system::SystemConfig::Quorum(c) = &scenario.system {
            // A setting, not a guarantee: the checker's verdict comes below.
            let (_, overlap) = raftlab_quorum::check::quorums_overlap(c, scenario.nodes as usize);
            s.push_str(&format!("quorums: {overlap}\n"));
        }
        for line in &outcome.other_nodes {
            s.push_str(line);
            s.push('\n');
        }
    } else {
        match outcome.leader {
            Some(l) => {
                let term = outcome.nodes[l as usize - 1].term;
                s.push_str(&format!("leader: S{l} in term {term}\n"));
            }
            None => s.push_str("leader: none\n"),
        }
        s.push_str("node  state      term  commit  log\n");
    }
    for n in &outcome.nodes {
        let state = if n.alive { n.role } else { "crashed" };
        s.push_str(&format!(
            "S{:<4} {:<10} {:>4}  {:>6}  {:>3}\n",
            n.id, state, n.term, n.commit_index, n.log_len
        ));
    }
    if let Some(t) = outcome.settled_after_us {
        s.push_str(&format!(
            "liveness: settled {:.1} ms after the faults stopped\n",
            t as f64 / 1000.0
        ));
    }
    if let Some(why) = outcome.liveness_unchecked {
        s.push_str(&format!("liveness: not checked: {why}\n"));
    }
    if let Some(u) = &outcome.linearizability_undecided {
        s.push_str(&format!("reads: undecided: {u}\n"));
    }
    match &outcome.linearizability {
        None => {}
        Some(Ok(())) => s.push_str("reads: the history (every read included) is linearizable\n"),
        Some(Err(e)) if system == raftlab_sim::system::System::Raft => s.push_str(&format!(
            "reads: the history with every read is NOT linearizable (stale modes may do that; ReadIndex and CheckQuorum leases may not): {e}\n"
        )),
        Some(Err(e)) => s.push_str(&format!(
            "reads: the history with every read is NOT linearizable: {e}\n"
        )),
    }
    if let Some(u) = &outcome.strict_linearizability_undecided {
        s.push_str(&format!(
            "safety: undecided for the reads held to linearizability: {u} (the checker's budget); they are not checked\n"
        ));
    }
    if outcome.violations.is_empty() && outcome.strict_linearizability_undecided.is_some() {
        s.push_str("safety: no other violation\n");
    } else if outcome.violations.is_empty() {
        s.push_str(match system {
            raftlab_sim::system::System::Raft => "safety: no violation (election safety, leader append-only, log matching, leader completeness, state machine safety, one vote per term, commit monotonic, single-server change, one change at a time)\n",
            raftlab_sim::system::System::Quorum => "safety: no violation (acknowledged write lost; every read held to linearizability)\n",
            raftlab_sim::system::System::Lease => "safety: no violation (two leaders act at once, write under a stale lease accepted)\n",
        });
    } else {
        s.push_str(&format!("VIOLATIONS: {}\n", outcome.violations.len()));
        for v in outcome.violations.iter().take(20) {
            s.push_str(&format!("  {v}\n"));
        }
    }
    s
}

fn cmd_fuzz(args: FuzzArgs) -> Result<ExitCode, String> {
    let mut bugs = Bugs::default();
    for b in &args.bugs {
        match b.as_str() {
            "commit_previous_term" => bugs.commit_previous_term = true,
            "unsafe_membership" => bugs.unsafe_membership = true,
            _ => bugs.skip_vote_log_check = true,
        }
    }
    let mut options = FuzzOptions {
        nodes: args.nodes.0.clone(),
        until_us: args.until_ms * 1000,
        liveness_us: args.liveness_ms * 1000,
        bugs,
        ..FuzzOptions::default()
    };
    args.features.apply(&mut options);
    if options.quorum_flaw.is_some() && options.system != raftlab_sim::system::System::Quorum {
        return Err(
            "--unsafe repair and --unsafe skew are flaws of the quorum system: add --system quorum, or give --unsafe alone"
                .into(),
        );
    }
    let jobs = args
        .jobs
        .unwrap_or_else(|| std::thread::available_parallelism().map_or(1, |n| n.get() as u64))
        .min(args.seeds) as usize;
    let bar = indicatif::ProgressBar::new(args.seeds);
    bar.set_style(
        indicatif::ProgressStyle::with_template(
            "{bar:40} {pos}/{len} seeds, {elapsed} elapsed, ~{eta} left {msg}",
        )
        .expect("valid template"),
    );
    let started = Instant::now();
    let next = AtomicU64::new(0);
    let events = AtomicU64::new(0);
    let slowest_settle = AtomicU64::new(0);
    let failures: Mutex<Vec<(u64, Scenario, Outcome)>> = Mutex::new(Vec::new());
    // Campaigns without a violation whose linearizability check could not decide within its
    // budget: neither passes nor failures.
    let undecided: Mutex<Vec<(u64, linearizability::Undecided)>> = Mutex::new(Vec::new());
    std::thread::scope(|scope| {
        for _ in 0..jobs {
            scope.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                if i >= args.seeds {
                    break;
                }
                let seed = args.from_seed.wrapping_add(i);
                match fuzz_one(seed, &options) {
                    Ok(outcome) => {
                        events.fetch_add(outcome.events, Ordering::Relaxed);
                        if let Some(u) = outcome.strict_linearizability_undecided {
                            undecided.lock().expect("no worker panics").push((seed, u));
                        }
                        slowest_settle
                            .fetch_max(outcome.settled_after_us.unwrap_or(0), Ordering::Relaxed);
                    }
                    Err(failure) => {
                        let (scenario, outcome) = *failure;
                        events.fetch_add(outcome.events, Ordering::Relaxed);
                        let mut list = failures.lock().expect("no worker panics");
                        list.push((seed, scenario, outcome));
                        bar.set_message(format!("{} failing", list.len()));
                    }
                }
                bar.inc(1);
            });
        }
    });
    bar.finish_and_clear();
    let elapsed = started.elapsed().as_secs_f64();
    let mut failures = failures.into_inner().expect("no worker panics");
    // Safety violations first: they matter more than a cluster that failed to settle.
    failures.sort_by_key(|f| (f.2.violations[0].property == Property::Liveness, f.0));
    let sizes: Vec<String> = options.nodes.iter().map(u32::to_string).collect();
    say!(
        "{} campaigns (seeds {}..={}), {} nodes, {} ms of faults then up to {} ms to settle; {} events in {:.1} s ({:.0} events/s)",
        args.seeds,
        args.from_seed,
        args.from_seed.wrapping_add(args.seeds - 1),
        sizes.join("/"),
        args.until_ms,
        args.liveness_ms,
        events.load(Ordering::Relaxed),
        elapsed,
        events.load(Ordering::Relaxed) as f64 / elapsed.max(1e-9)
    );
    let mut undecided = undecided.into_inner().expect("no worker panics");
    undecided.sort_by_key(|u| u.0);
    if !undecided.is_empty() {
        say!(
            "{} campaign(s) undecided, neither passed nor failed: the linearizability search gave up within its budget",
            undecided.len()
        );
        for (seed, u) in undecided.iter().take(10) {
            say!("  seed {seed}: {u}");
        }
        if undecided.len() > 10 {
            say!("  ... and {} more", undecided.len() - 10);
        }
    }
    if failures.is_empty() {
        say!(
            "no violation{}; slowest recovery after the faults stopped: {:.1} ms",
            if undecided.is_empty() {
                String::new()
            } else {
                format!(
                    " in the {} decided campaign(s)",
                    args.seeds - undecided.len() as u64
                )
            },
            slowest_settle.load(Ordering::Relaxed) as f64 / 1000.0
        );
        return Ok(ExitCode::SUCCESS);
    }
    std::fs::create_dir_all(&args.out)
        .map_err(|e| format!("cannot create {}: {e}", args.out.display()))?;
    let mut tally: std::collections::BTreeMap<&str, usize> = std::collections::BTreeMap::new();
    for (_, _, outcome) in &failures {
        *tally
            .entry(outcome.violations[0].property.name())
            .or_default() += 1;
    }
    let tally: Vec<String> = tally.iter().map(|(p, n)| format!("{p}: {n}")).collect();
    say!(
        "{} failing campaign(s) ({}):",
        failures.len(),
        tally.join(", ")
    );
    for (seed, scenario, outcome) in failures.iter().take(10) {
        let path = args.out.join(format!("seed-{seed}.json"));
        std::fs::write(&path, scenario.to_pretty())
            .map_err(|e| format!("cannot write {}: {e}", path.display()))?;
        say!("  seed {seed}: {}", outcome.violations[0]);
        say!("    replay: raftlab run {}", shell_path(&path));
    }
    if failures.len() > 10 {
        say!("  ... and {} more", failures.len() - 10);
    }
    Ok(ExitCode::from(1))
}

fn shell_path(path: &Path) -> String {
    let text = path.display().to_string();
    if text
        .chars()
        .all(|c| c.is_ascii_alphanumeric() || "/._-".contains(c))
    {
        text
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

fn cmd_bench(args: BenchArgs) -> Result<ExitCode, String> {
    let until_us = args.sim_seconds * 1_000_000;
    let mut scenario = Scenario {
        seed: 7,
        nodes: args.nodes,
        until_us,
        ..Scenario::default()
    };
    if let Some(gap) = 1_000_000u64.checked_div(args.writes_per_second) {
        let mut t = 1_000_000;
        let mut i = 0u64;
        while t < until_us {
            i += 1;
            scenario.events.push(TimedAction {
                at_us: t,
                action: Action::ClientWrite {
                    node: None,
                    key: format!("k{}", i % 10),
                    value: i.to_string(),
                },
            });
            t += gap;
        }
    }
    say!(
        "{} nodes, {} simulated seconds, {} client writes per second, default settings",
        args.nodes,
        args.sim_seconds,
        args.writes_per_second
    );
    for checker in [false, true] {
        let mut best = f64::MAX;
        let mut events = 0;
        for _ in 0..3 {
            let mut sim = Simulation::from_scenario(&scenario);
            sim.set_checker(checker);
            let start = Instant::now();
            sim.run_until(until_us, false);
            best = best.min(start.elapsed().as_secs_f64());
            events = sim.events_processed();
            if !sim.violations().is_empty() {
                return Err(format!(
                    "the benchmark run found a violation: {}",
                    sim.violations()[0]
                ));
            }
        }
        say!(
            "checker {:<3}: {} events in {:.3} s = {:.0} events/s (best of 3)",
            if checker { "on" } else { "off" },
            events,
            best,
            events as f64 / best
        );
    }
    bench_linearizability()?;
    Ok(ExitCode::SUCCESS)
}

/// Times the linearizability checker on a history of 10,000 operations over 10 keys, made by
/// a 5-node cluster under 100 client requests per second (half ReadIndex reads, a few lease
/// and leader-local reads), with a crash and a partition on the way.
fn bench_linearizability() -> Result<(), String> {
    let mut scenario = Scenario {
        seed: 11,
        nodes: 5,
        until_us: 104_000_000,
        ..Scenario::default()
    };
    scenario.config.check_quorum = true;
    let modes = [
        ReadMode::ReadIndex,
        ReadMode::Lease,
        ReadMode::ReadIndex,
        ReadMode::LeaderLocal,
    ];
    for i in 0..10_200u64 {
        let action = if i % 2 == 0 {
            Action::ClientWrite {
                node: None,
                key: format!("k{}", i % 10),
                value: i.to_string(),
            }
        } else {
            Action::ClientRead {
                node: None,
                key: format!("k{}", (i / 2) % 10),
                mode: modes[(i / 2 % 4) as usize],
            }
        };
        scenario.events.push(TimedAction {
            at_us: 1_000_000 + i * 10_000,
            action,
        });
    }
    for (at, action) in [
        (30_000_000, Action::Crash(raftlab_sim::Target::Leader)),
        (31_000_000, Action::Restart(raftlab_sim::Target::Node(1))),
        (
            60_000_000,
            Action::Partition(vec![vec![1, 2], vec![3, 4, 5]]),
        ),
        (61_000_000, Action::Heal),
    ] {
        scenario.events.push(TimedAction { at_us: at, action });
    }
    let trace = std::rc::Rc::new(std::cell::RefCell::new(Vec::new()));
    let sink = trace.clone();
    let mut sim = Simulation::from_scenario(&scenario);
    sim.set_trace(Box::new(move |e| {
        if matches!(
            e.kind,
            raftlab_sim::TraceKind::ClientRequest { .. }
                | raftlab_sim::TraceKind::ClientRead { .. }
                | raftlab_sim::TraceKind::ClientReply { .. }
        ) {
            sink.borrow_mut().push(e.clone());
        }
    }));
    sim.run_until(scenario.until_us, false);
    let history = linearizability::history(&trace.borrow());
    let keys = history
        .iter()
        .map(|op| op.key.as_str())
        .collect::<std::collections::BTreeSet<_>>()
        .len();
    let mut best = f64::MAX;
    let mut verdict = Ok(());
    for _ in 0..3 {
        let start = Instant::now();
        verdict = linearizability::check(&history);
        best = best.min(start.elapsed().as_secs_f64());
    }
    say!(
        "linearizability checker: {} operations over {keys} keys checked in {:.3} s (best of 3): {}",
        history.len(),
        best,
        match &verdict {
            Ok(()) => "linearizable".to_string(),
            Err(e) => format!("NOT linearizable: {e}"),
        }
    );
    // The fewest steps that decide it: the budget's margin on an honest history.
    let (mut low, mut high) = (0u64, linearizability::DEFAULT_BUDGET.max(1));
    while linearizability::verdict(&history, high)
        .undecided()
        .is_some()
    {
        high = high.saturating_mul(2);
    }
    while low + 1 < high {
        let mid = low + (high - low) / 2;
        if linearizability::verdict(&history, mid)
            .undecided()
            .is_some()
        {
            low = mid;
        } else {
            high = mid;
        }
    }
    say!(
        "linearizability checker: that history takes {high} search steps (the default budget is {})",
        linearizability::DEFAULT_BUDGET
    );
    // A history that makes the search explode, cut short by the default budget.
    let hard = linearizability::adversarial_history(24);
    let mut best = f64::MAX;
    let mut verdict = linearizability::Verdict::Linearizable;
    for _ in 0..3 {
        let start = Instant::now();
        verdict = linearizability::verdict(&hard, linearizability::DEFAULT_BUDGET);
        best = best.min(start.elapsed().as_secs_f64());
    }
    let steps = verdict.undecided().map_or(0, |u| u.explored);
    say!(
        "linearizability checker, adversarial history ({} concurrent writes, then an impossible read), default budget: {} in {:.3} s (best of 3), {:.1} million steps/s",
        hard.len() - 1,
        match &verdict {
            linearizability::Verdict::Undecided { key, explored } =>
                format!("undecided after {explored} steps on key {key}"),
            v => v.name().to_string(),
        },
        best,
        steps as f64 / best.max(1e-9) / 1e6
    );
    // The same kind of history small enough to decide, unbounded.
    let hard = linearizability::adversarial_history(16);
    let start = Instant::now();
    let decided = linearizability::check(&hard);
    say!(
        "linearizability checker, adversarial history of {} writes, unbounded: {} in {:.3} s",
        hard.len() - 1,
        if decided.is_ok() {
            "linearizable"
        } else {
            "NOT linearizable"
        },
        start.elapsed().as_secs_f64()
    );
    Ok(())
}
