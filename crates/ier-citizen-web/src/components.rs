//! The GOV.UK Design System components, written in Rust and registered as
//! template functions (`govukInput(...)`, `govukRadios(...)`,
//! `{% call govukDetails(...) %}...{% endcall %}` and so on), taking the same
//! options as govuk-frontend's Nunjucks macros. They write the same HTML, to
//! the byte, as the minijinja macros (`templates/components.html`) they
//! replaced: all 426 govuk-frontend fixtures, and call blocks, were compared
//! byte for byte before the macros were deleted.
//!
//! Why Rust: a minijinja macro call builds closures, frames and maps for
//! every nested call, and the macros were about three quarters of the web
//! tier's CPU a journey (`cargo bench -p ier-citizen-web --bench pages`,
//! figures in docs/BENCHMARKS.md). `tests/govuk_parity.rs` checks every
//! component against the Design System's own fixtures.
//!
//! Semantics follow the template language: an option is "set" when it is
//! truthy, text is HTML-escaped exactly as minijinja's auto-escaping does
//! (safe strings are not), `html` options are written as they are.

use std::fmt::Write;

use minijinja::value::{Kwargs, Value, ValueKind};
use minijinja::{Environment, Error, State};

/// Register the components on `env`.
pub fn register(env: &mut Environment<'static>) {
    env.add_function("govukLabel", |p: Value| done(|o| label(o, &p)));
    env.add_function("govukHint", |p: Value| done(|o| hint(o, &p)));
    env.add_function("govukErrorMessage", |p: Value| done(|o| error_message(o, &p)));
    env.add_function("govukInput", |p: Value| done(|o| input(o, &p)));
    env.add_function("govukTextarea", |p: Value| done(|o| textarea(o, &p)));
    env.add_function("govukCharacterCount", |p: Value| done(|o| character_count(o, &p)));
    env.add_function("govukSelect", |p: Value| done(|o| select(o, &p)));
    env.add_function("govukButton", |p: Value| done(|o| button(o, &p)));
    env.add_function("govukSkipLink", |p: Value| done(|o| skip_link(o, &p)));
    env.add_function("govukLanguageNavigation", |p: Value| done(|o| language_navigation(o, &p)));
    env.add_function("govukRadios", |p: Value| done(|o| choices(o, &p, Kind::Radios)));
    env.add_function("govukCheckboxes", |p: Value| done(|o| choices(o, &p, Kind::Checkboxes)));
    env.add_function("govukDateInput", |p: Value| done(|o| date_input(o, &p)));
    env.add_function("govukErrorSummary", |p: Value| done(|o| error_summary(o, &p)));
    env.add_function("govukSummaryList", |p: Value| done(|o| summary_list(o, &p)));
    env.add_function("govukBackLink", |p: Value| done(|o| back_link(o, &p)));
    env.add_function("govukWarningText", |p: Value| done(|o| warning_text(o, &p)));
    // These take their content from a `{% call %}` block too.
    env.add_function("govukFieldset", |state: &State, p: Value, kwargs: Kwargs| {
        let body = call_block(state, kwargs)?;
        done(|o| fieldset(o, &p, body.as_ref()))
    });
    env.add_function("govukPanel", |state: &State, p: Value, kwargs: Kwargs| {
        let body = call_block(state, kwargs)?;
        done(|o| panel(o, &p, body.as_ref()))
    });
    env.add_function("govukDetails", |state: &State, p: Value, kwargs: Kwargs| {
        let body = call_block(state, kwargs)?;
        done(|o| details(o, &p, body.as_ref()))
    });
    env.add_function("govukInsetText", |state: &State, p: Value, kwargs: Kwargs| {
        let body = call_block(state, kwargs)?;
        done(|o| inset_text(o, &p, body.as_ref()))
    });
}

/// The content of `{% call govukX(...) %}...{% endcall %}`, which minijinja
/// passes as the `caller` keyword argument; `None` for a plain call.
fn call_block(state: &State, kwargs: Kwargs) -> Result<Option<Value>, Error> {
    let caller: Option<Value> = kwargs.get("caller")?;
    kwargs.assert_all_used()?;
    caller.map(|c| c.call(state, &[])).transpose()
}

/// `{{ caller() if caller is defined else (v.html | safe if v.html else v.text) }}`.
fn body_or(out: &mut String, p: &Value, body: Option<&Value>) {
    match body {
        Some(body) => put(out, body),
        None => html_or(out, p, "html", "text"),
    }
}

fn done(f: impl FnOnce(&mut String)) -> Result<Value, Error> {
    let mut out = String::with_capacity(512);
    f(&mut out);
    Ok(Value::from_safe_string(out))
}

/// `v.key`, undefined when missing (or when `v` is not a map).
fn get(v: &Value, key: &str) -> Value {
    v.get_attr(key).unwrap_or(Value::UNDEFINED)
}

/// `v.key or {}`: the option, or (when it is not set) undefined, whose keys
/// all read as undefined, as an empty map's do.
fn get_or_empty(v: &Value, key: &str) -> Value {
    let x = get(v, key);
    if x.is_true() { x } else { Value::UNDEFINED }
}

fn set(v: &Value, key: &str) -> bool {
    get(v, key).is_true()
}

/// `{{ v }}` with HTML auto-escaping, as minijinja writes it.
fn put(out: &mut String, v: &Value) {
    if let Some(s) = v.as_str() {
        if v.is_safe() {
            out.push_str(s)
        } else {
            escape(out, s)
        }
        return;
    }
    match v.kind() {
        ValueKind::Undefined => {}
        ValueKind::Bool => out.push_str(if v.is_true() { "True" } else { "False" }),
        ValueKind::None | ValueKind::Number => {
            let _ = write!(out, "{v}");
        }
        _ if v.is_safe() => {
            let _ = write!(out, "{v}");
        }
        _ => escape(out, &v.to_string()),
    }
}

