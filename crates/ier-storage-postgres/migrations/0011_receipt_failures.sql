-- A failed receipt means "not received": the application stays on the EMS's
-- queue (`ems_confirmed_at IS NULL`, the partial index applications_pending_for_ems)
-- until a success. Failures are counted, the latest one's time kept (its
-- message, sealed, in ems_message), and each is an event `confirmed-by-ems`
-- with `success: false`.
ALTER TABLE applications ADD COLUMN ems_failures INTEGER NOT NULL DEFAULT 0;
ALTER TABLE applications ADD COLUMN ems_failed_at TIMESTAMPTZ;

-- Applications a failure took off the queue before: their failure becomes an
-- event and a count, and they are back on the queue.
INSERT INTO application_events (reference, ero_id, at, kind, detail)
SELECT reference, ero_id, ems_confirmed_at, 'confirmed-by-ems', '{"event":"confirmed-by-ems","success":false}'
FROM applications WHERE ems_confirmed_at IS NOT NULL AND ems_success = false;
UPDATE applications SET ems_failures = 1, ems_failed_at = ems_confirmed_at, ems_confirmed_at = NULL, ems_success = NULL
WHERE ems_confirmed_at IS NOT NULL AND ems_success = false;
