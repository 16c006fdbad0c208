-- Invitations to sign up when sign-up is invite-only: single use, by the
-- SHA-256 of the code.
CREATE TABLE invites (
	digest     BLOB PRIMARY KEY,
	expires_at INTEGER NOT NULL,
	used_at    INTEGER
) STRICT;
