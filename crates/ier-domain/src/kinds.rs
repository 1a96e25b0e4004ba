//! What each kind of applicant tells us beyond the common core: an overseas
//! elector's last UK registration, when they left and how they are British;
//! a service voter's statement, service or post and correspondence address;
//! everyone's choice of how to vote. Parse-don't-validate types, as for names.
//!
//! Which kind an application is follows from these parts ([`KindDetails::kind`]):
//! a Crown servant and a British Council employee walk the same journey, and
//! their statement says which they are.

use std::fmt;
use std::str::FromStr;

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};

use crate::application::{ApplicationKind, OtherAddress, PostalVote, UnknownValue};
use crate::name::PersonName;
use crate::nationality::CountryCode;

// --- Bounded free text ---------------------------------------------------------------------

/// Why free text was refused. Messages never echo the input.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is empty")]
    Empty,
    #[error("must be {max} characters or fewer")]
    TooLong { max: usize },
    #[error("must not contain control characters")]
    ControlCharacter,
}

/// Free text an applicant typed (a job title, a regiment, a line of an address
/// abroad): trimmed, inner white space collapsed, no control characters, and
/// at most a given number of characters (checked when parsed).
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct Text(String);

impl Text {
    pub fn parse(input: &str, max: usize) -> Result<Self, TextError> {
        if input.chars().any(|c| c.is_control() && !c.is_whitespace()) {
            return Err(TextError::ControlCharacter);
        }
        let collapsed = input.split_whitespace().collect::<Vec<_>>().join(" ");
        if collapsed.is_empty() {
            return Err(TextError::Empty);
        }
        if collapsed.chars().count() > max {
            return Err(TextError::TooLong { max });
        }
        Ok(Self(collapsed))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// Personal data: never printed by `{:?}`.
impl fmt::Debug for Text {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Text(<redacted>)")
    }
}

// --- Dates other than a date of birth --------------------------------------------------------

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PastDateError {
    #[error("must include every part")]
    Missing,
    #[error("must be a real date, with numbers")]
    NotANumber,
    #[error("must be a real date")]
    NotARealDate,
    #[error("must be in the past")]
    InTheFuture,
    #[error("must be after {0}")]
    TooLongAgo(i32),
}

/// The earliest year any date an applicant gives may be in.
pub const EARLIEST_YEAR: i32 = 1900;

fn number(s: &str, max_len: usize) -> Result<u32, PastDateError> {
    let s = s.trim();
    if s.len() > max_len || s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
        return Err(PastDateError::NotANumber);
    }
    s.parse().map_err(|_| PastDateError::NotANumber)
}

/// A real date, today or earlier, from 1900 on: a passport's issue, the day
/// someone became a British citizen.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct PastDate(NaiveDate);

impl PastDate {
    pub fn parse(day: &str, month: &str, year: &str, today: NaiveDate) -> Result<Self, PastDateError> {
        if [day, month, year].iter().any(|p| p.trim().is_empty()) {
            return Err(PastDateError::Missing);
        }
        let (d, m, y) = (number(day, 2)?, number(month, 2)?, number(year, 4)?);
        let date = NaiveDate::from_ymd_opt(y as i32, m, d).ok_or(PastDateError::NotARealDate)?;
        Self::from_date(date, today)
    }

    pub fn from_date(date: NaiveDate, today: NaiveDate) -> Result<Self, PastDateError> {
        if date > today {
            return Err(PastDateError::InTheFuture);
        }
        if date.year() < EARLIEST_YEAR {
            return Err(PastDateError::TooLongAgo(EARLIEST_YEAR - 1));
        }
        Ok(Self(date))
    }

    pub fn date(&self) -> NaiveDate {
        self.0
    }
}

/// Personal data: never printed by `{:?}`.
impl fmt::Debug for PastDate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PastDate(<redacted>)")
    }
}

/// A month of a year, this month or earlier, from 1900 on (when someone left the UK).
/// Written `YYYY-MM`.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct YearMonth {
    year: i32,
    month: u32,
}

impl YearMonth {
    pub fn parse(month: &str, year: &str, today: NaiveDate) -> Result<Self, PastDateError> {
        if month.trim().is_empty() || year.trim().is_empty() {
            return Err(PastDateError::Missing);
        }
        let (m, y) = (number(month, 2)?, number(year, 4)?);
        Self::new(y as i32, m, today)
    }

