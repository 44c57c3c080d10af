DROP INDEX signals_statistics_idx;
