"""Fixtures for stream tests: sockets that are always closed, on the `api`'s app."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from tests.stream.wsclient import Streams
from tests.support import Api


@pytest.fixture
async def streams(api: Api) -> AsyncIterator[Streams]:
    opened = Streams(api)
    yield opened
    await opened.aclose()
