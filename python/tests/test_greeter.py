"""The greeter against the real RabbitMQ and PostgreSQL, run as `python3 -m chat_workers.greeter`."""

from __future__ import annotations

import json
import subprocess
import sys
import time
import uuid
from datetime import datetime, timezone
from typing import Any, Iterator

import pytest

from chat_workers.greeter import GREETING_NAMESPACE
from support import PYTHON_DIR, Broker, PrivateRabbitNode, TestDatabase, Vhost, WorkerProcess, account_event, wait_until

BOT_QUEUE = "chat.bot-messages"  # the chat server's queue of bot messages, played here by the test
LOGIN_QUEUE = "greeter.user-login"
DEAD_LETTERS = "greeter.user-login.dead-letter"


def at(day: int, hour: int) -> datetime:
    return datetime(2026, 3, day, hour, 0, tzinfo=timezone.utc)


def expected_id(user_id: int, day: str) -> str:
    return str(uuid.uuid5(GREETING_NAMESPACE, f"{user_id}:{day}"))


@pytest.fixture(scope="module")
def greeter(vhost: Vhost, database: TestDatabase, broker: Broker) -> Iterator[WorkerProcess]:
    broker.capture("bot.message", BOT_QUEUE)
    worker = WorkerProcess("greeter", {"AMQP_URI": vhost.uri, "DATABASE_URL": database.url})
    worker.wait_for_log("consuming")
    yield worker
    assert worker.stop() == 0
    assert worker.logs_with("stopped")


def login(broker: Broker, user_id: int, username: str, when: datetime) -> dict[str, Any]:
    event = account_event("user.login", user_id, username, when)
    broker.publish("user.login", event, message_id=event["id"])
    return event


def greetings(messages: list[tuple[Any, bytes]]) -> list[dict[str, Any]]:
    return [json.loads(body) for _, body in messages]


def test_first_login_is_welcomed_later_days_get_a_shorter_hello_at_most_once_a_day(
    greeter: WorkerProcess, broker: Broker, database: TestDatabase, vhost: Vhost
) -> None:
    login(broker, 101, "alice", at(10, 9))
    [(properties, body)] = broker.wait_for_messages(BOT_QUEUE, 1)
    first_id = expected_id(101, "2026-03-10")
    assert json.loads(body) == {"type": "bot.message", "id": first_id, "bot": "greeter", "room": "general", "text": "Welcome, alice!"}
    assert properties.delivery_mode == 2 and properties.message_id == first_id
    assert properties.content_type == "application/json"

    # Same UTC day, later: a page reload must not spam the room.
    second = login(broker, 101, "alice", at(10, 23))
    greeter.wait_for_log("already greeted today", eventId=second["id"])
    assert broker.take_all(BOT_QUEUE) == []

    # Next day: the shorter welcome back, once.
    login(broker, 101, "alice", at(11, 0))
    [(_, body)] = broker.wait_for_messages(BOT_QUEUE, 1)
    hello = json.loads(body)
    assert hello["text"] == "Hi, alice!" and len(hello["text"]) < len("Welcome, alice!")
    assert hello["id"] == expected_id(101, "2026-03-11")
    again = login(broker, 101, "alice", at(11, 8))
    greeter.wait_for_log("already greeted today", eventId=again["id"])
    assert broker.take_all(BOT_QUEUE) == []

    # Someone else's first login is a first welcome of its own.
    login(broker, 102, "bob", at(11, 8))
    assert [g["text"] for g in greetings(broker.wait_for_messages(BOT_QUEUE, 1))] == ["Welcome, bob!"]

    # A login is acknowledged after its greeting is marked published; the greeting itself reaches the bot
    # queue a moment before that mark, so the rows are read once every login is acknowledged.
    wait_until(lambda: vhost.queue_depth(LOGIN_QUEUE) == (0, 0), "every login acknowledged")
    rows = database.query("SELECT user_id, day::text, text, published_at IS NOT NULL FROM greeter_greetings ORDER BY user_id, day")
    assert rows == [(101, "2026-03-10", "Welcome, alice!", True), (101, "2026-03-11", "Hi, alice!", True), (102, "2026-03-11", "Welcome, bob!", True)]


