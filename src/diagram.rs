//! The space-time diagram's model: one lane per server, time running left to right, every
//! message an arrow from its send to its arrival (a cross where it was dropped), and role
//! changes, crashes and commits as marks on the lanes (Lamport 1978; the way courses draw
//! executions). Built from the trace kept in memory, for a window of time around the current
//! moment; pure and tested natively. The page draws it on a canvas (`diagram_view`).

use crate::geometry::clamp;
use raftlab_raft::{Micros, NodeId};
use raftlab_sim::trace::{DropReason, TraceEvent, TraceKind};

/// The zoom levels: the width of the window in microseconds.
pub const ZOOMS_US: [Micros; 8] = [
    250_000, 500_000, 1_000_000, 2_000_000, 5_000_000, 10_000_000, 20_000_000, 60_000_000,
];
/// The zoom level a diagram opens with (500 ms: a message's flight of 10-15 ms is a slanted
/// arrow, not a vertical stroke).
pub const DEFAULT_ZOOM: usize = 1;
/// Messages sent this long before the window may still arrive in it: they are looked for.
const LOOKBACK_US: Micros = 2_000_000;

/// The span of time shown: the current moment sits three quarters of the way along, so the
/// diagram shows the recent past and the messages on the wire.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Window {
    /// Left edge.
    pub from_us: Micros,
    /// Right edge.
    pub to_us: Micros,
}

impl Window {
    /// The window of zoom level `zoom` (an index into [`ZOOMS_US`], clamped) around `now`.
    pub fn around(now: Micros, zoom: usize) -> Window {
        let width = ZOOMS_US[zoom.min(ZOOMS_US.len() - 1)];
        let from_us = now.saturating_sub(width * 3 / 4);
        Window {
            from_us,
            to_us: from_us + width,
        }
    }

    /// Where `t` falls, from 0 (left edge) to 1 (right edge); outside the window it is below 0
    /// or above 1.
    pub fn fraction(&self, t: Micros) -> f64 {
        (t as f64 - self.from_us as f64) / (self.to_us - self.from_us).max(1) as f64
    }

    /// The time at fraction `f` of the window (clamped to it).
    pub fn time_at(&self, f: f64) -> Micros {
        let f = if f.is_nan() { 0.0 } else { clamp(f, 0.0, 1.0) };
        self.from_us + ((self.to_us - self.from_us) as f64 * f).round() as Micros
    }
}

/// How a message's arrow ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum End {
    /// It arrived at this time.
    Delivered(Micros),
    /// It was dropped at this time (lost, cut by a partition, the receiver down, or dropped by
    /// hand).
    Dropped(Micros, DropReason),
    /// Still on the wire: it will arrive (or be found lost) at this time.
    OnWire(Micros),
    /// Held on its link until the reader delivers or drops it (manual delivery).
    Held,
}

/// One message drawn as an arrow.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Arrow {
    /// The message's id (as in the trace).
    pub id: u64,
    /// Sender.
    pub from: NodeId,
    /// Receiver.
    pub to: NodeId,
    /// The RPC name (`AppendEntries`, `RequestVote`, ...).
    pub kind: &'static str,
    /// A short label: `AE`, `AE 2` (two entries), `V`, `PV`, `✓`, `✗`, `SNAP`, `TN`.
    pub label: String,
    /// When it was sent.
    pub sent_us: Micros,
    /// How it ends.
    pub end: End,
    /// For a duplicate: the original's id.
    pub copy_of: Option<u64>,
}

impl Arrow {
    /// The time of the arrow's head: its arrival, its drop, or (held) `now`.
    pub fn head_us(&self, now: Micros) -> Micros {
        match self.end {
            End::Delivered(t) | End::Dropped(t, _) | End::OnWire(t) => t,
            End::Held => now.max(self.sent_us),
        }
    }
}

/// What a mark on a lane says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MarkKind {
    /// Became leader of this term.
    Leader(u64),
    /// Became a candidate for this term.
    Candidate(u64),
    /// Started a pre-vote.
    PreCandidate,
    /// Crashed.
    Crash,
    /// Started again.
    Restart,
    /// Its commit index became this.
    Commit(u64),
}

