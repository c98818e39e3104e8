"""The settings tests run with: validated like the service's, untouched by the shell."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import ValidationError

from service.config import Settings
from tests.adapters.edxl_support import REPO_ROOT, standards_dir
from tests.command import child_environment
from tests.settings import settings_from, suite_settings, with_changes


def test_an_invalid_override_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ValidationError, match="stream_queue_size"):
        suite_settings(tmp_path, stream_queue_size=-1)


def test_an_invalid_change_to_the_suites_settings_is_refused(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="stream_queue_size"):
        with_changes(settings, stream_queue_size=0)
    with pytest.raises(ValidationError, match="DATABASE_URL must start with postgresql"):
        with_changes(settings, database_url="mysql://elsewhere/db")


def test_a_misspelt_setting_is_refused_not_ignored(settings: Settings) -> None:
    with pytest.raises(ValidationError, match="stream_queue_sise"):
        with_changes(settings, stream_queue_sise=8)


def test_a_change_keeps_every_other_setting(settings: Settings) -> None:
    small = with_changes(settings, stream_queue_size=8)
    assert small.model_dump() == {**settings.model_dump(), "stream_queue_size": 8}


def test_the_developers_environment_does_not_reach_test_settings(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("LAGESBILD_STREAM_QUEUE_SIZE", "7")
    monkeypatch.setenv("lagesbild_wis_url", "http://node.example")
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    read = Settings()  # what the service itself would run with in this shell
    assert (read.stream_queue_size, read.wis_url) == (7, "http://node.example")
    assert read.database_url == "postgresql://elsewhere/db"

    suite = suite_settings(tmp_path)
    assert (suite.stream_queue_size, suite.wis_url, suite.database_url) == (64, None, None)
    changed = with_changes(suite, stream_heartbeat_seconds=1)
    assert (changed.stream_queue_size, changed.wis_url, changed.database_url) == (64, None, None)
    defaults = settings_from()
    assert (defaults.stream_queue_size, defaults.wis_url, defaults.database_url) == (
        1024,
        None,
        None,
    )


def test_a_child_process_gets_none_of_the_developers_settings(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("LAGESBILD_PORT", "1")
    monkeypatch.setenv("lagesbild_wis_url", "http://node.example")
    monkeypatch.setenv("DATABASE_URL", "postgresql://elsewhere/db")
    env = child_environment(LAGESBILD_LOG_LEVEL="warning")
    assert env["LAGESBILD_LOG_LEVEL"] == "warning"
    assert {"LAGESBILD_PORT", "lagesbild_wis_url", "DATABASE_URL"}.isdisjoint(env)
    assert env["PYTHONPATH"]


def test_the_standards_folder_is_found_from_the_repository_not_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    assert standards_dir({}) == (REPO_ROOT.parent / "shared" / "standards").resolve()
    relative = {"LAGESBILD_STANDARDS_DIR": "oasis/schemas"}
    assert standards_dir(relative) == REPO_ROOT / "oasis" / "schemas"
    assert standards_dir({"LAGESBILD_STANDARDS_DIR": str(tmp_path)}) == tmp_path
