// Browser tests of membership changes (Ongaro's thesis 4.1): the Add server and Remove Sn
// buttons, raftlab.addServer / removeServer, state()'s voters, learners, member and
// config_index, the majority line, the picture of learners and removed servers, time travel
// across a change of size, share links with add/remove actions, and the API's errors. Run by
// `node --test tests/e2e/run.mjs` (which imports this file) or alone:
// `node --test tests/e2e/membership.mjs`. Set-up in harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { eventually, frames, openSection } from './browser.mjs';
import { LIMIT, SHOTS, pageUrl, withPage, cliTrace, assertSameTrace, noticeText } from './harness.mjs';

const state = (page) => page.evaluate(() => window.raftlab.state());
const quorum = (page) => page.locator('.quorum').innerText();
const nodeButton = (page, id) => page.getByRole('button', { name: new RegExp(`^Node ${id}\\b`) });
const nodeLabel = (page, id) => nodeButton(page, id).getAttribute('aria-label');
const addButton = (page) => page.getByRole('button', { name: /^Add server/ });

/** A paused 3-server run with a leader: seed 7, 1 s in. */
function threeServers(page) {
  return page.evaluate(() => {
    const r = window.raftlab;
    r.pause();
    r.reset(7, 3);
    r.pause();
    r.advance(1000);
    return r.state();
  });
}

/** Advances in steps of `ms` until `check(state)` holds (at most `limit` ms); returns the state. */
async function advanceUntil(page, check, what, { ms = 50, limit = 5000 } = {}) {
  let st = await state(page);
  for (let spent = 0; !check(st); spent += ms) {
    if (spent > limit) assert.fail(`${what}: not within ${limit} ms (state: voters ${st.voters}, learners ${st.learners})`);
    st = await page.evaluate((ms) => {
      window.raftlab.advance(ms);
      return window.raftlab.state();
    }, ms);
  }
  return st;
}

const sameIds = (a, b) => a.length === b.length && a.every((x, i) => x === b[i]);
const upTo = (n) => Array.from({ length: n }, (_, i) => i + 1);

