//! Feedback on the service from the public feedback form: a satisfaction
//! rating, an optional comment and the page it was sent from, kept without
//! anything that says who sent it (no address, cookie, user agent, journey or
//! application; the time only to the hour). A comment may still hold personal
//! data despite the form's hint, so it is sealed with the data keys like an
//! applicant's details, under the form's own id. Each form carries a random id
//! ([`FormId`]): sending the same form twice stores it once.

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use crate::Sealed;

/// The GOV.UK five-point satisfaction scale.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Satisfaction {
    VerySatisfied,
    Satisfied,
    Neither,
    Dissatisfied,
    VeryDissatisfied,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 5] = [
        Satisfaction::VerySatisfied,
        Satisfaction::Satisfied,
        Satisfaction::Neither,
        Satisfaction::Dissatisfied,
        Satisfaction::VeryDissatisfied,
    ];

    /// The form's value and the stored value.
    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::VerySatisfied => "very-satisfied",
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::Neither => "neither",
            Satisfaction::Dissatisfied => "dissatisfied",
            Satisfaction::VeryDissatisfied => "very-dissatisfied",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }
}

/// A feedback form's random id (128 bits, URL-safe base64): the key that
/// makes sending one form twice store it once. It is made for the form when
/// the page is shown and is linked to nothing else.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct FormId(String);

impl FormId {
    pub fn generate() -> Self {
        use base64::Engine;
        let mut bytes = [0u8; 16];
        ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut bytes).expect("OS randomness");
        Self(base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(bytes))
    }

    /// An id as [`FormId::generate`] makes them (22 URL-safe characters), or nothing.
    pub fn parse(s: &str) -> Option<Self> {
        (s.len() == 22 && s.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_'))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Debug for FormId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("FormId(..)")
    }
}

/// The longest comment kept, in characters (the form's character count says so).
pub const MAX_COMMENT: usize = 1200;
/// The longest page path kept; a longer one is not kept at all.
pub const MAX_PAGE: usize = 200;

/// Feedback as the form gives it.
#[derive(Clone, PartialEq, Eq)]
pub struct Feedback {
    pub rating: Satisfaction,
    /// At most [`MAX_COMMENT`] characters; empty when none was given.
    pub comment: String,
    /// The path of the page the feedback was about (`/register-to-vote/...`), never a full address.
    pub page: Option<String>,
}

impl std::fmt::Debug for Feedback {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Feedback").field("rating", &self.rating).field("page", &self.page).finish_non_exhaustive()
    }
}

/// Feedback as stored: the comment sealed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedbackRow {
    pub form_id: FormId,
    /// The hour it was received (the minutes and seconds are dropped).
    pub received_at: DateTime<Utc>,
    pub rating: Satisfaction,
    pub page: Option<String>,
    pub comment: Option<Sealed>,
}

/// Feedback read back by an operator: the comment opened.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Received {
    pub received_at: DateTime<Utc>,
    pub rating: Satisfaction,
    pub page: Option<String>,
    pub comment: String,
}

/// `at` to the hour.
pub fn hour_of(at: DateTime<Utc>) -> DateTime<Utc> {
    at.duration_trunc(TimeDelta::hours(1)).unwrap_or(at)
}

/// What a sealed comment is bound to: it cannot be moved to another row.
pub(crate) fn comment_aad(form: &FormId) -> Vec<u8> {
    format!("feedback/{}", form.as_str()).into_bytes()
}

/// A page path worth keeping: one leading slash, printable ASCII, no query,
/// not too long (anything else is not kept at all: it was not a path of ours).
pub fn page_path(path: &str) -> Option<String> {
    let ok = path.starts_with('/')
        && !path.starts_with("//")
        && path.len() <= MAX_PAGE
        && path.bytes().all(|b| b.is_ascii_graphic() && b != b'\\' && b != b'?' && b != b'#');
    ok.then(|| path.to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratings_round_trip_and_form_ids_are_random() {
        for r in Satisfaction::ALL {
            assert_eq!(Satisfaction::parse(r.as_str()), Some(r));
        }
        assert_eq!(Satisfaction::parse("ecstatic"), None);
        let (a, b) = (FormId::generate(), FormId::generate());
        assert_ne!(a, b);
        assert_eq!(FormId::parse(a.as_str()), Some(a));
        assert_eq!(FormId::parse("short"), None);
        assert_eq!(FormId::parse("aaaaaaaaaaaaaaaaaaaa/a"), None);
    }

    #[test]
    fn only_plain_paths_are_kept() {
        assert_eq!(page_path("/register-to-vote/name").as_deref(), Some("/register-to-vote/name"));
        for bad in ["//evil.example", "https://evil.example/", "/\\evil.example", "/a?b=c", "", "relative", "/a b"] {
            assert_eq!(page_path(bad), None, "{bad}");
        }
        assert_eq!(page_path(&format!("/{}", "a".repeat(MAX_PAGE))), None);
    }

    #[test]
    fn times_are_kept_to_the_hour() {
        let at = DateTime::parse_from_rfc3339("2026-05-04T13:47:12.5Z").unwrap().with_timezone(&Utc);
        assert_eq!(hour_of(at).to_rfc3339(), "2026-05-04T13:00:00+00:00");
    }
}
