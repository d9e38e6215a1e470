// Browser tests of the <raft-lab> custom element (www/raft-lab.js, src/host.rs, mount() in
// src/main.rs): the example host page (examples/embed/, copied into dist/ by the post-build
// step) with three elements (one read-only) and a frame, served under a deep sub-path. Each element runs its
// own instance (separate runs, APIs, controls and keyboard focus); the poster requests no wasm
// until the element is near; it pauses when hidden or scrolled away; bad attributes and a host
// CSP that forbids WebAssembly are said in the element. Run by `node --test tests/e2e/run.mjs`
// (which imports this file) or alone: `node --test tests/e2e/element.mjs`.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { readFileSync } from 'node:fs';
import { eventually, frames, launch, pageReady } from './browser.mjs';
import { DIST, LIMIT, ROOT, SHOTS, SUB, pageUrl, sitePage, url, withPage } from './harness.mjs';
import { start } from './server.mjs';

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
const HOST = () => pageUrl('examples/embed/');

/**
 * Waits until the elements `ids` run (their `raftlab` API exists and Node 1 is drawn). Those
 * far down the page are started by their `start()` (as a press on their Play button would).
 */
function elementsReady(...ids) {
  return async (page) => {
    await page.evaluate((ids) => ids.forEach((id) => document.getElementById(id).start()), ids);
    for (const id of ids) {
      await page.waitForFunction(
        (id) => {
          const el = document.getElementById(id);
          return el && el.raftlab && el.shadowRoot.querySelector('[aria-label^="Node 1"]');
        },
        id,
        { timeout: 20_000 },
      );
    }
  };
}

/** Runs `f(api, ...args)` in the page with the API of element `id`. */
const onApi = (page, id, f, ...args) =>
  page.evaluate(
    ({ id, f, args }) => new Function('api', 'args', `return (${f})(api, ...args)`)(document.getElementById(id).raftlab, args),
    { id, f: f.toString(), args },
  );
const state = (page, id) => onApi(page, id, (api) => api.state());

/** The wasm and glue requests of the host page itself (not of its frame). */
function wasmRequests(page) {
  const seen = [];
  page.on('request', (r) => {
    if (r.frame() === page.mainFrame() && /raftlab-web-[0-9a-f]+(_bg\.wasm|\.js)/.test(r.url())) seen.push(r.url());
  });
  return seen;
}

/** A host page of ours: `body` after a tall spacer or not, the element script linked from dist. */
function host(rel, body, { head = '' } = {}) {
  const script = `${SUB}raft-lab.js`;
  return sitePage(
    rel,
    `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host</title>
<link rel="icon" href="data:,">${head}<script type="module" src="${script}"></script></head>
<body style="margin: 16px; font: 16px system-ui">${body}</body></html>`,
  );
}

