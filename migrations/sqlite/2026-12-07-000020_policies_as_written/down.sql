ALTER TABLE loans DROP COLUMN interest_rate;
