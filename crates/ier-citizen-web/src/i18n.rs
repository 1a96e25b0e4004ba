//! English and Welsh: Fluent translations, chosen per request.
//!
//! The language is a property of each request (query `?lang=cy`, then the
//! `lang` cookie, then `Accept-Language`), never global state. Messages live in
//! `locales/en.ftl` and `locales/cy.ftl`; Fluent applies each language's plural
//! rules (Welsh has six forms: zero, one, two, few, many, other).

use std::collections::HashMap;
use std::sync::LazyLock;

use axum::extract::FromRequestParts;
use axum::http::header;
use axum::http::request::Parts;
use fluent_bundle::concurrent::FluentBundle;
use fluent_bundle::{FluentArgs, FluentResource, FluentValue};
use ier_domain::Language;
use unic_langid::LanguageIdentifier;

/// A site's messages in English and Welsh (the public site's are in
/// `locales/`; the ERO portal has its own).
pub struct Catalogue {
    en: FluentBundle<FluentResource>,
    cy: FluentBundle<FluentResource>,
    sources: [&'static str; 2],
}

fn bundle(lang: &str, source: &'static str) -> FluentBundle<FluentResource> {
    let id: LanguageIdentifier = lang.parse().expect("valid language id");
    let mut b = FluentBundle::new_concurrent(vec![id]);
    // No Unicode isolation marks around arguments: our pages are left-to-right.
    b.set_use_isolating(false);
    let resource = FluentResource::try_new(source.to_owned()).unwrap_or_else(|(_, e)| panic!("{lang}.ftl: {e:?}"));
    b.add_resource(resource).unwrap_or_else(|e| panic!("{lang}.ftl: {e:?}"));
    b
}

impl Catalogue {
    /// From the two languages' Fluent sources (a source that does not parse is a bug: panics).
    pub fn new(en: &'static str, cy: &'static str) -> Self {
        Self { en: bundle("en", en), cy: bundle("cy", cy), sources: [en, cy] }
    }

    /// Translate `key` into `lang` with arguments. A missing message is a bug:
    /// the tests check every key exists in both languages.
    pub fn translate(&self, lang: Language, key: &str, args: &HashMap<String, String>) -> String {
        let b = match lang {
            Language::En => &self.en,
            Language::Cy => &self.cy,
        };
        let Some(pattern) = b.get_message(key).and_then(|m| m.value()) else {
            return key.to_owned();
        };
        let mut fargs = FluentArgs::new();
        for (k, v) in args {
            // Numbers stay numbers, so plural rules apply.
            match v.parse::<f64>() {
                Ok(n) => fargs.set(k.as_str(), FluentValue::from(n)),
                Err(_) => fargs.set(k.as_str(), FluentValue::from(v.as_str())),
            }
        }
        let mut errors = Vec::new();
        b.format_pattern(pattern, Some(&fargs), &mut errors).into_owned()
    }

    /// Message ids defined in a language's file.
    pub fn keys(&self, lang: Language) -> Vec<String> {
        let source = match lang {
            Language::En => self.sources[0],
            Language::Cy => self.sources[1],
        };
        source
            .lines()
            .filter_map(|l| l.split_once(" =").map(|(k, _)| k.trim()))
            .filter(|k| !k.is_empty() && !k.starts_with('#') && !k.starts_with(' ') && !k.starts_with('.'))
            .filter(|k| k.chars().all(|c| c.is_ascii_alphanumeric() || c == '-'))
            .map(str::to_owned)
            .collect()
    }
}

static BUNDLES: LazyLock<Catalogue> =
    LazyLock::new(|| Catalogue::new(include_str!("../locales/en.ftl"), include_str!("../locales/cy.ftl")));

/// Translate a public-site message ([`Catalogue::translate`]).
pub fn translate(lang: Language, key: &str, args: &HashMap<String, String>) -> String {
    BUNDLES.translate(lang, key, args)
}

/// The public site's message ids in a language.
pub fn keys(lang: Language) -> Vec<String> {
    BUNDLES.keys(lang)
}

/// The request's language, and whether it was asked for explicitly (`?lang=`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Lang {
    pub language: Language,
    pub explicit: bool,
}

impl<S: Send + Sync> FromRequestParts<S> for Lang {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, _: &S) -> Result<Self, Self::Rejection> {
        // Worked out once per request (the middleware and the handler all ask).
        if let Some(lang) = parts.extensions.get::<Lang>() {
            return Ok(*lang);
        }
        let lang = Self::of(parts);
        parts.extensions.insert(lang);
        Ok(lang)
    }
}

impl Lang {
    fn of(parts: &Parts) -> Self {
        let cookies = parts.headers.get_all(header::COOKIE).iter().filter_map(|v| v.to_str().ok());
        let accept = parts.headers.get(header::ACCEPT_LANGUAGE).and_then(|v| v.to_str().ok()).unwrap_or("");
        choose(parts.uri.query().unwrap_or(""), cookies, accept)
    }
}

/// A request's language from what it carries, all of it outside input: `lang=` in its query
/// (explicit), then a `lang` cookie (in any of its `Cookie` headers), then `Accept-Language`
/// ([`from_accept_language`]). Pure, so it is fuzzed (`fuzz/`, target `accept_language`).
pub fn choose<'a>(query: &str, cookie_headers: impl IntoIterator<Item = &'a str>, accept_language: &str) -> Lang {
    if let Some(language) = query.split('&').find_map(|kv| kv.strip_prefix("lang=")).and_then(|l| l.parse().ok()) {
        return Lang { language, explicit: true };
    }
    let cookie = cookie_headers
        .into_iter()
        .flat_map(|v| v.split(';'))
        .find_map(|c| c.trim().strip_prefix("lang=").and_then(|l| l.parse().ok()));
    if let Some(language) = cookie {
        return Lang { language, explicit: false };
    }
    Lang { language: from_accept_language(accept_language), explicit: false }
}

