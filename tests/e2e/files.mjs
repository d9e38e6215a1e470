// Browser tests of saving and opening runs as files (src/files.rs): Download scenario and
// Download trace, Open scenario… (a file picker) and dropping a file on the page, and the
// messages for files that cannot be opened. Run by `node --test tests/e2e/run.mjs` (which
// imports this file) or alone: `node --test tests/e2e/files.mjs`. Set-up in harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { eventually, frames, openSection } from './browser.mjs';
import { LIMIT, SHOTS, pageUrl, withPage, cliTrace, assertSameTrace, noticeText } from './harness.mjs';

const SCENARIO = {
  version: 1,
  seed: 2024,
  nodes: 3,
  config: { heartbeat_ms: 40, drop_rate: 0.01 },
  events: [
    { at_ms: 500, do: 'client_write', key: 'a', value: '1' },
    { at_ms: 900, do: 'crash', node: 'leader' },
  ],
};

/** Everything a bad file must leave untouched. */
const snapshot = (page) =>
  page.evaluate(() => {
    const r = window.raftlab;
    return { state: r.state(), seed: r.seed(), scenario: r.scenario(), trace: r.trace() };
  });

/** A paused run with a little history: seed 42, 5 nodes, a write and a crash. */
function someRun(page) {
  return page.evaluate(() => {
    const r = window.raftlab;
    r.pause();
    r.reset(42, 5);
    r.pause();
    r.advance(1200);
    r.clientWrite('x', '1');
    r.advance(400.5);
    r.crash(2);
    r.advance(600);
  });
}

/** The file input of the Files section (which opens on demand: opened first). */
const picker = async (page) => {
  await openSection(page, 'Files');
  return page.getByLabel('Open scenario…', { exact: true });
};

async function download(page, name) {
  await openSection(page, 'Files');
  const [file] = await Promise.all([
    page.waitForEvent('download'),
    page.getByRole('button', { name, exact: true }).click(),
  ]);
  return { name: file.suggestedFilename(), text: readFileSync(await file.path(), 'utf8') };
}

test('files: Download scenario and Download trace; the CLI replays the scenario to the downloaded trace', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await someRun(page);
    const expected = await page.evaluate(() => ({ scenario: window.raftlab.scenario(), trace: window.raftlab.trace() }));

    const scenario = await download(page, 'Download scenario');
    assert.equal(scenario.name, 'raftlab-seed42.json');
    const parsed = JSON.parse(scenario.text);
    assert.deepEqual(parsed, expected.scenario, 'the file is the run as scenario()');
    assert.equal(parsed.until_ms, 2200.5, 'it ends now');
    assert.ok(parsed.events.some((e) => e.do === 'crash' && e.node === 2), 'with the live actions');

    const trace = await download(page, 'Download trace');
    assert.equal(trace.name, 'raftlab-seed42.ndjson');
    assert.equal(trace.text, expected.trace, 'the file is the trace so far');
    const lines = trace.text.split('\n').filter(Boolean);
    assert.ok(lines.length > 20 && lines.every((l) => JSON.parse(l).t_us >= 0), 'NDJSON, one event per line');

    assertSameTrace(lines, cliTrace(scenario.text), 'raftlab run of the downloaded scenario');
    // Downloading changes nothing.
    assert.deepEqual(await page.evaluate(() => window.raftlab.scenario()), expected.scenario);
  });
});