test('element: two on one page run independently, each with its own API, controls and keys', LIMIT, async (t) => {
  await withPage(t, HOST(), async (page) => {
    const info = await page.evaluate(() => {
      const [one, two] = ['one', 'two'].map((id) => document.getElementById(id));
      return {
        separate: one.raftlab !== two.raftlab && one.raftlab.state !== two.raftlab.state,
        windowApi: typeof window.raftlab,
        functions: Object.keys(one.raftlab).sort().join(','),
      };
    });
    assert.ok(info.separate, 'each element has its own API object and functions');
    assert.equal(info.windowApi, 'undefined', 'a host page gets no window.raftlab');
    for (const f of ['state', 'play', 'pause', 'step', 'advance', 'load', 'on', 'crash', 'clientWrite', 'link', 'lessonState']) {
      assert.ok(info.functions.split(',').includes(f), `element.raftlab.${f}`);
    }
    // The same functions as the full page's window.raftlab, every one of them.
    const full = await page.context().newPage();
    try {
      await full.goto(pageUrl());
      await pageReady(full);
      const names = await full.evaluate(() => Object.keys(window.raftlab).sort().join(','));
      assert.ok(names.split(',').length >= 30, `window.raftlab has its functions (${names})`);
      assert.equal(info.functions, names, 'element.raftlab has exactly the functions of window.raftlab');
    } finally {
      await full.close();
    }
    // Their own runs: seed 42 on 5 servers and seed 7 on 3 (attributes).
    let [a, b] = [await onApi(page, 'one', (api) => [api.seed(), api.state().nodes.length]), await onApi(page, 'two', (api) => [api.seed(), api.state().nodes.length])];
    assert.deepEqual([a, b], [[42, 5], [7, 3]]);
    // #two has autoplay="0": it waits; #one plays.
    assert.equal((await state(page, 'two')).playing, false, 'autoplay="0" starts paused');
    assert.equal((await state(page, 'one')).playing, true, 'the first one plays by itself');
    await onApi(page, 'one', (api) => api.pause());
    const t2 = (await state(page, 'two')).time_ms;
    await onApi(page, 'one', (api) => api.advance(500));
    assert.equal((await state(page, 'two')).time_ms, t2, 'advancing one leaves the other as it was');
    const t1 = (await state(page, 'one')).time_ms;

    // Controls: the Play button inside #two plays #two only.
    const two = page.locator('#two');
    await two.getByRole('button', { name: 'Play', exact: true }).click();
    await eventually(async () => (await state(page, 'two')).playing, { message: '#two plays' });
    assert.equal((await state(page, 'one')).playing, false, '#one stays paused');
    await two.getByRole('button', { name: 'Pause', exact: true }).click();
    assert.equal((await state(page, 'two')).playing, false);

    // Keys: "." steps the element that has the focus, not the other.
    const t2b = (await state(page, 'two')).time_ms;
    await page.locator('#one').getByRole('button', { name: 'Step', exact: true }).focus();
    await page.keyboard.press('.');
    await eventually(async () => (await state(page, 'one')).time_ms > t1, { message: 'the key stepped #one' });
    assert.equal((await state(page, 'two')).time_ms, t2b, 'the key in #one does not step #two');
    // A click on #two's picture gives it the focus: Space then plays #two only.
    await two.locator('.stage').click({ position: { x: 5, y: 5 } });
    await page.keyboard.press(' ');
    await eventually(async () => (await state(page, 'two')).playing, { message: 'Space played #two' });
    assert.equal((await state(page, 'one')).playing, false, 'Space in #two leaves #one paused');
    // The host page's address is never written by an element.
    const before = page.url();
    await onApi(page, 'two', (api) => { api.pause(); api.crash(1); api.advance(100); });
    await frames(page);
    assert.equal(page.url(), before, 'the host page address is unchanged');
  }, { ready: elementsReady('one', 'two') });
});

test('element: a poster and no wasm until it is near; one compiled module for all; Play starts it', LIMIT, async (t) => {
  const address = host(
    'element/facade/',
    `<h1>Far down</h1><div style="height: 3000px">text</div>
<raft-lab id="far" seed="5"></raft-lab><div style="height: 3000px">more text</div>
<raft-lab id="farther" seed="6" autoplay="0"></raft-lab>`,
  );
  await withPage(t, address, async (page) => {
    const requests = wasmRequests(page);
    await page.waitForTimeout(800);
    assert.deepEqual(requests, [], 'no wasm or glue requested before scrolling near');
    const poster = await page.evaluate(() => {
      const el = document.getElementById('far');
      const r = el.getBoundingClientRect();
      return { api: el.raftlab, button: el.shadowRoot.querySelector('button')?.getAttribute('aria-label'), height: r.height, width: r.width };
    });
    assert.equal(poster.api, null, 'not started');
    assert.equal(poster.button, 'Play the Raft simulation', 'the poster has a labelled Play button');
    assert.ok(poster.height > 200, `the poster reserves the element's height (${poster.height})`);
    // Scrolled near: it starts, and keeps its size (no layout shift).
    await page.evaluate(() => document.getElementById('far').scrollIntoView());
    await elementsReady('far')(page);
    const after = await page.evaluate(() => document.getElementById('far').getBoundingClientRect().height);
    assert.equal(after, poster.height, 'the app takes the poster\'s place, same height');
    assert.equal(requests.filter((u) => u.endsWith('.wasm')).length, 1, 'the wasm fetched once');
    assert.equal(await page.evaluate(() => document.getElementById('farther').raftlab), null, 'the one further down still waits');
    // Its Play button starts it at once, playing although autoplay="0".
    await page.evaluate(() => document.getElementById('farther').shadowRoot.querySelector('button').click());
    await page.evaluate(() => document.getElementById('farther').ready);
    await page.evaluate(() => document.getElementById('farther').scrollIntoView());
    await eventually(async () => (await state(page, 'farther')).playing, { message: 'Play plays' });
    assert.equal(requests.filter((u) => u.endsWith('.wasm')).length, 1, 'the second element reuses the compiled module');
    assert.equal(requests.filter((u) => u.includes('?instance=')).length, 2, 'one glue instance per element');
    assert.equal(await onApi(page, 'farther', (api) => api.seed()), 6);
  }, { ready: async () => {} });
});

