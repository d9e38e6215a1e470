//! The model's tests (native).

use super::*;
use raftlab_raft::Membership;

#[test]
fn frames_advance_by_wall_time_times_speed_and_pause_stops_them() {
    let mut m = Model::with_seed(1, 5, SimConfig::default());
    m.speed = 0.5;
    m.frame(16.0);
    assert_eq!(m.now(), 8_000);
    m.playing = false;
    assert!(!m.frame(16.0));
    assert_eq!(m.now(), 8_000);
}

#[test]
fn the_result_does_not_depend_on_frame_rate() {
    let mut a = Model::with_seed(9, 5, SimConfig::default());
    let mut b = Model::with_seed(9, 5, SimConfig::default());
    a.speed = 1.0;
    b.speed = 1.0;
    for _ in 0..1000 {
        a.frame(2.0); // 500 frames per second
    }
    for _ in 0..50 {
        b.frame(40.0); // 25 frames per second
    }
    assert_eq!(a.now(), b.now());
    assert_eq!(a.trace_ndjson(), b.trace_ndjson());
}

#[test]
fn an_exported_run_replays_to_the_same_trace() {
    let mut m = Model::with_seed(4, 5, SimConfig::default());
    m.run_for(700_000);
    let leader = m.sim().leader().expect("a leader by 700 ms");
    m.act(Action::Crash(raftlab_sim::Target::Node(leader)));
    m.run_for(123_457);
    m.act(Action::ClientWrite {
        node: None,
        key: "x".into(),
        value: "1".into(),
    });
    m.step_event();
    m.run_for(1_000_000);
    let scenario = m.scenario();
    let replay = Rc::new(RefCell::new(String::new()));
    let sink = replay.clone();
    let mut sim = Simulation::from_scenario(&scenario);
    sim.set_trace(Box::new(move |e| {
        sink.borrow_mut().push_str(&e.to_json());
        sink.borrow_mut().push('\n');
    }));
    sim.run_until(scenario.until_us, false);
    assert_eq!(*replay.borrow(), m.trace_ndjson());
}

/// Section 7: a run with snapshots, a follower down while the leader compacts and then
/// caught up by InstallSnapshot, with the threshold changed live, exports to a scenario
/// whose replay gives the same trace.
#[test]
fn an_exported_run_with_snapshots_replays_to_the_same_trace() {
    let config = SimConfig {
        snapshot_threshold: 4,
        ..SimConfig::default()
    };
    let mut m = Model::with_seed(4, 5, config);
    m.run_for(700_000);
    let leader = m.sim().leader().expect("a leader by 700 ms");
    let follower = if leader == 1 { 2 } else { 1 };
    m.act(Action::Crash(raftlab_sim::Target::Node(follower)));
    for i in 0..12 {
        m.act(Action::ClientWrite {
            node: None,
            key: format!("k{}", i % 3),
            value: i.to_string(),
        });
        m.run_for(40_000);
    }
    m.act(Action::Set(raftlab_sim::scenario::ConfigPatch {
        snapshot_threshold: Some(3),
        ..Default::default()
    }));
    m.act(Action::Restart(raftlab_sim::Target::Node(follower)));
    m.run_for(500_000);
    let node = &m.sim().nodes()[follower as usize - 1];
    assert!(node.snapshot_index() >= 4, "S{follower} got a snapshot");
    assert_eq!(node.kv(), m.sim().nodes()[leader as usize - 1].kv());
    assert!(m.trace_ndjson().contains("\"kind\":\"install_snapshot\""));
    assert!(m
        .narration()
        .iter()
        .any(|l| l.text.contains("installed its leader's snapshot")));
    let scenario = m.scenario();
    assert_eq!(scenario.config.snapshot_threshold, 4);
    let replay = Rc::new(RefCell::new(String::new()));
    let sink = replay.clone();
    let mut sim = Simulation::from_scenario(&scenario);
    sim.set_trace(Box::new(move |e| {
        sink.borrow_mut().push_str(&e.to_json());
        sink.borrow_mut().push('\n');
    }));
    sim.run_until(scenario.until_us, false);
    assert_eq!(*replay.borrow(), m.trace_ndjson());
}

