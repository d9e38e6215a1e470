//! What the page draws for the systems other than Raft: each server's role and its state in
//! short lines (native and tested).

use raftlab_raft::NodeId;
use raftlab_sim::json::{Map, Value as Json};
use raftlab_sim::system::System;
use raftlab_sim::Simulation;

/// Server `id`'s role as the page names it: `replica` (quorum), `store`, `candidate` or
/// `resource` (lease), the Raft role otherwise; `crashed` when it is down.
pub fn role(sim: &Simulation, id: NodeId) -> &'static str {
    if !sim.is_alive(id) {
        return "crashed";
    }
    let k = (id as usize).wrapping_sub(1);
    match sim.system() {
        System::Quorum => "replica",
        System::Lease => sim
            .lease_nodes()
            .get(k)
            .map_or("crashed", |n| n.role().as_str()),
        System::Raft => sim.nodes().get(k).map_or("crashed", |n| n.role().as_str()),
    }
}

/// The settings and server count a new run of `system` starts with from the page: quorum,
/// 3 replicas with W=2 R=2, last write wins, no read repair; lease, 4 servers (store, two
/// candidates, resource), fencing off, the store's revisions from 32.
pub fn defaults(system: System) -> (raftlab_sim::system::SystemConfig, u32) {
    use raftlab_sim::system::SystemConfig as C;
    match system {
        System::Raft => (C::Raft, 3),
        System::Quorum => (C::Quorum(raftlab_quorum::Config::default()), 3),
        System::Lease => (
            C::Lease(raftlab_lease::Config {
                fencing: false,
                first_revision: 32,
                ..Default::default()
            }),
            4,
        ),
    }
}

/// Milliseconds, for the picture (`1234.5 ms` → `1234.5`).
fn ms(us: u64) -> String {
    crate::geometry::ms1(us)
}

/// A replica's values, compact: `x=2 · 530@S2` per key (siblings joined by `|`).
pub fn replica_values(sim: &Simulation, id: NodeId) -> Vec<String> {
    let Some(node) = sim.quorum_nodes().get((id as usize).wrapping_sub(1)) else {
        return Vec::new();
    };
    node.store()
        .iter()
        .map(|(key, sibs)| {
            let v: Vec<String> = sibs
                .iter()
                .map(|(v, ver)| format!("{key}={v} · {}", ver.text()))
                .collect();
            v.join(" | ")
        })
        .collect()
}

/// A coordinator's requests in flight: `write x: acks 1/2`.
pub fn replica_pending(sim: &Simulation, id: NodeId) -> Vec<String> {
    let Some(node) = sim.quorum_nodes().get((id as usize).wrapping_sub(1)) else {
        return Vec::new();
    };
    node.pending()
        .iter()
        .map(|p| {
            format!(
                "{} {}: acks {}/{}",
                p.phase.as_str().replace('_', " "),
                p.key,
                p.acks.len(),
                p.needed
            )
        })
        .collect()
}

/// How long the store's record lasts after its last renewal: the session TTL in Consul's
/// session mode (the store deletes the record then), else the lease duration (Kubernetes
/// mode: the store keeps the record, and candidates may take it once it is this old).
fn record_lifetime(sim: &Simulation) -> raftlab_raft::Micros {
    match sim.system_config() {
        raftlab_sim::system::SystemConfig::Lease(c) if c.session_ttl_us > 0 => c.session_ttl_us,
        raftlab_sim::system::SystemConfig::Lease(c) => c.lease_duration_us,
        _ => 0,
    }
}

/// The lease store's record: `holder S2 · token 3 · expires 1500 ms` (on the store's clock).
pub fn store_line(sim: &Simulation) -> String {
    let Some(store) = sim.lease_nodes().first() else {
        return String::new();
    };
    let duration = record_lifetime(sim);
    match store.store_record() {
        Some(r) => format!(
            "holder S{} · token {} · expires {} ms",
            r.holder,
            r.token,
            ms(r.renewed_at + duration)
        ),
        None => "no holder".to_string(),
    }
}

