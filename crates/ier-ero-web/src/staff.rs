//! The office's accounts, for its administrators: who has access and with what
//! role, and adding a member of staff. A new account's second factor (the TOTP
//! secret) and recovery codes are shown once, on the page after adding it, to
//! be passed to its holder; they are never shown again. Every member of staff changes their
//! own password (the first one came from someone else); their other sessions then end.

use std::sync::Arc;

use axum::Form;
use axum::extract::{OriginalUri, State};
use axum::http::{HeaderMap, StatusCode};
use axum::response::{IntoResponse, Redirect, Response};
use chrono::Utc;
use ier_citizen_web::i18n::Lang;
use ier_storage::StorageError;
use ier_storage::staff::{PasswordError, Role, Username, check_password};
use minijinja::context;
use secrecy::SecretString;
use serde::{Deserialize, Serialize};

use crate::PortalState;
use crate::auth::{audit, csrf_ok, frame_for, refused, signed};
use crate::render::{Frame, page, tr, when};

#[derive(Serialize)]
struct Choice {
    value: &'static str,
    text: String,
    hint: Hint,
    checked: bool,
}

#[derive(Serialize)]
struct Hint {
    text: String,
}

async fn list_page(
    state: &PortalState,
    signed: &ier_storage::staff::Signed,
    frame: Frame,
    username: &str,
    role: &str,
    status: StatusCode,
) -> Response {
    let l = frame.language();
    let members = match state.staff.members(&signed.staff.ero).await {
        Ok(m) => m,
        Err(e) => return crate::unavailable(&frame, e),
    };
    let now = Utc::now();
    let members: Vec<serde_json::Value> = members
        .iter()
        .map(|m| {
            let mut value = tr(l, &format!("role-{}", m.role.as_str()), &[]);
            value.push_str(&format!(" · {}", tr(l, "staff-since", &[("date", &when(m.created_at, l))])));
            if m.locked(now).is_some() {
                value.push_str(&format!(" · {}", tr(l, "staff-locked", &[])));
            }
            serde_json::json!({"key": {"text": m.username.as_str()}, "value": {"text": value}})
        })
        .collect();
    let roles: Vec<Choice> = Role::ALL
        .iter()
        .map(|r| Choice {
            value: r.as_str(),
            text: tr(l, &format!("role-{}", r.as_str()), &[]),
            hint: Hint { text: tr(l, &format!("role-{}-hint", r.as_str()), &[]) },
            checked: r.as_str() == role,
        })
        .collect();
    page(status, "staff.html", &frame, context! { members, roles, username })
}

/// The office's accounts.
pub async fn list(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let plain = Frame::new(lang.language, uri.path());
    let signed = match signed(&state, &headers, &plain).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let frame = frame_for(&state, &signed, lang, uri.path(), "staff");
    if !signed.staff.role.may_manage() {
        return crate::render::message(StatusCode::FORBIDDEN, &frame, "role-title", &["role-manage-body"]);
    }
    list_page(&state, &signed, frame, "", "", StatusCode::OK).await
}

#[derive(Deserialize)]
pub struct AddForm {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    username: String,
    #[serde(default)]
    role: String,
    #[serde(default)]
    password: String,
}

