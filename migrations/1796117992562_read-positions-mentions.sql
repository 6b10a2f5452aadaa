-- Up Migration

-- Read positions: the newest message id a member has read in a room. It lives on the membership row, so a position
-- exists exactly for the members of a room and leaves with them. It only moves forward (see the room:read use case).
-- Existing members start with everything read: an upgrade does not turn old history into unread messages.
ALTER TABLE room_members ADD COLUMN last_read_id bigint NOT NULL DEFAULT 0;
UPDATE room_members rm SET last_read_id = coalesce((SELECT max(m.id) FROM messages m WHERE m.room_id = rm.room_id), 0);

-- Mentions: who a message mentions, resolved once when it is stored (members of its room at that moment only; the
-- sender never mentions themself). room_id is a copy of the message's (messages never move): counting a user's
-- mentions in a room after their read position is a range of the (user_id, room_id, message_id) index.
CREATE TABLE message_mentions (
  message_id bigint NOT NULL REFERENCES messages (id) ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  room_id    bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  PRIMARY KEY (message_id, user_id)
);
CREATE INDEX message_mentions_user_room_idx ON message_mentions (user_id, room_id, message_id);

-- Down Migration

DROP TABLE message_mentions;
ALTER TABLE room_members DROP COLUMN last_read_id;