test('element: the poster shows the servers the first frame will show (nodes, an inline scenario, a link, the system)', LIMIT, async (t) => {
  const address = host(
    'element/posters/',
    `<div style="height: 3000px">text</div>
<raft-lab id="p7" nodes="7" seed="1"></raft-lab>
<raft-lab id="pscen" scenario='{"version":1,"seed":2,"nodes":3}'></raft-lab>
<raft-lab id="plink" link="v=1&amp;seed=3&amp;n=4&amp;u=0"></raft-lab>
<raft-lab id="pq" system="quorum" nodes="3" seed="4"></raft-lab>
<raft-lab id="plz" system="lease" nodes="4" seed="5"></raft-lab>
<raft-lab id="plesson" lesson="lease-election"></raft-lab>
<raft-lab id="pfile" scenario="three.json"></raft-lab>`,
  );
  // A scenario file beside the host page: 3 servers of the leaderless quorum system.
  sitePage('element/posters/', JSON.stringify({ version: 1, seed: 6, nodes: 3, system: 'quorum' }), 'three.json');
  await withPage(t, address, async (page) => {
    const ids = ['p7', 'pscen', 'plink', 'pq', 'plz', 'plesson', 'pfile'];
    // A lesson's and a scenario file's posters are drawn again once their cluster is fetched
    // (lessons/index.json, the file), still with no wasm.
    const requests = wasmRequests(page);
    for (const id of ['plesson', 'pfile']) {
      await page.waitForFunction((id) => document.getElementById(id).shadowRoot.querySelector('.poster')?.dataset.nodes, id);
    }
    assert.deepEqual(requests, [], 'no wasm for the posters');
    const posters = await page.evaluate((ids) => Object.fromEntries(ids.map((id) => {
      const texts = [...document.getElementById(id).shadowRoot.querySelectorAll('.poster text')].map((e) => e.textContent);
      return [id, texts];
    })), ids);
    // Started, each draws what its poster promised: the same servers and role words.
    await elementsReady(...ids)(page);
    for (const id of ids) {
      const names = posters[id].filter((w) => /^S\d$/.test(w));
      const liveNames = () => page.evaluate((id) => [...document.getElementById(id).shadowRoot.querySelectorAll('[aria-label^="Node "]')].map((e) => e.getAttribute('aria-label')), id);
      // A scenario file is fetched by the app too: its run replaces the first one when it comes.
      await eventually(async () => (await liveNames()).length === names.length, { message: `${id}: ${names.length} servers live` });
      const live = await liveNames();
      assert.deepEqual(names, live.map((_, i) => `S${i + 1}`), `${id}: the poster's servers are the live ones (${live})`);
    }
    assert.deepEqual(posters.pq.filter((w) => !/^S\d$/.test(w)), ['replica', 'replica', 'replica']);
    assert.deepEqual(posters.plz.filter((w) => !/^S\d$/.test(w)), ['store', 'candidate', 'candidate', 'resource']);
    assert.deepEqual(posters.plesson.filter((w) => !/^S\d$/.test(w)), ['store', 'candidate', 'candidate', 'resource'], 'the lesson-election lesson: 4 servers of the lease system');
    assert.deepEqual(posters.pfile.filter((w) => !/^S\d$/.test(w)), ['replica', 'replica', 'replica'], 'the scenario file: 3 replicas');
    for (const [id, role] of [['pq', 'replica'], ['plz', 'store']]) {
      const first = await page.evaluate((id) => document.getElementById(id).shadowRoot.querySelector('[aria-label^="Node 1"]').getAttribute('aria-label'), id);
      assert.match(first, new RegExp(`^Node 1, S1, ${role}`), `${id}: the live S1 is a ${role} too`);
    }
  }, { ready: (page) => page.waitForFunction(() => customElements.get('raft-lab')) });
});

