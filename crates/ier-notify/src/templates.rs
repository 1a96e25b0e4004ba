//! The text of every message, in English and Welsh, by email, text message
//! and letter (`templates/en.toml`, `templates/cy.toml`), and the ids those
//! templates have in GOV.UK Notify ([`TemplateIds`]).
//!
//! In production the templates live in Notify (made there from these files)
//! and the service sends only a template's id and its personalisation; the
//! simulator renders them here, as Notify would: each `((placeholder))`
//! replaced by its value, a missing value refused.

use std::collections::{BTreeMap, HashMap};
use std::sync::LazyLock;

use ier_domain::Language;
use ier_storage::Message;
use serde::Deserialize;

use crate::Channel;

/// One template: an email's subject or a letter's heading (none for a text
/// message), and its body.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Template {
    pub subject: Option<String>,
    pub body: String,
}

/// A template with its placeholders filled in.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Rendered {
    pub subject: Option<String>,
    pub body: String,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct MessageFile {
    email_subject: String,
    email_body: String,
    sms: String,
    letter_subject: String,
    letter_body: String,
}

/// Every template, by message, language and channel.
#[derive(Debug)]
pub struct Templates {
    by_key: HashMap<(Message, Language, Channel), Template>,
}

static EMBEDDED: LazyLock<Templates> = LazyLock::new(|| {
    Templates::from_toml(&[
        (Language::En, include_str!("../templates/en.toml")),
        (Language::Cy, include_str!("../templates/cy.toml")),
    ])
    .expect("the embedded templates are complete")
});

impl Templates {
    /// The templates this service sends.
    pub fn embedded() -> &'static Templates {
        &EMBEDDED
    }

    fn from_toml(files: &[(Language, &str)]) -> Result<Self, String> {
        let mut by_key = HashMap::new();
        for (language, text) in files {
            let parsed: BTreeMap<String, MessageFile> =
                toml::from_str(text).map_err(|e| format!("{} templates: {e}", language.as_str()))?;
            for message in Message::ALL {
                let m = parsed
                    .get(message.as_str())
                    .ok_or_else(|| format!("{} templates: no {}", language.as_str(), message.as_str()))?;
                let t = |subject: Option<&str>, body: &str| Template {
                    subject: subject.map(|s| s.trim().to_owned()),
                    body: body.trim().to_owned(),
                };
                by_key.insert((message, *language, Channel::Email), t(Some(&m.email_subject), &m.email_body));
                by_key.insert((message, *language, Channel::Sms), t(None, &m.sms));
                by_key.insert((message, *language, Channel::Letter), t(Some(&m.letter_subject), &m.letter_body));
            }
            if let Some(unknown) = parsed.keys().find(|k| Message::ALL.iter().all(|m| m.as_str() != k.as_str())) {
                return Err(format!("{} templates: {unknown} is not a message", language.as_str()));
            }
        }
        Ok(Self { by_key })
    }

    pub fn get(&self, message: Message, language: Language, channel: Channel) -> &Template {
        &self.by_key[&(message, language, channel)]
    }
}

/// The placeholders a text uses, in order of first use.
pub fn placeholders(text: &str) -> Vec<&str> {
    let mut found: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(start) = rest.find("((") {
        let after = &rest[start + 2..];
        let Some(end) = after.find("))") else { break };
        let name = &after[..end];
        if !found.contains(&name) {
            found.push(name);
        }
        rest = &after[end + 2..];
    }
    found
}

impl Template {
    /// Every placeholder of its subject and body.
    pub fn placeholders(&self) -> Vec<&str> {
        let mut all = self.subject.as_deref().map(placeholders).unwrap_or_default();
        for p in placeholders(&self.body) {
            if !all.contains(&p) {
                all.push(p);
            }
        }
        all
    }

    /// Fill in the placeholders, as Notify does; `Err` names the first one
    /// without a value (Notify answers 400 "Missing personalisation").
    pub fn render(&self, personalisation: &BTreeMap<String, String>) -> Result<Rendered, String> {
        let fill = |text: &str| -> Result<String, String> {
            let mut out = String::with_capacity(text.len() + 64);
            let mut rest = text;
            while let Some(start) = rest.find("((") {
                let after = &rest[start + 2..];
                let Some(end) = after.find("))") else { break };
                let name = &after[..end];
                let value = personalisation.get(name).ok_or_else(|| name.to_owned())?;
                out.push_str(&rest[..start]);
                out.push_str(value);
                rest = &after[end + 2..];
            }
            out.push_str(rest);
            Ok(out)
        };
        Ok(Rendered { subject: self.subject.as_deref().map(fill).transpose()?, body: fill(&self.body)? })
    }
}

/// The id each template has in GOV.UK Notify.
#[derive(Debug, Clone)]
pub struct TemplateIds {
    by_key: HashMap<(Message, Language, Channel), String>,
}

#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct ChannelIds {
    email: String,
    sms: String,
    letter: String,
}

