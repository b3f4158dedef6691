-- Subscribing to or leaving a mailing list from its public page: the
-- address is confirmed by a one-time link sent there. Only the SHA-256 of
-- the link's token is kept; a row is useless once used or expired and is
-- purged soon after.
CREATE TABLE list_confirmations (
    token_hash  TEXT PRIMARY KEY,
    list_id     INTEGER NOT NULL REFERENCES mailing_lists(id) ON DELETE CASCADE,
    address     TEXT NOT NULL,
    action      TEXT NOT NULL CHECK (action IN ('subscribe', 'unsubscribe')),
    language    TEXT NOT NULL CHECK (language IN ('fr', 'en')),
    created_at  INTEGER NOT NULL,
    expires_at  INTEGER NOT NULL,
    used_at     INTEGER
);
CREATE INDEX list_confirmations_list ON list_confirmations(list_id);
CREATE INDEX list_confirmations_expires ON list_confirmations(expires_at);