/// Thesis 4.1: a 3-server run grown one server at a time to 4 (an even size) and 9, then
/// shrunk to 1, without a restart; the page's view of the configuration follows, seeking
/// back shows the old size, and the exported scenario replays to the same trace.
#[test]
fn membership_changes_grow_and_shrink_the_cluster_and_replay() {
    let mut m = Model::with_seed(5, 3, SimConfig::default());
    m.run_for(1_000_000);
    assert!(m.sim().leader().is_some());
    assert_eq!(m.next_server(), Ok(4));
    assert!(quorum_text(m.sim().membership())
        .starts_with("3 voters: a majority is 2, so the cluster survives 1 failure."));
    m.act(Action::AddServer(4));
    assert_eq!(m.sim().nodes().len(), 4, "S4 started at once");
    let added_at = m.now();
    assert_ne!(m.member(4), Member::Voter);
    assert_eq!(m.next_server(), Ok(5), "S4 is joining: the next one is S5");
    m.run_for(1_000_000);
    assert_eq!(m.member(4), Member::Voter);
    assert_eq!(m.sim().membership().voters, vec![1, 2, 3, 4]);
    assert_eq!(
        quorum_text(m.sim().membership()),
        "4 voters: a majority is 3, so the cluster survives 1 failure (4 voters tolerate no more failures than 3)."
    );
    // A learner shows as one while it catches up.
    m.act(Action::AddServer(5));
    let mut saw_learner = false;
    for _ in 0..100 {
        m.run_for(10_000);
        if m.member(5) == Member::Learner {
            saw_learner = true;
            assert!(quorum_text(m.sim().membership()).ends_with(" + S5 learning (not voting)."));
            assert_eq!(m.member(5).as_str(), "learner");
        }
    }
    assert!(saw_learner, "S5 was a learner for a while");
    for id in 6..=9 {
        assert_eq!(m.next_server(), Ok(id));
        m.act(Action::AddServer(id));
        m.run_for(1_000_000);
    }
    assert_eq!(m.sim().membership().voters, (1..=9).collect::<Vec<_>>());
    assert!(m.next_server().unwrap_err().contains("at most 9"));
    assert!(quorum_text(m.sim().membership())
        .starts_with("9 voters: a majority is 5, so the cluster survives 4 failures."));
    // Down to one voter, one removal at a time; the removed servers keep running.
    for id in (2..=9).rev() {
        assert_eq!(m.removal_blocked(id), None);
        m.act(Action::RemoveServer(id));
        m.run_for(1_500_000);
        assert_eq!(m.member(id), Member::Removed, "S{id} removed");
    }
    assert_eq!(m.sim().membership().voters, vec![1]);
    assert_eq!(m.sim().nodes().len(), 9);
    assert_eq!(
        m.marks()
            .iter()
            .filter(|k| k.kind == MarkKind::Membership)
            .count(),
        14,
        "every add and remove is marked on the timeline"
    );
    assert!(m.removal_blocked(1).unwrap().contains("last voter"));
    assert!(m.removal_blocked(2).unwrap().contains("not a member"));
    assert_eq!(m.next_server(), Ok(2), "a removed server can be added back");
    assert!(quorum_text(m.sim().membership())
        .starts_with("1 voter: a majority is 1, so the cluster survives 0 failures."));
    // Seeking back before S4 was added shows three servers again.
    let end = m.end();
    m.seek(added_at - 1);
    assert_eq!(m.sim().nodes().len(), 3);
    assert_eq!(m.sim().membership().voters, vec![1, 2, 3]);
    m.seek(end);
    assert_eq!(m.sim().nodes().len(), 9);
    assert_eq!(m.start_nodes(), 3);
    // The run replays exactly from its scenario.
    let scenario = m.scenario();
    assert_eq!(scenario.nodes, 3);
    let replay = Rc::new(RefCell::new(String::new()));
    let sink = replay.clone();
    let mut sim = Simulation::from_scenario(&scenario);
    sim.set_trace(Box::new(move |e| {
        sink.borrow_mut().push_str(&e.to_json());
        sink.borrow_mut().push('\n');
    }));
    sim.run_until(scenario.until_us, false);
    assert_eq!(*replay.borrow(), m.trace_ndjson());
}

