"""The script page of an exercise (`/incidents/{id}/injects`): the injects with their
state, a form to add one, each pending one's change and withdraw forms, and the
templates (save the script as one, load one at new times). Plain forms, answered with
the page again (or See Other after a change)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any

from aiohttp import web
from multidict import MultiDictProxy
from pydantic import ValidationError

from schemas.inject import FromTemplate, InjectBody, TemplateCreate
from service import keys
from service.access.principal import Principal
from service.domain import lifecycle
from service.domain.labels import STOCKHOLM
from service.errors import Conflict, NotFound, ValidationFailed
from service.http.injects import inject_id, poke_timer
from service.http.queries import incident_id
from service.injects import script
from service.repo import organisations
from service.repo.users import SessionRow
from service.web.admin import form_checked
from service.web.pages import page
from service.web.render import render

routes = web.RouteTableDef()

# What a refused form is answered with: the page again, saying so.
REFUSALS: tuple[type[Exception], ...] = (ValidationError, ValidationFailed, Conflict)


def local_input(value: str) -> datetime | None:
    """A `datetime-local` field (Swedish time), or None when empty or unreadable."""
    try:
        moment = datetime.fromisoformat(value) if value else None
    except ValueError:
        return None
    if moment is not None and moment.tzinfo is None:
        moment = moment.replace(tzinfo=STOCKHOLM)
    return moment


def body_of(form: MultiDictProxy[Any]) -> InjectBody:
    """The inject the form describes (refused as the API refuses its body)."""
    text = str(form.get("text", ""))
    # one name and one text per attachment, in order; an empty text drops that one
    names = [str(name).strip() for name in form.getall("attachment_name", [])]
    texts = [str(text) for text in form.getall("attachment_text", [])]
    names += [""] * (len(texts) - len(names))
    attachments = [
        {"name": name or "Bilaga", "text": text}
        for name, text in zip(names, texts, strict=False)
        if text.strip()
    ]
    audience = [str(code) for code in form.getall("audience", [])] or None
    offset = str(form.get("offset_minutes", "")).strip()
    at = local_input(str(form.get("at", "")).strip())
    return InjectBody.model_validate(
        {
            "text": text,
            "attachments": attachments,
            "audience": audience,
            "offset_minutes": int(offset) if offset.isdigit() else None,
            "at": at,
        }
    )


async def _script_page(
    request: web.Request, session: SessionRow, *, refused: bool = False, status: int = 200
) -> web.Response:
    principal = Principal.for_session(session)
    target = incident_id(request)
    pool = request.app[keys.pool]
    async with pool.acquire() as conn:
        row = await lifecycle.visible(conn, principal, target)
        found = await script.list_injects(conn, principal, target)
        templates = await script.list_templates(conn, principal)
        names = {
            o.code: o.name for o in (await organisations.get_many(conn, row.participants)).values()
        }
    context: dict[str, Any] = {
        "incident": {"id": str(row.id), "title": row.title, "exercise": row.exercise},
        "exercise": row.exercise,
        "injects": found,
        "templates": templates,
        "participants": sorted(
            ((code, names.get(code, code)) for code in row.participants),
            key=lambda item: item[1].casefold(),
        ),
        "names": names,
        "refused": refused,
        "done": request.query.get("done"),
    }
    return render(request, "injects.html", context, session=session, status=status)


def _back(request: web.Request) -> web.HTTPSeeOther:
    return web.HTTPSeeOther(f"/incidents/{incident_id(request)}/injects?done=saved")


@routes.get("/incidents/{id}/injects")
@page
async def script_page(request: web.Request, session: SessionRow) -> web.Response:
    return await _script_page(request, session)


# A form's action: what it does for the caller with the posted form (refused as the API
# refuses it).
Action = Callable[[Principal, MultiDictProxy[Any]], Awaitable[object]]


async def _act(
    request: web.Request,
    session: SessionRow,
    action: Action,
    *,
    refused: int = 422,
    also: tuple[type[Exception], ...] = (),
    poke: bool = True,
) -> web.Response:
    """Do one form's action; the page again (`refused` status) when it is refused, else
    back to the page saying it was saved. `poke`: the script changed, so the timer
    looks again at when the next inject falls due."""
    await form_checked(request, session)
    principal = Principal.for_session(session)
    refusals = REFUSALS + also
    try:
        await action(principal, await request.post())
    except refusals:
        return await _script_page(request, session, refused=True, status=refused)
    if poke:
        poke_timer(request)
    raise _back(request)


@routes.post("/incidents/{id}/injects")
@page
async def add_inject(request: web.Request, session: SessionRow) -> web.Response:
    pool, now, target = request.app[keys.pool], request.app[keys.clock].now(), incident_id(request)

    async def add(principal: Principal, form: MultiDictProxy[Any]) -> object:
        return await script.add(pool, principal, target, body_of(form), now)

    return await _act(request, session, add)


@routes.post("/incidents/{id}/injects/{inject}/change")
@page
async def change_inject(request: web.Request, session: SessionRow) -> web.Response:
    pool, now, target = request.app[keys.pool], request.app[keys.clock].now(), incident_id(request)
    inject = inject_id(request)

    async def change(principal: Principal, form: MultiDictProxy[Any]) -> object:
        return await script.change(pool, principal, target, inject, body_of(form), now)

    return await _act(request, session, change)


@routes.post("/incidents/{id}/injects/{inject}/withdraw")
@page
async def withdraw_inject(request: web.Request, session: SessionRow) -> web.Response:
    pool, now, target = request.app[keys.pool], request.app[keys.clock].now(), incident_id(request)
    inject = inject_id(request)

    async def withdraw(principal: Principal, _form: MultiDictProxy[Any]) -> object:
        return await script.withdraw(pool, principal, target, inject, now)

    return await _act(request, session, withdraw, refused=409, poke=False)


@routes.post("/incidents/{id}/inject-templates")
@page
async def save_template(request: web.Request, session: SessionRow) -> web.Response:
    pool, now, target = request.app[keys.pool], request.app[keys.clock].now(), incident_id(request)

    async def save(principal: Principal, form: MultiDictProxy[Any]) -> object:
        body = TemplateCreate.model_validate(
            {"name": str(form.get("name", "")), "incident_id": target}
        )
        return await script.save_template(pool, principal, body, now)

    return await _act(request, session, save, poke=False)


@routes.post("/incidents/{id}/injects-from-template")
@page
async def load_template(request: web.Request, session: SessionRow) -> web.Response:
    pool, now, target = request.app[keys.pool], request.app[keys.clock].now(), incident_id(request)

    async def load(principal: Principal, form: MultiDictProxy[Any]) -> object:
        body = FromTemplate.model_validate(
            {
                "template_id": str(form.get("template_id", "")),
                "start": local_input(str(form.get("start", "")).strip()),
            }
        )
        return await script.from_template(pool, principal, target, body, now)

    return await _act(request, session, load, also=(NotFound,))
