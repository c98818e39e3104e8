"""The `lagesbild` command, run for real: `python -m service …` in a child process."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import asyncpg
import pytest

from service.db.migrate import shipped_migrations
from tests.command import lagesbild
from tests.support import Api, report


async def tamper_checksum(dsn: str) -> None:
    conn = await asyncpg.connect(dsn)
    try:
        await conn.execute(
            "UPDATE schema_migrations SET checksum = $1 WHERE version = $2", "f" * 64, 1
        )
    finally:
        await conn.close()


async def test_token_create_prints_only_the_token_and_it_works_as_a_reporter(
    api: Api, dsn: str, tmp_path: Path
) -> None:
    ran = await lagesbild(
        "token",
        "create",
        "--org",
        "1442",
        "--role",
        "reporter",
        "--name",
        "ISK Vårgårda",
        database_url=dsn,
        data_dir=tmp_path,
    )
    assert ran.code == 0, ran.err
    lines = ran.out.splitlines()
    assert len(lines) == 1, ran.out
    assert ran.out == lines[0] + "\n"
    token = lines[0]
    assert token.startswith("lgb_")
    assert token.strip() == token

    bearer = {"Authorization": f"Bearer {token}"}
    incident = await api.activate()
    submitted = await api.call(
        "POST",
        f"/api/v1/incidents/{incident['id']}/reports",
        json_body=report("1442", situation="Lugnt i Vårgårda"),
        headers=bearer,
    )
    assert submitted.status == 201, submitted.body
    assert submitted.body["organisation"] == "1442"
    assert submitted.body["submitted_by"] == "ISK Vårgårda"
    activating = await api.call(
        "POST", "/api/v1/incidents", json_body={"title": "x"}, headers=bearer
    )
    assert activating.status in {403, 422}  # a reporter, not a duty officer
    assert activating.status != 401


async def test_token_create_for_an_unknown_organisation_exits_2_and_prints_no_token(
    dsn: str, tmp_path: Path
) -> None:
    ran = await lagesbild(
        "token",
        "create",
        "--org",
        "9999",
        "--role",
        "reporter",
        "--name",
        "Ingen",
        database_url=dsn,
        data_dir=tmp_path,
    )
    assert ran.code == 2, (ran.out, ran.err)
    assert ran.out == ""
    assert "9999" in ran.err
    conn = await asyncpg.connect(dsn)
    try:
        assert await conn.fetchval("SELECT count(*) FROM api_tokens") == 0
    finally:
        await conn.close()


@pytest.mark.parametrize("role", ["superuser", ""])
async def test_token_create_with_an_unknown_role_exits_2(
    dsn: str, tmp_path: Path, role: str
) -> None:
    ran = await lagesbild(
        "token",
        "create",
        "--org",
        "1442",
        "--role",
        role,
        "--name",
        "x",
        database_url=dsn,
        data_dir=tmp_path,
    )
    assert ran.code == 2, (ran.out, ran.err)
    assert ran.out == ""


async def test_migrate_exits_0_on_a_migrated_database(dsn: str, tmp_path: Path) -> None:
    ran = await lagesbild("migrate", database_url=dsn, data_dir=tmp_path)
    assert ran.code == 0, ran.err
    assert ran.out == ""


async def test_migrate_exits_1_with_a_one_line_error_when_a_migration_has_changed(
    dsn: str, tmp_path: Path
) -> None:
    await tamper_checksum(dsn)
    ran = await lagesbild("migrate", database_url=dsn, data_dir=tmp_path)
    assert ran.code == 1, (ran.out, ran.err)
    assert ran.out == ""
    lines = ran.err.strip().splitlines()
    assert len(lines) == 1, ran.err  # a clear message, not a traceback
    first = shipped_migrations()[0]
    assert f"{first.version:04d}_{first.name}.sql" in lines[0]
    assert "changed" in lines[0]
    assert "Traceback" not in ran.err


async def _scopes(dsn: str) -> list[tuple[Any, Any]]:
    conn = await asyncpg.connect(dsn)
    try:
        rows = await conn.fetch(
            "SELECT scope_organisations, scope_county FROM api_tokens ORDER BY id"
        )
        return [(row["scope_organisations"], row["scope_county"]) for row in rows]
    finally:
        await conn.close()


@pytest.mark.parametrize(
    ("option", "stored"),
    [
        (["--county", "14"], (None, "14")),
        (["--organisations", "1443, 1442"], (["1442", "1443"], None)),
        ([], (None, None)),
    ],
)
async def test_token_create_stores_the_scope_of_an_adapter_token(
    dsn: str, tmp_path: Path, option: list[str], stored: tuple[Any, Any]
) -> None:
    ran = await lagesbild(
        "token",
        "create",
        "--org",
        "LST-14",
        "--role",
        "adapter",
        "--name",
        "WIS-nod",
        *option,
        database_url=dsn,
        data_dir=tmp_path,
    )
    assert ran.code == 0, ran.err
    assert await _scopes(dsn) == [stored]


@pytest.mark.parametrize(
    "arguments",
    [
        ["--role", "reporter", "--county", "14"],  # a scope is for adapters
        ["--role", "adapter", "--county", "99"],  # no such county
        ["--role", "adapter", "--organisations", "1442,9999"],  # no such organisation
        ["--role", "adapter", "--organisations", " , "],
        ["--role", "adapter", "--county", "14", "--organisations", "1442"],  # one or the other
    ],
)
async def test_token_create_with_a_scope_it_cannot_have_exits_2_and_stores_nothing(
    dsn: str, tmp_path: Path, arguments: list[str]
) -> None:
    ran = await lagesbild(
        "token",
        "create",
        "--org",
        "LST-14",
        "--name",
        "x",
        *arguments,
        database_url=dsn,
        data_dir=tmp_path,
    )
    assert ran.code == 2, (ran.out, ran.err)
    assert ran.out == ""
    assert await _scopes(dsn) == []
