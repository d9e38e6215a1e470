// The first frame pre-rendered into index.html at build time (scripts/postbuild/prerender.mjs):
// drawn with JavaScript off, drawn before the wasm arrives, replaced without a duplicate by
// the live app, the same frame the app draws, and giving way on addresses that start
// elsewhere. Imported by tests/e2e/run.mjs; runs on its own too
// (`node --test tests/e2e/prerender.mjs`).
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { DIST, LIMIT, SHOTS, pageUrl, withPage } from './harness.mjs';
import { frames, launch } from './browser.mjs';

const built = () => readFileSync(path.join(DIST, 'index.html'), 'utf8');

/** The names of the servers drawn in the cluster picture, in order. */
const nodeNames = (page) =>
  page.$$eval('#app svg.picture [role="button"][aria-label^="Node "]', (els) => els.map((e) => e.getAttribute('aria-label')));

/** Holds every wasm response back until `release()` is called. */
async function holdWasm(page) {
  let release;
  const gate = new Promise((r) => (release = r));
  await page.route('**/*.wasm', async (route) => {
    await gate;
    await route.continue();
  });
  return () => release();
}

/** No service worker: it would answer the second load from its cache, past the held route. */
const NO_SW = { serviceWorkers: 'block' };

/** Waits until every held request has finished (the wasm's preload and its fetch), so that
 * closing the page does not abort one of them. */
async function settle(page) {
  await page.waitForLoadState('networkidle');
}

test('prerender: index.html holds the first frame, drawn by the build from the page\'s own code', LIMIT, () => {
  const html = built();
  assert.match(html, /<div id="app" data-raftlab-page data-prerendered="">/, 'the frame is in #app');
  for (let n = 1; n <= 5; n++) assert.ok(html.includes(`aria-label="Node ${n}, S${n}, follower, term 0"`), `server S${n} at time 0`);
  assert.ok(html.includes('aria-label="Playback"'), 'the playback bar');
  assert.ok(html.includes('class="intro"'), 'the one-line introduction');
});

test('prerender: with JavaScript off, the cluster, the top bar and the introduction are drawn', LIMIT, async () => {
  // A browser of its own: the harness's page checks run scripts in the page.
  const browser = await launch();
  try {
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, javaScriptEnabled: false });
    const page = await context.newPage();
    await page.goto(pageUrl(), { waitUntil: 'load' });
    const s1 = page.getByRole('button', { name: 'Node 1, S1, follower, term 0' });
    assert.ok(await s1.isVisible(), 'S1 is drawn');
    const box = await page.locator('#app svg.picture').boundingBox();
    assert.ok(box && box.width > 400 && box.height > 400, `the picture has its size (${JSON.stringify(box)})`);
    assert.ok(await page.getByRole('toolbar', { name: 'Playback' }).isVisible(), 'the playback bar');
    assert.match(await page.locator('.intro').innerText(), /^Press Play: the servers elect a leader/);
    await page.screenshot({ path: path.join(SHOTS, 'prerender-no-javascript.png') });
  } finally {
    await browser.close();
  }
});

test('prerender: the frame shows before the wasm arrives, then the live app replaces it with no duplicate', LIMIT, async (t) => {
  await withPage(
    t,
    pageUrl(),
    async (page) => {
      // The harness opened the page already; open it again with the wasm held back.
      await settle(page); // the harness's first load: navigating away would abort what it fetches
      const release = await holdWasm(page);
      await page.goto(pageUrl(), { waitUntil: 'domcontentloaded' });
      await frames(page, 2);
      assert.equal(await page.evaluate(() => typeof window.raftlab), 'undefined', 'the wasm has not started');
      assert.equal(await page.locator('#app').getAttribute('data-prerendered'), '', 'the pre-rendered frame');
      const before = await nodeNames(page);
      assert.deepEqual(before, [1, 2, 3, 4, 5].map((n) => `Node ${n}, S${n}, follower, term 0`));
      const box = await page.locator('#app svg.picture').boundingBox();
      // Watch the takeover. A mutation observer sees #app at each microtask checkpoint after
      // it changed (a state there is not painted if the same task finishes the frame); when
      // it sees #app without its full picture, it looks again at the start of the next task,
      // after which the browser may paint. Every animation frame (what is about to be painted)
      // is looked at too. Neither may find #app without the picture and its 5 servers, or
      // with a loading line: that would be a flash.
      await page.evaluate(() => {
        const app = document.getElementById('app');
        const seen = (window.__takeover = []);
        const look = (when) => {
          const s = {
            when,
            pictures: app.querySelectorAll('svg.picture').length,
            servers: app.querySelectorAll('svg.picture [role="button"][aria-label^="Node "]').length,
            loading: /Loading/i.test(app.textContent),
          };
          seen.push(s);
          return s.pictures === 1 && s.servers === 5 && !s.loading;
        };
        new MutationObserver(() => {
          if (!look('mutation')) setTimeout(() => look('next task'), 0);
        }).observe(app, { childList: true, subtree: true });
        const tick = () => { look('frame'); if (seen.length < 5000) requestAnimationFrame(tick); };
        requestAnimationFrame(tick);
      });
      release();
      await page.waitForFunction(() => typeof window.raftlab === 'object' && window.raftlab !== null);
      await settle(page);
      await frames(page, 3);
      const takeover = await page.evaluate(() => window.__takeover);
      assert.ok(takeover.some((s) => s.when === 'mutation'), 'the app replaced the frame (a mutation was seen)');
      const flash = takeover.filter((s) => s.when !== 'mutation' && (s.pictures !== 1 || s.servers !== 5 || s.loading));
      assert.ok(takeover.filter((s) => s.when === 'frame').length >= 3, 'frames were looked at');
      assert.deepEqual(flash, [], `no moment without the full picture during the takeover (${takeover.length} samples)`);
      await page.evaluate(() => window.raftlab.pause());
      await frames(page, 2);
      // One app, one cluster: the frame was replaced, not added to.
      assert.equal(await page.locator('#app .app').count(), 1);
      assert.equal(await page.locator('#app svg.picture').count(), 1);
      const after = await nodeNames(page);
      assert.equal(after.length, 5);
      const live = await page.locator('#app svg.picture').boundingBox();
      assert.ok(Math.abs(live.x - box.x) < 1 && Math.abs(live.y - box.y) < 1 && Math.abs(live.width - box.width) < 1,
        `the picture does not move when the app takes over (${JSON.stringify(box)} then ${JSON.stringify(live)})`);
      // The live app acts.
      await page.getByRole('button', { name: 'Step', exact: true }).click();
      await page.waitForFunction(() => window.raftlab.state().time_ms > 0);
    },
    { ready: async () => {}, contextOptions: NO_SW },
  );
});

