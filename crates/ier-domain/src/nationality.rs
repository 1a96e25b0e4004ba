//! Nationality: the country register and the franchise category of each country.
//!
//! The register (`data/countries.csv`) holds every ISO 3166-1 country with its
//! English and Welsh names and its category for electoral law: British, Irish,
//! qualifying Commonwealth, EU (with or without a reciprocal voting-rights
//! agreement with the UK), Crown dependency, or other. It is data: a treaty or a
//! new Commonwealth member is a one-line change.

use std::collections::BTreeMap;
use std::fmt;
use std::sync::LazyLock;

use serde::{Deserialize, Serialize};

/// Franchise category of a nationality.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum CountryCategory {
    British,
    Irish,
    /// A Commonwealth country (including British overseas territories).
    Commonwealth,
    /// An EU member state (Cyprus and Malta count as Commonwealth, the wider franchise).
    Eu,
    CrownDependency,
    Other,
}

/// One entry of the country register.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Country {
    pub code: CountryCode,
    pub name: String,
    pub name_cy: String,
    pub category: CountryCategory,
    /// An EU state with a bilateral agreement on voting rights with the UK.
    pub reciprocal_eu: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("is not a country in the country register")]
pub struct UnknownCountry;

/// An ISO 3166-1 alpha-2 code that is in the country register.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct CountryCode([u8; 2]);

impl CountryCode {
    pub fn parse(input: &str) -> Result<Self, UnknownCountry> {
        let b = input.trim().to_ascii_uppercase();
        let code = raw_code(&b).ok_or(UnknownCountry)?;
        if register().by_code.contains_key(&code) { Ok(code) } else { Err(UnknownCountry) }
    }

    pub fn as_str(&self) -> &str {
        std::str::from_utf8(&self.0).expect("ascii")
    }

    pub fn country(&self) -> &'static Country {
        &register().by_code[self]
    }
}

fn raw_code(s: &str) -> Option<CountryCode> {
    let b = s.as_bytes();
    (b.len() == 2 && b.iter().all(u8::is_ascii_uppercase)).then(|| CountryCode([b[0], b[1]]))
}

impl TryFrom<String> for CountryCode {
    type Error = UnknownCountry;
    fn try_from(value: String) -> Result<Self, Self::Error> {
        Self::parse(&value)
    }
}

impl From<CountryCode> for String {
    fn from(value: CountryCode) -> String {
        value.as_str().to_owned()
    }
}

impl fmt::Display for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl fmt::Debug for CountryCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "CountryCode({})", self.as_str())
    }
}

/// The whole country register, sorted by English name.
pub struct CountryRegister {
    by_code: BTreeMap<CountryCode, Country>,
}

static REGISTER: LazyLock<CountryRegister> =
    LazyLock::new(|| CountryRegister::from_csv(include_str!("../data/countries.csv")).expect("countries.csv is valid"));

/// The register shipped with the service.
pub fn register() -> &'static CountryRegister {
    &REGISTER
}

impl CountryRegister {
    pub fn from_csv(text: &str) -> Result<Self, String> {
        #[derive(Deserialize)]
        struct Row {
            code: String,
            name: String,
            name_cy: String,
            category: CountryCategory,
            reciprocal_eu: bool,
        }
        let mut by_code = BTreeMap::new();
        for (i, row) in csv::Reader::from_reader(text.as_bytes()).deserialize::<Row>().enumerate() {
            let row = row.map_err(|e| format!("countries.csv row {}: {e}", i + 2))?;
            let code = raw_code(&row.code).ok_or_else(|| format!("countries.csv row {}: bad code", i + 2))?;
            if row.reciprocal_eu && row.category != CountryCategory::Eu {
                return Err(format!("countries.csv row {}: reciprocal_eu on a non-EU country", i + 2));
            }
            let country = Country {
                code,
                name: row.name,
                name_cy: row.name_cy,
                category: row.category,
                reciprocal_eu: row.reciprocal_eu,
            };
            if by_code.insert(code, country).is_some() {
                return Err(format!("countries.csv row {}: duplicate code", i + 2));
            }
        }
        Ok(Self { by_code })
    }

    pub fn get(&self, code: &str) -> Option<&Country> {
        raw_code(&code.trim().to_ascii_uppercase()).and_then(|c| self.by_code.get(&c))
    }

