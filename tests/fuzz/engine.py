"""Fuzzing the API from its own OpenAPI document with schemathesis.

`served_app` runs the real app (`create_app`, real PostgreSQL) on a real socket in a
thread of its own, so that schemathesis' synchronous client can call it;
`seed` gives it an incident to aim at; `fuzz` runs every operation of the document
with `examples` generated cases (valid and invalid ones) and checks each answer:

- no 5xx (`not_a_server_error`);
- status code, content type and body as documented (`status_code_conformance`,
  `content_type_conformance`, `response_schema_conformance`);
- every error a problem+json that `schemas.problem.Problem` reads (`problem_json`).

The short run is tests/fuzz/test_fuzz.py; the long run `python -m bench fuzz` (`make
fuzz`).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time
import uuid
from collections.abc import Callable, Coroutine, Iterator
from dataclasses import dataclass, field
from typing import Any, TypeVar

import hypothesis
import requests
import schemathesis
from aiohttp import web
from hypothesis import strategies as st
from pydantic import ValidationError
from schemathesis import Case as AnyCase
from schemathesis import GenerationMode
from schemathesis.checks import CheckContext, not_a_server_error
from schemathesis.core.failures import Failure
from schemathesis.core.result import Ok
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from schemas.common import Role
from schemas.problem import Problem
from service.access.tokens import create_token
from service.app import create_app
from service.clock import Clock
from service.config import Settings

T = TypeVar("T")
Case = AnyCase[Any]

# Who the fuzzer calls as: (organisation, role). The reporter's organisation takes part
# in the seeded incident; the duty officer and the viewer belong to its county board.
ROLES: dict[str, tuple[str, Role]] = {
    "reporter": ("1442", "reporter"),
    "viewer": ("LST-14", "viewer"),
    "duty_officer": ("LST-14", "duty_officer"),
}


class ProblemNotReadable(Failure):
    """An error answer that is not application/problem+json as `Problem` reads it."""


def problem_json(ctx: CheckContext, response: schemathesis.Response, case: Case) -> bool | None:
    if response.status_code < 400:
        return None
    content_type = (response.headers.get("content-type") or [""])[0].split(";")[0].strip()
    problem: Problem | None = None
    reason = ""
    if content_type != "application/problem+json":
        reason = f"content type {content_type!r}"
    else:
        try:
            problem = Problem.model_validate_json(response.content)
        except ValidationError as exc:
            reason = f"body not a Problem: {exc.errors(include_url=False)[:2]}"
    if problem is not None and (
        problem.status != response.status_code or not problem.type.startswith("/problems/")
    ):
        reason = f"status {problem.status} or type {problem.type!r} does not fit"
    if reason:
        raise ProblemNotReadable(
            operation=case.operation.label,
            title="Error is not problem+json",
            message=f"{response.status_code}: {reason}",
        )
    return None


CHECKS = [
    not_a_server_error,
    status_code_conformance,
    content_type_conformance,
    response_schema_conformance,
    problem_json,
]


@dataclass
class Found:
    """One failed check: where, what, and the request that shows it."""

    operation: str
    role: str
    message: str
    curl: str


@dataclass
class Figures:
    operations: int = 0
    examples: int = 0
    by_operation: dict[str, int] = field(default_factory=dict)
    statuses: dict[int, int] = field(default_factory=dict)
    failures: list[Found] = field(default_factory=list)
    seconds: float = 0.0

    def add(self, other: Figures) -> None:
        self.operations = max(self.operations, other.operations)
        self.examples += other.examples
        for label, n in other.by_operation.items():
            self.by_operation[label] = self.by_operation.get(label, 0) + n
        for status, n in other.statuses.items():
            self.statuses[status] = self.statuses.get(status, 0) + n
        self.failures.extend(other.failures)
        self.seconds += other.seconds


# --- the app in a thread ----------------------------------------------------------------


class ServedApp:
    """The app on 127.0.0.1:<port>, its event loop in a thread; `run` submits a
    coroutine to that loop and waits for it."""

    def __init__(self, loop: asyncio.AbstractEventLoop, base_url: str, dsn: str) -> None:
        self.loop = loop
        self.base_url = base_url
        self.dsn = dsn
        self.tokens: dict[str, str] = {}

    def run(self, make: Callable[[], Coroutine[Any, Any, T]], timeout: float = 60) -> T:
        return asyncio.run_coroutine_threadsafe(make(), self.loop).result(timeout)

    def token(self, organisation: str, role: Role) -> str:
        key = f"{organisation}/{role}"
        if key not in self.tokens:

            async def make() -> str:
                import asyncpg

                conn = await asyncpg.connect(self.dsn)
                try:
                    return await create_token(
                        conn, organisation=organisation, role=role, name=f"fuzz {role}"
                    )
                finally:
                    await conn.close()

            self.tokens[key] = self.run(make)
        return self.tokens[key]


@contextlib.contextmanager
def served_app(
    settings: Settings,
    database: Callable[[], contextlib.AbstractAsyncContextManager[str]],
    clock: Clock | None = None,
) -> Iterator[ServedApp]:
    """Serve `create_app` on a database that `database()` provides, until the block ends."""
    loop = asyncio.new_event_loop()
    stop = threading.Event()
    started = threading.Event()
    failure: list[BaseException] = []
    holder: list[ServedApp] = []

    async def main() -> None:
        async with database() as dsn:
            app = create_app(settings, dsn=dsn, clock=clock)
            runner = web.AppRunner(app, handle_signals=False)
            await runner.setup()
            site = web.TCPSite(runner, "127.0.0.1", 0)  # the OS picks the port
            await site.start()
            port = runner.addresses[0][1]
            holder.append(ServedApp(loop, f"http://127.0.0.1:{port}", dsn))
            started.set()
            try:
                await asyncio.to_thread(stop.wait)
            finally:
                await runner.cleanup()

    def thread_main() -> None:
        asyncio.set_event_loop(loop)
        try:
            loop.run_until_complete(main())
        except BaseException as exc:  # reported to the caller below
            failure.append(exc)
            started.set()
        finally:
            loop.close()

    thread = threading.Thread(target=thread_main, name="fuzzed-app", daemon=True)
    thread.start()
    started.wait(120)
    if failure:
        raise failure[0]
    try:
        yield holder[0]
    finally:
        stop.set()
        thread.join(60)


# --- seeding ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Seeded:
    incident_id: str
    report_id: str


def seed(served: ServedApp) -> Seeded:
    """An active incident in county 14 with the reporter's organisation taking part, and
    one report, so that operations on `{id}` reach past the 404."""
    with requests.Session() as http:
        officer = served.token("LST-14", "duty_officer")
        reply = http.post(
            f"{served.base_url}/api/v1/incidents",
            json={
                "title": "Storm i Sjuhärad",
                "description": "Omfattande elavbrott",
                "county": "14",
                "severity": "high",
                "exercise": False,
                "participants": ["1440", "1441", "1442", "1443", "1444"],
                "schedule": {"times": ["08:00", "14:00", "20:00"]},
            },
            headers={"Authorization": f"Bearer {officer}"},
            timeout=30,
        )
        reply.raise_for_status()
        incident_id = reply.json()["id"]
        report_id = str(uuid.uuid4())
        reporter = served.token("1442", "reporter")
        reply = http.post(
            f"{served.base_url}/api/v1/incidents/{incident_id}/reports",
            json={
                "report_id": report_id,
                "organisation": "1442",
                "situation": "Träd över ledningar.",
                "sectors": [{"sector": "energy", "status": "serious"}],
            },
            headers={"Authorization": f"Bearer {reporter}"},
            timeout=30,
        )
        reply.raise_for_status()
    return Seeded(incident_id, report_id)


# --- the run ------------------------------------------------------------------------------


def load_schema(served: ServedApp) -> schemathesis.BaseSchema:
    document = requests.get(f"{served.base_url}/api/v1/openapi.json", timeout=30).json()
    return schemathesis.openapi.from_dict(document)


PARTICIPANTS = ["1440", "1441", "1442", "1443", "1444"]


def _aimed(organisation: str) -> Callable[[tuple[Case, bool]], Case]:
    """A generated body aimed at what exists: the caller's own organisation, known
    participants, the seeded county, so that valid requests reach past the first 403/422."""

    def aim(drawn: tuple[Case, bool]) -> Case:
        case, aim_it = drawn
        body = case.body
        if aim_it and isinstance(body, dict):
            if "organisation" in body:
                body["organisation"] = organisation
            if "participants" in body:
                body["participants"] = list[Any](PARTICIPANTS)
            if "county" in body:
                body["county"] = "14"
        return case

    return aim


def _strategy(operation: Any, seeded: Seeded, organisation: str) -> st.SearchStrategy[Case]:
    """Valid and invalid cases, half of those with an `{id}` aimed at the seeded incident,
    and half the bodies aimed at the caller's own organisation."""
    choices = [
        operation.as_strategy(GenerationMode.POSITIVE),
        operation.as_strategy(GenerationMode.NEGATIVE),
    ]
    names = {p.name for p in operation.path_parameters}
    if "id" in names and "/outbox/" not in operation.path:
        aimed = {"id": seeded.incident_id}
        choices += [
            operation.as_strategy(mode, path_parameters=aimed)
            for mode in (GenerationMode.POSITIVE, GenerationMode.NEGATIVE)
        ]
    return st.tuples(st.one_of(choices), st.booleans()).map(_aimed(organisation))


