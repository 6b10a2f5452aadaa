"""The chat's account events, as the Node server publishes them (node/server/events/).

``user.login`` and ``user.registered`` bodies are ``{type, id, userId, username, email, at}``.
Anything else, or anything malformed, is a PoisonMessage: redelivering it would fail the same way.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import datetime, timezone

from .limits import USERNAME


class DeadLetter(Exception):
    """The message must leave the queue without being redelivered: the consumer dead-letters it once."""


class PoisonMessage(DeadLetter):
    """A message no retry can fix (broken JSON, unknown type, missing fields)."""


class TransientError(Exception):
    """A failure worth retrying later (database or broker unavailable); the consumer requeues after a pause."""


@dataclass(frozen=True)
class AccountEvent:
    type: str
    id: str
    user_id: int
    username: str
    email: str
    at: datetime




def parse_account_event(body: bytes, expected_type: str) -> AccountEvent:
    try:
        data = json.loads(body)
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PoisonMessage(f"body is not JSON: {error.__class__.__name__}") from None
    if not isinstance(data, dict):
        raise PoisonMessage("body is not a JSON object")
    if data.get("type") != expected_type:
        raise PoisonMessage(f"unexpected event type (expected {expected_type})")
    problems = []
    event_id = data.get("id")
    try:
        event_id = str(uuid.UUID(event_id)) if isinstance(event_id, str) else None
    except ValueError:
        event_id = None
    if event_id is None:
        problems.append("id (a UUID)")
    user_id = data.get("userId")
    if not (isinstance(user_id, int) and not isinstance(user_id, bool) and user_id > 0):
        problems.append("userId (a positive integer)")
    username = data.get("username")
    if not (isinstance(username, str) and USERNAME.fullmatch(username)):
        problems.append("username")
    email = data.get("email")
    if not (isinstance(email, str) and "@" in email and len(email) <= 320):
        problems.append("email")
    at = _parse_time(data.get("at"))
    if at is None:
        problems.append("at (an ISO 8601 time)")
    if problems:
        raise PoisonMessage("missing or invalid fields: " + ", ".join(problems))
    return AccountEvent(type=expected_type, id=event_id, user_id=user_id, username=username, email=email, at=at)  # type: ignore[arg-type]


def _parse_time(value: object) -> datetime | None:
    if not isinstance(value, str):
        return None
    try:
        parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        return None
    # A time without an offset is read as UTC, the server's clock.
    return parsed.astimezone(timezone.utc) if parsed.tzinfo else parsed.replace(tzinfo=timezone.utc)
