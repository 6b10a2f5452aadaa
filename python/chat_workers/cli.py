"""What every worker's ``main`` does: validate the configuration, set up logging, consume until SIGTERM."""

from __future__ import annotations

import json
import logging
import os
import sys
from typing import Callable, Mapping, TypeVar

from .config import ConfigError, Env
from .consumer import Consumer
from .jsonlog import setup

Settings = TypeVar("Settings")

EXIT_BAD_CONFIGURATION = 1


def run_worker(
    service: str,
    load_settings: Callable[[Env], Settings],
    build_consumer: Callable[[Settings, logging.Logger], Consumer],
    environ: Mapping[str, str] = os.environ,
) -> int:
    env = Env(environ)
    settings = load_settings(env)
    try:
        env.check()
    except ConfigError as error:
        # One JSON line per bad variable on stderr, as the Node server reports its configuration.
        for problem in error.problems:
            print(json.dumps({"level": "fatal", "service": service, "msg": f"invalid configuration: {problem}"}), file=sys.stderr)
        return EXIT_BAD_CONFIGURATION
    log_level = getattr(settings, "common").log_level
    consumer = build_consumer(settings, setup(service, log_level))
    consumer.install_signal_handlers()
    consumer.run()
    return 0
