"""Per-organisation caps on reports: how large one may be and how often an organisation
may send them, so that one reporter cannot hold an instance's event loop.

Both are checked before the body is read (the size from `Content-Length`, and again
while reading when it is not given): a refused report costs neither memory nor parsing.
The rate is a token bucket per organisation and instance (`service/access/rate.py`'s
rule), kept in memory: it protects this instance's loop, so it is this instance's
count, and it costs no database round trip. Every request that submits reports takes
one (a JSON report, an EDXL envelope whatever it carries), for the caller's
organisation. The text channels take one per message once they know whose it is (an
e-mail is deferred with SMTP 451, an SMS call is 429 to the gateway, which sends it
again later), and a report by invitation link takes one as a JSON report does.
Settings: `report_max_bytes`, `report_rate_per_second`, `report_rate_burst`
(docs/design.md).
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from aiohttp import web

from service import keys
from service.access.principal import Principal
from service.access.rate import Bucket, RateLimit, retry_after, take
from service.config import Settings
from service.errors import PayloadTooLarge, TooManyRequests

# Buckets kept at most; the fullest are forgotten first (a full bucket changes nothing).
MAX_BUCKETS = 10_000


class ReportCaps:
    def __init__(self, limit: RateLimit) -> None:
        self.limit = limit
        self._buckets: dict[str, Bucket] = {}

    @classmethod
    def from_settings(cls, settings: Settings) -> ReportCaps:
        return cls(
            RateLimit(rate=settings.report_rate_per_second, burst=settings.report_rate_burst)
        )

    def check(self, organisations: Iterable[str], now: datetime) -> None:
        """Take one report from each organisation's bucket, or from none: 429
        (`TooManyRequests`, with the seconds to wait as `retry_after`) when any of them
        has sent too many lately, and then nothing is taken from the others either (a
        message deferred for one of a sender's organisations costs the rest nothing)."""
        taken: dict[str, Bucket] = {}
        for organisation in organisations:
            bucket, wait = take(self.limit, self._buckets.get(organisation), now)
            if wait is not None:
                self._buckets[organisation] = bucket  # refilled to now, nothing taken
                raise TooManyRequests(
                    f"{organisation} has sent too many reports; try again shortly",
                    retry_after=retry_after(wait),
                )
            taken[organisation] = bucket
        self._buckets.update(taken)
        if len(self._buckets) > MAX_BUCKETS:
            self._forget_full(now)

    def _forget_full(self, now: datetime) -> None:
        full = self.limit.seconds_to_full()
        self._buckets = {
            org: bucket
            for org, bucket in self._buckets.items()
            if (now - bucket.at).total_seconds() < full
        }


def too_large(limit: int) -> PayloadTooLarge:
    return PayloadTooLarge(f"a report may be at most {limit} bytes", slug="report-too-large")


async def admit(request: web.Request, principal: Principal, *, max_bytes: int) -> None:
    """Before a request that submits reports reads its body: 413 (`payload-too-large`
    past the service's `max_body_bytes`, as for any body; `report-too-large` past
    `max_bytes`) when it says it is larger, 429 (with `Retry-After`) when the caller's
    organisation has sent too many reports lately."""
    body_limit = request.app[keys.settings].max_body_bytes
    if request.content_length is not None and request.content_length > body_limit:
        raise PayloadTooLarge(f"the body may be at most {body_limit} bytes")
    if request.content_length is not None and request.content_length > max_bytes:
        raise too_large(max_bytes)
    request.app[keys.report_caps].check([principal.organisation], request.app[keys.clock].now())


async def admit_json_report(request: web.Request, principal: Principal) -> None:
    """`admit` and `read_capped` for a JSON report body (`report_max_bytes`): refused
    before a byte of it is read when it says it is too large, or the organisation has
    sent too many; then read, and refused if it turns out too large."""
    max_bytes = request.app[keys.settings].report_max_bytes
    await admit(request, principal, max_bytes=max_bytes)
    await read_capped(request, max_bytes)


async def read_capped(request: web.Request, max_bytes: int) -> bytes:
    """The body, refused (413 `report-too-large`) when larger than `max_bytes`. A body
    without `Content-Length` is read first, never beyond the service's `max_body_bytes`
    (aiohttp refuses more); aiohttp keeps it, so a later `request.read()` gives it again."""
    try:
        body = await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        limit = request.app[keys.settings].max_body_bytes
        raise PayloadTooLarge(f"the body may be at most {limit} bytes") from exc
    if len(body) > max_bytes:
        raise too_large(max_bytes)
    return body
