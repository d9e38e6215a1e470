//! The moving parts of the picture (messages in flight, election timers) drawn on a canvas over
//! the SVG, once per animation frame. Drawing a dozen shapes costs far less main-thread time
//! than letting the browser restyle animated elements every frame, and it reads the model only:
//! positions come from each message's send and arrival times and the current simulated time.

use crate::geometry::{position, NODE_R};
use crate::model::Model;
use raftlab_raft::{Body, Role};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};

/// The canvas's element id.
pub const CANVAS_ID: &str = "anim";

struct Palette {
    rv: String,
    ae: String,
    yes: String,
    no: String,
    accent: String,
    track: String,
    ink: String,
    text: String,
}

fn palette(canvas: &HtmlCanvasElement) -> Palette {
    let style = web_sys::window().and_then(|w| w.get_computed_style(canvas).ok().flatten());
    let get = |name: &str, fallback: &str| {
        style
            .as_ref()
            .and_then(|s| s.get_property_value(name).ok())
            .map(|v| v.trim().to_string())
            .filter(|v| !v.is_empty())
            .unwrap_or_else(|| fallback.to_string())
    };
    Palette {
        rv: get("--rv", "#6a3d9a"),
        ae: get("--ae", "#1f5fa8"),
        yes: get("--yes", "#17693a"),
        no: get("--no", "#b3261e"),
        accent: get("--accent", "#0b57d0"),
        track: get("--line", "#c9ccd0"),
        ink: get("--ink", "#1d1f21"),
        text: get("--msg-ink", "#fff"),
    }
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// One thing to draw, in picture units (the picture is 100 x 100).
#[derive(Clone, PartialEq)]
enum Shape {
    /// An election timer: position of the bar's left end and the part still left (0..=1).
    Timer { x: i32, y: i32, left: i32 },
    /// A message: centre, its colour (index into the palette), shape, label, alpha,
    /// duplicate.
    Message {
        x: i32,
        y: i32,
        color: u8,
        glyph: Glyph,
        label: &'static str,
        entries: usize,
        alpha: i32,
        dup: bool,
    },
}

/// The outline of a message: its kind is told by shape and label, not by colour alone.
#[derive(Clone, Copy, PartialEq)]
enum Glyph {
    /// A vote request (RequestVote, PreVote, TimeoutNow): a diamond.
    Diamond,
    /// AppendEntries or InstallSnapshot: an envelope (a rectangle with a flap).
    Envelope,
    /// A reply: a circle (votes) or a rounded tag (AppendEntries, InstallSnapshot).
    Reply,
}

/// Quarter-unit precision (about a pixel and a half on a 600-pixel picture): the canvas is
/// only redrawn when something moved that much.
fn q(v: f64) -> i32 {
    (v * 4.0).round() as i32
}

thread_local! {
    static LAST: std::cell::RefCell<(u32, Vec<Shape>)> = const { std::cell::RefCell::new((0, Vec::new())) };
}

fn scene(m: &Model) -> Vec<Shape> {
    let sim = m.sim();
    let n = sim.nodes().len();
    let now = sim.now();
    let mut shapes = Vec::new();
    // Election timers: a bar above each follower and candidate, draining. A server that
    // does not stand for election (a learner, a new server, a removed one) has no bar.
    for node in sim.nodes() {
        if !sim.is_alive(node.id()) || node.role() == Role::Leader || !node.may_campaign() {
            continue;
        }
        let (start, deadline) = node.election_timer();
        let total = deadline.saturating_sub(start).max(1) as f64;
        let left = deadline.saturating_sub(now) as f64 / total;
        let (x, y) = position(node.id(), n);
        shapes.push(Shape::Timer {
            x: q(x - 5.5),
            y: q(y - NODE_R - 2.75),
            left: q(11.0 * left.clamp(0.0, 1.0)),
        });
    }
    // Messages in flight, interpolated between their send and arrival times.
    for msg in sim.in_flight() {
        let message = msg.message;
        let (x0, y0) = position(message.from, n);
        let (x1, y1) = position(message.to, n);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len = (dx * dx + dy * dy).sqrt().max(0.001);
        let (ux, uy) = (dx / len, dy / len);
        let (ox, oy) = (-uy * 1.4, ux * 1.4);
        // From just outside one circle to just outside the other: a glyph (about 5 units
        // wide) never covers a server's name.
        let gap = NODE_R + 3.2;
        let (sx, sy) = (x0 + ux * gap + ox, y0 + uy * gap + oy);
        let (ex, ey) = (x1 - ux * gap + ox, y1 - uy * gap + oy);
        let span = msg.deliver_at.saturating_sub(msg.sent_at).max(1) as f64;
        let mut p = (now.saturating_sub(msg.sent_at) as f64 / span).clamp(0.0, 1.0);
        let dies = msg.lost || !sim.link_up(message.from, message.to) || !sim.is_alive(message.to);
        let mut alpha = 1.0;
        if dies && p > 0.7 {
            // A lost message stops short and fades away.
            alpha = (1.0 - (p - 0.7) / 0.3).clamp(0.0, 1.0);
            p = 0.7 + (p - 0.7) * 0.2;
        }
        use Glyph::{Diamond, Envelope, Reply};
        let (color, glyph, label, entries) = match &message.body {
            Body::RequestVote { .. } => (0, Diamond, "V", 0),
            Body::RequestVoteReply { granted: true } => (2, Reply, "✓", 0),
            Body::RequestVoteReply { granted: false } => (3, Reply, "✗", 0),
            Body::PreVote { .. } => (0, Diamond, "PV", 0),
            Body::TimeoutNow => (0, Diamond, "TN", 0),
            Body::PreVoteReply { granted: true } => (2, Reply, "p✓", 0),
            Body::PreVoteReply { granted: false } => (3, Reply, "p✗", 0),
            Body::AppendEntries { entries, .. } => (1, Envelope, "AE", entries.len()),
            Body::AppendEntriesReply { success: true, .. } => (2, Reply, "✓", 0),
            Body::AppendEntriesReply { success: false, .. } => (3, Reply, "✗", 0),
            // Section 7, Figure 13: the leader's snapshot, and the follower's answer.
            Body::InstallSnapshot { .. } => (1, Envelope, "SNAP", 0),
            Body::InstallSnapshotReply { .. } => (2, Reply, "s✓", 0),
        };
        shapes.push(Shape::Message {
            x: q(sx + (ex - sx) * p),
            y: q(sy + (ey - sy) * p),
            color,
            glyph,
            label,
            entries,
            alpha: (alpha * 10.0).round() as i32,
            dup: msg.copy_of.is_some(),
        });
    }
    shapes
}

/// Draws the current moment on the canvas, if it is on the page and anything changed.
pub fn draw(m: &Model) {
    let Some(canvas) = gloo_utils::document()
        .get_element_by_id(CANVAS_ID)
        .and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok())
    else {
        return;
    };
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let side = canvas.client_width().max(1) as f64;
    let pixels = (side * ratio).round() as u32;
    let shapes = scene(m);
    let resized = canvas.width() != pixels || canvas.height() != pixels;
    let same = LAST.with(|l| {
        let l = l.borrow();
        l.0 == pixels && l.1 == shapes
    });
    if same && !resized {
        return;
    }
    if resized {
        canvas.set_width(pixels);
        canvas.set_height(pixels);
    }
    let Some(ctx) = context(&canvas) else { return };
    let scale = pixels as f64 / 100.0;
    let _ = ctx.set_transform(scale / 4.0, 0.0, 0.0, scale / 4.0, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, 400.0, 400.0);
    let colors = palette(&canvas);
    // In quarter units: a label is 2.4 picture units high, so it grows with the picture
    // (about 15 px on a 640-pixel picture, 23 px on a projector's 950).
    ctx.set_font("bold 9.6px system-ui, sans-serif");
    ctx.set_text_align("center");
    ctx.set_text_baseline("middle");
    for shape in &shapes {
        match *shape {
            Shape::Timer { x, y, left } => {
                let (x, y) = (x as f64, y as f64);
                ctx.set_fill_style_str(&colors.track);
                ctx.fill_rect(x, y, 44.0, 4.4);
                ctx.set_fill_style_str(&colors.accent);
                ctx.fill_rect(x, y, left as f64, 4.4);
            }
            Shape::Message {
                x,
                y,
                color,
                glyph,
                label,
                entries,
                alpha,
                dup,
            } => {
                let (x, y) = (x as f64, y as f64);
                let text = if entries > 0 {
                    format!("+{entries}")
                } else {
                    label.to_string()
                };
                let fill = [&colors.rv, &colors.ae, &colors.yes, &colors.no][color as usize];
                ctx.set_global_alpha(alpha as f64 / 10.0);
                ctx.set_fill_style_str(fill);
                ctx.begin_path();
                let chars = text.chars().count() as f64;
                match glyph {
                    Glyph::Diamond => {
                        let r = 8.0 + 2.4 * (chars - 1.0).max(0.0);
                        ctx.move_to(x, y - r);
                        ctx.line_to(x + r, y);
                        ctx.line_to(x, y + r);
                        ctx.line_to(x - r, y);
                    }
                    Glyph::Envelope => {
                        let (w, h) = (8.0 + 3.2 * chars, 7.0);
                        ctx.rect(x - w, y - h, 2.0 * w, 2.0 * h);
                    }
                    Glyph::Reply => {
                        let w = 2.6 * (chars - 1.0).max(0.0);
                        let r = 6.4;
                        let half = std::f64::consts::FRAC_PI_2;
                        let _ = ctx.arc(x - w, y, r, half, 3.0 * half);
                        let _ = ctx.arc(x + w, y, r, -half, half);
                    }
                }
                ctx.close_path();
                ctx.fill();
                if dup {
                    // A duplicate carries a dashed outline.
                    ctx.set_stroke_style_str(&colors.ink);
                    ctx.set_line_width(1.6);
                    let _ = ctx.set_line_dash(&js_sys::Array::of2(&2.4.into(), &1.6.into()));
                    ctx.stroke();
                    let _ = ctx.set_line_dash(&js_sys::Array::new());
                }
                if glyph == Glyph::Envelope {
                    // The flap of the envelope, above the label.
                    let w = 8.0 + 3.2 * chars;
                    ctx.begin_path();
                    ctx.move_to(x - w, y - 7.0);
                    ctx.line_to(x, y - 4.2);
                    ctx.line_to(x + w, y - 7.0);
                    ctx.set_stroke_style_str(&colors.text);
                    ctx.set_line_width(0.8);
                    ctx.stroke();
                }
                ctx.set_fill_style_str(&colors.text);
                let _ = ctx.fill_text(&text, x, y + 0.8);
                ctx.set_global_alpha(1.0);
            }
        }
    }
    LAST.with(|l| *l.borrow_mut() = (pixels, shapes));
}
