CREATE TABLE collections (
	id            TEXT PRIMARY KEY,
	account_id    TEXT NOT NULL REFERENCES accounts (id),
	name          TEXT NOT NULL,
	schema_doc_id TEXT NOT NULL DEFAULT '',
	created_at    INTEGER NOT NULL
) STRICT;
CREATE INDEX collections_by_account ON collections (account_id, created_at);

CREATE TABLE schema_docs (
	id         TEXT PRIMARY KEY,
	account_id TEXT NOT NULL REFERENCES accounts (id),
	name       TEXT NOT NULL,
	schema     BLOB NOT NULL,
	rev        INTEGER NOT NULL DEFAULT 1,
	created_at INTEGER NOT NULL
) STRICT;

ALTER TABLE accounts ADD COLUMN max_collections INTEGER;

-- Pages of a collection's bins (or of the uncategorised ones, '') by id,
-- which sorts by creation time.
CREATE INDEX bins_by_collection ON bins (account_id, collection_id, id);
