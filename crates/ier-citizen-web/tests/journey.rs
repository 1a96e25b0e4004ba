//! The ordinary journey through the public router, as a browser walks it:
//! cookies carried, CSRF tokens posted back, errors shown with values kept.

mod support;

use axum::http::StatusCode;
use support::Client;

/// Start a journey and return the first step's CSRF token.
async fn begin(c: &mut Client) -> String {
    let start = c.get("/register-to-vote/start").await;
    assert_eq!(start.status, StatusCode::SEE_OTHER);
    assert_eq!(start.location(), "/register-to-vote/country-of-residence");
    let page = c.get("/register-to-vote/country-of-residence").await;
    assert_eq!(page.status, StatusCode::OK);
    page.csrf()
}

#[tokio::test]
async fn a_journey_walks_country_nationality_dob_and_name_keeping_answers() {
    let mut c = Client::new().await;
    let csrf = begin(&mut c).await;
    let r = c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "wales")]).await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/register-to-vote/nationality"));
    let r = c
        .post(
            "/register-to-vote/nationality",
            &[("csrf_token", &csrf), ("nationality", "british"), ("nationality", "other"), ("other-1", "PL")],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/date-of-birth");
    let r = c
        .post(
            "/register-to-vote/date-of-birth",
            &[("csrf_token", &csrf), ("dob-day", "02"), ("dob-month", "9"), ("dob-year", "1990")],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/name");
    let r = c
        .post(
            "/register-to-vote/name",
            &[("csrf_token", &csrf), ("given-name", " Siân "), ("middle-names", ""), ("surname", "O’Brien-Llewellyn")],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    // Going back shows every answer.
    assert!(c.get("/register-to-vote/country-of-residence").await.body.contains(r#"value="wales" checked"#));
    let nat = c.get("/register-to-vote/nationality").await.body;
    assert!(nat.contains(r#"value="british" checked"#) && nat.contains(r#"value="other" checked"#), "{nat}");
    assert!(nat.contains(r#"<option value="PL" selected>"#), "{nat}");
    let dob = c.get("/register-to-vote/date-of-birth").await.body;
    assert!(dob.contains(r#"value="2""#) && dob.contains(r#"value="9""#) && dob.contains(r#"value="1990""#));
    let name = c.get("/register-to-vote/name").await.body;
    assert!(name.contains(r#"value="Siân""#) && name.contains("value=\"O&#x27;Brien-Llewellyn\""), "{name}");
    // Nothing personal is in the cookie in the clear.
    let cookie = c.cookies.get("ier-session").unwrap();
    assert!(!cookie.contains("Llewellyn") && !cookie.contains("1990"));
}

#[tokio::test]
async fn a_post_without_the_csrf_token_is_refused_and_nothing_is_lost() {
    let mut c = Client::new().await;
    let csrf = begin(&mut c).await;
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "scotland")]).await;
    let r = c.post("/register-to-vote/country-of-residence", &[("country", "england")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(r.body.contains("Your answer could not be saved"));
    let r = c.post("/register-to-vote/country-of-residence", &[("csrf_token", "forged"), ("country", "england")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN);
    assert!(
        c.get("/register-to-vote/country-of-residence").await.body.contains(r#"value="scotland" checked"#),
        "earlier answer kept"
    );
}

#[tokio::test]
async fn without_a_session_steps_start_a_new_journey() {
    let mut c = Client::new().await;
    let r = c.get("/register-to-vote/name").await;
    assert_eq!((r.status, r.location()), (StatusCode::SEE_OTHER, "/register-to-vote/start"));
    let r = c.post("/register-to-vote/name", &[("given-name", "A")]).await;
    assert_eq!(r.location(), "/register-to-vote/start");
    // A forged cookie is no session at all.
    c.cookies.insert("ier-session".into(), "s.AAAA".into());
    assert_eq!(c.get("/register-to-vote/name").await.location(), "/register-to-vote/start");
}

#[tokio::test]
async fn every_step_shows_specific_errors_and_keeps_what_was_typed() {
    let mut c = Client::new().await;
    let csrf = begin(&mut c).await;
    let r = c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains(r##"<a href="#country">Select where you live</a>"##), "{}", r.body);
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "england")]).await;

    let r = c.post("/register-to-vote/nationality", &[("csrf_token", &csrf)]).await;
    assert!(r.body.contains("Select your nationality or nationalities, or explain why you cannot provide it"));
    let r = c
        .post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "other"), ("other-1", "XX")])
        .await;
    assert!(r.body.contains("Enter a country from the list"), "{}", r.body);
    let r = c
        .post(
            "/register-to-vote/nationality",
            &[("csrf_token", &csrf), ("nationality", "other"), ("other-1", "FR"), ("other-2", "FR")],
        )
        .await;
    assert!(r.body.contains("You have entered the same country twice"));
    assert!(r.body.contains(r#"<option value="FR" selected>"#), "kept");
    c.post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "irish")]).await;

    for ((d, m, y), msg) in [
        (("", "", ""), "Enter your date of birth, including a day, month and year"),
        (("aa", "1", "1990"), "Date of birth must be a real date, with the day, month and year as numbers"),
        (("31", "2", "1990"), "Date of birth must be a real date"),
        (("1", "1", "2999"), "Date of birth must be in the past"),
        (("1", "1", "1850"), "Date of birth must be after"),
    ] {
        let r = c
            .post(
                "/register-to-vote/date-of-birth",
                &[("csrf_token", &csrf), ("dob-day", d), ("dob-month", m), ("dob-year", y)],
            )
            .await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST);
        assert!(r.body.contains(msg), "{msg}: {}", r.body);
        assert!(r.body.contains(&format!(r#"name="dob-year" type="text" value="{y}""#)) || y.is_empty(), "year kept");
    }
    c.post(
        "/register-to-vote/date-of-birth",
        &[("csrf_token", &csrf), ("dob-day", "1"), ("dob-month", "1"), ("dob-year", "1980")],
    )
    .await;

    let long = "a".repeat(36);
    let r = c
        .post(
            "/register-to-vote/name",
            &[("csrf_token", &csrf), ("given-name", ""), ("middle-names", "<script>"), ("surname", &long)],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Enter your first name"));
    assert!(r.body.contains("Middle names must start with a letter"), "{}", r.body);
    assert!(r.body.contains("Last name must be 35 characters or fewer"));
    assert!(
        r.body.contains(r#"value="&lt;script&gt;""#) && r.body.contains(&format!(r#"value="{long}""#)),
        "everything kept, escaped"
    );
    assert!(r.body.contains("<title>Error: What is your name?"));
}

#[tokio::test]
async fn northern_ireland_and_abroad_leave_the_journey() {
    let mut c = Client::new().await;
    let csrf = begin(&mut c).await;
    let r = c
        .post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "northern-ireland")])
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Electoral Office for Northern Ireland"));
    assert!(!c.cookies.contains_key("ier-session"), "an exit ends the journey");
    // Abroad: on with the overseas journey, keeping the session.
    let mut c = Client::new().await;
    let csrf = begin(&mut c).await;
    let r = c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "abroad")]).await;
    assert_eq!(r.location(), "/register-to-vote/overseas/date-of-birth");
    let page = c.get("/register-to-vote/overseas/date-of-birth").await;
    assert!(
        page.body.contains(r#"href="/register-to-vote/country-of-residence""#.replace('/', "&#x2f;").as_str()),
        "Back goes to where they said they live"
    );
}

/// Rule register-age-scotland-14 and register-age-england-16: the too-young
/// exit comes from the rules data, by nation.
#[tokio::test]
async fn too_young_depends_on_the_nation() {
    let today = chrono::Utc::now().date_naive();
    let fifteen = today - chrono::Duration::days(15 * 366);
    let (d, m, y) =
        (fifteen.format("%d").to_string(), fifteen.format("%m").to_string(), fifteen.format("%Y").to_string());
    for (country, allowed) in [("scotland", true), ("wales", true), ("england", false)] {
        let mut c = Client::new().await;
        let csrf = begin(&mut c).await;
        c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", country)]).await;
        c.post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "british")]).await;
        let r = c
            .post(
                "/register-to-vote/date-of-birth",
                &[("csrf_token", &csrf), ("dob-day", &d), ("dob-month", &m), ("dob-year", &y)],
            )
            .await;
        if allowed {
            assert_eq!(r.location(), "/register-to-vote/name", "{country}");
        } else {
            assert!(r.body.contains("You are too young to register to vote"), "{country}");
            assert!(r.body.contains("from the age of 16"), "{country}");
        }
    }
}

/// Rule nationality-local-england-2024 (and UK Parliament): a US citizen in
/// England has no franchise; in Scotland they may (subject to leave to remain).
#[tokio::test]
async fn no_franchise_exit_depends_on_nationality_and_nation() {
    for (country, exits) in [("england", true), ("scotland", false)] {
        let mut c = Client::new().await;
        let csrf = begin(&mut c).await;
        c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", country)]).await;
        let r = c
            .post(
                "/register-to-vote/nationality",
                &[("csrf_token", &csrf), ("nationality", "other"), ("other-1", "US")],
            )
            .await;
        assert_eq!(r.body.contains("You cannot register to vote with this nationality"), exits, "{country}");
    }
}

#[tokio::test]
async fn the_journey_in_welsh() {
    let mut c = Client::new().await;
    c.get("/?lang=cy").await;
    let csrf = begin(&mut c).await;
    let page = c.get("/register-to-vote/country-of-residence").await.body;
    assert!(page.contains("Ble rydych chi’n byw?") && page.contains("Yr Alban"), "{page}");
    let r = c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf)]).await;
    assert!(r.body.contains("Dewiswch ble rydych chi’n byw"));
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "wales")]).await;
    let nat = c.get("/register-to-vote/nationality").await.body;
    assert!(nat.contains("Gwlad Pwyl"), "Welsh country names");
    let r = c.post("/register-to-vote/name", &[("csrf_token", &csrf), ("given-name", ""), ("surname", "x1")]).await;
    assert!(r.body.contains("Rhowch eich enw cyntaf") && r.body.contains("Dim ond llythrennau"), "{}", r.body);
}

