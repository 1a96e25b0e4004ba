//! The domain of online electoral registration in Great Britain.
//!
//! Parse-don't-validate types (names, NINOs, postcodes, dates of birth,
//! nationalities, GSS codes, UPRNs, ERO ids, reference numbers), the
//! application model (a common core and a part per kind of applicant), the
//! franchise rules and the retention periods read from versioned data, and what a council's answer to a
//! register check means.
//!
//! This crate does no I/O: no files, no network, no clock. "Today" is always an
//! argument; randomness is passed in. Data files are compiled in.

pub mod application;
pub mod council;
pub mod dates;
pub mod evidence;
pub mod geography;
pub mod ids;
pub mod kinds;
pub mod name;
pub mod nationality;
pub mod nino;
pub mod postcode;
pub mod reasons;
pub mod register_check;
pub mod retention;
pub mod rules;

pub use application::{
    Address, AgeRange, ApplicantDetails, Application, ApplicationKind, BirthDetails, Contact, DecisionNotes,
    Determination, Event, EventKind, Language, LocalDataSource, LocalMatch, Moved, NotesError, OrReason, OtherAddress,
    PostalVote, ReasonCode, RegisteredFromError, Stage, VerificationOutcome, check_registered_from,
};
pub use council::{Council, Ero, EroContact};
pub use dates::DateOfBirth;
pub use geography::{GssCode, Jurisdiction, Nation, Uprn};
pub use ids::{EroId, ReferenceNumber};
pub use kinds::{
    Citizenship, Correspondence, CrownDetails, CrownStatement, ForcesDetails, ForcesStatement, FormDelivery, Job,
    KindDetails, LastRegistration, OrdinaryDetails, OverseasAddress, OverseasDetails, ParentGuardian, PassportNumber,
    PastDate, Service, ServiceBranch, Text, UkAddressStatus, WayToVote, YearMonth,
};
pub use name::{GivenName, MiddleNames, PersonName, Surname};
pub use nationality::{CountryCategory, CountryCode, Nationality};
pub use nino::Nino;
pub use postcode::{Postcode, PostcodeRegion};
pub use register_check::{RegisterCandidate, RegisterCheckResult};
pub use rules::{Eligibility, Rules};
