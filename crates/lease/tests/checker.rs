//! The lease system's two properties on synthetic histories (`check.rs`): each fires exactly
//! when its definition says, once per pair of tokens, with a message that names the writes,
//! the grant and the times; and legal histories do not fire.

use raftlab_lease::check::{Checker, Violation, STALE_WRITE, TWO_LEADERS};
use raftlab_lease::{Event, StoreOp};

const MS: u64 = 1000;

fn grant(c: &mut Checker, at: u64, holder: u32, token: u64) -> Vec<Violation> {
    c.observe(
        at,
        1,
        &Event::StoreCas {
            op: StoreOp::Acquire,
            holder,
            token,
            revision: token,
        },
    )
}

fn write(c: &mut Checker, at: u64, holder: u32, token: u64, accepted: bool) -> Vec<Violation> {
    c.observe(
        at,
        5,
        &Event::ResourceWrite {
            holder,
            token,
            accepted,
            reason: if accepted {
                "no fencing"
            } else {
                "stale token"
            },
            highest: token,
        },
    )
}

/// Kleppmann's pause: S2 (token 33) pauses; the store gives the lease to S3 (token 34), whose
/// writes reach the resource; S2 wakes and writes with 33, and the resource takes it (no
/// fencing). Both properties fire once, at the late write, with the grant and the times;
/// more late writes report nothing new.
#[test]
fn a_late_write_of_a_paused_holder_breaks_both_properties_once() {
    let mut c = Checker::new();
    assert!(grant(&mut c, 100 * MS, 2, 33).is_empty());
    assert!(write(&mut c, 200 * MS, 2, 33, true).is_empty());
    assert!(grant(&mut c, 1_500 * MS, 3, 34).is_empty());
    assert!(write(&mut c, 1_600 * MS, 3, 34, true).is_empty());
    let found = write(&mut c, 2_345 * MS, 2, 33, true);
    let got: Vec<(&str, u64, &str)> = found
        .iter()
        .map(|v| (v.property, v.at, v.detail.as_str()))
        .collect();
    assert_eq!(
        got,
        [
            (
                TWO_LEADERS,
                2_345 * MS,
                "The resource accepted a write from S2 with token 33 at 2.345 s, after it had \
                 accepted writes from S3 with token 34 since 1.600 s, leader by the store's \
                 grant at 1.500 s: two leaders acted at once."
            ),
            (
                STALE_WRITE,
                2_345 * MS,
                "The resource accepted a write from S2 with token 33 at 2.345 s, although the \
                 store had given the lease to S3 with token 34 at 1.500 s and that token had \
                 reached the resource at 1.600 s."
            ),
        ]
    );
    // The same pair of tokens is reported once, however many late writes follow.
    assert!(write(&mut c, 2_400 * MS, 2, 33, true).is_empty());
    // A third holder with a higher token makes a new pair.
    assert!(grant(&mut c, 3_000 * MS, 4, 35).is_empty());
    assert!(write(&mut c, 3_100 * MS, 4, 35, true).is_empty());
    let again: Vec<(&str, u64)> = write(&mut c, 3_200 * MS, 2, 33, true)
        .iter()
        .map(|v| (v.property, v.at))
        .collect();
    assert_eq!(
        again,
        [(TWO_LEADERS, 3_200 * MS), (STALE_WRITE, 3_200 * MS)]
    );
}

/// With fencing the late write is refused: nothing is reported. A refused write still shows
/// the resource the token, so a later accepted write under an older lease is stale.
#[test]
fn a_refused_write_breaks_nothing_but_shows_the_newer_token() {
    let mut c = Checker::new();
    grant(&mut c, 100 * MS, 2, 33);
    write(&mut c, 200 * MS, 2, 33, true);
    grant(&mut c, 1_500 * MS, 3, 34);
    // S3's write is refused (say, the resource is confused): it still presented token 34.
    assert!(write(&mut c, 1_600 * MS, 3, 34, false).is_empty());
    let found: Vec<&str> = write(&mut c, 1_700 * MS, 2, 33, true)
        .iter()
        .map(|v| v.property)
        .collect();
    assert_eq!(
        found,
        [STALE_WRITE],
        "no two leaders: S3 never acted, but the lease had moved"
    );
    // Fenced, the late write is refused: nothing.
    assert!(write(&mut c, 1_800 * MS, 2, 33, false).is_empty());
}

/// Before the newer token reaches the resource, an old holder's write is ordered before all
/// of the new holder's writes and harms nothing: not reported. Nor is a write in the very
/// microsecond of the grant ("before t" is strict).
#[test]
fn writes_before_the_newer_token_arrives_are_legal() {
    let mut c = Checker::new();
    grant(&mut c, 100 * MS, 2, 33);
    grant(&mut c, 1_500 * MS, 3, 34);
    assert!(write(&mut c, 1_550 * MS, 2, 33, true).is_empty());
    assert!(write(&mut c, 1_600 * MS, 3, 34, true).is_empty());
    // The same holder writing with its newer token after its older one is not two leaders.
    grant(&mut c, 2_000 * MS, 3, 36);
    assert!(write(&mut c, 2_100 * MS, 3, 36, true).is_empty());
    assert!(write(&mut c, 2_200 * MS, 3, 34, true).is_empty());

    // A token presented, then a write under an older lease in the microsecond of the newer
    // grant: not stale (the grant must come strictly before the write).
    let mut c = Checker::new();
    grant(&mut c, 100 * MS, 2, 33);
    write(&mut c, 100 * MS, 4, 40, false);
    grant(&mut c, 900 * MS, 4, 40);
    assert!(write(&mut c, 900 * MS, 2, 33, true).is_empty());
    let later: Vec<&str> = write(&mut c, 901 * MS, 2, 33, true)
        .iter()
        .map(|v| v.property)
        .collect();
    assert_eq!(later, [STALE_WRITE]);

    // Only a strictly higher token makes a write stale or a second leader: the same token
    // under another holder's name (which the store never grants) is neither.
    let mut c = Checker::new();
    grant(&mut c, 100 * MS, 2, 50);
    write(&mut c, 200 * MS, 2, 50, true);
    assert!(write(&mut c, 300 * MS, 3, 50, true).is_empty());
}
