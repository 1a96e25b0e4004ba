//! Everything an applicant has answered so far, in any journey, and how the
//! answers become an application.
//!
//! One struct for every journey: the answers common to several journeys (name,
//! date of birth, National Insurance number, addresses...) are the same slots
//! whichever journey asks them, so an applicant who turns out to live abroad
//! keeps what they have told us. Each slot is named by a [`Slot`]: the engine
//! drops the answer of every slot that no step which applies asks, so an answer
//! to a question that no longer applies is never shown or sent.
//!
//! Short serde names keep the journey state small (it travels in a cookie).

use chrono::NaiveDate;
use ier_domain::{
    Address, ApplicantDetails, BirthDetails, Citizenship, Contact, Correspondence, CrownDetails, CrownStatement,
    DateOfBirth, EroId, ForcesDetails, ForcesStatement, FormDelivery, GssCode, Job, KindDetails, LastRegistration,
    Nation, Nationality, Nino, OrReason, OrdinaryDetails, OtherAddress, OverseasAddress, OverseasDetails,
    ParentGuardian, PassportNumber, PastDate, PersonName, PostalVote, Postcode, ReferenceNumber, Rules, ServiceBranch,
    Text, UkAddressStatus, WayToVote, YearMonth,
};
use ier_storage::JourneyKey;
use serde::{Deserialize, Serialize};

/// The four journeys (a Crown servant and a British Council employee walk the same one).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum JourneyKind {
    #[default]
    Ordinary,
    Overseas,
    Forces,
    Crown,
}

impl JourneyKind {
    pub const ALL: [JourneyKind; 4] = [Self::Ordinary, Self::Overseas, Self::Forces, Self::Crown];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Ordinary => "ordinary",
            Self::Overseas => "overseas",
            Self::Forces => "forces",
            Self::Crown => "crown",
        }
    }

    fn is_ordinary(&self) -> bool {
        *self == Self::Ordinary
    }
}

/// Where the applicant says they live, on the first question of the ordinary journey.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Residence {
    England,
    Scotland,
    Wales,
    /// Abroad: they walk the overseas journey from here.
    Abroad,
}

impl Residence {
    pub fn nation(self) -> Option<Nation> {
        match self {
            Self::England => Some(Nation::England),
            Self::Scotland => Some(Nation::Scotland),
            Self::Wales => Some(Nation::Wales),
            Self::Abroad => None,
        }
    }

    pub fn of(nation: Nation) -> Self {
        match nation {
            Nation::England => Self::England,
            Nation::Scotland => Self::Scotland,
            Nation::Wales => Self::Wales,
        }
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::England => "england",
            Self::Scotland => "scotland",
            Self::Wales => "wales",
            Self::Abroad => "abroad",
        }
    }
}

/// The answer to "have you changed your name?" (an enum, not `Option<Option<_>>`,
/// which serde would read back as unanswered).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum PreviousName {
    Unchanged,
    Changed(PersonName),
}

/// An address question's state: the postcode being looked up, and the address
/// chosen (from the gazetteer or typed) with the council it is in.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct AddressAnswer {
    #[serde(rename = "p", default, skip_serializing_if = "Option::is_none")]
    pub lookup: Option<Postcode>,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub address: Option<Address>,
    /// The council: where the application goes (a previous address has one too).
    #[serde(rename = "g", default, skip_serializing_if = "Option::is_none")]
    pub gss_code: Option<GssCode>,
}

/// "Have you moved in the last 12 months?"
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Moved {
    No,
    FromUk,
    FromAbroad,
}

/// "Do you have a British passport?" and, without one, "were you born in the UK?".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Passport {
    Yes,
    NoBornInUk,
    NoBornElsewhere,
}

/// A passport's details.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct PassportDetails {
    pub number: PassportNumber,
    pub authority: Text,
    pub issued: PastDate,
}

/// How someone without a passport became a British citizen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct CitizenDetails {
    pub became: PastDate,
    pub how: Text,
    pub birthplace: Text,
}

/// How they want to vote, before the form delivery is known.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "kebab-case")]
pub enum Way {
    InPerson,
    ByPost,
    ByProxy,
}

/// The service, before the number and rank are known.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ServiceAnswer {
    pub branch: ServiceBranch,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub regiment: Option<Text>,
}

