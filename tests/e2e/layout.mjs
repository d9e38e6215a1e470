// Browser tests of the page's layout and accessibility: what the first screen shows at
// 1280x800 (the picture, every server's log, the playback bar), the picture's share of a
// 1920x1080 projector, the picture first on a phone, zero axe-core violations (WCAG 2.1 A/AA)
// in light and dark, on a laptop and a phone, with a server and a log entry selected, and the
// Details section for a selection. Screenshots go to target/screenshots/layout-*.png. Run by
// `node --test tests/e2e/run.mjs` (which imports this file) or alone:
// `node --test tests/e2e/layout.mjs`. Set-up in harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { frames } from './browser.mjs';
import { LIMIT, ROOT, SHOTS, pageUrl, withPage } from './harness.mjs';

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');

/** A paused 5-server run with a leader and a few entries, some not committed yet. */
function busyRun(page) {
  return page.evaluate(() => {
    const r = window.raftlab;
    r.pause();
    r.reset(42, 5);
    r.pause();
    r.advance(1500);
    r.clientWrite('x', '1');
    r.clientWrite('y', '2');
    r.advance(400);
    r.clientWrite('z', '3');
    r.advance(3);
    return r.state();
  });
}

/** The box of `locator`, asserted to be inside the viewport (`what` names it). */
async function inside(page, locator, what) {
  const box = await locator.boundingBox();
  assert.ok(box, `${what} is drawn`);
  const { width, height } = page.viewportSize();
  assert.ok(
    box.x >= 0 && box.y >= 0 && box.x + box.width <= width + 0.5 && box.y + box.height <= height + 0.5,
    `${what} is inside the ${width}x${height} viewport without scrolling (box ${JSON.stringify(box)})`,
  );
  return box;
}

/** Runs axe-core (WCAG 2.1 A and AA) on the page; fails listing the violations, if any. */
async function axe(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  });
  assert.deepEqual(violations, [], `axe-core finds no WCAG 2.1 A/AA violation (${what}):\n${JSON.stringify(violations, null, 2)}`);
}

const node = (page, id) => page.getByRole('button', { name: new RegExp(`^Node ${id}, S${id}`) });

test('layout: at 1280x800 the picture, every log row and the playback bar are on the first screen', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const st = await busyRun(page);
    await frames(page);
    for (const n of st.nodes) {
      await inside(page, node(page, n.id), `Node ${n.id}`);
      const row = page.getByRole('group', { name: new RegExp(`^Log of S${n.id}\\b`) });
      await inside(page, row, `the log row of S${n.id}`);
      // One cell per entry in the window, the term number in each.
      const cells = await row.locator('.cell').allInnerTexts();
      assert.deepEqual(cells, n.log.slice(-cells.length).map((e) => String(e.term)), `S${n.id}'s cells show the terms`);
    }
    // Committed and uncommitted cells look different (fill and border style).
    const look = (sel) => page.locator(sel).first().evaluate((el) => { const s = getComputedStyle(el); return `${s.backgroundColor} ${s.borderStyle}`; });
    assert.notEqual(await look('.logrow .cell.committed'), await look('.logrow .cell.pending'), 'committed and pending cells differ');
    const bar = page.getByRole('toolbar', { name: 'Playback' });
    await inside(page, bar, 'the playback bar');
    for (const [role, name] of [['button', 'Play'], ['button', 'Back'], ['button', 'Step'], ['slider', 'Speed'], ['slider', 'Timeline']]) {
      await inside(page, page.getByRole(role, { name, exact: true }), `${name}`);
    }
    await inside(page, page.getByRole('group', { name: /^Cluster/ }), 'the cluster picture');
    // The forms are not shown until asked for: the client form opens on demand.
    assert.equal(await page.getByRole('button', { name: 'Send write', exact: true }).count(), 0, 'the client form is closed');
    await page.screenshot({ path: path.join(SHOTS, 'layout-1280x800.png') });
    // The largest cluster, 9 servers, fits the first screen too: every server, its word and
    // its log row.
    await page.evaluate(() => { window.raftlab.load({ version: 1, seed: 9, nodes: 9 }); window.raftlab.advance(1500); window.raftlab.pause(); });
    await frames(page, 2);
    for (let id = 1; id <= 9; id++) {
      await inside(page, node(page, id), `Node ${id} of 9`);
      await inside(page, page.locator(`svg.words g.word[data-node="${id}"] text`), `the word under S${id} of 9`);
      await inside(page, page.getByRole('group', { name: new RegExp(`^Log of S${id}\\b`) }), `the log row of S${id} of 9`);
    }
    await page.screenshot({ path: path.join(SHOTS, 'layout-1280x800-9-servers.png') });
  });
});

