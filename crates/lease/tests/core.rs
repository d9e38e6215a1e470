//! The store, the resource and the layout driven message by message.

use raftlab_lease::*;

const CLUSTER: [NodeId; 4] = [1, 2, 3, 4];

fn msg(from: NodeId, to: NodeId, body: Body) -> Input {
    Input::Message(Message { from, to, body })
}

fn reply(out: &Ready) -> &StoreReply {
    match &out.messages[0].body {
        Body::Reply(r) => r,
        b => panic!("not a store reply: {b:?}"),
    }
}

#[test]
fn layout_and_settings() {
    assert_eq!(role_of(1, &CLUSTER), Role::Store);
    assert_eq!(role_of(2, &CLUSTER), Role::Candidate);
    assert_eq!(role_of(4, &CLUSTER), Role::Resource);
    assert_eq!(
        Node::new(3, &CLUSTER, &Config::default()).role().as_str(),
        "candidate"
    );
    assert!(check_cluster(&CLUSTER).is_ok());
    assert!(check_cluster(&[1, 2]).is_err());
    assert!(check_cluster(&[2, 3, 4]).is_err());
    assert!(Config::default().validate().is_ok());
    let bad = Config {
        renew_deadline_us: 2_000_000,
        ..Config::default()
    };
    assert_eq!(
        bad.validate(),
        Err("renew_deadline_us must be below lease_duration_us")
    );
    let zero = Config {
        retry_period_us: 0,
        ..Config::default()
    };
    assert!(zero.validate().is_err());
    // Zero periods must not hang a step.
    let mut c = Node::new(2, &CLUSTER, &zero);
    let mut out = Ready::default();
    c.step(5, Input::Tick, &mut out);
    assert!(c.next_deadline().unwrap() > 5);
    // Absurd settings and clock readings neither panic nor hang.
    let max = u64::MAX;
    let huge = Config {
        lease_duration_us: max,
        retry_period_us: max,
        work_period_us: max,
        work_duration_us: max,
        watch_delay_us: max,
        watch_jitter_us: max,
        session_ttl_us: max,
        lock_delay_us: max,
        ..Config::default()
    };
    for id in CLUSTER {
        let mut n = Node::new(id, &CLUSTER, &huge);
        let mut out = Ready::default();
        n.step(max, Input::Tick, &mut out);
        n.step(max, msg(2, id, Body::Cas { seq: 1, expect: 0 }), &mut out);
        n.step(max, msg(2, id, Body::Write { token: max }), &mut out);
        n.step(0, Input::Tick, &mut out);
    }
}

#[test]
fn store_cas_on_the_modify_index() {
    let cfg = Config {
        first_revision: 32,
        ..Config::default()
    };
    let mut s = Node::new(1, &CLUSTER, &cfg);
    let mut out = Ready::default();
    s.step(10, msg(2, 1, Body::Cas { seq: 1, expect: 0 }), &mut out);
    let r = reply(&out);
    assert!(r.ok);
    assert_eq!(
        r.record.map(|r| (r.holder, r.token, r.mod_index)),
        Some((2, 33, 33))
    );
    assert!(out.persist);
    // S3 read nothing more recent: its CAS names the old index and fails.
    let mut out = Ready::default();
    s.step(11, msg(3, 1, Body::Cas { seq: 1, expect: 0 }), &mut out);
    assert!(!reply(&out).ok);
    assert_eq!(reply(&out).reason, "modify index changed");
    // S2 renews: same token, new modify index; the watch tells S3 (no delay set).
    let mut out = Ready::default();
    s.step(20, msg(2, 1, Body::Cas { seq: 2, expect: 33 }), &mut out);
    assert_eq!(
        s.store_record()
            .map(|r| (r.token, r.mod_index, r.renewed_at)),
        Some((33, 34, 20))
    );
    assert!(out
        .messages
        .iter()
        .any(|m| m.to == 3 && m.body.type_name() == "WatchEvent"));
    // S3 takes over with the right index: the next token.
    let mut out = Ready::default();
    s.step(30, msg(3, 1, Body::Cas { seq: 2, expect: 34 }), &mut out);
    assert_eq!(s.store_record().map(|r| (r.holder, r.token)), Some((3, 34)));
    // Only the holder may release.
    let mut out = Ready::default();
    s.step(31, msg(2, 1, Body::Release { seq: 3 }), &mut out);
    assert_eq!(reply(&out).reason, "not the holder");
    // A restarted store keeps its record, revision and token.
    assert_eq!(s.store_revision(), Some(35));
    let again = Node::recover(1, &CLUSTER, &cfg, s.persistent(), 0);
    assert_eq!(again.store_record().map(|r| r.token), Some(34));
    assert_eq!(again.store_revision(), Some(35));
    // Its token counter too: after S3 releases, a restarted store still gives the next token
    // (35), never one it gave before; fencing relies on it.
    let mut out = Ready::default();
    s.step(40, msg(3, 1, Body::Release { seq: 3 }), &mut out);
    assert!(reply(&out).ok);
    assert_eq!(s.store_record(), None);
    let mut again = Node::recover(1, &CLUSTER, &cfg, s.persistent(), 0);
    let mut out = Ready::default();
    // No record: a CAS expects index 0.
    again.step(50, msg(2, 1, Body::Cas { seq: 4, expect: 0 }), &mut out);
    assert_eq!(
        reply(&out).record.map(|r| (r.holder, r.token)),
        Some((2, 35)),
        "{:?}",
        reply(&out)
    );
}

