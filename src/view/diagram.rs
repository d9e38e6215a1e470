//! The space-time diagram panel: the model of `diagram.rs` drawn on a canvas (one lane per
//! server, messages as arrows, leading and down stretches, marks), with the current moment as
//! a vertical line. Clicking seeks to the moment under the pointer; hovering an arrow
//! highlights the same message in the cluster picture, and hovering a message there
//! highlights its arrow here. Redrawn only when what it shows changed (`draw`, called by the
//! frame loop and after every render).

use crate::diagram::{build, hit, Diagram, End, Frame, MarkKind, Window, DEFAULT_ZOOM, ZOOMS_US};
use crate::geometry::clamp;
use crate::model::Model;
use crate::state::{Ui, UiAction};

use raftlab_raft::Micros;
use std::cell::{Cell, RefCell};
use wasm_bindgen::JsCast;
use web_sys::{CanvasRenderingContext2d, HtmlCanvasElement};
use yew::prelude::*;

/// The canvas's element id.
pub const DIAGRAM_ID: &str = "spacetime";
/// Width of the lane labels on the left, in CSS pixels.
const GUTTER: f64 = 34.0;
/// Height of the time axis under the lanes, in CSS pixels.
const AXIS: f64 = 18.0;

/// What a drawing shows: (now, zoom, hover, canvas pixels, lanes, trace length).
type Drawn = (Micros, usize, Option<u64>, (u32, u32), usize, u64);

thread_local! {
    static ZOOM: Cell<usize> = const { Cell::new(DEFAULT_ZOOM) };
    static HOVER: Cell<Option<u64>> = const { Cell::new(None) };
    /// What was drawn last: (now, zoom, hover, pixels, lanes, trace length); nothing is
    /// redrawn while it stays the same.
    static LAST: RefCell<Option<Drawn>> = const { RefCell::new(None) };
}

/// The message hovered in the diagram or in the cluster picture, if any.
pub fn hovered() -> Option<u64> {
    HOVER
        .with(Cell::get)
        .or_else(crate::canvas::hovered)
        .or_else(crate::canvas::highlighted)
}

/// Sets the message hovered in the diagram, and has the cluster picture highlight it too;
/// returns whether it changed.
pub fn set_hover(id: Option<u64>) -> bool {
    let changed = HOVER.with(|h| h.replace(id)) != id;
    if changed {
        crate::canvas::highlight(id);
    }
    changed
}

/// The zoom level (an index into `ZOOMS_US`).
pub fn zoom() -> usize {
    ZOOM.with(Cell::get)
}

/// Zooms in (`-1`) or out (`+1`); returns the new level.
pub fn zoom_by(step: i32) -> usize {
    let z = (zoom() as i32 + step).clamp(0, ZOOMS_US.len() as i32 - 1) as usize;
    ZOOM.with(|c| c.set(z));
    z
}

/// The width of the window at zoom level `z`, in words (`2 s`, `250 ms`).
pub fn zoom_text(z: usize) -> String {
    let us = ZOOMS_US[z.min(ZOOMS_US.len() - 1)];
    if us >= 1_000_000 {
        format!("{} s", us / 1_000_000)
    } else {
        format!("{} ms", us / 1000)
    }
}

fn canvas() -> Option<HtmlCanvasElement> {
    crate::host::by_id(DIAGRAM_ID).and_then(|e| e.dyn_into::<HtmlCanvasElement>().ok())
}

fn frame(width: f64, height: f64, lanes: u32) -> Frame {
    let lane_h = ((height - AXIS) / lanes.max(1) as f64).max(8.0);
    Frame {
        left: GUTTER,
        width: (width - GUTTER - 8.0).max(10.0),
        top: 0.0,
        lane_h,
    }
}

fn held(m: &Model) -> Vec<u64> {
    m.sim()
        .in_flight()
        .filter(|f| f.held)
        .map(|f| f.id)
        .collect()
}

