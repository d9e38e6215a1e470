// Browser tests of the "why" and hold-the-network API: raftlab.explain(target),
// raftlab.messages(), drop(id) / deliver(id) / duplicate(id), fireTimer(id), state()'s delivery,
// timers and nodes[].timer_ms, configure({delivery, timers}), and the trace kinds vote_refused and
// fire_timer through on(kind); examples/figure8-by-hand.json loaded and seeked to its moment (c);
// Details' "Why" for a clicked log cell. Every run built here is replayed by the CLI
// (`raftlab run FILE --trace -`) and must give the page's trace. Run by
// `node --test tests/e2e/run.mjs` (which imports this file) or alone:
// `node --test tests/e2e/why.mjs`. Set-up in harness.mjs.
//
// The runs are built by hand, in manual mode (delivery and timers "manual"): each message is
// found at run time in messages() and delivered or dropped, each election starts with
// fireTimer, so no test depends on the message ids of a seed.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { eventually } from './browser.mjs';
import { CLI, LIMIT, ROOT, pageUrl, withPage, cliTrace, assertSameTrace } from './harness.mjs';

/** Installs `window.why`, the in-page helpers of these tests. */
function installHelpers(page) {
  return page.evaluate(() => {
    const r = window.raftlab;
    window.why = {
      /** A paused fresh run of `nodes` servers with the network and the timers in our hands. */
      manual(seed, nodes, extra = {}) {
        r.pause();
        r.reset(seed, nodes);
        r.pause();
        r.configure({ delivery: 'manual', timers: 'manual', ...extra });
      },
      /**
       * Delivers the messages `pick` chooses, and those their receivers send in reply that it
       * chooses, until it chooses none; then drops every other message if `dropRest`.
       * Returns the ids delivered.
       */
      pump(pick, { dropRest = false } = {}) {
        const done = [];
        for (let round = 0; round < 100; round++) {
          const chosen = r.messages().filter(pick);
          if (chosen.length === 0) break;
          for (const m of chosen) {
            r.deliver(m.id);
            done.push(m.id);
          }
        }
        if (dropRest) for (const m of r.messages()) r.drop(m.id);
        return done;
      },
      /** Delivers everything, replies included, until nothing is on the wire. */
      settle() {
        return window.why.pump(() => true);
      },
      /** `id` campaigns (fireTimer) and every message is delivered: it leads. */
      elect(id) {
        r.fireTimer(id);
        window.why.settle();
        const n = r.state().nodes[id - 1];
        if (n.role !== 'leader') throw new Error(`S${id} did not win: ${JSON.stringify(n)}`);
      },
      /** The trace so far, as objects. */
      events() {
        return r.trace().split('\n').filter(Boolean).map((l) => JSON.parse(l));
      },
      /** The message of `fn` as an `Error` gives it, or "no error". */
      error(fn) {
        try {
          fn();
          return 'no error';
        } catch (e) {
          return e instanceof Error ? e.message : `not an Error: ${String(e)}`;
        }
      },
    };
  });
}

const lines = (text) => text.split('\n').filter(Boolean);

/** Asserts that the CLI replays the page's run (its scenario()) to the page's trace. */
function assertReplays(run, what) {
  assertSameTrace(lines(run.trace), cliTrace(run.scenario), what);
}

