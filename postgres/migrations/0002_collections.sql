CREATE TABLE collections (
	id            text COLLATE "C" PRIMARY KEY,
	account_id    text COLLATE "C" NOT NULL REFERENCES accounts (id),
	name          text NOT NULL,
	schema_doc_id text COLLATE "C" NOT NULL DEFAULT '', -- '' when none is attached
	created_at    timestamptz NOT NULL
);
CREATE INDEX collections_by_account ON collections (account_id, created_at);

CREATE TABLE schema_docs (
	id         text COLLATE "C" PRIMARY KEY,
	account_id text COLLATE "C" NOT NULL REFERENCES accounts (id),
	name       text NOT NULL,
	schema     bytea NOT NULL,
	rev        bigint NOT NULL DEFAULT 1, -- bumped when schema changes
	created_at timestamptz NOT NULL
);
