//! The teaching scenarios of contrast-systems.md B 1-3, step by step: each violation is caught
//! with fencing off and not raised with fencing on.

mod common;

use common::*;
use raftlab_lease::check::{STALE_WRITE, TWO_LEADERS};
use raftlab_lease::*;

const S: Micros = 1_000_000;

fn acquired(id: NodeId, want: u64) -> impl Fn(NodeId, &Event) -> bool {
    move |n, e| n == id && matches!(e, Event::LeaseAcquired { token, .. } if *token == want)
}

/// S2 acquires first (token 33: the store starts at revision 32); S3 starts 10 ms later.
fn start(cfg: &Config) -> Sim {
    let mut sim = Sim::new(4, cfg);
    sim.pause(3, 10 * MS);
    sim.run_until_event(S, acquired(2, 33));
    assert_eq!(
        sim.node(1).store_record().map(|r| (r.holder, r.token)),
        Some((2, 33))
    );
    sim
}

/// Scenario 1 (Kleppmann's pause): S2 checks its lease, starts a write, and freezes for 3 s
/// before the write leaves.
fn kleppmann(fencing: bool) -> (Sim, Micros) {
    let cfg = Config {
        first_revision: 32,
        fencing,
        ..Config::default()
    };
    let mut sim = start(&cfg);
    // Let S2 work a while, then freeze it right after it checked its lease for a write.
    sim.run_until(S);
    sim.run_until_event(2 * S, |n, e| {
        n == 2 && matches!(e, Event::WorkStarted { .. })
    });
    sim.pause(2, 3 * S);
    let wake = sim.now + 3 * S;
    // S3 takes over while S2 sleeps: its own clock says the record has not changed for a
    // lease duration.
    let t34 = sim.run_until_event(wake, acquired(3, 34));
    assert!(t34 >= wake - 3 * S + cfg.lease_duration_us);
    sim.run_until(wake - 10 * MS);
    // S2 still believes it leads; the store says S3 does.
    let b = sim.node(2).belief().unwrap();
    assert!(b.leading && b.token == Some(33));
    assert_eq!(sim.node(1).store_record().unwrap().holder, 3);
    assert!(sim.accepted().iter().any(|w| w.1 == 3 && w.2 == 34));
    sim.run_until(wake + 2 * S);
    (sim, wake)
}

#[test]
fn kleppmann_pause_without_fencing_two_leaders_write() {
    let (sim, wake) = kleppmann(false);
    // On waking, S2's overdue timers fire in order: the checked write leaves first, then the
    // renewal try, and only then does its renew deadline end its lease.
    let woke: Vec<&str> = sim
        .sent
        .iter()
        .filter(|m| m.1.from == 2 && m.0 == wake)
        .map(|m| m.1.body.type_name())
        .collect();
    assert_eq!(woke, ["Write", "Cas"]);
    let lost = sim
        .events
        .iter()
        .find(|e| e.1 == 2 && e.2.kind() == "lease_lost");
    assert!(
        matches!(lost, Some((t, _, Event::LeaseLost { reason: "renew deadline passed", .. })) if *t == wake)
    );
    // The resource took token 33 after token 34.
    let acc = sim.accepted();
    let first34 = acc.iter().position(|w| w.2 == 34).unwrap();
    assert!(acc[first34..].iter().any(|w| w.1 == 2 && w.2 == 33));
    assert!(
        sim.has(TWO_LEADERS) && sim.has(STALE_WRITE),
        "{:?}",
        sim.violations
    );
    let v = sim
        .violations
        .iter()
        .find(|v| v.property == TWO_LEADERS)
        .unwrap();
    assert!(v.detail.contains("S2 with token 33") && v.detail.contains("S3 with token 34"));
}

#[test]
fn kleppmann_pause_with_fencing_refuses_token_33() {
    let (sim, _) = kleppmann(true);
    assert_eq!(sim.refused(), [(2, 33)]);
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
    assert_eq!(sim.node(4).resource_state().unwrap().0, 34);
    assert!(sim.node(3).belief().unwrap().leading);
}

/// Scenario 2 (a slow clock): at 1 s S2 is cut off from the store (not from the resource) and
/// its clock runs at `num/den` of real time.
fn slow_clock(fencing: bool, num: u64, den: u64) -> Sim {
    let cfg = Config {
        first_revision: 32,
        fencing,
        ..Config::default()
    };
    let mut sim = start(&cfg);
    sim.run_until(S);
    sim.set_rate(2, num, den);
    sim.cut.extend([(1, 2), (2, 1)]);
    sim.run_until(6 * S);
    sim
}

fn lost_at(sim: &Sim, id: NodeId) -> Micros {
    sim.events
        .iter()
        .find(|e| e.1 == id && e.2.kind() == "lease_lost")
        .expect("a lease_lost event")
        .0
}

