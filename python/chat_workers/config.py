"""Environment variables, read and validated once at start.

Every bad variable becomes one line "NAME: what is expected"; all of them are reported together,
so a misconfigured deployment is fixed in one round. Empty values count as unset, as in the Node server.
"""

from __future__ import annotations

import re
import urllib.parse
from dataclasses import dataclass
from typing import Callable, Mapping, TypeVar

from .jsonlog import LEVELS

N = TypeVar("N", int, float)


class ConfigError(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


class Env:
    """Reads typed values out of an environment mapping, collecting problems instead of failing at the first."""

    def __init__(self, environ: Mapping[str, str]) -> None:
        self._environ = {name: value for name, value in environ.items() if value != ""}
        self.problems: list[str] = []

    def raw(self, name: str) -> str | None:
        return self._environ.get(name)

    def string(self, name: str, default: str, pattern: str | None = None, expected: str = "") -> str:
        value = self._environ.get(name, default)
        if pattern is not None and not re.fullmatch(pattern, value):
            self.problems.append(f"{name}: expected {expected}")
        return value

    def optional(self, name: str) -> str | None:
        return self._environ.get(name)

    def url(self, name: str, default: str, schemes: tuple[str, ...]) -> str:
        value = self._environ.get(name, default)
        try:
            parsed = urllib.parse.urlsplit(value)
            valid = parsed.scheme in schemes and bool(parsed.hostname)
        except ValueError:
            valid = False
        if not valid:
            self.problems.append(f"{name}: expected a URL starting with {' or '.join(s + '://' for s in schemes)}")
        return value

    def integer(self, name: str, default: int, minimum: int, maximum: int) -> int:
        return self._number(name, default, int, lambda n: minimum <= n <= maximum, f"a whole number from {minimum} to {maximum}")

    def seconds(self, name: str, default: float) -> float:
        return self._number(name, default, float, lambda n: 0 < n <= 3600, "a number of seconds greater than 0 (at most 3600)")

    def _number(self, name: str, default: N, parse: Callable[[str], N], valid: Callable[[N], bool], expected: str) -> N:
        value = self._environ.get(name)
        if value is None:
            return default
        try:
            number = parse(value)
        except ValueError:
            number = None
        if number is None or not valid(number):
            self.problems.append(f"{name}: expected {expected}")
            return default
        return number

    def choice(self, name: str, default: str, options: tuple[str, ...]) -> str:
        value = self._environ.get(name, default)
        if value not in options:
            self.problems.append(f"{name}: expected one of {', '.join(options)}")
            return default
        return value

    def check(self) -> None:
        if self.problems:
            raise ConfigError(self.problems)


# AMQP names: printable, no spaces, at most 255 bytes (the protocol's short-string limit).
_AMQP_NAME = r"[A-Za-z0-9_.:/-]{1,255}"
_AMQP_NAME_EXPECTED = "a name of 1-255 letters, digits and _ . : / -"


@dataclass(frozen=True)
class CommonSettings:
    amqp_uri: str
    exchange: str
    dead_letter_exchange: str
    prefetch: int
    log_level: str
    health_file: str | None
    max_backoff: float


def common_settings(env: Env) -> CommonSettings:
    return CommonSettings(
        amqp_uri=env.url("AMQP_URI", "amqp://guest:guest@127.0.0.1:5672/", ("amqp", "amqps")),
        exchange=env.string("AMQP_EXCHANGE", "chat.events", _AMQP_NAME, _AMQP_NAME_EXPECTED),
        dead_letter_exchange=env.string("AMQP_DEAD_LETTER_EXCHANGE", "chat.dead-letter", _AMQP_NAME, _AMQP_NAME_EXPECTED),
        prefetch=env.integer("AMQP_PREFETCH", 10, 1, 1000),
        log_level=env.choice("LOG_LEVEL", "info", tuple(LEVELS)),
        health_file=env.optional("WORKER_HEALTH_FILE"),
        max_backoff=env.seconds("WORKER_MAX_BACKOFF", 30.0),
    )


def queue_name(env: Env, name: str, default: str) -> str:
    return env.string(name, default, _AMQP_NAME, _AMQP_NAME_EXPECTED)


def database_url(env: Env) -> str:
    return env.url("DATABASE_URL", "postgres://postgres@127.0.0.1:5432/postgres", ("postgres", "postgresql"))
