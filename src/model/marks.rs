//! The timeline's marks: elections, crashes, partitions, commits, membership changes.

use super::Model;
use raftlab_raft::Micros;
use raftlab_sim::trace::TraceKind;

/// A kind of moment marked on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// A node became leader.
    Election,
    /// A node crashed.
    Crash,
    /// A node restarted.
    Restart,
    /// The network split or a link was cut.
    Partition,
    /// The network healed or a link was restored.
    Heal,
    /// A leader committed entries.
    Commit,
    /// A server was added to or removed from the cluster (thesis 4.1).
    Membership,
    /// A safety property broke.
    Violation,
}

impl MarkKind {
    /// Every kind, in drawing order.
    pub const ALL: [MarkKind; 8] = [
        MarkKind::Commit,
        MarkKind::Membership,
        MarkKind::Election,
        MarkKind::Crash,
        MarkKind::Restart,
        MarkKind::Partition,
        MarkKind::Heal,
        MarkKind::Violation,
    ];

    /// The name used as a CSS class and in the legend.
    pub fn name(self) -> &'static str {
        match self {
            MarkKind::Election => "election",
            MarkKind::Crash => "crash",
            MarkKind::Restart => "restart",
            MarkKind::Partition => "partition",
            MarkKind::Heal => "heal",
            MarkKind::Commit => "commit",
            MarkKind::Membership => "membership",
            MarkKind::Violation => "violation",
        }
    }
}

/// A moment worth marking on the timeline.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// When.
    pub t_us: Micros,
    /// What.
    pub kind: MarkKind,
}

impl Model {
    pub(super) fn mark_new(&mut self) {
        let trace = self.trace.clone();
        let trace = trace.borrow();
        let from = self.marked.saturating_sub(self.trace_base) as usize;
        for event in trace.iter().skip(from) {
            if matches!(
                event.kind,
                TraceKind::ClientRequest { .. }
                    | TraceKind::ClientRead { .. }
                    | TraceKind::ClientReply { .. }
            ) {
                self.client_events.push(event.clone());
            }
            let kind = match &event.kind {
                TraceKind::BecomeLeader { .. } => MarkKind::Election,
                TraceKind::Crash { .. } => MarkKind::Crash,
                TraceKind::Restart { .. } => MarkKind::Restart,
                TraceKind::Partition { .. } | TraceKind::Cut { .. } => MarkKind::Partition,
                TraceKind::Heal | TraceKind::Restore { .. } => MarkKind::Heal,
                TraceKind::Violation { .. } => MarkKind::Violation,
                TraceKind::AddServer { .. } | TraceKind::RemoveServer { .. } => {
                    MarkKind::Membership
                }
                // The cluster's commit index moved on (the first node to commit is the leader).
                TraceKind::Commit { index, .. } if *index > self.max_commit => {
                    self.max_commit = *index;
                    MarkKind::Commit
                }
                _ => continue,
            };
            self.marks.push(Mark {
                t_us: event.t_us,
                kind,
            });
        }
        self.marked = self.marked.max(self.traced());
    }
}

/// The timeline's marks as one SVG path per kind, in a 1000-wide box: a vertical tick at
/// each mark's time (ticks closer than a unit merge). Integer arithmetic only.
pub fn mark_paths(marks: &[Mark], end_us: Micros) -> Vec<(MarkKind, String)> {
    let end = end_us.max(1) as u128;
    MarkKind::ALL
        .iter()
        .filter_map(|&kind| {
            let mut d = String::new();
            let mut last = u64::MAX;
            for m in marks.iter().filter(|m| m.kind == kind) {
                // At most 1000: written as a u64 (formatting a u128 costs its own code).
                let x = ((m.t_us as u128).min(end) * 1000 / end) as u64;
                if x != last {
                    d.push_str(&format!("M{x} 0v10"));
                    last = x;
                }
            }
            (!d.is_empty()).then_some((kind, d))
        })
        .collect()
}

#[cfg(test)]
mod timeline_tests {
    use super::*;

    #[test]
    fn marks_become_ticks_per_kind() {
        let marks = [
            Mark {
                t_us: 0,
                kind: MarkKind::Election,
            },
            Mark {
                t_us: 500,
                kind: MarkKind::Crash,
            },
            Mark {
                t_us: 501,
                kind: MarkKind::Crash,
            },
            Mark {
                t_us: 1000,
                kind: MarkKind::Election,
            },
        ];
        let paths = mark_paths(&marks, 1000);
        assert_eq!(
            paths,
            vec![
                (MarkKind::Election, "M0 0v10M1000 0v10".to_string()),
                (MarkKind::Crash, "M500 0v10M501 0v10".to_string()),
            ]
        );
        assert!(mark_paths(&marks, 0)
            .iter()
            .all(|(_, d)| d.contains("M1000")));
        assert!(mark_paths(&[], 10).is_empty());
    }
}
