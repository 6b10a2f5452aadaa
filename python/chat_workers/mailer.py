"""The welcome e-mail worker: "Welcome to Chat!" through Mailgun for every `user.registered` event.

- Idempotent by event id (table mailer_deliveries): a redelivered registration never sends twice.
- 5xx, 429 and network errors are retried with backoff (MAILER_MAX_ATTEMPTS); a 4xx is not retried.
  A message that failed for good is dead-lettered, where an operator can replay it (a replay of a
  'failed' delivery sends again; a 'sent' one is acknowledged without a second e-mail).
- Neither the address nor the API key is ever logged.
- Without MAILGUN_APIKEY, e-mail is disabled: the worker says so once and acknowledges events.
"""

from __future__ import annotations

import logging
import re
import sys
from dataclasses import dataclass
from typing import Literal

from .cli import run_worker
from .config import CommonSettings, Env, common_settings, database_url, queue_name
from .consumer import Backoff, Consumer, Delivery
from .db import Database
from .events import AccountEvent, DeadLetter, TransientError, parse_account_event
from .jsonlog import fields
from .mailgun import Email, MailgunClient, MailgunError, MailgunSettings

SUBJECT = "Welcome to Chat!"


@dataclass(frozen=True)
class MailerSettings:
    common: CommonSettings
    database_url: str
    queue: str
    mailgun: MailgunSettings | None
    max_attempts: int
    retry_delay: float


def load_settings(env: Env) -> MailerSettings:
    api_key = env.optional("MAILGUN_APIKEY")
    base_url = env.url("MAILGUN_BASE_URL", "https://api.mailgun.net", ("https", "http"))
    domain = env.optional("MAILGUN_DOMAIN")
    sender = env.optional("MAILGUN_FROM")
    timeout = env.seconds("MAILGUN_TIMEOUT", 10.0)
    if api_key is not None and domain is None:
        env.problems.append("MAILGUN_DOMAIN: required when MAILGUN_APIKEY is set (the sending domain, e.g. mg.example.com)")
    if domain is not None and not re.fullmatch(r"[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)+", domain):
        env.problems.append("MAILGUN_DOMAIN: expected a domain name such as mg.example.com")
    if sender is not None and "@" not in sender:
        env.problems.append('MAILGUN_FROM: expected a sender address such as "Chat <no-reply@mg.example.com>"')
    mailgun = None
    if api_key is not None and domain is not None:
        mailgun = MailgunSettings(
            api_key=api_key,
            domain=domain,
            sender=sender or f"Chat <no-reply@{domain}>",
            base_url=base_url,
            timeout=timeout,
        )
    return MailerSettings(
        common=common_settings(env),
        database_url=database_url(env),
        queue=queue_name(env, "MAILER_QUEUE", "mailer.user-registered"),
        mailgun=mailgun,
        max_attempts=env.integer("MAILER_MAX_ATTEMPTS", 5, 1, 20),
        retry_delay=env.seconds("MAILER_RETRY_DELAY", 2.0),
    )


def welcome_email(event: AccountEvent) -> Email:
    text = (
        f"Hi {event.username},\n\n"
        "welcome to Chat! Your account is ready: sign in and say hello in #general.\n\n"
        "You receive this e-mail because this address was used to register. If that was not you, ignore it.\n"
    )
    return Email(to=event.email, subject=SUBJECT, text=text)


Claim = Literal["send", "already-sent", "outcome-unknown"]


