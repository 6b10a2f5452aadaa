-- Up Migration

-- State of the Python workers (python/chat_workers). They reference users by id only, without a
-- foreign key, so that a worker never blocks or breaks a change to the chat's own tables.

-- The greeter's decisions: at most one greeting per person per UTC day. message_id is derived from
-- (user_id, day); published_at is set once RabbitMQ confirmed the bot.message, so a redelivered login
-- republishes the same id (the server keeps one message per id) instead of greeting twice.
CREATE TABLE greeter_greetings (
  user_id      bigint NOT NULL,
  day          date NOT NULL,
  message_id   uuid NOT NULL UNIQUE,
  text         text NOT NULL,
  created_at   timestamptz NOT NULL DEFAULT now(),
  published_at timestamptz,
  PRIMARY KEY (user_id, day)
);

-- The mailer's record of welcome e-mails by event id: one registration never produces two e-mails.
-- 'sending' is written before the request to Mailgun: if the worker dies in that moment the outcome is
-- unknown, and the worker prefers no second e-mail over a duplicate.
CREATE TABLE mailer_deliveries (
  event_id    uuid PRIMARY KEY,
  user_id     bigint NOT NULL,
  status      text NOT NULL CHECK (status IN ('sending', 'sent', 'failed')),
  attempts    integer NOT NULL DEFAULT 0,
  provider_id text,
  error       text,
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

-- Down Migration

DROP TABLE mailer_deliveries;
DROP TABLE greeter_greetings;
