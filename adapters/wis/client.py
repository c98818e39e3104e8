"""Calls to a WIS-style node over HTTP/JSON, with Lägesbild's bearer token."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any

import aiohttp
import structlog

from adapters.wis.fit import encoded, fitted
from service.outbox.channel import DeliveryFailed

log = structlog.get_logger(__name__)

# Answers the node gives for requests it will never take, however often they are sent.
_PERMANENT = frozenset({400, 401, 403, 413, 422})


class NodeClient:
    def __init__(
        self,
        session: aiohttp.ClientSession,
        base_url: str,
        token: str,
        *,
        timeout: float,
        max_body_bytes: int | None = None,
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)
        self._max_body_bytes = max_body_bytes

    async def post(self, path: str, body: Mapping[str, Any], *, message_id: str) -> None:
        """One write; the node drops a repeated `Message-Id`. Failures raise DeliveryFailed.

        4xx answers that no retry can change are permanent; a 404 (say, an answer
        whose area has not arrived yet) and a 409 are retried, as are 5xx and
        network errors. A body over the node's size limit (`max_body_bytes`) has its free
        text shortened first, saying so (adapters/wis/fit.py), so that it is never a 413.
        """
        data = encoded(body)
        if self._max_body_bytes is not None and len(data) > self._max_body_bytes:
            # Rare, and up to a few MB of JSON: off the event loop.
            shortened, _ = await asyncio.to_thread(fitted, body, self._max_body_bytes)
            log.info("wis.body_shortened", path=path, bytes=len(data), limit=self._max_body_bytes)
            data = encoded(shortened)
        try:
            async with self._session.post(
                self._base + path,
                data=data,
                headers={
                    **self._headers,
                    "Message-Id": message_id,
                    "Content-Type": "application/json; charset=utf-8",
                },
                timeout=self._timeout,
            ) as response:
                if response.status < 300:
                    return
                detail = (await response.text())[:200]
        except (aiohttp.ClientError, TimeoutError) as exc:
            raise DeliveryFailed(f"the node is not reachable: {type(exc).__name__}") from exc
        raise DeliveryFailed(
            f"the node answered {response.status} to POST {path}: {detail}",
            permanent=response.status in _PERMANENT,
        )

    async def changes(self, after: int, *, limit: int = 100) -> tuple[list[dict[str, Any]], int]:
        """The node's change log after seq `after`, oldest first, and its latest seq."""
        async with self._session.get(
            self._base + "/api/changes",
            params={"efter": str(after), "max": str(limit)},
            headers=self._headers,
            timeout=self._timeout,
        ) as response:
            response.raise_for_status()
            body = await response.json()
        entries: list[dict[str, Any]] = body["ändringar"]
        return entries, int(body["senaste"])
