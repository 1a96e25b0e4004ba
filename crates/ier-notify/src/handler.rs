//! The notification job ([`ier_storage::JobKind::Notify`]): which message, to
//! whom, in which language, with what personalisation, sent exactly once.
//!
//! - **To whom.** A postal or proxy vote form goes where the applicant asked
//!   for it (an email address, or by post). Every other message goes by the
//!   first way they said we may contact them: email, then a text message (to
//!   a mobile number), then a letter; an applicant who gave none gets no
//!   message (the job is done, recorded as `no-contact`). A letter goes to the
//!   address they get post at: abroad for an overseas elector, their
//!   correspondence address for a service voter, else their UK address.
//! - **Language.** The one they applied in.
//! - **Once.** The Notify `reference` is the application's reference and the
//!   message (no personal data). A job tried again (its worker died after
//!   sending, before recording it) first asks Notify for a message with that
//!   reference, and records it instead of sending another.
//! - **Errors.** 400 fails the job (kept for operators: the message would be
//!   refused again); 429 pauses the worker; 403 and 500 are tried again later.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use ier_domain::kinds::{Correspondence, FormDelivery, WayToVote};
use ier_domain::{Application, ApplicationKind, Ero, KindDetails, Language};
use ier_jobs::{Done, Handler, JobError, Rate, Worker, WorkerConfig};
use ier_storage::{Job, JobKind, Message, Queue, Store, WorkerStore};

use crate::templates::TemplateIds;
use crate::{Notification, Notifier, NotifyError, Recipient};

/// Where the links in messages point.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Links {
    /// The public site, e.g. `https://www.register-to-vote.service.gov.uk`.
    pub public_url: String,
}

impl Links {
    pub fn status(&self, language: Language) -> String {
        let base = self.public_url.trim_end_matches('/');
        match language {
            Language::En => format!("{base}/register-to-vote/status"),
            Language::Cy => format!("{base}/register-to-vote/status?lang=cy"),
        }
    }

    /// The page where an applicant sends evidence, from a request's link token.
    pub fn evidence(&self, token: &str, language: Language) -> String {
        let base = self.public_url.trim_end_matches('/');
        match language {
            Language::En => format!("{base}/evidence/{token}"),
            Language::Cy => format!("{base}/evidence/{token}?lang=cy"),
        }
    }

    /// The page where a person an applicant named confirms who the applicant is.
    pub fn attest(&self, token: &str, language: Language) -> String {
        let base = self.public_url.trim_end_matches('/');
        match language {
            Language::En => format!("{base}/attest/{token}"),
            Language::Cy => format!("{base}/attest/{token}?lang=cy"),
        }
    }

    pub fn start(&self, language: Language) -> String {
        let base = self.public_url.trim_end_matches('/');
        match language {
            Language::En => format!("{base}/register-to-vote/start"),
            Language::Cy => format!("{base}/register-to-vote/start?lang=cy"),
        }
    }
}

/// GOV.UK's online applications for a postal and a proxy vote.
pub const POSTAL_VOTE_URL: &str = "https://www.gov.uk/apply-postal-vote";
pub const PROXY_VOTE_URL: &str = "https://www.gov.uk/apply-proxy-vote";
/// Where to find an Electoral Registration Office when we have no contact details for it.
pub const ERO_CONTACT_FINDER: &str = "https://www.gov.uk/contact-electoral-registration-office";

/// Sends the messages of notification jobs.
pub struct NotifyHandler {
    notifier: Arc<dyn Notifier>,
    ids: TemplateIds,
    links: Links,
}

impl NotifyHandler {
    pub fn new(notifier: Arc<dyn Notifier>, ids: TemplateIds, links: Links) -> Self {
        Self { notifier, ids, links }
    }
}

/// The Notify reference of an application's message: unique, and no personal data.
pub fn notify_reference(job: &Job, message: Message) -> String {
    format!("{}-{}", job.reference.as_str(), message.as_str())
}

fn from_notify(e: NotifyError) -> JobError {
    match e {
        NotifyError::RateLimited { retry_after } => {
            JobError::Throttled { after: retry_after.unwrap_or(Duration::from_secs(60)) }
        }
        e if e.is_permanent() => JobError::Permanent(e.to_string()),
        e => JobError::retry(e.to_string()),
    }
}

