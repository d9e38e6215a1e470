// Checks that the simulator compiled to WebAssembly gives byte-identical traces to the native
// CLI: for each scenario, `raftlab run FILE --trace -` (native) and the bare wasm module
// crates/trace-wasm (run in Node.js) must print the same NDJSON.
//
// usage: node tests/wasm-determinism.mjs WASM RAFTLAB SCENARIO.json...
import { readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';

const [wasmPath, raftlab, ...scenarios] = process.argv.slice(2);
if (!wasmPath || !raftlab || scenarios.length === 0) {
  console.error('usage: node tests/wasm-determinism.mjs WASM RAFTLAB SCENARIO.json...');
  process.exit(2);
}
const { instance } = await WebAssembly.instantiate(readFileSync(wasmPath), {});
const wasm = instance.exports;

function wasmTrace(text) {
  const bytes = new TextEncoder().encode(text);
  const ptr = wasm.alloc(bytes.length);
  new Uint8Array(wasm.memory.buffer, ptr, bytes.length).set(bytes);
  wasm.run(ptr, bytes.length);
  const out = new Uint8Array(wasm.memory.buffer, wasm.output_ptr(), wasm.output_len());
  return new TextDecoder().decode(out);
}

const sha = (s) => createHash('sha256').update(s).digest('hex').slice(0, 16);
let failed = 0;
for (const file of scenarios) {
  // `raftlab run` exits 1 when the scenario breaks a property (the bug demos): the trace is
  // compared all the same.
  const result = spawnSync(raftlab, ['run', file, '--trace', '-'], {
    stdio: ['ignore', 'pipe', 'ignore'], maxBuffer: 1 << 30,
  });
  if (result.status !== 0 && result.status !== 1) {
    console.error(`raftlab run ${file} failed with status ${result.status}`);
    failed++;
    continue;
  }
  const native = result.stdout.toString();
  const inWasm = wasmTrace(readFileSync(file, 'utf8'));
  const lines = native.split('\n').length - 1;
  if (native === inWasm && lines > 0) {
    console.log(`same trace: ${file} (${lines} lines, sha256 ${sha(native)})`);
  } else {
    failed++;
    const a = native.split('\n'), b = inWasm.split('\n');
    const i = a.findIndex((line, k) => line !== b[k]);
    console.error(`DIFFERENT trace: ${file} (native ${a.length - 1} lines, wasm ${b.length - 1} lines)`);
    console.error(`  first difference at line ${i + 1}:\n  native: ${a[i]}\n  wasm:   ${b[i]}`);
  }
}
process.exit(failed ? 1 : 0);
