//! Linking: candidates from the blocking rules, scored by the model, and
//! one-to-one decisions (each left and each right record used at most once:
//! all candidate pairs at or above the threshold, best match weight first,
//! greedily; ties by left then right position).

use crate::blocking::{BlockIndex, KeyParts, MAX_BLOCK, Rule};
use crate::compare::{LeftView, compare};
use crate::fields::FieldError;
use crate::intern::Interner;
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
    /// The first of the reference records among this left record's candidates that
    /// are one person recorded twice ([`Reference::same_person`]) with this one
    /// (`right` itself when there is none): the others are its possible duplicates.
    pub group: u32,
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
    /// Other reference records of the same person (possible duplicates in the reference).
    pub possible_duplicates: Vec<String>,
}

/// Records in flight in [`Linker::candidates_each`]: one at each stage of a look-up.
const DEPTH: usize = 6;

/// One record's look-ups as they pass through the stages of [`Linker::candidates_each`].
#[derive(Default)]
struct Slot {
    /// (rule, key, bucket start, bucket end) of every look-up of the record.
    lookups: Vec<(u8, u32, usize, usize)>,
    /// The reference records sharing a block with it (deduplicated, ascending).
    rights: Vec<u32>,
    /// Hashes of its address and postcode, looked up in the reference's pools.
    pools: [u64; 2],
}

/// Reusable buffers for [`Linker::candidates`] and [`Linker::candidates_each`].
#[derive(Default)]
pub struct Scratch {
    key_parts: KeyParts,
    keys: Vec<u32>,
    slots: [Slot; DEPTH],
    weights: Vec<f64>,
    exclusive: Vec<f64>,
    /// Each weighed right's group (see [`Candidate::group`]), by position.
    groups: Vec<u32>,
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

    // A look-up of one record is a chain of dependent random reads: block directory,
    // then bucket, then the candidate records, then their names. Each stage below
    // asks for what the next one reads; [`Linker::candidates_each`] runs the stages
    // of several records at once, so the reads of one overlap the work of another.

    /// Stage 1: every key of every rule; ask for their directory slots.
    fn stage_keys(&self, p: &Prepared, kp: &mut KeyParts, keys: &mut Vec<u32>, slot: &mut Slot) {
        kp.set_query(p.given(), p.surname(), p.dob, p.nino, p.postcode(), p.town());
        slot.lookups.clear();
        // The two large pools [`LeftView::new`] looks the record up in, asked for in stages too.
        slot.pools = [Interner::hash_of(p.address()), Interner::hash_of(p.postcode())];
        self.reference.addresses.prefetch_slot(slot.pools[0]);
        self.reference.postcodes.prefetch_slot(slot.pools[1]);
        let blocks = &self.reference.blocks;
        for (i, rule) in Rule::ALL.iter().enumerate() {
            keys.clear();
            kp.keys(*rule, keys);
            keys.sort_unstable();
            keys.dedup();
            for &k in keys.iter() {
                blocks[i].prefetch_dir(k);
                slot.lookups.push((i as u8, k, 0, 0));
            }
        }
    }

    /// Stage 2: read the directory slots; ask for the buckets.
    fn stage_buckets(&self, slot: &mut Slot) {
        self.reference.addresses.prefetch_candidate(slot.pools[0]);
        self.reference.postcodes.prefetch_candidate(slot.pools[1]);
        let blocks = &self.reference.blocks;
        for l in &mut slot.lookups {
            let index = &blocks[l.0 as usize];
            (l.2, l.3) = index.bucket(l.1);
            index.prefetch_bucket(l.2, l.3);
        }
    }

    /// Stage 3: read the buckets into the candidate records; ask for those records.
    fn stage_rights(&self, slot: &mut Slot, stats: &mut LinkStats) {
        self.reference.addresses.prefetch_candidate_bytes(slot.pools[0]);
        self.reference.postcodes.prefetch_candidate_bytes(slot.pools[1]);
        let blocks = &self.reference.blocks;
        slot.rights.clear();
        for &(i, k, lo, hi) in &slot.lookups {
            let run = blocks[i as usize].run_in(k, lo, hi);
            if run.len() > MAX_BLOCK {
                stats.blocks_skipped += 1;
                continue;
            }
            slot.rights.extend(BlockIndex::records(run));
        }
        slot.rights.sort_unstable();
        slot.rights.dedup();
        for &r in &slot.rights {
            self.reference.prefetch_rec(r);
        }
    }

    /// Stage 4: read the candidate records; ask for where their names and postcodes lie.
    fn stage_recs(&self, rights: &[u32]) {
        for &r in rights {
            self.reference.prefetch_string_ends(r);
        }
    }

