//! How the picture draws a message in flight (`canvas.rs`): a shape, a short label and a
//! colour. Kinds are told apart by shape and label, never by colour alone, so the rules live
//! here, apart from the canvas, where they are tested natively.
//!
//! | shape     | what                                                                  |
//! |-----------|-----------------------------------------------------------------------|
//! | diamond   | a request for a vote: RequestVote `V`, PreVote `PV`, TimeoutNow `TN`  |
//! | envelope  | AppendEntries (`AE`, or `+n` with n entries), InstallSnapshot `SNAP`; another system's request (`RD`, `WR`, `CAS`, ...) |
//! | round tag | a vote's answer: `v✓` / `v✗`, PreVote's `p✓` / `p✗`; another system's answer |
//! | square tag| AppendEntries' answer `✓` / `✗`, InstallSnapshot's `s✓`              |

use raftlab_raft::Body;
use raftlab_sim::system::Wire;

/// The outline of a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Glyph {
    /// A vote request (RequestVote, PreVote, TimeoutNow): a diamond.
    Diamond,
    /// AppendEntries, InstallSnapshot or another system's request: an envelope (a rectangle
    /// with a flap).
    Envelope,
    /// A vote's answer or another system's answer: a round tag.
    Round,
    /// AppendEntries' or InstallSnapshot's answer: a square tag (rounded corners).
    Square,
}

/// The colour of a message, an index into the canvas's palette.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tone {
    /// Vote requests (`--rv`).
    Vote = 0,
    /// Entries and other requests (`--ae`).
    Append = 1,
    /// A yes (`--yes`).
    Yes = 2,
    /// A no (`--no`).
    No = 3,
}

/// How one message is drawn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Look {
    /// Its colour.
    pub tone: Tone,
    /// Its shape.
    pub glyph: Glyph,
    /// Its label (an AppendEntries with entries is labelled `+n` instead).
    pub label: &'static str,
    /// How many entries it carries (AppendEntries only; 0 otherwise).
    pub entries: usize,
}

impl Look {
    /// The text drawn in the glyph: `+n` for an AppendEntries carrying n entries, else the
    /// label.
    pub fn text(&self) -> String {
        if self.entries > 0 {
            format!("+{}", self.entries)
        } else {
            self.label.to_string()
        }
    }
}

/// How the picture draws `message`.
pub fn look(message: &Wire) -> Look {
    match message.raft() {
        Some(m) => of_raft(&m.body),
        None => {
            let (label, answer) = message.look();
            of_other(label, answer)
        }
    }
}

/// A Raft message's look.
pub fn of_raft(body: &Body) -> Look {
    use Glyph::{Diamond, Envelope, Round, Square};
    use Tone::{Append, No, Vote, Yes};
    let yes_no = |ok: bool| if ok { Yes } else { No };
    let (tone, glyph, label, entries) = match body {
        Body::RequestVote { .. } => (Vote, Diamond, "V", 0),
        Body::PreVote { .. } => (Vote, Diamond, "PV", 0),
        Body::TimeoutNow => (Vote, Diamond, "TN", 0),
        Body::RequestVoteReply { granted } => (
            yes_no(*granted),
            Round,
            if *granted { "v✓" } else { "v✗" },
            0,
        ),
        Body::PreVoteReply { granted } => (
            yes_no(*granted),
            Round,
            if *granted { "p✓" } else { "p✗" },
            0,
        ),
        Body::AppendEntries { entries, .. } => (Append, Envelope, "AE", entries.len()),
        Body::AppendEntriesReply { success, .. } => (
            yes_no(*success),
            Square,
            if *success { "✓" } else { "✗" },
            0,
        ),
        // Section 7, Figure 13: the leader's snapshot, and the follower's answer.
        Body::InstallSnapshot { .. } => (Append, Envelope, "SNAP", 0),
        Body::InstallSnapshotReply { .. } => (Yes, Square, "s✓", 0),
    };
    Look {
        tone,
        glyph,
        label,
        entries,
    }
}

