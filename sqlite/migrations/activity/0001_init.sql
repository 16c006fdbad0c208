-- The activity log, in activity.db beside binvault.db. Times are Unix
-- milliseconds (UTC); an hour is a number of hours since 1970-01-01 UTC.
--
-- Every index on activity is paid for on each of tens of thousands of
-- inserts a second, so it has one: by account, newest first (SQLite appends
-- the rowid, id, to every index). Days, time ranges and pruning go through
-- activity_hours instead of indexes on at.
CREATE TABLE activity (
	id          INTEGER PRIMARY KEY, -- from activity_seq, so never reused
	at          INTEGER NOT NULL,
	status      INTEGER NOT NULL,
	account_id  TEXT NOT NULL,       -- '' when unknown
	auth_method TEXT NOT NULL,
	key_id      TEXT NOT NULL,
	key_prefix  TEXT NOT NULL,
	method      TEXT NOT NULL,
	route       TEXT NOT NULL,
	resource_id TEXT NOT NULL,
	ip          TEXT NOT NULL,
	user_agent  TEXT NOT NULL,
	request_id  TEXT NOT NULL
) STRICT;
CREATE INDEX activity_by_account ON activity (account_id);

-- One row per account and UTC hour with entries, written once per batch:
-- every entry of that account and hour has an id in [first_id, last_id].
-- The range may also hold entries of other hours, since ids follow
-- insertion and at follows the clock, so readers still test at.
CREATE TABLE activity_hours (
	account_id TEXT NOT NULL,
	hour       INTEGER NOT NULL,
	first_id   INTEGER NOT NULL,
	last_id    INTEGER NOT NULL,
	PRIMARY KEY (account_id, hour)
) STRICT, WITHOUT ROWID;
-- For pruning; written only when an account starts a new hour.
CREATE INDEX activity_hours_by_hour ON activity_hours (hour);

-- The last id handed out, bumped once per batch. The largest rowid plus
-- one would be reused after a prune that empties the table; AUTOINCREMENT
-- would not, but it writes its counter once per INSERT, that is per row.
CREATE TABLE activity_seq (
	last INTEGER NOT NULL
) STRICT;
INSERT INTO activity_seq (last) VALUES (0);
