"""Real resources for the worker tests: a RabbitMQ vhost and a migrated PostgreSQL database of their own,
worker processes started exactly as in production (``python3 -m chat_workers.<name>``), and a small
broker client that opens a fresh connection per call (so closing the worker's connections in the vhost
never hits the test's own).
"""

from __future__ import annotations

import json
import os
import secrets
import signal
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone
from pathlib import Path
from typing import Any, Callable

import pika
import psycopg2

PYTHON_DIR = Path(__file__).resolve().parents[1]
REPO_ROOT = PYTHON_DIR.parent
ADMIN_DATABASE_URL = "postgres://postgres@127.0.0.1:5432/postgres"
WAIT_SECONDS = 20.0


def unique_name(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000):x}_{secrets.token_hex(3)}"


def rabbitmqctl(*args: str) -> str:
    return subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, text=True).stdout


def wait_until(condition: Callable[[], Any], what: str, timeout: float = WAIT_SECONDS) -> Any:
    """Polls until ``condition()`` is truthy and returns its value; fails with ``what`` after ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out waiting for {what}")
        time.sleep(0.05)


# ---- RabbitMQ -------------------------------------------------------------------------------------


@dataclass
class Vhost:
    name: str

    @property
    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:5672/{urllib.parse.quote(self.name, safe='')}"

    @classmethod
    def create(cls) -> "Vhost":
        vhost = cls(unique_name("workers_test"))
        rabbitmqctl("add_vhost", vhost.name)
        rabbitmqctl("set_permissions", "-p", vhost.name, "guest", ".*", ".*", ".*")
        return vhost

    def delete(self) -> None:
        rabbitmqctl("delete_vhost", self.name)

    def close_all_connections(self) -> None:
        """What a broker restart does to a client: its connections drop without a goodbye from the client."""
        rabbitmqctl("close_all_connections", "-p", self.name, "test: simulated broker restart")

    def queue_depth(self, queue: str) -> tuple[int, int]:
        """(ready, unacknowledged) messages of a queue, as the broker counts them."""
        for line in rabbitmqctl("list_queues", "-p", self.name, "--no-table-headers", "name", "messages_ready", "messages_unacknowledged").splitlines():
            name, ready, unacked = line.split("\t")
            if name == queue:
                return int(ready), int(unacked)
        raise AssertionError(f"queue {queue} does not exist")

    def connection_count(self) -> int:
        return len(rabbitmqctl("list_connections", "-p", self.name, "--no-table-headers", "pid").split())


class Broker:
    def __init__(self, vhost: Vhost, exchange: str = "chat.events") -> None:
        self.vhost = vhost
        self.exchange = exchange

    def _channel_do(self, work: Callable[[Any], Any]) -> Any:
        connection = pika.BlockingConnection(pika.URLParameters(self.vhost.uri))
        try:
            channel = connection.channel()
            channel.exchange_declare(self.exchange, exchange_type="topic", durable=True)
            return work(channel)
        finally:
            connection.close()

    def publish(self, routing_key: str, body: bytes | dict[str, Any], message_id: str | None = None) -> None:
        raw = body if isinstance(body, bytes) else json.dumps(body).encode()
        properties = pika.BasicProperties(content_type="application/json", delivery_mode=2, message_id=message_id)
        self._channel_do(lambda channel: channel.basic_publish(self.exchange, routing_key, raw, properties))

    def capture(self, routing_key: str, queue: str) -> str:
        """A durable queue bound to ``routing_key``: stands in for the chat server's queue of bot messages."""

        def declare(channel: Any) -> None:
            channel.queue_declare(queue, durable=True)
            channel.queue_bind(queue, self.exchange, routing_key=routing_key)

        self._channel_do(declare)
        return queue

    def unbind(self, queue: str, routing_key: str) -> None:
        self._channel_do(lambda channel: channel.queue_unbind(queue, self.exchange, routing_key=routing_key))

    def take_all(self, queue: str) -> list[tuple[pika.BasicProperties, bytes]]:
        """Removes and returns every message now in ``queue``."""

        def drain(channel: Any) -> list[tuple[pika.BasicProperties, bytes]]:
            taken = []
            while True:
                method, properties, body = channel.basic_get(queue, auto_ack=True)
                if method is None:
                    return taken
                taken.append((properties, body))

        return self._channel_do(drain)

    def wait_for_messages(self, queue: str, count: int) -> list[tuple[pika.BasicProperties, bytes]]:
        taken: list[tuple[pika.BasicProperties, bytes]] = []

        def enough() -> bool:
            taken.extend(self.take_all(queue))
            return len(taken) >= count

        wait_until(enough, f"{count} message(s) in {queue}")
        return taken