test('element: pauses when the tab is hidden or it is scrolled away, and resumes only if it was playing', LIMIT, async (t) => {
  await withPage(t, HOST(), async (page) => {
    const playing = async () => (await state(page, 'one')).playing;
    assert.equal(await playing(), true);
    const visibility = (v) =>
      page.evaluate((v) => {
        Object.defineProperty(document, 'visibilityState', { value: v, configurable: true });
        document.dispatchEvent(new Event('visibilitychange'));
      }, v);
    await visibility('hidden');
    assert.equal(await playing(), false, 'hidden: paused');
    const hiddenAt = (await state(page, 'one')).time_ms;
    await page.waitForTimeout(400);
    assert.equal((await state(page, 'one')).time_ms, hiddenAt, 'no time passes in the run while hidden');
    await visibility('visible');
    assert.equal(await playing(), true, 'visible again: plays again');
    await eventually(async () => (await state(page, 'one')).time_ms > hiddenAt, { message: 'it goes on' });
    assert.ok((await state(page, 'one')).time_ms < hiddenAt + 100, 'from where it was (not restarted, nothing skipped)');
    // Scrolled out of view, then back.
    await page.evaluate(() => window.scrollTo(0, document.body.scrollHeight));
    await eventually(async () => !(await playing()), { message: 'paused when scrolled away' });
    await page.evaluate(() => window.scrollTo(0, 0));
    await eventually(playing, { message: 'plays when back' });
    // Paused by the reader: it stays paused when it comes back.
    await onApi(page, 'one', (api) => api.pause());
    await visibility('hidden');
    await visibility('visible');
    assert.equal(await playing(), false, 'a run paused by the reader stays paused');
  }, { ready: elementsReady('one') });
});

test('element: bad attributes are said inside it, the good ones applied; scenario by URL and inline', LIMIT, async (t) => {
  sitePage('element/bad/', JSON.stringify({ version: 1, seed: 2024, nodes: 3 }), 'demo.json');
  const address = host(
    'element/bad/',
    `<div id="app">the host's own #app</div>
<raft-lab id="bad" nodes="12" speed="fast" seed="11" panels="logs,bogus"></raft-lab>
<raft-lab id="link" link="v=1&amp;nonsense"></raft-lab>
<raft-lab id="file" scenario="demo.json" autoplay="0"></raft-lab>
<raft-lab id="inline" scenario='{"version":1,"seed":77,"nodes":4}'></raft-lab>
<raft-lab id="system" system="quorum" nodes="4" seed="3"></raft-lab>
<raft-lab id="bad2" seed="-1" system="paxos" autoplay="maybe" readonly="perhaps" lesson="Bad Id!"></raft-lab>
<raft-lab id="badjson" scenario='{"version":1,"seed":5,"nodes":"three"}'></raft-lab>`,
  );
  await withPage(t, address, async (page) => {
    const notice = (id) => page.evaluate((id) => document.getElementById(id).shadowRoot.querySelector('.notice')?.textContent ?? '', id);
    const bad = await notice('bad');
    assert.match(bad, /Page options ignored: /);
    assert.match(bad, /speed: "fast" is not a number from 0.001 to 2/);
    assert.match(bad, /nodes: "12" is not a cluster size from 1 to 9/);
    assert.match(bad, /panels: no panel "bogus"/);
    assert.equal(await onApi(page, 'bad', (api) => api.seed()), 11, 'the good seed applies');
    assert.equal((await state(page, 'bad')).nodes.length, 5, 'the default size is kept');
    assert.match(await notice('link'), /This link cannot be opened, so the run is unchanged/);
    await eventually(async () => (await onApi(page, 'file', (api) => api.seed())) === 2024, { message: 'the scenario file opened' });
    assert.equal((await state(page, 'file')).nodes.length, 3);
    assert.equal(await onApi(page, 'inline', (api) => api.seed()), 77);
    assert.equal((await state(page, 'inline')).nodes.length, 4);
    assert.equal(await onApi(page, 'system', (api) => api.scenario().system), 'quorum');
    assert.equal(await page.locator('#app').textContent(), "the host's own #app", 'a host page\'s #app is left alone');
    // The other attributes: each bad value named, the run still made.
    const bad2 = await notice('bad2');
    assert.match(bad2, /seed: "-1" is not a whole number from 0 to 18446744073709551615/);
    assert.match(bad2, /system: "paxos" is not a system \(raft, quorum or lease\)/);
    assert.match(bad2, /autoplay: "maybe" is not 1 or 0/);
    assert.match(bad2, /readonly: "perhaps" is not 1 or 0/);
    assert.match(bad2, /lesson: "Bad Id!" is not a lesson id/);
    assert.equal((await state(page, 'bad2')).system, 'raft', 'the default system is kept');
    assert.equal(await page.evaluate(() => document.getElementById('bad2').shadowRoot.querySelector('.toggle')), null, 'a bad readonly value gives no read-only button');
    assert.match(await notice('badjson'), /scenario: Could not open the scenario option: nodes: /);
    assert.equal((await state(page, 'badjson')).nodes.length, 5, 'a bad inline scenario leaves the default run');
  }, { ready: elementsReady('bad', 'link', 'file', 'inline', 'system', 'bad2', 'badjson') });
});

