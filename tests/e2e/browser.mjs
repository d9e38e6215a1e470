// Shared by the end-to-end tests (tests/e2e/run.mjs) and the perf script (scripts/perf.mjs):
// launching Debian's headless Chromium through playwright-core, opening the page with its
// errors and outside requests recorded, and small waiting helpers.
import { existsSync } from 'node:fs';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';

// Chromium flags: new headless mode, root needs --no-sandbox, no GPU on this machine, and no
// network activity of the browser's own (QUIC, background updates, sync, component updates).
export const CHROMIUM_ARGS = [
  '--headless=new',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

export async function launch() {
  if (!existsSync(CHROMIUM)) {
    throw new Error(`${CHROMIUM} is missing: run bash scripts/setup.sh browser`);
  }
  return chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS, headless: true });
}

/**
 * Opens a fresh context and page on `url`, recording what must not happen: console errors,
 * uncaught page errors, requests to any origin other than `origin` (they are aborted), failed
 * requests and HTTP errors. `problems()` lists them as strings.
 */
export async function openPage(browser, url, origin, contextOptions = {}) {
  const context = await browser.newContext({
    viewport: { width: 1280, height: 800 },
    ...contextOptions,
  });
  context.setDefaultTimeout(10_000);
  const page = await context.newPage();
  const problems = [];
  const isLocal = (u) => u.startsWith(origin + '/') || u.startsWith('data:') || u.startsWith('blob:');
  await context.route((u) => !isLocal(u.toString()), (route) => {
    problems.push(`outside request: ${route.request().method()} ${route.request().url()}`);
    return route.abort('blockedbyclient');
  });
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  page.on('pageerror', (err) => problems.push(`page error: ${err.stack || err.message}`));
  page.on('requestfailed', (req) => {
    // The tab's icon is fetched by the browser at its own pace, and dropped (ERR_ABORTED) when
    // a test moves on first: not the page's failure. Any other failure of the icon counts.
    const icon = req.resourceType() === 'other' && /\/icons\/[^/]+\.svg$/.test(req.url());
    if (icon && req.failure()?.errorText === 'net::ERR_ABORTED') return;
    if (isLocal(req.url())) problems.push(`request failed: ${req.url()} (${req.failure()?.errorText})`);
  });
  page.on('response', (res) => {
    // The browser's own favicon probe is not the page's doing.
    if (res.status() >= 400 && !res.url().endsWith('/favicon.ico')) {
      problems.push(`HTTP ${res.status()}: ${res.url()}`);
    }
  });
  await page.goto(url, { waitUntil: 'load' });
  return { context, page, problems: () => problems.slice() };
}

/** Waits until `window.raftlab` exists and the first node is drawn. */
export async function pageReady(page, timeout = 20_000) {
  try {
    await page.waitForFunction(
      () => typeof window.raftlab === 'object' && window.raftlab !== null && typeof window.raftlab.state === 'function',
      null,
      { timeout },
    );
    await page.waitForSelector('[aria-label^="Node 1"]', { timeout, state: 'attached' });
  } catch (err) {
    err.message += `\n  the page shows: ${await pageText(page)}`;
    throw err;
  }
}

/** What the page shows (its text and the contents of its text areas), shortened: for error messages. */
export async function pageText(page, max = 1500) {
  const text = await page
    .evaluate(() => [document.body?.innerText ?? '', ...[...document.querySelectorAll('textarea')].map((t) => t.value)].join('\n'))
    .catch((e) => `(could not read the page: ${e.message})`);
  const flat = text.replace(/\s+/g, ' ').trim();
  return flat.length > max ? flat.slice(0, max) + '…' : flat;
}

/** Resolves after two animation frames (the page has rendered what changed). */
export function frames(page, n = 2) {
  return page.evaluate(
    (n) =>
      new Promise((resolve) => {
        const next = (k) => (k === 0 ? resolve() : requestAnimationFrame(() => next(k - 1)));
        next(n);
      }),
    n,
  );
}

/** Polls `check` (async, returns truthy when done) until it passes or `timeout` ms elapse. */
export async function eventually(check, { timeout = 5_000, interval = 50, message = 'condition' } = {}) {
  const end = Date.now() + timeout;
  let last;
  for (;;) {
    try {
      last = await check();
      if (last) return last;
    } catch (err) {
      last = err;
    }
    if (Date.now() > end) {
      const why = last instanceof Error ? `: ${last.message}` : last === undefined ? '' : ` (last: ${JSON.stringify(last)})`;
      throw new Error(`timed out after ${timeout} ms waiting for ${message}${why}`);
    }
    await new Promise((r) => setTimeout(r, interval));
  }
}

/**
 * Opens the collapsible section `name` of the full page (its heading button, aria-expanded)
 * unless it is open, and waits for its region. The sections open on demand (src/view/mod.rs).
 */
export async function openSection(page, name) {
  const head = page.locator('.fold-head button').filter({ hasText: new RegExp(`^\\W*${name}$`) });
  if ((await head.getAttribute('aria-expanded')) === 'false') await head.click();
  await page.getByRole('region', { name, exact: true }).waitFor();
}
