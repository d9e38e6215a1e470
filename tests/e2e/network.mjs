// Browser tests of messages you can hold and a hand-driven network: clicking a message in the
// picture selects it (Details shows its fields and the simulator's explanation), Drop and Deliver
// now by click (the trace shows them, the CLI replays the page's scenario to the same trace), a
// message clicked on its way in automatic delivery (paused) and dropped, the "Messages on the
// wire" buttons, the Delivery and Timers switches in the Network section, firing a server's timer
// by clicking it, electing a leader by delivering every vote by hand, the narrated refusals and
// hand actions, and axe-core (WCAG 2.1 A/AA) with a message selected and manual mode on, light and
// dark, also on a 390x844 phone. Screenshots go to target/screenshots/network-*.png.
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

/**
 * Where the canvas draws message `m` (from messages(), on its way: delivery automatic) at
 * simulated time `nowMs`, in client pixels: on its link, from just outside the sender's
 * circle to just outside the receiver's, 1.4 units to the link's side, the part of the way
 * its time in flight has covered (canvas.rs, scene).
 */
async function flyingPoint(page, m, nowMs) {
  const g = await geometry(page);
  const a = g.centre(m.from);
  const b = g.centre(m.to);
  const len = Math.hypot(b.x - a.x, b.y - a.y);
  const [ux, uy] = [(b.x - a.x) / len, (b.y - a.y) / len];
  const [ox, oy] = [-uy * 1.4, ux * 1.4];
  const [sx, sy] = [a.x + ux * GAP + ox, a.y + uy * GAP + oy];
  const [ex, ey] = [b.x - ux * GAP + ox, b.y - uy * GAP + oy];
  const p = Math.min(1, Math.max(0, (nowMs - m.sent_ms) / Math.max(0.001, m.arrives_ms - m.sent_ms)));
  return { x: g.pic.x + (sx + (ex - sx) * p) * g.unit, y: g.pic.y + (sy + (ey - sy) * p) * g.unit, p };
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

test('network: in automatic delivery, a message clicked on its way (paused) is selected; Details shows it with Drop and Deliver now; Drop loses it and is recorded', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const st = await withLeader(page);
    const leader = st.nodes.find((n) => n.role === 'leader');
    assert.ok(leader, 'a leader');
    // Paused, a millisecond at a time, until one of the leader's AppendEntries is about half
    // way along its link (not one the network will lose).
    const found = await page.evaluate((id) => {
      const r = window.raftlab;
      for (let k = 0; k < 200; k++) {
        const now = r.state().time_ms;
        const m = r.messages().find((m) => m.from === id && m.type === 'AppendEntries' && !m.lost && !m.held
          && (now - m.sent_ms) / (m.arrives_ms - m.sent_ms) > 0.35 && (now - m.sent_ms) / (m.arrives_ms - m.sent_ms) < 0.65);
        if (m) return { m, now, state: r.state() };
        r.advance(1);
      }
      return null;
    }, leader.id);
    assert.ok(found, 'an AppendEntries half way along its link');
    const { m, now } = found;
    assert.equal(found.state.delivery, 'auto');
    assert.equal(found.state.playing, false, 'paused: it stays put');
    await frames(page);
    const at = await flyingPoint(page, m, now);
    assert.ok(await drawnAt(page, at), `message ${m.id} is drawn at ${JSON.stringify(at)}`);
    // Under the pointer it is marked; a click selects it.
    await page.mouse.move(at.x, at.y);
    await eventually(() => page.locator('.cluster').evaluate((el) => el.hasAttribute('data-over-message')), { message: 'hovered' });
    await page.mouse.click(at.x, at.y);
    const box = details(page);
    await eventually(async () => (await box.innerText()).includes(`Message ${m.id}: AppendEntries from S${m.from} to S${m.to}`), { message: `Details shows message ${m.id}` });
    const text = await box.innerText();
    const arrives = text.match(/^arrives\s+at ([\d.]+) ms, in ([\d.]+) ms$/m);
    assert.ok(arrives, 'it arrives by itself, later');
    assert.ok(Math.abs(Number(arrives[1]) - m.arrives_ms) < 0.1 && Math.abs(Number(arrives[2]) - (m.arrives_ms - now)) < 0.2, `arrives at ${m.arrives_ms} ms: ${arrives[0]}`);
    assert.doesNotMatch(text, /waiting on the link/);
    assert.match(text, new RegExp(`Why: Message ${m.id}: AppendEntries from S${m.from} to S${m.to}`));
    const buttons = box.getByRole('group', { name: `Message ${m.id}`, exact: true });
    for (const name of ['Deliver now', 'Drop', 'Duplicate']) {
      assert.equal(await buttons.getByRole('button', { name, exact: true }).isVisible(), true, `${name} is shown`);
    }
    assert.ok(!(await events(page)).some((e) => e.kind === 'cut'), 'the click did not cut the link under the message');
    // Nothing moved: the click only selected it.
    assert.equal(await page.evaluate(() => window.raftlab.state().time_ms), now);
    assert.ok((await page.evaluate(() => window.raftlab.messages().map((x) => x.id))).includes(m.id));

    // Drop: gone from the wire, in the trace (reason manual), in the scenario, in Details.
    await buttons.getByRole('button', { name: 'Drop', exact: true }).click();
    const after = await page.evaluate(() => ({ wire: window.raftlab.messages().map((x) => x.id), scenario: window.raftlab.scenario(), state: window.raftlab.state() }));
    assert.ok(!after.wire.includes(m.id), `message ${m.id} is no longer on the wire: ${after.wire}`);
    assert.equal(after.state.time_ms, now);
    assert.deepEqual(after.scenario.events.filter((e) => e.do === 'drop_message'), [{ at_ms: now, do: 'drop_message', id: m.id }]);
    const drop = (await events(page)).find((e) => e.kind === 'drop' && e.msg.id === m.id);
    assert.equal(drop?.reason, 'manual', 'a drop with reason manual');
    assert.equal(drop.t_us, Math.round(now * 1000));
    await eventually(async () => new RegExp(`Message ${m.id} is lost: .* was dropped by you`).test(await box.innerText()), { message: 'Details: dropped' });
    // It never arrives, and the CLI replays the page's run.
    await page.evaluate(() => window.raftlab.advance(100));
    assert.ok(!(await events(page)).some((e) => e.kind === 'deliver' && e.msg.id === m.id), 'never delivered');
    const r = await page.evaluate(() => ({ trace: window.raftlab.trace(), scenario: window.raftlab.scenario() }));
    assertSameTrace(r.trace.split('\n').filter(Boolean), cliTrace(r.scenario), 'a message dropped on its way');
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

/** A leader, delivery and timers by hand, and its heartbeat round fired: the messages held. */
async function heldHeartbeatRound(page) {
  await withLeader(page);
  await setMode(page, 'Delivery', 'by hand');
  await setMode(page, 'Timers', 'by hand');
  await page.evaluate(() => window.raftlab.advance(10));
  await page.getByRole('button', { name: /Fire S\d's timer \(heartbeat\)/ }).click();
  const wire = await onTheWire(page);
  assert.ok(wire.length >= 4, 'a heartbeat round waits');
  return wire;
}

test('accessibility: no axe-core violation with a message selected and manual mode on, light and dark', { timeout: 120_000 }, async (t) => {
  for (const colorScheme of ['light', 'dark']) {
    await withPage(t, pageUrl(), async (page) => {
      const wire = await heldHeartbeatRound(page);
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

test('accessibility: no axe-core violation with a message selected on a phone (390x844), light and dark', { timeout: 120_000 }, async (t) => {
  for (const colorScheme of ['light', 'dark']) {
    await withPage(t, pageUrl(), async (page) => {
      const wire = await heldHeartbeatRound(page);
      // The sections' switches scrolled the page: the picture back in view to click in it.
      await page.getByRole('group', { name: /^Cluster of/ }).scrollIntoViewIfNeeded();
      await clickHeld(page, wire[0].from, wire[0].to);
      const box = details(page);
      await eventually(async () => (await box.innerText()).includes(`Message ${wire[0].id}: ${wire[0].type} from S${wire[0].from} to S${wire[0].to}`), { message: 'Details shows the message' });
      await box.getByRole('button', { name: 'Deliver now', exact: true }).waitFor();
      assert.equal(page.viewportSize().width, 390);
      await frames(page);
      await axe(page, `${colorScheme}, 390x844, a message selected, manual delivery and timers`);
      if (colorScheme === 'light') {
        await box.scrollIntoViewIfNeeded();
        await page.screenshot({ path: path.join(SHOTS, 'network-390x844.png') });
      }
    }, { contextOptions: { colorScheme, viewport: { width: 390, height: 844 } } });
  }
});
