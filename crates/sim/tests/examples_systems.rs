//! The example scenarios of the two systems raftlab contrasts with Raft (leaderless quorums
//! and lease election, `docs/scenario-format.md`), run on the shared simulator: each test
//! reads its file from `examples/`, runs it as `raftlab run` does, and checks the facts of
//! that run (times, values, versions, tokens) and the checker's verdict. Where the lesson is
//! a contrast, the file is also run with the one setting changed, and the other verdict
//! checked.

use raftlab_sim::checker::Property;
use raftlab_sim::json::{self, Value};
use raftlab_sim::linearizability::OpKind;
use raftlab_sim::run::{run, run_to, Outcome};
use raftlab_sim::scenario::{Action, Scenario};
use raftlab_sim::trace::TraceEvent;
use raftlab_sim::Simulation;
use std::cell::RefCell;
use std::rc::Rc;

fn text(name: &str) -> String {
    let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

fn parse(json: &str) -> Scenario {
    Scenario::parse(json).unwrap_or_else(|e| panic!("{e}"))
}

/// Runs `scenario` as `raftlab run` does; the trace comes back as parsed JSON lines.
fn traced(scenario: &Scenario) -> (Outcome, Vec<Value>) {
    let lines = Rc::new(RefCell::new(Vec::new()));
    let sink = lines.clone();
    let outcome = run(
        scenario,
        Some(Box::new(move |e: &TraceEvent| {
            sink.borrow_mut().push(json::parse(&e.to_json()).unwrap())
        })),
        false,
    );
    let lines = lines.borrow().clone();
    (outcome, lines)
}

/// The simulation at the end of `scenario`, for its servers' end state.
fn at_end(scenario: &Scenario) -> Simulation {
    run_to(scenario, scenario.until_us).expect("the run reaches its end")
}

fn properties(outcome: &Outcome) -> Vec<Property> {
    outcome.violations.iter().map(|v| v.property).collect()
}

fn num(v: &Value, field: &str) -> u64 {
    v.get(field)
        .and_then(Value::as_u64)
        .unwrap_or_else(|| panic!("no number {field} in {v}"))
}

fn st<'a>(v: &'a Value, field: &str) -> &'a str {
    v.get(field)
        .and_then(Value::as_str)
        .unwrap_or_else(|| panic!("no string {field} in {v}"))
}

fn ids(v: &Value, field: &str) -> Vec<u64> {
    v.get(field)
        .and_then(Value::as_array)
        .unwrap_or_else(|| panic!("no list {field} in {v}"))
        .iter()
        .map(|x| x.as_u64().unwrap())
        .collect()
}

fn msg(v: &Value) -> &Value {
    v.get("msg").unwrap_or_else(|| panic!("no msg in {v}"))
}

/// The trace lines of one kind.
fn of_kind<'a>(lines: &'a [Value], kind: &str) -> Vec<&'a Value> {
    lines.iter().filter(|l| st(l, "kind") == kind).collect()
}

/// The client's answer to request `id`: (time, result, value).
fn reply(lines: &[Value], id: u64) -> (u64, String, Option<String>) {
    let l = of_kind(lines, "client_reply")
        .into_iter()
        .find(|l| num(l, "id") == id)
        .unwrap_or_else(|| panic!("no reply to request {id}"));
    let value = l.get("value").and_then(Value::as_str).map(str::to_string);
    (num(l, "t_us"), st(l, "result").to_string(), value)
}

/// The quorum replies that completed read `request` at its coordinator, in order.
fn read_from(lines: &[Value], request: u64) -> Vec<u64> {
    of_kind(lines, "quorum_ack")
        .into_iter()
        .filter(|l| num(l, "request") == request && st(l, "phase") == "read")
        .map(|l| num(l, "from"))
        .collect()
}