#[test]
fn the_majority_line_names_the_2f_plus_1_rule() {
    let text = |v: &[NodeId], l: &[NodeId]| quorum_text(&Membership::new(v, l));
    assert_eq!(
        text(&[1, 2], &[]),
        "2 voters: a majority is 2, so the cluster survives 0 failures (2 voters tolerate no failure: one is not a majority of two)."
    );
    assert_eq!(
        text(&[1, 2, 3, 4, 5], &[6, 7]),
        "5 voters: a majority is 3, so the cluster survives 2 failures. + S6, S7 learning (not voting)."
    );
    assert!(text(&[1, 2, 3, 4, 5, 6], &[]).contains("an even size adds no tolerance"));
}

#[test]
fn narration_is_newest_first_and_bounded() {
    let mut m = Model::with_seed(2, 5, SimConfig::default());
    m.run_for(60_000_000);
    let n = m.narration();
    assert!(n.len() <= NARRATION_LIMIT && !n.is_empty());
    assert!(n.iter().zip(n.iter().skip(1)).all(|(a, b)| a.seq > b.seq));
    assert!(
        n.iter().any(|l| l.text.contains("leads term")),
        "an election is narrated"
    );
}

#[test]
fn acting_at_an_instant_with_scheduled_actions_replays_exactly() {
    let scenario = Scenario::parse(
        r#"{"version":1,"seed":7,"nodes":3,"events":[{"at_ms":0,"do":"crash","node":1}]}"#,
    )
    .expect("valid");
    let mut m = Model::new(scenario);
    m.act(Action::Restart(raftlab_sim::Target::Node(1)));
    m.run_for(50_000);
    assert!(
        m.sim().is_alive(1),
        "the scheduled crash came first, then the restart"
    );
    let exported = m.scenario();
    assert_eq!(exported.liveness_us, None);
    let mut replay = Model::new(exported);
    replay.run_for(50_000);
    assert_eq!(replay.trace_ndjson(), m.trace_ndjson());
}

#[test]
fn step_gives_up_on_a_quiet_cluster() {
    let mut m = Model::with_seed(1, 1, SimConfig::default());
    m.run_for(1_000_000);
    assert_eq!(m.sim().leader(), Some(1));
    assert!(
        !m.step_event(),
        "nothing more is ever traced by a lone leader"
    );
    assert!(m.now() <= 1_000_000 + STEP_LIMIT_US + 50_000);
}

#[test]
fn a_new_run_gets_a_new_number_and_keeps_playback() {
    let mut m = Model::with_seed(1, 5, SimConfig::default());
    m.set_speed(0.2);
    m.set_playing(false);
    let run = m.run;
    m.restart(1, 5);
    assert_eq!(m.run, run + 1);
    m.load(Scenario::default());
    assert_eq!(m.run, run + 2);
    assert_eq!((m.speed, m.playing), (0.2, false));
    assert_eq!(m.now(), 0);
}

#[test]
fn typed_groups() {
    assert_eq!(
        parse_groups("1 2 | 3,4,5", 5),
        Ok(vec![vec![1, 2], vec![3, 4, 5]])
    );
    assert_eq!(parse_groups("S1 | s2", 3), Ok(vec![vec![1], vec![2]]));
    assert!(parse_groups("1 2 | 2 3", 5)
        .unwrap_err()
        .contains("more than one group"));
    assert!(parse_groups("1 | 9", 5).unwrap_err().contains("no node 9"));
    assert!(parse_groups("1 | x", 5)
        .unwrap_err()
        .contains("not a node number"));
    assert!(parse_groups("1 2 3", 3)
        .unwrap_err()
        .contains("nothing to split"));
    assert!(parse_groups("  ", 3).is_err());
}

#[test]
fn a_frame_never_runs_more_than_the_cap() {
    let mut m = Model::with_seed(3, 3, SimConfig::default());
    m.speed = SPEED_RANGE.1;
    m.frame(1e12);
    assert_eq!(m.now(), MAX_FRAME_US);
}