/// What the complete page shows after the application is stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Receipt {
    pub reference: ReferenceNumber,
    pub ero_id: EroId,
    pub kind: ier_domain::ApplicationKind,
    pub way_to_vote: WayToVote,
    /// When an overseas registration or a service declaration ends, unless renewed.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub ends: Option<NaiveDate>,
}

/// Every answer slot. The engine drops the answer of a slot no applicable step asks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Slot {
    Residence,
    Nationality,
    Birth,
    Name,
    PreviousName,
    NameChangeReason,
    Nino,
    Address,
    OtherAddress,
    Moved,
    OverseasVoter,
    PreviousAddress,
    OpenRegister,
    PostalVote,
    Contact,
    LastRegistered,
    LeftUk,
    ParentGuardian,
    Passport,
    PassportDetails,
    CitizenDetails,
    AddressAbroad,
    Way,
    FormDelivery,
    ForcesStatement,
    CrownStatement,
    UkAddress,
    Service,
    ServiceNumberRank,
    Job,
    Correspondence,
}

impl Slot {
    pub const ALL: [Slot; 31] = [
        Slot::Residence,
        Slot::Nationality,
        Slot::Birth,
        Slot::Name,
        Slot::PreviousName,
        Slot::NameChangeReason,
        Slot::Nino,
        Slot::Address,
        Slot::OtherAddress,
        Slot::Moved,
        Slot::OverseasVoter,
        Slot::PreviousAddress,
        Slot::OpenRegister,
        Slot::PostalVote,
        Slot::Contact,
        Slot::LastRegistered,
        Slot::LeftUk,
        Slot::ParentGuardian,
        Slot::Passport,
        Slot::PassportDetails,
        Slot::CitizenDetails,
        Slot::AddressAbroad,
        Slot::Way,
        Slot::FormDelivery,
        Slot::ForcesStatement,
        Slot::CrownStatement,
        Slot::UkAddress,
        Slot::Service,
        Slot::ServiceNumberRank,
        Slot::Job,
        Slot::Correspondence,
    ];
}

