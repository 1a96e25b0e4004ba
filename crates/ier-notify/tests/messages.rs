//! The messages applicants get, through the notification job: every message,
//! in English and Welsh, by email, text message and letter, snapshot-tested;
//! each goes to the right place in the applicant's language with every
//! placeholder filled; a job done twice sends once; and Notify's refusals
//! fail, pause or retry the job as they should.

use std::collections::BTreeMap;
use std::sync::Arc;
use std::time::Duration;

use async_trait::async_trait;
use chrono::{TimeZone, Utc};
use ier_domain::kinds::{FormDelivery, WayToVote};
use ier_domain::*;
use ier_jobs::{Handler, JobError};
use ier_notify::handler::{Links, NotifyHandler};
use ier_notify::simulator::NotifySimulator;
use ier_notify::templates::{TemplateIds, Templates};
use ier_notify::{Channel, Notification, Notifier, NotifyError, Recipient, Sent};
use ier_storage::contract::applicant_of_kind;
use ier_storage::{JobEffects, JobKind, Message, NewApplication, Queue, Store};
use ier_storage_sqlite::SqliteBackend;

/// Every template, its placeholders shown as «name»: what is loaded into Notify.
#[test]
fn every_template_in_both_languages() {
    let templates = Templates::embedded();
    for language in [Language::En, Language::Cy] {
        for channel in Channel::ALL {
            let mut out = String::new();
            for message in Message::ALL {
                let t = templates.get(message, language, channel);
                let shown: BTreeMap<String, String> =
                    t.placeholders().into_iter().map(|p| (p.to_owned(), format!("«{p}»"))).collect();
                let r = t.render(&shown).unwrap();
                out.push_str(&format!("=== {} ===\n", message.as_str()));
                if let Some(subject) = r.subject {
                    out.push_str(&format!("Subject: {subject}\n\n"));
                }
                out.push_str(&r.body);
                out.push_str("\n\n");
            }
            insta::assert_snapshot!(format!("template-{}-{}", language.as_str(), channel.as_str()), out);
        }
    }
}

async fn store(dir: &tempfile::TempDir) -> Store {
    let backend = SqliteBackend::open(&dir.path().join("n.db")).await.unwrap();
    let reference = ier_reference::ReferenceData::embedded();
    use ier_storage::Backend;
    backend.put_eros(&reference.eros().cloned().collect::<Vec<_>>()).await.unwrap();
    backend.put_councils(&reference.councils().cloned().collect::<Vec<_>>()).await.unwrap();
    Store::new(Arc::new(backend), ier_storage::DataKeys::parse(&ier_storage::DataKeys::generate("k")).unwrap())
}

fn links() -> Links {
    Links { public_url: "https://register-to-vote.example".into() }
}

fn at(y: i32, m: u32, d: u32) -> chrono::DateTime<Utc> {
    Utc.with_ymd_and_hms(y, m, d, 9, 0, 0).unwrap()
}

/// Run every notification job due by `now` through the handler, finishing each.
async fn send_due(store: &Store, handler: &NotifyHandler, now: chrono::DateTime<Utc>) -> Vec<Result<(), JobError>> {
    let worker = store.worker(Queue::Notify, "test-notifier");
    let mut outcomes = Vec::new();
    for job in worker.claim(now, Duration::from_secs(60), 1000).await.unwrap() {
        match handler.handle(&worker, &job).await {
            Ok(done) => {
                assert!(worker.complete(&job, now, done.result.as_deref(), &done.effects).await.unwrap());
                outcomes.push(Ok(()));
            }
            Err(e) => {
                let release = ier_storage::Release::Fail { error: format!("{e:?}") };
                worker.release(&job, now, &release).await.unwrap();
                outcomes.push(Err(e));
            }
        }
    }
    outcomes
}

/// The identity check, finished as the verification worker would.
async fn checked(store: &Store, outcome: VerificationOutcome, now: chrono::DateTime<Utc>) {
    let worker = store.worker(Queue::Verify, "test-verifier");
    for job in worker.claim(now, Duration::from_secs(60), 1000).await.unwrap() {
        let effects = JobEffects {
            event: Some(EventKind::Verified { outcome, explanation: vec![] }),
            jobs: ier_storage::jobs::verification_jobs(job.reference, outcome),
            ..Default::default()
        };
        assert!(worker.complete(&job, now, None, &effects).await.unwrap());
    }
}

fn submitted(language: Language, details: ApplicantDetails) -> NewApplication {
    // Cardiff: its council and ERO have Welsh names.
    NewApplication {
        language,
        gss_code: GssCode::parse("W06000015").unwrap(),
        details,
        journey: None,
        facts: Default::default(),
    }
}

