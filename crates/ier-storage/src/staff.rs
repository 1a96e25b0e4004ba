//! Staff of the ERO portal: accounts per ERO with a role, signing in with a
//! password and a second factor, and server-side sessions.
//!
//! - A password is kept as an argon2id hash (PHC string, the crate's default
//!   parameters: 19 MiB, 2 passes), checked on a blocking thread. An unknown
//!   username costs the same hash, so timing does not tell which exist.
//! - The second factor is TOTP (RFC 6238: HMAC-SHA1, 30-second steps, six
//!   digits, one step either side allowed), its secret sealed with the data keys
//!   under the account's id; a code is used once (the last step used is kept and
//!   must rise). Ten recovery codes (80 bits each) are kept as SHA-256 digests,
//!   each used once.
//! - [`MAX_FAILURES`] wrong passwords or codes in a row lock the account for
//!   [`LOCK_MINUTES`]; counting is one `UPDATE` in the database, so guesses sent
//!   at once from many places count alike.
//! - A session is a random token in a cookie; the database keeps its SHA-256
//!   digest, so a copy of the database cannot be used to sign in. It ends after
//!   [`SESSION_IDLE_MINUTES`] without a request or [`SESSION_HOURS`] in all, and
//!   on signing out. Its CSRF token is derived from the session token.
//!
//! Names, usernames and passwords never reach logs or errors.

use std::fmt;

use chrono::{DateTime, Duration, Utc};
use ier_domain::EroId;
use secrecy::{ExposeSecret, SecretString};

use crate::{EroStore, Result, Sealed, StorageError, Store};

/// Wrong passwords or codes in a row before an account is locked.
pub const MAX_FAILURES: u32 = 5;
/// How long a locked account stays locked.
pub const LOCK_MINUTES: i64 = 15;
/// A session ends after this long without a request.
pub const SESSION_IDLE_MINUTES: i64 = 30;
/// A session ends this long after signing in, however busy.
pub const SESSION_HOURS: i64 = 8;
/// Recovery codes made with an account.
pub const RECOVERY_CODES: usize = 10;
/// Password length limits, in characters.
pub const PASSWORD_MIN: usize = 12;
pub const PASSWORD_MAX: usize = 128;

/// A staff account's id: `st-` and 16 random base32 characters.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct StaffId(String);

impl StaffId {
    pub fn generate() -> Self {
        let bytes: [u8; 10] = rand::random();
        Self(format!("st-{}", data_encoding::BASE32_NOPAD.encode(&bytes).to_ascii_lowercase()))
    }

    pub fn parse(s: &str) -> Option<Self> {
        let rest = s.strip_prefix("st-")?;
        (rest.len() == 16 && rest.bytes().all(|b| b.is_ascii_lowercase() || (b'2'..=b'7').contains(&b)))
            .then(|| Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl fmt::Display for StaffId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// What a member of staff may do.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    /// Everything an officer may, and managing the office's accounts.
    Administrator,
    /// Works the queue: determines, asks for evidence.
    Officer,
    /// Sees the office's applications; changes nothing.
    Viewer,
}

impl Role {
    pub const ALL: [Role; 3] = [Role::Administrator, Role::Officer, Role::Viewer];

    pub fn as_str(&self) -> &'static str {
        match self {
            Role::Administrator => "administrator",
            Role::Officer => "officer",
            Role::Viewer => "viewer",
        }
    }

    pub fn parse(s: &str) -> Result<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s).ok_or_else(|| StorageError::Corrupt("staff role".into()))
    }

    /// Determine applications and ask for evidence.
    pub fn may_decide(&self) -> bool {
        matches!(self, Role::Administrator | Role::Officer)
    }

    /// Add and manage the office's accounts.
    pub fn may_manage(&self) -> bool {
        matches!(self, Role::Administrator)
    }
}

/// A username: a work email address, kept lower-case.
#[derive(Clone, PartialEq, Eq, Hash)]
pub struct Username(String);

