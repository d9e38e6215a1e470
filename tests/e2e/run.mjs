// End-to-end tests of the raftlab page in headless Chromium (playwright-core + Debian's
// /usr/bin/chromium), with node:test.
//
//   node --test tests/e2e/run.mjs     (bash scripts/test.sh runs it after building dist/)
//
// It also runs the tests of files.mjs (download, open, drop) and embed.mjs (embed mode, host
// pages), membership.mjs, layout.mjs, network.mjs (held messages, manual delivery and
// timers) and offline.mjs (the service worker and the manifest), which it imports.
//
// Needs: dist/ built by `trunk build --release --offline`, the CLI target/release/raftlab
// (built here if missing), `bash scripts/setup.sh browser`. Environment:
//   RAFTLAB_DIST  the built page (default dist)
//   RAFTLAB_CLI   the CLI (default target/release/raftlab)
//   CHROMIUM      the browser (default /usr/bin/chromium)
//
// Every test opens a fresh browser context and page, served from a sub-path (the page must use
// relative URLs), and fails if the page logged a console error, threw an uncaught error, or
// requested anything from another origin. Tests drive the simulation with
// `raftlab.advance(ms)` while paused, so they are fast and deterministic. Screenshots go to
// target/screenshots/ (and target/screenshots/failures/ when a test fails).
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, writeFileSync, mkdtempSync, readFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from './server.mjs';
import { launch, openPage, pageReady, pageText, frames, eventually, openSection } from './browser.mjs';
// Saving and opening files, and embed mode: in files of their own (set-up in harness.mjs).
import './files.mjs';
import './embed.mjs';
// Membership changes (thesis 4.1): in a file of its own too.
import './membership.mjs';
// Layout and accessibility (axe-core): in a file of its own too.
import './layout.mjs';
// explain(), messages() and the message and timer actions: in a file of its own too.
import './why.mjs';
// Messages you can hold and a hand-driven network: in a file of its own too.
import './network.mjs';
// The space-time diagram: in a file of its own too.
import './diagram.mjs';
// Guided lessons, presenter mode and the lesson API: in a file of its own too.
import './lessons.mjs';
// The first frame pre-rendered into index.html: in a file of its own too.
import './prerender.mjs';
// Offline (the service worker, its updates) and the web manifest: in a file of its own too.
import './offline.mjs';
// The <raft-lab> custom element on a host page: in a file of its own too.
import './element.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.RAFTLAB_DIST ?? 'dist');
const CLI = path.resolve(ROOT, process.env.RAFTLAB_CLI ?? 'target/release/raftlab');
const SHOTS = path.join(ROOT, 'target/screenshots');
const BASE = '/raftlab/e2e/'; // a sub-path: the page must not assume it is served at '/'

// No test should take more than a minute, even on a busy 2-core machine.
const LIMIT = { timeout: 60_000 };

let server;
let browser;

before(async () => {
  if (!existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html is missing: build the page first (trunk build --release --offline)`);
  }
  if (!existsSync(CLI)) {
    const r = spawnSync('cargo', ['build', '--release', '-p', 'raftlab-sim'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cargo build --release -p raftlab-sim failed');
  }
  mkdirSync(path.join(SHOTS, 'failures'), { recursive: true });
  server = await start(DIST, BASE);
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
});

/**
 * Runs `body(page, ctx)` on a fresh page (default 1280x800), then checks that nothing went
 * wrong (console errors, page errors, outside requests). On failure, saves a screenshot.
 */
async function withPage(t, body, contextOptions = {}) {
  const { context, page, problems } = await openPage(browser, server.url, server.origin, contextOptions);
  try {
    await pageReady(page);
    await body(page, { problems });
    await frames(page);
    assert.deepEqual(problems(), [], 'the page logged errors or made outside requests');
    // The page still answers at the end (a Rust panic would have stopped it).
    const alive = await page.evaluate(() => {
      try {
        return Array.isArray(window.raftlab.state().nodes);
      } catch (e) {
        return `state() threw: ${e && e.message}`;
      }
    });
    if (alive !== true) assert.fail(`the page stopped working (${alive}); it shows: ${await pageText(page)}`);
  } catch (err) {
    const slug = t.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
    await page.screenshot({ path: path.join(SHOTS, 'failures', `${slug}.png`), fullPage: true }).catch(() => {});
    const extra = problems();
    if (extra.length && !(err.message || '').includes('logged errors')) {
      err.message += `\n  also seen on the page:\n    ${extra.join('\n    ')}`;
    }
    throw err;
  } finally {
    await context.close();
  }
}

// ---------------------------------------------------------------------------------------
// Helpers that run in the page.

const state = (page) => page.evaluate(() => window.raftlab.state());
const trace = (page) => page.evaluate(() => window.raftlab.trace());
const traceEvents = async (page) => parseNdjson(await trace(page));

function parseNdjson(text) {
  return text
    .split('\n')
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l));
}

/** Pauses, starts over with `seed` and `nodes`, pauses again, and runs `ms` of simulated time. */
function resetAndAdvance(page, seed, nodes, ms) {
  return page.evaluate(
    ([seed, nodes, ms]) => {
      const r = window.raftlab;
      r.pause();
      r.reset(seed, nodes);
      r.pause();
      if (ms > 0) r.advance(ms);
      return r.state();
    },
    [seed, nodes, ms],
  );
}

function advance(page, ms) {
  return page.evaluate((ms) => {
    window.raftlab.advance(ms);
    return window.raftlab.state();
  }, ms);
}

/** The running node that believes it leads in the highest term, or null. */
function leaderOf(st) {
  const leaders = st.nodes.filter((n) => n.alive && n.role === 'leader');
  leaders.sort((a, b) => b.term - a.term || a.id - b.id);
  return leaders[0] ?? null;
}

/** The configuration in force: the scenario's config with its `set` events applied. */
function effectiveConfig(scenario) {
  const config = { ...(scenario.config ?? {}) };
  for (const e of scenario.events ?? []) {
    if (e.do === 'set') {
      for (const [k, v] of Object.entries(e)) if (k !== 'do' && k !== 'at_ms') config[k] = v;
    }
  }
  return config;
}

/** Runs the CLI on a scenario object; returns the trace lines without the `final` lines and the finals. */
function cliTrace(scenario) {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftlab-e2e-'));
  const file = path.join(dir, 'scenario.json');
  writeFileSync(file, typeof scenario === 'string' ? scenario : JSON.stringify(scenario, null, 2));
  const r = spawnSync(CLI, ['run', file, '--trace', '-'], { maxBuffer: 1 << 30 });
  assert.ok(r.status === 0 || r.status === 1, `raftlab run ${file} exited ${r.status}: ${r.stderr}`);
  const lines = r.stdout.toString().split('\n').filter((l) => l.length > 0);
  const finals = lines.filter((l) => JSON.parse(l).kind === 'final').map((l) => JSON.parse(l));
  return { lines: lines.filter((l) => JSON.parse(l).kind !== 'final'), finals, file };
}

/** Asserts two traces (arrays of lines) are equal, reporting the first difference. */
function assertSameTrace(pageLines, cliLines, what) {
  if (pageLines.length === cliLines.length && pageLines.every((l, i) => l === cliLines[i])) return;
  const i = pageLines.findIndex((l, k) => l !== cliLines[k]);
  const at = i === -1 ? Math.min(pageLines.length, cliLines.length) : i;
  assert.fail(
    `${what}: the page's trace differs from the CLI's (page ${pageLines.length} lines, CLI ${cliLines.length} lines); ` +
      `first difference at line ${at + 1}:\n  page: ${pageLines[at]}\n  CLI:  ${cliLines[at]}`,
  );
}

/** Asserts the page's state equals the CLI's `final` lines. */
function assertStateMatchesFinals(st, finals) {
  assert.equal(st.nodes.length, finals.length, 'node count');
  for (const f of finals) {
    const n = st.nodes.find((x) => x.id === f.node);
    assert.ok(n, `node ${f.node} missing from state()`);
    const where = `node ${f.node}`;
    assert.equal(n.alive, f.alive, `${where} alive`);
    assert.equal(n.term, f.term, `${where} term`);
    if (f.alive) {
      assert.equal(n.role, f.role, `${where} role`);
      assert.equal(n.commit_index, f.commit_index, `${where} commit_index`);
    }
    assert.deepEqual(
      n.log.map((e) => ({ term: e.term, command: e.command })),
      f.log,
      `${where} log`,
    );
  }
}

const nodeButton = (page, id) => page.getByRole('button', { name: new RegExp(`^Node ${id}\\b`) });

async function nodeLabel(page, id) {
  return (await nodeButton(page, id).getAttribute('aria-label')) ?? (await nodeButton(page, id).innerText());
}

/** Selects node `id` by clicking it and waits for its action buttons. */
async function selectNode(page, id) {
  const actions = page.getByRole('button', { name: `Crash S${id}`, exact: true }).or(
    page.getByRole('button', { name: `Restart S${id}`, exact: true }),
  );
  // Clicking the selected node again deselects it: click only when it is not selected.
  if ((await actions.count()) === 0) await nodeButton(page, id).click();
  await actions.first().waitFor();
}

// ---------------------------------------------------------------------------------------
// The tests.

test('the page loads from a sub-path with no console error and no outside request', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    assert.equal(await page.title() !== '', true, 'the page has a title');
    // The API of the contract.
    const api = await page.evaluate(() => Object.fromEntries(
      ['state', 'play', 'pause', 'step', 'advance', 'setSpeed', 'crash', 'restart', 'timeout', 'isolate',
        'clientWrite', 'partition', 'heal', 'cut', 'restore', 'configure', 'load', 'reset', 'scenario',
        'seed', 'trace', 'on', 'addServer', 'removeServer'].map((k) => [k, typeof window.raftlab[k]]),
    ));
    for (const [k, type] of Object.entries(api)) assert.equal(type, 'function', `raftlab.${k} is a function`);
    // state() has the documented shape.
    const shape = await page.evaluate(() => {
      const s = window.raftlab.state();
      const n = s.nodes[0];
      return {
        time: typeof s.time_ms,
        count: s.nodes.length,
        keys: Object.keys(n).sort(),
        kvPlain: n.kv !== null && typeof n.kv === 'object' && Object.getPrototypeOf(n.kv) === Object.prototype,
        logArray: Array.isArray(n.log),
        roles: s.nodes.map((x) => x.role),
      };
    });
    assert.equal(shape.time, 'number', 'state().time_ms is a number');
    assert.ok(shape.count >= 1 && shape.count <= 9, `1..9 nodes (got ${shape.count})`);
    for (const k of ['id', 'role', 'term', 'voted_for', 'alive', 'commit_index', 'log', 'kv']) {
      assert.ok(shape.keys.includes(k), `state().nodes[0] has ${k} (has ${shape.keys.join(', ')})`);
    }
    assert.ok(shape.kvPlain, 'state().nodes[i].kv is a plain object (not a Map)');
    assert.ok(shape.logArray, 'state().nodes[i].log is an array');
    for (const r of shape.roles) assert.ok(['follower', 'candidate', 'leader'].includes(r), `role ${r}`);
    // Every node is drawn with an accessible name.
    for (let id = 1; id <= shape.count; id++) {
      const label = await nodeLabel(page, id);
      assert.match(label, new RegExp(`^Node ${id}, S${id}, (follower|candidate|leader|crashed), term \\d+`), `node ${id} label`);
    }
    // The controls and regions of the contract are present.
    await openSection(page, 'Network');
    for (const name of ['Step', 'Reset', 'New seed', 'Heal all', 'Help']) {
      await page.getByRole('button', { name, exact: true }).waitFor();
    }
    await page.getByRole('button', { name: /^(Play|Pause)$/ }).waitFor();
    await page.getByRole('slider', { name: 'Speed', exact: true }).waitFor();
    await page.getByRole('spinbutton', { name: 'Seed', exact: true }).waitFor();
    await page.getByRole('combobox', { name: 'Cluster size', exact: true }).waitFor();
    await openSection(page, 'Event log');
    await openSection(page, 'Safety');
    await openSection(page, 'Key-value stores');
    for (const name of ['Event log', 'Safety', 'Logs', 'Key-value stores']) {
      const region = page.getByRole('region', { name, exact: true }).or(page.getByRole('log', { name, exact: true }));
      assert.equal(await region.count(), 1, `one region named "${name}"`);
    }
    const live = await page.getByRole('region', { name: 'Event log', exact: true })
      .or(page.getByRole('log', { name: 'Event log', exact: true }))
      .evaluate((el) => el.getAttribute('aria-live') ?? (el.querySelector('[aria-live]') ? 'inside' : el.getAttribute('role') === 'log' ? 'log' : null));
    assert.ok(live, 'the event log is aria-live (or role=log)');
    // Its resources were served from the sub-path, the wasm with its MIME type.
    const wasm = server.requests.filter((r) => r.path.endsWith('.wasm'));
    assert.ok(wasm.length >= 1 && wasm.every((r) => r.path.startsWith(BASE) && r.status === 200), 'the wasm loads from the sub-path');
    await page.evaluate(() => window.raftlab.advance(1000));
  });
});

test('a leader appears', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const st = await resetAndAdvance(page, 1, 5, 3000);
    assert.equal(st.nodes.length, 5);
    const leaders = st.nodes.filter((n) => n.role === 'leader');
    assert.ok(leaders.length >= 1, `a leader after 3 s (roles: ${st.nodes.map((n) => n.role)})`);
    const byTerm = new Map();
    for (const l of leaders) {
      assert.ok(!byTerm.has(l.term), `two leaders in term ${l.term}`);
      byTerm.set(l.term, l.id);
    }
    const leader = leaderOf(st);
    // Every node follows that leader's term.
    for (const n of st.nodes) assert.equal(n.term, leader.term, `node ${n.id} in the leader's term`);
    // The page shows it.
    await eventually(async () => /, leader, term \d+/.test(await nodeLabel(page, leader.id)), {
      message: `Node ${leader.id}'s label to say leader`,
    });
    const label = await nodeLabel(page, leader.id);
    assert.match(label, new RegExp(`^Node ${leader.id}, S${leader.id}, leader, term ${leader.term}\\b`));
    // The trace says so too.
    const events = await traceEvents(page);
    assert.ok(events.some((e) => e.kind === 'become_leader' && e.node === leader.id && e.term === leader.term));
  });
});