test('explain: Figure 8 by hand: a majority-stored entry of an earlier term waits for one of the leader\'s term (5.4.2); a minority entry; a committed entry', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await installHelpers(page);
    const run = await page.evaluate(async () => {
      const r = window.raftlab;
      const why = window.why;
      const refused = [];
      const off = r.on('vote_refused', (e) => refused.push(e));
      why.manual(8, 5);
      // (a) S1 leads term 1 (its no-op on every server), then its entry 2 reaches S2 only.
      why.elect(1);
      r.clientWrite('x', '1', 1);
      why.pump((m) => (m.type === 'AppendEntries' && m.to === 2) || (m.type === 'AppendEntriesReply' && m.from === 2), { dropRest: true });
      // (b) S1 crashes; S5 wins term 2 with S3's and S4's votes (S2's log is ahead: it
      // refuses) and appends its no-op at index 2, which reaches nobody.
      r.crash(1);
      r.fireTimer(5);
      why.pump((m) => m.type === 'RequestVote' || m.type === 'RequestVoteReply', { dropRest: true });
      const s5 = r.state().nodes[4];
      // (c) S5 crashes, S1 comes back and wins term 3 (S1's term-2 campaign is lost: S3 and S4
      // voted for S5 in term 2). Its no-op (index 3) and its term-1 entry 2 reach S3 only.
      r.crash(5);
      r.restart(1);
      r.fireTimer(1);
      for (const m of r.messages()) r.drop(m.id);
      r.fireTimer(1);
      why.pump((m) => m.type === 'RequestVote' || m.type === 'RequestVoteReply');
      why.pump((m) => (m.type === 'AppendEntries' && m.to === 3) || (m.type === 'AppendEntriesReply' && m.from === 3), { dropRest: true });
      const atC = r.state();
      const entry2 = r.explain({ node: 1, index: 2 });
      const entry3 = r.explain({ node: 1, index: 3 });
      const s3 = r.explain({ node: 3, index: 2 });
      // (e) S1's heartbeat carries entry 3 to S2 and S4: a majority of term 3, which commits
      // entry 2 with it.
      r.fireTimer(1);
      why.settle();
      const atE = r.state();
      const committed = r.explain({ node: 1, index: 2 });
      const leader = r.explain({ node: 'leader' });
      await Promise.resolve();
      off();
      return { s5, atC, entry2, entry3, s3, atE, committed, leader, refused, trace: r.trace(), scenario: r.scenario() };
    });
    assert.equal(run.s5.role, 'leader', `S5 won term 2: ${JSON.stringify(run.s5)}`);
    assert.equal(run.s5.term, 2);
    // At (c): entry 2 (term 1) is on S1, S2 and S3, entry 3 (term 3) on S1 and S3; nothing
    // past the first no-op is committed.
    const s1 = run.atC.nodes[0];
    assert.equal(s1.role, 'leader');
    assert.equal(s1.term, 3);
    assert.deepEqual(s1.log.map((e) => e.term), [1, 1, 3]);
    // (S1's commit index restarted from 0 with it: it is volatile, Figure 2.)
    assert.equal(s1.commit_index, 0, 'entry 2 is not committed although a majority stores it');
    assert.deepEqual(run.atC.nodes.map((n) => n.log.map((e) => e.term).join(',')), ['1,1,3', '1,1', '1,1,3', '1', '1,2']);
    // explain() for entry 2: a majority stores it, not committed, and why: 5.4.2.
    assert.equal(run.entry2.title, "S1's entry 2 (term 1, set x=1)");
    assert.equal(run.entry2.text, run.entry2.lines.join(' '));
    assert.match(run.entry2.text, /S1, S2, S3 store it: 3 of 5, a majority\./);
    assert.match(run.entry2.text, /It is not committed on S1 \(its commit index is 0\)\./);
    assert.match(run.entry2.text, /the leader S1 is in term 3: a leader commits by counting replicas only entries of its own term, so it waits for an entry of term 3 to be committed/);
    assert.match(run.entry2.text, /section 5\.4\.2, Figure 8/);
    // The same entry seen from S3, which does not lead.
    assert.match(run.s3.text, /S1, S2, S3 store it: 3 of 5, a majority\./);
    assert.match(run.s3.text, /5\.4\.2/);
    // Entry 3 is on a minority.
    assert.equal(run.entry3.title, "S1's entry 3 (term 3, noop)");
    assert.match(run.entry3.text, /Only S1, S3 store it: 2 of 5; a majority needs 3, so 1 more \(section 5\.3\)\./);
    assert.match(run.entry3.text, /not committed on S1/);
    assert.doesNotMatch(run.entry3.text, /a majority\./);
    // At (e): entry 3 reached a majority; entries 2 and 3 are committed.
    assert.equal(run.atE.nodes[0].commit_index, 3);
    assert.match(run.committed.text, /S1, S2, S3, S4 store it: 4 of 5, a majority\./);
    assert.match(run.committed.text, /It is committed on S1 \(its commit index is 3\): no later leader can lack it \(section 5\.4\)\./);
    assert.doesNotMatch(run.committed.text, /5\.4\.2/);
    assert.match(run.leader.title, /^S1 \(leader, term 3\)$/);
    // S2 refused S5's vote in term 2: its log was ahead (same last term, longer).
    const behind = run.refused.find((e) => e.node === 2 && e.candidate === 5);
    assert.deepEqual(behind, {
      t_us: 0, kind: 'vote_refused', node: 2, candidate: 5, term: 2, reason: 'log_behind', pre_vote: false,
      candidate_last_term: 1, candidate_last_index: 1, voter_last_term: 1, voter_last_index: 2,
    });
    // The CLI replays the whole hand-made run.
    assert.ok(run.scenario.events.some((e) => e.do === 'deliver_message'));
    assert.ok(run.scenario.events.some((e) => e.do === 'drop_message'));
    assert.ok(run.scenario.events.some((e) => e.do === 'fire_timer'));
    assertReplays(run, 'Figure 8 by hand');
  });
});

