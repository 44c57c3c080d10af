ALTER TABLE signals ADD CONSTRAINT signals_run_id_fkey FOREIGN KEY (run_id) REFERENCES ingestion_runs (id);
