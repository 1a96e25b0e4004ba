//! Our GOV.UK components (`src/components.rs`, template functions) against
//! the Design System's own fixtures (`govuk-fixtures/*.json`, from npm `govuk-frontend`): for every
//! fixture whose options our component supports, the rendered HTML must be
//! the same (ignoring white space between tags).

use std::collections::BTreeSet;

use serde_json::Value;

/// (fixture file, our component, the options it supports)
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
    ("error-message", "govukErrorMessage", &["text", "html", "id", "classes", "visuallyHiddenText"]),
    (
        "error-summary",
        "govukErrorSummary",
        &["titleText", "titleHtml", "descriptionText", "descriptionHtml", "errorList"],
    ),
    ("button", "govukButton", &["text", "html", "name", "type", "value", "classes", "preventDoubleClick", "id"]),
    ("hint", "govukHint", &["text", "html", "id", "classes"]),
    ("label", "govukLabel", &["text", "html", "for", "classes", "isPageHeading"]),
    ("skip-link", "govukSkipLink", &["text", "html", "href", "classes"]),
    ("language-navigation", "govukLanguageNavigation", &["items", "label", "classes"]),
    ("fieldset", "govukFieldset", &["legend", "classes", "role", "describedBy", "html"]),
    (
        "radios",
        "govukRadios",
        &["items", "name", "idPrefix", "value", "classes", "fieldset", "hint", "errorMessage", "formGroup"],
    ),
    (
        "checkboxes",
        "govukCheckboxes",
        &[
            "items",
            "name",
            "idPrefix",
            "values",
            "classes",
            "describedBy",
            "fieldset",
            "hint",
            "errorMessage",
            "formGroup",
        ],
    ),
    (
        "date-input",
        "govukDateInput",
        &[
            "id",
            "namePrefix",
            "items",
            "day",
            "month",
            "year",
            "values",
            "classes",
            "fieldset",
            "hint",
            "errorMessage",
            "formGroup",
        ],
    ),
    ("summary-list", "govukSummaryList", &["rows", "classes", "card"]),
    ("back-link", "govukBackLink", &["href", "text", "html", "classes"]),
    ("panel", "govukPanel", &["titleText", "titleHtml", "headingLevel", "text", "html", "classes"]),
    ("inset-text", "govukInsetText", &["text", "html", "id", "classes"]),
    ("details", "govukDetails", &["summaryText", "summaryHtml", "text", "html", "id", "classes", "open"]),
    ("warning-text", "govukWarningText", &["text", "html", "iconFallbackText", "classes"]),
    (
        "textarea",
        "govukTextarea",
        &[
            "id",
            "name",
            "rows",
            "value",
            "label",
            "hint",
            "errorMessage",
            "describedBy",
            "classes",
            "spellcheck",
            "autocomplete",
            "formGroup",
        ],
    ),
    (
        "select",
        "govukSelect",
        &["id", "name", "items", "value", "label", "hint", "errorMessage", "describedBy", "classes", "formGroup"],
    ),
];

/// The keys we support inside the object option at `path` of a `file`
/// component (an array's items are at `path[]`); `*` allows any key (for maps
/// of values). Anything else makes the fixture out of scope.
fn nested_allowed(file: &str, path: &str) -> &'static [&'static str] {
    const LEGEND: &[&str] = &["text", "html", "classes", "isPageHeading"];
    const HINT: &[&str] = &["text", "html", "classes"];
    const ERROR: &[&str] = &["text", "html", "classes", "visuallyHiddenText"];
    const LABEL: &[&str] = &["text", "html", "classes", "isPageHeading"];
    match (file, path) {
        (_, "hint") => HINT,
        (_, "errorMessage") => ERROR,
        (_, "formGroup") => &["classes"],
        (_, "fieldset") => &["legend", "classes", "describedBy"],
        (_, "legend" | "fieldset.legend") => LEGEND,
        ("input" | "textarea" | "select", "label") => LABEL,
        ("error-summary", "errorList[]") => &["text", "html", "href"],
        ("language-navigation", "items[]") => &["text", "html", "href", "lang", "current"],
        ("radios" | "checkboxes", "items[]") => &[
            "value",
            "text",
            "html",
            "id",
            "name",
            "hint",
            "label",
            "checked",
            "disabled",
            "conditional",
            "divider",
            "behaviour",
        ],
        ("radios" | "checkboxes", "items[].hint") => HINT,
        ("radios" | "checkboxes", "items[].label") => &["classes"],
        ("radios" | "checkboxes", "items[].conditional") => &["html"],
        ("date-input", "items[]" | "day" | "month" | "year") => {
            &["name", "id", "label", "value", "classes", "error", "autocomplete", "inputmode"]
        }
        ("date-input", "values") => &["*"],
        ("summary-list", "rows[]") => &["key", "value", "actions", "classes"],
        ("summary-list", "rows[].key" | "rows[].value") => &["text", "html", "classes"],
        ("summary-list", "rows[].actions" | "card.actions") => &["items", "classes"],
        ("summary-list", "rows[].actions.items[]" | "card.actions.items[]") => {
            &["href", "text", "html", "visuallyHiddenText", "classes"]
        }
        ("summary-list", "card") => &["title", "actions", "classes"],
        ("summary-list", "card.title") => &["text", "html", "headingLevel", "classes"],
        ("select", "items[]") => &["value", "text", "selected", "disabled"],
        _ => &[],
    }
}

