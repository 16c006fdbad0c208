-- Times are timestamptz kept to the millisecond; ids are compared as bytes
-- (COLLATE "C"), so that bins page by id in creation order whatever the
-- database's collation. Bin records are bytea, never jsonb: a JSON bin
-- service returns the bytes it was given.
CREATE TABLE accounts (
	id                 text COLLATE "C" PRIMARY KEY,
	email              text UNIQUE,          -- NULL for the bootstrap admin
	name               text NOT NULL,
	created_at         timestamptz NOT NULL,
	-- Limits an operator sets; NULL means the instance default.
	requests_per_month bigint,
	max_bins           integer,
	max_bin_size       integer,
	max_access_keys    integer,
	versioning         boolean,
	max_collections    integer
);
CREATE INDEX accounts_by_name ON accounts (name);

CREATE TABLE keys (
	id           text COLLATE "C" PRIMARY KEY,
	account_id   text COLLATE "C" NOT NULL REFERENCES accounts (id),
	kind         text NOT NULL,              -- api | access
	name         text NOT NULL,
	prefix       text NOT NULL,
	digest       bytea NOT NULL UNIQUE,      -- SHA-256 of the secret
	can_create   boolean NOT NULL,           -- an access key's permissions
	can_read     boolean NOT NULL,
	can_update   boolean NOT NULL,
	can_delete   boolean NOT NULL,
	created_at   timestamptz NOT NULL,
	last_used_at timestamptz,
	revoked_at   timestamptz
);
CREATE INDEX keys_by_account ON keys (account_id, kind, created_at);

CREATE TABLE bins (
	id            text COLLATE "C" PRIMARY KEY,
	account_id    text COLLATE "C" NOT NULL REFERENCES accounts (id),
	private       boolean NOT NULL,
	name          text NOT NULL DEFAULT '',
	collection_id text COLLATE "C" NOT NULL DEFAULT '', -- '' when uncategorised
	created_at    timestamptz NOT NULL,
	updated_at    timestamptz NOT NULL,
	version       integer NOT NULL DEFAULT 0, -- newest version's number
	rev           bigint NOT NULL DEFAULT 1,  -- bumped on every change
	record        bytea NOT NULL              -- the newest version's content
);
-- Counts an account's bins, and pages a collection's bins by id.
CREATE INDEX bins_by_collection ON bins (account_id, collection_id, id);

-- Older versions of a bin: 0 (the base) .. bins.version-1.
CREATE TABLE bin_versions (
	bin_id     text COLLATE "C" NOT NULL REFERENCES bins (id) ON DELETE CASCADE,
	version    integer NOT NULL,
	created_at timestamptz NOT NULL,
	record     bytea NOT NULL,
	PRIMARY KEY (bin_id, version)
);

-- Requests counted per account and calendar month (UTC, 'YYYY-MM'),
-- flushed from memory in batches by every node.
CREATE TABLE usage (
	account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
	period     text NOT NULL,
	requests   bigint NOT NULL,
	PRIMARY KEY (account_id, period)
);
