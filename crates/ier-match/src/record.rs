//! Records: the input row as text ([`InputRecord`]), which identifiers to use
//! ([`Options`]), and the comparable form of a record ([`Prepared`]).

use crate::fields::{Dob, FieldError, address_key, id_key, name_key, parse_dob, postcode_key};

/// One input row as text, in the CSV contract's columns (empty = missing).
#[derive(Clone, Copy, Default)]
pub struct InputRecord<'a> {
    pub id: &'a str,
    pub given_name: &'a str,
    pub middle_names: &'a str,
    pub surname: &'a str,
    pub date_of_birth: &'a str,
    pub nino: &'a str,
    pub address_line_1: &'a str,
    pub address_line_2: &'a str,
    pub town: &'a str,
    pub postcode: &'a str,
}

impl std::fmt::Debug for InputRecord<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("InputRecord(<redacted>)")
    }
}

/// Which identifying columns the linkage uses.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Options {
    /// Use the `nino` columns (`--no-nino` turns this off).
    pub use_nino: bool,
    /// Use the `date_of_birth` columns (off in confirmation mode).
    pub use_dob: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self { use_nino: true, use_dob: true }
    }
}

impl Options {
    /// Bulk confirmation of a register: name and address only.
    pub fn confirmation() -> Self {
        Self { use_nino: false, use_dob: false }
    }
}

/// A record in comparable form (see [`crate::fields`]). Personal data: `Debug` is redacted.
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// [`name_key`] of the given name.
    pub given: String,
    /// [`name_key`] of the middle names.
    pub middle: String,
    /// [`name_key`] of the surname.
    pub surname: String,
    /// Packed `yyyymmdd`, 0 = missing.
    pub dob: Dob,
    /// [`id_key`] of the NINO or other identifier, 0 = missing.
    pub nino: u64,
    /// [`address_key`] of lines 1 and 2.
    pub address: String,
    /// [`postcode_key`].
    pub postcode: String,
    /// [`name_key`] of the town.
    pub town: String,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prepared(<redacted>)")
    }
}

impl Prepared {
    /// Normalise a row. The only error is a malformed date of birth (when dates are used).
    pub fn new(r: &InputRecord<'_>, options: &Options) -> Result<Self, FieldError> {
        Ok(Self {
            given: name_key(r.given_name),
            middle: name_key(r.middle_names),
            surname: name_key(r.surname),
            dob: if options.use_dob { parse_dob(r.date_of_birth)? } else { 0 },
            nino: if options.use_nino { id_key(r.nino) } else { 0 },
            address: address_key(r.address_line_1, r.address_line_2),
            postcode: postcode_key(r.postcode),
            town: name_key(r.town),
        })
    }
}
