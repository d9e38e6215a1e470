//! The lesson views: the Lessons entry and list, the lesson player beside the picture, the
//! presenter's caption band and the presenter's notes window. Step text is rendered from
//! the model's spans (`model::markup`) as text nodes: a lesson's text is never HTML.

use super::*;
use crate::model::{markup, Answer, Phase, Player, Span, Step};
use crate::state::LessonAction;

fn lesson_cb<E: 'static>(ui: &UseReducerHandle<Ui>, a: LessonAction) -> Callback<E> {
    ui_cb(ui, move |_| UiAction::Lesson(a))
}

/// The Lessons button of the header: opens the list (fetched on first use).
pub(crate) fn lessons_button(ui: &UseReducerHandle<Ui>) -> Html {
    let onclick = {
        let ui = ui.clone();
        Callback::from(move |_: MouseEvent| {
            if ui.lessons.is_none() {
                crate::lessons::load_index(ui.dispatcher());
            }
            ui.dispatch(UiAction::ShowLessons(true));
        })
    };
    html! {
        <button class="lessons-entry" {onclick} aria-haspopup="dialog">{ "Lessons" }</button>
    }
}

/// The list of lessons, each with its summary and the progress remembered.
pub(crate) fn lessons_dialog(ui: &UseReducerHandle<Ui>) -> Html {
    let progress = crate::model::parse_progress(&crate::lessons::progress());
    let list = match &ui.lessons {
        None => html! { <p class="hint">{ "Loading the lessons…" }</p> },
        Some(list) if list.is_empty() => html! { <p class="hint">{ "No lessons yet." }</p> },
        Some(list) => html! {
            <ol class="lesson-list">
                { for list.iter().map(|l| {
                    let id = l.id.clone();
                    let reached = progress.iter().find(|(i, _)| *i == l.id).map(|p| p.1);
                    let onclick = {
                        let ui = ui.clone();
                        Callback::from(move |_: MouseEvent| {
                            crate::lessons::open(&id, 0, ui.dispatcher());
                            ui.dispatch(UiAction::ShowLessons(false));
                        })
                    };
                    html! {
                        <li>
                            <button class="lesson-open" {onclick}>{ &l.title }</button>
                            <span class="lesson-meta">
                                { format!("{} steps", l.steps) }
                                if let Some(n) = reached {
                                    { format!(" · reached step {n}") }
                                }
                                if !l.topics.is_empty() {
                                    { format!(" · §{}", l.topics.join(", ")) }
                                }
                            </span>
                            <p>{ &l.summary }</p>
                        </li>
                    }
                }) }
            </ol>
        },
    };
    html! {
        <div class="overlay" onclick={ui_cb(ui, |_| UiAction::ShowLessons(false))}>
            <div class="dialog lessons-dialog" role="dialog" aria-modal="true" aria-label="Lessons"
                onclick={Callback::from(|e: MouseEvent| e.stop_propagation())}>
                <h2>{ "Lessons" }</h2>
                <p class="hint">{ "Guided tours of Raft on this simulator: read, predict, act. Each step can be replayed with Back. A teacher's own lesson file opens from Files → Open." }</p>
                { list }
                <button autofocus=true onclick={ui_cb(ui, |_| UiAction::ShowLessons(false))}>{ "Close" }</button>
            </div>
        </div>
    }
}

/// A step's text as paragraphs of text, emphasis, code and links.
pub(crate) fn text(t: &str) -> Html {
    html! {
        <>
        { for markup(t).into_iter().map(|p| html! {
            <p>{ for p.into_iter().map(|s| match s {
                Span::Text(t) => html! { { t } },
                Span::Em(t) => html! { <em>{ t }</em> },
                Span::Code(t) => html! { <code>{ t }</code> },
                Span::Link(words, url) => html! {
                    <a href={url} target="_blank" rel="noopener">{ words }</a>
                },
            }) }</p>
        }) }
        </>
    }
}