/// A mark on a server's lane.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mark {
    /// The server.
    pub node: NodeId,
    /// When.
    pub t_us: Micros,
    /// What.
    pub kind: MarkKind,
}

/// A stretch of a lane during which the server led, or was down.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    /// The server.
    pub node: NodeId,
    /// Start (the window's left edge when it began before).
    pub from_us: Micros,
    /// End (`now` when it lasts).
    pub to_us: Micros,
    /// True: the server was down; false: it led.
    pub down: bool,
}

/// Everything the diagram draws for one window.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Diagram {
    /// Arrows whose span meets the window, in send order.
    pub arrows: Vec<Arrow>,
    /// Marks inside the window, in time order.
    pub marks: Vec<Mark>,
    /// Leading and down stretches meeting the window.
    pub spans: Vec<Span>,
}

fn label(kind: &TraceKind) -> Option<(&'static str, String)> {
    use raftlab_raft::Body;
    let msg = match kind {
        TraceKind::Send { msg, .. } | TraceKind::Duplicate { msg, .. } => msg,
        _ => return None,
    };
    let Some(m) = msg.message.raft() else {
        let (text, _) = msg.message.look();
        return Some((msg.message.type_name(), text.to_string()));
    };
    let body = &m.body;
    let text = match body {
        Body::AppendEntries { entries, .. } if entries.is_empty() => "AE".to_string(),
        Body::AppendEntries { entries, .. } => format!("AE {}", entries.len()),
        Body::RequestVote { .. } => "V".to_string(),
        Body::PreVote { .. } => "PV".to_string(),
        Body::RequestVoteReply { granted } | Body::PreVoteReply { granted } => {
            if *granted { "✓" } else { "✗" }.to_string()
        }
        Body::AppendEntriesReply { success, .. } => if *success { "✓" } else { "✗" }.to_string(),
        Body::InstallSnapshot { .. } => "SNAP".to_string(),
        Body::InstallSnapshotReply { .. } => "✓".to_string(),
        Body::TimeoutNow => "TN".to_string(),
    };
    Some((body.type_name(), text))
}