test('explain: each vote refusal reason in the voter\'s explanation and as vote_refused lines', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await installHelpers(page);
    const run = await page.evaluate(async () => {
      const r = window.raftlab;
      const why = window.why;
      const out = {};
      const refusals = [];
      const off = r.on('vote_refused', (e) => refusals.push(e));
      /** Runs `build`, then returns what S`voter` says and the vote_refused lines it caused. */
      async function refusal(name, voter, build) {
        build();
        await Promise.resolve();
        out[name] = { explain: r.explain({ node: voter }), events: refusals.splice(0), trace: r.trace(), scenario: r.scenario() };
      }
      const rv = (from, to, term) => r.messages().find((m) => m.type === 'RequestVote' && m.from === from && m.to === to && (term === undefined || m.term === term));

      // stale_term: S3 takes up term 2 from S2, then S1's request for term 1 arrives.
      await refusal('stale_term', 3, () => {
        why.manual(11, 5);
        r.fireTimer(1);
        r.fireTimer(2);
        r.fireTimer(2); // a second election of S2: term 2
        r.deliver(rv(2, 3, 2).id);
        r.deliver(rv(1, 3, 1).id);
      });
      // already_voted: S1 and S2 both campaign in term 1; S3 hears S1 first.
      await refusal('already_voted', 3, () => {
        why.manual(12, 5);
        r.fireTimer(1);
        r.fireTimer(2);
        r.deliver(rv(1, 3).id);
        r.deliver(rv(2, 3).id);
      });
      // log_behind: S2 holds entry 2 that S3 lacks; S1 crashes, S3 campaigns.
      await refusal('log_behind', 2, () => {
        why.manual(13, 5);
        why.elect(1);
        r.clientWrite('x', '1', 1);
        why.pump((m) => (m.type === 'AppendEntries' && m.to === 2), { dropRest: true });
        r.crash(1);
        r.fireTimer(3);
        r.deliver(rv(3, 2).id);
      });
      // leader_alive: with CheckQuorum, S3 has just heard from its leader S1 and ignores S2.
      await refusal('leader_alive', 3, () => {
        why.manual(14, 5, { check_quorum: true });
        // Past the quiet time after the start (a server that has just started ignores vote
        // requests for the shortest election timeout under CheckQuorum, too).
        r.advance(200);
        why.elect(1);
        r.fireTimer(2);
        r.deliver(rv(2, 3).id);
      });
      out.leaderAliveReplies = r.messages().filter((m) => m.type === 'RequestVoteReply' && m.from === 3);
      off();
      return out;
    });

    const only = (name) => {
      const events = run[name].events;
      assert.equal(events.length, 1, `${name}: one vote_refused line (got ${JSON.stringify(events)})`);
      assert.equal(events[0].reason, name);
      assert.equal(events[0].kind, 'vote_refused');
      assert.equal(events[0].pre_vote, false);
      // The listener got exactly the trace's line.
      assert.ok(lines(run[name].trace).map((l) => JSON.parse(l)).some((e) => JSON.stringify(e) === JSON.stringify(events[0])), `${name}: the event is a trace line`);
      assertReplays(run[name], name);
      return events[0];
    };

    let e = only('stale_term');
    assert.deepEqual({ node: e.node, candidate: e.candidate, term: e.term, voter_term: e.voter_term }, { node: 3, candidate: 1, term: 1, voter_term: 2 });
    assert.match(run.stale_term.explain.text, /At 0 s it refused S1's vote request for term 1: S1's term 1 is lower than its term 2 \(section 5\.1\)\./);

    e = only('already_voted');
    assert.deepEqual({ node: e.node, candidate: e.candidate, term: e.term, voted_for: e.voted_for }, { node: 3, candidate: 2, term: 1, voted_for: 1 });
    assert.match(run.already_voted.explain.text, /it refused S2's vote request for term 1: already voted for S1 in term 1 \(section 5\.2\)\./);

    e = only('log_behind');
    assert.deepEqual(
      { node: e.node, candidate: e.candidate, term: e.term, c: [e.candidate_last_term, e.candidate_last_index], v: [e.voter_last_term, e.voter_last_index] },
      { node: 2, candidate: 3, term: 2, c: [1, 1], v: [1, 2] },
    );
    assert.match(run.log_behind.explain.text, /it refused S3's vote request for term 2: S3's log is behind \(same last term 1, but last index 1 < 2, section 5\.4\.1\)\./);

    e = only('leader_alive');
    assert.deepEqual({ node: e.node, candidate: e.candidate, term: e.term, leader: e.leader }, { node: 3, candidate: 2, term: 2, leader: 1 });
    assert.match(run.leader_alive.explain.text, /it ignored \(no reply\) S2's vote request for term 2: it heard from its leader S1 less than an election timeout ago \(thesis 4\.2\.3\)\./);
    assert.deepEqual(run.leaderAliveReplies, [], 'a RequestVote ignored under CheckQuorum gets no reply');

  });
});

