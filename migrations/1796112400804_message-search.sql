-- Up Migration

-- Full-text search over message bodies. A generated column keeps the document in step with the body on every
-- insert and update (an edit, or a deletion that clears the text) without a trigger or a second write path.
-- 'english': words are stemmed (a search for "deploy" finds "deployed" and "deploying") and stop words such as
-- "the" are left out of the index, which keeps it small and keeps a query for common words fast. Text in other
-- languages is still found by its exact words, since the query goes through the same configuration. Changing the
-- configuration later is a migration that rewrites this column; the queries in node/server/search name it too.
ALTER TABLE messages
  ADD COLUMN search_vector tsvector GENERATED ALWAYS AS (to_tsvector('english', body)) STORED;
CREATE INDEX messages_search_idx ON messages USING gin (search_vector);

-- Down Migration

DROP INDEX messages_search_idx;
ALTER TABLE messages DROP COLUMN search_vector;
