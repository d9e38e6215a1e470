// Browser tests of the space-time diagram (src/diagram.rs, src/view/diagram.rs): one lane per
// server, every message an arrow from its send to its arrival, dropped ones ending in a cross,
// duplicates drawn as arrows of their own, the current moment as a line. It follows time travel, a
// click seeks, hovering an arrow highlights the message in the cluster picture and hovering a
// message in the picture highlights its arrow, it is an embed panel, and axe-core finds nothing
// wrong with it. The canvas says what it drew in data attributes (data-window, data-summary,
// data-hover), which these tests compare with the trace. Run by `node --test tests/e2e/run.mjs` or
// alone: `node --test tests/e2e/diagram.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { frames, eventually } from './browser.mjs';
import { LIMIT, ROOT, SHOTS, pageUrl, withPage } from './harness.mjs';

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
const NAME = /^Space-time diagram/;

async function openDiagram(page) {
  const head = page.locator('.fold-head button').filter({ hasText: /Space-time diagram$/ });
  if ((await head.getAttribute('aria-expanded')) === 'false') await head.click();
  await page.getByRole('region', { name: NAME }).waitFor();
  await frames(page);
}

const canvas = (page) => page.locator('#spacetime');

async function drawn(page) {
  await frames(page);
  return canvas(page).evaluate((c) => {
    const [from, to] = c.dataset.window.split(' ').map(Number);
    const summary = Object.fromEntries(c.dataset.summary.split(' ').map((kv) => kv.split('=')).map(([k, v]) => [k, Number(v)]));
    return { from, to, summary, hover: c.dataset.hover, name: c.closest('section').getAttribute('aria-label') };
  });
}

/** What the diagram should draw for the window [from, to] at `now`, computed from the trace. */
function expected(traceText, now, from, to) {
  const events = traceText.split('\n').filter(Boolean).map((l) => JSON.parse(l));
  const arrows = new Map();
  for (const e of events) {
    if (e.t_us > now) break;
    if (e.kind === 'send' || e.kind === 'duplicate') {
      arrows.set(e.msg.id, { sent: e.t_us, head: e.deliver_at_us, dup: e.kind === 'duplicate', dropped: false });
    } else if (e.kind === 'deliver' && arrows.has(e.msg.id)) {
      arrows.get(e.msg.id).head = e.t_us;
    } else if (e.kind === 'drop' && arrows.has(e.msg.id)) {
      Object.assign(arrows.get(e.msg.id), { head: e.t_us, dropped: true });
    }
  }
  const shown = [...arrows.values()].filter((a) => a.head >= from && a.sent <= to);
  return { arrows: shown.length, dropped: shown.filter((a) => a.dropped).length, duplicates: shown.filter((a) => a.dup).length };
}

test('space-time diagram: every message in the window is an arrow, drops and duplicates included', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(9, 5);
      r.pause();
      r.configure({ duplicate_rate: 0.2, drop_rate: 0.1 });
      r.advance(1500);
      r.crash('leader');
      r.advance(400);
    });
    await openDiagram(page);
    const d = await drawn(page);
    const now = await page.evaluate(() => Math.round(window.raftlab.state().time_ms * 1000));
    assert.equal(d.to - d.from, 500_000, 'the default window is 500 ms');
    assert.ok(d.from <= now && now <= d.to, 'the current moment is inside the window');
    const want = expected(await page.evaluate(() => window.raftlab.trace()), now, d.from, d.to);
    assert.ok(want.arrows > 50 && want.dropped > 0 && want.duplicates > 0, JSON.stringify(want));
    assert.equal(d.summary.arrows, want.arrows, 'one arrow per message in the window');
    assert.equal(d.summary.dropped, want.dropped, 'every dropped message ends in a cross');
    assert.equal(d.summary.duplicates, want.duplicates, 'every duplicate is drawn too');
    assert.ok(d.summary.marks > 0, 'the crash and the elections are marked');
    assert.match(d.name, /^Space-time diagram: one lane per server, \d+\.\d\d s to \d+\.\d\d s/);
    await page.getByRole('region', { name: NAME }).scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'diagram-1280x800.png') });
    // Zooming out widens the window.
    await page.getByRole('button', { name: 'Zoom the diagram out' }).click();
    const wide = await drawn(page);
    assert.equal(wide.to - wide.from, 1_000_000);
    assert.ok(wide.summary.arrows > d.summary.arrows);
  });
});