/// What the simulator recorded, one block a message, oldest first, in a stable order.
fn inbox(simulator: &NotifySimulator, reference: &ReferenceNumber) -> String {
    let mut messages = simulator.messages();
    messages.reverse();
    let mut out = String::new();
    for m in messages.iter().filter(|m| m.reference.starts_with(reference.as_str())) {
        let to = match &m.recipient {
            Recipient::Email(e) => format!("email {e}"),
            Recipient::Sms(n) => format!("sms {n}"),
            Recipient::Letter(lines) => format!("letter\n  {}", lines.join("\n  ")),
        };
        out.push_str(&format!("=== {} ({}) to {to}\n", m.message.as_str(), m.language.as_str()));
        if let Some(s) = &m.rendered.subject {
            out.push_str(&format!("Subject: {s}\n\n"));
        }
        out.push_str(&m.rendered.body);
        out.push_str("\n\n");
    }
    out.replace(&reference.grouped(), "REFERENCE")
}

#[tokio::test]
async fn an_ordinary_applicant_is_told_by_email_in_english_from_acknowledgement_to_refusal() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let simulator = Arc::new(NotifySimulator::new());
    let handler = NotifyHandler::new(simulator.clone(), simulator.template_ids(), links());
    let mut details = applicant_of_kind(ApplicationKind::Ordinary);
    details.part = KindDetails::Ordinary(OrdinaryDetails {
        other_address: OtherAddress::None,
        was_overseas_voter: false,
        postal_vote: PostalVote::FormByEmail("votes@example.com".into()),
    });
    let r = store.citizen().submit(submitted(Language::En, details), at(2026, 11, 22)).await.unwrap().reference;
    assert!(send_due(&store, &handler, at(2026, 11, 22)).await.iter().all(Result::is_ok));
    checked(&store, VerificationOutcome::NoMatch, at(2026, 11, 22)).await;
    let council = store.for_ero(EroId::parse("cardiff").unwrap());
    council.confirm_receipts(at(2026, 11, 23), &[(r, true, None)]).await.unwrap();
    let reasons =
        vec![ReasonCode::parse("identity-not-confirmed").unwrap(), ReasonCode::parse("not-resident").unwrap()];
    let notes = ier_domain::DecisionNotes::parse(
        "We wrote to you at your address on 3 March and had no reply.",
        "Ysgrifennom atoch yn eich cyfeiriad ar 3 Mawrth ac ni chawsom ateb.",
    )
    .unwrap();
    council
        .determine_from(&r, at(2026, 11, 24), Determination::Rejected, &reasons, None, notes.as_ref())
        .await
        .unwrap();
    assert!(send_due(&store, &handler, at(2026, 11, 24)).await.iter().all(Result::is_ok));
    let text = inbox(&simulator, &r);
    assert!(
        text.contains("Your Electoral Registration Officer adds:\n\nWe wrote to you at your address on 3 March"),
        "the ERO's notes, in English: {text}"
    );
    assert!(!text.contains("Ysgrifennom"), "not the Welsh ones");
    assert_eq!(text.matches("=== ").count(), 4, "acknowledgement, vote form, identity not checked, not registered");
    assert!(text.contains("=== vote-form (en) to email votes@example.com"), "the form goes where it was asked for");
    assert!(text.contains("https://register-to-vote.example/register-to-vote/status"));
    insta::assert_snapshot!("ordinary-en-email", text);
}

#[tokio::test]
async fn an_overseas_elector_is_told_in_welsh_by_letter_abroad_and_reminded_before_registration_ends() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let simulator = Arc::new(NotifySimulator::new());
    let handler = NotifyHandler::new(simulator.clone(), simulator.template_ids(), links());
    let mut details = applicant_of_kind(ApplicationKind::Overseas);
    details.contact = Contact { email: None, phone: None, post: true };
    let r = store.citizen().submit(submitted(Language::Cy, details), at(2026, 11, 22)).await.unwrap().reference;
    checked(&store, VerificationOutcome::Match, at(2026, 11, 22)).await;
    let council = store.for_ero(EroId::parse("cardiff").unwrap());
    council.confirm_receipts(at(2026, 11, 23), &[(r, true, None)]).await.unwrap();
    council.determine(&r, at(2026, 11, 24), Determination::Approved, &[]).await.unwrap();
    assert!(send_due(&store, &handler, at(2026, 11, 24)).await.iter().all(Result::is_ok));
    assert!(!inbox(&simulator, &r).contains("renewal-reminder"), "not before its time");
    // Registered on 24 November 2026: it ends on 1 November 2029; the reminder is due 90 days before.
    assert!(send_due(&store, &handler, at(2029, 8, 2)).await.is_empty());
    assert_eq!(send_due(&store, &handler, at(2029, 8, 3)).await.len(), 1);
    let text = inbox(&simulator, &r);
    assert!(text.contains("1 Tachwedd 2029"), "the end date, in Welsh: {text}");
    assert!(text.contains("  France"), "letters go abroad, the country last: {text}");
    assert!(!text.contains("(en)"), "all in Welsh");
    insta::assert_snapshot!("overseas-cy-letter", text);
}

