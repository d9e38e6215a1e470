// Browser tests of the offline copy and the installable app (www/sw.js, www/sw-register.js,
// scripts/postbuild/sw.mjs): after one visit the page, its lessons and its URL options work
// with the server stopped and the browser offline; a new build installs in the background,
// is announced by a banner and replaces the old one only on the reader's click (and a build
// whose files do not match its list is refused, the old one kept); the web manifest and its
// icons. Run by `node --test tests/e2e/run.mjs` (which imports this file) or alone:
// `node --test tests/e2e/offline.mjs`.
//
// Each test starts its own server (it stops it to go offline) and a fresh browser context
// (so no worker leaks into another test). The update test serves a copy of dist/ and writes
// its new builds with the post-build step's own module. Screenshots of the update banner go
// to target/screenshots/offline-update-banner-{light,dark}.png.
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from './server.mjs';
import { launch, openPage, pageReady, pageText, frames, eventually } from './browser.mjs';
import { run as writeServiceWorker } from '../../scripts/postbuild/sw.mjs';

const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
const DIST = path.resolve(ROOT, process.env.RAFTLAB_DIST ?? 'dist');
const SHOTS = path.join(ROOT, 'target/screenshots');
const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
const BASE = '/classroom/raftlab/'; // a sub-path: the worker's scope is the page's folder

let browser;
const cleanups = [];

before(async () => {
  if (!existsSync(path.join(DIST, 'sw.js'))) {
    throw new Error(`${DIST}/sw.js is missing: build the page first (trunk build --release --offline)`);
  }
  mkdirSync(path.join(SHOTS, 'failures'), { recursive: true });
  browser = await launch();
});

after(async () => {
  await browser?.close();
  for (const f of cleanups.reverse()) await f();
});

/** The version written into a build's sw.js. */
const versionOf = (dir) => readFileSync(path.join(dir, 'sw.js'), 'utf8').match(/const VERSION = "([0-9a-f]+)";/)[1];
/** The files a build's sw.js lists. */
const filesOf = (dir) => [...readFileSync(path.join(dir, 'sw.js'), 'utf8').matchAll(/^ {2}\["([^"]+)","sha256-[^"]+"\],$/gm)].map((m) => m[1]);

/**
 * Opens `address` in a fresh context, runs `body(page, ctx)` and checks that the pages logged
 * no error and requested nothing from another origin; saves a screenshot on failure.
 */
async function withOffline(t, address, origin, body, contextOptions = {}) {
  const { context, page, problems } = await openPage(browser, address, origin, contextOptions);
  try {
    await pageReady(page);
    await body(page, { context, problems });
    assert.deepEqual(problems(), [], 'the page logged errors or made outside requests');
  } catch (err) {
    const slug = t.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
    await page.screenshot({ path: path.join(SHOTS, 'failures', `${slug}.png`) }).catch(() => {});
    err.message += `\n  seen on the page: ${problems().join('; ')}\n  the page shows: ${await pageText(page)}`;
    throw err;
  } finally {
    await context.close();
  }
}

/** Waits until the page's registration has an activated worker; returns its cache names. */
async function activated(page) {
  await page.evaluate(async () => {
    const reg = await navigator.serviceWorker.ready;
    const w = reg.active;
    if (w.state !== 'activated') {
      await new Promise((resolve) => w.addEventListener('statechange', () => w.state === 'activated' && resolve()));
    }
  });
  return cacheNames(page);
}

const cacheNames = (page) => page.evaluate(() => caches.keys());
/** What the cache of `version` holds, as paths relative to the page's folder. */
const cached = (page, version) =>
  page.evaluate(async (version) => {
    const name = (await caches.keys()).find((n) => n.endsWith(' ' + version));
    if (!name) return null;
    const cache = await caches.open(name);
    const base = new URL('./', location.href).href;
    return (await cache.keys()).map((r) => r.url.slice(base.length)).sort();
  }, version);

/** Reloads and waits for the page (and its raftlab) again. */
async function reload(page) {
  await page.reload({ waitUntil: 'load' });
  await pageReady(page);
}

