//! An application to register: its kind, language, the applicant's details and
//! where it stands in its life (events).
//!
//! [`ApplicantDetails`] is the personal data; storage encrypts it at rest.
//! Everything else on [`Application`] is safe to index, count and log.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};

use crate::dates::DateOfBirth;
use crate::geography::{GssCode, Uprn};
use crate::ids::{EroId, ReferenceNumber};
use crate::kinds::{KindDetails, OrdinaryDetails};
use crate::name::PersonName;
use crate::nationality::Nationality;
use crate::nino::Nino;
use crate::postcode::Postcode;

/// The kinds of applicant the service takes (four journeys: Crown servants and
/// British Council employees walk the same one).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum ApplicationKind {
    /// Living in England, Wales or Scotland.
    Ordinary,
    /// A British citizen living abroad.
    Overseas,
    /// A member of the armed forces, or their spouse or civil partner.
    Forces,
    /// A Crown servant in a post outside the UK, or their spouse or civil partner.
    Crown,
    /// A British Council employee in a post outside the UK, or their spouse or civil partner.
    BritishCouncil,
}

impl ApplicationKind {
    pub const ALL: [ApplicationKind; 5] =
        [Self::Ordinary, Self::Overseas, Self::Forces, Self::Crown, Self::BritishCouncil];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Ordinary => "ordinary",
            Self::Overseas => "overseas",
            Self::Forces => "forces",
            Self::Crown => "crown",
            Self::BritishCouncil => "british-council",
        }
    }

    /// Service voters: they make a service declaration.
    pub fn is_service_voter(&self) -> bool {
        matches!(self, Self::Forces | Self::Crown | Self::BritishCouncil)
    }
}

impl FromStr for ApplicationKind {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(UnknownValue("application kind"))
    }
}

impl fmt::Display for ApplicationKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("unknown {0}")]
pub struct UnknownValue(pub &'static str);

/// The language the applicant used: recorded on the application so that the
/// ERO writes back in it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Default, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Language {
    #[default]
    En,
    Cy,
}

impl Language {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Cy => "cy",
        }
    }
}

impl FromStr for Language {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "en" => Ok(Self::En),
            "cy" => Ok(Self::Cy),
            _ => Err(UnknownValue("language")),
        }
    }
}

/// A UK address. A gazetteer address carries its UPRN; a hand-entered one does not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Address {
    pub uprn: Option<Uprn>,
    /// Lines above the town: property and street, then locality.
    pub lines: Vec<String>,
    pub town: String,
    pub postcode: Postcode,
}

impl Address {
    /// One line, comma separated, for display.
    pub fn one_line(&self) -> String {
        let mut parts: Vec<&str> = self.lines.iter().map(String::as_str).filter(|l| !l.is_empty()).collect();
        parts.push(&self.town);
        let pc = self.postcode.to_string();
        let mut s = parts.join(", ");
        s.push_str(", ");
        s.push_str(&pc);
        s
    }
}

/// Either a value or the applicant's reason for not giving it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrReason<T> {
    Given(T),
    NotGiven { reason: String },
}

/// An age range given instead of a date of birth. The ERO uses it to judge
/// eligibility by age and, with 75, jury service.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum AgeRange {
    From14To15,
    From16To17,
    From18To75,
    Over75,
    DontKnow,
}

impl AgeRange {
    pub const ALL: [AgeRange; 5] = [Self::From14To15, Self::From16To17, Self::From18To75, Self::Over75, Self::DontKnow];

    /// The form value and the stem of its message keys.
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::From14To15 => "14-to-15",
            Self::From16To17 => "16-to-17",
            Self::From18To75 => "18-to-75",
            Self::Over75 => "over-75",
            Self::DontKnow => "dont-know",
        }
    }

    /// The youngest age in the range, when the range says.
    pub fn youngest(&self) -> Option<u32> {
        match self {
            Self::From14To15 => Some(14),
            Self::From16To17 => Some(16),
            Self::From18To75 => Some(18),
            Self::Over75 => Some(76),
            Self::DontKnow => None,
        }
    }

    /// The oldest age in the range, when the range says.
    pub fn oldest(&self) -> Option<u32> {
        match self {
            Self::From14To15 => Some(15),
            Self::From16To17 => Some(17),
            Self::From18To75 => Some(75),
            Self::Over75 | Self::DontKnow => None,
        }
    }
}