#[test]
fn watches_answer_late_and_in_order() {
    let cfg = Config {
        watch_delay_us: 100,
        watch_jitter_us: 50,
        seed: 9,
        ..Config::default()
    };
    let mut s = Node::new(1, &[1, 2, 3, 4, 5], &cfg);
    let mut out = Ready::default();
    s.step(0, msg(2, 1, Body::Cas { seq: 1, expect: 0 }), &mut out);
    assert_eq!(out.messages.len(), 1, "only the reply: the watch is late");
    let due = s.next_deadline().unwrap();
    assert!((100..=150).contains(&due));
    let mut out = Ready::default();
    s.step(200, Input::Tick, &mut out);
    let to: Vec<NodeId> = out.messages.iter().map(|m| m.to).collect();
    assert_eq!(to.len(), 3);
    assert!(to.contains(&2) && to.contains(&3) && to.contains(&4));
    assert!(out
        .events
        .iter()
        .all(|e| matches!(e, Event::WatchFired { late_us: 200, .. })));
    assert_eq!(s.next_deadline(), None);
}

#[test]
fn session_expires_on_the_store_clock() {
    let cfg = Config {
        session_ttl_us: 1000,
        lock_delay_us: 500,
        ..Config::default()
    };
    let mut s = Node::new(1, &CLUSTER, &cfg);
    let mut out = Ready::default();
    s.step(0, msg(2, 1, Body::Cas { seq: 1, expect: 0 }), &mut out);
    // Without watch delay the watches leave in the same step; next is the session's expiry.
    assert_eq!(
        out.messages
            .iter()
            .filter(|m| m.body.type_name() == "WatchEvent")
            .count(),
        2
    );
    assert_eq!(s.next_deadline(), Some(1000));
    let mut out = Ready::default();
    s.step(1000, Input::Tick, &mut out);
    assert_eq!(s.store_record(), None);
    assert!(matches!(
        out.events[0],
        Event::StoreCas {
            op: StoreOp::Expire,
            holder: 2,
            ..
        }
    ));
    // Lock-delay: nobody may take it for 500 us.
    let mut out = Ready::default();
    s.step(1400, msg(3, 1, Body::Cas { seq: 1, expect: 0 }), &mut out);
    assert_eq!(reply(&out).reason, "lock delay");
    let mut out = Ready::default();
    s.step(1500, msg(3, 1, Body::Cas { seq: 2, expect: 0 }), &mut out);
    assert!(reply(&out).ok);
}

#[test]
fn resource_fences_lower_tokens_only_when_asked() {
    for fencing in [true, false] {
        let cfg = Config {
            fencing,
            ..Config::default()
        };
        let mut r = Node::new(4, &CLUSTER, &cfg);
        let mut out = Ready::default();
        r.step(0, msg(3, 4, Body::Write { token: 34 }), &mut out);
        r.step(1, msg(2, 4, Body::Write { token: 33 }), &mut out);
        r.step(2, msg(3, 4, Body::Write { token: 34 }), &mut out);
        let verdicts: Vec<(bool, &str)> = out
            .events
            .iter()
            .map(|e| match e {
                Event::ResourceWrite {
                    accepted, reason, ..
                } => (*accepted, *reason),
                _ => panic!(),
            })
            .collect();
        if fencing {
            assert_eq!(
                verdicts,
                [(true, "ok"), (false, "stale token"), (true, "ok")]
            );
            assert_eq!(r.resource_state(), Some((34, 2)));
        } else {
            assert_eq!(verdicts, [(true, "no fencing"); 3]);
        }
        let back = Node::recover(4, &CLUSTER, &cfg, r.persistent(), 0);
        assert_eq!(back.resource_state(), r.resource_state());
    }
}

