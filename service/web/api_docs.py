"""`GET /api/docs`: the OpenAPI document as a page, rendered on the server."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from markupsafe import Markup, escape

from service import keys
from service.http.apidoc import Body, describe
from service.http.auth import current_session
from service.web.render import render

routes = web.RouteTableDef()


@dataclass(frozen=True)
class Content:
    media_types: list[str]
    schema: str  # a component's name, or the schema written out


@dataclass(frozen=True)
class Parameter:
    name: str
    where: str
    required: bool
    schema: str


@dataclass(frozen=True)
class Answer:
    status: str
    description: str
    content: Content | None


@dataclass(frozen=True)
class OperationView:
    anchor: str
    method: str
    path: str
    summary: str
    description: str
    security: list[str]
    parameters: list[Parameter]
    request: Content | None
    answers: list[Answer]


@dataclass(frozen=True)
class Group:
    tag: str
    operations: list[OperationView]


_CODE_SPAN = re.compile(r"`([^`]+)`")


def inline_code(text: str) -> Markup:
    """The document's words with their `code spans` as <code>, everything else escaped."""
    return Markup(_CODE_SPAN.sub(r"<code>\1</code>", str(escape(text))))  # noqa: S704


def _schema_name(schema: dict[str, Any]) -> str:
    ref = schema.get("$ref")
    if isinstance(ref, str):
        return ref.rsplit("/", 1)[-1]
    return json.dumps(schema, ensure_ascii=False)


def _content(content: dict[str, Any] | None) -> Content | None:
    if not content:
        return None
    first = next(iter(content.values()))
    return Content(media_types=list(content), schema=_schema_name(first.get("schema", {})))


def view(document: dict[str, Any]) -> tuple[list[Group], dict[str, str]]:
    """The document's operations grouped by tag, and its schemas written out."""
    shared = document["components"]["responses"]
    groups: dict[str, list[OperationView]] = {}
    for path, methods in document["paths"].items():
        for method, op in methods.items():
            answers = []
            for status, answer in op["responses"].items():
                if "$ref" in answer:
                    answer = shared[answer["$ref"].rsplit("/", 1)[-1]]
                answers.append(
                    Answer(status, answer.get("description", ""), _content(answer.get("content")))
                )
            security = [" + ".join(choice) for choice in op.get("security", [])]
            groups.setdefault(op["tags"][0], []).append(
                OperationView(
                    anchor=op["operationId"].replace(".", "-"),
                    method=method.upper(),
                    path=path,
                    summary=op.get("summary", ""),
                    description=op.get("description", ""),
                    security=security,
                    parameters=[
                        Parameter(
                            p["name"],
                            p["in"],
                            p.get("required", False),
                            json.dumps(p["schema"], ensure_ascii=False),
                        )
                        for p in op.get("parameters", [])
                    ],
                    request=_content(op.get("requestBody", {}).get("content")),
                    answers=answers,
                )
            )
    schemas = {
        name: json.dumps(schema, ensure_ascii=False, indent=2)
        for name, schema in sorted(document["components"]["schemas"].items())
    }
    return [Group(tag, ops) for tag, ops in sorted(groups.items())], schemas


@routes.get("/api/docs")
@describe(
    "This document as a page",
    description="The operations, their parameters, bodies and answers, and every schema.",
    responses={200: Body(schema={"type": "string"}, media_types=("text/html",))},
    auth=False,
)
async def api_docs(request: web.Request) -> web.Response:
    document = request.app[keys.api_document].get(request.app)
    groups, schemas = view(document)
    return render(
        request,
        "api_docs.html",
        {"groups": groups, "schemas": schemas, "info": document["info"], "md": inline_code},
        session=await current_session(request),
    )
