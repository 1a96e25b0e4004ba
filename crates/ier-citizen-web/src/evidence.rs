//! Sending evidence of identity online: the page a link in the ERO's message
//! opens (`/evidence/{token}`).
//!
//! The link is the applicant's only key: it names one request for one
//! application, works once and runs out ([`ier_storage::evidence`]). The page
//! says what the ERO asked for and takes up to three files, each with the
//! document it is. Every file is checked here before anything is stored: at most
//! [`MAX_FILE_BYTES`]; a JPEG or PNG is decoded (with limits on its size in
//! pixels and memory) and encoded again, so nothing but the picture is kept (no
//! metadata, nothing hidden after it); a PDF is accepted only if it parses, and
//! is only ever given to staff as a download. A file that fails gets its own
//! error, and the choices made are kept (a browser cannot keep the files
//! themselves: the page says to choose them again). The page never shows the
//! applicant's details, only the reference and what is asked.

use std::sync::Arc;

use axum::extract::{Multipart, OriginalUri, Path, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::Utc;
use ier_domain::Language;
use ier_domain::evidence::DocumentKind;
use ier_storage::evidence::{CheckedFile, EvidenceRequestRow, MAX_FILE_BYTES};
use minijinja::context;
use serde::Serialize;

use crate::AppState;
use crate::i18n::Lang;
use crate::journey::message;
use crate::limits::{Action, Client};
use crate::render::{FieldError, Frame, page};

/// Files one sending takes.
pub const SLOTS: usize = 3;
/// The largest body the page accepts: three files and the form.
pub const BODY_LIMIT: usize = SLOTS * MAX_FILE_BYTES + 64 * 1024;
/// The largest picture, in pixels either way, and the memory decoding may use.
const MAX_PIXELS: u32 = 12_000;
const MAX_DECODE_BYTES: u64 = 512 * 1024 * 1024;
const FORM: &str = "evidence";

#[derive(Serialize)]
struct Option_ {
    value: String,
    text: String,
    selected: bool,
}

#[derive(Serialize, Default)]
struct Slot {
    number: usize,
    documents: Vec<Option_>,
    document_error: Option<String>,
    file_error: Option<String>,
}

fn slots(
    lang: Language,
    asked: &[DocumentKind],
    chosen: &[String],
    errors: &[(Option<String>, Option<String>)],
) -> Vec<Slot> {
    (0..SLOTS)
        .map(|i| {
            let chosen = chosen.get(i).map(String::as_str).unwrap_or("");
            let mut documents = vec![Option_ {
                value: String::new(),
                text: crate::i18n::translate(lang, "evidence-choose", &Default::default()),
                selected: chosen.is_empty(),
            }];
            // What was asked for first, then the rest of the list.
            let mut kinds: Vec<DocumentKind> = asked.to_vec();
            kinds.extend(DocumentKind::all().filter(|d| !asked.contains(d)));
            documents.extend(kinds.into_iter().map(|d| Option_ {
                value: d.code().to_owned(),
                text: d.describe(lang).to_owned(),
                selected: d.code() == chosen,
            }));
            let (document_error, file_error) = errors.get(i).cloned().unwrap_or_default();
            Slot { number: i + 1, documents, document_error, file_error }
        })
        .collect()
}

/// The request a path's token names, or the page to show instead.
async fn request(state: &AppState, frame: &Frame, token: &str) -> Result<EvidenceRequestRow, Response> {
    let Some(inbox) = &state.evidence else { return Err(crate::not_found_page(frame)) };
    let row = match inbox.request(token).await {
        Ok(Some(row)) => row,
        Ok(None) => {
            return Err(message(
                frame,
                StatusCode::NOT_FOUND,
                "evidence-unknown-title",
                vec![frame.t("evidence-unknown-body")],
                vec![],
            ));
        }
        Err(_) => return Err(crate::journey::unavailable(frame)),
    };
    if row.used_at.is_some() {
        return Err(message(
            frame,
            StatusCode::GONE,
            "evidence-used-title",
            vec![frame.t("evidence-used-body")],
            vec![],
        ));
    }
    if !row.open(Utc::now()) {
        return Err(message(
            frame,
            StatusCode::GONE,
            "evidence-expired-title",
            vec![frame.t("evidence-expired-body")],
            vec![],
        ));
    }
    Ok(row)
}

/// What the applicant typed about the person they name to confirm who they are, with its errors.
#[derive(Serialize, Default)]
struct AttestorForm {
    given: String,
    surname: String,
    email: String,
    statement: bool,
    given_error: Option<String>,
    surname_error: Option<String>,
    email_error: Option<String>,
    statement_error: Option<String>,
}

fn form_page(
    state: &AppState,
    frame: &Frame,
    token: &str,
    row: &EvidenceRequestRow,
    chosen: &[String],
    errors: &[(Option<String>, Option<String>)],
    status: StatusCode,
) -> Response {
    page_with(state, frame, token, row, chosen, errors, &AttestorForm::default(), status)
}

#[allow(clippy::too_many_arguments)]
fn page_with(
    state: &AppState,
    frame: &Frame,
    token: &str,
    row: &EvidenceRequestRow,
    chosen: &[String],
    errors: &[(Option<String>, Option<String>)],
    attestor: &AttestorForm,
    status: StatusCode,
) -> Response {
    let lang = frame.language();
    let (ero_name, contact) = match state.ero(&row.ero) {
        Some(ero) => crate::status::ero_words(&ero, lang),
        None => (row.ero.to_string(), Vec::new()),
    };
    let asked: Vec<&str> = row.documents.iter().map(|d| d.describe(lang)).collect();
    let form = state.sessions.form_token(FORM, row.id.as_str(), Utc::now().timestamp());
    page(
        status,
        "evidence.html",
        frame,
        context! {
            reference => row.reference.grouped(), ero_name, contact, asked, form,
            contact_finder => crate::journey::ERO_CONTACT_FINDER,
            action => format!("/evidence/{token}"),
            slots => slots(lang, &row.documents, chosen, errors),
            attestation => row.attestation, attestor,
        },
    )
}

/// The page a link opens.
pub async fn show(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(token): Path<String>,
) -> Response {
    let frame = Frame::new(lang.language, uri.path());
    match request(&state, &frame, &token).await {
        Ok(row) => form_page(&state, &frame, &token, &row, &[], &[], StatusCode::OK),
        Err(res) => res,
    }
}

/// What a file turned out to be.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FileProblem {
    TooLarge,
    NotAllowed,
    Unreadable,
}

