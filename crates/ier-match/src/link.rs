//! Linking: candidates from the blocking rules, scored by the model, and
//! one-to-one decisions (each left and each right record used at most once:
//! all candidate pairs at or above the threshold, best match weight first,
//! greedily; ties by left then right position).

use crate::blocking::{BlockIndex, KeyParts, MAX_BLOCK, Rule};
use crate::compare::{LeftView, compare};
use crate::fields::FieldError;
use crate::model::{FieldEvidence, Model, probability};
use crate::record::{InputRecord, Options, Prepared};
use crate::reference::{Reference, ReferenceBuilder};
use crate::train::{TrainOptions, TrainReport, train};

/// Candidates kept per left record (best first) for the one-to-one assignment.
pub const KEEP_PER_LEFT: usize = 3;

/// A scored candidate.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Candidate {
    /// The reference record's position.
    pub right: u32,
    /// The match weight (log2 odds).
    pub weight: f64,
}

impl Candidate {
    pub fn probability(&self) -> f64 {
        probability(self.weight)
    }
}

/// Counters (no personal data).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct LinkStats {
    pub left_records: u64,
    pub pairs_compared: u64,
    pub blocks_skipped: u64,
}

impl LinkStats {
    pub fn add(&mut self, o: &LinkStats) {
        self.left_records += o.left_records;
        self.pairs_compared += o.pairs_compared;
        self.blocks_skipped += o.blocks_skipped;
    }
}

/// A decision with its evidence.
#[derive(Debug, Clone, PartialEq)]
pub struct Decision {
    pub left: String,
    pub right: String,
    pub probability: f64,
    /// log2 prior odds (from λ).
    pub prior_log2_odds: f64,
    /// log2 odds taken off for the left record's other candidates (one-to-one correction; 0 when none).
    pub competing_log2_odds: f64,
    /// Whether given name and surname were read the other way round.
    pub names_swapped: bool,
    pub evidence: Vec<FieldEvidence>,
}

/// Reusable buffers for [`Linker::candidates`].
#[derive(Default)]
pub struct Scratch {
    keys: Vec<u32>,
    /// (rule, key, bucket start, bucket end) of every look-up of one record.
    lookups: Vec<(u8, u32, usize, usize)>,
    rights: Vec<u32>,
}

/// Scores left records against a reference with a trained model.
pub struct Linker<'a> {
    pub reference: &'a Reference,
    pub model: &'a Model,
    /// Candidates below this probability are dropped.
    pub threshold: f64,
    min_weight: f64,
}

impl<'a> Linker<'a> {
    pub fn new(reference: &'a Reference, model: &'a Model, threshold: f64) -> Self {
        let t = threshold.clamp(1e-12, 1.0 - 1e-12);
        Self { reference, model, threshold, min_weight: (t / (1.0 - t)).log2() }
    }

