//! Share links (`docs/share-links.md`): the exact text of examples, size, round trips of random
//! valid scenarios, and one clear message for every kind of bad link.

use proptest::prelude::*;
use raftlab_raft::{Bugs, Micros, NodeId};
use raftlab_sim::link::{decode, encode, Link, LinkError, LINK_VERSION, MAX_LINK_LEN};
use raftlab_sim::scenario::{
    Action, ConfigPatch, Mode, Scenario, SimConfig, Target, TimedAction, MAX_NODES, MAX_TEXT,
    MAX_UNTIL_MS,
};

fn at(ms: f64, action: Action) -> TimedAction {
    TimedAction {
        at_us: (ms * 1000.0).round() as Micros,
        action,
    }
}

fn write(node: Option<Target>, key: &str, value: &str) -> Action {
    Action::ClientWrite {
        node,
        key: key.into(),
        value: value.into(),
    }
}

/// A session as someone clicks it together on the page: 20 actions over 8 seconds.
fn session() -> Scenario {
    use Action::*;
    use Target::{Leader, Node};
    Scenario {
        seed: 42,
        nodes: 5,
        until_us: 8_000_000,
        config: SimConfig {
            election_timeout_us: (200_000, 400_000),
            drop_rate: 0.05,
            ..SimConfig::default()
        },
        events: vec![
            at(312.5, write(None, "x", "1")),
            at(800.0, write(None, "y", "hello")),
            at(1000.0, Crash(Leader)),
            at(1200.0, Partition(vec![vec![1, 2], vec![3, 4, 5]])),
            at(1500.0, write(Some(Node(3)), "x", "2")),
            at(1600.0, write(Some(Leader), "y", "3")),
            at(1700.0, Isolate(Leader)),
            at(2000.0, Heal),
            at(2100.0, Restart(Node(1))),
            at(2200.25, Timeout(Node(2))),
            at(
                2300.0,
                Set(ConfigPatch {
                    drop_rate: Some(0.1),
                    ..ConfigPatch::default()
                }),
            ),
            at(
                2500.0,
                ClientDelete {
                    node: None,
                    key: "y".into(),
                },
            ),
            at(3000.0, Cut(1, 2)),
            at(3200.0, Restore(1, 2)),
            at(3500.0, write(None, "name", "raft lab")),
            at(
                4000.0,
                Set(ConfigPatch {
                    latency_us: Some((50_000, 80_000)),
                    duplicate_rate: Some(0.05),
                    ..ConfigPatch::default()
                }),
            ),
            at(4200.0, Crash(Node(3))),
            at(4500.0, Restart(Node(3))),
            at(5000.0, write(Some(Node(2)), "k", "v")),
            at(6000.0, Heal),
        ],
        liveness_us: None,
        system: Default::default(),
    }
}

const SESSION_LINK: &str = "v=1&seed=42&n=5&c=E200-400D0.05&e=312.5w:x:1,800w:y:hello,1000cL,\
    1200p12-345,1500w3:x:2,1600wL:y:3,1700iL,2000h,2100r1,2200.25t2,2300sD0.1,2500d:y,3000x12,\
    3200m12,3500w:name:raft%20lab,4000sL50-80R0.05,4200c3,4500r3,5000w2:k:v,6000h&u=8000&p=3250.5";

#[test]
fn a_session_of_20_actions_has_this_link() {
    let s = session();
    assert_eq!(s.events.len(), 20);
    let link = encode(&s, Some(3_250_500));
    let expected: String = SESSION_LINK.split_whitespace().collect();
    assert_eq!(link, expected);
    println!("20-action session: {} characters\n{link}", link.len());
    assert!(link.len() < 2000, "{} characters", link.len());
    assert_eq!(
        decode(&link),
        Ok(Link {
            scenario: s,
            position_us: Some(3_250_500)
        })
    );
}

/// Writes are the longest actions; even 20 of them with 8-byte keys and values stay far below
/// 2,000 characters (and so do the fuzzer's campaigns of the same length).
#[test]
fn twenty_realistic_actions_stay_under_2000_characters() {
    let mut s = session();
    for (i, e) in s.events.iter_mut().enumerate() {
        if i % 2 == 0 {
            e.action = write(Some(Target::Leader), "account7", "balance9");
        }
        e.at_us += 123; // µs fractions everywhere
    }
    s.config.bugs.skip_vote_log_check = true;
    s.liveness_us = Some(10_000_000);
    let link = encode(&s, Some(7_999_999));
    println!("20 actions, 10 of them writes: {} characters", link.len());
    assert!(link.len() < 2000, "{} characters: {link}", link.len());
    assert_eq!(decode(&link).map(|l| l.scenario), Ok(s));

    for seed in 0..200 {
        let mut c = raftlab_sim::fuzz::campaign(seed, &raftlab_sim::fuzz::FuzzOptions::default());
        c.events.truncate(20);
        let link = encode(&c, None);
        assert!(link.len() < 2000, "campaign {seed}: {link}");
        assert_eq!(decode(&link).map(|l| l.scenario), Ok(c));
    }
}