/// Builds the diagram of `window` from `trace` (the trace events in memory, in time order, up
/// to `now`). `held` names the messages held on their links (manual delivery).
///
/// The open messages and the open spans are short lists searched in place, not maps: a few
/// are open at a time, and each map type costs kilobytes of wasm.
pub fn build(trace: &[TraceEvent], now: Micros, window: Window, held: &[u64]) -> Diagram {
    let start = trace.partition_point(|e| e.t_us < window.from_us.saturating_sub(LOOKBACK_US));
    let mut d = Diagram::default();
    // Messages on the wire: (message id, its arrow), newest last.
    let mut open: Vec<(u64, usize)> = Vec::new();
    let take = |open: &mut Vec<(u64, usize)>, id: u64| {
        let k = open.iter().rposition(|o| o.0 == id)?;
        Some(open.remove(k).1)
    };
    // Leading or down since: ((node, down), start), in key order.
    let mut since: Vec<((NodeId, bool), Micros)> = Vec::new();
    let begin = |since: &mut Vec<((NodeId, bool), Micros)>, key: (NodeId, bool), t| {
        let k = since.partition_point(|s| s.0 < key);
        if since.get(k).is_none_or(|s| s.0 != key) {
            since.insert(k, (key, t));
        }
    };
    let close = |d: &mut Diagram, since: &mut Vec<((NodeId, bool), Micros)>, key, t| {
        let at = since.iter().position(|s| s.0 == key);
        if let Some(from) = at.map(|k| since.remove(k).1) {
            if t >= window.from_us && from <= window.to_us {
                d.spans.push(Span {
                    node: key.0,
                    from_us: from.max(window.from_us),
                    to_us: t,
                    down: key.1,
                });
            }
        }
    };
    for e in &trace[start..] {
        let t = e.t_us;
        if t > now {
            break;
        }
        let in_window = t >= window.from_us && t <= window.to_us;
        let mark = |node, kind| Mark {
            node,
            t_us: t,
            kind,
        };
        match &e.kind {
            TraceKind::Send {
                node,
                msg,
                deliver_at_us,
                ..
            }
            | TraceKind::Duplicate {
                node,
                msg,
                deliver_at_us,
                ..
            } => {
                let (kind, text) = label(&e.kind).unwrap_or(("", String::new()));
                let copy_of = match &e.kind {
                    TraceKind::Duplicate { of, .. } => Some(*of),
                    _ => None,
                };
                // A duplicate has its original's id: the newer copy is the open one.
                if let Some(k) = open.iter().position(|o| o.0 == msg.id) {
                    open.remove(k);
                }
                open.push((msg.id, d.arrows.len()));
                d.arrows.push(Arrow {
                    id: msg.id,
                    from: *node,
                    to: msg.message.to(),
                    kind,
                    label: text,
                    sent_us: t,
                    end: if held.contains(&msg.id) {
                        End::Held
                    } else {
                        End::OnWire(*deliver_at_us)
                    },
                    copy_of,
                });
            }
            TraceKind::Deliver { msg, .. } => {
                if let Some(i) = take(&mut open, msg.id) {
                    d.arrows[i].end = End::Delivered(t);
                }
            }
            TraceKind::Drop { msg, reason, .. } => {
                if let Some(i) = take(&mut open, msg.id) {
                    d.arrows[i].end = End::Dropped(t, *reason);
                }
            }
            TraceKind::BecomeLeader { node, term } => {
                begin(&mut since, (*node, false), t);
                if in_window {
                    d.marks.push(mark(*node, MarkKind::Leader(*term)));
                }
            }
            TraceKind::BecomeFollower { node, .. } | TraceKind::StepDown { node, .. } => {
                close(&mut d, &mut since, (*node, false), t);
            }
            TraceKind::BecomeCandidate { node, term } => {
                close(&mut d, &mut since, (*node, false), t);
                if in_window {
                    d.marks.push(mark(*node, MarkKind::Candidate(*term)));
                }
            }
            TraceKind::BecomePreCandidate { node, .. } => {
                close(&mut d, &mut since, (*node, false), t);
                if in_window {
                    d.marks.push(mark(*node, MarkKind::PreCandidate));
                }
            }
            TraceKind::Crash { node } => {
                close(&mut d, &mut since, (*node, false), t);
                begin(&mut since, (*node, true), t);
                if in_window {
                    d.marks.push(mark(*node, MarkKind::Crash));
                }
            }
            TraceKind::Restart { node } => {
                close(&mut d, &mut since, (*node, true), t);
                if in_window {
                    d.marks.push(mark(*node, MarkKind::Restart));
                }
            }
            TraceKind::Commit { node, index } if in_window => {
                d.marks.push(mark(*node, MarkKind::Commit(*index)));
            }
            _ => {}
        }
    }
    for (key, _) in since.clone() {
        close(&mut d, &mut since, key, now);
    }
    raftlab_sim::order::sort_by_key(&mut d.spans, |s| {
        (s.from_us as u128) << 64 | (s.node as u128) << 1 | s.down as u128
    });
    d.arrows.retain(|a| {
        let head = a.head_us(now);
        head >= window.from_us && a.sent_us <= window.to_us
    });
    d
}

/// The drawing area of the diagram, in CSS pixels: lanes from `top` to `top + lanes *
/// lane_h`, time from `left` to `left + width`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Frame {
    /// Left edge of the time axis (the lane labels are to its left).
    pub left: f64,
    /// Width of the time axis.
    pub width: f64,
    /// Top of the first lane's band.
    pub top: f64,
    /// Height of one lane's band.
    pub lane_h: f64,
}

impl Frame {
    /// The x of time `t` in `window`.
    pub fn x(&self, window: &Window, t: Micros) -> f64 {
        self.left + window.fraction(t) * self.width
    }
    /// The y of server `node`'s lane line.
    pub fn y(&self, node: NodeId) -> f64 {
        self.top + (node as f64 - 0.5) * self.lane_h
    }
    /// The arrow's segment: from its send on the sender's lane to its head. A message lost on
    /// the way stops two thirds of the way to its receiver; a held one waits halfway, at `now`.
    pub fn segment(&self, window: &Window, a: &Arrow, now: Micros) -> ((f64, f64), (f64, f64)) {
        let (x0, y0) = (self.x(window, a.sent_us), self.y(a.from));
        let (x1, y1) = (self.x(window, a.head_us(now)), self.y(a.to));
        match a.end {
            // Lost on the way (loss, a partition, by hand): the arrow stops short. A message to
            // a server that is down reaches its lane and ends there.
            End::Dropped(_, DropReason::Crashed) => ((x0, y0), (x1, y1)),
            End::Dropped(..) => ((x0, y0), (x1, y0 + (y1 - y0) * 2.0 / 3.0)),
            End::Held => ((x0, y0), (x1, y0 + (y1 - y0) / 2.0)),
            _ => ((x0, y0), (x1, y1)),
        }
    }
}