/// What lease candidate `id` believes: `leads · token 3 · until 1500 ms` or `S2 leads ·
/// token 3 · until ...` (on its own clock).
pub fn belief_line(sim: &Simulation, id: NodeId) -> String {
    let Some(b) = sim
        .lease_nodes()
        .get((id as usize).wrapping_sub(1))
        .and_then(|n| n.belief())
    else {
        return String::new();
    };
    let who = match (b.leading, b.holder) {
        (true, _) => "I lead".to_string(),
        (false, Some(h)) => format!("S{h} leads"),
        (false, None) => "nobody leads".to_string(),
    };
    let token = b.token.map_or(String::new(), |t| format!(" · token {t}"));
    let until = b
        .until
        .map_or(String::new(), |u| format!(" · until {} ms", ms(u)));
    format!("{who}{token}{until}")
}

/// The resource: `highest token 3 · 5 writes`.
pub fn resource_line(sim: &Simulation, id: NodeId) -> String {
    let (highest, accepted) = sim
        .lease_nodes()
        .get((id as usize).wrapping_sub(1))
        .and_then(|n| n.resource_state())
        .unwrap_or((0, 0));
    format!("highest token {highest} · {accepted} writes")
}

/// `a · b · c` in lines of at most 22 characters, cut at the dots (a picture's line must be
/// short to stay readable from the back of a room).
fn wrap(text: &str) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for part in text.split(" · ") {
        match out.last_mut() {
            Some(line) if line.chars().count() + 3 + part.chars().count() <= 22 => {
                line.push_str(" · ");
                line.push_str(part);
            }
            _ => out.push(part.to_string()),
        }
    }
    out
}

/// Server `id`'s state in short lines for the picture (another system than Raft).
pub fn lines(sim: &Simulation, id: NodeId) -> Vec<String> {
    match (sim.system(), role(sim, id)) {
        (_, "crashed") => vec!["down".to_string()],
        (System::Quorum, _) => {
            let mut v = replica_values(sim, id);
            if v.is_empty() {
                v.push("empty".to_string());
            }
            v.extend(replica_pending(sim, id));
            v
        }
        (System::Lease, "store") => wrap(&store_line(sim)),
        (System::Lease, "candidate") => wrap(&belief_line(sim, id)),
        (System::Lease, "resource") => wrap(&resource_line(sim, id)),
        _ => Vec::new(),
    }
}