    /// The reference records sharing a block with `p` (deduplicated, ascending).
    pub fn blocked<'s>(&self, p: &Prepared, scratch: &'s mut Scratch, stats: &mut LinkStats) -> &'s [u32] {
        let kp = KeyParts::query(&p.given, &p.surname, p.dob, p.nino, &p.postcode, &p.town);
        scratch.rights.clear();
        scratch.lookups.clear();
        let blocks = &self.reference.blocks;
        // Every key of every rule first, so the two dependent random reads of each
        // look-up (directory, then bucket) can be prefetched together.
        for (i, rule) in Rule::ALL.iter().enumerate() {
            scratch.keys.clear();
            kp.keys(*rule, &mut scratch.keys);
            scratch.keys.sort_unstable();
            scratch.keys.dedup();
            for &k in &scratch.keys {
                blocks[i].prefetch_dir(k);
                scratch.lookups.push((i as u8, k, 0, 0));
            }
        }
        for l in &mut scratch.lookups {
            let index = &blocks[l.0 as usize];
            (l.2, l.3) = index.bucket(l.1);
            index.prefetch_bucket(l.2);
        }
        for &(i, k, lo, hi) in &scratch.lookups {
            let run = blocks[i as usize].run_in(k, lo, hi);
            if run.len() > MAX_BLOCK {
                stats.blocks_skipped += 1;
                continue;
            }
            scratch.rights.extend(BlockIndex::records(run));
        }
        scratch.rights.sort_unstable();
        scratch.rights.dedup();
        &scratch.rights
    }

    /// Every blocked candidate with its Fellegi–Sunter weight and its weight
    /// after the one-to-one correction (see [`exclusive_weights`]), in reference order.
    pub fn scored(&self, p: &Prepared, scratch: &mut Scratch, stats: &mut LinkStats) -> Vec<(u32, f64, f64)> {
        let view = LeftView::new(self.reference, p);
        let n = self.blocked(p, scratch, stats).len();
        stats.pairs_compared += n as u64;
        // The candidates are random reads into the reference: ask for all their
        // records, then for their names, before comparing any.
        let recs = &self.reference.recs;
        for &r in &scratch.rights {
            self.reference.prefetch_rec(r);
        }
        for &r in &scratch.rights {
            let rec = &recs[r as usize];
            self.reference.names.prefetch(rec.given);
            self.reference.names.prefetch(rec.surname);
        }
        let weights: Vec<f64> =
            scratch.rights.iter().map(|&r| self.model.weight(&compare(self.reference, &view, r))).collect();
        let exclusive = exclusive_weights(&weights);
        scratch.rights.iter().zip(weights).zip(exclusive).map(|((&r, w), x)| (r, w, x)).collect()
    }

    /// The best candidates (at most [`KEEP_PER_LEFT`], at or above the threshold after
    /// the one-to-one correction), best first; `weight` is the corrected one.
    pub fn candidates(&self, p: &Prepared, scratch: &mut Scratch, stats: &mut LinkStats, out: &mut Vec<Candidate>) {
        out.clear();
        stats.left_records += 1;
        for (right, _, weight) in self.scored(p, scratch, stats) {
            if weight >= self.min_weight {
                out.push(Candidate { right, weight });
            }
        }
        out.sort_unstable_by(|a, b| b.weight.total_cmp(&a.weight).then(a.right.cmp(&b.right)));
        out.truncate(KEEP_PER_LEFT);
    }

    /// The evidence for a pair: the decision's probability (after the one-to-one
    /// correction), whether names were swapped, per-field evidence, and the
    /// log2 odds taken off for the other candidates of the left record.
    pub fn explain(&self, p: &Prepared, right: u32) -> (f64, bool, Vec<FieldEvidence>, f64) {
        let view = LeftView::new(self.reference, p);
        let c = compare(self.reference, &view, right);
        let w = self.model.weight(&c);
        let (mut scratch, mut stats) = (Scratch::default(), LinkStats::default());
        let others = self
            .scored(p, &mut scratch, &mut stats)
            .into_iter()
            .find(|(r, _, _)| *r == right)
            .map_or(0.0, |(_, w, x)| w - x);
        (probability(w - others), c.swapped, self.model.evidence(&c), others)
    }
}

/// The one-to-one correction. A left record is at most one reference person, so
/// with candidates of prior-times-Bayes-factor odds O_1..O_n the probability that
/// candidate i is the match is O_i / (1 + Σ_j O_j): its odds are
/// O_i / (1 + Σ_{j≠i} O_j). Returned as log2 odds. Two equally good candidates
/// (a parent and child of the same name at one address, on a register without
/// dates of birth) thus get about 0.5 each instead of near certainty.
pub fn exclusive_weights(weights: &[f64]) -> Vec<f64> {
    let Some(max) = weights.iter().copied().reduce(f64::max) else { return Vec::new() };
    // Σ_j O_j scaled by 2^-max, and 1 likewise.
    let shift = max.max(0.0);
    let sum: f64 = weights.iter().map(|w| (w - shift).exp2()).sum();
    let one = (-shift).exp2();
    weights
        .iter()
        .map(|&w| {
            let others = (sum - (w - shift).exp2()).max(0.0) + one;
            w - (others.log2() + shift)
        })
        .collect()
}

/// Collects candidates of streamed left records and makes one-to-one decisions.
#[derive(Default)]
pub struct Assigner {
    /// (weight, left, right)
    entries: Vec<(f32, u32, u32)>,
}

impl Assigner {
    pub fn new() -> Self {
        Self::default()
    }

    /// Add the candidates of left record `left` (its position in the stream).
    pub fn push(&mut self, left: u32, candidates: &[Candidate]) {
        self.entries.extend(candidates.iter().map(|c| (c.weight as f32, left, c.right)));
    }

