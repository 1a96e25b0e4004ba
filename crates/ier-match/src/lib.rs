//! Record linkage for identity matching: which record of a left file (an
//! applicant stream, an electoral register) is which person of a right file
//! (the DWP reference extract), with a calibrated probability and the evidence
//! for every decision. Pure: no network and no file I/O (the `ier match link`
//! command reads and writes the CSV files; [`rows`] reads their header and rows).
//!
//! ## The model
//!
//! - **Normalisation** ([`fields`], [`normalise`]): names by NFKD with accents
//!   and case dropped, hyphens, apostrophes and punctuation as word breaks; dates
//!   packed; NINO (or any other identifier, treated as opaque) upper case without
//!   punctuation, a UK NINO without its suffix; postcodes upper case without
//!   spaces (UK outward code and sector when it parses as UK); address lines as
//!   sorted numbers plus words with street types expanded.
//! - **Fields and comparison levels** ([`compare`]): given name (exact ·
//!   nickname/variant from `data/nicknames.csv` and `data/name_variants.csv`
//!   · Jaro-Winkler ≥ 0.92 · ≥ 0.80 · different), middle names, surname (with
//!   double-barrelled parts and Mac/Mc), date of birth (exact · day/month swapped
//!   · two of three parts), NINO (exact · one edit), address (seven levels from
//!   same postcode and address to different). A missing value on either side is
//!   its own level with Bayes factor 1, so the model copes with files that have
//!   no date of birth or NINO at all. Given name and surname swapped are
//!   recognised.
//! - **Blocking** ([`blocking`]): eight rules (identifier; date of birth with the
//!   NYSIIS key of either name ([`phonetic`]); postcode with either name; both
//!   names with the district; both names with the year and month, or year and
//!   day, of birth; postcode with date of birth), queried with name variants, swapped names and transposed
//!   dates; the union of candidate pairs, deduplicated. [`Linker::candidates_each`]
//!   keeps several records' look-ups in flight at once (each a chain of random
//!   memory reads), which is most of the linker's speed.
//! - **Fellegi–Sunter scoring** ([`model`]): match weight = log2(λ/(1−λ)) +
//!   Σ log2(m/u). **Term-frequency adjustment**: for an exact given name or
//!   surname, u is the share of reference records with that value, so a rare
//!   surname agreeing counts for more than "Smith".
//! - **Training, unsupervised** ([`train`]): u from random pairs; m by EM on
//!   pairs from blocking rules that cannot learn households instead of people
//!   (NINO → all but NINO; date of birth → names, NINO, address; given name +
//!   surname → date of birth, NINO, address; postcode → names, only without
//!   NINO and DOB), each session fixing the fields it is blocked on; the prior λ
//!   from each session's expected matches divided by its rule's recall.
//! - **Calibration**: probability = 2^w / (1 + 2^w) from the EM prior and the
//!   Bayes factors, with no further fitting.
//! - **One-to-one decisions** ([`link`]): candidates at or above the threshold
//!   ([`DEFAULT_THRESHOLD`] 0.9: a 1-in-10 chance of a false match at the margin;
//!   most decisions sit far above it) are assigned best first, each left and
//!   each right record at most once. [`Linker::explain`] gives the evidence of
//!   a pair: per field, the level and its log2 Bayes factor ([`Decision`]).
//!
//! The reference side ([`reference`]) is held compactly: interned strings,
//! a 40-byte record and 8 bytes per blocking-rule entry.
//!
//! ## Limitations
//!
//! - Without NINO and date of birth, m for the names is estimated from postcode
//!   blocks, which hold households; EM separates people by the given name, which
//!   works while given names within a household differ (they almost always do).
//! - Training uses a sample of the left file (by default its first records), so
//!   a left file sorted by something that matters (e.g. region) gives a less
//!   representative sample.
//! - Conditional independence is assumed between fields (as in every
//!   Fellegi–Sunter model); address levels are one combined comparison so that
//!   postcode and street do not count twice.

pub mod blocking;
pub mod compare;
pub mod fields;
pub mod hash;
pub mod intern;
pub mod link;
pub mod model;
pub mod nicknames;
pub mod normalise;
pub mod parallel;
pub mod person;
pub mod phonetic;
pub mod record;
pub mod reference;
pub mod rows;
pub mod train;
pub mod variants;

pub use compare::{Comparison, Field, LeftView, compare};
pub use fields::FieldError;
pub use link::{
    Assigner, Candidate, DEFAULT_THRESHOLD, Decision, Explained, LinkConfig, LinkStats, Linked, Linker, RowError,
    Scored, Scratch, Side, build_reference, link, link_prepared,
};
pub use model::{FieldEvidence, Model, probability};
pub use record::{InputRecord, Options, Prepared};
pub use reference::{Reference, ReferenceBuilder};
pub use train::{TrainOptions, TrainReport, train};