/// Whether every option nested in `value` (at `path`) is one we support.
fn nested_supported(file: &str, path: &str, value: &Value) -> bool {
    match value {
        Value::Array(items) => {
            let path = format!("{path}[]");
            items.iter().all(|v| nested_supported(file, &path, v))
        }
        Value::Object(o) => {
            let allowed = nested_allowed(file, path);
            o.iter().all(|(k, v)| {
                allowed.contains(&"*")
                    || (allowed.contains(&k.as_str()) && nested_supported(file, &format!("{path}.{k}"), v))
            })
        }
        _ => true,
    }
}

fn normalise(html: &str) -> String {
    // Equivalent spellings of the same character reference are the same HTML.
    let html = html.replace("&#x27;", "&#39;").replace("&#x2f;", "/").replace("&#47;", "/").replace("&#34;", "&quot;");
    let collapsed = html.split_whitespace().collect::<Vec<_>>().join(" ");
    collapsed.replace("> <", "><").replace("> ", ">").replace(" <", "<")
}

#[test]
fn components_match_the_design_system_fixtures() {
    let env = ier_citizen_web::render::environment();
    let mut report = Vec::new();
    for (file, component, supported) in COMPONENTS {
        let path = format!("{}/tests/govuk-fixtures/{file}.json", env!("CARGO_MANIFEST_DIR"));
        let fixtures: Value = serde_json::from_str(&std::fs::read_to_string(&path).unwrap()).unwrap();
        let supported: BTreeSet<&str> = supported.iter().copied().collect();
        let mut checked = 0;
        for fixture in fixtures["fixtures"].as_array().unwrap() {
            let options = fixture["options"].as_object().unwrap();
            let in_scope = options.iter().all(|(k, v)| supported.contains(k.as_str()) && nested_supported(file, k, v));
            if !in_scope {
                continue;
            }
            let source = format!("{{{{ {component}(options) }}}}");
            // Named *.html, so auto-escaping is on, as for the service's own templates.
            let rendered = env
                .template_from_named_str("parity.html", &source)
                .and_then(|t| {
                    t.render(minijinja::context! { options => minijinja::Value::from_serialize(&fixture["options"]) })
                })
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

/// Content can also come from a `{% call %}` block, as with the Nunjucks
/// macros: the same as passing it as `html`.
#[test]
fn call_blocks_give_the_same_content_as_html() {
    let env = ier_citizen_web::render::environment();
    let render = |source: &str| {
        let html =
            env.template_from_named_str("call.html", source).and_then(|t| t.render(minijinja::context! {})).unwrap();
        normalise(&html)
    };
    for (component, options) in [
        ("govukFieldset", r#"{"legend": {"text": "Your address"}}"#),
        ("govukInsetText", "{}"),
        ("govukPanel", r#"{"titleText": "Registered"}"#),
        ("govukDetails", r#"{"summaryText": "Help"}"#),
    ] {
        let with_html =
            render(&format!("{{{{ {component}(dict({options}, html=\"<p>Inside &amp; <b>safe</b></p>\")) }}}}"));
        let with_call =
            render(&format!("{{% call {component}({options}) %}}<p>Inside &amp; <b>safe</b></p>{{% endcall %}}"));
        assert_eq!(with_call, with_html, "{component}");
        assert!(with_call.contains("<p>Inside &amp;<b>safe</b></p>"), "{with_call}");
    }
}
