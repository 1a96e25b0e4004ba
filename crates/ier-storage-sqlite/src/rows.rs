//! Mapping SQLite rows to domain values; a value that does not parse is
//! reported as corrupt data, never passed on.

use ier_domain::{Council, Ero, EroContact, Event, EventKind};
pub use ier_storage::sql::{APPLICATION_SELECT, APPLICATION_SELECT_WITH_CANDIDATES};
use ier_storage::{ApiAccess, ApplicationRow, Job, JobRow, RegisterCheckState, Result, Sealed, decode};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub const ERO_COLUMNS: &str = "id, name, name_cy, email, phone, website, address";
pub const COUNCIL_COLUMNS: &str = "gss_code, name, name_cy, nation, ero_id";

pub fn ero_from(r: &SqliteRow) -> Result<Ero> {
    Ok(Ero {
        id: decode::ero_id(r.get("id"))?,
        name: r.get("name"),
        name_cy: r.get("name_cy"),
        contact: EroContact {
            email: r.get("email"),
            phone: r.get("phone"),
            website: r.get("website"),
            address: r.get("address"),
        },
    })
}

pub fn council_from(r: &SqliteRow) -> Result<Council> {
    Ok(Council {
        gss_code: decode::gss_code(r.get("gss_code"))?,
        name: r.get("name"),
        name_cy: r.get("name_cy"),
        nation: decode::nation(r.get("nation"))?,
        ero_id: decode::ero_id(r.get("ero_id"))?,
    })
}

pub fn application_from(r: &SqliteRow) -> Result<ApplicationRow> {
    Ok(ApplicationRow {
        reference: decode::reference(r.get("reference"))?,
        kind: decode::kind(r.get("kind"))?,
        language: decode::language(r.get("language"))?,
        gss_code: decode::gss_code(r.get("gss_code"))?,
        ero_id: Some(decode::ero_id(r.get("ero_id"))?),
        submitted_at: r.get("submitted_at"),
        stage: decode::stage(r.get("stage"))?,
        details: Sealed { key_id: r.get("key_id"), blob: r.get("details") },
        progress: decode::progress(decode::ProgressColumns {
            ems_confirmed_at: r.get("ems_confirmed_at"),
            ems_success: r.get("ems_success"),
            ems_message_key: r.get("ems_message_key"),
            ems_message: r.get("ems_message"),
            ems_failures: r.get("ems_failures"),
            ems_failed_at: r.get("ems_failed_at"),
            determination: r.get("determination"),
            determined_at: r.get("determined_at"),
            verified_at: r.get("verified_at"),
            verified: r.get::<Option<&str>, _>("verified_detail").map(decode::event).transpose()?,
            check_id: r.get("check_id"),
            check_created_at: r.get("check_created_at"),
            check_historical: r.get("check_historical"),
            check_answered_at: r.get("check_answered_at"),
            check_result: r.get("check_result"),
            check_match_count: r.get("check_match_count"),
            erased_at: r.get("erased_at"),
        })?,
    })
}

pub fn register_check_from(r: &SqliteRow) -> Result<RegisterCheckState> {
    Ok(RegisterCheckState {
        id: r.get("check_id"),
        created_at: r.get("check_created_at"),
        historical: r.get("check_historical"),
        answered_at: r.get("check_answered_at"),
        result: r.get::<Option<&str>, _>("check_result").map(decode::register_check_result).transpose()?,
        match_count: r
            .get::<Option<i64>, _>("check_match_count")
            .map(|n| u32::try_from(n).map_err(|_| decode::corrupt("match count")))
            .transpose()?,
    })
}

pub fn api_access_from(r: &SqliteRow) -> Result<ApiAccess> {
    Ok(ApiAccess {
        at: r.get("at"),
        request_id: r.get("request_id"),
        ero_id: decode::ero_id(r.get("ero_id"))?,
        certificate_serial: r.get("certificate_serial"),
        method: r.get("method"),
        route: r.get("route"),
        target: r.get("target"),
        status: u16::try_from(r.get::<i64, _>("status")).map_err(|_| decode::corrupt("status"))?,
        items: r.get::<Option<i64>, _>("items").map(|n| n as u32),
    })
}

pub fn event_json(kind: &EventKind) -> String {
    serde_json::to_string(kind).expect("events serialise")
}

pub fn event_from(r: &SqliteRow) -> Result<Event> {
    Ok(Event {
        reference: decode::reference(r.get("reference"))?,
        at: r.get("at"),
        kind: decode::event(r.get("detail"))?,
    })
}

pub fn job_from(r: &SqliteRow) -> Result<Job> {
    Ok(Job {
        id: r.get("id"),
        reference: decode::reference(r.get("reference"))?,
        kind: decode::job_kind(r.get("kind"))?,
        attempts: r.get::<i64, _>("attempts") as u32,
        created_at: r.get("created_at"),
    })
}

pub fn job_row_from(r: &SqliteRow) -> Result<JobRow> {
    let kind = decode::job_kind(r.get("kind"))?;
    Ok(JobRow {
        id: r.get("id"),
        reference: decode::reference(r.get("reference"))?,
        state: decode::job_state(r.get("state"))?,
        attempts: r.get::<i64, _>("attempts") as u32,
        run_after: r.get("run_after"),
        last_error: r.get("last_error"),
        result: r.get("result"),
        worker: r.get("worker"),
        created_at: r.get("created_at"),
        finished_at: r.get("finished_at"),
        kind,
    })
}