/// The diagram of the current moment, its window and its frame (for pointer events).
fn current(m: &Model, canvas: &HtmlCanvasElement) -> (Diagram, Window, Frame) {
    let now = m.now();
    let window = Window::around(now, zoom());
    let lanes = m.sim().node_count() as u32;
    let (w, h) = crate::canvas::css_size(canvas);
    let f = frame(w, h, lanes);
    let d = build(&m.trace(), now, window, &held(m));
    (d, window, f)
}

/// The message under the pointer at (`x`, `y`) (CSS pixels in the canvas), if any.
pub fn message_at(m: &Model, x: f64, y: f64) -> Option<u64> {
    let canvas = canvas()?;
    let (d, window, f) = current(m, &canvas);
    hit(&d, &f, &window, m.now(), (x, y), 6.0)
}

/// The moment under the pointer at `x` (CSS pixels in the canvas), clamped to the window.
pub fn time_at(m: &Model, x: f64) -> Option<Micros> {
    let canvas = canvas()?;
    let window = Window::around(m.now(), zoom());
    let lanes = m.sim().node_count() as u32;
    let f = frame(crate::canvas::css_size(&canvas).0, 1.0, lanes);
    Some(window.time_at((x - f.left) / f.width))
}

/// The colour tokens the diagram draws with, in this order.
const TOKENS: [(&str, &str); 9] = [
    ("--ink", "#1d1f21"),
    ("--muted", "#5f6368"),
    ("--line", "#c9ccd0"),
    ("--accent", "#0b57d0"),
    ("--ok", "#17693a"),
    ("--rv", "#6a3d9a"),
    ("--ae", "#1f5fa8"),
    ("--yes", "#17693a"),
    ("--no", "#b3261e"),
];

fn seconds(us: Micros) -> String {
    // Hundredths of a second, without the float formatting machinery (kilobytes of wasm).
    format!(
        "{} s",
        crate::geometry::dec(((us + 5_000) / 10_000) as i64, 2)
    )
}

/// Sets attribute `name` of `e` to `value`, unless it has that value already (a change of an
/// attribute costs a style check).
fn set_data(e: &HtmlCanvasElement, name: &str, value: String) {
    if e.get_attribute(name).as_deref() != Some(value.as_str()) {
        let _ = e.set_attribute(name, &value);
    }
}

/// While the run plays, the diagram is redrawn at most this often (ms of wall time): its
/// current-moment line moves a pixel or two per frame, and each redraw repaints the whole
/// canvas, which costs main-thread time in a browser without GPU raster.
const PLAYING_DRAW_MS: f64 = 100.0;

thread_local! {
    static LAST_PLAYING_DRAW: Cell<f64> = const { Cell::new(f64::NEG_INFINITY) };
}

/// [`draw`] from the frame loop at wall time `t_ms`: at most every [`PLAYING_DRAW_MS`].
pub fn draw_playing(m: &Model, t_ms: f64) {
    if t_ms - LAST_PLAYING_DRAW.with(Cell::get) >= PLAYING_DRAW_MS
        || t_ms < LAST_PLAYING_DRAW.with(Cell::get)
    {
        LAST_PLAYING_DRAW.with(|c| c.set(t_ms));
        draw(m);
    }
}

