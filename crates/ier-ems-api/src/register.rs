//! The register in the person index: an EMS uploads its ERO's register (in
//! pages) and removes electors who leave it, so that repeat applicants are
//! told before they send and "Am I registered?" can answer. Nothing uploaded
//! is kept in clear: each elector becomes keyed digests ([`ier_storage::persons`]),
//! under the EMS's elector number, scoped to its ERO. Every call is in the
//! API's audit log with the number of electors it touched, and no personal data.
//!
//! Real registers are dirty: a date of birth that does not exist, or a NINO
//! that is not one, makes that value missing for that elector (reported by
//! position and field, the value never quoted), never the page.

use axum::Json;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::HeaderMap;
use axum::response::IntoResponse;
use chrono::{Datelike, NaiveDate, Utc};
use ier_pki::Caller;
use ier_storage::persons::{Person, elector_number};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::{ApiResult, ApiState, json_body, with_items};
use crate::problem::Problem;

/// The most electors one page may carry.
pub const MAX_ELECTORS: usize = 1000;
/// The longest name, address line or postcode accepted (characters).
const MAX_TEXT: usize = 200;

/// A page of an ERO's register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterPage {
    #[schema(min_items = 1, max_items = 1000)]
    pub electors: Vec<RegisterElector>,
}

/// One elector as the register holds them.
#[derive(Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct RegisterElector {
    /// The EMS's own number for this elector (1 to 32 letters, digits, '-', '/' or '.');
    /// uploading the same number again replaces the elector.
    #[schema(pattern = r"^[A-Za-z0-9./-]{1,32}$")]
    pub elector_number: String,
    pub given_name: String,
    /// Middle names, where the register holds them apart from the given name.
    #[serde(default)]
    pub middle_names: Option<String>,
    pub surname: String,
    /// `YYYY-MM-DD`, where the register holds it. Any text is accepted: one that
    /// is not a date that exists is read as missing and reported in `valuesSkipped`.
    #[schema(example = "1961-07-04")]
    pub date_of_birth: Option<String>,
    /// The address's lines above the town (house name or number, flat, street).
    #[schema(min_items = 1, max_items = 6)]
    pub address_lines: Vec<String>,
    /// The post town, where the register holds it apart from the address lines.
    #[serde(default)]
    pub town: Option<String>,
    pub postcode: String,
    /// The address's Unique Property Reference Number, where known (1 to 999,999,999,999).
    #[schema(minimum = 1, maximum = 999_999_999_999_i64)]
    pub uprn: Option<u64>,
    /// The elector's National Insurance number, where held.
    pub nino: Option<String>,
}

/// Never printed: personal data.
impl std::fmt::Debug for RegisterElector {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RegisterElector { .. }")
    }
}

/// What became of a page.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterPageResult {
    /// Electors stored (added, or replaced by number).
    pub stored: usize,
    /// Electors not stored: too little to find them by (no date of birth and
    /// no NINO, or no house and postcode).
    pub not_indexed: Vec<Skipped>,
    /// Values read as missing (a date that does not exist, a NINO that is not one).
    pub values_skipped: Vec<Skipped>,
    /// Electors of this ERO the index now holds.
    pub electors: u64,
}

/// An elector of the page, by position, and why something was not used.
#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct Skipped {
    /// Position in the page, from 0.
    pub index: usize,
    pub elector_number: String,
    /// The field concerned, when one.
    pub field: Option<String>,
    pub reason: String,
}

