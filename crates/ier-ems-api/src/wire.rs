//! The API's JSON: wire types, separate from the domain's (which may change
//! without breaking EMS suppliers), in camelCase, each with its schema for the
//! OpenAPI document. Requests refuse unknown fields.

use chrono::{DateTime, NaiveDate, Utc};
use ier_domain::register_check::RegisterCandidate;
use ier_domain::{
    Address as DomainAddress, ApplicantDetails, Application as DomainApplication, BirthDetails, Citizenship,
    Correspondence, Council, Ero, FormDelivery, KindDetails, Nation, Nationality, OrReason, OtherAddress, PersonName,
    PostalVote, RegisterCheckResult, Uprn, WayToVote,
};
use ier_storage::{Progress, RegisterCheckState};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A page of the caller's pending applications.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ApplicationPage {
    /// Oldest first. Reading does not consume: an application stays here until its receipt is confirmed.
    pub applications: Vec<Application>,
    /// The page size used.
    pub page_size: u32,
}

/// A page of the caller's determinations, in the order they were recorded.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeterminationPage {
    pub determinations: Vec<DeterminationItem>,
    /// Where the next page starts (`after`); the same value again when this page was empty.
    pub next: String,
}

/// One determination: the EMS's own, or one made in the ERO portal, which the EMS must apply.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeterminationItem {
    pub reference: String,
    /// approved, rejected or evidence-requested.
    pub decision: String,
    /// Reason codes, for a rejection or a request for evidence.
    pub reasons: Vec<String>,
    /// For an approval, the day the registration takes effect, when the ERO gave one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub registered_from: Option<chrono::NaiveDate>,
    /// For a rejection, the notes for the applicant, when the ERO wrote some (the EMS sends
    /// the decision letter).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub notes: Option<Notes>,
    pub at: DateTime<Utc>,
    /// Its place in the order: pass it as `after` to read on from here.
    pub cursor: String,
}

/// An application to register to vote, with everything the ERO needs.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Application {
    /// The reference number the applicant was given (10 characters).
    #[schema(example = "B7K2M9QXTR")]
    pub reference: String,
    pub submitted_at: DateTime<Utc>,
    /// The council (local authority) the address is in.
    #[schema(example = "W06000015")]
    pub gss_code: String,
    /// ordinary, overseas, forces, crown or british-council (see `applicant.overseas`, `applicant.service` and `applicant.crown`).
    #[schema(example = "ordinary")]
    pub kind: String,
    /// The language the applicant used: `en` or `cy`.
    #[schema(example = "cy")]
    pub language: String,
    /// submitted, verified, with-ero or determined.
    #[schema(example = "verified")]
    pub stage: String,
    pub applicant: Applicant,
    /// The elections the applicant may vote in, from the franchise rules, with the day they may first vote.
    pub franchise: Vec<FranchiseEntry>,
    pub verification: VerificationResult,
    pub register_check: Option<RegisterCheckSummary>,
    /// Present when the applicant seems to have applied before, or to be on a
    /// register at this address already (from the service's person index when
    /// read; the applicant was told before sending and chose to send).
    pub repeat: Option<RepeatMark>,
    /// Present once the EMS has confirmed receipt (`success`), or, until it
    /// does, after a failed receipt (`failure`: not received, still on the queue).
    pub receipt: Option<ReceiptState>,
    /// The ERO's latest determination, once there is one.
    pub determination: Option<DeterminationState>,
}

/// Why an application may repeat another, or a registration.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RepeatMark {
    /// The latest earlier application from the same person (same NINO, or the
    /// same names, date of birth and address), still pending or approved.
    #[schema(example = "B7K2M9QXTR")]
    pub earlier_application: Option<String>,
    /// The same person is on a register at this address already (uploaded by
    /// an EMS, or approved here).
    pub registered_at_address: bool,
}