/// A username that cannot be one.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("enter a work email address, like name@council.gov.uk")]
pub struct UsernameError;

impl Username {
    pub const MAX_LEN: usize = 254;

    pub fn parse(s: &str) -> std::result::Result<Self, UsernameError> {
        let s = s.trim().to_lowercase();
        let Some((local, domain)) = s.split_once('@') else { return Err(UsernameError) };
        let ok = s.len() <= Self::MAX_LEN
            && !local.is_empty()
            && domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && s.bytes().filter(|&b| b == b'@').count() == 1
            && s.bytes().all(|b| b.is_ascii_alphanumeric() || b"@.-_+'".contains(&b));
        if ok { Ok(Self(s)) } else { Err(UsernameError) }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Personal data: never printed.
impl fmt::Debug for Username {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Username(<redacted>)")
    }
}

/// A password that will not do.
#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
pub enum PasswordError {
    #[error("a password must be at least 12 characters")]
    TooShort,
    #[error("a password must be 128 characters or fewer")]
    TooLong,
}

/// Check a new password's length (long passphrases are encouraged; nothing else is required).
pub fn check_password(password: &str) -> std::result::Result<(), PasswordError> {
    match password.chars().count() {
        n if n < PASSWORD_MIN => Err(PasswordError::TooShort),
        n if n > PASSWORD_MAX => Err(PasswordError::TooLong),
        _ => Ok(()),
    }
}

/// A staff account as stored.
#[derive(Clone, PartialEq, Eq)]
pub struct StaffRow {
    pub id: StaffId,
    pub ero: EroId,
    pub username: Username,
    pub role: Role,
    /// argon2id, PHC string.
    pub password_hash: String,
    /// The TOTP secret, sealed under the account's id.
    pub totp: Sealed,
    pub created_at: DateTime<Utc>,
    pub failed_signins: u32,
    pub locked_until: Option<DateTime<Utc>>,
    /// The last TOTP step used to sign in (a code is good once).
    pub last_totp_step: i64,
    /// Whether the member chose their password ([`StaffStore::change_password`]); until then it
    /// is one someone else set, and the portal asks for a new one before anything else.
    pub password_chosen: bool,
}

impl fmt::Debug for StaffRow {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "StaffRow {{ id: {}, ero: {}, role: {} }}", self.id, self.ero, self.role.as_str())
    }
}

impl StaffRow {
    pub fn locked(&self, now: DateTime<Utc>) -> Option<DateTime<Utc>> {
        self.locked_until.filter(|t| *t > now)
    }
}

/// A session as stored: the token's digest, never the token.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SessionRow {
    pub token_hash: String,
    pub staff: StaffId,
    pub created_at: DateTime<Utc>,
    pub seen_at: DateTime<Utc>,
    pub expires_at: DateTime<Utc>,
}

/// What an account is made with, shown once to the person it is for.
pub struct Enrolled {
    pub id: StaffId,
    /// The TOTP secret in base32, for typing into an authenticator app.
    pub secret: String,
    /// The `otpauth://` URI authenticator apps read (from a QR code).
    pub uri: String,
    pub recovery_codes: Vec<String>,
}

impl fmt::Debug for Enrolled {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Enrolled {{ id: {}, .. }}", self.id)
    }
}

/// The first step of signing in: the password.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PasswordStep {
    /// Right: ask for the second factor.
    Right(StaffId),
    /// Wrong username or password (which is not said).
    Wrong,
    /// Too many wrong tries: locked until then.
    Locked(DateTime<Utc>),
}

/// The second step: a code from the app, or a recovery code.
pub enum CodeStep {
    SignedIn(Box<Signed>),
    Wrong,
    Locked(DateTime<Utc>),
}

/// Why a password was not changed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ChangeError {
    WrongCurrent,
    NotAllowed(PasswordError),
}

