//! Tests of the lesson player (`lesson.rs`) on the e2e fixture lesson.

use super::*;

const FIXTURE: &str = include_str!("../../tests/e2e/fixtures/lessons/fixture-election.json");

/// What `state()` shows, enough to tell two moments apart.
fn fingerprint(m: &Model) -> String {
    let sim = m.sim();
    let mut out = format!("t={} end={} ", m.now(), sim.nodes().len());
    for n in sim.nodes() {
        out.push_str(&format!(
            "[{} {} {} {:?} {} {} {}]",
            n.id(),
            sim.is_alive(n.id()),
            n.role().as_str(),
            n.voted_for(),
            n.term(),
            n.log().len(),
            n.commit_index()
        ));
    }
    out.push_str(&format!(" flying={}", sim.in_flight().count()));
    out
}

fn opened() -> Model {
    let mut m = Model::with_seed(1, 5, SimConfig::default());
    m.open_lesson(read_lesson(FIXTURE).unwrap(), 0).unwrap();
    m
}

#[test]
fn the_fixture_parses_with_its_steps() {
    let l = read_lesson(FIXTURE).unwrap();
    assert_eq!(l.id, "fixture-election");
    assert_eq!(l.steps.len(), 7);
    assert!(l.steps[2].question.is_some());
    assert!(l.steps[3].task.is_some());
    assert!(l.steps[5].scenario.is_some());
    assert_eq!(l.steps[4].highlight.links, vec![(1, 2)]);
    assert!(looks_like_lesson(FIXTURE));
    assert!(!looks_like_lesson(
        r#"{"version":1,"seed":1,"nodes":3,"until_ms":10}"#
    ));
}

