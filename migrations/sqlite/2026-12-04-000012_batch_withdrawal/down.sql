PRAGMA foreign_keys = OFF;
BEGIN IMMEDIATE;
UPDATE claim_batches SET status = 'reconciled' WHERE status = 'withdrawn';
CREATE TABLE claim_batches_old (
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
INSERT INTO claim_batches_old (id, agency_id, policy_id, idempotency_key, body_hash, status, lines, claimed_fen, computed_fen, approved_fen, difference_fen, submitted_at, reconciled_at, approved_at, paid_at)
    SELECT id, agency_id, policy_id, idempotency_key, body_hash, status, lines, claimed_fen, computed_fen, approved_fen, difference_fen, submitted_at, reconciled_at, approved_at, paid_at FROM claim_batches;
DROP TABLE claim_batches;
ALTER TABLE claim_batches_old RENAME TO claim_batches;
CREATE INDEX claim_batches_policy_idx ON claim_batches (policy_id, status);
COMMIT;
PRAGMA foreign_keys = ON;
