// Browser tests of guided lessons (docs/lesson-format.md, docs/embedding.md "Lessons"): every
// lesson of lessons/index.json walked forward and back (each step's state() equals its first
// visit), questions, tasks and Show me, the URL of a step surviving a reload, an embedded
// lesson, a teacher's lesson opened from a file or dropped on the page (and a bad one),
// loadLesson, the keys Space and ←, Explore from here, presenter mode at 1920x1080 in light and
// dark (screenshots in target/screenshots/; the caption's contrast), its notes window, the
// phone, and axe-core on the player and presenter mode. Run by `node --test tests/e2e/run.mjs` (which
// imports this file) or alone: `node --test tests/e2e/lessons.mjs`. Set-up in harness.mjs.
//
// The walk iterates whatever dist/lessons/index.json lists. When the build has lesson files but
// no index, the index is written by `raftlab lesson index`; when it has no lessons at all, the
// fixture lessons' index is used. The fixture lessons (tests/e2e/fixtures/lessons/) are copied
// into dist/lessons/ either way: the question, task and presenter tests use them.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, copyFileSync, readdirSync } from 'node:fs';
import path from 'node:path';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { LIMIT, ROOT, DIST, CLI, FIXTURES, SHOTS, pageUrl, withPage, noticeText } from './harness.mjs';
import { eventually, frames, openSection, pageReady } from './browser.mjs';

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
const FIXTURE = 'fixture-election';

before(() => {
  const dir = path.join(DIST, 'lessons');
  const index = path.join(dir, 'index.json');
  mkdirSync(dir, { recursive: true });
  const shipped = readdirSync(dir).filter((f) => f.endsWith('.json') && f !== 'index.json' && !f.startsWith('fixture-'));
  if (!existsSync(index) && shipped.length > 0) {
    const r = spawnSync(CLI, ['lesson', 'index', ...shipped.sort().map((f) => path.join(dir, f))]);
    assert.equal(r.status, 0, `raftlab lesson index: ${r.stderr}`);
    writeFileSync(index, r.stdout);
  }
  const listed = existsSync(index) ? JSON.parse(readFileSync(index, 'utf8')) : [];
  const fixtures = path.join(FIXTURES, 'lessons');
  for (const f of readdirSync(fixtures)) {
    if (f !== 'index.json') copyFileSync(path.join(fixtures, f), path.join(dir, f));
  }
  if (listed.length === 0) copyFileSync(path.join(fixtures, 'index.json'), index);
});

/** state() without end_ms (the end of the timeline grows as the lesson goes on). */
const moment = (page) => page.evaluate(() => { const s = window.raftlab.state(); delete s.end_ms; return s; });
const lessonState = (page) => page.evaluate(() => window.raftlab.lessonState());
const waitShown = (page, step) => page.waitForFunction((n) => {
  const l = window.raftlab.lessonState();
  return l && l.phase === 'shown' && (n === undefined || l.step === n);
}, step, { timeout: 15_000 });
const player = (page) => page.getByRole('region', { name: 'Lesson' });
const button = (scope, name) => scope.getByRole('button', { name, exact: true });

async function axe(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  });
  assert.deepEqual(violations, [], `axe-core finds no WCAG 2.1 A/AA violation (${what}):\n${JSON.stringify(violations, null, 2)}`);
}

test('lessons: every lesson of the index, forward to the end and back to the start, shows the same state() at each step', { timeout: 300_000 }, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const list = await page.evaluate(() => window.raftlab.lessons());
    assert.ok(list.length >= 1, 'the index lists lessons');
    // Every lesson of the repository is listed and walked (their ids are a contract): a
    // build that lost some fails here.
    const shipped = existsSync(path.join(ROOT, 'lessons/index.json'))
      ? JSON.parse(readFileSync(path.join(ROOT, 'lessons/index.json'), 'utf8')).map((l) => l.id)
      : [];
    if (shipped.length > 0) {
      for (const id of ['consensus', 'election', 'replication', 'crash-restart', 'safety', 'partitions', 'two-nodes', 'reads', 'prevote', 'membership', 'compaction', 'break-it']) {
        assert.ok(list.some((l) => l.id === id), `the lesson ${id} is listed`);
      }
      assert.deepEqual(list.map((l) => l.id).sort(), [...shipped].sort(), 'every lesson of lessons/index.json is walked');
    }
    for (const l of list) {
      assert.match(l.id, /^[a-z0-9-]+$/);
      assert.ok(l.title && l.summary && l.steps >= 1, `${l.id}: title, summary and steps`);
      const opened = await page.evaluate((id) => window.raftlab.openLesson(id), l.id);
      assert.equal(opened.id, l.id);
      assert.equal(opened.step, 1);
      assert.equal(opened.steps, l.steps, `${l.id}: the index's step count`);
      const seen = [await moment(page)];
      for (let i = 2; i <= l.steps; i++) {
        const s = await page.evaluate(() => window.raftlab.nextStep());
        assert.equal(s.step, i, `${l.id}: forward to step ${i}`);
        assert.equal(typeof s.moment_ms, 'number', `${l.id}: step ${i}'s moment`);
        assert.equal(s.phase, 'shown');
        seen.push(await moment(page));
      }
      await assert.rejects(page.evaluate(() => window.raftlab.nextStep()), /last step/);
      for (let i = l.steps - 1; i >= 1; i--) {
        const s = await page.evaluate(() => window.raftlab.prevStep());
        assert.equal(s.step, i);
        assert.deepEqual(await moment(page), seen[i - 1], `${l.id}: back at step ${i}, state() is as on its first visit`);
      }
      await assert.rejects(page.evaluate(() => window.raftlab.prevStep()), /first step/);
      for (let i = 2; i <= l.steps; i++) {
        await page.evaluate(() => window.raftlab.nextStep());
        assert.deepEqual(await moment(page), seen[i - 1], `${l.id}: forward again to step ${i}`);
      }
    }
    await page.evaluate(() => window.raftlab.closeLesson());
    assert.equal(await lessonState(page), null);
  });
});