    pub fn new(year: i32, month: u32, today: NaiveDate) -> Result<Self, PastDateError> {
        if !(1..=12).contains(&month) || year < 1000 {
            return Err(PastDateError::NotARealDate);
        }
        if (year, month) > (today.year(), today.month()) {
            return Err(PastDateError::InTheFuture);
        }
        if year < EARLIEST_YEAR {
            return Err(PastDateError::TooLongAgo(EARLIEST_YEAR - 1));
        }
        Ok(Self { year, month })
    }

    pub fn year(&self) -> i32 {
        self.year
    }

    pub fn month(&self) -> u32 {
        self.month
    }

    /// The first day of the month.
    pub fn first_day(&self) -> NaiveDate {
        NaiveDate::from_ymd_opt(self.year, self.month, 1).expect("a real month")
    }
}

impl fmt::Display for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:04}-{:02}", self.year, self.month)
    }
}

impl fmt::Debug for YearMonth {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("YearMonth(<redacted>)")
    }
}

impl Serialize for YearMonth {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for YearMonth {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let s = String::deserialize(d)?;
        let bad = || serde::de::Error::custom("a month is written YYYY-MM");
        let (y, m) = s.split_once('-').ok_or_else(bad)?;
        let (year, month): (i32, u32) = (y.parse().map_err(|_| bad())?, m.parse().map_err(|_| bad())?);
        if !(1..=12).contains(&month) {
            return Err(bad());
        }
        Ok(Self { year, month })
    }
}

// --- How to vote ------------------------------------------------------------------------------

/// How an application form for a postal or proxy vote reaches the applicant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum FormDelivery {
    Post,
    Email(String),
}

/// How someone who is not living at their UK address wants to vote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum WayToVote {
    InPerson,
    /// A postal vote: send the application form.
    ByPost(FormDelivery),
    /// A proxy (someone who votes for them): send the application form.
    ByProxy(FormDelivery),
}

impl WayToVote {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::InPerson => "in-person",
            Self::ByPost(_) => "by-post",
            Self::ByProxy(_) => "by-proxy",
        }
    }

    pub fn delivery(&self) -> Option<&FormDelivery> {
        match self {
            Self::InPerson => None,
            Self::ByPost(d) | Self::ByProxy(d) => Some(d),
        }
    }
}

// --- Overseas electors ------------------------------------------------------------------------

/// How an overseas applicant was last registered in the UK, if ever.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LastRegistration {
    /// As an ordinary elector living in the UK.
    Ordinary,
    /// As an overseas elector: this application renews that registration.
    Overseas,
    /// As a member of the armed forces (or their spouse or civil partner).
    Forces,
    /// As a Crown servant (or their spouse or civil partner).
    Crown,
    /// As a British Council employee (or their spouse or civil partner).
    BritishCouncil,
    /// Never registered: they qualify by having lived in the UK.
    NotRegistered,
}

impl LastRegistration {
    pub const ALL: [Self; 6] =
        [Self::Ordinary, Self::Overseas, Self::Forces, Self::Crown, Self::BritishCouncil, Self::NotRegistered];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ordinary => "ordinary",
            Self::Overseas => "overseas",
            Self::Forces => "forces",
            Self::Crown => "crown",
            Self::BritishCouncil => "british-council",
            Self::NotRegistered => "not-registered",
        }
    }

    /// Registered before (the previous registration condition) or not (the previous residence condition).
    pub fn previously_registered(&self) -> bool {
        !matches!(self, Self::NotRegistered)
    }
}

impl FromStr for LastRegistration {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(UnknownValue("last registration"))
    }
}

/// A parent's or guardian's name (with any previous name), for someone never
/// registered who left the UK as a child: the ERO checks the address through them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ParentGuardian {
    pub name: PersonName,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<PersonName>,
}

/// A British passport number: 9 digits.
#[derive(Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct PassportNumber(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum PassportNumberError {
    #[error("is empty")]
    Empty,
    #[error("must be 9 digits")]
    Format,
}