test('crashing the leader brings a new leader with a higher term', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const st0 = await resetAndAdvance(page, 2, 5, 2000);
    const old = leaderOf(st0);
    assert.ok(old, 'a leader before the crash');
    await page.evaluate((id) => window.raftlab.crash(id), old.id);
    const st1 = await state(page);
    assert.equal(st1.nodes.find((n) => n.id === old.id).alive, false, 'the old leader is down');
    await eventually(async () => (await nodeLabel(page, old.id)).startsWith(`Node ${old.id}, S${old.id}, crashed`), {
      message: `Node ${old.id}'s label to say crashed`,
    });
    const st2 = await advance(page, 3000);
    const now = leaderOf(st2);
    assert.ok(now, `a new leader 3 s after the crash (roles: ${st2.nodes.map((n) => `${n.id}:${n.role}/${n.alive}`)})`);
    assert.notEqual(now.id, old.id);
    assert.ok(now.term > old.term, `new term ${now.term} > old term ${old.term}`);
    assert.equal(st2.nodes.find((n) => n.id === old.id).alive, false, 'the old leader stays down');
    // Restarted, the old leader follows the new one.
    await page.evaluate((id) => window.raftlab.restart(id), old.id);
    const st3 = await advance(page, 1000);
    const back = st3.nodes.find((n) => n.id === old.id);
    assert.equal(back.alive, true);
    assert.equal(back.role, 'follower');
    assert.equal(back.term, leaderOf(st3).term);
  });
});

test('a client write is committed on every live node', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const st0 = await resetAndAdvance(page, 3, 5, 1500);
    const leader = leaderOf(st0);
    assert.ok(leader, 'a leader');
    const down = st0.nodes.find((n) => n.id !== leader.id).id;
    await page.evaluate((id) => {
      window.raftlab.crash(id);
      window.raftlab.clientWrite('color', 'blue');
    }, down);
    const st1 = await advance(page, 1000);
    for (const n of st1.nodes) {
      if (!n.alive) continue;
      const i = n.log.findIndex((e) => e.command === 'set color=blue');
      assert.ok(i >= 0, `node ${n.id} has the entry in its log`);
      assert.ok(n.commit_index >= i + 1, `node ${n.id} committed it (commit ${n.commit_index}, entry ${i + 1})`);
      assert.equal(n.kv.color, 'blue', `node ${n.id}'s store has color=blue`);
    }
    const crashed = st1.nodes.find((n) => n.id === down);
    assert.equal(crashed.alive, false);
    assert.equal(crashed.kv.color, undefined, 'the crashed node did not get it');
    const replies = (await traceEvents(page)).filter((e) => e.kind === 'client_reply');
    assert.deepEqual(replies.map((e) => e.result), ['ok'], 'the client was answered ok');
    // The crashed node catches up once restarted.
    await page.evaluate((id) => window.raftlab.restart(id), down);
    const st2 = await advance(page, 1500);
    assert.equal(st2.nodes.find((n) => n.id === down).kv.color, 'blue', 'the restarted node caught up');
  });
});

test('a write accepted by a leader cut off in a minority is never committed and is gone after heal', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const st0 = await resetAndAdvance(page, 11, 5, 1500);
    const old = leaderOf(st0);
    assert.ok(old, 'a leader');
    const buddy = st0.nodes.find((n) => n.id !== old.id).id;
    const others = st0.nodes.map((n) => n.id).filter((id) => id !== old.id && id !== buddy);
    const accepted = await page.evaluate(
      ([old, buddy, others]) => {
        const r = window.raftlab;
        window.__applied = [];
        r.on('apply', (e) => window.__applied.push(e));
        r.partition([[old, buddy], others]);
        r.clientWrite('x', 'minority', old);
        return r.state().nodes.find((n) => n.id === old).log.map((e) => e.command);
      },
      [old.id, buddy, others],
    );
    const index = accepted.lastIndexOf('set x=minority') + 1;
    assert.ok(index > 0, `the old leader appended the write (its log: ${JSON.stringify(accepted)})`);
    const st1 = await advance(page, 2000);
    const now = leaderOf(st1);
    assert.ok(now && others.includes(now.id), `the majority elected a leader (leader: ${now && now.id})`);
    assert.ok(now.term > old.term, 'in a higher term');
    for (const n of st1.nodes) {
      if (n.log[index - 1]?.command === 'set x=minority') {
        assert.ok(n.commit_index < index, `node ${n.id} did not commit the minority write`);
      }
      assert.notEqual(n.kv.x, 'minority', `node ${n.id}'s store`);
    }
    await page.evaluate(() => window.raftlab.clientWrite('x', 'majority'));
    await advance(page, 1000);
    await page.evaluate(() => window.raftlab.heal());
    const st2 = await advance(page, 2000);
    for (const n of st2.nodes) {
      assert.ok(!n.log.some((e) => e.command === 'set x=minority'), `node ${n.id}'s log lost the minority write`);
      assert.equal(n.kv.x, 'majority', `node ${n.id}'s store has x=majority`);
      assert.deepEqual(n.log, st2.nodes[0].log, `node ${n.id}'s log equals node 1's`);
    }
    const applied = await page.evaluate(() => window.__applied.map((e) => e.command));
    assert.ok(!applied.includes('set x=minority'), 'no node ever applied the minority write');
    assert.ok(applied.includes('set x=majority'), 'on(apply) reported the majority write');
    const events = await traceEvents(page);
    const req = events.find((e) => e.kind === 'client_request' && e.command === 'set x=minority');
    const reply = events.find((e) => e.kind === 'client_reply' && e.id === req.id);
    assert.equal(reply?.result, 'timeout', 'the minority client timed out');
    assert.ok(events.some((e) => e.kind === 'truncate' && e.node === old.id), 'the old leader truncated its log');
  });
});

