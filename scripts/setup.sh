#!/usr/bin/env bash
# Installs what building and testing raftlab needs, on a fresh machine (see README.md).
# Idempotent: what is already there at the right version is kept.
#   scripts/setup.sh rust   the wasm target only (enough for the Rust tests)
#   scripts/setup.sh web    also Trunk, wasm-bindgen-cli, wasm-opt (npm binaryen)
set -euo pipefail
cd "$(dirname "$0")/.."

TRUNK_VERSION=0.21.14
# Must equal the wasm-bindgen version pinned in Cargo.toml (and so in Cargo.lock).
WASM_BINDGEN_VERSION=$(grep -A1 '^name = "wasm-bindgen"$' Cargo.lock | sed -n 's/^version = "\(.*\)"/\1/p')
export PATH="$HOME/.cargo/bin:$PWD/node_modules/.bin:$PATH"

need_wasm_target() {
  if ! rustup target list --installed | grep -qx wasm32-unknown-unknown; then
    echo "setup: adding the wasm32-unknown-unknown target"
    rustup target add wasm32-unknown-unknown
  fi
}

need_web_tools() {
  if ! trunk --version 2>/dev/null | grep -q "$TRUNK_VERSION"; then
    echo "setup: installing trunk $TRUNK_VERSION (several minutes)"
    cargo install "trunk@$TRUNK_VERSION" --locked
  fi
  if ! wasm-bindgen --version 2>/dev/null | grep -q "$WASM_BINDGEN_VERSION"; then
    echo "setup: installing wasm-bindgen-cli $WASM_BINDGEN_VERSION (several minutes)"
    # Without --locked: the locked set asks for a crate version the registry does not serve.
    cargo install "wasm-bindgen-cli@$WASM_BINDGEN_VERSION" --force
  fi
  if [ ! -x node_modules/.bin/wasm-opt ]; then
    echo "setup: installing npm packages (binaryen's wasm-opt)"
    npm ci --no-audit --no-fund
  fi
}

need_wasm_target
case "${1:-rust}" in
  rust) ;;
  web) need_web_tools ;;
  *) echo "usage: scripts/setup.sh [rust|web]" >&2; exit 2 ;;
esac
