-- Consent (Art 58) and the access log: a firm lets an institution see its profile for a purpose, within a
-- scope and a time; every profile access is logged, and the log is append-only.
CREATE TABLE consents (
    id TEXT PRIMARY KEY NOT NULL,
    firm_uscc TEXT NOT NULL REFERENCES firms (uscc),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    purpose TEXT NOT NULL CHECK (purpose IN ('credit_assessment', 'post_loan_monitoring', 'guarantee_review')),
    scope TEXT NOT NULL,
    data_months INTEGER NOT NULL CHECK (data_months BETWEEN 1 AND 36),
    max_queries_per_month INTEGER CHECK (max_queries_per_month > 0),
    data_life_days INTEGER NOT NULL CHECK (data_life_days > 0),
    document_ref TEXT,
    granted_by TEXT NOT NULL CHECK (granted_by IN ('firm', 'institution')),
    granted_key_id TEXT NOT NULL,
    valid_from TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    CHECK (expires_at > valid_from)
);
CREATE INDEX consents_lookup_idx ON consents (institution_id, firm_uscc, purpose);
CREATE INDEX consents_firm_idx ON consents (firm_uscc, id);

CREATE TABLE access_log (
    id TEXT PRIMARY KEY NOT NULL,
    at TIMESTAMP NOT NULL,
    key_id TEXT NOT NULL,
    role TEXT NOT NULL,
    institution_id TEXT,
    firm_uscc TEXT NOT NULL,
    purpose TEXT,
    consent_id TEXT,
    scope TEXT,
    route TEXT NOT NULL,
    result TEXT NOT NULL CHECK (result IN ('ok', 'denied', 'not_found')),
    reason TEXT,
    request_id TEXT
);
CREATE INDEX access_log_firm_idx ON access_log (firm_uscc, id);
CREATE INDEX access_log_institution_idx ON access_log (institution_id, id);
CREATE INDEX access_log_consent_idx ON access_log (consent_id, at);

CREATE FUNCTION access_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'access_log is append-only';
END $$;
CREATE TRIGGER access_log_no_change BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_append_only();

-- Per-institution rate limits and daily quota (NULL: the configured defaults).
ALTER TABLE institutions ADD COLUMN rate_per_sec INTEGER;
ALTER TABLE institutions ADD COLUMN rate_burst INTEGER;
ALTER TABLE institutions ADD COLUMN daily_quota INTEGER;
