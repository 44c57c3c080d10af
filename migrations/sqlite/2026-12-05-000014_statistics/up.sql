-- Issue 18 (Art 7, 17, 21 statistics). What the figures need and the records did not carry:
-- a loan's kind (credit loan 信用贷款: no guarantee, no collateral), whether it was the borrower's first
-- loan (首贷户: no loan on record before it), the loan it renews without principal repayment (无还本续贷),
-- the borrower's total credit line at the lender (单户授信总额, for the inclusive small/micro basis), and
-- the borrower's size class when the loan was made; the loan's outstanding balance as reported at dates
-- (balances at period ends); the size class of the firm on each fee-subsidy claim line when it was
-- reconciled, and the part of an agency reward earned on small and micro firms' guarantees (Art 17).
ALTER TABLE loans ADD COLUMN kind TEXT NOT NULL DEFAULT 'credit' CHECK (kind IN ('credit', 'guaranteed', 'collateral'));
ALTER TABLE loans ADD COLUMN first_loan BOOLEAN NOT NULL DEFAULT FALSE;
ALTER TABLE loans ADD COLUMN renews_loan_id TEXT REFERENCES loans (id);
ALTER TABLE loans ADD COLUMN credit_line_fen BIGINT;
ALTER TABLE loans ADD COLUMN size_class TEXT;

UPDATE loans SET size_class = (SELECT f.size_class FROM firms f WHERE f.uscc = loans.firm_uscc);
UPDATE loans SET kind = CASE
    WHEN application_id IS NULL THEN 'credit'
    WHEN (SELECT a.credit_loan FROM applications a WHERE a.id = loans.application_id) THEN 'credit'
    WHEN (SELECT a.collateral FROM applications a WHERE a.id = loans.application_id) <> '' THEN 'collateral'
    ELSE 'guaranteed' END;
UPDATE loans SET first_loan = NOT EXISTS (
    SELECT 1 FROM loans e WHERE e.firm_uscc = loans.firm_uscc
       AND (e.start_on < loans.start_on OR (e.start_on = loans.start_on AND e.id < loans.id)));

CREATE TABLE loan_balances (
    loan_id TEXT NOT NULL REFERENCES loans (id),
    as_of DATE NOT NULL,
    outstanding_fen BIGINT NOT NULL CHECK (outstanding_fen >= 0),
    reported_at TIMESTAMP NOT NULL,
    PRIMARY KEY (loan_id, as_of)
);
INSERT INTO loan_balances (loan_id, as_of, outstanding_fen, reported_at)
    SELECT id, start_on, amount_fen, created_at FROM loans;
INSERT INTO loan_balances (loan_id, as_of, outstanding_fen, reported_at)
    SELECT id, closed_on, 0, created_at FROM loans WHERE status = 'repaid' AND closed_on IS NOT NULL AND closed_on > start_on;

ALTER TABLE claim_lines ADD COLUMN size_class TEXT;
UPDATE claim_lines SET size_class = (SELECT f.size_class FROM firms f WHERE f.uscc = claim_lines.firm_uscc);

-- NULL: claimed before the split was recorded.
ALTER TABLE reward_claims ADD COLUMN small_micro_fen BIGINT;