// not_a_voter (thesis 4.1, 4.2.3): a server outside the configuration asks for votes.
test('explain: a removed server\'s vote request is refused as not_a_voter', LIMIT, async (t) => {
  assert.ok(readFileSync(path.join(ROOT, 'docs/trace-format.md'), 'utf8').includes('`not_a_voter`'), 'docs/trace-format.md documents not_a_voter');
  await withPage(t, pageUrl(), async (page) => {
    await installHelpers(page);
    const run = await page.evaluate(async () => {
      const r = window.raftlab;
      const why = window.why;
      const events = [];
      const off = r.on('vote_refused', (e) => events.push(e));
      // S1 leads 3 servers and removes S3; the entry reaches S2, never S3. S3 campaigns.
      why.manual(15, 3);
      r.advance(10);
      why.elect(1);
      r.removeServer(3);
      why.pump((m) => (m.type === 'AppendEntries' && m.to === 2) || (m.type === 'AppendEntriesReply' && m.from === 2), { dropRest: true });
      const config = r.state().nodes.map((n) => n.config_index);
      r.fireTimer(3);
      r.deliver(r.messages().find((m) => m.type === 'RequestVote' && m.from === 3 && m.to === 2).id);
      await Promise.resolve();
      off();
      return { events, config, explain: r.explain({ node: 2 }), trace: r.trace(), scenario: r.scenario() };
    });
    assert.ok(run.config[1] > 0 && run.config[2] === 0, `S2 stores the new configuration, S3 does not: ${run.config}`);
    assert.equal(run.events.length, 1, JSON.stringify(run.events));
    const e = run.events[0];
    assert.deepEqual(
      { node: e.node, candidate: e.candidate, reason: e.reason, pre_vote: e.pre_vote, voters: e.voters, config_index: e.config_index },
      { node: 2, candidate: 3, reason: 'not_a_voter', pre_vote: false, voters: [1, 2], config_index: run.config[1] },
    );
    assert.match(run.explain.text, /S3 is not a voter in S2's configuration \(voters S1, S2\), so S2 does not vote for it \(thesis 4\.1\)/);
    assertReplays(run, 'not_a_voter');
  });
});

test('explain: bad targets throw clear errors and change nothing; the target is read in the moment shown', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await installHelpers(page);
    const run = await page.evaluate(() => {
      const r = window.raftlab;
      const why = window.why;
      why.manual(3, 5);
      r.advance(10);
      why.elect(2);
      r.clientWrite('k', 'v', 2);
      const before = { trace: r.trace(), scenario: JSON.stringify(r.scenario()), time: r.state().time_ms };
      const wire = r.messages();
      const errors = {};
      for (const [name, target] of Object.entries({
        'explain()': undefined,
        'explain(null)': null,
        'explain(2)': 2,
        "explain('S2')": 'S2',
        'explain([2])': [2],
        'explain({})': {},
        'explain({colour: 1})': { colour: 1 },
        'explain({node: 9})': { node: 9 },
        'explain({node: 0})': { node: 0 },
        'explain({node: 1.5})': { node: 1.5 },
        "explain({node: '2'})": { node: '2' },
        'explain({node: 2, index: 7})': { node: 2, index: 7 },
        'explain({node: 2, index: 0})': { node: 2, index: 0 },
        "explain({node: 2, index: 'last'})": { node: 2, index: 'last' },
        'explain({node: 9, index: 1})': { node: 9, index: 1 },
        'explain({index: 1})': { index: 1 },
        'explain({message: 9999})': { message: 9999 },
        'explain({message: -1})': { message: -1 },
        'explain({node: 1, message: 1})': { node: 1, message: 1 },
      })) {
        errors[name] = why.error(() => r.explain(target));
      }
      const after = { trace: r.trace(), scenario: JSON.stringify(r.scenario()), time: r.state().time_ms };
      const message = r.explain({ message: wire[0].id });
      const server = r.explain({ node: 'leader' });
      const entry = r.explain({ node: 2, index: 2 });
      // In the past, explain() speaks of that moment: nobody led at 5 ms, before the election.
      r.advance(10);
      r.seek(5);
      const past = { leader: why.error(() => r.explain({ node: 'leader' })), s2: r.explain({ node: 2 }) };
      return { before, after, errors, wire, message, server, entry, past };
    });
    assert.deepEqual(run.after, run.before, 'a bad target changes nothing');
    const shapes = '{node: 2} (a server), {node: 2, index: 3} (an entry of its log) or {message: 17} (a message on the wire)';
    assert.deepEqual(run.errors, {
      'explain()': `raftlab.explain(target): expected an object such as ${shapes}, got nothing`,
      'explain(null)': `raftlab.explain(target): expected an object such as ${shapes}, got null`,
      'explain(2)': `raftlab.explain(target): expected an object such as ${shapes}, got 2`,
      "explain('S2')": `raftlab.explain(target): expected an object such as ${shapes}, got the string "S2"`,
      'explain([2])': `raftlab.explain(target): expected an object such as ${shapes}, got [2]`,
      'explain({})': `raftlab.explain(target): expected an object such as ${shapes}, got {}`,
      'explain({colour: 1})': 'raftlab.explain.colour: unknown field; expected node (with index, for an entry) or message',
      'explain({node: 9})': 'raftlab.explain.node: no server 9 (the cluster has 5)',
      'explain({node: 0})': 'raftlab.explain.node: no server 0 (the cluster has 5)',
      'explain({node: 1.5})': 'raftlab.explain.node: expected a server number (1 to 5) or "leader", got 1.5',
      "explain({node: '2'})": 'raftlab.explain.node: expected a server number (1 to 5) or "leader", got the string "2"',
      'explain({node: 2, index: 7})': 'raftlab.explain.index: S2 has no entry 7 (its log ends at 2)',
      'explain({node: 2, index: 0})': 'raftlab.explain.index: S2 has no entry 0 (entries are numbered from 1)',
      "explain({node: 2, index: 'last'})": 'raftlab.explain.index: expected a log index (a whole number from 1), got the string "last"',
      'explain({node: 9, index: 1})': 'raftlab.explain.node: no server 9 (the cluster has 5)',
      'explain({index: 1})': 'raftlab.explain.node: missing: an entry is named by its server and its index, such as {node: 2, index: 3}',
      'explain({message: 9999})': 'raftlab.explain.message: no message 9999 is on the wire (it was delivered or dropped, or never sent)',
      'explain({message: -1})': 'raftlab.explain.message: expected a message id (a whole number, as in messages()), got -1',
      'explain({node: 1, message: 1})': 'raftlab.explain(target): give either node (with index, for an entry) or message, not both',
    });
    // Good targets.
    const m = run.wire[0];
    assert.equal(run.message.title, `Message ${m.id}: ${m.type} from S${m.from} to S${m.to}`);
    assert.ok(run.message.lines.length >= 3, JSON.stringify(run.message));
    assert.equal(run.message.text, run.message.lines.join(' '));
    assert.match(run.message.text, /A prediction of what S\d would do if the message arrived now/);
    assert.match(run.server.title, /^S2 \(leader, term 1\)$/);
    assert.match(run.server.text, /^S2 leads term 1 with the votes of /);
    assert.equal(run.entry.title, "S2's entry 2 (term 1, set k=v)");
    assert.match(run.entry.text, /^S2 created it as leader of term 1, for client request \d+ \(set k=v\)\./);
    assert.equal(run.past.leader, 'raftlab.explain.node: no server leads now, so "leader" names none');
    assert.match(run.past.s2.title, /^S2 \(follower, term 0\)$/);
  });
});