/// A signed-in member of staff, from their session.
#[derive(Clone)]
pub struct Signed {
    /// The session's token (for its cookie when signing in).
    pub token: Option<SecretString>,
    pub staff: StaffRow,
    /// The session's CSRF token, for every form.
    pub csrf: String,
    pub expires_at: DateTime<Utc>,
}

impl fmt::Debug for Signed {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Signed {{ staff: {:?} }}", self.staff)
    }
}

/// The TOTP code for a secret at a step (RFC 6238 with HMAC-SHA1 and six digits).
pub fn totp(secret: &[u8], step: u64) -> u32 {
    let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA1_FOR_LEGACY_USE_ONLY, secret);
    let mac = ring::hmac::sign(&key, &step.to_be_bytes());
    let mac = mac.as_ref();
    let offset = (mac[mac.len() - 1] & 0x0f) as usize;
    let value = u32::from_be_bytes([mac[offset] & 0x7f, mac[offset + 1], mac[offset + 2], mac[offset + 3]]);
    value % 1_000_000
}

/// The TOTP step of a time (30 seconds a step).
pub fn totp_step(at: DateTime<Utc>) -> u64 {
    (at.timestamp().max(0) as u64) / 30
}

fn sha256_hex(parts: &[&[u8]]) -> String {
    let mut ctx = ring::digest::Context::new(&ring::digest::SHA256);
    for p in parts {
        ctx.update(&(p.len() as u64).to_be_bytes());
        ctx.update(p);
    }
    data_encoding::HEXLOWER.encode(ctx.finish().as_ref())
}

/// A recovery code's digest, as stored: the code read leniently (case, spaces and hyphens ignored).
pub fn recovery_digest(staff: &StaffId, code: &str) -> Option<String> {
    let clean: String =
        code.chars().filter(|c| !c.is_whitespace() && *c != '-').map(|c| c.to_ascii_uppercase()).collect();
    (clean.len() == 16 && data_encoding::BASE32_NOPAD.decode(clean.as_bytes()).is_ok())
        .then(|| sha256_hex(&[b"ier staff recovery v1", staff.as_str().as_bytes(), clean.as_bytes()]))
}

fn session_digest(token: &str) -> String {
    sha256_hex(&[b"ier staff session v1", token.as_bytes()])
}

fn csrf_of(token: &str) -> String {
    sha256_hex(&[b"ier staff csrf v1", token.as_bytes()])[..32].to_owned()
}

const TOTP_PURPOSE: &str = "staff-totp";

fn argon() -> argon2::Argon2<'static> {
    argon2::Argon2::default()
}

fn hash_password(password: &str) -> Result<String> {
    use argon2::password_hash::{PasswordHasher, SaltString, rand_core::OsRng};
    let salt = SaltString::generate(&mut OsRng);
    argon()
        .hash_password(password.as_bytes(), &salt)
        .map(|h| h.to_string())
        .map_err(|_| StorageError::Unavailable("could not hash a password".into()))
}

fn password_matches(hash: &str, password: &str) -> bool {
    use argon2::password_hash::{PasswordHash, PasswordVerifier};
    PasswordHash::new(hash).is_ok_and(|h| argon().verify_password(password.as_bytes(), &h).is_ok())
}

/// A hash to check unknown usernames against, so they take as long as known ones.
static DECOY: std::sync::LazyLock<String> =
    std::sync::LazyLock::new(|| hash_password("not anybody's password").expect("hashing works"));

/// Staff accounts and sessions: the portal's way in.
#[derive(Clone)]
pub struct StaffStore {
    pub(crate) store: Store,
}