#[test]
fn defaults_and_small_cases() {
    let s = Scenario::default();
    assert_eq!(encode(&s, None), "v=1&seed=1&n=5&u=5000");
    assert_eq!(
        decode("v=1&seed=1&n=5&u=5000"),
        Ok(Link {
            scenario: s.clone(),
            position_us: None
        })
    );
    // A leading '#', a whole URL and surrounding whitespace are all fine.
    for text in [
        "#v=1&seed=1&n=5&u=5000",
        "https://example.org/raftlab/#v=1&seed=1&n=5&u=5000",
        "  #v=1&seed=1&n=5&u=5000\n",
    ] {
        assert_eq!(decode(text).map(|l| l.scenario), Ok(s.clone()), "{text}");
    }
    // Fields after the version may come in any order; settings at their default may be given.
    let l = decode("v=1&u=0.001&p=0&c=H50E1-1&n=1&seed=18446744073709551615&l=3600000").unwrap();
    assert_eq!(l.scenario.seed, u64::MAX);
    assert_eq!(l.scenario.nodes, 1);
    assert_eq!(l.scenario.until_us, 1);
    assert_eq!(l.scenario.liveness_us, Some(3_600_000_000));
    assert_eq!(l.scenario.config.election_timeout_us, (1000, 1000));
    assert_eq!(l.position_us, Some(0));
    // The position may reach into the liveness phase, up to its end.
    assert!(decode("v=1&seed=1&n=5&u=5000&l=1000&p=6000").is_ok());
    // Every setting, every bug, every action kind, and escapes.
    let s = Scenario {
        seed: 0,
        nodes: 9,
        until_us: 86_400_000_000,
        config: SimConfig {
            election_timeout_us: (1000, 3_600_000_000),
            heartbeat_us: 1001,
            latency_us: (0, 10),
            drop_rate: 1.0,
            duplicate_rate: 0.1 + 0.2,
            client_timeout_us: 2_000_000,
            bugs: Bugs {
                commit_previous_term: true,
                skip_vote_log_check: true,
                unsafe_membership: true,
            },
            pre_vote: true,
            check_quorum: false,
            clock_drift: 0.25,
            snapshot_threshold: 100_000,
            delivery: Mode::Manual,
            timers: Mode::Manual,
            max_entries_per_message: 1,
            election_quorum: 2,
            commit_quorum: 9,
        },
        events: vec![
            at(0.0, Action::Partition(vec![vec![9], vec![1, 5, 3]])),
            at(0.001, write(None, "ключ/%&#", "a b,c:d~e=")),
            at(
                0.01,
                Action::ClientDelete {
                    node: Some(Target::Node(9)),
                    key: "😀".into(),
                },
            ),
            at(
                86_400_000.0,
                Action::Set(ConfigPatch {
                    election_timeout_us: Some((5000, 5000)),
                    heartbeat_us: Some(7000),
                    latency_us: Some((0, 0)),
                    drop_rate: Some(0.0),
                    duplicate_rate: Some(5e-324),
                    client_timeout_us: Some(1000),
                    pre_vote: Some(false),
                    check_quorum: Some(true),
                    clock_drift: Some(0.05),
                    snapshot_threshold: Some(0),
                    delivery: Some(Mode::Auto),
                    timers: None,
                    max_entries_per_message: Some(100_000),
                    election_quorum: Some(0),
                    commit_quorum: None,
                    bugs: Some(Bugs::default()),
                }),
            ),
        ],
        liveness_us: Some(0),
        system: Default::default(),
    };
    let link = encode(&s, Some(86_400_000_000));
    assert_eq!(
        link,
        "v=1&seed=0&n=9&c=E1-3600000H1.001L0-0.01D1R0.30000000000000004C2000K0.25S100000P1M1T1A1V2W9B123\
         &e=0p9-153,0.001w:%D0%BA%D0%BB%D1%8E%D1%87%2F%25%26%23:a%20b%2Cc%3Ad%7Ee%3D,\
         0.01d9:%F0%9F%98%80,86400000sE5-5H7L0-0D0R5e-324C1K0.05S0P0Q1M0A100000V0B0&u=86400000&l=0&p=86400000"
    );
    assert_eq!(
        decode(&link),
        Ok(Link {
            scenario: s,
            position_us: Some(86_400_000_000)
        })
    );
    // Lower-case hex escapes are read too.
    let l = decode("v=1&seed=1&n=5&e=1w:%c3%a9:%2c&u=5000").unwrap();
    assert_eq!(l.scenario.events[0].action, write(None, "é", ","));
    assert_eq!(LINK_VERSION, 1);
}

/// `c` leaves out settings at their default, so a format-1 link means the format-1 defaults:
/// changing `SimConfig::default()` needs a new link version (docs/share-links.md).
#[test]
fn format_1_defaults_are_pinned() {
    let l = decode("v=1&seed=1&n=5&u=5000").unwrap();
    assert_eq!(
        l.scenario.config,
        SimConfig {
            election_timeout_us: (150_000, 300_000),
            heartbeat_us: 50_000,
            latency_us: (10_000, 15_000),
            drop_rate: 0.0,
            duplicate_rate: 0.0,
            client_timeout_us: 1_000_000,
            bugs: Bugs::default(),
            pre_vote: false,
            check_quorum: false,
            clock_drift: 0.1,
            snapshot_threshold: 0,
            delivery: Mode::Auto,
            timers: Mode::Auto,
            max_entries_per_message: 64,
            election_quorum: 0,
            commit_quorum: 0,
        },
        "SimConfig::default() changed: bump LINK_VERSION and document the new defaults"
    );
}

