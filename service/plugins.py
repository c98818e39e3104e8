"""The seam exchange adapters plug into.

The core never imports an adapter. Each adapter is a package that exposes one object
satisfying `Adapter`, listed as an entry point of the group `lagesbild.adapters` in
`pyproject.toml`:

    [project.entry-points."lagesbild.adapters"]
    edxl = "adapters.edxl.plugin:adapter"

`create_app` and the `lagesbild` command read that list (`installed_adapters`), so a new
exchange format or channel is one new package and one line there; nothing under
`service/` changes. What an adapter may add, and when:

- `export_formats()`: formats for `GET /api/v1/incidents/{id}/export?format=…` and
  `lagesbild export`, besides the core's `json`, `csv` and `html`;
- `setup(app)`: routes, and cleanup contexts for its background tasks and outbox
  channels. `create_app` calls it after the core's contexts (database, stream hub,
  rounds) and before the outbox's, so an adapter's context starts once the database
  and the hub are up, and closes only after the outbox worker has stopped (no delivery
  is under way on a client it closes);
- `summary_formats()` (optional): formats of a published summary for
  `GET /api/v1/incidents/{id}/summaries/{n}?format=…`, besides the core's `json` and
  `html` (an adapter without the method adds none);
- `add_cli(commands)` / `run_cli(args, cli)`: subcommands of `lagesbild`;
- `demo(settings, data_dir)`: what `lagesbild demo` starts beside the service (a mock
  peer, say), or None.
"""

from __future__ import annotations

import argparse
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from importlib.metadata import entry_points
from pathlib import Path
from typing import TYPE_CHECKING, Protocol, runtime_checkable

from aiohttp import web

from service.config import Settings
from service.export.registry import ExportFormat, ExportFormats, core_formats
from service.export.summary import SummaryFormat, core_summary_formats

if TYPE_CHECKING:
    Commands = argparse._SubParsersAction[argparse.ArgumentParser]

GROUP = "lagesbild.adapters"


@dataclass(frozen=True)
class CliContext:
    """What a subcommand gets besides its arguments: the settings, and the database (the
    embedded one is started only when a command asks for it)."""

    settings: Settings
    dsn: Callable[[], str]


@dataclass
class DemoPart:
    """What an adapter adds to `lagesbild demo`: settings pointing at it, lines for the
    person at the terminal, and a hook that adds it to the app before it starts."""

    settings: Settings
    lines: list[str] = field(default_factory=list)
    attach: Callable[[web.Application], None] | None = None


@runtime_checkable
class Adapter(Protocol):
    name: str

    def export_formats(self) -> Iterable[ExportFormat]: ...

    def setup(self, app: web.Application) -> None: ...

    def add_cli(self, commands: Commands) -> Sequence[str]:
        """Add subcommands; returns their names (the ones `run_cli` answers)."""
        ...

    def run_cli(self, args: argparse.Namespace, cli: CliContext) -> int: ...

    def demo(self, settings: Settings, data_dir: Path) -> DemoPart | None: ...


class AdapterError(Exception):
    """An installed adapter that cannot be loaded: the service refuses to start without it."""


def export_formats_of(adapters: Iterable[Adapter]) -> ExportFormats:
    """The core's export formats and every adapter's, by name (a clash is an error)."""
    from service.export.registry import ExportFormats

    known = ExportFormats(core_formats())
    for adapter in adapters:
        for export_format in adapter.export_formats():
            known.register(export_format)
    return known


def summary_formats_of(adapters: Iterable[Adapter]) -> dict[str, SummaryFormat]:
    """The core's summary formats and those of every adapter with `summary_formats()`."""
    known = {found.name: found for found in core_summary_formats()}
    for adapter in adapters:
        offered: Callable[[], Iterable[SummaryFormat]] | None = getattr(
            adapter, "summary_formats", None
        )
        for found in offered() if offered is not None else ():
            if found.name in known:
                raise ValueError(f"summary format {found.name!r} is registered already")
            known[found.name] = found
    return known


def installed_adapters() -> list[Adapter]:
    """Every adapter installed with Lägesbild, by name (a stable order for start-up)."""
    found: list[Adapter] = []
    for point in sorted(entry_points(group=GROUP), key=lambda point: point.name):
        try:
            adapter = point.load()
        except Exception as exc:
            raise AdapterError(f"adapter {point.name!r} ({point.value}) cannot be loaded") from exc
        if not isinstance(adapter, Adapter):
            raise AdapterError(f"adapter {point.name!r} ({point.value}) is not an Adapter")
        found.append(adapter)
    names = [adapter.name for adapter in found]
    if len(set(names)) != len(names):
        raise AdapterError(f"two adapters share a name: {names}")
    return found
