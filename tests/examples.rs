//! Every scenario in `examples/` runs to its end: those without injected bugs break no
//! property; those with `config.bugs`, and those that show a misconfiguration or another
//! system's failure, are caught by the checker.

use raftlab_sim::run::run;
use raftlab_sim::Scenario;

#[test]
fn every_example_behaves_as_documented() {
    let dir = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("examples");
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .expect("examples/ exists")
        .map(|e| e.expect("readable entry").path())
        .filter(|p| p.extension().is_some_and(|x| x == "json"))
        .collect();
    files.sort();
    assert!(
        files.len() >= 3,
        "expected example scenarios in {}",
        dir.display()
    );
    for file in files {
        let text = std::fs::read_to_string(&file).expect("readable example");
        let scenario = Scenario::parse(&text)
            .unwrap_or_else(|e| panic!("{} does not parse: {e}", file.display()));
        let outcome = run(&scenario, None, false);
        let name = file.file_name().unwrap().to_str().unwrap();
        // Examples that show a misconfiguration or another system's failure, with the
        // property the checker must report first.
        let broken = match name {
            "flexible-split-brain.json" => Some("state_machine_safety"),
            "quorum-lww-skew.json" => Some("acked_write_lost"),
            "lease-pause.json" => Some("two_leaders_act_at_once"),
            "quorum-new-then-old.json"
            | "quorum-vector-siblings.json"
            | "quorum-sloppy-partition.json" => Some("linearizability"),
            "lease-slow-clock.json" | "lease-late-watch.json" => Some("two_leaders_act_at_once"),
            _ => None,
        };
        let buggy = scenario.config.bugs != Default::default();
        if buggy {
            assert!(
                !outcome.violations.is_empty(),
                "{} injects a bug but the checker found nothing",
                file.display()
            );
        } else if let Some(property) = broken {
            assert_eq!(
                outcome.violations.first().map(|v| v.property.name()),
                Some(property),
                "{}",
                file.display()
            );
        } else {
            assert!(
                outcome.violations.is_empty(),
                "{} broke {}",
                file.display(),
                outcome.violations[0]
            );
            // Raft examples end with a leader, except the one that shows a cluster left
            // unavailable (but safe) on purpose.
            let raft = scenario.system == Default::default();
            assert!(
                !raft || name == "flexible-two-nodes.json" || outcome.leader.is_some(),
                "{} ends without a leader",
                file.display()
            );
        }
    }
}
