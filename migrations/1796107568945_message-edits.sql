-- Up Migration

-- Edit and delete. A deleted message keeps its row (ids, order and sync stay right) but not its text.
ALTER TABLE messages
  ALTER COLUMN body DROP NOT NULL,
  ADD COLUMN edited_at  timestamptz,
  ADD COLUMN deleted_at timestamptz,
  -- 0 until the message is first edited or deleted; then the room's change number of its latest change.
  ADD COLUMN revision   bigint NOT NULL DEFAULT 0,
  ADD CONSTRAINT messages_deleted_has_no_body CHECK ((deleted_at IS NULL) = (body IS NOT NULL));

-- Counts the edits and deletes in a room. Each change takes the next number while it holds the room's row lock
-- until it commits, so within a room the numbers commit in order: a client that saw change n has seen every
-- change before it, and a sync for "after n" misses none.
ALTER TABLE rooms ADD COLUMN message_revision bigint NOT NULL DEFAULT 0;

-- Sync reads the changes after a revision in one room; most messages are never changed and stay out of it.
CREATE INDEX messages_room_revision_idx ON messages (room_id, revision) WHERE revision > 0;

-- Down Migration

DROP INDEX messages_room_revision_idx;
ALTER TABLE rooms DROP COLUMN message_revision;
-- A deleted message has no text to restore: it cannot exist without the new columns.
DELETE FROM messages WHERE deleted_at IS NOT NULL;
ALTER TABLE messages
  DROP CONSTRAINT messages_deleted_has_no_body,
  DROP COLUMN revision,
  DROP COLUMN deleted_at,
  DROP COLUMN edited_at,
  ALTER COLUMN body SET NOT NULL;
