DROP TABLE shadow_scores;
DROP TABLE scorecards;
ALTER TABLE loan_balances DROP COLUMN days_past_due;
