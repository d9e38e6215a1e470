//! The moving parts of the picture (messages in flight, election timers) drawn on a canvas over
//! the SVG, once per animation frame. Drawing a dozen shapes costs far less main-thread time
//! than letting the browser restyle animated elements every frame, and it reads the model only:
//! positions come from each message's send and arrival times and the current simulated time.
//!
//! Held messages (manual delivery) do not move: they wait queued on their link, near the
//! sender, several on one link side by side, each with an outline and a bar across the link
//! in front of the queue ("stopped here").
//!
//! ## Which message is where: the hit and highlight API
//!
//! Other parts of the page (the cluster picture's pointer handlers, the space-time diagram)
//! use these, all in the picture's units (the picture is 100 x 100) or in client pixels:
//!
//! - [`message_at`]`(x, y)`: the id of the message drawn under a point of the picture, as
//!   last drawn (a generous hit area, about a glyph's size; the topmost, that is the newest,
//!   wins where glyphs overlap); [`message_at_client`] takes a pointer event's client
//!   coordinates.
//! - [`highlight`]`(Some(id))`: draw that message with a highlight ring (a hover elsewhere,
//!   e.g. in the diagram), `None` to stop; [`highlighted`] reads it back.
//! - [`set_hover`] / [`hovered`]: the message under the pointer in the picture (the cluster
//!   view sets it); [`on_hover`] registers one function told of every change (the diagram
//!   panel can highlight the same message).
//! - [`set_selected`]: the selected message (`Selection::Message`), drawn with a bold ring.
//!
//! Each setter redraws the canvas at once when its value changed (from the shared model),
//! so a highlight shows while paused too.

use crate::geometry::{clamp, position, NODE_R};
use crate::glyph::{Glyph, Look};
use crate::model::Model;
use raftlab_raft::{NodeId, Role};
use std::cell::{Cell, RefCell};
use std::rc::Rc;
use wasm_bindgen::prelude::Closure;
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

/// The colour tokens the picture draws with, in the order of [`Palette`]'s fields.
const PICTURE_TOKENS: [(&str, &str); 8] = [
    ("--rv", "#6a3d9a"),
    ("--ae", "#1f5fa8"),
    ("--yes", "#17693a"),
    ("--no", "#b3261e"),
    ("--accent", "#0b57d0"),
    ("--line", "#c9ccd0"),
    ("--ink", "#1d1f21"),
    ("--msg-ink", "#fff"),
];

fn palette(canvas: &HtmlCanvasElement) -> Palette {
    let [rv, ae, yes, no, accent, track, ink, text] =
        <[String; 8]>::try_from(tokens(canvas, &PICTURE_TOKENS)).unwrap_or_default();
    Palette {
        rv,
        ae,
        yes,
        no,
        accent,
        track,
        ink,
        text,
    }
}

/// Colours read from the style sheet, per list of tokens: (the list's address, theme
/// attribute, dark scheme, colours).
type TokenCache = Vec<(usize, String, bool, Vec<String>)>;

thread_local! {
    static TOKEN_CACHE: RefCell<TokenCache> = const { RefCell::new(Vec::new()) };
}

/// The values of the CSS custom properties `names` (with their fallbacks) for `el`, read from
/// the style sheet once per theme: reading computed styles on every frame costs main-thread
/// time. Used by the picture and the space-time diagram.
pub(crate) fn tokens(
    el: &web_sys::Element,
    names: &'static [(&'static str, &'static str)],
) -> Vec<String> {
    let theme = crate::host::doc_root()
        .and_then(|e| e.get_attribute("data-theme"))
        .unwrap_or_default();
    let dark = prefers_dark();
    let key = names.as_ptr() as usize;
    TOKEN_CACHE.with(|c| {
        let mut c = c.borrow_mut();
        if let Some((_, _, _, colours)) =
            c.iter().find(|e| e.0 == key && e.1 == theme && e.2 == dark)
        {
            return colours.clone();
        }
        let style = web_sys::window().and_then(|w| w.get_computed_style(el).ok().flatten());
        let colours: Vec<String> = names
            .iter()
            .map(|(name, fallback)| {
                style
                    .as_ref()
                    .and_then(|s| s.get_property_value(name).ok())
                    .map(|v| v.trim().to_string())
                    .filter(|v| !v.is_empty())
                    .unwrap_or_else(|| fallback.to_string())
            })
            .collect();
        c.retain(|e| e.0 != key);
        c.push((key, theme, dark, colours.clone()));
        colours
    })
}

