ALTER TABLE reward_claims DROP COLUMN small_micro_fen;
ALTER TABLE claim_lines DROP COLUMN size_class;
DROP TABLE loan_balances;
ALTER TABLE loans DROP COLUMN size_class;
ALTER TABLE loans DROP COLUMN credit_line_fen;
ALTER TABLE loans DROP COLUMN renews_loan_id;
ALTER TABLE loans DROP COLUMN first_loan;
ALTER TABLE loans DROP COLUMN kind;
