//! Signing in with a council's own accounts: OpenID Connect, configured per ERO
//! (`IER_PORTAL_OIDC` names a TOML file: the portal's address and, for each ERO
//! that has one, its provider's issuer, client id and secret, and which claim
//! names the member). The demo uses local accounts ([`crate::auth`]), which
//! every office keeps besides (an administrator's way in when the council's
//! provider is down).
//!
//! The authorisation code flow with PKCE (S256), `state` and `nonce`: the sign-in
//! page posts the chosen office (with its form token), the portal keeps what it
//! sent in a sealed, short-lived cookie (`SameSite=Lax`, for the provider's
//! redirect back) and sends the browser to the provider; on the way back the
//! code is exchanged at the token endpoint (client secret by HTTP Basic) for an
//! ID token, whose signature (RS256 or ES256, keys from the provider's JWKS,
//! fetched again once for a key id it does not know), issuer, audience, expiry
//! and nonce are checked with `ring`. The member named by the claim must hold a
//! staff account of that ERO: the provider says who they are (and its own
//! second factor applies), the portal says what they may do. Discovery and keys
//! are cached for an hour. Why hand-written and not the `openidconnect` crate:
//! the flow is a few hundred lines over `ring`, `serde_json` and the shared
//! client ([`ier_ops::client`]), where the crate would bring its own HTTP and
//! crypto stacks into a two-core build.

use std::collections::HashMap;
use std::sync::Arc;
use std::time::{Duration, Instant};

use axum::Form;
use axum::extract::{Query, State};
use axum::http::{HeaderMap, HeaderValue, Method, StatusCode, header};
use axum::response::{IntoResponse, Redirect, Response};
use base64::Engine as _;
use base64::engine::general_purpose::{STANDARD, URL_SAFE_NO_PAD};
use chrono::Utc;
use ier_citizen_web::i18n::Lang;
use ier_domain::EroId;
use ier_ops::client::Target;
use minijinja::context;
use secrecy::{ExposeSecret, SecretString};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use crate::PortalState;
use crate::auth::{Client, audit, limited, session_cookie};
use crate::render::{Frame, page};

/// How long the provider may take to send the browser back.
const PENDING_SECS: i64 = 10 * 60;
/// How long discovery and keys are kept.
const CACHE: Duration = Duration::from_secs(3600);
/// Clock skew allowed on a token's times.
const SKEW_SECS: i64 = 60;
const LIMIT: usize = 1024 * 1024;
const TIMEOUT: Duration = Duration::from_secs(15);
const PENDING: &str = "staff-oidc";
const COOKIE: &str = "ier-oidc";

/// The file `IER_PORTAL_OIDC` names.
#[derive(Debug, Deserialize)]
#[serde(deny_unknown_fields)]
struct File {
    /// The portal's own address, as staff's browsers reach it: the redirect is `{portal_url}/sign-in/oidc/callback`.
    portal_url: String,
    #[serde(default)]
    provider: Vec<ProviderFile>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ProviderFile {
    ero: String,
    issuer: String,
    client_id: String,
    client_secret: String,
    /// The claim that is the member's username (their work email address): `email` by default.
    #[serde(default = "email")]
    username_claim: String,
}

impl std::fmt::Debug for ProviderFile {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ProviderFile {{ ero: {}, issuer: {} }}", self.ero, self.issuer)
    }
}

fn email() -> String {
    "email".to_owned()
}

/// One ERO's provider.
pub struct Provider {
    pub ero: EroId,
    issuer: String,
    client_id: String,
    client_secret: SecretString,
    username_claim: String,
    found: tokio::sync::Mutex<Option<Found>>,
}

/// What discovery and the JWKS said, and when.
#[derive(Clone)]
struct Found {
    at: Instant,
    authorization_endpoint: url::Url,
    token_endpoint: url::Url,
    keys: Vec<Value>,
}

/// Every configured provider, and where the provider sends browsers back.
pub struct Oidc {
    redirect_uri: url::Url,
    providers: HashMap<EroId, Arc<Provider>>,
}

