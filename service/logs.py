"""structlog set-up: JSON in production, readable in a terminal."""

from __future__ import annotations

import logging
import os
import sys
from typing import TextIO

import structlog
from aiohttp.http_exceptions import HttpProcessingError

from service.config import Settings


def wants_console(log_format: str, stream: TextIO) -> bool:
    """Readable lines when asked for, or (`auto`) when `stream` is a terminal."""
    if log_format == "auto":
        return stream.isatty()
    return log_format == "console"


def wants_colours(stream: TextIO) -> bool:
    """Colours only on a terminal that shows them, and not when NO_COLOR is set."""
    return (
        stream.isatty()
        and os.environ.get("TERM", "") not in ("", "dumb")
        and not os.environ.get("NO_COLOR")
    )


def configure_logging(settings: Settings) -> None:
    level = getattr(logging, settings.log_level.upper())
    stream = sys.stderr
    processors: list[structlog.types.Processor] = [
        structlog.contextvars.merge_contextvars,
        structlog.processors.add_log_level,
    ]
    if wants_console(settings.log_format, stream):
        # Local time to the second for a person; the renderer formats exceptions itself.
        processors += [
            structlog.processors.TimeStamper(fmt="%Y-%m-%d %H:%M:%S", utc=False),
            structlog.processors.StackInfoRenderer(),
            structlog.dev.ConsoleRenderer(colors=wants_colours(stream)),
        ]
    else:
        processors += [
            structlog.processors.TimeStamper(fmt="iso", utc=True),
            structlog.processors.StackInfoRenderer(),
            structlog.processors.format_exc_info,
            structlog.processors.JSONRenderer(),
        ]
    structlog.configure(
        processors=processors,
        wrapper_class=structlog.make_filtering_bound_logger(level),
        logger_factory=structlog.PrintLoggerFactory(file=stream),
        cache_logger_on_first_use=True,
    )
    logging.basicConfig(level=max(level, logging.WARNING), stream=stream, format="%(message)s")
    guard_bad_requests()


class _BadRequestWithoutValues(logging.Filter):
    """aiohttp logs a request it cannot parse with the parser's message, which quotes
    the start of the offending line: for a header over 8 KB, a session cookie or a
    bearer token. Such a record keeps its first line and the error's kind only."""

    def filter(self, record: logging.LogRecord) -> bool:
        error = record.exc_info[1] if record.exc_info else None
        if isinstance(error, HttpProcessingError):
            first = record.getMessage()
            record.msg = "%s: %s (%d), its text withheld"
            record.args = (first, type(error).__name__, error.code)
            record.exc_info = None
            record.exc_text = None
        return True


_GUARD = _BadRequestWithoutValues()


def guard_bad_requests() -> None:
    """Keep header values out of aiohttp's log of unparseable requests (idempotent)."""
    logger = logging.getLogger("aiohttp.server")
    if _GUARD not in logger.filters:
        logger.addFilter(_GUARD)
