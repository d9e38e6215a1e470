// Browser tests of messages you can hold and a hand-driven network: clicking a message in the
// picture selects it (Details shows its fields and the simulator's explanation), Drop and
// Deliver now by click (the trace shows them, the CLI replays the page's scenario to the same
// trace), the "Messages on the wire" buttons, the Delivery and Timers switches in the Network
// section, firing a server's timer by clicking it, electing a leader by delivering every vote
// by hand, the narrated refusals and hand actions, and axe-core (WCAG 2.1 A/AA) with a message
// selected and manual mode on, light and dark. Screenshots go to target/screenshots/network-*.png.
// Run by `node --test tests/e2e/run.mjs` (which imports this file) or alone:
// `node --test tests/e2e/network.mjs`. Set-up in harness.mjs.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { eventually, frames, openSection } from './browser.mjs';
import { LIMIT, ROOT, SHOTS, pageUrl, withPage, cliTrace, assertSameTrace } from './harness.mjs';

const AXE = path.join(ROOT, 'node_modules/axe-core/axe.min.js');
/** The canvas's geometry (src/canvas.rs, src/geometry.rs), in picture units (100 x 100). */
const NODE_R = 7;
const GAP = NODE_R + 3.2;

const state = (page) => page.evaluate(() => window.raftlab.state());
const events = async (page) => (await page.evaluate(() => window.raftlab.trace())).split('\n').filter(Boolean).map((l) => JSON.parse(l));
const details = (page) => page.getByRole('region', { name: 'Details', exact: true });

/** The messages on the wire now, from the trace: sent (or duplicated) and not yet delivered or dropped, by id. */
async function onTheWire(page) {
  const wire = new Map();
  for (const e of await events(page)) {
    if (e.kind === 'send' || e.kind === 'duplicate') wire.set(e.msg.id, { ...e.msg, sent_us: e.t_us, deliver_at_us: e.deliver_at_us });
    if (e.kind === 'deliver' || e.kind === 'drop') wire.delete(e.msg.id);
  }
  return [...wire.values()].sort((a, b) => a.id - b.id);
}

/** The centre of server `id`'s circle in picture units, and the picture's box in client pixels. */
async function geometry(page) {
  const pic = await page.getByRole('group', { name: /^Cluster of/ }).boundingBox();
  const circles = await page.locator('.hitg .body').evaluateAll((els) => els.map((el) => {
    const b = el.getBoundingClientRect();
    return { x: b.x + b.width / 2, y: b.y + b.height / 2 };
  }));
  const unit = pic.width / 100;
  return { pic, unit, centre: (id) => ({ x: (circles[id - 1].x - pic.x) / unit, y: (circles[id - 1].y - pic.y) / unit }) };
}

/**
 * Where the canvas draws the first message held on the link `from` → `to` (manual delivery),
 * in client pixels: just outside the sender's circle, 4.5 units along the link, 1.4 units to
 * its side (canvas.rs).
 */
async function heldPoint(page, from, to) {
  const g = await geometry(page);
  const a = g.centre(from);
  const b = g.centre(to);
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  const [ux, uy] = [(b.x - a.x) / len, (b.y - a.y) / len];
  const along = GAP + 4.5;
  const x = a.x + ux * along - uy * 1.4;
  const y = a.y + uy * along + ux * 1.4;
  return { x: g.pic.x + x * g.unit, y: g.pic.y + y * g.unit };
}

/** Whether the canvas has a drawn (opaque) pixel at the client point. */
function drawnAt(page, { x, y }) {
  return page.evaluate(([x, y]) => {
    const c = document.getElementById('anim');
    const r = c.getBoundingClientRect();
    const px = Math.round(((x - r.left) / r.width) * c.width);
    const py = Math.round(((y - r.top) / r.height) * c.height);
    return c.getContext('2d').getImageData(px, py, 1, 1).data[3] > 0;
  }, [x, y]);
}

/** Clicks the first message held on `from` → `to` in the picture, after checking it is drawn there. */
async function clickHeld(page, from, to) {
  await frames(page);
  const at = await heldPoint(page, from, to);
  assert.ok(await drawnAt(page, at), `a message is drawn on S${from} → S${to} at ${JSON.stringify(at)}`);
  await page.mouse.click(at.x, at.y);
}

