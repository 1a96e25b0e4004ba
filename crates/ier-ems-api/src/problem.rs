//! Errors as RFC 9457 problem details (`application/problem+json`): one type
//! for the whole API, with the statuses the real back office uses (400
//! validation, 403 council mismatch, 404 unknown or not yours, 409 wrong state,
//! 410 personal data deleted under the retention rules)
//! and a `detail` that says exactly what is wrong, never quoting personal data.

use axum::Json;
use axum::extract::rejection::{JsonRejection, PathRejection, QueryRejection};
use axum::http::{HeaderValue, StatusCode, header};
use axum::response::{IntoResponse, Response};
use ier_storage::StorageError;
use serde::Serialize;
use utoipa::ToSchema;

/// A problem (RFC 9457).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Problem {
    /// A URI naming the kind of problem, e.g. `urn:ier:problem:validation`.
    #[serde(rename = "type")]
    pub kind: String,
    /// A short summary of the kind of problem.
    pub title: String,
    /// The HTTP status.
    pub status: u16,
    /// What is wrong with this request, specifically.
    pub detail: String,
    /// Field-by-field problems of a request body or query, when there are any.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<FieldProblem>,
}

/// One field's problem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ToSchema)]
pub struct FieldProblem {
    /// Where in the request: a query parameter, or a JSON path such as `matches[0].dateOfBirth`.
    pub field: String,
    pub message: String,
}

impl Problem {
    fn new(status: StatusCode, slug: &str, title: &str, detail: impl Into<String>) -> Self {
        Self {
            kind: format!("urn:ier:problem:{slug}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail: detail.into(),
            errors: Vec::new(),
        }
    }

    pub fn validation(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::BAD_REQUEST, "validation", "The request is not valid", detail)
    }

    pub fn field(field: &str, message: impl Into<String>) -> Self {
        let message = message.into();
        let mut p = Self::validation(format!("{field}: {message}"));
        p.errors.push(FieldProblem { field: field.to_owned(), message });
        p
    }

    pub fn not_found(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::NOT_FOUND, "not-found", "Not found", detail)
    }

    pub fn forbidden(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::FORBIDDEN, "council-mismatch", "Not one of your councils", detail)
    }

    pub fn conflict(detail: impl Into<String>) -> Self {
        Self::new(StatusCode::CONFLICT, "conflict", "The request conflicts with the record's state", detail)
    }

    pub fn unavailable() -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "unavailable",
            "Service unavailable",
            "the service cannot reach its database just now: try again shortly",
        )
    }

    /// Too many requests at once: nothing was done; try again after `retry_after`.
    pub fn busy(retry_after: std::time::Duration) -> Self {
        Self::new(
            StatusCode::SERVICE_UNAVAILABLE,
            "busy",
            "Service busy",
            format!(
                "the service is answering as many requests as it can: nothing was done; try again in {} seconds",
                retry_after.as_secs().max(1)
            ),
        )
    }

    /// A body over the API's limit (2 MB).
    pub fn too_large() -> Self {
        Self::new(
            StatusCode::PAYLOAD_TOO_LARGE,
            "too-large",
            "The request body is too large",
            "send at most 2 MB (16 MiB to a matching run): a page of 1,000 electors or 200 receipts is well inside it, as is a matching run's page of 10,000",
        )
    }

    /// A body that did not arrive in time.
    pub fn timeout() -> Self {
        Self::new(
            StatusCode::REQUEST_TIMEOUT,
            "timeout",
            "The request body did not arrive in time",
            "send the whole body within 60 seconds of the request's headers",
        )
    }

    /// An application whose personal data was deleted under the retention rules.
    pub fn erased() -> Self {
        Self::new(
            StatusCode::GONE,
            "erased",
            "The application's personal data has been deleted",
            "this application's personal data was deleted under the retention rules (a set time after you confirmed receipt and determined it); nothing more can be read or changed through the API",
        )
    }

    pub fn internal() -> Self {
        Self::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            "internal",
            "Internal error",
            "something went wrong on our side; it has been logged",
        )
    }

    pub fn status(&self) -> StatusCode {
        StatusCode::from_u16(self.status).unwrap_or(StatusCode::INTERNAL_SERVER_ERROR)
    }
}

impl IntoResponse for Problem {
    fn into_response(self) -> Response {
        let status = self.status();
        let mut res = (status, Json(self)).into_response();
        res.headers_mut().insert(header::CONTENT_TYPE, HeaderValue::from_static("application/problem+json"));
        if status == StatusCode::SERVICE_UNAVAILABLE {
            res.headers_mut().insert(header::RETRY_AFTER, HeaderValue::from_static("30"));
        }
        res
    }
}

impl From<StorageError> for Problem {
    fn from(e: StorageError) -> Self {
        match e {
            StorageError::NotFound => Problem::not_found("no such record among your councils' data"),
            StorageError::Conflict(why) => Problem::conflict(why),
            StorageError::Erased => Problem::erased(),
            StorageError::Unavailable(_) => {
                // Storage errors carry codes, never values; logged once, here.
                tracing::error!(error = %e, "storage unavailable");
                Problem::unavailable()
            }
            StorageError::Duplicate | StorageError::UnknownCouncil(_) | StorageError::Corrupt(_) => {
                tracing::error!(error = %e, "storage error");
                Problem::internal()
            }
        }
    }
}

impl From<QueryRejection> for Problem {
    fn from(r: QueryRejection) -> Self {
        Problem::validation(format!("the query string is not valid: {}", mask_values(&r.body_text())))
    }
}

impl From<PathRejection> for Problem {
    fn from(r: PathRejection) -> Self {
        Problem::validation(format!("the path is not valid: {}", mask_values(&r.body_text())))
    }
}