/// Welsh or English from an `Accept-Language` header (RFC 9110, section 12.5.4): the
/// language range the browser weights highest (`q`, 1 when not given; the first of equal
/// weights) among those naming Welsh (`cy`, `cy-GB`), English (`en`, `en-GB`) or any language
/// (`*`). Welsh only when that range names Welsh; English otherwise, and for a header that
/// names neither. A range with `q=0` is one the browser refuses; a malformed weight makes its
/// range count for nothing.
pub fn from_accept_language(header: &str) -> Language {
    let mut best: Option<(u16, Language)> = None;
    for range in header.split(',') {
        let mut parts = range.split(';');
        let tag = parts.next().unwrap_or("").trim();
        let primary = tag.split('-').next().unwrap_or("");
        let language = if primary.eq_ignore_ascii_case("cy") {
            Language::Cy
        } else if primary.eq_ignore_ascii_case("en") || tag == "*" {
            Language::En
        } else {
            continue;
        };
        let mut q = Some(1000);
        for param in parts {
            if let Some((name, value)) = param.split_once('=')
                && name.trim().eq_ignore_ascii_case("q")
            {
                q = quality(value.trim());
            }
        }
        if let Some(q) = q
            && q > 0
            && best.is_none_or(|(b, _)| q > b)
        {
            best = Some((q, language));
        }
    }
    best.map_or(Language::En, |(_, language)| language)
}

/// A weight (`qvalue`: 0 to 1 with at most three decimals) in thousandths; `None` if malformed.
fn quality(value: &str) -> Option<u16> {
    let (whole, decimals) = value.split_once('.').unwrap_or((value, ""));
    if decimals.len() > 3 || !decimals.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let thousandths =
        decimals.bytes().chain(std::iter::repeat(b'0')).take(3).fold(0u16, |n, b| n * 10 + u16::from(b - b'0'));
    match whole {
        "0" => Some(thousandths),
        "1" if thousandths == 0 => Some(1000),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_exists_in_both_languages() {
        let en = keys(Language::En);
        let cy = keys(Language::Cy);
        assert!(en.len() > 10);
        for k in &en {
            assert!(cy.contains(k), "{k} missing from cy.ftl");
        }
        for k in &cy {
            assert!(en.contains(k), "{k} missing from en.ftl");
        }
    }

    #[test]
    fn welsh_plurals_use_all_six_forms() {
        let args = |n: u32| HashMap::from([("count".to_string(), n.to_string())]);
        let forms: Vec<String> =
            [0, 1, 2, 3, 6, 7].iter().map(|n| translate(Language::Cy, "addresses-found", &args(*n))).collect();
        assert_eq!(
            forms,
            vec![
                "Dim cyfeiriadau wedi’u canfod",
                "1 cyfeiriad wedi’i ganfod",
                "2 gyfeiriad wedi’u canfod",
                "3 chyfeiriad wedi’u canfod",
                "6 chyfeiriad wedi’u canfod",
                "7 cyfeiriad wedi’u canfod",
            ]
        );
        assert_eq!(translate(Language::En, "addresses-found", &args(1)), "1 address found");
        assert_eq!(translate(Language::En, "addresses-found", &args(3)), "3 addresses found");
    }

    #[test]
    fn accept_language_weights_are_honoured() {
        for (header, language) in [
            ("", Language::En),
            ("cy", Language::Cy),
            ("CY-gb", Language::Cy),
            ("cy-GB,cy;q=0.9,en;q=0.5", Language::Cy),
            ("en-GB,en;q=0.9,cy;q=0.8", Language::En),
            // Neither offered language first: the first that is offered.
            ("fr-FR, fr;q=0.9, cy;q=0.8, en;q=0.7", Language::Cy),
            // Weights, not order.
            ("en;q=0.5, cy", Language::Cy),
            ("cy;q=0.5, en;q=0.500", Language::Cy),
            ("cy;q=0.5 , *", Language::En),
            // q=0 refuses Welsh; malformed weights count for nothing.
            ("cy;q=0", Language::En),
            ("cy;q=0.000, fr", Language::En),
            ("cy;q=2", Language::En),
            ("cy;q=0.5000", Language::En),
            ("cy;q=", Language::En),
            ("cy;q=1.0, en", Language::Cy),
            // Not Welsh, however it starts.
            ("cymraeg", Language::En),
            ("cyx-GB", Language::En),
            (",,;;==", Language::En),
        ] {
            assert_eq!(from_accept_language(header), language, "{header:?}");
        }
    }

    #[test]
    fn the_query_then_the_cookie_then_the_header() {
        assert_eq!(choose("a=1&lang=cy", ["lang=en"], "en"), Lang { language: Language::Cy, explicit: true });
        assert_eq!(choose("lang=xx", ["a=b", "x=y; lang=cy"], "en"), Lang { language: Language::Cy, explicit: false });
        assert_eq!(choose("", ["lang=fr"], "cy"), Lang { language: Language::Cy, explicit: false });
    }
}