/// minijinja's HTML escaping (from askama-escape).
fn escape(out: &mut String, s: &str) {
    let mut start = 0;
    for (i, b) in s.bytes().enumerate() {
        let rep = match b {
            b'<' => "&lt;",
            b'>' => "&gt;",
            b'&' => "&amp;",
            b'"' => "&quot;",
            b'\'' => "&#x27;",
            b'/' => "&#x2f;",
            _ => continue,
        };
        out.push_str(&s[start..i]);
        out.push_str(rep);
        start = i + 1;
    }
    out.push_str(&s[start..]);
}

/// `{{ v.html | safe if v.html else v.text }}` (and the same for other pairs of keys).
fn html_or(out: &mut String, v: &Value, html: &str, text: &str) {
    html_or_text(out, &get(v, html), &get(v, text));
}

/// `{{ html | safe if html else text }}`.
fn html_or_text(out: &mut String, html: &Value, text: &Value) {
    if html.is_true() {
        match html.as_str() {
            Some(s) => out.push_str(s),
            None => {
                let _ = write!(out, "{html}");
            }
        }
    } else {
        put(out, text);
    }
}

/// `{% if v.key %} {{ v.key }}{% endif %}`: an extra class.
fn classes(out: &mut String, v: &Value, key: &str) {
    extra_class(out, &get(v, key));
}

/// `{% if c %} {{ c }}{% endif %}`.
fn extra_class(out: &mut String, c: &Value) {
    if c.is_true() {
        out.push(' ');
        put(out, c);
    }
}

/// `{% if v.key %} name="{{ v.key }}"{% endif %}`.
fn attr(out: &mut String, v: &Value, key: &str, name: &str) {
    attr_of(out, name, &get(v, key));
}

/// `{% if x %} name="{{ x }}"{% endif %}`.
fn attr_of(out: &mut String, name: &str, x: &Value) {
    if x.is_true() {
        let _ = write!(out, " {name}=\"");
        put(out, x);
        out.push('"');
    }
}

/// The text of a value as `~` concatenates it.
fn text(v: &Value) -> String {
    v.to_string()
}

/// `v.key if v.key else v.other`.
fn either(v: &Value, key: &str, other: &str) -> Value {
    let x = get(v, key);
    if x.is_true() { x } else { get(v, other) }
}

/// `(a ~ " " ~ b) | trim`.
fn join_trim(a: &str, b: &str) -> String {
    format!("{a} {b}").trim().to_owned()
}

fn is_false(v: &Value) -> bool {
    v.kind() == ValueKind::Bool && !v.is_true()
}

fn spellcheck(out: &mut String, p: &Value) {
    let s = get(p, "spellcheck");
    if s.kind() == ValueKind::Bool {
        out.push_str(if s.is_true() { " spellcheck=\"true\"" } else { " spellcheck=\"false\"" });
    }
}

fn label(out: &mut String, p: &Value) {
    let (html, text) = (get(p, "html"), get(p, "text"));
    label_of(out, &html, &text, &get(p, "classes"), &get(p, "for"), set(p, "isPageHeading"));
}

/// A label from its parts (the other components' labels are written straight from theirs).
fn label_of(out: &mut String, html: &Value, text: &Value, classes: &Value, for_id: &Value, heading: bool) {
    if !(html.is_true() || text.is_true()) {
        return;
    }
    if heading {
        out.push_str("<h1 class=\"govuk-label-wrapper\">");
    }
    out.push_str("<label class=\"govuk-label");
    extra_class(out, classes);
    out.push('"');
    attr_of(out, "for", for_id);
    out.push_str(">\n  ");
    html_or_text(out, html, text);
    out.push_str("\n</label>");
    if heading {
        out.push_str("</h1>");
    }
}

fn hint(out: &mut String, p: &Value) {
    hint_of(out, &get(p, "id"), p, &get(p, "classes"));
}

/// The hint `h` (its `text` or `html`) with this id and these classes.
fn hint_of(out: &mut String, id: &Value, h: &Value, classes: &Value) {
    out.push_str("<div");
    attr_of(out, "id", id);
    out.push_str(" class=\"govuk-hint");
    extra_class(out, classes);
    out.push_str("\">\n  ");
    html_or(out, h, "html", "text");
    out.push_str("\n</div>");
}

fn error_message(out: &mut String, p: &Value) {
    error_message_of(out, &get(p, "id"), p);
}

/// The error message `e` (its text or html, classes and hidden prefix) with this id.
fn error_message_of(out: &mut String, id: &Value, e: &Value) {
    let hidden = get(e, "visuallyHiddenText");
    out.push_str("<p");
    attr_of(out, "id", id);
    out.push_str(" class=\"govuk-error-message");
    classes(out, e, "classes");
    out.push_str("\">\n  ");
    if hidden.is_undefined() {
        out.push_str("<span class=\"govuk-visually-hidden\">Error:</span> ");
    } else if hidden.is_true() {
        out.push_str("<span class=\"govuk-visually-hidden\">");
        put(out, &hidden);
        out.push_str(":</span> ");
    }
    html_or(out, e, "html", "text");
    out.push_str("\n</p>");
}

/// A hint and an error message as a form control's macro writes them (each on
/// its own line), adding their ids to `described_by`.
fn hint_and_error(out: &mut String, p: &Value, id: &str, described_by: &mut String) {
    let h = get(p, "hint");
    if h.is_true() {
        let hint_id = format!("{id}-hint");
        *described_by = join_trim(described_by, &hint_id);
        out.push_str("\n  ");
        hint_of(out, &Value::from(hint_id), &h, &get(&h, "classes"));
    }
    let e = get(p, "errorMessage");
    if e.is_true() {
        let error_id = format!("{id}-error");
        *described_by = join_trim(described_by, &error_id);
        out.push_str("\n  ");
        error_message_of(out, &Value::from(error_id), &e);
    }
}

