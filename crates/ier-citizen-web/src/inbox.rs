//! The demo's inbox (`/demo/notifications`): the messages the GOV.UK Notify
//! simulator recorded, newest first, as each applicant would read them. Only
//! `ier demo` mounts it ([`crate::AppState::inbox`]); `ier serve` never does,
//! since it shows personal data to anyone who asks.

use std::sync::Arc;

use axum::extract::{OriginalUri, State};
use axum::http::StatusCode;
use axum::response::Response;
use chrono::{DateTime, Utc};
use minijinja::context;

use crate::AppState;
use crate::i18n::Lang;
use crate::render::{Frame, page};

/// The page's address.
pub const PATH: &str = "/demo/notifications";

/// One message as the inbox shows it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct InboxMessage {
    pub at: DateTime<Utc>,
    /// `email`, `sms` or `letter`.
    pub channel: &'static str,
    /// The address, number or postal address lines it went to.
    pub to: Vec<String>,
    /// The message's Notify reference.
    pub reference: String,
    pub subject: Option<String>,
    pub body: String,
}

/// Where the messages come from (the Notify simulator).
pub trait Inbox: Send + Sync {
    /// Newest first.
    fn messages(&self) -> Vec<InboxMessage>;
}

/// A block of a message body, formatted as Notify formats it: `# ` headings,
/// `* ` bullets, paragraphs.
#[derive(serde::Serialize)]
struct Block {
    kind: &'static str,
    lines: Vec<String>,
}

fn blocks(body: &str) -> Vec<Block> {
    body.split("\n\n")
        .map(str::trim)
        .filter(|p| !p.is_empty())
        .map(|p| {
            if let Some(h) = p.strip_prefix("# ") {
                Block { kind: "heading", lines: vec![h.to_owned()] }
            } else if p.lines().all(|l| l.starts_with("* ")) {
                Block { kind: "bullets", lines: p.lines().map(|l| l[2..].to_owned()).collect() }
            } else {
                Block { kind: "paragraph", lines: p.lines().map(str::to_owned).collect() }
            }
        })
        .collect()
}

/// `GET /demo/notifications`.
pub async fn show(State(state): State<Arc<AppState>>, lang: Lang, OriginalUri(uri): OriginalUri) -> Response {
    let frame = Frame::new(lang.language, uri.path());
    let Some(inbox) = &state.inbox else { return crate::not_found_page(&frame) };
    let messages: Vec<_> = inbox
        .messages()
        .into_iter()
        .take(200)
        .map(|m| {
            context! {
                at => m.at.format("%-d %b %Y %H:%M:%S UTC").to_string(), channel => m.channel, to => m.to,
                reference => m.reference, subject => m.subject, blocks => blocks(&m.body),
            }
        })
        .collect();
    page(StatusCode::OK, "inbox.html", &frame, context! { messages })
}
