//! Property: whatever an applicant does — answers in any order, right or
//! wrong, Changes from the summary, Back links — in any journey, the summary
//! only ever shows answers to steps that apply, no answer is kept for a
//! question that no longer applies, a complete journey always makes an
//! application that parses (and is stored, and reads back), and no request ever
//! gets a 500.
//!
//! The applicant is a black box: each page's form is read from its HTML (field
//! names, the options offered) and filled with values drawn from pools of
//! valid, invalid and hostile inputs; the journey state is read back from the
//! session cookie after each answer.

mod support;

use std::collections::BTreeMap;

use axum::http::StatusCode;
use ier_citizen_web::journey::answers::{Answers, Slot};
use ier_citizen_web::journey::flows::flow;
use ier_citizen_web::journey::{JourneyKind, today};
use ier_citizen_web::session::{Opened, SessionCodec};
use proptest::prelude::*;
use support::{Client, Page};

/// A form's fields as the page offers them: options for radios, checkboxes and selects.
#[derive(Debug, Default)]
struct FormShape {
    action: String,
    text: Vec<String>,
    choices: BTreeMap<String, (bool, Vec<String>)>,
}

fn attr<'a>(tag: &'a str, name: &str) -> Option<&'a str> {
    let key = format!(" {name}=\"");
    let i = tag.find(&key)? + key.len();
    tag[i..].split('"').next()
}

/// The first form on a page that posts a CSRF token (a journey's own form).
fn form_of(body: &str) -> Option<FormShape> {
    let start = body.find("<form method=\"post\"")?;
    let end = body[start..].find("</form>")? + start;
    let form = &body[start..end];
    let mut shape = FormShape { action: attr(form, "action")?.replace("&#x2f;", "/"), ..Default::default() };
    for tag in form.split('<').skip(1) {
        let name = match attr(tag, "name") {
            Some(n) if n != "csrf_token" => n.to_owned(),
            _ => continue,
        };
        if tag.starts_with("input") {
            match attr(tag, "type") {
                Some("radio") | Some("checkbox") => {
                    let multi = attr(tag, "type") == Some("checkbox");
                    let e = shape.choices.entry(name).or_insert((multi, Vec::new()));
                    e.1.push(attr(tag, "value").unwrap_or("").to_owned());
                }
                Some("hidden") => {}
                _ => shape.text.push(name),
            }
        } else if tag.starts_with("textarea") {
            shape.text.push(name);
        } else if tag.starts_with("select") {
            let select_end = form.find(tag).map(|i| &form[i..]).unwrap_or("");
            let options: Vec<String> = select_end
                .split("</select>")
                .next()
                .unwrap_or("")
                .split("<option value=\"")
                .skip(1)
                .filter_map(|o| o.split('"').next())
                .map(str::to_owned)
                .collect();
            shape.choices.insert(name, (false, options));
        }
    }
    Some(shape)
}

/// A value for a text field, by what its name says it is: mostly one of the
/// valid values (listed first, `valid` of them), sometimes anything in the pool.
fn text_value(name: &str, pick: u64) -> String {
    let (valid, pool): (usize, &[&str]) = if name.contains("postcode") {
        (5, &["CF10 1EP", "SW1A 1AA", "EH1 1YZ", "LS1 5HD", "SA1 1DP", "BT1 1AA", "JE2 3AB", "YY9 9YY", "nope", ""])
    } else if name.ends_with("-day") {
        (3, &["1", "15", "28", "31", "0", "x", ""])
    } else if name.ends_with("-month") {
        (3, &["1", "6", "12", "13", ""])
    } else if name.ends_with("-year") {
        (4, &["1950", "1975", "1990", "2010", "2012", "2031", "1850", ""])
    } else if name == "nino" {
        (2, &["SN425918B", "JG 10 37 59 A", "QQ123456C", "AB12345", ""])
    } else if name.contains("email") {
        (1, &["sian@example.com", "not-an-email", ""])
    } else if name == "phone" {
        (1, &["01632 960 001", "12", ""])
    } else if name.contains("passport-number") {
        (1, &["123456789", "12345", ""])
    } else if name.contains("service-number") || name.contains("payroll") {
        (2, &["30012345", "P-1", ""])
    } else if name.contains("bfpo-number") {
        (2, &["BFPO 38", "38", "123456", ""])
    } else if name.ends_with("reason") || name.contains("how") {
        (2, &["", "I lost my documents", "😀😀😀"])
    } else if name.contains("middle") || name.contains("previous") {
        (2, &["", "Mair", "x1"])
    } else {
        (3, &["Siân", "O'Brien-Jones", "Llewellyn", "", "<script>", "𠀀𠀀"])
    };
    let n = if !pick.is_multiple_of(3) { valid } else { pool.len() };
    pool[((pick / 3) % n as u64) as usize].to_owned()
}

