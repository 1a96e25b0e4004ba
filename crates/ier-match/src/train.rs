//! Unsupervised training (as Splink does it), from a sample of left records
//! against the whole reference:
//!
//! 1. **u** from random pairs (sample × reference, default 1M pairs): the share
//!    of each level among them (nearly all non-matches), with a half-count
//!    pseudo-count so unseen levels keep a small probability.
//! 2. **m** by expectation–maximisation over pairs from training blocking rules
//!    that cannot learn households instead of people. Each session leaves out
//!    (fixes) the fields its rule is made of, estimates m of the others, and
//!    starts from the previous sessions' values; the final m of a field is the
//!    mean over the sessions that estimated it:
//!    - `nino`: pairs sharing the identifier → every field but the identifier;
//!    - `dob`: pairs sharing a date of birth → names, middle names, identifier, address
//!      (household members rarely share a date of birth; twins have other names);
//!    - `names`: pairs with the same given name and surname → date of birth,
//!      identifier, middle names, address (household members have other given names);
//!    - `postcode`, only when neither identifier nor date of birth is there
//!      (confirmation registers): pairs sharing a postcode → given name, surname, middle names.
//!      This block holds households; the given name, which differs within one, is
//!      what EM separates them by (see the crate docs' limitations).
//!
//!    Each session's block is sampled to about `session_pairs` pairs (left
//!    records are taken evenly from the sample; very large name blocks are skipped;
//!    a session that still finds more than twice that, because names and places
//!    are not independent, keeps a random share of its left records).
//! 3. **λ** (the prior): a session blocked on rule R finds E\[matches\] pairs; R
//!    keeps a share recall(R) of true matches (both sides present × m of the
//!    agreeing levels, from the other sessions), so matches per left record ≈
//!    E\[matches\] / (left records used × recall(R)); λ = that / reference size,
//!    averaged over the `nino`, `dob` and `postcode` sessions.

use crate::compare::{Field, LeftView, MISSING, NFIELDS, compare};
use crate::hash::{FastMap, mix};
use crate::model::{Model, Patterns, expectation_maximisation};
use crate::parallel::par_chunks;
use crate::record::Prepared;
use crate::reference::Reference;

/// Training knobs.
#[derive(Debug, Clone)]
pub struct TrainOptions {
    /// Random pairs for u.
    pub u_pairs: usize,
    /// Target pairs per EM session.
    pub session_pairs: usize,
    /// Seed for the random pairs.
    pub seed: u64,
    /// EM iterations per session, at most.
    pub max_iterations: usize,
}

impl Default for TrainOptions {
    fn default() -> Self {
        Self { u_pairs: 1_000_000, session_pairs: 1_000_000, seed: 0x1E2_3A7C4, max_iterations: 40 }
    }
}

/// What one EM session did (counts only).
#[derive(Debug, Clone)]
pub struct SessionReport {
    pub rule: &'static str,
    pub left_records: usize,
    pub pairs: usize,
    pub lambda: f64,
    pub expected_matches: f64,
    pub iterations: usize,
    pub estimated: Vec<Field>,
    /// This session's estimate of matches per left record, if it gives one.
    pub matches_per_left: Option<f64>,
}

/// What training did.
#[derive(Debug, Clone)]
pub struct TrainReport {
    pub sample: usize,
    pub u_pairs: usize,
    pub sessions: Vec<SessionReport>,
    pub matches_per_left: f64,
}

impl std::fmt::Display for TrainReport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        writeln!(f, "trained on {} left records, u from {} random pairs", self.sample, self.u_pairs)?;
        for s in &self.sessions {
            let fields: Vec<&str> = s.estimated.iter().map(|f| f.name()).collect();
            writeln!(
                f,
                "  EM on {:<9} {:>8} pairs from {:>7} left records: {} iterations, session λ {:.4}, m of {}{}",
                s.rule,
                s.pairs,
                s.left_records,
                s.iterations,
                s.lambda,
                fields.join(", "),
                s.matches_per_left.map(|m| format!(", {m:.3} matches per left record")).unwrap_or_default()
            )?;
        }
        write!(f, "  estimated matches per left record: {:.4}", self.matches_per_left)
    }
}

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Session {
    Nino,
    Dob,
    Names,
    PostcodeSurname,
    PostcodeGiven,
}