// ---------------------------------------------------------------------------------------------
// Errors
// ---------------------------------------------------------------------------------------------

#[track_caller]
fn error(text: &str) -> String {
    match decode(text) {
        Ok(l) => panic!("{text:?} was read: {l:?}"),
        Err(LinkError { message }) => {
            assert!(message.starts_with("link: "), "{message}");
            assert_eq!(decode(text).unwrap_err().to_string(), message);
            message
        }
    }
}

#[track_caller]
fn assert_error(text: &str, expected: &str) {
    assert_eq!(error(text), expected, "for {text:?}");
}

const OK: &str = "v=1&seed=1&n=5&u=5000";

#[test]
fn empty_and_foreign_links() {
    for text in ["", "#", "   ", "https://example.org/#", "# \n"] {
        assert_error(text, "link: the link is empty (nothing after the '#')");
    }
    assert_error(
        "hello",
        "link: not a raftlab link: \"hello\" does not start with \"v=\"",
    );
    assert_error(
        "https://example.org/page",
        "link: not a raftlab link: \"https://example.org/page\" does not start with \"v=\"",
    );
    assert_error(
        "#section-2",
        "link: not a raftlab link: \"section-2\" does not start with \"v=\"",
    );
    assert_error(
        "seed=1&v=1&n=5&u=5000",
        "link: the version (v=...) must be the first field",
    );
    assert_error(
        "v=x&seed=1",
        "link: field v (\"v=x\"): expected a format version number such as v=1",
    );
    assert_error(
        "v=",
        "link: field v (\"v=\"): expected a format version number such as v=1",
    );
}

#[test]
fn newer_versions_are_refused_before_anything_else() {
    assert_error(
        "v=2&seed=1&n=5&u=5000&newfield=3",
        "link: made by a newer raftlab (format v2); this page reads format 1",
    );
    assert_error(
        "#v=17",
        "link: made by a newer raftlab (format v17); this page reads format 1",
    );
    assert_error(
        "v=99999999999999999999999&x",
        "link: made by a newer raftlab (format v99999999999999999999999); this page reads format 1",
    );
    assert_error(
        &format!("v={}", "9".repeat(50_000)),
        &format!(
            "link: made by a newer raftlab (format v{}...); this page reads format 1",
            "9".repeat(40)
        ),
    );
    assert_error(
        "v=0&seed=1&n=5&u=5000",
        "link: format v0 does not exist; this page reads format 1",
    );
}

#[test]
fn too_long() {
    let long = format!("{OK}&e={}", vec!["1h"; 40_000].join(","));
    assert!(long.len() > MAX_LINK_LEN);
    assert_error(
        &long,
        &format!(
            "link: too long: {} characters; a link has at most 100000",
            long.len()
        ),
    );
    // Just at the limit is fine.
    let mut fits = format!("{OK}&e=");
    while fits.len() + 6 <= MAX_LINK_LEN {
        fits.push_str("1h,");
    }
    // The last action's time with leading zeros fills the rest: 0000h.
    while fits.len() + 1 < MAX_LINK_LEN {
        fits.push('0');
    }
    fits.push('h');
    assert_eq!(fits.len(), MAX_LINK_LEN);
    assert!(decode(&fits).is_ok());
}

#[test]
fn field_errors() {
    assert_error(
        "v=1&seed=1&n=5&u=5000&",
        "link: field 5 is empty (two '&' in a row, or an '&' at an end)",
    );
    assert_error(
        "v=1&&seed=1",
        "link: field 2 is empty (two '&' in a row, or an '&' at an end)",
    );
    assert_error(
        "v=1&seed",
        "link: field 2 (\"seed\") has no '=': expected NAME=VALUE",
    );
    assert_error(
        "v=1&seed=1&n=5&u=5000&x=1",
        "link: unknown field \"x\"; expected one of: v, seed, n, c, e, u, l, p, y",
    );
    assert_error(
        "v=1&seed=1&n=5&u=5000&until=1",
        "link: unknown field \"until\"; expected one of: v, seed, n, c, e, u, l, p, y",
    );
    assert_error(
        "v=1&seed=1&n=5&seed=2&u=5000",
        "link: field seed appears more than once",
    );
    assert_error("v=1&v=1&seed=1", "link: field v appears more than once");
    assert_error(
        "v=1&seed=1&n=5&u=5000&e=1h&e=2h",
        "link: field e appears more than once",
    );
    assert_error(
        "v=1&seed=&n=5&u=5000",
        "link: field seed is empty: write a value after the '='",
    );
    assert_error(
        "v=1&n=5&u=5000",
        "link: missing field seed (the seed, such as seed=42)",
    );
    assert_error(
        "v=1&seed=1&u=5000",
        "link: missing field n (the cluster size, such as n=5)",
    );
    assert_error(
        "v=1&seed=1&n=5",
        "link: missing field u (the end of the run in milliseconds, such as u=5000)",
    );
}

