-- Invitations to sign up when sign-up is invite-only: single use, by the
-- SHA-256 of the code.
CREATE TABLE invites (
	digest     bytea PRIMARY KEY,
	expires_at timestamptz NOT NULL,
	used_at    timestamptz
);