/// The applicant's details. Personal data.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Applicant {
    pub name: Name,
    pub previous_name: Option<Name>,
    /// `YYYY-MM-DD`; absent when not given (then see `dateOfBirthNotGiven`).
    pub date_of_birth: Option<NaiveDate>,
    pub date_of_birth_not_given: Option<DateOfBirthNotGiven>,
    pub nationality: NationalityWire,
    /// Normalised, e.g. `AB123456C`; absent when not given (then see `ninoNotGivenReason`).
    pub nino: Option<String>,
    pub nino_not_given_reason: Option<String>,
    /// The UK address the registration is for: where they live (ordinary); the address an
    /// overseas elector was last registered or lived at, or lived at with a parent or guardian;
    /// a service voter's UK address or last UK address.
    pub address: AddressWire,
    /// The address they moved from in the last 12 months, if any.
    pub previous_address: Option<AddressWire>,
    /// Moved from abroad, where they were registered as an overseas voter at `previousAddress` (ordinary applicants).
    pub was_overseas_voter: bool,
    /// none, second-home or student (ordinary applicants; none for the others).
    pub other_address: String,
    /// On the open register. Never true for someone whose details may not be published (under 16 in Scotland and Wales).
    pub open_register: bool,
    /// A postal vote (every kind: for the others, a way to vote by post).
    pub postal_vote: PostalVoteWire,
    /// How they want to vote, and where to send the postal or proxy vote application form.
    pub way_to_vote: WayToVoteWire,
    pub contact: ContactWire,
    /// An overseas elector's declaration (kind overseas).
    pub overseas: Option<OverseasWire>,
    /// A member of the armed forces' (or their spouse's or civil partner's) service declaration (kind forces).
    pub service: Option<ServiceWire>,
    /// A Crown servant's or British Council employee's (or their spouse's or civil partner's) service declaration (kinds crown and british-council).
    pub crown: Option<CrownWire>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = WayToVote)]
pub struct WayToVoteWire {
    /// in-person, by-post or by-proxy.
    #[schema(example = "by-proxy")]
    pub method: String,
    /// post or email: how to send the application form (by post or by proxy).
    pub send_form_by: Option<String>,
    pub email: Option<String>,
}

/// An overseas elector's declaration.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Overseas)]
pub struct OverseasWire {
    /// How they were last registered in the UK: ordinary, overseas (a renewal), forces, crown,
    /// british-council, or not-registered (they qualify by having lived in the UK).
    #[schema(example = "ordinary")]
    pub last_registered: String,
    /// `YYYY-MM`: when they left the UK, or stopped being a service voter (not asked on a renewal).
    #[schema(example = "2015-06")]
    pub left_uk: Option<String>,
    /// Never registered and left as a child: the parent or guardian they lived with at `address`.
    pub parent_or_guardian: Option<ParentWire>,
    /// How they are a British citizen (not asked on a renewal).
    pub citizenship: Option<CitizenshipWire>,
    /// Why their name changed since they left, with a `previousName`.
    pub name_change_reason: Option<String>,
    pub address_abroad: AbroadAddressWire,
    /// The day the registration would end if it took effect today (the franchise rule
    /// `overseas-votes-for-life`: the third 1 November after it takes effect), unless renewed.
    pub registration_ends_if_effective_today: Option<NaiveDate>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ParentOrGuardian)]
pub struct ParentWire {
    pub name: Name,
    pub previous_name: Option<Name>,
}

/// How an overseas elector is a British citizen.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Citizenship)]
pub struct CitizenshipWire {
    /// passport, born-in-uk-before-1983, or details.
    #[schema(example = "passport")]
    pub evidence: String,
    /// 9 digits.
    pub passport_number: Option<String>,
    pub passport_issuing_authority: Option<String>,
    pub passport_issued: Option<NaiveDate>,
    pub became_citizen: Option<NaiveDate>,
    pub how_became_citizen: Option<String>,
    pub birthplace: Option<String>,
}

/// An address outside the UK.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = AbroadAddress)]
pub struct AbroadAddressWire {
    /// ISO 3166-1 alpha-2.
    #[schema(example = "FR")]
    pub country: String,
    /// One to five lines.
    pub lines: Vec<String>,
}

/// Where to write to a service voter.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CorrespondenceAddress)]
pub struct CorrespondenceWire {
    /// uk (their UK address), bfpo or abroad.
    #[schema(example = "bfpo")]
    pub r#type: String,
    pub bfpo_number: Option<u16>,
    /// ISO 3166-1 alpha-2, for an address abroad.
    pub country: Option<String>,
    pub lines: Vec<String>,
}

