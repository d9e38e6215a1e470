//! raftlab's Raft core: a deterministic, single-threaded implementation of the Raft consensus
//! algorithm (Ongaro and Ousterhout, 2014, Figure 2 and section 5).
//!
//! A [`Node`] never reads a clock, starts a thread or asks the OS for randomness: the current
//! time is passed to [`Node::step`] and each node draws its election timeouts from its own
//! seeded generator. One call steps a node with one [`Input`] and fills a [`Ready`] with what to
//! do: state to persist, messages to send, client replies and the [`Event`]s that happened.

mod node;
mod types;

pub use node::{
    AppendRejection, Bugs, Config, Event, Input, Node, Persistent, Progress, Ready, VoteRefusal,
};
pub use types::*;