/// Each replica's values of `key` at the end, as (value, version) text.
fn held(sim: &Simulation, key: &str) -> Vec<Vec<(String, String)>> {
    sim.quorum_nodes()
        .iter()
        .map(|n| {
            n.store()
                .get(key)
                .map(|s| s.iter().map(|(v, ver)| (v.clone(), ver.text())).collect())
                .unwrap_or_default()
        })
        .collect()
}

fn pair(v: &str, ver: &str) -> (String, String) {
    (v.to_string(), ver.to_string())
}

// ---------------------------------------------------------------------------------------
// Leaderless quorums
// ---------------------------------------------------------------------------------------

/// DDIA figure 9-6 ("new then old"); Dynamo (DeCandia et al. 2007) 4.5, quorums of R and W
/// with R + W > N. N = 3, W = R = 2, no read repair. `x=new` is written through S1 at 0.5 s
/// with a 300 ms latency: S1 stores it at once, S2 and S3 only at 0.8 s. Reader A (through
/// S1, 510 ms) gets S1's `new`; reader B (through S3, 600 ms, after A answered; link S1-S3
/// cut) reads S3 and S2 and gets `old`. The overlap of quorums does not make the register
/// linearizable, and the checker says so.
#[test]
fn quorum_new_then_old_is_not_linearizable_although_r_plus_w_exceeds_n() {
    let scenario = parse(&text("quorum-new-then-old.json"));
    let (outcome, lines) = traced(&scenario);
    // The write of `new` is still in progress during both reads: acknowledged at 810 ms.
    assert_eq!(reply(&lines, 2), (810_496, "ok".into(), None));
    let a = reply(&lines, 3);
    let b = reply(&lines, 4);
    assert_eq!(a, (534_116, "ok".into(), Some("new".into())));
    assert_eq!(b, (625_872, "ok".into(), Some("old".into())));
    assert!(a.0 < 600_000, "B starts after A has its answer");
    assert_eq!(read_from(&lines, 3), [1, 3], "A: S1's own copy, then S3's");
    assert_eq!(read_from(&lines, 4), [3, 2], "B: S3's own copy, then S2's");
    // S2 and S3 store `new` only at 0.8 s, after both reads.
    let stored: Vec<(u64, u64)> = of_kind(&lines, "quorum_write_stored")
        .into_iter()
        .filter(|l| st(l, "value") == "new")
        .map(|l| (num(l, "t_us"), num(l, "node")))
        .collect();
    assert_eq!(stored, [(500_000, 1), (800_000, 3), (800_000, 2)]);
    // No read repair: nothing is written back.
    assert!(of_kind(&lines, "read_repair").is_empty());
    // The verdict: B's read cannot be placed; no acknowledged write is lost.
    assert_eq!(properties(&outcome), [Property::Linearizability]);
    let e = match &outcome.linearizability {
        Some(Err(e)) => e,
        other => panic!("expected a non-linearizable history: {other:?}"),
    };
    assert_eq!(e.culprit.id, 4);
    assert_eq!(e.culprit.kind, OpKind::Read(Some("old".into())));
    assert_eq!(outcome.violations[0].t_us, 625_872);
}

/// ABD (Attiya, Bar-Noy, Dolev 1995): blocking read repair. The same run with
/// `"read_repair": "blocking"`: reader A writes `new` back to S3 and S2 and waits for W
/// acknowledgements before answering, so reader B, which reads S3 and S2, sees `new` too, and
/// the history is linearizable.
#[test]
fn quorum_blocking_read_repair_makes_the_same_reads_linearizable() {
    let file = text("quorum-blocking-repair.json");
    assert_eq!(
        text("quorum-new-then-old.json").replace("\"off\"", "\"blocking\""),
        file,
        "the same situation, only the read repair differs"
    );
    let scenario = parse(&file);
    let (outcome, lines) = traced(&scenario);
    let repair = of_kind(&lines, "read_repair");
    assert_eq!(repair.len(), 1);
    assert_eq!(
        (num(repair[0], "t_us"), num(repair[0], "node")),
        (534_116, 1)
    );
    assert_eq!(ids(repair[0], "targets"), [3, 2]);
    assert_eq!(repair[0].get("blocking"), Some(&Value::from(true)));
    let repaired: Vec<(u64, u64)> = of_kind(&lines, "quorum_write_stored")
        .into_iter()
        .filter(|l| st(l, "via") == "repair")
        .map(|l| (num(l, "t_us"), num(l, "node")))
        .collect();
    assert_eq!(repaired, [(544_742, 3), (547_916, 2)]);
    // A answers only once the write-back has its quorum, after S3 stored `new`.
    let a = reply(&lines, 3);
    assert_eq!(a, (556_814, "ok".into(), Some("new".into())));
    assert_eq!(read_from(&lines, 4), [3, 2]);
    assert_eq!(reply(&lines, 4), (627_444, "ok".into(), Some("new".into())));
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    assert_eq!(outcome.linearizability, Some(Ok(())));
}

