//! The person index's bulk load (a whole register at once, before the service
//! opens) stores what an EMS's pages would: every elector is found by what a
//! person types, under its ERO, and pages uploaded afterwards replace them by number.

use std::sync::Arc;

use ier_domain::EroId;
use ier_storage::persons::{Person, Source};
use ier_storage::{Backend, DataKeys, Store};
use ier_storage_sqlite::SqliteBackend;

fn person<'a>(given: &'a str, house: &'a str) -> Person<'a> {
    Person {
        given,
        surname: "Rees",
        date_of_birth: Some("1971-05-06"),
        postcode: "CF10 1EP",
        line1: house,
        line2: "",
        uprn: None,
        nino: None,
    }
}

#[tokio::test]
async fn a_bulk_load_is_found_as_pages_are() {
    let dir = tempfile::tempdir().unwrap();
    let backend = Arc::new(SqliteBackend::open(&dir.path().join("t.db")).await.unwrap());
    let reference = ier_reference::ReferenceData::embedded();
    backend.put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.unwrap();
    let keys = DataKeys::parse(&DataKeys::generate("k1")).unwrap();
    let cardiff = EroId::parse("cardiff").unwrap();
    let houses: Vec<String> = (1..=300).map(|n| format!("{n} Heol y Bont")).collect();
    let electors: Vec<(EroId, String, Vec<i64>)> = houses
        .iter()
        .enumerate()
        .map(|(i, h)| (cardiff.clone(), format!("B{i}"), keys.person_entry(&person("Gareth", h)).digests))
        .collect();
    let digests = backend.bulk_load_electors(keys.current_id(), chrono::Utc::now(), electors).await.unwrap();
    assert!(digests >= 300);
    let store = Store::new(backend.clone(), keys);
    assert_eq!(store.for_ero(cardiff.clone()).elector_count().await.unwrap(), 300);
    let found = store.citizen().find_person(&person("GARETH", "17, Heol-y-Bont")).await.unwrap();
    assert_eq!(found.len(), 1);
    assert_eq!((found[0].found.source, found[0].found.subject.as_str()), (Source::Elector, "B16"));
    // A page afterwards replaces by number: B16 moves.
    let moved = [("B16".to_owned(), person("Gareth", "999 Heol y Bont"))];
    store.for_ero(cardiff).put_electors(chrono::Utc::now(), &moved).await.unwrap();
    assert!(store.citizen().find_person(&person("Gareth", "17 Heol y Bont")).await.unwrap().is_empty());
    assert_eq!(store.citizen().find_person(&person("Gareth", "999 Heol y Bont")).await.unwrap().len(), 1);
}