use ier_storage::performance::Measure as Ms;

#[async_trait]
impl Handler for NotifyHandler {
    async fn handle(&self, store: &WorkerStore, job: &Job) -> Result<Done, JobError> {
        let JobKind::Notify { message, reasons } = &job.kind else {
            return Err(JobError::Permanent(format!("{} is not a notification", job.kind.name())));
        };
        let message = *message;
        let reference = notify_reference(job, message);
        // Sent already, by a worker that died before recording it?
        if job.attempts > 1
            && let Some(sent) = self.notifier.find(&reference).await.map_err(from_notify)?
        {
            return Ok(Done { result: Some(sent.id), effects: Default::default() });
        }
        let Some(application) = store.application(job).await? else {
            return Err(JobError::retry("the job is no longer held"));
        };
        // A message to the person the applicant named to confirm who they are goes to them.
        let attestor = if message == Message::AttestationRequested {
            match store.evidence_attestor(job, chrono::Utc::now()).await? {
                Some(a) => Some(a),
                None => return Ok(Done { result: Some("no-attestor".into()), effects: Default::default() }),
            }
        } else {
            None
        };
        let recipient = match &attestor {
            Some((a, _)) => Some(crate::Recipient::Email(a.email.clone())),
            None => recipient(message, &application),
        };
        let Some(recipient) = recipient else {
            return Ok(Done { result: Some("no-contact".into()), effects: Default::default() });
        };
        let council = store.council(&application.gss_code).await?;
        let ero = store.ero(&application.ero_id).await?;
        let language = application.language;
        let mut p = BTreeMap::new();
        let name = &application.details.name;
        p.insert("name".to_owned(), format!("{} {}", name.given.as_str(), name.surname.as_str()));
        p.insert("reference".to_owned(), application.reference.grouped());
        let council_name = match (&council, language) {
            (Some(c), Language::Cy) => c.name_cy.clone().unwrap_or_else(|| c.name.clone()),
            (Some(c), Language::En) => c.name.clone(),
            (None, _) => application.gss_code.to_string(),
        };
        p.insert("council".to_owned(), council_name);
        p.insert("ero_contact".to_owned(), ero_contact(ero.as_ref(), language));
        p.insert("status_url".to_owned(), self.links.status(language));
        match message {
            Message::VoteForm => {
                let proxy = matches!(application.details.part.way_to_vote(), WayToVote::ByProxy(_));
                let kind = match (proxy, language) {
                    (false, Language::En) => "postal vote",
                    (true, Language::En) => "proxy vote",
                    (false, Language::Cy) => "bleidlais bost",
                    (true, Language::Cy) => "bleidlais drwy ddirprwy",
                };
                p.insert("vote_kind".to_owned(), kind.to_owned());
                p.insert("form_url".to_owned(), if proxy { PROXY_VOTE_URL } else { POSTAL_VOTE_URL }.to_owned());
            }
            Message::NotRegistered | Message::EvidenceRequested => {
                let words = ier_domain::reasons::describe_all(reasons, language);
                let list = if words.is_empty() {
                    ier_domain::reasons::describe(&ier_domain::ReasonCode::parse("other").expect("valid"), language)
                        .to_owned()
                } else if recipient.channel() == crate::Channel::Sms {
                    // A text message has no bullets: the sentences one after another.
                    words.join(" ")
                } else {
                    words.iter().map(|w| format!("* {w}")).collect::<Vec<_>>().join("\n")
                };
                p.insert("reasons".to_owned(), list);
                if message == Message::NotRegistered {
                    // The ERO's own notes, in the applicant's language (or the only ones written).
                    let notes = store.determination_notes(job).await?;
                    let text = match notes.as_ref().and_then(|n| n.in_language(language)) {
                        Some(text) => {
                            let lead = match language {
                                Language::En => "Your Electoral Registration Officer adds:",
                                Language::Cy => "Mae eich Swyddog Cofrestru Etholiadol yn ychwanegu:",
                            };
                            format!("\n{lead}\n\n{text}")
                        }
                        None => String::new(),
                    };
                    p.insert("notes".to_owned(), text);
                }
                if message == Message::EvidenceRequested {
                    // Asked for through the ERO portal: the link to send it online, and what.
                    let how = match store.evidence_link(job, chrono::Utc::now()).await? {
                        Some((token, documents)) => {
                            let url = self.links.evidence(&token, language);
                            let what: Vec<&str> = documents.iter().map(|d| d.describe(language)).collect();
                            match language {
                                Language::En => format!(
                                    "They have asked for: {}. Send it online, as a photo or scan, at {url} (the link works once, for 28 days).",
                                    what.join(", ")
                                ),
                                Language::Cy => format!(
                                    "Maen nhw wedi gofyn am: {}. Anfonwch hi ar-lein, fel llun neu sgan, yn {url} (mae'r ddolen yn gweithio unwaith, am 28 diwrnod).",
                                    what.join(", ")
                                ),
                            }
                        }
                        None => match language {
                            Language::En => "They will tell you what to send and how.".to_owned(),
                            Language::Cy => "Bydd yn rhoi gwybod i chi beth i’w anfon a sut.".to_owned(),
                        },
                    };
                    p.insert("evidence_how".to_owned(), how);
                }
            }
            Message::Registered => {
                let ends = ier_storage::jobs::registration_ends(&application, job.created_at.date_naive());
                let sentence = match (ends, language) {
                    (Some(d), Language::En) => format!(
                        "Your registration lasts until {}. We will remind you to renew it before then.",
                        ier_domain::dates::long_date(d, language)
                    ),
                    (Some(d), Language::Cy) => format!(
                        "Bydd eich cofrestriad yn para tan {}. Byddwn yn eich atgoffa i’w adnewyddu cyn hynny.",
                        ier_domain::dates::long_date(d, language)
                    ),
                    (None, _) => String::new(),
                };
                p.insert("registration_ends".to_owned(), sentence);
            }
            Message::RenewalReminder => {
                let registered_on = application_registered_on(job);
                let ends = ier_storage::jobs::registration_ends(&application, registered_on)
                    .ok_or_else(|| JobError::Permanent("this kind of registration does not end".into()))?;
                p.insert("ends_on".to_owned(), ier_domain::dates::long_date(ends, language));
                let what = match (application.kind, language) {
                    (ApplicationKind::Overseas, Language::En) => "as an overseas voter",
                    (ApplicationKind::Overseas, Language::Cy) => "fel pleidleisiwr tramor",
                    (_, Language::En) => "by service declaration",
                    (_, Language::Cy) => "drwy ddatganiad gwasanaeth",
                };
                p.insert("registration_kind".to_owned(), what.to_owned());
                p.insert("renew_url".to_owned(), self.links.start(language));
            }
            Message::AttestationRequested => {
                if let Some((a, token)) = &attestor {
                    p.insert("attestor_name".to_owned(), format!("{} {}", a.given, a.surname));
                    p.insert("attest_url".to_owned(), self.links.attest(token, language));
                }
            }
            Message::Acknowledgement | Message::IdentityNotChecked => {}
        }
        let channel = recipient.channel();
        let notification = Notification {
            template_id: self.ids.get(message, language, recipient.channel()).to_owned(),
            recipient,
            personalisation: p,
            reference,
        };
        let sent = self.notifier.send(&notification).await.map_err(from_notify)?;
        // Counted in the performance figures with the job's completion.
        let tallies = vec![ier_storage::performance::Tally::new(Ms::Notifications, channel.as_str())];
        Ok(Done { result: Some(sent.id), effects: ier_storage::JobEffects { tallies, ..Default::default() } })
    }
}