#[test]
fn slow_clock_without_fencing_keeps_writing_after_takeover() {
    let sim = slow_clock(false, 1, 3);
    let t34 = sim
        .events
        .iter()
        .find(|e| acquired(3, 34)(e.1, &e.2))
        .unwrap()
        .0;
    // Its renew deadline (1 s on its clock) lasts about 3 s of real time.
    assert!(lost_at(&sim, 2) > t34 + S / 2);
    assert!(sim.accepted().iter().any(|w| w.1 == 2 && w.0 > t34));
    assert!(sim.has(TWO_LEADERS) && sim.has(STALE_WRITE));
}

#[test]
fn slow_clock_with_fencing_is_refused() {
    let sim = slow_clock(true, 1, 3);
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
    assert!(sim.refused().contains(&(2, 33)));
    let lost = sim
        .events
        .iter()
        .find(|e| e.1 == 2 && e.2.kind() == "lease_lost");
    assert!(matches!(
        lost,
        Some((
            _,
            _,
            Event::LeaseLost {
                reason: "fenced by the resource",
                ..
            }
        ))
    ));
}

#[test]
fn correct_clock_needs_no_fencing() {
    // Same cut, honest clock: S2 stops (1 s) before S3 may take over (1.5 s).
    let sim = slow_clock(false, 1, 1);
    let t34 = sim
        .events
        .iter()
        .find(|e| acquired(3, 34)(e.1, &e.2))
        .unwrap()
        .0;
    assert!(lost_at(&sim, 2) < t34);
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
}

/// Scenario 3 (a late watch), Consul session mode: the store expires S2's session after 1 s
/// without renewal and tells watchers 2 s late; S2, cut off one way (its messages to the
/// store are lost), hears of it only through that late watch.
fn late_watch(fencing: bool, lock_delay_us: Micros) -> Sim {
    let cfg = Config {
        first_revision: 32,
        fencing,
        session_ttl_us: S,
        lock_delay_us,
        watch_delay_us: 2 * S,
        ..Config::default()
    };
    let mut sim = start(&cfg);
    sim.run_until(S);
    sim.cut.push((2, 1));
    sim.run_until(7 * S);
    sim
}

fn expired_at(sim: &Sim) -> Micros {
    let e = sim.events.iter().find(|e| {
        matches!(
            e.2,
            Event::StoreCas {
                op: StoreOp::Expire,
                holder: 2,
                ..
            }
        )
    });
    e.expect("the session expires").0
}

#[test]
fn late_watch_without_fencing_old_holder_keeps_acting() {
    let sim = late_watch(false, 0);
    let expired = expired_at(&sim);
    let t34 = sim
        .events
        .iter()
        .find(|e| acquired(3, 34)(e.1, &e.2))
        .unwrap()
        .0;
    // S2 hears of the expiry only through the late watch, 2 s after it.
    let lost = sim
        .events
        .iter()
        .find(|e| e.1 == 2 && e.2.kind() == "lease_lost")
        .unwrap();
    assert!(matches!(
        lost.2,
        Event::LeaseLost {
            reason: "the store shows no holder",
            ..
        }
    ));
    assert!(lost.0 >= expired + 2 * S && t34 < expired + S / 2);
    assert!(
        sim.has(TWO_LEADERS) && sim.has(STALE_WRITE),
        "{:?}",
        sim.violations
    );
}

#[test]
fn late_watch_with_fencing_is_refused() {
    let sim = late_watch(true, 0);
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
    assert!(sim.refused().contains(&(2, 33)));
}

#[test]
fn late_watch_is_covered_by_a_long_lock_delay() {
    // Consul's lock-delay: nobody may acquire for 2.5 s after the expiry, longer than the
    // watch is late, so S2 has stopped before S3 starts.
    let sim = late_watch(false, 2_500_000);
    let expired = expired_at(&sim);
    let t34 = sim
        .events
        .iter()
        .find(|e| acquired(3, 34)(e.1, &e.2))
        .unwrap()
        .0;
    assert!(t34 >= expired + 2_500_000);
    assert!(sim.events.iter().any(|e| matches!(
        e.2,
        Event::LeaseCasFailed {
            reason: "lock delay",
            ..
        }
    )));
    assert!(sim.violations.is_empty(), "{:?}", sim.violations);
}

#[test]
fn resign_hands_over_with_a_higher_token() {
    let cfg = Config {
        first_revision: 32,
        fencing: true,
        ..Config::default()
    };
    let mut sim = start(&cfg);
    sim.run_until(S);
    sim.resign(2);
    sim.run_until(S + 3 * MS);
    assert!(sim.events.iter().any(|e| matches!(
        e.2,
        Event::StoreCas {
            op: StoreOp::Release,
            holder: 2,
            token: 33,
            ..
        }
    )));
    let t = sim.run_until_event(3 * S, acquired(3, 34));
    // S3 takes the empty record at its next try; S2 stays out for a lease duration.
    assert!(t < S + cfg.retry_period_us + 20 * MS);
    sim.run_until(3 * S);
    assert!(!sim.node(2).belief().unwrap().leading);
    assert_eq!(sim.node(2).belief().unwrap().holder, Some(3));
    assert!(sim.violations.is_empty());
}
