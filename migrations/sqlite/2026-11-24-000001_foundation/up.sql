-- Foundation: institutions, firms (keyed by USCC, GB 32100-2015), API keys (hashes only).
-- Instants are UTC; money is integer fen (DOMAIN.md §6).
CREATE TABLE institutions (
    id TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL UNIQUE,
    kind TEXT NOT NULL CHECK (kind IN ('bank', 'guarantor', 'government')),
    created_at TIMESTAMP NOT NULL
);

CREATE TABLE firms (
    uscc TEXT PRIMARY KEY NOT NULL,
    name TEXT NOT NULL,
    industry_code TEXT NOT NULL,
    industry_row TEXT NOT NULL,
    district TEXT NOT NULL,
    established_on DATE NOT NULL,
    registered_capital_fen BIGINT NOT NULL CHECK (registered_capital_fen >= 0),
    employees BIGINT CHECK (employees >= 0),
    revenue_fen BIGINT CHECK (revenue_fen >= 0),
    total_assets_fen BIGINT CHECK (total_assets_fen >= 0),
    size_class TEXT NOT NULL CHECK (size_class IN ('micro', 'small', 'medium', 'large')),
    size_standard TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX firms_district_idx ON firms (district, uscc);
CREATE INDEX firms_industry_row_idx ON firms (industry_row, uscc);
CREATE INDEX firms_size_class_idx ON firms (size_class, uscc);

CREATE TABLE api_keys (
    id TEXT PRIMARY KEY NOT NULL,
    key_hash TEXT NOT NULL UNIQUE,
    prefix TEXT NOT NULL,
    role TEXT NOT NULL CHECK (role IN ('bank', 'guarantor', 'government', 'firm', 'admin')),
    institution_id TEXT REFERENCES institutions (id),
    firm_uscc TEXT,
    label TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    revoked_at TIMESTAMP
);