/// Everything the page shows of a moment: time, nodes, liveness, links, messages in flight.
fn fingerprint(m: &Model) -> String {
    let sim = m.sim();
    let mut flight: Vec<String> = sim
        .in_flight()
        .map(|f| {
            format!(
                "{} {} {} {} {:?}",
                f.id, f.sent_at, f.deliver_at, f.lost, f.message
            )
        })
        .collect();
    flight.sort();
    let alive: Vec<bool> = (1..=sim.nodes().len() as NodeId)
        .map(|n| sim.is_alive(n))
        .collect();
    format!(
        "{} {:?} {:?} {:?} {:?} {:?}",
        sim.now(),
        sim.nodes(),
        alive,
        sim.groups(),
        flight,
        sim.violations()
    )
}

/// A run with actions of every sort, ending at `end_us`.
fn busy_run(seed: u64, end_us: Micros) -> Model {
    let mut m = Model::with_seed(seed, 5, SimConfig::default());
    let mut k = 0;
    while m.now() < end_us {
        m.run_for(337_000);
        k += 1;
        let target = raftlab_sim::Target::Node((k % 5) as NodeId + 1);
        match k % 7 {
            0 => {
                m.act(Action::Crash(raftlab_sim::Target::Leader));
            }
            1 => {
                m.act(Action::Restart(target));
            }
            2 => {
                m.act(Action::ClientWrite {
                    node: None,
                    key: format!("k{k}"),
                    value: "v".into(),
                });
            }
            3 => {
                m.act(Action::Partition(vec![vec![1, 2], vec![3, 4, 5]]));
            }
            4 => {
                m.act(Action::Heal);
            }
            _ => {}
        }
    }
    m
}

#[test]
fn seeking_anywhere_shows_what_a_fresh_replay_shows() {
    let mut m = busy_run(11, 30_000_000);
    let end = m.end();
    let whole = m.full_scenario();
    for t in [
        0, 1, 5_432_100, 29_000_000, 2_000_000, 17_777_777, end, 12_345, end,
    ] {
        m.seek(t);
        let mut fresh = Model::new(whole.clone());
        fresh.run_for(t);
        assert_eq!(fingerprint(&m), fingerprint(&fresh), "at {t}");
        assert_eq!(m.trace_ndjson(), fresh.trace_ndjson(), "trace up to {t}");
        assert_eq!(m.end(), end, "seeking never changes the run");
    }
}

#[test]
fn stepping_back_then_forward_returns_to_the_same_moment() {
    let mut m = busy_run(12, 5_000_000);
    m.seek(3_000_000);
    m.step_event();
    let here = fingerprint(&m);
    let t = m.now();
    assert!(m.step_back());
    assert!(m.now() < t);
    m.step_event();
    assert_eq!(m.now(), t);
    assert_eq!(fingerprint(&m), here);
    // Back to the very start, one moment at a time, never going forward.
    let mut last = m.now();
    let mut steps = 0;
    while m.step_back() {
        assert!(m.now() < last);
        last = m.now();
        steps += 1;
        assert!(steps < 10_000);
    }
    assert_eq!(m.now(), 0);
}

#[test]
fn acting_in_the_past_forks_the_run() {
    let mut m = busy_run(13, 10_000_000);
    let old_end = m.end();
    m.seek(4_000_000);
    let fork = m.act(Action::Crash(raftlab_sim::Target::Node(2)));
    assert_eq!(
        fork,
        Some(Fork {
            at_us: 4_000_000,
            old_end_us: old_end
        })
    );
    assert_eq!(m.end(), 4_000_000);
    assert!(m.marks().iter().all(|k| k.t_us <= 4_000_000));
    let s = m.full_scenario();
    assert!(s.events.iter().all(|e| e.at_us <= 4_000_000));
    assert_eq!(
        s.events.last().map(|e| &e.action),
        Some(&Action::Crash(raftlab_sim::Target::Node(2)))
    );
    // At the end, acting does not fork.
    m.run_for(1_000_000);
    assert_eq!(m.act(Action::Heal), None);
    // The forked run is what the CLI runs from its scenario.
    let scenario = m.scenario();
    let mut sim = Simulation::from_scenario(&scenario);
    let replay = Rc::new(RefCell::new(String::new()));
    let sink = replay.clone();
    sim.set_trace(Box::new(move |e| {
        sink.borrow_mut().push_str(&e.to_json());
        sink.borrow_mut().push('\n');
    }));
    sim.run_until(scenario.until_us, false);
    assert_eq!(*replay.borrow(), m.trace_ndjson());
}