test('lessons: the API checks its arguments', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const err = (f) => page.evaluate(f).then(() => 'no error', (e) => e.message);
    assert.match(await err(() => window.raftlab.openLesson('Bad!')), /raftlab\.openLesson\(id, step\): expected a lesson id/);
    assert.match(await err(() => window.raftlab.openLesson('fixture-election', 0)), /openLesson/);
    assert.match(await err(() => window.raftlab.nextStep()), /no lesson is open/);
    assert.match(await err(() => window.raftlab.loadLesson('{"version": 1}')), /raftlab\.loadLesson: /);
    assert.match(await err(() => window.raftlab.openLesson('fixture-election', 99)), /no step 99/);
    assert.equal(await lessonState(page), null, 'a failed open keeps no lesson');
  });
});

test('lessons: a question is asked, then the run plays on to show the answer; a task waits for the reader, Show me does it', { timeout: 90_000 }, async (t) => {
  await withPage(t, pageUrl(`#lesson=${FIXTURE}&step=2`), async (page) => {
    await waitShown(page, 2);
    const p = player(page);
    await assert.doesNotReject(p.getByText('2 of 7').waitFor());
    const before = await moment(page);
    await button(p, 'Continue').click();
    const q = p.getByRole('group', { name: 'Question' });
    await q.getByText('How many votes does a candidate need').waitFor();
    assert.equal((await lessonState(page)).phase, 'asking');
    assert.deepEqual(await moment(page), before, 'asking does not move the run');
    await button(q, '3').click();
    await waitShown(page, 3);
    const l = await lessonState(page);
    assert.equal(l.question.chosen, 1);
    assert.equal(l.question.answer, 1);
    await p.getByText('✓ Right: 3.').waitFor();
    await p.getByText('A majority of five is three').waitFor();
    assert.ok((await page.evaluate(() => window.raftlab.state().nodes.some((n) => n.role === 'leader'))), 'the answer is shown by the run');
    // The task: Continue waits until it is done.
    await button(p, 'Continue').click();
    await waitShown(page, 4);
    assert.equal((await lessonState(page)).task.prompt, 'Crash the leader.');
    assert.ok(await button(p, 'Continue').isDisabled(), 'Continue waits for the task');
    const leader = await page.evaluate(() => window.raftlab.state().nodes.find((n) => n.role === 'leader').id);
    await button(p, 'Show me').click();
    await page.waitForFunction(() => window.raftlab.lessonState().task_done);
    assert.equal(await page.evaluate((id) => window.raftlab.state().nodes[id - 1].alive, leader), false);
    await p.getByText('✓ Done.').waitFor();
    // Clicker keys: → goes on (from the reader's run), ← comes back.
    await page.keyboard.press('ArrowRight');
    await waitShown(page, 5);
    await page.waitForFunction(() => location.hash === '#lesson=fixture-election&step=5');
    await page.keyboard.press('PageUp');
    await waitShown(page, 4);
    // The step list jumps anywhere.
    await p.getByLabel('Go to step').selectOption({ label: '6. Another run' });
    await waitShown(page, 6);
    assert.equal((await page.evaluate(() => window.raftlab.state())).nodes.length, 3);
    await axe(page, 'the lesson player, light');
  });
});