/// Whether the system asks for a dark theme: one `MediaQueryList`, kept (creating one per
/// frame costs main-thread time).
pub(crate) fn prefers_dark() -> bool {
    thread_local! {
        static DARK: Option<web_sys::MediaQueryList> = web_sys::window()
            .and_then(|w| w.match_media("(prefers-color-scheme: dark)").ok().flatten());
    }
    DARK.with(|q| q.as_ref().is_some_and(|q| q.matches()))
}

/// A canvas's size in CSS pixels (client width and height), kept between frames: reading
/// `clientWidth` makes the browser bring style and layout up to date, which the frame loop
/// would pay on every frame. One `ResizeObserver` forgets a canvas's size when it changes
/// (the next call reads it again); canvases no longer in the document are forgotten too.
pub(crate) fn css_size(canvas: &HtmlCanvasElement) -> (f64, f64) {
    type Sizes = Vec<(HtmlCanvasElement, Option<(f64, f64)>)>;
    thread_local! {
        static SIZES: Rc<RefCell<Sizes>> = Rc::new(RefCell::new(Vec::new()));
        static OBSERVER: Option<web_sys::ResizeObserver> = SIZES.with(|sizes| {
            let sizes = Rc::downgrade(sizes);
            let forget = Closure::<dyn FnMut()>::new(move || {
                if let Some(sizes) = sizes.upgrade() {
                    for entry in sizes.borrow_mut().iter_mut() {
                        entry.1 = None;
                    }
                }
            });
            let observer = web_sys::ResizeObserver::new(forget.as_ref().unchecked_ref()).ok();
            forget.forget(); // lives as long as the page
            observer
        });
    }
    let read = || {
        (
            canvas.client_width().max(0) as f64,
            canvas.client_height().max(0) as f64,
        )
    };
    SIZES.with(|sizes| {
        let mut sizes = sizes.borrow_mut();
        if let Some(entry) = sizes.iter_mut().find(|e| &e.0 == canvas) {
            return *entry.1.get_or_insert_with(read);
        }
        sizes.retain(|e| e.0.is_connected());
        let size = read();
        sizes.push((canvas.clone(), Some(size)));
        OBSERVER.with(|o| {
            if let Some(o) = o {
                o.observe(canvas);
            }
        });
        size
    })
}

fn context(canvas: &HtmlCanvasElement) -> Option<CanvasRenderingContext2d> {
    canvas.get_context("2d").ok().flatten()?.dyn_into().ok()
}

/// One thing to draw, in picture units (the picture is 100 x 100).
#[derive(Clone, PartialEq)]
enum Shape {
    /// An election timer: position of the bar's left end and the part still left (0..=1).
    Timer { x: i32, y: i32, left: i32 },
    /// A message: its id, centre, its look (colour, shape, label: `glyph.rs`), alpha,
    /// duplicate, held (waiting on its link), and its ring (0 none, 1 highlighted, 2
    /// selected).
    Message {
        id: u64,
        x: i32,
        y: i32,
        look: Look,
        alpha: i32,
        dup: bool,
        held: bool,
        ring: u8,
    },
    /// The bar across a link in front of the messages held on it: from (x1, y1) to (x2, y2),
    /// and how many wait there (written beside the bar when there are more than 3).
    Gate {
        x1: i32,
        y1: i32,
        x2: i32,
        y2: i32,
        count: usize,
    },
}

/// Quarter-unit precision (about a pixel and a half on a 600-pixel picture): the canvas is
/// only redrawn when something moved that much.
fn q(v: f64) -> i32 {
    (v * 4.0).round() as i32
}

/// A function told of the message under the pointer ([`on_hover`]).
pub type HoverListener = Rc<dyn Fn(Option<u64>)>;

/// Where a link's gate goes: its point, the link's direction, and how many wait there.
type GatePlace = (f64, f64, f64, f64, usize);

thread_local! {
    static LAST: RefCell<(u32, Vec<Shape>)> = const { RefCell::new((0, Vec::new())) };
    static HIGHLIGHT: Cell<Option<u64>> = const { Cell::new(None) };
    static HOVER: Cell<Option<u64>> = const { Cell::new(None) };
    static SELECTED: Cell<Option<u64>> = const { Cell::new(None) };
    static ON_HOVER: RefCell<Option<HoverListener>> = const { RefCell::new(None) };
}

