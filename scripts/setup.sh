#!/usr/bin/env bash
# Installs what building and testing raftlab needs, on a fresh machine (see README.md).
# Idempotent: what is already there at the right version is kept.
#   scripts/setup.sh rust   the wasm target only (enough for the Rust tests)
#   scripts/setup.sh web    also Trunk, wasm-bindgen-cli, wasm-opt (npm binaryen)
#   scripts/setup.sh browser  headless Chromium (Debian's chromium, chromium-driver) and
#                           npm playwright-core, for the page's end-to-end tests and perf script
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
  # The standard library's source, to build it with the page for a smaller wasm
  # (scripts/wasm-env.sh). Optional: without it the page builds the plain way.
  if ! rustup component list --installed 2>/dev/null | grep -qx 'rust-src'; then
    echo "setup: adding the rust-src component (a smaller wasm; optional)"
    rustup component add rust-src || echo "setup: rust-src is unavailable: the page's wasm is built the plain way (bigger)"
  fi
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

# Debian's Chromium (a test tool's own browser download does not work here, see README.md)
# and playwright-core from npm to drive it.
need_browser() {
  if [ ! -x /usr/bin/chromium ]; then
    echo "setup: installing Debian's chromium and chromium-driver"
    local sudo=""
    if [ "$(id -u)" -ne 0 ]; then sudo="sudo"; fi
    $sudo apt-get update
    $sudo env DEBIAN_FRONTEND=noninteractive apt-get install -y chromium chromium-driver
  fi
  if [ ! -f node_modules/playwright-core/package.json ]; then
    echo "setup: installing npm packages (playwright-core)"
    npm ci --no-audit --no-fund
  fi
}

need_wasm_target
case "${1:-rust}" in
  rust) ;;
  web) need_web_tools ;;
  browser) need_browser ;;
  *) echo "usage: scripts/setup.sh [rust|web|browser]" >&2; exit 2 ;;
esac
