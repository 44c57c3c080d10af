ALTER TABLE ingestion_runs DROP COLUMN runner;
ALTER TABLE consents DROP COLUMN refused_reason;
ALTER TABLE consents DROP COLUMN refused_at;
ALTER TABLE consents DROP COLUMN confirmed_key_id;
ALTER TABLE consents DROP COLUMN confirmed_by;
ALTER TABLE consents DROP COLUMN confirmed_at;
ALTER TABLE access_log DROP COLUMN client_request_id;
