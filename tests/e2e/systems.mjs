// Browser tests of the systems other than Raft (issue 12): a leaderless quorum run and a lease
// run, loaded through the API, the Files panel and a dropped file; the picture names each
// server's role and shows its values or beliefs; state() reports them; the Safety section
// shows the violation; axe-core finds nothing; a new run of another system from the System
// choice. Screenshots go to target/screenshots/systems-*.png. Run by
// `node --test tests/e2e/run.mjs` (which imports this file) or alone:
// `node --test tests/e2e/systems.mjs`. Set-up in harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { frames, openSection, eventually } from './browser.mjs';
import { LIMIT, ROOT, SHOTS, pageUrl, withPage, noticeText } from './harness.mjs';

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
const QUORUM = readFileSync(path.join(ROOT, 'examples/quorum-lww-skew.json'), 'utf8');
const LEASE = readFileSync(path.join(ROOT, 'examples/lease-pause.json'), 'utf8');

async function axe(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  });
  assert.deepEqual(violations, [], `axe-core finds no WCAG 2.1 A/AA violation (${what}):\n${JSON.stringify(violations, null, 2)}`);
}

const node = (page, id) => page.getByRole('button', { name: new RegExp(`^Node ${id}, S${id}, `) });
const nodeName = async (page, id) => (await node(page, id).getAttribute('aria-label')) ?? '';

/** Pauses and runs the loaded run to `ms`. */
const runTo = (page, ms) =>
  page.evaluate((ms) => {
    const r = window.raftlab;
    r.pause();
    r.advance(ms - r.state().time_ms);
    return r.state();
  }, ms);

async function safetyText(page) {
  await openSection(page, 'Safety').catch(() => {});
  return page.locator('section[aria-label="Safety"]').innerText();
}