#[test]
fn candidate_follows_client_go() {
    let cfg = Config::default();
    let mut c = Node::new(2, &CLUSTER, &cfg);
    assert_eq!(c.belief().map(|b| b.holder), Some(None));
    let mut out = Ready::default();
    c.step(0, Input::Tick, &mut out);
    assert!(matches!(out.messages[0].body, Body::Get { seq: 1 }));
    // S3 holds it: S2 remembers its own time of the change and waits a lease duration.
    let rec = Record {
        holder: 3,
        token: 5,
        mod_index: 7,
        acquired_at: 999_999,
        renewed_at: 999_999,
    };
    let answer = |seq| StoreReply {
        seq,
        ok: true,
        record: Some(rec),
        revision: 7,
        reason: "",
    };
    let mut out = Ready::default();
    c.step(100, msg(1, 2, Body::Reply(answer(1))), &mut out);
    assert!(out.messages.is_empty());
    let b = c.belief().unwrap();
    assert_eq!(
        (b.holder, b.until, b.leading),
        (Some(3), Some(100 + 1_500_000), false)
    );
    assert!(matches!(
        out.events[0],
        Event::LeaseBelieves { node: 2, .. }
    ));
    // The same record read again later does not restart the wait.
    let mut out = Ready::default();
    c.step(1_400_000, Input::Tick, &mut out);
    c.step(1_400_100, msg(1, 2, Body::Reply(answer(2))), &mut out);
    assert_eq!(c.belief().unwrap().until, Some(1_500_100));
    assert!(!out.messages.iter().any(|m| m.body.type_name() == "Cas"));
    // Past the lease duration on its own clock: it takes over with a CAS on index 7.
    let mut out = Ready::default();
    c.step(1_600_000, Input::Tick, &mut out);
    c.step(1_600_100, msg(1, 2, Body::Reply(answer(3))), &mut out);
    assert!(matches!(
        out.messages.last().unwrap().body,
        Body::Cas { seq: 4, expect: 7 }
    ));
    let mine = Record {
        holder: 2,
        token: 6,
        mod_index: 8,
        ..rec
    };
    let ok = StoreReply {
        seq: 4,
        ok: true,
        record: Some(mine),
        revision: 8,
        reason: "",
    };
    let mut out = Ready::default();
    c.step(1_600_200, msg(1, 2, Body::Reply(ok)), &mut out);
    // Its renew deadline counts from the start of the successful try (1.6 s).
    assert!(matches!(
        out.events[0],
        Event::LeaseAcquired {
            holder: 2,
            token: 6,
            until: Some(2_600_000)
        }
    ));
    assert_eq!(c.next_deadline(), Some(1_600_200), "work starts at once");
    // Resigning releases the record.
    let mut out = Ready::default();
    c.step(1_700_000, Input::Resign, &mut out);
    assert!(matches!(
        out.events[0],
        Event::LeaseLost {
            reason: "resigned",
            ..
        }
    ));
    assert!(matches!(out.messages[0].body, Body::Release { .. }));
}

#[test]
fn trace_doc_lists_every_kind_and_field() {
    // docs/trace-format.md, its section on lease election.
    let all = include_str!("../../../docs/trace-format.md");
    let start = all
        .find("#### Lease election")
        .expect("docs/trace-format.md has a section on lease election");
    let doc = &all[start..start + all[start..].find("\n## ").unwrap_or(all.len() - start)];
    let b = Belief {
        holder: None,
        token: None,
        until: None,
        leading: false,
    };
    let events = [
        Event::StoreCas {
            op: StoreOp::Acquire,
            holder: 2,
            token: 1,
            revision: 1,
        },
        Event::WatchFired {
            to: 2,
            revision: 1,
            late_us: 0,
        },
        Event::LeaseAcquired {
            holder: 2,
            token: 1,
            until: None,
        },
        Event::LeaseRenewed {
            holder: 2,
            token: 1,
            until: None,
        },
        Event::LeaseLost {
            holder: 2,
            token: 1,
            reason: "resigned",
        },
        Event::LeaseCasFailed {
            candidate: 2,
            expected: 0,
            holder: None,
            reason: "lock delay",
        },
        Event::LeaseBelieves { node: 2, belief: b },
        Event::WorkStarted {
            holder: 2,
            token: 1,
            send_at: 0,
        },
        Event::ResourceWrite {
            holder: 2,
            token: 1,
            accepted: true,
            reason: "ok",
            highest: 1,
        },
    ];
    for e in &events {
        assert!(
            doc.contains(&format!("`{}`", e.kind())),
            "{} undocumented",
            e.kind()
        );
        for (f, _) in e.fields() {
            assert!(doc.contains(&format!("`{f}`")), "field {f} undocumented");
        }
    }
    let bodies = [
        Body::Get { seq: 1 },
        Body::Cas { seq: 1, expect: 0 },
        Body::Release { seq: 1 },
        Body::Reply(StoreReply {
            seq: 1,
            ok: false,
            record: None,
            revision: 0,
            reason: "x",
        }),
        Body::WatchEvent {
            record: None,
            revision: 0,
        },
        Body::Write { token: 1 },
        Body::WriteReply {
            token: 1,
            accepted: true,
        },
    ];
    for m in &bodies {
        assert!(
            doc.contains(&format!("`{}`", m.type_name())),
            "{} undocumented",
            m.type_name()
        );
        for (f, _) in m.fields() {
            assert!(doc.contains(&format!("`{f}`")), "field {f} undocumented");
        }
    }
}