test('element: lesson and link attributes; the lessons come from raftlab\'s folder, not the host\'s', LIMIT, async (t) => {
  const address = host('element/lesson/', `<raft-lab id="lesson" lesson="election" autoplay="0"></raft-lab>`);
  await withPage(t, address, async (page) => {
    await eventually(async () => (await onApi(page, 'lesson', (api) => api.lessonState()))?.id === 'election', {
      timeout: 10_000,
      message: 'the election lesson open',
    });
    // A share link of another element's run opens in a new element at the same moment.
    const made = await onApi(page, 'lesson', (api) => {
      api.load({ version: 1, seed: 42, nodes: 5 });
      api.pause();
      api.advance(700);
      return { link: api.link(), time: api.state().time_ms };
    });
    await page.evaluate((link) => {
      const el = document.createElement('raft-lab');
      el.id = 'linked';
      el.setAttribute('link', link.slice(link.indexOf('#') + 1));
      el.setAttribute('autoplay', '0'); // an embed plays a shared run by itself otherwise
      document.body.prepend(el);
      return el.start();
    }, made.link);
    await elementsReady('linked')(page);
    const st = await state(page, 'linked');
    assert.equal(st.time_ms, made.time, 'the link\'s moment');
    assert.equal(await onApi(page, 'linked', (api) => api.seed()), 42);
    assert.equal(st.playing, false, 'autoplay="0" holds it at that moment');
  }, { ready: elementsReady('lesson') });
});

test('element: a scenario file that cannot be fetched is said in the element', LIMIT, async (t) => {
  const address = host('element/missing/', `<raft-lab id="gone" scenario="nowhere.json"></raft-lab>`);
  await withPage(t, address, async (page) => {
    await eventually(
      async () => /Could not open the scenario nowhere\.json: the server answered 404/.test(
        await page.evaluate(() => document.getElementById('gone').shadowRoot.querySelector('.notice')?.textContent ?? ''),
      ),
      { message: 'the fetch failure said' },
    );
  }, { ready: elementsReady('gone'), allow: /nowhere\.json|status of 404/ });
});

test('element: a host whose CSP forbids WebAssembly gets a plain message and a link to the frame form', LIMIT, async (t) => {
  const address = host(
    'element/csp/',
    `<raft-lab id="csp" seed="9" nodes="3" panels="logs"></raft-lab>`,
    { head: `<meta http-equiv="Content-Security-Policy" content="script-src 'self'">` },
  );
  await withPage(t, address, async (page) => {
    const box = await eventually(
      () => page.evaluate(() => {
        const el = document.getElementById('csp');
        const alert = el.shadowRoot.querySelector('[role="alert"]');
        return alert && { text: alert.textContent, href: alert.querySelector('a')?.href };
      }),
      { timeout: 15_000, message: 'the CSP message' },
    );
    assert.match(box.text, /does not allow WebAssembly/);
    assert.match(box.text, /wasm-unsafe-eval/);
    assert.equal(box.href, url(`${SUB.slice(1)}index.html?embed&seed=9&nodes=3&panels=logs`), 'the link opens the page with the same options');
    assert.equal(await page.evaluate(() => document.getElementById('csp').raftlab), null);
  }, { ready: async () => {}, allow: /Content Security Policy|WebAssembly|wasm/i });
});

