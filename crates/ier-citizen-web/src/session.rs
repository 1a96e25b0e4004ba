//! Journey state in an authenticated, encrypted cookie, and CSRF tokens.
//!
//! Why a cookie and not server-side sessions: the deadline-day target is
//! 25,000 concurrent journeys on stateless web instances behind a load
//! balancer. Sealed cookies need no shared session store, no sticky sessions
//! and no server memory per journey, and any instance can serve any request.
//! The client can neither read nor forge the state: it is sealed with
//! AES-256-GCM (the same key-ring type as data at rest: each cookie names its
//! key, so keys rotate by adding a new current key) with this module's
//! purpose as associated data, so a sealed database blob is never a valid cookie.
//!
//! State too large for a cookie is sealed the same way under its own random id
//! ([`SessionCodec::seal_state`]) and kept server-side by the journey module; the
//! cookie then names it ([`Session::spill`]).
//!
//! A session carries its creation and last-activity times: after 20 minutes
//! idle (the real service's timeout) or 3 hours in all it has expired, and the
//! applicant sees the timeout page. Each session has a random CSRF token that
//! every form posts back (synchroniser-token pattern; the cookie is also
//! `SameSite=Lax` and `HttpOnly`, and `Secure` with the `__Host-` prefix in
//! production).
//!
//! Forms that must work without a journey (the feedback form) carry a sealed
//! form token instead ([`SessionCodec::form_token`]): a random form id and the
//! time the form was shown, sealed under a purpose of its own, so it cannot be
//! made up or altered and runs out ([`FORM_TOKEN_SECS`]).

use std::fmt;

use aes_gcm::aead::rand_core::RngCore;
use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use ier_storage::{DataKeys, Sealed};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};

/// Idle time after which a journey has expired (seconds).
pub const IDLE_TIMEOUT_SECS: i64 = 20 * 60;
/// Longest a journey may last from its start (seconds).
pub const MAX_AGE_SECS: i64 = 3 * 60 * 60;
/// Browsers accept about 4096 bytes per cookie, name and attributes included.
pub const MAX_COOKIE_VALUE: usize = 3800;
const PURPOSE: &[u8] = b"ier citizen session v1";

/// A journey's state, as sealed into the cookie.
#[derive(Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Session<T> {
    /// CSRF token, 128 random bits, base64url.
    pub csrf: String,
    /// Unix seconds when the journey started.
    pub created: i64,
    /// Unix seconds of the last request.
    pub seen: i64,
    /// Where the data is kept server-side when it is too large for a cookie
    /// (then `data` in the cookie is empty): see [`SessionCodec::seal_state`].
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub spill: Option<String>,
    pub data: T,
}

/// Personal data inside: never printed.
impl<T> fmt::Debug for Session<T> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Session {{ created: {}, seen: {}, .. }}", self.created, self.seen)
    }
}

/// What a request's cookie turned out to hold.
#[derive(Debug, PartialEq, Eq)]
pub enum Opened<T> {
    /// No cookie, or one that could not be opened (forged, corrupt, key retired).
    None,
    /// A genuine session that has timed out.
    Expired,
    Active(Session<T>),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum SessionError {
    #[error("the journey state is too large for a cookie ({0} bytes)")]
    TooLarge(usize),
}

/// Seals and opens session cookies.
pub struct SessionCodec {
    keys: DataKeys,
    secure: bool,
}

impl SessionCodec {
    /// `secure`: production over HTTPS (`Secure`, `__Host-` name); off for the local demo.
    pub fn new(keys: DataKeys, secure: bool) -> Self {
        Self { keys, secure }
    }

    /// Production over HTTPS (cookies `Secure`).
    pub fn is_secure(&self) -> bool {
        self.secure
    }

    pub fn cookie_name(&self) -> &'static str {
        if self.secure { "__Host-ier-session" } else { "ier-session" }
    }

    /// A new session with a fresh CSRF token.
    pub fn start<T>(&self, data: T, now: i64) -> Session<T> {
        let mut token = [0u8; 16];
        aes_gcm::aead::OsRng.fill_bytes(&mut token);
        Session { csrf: URL_SAFE_NO_PAD.encode(token), created: now, seen: now, spill: None, data }
    }

