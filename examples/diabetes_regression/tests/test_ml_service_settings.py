"""Settings of ml_service: read on demand, one clear line for anything missing."""

from __future__ import annotations

import runpy
import sys
import warnings
from pathlib import Path

import pytest

from ml_service.settings import (
    EXAMPLE_VALUES,
    TEMPLATE_DEFAULTS,
    MissingSettingError,
    load_settings,
    read_dotenv,
)

# Only the variables every project has: these tests read none of the options' data.
CORE_VALUES = EXAMPLE_VALUES.core()
CORE_DEFAULTS = TEMPLATE_DEFAULTS.core()


def complete_environment() -> dict[str, str]:
    return {name: value or f"<{name}>" for name, value in CORE_VALUES.items()}


def test_settings_come_from_the_environment(tmp_path: Path) -> None:
    environ = {**complete_environment(), "AML_CLUSTER_MAX_NODES": "7", "RUN_EVALUATION": "false"}
    settings = load_settings(environ=environ, dotenv=tmp_path / "missing.env")
    assert settings.workspace_name == CORE_VALUES["WORKSPACE_NAME"]
    assert settings.aml_cluster_max_nodes == 7
    assert settings.run_evaluation is False


def test_dotenv_fills_in_what_the_environment_lacks(tmp_path: Path) -> None:
    environ = complete_environment()
    del environ["WORKSPACE_NAME"]
    dotenv = tmp_path / ".env"
    dotenv.write_text("# comment\nexport WORKSPACE_NAME='from-dotenv'\n", encoding="utf-8")
    assert read_dotenv(dotenv) == {"WORKSPACE_NAME": "from-dotenv"}
    assert load_settings(environ=environ, dotenv=dotenv).workspace_name == "from-dotenv"


def test_template_defaults_need_no_environment(tmp_path: Path) -> None:
    group_only = {name: value for name, value in complete_environment().items() if name not in CORE_DEFAULTS}
    settings = load_settings(environ=group_only, dotenv=tmp_path / "missing.env")
    assert settings.aml_compute_cluster_name == CORE_DEFAULTS["AML_COMPUTE_CLUSTER_NAME"]
    assert settings.model_name == CORE_DEFAULTS["MODEL_NAME"]


def test_a_missing_variable_is_named_in_one_line(tmp_path: Path) -> None:
    environ = complete_environment()
    del environ["WORKSPACE_NAME"]
    with pytest.raises(MissingSettingError) as raised:
        load_settings(environ=environ, dotenv=tmp_path / "missing.env")
    message = str(raised.value)
    assert "\n" not in message
    assert "WORKSPACE_NAME" in message
    assert "RESOURCE_GROUP" not in message


def test_a_bad_number_is_named(tmp_path: Path) -> None:
    environ = {**complete_environment(), "AML_CLUSTER_MAX_NODES": "four"}
    with pytest.raises(MissingSettingError, match="AML_CLUSTER_MAX_NODES must be a whole number"):
        load_settings(environ=environ, dotenv=tmp_path / "missing.env")


def test_an_entry_point_without_settings_prints_one_line_and_exits_2(tmp_path: Path, monkeypatch, capsys) -> None:
    for key in CORE_VALUES:
        monkeypatch.delenv(key, raising=False)
    monkeypatch.setenv("ML_SERVICE_DOTENV", str(tmp_path / "missing.env"))
    monkeypatch.setattr(sys, "argv", ["run_training", "--build-id", "1", "--build-uri", "x"])
    with pytest.raises(SystemExit) as exited, warnings.catch_warnings():  # any other exception: a traceback
        warnings.simplefilter("ignore", RuntimeWarning)  # runpy: the module was imported before, by other tests
        runpy.run_module("ml_service.pipelines.run_training", run_name="__main__", alter_sys=True)
    assert exited.value.code == 2
    stderr = capsys.readouterr().err
    lines = [line for line in stderr.splitlines() if line.startswith("error:")]
    assert len(lines) == 1, stderr
    assert "WORKSPACE_NAME" in lines[0]
