//! Time travel: running on with checkpoints, seeking to any moment, stepping back.

use super::*;

impl Model {
    /// Runs everything due up to `target` (recorded actions included), taking checkpoints on
    /// the way, and sets the clock to `target`.
    pub(super) fn advance_to(&mut self, target: Micros) {
        loop {
            let next_action = self
                .recorded
                .events
                .get(self.applied)
                .map(|e| e.at_us)
                .filter(|&t| t <= target)
                .filter(|_| self.hold.is_none_or(|h| self.applied < h));
            let last_checkpoint = self.checkpoints.last().map_or(0, |c| c.sim.now());
            let next_checkpoint =
                (last_checkpoint / self.checkpoint_every + 1) * self.checkpoint_every;
            let stop = next_action
                .unwrap_or(target)
                .min(next_checkpoint)
                .min(target);
            self.sim.run_until(stop, false);
            if next_action == Some(stop) {
                self.apply_next_action();
                continue;
            }
            if stop == next_checkpoint {
                self.take_checkpoint();
                self.trim_trace();
            }
            if stop == target {
                break;
            }
        }
        self.end_us = self.end_us.max(self.sim.now());
        self.trim_trace();
    }

    pub(super) fn take_checkpoint(&mut self) {
        let now = self.sim.now();
        if self.checkpoints.last().is_some_and(|c| c.sim.now() >= now) {
            return;
        }
        self.checkpoints.push(Checkpoint {
            sim: self.sim.snapshot(),
            applied: self.applied,
            traced: self.traced(),
        });
        if self.checkpoints.len() > MAX_CHECKPOINTS {
            // Thin out: keep time 0 and the even multiples of the doubled spacing.
            self.checkpoint_every *= 2;
            let every = self.checkpoint_every;
            let last = self.checkpoints.len() - 1;
            let mut k = 0;
            self.checkpoints.retain(|c| {
                let keep = c.sim.now() % every == 0 || k == last;
                k += 1;
                keep
            });
        }
    }

    /// Keeps the trace in memory bounded (the events stay reachable through replay).
    pub(super) fn trim_trace(&mut self) {
        // Marks are taken from the events before they leave memory.
        self.mark_new();
        let len = self.trace.borrow().len();
        if len > 2 * TRACE_WINDOW {
            let keep_from = self
                .keep_trace_from
                .map_or(u64::MAX, |k| k.saturating_sub(self.trace_base));
            let cut = (len - TRACE_WINDOW).min(keep_from.min(len as u64) as usize);
            if cut == 0 {
                return;
            }
            self.trace.borrow_mut().drain(..cut);
            self.trace_base += cut as u64;
            self.narrated_upto = self.narrated_upto.saturating_sub(cut);
        }
    }

    /// Shows the moment `t_us` of the run (clamped to the timeline): going forward runs on,
    /// going back restores a checkpoint and replays from it. Nothing is recorded.
    pub fn seek(&mut self, t_us: Micros) {
        self.seek_exact(t_us, None);
    }

    /// As [`Model::seek`], applying at most `hold` recorded actions (all those before
    /// `t_us`, and some at `t_us`): a recorded moment restored exactly.
    pub(super) fn seek_exact(&mut self, t_us: Micros, hold: Option<usize>) {
        let t = t_us.min(self.end());
        self.hold = hold;
        let now = self.sim.now();
        // Start from the latest checkpoint a little before `t` (so the event log has
        // something to show), unless running on from now is shorter.
        let i = self
            .checkpoints
            .iter()
            .rposition(|c| c.sim.now() <= t.saturating_sub(SEEK_HISTORY_US))
            .or_else(|| self.checkpoints.iter().rposition(|c| c.sim.now() <= t))
            .unwrap_or(0);
        let from = self.checkpoints[i].sim.now();
        if t >= now && now >= from && hold.is_none_or(|h| self.applied <= h) {
            let before = self.traced();
            self.advance_to(t);
            self.after_change(before);
        } else {
            let c = &self.checkpoints[i];
            self.sim = c.sim.snapshot();
            self.applied = c.applied;
            self.trace.borrow_mut().clear();
            self.trace_base = c.traced;
            self.narrated_upto = 0;
            self.narration.clear();
            self.attach_trace();
            self.advance_to(t);
            // Only the end of a long replay can show in the event log.
            self.narrated_upto = self.trace.borrow().len().saturating_sub(2_000);
            self.after_change(self.trace_base);
        }
        self.hold = None;
        self.version += 1;
    }

    /// Goes back to the previous moment at which something was traced (or to the start).
    /// Returns whether the moment shown changed.
    pub fn step_back(&mut self) -> bool {
        let now = self.sim.now();
        if now == 0 {
            return false;
        }
        let previous = {
            let trace = self.trace.borrow();
            trace.iter().rev().map(|e| e.t_us).find(|&t| t < now)
        };
        match previous {
            Some(t) => self.seek(t),
            // Nothing earlier in memory: look from a checkpoint well before.
            None => {
                self.seek(now.saturating_sub(SEEK_HISTORY_US).saturating_sub(1));
                let t = self
                    .trace
                    .borrow()
                    .iter()
                    .rev()
                    .map(|e| e.t_us)
                    .find(|&t| t < now)
                    .unwrap_or(0);
                self.seek(t);
            }
        }
        true
    }
}
