// Post-build step 'prerender' (see scripts/postbuild.mjs): puts the page's first frame into
// index.html, so that the cluster, the top bar and the introduction are drawn as soon as the
// HTML and the stylesheet arrive, before the wasm (and with JavaScript off).
//
// The frame is not a hand-kept copy: the staged build itself is opened in headless Chromium,
// the page's own view code draws its first frame (time 0, animation frames held back so the
// run does not move), and the DOM it built inside #app is written into index.html. When the
// wasm starts, Yew mounts the app on #app: it empties the element and renders the same frame
// in the same task, before the browser paints again, so there is no flash.
//
// A small inline script after #app keeps the frame honest for readers it does not fit: when
// the address has a query (embed, presenter mode, options) or a fragment (a share link, a
// lesson), the page will start elsewhere, so the frame gives way to the loading line; a
// reader who dismissed the introduction does not see it come back and go.
//
// Needs Chromium and playwright-core (bash scripts/setup.sh browser). Without them the step
// is skipped with a note and index.html keeps its loading line. RAFTLAB_PRERENDER=0 skips it.
import { existsSync } from 'node:fs';
import { readFile, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
const APP_DIV = /<div id="app"([^>]*)>[\s\S]*?<\/div>\s*(?=<noscript>)/;

/** What runs in the page before its own scripts: the run stays at time 0. */
function holdTime() {
  window.requestAnimationFrame = () => 0;
}

export async function run(build) {
  if (process.env.RAFTLAB_PRERENDER === '0') return 'skipped (RAFTLAB_PRERENDER=0)';
  if (!existsSync(CHROMIUM) || !existsSync(path.join(ROOT, 'node_modules/playwright-core'))) {
    return `skipped: no headless Chromium (${CHROMIUM}) or playwright-core; run bash scripts/setup.sh browser to pre-render the first frame`;
  }
  const index = path.join(build.dir, 'index.html');
  const html = await readFile(index, 'utf8');
  if (!APP_DIV.test(html)) throw new Error(`prerender: ${index} has no <div id="app">…</div> before <noscript>`);

  const { start } = await import('../../tests/e2e/server.mjs');
  const { launch } = await import('../../tests/e2e/browser.mjs');
  const server = await start(build.dir, '/');
  const browser = await launch();
  let frame;
  try {
    // No service worker: sw.js is written by a later step (and the frame must not depend on it).
    const context = await browser.newContext({ viewport: { width: 1280, height: 800 }, serviceWorkers: 'block' });
    const page = await context.newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(String(e)));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.addInitScript(holdTime);
    await page.goto(server.url, { waitUntil: 'load' });
    await page.waitForFunction(() => typeof window.raftlab === 'object' && window.raftlab !== null, null, { timeout: 30_000 });
    await page.waitForSelector('#app [aria-label^="Node 1"]', { timeout: 30_000, state: 'attached' });
    // Let Yew finish the first render and its effects (they run in microtasks and timers).
    await page.waitForTimeout(300);
    const time = await page.evaluate(() => window.raftlab.state().time_ms);
    if (time !== 0) throw new Error(`prerender: the first frame is at ${time} ms, not at time 0`);
    if (errors.length) throw new Error(`prerender: the page reported errors: ${errors.join('; ')}`);
    // Values the view set as properties (inputs) are not in the markup: nothing to keep.
    frame = await page.evaluate(() => document.getElementById('app').innerHTML);
    await context.close();
  } finally {
    await browser.close();
    await server.close();
  }
  const keep = `<script>
      // The pre-rendered frame (scripts/postbuild/prerender.mjs) shows the plain page at time 0.
      (function () {
        var app = document.getElementById('app');
        if (location.search || location.hash) {
          app.removeAttribute('data-prerendered');
          app.innerHTML = '<p class="loading">Loading the simulated cluster…</p>';
          return;
        }
        try {
          var theme = localStorage.getItem('raftlab-theme');
          if (theme === 'light' || theme === 'dark') document.documentElement.setAttribute('data-theme', theme);
          if (localStorage.getItem('raftlab-intro') === 'dismissed') {
            var intro = app.querySelector('.intro');
            if (intro) intro.remove();
          }
        } catch (e) {}
      })();
    </script>
    `;
  const out = html.replace(
    APP_DIV,
    // The tag keeps its attributes (data-raftlab-page tells the wasm this is the full page).
    (_, attrs) => `<div id="app"${attrs} data-prerendered="">${frame}</div>\n    ${keep}`,
  );
  await writeFile(index, out);
  return `first frame written into index.html (${(frame.length / 1000).toFixed(1)} KB of markup)`;
}