#[test]
fn bad_numbers() {
    assert_error(
        "v=1&seed=-1&n=5&u=5000",
        "link: field seed (\"seed=-1\"): expected a whole number from 0 to 18446744073709551615",
    );
    assert_error(
        "v=1&seed=18446744073709551616&n=5&u=5000",
        "link: field seed (\"seed=18446744073709551616\"): too large; a seed is at most 18446744073709551615",
    );
    assert_error(
        "v=1&seed=1&n=x&u=5000",
        "link: field n (\"n=x\"): expected a cluster size from 1 to 9",
    );
    assert_error(
        "v=1&seed=1&n=10&u=5000",
        "link: field n (\"n=10\"): a cluster has 1 to 9 nodes (found 10)",
    );
    assert_error(
        "v=1&seed=1&n=0&u=5000",
        "link: field n (\"n=0\"): a cluster has 1 to 9 nodes (found 0)",
    );
    assert_error(
        "v=1&seed=1&n=5&u=5s",
        "link: field u (\"u=5s\"): expected milliseconds such as 1500 or 1500.25, found \"5s\"",
    );
    assert_error(
        "v=1&seed=1&n=5&u=1.",
        "link: field u (\"u=1.\"): expected milliseconds such as 1500 or 1500.25, found \"1.\"",
    );
    assert_error(
        "v=1&seed=1&n=5&u=1.2345",
        "link: field u (\"u=1.2345\"): \"1.2345\": at most 3 decimals (times are whole microseconds)",
    );
    assert_error(
        "v=1&seed=1&n=5&u=99999999999999999999",
        "link: field u (\"u=99999999999999999999\"): \"99999999999999999999\" ms is too large",
    );
    assert_error(
        "v=1&seed=1&n=5&u=86400000.001",
        "link: field u (\"u=86400000.001\"): 86400000.001 ms is too large; at most 86400000 ms",
    );
    assert_error(
        "v=1&seed=1&n=5&u=-5",
        "link: field u (\"u=-5\"): must not be negative (found \"-5\")",
    );
    assert_error(
        "v=1&seed=1&n=5&u=5000&l=3600001",
        "link: field l (\"l=3600001\"): 3600001 ms is too large; at most 3600000 ms",
    );
}

#[test]
fn position_errors() {
    assert_error(
        "v=1&seed=1&n=5&u=5000&p=5000.001",
        "link: field p (\"p=5000.001\"): position 5000.001 ms is after the end of the run (5000 ms)",
    );
    assert_error(
        "v=1&seed=1&n=5&u=5000&l=100&p=5101",
        "link: field p (\"p=5101\"): position 5101 ms is after the end of the run (5100 ms)",
    );
    assert_error(
        "v=1&seed=1&n=5&u=5000&p=-1",
        "link: field p (\"p=-1\"): must not be negative (found \"-1\")",
    );
    assert_error(
        "v=1&seed=1&n=5&u=5000&p=later",
        "link: field p (\"p=later\"): expected milliseconds such as 1500 or 1500.25, found \"later\"",
    );
}

#[test]
fn config_errors() {
    for (c, expected) in [
        (
            "E300-150",
            "E (election timeout): min 300 ms is greater than max 150 ms",
        ),
        ("E0-150", "E (election timeout): min must be at least 1 ms"),
        (
            "E150",
            "E (election timeout): expected MIN-MAX in milliseconds, such as E150-300; found \"150\"",
        ),
        (
            "Lx-1",
            "L (latency) min: expected milliseconds such as 1500 or 1500.25, found \"x\"",
        ),
        ("H0.5", "H (heartbeat): must be at least 1 ms"),
        ("C0", "C (client timeout): must be at least 1 ms"),
        ("D1.5", "D (drop rate): must be between 0 and 1 (found 1.5)"),
        ("R-0.5", "R (duplicate rate): must be between 0 and 1 (found -0.5)"),
        (
            "Dhalf",
            "D (drop rate): expected a number from 0 to 1 such as D0.1, found \"half\"",
        ),
        (
            "Dx",
            "D (drop rate): expected a number from 0 to 1 such as D0.1, found \"x\"",
        ),
        (
            "D.5",
            "D (drop rate): expected a number from 0 to 1 such as D0.1, found \".5\"",
        ),
        ("H50H60", "H (heartbeat) is given more than once"),
        ("HD0.1", "H (heartbeat): the value is missing after the letter"),
        (
            "h50",
            "expected a setting letter (E, H, L, D, R, C, B, P, Q, K, S, M, T, A, V, W), found \"h\"",
        ),
        (
            "B4",
            "B (bugs): unknown bug \"4\"; known: 1 (commit_previous_term), 2 (skip_vote_log_check), 3 (unsafe_membership), or 0 alone for none",
        ),
        ("B11", "B (bugs): bug 1 is listed twice"),
        (
            "A0",
            "A (entries per AppendEntries): must be between 1 and 100000 (found 0)",
        ),
        (
            "A100001",
            "A (entries per AppendEntries): must be between 1 and 100000 (found 100001)",
        ),
        (
            "Ax",
            "A (entries per AppendEntries): expected a whole number of entries such as A10, found \"x\"",
        ),
        ("A1A2", "A (entries per AppendEntries) is given more than once"),
        (
            "X1",
            "expected a setting letter (E, H, L, D, R, C, B, P, Q, K, S, M, T, A, V, W), found \"X\"",
        ),
    ] {
        assert_error(
            &format!("v=1&seed=1&n=5&c={c}&u=5000"),
            &format!("link: field c (\"c={c}\"): {expected}"),
        );
    }
}

