-- Dashboard logins: an account's password (a PHC string, NULL when it has
-- none) and its sessions, of which only the token's SHA-256 is kept.
ALTER TABLE accounts ADD COLUMN password_hash text;

CREATE TABLE sessions (
	id         text COLLATE "C" PRIMARY KEY,
	account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
	digest     bytea NOT NULL UNIQUE, -- SHA-256 of the token
	created_at timestamptz NOT NULL,
	expires_at timestamptz NOT NULL,
	revoked_at timestamptz
);
CREATE INDEX sessions_by_account ON sessions (account_id);
