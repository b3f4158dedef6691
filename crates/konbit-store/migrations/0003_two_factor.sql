-- Account security (issue 3): second factor, half-finished sign-ins,
-- password reset links, and the state of each panel session.

-- A session is `full` only once the password and (if any) the second factor
-- are done. Existing sessions predate 2FA and stay full.
ALTER TABLE sessions ADD COLUMN state TEXT NOT NULL DEFAULT 'full'
    CHECK (state IN ('full', 'pending_2fa', 'enrol_2fa'));
-- When this session passed a second factor (NULL: it did not).
ALTER TABLE sessions ADD COLUMN mfa_at INTEGER;
-- Sign-ins whose second factor never came, found when this session was
-- opened: the dashboard tells the person.
ALTER TABLE sessions ADD COLUMN incomplete_notice INTEGER NOT NULL DEFAULT 0;

-- One TOTP secret per person, sealed (ChaCha20-Poly1305) with a key kept in
-- a file outside the database. `enabled_at` is NULL until a first code is
-- confirmed; `last_step` is the last accepted time-step, so a code is
-- accepted once.
CREATE TABLE two_factor (
    user_id       INTEGER PRIMARY KEY REFERENCES users(id) ON DELETE CASCADE,
    secret_sealed TEXT NOT NULL,
    enabled_at    INTEGER,
    last_step     INTEGER,
    created_at    INTEGER NOT NULL
);

-- Single-use recovery codes; only their SHA-256 is kept.
CREATE TABLE recovery_codes (
    id          INTEGER PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    code_hash   TEXT NOT NULL,
    used_at     INTEGER
);
CREATE INDEX recovery_codes_user ON recovery_codes(user_id);

-- A sign-in whose password was right and whose second factor is pending.
-- Completing it removes the row; what is left is reported at the next full
-- sign-in.
CREATE TABLE two_factor_incomplete (
    session_hash TEXT PRIMARY KEY,
    user_id      INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    at           INTEGER NOT NULL,
    ip           TEXT,
    user_agent   TEXT
);
CREATE INDEX two_factor_incomplete_user ON two_factor_incomplete(user_id);

-- Password reset links: only the SHA-256 of the token is kept.
CREATE TABLE password_resets (
    token_hash  TEXT PRIMARY KEY,
    user_id     INTEGER NOT NULL REFERENCES users(id) ON DELETE CASCADE,
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX password_resets_user ON password_resets(user_id);