def test_login_is_acked_only_after_the_greeting_is_confirmed(greeter: WorkerProcess, broker: Broker, vhost: Vhost, database: TestDatabase) -> None:
    # With nobody bound to bot.message the broker cannot take the greeting (mandatory publish returned),
    # so the login must stay in the queue, unacknowledged or requeued, until it can.
    broker.unbind(BOT_QUEUE, "bot.message")
    try:
        event = login(broker, 201, "carol", at(12, 10))
        greeter.wait_for_log("will retry the message", messageId=event["id"])
        ready, unacked = vhost.queue_depth(LOGIN_QUEUE)
        assert ready + unacked == 1
        assert database.query("SELECT published_at FROM greeter_greetings WHERE user_id = 201") == [(None,)]
    finally:
        broker.capture("bot.message", BOT_QUEUE)
    assert [g["text"] for g in greetings(broker.wait_for_messages(BOT_QUEUE, 1))] == ["Welcome, carol!"]
    wait_until(lambda: vhost.queue_depth(LOGIN_QUEUE) == (0, 0), "the login acknowledged after the confirm")
    assert database.query("SELECT published_at IS NOT NULL FROM greeter_greetings WHERE user_id = 201") == [(True,)]
    assert broker.take_all(BOT_QUEUE) == []


def test_poison_messages_are_dead_lettered_once_and_the_greeter_goes_on(greeter: WorkerProcess, broker: Broker, vhost: Vhost) -> None:
    poison = [
        b"{not json",
        json.dumps(account_event("user.logout", 301, "dave")).encode(),  # unknown type
        json.dumps({"type": "user.login", "id": str(uuid.uuid4()), "username": "dave"}).encode(),  # missing fields
        json.dumps(account_event("user.login", 301, "dave", userId="301")).encode(),  # wrong field type
        b"[1, 2]",
    ]
    for body in poison:
        broker.publish("user.login", body)
    wait_until(lambda: vhost.queue_depth(DEAD_LETTERS)[0] == len(poison), "every poison message dead-lettered")

    login(broker, 302, "erin", at(12, 11))
    assert [g["text"] for g in greetings(broker.wait_for_messages(BOT_QUEUE, 1))] == ["Welcome, erin!"]
    # Once, not round a loop: the dead-letter queue still holds exactly those messages, the login queue nothing.
    assert vhost.queue_depth(DEAD_LETTERS) == (len(poison), 0)
    assert vhost.queue_depth(LOGIN_QUEUE) == (0, 0)
    dead = broker.take_all(DEAD_LETTERS)
    assert sorted(body for _, body in dead) == sorted(poison)
    assert len(greeter.logs_with("dead-lettering the message")) >= len(poison)


@pytest.fixture
def greeter_on_private_node(private_rabbit_node: PrivateRabbitNode, database: TestDatabase) -> Iterator[WorkerProcess]:
    worker = WorkerProcess("greeter", {"AMQP_URI": private_rabbit_node.vhost.uri, "DATABASE_URL": database.url})
    try:
        yield worker
    finally:
        if worker.process.poll() is None:
            worker.kill()


def test_survives_a_real_broker_restart_mid_run_without_losing_or_repeating_a_greeting(
    greeter_on_private_node: WorkerProcess, private_rabbit_node: PrivateRabbitNode, database: TestDatabase
) -> None:
    greeter, node = greeter_on_private_node, private_rabbit_node
    broker = Broker(node.vhost)
    broker.capture("bot.message", BOT_QUEUE)
    greeter.wait_for_log("consuming")
    login(broker, 401, "frank", at(13, 9))
    assert [g["text"] for g in greetings(broker.wait_for_messages(BOT_QUEUE, 1))] == ["Welcome, frank!"]

    # The restart catches a login in flight: with nobody bound to bot.message its greeting cannot be routed,
    # so the greeter holds it unacknowledged and retries.
    broker.unbind(BOT_QUEUE, "bot.message")
    pending = login(broker, 402, "grace", at(13, 9))
    greeter.wait_for_log("will retry the message", messageId=pending["id"])
    node.stop()  # the whole node, as a restart of the RabbitMQ pod does
    greeter.wait_for_log("broker connection lost or refused")
    assert greeter.process.poll() is None, "the greeter must wait for the broker, not exit"
    node.start()  # same data directory
    # Durable queue, persistent message: the login outlived the broker (still unroutable, so still there).
    assert sum(node.vhost.queue_depth(LOGIN_QUEUE)) == 1
    broker.capture("bot.message", BOT_QUEUE)
    login(broker, 403, "heidi", at(13, 9))  # maybe while the greeter is still backing off: kept by the queue
    greeter.wait_for_log("consuming", count=2)

    texts = sorted(g["text"] for g in greetings(broker.wait_for_messages(BOT_QUEUE, 2)))
    assert texts == ["Welcome, grace!", "Welcome, heidi!"]
    wait_until(lambda: node.vhost.queue_depth(LOGIN_QUEUE) == (0, 0), "every login acknowledged after the restart")
    # Nothing repeated: every login is acked only after its greeting was confirmed, so a repeat would be here by now;
    # frank's greeting, confirmed before the restart, is not sent again.
    assert broker.take_all(BOT_QUEUE) == []
    rows = database.query("SELECT user_id, text, published_at IS NOT NULL FROM greeter_greetings WHERE user_id BETWEEN 401 AND 403 ORDER BY user_id")
    assert rows == [(401, "Welcome, frank!", True), (402, "Welcome, grace!", True), (403, "Welcome, heidi!", True)]
    assert greeter.stop() == 0