#[tokio::test]
async fn an_idle_journey_times_out_after_20_minutes() {
    use ier_citizen_web::journey::Answers;
    use ier_citizen_web::session::{IDLE_TIMEOUT_SECS, SessionCodec};
    let mut c = Client::new().await;
    let codec = SessionCodec::new(ier_storage::DataKeys::parse(&c.session_key).unwrap(), false);
    let then = chrono::Utc::now().timestamp() - IDLE_TIMEOUT_SECS - 5;
    let old = codec.seal(&codec.start(Answers::default(), then)).unwrap();
    c.cookies.insert("ier-session".into(), old);
    let r = c.get("/register-to-vote/nationality").await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("Your application has timed out"), "{}", r.body);
    assert!(r.body.contains(r#"register-to-vote&#x2f;start">Start again</a>"#), "offers a fresh start: {}", r.body);
    assert!(!c.cookies.contains_key("ier-session"), "the stale state is deleted");
}

/// Walk the first steps with valid answers, as someone living in `country`.
async fn up_to_nino(c: &mut Client, country: &str, dob: (&str, &str, &str)) -> String {
    let csrf = begin(c).await;
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", country)]).await;
    c.post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "british")]).await;
    let r = c
        .post(
            "/register-to-vote/date-of-birth",
            &[("csrf_token", &csrf), ("dob-day", dob.0), ("dob-month", dob.1), ("dob-year", dob.2)],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/name");
    let r = c
        .post("/register-to-vote/name", &[("csrf_token", &csrf), ("given-name", "Amelia"), ("surname", "Clarke")])
        .await;
    assert_eq!(r.location(), "/register-to-vote/previous-name");
    let r = c.post("/register-to-vote/previous-name", &[("csrf_token", &csrf), ("answer", "no")]).await;
    assert_eq!(r.location(), "/register-to-vote/nino");
    csrf
}