/// Draws the diagram, if its panel is open and anything it shows changed.
pub fn draw(m: &Model) {
    let Some(canvas) = canvas() else { return };
    let ratio = web_sys::window().map_or(1.0, |w| w.device_pixel_ratio());
    let (cw, ch) = crate::canvas::css_size(&canvas);
    let (cw, ch) = (cw.max(1.0), ch.max(1.0));
    let pixels = ((cw * ratio).round() as u32, (ch * ratio).round() as u32);
    let lanes = m.sim().node_count();
    let key = (m.now(), zoom(), hovered(), pixels, lanes, m.traced());
    if LAST.with(|l| *l.borrow() == Some(key)) {
        return;
    }
    LAST.with(|l| *l.borrow_mut() = Some(key));
    if canvas.width() != pixels.0 || canvas.height() != pixels.1 {
        canvas.set_width(pixels.0);
        canvas.set_height(pixels.1);
    }
    let Some(ctx) = canvas
        .get_context("2d")
        .ok()
        .flatten()
        .and_then(|c| c.dyn_into::<CanvasRenderingContext2d>().ok())
    else {
        return;
    };
    let _ = ctx.set_transform(ratio, 0.0, 0.0, ratio, 0.0, 0.0);
    ctx.clear_rect(0.0, 0.0, cw, ch);
    let now = m.now();
    let (d, window, f) = current(m, &canvas);
    // What is drawn, for tests and tools: the window, counts, the highlighted message.
    let count = |p: fn(&crate::diagram::Arrow) -> bool| d.arrows.iter().filter(|a| p(a)).count();
    set_data(
        &canvas,
        "data-window",
        format!("{} {}", window.from_us, window.to_us),
    );
    set_data(
        &canvas,
        "data-summary",
        format!(
            "arrows={} dropped={} duplicates={} held={} marks={}",
            d.arrows.len(),
            count(|a| matches!(a.end, End::Dropped(..))),
            count(|a| a.copy_of.is_some()),
            count(|a| a.end == End::Held),
            d.marks.len()
        ),
    );
    set_data(
        &canvas,
        "data-hover",
        hovered().map_or(String::new(), |id| id.to_string()),
    );
    let c = crate::canvas::tokens(&canvas, &TOKENS);
    let (ink, muted, line, accent, leader) = (&c[0], &c[1], &c[2], &c[3], &c[4]);
    let palette = &c[5..9];
    let font = clamp(f.lane_h * 0.42, 10.0, 16.0);
    ctx.set_font(&format!(
        "600 {}px system-ui, sans-serif",
        font.round() as i64
    ));
    ctx.set_text_baseline("middle");
    let right = f.left + f.width;
    // Lanes, with their leading (thick) and down (dashed, faded) stretches.
    for node in 1..=lanes as u32 {
        let y = f.y(node);
        ctx.set_fill_style_str(ink);
        ctx.set_text_align("left");
        let _ = ctx.fill_text(&format!("S{node}"), 4.0, y);
        ctx.set_stroke_style_str(line);
        ctx.set_line_width(1.0);
        ctx.begin_path();
        ctx.move_to(f.left, y);
        ctx.line_to(right, y);
        ctx.stroke();
    }
    for s in &d.spans {
        let (x0, x1, y) = (f.x(&window, s.from_us), f.x(&window, s.to_us), f.y(s.node));
        if s.down {
            ctx.set_fill_style_str(line);
            ctx.set_global_alpha(0.6);
            ctx.fill_rect(x0, y - f.lane_h * 0.3, x1 - x0, f.lane_h * 0.6);
            ctx.set_global_alpha(1.0);
        } else {
            ctx.set_fill_style_str(leader);
            ctx.fill_rect(x0, y - 2.5, x1 - x0, 5.0);
        }
    }
    // Arrows, batched by colour; the hovered one last, on top.
    let kind_color = |a: &crate::diagram::Arrow| match (a.kind, a.label.as_str()) {
        ("RequestVote" | "PreVote" | "TimeoutNow", _) => 0,
        ("AppendEntries" | "InstallSnapshot", _) => 1,
        (_, "✗") => 3,
        _ => 2,
    };
    let hover = hovered();
    let dense = (d.arrows.len() > 300).then_some(());
    let thin = if d.arrows.len() > 400 { 1.0 } else { 1.5 };
    for (c, stroke) in palette.iter().enumerate() {
        ctx.set_stroke_style_str(stroke);
        ctx.set_fill_style_str(stroke);
        let of_colour = d
            .arrows
            .iter()
            .filter(move |a| kind_color(a) == c && Some(a.id) != hover);
        arrows(
            &ctx,
            &f,
            &window,
            of_colour.clone(),
            now,
            thin,
            dense.is_none(),
        );
        labels(&ctx, &f, &window, of_colour, now, font);
    }
    if let Some(a) = d.arrows.iter().find(|a| Some(a.id) == hover) {
        ctx.set_stroke_style_str(accent);
        ctx.set_fill_style_str(accent);
        arrows(&ctx, &f, &window, std::iter::once(a), now, 3.5, true);
        let ((x0, y0), (x1, y1)) = f.segment(&window, a, now);
        ctx.set_text_align("center");
        ctx.set_fill_style_str(ink);
        let _ = ctx.fill_text(
            &format!("#{} {} S{}→S{}", a.id, a.kind, a.from, a.to),
            clamp((x0 + x1) / 2.0, f.left + 60.0, right - 60.0),
            (y0 + y1) / 2.0 - font,
        );
    }
    // Marks on the lanes.
    ctx.set_text_align("center");
    for mark in &d.marks {
        let (x, y) = (f.x(&window, mark.t_us), f.y(mark.node));
        let (text, fill) = match mark.kind {
            MarkKind::Leader(t) => (format!("★{t}"), leader),
            MarkKind::Candidate(t) => (format!("C{t}"), accent),
            MarkKind::PreCandidate => ("P".to_string(), accent),
            MarkKind::Crash => ("✕".to_string(), &palette[3]),
            MarkKind::Restart => ("↻".to_string(), &palette[2]),
            MarkKind::Commit(i) => (format!("c{i}"), muted),
        };
        ctx.set_fill_style_str(fill);
        let dy = if matches!(mark.kind, MarkKind::Commit(_)) {
            f.lane_h * 0.32
        } else {
            -f.lane_h * 0.3
        };
        let _ = ctx.fill_text(&text, x, y + dy);
    }
    // The current moment, and the axis.
    let x = f.x(&window, now);
    ctx.set_stroke_style_str(accent);
    ctx.set_line_width(2.0);
    ctx.begin_path();
    ctx.move_to(x, 0.0);
    ctx.line_to(x, ch - AXIS);
    ctx.stroke();
    ctx.set_fill_style_str(muted);
    let axis_y = ch - AXIS / 2.0;
    ctx.set_text_align("left");
    let _ = ctx.fill_text(&seconds(window.from_us), f.left, axis_y);
    ctx.set_text_align("right");
    let _ = ctx.fill_text(&seconds(window.to_us), right, axis_y);
    ctx.set_text_align("center");
    ctx.set_fill_style_str(accent);
    let _ = ctx.fill_text(&seconds(now), clamp(x, f.left + 40.0, right - 40.0), axis_y);
}