/// Electors leaving the register.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
pub struct Removals {
    #[schema(min_items = 1, max_items = 1000)]
    pub elector_numbers: Vec<String>,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RemovalsResult {
    /// How many of the numbers were in the index (an unknown number is not an error).
    pub removed: u64,
    pub electors: u64,
}

#[derive(Debug, Serialize, ToSchema)]
#[serde(rename_all = "camelCase")]
pub struct RegisterSummary {
    /// Electors of this ERO the index holds.
    pub electors: u64,
}

/// Upload a page of the ERO's register to the person index.
#[utoipa::path(
    post,
    path = "/v1/register/electors",
    tag = "register",
    request_body = RegisterPage,
    responses(
        (status = 200, description = "Stored; what could not be used, by position.", body = RegisterPageResult),
        (status = 400, description = "The body is not valid.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn upload(State(state): State<ApiState>, caller: Caller, headers: HeaderMap, body: Bytes) -> ApiResult {
    let page: RegisterPage = json_body(&headers, &body)?;
    let Read { numbers, dates, ninos, values_skipped } = read(&page.electors, MAX_ELECTORS)?;
    let mut not_indexed = Vec::new();
    let mut electors = Vec::with_capacity(page.electors.len());
    for (i, e) in page.electors.iter().enumerate() {
        let person = Person {
            given: &e.given_name,
            surname: &e.surname,
            date_of_birth: dates[i].as_deref(),
            postcode: &e.postcode,
            line1: e.address_lines.first().map(String::as_str).unwrap_or(""),
            line2: e.address_lines.get(1).map(String::as_str).unwrap_or(""),
            uprn: e.uprn,
            nino: ninos[i].as_deref(),
        };
        if ier_storage::persons::findable(&person) {
            electors.push((numbers[i].clone(), person));
        } else {
            not_indexed.push(Skipped {
                index: i,
                elector_number: numbers[i].clone(),
                field: None,
                reason:
                    "too little to find them by: a date of birth or NINO, and a house and postcode or UPRN, are needed"
                        .into(),
            });
        }
    }
    let ero = state.for_caller(&caller);
    let stored = ero.put_electors(Utc::now(), &electors).await? as usize;
    let total = ero.elector_count().await?;
    let n = page.electors.len();
    Ok(with_items(Json(RegisterPageResult { stored, not_indexed, values_skipped, electors: total }).into_response(), n))
}

/// What [`read`] made of a page of electors: by position, each one's number, date of
/// birth (`YYYY-MM-DD`) and NINO (compact) where usable, and what was read as missing.
pub struct Read {
    pub numbers: Vec<String>,
    pub dates: Vec<Option<String>>,
    pub ninos: Vec<Option<String>>,
    pub values_skipped: Vec<Skipped>,
}

/// Check a page of 1 to `max` electors: a page with an elector number, a length or a
/// UPRN that is not possible is refused with the problem naming it; a date of birth
/// or NINO that cannot be used is read as missing and reported (never quoted).
pub fn read(electors: &[RegisterElector], max: usize) -> Result<Read, Problem> {
    if electors.is_empty() || electors.len() > max {
        return Err(Problem::field("electors", format!("give 1 to {max} electors")));
    }
    let mut numbers = Vec::with_capacity(electors.len());
    for (i, e) in electors.iter().enumerate() {
        let number = number(&e.elector_number, &format!("electors[{i}].electorNumber"))?;
        let long = [&e.given_name, &e.surname, &e.postcode]
            .into_iter()
            .chain(&e.middle_names)
            .chain(&e.town)
            .chain(&e.address_lines)
            .any(|t| t.chars().count() > MAX_TEXT);
        if e.address_lines.is_empty() {
            return Err(Problem::field(&format!("electors[{i}].addressLines"), "give 1 to 6 address lines"));
        }
        if e.uprn.is_some_and(|u| ier_domain::Uprn::new(u).is_err()) {
            return Err(Problem::field(&format!("electors[{i}].uprn"), "must be a UPRN: 1 to 12 digits"));
        }
        if long || e.address_lines.len() > 6 {
            return Err(Problem::field(
                &format!("electors[{i}]"),
                format!(
                    "names, postcode and address lines must be {MAX_TEXT} characters or fewer, with at most 6 lines"
                ),
            ));
        }
        numbers.push(number);
    }
    let mut values_skipped = Vec::new();
    let mut dates = Vec::with_capacity(electors.len());
    let mut ninos = Vec::with_capacity(electors.len());
    for (i, e) in electors.iter().enumerate() {
        let skip = |field: &str, reason: &str| Skipped {
            index: i,
            elector_number: numbers[i].clone(),
            field: Some(field.to_owned()),
            reason: reason.to_owned(),
        };
        let date = match e.date_of_birth.as_deref().map(str::trim).filter(|d| !d.is_empty()) {
            None => None,
            Some(d) => match date_of_birth(d) {
                Ok(date) => Some(date),
                Err(reason) => {
                    values_skipped.push(skip("dateOfBirth", reason));
                    None
                }
            },
        };
        dates.push(date.map(|d| d.format("%Y-%m-%d").to_string()));
        let nino = match e.nino.as_deref().map(str::trim).filter(|n| !n.is_empty()) {
            None => None,
            Some(n) => match ier_domain::Nino::parse(n) {
                Ok(n) => Some(n.compact()),
                Err(_) => {
                    values_skipped.push(skip("nino", "is not a National Insurance number"));
                    None
                }
            },
        };
        ninos.push(nino);
    }
    Ok(Read { numbers, dates, ninos, values_skipped })
}

/// Remove electors who have left the register.
#[utoipa::path(
    post,
    path = "/v1/register/removals",
    tag = "register",
    request_body = Removals,
    responses(
        (status = 200, description = "Removed.", body = RemovalsResult),
        (status = 400, description = "The body is not valid.", body = Problem, content_type = "application/problem+json"),
    )
)]
pub async fn remove(State(state): State<ApiState>, caller: Caller, headers: HeaderMap, body: Bytes) -> ApiResult {
    let removals: Removals = json_body(&headers, &body)?;
    if removals.elector_numbers.is_empty() || removals.elector_numbers.len() > MAX_ELECTORS {
        return Err(Problem::field("electorNumbers", format!("give 1 to {MAX_ELECTORS} elector numbers")));
    }
    let mut numbers = Vec::with_capacity(removals.elector_numbers.len());
    for (i, n) in removals.elector_numbers.iter().enumerate() {
        numbers.push(number(n, &format!("electorNumbers[{i}]"))?);
    }
    let ero = state.for_caller(&caller);
    let removed = ero.remove_electors(&numbers).await?;
    let electors = ero.elector_count().await?;
    Ok(with_items(Json(RemovalsResult { removed, electors }).into_response(), numbers.len()))
}

