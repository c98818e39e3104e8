"""Static files: read once at start, served with a content hash in the URL.

A page links `/static/<name>?v=<hash>`; such a response may be cached for a year
(`immutable`), so a phone that has loaded the report page once fetches only the
HTML the next time. Text files are kept gzipped as well, for slow links.
"""

from __future__ import annotations

import gzip
import hashlib
import mimetypes
import re
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from aiohttp import web

STATIC_DIR = Path(__file__).parent / "static"
YEAR = 365 * 24 * 3600


@dataclass(frozen=True, slots=True)
class Asset:
    body: bytes
    gzipped: bytes | None
    content_type: str
    version: str


# `import … from "./name.js"` in a module: rewritten to the versioned URL of `name.js`,
# so a module and what it imports are always of the same release.
_IMPORT = re.compile(r'(from\s+|import\s*\(\s*)"\./([\w.-]+\.js)"')


class Assets:
    def __init__(self, folder: Path = STATIC_DIR) -> None:
        sources = {path.name: path for path in sorted(folder.iterdir()) if path.is_file()}
        self._files: dict[str, Asset] = {}
        # A module's version covers the versions of what it imports: settle them in turns
        # (the import graph is shallow and has no cycles).
        pending = dict(sources)
        while pending:
            ready = {
                name: path
                for name, path in pending.items()
                if all(dep in self._files or dep not in sources for dep in _imports(path))
            }
            if not ready:
                raise ValueError(f"static modules import each other in a cycle: {sorted(pending)}")
            for name, path in ready.items():
                self._files[name] = _load(path, self._versioned)
                del pending[name]

    def _versioned(self, match: re.Match[str]) -> str:
        name = match.group(2)
        asset = self._files.get(name)
        return match.group(0) if asset is None else f'{match.group(1)}"./{name}?v={asset.version}"'

    def url(self, name: str) -> str:
        return f"/static/{name}?v={self._files[name].version}"

    def versions(self) -> dict[str, str]:
        return {name: asset.version for name, asset in self._files.items()}

    def response(self, request: web.Request, name: str) -> web.Response:
        asset = self._files.get(name)
        if asset is None:
            raise web.HTTPNotFound
        etag = f'"{asset.version}"'
        headers = {
            "ETag": etag,
            "Vary": "Accept-Encoding",
            "X-Content-Type-Options": "nosniff",
            "Cache-Control": (
                f"public, max-age={YEAR}, immutable"
                if request.query.get("v") == asset.version
                else "no-cache"
            ),
        }
        if request.headers.get("If-None-Match") == etag:
            return web.Response(status=304, headers=headers)
        body = asset.body
        if asset.gzipped is not None and "gzip" in request.headers.get("Accept-Encoding", ""):
            body = asset.gzipped
            headers["Content-Encoding"] = "gzip"
        return web.Response(body=body, content_type=asset.content_type, headers=headers)


def _imports(path: Path) -> list[str]:
    if path.suffix != ".js":
        return []
    return [match.group(2) for match in _IMPORT.finditer(path.read_text(encoding="utf-8"))]


def _load(path: Path, versioned: Callable[[re.Match[str]], str]) -> Asset:
    body = path.read_bytes()
    if path.suffix == ".js":
        body = _IMPORT.sub(versioned, body.decode("utf-8")).encode("utf-8")
    content_type = (
        {
            ".js": "text/javascript",
            ".css": "text/css",
            ".svg": "image/svg+xml",
            ".json": "application/json",
            ".webmanifest": "application/manifest+json",
        }.get(path.suffix)
        or mimetypes.guess_type(path.name)[0]
        or "application/octet-stream"
    )
    text = content_type.startswith("text/") or content_type.endswith(("json", "xml"))
    return Asset(
        body=body,
        gzipped=gzip.compress(body, mtime=0) if text else None,
        content_type=content_type,
        version=hashlib.sha256(body).hexdigest()[:12],
    )