/// Dynamo 4.5 (a timeout is not a failure); DDIA ch. 5 ("Limitations of quorum
/// consistency"). S1 is cut off when it coordinates `x=1`: it stores it itself (1 ack of
/// W = 2) and the client is told `timeout` at 600 ms. After the heal, a read through S2
/// that asks S1 returns `1`, and async read repair copies it to S2; a read through S3 that
/// asks S2 (S1-S3 cut) returns `1` as well. A timed-out write has an unknown outcome, so
/// the history is linearizable.
#[test]
fn quorum_a_timed_out_write_becomes_visible_and_spreads() {
    let scenario = parse(&text("quorum-failed-write.json"));
    let (outcome, lines) = traced(&scenario);
    assert_eq!(reply(&lines, 1).1, "ok");
    assert_eq!(reply(&lines, 2), (600_000, "timeout".into(), None));
    let timeout = of_kind(&lines, "quorum_timeout");
    assert_eq!(timeout.len(), 1);
    assert_eq!((num(timeout[0], "acks"), num(timeout[0], "needed")), (1, 2));
    let dropped: Vec<u64> = of_kind(&lines, "drop")
        .into_iter()
        .filter(|l| msg(l).get("type").and_then(Value::as_str) == Some("Write"))
        .map(|l| num(msg(l), "to"))
        .collect();
    assert_eq!(dropped, [2, 3], "the copies to S2 and S3 are lost");
    // Later reads return the "failed" write.
    assert_eq!(read_from(&lines, 3), [2, 1]);
    assert_eq!(reply(&lines, 3), (725_298, "ok".into(), Some("1".into())));
    let repair = of_kind(&lines, "read_repair");
    assert_eq!(repair.len(), 2);
    assert_eq!(
        (num(repair[0], "node"), ids(repair[0], "targets")),
        (2, vec![2])
    );
    assert_eq!(read_from(&lines, 4), [3, 2], "S2's repaired copy");
    assert_eq!(reply(&lines, 4), (824_426, "ok".into(), Some("1".into())));
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    assert_eq!(outcome.linearizability, Some(Ok(())));
    let one = vec![pair("1", "500000@S1")];
    assert_eq!(
        held(&at_end(&scenario), "x"),
        [one.clone(), one.clone(), one]
    );
}

