DROP TABLE api_keys;
DROP TABLE firms;
DROP TABLE institutions;