    /// The cookie value for a session.
    pub fn seal<T: Serialize>(&self, session: &Session<T>) -> Result<String, SessionError> {
        let json = serde_json::to_vec(session).expect("sessions serialise");
        let sealed = self.keys.seal(&json, PURPOSE);
        let value = format!("{}.{}", sealed.key_id, URL_SAFE_NO_PAD.encode(&sealed.blob));
        if value.len() > MAX_COOKIE_VALUE {
            return Err(SessionError::TooLarge(value.len()));
        }
        Ok(value)
    }

    /// Open a cookie value, checking its age at `now`.
    pub fn open<T: DeserializeOwned>(&self, value: &str, now: i64) -> Opened<T> {
        let Some((key_id, b64)) = value.split_once('.') else {
            return Opened::None;
        };
        let Ok(blob) = URL_SAFE_NO_PAD.decode(b64) else {
            return Opened::None;
        };
        let Ok(plain) = self.keys.open(&Sealed { key_id: key_id.to_owned(), blob }, PURPOSE) else {
            return Opened::None;
        };
        let Ok(session) = serde_json::from_slice::<Session<T>>(&plain) else {
            return Opened::None;
        };
        // Saturating: times come from a sealed cookie (ours), but no value of them may panic.
        if now.saturating_sub(session.seen) > IDLE_TIMEOUT_SECS
            || now.saturating_sub(session.created) > MAX_AGE_SECS
            || session.seen > now.saturating_add(60)
        {
            return Opened::Expired;
        }
        Opened::Active(session)
    }

    /// Seal journey state kept server-side under `id` (too large for a cookie):
    /// the id is part of the associated data, so one journey's state cannot be
    /// served as another's, and the store holds nothing it can read.
    pub fn seal_state(&self, id: &str, plain: &[u8]) -> Sealed {
        self.keys.seal(plain, &state_purpose(id))
    }

    /// Open journey state kept server-side under `id`.
    pub fn open_state(&self, id: &str, sealed: &Sealed) -> Option<Vec<u8>> {
        self.keys.open(sealed, &state_purpose(id)).ok()
    }

    /// A fresh id for server-side journey state: 128 random bits, base64url.
    pub fn new_state_id(&self) -> String {
        let mut id = [0u8; 16];
        aes_gcm::aead::OsRng.fill_bytes(&mut id);
        URL_SAFE_NO_PAD.encode(id)
    }

    /// The `Set-Cookie` header value carrying `value`.
    pub fn set_cookie(&self, value: &str) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{}={value}; Path=/; HttpOnly; SameSite=Lax{secure}", self.cookie_name())
    }

    /// The `Set-Cookie` header value that removes the session (exits, submission).
    pub fn clear_cookie(&self) -> String {
        let secure = if self.secure { "; Secure" } else { "" };
        format!("{}=; Path=/; HttpOnly; SameSite=Lax; Max-Age=0{secure}", self.cookie_name())
    }

    /// Find this codec's cookie in a `Cookie` request header.
    pub fn from_cookie_header<'a>(&self, header: &'a str) -> Option<&'a str> {
        let name = self.cookie_name();
        header.split(';').find_map(|c| c.trim().strip_prefix(name).and_then(|rest| rest.strip_prefix('=')))
    }
}

/// How long a form token (a form shown without a journey) is accepted (seconds).
pub const FORM_TOKEN_SECS: i64 = 4 * 60 * 60;

#[derive(Serialize, Deserialize)]
struct FormToken {
    form: String,
    issued: i64,
}

impl SessionCodec {
    /// A sealed token for a form of `purpose` shown at `now`, carrying `form_id`.
    pub fn form_token(&self, purpose: &str, form_id: &str, now: i64) -> String {
        let json = serde_json::to_vec(&FormToken { form: form_id.to_owned(), issued: now }).expect("serialises");
        let sealed = self.keys.seal(&json, &form_purpose(purpose));
        format!("{}.{}", sealed.key_id, URL_SAFE_NO_PAD.encode(&sealed.blob))
    }

    /// The form id in a token made by [`SessionCodec::form_token`] for `purpose`,
    /// if it is genuine and not older than [`FORM_TOKEN_SECS`] at `now`.
    pub fn open_form_token(&self, purpose: &str, token: &str, now: i64) -> Option<String> {
        let (key_id, b64) = token.split_once('.')?;
        let blob = URL_SAFE_NO_PAD.decode(b64).ok()?;
        let plain = self.keys.open(&Sealed { key_id: key_id.to_owned(), blob }, &form_purpose(purpose)).ok()?;
        let token: FormToken = serde_json::from_slice(&plain).ok()?;
        (now.saturating_sub(token.issued) <= FORM_TOKEN_SECS && token.issued <= now.saturating_add(60))
            .then_some(token.form)
    }
}

