"""The two database roles: the owner (migrations) and the service (everything else).

The migrations create both roles (migrations/0011_audit.sql) and run as the owner; the
running service connects as `lagesbild_service`, which may not change or delete the
audit log. `DATABASE_URL` (or the embedded server) is the owner's connection; the
service's is `LAGESBILD_DATABASE_SERVICE_URL`, or else the same server and database
with the user `lagesbild_service` and no password (the embedded server trusts its own
socket; so may a server that authenticates local users by peer or certificate).
"""

from __future__ import annotations

from urllib.parse import urlsplit, urlunsplit

from service.db.migrate import SERVICE_ROLE


class ServiceDsnError(ValueError):
    """The owner's DSN cannot be turned into the service's: set it explicitly."""


def service_dsn(owner_dsn: str, explicit: str | None = None) -> str:
    """The DSN the service connects with."""
    if explicit is not None:
        return explicit
    parts = urlsplit(owner_dsn)
    if parts.scheme not in ("postgres", "postgresql"):
        raise ServiceDsnError(
            "DATABASE_URL is not a postgresql:// URL: set LAGESBILD_DATABASE_SERVICE_URL"
        )
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{SERVICE_ROLE}@{host}"))