impl FromStr for AgeRange {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(UnknownValue("age range"))
    }
}

/// The date of birth, or why not and an age range.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BirthDetails {
    Date(DateOfBirth),
    NotGiven { reason: String, range: AgeRange },
}

/// Another address where the applicant lives, if any (they may register at both).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum OtherAddress {
    #[default]
    None,
    SecondHome,
    Student,
}

/// Whether the applicant moved in the last 12 months, and from where.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Moved {
    No,
    FromUk(Address),
    /// From abroad, not registered as an overseas voter.
    FromAbroad,
    /// From abroad, registered as an overseas voter at this UK address (the
    /// ERO there removes the overseas entry: `lastcategory=overseas`).
    FromAbroadOverseasVoter(Address),
}

impl Moved {
    /// The address the applicant was last registered at or lived at in the UK, if any.
    pub fn previous_address(&self) -> Option<&Address> {
        match self {
            Self::FromUk(a) | Self::FromAbroadOverseasVoter(a) => Some(a),
            Self::No | Self::FromAbroad => None,
        }
    }
}

/// The postal vote: wanted (and where to send the application form), or not.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PostalVote {
    /// No: they will vote in person.
    InPerson,
    /// No: they already have a postal vote.
    AlreadyHave,
    /// Yes: send the application form by post to their address.
    FormByPost,
    /// Yes: email the application form to this address.
    FormByEmail(String),
}

impl PostalVote {
    /// Whether the applicant asked for a postal vote application form.
    pub fn wanted(&self) -> bool {
        matches!(self, Self::FormByPost | Self::FormByEmail(_))
    }
}

/// Applications stored before the delivery choice recorded a bare yes or no.
fn postal_vote_or_legacy<'de, D: serde::Deserializer<'de>>(d: D) -> Result<Option<PostalVote>, D::Error> {
    #[derive(Deserialize)]
    #[serde(untagged)]
    enum Stored {
        Legacy(bool),
        Current(PostalVote),
    }
    Ok(Option::<Stored>::deserialize(d)?.map(|s| match s {
        Stored::Legacy(true) => PostalVote::FormByPost,
        Stored::Legacy(false) => PostalVote::InPerson,
        Stored::Current(p) => p,
    }))
}

/// How the applicant may be contacted.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Contact {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub post: bool,
}

/// Everything personal the applicant told us. Encrypted at rest.
///
/// A common core every kind of applicant gives, and a part per kind
/// ([`KindDetails`]). Sealed with a version ([`DETAILS_VERSION`]): version 1
/// (before the kinds) held the ordinary journey's own answers at the top level,
/// and still opens, as an ordinary application.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "StoredDetails")]
pub struct ApplicantDetails {
    pub name: PersonName,
    pub previous_name: Option<PersonName>,
    pub birth: BirthDetails,
    pub nationality: Nationality,
    pub nino: OrReason<Nino>,
    /// The UK address the registration is for: where they live (ordinary); the
    /// address they were last registered or lived at, or their parent's or
    /// guardian's (overseas); their UK address or last UK address (service voters).
    pub address: Address,
    /// The address they moved from in the last 12 months.
    pub previous_address: Option<Address>,
    pub open_register: bool,
    pub contact: Contact,
    /// What this kind of applicant tells us beyond the core.
    pub part: KindDetails,
}

impl ApplicantDetails {
    pub fn kind(&self) -> ApplicationKind {
        self.part.kind()
    }

    /// The ordinary journey's own answers, for an ordinary application.
    pub fn ordinary(&self) -> Option<&OrdinaryDetails> {
        match &self.part {
            KindDetails::Ordinary(o) => Some(o),
            _ => None,
        }
    }
}

/// The version every application is sealed with now.
pub const DETAILS_VERSION: u32 = 2;