impl PassportNumber {
    pub fn parse(input: &str) -> Result<Self, PassportNumberError> {
        let compact: String = input.chars().filter(|c| !c.is_whitespace()).collect();
        if compact.is_empty() {
            return Err(PassportNumberError::Empty);
        }
        if compact.len() != 9 || !compact.bytes().all(|b| b.is_ascii_digit()) {
            return Err(PassportNumberError::Format);
        }
        Ok(Self(compact))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for PassportNumber {
    type Error = PassportNumberError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<PassportNumber> for String {
    fn from(p: PassportNumber) -> Self {
        p.0
    }
}

impl fmt::Debug for PassportNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("PassportNumber(<redacted>)")
    }
}

/// How an overseas applicant shows they are a British citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Citizenship {
    /// A British passport.
    Passport { number: PassportNumber, authority: Text, issued: PastDate },
    /// No passport, but born in the UK before 1983: British by birth.
    BornInUkBefore1983,
    /// No passport: when and how they became a British citizen, and where they were born.
    Details { became: PastDate, how: Text, birthplace: Text },
}

/// The day from which birth in the UK no longer made someone British by itself
/// (British Nationality Act 1981, in force 1 January 1983).
pub fn british_nationality_act_1981() -> NaiveDate {
    NaiveDate::from_ymd_opt(1983, 1, 1).expect("a date")
}

/// An address outside the UK: its country and one to five lines.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverseasAddress {
    pub country: CountryCode,
    pub lines: Vec<Text>,
}

impl OverseasAddress {
    pub const MAX_LINES: usize = 5;
    pub const LINE_MAX: usize = 100;

    pub fn one_line(&self, country_name: &str) -> String {
        let mut parts: Vec<&str> = self.lines.iter().map(Text::as_str).collect();
        parts.push(country_name);
        parts.join(", ")
    }
}

/// What an overseas elector tells us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OverseasDetails {
    pub last_registered: LastRegistration,
    /// When they left the UK (not asked again on a renewal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub left_uk: Option<YearMonth>,
    /// Never registered and left as a child: the parent or guardian they lived with.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub parent_guardian: Option<ParentGuardian>,
    /// Evidence of citizenship (not asked again on a renewal).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub citizenship: Option<Citizenship>,
    /// Why their name changed since they left, when it did.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub name_change_reason: Option<Text>,
    pub address_abroad: OverseasAddress,
    pub way_to_vote: WayToVote,
}

// --- Service voters -----------------------------------------------------------------------------

/// A service voter's connection to their UK address.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum UkAddressStatus {
    /// They have a UK address and live there.
    LivingThere,
    /// They have a UK address but do not live there (posted elsewhere).
    NotLivingThere,
    /// No UK address now: the address given is the last one they had.
    NoAddress,
}

impl UkAddressStatus {
    pub const ALL: [Self; 3] = [Self::LivingThere, Self::NotLivingThere, Self::NoAddress];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::LivingThere => "living-there",
            Self::NotLivingThere => "not-living-there",
            Self::NoAddress => "no-address",
        }
    }
}

impl FromStr for UkAddressStatus {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(UnknownValue("UK address status"))
    }
}

/// Where to write to a service voter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Correspondence {
    /// At their UK address.
    UkAddress,
    /// A British Forces Post Office address: the BFPO number and the lines above it.
    Bfpo { number: u16, lines: Vec<Text> },
    /// An address in another country.
    Abroad(OverseasAddress),
}

impl Correspondence {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::UkAddress => "uk",
            Self::Bfpo { .. } => "bfpo",
            Self::Abroad(_) => "abroad",
        }
    }
}

/// Who is making a forces service declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForcesStatement {
    /// A member of the armed forces.
    pub member: bool,
    /// The spouse or civil partner of a member.
    pub partner: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum StatementError {
    #[error("select at least one statement")]
    Nothing,
    #[error("a person cannot be both a Crown servant and a British Council employee")]
    ServantAndEmployee,
    #[error("a person cannot be the spouse or civil partner of both")]
    BothPartners,
}

impl ForcesStatement {
    pub fn new(member: bool, partner: bool) -> Result<Self, StatementError> {
        if !member && !partner {
            return Err(StatementError::Nothing);
        }
        Ok(Self { member, partner })
    }
}

/// The armed service a member serves in.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ServiceBranch {
    RoyalNavy,
    BritishArmy,
    RoyalAirForce,
}

impl ServiceBranch {
    pub const ALL: [Self; 3] = [Self::RoyalNavy, Self::BritishArmy, Self::RoyalAirForce];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::RoyalNavy => "royal-navy",
            Self::BritishArmy => "british-army",
            Self::RoyalAirForce => "royal-air-force",
        }
    }
}

impl FromStr for ServiceBranch {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(UnknownValue("service"))
    }
}