test('element: its height does not change when it starts (with panels too); host styles do not reach inside; readonly="0" is not read-only', LIMIT, async (t) => {
  const address = host(
    'element/size/',
    `<style>body { text-align: right; letter-spacing: 3px; text-transform: uppercase; word-spacing: 9px; } button { font-size: 31px; }</style>
<button id="hostbtn">host</button>
<div style="height: 2400px">spacer</div>
<raft-lab id="plain" seed="5"></raft-lab>
<raft-lab id="panels" seed="5" panels="logs,events"></raft-lab>
<raft-lab id="ro" seed="5" readonly></raft-lab>
<raft-lab id="ro0" seed="5" readonly="0"></raft-lab>`,
  );
  await withPage(t, address, async (page) => {
    const heights = () => page.evaluate(() => ['plain', 'panels', 'ro', 'ro0'].map((id) => document.getElementById(id).getBoundingClientRect().height));
    const before = await heights();
    assert.equal(await page.evaluate(() => document.getElementById('panels').raftlab ?? null), null, 'not started yet');
    await elementsReady('plain', 'panels', 'ro', 'ro0')(page);
    await frames(page, 3);
    const after = await heights();
    assert.deepEqual(after, before, 'no element changed height when it started');
    assert.equal(after[1], 620, 'with panels: 620 px, its content scrolling inside');
    // Nothing inherited from the host's body reaches inside.
    const inside = await page.evaluate(() => {
      const b = document.getElementById('panels').shadowRoot.querySelector('button');
      const cs = getComputedStyle(b);
      const text = getComputedStyle(document.getElementById('panels').shadowRoot.querySelector('[data-raftlab-root]'));
      return { fontSize: cs.fontSize, align: text.textAlign, spacing: text.letterSpacing, transform: text.textTransform, words: text.wordSpacing };
    });
    assert.notEqual(inside.fontSize, '31px', 'the host\'s button rule stays outside');
    assert.deepEqual([inside.align, inside.spacing, inside.transform, inside.words], ['start', 'normal', 'none', '0px'], JSON.stringify(inside));
    // And nothing of raftlab's reaches out.
    assert.equal(await page.locator('#hostbtn').evaluate((b) => getComputedStyle(b).fontSize), '31px');
    // readonly: a Play/Pause of its own, which works; readonly="0": the normal controls only.
    const toggle = page.locator('#ro').locator('button.toggle');
    assert.equal(await toggle.count(), 1);
    const playing = (await state(page, 'ro')).playing;
    await toggle.click();
    assert.equal((await state(page, 'ro')).playing, !playing, 'the button plays or pauses the figure');
    assert.equal(await page.locator('#ro0').locator('button.toggle').count(), 0, 'readonly="0" is not read-only');
    await page.locator('#ro0').getByRole('button', { name: /^(Play|Pause)$/, exact: true }).first().waitFor();
  }, { ready: (page) => page.waitForFunction(() => customElements.get('raft-lab')) });
});

test('element: the example page\'s read-only element and its frame run too', LIMIT, async (t) => {
  await withPage(t, HOST(), async (page) => {
    assert.equal(await onApi(page, 'three', (api) => api.seed()), 3);
    assert.equal(await page.locator('#three').locator('button.toggle').count(), 1, 'a read-only figure has its Play/Pause');
    const frame = page.frameLocator('#frame');
    await frame.locator('[aria-label^="Node 1"]').first().waitFor({ timeout: 20_000 });
    const seed = await page.locator('#frame').evaluate((f) => f.contentWindow.raftlab.seed());
    assert.equal(seed, 42, 'the frame runs its own page, with its own window.raftlab');
  }, { ready: elementsReady('three') });
});

test('element: a host page on another origin loads it from a host that allows CORS, lesson included', LIMIT, async () => {
  // raftlab's dist/ on an origin of its own (another port), sending Access-Control-Allow-Origin;
  // the host page on the harness's origin. (withPage allows one origin only: a browser here.)
  const other = await start(DIST, '/raftlab/', { cors: true });
  const browser = await launch();
  try {
    const script = `${other.origin}/raftlab/raft-lab.js`;
    const address = sitePage(
      'element/cross-origin/',
      `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>host</title>
<link rel="icon" href="data:,"><script type="module" src="${script}"></script></head>
<body><raft-lab id="far" seed="21" nodes="3"></raft-lab><raft-lab id="lesson" lesson="election"></raft-lab></body></html>`,
    );
    assert.notEqual(new URL(address).origin, other.origin, 'two origins');
    const page = await (await browser.newContext({ viewport: { width: 1280, height: 800 } })).newPage();
    const errors = [];
    page.on('pageerror', (e) => errors.push(e.message));
    page.on('console', (m) => m.type() === 'error' && errors.push(m.text()));
    await page.goto(address);
    await page.waitForFunction(() => customElements.get('raft-lab'), null, { timeout: 20_000 });
    await elementsReady('far', 'lesson')(page);
    assert.equal(await onApi(page, 'far', (api) => api.seed()), 21);
    await eventually(async () => (await onApi(page, 'lesson', (api) => api.lessonState()?.id ?? null)) === 'election', {
      timeout: 15_000,
      message: 'the lesson fetched from raftlab\'s origin',
    });
    const fetched = other.requests.map((r) => r.path);
    assert.ok(fetched.some((p) => p.endsWith('_bg.wasm')), `the wasm came from raftlab's origin: ${fetched}`);
    assert.ok(fetched.some((p) => p.includes('/lessons/election.json')), `the lesson too: ${fetched}`);
    assert.deepEqual(errors, [], 'no error in the console');
  } finally {
    await browser.close();
    await other.close();
  }
});