/// Applicant details as sealed, of any version.
#[derive(Deserialize)]
struct StoredDetails {
    #[serde(default)]
    v: u32,
    name: PersonName,
    #[serde(default)]
    previous_name: Option<PersonName>,
    birth: BirthDetails,
    nationality: Nationality,
    nino: OrReason<Nino>,
    address: Address,
    #[serde(default)]
    previous_address: Option<Address>,
    open_register: bool,
    contact: Contact,
    #[serde(default)]
    part: Option<KindDetails>,
    // Version 1: the ordinary journey's own answers at the top level.
    #[serde(default)]
    was_overseas_voter: bool,
    #[serde(default)]
    other_address: OtherAddress,
    #[serde(default, deserialize_with = "postal_vote_or_legacy")]
    postal_vote: Option<PostalVote>,
}

impl TryFrom<StoredDetails> for ApplicantDetails {
    type Error = String;

    fn try_from(s: StoredDetails) -> Result<Self, Self::Error> {
        let part = match (s.v, s.part) {
            (DETAILS_VERSION, Some(part)) => part,
            (DETAILS_VERSION, None) => return Err("version 2 details without their kind's part".into()),
            (0 | 1, _) => KindDetails::Ordinary(OrdinaryDetails {
                other_address: s.other_address,
                was_overseas_voter: s.was_overseas_voter,
                postal_vote: s.postal_vote.ok_or("version 1 details without a postal vote answer")?,
            }),
            (v, _) => return Err(format!("unknown details version {v}")),
        };
        Ok(Self {
            name: s.name,
            previous_name: s.previous_name,
            birth: s.birth,
            nationality: s.nationality,
            nino: s.nino,
            address: s.address,
            previous_address: s.previous_address,
            open_register: s.open_register,
            contact: s.contact,
            part,
        })
    }
}

impl Serialize for ApplicantDetails {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        #[derive(Serialize)]
        struct Sealed<'a> {
            v: u32,
            name: &'a PersonName,
            #[serde(skip_serializing_if = "Option::is_none")]
            previous_name: &'a Option<PersonName>,
            birth: &'a BirthDetails,
            nationality: &'a Nationality,
            nino: &'a OrReason<Nino>,
            address: &'a Address,
            #[serde(skip_serializing_if = "Option::is_none")]
            previous_address: &'a Option<Address>,
            open_register: bool,
            contact: &'a Contact,
            part: &'a KindDetails,
        }
        Sealed {
            v: DETAILS_VERSION,
            name: &self.name,
            previous_name: &self.previous_name,
            birth: &self.birth,
            nationality: &self.nationality,
            nino: &self.nino,
            address: &self.address,
            previous_address: &self.previous_address,
            open_register: self.open_register,
            contact: &self.contact,
            part: &self.part,
        }
        .serialize(s)
    }
}

/// An application as stored: safe metadata plus the applicant's details.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Application {
    pub reference: ReferenceNumber,
    pub kind: ApplicationKind,
    pub language: Language,
    pub gss_code: GssCode,
    pub ero_id: EroId,
    pub submitted_at: DateTime<Utc>,
    pub stage: Stage,
    pub details: ApplicantDetails,
}

/// Where an application is in its life, derived from its latest event.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Stage {
    /// Stored; identity verification requested.
    Submitted,
    /// Identity verification has a result.
    Verified,
    /// The ERO's EMS has confirmed it has the application.
    WithEro,
    /// The ERO has decided.
    Determined,
}

impl Stage {
    pub const ALL: [Stage; 4] = [Self::Submitted, Self::Verified, Self::WithEro, Self::Determined];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::Verified => "verified",
            Self::WithEro => "with-ero",
            Self::Determined => "determined",
        }
    }
}

impl FromStr for Stage {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(UnknownValue("stage"))
    }
}

/// Result of an identity check against DWP.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum VerificationOutcome {
    Match,
    NoMatch,
}

/// Where an ERO's local data comes from (the local data step for applicants DWP did not match).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocalDataSource {
    CouncilTax,
    Benefits,
    Other,
}

impl LocalDataSource {
    pub const ALL: [LocalDataSource; 3] = [Self::CouncilTax, Self::Benefits, Self::Other];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::CouncilTax => "council-tax",
            Self::Benefits => "benefits",
            Self::Other => "other",
        }
    }
}