/// The service of the member (the applicant, or their spouse or civil partner),
/// as a service declaration states it: the service, the regiment or corps for
/// the Army, the service number and the rank or rating.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Service {
    pub branch: ServiceBranch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regiment: Option<Text>,
    pub service_number: Text,
    pub rank: Text,
}

/// What a member of the armed forces (or their spouse or civil partner) tells us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ForcesDetails {
    pub statement: ForcesStatement,
    pub uk_address: UkAddressStatus,
    pub service: Service,
    pub correspondence: Correspondence,
    pub way_to_vote: WayToVote,
}

/// Who is making a Crown servant or British Council employee declaration.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrownStatement {
    pub crown_servant: bool,
    pub crown_partner: bool,
    pub council_employee: bool,
    pub council_partner: bool,
}

impl CrownStatement {
    /// One may not be both a Crown servant and a British Council employee, nor
    /// the spouse or civil partner of both.
    pub fn new(
        crown_servant: bool,
        crown_partner: bool,
        council_employee: bool,
        council_partner: bool,
    ) -> Result<Self, StatementError> {
        if !(crown_servant || crown_partner || council_employee || council_partner) {
            return Err(StatementError::Nothing);
        }
        if crown_servant && council_employee {
            return Err(StatementError::ServantAndEmployee);
        }
        if crown_partner && council_partner {
            return Err(StatementError::BothPartners);
        }
        Ok(Self { crown_servant, crown_partner, council_employee, council_partner })
    }

    /// Crown service, or the British Council: an employee's own post decides;
    /// failing that, their spouse's or civil partner's.
    pub fn kind(&self) -> ApplicationKind {
        if self.crown_servant || (self.crown_partner && !self.council_employee) {
            ApplicationKind::Crown
        } else {
            ApplicationKind::BritishCouncil
        }
    }
}

/// The post, as a Crown servant's or British Council employee's declaration states it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Job {
    pub title: Text,
    pub payroll_number: Text,
    /// The government department (Crown service; the British Council for its staff).
    pub department: Text,
}

/// What a Crown servant or British Council employee (or their spouse or civil partner) tells us.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CrownDetails {
    pub statement: CrownStatement,
    pub uk_address: UkAddressStatus,
    pub job: Job,
    pub correspondence: Correspondence,
    pub way_to_vote: WayToVote,
}

// --- Ordinary electors ------------------------------------------------------------------------

/// What an ordinary applicant (living in England, Scotland or Wales) tells us beyond the core.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrdinaryDetails {
    #[serde(default)]
    pub other_address: OtherAddress,
    /// Moved from abroad, where they were registered as an overseas voter (their
    /// previous address is then the UK address of that registration).
    #[serde(default)]
    pub was_overseas_voter: bool,
    pub postal_vote: PostalVote,
}

/// The part of an application that depends on its kind.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum KindDetails {
    Ordinary(OrdinaryDetails),
    Overseas(OverseasDetails),
    Forces(ForcesDetails),
    /// A Crown servant or British Council employee, or their spouse or civil partner.
    Crown(CrownDetails),
}

impl KindDetails {
    pub fn kind(&self) -> ApplicationKind {
        match self {
            Self::Ordinary(_) => ApplicationKind::Ordinary,
            Self::Overseas(_) => ApplicationKind::Overseas,
            Self::Forces(_) => ApplicationKind::Forces,
            Self::Crown(c) => c.statement.kind(),
        }
    }

    /// How they want to vote, whatever the kind (an ordinary applicant's postal vote choice).
    pub fn way_to_vote(&self) -> WayToVote {
        match self {
            Self::Ordinary(o) => match &o.postal_vote {
                PostalVote::InPerson | PostalVote::AlreadyHave => WayToVote::InPerson,
                PostalVote::FormByPost => WayToVote::ByPost(FormDelivery::Post),
                PostalVote::FormByEmail(e) => WayToVote::ByPost(FormDelivery::Email(e.clone())),
            },
            Self::Overseas(o) => o.way_to_vote.clone(),
            Self::Forces(f) => f.way_to_vote.clone(),
            Self::Crown(c) => c.way_to_vote.clone(),
        }
    }

    /// The applicant's connection to the UK address given (service voters only).
    pub fn uk_address(&self) -> Option<UkAddressStatus> {
        match self {
            Self::Forces(f) => Some(f.uk_address),
            Self::Crown(c) => Some(c.uk_address),
            Self::Ordinary(_) | Self::Overseas(_) => None,
        }
    }

