//! One server of the lease system as a deterministic state machine: [`Node::step`] is the
//! single entry point, and every time it sees is its own clock reading.

use crate::*;

/// One server: the store, a candidate or the resource (see [`role_of`]).
#[derive(Clone, Debug)]
pub struct Node {
    id: NodeId,
    inner: Inner,
}

#[derive(Clone, Debug)]
enum Inner {
    Store(Store),
    Cand(Box<Cand>),
    Res(Res),
}

#[derive(Clone, Debug)]
struct Store {
    cfg: Config,
    cands: Vec<NodeId>,
    record: Option<Record>,
    revision: u64,
    /// The last token given (Consul's LockIndex: it counts acquisitions).
    token: u64,
    /// Session mode: nobody may acquire before this (lock-delay).
    lock_until: Micros,
    /// Watch notifications not yet sent: (due, watcher, time of the change, record, revision),
    /// in due order (ties in the order sent).
    pending: Vec<(Micros, NodeId, Micros, Option<Record>, u64)>,
}

#[derive(Clone, Copy, Debug)]
struct Res {
    fencing: bool,
    highest: u64,
    accepted: u64,
}

/// A request to the store that has not been answered yet.
#[derive(Clone, Copy, Debug)]
struct Attempt {
    seq: u64,
    /// Own clock when this try started (a leader's renew deadline counts from here).
    start: Micros,
    /// `Some(expect)` for a CAS, `None` for a read.
    cas: Option<u64>,
}

#[derive(Clone, Debug)]
struct Cand {
    id: NodeId,
    cfg: Config,
    resource: NodeId,
    /// The last record seen, its revision, and when (own clock) it was first seen.
    seen: Option<Record>,
    seen_rev: u64,
    seen_at: Micros,
    heard: bool,
    /// While leading: the token, and when leading ends unless renewed (None in session mode).
    lead: Option<(u64, Option<Micros>)>,
    retry_at: Micros,
    attempt: Option<Attempt>,
    seq: u64,
    work_at: Option<Micros>,
    /// A checked write waiting to leave: (when, token).
    write_due: Option<(Micros, u64)>,
    /// After resigning: no acquisition before this.
    quiet_until: Micros,
    /// The belief last reported in a `lease_believes` event.
    shown: Belief,
}

const NOBODY: Belief = Belief {
    holder: None,
    token: None,
    until: None,
    leading: false,
};

impl Node {
    /// A fresh server `id` of `cluster` (its role follows [`role_of`]). Settings that cannot
    /// run (see [`Config::validate`]) are not refused here: zero periods are treated as 1 µs
    /// so a step always ends.
    pub fn new(id: NodeId, cluster: &[NodeId], config: &Config) -> Node {
        Node::recover(id, cluster, config, Persistent::default(), 0)
    }

    /// Server `id` restarting at `now` (own clock) with what survived its crash. A store keeps
    /// its record (in session mode the holder's session gets a full TTL from `now`); a
    /// candidate starts again from nothing.
    pub fn recover(
        id: NodeId,
        cluster: &[NodeId],
        config: &Config,
        persistent: Persistent,
        now: Micros,
    ) -> Node {
        let cfg = *config;
        let resource = cluster.iter().copied().max().unwrap_or(id);
        let inner = match role_of(id, cluster) {
            Role::Store => Inner::Store(Store {
                cfg,
                cands: cluster
                    .iter()
                    .copied()
                    .filter(|&c| role_of(c, cluster) == Role::Candidate)
                    .collect(),
                record: persistent.record.map(|mut r| {
                    r.renewed_at = now;
                    r
                }),
                revision: persistent.revision.max(cfg.first_revision),
                token: persistent.token.max(cfg.first_revision),
                lock_until: 0,
                pending: Vec::new(),
            }),
            Role::Resource => Inner::Res(Res {
                fencing: cfg.fencing,
                highest: persistent.highest,
                accepted: persistent.accepted,
            }),
            Role::Candidate => Inner::Cand(Box::new(Cand {
                id,
                cfg,
                resource,
                seen: None,
                seen_rev: 0,
                seen_at: now,
                heard: false,
                lead: None,
                retry_at: now,
                attempt: None,
                seq: 0,
                work_at: None,
                write_due: None,
                quiet_until: 0,
                shown: NOBODY,
            })),
        };
        Node { id, inner }
    }

    /// This server's id.
    pub fn id(&self) -> NodeId {
        self.id
    }

    /// The part this server plays.
    pub fn role(&self) -> Role {
        match self.inner {
            Inner::Store(_) => Role::Store,
            Inner::Cand(_) => Role::Candidate,
            Inner::Res(_) => Role::Resource,
        }
    }

    /// The store: its record (`None` when empty). Other servers: `None`.
    pub fn store_record(&self) -> Option<Record> {
        match &self.inner {
            Inner::Store(s) => s.record,
            _ => None,
        }
    }