test('element: the element snippets of docs/embedding.md work as written', { timeout: 120_000 }, async (t) => {
  const doc = readFileSync(path.join(ROOT, 'docs/embedding.md'), 'utf8');
  const blocks = [...doc.matchAll(/```(?:html|markdown)\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('<raft-lab'));
  assert.ok(blocks.length >= 4, `element snippets found: ${blocks.length}`);
  const figure8 = readFileSync(path.join(ROOT, 'examples/figure8-by-hand.json'), 'utf8');
  for (const [i, block] of blocks.entries()) {
    const rel = `element/docs-${i}/`;
    sitePage(`${rel}runs/`, figure8, 'figure8.json'); // the scenario file a snippet names
    const body = block.replaceAll('https://example.org/raftlab/', SUB);
    const script = body.includes('raft-lab.js') ? '' : `<script type="module" src="${SUB}raft-lab.js"></script>`;
    const address = sitePage(rel, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>snippet ${i}</title><link rel="icon" href="data:,">${script}</head><body>${body}</body></html>`);
    await withPage(t, address, async (page) => {
      const count = await page.evaluate(async () => {
        const all = [...document.querySelectorAll('raft-lab')];
        await Promise.all(all.map((e) => e.start()));
        return all.length;
      });
      await page.waitForFunction(() => [...document.querySelectorAll('raft-lab')].every((e) => e.raftlab && e.shadowRoot.querySelector('[aria-label^="Node 1"]')), null, { timeout: 30_000 });
      const notices = await page.evaluate(() => [...document.querySelectorAll('raft-lab')].map((e) => e.shadowRoot.querySelector('.notice')?.textContent ?? '').filter((n) => /ignored|Could not|cannot/.test(n)));
      assert.deepEqual(notices, [], `snippet ${i}: ${count} elements start with no complaint`);
      if (body.includes('id="status"')) {
        // What the snippet's comment promises.
        await eventually(async () => (await page.locator('#status').textContent()) === 'S5 leads term 1', { message: `snippet ${i}: "S5 leads term 1"` });
      }
    }, { ready: (page) => page.waitForFunction(() => customElements.get('raft-lab')) });
  }
});

test('embedding: the iframe snippets of docs/embedding.md work as written (lazy, sandboxed, with their options)', { timeout: 120_000 }, async (t) => {
  const doc = readFileSync(path.join(ROOT, 'docs/embedding.md'), 'utf8');
  const blocks = [...doc.matchAll(/```html\n([\s\S]*?)```/g)].map((m) => m[1]).filter((b) => b.includes('<iframe') && b.includes('example.org/raftlab/'));
  assert.ok(blocks.length >= 2, `iframe snippets found: ${blocks.length}`);
  for (const [i, block] of blocks.entries()) {
    const body = block.replaceAll('https://example.org/raftlab/', SUB);
    const address = sitePage(`embedding/iframe-${i}/`, `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>iframe snippet ${i}</title><link rel="icon" href="data:,"></head><body>${body}</body></html>`);
    await withPage(t, address, async (page) => {
      const frame = page.frames().find((f) => f !== page.mainFrame());
      assert.ok(frame, `snippet ${i}: the frame is there`);
      await frame.waitForFunction(() => window.raftlab && document.querySelector('[aria-label^="Node 1"]'), null, { timeout: 30_000 });
      const st = await frame.evaluate(() => window.raftlab.state());
      const query = new URL(body.match(/src="([^"]+)"/)[1], 'http://x/').searchParams;
      if (query.has('seed')) assert.equal(await frame.evaluate(() => window.raftlab.seed()), Number(query.get('seed')), `snippet ${i}: the seed option`);
      if (query.has('nodes')) assert.equal(st.nodes.length, Number(query.get('nodes')), `snippet ${i}: the nodes option`);
      const box = await page.locator('iframe').boundingBox();
      assert.ok(box.width >= 590 && box.height >= 390, `snippet ${i}: the frame has its size (${JSON.stringify(box)})`);
      assert.equal(await frame.evaluate(() => document.documentElement.classList.contains('embed')), true, `snippet ${i}: the compact embed page`);
    }, { ready: async () => {} });
  }
});

test('element: reduced motion starts it paused, with Play shown', LIMIT, async (t) => {
  await withPage(t, HOST(), async (page) => {
    assert.equal((await state(page, 'one')).playing, false, 'paused at start');
    await page.locator('#one').getByRole('button', { name: 'Play', exact: true }).waitFor();
  }, { ready: elementsReady('one'), contextOptions: { reducedMotion: 'reduce' } });
});