#[test]
fn action_errors() {
    for (e, expected) in [
        (
            "1h,2h,12q",
            "action 3 (\"12q\"): unknown action letter \"q\"; expected one of: c, r, t, i, p, h, x, m, w, d, s, l, g, k, a, v, f, o, n, u, z",
        ),
        ("1h,,2h", "action 2 is empty (two ',' in a row, or a ',' at an end)"),
        ("1h,", "action 2 is empty (two ',' in a row, or a ',' at an end)"),
        (
            "c1",
            "action 1 (\"c1\"): expected the time in milliseconds first, such as 1500c1",
        ),
        ("-5c1", "action 1 (\"-5c1\"): the time must not be negative"),
        ("100", "action 1 (\"100\"): the action letter is missing after the time"),
        (
            "1.2345c1",
            "action 1 (\"1.2345c1\"): time: \"1.2345\": at most 3 decimals (times are whole microseconds)",
        ),
        (
            "86400001h",
            "action 1 (\"86400001h\"): time: 86400001 ms is too large; at most 86400000 ms",
        ),
        (
            "1c",
            "action 1 (\"1c\"): expected a node number (1 to 9) or L for the leader after \"c\", found nothing",
        ),
        (
            "1r12",
            "action 1 (\"1r12\"): expected a node number (1 to 9) or L for the leader after \"r\", found \"12\"",
        ),
        (
            "1c7",
            "action 1 (\"1c7\"): node 7 does not exist; the cluster has nodes 1 to 5",
        ),
        (
            "1t0",
            "action 1 (\"1t0\"): node 0 does not exist; the cluster has nodes 1 to 5",
        ),
        (
            "1h2",
            "action 1 (\"1h2\"): heal (h) takes nothing after the letter, found \"2\"",
        ),
        (
            "1p12-2",
            "action 1 (\"1p12-2\"): node 2 is in more than one group",
        ),
        (
            "1p12--3",
            "action 1 (\"1p12--3\"): partition (p) expects groups of node digits separated by '-', such as p12-345; found \"12--3\"",
        ),
        (
            "1p",
            "action 1 (\"1p\"): partition (p) expects groups of node digits separated by '-', such as p12-345; found nothing",
        ),
        (
            "1x11",
            "action 1 (\"1x11\"): a link joins two different nodes",
        ),
        (
            "1m123",
            "action 1 (\"1m123\"): restore (m) expects the two node digits of a link, such as m12; found \"123\"",
        ),
        (
            "1w:x",
            "action 1 (\"1w:x\"): expected w[NODE]:KEY:VALUE, such as w3:x:2 or w:x:2 (a ':' inside a key or value is written %3A); found \":x\"",
        ),
        (
            "1d:x:y",
            "action 1 (\"1d:x:y\"): expected d[NODE]:KEY, such as d3:x or d:x (a ':' inside a key or value is written %3A); found \":x:y\"",
        ),
        (
            "1w12:x:1",
            "action 1 (\"1w12:x:1\"): expected a node number (1 to 9) or L for the leader after \"w\", found \"12\"",
        ),
        ("1w::1", "action 1 (\"1w::1\"): key: must not be empty"),
        ("1w:x:", "action 1 (\"1w:x:\"): value: must not be empty"),
        (
            "1w:a%3Db:1",
            "action 1 (\"1w:a%3Db:1\"): key: a key must not contain '=' or spaces (the command reads `set key=value`)",
        ),
        (
            "1w:x:%0A",
            "action 1 (\"1w:x:%0A\"): value: must not contain control characters",
        ),
        (
            "1w:x:ab%4",
            "action 1 (\"1w:x:ab%4\"): value: truncated percent escape \"%4\" at the end (expected % and two hex digits)",
        ),
        (
            "1w:x:%",
            "action 1 (\"1w:x:%\"): value: truncated percent escape \"%\" at the end (expected % and two hex digits)",
        ),
        (
            "1w:x%G1:1",
            "action 1 (\"1w:x%G1:1\"): key: bad percent escape \"%G1\" (expected % and two hex digits)",
        ),
        (
            "1w:x:%FF",
            "action 1 (\"1w:x:%FF\"): value: not valid UTF-8 after percent-decoding",
        ),
        (
            "1w:x:%C3",
            "action 1 (\"1w:x:%C3\"): value: not valid UTF-8 after percent-decoding",
        ),
        (
            "1w:x:a~b",
            "action 1 (\"1w:x:a~b\"): value: the character \"~\" must be written percent-encoded (%7E)",
        ),
        (
            "1w:x:é",
            "action 1 (\"1w:x:é\"): value: the character \"é\" must be written percent-encoded (%C3%A9)",
        ),
        ("1s", "action 1 (\"1s\"): \"set\" changes nothing: give at least one setting"),
        (
            "1sB4",
            "action 1 (\"1sB4\"): B (bugs): unknown bug \"4\"; known: 1 (commit_previous_term), 2 (skip_vote_log_check), 3 (unsafe_membership), or 0 alone for none",
        ),
        (
            "1sB10",
            "action 1 (\"1sB10\"): B (bugs): unknown bug \"0\"; known: 1 (commit_previous_term), 2 (skip_vote_log_check), 3 (unsafe_membership), or 0 alone for none",
        ),
        (
            "1sD2",
            "action 1 (\"1sD2\"): D (drop rate): must be between 0 and 1 (found 2)",
        ),
        (
            "1sL20-10",
            "action 1 (\"1sL20-10\"): L (latency): min 20 ms is greater than max 10 ms",
        ),
        (
            "1sE1-3600001",
            "action 1 (\"1sE1-3600001\"): E (election timeout): 3600001 ms is too large; at most 3600000 ms",
        ),
    ] {
        assert_error(
            &format!("v=1&seed=1&n=5&e={e}&u=5000"),
            &format!("link: {e_msg}", e_msg = expected),
        );
    }
    // Long tokens are cut in messages.
    let long = format!("1w:{}:1:2", "k".repeat(300));
    let message = error(&format!("v=1&seed=1&n=5&e={long}&u=5000"));
    let cut = format!(
        "link: action 1 (\"1w:{}\"...): expected w[NODE]",
        "k".repeat(37)
    );
    assert!(message.starts_with(&cut), "{message}");
    // A key over 256 bytes.
    let message = error(&format!("v=1&seed=1&n=5&e=1w:{}:1&u=5000", "k".repeat(257)));
    assert!(message.ends_with("key: longer than 256 bytes"), "{message}");
}

