-- The performance figures, kept as they happen (ier_storage::performance):
-- how many of a measure in a category during a period (hours since the Unix
-- epoch of the period's start: an hour for applications, a day in
-- Europe/London for the rest). Added to in the transaction of what they
-- count; read by measure and period. No personal data: categories are closed
-- sets. `shard` spreads concurrent writers over rows on Postgres; here it is 0.
CREATE TABLE performance_counts (
    measure   TEXT NOT NULL,
    period    INTEGER NOT NULL,
    category  TEXT NOT NULL,
    shard     INTEGER NOT NULL,
    n         INTEGER NOT NULL,
    PRIMARY KEY (measure, period, category, shard)
) STRICT, WITHOUT ROWID;