/// A member of the armed forces' service declaration, or their spouse's or civil partner's.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = ForcesDeclaration)]
pub struct ServiceWire {
    /// A member of the armed forces.
    pub member: bool,
    /// The spouse or civil partner of a member.
    pub partner: bool,
    /// living-there, not-living-there or no-address (then `address` is their last UK address).
    #[schema(example = "not-living-there")]
    pub uk_address: String,
    /// royal-navy, british-army or royal-air-force.
    #[schema(example = "british-army")]
    pub branch: String,
    /// The regiment or corps (British Army).
    pub regiment: Option<String>,
    pub service_number: String,
    pub rank: String,
    pub correspondence_address: CorrespondenceWire,
    /// The day the declaration would end if it took effect today (franchise rules, `service_declaration`).
    pub declaration_ends_if_effective_today: Option<NaiveDate>,
}

/// A Crown servant's or British Council employee's service declaration, or their spouse's or civil partner's.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = CrownDeclaration)]
pub struct CrownWire {
    pub crown_servant: bool,
    pub crown_servant_partner: bool,
    pub british_council_employee: bool,
    pub british_council_employee_partner: bool,
    /// living-there, not-living-there or no-address (then `address` is their last UK address).
    pub uk_address: String,
    pub job_title: String,
    pub payroll_number: String,
    pub department: String,
    pub correspondence_address: CorrespondenceWire,
    /// The day the declaration would end if it took effect today (franchise rules, `service_declaration`).
    pub declaration_ends_if_effective_today: Option<NaiveDate>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Name {
    pub given_name: String,
    pub middle_names: Option<String>,
    pub surname: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DateOfBirthNotGiven {
    pub reason: String,
    /// 14-to-15, 16-to-17, 18-to-75, over-75 or dont-know.
    pub age_range: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Nationality)]
pub struct NationalityWire {
    pub british: bool,
    pub irish: bool,
    /// ISO 3166-1 alpha-2 codes of up to 3 other nationalities.
    pub other_countries: Vec<String>,
    /// Why nationality was not given (then the others are empty).
    pub not_given_reason: Option<String>,
}

#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Address)]
pub struct AddressWire {
    /// The Unique Property Reference Number, when the address was chosen from the gazetteer.
    pub uprn: Option<String>,
    pub lines: Vec<String>,
    pub town: String,
    pub postcode: String,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = PostalVote)]
pub struct PostalVoteWire {
    /// They asked for a postal vote application form.
    pub wanted: bool,
    pub already_has_one: bool,
    /// post or email, when wanted.
    pub send_form_by: Option<String>,
    pub email: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Contact)]
pub struct ContactWire {
    pub email: Option<String>,
    pub phone: Option<String>,
    pub post: bool,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct FranchiseEntry {
    #[schema(example = "uk-parliament")]
    pub election: String,
    pub from: NaiveDate,
    /// Depends on a status the ERO must confirm (retained rights, leave to remain).
    pub subject_to_status_check: bool,
}

/// The DWP identity check.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct VerificationResult {
    /// pending, match or no-match.
    #[schema(example = "match")]
    pub status: String,
    pub checked_at: Option<DateTime<Utc>>,
    /// The evidence, a line a field, in plain words (never personal data).
    pub explanation: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterCheckSummary {
    pub id: String,
    /// pending or answered.
    pub status: String,
    pub result: Option<String>,
    pub match_count: Option<u32>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptState {
    /// success (confirmed, at `at`) or failure (the latest failure was at `at`; still on the queue).
    pub status: String,
    pub at: DateTime<Utc>,
    /// How many receipts failed (before the success, if there is one).
    pub failures: u32,
    /// The EMS's message with its latest failure.
    pub message: Option<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct DeterminationState {
    /// approved, rejected or evidence-requested.
    pub decision: String,
    pub at: DateTime<Utc>,
}

/// Confirm receipt of an application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReceiptRequest {
    pub status: ReceiptStatus,
    /// What went wrong, with a failure (up to 1,000 characters).
    #[schema(max_length = 1000)]
    pub message: Option<String>,
}

/// Confirm receipt of many applications at once (a page's worth), in one transaction.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReceiptBatch {
    #[schema(min_items = 1, max_items = 200)]
    pub receipts: Vec<ReceiptItem>,
}

#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct ReceiptItem {
    #[schema(pattern = r"^[23456789BCDFGHJKMNPQRSTVWXYZ]{10}$")]
    pub reference: String,
    pub status: ReceiptStatus,
    /// What went wrong, with a failure (up to 1,000 characters).
    #[schema(max_length = 1000)]
    pub message: Option<String>,
}