    /// Pairs held.
    pub fn len(&self) -> usize {
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// Greedy best-first one-to-one assignment: (left, right, weight), ordered by left.
    pub fn assign(mut self, right_len: usize) -> Vec<(u32, u32, f32)> {
        self.entries.sort_unstable_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)).then(a.2.cmp(&b.2)));
        let mut right_used = vec![0u64; right_len.div_ceil(64)];
        let mut left_done: Vec<u32> = Vec::new();
        let mut out = Vec::new();
        for (w, l, r) in self.entries {
            let bit = 1u64 << (r % 64);
            if right_used[r as usize / 64] & bit != 0 {
                continue;
            }
            if left_done.len() <= l as usize / 32 {
                left_done.resize(l as usize / 32 + 1, 0);
            }
            let lbit = 1u32 << (l % 32);
            if left_done[l as usize / 32] & lbit != 0 {
                continue;
            }
            right_used[r as usize / 64] |= bit;
            left_done[l as usize / 32] |= lbit;
            out.push((l, r, w));
        }
        out.sort_unstable_by_key(|&(l, _, _)| l);
        out
    }
}

/// Which input a bad row was in.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Side {
    Left,
    Right,
}

/// A row that could not be read (its position, not its content).
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("{side:?} record {index}: {error}")]
pub struct RowError {
    pub side: Side,
    pub index: usize,
    pub error: FieldError,
}

/// Everything the in-memory [`link`] needs.
#[derive(Debug, Clone)]
pub struct LinkConfig {
    pub options: Options,
    /// Decide a match at or above this probability.
    pub threshold: f64,
    pub train: TrainOptions,
}

/// The default threshold: see the crate docs.
pub const DEFAULT_THRESHOLD: f64 = 0.9;

impl Default for LinkConfig {
    fn default() -> Self {
        Self { options: Options::default(), threshold: DEFAULT_THRESHOLD, train: TrainOptions::default() }
    }
}

/// Build the reference side from records.
pub fn build_reference(right: &[InputRecord<'_>], options: &Options) -> Result<Reference, RowError> {
    let mut b = ReferenceBuilder::new();
    for (index, r) in right.iter().enumerate() {
        let p = Prepared::new(r, options).map_err(|error| RowError { side: Side::Right, index, error })?;
        b.push(r.id, &p);
    }
    Ok(b.finish())
}

/// Link two in-memory sets end to end (train on all of `left`, then decide):
/// one decision per matched left record, in left order, with evidence.
pub fn link(
    left: &[InputRecord<'_>],
    right: &[InputRecord<'_>],
    config: &LinkConfig,
) -> Result<(Vec<Decision>, Model, TrainReport), RowError> {
    let reference = build_reference(right, &config.options)?;
    let prepared: Vec<Prepared> = left
        .iter()
        .enumerate()
        .map(|(index, r)| {
            Prepared::new(r, &config.options).map_err(|error| RowError { side: Side::Left, index, error })
        })
        .collect::<Result<_, _>>()?;
    let (model, report) = train(&reference, &prepared, &config.train);
    let linker = Linker::new(&reference, &model, config.threshold);
    let mut assigner = Assigner::new();
    let (mut scratch, mut stats, mut cands) = (Scratch::default(), LinkStats::default(), Vec::new());
    for (i, p) in prepared.iter().enumerate() {
        linker.candidates(p, &mut scratch, &mut stats, &mut cands);
        assigner.push(i as u32, &cands);
    }
    let decisions = assigner
        .assign(reference.len())
        .into_iter()
        .map(|(l, r, _)| {
            let (probability, names_swapped, evidence, competing) = linker.explain(&prepared[l as usize], r);
            Decision {
                left: left[l as usize].id.to_owned(),
                right: reference.id(r).to_owned(),
                probability,
                prior_log2_odds: model.prior_weight(),
                competing_log2_odds: competing,
                names_swapped,
                evidence,
            }
        })
        .collect();
    Ok((decisions, model, report))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn exclusive_weights_share_the_odds() {
        assert!(exclusive_weights(&[]).is_empty());
        // Alone: log2(O / 1) = w.
        let one = exclusive_weights(&[10.0]);
        assert!((one[0] - 10.0).abs() < 1e-9);
        // Two equal strong candidates: about even odds each.
        let two = exclusive_weights(&[30.0, 30.0]);
        assert!(two[0].abs() < 1e-6 && two[1].abs() < 1e-6, "{two:?}");
        // A weak rival hardly matters.
        let x = exclusive_weights(&[20.0, -20.0]);
        assert!((x[0] - 20.0).abs() < 1e-3 && x[1] < -39.0);
    }
}
