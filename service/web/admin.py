"""The admins' pages: the audit log (filter, CSV download) and access (API tokens and
web sessions: list, revoke, end)."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta

from aiohttp import web
from pydantic import BaseModel, ConfigDict, Field, ValidationError

from service import keys
from service.access import sessions
from service.access.policy import can_administer
from service.access.principal import Principal
from service.access.tokens import revoke_token
from service.audit.export import as_csv
from service.audit.kinds import KINDS, Kind
from service.audit.repo import AuditFilter, read
from service.domain.labels import STOCKHOLM
from service.errors import Forbidden, NotFound
from service.http import audit, auth
from service.http.headers import secure_headers
from service.repo import tokens
from service.repo import users as users_repo
from service.repo.users import SessionRow
from service.web.pages import page
from service.web.render import render

routes = web.RouteTableDef()

PAGE_ROWS = 500  # rows the page shows; the CSV has up to CSV_ROWS
CSV_ROWS = 100_000


class AuditQuery(BaseModel):
    """The page's filters, as the form sends them (an empty field filters nothing)."""

    model_config = ConfigDict(extra="ignore", str_strip_whitespace=True)

    actor: str | None = Field(default=None, max_length=320)
    organisation: str | None = Field(default=None, max_length=20)
    kind: Kind | None = None
    since: date | None = None  # from the start of this day, Stockholm time
    until: date | None = None  # to the end of this day, Stockholm time

    def where(self) -> AuditFilter:
        return AuditFilter(
            actor=self.actor or None,
            organisation=self.organisation or None,
            kind=self.kind,
            since=_day_start(self.since),
            until=_day_start(self.until + timedelta(days=1) if self.until else None),
        )


def _day_start(day: date | None) -> datetime | None:
    return None if day is None else datetime.combine(day, time(0), tzinfo=STOCKHOLM)


async def _admin(request: web.Request, session: SessionRow) -> Principal:
    """The admin, or 403 (the page records the refusal as the API's are)."""
    principal = Principal.for_session(session)
    if not can_administer(principal):
        raise Forbidden("only admins see this page")
    return principal


def _query(request: web.Request) -> tuple[AuditQuery, list[str]]:
    """The filters, or none and the names of the fields that were wrong."""
    fields = {key: value for key, value in request.query.items() if value.strip()}
    try:
        return AuditQuery.model_validate(fields), []
    except ValidationError as exc:
        return AuditQuery(), sorted({str(error["loc"][0]) for error in exc.errors()})


@routes.get("/admin/audit")
@page
async def audit_page(request: web.Request, session: SessionRow) -> web.Response:
    await _admin(request, session)
    query, invalid = _query(request)
    async with request.app[keys.pool].acquire() as conn:
        rows = [] if invalid else await read(conn, query.where(), limit=PAGE_ROWS)
    return render(
        request,
        "audit.html",
        {
            "rows": rows,
            "query": query,
            "invalid": invalid,
            "kinds": KINDS,
            "limit": PAGE_ROWS,
            "csv_query": request.query_string,
        },
        session=session,
        status=400 if invalid else 200,
    )


@routes.get("/admin/audit.csv")
@page
async def audit_csv(request: web.Request, session: SessionRow) -> web.Response:
    principal = await _admin(request, session)
    query, invalid = _query(request)
    if invalid:
        raise NotFound("bad filters")  # the page says which; a download has no room to
    async with request.app[keys.pool].acquire() as conn:
        rows = await read(conn, query.where(), limit=CSV_ROWS)
    await audit.record_alone(
        request,
        "export.made",
        audit.origin(request, principal),
        must=True,
        format="audit.csv",
        rows=len(rows),
    )
    stamp = request.app[keys.clock].now().astimezone(STOCKHOLM).strftime("%Y%m%d-%H%M")
    response = web.Response(body=as_csv(rows).encode(), content_type="text/csv", charset="utf-8")
    response.headers["Content-Disposition"] = f'attachment; filename="lagesbild-audit-{stamp}.csv"'
    secure_headers(response)
    return response


@routes.get("/admin/access")
@page
async def access_page(request: web.Request, session: SessionRow) -> web.Response:
    await _admin(request, session)
    now = request.app[keys.clock].now()
    async with request.app[keys.pool].acquire() as conn:
        listed = await tokens.listing(conn)
        live = await users_repo.live_sessions(conn, now=now)
    return render(
        request,
        "access.html",
        {"tokens": listed, "sessions": live, "now": now, "done": request.query.get("done")},
        session=session,
    )


async def form_checked(request: web.Request, session: SessionRow) -> None:
    form = await request.post()
    supplied = form.get("csrf_token")
    auth.check_csrf(
        request,
        session.csrf_token,
        supplied if isinstance(supplied, str) else None,
        request.app[keys.settings].trusted_origins,
    )


def _number(request: web.Request) -> int:
    raw = request.match_info["id"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound(f"no such id {raw[:40]!r}")
    return int(raw)


@routes.post("/admin/tokens/{id}/revoke")
@page
async def revoke(request: web.Request, session: SessionRow) -> web.Response:
    principal = await _admin(request, session)
    await form_checked(request, session)
    token_id = _number(request)
    async with request.app[keys.pool].acquire() as conn:
        revoked = await revoke_token(
            conn, token_id, at=request.app[keys.clock].now(), by=audit.origin(request, principal)
        )
    if revoked is None:
        raise NotFound(f"no live token {token_id}")
    request.app[keys.hub].end_tokens({token_id})  # here at once; NOTIFY tells the others
    raise web.HTTPSeeOther("/admin/access?done=revoked")


@routes.post("/admin/sessions/{id}/end")
@page
async def end_session(request: web.Request, session: SessionRow) -> web.Response:
    principal = await _admin(request, session)
    await form_checked(request, session)
    session_id = _number(request)
    async with request.app[keys.pool].acquire() as conn:
        ended = await sessions.end_session_by_id(
            conn, session_id, at=request.app[keys.clock].now(), by=audit.origin(request, principal)
        )
    if not ended:
        raise NotFound(f"no live session {session_id}")
    request.app[keys.hub].end_sessions({session_id})
    target = "/login" if session_id == session.id else "/admin/access?done=ended"
    raise web.HTTPSeeOther(target)
