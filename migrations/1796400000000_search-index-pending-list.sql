-- Up Migration

-- A GIN index gathers new entries in a pending list and merges them into the index when the list passes
-- gin_pending_list_limit (4 MB by default) or at VACUUM. The merge is done by the INSERT that passed the limit, so with
-- the default one batch of the message writer in every few thousand took 110 to 140 ms instead of a few (measured at
-- 5,000 messages a second), and every send queued behind it waited as long. With 256 kB the same merging comes in
-- steps of a few milliseconds.
ALTER INDEX messages_search_idx SET (gin_pending_list_limit = 256);

-- Down Migration

ALTER INDEX messages_search_idx RESET (gin_pending_list_limit);
