//! Reference data: who registers whom, and where addresses are.
//!
//! - [`councils`]: every current GB local authority and the ERO that serves it
//!   (shipped as data, checked at load).
//! - [`postcode_directory`]: postcode → local authority, from the ONS Postcode
//!   Directory (Open Government Licence), in a compact table shipped with the
//!   service and replaceable with `ier import onspd`.
//! - [`gazetteer`]: addresses by postcode and UPRN, behind a trait; the
//!   synthetic implementation stands in for AddressBase, which is not open data.
//! - [`locator`]: the three together answer "which council and ERO, for this postcode?".

pub mod contacts;
pub mod councils;
pub mod gazetteer;
pub mod locator;
pub mod postcode_directory;

pub use councils::ReferenceData;
pub use gazetteer::{Gazetteer, GazetteerAddress, SyntheticGazetteer};
pub use locator::{Locator, Route};
pub use postcode_directory::PostcodeDirectory;
