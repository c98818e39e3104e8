"""Log-in, log-out and the language switch."""

from __future__ import annotations

import math
import secrets
from datetime import timedelta
from urllib.parse import quote

from aiohttp import web

from service import keys
from service.access import login_limits, sessions
from service.access.login_limits import LoginLimits
from service.audit.record import record
from service.errors import Forbidden, TooManyRequests
from service.http import audit, auth
from service.http.auth import current_session
from service.http.middleware import problem_response
from service.http.source import client_address
from service.repo.users import SessionRow
from service.web.i18n import LANG_COOKIE
from service.web.render import render

routes = web.RouteTableDef()


def local_path(target: str | None, default: str = "/incidents") -> str:
    """Only a path of this site: never an open redirect to another."""
    if (
        not target
        or not target.startswith("/")
        or target.startswith("//")
        or "\\" in target
        # Browsers and URL builders drop tabs and line breaks: "/\t/evil" would become
        # "//evil", another site.
        or any(char <= " " or char == "\x7f" for char in target)
    ):
        return default
    return target


async def require_session(request: web.Request) -> SessionRow:
    """The logged-in person, or a redirect to the log-in page that comes back here."""
    session = await current_session(request)
    if session is None:
        raise web.HTTPSeeOther(f"/login?next={quote(request.path_qs, safe='')}")
    return session


@routes.get("/")
async def home(request: web.Request) -> web.Response:
    target = "/incidents" if await current_session(request) else "/login"
    raise web.HTTPSeeOther(target)


@routes.get("/login")
async def login_page(request: web.Request) -> web.Response:
    if await current_session(request) is not None:
        raise web.HTTPSeeOther(local_path(request.query.get("next")))
    return _login_form(request, email="", failed=False)


def _login_form(
    request: web.Request,
    *,
    email: str,
    failed: bool,
    expired: bool = False,
    throttled: int | None = None,
) -> web.Response:
    token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        {
            "csrf": token,
            "email": email,
            "failed": failed,
            "expired": expired,
            "throttled": throttled,
            "next": request.query.get("next", ""),
        },
        session=None,
        status=429 if throttled else 403 if expired else 401 if failed else 200,
    )
    auth.set_cookie(response, request, sessions.LOGIN_COOKIE, token, max_age=12 * 3600)
    return response


@routes.post("/login")
async def login(request: web.Request) -> web.Response:
    form = await request.post()
    expected = request.cookies.get(sessions.LOGIN_COOKIE, "")
    supplied = form.get("csrf_token")
    settings = request.app[keys.settings]
    email, password = form.get("email"), form.get("password")
    try:
        if not expected:
            raise Forbidden("the log-in form has expired: reload the page", slug="csrf")
        auth.check_csrf(
            request,
            expected,
            supplied if isinstance(supplied, str) else None,
            settings.trusted_origins,
        )
    except Forbidden:
        if "text/html" not in request.headers.get("Accept", ""):
            raise
        # A person at a form left open too long (or a second tab): a fresh form, in words.
        kept = email[:254] if isinstance(email, str) else ""
        return _login_form(request, email=kept, failed=False, expired=True)
    if not isinstance(email, str) or not isinstance(password, str):
        return _login_form(request, email="", failed=True)
    if not sessions.could_be_email(email):  # refused before any counting or look-up
        return _login_form(request, email="", failed=True)
    now = request.app[keys.clock].now()
    limits = LoginLimits.from_settings(settings)
    account = sessions.normalise_email(email)
    address = client_address(request, settings.trusted_proxies)
    async with request.app[keys.pool].acquire() as conn, conn.transaction():
        wait = await login_limits.wait(conn, limits, account, address, now)
        user = None if wait else await sessions.check_password(conn, email, password)
        if wait is not None:
            await record(
                conn,
                "login.throttled",
                audit.origin(request, actor=account[:254]),
                at=now,
                wait_seconds=int(wait.total_seconds()),
            )
        elif user is None:
            await login_limits.failed(conn, limits, account, address, now)
            await record(conn, "login.failed", audit.origin(request, actor=account[:254]), at=now)
        else:
            await login_limits.succeeded(conn, account, address)
            # A new session at every log-in (never reuse one a browser brought along).
            old = request.cookies.get(sessions.COOKIE)
            if old and old.isascii():
                await sessions.end(conn, old, at=now)
            lifetime = timedelta(hours=settings.session_lifetime_hours)
            new = await sessions.start(conn, user.id, at=now, lifetime=lifetime)
            await record(
                conn,
                "login.succeeded",
                audit.origin(request, actor=user.email, organisation=user.organisation),
                at=now,
                session_id=new.session_id,
            )
    if wait is not None:  # throttled: the password was not even checked
        return _throttled(request, email, wait)
    if user is None:  # failed: counted above
        return _login_form(request, email=email[:254], failed=True)
    response = web.HTTPSeeOther(local_path(request.query.get("next")))
    auth.set_cookie(
        response, request, sessions.COOKIE, new.token, max_age=int(lifetime.total_seconds())
    )
    response.del_cookie(sessions.LOGIN_COOKIE, path="/")
    raise response


def _throttled(request: web.Request, email: str, wait: timedelta) -> web.Response:
    """429 with `Retry-After`: a problem for a program, the form again for a person."""
    seconds = max(1, math.ceil(wait.total_seconds()))
    minutes = max(1, math.ceil(seconds / 60))
    if "text/html" not in request.headers.get("Accept", ""):
        error = TooManyRequests(f"too many failed log-ins: try again in {seconds} s")
        response = problem_response(error)  # Retry-After below, for the form too
    else:
        response = _login_form(request, email=email[:254], failed=False, throttled=minutes)
    response.headers["Retry-After"] = str(seconds)
    return response


@routes.post("/logout")
async def logout(request: web.Request) -> web.Response:
    session = await current_session(request)
    token = request.cookies.get(sessions.COOKIE, "")
    if session is not None:
        form = await request.post()
        supplied = form.get("csrf_token")
        auth.check_csrf(
            request,
            session.csrf_token,
            supplied if isinstance(supplied, str) else None,
            request.app[keys.settings].trusted_origins,
        )
        async with request.app[keys.pool].acquire() as conn, conn.transaction():
            await sessions.end(
                conn,
                token,
                at=request.app[keys.clock].now(),
                by=audit.origin(request, actor=session.email, organisation=session.organisation),
            )
        # This instance closes the session's streams at once; NOTIFY tells the others.
        request.app[keys.hub].end_sessions({session.id})
    response = web.HTTPSeeOther("/login")
    response.del_cookie(sessions.COOKIE, path="/")
    raise response


@routes.get("/lang/{lang}")
async def switch_language(request: web.Request) -> web.Response:
    lang = "en" if request.match_info["lang"] == "en" else "sv"
    response = web.HTTPSeeOther(local_path(request.query.get("next")))
    response.set_cookie(LANG_COOKIE, lang, max_age=365 * 24 * 3600, path="/", samesite="Lax")
    raise response
