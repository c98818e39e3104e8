"""Managing the addresses reminders go to (admins only)."""

from __future__ import annotations

from datetime import datetime

from service.access.principal import Principal
from service.errors import Forbidden, NotFound
from service.repo import Conn, organisations
from service.rounds import repo


def _admin_only(principal: Principal) -> None:
    if principal.role != "admin":
        raise Forbidden("only an admin manages reminder contacts")


async def _known(conn: Conn, code: str) -> None:
    if await organisations.get(conn, code) is None:
        raise NotFound(f"no organisation {code!r}")


async def add(conn: Conn, principal: Principal, code: str, email: str, now: datetime) -> bool:
    _admin_only(principal)
    await _known(conn, code)
    return await repo.add_contact(conn, code, email, now)


async def remove(conn: Conn, principal: Principal, code: str, email: str) -> None:
    _admin_only(principal)
    await _known(conn, code)
    if not await repo.remove_contact(conn, code, email):
        raise NotFound(f"{code} has no contact {email!r}")


async def list_of(conn: Conn, principal: Principal, code: str) -> list[str]:
    _admin_only(principal)
    await _known(conn, code)
    return (await repo.contacts_of(conn, [code])).get(code, [])