#[tokio::test]
async fn a_service_voter_with_only_a_mobile_number_gets_text_messages() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let simulator = Arc::new(NotifySimulator::new());
    let handler = NotifyHandler::new(simulator.clone(), simulator.template_ids(), links());
    let mut details = applicant_of_kind(ApplicationKind::Forces);
    details.contact = Contact { email: None, phone: Some("07700 900123".into()), post: false };
    details.part = match details.part {
        KindDetails::Forces(mut f) => {
            f.way_to_vote = WayToVote::ByProxy(FormDelivery::Post);
            KindDetails::Forces(f)
        }
        other => other,
    };
    let r = store.citizen().submit(submitted(Language::En, details), at(2026, 11, 22)).await.unwrap().reference;
    let council = store.for_ero(EroId::parse("cardiff").unwrap());
    checked(&store, VerificationOutcome::Match, at(2026, 11, 22)).await;
    council.confirm_receipts(at(2026, 11, 23), &[(r, true, None)]).await.unwrap();
    council
        .determine(&r, at(2026, 11, 24), Determination::EvidenceRequested, &[ReasonCode::parse("x-unknown").unwrap()])
        .await
        .unwrap();
    assert!(send_due(&store, &handler, at(2026, 11, 24)).await.iter().all(Result::is_ok));
    let text = inbox(&simulator, &r);
    assert!(text.contains("=== acknowledgement (en) to sms 07700 900123"), "{text}");
    assert!(
        text.contains("=== vote-form (en) to letter\n  Siân Kinds\n  Cpl S Evans\n  BFPO 38"),
        "by post to the BFPO address: {text}"
    );
    insta::assert_snapshot!("forces-en-sms", text);
}

#[tokio::test]
async fn an_applicant_who_gave_no_way_to_contact_them_gets_no_message() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let simulator = Arc::new(NotifySimulator::new());
    let handler = NotifyHandler::new(simulator.clone(), simulator.template_ids(), links());
    let mut details = applicant_of_kind(ApplicationKind::Ordinary);
    details.contact = Contact { email: None, phone: Some("020 7946 0000".into()), post: false };
    store.citizen().submit(submitted(Language::En, details), at(2026, 11, 22)).await.unwrap();
    assert!(send_due(&store, &handler, at(2026, 11, 22)).await.iter().all(Result::is_ok));
    assert!(simulator.messages().is_empty(), "a landline cannot be texted");
    let filter = ier_storage::JobFilter { queue: Some(Queue::Notify), limit: 10, ..Default::default() };
    assert_eq!(store.jobs(&filter).await.unwrap()[0].result.as_deref(), Some("no-contact"));
}

/// A Notify whose answers the test chooses, counting what it is sent.
struct Scripted {
    answer: fn() -> Result<Sent, NotifyError>,
    already: Option<Sent>,
    sent: std::sync::Mutex<Vec<Notification>>,
}

#[async_trait]
impl Notifier for Scripted {
    async fn send(&self, n: &Notification) -> Result<Sent, NotifyError> {
        self.sent.lock().unwrap().push(n.clone());
        (self.answer)()
    }
    async fn find(&self, _: &str) -> Result<Option<Sent>, NotifyError> {
        Ok(self.already.clone())
    }
}

async fn one_job(
    answer: fn() -> Result<Sent, NotifyError>,
    already: Option<Sent>,
    attempts: u32,
) -> (Result<ier_jobs::Done, JobError>, usize) {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    store
        .citizen()
        .submit(submitted(Language::En, applicant_of_kind(ApplicationKind::Ordinary)), at(2026, 11, 22))
        .await
        .unwrap();
    let notifier = Arc::new(Scripted { answer, already, sent: Default::default() });
    let handler = NotifyHandler::new(notifier.clone(), TemplateIds::simulated(), links());
    let worker = store.worker(Queue::Notify, "w");
    let mut job = worker.claim(at(2026, 11, 22), Duration::from_secs(60), 1).await.unwrap().remove(0);
    assert_eq!(job.kind, JobKind::Notify { message: Message::Acknowledgement, reasons: vec![] });
    job.attempts = attempts;
    let outcome = handler.handle(&worker, &job).await;
    let sent = notifier.sent.lock().unwrap().len();
    (outcome, sent)
}