def account_event(kind: str, user_id: int, username: str, at: datetime | None = None, **overrides: Any) -> dict[str, Any]:
    event = {
        "type": kind,
        "id": str(uuid.uuid4()),
        "userId": user_id,
        "username": username,
        "email": f"{username}@example.org",
        "at": (at or datetime.now(timezone.utc)).isoformat().replace("+00:00", "Z"),
    }
    event.update(overrides)
    return event


# ---- PostgreSQL -----------------------------------------------------------------------------------


def _admin(statement: str) -> None:
    connection = psycopg2.connect(ADMIN_DATABASE_URL)
    connection.autocommit = True
    try:
        with connection.cursor() as cursor:
            cursor.execute(statement)
    finally:
        connection.close()


@dataclass
class TestDatabase:
    name: str

    __test__ = False  # not a test class, whatever its name

    @property
    def url(self) -> str:
        return f"postgres://postgres@127.0.0.1:5432/{self.name}"

    @classmethod
    def create(cls) -> "TestDatabase":
        database = cls(unique_name("workers_test"))
        _admin(f"CREATE DATABASE {database.name}")
        # The same migrations, with the same tool, as `npm run migrate up` and the migration Job.
        subprocess.run(
            [str(REPO_ROOT / "node_modules/.bin/node-pg-migrate"), "--migrations-dir", "migrations", "up"],
            cwd=REPO_ROOT,
            env={**os.environ, "DATABASE_URL": database.url},
            check=True,
            capture_output=True,
        )
        return database

    def drop(self) -> None:
        _admin(f"DROP DATABASE IF EXISTS {self.name} WITH (FORCE)")

    def query(self, sql: str, *params: Any) -> list[tuple[Any, ...]]:
        connection = psycopg2.connect(self.url)
        try:
            with connection, connection.cursor() as cursor:
                cursor.execute(sql, params)
                return cursor.fetchall() if cursor.description else []
        finally:
            connection.close()


# ---- worker processes -----------------------------------------------------------------------------


class WorkerProcess:
    """A worker started as production starts it; its stdout is collected as parsed JSON lines."""

    def __init__(self, module: str, env: dict[str, str]) -> None:
        self.module = module
        self.lines: list[str] = []
        self.process = subprocess.Popen(
            [sys.executable, "-m", f"chat_workers.{module}"],
            cwd=PYTHON_DIR,
            env={"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "WORKER_MAX_BACKOFF": "1", **env},
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self._reader = threading.Thread(target=self._read, daemon=True)
        self._reader.start()

    def _read(self) -> None:
        assert self.process.stdout is not None
        for line in self.process.stdout:
            self.lines.append(line.rstrip("\n"))

    @property
    def logs(self) -> list[dict[str, Any]]:
        """Every line parsed; a line that is not a JSON object fails the test."""
        parsed = []
        for line in list(self.lines):
            entry = json.loads(line)
            assert isinstance(entry, dict), line
            parsed.append(entry)
        return parsed

    def logs_with(self, msg_part: str, **fields: Any) -> list[dict[str, Any]]:
        return [
            entry
            for entry in self.logs
            if msg_part in entry.get("msg", "") and all(entry.get(key) == value for key, value in fields.items())
        ]

    def wait_for_log(self, msg_part: str, count: int = 1, **fields: Any) -> list[dict[str, Any]]:
        def seen() -> list[dict[str, Any]] | None:
            if self.process.poll() is not None and len(self.logs_with(msg_part, **fields)) < count:
                raise AssertionError(f"{self.module} exited with {self.process.returncode}:\n" + "\n".join(self.lines))
            found = self.logs_with(msg_part, **fields)
            return found if len(found) >= count else None

        try:
            return wait_until(seen, f"{count} log line(s) '{msg_part}' {fields or ''} from {self.module}")
        except AssertionError as error:
            raise AssertionError(f"{error}; its output:\n" + "\n".join(self.lines)) from None

    def stop(self) -> int:
        """SIGTERM, as Kubernetes sends it; returns the exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        try:
            code = self.process.wait(timeout=WAIT_SECONDS)
        except subprocess.TimeoutExpired:
            self.process.kill()
            raise AssertionError(f"{self.module} ignored SIGTERM:\n" + "\n".join(self.lines))
        self._reader.join(timeout=5)
        return code

    def wait_exit(self) -> int:
        """For a worker expected to stop on its own (bad configuration): its exit code, once all output is read."""
        code = self.process.wait(timeout=WAIT_SECONDS)
        self._reader.join(timeout=5)
        return code

    def kill(self) -> None:
        """SIGKILL: a crash, with no chance to clean up."""
        self.process.kill()
        self.process.wait(timeout=WAIT_SECONDS)
        self._reader.join(timeout=5)
