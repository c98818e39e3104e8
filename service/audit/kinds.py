"""Every kind of security event the audit log records: the one list.

A new kind is a line here (and its label in `service/domain/labels.py`'s audit labels);
recording it is one call of `service.audit.record.record`.
"""

from __future__ import annotations

from typing import Literal, get_args

Kind = Literal[
    "login.succeeded",
    "login.failed",
    "login.throttled",
    "logout",
    "session.expired",
    "session.ended",  # by the user's removal or a role change, or by an admin
    "token.created",
    "token.revoked",
    "token.expired",
    "user.created",
    "user.changed",
    "user.removed",
    "user.role_changed",
    "incident.activated",
    "incident.changed",
    "incident.closed",
    "incident.shared",
    "incident.unshared",
    "incident.evaluated",
    "summary.published",
    "export.made",
    "permission.denied",
    "adapter.credential_used",
    "outbox.retried",
    "invitation.created",
    "invitation.revoked",
    "invitation.used",
    "drill.started",
]

KINDS: tuple[Kind, ...] = get_args(Kind)