/** Switches Delivery and/or Timers to `mode` ('automatic' or 'by hand') in the Network section. */
async function setMode(page, which, mode) {
  await openSection(page, 'Network');
  const radio = page.getByRole('group', { name: which, exact: true }).getByRole('radio', { name: mode, exact: true });
  await radio.check();
  assert.equal(await radio.isChecked(), true, `${which}: ${mode}`);
}

/** Runs axe-core (WCAG 2.1 A and AA); fails listing the violations. */
async function axe(page, what) {
  if (!(await page.evaluate(() => typeof window.axe === 'object'))) await page.addScriptTag({ path: AXE });
  const violations = await page.evaluate(async () => {
    const r = await window.axe.run(document, { runOnly: { type: 'tag', values: ['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa'] } });
    return r.violations.map((v) => ({ id: v.id, help: v.help, nodes: v.nodes.slice(0, 5).map((n) => `${n.target.join(' ')}: ${n.failureSummary}`) }));
  });
  assert.deepEqual(violations, [], `axe-core finds no WCAG 2.1 A/AA violation (${what}):\n${JSON.stringify(violations, null, 2)}`);
}

/** A paused 5-server run with a leader (seed 1, 1.5 s in). */
function withLeader(page) {
  return page.evaluate(() => {
    const r = window.raftlab;
    r.pause();
    r.reset(1, 5);
    r.pause();
    r.advance(1500);
    return r.state();
  });
}

test('network: clicking a held message selects it, shows its fields and why; Drop and Deliver now by click; the CLI replays it', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const st = await withLeader(page);
    const leader = st.nodes.find((n) => n.role === 'leader');
    assert.ok(leader, 'a leader');
    await setMode(page, 'Delivery', 'by hand');
    await page.getByText('nothing arrives until you deliver it').waitFor();
    // The leader's next heartbeats wait on their links.
    await page.evaluate(() => window.raftlab.advance(60));
    const wire = await onTheWire(page);
    const beat = wire.find((m) => m.from === leader.id && m.type === 'AppendEntries');
    assert.ok(beat, `a heartbeat of S${leader.id} is held: ${JSON.stringify(wire)}`);
    // Under the pointer it is marked (the link under it does not light up); clicking it in
    // the picture selects it (not the link under it).
    await frames(page);
    const at = await heldPoint(page, beat.from, beat.to);
    await page.mouse.move(at.x, at.y);
    await eventually(() => page.locator('.cluster').evaluate((el) => el.hasAttribute('data-over-message')), { message: 'hovered' });
    await clickHeld(page, beat.from, beat.to);
    const box = details(page);
    await eventually(async () => (await box.innerText()).includes(`Message ${beat.id}: AppendEntries from S${beat.from} to S${beat.to}`), { message: 'Details shows the message' });
    const text = await box.innerText();
    for (const field of ['term', 'prevLogIndex', 'prevLogTerm', 'entries', 'leaderCommit', 'sent', 'arrives']) {
      assert.match(text, new RegExp(`^${field}\\b`, 'm'), `Details shows ${field}`);
    }
    assert.match(text, /waiting on the link until you deliver or drop it/);
    assert.match(text, new RegExp(`Why: Message ${beat.id}: AppendEntries from S${beat.from} to S${beat.to}`));
    assert.match(text, new RegExp(`A prediction of what S${beat.to} would do`));
    assert.match(text, /section 5\.3/);
    assert.ok(!(await events(page)).some((e) => e.kind === 'cut'), 'the click did not cut the link under the message');
    await box.scrollIntoViewIfNeeded();
    await page.screenshot({ path: path.join(SHOTS, 'network-selected.png') });

    // Drop: the trace says so (reason manual), Details says it is gone, the event log tells it.
    await box.getByRole('button', { name: 'Drop', exact: true }).click();
    let trace = await events(page);
    const drop = trace.find((e) => e.kind === 'drop' && e.msg.id === beat.id);
    assert.equal(drop?.reason, 'manual', 'a drop with reason manual');
    await eventually(async () => new RegExp(`Message ${beat.id} is lost: .* was dropped by you`).test(await box.innerText()), { message: 'Details: dropped' });
    await openSection(page, 'Event log');
    await eventually(async () => (await page.getByRole('region', { name: 'Event log' }).innerText()).includes(`You dropped S${beat.from}'s AppendEntries to S${beat.to}`), { message: 'narrated drop' });

    // Deliver now, picked from the list (the keyboard's way): it arrives at once.
    const next = (await onTheWire(page)).find((m) => m.from === leader.id && m.to !== beat.to);
    const pick = page.getByRole('group', { name: 'Messages on the wire' }).getByRole('button', { name: new RegExp(`^S${next.from} → S${next.to} AppendEntries #${next.id}, waiting$`) });
    await pick.focus();
    await page.keyboard.press('Enter');
    assert.equal(await pick.getAttribute('aria-pressed'), 'true');
    await box.getByRole('button', { name: 'Deliver now', exact: true }).click();
    trace = await events(page);
    assert.ok(trace.some((e) => e.kind === 'deliver' && e.msg.id === next.id), 'delivered');
    await eventually(async () => new RegExp(`Message ${next.id} has arrived: AppendEntries from S${next.from} reached S${next.to}`).test(await box.innerText()), { message: 'Details: arrived' });
    // Its reply waits now; Duplicate makes a second copy with a new id.
    const reply = (await onTheWire(page)).find((m) => m.from === next.to && m.type === 'AppendEntriesReply');
    assert.ok(reply, 'the reply is held');
    await page.getByRole('group', { name: 'Messages on the wire' }).getByRole('button', { name: new RegExp(`#${reply.id},`) }).click();
    await box.getByRole('button', { name: 'Duplicate', exact: true }).click();
    assert.ok((await events(page)).some((e) => e.kind === 'duplicate' && e.of === reply.id), 'duplicated');

    // The page's run is what the CLI gives for its scenario.
    await page.evaluate(() => window.raftlab.advance(200));
    const r = await page.evaluate(() => ({ trace: window.raftlab.trace(), scenario: window.raftlab.scenario() }));
    const acts = r.scenario.events.map((e) => e.do);
    for (const a of ['drop_message', 'deliver_message', 'duplicate_message']) assert.ok(acts.includes(a), `the scenario records ${a}: ${acts}`);
    assertSameTrace(r.trace.split('\n').filter(Boolean), cliTrace(r.scenario), 'held messages');
  });
});

