//! Applications sealed by the service before applications had kinds (sealed
//! details version 1, made by `ier demo` at commit d82bee1 and kept in
//! `tests/data/v1-rows.json`) still open, as ordinary applications, after the change.

use std::sync::Arc;

use ier_domain::{ApplicationKind, EroId, GssCode, KindDetails, Language, PostalVote, ReferenceNumber, Stage};
use ier_storage::{ApplicationRow, Backend, DataKeys, ProgressRow, Sealed, Store, Submission};
use ier_storage_sqlite::SqliteBackend;

fn unhex(s: &str) -> Vec<u8> {
    (0..s.len()).step_by(2).map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap()).collect()
}

#[tokio::test]
async fn version_1_rows_open_as_ordinary_applications() {
    let fixture: serde_json::Value =
        serde_json::from_str(include_str!("data/v1-rows.json")).expect("the fixture is JSON");
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(SqliteBackend::open(&dir.path().join("t.db")).await.unwrap());
    let reference = ier_reference::ReferenceData::embedded();
    backend.put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.unwrap();
    backend.put_councils(&reference.councils().cloned().collect::<Vec<_>>()).await.unwrap();
    let key = secrecy::SecretString::from(fixture["key"].as_str().unwrap().to_owned());
    let store = Store::new(backend.clone(), DataKeys::parse(&key).unwrap());
    let rows = fixture["rows"].as_array().unwrap();
    assert_eq!(rows.len(), 4);
    for r in rows {
        let text = |k: &str| r[k].as_str().unwrap().to_owned();
        let row = ApplicationRow {
            reference: ReferenceNumber::parse(&text("reference")).unwrap(),
            kind: text("kind").parse().unwrap(),
            language: text("language").parse().unwrap(),
            gss_code: GssCode::parse(&text("gss_code")).unwrap(),
            ero_id: None,
            submitted_at: chrono::Utc::now(),
            stage: Stage::Submitted,
            details: Sealed { key_id: text("key_id"), blob: unhex(&text("details_hex")) },
            progress: ProgressRow::default(),
        };
        // As stored then; what a submission creates now is not the point here.
        let submission = Submission {
            row: row.clone(),
            events: vec![],
            jobs: vec![],
            register_check: None,
            journey: None,
            tallies: vec![],
            person: None,
        };
        let ero: EroId = backend.insert_application(&submission).await.unwrap().ero_id;
        let app = store.for_ero(ero).application(&row.reference).await.unwrap().expect("stored");
        assert_eq!(app.kind, ApplicationKind::Ordinary);
        assert_eq!(app.details.kind(), ApplicationKind::Ordinary);
        let KindDetails::Ordinary(o) = &app.details.part else { panic!("an ordinary part") };
        assert_eq!(o.postal_vote, PostalVote::InPerson, "the demo's applications vote in person");
        assert!(!app.details.name.surname.as_str().is_empty());
        assert!(matches!(app.language, Language::En | Language::Cy));
    }
}
