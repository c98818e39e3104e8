"""Invitation links of an incident (`/api/v1/incidents/{id}/invitations`), and the report
a link's holder sends (`POST /invite/{secret}/reports`, no account: the link is the
credential)."""

from __future__ import annotations

from datetime import datetime

from aiohttp import web

from schemas.invitation import InvitationCreate, InvitationList, InvitationMade, InvitationOut
from schemas.report import ReportSubmission
from service import keys
from service.access import report_caps
from service.errors import NotFound
from service.http import audit
from service.http.apidoc import describe
from service.http.auth import authenticate
from service.http.bodies import parse
from service.http.middleware import json_response
from service.http.queries import incident_id
from service.invitations import operations
from service.invitations.capability import Invitation

routes = web.RouteTableDef()

INVITATION = {"invitation": {"type": "integer", "description": "The invitation's id"}}


def wire(invitation: Invitation, now: datetime) -> InvitationOut:
    return InvitationOut(
        id=invitation.id,
        incident_id=invitation.incident_id,
        organisation=invitation.organisation,
        email=invitation.email,
        created_at=invitation.created_at,
        created_by=invitation.created_by,
        expires_at=invitation.expires_at,
        revoked_at=invitation.revoked_at,
        revoked_by=invitation.revoked_by,
        last_used_at=invitation.last_used_at,
        uses=invitation.uses,
        status=invitation.status(now),
    )


def base_url(request: web.Request) -> str:
    """Where the service is reached: LAGESBILD_PUBLIC_URL, else this request's origin."""
    configured = request.app[keys.settings].public_url
    return configured if configured is not None else str(request.url.origin())


def invitation_number(request: web.Request) -> int:
    raw = request.match_info["invitation"]
    if not raw.isascii() or not raw.isdigit() or len(raw) > 18:
        raise NotFound(f"no invitation {raw[:40]!r}")
    return int(raw)


@routes.post("/api/v1/incidents/{id}/invitations")
@describe(
    "Invite a participating organisation to report by a link (no account needed)",
    description="Duty officers of the owner or of the incident's county board. The answer "
    "holds the link once; only its hash is kept. With `email`, the link is also sent "
    "there through the outbox. `invitation.created` in the audit log.",
    request=InvitationCreate,
    responses={201: InvitationMade},
    errors=(403,),
)
async def create(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    body = await parse(request, InvitationCreate)
    settings = request.app[keys.settings]
    made = await operations.create(
        request.app[keys.pool],
        principal,
        incident_id(request),
        organisation=body.organisation,
        email=body.email,
        expires_at=body.expires_at,
        now=request.app[keys.clock].now(),
        base_url=base_url(request),
        default_days=settings.invitation_days,
        by=audit.origin(request, principal),
    )
    out = wire(made.invitation, request.app[keys.clock].now())
    return json_response(
        InvitationMade(**out.model_dump(), link=made.link).model_dump(mode="json"), status=201
    )


@routes.get("/api/v1/incidents/{id}/invitations")
@describe(
    "The incident's invitation links, newest first",
    responses={200: InvitationList},
    errors=(403,),
)
async def list_invitations(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    found = await operations.listed(request.app[keys.pool], principal, incident_id(request))
    now = request.app[keys.clock].now()
    listing = InvitationList(invitations=[wire(i, now) for i in found])
    return json_response(listing.model_dump(mode="json"))


@routes.delete("/api/v1/incidents/{id}/invitations/{invitation}")
@describe(
    "Revoke an invitation link: it opens nothing from now on (`invitation.revoked`)",
    responses={200: InvitationOut},
    errors=(403, 404),
    path=INVITATION,
)
async def revoke(request: web.Request) -> web.Response:
    principal = await authenticate(request)
    now = request.app[keys.clock].now()
    revoked = await operations.revoke(
        request.app[keys.pool],
        principal,
        incident_id(request),
        invitation_number(request),
        now=now,
        by=audit.origin(request, principal),
    )
    return json_response(wire(revoked, now).model_dump(mode="json"))


@routes.post("/invite/{secret}/reports")
async def submit_by_link(request: web.Request) -> web.Response:
    """A report by the holder of a live link, for its organisation in its incident: as
    `POST /api/v1/incidents/{id}/reports` answers (201, 200 for a repeat, 403
    `wrong-organisation`, 409 …, and the same caps: 413 `report-too-large`, 429); 404
    for an unknown, expired or revoked link."""
    now = request.app[keys.clock].now()
    held = await operations.open_link(request.app[keys.pool], request.match_info["secret"], now)
    await report_caps.admit_json_report(request, held.principal())  # before the body is parsed
    body = await parse(request, ReportSubmission)
    result = await operations.submit(
        request.app[keys.pool],
        held,
        body,
        now,
        by=audit.origin(request, actor="invitation link"),
        follower=request.app[keys.hub],
    )
    if result.seq is not None:
        request.app[keys.metrics].reports_submitted.labels(
            "unchanged" if body.unchanged else "full"
        ).inc()
    return json_response(
        result.report.model_dump(mode="json"), status=201 if result.created else 200
    )
