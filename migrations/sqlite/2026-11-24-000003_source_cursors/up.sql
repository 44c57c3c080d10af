-- Where each upstream pull got to: the `since` cursor of the last page stored.
CREATE TABLE source_cursors (
    source TEXT PRIMARY KEY NOT NULL,
    cursor TEXT NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