#[test]
fn bad_lessons_name_the_step_and_field() {
    let bad = FIXTURE.replace(r#""answer": 1"#, r#""answer": 7"#);
    let e = read_lesson(&bad).unwrap_err();
    assert!(e.contains("step 3 (A leader): question.answer"), "{e}");
    let newer = FIXTURE.replacen(r#""version": 1"#, r#""version": 2"#, 1);
    let e = read_lesson(&newer).unwrap_err();
    assert!(e.starts_with("version: "), "{e}");
    assert!(e.contains('2'), "{e}");
}

#[test]
fn a_pattern_moment_is_the_first_matching_event_and_the_run_pauses_there() {
    let mut m = opened();
    assert_eq!(m.now(), 0);
    m.lesson_next(false).unwrap();
    let p = m.lesson().unwrap();
    assert_eq!(p.step, 1);
    let t = m.now();
    assert!(t > 0);
    assert!(!m.playing);
    // The candidate's own event is in the trace at that very moment.
    assert!(m
        .trace()
        .iter()
        .any(|e| e.t_us == t && e.kind.name() == "become_candidate"));
    assert!(m.trace().iter().all(|e| e.t_us <= t));
}

#[test]
fn walking_forward_and_back_restores_each_moment_exactly() {
    let mut m = opened();
    let mut seen = vec![fingerprint(&m)];
    let steps = m.lesson().unwrap().lesson.steps.len();
    for _ in 1..steps {
        m.lesson_next(false).unwrap();
        seen.push(fingerprint(&m));
    }
    assert_eq!(m.lesson().unwrap().step, steps - 1);
    assert!(m.lesson_next(false).is_err());
    // The task was done by Show me: a server is down at step 5.
    assert!(seen[4].contains("false"), "{}", seen[4]);
    for i in (0..steps - 1).rev() {
        m.lesson_back().unwrap();
        assert_eq!(m.lesson().unwrap().step, i);
        assert_eq!(fingerprint(&m), seen[i], "back to step {}", i + 1);
    }
    assert!(m.lesson_back().is_err());
    for (i, want) in seen.iter().enumerate().skip(1) {
        m.lesson_next(false).unwrap();
        assert_eq!(&fingerprint(&m), want, "forward to step {}", i + 1);
    }
    // A jump to any step, and opening at a step, give the same moment.
    m.lesson_goto(2).unwrap();
    assert_eq!(fingerprint(&m), seen[2]);
    let mut fresh = Model::with_seed(9, 3, SimConfig::default());
    fresh.open_lesson(read_lesson(FIXTURE).unwrap(), 4).unwrap();
    assert_eq!(fingerprint(&fresh), seen[4]);
}

#[test]
fn a_question_is_asked_then_the_run_plays_on_to_the_moment() {
    let mut m = opened();
    m.lesson_next(true).unwrap();
    // Step 2 has no question: the run plays on to it, frame by frame.
    assert!(matches!(m.lesson().unwrap().phase, Phase::Playing(_)));
    while m.lesson().unwrap().phase != Phase::Shown {
        m.frame(16.0);
    }
    assert_eq!(m.lesson().unwrap().step, 1);
    let at = fingerprint(&m);
    m.lesson_next(true).unwrap();
    assert_eq!(m.lesson().unwrap().phase, Phase::Asking);
    assert_eq!(fingerprint(&m), at, "asking does not move the run");
    assert!(m.lesson_answer(Some(9), true).is_err());
    m.lesson_answer(Some(1), true).unwrap();
    let Phase::Playing(t) = m.lesson().unwrap().phase else {
        panic!("plays on after the answer")
    };
    for _ in 0..1000 {
        m.frame(16.0);
        assert!(m.now() <= t);
    }
    let p = m.lesson().unwrap();
    assert_eq!((p.step, p.phase), (2, Phase::Shown));
    assert_eq!(p.answers[2], Some(Answer::Chose(1)));
    assert_eq!(m.now(), t);
    assert!(m.sim().leader().is_some());
}

#[test]
fn a_task_waits_for_the_reader_and_goes_on_from_their_run() {
    let mut m = opened();
    m.lesson_goto(3).unwrap();
    assert!(m.lesson_task().is_some());
    assert!(m.lesson_next(true).is_err(), "Continue waits for the task");
    let leader = m.sim().leader().unwrap();
    // The reader crashes the leader by hand.
    m.act(Action::Crash(raftlab_sim::scenario::Target::Node(leader)));
    assert!(m.lesson().unwrap().task_done(3));
    let done_at = m.now();
    m.lesson_next(false).unwrap();
    // The next moment (a new leader) is searched from the reader's own run.
    assert!(m.now() > done_at);
    assert!(!m.sim().is_alive(leader));
    assert!(m.sim().leader().is_some_and(|l| l != leader));
    // Back to the task's moment: the leader runs again, as before the reader acted.
    m.lesson_back().unwrap();
    assert!(m.sim().is_alive(leader));
    assert!(m.lesson().unwrap().task_done(3));
}

#[test]
fn show_me_performs_the_canonical_action() {
    let mut m = opened();
    m.lesson_goto(3).unwrap();
    let leader = m.sim().leader().unwrap();
    m.show_me(false).unwrap();
    assert!(!m.sim().is_alive(leader));
    assert!(m.lesson().unwrap().task_done(3));
}

#[test]
fn a_step_with_its_own_scenario_starts_a_new_run_and_back_reopens_the_old_one() {
    let mut m = opened();
    m.lesson_goto(4).unwrap();
    let before = fingerprint(&m);
    m.lesson_next(false).unwrap();
    assert_eq!(m.sim().nodes().len(), 3);
    assert_eq!(m.now(), 50_000);
    m.lesson_back().unwrap();
    assert_eq!(m.sim().nodes().len(), 5);
    assert_eq!(fingerprint(&m), before);
}

#[test]
fn a_moment_that_never_comes_is_reported() {
    let text = FIXTURE.replace(
        r#""until": {"kind": "become_candidate"}"#,
        r#""until": {"kind": "violation", "within_ms": 500}"#,
    );
    let mut m = Model::with_seed(1, 5, SimConfig::default());
    m.open_lesson(read_lesson(&text).unwrap(), 0).unwrap();
    let e = m.lesson_next(false).unwrap_err();
    assert!(e.contains("step 2"), "{e}");
    assert_eq!(m.lesson().unwrap().phase, Phase::Stuck);
    m.lesson_back().unwrap();
    assert_eq!(m.lesson().unwrap().phase, Phase::Shown);
}

#[test]
fn step_text_markup_is_spans_never_html() {
    let p = markup("Five *followers* (§5.2), `term` and thesis §3.4.\n\n<b>x</b> 5 * 3");
    assert_eq!(p.len(), 2);
    assert_eq!(
        p[0],
        vec![
            Span::Text("Five ".into()),
            Span::Em("followers".into()),
            Span::Text(" (".into()),
            Span::Link("§5.2".into(), PAPER_URL.into()),
            Span::Text("), ".into()),
            Span::Code("term".into()),
            Span::Text(" and ".into()),
            Span::Link("thesis §3.4".into(), THESIS_URL.into()),
            Span::Text(".".into()),
        ]
    );
    assert_eq!(p[1], vec![Span::Text("<b>x</b> 5 * 3".into())]);
}

#[test]
fn lesson_links_and_progress_read_back() {
    assert_eq!(
        parse_lesson_fragment("lesson=election&step=3"),
        Some(Ok(("election".into(), 2)))
    );
    assert_eq!(
        parse_lesson_fragment("#lesson=election"),
        Some(Ok(("election".into(), 0)))
    );
    assert_eq!(parse_lesson_fragment("v=1&seed=2&n=3&u=10"), None);
    assert!(parse_lesson_fragment("lesson=Bad!").unwrap().is_err());
    assert!(parse_lesson_fragment("lesson=a&step=0").unwrap().is_err());
    assert_eq!(lesson_fragment("a-b", 4), "lesson=a-b&step=5");
    let p = with_progress("", "election", 3);
    let p = with_progress(&p, "safety", 2);
    let p = with_progress(&p, "election", 2);
    assert_eq!(p, "election:3,safety:2");
    assert_eq!(parse_progress("x:1,BAD:2,y:z"), vec![("x".to_string(), 1)]);
    let index = parse_index(r#"[{"id":"a","title":"A","summary":"S","topics":["5.2"],"steps":5}]"#)
        .unwrap();
    assert_eq!(index[0].steps, 5);
    assert!(parse_index(r#"[{"id":"a"}]"#)
        .unwrap_err()
        .contains("[0].title"));
}

#[test]
fn every_shipped_lesson_walks_forward_and_back_to_the_same_moments() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/lessons");
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut files: Vec<_> = entries
        .filter_map(|e| e.ok().map(|e| e.path()))
        .filter(|p| p.extension().is_some_and(|x| x == "json") && !p.ends_with("index.json"))
        .collect();
    files.sort();
    for file in files {
        let text = std::fs::read_to_string(&file).unwrap();
        let name = file.display().to_string();
        let lesson = read_lesson(&text).unwrap_or_else(|e| panic!("{name}: {e}"));
        let steps = lesson.steps.len();
        let mut m = Model::with_seed(1, 5, SimConfig::default());
        m.open_lesson(lesson, 0).unwrap();
        let mut seen = vec![fingerprint(&m)];
        let checked = read_lesson(&text).unwrap();
        for i in 0..steps {
            if i > 0 {
                m.lesson_next(false)
                    .unwrap_or_else(|e| panic!("{name}: step {}: {e}", i + 1));
                seen.push(fingerprint(&m));
            }
            // The moment is the one `raftlab lesson check` finds, in the same run.
            let (scenario, t) = raftlab_sim::lesson::open_at(&checked, i + 1)
                .unwrap_or_else(|e| panic!("{name}: step {}: {e}", i + 1));
            assert_eq!(m.now(), t, "{name}: step {}'s moment", i + 1);
            let mut other = Model::new(scenario);
            other.run_for(t);
            assert_eq!(
                fingerprint(&other),
                seen[i],
                "{name}: step {} as the engine opens it",
                i + 1
            );
        }
        for i in (0..steps - 1).rev() {
            m.lesson_back().unwrap();
            assert_eq!(fingerprint(&m), seen[i], "{name}: back to step {}", i + 1);
        }
        for (i, want) in seen.iter().enumerate().skip(1) {
            m.lesson_next(false).unwrap();
            assert_eq!(&fingerprint(&m), want, "{name}: forward to step {}", i + 1);
        }
        eprintln!("{name}: {steps} steps walked forward and back");
    }
}

#[test]
fn a_lesson_whose_first_moment_never_comes_does_not_open() {
    let text = FIXTURE.replace(
        r#""until": {"at_ms": 0}"#,
        r#""until": {"kind": "violation", "within_ms": 300}"#,
    );
    let mut m = Model::with_seed(1, 5, SimConfig::default());
    assert!(m.open_lesson(read_lesson(&text).unwrap(), 0).is_err());
    assert!(m.lesson().is_none());
    assert!(m.lesson_next(false).is_err());
    assert!(m.lesson_back().is_err());
    assert!(m.lesson_goto(1).is_err());
}
