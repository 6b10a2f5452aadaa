"""A PostgreSQL connection that comes back after the database restarts.

Workers keep their own small state tables (see migrations/*_worker-state.sql). A lost or unreachable
database is a TransientError: the consumer requeues the message and tries again after a pause.
"""

from __future__ import annotations

import contextlib
from typing import Iterator

import psycopg2
import psycopg2.extensions

from .events import TransientError


class Database:
    def __init__(self, url: str) -> None:
        self._url = url
        self._connection: psycopg2.extensions.connection | None = None

    @contextlib.contextmanager
    def transaction(self) -> Iterator[psycopg2.extensions.cursor]:
        """One transaction: committed when the block ends, rolled back if it raises."""
        try:
            connection = self._connect()
            with connection, connection.cursor() as cursor:
                yield cursor
        except (psycopg2.OperationalError, psycopg2.InterfaceError) as error:
            self.close()
            # The message of a connection error can hold the host and user, never the password.
            first_line = (str(error).strip().splitlines() or [error.__class__.__name__])[0]
            raise TransientError(f"database unavailable: {first_line}") from None

    def _connect(self) -> psycopg2.extensions.connection:
        if self._connection is None or self._connection.closed:
            self._connection = psycopg2.connect(self._url, connect_timeout=10, application_name="chat-workers")
        return self._connection

    def close(self) -> None:
        if self._connection is not None and not self._connection.closed:
            self._connection.close()
        self._connection = None
