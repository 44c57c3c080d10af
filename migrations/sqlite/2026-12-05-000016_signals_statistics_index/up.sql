-- Issue 18. The statistics read current signals by month and kind across every firm (see the PostgreSQL
-- migration); SQLite has no INCLUDE, so the columns read are keys of the index.
CREATE INDEX signals_statistics_idx ON signals (period, kind, source, uscc, value_fen, value_num)
    WHERE superseded_at IS NULL;
