"""The access matrix in front of every handler: one place decides who is answered what.

The middleware finds the route's row in `service/access/matrix.py` and, before the
handler runs (before any body is read), answers 401, 403 or 404 as the row says. Pages
are checked the same way by `page` (service/web/pages.py), so that a refusal is a page
in the person's language. A route the matrix does not list is refused (fail closed)
and logged; tests/access/test_matrix.py names it first.
"""

from __future__ import annotations

import uuid
from dataclasses import replace

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler

from service import keys
from service.access import matrix
from service.access.policy import IncidentAccess, can_see
from service.access.principal import Principal
from service.errors import Forbidden, NotFound, ProblemError
from service.http.auth import authenticate, prefetched_access
from service.http.queries import incident_id
from service.repo import incidents

log = structlog.get_logger(__name__)


@web.middleware
async def guard(request: web.Request, handler: Handler) -> web.StreamResponse:
    resource = request.match_info.route.resource
    if resource is None:  # no route matched: aiohttp answers 404 or 405
        return await handler(request)
    rule = _rule(request, resource.canonical)
    if rule is not None and not (rule.public or rule.page):
        incident = _incident_named(request) if rule.incident else None
        await check(request, await authenticate(request, incident=incident), rule)
    return await handler(request)


def _incident_named(request: web.Request) -> uuid.UUID | None:
    """The route's incident, for authentication to read with the token; None for an id
    that is no UUID (answered 404 by the check, after a 401 if there is one)."""
    try:
        return incident_id(request)
    except NotFound:
        return None


def _rule(request: web.Request, canonical: str) -> matrix.Rule | None:
    """The route's row. A core route without one is refused (fail closed); a route an
    adapter installed outside the core and the matrix answers as its handler decides."""
    rule = matrix.rule_for(request.method, canonical)
    core = request.match_info.route.handler.__module__.startswith("service.")
    if rule is None and core:
        log.error("access.unlisted", method=request.method, route=canonical)
        raise Forbidden("this route is not in the access matrix")
    return rule


async def check(
    request: web.Request, principal: Principal, rule: matrix.Rule | None = None
) -> None:
    """Raise what the matrix answers this caller on this route, if it refuses."""
    resource = request.match_info.route.resource
    assert resource is not None
    rule = rule or _rule(request, resource.canonical)
    if rule is None:
        return
    access = await _access(request, principal) if rule.incident else None
    answer = rule.answer(principal, access)
    if answer.stops:
        raise _refusal(request, rule, answer, access)


async def _access(request: web.Request, principal: Principal) -> IncidentAccess | None:
    """The incident's access facts (None: no such incident); for a caller who may not
    see it, whether its organisation was a participant removed by a change."""
    target = incident_id(request)
    access = prefetched_access(request, target)
    if access is False:  # not read with the caller's authentication (a session's, say)
        async with request.app[keys.pool].acquire() as conn:
            row = await incidents.get(conn, target)
        access = None if row is None else row.access
    if access is None:
        return None
    if not can_see(principal, access) and principal.organisation:
        async with request.app[keys.pool].acquire() as conn:
            removed = await incidents.was_removed(conn, target, principal.organisation)
        access = replace(access, removed=removed)
    return access


def _refusal(
    request: web.Request,
    rule: matrix.Rule,
    answer: matrix.Answer,
    access: IncidentAccess | None,
) -> ProblemError:
    if answer.status == 404:
        if "id" not in request.match_info:  # a route that exists only for some callers
            return NotFound(f"no such resource: {request.path[:200]}")
        return NotFound(f"no incident {request.match_info['id']} that you may see")
    if answer.slug == "not-participant":
        removed = access is not None and access.removed
        return Forbidden(
            "your organisation was removed from this incident's participants"
            if removed
            else "your organisation does not take part in this incident",
            slug="not-participant",
        )
    return Forbidden(f"not allowed here: {rule.doc}")
