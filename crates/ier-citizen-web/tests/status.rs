//! "Check your application" through HTTP: the reference and the date of
//! birth show where an application is, in English and Welsh, and nothing else
//! about the applicant; a wrong reference and a wrong date of birth get the
//! same answer, no sooner than the others; guesses are limited per reference
//! and per client; bad input gets a clear error and keeps what was typed.

mod support;

use std::time::{Duration, Instant};

use axum::http::StatusCode;
use chrono::{Datelike, Utc};
use ier_domain::{Determination, EroId, EventKind, ReasonCode, ReferenceNumber, VerificationOutcome};
use ier_storage::{JobEffects, Queue};
use support::{Client, Walk};

const PATH: &str = "/register-to-vote/status";

/// Walk the ordinary journey; the reference, the ERO and the date of birth given.
async fn applied(c: &mut Client) -> (ReferenceNumber, EroId, (String, String, String)) {
    let walk = Walk::named("ordinary");
    let walked = walk.walk(c, "en").await;
    let ero = EroId::parse(walk.ero().unwrap()).unwrap();
    let app = c.store.for_ero(ero.clone()).application(&walked.reference).await.unwrap().unwrap();
    let ier_domain::BirthDetails::Date(dob) = app.details.birth else { panic!("the walk gives a date of birth") };
    let d = dob.date();
    (walked.reference, ero, (d.day().to_string(), d.month().to_string(), d.year().to_string()))
}

fn fields<'a>(reference: &'a str, dob: &'a (String, String, String)) -> Vec<(&'a str, &'a str)> {
    vec![("reference", reference), ("dob-day", &dob.0), ("dob-month", &dob.1), ("dob-year", &dob.2)]
}

