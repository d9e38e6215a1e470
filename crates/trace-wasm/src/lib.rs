//! A bare WebAssembly module (no wasm-bindgen) exposing one function: run a scenario and
//! return its NDJSON trace. `tests/wasm-determinism.mjs` loads it in Node.js and compares the
//! trace byte for byte with `raftlab run --trace -` on the same scenario.
//!
//! Protocol: the host calls `alloc(len)`, writes the scenario JSON there, calls
//! `run(ptr, len)`, then reads `output_len()` bytes at `output_ptr()`: the trace, or
//! `error: ...` when the scenario is invalid.

use std::cell::RefCell;
use std::rc::Rc;

thread_local! {
    static OUTPUT: RefCell<Vec<u8>> = const { RefCell::new(Vec::new()) };
}

/// Runs `scenario` (JSON text) and returns its NDJSON trace, or `error: ...`.
pub fn trace_of(scenario: &str) -> String {
    match raftlab_sim::Scenario::parse(scenario) {
        Err(e) => format!("error: {e}"),
        Ok(s) => {
            let out = Rc::new(RefCell::new(String::new()));
            let sink = out.clone();
            raftlab_sim::run::run(
                &s,
                Some(Box::new(move |event| {
                    let mut text = sink.borrow_mut();
                    text.push_str(&event.to_json());
                    text.push('\n');
                })),
                false,
            );
            let text = out.borrow().clone();
            text
        }
    }
}

/// Reserves `len` bytes for the host to write the scenario into.
#[no_mangle]
pub extern "C" fn alloc(len: usize) -> *mut u8 {
    let mut buffer = vec![0u8; len];
    let ptr = buffer.as_mut_ptr();
    std::mem::forget(buffer);
    ptr
}

/// Runs the scenario of `len` bytes at `ptr` (from [`alloc`]; freed here).
///
/// # Safety
/// `ptr` and `len` must come from one call of [`alloc`].
#[no_mangle]
pub unsafe extern "C" fn run(ptr: *mut u8, len: usize) {
    // SAFETY: the host passes back exactly what `alloc` returned.
    let bytes = unsafe { Vec::from_raw_parts(ptr, len, len) };
    let text = String::from_utf8_lossy(&bytes).into_owned();
    let trace = trace_of(&text);
    OUTPUT.with(|o| *o.borrow_mut() = trace.into_bytes());
}

/// Where the last output starts.
#[no_mangle]
pub extern "C" fn output_ptr() -> *const u8 {
    OUTPUT.with(|o| o.borrow().as_ptr())
}

/// How long the last output is.
#[no_mangle]
pub extern "C" fn output_len() -> usize {
    OUTPUT.with(|o| o.borrow().len())
}