/// Add a member of staff to the office.
pub async fn add(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Form(f): Form<AddForm>,
) -> Response {
    let plain = Frame::new(lang.language, uri.path());
    let signed = match signed(&state, &headers, &plain).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let mut frame = frame_for(&state, &signed, lang, uri.path(), "staff");
    if !csrf_ok(&signed, &f.csrf) {
        return refused(&frame);
    }
    if !signed.staff.role.may_manage() {
        return crate::render::message(StatusCode::FORBIDDEN, &frame, "role-title", &["role-manage-body"]);
    }
    let username = Username::parse(&f.username);
    if username.is_err() {
        frame.error("username", "username", "username-wrong");
    }
    let role = Role::ALL.into_iter().find(|r| r.as_str() == f.role);
    if role.is_none() {
        frame.error("role", "role", "role-missing");
    }
    match check_password(&f.password) {
        Ok(()) => {}
        Err(PasswordError::TooShort) => frame.error("password", "password", "password-short"),
        Err(PasswordError::TooLong) => frame.error("password", "password", "password-long"),
    }
    let (Ok(username), Some(role), true) = (username, role, frame.errors.is_empty()) else {
        return list_page(&state, &signed, frame, &f.username, &f.role, StatusCode::BAD_REQUEST).await;
    };
    match state.staff.add(&signed.staff.ero, username, role, SecretString::from(f.password), Utc::now()).await {
        Ok(enrolled) => {
            audit(&state, &signed, "POST", "/staff", Some(enrolled.id.as_str()), 201).await;
            page(
                StatusCode::CREATED,
                "enrolled.html",
                &frame,
                context! { secret => enrolled.secret, uri => enrolled.uri, codes => enrolled.recovery_codes },
            )
        }
        Err(StorageError::Duplicate) => {
            frame.error("username", "username", "username-taken");
            list_page(&state, &signed, frame, &f.username, &f.role, StatusCode::CONFLICT).await
        }
        Err(e) => crate::unavailable(&frame, e),
    }
}

/// The form to change one's own password.
pub async fn password_form(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
) -> Response {
    let plain = Frame::new(lang.language, uri.path());
    let signed = match signed(&state, &headers, &plain).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let mut frame = frame_for(&state, &signed, lang, uri.path(), "");
    let first = !signed.staff.password_chosen;
    if !first {
        frame.back = Some("/applications".to_owned());
    }
    page(StatusCode::OK, "password.html", &frame, context! { first })
}

#[derive(Deserialize)]
pub struct PasswordChange {
    #[serde(default)]
    csrf: String,
    #[serde(default)]
    current: String,
    #[serde(default)]
    new: String,
    #[serde(default)]
    confirm: String,
}

/// Change one's own password.
pub async fn change_password(
    State(state): State<Arc<PortalState>>,
    lang: Lang,
    headers: HeaderMap,
    OriginalUri(uri): OriginalUri,
    Form(f): Form<PasswordChange>,
) -> Response {
    let plain = Frame::new(lang.language, uri.path());
    let signed = match signed(&state, &headers, &plain).await {
        Ok(s) => s,
        Err(res) => return res,
    };
    let mut frame = frame_for(&state, &signed, lang, uri.path(), "");
    let first = !signed.staff.password_chosen;
    if !first {
        frame.back = Some("/applications".to_owned());
    }
    if !csrf_ok(&signed, &f.csrf) {
        return refused(&frame);
    }
    if f.current.is_empty() {
        frame.error("current", "current", "password-missing");
    }
    match check_password(&f.new) {
        Ok(()) if f.new == f.current => frame.error("new", "new", "password-same"),
        Ok(()) => {}
        Err(PasswordError::TooShort) => frame.error("new", "new", "password-short"),
        Err(PasswordError::TooLong) => frame.error("new", "new", "password-long"),
    }
    if f.confirm != f.new {
        frame.error("confirm", "confirm", "password-mismatch");
    }
    if !frame.errors.is_empty() {
        return page(StatusCode::BAD_REQUEST, "password.html", &frame, context! { first });
    }
    let current = if f.current.chars().count() > ier_storage::staff::PASSWORD_MAX { String::new() } else { f.current };
    match state.staff.change_password(&signed, SecretString::from(current), SecretString::from(f.new), Utc::now()).await
    {
        Ok(Ok(())) => {
            audit(&state, &signed, "POST", "/account/password", None, 200).await;
            frame.back = None;
            if first {
                // On to the work they signed in for.
                return Redirect::to("/applications?done=password").into_response();
            }
            crate::render::message(StatusCode::OK, &frame, "password-changed-title", &["password-changed-body"])
        }
        Ok(Err(ier_storage::staff::ChangeError::WrongCurrent)) => {
            frame.error("current", "current", "password-current-wrong");
            page(StatusCode::BAD_REQUEST, "password.html", &frame, context! { first })
        }
        Ok(Err(ier_storage::staff::ChangeError::NotAllowed(_))) => {
            frame.error("new", "new", "password-short");
            page(StatusCode::BAD_REQUEST, "password.html", &frame, context! { first })
        }
        Err(e) => crate::unavailable(&frame, e),
    }
}
