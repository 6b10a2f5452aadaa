"""The one consumer loop every worker runs.

- Declares its topology: the chat's topic exchange, a durable queue bound to one routing key, and a
  dead-letter exchange with a dead-letter queue ``<queue>.dead-letter`` that the queue rejects into.
- Manual acks with a prefetch limit. The handler's outcome decides what happens to a delivery:
  returns -> ack; DeadLetter (e.g. PoisonMessage) -> reject without requeue (dead-lettered once, never redelivered);
  TransientError -> pause with backoff, then requeue; any other exception is a bug that retrying cannot
  fix -> dead-lettered too, with the traceback in the log.
- A lost broker connection (restart, network, forced close) is retried with capped exponential backoff;
  deliveries that were not acked are redelivered by the broker, so nothing is lost and handlers are
  written to be idempotent for redeliveries.
- SIGTERM/SIGINT finish the delivery in hand, cancel the consumer (unstarted prefetched deliveries go back
  to the queue), close the connection and return, so the process exits 0.
"""

from __future__ import annotations

import json
import logging
import os
import random
import signal
import time
from dataclasses import dataclass
from typing import Any, Callable

import pika
import pika.exceptions
from pika.adapters.blocking_connection import BlockingChannel, BlockingConnection

from .config import CommonSettings
from .events import DeadLetter, TransientError
from .jsonlog import fields


class Backoff:
    """Exponential delays with jitter: initial, 2x, 4x, ... capped at ``maximum``."""

    def __init__(self, initial: float, maximum: float) -> None:
        self.initial = initial
        self.maximum = maximum
        self.attempt = 0

    def next(self) -> float:
        delay = min(self.maximum, self.initial * (2**self.attempt))
        self.attempt += 1
        # Jitter keeps replicas that lost the broker together from reconnecting in lockstep.
        return delay * random.uniform(0.75, 1.0)

    def reset(self) -> None:
        self.attempt = 0


@dataclass(frozen=True)
class Delivery:
    body: bytes
    routing_key: str
    message_id: str | None
    redelivered: bool


Handler = Callable[[Delivery, "Consumer"], None]

HEALTH_TOUCH_INTERVAL = 5.0


