-- Issue 17. An agency may withdraw a claim batch before the government approves it: the batch keeps its
-- lines and report (nothing is deleted), its status becomes `withdrawn` and it is never approved.
-- SQLite cannot change a CHECK constraint in place, so the table is made anew as SQLite's documentation
-- prescribes: foreign keys off (outside a transaction: metadata.toml runs this migration without
-- diesel's), the new table filled in one transaction, the old one dropped, the new one renamed into its
-- place (claim_lines then refers to it by name), the foreign keys checked before the commit.
PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
CREATE TABLE claim_batches_new (
    id TEXT PRIMARY KEY NOT NULL,
    agency_id TEXT NOT NULL REFERENCES institutions (id),
    policy_id TEXT NOT NULL REFERENCES subsidy_policies (id),
    idempotency_key TEXT,
    body_hash TEXT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('reconciled', 'approved', 'paid', 'withdrawn')),
    lines INTEGER NOT NULL,
    claimed_fen BIGINT NOT NULL,
    computed_fen BIGINT NOT NULL,
    approved_fen BIGINT NOT NULL,
    difference_fen BIGINT NOT NULL,
    submitted_at TIMESTAMP NOT NULL,
    reconciled_at TIMESTAMP NOT NULL,
    approved_at TIMESTAMP,
    paid_at TIMESTAMP,
    withdrawn_at TIMESTAMP,
    UNIQUE (agency_id, idempotency_key)
);
INSERT INTO claim_batches_new (id, agency_id, policy_id, idempotency_key, body_hash, status, lines, claimed_fen, computed_fen, approved_fen, difference_fen, submitted_at, reconciled_at, approved_at, paid_at, withdrawn_at)
    SELECT id, agency_id, policy_id, idempotency_key, body_hash, status, lines, claimed_fen, computed_fen, approved_fen, difference_fen, submitted_at, reconciled_at, approved_at, paid_at, NULL FROM claim_batches;
DROP TABLE claim_batches;
ALTER TABLE claim_batches_new RENAME TO claim_batches;
CREATE INDEX claim_batches_policy_idx ON claim_batches (policy_id, status);
PRAGMA foreign_key_check;
COMMIT;
PRAGMA foreign_keys = ON;