/// Everything answered so far.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Answers {
    /// Which journey is being walked.
    #[serde(rename = "k", default, skip_serializing_if = "JourneyKind::is_ordinary")]
    pub journey: JourneyKind,
    /// This journey's idempotency key, from its start: however often it is
    /// sent (a replayed cookie, a second click), it stores one application.
    #[serde(rename = "ik", default, skip_serializing_if = "Option::is_none")]
    pub key: Option<JourneyKey>,
    /// A demo journey (`/demo`): the same pages and rules, and nothing stored,
    /// sent or counted ([`super::demo`]).
    #[serde(rename = "dm", default, skip_serializing_if = "std::ops::Not::not")]
    pub demo: bool,
    /// The applicant has reached "Check your answers": from now on an answer
    /// returns there (or to a question the change made apply).
    #[serde(rename = "rv", default, skip_serializing_if = "std::ops::Not::not")]
    pub reviewing: bool,
    /// "Check your answers" told them they had applied already or were registered
    /// (counted once in the performance figures, and again if they send all the same).
    #[serde(rename = "rt", default, skip_serializing_if = "std::ops::Not::not")]
    pub repeat_told: bool,
    #[serde(rename = "r", default, skip_serializing_if = "Option::is_none")]
    pub residence: Option<Residence>,
    #[serde(rename = "n", default, skip_serializing_if = "Option::is_none")]
    pub nationality: Option<Nationality>,
    /// The date of birth, or why not and an age range.
    #[serde(rename = "b", default, skip_serializing_if = "Option::is_none")]
    pub birth: Option<BirthDetails>,
    #[serde(rename = "m", default, skip_serializing_if = "Option::is_none")]
    pub name: Option<PersonName>,
    #[serde(rename = "q", default, skip_serializing_if = "Option::is_none")]
    pub previous_name: Option<PreviousName>,
    #[serde(rename = "qr", default, skip_serializing_if = "Option::is_none")]
    pub name_change_reason: Option<Text>,
    #[serde(rename = "i", default, skip_serializing_if = "Option::is_none")]
    pub nino: Option<OrReason<Nino>>,
    #[serde(rename = "a", default, skip_serializing_if = "Option::is_none")]
    pub address: Option<AddressAnswer>,
    #[serde(rename = "x", default, skip_serializing_if = "Option::is_none")]
    pub other_address: Option<OtherAddress>,
    #[serde(rename = "y", default, skip_serializing_if = "Option::is_none")]
    pub moved: Option<Moved>,
    #[serde(rename = "yo", default, skip_serializing_if = "Option::is_none")]
    pub overseas_voter: Option<bool>,
    #[serde(rename = "pa", default, skip_serializing_if = "Option::is_none")]
    pub previous_address: Option<AddressAnswer>,
    #[serde(rename = "o", default, skip_serializing_if = "Option::is_none")]
    pub open_register: Option<bool>,
    #[serde(rename = "v", default, skip_serializing_if = "Option::is_none")]
    pub postal_vote: Option<PostalVote>,
    #[serde(rename = "c", default, skip_serializing_if = "Option::is_none")]
    pub contact: Option<Contact>,
    #[serde(rename = "lr", default, skip_serializing_if = "Option::is_none")]
    pub last_registered: Option<LastRegistration>,
    #[serde(rename = "lu", default, skip_serializing_if = "Option::is_none")]
    pub left_uk: Option<YearMonth>,
    #[serde(rename = "pg", default, skip_serializing_if = "Option::is_none")]
    pub parent_guardian: Option<ParentGuardian>,
    #[serde(rename = "pp", default, skip_serializing_if = "Option::is_none")]
    pub passport: Option<Passport>,
    #[serde(rename = "pd", default, skip_serializing_if = "Option::is_none")]
    pub passport_details: Option<PassportDetails>,
    #[serde(rename = "cd", default, skip_serializing_if = "Option::is_none")]
    pub citizen_details: Option<CitizenDetails>,
    #[serde(rename = "oa", default, skip_serializing_if = "Option::is_none")]
    pub address_abroad: Option<OverseasAddress>,
    #[serde(rename = "w", default, skip_serializing_if = "Option::is_none")]
    pub way: Option<Way>,
    #[serde(rename = "fd", default, skip_serializing_if = "Option::is_none")]
    pub form_delivery: Option<FormDelivery>,
    #[serde(rename = "fs", default, skip_serializing_if = "Option::is_none")]
    pub forces_statement: Option<ForcesStatement>,
    #[serde(rename = "cs", default, skip_serializing_if = "Option::is_none")]
    pub crown_statement: Option<CrownStatement>,
    #[serde(rename = "u", default, skip_serializing_if = "Option::is_none")]
    pub uk_address: Option<UkAddressStatus>,
    #[serde(rename = "s", default, skip_serializing_if = "Option::is_none")]
    pub service: Option<ServiceAnswer>,
    #[serde(rename = "sn", default, skip_serializing_if = "Option::is_none")]
    pub service_number_rank: Option<(Text, Text)>,
    #[serde(rename = "j", default, skip_serializing_if = "Option::is_none")]
    pub job: Option<Job>,
    #[serde(rename = "ca", default, skip_serializing_if = "Option::is_none")]
    pub correspondence: Option<Correspondence>,
    /// After submission: the receipt, shown on the complete page (and again on a reload).
    #[serde(rename = "z", default, skip_serializing_if = "Option::is_none")]
    pub receipt: Option<Receipt>,
}

impl Answers {
    pub fn new(journey: JourneyKind) -> Self {
        Self { journey, key: Some(JourneyKey::generate()), ..Self::default() }
    }

    /// A demo journey ([`super::demo`]).
    pub fn demo(journey: JourneyKind) -> Self {
        Self { demo: true, ..Self::new(journey) }
    }

    /// Whether anything has been answered (a journey in progress, not just started).
    pub fn in_progress(&self) -> bool {
        Slot::ALL.iter().any(|s| self.has(*s))
    }

    /// Whether a slot holds an answer.
    pub fn has(&self, slot: Slot) -> bool {
        match slot {
            Slot::Residence => self.residence.is_some(),
            Slot::Nationality => self.nationality.is_some(),
            Slot::Birth => self.birth.is_some(),
            Slot::Name => self.name.is_some(),
            Slot::PreviousName => self.previous_name.is_some(),
            Slot::NameChangeReason => self.name_change_reason.is_some(),
            Slot::Nino => self.nino.is_some(),
            Slot::Address => self.address.is_some(),
            Slot::OtherAddress => self.other_address.is_some(),
            Slot::Moved => self.moved.is_some(),
            Slot::OverseasVoter => self.overseas_voter.is_some(),
            Slot::PreviousAddress => self.previous_address.is_some(),
            Slot::OpenRegister => self.open_register.is_some(),
            Slot::PostalVote => self.postal_vote.is_some(),
            Slot::Contact => self.contact.is_some(),
            Slot::LastRegistered => self.last_registered.is_some(),
            Slot::LeftUk => self.left_uk.is_some(),
            Slot::ParentGuardian => self.parent_guardian.is_some(),
            Slot::Passport => self.passport.is_some(),
            Slot::PassportDetails => self.passport_details.is_some(),
            Slot::CitizenDetails => self.citizen_details.is_some(),
            Slot::AddressAbroad => self.address_abroad.is_some(),
            Slot::Way => self.way.is_some(),
            Slot::FormDelivery => self.form_delivery.is_some(),
            Slot::ForcesStatement => self.forces_statement.is_some(),
            Slot::CrownStatement => self.crown_statement.is_some(),
            Slot::UkAddress => self.uk_address.is_some(),
            Slot::Service => self.service.is_some(),
            Slot::ServiceNumberRank => self.service_number_rank.is_some(),
            Slot::Job => self.job.is_some(),
            Slot::Correspondence => self.correspondence.is_some(),
        }
    }

