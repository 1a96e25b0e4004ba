//! DWP identity verification: the interface a real connection to DWP's
//! Customer Information System implements ([`IdentityVerifier`]), the matching
//! rules, and a deterministic simulator over the synthetic reference population
//! ([`DwpSimulator`]).
//!
//! A [`VerificationRequest`] carries the applicant's NINO, names, date of birth
//! and address (applications without a NINO or a date of birth have no request:
//! they go to the ERO's exceptions process). The answer is a [`Verification`]:
//! match or no match, and per-field [`FieldEvidence`] made only of enums, which
//! [`Verification::describe`] renders in plain English for the ERO.
//!
//! ## Matching rules
//!
//! 1. Look the person up by NINO, ignoring the suffix ([`ier_domain::Nino::same_person`]).
//!    No record: **no match**, with `Nino: NotHeld`.
//! 2. With a record, compare each field (see [`rules`] for the full table):
//!    names after normalisation ([`normalise`]: NFKD, accents stripped, case,
//!    spaces collapsed, hyphens and apostrophes as separators); typos by
//!    Jaro-Winkler ≥ [`rules::TYPO_JARO_WINKLER`] or one edit for names of at
//!    least [`rules::TYPO_ONE_EDIT_MIN_LEN`] letters; familiar forms from
//!    `data/nicknames.csv` ([`nicknames`]); the other surname held; one part of a
//!    double-barrelled surname; day and month transposed; the previous address
//!    held; the same postcode.
//! 3. **Decision** ([`rules::decide`]): match when the NINO is held AND the date
//!    of birth is exact or day/month transposed AND the surname is exact or
//!    close AND the given name is exact or close. The address never blocks a
//!    match but is reported.
//!
//! No personal data reaches `Debug` output or error messages: requests and held
//! records redact themselves, evidence is enums only.

pub mod evidence;
pub mod nicknames;
/// Name normalisation and similarity, shared with the bulk linkage engine.
pub use ier_match::normalise;
pub mod queue;
pub mod request;
pub mod rules;
pub mod simulator;

use async_trait::async_trait;

pub use evidence::{CloseReason, Field, FieldEvidence, FieldResult, Verification};
pub use request::VerificationRequest;
pub use rules::{HeldAddress, HeldIdentity, decide, verify_against};
pub use simulator::{DwpSimulator, held_identity};

/// Why a verification could not be done. Carries no personal data.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum VerifierError {
    /// DWP could not be reached or did not answer in time; retry later.
    #[error("the DWP identity service is unavailable; retry later")]
    Unavailable,
}

/// Something that answers identity-verification requests as DWP does.
#[async_trait]
pub trait IdentityVerifier: Send + Sync {
    async fn verify(&self, request: &VerificationRequest) -> Result<Verification, VerifierError>;
}