test('messages(): the trace\'s msg fields plus where the message is; drop, deliver, duplicate and fireTimer act now, are recorded, and replay in the CLI', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await installHelpers(page);
    const run = await page.evaluate(() => {
      const r = window.raftlab;
      const why = window.why;
      r.pause();
      r.reset(21, 5);
      r.pause();
      r.advance(1000);
      const leader = r.state().nodes.find((n) => n.role === 'leader').id;
      r.clientWrite('x', '1');
      // Just after the write, its AppendEntries are on their way (delivery is "auto").
      const wire = r.messages();
      const sends = why.events().filter((e) => e.kind === 'send' || e.kind === 'duplicate');
      const appends = wire.filter((m) => m.type === 'AppendEntries' && m.entries.length > 0);
      const [a, b, c] = appends;
      r.drop(a.id);
      r.deliver(b.id);
      r.duplicate(c.id);
      const afterActs = { wire: r.messages(), events: why.events(), time: r.state().time_ms };
      r.fireTimer('leader');
      const afterFire = why.events();
      // An id that is not on the wire throws; nothing changes.
      const before = { trace: r.trace(), scenario: JSON.stringify(r.scenario()) };
      const errors = {};
      for (const [name, fn] of Object.entries({
        [`drop(${a.id})`]: () => r.drop(a.id),
        [`deliver(${b.id})`]: () => r.deliver(b.id),
        'duplicate(123456)': () => r.duplicate(123456),
        'drop(1.5)': () => r.drop(1.5),
        'deliver(-1)': () => r.deliver(-1),
        "duplicate('3')": () => r.duplicate('3'),
        'drop()': () => r.drop(),
        'deliver(null)': () => r.deliver(null),
        'fireTimer()': () => r.fireTimer(),
        'fireTimer(6)': () => r.fireTimer(6),
        'fireTimer(0)': () => r.fireTimer(0),
        "fireTimer('S1')": () => r.fireTimer('S1'),
      })) {
        errors[name] = why.error(fn);
      }
      const after = { trace: r.trace(), scenario: JSON.stringify(r.scenario()) };
      r.advance(500);
      return { leader, wire, sends, a, b, c, afterActs, afterFire, errors, before, after, trace: r.trace(), scenario: r.scenario(), state: r.state() };
    });
    // Every message on the wire is the trace's msg object of its send, plus where it is.
    assert.ok(run.wire.length >= 4, `messages on the wire after the write: ${JSON.stringify(run.wire)}`);
    const ids = run.wire.map((m) => m.id);
    assert.deepEqual(ids, [...ids].sort((x, y) => x - y), 'messages() is in id order');
    for (const m of run.wire) {
      const sent = run.sends.find((e) => e.msg.id === m.id);
      assert.ok(sent, `message ${m.id} was sent`);
      const { sent_ms, arrives_ms, held, lost, copy_of, ...msg } = m;
      assert.deepEqual(msg, sent.msg, `message ${m.id}: the trace's msg fields, and only those`);
      assert.deepEqual(Object.keys(msg), Object.keys(sent.msg), `message ${m.id}: in the trace's order`);
      assert.equal(sent_ms, sent.t_us / 1000);
      assert.equal(arrives_ms, sent.deliver_at_us / 1000);
      assert.equal(held, false);
      assert.equal(typeof lost, 'boolean');
      assert.equal(copy_of, sent.kind === 'duplicate' ? sent.of : null);
    }
    assert.ok(run.c, 'three AppendEntries carrying the write');
    assert.deepEqual(Object.keys(run.a).slice(0, 5), ['id', 'type', 'from', 'to', 'term']);
    for (const k of ['prev_log_index', 'prev_log_term', 'entries', 'leader_commit']) assert.ok(k in run.a, `AppendEntries has ${k}`);
    assert.deepEqual(run.a.entries.at(-1), { term: run.a.term, command: 'set x=1' });
    // drop: a drop line with reason manual, at once; deliver: a deliver line now; duplicate: a
    // copy with the next id.
    const now = run.afterActs.time * 1000;
    const ev = run.afterActs.events.filter((e) => e.t_us === now);
    assert.ok(ev.some((e) => e.kind === 'drop' && e.msg.id === run.a.id && e.reason === 'manual'), 'drop(id) traces a manual drop');
    assert.ok(ev.some((e) => e.kind === 'deliver' && e.msg.id === run.b.id), 'deliver(id) delivers now');
    const dup = ev.find((e) => e.kind === 'duplicate' && e.of === run.c.id);
    assert.ok(dup, 'duplicate(id) traces a duplicate');
    const wireIds = run.afterActs.wire.map((m) => m.id);
    assert.ok(!wireIds.includes(run.a.id) && !wireIds.includes(run.b.id), 'the dropped and delivered messages left the wire');
    assert.ok(wireIds.includes(run.c.id), 'the original of the copy is still on the wire');
    const copy = run.afterActs.wire.find((m) => m.id === dup.msg.id);
    assert.equal(copy.copy_of, run.c.id);
    assert.equal(copy.sent_ms, run.afterActs.time);
    // fireTimer on the leader: a fire_timer line, then its heartbeats.
    const fired = run.afterFire.slice(run.afterActs.events.length);
    assert.deepEqual(fired[0], { t_us: now, kind: 'fire_timer', node: run.leader });
    assert.ok(fired.some((e) => e.kind === 'send' && e.msg.type === 'AppendEntries' && e.msg.from === run.leader), 'the leader sent AppendEntries');
    // Errors, and nothing changed.
    assert.deepEqual(run.errors, {
      [`drop(${run.a.id})`]: `raftlab.drop.id: no message ${run.a.id} is on the wire; messages() lists those that are`,
      [`deliver(${run.b.id})`]: `raftlab.deliver.id: no message ${run.b.id} is on the wire; messages() lists those that are`,
      'duplicate(123456)': 'raftlab.duplicate.id: no message 123456 is on the wire; messages() lists those that are',
      'drop(1.5)': 'raftlab.drop.id: expected a message id (a whole number, as in messages()), got 1.5',
      'deliver(-1)': 'raftlab.deliver.id: expected a message id (a whole number, as in messages()), got -1',
      "duplicate('3')": 'raftlab.duplicate.id: expected a message id (a whole number, as in messages()), got the string "3"',
      'drop()': 'raftlab.drop(id): give the id of a message on the wire (messages() lists them)',
      'deliver(null)': 'raftlab.deliver(id): give the id of a message on the wire (messages() lists them)',
      'fireTimer()': 'raftlab.fireTimer(id): give a node number or "leader"',
      'fireTimer(6)': 'raftlab.fireTimer.node: node 6 does not exist; the cluster has nodes 1 to 5',
      'fireTimer(0)': 'raftlab.fireTimer.node: node 0 does not exist; the cluster has nodes 1 to 5',
      "fireTimer('S1')": 'raftlab.fireTimer.node: expected a node number from 1 to 5 or "leader", found the string "S1"',
    });
    assert.deepEqual(run.after, run.before, 'nothing changed when an action threw');
    // Recorded as the scenario's actions, and replayed exactly by the CLI.
    const acts = run.scenario.events.map(({ at_ms, ...e }) => e);
    assert.deepEqual(acts, [
      { do: 'client_write', key: 'x', value: '1' },
      { do: 'drop_message', id: run.a.id },
      { do: 'deliver_message', id: run.b.id },
      { do: 'duplicate_message', id: run.c.id },
      { do: 'fire_timer', node: 'leader' },
    ]);
    assert.ok(run.scenario.events.every((e) => e.at_ms === 1000));
    assert.equal(run.state.nodes.find((n) => n.id === run.leader).kv.x, '1', 'the write was committed anyway');
    assertReplays(run, 'message actions');
  });
});

