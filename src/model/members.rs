//! The cluster's configuration as the page shows it: members, majorities, typed groups.

use super::Model;
use raftlab_raft::{Membership, MembershipChange, NodeId};
use raftlab_sim::scenario::MAX_NODES;

impl Model {
    /// Server `id`'s place in the configuration the cluster uses now
    /// ([`Simulation::membership`]), and for a server outside it, why.
    pub fn member(&self, id: NodeId) -> Member {
        let config = self.sim.membership();
        if config.is_voter(id) {
            Member::Voter
        } else if config.contains(id) {
            Member::Learner
        } else if self.pending_adds().contains(&id) {
            Member::Joining
        } else if self
            .sim
            .nodes()
            .get((id as usize).wrapping_sub(1))
            .is_some_and(|n| n.membership().contains(id) || n.membership_index() > 0)
        {
            // It has been a member: it was removed (and may not know it yet).
            Member::Removed
        } else {
            Member::Outside
        }
    }

    /// The servers the leader has been asked to add and has not added yet.
    fn pending_adds(&self) -> Vec<NodeId> {
        let Some(l) = self.sim.leader() else {
            return Vec::new();
        };
        let Some(leader) = self.sim.nodes().get(l as usize - 1) else {
            return Vec::new();
        };
        leader
            .pending_changes()
            .iter()
            .filter_map(|c| match c {
                MembershipChange::Add(id) => Some(*id),
                MembershipChange::Remove(_) => None,
            })
            .collect()
    }

    /// The server that "Add server" adds: the lowest-numbered one that is neither in the
    /// configuration nor waiting to join (a server outside it, or a new one), or why none can
    /// be added.
    pub fn next_server(&self) -> Result<NodeId, String> {
        let config = self.sim.membership();
        let pending = self.pending_adds();
        let taken = |id: NodeId| config.contains(id) || pending.contains(&id);
        (1..=MAX_NODES).find(|&id| !taken(id)).ok_or_else(|| {
            let joining = if pending.is_empty() {
                ""
            } else {
                " (with those joining)"
            };
            format!("The configuration has {MAX_NODES} members{joining}: raftlab runs at most {MAX_NODES} servers")
        })
    }

    /// Why server `id` cannot be removed now, if it cannot: it is not a member, or it is the
    /// last voter.
    pub fn removal_blocked(&self, id: NodeId) -> Option<String> {
        let config = self.sim.membership();
        if !config.contains(id) {
            Some(format!("S{id} is not a member of the configuration"))
        } else if config.voters == [id] {
            Some(format!(
                "S{id} is the last voter: a cluster needs at least one"
            ))
        } else {
            None
        }
    }
}

/// A server's place in the cluster's configuration (thesis 4.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Member {
    /// It votes: its vote elects leaders and its log counts towards commits.
    Voter,
    /// It receives the log but does not vote yet (thesis 4.2.1): it is catching up.
    Learner,
    /// Not a member yet: the leader has been asked to add it and will when it may.
    Joining,
    /// It was a member and has been removed; it keeps running, outside the cluster.
    Removed,
    /// It runs but has never been a member (started for a change the leader did not make).
    Outside,
}

impl Member {
    /// The name the scripting API gives it: `voter`, `learner` or `none`.
    pub fn as_str(self) -> &'static str {
        match self {
            Member::Voter => "voter",
            Member::Learner => "learner",
            Member::Joining | Member::Removed | Member::Outside => "none",
        }
    }

    /// A short word under the node in the picture (`None` for a voter).
    pub fn short(self) -> Option<&'static str> {
        match self {
            Member::Voter => None,
            Member::Learner => Some("learner"),
            Member::Joining => Some("joining"),
            Member::Removed => Some("removed"),
            Member::Outside => Some("not a member"),
        }
    }

    /// The words the node's accessible name ends with (`None` for a voter).
    pub fn describe(self) -> Option<&'static str> {
        match self {
            Member::Voter => None,
            Member::Learner => Some("learner: catching up, not voting"),
            Member::Joining => Some("not a member yet: waiting to join"),
            Member::Removed => Some("removed: not a member of the configuration"),
            Member::Outside => Some("not a member of the configuration"),
        }
    }
}

/// The majority size and the failures the configuration `m` survives (the 2f + 1 rule), with
/// its learners: "4 voters: a majority is 3, so the cluster survives 1 failure (4 voters
/// tolerate no more failures than 3). + S6 learning (not voting)."
pub fn quorum_text(m: &Membership) -> String {
    let n = m.voters.len();
    let (majority, survives) = (m.quorum(), m.tolerates());
    let why = match n {
        2 => " (2 voters tolerate no failure: one is not a majority of two)",
        4 => " (4 voters tolerate no more failures than 3)",
        6 | 8 => " (an even size adds no tolerance)",
        _ => "",
    };
    let mut text = format!(
        "{n} voter{}: a majority is {majority}, so the cluster survives {survives} failure{}{why}.",
        if n == 1 { "" } else { "s" },
        if survives == 1 { "" } else { "s" }
    );
    if !m.learners.is_empty() {
        let list: Vec<String> = m.learners.iter().map(|l| format!("S{l}")).collect();
        text.push_str(&format!(" + {} learning (not voting).", list.join(", ")));
    }
    text
}

/// Reads groups typed as `1 2 | 3 4 5` (commas or spaces between nodes, `|` between groups).
pub fn parse_groups(text: &str, nodes: u32) -> Result<Vec<Vec<NodeId>>, String> {
    let mut seen = [false; 10];
    let mut groups = Vec::new();
    for part in text.split('|') {
        let mut group = Vec::new();
        for item in part
            .split(|c: char| c == ',' || c.is_whitespace())
            .filter(|s| !s.is_empty())
        {
            let item = item.trim_start_matches(['S', 's']);
            let n: NodeId = item
                .parse()
                .map_err(|_| format!("{} is not a node number", raftlab_sim::json::quote(item)))?;
            if n == 0 || n > nodes {
                return Err(format!(
                    "there is no node {n}; the cluster has nodes 1 to {nodes}"
                ));
            }
            if std::mem::replace(&mut seen[n as usize], true) {
                return Err(format!("node {n} is in more than one group"));
            }
            group.push(n);
        }
        if !group.is_empty() {
            groups.push(group);
        }
    }
    if groups.len() < 2 && groups.iter().map(Vec::len).sum::<usize>() == nodes as usize {
        return Err("that is one group: nothing to split".into());
    }
    if groups.is_empty() {
        return Err("type groups such as 1 2 | 3 4 5".into());
    }
    Ok(groups)
}
