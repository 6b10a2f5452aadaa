"""The greeter bot: greets people in the `general` room when they log in.

Path of a greeting: the chat server publishes `user.login` -> queue `greeter.user-login` -> this worker
decides (table greeter_greetings) -> publishes `bot.message` with publisher confirms -> the server's queue
`chat.bot-messages` -> the server stores it as the bot user, idempotently by id, and broadcasts it.

At most one greeting per person per UTC day (the day of the login). Its id is derived from the user and
the day, so a redelivery after a crash republishes the same id and the server keeps a single message.
The login is acked only after the broker confirmed the greeting.
"""

from __future__ import annotations

import logging
import sys
import uuid
from dataclasses import dataclass
from datetime import date

from .cli import run_worker
from .config import CommonSettings, Env, common_settings, database_url, queue_name
from .consumer import Consumer, Delivery
from .db import Database
from .events import AccountEvent, parse_account_event
from .jsonlog import fields
from .limits import ROOM_NAME_PATTERN, USERNAME_PATTERN

# Fixed namespace for greeting ids: uuid5(namespace, "<userId>:<day>") is the same in every replica and run.
GREETING_NAMESPACE = uuid.UUID("5f0c8d1e-4a52-4d55-9a39-6f1b0c2a7e11")


@dataclass(frozen=True)
class GreeterSettings:
    common: CommonSettings
    database_url: str
    queue: str
    bot: str
    room: str


def load_settings(env: Env) -> GreeterSettings:
    return GreeterSettings(
        common=common_settings(env),
        database_url=database_url(env),
        queue=queue_name(env, "GREETER_QUEUE", "greeter.user-login"),
        bot=env.string("GREETER_BOT", "greeter", USERNAME_PATTERN, "a username (3-32 of a-z 0-9 _ -)"),
        room=env.string("GREETER_ROOM", "general", ROOM_NAME_PATTERN, "a room name (2-32 of a-z 0-9 _ -)"),
    )


def greeting_id(user_id: int, day: date) -> str:
    return str(uuid.uuid5(GREETING_NAMESPACE, f"{user_id}:{day.isoformat()}"))


def greeting_text(username: str, first_time: bool) -> str:
    return f"Welcome, {username}!" if first_time else f"Hi, {username}!"


@dataclass(frozen=True)
class Greeting:
    id: str
    text: str
    published: bool


class GreetingStore:
    """Remembers which greetings were decided and which of them the broker confirmed."""

    def __init__(self, database: Database) -> None:
        self.database = database

    def claim(self, login: AccountEvent) -> Greeting:
        """The greeting for this person and day: newly decided, or the one decided before."""
        day = login.at.date()
        with self.database.transaction() as cursor:
            cursor.execute(
                "SELECT EXISTS (SELECT 1 FROM greeter_greetings WHERE user_id = %s AND day <> %s)",
                (login.user_id, day),
            )
            greeted_before = cursor.fetchone()[0]
            # Concurrent replicas: the primary key (user_id, day) lets only one decision stand.
            cursor.execute(
                """INSERT INTO greeter_greetings (user_id, day, message_id, text) VALUES (%s, %s, %s, %s)
                   ON CONFLICT (user_id, day) DO NOTHING""",
                (login.user_id, day, greeting_id(login.user_id, day), greeting_text(login.username, not greeted_before)),
            )
            cursor.execute(
                "SELECT message_id, text, published_at IS NOT NULL FROM greeter_greetings WHERE user_id = %s AND day = %s",
                (login.user_id, day),
            )
            message_id, text, published = cursor.fetchone()
        return Greeting(id=str(message_id), text=text, published=published)

    def mark_published(self, greeting: Greeting) -> None:
        with self.database.transaction() as cursor:
            cursor.execute("UPDATE greeter_greetings SET published_at = now() WHERE message_id = %s", (greeting.id,))


class Greeter:
    def __init__(self, settings: GreeterSettings, store: GreetingStore, logger: logging.Logger) -> None:
        self.settings = settings
        self.store = store
        self.log = logger

    def handle(self, delivery: Delivery, consumer: Consumer) -> None:
        login = parse_account_event(delivery.body, "user.login")
        greeting = self.store.claim(login)
        context = fields(eventId=login.id, userId=login.user_id, greetingId=greeting.id)
        if greeting.published:
            self.log.info("already greeted today", extra=context)
            return
        consumer.publish_confirmed(
            "bot.message",
            {"type": "bot.message", "id": greeting.id, "bot": self.settings.bot, "room": self.settings.room, "text": greeting.text},
            message_id=greeting.id,
        )
        self.store.mark_published(greeting)
        self.log.info("greeted", extra=context)


def build_consumer(settings: GreeterSettings, logger: logging.Logger) -> Consumer:
    greeter = Greeter(settings, GreetingStore(Database(settings.database_url)), logger)
    return Consumer(
        service="greeter",
        settings=settings.common,
        queue=settings.queue,
        routing_key="user.login",
        handler=greeter.handle,
        logger=logger,
    )


def main() -> int:
    return run_worker("greeter", load_settings, build_consumer)


if __name__ == "__main__":
    sys.exit(main())
