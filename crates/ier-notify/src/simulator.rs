//! A GOV.UK Notify simulator, the embedded default: it checks a message as
//! Notify would (a known template, every placeholder given, a plausible
//! email address, a mobile number, a postal address of three to seven lines)
//! and refuses it with Notify's errors if not; it records what it accepts,
//! rendered, so the demo can show each applicant's inbox
//! (`/demo/notifications`). It keeps the newest [`NotifySimulator::KEPT`]
//! messages in memory: it holds personal data, and is never used in production
//! (`ier serve` uses it only when told to, `IER_NOTIFY=simulator`).

use std::collections::VecDeque;
use std::sync::Mutex;

use async_trait::async_trait;
use chrono::{DateTime, Utc};
use ier_domain::Language;
use ier_storage::Message;

use crate::templates::{Rendered, TemplateIds, Templates};
use crate::{Notification, Notifier, NotifyError, Recipient, Sent};

/// A message the simulator accepted.
#[derive(Debug, Clone)]
pub struct SimulatedMessage {
    /// The id it was given (as Notify gives one).
    pub id: String,
    pub at: DateTime<Utc>,
    pub reference: String,
    pub message: Message,
    pub language: Language,
    pub recipient: Recipient,
    pub rendered: Rendered,
}

/// Records messages instead of sending them.
pub struct NotifySimulator {
    ids: TemplateIds,
    sent: Mutex<VecDeque<SimulatedMessage>>,
}

impl Default for NotifySimulator {
    fn default() -> Self {
        Self::new()
    }
}

impl NotifySimulator {
    /// Messages kept (the oldest go first).
    pub const KEPT: usize = 5_000;

    pub fn new() -> Self {
        Self { ids: TemplateIds::simulated(), sent: Mutex::new(VecDeque::new()) }
    }

    /// The template ids it knows (give these to the notification handler).
    pub fn template_ids(&self) -> TemplateIds {
        self.ids.clone()
    }

    /// Messages accepted, newest first.
    pub fn messages(&self) -> Vec<SimulatedMessage> {
        self.sent.lock().expect("not poisoned").iter().rev().cloned().collect()
    }
}

fn rejected(error: &str) -> NotifyError {
    NotifyError::Rejected { status: 400, error: error.to_owned() }
}

/// What Notify accepts as an email address: something@something.something, no spaces.
fn plausible_email(s: &str) -> bool {
    let Some((local, domain)) = s.rsplit_once('@') else { return false };
    !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(char::is_whitespace)
}

/// A number Notify can text: a UK mobile (07…, +447…, 00447…) or an international number.
pub fn textable(s: &str) -> bool {
    let compact: String = s.chars().filter(|c| !matches!(c, ' ' | '-' | '(' | ')')).collect();
    let digits = compact.trim_start_matches('+');
    if !digits.chars().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let uk = compact.strip_prefix("+44").or_else(|| compact.strip_prefix("0044")).map(|rest| format!("0{rest}"));
    match uk.as_deref().or(Some(compact.as_str())) {
        Some(n) if n.starts_with("07") => n.len() == 11,
        Some(n) if n.starts_with('0') && !n.starts_with("00") => false, // a UK landline
        _ => (compact.starts_with('+') || compact.starts_with("00")) && (8..=17).contains(&digits.len()),
    }
}

#[async_trait]
impl Notifier for NotifySimulator {
    async fn send(&self, n: &Notification) -> Result<Sent, NotifyError> {
        let (message, language, channel) = self.ids.find(&n.template_id).ok_or_else(|| rejected("BadRequestError"))?;
        if channel != n.recipient.channel() {
            return Err(rejected("BadRequestError"));
        }
        match &n.recipient {
            Recipient::Email(address) if !plausible_email(address) => return Err(rejected("ValidationError")),
            Recipient::Sms(number) if !textable(number) => return Err(rejected("ValidationError")),
            Recipient::Letter(lines)
                if !(3..=7).contains(&lines.len()) || lines.iter().any(|l| l.trim().is_empty()) =>
            {
                return Err(rejected("ValidationError"));
            }
            _ => {}
        }
        let template = Templates::embedded().get(message, language, channel);
        let rendered = template.render(&n.personalisation).map_err(|_| rejected("BadRequestError"))?;
        let id = uuid::Uuid::new_v4().to_string();
        let mut sent = self.sent.lock().expect("not poisoned");
        if sent.len() >= Self::KEPT {
            sent.pop_front();
        }
        sent.push_back(SimulatedMessage {
            id: id.clone(),
            at: Utc::now(),
            reference: n.reference.clone(),
            message,
            language,
            recipient: n.recipient.clone(),
            rendered,
        });
        tracing::info!(reference = %n.reference, channel = channel.as_str(), "simulated message recorded");
        Ok(Sent { id })
    }

    async fn find(&self, reference: &str) -> Result<Option<Sent>, NotifyError> {
        let sent = self.sent.lock().expect("not poisoned");
        Ok(sent.iter().rev().find(|m| m.reference == reference).map(|m| Sent { id: m.id.clone() }))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobile_numbers_are_textable_and_landlines_are_not() {
        for ok in ["07700 900123", "+447700900123", "00447700900123", "+33 6 12 34 56 78", "(07700) 900-123"] {
            assert!(textable(ok), "{ok}");
        }
        for no in ["020 7946 0000", "01632 960001", "+44 20 7946 0000", "0770090012", "phone me", ""] {
            assert!(!textable(no), "{no}");
        }
    }
}
