-- Issue 21 (Art 58): the firm's remedies. A public-credit record carries its category (one of the closed
-- list in src/domain/public_credit.toml), its severity and its legal basis; a department's remit names
-- the sources whose requests it handles; credit-repair applications and disputes with their steps,
-- evidence files (stored with a content hash) and deadlines; the events a bank under a post-loan
-- monitoring consent reads.
ALTER TABLE signals ADD COLUMN severity TEXT, ADD COLUMN legal_basis TEXT;

CREATE TABLE department_remits (
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    source TEXT NOT NULL,
    PRIMARY KEY (institution_id, source)
);

CREATE TABLE remedy_requests (
    id TEXT PRIMARY KEY NOT NULL,
    -- repair (信用修复) or dispute (异议)
    kind TEXT NOT NULL CHECK (kind IN ('repair', 'dispute')),
    firm_uscc TEXT NOT NULL REFERENCES firms (uscc),
    -- the signal's source, and the remit that handles it (a category's owner, else the source)
    source TEXT NOT NULL,
    owner TEXT NOT NULL,
    signal_kind TEXT NOT NULL,
    period TEXT NOT NULL,
    event_key TEXT NOT NULL,
    record_id TEXT,
    status TEXT NOT NULL,
    statement TEXT NOT NULL,
    claimed_value TEXT,
    refs TEXT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    accept_due DATE,
    decide_due DATE NOT NULL,
    accepted_at TIMESTAMP,
    decided_at TIMESTAMP,
    handled_by TEXT,
    outcome_reason TEXT,
    repaired_on DATE,
    correction_run_id TEXT
);
CREATE INDEX remedy_requests_firm ON remedy_requests (firm_uscc, id);
CREATE INDEX remedy_requests_owner ON remedy_requests (owner, status, id);

CREATE TABLE remedy_steps (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES remedy_requests (id),
    at TIMESTAMP NOT NULL,
    -- submitted, file_added, accepted, not_accepted, repaired, refused, upheld, rejected, undecidable
    action TEXT NOT NULL,
    -- who: a USCC, an institution id, or 'admin'
    actor TEXT NOT NULL,
    detail TEXT
);
CREATE INDEX remedy_steps_request ON remedy_steps (request_id, at);

CREATE TABLE remedy_files (
    id TEXT PRIMARY KEY NOT NULL,
    request_id TEXT NOT NULL REFERENCES remedy_requests (id),
    filename TEXT NOT NULL,
    content_type TEXT NOT NULL CHECK (content_type IN ('application/pdf', 'image/jpeg', 'image/png')),
    sha256 TEXT NOT NULL,
    size_bytes BIGINT NOT NULL,
    bytes BYTEA NOT NULL,
    uploaded_at TIMESTAMP NOT NULL
);
CREATE INDEX remedy_files_request ON remedy_files (request_id);

CREATE TABLE monitoring_events (
    id TEXT PRIMARY KEY NOT NULL,
    institution_id TEXT NOT NULL,
    consent_id TEXT NOT NULL,
    firm_uscc TEXT NOT NULL,
    kind TEXT NOT NULL,
    subject TEXT NOT NULL,
    detail TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX monitoring_events_institution ON monitoring_events (institution_id, id);
