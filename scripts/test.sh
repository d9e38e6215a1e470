#!/usr/bin/env bash
# Sets up what is needed and runs every test of raftlab (the README's test command).
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh rust
export PATH="$HOME/.cargo/bin:$PATH"

step() { printf '\n== %s\n' "$*"; }

step "format and lints"
cargo fmt --all -- --check
cargo clippy --workspace --all-targets -- -D warnings
# The page's browser-only modules compile for wasm32 only: lint them there too.
cargo clippy --target wasm32-unknown-unknown -p raftlab-web -- -D warnings

step "Rust tests (core paper tests, simulator, checker, parser, CLI, randomized campaigns)"
cargo test --workspace

step "release build of the CLI"
cargo build --release -p raftlab-sim
raftlab=target/release/raftlab

step "lessons: every lesson's moments, facts and tasks hold (raftlab lesson check)"
# Every lesson file, and lessons/index.json (their list) against them.
"$raftlab" lesson check lessons/*.json

step "wasm and native give byte-identical traces"
cargo build -p raftlab-trace-wasm --target wasm32-unknown-unknown --profile wasm
mkdir -p target/wasm-check
for seed in 1 2 3 4 5 6 7 8; do
  "$raftlab" campaign "$seed" > "target/wasm-check/campaign-$seed.json"
  "$raftlab" campaign "$seed" --all-features > "target/wasm-check/campaign-all-$seed.json"
done
node tests/wasm-determinism.mjs target/wasm32-unknown-unknown/wasm/raftlab_trace_wasm.wasm \
  "$raftlab" examples/*.json target/wasm-check/campaign-*.json

step "fuzz: 10,000 random fault campaigns over 3, 5 and 7 nodes"
"$raftlab" fuzz --seeds 10000 --out target/fuzz-failures
step "fuzz: 10,000 more with every optional feature on (PreVote, CheckQuorum, transfers, reads, snapshots, membership changes, pauses)"
"$raftlab" fuzz --seeds 10000 --from-seed 10000 --all-features --out target/fuzz-failures
step "fuzz: 10,000 with flexible quorums that intersect (Q1 + Q2 > N, 2 Q1 > N), and pauses"
"$raftlab" fuzz --seeds 10000 --from-seed 20000 --flexible --out target/fuzz-failures
# ... and with reads (ReadIndex and leases confirm with max(N - Q1 + 1, Q2)) and CheckQuorum.
"$raftlab" fuzz --seeds 2000 --from-seed 30000 --flexible --reads --check-quorum --out target/fuzz-failures
step "fuzz: flexible quorums that need not intersect (Q1 + Q2 <= N) must be caught"
disjoint_status=0
"$raftlab" fuzz --seeds 200 --flexible disjoint --out target/fuzz-disjoint > target/fuzz-disjoint.txt || disjoint_status=$?
head -3 target/fuzz-disjoint.txt
if [ "$disjoint_status" != 1 ] || ! grep -q "failing campaign" target/fuzz-disjoint.txt; then
  echo "expected the checker to catch violations with non-intersecting quorums (exit $disjoint_status)" >&2
  exit 1
fi

step "fuzz: leaderless quorums and lease election, safe settings (no campaign may fail)"
"$raftlab" fuzz --seeds 10000 --until-ms 3000 --system quorum --out target/fuzz-failures
"$raftlab" fuzz --seeds 10000 --system lease --out target/fuzz-failures
step "fuzz: each unsafe setting must be caught on its own (quorums: read repair off or async; LWW with skewed clocks; lease: no fencing with pauses)"
# Each run has one flaw, all else safe, and must find the violation that flaw allows.
# Lease campaigns need their full length for pauses to outlast leases.
for run in "repair:linearizability:quorum --seeds 300 --until-ms 5000 --unsafe repair" \
           "skew:acked_write_lost:quorum --seeds 200 --until-ms 2000 --unsafe skew" \
           "lease:two_leaders_act_at_once:lease --seeds 300 --unsafe"; do
  name=${run%%:*}; rest=${run#*:}; property=${rest%%:*}; args=${rest#*:}
  unsafe_status=0
  # shellcheck disable=SC2086
  "$raftlab" fuzz --system $args --out "target/fuzz-unsafe-$name" > "target/fuzz-unsafe-$name.txt" || unsafe_status=$?
  head -2 "target/fuzz-unsafe-$name.txt"
  if [ "$unsafe_status" != 1 ] || ! grep -q "failing campaign(s) (.*$property" "target/fuzz-unsafe-$name.txt"; then
    echo "expected the checker to catch $property with --system $args (exit $unsafe_status)" >&2
    exit 1
  fi
done

step "benchmark (figures only; not a pass/fail test)"
"$raftlab" bench --sim-seconds 300

step "set up the page's tools (Trunk, wasm-bindgen, wasm-opt) and the browser (Chromium, playwright-core)"
bash scripts/setup.sh web
bash scripts/setup.sh browser
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

step "build the page (trunk build --release --offline)"
source scripts/wasm-env.sh
trunk build --release --offline

step "end-to-end tests of the page in headless Chromium (screenshots in target/screenshots/)"
node --test tests/e2e/run.mjs

step "page performance (figures only; not a pass/fail test)"
node scripts/perf.mjs

printf '\nall tests passed\n'