def test_a_redelivered_login_after_a_crash_republishes_the_same_greeting_id(
    greeter: WorkerProcess, broker: Broker, database: TestDatabase
) -> None:
    # The state a crash between "decided" and "confirmed" leaves behind.
    greeting_id = expected_id(501, "2026-03-14")
    database.query(
        "INSERT INTO greeter_greetings (user_id, day, message_id, text) VALUES (501, '2026-03-14', %s, 'Welcome, ivan!')", greeting_id
    )
    login(broker, 501, "ivan", at(14, 10))
    [hello] = greetings(broker.wait_for_messages(BOT_QUEUE, 1))
    # Same id as before the crash: the chat server stores one message per id, so nobody sees two.
    assert hello["id"] == greeting_id and hello["text"] == "Welcome, ivan!"


def test_a_health_file_shows_the_consumer_loop_is_alive(vhost: Vhost, database: TestDatabase, tmp_path: Any) -> None:
    health_file = tmp_path / "alive"
    worker = WorkerProcess(
        "greeter", {"AMQP_URI": vhost.uri, "DATABASE_URL": database.url, "GREETER_QUEUE": "greeter.health-test", "WORKER_HEALTH_FILE": str(health_file)}
    )
    worker.wait_for_log("consuming")
    wait_until(health_file.exists, "the health file")
    probe = [sys.executable, "-m", "chat_workers.healthcheck"]
    env = {"WORKER_HEALTH_FILE": str(health_file)}
    assert subprocess.run(probe, cwd=PYTHON_DIR, env=env).returncode == 0
    assert worker.stop() == 0
    # A stopped consumer stops touching the file: with a limit shorter than its age the probe fails.
    time.sleep(0.2)
    assert subprocess.run([*probe, "0.1"], cwd=PYTHON_DIR, env=env, capture_output=True).returncode == 1


def test_bad_configuration_stops_the_greeter_with_one_line_per_variable() -> None:
    worker = WorkerProcess("greeter", {"GREETER_ROOM": "No Such Room!", "DATABASE_URL": "mysql://x", "LOG_LEVEL": "loud"})
    assert worker.wait_exit() == 1
    messages = sorted(entry["msg"] for entry in worker.logs)
    assert len(messages) == 3
    assert messages[0].startswith("invalid configuration: DATABASE_URL: expected a URL starting with postgres://")
    assert messages[1].startswith("invalid configuration: GREETER_ROOM: expected a room name")
    assert messages[2].startswith("invalid configuration: LOG_LEVEL: expected one of")


def test_a_database_outage_keeps_the_login_in_the_queue_for_later(vhost: Vhost, database: TestDatabase) -> None:
    # An exchange of its own, so the module's greeter does not see this login.
    isolated = Broker(vhost, exchange="isolated.events")
    worker = WorkerProcess(
        "greeter",
        {"AMQP_URI": vhost.uri, "AMQP_EXCHANGE": "isolated.events", "GREETER_QUEUE": "greeter.db-outage", "DATABASE_URL": "postgres://postgres@127.0.0.1:1/nowhere"},
    )
    worker.wait_for_log("consuming")
    event = account_event("user.login", 601, "judy", at(15, 9))
    isolated.publish("user.login", event, message_id=event["id"])
    worker.wait_for_log("will retry the message: database unavailable", messageId=event["id"])
    assert worker.stop() == 0
    assert vhost.queue_depth("greeter.db-outage") == (1, 0)