/// Half the side of a message's hit square, in picture units: about a glyph's size (a glyph
/// is 4 to 6 units wide), so a tap on a phone finds it.
const HIT: f64 = 3.6;

/// The id of the message drawn under the point (x, y) of the picture (100 x 100), as last
/// drawn: where glyphs overlap, the topmost (the newest); otherwise the nearest within about
/// a glyph's size.
pub fn message_at(x: f64, y: f64) -> Option<u64> {
    LAST.with(|l| {
        let l = l.borrow();
        let mut best: Option<(f64, u64)> = None;
        // Drawn in order: the last one drawn is on top.
        for shape in l.1.iter().rev() {
            if let Shape::Message {
                id,
                x: mx,
                y: my,
                alpha,
                ..
            } = *shape
            {
                if alpha == 0 {
                    continue;
                }
                let (dx, dy) = ((mx as f64 / 4.0 - x).abs(), (my as f64 / 4.0 - y).abs());
                if dx <= HIT && dy <= HIT {
                    // Inside its glyph: the topmost wins at once.
                    if dx <= 2.0 && dy <= 1.8 {
                        return Some(id);
                    }
                    let d = dx * dx + dy * dy;
                    if best.is_none_or(|(b, _)| d < b) {
                        best = Some((d, id));
                    }
                }
            }
        }
        best.map(|(_, id)| id)
    })
}

/// [`message_at`] for a point in client pixels (a pointer event's `client_x`, `client_y`),
/// mapped through the canvas's box; `None` when the canvas is not on the page.
pub fn message_at_client(client_x: f64, client_y: f64) -> Option<u64> {
    let canvas = crate::host::by_id(CANVAS_ID)?;
    let rect = canvas.get_bounding_client_rect();
    if rect.width() <= 0.0 || rect.height() <= 0.0 {
        return None;
    }
    let x = (client_x - rect.left()) / rect.width() * 100.0;
    let y = (client_y - rect.top()) / rect.height() * 100.0;
    ((0.0..=100.0).contains(&x) && (0.0..=100.0).contains(&y))
        .then(|| message_at(x, y))
        .flatten()
}

/// Draws message `id` with a highlight ring (or none with `None`): for a hover somewhere
/// else on the page, such as the space-time diagram. Redraws when it changed.
pub fn highlight(id: Option<u64>) {
    if HIGHLIGHT.with(|h| h.replace(id)) != id {
        // Said on the canvas too, for tests and tools (`data-highlight`, empty for none).
        if let Some(canvas) = crate::host::by_id(CANVAS_ID) {
            let _ = canvas.set_attribute(
                "data-highlight",
                &id.map_or(String::new(), |id| id.to_string()),
            );
        }
        // The diagram draws the same highlight: tell it as of a hover.
        let listener = ON_HOVER.with(|l| l.borrow().clone());
        if let Some(f) = listener {
            f(id);
        }
        redraw();
    }
}

/// The message highlighted by [`highlight`].
pub fn highlighted() -> Option<u64> {
    HIGHLIGHT.with(Cell::get)
}

/// Sets the message under the pointer in the picture (drawn with a highlight ring), tells
/// the [`on_hover`] listener and redraws, when it changed.
pub fn set_hover(id: Option<u64>) {
    if HOVER.with(|h| h.replace(id)) != id {
        let listener = ON_HOVER.with(|l| l.borrow().clone());
        if let Some(f) = listener {
            f(id);
        }
        redraw();
    }
}

/// The message under the pointer in the picture, if any.
pub fn hovered() -> Option<u64> {
    HOVER.with(Cell::get)
}

/// Registers the one function told when the message under the pointer changes (replacing
/// any earlier one; `None` removes it).
pub fn on_hover(f: Option<HoverListener>) {
    ON_HOVER.with(|l| *l.borrow_mut() = f);
}

/// Sets the selected message (drawn with a bold ring); redraws when it changed.
pub fn set_selected(id: Option<u64>) {
    if SELECTED.with(|s| s.replace(id)) != id {
        redraw();
    }
}

/// Draws the shared model now (after a highlight or a selection changed).
fn redraw() {
    let model = crate::state::shared_model();
    if let Ok(m) = model.try_borrow() {
        draw(&m);
    };
}