impl Session {
    const ALL: [Session; 5] =
        [Session::Nino, Session::Dob, Session::Names, Session::PostcodeSurname, Session::PostcodeGiven];

    fn name(self) -> &'static str {
        match self {
            Session::Nino => "nino",
            Session::Dob => "dob",
            Session::Names => "names",
            Session::PostcodeSurname => "postcode+surname",
            Session::PostcodeGiven => "postcode+given",
        }
    }

    /// The fields the rule is made of (not estimated, left out of the session's EM).
    fn fixed(self) -> &'static [Field] {
        match self {
            Session::Nino => &[Field::Nino],
            Session::Dob => &[Field::DateOfBirth],
            Session::Names => &[Field::GivenName, Field::Surname],
            Session::PostcodeSurname => &[Field::Address, Field::Surname],
            Session::PostcodeGiven => &[Field::Address, Field::GivenName],
        }
    }

    /// The block key of a reference record (None: not in any block).
    fn right_key(self, r: &crate::reference::Rec) -> Option<u64> {
        let pair = |a: u32, b: u32| (a != 0 && b != 0).then_some(u64::from(a) << 32 | u64::from(b));
        match self {
            Session::Nino => (r.nino != 0).then_some(r.nino),
            Session::Dob => (r.dob != 0).then_some(u64::from(r.dob)),
            Session::Names => pair(r.given, r.surname),
            Session::PostcodeSurname => pair(r.postcode, r.surname),
            Session::PostcodeGiven => pair(r.postcode, r.given),
        }
    }
}

/// How many pairs ahead training asks for a reference record.
const AHEAD: usize = 8;