test('lessons: #lesson=<id>&step=<n> opens there, and a reload returns to the same moment', { timeout: 90_000 }, async (t) => {
  await withPage(t, pageUrl(`#lesson=${FIXTURE}&step=5`), async (page) => {
    await waitShown(page, 5);
    const first = await moment(page);
    assert.equal(first.nodes.filter((n) => !n.alive).length, 1, 'the task before was done by Show me');
    await page.reload({ waitUntil: 'load' });
    await waitShown(page, 5);
    assert.deepEqual(await moment(page), first, 'the same state() after a reload');
    // Copy link inside a lesson copies the step's whole address, not the run's fragment.
    await page.context().grantPermissions(['clipboard-read', 'clipboard-write']);
    await page.getByRole('button', { name: 'Copy link', exact: true }).click();
    await page.waitForFunction(() => /Link copied/.test(document.querySelector('.notice')?.innerText ?? ''));
    assert.match(await noticeText(page), /it opens the lesson \u201c.+\u201d at step 5\./);
    const copied = await page.evaluate(() => navigator.clipboard.readText());
    const here = new URL(page.url());
    assert.equal(copied, `${here.origin}${here.pathname}#lesson=${FIXTURE}&step=5`);
    assert.deepEqual(await moment(page), first, 'copying changes nothing');
    // A share link still works inside a lesson: it opens its run, leaving the lesson.
    const link = await page.evaluate(() => window.raftlab.link());
    await page.evaluate((l) => { location.hash = l; }, link);
    await page.waitForFunction(() => window.raftlab.lessonState() === null);
    assert.match(await noticeText(page), /^Opened a shared run/);
  });
});

test('lessons: ?embed&lesson=<id> embeds the player under the picture', LIMIT, async (t) => {
  await withPage(t, pageUrl(`?embed&autoplay=0&lesson=${FIXTURE}`), async (page) => {
    await waitShown(page, 1);
    const p = player(page);
    await p.getByText('1 of 7').waitFor();
    await p.getByRole('link', { name: '§5.2' }).waitFor();
    assert.equal(await p.getByRole('link', { name: 'thesis §3.4' }).getAttribute('href'), 'https://github.com/ongardie/dissertation');
    await button(p, 'Continue').click();
    await waitShown(page, 2);
    assert.ok(!page.url().includes('#lesson'), 'an embed leaves the host page\'s address alone');
  });
});

test('lessons: a teacher\'s lesson opens from a file; a bad one is refused with the reader\'s message and the run kept', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await openSection(page, 'Files');
    const picker = page.getByLabel('Open scenario…', { exact: true });
    await picker.setInputFiles(path.join(FIXTURES, 'teacher-lesson.json'));
    await waitShown(page, 1);
    assert.equal((await lessonState(page)).id, 'teacher-writes');
    await page.evaluate(() => window.raftlab.nextStep());
    const kept = await moment(page);
    const bad = JSON.parse(readFileSync(path.join(FIXTURES, 'teacher-lesson.json'), 'utf8'));
    bad.steps[2].until = { kind: 'commit', within_ms: 'soon' };
    delete bad.steps[1].text;
    await openSection(page, 'Files');
    await picker.setInputFiles({ name: 'bad-lesson.json', mimeType: 'application/json', buffer: Buffer.from(JSON.stringify(bad)) });
    await eventually(async () => (await noticeText(page)).startsWith('Could not open'), { message: 'the refusal' });
    assert.match(await noticeText(page), /^Could not open bad-lesson\.json: it is a lesson with a problem: step 2 \(A leader\): text: .*The current run is unchanged\.$/);
    assert.deepEqual(await moment(page), kept, 'the run is kept');
    assert.equal((await lessonState(page)).step, 2, 'the lesson is kept');
  });
});

/**
 * Presenter mode's controls outside the caption band (which holds the lesson's navigation,
 * play/pause and the step's question or task): every visible control except the picture's
 * servers, links and log cells and the folds' disclosure buttons, by name. There should be none.
 */
async function presenterControls(page) {
  return page.evaluate(() => {
    const shown = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
    return [...document.querySelectorAll('button, [role="button"], input, select, textarea, a[href]')]
      .filter((el) => shown(el) && !el.closest('.cluster') && !el.closest('.logs') && !el.hasAttribute('aria-expanded') && !el.closest('.caption'))
      .map((el) => (el.getAttribute('aria-label') || el.textContent || el.tagName).trim());
  });
}

for (const scheme of ['light', 'dark']) {
  test(`lessons: presenter mode at 1920x1080, ${scheme}: large caption, picture and logs, only the lesson controls; axe-core`, { timeout: 90_000 }, async (t) => {
    await withPage(t, pageUrl(`?present#lesson=${FIXTURE}&step=3`), async (page) => {
      await waitShown(page, 3);
      const caption = page.getByRole('region', { name: 'Caption' });
      await caption.getByText('With a majority of votes').waitFor();
      const size = await caption.locator('.caption-text p').first().evaluate((el) => parseFloat(getComputedStyle(el).fontSize));
      assert.ok(size >= 28, `the caption's text is at least 28 px (${size})`);
      assert.equal(await page.getByRole('toolbar', { name: 'Playback' }).count(), 0, 'the playback bar is hidden');
      assert.equal(await page.getByRole('button', { name: 'Copy link' }).count(), 0);
      await page.getByRole('region', { name: 'Logs' }).waitFor();
      const stage = await page.getByRole('region', { name: 'Cluster' }).boundingBox();
      assert.ok(stage.height > 500, `the picture fills the screen (${stage.height} px tall)`);
      await button(caption, 'Play').waitFor();
      await frames(page, 3);
      const controls = await presenterControls(page);
      assert.deepEqual(controls, [], 'no control outside the caption band');
      await page.screenshot({ path: path.join(SHOTS, `lesson-present-${scheme}.png`) });
      await axe(page, `presenter mode, ${scheme}`);
      // The clicker's PageDown goes on; p leaves presenter mode.
      await page.keyboard.press('PageDown');
      await waitShown(page, 4);
      await page.keyboard.press('p');
      await page.getByRole('toolbar', { name: 'Playback' }).waitFor();
    }, { contextOptions: { viewport: { width: 1920, height: 1080 }, colorScheme: scheme } });
  });
}