/// The day a reminder's registration was made: the reminder job is queued
/// with the determination that registered the applicant.
fn application_registered_on(job: &Job) -> chrono::NaiveDate {
    job.created_at.date_naive()
}

/// Who a message goes to ([module docs](self)).
pub fn recipient(message: Message, application: &Application) -> Option<Recipient> {
    let details = &application.details;
    if message == Message::VoteForm {
        return match details.part.way_to_vote() {
            WayToVote::ByPost(FormDelivery::Email(e)) | WayToVote::ByProxy(FormDelivery::Email(e)) => {
                Some(Recipient::Email(e))
            }
            WayToVote::ByPost(FormDelivery::Post) | WayToVote::ByProxy(FormDelivery::Post) => {
                Some(Recipient::Letter(postal_address(application)))
            }
            WayToVote::InPerson => None,
        };
    }
    let contact = &details.contact;
    if let Some(email) = contact.email.as_deref().filter(|e| !e.trim().is_empty()) {
        return Some(Recipient::Email(email.trim().to_owned()));
    }
    if let Some(phone) = contact.phone.as_deref().filter(|p| crate::simulator::textable(p)) {
        return Some(Recipient::Sms(phone.trim().to_owned()));
    }
    contact.post.then(|| Recipient::Letter(postal_address(application)))
}

