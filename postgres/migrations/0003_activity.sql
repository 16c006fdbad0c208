-- The activity log: one row per request, written in batches with COPY.
--
-- Every index is paid for on each of many thousands of inserts a second, so
-- there are three, each serving one reader:
--   - the primary key (account_id, id) lists an account's entries newest
--     first, which is what ListActivity does without a time range;
--   - (account_id, day, id) lists one day of an account in id order (the
--     daily log download) and gives ActivityDays its distinct days by a
--     loose index scan, one probe per day;
--   - a BRIN index on at, a few pages for the whole table, finds what
--     PruneActivity deletes: entries arrive in roughly time order.
CREATE TABLE activity (
	id          bigserial NOT NULL, -- insertion order; a sequence never hands an id out twice
	at          timestamptz NOT NULL,
	day         date GENERATED ALWAYS AS ((at AT TIME ZONE 'UTC')::date) STORED,
	status      integer NOT NULL,
	account_id  text COLLATE "C" NOT NULL, -- '' when unknown
	auth_method text NOT NULL,
	key_id      text NOT NULL,
	key_prefix  text NOT NULL,
	method      text NOT NULL,
	route       text NOT NULL,
	resource_id text NOT NULL,
	ip          text NOT NULL,
	user_agent  text NOT NULL,
	request_id  text NOT NULL,
	PRIMARY KEY (account_id, id)
);
CREATE INDEX activity_by_day ON activity (account_id, day, id);
CREATE INDEX activity_by_time ON activity USING brin (at);
