"""Real resources for the worker tests: a RabbitMQ vhost and a migrated PostgreSQL database of their own,
a private RabbitMQ node that a test may restart, worker processes started exactly as in production
(``python3 -m chat_workers.<name>``), and a small broker client that opens a fresh connection per call
(so a broker restart never hits a connection the test holds).
"""

from __future__ import annotations

import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
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
SHARED_AMQP_PORT = 5672
# The unwrapped scripts: /usr/sbin/rabbitmqctl switches to the rabbitmq user, whose home holds the shared
# node's cookie; a private node has a cookie of its own in its own home directory.
RABBITMQ_BIN = Path("/usr/lib/rabbitmq/bin")
NODE_BOOT_SECONDS = 60.0


def unique_name(prefix: str) -> str:
    return f"{prefix}_{int(time.time() * 1000):x}_{secrets.token_hex(3)}"


def rabbitmqctl(*args: str, node: "PrivateRabbitNode | None" = None, timeout: float = WAIT_SECONDS) -> str:
    """rabbitmqctl against the shared node, or against ``node``."""
    command = ["rabbitmqctl", "-q", *args] if node is None else [str(RABBITMQ_BIN / "rabbitmqctl"), "-q", "-n", node.name, *args]
    env = None if node is None else node.env
    return subprocess.run(command, check=True, capture_output=True, text=True, env=env, timeout=timeout).stdout


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
    port: int = SHARED_AMQP_PORT
    node: "PrivateRabbitNode | None" = None  # None: the shared node

    @property
    def uri(self) -> str:
        return f"amqp://guest:guest@127.0.0.1:{self.port}/{urllib.parse.quote(self.name, safe='')}"

    @classmethod
    def create(cls) -> "Vhost":
        vhost = cls(unique_name("workers_test"))
        rabbitmqctl("add_vhost", vhost.name)
        rabbitmqctl("set_permissions", "-p", vhost.name, "guest", ".*", ".*", ".*")
        return vhost

    def delete(self) -> None:
        rabbitmqctl("delete_vhost", self.name)

    def queue_depth(self, queue: str) -> tuple[int, int]:
        """(ready, unacknowledged) messages of a queue, as the broker counts them."""
        listing = rabbitmqctl("list_queues", "-p", self.name, "--no-table-headers", "name", "messages_ready", "messages_unacknowledged", node=self.node)
        for line in listing.splitlines():
            name, ready, unacked = line.split("\t")
            if name == queue:
                return int(ready), int(unacked)
        raise AssertionError(f"queue {queue} does not exist")


# Below Linux's ephemeral range (32768-60999). A port the kernel hands out for bind(0) lies in that range, where it
# also picks the local ports of outgoing connections: the booting node's own connections (to epmd, from its CLI)
# took a port probed there and freed again before the node could listen on it (eaddrinuse, once in many runs).
PRIVATE_PORTS = range(20000, 32768)


def free_port(avoid: frozenset[int] = frozenset()) -> int:
    """A port below the ephemeral range that nothing listens on now, and not one of `avoid`."""
    while True:
        port = random.choice(PRIVATE_PORTS)
        if port in avoid:
            continue
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
        return port


class PrivateRabbitNode:
    """A RabbitMQ node of the test's own, on free ports, with its data in a temporary directory: a test can
    stop and start it for real without disturbing the shared node on 5672 that every other test uses.
    Restarts keep the data directory, so durable queues and persistent messages survive them."""

    def __init__(self) -> None:
        self.name = f"{unique_name('chat_test')}@localhost"
        self.port = free_port()
        self.workdir = Path(tempfile.mkdtemp(prefix="chat_test_rabbit_"))
        self.console_log = self.workdir / "console.log"
        self.process: subprocess.Popen[bytes] | None = None
        cookie = self.workdir / ".erlang.cookie"
        cookie.write_text(secrets.token_hex(16))
        cookie.chmod(0o400)
        # Its own config: /etc/rabbitmq/rabbitmq.conf pins the listener to 5672, /etc/rabbitmq/rabbitmq-env.conf the node name.
        (self.workdir / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n")
        (self.workdir / "rabbitmq-env.conf").write_text("")
        (self.workdir / "enabled_plugins").write_text("[].\n")
        self.env = {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": str(self.workdir),  # where the CLI and the node find the cookie
            "RABBITMQ_NODENAME": self.name,
            "RABBITMQ_NODE_PORT": str(self.port),
            "RABBITMQ_DIST_PORT": str(free_port(avoid=frozenset({self.port}))),
            "RABBITMQ_CONFIG_FILE": str(self.workdir / "rabbitmq.conf"),
            "RABBITMQ_ADVANCED_CONFIG_FILE": str(self.workdir / "advanced.config"),  # absent: none
            "RABBITMQ_CONF_ENV_FILE": str(self.workdir / "rabbitmq-env.conf"),
            "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.workdir / "enabled_plugins"),
            "RABBITMQ_MNESIA_BASE": str(self.workdir / "mnesia"),
            "RABBITMQ_LOG_BASE": str(self.workdir / "log"),
            "RABBITMQ_PID_FILE": str(self.workdir / "node.pid"),
            # Local only, like the shared node: epmd and the distribution port on the loopback interface.
            "ERL_EPMD_ADDRESS": "127.0.0.1",
            "ERL_FLAGS": "-kernel inet_dist_use_interface {127,0,0,1}",
        }
        self.vhost = Vhost("/", port=self.port, node=self)

    def start(self) -> None:
        """Boots the node (in the foreground, as a child of the test, in a session of its own so nothing
        it spawns can outlive it) and returns once it accepts AMQP clients; a clear error after 60 s."""
        with self.console_log.open("ab") as console:
            self.process = subprocess.Popen(
                [str(RABBITMQ_BIN / "rabbitmq-server")], cwd=self.workdir, env=self.env, stdout=console, stderr=subprocess.STDOUT, start_new_session=True
            )

        def accepting() -> bool:
            assert self.process is not None
            if self.process.poll() is not None:
                raise AssertionError(f"RabbitMQ node {self.name} exited with {self.process.returncode} while booting:\n{self.log_tail()}")
            try:
                pika.BlockingConnection(pika.URLParameters(self.vhost.uri + "?connection_attempts=1&socket_timeout=1")).close()
                return True
            except pika.exceptions.AMQPError:  # refused, or the handshake cut short while booting
                return False

        try:
            wait_until(accepting, f"RabbitMQ node {self.name} to accept clients on port {self.port}", timeout=NODE_BOOT_SECONDS)
            rabbitmqctl("await_startup", node=self, timeout=NODE_BOOT_SECONDS)
        except (AssertionError, subprocess.SubprocessError) as error:
            self.stop()
            raise AssertionError(f"{error}\n{self.log_tail()}") from None

    def stop(self) -> None:
        """A graceful stop (``rabbitmqctl stop``), as a restart does; SIGKILL to its session if that fails."""
        if self.process is None:
            return
        process, self.process = self.process, None
        if process.poll() is None:
            try:
                rabbitmqctl("stop", node=self, timeout=NODE_BOOT_SECONDS)
                process.wait(timeout=NODE_BOOT_SECONDS)
            except subprocess.SubprocessError:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=WAIT_SECONDS)

    def restart(self) -> None:
        self.stop()
        self.start()

    def destroy(self) -> None:
        try:
            self.stop()
        finally:
            shutil.rmtree(self.workdir, ignore_errors=True)

    def log_tail(self, lines: int = 30) -> str:
        text = self.console_log.read_text(errors="replace") if self.console_log.exists() else "(no output)"
        return "\n".join(text.splitlines()[-lines:])


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