/// The arrow nearest to the point (`px`, `py`) within `tolerance` pixels, if any (the newest
/// wins a tie).
pub fn hit(
    d: &Diagram,
    frame: &Frame,
    window: &Window,
    now: Micros,
    (px, py): (f64, f64),
    tolerance: f64,
) -> Option<u64> {
    let mut best: Option<(f64, u64)> = None;
    for a in &d.arrows {
        let ((x0, y0), (x1, y1)) = frame.segment(window, a, now);
        let dist = distance_to_segment((px, py), (x0, y0), (x1, y1));
        if dist <= tolerance && best.is_none_or(|(b, _)| dist <= b) {
            best = Some((dist, a.id));
        }
    }
    best.map(|(_, id)| id)
}

/// The distance from point `p` to the segment `a`-`b`.
pub fn distance_to_segment(p: (f64, f64), a: (f64, f64), b: (f64, f64)) -> f64 {
    let (dx, dy) = (b.0 - a.0, b.1 - a.1);
    let len2 = dx * dx + dy * dy;
    let t = if len2 == 0.0 {
        0.0
    } else {
        clamp(((p.0 - a.0) * dx + (p.1 - a.1) * dy) / len2, 0.0, 1.0)
    };
    let (cx, cy) = (a.0 + t * dx, a.1 + t * dy);
    ((p.0 - cx).powi(2) + (p.1 - cy).powi(2)).sqrt()
}

#[cfg(test)]
mod tests {
    use super::*;
    use raftlab_sim::scenario::{Action, Scenario, Target};
    use raftlab_sim::sim::Simulation;
    use std::cell::RefCell;
    use std::rc::Rc;

    fn run(scenario: &str, until_us: Micros) -> (Vec<TraceEvent>, Simulation) {
        let s = Scenario::parse(scenario).expect("scenario");
        let mut sim = Simulation::from_scenario(&s);
        let trace = Rc::new(RefCell::new(Vec::new()));
        let sink = trace.clone();
        sim.set_trace(Box::new(move |e: &TraceEvent| {
            sink.borrow_mut().push(e.clone())
        }));
        for e in &s.events {
            sim.schedule(e.at_us, e.action.clone());
        }
        sim.run_until(until_us, false);
        let t = trace.borrow().clone();
        (t, sim)
    }