#[tokio::test]
async fn a_retried_job_whose_message_was_sent_records_it_instead_of_sending_again() {
    let already = Some(Sent { id: "sent-before".into() });
    let (outcome, sent) = one_job(|| unreachable!("not sent again"), already.clone(), 2).await;
    assert_eq!((outcome.unwrap().result.as_deref(), sent), (Some("sent-before"), 0));
    // On a first attempt Notify is not asked: nothing can have been sent yet.
    let (outcome, sent) = one_job(|| Ok(Sent { id: "new".into() }), already, 1).await;
    assert_eq!((outcome.unwrap().result.as_deref(), sent), (Some("new"), 1));
}

#[tokio::test]
async fn notifys_refusals_fail_pause_or_retry_the_job() {
    let (outcome, _) =
        one_job(|| Err(NotifyError::Rejected { status: 400, error: "ValidationError".into() }), None, 1).await;
    assert!(matches!(outcome, Err(JobError::Permanent(_))), "{outcome:?}");
    let (outcome, _) =
        one_job(|| Err(NotifyError::RateLimited { retry_after: Some(Duration::from_secs(7)) }), None, 1).await;
    assert_eq!(outcome.unwrap_err(), JobError::Throttled { after: Duration::from_secs(7) });
    let (outcome, _) = one_job(|| Err(NotifyError::Unavailable("500".into())), None, 1).await;
    assert!(matches!(outcome, Err(JobError::Retry { .. })), "{outcome:?}");
    let (outcome, _) = one_job(|| Err(NotifyError::Unauthorised { error: "AuthError".into() }), None, 1).await;
    assert!(
        matches!(outcome, Err(JobError::Retry { .. })),
        "a bad key is put right, then the message goes: {outcome:?}"
    );
    // And the error kept with the job holds nothing personal.
    if let Err(JobError::Permanent(e)) =
        one_job(|| Err(NotifyError::Rejected { status: 400, error: "BadRequestError".into() }), None, 1).await.0
    {
        assert!(!e.contains("Kinds") && !e.contains("@"), "{e}");
    }
}

/// Evidence asked for through the ERO portal: the message carries the link to send it online
/// (in the applicant's language), and the person the applicant names to confirm who they are
/// gets their own message with their own link.
#[tokio::test]
async fn evidence_asked_for_online_carries_its_link_and_the_named_attestor_gets_theirs() {
    let dir = tempfile::tempdir().unwrap();
    let store = store(&dir).await;
    let simulator = Arc::new(NotifySimulator::new());
    let handler = NotifyHandler::new(simulator.clone(), simulator.template_ids(), links());
    let now = Utc::now();
    let r = store
        .citizen()
        .submit(submitted(Language::Cy, applicant_of_kind(ApplicationKind::Ordinary)), now)
        .await
        .unwrap()
        .reference;
    checked(&store, VerificationOutcome::NoMatch, now).await;
    let council = store.for_ero(EroId::parse("cardiff").unwrap());
    council.confirm_receipts(now, &[(r, true, None)]).await.unwrap();
    let passport = ier_domain::evidence::DocumentKind::parse("passport").unwrap();
    let reasons = vec![ReasonCode::parse("identity-not-confirmed").unwrap()];
    let request = council.ask_for_evidence(&r, vec![passport], true, &reasons, now).await.unwrap();
    assert!(send_due(&store, &handler, now).await.iter().all(Result::is_ok));
    let text = inbox(&simulator, &r);
    let link = format!("https://register-to-vote.example/evidence/{}?lang=cy", store.evidence_token(&request));
    assert!(text.contains(&link) && text.contains("Pasbort"), "{text}");

    let files: Arc<dyn ier_storage::evidence::FileStore> =
        Arc::new(ier_storage::evidence::DirFileStore::new(dir.path().join("files")).unwrap());
    let evidence = store.evidence_inbox(files);
    let row = evidence.request(&store.evidence_token(&request)).await.unwrap().unwrap();
    let attestor = ier_storage::evidence::Attestor {
        given: "Gareth".into(),
        surname: "Pritchard".into(),
        email: "gareth@example.com".into(),
    };
    evidence.name_attestor(&row, attestor, now).await.unwrap();
    assert!(send_due(&store, &handler, now).await.iter().all(Result::is_ok));
    let text = inbox(&simulator, &r);
    assert!(text.contains("=== attestation-requested (cy) to email gareth@example.com"), "{text}");
    let attestation = council.attestations(&r).await.unwrap().remove(0);
    assert!(text.contains(&format!("/attest/{}?lang=cy", store.attestation_token(&attestation.row.id))));
    assert!(text.contains("Annwyl Gareth Pritchard") && text.contains("Siân"), "{text}");
}
