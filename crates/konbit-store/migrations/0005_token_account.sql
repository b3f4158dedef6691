-- A token can be limited to one account: it then reaches nothing else,
-- whoever made it. Deleting the account removes its tokens.
ALTER TABLE api_tokens ADD COLUMN account_id INTEGER REFERENCES accounts(id) ON DELETE CASCADE;
