//! Telling applicants what happens, through GOV.UK Notify.
//!
//! - [`Notifier`]: what sending a message takes, in Notify's own terms (a
//!   template id, the recipient, `personalisation`, a `reference`). Two
//!   implementations: [`govuk::GovukNotify`], a client for Notify's REST API v2
//!   (production), and [`simulator::NotifySimulator`], the embedded default,
//!   which records every message so the demo can show it.
//! - [`templates`]: the text of every message in English and Welsh, by email,
//!   text message and letter (the same text is loaded into Notify; here it is
//!   rendered by the simulator and snapshot-tested).
//! - [`handler`]: the notification job: which message, to whom, in which
//!   language, with what personalisation, and exactly once (a retried job
//!   first asks Notify whether its message was already accepted).
//!
//! Personal data travels only in a notification's recipient and
//! `personalisation`: never in its reference, in errors, logs or metrics.

pub mod govuk;
pub mod handler;
pub mod simulator;
pub mod templates;

use std::collections::BTreeMap;
use std::fmt;
use std::time::Duration;

use async_trait::async_trait;

/// How a message is sent.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Channel {
    Email,
    Sms,
    Letter,
}

impl Channel {
    pub const ALL: [Channel; 3] = [Channel::Email, Channel::Sms, Channel::Letter];

    pub fn as_str(&self) -> &'static str {
        match self {
            Channel::Email => "email",
            Channel::Sms => "sms",
            Channel::Letter => "letter",
        }
    }
}

/// Who a message goes to.
#[derive(Clone, PartialEq, Eq)]
pub enum Recipient {
    Email(String),
    /// A UK mobile number (or an international one).
    Sms(String),
    /// A postal address: the addressee's name first, then up to six more
    /// lines, the last a UK postcode or, abroad, the country. Notify wants at
    /// least three lines in all.
    Letter(Vec<String>),
}

impl Recipient {
    pub fn channel(&self) -> Channel {
        match self {
            Recipient::Email(_) => Channel::Email,
            Recipient::Sms(_) => Channel::Sms,
            Recipient::Letter(_) => Channel::Letter,
        }
    }
}

/// Personal data: only the channel is shown.
impl fmt::Debug for Recipient {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Recipient({}, redacted)", self.channel().as_str())
    }
}

/// One message to send.
#[derive(Clone, PartialEq, Eq)]
pub struct Notification {
    /// The template's id in Notify (made in Notify's admin from [`templates`]).
    pub template_id: String,
    pub recipient: Recipient,
    /// The values of the template's `((placeholders))`: personal data.
    pub personalisation: BTreeMap<String, String>,
    /// Identifies the message to us and in Notify, unique per message and
    /// free of personal data (it appears in Notify's dashboard and our logs).
    pub reference: String,
}

/// Personal data: only the template, channel and reference are shown.
impl fmt::Debug for Notification {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Notification")
            .field("template_id", &self.template_id)
            .field("channel", &self.recipient.channel())
            .field("reference", &self.reference)
            .finish_non_exhaustive()
    }
}

/// A message Notify accepted.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sent {
    /// Notify's id for the notification.
    pub id: String,
}

/// Why a message was not sent. Carries no personal data: Notify's error
/// messages can quote what was sent, so only its status and error class are kept.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum NotifyError {
    /// Notify refused this message (400: a bad recipient, a missing
    /// placeholder, ...): sending it again would fail again.
    #[error("GOV.UK Notify refused the message ({status} {error})")]
    Rejected { status: u16, error: String },
    /// Notify refused our credentials (403): a configuration fault, not the
    /// message's; tried again later, once the key is put right.
    #[error("GOV.UK Notify refused the API key ({error})")]
    Unauthorised { error: String },
    /// Too many requests (429): wait, then try again.
    #[error("GOV.UK Notify asked us to slow down")]
    RateLimited { retry_after: Option<Duration> },
    /// Notify failed (500) or could not be reached: try again later.
    #[error("GOV.UK Notify is unavailable: {0}")]
    Unavailable(String),
}

impl NotifyError {
    /// Sending the same message again can never succeed.
    pub fn is_permanent(&self) -> bool {
        matches!(self, NotifyError::Rejected { .. })
    }
}

/// Something that sends messages as GOV.UK Notify does.
#[async_trait]
pub trait Notifier: Send + Sync {
    /// Send one message (`POST /v2/notifications/{email,sms,letter}`).
    async fn send(&self, notification: &Notification) -> Result<Sent, NotifyError>;

    /// A message already accepted with this reference, if any
    /// (`GET /v2/notifications?reference=`): a retried job asks first, so a
    /// message is never sent twice because its worker died after sending.
    async fn find(&self, reference: &str) -> Result<Option<Sent>, NotifyError>;
}
