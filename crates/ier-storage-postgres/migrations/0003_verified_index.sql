-- The identity check's result is joined to every application the EMS reads:
-- a small index of just the `verified` events keeps that join an index look-up
-- whatever the planner's statistics say (right after a bulk load, say).
CREATE INDEX application_events_verified ON application_events (reference) WHERE kind = 'verified';