/// What each confirmation did, in the order given.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptBatchResult {
    pub results: Vec<ReceiptOutcome>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct ReceiptOutcome {
    pub reference: String,
    /// confirmed, already-confirmed (harmless; a failure after a success changes nothing), failure-recorded (not received: the application stays on the queue) or not-found (not among the caller's councils).
    #[schema(example = "confirmed")]
    pub outcome: String,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum ReceiptStatus {
    Success,
    Failure,
}

/// The ERO's determination of an application.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct DeterminationRequest {
    pub decision: Decision,
    /// Reason codes, at most 20.
    #[serde(default)]
    #[schema(max_items = 20)]
    pub reasons: Vec<ReasonCodeText>,
    /// For an approval, the day the registration takes effect (`YYYY-MM-DD`): not before
    /// the day the application was made, at most two years ahead. Without it, the day of
    /// the determination.
    #[serde(default)]
    pub registered_from: Option<chrono::NaiveDate>,
    /// For a rejection, notes for the applicant in English and in Welsh (either or both), sent to
    /// them with the reasons in their language.
    #[serde(default)]
    pub notes: Option<Notes>,
}

/// Notes for the applicant with a rejection, as written in each language.
#[derive(Debug, Default, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Notes {
    /// In English, at most 4000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4000)]
    pub en: Option<String>,
    /// In Welsh, at most 4000 characters.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(max_length = 4000)]
    pub cy: Option<String>,
}

/// A reason code: lower-case letters, digits and hyphens, e.g. `identity-not-confirmed`.
#[derive(Debug, Deserialize)]
#[serde(transparent)]
pub struct ReasonCodeText(pub String);

impl utoipa::PartialSchema for ReasonCodeText {
    fn schema() -> utoipa::openapi::RefOr<utoipa::openapi::schema::Schema> {
        use utoipa::openapi::schema::{ObjectBuilder, Type};
        ObjectBuilder::new()
            .schema_type(Type::String)
            .description(Some("A reason code: lower-case letters, digits and hyphens, e.g. `identity-not-confirmed`."))
            .pattern(Some(r"^[a-z0-9]+(-[a-z0-9]+)*$"))
            .min_length(Some(1))
            .max_length(Some(ier_domain::ReasonCode::MAX_LEN))
            .into()
    }
}

impl utoipa::ToSchema for ReasonCodeText {}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize, ToSchema)]
#[serde(rename_all = "kebab-case")]
pub enum Decision {
    Approved,
    Rejected,
    EvidenceRequested,
}

/// A page of register checks waiting for the EMS's answer.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterCheckPage {
    pub register_checks: Vec<RegisterCheck>,
    pub page_size: u32,
}

/// "Is this person on your register?"
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterCheck {
    pub id: String,
    /// The application it is for.
    pub reference: String,
    pub gss_code: String,
    pub created_at: DateTime<Utc>,
    /// Search past registrations too (overseas applicants).
    pub historical_search: bool,
    pub name: Name,
    pub date_of_birth: Option<NaiveDate>,
    pub address: AddressWire,
    /// pending or answered.
    pub status: String,
    pub result: Option<String>,
    pub match_count: Option<u32>,
    /// The answer's candidates, once answered.
    pub matches: Vec<Candidate>,
}

/// The EMS's answer to a register check.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterCheckAnswer {
    /// The council whose register was searched: one of the caller's, and the check's.
    pub gss_code: String,
    /// How many electors matched (may be more than the candidates given: 11 or more means too many).
    #[schema(minimum = 0, maximum = 100000)]
    pub match_count: u32,
    /// One candidate a match when there are 1 to 10 matches; none otherwise.
    #[serde(default)]
    pub matches: Vec<Candidate>,
}

