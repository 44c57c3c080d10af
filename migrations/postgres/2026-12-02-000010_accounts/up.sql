-- Issue 16. People, not keys: the accounts of a firm's (later an institution's) staff, the one-time
-- links that activate them or reset their password, their server-side sessions, and every sign-in,
-- failed sign-in and sign-out. Secrets (passwords, link tokens, session ids) are stored only as hashes.
CREATE TABLE users (
    id TEXT PRIMARY KEY,
    login TEXT NOT NULL UNIQUE,
    display_name TEXT NOT NULL,
    -- firm, bank, guarantor, government, admin
    party TEXT NOT NULL,
    firm_uscc TEXT REFERENCES firms (uscc),
    institution_id TEXT REFERENCES institutions (id),
    -- in a firm: owner (grants consents, applies, invites) or member (reads)
    role TEXT NOT NULL,
    -- argon2id, PHC string; none until the account is activated
    password_hash TEXT,
    -- pending (not activated), active, suspended
    status TEXT NOT NULL,
    language TEXT NOT NULL DEFAULT 'zh',
    failed_sign_ins INTEGER NOT NULL DEFAULT 0,
    locked_until TIMESTAMP,
    created_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    updated_at TIMESTAMP NOT NULL
);
CREATE INDEX users_firm ON users (firm_uscc);

CREATE TABLE user_links (
    token_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    -- activation or reset
    purpose TEXT NOT NULL,
    issued_by TEXT NOT NULL,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    used_at TIMESTAMP
);
CREATE INDEX user_links_user ON user_links (user_id);

CREATE TABLE sessions (
    id_hash TEXT PRIMARY KEY,
    user_id TEXT NOT NULL REFERENCES users (id),
    csrf_token TEXT NOT NULL,
    address TEXT,
    created_at TIMESTAMP NOT NULL,
    expires_at TIMESTAMP NOT NULL,
    ended_at TIMESTAMP
);
CREATE INDEX sessions_user ON sessions (user_id);

CREATE TABLE auth_events (
    id TEXT PRIMARY KEY,
    at TIMESTAMP NOT NULL,
    user_id TEXT,
    login TEXT NOT NULL,
    -- signed_in, sign_in_failed, sign_in_locked, signed_out, activated, link_issued, suspended
    event TEXT NOT NULL,
    address TEXT,
    detail TEXT
);
CREATE INDEX auth_events_address ON auth_events (address, at);
CREATE INDEX auth_events_user ON auth_events (user_id, at);