test('membership: grow 3 servers to 4 (even) with the button and to 9 with the API, without a restart', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    let st = await threeServers(page);
    assert.deepEqual(st.voters, [1, 2, 3]);
    assert.deepEqual(st.learners, []);
    assert.ok(st.nodes.every((n) => n.member === 'voter' && n.config_index === 0), 'the initial configuration');
    await eventually(async () => /^3 voters: a majority is 2, so the cluster survives 1 failure\.$/.test(await quorum(page)), {
      message: 'the majority line of 3 voters',
    });

    // The button adds S4: it starts at once, joins as a learner, then votes.
    await addButton(page).waitFor();
    assert.equal(await addButton(page).innerText(), 'Add server S4');
    await addButton(page).click();
    st = await state(page);
    assert.equal(st.nodes.length, 4, 'S4 runs at once');
    assert.equal(st.time_ms, 1000, 'no restart: the clock went on');
    assert.notEqual(st.nodes[3].member, 'voter');
    const scenario = await page.evaluate(() => window.raftlab.scenario());
    assert.deepEqual(scenario.events.at(-1), { at_ms: 1000, do: 'add_server', node: 4 }, 'the click is a recorded action');
    assert.equal(scenario.nodes, 3, 'the run still started with 3');
    await nodeButton(page, 4).waitFor();
    // Step by step: S4 is a learner for a while (drawn with a dashed ring), then a voter.
    let learnerSeen = false;
    st = await advanceUntil(page, (s) => {
      if (sameIds(s.learners, [4])) learnerSeen = true;
      return sameIds(s.voters, [1, 2, 3, 4]);
    }, 'S4 becomes a voter', { ms: 5 });
    assert.ok(learnerSeen, 'S4 was a learner before it voted');
    assert.equal(st.nodes[3].member, 'voter');
    await eventually(async () => (await quorum(page)) ===
      '4 voters: a majority is 3, so the cluster survives 1 failure (4 voters tolerate no more failures than 3).', {
      message: 'the majority line of 4 voters',
    });
    st = await page.evaluate(() => {
      window.raftlab.advance(300);
      return window.raftlab.state();
    });
    assert.ok(st.nodes.every((n) => n.config_index > 0), `every server uses a configuration entry (${st.nodes.map((n) => n.config_index)})`);
    assert.equal(new Set(st.nodes.map((n) => n.config_index)).size, 1, 'the same one');

    // A learner is drawn and named as one.
    await page.evaluate(() => window.raftlab.addServer(5));
    await page.evaluate(() => window.raftlab.advance(1));
    st = await advanceUntil(page, (s) => sameIds(s.learners, [5]), 'S5 a learner', { ms: 1 });
    assert.equal(st.nodes[4].member, 'learner');
    await eventually(async () => / \+ S5 learning \(not voting\)\.$/.test(await quorum(page)), { message: 'the learner in the majority line' });
    assert.match(await nodeLabel(page, 5), /^Node 5, S5, \w+, term \d+.*, learner: catching up, not voting$/);
    assert.equal(await nodeButton(page, 5).locator('circle.ring').count(), 1, 'a learner has a dashed ring');
    assert.equal(await nodeButton(page, 1).locator('circle.ring').count(), 0, 'a voter has none');
    await page.screenshot({ path: path.join(SHOTS, 'desktop-membership-learner.png'), fullPage: true });

    // On to 9 with the API (no argument: the button's choice), one server at a time.
    for (let id = 6; id <= 9; id++) {
      await advanceUntil(page, (s) => s.learners.length === 0, `S${id - 1} voting`);
      await page.evaluate(() => window.raftlab.addServer());
    }
    st = await advanceUntil(page, (s) => sameIds(s.voters, upTo(9)), '9 voters');
    assert.equal(st.nodes.length, 9);
    assert.equal(st.time_ms > 1000, true);
    await eventually(async () => /^9 voters: a majority is 5, so the cluster survives 4 failures\.$/.test(await quorum(page)), {
      message: 'the majority line of 9 voters',
    });
    // No tenth: the button says why.
    await eventually(async () => (await addButton(page).isDisabled()), { message: 'Add server disabled at 9' });
    const why = await addButton(page).getAttribute('aria-describedby');
    assert.match(await page.locator(`#${why}`).innerText(), /at most 9 servers/);
    const thrown = await page.evaluate(() => {
      try {
        window.raftlab.addServer();
        return 'no error';
      } catch (e) {
        return e.message;
      }
    });
    assert.match(thrown, /^raftlab\.addServer\(\): .*at most 9 servers/);
    assert.ok(st.nodes.find((n) => n.alive && n.role === 'leader'), 'a leader of 9');
    await frames(page, 3);
    await page.screenshot({ path: path.join(SHOTS, 'desktop-membership-9.png'), fullPage: true });

    // The CLI replays the grown run to the same trace.
    const run = await page.evaluate(() => ({ scenario: window.raftlab.scenario(), trace: window.raftlab.trace() }));
    assert.equal(run.scenario.events.filter((e) => e.do === 'add_server').length, 6);
    assertSameTrace(run.trace.split('\n').filter(Boolean), cliTrace(run.scenario), 'grown run');
  });
});

