// Browser tests of embed mode (src/embed.rs): the page in an iframe of a host page (both under
// sub-paths), height messages, the compact layout, the URL options and bad ones. Run by
// `node --test tests/e2e/run.mjs` (which imports this file) or alone:
// `node --test tests/e2e/embed.mjs`. Set-up in harness.mjs; screenshots in target/screenshots/.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { eventually, frames } from './browser.mjs';
import { LIMIT, SHOTS, SUB, hostPage, pageUrl, raftlabReady, withPage, noticeText } from './harness.mjs';

/** The frame of the host page that shows raftlab. */
const raftFrame = (page) => page.frames().find((f) => f !== page.mainFrame() && f.url().includes(SUB));

/** Waits for the frame's raftlab (the host page's own readiness is its frame's). */
async function frameReady(page) {
  await eventually(() => raftFrame(page), { timeout: 20_000, message: 'the raftlab frame' });
  await raftlabReady(raftFrame(page));
}

/** A still moment worth a picture: seed 42 with a leader, a write on the way and a crash. */
function showcase(frame) {
  return frame.evaluate(() => {
    const r = window.raftlab;
    r.pause();
    r.reset(42, 5);
    r.pause();
    r.advance(1200);
    r.clientWrite('x', '1');
    r.advance(60);
  });
}

/** The buttons outside the picture, by name. */
const controlNames = (frame) =>
  frame.evaluate(() =>
    [...document.querySelectorAll('button, [role="button"], input, select, summary')]
      .filter((el) => !el.closest('svg'))
      .map((el) => el.getAttribute('aria-label') || el.textContent.trim()),
  );

/** Where the picture sits and how the document scrolls, in the frame's CSS pixels. */
const layout = (frame) =>
  frame.evaluate(() => {
    const r = document.querySelector('.cluster').getBoundingClientRect();
    const d = document.documentElement;
    return {
      picture: { left: r.left, top: r.top, right: r.right, bottom: r.bottom, width: r.width, height: r.height },
      view: { width: d.clientWidth, height: window.innerHeight },
      scroll: { width: d.scrollWidth, height: d.scrollHeight },
      docHeight: d.offsetHeight,
    };
  });

function assertFits(l, what) {
  const p = l.picture;
  assert.ok(p.left >= 0 && p.top >= 0 && p.right <= l.view.width + 0.5 && p.bottom <= l.view.height + 0.5,
    `${what}: the picture is inside the frame (${JSON.stringify(l)})`);
  assert.ok(l.scroll.width <= l.view.width && l.scroll.height <= l.view.height, `${what}: nothing scrolls (${JSON.stringify(l)})`);
  assert.ok(Math.abs(p.width - p.height) < 1, `${what}: the picture is square`);
}

const messages = (page) => page.evaluate(() => window.__messages.slice());
const frameHeight = (page) => page.locator('iframe').evaluate((f) => f.getBoundingClientRect().height);

test('embed: a 600x400 iframe under a deep sub-path shows the picture and only Play/Pause, Step, Reset', LIMIT, async (t) => {
  const host = hostPage('blog/2025/raft-explained/', { src: `${SUB}?embed&seed=42`, width: 600, height: 400 });
  await withPage(t, host, async (page) => {
    const frame = raftFrame(page);
    await showcase(frame);
    await frames(page, 3);
    assert.deepEqual(await controlNames(frame), ['Play', 'Step', 'Reset'], 'the compact controls, nothing else');
    for (const name of ['Logs', 'Safety', 'Event log', 'Key-value stores', 'Settings', 'Network', 'Client', 'Node actions', 'Files']) {
      assert.equal(await frame.getByRole('region', { name, exact: true }).count(), 0, `no ${name} panel`);
    }
    assert.equal(await frame.getByRole('region', { name: 'Cluster', exact: true }).count(), 1, 'the picture');
    const l = await layout(frame);
    assertFits(l, '600x400');
    assert.ok(l.picture.height >= 360, `the picture uses the frame's height (${l.picture.height} px)`);
    // The height reports: the page fills its frame exactly, so the frame keeps its height.
    await eventually(async () => (await messages(page)).length >= 1, { message: 'a height message' });
    const m = await messages(page);
    assert.deepEqual(m[0], { source: 'raftlab', type: 'height', height: 400 });
    assert.equal(await frameHeight(page), 400);
    // The controls and the picture work.
    await frame.getByRole('button', { name: 'Step', exact: true }).click();
    await frame.getByRole('button', { name: 'Play', exact: true }).click();
    await frame.getByRole('button', { name: 'Pause', exact: true }).waitFor();
    await frame.getByRole('button', { name: 'Pause', exact: true }).click();
    await frame.getByRole('button', { name: 'Link S1–S2, working', exact: true }).click();
    await frame.getByRole('button', { name: 'Link S1–S2, cut', exact: true }).waitFor();
    await frame.getByRole('button', { name: 'Reset', exact: true }).click();
    const st = await frame.evaluate(() => ({ seed: window.raftlab.seed(), time: window.raftlab.state().time_ms, events: window.raftlab.scenario().events.length }));
    assert.deepEqual(st, { seed: 42, time: 0, events: 0 }, 'Reset starts the run again');
    assert.equal(await noticeText(frame), '', 'no message');
    await showcase(frame);
    await frames(page, 3);
    await page.locator('iframe').screenshot({ path: path.join(SHOTS, 'embed-600x400.png') });
    await page.screenshot({ path: path.join(SHOTS, 'embed-host-page.png') });
  }, { ready: frameReady });
});