/// Back, Continue, the step list and "3 of 9": always in the same place, first in the panel.
fn navigation(ui: &UseReducerHandle<Ui>, p: &Player) -> Html {
    let steps = p.lesson.steps.len();
    let last = p.step + 1 >= steps;
    let task_open = p.phase == Phase::Shown && p.current().task.is_some() && !p.task_done(p.step);
    let (next_label, next_title) = match p.phase {
        Phase::Playing(_) => ("Skip ahead", "Jump to the step's moment now"),
        Phase::Asking => ("Just show me", "Skip the question and see"),
        _ if task_open => ("Continue", "Do the task first, or press Show me"),
        _ => ("Continue", "On to the next step"),
    };
    let on_pick = ui_cb(ui, |e: Event| {
        let i = input_value(&e).parse::<usize>().unwrap_or(0);
        UiAction::Lesson(LessonAction::Goto(i))
    });
    html! {
        <nav class="lesson-nav" aria-label="Lesson navigation">
            <button onclick={lesson_cb(ui, LessonAction::Back)} aria-keyshortcuts="ArrowLeft PageUp"
                disabled={p.step == 0 && p.phase == Phase::Shown}>{ "Back" }</button>
            <button class="primary" onclick={lesson_cb(ui, LessonAction::Next)}
                aria-keyshortcuts="ArrowRight PageDown Space" title={next_title}
                disabled={(last && p.phase == Phase::Shown) || task_open || p.phase == Phase::Stuck}>
                { next_label }
            </button>
            <label class="field lesson-steps">
                <span class="visually-hidden">{ "Go to step" }</span>
                <select aria-label="Go to step" onchange={on_pick}>
                    { for p.lesson.steps.iter().enumerate().map(|(i, s)| html! {
                        <option value={i.to_string()} selected={i == p.step}>
                            { format!("{}. {}", i + 1, s.title) }
                        </option>
                    }) }
                </select>
            </label>
            <span class="lesson-count" aria-live="polite">{ format!("{} of {steps}", p.step + 1) }</span>
        </nav>
    }
}

/// The question of `step` (index `i`): its choices while asked, then the answer and why.
fn question(ui: &UseReducerHandle<Ui>, p: &Player, i: usize, asking: bool) -> Html {
    let Some(q) = p.lesson.steps.get(i).and_then(|s| s.question.as_ref()) else {
        return html! {};
    };
    if asking {
        return html! {
            <div class="lesson-question" role="group" aria-label="Question">
                <p class="prompt"><strong>{ "Predict: " }</strong>{ &q.prompt }</p>
                <div class="choices">
                    { for q.choices.iter().enumerate().map(|(c, text)| html! {
                        <button onclick={lesson_cb(ui, LessonAction::Answer(Some(c)))}>{ text }</button>
                    }) }
                </div>
                <button class="link" onclick={lesson_cb(ui, LessonAction::Answer(None))}>{ "Just show me" }</button>
            </div>
        };
    }
    let right = &q.choices[q.answer];
    let verdict = match p.answers.get(i).copied().flatten() {
        Some(Answer::Chose(c)) if c == q.answer => format!("✓ Right: {right}."),
        Some(Answer::Chose(c)) => format!(
            "✗ Not quite: you chose {}; the run shows {right}.",
            q.choices[c]
        ),
        _ => format!("The answer: {right}."),
    };
    html! {
        <div class="lesson-question answered" role="group" aria-label="Question">
            <p class="prompt">{ &q.prompt }</p>
            <p class="verdict" role="status">{ verdict }</p>
            <p class="why">{ &q.why }</p>
        </div>
    }
}

/// The task of the step shown: what to do, Show me, and whether it is done.
fn task(ui: &UseReducerHandle<Ui>, p: &Player, step: &Step) -> Html {
    let Some(t) = &step.task else {
        return html! {};
    };
    let done = p.task_done(p.step);
    html! {
        <div class={if done { "lesson-task done" } else { "lesson-task" }} role="group" aria-label="Task">
            <p class="prompt"><strong>{ "Your turn: " }</strong>{ &t.prompt }</p>
            if done {
                <p class="verdict" role="status">{ "✓ Done. Continue from your own run." }</p>
            } else {
                <button onclick={lesson_cb(ui, LessonAction::ShowMe)}>{ "Show me" }</button>
            }
        </div>
    }
}

