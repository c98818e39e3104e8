"""The `sms` channel: a reply goes to the gateway as one signed POST per SMS part.

Payload of the outbox message: `{"to": "+46…", "parts": ["…", …], "shortened": bool,
"in_reply_to": "<gateway message id>"}`. Each part is POSTed to
LAGESBILD_SMS_GATEWAY_URL as `{"message_id": "<outbox id>/<n>", "to", "text"}`, signed
as webhooks are (`X-Lagesbild-Signature`, HMAC-SHA256 with LAGESBILD_SMS_SECRET), with
`X-Lagesbild-Message-Id` the part's id: a retry sends the parts again under the same
ids and the gateway drops the ones it has.
"""

from __future__ import annotations

import aiohttp

from service.clock import Clock
from service.outbox import webhooks
from service.outbox.channel import DeliveryFailed
from service.outbox.repo import OutboxMessage
from service.outbox.webhook_channel import body_bytes, post

DESTINATION = "sms"
KIND = "sms.reply"


class SmsChannel:
    def __init__(
        self, session: aiohttp.ClientSession, url: str, secret: str, clock: Clock, *, timeout: float
    ) -> None:
        self._session = session
        self._url = url
        self._secret = secret
        self._clock = clock
        self._timeout = aiohttp.ClientTimeout(total=timeout)

    @property
    def destination(self) -> str:
        return DESTINATION

    async def deliver(self, message: OutboxMessage) -> None:
        to = message.payload.get("to")
        parts = message.payload.get("parts")
        if not isinstance(to, str) or not isinstance(parts, list) or not parts:
            raise DeliveryFailed("not an SMS reply", permanent=True)
        for n, text in enumerate(parts, start=1):
            part_id = f"{message.message_id}/{n}"
            body = body_bytes({"message_id": part_id, "to": to, "text": str(text)})
            timestamp = int(self._clock.now().timestamp())
            headers = {
                "Content-Type": "application/json",
                webhooks.MESSAGE_ID_HEADER: webhooks.header_message_id(part_id),
                webhooks.KIND_HEADER: KIND,
                webhooks.ATTEMPT_HEADER: str(message.attempts),
                webhooks.SIGNATURE_HEADER: webhooks.sign(self._secret, body, timestamp=timestamp),
            }
            await post(self._session, self._url, body, headers, self._timeout)
