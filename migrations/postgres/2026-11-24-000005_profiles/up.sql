-- Credit profiles (Art 26, 58): versioned snapshots per firm. `as_of` is the month the indicators end
-- with; `version` counts the firm's snapshots; `fingerprint` lets a recompute that changes nothing store
-- nothing. `body` is the profile as served.
CREATE TABLE profiles (
    uscc TEXT NOT NULL REFERENCES firms (uscc),
    version INTEGER NOT NULL,
    as_of TEXT NOT NULL,
    scorecard_version TEXT NOT NULL,
    score INTEGER NOT NULL,
    grade TEXT NOT NULL,
    fingerprint TEXT NOT NULL,
    cause TEXT NOT NULL,
    body TEXT NOT NULL,
    computed_at TIMESTAMP NOT NULL,
    PRIMARY KEY (uscc, version)
);
CREATE INDEX profiles_as_of_idx ON profiles (uscc, as_of, version);