#[test]
fn an_hour_keeps_checkpoints_and_trace_bounded_and_seeks_exactly() {
    let mut m = Model::with_seed(14, 5, SimConfig::default());
    for _ in 0..60 {
        m.run_for(60_000_000);
    }
    assert_eq!(m.now(), 3_600_000_000);
    assert!(m.checkpoints.len() <= MAX_CHECKPOINTS + 1);
    assert!(m.trace().len() <= 2 * TRACE_WINDOW);
    assert!(m.trace_base() > 0);
    let whole = m.full_scenario();
    for t in [1_234_567_890, 100, 3_599_999_999] {
        m.seek(t);
        let mut fresh = Model::new(whole.clone());
        fresh.run_for(t);
        assert_eq!(fingerprint(&m), fingerprint(&fresh), "at {t}");
    }
    // The whole trace is still available (recomputed), and ends where the window ends.
    let ndjson = m.trace_ndjson();
    let window_last = m.trace().last().map(|e| e.to_json()).unwrap();
    assert!(ndjson.trim_end().ends_with(&window_last));
    assert_eq!(ndjson.lines().count() as u64, m.traced());
}

#[test]
fn opening_a_run_at_a_position() {
    let m = busy_run(15, 8_000_000);
    let whole = m.full_scenario();
    let mut opened = Model::with_seed(0, 3, SimConfig::default());
    opened.open(whole.clone(), Some(2_500_000));
    assert_eq!(opened.now(), 2_500_000);
    assert_eq!(opened.end(), whole.until_us);
    let mut fresh = Model::new(whole);
    fresh.run_for(2_500_000);
    assert_eq!(fingerprint(&opened), fingerprint(&fresh));
    assert_eq!(opened.marks(), m.marks(), "the whole run's marks");
    assert!(opened.marks().iter().any(|k| k.kind == MarkKind::Election));
    assert!(opened.marks().iter().any(|k| k.kind == MarkKind::Crash));
    assert!(opened.marks().iter().any(|k| k.kind == MarkKind::Partition));
    assert!(opened.marks().iter().any(|k| k.kind == MarkKind::Commit));
}

#[test]
fn refusals_are_narrated_with_their_reasons() {
    use raftlab_raft::{AppendRejection, VoteRefusal};
    use raftlab_sim::trace::{TraceEvent, TraceKind};
    let m = Model::with_seed(1, 5, SimConfig::default());
    let said = |kind: TraceKind| narrate::narrate(&TraceEvent { t_us: 5, kind }, m.sim());
    assert_eq!(
        said(TraceKind::VoteRefused {
            node: 3,
            candidate: 4,
            term: 3,
            pre_vote: false,
            reason: VoteRefusal::LogBehind {
                candidate_last_term: 1,
                candidate_last_index: 4,
                voter_last_term: 2,
                voter_last_index: 3,
            },
        }),
        Some((
            Some(3),
            "election",
            "S3 refused S4's vote request for term 3: S4's log is behind (last term 1 < 2, section 5.4.1)"
                .to_string()
        ))
    );
    let (_, _, text) = said(TraceKind::VoteRefused {
        node: 2,
        candidate: 5,
        term: 4,
        pre_vote: true,
        reason: VoteRefusal::AlreadyVoted { voted_for: 1 },
    })
    .expect("narrated");
    assert_eq!(
        text,
        "S2 refused S5's pre-vote request for term 4: already voted for S1 in term 4 (section 5.2)"
    );
    let (_, _, text) = said(TraceKind::VoteRefused {
        node: 2,
        candidate: 5,
        term: 4,
        pre_vote: false,
        reason: VoteRefusal::LeaderAlive { leader: Some(1) },
    })
    .expect("narrated");
    assert!(
        text.starts_with("S2 ignored S5's vote request for term 4: it heard from its leader S1")
    );
    assert_eq!(
        said(TraceKind::AppendRejected {
            node: 2,
            leader: 1,
            term: 2,
            prev_index: 5,
            prev_term: 2,
            reason: AppendRejection::LogMismatch {
                conflict_index: 4,
                conflict_term: None,
            },
        }),
        Some((
            Some(2),
            "log",
            "S2 rejected S1's AppendEntries (term 2, after entry 5 of term 2): its log has no entry 5 (it ends at 3); S1 should resume at 4 (section 5.3)"
                .to_string()
        ))
    );
    assert_eq!(
        said(TraceKind::FireTimer { node: 2 }),
        Some((Some(2), "fault", "You fired S2's timer".to_string()))
    );
}