impl FileProblem {
    fn key(self) -> &'static str {
        match self {
            FileProblem::TooLarge => "evidence-file-too-large",
            FileProblem::NotAllowed => "evidence-file-type",
            FileProblem::Unreadable => "evidence-file-unreadable",
        }
    }
}

/// Check a file and make what is stored of it: a picture decoded and encoded again, a PDF
/// that parses as it is. Pure (no I/O), so it is fuzzed (`fuzz/`, target `evidence_file`).
pub fn check_file(bytes: &[u8]) -> Result<(&'static str, Vec<u8>), FileProblem> {
    if bytes.len() > MAX_FILE_BYTES {
        return Err(FileProblem::TooLarge);
    }
    let format = if bytes.starts_with(b"%PDF-") {
        None
    } else if bytes.starts_with(&[0x89, b'P', b'N', b'G', 0x0d, 0x0a, 0x1a, 0x0a]) {
        Some(image::ImageFormat::Png)
    } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
        Some(image::ImageFormat::Jpeg)
    } else {
        return Err(FileProblem::NotAllowed);
    };
    let Some(format) = format else {
        // Parsed whole (objects, cross-references); kept as it came, served only as a download.
        let doc = lopdf::Document::load_mem(bytes).map_err(|_| FileProblem::Unreadable)?;
        if doc.get_pages().is_empty() {
            return Err(FileProblem::Unreadable);
        }
        return Ok(("application/pdf", bytes.to_vec()));
    };
    let mut reader = image::ImageReader::with_format(std::io::Cursor::new(bytes), format);
    let mut limits = image::Limits::default();
    limits.max_image_width = Some(MAX_PIXELS);
    limits.max_image_height = Some(MAX_PIXELS);
    limits.max_alloc = Some(MAX_DECODE_BYTES);
    reader.limits(limits);
    let picture = reader.decode().map_err(|_| FileProblem::Unreadable)?;
    let mut out = std::io::Cursor::new(Vec::new());
    match format {
        image::ImageFormat::Png => {
            picture.write_to(&mut out, image::ImageFormat::Png).map_err(|_| FileProblem::Unreadable)?;
            Ok(("image/png", out.into_inner()))
        }
        _ => {
            let rgb = image::DynamicImage::ImageRgb8(picture.to_rgb8());
            let encoder = image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, 90);
            rgb.write_with_encoder(encoder).map_err(|_| FileProblem::Unreadable)?;
            Ok(("image/jpeg", out.into_inner()))
        }
    }
}