fn scene(m: &Model) -> Vec<Shape> {
    let sim = m.sim();
    let n = sim.node_count();
    let now = sim.now();
    let mut shapes = Vec::new();
    // Election timers: a bar above each follower and candidate, draining. A server that
    // does not stand for election (a learner, a new server, a removed one) has no bar. With
    // manual timers nothing drains: the picture (cluster.rs) has a button per timer instead.
    let timers = !sim.timers_manual();
    for node in sim.nodes().iter().filter(|_| timers) {
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
            left: q(11.0 * clamp(left, 0.0, 1.0)),
        });
    }
    let (hover, light, selected) = (hovered(), highlighted(), SELECTED.with(Cell::get));
    // A lesson's step may emphasise message types: each such message gets a ring.
    let kinds: &[String] = m.emphasis().map_or(&[], |h| &h.messages);
    // Messages in flight, interpolated between their send and arrival times; the newest
    // drawn last (on top). Held ones wait in a queue on their link, numbered per link.
    let mut flying: Vec<_> = sim.in_flight().collect();
    raftlab_sim::order::sort_by_key(&mut flying, |f| f.id.into());
    // Per link with held messages: (link, how many so far), and where its gate goes and the
    // link's direction. Short lists, not maps (a map type costs kilobytes of wasm).
    let mut queued: Vec<((NodeId, NodeId), usize)> = Vec::new();
    let mut gates: Vec<((NodeId, NodeId), GatePlace)> = Vec::new();
    let first_message = shapes.len();
    for msg in flying {
        let message = msg.message;
        let (from, to) = (message.from(), message.to());
        let (x0, y0) = position(from, n);
        let (x1, y1) = position(to, n);
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
        let mut p = clamp(now.saturating_sub(msg.sent_at) as f64 / span, 0.0, 1.0);
        let dies = msg.lost || !sim.link_up(from, to) || !sim.is_alive(to);
        let mut alpha = 1.0;
        let mut side = 0.0;
        if msg.held {
            // Queued near the sender (past the word under it), 7 units apart (a glyph is up
            // to 6 wide), on up to three quarters of the link; then in a second and a third
            // row beside the first, on the sender's side of the link. A longer queue piles
            // up on its last place (the newest on top) and the gate counts it.
            let at = match queued.iter().position(|q| q.0 == (from, to)) {
                Some(at) => at,
                None => {
                    queued.push(((from, to), 0));
                    queued.len() - 1
                }
            };
            let k = &mut queued[at].1;
            let room = (len - 2.0 * gap).max(1.0);
            let cols = (((room * 0.75 - 4.5) / 7.0).floor().max(0.0) as usize + 1).max(1);
            let slot = (*k).min(cols * 3 - 1);
            let (col, row) = (slot % cols, slot / cols);
            *k += 1;
            p = (4.5 + col as f64 * 7.0) / room;
            side = 4.2 * row as f64;
            let front = (((*k).min(cols) as f64 * 7.0 + 2.0) / room).min(1.0);
            let place = (sx + (ex - sx) * front, sy + (ey - sy) * front, ux, uy, *k);
            match gates.iter_mut().find(|g| g.0 == (from, to)) {
                Some(g) => g.1 = place,
                None => gates.push(((from, to), place)),
            }
        } else if dies && p > 0.7 {
            // A lost message stops short and fades away.
            alpha = clamp(1.0 - (p - 0.7) / 0.3, 0.0, 1.0);
            p = 0.7 + (p - 0.7) * 0.2;
        }
        let ring = if selected == Some(msg.id) {
            2
        } else if hover == Some(msg.id)
            || light == Some(msg.id)
            || kinds.iter().any(|k| k == message.type_name())
        {
            1
        } else {
            0
        };
        shapes.push(Shape::Message {
            id: msg.id,
            x: q(sx + (ex - sx) * p - uy * side),
            y: q(sy + (ey - sy) * p + ux * side),
            look: crate::glyph::look(message),
            alpha: (alpha * 10.0).round() as i32,
            dup: msg.copy_of.is_some(),
            held: msg.held,
            ring,
        });
    }
    // The gates, under the messages: a bar across the link just past its queue.
    let bars = gates
        .into_iter()
        .map(|(_, (gx, gy, ux, uy, count))| Shape::Gate {
            x1: q(gx - uy * 2.8),
            y1: q(gy + ux * 2.8),
            x2: q(gx + uy * 2.8),
            y2: q(gy - ux * 2.8),
            count,
        });
    shapes.splice(first_message..first_message, bars);
    shapes
}

