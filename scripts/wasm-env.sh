# Sourced (not run) before building the page's wasm: `source scripts/wasm-env.sh`.
#
# Makes the page's wasm smaller by compiling Rust's standard library with the page, for size
# (the `wasm` profile: opt-level "z", LTO), and with panics that stop the wasm at once
# (`-Cpanic=immediate-abort`): no panic message formatting is linked in. Measured with
# `bash scripts/wasm-size.sh`: 385.4 KB gzip without this, 378.5 KB with the standard library
# rebuilt, 361.3 KB with immediate abort too (2026-12-06).
#
# Both are unstable Cargo/rustc features: RUSTC_BOOTSTRAP=1 lets the pinned stable toolchain
# use them, for these builds only (never for the native tests or the CLI). They need the
# `rust-src` component (scripts/setup.sh web adds it). Without it, this falls back to the
# plain build, which works the same, with panic messages, and is bigger.
#
# A panic then shows no message in the page: its crash report (src/panic.rs) still holds the
# seed, the scenario and the trace, and `raftlab run` on that scenario shows the message.
# RAFTLAB_PLAIN_WASM=1 turns this off.

raftlab_sysroot=$(rustc --print sysroot 2>/dev/null || true)
if [ -z "${RAFTLAB_PLAIN_WASM:-}" ] && [ -n "$raftlab_sysroot" ] \
  && [ -f "$raftlab_sysroot/lib/rustlib/src/rust/library/Cargo.lock" ]; then
  export RUSTC_BOOTSTRAP=1
  export CARGO_UNSTABLE_BUILD_STD=std,panic_abort
  # Replaces .cargo/config.toml's rustflags for wasm32 (an environment variable wins over
  # the file), so the getrandom backend is repeated here.
  export CARGO_TARGET_WASM32_UNKNOWN_UNKNOWN_RUSTFLAGS='--cfg getrandom_backend="wasm_js" -Zunstable-options -Cpanic=immediate-abort'
  echo "wasm-env: standard library built with the page, panics abort at once (smaller wasm)"
else
  echo "wasm-env: plain wasm build (no rust-src, or RAFTLAB_PLAIN_WASM set)"
fi
unset raftlab_sysroot
