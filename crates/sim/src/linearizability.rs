//! Linearizability of the clients' history (Herlihy and Wing): every operation must appear to
//! take effect at one instant between its call and its answer, in an order a single copy of
//! the key-value store would accept.
//!
//! The search is Wing and Gong's, with Lowe's memoization of (operations placed, state)
//! pairs, run separately per key (a store of independent registers is linearizable when each
//! register is). Writes whose answer never came (a timeout) may have taken effect at any time
//! after their call, or never; reads without an answer constrain nothing and are left out.

use crate::trace::{ReplyResult, TraceEvent, TraceKind};
use raftlab_raft::{Command, Micros, ReadMode, RequestId};
use std::collections::{BTreeMap, BTreeSet};
use std::fmt;

/// What an operation did to (or saw of) its key.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OpKind {
    /// `set key=value` (`Some`) or `delete key` (`None`).
    Write(Option<String>),
    /// A read that returned this value (`None`: the key was not set).
    Read(Option<String>),
}

/// One client operation of the history.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Op {
    /// The client request's id (the trace's `id`).
    pub id: RequestId,
    /// The key.
    pub key: String,
    /// What it did.
    pub kind: OpKind,
    /// For reads, the mode it was served in.
    pub mode: Option<ReadMode>,
    /// When the client sent it.
    pub invoked_us: Micros,
    /// When the answer came; `None` for a write whose outcome is unknown (no answer).
    pub returned_us: Option<Micros>,
}

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let ms = |us: Micros| format!("{}.{:03}", us / 1000, us % 1000);
        let what = match &self.kind {
            OpKind::Write(Some(v)) => format!("set {}={v}", self.key),
            OpKind::Write(None) => format!("delete {}", self.key),
            OpKind::Read(Some(v)) => format!("read {} -> {v}", self.key),
            OpKind::Read(None) => format!("read {} -> (not set)", self.key),
        };
        let mode = self
            .mode
            .map_or(String::new(), |m| format!(" [{}]", m.as_str()));
        match self.returned_us {
            Some(r) => write!(
                f,
                "request {} ({what}{mode}, {} to {} ms)",
                self.id,
                ms(self.invoked_us),
                ms(r)
            ),
            None => write!(
                f,
                "request {} ({what}{mode}, from {} ms, outcome unknown)",
                self.id,
                ms(self.invoked_us)
            ),
        }
    }
}

/// The clients' operations in a trace, in the order they were sent. Redirected requests did
/// nothing and are left out, as are reads that got no answer.
pub fn history(trace: &[TraceEvent]) -> Vec<Op> {
    let mut ops: Vec<Op> = Vec::new();
    let mut index: BTreeMap<RequestId, usize> = BTreeMap::new();
    let mut failed: Vec<RequestId> = Vec::new();
    for e in trace {
        match &e.kind {
            TraceKind::ClientRequest { id, command, .. } => {
                let (key, value) = match command {
                    Command::Set { key, value } => (key.clone(), Some(value.clone())),
                    Command::Delete { key } => (key.clone(), None),
                    Command::Noop | Command::Config(_) => continue,
                };
                index.insert(*id, ops.len());
                ops.push(Op {
                    id: *id,
                    key,
                    kind: OpKind::Write(value),
                    mode: None,
                    invoked_us: e.t_us,
                    returned_us: None,
                });
            }
            TraceKind::ClientRead { id, key, mode, .. } => {
                index.insert(*id, ops.len());
                ops.push(Op {
                    id: *id,
                    key: key.clone(),
                    kind: OpKind::Read(None),
                    mode: Some(*mode),
                    invoked_us: e.t_us,
                    returned_us: None,
                });
            }
            TraceKind::ClientReply {
                id, result, value, ..
            } => {
                let Some(&i) = index.get(id) else { continue };
                match result {
                    ReplyResult::Ok => {
                        ops[i].returned_us = Some(e.t_us);
                        if let (OpKind::Read(seen), Some(v)) = (&mut ops[i].kind, value) {
                            *seen = v.clone();
                        }
                    }
                    ReplyResult::Redirect => failed.push(*id),
                    ReplyResult::Timeout => {
                        if matches!(ops[i].kind, OpKind::Read(_)) {
                            failed.push(*id);
                        }
                    }
                }
            }
            _ => {}
        }
    }
    ops.retain(|op| {
        let unanswered_read = matches!(op.kind, OpKind::Read(_)) && op.returned_us.is_none();
        !(failed.contains(&op.id) || unanswered_read)
    });
    ops
}

/// Why a history is not linearizable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct NotLinearizable {
    /// The key whose operations cannot be ordered.
    pub key: String,
    /// The operation that cannot be placed: every order of the others that the search tried
    /// had to place it, and none could.
    pub culprit: Op,
    /// The operations of the longest order the search found that explains the history up to
    /// the culprit, in that order.
    pub order: Vec<Op>,
}