impl FromStr for LocalDataSource {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(UnknownValue("local data source"))
    }
}

/// How sure a match with local data is (as a data matching run's levels: strong at a
/// probability of 0.99 or more, likely from the threshold of 0.9).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum LocalMatch {
    Strong,
    Likely,
}

impl LocalMatch {
    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Strong => "strong",
            Self::Likely => "likely",
        }
    }
}

/// The ERO's decision.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Determination {
    Approved,
    Rejected,
    EvidenceRequested,
}

impl Determination {
    pub const ALL: [Determination; 3] = [Self::Approved, Self::Rejected, Self::EvidenceRequested];

    pub fn as_str(&self) -> &'static str {
        match self {
            Self::Approved => "approved",
            Self::Rejected => "rejected",
            Self::EvidenceRequested => "evidence-requested",
        }
    }

    /// Whether the ERO may still change it: asking for evidence leads to a decision.
    pub fn is_final(&self) -> bool {
        !matches!(self, Self::EvidenceRequested)
    }
}

impl FromStr for Determination {
    type Err = UnknownValue;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::ALL.into_iter().find(|k| k.as_str() == s).ok_or(UnknownValue("determination"))
    }
}

/// Notes for the applicant with a rejection, in English and in Welsh, as the back office's
/// `rejectedReasons.notes` (at most 4,000 characters each): free text, so personal data, kept
/// sealed and never in an event. The applicant is sent the notes in their language, or the
/// other language's when only those were written.
#[derive(Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct DecisionNotes {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub en: Option<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cy: Option<String>,
}

impl fmt::Debug for DecisionNotes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("DecisionNotes(<redacted>)")
    }
}

/// Why notes cannot be kept as written.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum NotesError {
    #[error("notes are at most 4000 characters")]
    TooLong(Language),
    #[error("notes may not hold control characters other than line breaks and tabs")]
    Control(Language),
    #[error("notes for the applicant are given only with a rejection")]
    NotRejected,
}

impl NotesError {
    pub fn message(&self) -> &'static str {
        match self {
            Self::TooLong(_) => "notes are at most 4000 characters",
            Self::Control(_) => "notes may not hold control characters other than line breaks and tabs",
            Self::NotRejected => "notes for the applicant are given only with a rejection",
        }
    }
}

impl DecisionNotes {
    pub const MAX_CHARS: usize = 4000;

    /// Notes as typed in each language (blank: none), `None` when both are blank; line ends
    /// become `\n`.
    pub fn parse(en: &str, cy: &str) -> Result<Option<Self>, NotesError> {
        let one = |text: &str, lang: Language| -> Result<Option<String>, NotesError> {
            let text = text.replace("\r\n", "\n").replace('\r', "\n");
            let text = text.trim();
            if text.is_empty() {
                return Ok(None);
            }
            if text.chars().count() > Self::MAX_CHARS {
                return Err(NotesError::TooLong(lang));
            }
            if text.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
                return Err(NotesError::Control(lang));
            }
            Ok(Some(text.to_owned()))
        };
        let notes = Self { en: one(en, Language::En)?, cy: one(cy, Language::Cy)? };
        Ok((notes.en.is_some() || notes.cy.is_some()).then_some(notes))
    }

    /// The notes for an applicant of this language: theirs, else the other language's.
    pub fn in_language(&self, language: Language) -> Option<&str> {
        let (mine, other) = match language {
            Language::En => (&self.en, &self.cy),
            Language::Cy => (&self.cy, &self.en),
        };
        mine.as_deref().or(other.as_deref())
    }
}

/// Why a registration's first day cannot be the one given.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum RegisteredFromError {
    #[error("a registration's first day is given only when the application is approved")]
    NotApproved,
    #[error("a registration cannot start before the application was made")]
    BeforeApplication,
    #[error("a registration cannot start more than two years ahead")]
    TooFarAhead,
}

impl RegisteredFromError {
    pub fn message(&self) -> &'static str {
        match self {
            Self::NotApproved => "a registration's first day is given only when the application is approved",
            Self::BeforeApplication => "a registration cannot start before the application was made",
            Self::TooFarAhead => "a registration cannot start more than two years ahead",
        }
    }
}