test('lessons: presenter mode shows what a step opens (its panels, its selection); p turns it on', { timeout: 90_000 }, async (t) => {
  // reads, step 10: the slow clock's stale lease read; the step opens the key-value stores
  // and the client history, and selects S5.
  await withPage(t, pageUrl('#lesson=reads&step=10'), async (page) => {
    await waitShown(page, 10);
    assert.equal(await page.locator('.page.present').count(), 0);
    await page.keyboard.press('p');
    await page.locator('.page.present').waitFor();
    const history = page.getByRole('region', { name: 'Client history' });
    await history.waitFor();
    assert.match(await history.innerText(), /Not linearizable/, 'the class sees the verdict the step is about');
    await page.getByRole('region', { name: 'Key-value stores' }).waitFor();
    const details = page.getByRole('region', { name: 'Details' });
    assert.match(await details.innerText(), /S5/, 'the selected server is detailed');
    for (const name of ['Client history', 'Details']) {
      const box = await page.getByRole('region', { name }).boundingBox();
      assert.ok(box && box.x > 900 && box.width > 200, `${name} beside the picture: ${JSON.stringify(box)}`);
    }
    // The selected server's facts and why, without its actions; no form a step opened.
    assert.match(await details.innerText(), /Why/);
    const controls = await presenterControls(page);
    assert.deepEqual(controls, [], 'no control outside the caption band');
    // The band keeps its navigation whole and inside the screen, and leaves the picture most
    // of the height, even with this step's long text, question and answer.
    const caption = page.getByRole('region', { name: 'Caption' });
    const band = await caption.boundingBox();
    assert.ok(band.y + band.height <= 1080 + 0.5, `the caption ends inside the screen: ${JSON.stringify(band)}`);
    assert.ok(band.height <= 1080 * 0.41, `the caption takes at most 40% of the height (${band.height} px)`);
    for (const name of ['Back', 'Continue', 'Leave presenter mode']) {
      const b = await caption.getByRole('button', { name, exact: true }).boundingBox();
      assert.ok(b && b.y >= band.y && b.y + b.height <= band.y + band.height + 0.5, `${name} is inside the band: ${JSON.stringify(b)}`);
    }
    const stage = await page.getByRole('region', { name: 'Cluster' }).boundingBox();
    assert.ok(stage.height >= 1080 * 0.55, `the picture keeps most of the height (${stage.height} px)`);
    await page.screenshot({ path: path.join(SHOTS, 'lesson-present-panels.png') });
    await axe(page, 'presenter mode with panels');
  }, { contextOptions: { viewport: { width: 1920, height: 1080 } } });
});

test('lessons: the notes window (?present&notes) follows the presenter and moves it', LIMIT, async (t) => {
  await withPage(t, pageUrl(`?present#lesson=${FIXTURE}&step=1`), async (page) => {
    await waitShown(page, 1);
    const notes = await page.context().newPage();
    await notes.goto(pageUrl('?present&notes'));
    await notes.getByText('Step 1 of 7: Everyone follows').waitFor();
    await notes.getByText('Ask the room how a follower knows').waitFor();
    await page.evaluate(() => window.raftlab.nextStep());
    await notes.getByText('Step 2 of 7: A candidate').waitFor();
    await notes.getByText('No notes for this step.').waitFor();
    await notes.getByRole('button', { name: 'Another run' }).click();
    await waitShown(page, 6);
    await notes.getByText('This step starts a run of its own.').waitFor();
    await notes.close();
  });
});

test('lessons: the list on the first screen, progress remembered; the player on a phone', { timeout: 90_000 }, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await button(page, 'Lessons').click();
    const dialog = page.getByRole('dialog', { name: 'Lessons' });
    await dialog.locator('.lesson-open').first().waitFor();
    const first = dialog.locator('.lesson-open').first();
    const title = await first.textContent();
    await first.click();
    await waitShown(page, 1);
    assert.equal((await lessonState(page)).title, title);
    const p = player(page);
    const box = await p.boundingBox();
    assert.ok(box.x >= 0 && box.x + box.width <= 390.5, `the player fits the phone's width (${JSON.stringify(box)})`);
    await page.evaluate(() => window.raftlab.nextStep());
    await waitShown(page, 2);
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'lesson-phone.png'), fullPage: true });
    await button(p, 'Explore from here').click();
    assert.equal(await lessonState(page), null);
    await button(page, 'Lessons').click();
    await dialog.locator('li', { hasText: title }).getByText('reached step 2').waitFor();
    const width = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(width <= 391, `no sideways scrolling (${width})`);
    await axe(page, 'the list of lessons on a phone');
  }, { contextOptions: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true } });
});

