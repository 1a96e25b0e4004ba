//! Mapping SQLite rows to domain values; a value that does not parse is
//! reported as corrupt data, never passed on.

use ier_domain::{Council, Ero, EroContact, Event, EventKind};
use ier_storage::{ApplicationRow, Result, Sealed, decode};
use sqlx::Row;
use sqlx::sqlite::SqliteRow;

pub const ERO_COLUMNS: &str = "id, name, name_cy, email, phone, website, address";
pub const COUNCIL_COLUMNS: &str = "gss_code, name, name_cy, nation, ero_id";
pub const APPLICATION_COLUMNS: &str =
    "reference, kind, language, gss_code, ero_id, submitted_at, stage, key_id, details";

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
