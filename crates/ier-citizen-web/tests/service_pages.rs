//! The pages every GOV.UK service must have (accessibility statement, privacy
//! notice, cookies, help and contact) and the feedback form, through the
//! router in-process: both languages, the phase banner and footer on every
//! page, the form's errors, its token, hostile `from` values, the longest
//! and too-long comments, double submission and the rate limit.

mod support;

use axum::http::StatusCode;
use support::Client;

const PAGES: [(&str, &str, &str); 5] = [
    (
        "/accessibility",
        "Accessibility statement for Register to vote",
        "Datganiad hygyrchedd ar gyfer Cofrestru i bleidleisio",
    ),
    ("/privacy", "Privacy notice", "Hysbysiad preifatrwydd"),
    ("/cookies", "Cookies", "Cwcis"),
    ("/help", "Help and contact", "Help a chysylltu"),
    ("/feedback", "Give feedback on Register to vote", "Rhoi adborth am Cofrestru i bleidleisio"),
];

/// Every footer link, in each language.
const FOOTER: [(&str, &str, &str); 7] = [
    ("/help", "Help and contact", "Help a chysylltu"),
    ("/accessibility", "Accessibility statement", "Datganiad hygyrchedd"),
    ("/cookies", "Cookies", "Cwcis"),
    ("/privacy", "Privacy", "Preifatrwydd"),
    ("/feedback", "Feedback", "Adborth"),
    ("/performance", "Service performance", "Perfformiad y gwasanaeth"),
    ("/performance/data", "Open data", "Data agored"),
];

fn form_token(body: &str) -> String {
    let marker = r#"name="form_token" value=""#;
    let start = body.find(marker).expect("a form token") + marker.len();
    body[start..].split('"').next().unwrap().to_owned()
}

/// minijinja escapes `/` in attribute values; browsers read it back.
fn href(path: &str) -> String {
    path.replace('/', "&#x2f;")
}

