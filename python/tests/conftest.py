"""Every test module gets its own RabbitMQ vhost and migrated PostgreSQL database, removed afterwards; a module
that restarts a broker gets a private RabbitMQ node, stopped and removed afterwards whatever the outcome."""

from __future__ import annotations

from typing import Iterator

import pytest

from support import Broker, PrivateRabbitNode, TestDatabase, Vhost


@pytest.fixture(scope="module")
def vhost() -> Iterator[Vhost]:
    created = Vhost.create()
    yield created
    created.delete()


@pytest.fixture(scope="module")
def database() -> Iterator[TestDatabase]:
    created = TestDatabase.create()
    yield created
    created.drop()


@pytest.fixture(scope="module")
def broker(vhost: Vhost) -> Broker:
    return Broker(vhost)


@pytest.fixture(scope="module")
def private_rabbit_node() -> Iterator[PrivateRabbitNode]:
    node = PrivateRabbitNode()
    try:
        node.start()
        yield node
    finally:
        node.destroy()
