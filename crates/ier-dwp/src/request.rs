//! What the service sends DWP about one applicant.

use std::fmt;

use ier_domain::{
    Address, ApplicantDetails, BirthDetails, DateOfBirth, GivenName, MiddleNames, Nino, OrReason, Surname,
};

/// One identity-verification request: the applicant's NINO, names, date of birth and address.
///
/// Personal data: `Debug` shows only which optional parts are present.
#[derive(Clone, PartialEq, Eq)]
pub struct VerificationRequest {
    pub nino: Nino,
    pub given: GivenName,
    pub middle: Option<MiddleNames>,
    pub surname: Surname,
    pub previous_surname: Option<Surname>,
    pub date_of_birth: DateOfBirth,
    pub address: Address,
}

impl VerificationRequest {
    /// The request for an application, or `None` when the applicant gave no
    /// NINO or no date of birth: those applications go straight to the ERO's
    /// exceptions process, with nothing to send DWP.
    ///
    /// The previous surname is taken from the previous name when it differs
    /// from the current surname.
    pub fn from_details(details: &ApplicantDetails) -> Option<Self> {
        let OrReason::Given(nino) = &details.nino else {
            return None;
        };
        let BirthDetails::Date(date_of_birth) = &details.birth else {
            return None;
        };
        let previous_surname =
            details.previous_name.as_ref().map(|p| p.surname.clone()).filter(|s| *s != details.name.surname);
        Some(Self {
            nino: nino.clone(),
            given: details.name.given.clone(),
            middle: details.name.middle.clone(),
            surname: details.name.surname.clone(),
            previous_surname,
            date_of_birth: *date_of_birth,
            address: details.address.clone(),
        })
    }
}

impl fmt::Debug for VerificationRequest {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("VerificationRequest")
            .field("nino", &self.nino)
            .field("given", &self.given)
            .field("middle", &self.middle.as_ref().map(|_| "<redacted>"))
            .field("surname", &self.surname)
            .field("previous_surname", &self.previous_surname.as_ref().map(|_| "<redacted>"))
            .field("date_of_birth", &self.date_of_birth)
            .field("address", &"<redacted>")
            .finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use ier_domain::{AgeRange, Contact, Nationality, PersonName, Postcode};

    fn details() -> ApplicantDetails {
        let today = NaiveDate::from_ymd_opt(2026, 1, 1).unwrap();
        ApplicantDetails {
            name: PersonName::parse("Siân", "Mair", "Evans").unwrap(),
            previous_name: Some(PersonName::parse("Siân", "Mair", "Jenkins").unwrap()),
            birth: BirthDetails::Date(DateOfBirth::parse("3", "7", "1984", today).unwrap()),
            nationality: Nationality::stated(true, false, vec![]).unwrap(),
            nino: OrReason::Given(Nino::parse("AB123456C").unwrap()),
            address: Address {
                uprn: None,
                lines: vec!["14 Heol y Bont".into()],
                town: "Caerdydd".into(),
                postcode: Postcode::parse("CF10 1EP").unwrap(),
            },
            previous_address: None,
            open_register: false,
            contact: Contact::default(),
            part: ier_domain::KindDetails::Ordinary(ier_domain::OrdinaryDetails {
                other_address: ier_domain::OtherAddress::None,
                was_overseas_voter: false,
                postal_vote: ier_domain::PostalVote::InPerson,
            }),
        }
    }

    #[test]
    fn built_from_an_application() {
        let r = VerificationRequest::from_details(&details()).unwrap();
        assert_eq!(r.surname.as_str(), "Evans");
        assert_eq!(r.previous_surname.unwrap().as_str(), "Jenkins");
        assert_eq!(r.middle.unwrap().as_str(), "Mair");
        assert_eq!(r.nino.compact(), "AB123456C");
    }

    #[test]
    fn same_previous_surname_is_not_sent() {
        let mut d = details();
        d.previous_name = Some(PersonName::parse("Sian", "", "Evans").unwrap());
        let r = VerificationRequest::from_details(&d).unwrap();
        assert!(r.previous_surname.is_none());
    }

    #[test]
    fn no_nino_or_no_date_of_birth_means_no_request() {
        let mut d = details();
        d.nino = OrReason::NotGiven { reason: "never had one".into() };
        assert!(VerificationRequest::from_details(&d).is_none());
        let mut d = details();
        d.birth = BirthDetails::NotGiven { reason: "unknown".into(), range: AgeRange::From18To75 };
        assert!(VerificationRequest::from_details(&d).is_none());
    }

    #[test]
    fn debug_shows_no_personal_data() {
        let r = VerificationRequest::from_details(&details()).unwrap();
        let text = format!("{r:?}");
        for secret in ["Siân", "Mair", "Evans", "Jenkins", "AB", "123456", "1984", "Heol", "Caerdydd", "1EP"] {
            assert!(!text.contains(secret), "{secret} in {text}");
        }
    }
}