    pub fn iter(&self) -> impl Iterator<Item = &Country> {
        self.by_code.values()
    }

    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

/// Maximum number of other nationalities an applicant may give.
pub const MAX_OTHER_COUNTRIES: usize = 3;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NationalityError {
    #[error("select your nationality or nationalities, or explain why you cannot provide it")]
    Nothing,
    #[error("you can add up to 3 other countries")]
    TooManyCountries,
    #[error("select British or Irish instead of adding the United Kingdom or Ireland")]
    BritishOrIrishAsOther,
    #[error("you have added the same country twice")]
    Duplicate,
    #[error("the explanation must be 500 characters or fewer")]
    ReasonTooLong,
}

/// What an applicant says about their nationality.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Nationality {
    Stated {
        british: bool,
        irish: bool,
        others: Vec<CountryCode>,
    },
    /// Cannot say; the ERO follows up.
    NotProvided {
        reason: String,
    },
}

impl Nationality {
    pub fn stated(british: bool, irish: bool, others: Vec<CountryCode>) -> Result<Self, NationalityError> {
        if !british && !irish && others.is_empty() {
            return Err(NationalityError::Nothing);
        }
        if others.len() > MAX_OTHER_COUNTRIES {
            return Err(NationalityError::TooManyCountries);
        }
        if others.iter().any(|c| matches!(c.country().category, CountryCategory::British | CountryCategory::Irish)) {
            return Err(NationalityError::BritishOrIrishAsOther);
        }
        let mut seen = others.clone();
        seen.sort();
        seen.dedup();
        if seen.len() != others.len() {
            return Err(NationalityError::Duplicate);
        }
        Ok(Self::Stated { british, irish, others })
    }

    pub fn not_provided(reason: &str) -> Result<Self, NationalityError> {
        let reason = reason.trim();
        if reason.is_empty() {
            return Err(NationalityError::Nothing);
        }
        if reason.chars().count() > 500 {
            return Err(NationalityError::ReasonTooLong);
        }
        Ok(Self::NotProvided { reason: reason.to_owned() })
    }

    /// The categories of every nationality held; empty when not provided.
    pub fn categories(&self) -> Vec<(CountryCategory, bool)> {
        match self {
            Self::NotProvided { .. } => Vec::new(),
            Self::Stated { british, irish, others } => {
                let mut v = Vec::new();
                if *british {
                    v.push((CountryCategory::British, false));
                }
                if *irish {
                    v.push((CountryCategory::Irish, false));
                }
                v.extend(others.iter().map(|c| (c.country().category, c.country().reciprocal_eu)));
                v
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn register_has_every_category() {
        let r = register();
        assert!(r.len() >= 249, "{}", r.len());
        assert_eq!(r.get("GB").unwrap().category, CountryCategory::British);
        assert_eq!(r.get("ie").unwrap().category, CountryCategory::Irish);
        assert_eq!(r.get("IN").unwrap().category, CountryCategory::Commonwealth);
        assert_eq!(r.get("CY").unwrap().category, CountryCategory::Commonwealth, "Cyprus: Commonwealth and EU");
        assert_eq!(r.get("FR").unwrap().category, CountryCategory::Eu);
        assert!(r.get("PL").unwrap().reciprocal_eu);
        assert!(r.get("ES").unwrap().reciprocal_eu);
        assert!(!r.get("FR").unwrap().reciprocal_eu);
        assert_eq!(r.get("US").unwrap().category, CountryCategory::Other);
        assert_eq!(r.get("JE").unwrap().category, CountryCategory::CrownDependency);
        assert!(r.iter().all(|c| !c.name.is_empty() && !c.name_cy.is_empty()));
    }

    #[test]
    fn nationality_rules() {
        let pl = CountryCode::parse("pl").unwrap();
        let fr = CountryCode::parse("FR").unwrap();
        assert!(Nationality::stated(true, false, vec![]).is_ok());
        assert_eq!(Nationality::stated(false, false, vec![]), Err(NationalityError::Nothing));
        let four = ["PL", "FR", "DE", "ES"].map(|c| CountryCode::parse(c).unwrap()).to_vec();
        assert_eq!(Nationality::stated(false, false, four), Err(NationalityError::TooManyCountries));
        assert_eq!(Nationality::stated(false, false, vec![pl, pl]), Err(NationalityError::Duplicate));
        assert_eq!(
            Nationality::stated(false, false, vec![CountryCode::parse("GB").unwrap()]),
            Err(NationalityError::BritishOrIrishAsOther)
        );
        let n = Nationality::stated(false, true, vec![pl, fr]).unwrap();
        assert_eq!(
            n.categories(),
            vec![(CountryCategory::Irish, false), (CountryCategory::Eu, true), (CountryCategory::Eu, false)]
        );
        assert!(CountryCode::parse("QQ").is_err());
        assert_eq!(Nationality::not_provided(" "), Err(NationalityError::Nothing));
    }
}