test('files: Open scenario… (file picker) replaces the run and says so', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await someRun(page);
    await (await picker(page)).setInputFiles({
      name: 'demo.json',
      mimeType: 'application/json',
      buffer: Buffer.from(JSON.stringify(SCENARIO, null, 2)),
    });
    await eventually(async () => (await noticeText(page)).startsWith('Opened demo.json'), { message: 'the "Opened" notice' });
    assert.match(await noticeText(page), /^Opened demo\.json: a new run with seed 2024, 3 nodes, 2 scheduled actions\./);
    const out = await page.evaluate(() => {
      const r = window.raftlab;
      const fresh = { seed: r.seed(), time: r.state().time_ms, nodes: r.state().nodes.length };
      r.pause();
      r.advance(2000);
      return { fresh, trace: r.trace() };
    });
    assert.deepEqual({ seed: out.fresh.seed, nodes: out.fresh.nodes }, { seed: 2024, nodes: 3 });
    assert.ok(out.fresh.time < 500, `from its start (time ${out.fresh.time} ms)`);
    await page.getByRole('button', { name: /^Node 3, S3, / }).waitFor();
    assert.equal(await page.getByRole('button', { name: /^Node 4, S4, / }).count(), 0, 'the picture shows 3 nodes');
    // The run is the file's scenario: the CLI gives the same trace.
    assertSameTrace(out.trace.split('\n').filter(Boolean), cliTrace({ ...SCENARIO, until_ms: 2000 }), 'opened scenario');
    // The same file again is opened again (the picker is cleared after each choice).
    await page.evaluate(() => window.raftlab.advance(100));
    await page.getByRole('button', { name: 'Dismiss message' }).click();
    await (await picker(page)).setInputFiles({ name: 'demo.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(SCENARIO)) });
    await eventually(async () => (await noticeText(page)).startsWith('Opened demo.json'), { message: 'the second "Opened" notice' });
    assert.ok((await page.evaluate(() => window.raftlab.state().time_ms)) < 500, 'opened again from its start');
  });
});

/** Dispatches a synthetic drag of `files` ({name, type, text} or {name, type, bytes}) onto the page. */
async function dragFiles(page, files, { drop = true } = {}) {
  const dt = await page.evaluateHandle((files) => {
    const dt = new DataTransfer();
    for (const f of files) {
      const body = f.bytes ? new Uint8Array(f.bytes) : f.size ? new Uint8Array(f.size) : f.text;
      dt.items.add(new File([body], f.name, { type: f.type }));
    }
    return dt;
  }, files);
  await page.dispatchEvent('main', 'dragenter', { dataTransfer: dt });
  await page.dispatchEvent('main', 'dragover', { dataTransfer: dt });
  if (drop) await page.dispatchEvent('main', 'drop', { dataTransfer: dt });
  await dt.dispose();
}

const dropHint = (page) =>
  page.evaluate(() => {
    const root = document.documentElement;
    return root.hasAttribute('data-drop') ? getComputedStyle(root, '::after').content : null;
  });

test('files: dropping a scenario anywhere on the page opens it, with a hint while dragging', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await someRun(page);
    assert.equal(await dropHint(page), null, 'no hint before a drag');
    await dragFiles(page, [{ name: 'dropped.json', type: 'application/json', text: JSON.stringify(SCENARIO) }], { drop: false });
    assert.equal(await dropHint(page), '"Drop a scenario file (.json) to open it"', 'the hint shows while a file is over the page');
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'files-drop-hint.png') });
    // Leaving the page hides the hint.
    await page.dispatchEvent('main', 'dragleave', { dataTransfer: await page.evaluateHandle(() => { const d = new DataTransfer(); d.items.add(new File(['x'], 'x.json')); return d; }) });
    assert.equal(await dropHint(page), null, 'the hint goes when the drag leaves');

    await dragFiles(page, [{ name: 'dropped.json', type: 'application/json', text: JSON.stringify(SCENARIO) }]);
    await eventually(async () => (await noticeText(page)).startsWith('Opened dropped.json'), { message: 'the "Opened" notice' });
    assert.equal(await dropHint(page), null, 'no hint after the drop');
    const st = await page.evaluate(() => ({ seed: window.raftlab.seed(), nodes: window.raftlab.state().nodes.length }));
    assert.deepEqual(st, { seed: 2024, nodes: 3 });

    // Dragging text (not files) is not a file drop.
    await page.dispatchEvent('main', 'dragenter', { dataTransfer: await page.evaluateHandle(() => { const d = new DataTransfer(); d.setData('text/plain', 'hello'); return d; }) });
    assert.equal(await dropHint(page), null, 'no hint for dragged text');
  });
});

// A 1x1 PNG.
const PNG = Buffer.from(
  'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mNk+M9QDwADhgGAWjR9awAAAABJRU5ErkJggg==',
  'base64',
);
const GOOD_TEXT = JSON.stringify(SCENARIO, null, 2);