// ---------------------------------------------------------------------------------------------
// Round trips
// ---------------------------------------------------------------------------------------------

/// Whole microseconds in `[lo, hi]`: whole milliseconds, a few decimals, or any.
fn micros(lo: Micros, hi: Micros) -> impl Strategy<Value = Micros> {
    prop_oneof![
        (lo.div_ceil(1000)..=hi / 1000).prop_map(|m| m * 1000),
        (lo.div_ceil(100)..=hi / 100).prop_map(|m| m * 100),
        lo..=hi,
        Just(lo),
        Just(hi),
    ]
}

fn range(lo: Micros, hi: Micros) -> impl Strategy<Value = (Micros, Micros)> {
    (micros(lo, hi), micros(lo, hi)).prop_map(|(a, b)| (a.min(b), a.max(b)))
}

/// Any `f64` from 0 to 1: short decimals, uniform ones, and every bit pattern in between
/// (subnormals included).
fn rate() -> impl Strategy<Value = f64> {
    prop_oneof![
        Just(0.0),
        Just(1.0),
        (0u32..=1000).prop_map(|k| k as f64 / 1000.0),
        0.0f64..=1.0,
        (0u64..=1.0f64.to_bits()).prop_map(f64::from_bits),
    ]
}

const MAX_RANGE_US: Micros = 3_600_000 * 1000;

fn mode(manual: bool) -> Mode {
    if manual {
        Mode::Manual
    } else {
        Mode::Auto
    }
}

fn config() -> impl Strategy<Value = SimConfig> {
    let d = SimConfig::default();
    (
        prop_oneof![
            Just(d.election_timeout_us),
            range(1000, MAX_RANGE_US).boxed()
        ],
        prop_oneof![Just(d.heartbeat_us), micros(1000, MAX_RANGE_US).boxed()],
        prop_oneof![Just(d.latency_us), range(0, MAX_RANGE_US).boxed()],
        rate(),
        rate(),
        prop_oneof![
            Just(d.client_timeout_us),
            micros(1000, MAX_RANGE_US).boxed()
        ],
        any::<(bool, bool, bool, bool, bool)>(),
        prop_oneof![Just(0u64), 1u64..=100_000],
        any::<(bool, bool)>(),
        prop_oneof![Just(64u64), 1u64..=100_000],
        (0u32..=1, 0u32..=1),
    )
        .prop_map(
            |(
                election,
                heartbeat,
                latency,
                drop,
                dup,
                client,
                (b1, b2, b3, pv, cq),
                snap,
                (md, mt),
                batch,
                (q1, q2),
            )| {
                SimConfig {
                    election_timeout_us: election,
                    heartbeat_us: heartbeat,
                    latency_us: latency,
                    drop_rate: drop,
                    duplicate_rate: dup,
                    client_timeout_us: client,
                    bugs: Bugs {
                        commit_previous_term: b1,
                        skip_vote_log_check: b2,
                        unsafe_membership: b3,
                    },
                    pre_vote: pv,
                    check_quorum: cq,
                    clock_drift: 0.1,
                    snapshot_threshold: snap,
                    delivery: mode(md),
                    timers: mode(mt),
                    max_entries_per_message: batch,
                    election_quorum: q1,
                    commit_quorum: q2,
                }
            },
        )
}

