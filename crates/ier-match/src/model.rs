//! The Fellegi–Sunter model: per field and level, m = P(level | match) and
//! u = P(level | non-match); the prior λ = P(match) for a random pair; match
//! weight = log2(λ/(1-λ)) + Σ log2(m/u), with the term-frequency adjustment for
//! exact names (u replaced by the share of reference records with that value);
//! probability = 2^w / (1 + 2^w).

use crate::compare::{Comparison, Field, MISSING, NFIELDS};

/// Smallest probability a parameter may take (keeps logs finite).
pub const FLOOR: f64 = 1e-7;

/// The most a pair of two people ([`Comparison::another_person`]) may weigh:
/// a probability of about one in a million, far below any threshold.
pub const ANOTHER_PERSON_WEIGHT: f64 = -20.0;

/// Model parameters.
#[derive(Debug, Clone, PartialEq)]
pub struct Model {
    /// m per field and level.
    pub m: [Vec<f64>; NFIELDS],
    /// u per field and level.
    pub u: [Vec<f64>; NFIELDS],
    /// P(two random records match).
    pub lambda: f64,
    /// Whether exact names use term-frequency adjusted u.
    pub term_frequency: bool,
    /// How each m was obtained (for the report): estimated in how many sessions.
    pub m_sessions: [u32; NFIELDS],
}

/// The evidence one field gives for a pair.
#[derive(Debug, Clone, PartialEq)]
pub struct FieldEvidence {
    pub field: Field,
    /// The comparison level's name ("missing" when either side is empty).
    pub level: &'static str,
    /// log2 of the Bayes factor m/u (0 for missing), term-frequency adjusted.
    pub log2_bayes_factor: f64,
}

/// Defaults used where a field's m cannot be estimated from the data.
pub fn default_m(field: Field) -> Vec<f64> {
    match field {
        Field::GivenName => vec![0.88, 0.05, 0.03, 0.02, 0.02],
        Field::MiddleNames => vec![0.85, 0.10, 0.05],
        Field::Surname => vec![0.82, 0.03, 0.03, 0.02, 0.10],
        Field::DateOfBirth => vec![0.95, 0.01, 0.03, 0.01],
        Field::Nino => vec![0.97, 0.02, 0.01],
        Field::Address => vec![0.55, 0.05, 0.02, 0.03, 0.10, 0.10, 0.15],
    }
}

impl Model {
    /// A model with default m, uniform-ish u and the given λ (training replaces them).
    pub fn with_defaults(lambda: f64) -> Self {
        let m = Field::ALL.map(default_m);
        let u = Field::ALL.map(|f| {
            let k = f.levels().len();
            let mut u = vec![0.01 / (k - 1) as f64; k];
            u[k - 1] = 0.99;
            u
        });
        Model { m, u, lambda, term_frequency: true, m_sessions: [0; NFIELDS] }
    }

    /// log2(λ / (1 - λ)).
    pub fn prior_weight(&self) -> f64 {
        (self.lambda / (1.0 - self.lambda)).log2()
    }

    /// The evidence of one field at a level (with the pair's term frequencies).
    pub fn field_weight(&self, f: usize, level: u8, c: &Comparison) -> f64 {
        if level == MISSING {
            return 0.0;
        }
        let l = level as usize;
        let m = self.m[f][l].max(FLOOR);
        let mut u = self.u[f][l].max(FLOOR);
        if self.term_frequency && l == 0 {
            let tf = match Field::ALL[f] {
                Field::GivenName => c.given_tf,
                Field::Surname => c.surname_tf,
                _ => 0.0,
            };
            if tf > 0.0 {
                u = tf.max(FLOOR);
            }
        }
        (m / u).log2()
    }

    /// The match weight of a comparison: at most [`ANOTHER_PERSON_WEIGHT`]
    /// for two people whose given names are clearly different (no exact NINO).
    pub fn weight(&self, c: &Comparison) -> f64 {
        let w = self.prior_weight() + (0..NFIELDS).map(|f| self.field_weight(f, c.levels[f], c)).sum::<f64>();
        if c.another_person() { w.min(ANOTHER_PERSON_WEIGHT) } else { w }
    }

    /// The evidence per field.
    pub fn evidence(&self, c: &Comparison) -> Vec<FieldEvidence> {
        Field::ALL
            .iter()
            .enumerate()
            .map(|(f, field)| FieldEvidence {
                field: *field,
                level: if *field == Field::GivenName && c.another_person() {
                    "different: another person"
                } else {
                    field.level_name(c.levels[f])
                },
                log2_bayes_factor: self.field_weight(f, c.levels[f], c),
            })
            .collect()
    }