test('membership: remove servers down to 1; removed ones are drawn as removed; seeking back shows the old size', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    // Five servers grown to six, then removed one by one down to the last voter.
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(11, 5);
      r.pause();
      r.advance(1000);
      r.addServer(6);
      r.advance(1500);
    });
    let st = await state(page);
    assert.deepEqual(st.voters, upTo(6));
    const grownAt = st.time_ms;
    const leaderId = st.nodes.find((n) => n.alive && n.role === 'leader').id;

    // The node panel's Remove button for a follower.
    const victim = leaderId === 2 ? 3 : 2;
    await nodeButton(page, victim).click();
    const remove = page.getByRole('button', { name: `Remove S${victim}`, exact: true });
    await remove.click();
    st = await advanceUntil(page, (s) => !s.voters.includes(victim), `S${victim} removed`);
    assert.equal(st.nodes[victim - 1].member, 'none');
    assert.equal(st.nodes.length, 6, 'a removed server keeps running');
    await eventually(async () => /, removed: not a member of the configuration$/.test(await nodeLabel(page, victim)), {
      message: `S${victim}'s label says removed`,
    });
    // The word under the server is drawn over the messages (the picture's top layer), faded.
    const word = page.locator(`svg.words g.word[data-node="${victim}"]`);
    assert.equal(await word.locator('text.sub').textContent(), 'removed');
    assert.match(await word.getAttribute('class'), /\boutside\b/);
    assert.match(await nodeButton(page, victim).getAttribute('class'), /\boutside\b/);
    assert.ok(await remove.isDisabled(), 'a removed server cannot be removed again');
    assert.match(await page.locator('#remove-why').innerText(), /not a member/);
    await eventually(async () => /^5 voters: a majority is 3, so the cluster survives 2 failures\.$/.test(await quorum(page)), {
      message: 'the majority line of 5 voters',
    });
    // The Add server button offers the removed server back (the lowest one outside).
    assert.equal(await addButton(page).innerText(), `Add server S${victim}`);
    await page.screenshot({ path: path.join(SHOTS, 'desktop-membership-removed.png'), fullPage: true });

    // Down to 1 with the API, the leader last (it steps down once its removal commits).
    let s = await state(page);
    for (;;) {
      const leader = s.nodes.find((n) => n.alive && n.role === 'leader' && s.voters.includes(n.id));
      const others = s.voters.filter((v) => v !== leader?.id);
      if (s.voters.length === 1) break;
      const next = others.length ? others[others.length - 1] : leader.id;
      await page.evaluate((n) => window.raftlab.removeServer(n), next);
      s = await advanceUntil(page, (x) => !x.voters.includes(next) && x.nodes.some((n) => n.alive && n.role === 'leader'), `S${next} removed`);
    }
    assert.equal(s.voters.length, 1);
    const last = s.voters[0];
    await eventually(async () => /^1 voter: a majority is 1, so the cluster survives 0 failures\.$/.test(await quorum(page)), {
      message: 'the majority line of 1 voter',
    });
    assert.equal(s.nodes.filter((n) => n.member === 'none').length, 5);
    // The last voter cannot be removed: the button says why.
    await nodeButton(page, last).click();
    const lastRemove = page.getByRole('button', { name: `Remove S${last}`, exact: true });
    await lastRemove.waitFor();
    assert.ok(await lastRemove.isDisabled());
    assert.match(await page.locator('#remove-why').innerText(), new RegExp(`S${last} is the last voter`));
    // A removal the leader refuses anyway (asked through the API) is narrated, not thrown.
    await page.evaluate((n) => {
      window.raftlab.removeServer(n);
      window.raftlab.advance(50);
    }, last);
    await openSection(page, 'Event log');
    await eventually(async () => /did not remove S\d: it is the last voter/.test(await page.locator('.events').innerText()), {
      message: 'the refusal narrated',
    });
    // The event log's Membership filter keeps the configuration lines only.
    await page.getByRole('combobox', { name: 'Filter by kind', exact: true }).selectOption('config');
    await eventually(async () => {
      const classes = await page.locator('.events li').evaluateAll((lis) => lis.map((li) => li.className));
      return classes.length > 0 && classes.every((c) => c === 'config');
    }, { message: 'only membership lines in the event log' });
    await page.getByRole('combobox', { name: 'Filter by kind', exact: true }).selectOption('');
    await frames(page, 3);
    await page.screenshot({ path: path.join(SHOTS, 'desktop-membership-1.png'), fullPage: true });

    // Back before S6 was added: five servers again, all voters; then forward to the end.
    const end = s.end_ms;
    await page.evaluate((ms) => window.raftlab.seek(ms), grownAt - 1500 - 1);
    await eventually(async () => (await nodeButton(page, 6).count()) === 0, { message: 'S6 gone from the picture' });
    st = await state(page);
    assert.equal(st.nodes.length, 5);
    assert.deepEqual(st.voters, upTo(5));
    assert.match(await quorum(page), /^5 voters: a majority is 3/);
    assert.equal(await page.locator('.logrow').count(), 5, 'five log rows');
    await page.evaluate((ms) => window.raftlab.seek(ms), end);
    await nodeButton(page, 6).waitFor();
    st = await state(page);
    assert.equal(st.nodes.length, 6);
    assert.deepEqual(st.voters, [last]);
    assert.equal(await page.locator('.logrow').count(), 6);
  });
});

test('membership: a share link with add and remove actions opens to the same state; the scenario replays in the CLI', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const here = await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(23, 3);
      r.pause();
      r.advance(800);
      r.addServer(4);
      r.advance(700);
      r.addServer(5);
      r.advance(300);
      r.removeServer(1);
      r.advance(1200);
      r.clientWrite('k', 'v');
      r.advance(500);
      return { link: r.link(), state: r.state(), trace: r.trace(), scenario: r.scenario() };
    });
    assert.match(here.link, /a4/, 'the link carries add_server (letter a)');
    assert.match(here.link, /v1/, 'the link carries remove_server (letter v)');
    assert.equal(here.state.nodes.length, 5);
    assertSameTrace(here.trace.split('\n').filter(Boolean), cliTrace(here.scenario), 'add/remove run');
    // Open the link in this page after another run: the same moment comes back.
    await page.evaluate(() => window.raftlab.reset(1, 7));
    await page.evaluate((link) => {
      location.hash = link;
    }, here.link);
    await eventually(async () => /Opened a shared run: seed 23, 5 nodes, 4 actions/.test(await noticeText(page)), {
      message: 'the link opened',
    });
    const there = await page.evaluate(() => ({ state: window.raftlab.state(), trace: window.raftlab.trace() }));
    assert.deepEqual(there.state, here.state, 'same state() (voters, learners, members) at the same moment');
    assert.equal(there.trace, here.trace);
    assert.match(await nodeLabel(page, 1), /removed: not a member/);
    // Seeking to the start of the linked run shows its 3 servers.
    await page.evaluate(() => window.raftlab.seek(0));
    assert.equal((await state(page)).nodes.length, 3);
  });
});

