-- Guarantees and fee subsidies (Art 28): contracts registered by guarantee agencies (or made from approved
-- applications), subsidy policies set by the government, claim batches reconciled line by line.
CREATE TABLE guarantees (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT NOT NULL REFERENCES institutions (id),
    -- The agency's own contract number, unique per agency.
    contract_no TEXT NOT NULL,
    firm_uscc TEXT NOT NULL REFERENCES firms (uscc),
    lender TEXT NOT NULL,
    loan_amount_fen BIGINT NOT NULL CHECK (loan_amount_fen > 0),
    guaranteed_fen BIGINT NOT NULL CHECK (guaranteed_fen > 0),
    fee_rate TEXT NOT NULL,
    start_on DATE NOT NULL,
    end_on DATE NOT NULL,
    released_on DATE,
    called_on DATE,
    compensation_fen BIGINT,
    application_id TEXT REFERENCES applications (id),
    first_loan BOOLEAN NOT NULL,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (agency_id, contract_no),
    CHECK (end_on > start_on),
    CHECK (guaranteed_fen <= loan_amount_fen)
);
CREATE INDEX guarantees_firm_idx ON guarantees (firm_uscc);

CREATE TABLE subsidy_policies (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    -- window, rules, formula, caps, budget (JSON)
    spec TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE claim_batches (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT NOT NULL REFERENCES institutions (id),
    policy_id TEXT NOT NULL REFERENCES subsidy_policies (id),
    idempotency_key TEXT,
    body_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('reconciled', 'approved', 'paid')),
    lines INTEGER NOT NULL,
    claimed_fen BIGINT NOT NULL,
    computed_fen BIGINT NOT NULL,
    approved_fen BIGINT NOT NULL,
    difference_fen BIGINT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    reconciled_at TIMESTAMP NOT NULL,
    approved_at TIMESTAMP,
    paid_at TIMESTAMP,
    UNIQUE (agency_id, idempotency_key)
);
CREATE INDEX claim_batches_policy_idx ON claim_batches (policy_id, status);

CREATE TABLE claim_lines (
    batch_id TEXT NOT NULL REFERENCES claim_batches (id),
    line_no INTEGER NOT NULL,
    contract_no TEXT NOT NULL,
    guarantee_id TEXT,
    firm_uscc TEXT,
    from_on DATE NOT NULL,
    to_on DATE NOT NULL,
    claimed_fen BIGINT NOT NULL,
    status TEXT NOT NULL,
    computed_fen BIGINT NOT NULL,
    approved_fen BIGINT NOT NULL,
    difference_fen BIGINT NOT NULL,
    -- days per calendar year ("2026:184,2027:181"): approved amounts count toward yearly caps by them
    year_days TEXT NOT NULL,
    before_caps_fen BIGINT NOT NULL,
    caps TEXT NOT NULL,
    reason TEXT,
    PRIMARY KEY (batch_id, line_no)
);
CREATE INDEX claim_lines_guarantee_idx ON claim_lines (guarantee_id);

CREATE TABLE agency_net_assets (
    agency_id TEXT NOT NULL REFERENCES institutions (id),
    as_of DATE NOT NULL,
    net_assets_fen BIGINT NOT NULL CHECK (net_assets_fen > 0),
    reported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (agency_id, as_of)
);
