//! Records: the input row as text ([`InputRecord`]), which identifiers to use
//! ([`Options`]), and the comparable form of a record ([`Prepared`]).

use crate::fields::{Dob, FieldError, address_key_into, id_key, name_key_into, parse_dob, postcode_key_into};

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
///
/// Its six texts are held in one string (one allocation a record, not six).
#[derive(Clone, Default, PartialEq, Eq)]
pub struct Prepared {
    /// Given name, middle names, surname, address, postcode and town, one after another.
    text: String,
    /// Where each of the six ends in `text`.
    ends: [u32; 6],
    /// Packed `yyyymmdd`, 0 = missing.
    pub dob: Dob,
    /// [`id_key`] of the NINO or other identifier, 0 = missing.
    pub nino: u64,
    /// Who the record is beyond its names, whatever the options use for matching:
    /// a hash of its date of birth (or, without one, its identifier), 0 = neither.
    /// Tells one person recorded twice from a same-named relative
    /// ([`Reference::same_person`](crate::Reference::same_person)).
    pub identity: u32,
}

impl std::fmt::Debug for Prepared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("Prepared(<redacted>)")
    }
}

impl Prepared {
    /// Normalise a row. The only error is a malformed date of birth (when dates are used).
    pub fn new(r: &InputRecord<'_>, options: &Options) -> Result<Self, FieldError> {
        let dob = if options.use_dob { parse_dob(r.date_of_birth)? } else { 0 };
        let mut text = String::with_capacity(
            r.given_name.len()
                + r.middle_names.len()
                + r.surname.len()
                + r.address_line_1.len()
                + r.address_line_2.len()
                + r.postcode.len()
                + r.town.len()
                + 16,
        );
        let mut ends = [0u32; 6];
        let mut end = |text: &String, i: usize| ends[i] = u32::try_from(text.len()).expect("a record's text is small");
        name_key_into(r.given_name, &mut text);
        end(&text, 0);
        name_key_into(r.middle_names, &mut text);
        end(&text, 1);
        name_key_into(r.surname, &mut text);
        end(&text, 2);
        address_key_into(r.address_line_1, r.address_line_2, &mut text);
        end(&text, 3);
        postcode_key_into(r.postcode, &mut text);
        end(&text, 4);
        name_key_into(r.town, &mut text);
        end(&text, 5);
        let identity = match (if options.use_dob { Ok(dob) } else { parse_dob(r.date_of_birth) }, id_key(r.nino)) {
            (Ok(d), _) if d != 0 => crate::hash::mix(u64::from(d)) as u32 | 1,
            (_, n) if n != 0 => crate::hash::mix(n ^ 0x9e37_79b9_7f4a_7c15) as u32 | 1,
            _ => 0,
        };
        Ok(Self { text, ends, dob, nino: if options.use_nino { id_key(r.nino) } else { 0 }, identity })
    }

    fn part(&self, i: usize) -> &str {
        let start = if i == 0 { 0 } else { self.ends[i - 1] as usize };
        &self.text[start..self.ends[i] as usize]
    }

    /// [`name_key`](crate::fields::name_key) of the given name.
    pub fn given(&self) -> &str {
        self.part(0)
    }

    /// [`name_key`](crate::fields::name_key) of the middle names.
    pub fn middle(&self) -> &str {
        self.part(1)
    }

    /// [`name_key`](crate::fields::name_key) of the surname.
    pub fn surname(&self) -> &str {
        self.part(2)
    }

    /// [`address_key`](crate::fields::address_key) of lines 1 and 2.
    pub fn address(&self) -> &str {
        self.part(3)
    }

    /// [`postcode_key`](crate::fields::postcode_key).
    pub fn postcode(&self) -> &str {
        self.part(4)
    }

    /// [`name_key`](crate::fields::name_key) of the town.
    pub fn town(&self) -> &str {
        self.part(5)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::fields::{address_key, name_key, postcode_key};

    #[test]
    fn each_text_is_its_own_key() {
        let r = InputRecord {
            id: "1",
            given_name: "Siân",
            middle_names: "",
            surname: "O'Brien-Smith",
            date_of_birth: "1980-03-07",
            nino: "AB123456C",
            address_line_1: "Flat 2, 14 High St",
            address_line_2: "",
            town: "  Cardiff ",
            postcode: "cf10 1aa",
        };
        let p = Prepared::new(&r, &Options::default()).unwrap();
        assert_eq!(p.given(), name_key(r.given_name));
        assert_eq!(p.middle(), "");
        assert_eq!(p.surname(), name_key(r.surname));
        assert_eq!(p.address(), address_key(r.address_line_1, r.address_line_2));
        assert_eq!(p.postcode(), postcode_key(r.postcode));
        assert_eq!(p.town(), "cardiff");
        assert_eq!((p.dob, p.nino), (19800307, id_key("AB123456")));
        assert_eq!(format!("{p:?}"), "Prepared(<redacted>)");
    }
}
