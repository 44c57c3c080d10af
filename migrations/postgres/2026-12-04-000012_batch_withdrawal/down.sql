ALTER TABLE claim_batches DROP CONSTRAINT claim_batches_status_check;
UPDATE claim_batches SET status = 'reconciled' WHERE status = 'withdrawn';
ALTER TABLE claim_batches ADD CONSTRAINT claim_batches_status_check
    CHECK (status IN ('reconciled', 'approved', 'paid'));
ALTER TABLE claim_batches DROP COLUMN withdrawn_at;