/// Check the first day of a registration: only for an approval, not before the day the
/// application was made (in the UK), and at most two years after `today` (an attainer
/// of 16 is registered from their 18th birthday).
pub fn check_registered_from(
    determination: Determination,
    from: chrono::NaiveDate,
    submitted_on: chrono::NaiveDate,
    today: chrono::NaiveDate,
) -> Result<(), RegisteredFromError> {
    if determination != Determination::Approved {
        return Err(RegisteredFromError::NotApproved);
    }
    if from < submitted_on {
        return Err(RegisteredFromError::BeforeApplication);
    }
    if from > today + chrono::Days::new(731) {
        return Err(RegisteredFromError::TooFarAhead);
    }
    Ok(())
}

/// Why an ERO decided as they did, as a code (`identity-not-confirmed`,
/// `not-eligible-nationality`, ...): lower-case letters, digits and hyphens, at
/// most 60 characters. Deliberately an open set, as in the real back office;
/// never free text, so it can never carry personal data.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct ReasonCode(String);

/// A reason code that is not one.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("a reason code is 1 to 60 lower-case letters, digits and hyphens, like identity-not-confirmed")]
pub struct ReasonCodeError;

impl ReasonCode {
    pub const MAX_LEN: usize = 60;

    pub fn parse(s: &str) -> Result<Self, ReasonCodeError> {
        let ok = !s.is_empty()
            && s.len() <= Self::MAX_LEN
            && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            && !s.starts_with('-')
            && !s.ends_with('-');
        if ok { Ok(Self(s.to_owned())) } else { Err(ReasonCodeError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for ReasonCode {
    type Error = ReasonCodeError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<ReasonCode> for String {
    fn from(r: ReasonCode) -> Self {
        r.0
    }
}

/// Something that happened to an application. Holds no personal data: an
/// event may be read by operators and kept for audit after the details go.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "event", rename_all = "kebab-case")]
pub enum EventKind {
    Submitted,
    VerificationRequested,
    Verified {
        outcome: VerificationOutcome,
        /// The evidence for the ERO in plain words, one line a field: never personal data.
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        explanation: Vec<String>,
    },
    FetchedByEms,
    ConfirmedByEms {
        success: bool,
    },
    Determined {
        determination: Determination,
        /// Why (for a rejection or a request for evidence).
        #[serde(default, skip_serializing_if = "Vec::is_empty")]
        reasons: Vec<ReasonCode>,
        /// For a registration, the day it takes effect when the ERO gave one
        /// ([`check_registered_from`]); otherwise the day it was determined.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        registered_from: Option<chrono::NaiveDate>,
    },
    /// The council's EMS answered the register check (the answer's candidates are stored sealed).
    RegisterChecked {
        result: crate::register_check::RegisterCheckResult,
    },
    /// ERO staff compared the applicant with their local data (council tax, benefits):
    /// found at this level, or (`None`) not found.
    LocalDataChecked {
        source: LocalDataSource,
        #[serde(default, skip_serializing_if = "Option::is_none")]
        level: Option<LocalMatch>,
    },
    /// Its personal data was deleted under the retention rules (`retention`);
    /// what is left holds none.
    Erased,
}

impl EventKind {
    /// The stage an application reaches with this event, if it moves it on.
    pub fn stage(&self) -> Option<Stage> {
        match self {
            Self::Submitted | Self::VerificationRequested => Some(Stage::Submitted),
            Self::Verified { .. } => Some(Stage::Verified),
            Self::ConfirmedByEms { success: true } => Some(Stage::WithEro),
            Self::Determined { .. } => Some(Stage::Determined),
            Self::FetchedByEms
            | Self::ConfirmedByEms { success: false }
            | Self::RegisterChecked { .. }
            | Self::LocalDataChecked { .. }
            | Self::Erased => None,
        }
    }

    /// A short name for indexes and metrics.
    pub fn name(&self) -> &'static str {
        match self {
            Self::Submitted => "submitted",
            Self::VerificationRequested => "verification-requested",
            Self::Verified { .. } => "verified",
            Self::FetchedByEms => "fetched-by-ems",
            Self::ConfirmedByEms { .. } => "confirmed-by-ems",
            Self::Determined { .. } => "determined",
            Self::RegisterChecked { .. } => "register-checked",
            Self::LocalDataChecked { .. } => "local-data-checked",
            Self::Erased => "erased",
        }
    }
}

/// One recorded event.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    pub reference: ReferenceNumber,
    pub at: DateTime<Utc>,
    pub kind: EventKind,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stages_follow_events() {
        assert_eq!(
            EventKind::Verified { outcome: VerificationOutcome::NoMatch, explanation: vec![] }.stage(),
            Some(Stage::Verified)
        );
        assert_eq!(EventKind::FetchedByEms.stage(), None, "reading does not consume");
        assert_eq!(EventKind::ConfirmedByEms { success: false }.stage(), None);
        for s in Stage::ALL {
            assert_eq!(s.as_str().parse::<Stage>().unwrap(), s);
        }
        for k in ApplicationKind::ALL {
            assert_eq!(k.as_str().parse::<ApplicationKind>().unwrap(), k);
        }
    }

    #[test]
    fn postal_vote_reads_applications_stored_as_a_bare_yes_or_no() {
        #[derive(Deserialize)]
        struct Row {
            #[serde(deserialize_with = "postal_vote_or_legacy")]
            v: Option<PostalVote>,
        }
        let read = |json: &str| serde_json::from_str::<Row>(json).unwrap().v.unwrap();
        assert_eq!(read(r#"{"v":true}"#), PostalVote::FormByPost);
        assert_eq!(read(r#"{"v":false}"#), PostalVote::InPerson);
        assert_eq!(read(r#"{"v":{"form-by-email":"a@b.cy"}}"#), PostalVote::FormByEmail("a@b.cy".into()));
        assert_eq!(read(r#"{"v":"already-have"}"#), PostalVote::AlreadyHave);
        assert!(PostalVote::FormByEmail("a@b.cy".into()).wanted() && !PostalVote::AlreadyHave.wanted());
    }

    /// Exactly what the service sealed before applications had kinds (version 1).
    const VERSION_1: &str = r#"{"name":{"given":"Siân","middle":null,"surname":"Llewellyn"},"previous_name":null,"birth":{"date":"1990-09-02"},"nationality":{"kind":"stated","british":true,"irish":false,"others":[]},"nino":{"given":"SN425918B"},"address":{"uprn":null,"lines":["1 Heol y Bont"],"town":"Caerdydd","postcode":"CF10 1EP"},"previous_address":null,"was_overseas_voter":true,"other_address":"student","open_register":false,"postal_vote":{"form-by-email":"sian@example.com"},"contact":{"email":null,"phone":null,"post":true}}"#;

    #[test]
    fn details_sealed_before_the_kinds_open_as_ordinary_and_seal_again_as_version_2() {
        let d: ApplicantDetails = serde_json::from_str(VERSION_1).unwrap();
        assert_eq!(d.kind(), ApplicationKind::Ordinary);
        let o = d.ordinary().unwrap();
        assert!(o.was_overseas_voter);
        assert_eq!(o.other_address, OtherAddress::Student);
        assert_eq!(o.postal_vote, PostalVote::FormByEmail("sian@example.com".into()));
        let again = serde_json::to_string(&d).unwrap();
        assert!(again.starts_with(r#"{"v":2,"#), "{again}");
        assert_eq!(serde_json::from_str::<ApplicantDetails>(&again).unwrap(), d);
        // A legacy bare yes still reads; an unknown version does not.
        let bare = VERSION_1.replace(r#"{"form-by-email":"sian@example.com"}"#, "true");
        let d: ApplicantDetails = serde_json::from_str(&bare).unwrap();
        assert_eq!(d.ordinary().unwrap().postal_vote, PostalVote::FormByPost);
        assert!(serde_json::from_str::<ApplicantDetails>(&again.replace(r#""v":2"#, r#""v":9"#)).is_err());
    }

    #[test]
    fn age_ranges_round_trip_and_are_ordered() {
        for r in AgeRange::ALL {
            assert_eq!(r.as_str().parse::<AgeRange>().unwrap(), r);
            if let (Some(y), Some(o)) = (r.youngest(), r.oldest()) {
                assert!(y <= o);
            }
        }
    }

    #[test]
    fn notes_are_kept_as_typed_within_their_limits_and_sent_in_the_applicants_language() {
        assert_eq!(DecisionNotes::parse("  ", "\n"), Ok(None));
        let notes = DecisionNotes::parse(" Line one\r\nline two ", "").unwrap().unwrap();
        assert_eq!(notes.en.as_deref(), Some("Line one\nline two"));
        assert_eq!(
            notes.in_language(Language::Cy),
            Some("Line one\nline two"),
            "the other language's when theirs is missing"
        );
        let both = DecisionNotes::parse("English", "Cymraeg").unwrap().unwrap();
        assert_eq!(
            (both.in_language(Language::En), both.in_language(Language::Cy)),
            (Some("English"), Some("Cymraeg"))
        );
        assert_eq!(DecisionNotes::parse(&"ŵ".repeat(4000), "").unwrap().unwrap().en.unwrap().chars().count(), 4000);
        assert_eq!(DecisionNotes::parse("", &"a".repeat(4001)), Err(NotesError::TooLong(Language::Cy)));
        assert_eq!(DecisionNotes::parse("bell\u{7}", ""), Err(NotesError::Control(Language::En)));
        assert!(!format!("{both:?}").contains("English"));
    }

    #[test]
    fn a_registration_starts_on_or_after_its_application_and_within_two_years() {
        let d = |y, m, day| chrono::NaiveDate::from_ymd_opt(y, m, day).unwrap();
        let (made, today) = (d(2026, 11, 30), d(2026, 12, 5));
        let check = |det, from| check_registered_from(det, from, made, today);
        assert_eq!(check(Determination::Approved, made), Ok(()));
        assert_eq!(check(Determination::Approved, d(2028, 12, 5)), Ok(()));
        assert_eq!(check(Determination::Approved, d(2026, 11, 29)), Err(RegisteredFromError::BeforeApplication));
        assert_eq!(check(Determination::Approved, d(2028, 12, 7)), Err(RegisteredFromError::TooFarAhead));
        assert_eq!(check(Determination::Rejected, today), Err(RegisteredFromError::NotApproved));
        assert_eq!(check(Determination::EvidenceRequested, today), Err(RegisteredFromError::NotApproved));
    }

    #[test]
    fn event_json_has_no_room_for_personal_data() {
        let approved =
            EventKind::Determined { determination: Determination::Approved, reasons: vec![], registered_from: None };
        let json = serde_json::to_string(&approved).unwrap();
        assert_eq!(json, r#"{"event":"determined","determination":"approved"}"#);
        // Reasons are codes, never free text.
        let reasons = vec![ReasonCode::parse("identity-not-confirmed").unwrap()];
        let rejected = EventKind::Determined { determination: Determination::Rejected, reasons, registered_from: None };
        let json = serde_json::to_string(&rejected).unwrap();
        assert_eq!(json, r#"{"event":"determined","determination":"rejected","reasons":["identity-not-confirmed"]}"#);
        assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), rejected);
        let from = chrono::NaiveDate::from_ymd_opt(2026, 12, 7);
        let dated =
            EventKind::Determined { determination: Determination::Approved, reasons: vec![], registered_from: from };
        let json = serde_json::to_string(&dated).unwrap();
        assert_eq!(json, r#"{"event":"determined","determination":"approved","registered_from":"2026-12-07"}"#);
        assert_eq!(serde_json::from_str::<EventKind>(&json).unwrap(), dated);
        let free_text = r#"{"event":"determined","determination":"rejected","reasons":["Mrs Jones said so"]}"#;
        assert!(serde_json::from_str::<EventKind>(free_text).is_err());
    }

    #[test]
    fn reason_codes_are_slugs() {
        for ok in ["identity-not-confirmed", "other", "a1"] {
            assert_eq!(ReasonCode::parse(ok).unwrap().as_str(), ok);
        }
        for bad in ["", "Other", "two words", "-lead", "trail-", "under_score", &"x".repeat(61)] {
            assert!(ReasonCode::parse(bad).is_err(), "{bad}");
        }
    }
}
