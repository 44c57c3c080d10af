-- Bulk ingest: the per-row foreign-key trigger on signals.run_id halved COPY-merge throughput. The run row
-- is written in the same transaction as its signals (src/ingest), which is what guarantees the link.
ALTER TABLE signals DROP CONSTRAINT signals_run_id_fkey;