test('systems: a quorum run loaded through the API shows replicas, versions and the lost write', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await page.evaluate((text) => window.raftlab.load(JSON.parse(text)), QUORUM);
    const st = await runTo(page, 1500);
    assert.equal(st.system, 'quorum');
    assert.deepEqual(st.nodes, [], 'no Raft servers');
    assert.equal(st.replicas.length, 3);
    for (const r of st.replicas) {
      assert.ok(Array.isArray(r.store.x) && r.store.x.length >= 1, `S${r.node} holds x: ${JSON.stringify(r)}`);
      assert.match(r.store.x[0][1], /^\d+@S\d$/, 'a version is a stamp with its coordinator');
    }
    await frames(page);
    for (const id of [1, 2, 3]) assert.match(await nodeName(page, id), new RegExp(`^Node ${id}, S${id}, replica, x=`));
    // Drawn beside the servers, compact: x=value · version.
    const drawn = await page.locator('svg.words .sysline').allTextContents();
    assert.ok(drawn.some((l) => /^x=\d · \d+@S\d$/.test(l)), `values drawn: ${drawn}`);
    // The table under the picture: replicas × keys.
    const table = await page.locator('section[aria-label="Replicas"]').innerText();
    assert.match(table, /S1/);
    const safety = await safetyText(page);
    assert.match(safety, /BROKEN/, 'the lost acknowledged write is a violation');
    // The quorum setting is stated, as a setting and not a guarantee.
    assert.match(safety, /R \+ W > N \(2 \+ 2 > 3\): every read quorum meets every write quorum[^]*A setting, not a guarantee/);
    // Raft's key-value stores section says where this system's data is, not an empty list.
    await openSection(page, 'Key-value stores');
    assert.match(
      await page.locator('section[aria-label="Key-value stores"]').innerText(),
      /no state machine: each replica's value and version per key are in the Replicas table/,
    );
    // A write fans out from its coordinator to every other replica (the messages the picture
    // draws), and the coordinator shows its acks as they come: its own first.
    const fan = await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.clientWrite('y', '7');
      r.advance(1);
      return r.messages().filter((m) => m.type === 'Write').map((m) => [m.from, m.to]);
    });
    assert.equal(fan.length, 2, `the write goes to the two other replicas: ${JSON.stringify(fan)}`);
    const coordinator = fan[0][0];
    assert.deepEqual(fan.map(([, to]) => to).sort(), [1, 2, 3].filter((n) => n !== coordinator));
    await frames(page);
    assert.match(await nodeName(page, coordinator), /write y: acks 1\/2/, 'the coordinator counts its own ack and waits for one more');
    await page.screenshot({ path: path.join(SHOTS, 'systems-quorum.png') });
    await axe(page, 'quorum run');
    // The Raft-only node actions are not offered; the pause is.
    await node(page, 2).click();
    const pauseButton = page.getByRole('button', { name: 'Pause S2 1 s' }).first();
    await pauseButton.waitFor();
    // The pause is an action of every system: the button and the API record it.
    const before = await page.evaluate(() => window.raftlab.scenario().events.length);
    await pauseButton.click();
    const paused = await page.evaluate(() => {
      const r = window.raftlab;
      const last = r.scenario().events.at(-1);
      r.pauseServer(3, 250);
      const api = r.scenario().events.at(-1);
      const tries = [() => r.pauseServer(), () => r.pauseServer(9, 100), () => r.pauseServer(2, 0), () => r.pauseServer(2)];
      const errors = tries.map((f) => { try { f(); return 'no error'; } catch (e) { return e.message; } });
      return { last, api, errors, count: r.scenario().events.length };
    });
    assert.equal(paused.count, before + 2, JSON.stringify(paused));
    assert.equal(paused.last.do, 'pause');
    assert.equal(paused.last.node, 2);
    assert.equal(paused.last.ms, 1000);
    assert.deepEqual([paused.api.do, paused.api.node, paused.api.ms], ['pause', 3, 250]);
    assert.equal(paused.errors[0], 'raftlab.pauseServer(id, ms): give a node number or "leader", then the pause in ms');
    assert.match(paused.errors[1], /^raftlab\.pauseServer\.node: node 9 does not exist/);
    assert.match(paused.errors[2], /^raftlab\.pauseServer\.ms: /);
    assert.match(paused.errors[3], /^raftlab\.pauseServer\.ms: /);
    await runTo(page, 2700);
    assert.ok(
      (await page.evaluate(() => window.raftlab.trace())).split('\n').some((l) => l.includes('"kind":"wake"') && l.includes('"node":2')),
      'S2 woke in the trace',
    );
    assert.equal(await page.getByRole('button', { name: /^Time out S2/ }).count(), 0);
    // What only Raft can do throws a plain Error through the API, and nothing is recorded.
    const refusals = await page.evaluate(() => {
      const r = window.raftlab;
      const events = r.scenario().events.length;
      const tries = [
        () => r.transferLeadership(2),
        () => r.fireTimer(2),
        () => r.configure({ pre_vote: true }),
        () => r.configure({ timers: 'manual' }),
      ];
      const messages = tries.map((f) => {
        try {
          f();
          return 'no error';
        } catch (e) {
          return `${e instanceof Error}: ${e.message}`;
        }
      });
      return { messages, recorded: r.scenario().events.length - events };
    });
    assert.deepEqual(refusals.messages, [
      'true: raftlab.transferLeadership: "transfer_leadership" hands over Raft leadership: the quorum system does not have it',
      'true: raftlab.fireTimer: "fire_timer" fires a Raft timer by hand: the quorum system does not have it',
      'true: raftlab.configure.pre_vote: a Raft setting; the quorum system does not use it',
      'true: raftlab.configure.timers: a Raft setting; the quorum system does not use it',
    ]);
    assert.equal(refusals.recorded, 0);
    // The Network section offers delivery by hand (every system) but not timers by hand.
    await openSection(page, 'Network');
    const network = page.getByRole('region', { name: 'Network', exact: true });
    assert.equal(await network.getByRole('group', { name: 'Delivery' }).count(), 1);
    assert.equal(await network.getByRole('group', { name: 'Timers' }).count(), 0);
  });
});