class Consumer:
    def __init__(
        self,
        *,
        service: str,
        settings: CommonSettings,
        queue: str,
        routing_key: str,
        handler: Handler,
        logger: logging.Logger,
    ) -> None:
        self.service = service
        self.settings = settings
        self.queue = queue
        self.dead_letter_queue = f"{queue}.dead-letter"
        self.routing_key = routing_key
        self.handler = handler
        self.log = logger
        self._reconnect_backoff = Backoff(0.5, settings.max_backoff)
        self._retry_backoff = Backoff(1.0, settings.max_backoff)
        self._stopping = False
        self._connection: BlockingConnection | None = None
        self._confirm_channel: BlockingChannel | None = None
        self._health_touched = 0.0

    # ---- lifecycle -------------------------------------------------------------------------------

    @property
    def stopping(self) -> bool:
        return self._stopping

    def request_stop(self, *_: Any) -> None:
        if not self._stopping:
            self.log.info("stop requested; finishing the current message")
        self._stopping = True

    def install_signal_handlers(self) -> None:
        signal.signal(signal.SIGTERM, self.request_stop)
        signal.signal(signal.SIGINT, self.request_stop)

    def run(self) -> None:
        """Consumes until a stop is requested, reconnecting whenever the broker goes away."""
        while not self._stopping:
            try:
                self._consume_until_stopped()
            except pika.exceptions.AMQPError as error:
                self._connection = None
                if self._stopping:
                    break
                delay = self._reconnect_backoff.next()
                self.log.warning(
                    "broker connection lost or refused; reconnecting",
                    extra=fields(error=describe(error), retryInSeconds=round(delay, 2)),
                )
                self.sleep(delay)
        self.log.info("stopped")

    # ---- services for handlers -------------------------------------------------------------------

    def sleep(self, seconds: float) -> None:
        """Waits without starving the connection (heartbeats keep flowing); returns early on stop."""
        deadline = time.monotonic() + seconds
        while not self._stopping:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            if self._connection is not None and self._connection.is_open:
                self._connection.sleep(min(remaining, 0.5))
            else:
                time.sleep(min(remaining, 0.2))

    def publish_confirmed(self, routing_key: str, payload: dict[str, Any], message_id: str) -> None:
        """Publishes a persistent JSON message to the chat exchange and waits for the broker's confirm.

        Mandatory: a message no queue would receive counts as not delivered (TransientError), so the
        caller keeps its own input unacked and tries again later instead of losing the message.
        """
        assert self._connection is not None, "publish_confirmed is only available inside a handler"
        if self._confirm_channel is None or not self._confirm_channel.is_open:
            self._confirm_channel = self._connection.channel()
            self._confirm_channel.confirm_delivery()
        try:
            self._confirm_channel.basic_publish(
                exchange=self.settings.exchange,
                routing_key=routing_key,
                body=json.dumps(payload).encode(),
                properties=pika.BasicProperties(
                    content_type="application/json",
                    delivery_mode=2,  # persistent
                    message_id=message_id,
                    app_id=self.service,
                    timestamp=int(time.time()),
                ),
                mandatory=True,
            )
        except pika.exceptions.UnroutableError:
            raise TransientError(f"no queue is bound to {routing_key} on {self.settings.exchange} yet") from None
        except pika.exceptions.NackError:
            raise TransientError("the broker refused the message") from None

    # ---- internals -------------------------------------------------------------------------------

    def _consume_until_stopped(self) -> None:
        parameters = pika.URLParameters(self.settings.amqp_uri)
        parameters.connection_attempts = 1
        parameters.client_properties = {"connection_name": f"{self.service} {os.getpid()}"}
        connection = pika.BlockingConnection(parameters)
        self._connection = connection
        self._confirm_channel = None
        try:
            channel = connection.channel()
            self._declare_topology(channel)
            channel.basic_qos(prefetch_count=self.settings.prefetch)
            self._reconnect_backoff.reset()
            self.log.info("consuming", extra=fields(queue=self.queue, routingKey=self.routing_key, prefetch=self.settings.prefetch))
            # inactivity_timeout makes the generator yield (None, None, None) every second, so a stop
            # request is noticed while the queue is idle.
            for method, properties, body in channel.consume(self.queue, inactivity_timeout=1.0):
                self._touch_health()
                if self._stopping:
                    break
                if method is None:
                    continue
                delivery = Delivery(
                    body=body,
                    routing_key=method.routing_key,
                    message_id=properties.message_id,
                    redelivered=bool(method.redelivered),
                )
                self._dispatch(channel, method.delivery_tag, delivery)
            channel.cancel()
        finally:
            self._connection = None
            self._confirm_channel = None
            if connection.is_open:
                try:
                    connection.close()
                except pika.exceptions.AMQPError:
                    pass

    def _declare_topology(self, channel: BlockingChannel) -> None:
        settings = self.settings
        channel.exchange_declare(settings.exchange, exchange_type="topic", durable=True)
        channel.exchange_declare(settings.dead_letter_exchange, exchange_type="direct", durable=True)
        channel.queue_declare(self.dead_letter_queue, durable=True)
        channel.queue_bind(self.dead_letter_queue, settings.dead_letter_exchange, routing_key=self.dead_letter_queue)
        channel.queue_declare(
            self.queue,
            durable=True,
            arguments={
                "x-dead-letter-exchange": settings.dead_letter_exchange,
                "x-dead-letter-routing-key": self.dead_letter_queue,
            },
        )
        channel.queue_bind(self.queue, settings.exchange, routing_key=self.routing_key)

    def _dispatch(self, channel: BlockingChannel, tag: int, delivery: Delivery) -> None:
        context = fields(messageId=delivery.message_id, routingKey=delivery.routing_key, redelivered=delivery.redelivered)
        try:
            self.handler(delivery, self)
        except DeadLetter as error:
            self.log.warning(f"dead-lettering the message: {error}", extra=context)
            channel.basic_reject(tag, requeue=False)
            return
        except TransientError as error:
            delay = self._retry_backoff.next()
            self.log.warning(
                f"will retry the message: {error}", extra={"fields": {**context["fields"], "retryInSeconds": round(delay, 2)}}
            )
            self.sleep(delay)
            channel.basic_nack(tag, requeue=True)
            return
        except pika.exceptions.AMQPError:
            raise  # the connection is gone: the broker redelivers the message after we reconnect
        except Exception:
            self.log.exception("handler failed unexpectedly; dead-lettering the message", extra=context)
            channel.basic_reject(tag, requeue=False)
            return
        self._retry_backoff.reset()
        channel.basic_ack(tag)

    def _touch_health(self) -> None:
        """Liveness for a queue consumer: the file's mtime says the loop is running and connected."""
        path = self.settings.health_file
        now = time.monotonic()
        if path is None or now - self._health_touched < HEALTH_TOUCH_INTERVAL:
            return
        self._health_touched = now
        with open(path, "a"):
            os.utime(path)


def describe(error: BaseException) -> str:
    """Class and reason, e.g. "AMQPConnectionError: ConnectionRefusedError(111, 'Connection refused')"."""
    text = str(error) or ", ".join(repr(arg) for arg in error.args)
    return f"{error.__class__.__name__}: {text}"[:300] if text else error.__class__.__name__
