"""Limits shared with the Node server, read from the one file both languages use: node/shared/limits.json.

In the repository it is found from here; the images copy it next to this module (chat_workers/limits.json).
"""

import json
import re
from pathlib import Path

_HERE = Path(__file__).resolve().parent
_CANDIDATES = (_HERE / "limits.json", _HERE.parent.parent / "node" / "shared" / "limits.json")


def _load() -> dict:
    for candidate in _CANDIDATES:
        if candidate.is_file():
            return json.loads(candidate.read_text(encoding="utf-8"))
    raise RuntimeError("limits.json not found: expected " + " or ".join(str(path) for path in _CANDIDATES))


_LIMITS = _load()

# The JSON holds anchored JavaScript patterns; Python matches them with fullmatch, so the anchors go.
USERNAME_PATTERN = _LIMITS["usernamePattern"].removeprefix("^").removesuffix("$")
ROOM_NAME_PATTERN = _LIMITS["roomNamePattern"].removeprefix("^").removesuffix("$")
USERNAME = re.compile(USERNAME_PATTERN)
# In characters (code points): Python's len() counts them the way the server does.
MESSAGE_MAX_LENGTH: int = _LIMITS["messageMaxLength"]