/// Another system's message: a request is an envelope, an answer a round tag coloured by
/// its verdict (`look` of [`Wire`]).
pub fn of_other(label: &'static str, answer: Option<bool>) -> Look {
    let (tone, glyph) = match answer {
        None => (Tone::Append, Glyph::Envelope),
        Some(true) => (Tone::Yes, Glyph::Round),
        Some(false) => (Tone::No, Glyph::Round),
    };
    Look {
        tone,
        glyph,
        label,
        entries: 0,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftlab_raft::{Command, Entry};

    fn every_raft_kind() -> Vec<(&'static str, Body)> {
        let ae = |n: usize| Body::AppendEntries {
            prev_log_index: 1,
            prev_log_term: 1,
            entries: (0..n)
                .map(|_| Entry {
                    term: 2,
                    command: Command::Noop,
                })
                .collect(),
            leader_commit: 1,
            stamp: 0,
        };
        let aer = |success| Body::AppendEntriesReply {
            success,
            match_index: 1,
            conflict_index: 0,
            conflict_term: None,
            stamp: 0,
        };
        vec![
            (
                "RequestVote",
                Body::RequestVote {
                    last_log_index: 1,
                    last_log_term: 1,
                    transfer: false,
                },
            ),
            (
                "PreVote",
                Body::PreVote {
                    last_log_index: 1,
                    last_log_term: 1,
                },
            ),
            ("TimeoutNow", Body::TimeoutNow),
            ("vote granted", Body::RequestVoteReply { granted: true }),
            ("vote refused", Body::RequestVoteReply { granted: false }),
            ("pre-vote granted", Body::PreVoteReply { granted: true }),
            ("pre-vote refused", Body::PreVoteReply { granted: false }),
            ("heartbeat", ae(0)),
            ("entries", ae(2)),
            ("append accepted", aer(true)),
            ("append refused", aer(false)),
            (
                "snapshot",
                Body::InstallSnapshot {
                    last_included_index: 3,
                    last_included_term: 1,
                    data: Default::default(),
                    config: Default::default(),
                },
            ),
            (
                "snapshot installed",
                Body::InstallSnapshotReply {
                    last_included_index: 3,
                },
            ),
        ]
    }

    /// Every two kinds of Raft message differ in shape or in text: a reader who cannot tell
    /// the colours apart still can tell them apart (and the legend names each one).
    #[test]
    fn raft_kinds_differ_without_colour() {
        let kinds = every_raft_kind();
        for (i, (a, x)) in kinds.iter().enumerate() {
            for (b, y) in &kinds[i + 1..] {
                let (lx, ly) = (of_raft(x), of_raft(y));
                assert!(
                    lx.glyph != ly.glyph || lx.text() != ly.text(),
                    "{a} and {b} are drawn alike: {lx:?}"
                );
            }
        }
    }

    /// Requests and answers have shapes of their own: vote requests are diamonds, entries
    /// envelopes, a vote's answer round, an append's answer square; a yes is green, a no red.
    #[test]
    fn shapes_follow_the_kind() {
        use Glyph::*;
        let shape = |name: &str| {
            let (_, body) = every_raft_kind()
                .into_iter()
                .find(|(n, _)| *n == name)
                .unwrap();
            of_raft(&body)
        };
        for name in ["RequestVote", "PreVote", "TimeoutNow"] {
            assert_eq!(shape(name).glyph, Diamond, "{name}");
            assert_eq!(shape(name).tone, Tone::Vote, "{name}");
        }
        for name in ["heartbeat", "entries", "snapshot"] {
            assert_eq!(shape(name).glyph, Envelope, "{name}");
        }
        for name in [
            "vote granted",
            "vote refused",
            "pre-vote granted",
            "pre-vote refused",
        ] {
            assert_eq!(shape(name).glyph, Round, "{name}");
        }
        for name in ["append accepted", "append refused", "snapshot installed"] {
            assert_eq!(shape(name).glyph, Square, "{name}");
        }
        assert_eq!(shape("heartbeat").text(), "AE");
        assert_eq!(shape("entries").text(), "+2");
        assert_eq!(shape("vote granted").tone, Tone::Yes);
        assert_eq!(shape("vote refused").tone, Tone::No);
        assert_eq!(shape("append refused").tone, Tone::No);
        assert_eq!(shape("vote granted").text(), "v✓");
        assert_eq!(shape("append accepted").text(), "✓");
    }

    #[test]
    fn other_systems_requests_are_envelopes_and_answers_round() {
        assert_eq!(of_other("CAS", None).glyph, Glyph::Envelope);
        assert_eq!(of_other("✓", Some(true)).tone, Tone::Yes);
        assert_eq!(of_other("✗", Some(false)).tone, Tone::No);
        assert_eq!(of_other("✗", Some(false)).glyph, Glyph::Round);
        assert_eq!(of_other("WR", None).text(), "WR");
    }
}
