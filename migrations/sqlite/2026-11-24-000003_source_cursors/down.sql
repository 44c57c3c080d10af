DROP TABLE source_cursors;
