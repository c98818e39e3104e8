"""The demo's own WIS node: the mock node served beside the service, in the same loop.

`lagesbild demo` without `LAGESBILD_WIS_URL` calls `demo_node()` through the adapter's
`demo` hook (adapters/wis/plugin.py): a free local port and fresh tokens. It points the
settings at the node (`settings_for`) and adds it to the app (`add_to`): the node starts
just before the app's WIS context (subscription, channel, poller) and stops just after
it, so the outbox worker never talks to a node that is gone. Lägesbild presents the
node's *system* token; a few demo municipalities get an actor token of their own on the
node, so a person can answer there as them and see the answer come in through the poller.

The node keeps nothing between runs: at start the demo marks the `wis` messages already
delivered pending again (`service.outbox.repo.resend_delivered`), so a restarted demo
shows the incident's area, requests, answers and summaries again.
"""

from __future__ import annotations

import secrets
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from pathlib import Path

from aiohttp import web

from adapters.wis.channel import DESTINATION
from adapters.wis.mock import Actor, Store, create_mock_app, store_of
from adapters.wis.setup import wis_ctx
from service import keys
from service.config import Settings
from service.demo.ports import free_port
from service.outbox import repo as outbox_repo

# Municipalities of the demo county who answer on the node themselves (not in Lägesbild).
DEMO_ACTORS = {"1440": "Ale kommun", "1441": "Lerums kommun"}
# How often the demo reads answers from its node (the default, 30 s, is slow to watch).
DEMO_POLL_SECONDS = 5.0


@dataclass
class DemoNode:
    host: str
    port: int
    system_token: str
    actor_tokens: dict[str, str]  # organisation code → the node token it answers with
    app: web.Application = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://{self.host}:{self.port}"

    @property
    def store(self) -> Store:
        return store_of(self.app)

    def settings_for(self, settings: Settings) -> Settings:
        """`settings` pointed at this node, reading its answers every few seconds."""
        return settings.replace(
            wis_url=self.url,
            wis_token=self.system_token,
            wis_poll_seconds=min(settings.wis_poll_seconds, DEMO_POLL_SECONDS),
        )

    def add_to(self, app: web.Application) -> None:
        """Serve the node with `app`: started before its WIS context, stopped after it."""
        contexts = list(app.cleanup_ctx)
        position = contexts.index(wis_ctx) if wis_ctx in contexts else len(contexts)
        app.cleanup_ctx.insert(position, self._ctx)

    async def _ctx(self, app: web.Application) -> AsyncIterator[None]:
        async with app[keys.pool].acquire() as conn:
            await outbox_repo.resend_delivered(conn, DESTINATION, now=app[keys.clock].now())
        runner = web.AppRunner(self.app, access_log=None)
        await runner.setup()
        await web.TCPSite(runner, self.host, self.port).start()
        try:
            yield
        finally:
            await runner.cleanup()

    def write_tokens(self, data_dir: Path) -> Path:
        """The node's actor tokens, for a person who wants to answer on the node."""
        path = data_dir / "demo-wis-tokens.txt"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(
            "# The demo WIS node's actor tokens (this run only): CODE=TOKEN\n"
            + "".join(f"{code}={token}\n" for code, token in self.actor_tokens.items()),
            encoding="utf-8",
        )
        path.chmod(0o600)
        return path


def demo_node(*, host: str = "127.0.0.1", port: int | None = None) -> DemoNode:
    """A fresh mock node on a free local port (or `port`), not serving until the app starts."""
    system_token = secrets.token_urlsafe(24)
    actor_tokens = {code: secrets.token_urlsafe(24) for code in DEMO_ACTORS}
    tokens = {system_token: Actor("lagesbild", "Lägesbild", system=True)}
    tokens.update({token: Actor(code, DEMO_ACTORS[code]) for code, token in actor_tokens.items()})
    return DemoNode(
        host=host,
        port=port or free_port(host),
        system_token=system_token,
        actor_tokens=actor_tokens,
        app=create_mock_app(tokens),
    )