/// S2 of `CLUSTER` as leader with token 6 (record at modify index 8), from an empty store.
fn leading_s2(cfg: &Config) -> Node {
    let mut c = Node::new(2, &CLUSTER, cfg);
    let mut out = Ready::default();
    c.step(0, Input::Tick, &mut out);
    assert!(matches!(out.messages[0].body, Body::Get { seq: 1 }));
    let empty = answered(1, None, 0);
    let mut out = Ready::default();
    c.step(100, msg(1, 2, empty), &mut out);
    assert!(matches!(
        out.messages[0].body,
        Body::Cas { seq: 2, expect: 0 }
    ));
    let mine = answered(2, Some(own(6, 8)), 8);
    let mut out = Ready::default();
    c.step(200, msg(1, 2, mine), &mut out);
    assert!(matches!(
        out.events[0],
        Event::LeaseAcquired {
            holder: 2,
            token: 6,
            ..
        }
    ));
    c
}

fn own(token: u64, mod_index: u64) -> Record {
    Record {
        holder: 2,
        token,
        mod_index,
        acquired_at: 0,
        renewed_at: 0,
    }
}

/// The store's successful answer to request `seq`: `record` at `revision`.
fn answered(seq: u64, record: Option<Record>, revision: u64) -> Body {
    Body::Reply(StoreReply {
        seq,
        ok: true,
        record,
        revision,
        reason: "",
    })
}

fn lost(out: &Ready) -> Option<&'static str> {
    out.events.iter().find_map(|e| match e {
        Event::LeaseLost { reason, .. } => Some(*reason),
        _ => None,
    })
}

/// A leader stops only for what concerns its own lease (client-go's observedRecord check;
/// the resource's fencing): a refusal of a write made under an earlier token, or a record
/// that still names it with its token, changes nothing; a refusal of its own token, a record
/// naming another holder, or no record, ends its leadership.
#[test]
fn a_leader_stops_only_for_its_own_lease() {
    let cfg = Config::default();
    // A refused write of an earlier token (a late answer from a former lease): still leads.
    let mut c = leading_s2(&cfg);
    let mut out = Ready::default();
    let old = Body::WriteReply {
        token: 5,
        accepted: false,
    };
    c.step(300, msg(4, 2, old), &mut out);
    assert_eq!(lost(&out), None);
    assert!(c.belief().unwrap().leading);
    // Its own token refused: fenced.
    let mut out = Ready::default();
    let fenced = Body::WriteReply {
        token: 6,
        accepted: false,
    };
    c.step(400, msg(4, 2, fenced), &mut out);
    assert_eq!(lost(&out), Some("fenced by the resource"));
    assert!(!c.belief().unwrap().leading);

    // The store's watch: its own record renewed (a newer revision) keeps it leading; another
    // holder's record, or none, ends it.
    let mut c = leading_s2(&cfg);
    let mut out = Ready::default();
    let renewed = Body::WatchEvent {
        record: Some(own(6, 9)),
        revision: 9,
    };
    c.step(300, msg(1, 2, renewed), &mut out);
    assert_eq!(lost(&out), None);
    let other = Body::WatchEvent {
        record: Some(Record {
            holder: 3,
            token: 7,
            ..own(7, 10)
        }),
        revision: 10,
    };
    c.step(400, msg(1, 2, other), &mut out);
    assert_eq!(lost(&out), Some("the store shows another holder"));
    let mut c = leading_s2(&cfg);
    let mut out = Ready::default();
    let none = Body::WatchEvent {
        record: None,
        revision: 9,
    };
    c.step(300, msg(1, 2, none), &mut out);
    assert_eq!(lost(&out), Some("the store shows no holder"));
}