    /// Stage 5: ask for the candidates' names and postcodes themselves.
    fn stage_strings(&self, rights: &[u32]) {
        for &r in rights {
            self.reference.prefetch_string_bytes(r);
        }
    }

    /// The reference records sharing a block with `p` (deduplicated, ascending).
    pub fn blocked<'s>(&self, p: &Prepared, scratch: &'s mut Scratch, stats: &mut LinkStats) -> &'s [u32] {
        let slot = &mut scratch.slots[0];
        self.stage_keys(p, &mut scratch.key_parts, &mut scratch.keys, slot);
        self.stage_buckets(slot);
        self.stage_rights(slot, stats);
        &slot.rights
    }

    /// Weights of `p` against `rights`: the Fellegi–Sunter weight of each into
    /// `weights`, its group into `groups` ([`Linker::group`]) and the weight after the
    /// one-to-one correction into `exclusive` (records of one group are one person:
    /// they do not count against each other).
    fn weigh(
        &self,
        p: &Prepared,
        rights: &[u32],
        weights: &mut Vec<f64>,
        exclusive: &mut Vec<f64>,
        groups: &mut Vec<u32>,
        stats: &mut LinkStats,
    ) {
        stats.pairs_compared += rights.len() as u64;
        let view = LeftView::new(self.reference, p);
        weights.clear();
        weights.extend(rights.iter().map(|&r| self.model.weight(&compare(self.reference, &view, r))));
        if self.group(rights, weights, groups) {
            exclusive_weights_grouped_into(weights, groups, exclusive);
        } else {
            exclusive_weights_into(weights, exclusive);
        }
    }

    /// Group the strong candidates that are one person recorded twice: `groups[i]`
    /// is the first such right of `rights[i]`'s group (itself when alone). Only
    /// candidates that could reach the threshold are compared with each other.
    /// Whether any two were grouped.
    fn group(&self, rights: &[u32], weights: &[f64], groups: &mut Vec<u32>) -> bool {
        groups.clear();
        groups.extend_from_slice(rights);
        let mut strong = [0usize; 8];
        let mut n = 0;
        let mut grouped = false;
        for i in (0..rights.len()).filter(|&i| weights[i] >= self.min_weight) {
            if let Some(&j) = strong[..n].iter().find(|&&j| self.reference.same_person(rights[j], rights[i])) {
                groups[i] = groups[j];
                grouped = true;
            }
            if n < strong.len() {
                strong[n] = i;
                n += 1;
            }
        }
        grouped
    }

    /// Every blocked candidate with its Fellegi–Sunter weight and its weight
    /// after the one-to-one correction (see [`exclusive_weights`]), in reference order.
    pub fn scored(&self, p: &Prepared, scratch: &mut Scratch, stats: &mut LinkStats) -> Vec<(u32, f64, f64)> {
        self.blocked(p, scratch, stats);
        let Scratch { slots, weights, exclusive, groups, .. } = scratch;
        self.weigh(p, &slots[0].rights, weights, exclusive, groups, stats);
        slots[0].rights.iter().zip(weights.iter()).zip(exclusive.iter()).map(|((&r, &w), &x)| (r, w, x)).collect()
    }

    /// The best candidates of the weighed rights (at most [`KEEP_PER_LEFT`], at or above the threshold).
    fn choose(&self, rights: &[u32], exclusive: &[f64], groups: &[u32], out: &mut Vec<Candidate>) {
        out.clear();
        for ((&right, &weight), &group) in rights.iter().zip(exclusive).zip(groups) {
            if weight >= self.min_weight {
                out.push(Candidate { right, weight, group });
            }
        }
        out.sort_unstable_by(|a, b| b.weight.total_cmp(&a.weight).then(a.right.cmp(&b.right)));
        out.truncate(KEEP_PER_LEFT);
    }

    /// The best candidates (at most [`KEEP_PER_LEFT`], at or above the threshold after
    /// the one-to-one correction), best first; `weight` is the corrected one.
    pub fn candidates(&self, p: &Prepared, scratch: &mut Scratch, stats: &mut LinkStats, out: &mut Vec<Candidate>) {
        stats.left_records += 1;
        self.blocked(p, scratch, stats);
        let Scratch { slots, weights, exclusive, groups, .. } = scratch;
        self.weigh(p, &slots[0].rights, weights, exclusive, groups, stats);
        self.choose(&slots[0].rights, exclusive, groups, out);
    }

    /// [`Linker::candidates`] of `n` records (`record(i)` is the i-th), handed to
    /// `each(i, candidates)` in order: the same results, faster, because the
    /// look-ups of [`DEPTH`] records are in flight at once.
    pub fn candidates_each<'p>(
        &self,
        n: usize,
        record: impl Fn(usize) -> &'p Prepared,
        scratch: &mut Scratch,
        stats: &mut LinkStats,
        mut each: impl FnMut(usize, &[Candidate]),
    ) {
        let mut out = Vec::with_capacity(KEEP_PER_LEFT * 4);
        let Scratch { key_parts, keys, slots, weights, exclusive, groups } = scratch;
        for t in 0..n + DEPTH - 1 {
            if t < n {
                self.stage_keys(record(t), key_parts, keys, &mut slots[t % DEPTH]);
            }
            if let Some(j) = t.checked_sub(1).filter(|&j| j < n) {
                self.stage_buckets(&mut slots[j % DEPTH]);
            }
            if let Some(j) = t.checked_sub(2).filter(|&j| j < n) {
                self.stage_rights(&mut slots[j % DEPTH], stats);
            }
            if let Some(j) = t.checked_sub(3).filter(|&j| j < n) {
                self.stage_recs(&slots[j % DEPTH].rights);
            }
            if let Some(j) = t.checked_sub(4).filter(|&j| j < n) {
                self.stage_strings(&slots[j % DEPTH].rights);
            }
            if let Some(j) = t.checked_sub(DEPTH - 1) {
                stats.left_records += 1;
                let rights = &slots[j % DEPTH].rights;
                self.weigh(record(j), rights, weights, exclusive, groups, stats);
                self.choose(rights, exclusive, groups, &mut out);
                each(j, &out);
            }
        }
    }

    /// The evidence for a pair, from one look-up of the left record's candidates.
    pub fn explain(&self, p: &Prepared, right: u32) -> Explained {
        let view = LeftView::new(self.reference, p);
        let c = compare(self.reference, &view, right);
        let w = self.model.weight(&c);
        let (mut scratch, mut stats) = (Scratch::default(), LinkStats::default());
        let scored = self.scored(p, &mut scratch, &mut stats);
        let at = scored.iter().position(|(r, _, _)| *r == right);
        let others = at.map_or(0.0, |i| scored[i].1 - scored[i].2);
        let groups = &scratch.groups;
        let possible_duplicates = at.map_or_else(Vec::new, |i| {
            scored.iter().zip(groups).filter(|&(s, &g)| g == groups[i] && s.0 != right).map(|(s, _)| s.0).collect()
        });
        Explained {
            probability: probability(w - others),
            names_swapped: c.swapped,
            evidence: self.model.evidence(&c),
            competing_log2_odds: others,
            possible_duplicates,
        }
    }
}