class DeliveryStore:
    def __init__(self, database: Database) -> None:
        self.database = database

    def claim(self, event: AccountEvent) -> Claim:
        """Takes the right to send this event's e-mail, unless it was sent or may have been sent."""
        with self.database.transaction() as cursor:
            cursor.execute(
                """INSERT INTO mailer_deliveries (event_id, user_id, status) VALUES (%s, %s, 'sending')
                   ON CONFLICT (event_id) DO NOTHING""",
                (event.id, event.user_id),
            )
            if cursor.rowcount == 1:
                return "send"
            cursor.execute("SELECT status FROM mailer_deliveries WHERE event_id = %s FOR UPDATE", (event.id,))
            (status,) = cursor.fetchone()
            if status == "failed":
                # Known not sent (4xx, 5xx or given up): a replay from the dead-letter queue tries again.
                cursor.execute("UPDATE mailer_deliveries SET status = 'sending', updated_at = now() WHERE event_id = %s", (event.id,))
                return "send"
            return "already-sent" if status == "sent" else "outcome-unknown"

    def finish(self, event_id: str, attempts: int, provider_id: str | None, error: str | None) -> None:
        with self.database.transaction() as cursor:
            cursor.execute(
                """UPDATE mailer_deliveries SET status = %s, attempts = attempts + %s, provider_id = %s, error = %s,
                   updated_at = now() WHERE event_id = %s""",
                ("sent" if error is None else "failed", attempts, provider_id, error, event_id),
            )


class Mailer:
    def __init__(self, settings: MailerSettings, client: MailgunClient, store: DeliveryStore, logger: logging.Logger) -> None:
        self.settings = settings
        self.client = client
        self.store = store
        self.log = logger

    def handle(self, delivery: Delivery, consumer: Consumer) -> None:
        event = parse_account_event(delivery.body, "user.registered")
        context = {"eventId": event.id, "userId": event.user_id}
        claim = self.store.claim(event)
        if claim == "already-sent":
            self.log.info("welcome e-mail already sent", extra=fields(**context))
            return
        if claim == "outcome-unknown":
            # An earlier attempt died between asking Mailgun and recording the answer: a second e-mail is worse than none.
            self.log.warning("an earlier attempt was interrupted mid-send; not sending again", extra=fields(**context))
            return
        self._send_with_retries(event, consumer, context)

    def _send_with_retries(self, event: AccountEvent, consumer: Consumer, context: dict[str, object]) -> None:
        backoff = Backoff(self.settings.retry_delay, max(self.settings.retry_delay, 60.0))
        email = welcome_email(event)
        for attempt in range(1, self.settings.max_attempts + 1):
            try:
                provider_id = self.client.send(email)
            except MailgunError as error:
                self.log.warning(
                    f"Mailgun did not accept the welcome e-mail: {error}",
                    extra=fields(**context, attempt=attempt, status=error.status, retryable=error.retryable),
                )
                if not error.retryable or attempt == self.settings.max_attempts:
                    self.store.finish(event.id, attempt, None, str(error))
                    raise DeadLetter(f"welcome e-mail not sent after {attempt} attempt(s): {error}") from None
                consumer.sleep(backoff.next())
                if consumer.stopping:
                    self.store.finish(event.id, attempt, None, str(error))
                    raise TransientError("stopping; the registration goes back to the queue") from None
                continue
            self.store.finish(event.id, attempt, provider_id, None)
            self.log.info("welcome e-mail sent", extra=fields(**context, attempt=attempt, providerId=provider_id))
            return


def acknowledge_without_email(delivery: Delivery, _consumer: Consumer) -> None:
    """E-mail disabled: still validate, so broken events reach the dead-letter queue as they would otherwise."""
    parse_account_event(delivery.body, "user.registered")


def build_consumer(settings: MailerSettings, logger: logging.Logger) -> Consumer:
    if settings.mailgun is None:
        logger.warning("e-mail is disabled: MAILGUN_APIKEY is not set; registrations are acknowledged without an e-mail")
        handler = acknowledge_without_email
    else:
        mailer = Mailer(settings, MailgunClient(settings.mailgun), DeliveryStore(Database(settings.database_url)), logger)
        handler = mailer.handle
    return Consumer(
        service="mailer",
        settings=settings.common,
        queue=settings.queue,
        routing_key="user.registered",
        handler=handler,
        logger=logger,
    )


def main() -> int:
    return run_worker("mailer", load_settings, build_consumer)


if __name__ == "__main__":
    sys.exit(main())
