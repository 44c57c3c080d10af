ALTER TABLE institutions DROP COLUMN daily_quota;
ALTER TABLE institutions DROP COLUMN rate_burst;
ALTER TABLE institutions DROP COLUMN rate_per_sec;
DROP TABLE access_log;
DROP TABLE consents;