/// Sending the files.
pub async fn send(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    client: Client,
    OriginalUri(uri): OriginalUri,
    Path(token): Path<String>,
    mut multipart: Multipart,
) -> Response {
    let mut frame = Frame::new(lang.language, uri.path());
    if let Err(wait) = state.limiter.check(Action::Evidence, client.0, std::time::Instant::now()) {
        let _ = wait;
        return message(
            &frame,
            StatusCode::TOO_MANY_REQUESTS,
            "evidence-limited-title",
            vec![frame.t("evidence-limited-body")],
            vec![],
        );
    }
    let row = match request(&state, &frame, &token).await {
        Ok(row) => row,
        Err(res) => return res,
    };
    let mut form = String::new();
    let mut chosen = vec![String::new(); SLOTS];
    let mut files: Vec<Option<Vec<u8>>> = vec![None; SLOTS];
    loop {
        match multipart.next_field().await {
            Ok(Some(field)) => {
                let name = field.name().unwrap_or("").to_owned();
                let slot = |prefix: &str| {
                    name.strip_prefix(prefix)
                        .and_then(|n| n.parse::<usize>().ok())
                        .filter(|n| (1..=SLOTS).contains(n))
                        .map(|n| n - 1)
                };
                if name == "form" {
                    form = field.text().await.unwrap_or_default().chars().take(1000).collect();
                } else if let Some(i) = slot("document-") {
                    chosen[i] = field.text().await.unwrap_or_default().chars().take(60).collect();
                } else if let Some(i) = slot("file-") {
                    match field.bytes().await {
                        // An empty file input sends an empty part: no file.
                        Ok(b) if !b.is_empty() => files[i] = Some(b.to_vec()),
                        Ok(_) => {}
                        Err(_) => {
                            return message(
                                &frame,
                                StatusCode::BAD_REQUEST,
                                "unreadable-title",
                                vec![frame.t("unreadable-body")],
                                vec![],
                            );
                        }
                    }
                }
            }
            Ok(None) => break,
            Err(_) => {
                return message(
                    &frame,
                    StatusCode::BAD_REQUEST,
                    "unreadable-title",
                    vec![frame.t("unreadable-body")],
                    vec![],
                );
            }
        }
    }
    if state.sessions.open_form_token(FORM, &form, Utc::now().timestamp()).as_deref() != Some(row.id.as_str()) {
        frame.errors.push(FieldError { text: frame.t("evidence-form-expired"), href: "#file-1".into() });
        return form_page(&state, &frame, &token, &row, &chosen, &[], StatusCode::BAD_REQUEST);
    }
    // Check each file on a blocking thread: decoding a picture is work.
    let chosen_kinds: Vec<Option<DocumentKind>> = chosen.iter().map(|c| DocumentKind::parse(c).ok()).collect();
    let checked =
        tokio::task::spawn_blocking(move || files.into_iter().map(|f| f.map(|b| check_file(&b))).collect::<Vec<_>>())
            .await
            .unwrap_or_default();
    let mut errors: Vec<(Option<String>, Option<String>)> = vec![(None, None); SLOTS];
    let mut ready = Vec::new();
    for (i, result) in checked.into_iter().enumerate() {
        let kind = chosen_kinds.get(i).copied().flatten();
        match (result, kind) {
            (None, None) if chosen[i].is_empty() => {}
            (None, _) => errors[i].1 = Some(frame.t("evidence-file-missing")),
            (Some(_), None) => errors[i].0 = Some(frame.t("evidence-document-missing")),
            (Some(Err(p)), _) => errors[i].1 = Some(frame.t(p.key())),
            (Some(Ok((content_type, bytes))), Some(document)) => {
                ready.push(CheckedFile { document, content_type, bytes })
            }
        }
    }
    if ready.is_empty() && errors.iter().all(|(a, b)| a.is_none() && b.is_none()) {
        errors[0].1 = Some(frame.t("evidence-nothing"));
    }
    for (i, (d, f)) in errors.iter().enumerate() {
        if let Some(text) = d {
            frame.errors.push(FieldError { text: text.clone(), href: format!("#document-{}", i + 1) });
        }
        if let Some(text) = f {
            frame.errors.push(FieldError { text: text.clone(), href: format!("#file-{}", i + 1) });
        }
    }
    if !frame.errors.is_empty() {
        frame.errors.push(FieldError { text: frame.t("evidence-choose-again"), href: "#file-1".into() });
        return form_page(&state, &frame, &token, &row, &chosen, &errors, StatusCode::BAD_REQUEST);
    }
    let Some(inbox) = &state.evidence else { return crate::not_found_page(&frame) };
    match inbox.send(&row, ready, Utc::now()).await {
        Ok(()) => {
            tracing::info!(reference = %row.reference, "evidence sent");
            message(
                &frame,
                StatusCode::OK,
                "evidence-sent-title",
                vec![frame.t("evidence-sent-body"), frame.t("evidence-sent-next")],
                vec![],
            )
        }
        // Sent meanwhile from another tab, or the link ran out while the files were checked.
        Err(ier_storage::StorageError::Conflict(_)) => {
            message(&frame, StatusCode::GONE, "evidence-used-title", vec![frame.t("evidence-used-body")], vec![])
        }
        Err(_) => crate::journey::unavailable(&frame),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn png(w: u32, h: u32) -> Vec<u8> {
        let img = image::RgbImage::from_pixel(w, h, image::Rgb([200, 10, 10]));
        let mut out = std::io::Cursor::new(Vec::new());
        image::DynamicImage::ImageRgb8(img).write_to(&mut out, image::ImageFormat::Png).unwrap();
        out.into_inner()
    }

    #[test]
    fn pictures_are_encoded_again_and_nothing_after_them_is_kept() {
        let mut bytes = png(20, 10);
        bytes.extend_from_slice(b"<script>alert(1)</script>");
        let (kind, out) = check_file(&bytes).unwrap();
        assert_eq!(kind, "image/png");
        assert!(!out.windows(8).any(|w| w == b"<script>"));
        let decoded = image::load_from_memory(&out).unwrap();
        assert_eq!((decoded.width(), decoded.height()), (20, 10));
    }

    #[test]
    fn other_files_are_refused_with_a_reason() {
        assert_eq!(check_file(b"MZ\x90\x00 an exe"), Err(FileProblem::NotAllowed));
        assert_eq!(check_file(b"<html>"), Err(FileProblem::NotAllowed));
        assert_eq!(check_file(b"%PDF-1.4 not really"), Err(FileProblem::Unreadable));
        assert_eq!(check_file(&[0xff, 0xd8, 0xff, 0xe0, 0, 0]), Err(FileProblem::Unreadable));
        assert_eq!(check_file(&vec![0u8; MAX_FILE_BYTES + 1]), Err(FileProblem::TooLarge));
        let mut truncated = png(50, 50);
        truncated.truncate(60);
        assert_eq!(check_file(&truncated), Err(FileProblem::Unreadable));
    }

    #[test]
    fn a_real_pdf_is_kept_as_it_is() {
        let pdf = minimal_pdf();
        assert_eq!(check_file(&pdf).unwrap(), ("application/pdf", pdf.clone()));
    }

    /// A one-page PDF, with its cross-reference table worked out.
    pub fn minimal_pdf() -> Vec<u8> {
        let objects = [
            "<< /Type /Catalog /Pages 2 0 R >>",
            "<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
        ];
        let mut out = b"%PDF-1.4\n".to_vec();
        let mut offsets = Vec::new();
        for (i, o) in objects.iter().enumerate() {
            offsets.push(out.len());
            out.extend_from_slice(format!("{} 0 obj\n{o}\nendobj\n", i + 1).as_bytes());
        }
        let xref = out.len();
        out.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
        for off in offsets {
            out.extend_from_slice(format!("{off:010} 00000 n \n").as_bytes());
        }
        out.extend_from_slice(
            format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes(),
        );
        out
    }
}

#[derive(serde::Deserialize, Default)]
pub struct AttestorFields {
    #[serde(default)]
    form: String,
    #[serde(default)]
    given: String,
    #[serde(default)]
    surname: String,
    #[serde(default)]
    email: String,
    #[serde(default)]
    statement: Option<String>,
}

/// An email address as far as it can be checked here (Notify checks it again before sending).
fn email_ok(s: &str) -> bool {
    let s = s.trim();
    let Some((local, domain)) = s.split_once('@') else { return false };
    s.len() <= 254
        && !local.is_empty()
        && domain.contains('.')
        && !domain.starts_with('.')
        && !domain.ends_with('.')
        && !s.chars().any(|c| c.is_whitespace() || c.is_control())
        && !domain.contains('@')
}

/// The applicant names someone to confirm who they are, instead of sending documents.
pub async fn name_attestor(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    client: Client,
    OriginalUri(uri): OriginalUri,
    Path(token): Path<String>,
    axum::Form(f): axum::Form<AttestorFields>,
) -> Response {
    let mut frame = Frame::new(lang.language, &format!("/evidence/{token}"));
    let _ = uri;
    if state.limiter.check(Action::Evidence, client.0, std::time::Instant::now()).is_err() {
        return message(
            &frame,
            StatusCode::TOO_MANY_REQUESTS,
            "evidence-limited-title",
            vec![frame.t("evidence-limited-body")],
            vec![],
        );
    }
    let row = match request(&state, &frame, &token).await {
        Ok(row) if row.attestation => row,
        Ok(_) => return crate::not_found_page(&frame),
        Err(res) => return res,
    };
    let mut form = AttestorForm {
        given: f.given.chars().take(200).collect(),
        surname: f.surname.chars().take(200).collect(),
        email: f.email.chars().take(300).collect(),
        statement: f.statement.as_deref() == Some("not-related"),
        ..Default::default()
    };
    if state.sessions.open_form_token(FORM, &f.form, Utc::now().timestamp()).as_deref() != Some(row.id.as_str()) {
        form.given_error = Some(frame.t("evidence-form-expired"));
    }
    let given = ier_domain::GivenName::parse(&form.given);
    let surname = ier_domain::Surname::parse(&form.surname);
    if given.is_err() {
        form.given_error.get_or_insert_with(|| frame.t("attestor-given-missing"));
    }
    if surname.is_err() {
        form.surname_error = Some(frame.t("attestor-surname-missing"));
    }
    if !email_ok(&form.email) {
        form.email_error = Some(frame.t("attestor-email-wrong"));
    }
    if !form.statement {
        form.statement_error = Some(frame.t("attestor-statement-missing"));
    }
    for (text, href) in [
        (&form.given_error, "#attestor-given"),
        (&form.surname_error, "#attestor-surname"),
        (&form.email_error, "#attestor-email"),
        (&form.statement_error, "#attestor-statement"),
    ] {
        if let Some(text) = text {
            frame.errors.push(FieldError { text: text.clone(), href: href.into() });
        }
    }
    let (Ok(given), Ok(surname), true) = (given, surname, frame.errors.is_empty()) else {
        return page_with(&state, &frame, &token, &row, &[], &[], &form, StatusCode::BAD_REQUEST);
    };
    let Some(inbox) = &state.evidence else { return crate::not_found_page(&frame) };
    let attestor = ier_storage::evidence::Attestor {
        given: given.as_str().to_owned(),
        surname: surname.as_str().to_owned(),
        email: form.email.trim().to_owned(),
    };
    match inbox.name_attestor(&row, attestor, Utc::now()).await {
        Ok(()) => message(
            &frame,
            StatusCode::OK,
            "attestor-named-title",
            vec![
                frame.t_args("attestor-named-body", &[("name", &format!("{} {}", given.as_str(), surname.as_str()))]),
                frame.t("attestor-named-next"),
            ],
            vec![],
        ),
        Err(ier_storage::StorageError::Conflict(_)) => {
            message(&frame, StatusCode::GONE, "evidence-used-title", vec![frame.t("evidence-used-body")], vec![])
        }
        Err(_) => crate::journey::unavailable(&frame),
    }
}

const ATTEST_FORM: &str = "attestation";

async fn attestation(
    state: &AppState,
    frame: &Frame,
    token: &str,
) -> Result<(ier_storage::evidence::Attestation, String), Response> {
    let Some(inbox) = &state.evidence else { return Err(crate::not_found_page(frame)) };
    let (a, name) = match inbox.attestation(token).await {
        Ok(Some(found)) => found,
        Ok(None) | Err(ier_storage::StorageError::Erased) => {
            return Err(message(
                frame,
                StatusCode::NOT_FOUND,
                "evidence-unknown-title",
                vec![frame.t("attest-unknown-body")],
                vec![],
            ));
        }
        Err(_) => return Err(crate::journey::unavailable(frame)),
    };
    if a.row.confirmed_at.is_some() {
        return Err(message(frame, StatusCode::GONE, "attest-done-title", vec![frame.t("attest-done-body")], vec![]));
    }
    if !a.open(Utc::now()) {
        return Err(message(
            frame,
            StatusCode::GONE,
            "evidence-expired-title",
            vec![frame.t("attest-expired-body")],
            vec![],
        ));
    }
    let applicant = format!("{} {}", name.given.as_str(), name.surname.as_str());
    Ok((a, applicant))
}

#[derive(serde::Deserialize, Default)]
pub struct AttestFields {
    #[serde(default)]
    form: String,
    #[serde(default, rename = "dob-day")]
    day: String,
    #[serde(default, rename = "dob-month")]
    month: String,
    #[serde(default, rename = "dob-year")]
    year: String,
    #[serde(default)]
    house: String,
    #[serde(default)]
    postcode: String,
}

/// What the attestor's page shows: the applicant's name, what was typed and each field's error.
struct AttestPage<'a> {
    token: &'a str,
    attestation: &'a ier_storage::evidence::Attestation,
    applicant: &'a str,
    fields: &'a AttestFields,
    statements: &'a [String],
    errors: &'a std::collections::BTreeMap<String, String>,
}