test('lessons: on a desktop, the list shows every summary and the step reached after a reload; the player beside the picture; Back and Continue stay put; highlights are drawn', { timeout: 90_000 }, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const list = await page.evaluate(() => window.raftlab.lessons());
    await button(page, 'Lessons').click();
    const dialog = page.getByRole('dialog', { name: 'Lessons' });
    await dialog.locator('.lesson-open').first().waitFor();
    for (const l of list) {
      const item = dialog.locator('li').filter({ has: page.getByRole('button', { name: l.title, exact: true }) });
      assert.equal(await item.locator('p').textContent(), l.summary, `${l.id}: its summary is shown`);
    }
    await button(dialog, 'Close').click();
    // The fixture lesson: step 1 emphasises every server, step 5 the link S1-S2.
    await page.evaluate((id) => window.raftlab.openLesson(id), FIXTURE);
    await waitShown(page, 1);
    const p = player(page);
    const picture = await page.getByRole('region', { name: 'Cluster' }).boundingBox();
    const beside = await p.boundingBox();
    assert.ok(beside.x >= picture.x + picture.width - 1 && beside.y < picture.y + picture.height,
      `the step's text is beside the picture (${JSON.stringify({ picture, beside })})`);
    assert.equal(await page.locator('.emph-ring').count(), 5, 'step 1 rings every server');
    assert.equal(await page.locator('.intro').count(), 0, 'a lesson needs no first-visit introduction beside it');
    assert.match(await page.getByRole('button', { name: /^Node 3, / }).getAttribute('aria-label'), /, highlighted$/);
    const places = [];
    for (let step = 1; step <= 7; step++) {
      await page.evaluate(([id, n]) => window.raftlab.openLesson(id, n), [FIXTURE, step]);
      await waitShown(page, step);
      await frames(page);
      const [back, next] = [await button(p, 'Back').boundingBox(), await button(p, 'Continue').boundingBox()];
      places.push({ step, back: [Math.round(back.x), Math.round(back.y)], next: [Math.round(next.x), Math.round(next.y)] });
      if (step === 5) {
        assert.equal(await page.locator('.link.emph').count(), 1, 'step 5 emphasises one link');
        assert.equal(await page.locator('.emph-ring').count(), 0, 'and no server');
      }
      if (step === 7) assert.equal(await page.locator('.emph-ring, .link.emph, .cell.emph').count(), 0, 'step 7 emphasises nothing');
    }
    for (const at of places) {
      assert.deepEqual([at.back, at.next], [places[0].back, places[0].next], `Back and Continue in the same place at every step: ${JSON.stringify(places)}`);
    }
    // Log entries: consensus, step 4, emphasises entry 2 on S2, S1 and S4.
    await page.evaluate(() => window.raftlab.openLesson('consensus', 4));
    await waitShown(page, 4);
    await frames(page);
    assert.equal(await page.locator('.cell.emph').count(), 3, 'consensus step 4 emphasises three log entries');
    // Progress is remembered across a reload (a lesson of the list: election, step 2).
    await page.evaluate(() => window.raftlab.openLesson('election', 2));
    await waitShown(page, 2);
    await page.goto(pageUrl());
    await pageReady(page);
    await button(page, 'Lessons').click();
    const title = list.find((l) => l.id === 'election').title;
    const item = dialog.locator('li').filter({ has: page.getByRole('button', { name: title, exact: true }) });
    await item.getByText('reached step 2').waitFor();
  });
});