/// Dynamo 4.4 (data versioning with vector clocks). `x=a` through S1 and `x=b` through S3
/// at the same moment: each coordinator reads first, sees nothing, and stamps its write
/// `[S1:1]` or `[S3:1]`. Neither descends from the other: every replica keeps both as
/// siblings, and a read returns `a|b`. Both writes are acknowledged and none is lost; a read
/// of two values is not a single register's answer, and the checker reports it.
#[test]
fn quorum_vector_clocks_keep_concurrent_writes_as_siblings() {
    let scenario = parse(&text("quorum-vector-siblings.json"));
    let (outcome, lines) = traced(&scenario);
    assert_eq!(reply(&lines, 1), (549_874, "ok".into(), None));
    assert_eq!(reply(&lines, 2), (549_297, "ok".into(), None));
    let versions: Vec<(String, String)> = of_kind(&lines, "quorum_write_acked")
        .into_iter()
        .map(|l| (st(l, "value").into(), st(l, "version").into()))
        .collect();
    assert_eq!(versions, [pair("b", "[S3:1]"), pair("a", "[S1:1]")]);
    // Neither write saw the other: both are stored next to each other, nothing is ignored.
    assert!(of_kind(&lines, "quorum_write_ignored").is_empty());
    assert_eq!(reply(&lines, 3), (824_747, "ok".into(), Some("a|b".into())));
    let done = of_kind(&lines, "quorum_read_done");
    assert_eq!(
        done[done.len() - 1]
            .get("values")
            .and_then(Value::as_array)
            .unwrap()
            .len(),
        2
    );
    let sim = at_end(&scenario);
    for (k, sibs) in held(&sim, "x").into_iter().enumerate() {
        let mut sibs = sibs;
        sibs.sort();
        assert_eq!(
            sibs,
            [pair("a", "[S1:1]"), pair("b", "[S3:1]")],
            "S{} holds both siblings",
            k + 1
        );
    }
    assert_eq!(properties(&outcome), [Property::Linearizability]);
    match &outcome.linearizability {
        Some(Err(e)) => assert_eq!(e.culprit.kind, OpKind::Read(Some("a|b".into()))),
        other => panic!("{other:?}"),
    }
}

/// Dynamo 4.6 (sloppy quorum and hinted handoff). N = 3 of 5 servers; x's preference list is
/// S2, S3, S4, then S5, S1. A partition puts S1 and S5 on one side. `x=2` through S1 times
/// out and S1 suspects S2, S3 and S4; `x=3` then goes to the stand-ins S5 and S1 (hints for
/// S2 and S3) and is acknowledged by W = 2 of them. A read through S2 on the other side reads
/// the primaries and returns the old `1`: not linearizable. After the heal the stand-ins hand
/// their hints over; S4 never gets `x=3` (no anti-entropy). No acknowledged write is lost:
/// the hints count as copies.
#[test]
fn quorum_sloppy_partition_accepts_writes_on_stand_ins_then_hands_them_off() {
    let scenario = parse(&text("quorum-sloppy-partition.json"));
    let (outcome, lines) = traced(&scenario);
    assert_eq!(reply(&lines, 2), (500_000, "timeout".into(), None));
    let suspected: Vec<u64> = of_kind(&lines, "peer_suspected")
        .into_iter()
        .map(|l| num(l, "peer"))
        .collect();
    assert_eq!(suspected, [2, 3, 4]);
    let request = of_kind(&lines, "quorum_request")
        .into_iter()
        .find(|l| num(l, "request") == 3)
        .unwrap();
    assert_eq!(ids(request, "targets"), [5, 1], "the stand-ins only");
    let hints: Vec<(u64, u64, u64)> = of_kind(&lines, "hint_stored")
        .into_iter()
        .map(|l| (num(l, "t_us"), num(l, "node"), num(l, "home")))
        .collect();
    assert_eq!(hints, [(600_000, 1, 3), (610_861, 5, 2)]);
    assert_eq!(reply(&lines, 3), (621_487, "ok".into(), None));
    // The read on the primaries' side misses the acknowledged x=3.
    assert_eq!(read_from(&lines, 4), [2, 3]);
    assert_eq!(reply(&lines, 4), (724_760, "ok".into(), Some("1".into())));
    // The handoffs sent before the heal are lost; after it, both arrive.
    let handed: Vec<(u64, u64, u64)> = of_kind(&lines, "hint_handed_off")
        .into_iter()
        .map(|l| (num(l, "t_us"), num(l, "node"), num(l, "home")))
        .collect();
    assert_eq!(handed, [(826_353, 1, 3), (838_340, 5, 2)]);
    assert!(handed.iter().all(|h| h.0 > 800_000));
    assert_eq!(reply(&lines, 5), (1_123_097, "ok".into(), Some("3".into())));
    let sim = at_end(&scenario);
    assert!(sim.quorum_nodes().iter().all(|n| n.hints().is_empty()));
    let three = vec![pair("3", "600000@S1")];
    assert_eq!(
        held(&sim, "x"),
        [
            vec![],
            three.clone(),
            three,
            vec![pair("1", "100000@S1")],
            vec![]
        ]
    );
    // The checker: the stale read, and nothing else.
    assert_eq!(properties(&outcome), [Property::Linearizability]);
    match &outcome.linearizability {
        Some(Err(e)) => {
            assert_eq!(e.culprit.id, 4);
            assert_eq!(e.culprit.kind, OpKind::Read(Some("1".into())));
        }
        other => panic!("{other:?}"),
    }
}