    /// The store: its revision. Other servers: `None`.
    pub fn store_revision(&self) -> Option<u64> {
        match &self.inner {
            Inner::Store(s) => Some(s.revision),
            _ => None,
        }
    }

    /// A candidate: what it believes about the lease. Other servers: `None`.
    pub fn belief(&self) -> Option<Belief> {
        match &self.inner {
            Inner::Cand(c) => Some(c.belief()),
            _ => None,
        }
    }

    /// The resource: the highest token it accepted, and how many writes it accepted. Other
    /// servers: `None`.
    pub fn resource_state(&self) -> Option<(u64, u64)> {
        match &self.inner {
            Inner::Res(r) => Some((r.highest, r.accepted)),
            _ => None,
        }
    }

    /// What survives a crash.
    pub fn persistent(&self) -> Persistent {
        match &self.inner {
            Inner::Store(s) => Persistent {
                record: s.record,
                revision: s.revision,
                token: s.token,
                ..Persistent::default()
            },
            Inner::Res(r) => Persistent {
                highest: r.highest,
                accepted: r.accepted,
                ..Persistent::default()
            },
            Inner::Cand(_) => Persistent::default(),
        }
    }

    /// When this server next needs a [`Input::Tick`], on its own clock (`None`: never).
    pub fn next_deadline(&self) -> Option<Micros> {
        match &self.inner {
            Inner::Store(s) => {
                let expiry = s.record.filter(|_| s.cfg.session_ttl_us > 0);
                let expiry = expiry.map(|r| r.renewed_at.saturating_add(s.cfg.session_ttl_us));
                s.pending.iter().map(|p| p.0).chain(expiry).min()
            }
            Inner::Cand(c) => c.timers().map(|t| t.0).min(),
            Inner::Res(_) => None,
        }
    }

    /// Handle one input at `now`, this server's own clock reading. On a tick, every overdue
    /// timer is handled in the order it fell due, each as of `now`.
    pub fn step(&mut self, now: Micros, input: Input, out: &mut Ready) {
        let id = self.id;
        match &mut self.inner {
            Inner::Store(s) => s.step(id, now, input, out),
            Inner::Res(r) => {
                if let Input::Message(Message {
                    from,
                    body: Body::Write { token },
                    ..
                }) = input
                {
                    r.write(id, from, token, out)
                }
            }
            Inner::Cand(c) => {
                c.step(now, input, out);
                let b = c.belief();
                if b != c.shown {
                    c.shown = b;
                    out.events.push(Event::LeaseBelieves {
                        node: id,
                        belief: b,
                    });
                }
            }
        }
    }
}

impl Res {
    fn write(&mut self, id: NodeId, from: NodeId, token: u64, out: &mut Ready) {
        let (accepted, reason) = if !self.fencing {
            (true, "no fencing")
        } else if token < self.highest {
            (false, "stale token")
        } else {
            (true, "ok")
        };
        if accepted {
            self.highest = self.highest.max(token);
            self.accepted += 1;
            out.persist = true;
        }
        out.events.push(Event::ResourceWrite {
            holder: from,
            token,
            accepted,
            reason,
            highest: self.highest,
        });
        out.messages.push(Message {
            from: id,
            to: from,
            body: Body::WriteReply { token, accepted },
        });
    }
}

impl Store {
    fn step(&mut self, id: NodeId, now: Micros, input: Input, out: &mut Ready) {
        // Session mode: an overdue session expires before anything else is handled.
        if let Some(r) = self.record {
            let ttl = self.cfg.session_ttl_us;
            if ttl > 0 && now >= r.renewed_at.saturating_add(ttl) {
                self.change(now, StoreOp::Expire, r, None, out);
                self.lock_until = now.saturating_add(self.cfg.lock_delay_us);
            }
        }
        if let Input::Message(m) = input {
            let (ok, reason, seq) = match m.body {
                Body::Get { seq } => (true, "", seq),
                Body::Cas { seq, expect } => {
                    let (ok, reason) = self.cas(now, m.from, expect, out);
                    (ok, reason, seq)
                }
                Body::Release { seq } => match self.record {
                    Some(r) if r.holder == m.from => {
                        self.change(now, StoreOp::Release, r, None, out);
                        (true, "", seq)
                    }
                    _ => (false, "not the holder", seq),
                },
                _ => return self.flush(id, now, out),
            };
            out.messages.push(Message {
                from: id,
                to: m.from,
                body: Body::Reply(StoreReply {
                    seq,
                    ok,
                    record: self.record,
                    revision: self.revision,
                    reason,
                }),
            });
        }
        self.flush(id, now, out);
    }

