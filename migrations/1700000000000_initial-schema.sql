-- Up Migration

CREATE TABLE users (
  id            bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  username      text NOT NULL UNIQUE CHECK (username ~ '^[a-z0-9_-]{3,32}$'),
  email         text NOT NULL,
  -- NULL for accounts that cannot log in with a password (the greeter bot).
  password_hash text,
  avatar_key    text,
  is_bot        boolean NOT NULL DEFAULT false,
  created_at    timestamptz NOT NULL DEFAULT now()
);
-- E-mail uniqueness ignores case: Alice@x.org and alice@x.org are one mailbox.
CREATE UNIQUE INDEX users_email_lower_key ON users (lower(email));

CREATE TABLE rooms (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  name       text NOT NULL UNIQUE CHECK (name ~ '^[a-z0-9_-]{2,32}$'),
  created_by bigint REFERENCES users (id) ON DELETE SET NULL,
  created_at timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE room_members (
  room_id   bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id   bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  joined_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (room_id, user_id)
);
CREATE INDEX room_members_user_idx ON room_members (user_id);

CREATE TABLE messages (
  id         bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  room_id    bigint NOT NULL REFERENCES rooms (id) ON DELETE CASCADE,
  user_id    bigint NOT NULL REFERENCES users (id) ON DELETE CASCADE,
  -- The sender's own id for the message: a resend after a reconnect hits the unique key instead of duplicating.
  client_id  text NOT NULL CHECK (length(client_id) BETWEEN 1 AND 64),
  body       text NOT NULL CHECK (length(body) BETWEEN 1 AND 4000),
  created_at timestamptz NOT NULL DEFAULT now(),
  UNIQUE (user_id, client_id)
);
-- History is read newest first by keyset (room_id, id < before).
CREATE INDEX messages_room_id_idx ON messages (room_id, id DESC);

-- Transactional outbox: events wait here until RabbitMQ confirms them.
CREATE TABLE event_outbox (
  id           uuid PRIMARY KEY,
  routing_key  text NOT NULL,
  payload      jsonb NOT NULL,
  -- clock_timestamp, not now(): events of one transaction (registered, then login) keep their order.
  created_at   timestamptz NOT NULL DEFAULT clock_timestamp(),
  published_at timestamptz
);
CREATE INDEX event_outbox_unpublished_idx ON event_outbox (created_at) WHERE published_at IS NULL;

-- Down Migration

DROP TABLE event_outbox;
DROP TABLE messages;
DROP TABLE room_members;
DROP TABLE rooms;
DROP TABLE users;
