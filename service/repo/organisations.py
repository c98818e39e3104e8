"""Organisations: the seed facts (SCB codes) and look-ups."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from importlib import resources

from schemas.organisation import Organisation
from service.repo import Conn

AGENCIES: tuple[tuple[str, str], ...] = (("MSB", "Myndigheten för samhällsskydd och beredskap"),)


def seed_rows() -> list[tuple[str, str, str, str | None]]:
    """All organisations Lägesbild knows from the start: municipalities, county boards, MSB."""
    data = resources.files("service") / "data"
    counties = list(csv.DictReader(io.StringIO((data / "counties.csv").read_text("utf-8"))))
    municipalities = csv.DictReader(io.StringIO((data / "municipalities.csv").read_text("utf-8")))
    rows: list[tuple[str, str, str, str | None]] = [
        (m["code"], m["name"], "municipality", m["county_code"]) for m in municipalities
    ]
    rows += [(f"LST-{c['code']}", c["county_board"], "county_board", c["code"]) for c in counties]
    rows += [(code, name, "agency", None) for code, name in AGENCIES]
    return rows


async def seed(conn: Conn) -> None:
    """Insert or refresh the seed organisations (idempotent)."""
    await conn.executemany(
        """
        INSERT INTO organisations (code, name, kind, county) VALUES ($1, $2, $3, $4)
        ON CONFLICT (code) DO UPDATE
            SET name = EXCLUDED.name, kind = EXCLUDED.kind, county = EXCLUDED.county
            WHERE (organisations.name, organisations.kind, organisations.county)
                IS DISTINCT FROM (EXCLUDED.name, EXCLUDED.kind, EXCLUDED.county)
        """,
        seed_rows(),
    )


async def list_all(
    conn: Conn, *, county: str | None = None, kind: str | None = None
) -> list[Organisation]:
    rows = await conn.fetch(
        """
        SELECT code, name, kind, county FROM organisations
        WHERE ($1::text IS NULL OR county = $1) AND ($2::text IS NULL OR kind = $2)
        ORDER BY code
        """,
        county,
        kind,
    )
    return [Organisation.model_validate(dict(row)) for row in rows]


async def get(conn: Conn, code: str) -> Organisation | None:
    row = await conn.fetchrow(
        "SELECT code, name, kind, county FROM organisations WHERE code = $1", code
    )
    return None if row is None else Organisation.model_validate(dict(row))


async def get_many(conn: Conn, codes: Iterable[str]) -> dict[str, Organisation]:
    rows = await conn.fetch(
        "SELECT code, name, kind, county FROM organisations WHERE code = ANY($1::text[])",
        list(codes),
    )
    return {row["code"]: Organisation.model_validate(dict(row)) for row in rows}


async def county_exists(conn: Conn, county: str) -> bool:
    found: bool = await conn.fetchval(
        "SELECT EXISTS (SELECT 1 FROM organisations WHERE kind = 'county_board' AND county = $1)",
        county,
    )
    return found