test('prerender: the frame is the one the app draws at time 0 (same servers, bar and intro)', LIMIT, async (t) => {
  await withPage(t, pageUrl('#v=1&seed=7&n=5&u=5000'), async (page) => {
    // A link starts elsewhere, so this page had no pre-rendered frame; go back to time 0.
    await page.evaluate(() => { window.raftlab.pause(); window.raftlab.seek?.(0); });
    await frames(page, 2);
    const liveNames = await nodeNames(page);
    const html = built();
    const frameNames = [...html.matchAll(/role="button" tabindex="0" aria-label="(Node \d[^"]*)"/g)].map((m) => m[1]);
    assert.deepEqual(frameNames, liveNames, 'the same servers, with the same names and roles');
    // The top bar (its controls, by name) and the introduction's words, read the same way
    // from the built page and from the live one. Play and Pause are one control (the frame
    // is drawn playing; this page is paused).
    const read = (root) => {
      const name = (e) => (e.getAttribute('aria-label') || e.textContent).trim().replace(/^(Play|Pause)$/, 'Play/Pause');
      return {
        bar: [...root.querySelectorAll('header.bar button, header.bar input, header.bar select')].map(name),
        intro: root.querySelector('.intro')?.textContent.replace(/\s+/g, ' ').trim() ?? null,
      };
    };
    const live = await page.evaluate(`(${read})(document)`);
    const framed = await page.evaluate(`(${read})(new DOMParser().parseFromString(${JSON.stringify(html)}, 'text/html'))`);
    assert.ok(live.bar.length >= 5 && live.intro, JSON.stringify(live));
    assert.deepEqual(framed, live, 'the same top bar and introduction');
  });
});

test('prerender: an address with a link or options shows the loading line, not a frame it would not keep', LIMIT, async (t) => {
  for (const rel of ['?embed', '#v=1&seed=42&n=3&u=5000']) {
    await withPage(
      t,
      pageUrl(),
      async (page) => {
        await settle(page); // the harness's first load: navigating away would abort what it fetches
        const release = await holdWasm(page);
        // From another document: a change of fragment alone would not load the page again.
        await page.goto('about:blank');
        await page.goto(pageUrl(rel), { waitUntil: 'domcontentloaded' });
        await frames(page, 2);
        assert.equal(await page.locator('#app svg.picture').count(), 0, `${rel}: no pre-rendered picture`);
        assert.match(await page.locator('#app').innerText(), /Loading the simulated cluster/, `${rel}: the loading line`);
        release();
        await page.waitForFunction(() => typeof window.raftlab === 'object' && window.raftlab !== null);
        await page.waitForSelector('[aria-label^="Node 1"]', { state: 'attached' });
        await settle(page);
      },
      { ready: async () => {}, contextOptions: NO_SW },
    );
  }
});

test('prerender: a reader who dismissed the introduction does not see it before the wasm', LIMIT, async (t) => {
  await withPage(
    t,
    pageUrl(),
    async (page) => {
      await page.evaluate(() => localStorage.setItem('raftlab-intro', 'dismissed'));
      await settle(page); // the harness's first load: navigating away would abort what it fetches
      const release = await holdWasm(page);
      await page.goto(pageUrl(), { waitUntil: 'domcontentloaded' });
      await frames(page, 2);
      assert.equal(await page.locator('#app[data-prerendered]').count(), 1, 'the pre-rendered frame');
      assert.equal(await page.locator('.intro').count(), 0, 'no introduction');
      release();
      await page.waitForFunction(() => typeof window.raftlab === 'object' && window.raftlab !== null);
      await settle(page);
    },
    { ready: async () => {}, contextOptions: NO_SW },
  );
});
