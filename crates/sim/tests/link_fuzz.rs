//! No input makes the link reader or the scenario reader panic: a million inputs through
//! `link::decode` and through `Scenario::parse` each, from a seeded deterministic generator
//! that mutates valid links and valid scenario JSON (byte flips, truncations, insertions of
//! special characters, duplications, deletions) and makes random strings.
//!
//! Every input goes through both readers. Beyond not panicking: an error has a message, and
//! whatever is read writes back to the same thing (a link read back from its own encoding, a
//! scenario read back from its JSON and from its link).
//!
//! The work is split over four tests so that both cores of a small machine take part; the
//! count per test can be changed with `RAFTLAB_LINK_FUZZ` (inputs per test, default 250000).

use raftlab_sim::fuzz::{campaign, FuzzOptions};
use raftlab_sim::link::{decode, encode, MAX_LINK_LEN};
use raftlab_sim::Scenario;
use rand_core::{RngCore, SeedableRng};
use rand_pcg::Pcg32;

/// Inputs per test (four tests: a million in all).
fn count() -> u64 {
    std::env::var("RAFTLAB_LINK_FUZZ")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(250_000)
}

struct Dice(Pcg32);

impl Dice {
    fn below(&mut self, n: usize) -> usize {
        ((u64::from(self.0.next_u32()) * n as u64) >> 32) as usize
    }
    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

/// Pieces a link is made of, and things that break it.
const LINK_BITS: &[&str] = &[
    "&",
    "=",
    ",",
    ":",
    "%",
    "%4",
    "%C3",
    "%FF",
    "%%",
    "%G1",
    "%3A",
    "-",
    ".",
    "#",
    "v=",
    "v=1&",
    "v=2&",
    "seed=",
    "n=",
    "c=",
    "e=",
    "u=",
    "l=",
    "p=",
    "&e=1h",
    "&p=1",
    "L",
    "B",
    "B12",
    "E",
    "H",
    "D",
    "R",
    "C",
    "D0.5",
    "E1-1",
    "0",
    "1",
    "9",
    "00",
    "99999999999999999999",
    "18446744073709551615",
    ".001",
    ".0001",
    "1e-7",
    "1e999",
    "-",
    "-1",
    "c",
    "r",
    "t",
    "i",
    "p",
    "h",
    "x",
    "m",
    "w",
    "d",
    "s",
    "q",
    "w::",
    "wL:k:v",
    "p12-345",
    "x12",
    "é",
    "😀",
    " ",
    "\n",
    "\u{0}",
    "\u{7f}",
    "+",
    "~",
    "/",
    "?",
];

/// Pieces scenario JSON is made of, and things that break it.
const JSON_BITS: &[&str] = &[
    "{",
    "}",
    "[",
    "]",
    "\"",
    "\\",
    ",",
    ":",
    " ",
    "\n",
    "0",
    "1",
    "-",
    ".",
    "e",
    "E",
    "+",
    "null",
    "true",
    "false",
    "-0",
    "1e999",
    "1e-999",
    "0.0005",
    "4.5",
    "99999999999999999999",
    "18446744073709551616",
    "\"version\"",
    "\"seed\"",
    "\"nodes\"",
    "\"until_ms\"",
    "\"liveness_ms\"",
    "\"config\"",
    "\"events\"",
    "\"at_ms\"",
    "\"do\"",
    "\"node\"",
    "\"groups\"",
    "\"nodes\"",
    "\"key\"",
    "\"value\"",
    "\"crash\"",
    "\"partition\"",
    "\"client_write\"",
    "\"set\"",
    "\"heal\"",
    "\"cut\"",
    "\"leader\"",
    "\"bugs\"",
    "\"drop_rate\"",
    "\"election_timeout_ms\"",
    "\"é\"",
    "\"\\u0000\"",
    "\"\\ud800\"",
    "\\u12",
    "😀",
    "\u{0}",
    "[[1,2],[3]]",
    "[1,1]",
];

/// Valid links and valid scenario texts to mutate.
fn corpus() -> (Vec<String>, Vec<String>) {
    let mut links = vec![
        "v=1&seed=1&n=5&u=5000".to_string(),
        "v=1&seed=42&n=5&c=E200-400D0.05&e=312.5w:x:1,800w:y:hello,1000cL,1200p12-345,\
         1500w3:x:2,1600wL:y:3,1700iL,2000h,2100r1,2200.25t2,2300sD0.1,2500d:y,3000x12,\
         3200m12,3500w:name:raft%20lab,4000sL50-80R0.05,4200c3,4500r3,5000w2:k:v,6000h\
         &u=8000&p=3250.5"
            .to_string(),
        "v=1&seed=0&n=9&c=E1-3600000H1.001L0-0.01D1R0.30000000000000004C2000B12&e=0p9-153,\
         0.001w:%D0%BA%D0%BB:a%20b%2Cc,0.01d9:%F0%9F%98%80,86400000sE5-5H7L0-0D0R5e-324C1\
         &u=86400000&l=0&p=86400000"
            .to_string(),
    ];
    let mut texts: Vec<String> = [
        include_str!("../../../examples/basic.json"),
        include_str!("../../../examples/figure8-bug.json"),
        include_str!("../../../examples/minority-leader.json"),
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    for seed in 0..40 {
        let mut s = campaign(
            seed,
            &FuzzOptions {
                nodes: vec![1, 3, 5, 9],
                until_us: 3_000_000,
                ..FuzzOptions::default()
            },
        );
        s.events.truncate(4 + seed as usize % 20);
        if seed % 3 == 0 {
            s.config.bugs.commit_previous_term = true;
        }
        links.push(encode(&s, (seed % 2 == 0).then_some(seed * 12_345)));
        texts.push(if seed % 2 == 0 {
            s.to_pretty()
        } else {
            s.to_json().to_string()
        });
    }
    for l in &links {
        assert!(decode(l).is_ok(), "corpus link {l}");
    }
    for t in &texts {
        assert!(Scenario::parse(t).is_ok(), "corpus scenario {t}");
    }
    (links, texts)
}

/// One input: a mutated corpus element (1 to 4 mutations) or, sometimes, a random string.
fn input(dice: &mut Dice, corpus: &[String], bits: &[&str]) -> String {
    if dice.below(20) == 0 {
        let len = dice.below(60);
        let mut s = String::new();
        for _ in 0..len {
            if dice.below(2) == 0 {
                s.push_str(dice.pick(bits));
            } else {
                s.push(char::from(dice.below(128) as u8));
            }
        }
        return s;
    }
    let mut b = corpus[dice.below(corpus.len())].clone().into_bytes();
    for _ in 0..1 + dice.below(4) {
        let at = dice.below(b.len() + 1);
        match dice.below(6) {
            // Byte flip: a special piece's first byte, any ASCII, or any byte at all.
            0 if !b.is_empty() => {
                let k = dice.below(b.len());
                b[k] = match dice.below(3) {
                    0 => dice.pick(bits).as_bytes()[0],
                    1 => dice.below(128) as u8,
                    _ => dice.below(256) as u8,
                };
            }
            // Truncation: keep a prefix, or drop one.
            1 => {
                if dice.below(2) == 0 {
                    b.truncate(at);
                } else {
                    b.drain(..at);
                }
            }
            // Insertion of a special piece.
            2 | 3 => {
                let piece = dice.pick(bits).as_bytes().to_vec();
                b.splice(at..at, piece);
            }
            // Duplication of a slice somewhere else.
            4 => {
                let from = dice.below(b.len() + 1);
                let len = dice.below(b.len() - from + 1).min(200);
                let copy = b[from..from + len].to_vec();
                b.splice(at..at, copy);
            }
            // Deletion of a slice.
            _ => {
                let len = dice.below(b.len() - at + 1).min(40);
                b.drain(at..at + len);
            }
        }
    }
    String::from_utf8_lossy(&b).into_owned()
}

/// Runs `n` inputs through both readers.
fn fuzz(stream: u64, from_links: bool) {
    let (links, texts) = corpus();
    let (corpus, bits) = if from_links {
        (&links, LINK_BITS)
    } else {
        (&texts, JSON_BITS)
    };
    let mut dice = Dice(Pcg32::seed_from_u64(0x11_4B_F0_22 ^ stream));
    let (mut read_links, mut read_scenarios) = (0u64, 0u64);
    for _ in 0..count() {
        let text = input(&mut dice, corpus, bits);
        match decode(&text) {
            Ok(link) => {
                read_links += 1;
                let again = encode(&link.scenario, link.position_us);
                if again.len() <= MAX_LINK_LEN {
                    assert_eq!(decode(&again), Ok(link), "input {text:?}");
                }
            }
            Err(e) => assert!(
                e.message.starts_with("link: ") && e.message.len() > 6,
                "input {text:?}: {e:?}"
            ),
        }
        match Scenario::parse(&text) {
            Ok(s) => {
                read_scenarios += 1;
                assert_eq!(Scenario::parse(&s.to_pretty()).as_ref(), Ok(&s));
                let link = encode(&s, None);
                if link.len() <= MAX_LINK_LEN {
                    assert_eq!(decode(&link).map(|l| l.scenario).as_ref(), Ok(&s));
                }
            }
            Err(e) => assert!(!e.message.is_empty(), "input {text:?}"),
        }
    }
    println!(
        "stream {stream}: {} inputs, {read_links} read as links, {read_scenarios} as scenarios",
        count()
    );
    // The mutations keep some inputs valid, so the checks on valid input ran too.
    assert!(read_links + read_scenarios > 0);
}

#[test]
fn mutated_links_never_panic_1() {
    fuzz(1, true);
}

#[test]
fn mutated_links_never_panic_2() {
    fuzz(2, true);
}

#[test]
fn mutated_scenarios_never_panic_1() {
    fuzz(3, false);
}

#[test]
fn mutated_scenarios_never_panic_2() {
    fuzz(4, false);
}