impl StaffStore {
    /// Make an account for a member of an ERO's staff. `Duplicate` if the username is taken.
    pub async fn add(
        &self,
        ero: &EroId,
        username: Username,
        role: Role,
        password: SecretString,
        now: DateTime<Utc>,
    ) -> Result<Enrolled> {
        check_password(password.expose_secret()).map_err(|_| StorageError::Conflict("the password is not allowed"))?;
        if self.store.backend.ero(ero).await?.is_none() {
            return Err(StorageError::NotFound);
        }
        let id = StaffId::generate();
        let secret: [u8; 20] = rand::random();
        let hash = tokio::task::spawn_blocking(move || hash_password(password.expose_secret()))
            .await
            .map_err(|_| StorageError::Unavailable("could not hash a password".into()))??;
        let recovery_codes: Vec<String> = (0..RECOVERY_CODES)
            .map(|_| {
                let bytes: [u8; 10] = rand::random();
                let code = data_encoding::BASE32_NOPAD.encode(&bytes);
                format!("{}-{}-{}-{}", &code[0..4], &code[4..8], &code[8..12], &code[12..16])
            })
            .collect();
        let digests: Vec<String> =
            recovery_codes.iter().map(|c| recovery_digest(&id, c).expect("a code we made reads")).collect();
        let encoded = data_encoding::BASE32_NOPAD.encode(&secret);
        let row = StaffRow {
            id: id.clone(),
            ero: ero.clone(),
            username: username.clone(),
            role,
            password_hash: hash,
            totp: self.store.keys.seal(&secret, &totp_aad(&id)),
            created_at: now,
            failed_signins: 0,
            locked_until: None,
            last_totp_step: 0,
            password_chosen: false,
        };
        self.store.backend.put_staff(&row, &digests).await?;
        let uri = format!(
            "otpauth://totp/Register%20to%20vote%20ERO%20portal:{}?secret={encoded}&issuer=Register%20to%20vote%20ERO%20portal",
            username.as_str().replace('@', "%40")
        );
        Ok(Enrolled { id, secret: encoded, uri, recovery_codes })
    }

    /// The accounts of an ERO's office.
    pub async fn members(&self, ero: &EroId) -> Result<Vec<StaffRow>> {
        self.store.backend.staff_of(ero).await
    }

    /// Sign-in's first step.
    pub async fn password(&self, username: &str, password: SecretString, now: DateTime<Utc>) -> Result<PasswordStep> {
        let found = match Username::parse(username) {
            Ok(u) => self.store.backend.staff_by_username(&u).await?,
            Err(_) => None,
        };
        let hash = found.as_ref().map_or_else(|| DECOY.clone(), |s| s.password_hash.clone());
        let right = tokio::task::spawn_blocking(move || password_matches(&hash, password.expose_secret()))
            .await
            .map_err(|_| StorageError::Unavailable("could not check a password".into()))?;
        let Some(staff) = found else { return Ok(PasswordStep::Wrong) };
        if let Some(until) = staff.locked(now) {
            return Ok(PasswordStep::Locked(until));
        }
        if right {
            Ok(PasswordStep::Right(staff.id))
        } else {
            self.failed(&staff.id, now).await.map(|locked| locked.map_or(PasswordStep::Wrong, PasswordStep::Locked))
        }
    }

    /// Count a wrong try; when the account is locked by it, until when.
    async fn failed(&self, id: &StaffId, now: DateTime<Utc>) -> Result<Option<DateTime<Utc>>> {
        let until = now + Duration::minutes(LOCK_MINUTES);
        let failures = self.store.backend.staff_failed(id, now, MAX_FAILURES, until).await?;
        Ok((failures >= MAX_FAILURES).then_some(until))
    }