/// Fill a form's fields from a stream of choices.
fn fill(shape: &FormShape, picks: &mut impl Iterator<Item = u64>) -> Vec<(String, String)> {
    let mut out = Vec::new();
    for (name, (multi, options)) in &shape.choices {
        let p = picks.next().unwrap_or(0);
        if options.is_empty() {
            continue;
        }
        if *multi {
            for (i, o) in options.iter().enumerate() {
                if (p >> i) & 1 == 1 {
                    out.push((name.clone(), o.clone()));
                }
            }
        } else if !p.is_multiple_of(10) {
            // Mostly a choice; sometimes none at all.
            out.push((name.clone(), options[(p as usize / 10) % options.len()].clone()));
        }
    }
    for name in &shape.text {
        out.push((name.clone(), text_value(name, picks.next().unwrap_or(0))));
    }
    out
}

fn csrf_of(body: &str) -> Option<String> {
    let marker = r#"name="csrf_token" value=""#;
    let start = body.find(marker)? + marker.len();
    body[start..].split('"').next().map(str::to_owned)
}

/// The journey state the applicant's cookie carries (or names).
async fn answers(c: &Client) -> Option<Answers> {
    let codec = SessionCodec::new(ier_storage::DataKeys::parse(&c.session_key).unwrap(), false);
    let cookie = c.cookies.get("ier-session")?;
    let Opened::Active(s) = codec.open::<Answers>(cookie, chrono::Utc::now().timestamp()) else { return None };
    match &s.spill {
        None => Some(s.data),
        Some(id) => {
            let sealed = c.store.citizen().journey_state(id, chrono::Utc::now()).await.unwrap()?;
            serde_json::from_slice(&codec.open_state(id, &sealed)?).ok()
        }
    }
}

/// The invariants, after every answer.
async fn check(c: &mut Client, seen_complete: &mut bool) -> Result<(), TestCaseError> {
    let Some(a) = answers(c).await else { return Ok(()) };
    if a.receipt.is_some() {
        *seen_complete = true;
        return Ok(());
    }
    let f = flow(a.journey);
    let today = today();
    for slot in Slot::ALL {
        if a.has(slot) {
            let asked =
                (0..f.steps.len()).any(|i| f.steps[i].question.slots().contains(&slot) && f.applies(i, &a, today));
            prop_assert!(asked, "{:?} kept though no step that applies asks it ({:?})", slot, a.journey);
        }
    }
    if f.first_unanswered(&a, today).is_none() {
        let (details, _) =
            a.application(today).ok_or_else(|| TestCaseError::fail("complete answers, no application"))?;
        let json = serde_json::to_string(&details).unwrap();
        prop_assert_eq!(serde_json::from_str::<ier_domain::ApplicantDetails>(&json).unwrap(), details);
        // The summary lists only steps that apply.
        let check = c.get(&f.check_path()).await;
        prop_assert_eq!(check.status, StatusCode::OK);
        for href in check.body.split("<a class=\"govuk-link\" href=\"").skip(1).filter_map(|h| h.split('"').next()) {
            let href = href.replace("&#x2f;", "/");
            if let Some((i, _)) = f.find(&href) {
                prop_assert!(f.applies(i, &a, today), "the summary shows {} which does not apply", href);
            }
        }
    }
    Ok(())
}