fn attest_page(state: &AppState, frame: &Frame, p: &AttestPage<'_>, status: StatusCode) -> Response {
    let form = state.sessions.form_token(ATTEST_FORM, p.attestation.row.id.as_str(), Utc::now().timestamp());
    let f = p.fields;
    let mut res = page(
        status,
        "attest.html",
        frame,
        context! {
            applicant => p.applicant, form, action => format!("/attest/{}", p.token),
            day => f.day, month => f.month, year => f.year, house => f.house, postcode => f.postcode,
            statements => p.statements, fe => p.errors,
        },
    );
    res.headers_mut().insert(axum::http::header::CACHE_CONTROL, axum::http::HeaderValue::from_static("no-store"));
    res
}

/// The page an attestor's link opens.
pub async fn attest_show(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    OriginalUri(uri): OriginalUri,
    Path(token): Path<String>,
) -> Response {
    let frame = Frame::new(lang.language, uri.path());
    match attestation(&state, &frame, &token).await {
        Ok((a, applicant)) => {
            let (fields, errors) = (AttestFields::default(), Default::default());
            let p = AttestPage {
                token: &token,
                attestation: &a,
                applicant: &applicant,
                fields: &fields,
                statements: &[],
                errors: &errors,
            };
            attest_page(&state, &frame, &p, StatusCode::OK)
        }
        Err(res) => res,
    }
}

