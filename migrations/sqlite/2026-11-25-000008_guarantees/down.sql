DROP TABLE agency_net_assets;
DROP TABLE claim_lines;
DROP TABLE claim_batches;
DROP TABLE subsidy_policies;
DROP TABLE guarantees;