/// One applicant doing `actions` things, in journey `kind`.
async fn applicant(kind: usize, actions: Vec<u64>) -> Result<(), TestCaseError> {
    let mut c = Client::new().await;
    let starts = [
        "/register-to-vote/start",
        "/register-to-vote/overseas/start",
        "/register-to-vote/forces/start",
        "/register-to-vote/crown/start",
    ];
    let mut here = c.get(starts[kind]).await.location().to_owned();
    let mut picks = actions.iter().copied().cycle().skip(1);
    let mut seen_complete = false;
    for (n, action) in actions.iter().enumerate() {
        let page: Page = c.get(&here).await;
        prop_assert!(page.status != StatusCode::INTERNAL_SERVER_ERROR, "GET {} is a 500", here);
        if page.status == StatusCode::SEE_OTHER {
            here = page.location().to_owned();
            continue;
        }
        let Some(shape) = form_of(&page.body) else {
            // An exit, or the complete page: start again, perhaps in another journey (choosing
            // to start again on purpose when one is in progress).
            let start = starts[(*action % 4) as usize];
            let r = c.get(start).await;
            here = match csrf_of(&r.body) {
                Some(csrf) => c.post(start, &[("csrf_token", &csrf)]).await.location().to_owned(),
                None => r.location().to_owned(),
            };
            prop_assert!(!here.is_empty(), "no way on from {}", start);
            continue;
        };
        let csrf = csrf_of(&page.body).unwrap_or_default();
        // Now and then, a Change from the summary or the Back link instead of this page's answer.
        let target = match action % 7 {
            0 if here.ends_with("check-answers") => {
                let links: Vec<String> = page
                    .body
                    .split("<a class=\"govuk-link\" href=\"")
                    .skip(1)
                    .filter_map(|h| h.split('"').next())
                    .map(|h| h.replace("&#x2f;", "/"))
                    .collect();
                links.get((*action as usize / 7) % links.len().max(1)).cloned()
            }
            1 => page
                .body
                .find("govuk-back-link")
                .and_then(|i| page.body[..i].rsplit("href=\"").next())
                .and_then(|h| h.split('"').next())
                .map(|h| h.replace("&#x2f;", "/"))
                .filter(|h| h.starts_with("/register-to-vote/")),
            _ => None,
        };
        if let Some(t) = target {
            here = t;
            continue;
        }
        let mut form = fill(&shape, &mut picks);
        if shape.action.ends_with("check-answers") && n % 3 == 0 {
            form.push(("declaration".into(), "agreed".into()));
        }
        form.insert(0, ("csrf_token".into(), csrf));
        let fields: Vec<(&str, &str)> = form.iter().map(|(k, v)| (k.as_str(), v.as_str())).collect();
        let r = c.post(&shape.action, &fields).await;
        prop_assert!(
            matches!(
                r.status,
                StatusCode::SEE_OTHER | StatusCode::OK | StatusCode::BAD_REQUEST | StatusCode::TOO_MANY_REQUESTS
            ),
            "POST {} answered {}: {}",
            shape.action,
            r.status,
            r.body
        );
        check(&mut c, &mut seen_complete).await?;
        here = if r.status == StatusCode::SEE_OTHER { r.location().to_owned() } else { shape.action.clone() };
    }
    // Every application stored reads back, parsed, through its ERO.
    let reference_data = ier_reference::ReferenceData::embedded();
    for e in reference_data.eros() {
        c.store.for_ero(e.id.clone()).applications(None, 100).await.expect("stored applications parse");
    }
    let _ = seen_complete;
    Ok(())
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 48, ..ProptestConfig::default() })]

    #[test]
    fn any_sequence_of_answers_keeps_the_summary_and_the_application_true(
        kind in 0usize..4,
        actions in proptest::collection::vec(any::<u64>(), 30..120),
    ) {
        let rt = tokio::runtime::Builder::new_current_thread().enable_all().build().unwrap();
        rt.block_on(applicant(kind, actions))?;
    }
}

#[test]
fn every_journey_kind_has_a_flow() {
    for kind in JourneyKind::ALL {
        assert_eq!(flow(kind).kind, kind);
    }
}