test('element: the full page still runs with window.raftlab', LIMIT, async (t) => {
  await withPage(t, pageUrl('?embed&seed=42'), async (page) => {
    assert.equal(await page.evaluate(() => window.raftlab.seed()), 42);
    assert.ok(await page.evaluate(() => document.documentElement.classList.contains('embed')));
  }, { ready: pageReady });
});

// A panic (src/panic.rs). The page's build stops the wasm at once on a panic (a wasm trap,
// scripts/wasm-env.sh); the plain build calls the panic hook first. Either way the run's
// report shows, with the seed and the scenario, in the instance that crashed and only there.
const CRASHED = /RuntimeError|unreachable|crash_for_test|raftlab: /;

test('crash report: a panic on the full page shows the report with the seed and the scenario', LIMIT, async (t) => {
  await withPage(t, pageUrl('?seed=9'), async (page) => {
    await page.evaluate(() => window.raftlab.advance(300));
    // Uncaught, as a panic in an event handler or a timer would be.
    await page.evaluate(() => setTimeout(() => window.wasmBindings.crash_for_test()));
    const dialog = page.getByRole('alertdialog', { name: 'raftlab stopped' });
    await dialog.waitFor({ timeout: 5_000 });
    const report = await dialog.getByRole('textbox', { name: 'Report' }).inputValue();
    assert.match(report, /^raftlab crashed: /);
    assert.match(report, /\nseed: 9\n/, 'the report names the seed');
    assert.match(report, /"seed": 9/, 'and holds the scenario');
    assert.match(report, /last trace lines/);
    await dialog.getByRole('button', { name: 'Copy report' }).waitFor();
  }, { allow: CRASHED });
});

test('crash report: a panic in one element shows in that element only; the other runs on', LIMIT, async (t) => {
  await withPage(t, HOST(), async (page) => {
    // The glue of the second instance: importing its address again gives the very module
    // that element imported, so this crashes that instance and no other.
    const glue = await page.evaluate(() => {
      const entry = performance.getEntriesByType('resource').find((e) => /raftlab-web-[0-9a-f]+\.js\?instance=2$/.test(e.name));
      return entry && entry.name;
    });
    assert.ok(glue, 'the second instance imported its glue under ?instance=2');
    // 60 frames deep, as a panic inside a render is: the stack still names the instance.
    await page.evaluate(async (glue) => {
      const m = await import(glue);
      setTimeout(() => m.crash_for_test(60));
    }, glue);
    await page.getByRole('alertdialog', { name: 'raftlab stopped' }).first().waitFor({ timeout: 5_000 });
    await frames(page);
    const shown = [];
    for (const id of ['one', 'two']) {
      if (await page.locator(`#${id}`).getByRole('alertdialog', { name: 'raftlab stopped' }).count()) shown.push(id);
    }
    assert.equal(shown.length, 1, `one element shows the report (${shown})`);
    assert.equal(await page.getByRole('alertdialog').count(), 1, 'one report on the page');
    const [crashed] = shown;
    const other = crashed === 'one' ? 'two' : 'one';
    const report = await page.locator(`#${crashed}`).getByRole('textbox', { name: 'Report' }).inputValue();
    assert.match(report, new RegExp(`\\nseed: ${crashed === 'one' ? 42 : 7}\\n`), 'the report of the crashed element\'s own run');
    const before = (await state(page, other)).time_ms;
    await onApi(page, other, (api) => { api.pause(); api.advance(200); });
    assert.ok((await state(page, other)).time_ms >= before + 200, 'the other element still runs');
  }, { ready: elementsReady('one', 'two'), allow: CRASHED });
});

test('element: the host page has no axe-core violation; screenshot', { timeout: 90_000 }, async (t) => {
  await withPage(t, HOST(), async (page) => {
    await onApi(page, 'one', (api) => { api.pause(); api.reset(42, 5); api.pause(); api.advance(1200); api.clientWrite('x', '1'); api.advance(60); });
    await onApi(page, 'two', (api) => { api.advance(900); api.clientWrite('y', '2'); api.advance(400); });
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'element-host.png'), fullPage: true });
    await page.addScriptTag({ path: AXE });
    const violations = await page.evaluate(async () => {
      const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
      return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${JSON.stringify(n.target)}: ${n.failureSummary}`) }));
    });
    assert.deepEqual(violations, [], `axe-core: ${JSON.stringify(violations, null, 2)}`);
  }, { ready: elementsReady('one', 'two'), contextOptions: { viewport: { width: 1000, height: 900 } } });
});