#[test]
fn a_hand_driven_network_is_narrated() {
    use raftlab_sim::scenario::Mode;
    let mut m = Model::with_seed(3, 3, SimConfig::default());
    m.configure(ConfigPatch {
        delivery: Some(Mode::Manual),
        timers: Some(Mode::Manual),
        ..Default::default()
    });
    m.act(Action::FireTimer(raftlab_sim::Target::Node(2)));
    let held: Vec<(u64, NodeId)> = m
        .sim()
        .in_flight()
        .map(|f| (f.id, f.message.to()))
        .collect();
    assert_eq!(held.len(), 2, "S2 asks both others for their votes");
    m.act(Action::DropMessage(held[0].0));
    let texts: Vec<&str> = m.narration().iter().map(|l| l.text.as_str()).collect();
    assert!(texts.contains(&"You fired S2's timer"), "{texts:?}");
    let dropped = format!(
        "You dropped S2's RequestVote to S{} (message {})",
        held[0].1, held[0].0
    );
    assert!(texts.contains(&dropped.as_str()), "{texts:?}");
    // Nothing arrives by itself, however long the run goes on.
    m.run_for(2_000_000);
    assert_eq!(m.sim().in_flight().count(), 1);
    assert_eq!(m.sim().leader(), None);
}

/// A bug switched on from the Settings panel is told in the event log, by what it breaks;
/// switched off, the line says no bug.
#[test]
fn bugs_switched_during_the_run_are_narrated() {
    use raftlab_raft::Bugs;
    // Switches the bugs to `bugs`; the newest line of the event log.
    let switch = |m: &mut Model, bugs: Bugs| {
        m.configure(ConfigPatch {
            bugs: Some(bugs),
            ..Default::default()
        });
        m.narration()[0].text.clone()
    };
    let off = "Settings changed; the bugs are off: every rule of Raft holds again from now on";
    let mut m = Model::with_seed(3, 3, SimConfig::default());
    let vote_bug = Bugs {
        skip_vote_log_check: true,
        ..Default::default()
    };
    assert_eq!(
        switch(&mut m, vote_bug),
        "Settings changed; bugs on: votes without comparing logs (5.4.1 off)"
    );
    assert!(m.sim().config().bugs.skip_vote_log_check);
    assert_eq!(switch(&mut m, Bugs::default()), off);
    assert!(!m.sim().config().bugs.skip_vote_log_check);
    // Another change with no bug before or after is plain.
    m.configure(ConfigPatch {
        drop_rate: Some(0.1),
        ..Default::default()
    });
    assert_eq!(m.narration()[0].text, "Settings changed");
    // A run that starts with a bug (in its scenario's config) and switches it off.
    let buggy = SimConfig {
        bugs: Bugs {
            commit_previous_term: true,
            ..Default::default()
        },
        ..SimConfig::default()
    };
    let mut m = Model::with_seed(3, 3, buggy);
    assert_eq!(switch(&mut m, Bugs::default()), off);
}

#[test]
fn the_history_verdict_is_the_checkers_and_follows_the_history() {
    use raftlab_sim::linearizability::{adversarial_history, verdict, Verdict, DEFAULT_BUDGET};
    let mut m = busy_run(5, 6_000_000);
    let early = m.history();
    assert!(!early.is_empty(), "the run has client operations");
    assert_eq!(m.history_verdict(&early), verdict(&early, DEFAULT_BUDGET));
    assert_eq!(m.history_verdict(&early), Verdict::Linearizable);
    // A history the search cannot finish: undecided, and the same answer when asked again.
    let hard = adversarial_history(24);
    let first = m.history_verdict(&hard);
    assert!(first.undecided().is_some(), "{first:?}");
    assert_eq!(m.history_verdict(&hard), first);
    // The run goes on: the verdict is the new history's, not the remembered one.
    m.run_for(3_000_000);
    let later = m.history();
    assert_ne!(later, hard);
    assert_eq!(m.history_verdict(&later), verdict(&later, DEFAULT_BUDGET));
}