/// Keys and values: short words, the characters a URL reserves or escapes, any printable
/// Unicode, and the longest allowed.
fn text() -> impl Strategy<Value = String> {
    prop_oneof![
        "[a-z0-9]{1,8}",
        "[-A-Za-z0-9_.~!*'();:@&=+$,/?#\\[\\]% \"<>`{}|\\\\^]{1,30}",
        "[^\\p{Cc}]{1,40}",
        "[a-z]{250,256}",
        "[😀ü€]{60,64}",
    ]
    .prop_filter("at most MAX_TEXT bytes", |s| s.len() <= MAX_TEXT)
}

fn key() -> impl Strategy<Value = String> {
    text().prop_filter("no '=' or whitespace in a key", |s| {
        !s.contains(|c: char| c == '=' || c.is_whitespace())
    })
}

fn target(nodes: u32) -> impl Strategy<Value = Target> {
    prop_oneof![
        Just(Target::Leader),
        (1..=nodes).prop_map(|n| Target::Node(n as NodeId)),
    ]
}

fn groups(nodes: u32) -> impl Strategy<Value = Vec<Vec<NodeId>>> {
    // Each node goes to one of up to 4 groups, or (slot 4) to none; groups and members in
    // any order.
    (
        prop::collection::vec(0usize..5, nodes as usize),
        any::<u64>(),
    )
        .prop_map(|(slots, shuffle)| {
            let mut groups = vec![Vec::new(); 4];
            for (k, &g) in slots.iter().enumerate() {
                if g < 4 {
                    groups[g].push(k as NodeId + 1);
                }
            }
            for (i, g) in groups.iter_mut().enumerate() {
                if shuffle >> i & 1 == 1 {
                    g.reverse();
                }
            }
            groups.retain(|g| !g.is_empty());
            groups
        })
        .prop_filter("at least one group", |g| !g.is_empty())
        .prop_shuffle()
}

fn two_nodes(nodes: u32) -> impl Strategy<Value = (NodeId, NodeId)> {
    (1..=nodes, 1..=nodes)
        .prop_filter("two different nodes", |(a, b)| a != b)
        .prop_map(|(a, b)| (a as NodeId, b as NodeId))
}

fn patch() -> impl Strategy<Value = ConfigPatch> {
    (
        prop::option::of(range(1000, MAX_RANGE_US)),
        prop::option::of(micros(1000, MAX_RANGE_US)),
        prop::option::of(range(0, MAX_RANGE_US)),
        prop::option::of(rate()),
        prop::option::of(rate()),
        prop::option::of(micros(1000, MAX_RANGE_US)),
        prop::option::of(any::<bool>()),
        prop::option::of(any::<bool>()),
        prop::option::of(0u64..=100_000),
        (
            prop::option::of(any::<bool>()),
            prop::option::of(any::<bool>()),
            prop::option::of(0u32..=1),
            prop::option::of(0u32..=1),
            prop::option::of((any::<bool>(), any::<bool>(), any::<bool>())),
        ),
        prop::option::of(1u64..=100_000),
    )
        .prop_map(
            |(e, h, l, d, u, c, pv, cq, snap, (md, mt, q1, q2, bugs), batch)| ConfigPatch {
                election_timeout_us: e,
                heartbeat_us: h,
                latency_us: l,
                drop_rate: d,
                duplicate_rate: u,
                client_timeout_us: c,
                pre_vote: pv,
                check_quorum: cq,
                clock_drift: None,
                snapshot_threshold: snap,
                delivery: md.map(mode),
                timers: mt.map(mode),
                max_entries_per_message: batch,
                election_quorum: q1,
                commit_quorum: q2,
                bugs: bugs.map(|(a, b, c)| Bugs {
                    commit_previous_term: a,
                    skip_vote_log_check: b,
                    unsafe_membership: c,
                }),
            },
        )
        .prop_filter("set changes something", |p| *p != ConfigPatch::default())
}

fn action(nodes: u32) -> BoxedStrategy<Action> {
    let mut kinds = vec![
        target(nodes).prop_map(Action::Crash).boxed(),
        target(nodes).prop_map(Action::Restart).boxed(),
        target(nodes).prop_map(Action::Timeout).boxed(),
        target(nodes).prop_map(Action::Isolate).boxed(),
        groups(nodes).prop_map(Action::Partition).boxed(),
        Just(Action::Heal).boxed(),
        (prop::option::of(target(nodes)), key(), text())
            .prop_map(|(node, key, value)| Action::ClientWrite { node, key, value })
            .boxed(),
        (prop::option::of(target(nodes)), key())
            .prop_map(|(node, key)| Action::ClientDelete { node, key })
            .boxed(),
        patch().prop_map(Action::Set).boxed(),
        target(nodes).prop_map(Action::FireTimer).boxed(),
        (target(nodes), 1u64..=3_600_000_000)
            .prop_map(|(t, us)| Action::Pause(t, us))
            .boxed(),
        any::<u64>().prop_map(Action::DropMessage).boxed(),
        any::<u64>().prop_map(Action::DeliverMessage).boxed(),
        any::<u64>().prop_map(Action::DuplicateMessage).boxed(),
    ];
    if nodes >= 2 {
        kinds.push(
            two_nodes(nodes)
                .prop_map(|(a, b)| Action::Cut(a, b))
                .boxed(),
        );
        kinds.push(
            two_nodes(nodes)
                .prop_map(|(a, b)| Action::Restore(a, b))
                .boxed(),
        );
    }
    prop::strategy::Union::new(kinds).boxed()
}