impl std::fmt::Debug for Oidc {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Oidc {{ eros: {:?} }}", self.providers.keys().collect::<Vec<_>>())
    }
}

/// An `https://` URL, or `http://` to this machine (a test provider).
fn outside_url(s: &str) -> Option<url::Url> {
    let u: url::Url = s.trim().parse().ok()?;
    let local = matches!(u.host_str(), Some("127.0.0.1" | "localhost" | "[::1]"));
    (u.scheme() == "https" || (u.scheme() == "http" && local)).then_some(u).filter(|u| u.host_str().is_some())
}

impl Oidc {
    /// Read the configuration, refusing what cannot work (no secret is quoted).
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let file: File = toml::from_str(text).map_err(|e| format!("not a valid OIDC file: {}", e.message()))?;
        let portal = outside_url(&file.portal_url).ok_or("portal_url must be the portal's https:// address")?;
        let redirect_uri = portal.join("/sign-in/oidc/callback").map_err(|_| "portal_url is not a base address")?;
        let mut providers = HashMap::new();
        for p in file.provider {
            let ero = EroId::parse(&p.ero).map_err(|_| format!("{:?} is not an ERO id", p.ero))?;
            let issuer =
                outside_url(&p.issuer).ok_or_else(|| format!("the issuer of {ero} must be an https:// URL"))?;
            if p.client_id.trim().is_empty() || p.client_secret.is_empty() {
                return Err(format!("the provider of {ero} needs a client_id and a client_secret"));
            }
            Target::of(&issuer).map_err(|e| format!("the issuer of {ero}: {e}"))?;
            let provider = Provider {
                ero: ero.clone(),
                issuer: issuer.as_str().trim_end_matches('/').to_owned(),
                client_id: p.client_id.trim().to_owned(),
                client_secret: SecretString::from(p.client_secret),
                username_claim: p.username_claim,
                found: tokio::sync::Mutex::new(None),
            };
            if providers.insert(ero.clone(), Arc::new(provider)).is_some() {
                return Err(format!("{ero} has two providers"));
            }
        }
        Ok(Self { redirect_uri, providers })
    }

    /// The EROs that have a provider, sorted.
    pub fn eros(&self) -> Vec<EroId> {
        let mut eros: Vec<EroId> = self.providers.keys().cloned().collect();
        eros.sort();
        eros
    }
}

/// Why a sign-in through a provider did not happen (logged; never shown in detail).
#[derive(Debug)]
enum Failure {
    /// The provider could not be reached or answered nonsense.
    Provider(String),
    /// What came back does not prove who the member is.
    Token(&'static str),
}

impl Provider {
    async fn get_json(&self, url: &url::Url) -> Result<Value, Failure> {
        let target = Target::of(url).map_err(|e| Failure::Provider(e.to_string()))?;
        let (status, body) = target
            .send(Method::GET, url, &[], bytes::Bytes::new(), LIMIT, TIMEOUT)
            .await
            .map_err(|e| Failure::Provider(e.to_string()))?;
        if !status.is_success() {
            return Err(Failure::Provider(format!("{url} answered {status}")));
        }
        serde_json::from_slice(&body).map_err(|_| Failure::Provider(format!("{url} did not answer JSON")))
    }