test('layout: at 1920x1080 the picture covers at least 40% of the viewport, its labels grow with it', LIMIT, async (t) => {
  const sizes = {};
  for (const [w, h] of [[1280, 800], [1920, 1080]]) {
    await withPage(t, pageUrl(), async (page) => {
      await busyRun(page);
      await frames(page);
      const pic = await page.getByRole('group', { name: /^Cluster/ }).boundingBox();
      const share = (pic.width * pic.height) / (w * h);
      const label = await page.locator('.node .name').first().boundingBox();
      sizes[w] = { share, label: label.height };
      if (w === 1920) {
        assert.ok(share >= 0.4, `the picture covers ${(share * 100).toFixed(1)}% of 1920x1080 (at least 40%)`);
        await page.screenshot({ path: path.join(SHOTS, 'layout-1920x1080.png') });
      }
    }, { contextOptions: { viewport: { width: w, height: h } } });
  }
  assert.ok(sizes[1920].label > sizes[1280].label * 1.2, `a server's label grows with the picture (${JSON.stringify(sizes)})`);
  assert.ok(sizes[1920].label >= 24, `a server's label is at least 24 px high on a projector (${sizes[1920].label})`);
});

test('layout: at 360 px wide the picture comes first', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await busyRun(page);
    await frames(page);
    const pic = await page.getByRole('group', { name: /^Cluster/ }).boundingBox();
    assert.ok(pic.y < 40, `the picture starts at the top (y ${pic.y})`);
    assert.ok(pic.width >= 320, `the picture is nearly as wide as the screen (${pic.width})`);
    for (const [role, name] of [['toolbar', 'Playback'], ['region', 'Logs'], ['heading', 'raftlab']]) {
      const box = await page.getByRole(role, { name, exact: true }).boundingBox();
      assert.ok(box.y >= pic.y + pic.height - 1, `${name} comes after the picture (${box.y} < ${pic.y + pic.height})`);
    }
  }, { contextOptions: { viewport: { width: 360, height: 740 } } });
});

test('layout: selecting a server or a log entry shows its details', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const st = await busyRun(page);
    const leader = st.nodes.find((n) => n.role === 'leader');
    const details = page.getByRole('region', { name: 'Details', exact: true });
    assert.match(await details.innerText(), /Click a server or a log entry/);
    await node(page, leader.id).click();
    assert.equal(await node(page, leader.id).getAttribute('aria-pressed'), 'true');
    assert.match(await details.innerText(), new RegExp(`S${leader.id}: leader, term ${leader.term}`));
    await details.getByRole('button', { name: `Crash S${leader.id}`, exact: true }).waitFor();
    // The last entry of the leader's log: not committed yet (it was written 3 ms ago).
    const last = leader.log.length;
    const cell = page.getByRole('button', { name: new RegExp(`^S${leader.id} entry ${last}, term ${leader.log[last - 1].term}: set z=3, not committed$`) });
    await cell.click();
    assert.equal(await cell.getAttribute('aria-pressed'), 'true');
    const text = await details.innerText();
    assert.match(text, new RegExp(`S${leader.id}, entry ${last}`));
    assert.match(text, /set z=3/);
    assert.match(text, /not committed/);
    assert.match(text, /held by\s+\d of 5 servers/);
    // Keyboard: Enter on a focused cell selects it; Escape clears the selection.
    const first = page.getByRole('button', { name: new RegExp(`^S${leader.id} entry 1, term \\d+: .*, committed$`) });
    await first.focus();
    await page.keyboard.press('Enter');
    assert.match(await details.innerText(), /committed at S/);
    await page.locator('body').focus();
    await page.keyboard.press('Escape');
    assert.match(await details.innerText(), /Click a server or a log entry/);
  });
});