    const BASIC: &str = r#"{"version": 1, "seed": 7, "nodes": 3,
        "config": {"latency_ms": [10, 10]},
        "events": [{"at_ms": 900, "do": "crash", "node": "leader"}]}"#;

    #[test]
    fn arrows_go_from_send_to_arrival_and_in_flight_ones_to_their_arrival_time() {
        let (trace, sim) = run(BASIC, 800_000);
        let now = sim.now();
        let w = Window::around(now, 3);
        assert_eq!((w.from_us, w.to_us), (0, 2_000_000));
        let d = build(&trace, now, w, &[]);
        assert!(!d.arrows.is_empty());
        for a in &d.arrows {
            match a.end {
                End::Delivered(t) => assert_eq!(t, a.sent_us + 10_000, "latency is 10 ms"),
                End::OnWire(t) => {
                    assert!(t > now, "a message on the wire arrives after now");
                    assert!(sim.in_flight().any(|m| m.id == a.id));
                }
                other => panic!("unexpected end {other:?}"),
            }
        }
        // Every message on the wire is drawn.
        for m in sim.in_flight() {
            assert!(
                d.arrows.iter().any(|a| a.id == m.id),
                "message {} drawn",
                m.id
            );
        }
        // The election is on the lanes: one leader mark, and a leading span up to now.
        let leaders: Vec<_> = d
            .marks
            .iter()
            .filter(|m| matches!(m.kind, MarkKind::Leader(_)))
            .collect();
        assert_eq!(leaders.len(), 1);
        let leader = sim.leader().unwrap();
        assert_eq!(leaders[0].node, leader);
        assert!(d
            .spans
            .iter()
            .any(|s| s.node == leader && !s.down && s.to_us == now));
        assert!(d.arrows.iter().any(|a| a.label == "V"));
        assert!(d.arrows.iter().any(|a| a.label == "AE"));
        assert!(d
            .marks
            .iter()
            .any(|m| matches!(m.kind, MarkKind::Commit(1))));
    }

    #[test]
    fn a_crash_ends_the_leading_span_and_drops_messages_to_it() {
        let (trace, sim) = run(BASIC, 1_500_000);
        let now = sim.now();
        let d = build(&trace, now, Window::around(now, 4), &[]);
        let crash = d
            .marks
            .iter()
            .find(|m| m.kind == MarkKind::Crash)
            .expect("crash mark");
        assert_eq!(crash.t_us, 900_000);
        assert!(d
            .spans
            .iter()
            .any(|s| s.node == crash.node && !s.down && s.to_us == 900_000));
        assert!(d
            .spans
            .iter()
            .any(|s| s.node == crash.node && s.down && s.to_us == now));
        assert!(d
            .arrows
            .iter()
            .any(|a| a.to == crash.node && matches!(a.end, End::Dropped(_, DropReason::Crashed))));
    }

    #[test]
    fn the_window_keeps_only_arrows_that_meet_it() {
        let (trace, sim) = run(BASIC, 800_000);
        let now = sim.now();
        let w = Window::around(now, 0);
        let d = build(&trace, now, w, &[]);
        assert!(d
            .arrows
            .iter()
            .all(|a| a.head_us(now) >= w.from_us && a.sent_us <= w.to_us));
        let all = build(&trace, now, Window::around(now, 7), &[]);
        assert!(all.arrows.len() > d.arrows.len());
        assert!(d.marks.iter().all(|m| m.t_us >= w.from_us));
    }

    #[test]
    fn held_messages_wait_at_now() {
        let (trace, sim) = run(BASIC, 800_000);
        let now = sim.now();
        let held: Vec<u64> = sim.in_flight().map(|m| m.id).collect();
        let d = build(&trace, now, Window::around(now, 3), &held);
        let a = d.arrows.iter().find(|a| held.contains(&a.id)).unwrap();
        assert_eq!(a.end, End::Held);
        assert_eq!(a.head_us(now), now);
    }

    #[test]
    fn hit_finds_the_arrow_under_the_pointer_and_clicks_map_to_times() {
        let (trace, sim) = run(BASIC, 800_000);
        let now = sim.now();
        let w = Window::around(now, 2);
        let d = build(&trace, now, w, &[]);
        let f = Frame {
            left: 40.0,
            width: 800.0,
            top: 10.0,
            lane_h: 30.0,
        };
        let a = d.arrows.last().unwrap();
        let ((x0, y0), (x1, y1)) = f.segment(&w, a, now);
        let mid = ((x0 + x1) / 2.0, (y0 + y1) / 2.0);
        assert_eq!(hit(&d, &f, &w, now, mid, 4.0), Some(a.id));
        assert_eq!(hit(&d, &f, &w, now, (-100.0, -100.0), 4.0), None);
        assert_eq!(w.time_at(0.0), w.from_us);
        assert_eq!(w.time_at(1.0), w.to_us);
        assert_eq!(w.time_at(f64::NAN), w.from_us);
        let t = w.time_at(0.5);
        assert!((w.fraction(t) - 0.5).abs() < 1e-6);
        assert_eq!(f.y(1), 25.0);
        let _ = Action::Crash(Target::Leader);
    }

    #[test]
    fn distance_to_a_segment() {
        assert_eq!(distance_to_segment((0.0, 1.0), (0.0, 0.0), (2.0, 0.0)), 1.0);
        assert_eq!(distance_to_segment((3.0, 0.0), (0.0, 0.0), (2.0, 0.0)), 1.0);
        assert_eq!(distance_to_segment((1.0, 1.0), (1.0, 0.0), (1.0, 0.0)), 1.0);
    }
}
