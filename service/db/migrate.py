"""Apply numbered plain-SQL migrations in order, recorded with a checksum.

An applied migration whose file has changed since stops start-up: history must not
be rewritten under a running database. Several instances starting at once are
serialised by an advisory lock. Once migration 0011 (audit) has made the owner role, each
migration runs as it (service/db/roles.py).
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass
from importlib import resources

import structlog

from service.repo import Conn

log = structlog.get_logger(__name__)

_NAME = re.compile(r"^(\d{4})_([a-z0-9_]+)\.sql$")
_LOCK_KEY = 0x4C4147455342  # "LAGESB"


class MigrationError(RuntimeError):
    """The database's migration history does not match the migrations shipped."""


@dataclass(frozen=True)
class Migration:
    version: int
    name: str
    sql: str

    @property
    def checksum(self) -> str:
        return hashlib.sha256(self.sql.encode()).hexdigest()


def shipped_migrations() -> list[Migration]:
    found: list[Migration] = []
    for entry in resources.files("migrations").iterdir():
        match = _NAME.match(entry.name)
        if match:
            found.append(Migration(int(match[1]), match[2], entry.read_text(encoding="utf-8")))
    found.sort(key=lambda migration: migration.version)
    versions = [migration.version for migration in found]
    if len(set(versions)) != len(versions):
        raise MigrationError(f"two migrations share a number: {versions}")
    return found


_CREATE_LEDGER = """
CREATE TABLE IF NOT EXISTS schema_migrations (
    version     integer PRIMARY KEY,
    name        text NOT NULL,
    checksum    text NOT NULL,
    applied_at  timestamptz NOT NULL DEFAULT now()
)
"""


async def _applied(conn: Conn) -> dict[int, tuple[str, str]]:
    rows = await conn.fetch("SELECT version, name, checksum FROM schema_migrations")
    return {row["version"]: (row["name"], row["checksum"]) for row in rows}


def _verify(applied: dict[int, tuple[str, str]], shipped: list[Migration]) -> list[Migration]:
    """Check applied history against the shipped files; return what is still pending."""
    by_version = {migration.version: migration for migration in shipped}
    for version, (name, checksum) in sorted(applied.items()):
        migration = by_version.get(version)
        if migration is None:
            raise MigrationError(
                f"migration {version:04d}_{name} is applied in the database but not shipped "
                "with this version of Lägesbild (is the code older than the database?)"
            )
        if migration.checksum != checksum:
            raise MigrationError(
                f"migration {version:04d}_{migration.name}.sql has changed since it was applied "
                f"(checksum {checksum[:12]}… in the database, {migration.checksum[:12]}… on disk); "
                "never edit an applied migration: add a new one"
            )
    return [migration for migration in shipped if migration.version not in applied]


OWNER_ROLE = "lagesbild_owner"
SERVICE_ROLE = "lagesbild_service"


async def _act_as_owner(conn: Conn) -> None:
    """Run the migration as the owner role once a migration has set it up in this
    database, so what it creates belongs to the owner and the service's default privileges
    apply to it. (Roles are the server's: one may exist before this database has any.)"""
    if await conn.fetchval(
        "SELECT CASE WHEN to_regrole($1) IS NULL THEN false ELSE "
        "pg_has_role(current_user, $1, 'MEMBER') AND has_schema_privilege($1, 'public', 'CREATE') "
        "END",
        OWNER_ROLE,
    ):
        await conn.execute(f"SET LOCAL ROLE {OWNER_ROLE}")


async def migrate(conn: Conn, shipped: list[Migration] | None = None) -> list[str]:
    """Apply pending migrations; return the names applied. Raises MigrationError."""
    shipped = shipped_migrations() if shipped is None else shipped
    await conn.execute("SELECT pg_advisory_lock($1)", _LOCK_KEY)
    try:
        await conn.execute(_CREATE_LEDGER)
        pending = _verify(await _applied(conn), shipped)
        done: list[str] = []
        for migration in pending:
            async with conn.transaction():
                await _act_as_owner(conn)
                await conn.execute(migration.sql)
                await conn.execute(
                    "INSERT INTO schema_migrations (version, name, checksum) VALUES ($1, $2, $3)",
                    migration.version,
                    migration.name,
                    migration.checksum,
                )
            label = f"{migration.version:04d}_{migration.name}"
            log.info("migration.applied", migration=label)
            done.append(label)
        return done
    finally:
        await conn.execute("SELECT pg_advisory_unlock($1)", _LOCK_KEY)


async def pending(conn: Conn) -> list[str]:
    """Migrations not yet applied (raises MigrationError on a changed one): for readiness."""
    exists = await conn.fetchval("SELECT to_regclass('schema_migrations') IS NOT NULL")
    shipped = shipped_migrations()
    if not exists:
        return [f"{m.version:04d}_{m.name}" for m in shipped]
    return [f"{m.version:04d}_{m.name}" for m in _verify(await _applied(conn), shipped)]