// --- Controls: each acts through the UI and checks the model. ------------------------------

test('controls: Play/Pause and Step', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await resetAndAdvance(page, 4, 5, 0);
    const toggle = page.getByRole('button', { name: /^(Play|Pause)$/ });
    await toggle.waitFor();
    await page.getByRole('button', { name: 'Play', exact: true }).waitFor(); // after pause()
    const t0 = (await state(page)).time_ms;
    await page.waitForTimeout(300);
    assert.equal((await state(page)).time_ms, t0, 'paused: time does not move');
    await page.getByRole('button', { name: 'Play', exact: true }).click();
    await page.getByRole('button', { name: 'Pause', exact: true }).waitFor();
    await eventually(async () => (await state(page)).time_ms > t0, { timeout: 5000, message: 'time to move while playing' });
    await page.getByRole('button', { name: 'Pause', exact: true }).click();
    await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
    const t1 = (await state(page)).time_ms;
    await page.waitForTimeout(300);
    assert.equal((await state(page)).time_ms, t1, 'paused again: time stops');
    const before = (await trace(page)).length;
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    await eventually(async () => (await trace(page)).length > before || (await state(page)).time_ms > t1, {
      message: 'Step to run the simulation forward',
    });
  });
});

test('controls: speed slider', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await resetAndAdvance(page, 5, 5, 0);
    const slider = page.getByRole('slider', { name: 'Speed', exact: true });
    const rate = async () => {
      await page.evaluate(() => window.raftlab.play());
      const a = (await state(page)).time_ms;
      await page.waitForTimeout(1500);
      const b = (await state(page)).time_ms;
      await page.evaluate(() => window.raftlab.pause());
      return (b - a) / 1.5;
    };
    await slider.focus();
    await page.keyboard.press('Home');
    const lowValue = await slider.inputValue();
    const slow = await rate();
    await slider.focus();
    await page.keyboard.press('End');
    const highValue = await slider.inputValue();
    assert.notEqual(lowValue, highValue, 'Home and End move the slider');
    const fast = await rate();
    assert.ok(fast > 300, `at the fastest speed, more than 300 simulated ms per wall second (got ${fast.toFixed(1)})`);
    assert.ok(fast > 5 * slow, `the fastest speed is much faster than the slowest (${fast.toFixed(1)} vs ${slow.toFixed(1)} ms/s)`);
  });
});

test('controls: Reset, New seed, Seed input, Cluster size', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await resetAndAdvance(page, 6, 5, 2000);
    assert.equal(await page.evaluate(() => window.raftlab.seed()), 6);
    await page.evaluate(() => window.raftlab.clientWrite('k', 'v'));
    await page.getByRole('button', { name: 'Reset', exact: true }).click();
    await page.evaluate(() => window.raftlab.pause());
    let st = await state(page);
    assert.ok(st.time_ms < 2000, `Reset starts over (time ${st.time_ms})`);
    assert.equal(await page.evaluate(() => window.raftlab.seed()), 6, 'Reset keeps the seed');
    assert.ok(st.nodes.every((n) => n.kv.k === undefined), 'Reset clears the stores');

    await page.getByRole('button', { name: 'New seed', exact: true }).click();
    await page.evaluate(() => window.raftlab.pause());
    assert.notEqual(await page.evaluate(() => window.raftlab.seed()), 6, 'New seed changes the seed');

    const seedInput = page.getByRole('spinbutton', { name: 'Seed', exact: true });
    await seedInput.fill('12345');
    await seedInput.press('Enter');
    await eventually(async () => (await page.evaluate(() => window.raftlab.seed())) === 12345, {
      message: 'seed() to be 12345 after typing it and Enter',
    });
    await page.evaluate(() => window.raftlab.pause());
    st = await state(page);
    assert.ok(st.time_ms < 1000, `a new seed starts over (time ${st.time_ms})`);

    const size = page.getByRole('combobox', { name: 'Cluster size', exact: true });
    const options = await size.locator('option').evaluateAll((os) => os.map((o) => ({ value: o.value, text: o.textContent.trim() })));
    const seven = options.find((o) => o.value === '7' || /^7\b/.test(o.text));
    assert.ok(seven, `a 7-node option (options: ${JSON.stringify(options)})`);
    await size.selectOption(seven.value);
    await eventually(async () => (await state(page)).nodes.length === 7, { message: '7 nodes after choosing 7' });
    await nodeButton(page, 7).waitFor();
    assert.equal(await page.evaluate(() => window.raftlab.seed()), 12345, 'the cluster size keeps the seed');
    const three = options.find((o) => o.value === '3' || /^3\b/.test(o.text));
    await size.selectOption(three.value);
    await eventually(async () => (await state(page)).nodes.length === 3, { message: '3 nodes after choosing 3' });
    await eventually(async () => (await nodeButton(page, 4).count()) === 0, { message: 'Node 4 to disappear' });
  });
});

test('controls: node actions Crash, Restart, Time out, Isolate, and Heal all', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const st0 = await resetAndAdvance(page, 7, 5, 1500);
    const leader = leaderOf(st0);
    assert.ok(leader);
    // A follower other than node 1, so that selecting it changes the selection.
    const f = st0.nodes.find((n) => n.id !== leader.id && n.id !== 1 && n.role === 'follower').id;

    await selectNode(page, 1);
    await page.getByRole('button', { name: 'Crash S1', exact: true }).click();
    await eventually(async () => (await state(page)).nodes[0].alive === false, { message: 'Crash S1 to crash node 1' });
    await eventually(async () => (await nodeLabel(page, 1)).startsWith('Node 1, S1, crashed'), { message: 'Node 1 labelled crashed' });
    await page.getByRole('button', { name: 'Restart S1', exact: true }).click();
    await eventually(async () => (await state(page)).nodes[0].alive === true, { message: 'Restart S1 to restart node 1' });
    await advance(page, 500);

    const before = (await state(page)).nodes.find((n) => n.id === f);
    await selectNode(page, f);
    await page.getByRole('button', { name: `Time out S${f}`, exact: true }).click();
    await eventually(async () => {
      const n = (await state(page)).nodes.find((x) => x.id === f);
      return n.term > before.term && n.role !== 'follower';
    }, { message: `Time out S${f} to start an election on node ${f} (term ${before.term} before)` });
    const timeouts = (await traceEvents(page)).filter((e) => e.kind === 'timeout' && e.node === f);
    assert.equal(timeouts.length, 1, 'one timeout line in the trace');

    await selectNode(page, f);
    await page.getByRole('button', { name: `Isolate S${f}`, exact: true }).click();
    await eventually(async () => {
      const p = (await traceEvents(page)).filter((e) => e.kind === 'partition').pop();
      return p && p.groups.some((g) => g.length === 1 && g[0] === f);
    }, { message: `Isolate S${f} to put node ${f} in a group of its own` });
    const events = (await page.evaluate(() => window.raftlab.scenario())).events;
    assert.ok(events.some((e) => e.do === 'isolate' && e.node === f), 'scenario() records the isolate');

    await openSection(page, 'Network');
    await page.getByRole('button', { name: 'Heal all', exact: true }).click();
    await eventually(async () => (await traceEvents(page)).filter((e) => ['partition', 'heal', 'cut', 'restore'].includes(e.kind)).at(-1)?.kind === 'heal', {
      message: 'Heal all to heal the network (the last network event is a heal)',
    });
    const st = await advance(page, 2000);
    assert.ok(st.nodes.every((n) => n.alive && n.term === leaderOf(st).term), 'everyone back in one term after the heal');
  });
});

test('controls: links between nodes cut and restore', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await resetAndAdvance(page, 8, 5, 1000);
    const working = page.getByRole('button', { name: 'Link S1–S2, working', exact: true });
    await working.click();
    await page.getByRole('button', { name: 'Link S1–S2, cut', exact: true }).waitFor();
    let events = await traceEvents(page);
    assert.deepEqual(events.filter((e) => e.kind === 'cut').map((e) => e.nodes), [[1, 2]], 'one cut of link 1–2 in the trace');
    await page.getByRole('button', { name: 'Link S1–S2, cut', exact: true }).click();
    await page.getByRole('button', { name: 'Link S1–S2, working', exact: true }).waitFor();
    events = await traceEvents(page);
    assert.deepEqual(events.filter((e) => e.kind === 'restore').map((e) => e.nodes), [[1, 2]], 'then a restore');
    // Cutting through the API shows in the UI too; Heal all mends it.
    // (A horizontal link's <g> has a zero-height box, which Playwright calls hidden: wait for
    // the name only.)
    await page.evaluate(() => window.raftlab.cut(3, 4));
    await page.getByRole('button', { name: 'Link S3–S4, cut', exact: true }).waitFor({ state: 'attached' });
    await openSection(page, 'Network');
    await page.getByRole('button', { name: 'Heal all', exact: true }).click();
    await page.getByRole('button', { name: 'Link S3–S4, working', exact: true }).waitFor({ state: 'attached' });
  });
});