/// The paths of a set of arrows, gathered so that each colour costs a few canvas calls: the
/// solid lines (with crosses where messages were dropped and rings where they wait), the
/// dashed ones (duplicates, and the part of a flight still to come), and the arrowheads.
fn arrows<'a>(
    ctx: &CanvasRenderingContext2d,
    f: &Frame,
    window: &Window,
    list: impl Iterator<Item = &'a crate::diagram::Arrow> + Clone,
    now: Micros,
    width: f64,
    heads: bool,
) {
    ctx.set_line_width(width);
    ctx.begin_path();
    let mut dashed = Vec::new();
    for a in list.clone() {
        let ((x0, y0), (x1, y1)) = f.segment(window, a, now);
        // Solid up to now, dashed to an arrival still to come; a duplicate dashed all along.
        let k = match a.end {
            End::OnWire(t) if t > now => {
                let p = window.fraction(now) - window.fraction(a.sent_us);
                let q = (window.fraction(t) - window.fraction(a.sent_us)).max(1e-9);
                clamp(p / q, 0.0, 1.0)
            }
            _ => 1.0,
        };
        let k = if a.copy_of.is_some() { 0.0 } else { k };
        let (xm, ym) = (x0 + (x1 - x0) * k, y0 + (y1 - y0) * k);
        if k > 0.0 {
            ctx.move_to(x0, y0);
            ctx.line_to(xm, ym);
        }
        if k < 1.0 {
            dashed.push(((xm, ym), (x1, y1)));
        }
        match a.end {
            End::Dropped(..) => {
                let s = 4.0 + width;
                ctx.move_to(x1 - s, y1 - s);
                ctx.line_to(x1 + s, y1 + s);
                ctx.move_to(x1 - s, y1 + s);
                ctx.line_to(x1 + s, y1 - s);
            }
            End::Held => {
                let r = 3.0 + width;
                ctx.move_to(x1 + r, y1);
                let _ = ctx.arc(x1, y1, r, 0.0, std::f64::consts::TAU);
            }
            _ => {}
        }
    }
    ctx.stroke();
    if !dashed.is_empty() {
        let _ = ctx.set_line_dash(&js_sys::Array::of2(&4.0.into(), &3.0.into()));
        ctx.begin_path();
        for ((x0, y0), (x1, y1)) in dashed {
            ctx.move_to(x0, y0);
            ctx.line_to(x1, y1);
        }
        ctx.stroke();
        let _ = ctx.set_line_dash(&js_sys::Array::new());
    }
    // Time runs left to right, so an arrow's direction shows without its head: a dense
    // diagram (many servers, a wide window) leaves the heads out and draws faster.
    if !heads {
        return;
    }
    ctx.begin_path();
    for a in list {
        if matches!(a.end, End::Dropped(..) | End::Held) {
            continue;
        }
        let ((x0, y0), (x1, y1)) = f.segment(window, a, now);
        let (dx, dy) = (x1 - x0, y1 - y0);
        let len = (dx * dx + dy * dy).sqrt().max(0.001);
        let (ux, uy) = (dx / len, dy / len);
        let s = 3.0 + width * 1.5;
        ctx.move_to(x1, y1);
        ctx.line_to(x1 - ux * s * 2.0 - uy * s, y1 - uy * s * 2.0 + ux * s);
        ctx.line_to(x1 - ux * s * 2.0 + uy * s, y1 - uy * s * 2.0 - ux * s);
        ctx.close_path();
    }
    ctx.fill();
}