def fuzz(
    served: ServedApp,
    seeded: Seeded,
    *,
    role: str,
    examples: int,
    seed_value: int | None = None,
    skip: Callable[[str], bool] = lambda _label: False,
) -> Figures:
    """Every operation, `examples` cases each, as `role`; failures are collected, not raised."""
    organisation, role_name = ROLES[role]
    headers = {"Authorization": f"Bearer {served.token(organisation, role_name)}"}
    schema = load_schema(served)
    figures = Figures()
    began = time.perf_counter()
    with requests.Session() as http:
        for result in schema.get_all_operations():
            if not isinstance(result, Ok):
                raise AssertionError(
                    f"the document has an operation schemathesis cannot read: {result}"
                )
            operation = result.ok()
            label = operation.label
            if skip(label):
                continue
            figures.operations += 1
            figures.by_operation[label] = 0
            one = _exchange(served, http, headers, role, label, figures)
            run = hypothesis.given(case=_strategy(operation, seeded, organisation))(one)
            run = hypothesis.settings(
                max_examples=examples,
                deadline=None,
                database=None,
                derandomize=seed_value is None,
                phases=[hypothesis.Phase.explicit, hypothesis.Phase.generate],
                suppress_health_check=list(hypothesis.HealthCheck),
                print_blob=False,
            )(run)
            if seed_value is not None:
                run = hypothesis.seed(seed_value)(run)
            run()
    figures.seconds = time.perf_counter() - began
    return figures