#[tokio::test]
async fn nino_is_checked_or_a_reason_given() {
    let mut c = Client::new().await;
    let csrf = up_to_nino(&mut c, "england", ("14", "3", "1988")).await;
    for (typed, msg) in [
        ("", "Enter your National Insurance number, or tell us why you cannot"),
        ("QQ 12 34 56 C", "QQ 12 34 56 C is the example: enter your own National Insurance number"),
        ("QQ999999A", "Check the first 2 letters of your National Insurance number"),
        ("AB12345", "in the correct format"),
        ("AB123456E", "must be A, B, C or D"),
    ] {
        let r = c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", typed), ("nino-reason", "")]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{typed}");
        assert!(r.body.contains(msg), "{typed}: {msg}");
        assert!(!r.body.contains("like QQ"), "no error recommends the example, which is not a valid number");
        assert!(
            r.body.contains(&format!(r#"name="nino" type="text" spellcheck="false" value="{typed}""#)),
            "kept: {typed}"
        );
    }
    let r = c
        .post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "jg 10 37 59 a"), ("nino-reason", "")])
        .await;
    assert_eq!(r.location(), "/register-to-vote/address");
    assert!(c.get("/register-to-vote/nino").await.body.contains(r#"value="JG 10 37 59 A""#), "normalised");
    // No NINO: a reason instead.
    let r = c
        .post(
            "/register-to-vote/nino",
            &[("csrf_token", &csrf), ("nino", ""), ("nino-reason", "I have never worked in the UK")],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/address");
    // A number and a reason: neither is dropped; the applicant is asked to choose.
    let r = c
        .post(
            "/register-to-vote/nino",
            &[("csrf_token", &csrf), ("nino", "JG103759A"), ("nino-reason", "Lost my card")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Enter your National Insurance number or tell us why you cannot, not both"));
    assert!(r.body.contains(r#"value="JG103759A""#) && r.body.contains("Lost my card"), "both kept");
}

#[tokio::test]
async fn address_by_postcode_then_pick_from_the_gazetteer() {
    let mut c = Client::new().await;
    let csrf = up_to_nino(&mut c, "wales", ("14", "3", "1988")).await;
    c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "JG103759A")]).await;
    for (typed, msg) in [
        ("", "Enter a postcode"),
        ("not a postcode", "Enter a real postcode"),
        ("GY1 1AA", "Enter a postcode in England, Scotland or Wales"),
        ("YY9 9YY", "We could not find which council covers this postcode"),
    ] {
        let r = c.post("/register-to-vote/address", &[("csrf_token", &csrf), ("postcode", typed)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{typed}");
        assert!(r.body.contains(msg), "{typed}: {}", r.body);
        assert!(r.body.contains("Enter your address manually"));
    }
    // Northern Ireland: EONI's page, with a way back to put a mistyped postcode right.
    let r = c.post("/register-to-vote/address", &[("csrf_token", &csrf), ("postcode", "BT1 1AA")]).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("BT1 1AA is in Northern Ireland") && r.body.contains("https:&#x2f;&#x2f;www.eoni.org.uk"));
    assert!(r.body.contains("Change postcode") && c.cookies.contains_key("ier-session"), "the journey is kept");
    let r = c.post("/register-to-vote/address", &[("csrf_token", &csrf), ("postcode", "cf10 1ep")]).await;
    assert_eq!(r.location(), "/register-to-vote/address/select");
    let page = c.get("/register-to-vote/address/select").await.body;
    assert!(page.contains("Addresses at CF10 1EP"), "{page}");
    let first_uprn =
        page.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    // Nothing chosen, or an address from another postcode: refused.
    let r = c.post("/register-to-vote/address/select", &[("csrf_token", &csrf)]).await;
    assert!(r.body.contains("Select your address"));
    let r = c.post("/register-to-vote/address/select", &[("csrf_token", &csrf), ("uprn", "900000000001")]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST, "a UPRN at another postcode is not accepted");
    let r = c.post("/register-to-vote/address/select", &[("csrf_token", &csrf), ("uprn", &first_uprn)]).await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = c.get("/register-to-vote/address/select").await.body;
    assert!(page.contains(&format!(r#"value="{first_uprn}" checked"#)), "the choice is kept");
}

#[tokio::test]
async fn with_javascript_the_address_picker_comes_in_place_and_errors_stay_whole_pages() {
    let mut c = Client::new().await;
    let csrf = up_to_nino(&mut c, "wales", ("14", "3", "1988")).await;
    c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "JG103759A")]).await;
    let page = c.get("/register-to-vote/address").await.body;
    assert!(page.contains("data-ier-address-lookup") && page.contains(r#"<div id="address-results"></div>"#));
    let in_place = [("x-ier-fragment", "address-select")];
    // An error is the whole page, as without JavaScript (the script then submits normally).
    let r = c.post_with("/register-to-vote/address", &[("csrf_token", &csrf), ("postcode", "nope")], &in_place).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("<html") && r.body.contains("govuk-error-summary"));
    // Found: only the picker, posting to the select step with the same CSRF token.
    let r =
        c.post_with("/register-to-vote/address", &[("csrf_token", &csrf), ("postcode", "CF10 1EP")], &in_place).await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(!r.body.contains("<html") && !r.body.contains("<h1"), "a fragment, not a page: {}", r.body);
    assert!(r.body.contains(r#"id="address-results-form""#) && r.body.contains("Addresses at CF10 1EP"));
    assert!(r.body.replace("&#x2f;", "/").contains(r#"action="/register-to-vote/address/select""#));
    assert!(r.body.contains(&format!(r#"name="csrf_token" value="{csrf}""#)));
    assert!(r.body.contains("Enter your address manually") || r.body.contains("My address is not listed"));
    let uprn =
        r.body.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let r = c.post("/register-to-vote/address/select", &[("csrf_token", &csrf), ("uprn", &uprn)]).await;
    assert_eq!(r.location(), "/register-to-vote/other-address");
    // In Welsh too.
    let r = c
        .post_with("/register-to-vote/address?lang=cy", &[("csrf_token", &csrf), ("postcode", "CF10 1EP")], &in_place)
        .await;
    assert!(r.body.contains("CF10 1EP") && !r.body.contains("Addresses at"), "{}", r.body);
}

#[tokio::test]
async fn address_by_hand_with_errors_kept() {
    let mut c = Client::new().await;
    let csrf = up_to_nino(&mut c, "scotland", ("14", "3", "1988")).await;
    c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "JG103759A")]).await;
    let long = "x".repeat(101);
    let r = c
        .post(
            "/register-to-vote/address/manual",
            &[
                ("csrf_token", &csrf),
                ("address-line-1", ""),
                ("address-line-2", &long),
                ("address-town", ""),
                ("postcode", "EH1"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    for msg in [
        "Enter address line 1",
        "Address line 2 must be 100 characters or fewer",
        "Enter town or city",
        "Enter a real postcode",
    ] {
        assert!(r.body.contains(msg), "{msg}: {}", r.body);
    }
    assert!(r.body.contains(&format!(r#"value="{long}""#)), "kept");
    let r = c
        .post(
            "/register-to-vote/address/manual",
            &[
                ("csrf_token", &csrf),
                ("address-line-1", "  12   Royal Mile "),
                ("address-line-2", ""),
                ("address-town", "Edinburgh"),
                ("postcode", "eh1 1yz"),
            ],
        )
        .await;
    assert_eq!(r.status, StatusCode::SEE_OTHER);
    let page = c.get("/register-to-vote/address/manual").await.body;
    assert!(page.contains(r#"value="12 Royal Mile""#) && page.contains(r#"value="EH1 1YZ""#), "{page}");
}

/// Rule register-age-england-16 applies by the address's nation: someone of 15
/// who said Scotland but whose address is in England is too young.
#[tokio::test]
async fn the_address_decides_the_nation_for_the_age_rules() {
    let today = chrono::Utc::now().date_naive();
    let fifteen = today - chrono::Duration::days(15 * 366);
    let dob = (fifteen.format("%d").to_string(), fifteen.format("%m").to_string(), fifteen.format("%Y").to_string());
    let mut c = Client::new().await;
    let csrf = up_to_nino(&mut c, "scotland", (&dob.0, &dob.1, &dob.2)).await;
    c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "JG103759A")]).await;
    c.post("/register-to-vote/address", &[("csrf_token", &csrf), ("postcode", "SW1A 2AA")]).await;
    let page = c.get("/register-to-vote/address/select").await.body;
    let uprn = page.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let r = c.post("/register-to-vote/address/select", &[("csrf_token", &csrf), ("uprn", &uprn)]).await;
    assert!(r.body.contains("You are too young to register to vote"), "{}", r.body);
    assert!(r.body.contains("from the age of 16"));
}

#[tokio::test]
async fn the_whole_journey_submits_a_stored_routed_application_with_a_change_from_the_summary() {
    let mut c = Client::new().await;
    let csrf = up_to_nino(&mut c, "wales", ("2", "9", "1990")).await;
    c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "SN425918B")]).await;
    c.post("/register-to-vote/address", &[("csrf_token", &csrf), ("postcode", "CF10 1EP")]).await;
    let page = c.get("/register-to-vote/address/select").await.body;
    let uprn = page.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let r = c.post("/register-to-vote/address/select", &[("csrf_token", &csrf), ("uprn", &uprn)]).await;
    assert_eq!(r.location(), "/register-to-vote/other-address");
    let r = c.post("/register-to-vote/other-address", &[("csrf_token", &csrf)]).await;
    assert!(r.body.contains("Select whether you also live at another address"));
    let r = c.post("/register-to-vote/other-address", &[("csrf_token", &csrf), ("answer", "student")]).await;
    assert_eq!(r.location(), "/register-to-vote/moved");
    let r = c.post("/register-to-vote/moved", &[("csrf_token", &csrf), ("answer", "from-uk")]).await;
    assert_eq!(r.location(), "/register-to-vote/previous-address");
    // The previous address gets the same look-up and checks as the current one.
    for (typed, msg) in
        [("LS1", "Enter a real postcode"), ("YY9 9YY", "We could not find which council covers this postcode")]
    {
        let r = c.post("/register-to-vote/previous-address", &[("csrf_token", &csrf), ("postcode", typed)]).await;
        assert_eq!(r.status, StatusCode::BAD_REQUEST, "{typed}");
        assert!(r.body.contains(msg) && r.body.contains(&format!(r#"value="{typed}""#)), "{typed}: {}", r.body);
    }
    let r = c.post("/register-to-vote/previous-address", &[("csrf_token", &csrf), ("postcode", "LS1 5HD")]).await;
    assert_eq!(r.location(), "/register-to-vote/previous-address/select");
    let page = c.get("/register-to-vote/previous-address/select").await.body;
    assert!(page.contains("Select your previous address") && page.contains("LS1 5HD"), "{page}");
    let previous_uprn =
        page.split(r#"name="uprn" type="radio" value=""#).nth(1).unwrap().split('"').next().unwrap().to_owned();
    let r =
        c.post("/register-to-vote/previous-address/select", &[("csrf_token", &csrf), ("uprn", &previous_uprn)]).await;
    assert_eq!(r.location(), "/register-to-vote/open-register");
    let r = c.post("/register-to-vote/open-register", &[("csrf_token", &csrf)]).await;
    assert!(r.body.contains("Select yes if you want to be in the open register"));
    let r = c.post("/register-to-vote/open-register", &[("csrf_token", &csrf), ("answer", "no")]).await;
    assert_eq!(r.location(), "/register-to-vote/postal-vote");
    let r = c.post("/register-to-vote/postal-vote", &[("csrf_token", &csrf)]).await;
    assert!(r.body.contains("Select whether you want to apply for a postal vote"));
    let r = c
        .post(
            "/register-to-vote/postal-vote",
            &[("csrf_token", &csrf), ("answer", "form-by-email"), ("postal-vote-email", "amelia@")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Enter an email address in the correct format"));
    assert!(r.body.contains(r#"value="amelia@""#) && r.body.contains(r#"value="form-by-email" checked"#), "kept");
    let r = c
        .post(
            "/register-to-vote/postal-vote",
            &[("csrf_token", &csrf), ("answer", "form-by-email"), ("postal-vote-email", "amelia@example.com")],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/contact");
    let r = c
        .post("/register-to-vote/contact", &[("csrf_token", &csrf), ("contact", "email"), ("email", "not-an-email")])
        .await;
    assert!(r.body.contains("Enter an email address in the correct format"));
    assert!(r.body.contains(r#"value="not-an-email""#), "kept");
    let r = c.post("/register-to-vote/contact", &[("csrf_token", &csrf)]).await;
    assert!(r.body.contains("Select how we can contact you"));
    let r = c
        .post(
            "/register-to-vote/contact",
            &[("csrf_token", &csrf), ("contact", "email"), ("email", "amelia@example.com"), ("contact", "post")],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/check-answers");

    // Check your answers: every answer, each with a Change link.
    let check = c.get("/register-to-vote/check-answers").await.body;
    for text in [
        "Amelia Clarke",
        "2 September 1990",
        "SN 42 59 18 B",
        "CF10 1EP",
        "amelia@example.com, Post",
        "Yes, application form by email to amelia@example.com",
        "Wales",
        "British",
    ] {
        assert!(check.contains(text), "{text}: {check}");
    }
    assert_eq!(check.matches(">Change<").count(), 13, "a Change link on every answer");
    // Change the name: back to the summary, not through every step again.
    let r = c
        .post(
            "/register-to-vote/name",
            &[("csrf_token", &csrf), ("given-name", "Amelia"), ("middle-names", "Rose"), ("surname", "Clarke")],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/check-answers");
    assert!(c.get("/register-to-vote/check-answers").await.body.contains("Amelia Rose Clarke"));

    let r = c
        .post(
            "/register-to-vote/previous-name",
            &[("csrf_token", &csrf), ("answer", "yes"), ("previous-given", "Amelia"), ("previous-surname", "")],
        )
        .await;
    assert!(r.body.contains("Enter your previous last name"));
    let r = c
        .post(
            "/register-to-vote/previous-name",
            &[("csrf_token", &csrf), ("answer", "yes"), ("previous-given", "Amelia"), ("previous-surname", "Smith")],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/check-answers");
    // The declaration is required.
    let r = c.post("/register-to-vote/check-answers", &[("csrf_token", &csrf)]).await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Confirm the declaration to send your application"));
    let r = c.post("/register-to-vote/check-answers", &[("csrf_token", "stale"), ("declaration", "agreed")]).await;
    assert_eq!(r.status, StatusCode::FORBIDDEN, "no submission without the CSRF token");
    let r = c.post("/register-to-vote/check-answers", &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
    assert_eq!(r.location(), "/register-to-vote/complete");

    let done = c.get("/register-to-vote/complete").await;
    assert!(done.body.contains("Application complete"));
    assert!(done.body.contains("Electoral Registration Officer at Cardiff Council"), "{}", done.body);
    assert!(done.body.contains("We will email you at amelia@example.com with a link to apply for a postal vote."));
    assert!(
        done.body.contains("www.gov.uk&#x2f;contact-electoral-registration-office"),
        "no contact details yet: the GOV.UK finder"
    );
    let grouped = done.body.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned();
    let reference = ier_domain::ReferenceNumber::parse(&grouped).expect("a reference number is shown");
    // Reloading the page, or switching it to Cymraeg, shows the same reference.
    assert!(c.get("/register-to-vote/complete").await.body.contains(&grouped), "a reload keeps the reference");
    let welsh = c.get("/register-to-vote/complete?lang=cy").await.body;
    assert!(welsh.contains(&grouped) && welsh.contains("Cais wedi’i gwblhau"), "so does Cymraeg");
    c.get("/?lang=en").await;

    // The application is in the store, routed to Cardiff's ERO, with its verification requested.
    let cardiff = c.store.for_ero(ier_domain::EroId::parse("cardiff").unwrap());
    let app = cardiff.application(&reference).await.unwrap().expect("stored before the reference was shown");
    assert_eq!(app.gss_code.as_str(), "W06000015");
    assert_eq!(app.details.name.to_owned().middle.unwrap().as_str(), "Rose");
    let ordinary = app.details.ordinary().expect("an ordinary application");
    assert_eq!(ordinary.postal_vote, ier_domain::PostalVote::FormByEmail("amelia@example.com".into()));
    assert!(!app.details.open_register && !ordinary.was_overseas_voter);
    assert_eq!(app.details.previous_name.as_ref().unwrap().surname.as_str(), "Smith");
    assert_eq!(app.details.address.uprn.unwrap().to_string(), uprn);
    assert_eq!(ordinary.other_address, ier_domain::OtherAddress::Student);
    let previous = app.details.previous_address.as_ref().unwrap();
    assert_eq!((previous.postcode.to_string(), previous.uprn.unwrap().to_string()), ("LS1 5HD".into(), previous_uprn));
    let events = cardiff.events(&reference).await.unwrap();
    assert_eq!(events.iter().map(|e| e.kind.name()).collect::<Vec<_>>(), vec!["submitted", "verification-requested"]);
    // Sending again after submitting shows the complete page; nothing is submitted twice.
    let again = c.post("/register-to-vote/check-answers", &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
    assert_eq!(again.status, StatusCode::FORBIDDEN, "the old form's token went with its journey");
    assert!(again.body.contains("Continue your application"));
    assert_eq!(c.store.counts().await.unwrap().pending_verifications, 1);
}

#[tokio::test]
async fn the_application_records_welsh_when_made_in_welsh() {
    let mut c = Client::new().await;
    c.get("/?lang=cy").await;
    let csrf = up_to_nino(&mut c, "wales", ("2", "9", "1990")).await;
    c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "SN425918B")]).await;
    c.post(
        "/register-to-vote/address/manual",
        &[
            ("csrf_token", &csrf),
            ("address-line-1", "1 Heol y Bont"),
            ("address-town", "Caerdydd"),
            ("postcode", "CF10 1EP"),
        ],
    )
    .await;
    c.post("/register-to-vote/other-address", &[("csrf_token", &csrf), ("answer", "none")]).await;
    let moved = c.get("/register-to-vote/moved").await.body;
    assert!(moved.contains("Ydych chi wedi symud i’r cyfeiriad hwn"), "{moved}");
    c.post("/register-to-vote/moved", &[("csrf_token", &csrf), ("answer", "from-abroad")]).await;
    c.post("/register-to-vote/overseas-voter", &[("csrf_token", &csrf), ("answer", "no")]).await;
    c.post("/register-to-vote/open-register", &[("csrf_token", &csrf), ("answer", "yes")]).await;
    c.post("/register-to-vote/postal-vote", &[("csrf_token", &csrf), ("answer", "in-person")]).await;
    c.post("/register-to-vote/contact", &[("csrf_token", &csrf), ("contact", "post")]).await;
    let check = c.get("/register-to-vote/check-answers").await.body;
    assert!(check.contains("Gwiriwch eich atebion") && check.contains("Newid"), "{check}");
    c.post("/register-to-vote/check-answers", &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
    let done = c.get("/register-to-vote/complete").await.body;
    assert!(done.contains("Cais wedi’i gwblhau") && done.contains("Cyngor Caerdydd"), "{done}");
    let grouped = done.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned();
    let reference = ier_domain::ReferenceNumber::parse(&grouped).unwrap();
    let app =
        c.store.for_ero(ier_domain::EroId::parse("cardiff").unwrap()).application(&reference).await.unwrap().unwrap();
    assert_eq!(app.language, ier_domain::Language::Cy);
    assert_eq!(app.details.address.uprn, None, "entered by hand");
}

#[tokio::test]
async fn without_a_date_of_birth_a_reason_and_an_age_range_are_needed() {
    let mut c = Client::new().await;
    let csrf = begin(&mut c).await;
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "england")]).await;
    c.post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "british")]).await;
    let page = c.get("/register-to-vote/date-of-birth").await.body;
    assert!(page.contains("I cannot give my date of birth") && page.contains(r#"value="16-to-17""#));
    assert!(!page.contains(r#"value="14-to-15""#), "14-year-olds cannot register in England");
    // A reason without an age range, then an age range without a reason: each error named, values kept.
    let r = c
        .post("/register-to-vote/date-of-birth", &[("csrf_token", &csrf), ("dob-reason", "I was adopted <b>x</b>")])
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Select how old you are") && r.body.contains("I was adopted &lt;b&gt;x&lt;&#x2f;b&gt;"));
    assert!(r.body.contains("<details id=\"dob-cannot\" class=\"govuk-details\" open>"), "kept open");
    let r = c.post("/register-to-vote/date-of-birth", &[("csrf_token", &csrf), ("dob-range", "over-75")]).await;
    assert!(r.body.contains("Enter why you cannot give your date of birth"));
    assert!(r.body.contains(r#"value="over-75" checked"#));
    let long = "x".repeat(501);
    let r = c
        .post(
            "/register-to-vote/date-of-birth",
            &[("csrf_token", &csrf), ("dob-reason", &long), ("dob-range", "18-to-75")],
        )
        .await;
    assert!(r.body.contains("The reason must be 500 characters or fewer"));
    // Nothing at all: the date is asked for.
    let r = c.post("/register-to-vote/date-of-birth", &[("csrf_token", &csrf)]).await;
    assert!(r.body.contains("Enter your date of birth, including a day, month and year"));
    let r = c
        .post(
            "/register-to-vote/date-of-birth",
            &[("csrf_token", &csrf), ("dob-reason", "No birth certificate"), ("dob-range", "18-to-75")],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/name");
    let page = c.get("/register-to-vote/date-of-birth").await.body;
    assert!(page.contains("No birth certificate") && page.contains(r#"value="18-to-75" checked"#));
}

#[tokio::test]
async fn an_age_range_below_the_register_age_is_too_young() {
    let mut c = Client::new().await;
    let csrf = begin(&mut c).await;
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "scotland")]).await;
    c.post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "british")]).await;
    assert!(c.get("/register-to-vote/date-of-birth").await.body.contains(r#"value="14-to-15""#), "offered in Scotland");
    // Scotland lets 14-year-olds register...
    let r = c
        .post(
            "/register-to-vote/date-of-birth",
            &[("csrf_token", &csrf), ("dob-reason", "Lost papers"), ("dob-range", "14-to-15")],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/name");
    // ... England does not: the same answer where the register age is 16 is an exit.
    let mut c = Client::new().await;
    let csrf = begin(&mut c).await;
    c.post("/register-to-vote/country-of-residence", &[("csrf_token", &csrf), ("country", "england")]).await;
    c.post("/register-to-vote/nationality", &[("csrf_token", &csrf), ("nationality", "british")]).await;
    let r = c
        .post(
            "/register-to-vote/date-of-birth",
            &[("csrf_token", &csrf), ("dob-reason", "Lost papers"), ("dob-range", "14-to-15")],
        )
        .await;
    assert_eq!(r.status, StatusCode::OK);
    assert!(r.body.contains("You are too young to register to vote") && r.body.contains("from the age of 16"));
}

#[tokio::test]
async fn moving_from_abroad_as_an_overseas_voter_asks_for_the_uk_address_registered_at() {
    let mut c = Client::new().await;
    let csrf = up_to_nino(&mut c, "england", ("2", "9", "1990")).await;
    c.post("/register-to-vote/nino", &[("csrf_token", &csrf), ("nino", "SN425918B")]).await;
    c.post(
        "/register-to-vote/address/manual",
        &[
            ("csrf_token", &csrf),
            ("address-line-1", "1 High Street"),
            ("address-town", "London"),
            ("postcode", "SW1A 1AA"),
        ],
    )
    .await;
    c.post("/register-to-vote/other-address", &[("csrf_token", &csrf), ("answer", "none")]).await;
    let r = c.post("/register-to-vote/moved", &[("csrf_token", &csrf), ("answer", "from-abroad")]).await;
    assert_eq!(r.location(), "/register-to-vote/overseas-voter", "were you registered as an overseas voter?");
    let r = c.post("/register-to-vote/overseas-voter", &[("csrf_token", &csrf)]).await;
    assert!(r.body.contains("Select yes if you were registered as an overseas voter"));
    let r = c.post("/register-to-vote/overseas-voter", &[("csrf_token", &csrf), ("answer", "yes")]).await;
    assert_eq!(r.location(), "/register-to-vote/previous-address");
    let page = c.get("/register-to-vote/previous-address").await.body;
    assert!(page.contains("What UK address were you registered at as an overseas voter?"), "{page}");
    // Typed by hand, with the same checks as the current address.
    let r = c
        .post(
            "/register-to-vote/previous-address/manual",
            &[("csrf_token", &csrf), ("address-line-1", ""), ("address-town", "Leeds"), ("postcode", "LS1")],
        )
        .await;
    assert_eq!(r.status, StatusCode::BAD_REQUEST);
    assert!(r.body.contains("Enter address line 1") && r.body.contains("Enter a real postcode"));
    assert!(r.body.contains(r#"value="Leeds""#), "kept");
    let r = c
        .post(
            "/register-to-vote/previous-address/manual",
            &[
                ("csrf_token", &csrf),
                ("address-line-1", "4 Park Row"),
                ("address-town", "Leeds"),
                ("postcode", "ls15hd"),
            ],
        )
        .await;
    assert_eq!(r.location(), "/register-to-vote/open-register");
    c.post("/register-to-vote/open-register", &[("csrf_token", &csrf), ("answer", "no")]).await;
    c.post("/register-to-vote/postal-vote", &[("csrf_token", &csrf), ("answer", "form-by-post")]).await;
    c.post("/register-to-vote/contact", &[("csrf_token", &csrf), ("contact", "post")]).await;
    let check = c.get("/register-to-vote/check-answers").await.body;
    assert!(
        check.contains("UK address registered at as an overseas voter") && check.contains("4 Park Row, Leeds, LS1 5HD"),
        "{check}"
    );
    c.post("/register-to-vote/check-answers", &[("csrf_token", &csrf), ("declaration", "agreed")]).await;
    let done = c.get("/register-to-vote/complete").await.body;
    assert!(done.contains("We will post you a letter telling you how to apply for a postal vote."), "{done}");
    let grouped = done.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned();
    let reference = ier_domain::ReferenceNumber::parse(&grouped).unwrap();
    let app = c
        .store
        .for_ero(ier_domain::EroId::parse("westminster").unwrap())
        .application(&reference)
        .await
        .unwrap()
        .unwrap();
    let ordinary = app.details.ordinary().unwrap();
    assert!(ordinary.was_overseas_voter);
    assert_eq!(ordinary.postal_vote, ier_domain::PostalVote::FormByPost);
    assert_eq!(app.details.previous_address.as_ref().unwrap().postcode.to_string(), "LS1 5HD");
}

/// One journey stores one application: a cookie saved on "Check your
/// answers" and sent again, and many clicks of "Send application" at once
/// (no JavaScript to stop them), all show the first application's reference.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_journey_stores_one_application_however_often_it_is_sent() {
    let mut c = Client::new().await;
    let walk = support::Walk::named("ordinary");
    let store = c.store.clone();
    let stored = || {
        let store = store.clone();
        async move { store.counts().await.unwrap().by_stage.iter().map(|(_, n)| n).sum::<u64>() }
    };
    let reference_of = |page: &support::Page| {
        assert_eq!(page.status, StatusCode::OK);
        page.body.split("<strong>").nth(1).unwrap().split("</strong>").next().unwrap().to_owned()
    };
    let send =
        |csrf: &str| [("csrf_token".to_owned(), csrf.to_owned()), ("declaration".to_owned(), "agreed".to_owned())];

    walk.to_check_answers(&mut c, "en").await;
    let csrf = c.get("/register-to-vote/check-answers").await.csrf();
    let form = send(&csrf);
    let form: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
    let saved = c.replay();

    // Two clicks at once, then the saved cookie replayed three times.
    let mut second = c.replay();
    let (first, other) = tokio::join!(
        c.post("/register-to-vote/check-answers", &form),
        second.post("/register-to-vote/check-answers", &form)
    );
    assert_eq!((first.location(), other.location()), ("/register-to-vote/complete", "/register-to-vote/complete"));
    let reference = reference_of(&c.get("/register-to-vote/complete").await);
    let shown = reference_of(&second.after(&other).get("/register-to-vote/complete").await);
    assert_eq!(shown, reference, "the second click shows the same reference");
    for _ in 0..3 {
        let r = saved.clone().post("/register-to-vote/check-answers", &form).await;
        assert_eq!(r.location(), "/register-to-vote/complete");
        let shown = reference_of(&saved.after(&r).get("/register-to-vote/complete").await);
        assert_eq!(shown, reference, "a replay shows the same reference");
    }
    assert_eq!(stored().await, 1, "one journey, one application");

    // Sixteen clicks at once on another journey.
    c.cookies.clear();
    walk.to_check_answers(&mut c, "cy").await;
    let csrf = c.get("/register-to-vote/check-answers").await.csrf();
    let mut tasks = Vec::new();
    for _ in 0..16 {
        let mut click = c.replay();
        let csrf = csrf.clone();
        tasks.push(tokio::spawn(async move {
            let r = click
                .post("/register-to-vote/check-answers", &[("csrf_token", csrf.as_str()), ("declaration", "agreed")])
                .await;
            (click.after(&r), r)
        }));
    }
    let mut references = std::collections::BTreeSet::new();
    for task in tasks {
        let (mut then, r) = task.await.unwrap();
        assert_eq!(r.location(), "/register-to-vote/complete", "every click is answered with the complete page");
        references.insert(reference_of(&then.get("/register-to-vote/complete").await));
    }
    assert_eq!(references.len(), 1, "sixteen clicks, one reference: {references:?}");
    assert_eq!(stored().await, 2);
}

/// Someone who has applied already is told so on "Check your answers",
/// before sending, in their language, and may still send; someone else is
/// told nothing, and nothing they did not type is ever shown.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_repeat_applicant_is_told_before_sending() {
    let mut c = Client::new().await;
    let check_of = |w: &support::Walked| w.pages.iter().find(|(n, _)| n == "check-answers").unwrap().1.body.clone();
    let walk = support::Walk::named("ordinary-quick");
    let first = walk.walk(&mut c, "en").await;
    assert!(!check_of(&first).contains("id=\"repeat\""), "nothing to say the first time");

    // The same person again, in Welsh: told, and may still send.
    c.cookies.clear();
    let again = walk.walk(&mut c, "cy").await;
    let check = check_of(&again);
    let today = ier_domain::dates::long_date(ier_citizen_web::journey::today(), ier_domain::Language::Cy);
    assert!(check.contains(&format!("Gwnaethoch gais i gofrestru ar {today}")), "{check}");
    assert!(check.contains("gallwch anfon y cais hwn o hyd"));
    assert_ne!(again.reference, first.reference, "sending anyway stores the application");
    assert!(!check.contains(first.reference.as_str()), "the earlier reference is for the ERO, not shown");

    // Someone else at the same address is told nothing.
    c.cookies.clear();
    let other = walk.clone().with_persona("given", "Marija").with_persona("nino", "AB123456C");
    let other = other.walk(&mut c, "en").await;
    assert!(!check_of(&other).contains("id=\"repeat\""), "another person is not a repeat");
}
