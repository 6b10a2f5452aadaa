"""Mailgun's HTTP API, the one call we need: POST /v3/<domain>/messages.

The request has the shape the official clients send: HTTP basic auth with the user ``api`` and the API
key as password, and the form fields ``from``, ``to``, ``subject``, ``text``. The answer is JSON,
``{"id": "<...>", "message": "Queued. Thank you."}`` on success. Only the standard library is used.
"""

from __future__ import annotations

import base64
import json
import re
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass


@dataclass(frozen=True)
class MailgunSettings:
    api_key: str
    domain: str
    sender: str
    base_url: str
    timeout: float


class MailgunError(Exception):
    def __init__(self, reason: str, status: int | None) -> None:
        super().__init__(reason)
        self.status = status

    @property
    def retryable(self) -> bool:
        """Network errors and 5xx may succeed later; 4xx (bad key, bad request) will not.

        429 is the one 4xx that is retried: it is Mailgun's rate limit, which passes.
        """
        return self.status is None or self.status >= 500 or self.status == 429


@dataclass(frozen=True)
class Email:
    to: str
    subject: str
    text: str


class MailgunClient:
    def __init__(self, settings: MailgunSettings) -> None:
        self.settings = settings
        credentials = base64.b64encode(f"api:{settings.api_key}".encode()).decode()
        self._authorization = f"Basic {credentials}"
        self._url = f"{settings.base_url.rstrip('/')}/v3/{urllib.parse.quote(settings.domain)}/messages"

    def send(self, email: Email) -> str:
        """Sends one message; returns Mailgun's message id. Raises MailgunError, whose text never holds the address."""
        form = urllib.parse.urlencode(
            {"from": self.settings.sender, "to": email.to, "subject": email.subject, "text": email.text}
        ).encode()
        request = urllib.request.Request(
            self._url,
            data=form,
            method="POST",
            headers={
                "Authorization": self._authorization,
                "Content-Type": "application/x-www-form-urlencoded",
                "Accept": "application/json",
                "User-Agent": "chat-mailer",
            },
        )
        try:
            with urllib.request.urlopen(request, timeout=self.settings.timeout) as response:
                answer = _json_object(response.read())
        except urllib.error.HTTPError as error:
            body = error.read()
            # Mailgun answers most errors with JSON {"message"}, a wrong key with the plain text "Forbidden".
            detail = _json_object(body).get("message") or body.decode("utf-8", "replace").strip() or error.reason
            raise MailgunError(f"HTTP {error.code}: {_scrub(str(detail), email.to)}", error.code) from None
        except (urllib.error.URLError, OSError) as error:
            reason = getattr(error, "reason", error)
            raise MailgunError(f"network error: {reason.__class__.__name__}: {reason}", None) from None
        return str(answer.get("id", ""))


def _json_object(raw: bytes) -> dict:  # type: ignore[type-arg]
    try:
        value = json.loads(raw)
    except ValueError:
        return {}
    return value if isinstance(value, dict) else {}


def _scrub(text: str, address: str) -> str:
    """Mailgun's error messages may quote the recipient; logs must not."""
    return re.sub(re.escape(address), "<recipient>", text, flags=re.IGNORECASE)[:300]
