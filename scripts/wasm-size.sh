#!/usr/bin/env bash
# Measures the page's wasm quickly, without Trunk: builds raftlab-web with the `wasm` profile,
# runs wasm-bindgen and wasm-opt exactly as Trunk does (index.html: -Oz and the same
# --enable-* flags), and prints the sizes of the optimized wasm and of the JS glue:
# raw bytes, gzip -9 bytes and brotli (quality 11) bytes.
#
#   bash scripts/wasm-size.sh            # build, then measure
#   NO_BUILD=1 bash scripts/wasm-size.sh # measure the last build only
#   OUT=/tmp/x bash scripts/wasm-size.sh # where the bindgen output goes (default /tmp/wasm-size)
#   WASM_OPT_FLAGS="-Oz --converge" ...  # try other wasm-opt flags (default: -Oz)
#
# Needs: the wasm32 target, wasm-bindgen on PATH (the version pinned in Cargo.toml),
# node_modules/.bin/wasm-opt (npm binaryen) and node. Use `twiggy top -n 50
# target/wasm32-unknown-unknown/wasm/raftlab-web.wasm` to see what is big (names are there
# before wasm-bindgen and wasm-opt).
set -euo pipefail
cd "$(dirname "$0")/.."
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
OUT=${OUT:-/tmp/wasm-size}
FLAGS=${WASM_OPT_FLAGS:--Oz}
# The same build as the page's (scripts/wasm-env.sh).
source scripts/wasm-env.sh >/dev/null
if [ -z "${NO_BUILD:-}" ]; then
  cargo build -q -p raftlab-web --target wasm32-unknown-unknown --profile wasm
fi
rm -rf "$OUT" && mkdir -p "$OUT"
wasm-bindgen --target web --out-dir "$OUT" target/wasm32-unknown-unknown/wasm/raftlab-web.wasm
# shellcheck disable=SC2086
wasm-opt $FLAGS --enable-bulk-memory --enable-nontrapping-float-to-int --enable-sign-ext \
  --enable-mutable-globals "$OUT/raftlab-web_bg.wasm" -o "$OUT/opt.wasm"
node -e '
const z = require("zlib"), fs = require("fs");
const row = (name, f) => {
  const b = fs.readFileSync(f);
  // gzip -9 as the gzip command gives it (zlib level 9 differs from it by a few bytes).
  let g;
  try { g = Number(require("child_process").execSync("gzip -9c " + JSON.stringify(f) + " | wc -c")); }
  catch { g = z.gzipSync(b, { level: 9 }).length; }
  const br = z.brotliCompressSync(b, { params: { [z.constants.BROTLI_PARAM_QUALITY]: 11 } }).length;
  console.log(name.padEnd(6), "raw", String(b.length).padStart(8), " gzip", String(g).padStart(7), " brotli", String(br).padStart(7));
};
row("wasm", process.argv[1] + "/opt.wasm");
row("glue", process.argv[1] + "/raftlab-web.js");
' "$OUT"