/// Labels beside the arrows that lean enough to leave room for them.
fn labels<'a>(
    ctx: &CanvasRenderingContext2d,
    f: &Frame,
    window: &Window,
    list: impl Iterator<Item = &'a crate::diagram::Arrow>,
    now: Micros,
    font: f64,
) {
    ctx.set_text_align("center");
    for a in list {
        let ((x0, y0), (x1, y1)) = f.segment(window, a, now);
        if (x1 - x0).abs() > font * 2.5 && (y1 - y0).abs() > font && !a.label.is_empty() {
            let _ = ctx.fill_text(&a.label, (x0 + x1) / 2.0 + font * 0.5, (y0 + y1) / 2.0);
        }
    }
}

/// Redraws the diagram after a hover change (the cluster picture redraws itself).
fn redraw() {
    if let Ok(m) = crate::state::shared_model().try_borrow() {
        draw(&m);
    }
}

/// The pointer's position in the canvas, in CSS pixels.
fn offset(e: &MouseEvent) -> (f64, f64) {
    (e.offset_x() as f64, e.offset_y() as f64)
}

/// The diagram's section (the full page's section and the `diagram` embed panel).
pub(crate) fn diagram(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    html! { <SpaceTime ui={ui.clone()} version={m.version} lanes={m.sim().node_count()} now={m.now()} /> }
}