test('controls: client write form', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const st0 = await resetAndAdvance(page, 9, 5, 1500);
    await openSection(page, 'Client');
    const leader = leaderOf(st0);
    assert.ok(leader);
    // Untouched, the "Send to" choice on screen is where the write goes.
    const sendTo = page.getByRole('combobox', { name: 'Send to', exact: true });
    const shown = await sendTo.evaluate((s) => s.options[s.selectedIndex]?.textContent.trim());
    await openSection(page, 'Client');
    await page.getByRole('textbox', { name: 'Key', exact: true }).fill('first');
    await page.getByRole('textbox', { name: 'Value', exact: true }).fill('w');
    await page.getByRole('button', { name: 'Send write', exact: true }).click();
    const firstReq = await eventually(
      async () => (await traceEvents(page)).find((e) => e.kind === 'client_request' && e.command === 'set first=w'),
      { message: 'Send write to make a client request' },
    );
    const expected = shown === 'Leader' ? leader.id : Number(String(shown).replace(/^S/, ''));
    assert.equal(firstReq.node, expected, `"Send to" shows ${JSON.stringify(shown)}: the write must go to node ${expected}`);
    await openSection(page, 'Client');
    await page.getByRole('textbox', { name: 'Key', exact: true }).fill('fruit');
    await page.getByRole('textbox', { name: 'Value', exact: true }).fill('apple');
    await page.getByRole('combobox', { name: 'Send to', exact: true }).selectOption({ label: 'Leader' });
    await page.getByRole('button', { name: 'Send write', exact: true }).click();
    await eventually(async () => (await traceEvents(page)).some((e) => e.kind === 'client_request' && e.command === 'set fruit=apple'), {
      message: 'Send write to make a client request',
    });
    const st1 = await advance(page, 1000);
    for (const n of st1.nodes) assert.equal(n.kv.fruit, 'apple', `node ${n.id} has fruit=apple`);
    // Sent to a follower: a redirect to the leader.
    const f = st1.nodes.find((n) => n.id !== leader.id).id;
    await openSection(page, 'Client');
    await page.getByRole('textbox', { name: 'Key', exact: true }).fill('veg');
    await page.getByRole('textbox', { name: 'Value', exact: true }).fill('leek');
    await page.getByRole('combobox', { name: 'Send to', exact: true }).selectOption({ label: `S${f}` });
    await page.getByRole('button', { name: 'Send write', exact: true }).click();
    await eventually(async () => {
      const events = await traceEvents(page);
      const req = events.find((e) => e.kind === 'client_request' && e.command === 'set veg=leek');
      const reply = req && events.find((e) => e.kind === 'client_reply' && e.id === req.id);
      return req?.node === f && reply?.result === 'redirect' && reply.leader === leader.id;
    }, { message: `a write sent to S${f} to be redirected to S${leader.id}` });
  });
});

test('controls: settings inputs change the configuration', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await resetAndAdvance(page, 10, 5, 500);
    await openSection(page, 'Settings');
    const set = async (label, value) => {
      const input = page.getByLabel(label, { exact: true });
      await input.fill(String(value));
      await input.press('Enter');
      await input.blur();
    };
    const config = async () => effectiveConfig(await page.evaluate(() => window.raftlab.scenario()));
    await set('Election timeout max (ms)', 400);
    await set('Election timeout min (ms)', 200);
    await eventually(async () => JSON.stringify((await config()).election_timeout_ms) === '[200,400]', {
      message: 'election_timeout_ms to become [200, 400]',
    });
    await openSection(page, 'Settings');
    await set('Heartbeat (ms)', 40);
    await eventually(async () => (await config()).heartbeat_ms === 40, { message: 'heartbeat_ms to become 40' });
    await set('Latency max (ms)', 30);
    await set('Latency min (ms)', 20);
    await eventually(async () => JSON.stringify((await config()).latency_ms) === '[20,30]', { message: 'latency_ms to become [20, 30]' });
    await set('Drop rate', 0.1);
    await eventually(async () => (await config()).drop_rate === 0.1, { message: 'drop_rate to become 0.1' });
    await set('Duplicate rate', 0.05);
    await eventually(async () => (await config()).duplicate_rate === 0.05, { message: 'duplicate_rate to become 0.05' });
    // configure() through the API shows in the inputs.
    await page.evaluate(() => window.raftlab.configure({ heartbeat_ms: 60 }));
    await eventually(async () => (await page.getByLabel('Heartbeat (ms)', { exact: true }).inputValue()) === '60', {
      message: 'the Heartbeat input to show 60 after configure()',
    });
    // The run goes on and the export replays exactly in the CLI.
    await advance(page, 1500);
    const exported = await page.evaluate(() => window.raftlab.scenario());
    const cli = cliTrace(exported);
    assertSameTrace((await trace(page)).split('\n').filter(Boolean), cli.lines, 'settings run');
  });
});

test('settings: a bug switched on during the run (break-it): the checker catches it, the export replays in the CLI', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    // The break-it opening: x=1 committed, S4 cut off, x=2 committed without it; no bug yet.
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(2, 5);
      r.pause();
      r.advance(400);
      r.clientWrite('x', '1');
      r.advance(30);
      r.isolate(4);
      r.advance(170);
      r.clientWrite('x', '2');
      r.advance(100);
    });
    const violations = async () => (await traceEvents(page)).filter((e) => e.kind === 'violation').map((e) => e.property);
    assert.deepEqual(await violations(), [], 'safe so far');
    await openSection(page, 'Settings');
    const bug = page.getByRole('checkbox', { name: 'Vote without comparing logs (breaks 5.4.1)' });
    assert.equal(await bug.isChecked(), false);
    await bug.check();
    await eventually(async () => {
      const events = (await page.evaluate(() => window.raftlab.scenario())).events;
      return events.some((e) => e.do === 'set' && JSON.stringify(e.bugs) === '["skip_vote_log_check"]');
    }, { message: 'a set action with the bug in scenario()' });
    // The Safety section says which bugs are on.
    await openSection(page, 'Safety');
    const warning = page.getByRole('region', { name: 'Safety' }).getByText('Bugs on: skip_vote_log_check.');
    await warning.waitFor();
    // S4, cut off with a short log, comes back: with the bug it wins votes and the checker
    // reports the lost committed entry.
    await page.evaluate(() => { window.raftlab.heal(); window.raftlab.advance(3000); });
    const caught = await violations();
    assert.equal(caught[0], 'leader_completeness', `the checker caught the bug: ${caught}`);
    assert.equal(await bug.isChecked(), true, 'the box shows the bug on');
    // Off again: a set with no bugs.
    await bug.uncheck();
    await eventually(async () => {
      const events = (await page.evaluate(() => window.raftlab.scenario())).events;
      return events.some((e) => e.do === 'set' && Array.isArray(e.bugs) && e.bugs.length === 0);
    }, { message: 'a set action switching the bugs off' });
    await page.evaluate(() => window.raftlab.advance(200));
    await warning.waitFor({ state: 'detached' });
    const exported = await page.evaluate(() => window.raftlab.scenario());
    assert.equal(exported.config?.bugs, undefined, 'the run started without bugs');
    assertSameTrace((await trace(page)).split('\n').filter(Boolean), cliTrace(exported).lines, 'bug switched during the run');
    // The share link carries the switch (B2, then B0) and opens the same run.
    const link = await page.evaluate(() => window.raftlab.link());
    assert.match(link, /sB2\b|sB2[,&]/, link);
    assert.match(link, /sB0[,&]/, link);
  });
});

test('keyboard: Tab reaches the controls with a visible focus; ? opens the shortcuts; Enter selects a node', LIMIT, async (t) => {
  await withPage(t, async (page, { problems }) => {
    await resetAndAdvance(page, 12, 5, 1000);
    // The client form opens on demand: open it, so Tab can reach Send write.
    await openSection(page, 'Client');
    // What each SVG control looks like unfocused: inside the drawing, a focus indicator may be
    // a change of stroke rather than an outline.
    const look = () => {
      window.__look = (el) => {
        const parts = [el, ...el.querySelectorAll('*')].map((x) => {
          const cs = getComputedStyle(x);
          return [cs.stroke, cs.strokeWidth, cs.fill, cs.opacity, cs.outlineStyle].join(' ');
        });
        return parts.join('|');
      };
      window.__unfocused = new Map([...document.querySelectorAll('svg [tabindex]')].map((el) => [el, window.__look(el)]));
    };
    await page.evaluate(look);
    await page.locator('body').focus();
    const seen = [];
    for (let i = 0; i < 80; i++) {
      await page.keyboard.press('Tab');
      const info = await page.evaluate(() => {
        const el = document.activeElement;
        if (!el || el === document.body) return null;
        const cs = getComputedStyle(el);
        const inSvg = el instanceof SVGElement;
        return {
          tag: el.tagName.toLowerCase(),
          name: el.getAttribute('aria-label') || (el.labels && el.labels[0] && el.labels[0].textContent.trim()) ||
            el.textContent.trim().slice(0, 40) || el.getAttribute('name') || el.id,
          focusVisible: el.matches(':focus-visible'),
          outline: cs.outlineStyle !== 'none' && cs.outlineWidth !== '0px',
          outlineText: `${cs.outlineStyle} ${cs.outlineWidth}`,
          svgChange: inSvg && window.__unfocused.has(el) && window.__unfocused.get(el) !== window.__look(el),
        };
      });
      if (info) seen.push(info);
    }
    const names = seen.map((s) => s.name);
    for (const want of [/^(Play|Pause)$/, /^Step$/, /^Reset$/, /Speed/, /^Node 1\b/, /^Link S1–S2/, /^Send write$/]) {
      assert.ok(names.some((n) => want.test(n)), `Tab reaches ${want} (reached: ${[...new Set(names)].join(' | ')})`);
    }
    const invisible = seen.filter((s) => !s.focusVisible || !(s.outline || s.svgChange));
    assert.deepEqual(
      [...new Set(invisible.map((s) => `${s.tag} "${s.name}" (focus-visible ${s.focusVisible}, outline ${s.outlineText}, SVG stroke change ${s.svgChange})`))],
      [],
      'every focused control shows a focus indicator (an outline, or in the drawing a change of stroke)',
    );
    t.diagnostic(`Tab order (${seen.length} stops): ${[...new Set(names)].join(' | ')}`);

    // Enter on a focused node selects it.
    await nodeButton(page, 2).focus();
    await page.keyboard.press('Enter');
    await page.getByRole('button', { name: 'Crash S2', exact: true }).waitFor();

    // ? opens the shortcuts; Escape closes them. Help opens them too.
    await page.locator('body').focus();
    const before = problems().length;
    await page.keyboard.press('?');
    const dialog = page.getByRole('dialog', { name: 'Keyboard shortcuts' });
    await dialog.waitFor();
    assert.deepEqual(problems().slice(before), [], 'pressing ? logs no error');
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
    await page.getByRole('button', { name: 'Help', exact: true }).click();
    await dialog.waitFor();
    await page.keyboard.press('Escape');
    await dialog.waitFor({ state: 'hidden' });
  });
});