/// A map of options, as a `{"key": value}` literal in a template makes.
fn sub(pairs: &[(&str, Value)]) -> Value {
    Value::from_iter(pairs.iter().map(|(k, v)| (Value::from(*k), v.clone())))
}

/// The label of a form control (`params.label or {}`).
fn control_label(out: &mut String, p: &Value, id: &Value) {
    let l = get_or_empty(p, "label");
    label_of(out, &get(&l, "html"), &get(&l, "text"), &get(&l, "classes"), id, set(&l, "isPageHeading"));
}

fn form_group(out: &mut String, p: &Value, with_classes: bool) {
    out.push_str("<div class=\"govuk-form-group");
    if set(p, "errorMessage") {
        out.push_str(" govuk-form-group--error");
    }
    if with_classes {
        classes(out, &get_or_empty(p, "formGroup"), "classes");
    }
    out.push_str("\">\n  ");
}

/// The start of a form control's markup (input, textarea, select): its form
/// group, label, hint and error message.
struct Control {
    id: Value,
    described_by: String,
    error: bool,
}

fn control(out: &mut String, p: &Value, form_group_classes: bool) -> Control {
    let id = either(p, "id", "name");
    let mut described_by = if set(p, "describedBy") { text(&get(p, "describedBy")) } else { String::new() };
    form_group(out, p, form_group_classes);
    control_label(out, p, &id);
    hint_and_error(out, p, &text(&id), &mut described_by);
    Control { id, described_by, error: set(p, "errorMessage") }
}

/// `<input`, `<textarea` or `<select` with its classes, id and name (the
/// closing quote of the name is the caller's). The error class comes before
/// the extra classes on a textarea, after them on the others, as in
/// govuk-frontend.
fn open_control(out: &mut String, p: &Value, tag: &str, id: &Value, error: bool) {
    let _ = write!(out, "\n  <{tag} class=\"govuk-{tag}");
    if tag != "textarea" {
        classes(out, p, "classes");
    }
    if error {
        let _ = write!(out, " govuk-{tag}--error");
    }
    if tag == "textarea" {
        classes(out, p, "classes");
    }
    out.push_str("\" id=\"");
    put(out, id);
    out.push_str("\" name=\"");
    put(out, &get(p, "name"));
}

fn described_by_attr(out: &mut String, described_by: &str) {
    if !described_by.is_empty() {
        out.push_str(" aria-describedby=\"");
        escape(out, described_by);
        out.push('"');
    }
}

fn input(out: &mut String, p: &Value) {
    let Control { id, described_by, error } = control(out, p, false);
    open_control(out, p, "input", &id, error);
    out.push_str("\" type=\"");
    put(out, &either_or(p, "type", "text"));
    out.push('"');
    spellcheck(out, p);
    let value = get(p, "value");
    if !value.is_undefined() && !value.is_none() {
        out.push_str(" value=\"");
        put(out, &value);
        out.push('"');
    }
    described_by_attr(out, &described_by);
    attr(out, p, "autocomplete", "autocomplete");
    attr(out, p, "inputmode", "inputmode");
    out.push_str(">\n</div>");
}

/// `v.key or default`.
fn either_or(v: &Value, key: &str, default: &'static str) -> Value {
    let x = get(v, key);
    if x.is_true() { x } else { Value::from(default) }
}

fn textarea(out: &mut String, p: &Value) {
    let Control { id, described_by, error } = control(out, p, true);
    open_control(out, p, "textarea", &id, error);
    out.push_str("\" rows=\"");
    let rows = get(p, "rows");
    if rows.is_true() {
        put(out, &rows)
    } else {
        out.push('5')
    }
    out.push('"');
    spellcheck(out, p);
    if set(p, "disabled") {
        out.push_str(" disabled");
    }
    described_by_attr(out, &described_by);
    attr(out, p, "autocomplete", "autocomplete");
    out.push('>');
    let value = get(p, "value");
    if !value.is_undefined() && !value.is_none() {
        put(out, &value);
    }
    out.push_str("</textarea>\n</div>");
}

/// The character count: a textarea whose limit is said below it (without
/// JavaScript, "You can enter up to N characters"; with it, govuk-frontend's
/// script counts as you type). Options: those of a textarea, `maxlength`,
/// `textareaDescriptionText` (with `%{count}`), and `i18n`, a map of the
/// script's messages by its keys (`characters-under-limit.one`, ...), for Welsh.
fn character_count(out: &mut String, p: &Value) {
    let id = either(p, "id", "name");
    let id_text = text(&id);
    let error = set(p, "errorMessage");
    out.push_str("<div class=\"govuk-form-group govuk-character-count");
    if error {
        out.push_str(" govuk-form-group--error");
    }
    out.push_str("\" data-module=\"govuk-character-count\" data-maxlength=\"");
    let max = get(p, "maxlength");
    put(out, &max);
    out.push('"');
    let i18n = get(p, "i18n");
    if let Ok(keys) = i18n.try_iter() {
        for k in keys {
            let _ = write!(out, " data-i18n.{}=\"", text(&k));
            put(out, &i18n.get_item(&k).unwrap_or(Value::UNDEFINED));
            out.push('"');
        }
    }
    out.push_str(">\n  ");
    control_label(out, p, &id);
    let mut described_by = format!("{id_text}-info");
    hint_and_error(out, p, &id_text, &mut described_by);
    out.push_str("\n  <textarea class=\"govuk-textarea");
    if error {
        out.push_str(" govuk-textarea--error");
    }
    out.push_str(" govuk-js-character-count");
    classes(out, p, "classes");
    out.push_str("\" id=\"");
    put(out, &id);
    out.push_str("\" name=\"");
    put(out, &get(p, "name"));
    out.push_str("\" rows=\"");
    put(out, &either_or(p, "rows", "5"));
    out.push('"');
    spellcheck(out, p);
    described_by_attr(out, &described_by);
    out.push('>');
    let value = get(p, "value");
    if !value.is_undefined() && !value.is_none() {
        put(out, &value);
    }
    out.push_str("</textarea>\n  <div id=\"");
    put(out, &id);
    out.push_str("-info\" class=\"govuk-hint govuk-character-count__message\">\n    ");
    let description = text(&either_or(p, "textareaDescriptionText", "You can enter up to %{count} characters"));
    escape(out, &description.replace("%{count}", &text(&max)));
    out.push_str("\n  </div>\n</div>");
}