test('membership: bad addServer/removeServer arguments throw clear errors and change nothing', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await threeServers(page);
    const before = await page.evaluate(() => ({ state: window.raftlab.state(), scenario: window.raftlab.scenario() }));
    const errors = await page.evaluate(() => {
      const out = {};
      for (const call of ['addServer(0)', 'addServer(10)', 'addServer(2.5)', 'addServer("4")', 'addServer(true)',
        'removeServer()', 'removeServer(null)', 'removeServer(0)', 'removeServer(4)', 'removeServer(1.5)', 'removeServer("leader")']) {
        try {
          // eslint-disable-next-line no-new-func
          new Function('r', `r.${call}`)(window.raftlab);
          out[call] = 'no error';
        } catch (e) {
          out[call] = e instanceof Error ? e.message : `not an Error: ${e}`;
        }
      }
      return out;
    });
    t.diagnostic(JSON.stringify(errors));
    assert.equal(errors['addServer(0)'], 'raftlab.addServer(id): expected a server number from 1 to 9, got 0');
    assert.equal(errors['addServer(10)'], 'raftlab.addServer(id): 10 is out of range: raftlab runs at most 9 servers');
    assert.equal(errors['addServer(2.5)'], 'raftlab.addServer(id): expected a server number from 1 to 9, got 2.5');
    assert.equal(errors['addServer("4")'], 'raftlab.addServer(id): expected a server number from 1 to 9, got the string "4"');
    assert.equal(errors['addServer(true)'], 'raftlab.addServer(id): expected a server number from 1 to 9, got true');
    assert.equal(errors['removeServer()'], 'raftlab.removeServer(id): give the number of the server to remove');
    assert.equal(errors['removeServer(null)'], 'raftlab.removeServer(id): give the number of the server to remove');
    assert.equal(errors['removeServer(0)'], 'raftlab.removeServer(id): expected the number of a server, 1 to 3, got 0');
    assert.equal(errors['removeServer(4)'], 'raftlab.removeServer(id): there is no server 4; the cluster has servers 1 to 3');
    assert.equal(errors['removeServer(1.5)'], 'raftlab.removeServer(id): expected the number of a server, 1 to 3, got 1.5');
    assert.equal(errors['removeServer("leader")'], 'raftlab.removeServer(id): expected the number of a server, 1 to 3, got the string "leader"');
    const after = await page.evaluate(() => ({ state: window.raftlab.state(), scenario: window.raftlab.scenario() }));
    assert.deepEqual(after, before, 'nothing changed');
  });
});

test('membership: screenshots at phone size (390x844) with learners and removed servers', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(7, 3);
      r.pause();
      r.advance(1000);
      r.addServer(4);
      r.advance(1000);
      r.removeServer(2);
      r.advance(1000);
      r.addServer(5);
      r.advance(3);
    });
    const st = await state(page);
    assert.equal(st.nodes.length, 5);
    assert.equal(st.nodes[1].member, 'none');
    await nodeButton(page, 2).tap();
    await page.getByRole('button', { name: 'Remove S2', exact: true }).waitFor();
    await frames(page, 3);
    await page.screenshot({ path: path.join(SHOTS, 'phone-membership.png'), fullPage: true });
    // The first screen alone: the picture, the majority line and the node panel.
    await page.screenshot({ path: path.join(SHOTS, 'phone-membership-top.png') });
    const sw = await page.evaluate(() => document.documentElement.scrollWidth);
    assert.ok(sw <= 390, `no horizontal scrolling at 390 px wide (document is ${sw} px wide)`);
  }, { contextOptions: { viewport: { width: 390, height: 844 }, isMobile: true, hasTouch: true, deviceScaleFactor: 2 } });
});
