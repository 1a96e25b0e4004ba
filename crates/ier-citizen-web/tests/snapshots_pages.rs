//! Snapshots of rendered pages, in English and Welsh: every page of every
//! journey as the applicant walks it (`data/walks.json`), with its error
//! pages, "Check your answers" and the complete page, and the start page. Each
//! page is its Back link (if any) and its `<main>` element, where the page's
//! own markup lives; a change to any page's HTML shows up in review. Random
//! values (CSRF tokens, reference numbers, UPRNs) are redacted.

mod support;

use support::{Client, Walk};

/// The Back link and the `<main>` element of a page.
fn main_of(body: &str) -> String {
    let back = body
        .find("govuk-back-link")
        .and_then(|i| body[..i].rfind("<a "))
        .map(|i| {
            let end = body[i..].find("</a>").expect("a closed link") + i + "</a>".len();
            format!("{}\n", &body[i..end])
        })
        .unwrap_or_default();
    let start = body.find("<main").expect("a main element");
    let end = body.find("</main>").expect("a main element") + "</main>".len();
    format!("{back}{}", &body[start..end])
}

fn settings() -> insta::Settings {
    let mut s = insta::Settings::clone_current();
    s.add_filter(r#"name="csrf_token" value="[^"]+""#, r#"name="csrf_token" value="[csrf]""#);
    s.add_filter(r"<strong>[2-9B-DF-HJ-NP-TV-Z]{5} [2-9B-DF-HJ-NP-TV-Z]{5}</strong>", "<strong>[reference]</strong>");
    s.add_filter(r#"value="9\d{11}""#, r#"value="[uprn]""#);
    s.add_filter(r"9\d{11}", "[uprn]");
    // The ~200 countries of a list, once: their names are data (countries.csv), not page markup.
    s.add_filter(r#"(?:\s*<option value="[A-Z]{2}"(?: selected)?>[^<]*</option>)+"#, "\n[countries]");
    s.add_filter(r"\b\d{1,2} [A-Z][a-z]+ 20\d\d\b", "[date]");
    s.add_filter(
        r"\b\d{1,2} (Ionawr|Chwefror|Mawrth|Ebrill|Mai|Mehefin|Gorffennaf|Awst|Medi|Hydref|Tachwedd|Rhagfyr) 20\d\d\b",
        "[date]",
    );
    s
}

#[tokio::test]
async fn every_page_of_every_journey_in_english_and_welsh() {
    for lang in ["en", "cy"] {
        let mut c = Client::new().await;
        c.get(&format!("/?lang={lang}")).await;
        let start = c.get("/").await.body;
        settings().bind(|| insta::assert_snapshot!(format!("start-{lang}"), main_of(&start)));
        // (The load generator's short walk is the ordinary journey's pages again.)
        for walk in Walk::all().into_iter().filter(|w| w.name != "ordinary-quick") {
            let mut c = Client::new().await;
            let walked = walk.walk(&mut c, lang).await;
            let pages: Vec<String> =
                walked.pages.iter().map(|(name, page)| format!("=== {name}\n{}\n", main_of(&page.body))).collect();
            settings().bind(|| insta::assert_snapshot!(format!("{}-{lang}", walk.name), pages.join("\n")));
        }
    }
}

/// The service's own pages (accessibility, privacy, cookies, help, feedback
/// with its errors, thanks), in English and Welsh: their `<main>`, and once the
/// phase banner and footer every page carries.
#[tokio::test]
async fn the_service_pages_in_english_and_welsh() {
    let mut s = settings();
    s.add_filter(r#"name="form_token" value="[^"]+""#, r#"name="form_token" value="[token]""#);
    for lang in ["en", "cy"] {
        let mut c = Client::new().await;
        let mut pages = Vec::new();
        for path in ["/accessibility", "/privacy", "/cookies", "/help", "/feedback?from=/register-to-vote/name"] {
            let page = c.get(&format!("{}{}lang={lang}", path, if path.contains('?') { "&" } else { "?" })).await;
            pages.push(format!("=== {path}\n{}\n", main_of(&page.body)));
        }
        let errors = c.post("/feedback", &[("form_token", "x"), ("comment", &"a".repeat(1201))]).await;
        pages.push(format!("=== feedback errors\n{}\n", main_of(&errors.body)));
        let thanks = c.get(&format!("/feedback/thank-you?lang={lang}&from=/register-to-vote/name")).await;
        pages.push(format!("=== thank you\n{}\n", main_of(&thanks.body)));
        let body = &thanks.body;
        let banner = &body[body.find("<div class=\"govuk-phase-banner\">").unwrap()..body.find("<nav").unwrap()];
        let footer = &body[body.find("<footer").unwrap()..body.find("</footer>").unwrap()];
        pages.push(format!("=== phase banner and footer\n{banner}\n{footer}\n"));
        s.bind(|| insta::assert_snapshot!(format!("service-pages-{lang}"), pages.join("\n")));
    }
}