/// `v | lower if v is boolean else v`: how a choice's value is written.
fn put_value(out: &mut String, v: &Value) {
    if v.kind() == ValueKind::Bool {
        out.push_str(if v.is_true() { "true" } else { "false" });
    } else {
        put(out, v);
    }
}

fn select(out: &mut String, p: &Value) {
    let Control { id, described_by, error } = control(out, p, true);
    open_control(out, p, "select", &id, error);
    out.push('"');
    if set(p, "disabled") {
        out.push_str(" disabled");
    }
    described_by_attr(out, &described_by);
    out.push('>');
    let chosen = get(p, "value");
    for item in items(p) {
        if !item.is_true() {
            continue;
        }
        let value = get(&item, "value");
        let effective = if value.is_undefined() { get(&item, "text") } else { value.clone() };
        let selected = get(&item, "selected");
        let is_selected = selected.is_true() || (chosen.is_true() && effective == chosen && !is_false(&selected));
        out.push_str("\n    <option");
        if !value.is_undefined() {
            out.push_str(" value=\"");
            if !value.is_none() {
                put_value(out, &value);
            }
            out.push('"');
        }
        if is_selected {
            out.push_str(" selected");
        }
        if set(&item, "disabled") {
            out.push_str(" disabled");
        }
        out.push('>');
        put(out, &get(&item, "text"));
        out.push_str("</option>");
    }
    out.push_str("\n  </select>\n</div>");
}

/// `params["items"]`, each item (empty when not a list).
fn items(p: &Value) -> Vec<Value> {
    list(&get(p, "items"))
}

fn button(out: &mut String, p: &Value) {
    out.push_str("<button type=\"");
    put(out, &either_or(p, "type", "submit"));
    out.push('"');
    attr(out, p, "value", "value");
    attr(out, p, "name", "name");
    let pdc = get(p, "preventDoubleClick");
    if !pdc.is_undefined() && !pdc.is_none() {
        out.push_str(if pdc.is_true() {
            " data-prevent-double-click=\"true\""
        } else {
            " data-prevent-double-click=\"false\""
        });
    }
    out.push_str(" class=\"govuk-button");
    classes(out, p, "classes");
    out.push_str("\" data-module=\"govuk-button\"");
    attr(out, p, "id", "id");
    out.push_str(">\n  ");
    html_or(out, p, "html", "text");
    out.push_str("\n</button>");
}

fn skip_link(out: &mut String, p: &Value) {
    out.push_str("<a href=\"");
    put(out, &either_or(p, "href", "#content"));
    out.push_str("\" class=\"govuk-skip-link");
    classes(out, p, "classes");
    out.push_str("\" data-module=\"govuk-skip-link\">");
    html_or(out, p, "html", "text");
    out.push_str("</a>");
}

fn language_navigation(out: &mut String, p: &Value) {
    out.push_str("<nav class=\"govuk-language-navigation");
    classes(out, p, "classes");
    out.push_str("\" aria-label=\"");
    put(out, &either_or(p, "label", "Language"));
    out.push_str("\">\n  <ul class=\"govuk-language-navigation__list\">");
    for item in items(p) {
        out.push_str("\n    <li class=\"govuk-language-navigation__list-item\">");
        let lang = get(&item, "lang");
        if set(&item, "current") {
            out.push_str("\n      <span class=\"govuk-language-navigation__text\" aria-current=\"true\" lang=\"");
            put(out, &lang);
            out.push_str("\">");
            html_or(out, &item, "html", "text");
            out.push_str("</span>");
        } else {
            out.push_str("\n      <a class=\"govuk-language-navigation__link\" href=\"");
            put(out, &get(&item, "href"));
            out.push_str("\" rel=\"alternate\" lang=\"");
            put(out, &lang);
            out.push_str("\" hreflang=\"");
            put(out, &lang);
            out.push_str("\">");
            html_or(out, &item, "html", "text");
            out.push_str("</a>");
        }
        out.push_str("\n    </li>");
    }
    out.push_str("\n  </ul>\n</nav>");
}

/// A fieldset around `body` (a call block's content) or `params.html`.
fn fieldset(out: &mut String, p: &Value, body: Option<&Value>) {
    let html = get(p, "html");
    let content = match body {
        Some(body) => Some(body.to_string()),
        None if html.is_true() => Some(html.to_string()),
        None => None,
    };
    let (described_by, role) = (get(p, "describedBy"), get(p, "role"));
    fieldset_of(out, &described_by, &get(p, "classes"), &role, &get(p, "legend"), content.as_deref());
}

