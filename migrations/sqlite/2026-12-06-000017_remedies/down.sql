DROP TABLE monitoring_events;
DROP TABLE remedy_files;
DROP TABLE remedy_steps;
DROP TABLE remedy_requests;
DROP TABLE department_remits;
ALTER TABLE signals DROP COLUMN legal_basis;
ALTER TABLE signals DROP COLUMN severity;