impl Linker<'_> {
    /// Score `records` on all cores ([`crate::parallel`]): the candidates of those that have any.
    pub fn score_all(&self, records: &[Prepared]) -> (Scored, LinkStats) {
        const PART: usize = 1024;
        let starts: Vec<usize> = (0..records.len()).step_by(PART).collect();
        let parts = crate::parallel::par_chunks(&starts, 1, |start| {
            let (start, (mut scratch, mut stats)) = (start[0], (Scratch::default(), LinkStats::default()));
            let part = &records[start..(start + PART).min(records.len())];
            let mut out = Scored::default();
            self.candidates_each(
                part.len(),
                |i| &part[i],
                &mut scratch,
                &mut stats,
                |i, cands| {
                    if !cands.is_empty() {
                        out.candidates.extend_from_slice(cands);
                        out.records.push((start + i, out.candidates.len()));
                    }
                },
            );
            vec![(out, stats)]
        });
        let mut all = Scored::default();
        let mut stats = LinkStats::default();
        for (out, s) in parts {
            let base = all.candidates.len();
            all.records.extend(out.records.iter().map(|&(i, end)| (i, end + base)));
            all.candidates.extend(out.candidates);
            stats.add(&s);
        }
        (all, stats)
    }
}

/// The candidates of a set of records that have any ([`Linker::score_all`]).
#[derive(Debug, Default)]
pub struct Scored {
    /// (the record's position in the set, where its candidates end in `candidates`).
    pub records: Vec<(usize, usize)>,
    pub candidates: Vec<Candidate>,
}

/// One left record's outcome in [`link_prepared`].
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Linked {
    /// The reference record's position.
    pub right: u32,
    /// The decision's probability (after the one-to-one correction).
    pub probability: f64,
    /// Whether the reference holds this person more than once (possible duplicates).
    pub duplicated: bool,
}

