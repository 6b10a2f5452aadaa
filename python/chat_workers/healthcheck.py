"""Liveness probe for a queue consumer: ``python3 -m chat_workers.healthcheck [max_age_seconds]``.

The consumer loop touches WORKER_HEALTH_FILE every few seconds while it is connected and consuming
(also while idle). Exit 0 when the file is fresh, 1 when it is missing or stale: the loop is stuck,
or the broker has been unreachable for longer than max_age (default 120 s).
"""

from __future__ import annotations

import os
import sys
import time


def main(argv: list[str]) -> int:
    path = os.environ.get("WORKER_HEALTH_FILE")
    if not path:
        print("healthcheck: WORKER_HEALTH_FILE is not set", file=sys.stderr)
        return 1
    max_age = float(argv[0]) if argv else 120.0
    try:
        age = time.time() - os.stat(path).st_mtime
    except FileNotFoundError:
        print(f"healthcheck: {path} does not exist yet", file=sys.stderr)
        return 1
    if age > max_age:
        print(f"healthcheck: last sign of life {age:.0f} s ago (limit {max_age:.0f} s)", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
