"""The short fuzz run: every operation of the OpenAPI document, a few dozen generated
requests each, as a reporter, a viewer and a duty officer, against the real app.

No 5xx, every error problem+json, every answer as documented (tests/fuzz/engine.py).
The long run is `make fuzz`.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Iterator

import pytest

from service.clock import FixedClock
from tests.database import TEMPLATE, PgServer
from tests.fuzz.engine import ROLES, Seeded, ServedApp, fuzz, seed, served_app
from tests.settings import suite_settings
from tests.support import T0

EXAMPLES = 25


@pytest.fixture(scope="module")
def fuzzed(
    pg_server: PgServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[tuple[ServedApp, Seeded]]:
    @contextlib.asynccontextmanager
    async def database() -> AsyncIterator[str]:
        async with pg_server.database("fuzz", template=TEMPLATE) as dsn:
            yield dsn

    settings = suite_settings(tmp_path_factory.mktemp("fuzz"))
    with served_app(settings, database, clock=FixedClock(T0)) as served:
        yield served, seed(served)


@pytest.mark.timeout(300)
@pytest.mark.parametrize("role", list(ROLES))
def test_no_answer_is_a_5xx_or_undocumented(fuzzed: tuple[ServedApp, Seeded], role: str) -> None:
    served, seeded = fuzzed
    figures = fuzz(served, seeded, role=role, examples=EXAMPLES)
    assert figures.operations >= 20
    assert figures.examples >= figures.operations * 5
    found = "\n\n".join(
        f"{f.operation} as {f.role}: {f.message}\n  {f.curl}" for f in figures.failures
    )
    assert not figures.failures, f"{len(figures.failures)} failure(s):\n{found}"
