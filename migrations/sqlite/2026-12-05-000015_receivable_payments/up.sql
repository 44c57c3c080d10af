-- Issue 18 (Art 54; 保障中小企业款项支付条例, Decree 802). What was paid on a receivable, when, and who
-- recorded it (the creditor or the debtor): the late-payment figures read how much was still owed at the
-- due date and when it was settled.
CREATE TABLE receivable_payments (
    id TEXT PRIMARY KEY NOT NULL,
    receivable_id TEXT NOT NULL REFERENCES receivables (id),
    paid_on DATE NOT NULL,
    amount_fen BIGINT NOT NULL CHECK (amount_fen > 0),
    recorded_by TEXT NOT NULL CHECK (recorded_by IN ('creditor', 'debtor')),
    recorded_at TIMESTAMP NOT NULL
);
CREATE INDEX receivable_payments_receivable_idx ON receivable_payments (receivable_id, paid_on);
