-- Issue 20 §8: a firm's own edits of its employees, revenue or total assets are declarations; they change
-- the size class used for eligibility only once the government confirms them or the sources agree.
CREATE TABLE firm_declarations (
    id TEXT PRIMARY KEY NOT NULL,
    uscc TEXT NOT NULL REFERENCES firms (uscc),
    employees BIGINT,
    revenue_fen BIGINT,
    total_assets_fen BIGINT,
    -- pending, confirmed (by the government or because the sources agree), rejected
    status TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'rejected')),
    declared_at TIMESTAMP NOT NULL,
    decided_by TEXT,
    decided_at TIMESTAMP,
    note TEXT
);
CREATE INDEX firm_declarations_firm ON firm_declarations (uscc, declared_at);
