"""Calls to a WIS-style node over HTTP/JSON, with Lägesbild's bearer token."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp

from service.outbox.channel import DeliveryFailed

# Answers the node gives for requests it will never take, however often they are sent.
_PERMANENT = frozenset({400, 401, 403, 413, 422})


class NodeClient:
    def __init__(
        self, session: aiohttp.ClientSession, base_url: str, token: str, *, timeout: float
    ) -> None:
        self._session = session
        self._base = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {token}"}
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    async def post(self, path: str, body: Mapping[str, Any], *, message_id: str) -> None:
        """One write; the node drops a repeated `Message-Id`. Failures raise DeliveryFailed.

        4xx answers that no retry can change are permanent; a 404 (say, an answer
        whose area has not arrived yet) and a 409 are retried, as are 5xx and
        network errors.
        """
        try:
            async with self._session.post(
                self._base + path,
                json=dict(body),
                headers={**self._headers, "Message-Id": message_id},
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
