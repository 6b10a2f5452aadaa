-- Up Migration

-- A message's number in its room: 1, 2, 3… in the order the messages were committed. A batch takes its numbers
-- while it holds its rooms' row locks, which it keeps until it commits, so when a client has seen number n every
-- message numbered below it is committed too. A client that holds every number of a room from its oldest message
-- up to n has missed none of them, whatever order they reached it in (they come through several processes), and
-- `sync` asks for what comes after n. Message ids stay the stable identity; within a room they follow the numbers.
ALTER TABLE rooms ADD COLUMN last_message_seq bigint NOT NULL DEFAULT 0;
ALTER TABLE messages ADD COLUMN seq bigint;

UPDATE messages m SET seq = numbered.seq
  FROM (SELECT id, row_number() OVER (PARTITION BY room_id ORDER BY id) AS seq FROM messages) numbered
 WHERE numbered.id = m.id;
UPDATE rooms r SET last_message_seq = coalesce((SELECT max(m.seq) FROM messages m WHERE m.room_id = r.id), 0);

ALTER TABLE messages ALTER COLUMN seq SET NOT NULL;
-- Sync reads a room's messages after a number; unique, so two messages of a room can never share one.
CREATE UNIQUE INDEX messages_room_seq_key ON messages (room_id, seq);

-- The message writer numbers its batches itself (MessageRepository.insertNew); a message stored any other way (a
-- script, a fixture, a test) is numbered here, under its room's row lock as well, so the order holds for it too.
CREATE FUNCTION number_message() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  UPDATE rooms SET last_message_seq = last_message_seq + 1 WHERE id = NEW.room_id RETURNING last_message_seq INTO NEW.seq;
  RETURN NEW;
END
$$;
CREATE TRIGGER messages_number BEFORE INSERT ON messages FOR EACH ROW WHEN (NEW.seq IS NULL) EXECUTE FUNCTION number_message();

-- Down Migration

DROP TRIGGER messages_number ON messages;
DROP FUNCTION number_message();
DROP INDEX messages_room_seq_key;
ALTER TABLE messages DROP COLUMN seq;
ALTER TABLE rooms DROP COLUMN last_message_seq;
