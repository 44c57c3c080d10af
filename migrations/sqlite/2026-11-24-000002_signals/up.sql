-- Credit signals (Art 26) with their history: a correction supersedes the current value and keeps the old.
CREATE TABLE ingestion_runs (
    id TEXT PRIMARY KEY NOT NULL,
    source TEXT NOT NULL,
    origin TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('running', 'completed', 'failed')),
    received BIGINT NOT NULL DEFAULT 0,
    accepted BIGINT NOT NULL DEFAULT 0,
    superseded BIGINT NOT NULL DEFAULT 0,
    duplicate BIGINT NOT NULL DEFAULT 0,
    quarantined BIGINT NOT NULL DEFAULT 0,
    error TEXT,
    started_at TIMESTAMP NOT NULL,
    finished_at TIMESTAMP
);
CREATE INDEX ingestion_runs_started_idx ON ingestion_runs (started_at, id);

CREATE TABLE signals (
    uscc TEXT NOT NULL,
    source TEXT NOT NULL,
    kind TEXT NOT NULL,
    period TEXT NOT NULL,
    event_key TEXT NOT NULL,
    version INTEGER NOT NULL,
    value_fen BIGINT,
    value_num TEXT,
    value_code TEXT,
    event_start DATE,
    event_end DATE,
    authority TEXT,
    repaired_on DATE,
    record_id TEXT,
    run_id TEXT NOT NULL REFERENCES ingestion_runs (id),
    ingested_at TIMESTAMP NOT NULL,
    superseded_at TIMESTAMP,
    PRIMARY KEY (uscc, source, kind, period, event_key, version)
);
CREATE UNIQUE INDEX signals_current_idx ON signals (uscc, source, kind, period, event_key) WHERE superseded_at IS NULL;

CREATE TABLE ingestion_rejects (
    run_id TEXT NOT NULL REFERENCES ingestion_runs (id),
    line_no BIGINT NOT NULL,
    raw TEXT NOT NULL,
    reasons TEXT NOT NULL,
    PRIMARY KEY (run_id, line_no)
);