/// What the diagram's section is rendered from.
#[derive(Properties, PartialEq)]
pub(crate) struct DiagramProps {
    /// The page's state (for seeking).
    pub ui: UseReducerHandle<Ui>,
    /// The model's version: a new one re-renders the section.
    pub version: u64,
    /// How many lanes (servers).
    pub lanes: usize,
    /// The moment shown.
    pub now: Micros,
}

/// The diagram's section: zoom buttons, the canvas (click: seek; hover: highlight a message)
/// and a one-line key. The canvas is drawn after every render of the section and by the
/// frame loop while playing.
#[component]
pub(crate) fn SpaceTime(props: &DiagramProps) -> Html {
    let ui = &props.ui;
    let (lanes, now) = (props.lanes, props.now);
    let zoomed = use_state(zoom);
    // A message hovered in the cluster picture is highlighted here too, while the diagram is
    // on the page.
    use_effect_with((), |_| {
        crate::canvas::on_hover(Some(std::rc::Rc::new(|_| {
            if let Ok(m) = crate::state::shared_model().try_borrow() {
                draw(&m);
            }
        })));
        || crate::canvas::on_hover(None)
    });
    use_effect(|| {
        if let Ok(m) = crate::state::shared_model().try_borrow() {
            draw(&m);
        }
    });
    let window = Window::around(now, *zoomed);
    let readonly = crate::embed::options().readonly;
    let on_click = {
        let ui = ui.clone();
        Callback::from(move |e: MouseEvent| {
            // A read-only embed shows the run as its author made it.
            if readonly {
                return;
            }
            let (x, _) = offset(&e);
            let t = crate::state::shared_model()
                .try_borrow()
                .ok()
                .and_then(|m| time_at(&m, x));
            if let Some(t) = t {
                ui.dispatch(UiAction::Seek(t));
            }
        })
    };
    let on_move = Callback::from(move |e: MouseEvent| {
        let (x, y) = offset(&e);
        let id = crate::state::shared_model()
            .try_borrow()
            .ok()
            .and_then(|m| message_at(&m, x, y));
        if set_hover(id) {
            redraw();
        }
    });
    let on_leave = Callback::from(move |_: MouseEvent| {
        if set_hover(None) {
            redraw();
        }
    });
    let zoom_cb = |step: i32| {
        let zoomed = zoomed.clone();
        // A new window to show: render (the canvas is redrawn after the render).
        Callback::from(move |_: MouseEvent| zoomed.set(zoom_by(step)))
    };
    let z = *zoomed;
    let label = format!(
        "Space-time diagram: one lane per server, {} to {}; each message is an arrow from its send to its arrival",
        seconds(window.from_us),
        seconds(window.to_us)
    );
    let height = format!("height: calc({lanes} * 2.4rem + {}px)", AXIS as i64);
    html! {
        <section class="panel spacetime" aria-label={label}>
            <div class="st-bar">
                <button onclick={zoom_cb(-1)} disabled={z == 0} aria-label="Zoom the diagram in">{ "+" }</button>
                <button onclick={zoom_cb(1)} disabled={z + 1 == ZOOMS_US.len()} aria-label="Zoom the diagram out">{ "−" }</button>
                <span class="st-window">{ format!("window {}", zoom_text(z)) }</span>
                <span class="st-key" aria-hidden="true">
                    <i class="k-rv">{ "V vote" }</i>
                    <i class="k-ae">{ "AE append" }</i>
                    <i class="k-yes">{ "✓ yes" }</i>
                    <i class="k-no">{ "✗ no" }</i>
                    <i>{ "✕ dropped" }</i>
                    <i class="k-leader">{ "━ leading" }</i>
                </span>
            </div>
            <canvas id={DIAGRAM_ID} role="img" aria-label={format!("Lanes S1 to S{lanes}, messages as arrows, the current moment as a line")}
                style={height} onclick={on_click} onmousemove={on_move} onmouseleave={on_leave} />
            <p class="hint">{ "Click the diagram to go to that moment; hover an arrow to find its message in the picture." }</p>
        </section>
    }
}