test('embed: small frames (360x240, 320x240, 300x420) scale the picture to fit', LIMIT, async (t) => {
  for (const [width, height] of [[360, 240], [320, 240], [300, 420]]) {
    const host = hostPage(`small/${width}x${height}/`, { src: `${SUB}?embed&seed=42`, width, height });
    await withPage(t, host, async (page) => {
      const frame = raftFrame(page);
      await showcase(frame);
      await frames(page, 3);
      const l = await layout(frame);
      assertFits(l, `${width}x${height}`);
      assert.ok(l.picture.width >= Math.min(width, height) * 0.6, `${width}x${height}: the picture is not tiny (${l.picture.width} px)`);
      assert.deepEqual(await controlNames(frame), ['Play', 'Step', 'Reset']);
      // Every control is inside the frame.
      for (const name of ['Play', 'Step', 'Reset']) {
        const box = await frame.getByRole('button', { name, exact: true }).boundingBox();
        const frameBox = await page.locator('iframe').boundingBox();
        assert.ok(box.x >= frameBox.x && box.y >= frameBox.y && box.x + box.width <= frameBox.x + frameBox.width + 0.5 &&
          box.y + box.height <= frameBox.y + frameBox.height + 0.5, `${width}x${height}: ${name} is inside the frame`);
      }
      await page.locator('iframe').screenshot({ path: path.join(SHOTS, `embed-${width}x${height}.png`) });
    }, { ready: frameReady });
  }
});

test('embed: height messages resize the host page\'s frame, once per change', LIMIT, async (t) => {
  const host = hostPage('docs/guide/raft/', { src: `${SUB}?embed&panels=logs,safety&autoplay=0&seed=42`, width: 600, height: 400 });
  await withPage(t, host, async (page) => {
    const frame = raftFrame(page);
    // The page is taller than 400 px: the host resizes the frame to the reported height.
    await eventually(async () => {
      const m = await messages(page);
      const h = await frameHeight(page);
      const doc = await frame.evaluate(() => document.documentElement.offsetHeight);
      return m.length > 0 && h > 400 && h === m.at(-1).height && doc === h;
    }, { message: 'the frame to take the reported height (over 400 px)' });
    // It settles: no message repeats a height, and none comes while nothing changes.
    await eventually(async () => {
      const a = (await messages(page)).length;
      await page.waitForTimeout(600);
      return (await messages(page)).length === a;
    }, { message: 'the height messages to stop' });
    let m = await messages(page);
    assert.ok(m.every((x, i) => x.source === 'raftlab' && x.type === 'height' && Number.isInteger(x.height) && (i === 0 || x.height !== m[i - 1].height)),
      `distinct whole heights: ${JSON.stringify(m)}`);
    assert.ok(m.length <= 8, `a few messages, not a loop (${m.length})`);
    const settled = await frameHeight(page);
    const l = await layout(frame);
    assert.ok(l.scroll.height <= l.view.height, 'the frame shows the whole page');
    assert.equal(await frame.evaluate(() => window.raftlab.state().time_ms), 0, 'autoplay=0: still at time 0');
    // A bigger cluster makes the logs taller: one more report, and the frame follows.
    const count = m.length;
    await frame.evaluate(() => window.raftlab.reset(42, 9));
    await eventually(async () => (await frameHeight(page)) > settled, { message: 'the frame to grow with 9 nodes' });
    m = await messages(page);
    assert.ok(m.length > count, 'a new message');
    assert.equal(await frameHeight(page), m.at(-1).height);
    await frame.evaluate(() => {
      const r = window.raftlab;
      r.advance(1200);
      r.clientWrite('x', '1');
      r.advance(400);
      r.clientWrite('y', '2');
      r.advance(60);
    });
    await eventually(async () => (await frameHeight(page)) === (await frame.evaluate(() => document.documentElement.offsetHeight)), { message: 'the frame to fit' });
    await frames(page, 3);
    await page.locator('iframe').screenshot({ path: path.join(SHOTS, 'embed-panels.png') });
    // Shrinking works too (the height reported is the content's, not the frame's).
    await frame.evaluate(() => window.raftlab.reset(42, 1));
    await eventually(async () => (await frameHeight(page)) < settled, { message: 'the frame to shrink with 1 node' });
  }, { ready: frameReady });
});

