//! The event log in words for the systems other than Raft (leaderless quorums, lease
//! election).

use raftlab_raft::NodeId;
use raftlab_sim::system::SysEvent;

/// A sentence for an event of another system than Raft, or `None` when it is not worth
/// telling (the picture shows it).
pub fn narrate(node: NodeId, event: &SysEvent) -> Option<String> {
    let fields: Vec<String> = event
        .fields()
        .into_iter()
        .map(|(k, v)| format!("{k} {v}"))
        .collect();
    Some(format!(
        "S{node}: {} ({})",
        event.kind().replace('_', " "),
        fields.join(", ")
    ))
}
