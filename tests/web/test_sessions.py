"""Log-in, sessions and CSRF over real sockets, as a browser meets them.

A person logs in with e-mail and password and gets a server-side session: an HttpOnly,
SameSite=Lax cookie that authenticates the pages, the JSON API and the live stream.
Every state-changing request under a session must come from this site (`Origin`, or
`Referer` when a browser drops it) and carry the session's CSRF token; API tokens are
not affected. Log-out and user removal end the session and close its open streams.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import timedelta
from urllib.parse import quote

import aiohttp
import asyncpg
import pytest
from aiohttp import web
from aiohttp.test_utils import TestServer
from yarl import URL

from service import keys
from service.access import sessions
from service.clock import FixedClock
from service.config import Settings
from service.stream.connection import SESSION_ENDED
from tests.stream.wsclient import StreamClient
from tests.support import T0, Api, Reply, assert_problem, incident_body
from tests.web.support import PASSWORD, Browser, add_user, closed_with

ADA = "ada@lst14.example.se"  # a duty officer of LST-14
BO = "bo@vargarda.example.se"  # a reporter of 1442
EVIL = "https://evil.example"
STREAM = "/api/v1/stream"
UPGRADE = {
    "Connection": "Upgrade",
    "Upgrade": "websocket",
    "Sec-WebSocket-Version": "13",
    "Sec-WebSocket-Key": "dGhlIHNhbXBsZSBub25jZQ==",
}


@pytest.fixture
async def users(dsn: str) -> None:
    await add_user(dsn, ADA, organisation="LST-14", role="duty_officer")
    await add_user(dsn, BO, organisation="1442", role="reporter")


@pytest.fixture
async def browser(server: TestServer) -> AsyncIterator[Browser]:
    async with Browser(server) as opened:
        yield opened


@pytest.fixture
async def other_browser(server: TestServer) -> AsyncIterator[Browser]:
    async with Browser(server) as opened:
        yield opened


async def incident_count(browser: Browser) -> int:
    reply = await browser.get("/api/v1/incidents")
    assert reply.status == 200, reply.body
    return len(reply.body["incidents"])


async def activate(browser: Browser, headers: dict[str, str]) -> Reply:
    _, reply = await browser.request(
        "POST", "/api/v1/incidents", json_body=incident_body(), headers=headers
    )
    return reply


async def login_bringing(browser: Browser, cookie: str) -> str:
    """Log in as Ada from a browser that sends a session cookie along (planted, or left
    over from before); the new session cookie."""
    token = await browser.login_form()
    browser.set_cookie(sessions.COOKIE, cookie)
    _, reply = await browser.request(
        "POST",
        "/login",
        data={"email": ADA, "password": PASSWORD, "csrf_token": token},
        headers={"Origin": browser.origin},
    )
    assert reply.status == 303, reply.body
    new = browser.cookie(sessions.COOKIE)
    assert new
    return new


# --- logging in -----------------------------------------------------------------------------


@pytest.mark.usefixtures("users")
async def test_login_with_the_right_password_redirects_to_next_with_a_strict_cookie(
    browser: Browser,
) -> None:
    response, reply = await browser.post_login(ADA, query="?next=" + quote("/incidents/new"))

    assert reply.status == 303, reply.body
    assert reply.headers["Location"] == "/incidents/new"
    cookie = response.cookies[sessions.COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert not cookie["secure"]  # plain http: a Secure cookie would never come back
    assert cookie["path"] == "/"
    assert response.cookies[sessions.LOGIN_COOKIE].value == ""  # the form's token is spent
    assert (await browser.get("/api/v1/incidents")).status == 200


@pytest.mark.usefixtures("users")
async def test_a_successful_login_is_counted_as_a_303_not_a_500(browser: Browser) -> None:
    await browser.login(ADA)

    metrics = await browser.get("/metrics")
    lines = [line for line in metrics.body.splitlines() if 'route="/login"' in line]
    assert any('method="POST"' in line and 'status="303"' in line for line in lines), lines
    assert not any('status="500"' in line for line in lines), lines


@pytest.mark.usefixtures("users")
async def test_login_behind_a_tls_proxy_sets_a_secure_cookie(browser: Browser) -> None:
    # Behind a TLS proxy the page's origin is https, on the same host.
    https = browser.origin.replace("http://", "https://", 1)
    response, reply = await browser.post_login(
        ADA, headers={"X-Forwarded-Proto": "https", "Origin": https}
    )

    assert reply.status == 303, reply.body
    cookie = response.cookies[sessions.COOKIE]
    assert cookie["secure"] is True
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"


@pytest.mark.usefixtures("users")
async def test_login_page_sets_an_httponly_lax_form_cookie(browser: Browser) -> None:
    response, reply = await browser.request("GET", "/login")

    assert reply.status == 200
    cookie = response.cookies[sessions.LOGIN_COOKIE]
    assert cookie["httponly"] is True
    assert cookie["samesite"] == "Lax"
    assert cookie.value == browser.cookie(sessions.LOGIN_COOKIE)


@pytest.mark.usefixtures("users")
async def test_login_matches_the_email_address_whatever_its_case_and_spaces(
    browser: Browser,
) -> None:
    _, reply = await browser.post_login("  " + ADA.upper() + " ")

    assert reply.status == 303, reply.body
    assert (await browser.get("/api/v1/incidents")).status == 200


@pytest.mark.usefixtures("users")
@pytest.mark.parametrize(
    ("next_", "location"),
    [
        ("/incidents/new", "/incidents/new"),
        ("/incidents?status=closed", "/incidents?status=closed"),
        ("//evil.example", "/incidents"),
        ("//evil.example/incidents", "/incidents"),
        ("https://evil.example", "/incidents"),
        ("/\\evil.example", "/incidents"),
        ("evil.example", "/incidents"),
        ("", "/incidents"),
    ],
)
async def test_login_redirects_only_to_a_path_of_this_site(
    browser: Browser, next_: str, location: str
) -> None:
    _, reply = await browser.post_login(ADA, query="?next=" + quote(next_, safe=""))

    assert reply.status == 303, reply.body
    assert reply.headers["Location"] == location


@pytest.mark.usefixtures("users")
@pytest.mark.parametrize("next_", ["/\t/evil.example", "/\n/evil.example", "/\r/evil.example"])
async def test_login_redirect_ignores_control_characters_that_browsers_strip(
    browser: Browser, next_: str
) -> None:
    _, reply = await browser.post_login(ADA, query="?next=" + quote(next_, safe=""))

    assert reply.status == 303, reply.body
    location = reply.headers["Location"]
    assert not location.startswith(("//", "/\\")), location


async def test_language_switch_redirect_ignores_control_characters_that_browsers_strip(
    browser: Browser,
) -> None:
    reply = await browser.get("/lang/en?next=" + quote("/\t/evil.example", safe=""))

    assert reply.status == 303
    assert not reply.headers["Location"].startswith(("//", "/\\")), reply.headers["Location"]


@pytest.mark.usefixtures("users")
@pytest.mark.parametrize(
    ("email", "password"),
    [
        (ADA, "fel-lösenord-2026"),
        ("nobody@lst14.example.se", PASSWORD),
        (ADA, ""),
    ],
    ids=["wrong-password", "unknown-email", "empty-password"],
)
async def test_failed_login_is_a_401_page_with_one_message_and_no_session(
    browser: Browser, email: str, password: str
) -> None:
    response, reply = await browser.post_login(email, password)

    assert reply.status == 401
    assert reply.content_type == "text/html"
    assert "Fel e-postadress eller lösenord." in reply.body
    assert sessions.COOKIE not in response.cookies
    assert browser.cookie(sessions.COOKIE) is None
    # The form can be sent again at once: a fresh token came with the page.
    assert browser.cookie(sessions.LOGIN_COOKIE) is not None
    assert (await browser.get("/api/v1/incidents")).status == 401


@pytest.mark.usefixtures("users")
async def test_wrong_password_and_unknown_email_answer_the_same(browser: Browser) -> None:
    _, wrong_password = await browser.post_login(ADA, "fel-lösenord-2026")
    _, unknown = await browser.post_login("nobody@lst14.example.se", "fel-lösenord-2026")

    assert wrong_password.status == unknown.status == 401

    def message(reply: Reply) -> str:
        start = reply.body.index('id="login-error"')
        return str(reply.body[start : reply.body.index("</p>", start)])

    assert message(wrong_password) == message(unknown)


@pytest.mark.usefixtures("users")
@pytest.mark.parametrize(
    "token", [None, "", "not-the-form-token"], ids=["missing", "empty", "wrong"]
)
async def test_login_without_the_forms_token_is_refused_with_403(
    browser: Browser, token: str | None
) -> None:
    await browser.login_form()
    fields = {"email": ADA, "password": PASSWORD}
    if token is not None:
        fields["csrf_token"] = token

    response, reply = await browser.request(
        "POST", "/login", data=fields, headers={"Origin": browser.origin}
    )

    assert_problem(reply, 403, "csrf")
    assert sessions.COOKIE not in response.cookies


@pytest.mark.usefixtures("users")
async def test_login_without_the_forms_cookie_is_refused_with_403(browser: Browser) -> None:
    token = await browser.login_form()
    browser.jar.clear()

    _, reply = await browser.request(
        "POST",
        "/login",
        data={"email": ADA, "password": PASSWORD, "csrf_token": token},
        headers={"Origin": browser.origin},
    )

    assert_problem(reply, 403, "csrf")
    assert browser.cookie(sessions.COOKIE) is None


@pytest.mark.usefixtures("users")
@pytest.mark.parametrize(
    "headers",
    [{"Origin": EVIL}, {"Origin": "null"}, {"Referer": EVIL + "/login"}],
    ids=["foreign-origin", "null-origin", "foreign-referer"],
)
async def test_login_from_another_site_is_refused_with_403(
    browser: Browser, headers: dict[str, str]
) -> None:
    token = await browser.login_form()

    _, reply = await browser.request(
        "POST",
        "/login",
        data={"email": ADA, "password": PASSWORD, "csrf_token": token},
        headers=headers,
    )

    assert_problem(reply, 403, "csrf")
    assert browser.cookie(sessions.COOKIE) is None


@pytest.mark.usefixtures("users")
async def test_login_gives_a_new_session_and_ends_the_one_the_browser_brought(
    browser: Browser, other_browser: Browser
) -> None:
    first = await browser.login(ADA)
    second = await login_bringing(other_browser, first)

    assert second != first
    assert (await other_browser.get("/api/v1/incidents")).status == 200
    assert_problem(await browser.get("/api/v1/incidents"), 401)


@pytest.mark.usefixtures("users")
async def test_each_login_is_a_session_of_its_own(browser: Browser, other_browser: Browser) -> None:
    await browser.login(ADA)
    await other_browser.login(ADA)

    assert browser.cookie(sessions.COOKIE) != other_browser.cookie(sessions.COOKIE)
    assert (await browser.get("/api/v1/incidents")).status == 200
    assert (await other_browser.get("/api/v1/incidents")).status == 200
    assert await browser.session_csrf() != await other_browser.session_csrf()


@pytest.mark.usefixtures("users")
async def test_login_page_of_a_logged_in_person_redirects_to_next(browser: Browser) -> None:
    await browser.login(ADA)

    reply = await browser.get("/login?next=" + quote("/incidents/new"))
    assert reply.status == 303
    assert reply.headers["Location"] == "/incidents/new"
    evil = await browser.get("/login?next=" + quote("//evil.example", safe=""))
    assert evil.headers["Location"] == "/incidents"


async def test_login_of_a_removed_user_fails(browser: Browser, dsn: str) -> None:
    await add_user(dsn, ADA)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            assert await sessions.remove_user(conn, ADA, at=T0)
    finally:
        await conn.close()

    _, reply = await browser.post_login(ADA)
    assert reply.status == 401


@pytest.mark.usefixtures("users")
async def test_session_ends_when_its_lifetime_is_over(
    browser: Browser, clock: FixedClock, settings: Settings
) -> None:
    await browser.login(ADA)
    lifetime = timedelta(hours=settings.session_lifetime_hours)

    clock.set(T0 + lifetime - timedelta(seconds=1))
    assert (await browser.get("/api/v1/incidents")).status == 200
    clock.set(T0 + lifetime)
    assert_problem(await browser.get("/api/v1/incidents"), 401)
    expired = await browser.get("/incidents")
    assert expired.status == 303
    assert expired.headers["Location"].startswith("/login?next=")


# --- the JSON API under a session -------------------------------------------------------


@pytest.mark.usefixtures("users")
async def test_session_authenticates_the_json_api(browser: Browser) -> None:
    assert_problem(await browser.get("/api/v1/incidents"), 401)

    await browser.login(ADA)

    reply = await browser.get("/api/v1/incidents")
    assert reply.status == 200, reply.body
    assert reply.body == {"incidents": []}


@pytest.mark.usefixtures("users")
async def test_post_under_a_session_needs_the_csrf_token_and_this_sites_origin(
    browser: Browser,
) -> None:
    await browser.login(ADA)
    csrf = await browser.session_csrf()
    own = browser.origin

    assert_problem(await activate(browser, {"Origin": own}), 403, "csrf")
    assert_problem(
        await activate(browser, {"Origin": own, "X-CSRF-Token": "x" + csrf}), 403, "csrf"
    )
    assert_problem(await activate(browser, {"Origin": EVIL, "X-CSRF-Token": csrf}), 403, "csrf")
    assert_problem(await activate(browser, {"Origin": "null", "X-CSRF-Token": csrf}), 403, "csrf")
    assert_problem(await activate(browser, {"X-CSRF-Token": csrf}), 403, "csrf")
    assert_problem(
        await activate(browser, {"Referer": EVIL + "/page", "X-CSRF-Token": csrf}), 403, "csrf"
    )
    assert await incident_count(browser) == 0  # nothing refused was stored

    created = await activate(browser, {"Origin": own, "X-CSRF-Token": csrf})
    assert created.status == 201, created.body
    assert created.body["title"] == incident_body()["title"]
    assert await incident_count(browser) == 1


@pytest.mark.usefixtures("users")
async def test_post_under_a_session_with_only_a_referer_of_this_site_is_accepted(
    browser: Browser,
) -> None:
    await browser.login(ADA)
    csrf = await browser.session_csrf()

    created = await activate(
        browser, {"Referer": browser.origin + "/incidents/new", "X-CSRF-Token": csrf}
    )

    assert created.status == 201, created.body


@pytest.mark.usefixtures("users")
async def test_the_csrf_token_of_one_session_does_not_work_for_another(
    browser: Browser, other_browser: Browser
) -> None:
    await browser.login(ADA)
    await other_browser.login(ADA)
    others = await other_browser.session_csrf()

    reply = await activate(browser, {"Origin": browser.origin, "X-CSRF-Token": others})

    assert_problem(reply, 403, "csrf")
    assert await incident_count(browser) == 0


@pytest.mark.usefixtures("users")
async def test_incident_pages_boot_with_the_sessions_csrf_token(browser: Browser) -> None:
    await browser.login(ADA)
    csrf = await browser.session_csrf()
    created = await activate(browser, {"Origin": browser.origin, "X-CSRF-Token": csrf})
    assert created.status == 201, created.body

    page = await browser.get(f"/incidents/{created.body['id']}")

    assert page.status == 200, page.body
    start = page.body.index('<script type="application/json" id="boot">') + len(
        '<script type="application/json" id="boot">'
    )
    boot = json.loads(page.body[start : page.body.index("</script>", start)])
    assert boot["csrf"] == csrf


@pytest.mark.usefixtures("users")
async def test_api_tokens_need_no_csrf_token_or_origin(api: Api, browser: Browser) -> None:
    incident = await api.activate()  # Authorization: Bearer, no Origin, no X-CSRF-Token

    await browser.login(ADA)
    listed = await browser.get("/api/v1/incidents")
    assert [i["id"] for i in listed.body["incidents"]] == [incident["id"]]


# --- logging out ----------------------------------------------------------------------------


@pytest.mark.usefixtures("users")
async def test_logout_ends_the_session_and_clears_the_cookie(browser: Browser) -> None:
    old = await browser.login(ADA)
    csrf = await browser.session_csrf()

    response, reply = await browser.request(
        "POST", "/logout", data={"csrf_token": csrf}, headers={"Origin": browser.origin}
    )

    assert reply.status == 303
    assert reply.headers["Location"] == "/login"
    assert response.cookies[sessions.COOKIE].value == ""
    assert browser.cookie(sessions.COOKIE) is None
    # The old cookie, kept (by a copy, or an attacker), opens nothing any more.
    browser.set_cookie(sessions.COOKIE, old)
    assert_problem(await browser.get("/api/v1/incidents"), 401)
    assert (await browser.get("/incidents")).status == 303


@pytest.mark.usefixtures("users")
@pytest.mark.parametrize(
    ("token", "origin"),
    [(None, None), ("wrong", None), ("session", EVIL)],
    ids=["no-token", "wrong-token", "foreign-origin"],
)
async def test_logout_without_the_sessions_token_from_this_site_is_refused(
    browser: Browser, token: str | None, origin: str | None
) -> None:
    await browser.login(ADA)
    csrf = await browser.session_csrf()

    reply = await browser.logout(csrf if token == "session" else token, origin=origin)

    assert_problem(reply, 403, "csrf")
    assert (await browser.get("/api/v1/incidents")).status == 200  # still logged in


async def test_logout_without_a_session_just_goes_to_the_login_page(browser: Browser) -> None:
    reply = await browser.logout(None)

    assert reply.status == 303
    assert reply.headers["Location"] == "/login"


# --- pages and language ---------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/incidents", "/incidents/new", "/incidents?status=closed"])
async def test_pages_redirect_to_login_and_back_when_not_logged_in(
    browser: Browser, path: str
) -> None:
    reply = await browser.get(path)

    assert reply.status == 303
    location = URL(reply.headers["Location"])
    assert location.path == "/login"
    assert location.query["next"] == path


async def test_home_goes_to_login_or_to_the_incidents(dsn: str, browser: Browser) -> None:
    home = await browser.get("/")
    assert home.status == 303
    assert home.headers["Location"] == "/login"

    await add_user(dsn, ADA)
    await browser.login(ADA)
    home = await browser.get("/")
    assert home.headers["Location"] == "/incidents"


async def test_language_switch_sets_a_cookie_and_the_login_page_speaks_english(
    browser: Browser,
) -> None:
    swedish = await browser.get("/login")
    assert '<html lang="sv">' in swedish.body
    assert "Logga in" in swedish.body

    response, reply = await browser.request("GET", "/lang/en?next=" + quote("/login"))

    assert reply.status == 303
    assert reply.headers["Location"] == "/login"
    assert response.cookies["lagesbild_lang"].value == "en"
    english = await browser.get("/login")
    assert '<html lang="en">' in english.body
    assert "Log in" in english.body
    assert "Logga in" not in english.body

    back = await browser.get("/lang/sv?next=" + quote("//evil.example", safe=""))
    assert back.headers["Location"] == "/incidents"
    assert '<html lang="sv">' in (await browser.get("/login")).body


# --- the live stream ------------------------------------------------------------------------


@pytest.mark.usefixtures("users")
async def test_stream_with_a_session_and_this_sites_origin_sends_a_snapshot(
    browser: Browser,
) -> None:
    await browser.login(ADA)

    ws = await browser.ws()
    try:
        assert await StreamClient(ws).incidents() == []
    finally:
        await ws.close()


@pytest.mark.usefixtures("users")
@pytest.mark.parametrize("origin", [EVIL, "http://127.0.0.1:1", "null"])
async def test_stream_with_a_session_from_another_origin_is_refused_before_upgrade(
    browser: Browser, origin: str
) -> None:
    await browser.login(ADA)

    reply = await browser.get(STREAM, headers={**UPGRADE, "Origin": origin})
    assert_problem(reply, 403, "origin")

    with pytest.raises(aiohttp.WSServerHandshakeError) as refused:
        await browser.ws(origin=origin)
    assert refused.value.status == 403


@pytest.mark.usefixtures("users")
async def test_stream_with_a_session_and_no_origin_is_refused(browser: Browser) -> None:
    await browser.login(ADA)

    assert_problem(await browser.get(STREAM, headers=UPGRADE), 403, "origin")


@pytest.mark.usefixtures("users")
async def test_logout_closes_the_sessions_stream_with_4001_and_not_another_users(
    browser: Browser, other_browser: Browser
) -> None:
    await browser.login(ADA)
    await other_browser.login(BO)
    csrf = await browser.session_csrf()
    ada = await browser.ws()
    bo = await other_browser.ws()
    try:
        assert await StreamClient(ada).incidents() == []
        assert await StreamClient(bo).incidents() == []

        assert (await browser.logout(csrf)).status == 303

        assert await closed_with(ada) == SESSION_ENDED
        # Bo's socket is still open and still answers.
        assert await StreamClient(bo).incidents() == []
    finally:
        await ada.close()
        await bo.close()


@pytest.mark.usefixtures("users")
async def test_logout_leaves_the_same_users_other_sessions_and_their_streams(
    browser: Browser, other_browser: Browser
) -> None:
    await browser.login(ADA)
    await other_browser.login(ADA)
    csrf = await browser.session_csrf()
    wall_screen = await other_browser.ws()
    try:
        assert (await browser.logout(csrf)).status == 303

        assert await StreamClient(wall_screen).incidents() == []
        assert (await other_browser.get("/api/v1/incidents")).status == 200
    finally:
        await wall_screen.close()


async def test_removing_a_user_closes_their_streams_through_notify(
    dsn: str, browser: Browser, other_browser: Browser
) -> None:
    await add_user(dsn, ADA)
    await add_user(dsn, BO, organisation="1442", role="reporter")
    await browser.login(ADA)
    await other_browser.login(BO)
    ada = await browser.ws()
    bo = await other_browser.ws()
    try:
        assert await StreamClient(ada).incidents() == []
        assert await StreamClient(bo).incidents() == []

        # As `lagesbild user remove` does it: from another process, through the database.
        conn = await asyncpg.connect(dsn)
        try:
            async with conn.transaction():
                assert await sessions.remove_user(conn, ADA, at=T0)
        finally:
            await conn.close()

        assert await closed_with(ada) == SESSION_ENDED  # within FRAME_TIMEOUT
        assert_problem(await browser.get("/api/v1/incidents"), 401)
        assert await StreamClient(bo).incidents() == []
    finally:
        await ada.close()
        await bo.close()


@pytest.mark.usefixtures("users")
async def test_login_again_closes_the_stream_of_the_session_it_replaces(
    browser: Browser, other_browser: Browser
) -> None:
    first = await browser.login(ADA)
    ws = await browser.ws()
    try:
        assert await StreamClient(ws).incidents() == []

        await login_bringing(other_browser, first)

        assert await closed_with(ws) == SESSION_ENDED
    finally:
        await ws.close()


async def test_removing_an_unknown_user_changes_nothing(dsn: str) -> None:
    await add_user(dsn, ADA)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            assert not await sessions.remove_user(conn, "nobody@lst14.example.se", at=T0)
        assert await conn.fetchval("SELECT count(*) FROM users WHERE removed_at IS NULL") == 1
    finally:
        await conn.close()


async def test_a_removed_users_address_can_be_used_again(dsn: str, browser: Browser) -> None:
    await add_user(dsn, ADA)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            assert await sessions.remove_user(conn, ADA, at=T0)
    finally:
        await conn.close()

    await add_user(dsn, ADA, organisation="1442", role="reporter")

    await browser.login(ADA)
    page = await browser.get("/incidents")
    assert page.status == 200


@pytest.mark.usefixtures("users")
async def test_a_stream_whose_session_expired_is_closed_with_4001(
    browser: Browser, clock: FixedClock, settings: Settings, app: web.Application
) -> None:
    await browser.login(ADA)
    ada = await browser.ws()
    try:
        assert await StreamClient(ada).incidents() == []
        await app[keys.hub].recheck_sessions()  # still live: nothing happens
        assert await StreamClient(ada).incidents() == []

        clock.set(T0 + timedelta(hours=settings.session_lifetime_hours))
        await app[keys.hub].recheck_sessions()  # what the listener does now and then

        assert await closed_with(ada) == SESSION_ENDED
    finally:
        await ada.close()


@pytest.mark.usefixtures("users")
async def test_behind_a_tls_proxy_a_plain_http_page_of_the_same_host_is_refused(
    browser: Browser,
) -> None:
    _, reply = await browser.post_login(ADA, headers={"X-Forwarded-Proto": "https"})

    assert_problem(reply, 403, "csrf")


@pytest.mark.usefixtures("users")
async def test_an_expired_login_form_gets_a_fresh_form_in_swedish_for_a_browser(
    browser: Browser,
) -> None:
    response, reply = await browser.post_login(
        ADA, token="stale-token-from-yesterday", headers={"Accept": "text/html"}
    )

    assert reply.status == 403
    assert "Formuläret hade gått ut" in str(reply.body)
    assert response.cookies[sessions.LOGIN_COOKIE].value  # a new form token comes with it
    assert sessions.COOKIE not in response.cookies


@pytest.mark.usefixtures("users")
async def test_too_many_failed_logins_make_the_address_wait_even_with_the_right_password(
    browser: Browser, clock: FixedClock, settings: Settings
) -> None:
    for _ in range(settings.login_max_failures):
        _, reply = await browser.post_login(ADA, "fel-lösenord-2026")
        assert reply.status == 401
    _, reply = await browser.post_login(ADA)  # the right password: still waits, says nothing
    assert_problem(reply, 429, "too-many-requests")
    response, page = await browser.post_login(ADA, headers={"Accept": "text/html"})
    assert page.status == 429
    assert "Försök igen om 1 min" in str(page.body)
    assert response.headers["Retry-After"] == "1"

    clock.set(clock.now() + timedelta(seconds=1))
    _, reply = await browser.post_login(ADA)
    assert reply.status == 303


@pytest.mark.usefixtures("users")
async def test_a_successful_login_forgets_earlier_failures(
    browser: Browser, other_browser: Browser, settings: Settings
) -> None:
    for _ in range(settings.login_max_failures - 1):
        assert (await browser.post_login(ADA, "fel-lösenord-2026"))[1].status == 401
    await browser.login(ADA)
    # Another device (the first one is logged in now): a fresh count of failures.
    for _ in range(settings.login_max_failures - 1):
        assert (await other_browser.post_login(ADA, "fel-lösenord-2026"))[1].status == 401
    assert (await other_browser.post_login(ADA))[1].status == 303
