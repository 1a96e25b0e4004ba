//! Every journey through the public router, as a browser walks it: each
//! kind of applicant's application reaches the store with its kind's part, in
//! English and Welsh; Back links; changes from the summary; the longest
//! application of every journey; and the defects found by trying the service.

mod support;

use axum::http::{StatusCode, header};
use ier_domain::{ApplicationKind, EroId, KindDetails, WayToVote};
use support::{Client, Walk};

fn ero(id: &str) -> EroId {
    EroId::parse(id).unwrap()
}

/// The application a walk stored, found through its ERO as the EMS would read it.
async fn stored(c: &Client, reference: &ier_domain::ReferenceNumber) -> ier_domain::Application {
    let reference_data = ier_reference::ReferenceData::embedded();
    for e in reference_data.eros() {
        if let Some(app) = c.store.for_ero(e.id.clone()).application(reference).await.unwrap() {
            return app;
        }
    }
    panic!("{reference} is not stored")
}

#[tokio::test]
async fn every_journey_in_english_and_welsh_stores_an_application_of_its_kind() {
    for walk in Walk::all() {
        for lang in ["en", "cy"] {
            let mut c = Client::new().await;
            let walked = walk.walk(&mut c, lang).await;
            let app = stored(&c, &walked.reference).await;
            assert_eq!(app.kind.as_str(), walk.kind(), "{} in {lang}", walk.name);
            assert_eq!(app.details.kind(), app.kind);
            assert_eq!(app.language.as_str(), lang);
            if let Some(e) = walk.ero() {
                assert_eq!(app.ero_id, ero(e), "{}", walk.name);
            }
            // Every page of the journey has a Back link, and no page is in the wrong language.
            for (name, page) in &walked.pages {
                if name != "complete" {
                    assert!(page.body.contains("govuk-back-link"), "{} {name}: a Back link", walk.name);
                }
                assert!(page.body.contains(&format!(r#"<html lang="{lang}""#)), "{} {name}", walk.name);
                assert!(
                    !page.body.contains("error-") || name.ends_with("-error"),
                    "{} {name}: a message key",
                    walk.name
                );
            }
            let complete = &walked.pages.last().unwrap().1.body;
            match &app.details.part {
                KindDetails::Overseas(o) => {
                    assert_eq!(o.citizenship.as_ref().map(|_| ()), Some(()));
                    assert!(matches!(o.way_to_vote, WayToVote::ByProxy(_)));
                    assert_eq!(o.address_abroad.country.as_str(), "FR");
                    assert!(complete.contains(if lang == "en" { "1 November" } else { "1 Tachwedd" }), "{complete}");
                }
                KindDetails::Forces(f) => {
                    assert_eq!(f.service.regiment.as_ref().unwrap().as_str(), "Royal Welsh");
                    assert!(matches!(f.correspondence, ier_domain::Correspondence::Bfpo { number: 38, .. }));
                }
                KindDetails::Crown(cr) => {
                    assert_eq!(cr.statement.kind(), app.kind);
                }
                KindDetails::Ordinary(o) => {
                    assert!(o.postal_vote.wanted() || walk.name == "ordinary-quick");
                }
            }
        }
    }
}

/// Walk a journey's first steps (as `walk` does) up to, not including, step `upto`.
async fn walk_to(c: &mut Client, walk: &Walk, upto: &str) -> String {
    let pages = walk.pages();
    let n = pages.iter().position(|p| p == upto).expect("a step of the walk");

    walk.to_check_answers_until(c, "en", n).await
}

#[tokio::test]
async fn back_goes_to_the_previous_step_that_applies() {
    let walk = Walk::named("ordinary");
    let mut c = Client::new().await;
    let csrf = walk_to(&mut c, &walk, "open-register").await;
    let page = c.get("/register-to-vote/open-register").await.body;
    let back = |body: &str| {
        let i = body.find("govuk-back-link").unwrap();

        body[..i].rsplit("href=\"").next().unwrap().split('"').next().unwrap().replace("&#x2f;", "/")
    };
    assert_eq!(back(&page), "/register-to-vote/previous-address", "moved from the UK: the previous address");
    // Not moved: the previous address step no longer applies, and Back skips it.
    c.post("/register-to-vote/moved", &[("csrf_token", &csrf), ("answer", "no")]).await;
    let page = c.get("/register-to-vote/open-register").await.body;
    assert_eq!(back(&page), "/register-to-vote/moved");
    // The first step goes back to the start page; a sub-page to its own step.
    assert_eq!(back(&c.get("/register-to-vote/country-of-residence").await.body), "/");
    assert_eq!(back(&c.get("/register-to-vote/address/manual").await.body), "/register-to-vote/address");
}

#[tokio::test]
async fn a_change_asks_what_it_makes_apply_and_drops_what_no_longer_applies() {
    let walk = Walk::named("ordinary");
    let mut c = Client::new().await;
    walk.to_check_answers(&mut c, "en").await;
    let check = c.get("/register-to-vote/check-answers").await;
    let csrf = check.csrf();
    assert!(check.body.contains("LS1 5HD"), "the previous address is shown");
    // While reviewing, Back goes to the summary.
    assert!(
        c.get("/register-to-vote/moved").await.body.contains("check-answers\" class=\"govuk-back-link\"")
            || c.get("/register-to-vote/moved")
                .await
                .body
                .replace("&#x2f;", "/")
                .contains(r#"href="/register-to-vote/check-answers" class="govuk-back-link""#)
    );
    // Moved from abroad instead: a new question applies, and is asked before the summary.
    let r = c.post("/register-to-vote/moved", &[("csrf_token", &csrf), ("answer", "from-abroad")]).await;
    assert_eq!(r.location(), "/register-to-vote/overseas-voter");
    // Not registered as an overseas voter: the previous address no longer applies, and is gone.
    let r = c.post("/register-to-vote/overseas-voter", &[("csrf_token", &csrf), ("answer", "no")]).await;
    assert_eq!(r.location(), "/register-to-vote/check-answers");
    let check = c.get("/register-to-vote/check-answers").await.body;
    assert!(!check.contains("LS1 5HD"), "an answer to a step that no longer applies is never shown: {check}");
    // A change that makes nothing new apply returns straight to the summary.
    let r =
        c.post("/register-to-vote/name", &[("csrf_token", &csrf), ("given-name", "Siân"), ("surname", "Morgan")]).await;
    assert_eq!(r.location(), "/register-to-vote/check-answers");
    // And the application sent holds no previous address.
    c.post("/register-to-vote/check-answers", &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
    let done = c.get("/register-to-vote/complete").await.body;
    let grouped = done.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned();
    let app = stored(&c, &ier_domain::ReferenceNumber::parse(&grouped).unwrap()).await;
    assert_eq!(app.details.previous_address, None);
    assert_eq!(app.details.name.surname.as_str(), "Morgan");
}

/// A date of birth that makes someone `years` old today.
fn aged(years: i64) -> (String, String, String) {
    let d = chrono::Utc::now().date_naive() - chrono::Duration::days(years * 366);
    (d.format("%d").to_string(), d.format("%m").to_string(), d.format("%Y").to_string())
}

/// Rules publication-scotland-16 and publication-wales-16: a 14- or 15-year-old
/// is never asked about the open register, and the EMS never gets `true`.
#[tokio::test]
async fn young_people_in_scotland_and_wales_are_never_asked_about_the_open_register() {
    for (nation, postcode) in [("wales", "CF10 1EP"), ("scotland", "EH1 1YZ")] {
        let mut c = Client::new().await;
        let walk = Walk::named("ordinary-quick");
        let csrf = walk.to_check_answers_until(&mut c, "en", 0).await;
        let (d, m, y) = aged(15);
        for (path, form) in [
            ("country-of-residence", vec![("country", nation)]),
            ("nationality", vec![("nationality", "british")]),
            ("date-of-birth", vec![("dob-day", d.as_str()), ("dob-month", m.as_str()), ("dob-year", y.as_str())]),
            ("name", vec![("given-name", "Ffion"), ("surname", "Jones")]),
            ("previous-name", vec![("answer", "no")]),
            ("nino", vec![("nino-reason", "I am 15 and have not got one yet")]),
            ("address", vec![("postcode", postcode)]),
        ] {
            let mut f = vec![("csrf_token", csrf.as_str())];
            f.extend(form);
            let r = c.post(&format!("/register-to-vote/{path}"), &f).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
        }
        let page = c.get("/register-to-vote/address/select").await.body;
        let uprn =
            page.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
        c.post("/register-to-vote/address/select", &[("csrf_token", &csrf), ("uprn", &uprn)]).await;
        c.post("/register-to-vote/other-address", &[("csrf_token", &csrf), ("answer", "none")]).await;
        let r = c.post("/register-to-vote/moved", &[("csrf_token", &csrf), ("answer", "no")]).await;
        assert_eq!(r.location(), "/register-to-vote/postal-vote", "{nation}: the open register is not asked");
        let r = c.get("/register-to-vote/open-register").await;
        assert_eq!(r.location(), "/register-to-vote/postal-vote", "nor reachable by its address");
        let r = c.post("/register-to-vote/open-register", &[("csrf_token", &csrf), ("answer", "yes")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "a forged answer is not taken");
        c.post("/register-to-vote/postal-vote", &[("csrf_token", &csrf), ("answer", "in-person")]).await;
        c.post("/register-to-vote/contact", &[("csrf_token", &csrf), ("contact", "post")]).await;
        let check = c.get("/register-to-vote/check-answers").await.body;
        assert!(!check.contains("Open register"), "{check}");
        c.post("/register-to-vote/check-answers", &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
        let done = c.get("/register-to-vote/complete").await.body;
        let grouped = done.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned();
        let app = stored(&c, &ier_domain::ReferenceNumber::parse(&grouped).unwrap()).await;
        assert!(!app.details.open_register, "{nation}: never sent as on the open register");
    }
}

/// The address's nation decides: someone who said England but gives a Cardiff
/// address is asked about it, and Wales's rules apply.
#[tokio::test]
async fn an_address_in_another_nation_is_put_to_the_applicant() {
    let walk = Walk::named("ordinary-quick");
    let mut c = Client::new().await;
    let csrf = walk.to_check_answers_until(&mut c, "en", 0).await;
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "england")]).await;
    let (d, m, y) = aged(30);
    for (path, form) in [
        ("nationality", vec![("nationality", "british")]),
        ("date-of-birth", vec![("dob-day", d.as_str()), ("dob-month", m.as_str()), ("dob-year", y.as_str())]),
        ("name", vec![("given-name", "Ffion"), ("surname", "Jones")]),
        ("previous-name", vec![("answer", "no")]),
        ("nino", vec![("nino", "SN425918B")]),
        ("address", vec![("postcode", "CF10 1EP")]),
    ] {
        let mut f = vec![("csrf_token", csrf.as_str())];
        f.extend(form);
        c.post(&format!("/register-to-vote/{path}"), &f).await;
    }
    let page = c.get("/register-to-vote/address/select").await.body;
    let uprn = page.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let r = c.post("/register-to-vote/address/select", &[("csrf_token", &csrf), ("uprn", &uprn)]).await;
    assert_eq!(r.location(), "/register-to-vote/where-you-live");
    let page = c.get("/register-to-vote/where-you-live").await.body;
    assert!(page.contains("Your address is in a different country from the one you told us you live in"), "{page}");
    let r = c.post("/register-to-vote/where-you-live", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    // "I need to change my address": back to the address.
    let r = c.post("/register-to-vote/where-you-live", &[("csrf_token", &csrf), ("answer", "change")]).await;
    assert_eq!(r.location(), "/register-to-vote/address");
    c.post("/register-to-vote/address", &[("csrf_token", &csrf), ("postcode", "CF10 1EP")]).await;
    c.post("/register-to-vote/address/select", &[("csrf_token", &csrf), ("uprn", &uprn)]).await;
    let r = c.post("/register-to-vote/where-you-live", &[("csrf_token", &csrf), ("answer", "address")]).await;
    assert_eq!(r.location(), "/register-to-vote/other-address");
    for (path, form) in [
        ("other-address", vec![("answer", "none")]),
        ("moved", vec![("answer", "no")]),
        ("open-register", vec![("answer", "no")]),
        ("postal-vote", vec![("answer", "in-person")]),
        ("contact", vec![("contact", "post")]),
    ] {
        let mut f = vec![("csrf_token", csrf.as_str())];
        f.extend(form);
        c.post(&format!("/register-to-vote/{path}"), &f).await;
    }
    let check = c.get("/register-to-vote/check-answers").await.body;
    let where_row = check.split("Where you live").nth(1).unwrap().split("</dd>").next().unwrap().to_owned();
    assert!(where_row.contains("Wales") && !where_row.contains("England"), "{where_row}");
}

/// Whatever holds the journey state, the longest application of every journey
/// (every field at its limit, in 4-byte characters) goes through.
#[tokio::test]
async fn the_longest_application_of_every_journey_goes_through() {
    let letters = |n: usize| "𠀀".repeat(n);
    let emoji = |n: usize| "😀".repeat(n);
    let name = [("given-name", letters(35)), ("middle-names", letters(100)), ("surname", letters(35))];
    let previous = [
        ("answer", "yes".to_owned()),
        ("previous-given", letters(35)),
        ("previous-middle", letters(100)),
        ("previous-surname", letters(35)),
    ];
    let manual = |prefix: &str, postcode: &str| {
        (
            format!("{prefix}/manual"),
            vec![
                ("address-line-1", emoji(100)),
                ("address-line-2", emoji(100)),
                ("address-town", emoji(100)),
                ("postcode", postcode.to_owned()),
            ],
        )
    };
    let email = format!("{}@{}.example.com", "a".repeat(64), "b".repeat(170));
    let contact = [
        ("contact", "email".to_owned()),
        ("email", email.clone()),
        ("contact", "phone".to_owned()),
        ("phone", format!("+{}", "4".repeat(30))),
        ("contact", "post".to_owned()),
    ];
    let abroad = |p: &str| {
        let mut v = vec![(format!("{p}country"), "NZ".to_owned())];
        for i in 1..=5 {
            v.push((format!("{p}line-{i}"), emoji(100)));
        }
        v
    };
    type Steps = Vec<(String, Vec<(String, String)>)>;
    let own = |v: Vec<(&str, String)>| v.into_iter().map(|(k, val)| (k.to_owned(), val)).collect::<Vec<_>>();
    let ordinary: Steps = vec![
        ("country-of-residence".into(), own(vec![("country", "wales".into())])),
        ("nationality".into(), own(vec![("reason", emoji(500))])),
        ("date-of-birth".into(), own(vec![("dob-reason", emoji(500)), ("dob-range", "over-75".into())])),
        ("name".into(), own(name.to_vec())),
        ("previous-name".into(), own(previous.to_vec())),
        ("nino".into(), own(vec![("nino-reason", emoji(500))])),
        {
            let (p, f) = manual("address", "CF10 1EP");
            (p, own(f))
        },
        ("other-address".into(), own(vec![("answer", "student".into())])),
        ("moved".into(), own(vec![("answer", "from-uk".into())])),
        {
            let (p, f) = manual("previous-address", "LS1 5HD");
            (p, own(f))
        },
        ("open-register".into(), own(vec![("answer", "yes".into())])),
        ("postal-vote".into(), own(vec![("answer", "form-by-email".into()), ("postal-vote-email", email.clone())])),
        ("contact".into(), own(contact.to_vec())),
    ];
    let service_tail = |p: &str, with_job: bool| -> Steps {
        let mut v: Steps = vec![
            (format!("{p}/uk-address"), own(vec![("answer", "living-there".into())])),
            {
                let (x, f) = manual(&format!("{p}/address"), "CF10 1EP");
                (x, own(f))
            },
            (format!("{p}/moved"), own(vec![("answer", "yes".into())])),
            {
                let (x, f) = manual(&format!("{p}/previous-address"), "LS1 5HD");
                (x, own(f))
            },
            (format!("{p}/nationality"), own(vec![("reason", emoji(500))])),
            (format!("{p}/date-of-birth"), own(vec![("dob-reason", emoji(500)), ("dob-range", "18-to-75".into())])),
            (format!("{p}/name"), own(name.to_vec())),
            (format!("{p}/previous-name"), own(previous.to_vec())),
        ];
        if with_job {
            v.push((
                format!("{p}/job-title"),
                own(vec![("job-title", emoji(100)), ("payroll-number", emoji(30)), ("department", emoji(100))]),
            ));
        }
        v.push((format!("{p}/nino"), own(vec![("nino-reason", emoji(500))])));
        if !with_job {
            v.push((format!("{p}/service"), own(vec![("answer", "british-army".into()), ("regiment", emoji(100))])));
            v.push((format!("{p}/rank"), own(vec![("service-number", emoji(30)), ("rank", emoji(100))])));
        }
        let mut corr = vec![("answer".to_owned(), "abroad".to_owned())];
        corr.extend(abroad("abroad-"));
        v.push((format!("{p}/contact-address"), corr));
        v.push((format!("{p}/open-register"), own(vec![("answer", "yes".into())])));
        v.push((format!("{p}/ways-to-vote"), own(vec![("answer", "by-proxy".into())])));
        v.push((format!("{p}/vote-form"), own(vec![("answer", "email".into()), ("form-email", email.clone())])));
        v.push((format!("{p}/contact"), own(contact.to_vec())));
        v
    };
    let mut forces: Steps =
        vec![("forces/statement".into(), own(vec![("statement", "member".into()), ("statement", "partner".into())]))];
    forces.extend(service_tail("forces", false));
    let mut crown: Steps = vec![(
        "crown/statement".into(),
        own(vec![("statement", "crown-servant".into()), ("statement", "council-partner".into())]),
    )];
    crown.extend(service_tail("crown", true));
    let (d, m, y) = ("1".to_owned(), "1".to_owned(), "1980".to_owned());
    let mut citizen = vec![
        ("citizen-since-day".to_owned(), "1".to_owned()),
        ("citizen-since-month".into(), "1".into()),
        ("citizen-since-year".into(), "1990".into()),
        ("citizen-how".into(), emoji(500)),
        ("citizen-birthplace".into(), emoji(100)),
    ];
    citizen.sort();
    let mut overseas_previous = previous.iter().map(|(k, v)| (k.to_string(), v.clone())).collect::<Vec<_>>();
    overseas_previous.push(("name-change-reason".into(), emoji(500)));
    let overseas: Steps = vec![
        ("overseas/date-of-birth".into(), own(vec![("dob-day", d), ("dob-month", m), ("dob-year", y)])),
        ("overseas/last-registered-to-vote".into(), own(vec![("answer", "not-registered".into())])),
        ("overseas/date-left-uk".into(), own(vec![("left-month", "6".into()), ("left-year", "1990".into())])),
        (
            "overseas/parent-name".into(),
            own(vec![
                ("parent-given", letters(35)),
                ("parent-middle", letters(100)),
                ("parent-surname", letters(35)),
                ("parent-previous-given", letters(35)),
                ("parent-previous-surname", letters(35)),
            ]),
        ),
        {
            let (x, f) = manual("overseas/last-uk-address", "SA1 1DP");
            (x, own(f))
        },
        ("overseas/passport".into(), own(vec![("answer", "no-born-elsewhere".into())])),
        ("overseas/citizenship".into(), citizen),
        ("overseas/name".into(), own(name.to_vec())),
        ("overseas/previous-name".into(), overseas_previous),
        ("overseas/nino".into(), own(vec![("nino-reason", emoji(500))])),
        ("overseas/address".into(), abroad("abroad-")),
        ("overseas/open-register".into(), own(vec![("answer", "yes".into())])),
        ("overseas/ways-to-vote".into(), own(vec![("answer", "by-post".into())])),
        ("overseas/vote-form".into(), own(vec![("answer", "email".into()), ("form-email", email.clone())])),
        ("overseas/contact".into(), own(contact.to_vec())),
    ];
    for (start, prefix, steps, kind) in [
        ("start", "", ordinary, ApplicationKind::Ordinary),
        ("overseas/start", "overseas/", overseas, ApplicationKind::Overseas),
        ("forces/start", "forces/", forces, ApplicationKind::Forces),
        ("crown/start", "crown/", crown, ApplicationKind::Crown),
    ] {
        let mut c = Client::new().await;
        let r = c.get(&format!("/register-to-vote/{start}")).await;
        let csrf = c.get(r.location()).await.csrf();
        for (path, form) in &steps {
            let mut fields: Vec<(&str, &str)> = vec![("csrf_token", &csrf)];
            fields.extend(form.iter().map(|(k, v)| (k.as_str(), v.as_str())));
            let r = c.post(&format!("/register-to-vote/{path}"), &fields).await;
            assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {path}: {}", r.body);
        }
        // Far too long for a cookie: kept server-side, the cookie only naming it.
        assert!(c.cookies["ier-session"].len() < 400, "{kind}: {} byte cookie", c.cookies["ier-session"].len());
        let check_path = format!("/register-to-vote/{prefix}check-answers");
        let check = c.get(&check_path).await;
        assert_eq!(check.status, StatusCode::OK, "{kind}: {}", check.location());
        assert!(check.body.contains(&letters(35)), "{kind}");
        let r = c.post(&check_path, &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{kind}: {}", r.body);
        let done = c.get(&format!("/register-to-vote/{prefix}complete")).await.body;
        let grouped = done.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned();
        let app = stored(&c, &ier_domain::ReferenceNumber::parse(&grouped).unwrap()).await;
        assert_eq!(app.kind, kind);
        assert_eq!(app.details.name.surname.as_str(), letters(35));
        assert!(app.details.open_register);
    }
}

#[tokio::test]
async fn start_in_a_second_tab_never_empties_a_journey_in_progress() {
    let walk = Walk::named("ordinary");
    let mut c = Client::new().await;
    let csrf = walk_to(&mut c, &walk, "nino").await;
    // The second tab's Start: a choice, not an empty journey.
    let r = c.get("/register-to-vote/start").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("You have already started an application"), "{}", r.body);
    assert!(r.body.replace("&#x2f;", "/").contains(r#"href="/register-to-vote/nino""#), "continue where they were");
    // The first tab carries on, its answers all there.
    let r = c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "SN425918B")]).await;
    assert_eq!(r.location(), "/register-to-vote/address");
    assert!(c.get("/register-to-vote/name").await.body.contains("Llewellyn"));
    // Starting again is a deliberate act, with the page's token.
    let r = c.post("/register-to-vote/start", &[("csrf_token", "forged")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    let restart = c.get("/register-to-vote/start").await;
    let r = c.post("/register-to-vote/start", &[("csrf_token", &restart.csrf())]).await;
    assert_eq!(r.location(), "/register-to-vote/country-of-residence");
    assert!(!c.get("/register-to-vote/name").await.body.contains("Llewellyn"), "now empty, as chosen");
    // Another journey's start with one in progress asks too.
    let csrf = c.get("/register-to-vote/country-of-residence").await.csrf();
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "wales")]).await;
    assert!(c.get("/register-to-vote/forces/start").await.body.contains("You have already started an application"));
}

#[tokio::test]
async fn a_nationality_typed_beside_a_reason_is_never_dropped() {
    let walk = Walk::named("ordinary");
    let mut c = Client::new().await;
    let csrf = walk_to(&mut c, &walk, "nationality").await;
    let r = c
        .post(
            "/register-to-vote/nationality",
            &[("csrf_token", &csrf), ("nationality", "irish"), ("reason", "I have no documents")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Select your nationality or tell us why you cannot provide it, not both"));
    assert!(r.body.contains(r#"value="irish" checked"#) && r.body.contains("I have no documents"), "both kept");
}

#[tokio::test]
async fn journey_pages_are_not_stored_say_how_long_answers_are_kept_and_time_out_on_request() {
    let walk = Walk::named("ordinary");
    let mut c = Client::new().await;
    walk.to_check_answers(&mut c, "en").await;
    let check = c.get("/register-to-vote/check-answers").await;
    assert_eq!(check.headers.get(header::CACHE_CONTROL).unwrap(), "no-store", "it shows the NINO and date of birth");
    assert!(check.body.contains("We will delete your answers if you do not do anything for 20 minutes."));
    assert!(check.body.contains("data-ier-journey"), "the timeout warning watches this page");
    // Its dialog, in the page's language, when the script asks for it (no page carries it).
    assert!(!check.body.contains("<dialog"));
    let dialog = c.get("/register-to-vote/timeout-warning?lang=cy").await;
    assert!(dialog.body.contains("<dialog") && dialog.body.contains("Parhau â’ch cais"), "{}", dialog.body);
    c.get("/?lang=en").await;
    assert!(c.get("/register-to-vote/timeout-warning").await.body.contains("Continue with your application"));
    // The warning's "continue" keeps the journey: a fresh cookie.
    let before = c.cookies["ier-session"].clone();
    let r = c.get("/register-to-vote/keep-alive").await;
    assert_eq!(r.status, StatusCode::NO_CONTENT);
    assert!(r.headers.get(header::SET_COOKIE).is_some() && c.cookies.contains_key("ier-session"));
    let _ = before;
    // Not answering: the answers are deleted at once.
    let r = c.get("/register-to-vote/timed-out").await;
    assert!(r.body.contains("Your application has timed out"));
    assert!(!c.cookies.contains_key("ier-session"));
    assert_eq!(c.get("/register-to-vote/check-answers").await.location(), "/register-to-vote/start");
    // Pages outside journeys say nothing about it.
    assert!(!c.get("/").await.body.contains("We will delete your answers"));
}

#[tokio::test]
async fn every_kind_of_applicant_is_reachable_from_the_start_page() {
    let mut c = Client::new().await;
    let start = c.get("/").await.body.replace("&#x2f;", "/");
    for (link, first) in [
        ("/register-to-vote/start", "/register-to-vote/country-of-residence"),
        ("/register-to-vote/overseas/start", "/register-to-vote/overseas/date-of-birth"),
        ("/register-to-vote/forces/start", "/register-to-vote/forces/statement"),
        ("/register-to-vote/crown/start", "/register-to-vote/crown/statement"),
    ] {
        assert!(start.contains(&format!(r#"href="{link}""#)), "{link}");
        let mut c = Client::new().await;
        assert_eq!(c.get(link).await.location(), first);
        assert_eq!(c.get(first).await.status, StatusCode::OK, "{first}");
    }
}

/// Exits from the rules in every journey: too young (by the journey's own rule).
#[tokio::test]
async fn every_journey_has_its_age_exit_from_the_rules() {
    // Overseas: 16, whatever the nation (rule overseas-votes-for-life).
    let mut c = Client::new().await;
    let r = c.get("/register-to-vote/overseas/start").await;
    let csrf = c.get(r.location()).await.csrf();
    let (d, m, y) = aged(15);
    let r = c
        .post(
            "/register-to-vote/overseas/date-of-birth",
            &[("csrf_token", &csrf), ("dob-day", &d), ("dob-month", &m), ("dob-year", &y)],
        )
        .await;
    assert!(
        r.body.contains("You are too young to register to vote") && r.body.contains("from the age of 16"),
        "{}",
        r.body
    );
    assert!(!c.cookies.contains_key("ier-session"), "an exit ends the journey");
    // Forces, with a Welsh address: 14 may register (rule register-age-wales-14); 13 may not.
    let walk = Walk::named("forces");
    let mut c = Client::new().await;
    let csrf = walk_to(&mut c, &walk, "forces/date-of-birth").await;
    let (d, m, y) = aged(13);
    let r = c
        .post(
            "/register-to-vote/forces/date-of-birth",
            &[("csrf_token", &csrf), ("dob-day", &d), ("dob-month", &m), ("dob-year", &y)],
        )
        .await;
    assert!(r.body.contains("from the age of 14"), "{}", r.body);
}

/// Post each step in turn (each must move on), from the page `c` is on.
async fn answer(c: &mut Client, csrf: &str, steps: &[(&str, &[(&str, &str)])]) -> String {
    let mut at = String::new();
    for (path, form) in steps {
        let mut f = vec![("csrf_token", csrf)];
        f.extend_from_slice(form);
        let r = c.post(&format!("/register-to-vote/{path}"), &f).await;
        assert_eq!(r.status, StatusCode::SEE_OTHER, "{path}: {}", r.body);
        at = r.location().to_owned();
    }
    at
}

/// A renewal (last registered as an overseas elector) skips what is already
/// known: when they left and how they are British.
#[tokio::test]
async fn an_overseas_renewal_skips_what_is_already_known() {
    let mut c = Client::new().await;
    let r = c.get("/register-to-vote/overseas/start").await;
    let csrf = c.get(r.location()).await.csrf();
    let at = answer(
        &mut c,
        &csrf,
        &[
            ("overseas/date-of-birth", &[("dob-day", "3"), ("dob-month", "4"), ("dob-year", "1960")]),
            ("overseas/last-registered-to-vote", &[("answer", "overseas")]),
        ],
    )
    .await;
    assert_eq!(at, "/register-to-vote/overseas/last-uk-address", "no date left the UK");
    let page = c.get(&at).await.body;
    assert!(page.contains("What UK address were you last registered at?"), "{page}");
    c.post("/register-to-vote/overseas/last-uk-address", &[("csrf_token", &csrf), ("postcode", "SA1 1DP")]).await;
    let picker = c.get("/register-to-vote/overseas/last-uk-address/select").await.body;
    let uprn =
        picker.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let at = answer(&mut c, &csrf, &[("overseas/last-uk-address/select", &[("uprn", &uprn)])]).await;
    assert_eq!(at, "/register-to-vote/overseas/name", "no passport or citizenship questions");
    answer(
        &mut c,
        &csrf,
        &[
            ("overseas/name", &[("given-name", "Dilys"), ("surname", "Price")]),
            ("overseas/previous-name", &[("answer", "no")]),
            ("overseas/nino", &[("nino", "JG103759A")]),
            (
                "overseas/address",
                &[("abroad-country", "ES"), ("abroad-line-1", "Calle Mayor 1"), ("abroad-line-2", "Madrid")],
            ),
            ("overseas/open-register", &[("answer", "no")]),
            ("overseas/ways-to-vote", &[("answer", "in-person")]),
            ("overseas/contact", &[("contact", "post")]),
        ],
    )
    .await;
    let r =
        c.post("/register-to-vote/overseas/check-answers", &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
    assert_eq!(r.location(), "/register-to-vote/overseas/complete", "a renewal can be sent");
    let done = c.get("/register-to-vote/overseas/complete").await.body;
    let grouped = done.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned();
    let app = stored(&c, &ier_domain::ReferenceNumber::parse(&grouped).unwrap()).await;
    let KindDetails::Overseas(o) = &app.details.part else { panic!("overseas") };
    assert_eq!((o.left_uk, o.citizenship.as_ref()), (None, None));
    assert_eq!(o.last_registered, ier_domain::LastRegistration::Overseas);
}

/// Never registered, and under 18 when they left: the parent or guardian they
/// lived with, and the address they lived at with them (the previous residence condition).
#[tokio::test]
async fn someone_who_left_as_a_child_gives_their_parent_or_guardian() {
    let mut c = Client::new().await;
    let r = c.get("/register-to-vote/overseas/start").await;
    let csrf = c.get(r.location()).await.csrf();
    let at = answer(
        &mut c,
        &csrf,
        &[
            ("overseas/date-of-birth", &[("dob-day", "3"), ("dob-month", "4"), ("dob-year", "2000")]),
            ("overseas/last-registered-to-vote", &[("answer", "not-registered")]),
            ("overseas/date-left-uk", &[("left-month", "8"), ("left-year", "2010")]),
        ],
    )
    .await;
    assert_eq!(at, "/register-to-vote/overseas/parent-name");
    let r =
        c.post("/register-to-vote/overseas/parent-name", &[("csrf_token", &csrf), ("parent-surname", "Price")]).await;
    assert!(r.body.contains("Enter their first name") && r.body.contains(r#"value="Price""#), "{}", r.body);
    let at =
        answer(&mut c, &csrf, &[("overseas/parent-name", &[("parent-given", "Rhian"), ("parent-surname", "Price")])])
            .await;
    assert_eq!(at, "/register-to-vote/overseas/last-uk-address");
    assert!(c.get(&at).await.body.contains("What was the UK address where you lived with your parent or guardian?"));
    // Left before being born: refused.
    let r = c
        .post(
            "/register-to-vote/overseas/date-left-uk",
            &[("csrf_token", &csrf), ("left-month", "1"), ("left-year", "1999")],
        )
        .await;
    assert!(r.body.contains("The date you left must be after you were born"), "{}", r.body);
    // Left as an adult: no parent asked, and the answer given is dropped.
    c.post(
        "/register-to-vote/overseas/date-left-uk",
        &[("csrf_token", &csrf), ("left-month", "1"), ("left-year", "2020")],
    )
    .await;
    assert_eq!(
        c.get("/register-to-vote/overseas/parent-name").await.location(),
        "/register-to-vote/overseas/last-uk-address"
    );
    assert!(c.get("/register-to-vote/overseas/last-uk-address").await.body.contains("What was your last UK address?"));
}