test('embed: panels=logs,safety shows those two panels', LIMIT, async (t) => {
  await withPage(t, pageUrl('?embed&panels=logs%2Csafety&seed=5'), async (page) => {
    for (const name of ['Logs', 'Safety', 'Cluster']) {
      assert.equal(await page.getByRole('region', { name, exact: true }).count(), 1, `the ${name} panel`);
    }
    for (const name of ['Event log', 'Key-value stores', 'Settings', 'Network', 'Client', 'Node actions', 'Files']) {
      assert.equal(await page.getByRole('region', { name, exact: true }).count(), 0, `no ${name} panel`);
    }
    assert.deepEqual((await controlNames(page)).slice(0, 3), ['Pause', 'Step', 'Reset']);
    assert.equal(await noticeText(page), '');
    // Not in a frame: no height messages (the page would post them to itself).
    const posted = await page.evaluate(async () => {
      const seen = [];
      const listen = (e) => seen.push(e.data);
      window.addEventListener('message', listen);
      window.raftlab.reset(5, 9); // taller logs
      await new Promise((r) => setTimeout(r, 500));
      window.removeEventListener('message', listen);
      return seen;
    });
    assert.deepEqual(posted, [], 'no message when the page is not in a frame');
    // Every panel name is known, in the order given.
    await page.goto(pageUrl('?embed&panels=legend,kv,events,network,client,node,settings'));
    await raftlabReady(page);
    const order = await page.evaluate(() => [...document.querySelectorAll('.embed-panels > section')].map((s) => s.getAttribute('aria-label')));
    assert.deepEqual(order, ['Legend', 'Key-value stores', 'Event log', 'Network', 'Client', 'Node actions', 'Settings']);
    assert.equal(await noticeText(page), '');
  });
});

test('embed: readonly has no controls and a picture that is not interactive', LIMIT, async (t) => {
  await withPage(t, pageUrl('?readonly&seed=3&panels=logs'), async (page) => {
    assert.equal(await page.getByRole('button').count(), 0, 'no buttons at all');
    assert.equal(await page.locator('input, select, textarea, svg [tabindex]').count(), 0, 'nothing to operate; the picture takes no focus');
    // Still named for assistive technology.
    await page.getByRole('img', { name: /^Node 1, S1, (follower|candidate|leader), term \d+/ }).waitFor();
    await page.getByRole('img', { name: 'Link S1–S2, working', exact: true }).waitFor({ state: 'attached' });
    assert.equal(await page.getByRole('region', { name: 'Logs', exact: true }).count(), 1);
    // Clicks and keys change nothing; the run plays on.
    await page.getByRole('img', { name: /^Node 1, S1,/ }).click();
    await page.locator('body').focus();
    for (const key of ['c', ' ', 'n', '0', 'h', '1', 'c']) await page.keyboard.press(key);
    await frames(page, 3);
    const st = await page.evaluate(() => ({ seed: window.raftlab.seed(), alive: window.raftlab.state().nodes.every((n) => n.alive), events: window.raftlab.scenario().events.length }));
    assert.deepEqual(st, { seed: 3, alive: true, events: 0 }, 'no action was taken');
    const t0 = await page.evaluate(() => window.raftlab.state().time_ms);
    await eventually(async () => (await page.evaluate(() => window.raftlab.state().time_ms)) > t0, { message: 'time to move (autoplay)' });
    // The scripting API still drives it (for authors' illustrations).
    await page.evaluate(() => window.raftlab.crash(1));
    await page.getByRole('img', { name: /^Node 1, S1, crashed/ }).waitFor();
  });
  await withPage(t, pageUrl('?readonly&panels=logs,client,settings'), async (page) => {
    assert.match(await noticeText(page), /readonly: the panels client, settings act on the run and are not shown/);
    assert.deepEqual(await controlNames(page), ['Dismiss message'], 'only the message\'s own button');
  });
});