// ---------------------------------------------------------------------------------------
// Lease election
// ---------------------------------------------------------------------------------------

/// The resource's writes: (time, holder, token, accepted).
fn resource_writes(lines: &[Value]) -> Vec<(u64, u64, u64, bool)> {
    of_kind(lines, "resource_write")
        .into_iter()
        .map(|l| {
            (
                num(l, "t_us"),
                num(l, "holder"),
                num(l, "token"),
                l.get("accepted") == Some(&Value::from(true)),
            )
        })
        .collect()
}

/// The store's change of `op` for `holder`: its time.
fn store_op(lines: &[Value], op: &str, holder: u64) -> u64 {
    let l = of_kind(lines, "store_cas")
        .into_iter()
        .find(|l| st(l, "op") == op && num(l, "holder") == holder)
        .unwrap_or_else(|| panic!("no store_cas {op} of S{holder}"));
    num(l, "t_us")
}

/// When and why candidate `id` first stopped leading.
fn lost(lines: &[Value], id: u64) -> (u64, String) {
    let l = of_kind(lines, "lease_lost")
        .into_iter()
        .find(|l| num(l, "node") == id)
        .unwrap_or_else(|| panic!("S{id} never lost its lease"));
    (num(l, "t_us"), st(l, "reason").to_string())
}

/// Kubernetes client-go `leaderelection` (RenewDeadline is measured on the leader's own
/// clock); Kleppmann 2016 (leases assume bounded clock drift). At 1 s leader S2 (token 33)
/// is cut off from the store, and its clock slows to 0.3 of real time. S3, on an honest
/// clock, takes the lease (token 34) at 2.44 s; S2's renew deadline (1.8 s on its clock)
/// passes only at 3.67 s of real time, and meanwhile its write with token 33 is accepted at
/// 3.02 s, after S3's first write. Without fencing: both lease properties break.
#[test]
fn lease_slow_clock_keeps_a_deposed_leader_acting() {
    let file = text("lease-slow-clock.json");
    let scenario = parse(&file);
    let (outcome, lines) = traced(&scenario);
    let t34 = store_op(&lines, "acquire", 3);
    assert_eq!(t34, 2_437_669);
    let writes = resource_writes(&lines);
    let first34 = writes.iter().find(|w| w.2 == 34).unwrap().0;
    assert_eq!(first34, 2_510_240);
    let stale: Vec<_> = writes
        .iter()
        .filter(|w| w.1 == 2 && w.0 > first34)
        .collect();
    assert_eq!(stale, [&(3_015_793, 2, 33, true)]);
    // 1 s + (1.8 s - 1 s) / 0.3 of real time.
    assert_eq!(lost(&lines, 2), (3_666_667, "renew deadline passed".into()));
    assert_eq!(
        properties(&outcome),
        [
            Property::TwoLeadersActAtOnce,
            Property::StaleLeaseWriteAccepted
        ]
    );
    assert!(outcome.violations.iter().all(|v| v.t_us == 3_015_793));

    // An honest clock: S2 stops at its renew deadline, 1.8 s, before S3 takes over.
    let honest = parse(&file.replace("\"rate\": 0.3", "\"rate\": 1"));
    assert_ne!(honest.events, scenario.events);
    let (outcome, lines) = traced(&honest);
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    assert!(lost(&lines, 2).0 < store_op(&lines, "acquire", 3));

    // Fencing on: the resource refuses token 33 and S2 stops on the refusal.
    let fenced = parse(&file.replace("\"fencing\": false", "\"fencing\": true"));
    let (outcome, lines) = traced(&fenced);
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    assert!(resource_writes(&lines).contains(&(3_015_793, 2, 33, false)));
    assert_eq!(lost(&lines, 2).1, "fenced by the resource");
}

