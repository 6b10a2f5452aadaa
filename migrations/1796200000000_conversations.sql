-- Up Migration

-- Conversations: 'public' rooms (anyone may list and join them), 'private' rooms (invite-only: only members see
-- them) and 'direct' conversations (DMs, one-to-one or a group of up to 8). All live in `rooms`, so every message
-- path (send, history, sync, edit, delete, search, around) serves them unchanged; who may read is membership.
ALTER TABLE rooms
  ADD COLUMN kind text NOT NULL DEFAULT 'public' CHECK (kind IN ('public', 'private', 'direct')),
  -- A one-to-one DM's two people, lower id first; NULL for every other conversation. The unique index below makes
  -- it exactly one conversation per pair, also when both start it at the same moment.
  ADD COLUMN pair_low_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
  ADD COLUMN pair_high_user_id bigint REFERENCES users (id) ON DELETE SET NULL,
  ADD CONSTRAINT rooms_pair_only_direct CHECK (kind = 'direct' OR (pair_low_user_id IS NULL AND pair_high_user_id IS NULL)),
  ADD CONSTRAINT rooms_pair_ordered CHECK (pair_low_user_id < pair_high_user_id);
CREATE UNIQUE INDEX rooms_direct_pair_key ON rooms (pair_low_user_id, pair_high_user_id);

-- A DM's name is its protocol key: '@' and 20 random hex digits, a form no user-chosen room name can take (they
-- never hold '@'), and one nobody can guess or count through.
ALTER TABLE rooms DROP CONSTRAINT rooms_name_check;
ALTER TABLE rooms ADD CONSTRAINT rooms_name_check
  CHECK (CASE WHEN kind = 'direct' THEN name ~ '^@[0-9a-f]{20}$' ELSE name ~ '^[a-z0-9_-]{2,32}$' END);

-- Down Migration

-- A private room or a DM cannot be kept without the column that keeps it private: it would turn into a public
-- room. They go, with their members and messages (ON DELETE CASCADE).
DELETE FROM rooms WHERE kind <> 'public';
ALTER TABLE rooms DROP CONSTRAINT rooms_name_check;
ALTER TABLE rooms ADD CONSTRAINT rooms_name_check CHECK (name ~ '^[a-z0-9_-]{2,32}$');
DROP INDEX rooms_direct_pair_key;
ALTER TABLE rooms
  DROP CONSTRAINT rooms_pair_ordered,
  DROP CONSTRAINT rooms_pair_only_direct,
  DROP COLUMN pair_high_user_id,
  DROP COLUMN pair_low_user_id,
  DROP COLUMN kind;
