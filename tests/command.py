"""The `lagesbild` command run for real, in a child process, as an operator runs it."""

from __future__ import annotations

import asyncio
import os
import sys
from dataclasses import dataclass
from pathlib import Path

from tests.settings import is_settings_variable

ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 20.0


def child_environment(**variables: str) -> dict[str, str]:
    """This process's environment for a child `python -m service`: none of the developer's
    settings (`LAGESBILD_*`, `DATABASE_URL`), the repository importable, then `variables`."""
    env = {key: value for key, value in os.environ.items() if not is_settings_variable(key)}
    return {**env, "PYTHONPATH": str(ROOT), **variables}


@dataclass(frozen=True)
class Ran:
    code: int
    out: str
    err: str


async def lagesbild(*args: str, database_url: str, data_dir: Path) -> Ran:
    """Run the console entry with DATABASE_URL set, as an operator would."""
    env = child_environment(
        DATABASE_URL=database_url,
        LAGESBILD_DATA_DIR=str(data_dir),
        LAGESBILD_LOG_LEVEL="warning",
        PYTHONIOENCODING="utf-8",
    )
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        *args,
        cwd=ROOT,
        env=env,
        stdin=asyncio.subprocess.DEVNULL,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        out, err = await asyncio.wait_for(process.communicate(), TIMEOUT)
    except TimeoutError:
        process.kill()
        await process.communicate()
        raise
    assert process.returncode is not None
    return Ran(process.returncode, out.decode(), err.decode())
