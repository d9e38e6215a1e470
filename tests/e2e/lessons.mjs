// Browser tests of guided lessons (docs/lesson-format.md, docs/embedding.md "Lessons"): every
// lesson of lessons/index.json walked forward and back (each step's state() equals its first
// visit), questions, tasks and Show me, the URL of a step surviving a reload, an embedded
// lesson, a teacher's lesson opened from a file (and a bad one), presenter mode at 1920x1080
// in light and dark (screenshots in target/screenshots/), its notes window, the phone, and
// axe-core on the player and presenter mode. Run by `node --test tests/e2e/run.mjs` (which
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
import { eventually, frames, openSection } from './browser.mjs';

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