test('keyboard shortcuts do what the help says', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const st0 = await resetAndAdvance(page, 15, 5, 1500);
    const leader = leaderOf(st0);
    assert.ok(leader);
    const f = st0.nodes.find((n) => n.id !== leader.id && n.role === 'follower').id;
    const key = async (k) => {
      await page.locator('body').focus();
      await page.keyboard.press(k);
    };
    const playing = async () => (await page.getByRole('button', { name: 'Pause', exact: true }).count()) === 1;
    // Space: play / pause (and Space does not also scroll the page). P is presenter mode
    // (tests/e2e/lessons.mjs).
    const scroll0 = await page.evaluate(() => window.scrollY);
    for (const k of [' ', ' ', ' ', ' ']) {
      const was = await playing();
      await key(k);
      await eventually(async () => (await playing()) !== was, { message: `${JSON.stringify(k)} to toggle play (was playing: ${was})` });
    }
    await frames(page);
    const scrollAfterSpace = await page.evaluate(() => window.scrollY);
    await page.evaluate(() => window.raftlab.pause());
    // . or →: step.
    for (const k of ['.', 'ArrowRight']) {
      const before = (await trace(page)).length;
      await key(k);
      await eventually(async () => (await trace(page)).length > before, { message: `${JSON.stringify(k)} to step` });
    }
    // + / -: faster / slower.
    const slider = page.getByRole('slider', { name: 'Speed', exact: true });
    const v0 = Number(await slider.inputValue());
    await key('+');
    await eventually(async () => Number(await slider.inputValue()) > v0, { message: '+ to raise the speed' });
    const v1 = Number(await slider.inputValue());
    await key('-');
    await eventually(async () => Number(await slider.inputValue()) < v1, { message: '- to lower the speed' });
    // 1 to 9 select a node; C, R, T, I act on it; H heals; W writes; Esc deselects.
    await key(String(f));
    await page.getByRole('button', { name: `Crash S${f}`, exact: true }).waitFor();
    await key('c');
    await eventually(async () => (await state(page)).nodes[f - 1].alive === false, { message: `C to crash S${f}` });
    await key('r');
    await eventually(async () => (await state(page)).nodes[f - 1].alive === true, { message: `R to restart S${f}` });
    const term = (await state(page)).nodes[f - 1].term;
    await key('t');
    await eventually(async () => (await state(page)).nodes[f - 1].term > term, { message: `T to time out S${f}` });
    await key('i');
    await eventually(async () => (await traceEvents(page)).some((e) => e.kind === 'partition' && e.groups.some((g) => g.length === 1 && g[0] === f)), {
      message: `I to isolate S${f}`,
    });
    await key('h');
    await eventually(async () => (await traceEvents(page)).some((e) => e.kind === 'heal'), { message: 'H to heal' });
    await key('w');
    await eventually(async () => (await traceEvents(page)).some((e) => e.kind === 'client_request' && e.node === f), {
      message: `W to send a client write to the selected S${f}`,
    });
    await key('Escape');
    await eventually(async () => (await page.getByRole('button', { name: `Crash S${f}`, exact: true }).count()) === 0 &&
      (await page.getByRole('button', { name: `Restart S${f}`, exact: true }).count()) === 0, { message: 'Esc to deselect' });
    // 0 replays this seed from the start; N starts a new run with a fresh seed.
    await page.evaluate(() => window.raftlab.advance(500));
    await key('0');
    await eventually(async () => (await state(page)).time_ms < 500, { message: '0 to start over' });
    assert.equal(await page.evaluate(() => window.raftlab.seed()), 15, '0 keeps the seed');
    await key('n');
    await eventually(async () => (await page.evaluate(() => window.raftlab.seed())) !== 15, { message: 'N to pick a new seed' });
    // Typing in a text box is not a shortcut.
    await page.evaluate(() => window.raftlab.pause());
    await openSection(page, 'Client');
    const keyBox = page.getByRole('textbox', { name: 'Key', exact: true });
    await keyBox.fill('');
    await keyBox.pressSequentially('cn1');
    assert.equal(await keyBox.inputValue(), 'cn1', 'letters typed in Key stay there');
    const st = await state(page);
    assert.ok(st.nodes.every((n) => n.alive), 'typing "c" in Key crashed nothing');
    assert.equal(scrollAfterSpace, scroll0, 'Space toggles play without also scrolling the page');
  });
});

test('bad API arguments throw an Error and the page keeps working', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await resetAndAdvance(page, 13, 5, 1000);
    const calls = [
      // From the contract.
      'crash(0)', 'crash(99)', 'crash("x")', 'partition("x")', 'configure({drop_rate: 2})', 'load("{")', 'setSpeed(-1)',
      // Invalid by the scenario format.
      'restart(99)', 'timeout(0)', 'isolate(6)', 'cut(1, 1)', 'cut(1, 9)', 'restore(0, 2)', 'partition([[1, 2], [2, 3]])',
      'partition([[1, 7]])', 'clientWrite("", "v")', 'clientWrite("k", "")', 'clientWrite("k", "v", 9)',
      'configure({election_timeout_ms: [300, 100]})', 'configure({heartbeat_ms: 0})', 'configure({duplicate_rate: -0.5})',
      'load("{\\"version\\": 2}")', 'load({version: 1, nodes: 10})', 'reset(1, 10)', 'reset(1, 0)',
    ];
    const results = await page.evaluate((calls) => calls.map((call) => {
      try {
        // eslint-disable-next-line no-new-func
        new Function('r', `r.${call}`)(window.raftlab);
        return { call, threw: false };
      } catch (e) {
        return { call, threw: true, isError: e instanceof Error, message: e instanceof Error ? e.message : String(e) };
      }
    }), calls);
    const bad = results.filter((r) => !r.threw || !r.isError || !r.message || r.message.length < 8 ||
      /unreachable|RuntimeError|panicked|undefined is not/i.test(r.message));
    assert.deepEqual(bad, [], 'each bad call throws an Error with a clear message');
    // Still working, and nothing happened to the cluster.
    const st = await advance(page, 1000);
    assert.equal(st.nodes.length, 5);
    assert.ok(st.nodes.every((n) => n.alive), 'no bad call crashed a node');
    assert.ok(leaderOf(st), 'still a leader');
    await page.evaluate(() => window.raftlab.crash(2));
    assert.equal((await state(page)).nodes[1].alive, false, 'a good call still works');
    const messages = Object.fromEntries(results.map((r) => [r.call, r.message]));
    t.diagnostic(`error messages: ${JSON.stringify(messages)}`);
  });
});

test('on(kind, callback) reports trace events and unsubscribes', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const r = await page.evaluate(async () => {
      const r = window.raftlab;
      r.pause();
      r.reset(14, 5);
      r.pause();
      const leaders = [];
      const all = [];
      const off1 = r.on('become_leader', (e) => leaders.push(e));
      const off2 = r.on('*', (e) => all.push(JSON.stringify(e)));
      r.advance(1500);
      // Events are delivered in a microtask after the change (so listeners may call the API).
      await Promise.resolve();
      const lines = r.trace().split('\n').filter(Boolean);
      const afterFirst = { leaders: leaders.length, all: all.length };
      off1();
      off2();
      r.timeout(r.state().nodes.find((n) => n.role !== 'leader').id);
      r.advance(1500);
      await Promise.resolve();
      const later = r.trace().split('\n').filter(Boolean).slice(lines.length).map((l) => JSON.parse(l));
      return {
        afterFirst,
        final: { leaders: leaders.length, all: all.length },
        firstLeader: leaders[0],
        traceLeaders: lines.map((l) => JSON.parse(l)).filter((e) => e.kind === 'become_leader'),
        sameAsTrace: all.length === lines.length && all.every((e, i) => JSON.stringify(JSON.parse(lines[i])) === e),
        laterEvents: later.length,
        laterLeaders: later.filter((e) => e.kind === 'become_leader').length,
      };
    });
    assert.ok(r.afterFirst.leaders >= 1, 'become_leader events reported');
    assert.deepEqual(r.firstLeader, r.traceLeaders[0], 'the callback gets the trace event object');
    assert.equal(r.afterFirst.leaders, r.traceLeaders.length, 'every become_leader reported');
    assert.ok(r.sameAsTrace, '"*" gets every trace event, in order');
    assert.ok(r.laterEvents > 0 && r.laterLeaders >= 1, 'the run went on (with a new election)');
    assert.deepEqual(r.final, r.afterFirst, 'nothing reported after unsubscribing');
  });
});

