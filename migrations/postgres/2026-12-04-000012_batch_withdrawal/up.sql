-- Issue 17. An agency may withdraw a claim batch before the government approves it: the batch keeps its
-- lines and report (nothing is deleted), its status becomes `withdrawn` and it is never approved.
ALTER TABLE claim_batches ADD COLUMN withdrawn_at TIMESTAMP;
ALTER TABLE claim_batches DROP CONSTRAINT claim_batches_status_check;
ALTER TABLE claim_batches ADD CONSTRAINT claim_batches_status_check
    CHECK (status IN ('reconciled', 'approved', 'paid', 'withdrawn'));
