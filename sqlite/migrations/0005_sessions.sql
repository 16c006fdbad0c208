-- Dashboard logins: passwords (argon2id PHC strings) and sessions, of which
-- only the token's SHA-256 digest is kept.
ALTER TABLE accounts ADD COLUMN password_hash TEXT;

CREATE TABLE sessions (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	digest     BLOB NOT NULL UNIQUE,
	created_at INTEGER NOT NULL,
	expires_at INTEGER NOT NULL,
	revoked_at INTEGER
) STRICT;
CREATE INDEX sessions_by_account ON sessions (account_id);