    pub fn correspondence(&self) -> Option<&Correspondence> {
        match self {
            Self::Forces(f) => Some(&f.correspondence),
            Self::Crown(c) => Some(&c.correspondence),
            Self::Ordinary(_) | Self::Overseas(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn text_is_trimmed_bounded_and_free_of_control_characters() {
        assert_eq!(Text::parse("  Royal   Logistic Corps ", 100).unwrap().as_str(), "Royal Logistic Corps");
        assert_eq!(Text::parse("  ", 10), Err(TextError::Empty));
        assert_eq!(Text::parse(&"😀".repeat(11), 10), Err(TextError::TooLong { max: 10 }));
        assert!(Text::parse(&"😀".repeat(10), 10).is_ok());
        assert_eq!(Text::parse("a\u{0}b", 10), Err(TextError::ControlCharacter));
        assert_eq!(format!("{:?}", Text::parse("secret", 10).unwrap()), "Text(<redacted>)");
    }

    #[test]
    fn months_and_dates_in_the_past() {
        let today = d(2026, 12, 4);
        assert_eq!(YearMonth::parse("3", "2019", today).unwrap().to_string(), "2019-03");
        assert_eq!(YearMonth::parse("13", "2019", today), Err(PastDateError::NotARealDate));
        assert_eq!(YearMonth::parse("1", "2027", today), Err(PastDateError::InTheFuture));
        assert!(YearMonth::parse("12", "2026", today).is_ok(), "this month");
        assert_eq!(YearMonth::parse("", "2019", today), Err(PastDateError::Missing));
        assert_eq!(YearMonth::parse("x", "2019", today), Err(PastDateError::NotANumber));
        assert_eq!(YearMonth::parse("1", "1850", today), Err(PastDateError::TooLongAgo(1899)));
        let ym = YearMonth::parse("3", "2019", today).unwrap();
        let json = serde_json::to_string(&ym).unwrap();
        assert_eq!(json, "\"2019-03\"");
        assert_eq!(serde_json::from_str::<YearMonth>(&json).unwrap(), ym);
        assert_eq!(PastDate::parse("29", "2", "2023", today), Err(PastDateError::NotARealDate));
        assert_eq!(PastDate::parse("5", "12", "2026", today), Err(PastDateError::InTheFuture));
        assert!(PastDate::parse("4", "12", "2026", today).is_ok());
    }

    #[test]
    fn passport_numbers_are_nine_digits() {
        assert_eq!(PassportNumber::parse("123 456 789").unwrap().as_str(), "123456789");
        assert_eq!(PassportNumber::parse("12345678"), Err(PassportNumberError::Format));
        assert_eq!(PassportNumber::parse("A12345678"), Err(PassportNumberError::Format));
        assert_eq!(PassportNumber::parse(""), Err(PassportNumberError::Empty));
    }

    #[test]
    fn statements_say_which_kind() {
        assert_eq!(ForcesStatement::new(false, false), Err(StatementError::Nothing));
        assert_eq!(CrownStatement::new(true, false, true, false), Err(StatementError::ServantAndEmployee));
        assert_eq!(CrownStatement::new(false, true, false, true), Err(StatementError::BothPartners));
        assert_eq!(CrownStatement::new(true, false, false, false).unwrap().kind(), ApplicationKind::Crown);
        assert_eq!(CrownStatement::new(false, false, true, false).unwrap().kind(), ApplicationKind::BritishCouncil);
        assert_eq!(CrownStatement::new(false, false, false, true).unwrap().kind(), ApplicationKind::BritishCouncil);
        // A Crown servant married to a British Council employee is a Crown servant.
        assert_eq!(CrownStatement::new(true, false, false, true).unwrap().kind(), ApplicationKind::Crown);
        // A British Council employee married to a Crown servant is a British Council employee.
        assert_eq!(CrownStatement::new(false, true, true, false).unwrap().kind(), ApplicationKind::BritishCouncil);
    }

    #[test]
    fn every_kind_says_how_to_vote() {
        let ordinary = KindDetails::Ordinary(OrdinaryDetails {
            other_address: OtherAddress::None,
            was_overseas_voter: false,
            postal_vote: PostalVote::FormByEmail("a@b.cy".into()),
        });
        assert_eq!(ordinary.way_to_vote(), WayToVote::ByPost(FormDelivery::Email("a@b.cy".into())));
        assert_eq!(ordinary.kind(), ApplicationKind::Ordinary);
        assert_eq!(ordinary.uk_address(), None);
    }
}