impl fmt::Display for NotLinearizable {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "key {}: {} cannot be placed in any order that a single copy of the store would give",
            self.key, self.culprit
        )?;
        let last_write = self
            .order
            .iter()
            .rev()
            .find(|op| matches!(op.kind, OpKind::Write(_)));
        if let Some(w) = last_write {
            write!(f, "; the last write it can follow is {w}")?;
        }
        Ok(())
    }
}

/// Checks the whole history, key by key; the first key that fails is reported.
pub fn check(ops: &[Op]) -> Result<(), Box<NotLinearizable>> {
    let mut keys: BTreeMap<&str, Vec<&Op>> = BTreeMap::new();
    for op in ops {
        keys.entry(op.key.as_str()).or_default().push(op);
    }
    for (key, ops) in keys {
        check_key(key, &ops)?;
    }
    Ok(())
}

/// One entry of the search's list: the call or the return of an operation.
#[derive(Clone, Copy)]
struct Entry {
    op: usize,
    call: bool,
    /// For a call: the index of its return entry, if the operation returned.
    matching: Option<usize>,
    prev: usize,
    next: usize,
}

const NIL: usize = usize::MAX;

/// Wing and Gong's search with Lowe's cache, on the operations of one key.
fn check_key(key: &str, ops: &[&Op]) -> Result<(), Box<NotLinearizable>> {
    // Entries sorted by time; at equal times calls come first (operations that touch at an
    // instant overlap).
    let mut points: Vec<(Micros, u8, usize)> = Vec::new();
    for (i, op) in ops.iter().enumerate() {
        points.push((op.invoked_us, 0, i));
        if let Some(r) = op.returned_us {
            points.push((r, 1, i));
        }
    }
    // (time, call before return, op): the tie on op is the push order, kept by a stable sort.
    crate::order::sort_by_key(&mut points, |&(t, end, _)| (t as u128) << 8 | end as u128);
    // Index 0 is a head sentinel.
    let mut list: Vec<Entry> = vec![Entry {
        op: NIL,
        call: false,
        matching: None,
        prev: NIL,
        next: NIL,
    }];
    let mut call_at = vec![NIL; ops.len()];
    for &(_, kind, op) in &points {
        let k = list.len();
        list.push(Entry {
            op,
            call: kind == 0,
            matching: None,
            prev: k - 1,
            next: NIL,
        });
        list[k - 1].next = k;
        if kind == 0 {
            call_at[op] = k;
        } else {
            list[call_at[op]].matching = Some(k);
        }
    }
    let mut must_place = ops.iter().filter(|op| op.returned_us.is_some()).count();
    let words = ops.len().div_ceil(64);
    let mut placed = vec![0u64; words];
    let mut state: Option<String> = None;
    let mut cache: BTreeSet<(Vec<u64>, Option<String>)> = BTreeSet::new();
    // (call entry lifted, state before it)
    let mut stack: Vec<(usize, Option<String>)> = Vec::new();
    let mut best: (usize, usize) = (0, NIL); // (operations placed, op that could not be)
    let mut best_order: Vec<usize> = Vec::new();

    let unlink = |list: &mut Vec<Entry>, k: usize| {
        let (p, n) = (list[k].prev, list[k].next);
        list[p].next = n;
        if n != NIL {
            list[n].prev = p;
        }
    };
    let relink = |list: &mut Vec<Entry>, k: usize| {
        let (p, n) = (list[k].prev, list[k].next);
        list[p].next = k;
        if n != NIL {
            list[n].prev = k;
        }
    };

    let mut entry = list[0].next;
    while must_place > 0 {
        if entry == NIL {
            // Only calls of unknown writes are left after the last return: nothing to place.
            break;
        }
        let e = list[entry];
        if e.call {
            let op = ops[e.op];
            let (ok, next_state) = match &op.kind {
                OpKind::Write(v) => (true, v.clone()),
                OpKind::Read(seen) => (*seen == state, state.clone()),
            };
            if ok {
                let mut next_placed = placed.clone();
                next_placed[e.op / 64] |= 1 << (e.op % 64);
                if cache.insert((next_placed.clone(), next_state.clone())) {
                    stack.push((entry, state));
                    state = next_state;
                    placed = next_placed;
                    // Lift the call and its return out of the list.
                    unlink(&mut list, entry);
                    if let Some(m) = e.matching {
                        unlink(&mut list, m);
                        must_place -= 1;
                    }
                    entry = list[0].next;
                    continue;
                }
            }
            entry = e.next;
        } else {
            // A return: its operation should have been placed before this point.
            if stack.len() >= best.0 {
                best = (stack.len(), e.op);
                best_order = stack.iter().map(|&(k, _)| list[k].op).collect();
            }
            let Some((lifted, before)) = stack.pop() else {
                break;
            };
            let l = list[lifted];
            state = before;
            placed[l.op / 64] &= !(1 << (l.op % 64));
            if let Some(m) = l.matching {
                relink(&mut list, m);
                must_place += 1;
            }
            relink(&mut list, lifted);
            entry = l.next;
        }
    }
    if must_place == 0 || entry == NIL {
        // Every operation that returned is placed (or, not reachable, only unknown writes
        // are left).
        return Ok(());
    }
    let culprit = if best.1 == NIL { 0 } else { best.1 };
    Err(Box::new(NotLinearizable {
        key: key.to_string(),
        culprit: ops[culprit].clone(),
        order: best_order.into_iter().map(|i| ops[i].clone()).collect(),
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn op(id: u64, kind: OpKind, call: Micros, ret: Option<Micros>) -> Op {
        Op {
            id,
            key: "x".into(),
            kind,
            mode: None,
            invoked_us: call,
            returned_us: ret,
        }
    }
    fn w(v: &str) -> OpKind {
        OpKind::Write(Some(v.into()))
    }
    fn r(v: Option<&str>) -> OpKind {
        OpKind::Read(v.map(String::from))
    }

    #[test]
    fn sequential_histories() {
        let ok = [
            op(1, w("1"), 0, Some(10)),
            op(2, r(Some("1")), 20, Some(30)),
            op(3, w("2"), 40, Some(50)),
            op(4, r(Some("2")), 60, Some(70)),
        ];
        assert!(check(&ok).is_ok());
        let stale = [
            op(1, w("1"), 0, Some(10)),
            op(2, w("2"), 20, Some(30)),
            op(3, r(Some("1")), 40, Some(50)),
        ];
        let e = check(&stale).unwrap_err();
        assert_eq!(e.culprit.id, 3);
        assert!(e.to_string().contains("request 3"), "{e}");
        assert!(e.to_string().contains("set x=2"), "{e}");
        assert!(check(&[op(1, r(None), 0, Some(5))]).is_ok());
        assert!(check(&[op(1, r(Some("9")), 0, Some(5))]).is_err());
    }

    #[test]
    fn concurrency_allows_either_order() {
        // The read overlaps the write: it may see the old or the new value.
        for seen in [None, Some("1")] {
            let h = [op(1, w("1"), 0, Some(100)), op(2, r(seen), 50, Some(60))];
            assert!(check(&h).is_ok(), "{seen:?}");
        }
        // Two reads during one write cannot see new then old.
        let h = [
            op(1, w("1"), 0, Some(100)),
            op(2, r(Some("1")), 10, Some(20)),
            op(3, r(None), 30, Some(40)),
        ];
        assert_eq!(check(&h).unwrap_err().culprit.id, 3);
    }

    #[test]
    fn unknown_writes_may_or_may_not_happen() {
        let took = [op(1, w("1"), 0, None), op(2, r(Some("1")), 500, Some(510))];
        assert!(check(&took).is_ok());
        let did_not = [op(1, w("1"), 0, None), op(2, r(None), 500, Some(510))];
        assert!(check(&did_not).is_ok());
        // ...but not before it was sent.
        let early = [op(2, r(Some("1")), 0, Some(10)), op(1, w("1"), 20, None)];
        assert!(check(&early).is_err());
    }

    /// Histories made by a single register with random overlapping intervals around each
    /// operation's instant are always linearizable; changing one read's value to a value
    /// never written makes them not.
    #[test]
    fn random_histories_from_a_real_register() {
        let mut seed = 12345u64;
        let mut next = || {
            seed = seed
                .wrapping_mul(6364136223846793005)
                .wrapping_add(1442695040888963407);
            seed >> 33
        };
        for round in 0..200 {
            let mut value: Option<String> = None;
            let mut ops = Vec::new();
            for i in 0..40u64 {
                let at = i * 100 + 100;
                let call = at - next() % 90;
                let ret = at + next() % 90;
                let kind = if next() % 2 == 0 {
                    value = Some(format!("{}", next() % 5));
                    OpKind::Write(value.clone())
                } else {
                    OpKind::Read(value.clone())
                };
                let unknown = matches!(kind, OpKind::Write(_)) && next() % 10 == 0;
                ops.push(op(i + 1, kind, call, (!unknown).then_some(ret)));
            }
            assert!(check(&ops).is_ok(), "round {round}");
            if let Some(k) = ops.iter().position(|o| matches!(o.kind, OpKind::Read(_))) {
                ops[k].kind = OpKind::Read(Some("never written".into()));
                assert_eq!(
                    check(&ops).unwrap_err().culprit.id,
                    ops[k].id,
                    "round {round}"
                );
            }
        }
    }
}