test('systems: a lease run opened in the Files panel shows the record, beliefs and the resource', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await openSection(page, 'Files');
    await page.getByLabel('Open scenario…', { exact: true }).setInputFiles({ name: 'lease-pause.json', mimeType: 'application/json', buffer: Buffer.from(LEASE) });
    await eventually(async () => (await noticeText(page)).startsWith('Opened lease-pause.json'), { message: 'the "Opened" notice' });
    const mid = await runTo(page, 1200);
    assert.equal(mid.system, 'lease');
    const st = await runTo(page, 6000);
    assert.equal(typeof st.store.token, 'number', JSON.stringify(st.store));
    assert.equal(st.candidates.length, 2);
    assert.ok(st.candidates.every((c) => typeof c.believes.leading === 'boolean'));
    assert.ok(st.resource.accepted > 0, 'the resource accepted writes');
    await frames(page);
    assert.match(await nodeName(page, 1), /^Node 1, S1, store, holder S\d/);
    assert.match(await nodeName(page, 2), /^Node 2, S2, candidate, /);
    assert.match(await nodeName(page, 4), /^Node 4, S4, resource, highest token \d+/);
    assert.match(await safetyText(page), /BROKEN/, 'the stale write the resource accepted is a violation');
    await page.screenshot({ path: path.join(SHOTS, 'systems-lease.png') });
    await axe(page, 'lease run');
    // Mid-run, during the pause: the paused candidate still believes it leads.
    await page.evaluate(() => window.raftlab.seek(3000));
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'systems-lease-pause.png') });
    // Why: selecting S2 sets its belief against the store's record, in the page and in
    // raftlab.explain (the same words).
    await node(page, 2).click();
    const why = page.getByRole('group', { name: 'Why' });
    await why.getByText('this belief is stale').waitFor();
    assert.match(await why.innerText(), /S2, the candidate/);
    const api = await page.evaluate(() => window.raftlab.explain({ node: 2 }));
    assert.ok(api.lines.some((l) => l.startsWith("But the store's record names S3 (token 34): this belief is stale")), api.lines.join('\n'));
    for (const line of api.lines) assert.ok((await why.innerText()).includes(line), `shown: ${line}`);
    await page.screenshot({ path: path.join(SHOTS, 'systems-lease-why.png') });
    await axe(page, 'lease run, a candidate selected');
    // A message of this system has its receiver's reaction, predicted.
    await page.evaluate(() => window.raftlab.seek(3502));
    const write = await page.evaluate(() => window.raftlab.messages().find((m) => m.type === 'Write' && m.to === 4));
    assert.ok(write, 'the stale write is on the wire');
    const said = await page.evaluate((id) => window.raftlab.explain({ message: id }), write.id);
    assert.ok(said.lines.includes('If it arrived now, S4 would: take the write with token 33 (no fencing).'), said.lines.join('\n'));
    // A lease run has no log.
    const err = await page.evaluate(() => { try { window.raftlab.explain({ node: 2, index: 1 }); return 'no error'; } catch (e) { return e.message; } });
    assert.match(err, /a lease run has no log: explain a server or a message on the wire instead/);
  });
});

test('systems: a dropped quorum file, then a new lease run from the System choice', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const dt = await page.evaluateHandle((text) => {
      const dt = new DataTransfer();
      dt.items.add(new File([text], 'quorum.json', { type: 'application/json' }));
      return dt;
    }, QUORUM);
    await page.dispatchEvent('main', 'dragenter', { dataTransfer: dt });
    await page.dispatchEvent('main', 'dragover', { dataTransfer: dt });
    await page.dispatchEvent('main', 'drop', { dataTransfer: dt });
    await eventually(async () => (await page.evaluate(() => window.raftlab.state().system)) === 'quorum', { message: 'the dropped quorum run' });
    await runTo(page, 900);
    await openSection(page, 'Settings').catch(() => {});
    // A quorum larger than N is refused with the scenario file's own reason; the run stays.
    const before = await page.evaluate(() => window.raftlab.state().time_ms);
    await page.getByLabel('Write quorum W').fill('9');
    await page.getByLabel('Write quorum W').dispatchEvent('change');
    await eventually(async () => /"9" is not a valid setting here: write_quorum is 9: it must be between 1 and N = \d\. The run is unchanged\./.test(await page.locator('.notice').innerText()), { message: 'W = 9 refused' });
    assert.ok((await page.evaluate(() => window.raftlab.state().time_ms)) >= before, 'the same run goes on');
    await page.getByLabel('System (starts a new run)').selectOption('lease');
    await eventually(async () => (await page.evaluate(() => window.raftlab.state().system)) === 'lease', { message: 'a lease run' });
    const st = await runTo(page, 2000);
    assert.equal(st.candidates.length, 2, 'four servers: store, two candidates, resource');
    // The lease's own settings: each starts a new run with it; a bad value changes nothing.
    await page.getByLabel('Watch delay (ms)').fill('120');
    await page.getByLabel('Watch delay (ms)').dispatchEvent('change');
    await eventually(async () => (await page.evaluate(() => window.raftlab.scenario().lease?.watch_delay_ms)) === 120, { message: 'watch delay 120 ms' });
    await page.getByLabel('Session TTL (ms; 0: Kubernetes lease)').fill('300');
    await page.getByLabel('Session TTL (ms; 0: Kubernetes lease)').dispatchEvent('change');
    await eventually(async () => (await page.evaluate(() => window.raftlab.scenario().lease?.session_ttl_ms)) === 300, { message: 'session TTL 300 ms' });
    assert.equal(await page.evaluate(() => window.raftlab.scenario().lease.watch_delay_ms), 120, 'the watch delay kept');
    await page.getByLabel('Lease duration (ms)').fill('100');
    await page.getByLabel('Lease duration (ms)').dispatchEvent('change');
    await eventually(async () => /"100" is not a valid setting/.test(await page.locator('.notice').innerText()), { message: 'a lease shorter than the renew deadline is refused' });
    await page.getByLabel('Watch delay (ms)').fill('-5');
    await page.getByLabel('Watch delay (ms)').dispatchEvent('change');
    await eventually(async () => /"-5" is not a valid setting/.test(await page.locator('.notice').innerText()), { message: 'the refusal' });
    assert.equal(await page.evaluate(() => window.raftlab.scenario().lease.watch_delay_ms), 120, 'unchanged');
    await page.getByLabel('System (starts a new run)').selectOption('raft');
    await eventually(async () => (await page.evaluate(() => window.raftlab.state().system)) === 'raft', { message: 'back to Raft' });
  });
});

