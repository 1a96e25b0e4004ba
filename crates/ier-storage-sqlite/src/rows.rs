//! Mapping SQLite rows to domain values; a value that does not parse is
//! reported as corrupt data, never passed on.

use std::str::FromStr;

use ier_domain::{
    ApplicationKind, Council, Ero, EroContact, EroId, Event, EventKind, GssCode, Language, Nation,
    ReferenceNumber, Stage,
};
use ier_storage::{ApplicationRow, Result, Sealed, StorageError};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub const ERO_COLUMNS: &str = "id, name, name_cy, email, phone, website, address";
pub const COUNCIL_COLUMNS: &str = "gss_code, name, name_cy, nation, ero_id";
pub const APPLICATION_COLUMNS: &str =
    "reference, kind, language, gss_code, ero_id, submitted_at, stage, key_id, details";

fn corrupt(what: &str) -> StorageError {
    StorageError::Corrupt(format!("bad {what} in the database"))
}

pub fn ero_id_from(s: &str) -> Result<EroId> {
    EroId::parse(s).map_err(|_| corrupt("ERO id"))
}

pub fn reference_from(s: &str) -> Result<ReferenceNumber> {
    ReferenceNumber::parse(s).map_err(|_| corrupt("reference number"))
}

pub fn ero_from(r: &SqliteRow) -> Result<Ero> {
    Ok(Ero {
        id: ero_id_from(r.get("id"))?,
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
        gss_code: GssCode::parse(r.get("gss_code")).map_err(|_| corrupt("GSS code"))?,
        name: r.get("name"),
        name_cy: r.get("name_cy"),
        nation: Nation::from_str(r.get("nation")).map_err(|_| corrupt("nation"))?,
        ero_id: ero_id_from(r.get("ero_id"))?,
    })
}

pub fn application_from(r: &SqliteRow) -> Result<ApplicationRow> {
    Ok(ApplicationRow {
        reference: reference_from(r.get("reference"))?,
        kind: ApplicationKind::from_str(r.get("kind")).map_err(|_| corrupt("kind"))?,
        language: Language::from_str(r.get("language")).map_err(|_| corrupt("language"))?,
        gss_code: GssCode::parse(r.get("gss_code")).map_err(|_| corrupt("GSS code"))?,
        ero_id: Some(ero_id_from(r.get("ero_id"))?),
        submitted_at: r.get("submitted_at"),
        stage: Stage::from_str(r.get("stage")).map_err(|_| corrupt("stage"))?,
        details: Sealed {
            key_id: r.get("key_id"),
            blob: r.get("details"),
        },
    })
}

pub fn event_json(kind: &EventKind) -> String {
    serde_json::to_string(kind).expect("events serialise")
}

pub fn event_from(r: &SqliteRow) -> Result<Event> {
    Ok(Event {
        reference: reference_from(r.get("reference"))?,
        at: r.get("at"),
        kind: serde_json::from_str(r.get("detail")).map_err(|_| corrupt("event"))?,
    })
}