/// An elector on the register.
#[derive(Debug, Clone, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Candidate {
    /// The EMS's id for the elector.
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"
    )]
    pub ems_elector_id: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"
    )]
    pub given_name: String,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"
    )]
    pub surname: String,
    pub date_of_birth: Option<NaiveDate>,
    #[schema(pattern = r"^[0-9]{1,12}$")]
    pub uprn: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 100,
        pattern = r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"
    )]
    pub property: Option<String>,
    #[schema(
        min_length = 1,
        max_length = 200,
        pattern = r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"
    )]
    pub street: String,
    #[schema(
        min_length = 1,
        max_length = 10,
        pattern = r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"
    )]
    pub postcode: String,
    /// The elector's franchise code on the register; `PENDING` while undetermined.
    #[schema(
        min_length = 1,
        max_length = 20,
        pattern = r"^[^\u0000-\u001f\u007f]*[^\s\u0000-\u001f\u007f][^\u0000-\u001f\u007f]*$"
    )]
    pub franchise_code: String,
    pub registered_from: Option<NaiveDate>,
    pub registered_until: Option<NaiveDate>,
}

/// What the answer meant.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterCheckOutcome {
    pub id: String,
    /// exact-match, partial-match, multiple-match, too-many-matches, no-match, pending-determination, not-started or expired.
    #[schema(example = "exact-match")]
    pub result: String,
}

/// The caller's ERO and the councils it serves.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct EroDetails {
    pub id: String,
    pub name: String,
    pub name_cy: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub website: Option<String>,
    pub address: Option<String>,
    pub councils: Vec<CouncilWire>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
#[schema(as = Council)]
pub struct CouncilWire {
    pub gss_code: String,
    pub name: String,
    pub name_cy: Option<String>,
    /// england, wales or scotland.
    pub nation: String,
}

// --- From the domain ------------------------------------------------------------------

fn name(n: &PersonName) -> Name {
    Name {
        given_name: n.given.as_str().to_owned(),
        middle_names: n.middle.as_ref().map(|m| m.as_str().to_owned()),
        surname: n.surname.as_str().to_owned(),
    }
}

fn address(a: &DomainAddress) -> AddressWire {
    AddressWire {
        uprn: a.uprn.map(|u| u.to_string()),
        lines: a.lines.clone(),
        town: a.town.clone(),
        postcode: a.postcode.to_string(),
    }
}