test('network: by hand from time 0, fire a timer by clicking it, deliver every vote by hand, exactly one leader', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(5, 5);
      r.pause();
    });
    await setMode(page, 'Delivery', 'by hand');
    await setMode(page, 'Timers', 'by hand');
    await page.getByText('no server times out or sends heartbeats by itself').waitFor();
    // Nothing happens by itself, however long we wait.
    let st = await page.evaluate(() => { window.raftlab.advance(2000); return window.raftlab.state(); });
    assert.ok(st.nodes.every((n) => n.role === 'follower' && n.term === 0), 'no election without a timer');
    // Fire S2's timer by clicking its button in the picture.
    const fire = page.getByRole('button', { name: "Fire S2's timer (election timeout)", exact: true });
    await fire.click();
    st = await state(page);
    assert.equal(st.nodes[1].role, 'candidate');
    assert.ok((await events(page)).some((e) => e.kind === 'fire_timer' && e.node === 2));
    let asks = (await onTheWire(page)).filter((m) => m.type === 'RequestVote');
    assert.equal(asks.length, 4, 'S2 asks the four others');
    st = await page.evaluate(() => { window.raftlab.advance(1000); return window.raftlab.state(); });
    assert.ok(!st.nodes.some((n) => n.role === 'leader'), 'no leader while the votes wait');
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'network-manual.png') });

    // Deliver each RequestVote by clicking it, then Deliver now.
    const box = details(page);
    for (const ask of asks) {
      await clickHeld(page, ask.from, ask.to);
      await eventually(async () => (await box.innerText()).includes(`Message ${ask.id}: RequestVote from S2 to S${ask.to}`), { message: `selected RequestVote ${ask.id}` });
      assert.match(await box.innerText(), /lastLogIndex/);
      await box.getByRole('button', { name: 'Deliver now', exact: true }).click();
    }
    st = await state(page);
    assert.ok(!st.nodes.some((n) => n.role === 'leader'), 'still no leader: the replies wait');
    const replies = (await onTheWire(page)).filter((m) => m.type === 'RequestVoteReply');
    assert.equal(replies.length, 4, 'four replies wait');
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'network-replies.png') });
    for (const reply of replies) {
      await clickHeld(page, reply.from, reply.to);
      await eventually(async () => (await box.innerText()).includes(`Message ${reply.id}: RequestVoteReply from S${reply.from} to S2`), { message: `selected reply ${reply.id}` });
      assert.match(await box.innerText(), /voteGranted\s+yes/);
      await box.getByRole('button', { name: 'Deliver now', exact: true }).click();
    }
    st = await state(page);
    const leaders = st.nodes.filter((n) => n.role === 'leader');
    assert.deepEqual(leaders.map((n) => n.id), [2], 'exactly one leader: S2');
    // The leader's heartbeat timer: its button in the picture and in its node actions.
    await page.getByRole('button', { name: "Fire S2's timer (heartbeat)", exact: true }).waitFor();
    await page.getByRole('button', { name: /^Node 2\b/ }).click();
    const before = (await onTheWire(page)).length;
    await box.getByRole('button', { name: "Fire S2's timer", exact: true }).click();
    assert.ok((await onTheWire(page)).length >= before + 4, 'a heartbeat round waits on the links');
    await openSection(page, 'Event log');
    const log = await page.getByRole('region', { name: 'Event log' }).innerText();
    assert.match(log, /You fired S2's timer/);
    await openSection(page, 'Legend');
    await frames(page);
    await page.screenshot({ path: path.join(SHOTS, 'network-leader.png'), fullPage: true });
    // The CLI replays the hand-driven run.
    const r = await page.evaluate(() => ({ trace: window.raftlab.trace(), scenario: window.raftlab.scenario() }));
    assertSameTrace(r.trace.split('\n').filter(Boolean), cliTrace(r.scenario), 'hand-driven election');
  });
});

