"""The limits the workers share with the server come from node/shared/limits.json, as the server reads them."""

import json
from pathlib import Path

from chat_workers import limits
from chat_workers.greeter import greeting_text

SHARED = json.loads((Path(__file__).resolve().parents[2] / "node" / "shared" / "limits.json").read_text(encoding="utf-8"))


def test_the_patterns_and_the_message_length_are_the_shared_ones():
    assert "^" + limits.USERNAME_PATTERN + "$" == SHARED["usernamePattern"]
    assert "^" + limits.ROOM_NAME_PATTERN + "$" == SHARED["roomNamePattern"]
    assert limits.MESSAGE_MAX_LENGTH == SHARED["messageMaxLength"]


def test_usernames_are_judged_like_the_server_judges_them():
    assert limits.USERNAME.fullmatch("a" * 32)
    assert not limits.USERNAME.fullmatch("a" * 33)
    assert not limits.USERNAME.fullmatch("Alice")


def test_every_greeting_fits_in_one_message():
    longest_name = "a" * 32
    for first_time in (True, False):
        assert 0 < len(greeting_text(longest_name, first_time)) <= limits.MESSAGE_MAX_LENGTH