test('lessons: in a lesson, Space is Continue (a question first, Skip ahead while playing on), not play/pause; ← is Back', LIMIT, async (t) => {
  await withPage(t, pageUrl(`#lesson=${FIXTURE}&step=1`), async (page) => {
    await waitShown(page, 1);
    const phase = (p) => page.waitForFunction((p) => window.raftlab.lessonState()?.phase === p, p, { timeout: 15_000 });
    // The keys go to the page, not to a focused button (whose own Space a button keeps).
    const press = async (key) => {
      await page.evaluate(() => document.activeElement?.blur());
      await page.keyboard.press(key);
    };
    const m1 = await moment(page);
    assert.equal(m1.playing, false);
    // Space: on to step 2, whose moment (the first candidate) the run plays to, then pauses.
    await press(' ');
    await waitShown(page, 2);
    const m2 = await moment(page);
    assert.ok(m2.time_ms > m1.time_ms, `the run played on (${m1.time_ms} -> ${m2.time_ms} ms)`);
    assert.equal(m2.playing, false, 'paused at the step\'s moment, not toggled to play');
    assert.ok(m2.nodes.some((n) => n.role === 'candidate'), 'step 2\'s moment: a candidate');
    // Space: step 3 has a question: it is asked, the run does not move.
    await press(' ');
    await phase('asking');
    assert.equal((await lessonState(page)).step, 2);
    assert.deepEqual(await moment(page), m2, 'asking does not move the run');
    // ←: the question is withdrawn, step 2 shown as it was.
    await press('ArrowLeft');
    await waitShown(page, 2);
    assert.deepEqual(await moment(page), m2);
    // ←: step 1's moment exactly; the address follows.
    await press('ArrowLeft');
    await waitShown(page, 1);
    assert.deepEqual(await moment(page), m1, 'back at step 1, state() as on its first visit');
    await page.waitForFunction((f) => location.hash === `#lesson=${f}&step=1`, FIXTURE);
    // ← at the first step: refused, and not the run's step back either.
    await press('ArrowLeft');
    await eventually(async () => /first step/.test(await noticeText(page)), { message: 'the "first step" notice' });
    assert.equal((await lessonState(page)).step, 1);
    assert.deepEqual(await moment(page), m1, 'the run did not step back');
    // Space: a visited step is shown at once, as recorded; Space while asked plays on (Just show me).
    await press(' ');
    await waitShown(page, 2);
    assert.deepEqual(await moment(page), m2);
    await press(' ');
    await phase('asking');
    await press(' ');
    await waitShown(page, 3);
    assert.ok((await page.evaluate(() => window.raftlab.state().nodes.some((n) => n.role === 'leader'))), 'step 3\'s moment: a leader');
    // Slowly (the play on to step 4 takes its full 3 s of wall time): ← stops it where it started,
    // Space skips ahead to the moment at once.
    await page.evaluate(() => window.raftlab.setSpeed(0.001));
    const m3 = await moment(page);
    await press(' ');
    await phase('playing');
    assert.equal((await page.evaluate(() => window.raftlab.state())).playing, true, 'playing on to step 4');
    await press('ArrowLeft');
    await waitShown(page, 3);
    assert.deepEqual(await moment(page), m3, '← while playing on: back to step 3\'s moment, paused');
    await press(' ');
    await phase('playing');
    const started = Date.now();
    await press(' ');
    await waitShown(page, 4);
    const waited = Date.now() - started;
    assert.ok(waited < 2_000, `Space skipped ahead instead of pausing (${waited} ms)`);
    const m4 = await moment(page);
    assert.equal(m4.playing, false);
    assert.ok(Math.abs(m4.time_ms - (m3.time_ms + 200)) < 1e-6, `step 4 is 200 ms after step 3 (${m3.time_ms} -> ${m4.time_ms})`);
  });
});

/** Dispatches a synthetic drop of one file ({name, type, text}) onto the page, as a browser does. */
async function dropFile(page, file) {
  const dt = await page.evaluateHandle((f) => {
    const dt = new DataTransfer();
    dt.items.add(new File([f.text], f.name, { type: f.type }));
    return dt;
  }, file);
  for (const kind of ['dragenter', 'dragover', 'drop']) await page.dispatchEvent('main', kind, { dataTransfer: dt });
  await dt.dispose();
}

const TEACHER = readFileSync(path.join(FIXTURES, 'teacher-lesson.json'), 'utf8');

test('lessons: a lesson file dropped on the page opens as a lesson; a bad one is refused naming the step and field, the run kept', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await page.evaluate(() => { const r = window.raftlab; r.pause(); r.reset(42, 5); r.pause(); r.advance(700); });
    await dropFile(page, { name: 'teacher-lesson.json', type: 'application/json', text: TEACHER });
    await waitShown(page, 1);
    const l = await lessonState(page);
    assert.equal(l.id, 'teacher-writes');
    assert.equal(l.steps, 4);
    await player(page).getByText('1 of 4').waitFor();
    const run = await page.evaluate(() => ({ seed: window.raftlab.seed(), nodes: window.raftlab.state().nodes.length, time: window.raftlab.state().time_ms }));
    assert.deepEqual(run, { seed: 3, nodes: 3, time: 0 }, 'the lesson\'s run, at its start');
    await page.evaluate(() => window.raftlab.nextStep());
    const kept = await moment(page);
    const bad = JSON.parse(TEACHER);
    bad.steps[2].question = { prompt: 'Which?', choices: ['a', 'b'], answer: 5, why: 'Because.' };
    await dropFile(page, { name: 'bad-drop.json', type: 'application/json', text: JSON.stringify(bad) });
    await eventually(async () => (await noticeText(page)).startsWith('Could not open'), { message: 'the refusal' });
    assert.match(await noticeText(page), /^Could not open bad-drop\.json: it is a lesson with a problem: step 3 \(The write\): question\.answer: .*The current run is unchanged\.$/);
    assert.deepEqual(await moment(page), kept, 'the run is kept');
    const after = await lessonState(page);
    assert.equal(after.id, 'teacher-writes', 'the lesson is kept');
    assert.equal(after.step, 2);
  });
});