/// Runs `scenario` losing every `Cas` S2 sends to the store from `from_us` on, as soon as it
/// is sent (a link broken one way: the simulator's `cut` breaks both).
fn with_renewals_lost(scenario: &Scenario, from_us: u64) -> (Vec<Property>, Vec<Value>) {
    let mut sim = Simulation::from_scenario(scenario);
    let lines = Rc::new(RefCell::new(Vec::new()));
    let sink = lines.clone();
    sim.set_trace(Box::new(move |e: &TraceEvent| {
        sink.borrow_mut().push(json::parse(&e.to_json()).unwrap())
    }));
    while sim
        .next_event_time()
        .is_some_and(|t| t <= scenario.until_us)
    {
        sim.step();
        let lost: Vec<u64> = sim
            .in_flight()
            .filter(|m| m.sent_at >= from_us)
            .filter(|m| {
                m.message.from() == 2 && m.message.to() == 1 && m.message.type_name() == "Cas"
            })
            .map(|m| m.id)
            .collect();
        for id in lost {
            sim.act(&Action::DropMessage(id));
        }
    }
    sim.run_until(scenario.until_us, false);
    let props = sim.violations().iter().map(|v| v.property).collect();
    let lines = lines.borrow().clone();
    (props, lines)
}

/// Consul sessions and blocking queries (a session is invalidated by the store; a watch may
/// answer late); Kleppmann 2016. Session mode, TTL 1 s, watches 2 s late, no fencing. From
/// 1 s every renewal S2 sends to the store is lost (the file drops them by id), while the
/// store can still reach S2. The store expires S2's session at 1.51 s and S3 takes the lease
/// (token 34) at 2.03 s; S2, which believes it leads until the store tells it otherwise,
/// hears of the expiry only through the watch, 2 s late (3.51 s), and meanwhile writes five
/// times with token 33.
#[test]
fn lease_late_watch_lets_the_old_holder_act_for_the_watch_delay() {
    let file = text("lease-late-watch.json");
    let scenario = parse(&file);
    let (outcome, lines) = traced(&scenario);
    // The file's drops are S2's renewals, every one from 1 s until it stops leading.
    let drops: Vec<(u64, String, u64, u64)> = of_kind(&lines, "drop")
        .into_iter()
        .map(|l| {
            let m = msg(l);
            (
                num(l, "t_us"),
                st(m, "type").into(),
                num(m, "from"),
                num(m, "to"),
            )
        })
        .collect();
    assert_eq!(drops.len(), 6);
    assert!(drops.iter().all(|d| d.1 == "Cas" && (d.2, d.3) == (2, 1)));
    let expired = store_op(&lines, "expire", 2);
    assert_eq!(expired, 1_511_989);
    let t34 = store_op(&lines, "acquire", 3);
    assert_eq!(t34, 2_033_989);
    // The expiry (revision 35) reaches S2 through its watch, 2 s late.
    let watch = of_kind(&lines, "watch_fired")
        .into_iter()
        .find(|l| num(l, "to") == 2 && num(l, "revision") == 35)
        .unwrap();
    assert_eq!(
        (num(watch, "t_us"), num(watch, "late_us")),
        (expired + 2_000_000, 2_000_000)
    );
    let (t_lost, why) = lost(&lines, 2);
    assert_eq!(
        (t_lost, why.as_str()),
        (3_526_220, "the store shows no holder")
    );
    let stale: Vec<u64> = resource_writes(&lines)
        .iter()
        .filter(|w| w.1 == 2 && w.0 > t34)
        .map(|w| {
            assert!(w.3, "no fencing: accepted");
            w.0
        })
        .collect();
    assert_eq!(
        stale,
        [2_211_574, 2_511_144, 2_815_244, 3_115_012, 3_412_637]
    );
    assert_eq!(
        properties(&outcome),
        [
            Property::TwoLeadersActAtOnce,
            Property::StaleLeaseWriteAccepted
        ]
    );
    assert!(outcome.violations.iter().all(|v| v.t_us == 2_211_574));

    // The same loss applied by the test, without the file's drops: the same run.
    let mut no_drops = scenario.clone();
    no_drops.events.clear();
    let (props, again) = with_renewals_lost(&no_drops, 1_000_000);
    assert_eq!(props, properties(&outcome));
    assert_eq!(lost(&again, 2), (t_lost, why.clone()));
    // With watches on time, S2 hears of the expiry at once, before S3 takes over: safe.
    let on_time = parse(&file.replace("\"watch_delay_ms\": 2000", "\"watch_delay_ms\": 0"));
    let mut on_time_no_drops = on_time.clone();
    on_time_no_drops.events.clear();
    let (props, lines) = with_renewals_lost(&on_time_no_drops, 1_000_000);
    assert!(props.is_empty(), "{props:?}");
    assert!(lost(&lines, 2).0 < store_op(&lines, "acquire", 3));
}