impl From<JsonRejection> for Problem {
    fn from(r: JsonRejection) -> Self {
        match r {
            JsonRejection::MissingJsonContentType(_) => {
                Problem::validation("send the body as JSON, with the header Content-Type: application/json")
            }
            JsonRejection::JsonSyntaxError(e) => {
                Problem::validation(format!("the body is not valid JSON: {}", mask_values(&e.body_text())))
            }
            other => Problem::validation(format!("the body cannot be read: {}", mask_values(&other.body_text()))),
        }
    }
}

/// serde's messages quote the offending value (`invalid type: string "Jones"`);
/// keep what kind of thing was wrong and where, not the value itself.
pub fn mask_values(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut after_marker = false;
    let mut last_word = String::new();
    let mut rest = message;
    while let Some(c) = rest.chars().next() {
        rest = &rest[c.len_utf8()..];
        if (c == '"' || c == '`') && after_marker {
            // The value may itself hold quotes: it ends at the last quote that serde's own words
            // follow (", expected ..." or ", there are no ..."), else at the last quote of all.
            let end = [format!("{c}, expected"), format!("{c}, there are no")]
                .iter()
                .filter_map(|suffix| rest.rfind(suffix.as_str()))
                .max()
                .or_else(|| rest.rfind(c));
            rest = match end {
                Some(i) => &rest[i + c.len_utf8()..],
                None => "",
            };
            out.push_str("(value not shown)");
            after_marker = false;
            continue;
        }
        out.push(c);
        if c.is_alphanumeric() {
            last_word.push(c);
        } else {
            if !last_word.is_empty() {
                // Values follow "string", "variant", "value" and "character" in serde's messages.
                after_marker = matches!(
                    last_word.as_str(),
                    "string" | "variant" | "value" | "character" | "char" | "integer" | "point" | "field"
                );
            }
            last_word.clear();
        }
    }
    out
}

/// A JSON body: deserialised with the path of any failing field, unknown
/// fields refused, values never echoed.
pub fn parse_json<T: serde::de::DeserializeOwned>(bytes: &[u8]) -> Result<T, Problem> {
    // Parsed plainly first (a page of 10,000 electors parses in about half the time without
    // tracking the path); a body that does not parse is parsed again for the path its problem names.
    if let Ok(value) = serde_json::from_slice(bytes) {
        return Ok(value);
    }
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut *de).map_err(|e| {
        let mut path = e.path().to_string();
        let inner = e.into_inner();
        let message = inner.to_string();
        if message.starts_with("unknown field") {
            // The path ends in the unknown name, which the client chose: name its parent.
            path = match path.rfind('.') {
                Some(i) => path[..i].to_owned(),
                None => ".".to_owned(),
            };
        }
        let what = mask_values(&message);
        if inner.is_syntax() || inner.is_eof() || path == "." {
            Problem::validation(format!("the body is not valid JSON for this request: {what}"))
        } else {
            Problem::field(&path, what)
        }
    })?;
    // One JSON value and nothing after it but white space.
    de.end().map_err(|_| Problem::validation("the body has more after its JSON value; send one JSON value"))?;
    Ok(value)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn values_are_not_echoed() {
        let m = mask_values(r#"invalid type: string "Jones", expected a date at line 1 column 20"#);
        assert_eq!(m, "invalid type: string (value not shown), expected a date at line 1 column 20");
        let m = mask_values("unknown variant `maybe`, expected `success` or `failure`");
        assert_eq!(m, "unknown variant (value not shown), expected `success` or `failure`");
        let m = mask_values("unknown field `colour`, expected one of `status`, `message`");
        assert_eq!(
            m, "unknown field (value not shown), expected one of `status`, `message`",
            "a client's name is not repeated"
        );
        let m = mask_values("invalid value: integer `-123456`, expected u64");
        assert_eq!(m, "invalid value: integer (value not shown), expected u64", "nor its numbers");
        let m = mask_values("invalid type: floating point `4.5`, expected u32");
        assert_eq!(m, "invalid type: floating point (value not shown), expected u32");
    }

    #[test]
    fn bodies_fail_with_the_field_path() {
        #[derive(Debug, serde::Deserialize)]
        #[serde(deny_unknown_fields)]
        #[allow(dead_code)]
        struct B {
            a: Vec<u8>,
        }
        let p = parse_json::<B>(br#"{"a":[1,"Smith"]}"#).unwrap_err();
        assert_eq!(p.errors[0].field, "a[1]");
        assert!(!p.detail.contains("Smith"), "{}", p.detail);
        let p = parse_json::<B>(br#"{"a":[1],"bogus_name":2}"#).unwrap_err();
        assert!(p.detail.contains("unknown field") && !p.detail.contains("bogus_name"), "{}", p.detail);
        assert!(p.errors.iter().all(|e| !e.field.contains("bogus_name")));
        let p = parse_json::<B>(br#"{"a":[99999999999]}"#).unwrap_err();
        assert!(!p.detail.contains("99999999999"), "{}", p.detail);
        let p = parse_json::<B>(b"{").unwrap_err();
        assert_eq!(p.status, 400);
        let p = parse_json::<B>(br#"{"a":[1]} trailing garbage"#).unwrap_err();
        // A field name holding backticks (found by fuzzing) is not shown in part either.
        let p2 = parse_json::<B>(b"{\"a\":[1],\"x``[[secret[[`stu\":1}").unwrap_err();
        assert!(!p2.detail.contains("secret") && !p2.detail.contains("stu"), "{}", p2.detail);
        assert!(p.detail.contains("more after its JSON value"), "{}", p.detail);
        assert!(parse_json::<B>(b"{\"a\":[1]}  \n").is_ok(), "white space after is fine");
    }
}
