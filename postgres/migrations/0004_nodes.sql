-- Servers that share this database, by heartbeat: rate limits are divided
-- among the live ones.
CREATE TABLE nodes (
	id        text COLLATE "C" PRIMARY KEY,
	last_seen timestamptz NOT NULL
);