/// A candidate leads only when its CAS succeeded: a failed CAS (another candidate changed the
/// record first) is no leadership, and it waits out the new holder's lease.
#[test]
fn a_failed_cas_is_not_leadership() {
    let mut c = Node::new(2, &CLUSTER, &Config::default());
    let mut out = Ready::default();
    c.step(0, Input::Tick, &mut out);
    let empty = answered(1, None, 0);
    c.step(100, msg(1, 2, empty), &mut out);
    let theirs = Record {
        holder: 3,
        token: 1,
        mod_index: 1,
        acquired_at: 50,
        renewed_at: 50,
    };
    let failed = StoreReply {
        seq: 2,
        ok: false,
        record: Some(theirs),
        revision: 1,
        reason: "modify index changed",
    };
    let mut out = Ready::default();
    c.step(200, msg(1, 2, Body::Reply(failed)), &mut out);
    assert!(
        !out.events
            .iter()
            .any(|e| matches!(e, Event::LeaseAcquired { .. })),
        "{:?}",
        out.events
    );
    let b = c.belief().unwrap();
    assert_eq!((b.holder, b.leading), (Some(3), false));
}

/// A candidate that restarts (its volatile state lost) and reads a record that still names
/// it takes it back at once with a CAS on that record, rather than waiting out its own lease.
#[test]
fn a_restarted_holder_takes_its_record_back_at_once() {
    let mut c = Node::new(2, &CLUSTER, &Config::default());
    let mut out = Ready::default();
    c.step(0, Input::Tick, &mut out);
    let still_mine = answered(1, Some(own(6, 8)), 8);
    let mut out = Ready::default();
    c.step(100, msg(1, 2, still_mine), &mut out);
    assert!(
        matches!(out.messages[0].body, Body::Cas { seq: 2, expect: 8 }),
        "{:?}",
        out.messages
    );
}

/// After resigning, a candidate numbers its requests on (a late answer to an earlier one is
/// never taken for a new one), reads before it tries again even while the record still names
/// it (the Release may not have reached the store), and keeps quiet for a lease duration:
/// a read answered before then leads to no CAS, one answered at its end does.
#[test]
fn after_resigning_a_candidate_reads_first_and_keeps_quiet_for_a_lease_duration() {
    let cfg = Config::default();
    let mut c = leading_s2(&cfg);
    let mut out = Ready::default();
    c.step(300, Input::Resign, &mut out);
    assert!(
        matches!(out.messages[0].body, Body::Release { seq: 3 }),
        "{:?}",
        out.messages
    );
    // The Release is still on its way: the record the candidate knows names it.
    let retry = c.next_deadline().expect("a retry timer");
    let mut out = Ready::default();
    c.step(retry, Input::Tick, &mut out);
    let kinds: Vec<&Body> = out.messages.iter().map(|m| &m.body).collect();
    assert!(
        matches!(kinds[..], [Body::Get { seq: 4 }]),
        "a read, not a renewal: {kinds:?}"
    );
    let quiet_until = 300 + cfg.lease_duration_us;
    assert!(retry < quiet_until);
    let released = |seq| answered(seq, None, 9);
    let get = |out: &Ready| {
        out.messages.iter().find_map(|m| match m.body {
            Body::Get { seq } => Some(seq),
            _ => None,
        })
    };
    // Every read answered before the quiet period ends leads to no CAS.
    let mut out = Ready::default();
    c.step(retry + 1, msg(1, 2, released(4)), &mut out);
    assert!(out.messages.is_empty(), "still quiet: {:?}", out.messages);
    let mut last = 4;
    loop {
        let t = c.next_deadline().expect("the retry timer");
        if t >= quiet_until {
            break;
        }
        let mut out = Ready::default();
        c.step(t, Input::Tick, &mut out);
        let seq = get(&out).expect("a read at each retry");
        assert_eq!(seq, last + 1, "requests numbered in order");
        last = seq;
        // Answered at once while quiet (the last one is answered below).
        if c.next_deadline().is_some_and(|n| n < quiet_until) {
            let mut out = Ready::default();
            c.step(t, msg(1, 2, released(seq)), &mut out);
            assert!(
                out.messages.is_empty(),
                "still quiet at {t}: {:?}",
                out.messages
            );
        }
    }
    // The last read's answer comes exactly at the end of the quiet period: it takes the free
    // record.
    let mut out = Ready::default();
    c.step(quiet_until, msg(1, 2, released(last)), &mut out);
    assert!(
        matches!(
            out.messages[..],
            [Message {
                body: Body::Cas { expect: 0, .. },
                ..
            }]
        ),
        "{:?}",
        out.messages
    );
}
