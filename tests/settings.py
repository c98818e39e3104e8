"""Settings for tests and benchmarks: validated like the service's, never read from the environment.

`Settings` reads `LAGESBILD_*` and `DATABASE_URL` for every field not given. Here only the
values given count, so a developer's shell cannot change what a test runs with, and every
value is validated: a negative queue size or a misspelt name raises `ValidationError`
(`model_copy(update=…)` would take both without a word).

- `suite_settings(data_dir)` is what the `settings` fixture gives every test: small limits,
  quiet logs, the rounds scheduler left to the tests.
- `with_changes(settings, **changes)` is a fixture's or a test's variation of those.
- `settings_from(**values)` is the service's defaults with these values (the benchmarks).
- `is_settings_variable(name)` says which variables a child process must not inherit.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from pydantic_settings import BaseSettings, PydanticBaseSettingsSource, SettingsConfigDict

from service.config import Settings

# The suite's limits: small enough that tests reach them, with time moved by the FixedClock.
SUITE: dict[str, Any] = {
    "log_format": "console",
    "log_level": "warning",
    "max_body_bytes": 64 * 1024,
    "stream_queue_size": 64,
    "stream_heartbeat_seconds": 5,
    "stream_send_timeout_seconds": 2,
    "stream_replay_limit": 50,
    "shutdown_timeout_seconds": 2,
    "db_pool_min": 1,
    "db_pool_max": 10,
    # Tests run the rounds job themselves (`app[keys.rounds_job].run_due(now)`).
    "rounds_timer": False,
    "rounds_tick_seconds": 3600,
    # Tests send many requests with one token at one (fixed) moment; the rate limit's own
    # tests (tests/api/test_rate_limits.py) set theirs.
    "api_rate_burst": 1_000_000,
    # So do reports per organisation (tests/exchange/test_caps.py sets its own).
    "report_rate_burst": 1_000_000,
    # One worker process parses foreign XML (shared by every app of the test process).
    "cpu_workers": 1,
}


class _GivenSettings(Settings):
    """`Settings` from the values given alone: no environment, and unknown names refused."""

    model_config = SettingsConfigDict(extra="forbid")

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        return (init_settings,)


def settings_from(**values: Any) -> Settings:
    """The service's defaults with `values`, validated; the environment is not read."""
    return _GivenSettings(**values)


def suite_settings(data_dir: Path, **overrides: Any) -> Settings:
    """The suite's settings (`SUITE`), writing under `data_dir`, with any field replaced."""
    return settings_from(**{**SUITE, "data_dir": data_dir, **overrides})


def with_changes(settings: Settings, **changes: Any) -> Settings:
    """`settings` with some fields changed, validated again as a whole."""
    return settings_from(**{**settings.model_dump(), **changes})


def is_settings_variable(name: str) -> bool:
    """Whether `Settings` could read the environment variable `name` (`LAGESBILD_*` and
    `DATABASE_URL`, in any case): a child process the tests start must not inherit it."""
    upper = name.upper()
    return upper.startswith("LAGESBILD_") or upper == "DATABASE_URL"
