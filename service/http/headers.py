"""Security headers: what a browser may run on a page of ours, and what it may keep.

Every answer is `Cache-Control: no-store` unless its handler says otherwise (the
versioned static files do), so that nothing a log-in showed is kept on disk or shown
again by the Back button after log-out.
"""

from __future__ import annotations

import base64
import hashlib
import re

from aiohttp import web

# Pages load scripts and styles from this site only; the stream is this site's socket.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; worker-src 'self'; manifest-src 'self'; "
    "frame-ancestors 'none'; base-uri 'none'; form-action 'self'"
)
NO_STORE = "no-store"

_STYLE = re.compile(rb"<style>(.*?)</style>", re.DOTALL)


def secure_headers(response: web.StreamResponse, *, csp: str = CSP) -> None:
    """The headers of every page: its policy, no sniffing, no referrer to other sites."""
    response.headers["Content-Security-Policy"] = csp
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin"
    response.headers["Cache-Control"] = NO_STORE


def document_csp(html: bytes) -> str:
    """The pages' policy for a self-contained document (an export saved to disk, where
    nothing of this site can be loaded): its own inline stylesheets allowed by hash."""
    hashes = " ".join(
        f"'sha256-{base64.b64encode(hashlib.sha256(block).digest()).decode()}'"
        for block in _STYLE.findall(html)
    )
    return CSP.replace("style-src 'self'", f"style-src 'self' {hashes}".rstrip())


def default_no_store(response: web.StreamResponse) -> None:
    """`Cache-Control: no-store` on an answer whose handler did not choose."""
    if not response.prepared and "Cache-Control" not in response.headers:
        response.headers["Cache-Control"] = NO_STORE
