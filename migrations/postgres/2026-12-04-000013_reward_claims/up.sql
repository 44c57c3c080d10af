-- Issue 17. An agency claims the reward an agency-reward policy computes for it over a period (the
-- national guarantee fund measures: a rate on the average balance of qualifying guarantees); the
-- government approves it (computed again then, on the contracts as they stand) and records the payment.
-- Periods of one agency under one policy never overlap.
CREATE TABLE reward_claims (
    id TEXT PRIMARY KEY NOT NULL,
    policy_id TEXT NOT NULL REFERENCES subsidy_policies (id),
    agency_id TEXT NOT NULL REFERENCES institutions (id),
    from_on DATE NOT NULL,
    to_on DATE NOT NULL,
    eligible_contracts INTEGER NOT NULL,
    average_balance_fen BIGINT NOT NULL,
    reward_fen BIGINT NOT NULL,
    status TEXT NOT NULL CHECK (status IN ('claimed', 'approved', 'paid')),
    claimed_at TIMESTAMP NOT NULL,
    approved_at TIMESTAMP,
    paid_at TIMESTAMP
);
CREATE INDEX reward_claims_agency_idx ON reward_claims (agency_id, policy_id, from_on);