test('after reset or load, listeners get the new run from its start', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const r = await page.evaluate(async () => {
      const r = window.raftlab;
      r.pause();
      r.reset(8, 5);
      r.advance(2000);
      const seen = [];
      const off = r.on('*', (e) => seen.push(JSON.stringify(e)));
      r.reset(8, 3); // the same seed: a new run all the same
      r.advance(500);
      await Promise.resolve();
      off();
      const lines = r.trace().split('\n').filter(Boolean).map((l) => JSON.stringify(JSON.parse(l)));
      return { seen, lines };
    });
    assert.ok(r.lines.length > 0);
    assert.deepEqual(r.seen, r.lines, 'every event of the new run, from its first');
  });
});

test('a listener may change the run (no re-entrancy panic)', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const r = await page.evaluate(async () => {
      const r = window.raftlab;
      r.pause();
      r.reset(3, 5);
      let writes = 0;
      const off = r.on('restart', () => { writes += 1; r.clientWrite('k', String(writes)); });
      r.advance(1000);
      r.restart(1);
      await Promise.resolve();
      r.advance(500);
      off();
      return { writes, kv: r.state().nodes.map((n) => n.kv.k ?? null) };
    });
    assert.equal(r.writes, 1, 'the listener ran once');
    assert.ok(r.kv.filter((v) => v === '1').length >= 3, `the listener's write was committed: ${JSON.stringify(r.kv)}`);
  });
});

// --- The page and the CLI give the same trace. ------------------------------------------

const SCENARIO = {
  version: 1,
  seed: 2024,
  nodes: 5,
  until_ms: 4000,
  config: {
    election_timeout_ms: [150, 300],
    heartbeat_ms: 50,
    latency_ms: [10, 15],
    drop_rate: 0.02,
    duplicate_rate: 0.05,
  },
  events: [
    { at_ms: 400, do: 'client_write', key: 'a', value: '1' },
    { at_ms: 700, do: 'crash', node: 'leader' },
    { at_ms: 1100, do: 'client_write', key: 'b', value: '2' },
    { at_ms: 1500, do: 'partition', groups: [[1, 2], [3, 4, 5]] },
    { at_ms: 1600, do: 'client_write', key: 'c', value: '3' },
    { at_ms: 1800.5, do: 'cut', nodes: [3, 4] },
    { at_ms: 2000, do: 'isolate', node: 'leader' },
    { at_ms: 2400, do: 'heal' },
    { at_ms: 2500, do: 'restart', node: 1 },
    { at_ms: 2500, do: 'restart', node: 2 },
    { at_ms: 2600, do: 'restart', node: 3 },
    { at_ms: 2700, do: 'timeout', node: 4 },
    { at_ms: 3000, do: 'set', latency_ms: [5, 20], drop_rate: 0 },
    { at_ms: 3200, do: 'client_delete', key: 'a' },
    { at_ms: 3300, do: 'restore', nodes: [3, 4] },
    { at_ms: 3500, do: 'client_write', node: 2, key: 'd', value: '4' },
  ],
};

test('the same scenario gives the same trace in the page as in the CLI', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const out = await page.evaluate((s) => {
      const r = window.raftlab;
      r.pause();
      r.load(s);
      r.pause();
      r.advance(s.until_ms);
      return { trace: r.trace(), state: r.state(), scenario: r.scenario(), seed: r.seed() };
    }, SCENARIO);
    assert.equal(out.seed, SCENARIO.seed, 'seed() is the scenario seed');
    assert.equal(out.state.time_ms, SCENARIO.until_ms, 'advanced to until_ms');
    assert.equal(out.scenario.until_ms, SCENARIO.until_ms, 'scenario().until_ms is now');
    const pageLines = out.trace.split('\n').filter(Boolean);
    assert.ok(out.trace.endsWith('\n'), 'trace() ends with a newline');
    // The original scenario and the page's export give the page's trace in the CLI.
    const original = cliTrace(SCENARIO);
    assertSameTrace(pageLines, original.lines, 'original scenario');
    assertStateMatchesFinals(out.state, original.finals);
    const exported = cliTrace(out.scenario);
    assertSameTrace(pageLines, exported.lines, 'exported scenario()');
  });
});

test('live actions in the page replay exactly in the CLI from scenario()', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const out = await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(77, 5);
      r.pause();
      r.configure({ duplicate_rate: 0.1 });
      r.advance(1200);
      const leader = () => r.state().nodes.filter((n) => n.alive && n.role === 'leader').sort((a, b) => b.term - a.term)[0];
      r.clientWrite('p', '1');
      r.advance(333.333);
      r.crash(leader().id);
      r.advance(700);
      r.clientWrite('q', '2');
      r.step();
      r.step();
      r.advance(250.5);
      r.partition([[1, 2]]);
      r.clientWrite('r', '3', 3);
      r.advance(600);
      r.cut(3, 5);
      r.isolate(4);
      r.advance(400);
      r.heal();
      r.configure({ latency_ms: [3, 9], heartbeat_ms: 30, election_timeout_ms: [120, 240] });
      r.advance(500);
      for (const n of r.state().nodes) if (!n.alive) r.restart(n.id);
      r.timeout(1);
      r.advance(800);
      r.restore(3, 5);
      r.clientWrite('s', '4');
      r.advance(1000);
      return { trace: r.trace(), state: r.state(), scenario: r.scenario() };
    });
    const pageLines = out.trace.split('\n').filter(Boolean);
    assert.equal(out.scenario.until_ms, out.state.time_ms, 'scenario().until_ms is now');
    assert.ok(out.scenario.events.length >= 12, `scenario() records the live actions (${out.scenario.events.length} events)`);
    const cli = cliTrace(out.scenario);
    assertSameTrace(pageLines, cli.lines, 'exported live run');
    assertStateMatchesFinals(out.state, cli.finals);
  });
});

test('load() takes a JSON string (examples/basic.json) and matches the CLI', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const text = readFileSync(path.join(ROOT, 'examples/basic.json'), 'utf8');
    const until = JSON.parse(text).until_ms;
    const out = await page.evaluate(([text, until]) => {
      const r = window.raftlab;
      r.pause();
      r.load(text);
      r.pause();
      r.advance(until);
      return { trace: r.trace(), state: r.state() };
    }, [text, until]);
    const cli = cliTrace(text);
    assertSameTrace(out.trace.split('\n').filter(Boolean), cli.lines, 'examples/basic.json');
    assertStateMatchesFinals(out.state, cli.finals);
    // The page shows the loaded run.
    const leader = leaderOf(out.state);
    await eventually(async () => (await nodeLabel(page, leader.id)).startsWith(`Node ${leader.id}, S${leader.id}, leader, term ${leader.term}`), {
      message: `Node ${leader.id} labelled leader of term ${leader.term}`,
    });
  });
});

// --- Screenshots. ----------------------------------------------------------------------

async function showcase(page) {
  await page.evaluate(() => {
    const r = window.raftlab;
    r.pause();
    r.reset(42, 5);
    r.pause();
    r.advance(1200);
    r.clientWrite('x', '1');
    r.advance(300);
    r.clientWrite('y', '2');
    r.advance(300);
    r.clientWrite('name', 'raft');
    r.advance(1500);
  });
  await frames(page, 3);
}

async function assertNoHorizontalScroll(page, width) {
  const sw = await page.evaluate(() => document.documentElement.scrollWidth);
  assert.ok(sw <= width, `no horizontal scrolling at ${width} px wide (document is ${sw} px wide)`);
}

test('screenshots: desktop 1280x800 (plain, help open, partition)', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await showcase(page);
    await page.screenshot({ path: path.join(SHOTS, 'desktop.png'), fullPage: true });
    await assertNoHorizontalScroll(page, 1280);
    await page.locator('body').focus();
    await page.keyboard.press('?');
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'desktop-help.png'), fullPage: true });
    await page.keyboard.press('Escape');
    // The leader and one follower cut off from the other three; a write to the old leader stays
    // uncommitted while the majority elects a new leader and commits its own write.
    await page.evaluate(() => {
      const r = window.raftlab;
      const old = r.state().nodes.filter((n) => n.role === 'leader')[0].id;
      const buddy = old === 1 ? 2 : 1;
      r.partition([[old, buddy]]);
      r.clientWrite('z', 'lost', old);
      r.advance(1200);
      r.clientWrite('z', 'kept');
      r.advance(300);
    });
    await frames(page, 3);
    await page.screenshot({ path: path.join(SHOTS, 'desktop-partition.png'), fullPage: true });
  }, { viewport: { width: 1280, height: 800 } });
});

test('screenshots: phone 390x844 with touch (plain, help open); a tap selects a node', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await showcase(page);
    await page.screenshot({ path: path.join(SHOTS, 'phone.png'), fullPage: true });
    await nodeButton(page, 1).tap();
    await page.getByRole('button', { name: 'Crash S1', exact: true }).waitFor();
    await page.getByRole('button', { name: 'Help', exact: true }).tap();
    await page.getByRole('dialog', { name: 'Keyboard shortcuts' }).waitFor();
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'phone-help.png'), fullPage: true });
    await page.keyboard.press('Escape');
    await assertNoHorizontalScroll(page, 390);
  }, { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 });
});

// ---------------------------------------------------------------------------------------
// Time travel (issue 4).

