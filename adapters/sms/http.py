"""`POST /api/v1/exchange/sms`: the SMS gateway delivers a message (signed, no token).

The gateway signs the raw body as Lägesbild signs its webhooks
(`X-Lagesbild-Signature: t=<unix>,v1=<hex HMAC-SHA256(LAGESBILD_SMS_SECRET, "<t>." +
body)>`, within 300 s of now). A readable, signed call is answered 200 with what came
of the message, whatever the text said: the person is told by the reply SMS, which
goes through the outbox (channel `sms`).
"""

from __future__ import annotations

from typing import Any

from aiohttp import web

from adapters.sms import inbound, texts
from adapters.sms.channel import DESTINATION, KIND
from service import keys
from service.domain.phones import e164
from service.errors import NotFound, ProblemError, ValidationFailed
from service.http.apidoc import Body, describe
from service.http.bodies import read_json
from service.http.middleware import json_response
from service.outbox import repo as outbox
from service.outbox import webhooks

routes = web.RouteTableDef()

# The replay window of a signed call (docs/exchange.md).
TOLERANCE_SECONDS = 300.0


class BadSignature(ProblemError):
    status = 401
    default_slug = "bad-signature"
    title = "The call is not signed with the gateway's secret"


RECEIVED: dict[str, Any] = {
    "type": "object",
    "required": ["outcome", "reply"],
    "properties": {
        "outcome": {"enum": ["stored", "repeat", "refused", "unknown-sender"]},
        "report": {"description": "The stored report (stored, repeat)"},
        "reply": {
            "type": ["object", "null"],
            "description": "The reply sent back: its SMS parts, and whether it was shortened; "
            "null for an unknown sender (strangers are not answered)",
        },
    },
}


@routes.post("/api/v1/exchange/sms")
@describe(
    "The SMS gateway delivers a message: a report written as text (signed, no token)",
    description="Body `{message_id, from, to, text, received_at}`, signed with "
    "`X-Lagesbild-Signature`. The same message id, or the same text from the same number "
    "within LAGESBILD_SMS_REPEAT_WINDOW_SECONDS, stores one report.",
    request=inbound.Sms,
    responses={200: Body(schema=RECEIVED)},
    errors=(401, 404, 429),
    auth=False,
)
async def receive(request: web.Request) -> web.Response:
    app = request.app
    settings = app[keys.settings]
    if settings.sms_secret is None:
        raise NotFound("this installation takes no SMS (LAGESBILD_SMS_SECRET is not set)")
    found = await read_json(request)  # 415, 413, 400 before the signature is looked at
    raw = await request.read()
    now = app[keys.clock].now()
    header = request.headers.get(webhooks.SIGNATURE_HEADER, "")
    if not webhooks.verify_signature(settings.sms_secret, header, raw, now, TOLERANCE_SECONDS):
        raise BadSignature("sign the body as docs/exchange.md says, with a current timestamp")
    sms = inbound.Sms.model_validate(found)  # 422 by the error middleware
    sender = e164(sms.sender)
    if sender is None:
        raise ValidationFailed(errors=[(("from",), "not a phone number")])
    received = await inbound.receive(
        app[keys.pool],
        sms,
        sender,
        now,
        window=settings.sms_repeat_window_seconds,
        caps=app[keys.report_caps],
    )
    if received.seq is not None and received.report is not None:
        app[keys.hub].notify(received.report.incident_id, received.seq)
    app[keys.metrics].exchange_imports.labels("sms", received.outcome).inc()
    reply = None
    if received.reply is not None:
        parts = texts.split(received.reply, max_parts=settings.sms_reply_max_parts)
        reply = {"parts": list(parts.parts), "shortened": parts.shortened}
        if settings.sms_gateway_url is not None:
            async with app[keys.pool].acquire() as conn, conn.transaction():
                await outbox.enqueue(
                    conn,
                    destination=DESTINATION,
                    kind=KIND,
                    message_id=inbound.reply_id(sms.message_id),
                    payload={"to": sender, "in_reply_to": sms.message_id, **reply},
                    at=now,
                    incident_id=None if received.report is None else received.report.incident_id,
                )
    body: dict[str, Any] = {
        "outcome": received.outcome,
        "report": None if received.report is None else received.report.model_dump(mode="json"),
        "reply": reply,
    }
    return json_response(body)
