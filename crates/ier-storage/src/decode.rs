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

pub fn determination(s: &str) -> Result<ier_domain::Determination> {
    ier_domain::Determination::from_str(s).map_err(|_| corrupt("determination"))
}

pub fn register_check_result(s: &str) -> Result<ier_domain::RegisterCheckResult> {
    ier_domain::RegisterCheckResult::from_str(s).map_err(|_| corrupt("register check result"))
}

/// An application's progress columns, as every backend reads them (the
/// `verified` event and the register check come from left joins).
#[derive(Debug, Default)]
pub struct ProgressColumns {
    pub ems_confirmed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub ems_success: Option<bool>,
    pub ems_message_key: Option<String>,
    pub ems_message: Option<Vec<u8>>,
    /// Failed receipts so far (the application stays on the queue after each).
    pub ems_failures: i64,
    pub ems_failed_at: Option<chrono::DateTime<chrono::Utc>>,
    pub determination: Option<String>,
    pub determined_at: Option<chrono::DateTime<chrono::Utc>>,
    pub verified_at: Option<chrono::DateTime<chrono::Utc>>,
    pub verified: Option<EventKind>,
    pub check_id: Option<String>,
    pub check_created_at: Option<chrono::DateTime<chrono::Utc>>,
    pub check_historical: Option<bool>,
    pub check_answered_at: Option<chrono::DateTime<chrono::Utc>>,
    pub check_result: Option<String>,
    pub check_match_count: Option<i64>,
    pub erased_at: Option<chrono::DateTime<chrono::Utc>>,
}

pub fn progress(c: ProgressColumns) -> Result<crate::ProgressRow> {
    let verification = match (c.verified_at, c.verified) {
        (Some(at), Some(EventKind::Verified { outcome, explanation })) => {
            Some(crate::Verification { at, outcome, explanation })
        }
        (None, None) => None,
        _ => return Err(corrupt("verification event")),
    };
    let failures = u32::try_from(c.ems_failures).map_err(|_| corrupt("EMS receipt failures"))?;
    let receipt = match (c.ems_confirmed_at, c.ems_success, c.ems_failed_at) {
        (Some(at), Some(true), _) => Some(crate::ReceiptState { at, success: true, failures }),
        (None, _, Some(at)) if failures > 0 => Some(crate::ReceiptState { at, success: false, failures }),
        (None, _, None) if failures == 0 => None,
        _ => return Err(corrupt("EMS receipt")),
    };
    let receipt_message = match (c.ems_message_key, c.ems_message) {
        (Some(key_id), Some(blob)) => Some(crate::Sealed { key_id, blob }),
        _ => None,
    };
    let determination = match (c.determined_at, c.determination) {
        (Some(at), Some(d)) => Some(crate::DeterminationState { at, determination: determination(&d)? }),
        (None, None) => None,
        _ => return Err(corrupt("determination")),
    };
    let register_check = match (c.check_id, c.check_created_at) {
        (Some(id), Some(created_at)) => Some(crate::RegisterCheckState {
            id,
            created_at,
            historical: c.check_historical.unwrap_or(false),
            answered_at: c.check_answered_at,
            result: c.check_result.as_deref().map(register_check_result).transpose()?,
            match_count: c.check_match_count.map(|n| n.try_into().map_err(|_| corrupt("match count"))).transpose()?,
        }),
        _ => None,
    };
    Ok(crate::ProgressRow {
        verification,
        receipt,
        receipt_message,
        determination,
        register_check,
        erased_at: c.erased_at,
    })
}

pub fn job_kind(json: &str) -> Result<crate::JobKind> {
    serde_json::from_str(json).map_err(|_| corrupt("job kind"))
}

pub fn job_state(s: &str) -> Result<crate::JobState> {
    crate::JobState::from_str(s).map_err(|_| corrupt("job state"))
}

pub fn queue(s: &str) -> Result<crate::Queue> {
    crate::Queue::from_str(s).map_err(|_| corrupt("queue"))
}
