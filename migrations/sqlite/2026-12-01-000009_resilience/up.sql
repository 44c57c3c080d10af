-- Issue 14. The access log keeps the caller's own request id beside the hub's.
ALTER TABLE access_log ADD COLUMN client_request_id TEXT;

-- A consent an institution registers waits for the firm (or a government officer who verified the
-- signed paper) to confirm it; a firm's own grant is confirmed as it is made.
ALTER TABLE consents ADD COLUMN confirmed_at TIMESTAMP;
ALTER TABLE consents ADD COLUMN confirmed_by TEXT;
ALTER TABLE consents ADD COLUMN confirmed_key_id TEXT;
ALTER TABLE consents ADD COLUMN refused_at TIMESTAMP;
ALTER TABLE consents ADD COLUMN refused_reason TEXT;
-- Consents made before this rule were live as made: they stay so.
UPDATE consents SET confirmed_at = created_at, confirmed_by = granted_by, confirmed_key_id = granted_key_id;

-- Which process runs an ingestion run ("host:pid"), so a run left `running` by a dead process is found.
ALTER TABLE ingestion_runs ADD COLUMN runner TEXT;
