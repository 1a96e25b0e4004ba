//! Dates of birth and ages on a given date.
//!
//! The domain has no clock: every rule that depends on "today" takes the date
//! as an argument, so the rules can be tested for any day (and a deadline-day
//! applicant is judged on the day they applied, in Europe/London).

use std::fmt;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

/// The oldest age the service accepts without question (the real service's rule).
pub const MAX_AGE_YEARS: u32 = 115;

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DateOfBirthError {
    #[error("must include a day, month and year")]
    Missing,
    #[error("must be a real date, with the day, month and year as numbers")]
    NotANumber,
    #[error("must be a real date")]
    NotARealDate,
    #[error("must be in the past")]
    InTheFuture,
    #[error("must be a year after {0}")]
    TooLongAgo(i32),
}

/// A date of birth: a real date, not in the future, at most 115 years ago.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct DateOfBirth(NaiveDate);

impl DateOfBirth {
    /// Parse day, month and year fields as typed (leading zeros and spaces allowed).
    pub fn parse(day: &str, month: &str, year: &str, today: NaiveDate) -> Result<Self, DateOfBirthError> {
        let (d, m, y) = (day.trim(), month.trim(), year.trim());
        if d.is_empty() || m.is_empty() || y.is_empty() {
            return Err(DateOfBirthError::Missing);
        }
        let num = |s: &str, max_len: usize| -> Result<u32, DateOfBirthError> {
            if s.len() > max_len || !s.bytes().all(|b| b.is_ascii_digit()) {
                return Err(DateOfBirthError::NotANumber);
            }
            s.parse().map_err(|_| DateOfBirthError::NotANumber)
        };
        let (d, m, y) = (num(d, 2)?, num(m, 2)?, num(y, 4)?);
        if y < 1000 {
            return Err(DateOfBirthError::NotARealDate);
        }
        let date = NaiveDate::from_ymd_opt(y as i32, m, d).ok_or(DateOfBirthError::NotARealDate)?;
        Self::from_date(date, today)
    }

    pub fn from_date(date: NaiveDate, today: NaiveDate) -> Result<Self, DateOfBirthError> {
        if date > today {
            return Err(DateOfBirthError::InTheFuture);
        }
        if age_on(date, today) > MAX_AGE_YEARS {
            return Err(DateOfBirthError::TooLongAgo(today.year() - MAX_AGE_YEARS as i32 - 1));
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }

    /// Age in whole years on `on`.
    pub fn age_on(&self, on: NaiveDate) -> u32 {
        age_on(self.0, on)
    }

    /// The date on which the person reaches `years` of age. A 29 February
    /// birthday is reached on 1 March in a common year (as in UK law).
    pub fn birthday(&self, years: u32) -> NaiveDate {
        let y = self.0.year() + years as i32;
        NaiveDate::from_ymd_opt(y, self.0.month(), self.0.day())
            .unwrap_or_else(|| NaiveDate::from_ymd_opt(y, 3, 1).expect("1 March exists"))
    }
}

/// Whole years between `born` and `on` (0 if `on` is before `born`).
pub fn age_on(born: NaiveDate, on: NaiveDate) -> u32 {
    if on < born {
        return 0;
    }
    let mut years = on.year() - born.year();
    // Birthday not reached yet this year (29 Feb counts as reached on 1 Mar).
    if (on.month(), on.day()) < (born.month(), born.day()) {
        years -= 1;
    }
    years as u32
}

impl fmt::Display for DateOfBirth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.format("%Y-%m-%d"))
    }
}

/// Personal data: never printed by `{:?}`.
impl fmt::Debug for DateOfBirth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DateOfBirth(<redacted>)")
    }
}

const MONTHS_EN: [&str; 12] = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
];
const MONTHS_CY: [&str; 12] = [
    "Ionawr",
    "Chwefror",
    "Mawrth",
    "Ebrill",
    "Mai",
    "Mehefin",
    "Gorffennaf",
    "Awst",
    "Medi",
    "Hydref",
    "Tachwedd",
    "Rhagfyr",
];

/// A date as GOV.UK writes it: "2 September 1990" / "2 Medi 1990".
pub fn long_date(date: chrono::NaiveDate, language: crate::Language) -> String {
    use chrono::Datelike;
    let months = if language == crate::Language::Cy { MONTHS_CY } else { MONTHS_EN };
    format!("{} {} {}", date.day(), months[date.month0() as usize], date.year())
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn parses_typed_fields() {
        let today = d(2026, 11, 22);
        assert_eq!(DateOfBirth::parse("01", " 2", "1990", today).unwrap().date(), d(1990, 2, 1));
        assert_eq!(DateOfBirth::parse("", "2", "1990", today), Err(DateOfBirthError::Missing));
        assert_eq!(DateOfBirth::parse("a", "2", "1990", today), Err(DateOfBirthError::NotANumber));
        assert_eq!(DateOfBirth::parse("31", "2", "1990", today), Err(DateOfBirthError::NotARealDate));
        assert_eq!(DateOfBirth::parse("1", "1", "90", today), Err(DateOfBirthError::NotARealDate));
        assert_eq!(DateOfBirth::parse("23", "11", "2026", today), Err(DateOfBirthError::InTheFuture));
        assert_eq!(DateOfBirth::parse("1", "1", "1900", today), Err(DateOfBirthError::TooLongAgo(1910)));
        assert!(DateOfBirth::parse("29", "2", "2008", today).is_ok());
    }

    #[test]
    fn ages_turn_on_the_birthday() {
        let born = d(2010, 11, 22);
        assert_eq!(age_on(born, d(2026, 11, 21)), 15);
        assert_eq!(age_on(born, d(2026, 11, 22)), 16);
        let leap = DateOfBirth(d(2008, 2, 29));
        assert_eq!(leap.age_on(d(2026, 2, 28)), 17);
        assert_eq!(leap.age_on(d(2026, 3, 1)), 18);
        assert_eq!(leap.birthday(18), d(2026, 3, 1));
        assert_eq!(leap.birthday(16), d(2024, 2, 29));
    }

    proptest! {
        #[test]
        fn age_matches_birthday(born_days in 0i64..45_000, offset in 0i64..45_000) {
            let born = d(1910, 1, 1) + chrono::Duration::days(born_days);
            let on = born + chrono::Duration::days(offset);
            let dob = DateOfBirth(born);
            let age = dob.age_on(on);
            // reached `age`, not yet `age + 1`
            prop_assert!(dob.birthday(age) <= on);
            prop_assert!(dob.birthday(age + 1) > on);
        }

        #[test]
        fn parse_never_panics(a in "\\PC{0,6}", b in "\\PC{0,6}", c in "\\PC{0,6}") {
            let _ = DateOfBirth::parse(&a, &b, &c, d(2026, 11, 22));
        }
    }
}