/** Builds a 10 s run with actions of several kinds; returns its whole scenario. */
async function busyRun(page, seed) {
  return page.evaluate((seed) => {
    const r = window.raftlab;
    r.pause();
    r.reset(seed, 5);
    r.pause();
    r.advance(1500);
    r.crash('leader');
    r.advance(1200);
    r.clientWrite('x', '1');
    r.advance(900);
    r.partition([[1, 2], [3, 4, 5]]);
    r.advance(2000);
    r.heal();
    r.clientWrite('y', '2');
    r.advance(4400);
    return r.scenario();
  }, seed);
}

const withoutEnd = (st) => ({ ...st, end_ms: undefined });

test('time travel: seeking back and forth matches a fresh replay, and trace() matches the CLI there', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const whole = await busyRun(page, 21);
    assert.equal(whole.until_ms, 10000);
    const seen = {};
    for (const ms of [4321.5, 150, 9999, 2700, 7000.1, 10000, 0]) {
      seen[ms] = await page.evaluate((ms) => {
        window.raftlab.seek(ms);
        return { state: window.raftlab.state(), trace: window.raftlab.trace(), scenario: window.raftlab.scenario() };
      }, ms);
      assert.equal(seen[ms].state.time_ms, ms, `seek(${ms}) shows that moment`);
      assert.equal(seen[ms].state.end_ms, 10000, 'seeking does not change the run');
    }
    // The trace at 4321.5 ms is what the CLI gives for the scenario up to there.
    const at = seen[4321.5];
    assert.equal(at.scenario.until_ms, 4321.5);
    assertSameTrace(at.trace.split('\n').filter((l) => l), cliTrace(at.scenario).lines, 'seek(4321.5)');
    // A fresh replay of the whole run shows the same states at the same moments.
    for (const ms of [150, 2700, 4321.5, 7000.1, 9999, 10000]) {
      const fresh = await page.evaluate(
        ([scenario, ms]) => {
          const r = window.raftlab;
          r.load(scenario);
          r.pause();
          r.advance(ms);
          return r.state();
        },
        [whole, ms],
      );
      assert.deepEqual(withoutEnd(fresh), withoutEnd(seen[ms].state), `state at ${ms} ms`);
    }
  });
});

test('time travel: the timeline slider, Back, Step and the keys', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await busyRun(page, 22);
    const slider = page.getByRole('slider', { name: 'Timeline' });
    assert.equal(await slider.getAttribute('max'), '100000', 'the slider covers the run in 0.1 ms units');
    await slider.fill('30000');
    await eventually(async () => (await state(page)).time_ms === 3000, { message: 'dragging the slider to 3000 ms' });
    assert.match(await page.locator('.tl-info').innerText(), /3000\.0 ms of 10000\.0 ms/);
    assert.match(await page.locator('.tl-info').innerText(), /the past/);
    // Marks for the elections, the crash, the partition and the heal.
    for (const kind of ['election', 'crash', 'partition', 'heal', 'commit']) {
      assert.equal(await page.locator(`.timeline .marks path.${kind}`).count(), 1, `${kind} marks`);
    }
    await page.getByRole('button', { name: 'Back', exact: true }).click();
    const back = (await state(page)).time_ms;
    assert.ok(back < 3000, `Back went to ${back}`);
    await page.getByRole('button', { name: 'Step', exact: true }).click();
    const forward = (await state(page)).time_ms;
    assert.ok(forward > back && forward <= 3000 + 1000, `Step went to ${forward}`);
    await page.locator('body').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press(',');
    assert.equal((await state(page)).time_ms, back, ', steps back to the same moment');
    await page.keyboard.press('End');
    assert.equal((await state(page)).time_ms, 10000, 'End goes to the end');
    await page.keyboard.press('Home');
    assert.equal((await state(page)).time_ms, 0, 'Home goes to the start');
    await page.keyboard.press('ArrowRight');
    assert.ok((await state(page)).time_ms > 0, '→ steps forward');
    await slider.fill('45000');
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'desktop-timetravel.png'), fullPage: true });
  });
});

test('time travel: acting in the past forks the run and says so; the CLI replays the fork', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await busyRun(page, 23);
    await page.evaluate(() => window.raftlab.seek(5000));
    await selectNode(page, 2);
    await page.getByRole('button', { name: 'Crash S2', exact: true }).click();
    await eventually(async () => /You changed the past/.test(await page.locator('.notice').innerText()), {
      message: 'the fork notice',
    });
    assert.match(await page.locator('.notice').innerText(), /from 5000\.0 ms.*up to 10000\.0 ms/);
    const st = await state(page);
    assert.equal(st.end_ms, 5000, 'the old future is gone');
    assert.equal(st.nodes[1].alive, false);
    const scenario = await page.evaluate(() => window.raftlab.scenario());
    assert.ok(scenario.events.every((e) => e.at_ms <= 5000));
    assert.deepEqual(scenario.events.at(-1), { at_ms: 5000, do: 'crash', node: 2 });
    await advance(page, 2000);
    const scenario2 = await page.evaluate(() => window.raftlab.scenario());
    const cli = cliTrace(scenario2);
    assertSameTrace((await trace(page)).split('\n').filter((l) => l), cli.lines, 'forked run');
  });
});

// ---------------------------------------------------------------------------------------
// Share links (issue 4).

test('share links: a copied link opened in a new page gives the same state at the same moment', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await busyRun(page, 31);
    await page.evaluate(() => window.raftlab.seek(6543.2));
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy link', exact: true }).click();
    await eventually(async () => new URL(page.url()).hash.startsWith('#v=1&'), { message: 'the link in the address bar' });
    const url = page.url();
    const hash = new URL(url).hash;
    t.diagnostic(`link of a 5-action, 10 s session: ${hash.length} characters: ${hash}`);
    assert.ok(hash.length < 2000);
    assert.equal(hash.slice(1), await page.evaluate(() => window.raftlab.link()));
    await eventually(async () => /Link copied/.test(await page.locator('.notice').innerText()), {
      message: 'the copy notice',
    });
    // The clipboard holds the whole address, which a reader can paste anywhere.
    assert.equal(await page.evaluate(() => navigator.clipboard.readText()), url);
    assert.match(await page.locator('.notice').innerText(), /it opens this run at this moment/);
    const here = await page.evaluate(() => ({ state: window.raftlab.state(), trace: window.raftlab.trace() }));
    assert.equal(here.state.time_ms, 6543.2);
    const { context, page: other, problems } = await openPage(browser, url, server.origin);
    try {
      await pageReady(other);
      await eventually(async () => (await state(other)).time_ms === 6543.2, { message: 'the link opens at 6543.2 ms' });
      const there = await other.evaluate(() => {
        window.raftlab.pause();
        return { state: window.raftlab.state(), trace: window.raftlab.trace() };
      });
      assert.deepEqual(there.state, here.state, 'same state() at the same moment');
      assert.equal(there.trace, here.trace, 'same trace up to that moment');
      assert.match(await other.locator('.notice').innerText(), /Opened a shared run: seed 31, 5 nodes, 5 actions/);
      assert.deepEqual(problems(), []);
      await other.screenshot({ path: path.join(SHOTS, 'desktop-opened-link.png'), fullPage: true });
    } finally {
      await context.close();
    }
  });
});

test('share links: every kind of bad link says what is wrong and keeps the current run', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const good = await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(5, 5);
      r.pause();
      r.advance(800);
      r.crash('leader');
      r.advance(700);
      return r.link();
    });
    const before = await state(page);
    const cases = [
      ['malformed', 'v=1&seed=x&n=5&u=10', /seed/],
      ['truncated', good.slice(0, good.indexOf('&e=') + 6), /cannot be opened/],
      ['oversized', 'v=1&seed=1&n=5&e=' + '1h,'.repeat(40000) + '&u=10', /too long|100000|100,000/],
      ['newer version', 'v=2&seed=1&n=5&u=10', /newer raftlab/],
      ['not a raftlab link', 'section-2', /cannot be opened/],
      ['bad node', 'v=1&seed=1&n=3&e=5c7&u=10', /node 7/],
      ['too long a run', 'v=1&seed=1&n=3&u=86400000', /up to 7200000\.0 ms/],
    ];
    for (const [what, link, message] of cases) {
      await page.evaluate((link) => {
        location.hash = link;
      }, link);
      await eventually(async () => message.test(await page.locator('.notice').innerText()), {
        message: `the notice for a ${what} link`,
      });
      assert.match(await page.locator('.notice').innerText(), /unchanged/, `${what}: says the run is kept`);
      assert.deepEqual(await state(page), before, `${what}: the run is unchanged`);
      const thrown = await page.evaluate((link) => {
        try {
          window.raftlab.openLink(link);
          return 'no error';
        } catch (e) {
          return e instanceof Error ? e.message : 'not an Error';
        }
      }, link);
      assert.match(thrown, /^raftlab\.openLink: /, `${what}: openLink throws an Error`);
    }
    // The good link still opens, at the moment it was made.
    await page.evaluate((link) => {
      location.hash = link;
    }, good);
    await eventually(async () => /Opened a shared run/.test(await page.locator('.notice').innerText()), { message: 'good link' });
    assert.deepEqual(await state(page), before);
  });
});

test('share links: a bad link on first load shows a message and the default run', LIMIT, async (t) => {
  const { context, page, problems } = await openPage(browser, server.url + '#v=9&seed=1', server.origin);
  try {
    await pageReady(page);
    await eventually(async () => /newer raftlab/.test(await page.locator('.notice').innerText()), { message: 'notice' });
    assert.equal((await state(page)).nodes.length, 5);
    assert.deepEqual(problems(), []);
  } finally {
    await context.close();
  }
});

// ---------------------------------------------------------------------------------------
// PreVote and CheckQuorum (issue 5).

