//! "Am I registered?" through HTTP: a registered elector (from an uploaded
//! register, or an application the ERO approved) gets a yes at their address,
//! anyone else a no with how to register, in English and Welsh; both take the
//! same time at least; a pending application is not a yes and is never
//! revealed; bad input gets a clear error and keeps what was typed; look-ups
//! are limited per client.

mod support;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use ier_domain::{Determination, EroId};
use ier_storage::persons::Person;
use support::{Client, Walk};

const PATH: &str = "/am-i-registered";

fn form<'a>(
    given: &'a str,
    surname: &'a str,
    dob: (&'a str, &'a str, &'a str),
    house: &'a str,
    postcode: &'a str,
) -> Vec<(&'a str, &'a str)> {
    vec![
        ("given-name", given),
        ("surname", surname),
        ("dob-day", dob.0),
        ("dob-month", dob.1),
        ("dob-year", dob.2),
        ("house", house),
        ("postcode", postcode),
    ]
}

async fn with_register(c: &Client) {
    let cardiff = c.store.for_ero(EroId::parse("cardiff").unwrap());
    let elector = Person {
        given: "William",
        surname: "Pritchard",
        date_of_birth: Some("1961-07-04"),
        postcode: "CF10 1EP",
        line1: "Flat 2",
        line2: "14 Heol y Frenhines",
        uprn: None,
        nino: None,
    };
    cardiff.put_electors(chrono::Utc::now(), &[("C-1".to_owned(), elector)]).await.unwrap();
}

#[tokio::test]
async fn a_registered_elector_is_found_at_their_address_and_no_one_else() {
    let mut c = Client::new().await;
    with_register(&c).await;
    let page = c.get(PATH).await;
    assert_eq!(page.status, StatusCode::OK);
    assert!(page.body.contains("Check if you are registered to vote"));

    // As they would type it: a familiar name, other case, the flat and house together.
    let started = Instant::now();
    let yes = c.post(PATH, &form("bill", "PRITCHARD", ("4", "7", "1961"), "Flat 2, 14", "cf10 1ep")).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    assert_eq!(yes.status, StatusCode::OK);
    assert!(yes.body.contains("You appear to be registered to vote at this address"), "{}", yes.body);
    assert!(yes.body.contains("Cardiff"), "the council to contact");
    assert!(!yes.body.contains("William") && !yes.body.contains("Heol y Frenhines"), "nothing they did not type");

    // The wrong birthday, another house, another person: the same no, no sooner.
    for (given, dob, house) in [
        ("Bill", ("5", "7", "1961"), "Flat 2, 14"),
        ("Bill", ("4", "7", "1961"), "16"),
        ("Ann", ("4", "7", "1961"), "Flat 2, 14"),
    ] {
        let started = Instant::now();
        let no = c.post(PATH, &form(given, "Pritchard", dob, house, "CF10 1EP")).await;
        assert!(started.elapsed() >= Duration::from_millis(300));
        assert_eq!(no.status, StatusCode::OK);
        assert!(no.body.contains("We cannot find you on the register at this address"), "{}", no.body);
        assert!(no.body.contains("Register to vote now") && no.body.contains("register-to-vote\""), "register now");
        assert!(no.body.contains("Very recent changes may not show here yet"));
    }

    // In Welsh.
    c.get(&format!("{PATH}?lang=cy")).await;
    let cy = c.post(PATH, &form("Bill", "Pritchard", ("4", "7", "1961"), "Flat 2, 14", "CF10 1EP")).await;
    assert!(
        cy.body.contains("Mae’n ymddangos eich bod wedi cofrestru i bleidleisio yn y cyfeiriad hwn"),
        "{}",
        cy.body
    );
    assert!(cy.body.contains("lang=\"cy\""));
}

#[tokio::test]
async fn an_application_counts_once_the_ero_approves_it_and_is_never_revealed_before() {
    let mut c = Client::new().await;
    let walk = Walk::named("ordinary-quick");
    let walked = walk.walk(&mut c, "en").await;
    let ero = EroId::parse("cardiff").unwrap();
    let app = c.store.for_ero(ero.clone()).application(&walked.reference).await.unwrap().unwrap();
    let house = app.details.address.lines[0].clone();
    let typed = form("Amelia", "Clarke", ("2", "9", "1990"), &house, "CF10 1EP");
    let pending = c.post(PATH, &typed).await;
    assert!(
        pending.body.contains("We cannot find you"),
        "a pending application is not a registration: {}",
        pending.body
    );
    assert!(!pending.body.contains(walked.reference.as_str()) && !pending.body.contains("You applied"));

    let store = c.store.for_ero(ero);
    store.confirm_receipts(chrono::Utc::now(), &[(walked.reference, true, None)]).await.unwrap();
    store.determine(&walked.reference, chrono::Utc::now(), Determination::Approved, &[]).await.unwrap();
    let yes = c.post(PATH, &typed).await;
    assert!(yes.body.contains("You appear to be registered"), "{}", yes.body);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_keeps_what_was_typed() {
    let mut c = Client::new().await;
    let page = c.post(PATH, &form("", "Pritchard", ("31", "2", "1961"), "", "BT1 1AA")).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    for error in [
        "Enter your first name",
        "Date of birth must be a real date",
        "Enter your house name or number",
        "Enter a postcode in England, Scotland or Wales",
    ] {
        assert!(page.body.contains(error), "{error}: {}", page.body);
    }
    assert!(page.body.contains("value=\"Pritchard\"") && page.body.contains("value=\"BT1 1AA\""), "kept");
    let long = "a".repeat(200);
    let page = c.post(PATH, &form("Bill", "Pritchard", ("4", "7", "1961"), &long, "nope")).await;
    assert!(page.body.contains("must be 100 characters or fewer") && page.body.contains("Enter a real postcode"));
}

#[tokio::test]
async fn look_ups_are_limited_per_client() {
    let mut c = Client::new().await;
    let typed = form("Bill", "Pritchard", ("4", "7", "1961"), "14", "CF10 1EP");
    let mut limited = false;
    for _ in 0..40 {
        if c.post(PATH, &typed).await.status == StatusCode::TOO_MANY_REQUESTS {
            limited = true;
            break;
        }
    }
    assert!(limited, "guessing is limited");
}
