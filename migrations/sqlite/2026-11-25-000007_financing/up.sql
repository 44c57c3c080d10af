-- Financing (Art 21, 27-30, 37): the product catalogue, firms' designations, receivables and their
-- debtors' confirmations, IP assets and pledges, loans, and applications with their events.
CREATE TABLE products (
    id TEXT PRIMARY KEY NOT NULL,
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    kind TEXT NOT NULL CHECK (kind IN ('bank_loan', 'guarantee_scheme', 'receivable_financing', 'ip_pledge')),
    name TEXT NOT NULL,
    -- The published specification (amounts, terms, rates, fees, ratios, validity, eligibility rules), JSON.
    spec TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL,
    withdrawn_at TIMESTAMP
);
CREATE INDEX products_institution_idx ON products (institution_id, id);

-- 专精特新, 小巨人, 高新技术企业: set by the government side.
CREATE TABLE firm_designations (
    firm_uscc TEXT NOT NULL REFERENCES firms (uscc),
    designation TEXT NOT NULL CHECK (designation IN ('specialised_innovative', 'little_giant', 'high_tech')),
    granted_on DATE NOT NULL,
    expires_on DATE,
    PRIMARY KEY (firm_uscc, designation)
);

CREATE TABLE receivables (
    id TEXT PRIMARY KEY NOT NULL,
    creditor_uscc TEXT NOT NULL REFERENCES firms (uscc),
    debtor_uscc TEXT NOT NULL,
    invoice_no TEXT NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    due_on DATE NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'disputed')),
    dispute_reason TEXT,
    registered_at TIMESTAMP NOT NULL,
    decided_at TIMESTAMP,
    financed_application_id TEXT,
    financed_at TIMESTAMP,
    UNIQUE (debtor_uscc, invoice_no)
);
CREATE INDEX receivables_creditor_idx ON receivables (creditor_uscc, id);
CREATE INDEX receivables_debtor_idx ON receivables (debtor_uscc, id);

CREATE TABLE ip_assets (
    id TEXT PRIMARY KEY NOT NULL,
    owner_uscc TEXT NOT NULL REFERENCES firms (uscc),
    kind TEXT NOT NULL CHECK (kind IN ('patent', 'trademark')),
    number TEXT NOT NULL,
    title TEXT NOT NULL,
    appraised_value_fen BIGINT NOT NULL CHECK (appraised_value_fen > 0),
    appraised_on DATE NOT NULL,
    pledged_application_id TEXT,
    pledged_at TIMESTAMP,
    created_at TIMESTAMP NOT NULL,
    UNIQUE (kind, number)
);
CREATE INDEX ip_assets_owner_idx ON ip_assets (owner_uscc, id);

CREATE TABLE applications (
    id TEXT PRIMARY KEY NOT NULL,
    firm_uscc TEXT NOT NULL REFERENCES firms (uscc),
    product_id TEXT NOT NULL REFERENCES products (id),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    term_months INTEGER NOT NULL CHECK (term_months > 0),
    status TEXT NOT NULL CHECK (status IN ('submitted', 'approved', 'declined', 'withdrawn', 'disbursed', 'repaid', 'defaulted')),
    consent_id TEXT NOT NULL REFERENCES consents (id),
    first_loan BOOLEAN NOT NULL,
    credit_loan BOOLEAN NOT NULL,
    -- The receivables or IP assets (comma-separated ids) that back it.
    collateral TEXT NOT NULL,
    -- The cost the firm was shown when it applied (JSON).
    quoted_cost TEXT NOT NULL,
    approved_amount_fen BIGINT,
    approved_rate TEXT,
    approved_term_months INTEGER,
    decline_code TEXT,
    decline_reason TEXT,
    loan_id TEXT,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX applications_institution_idx ON applications (institution_id, id);
CREATE INDEX applications_firm_idx ON applications (firm_uscc, id);

CREATE TABLE application_events (
    id TEXT PRIMARY KEY NOT NULL,
    application_id TEXT NOT NULL REFERENCES applications (id),
    kind TEXT NOT NULL,
    amount_fen BIGINT,
    on_date DATE,
    detail TEXT,
    key_id TEXT NOT NULL,
    at TIMESTAMP NOT NULL
);
CREATE INDEX application_events_app_idx ON application_events (application_id, id);

-- Loans the firm has (first-loan and renewal rules read them): disbursed applications, and loans the
-- lenders report from outside the hub.
CREATE TABLE loans (
    id TEXT PRIMARY KEY NOT NULL,
    firm_uscc TEXT NOT NULL REFERENCES firms (uscc),
    institution_id TEXT NOT NULL REFERENCES institutions (id),
    application_id TEXT REFERENCES applications (id),
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    start_on DATE NOT NULL,
    maturity_on DATE NOT NULL,
    outstanding_fen BIGINT NOT NULL CHECK (outstanding_fen >= 0),
    status TEXT NOT NULL CHECK (status IN ('outstanding', 'repaid', 'defaulted')),
    closed_on DATE,
    created_at TIMESTAMP NOT NULL,
    CHECK (maturity_on > start_on)
);
CREATE INDEX loans_firm_idx ON loans (firm_uscc, maturity_on);
