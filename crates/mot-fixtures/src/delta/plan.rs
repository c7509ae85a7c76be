//! Choosing the lines of a delta.

use std::collections::HashSet;

use super::{DeltaWriter, Op};
use crate::model::Model;
use crate::render::Modification;
use crate::rng::Rng;

/// The UPDATED lines a delta mixes, with weights for lines beyond the first of each kind.
#[derive(Debug, Clone, Copy)]
enum Update {
    NewTest,
    FullHistory,
    ColourWithoutTests,
    ColourWithTests,
}

const UPDATE_WEIGHTS: [(Update, u32); 4] = [
    (Update::NewTest, 45),
    (Update::FullHistory, 30),
    (Update::ColourWithoutTests, 13),
    (Update::ColourWithTests, 12),
];

impl DeltaWriter<'_> {
    /// Plans the lines of one delta: repeated lines first, then the rest in random order with
    /// each pair on one registration kept in order.
    pub(super) fn plan(&mut self, rng: &mut Rng, model: &Model) -> Vec<Op> {
        let mut used = HashSet::new();
        let mut singles = Vec::new();
        let mut pairs = Vec::new();
        let mut updates = self.options.updates_per_delta();
        let mut deleted = self.options.deleted_per_delta();
        let take = |budget: &mut u64, lines: u64| {
            let available = *budget >= lines;
            if available {
                *budget -= lines;
            }
            available
        };

        // Each kind of line first once, so that small deltas still cover every case.
        for (kind, _) in UPDATE_WEIGHTS {
            if take(&mut updates, 1) {
                self.plan_update(rng, model, &mut used, kind, &mut singles);
            }
        }
        if take(&mut updates, 2) {
            if let Some(code) = self.pick_target(rng, model, &mut used) {
                pairs.push((Op::NewTest(code), Op::NewTest(code)));
            }
        }
        if take(&mut updates, 1) {
            let registration = self.fresh_plate();
            singles.push(Op::New {
                registration,
                modification: Modification::Updated,
            });
        }
        if take(&mut deleted, 1) {
            let code = self.next_unknown_plate;
            self.next_unknown_plate += 1;
            singles.push(Op::Delete(code));
        }
        if deleted >= 1 && take(&mut updates, 1) {
            if let Some(code) = self.pick_target(rng, model, &mut used) {
                deleted -= 1;
                pairs.push((Op::NewTest(code), Op::Delete(code)));
            }
        }

        for _ in 0..updates {
            let kind = rng.weighted(&UPDATE_WEIGHTS);
            self.plan_update(rng, model, &mut used, kind, &mut singles);
        }
        for _ in 0..deleted {
            if let Some(code) = self.pick_target(rng, model, &mut used) {
                singles.push(Op::Delete(code));
            }
        }
        for _ in 0..self.options.created_per_delta() {
            let registration = self.fresh_plate();
            singles.push(Op::New {
                registration,
                modification: Modification::Created,
            });
        }

        rng.shuffle(&mut singles);
        for (first, second) in pairs {
            let at = rng.index(singles.len() + 1);
            singles.insert(at, first);
            let later = at + 1 + rng.index(singles.len() - at);
            singles.insert(later, second);
        }
        let mut ops: Vec<Op> = self.carried.drain(..).map(Op::Repeat).collect();
        ops.extend(singles);
        ops
    }

    /// Plans one UPDATED line of the given kind, if a target is left.
    fn plan_update(
        &mut self,
        rng: &mut Rng,
        model: &Model,
        used: &mut HashSet<u64>,
        kind: Update,
        ops: &mut Vec<Op>,
    ) {
        let Some(code) = self.pick_target(rng, model, used) else {
            return;
        };
        ops.push(match kind {
            Update::NewTest => Op::NewTest(code),
            Update::FullHistory => Op::FullHistory(code),
            Update::ColourWithoutTests => Op::ColourOnly {
                registration: code,
                with_tests: false,
            },
            Update::ColourWithTests => Op::ColourOnly {
                registration: code,
                with_tests: true,
            },
        });
    }

    fn fresh_plate(&mut self) -> u64 {
        let code = self.next_fresh_plate;
        self.next_fresh_plate += 1;
        code
    }

    /// Picks a registration held by exactly one stored vehicle and not yet used in this delta:
    /// one in ten from those created by earlier deltas, the rest from the bulk. Returns `None`
    /// when none is left.
    fn pick_target(&self, rng: &mut Rng, model: &Model, used: &mut HashSet<u64>) -> Option<u64> {
        let eligible = |code: u64| !used.contains(&code) && model.holder_count(code) == 1;
        let vehicles = self.options.vehicles;
        let chosen = if !self.fresh_plates.is_empty() && rng.chance(100) {
            (0..8)
                .map(|_| *rng.pick(&self.fresh_plates))
                .find(|&code| eligible(code))
        } else {
            None
        };
        let chosen = chosen
            .or_else(|| {
                (0..32)
                    .map(|_| rng.below(vehicles))
                    .find(|&code| eligible(code))
            })
            .or_else(|| {
                // Small bulks run out of random hits: scan from a random start instead.
                let start = rng.below(vehicles);
                (0..vehicles.min(1 << 20))
                    .map(|offset| (start + offset) % vehicles)
                    .find(|&code| eligible(code))
            });
        if let Some(code) = chosen {
            used.insert(code);
        }
        chosen
    }
}