fn comparisons_to_patterns(reference: &Reference, views: &[LeftView<'_>], pairs: &[(u32, u32)]) -> Patterns {
    let parts = par_chunks(pairs, 1 << 14, |chunk| {
        let mut p: FastMap<[u8; NFIELDS], u64> = FastMap::default();
        for (i, &(l, r)) in chunk.iter().enumerate() {
            // Rights are random reads: ask for one a few pairs ahead.
            if let Some(&(_, ahead)) = chunk.get(i + 3 * AHEAD) {
                reference.prefetch_rec(ahead);
            }
            if let Some(&(_, ahead)) = chunk.get(i + 2 * AHEAD) {
                reference.prefetch_string_ends(ahead);
            }
            if let Some(&(_, ahead)) = chunk.get(i + AHEAD) {
                reference.prefetch_string_bytes(ahead);
            }
            *p.entry(compare(reference, &views[l as usize], r).levels).or_default() += 1;
        }
        vec![p]
    });
    let mut out = Patterns::new();
    for p in parts {
        for (k, v) in p {
            *out.entry(k).or_default() += v;
        }
    }
    out
}

/// Train a model. `sample` should be a few tens of thousands of left records or more.
pub fn train(reference: &Reference, sample: &[Prepared], options: &TrainOptions) -> (Model, TrainReport) {
    let n_r = reference.len().max(1);
    let mut model = Model::with_defaults(1.0 / n_r as f64);
    let mut report = TrainReport { sample: sample.len(), u_pairs: 0, sessions: Vec::new(), matches_per_left: 1.0 };
    if sample.is_empty() || reference.is_empty() {
        return (model, report);
    }
    let positions: Vec<u32> = (0..sample.len() as u32).collect();
    let views: Vec<LeftView<'_>> = par_chunks(&positions, 1 << 12, |chunk| {
        chunk.iter().map(|&i| LeftView::new(reference, &sample[i as usize])).collect()
    });

    // 1. u from random pairs.
    let n_u = options.u_pairs.min(sample.len().saturating_mul(reference.len())).max(1);
    let idx: Vec<u32> = (0..n_u as u32).collect();
    let counts = par_chunks(&idx, 1 << 15, |chunk| {
        let mut c: Vec<Vec<u64>> = Field::ALL.iter().map(|f| vec![0; f.levels().len()]).collect();
        let right_of = |i: u32| (mix(options.seed ^ u64::from(i)) % reference.len() as u64) as u32;
        for &i in chunk {
            // Consecutive pairs share a left record (memory locality); rights are random
            // (asked for in stages, a few pairs ahead).
            reference.prefetch_rec(right_of(i.wrapping_add(3 * AHEAD as u32)));
            reference.prefetch_string_ends(right_of(i.wrapping_add(2 * AHEAD as u32)));
            reference.prefetch_string_bytes(right_of(i.wrapping_add(AHEAD as u32)));
            let l = (u64::from(i) * sample.len() as u64 / n_u as u64) as usize;
            let r = right_of(i);
            let cmp = compare(reference, &views[l], r);
            for f in 0..NFIELDS {
                if cmp.levels[f] != MISSING {
                    c[f][cmp.levels[f] as usize] += 1;
                }
            }
        }
        vec![c]
    });
    let mut total: Vec<Vec<u64>> = Field::ALL.iter().map(|f| vec![0; f.levels().len()]).collect();
    for c in counts {
        for f in 0..NFIELDS {
            for (t, x) in total[f].iter_mut().zip(&c[f]) {
                *t += x;
            }
        }
    }
    for (f, counts) in total.iter().enumerate() {
        let sum: u64 = counts.iter().sum();
        if sum > 0 {
            let k = counts.len() as f64;
            model.u[f] = counts.iter().map(|&c| (c as f64 + 0.5) / (sum as f64 + 0.5 * k)).collect();
        }
    }
    report.u_pairs = n_u;

    // 2. Training blocks: choose left records per session, then one scan of the reference.
    // Without identifier and date of birth (confirmation registers) the names are
    // trained on postcode blocks that also fix one name, so that a household's
    // other members (same surname, other given name; or other surname) cannot pass for matches.
    let target = options.session_pairs.max(1000);
    let confirmation = (reference.with_nino == 0 || !sample.iter().any(|p| p.nino != 0))
        && (reference.with_dob == 0 || !sample.iter().any(|p| p.dob != 0));
    let dob_block = (model.u[Field::DateOfBirth as usize][0] * n_r as f64).max(1.0);
    let count = |v: &[u32], id: u32| f64::from(v[id as usize]);
    let mut plans: Vec<(Session, FastMap<u64, Vec<u32>>, usize)> = Vec::new();
    for session in Session::ALL {
        if matches!(session, Session::PostcodeSurname | Session::PostcodeGiven) && !confirmation {
            continue;
        }
        // (left, its key, its expected block size)
        let mut eligible: Vec<(u32, u64, f64)> = Vec::new();
        for (i, (p, v)) in sample.iter().zip(&views).enumerate() {
            let (g, s, pc) = (v.ids().0, v.ids().2, v.ids().4);
            let ok = |id: u32| id != 0 && id != u32::MAX;
            let entry = match session {
                Session::Nino => (p.nino != 0).then_some((p.nino, 1.0)),
                Session::Dob => (p.dob != 0).then(|| (u64::from(p.dob), dob_block)),
                Session::Names => (ok(g) && ok(s)).then(|| {
                    let block = count(&reference.given_count, g) * count(&reference.surname_count, s) / n_r as f64;
                    (u64::from(g) << 32 | u64::from(s), block)
                }),
                Session::PostcodeSurname => (ok(pc) && ok(s) && count(&reference.postcode_count, pc) <= 200.0)
                    .then(|| (u64::from(pc) << 32 | u64::from(s), 1.0)),
                Session::PostcodeGiven => (ok(pc) && ok(g) && count(&reference.postcode_count, pc) <= 200.0)
                    .then(|| (u64::from(pc) << 32 | u64::from(g), 1.0)),
            };
            // Very common names would fill the names session with a few huge blocks.
            if let Some((key, block)) = entry
                && (session != Session::Names || block <= 20.0)
            {
                eligible.push((i as u32, key, block.max(1.0)));
            }
        }
        if eligible.is_empty() {
            continue;
        }
        let avg = eligible.iter().map(|e| e.2).sum::<f64>() / eligible.len() as f64;
        let wanted = ((target as f64 / avg) as usize).max(1);
        let chosen: Vec<&(u32, u64, f64)> = if eligible.len() <= wanted {
            eligible.iter().collect()
        } else {
            let step = eligible.len() as f64 / wanted as f64;
            (0..wanted).map(|i| &eligible[(i as f64 * step) as usize]).collect()
        };
        let mut map: FastMap<u64, Vec<u32>> = FastMap::default();
        for (i, key, _) in &chosen {
            map.entry(*key).or_default().push(*i);
        }
        plans.push((session, map, chosen.len()));
    }
    let rights: Vec<u32> = (0..reference.len() as u32).collect();
    let found = par_chunks(&rights, 1 << 16, |chunk| {
        let mut pairs: Vec<Vec<(u32, u32)>> = vec![Vec::new(); plans.len()];
        for &r in chunk {
            let rec = &reference.recs[r as usize];
            for (k, (session, map, _)) in plans.iter().enumerate() {
                if let Some(key) = session.right_key(rec)
                    && let Some(ls) = map.get(&key)
                {
                    pairs[k].extend(ls.iter().map(|&l| (l, r)));
                }
            }
        }
        vec![pairs]
    });
    let mut pairs: Vec<Vec<(u32, u32)>> = vec![Vec::new(); plans.len()];
    for part in found {
        for (all, p) in pairs.iter_mut().zip(part) {
            all.extend(p);
        }
    }
    // Block sizes were estimated as if names and places were independent; where a
    // session found far more pairs than asked for, keep a random share of its left
    // records (all of their pairs), so that every session costs about the same.
    let mut used_counts: Vec<usize> = plans.iter().map(|p| p.2).collect();
    for (k, p) in pairs.iter_mut().enumerate() {
        if p.len() > 2 * target {
            let share = target as f64 / p.len() as f64;
            let salt = options.seed ^ 0x5E55_10A5 ^ k as u64;
            let keep = |l: u32| (mix(salt ^ u64::from(l)) >> 11) as f64 / (1u64 << 53) as f64 <= share;
            p.retain(|&(l, _)| keep(l));
            used_counts[k] = plans[k].1.values().flatten().filter(|&&l| keep(l)).count();
        }
        p.sort_unstable();
    }

    // EM sessions in order; running mean of each field's estimates.
    let mut sums: Vec<Option<(Vec<f64>, u32)>> = vec![None; NFIELDS];
    let mut results: Vec<(Session, f64, usize)> = Vec::new();
    for (k, ((session, _, _), used)) in plans.iter().zip(&used_counts).enumerate() {
        if pairs[k].len() < 200 {
            continue;
        }
        let patterns = comparisons_to_patterns(reference, &views, &pairs[k]);
        let mut free = [true; NFIELDS];
        for f in session.fixed() {
            free[*f as usize] = false;
        }
        let (m, lambda, expected, iterations) =
            expectation_maximisation(&patterns, &model, free, options.max_iterations);
        let mut estimated = Vec::new();
        for (f, est) in m.into_iter().enumerate() {
            if let Some(est) = est {
                estimated.push(Field::ALL[f]);
                let entry = sums[f].get_or_insert_with(|| (vec![0.0; est.len()], 0));
                for (a, b) in entry.0.iter_mut().zip(&est) {
                    *a += b;
                }
                entry.1 += 1;
                model.m[f] = entry.0.iter().map(|x| x / f64::from(entry.1)).collect();
                model.m_sessions[f] = entry.1;
            }
        }
        results.push((*session, expected, *used));
        report.sessions.push(SessionReport {
            rule: session.name(),
            left_records: *used,
            pairs: pairs[k].len(),
            lambda,
            expected_matches: expected,
            iterations,
            estimated,
            matches_per_left: None,
        });
    }

    // 3. λ from the sessions whose recall can be computed.
    let share = |n: usize| n as f64 / n_r as f64;
    let mut estimates = Vec::new();
    for (i, (session, expected, used)) in results.iter().enumerate() {
        let recall = match session {
            Session::Nino => share(reference.with_nino) * model.m[Field::Nino as usize][0],
            Session::Dob => share(reference.with_dob) * model.m[Field::DateOfBirth as usize][0],
            Session::PostcodeSurname | Session::PostcodeGiven => {
                let m = &model.m[Field::Address as usize];
                let name = if *session == Session::PostcodeSurname { Field::Surname } else { Field::GivenName };
                share(reference.with_postcode) * (m[0] + m[1] + m[3]) * model.m[name as usize][0]
            }
            Session::Names => continue,
        };
        if recall > 0.0 && *used > 0 {
            let mpl = (expected / (*used as f64 * recall)).clamp(1e-4, 1.0);
            report.sessions[i].matches_per_left = Some(mpl);
            estimates.push(mpl);
        }
    }
    if !estimates.is_empty() {
        report.matches_per_left = estimates.iter().sum::<f64>() / estimates.len() as f64;
    }
    model.lambda = (report.matches_per_left / n_r as f64).clamp(1e-12, 0.5);
    (model, report)
}