#[tokio::test]
async fn every_page_in_english_and_welsh_with_the_phase_banner_and_the_footer() {
    for (path, en, cy) in PAGES {
        for (lang, title) in [("en", en), ("cy", cy)] {
            let mut c = Client::new().await;
            let page = c.get(&format!("{path}?lang={lang}")).await;
            assert_eq!(page.status, StatusCode::OK, "{path} {lang}");
            assert!(page.body.contains(&format!(r#"<html lang="{lang}""#)));
            assert!(page.body.contains(&format!("<h1 class=\"govuk-heading-l\">{}</h1>", title)), "{path} {lang}");
            assert!(page.body.contains("govuk-phase-banner__content__tag\">Beta</strong>"), "{path} {lang}");
            let (link, words) = if lang == "en" {
                ("give your feedback (opens in new tab)", "This is a new service.")
            } else {
                ("rhowch eich adborth (yn agor mewn tab newydd)", "Mae hwn yn wasanaeth newydd.")
            };
            assert!(page.body.contains(link) && page.body.contains(words), "{path} {lang}");
            for (target, en, cy) in FOOTER {
                let text = if lang == "en" { en } else { cy };
                let a = format!(r#"<a class="govuk-footer__link" href="{target}?lang={lang}">{text}</a>"#);
                assert!(page.body.contains(&a), "{path} {lang}: footer link {a}");
            }
            // Nothing here sets a cookie but the language the visitor chose.
            let cookies: Vec<_> =
                page.headers.get_all("set-cookie").iter().map(|v| v.to_str().unwrap().to_owned()).collect();
            assert_eq!(cookies.len(), 1, "{path} {lang}: {cookies:?}");
            assert!(cookies[0].starts_with(&format!("lang={lang};")));
        }
    }
}

#[tokio::test]
async fn the_phase_banner_carries_the_page_it_is_on_and_nothing_else() {
    let mut c = Client::new().await;
    let page = c.get("/register-to-vote/status?lang=cy").await;
    assert!(page.body.contains(&format!(
        r#"href="{}?lang=cy&amp;from={}""#,
        href("/feedback"),
        href("/register-to-vote/status")
    )));
    // A path made to look like another site is never carried.
    for hostile in ["//evil.example", "/\\evil.example"] {
        let page = c.get(hostile).await;
        assert_eq!(page.status, StatusCode::NOT_FOUND);
        // At most a path of ours, with one slash: never another site's address.
        assert!(page.body.contains(&format!("from={}", href("/evil.example"))), "{hostile}");
        assert!(!page.body.contains("&#x2f;&#x2f;evil") && !page.body.contains("\\evil"), "{hostile}");
    }
}

#[tokio::test]
async fn the_cookies_page_lists_exactly_the_cookies_the_service_sets() {
    let mut c = Client::new().await;
    let page = c.get("/cookies").await;
    assert!(page.body.contains("<code>ier-session</code>"));
    assert!(page.body.contains("<code>lang</code>"));
    assert_eq!(page.body.matches("<th scope=\"row\"").count(), 2);
    assert!(page.body.contains("there is no cookie banner"));
    let mut c = Client::https().await;
    let page = c.get("/cookies").await;
    assert!(page.body.contains("<code>__Host-ier-session</code>"), "the name production sets");
    // A journey's first answer sets the session cookie the page names, and no other.
    let mut c = Client::new().await;
    let walk = support::Walk::named("ordinary");
    walk.steps(&mut c, "cy", 2).await;
    assert!(c.cookies.contains_key("ier-session"));
    for name in c.cookies.keys() {
        assert!(["ier-session", "lang"].contains(&name.as_str()), "an unlisted cookie: {name}");
    }
}

#[tokio::test]
async fn the_help_page_sends_registration_questions_to_the_ero_and_invents_no_phone_number() {
    let mut c = Client::new().await;
    let body = c.get("/help").await.body;
    assert!(body.contains(&href("https://www.gov.uk/contact-electoral-registration-office")));
    assert!(body.contains(&href("https://www.electoralcommission.org.uk/voting-and-elections")));
    assert!(body.contains("This service has no phone line of its own."));
    let digits = regex_free_phone(&body);
    assert!(digits.is_none(), "a phone number: {digits:?}");
}

/// A run of 10 or more digits (with spaces) in the page's text: what a phone number looks like.
fn regex_free_phone(body: &str) -> Option<String> {
    let mut run = String::new();
    for ch in body.chars() {
        if ch.is_ascii_digit() {
            run.push(ch);
        } else if ch == ' ' && !run.is_empty() {
            continue;
        } else {
            if run.len() >= 10 {
                return Some(run);
            }
            run.clear();
        }
    }
    (run.len() >= 10).then_some(run)
}

async fn feedback_rows(c: &Client) -> Vec<ier_storage::feedback::Received> {
    c.store.feedback_since(chrono::DateTime::UNIX_EPOCH).await.unwrap()
}

#[tokio::test]
async fn feedback_is_stored_without_who_sent_it_and_thanks_them() {
    let mut c = Client::new().await;
    // From a journey's page, with a journey cookie: nothing of the journey goes with it.
    c.get("/register-to-vote/start").await;
    let form = c.get("/feedback?lang=en&from=%2Fregister-to-vote%2Fdate-of-birth").await;
    assert_eq!(form.status, StatusCode::OK);
    assert_eq!(form.headers["cache-control"], "no-store");
    assert!(form.body.contains(&format!(r#"name="from" value="{}""#, href("/register-to-vote/date-of-birth"))));
    assert!(form.body.contains(r#"data-module="govuk-character-count" data-maxlength="1200""#));
    assert!(form.body.contains("You can enter up to 1200 characters"));
    let token = form_token(&form.body);
    let fields = [
        ("form_token", token.as_str()),
        ("rating", "satisfied"),
        ("comment", "Clear questions.\r\nThe address finder was quick."),
        ("from", "/register-to-vote/date-of-birth"),
    ];
    let sent = c.post("/feedback", &fields).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.location(), "/feedback/thank-you?lang=en&from=/register-to-vote/date-of-birth");
    let thanks = c.get(sent.location()).await;
    assert!(thanks.body.contains("Thank you for your feedback"));
    assert!(thanks.body.contains(&format!(r#"href="{}?lang=en""#, href("/register-to-vote/date-of-birth"))));
    // A second click, or the same form sent again: thanked, stored once.
    let again = c.post("/feedback", &fields).await;
    assert_eq!(again.status, StatusCode::SEE_OTHER);
    let rows = feedback_rows(&c).await;
    assert_eq!(rows.len(), 1);
    assert_eq!(rows[0].rating, ier_storage::feedback::Satisfaction::Satisfied);
    assert_eq!(rows[0].comment, "Clear questions.\nThe address finder was quick.");
    assert_eq!(rows[0].page.as_deref(), Some("/register-to-vote/date-of-birth"));
    assert_eq!(rows[0].received_at.timestamp() % 3600, 0, "the hour only");
}

#[tokio::test]
async fn feedback_works_without_any_cookie() {
    let c = Client::new().await;
    let mut fresh = c.clone_app();
    let form = fresh.get("/feedback").await;
    let token = form_token(&form.body);
    let sent =
        fresh.post("/feedback", &[("form_token", &token), ("rating", "very-dissatisfied"), ("comment", "")]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    assert_eq!(sent.location(), "/feedback/thank-you?lang=en");
    let rows = feedback_rows(&c).await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].comment.as_str(), rows[0].page.as_deref()), ("", None));
}

#[tokio::test]
async fn feedback_errors_are_specific_and_keep_what_was_typed() {
    let mut c = Client::new().await;
    let token = form_token(&c.get("/feedback?lang=cy").await.body);
    let typed = "<script>alert(1)</script> ŵ";
    let page = c.post("/feedback", &[("form_token", &token), ("comment", typed)]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("Dewiswch sut oeddech chi’n teimlo am y gwasanaeth"));
    assert!(page.body.contains(r##"href="#rating""##));
    assert!(page.body.contains("&lt;script&gt;alert(1)&lt;&#x2f;script&gt; ŵ</textarea>"), "kept, escaped");
    assert!(!page.body.contains("<script>alert"));
    // A made-up rating is no rating.
    let page = c.post("/feedback", &[("form_token", &token), ("rating", "ecstatic")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    // The chosen rating is kept beside a comment error.
    let long = "a".repeat(1201);
    let page = c.post("/feedback", &[("form_token", &token), ("rating", "neither"), ("comment", &long)]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(page.body.contains("mae gennych 1 yn ormod"), "says how many too many");
    assert!(page.body.contains(r#"value="neither" checked"#));
    assert!(page.body.contains(&format!("{long}</textarea>")));
    assert!(page.body.contains("govuk-textarea--error"));
    assert!(feedback_rows(&c).await.is_empty());
}

#[tokio::test]
async fn the_longest_comment_is_kept_whole_counting_line_breaks_as_the_count_does() {
    let mut c = Client::new().await;
    let token = form_token(&c.get("/feedback").await.body);
    // 1,200 characters with line breaks, as a browser sends them (CR LF), and Welsh letters.
    let line = format!("{}\r\n", "ŵ".repeat(99));
    let longest = line.repeat(12);
    assert_eq!(longest.replace("\r\n", "\n").chars().count(), 1200);
    let sent = c.post("/feedback", &[("form_token", &token), ("rating", "neither"), ("comment", &longest)]).await;
    assert_eq!(sent.status, StatusCode::SEE_OTHER);
    let rows = feedback_rows(&c).await;
    assert_eq!(rows[0].comment.chars().count(), 1199, "the last line break trimmed");
}

#[tokio::test]
async fn a_forged_altered_or_missing_token_stores_nothing_and_keeps_what_was_typed() {
    let mut c = Client::new().await;
    let token = form_token(&c.get("/feedback").await.body);
    let mut altered = token.clone().into_bytes();
    let last = altered.len() - 1;
    altered[last] = if altered[last] == b'A' { b'B' } else { b'A' };
    let altered = String::from_utf8(altered).unwrap();
    for bad in ["", "s.AAAA", altered.as_str()] {
        let page = c.post("/feedback", &[("form_token", bad), ("rating", "satisfied"), ("comment", "Kept")]).await;
        assert_eq!(page.status, StatusCode::BAD_REQUEST, "{bad}");
        assert!(page.body.contains("This form was open too long or had a problem."));
        assert!(page.body.contains("Kept</textarea>"));
        assert_ne!(form_token(&page.body), bad, "a fresh token to send again with");
    }
    // Another app's token (another key) is not ours either.
    let mut other = Client::new().await;
    let foreign = form_token(&other.get("/feedback").await.body);
    let page = c.post("/feedback", &[("form_token", &foreign), ("rating", "satisfied")]).await;
    assert_eq!(page.status, StatusCode::BAD_REQUEST);
    assert!(feedback_rows(&c).await.is_empty());
}

#[tokio::test]
async fn a_post_from_another_site_is_refused() {
    let mut c = Client::new().await;
    let token = form_token(&c.get("/feedback").await.body);
    let fields = [("form_token", token.as_str()), ("rating", "satisfied")];
    for headers in [
        vec![("sec-fetch-site", "cross-site")],
        vec![("sec-fetch-site", "same-site")],
        vec![("origin", "https://evil.example"), ("host", "localhost")],
    ] {
        let page = c.post_with("/feedback", &fields, &headers).await;
        assert_eq!(page.status, StatusCode::FORBIDDEN, "{headers:?}");
        assert!(page.body.contains("The form was sent from another website."));
    }
    assert!(feedback_rows(&c).await.is_empty());
    // Our own page's POST (same origin; Origin: null under our no-referrer policy) is taken.
    let page = c.post_with("/feedback", &fields, &[("sec-fetch-site", "same-origin"), ("origin", "null")]).await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    let token = form_token(&c.get("/feedback").await.body);
    let page = c
        .post_with(
            "/feedback",
            &[("form_token", &token), ("rating", "satisfied")],
            &[("origin", "http://localhost"), ("host", "localhost")],
        )
        .await;
    assert_eq!(page.status, StatusCode::SEE_OTHER);
    assert_eq!(feedback_rows(&c).await.len(), 2);
}

#[tokio::test]
async fn hostile_from_values_are_never_carried_or_linked() {
    for hostile in [
        "//evil.example",
        "https://evil.example/",
        "/\\evil.example",
        "javascript:alert(1)",
        "/ok?next=//evil.example",
        "/\r\nSet-Cookie:x=1",
        "\"><script>alert(1)</script>",
    ] {
        let mut c = Client::new().await;
        let encoded: String = hostile.bytes().map(|b| format!("%{b:02X}")).collect();
        let form = c.get(&format!("/feedback?from={encoded}")).await;
        assert_eq!(form.status, StatusCode::OK, "{hostile}");
        assert!(!form.body.contains(r#"name="from""#), "{hostile}: not carried");
        let token = form_token(&form.body);
        let sent = c.post("/feedback", &[("form_token", &token), ("rating", "satisfied"), ("from", hostile)]).await;
        assert_eq!(sent.status, StatusCode::SEE_OTHER, "{hostile}");
        assert_eq!(sent.location(), "/feedback/thank-you?lang=en", "{hostile}");
        let thanks = c.get(&format!("/feedback/thank-you?from={encoded}")).await;
        assert!(
            thanks.body.contains(r#"<a class="govuk-link" href="&#x2f;?lang=en">"#),
            "{hostile}: back to the start"
        );
        assert!(!thanks.body.contains("evil.example"), "{hostile}");
        assert!(!thanks.body.contains("<script>alert"), "{hostile}");
        assert_eq!(feedback_rows(&c).await[0].page, None, "{hostile}: not stored");
    }
}

#[tokio::test]
async fn feedback_is_rate_limited_per_client() {
    let mut c = Client::new().await;
    let mut statuses = Vec::new();
    for _ in 0..21 {
        let token = form_token(&c.get("/feedback").await.body);
        statuses.push(c.post("/feedback", &[("form_token", &token), ("rating", "satisfied")]).await);
    }
    assert!(statuses[..20].iter().all(|p| p.status == StatusCode::SEE_OTHER));
    let refused = &statuses[20];
    assert_eq!(refused.status, StatusCode::TOO_MANY_REQUESTS);
    assert!(refused.headers.contains_key("retry-after"));
    assert_eq!(feedback_rows(&c).await.len(), 20);
}
