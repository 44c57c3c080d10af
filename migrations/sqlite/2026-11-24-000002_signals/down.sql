DROP TABLE ingestion_rejects;
DROP TABLE signals;
DROP TABLE ingestion_runs;
