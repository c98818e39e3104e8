"""The OpenAPI document: every API route in it, valid OpenAPI 3.1, bodies and problems
described, served as JSON and as a page."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from openapi_spec_validator import validate

from service.app import create_app
from service.http.apidoc import describe
from service.http.openapi import build_document, undescribed
from service.web.api_docs import inline_code
from tests.settings import suite_settings
from tests.support import Api

PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}


def _app(tmp_path: Path) -> web.Application:
    # The installed adapters too: their routes are the API's as much as the core's.
    return create_app(suite_settings(tmp_path), dsn="postgresql://unused/none")


def _operations(document: dict[str, Any]) -> list[tuple[str, str, dict[str, Any]]]:
    return [
        (method, path, op)
        for path, methods in document["paths"].items()
        for method, op in methods.items()
    ]


def _resolve(document: dict[str, Any], answer: dict[str, Any]) -> dict[str, Any]:
    if "$ref" in answer:
        found: dict[str, Any] = document["components"]["responses"][answer["$ref"].split("/")[-1]]
        return found
    return answer


def test_every_api_route_is_in_the_document(tmp_path: Path) -> None:
    app = _app(tmp_path)
    assert undescribed(app) == []
    document = build_document(app)
    for route in app.router.routes():
        path = route.resource.canonical if route.resource is not None else ""
        if route.method != "HEAD" and path.startswith("/api/"):
            assert route.method.lower() in document["paths"][path], (route.method, path)


def test_a_route_without_a_declaration_is_named(tmp_path: Path) -> None:
    app = _app(tmp_path)

    async def hidden(_request: web.Request) -> web.Response:
        return web.Response()

    app.router.add_get("/api/v1/hidden", hidden)
    assert undescribed(app) == ["GET /api/v1/hidden"]
    assert "/api/v1/hidden" not in build_document(app)["paths"]


def test_a_declared_route_is_described_with_its_body_and_problems(tmp_path: Path) -> None:
    app = _app(tmp_path)

    @describe("Something new", responses={204: None}, errors=(409,))
    async def added(_request: web.Request) -> web.Response:
        return web.Response(status=204)

    app.router.add_post("/api/v1/incidents/{id}/added", added)
    op = build_document(app)["paths"]["/api/v1/incidents/{id}/added"]["post"]
    assert op["summary"] == "Something new"
    assert set(op["responses"]) == {"204", "401", "403", "404", "409", "429", "500", "503"}
    assert op["parameters"][0]["name"] == "id"
    assert op["security"] == [{"bearer": []}, {"session": [], "csrf": []}]


def test_the_document_is_valid_openapi_3_1(tmp_path: Path) -> None:
    document = build_document(_app(tmp_path))
    assert document["openapi"] == "3.1.0"
    validate(document)  # raises OpenAPIValidationError with the first fault


def test_every_operation_says_what_it_takes_and_answers(tmp_path: Path) -> None:
    document = build_document(_app(tmp_path))
    assert len(document["paths"]) >= 20
    for method, path, op in _operations(document):
        where = f"{method.upper()} {path}"
        assert op["summary"], where
        assert op["operationId"], where
        successes = [status for status in op["responses"] if int(status) < 400]
        assert successes, where
        for status, answer in op["responses"].items():
            answer = _resolve(document, answer)
            assert answer["description"], (where, status)
            if int(status) >= 400 and not (path == "/readyz" and status == "503"):
                assert answer["content"] == {"application/problem+json": {"schema": PROBLEM_REF}}
        takes_no_body = path.endswith(("/retry", "/shares/{organisation}", "/withdraw"))
        if method in {"post", "patch", "put"} and not takes_no_body:
            assert op["requestBody"]["content"], where
        for parameter in op.get("parameters", []):
            assert parameter["schema"], (where, parameter["name"])


def test_writes_name_the_session_with_its_csrf_header_and_the_bearer_token(
    tmp_path: Path,
) -> None:
    document = build_document(_app(tmp_path))
    schemes = document["components"]["securitySchemes"]
    assert schemes["bearer"] == {**schemes["bearer"], "type": "http", "scheme": "bearer"}
    assert schemes["session"]["in"] == "cookie"
    assert schemes["session"]["name"] == "lagesbild_session"
    assert schemes["csrf"] == {**schemes["csrf"], "in": "header", "name": "X-CSRF-Token"}
    report = document["paths"]["/api/v1/incidents/{id}/reports"]
    assert report["post"]["security"] == [{"bearer": []}, {"session": [], "csrf": []}]
    assert report["get"]["security"] == [{"bearer": []}, {"session": []}]
    assert document["paths"]["/healthz"]["get"]["security"] == []


def test_bodies_are_the_pydantic_models(tmp_path: Path) -> None:
    document = build_document(_app(tmp_path))
    submit = document["paths"]["/api/v1/incidents/{id}/reports"]["post"]
    body = submit["requestBody"]["content"]["application/json"]["schema"]
    name = body["$ref"].split("/")[-1]
    schema = document["components"]["schemas"][name]
    assert {"report_id", "organisation", "sectors", "needs"} <= set(schema["properties"])
    assert schema["required"] == ["report_id", "organisation"]
    assert schema["additionalProperties"] is False
    export = document["paths"]["/api/v1/incidents/{id}/export"]["get"]["responses"]["200"]
    assert {"application/json", "text/csv", "text/html", "application/xml"} <= set(
        export["content"]
    )
    edxl = document["paths"]["/api/v1/exchange/edxl"]["post"]["requestBody"]["content"]
    assert set(edxl) == {"application/xml", "text/xml"}
    patch = document["paths"]["/api/v1/incidents/{id}"]["patch"]["requestBody"]["content"]
    assert set(patch) == {"application/json", "application/merge-patch+json"}


async def test_the_document_is_served_as_json(api: Api) -> None:
    reply = await api.call("GET", "/api/v1/openapi.json")
    assert reply.status == 200
    assert reply.content_type == "application/json"
    validate(reply.body)
    assert "/api/v1/openapi.json" in reply.body["paths"]
    assert "/api/docs" in reply.body["paths"]


@pytest.mark.parametrize(
    ("lang", "heading"), [("sv", "API-dokumentation"), ("en", "API documentation")]
)
async def test_the_document_is_a_page_in_swedish_and_english(
    api: Api, lang: str, heading: str
) -> None:
    reply = await api.call("GET", "/api/docs", headers={"Cookie": f"lagesbild_lang={lang}"})
    assert reply.status == 200
    assert reply.content_type == "text/html"
    assert f'<html lang="{lang}">' in reply.body
    assert f"<h1>{heading}</h1>" in reply.body
    document = (await api.call("GET", "/api/v1/openapi.json")).body
    for method, path, _op in _operations(document):
        assert f"<code>{method.upper()} {path}</code>" in reply.body
    assert 'id="schema-Problem"' in reply.body
    assert "Content-Security-Policy" in reply.headers


def test_code_spans_of_the_document_are_code_on_the_page_and_the_rest_is_escaped() -> None:

    assert (
        str(inline_code("`report-conflict` <b>&")) == "<code>report-conflict</code> &lt;b&gt;&amp;"
    )
    assert str(inline_code("`<script>`")) == "<code>&lt;script&gt;</code>"