test('space-time diagram: it follows a seek, and a click seeks to the moment under the pointer', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(3, 5);
      r.pause();
      r.advance(4000);
    });
    await openDiagram(page);
    const before = await drawn(page);
    await page.evaluate(() => window.raftlab.seek(1000));
    const after = await drawn(page);
    assert.deepEqual([after.from, after.to], [625_000, 1_125_000], 'the window moved with the seek');
    assert.notEqual(after.name, before.name, 'the accessible name names the new window');
    // A click three quarters of the way along the time axis: the moment there.
    // The time axis starts after the lane labels (34 px) and ends 8 px before the right edge.
    const [clientWidth, clientHeight] = await canvas(page).evaluate((c) => [c.clientWidth, c.clientHeight]);
    const gutter = 34;
    const width = clientWidth - gutter - 8;
    const fraction = 0.9;
    await canvas(page).click({ position: { x: gutter + width * fraction, y: clientHeight / 2 } });
    const expectMs = (after.from + (after.to - after.from) * fraction) / 1000;
    // Within a pixel's worth of time.
    const pixelMs = (after.to - after.from) / 1000 / width;
    await eventually(async () => Math.abs((await page.evaluate(() => window.raftlab.state().time_ms)) - expectMs) <= 1.5 * pixelMs, {
      message: `the click seeks to about ${expectMs} ms`,
    });
    const moved = await drawn(page);
    assert.ok(moved.from > after.from, 'the window follows the click');
  });
});

test('space-time diagram: hovering an arrow highlights the message, here and in the cluster picture', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(5, 3);
      r.pause();
      r.advance(2000);
    });
    await openDiagram(page);
    await page.getByRole('button', { name: 'Zoom the diagram in' }).click();
    await canvas(page).scrollIntoViewIfNeeded();
    const box = await canvas(page).boundingBox();
    const onWire = new Set(await page.evaluate(() => window.raftlab.messages().map((m) => m.id)));
    let found = '';
    let seen = 0;
    // Sweep the pointer across the lanes, right to left (the newest arrows first), until it is
    // over the arrow of a message still on the wire.
    for (let x = box.width - 10; x > 40 && !found; x -= 5) {
      for (const y of [0.25, 0.4, 0.5, 0.6, 0.75]) {
        await page.mouse.move(box.x + x, box.y + box.height * y);
        const h = await canvas(page).getAttribute('data-hover');
        if (h) seen += 1;
        if (h && onWire.has(Number(h))) {
          found = h;
          break;
        }
      }
    }
    assert.ok(seen > 0, 'some points of the diagram are over an arrow');
    assert.ok(found, 'some point is over the arrow of a message on the wire');
    const id = Number(found);
    const trace = await page.evaluate(() => window.raftlab.trace());
    assert.ok(trace.includes(`"msg":{"id":${id},`), `message ${id} is in the trace`);
    // The cluster picture highlights the same message (when it is still on the wire).
    const highlighted = await page.locator('canvas#anim').getAttribute('data-highlight');
    assert.equal(highlighted, String(id), 'the cluster picture highlights the same message');
    await page.mouse.move(box.x - 50, box.y - 50);
    await eventually(async () => (await canvas(page).getAttribute('data-hover')) === '', { message: 'leaving clears the highlight' });
    // And back: a message picked in the Network section's list (or hovered in the picture) is
    // highlighted in the diagram.
    await page.locator('.fold-head button').filter({ hasText: /Network$/ }).click();
    const item = page.getByRole('button', { name: new RegExp(`#${id}\\b`) });
    await item.focus();
    await eventually(async () => (await canvas(page).getAttribute('data-hover')) === String(id), {
      message: 'the diagram highlights the message focused in the list',
    });
  });
});

/**
 * Where the cluster picture's canvas draws message `m` (from messages(), on its way) at
 * `nowMs`, in client pixels (canvas.rs, scene: from just outside the sender's circle to just
 * outside the receiver's, 1.4 units to the link's side; the picture is 100 x 100 units).
 */