test('network: the event log tells a refused vote and its reason', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    // S1 leads term 1 with entries; S5, cut off, times out with a shorter log: refused.
    await page.evaluate(() => {
      const r = window.raftlab;
      r.pause();
      r.reset(1, 5);
      r.pause();
      r.advance(1500);
    });
    const st = await state(page);
    const leader = st.nodes.find((n) => n.role === 'leader');
    const other = st.nodes.find((n) => n.role !== 'leader');
    await page.evaluate(([l, o]) => {
      const r = window.raftlab;
      r.isolate(o);
      r.clientWrite('x', '1');
      r.advance(300);
      r.heal();
      r.timeout(o);
      r.advance(300);
    }, [leader.id, other.id]);
    const trace = await events(page);
    const refused = trace.find((e) => e.kind === 'vote_refused' && e.candidate === other.id);
    assert.ok(refused, 'a vote was refused');
    await openSection(page, 'Event log');
    await page.getByLabel('Filter by kind').selectOption('election');
    const text = await page.getByRole('region', { name: 'Event log' }).innerText();
    assert.match(text, new RegExp(`S${refused.node} (refused|ignored) S${other.id}'s vote request for term ${refused.term}: .*section`));
  });
});

test('accessibility: no axe-core violation with a message selected and manual mode on, light and dark', { timeout: 120_000 }, async (t) => {
  for (const colorScheme of ['light', 'dark']) {
    await withPage(t, pageUrl(), async (page) => {
      await withLeader(page);
      await setMode(page, 'Delivery', 'by hand');
      await setMode(page, 'Timers', 'by hand');
      await page.evaluate(() => window.raftlab.advance(10));
      await page.getByRole('button', { name: /Fire S\d's timer \(heartbeat\)/ }).click();
      const wire = await onTheWire(page);
      assert.ok(wire.length >= 4, 'a heartbeat round waits');
      await clickHeld(page, wire[0].from, wire[0].to);
      await details(page).getByRole('button', { name: 'Deliver now', exact: true }).waitFor();
      await openSection(page, 'Legend');
      await frames(page);
      await axe(page, `${colorScheme}, a message selected, manual delivery and timers`);
      await page.screenshot({ path: path.join(SHOTS, `network-${colorScheme}.png`) });
      // A server selected: its explanation and the Fire timer button pass too.
      await page.getByRole('button', { name: /^Node 3\b/ }).click();
      const why = details(page).getByRole('group', { name: 'Why' });
      await why.waitFor();
      assert.match(await why.innerText(), /^Why: S3 \(follower, term 1\)/);
      assert.match(await why.innerText(), /S3 follows S\d in term 1/);
      assert.match(await why.innerText(), /Its election timer fires .* Timers are by hand: nothing fires until you fire it\./);
      await details(page).getByRole('button', { name: "Fire S3's timer", exact: true }).waitFor();
      if (colorScheme === 'light') {
        await details(page).scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(SHOTS, 'network-why-server.png') });
      }
      await axe(page, `${colorScheme}, a server selected, manual mode`);
    }, { contextOptions: { colorScheme } });
  }
});
