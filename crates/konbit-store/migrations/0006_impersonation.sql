-- An admin's session can act as another person to help them. The state is
-- kept here, on the server: no cookie says who anyone is acting as.
ALTER TABLE sessions ADD COLUMN impersonating_user_id INTEGER REFERENCES users(id) ON DELETE SET NULL;
ALTER TABLE sessions ADD COLUMN impersonation_started_at INTEGER;
CREATE INDEX sessions_impersonating ON sessions(impersonating_user_id);