async function flyingPoint(page, m, nowMs) {
  const pic = await page.getByRole('group', { name: /^Cluster of/ }).boundingBox();
  const unit = pic.width / 100;
  const centres = await page.locator('.hitg .body').evaluateAll((els) => els.map((el) => {
    const b = el.getBoundingClientRect();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  }));
  const centre = (id) => ({ x: (centres[id - 1].x - pic.x) / unit, y: (centres[id - 1].y - pic.y) / unit });
  const [a, b] = [centre(m.from), centre(m.to)];
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  const [ux, uy] = [(b.x - a.x) / len, (b.y - a.y) / len];
  const gap = 7 + 3.2;
  const [sx, sy] = [a.x + ux * gap - uy * 1.4, a.y + uy * gap + ux * 1.4];
  const [ex, ey] = [b.x - ux * gap - uy * 1.4, b.y - uy * gap + ux * 1.4];
  const p = Math.min(1, Math.max(0, (nowMs - m.sent_ms) / (m.arrives_ms - m.sent_ms)));
  return { x: pic.x + (sx + (ex - sx) * p) * unit, y: pic.y + (sy + (ey - sy) * p) * unit };
}

test('space-time diagram: hovering a message in the cluster picture highlights it in the diagram', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(5, 3);
      r.pause();
      r.advance(2000);
    });
    await openDiagram(page);
    assert.equal((await drawn(page)).hover, '', 'nothing highlighted yet');
    // Paused, a millisecond at a time, until a message (not one the network will lose) is
    // about half way along its link.
    const { m, now } = await page.evaluate(() => {
      const r = window.raftlab;
      for (let k = 0; k < 200; k++) {
        const now = r.state().time_ms;
        const half = (m) => Math.abs((now - m.sent_ms) / (m.arrives_ms - m.sent_ms) - 0.5) < 0.15;
        const m = r.messages().find((m) => !m.lost && half(m));
        if (m) return { m, now };
        r.advance(1);
      }
      throw new Error('no message half way along its link');
    });
    // The diagram draws it (an arrow in its window).
    const d = await drawn(page);
    assert.ok(d.from <= m.sent_ms * 1000 && m.sent_ms * 1000 <= d.to, `message ${m.id} is in the window ${d.from}-${d.to}`);
    await page.getByRole('group', { name: /^Cluster of/ }).scrollIntoViewIfNeeded();
    await frames(page);
    const at = await flyingPoint(page, m, now);
    await page.mouse.move(at.x, at.y);
    await eventually(() => page.locator('.cluster').evaluate((el) => el.hasAttribute('data-over-message')), { message: `the pointer is over message ${m.id} in the picture` });
    await eventually(async () => (await canvas(page).getAttribute('data-hover')) === String(m.id), {
      message: `the diagram highlights message ${m.id}`,
    });
    // Off the message (a corner of the picture): no highlight.
    const pic = await page.getByRole('group', { name: /^Cluster of/ }).boundingBox();
    await page.mouse.move(pic.x + 2, pic.y + 2);
    await eventually(async () => (await canvas(page).getAttribute('data-hover')) === '', { message: 'leaving the message clears the highlight' });
    assert.equal(await page.locator('.cluster').evaluate((el) => el.hasAttribute('data-over-message')), false);
  });
});

test('space-time diagram: an embed panel, and no axe-core violation in light and dark', LIMIT, async (t) => {
  await withPage(t, pageUrl('?embed&panels=diagram&autoplay=0'), async (page) => {
    await page.evaluate(() => window.raftlab.advance(1200));
    await page.getByRole('region', { name: NAME }).waitFor();
    const d = await drawn(page);
    assert.ok(d.summary.arrows > 0);
  });
  for (const scheme of ['light', 'dark']) {
    await withPage(
      t,
      pageUrl(),
      async (page) => {
        await page.evaluate(() => {
          window.raftlab.pause();
          window.raftlab.advance(1500);
        });
        await openDiagram(page);
        await page.addScriptTag({ path: AXE });
        const violations = await page.evaluate(async () => {
          const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
          return r.violations.map((v) => ({ id: v.id, nodes: v.nodes.slice(0, 3).map((n) => n.target.join(' ')) }));
        });
        assert.deepEqual(violations, [], `axe-core (${scheme}): ${JSON.stringify(violations)}`);
        if (scheme === 'dark') {
          await page.getByRole('region', { name: NAME }).scrollIntoViewIfNeeded();
          await page.screenshot({ path: path.join(SHOTS, 'diagram-dark.png') });
        }
      },
      { contextOptions: { colorScheme: scheme } },
    );
  }
});
