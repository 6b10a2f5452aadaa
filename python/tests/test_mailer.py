"""The welcome e-mail worker against the real RabbitMQ and PostgreSQL and a local Mailgun stand-in."""

from __future__ import annotations

import json
from typing import Any, Iterator

import pytest

from chat_workers.mailgun import Email, MailgunClient, MailgunError, MailgunSettings
from fake_mailgun import FakeMailgun
from support import Broker, TestDatabase, Vhost, WorkerProcess, account_event, wait_until

DOMAIN = "mg.chat.test"
API_KEY = "key-0123456789abcdef-secret"
QUEUE = "mailer.user-registered"
DEAD_LETTERS = "mailer.user-registered.dead-letter"


@pytest.fixture(scope="module")
def mailgun() -> Iterator[FakeMailgun]:
    server = FakeMailgun(DOMAIN, API_KEY)
    yield server
    server.close()


@pytest.fixture
def start_mailer(vhost: Vhost, database: TestDatabase, mailgun: FakeMailgun) -> Iterator[Any]:
    """Starts mailers; on teardown stops them (SIGTERM must exit 0) and checks that no log line holds a secret."""
    started: list[WorkerProcess] = []

    def start(**overrides: str) -> WorkerProcess:
        env = {
            "AMQP_URI": vhost.uri,
            "DATABASE_URL": database.url,
            "MAILGUN_APIKEY": API_KEY,
            "MAILGUN_DOMAIN": DOMAIN,
            "MAILGUN_BASE_URL": mailgun.base_url,
            "MAILER_RETRY_DELAY": "0.05",
            **overrides,
        }
        worker = WorkerProcess("mailer", {name: value for name, value in env.items() if value})
        started.append(worker)
        worker.wait_for_log("consuming")
        return worker

    yield start
    for worker in started:
        if worker.process.poll() is None:
            assert worker.stop() == 0
        output = "\n".join(worker.lines)
        assert API_KEY not in output and "wrong-key" not in output
        assert "@example.org" not in output, "an e-mail address reached the logs"
        worker.logs  # every line is a JSON object


def register(broker: Broker, user_id: int, username: str) -> dict[str, Any]:
    event = account_event("user.registered", user_id, username)
    broker.publish("user.registered", event, message_id=event["id"])
    return event


def test_sends_one_welcome_email_per_registration_as_mailgun_expects(
    start_mailer: Any, broker: Broker, mailgun: FakeMailgun, database: TestDatabase, vhost: Vhost
) -> None:
    mailer = start_mailer(MAILGUN_FROM="Chat <hello@mg.chat.test>")
    event = register(broker, 11, "alice")
    mailer.wait_for_log("welcome e-mail sent", eventId=event["id"])
    [request] = mailgun.to("alice@example.org")
    assert request.authorized and request.status == 200
    assert request.fields["from"] == "Chat <hello@mg.chat.test>"
    assert request.fields["subject"] == "Welcome to Chat!"
    assert "alice" in request.fields["text"]

    # A redelivery of the same event (same id) never produces a second e-mail.
    broker.publish("user.registered", event, message_id=event["id"])
    mailer.wait_for_log("welcome e-mail already sent", eventId=event["id"])
    assert len(mailgun.to("alice@example.org")) == 1
    [(status, attempts, provider_id)] = database.query("SELECT status, attempts, provider_id FROM mailer_deliveries WHERE event_id = %s", event["id"])
    assert status == "sent" and attempts == 1 and provider_id.endswith(f"@{DOMAIN}>")
    wait_until(lambda: vhost.queue_depth(QUEUE) == (0, 0), "both deliveries acknowledged")


def test_server_errors_are_retried_with_backoff_until_mailgun_accepts(start_mailer: Any, broker: Broker, mailgun: FakeMailgun) -> None:
    mailgun.script["bob@example.org"] = [500, 503]
    mailer = start_mailer()
    event = register(broker, 12, "bob")
    mailer.wait_for_log("welcome e-mail sent", eventId=event["id"], attempt=3)
    assert [request.status for request in mailgun.to("bob@example.org")] == [500, 503, 200]


def test_client_errors_are_not_retried_and_the_event_is_dead_lettered(
    start_mailer: Any, broker: Broker, mailgun: FakeMailgun, database: TestDatabase, vhost: Vhost
) -> None:
    mailgun.script["carol@example.org"] = [400]
    mailer = start_mailer()
    event = register(broker, 13, "carol")
    mailer.wait_for_log("dead-lettering the message", messageId=event["id"])
    assert [request.status for request in mailgun.to("carol@example.org")] == [400]
    assert database.query("SELECT status, attempts FROM mailer_deliveries WHERE event_id = %s", event["id"]) == [("failed", 1)]
    [(_, body)] = broker.wait_for_messages(DEAD_LETTERS, 1)
    assert json.loads(body)["id"] == event["id"]