test('embed: readonly at 360x240 (a pure illustration)', LIMIT, async (t) => {
  const host = hostPage('illustration/', { src: `${SUB}?readonly&seed=42`, width: 360, height: 240 });
  await withPage(t, host, async (page) => {
    const frame = raftFrame(page);
    await showcase(frame);
    await frames(page, 3);
    assertFits(await layout(frame), 'readonly 360x240');
    await page.locator('iframe').screenshot({ path: path.join(SHOTS, 'embed-readonly-360x240.png') });
  }, { ready: frameReady });
});

test('embed: autoplay=0 stays paused; speed, seed and nodes apply', LIMIT, async (t) => {
  await withPage(t, pageUrl('?embed&autoplay=0&seed=7&nodes=3'), async (page) => {
    await page.getByRole('button', { name: 'Play', exact: true }).waitFor();
    await frames(page, 30);
    await page.waitForTimeout(300);
    const st = await page.evaluate(() => ({ time: window.raftlab.state().time_ms, nodes: window.raftlab.state().nodes.length, seed: window.raftlab.seed() }));
    assert.deepEqual(st, { time: 0, nodes: 3, seed: 7 });
  });
  // speed=0.5: half a simulated second per wall second (the default is 0.05).
  await withPage(t, pageUrl('?embed&speed=0.5&autoplay=0'), async (page) => {
    const rate = await page.evaluate(async () => {
      const r = window.raftlab;
      const a = r.state().time_ms;
      const t0 = performance.now();
      r.play();
      await new Promise((res) => setTimeout(res, 1500));
      r.pause();
      return (r.state().time_ms - a) / ((performance.now() - t0) / 1000);
    });
    assert.ok(rate > 200 && rate <= 520, `about 500 simulated ms per wall second (got ${rate.toFixed(1)})`);
  });
});

test('embed: bad options show a notice, keep the defaults, and the page works', LIMIT, async (t) => {
  await withPage(t, pageUrl('?embed&speed=fast&nodes=12&seed=-1&panels=logs,bogus&autoplay=maybe&colour=red'), async (page) => {
    const text = await noticeText(page);
    for (const part of [
      'speed: "fast" is not a number from 0.001 to 2',
      'nodes: "12" is not a cluster size from 1 to 9',
      'seed: "-1" is not a whole number',
      'panels: no panel "bogus" (the panels are logs, kv, events, safety, network, client, node, settings, legend, timeline, history, diagram)',
      'autoplay: "maybe" is not 1 or 0',
      'no option "colour" (the options are embed, panels, autoplay, speed, seed, nodes, readonly, lesson, present, notes, system, scenario)',
    ]) {
      assert.ok(text.includes(part), `the notice says ${part}: ${text}`);
    }
    assert.equal(await page.getByRole('region', { name: 'Logs', exact: true }).count(), 1, 'the good panel is shown');
    const st = await page.evaluate(() => window.raftlab.state());
    assert.equal(st.nodes.length, 5, 'the default cluster size');
    await eventually(async () => (await page.evaluate(() => window.raftlab.state().time_ms)) > st.time_ms, { message: 'the default autoplay' });
    await page.screenshot({ path: path.join(SHOTS, 'embed-bad-options.png') });
    await page.getByRole('button', { name: 'Dismiss message' }).click();
    assert.equal(await noticeText(page), '');
  }, { contextOptions: { viewport: { width: 600, height: 400 } } });
  // Odd text: never a panic, never a freeze.
  for (const query of ['?embed&speed=%zz&nodes=&seed=%FF%FE&embed=%F0', '?%&&=&==&speed=1e999&panels=%2C%2C', `?embed&speed=${'9'.repeat(5000)}`, '?embed=0&panels=logs']) {
    await withPage(t, pageUrl(query), async (page) => {
      assert.ok((await page.evaluate(() => window.raftlab.state().nodes.length)) >= 1);
      assert.notEqual(await noticeText(page), '', `${query.slice(0, 60)}: a notice`);
    });
  }
});