    /// Sign-in's second step, for an account whose password was right: a code
    /// from the authenticator app or a recovery code. Starts a session.
    pub async fn code(&self, id: &StaffId, code: &str, now: DateTime<Utc>) -> Result<CodeStep> {
        let Some(staff) = self.store.backend.staff_member(id).await? else { return Ok(CodeStep::Wrong) };
        if let Some(until) = staff.locked(now) {
            return Ok(CodeStep::Locked(until));
        }
        let digits: String = code.chars().filter(|c| !c.is_whitespace()).collect();
        let (step, recovery) = if digits.len() == 6 && digits.bytes().all(|b| b.is_ascii_digit()) {
            let secret = self
                .store
                .keys
                .open(&staff.totp, &totp_aad(id))
                .map_err(|_| StorageError::Corrupt("TOTP secret".into()))?;
            let wanted: u32 = digits.parse().unwrap_or(u32::MAX);
            let now_step = totp_step(now);
            let step = [now_step.saturating_sub(1), now_step, now_step + 1]
                .into_iter()
                .find(|s| totp(&secret, *s) == wanted && (*s as i64) > staff.last_totp_step);
            (step.map(|s| s as i64), None)
        } else {
            (None, recovery_digest(id, code))
        };
        if step.is_none() && recovery.is_none() {
            return self.failed(id, now).await.map(|l| l.map_or(CodeStep::Wrong, CodeStep::Locked));
        }
        let token = data_encoding::BASE64URL_NOPAD.encode(&rand::random::<[u8; 32]>());
        let session = SessionRow {
            token_hash: session_digest(&token),
            staff: id.clone(),
            created_at: now,
            seen_at: now,
            expires_at: now + Duration::hours(SESSION_HOURS),
        };
        if !self.store.backend.staff_signed_in(id, step, recovery.as_deref(), &session).await? {
            // A code used already, or a recovery code that is not (or no longer) one.
            return self.failed(id, now).await.map(|l| l.map_or(CodeStep::Wrong, CodeStep::Locked));
        }
        let csrf = csrf_of(&token);
        Ok(CodeStep::SignedIn(Box::new(Signed {
            token: Some(SecretString::from(token)),
            staff,
            csrf,
            expires_at: session.expires_at,
        })))
    }

    /// A sign-in through the council's own provider (OpenID Connect), which has said who
    /// the member is (with its own second factor): a session for the account of this
    /// username, if there is one of this ERO and it is not locked; otherwise `None`.
    pub async fn federated(&self, ero: &EroId, username: &str, now: DateTime<Utc>) -> Result<Option<Signed>> {
        let Ok(username) = Username::parse(username) else { return Ok(None) };
        let Some(staff) = self.store.backend.staff_by_username(&username).await? else { return Ok(None) };
        if staff.ero != *ero || staff.locked(now).is_some() {
            return Ok(None);
        }
        let token = data_encoding::BASE64URL_NOPAD.encode(&rand::random::<[u8; 32]>());
        let session = SessionRow {
            token_hash: session_digest(&token),
            staff: staff.id.clone(),
            created_at: now,
            seen_at: now,
            expires_at: now + Duration::hours(SESSION_HOURS),
        };
        if !self.store.backend.staff_signed_in(&staff.id, None, None, &session).await? {
            return Ok(None);
        }
        let csrf = csrf_of(&token);
        Ok(Some(Signed { token: Some(SecretString::from(token)), staff, csrf, expires_at: session.expires_at }))
    }

    /// The member of staff a session's token belongs to, while it lasts (each
    /// request keeps it alive for [`SESSION_IDLE_MINUTES`] more).
    pub async fn session(&self, token: &str, now: DateTime<Utc>) -> Result<Option<Signed>> {
        if token.len() != 43 {
            return Ok(None);
        }
        let idle_since = now - Duration::minutes(SESSION_IDLE_MINUTES);
        let Some((session, staff)) = self.store.backend.staff_session(&session_digest(token), now, idle_since).await?
        else {
            return Ok(None);
        };
        Ok(Some(Signed {
            token: Some(SecretString::from(token.to_owned())),
            staff,
            csrf: csrf_of(token),
            expires_at: session.expires_at,
        }))
    }

    /// End a session.
    pub async fn sign_out(&self, token: &str) -> Result<()> {
        self.store.backend.delete_staff_session(&session_digest(token)).await
    }

