"""`lagesbild mock-wis` serves the node until stopped."""

from __future__ import annotations

import asyncio
import sys

import aiohttp

from service.demo.ports import free_port
from tests.command import ROOT, child_environment


async def test_mock_wis_serves_the_node_and_its_page() -> None:
    port = free_port()
    env = child_environment(LAGESBILD_LOG_LEVEL="warning")
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "service",
        "mock-wis",
        "--port",
        str(port),
        "--system-token",
        "sys-token",
        "--actor",
        "1443=actor-token",
        cwd=ROOT,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    try:
        assert process.stdout is not None
        line = await asyncio.wait_for(process.stdout.readline(), 20)
        assert b"WIS-nod" in line
        base = f"http://127.0.0.1:{port}"
        async with aiohttp.ClientSession() as session:
            async with session.post(
                f"{base}/api/areas",
                json={"id": "a1", "namn": "Övning Storm", "typ": "Övning"},
                headers={"Authorization": "Bearer sys-token", "Message-Id": "m1"},
            ) as created:
                assert created.status == 201
            async with session.post(
                f"{base}/api/areas",
                json={"id": "a2", "namn": "X", "typ": "Övning"},
                headers={"Authorization": "Bearer actor-token", "Message-Id": "m2"},
            ) as refused:
                assert refused.status == 403  # an actor creates no areas
            async with session.get(base + "/") as page:
                assert "Övning Storm" in await page.text()
    finally:
        process.terminate()
        await process.communicate()