/// The address an applicant gets post at, as Notify's address lines: their
/// name first, the postcode (or, abroad, the country; or the BFPO number)
/// last, at most seven lines.
pub fn postal_address(application: &Application) -> Vec<String> {
    let d = &application.details;
    let name = format!("{} {}", d.name.given.as_str(), d.name.surname.as_str());
    let uk = || {
        let mut lines = d.address.lines.clone();
        lines.push(d.address.town.clone());
        lines.push(d.address.postcode.to_string());
        lines
    };
    let abroad = |a: &ier_domain::kinds::OverseasAddress| {
        let mut lines: Vec<String> = a.lines.iter().map(|l| l.as_str().to_owned()).collect();
        lines.push(a.country.country().name.clone());
        lines
    };
    let mut lines = match &d.part {
        KindDetails::Overseas(o) => abroad(&o.address_abroad),
        part => match part.correspondence() {
            Some(Correspondence::Abroad(a)) => abroad(a),
            Some(Correspondence::Bfpo { number, lines }) => {
                let mut l: Vec<String> = lines.iter().map(|l| l.as_str().to_owned()).collect();
                l.push(format!("BFPO {number}"));
                l
            }
            Some(Correspondence::UkAddress) | None => uk(),
        },
    };
    lines.retain(|l| !l.trim().is_empty());
    lines.insert(0, name);
    // Seven lines at most: the lines between the name and the last two are joined.
    while lines.len() > 7 {
        let merged = format!("{}, {}", lines[1], lines[2]);
        lines.splice(1..3, [merged]);
    }
    lines
}

/// An ERO's contact details, one a line, or where to find them.
fn ero_contact(ero: Option<&Ero>, language: Language) -> String {
    let mut lines = Vec::new();
    if let Some(ero) = ero {
        let name = match language {
            Language::Cy => ero.name_cy.clone().unwrap_or_else(|| ero.name.clone()),
            Language::En => ero.name.clone(),
        };
        lines.push(name);
        let c = &ero.contact;
        lines.extend([&c.address, &c.phone, &c.email, &c.website].into_iter().flatten().cloned());
    }
    if lines.len() <= 1 {
        lines.push(match language {
            Language::En => format!("Find their contact details on GOV.UK: {ERO_CONTACT_FINDER}"),
            Language::Cy => format!("Dewch o hyd i’w fanylion cyswllt ar GOV.UK: {ERO_CONTACT_FINDER}"),
        });
    }
    lines.join("\n")
}

/// How the notification worker works: it keeps to `per_minute` messages a
/// minute across every instance (GOV.UK Notify allows 3,000 a minute by
/// default); a message Notify cannot take is tried again with backoff up to
/// an hour, for about a day, before the job is failed and kept.
pub fn config(per_minute: u32) -> WorkerConfig {
    WorkerConfig {
        batch: 50,
        concurrency: 16,
        max_attempts: 30,
        backoff: Duration::from_secs(30),
        max_backoff: Duration::from_secs(3600),
        rate: Some(Rate::per_minute("notify", per_minute)),
        ..WorkerConfig::default()
    }
}

/// The notification worker of this process.
pub fn worker(store: &Store, handler: NotifyHandler, per_minute: u32) -> Worker {
    let store = store.worker(Queue::Notify, ier_jobs::worker_name(Queue::Notify));
    Worker::new(store, Arc::new(handler), config(per_minute))
}