const BAD_FILES = [
  {
    what: 'malformed JSON',
    file: { name: 'malformed.json', mimeType: 'application/json', buffer: Buffer.from('{"version": 1, "seed": }') },
    says: 'Could not open malformed.json: line 1, column 24: not valid JSON: expected a value.',
  },
  {
    what: 'a truncated file',
    file: { name: 'truncated.json', mimeType: 'application/json', buffer: Buffer.from(GOOD_TEXT.slice(0, 120)) },
    says: 'Could not open truncated.json: line 9, column',
  },
  {
    what: 'not JSON',
    file: { name: 'notes.txt', mimeType: 'text/plain', buffer: Buffer.from('Raft is a consensus algorithm.\n') },
    says: 'Could not open notes.txt: line 1, column 1: not valid JSON: expected a value.',
  },
  {
    what: 'a newer version',
    file: { name: 'future.json', mimeType: 'application/json', buffer: Buffer.from('{"version": 7, "seed": 1}') },
    says: 'Could not open future.json: version: version 7 is newer than this raftlab understands (up to 1); update raftlab.',
  },
  {
    what: 'a bad field',
    file: { name: 'field.json', mimeType: 'application/json', buffer: Buffer.from('{"version": 1, "events": [{"at_ms": 5, "do": "crash", "node": 9}]}') },
    says: 'Could not open field.json: events[0].node:',
  },
  {
    what: 'an oversized file',
    file: { name: 'huge.json', mimeType: 'application/json', buffer: Buffer.alloc(6_000_000, 0x20) },
    says: 'Could not open huge.json: it is 6000000 bytes, larger than the 5 MB a scenario may have.',
  },
  {
    what: 'an image',
    file: { name: 'diagram.png', mimeType: 'image/png', buffer: PNG },
    says: 'Could not open diagram.png: it is an image (image/png), not a scenario;',
  },
  {
    what: 'a binary file without a type',
    file: { name: 'data.bin', mimeType: '', buffer: PNG },
    says: 'Could not open data.bin: it is not a text file;',
  },
  {
    what: 'an empty file',
    file: { name: 'empty.json', mimeType: 'application/json', buffer: Buffer.alloc(0) },
    says: 'Could not open empty.json: the file is empty.',
  },
  {
    what: 'a trace instead of a scenario',
    file: { name: 'raftlab-seed42.ndjson', mimeType: '', buffer: Buffer.from('{"t_us":0,"kind":"heal"}\n{"t_us":5,"kind":"heal"}\n') },
    says: 'Could not open raftlab-seed42.ndjson: it is a trace (one event per line), not a scenario;',
  },
];

test('files: each kind of bad file gets a clear message and leaves the run untouched', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await someRun(page);
    const before = await snapshot(page);
    const seen = {};
    for (const { what, file, says } of BAD_FILES) {
      await (await picker(page)).setInputFiles(file);
      await eventually(async () => (await noticeText(page)).includes(says), {
        message: `the message for ${what} (${says})`,
        timeout: 10_000,
      });
      const text = await noticeText(page);
      assert.ok(text.includes('The current run is unchanged.'), `${what}: ${text}`);
      seen[what] = text;
      assert.deepEqual(await snapshot(page), before, `${what}: the run is untouched`);
    }
    // Through a drop too: a bad file, and several files at once.
    await dragFiles(page, [{ name: 'photo.jpg', type: 'image/jpeg', bytes: [0xff, 0xd8, 0xff, 0xe0] }]);
    await eventually(async () => (await noticeText(page)).includes('Could not open photo.jpg: it is an image (image/jpeg)'), { message: 'the dropped image message' });
    await dragFiles(page, [
      { name: 'a.json', type: 'application/json', text: GOOD_TEXT },
      { name: 'b.json', type: 'application/json', text: GOOD_TEXT },
    ]);
    await eventually(async () => (await noticeText(page)).includes('2 files were dropped: drop one scenario file at a time.'), { message: 'the two-files message' });
    await dragFiles(page, [{ name: 'big.json', type: '', size: 5_000_001 }]);
    await eventually(async () => (await noticeText(page)).includes('Could not open big.json: it is 5000001 bytes'), { message: 'the dropped big file message' });
    assert.deepEqual(await snapshot(page), before, 'dropped bad files leave the run untouched');
    t.diagnostic(`messages: ${JSON.stringify(seen, null, 1)}`);
    await page.screenshot({ path: path.join(SHOTS, 'files-bad-file.png') });
  });
});