    /// Discovery and keys, from the cache while they are fresh; `refresh` fetches the keys again.
    async fn found(&self, refresh: bool) -> Result<Found, Failure> {
        let mut found = self.found.lock().await;
        if let Some(f) = found.as_ref()
            && f.at.elapsed() < CACHE
            && !refresh
        {
            return Ok(f.clone());
        }
        let well_known: url::Url = format!("{}/.well-known/openid-configuration", self.issuer)
            .parse()
            .map_err(|_| Failure::Provider("the issuer is not a URL".into()))?;
        let d = self.get_json(&well_known).await?;
        if d["issuer"].as_str().map(|i| i.trim_end_matches('/')) != Some(self.issuer.as_str()) {
            return Err(Failure::Provider("discovery names another issuer".into()));
        }
        let endpoint = |k: &str| {
            d[k].as_str().and_then(outside_url).ok_or_else(|| Failure::Provider(format!("discovery has no usable {k}")))
        };
        let (authorization_endpoint, token_endpoint, jwks_uri) =
            (endpoint("authorization_endpoint")?, endpoint("token_endpoint")?, endpoint("jwks_uri")?);
        let jwks = self.get_json(&jwks_uri).await?;
        let keys = jwks["keys"].as_array().cloned().unwrap_or_default();
        let f = Found { at: Instant::now(), authorization_endpoint, token_endpoint, keys };
        *found = Some(f.clone());
        Ok(f)
    }

    /// Exchange the code for an ID token.
    async fn exchange(&self, found: &Found, code: &str, verifier: &str, redirect_uri: &str) -> Result<String, Failure> {
        let body: String = url::form_urlencoded::Serializer::new(String::new())
            .append_pair("grant_type", "authorization_code")
            .append_pair("code", code)
            .append_pair("redirect_uri", redirect_uri)
            .append_pair("code_verifier", verifier)
            .append_pair("client_id", &self.client_id)
            .finish();
        let enc = |s: &str| url::form_urlencoded::byte_serialize(s.as_bytes()).collect::<String>();
        let basic =
            STANDARD.encode(format!("{}:{}", enc(&self.client_id), enc(self.client_secret.expose_secret())).as_bytes());
        let headers = [
            (header::CONTENT_TYPE, HeaderValue::from_static("application/x-www-form-urlencoded")),
            (header::ACCEPT, HeaderValue::from_static("application/json")),
            (
                header::AUTHORIZATION,
                HeaderValue::from_str(&format!("Basic {basic}")).map_err(|_| Failure::Token("client secret"))?,
            ),
        ];
        let target = Target::of(&found.token_endpoint).map_err(|e| Failure::Provider(e.to_string()))?;
        let (status, answer) = target
            .send(Method::POST, &found.token_endpoint, &headers, bytes::Bytes::from(body), LIMIT, TIMEOUT)
            .await
            .map_err(|e| Failure::Provider(e.to_string()))?;
        if !status.is_success() {
            return Err(Failure::Provider(format!("the token endpoint answered {status}")));
        }
        let answer: Value = serde_json::from_slice(&answer).map_err(|_| Failure::Token("a token answer not JSON"))?;
        answer["id_token"].as_str().map(str::to_owned).ok_or(Failure::Token("no id_token"))
    }