test('messages(): acting on a message in the past forks the run; the link carries the message actions', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await installHelpers(page);
    const run = await page.evaluate(() => {
      const r = window.raftlab;
      const why = window.why;
      why.manual(5, 3);
      r.advance(100);
      r.fireTimer(1);
      r.advance(100); // 200 ms: S1's RequestVotes, sent at 100 ms, are held
      const held = r.messages();
      why.settle(); // S1 leads
      r.advance(300);
      const end = r.state().end_ms;
      r.seek(150);
      const past = r.messages();
      r.drop(past[0].id);
      const forked = { state: r.state(), scenario: r.scenario() };
      const link = r.link();
      r.advance(50);
      return { held, end, past, forked, link, trace: r.trace(), scenario: r.scenario() };
    });
    assert.deepEqual(run.held.map((m) => [m.type, m.from, m.held, m.lost, m.sent_ms]), [['RequestVote', 1, true, false, 100], ['RequestVote', 1, true, false, 100]]);
    for (const m of run.held) assert.ok(m.arrives_ms > m.sent_ms, 'a held message keeps the time it would have arrived');
    assert.equal(run.end, 500);
    assert.deepEqual(run.past, run.held, 'seek(150) shows the messages on the wire then');
    assert.equal(run.forked.state.end_ms, 150, 'acting in the past forks the run');
    assert.equal(run.forked.scenario.events.at(-1).do, 'drop_message');
    assert.equal(run.forked.scenario.events.filter((e) => e.do === 'deliver_message').length, 0, 'the recorded future was dropped');
    assertReplays(run, 'forked run');
    // The link carries the actions: opening it gives the same run.
    const reopened = await page.evaluate((link) => {
      const r = window.raftlab;
      r.reset(1, 5);
      r.openLink(link);
      return { scenario: r.scenario(), state: r.state() };
    }, run.link);
    assert.deepEqual(reopened.scenario.events, run.forked.scenario.events);
    assert.equal(reopened.state.delivery, 'manual');
    assert.equal(reopened.state.timers, 'manual');
  });
});