test('lessons: raftlab.loadLesson(json) opens a lesson object or JSON text at step 1; a bad one throws and keeps the lesson', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const lesson = JSON.parse(TEACHER);
    const got = await page.evaluate((l) => window.raftlab.loadLesson(l), lesson);
    const l = await lessonState(page);
    assert.deepEqual(got, l, 'it returns lessonState()');
    assert.equal(l.id, 'teacher-writes');
    assert.equal(l.title, lesson.title);
    assert.equal(l.step, 1);
    assert.equal(l.steps, 4);
    assert.equal(l.phase, 'shown');
    assert.equal(l.step_title, 'Three servers');
    assert.equal(l.moment_ms, 0);
    const run = await page.evaluate(() => ({ seed: window.raftlab.seed(), nodes: window.raftlab.state().nodes.length, time: window.raftlab.state().time_ms }));
    assert.deepEqual(run, { seed: 3, nodes: 3, time: 0 });
    const p = player(page);
    await p.getByText('1 of 4').waitFor();
    await p.getByRole('heading', { name: 'Three servers' }).waitFor();
    // JSON text, over an open lesson at another step.
    await page.evaluate(() => window.raftlab.nextStep());
    const text = JSON.stringify({ ...lesson, id: 'teacher-text', title: 'Given as text' });
    const fromText = await page.evaluate((s) => window.raftlab.loadLesson(s), text);
    assert.equal(fromText.id, 'teacher-text');
    assert.equal(fromText.step, 1);
    assert.equal((await lessonState(page)).title, 'Given as text');
    await p.getByText('Given as text').waitFor();
    const s2 = await page.evaluate(() => window.raftlab.nextStep());
    assert.equal(s2.step, 2);
    assert.ok(await page.evaluate(() => window.raftlab.state().nodes.some((n) => n.role === 'leader')), 'its step 2: a leader');
    // A bad lesson throws the reader's message; nothing changes.
    const kept = await moment(page);
    const bad = { ...lesson, steps: lesson.steps.map((s, i) => (i === 1 ? { ...s, until: { kind: 'no_such_kind' } } : s)) };
    const err = await page.evaluate((b) => { try { window.raftlab.loadLesson(b); return 'no error'; } catch (e) { return e.message; } }, bad);
    assert.match(err, /^raftlab\.loadLesson: step 2 \(A leader\): until/);
    assert.deepEqual(await moment(page), kept);
    assert.equal((await lessonState(page)).id, 'teacher-text');
  });
});

test('lessons: Explore from here leaves the lesson with the same run at the same moment, and playing goes on from it', LIMIT, async (t) => {
  await withPage(t, pageUrl(`#lesson=${FIXTURE}&step=5`), async (page) => {
    await waitShown(page, 5);
    const run = () => page.evaluate(() => { const r = window.raftlab; const s = r.state(); delete s.end_ms; return { state: s, scenario: r.scenario(), seed: r.seed() }; });
    const before = await run();
    const dead = before.state.nodes.filter((n) => !n.alive).map((n) => n.id);
    assert.equal(dead.length, 1, 'step 5: the leader crashed at step 4');
    await button(player(page), 'Explore from here').click();
    await page.waitForFunction(() => window.raftlab.lessonState() === null);
    assert.equal(await player(page).count(), 0, 'the player is gone');
    const after = await run();
    assert.equal(after.state.time_ms, before.state.time_ms, 'the same moment');
    assert.deepEqual(after.scenario, before.scenario, 'the same run');
    assert.deepEqual(after, before, 'state() unchanged');
    // Outside a lesson, Space is play/pause: the run plays on from that moment.
    await page.evaluate(() => document.activeElement?.blur());
    await page.keyboard.press(' ');
    await page.waitForFunction((t0) => window.raftlab.state().time_ms > t0 + 100, before.state.time_ms, { timeout: 15_000 });
    await page.keyboard.press(' ');
    const later = await run();
    assert.equal(later.state.playing, false, 'Space paused it');
    assert.equal(later.seed, before.seed);
    assert.deepEqual(later.scenario.events.slice(0, before.scenario.events.length), before.scenario.events, 'the same run, going on');
    assert.deepEqual(later.state.nodes.filter((n) => !n.alive).map((n) => n.id), dead, 'the crashed server is still down');
    await page.evaluate((t0) => window.raftlab.seek(t0), before.state.time_ms);
    const back = await run();
    assert.deepEqual({ ...back.state, playing: false }, { ...before.state, playing: false }, 'its past is the moment left');
  });
});