    fn cas(
        &mut self,
        now: Micros,
        from: NodeId,
        expect: u64,
        out: &mut Ready,
    ) -> (bool, &'static str) {
        if expect != self.record.map_or(0, |r| r.mod_index) {
            return (false, "modify index changed");
        }
        let next = self.revision + 1;
        match self.record {
            None if now < self.lock_until => (false, "lock delay"),
            Some(r) if r.holder == from => {
                let new = Record {
                    mod_index: next,
                    renewed_at: now,
                    ..r
                };
                self.change(now, StoreOp::Renew, new, Some(new), out);
                (true, "")
            }
            _ => {
                self.token += 1;
                let new = Record {
                    holder: from,
                    token: self.token,
                    mod_index: next,
                    acquired_at: now,
                    renewed_at: now,
                };
                self.change(now, StoreOp::Acquire, new, Some(new), out);
                (true, "")
            }
        }
    }

    /// Apply a change: new revision, trace event, one watch notification per candidate.
    fn change(
        &mut self,
        now: Micros,
        op: StoreOp,
        who: Record,
        new: Option<Record>,
        out: &mut Ready,
    ) {
        self.revision += 1;
        self.record = new;
        out.persist = true;
        out.events.push(Event::StoreCas {
            op,
            holder: who.holder,
            token: who.token,
            revision: self.revision,
        });
        for &to in &self.cands {
            let jitter = match self.cfg.watch_jitter_us {
                0 => 0,
                j => mix(self.cfg.seed ^ (self.revision << 20) ^ to as u64) % j.saturating_add(1),
            };
            let due = now
                .saturating_add(self.cfg.watch_delay_us)
                .saturating_add(jitter);
            // Kept in due order, ties in the order sent (what a stable sort at flush gave,
            // without the sort's code in the wasm).
            let at = self.pending.partition_point(|p| p.0 <= due);
            self.pending.insert(at, (due, to, now, new, self.revision));
        }
    }

    /// Send the watch notifications due by `now`, earliest first.
    fn flush(&mut self, id: NodeId, now: Micros, out: &mut Ready) {
        let due = self.pending.iter().take_while(|p| p.0 <= now).count();
        for (_, to, at, record, revision) in self.pending.drain(..due) {
            out.events.push(Event::WatchFired {
                to,
                revision,
                late_us: now.saturating_sub(at),
            });
            out.messages.push(Message {
                from: id,
                to,
                body: Body::WatchEvent { record, revision },
            });
        }
    }
}

impl Cand {
    fn session(&self) -> bool {
        self.cfg.session_ttl_us > 0
    }

    fn belief(&self) -> Belief {
        if let Some((token, until)) = self.lead {
            return Belief {
                holder: Some(self.id),
                token: Some(token),
                until,
                leading: true,
            };
        }
        match self.seen {
            None => NOBODY,
            Some(r) => Belief {
                holder: Some(r.holder),
                token: Some(r.token),
                until: (!self.session())
                    .then_some(self.seen_at.saturating_add(self.cfg.lease_duration_us)),
                leading: false,
            },
        }
    }

    /// The pending timers as (due, kind); kinds in the order ties are handled: 0 a checked
    /// write leaves, 1 the renew deadline, 2 the next write starts, 3 the next try.
    fn timers(&self) -> impl Iterator<Item = (Micros, u8)> {
        let until = self.lead.and_then(|l| l.1);
        [
            self.write_due.map(|w| (w.0, 0)),
            until.map(|u| (u, 1)),
            self.work_at.map(|w| (w, 2)),
            Some((self.retry_at, 3)),
        ]
        .into_iter()
        .flatten()
    }

    fn step(&mut self, now: Micros, input: Input, out: &mut Ready) {
        match input {
            Input::Tick => {
                // Each timer is rescheduled past `now` when it fires, so this ends after at
                // most four rounds; the bound only guards against clocks near u64::MAX.
                for _ in 0..8 {
                    let Some((_, kind)) = self.timers().filter(|t| t.0 <= now).min() else {
                        break;
                    };
                    self.fire(now, kind, out);
                }
            }
            Input::Resign => {
                if self.lead.is_some() {
                    self.lose("resigned", out);
                    self.seq += 1;
                    self.attempt = None;
                    self.quiet_until = now.saturating_add(self.cfg.lease_duration_us);
                    self.send(1, Body::Release { seq: self.seq }, out);
                }
            }
            Input::Message(m) => match m.body {
                Body::Reply(r) => self.on_reply(now, r, out),
                Body::WatchEvent { record, revision } => self.observe(now, record, revision, out),
                Body::WriteReply {
                    token,
                    accepted: false,
                } if self.lead.is_some_and(|l| l.0 == token) => {
                    self.lose("fenced by the resource", out)
                }
                _ => {}
            },
        }
    }