/// A fieldset from its parts, around `content` (HTML).
fn fieldset_of(
    out: &mut String,
    described_by: &Value,
    extra: &Value,
    role: &Value,
    legend: &Value,
    content: Option<&str>,
) {
    let legend = if legend.is_true() { legend.clone() } else { Value::UNDEFINED };
    out.push_str("<fieldset class=\"govuk-fieldset");
    extra_class(out, extra);
    out.push('"');
    attr_of(out, "role", role);
    attr_of(out, "aria-describedby", described_by);
    out.push('>');
    if set(&legend, "html") || set(&legend, "text") {
        out.push_str("\n  <legend class=\"govuk-fieldset__legend");
        classes(out, &legend, "classes");
        out.push_str("\">");
        if set(&legend, "isPageHeading") {
            out.push_str("\n    <h1 class=\"govuk-fieldset__heading\">\n      ");
            html_or(out, &legend, "html", "text");
            out.push_str("\n    </h1>");
        } else {
            out.push_str("\n    ");
            html_or(out, &legend, "html", "text");
        }
        out.push_str("\n  </legend>");
    }
    if let Some(content) = content {
        out.push_str("\n  ");
        out.push_str(content);
    }
    out.push_str("\n</fieldset>");
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Kind {
    Radios,
    Checkboxes,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Kind::Radios => "radios",
            Kind::Checkboxes => "checkboxes",
        }
    }
}

/// `values` contains `v`, as the template's `in` tests it.
fn contains(values: &Value, v: &Value) -> bool {
    match (values.as_str(), v.as_str()) {
        (Some(hay), Some(needle)) => hay.contains(needle),
        _ => match values.kind() {
            ValueKind::Map => values.get_item(v).map(|x| !x.is_undefined()).unwrap_or(false),
            _ => values.try_iter().map(|mut it| it.any(|x| &x == v)).unwrap_or(false),
        },
    }
}

/// Radios and checkboxes share their markup.
fn choices(out: &mut String, p: &Value, kind: Kind) {
    let k = kind.name();
    let id_prefix = text(&either(p, "idPrefix", "name"));
    let fs = get_or_empty(p, "fieldset");
    let has_fieldset = set(p, "fieldset");
    let mut described_by =
        if kind == Kind::Checkboxes && set(p, "describedBy") { text(&get(p, "describedBy")) } else { String::new() };
    if set(&fs, "describedBy") {
        described_by = text(&get(&fs, "describedBy"));
    }
    let mut inner = String::with_capacity(1024);
    // The hint's and error's ids join `describedBy` as the template's
    // opening lines add them.
    hint_and_error(&mut inner, p, &id_prefix, &mut described_by);
    let _ = write!(inner, "\n  <div class=\"govuk-{k}");
    classes(&mut inner, p, "classes");
    let _ = write!(inner, "\" data-module=\"govuk-{k}\">");
    let value = get(p, "value");
    let values = get(p, "values");
    for (i, item) in items(p).iter().enumerate() {
        if !item.is_true() {
            continue;
        }
        let item_id = match get(item, "id") {
            id if id.is_true() => text(&id),
            _ if i > 0 => format!("{id_prefix}-{}", i + 1),
            _ => id_prefix.clone(),
        };
        let divider = get(item, "divider");
        if divider.is_true() {
            let _ = write!(inner, "\n    <div class=\"govuk-{k}__divider\">");
            put(&mut inner, &divider);
            inner.push_str("</div>");
            continue;
        }
        let checked = get(item, "checked");
        let item_value = get(item, "value");
        let is_checked = checked.is_true()
            || match kind {
                Kind::Radios => value.is_true() && item_value == value && !is_false(&checked),
                Kind::Checkboxes => values.is_true() && contains(&values, &item_value) && !is_false(&checked),
            };
        let item_hint = get_or_empty(item, "hint");
        let item_label = get_or_empty(item, "label");
        let conditional = get_or_empty(item, "conditional");
        let has_hint = set(&item_hint, "text") || set(&item_hint, "html");
        let item_hint_id = format!("{item_id}-item-hint");
        let item_described_by = match kind {
            Kind::Checkboxes => {
                let own = if has_fieldset { "" } else { described_by.as_str() };
                let hint_part = if has_hint { format!(" {item_hint_id}") } else { String::new() };
                format!("{own}{hint_part}").trim().to_owned()
            }
            Kind::Radios if has_hint => item_hint_id.clone(),
            Kind::Radios => String::new(),
        };
        let _ = write!(inner, "\n    <div class=\"govuk-{k}__item\">\n      <input class=\"govuk-{k}__input\" id=\"");
        escape(&mut inner, &item_id);
        inner.push_str("\" name=\"");
        let name = if kind == Kind::Checkboxes && set(item, "name") { get(item, "name") } else { get(p, "name") };
        put(&mut inner, &name);
        inner.push_str(if kind == Kind::Radios {
            "\" type=\"radio\" value=\""
        } else {
            "\" type=\"checkbox\" value=\""
        });
        put_value(&mut inner, &item_value);
        inner.push('"');
        if is_checked {
            inner.push_str(" checked");
        }
        if set(item, "disabled") {
            inner.push_str(" disabled");
        }
        let conditional_html = get(&conditional, "html");
        if conditional_html.is_true() {
            inner.push_str(" data-aria-controls=\"conditional-");
            escape(&mut inner, &item_id);
            inner.push('"');
        }
        if kind == Kind::Checkboxes {
            attr(&mut inner, item, "behaviour", "data-behaviour");
        }
        if !item_described_by.is_empty() {
            inner.push_str(" aria-describedby=\"");
            escape(&mut inner, &item_described_by);
            inner.push('"');
        }
        inner.push_str(">\n      ");
        let mut label_classes = format!("govuk-{k}__label");
        if set(&item_label, "classes") {
            label_classes.push(' ');
            label_classes.push_str(&text(&get(&item_label, "classes")));
        }
        let (item_html, item_text) = (get(item, "html"), get(item, "text"));
        label_of(
            &mut inner,
            &item_html,
            &item_text,
            &Value::from(label_classes),
            &Value::from(item_id.as_str()),
            false,
        );
        if has_hint {
            let mut hint_classes = format!("govuk-{k}__hint");
            if set(&item_hint, "classes") {
                hint_classes.push(' ');
                hint_classes.push_str(&text(&get(&item_hint, "classes")));
            }
            inner.push_str("\n      ");
            hint_of(&mut inner, &Value::from(item_hint_id), &item_hint, &Value::from(hint_classes));
        }
        inner.push_str("\n    </div>");
        if conditional_html.is_true() {
            let _ = write!(inner, "\n    <div class=\"govuk-{k}__conditional");
            if !is_checked {
                let _ = write!(inner, " govuk-{k}__conditional--hidden");
            }
            inner.push_str("\" id=\"conditional-");
            escape(&mut inner, &item_id);
            inner.push_str("\">\n      ");
            inner.push_str(&conditional_html.to_string());
            inner.push_str("\n    </div>");
        }
    }
    inner.push_str("\n  </div>");
    grouped(out, p, described_by, Value::UNDEFINED, &inner);
}