/// Kleppmann, "How to do distributed locking" (2016): the process pause, with fencing on.
/// S2 (token 33) checks its lease for a write at 0.95 s and freezes at 1 s for 2.5 s; S3
/// takes the lease with token 34 at 2.64 s and writes. At 3.5 s S2 wakes, its checked write
/// leaves with token 33, and the resource refuses it: its highest token is 34. No violation;
/// the same run without fencing (`examples/lease-pause.json`) breaks both properties.
#[test]
fn lease_fencing_refuses_the_paused_holders_stale_token() {
    let file = text("lease-fencing.json");
    let scenario = parse(&file);
    let (outcome, lines) = traced(&scenario);
    assert_eq!(store_op(&lines, "acquire", 2), 38_060);
    assert_eq!(store_op(&lines, "acquire", 3), 2_637_017);
    let wake = of_kind(&lines, "wake");
    assert_eq!((num(wake[0], "t_us"), num(wake[0], "node")), (3_500_000, 2));
    let refused: Vec<_> = resource_writes(&lines)
        .into_iter()
        .filter(|w| !w.3)
        .collect();
    assert_eq!(refused, [(3_512_438, 2, 33, false)]);
    let refusal = of_kind(&lines, "resource_write")
        .into_iter()
        .find(|l| num(l, "t_us") == 3_512_438)
        .unwrap();
    assert_eq!(
        (st(refusal, "reason"), num(refusal, "highest")),
        ("stale token", 34)
    );
    assert!(outcome.violations.is_empty(), "{:?}", outcome.violations);
    let sim = at_end(&scenario);
    let resource = &sim.lease_nodes()[3];
    assert_eq!(resource.resource_state().map(|r| r.0), Some(34));
    let s3 = sim.lease_nodes()[2].belief().unwrap();
    assert!(s3.leading && s3.token == Some(34));

    // Without fencing the same write is accepted, and both properties break.
    let unfenced = parse(&file.replace("\"fencing\": true", "\"fencing\": false"));
    let (outcome, lines) = traced(&unfenced);
    assert!(resource_writes(&lines).contains(&(3_512_438, 2, 33, true)));
    assert_eq!(
        properties(&outcome),
        [
            Property::TwoLeadersActAtOnce,
            Property::StaleLeaseWriteAccepted
        ]
    );
}
