"""``cp .env.example .env`` works as is: an empty value is no value, so the default applies."""

from __future__ import annotations

import importlib
import shutil
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[3]
SETTINGS = [
    "planwatch_ingest.settings",
    "planwatch_evaluator.settings",
    "planwatch_alerts.settings",
    "planwatch_board.settings",
]


@pytest.fixture
def env_example_as_dotenv(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A working folder whose .env is .env.example copied as is, with no PLANWATCH_ variable
    set in the environment (so only the file speaks)."""
    import os

    for name in list(os.environ):
        if name.startswith("PLANWATCH_"):
            monkeypatch.delenv(name)
    shutil.copy(ROOT / ".env.example", tmp_path / ".env")
    monkeypatch.chdir(tmp_path)
    return tmp_path


def test_the_empty_values_of_env_example_leave_the_defaults(env_example_as_dotenv: Path) -> None:
    from planwatch.settings import CommonSettings

    common = CommonSettings()
    assert common.catalog_dir is None
    assert common.keys_db_url is None
    assert common.demo_key is None
    # the shipped catalog, not an empty folder named ""
    assert len(common.catalog()) > 0


def _empty_in_env_example(prefix: str) -> set[str]:
    names = set()
    for line in (ROOT / ".env.example").read_text(encoding="utf-8").splitlines():
        name, sep, value = line.partition("=")
        if sep and not line.startswith("#") and not value.strip() and name.startswith(prefix):
            names.add(name[len(prefix) :].lower())
    return names


@pytest.mark.parametrize("module", SETTINGS)
def test_every_service_settings_class_reads_env_example(
    module: str, env_example_as_dotenv: Path
) -> None:
    cls = importlib.import_module(module).Settings
    settings = cls()
    prefix = cls.model_config["env_prefix"]
    empty = _empty_in_env_example(prefix) & set(cls.model_fields)
    for name in empty:
        default = cls.model_fields[name].get_default(call_default_factory=True)
        assert getattr(settings, name) == default, f"{prefix}{name.upper()}= is not the default"
    assert settings.common.catalog_dir is None


def test_the_evaluator_replay_date_is_optional_when_empty(env_example_as_dotenv: Path) -> None:
    from planwatch_evaluator.settings import Settings

    # OVERDUE_AS_OF= was read as a date and failed validation
    assert "overdue_as_of" in _empty_in_env_example("PLANWATCH_EVALUATOR_")
    assert Settings().overdue_as_of is None


def test_a_bad_value_is_still_refused_by_name(
    env_example_as_dotenv: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from pydantic import ValidationError

    from planwatch_ingest.settings import Settings

    monkeypatch.setenv("PLANWATCH_INGEST_PORT", "not-a-port")
    with pytest.raises(ValidationError, match="port"):
        Settings()