/// The fields `raftlab.state()` adds for the system that runs (`docs/embedding.md`):
/// `system` always; for quorum `replicas`; for lease `store`, `candidates` and `resource`.
pub fn state_fields(sim: &Simulation) -> Vec<(&'static str, Json)> {
    let id_or_null = |v: Option<NodeId>| v.map_or(Json::Null, Json::from);
    let obj = |pairs: Vec<(&str, Json)>| {
        let mut map = Map::new();
        for (k, v) in pairs {
            map.insert(k.to_string(), v);
        }
        Json::Object(map)
    };
    let mut out = vec![("system", Json::from(sim.system().as_str()))];
    match sim.system() {
        System::Raft => {}
        System::Quorum => {
            let replicas = sim
                .quorum_nodes()
                .iter()
                .map(|n| {
                    let id = n.id();
                    let pending = n
                        .pending()
                        .iter()
                        .map(|p| {
                            obj(vec![
                                ("request", Json::from(p.request)),
                                ("phase", Json::from(p.phase.as_str())),
                                ("key", Json::from(p.key.as_str())),
                                ("acks", Json::from(p.acks.len() as u64)),
                                ("needed", Json::from(p.needed as u64)),
                            ])
                        })
                        .collect();
                    obj(vec![
                        ("node", Json::from(id)),
                        ("alive", Json::Bool(sim.is_alive(id))),
                        ("paused", Json::Bool(sim.paused_until(id).is_some())),
                        ("store", raftlab_sim::system::store_json(n)),
                        ("pending", Json::Array(pending)),
                    ])
                })
                .collect();
            out.push(("replicas", Json::Array(replicas)));
        }
        System::Lease => {
            let nodes = sim.lease_nodes();
            let duration = record_lifetime(sim);
            let store = match nodes.first().and_then(|s| s.store_record()) {
                Some(r) => obj(vec![
                    ("holder", Json::from(r.holder)),
                    ("token", Json::from(r.token)),
                    ("mod_index", Json::from(r.mod_index)),
                    ("acquired_ms", Json::from(r.acquired_at as f64 / 1000.0)),
                    ("renewed_ms", Json::from(r.renewed_at as f64 / 1000.0)),
                    (
                        "expires_ms",
                        Json::from((r.renewed_at + duration) as f64 / 1000.0),
                    ),
                ]),
                None => obj(vec![("holder", Json::Null)]),
            };
            let candidates = nodes
                .iter()
                .filter_map(|n| Some((n.id(), n.belief()?)))
                .map(|(id, b)| {
                    obj(vec![
                        ("node", Json::from(id)),
                        ("alive", Json::Bool(sim.is_alive(id))),
                        (
                            "believes",
                            obj(vec![
                                ("holder", id_or_null(b.holder)),
                                ("token", b.token.map_or(Json::Null, Json::from)),
                                (
                                    "until",
                                    b.until
                                        .map_or(Json::Null, |u| Json::from(u as f64 / 1000.0)),
                                ),
                                ("leading", Json::Bool(b.leading)),
                            ]),
                        ),
                    ])
                })
                .collect();
            let (highest, accepted) = nodes
                .iter()
                .find_map(|n| n.resource_state())
                .unwrap_or((0, 0));
            out.push(("store", store));
            out.push(("candidates", Json::Array(candidates)));
            out.push((
                "resource",
                obj(vec![
                    ("highest", Json::from(highest)),
                    ("accepted", Json::from(accepted)),
                ]),
            ));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Model;
    use raftlab_sim::scenario::Scenario;

    fn model(path: &str) -> Model {
        let text = std::fs::read_to_string(path).unwrap();
        Model::new(Scenario::parse(&text).unwrap())
    }

    #[test]
    fn quorum_replicas_show_values_and_versions() {
        let mut m = model("examples/quorum-lww-skew.json");
        m.run_for(4_000_000);
        // Time travel and narration must not panic either.
        m.seek(1_000_000);
        m.step_back();
        let _ = m.role_name(1);
        m.run_for(4_000_000);
        let sim = m.sim();
        assert_eq!(role(sim, 1), "replica");
        let all: Vec<String> = (1..=sim.node_count() as NodeId)
            .flat_map(|id| lines(sim, id))
            .collect();
        assert!(
            all.iter().any(|l| l.starts_with("x=") && l.contains("@S")),
            "{all:?}"
        );
        // The Safety section states the quorum setting, and that it is not a guarantee.
        let setting = m.quorum_setting().expect("a quorum run");
        assert!(setting.starts_with("R + W > N (2 + 2 > 3)"), "{setting}");
        assert!(
            setting.ends_with("the checker judges what the run does."),
            "{setting}"
        );
        assert_eq!(model("examples/paused-leader.json").quorum_setting(), None);
    }

    #[test]
    fn a_coordinator_shows_its_requests_with_their_ack_counts() {
        // quorum-lww-skew: S1 coordinates x=1 at 500 ms, W = 2. Just after, S1 has stored it
        // (its own ack) and waits for one more; once a second replica acknowledges, the
        // request is answered and gone.
        let mut m = model("examples/quorum-lww-skew.json");
        m.run_for(500_001);
        let sim = m.sim();
        assert_eq!(replica_pending(sim, 1), ["write x: acks 1/2"]);
        assert!(replica_pending(sim, 2).is_empty() && replica_pending(sim, 3).is_empty());
        assert!(
            lines(sim, 1).iter().any(|l| l == "write x: acks 1/2"),
            "drawn: {:?}",
            lines(sim, 1)
        );
        let fields = state_fields(sim);
        let replicas = &fields.iter().find(|(k, _)| *k == "replicas").unwrap().1;
        let pending = replicas.as_array().unwrap()[0].get("pending").unwrap();
        let first = &pending.as_array().unwrap()[0];
        assert_eq!(first.get("phase").and_then(|v| v.as_str()), Some("write"));
        assert_eq!(first.get("key").and_then(|v| v.as_str()), Some("x"));
        assert_eq!(first.get("acks").and_then(|v| v.as_f64()), Some(1.0));
        assert_eq!(first.get("needed").and_then(|v| v.as_f64()), Some(2.0));
        m.run_for(100_000);
        assert!(replica_pending(m.sim(), 1).is_empty(), "answered by 600 ms");
    }

    #[test]
    fn long_lines_are_cut_at_the_dots() {
        assert_eq!(
            wrap("holder S3 · token 34 · expires 7313.0 ms"),
            ["holder S3 · token 34", "expires 7313.0 ms"]
        );
        assert_eq!(wrap("no holder"), ["no holder"]);
    }

    #[test]
    fn a_new_run_of_each_system_starts_and_resets_as_that_system() {
        for system in System::ALL {
            let (config, nodes) = defaults(system);
            let mut m = Model::new(m_scenario(config, nodes));
            m.run_for(2_000_000);
            assert_eq!(m.sim().system(), system);
            assert_eq!(m.sim().node_count(), nodes as usize);
            m.restart(7, nodes);
            assert_eq!(m.sim().system(), system, "Reset keeps the system");
            assert!(!lines(m.sim(), 1).is_empty() || system == System::Raft);
        }
    }

    fn m_scenario(system: raftlab_sim::system::SystemConfig, nodes: u32) -> Scenario {
        Model::with_seed(1, nodes, Default::default()).scenario_with(system, nodes)
    }

    #[test]
    fn the_records_expiry_follows_the_mode() {
        // Kubernetes mode: renewed + lease duration; Consul's session mode: renewed + TTL
        // (the moment the store deletes the record).
        for ttl in [0, 700_000] {
            let config = raftlab_lease::Config {
                session_ttl_us: ttl,
                ..Default::default()
            };
            let lease = raftlab_sim::system::SystemConfig::Lease(config);
            let mut m = Model::new(m_scenario(lease, 4));
            m.run_for(3_000_000);
            let sim = m.sim();
            let r = sim.lease_nodes()[0]
                .store_record()
                .expect("a holder by 3 s");
            let lifetime = if ttl > 0 {
                ttl
            } else {
                config.lease_duration_us
            };
            let expires = ms(r.renewed_at + lifetime);
            assert!(
                store_line(sim).ends_with(&format!("expires {expires} ms")),
                "{}",
                store_line(sim)
            );
            let fields = state_fields(sim);
            let store = &fields.iter().find(|(k, _)| *k == "store").unwrap().1;
            assert_eq!(
                store.get("expires_ms").and_then(|v| v.as_f64()),
                Some((r.renewed_at + lifetime) as f64 / 1000.0)
            );
        }
    }

    #[test]
    fn lease_roles_and_beliefs() {
        let mut m = model("examples/lease-pause.json");
        m.run_for(4_000_000);
        // Time travel and narration must not panic either.
        m.seek(1_000_000);
        m.step_back();
        let _ = m.role_name(1);
        m.run_for(5_000_000);
        let sim = m.sim();
        let n = sim.node_count() as NodeId;
        assert_eq!(role(sim, 1), "store");
        assert_eq!(role(sim, 2), "candidate");
        assert_eq!(role(sim, n), "resource");
        assert!(
            store_line(sim).starts_with("holder S"),
            "{}",
            store_line(sim)
        );
        assert!(resource_line(sim, n).contains("writes"));
        assert!(!belief_line(sim, 2).is_empty());
        // The Safety section lists the lease properties, the stale write found broken.
        let safety = m.safety();
        let names: Vec<&str> = safety.iter().map(|(p, _)| p.name()).collect();
        assert!(names.contains(&"stale_lease_write_accepted"), "{names:?}");
        assert!(safety.iter().any(|(_, d)| d.is_some()), "{safety:?}");
        let fields = state_fields(sim);
        assert_eq!(fields[0].1.to_string(), "\"lease\"");
        let names: Vec<&str> = fields.iter().map(|f| f.0).collect();
        assert_eq!(names, ["system", "store", "candidates", "resource"]);
    }
}