impl TemplateIds {
    /// Ids for the simulator: `ier-sim/{message}/{language}/{channel}`.
    pub fn simulated() -> Self {
        let mut by_key = HashMap::new();
        for message in Message::ALL {
            for language in [Language::En, Language::Cy] {
                for channel in Channel::ALL {
                    let id = format!("ier-sim/{}/{}/{}", message.as_str(), language.as_str(), channel.as_str());
                    by_key.insert((message, language, channel), id);
                }
            }
        }
        Self { by_key }
    }

    /// Ids made in Notify's admin, from a file like
    ///
    /// ```toml
    /// [acknowledgement.en]
    /// email = "0e9a6a34-..."
    /// sms = "..."
    /// letter = "..."
    /// ```
    ///
    /// with every message in `en` and `cy`. A file that leaves one out is refused, naming it.
    pub fn from_toml(text: &str) -> Result<Self, String> {
        let parsed: BTreeMap<String, BTreeMap<String, ChannelIds>> =
            toml::from_str(text).map_err(|e| format!("the Notify template ids do not parse: {e}"))?;
        let mut by_key = HashMap::new();
        for message in Message::ALL {
            for language in [Language::En, Language::Cy] {
                let ids = parsed.get(message.as_str()).and_then(|m| m.get(language.as_str())).ok_or_else(|| {
                    format!("the Notify template ids have no [{}.{}]", message.as_str(), language.as_str())
                })?;
                for (channel, id) in
                    [(Channel::Email, &ids.email), (Channel::Sms, &ids.sms), (Channel::Letter, &ids.letter)]
                {
                    if uuid::Uuid::parse_str(id).is_err() {
                        return Err(format!(
                            "the Notify template id for {}.{}.{} is not a UUID",
                            message.as_str(),
                            language.as_str(),
                            channel.as_str()
                        ));
                    }
                    by_key.insert((message, language, channel), id.clone());
                }
            }
        }
        Ok(Self { by_key })
    }

    pub fn get(&self, message: Message, language: Language, channel: Channel) -> &str {
        &self.by_key[&(message, language, channel)]
    }

    /// The template an id stands for (the simulator's way back from an id).
    pub fn find(&self, id: &str) -> Option<(Message, Language, Channel)> {
        self.by_key.iter().find(|(_, v)| v.as_str() == id).map(|(k, _)| *k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_message_has_every_channel_in_both_languages_with_the_same_placeholders() {
        let t = Templates::embedded();
        for message in Message::ALL {
            for channel in Channel::ALL {
                let en = t.get(message, Language::En, channel);
                let cy = t.get(message, Language::Cy, channel);
                let (mut a, mut b) = (en.placeholders(), cy.placeholders());
                a.sort_unstable();
                b.sort_unstable();
                assert_eq!(a, b, "{} {}", message.as_str(), channel.as_str());
                if message == Message::AttestationRequested {
                    // To someone else: never the applicant's reference or their status page.
                    assert!(!a.contains(&"reference") && !a.contains(&"status_url"), "{}", channel.as_str());
                } else {
                    assert!(a.contains(&"reference"), "every message carries the reference: {}", message.as_str());
                    assert!(a.contains(&"status_url"), "and a link to check the application: {}", message.as_str());
                }
                assert_ne!(en.body, cy.body);
                assert_eq!(en.subject.is_some(), channel != Channel::Sms);
            }
        }
    }

    #[test]
    fn rendering_fills_placeholders_and_refuses_a_missing_one() {
        let t = Template { subject: Some("Hi ((name))".into()), body: "((name)), ref ((reference)) ((".into() };
        let mut p = BTreeMap::new();
        p.insert("name".to_owned(), "Siân".to_owned());
        assert_eq!(t.render(&p), Err("reference".into()));
        p.insert("reference".to_owned(), "ABC".to_owned());
        let r = t.render(&p).unwrap();
        assert_eq!((r.subject.as_deref(), r.body.as_str()), (Some("Hi Siân"), "Siân, ref ABC (("));
    }

    #[test]
    fn template_ids_must_name_every_template() {
        let sim = TemplateIds::simulated();
        let id = sim.get(Message::Registered, Language::Cy, Channel::Sms);
        assert_eq!(sim.find(id), Some((Message::Registered, Language::Cy, Channel::Sms)));
        let one = r#"email = "0e9a6a34-6d0b-4b2e-9d3a-2f7c0c3d1a11"
sms = "1e9a6a34-6d0b-4b2e-9d3a-2f7c0c3d1a11"
letter = "2e9a6a34-6d0b-4b2e-9d3a-2f7c0c3d1a11""#;
        let mut full = String::new();
        for m in Message::ALL {
            for l in ["en", "cy"] {
                full.push_str(&format!("[{}.{l}]\n{one}\n", m.as_str()));
            }
        }
        assert!(TemplateIds::from_toml(&full).is_ok());
        let missing = full.replace("[renewal-reminder.cy]", "[renewal-reminder.xx]");
        let err = TemplateIds::from_toml(&missing).unwrap_err();
        assert!(err.contains("renewal-reminder.cy"), "{err}");
        let bad = full.replacen("0e9a6a34-6d0b-4b2e-9d3a-2f7c0c3d1a11", "not-a-uuid", 1);
        assert!(TemplateIds::from_toml(&bad).unwrap_err().contains("not a UUID"));
    }
}
