#!/usr/bin/env bash
# Sets up what is needed, builds the page and serves it on http://127.0.0.1:${PORT:-8080}/
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh web
# Headless Chromium pre-renders the first frame into index.html at build time
# (scripts/postbuild/prerender.mjs; without it the page still works, drawn by the wasm).
bash scripts/setup.sh browser
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"
source scripts/wasm-env.sh
port="${PORT:-8080}"
trunk build --release --offline
echo "raftlab is served at http://127.0.0.1:$port/ (Ctrl-C stops)"
exec trunk serve --release --offline --address 127.0.0.1 --port "$port" --no-autoreload