test('PreVote and CheckQuorum: the settings boxes turn them on; a returning node no longer disrupts', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await resetAndAdvance(page, 1, 5, 0);
    await openSection(page, 'Settings');
    await page.getByRole('checkbox', { name: 'PreVote (thesis 9.6)' }).check();
    await page.getByRole('checkbox', { name: 'CheckQuorum (thesis 6.2)' }).check();
    const config = effectiveConfig(await page.evaluate(() => window.raftlab.scenario()));
    assert.equal(config.pre_vote, true);
    assert.equal(config.check_quorum, true);
    const run = await page.evaluate(() => {
      const r = window.raftlab;
      r.advance(1000);
      const before = r.state();
      const leader = before.nodes.find((n) => n.role === 'leader');
      const follower = before.nodes.find((n) => n.role !== 'leader');
      r.isolate(follower.id);
      r.advance(600);
      const during = r.state();
      r.advance(1400);
      r.heal();
      r.advance(1000);
      return { leader, follower, during, after: r.state(), trace: r.trace() };
    });
    const cut = run.during.nodes[run.follower.id - 1];
    assert.equal(cut.term, run.leader.term, 'the cut-off node keeps its term');
    assert.ok(/"kind":"become_precandidate"/.test(run.trace), 'it asked for pre-votes');
    const leaderAfter = run.after.nodes[run.leader.id - 1];
    assert.equal(leaderAfter.role, 'leader');
    assert.equal(leaderAfter.term, run.leader.term, 'the leader was not deposed');
    // The page's run is what the CLI gives.
    const scenario = await page.evaluate(() => window.raftlab.scenario());
    assertSameTrace(run.trace.split('\n').filter((l) => l), cliTrace(scenario).lines, 'PreVote run');
    // Mid pre-vote, the picture says so.
    await page.evaluate(() => {
      const r = window.raftlab;
      r.isolate(2);
      r.advance(700);
    });
    await frames(page);
    const label = await nodeLabel(page, 2);
    assert.match(label, /^Node 2, S2, (precandidate, term \d+, \d of 3 pre-votes|follower)/);
    await page.screenshot({ path: path.join(SHOTS, 'desktop-prevote.png'), fullPage: true });
  });
});

// ---------------------------------------------------------------------------------------
// Reads and linearizability (issue 5).

test('reads: the stale read example shows a non-linearizable history, pointing at the stale read', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    const text = readFileSync(path.join(ROOT, 'examples/stale-read.json'), 'utf8');
    const r = await page.evaluate((text) => {
      const api = window.raftlab;
      api.load(text);
      api.pause();
      api.advance(3000);
      return { history: api.history(), trace: api.trace(), scenario: api.scenario() };
    }, text);
    assert.equal(r.history.linearizable, false);
    assert.equal(r.history.verdict, 'not_linearizable');
    assert.equal(r.history.culprit, 3);
    const stale = r.history.ops.find((op) => op.id === 3);
    assert.deepEqual(
      { kind: stale.kind, value: stale.value, mode: stale.mode },
      { kind: 'read', value: '1', mode: 'leader_local' },
    );
    assert.match(r.history.problem, /request 3 \(read x -> 1 \[leader_local\]/);
    assertSameTrace(r.trace.split('\n').filter((l) => l), cliTrace(r.scenario).lines, 'stale-read example');
    await frames(page);
    await openSection(page, 'Client history');
    const panel = page.getByRole('region', { name: 'Client history' });
    assert.match(await panel.innerText(), /Not linearizable/);
    assert.equal(await panel.locator('.op.culprit').count(), 1);
    await panel.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'desktop-history.png'), fullPage: true });
  });
});

test('reads: the Send read button and clientRead() in each mode; setClockRate; bad arguments', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await resetAndAdvance(page, 4, 5, 1000);
    await openSection(page, 'Client');
    await page.getByRole('button', { name: 'Send write', exact: true }).click();
    await advance(page, 200);
    await page.getByLabel('Read mode').selectOption('lease');
    await page.getByRole('button', { name: 'Send read', exact: true }).click();
    await advance(page, 200);
    const h = await page.evaluate(() => {
      const api = window.raftlab;
      for (const mode of ['any', 'leader_local', 'read_index', undefined]) api.clientRead('x', mode);
      api.setClockRate(2, 0.5);
      api.advance(300);
      return { history: api.history(), scenario: api.scenario() };
    });
    const reads = h.history.ops.filter((op) => op.kind === 'read');
    assert.deepEqual(reads.map((op) => op.mode), ['lease', 'any', 'leader_local', 'read_index', 'read_index']);
    assert.ok(reads.every((op) => op.value === '1' && op.returned_ms !== null), JSON.stringify(reads));
    assert.equal(h.history.linearizable, true);
    assert.equal(h.history.verdict, 'linearizable');
    assert.ok(h.scenario.events.some((e) => e.do === 'clock_rate' && e.node === 2 && e.rate === 0.5));
    const errors = await page.evaluate(() => {
      const out = {};
      for (const [name, f] of Object.entries({
        'clientRead(1)': () => window.raftlab.clientRead(1),
        "clientRead('x', 'fast')": () => window.raftlab.clientRead('x', 'fast'),
        "setClockRate(1, 500)": () => window.raftlab.setClockRate(1, 500),
        'setClockRate()': () => window.raftlab.setClockRate(),
      })) {
        try {
          f();
          out[name] = 'no error';
        } catch (e) {
          out[name] = e instanceof Error ? e.message : 'not an Error';
        }
      }
      return out;
    });
    assert.match(errors['clientRead(1)'], /^raftlab\.clientRead: key must be a string/);
    assert.match(errors["clientRead('x', 'fast')"], /mode: expected a read mode/);
    assert.match(errors['setClockRate(1, 500)'], /rate: must be between 0.01 and 100/);
    assert.match(errors['setClockRate()'], /give a node number/);
  });
});

test('the page shows the majority size and the failures the cluster survives (2f+1)', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    // The voters of the configuration in use (membership.mjs tests it as servers come and go).
    for (const [n, text] of [
      [5, /5 voters: a majority is 3, so the cluster survives 2 failures\./],
      [2, /2 voters: a majority is 2, so the cluster survives 0 failures \(2 voters tolerate no failure: one is not a majority of two\)/],
      [4, /4 voters: a majority is 3, so the cluster survives 1 failure \(4 voters tolerate no more failures than 3\)/],
      [1, /1 voter: a majority is 1, so the cluster survives 0 failures\./],
    ]) {
      await resetAndAdvance(page, 3, n, 0);
      await eventually(async () => text.test(await page.locator('.quorum').innerText()), { message: `${n} servers` });
    }
  });
});

// ---------------------------------------------------------------------------------------
// Log compaction (paper section 7).

test('snapshots: a follower down while the leader compacts is caught up by InstallSnapshot; the CLI replays it', LIMIT, async (t) => {
  await withPage(t, async (page) => {
    await resetAndAdvance(page, 3, 5, 1000);
    const run = await page.evaluate(() => {
      const r = window.raftlab;
      r.configure({ snapshot_threshold: 5 });
      const leader = r.state().nodes.find((n) => n.role === 'leader');
      const follower = leader.id === 1 ? 2 : 1;
      r.crash(follower);
      for (let i = 0; i < 12; i++) {
        r.clientWrite(`k${i % 3}`, `v${i}`);
        r.advance(60);
      }
      r.restart(follower);
      r.advance(1000);
      return { leader: leader.id, follower, state: r.state(), trace: r.trace(), scenario: r.scenario() };
    });
    const leader = run.state.nodes[run.leader - 1];
    const follower = run.state.nodes[run.follower - 1];
    assert.equal(leader.role, 'leader');
    assert.ok(follower.snapshot_index >= 5, `S${run.follower} has a snapshot: ${JSON.stringify(follower)}`);
    assert.ok(follower.snapshot_term >= 1);
    assert.deepEqual(follower.kv, leader.kv);
    assert.equal(leader.kv.k2, 'v11');
    // `log` starts after the snapshot: both end at the same absolute index.
    assert.equal(follower.snapshot_index + follower.log.length, leader.snapshot_index + leader.log.length);
    assert.ok(/"kind":"install_snapshot","node":/.test(run.trace), 'an InstallSnapshot was installed');
    assert.ok(/"type":"InstallSnapshot"/.test(run.trace));
    assert.equal(effectiveConfig(run.scenario).snapshot_threshold, 5);
    const cli = cliTrace(run.scenario);
    assertSameTrace(run.trace.split('\n').filter(Boolean), cli.lines, 'snapshot run');
    // The log view shows the boundary, and the Settings field the threshold.
    const boundary = page.getByLabel(new RegExp(`^S${run.follower} snapshot: entries 1 to \\d+`));
    await boundary.first().waitFor();
    assert.match(await page.locator('.logtable').innerText(), /snapshot\s*≤ \d+/);
    await openSection(page, 'Settings');
    assert.equal(await page.getByLabel('Snapshot every (entries)').inputValue(), '5');
    await page.getByText('Legend').click();
    await page.screenshot({ path: path.join(SHOTS, 'desktop-snapshots.png'), fullPage: true });
    // Halfway through the InstallSnapshot's flight, the picture draws it ("SNAP").
    const send = parseNdjson(run.trace).find((e) => e.kind === 'send' && e.msg.type === 'InstallSnapshot');
    await page.evaluate((ms) => window.raftlab.seek(ms), (send.t_us + send.deliver_at_us) / 2000);
    await frames(page);
    await page.locator('canvas').first().screenshot({ path: path.join(SHOTS, 'desktop-snapshot-message.png') });
  });
});
import './systems.mjs';