    fn send(&self, to: NodeId, body: Body, out: &mut Ready) {
        out.messages.push(Message {
            from: self.id,
            to,
            body,
        });
    }

    fn fire(&mut self, now: Micros, kind: u8, out: &mut Ready) {
        match kind {
            0 => {
                // The pitfall: the write leaves without a second look at the lease.
                if let Some((_, token)) = self.write_due.take() {
                    self.send(self.resource, Body::Write { token }, out);
                }
            }
            1 => self.lose("renew deadline passed", out),
            2 => {
                self.work_at = None;
                let Some((token, until)) = self.lead else {
                    return;
                };
                if until.is_some_and(|u| now >= u) {
                    return;
                }
                self.work_at = Some(now.saturating_add(self.cfg.work_period_us.max(1)));
                if self.write_due.is_none() {
                    let send_at = now.saturating_add(self.cfg.work_duration_us);
                    out.events.push(Event::WorkStarted {
                        holder: self.id,
                        token,
                        send_at,
                    });
                    self.write_due = Some((send_at, token));
                    if send_at == now {
                        self.fire(now, 0, out);
                    }
                }
            }
            _ => {
                self.retry_at = now.saturating_add(self.cfg.retry_period_us.max(1));
                match self.seen {
                    // A leader renews straight away with the record it knows (no read first).
                    Some(r) if self.lead.is_some() && r.holder == self.id => {
                        self.cas(now, r.mod_index, out)
                    }
                    _ => {
                        self.seq += 1;
                        self.attempt = Some(Attempt {
                            seq: self.seq,
                            start: now,
                            cas: None,
                        });
                        self.send(1, Body::Get { seq: self.seq }, out);
                    }
                }
            }
        }
    }

    fn cas(&mut self, start: Micros, expect: u64, out: &mut Ready) {
        self.seq += 1;
        self.attempt = Some(Attempt {
            seq: self.seq,
            start,
            cas: Some(expect),
        });
        self.send(
            1,
            Body::Cas {
                seq: self.seq,
                expect,
            },
            out,
        );
    }

    fn lose(&mut self, reason: &'static str, out: &mut Ready) {
        if let Some((token, _)) = self.lead.take() {
            self.work_at = None;
            out.events.push(Event::LeaseLost {
                holder: self.id,
                token,
                reason,
            });
        }
    }

    /// Take in what the store says the record is. A newer revision is a change: remember it
    /// and the own-clock time it was seen (client-go's observedRecord and observedTime). A
    /// leader that sees it no longer holds the record stops leading.
    fn observe(&mut self, now: Micros, record: Option<Record>, revision: u64, out: &mut Ready) {
        if self.heard && revision <= self.seen_rev {
            return;
        }
        self.heard = true;
        self.seen = record;
        self.seen_rev = revision;
        self.seen_at = now;
        if let Some((token, _)) = self.lead {
            match record {
                Some(r) if r.holder == self.id && r.token == token => {}
                Some(_) => self.lose("the store shows another holder", out),
                None => self.lose("the store shows no holder", out),
            }
        }
    }

    fn on_reply(&mut self, now: Micros, r: StoreReply, out: &mut Ready) {
        self.observe(now, r.record, r.revision, out);
        let Some(a) = self.attempt.filter(|a| a.seq == r.seq) else {
            return;
        };
        self.attempt = None;
        let Some(expected) = a.cas else {
            // A read: try to acquire (or take back) the record when client-go would.
            if now < self.quiet_until {
                return;
            }
            match self.seen {
                None => self.cas(a.start, 0, out),
                Some(s) if s.holder == self.id => self.cas(a.start, s.mod_index, out),
                Some(s) => {
                    if !self.session()
                        && now >= self.seen_at.saturating_add(self.cfg.lease_duration_us)
                    {
                        self.cas(a.start, s.mod_index, out)
                    }
                }
            }
            return;
        };
        match r.record {
            Some(rec) if r.ok && rec.holder == self.id => {
                let until =
                    (!self.session()).then_some(a.start.saturating_add(self.cfg.renew_deadline_us));
                let (holder, token) = (self.id, rec.token);
                if self.lead.is_some() {
                    out.events.push(Event::LeaseRenewed {
                        holder,
                        token,
                        until,
                    });
                } else {
                    out.events.push(Event::LeaseAcquired {
                        holder,
                        token,
                        until,
                    });
                    self.work_at = Some(now);
                }
                self.lead = Some((token, until));
                // Already past the deadline (a slow answer): stop at once, in order.
                if until.is_some_and(|u| now >= u) {
                    self.lose("renew deadline passed", out);
                }
            }
            _ => out.events.push(Event::LeaseCasFailed {
                candidate: self.id,
                expected,
                holder: r.record.map(|x| x.holder),
                reason: if r.ok { "not the holder" } else { r.reason },
            }),
        }
    }
}