fn scenario() -> impl Strategy<Value = Scenario> {
    (1..=MAX_NODES).prop_flat_map(|nodes| {
        (
            prop_oneof![any::<u64>(), Just(0), Just(u64::MAX)],
            micros(0, MAX_UNTIL_MS * 1000),
            config(),
            prop::collection::vec(
                (micros(0, MAX_UNTIL_MS * 1000), action(nodes))
                    .prop_map(|(at_us, action)| TimedAction { at_us, action }),
                0..24,
            ),
            prop::option::of(micros(0, MAX_RANGE_US)),
        )
            .prop_map(
                move |(seed, until_us, config, events, liveness_us)| Scenario {
                    seed,
                    nodes,
                    until_us,
                    config,
                    events,
                    liveness_us,
                    system: Default::default(),
                },
            )
    })
}

fn scenario_and_position() -> impl Strategy<Value = (Scenario, Option<Micros>)> {
    scenario().prop_flat_map(|s| {
        let end = s.until_us + s.liveness_us.unwrap_or(0);
        (Just(s), prop::option::of(micros(0, end)))
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(2000))]

    #[test]
    fn valid_scenarios_round_trip((s, position) in scenario_and_position()) {
        let link = encode(&s, position);
        prop_assert!(link.len() <= MAX_LINK_LEN);
        // Only characters a URL fragment takes as they are.
        prop_assert!(
            link.bytes().all(|b| b.is_ascii_alphanumeric() || b"-._%&=,:".contains(&b)),
            "{}", link
        );
        let back = decode(&link);
        prop_assert_eq!(
            back,
            Ok(Link { scenario: s.clone(), position_us: position }),
            "link: {}", link
        );
        prop_assert_eq!(decode(&format!("#{link}")).map(|l| l.scenario), Ok(s.clone()));
        // The scenario the link gives writes the same link again.
        prop_assert_eq!(encode(&s, position), link);
    }
}

/// `A` is `max_entries_per_message`: in `c` only when not the default (64), and in `set`; both
/// read back to the same scenario.
#[test]
fn max_entries_per_message_letter_a() {
    let mut s = Scenario {
        config: SimConfig {
            max_entries_per_message: 1,
            ..SimConfig::default()
        },
        ..Scenario::default()
    };
    s.events.push(at(
        10.0,
        Action::Set(ConfigPatch {
            max_entries_per_message: Some(64),
            ..ConfigPatch::default()
        }),
    ));
    let link = encode(&s, None);
    assert_eq!(link, "v=1&seed=1&n=5&c=A1&e=10sA64&u=5000");
    assert_eq!(decode(&link).map(|l| l.scenario), Ok(s));
    // At its default it is left out of `c`.
    let d = Scenario::default();
    assert_eq!(encode(&d, None), "v=1&seed=1&n=5&u=5000");
    assert_eq!(
        decode("v=1&seed=1&n=5&c=A64&u=5000").map(|l| l.scenario),
        Ok(d)
    );
}

/// A run of another system carries `y=` (the system and its settings, escaped JSON) and reads
/// back equal; a Raft link has no `y`; a bad `y` gets a message naming the field.
#[test]
fn other_systems_travel_in_the_y_field() {
    for name in ["quorum-lww-skew.json", "lease-pause.json"] {
        let path = format!("{}/../../examples/{name}", env!("CARGO_MANIFEST_DIR"));
        let s = Scenario::parse(&std::fs::read_to_string(path).unwrap()).unwrap();
        let link = encode(&s, None);
        assert!(link.contains("&y=%7B%22"), "{link}");
        assert_eq!(decode(&link).unwrap().scenario, s, "{name}");
    }
    assert!(!encode(&Scenario::default(), None).contains("&y="));
    let e = decode("v=1&seed=1&n=4&y=%7B%22system%22%3A%22paxos%22%7D&u=100").unwrap_err();
    assert!(
        e.to_string()
            .contains("system: expected one of \"raft\", \"quorum\", \"lease\""),
        "{e}"
    );
    let e = decode("v=1&seed=1&n=4&y=%7B%22colour%22%3A1%7D&u=100").unwrap_err();
    assert!(e.to_string().contains("unknown member \"colour\""), "{e}");
    let e = decode("v=1&seed=1&n=4&y=nope&u=100").unwrap_err();
    assert!(e.to_string().contains("not valid JSON"), "{e}");
}
