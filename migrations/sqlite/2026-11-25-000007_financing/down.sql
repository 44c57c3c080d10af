DROP TABLE loans;
DROP TABLE application_events;
DROP TABLE applications;
DROP TABLE ip_assets;
DROP TABLE receivables;
DROP TABLE firm_designations;
DROP TABLE products;