/// Draws the current moment on the canvas, if it is on the page and anything changed.
pub fn draw(m: &Model) {
    let Some(canvas) =
        crate::host::by_id(CANVAS_ID).and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok())
    else {
        return;
    };
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let side = css_size(&canvas).0.max(1.0);
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
            Shape::Gate {
                x1,
                y1,
                x2,
                y2,
                count,
            } => {
                ctx.set_stroke_style_str(&colors.ink);
                ctx.set_line_width(2.0);
                ctx.set_line_cap("round");
                ctx.begin_path();
                ctx.move_to(x1 as f64, y1 as f64);
                ctx.line_to(x2 as f64, y2 as f64);
                ctx.stroke();
                ctx.set_line_cap("butt");
                if count > 3 {
                    // How many wait, beyond the bar's first end.
                    let (dx, dy) = ((x1 - x2) as f64, (y1 - y2) as f64);
                    let d = dx.hypot(dy).max(1.0);
                    ctx.set_fill_style_str(&colors.ink);
                    let _ = ctx.fill_text(
                        &format!("{count}"),
                        x1 as f64 + dx / d * 7.0,
                        y1 as f64 + dy / d * 7.0,
                    );
                }
            }
            Shape::Message {
                x,
                y,
                look,
                alpha,
                dup,
                held,
                ring,
                ..
            } => {
                let (x, y) = (x as f64, y as f64);
                let text = look.text();
                let glyph = look.glyph;
                let fill = [&colors.rv, &colors.ae, &colors.yes, &colors.no][look.tone as usize];
                ctx.set_global_alpha(alpha as f64 / 10.0);
                ctx.set_fill_style_str(fill);
                ctx.begin_path();
                let chars = text.chars().count() as f64;
                // How far the glyph reaches from its centre (for the ring).
                let reach = match glyph {
                    Glyph::Diamond => 8.0 + 2.4 * (chars - 1.0).max(0.0),
                    Glyph::Envelope => (8.0 + 3.2 * chars).hypot(7.0),
                    Glyph::Round => 6.4 + 2.6 * (chars - 1.0).max(0.0),
                    Glyph::Square => (2.6 * (chars - 1.0).max(0.0) + 5.6).hypot(5.6),
                };
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
                    Glyph::Square => {
                        // A square tag with rounded corners: an append's answer.
                        let w = 2.6 * (chars - 1.0).max(0.0) + 5.6;
                        let (h, r) = (5.6, 1.6);
                        ctx.move_to(x - w + r, y - h);
                        let _ = ctx.arc_to(x + w, y - h, x + w, y + h, r);
                        let _ = ctx.arc_to(x + w, y + h, x - w, y + h, r);
                        let _ = ctx.arc_to(x - w, y + h, x - w, y - h, r);
                        let _ = ctx.arc_to(x - w, y - h, x + w, y - h, r);
                    }
                    Glyph::Round => {
                        let w = 2.6 * (chars - 1.0).max(0.0);
                        let r = 6.4;
                        let half = std::f64::consts::FRAC_PI_2;
                        let _ = ctx.arc(x - w, y, r, half, 3.0 * half);
                        let _ = ctx.arc(x + w, y, r, -half, half);
                    }
                }
                ctx.close_path();
                ctx.fill();
                if held && !dup {
                    // Waiting on its link: a solid outline.
                    ctx.set_stroke_style_str(&colors.ink);
                    ctx.set_line_width(1.2);
                    ctx.stroke();
                }
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
                if ring > 0 {
                    // Selected: a bold double ring (ink under the accent); highlighted (a
                    // hover here or in another panel): a thinner accent ring.
                    let r = reach + 3.0;
                    let tau = std::f64::consts::TAU;
                    if ring == 2 {
                        ctx.set_stroke_style_str(&colors.ink);
                        ctx.set_line_width(3.6);
                        ctx.begin_path();
                        let _ = ctx.arc(x, y, r, 0.0, tau);
                        ctx.stroke();
                    }
                    ctx.set_stroke_style_str(&colors.accent);
                    ctx.set_line_width(if ring == 2 { 1.8 } else { 1.4 });
                    ctx.begin_path();
                    let _ = ctx.arc(x, y, r, 0.0, tau);
                    ctx.stroke();
                }
            }
        }
    }
    LAST.with(|l| *l.borrow_mut() = (pixels, shapes));
}
