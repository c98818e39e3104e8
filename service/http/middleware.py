"""Request id, access log, metrics, and problem+json for every error."""

from __future__ import annotations

import asyncio
import secrets
import time
from typing import Any

import structlog
from aiohttp import web
from aiohttp.typedefs import Handler
from pydantic import ValidationError

from schemas.problem import Problem
from schemas.problem import ProblemError as ProblemErrorModel
from service import jsontext, keys
from service.errors import (
    Forbidden,
    MethodNotAllowed,
    NotFound,
    ProblemError,
    ServiceUnavailable,
    TooManyRequests,
    validation_problem,
)
from service.http import audit
from service.http.headers import default_no_store

log = structlog.get_logger(__name__)

PROBLEM_JSON = "application/problem+json"


def problem_response(error: ProblemError) -> web.Response:
    problem = Problem(
        type=error.type_uri,
        title=error.title,
        status=error.status,
        detail=error.detail,
        errors=None
        if error.errors is None
        else [ProblemErrorModel(loc=loc, msg=msg) for loc, msg in error.errors],
    )
    response = web.Response(
        status=error.status,
        body=problem.model_dump_json(exclude_none=True),
        content_type=PROBLEM_JSON,
    )
    if isinstance(error, TooManyRequests | ServiceUnavailable) and error.retry_after is not None:
        response.headers["Retry-After"] = str(error.retry_after)
    return response


def _from_http_exception(exc: web.HTTPException) -> ProblemError:
    if exc.status == 404:
        return NotFound("no such resource")
    if exc.status == 405:
        return MethodNotAllowed(f"{exc.reason}")
    error = ProblemError(exc.text or exc.reason or "", slug=f"http-{exc.status}")
    error.status = exc.status
    error.title = exc.reason or "HTTP error"
    return error


@web.middleware
async def request_context(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Bind a request id for every log line of this request; log and count it."""
    request_id = request.headers.get("X-Request-ID", "")[:64] or secrets.token_hex(8)
    structlog.contextvars.clear_contextvars()
    structlog.contextvars.bind_contextvars(request_id=request_id)
    request[audit.REQUEST_ID] = request_id
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        default_no_store(response)
        response.headers["X-Request-ID"] = request_id
        return response
    except web.HTTPException as exc:  # a redirect, passed on by the problems middleware
        status = exc.status
        default_no_store(exc)
        raise
    except asyncio.CancelledError:
        status = 499  # the client went away before the answer (as nginx counts it)
        raise
    except ConnectionError:  # the client went away (`problems` answers any other reset)
        status = 499
        return web.Response(status=499, reason="Client Closed Request")  # to nobody
    finally:
        elapsed = time.perf_counter() - started
        route = _route_name(request)
        metrics = request.app[keys.metrics]
        metrics.http_requests.labels(request.method, route, str(status)).inc()
        metrics.http_duration.labels(request.method, route).observe(elapsed)
        log.info(
            "http.request",
            method=request.method,
            route=route,
            status=status,
            ms=round(elapsed * 1000, 1),
        )


def _client_gone(request: web.Request) -> bool:
    transport = request.transport
    return transport is None or transport.is_closing()


def _route_name(request: web.Request) -> str:
    resource = request.match_info.route.resource
    return resource.canonical if resource is not None else "unmatched"


@web.middleware
async def problems(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Turn every error into application/problem+json; nothing escapes as a bare 500."""
    try:
        return await handler(request)
    except ProblemError as exc:
        if isinstance(exc, Forbidden):
            await audit.record_alone(
                request,
                "permission.denied",
                audit.origin(request),
                must=False,
                method=request.method,
                path=request.path,
                reason=exc.detail,
            )
        return problem_response(exc)
    except ValidationError as exc:
        return problem_response(validation_problem(exc))
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        response = problem_response(_from_http_exception(exc))
        if "Allow" in exc.headers:
            response.headers["Allow"] = exc.headers["Allow"]
        return response
    except ConnectionError as exc:
        if _client_gone(request):
            raise  # nobody to answer (request_context counts it as 499)
        # The client is still there: a connection the service needed (the database's,
        # most likely) broke. What was asked may or may not have been done.
        log.warning("http.connection_lost", error=type(exc).__name__)
        return problem_response(
            ServiceUnavailable(
                "a connection the service needed was lost before the answer: what was asked "
                "may or may not have been done (a report may be sent again with the same "
                "report_id)",
                slug="connection-lost",
            )
        )
    except TimeoutError:
        log.warning("http.timeout")
        return problem_response(ServiceUnavailable("the database did not answer in time"))
    except Exception:
        log.exception("http.unhandled")
        return problem_response(ProblemError("an unexpected error; it has been logged"))


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=_dumps)


def _dumps(value: Any) -> str:
    return jsontext.dumps(value)