    /// Forget a slot's answer.
    pub fn clear(&mut self, slot: Slot) {
        match slot {
            Slot::Residence => self.residence = None,
            Slot::Nationality => self.nationality = None,
            Slot::Birth => self.birth = None,
            Slot::Name => self.name = None,
            Slot::PreviousName => self.previous_name = None,
            Slot::NameChangeReason => self.name_change_reason = None,
            Slot::Nino => self.nino = None,
            Slot::Address => self.address = None,
            Slot::OtherAddress => self.other_address = None,
            Slot::Moved => self.moved = None,
            Slot::OverseasVoter => self.overseas_voter = None,
            Slot::PreviousAddress => self.previous_address = None,
            Slot::OpenRegister => self.open_register = None,
            Slot::PostalVote => self.postal_vote = None,
            Slot::Contact => self.contact = None,
            Slot::LastRegistered => self.last_registered = None,
            Slot::LeftUk => self.left_uk = None,
            Slot::ParentGuardian => self.parent_guardian = None,
            Slot::Passport => self.passport = None,
            Slot::PassportDetails => self.passport_details = None,
            Slot::CitizenDetails => self.citizen_details = None,
            Slot::AddressAbroad => self.address_abroad = None,
            Slot::Way => self.way = None,
            Slot::FormDelivery => self.form_delivery = None,
            Slot::ForcesStatement => self.forces_statement = None,
            Slot::CrownStatement => self.crown_statement = None,
            Slot::UkAddress => self.uk_address = None,
            Slot::Service => self.service = None,
            Slot::ServiceNumberRank => self.service_number_rank = None,
            Slot::Job => self.job = None,
            Slot::Correspondence => self.correspondence = None,
        }
    }

    /// The date of birth, when given.
    pub fn date_of_birth(&self) -> Option<DateOfBirth> {
        match &self.birth {
            Some(BirthDetails::Date(d)) => Some(*d),
            _ => None,
        }
    }

    /// The chosen UK address.
    pub fn uk_address(&self) -> Option<&Address> {
        self.address.as_ref().and_then(|a| a.address.as_ref())
    }

    /// The council of the chosen UK address.
    pub fn gss_code(&self) -> Option<GssCode> {
        self.address.as_ref().and_then(|a| a.gss_code)
    }

    /// The nation whose rules apply: the address's, once known; before that, what they said.
    pub fn nation(&self) -> Option<Nation> {
        self.gss_code().and_then(|g| g.nation()).or(self.residence.and_then(Residence::nation))
    }

    /// Last registered as an overseas elector: this application renews that registration.
    pub fn renewing(&self) -> bool {
        self.last_registered == Some(LastRegistration::Overseas)
    }

    /// Never registered, and under 18 when they left the UK.
    pub fn left_as_child(&self) -> bool {
        match (self.date_of_birth(), self.left_uk) {
            (Some(dob), Some(left)) => dob.age_on(left.first_day()) < 18,
            _ => false,
        }
    }

    /// May this applicant's details be published (and so be asked about the
    /// open register)? Young people in Scotland and Wales never are.
    pub fn may_publish(&self, today: NaiveDate) -> bool {
        match (self.nation(), &self.birth) {
            (Some(nation), Some(birth)) => Rules::current().may_publish_birth(nation, birth, today),
            // Not known yet: the step is not shown until it is.
            _ => false,
        }
    }