    /// A plain-text table of the parameters (no personal data), for operators.
    pub fn describe(&self) -> String {
        let mut s = format!("prior λ = {:.3e} (log2 odds {:.2})\n", self.lambda, self.prior_weight());
        for (f, field) in Field::ALL.iter().enumerate() {
            s.push_str(&format!("{} (m from {} session(s)):\n", field.name(), self.m_sessions[f]));
            for (l, name) in field.levels().iter().enumerate() {
                s.push_str(&format!(
                    "  {:<30} m={:.4} u={:.3e} log2 BF={:+.2}\n",
                    name,
                    self.m[f][l],
                    self.u[f][l],
                    (self.m[f][l].max(FLOOR) / self.u[f][l].max(FLOOR)).log2()
                ));
            }
        }
        s
    }
}

/// The probability for a match weight.
pub fn probability(weight: f64) -> f64 {
    let b = weight.exp2();
    if b.is_infinite() { 1.0 } else { b / (1.0 + b) }
}

/// Count comparison-level patterns (EM works on distinct patterns with counts).
pub type Patterns = std::collections::HashMap<[u8; NFIELDS], u64>;

/// One EM run: estimate m for the `free` fields (and a session λ) from
/// `patterns`, with u fixed and the other fields left out. Returns the
/// session's estimated m (only free fields with data are `Some`), its λ and
/// the expected number of matching pairs.
pub fn expectation_maximisation(
    patterns: &Patterns,
    model: &Model,
    free: [bool; NFIELDS],
    max_iterations: usize,
) -> (Vec<Option<Vec<f64>>>, f64, f64, usize) {
    let pats: Vec<(&[u8; NFIELDS], f64)> = patterns.iter().map(|(k, &v)| (k, v as f64)).collect();
    let total: f64 = pats.iter().map(|(_, c)| c).sum();
    let mut m: Vec<Vec<f64>> = model.m.to_vec();
    let log_u: Vec<Vec<f64>> = model.u.iter().map(|u| u.iter().map(|x| x.max(FLOOR).ln()).collect()).collect();
    // Which free fields have data.
    let mut present = [0f64; NFIELDS];
    for (p, c) in &pats {
        for f in 0..NFIELDS {
            if free[f] && p[f] != MISSING {
                present[f] += c;
            }
        }
    }
    let use_field: Vec<bool> = (0..NFIELDS).map(|f| free[f] && present[f] >= 50.0).collect();
    let mut lambda: f64 = 0.5;
    let mut iterations = 0;
    let mut expected = 0.0;
    for it in 0..max_iterations {
        iterations = it + 1;
        let log_m: Vec<Vec<f64>> = m.iter().map(|v| v.iter().map(|x| x.max(FLOOR).ln()).collect()).collect();
        let mut acc: Vec<Vec<f64>> = m.iter().map(|v| vec![0.0; v.len()]).collect();
        let mut matches = 0.0;
        for (p, c) in &pats {
            let mut lm = lambda.ln();
            let mut lu = (1.0 - lambda).ln();
            for f in 0..NFIELDS {
                if use_field[f] && p[f] != MISSING {
                    lm += log_m[f][p[f] as usize];
                    lu += log_u[f][p[f] as usize];
                }
            }
            let post = 1.0 / (1.0 + (lu - lm).exp());
            matches += post * c;
            for f in 0..NFIELDS {
                if use_field[f] && p[f] != MISSING {
                    acc[f][p[f] as usize] += post * c;
                }
            }
        }
        let mut change: f64 = 0.0;
        for f in 0..NFIELDS {
            if !use_field[f] {
                continue;
            }
            let sum: f64 = acc[f].iter().sum();
            if sum <= 0.0 {
                continue;
            }
            let k = acc[f].len() as f64;
            for (l, a) in acc[f].iter().enumerate() {
                // A tiny pseudo-count keeps unseen levels possible.
                let new = (a + 1e-3) / (sum + 1e-3 * k);
                change = change.max((new - m[f][l]).abs());
                m[f][l] = new;
            }
        }
        let new_lambda = (matches / total).clamp(1e-9, 1.0 - 1e-9);
        change = change.max((new_lambda - lambda).abs());
        lambda = new_lambda;
        expected = matches;
        if change < 1e-5 {
            break;
        }
    }
    let out = (0..NFIELDS).map(|f| use_field[f].then(|| m[f].clone())).collect();
    (out, lambda, expected, iterations)
}