/// The form group around a set of controls (radios, checkboxes, a date): in
/// the `fieldset` option's fieldset, when there is one.
fn grouped(out: &mut String, p: &Value, described_by: String, role: Value, inner: &str) {
    form_group(out, p, true);
    if set(p, "fieldset") {
        let fs = get(p, "fieldset");
        fieldset_of(out, &Value::from(described_by), &get(&fs, "classes"), &role, &get(&fs, "legend"), Some(inner));
    } else {
        out.push_str(inner);
    }
    out.push_str("\n</div>");
}

fn error_summary(out: &mut String, p: &Value) {
    out.push_str("<div class=\"govuk-error-summary\" data-module=\"govuk-error-summary\">\n  <div role=\"alert\">\n    <h2 class=\"govuk-error-summary__title\">\n      ");
    html_or(out, p, "titleHtml", "titleText");
    out.push_str("\n    </h2>\n    <div class=\"govuk-error-summary__body\">");
    if set(p, "descriptionText") || set(p, "descriptionHtml") {
        out.push_str("\n      <p>\n        ");
        html_or(out, p, "descriptionHtml", "descriptionText");
        out.push_str("\n      </p>");
    }
    if set(p, "errorList") {
        out.push_str("\n      <ul class=\"govuk-list govuk-error-summary__list\">");
        for item in list(&get(p, "errorList")) {
            out.push_str("\n        <li>\n          ");
            let href = get(&item, "href");
            if href.is_true() {
                out.push_str("<a href=\"");
                put(out, &href);
                out.push_str("\">");
                html_or(out, &item, "html", "text");
                out.push_str("</a>");
            } else {
                html_or(out, &item, "html", "text");
            }
            out.push_str("\n        </li>");
        }
        out.push_str("\n      </ul>");
    }
    out.push_str("\n    </div>\n  </div>\n</div>");
}

/// `s | capitalize`: the first character upper case, the rest lower case.
fn capitalize(s: &str) -> String {
    let mut chars = s.chars();
    match chars.next() {
        Some(first) => first.to_uppercase().chain(chars.flat_map(char::to_lowercase)).collect(),
        None => String::new(),
    }
}

/// `needle in haystack` for text (`false` unless both are strings).
fn has(haystack: &Value, needle: &str) -> bool {
    haystack.as_str().is_some_and(|h| h.contains(needle))
}

fn date_input(out: &mut String, p: &Value) {
    let fs = get_or_empty(p, "fieldset");
    let values = get_or_empty(p, "values");
    let id = text(&get(p, "id"));
    let mut described_by = if set(&fs, "describedBy") { text(&get(&fs, "describedBy")) } else { String::new() };
    let name_prefix = if set(p, "namePrefix") { format!("{}-", text(&get(p, "namePrefix"))) } else { String::new() };
    let default = |part: &str, width: &str| {
        let given = get(p, part);
        if given.is_undefined() {
            sub(&[("name", Value::from(part)), ("value", get(&values, part)), ("classes", Value::from(width))])
        } else {
            given
        }
    };
    let defaults = [
        default("day", "govuk-input--width-2"),
        default("month", "govuk-input--width-2"),
        default("year", "govuk-input--width-4"),
    ];
    let custom = set(p, "items");
    let date_items = if custom { items(p) } else { defaults.to_vec() };
    let any_item_has_error = date_items.iter().any(|item| {
        item.is_true() && (set(item, "error") || has(&get_or_empty(item, "classes"), "govuk-input--error"))
    });
    let mut inner = String::with_capacity(1024);
    hint_and_error(&mut inner, p, &id, &mut described_by);
    inner.push_str("\n  <div class=\"govuk-date-input");
    classes(&mut inner, p, "classes");
    inner.push('"');
    attr(&mut inner, p, "id", "id");
    inner.push('>');
    const PARTS: [&str; 3] = ["day", "month", "year"];
    for (i, item) in date_items.iter().enumerate() {
        if !item.is_true() {
            continue;
        }
        // Which of day, month and year this item is (none for a custom item of another name).
        let part = if !custom {
            PARTS.get(i).copied()
        } else {
            let name = get(item, "name");
            PARTS
                .iter()
                .zip(&defaults)
                .find(|(part, default)| name.is_true() && (name == Value::from(**part) || name == get(default, "name")))
                .map(|(part, _)| *part)
        };
        let (item_name, item_value) = match part {
            Some(part) => {
                let name = get(item, "name");
                let value = get(item, "value");
                let default = &defaults[PARTS.iter().position(|x| *x == part).unwrap_or(0)];
                (
                    if name.is_undefined() { Value::from(part) } else { name },
                    if value.is_undefined() { get(default, "value") } else { value },
                )
            }
            None => (get(item, "name"), get(item, "value")),
        };
        let item_name = text(&item_name);
        let item_value =
            if item_value.is_undefined() { get(&values, &format!("{name_prefix}{item_name}")) } else { item_value };
        let item_classes = text(&either_or(item, "classes", ""));
        let item_error = get(item, "error");
        let item_has_error = item_error.is_true() || item_classes.contains("govuk-input--error");
        let mut classes = String::new();
        if !item_classes.contains("govuk-input--error")
            && (item_has_error || (!is_false(&item_error) && set(p, "errorMessage") && !any_item_has_error))
        {
            classes.push_str("govuk-input--error");
        }
        if !item_classes.contains("govuk-input--width-") {
            let width = if part == Some("year") { 4 } else { 2 };
            classes = join_trim(&classes, &format!("govuk-input--width-{width}"));
        }
        if !item_classes.is_empty() {
            classes = join_trim(&classes, &item_classes);
        }
        let label_text = if set(item, "label") { get(item, "label") } else { Value::from(capitalize(&item_name)) };
        let item_id = if set(item, "id") { get(item, "id") } else { Value::from(format!("{id}-{item_name}")) };
        let input_classes = if classes.is_empty() {
            "govuk-date-input__input".to_owned()
        } else {
            format!("govuk-date-input__input {classes}")
        };
        inner.push_str("\n    <div class=\"govuk-date-input__item\">\n      ");
        input(
            &mut inner,
            &sub(&[
                ("label", sub(&[("text", label_text), ("classes", Value::from("govuk-date-input__label"))])),
                ("id", item_id),
                ("classes", Value::from(input_classes)),
                ("name", Value::from(format!("{name_prefix}{item_name}"))),
                ("value", item_value),
                ("type", Value::from("text")),
                ("inputmode", either_or(item, "inputmode", "numeric")),
                ("autocomplete", get(item, "autocomplete")),
            ]),
        );
        inner.push_str("\n    </div>");
    }
    inner.push_str("\n  </div>");
    grouped(out, p, described_by, Value::from("group"), &inner);
}

