-- Retention (ier_domain::retention, data/retention.toml): an application's
-- personal data is deleted ("erased") a set time after its EMS has it and the
-- ERO has decided. Erasing empties `details` (key_id ''), the EMS's receipt
-- message and the register check's candidates, removes its person-index
-- entries, writes an `erased` event and sets `erased_at`. What stays holds no
-- personal data: reference, council, kind, stage, dates, events, determination.
ALTER TABLE applications ADD COLUMN erased_at TEXT;

-- The retention run's two range scans, over rows not yet erased only.
CREATE INDEX applications_erasable_decided ON applications (determined_at)
    WHERE erased_at IS NULL AND determination IN ('approved', 'rejected');
CREATE INDEX applications_erasable_received ON applications (ems_confirmed_at)
    WHERE erased_at IS NULL AND ems_confirmed_at IS NOT NULL;
