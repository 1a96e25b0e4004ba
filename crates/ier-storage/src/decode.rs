//! Turning stored values back into domain types, for every backend. A value
//! that does not parse is reported as corrupt data (naming the column, never
//! the value), never passed on.

use std::str::FromStr;

use ier_domain::{ApplicationKind, EroId, EventKind, GssCode, Language, Nation, ReferenceNumber, Stage};

use crate::{Result, StorageError};

pub fn corrupt(what: &str) -> StorageError {
    StorageError::Corrupt(format!("bad {what} in the database"))
}

pub fn ero_id(s: &str) -> Result<EroId> {
    EroId::parse(s).map_err(|_| corrupt("ERO id"))
}

pub fn reference(s: &str) -> Result<ReferenceNumber> {
    ReferenceNumber::parse(s).map_err(|_| corrupt("reference number"))
}

pub fn gss_code(s: &str) -> Result<GssCode> {
    GssCode::parse(s).map_err(|_| corrupt("GSS code"))
}

pub fn nation(s: &str) -> Result<Nation> {
    Nation::from_str(s).map_err(|_| corrupt("nation"))
}

pub fn kind(s: &str) -> Result<ApplicationKind> {
    ApplicationKind::from_str(s).map_err(|_| corrupt("application kind"))
}

pub fn language(s: &str) -> Result<Language> {
    Language::from_str(s).map_err(|_| corrupt("language"))
}

pub fn stage(s: &str) -> Result<Stage> {
    Stage::from_str(s).map_err(|_| corrupt("stage"))
}

pub fn event(json: &str) -> Result<EventKind> {
    serde_json::from_str(json).map_err(|_| corrupt("event"))
}

/// Stage counts in the order of an application's life.
pub fn sort_stages(by_stage: &mut [(Stage, u64)]) {
    by_stage.sort_by_key(|(s, _)| Stage::ALL.iter().position(|x| x == s));
}
