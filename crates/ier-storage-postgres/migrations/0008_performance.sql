-- The performance figures, kept as they happen (ier_storage::performance):
-- how many of a measure in a category during a period (hours since the Unix
-- epoch of the period's start: an hour for applications, a day in
-- Europe/London for the rest). Added to in the transaction of what they
-- count; read by measure and period. No personal data: categories are closed
-- sets. Each transaction adds to one of 8 shards of a counter, chosen at
-- random, so instances committing at once rarely wait on one row.
CREATE TABLE performance_counts (
    measure   TEXT NOT NULL,
    period    BIGINT NOT NULL,
    category  TEXT NOT NULL,
    shard     SMALLINT NOT NULL,
    n         BIGINT NOT NULL,
    PRIMARY KEY (measure, period, category, shard)
);