/// The items of a list option (empty when it is not a list).
fn list(v: &Value) -> Vec<Value> {
    match v.try_iter() {
        Ok(it) => it.collect(),
        Err(_) => Vec::new(),
    }
}

/// One action link of a summary list row or card (`card_title` is the card's title, if any).
fn summary_list_action(out: &mut String, action: &Value, card_title: &Value) {
    out.push_str("<a class=\"govuk-link");
    classes(out, action, "classes");
    out.push_str("\" href=\"");
    put(out, &get(action, "href"));
    out.push_str("\">");
    html_or(out, action, "html", "text");
    let hidden = get(action, "visuallyHiddenText");
    if hidden.is_true() || card_title.is_true() {
        out.push_str("<span class=\"govuk-visually-hidden\">");
        if hidden.is_true() {
            out.push(' ');
            put(out, &hidden);
        }
        if card_title.is_true() {
            out.push_str(" (");
            html_or(out, card_title, "html", "text");
            out.push(')');
        }
        out.push_str("</span>");
    }
    out.push_str("</a>");
}

fn summary_list(out: &mut String, p: &Value) {
    let card = get_or_empty(p, "card");
    let card_title = get(&card, "title");
    let rows = list(&get(p, "rows"));
    let any_row_has_actions =
        rows.iter().any(|row| row.is_true() && set(row, "actions") && set(&get(row, "actions"), "items"));
    let mut dl = String::with_capacity(2048);
    dl.push_str("<dl class=\"govuk-summary-list");
    classes(&mut dl, p, "classes");
    dl.push_str("\">");
    for row in rows.iter().filter(|r| r.is_true()) {
        let actions = get_or_empty(row, "actions");
        let action_items = list(&get_or_empty(&actions, "items"));
        let key = get_or_empty(row, "key");
        let value = get_or_empty(row, "value");
        dl.push_str("\n  <div class=\"govuk-summary-list__row");
        if any_row_has_actions && action_items.is_empty() {
            dl.push_str(" govuk-summary-list__row--no-actions");
        }
        classes(&mut dl, row, "classes");
        dl.push_str("\">\n    <dt class=\"govuk-summary-list__key");
        classes(&mut dl, &key, "classes");
        dl.push_str("\">\n      ");
        html_or(&mut dl, &key, "html", "text");
        dl.push_str("\n    </dt>\n    <dd class=\"govuk-summary-list__value");
        classes(&mut dl, &value, "classes");
        dl.push_str("\">\n      ");
        html_or(&mut dl, &value, "html", "text");
        dl.push_str("\n    </dd>");
        if !action_items.is_empty() {
            dl.push_str("\n    <dd class=\"govuk-summary-list__actions");
            classes(&mut dl, &actions, "classes");
            dl.push_str("\">");
            if let [only] = action_items.as_slice() {
                dl.push_str("\n      ");
                summary_list_action(&mut dl, only, &card_title);
            } else {
                dl.push_str("\n      <ul class=\"govuk-summary-list__actions-list\">");
                for action in &action_items {
                    dl.push_str("\n        <li class=\"govuk-summary-list__actions-list-item\">\n          ");
                    summary_list_action(&mut dl, action, &card_title);
                    dl.push_str("\n        </li>");
                }
                dl.push_str("\n      </ul>");
            }
            dl.push_str("\n    </dd>");
        }
        dl.push_str("\n  </div>");
    }
    dl.push_str("\n</dl>");
    if !set(p, "card") {
        out.push_str(&dl);
        return;
    }
    let title = get_or_empty(&card, "title");
    let card_actions = list(&get_or_empty(&get_or_empty(&card, "actions"), "items"));
    out.push_str("<div class=\"govuk-summary-card");
    classes(out, &card, "classes");
    out.push_str("\">\n  <div class=\"govuk-summary-card__title-wrapper\">");
    if card_title.is_true() {
        let level = either_or(&title, "headingLevel", "2");
        out.push_str("\n    <h");
        put(out, &level);
        out.push_str(" class=\"govuk-summary-card__title");
        classes(out, &title, "classes");
        out.push_str("\">\n      ");
        html_or(out, &title, "html", "text");
        out.push_str("\n    </h");
        put(out, &level);
        out.push('>');
    }
    let actions = get(&card, "actions");
    if let [only] = card_actions.as_slice() {
        out.push_str("\n    <div class=\"govuk-summary-card__actions");
        classes(out, &actions, "classes");
        out.push_str("\">\n      ");
        summary_list_action(out, only, &card_title);
        out.push_str("\n    </div>");
    } else if !card_actions.is_empty() {
        out.push_str("\n    <ul class=\"govuk-summary-card__actions");
        classes(out, &actions, "classes");
        out.push_str("\">");
        for action in &card_actions {
            out.push_str("\n      <li class=\"govuk-summary-card__action\">\n        ");
            summary_list_action(out, action, &card_title);
            out.push_str("\n      </li>");
        }
        out.push_str("\n    </ul>");
    }
    out.push_str("\n  </div>\n  <div class=\"govuk-summary-card__content\">\n    ");
    out.push_str(&dl);
    out.push_str("\n  </div>\n</div>");
}