def _exchange(
    served: ServedApp,
    http: requests.Session,
    headers: dict[str, str],
    role: str,
    label: str,
    figures: Figures,
) -> Callable[[Case], None]:
    """One generated request and the checks of its answer, counted in `figures`."""
    seen: set[str] = set()

    def one(case: Case) -> None:
        figures.examples += 1
        figures.by_operation[label] += 1
        try:
            response = case.call(
                base_url=served.base_url, session=http, headers=headers, timeout=30
            )
        except requests.RequestException as exc:  # no answer at all: a failure too
            message = f"No answer: {type(exc).__name__}"
            if message not in seen:
                seen.add(message)
                figures.failures.append(
                    Found(label, role, message, case.as_curl_command(headers=headers))
                )
            return
        status = response.status_code
        figures.statuses[status] = figures.statuses.get(status, 0) + 1
        try:
            case.validate_response(response, checks=CHECKS, headers=headers)
        except (AssertionError, BaseExceptionGroup) as exc:
            message = _describe(exc)
            if message not in seen:  # one of each kind per operation
                seen.add(message)
                figures.failures.append(
                    Found(label, role, message, case.as_curl_command(headers=headers))
                )

    return one


def _describe(exc: BaseException) -> str:
    if isinstance(exc, BaseExceptionGroup):
        return "; ".join(_describe(inner) for inner in exc.exceptions)
    title = getattr(exc, "title", type(exc).__name__)
    message = str(getattr(exc, "message", "") or exc).strip().splitlines()
    return f"{title}: {' / '.join(message[:3])}"[:400]