// Every field of the open sections, for each system, given values a reader could type by
// mistake: the page answers each with a notice or takes it, and never stops (no Rust panic,
// no console error). A panic here was a real bug (a refused quorum setting).
test('systems: flexible quorums that need not intersect are warned of in Settings, and the checker catches the split brain', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const text = readFileSync(path.join(ROOT, 'examples/flexible-split-brain.json'), 'utf8');
    await page.evaluate((text) => window.raftlab.load(JSON.parse(text)), text);
    await openSection(page, 'Settings');
    const settings = page.getByRole('region', { name: 'Settings', exact: true });
    const warning = settings.getByRole('status').filter({ hasText: 'need not intersect' });
    assert.equal(
      await warning.innerText(),
      'These quorums need not intersect (1 + 1 is not more than 2): safety is not guaranteed. Two leaders may commit different entries; the checker will say so.',
    );
    await runTo(page, 2000);
    assert.match(await safetyText(page), /BROKEN/, 'two leaders commit different entries at one index');
    // Q1 + Q2 more than N, but two election quorums need not meet (2 × Q1 ≤ N): a warning of
    // its own (Raft's terms are not unique to a candidate). 4 servers, Q1 = 2, Q2 = 3.
    await page.evaluate(() => window.raftlab.load({ version: 1, seed: 3, nodes: 4, config: { election_quorum: 2, commit_quorum: 3 } }));
    await openSection(page, 'Settings');
    await eventually(async () => (await settings.getByRole('status').filter({ hasText: 'need not intersect' }).count()) === 1, { message: 'the election-quorum warning' });
    assert.equal(
      await settings.getByRole('status').filter({ hasText: 'need not intersect' }).innerText(),
      "Two election quorums need not intersect (2 × 2 is not more than 4): two candidates can win the same term, so safety is not guaranteed. Raft's terms, unlike Paxos ballots, are not unique to a candidate.",
    );
    // Back to majorities: the warning goes.
    await page.evaluate(() => window.raftlab.configure({ election_quorum: 0, commit_quorum: 0 }));
    await openSection(page, 'Settings');
    await eventually(async () => (await settings.getByRole('status').filter({ hasText: 'need not intersect' }).count()) === 0, { message: 'no warning with majorities' });
  });
});

test('systems: every setting and form field, for each system, takes bad values without breaking the page', { timeout: 180_000 }, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const sections = ['Client', 'Network', 'Settings'];
    const bad = { number: ['-1', '0', '1e9', '2.5', ''], text: ['', '   ', '"x<b>', 'é'.repeat(300)] };
    let tried = 0;
    for (const system of ['quorum', 'lease', 'raft']) {
      await openSection(page, 'Settings').catch(() => {});
      await page.getByLabel('System (starts a new run)').selectOption(system);
      await eventually(async () => (await page.evaluate(() => window.raftlab.state().system)) === system, { message: `a ${system} run` });
      for (const name of sections) await openSection(page, name).catch(() => {});
      const fields = page.locator('main section input[type=number]:visible:enabled, main section input[type=text]:visible:enabled');
      const count = await fields.count();
      assert.ok(count >= 3, `${system}: fields found (${count})`);
      for (let i = 0; i < count; i++) {
        const field = fields.nth(i);
        if (!(await field.count())) continue;
        const kind = (await field.getAttribute('type')) ?? 'text';
        for (const value of bad[kind] ?? []) {
          await field.fill(value);
          await field.dispatchEvent('change');
          await frames(page, 1);
          tried++;
          // Still answering, still the same system.
          assert.equal(await page.evaluate(() => window.raftlab.state().system), system);
        }
      }
    }
    t.diagnostic(`${tried} bad values tried`);
  });
});