fn back_link(out: &mut String, p: &Value) {
    out.push_str("<a href=\"");
    put(out, &either_or(p, "href", "#"));
    out.push_str("\" class=\"govuk-back-link");
    classes(out, p, "classes");
    out.push_str("\">");
    if set(p, "html") {
        html_or(out, p, "html", "text");
    } else {
        put(out, &either_or(p, "text", "Back"));
    }
    out.push_str("</a>");
}

fn panel(out: &mut String, p: &Value, body: Option<&Value>) {
    let level = either_or(p, "headingLevel", "1");
    let interruption = has(&get(p, "classes"), "govuk-panel--interruption");
    out.push_str("<div class=\"govuk-panel");
    if !interruption {
        out.push_str(" govuk-panel--confirmation");
    }
    classes(out, p, "classes");
    out.push_str("\">\n  <h");
    put(out, &level);
    out.push_str(" class=\"govuk-panel__title\">\n    ");
    html_or(out, p, "titleHtml", "titleText");
    out.push_str("\n  </h");
    put(out, &level);
    out.push('>');
    if body.is_some() || set(p, "html") || set(p, "text") {
        out.push_str("\n  <div class=\"govuk-panel__body\">\n    ");
        body_or(out, p, body);
        out.push_str("\n  </div>");
    }
    out.push_str("\n</div>");
}

fn details(out: &mut String, p: &Value, body: Option<&Value>) {
    out.push_str("<details");
    attr(out, p, "id", "id");
    out.push_str(" class=\"govuk-details");
    classes(out, p, "classes");
    out.push('"');
    if set(p, "open") {
        out.push_str(" open");
    }
    out.push_str(
        ">\n  <summary class=\"govuk-details__summary\">\n    <span class=\"govuk-details__summary-text\">\n      ",
    );
    html_or(out, p, "summaryHtml", "summaryText");
    out.push_str("\n    </span>\n  </summary>\n  <div class=\"govuk-details__text\">\n    ");
    body_or(out, p, body);
    out.push_str("\n  </div>\n</details>");
}

fn inset_text(out: &mut String, p: &Value, body: Option<&Value>) {
    out.push_str("<div");
    attr(out, p, "id", "id");
    out.push_str(" class=\"govuk-inset-text");
    classes(out, p, "classes");
    out.push_str("\">\n  ");
    body_or(out, p, body);
    out.push_str("\n</div>");
}

fn warning_text(out: &mut String, p: &Value) {
    out.push_str("<div class=\"govuk-warning-text");
    classes(out, p, "classes");
    out.push_str("\">\n  <span class=\"govuk-warning-text__icon\" aria-hidden=\"true\">!</span>\n  <strong class=\"govuk-warning-text__text\">\n    <span class=\"govuk-visually-hidden\">");
    put(out, &either_or(p, "iconFallbackText", "Warning"));
    out.push_str("</span>\n    ");
    html_or(out, p, "html", "text");
    out.push_str("\n  </strong>\n</div>");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escaping_is_minijinjas() {
        let mut env = Environment::new();
        // Named *.html, so auto-escaping is on, as for the service's templates.
        env.add_template("x.html", "{{ s }}").unwrap();
        for s in ["a<b>&\"c'/d", "plain", "", "é/ü", "&amp;"] {
            let want = env.get_template("x.html").unwrap().render(minijinja::context! { s }).unwrap();
            let mut got = String::new();
            escape(&mut got, s);
            assert_eq!(got, want, "{s}");
        }
    }

    #[test]
    fn values_are_written_as_templates_write_them() {
        let mut env = Environment::new();
        env.add_template("x.html", "{{ v }}").unwrap();
        for v in [
            Value::from(true),
            Value::from(false),
            Value::from(42),
            Value::from(-1.5),
            Value::from(()),
            Value::UNDEFINED,
            Value::from_safe_string("<b>safe</b>".into()),
            Value::from(vec!["a/b", "<c>"]),
        ] {
            let want = env.get_template("x.html").unwrap().render(minijinja::context! { v => v.clone() }).unwrap();
            let mut got = String::new();
            put(&mut got, &v);
            assert_eq!(got, want, "{v:?}");
        }
    }
}