#[tokio::test]
async fn the_form_is_there_in_both_languages() {
    let mut c = Client::new().await;
    let en = c.get(PATH).await;
    assert_eq!(en.status, StatusCode::OK);
    assert!(en.body.contains("Check your application") && en.body.contains(r#"name="reference""#), "{}", en.body);
    let cy = c.get(&format!("{PATH}?lang=cy")).await;
    assert!(cy.body.contains("Gwirio eich cais") && cy.body.contains(r#"lang="cy""#));
}

#[tokio::test]
async fn the_right_reference_and_date_of_birth_show_the_progress_and_nothing_personal() {
    let mut c = Client::new().await;
    let (reference, ero, dob) = applied(&mut c).await;
    // Typed as shown, with its space, in lower case.
    let typed = reference.grouped().to_lowercase();
    let started = Instant::now();
    let page = c.post(PATH, &fields(&typed, &dob)).await;
    assert!(started.elapsed() >= Duration::from_millis(300), "no answer comes sooner than the floor");
    assert_eq!(page.status, StatusCode::OK, "{}", page.body);
    assert!(page.body.contains(&reference.grouped()));
    assert!(page.body.contains("Application received") && page.body.contains("We are checking your identity"));
    assert!(page.body.contains("has not decided yet"));
    let app = c.store.for_ero(ero.clone()).application(&reference).await.unwrap().unwrap();
    for personal in
        [app.details.name.surname.as_str(), app.details.name.given.as_str(), &app.details.address.postcode.to_string()]
    {
        assert!(!page.body.contains(personal), "{personal} shown");
    }

    // Identity not confirmed, with the council, then not registered, with reasons.
    let worker = c.store.worker(Queue::Verify, "test");
    let job = worker.claim(Utc::now(), Duration::from_secs(60), 10).await.unwrap().remove(0);
    let explanation = vec!["Surname: different".to_owned()];
    let effects = JobEffects {
        event: Some(EventKind::Verified { outcome: VerificationOutcome::NoMatch, explanation }),
        jobs: vec![],
        ..Default::default()
    };
    assert!(worker.complete(&job, Utc::now(), None, &effects).await.unwrap());
    let council = c.store.for_ero(ero.clone());
    council.confirm_receipts(Utc::now(), &[(reference, true, None)]).await.unwrap();
    let reasons = vec![
        ReasonCode::parse("identity-not-confirmed").unwrap(),
        ReasonCode::parse("fraudulent-application").unwrap(),
    ];
    council.determine(&reference, Utc::now(), Determination::Rejected, &reasons).await.unwrap();
    let page = c.post(PATH, &fields(reference.as_str(), &dob)).await;
    assert!(page.body.contains("We could not confirm your identity"), "{}", page.body);
    assert!(!page.body.contains("Surname: different"), "DWP's detail is never shown");
    assert!(page.body.contains("has had your application since"));
    assert!(page.body.contains("decided not to add you"));
    assert!(page.body.contains("We could not confirm who you are."));
    assert!(
        page.body.contains("Contact your Electoral Registration Officer to find out why."),
        "an unknown reason is shown as other"
    );
    assert!(!page.body.contains("fraudulent"));
    let cy = c.post(&format!("{PATH}?lang=cy"), &fields(reference.as_str(), &dob)).await;
    assert!(cy.body.contains("Nid oeddem yn gallu cadarnhau pwy ydych chi."), "{}", cy.body);
    assert!(cy.body.contains("penderfynodd y Swyddog Cofrestru Etholiadol beidio"));
}

#[tokio::test]
async fn a_wrong_reference_and_a_wrong_date_of_birth_get_the_same_answer() {
    let mut c = Client::new().await;
    let (reference, _, dob) = applied(&mut c).await;
    let wrong_dob = (dob.0.clone(), dob.1.clone(), (dob.2.parse::<i32>().unwrap() - 1).to_string());
    let started = Instant::now();
    let a = c.post(PATH, &fields(reference.as_str(), &wrong_dob)).await;
    assert!(started.elapsed() >= Duration::from_millis(300));
    let other = ReferenceNumber::generate(&mut rand::rng());
    let started = Instant::now();
    let b = c.post(PATH, &fields(other.as_str(), &dob)).await;
    assert!(started.elapsed() >= Duration::from_millis(300), "an unknown reference is not answered faster");
    assert_eq!((a.status, b.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    let not_found = "We could not find an application with that reference number and date of birth";
    assert!(a.body.contains(not_found) && b.body.contains(not_found));
    let strip = |body: &str, r: &str, y: &str| body.replace(r, "REF").replace(&format!(r#"value="{y}""#), "YEAR");
    assert_eq!(
        strip(&a.body, reference.as_str(), &wrong_dob.2),
        strip(&b.body, other.as_str(), &dob.2),
        "the same page"
    );
}

/// A registration given a first day by the ERO says so, in the applicant's language.
#[tokio::test]
async fn a_registration_from_a_day_says_the_day() {
    let mut c = Client::new().await;
    let (reference, ero, dob) = applied(&mut c).await;
    let council = c.store.for_ero(ero.clone());
    council.confirm_receipts(Utc::now(), &[(reference, true, None)]).await.unwrap();
    let from = Utc::now().date_naive() + chrono::Days::new(40);
    council.determine_from(&reference, Utc::now(), Determination::Approved, &[], Some(from), None).await.unwrap();
    let page = c.post(PATH, &fields(reference.as_str(), &dob)).await;
    let day = ier_domain::dates::long_date(from, ier_domain::Language::En);
    assert!(page.body.contains(&format!("to add you to the electoral register from {day}")), "{}", page.body);
}

/// Once the retention rules have deleted an application's details, there is
/// nothing to check a date of birth against: the answer is the same as for a
/// wrong one, and the page says (in both languages) how long details are kept.
#[tokio::test]
async fn an_erased_application_gets_the_same_answer_and_the_page_says_how_long_details_are_kept() {
    let mut c = Client::new().await;
    let (reference, ero, dob) = applied(&mut c).await;
    let council = c.store.for_ero(ero.clone());
    council.confirm_receipts(Utc::now(), &[(reference, true, None)]).await.unwrap();
    council.determine(&reference, Utc::now(), Determination::Approved, &[]).await.unwrap();
    let later = Utc::now() + chrono::Duration::days(29);
    for queue in Queue::ALL {
        let worker = c.store.worker(queue, "test");
        for job in worker.claim(later, Duration::from_secs(60), 100).await.unwrap() {
            assert!(worker.complete(&job, later, None, &JobEffects::default()).await.unwrap());
        }
    }
    let report = c.store.run_retention(ier_domain::retention::Retention::current(), later, 100, false).await.unwrap();
    assert_eq!(report.applications_total(), 1);
    let erased = c.post(PATH, &fields(reference.as_str(), &dob)).await;
    let other = ReferenceNumber::generate(&mut rand::rng());
    let unknown = c.post(PATH, &fields(other.as_str(), &dob)).await;
    assert_eq!((erased.status, unknown.status), (StatusCode::NOT_FOUND, StatusCode::NOT_FOUND));
    assert_eq!(erased.body.replace(reference.as_str(), "REF"), unknown.body.replace(other.as_str(), "REF"));
    assert!(erased.body.contains("We delete the details of an application 28 days after"), "{}", erased.body);
    let cy = c.get(&format!("{PATH}?lang=cy")).await;
    assert!(cy.body.contains("Rydym yn dileu manylion cais 28 diwrnod ar ôl"), "{}", cy.body);
}

#[tokio::test]
async fn bad_input_gets_a_clear_error_and_keeps_what_was_typed() {
    let mut c = Client::new().await;
    let empty = c.post(PATH, &[]).await;
    assert_eq!(empty.status, StatusCode::BAD_REQUEST);
    assert!(empty.body.contains("Enter your reference number") && empty.body.contains("Enter your date of birth"));
    let long = "Z".repeat(5000);
    for (reference, day, month, year, expect) in [
        ("BCD23", "1", "1", "1990", "10 letters and numbers"),
        (long.as_str(), "1", "1", "1990", "10 letters and numbers"),
        ("BCD23 FGH45", "31", "2", "1990", "Date of birth must be a real date"),
        ("BCD23 FGH45", "1", "1", "2999", "must be in the past"),
        ("BCD23 FGH45", "one", "1", "1990", "as numbers"),
        ("BCD23 FGH45", &long, &long, &long, "as numbers"),
    ] {
        let page =
            c.post(PATH, &[("reference", reference), ("dob-day", day), ("dob-month", month), ("dob-year", year)]).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{reference:.20} {day:.10}");
        assert!(page.body.contains(expect), "{expect}: {}", page.body);
        assert!(page.body.contains("govuk-error-summary"));
        if reference.len() < 20 {
            assert!(page.body.contains(&format!(r#"value="{reference}""#)), "what was typed is kept");
        }
    }
    let cy = c.post(&format!("{PATH}?lang=cy"), &[]).await;
    assert!(cy.body.contains("Rhowch eich cyfeirnod"));
}

#[tokio::test]
async fn guesses_at_one_reference_are_limited_whoever_makes_them() {
    let c = Client::new().await;
    let target = ReferenceNumber::generate(&mut rand::rng());
    let mut tasks = Vec::new();
    for i in 0..12 {
        let mut client = c.clone_app();
        let reference = target.as_str().to_owned();
        tasks.push(tokio::spawn(async move {
            let day = (i + 1).to_string();
            client
                .post(PATH, &[("reference", &reference), ("dob-day", &day), ("dob-month", "1"), ("dob-year", "1990")])
                .await
        }));
    }
    let mut statuses = Vec::new();
    for t in tasks {
        statuses.push(t.await.unwrap().status);
    }
    let limited = statuses.iter().filter(|s| **s == StatusCode::TOO_MANY_REQUESTS).count();
    assert_eq!(limited, 2, "ten guesses at one reference, then no more for a while: {statuses:?}");
    let mut client = c.clone_app();
    let other = ReferenceNumber::generate(&mut rand::rng());
    let page = client
        .post(PATH, &[("reference", other.as_str()), ("dob-day", "1"), ("dob-month", "1"), ("dob-year", "1990")])
        .await;
    assert_eq!(page.status, StatusCode::NOT_FOUND, "another reference is not held up");
}

#[tokio::test]
async fn guesses_from_one_client_are_limited() {
    let c = Client::new().await;
    let mut tasks = Vec::new();
    for _ in 0..35 {
        let mut client = c.clone_app();
        tasks.push(tokio::spawn(async move {
            let r = ReferenceNumber::generate(&mut rand::rng());
            client
                .post(PATH, &[("reference", r.as_str()), ("dob-day", "1"), ("dob-month", "1"), ("dob-year", "1990")])
                .await
        }));
    }
    let mut limited = 0;
    for t in tasks {
        let page = t.await.unwrap();
        if page.status == StatusCode::TOO_MANY_REQUESTS {
            assert!(page.headers.contains_key("retry-after"));
            limited += 1;
        }
    }
    assert_eq!(limited, 5, "30 lookups at once from one client, then one every 20 seconds");
}

#[tokio::test]
async fn the_complete_page_offers_the_status_check() {
    let mut c = Client::new().await;
    let walked = Walk::named("ordinary").walk(&mut c, "en").await;
    let complete = &walked.pages.last().unwrap().1;
    assert!(complete.body.contains(r#"&#x2f;status">Check your application</a>"#), "{}", complete.body);
}
