"""Who may see an incident: `policy.can_see` (Python) and the incident list's SQL
(`repo.incidents.list_visible`) are one rule, pinned together over generated worlds.

Each example writes a few incidents (owners, counties, participants, statuses) in one
transaction on the real database, asks the SQL for each generated principal's list and
compares it with the incidents `can_see` lets through; the transaction is rolled back.
"""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import asyncpg
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from schemas.common import ROLES
from service.access.policy import IncidentAccess, can_see
from service.access.principal import Principal
from service.db.pool import create_pool
from service.repo import incidents
from tests.support import T0

# A few organisations of the seed, as the database knows them: (kind, county).
KNOWN = {
    "1440": ("municipality", "14"),
    "1442": ("municipality", "14"),
    "0180": ("municipality", "01"),
    "LST-14": ("county_board", "14"),
    "LST-01": ("county_board", "01"),
    "MSB": ("agency", None),
}
COUNTIES = ["14", "01", "03"]
KINDS = ["municipality", "county_board", "region", "agency", "other"]
SCHEDULE = {"kind": "daily", "times": ["08:00"], "timezone": "Europe/Stockholm"}


@dataclass(frozen=True)
class World:
    incidents: list[tuple[uuid.UUID, str, IncidentAccess]]  # id, status, access facts
    principals: list[Principal]


codes = st.sampled_from(sorted(KNOWN))
roles = st.sampled_from(ROLES)
# Principals as tokens and sessions make them (an organisation's own kind and county)...
known_principals = st.builds(
    lambda code, role: Principal(
        name="p", organisation=code, org_kind=KNOWN[code][0], org_county=KNOWN[code][1], role=role
    ),
    codes,
    roles,
)
# ...and any combination at all, the command line's operator (no organisation) included.
any_principals = st.builds(
    Principal,
    name=st.just("q"),
    organisation=st.one_of(codes, st.just("")),
    org_kind=st.sampled_from(KINDS),
    org_county=st.one_of(st.none(), st.sampled_from(COUNTIES)),
    role=roles,
)
accesses = st.builds(
    IncidentAccess,
    county=st.sampled_from(COUNTIES),
    owner=codes,
    participants=st.frozensets(codes, max_size=3),
    shared_with=st.frozensets(codes, max_size=2),
)
worlds = st.builds(
    World,
    incidents=st.lists(
        st.tuples(st.uuids(), st.sampled_from(["active", "closed"]), accesses),
        max_size=6,
        unique_by=lambda incident: incident[0],
    ),
    principals=st.lists(st.one_of(known_principals, any_principals), min_size=1, max_size=3),
)


@pytest.fixture
async def pool(dsn: str) -> AsyncIterator[asyncpg.Pool]:
    created = await create_pool(dsn, min_size=1, max_size=1)
    yield created
    await created.close()


async def _write(conn: asyncpg.pool.PoolConnectionProxy, world: World) -> None:
    """The world's incidents, in two statements (test data, written directly)."""
    await conn.executemany(
        """
        INSERT INTO incidents (id, title, county, owner, severity, exercise, status,
                               schedule, activated_at, activated_by, closed_at)
        VALUES ($1, 'Prov', $2, $3, 'low', true, $4, $5, $6::timestamptz, $3,
                CASE WHEN $4 = 'closed' THEN $6 END)
        """,
        [
            (
                incident_id,
                access.county,
                access.owner,
                status,
                SCHEDULE,
                T0 + timedelta(minutes=index),
            )
            for index, (incident_id, status, access) in enumerate(world.incidents)
        ],
    )
    await conn.executemany(
        "INSERT INTO incident_participants (incident_id, organisation, added_at)"
        " VALUES ($1, $2, $3)",
        [
            (incident_id, code, T0)
            for incident_id, _, access in world.incidents
            for code in access.participants
        ],
    )
    await conn.executemany(
        "INSERT INTO incident_shares (incident_id, organisation, shared_at, shared_by)"
        " VALUES ($1, $2, $3, 'p')",
        [
            (incident_id, code, T0)
            for incident_id, _, access in world.incidents
            for code in access.shared_with
        ],
    )


@hypothesis_settings(
    max_examples=60,
    deadline=None,
    database=None,  # keep no example database in the working tree
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=worlds)
async def test_the_incident_list_shows_exactly_what_can_see_allows(
    pool: asyncpg.Pool, world: World
) -> None:
    async with pool.acquire() as conn:
        transaction = conn.transaction()
        await transaction.start()
        try:
            await _write(conn, world)
            for principal in world.principals:
                for status in (None, "active"):
                    listed = await incidents.list_visible(conn, principal, status=status)
                    allowed = {
                        incident_id
                        for incident_id, state, access in world.incidents
                        if can_see(principal, access) and status in (None, state)
                    }
                    assert {row.id for row in listed} == allowed, (principal, status)
                    # Whatever the SQL lists, the Python rule lets through for that row.
                    assert all(can_see(principal, row.access) for row in listed)
        finally:
            await transaction.rollback()
