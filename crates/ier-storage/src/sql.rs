//! SQL that both backends run as written (standard SQL that SQLite and
//! PostgreSQL both accept): the application with its progress.

/// An application with its progress: the `verified` event by correlated
/// look-ups (one index probe a row, whatever the planner's statistics) and the
/// register check by a left join on its unique reference. Filter on `a.` columns.
pub const APPLICATION_SELECT: &str = "SELECT a.reference, a.kind, a.language, a.gss_code, a.ero_id, a.submitted_at,
    a.stage, a.key_id, a.details, a.ems_confirmed_at, a.ems_success, a.ems_message_key, a.ems_message,
    a.ems_failures, a.ems_failed_at, a.determination, a.determined_at, a.erased_at,
    (SELECT v.at FROM application_events v WHERE v.reference = a.reference AND v.kind = 'verified' ORDER BY v.id LIMIT 1) AS verified_at,
    (SELECT v.detail FROM application_events v WHERE v.reference = a.reference AND v.kind = 'verified' ORDER BY v.id LIMIT 1) AS verified_detail,
    rc.id AS check_id, rc.created_at AS check_created_at, rc.historical AS check_historical,
    rc.answered_at AS check_answered_at, rc.result AS check_result, rc.match_count AS check_match_count
  FROM applications a
  LEFT JOIN register_checks rc ON rc.reference = a.reference";

/// [`APPLICATION_SELECT`] with a register check's sealed candidates.
pub const APPLICATION_SELECT_WITH_CANDIDATES: &str = "SELECT a.reference, a.kind, a.language, a.gss_code, a.ero_id,
    a.submitted_at, a.stage, a.key_id, a.details, a.ems_confirmed_at, a.ems_success, a.ems_message_key,
    a.ems_message, a.ems_failures, a.ems_failed_at, a.determination, a.determined_at, a.erased_at,
    (SELECT v.at FROM application_events v WHERE v.reference = a.reference AND v.kind = 'verified' ORDER BY v.id LIMIT 1) AS verified_at,
    (SELECT v.detail FROM application_events v WHERE v.reference = a.reference AND v.kind = 'verified' ORDER BY v.id LIMIT 1) AS verified_detail,
    rc.id AS check_id, rc.created_at AS check_created_at, rc.historical AS check_historical,
    rc.answered_at AS check_answered_at, rc.result AS check_result, rc.match_count AS check_match_count,
    rc.key_id AS candidates_key, rc.candidates AS candidates
  FROM applications a
  LEFT JOIN register_checks rc ON rc.reference = a.reference";