fn form_purpose(purpose: &str) -> Vec<u8> {
    format!("ier citizen form token v1/{purpose}").into_bytes()
}

fn state_purpose(id: &str) -> Vec<u8> {
    let mut p = b"ier citizen journey state v1/".to_vec();
    p.extend_from_slice(id.as_bytes());
    p
}

/// Does a posted CSRF token match the session's? Constant time in the token's length.
pub fn csrf_ok<T>(session: &Session<T>, posted: &str) -> bool {
    let (a, b) = (session.csrf.as_bytes(), posted.as_bytes());
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    #[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
    struct Journey {
        surname: String,
        steps: Vec<String>,
    }

    fn codec(keys: &str) -> SessionCodec {
        SessionCodec::new(DataKeys::parse(&secrecy::SecretString::from(keys.to_owned())).unwrap(), true)
    }

    fn journey() -> Journey {
        Journey { surname: "Llewellyn".into(), steps: vec!["country".into(), "nationality".into()] }
    }

    #[test]
    fn times_at_the_ends_of_the_range_expire_without_a_panic() {
        let k = DataKeys::generate("s1");
        let c = codec(k.expose_secret());
        for (created, seen, now) in [(i64::MIN, i64::MIN, i64::MAX), (i64::MAX, i64::MAX, i64::MIN), (0, i64::MIN, 0)] {
            let s = Session { created, seen, ..c.start(journey(), 0) };
            assert_eq!(c.open::<Journey>(&c.seal(&s).unwrap(), now), Opened::Expired);
        }
    }

    #[test]
    fn round_trip_without_revealing_anything() {
        let k = DataKeys::generate("s1");
        let c = codec(k.expose_secret());
        let s = c.start(journey(), 1_000);
        let value = c.seal(&s).unwrap();
        assert!(value.starts_with("s1."));
        assert!(!value.contains("Llewellyn") && !value.contains(&s.csrf));
        assert_eq!(c.open::<Journey>(&value, 1_000 + 60), Opened::Active(s));
    }

    #[test]
    fn forged_or_tampered_cookies_are_ignored() {
        let k = DataKeys::generate("s1");
        let c = codec(k.expose_secret());
        let value = c.seal(&c.start(journey(), 1_000)).unwrap();
        let mut bytes = value.clone().into_bytes();
        let last = bytes.len() - 2;
        bytes[last] = if bytes[last] == b'A' { b'B' } else { b'A' };
        assert_eq!(c.open::<Journey>(&String::from_utf8(bytes).unwrap(), 1_000), Opened::None);
        assert_eq!(c.open::<Journey>("s1.not-base64!!", 1_000), Opened::None);
        assert_eq!(c.open::<Journey>("", 1_000), Opened::None);
        // Sealed with another key: not ours.
        let other = codec(DataKeys::generate("s1").expose_secret());
        assert_eq!(other.open::<Journey>(&value, 1_000), Opened::None);
    }

    #[test]
    fn idle_and_absolute_timeouts() {
        let c = codec(DataKeys::generate("s1").expose_secret());
        let mut s = c.start(journey(), 0);
        let v = c.seal(&s).unwrap();
        assert!(matches!(c.open::<Journey>(&v, IDLE_TIMEOUT_SECS), Opened::Active(_)));
        assert_eq!(c.open::<Journey>(&v, IDLE_TIMEOUT_SECS + 1), Opened::Expired);
        // Active all along, but too long in all.
        s.seen = MAX_AGE_SECS + 1;
        assert_eq!(c.open::<Journey>(&c.seal(&s).unwrap(), MAX_AGE_SECS + 2), Opened::Expired);
    }

    #[test]
    fn keys_rotate() {
        let old = DataKeys::generate("s1");
        let new = DataKeys::generate("s2");
        let before = codec(old.expose_secret());
        let value = before.seal(&before.start(journey(), 10)).unwrap();
        let after = codec(&format!("{},{}", new.expose_secret(), old.expose_secret()));
        let Opened::Active(s) = after.open::<Journey>(&value, 20) else { panic!("old cookie still opens") };
        assert!(after.seal(&s).unwrap().starts_with("s2."), "re-sealed with the new key");
    }

    #[test]
    fn csrf_tokens_are_random_and_checked() {
        let c = codec(DataKeys::generate("s1").expose_secret());
        let a = c.start((), 0);
        let b = c.start((), 0);
        assert_ne!(a.csrf, b.csrf);
        assert_eq!(a.csrf.len(), 22);
        assert!(csrf_ok(&a, &a.csrf.clone()));
        assert!(!csrf_ok(&a, &b.csrf));
        assert!(!csrf_ok(&a, ""));
    }

    #[test]
    fn form_tokens_are_sealed_bound_to_their_purpose_and_run_out() {
        let k = DataKeys::generate("s1");
        let c = codec(k.expose_secret());
        let token = c.form_token("feedback", "form-1", 1000);
        assert!(!token.contains("form-1"));
        assert_eq!(c.open_form_token("feedback", &token, 1000 + FORM_TOKEN_SECS).as_deref(), Some("form-1"));
        assert_eq!(c.open_form_token("feedback", &token, 1001 + FORM_TOKEN_SECS), None, "ran out");
        assert_eq!(c.open_form_token("other", &token, 1000), None, "another purpose");
        assert_eq!(c.open_form_token("feedback", &token.replace('.', ".A"), 1000), None, "altered");
        assert_eq!(c.open_form_token("feedback", "", 1000), None);
        let journey = c.seal(&c.start(journey(), 1000)).unwrap();
        assert_eq!(c.open_form_token("feedback", &journey, 1000), None, "a journey cookie is not a form token");
    }

    #[test]
    fn cookie_attributes() {
        let c = codec(DataKeys::generate("s1").expose_secret());
        let set = c.set_cookie("v");
        assert_eq!(set, "__Host-ier-session=v; Path=/; HttpOnly; SameSite=Lax; Secure");
        assert!(c.clear_cookie().contains("Max-Age=0"));
        assert_eq!(c.from_cookie_header("lang=cy; __Host-ier-session=abc.def"), Some("abc.def"));
        let demo = SessionCodec::new(DataKeys::parse(&DataKeys::generate("d")).unwrap(), false);
        assert_eq!(demo.set_cookie("v"), "ier-session=v; Path=/; HttpOnly; SameSite=Lax");
    }

    #[test]
    fn a_whole_application_fits_in_the_cookie_and_oversize_state_is_refused() {
        use ier_domain::*;
        let c = codec(DataKeys::generate("s1").expose_secret());
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 22).unwrap();
        // Every field of an ordinary application at its longest (in Welsh letters: 2 bytes each).
        let name = || PersonName::parse(&"ŵ".repeat(35), &"ŷ".repeat(100), &"ŵ".repeat(35)).unwrap();
        let address = || Address {
            uprn: Some(Uprn::new(999_999_999_999).unwrap()),
            lines: vec!["ŵ".repeat(60), "ŵ".repeat(60), "ŵ".repeat(60)],
            town: "ŵ".repeat(40),
            postcode: Postcode::parse("SW1A 1AA").unwrap(),
        };
        let three = ["PL", "FR", "DE"].map(|x| CountryCode::parse(x).unwrap()).to_vec();
        let full = ApplicantDetails {
            name: name(),
            previous_name: Some(name()),
            birth: BirthDetails::Date(DateOfBirth::parse("1", "1", "1990", today).unwrap()),
            nationality: Nationality::stated(true, true, three).unwrap(),
            nino: OrReason::Given(Nino::parse("AB123456C").unwrap()),
            address: address(),
            previous_address: Some(address()),
            open_register: true,
            contact: Contact {
                email: Some(format!("{}@example.com", "a".repeat(64))),
                phone: Some("0".repeat(20)),
                post: true,
            },
            part: ier_domain::KindDetails::Ordinary(ier_domain::OrdinaryDetails {
                other_address: OtherAddress::Student,
                was_overseas_voter: false,
                postal_vote: ier_domain::PostalVote::FormByEmail("sian@example.com".into()),
            }),
        };
        let v = c.seal(&c.start(full, 0)).unwrap();
        eprintln!("longest ordinary application: {} byte cookie", v.len());
        assert!(v.len() < MAX_COOKIE_VALUE, "{}", v.len());
        let huge = Journey { surname: "a".repeat(5000), steps: vec![] };
        assert!(matches!(c.seal(&c.start(huge, 0)), Err(SessionError::TooLarge(_))));
    }
}