    /// Change a signed-in member's password: the current one must be right (a wrong one counts
    /// as a wrong try), the new one allowed. Their other sessions end.
    pub async fn change_password(
        &self,
        signed: &Signed,
        current: SecretString,
        new: SecretString,
        now: DateTime<Utc>,
    ) -> Result<std::result::Result<(), ChangeError>> {
        if let Err(e) = check_password(new.expose_secret()) {
            return Ok(Err(ChangeError::NotAllowed(e)));
        }
        let Some(staff) = self.store.backend.staff_member(&signed.staff.id).await? else {
            return Err(StorageError::NotFound);
        };
        let hash = staff.password_hash.clone();
        let right = tokio::task::spawn_blocking(move || password_matches(&hash, current.expose_secret()))
            .await
            .map_err(|_| StorageError::Unavailable("could not check a password".into()))?;
        if !right {
            self.failed(&staff.id, now).await?;
            return Ok(Err(ChangeError::WrongCurrent));
        }
        let new_hash = tokio::task::spawn_blocking(move || hash_password(new.expose_secret()))
            .await
            .map_err(|_| StorageError::Unavailable("could not hash a password".into()))??;
        let keep = signed.token.as_ref().map(|t| session_digest(t.expose_secret()));
        self.store.backend.set_staff_password(&staff.id, &new_hash, keep.as_deref()).await?;
        Ok(Ok(()))
    }

    /// Record portal accesses in the audit (its hash chain): who is `staff:<id>`, never a name.
    pub async fn audit(&self, records: &[crate::ApiAccess]) -> Result<()> {
        self.store.record_api_access(records).await
    }

    /// The signed-in member of staff's view of their ERO's data: the only way
    /// the portal reads applications.
    pub fn ero_store(&self, signed: &Signed) -> EroStore {
        self.store.for_ero(signed.staff.ero.clone())
    }
}

fn totp_aad(id: &StaffId) -> Vec<u8> {
    format!("{TOTP_PURPOSE}:{id}").into_bytes()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn totp_matches_rfc_6238() {
        // RFC 6238 appendix B, SHA-1, the last six of the eight digits.
        let secret = b"12345678901234567890";
        assert_eq!(totp(secret, 59 / 30), 287_082);
        assert_eq!(totp(secret, 1_111_111_109 / 30), 81_804);
        assert_eq!(totp(secret, 1_234_567_890 / 30), 5_924);
        assert_eq!(totp(secret, 2_000_000_000 / 30), 279_037);
    }

    #[test]
    fn usernames_are_email_addresses_kept_lower_case() {
        assert_eq!(Username::parse(" Jo.Bloggs@Council.gov.uk ").unwrap().as_str(), "jo.bloggs@council.gov.uk");
        for bad in ["", "jo", "@council.gov.uk", "jo@", "jo@council", "jo@@x.uk", "jo bloggs@x.uk", "jo@.uk"] {
            assert!(Username::parse(bad).is_err(), "{bad}");
        }
        assert!(!format!("{:?}", Username::parse("jo@x.uk").unwrap()).contains("jo"));
    }

    #[test]
    fn recovery_codes_read_leniently() {
        let id = StaffId::generate();
        let d = recovery_digest(&id, "ABCD-EFGH-IJKL-MNOP").unwrap();
        assert_eq!(recovery_digest(&id, "abcd efgh ijkl mnop"), Some(d.clone()));
        assert_ne!(recovery_digest(&StaffId::generate(), "ABCD-EFGH-IJKL-MNOP"), Some(d));
        assert_eq!(recovery_digest(&id, "123456"), None);
        assert!(StaffId::parse(id.as_str()).is_some());
        assert!(StaffId::parse("st-../../etc").is_none());
    }

    #[test]
    fn passwords_are_hashed_with_argon2id() {
        let h = hash_password("correct horse battery staple").unwrap();
        assert!(h.starts_with("$argon2id$"));
        assert!(password_matches(&h, "correct horse battery staple"));
        assert!(!password_matches(&h, "correct horse battery stapler"));
        assert_eq!(check_password("short"), Err(PasswordError::TooShort));
        assert_eq!(check_password(&"x".repeat(129)), Err(PasswordError::TooLong));
    }
}