test('the manual network through the API: configure({delivery, timers}) at time 0, nothing moves; fireTimer(2) and delivering by hand elect exactly one leader', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await installHelpers(page);
    const run = await page.evaluate(() => {
      const r = window.raftlab;
      const why = window.why;
      r.pause();
      r.reset(9, 5);
      r.pause();
      const auto = r.state();
      r.configure({ delivery: 'manual', timers: 'manual' });
      r.advance(2000);
      const still = { state: r.state(), events: why.events(), wire: r.messages() };
      r.fireTimer(2);
      const votes = r.messages();
      for (const m of votes) r.deliver(m.id);
      const replies = r.messages();
      for (const m of replies) r.deliver(m.id);
      const elected = r.state();
      const heartbeats = r.messages();
      r.advance(1000); // nothing arrives, nothing fires
      const later = { state: r.state(), wire: r.messages() };
      const bad = {
        delivery: why.error(() => r.configure({ delivery: 'sometimes' })),
        timers: why.error(() => r.configure({ timers: true })),
      };
      r.configure({ delivery: 'auto', timers: 'auto' });
      const back = r.state();
      r.advance(1000);
      return { auto, still, votes, replies, elected, heartbeats, later, bad, back, final: r.state(), trace: r.trace(), scenario: r.scenario() };
    });
    assert.equal(run.auto.delivery, 'auto');
    assert.equal(run.auto.timers, 'auto');
    for (const n of run.auto.nodes) assert.equal(typeof n.timer_ms, 'number', `S${n.id} has a timer`);
    // Two seconds later: no timer fired, nothing was sent or delivered, nobody leads.
    const st = run.still.state;
    assert.equal(st.delivery, 'manual');
    assert.equal(st.timers, 'manual');
    assert.equal(st.time_ms, 2000);
    assert.ok(st.nodes.every((n) => n.role === 'follower' && n.term === 0), JSON.stringify(st.nodes.map((n) => [n.role, n.term])));
    for (const n of st.nodes) assert.ok(n.timer_ms < 2000, `S${n.id}'s deadline passed without firing (${n.timer_ms})`);
    assert.deepEqual(run.still.events.map((e) => e.kind), ['set'], 'nothing but the set line');
    assert.deepEqual(run.still.wire, []);
    // fireTimer(2): S2's four RequestVotes, held.
    assert.deepEqual(run.votes.map((m) => [m.type, m.from, m.to, m.term, m.held]), [1, 3, 4, 5].map((to) => ['RequestVote', 2, to, 1, true]));
    assert.ok(run.votes.every((m) => m.sent_ms === 2000 && m.arrives_ms > 2000 && m.copy_of === null && m.last_log_index === 0));
    assert.deepEqual(run.replies.map((m) => [m.type, m.from, m.to, m.granted]), [1, 3, 4, 5].map((f) => ['RequestVoteReply', f, 2, true]));
    // Exactly one leader: S2.
    const leaders = run.elected.nodes.filter((n) => n.role === 'leader');
    assert.deepEqual(leaders.map((n) => [n.id, n.term]), [[2, 1]]);
    assert.equal(run.elected.nodes[1].timer_ms, 2050, "the leader's next timer is its heartbeat, 50 ms on");
    assert.ok(run.heartbeats.length === 4 && run.heartbeats.every((m) => m.type === 'AppendEntries' && m.held));
    // A second later, still held: the followers never heard from S2.
    assert.deepEqual(run.later.wire.map((m) => m.id), run.heartbeats.map((m) => m.id));
    assert.equal(run.later.state.nodes.filter((n) => n.role === 'leader').length, 1);
    assert.equal(run.later.state.nodes[0].commit_index, 0);
    assert.equal(run.bad.delivery, 'raftlab.configure.delivery: expected "auto" or "manual", found the string "sometimes"');
    assert.equal(run.bad.timers, 'raftlab.configure.timers: expected "auto" or "manual", found the boolean true');
    // Back to auto: the held messages go, the timers run; one leader, everyone caught up.
    assert.equal(run.back.delivery, 'auto');
    assert.equal(run.back.timers, 'auto');
    const final = run.final.nodes;
    assert.equal(final.filter((n) => n.role === 'leader').length, 1);
    assert.ok(final.every((n) => n.commit_index >= 1), JSON.stringify(final.map((n) => n.commit_index)));
    // The scenario says all of it, and replays.
    assert.deepEqual(run.scenario.events.slice(0, 2), [
      { at_ms: 0, do: 'set', delivery: 'manual', timers: 'manual' },
      { at_ms: 2000, do: 'fire_timer', node: 2 },
    ]);
    assertReplays(run, 'manual network');
  });
});

/** The hand-driven Figure 8 example, as JSON text. */
const FIGURE8 = () => readFileSync(path.join(ROOT, 'examples/figure8-by-hand.json'), 'utf8');

/**
 * Moment (c) of examples/figure8-by-hand.json (crates/sim/tests/manual.rs, MOMENT_C_US): at
 * 810 ms S4's reply that it stores x=1 (message 74) has just reached S1, leader of term 4, so
 * S1 knows that x=1 (term 2, index 3) is on a majority; S2 has it too.
 */
const MOMENT_C_MS = 810;

/**
 * Runs the CLI on `scenario` (an object): `raftlab run FILE --trace -` (its exit code, every
 * trace line, final lines included, and the summary on stderr) and `raftlab explain --at MS
 * --node N --index I --json FILE`.
 */