/// The lesson player, beside the picture.
pub(crate) fn player(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let Some(p) = m.lesson() else {
        return html! {};
    };
    let step = p.current();
    html! {
        <section class="lesson" aria-label="Lesson">
            <p class="lesson-title">{ &p.lesson.title }</p>
            { navigation(ui, p) }
            <h2 class="step-title">{ &step.title }</h2>
            <div class="step-text">{ text(&step.text) }</div>
            { question(ui, p, p.step, false) }
            { match p.phase {
                Phase::Asking => question(ui, p, p.step + 1, true),
                Phase::Playing(_) => html! { <p class="hint" role="status">{ "Playing on to the next step…" }</p> },
                Phase::Stuck => html! {
                    <p class="verdict" role="status">{ "The next step's moment does not come in this run: go Back, or explore from here." }</p>
                },
                Phase::Shown => task(ui, p, step),
            } }
            <div class="lesson-foot">
                <button onclick={lesson_cb(ui, LessonAction::Close)}
                    title="Leave the lesson and keep the run at this moment">{ "Explore from here" }</button>
                <button onclick={ui_cb(ui, { let on = ui.present; move |_| UiAction::Present(!on) })}
                    aria-keyshortcuts="p">{ if ui.present { "Leave presenter mode" } else { "Present" } }</button>
            </div>
        </section>
    }
}

/// Presenter mode's caption band: the step's title and text in large type, the question or
/// the task, and the lesson navigation with play and pause.
pub(crate) fn caption(ui: &UseReducerHandle<Ui>, m: &Model) -> Html {
    let Some(p) = m.lesson() else {
        return html! {
            <div class="caption" role="region" aria-label="Caption">
                <p>{ "Presenter mode: open a lesson (Lessons), or press Escape to leave." }</p>
                <div class="caption-nav">
                    { lessons_button(ui) }
                    <button onclick={ui_cb(ui, |_| UiAction::Present(false))}>{ "Leave presenter mode" }</button>
                </div>
            </div>
        };
    };
    let step = p.current();
    html! {
        <div class="caption" role="region" aria-label="Caption">
            // Two columns on a wide screen: the step's text, then its question or task
            // beside it (not under it), so the band stays low and the picture large.
            // Focusable: a long step scrolls here, by keyboard too.
            <div class="caption-text" tabindex="0" role="group" aria-label="Step text">
                <div class="caption-main">
                    <h2>{ &step.title }</h2>
                    { text(&step.text) }
                </div>
                <div class="caption-side">
                    { question(ui, p, p.step, false) }
                    { match p.phase {
                        Phase::Asking => question(ui, p, p.step + 1, true),
                        Phase::Shown => task(ui, p, step),
                        _ => html! {},
                    } }
                </div>
            </div>
            <div class="caption-nav">
                { navigation(ui, p) }
                <button onclick={ui_cb(ui, |_| UiAction::TogglePlay)}>
                    { if m.playing { "Pause" } else { "Play" } }
                </button>
                <button onclick={ui_cb(ui, |_| UiAction::Present(false))}
                    aria-label="Leave presenter mode" title="Leave presenter mode (Escape)">{ "×" }</button>
            </div>
        </div>
    }
}

/// The presenter's notes window (`?present&notes`): the step list and the step's notes,
/// following the presenter's window; a click on a step moves the presenter there.
pub(crate) fn notes_page(ui: &UseReducerHandle<Ui>) -> Html {
    let body = match (&ui.notes, crate::lessons::can_link_windows()) {
        (_, false) => html! {
            <p>{ "This browser cannot keep two windows in step (no BroadcastChannel): use the presenter's own window." }</p>
        },
        (None, true) => html! {
            <p>{ "Waiting for the presenter: open a lesson in presenter mode (?present) in another window of this browser." }</p>
        },
        (Some(n), true) => html! {
            <>
            <h1>{ &n.title }</h1>
            <div class="notes-now" aria-live="polite">
                <h2>{ format!("Step {} of {}: {}", n.step + 1, n.steps.len(), n.steps.get(n.step).map_or("", |s| s.0.as_str())) }</h2>
                <p>{ n.steps.get(n.step).and_then(|s| s.1.clone()).unwrap_or_else(|| "No notes for this step.".into()) }</p>
            </div>
            <ol class="notes-steps">
                { for n.steps.iter().enumerate().map(|(i, (title, _))| html! {
                    <li>
                        <button aria-current={(i == n.step).then_some("step")}
                            onclick={Callback::from(move |_: MouseEvent| crate::lessons::ask_goto(i))}>
                            { title }
                        </button>
                    </li>
                }) }
            </ol>
            </>
        },
    };
    html! {
        <main class="notes-page" aria-label="Presenter's notes">{ body }</main>
    }
}