/** The WCAG contrast ratio of each text element in `selector` against its background. */
const contrasts = (page, selector) => page.evaluate((selector) => {
  const canvas = document.createElement('canvas');
  canvas.width = canvas.height = 1;
  const ctx = canvas.getContext('2d', { willReadFrequently: true });
  // Any CSS colour as sRGB [r, g, b, a] (0-255, a 0-1), through the canvas.
  const rgba = (css) => {
    ctx.clearRect(0, 0, 1, 1);
    ctx.fillStyle = '#000';
    ctx.fillStyle = css;
    ctx.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = ctx.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const over = (top, bottom) => [0, 1, 2].map((i) => top[i] * top[3] + bottom[i] * (1 - top[3])).concat(1);
  // The background behind `el`: its own and its ancestors' colours, composited to the first opaque one.
  const background = (el) => {
    const layers = [];
    for (let e = el; e; e = e.parentElement) {
      const c = rgba(getComputedStyle(e).backgroundColor);
      if (c[3] > 0) layers.push(c);
      if (c[3] >= 1) break;
    }
    let bg = [255, 255, 255, 1];
    for (const c of layers.reverse()) bg = over(c, bg);
    return bg;
  };
  const lum = ([r, g, b]) => {
    const lin = (v) => { v /= 255; return v <= 0.04045 ? v / 12.92 : ((v + 0.055) / 1.055) ** 2.4; };
    return 0.2126 * lin(r) + 0.7152 * lin(g) + 0.0722 * lin(b);
  };
  const hex = (c) => '#' + c.slice(0, 3).map((v) => Math.round(v).toString(16).padStart(2, '0')).join('');
  const out = [];
  for (const el of document.querySelectorAll(`${selector}, ${selector} *`)) {
    if (![...el.childNodes].some((n) => n.nodeType === 3 && n.textContent.trim())) continue;
    const bg = background(el);
    const fg = over(rgba(getComputedStyle(el).color), bg);
    const [hi, lo] = [lum(fg), lum(bg)].sort((a, b) => b - a);
    out.push({ el: el.tagName.toLowerCase() + (el.className ? '.' + el.className.split(' ').join('.') : ''), text: el.textContent.trim().slice(0, 30), fg: hex(fg), bg: hex(bg), ratio: (hi + 0.05) / (lo + 0.05) });
  }
  return out;
}, selector);

for (const scheme of ['light', 'dark']) {
  test(`lessons: presenter mode, ${scheme}: the caption's text has a contrast of at least 7:1 against its background`, LIMIT, async (t) => {
    await withPage(t, pageUrl(`?present#lesson=${FIXTURE}&step=1`), async (page) => {
      await waitShown(page, 1);
      const caption = page.getByRole('region', { name: 'Caption' });
      await caption.getByRole('heading', { name: 'Everyone follows' }).waitFor();
      const seen = [...await contrasts(page, '.caption-text')];
      // Step 3: its question answered (prompt, verdict, why).
      await page.evaluate(() => window.raftlab.openLesson('fixture-election', 3));
      await waitShown(page, 3);
      await caption.getByText('A majority of five is three').waitFor();
      seen.push(...await contrasts(page, '.caption-text'));
      t.diagnostic(JSON.stringify(seen.map((c) => `${c.el} "${c.text}": ${c.fg} on ${c.bg} = ${c.ratio.toFixed(2)}:1`)));
      // The links too (the caption's --accent-strong: the page's accent, #0b57d0, is 6.39:1
      // on white).
      const [links, text] = [seen.filter((c) => c.el === 'a'), seen.filter((c) => c.el !== 'a')];
      assert.ok(text.some((c) => c.el === 'h2') && text.some((c) => c.el === 'p') && links.length > 0, 'the title, paragraphs and links are measured');
      for (const c of [...text, ...links]) {
        assert.ok(c.ratio >= 7, `${c.el} "${c.text}": ${c.fg} on ${c.bg} is ${c.ratio.toFixed(2)}:1, under 7:1`);
      }
    }, { contextOptions: { viewport: { width: 1920, height: 1080 }, colorScheme: scheme } });
  });
}

test('lessons: break-it, the reader switches the bug on in Settings (the task), and the lesson goes on to the lost write', { timeout: 90_000 }, async (t) => {
  await withPage(t, pageUrl('#lesson=break-it&step=6'), async (page) => {
    await waitShown(page, 6);
    const p = player(page);
    const l = await lessonState(page);
    assert.match(l.task.prompt, /Vote without comparing logs/);
    assert.equal(l.task_done, false);
    assert.ok(await button(p, 'Continue').isDisabled(), 'Continue waits for the task');
    // The step opens Settings; the reader ticks the box (not Show me).
    const box = page.getByRole('checkbox', { name: 'Vote without comparing logs (breaks 5.4.1)' });
    await box.check();
    await page.waitForFunction(() => window.raftlab.lessonState().task_done);
    await p.getByText('✓ Done.').waitFor();
    const set = (await page.evaluate(() => window.raftlab.scenario())).events.filter((e) => e.do === 'set');
    assert.deepEqual(set.map((e) => e.bugs), [['skip_vote_log_check']]);
    // On to the attack: step 7's task by Show me, then step 8 (its question skipped) shows
    // the checker's catch.
    await button(p, 'Continue').click();
    await waitShown(page, 7);
    await button(p, 'Show me').click();
    await page.waitForFunction(() => window.raftlab.lessonState().task_done);
    await button(p, 'Continue').click();
    const q = p.getByRole('group', { name: 'Question' });
    await q.getByText('with the log check gone').waitFor();
    await q.getByRole('button', { name: 'Just show me' }).click();
    await waitShown(page, 8);
    const violations = await page.evaluate(() => window.raftlab.trace().split('\n').filter(Boolean).map((l) => JSON.parse(l)).filter((e) => e.kind === 'violation').map((e) => e.property));
    assert.equal(violations[0], 'leader_completeness', String(violations));
  });
});