    /// Born in the UK before 1983, with no passport: British by birth, nothing more to ask.
    pub fn british_by_birth(&self) -> bool {
        self.passport == Some(Passport::NoBornInUk)
            && self.date_of_birth().is_some_and(|d| d.date() < ier_domain::kinds::british_nationality_act_1981())
    }

    /// The statement says the applicant is the spouse or civil partner, not the member or employee.
    pub fn partner_only(&self) -> bool {
        match self.journey {
            JourneyKind::Forces => self.forces_statement.is_some_and(|s| s.partner && !s.member),
            JourneyKind::Crown => self
                .crown_statement
                .is_some_and(|s| !s.crown_servant && !s.council_employee && (s.crown_partner || s.council_partner)),
            _ => false,
        }
    }

    fn way_to_vote(&self) -> Option<WayToVote> {
        Some(match self.way? {
            Way::InPerson => WayToVote::InPerson,
            Way::ByPost => WayToVote::ByPost(self.form_delivery.clone()?),
            Way::ByProxy => WayToVote::ByProxy(self.form_delivery.clone()?),
        })
    }

    /// The application, if every answer its journey needs is here, with the
    /// council it goes to. Answers to questions that do not apply are not read
    /// (the engine has already dropped them).
    pub fn application(&self, today: NaiveDate) -> Option<(ApplicantDetails, GssCode)> {
        let gss = self.gss_code()?;
        let previous_name = match self.previous_name.clone()? {
            PreviousName::Changed(n) => Some(n),
            PreviousName::Unchanged => None,
        };
        let previous_address = self.previous_address.as_ref().and_then(|p| p.address.clone());
        let publishable = self.may_publish(today);
        let part = match self.journey {
            JourneyKind::Ordinary => KindDetails::Ordinary(OrdinaryDetails {
                other_address: self.other_address?,
                was_overseas_voter: self.moved == Some(Moved::FromAbroad) && self.overseas_voter == Some(true),
                postal_vote: self.postal_vote.clone()?,
            }),
            JourneyKind::Overseas => {
                let renewing = self.renewing();
                // A renewal: citizenship was shown when they first registered, and is not asked again.
                let citizenship = if renewing {
                    None
                } else {
                    Some(match self.passport? {
                        Passport::Yes => {
                            let p = self.passport_details.clone()?;
                            Citizenship::Passport { number: p.number, authority: p.authority, issued: p.issued }
                        }
                        _ if self.british_by_birth() => Citizenship::BornInUkBefore1983,
                        _ => {
                            let c = self.citizen_details.clone()?;
                            Citizenship::Details { became: c.became, how: c.how, birthplace: c.birthplace }
                        }
                    })
                };
                KindDetails::Overseas(OverseasDetails {
                    last_registered: self.last_registered?,
                    left_uk: if renewing { None } else { Some(self.left_uk?) },
                    parent_guardian: self.parent_guardian.clone(),
                    citizenship,
                    name_change_reason: self.name_change_reason.clone(),
                    address_abroad: self.address_abroad.clone()?,
                    way_to_vote: self.way_to_vote()?,
                })
            }
            JourneyKind::Forces => {
                let service = self.service.clone()?;
                let (service_number, rank) = self.service_number_rank.clone()?;
                KindDetails::Forces(ForcesDetails {
                    statement: self.forces_statement?,
                    uk_address: self.uk_address?,
                    service: ier_domain::Service {
                        branch: service.branch,
                        regiment: service.regiment,
                        service_number,
                        rank,
                    },
                    correspondence: self.correspondence.clone()?,
                    way_to_vote: self.way_to_vote()?,
                })
            }
            JourneyKind::Crown => KindDetails::Crown(CrownDetails {
                statement: self.crown_statement?,
                uk_address: self.uk_address?,
                job: self.job.clone()?,
                correspondence: self.correspondence.clone()?,
                way_to_vote: self.way_to_vote()?,
            }),
        };
        // Overseas electors declare they are British citizens: the journey does not ask.
        let nationality = match self.journey {
            JourneyKind::Overseas => Nationality::stated(true, false, vec![]).expect("British"),
            _ => self.nationality.clone()?,
        };
        let details = ApplicantDetails {
            name: self.name.clone()?,
            previous_name,
            birth: self.birth.clone()?,
            nationality,
            nino: self.nino.clone()?,
            address: self.uk_address()?.clone(),
            previous_address,
            // Never published, never sent, for someone who may not be published.
            open_register: publishable && self.open_register?,
            contact: self.contact.clone()?,
            part,
        };
        Some((details, gss))
    }
}
