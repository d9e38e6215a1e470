//! raftlab's simulator: a deterministic discrete-event simulation of a Raft cluster (or of a
//! leaderless quorum or lease-election cluster, `system`), the safety checker run after every
//! event, the scenario (JSON) and trace (NDJSON) formats, and
//! random fault campaigns. Pure Rust: no clock, no thread, no OS randomness, no browser type,
//! so it runs the same natively and in WebAssembly.

pub mod checker;
pub mod explain;
pub mod fuzz;
pub mod json;
pub mod lesson;
pub mod linearizability;
pub mod link;
pub mod order;
pub mod run;
pub mod scenario;
pub mod sim;
pub mod system;
pub mod trace;

pub use checker::{Checker, Property, Violation};
pub use scenario::{Action, ParseError, Scenario, SimConfig, Target, TimedAction};
pub use sim::Simulation;
pub use trace::{TraceEvent, TraceKind};
