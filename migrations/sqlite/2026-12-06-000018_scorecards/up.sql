-- Issue 19: a score banks can trust. Banks report days past due with a loan's balance, so outcomes
-- (bad: default or more than 90 days past due within 12 months of disbursement) are knowable; the
-- scorecard registry holds the champion profiles use and the challengers computed in shadow beside it;
-- shadow scores are stored per firm and month, never shown to a bank.
ALTER TABLE loan_balances ADD COLUMN days_past_due INTEGER;

CREATE TABLE scorecards (
    version TEXT PRIMARY KEY NOT NULL,
    -- champion (one at a time), challenger, or retired
    role TEXT NOT NULL CHECK (role IN ('champion', 'challenger', 'retired')),
    body TEXT NOT NULL,
    -- shipped, fitted, uploaded
    origin TEXT NOT NULL,
    registered_by TEXT NOT NULL,
    registered_at TIMESTAMP NOT NULL,
    promoted_by TEXT,
    promoted_at TIMESTAMP,
    note TEXT
);

CREATE TABLE shadow_scores (
    uscc TEXT NOT NULL REFERENCES firms (uscc),
    as_of TEXT NOT NULL,
    scorecard_version TEXT NOT NULL REFERENCES scorecards (version),
    score INTEGER NOT NULL,
    grade TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (uscc, as_of, scorecard_version)
);
CREATE INDEX shadow_scores_version ON shadow_scores (scorecard_version, as_of);