/// How many of the ERO's electors the index holds.
#[utoipa::path(
    get,
    path = "/v1/register",
    tag = "register",
    responses((status = 200, description = "The ERO's electors in the index.", body = RegisterSummary))
)]
pub async fn summary(State(state): State<ApiState>, caller: Caller) -> ApiResult {
    let electors = state.for_caller(&caller).elector_count().await?;
    Ok(Json(RegisterSummary { electors }).into_response())
}

/// An elector number as sent, or the problem naming `field`.
fn number(s: &str, field: &str) -> Result<String, Problem> {
    elector_number(s.trim()).ok_or_else(|| Problem::field(field, "must be 1 to 32 letters, digits, '-', '/' or '.'"))
}

/// A register's date of birth: `YYYY-MM-DD` of a day that exists, not in the future.
pub fn date_of_birth(s: &str) -> Result<NaiveDate, &'static str> {
    let b = s.as_bytes();
    let shaped = b.len() == 10
        && b[4] == b'-'
        && b[7] == b'-'
        && b.iter().enumerate().all(|(i, c)| i == 4 || i == 7 || c.is_ascii_digit());
    if !shaped {
        return Err("is not in the form YYYY-MM-DD");
    }
    let date = NaiveDate::parse_from_str(s, "%Y-%m-%d").map_err(|_| "is a date that does not exist")?;
    if date > Utc::now().date_naive() || date.year_ce().1 < 1870 {
        return Err("is not a possible date of birth");
    }
    Ok(date)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_of_birth_say_what_is_wrong() {
        assert!(date_of_birth("1990-03-14").is_ok());
        assert_eq!(date_of_birth("1937-02-29"), Err("is a date that does not exist"));
        assert_eq!(date_of_birth("14/03/1990"), Err("is not in the form YYYY-MM-DD"));
        assert_eq!(date_of_birth("2990-01-01"), Err("is not a possible date of birth"));
    }
}
