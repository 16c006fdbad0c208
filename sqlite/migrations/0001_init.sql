-- Times are Unix milliseconds (UTC); bin records are BLOBs holding the
-- client's JSON bytes exactly.
CREATE TABLE accounts (
	id         TEXT PRIMARY KEY,
	email      TEXT UNIQUE,          -- NULL for the bootstrap admin
	name       TEXT NOT NULL,
	created_at INTEGER NOT NULL
) STRICT;

CREATE TABLE keys (
	id           TEXT PRIMARY KEY,
	account_id   TEXT NOT NULL REFERENCES accounts (id),
	kind         TEXT NOT NULL,      -- api | access
	name         TEXT NOT NULL,
	prefix       TEXT NOT NULL,
	digest       BLOB NOT NULL UNIQUE, -- SHA-256 of the secret
	perms        INTEGER NOT NULL,   -- bit set: 1 create, 2 read, 4 update, 8 delete
	created_at   INTEGER NOT NULL,
	last_used_at INTEGER,
	revoked_at   INTEGER
) STRICT;
CREATE INDEX keys_by_account ON keys (account_id, kind, created_at);

CREATE TABLE bins (
	id            TEXT PRIMARY KEY,
	account_id    TEXT NOT NULL REFERENCES accounts (id),
	private       INTEGER NOT NULL,
	name          TEXT NOT NULL DEFAULT '',
	collection_id TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	version       INTEGER NOT NULL DEFAULT 0, -- newest version's number
	rev           INTEGER NOT NULL DEFAULT 1, -- bumped on every change
	record        BLOB NOT NULL               -- the newest version's content
) STRICT;
CREATE INDEX bins_by_account ON bins (account_id, created_at);

-- Older versions of a bin: 0 (the base) .. bins.version-1.
CREATE TABLE bin_versions (
	bin_id     TEXT NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
	version    INTEGER NOT NULL,
	created_at INTEGER NOT NULL,
	record     BLOB NOT NULL,
	PRIMARY KEY (bin_id, version)
) STRICT;