fn correspondence(c: &Correspondence) -> CorrespondenceWire {
    match c {
        Correspondence::UkAddress => {
            CorrespondenceWire { r#type: "uk".into(), bfpo_number: None, country: None, lines: Vec::new() }
        }
        Correspondence::Bfpo { number, lines } => CorrespondenceWire {
            r#type: "bfpo".into(),
            bfpo_number: Some(*number),
            country: None,
            lines: lines.iter().map(|l| l.to_string()).collect(),
        },
        Correspondence::Abroad(a) => CorrespondenceWire {
            r#type: "abroad".into(),
            bfpo_number: None,
            country: Some(a.country.as_str().to_owned()),
            lines: a.lines.iter().map(|l| l.to_string()).collect(),
        },
    }
}

fn way_to_vote(w: &WayToVote) -> WayToVoteWire {
    let (send_form_by, email) = match w.delivery() {
        Some(FormDelivery::Post) => (Some("post".to_owned()), None),
        Some(FormDelivery::Email(e)) => (Some("email".to_owned()), Some(e.clone())),
        None => (None, None),
    };
    WayToVoteWire { method: w.as_str().to_owned(), send_form_by, email }
}

fn applicant(d: &ApplicantDetails, nation: Option<Nation>, today: NaiveDate) -> Applicant {
    let (date_of_birth, date_of_birth_not_given) = match &d.birth {
        BirthDetails::Date(dob) => (Some(dob.date()), None),
        BirthDetails::NotGiven { reason, range } => {
            (None, Some(DateOfBirthNotGiven { reason: reason.clone(), age_range: range.as_str().to_owned() }))
        }
    };
    let nationality = match &d.nationality {
        Nationality::Stated { british, irish, others } => NationalityWire {
            british: *british,
            irish: *irish,
            other_countries: others.iter().map(|c| c.as_str().to_owned()).collect(),
            not_given_reason: None,
        },
        Nationality::NotProvided { reason } => NationalityWire {
            british: false,
            irish: false,
            other_countries: Vec::new(),
            not_given_reason: Some(reason.clone()),
        },
    };
    let (nino, nino_not_given_reason) = match &d.nino {
        OrReason::Given(n) => (Some(n.compact()), None),
        OrReason::NotGiven { reason } => (None, Some(reason.clone())),
    };
    let way = d.part.way_to_vote();
    let postal_vote = match (&d.part, &way) {
        (KindDetails::Ordinary(o), _) if o.postal_vote == PostalVote::AlreadyHave => {
            PostalVoteWire { wanted: false, already_has_one: true, send_form_by: None, email: None }
        }
        (_, WayToVote::ByPost(delivery)) => {
            let (send_form_by, email) = match delivery {
                FormDelivery::Post => (Some("post".to_owned()), None),
                FormDelivery::Email(e) => (Some("email".to_owned()), Some(e.clone())),
            };
            PostalVoteWire { wanted: true, already_has_one: false, send_form_by, email }
        }
        _ => PostalVoteWire { wanted: false, already_has_one: false, send_form_by: None, email: None },
    };
    let (was_overseas_voter, other_address) = match &d.part {
        KindDetails::Ordinary(o) => (
            o.was_overseas_voter,
            match o.other_address {
                OtherAddress::None => "none",
                OtherAddress::SecondHome => "second-home",
                OtherAddress::Student => "student",
            },
        ),
        _ => (false, "none"),
    };
    let rules = ier_domain::Rules::current();
    // Never published, never sent as on the open register, whoever may not be (defence in depth).
    let publishable = nation.is_none_or(|n| rules.may_publish_birth(n, &d.birth, today));
    let dob = match &d.birth {
        BirthDetails::Date(dob) => Some(*dob),
        BirthDetails::NotGiven { .. } => None,
    };
    let overseas = match &d.part {
        KindDetails::Overseas(o) => Some(OverseasWire {
            last_registered: o.last_registered.as_str().to_owned(),
            left_uk: o.left_uk.map(|l| l.to_string()),
            parent_or_guardian: o
                .parent_guardian
                .as_ref()
                .map(|p| ParentWire { name: name(&p.name), previous_name: p.previous_name.as_ref().map(name) }),
            citizenship: o.citizenship.as_ref().map(|c| match c {
                Citizenship::Passport { number, authority, issued } => CitizenshipWire {
                    evidence: "passport".into(),
                    passport_number: Some(number.as_str().to_owned()),
                    passport_issuing_authority: Some(authority.to_string()),
                    passport_issued: Some(issued.date()),
                    became_citizen: None,
                    how_became_citizen: None,
                    birthplace: None,
                },
                Citizenship::BornInUkBefore1983 => CitizenshipWire {
                    evidence: "born-in-uk-before-1983".into(),
                    passport_number: None,
                    passport_issuing_authority: None,
                    passport_issued: None,
                    became_citizen: None,
                    how_became_citizen: None,
                    birthplace: None,
                },
                Citizenship::Details { became, how, birthplace } => CitizenshipWire {
                    evidence: "details".into(),
                    passport_number: None,
                    passport_issuing_authority: None,
                    passport_issued: None,
                    became_citizen: Some(became.date()),
                    how_became_citizen: Some(how.to_string()),
                    birthplace: Some(birthplace.to_string()),
                },
            }),
            name_change_reason: o.name_change_reason.as_ref().map(|r| r.to_string()),
            address_abroad: AbroadAddressWire {
                country: o.address_abroad.country.as_str().to_owned(),
                lines: o.address_abroad.lines.iter().map(|l| l.to_string()).collect(),
            },
            registration_ends_if_effective_today: rules.overseas_registration_expires(today),
        }),
        _ => None,
    };
    let service = match &d.part {
        KindDetails::Forces(f) => Some(ServiceWire {
            member: f.statement.member,
            partner: f.statement.partner,
            uk_address: f.uk_address.as_str().to_owned(),
            branch: f.service.branch.as_str().to_owned(),
            regiment: f.service.regiment.as_ref().map(|r| r.to_string()),
            service_number: f.service.service_number.to_string(),
            rank: f.service.rank.to_string(),
            correspondence_address: correspondence(&f.correspondence),
            declaration_ends_if_effective_today: rules.service_declaration_expires(d.kind(), today, dob),
        }),
        _ => None,
    };
    let crown = match &d.part {
        KindDetails::Crown(c) => Some(CrownWire {
            crown_servant: c.statement.crown_servant,
            crown_servant_partner: c.statement.crown_partner,
            british_council_employee: c.statement.council_employee,
            british_council_employee_partner: c.statement.council_partner,
            uk_address: c.uk_address.as_str().to_owned(),
            job_title: c.job.title.to_string(),
            payroll_number: c.job.payroll_number.to_string(),
            department: c.job.department.to_string(),
            correspondence_address: correspondence(&c.correspondence),
            declaration_ends_if_effective_today: rules.service_declaration_expires(d.kind(), today, dob),
        }),
        _ => None,
    };
    Applicant {
        name: name(&d.name),
        previous_name: d.previous_name.as_ref().map(name),
        date_of_birth,
        date_of_birth_not_given,
        nationality,
        nino,
        nino_not_given_reason,
        address: address(&d.address),
        previous_address: d.previous_address.as_ref().map(address),
        was_overseas_voter,
        other_address: other_address.to_owned(),
        open_register: d.open_register && publishable,
        postal_vote,
        way_to_vote: way_to_vote(&way),
        contact: ContactWire { email: d.contact.email.clone(), phone: d.contact.phone.clone(), post: d.contact.post },
        overseas,
        service,
        crown,
    }
}

fn franchise(app: &DomainApplication, today: NaiveDate) -> Vec<FranchiseEntry> {
    let Some(nation) = app.gss_code.nation() else { return Vec::new() };
    let date_of_birth = match &app.details.birth {
        BirthDetails::Date(d) => Some(*d),
        BirthDetails::NotGiven { .. } => None,
    };
    if app.kind == ier_domain::ApplicationKind::Overseas {
        // Overseas electors: the overseas rule's elections (UK Parliament), whatever the nation.
        let Some(dob) = date_of_birth else { return Vec::new() };
        return match ier_domain::Rules::current().overseas_eligibility(dob, today) {
            ier_domain::Eligibility::Eligible { rights } => rights
                .into_iter()
                .map(|r| FranchiseEntry {
                    election: r.election,
                    from: r.from,
                    subject_to_status_check: r.subject_to_status_check,
                })
                .collect(),
            _ => Vec::new(),
        };
    }
    let person = ier_domain::rules::Person {
        nationality: &app.details.nationality,
        date_of_birth,
        nation,
        eu_retained_rights: None,
        leave_to_remain: None,
    };
    match ier_domain::Rules::current().eligibility(&person, today) {
        ier_domain::Eligibility::Eligible { rights } => rights
            .into_iter()
            .map(|r| FranchiseEntry {
                election: r.election,
                from: r.from,
                subject_to_status_check: r.subject_to_status_check,
            })
            .collect(),
        _ => Vec::new(),
    }
}

fn register_check_summary(c: &RegisterCheckState) -> RegisterCheckSummary {
    RegisterCheckSummary {
        id: c.id.clone(),
        status: if c.answered_at.is_some() { "answered" } else { "pending" }.to_owned(),
        result: c.result.map(|r| r.as_str().to_owned()),
        match_count: c.match_count,
    }
}

pub fn verification(p: &Progress) -> VerificationResult {
    match &p.verification {
        Some(v) => VerificationResult {
            status: match v.outcome {
                ier_domain::VerificationOutcome::Match => "match",
                ier_domain::VerificationOutcome::NoMatch => "no-match",
            }
            .to_owned(),
            checked_at: Some(v.at),
            explanation: v.explanation.clone(),
        },
        None => VerificationResult { status: "pending".into(), checked_at: None, explanation: Vec::new() },
    }
}

pub fn application(app: &DomainApplication, p: &Progress, today: NaiveDate) -> Application {
    Application {
        reference: app.reference.to_string(),
        submitted_at: app.submitted_at,
        gss_code: app.gss_code.to_string(),
        kind: app.kind.as_str().to_owned(),
        language: app.language.as_str().to_owned(),
        stage: app.stage.as_str().to_owned(),
        applicant: applicant(&app.details, app.gss_code.nation(), today),
        franchise: franchise(app, today),
        verification: verification(p),
        register_check: p.register_check.as_ref().map(register_check_summary),
        repeat: p.repeat.as_ref().map(|r| RepeatMark {
            earlier_application: r.of.map(|of| of.to_string()),
            registered_at_address: r.registered,
        }),
        receipt: p.receipt.map(|r| ReceiptState {
            status: if r.success { "success" } else { "failure" }.to_owned(),
            at: r.at,
            failures: r.failures,
            message: p.receipt_message.clone(),
        }),
        determination: p
            .determination
            .map(|d| DeterminationState { decision: d.determination.as_str().to_owned(), at: d.at }),
    }
}

pub fn register_check(c: &RegisterCheckState, app: &DomainApplication, matches: &[RegisterCandidate]) -> RegisterCheck {
    let summary = register_check_summary(c);
    RegisterCheck {
        id: c.id.clone(),
        reference: app.reference.to_string(),
        gss_code: app.gss_code.to_string(),
        created_at: c.created_at,
        historical_search: c.historical,
        name: name(&app.details.name),
        date_of_birth: match &app.details.birth {
            BirthDetails::Date(d) => Some(d.date()),
            BirthDetails::NotGiven { .. } => None,
        },
        address: address(&app.details.address),
        status: summary.status,
        result: summary.result,
        match_count: summary.match_count,
        matches: matches.iter().map(candidate_out).collect(),
    }
}

fn candidate_out(c: &RegisterCandidate) -> Candidate {
    Candidate {
        ems_elector_id: c.ems_elector_id.clone(),
        given_name: c.given_name.clone(),
        surname: c.surname.clone(),
        date_of_birth: c.date_of_birth,
        uprn: c.uprn.map(|u| u.to_string()),
        property: c.property.clone(),
        street: c.street.clone(),
        postcode: c.postcode.clone(),
        franchise_code: c.franchise_code.clone(),
        registered_from: c.registered_from,
        registered_until: c.registered_until,
    }
}

/// A candidate from the wire, checked field by field (`matches[i].field`).
pub fn candidate_in(i: usize, c: Candidate) -> Result<RegisterCandidate, (String, &'static str)> {
    let at = |f: &str| format!("matches[{i}].{f}");
    let text = |f: &str, v: &str, max: usize| -> Result<(), (String, &'static str)> {
        if v.trim().is_empty() {
            return Err((at(f), "must not be empty"));
        }
        if v.chars().count() > max || v.chars().any(char::is_control) {
            return Err((at(f), "is too long or has control characters"));
        }
        Ok(())
    };
    text("emsElectorId", &c.ems_elector_id, 100)?;
    text("givenName", &c.given_name, 100)?;
    text("surname", &c.surname, 100)?;
    text("street", &c.street, 200)?;
    text("postcode", &c.postcode, 10)?;
    text("franchiseCode", &c.franchise_code, 20)?;
    if let Some(p) = &c.property {
        text("property", p, 100)?;
    }
    let uprn = match &c.uprn {
        Some(u) => Some(Uprn::parse(u).map_err(|_| (at("uprn"), "must be a UPRN: up to 12 digits"))?),
        None => None,
    };
    if let (Some(from), Some(until)) = (c.registered_from, c.registered_until)
        && until < from
    {
        return Err((at("registeredUntil"), "must not be before registeredFrom"));
    }
    Ok(RegisterCandidate {
        ems_elector_id: c.ems_elector_id,
        given_name: c.given_name,
        surname: c.surname,
        date_of_birth: c.date_of_birth,
        uprn,
        property: c.property,
        street: c.street,
        postcode: c.postcode,
        franchise_code: c.franchise_code,
        registered_from: c.registered_from,
        registered_until: c.registered_until,
    })
}

pub fn register_check_result(r: RegisterCheckResult) -> String {
    r.as_str().to_owned()
}

pub fn ero(e: &Ero, councils: &[Council]) -> EroDetails {
    EroDetails {
        id: e.id.to_string(),
        name: e.name.clone(),
        name_cy: e.name_cy.clone(),
        email: e.contact.email.clone(),
        phone: e.contact.phone.clone(),
        website: e.contact.website.clone(),
        address: e.contact.address.clone(),
        councils: councils
            .iter()
            .map(|c| CouncilWire {
                gss_code: c.gss_code.to_string(),
                name: c.name.clone(),
                name_cy: c.name_cy.clone(),
                nation: c.nation.as_str().to_owned(),
            })
            .collect(),
    }
}
