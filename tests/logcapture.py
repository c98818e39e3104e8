"""Logging as in production, captured: JSON lines on the test's stderr, and whatever the
libraries underneath log, cached structlog loggers forgotten before and after."""

from __future__ import annotations

import contextlib
import json
import logging
import sys
from collections.abc import Iterator
from typing import Any

import structlog
from structlog._config import BoundLoggerLazyProxy

from service.config import Settings
from service.logs import configure_logging
from tests.settings import with_changes


def forget_cached_loggers() -> None:
    """Make module-level structlog proxies pick up the configuration of now.

    `configure_logging` caches each logger on first use, holding the stream it wrote to
    then; without this, a test's captured stream would outlive the test.
    """
    for name, module in list(sys.modules.items()):
        if not name.startswith(("service", "adapters", "schemas")) or module is None:
            continue
        for value in list(vars(module).values()):
            if isinstance(value, BoundLoggerLazyProxy):
                value.__dict__.pop("bind", None)


@contextlib.contextmanager
def restored_logging() -> Iterator[None]:
    """Whatever a test does to logging is undone afterwards, cached loggers included."""
    root_handlers = list(logging.getLogger().handlers)
    root_level = logging.getLogger().level
    forget_cached_loggers()
    try:
        yield
    finally:
        structlog.reset_defaults()
        forget_cached_loggers()
        logging.getLogger().handlers[:] = root_handlers
        logging.getLogger().setLevel(root_level)


def use_json_logs(settings: Settings) -> None:
    """Logging as in production: JSON lines on (the now captured) stderr.

    Called in the test body: capsys swaps sys.stderr per test phase, and the logger
    factory takes the stream that is sys.stderr when logging is configured.
    """
    configure_logging(with_changes(settings, log_format="json", log_level="debug"))


def log_lines(captured: str) -> list[dict[str, Any]]:
    lines = [line for line in captured.splitlines() if line.strip()]
    parsed = []
    for line in lines:
        entry = json.loads(line)  # every line is JSON in production
        assert isinstance(entry, dict)
        parsed.append(entry)
    return parsed


def capture_library_logs(*, peers: tuple[str, ...] = ()) -> None:
    """Every standard-library logger (aiohttp's access and server logs, asyncio, asyncpg,
    aiosmtplib …) at DEBUG onto the captured stderr: stricter than production, which keeps
    them at WARNING, so that nothing a library might say escapes the search.

    `peers` names the loggers of the test's own counterparts (the receiving SMTP server,
    say), which are not Lägesbild's and may log what they receive.
    """
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    handler.addFilter(lambda record: not record.name.startswith(peers))
    root = logging.getLogger()
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
