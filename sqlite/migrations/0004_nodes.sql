-- Servers that share this store, by heartbeat: rate limits are divided
-- among the live ones.
CREATE TABLE nodes (
	id        TEXT PRIMARY KEY,
	last_seen INTEGER NOT NULL
) STRICT, WITHOUT ROWID;
