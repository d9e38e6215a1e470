// Shared set-up of the file and embed tests (tests/e2e/files.mjs, tests/e2e/embed.mjs), which
// tests/e2e/run.mjs imports (so `node --test tests/e2e/run.mjs` runs them all); each also runs
// on its own (`node --test tests/e2e/embed.mjs`).
//
// One browser and one static server for both files, started before their first test. The
// server's root is a temporary folder holding dist/ under a deep sub-path (SUB) and the host
// pages the embed tests write (hostPage); everything is on one origin, so the harness's
// "no outside request" check covers the frames too.
import { before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, writeFileSync, readFileSync, symlinkSync, rmSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { start } from './server.mjs';
import { launch, openPage, pageReady, pageText, frames } from './browser.mjs';

export const ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..');
export const DIST = path.resolve(ROOT, process.env.RAFTLAB_DIST ?? 'dist');
export const CLI = path.resolve(ROOT, process.env.RAFTLAB_CLI ?? 'target/release/raftlab');
export const SHOTS = path.join(ROOT, 'target/screenshots');
export const FIXTURES = path.join(ROOT, 'tests/e2e/fixtures');
/** Where the page is served: a deep sub-path (the page must use relative URLs). */
export const SUB = '/some/deep/sub/path/raftlab/';
/** No test should take more than a minute, even on a busy 2-core machine. */
export const LIMIT = { timeout: 60_000 };

let server;
let browser;
let site;

before(async () => {
  if (!existsSync(path.join(DIST, 'index.html'))) {
    throw new Error(`${DIST}/index.html is missing: build the page first (trunk build --release --offline)`);
  }
  if (!existsSync(CLI)) {
    const r = spawnSync('cargo', ['build', '--release', '-p', 'raftlab-sim'], { cwd: ROOT, stdio: 'inherit' });
    if (r.status !== 0) throw new Error('cargo build --release -p raftlab-sim failed');
  }
  mkdirSync(path.join(SHOTS, 'failures'), { recursive: true });
  site = mkdtempSync(path.join(tmpdir(), 'raftlab-site-'));
  mkdirSync(path.join(site, path.dirname(SUB.slice(1, -1))), { recursive: true });
  symlinkSync(DIST, path.join(site, SUB.slice(1, -1)), 'dir');
  server = await start(site, '/');
  browser = await launch();
});

after(async () => {
  await browser?.close();
  await server?.close();
  if (site) rmSync(site, { recursive: true, force: true });
});

/** The address of `rel` (a path below the server's root, such as `some/page/`). */
export const url = (rel) => server.url + rel.replace(/^\//, '');

/** The page's address under SUB, with a query such as `?embed`. */
export const pageUrl = (query = '') => url(SUB + query);

/**
 * Writes a host page at `rel` (such as `blog/post/`, served as its index.html) from
 * fixtures/host.html with the iframe's `src`, `width` and `height`; returns its address.
 */
export function hostPage(rel, { src, width, height }) {
  const html = readFileSync(path.join(FIXTURES, 'host.html'), 'utf8')
    .replace('{{SRC}}', src)
    .replace('{{WIDTH}}', String(width))
    .replace('{{HEIGHT}}', String(height));
  const dir = path.join(site, rel);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, 'index.html'), html);
  return url(rel);
}

/** Writes `html` as the page at `rel` (such as `blog/csp/`, served as its index.html); returns its address. */
export function sitePage(rel, html, file = 'index.html') {
  const dir = path.join(site, rel);
  mkdirSync(dir, { recursive: true });
  writeFileSync(path.join(dir, file), html);
  return url(rel);
}

/** Waits for `window.raftlab` in `frame` (a page or a frame) and its first node. */
export async function raftlabReady(frame, timeout = 20_000) {
  await frame.waitForFunction(() => typeof window.raftlab === 'object' && window.raftlab !== null, null, { timeout });
  await frame.waitForSelector('[aria-label^="Node 1"]', { timeout, state: 'attached' });
}

/**
 * Opens `address` in a fresh context (default 1280x800), waits with `ready` (default: the
 * page's own raftlab), runs `body(page, ctx)`, then checks that nothing went wrong (console
 * errors, page errors, outside requests, HTTP errors). On failure, saves a screenshot.
 */
export async function withPage(t, address, body, { contextOptions = {}, ready = pageReady, allow = null } = {}) {
  const { context, page, problems } = await openPage(browser, address, server.origin, contextOptions);
  try {
    await ready(page);
    await body(page, { problems });
    await frames(page);
    const seen = problems().filter((p) => !(allow && allow.test(p)));
    assert.deepEqual(seen, [], 'the page logged errors or made outside requests');
  } catch (err) {
    const slug = t.name.replace(/[^a-z0-9]+/gi, '-').replace(/^-|-$/g, '').toLowerCase();
    await page.screenshot({ path: path.join(SHOTS, 'failures', `${slug}.png`), fullPage: true }).catch(() => {});
    const extra = problems();
    if (extra.length && !(err.message || '').includes('logged errors')) {
      err.message += `\n  also seen on the page:\n    ${extra.join('\n    ')}`;
    }
    err.message += `\n  the page shows: ${await pageText(page)}`;
    throw err;
  } finally {
    await context.close();
  }
}

/** Runs the CLI on a scenario (object or JSON text); returns its trace lines without the `final` lines. */
export function cliTrace(scenario) {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftlab-e2e-'));
  const file = path.join(dir, 'scenario.json');
  writeFileSync(file, typeof scenario === 'string' ? scenario : JSON.stringify(scenario, null, 2));
  const r = spawnSync(CLI, ['run', file, '--trace', '-'], { maxBuffer: 1 << 30 });
  rmSync(dir, { recursive: true, force: true });
  assert.ok(r.status === 0 || r.status === 1, `raftlab run exited ${r.status}: ${r.stderr}`);
  return r.stdout.toString().split('\n').filter((l) => l.length > 0 && JSON.parse(l).kind !== 'final');
}

/** Asserts two traces (arrays of lines) are equal, reporting the first difference. */
export function assertSameTrace(pageLines, cliLines, what) {
  if (pageLines.length === cliLines.length && pageLines.every((l, i) => l === cliLines[i])) return;
  const i = pageLines.findIndex((l, k) => l !== cliLines[k]);
  const at = i === -1 ? Math.min(pageLines.length, cliLines.length) : i;
  assert.fail(
    `${what}: the traces differ (page ${pageLines.length} lines, CLI ${cliLines.length} lines); ` +
      `first difference at line ${at + 1}:\n  page: ${pageLines[at]}\n  CLI:  ${cliLines[at]}`,
  );
}

/** The text of the notice area (the `.notice` with role=status; an <output> is a status too), or ''. */
export async function noticeText(frame) {
  const notice = frame.locator('.notice[role="status"]');
  if (!(await notice.count())) return '';
  // Without the dismiss button's "×".
  return notice.first().evaluate((el) => [...el.childNodes].filter((n) => n.nodeName !== 'BUTTON').map((n) => n.textContent).join('').trim());
}
