//! Every trace kind, message type and field the core produces is documented in
//! docs/trace-format.md (its section "Leaderless quorums").

mod common;

use common::*;
use raftlab_quorum::*;
use std::collections::BTreeSet;

const TRACE_FORMAT: &str = include_str!("../../../docs/trace-format.md");

/// The section of docs/trace-format.md about this system: from its heading to the next
/// system's.
fn doc() -> &'static str {
    let start = TRACE_FORMAT
        .find("#### Leaderless quorums")
        .expect("docs/trace-format.md has a section on leaderless quorums");
    let rest = &TRACE_FORMAT[start..];
    &rest[..rest[4..].find("\n#### ").map_or(rest.len(), |i| i + 4)]
}

/// The part of the section about `kind`: from its bold heading to the next one.
fn section(kind: &str) -> &'static str {
    let head = format!("**`{kind}`**");
    let doc = doc();
    let start = doc
        .find(&head)
        .unwrap_or_else(|| panic!("{kind} is not in docs/trace-format.md"));
    let rest = &doc[start + head.len()..];
    &rest[..rest.find("**`").unwrap_or(rest.len())]
}

/// A run that goes through every kind: sloppy quorum with hints, timeouts, blocking and
/// asynchronous read repair, anti-entropy, an LWW write lost to a newer one.
fn busy_run() -> Vec<Net> {
    let mut nets = Vec::new();
    for read_repair in [ReadRepair::Blocking, ReadRepair::Async] {
        let cfg = Config {
            replicas: 3,
            sloppy: true,
            anti_entropy_ms: 50,
            read_repair,
            ..Config::default()
        };
        let mut net = Net::new(5, cfg);
        let p = net.node(1).preference_list("k");
        net.write(p[0], 1, "k", "a");
        net.drop_where(|m| m.to == p[1]);
        net.deliver_all();
        net.write(p[0], 2, "k", "b");
        net.drop_where(|_| true);
        net.advance(100_000);
        net.write(p[0], 3, "k", "c");
        net.deliver_all();
        net.skew[p[2] as usize - 1] = -1_000_000;
        net.write(p[2], 4, "k", "old");
        net.deliver_all();
        net.read(p[1], 5, "k");
        net.deliver_all();
        for _ in 0..5 {
            net.advance(50_000);
            net.deliver_all();
        }
        nets.push(net);
    }
    nets
}

#[test]
fn every_event_kind_and_field_is_documented() {
    let mut kinds = BTreeSet::new();
    for net in busy_run() {
        for (_, e) in &net.events {
            let doc = section(e.kind());
            for (field, _) in e.fields() {
                assert!(doc.contains(&format!("`{field}`")), "{} {field}", e.kind());
            }
            kinds.insert(e.kind());
        }
    }
    assert_eq!(kinds.len(), 13, "kinds seen: {kinds:?}");
}

#[test]
fn every_message_type_and_field_is_documented() {
    let mut types = BTreeSet::new();
    for net in busy_run() {
        for m in &net.sent {
            let head = format!("| `{}` |", m.body.type_name());
            let row = doc()
                .lines()
                .find(|l| l.starts_with(&head))
                .unwrap_or_else(|| panic!("{head} is not in docs/trace-format.md"));
            let fields = m.body.fields();
            assert!(!fields.is_empty(), "{head}");
            for (field, _) in fields {
                assert!(row.contains(&format!("`{field}`")), "{head} {field}");
            }
            types.insert(m.body.type_name());
        }
    }
    assert_eq!(types.len(), 6, "{types:?}");
}

#[test]
fn field_values_have_the_documented_forms() {
    let v = Version::Clock(vec![(1, 2), (3, 1)]);
    assert_eq!(v.text(), "[S1:2,S3:1]");
    let e = Event::WriteIgnored {
        key: "x".into(),
        value: "2".into(),
        version: Version::Stamp { n: 60_000, node: 2 },
        kept: vec![Version::Stamp {
            n: 100_000,
            node: 1,
        }],
        from: 2,
        via: Via::Client,
    };
    assert_eq!(e.kind(), "quorum_write_ignored");
    assert_eq!(
        e.fields(),
        vec![
            ("key", Value::Str("x".into())),
            ("value", Value::Str("2".into())),
            ("version", Value::Str("60000@S2".into())),
            ("kept", Value::List(vec![Value::Str("100000@S1".into())])),
            ("from", Value::U64(2)),
            ("via", Value::Str("client".into())),
        ]
    );
    let read = Event::ReadDone {
        request: 4,
        key: "x".into(),
        values: vec![("a".into(), v)],
    };
    assert_eq!(
        read.fields()[2],
        (
            "values",
            Value::List(vec![Value::List(vec![
                Value::Str("a".into()),
                Value::Str("[S1:2,S3:1]".into())
            ])])
        )
    );
    let phases = [Phase::Read, Phase::Write, Phase::WriteBack].map(Phase::as_str);
    assert_eq!(phases, ["read", "write", "write_back"]);
    let vias = [Via::Client, Via::Repair, Via::Handoff, Via::Sync].map(Via::as_str);
    assert_eq!(vias, ["client", "repair", "handoff", "sync"]);
    let ack = Body::WriteAck {
        op: 3,
        key: "x".into(),
    };
    assert_eq!(ack.type_name(), "WriteAck");
    assert_eq!(
        ack.fields(),
        vec![("op", Value::U64(3)), ("key", Value::Str("x".into()))]
    );
}