function cliVerdict(scenario, { at, node, index }) {
  const dir = mkdtempSync(path.join(tmpdir(), 'raftlab-e2e-'));
  const file = path.join(dir, 'scenario.json');
  try {
    writeFileSync(file, JSON.stringify(scenario, null, 2));
    const run = spawnSync(CLI, ['run', file, '--trace', '-'], { maxBuffer: 1 << 30 });
    const why = spawnSync(CLI, ['explain', '--at', String(at), '--node', String(node), '--index', String(index), '--json', file]);
    assert.equal(why.status, 0, `raftlab explain exited ${why.status}: ${why.stderr}`);
    return {
      status: run.status,
      lines: lines(run.stdout.toString()),
      summary: run.stderr.toString(),
      explain: JSON.parse(why.stdout.toString()),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

test('explain: examples/figure8-by-hand.json, loaded and seeked to 810 ms: x=1 (term 2, index 3) is on a majority and not committed (5.4.2, Figure 8); the CLI gives the same verdict', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    const run = await page.evaluate(([text, at]) => {
      const r = window.raftlab;
      r.pause();
      r.load(text);
      // To the end of the example, then back to moment (c).
      r.advance(JSON.parse(text).until_ms);
      const end = r.state();
      r.seek(at);
      return {
        end,
        at: r.state(),
        s1: r.explain({ node: 1, index: 3 }),
        s4: r.explain({ node: 4, index: 3 }),
        trace: r.trace(),
        scenario: r.scenario(),
      };
    }, [FIGURE8(), MOMENT_C_MS]);
    // The end of the run, for contrast: S5 leads term 5 and x=1 is gone from every log.
    assert.equal(run.end.time_ms, 1500);
    assert.deepEqual(run.end.nodes.filter((n) => n.role === 'leader' && n.alive).map((n) => [n.id, n.term]), [[5, 5]]);
    assert.ok(run.end.nodes.slice(1).every((n) => !n.log.some((e) => e.command === 'set x=1')), 'x=1 was overwritten by the end');
    // At 810 ms: S1 leads term 4; x=1 (term 2) is entry 3 of S1, S2, S3 and S4, a majority of
    // 5; S5 (down) does not have it; no server has committed it.
    const st = run.at;
    assert.equal(st.time_ms, MOMENT_C_MS);
    assert.equal(st.end_ms, 1500);
    assert.deepEqual([st.nodes[0].role, st.nodes[0].term, st.nodes[0].alive], ['leader', 4, true]);
    const holders = st.nodes.filter((n) => n.log[2]?.term === 2 && n.log[2]?.command === 'set x=1').map((n) => n.id);
    assert.deepEqual(holders, [1, 2, 3, 4], 'x=1 (term 2) is entry 3 on S1 to S4');
    assert.ok(holders.length >= Math.floor(st.voters.length / 2) + 1, 'a majority of the voters');
    assert.deepEqual(st.nodes[0].log.map((e) => e.term), [1, 2, 2, 4], "S1's log: its term-4 no-op after x=1");
    assert.equal(st.nodes[4].alive, false);
    assert.deepEqual(st.nodes.map((n) => n.commit_index), [0, 1, 1, 1, 0], 'nobody has committed entry 3');
    assert.ok(st.nodes.every((n) => !('x' in n.kv)), 'nobody applied x=1');
    // Why, from S1 (the leader) and S4 (a follower): 5.4.2, Figure 8.
    assert.equal(run.s1.title, "S1's entry 3 (term 2, set x=1)");
    assert.equal(run.s1.text, run.s1.lines.join(' '));
    assert.match(run.s1.text, /S1, S2, S3, S4 store it: 4 of 5, a majority\./);
    assert.match(run.s1.text, /It is not committed on S1 \(its commit index is 0\)\./);
    assert.match(run.s1.text, /It comes from term 2, and the leader S1 is in term 4: a leader commits by counting replicas only entries of its own term, so it waits for an entry of term 4 to be committed, which commits it too \(section 5\.4\.2, Figure 8\)\./);
    assert.match(run.s4.text, /S1, S2, S3, S4 store it: 4 of 5, a majority\./);
    assert.match(run.s4.text, /section 5\.4\.2, Figure 8/);
    // The page's run as a scenario: the example's settings and its actions up to now.
    const example = JSON.parse(FIGURE8());
    assert.equal(run.scenario.until_ms, MOMENT_C_MS);
    assert.deepEqual([run.scenario.seed, run.scenario.nodes], [example.seed, example.nodes]);
    assert.deepEqual(run.scenario.events, example.events.filter((e) => e.at_ms <= MOMENT_C_MS), 'the scenario keeps the example\'s actions up to 810 ms');
    // The CLI replays it to the same trace and the same state at 810 ms, with no violation,
    // and explains entry 3 in the same words.
    const cli = cliVerdict(run.scenario, { at: MOMENT_C_MS, node: 1, index: 3 });
    assert.equal(cli.status, 0, `raftlab run exits 0 (no violation): ${cli.summary}`);
    assert.match(cli.summary, /safety: no violation/);
    const events = cli.lines.map((l) => JSON.parse(l));
    assertSameTrace(lines(run.trace), cli.lines.filter((l, i) => events[i].kind !== 'final'), 'Figure 8 by hand, to 810 ms');
    const finals = events.filter((e) => e.kind === 'final');
    assert.deepEqual(
      finals.map((e) => ({ id: e.node, role: e.role, term: e.term, alive: e.alive, commit_index: e.commit_index, log: e.log })),
      st.nodes.map((n) => ({ id: n.id, role: n.role, term: n.term, alive: n.alive, commit_index: n.commit_index, log: n.log })),
      'the CLI ends in the state the page shows',
    );
    assert.ok(finals.every((e) => e.t_us === MOMENT_C_MS * 1000));
    assert.deepEqual(cli.explain, { title: run.s1.title, lines: run.s1.lines }, 'raftlab explain says what the page says');
  });
});

test('explain: clicking a log cell shows the explanation of explain({node, index}) in Details\' Why', LIMIT, async (t) => {
  await withPage(t, pageUrl(), async (page) => {
    await page.evaluate(([text, at]) => {
      const r = window.raftlab;
      r.pause();
      r.load(text);
      r.advance(at);
    }, [FIGURE8(), MOMENT_C_MS]);
    const details = page.getByRole('region', { name: 'Details', exact: true });
    const why = details.getByRole('group', { name: 'Why', exact: true });
    // S1's entry 3 (x=1, on a majority, not committed: 5.4.2); S3's entry 1 (committed);
    // S4's entry 2 (term 2, on a majority, not committed).
    for (const [node, index, name] of [
      [1, 3, /^S1 entry 3, term 2: set x=1, not committed$/],
      [3, 1, /^S3 entry 1, term 1: noop, committed$/],
      [4, 2, /^S4 entry 2, term 2: noop, not committed$/],
    ]) {
      const cell = page.getByRole('button', { name });
      await cell.click();
      assert.equal(await cell.getAttribute('aria-pressed'), 'true', `S${node}'s entry ${index} is selected`);
      const want = await page.evaluate((target) => window.raftlab.explain(target), { node, index });
      assert.ok(want.lines.length >= 3, JSON.stringify(want));
      await eventually(async () => (await why.locator('h3').innerText()) === `Why: ${want.title}`, { message: `Why: ${want.title}` });
      assert.deepEqual(await why.locator('li').allInnerTexts(), want.lines, `Details' Why for S${node}'s entry ${index} is explain()'s`);
      assert.equal((await why.locator('li').allInnerTexts()).join(' '), want.text);
    }
    assert.match(await why.innerText(), /S1, S2, S3, S4 store it: 4 of 5, a majority\./);
    assert.match(await why.innerText(), /section 5\.4\.2, Figure 8/);
  });
});
