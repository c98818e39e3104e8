"""`POST /api/v1/exchange/edxl`: an EDXL-DE 2.0 envelope with SitRep reports becomes reports."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

import structlog
from aiohttp import web
from prometheus_client import Gauge
from pydantic import BaseModel, ConfigDict

from adapters.edxl import codec, exchange
from schemas.api import ImportedReports
from service import jsontext, keys
from service.access import report_caps
from service.errors import PayloadTooLarge, UnsupportedMediaType
from service.http.apidoc import Body, describe
from service.http.auth import authenticate
from service.http.queries import parse_query
from service.lanes import Lane

routes = web.RouteTableDef()
log = structlog.get_logger(__name__)

XML_TYPES = frozenset({"application/xml", "text/xml"})

# How long a refused envelope's sender is asked to wait before sending it again.
RETRY_AFTER_SECONDS = 5


class ImportLane(Lane):
    """Envelopes this process imports at once (`LAGESBILD_EDXL_IMPORTS_AT_ONCE`); the
    others wait, their bodies read, at most `wait` seconds (then 503 with `Retry-After`,
    nothing stored). An envelope's import keeps the event loop busy for tens of ms in
    steps of a few ms (its reports checked, stored and answered), and a dozen at once fill
    the loop's queue: every request of the dashboards, the stream and the reporters waits
    behind all of them. One at a time, a request waits behind one step at most."""

    def __init__(self, at_once: int, wait: float, waiting: Gauge) -> None:
        super().__init__(
            at_once,
            wait,
            waiting,
            busy=f"other envelopes are being imported: send it again in {RETRY_AFTER_SECONDS} s",
            retry_after=RETRY_AFTER_SECONDS,
        )


LANE: web.AppKey[ImportLane] = web.AppKey("edxl_import_lane")


def setup_lane(app: web.Application) -> None:
    settings = app[keys.settings]
    app[LANE] = ImportLane(
        settings.edxl_imports_at_once,
        settings.edxl_import_wait_seconds,
        app[keys.metrics].exchange_waiting,
    )


async def read_xml(request: web.Request) -> bytes:
    """The raw body: 415 unless XML, 413 when larger than the XML limit."""
    if request.content_type not in XML_TYPES:
        raise UnsupportedMediaType(
            f"send the envelope as application/xml (got {request.content_type or 'nothing'})"
        )
    limit = min(request.app[keys.settings].xml_max_bytes, request.app[keys.settings].max_body_bytes)
    if request.content_length is not None and request.content_length > limit:
        raise PayloadTooLarge(f"the XML document may be at most {limit} bytes")
    try:
        return await request.read()
    except web.HTTPRequestEntityTooLarge as exc:
        raise PayloadTooLarge(f"the XML document may be at most {limit} bytes") from exc


class ImportQuery(BaseModel):
    """`incident`: the incident here that a relaying county board's incident feeds
    (needed once, on the first import of that incident; then the link is kept)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    incident: uuid.UUID | None = None


def not_imported(skipped: codec.Skipped) -> dict[str, Any]:
    return {
        "content": skipped.index,
        "keyword": skipped.keyword,
        "description": skipped.description,
        "reason": skipped.reason,
    }


@routes.post("/api/v1/exchange/edxl")
@describe(
    "Import an EDXL-DE 2.0 envelope of SitRep reports",
    description="A reporter for its own organisation, or an adapter token for the "
    "organisations of its scope. Each SitRep becomes a report, idempotently (the report "
    "id is derived from sender and messageID), all or none. A county board's envelope "
    "relays its municipalities' reports; `incident` links its incident to one here.",
    request=Body(
        schema={"type": "string", "description": "An EDXL-DE 2.0 envelope (XML)"},
        media_types=tuple(sorted(XML_TYPES)),
    ),
    responses={201: ImportedReports, 200: ImportedReports},
    errors=(400, 403, 404, 409, 413, 422, 429, 503),
    notes={
        200: "Every report was stored before: nothing new",
        400: "XML that is not well-formed, or unsafe (`unsafe-xml`)",
        422: "Not an envelope this service reads (`validation`, `exercise-mismatch`)",
        429: "The sending organisation has sent too many reports lately (`Retry-After`)",
        503: "Other envelopes are being imported and this one waited too long "
        "(`Retry-After`; nothing stored)",
    },
)
async def import_edxl(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    query = parse_query(request, ImportQuery)
    settings = request.app[keys.settings]
    limit = min(settings.xml_max_bytes, settings.max_body_bytes)
    await report_caps.admit(request, principal, max_bytes=limit)  # before the body is read
    data = await read_xml(request)  # before the lane: a slow upload holds nobody up
    async with request.app[LANE].turn():
        imported = await exchange.import_envelope(
            request.app[keys.pool],
            principal,
            data,
            request.app[keys.clock].now(),
            max_bytes=settings.xml_max_bytes,
            max_depth=settings.xml_max_depth,
            incident=query.incident,
            offload=request.app[keys.offload],
        )
    results = imported.results
    imports = request.app[keys.metrics].exchange_imports
    for result in results:
        if result.seq is not None:
            request.app[keys.hub].notify(result.report.incident_id, result.seq)
            request.app[keys.metrics].reports_submitted.labels("full").inc()
        imports.labels("edxl", "stored" if result.created else "repeat").inc()
    created = any(result.created for result in results)
    log.info(
        "edxl.imported",
        stored=sum(1 for result in results if result.created),
        repeats=sum(1 for result in results if not result.created),
        not_imported=len(imported.not_imported),
        relayed_by=imported.relayed_by,
        token_id=principal.token_id,
    )
    # An answer of dozens of reports is milliseconds of the interpreter: made in a
    # thread, where the loop gets the interpreter back between its steps.
    body = await asyncio.to_thread(_answer, imported)
    return web.Response(
        body=body,
        status=201 if created else 200,
        content_type="application/json",
        charset="utf-8",
    )


def _answer(imported: exchange.Imported) -> bytes:
    return jsontext.dumps_bytes(
        {
            "reports": [
                {**result.as_json(), "created": result.created} for result in imported.results
            ],
            "relayed_by": imported.relayed_by,
            "not_imported": [not_imported(skipped) for skipped in imported.not_imported],
        }
    )
