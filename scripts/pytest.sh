#!/usr/bin/env bash
# Runs the Python workers' tests (python/tests) with Debian's python3 and its pika, psycopg2 and pytest,
# against the real RabbitMQ and PostgreSQL on 127.0.0.1. Extra arguments go to pytest (e.g. -k mailer -q).
set -uo pipefail
cd "$(dirname "$0")/.."
# No __pycache__ folders in the checkout.
export PYTHONDONTWRITEBYTECODE=1
/usr/bin/python3 -m pytest python/tests "$@"
status=$?
if [ "$status" -eq 5 ]; then
  # pytest's "no tests collected": a suite that silently vanished must not pass.
  echo "pytest.sh: no tests were collected from python/tests" >&2
  exit 1
fi
exit "$status"