/// Link a whole set of prepared records to `reference` with `model`, as `ier match link`
/// does for a file: score on all cores in parts of `part`, calling `progress(records
/// scored)` after each, then decide one-to-one. One outcome per record, in order
/// (`None`: no match at or above `threshold`).
pub fn link_prepared(
    reference: &Reference,
    records: &[Prepared],
    model: &Model,
    threshold: f64,
    part: usize,
    mut progress: impl FnMut(usize),
) -> (Vec<Option<Linked>>, LinkStats) {
    let linker = Linker::new(reference, model, threshold);
    let mut assigner = Assigner::new();
    let mut stats = LinkStats::default();
    let mut duplicated = vec![false; records.len()];
    let mut done = 0;
    for chunk in records.chunks(part.max(1)) {
        let (scored, s) = linker.score_all(chunk);
        stats.add(&s);
        let mut start = 0;
        for (i, end) in scored.records {
            let cands = &scored.candidates[start..end];
            assigner.push((done + i) as u32, cands);
            duplicated[done + i] = cands.iter().any(|c| c.group != c.right);
            start = end;
        }
        done += chunk.len();
        progress(done);
    }
    let mut out = vec![None; records.len()];
    for (l, r, w) in assigner.assign(reference.len()) {
        let l = l as usize;
        out[l] = Some(Linked { right: r, probability: probability(f64::from(w)), duplicated: duplicated[l] });
    }
    (out, stats)
}

/// What [`Linker::explain`] says of a pair.
#[derive(Debug, Clone, PartialEq)]
pub struct Explained {
    /// The decision's probability, after the one-to-one correction.
    pub probability: f64,
    /// Whether given name and surname were read the other way round.
    pub names_swapped: bool,
    pub evidence: Vec<FieldEvidence>,
    /// log2 odds taken off for the left record's other candidates.
    pub competing_log2_odds: f64,
    /// The other reference records of the right one's group among the left record's
    /// candidates: the same person recorded again.
    pub possible_duplicates: Vec<u32>,
}

/// The one-to-one correction. A left record is at most one reference person, so
/// with candidates of prior-times-Bayes-factor odds O_1..O_n the probability that
/// candidate i is the match is O_i / (1 + Σ_j O_j): its odds are
/// O_i / (1 + Σ_{j≠i} O_j). Returned as log2 odds. Two equally good candidates
/// (a parent and child of the same name at one address, on a register without
/// dates of birth) thus get about 0.5 each instead of near certainty.
pub fn exclusive_weights(weights: &[f64]) -> Vec<f64> {
    let mut out = Vec::with_capacity(weights.len());
    exclusive_weights_into(weights, &mut out);
    out
}

/// [`exclusive_weights`] where the candidates of one group (`groups[i]`, the
/// group's label) are one person: a candidate's odds are O_i / (1 + Σ O_j over the
/// candidates of other groups), so a person recorded twice in the reference does not
/// halve the odds of either record.
fn exclusive_weights_grouped_into(weights: &[f64], groups: &[u32], out: &mut Vec<f64>) {
    out.clear();
    let Some(max) = weights.iter().copied().reduce(f64::max) else { return };
    let shift = max.max(0.0);
    let sum: f64 = weights.iter().map(|w| (w - shift).exp2()).sum();
    let one = (-shift).exp2();
    out.extend(weights.iter().zip(groups).map(|(&w, g)| {
        let own: f64 = weights.iter().zip(groups).filter(|(_, h)| *h == g).map(|(v, _)| (v - shift).exp2()).sum();
        let others = (sum - own).max(0.0) + one;
        w - (others.log2() + shift)
    }));
}

/// [`exclusive_weights`] into a reused buffer.
fn exclusive_weights_into(weights: &[f64], out: &mut Vec<f64>) {
    out.clear();
    let Some(max) = weights.iter().copied().reduce(f64::max) else { return };
    // Σ_j O_j scaled by 2^-max, and 1 likewise.
    let shift = max.max(0.0);
    let sum: f64 = weights.iter().map(|w| (w - shift).exp2()).sum();
    let one = (-shift).exp2();
    out.extend(weights.iter().map(|&w| {
        let others = (sum - (w - shift).exp2()).max(0.0) + one;
        w - (others.log2() + shift)
    }));
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
    let (mut scratch, mut stats) = (Scratch::default(), LinkStats::default());
    linker.candidates_each(
        prepared.len(),
        |i| &prepared[i],
        &mut scratch,
        &mut stats,
        |i, cands| {
            assigner.push(i as u32, cands);
        },
    );
    let decisions = assigner
        .assign(reference.len())
        .into_iter()
        .map(|(l, r, _)| {
            let e = linker.explain(&prepared[l as usize], r);
            Decision {
                left: left[l as usize].id.to_owned(),
                right: reference.id(r).to_owned(),
                probability: e.probability,
                prior_log2_odds: model.prior_weight(),
                competing_log2_odds: e.competing_log2_odds,
                names_swapped: e.names_swapped,
                evidence: e.evidence,
                possible_duplicates: e.possible_duplicates.into_iter().map(|d| reference.id(d).to_owned()).collect(),
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