/// The attestor confirms (their date of birth and address are looked up on the registers held).
pub async fn attest_confirm(
    State(state): State<Arc<AppState>>,
    lang: Lang,
    client: Client,
    OriginalUri(uri): OriginalUri,
    Path(token): Path<String>,
    body: axum::body::Bytes,
) -> Response {
    let mut frame = Frame::new(lang.language, uri.path());
    if state.limiter.check(Action::Evidence, client.0, std::time::Instant::now()).is_err() {
        return message(
            &frame,
            StatusCode::TOO_MANY_REQUESTS,
            "evidence-limited-title",
            vec![frame.t("evidence-limited-body")],
            vec![],
        );
    }
    let (a, applicant) = match attestation(&state, &frame, &token).await {
        Ok(found) => found,
        Err(res) => return res,
    };
    // The statements are checkboxes (a field that may come more than once).
    let pairs: Vec<(String, String)> = crate::forms::pairs(&body);
    // Each value cut to a length no genuine one reaches (the form token is the longest).
    let get = |k: &str| {
        pairs.iter().find(|(n, _)| n == k).map(|(_, v)| v.chars().take(1000).collect::<String>()).unwrap_or_default()
    };
    let f = AttestFields {
        form: get("form"),
        day: get("dob-day"),
        month: get("dob-month"),
        year: get("dob-year"),
        house: get("house"),
        postcode: get("postcode"),
    };
    let statements: Vec<String> = pairs
        .iter()
        .filter(|(n, _)| n == "statement")
        .map(|(_, v)| v.clone())
        .filter(|v| v == "knows" || v == "not-related")
        .collect();
    let mut fe = std::collections::BTreeMap::new();
    let mut error = |frame: &mut Frame, field: &str, href: &str, key: &str| {
        let text = frame.t(key);
        fe.insert(field.to_owned(), text.clone());
        frame.errors.push(FieldError { text, href: href.into() });
    };
    let dob = ier_domain::DateOfBirth::parse(&f.day, &f.month, &f.year, Utc::now().date_naive());
    if state.sessions.open_form_token(ATTEST_FORM, &f.form, Utc::now().timestamp()).as_deref()
        != Some(a.row.id.as_str())
    {
        error(&mut frame, "dob", "#dob-day", "evidence-form-expired");
    } else if dob.is_err() {
        error(&mut frame, "dob", "#dob-day", "attest-dob-wrong");
    }
    if f.house.trim().is_empty() {
        error(&mut frame, "house", "#house", "attest-house-missing");
    }
    let postcode = ier_domain::Postcode::parse(&f.postcode);
    if postcode.is_err() {
        error(&mut frame, "postcode", "#postcode", "attest-postcode-wrong");
    }
    if statements.len() < 2 {
        error(&mut frame, "statement", "#statement", "attest-statements-missing");
    }
    let (Ok(dob), Ok(postcode), true) = (dob, postcode, frame.errors.is_empty()) else {
        let p = AttestPage {
            token: &token,
            attestation: &a,
            applicant: &applicant,
            fields: &f,
            statements: &statements,
            errors: &fe,
        };
        return attest_page(&state, &frame, &p, StatusCode::BAD_REQUEST);
    };
    let Some(inbox) = &state.evidence else { return crate::not_found_page(&frame) };
    let (dob, postcode) = (dob.date().format("%Y-%m-%d").to_string(), postcode.compact());
    let person = ier_storage::persons::Person {
        given: &a.attestor.given,
        surname: &a.attestor.surname,
        date_of_birth: Some(&dob),
        postcode: &postcode,
        line1: f.house.trim(),
        line2: "",
        uprn: None,
        nino: None,
    };
    match inbox.confirm_attestation(&a, &person, Utc::now()).await {
        Ok(_) => message(
            &frame,
            StatusCode::OK,
            "attest-thanks-title",
            vec![frame.t_args("attest-thanks-body", &[("name", &applicant)])],
            vec![],
        ),
        Err(ier_storage::StorageError::Conflict(_)) => {
            message(&frame, StatusCode::GONE, "attest-done-title", vec![frame.t("attest-done-body")], vec![])
        }
        Err(_) => crate::journey::unavailable(&frame),
    }
}