    /// The ID token's claims, when its signature, issuer, audience, times and nonce are right.
    async fn verify(&self, token: &str, nonce: &str, now: i64) -> Result<Value, Failure> {
        let mut parts = token.split('.');
        let (Some(h), Some(c), Some(s), None) = (parts.next(), parts.next(), parts.next(), parts.next()) else {
            return Err(Failure::Token("not a JWS"));
        };
        let decode =
            |p: &str| URL_SAFE_NO_PAD.decode(p.trim_end_matches('=')).map_err(|_| Failure::Token("not base64url"));
        let head: Value = serde_json::from_slice(&decode(h)?).map_err(|_| Failure::Token("header not JSON"))?;
        let claims: Value = serde_json::from_slice(&decode(c)?).map_err(|_| Failure::Token("claims not JSON"))?;
        let signature = decode(s)?;
        let alg = head["alg"].as_str().unwrap_or("");
        let kid = head["kid"].as_str();
        let signed = format!("{h}.{c}");
        let mut found = self.found(false).await?;
        let mut key = pick_key(&found.keys, kid, alg);
        if key.is_none() {
            // Keys roll over: fetch them again once.
            found = self.found(true).await?;
            key = pick_key(&found.keys, kid, alg);
        }
        let key = key.ok_or(Failure::Token("no key of the provider's signs it"))?;
        verify_signature(alg, &key, signed.as_bytes(), &signature)?;
        if claims["iss"].as_str().map(|i| i.trim_end_matches('/')) != Some(self.issuer.as_str()) {
            return Err(Failure::Token("another issuer"));
        }
        let audience_ok = match &claims["aud"] {
            Value::String(a) => *a == self.client_id,
            Value::Array(a) => {
                a.iter().any(|x| x.as_str() == Some(self.client_id.as_str()))
                    && (a.len() == 1 || claims["azp"].as_str() == Some(self.client_id.as_str()))
            }
            _ => false,
        };
        if !audience_ok {
            return Err(Failure::Token("for another client"));
        }
        let time = |k: &str| claims[k].as_i64();
        match time("exp") {
            Some(exp) if exp + SKEW_SECS > now => {}
            _ => return Err(Failure::Token("expired")),
        }
        if time("nbf").is_some_and(|nbf| nbf - SKEW_SECS > now) || time("iat").is_some_and(|iat| iat - SKEW_SECS > now)
        {
            return Err(Failure::Token("not valid yet"));
        }
        if !claims["nonce"].as_str().is_some_and(|n| constant_eq(n.as_bytes(), nonce.as_bytes())) {
            return Err(Failure::Token("another sign-in's token"));
        }
        Ok(claims)
    }
}

/// The JWK with this key id (or the only one) that can check `alg`.
fn pick_key(keys: &[Value], kid: Option<&str>, alg: &str) -> Option<Value> {
    let kty = match alg {
        "RS256" => "RSA",
        "ES256" => "EC",
        _ => return None,
    };
    let usable: Vec<&Value> = keys
        .iter()
        .filter(|k| k["kty"].as_str() == Some(kty))
        .filter(|k| k["use"].as_str().is_none_or(|u| u == "sig"))
        .filter(|k| k["alg"].as_str().is_none_or(|a| a == alg))
        .collect();
    match kid {
        Some(kid) => usable.into_iter().find(|k| k["kid"].as_str() == Some(kid)).cloned(),
        None if usable.len() == 1 => usable.first().map(|k| (*k).clone()),
        None => None,
    }
}

/// RS256 and ES256 only: never `none`, never a shared-secret algorithm.
fn verify_signature(alg: &str, key: &Value, message: &[u8], signature: &[u8]) -> Result<(), Failure> {
    let field = |k: &str| {
        key[k]
            .as_str()
            .and_then(|v| URL_SAFE_NO_PAD.decode(v.trim_end_matches('=')).ok())
            .ok_or(Failure::Token("a key that does not read"))
    };
    let ok = match alg {
        "RS256" => ring::signature::RsaPublicKeyComponents { n: field("n")?, e: field("e")? }
            .verify(&ring::signature::RSA_PKCS1_2048_8192_SHA256, message, signature)
            .is_ok(),
        "ES256" => {
            if key["crv"].as_str() != Some("P-256") {
                return Err(Failure::Token("not a P-256 key"));
            }
            let mut point = vec![4u8];
            point.extend(field("x")?);
            point.extend(field("y")?);
            ring::signature::UnparsedPublicKey::new(&ring::signature::ECDSA_P256_SHA256_FIXED, point)
                .verify(message, signature)
                .is_ok()
        }
        _ => false,
    };
    if ok { Ok(()) } else { Err(Failure::Token("a signature that does not verify")) }
}

fn constant_eq(a: &[u8], b: &[u8]) -> bool {
    a.len() == b.len() && a.iter().zip(b).fold(0u8, |acc, (x, y)| acc | (x ^ y)) == 0
}

fn random() -> String {
    URL_SAFE_NO_PAD.encode(rand_bytes())
}

fn rand_bytes() -> [u8; 32] {
    let mut b = [0u8; 32];
    ring::rand::SecureRandom::fill(&ring::rand::SystemRandom::new(), &mut b).expect("the OS gives random bytes");
    b
}

/// What the portal sent the provider, kept sealed in the browser until it comes back.
#[derive(Serialize, Deserialize)]
struct Pending {
    ero: String,
    state: String,
    nonce: String,
    verifier: String,
    at: i64,
}

/// The sign-in page's choices: each office with a provider, by name.
pub fn choices(state: &PortalState, lang: ier_domain::Language) -> Vec<serde_json::Value> {
    let Some(oidc) = &state.oidc else { return Vec::new() };
    oidc.eros().iter().map(|e| serde_json::json!({"ero": e.as_str(), "name": state.ero_name(e, lang)})).collect()
}

#[derive(Deserialize)]
pub struct StartForm {
    #[serde(default)]
    form: String,
    #[serde(default)]
    ero: String,
}

fn unavailable(frame: &Frame, why: &Failure) -> Response {
    let (kind, detail) = match why {
        Failure::Provider(s) => ("provider", s.as_str()),
        Failure::Token(s) => ("token", *s),
    };
    tracing::warn!(kind, detail, "a sign-in through a council's provider failed");
    crate::render::message(StatusCode::BAD_GATEWAY, frame, "oidc-failed-title", &["oidc-failed-body"])
}

/// Start: to the chosen office's provider.
pub async fn start(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    client: Client,
    Form(f): Form<StartForm>,
) -> Response {
    let frame = Frame::new(lang.language, "/sign-in");
    let now = Utc::now().timestamp();
    if state.forms.open_form_token(crate::auth::SIGN_IN_FORM, &f.form, now).is_none() {
        return Redirect::to("/sign-in").into_response();
    }
    if let Some(res) = limited(&state, client.0, &frame) {
        return res;
    }
    let provider =
        state.oidc.as_ref().and_then(|o| EroId::parse(&f.ero).ok().and_then(|e| o.providers.get(&e).cloned()));
    let (Some(oidc), Some(provider)) = (state.oidc.as_ref(), provider) else {
        return crate::render::message(StatusCode::NOT_FOUND, &frame, "not-found-title", &["not-found-body"]);
    };
    let found = match provider.found(false).await {
        Ok(f) => f,
        Err(e) => return unavailable(&frame, &e),
    };
    let pending =
        Pending { ero: provider.ero.to_string(), state: random(), nonce: random(), verifier: random(), at: now };
    let challenge = URL_SAFE_NO_PAD.encode(ring::digest::digest(&ring::digest::SHA256, pending.verifier.as_bytes()));
    let mut to = found.authorization_endpoint.clone();
    to.query_pairs_mut()
        .append_pair("response_type", "code")
        .append_pair("client_id", &provider.client_id)
        .append_pair("redirect_uri", oidc.redirect_uri.as_str())
        .append_pair("scope", "openid email profile")
        .append_pair("state", &pending.state)
        .append_pair("nonce", &pending.nonce)
        .append_pair("code_challenge", &challenge)
        .append_pair("code_challenge_method", "S256");
    let sealed = state.forms.form_token(PENDING, &serde_json::to_string(&pending).expect("serialises"), now);
    let secure = if state.https { "; Secure" } else { "" };
    let cookie =
        format!("{COOKIE}={sealed}; Path=/sign-in/oidc; HttpOnly; SameSite=Lax; Max-Age={PENDING_SECS}{secure}");
    let mut res = Redirect::to(to.as_str()).into_response();
    if let Ok(v) = HeaderValue::from_str(&cookie) {
        res.headers_mut().append(header::SET_COOKIE, v);
    }
    res
}

#[derive(Deserialize)]
pub struct Back {
    #[serde(default)]
    code: String,
    #[serde(default)]
    state: String,
    #[serde(default)]
    error: Option<String>,
}

/// Back from the provider: the code for a token, the token for a session.
pub async fn callback(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    Query(back): Query<Back>,
) -> Response {
    let frame = Frame::new(lang.language, "/sign-in");
    let now = Utc::now();
    let clear = format!("{COOKIE}=; Path=/sign-in/oidc; HttpOnly; SameSite=Lax; Max-Age=0");
    let with_cleared = |mut res: Response| {
        if let Ok(v) = HeaderValue::from_str(&clear) {
            res.headers_mut().append(header::SET_COOKIE, v);
        }
        res
    };
    // Not rate-limited: nothing is asked of the provider without this browser's sealed state.
    let sealed = headers
        .get_all(header::COOKIE)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(';'))
        .filter_map(|c| c.trim().split_once('='))
        .find(|(k, _)| *k == COOKIE)
        .map(|(_, v)| v.to_owned());
    let pending: Option<Pending> = sealed
        .and_then(|s| state.forms.open_form_token(PENDING, &s, now.timestamp()))
        .and_then(|json| serde_json::from_str(&json).ok())
        .filter(|p: &Pending| now.timestamp() - p.at <= PENDING_SECS);
    let Some(pending) = pending.filter(|p| constant_eq(p.state.as_bytes(), back.state.as_bytes())) else {
        // Not a sign-in this browser started (or one that took too long): start again.
        return with_cleared(crate::render::message(
            StatusCode::BAD_REQUEST,
            &frame,
            "oidc-expired-title",
            &["oidc-expired-body"],
        ));
    };
    if back.error.is_some() || back.code.is_empty() {
        return with_cleared(crate::render::message(
            StatusCode::UNAUTHORIZED,
            &frame,
            "oidc-refused-title",
            &["oidc-refused-body"],
        ));
    }
    let (Some(oidc), Ok(ero)) = (state.oidc.as_ref(), EroId::parse(&pending.ero)) else {
        return with_cleared(crate::render::message(
            StatusCode::NOT_FOUND,
            &frame,
            "not-found-title",
            &["not-found-body"],
        ));
    };
    let Some(provider) = oidc.providers.get(&ero).cloned() else {
        return with_cleared(crate::render::message(
            StatusCode::NOT_FOUND,
            &frame,
            "not-found-title",
            &["not-found-body"],
        ));
    };
    let claims = async {
        let found = provider.found(false).await?;
        let token = provider.exchange(&found, &back.code, &pending.verifier, oidc.redirect_uri.as_str()).await?;
        provider.verify(&token, &pending.nonce, now.timestamp()).await
    }
    .await;
    let claims = match claims {
        Ok(c) => c,
        Err(e) => return with_cleared(unavailable(&frame, &e)),
    };
    let claim = &provider.username_claim;
    let username = claims[claim.as_str()].as_str().unwrap_or("");
    let unverified_email = claim == "email" && claims["email_verified"].as_bool() == Some(false);
    let signed = if unverified_email { Ok(None) } else { state.staff.federated(&ero, username, now).await };
    match signed {
        Ok(Some(signed)) => {
            audit(&state, &signed, "GET", "/sign-in/oidc/callback", None, 200).await;
            tracing::info!(staff = %signed.staff.id, ero = %signed.staff.ero, "staff signed in through their council's provider");
            let token = signed.token.as_ref().map(|t| t.expose_secret().to_owned()).unwrap_or_default();
            // A page, not a redirect: the session cookie is `SameSite=Strict`, and a redirect
            // at the end of the provider's cross-site redirects would not carry it.
            let mut res = page(StatusCode::OK, "signed_in.html", &frame, context! {});
            res.headers_mut().insert(header::REFRESH, HeaderValue::from_static("0; url=/applications"));
            if let Ok(v) = HeaderValue::from_str(&session_cookie(&state, &token)) {
                res.headers_mut().append(header::SET_COOKIE, v);
            }
            with_cleared(res)
        }
        Ok(None) => {
            tracing::warn!(ero = %ero, "a provider's sign-in names nobody with an account of its office");
            with_cleared(crate::render::message(
                StatusCode::FORBIDDEN,
                &frame,
                "oidc-no-account-title",
                &["oidc-no-account-body"],
            ))
        }
        Err(e) => with_cleared(crate::unavailable(&frame, e)),
    }
}