test('accessibility: no axe-core violation, light and dark, laptop and phone, with selections', { timeout: 120_000 }, async (t) => {
  const cases = [
    { name: 'light-1280x800', viewport: { width: 1280, height: 800 }, colorScheme: 'light' },
    { name: 'dark-1280x800', viewport: { width: 1280, height: 800 }, colorScheme: 'dark' },
    { name: 'light-390x844', viewport: { width: 390, height: 844 }, colorScheme: 'light' },
    { name: 'dark-390x844', viewport: { width: 390, height: 844 }, colorScheme: 'dark' },
  ];
  for (const c of cases) {
    await withPage(t, pageUrl(), async (page) => {
      const st = await busyRun(page);
      await frames(page);
      if (c.name === 'dark-1280x800') await page.screenshot({ path: path.join(SHOTS, 'layout-dark-1280x800.png') });
      await axe(page, `${c.name}, nothing selected`);
      const leader = st.nodes.find((n) => n.role === 'leader');
      await node(page, leader.id).click();
      await frames(page);
      await axe(page, `${c.name}, a server selected`);
      await page.getByRole('button', { name: new RegExp(`^S${leader.id} entry 1, `) }).click();
      // Every section open too: their forms must pass as well.
      for (const name of ['Client', 'Network', 'Event log', 'Client history', 'Safety', 'Key-value stores', 'Settings', 'Files', 'Legend']) {
        const head = page.locator('.fold-head button').filter({ hasText: new RegExp(`^\\W*${name}$`) });
        if ((await head.getAttribute('aria-expanded')) === 'false') await head.click();
      }
      await frames(page);
      await axe(page, `${c.name}, a log entry selected, every section open`);
      // A partition (cut links drawn dashed with a mark) and a crashed server pass too.
      await page.evaluate((id) => {
        const others = window.raftlab.state().nodes.map((n) => n.id).filter((n) => n !== id);
        window.raftlab.partition([[id], others]);
        window.raftlab.crash(others[0]);
      }, leader.id);
      await frames(page, 3);
      assert.ok((await page.locator('.link.cut').count()) >= 4, 'the cut links are drawn');
      await axe(page, `${c.name}, a partition and a crashed server`);
      if (c.name === 'light-390x844') await page.screenshot({ path: path.join(SHOTS, 'layout-390x844.png'), fullPage: true });
    }, { contextOptions: { viewport: c.viewport, colorScheme: c.colorScheme } });
  }
});

test('layout: the introduction is shown once and stays dismissed; the theme toggle switches and is remembered', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const intro = page.locator('.intro');
    await intro.waitFor();
    // One sentence, at most two lines at 1280x800, true of any cluster size.
    const lines = await intro.locator('span').evaluate((el) => {
      const lh = parseFloat(getComputedStyle(el).lineHeight) || parseFloat(getComputedStyle(el).fontSize) * 1.2;
      return { height: el.getBoundingClientRect().height, lh, text: el.textContent };
    });
    assert.ok(lines.height <= lines.lh * 2.2, `the introduction takes at most two lines (${JSON.stringify(lines)})`);
    assert.doesNotMatch(lines.text, /\b(five|5)\b/i, 'the introduction names no cluster size');
    await page.getByRole('button', { name: 'Dismiss introduction', exact: true }).click();
    assert.equal(await intro.count(), 0, 'dismissed');
    const bg = () => page.evaluate(() => getComputedStyle(document.documentElement).backgroundColor);
    const light = await bg();
    await page.getByRole('button', { name: 'Dark theme', exact: true }).click();
    assert.notEqual(await bg(), light, 'the dark theme changes the background');
    await page.reload();
    await page.waitForSelector('[aria-label^="Node 1"]');
    assert.equal(await page.locator('.intro').count(), 0, 'still dismissed after a reload');
    assert.equal(await page.evaluate(() => document.documentElement.dataset.theme), 'dark', 'the theme is remembered');
  }, { contextOptions: { colorScheme: 'light' } });
});