def test_a_wrong_api_key_gets_mailgun_401_once_without_retries(start_mailer: Any, broker: Broker, mailgun: FakeMailgun) -> None:
    mailer = start_mailer(MAILGUN_APIKEY="wrong-key")
    event = register(broker, 14, "dave")
    mailer.wait_for_log("dead-lettering the message", messageId=event["id"])
    [request] = mailgun.to("dave@example.org")
    assert not request.authorized and request.status == 401
    assert mailer.logs_with("HTTP 401: Forbidden")
    broker.take_all(DEAD_LETTERS)


def test_gives_up_after_the_configured_attempts_and_dead_letters(start_mailer: Any, broker: Broker, mailgun: FakeMailgun) -> None:
    mailgun.script["erin@example.org"] = [500, 500, 500]
    mailer = start_mailer(MAILER_MAX_ATTEMPTS="3")
    event = register(broker, 15, "erin")
    mailer.wait_for_log("dead-lettering the message", messageId=event["id"])
    assert [request.status for request in mailgun.to("erin@example.org")] == [500, 500, 500]
    assert [json.loads(body)["id"] for _, body in broker.wait_for_messages(DEAD_LETTERS, 1)] == [event["id"]]

    # An operator replays it from the dead-letter queue once Mailgun is fine again: now it is sent.
    broker.publish("user.registered", event, message_id=event["id"])
    mailer.wait_for_log("welcome e-mail sent", eventId=event["id"])
    assert [request.status for request in mailgun.to("erin@example.org")] == [500, 500, 500, 200]


def test_a_crash_mid_send_never_leads_to_a_second_email(start_mailer: Any, broker: Broker, mailgun: FakeMailgun, vhost: Vhost) -> None:
    mailgun.release.clear()
    mailgun.script["frank@example.org"] = ["hang"]
    crashing = start_mailer()
    event = register(broker, 16, "frank")
    wait_until(lambda: mailgun.to("frank@example.org") or None, "the request to reach Mailgun")
    crashing.kill()  # Mailgun may have queued it; the worker never learnt.
    mailgun.release.set()

    successor = start_mailer()
    successor.wait_for_log("interrupted mid-send; not sending again", eventId=event["id"])
    assert len(mailgun.to("frank@example.org")) == 1
    wait_until(lambda: vhost.queue_depth(QUEUE) == (0, 0), "the redelivered event acknowledged")


def test_without_an_api_key_email_is_disabled_once_and_events_are_acknowledged(
    start_mailer: Any, broker: Broker, mailgun: FakeMailgun, vhost: Vhost
) -> None:
    mailer = start_mailer(MAILGUN_APIKEY="", MAILGUN_DOMAIN="")
    register(broker, 17, "grace")
    register(broker, 18, "heidi")
    wait_until(lambda: vhost.queue_depth(QUEUE) == (0, 0), "both registrations acknowledged")
    assert len(mailer.logs_with("e-mail is disabled")) == 1
    assert mailgun.to("grace@example.org") == [] and mailgun.to("heidi@example.org") == []


def test_poison_registrations_are_dead_lettered_once(start_mailer: Any, broker: Broker, vhost: Vhost, mailgun: FakeMailgun) -> None:
    start_mailer()
    poison = [b"\xff\xfe not json", json.dumps(account_event("user.registered", 19, "ivan", email=None)).encode()]
    for body in poison:
        broker.publish("user.registered", body)
    dead = broker.wait_for_messages(DEAD_LETTERS, 2)
    assert sorted(body for _, body in dead) == sorted(poison)
    assert vhost.queue_depth(QUEUE) == (0, 0)
    assert mailgun.to("ivan@example.org") == []


def test_network_errors_count_as_retryable() -> None:
    # A port nobody listens on: connection refused, which a later attempt may not meet.
    client = MailgunClient(MailgunSettings(api_key="k", domain=DOMAIN, sender="Chat <a@b.c>", base_url="http://127.0.0.1:9", timeout=2))
    with pytest.raises(MailgunError) as raised:
        client.send(Email(to="x@example.org", subject="s", text="t"))
    assert raised.value.status is None and raised.value.retryable
    assert "x@example.org" not in str(raised.value)


def test_bad_configuration_is_reported_one_line_per_variable() -> None:
    worker = WorkerProcess(
        "mailer",
        {"AMQP_URI": "http://localhost", "MAILGUN_APIKEY": API_KEY, "MAILER_MAX_ATTEMPTS": "zero", "MAILGUN_BASE_URL": "ftp://x"},
    )
    assert worker.wait_exit() == 1
    messages = [entry["msg"] for entry in worker.logs]
    assert len(messages) == 4
    for variable in ("AMQP_URI", "MAILGUN_DOMAIN", "MAILER_MAX_ATTEMPTS", "MAILGUN_BASE_URL"):
        assert sum(variable in message for message in messages) == 1, messages
    assert API_KEY not in "\n".join(worker.lines)
