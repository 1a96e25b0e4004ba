//! Our GOV.UK component macros against the Design System's own fixtures
//! (`govuk-fixtures/*.json`, from npm `govuk-frontend`): for every fixture
//! whose options our macro supports, the rendered HTML must be the same
//! (ignoring white space between tags).

use std::collections::BTreeSet;

use serde_json::Value;

/// (fixture file, our macro, the options it supports)
const COMPONENTS: &[(&str, &str, &[&str])] = &[
    (
        "input",
        "govukInput",
        &[
            "label",
            "hint",
            "errorMessage",
            "name",
            "id",
            "value",
            "type",
            "classes",
            "autocomplete",
            "spellcheck",
            "inputmode",
            "describedBy",
        ],
    ),
    (
        "error-message",
        "govukErrorMessage",
        &["text", "html", "id", "classes", "visuallyHiddenText"],
    ),
    (
        "error-summary",
        "govukErrorSummary",
        &[
            "titleText",
            "titleHtml",
            "descriptionText",
            "descriptionHtml",
            "errorList",
        ],
    ),
    (
        "button",
        "govukButton",
        &[
            "text",
            "html",
            "name",
            "type",
            "value",
            "classes",
            "preventDoubleClick",
            "id",
        ],
    ),
    ("hint", "govukHint", &["text", "html", "id", "classes"]),
    (
        "label",
        "govukLabel",
        &["text", "html", "for", "classes", "isPageHeading"],
    ),
    (
        "skip-link",
        "govukSkipLink",
        &["text", "html", "href", "classes"],
    ),
    (
        "language-navigation",
        "govukLanguageNavigation",
        &["items", "label", "classes"],
    ),
];

/// Nested options we support (anything else makes the fixture out of scope).
fn nested_supported(key: &str, value: &Value) -> bool {
    let allowed: &[&str] = match key {
        "label" => &["text", "html", "classes", "isPageHeading"],
        "hint" | "errorMessage" => &["text", "html", "classes", "visuallyHiddenText"],
        "errorList" | "items" => &["text", "html", "href", "lang", "current"],
        _ => return true,
    };
    let check = |v: &Value| {
        v.as_object()
            .is_none_or(|o| o.keys().all(|k| allowed.contains(&k.as_str())))
    };
    match value {
        Value::Array(items) => items.iter().all(check),
        other => check(other),
    }
}

fn normalise(html: &str) -> String {
    // Equivalent spellings of the same character reference are the same HTML.
    let html = html
        .replace("&#x27;", "&#39;")
        .replace("&#x2f;", "/")
        .replace("&#47;", "/")
        .replace("&#34;", "&quot;");
    let collapsed = html.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed
        .replace("> <", "><")
        .replace("> ", ">")
        .replace(" <", "<")
}

#[test]
fn components_match_the_design_system_fixtures() {
    let env = ier_citizen_web::render::environment();
    let mut report = Vec::new();
    for (file, macro_name, supported) in COMPONENTS {
        let path = format!(
            "{}/tests/govuk-fixtures/{file}.json",
            env!("CARGO_MANIFEST_DIR")
        );
        let fixtures: Value =
            serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let supported: BTreeSet<&str> = supported.iter().copied().collect();
        let mut checked = 0;
        for fixture in fixtures["fixtures"].as_array().unwrap() {
            let options = fixture["options"].as_object().unwrap();
            let in_scope = options
                .iter()
                .all(|(k, v)| supported.contains(k.as_str()) && nested_supported(k, v));
            if !in_scope {
                continue;
            }
            let source = format!(
                "{{% from \"components.html\" import {macro_name} %}}{{{{ {macro_name}(options) }}}}"
            );
            // Named *.html, so auto-escaping is on, as for the service's own templates.
            let rendered = env
                .template_from_named_str("parity.html", &source)
                .and_then(|t| t.render(minijinja::context! { options => minijinja::Value::from_serialize(&fixture["options"]) }))
                .unwrap();
            let expected = fixture["html"].as_str().unwrap();
            assert_eq!(
                normalise(&rendered),
                normalise(expected),
                "{file} fixture {:?} with options {}",
                fixture["name"],
                fixture["options"]
            );
            checked += 1;
        }
        assert!(checked > 0, "no {file} fixture in scope");
        report.push(format!("{file}: {checked}"));
    }
    eprintln!("fixtures matched: {}", report.join(", "));
}