/** A leader after 3 s of seed 1: the page's simulation runs. */
async function simulationRuns(page) {
  const st = await page.evaluate(() => {
    const r = window.raftlab;
    r.pause();
    r.reset(1, 5);
    r.pause();
    r.advance(3000);
    return r.state();
  });
  assert.equal(st.nodes.length, 5);
  assert.ok(st.nodes.some((n) => n.alive && n.role === 'leader'), `a leader after 3 s (roles: ${st.nodes.map((n) => n.role)})`);
  await page.locator('[aria-label^="Node 5"]').waitFor({ state: 'attached' });
}

const banner = (page) => page.getByRole('status').filter({ hasText: 'A new version of raftlab is ready.' });

test('offline: after one visit the page, its lessons and its URL options work with the server stopped and no network', { timeout: 120_000 }, async (t) => {
  const server = await start(DIST, BASE);
  let closed = false;
  cleanups.push(() => !closed && server.close());
  const version = versionOf(DIST);
  const files = filesOf(DIST);
  const lessons = JSON.parse(readFileSync(path.join(DIST, 'lessons/index.json'), 'utf8'));
  const first = lessons[0];
  const step1 = JSON.parse(readFileSync(path.join(DIST, `lessons/${first.id}.json`), 'utf8')).steps[0];
  for (const f of ['index.html', 'sw-register.js', 'manifest.webmanifest', 'icons/raftlab.svg', 'lessons/index.json', `lessons/${first.id}.json`]) {
    assert.ok(files.includes(f), `sw.js lists ${f}`);
  }
  assert.ok(!files.includes('sw.js'), 'sw.js does not list itself');
  assert.ok(files.some((f) => /^raftlab-web-[0-9a-f]+_bg\.wasm$/.test(f)) && files.some((f) => /^style-[0-9a-f]+\.css$/.test(f)), 'sw.js lists the hashed wasm and stylesheet');

  await withOffline(t, server.url, server.origin, async (page, { context }) => {
    // The first visit: the worker installs every file of the build, and says nothing.
    const names = await activated(page);
    assert.deepEqual(names, [`raftlab ${server.url} ${version}`], 'one cache, named by the scope and the version');
    // Every file of the build, and the worker's note of when it filled the cache (www/sw.js).
    assert.deepEqual(await cached(page, version), [...files, 'raftlab-build-filled'].sort(), 'the cache holds every file of the build (despite Cache-Control: no-store)');
    assert.equal(await page.evaluate(() => navigator.serviceWorker.controller), null, 'the first visit is not controlled');
    assert.equal(await page.locator('.sw-update').count(), 0, 'the first install shows no banner');
    await reload(page);
    assert.ok(await page.evaluate(() => Boolean(navigator.serviceWorker.controller)), 'the next visit is controlled');

    // No network at all: the server is stopped and the browser offline.
    await server.close();
    closed = true;
    await context.setOffline(true);
    const res = await page.reload({ waitUntil: 'load' });
    assert.ok(res.fromServiceWorker(), 'the page comes from the service worker');
    await pageReady(page);
    await simulationRuns(page);
    assert.equal(await page.evaluate(() => navigator.onLine), false, 'the browser is offline');

    // A lesson link: the lesson file comes from the cache too.
    await page.goto('about:blank');
    await page.goto(`${server.url}#lesson=${first.id}`, { waitUntil: 'load' });
    await pageReady(page);
    const player = page.getByRole('region', { name: 'Lesson' });
    await player.getByText(step1.title, { exact: true }).filter({ visible: true }).first().waitFor({ timeout: 15_000 });
    const sentence = step1.text.split(/(?<=\.)\s/)[0].replace(/[*_`]/g, '');
    await player.getByText(sentence.slice(0, 40)).first().waitFor();
    assert.equal((await page.evaluate(() => window.raftlab.lessonState())).id, first.id);
    const list = await page.evaluate(() => window.raftlab.lessons());
    assert.equal(list.length, lessons.length, 'the list of lessons loads offline');

    // Query strings: an embedded lesson and presenter mode.
    await page.goto(`${server.url}?embed&lesson=${first.id}`, { waitUntil: 'load' });
    await pageReady(page);
    await page.waitForFunction((id) => window.raftlab.lessonState()?.id === id, first.id, { timeout: 15_000 });
    await page.goto(`${server.url}index.html?present#lesson=${first.id}&step=1`, { waitUntil: 'load' });
    await pageReady(page);
    await page.getByRole('region', { name: 'Caption' }).getByText(step1.title, { exact: true }).filter({ visible: true }).first().waitFor({ timeout: 15_000 });

  });
});

/** Serves a copy of dist/ under BASE from a temporary folder; returns it and its server. */
async function serveCopy() {
  const tmp = mkdtempSync(path.join(tmpdir(), 'raftlab-offline-'));
  const dir = path.join(tmp, 'raftlab');
  cpSync(DIST, dir, { recursive: true });
  const server = await start(dir, BASE);
  let closed = false;
  cleanups.push(async () => {
    if (!closed) await server.close();
    rmSync(tmp, { recursive: true, force: true });
  });
  return { dir, server, close: async () => ((closed = true), server.close()) };
}

/** Re-runs the post-build step on the copy: a new sw.js (and manifest) for what it now holds. */
async function rebuild(dir) {
  const css = readFileSync(path.join(dir, 'index.html'), 'utf8').match(/href="\.\/(style-[0-9a-f]+\.css)"/)[1];
  await writeServiceWorker({ dir, css });
  return versionOf(dir);
}

/** Asks the registration to look for a new sw.js; returns the new worker's final install state. */
const update = (page) =>
  page.evaluate(async () => {
    const reg = await navigator.serviceWorker.getRegistration();
    await reg.update();
    const w = reg.installing ?? reg.waiting;
    if (!w) return 'no new worker';
    while (w.state === 'installing') await new Promise((r) => w.addEventListener('statechange', r, { once: true }));
    return w.state;
  });

const MARKER = '<meta name="raftlab-test-build" content="2" />';
const hasMarker = (page) => page.evaluate(() => document.querySelector('meta[name="raftlab-test-build"]') !== null);

async function axeOn(page, selector, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async (selector) => {
    const r = await window.axe.run({ include: [selector] }, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => `${v.id}: ${v.nodes.map((n) => n.failureSummary).join(' / ')}`);
  }, selector);
  assert.deepEqual(violations, [], `axe-core finds no WCAG 2.1 A/AA violation (${what})`);
}

test('offline: a new build installs in the background, waits for the reader\'s Reload, then replaces the old one; a mismatched build is refused', { timeout: 180_000 }, async (t) => {
  const { dir, server, close } = await serveCopy();
  const v1 = await rebuild(dir);
  const index = path.join(dir, 'index.html');
  const html1 = readFileSync(index, 'utf8');
  await withOffline(t, server.url, server.origin, async (page, { context, problems }) => {
    await activated(page);
    await reload(page);
    const scope = server.url;
    assert.deepEqual(await cacheNames(page), [`raftlab ${scope} ${v1}`]);

    // A build whose files do not match its list (a lesson changed after sw.js was written,
    // as in a half-finished upload): its install fails, the old build keeps serving.
    writeFileSync(index, html1.replace('</head>', `${MARKER}</head>`));
    // The new build's consensus lesson has another title: a page tells which build it got.
    const consensus = path.join(dir, 'lessons/consensus.json');
    const consensus1 = JSON.parse(readFileSync(consensus, 'utf8'));
    writeFileSync(consensus, JSON.stringify({ ...consensus1, title: `${consensus1.title} (new build)` }));
    const v2 = await rebuild(dir);
    assert.notEqual(v2, v1, 'a changed file changes the version');
    const lesson = path.join(dir, 'lessons/index.json');
    const lessonText = readFileSync(lesson, 'utf8');
    writeFileSync(lesson, lessonText + '\n');
    assert.equal(await update(page), 'redundant', 'the mismatched build is refused');
    assert.deepEqual(await cacheNames(page), [`raftlab ${scope} ${v1}`], 'nothing of it is kept');
    await frames(page, 3);
    assert.equal(await page.locator('.sw-update').count(), 0, 'no banner for a refused build');

    // The build, whole: it installs and waits; the page is told, and keeps its build.
    writeFileSync(lesson, lessonText);
    assert.equal(await rebuild(dir), v2);
    assert.equal(await update(page), 'installed', 'the new build installs and waits');
    await banner(page).waitFor();
    assert.deepEqual((await cacheNames(page)).sort(), [`raftlab ${scope} ${v1}`, `raftlab ${scope} ${v2}`].sort());
    const served = await page.evaluate(() => fetch('./').then((r) => r.text()));
    assert.ok(!served.includes('raftlab-test-build'), 'while it waits, the page still gets its own build');
    assert.equal(await hasMarker(page), false);

    // A second page of the old build, open beside it.
    const other = await context.newPage();
    await other.goto(server.url, { waitUntil: 'load' });
    await pageReady(other);
    await banner(other).waitFor();

    // The banner: role=status, a Reload button, in view, not over the playback bar; light and dark.
    const box = await page.locator('.sw-update').boundingBox();
    const bar = await page.getByRole('toolbar', { name: 'Playback' }).boundingBox();
    assert.ok(box && box.y + box.height <= 800 && box.x + box.width <= 1280, 'the banner is in view');
    assert.ok(box.y >= bar.y + bar.height || box.y + box.height <= bar.y, 'the banner does not cover the playback bar');
    const reloadButton = banner(page).getByRole('button', { name: 'Reload', exact: true });
    await banner(page).getByRole('button', { name: 'Later', exact: true }).waitFor();
    await frames(page, 2);
    await page.screenshot({ path: path.join(SHOTS, 'offline-update-banner-light.png') });
    await axeOn(page, '.sw-update', 'the update banner, light');
    const light = await page.locator('.sw-update').evaluate((el) => getComputedStyle(el).backgroundColor);
    await page.evaluate(() => (document.documentElement.dataset.theme = 'dark'));
    await frames(page, 2);
    const dark = await page.locator('.sw-update').evaluate((el) => getComputedStyle(el).backgroundColor);
    assert.notEqual(dark, light, 'the banner follows the dark theme');
    await page.screenshot({ path: path.join(SHOTS, 'offline-update-banner-dark.png') });
    await axeOn(page, '.sw-update', 'the update banner, dark');
    await page.evaluate(() => delete document.documentElement.dataset.theme);
    // On a phone the page scrolls: at its end, nothing is left under the banner.
    await page.setViewportSize({ width: 390, height: 800 });
    await page.evaluate(() => window.scrollTo(0, document.documentElement.scrollHeight));
    await frames(page, 2);
    const phone = await page.evaluate(() => {
      const b = document.querySelector('.sw-update').getBoundingClientRect();
      const app = document.getElementById('app').getBoundingClientRect();
      return { top: b.top, left: b.left, right: b.right, appBottom: app.bottom };
    });
    assert.ok(phone.left >= 0 && phone.right <= 390, `the banner fits the phone's width (${JSON.stringify(phone)})`);
    assert.ok(phone.appBottom <= phone.top, `at the end of the page, nothing is under the banner (${JSON.stringify(phone)})`);
    await page.screenshot({ path: path.join(SHOTS, 'offline-update-banner-phone.png') });
    await page.setViewportSize({ width: 1280, height: 800 });

    // Reload, from the keyboard: the new worker takes over, then the page reloads into it.
    await reloadButton.focus();
    const loaded = page.waitForEvent('load', { timeout: 20_000 });
    await page.keyboard.press('Enter');
    await loaded;
    await pageReady(page);
    assert.equal(await hasMarker(page), true, 'the page runs the new build');
    assert.equal(await page.locator('.sw-update').count(), 0, 'no banner after the update');
    await simulationRuns(page);
    const titleOf = async (p) => {
      await p.evaluate(() => window.raftlab.openLesson('consensus'));
      await p.waitForFunction(() => window.raftlab.lessonState()?.title, null, { timeout: 15_000 });
      const title = await p.evaluate(() => window.raftlab.lessonState().title);
      await p.evaluate(() => window.raftlab.closeLesson());
      return title;
    };
    assert.equal(await titleOf(page), `${consensus1.title} (new build)`, 'the new page opens the new build\'s lesson');

    // The other page did not reload by itself: it still runs the old build, and offers the reload.
    assert.equal(await hasMarker(other), false, 'the other page is not reloaded behind the reader\'s back');
    await banner(other).waitFor();
    assert.ok(await other.evaluate(() => typeof window.raftlab.state === 'function'));
    // It is not half-updated: a lesson it opens now is its own build's, from the old cache,
    // which is kept while it is open.
    assert.equal(await titleOf(other), consensus1.title, 'the old page opens its own build\'s lesson');
    assert.deepEqual((await cacheNames(page)).sort(), [`raftlab ${scope} ${v1}`, `raftlab ${scope} ${v2}`].sort(), 'the old cache is kept for the old page');
    await other.close();
    // Once no page of the old build is open, the next page load deletes its cache.
    await reload(page);
    await eventually(async () => (await cacheNames(page)).length === 1, { message: 'the old cache is deleted' });
    assert.deepEqual(await cacheNames(page), [`raftlab ${scope} ${v2}`], 'the old cache is gone');

    // The new build works offline.
    await close();
    await context.setOffline(true);
    await reload(page);
    assert.equal(await hasMarker(page), true, 'offline, the new build is served');
    await simulationRuns(page);
    assert.deepEqual(problems(), []);
  });
});

test('offline: the web manifest is valid, with its fields and icons; the page links it, its icon and theme colours', { timeout: 90_000 }, async (t) => {
  const server = await start(DIST, BASE);
  cleanups.push(() => server.close());
  await withOffline(t, server.url, server.origin, async (page, { context }) => {
    const href = await page.locator('link[rel="manifest"]').evaluate((l) => l.href);
    assert.equal(href, `${server.url}manifest.webmanifest`);
    const res = await page.request.get(href);
    assert.equal(res.status(), 200);
    assert.match(res.headers()['content-type'], /^application\/manifest\+json/);
    const m = JSON.parse(await res.text());
    assert.equal(m.name, 'raftlab: watch Raft work');
    assert.equal(m.short_name, 'raftlab');
    assert.equal(m.start_url, './');
    assert.equal(m.scope, './');
    assert.equal(m.display, 'standalone');
    for (const k of ['theme_color', 'background_color']) assert.match(m[k], /^#[0-9a-f]{6}$/, k);

    // Its colours are the page's (light theme): the top bar's and the background's.
    const tokens = () => page.evaluate(() => {
      const s = getComputedStyle(document.documentElement);
      return { panel: s.getPropertyValue('--panel').trim(), bg: s.getPropertyValue('--bg').trim() };
    });
    assert.deepEqual(await tokens(), { panel: m.theme_color, bg: m.background_color });
    const metas = await page.locator('meta[name="theme-color"]').evaluateAll((ms) => ms.map((e) => [e.media, e.content]));
    assert.deepEqual(metas[0], ['(prefers-color-scheme: light)', m.theme_color]);
    await page.emulateMedia({ colorScheme: 'dark' });
    assert.deepEqual(metas[1], ['(prefers-color-scheme: dark)', (await tokens()).panel], 'the dark theme-color is the dark --panel');

    // The icons: SVG, one for any use and one maskable, each drawn.
    const purposes = m.icons.map((i) => i.purpose);
    assert.ok(purposes.includes('any') && purposes.includes('maskable'), `icons for any and maskable (${purposes})`);
    const favicon = await page.locator('link[rel="icon"]').evaluate((l) => [l.getAttribute('href'), l.type]);
    assert.deepEqual(favicon, [m.icons.find((i) => i.purpose === 'any').src, 'image/svg+xml'], 'the page\'s icon is the manifest\'s');
    for (const icon of m.icons) {
      assert.equal(icon.type, 'image/svg+xml');
      const url = new URL(icon.src, href).href;
      const r = await page.request.get(url);
      assert.equal(r.status(), 200, `${icon.src} loads`);
      assert.match(r.headers()['content-type'], /^image\/svg\+xml/);
      const size = await page.evaluate(async (url) => {
        const img = new Image();
        img.src = url;
        await img.decode();
        return [img.naturalWidth, img.naturalHeight];
      }, url);
      assert.ok(size[0] > 0 && size[0] === size[1], `${icon.src} is a square picture (${size})`);
    }

    // Chromium reads the manifest without complaint, and sees an installable app.
    const cdp = await context.newCDPSession(page);
    const app = await cdp.send('Page.getAppManifest');
    assert.equal(app.url, href);
    assert.deepEqual(app.errors, [], 'Chromium\'s manifest parser reports nothing');
    const { installabilityErrors } = await cdp.send('Page.getInstallabilityErrors');
    // A Playwright context is off the record, which Chromium never offers to install from.
    const errors = installabilityErrors.map((e) => e.errorId).filter((id) => id !== 'in-incognito');
    assert.deepEqual(errors, [], 'no installability error');
  });
});
