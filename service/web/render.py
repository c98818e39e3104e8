"""Rendering pages: the template environment and the page context (security headers:
`service/http/headers.py`)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import aiohttp_jinja2
import jinja2
from aiohttp import web

from service import keys
from service.domain.labels import local_time
from service.http.headers import secure_headers
from service.repo.users import SessionRow
from service.web.assets import Assets
from service.web.i18n import TEXTS, lang_of, translator


def setup(app: web.Application) -> None:
    app[keys.assets] = Assets()
    aiohttp_jinja2.setup(
        app,
        loader=jinja2.PackageLoader("service.web", "templates"),
        autoescape=jinja2.select_autoescape(default=True),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
    )


def render(
    request: web.Request,
    template: str,
    context: Mapping[str, Any],
    *,
    session: SessionRow | None,
    status: int = 200,
) -> web.Response:
    lang = lang_of(request)
    t = translator(lang)
    page = {
        "t": t,
        "lang": lang,
        "asset": request.app[keys.assets].url,
        "local_time": local_time,
        "session": session,
        "path": request.path_qs,
        "exercise": False,
        **context,
    }
    response = aiohttp_jinja2.render_template(template, request, page, status=status)
    secure_headers(response)
    response.enable_compression()
    return response


def strings(lang: str, prefixes: tuple[str, ...]) -> dict[str, str]:
    """The texts a page's script needs, in the page's language."""
    t = translator("en" if lang == "en" else "sv")
    return {key: t(key) for key in TEXTS if key.startswith(prefixes)}
