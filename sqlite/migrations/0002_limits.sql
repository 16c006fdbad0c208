-- Per-account limits an operator sets; NULL means the instance default.
ALTER TABLE accounts ADD COLUMN requests_per_month INTEGER;
ALTER TABLE accounts ADD COLUMN max_bins INTEGER;
ALTER TABLE accounts ADD COLUMN max_bin_size INTEGER;
ALTER TABLE accounts ADD COLUMN max_access_keys INTEGER;
ALTER TABLE accounts ADD COLUMN versioning INTEGER;

-- Requests counted per account and calendar month (UTC, 'YYYY-MM'),
-- flushed from memory in batches.
CREATE TABLE usage (
	account_id TEXT NOT NULL REFERENCES accounts (id),
	period     TEXT NOT NULL,
	requests   INTEGER NOT NULL,
	PRIMARY KEY (account_id, period)
) STRICT, WITHOUT ROWID;
