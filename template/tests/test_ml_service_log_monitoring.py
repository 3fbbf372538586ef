"""ACI and App Service, which Azure ML cannot monitor: the scheduled pipeline that runs the ML
package's monitor over their collected logs (docs/monitoring.md), as `make aml-dry-run` writes it."""

from __future__ import annotations

import shlex
import subprocess
import sys
from importlib import import_module
from pathlib import Path

import numpy as np
import pytest
from azure.ai.ml.entities._load_functions import load_schedule  # the schedule loader; not exported by azure.ai.ml

from ml_service.data import data_reference
from ml_service.deploy.model import RegisteredModel
from ml_service.dry_run import chosen_features, write_dry_run
from ml_service.monitoring import COLLECTED_LOGS, LOG_MONITORED, MONITOR_CRON, contract
from ml_service.settings import EXAMPLE_VALUES, PROJECT_ROOT, load_settings

TARGETS = [target for target in LOG_MONITORED if target in chosen_features()]
SETTINGS = load_settings(
    environ={name: value or f"<{name}>" for name, value in EXAMPLE_VALUES.items()}, dotenv=Path("/nonexistent/.env")
)


@pytest.fixture(scope="module")
def dry_run(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("build") / "aml"
    write_dry_run(output, SETTINGS, RegisteredModel(SETTINGS.model_name, "1"))
    return output


def test_a_target_azure_ml_cannot_monitor_is_chosen() -> None:
    assert TARGETS  # this module exists only then


@pytest.mark.parametrize("target", TARGETS)
def test_the_collected_logs_are_monitored_daily_against_the_training_data(dry_run: Path, target: str) -> None:
    schedule = load_schedule(dry_run / "schedules" / f"{target}-monitor.yml")  # loads the job file too
    assert schedule.trigger.expression == MONITOR_CRON
    pipeline = schedule.create_job
    assert list(pipeline.jobs) == ["monitor"]
    assert pipeline.inputs["log"].path == COLLECTED_LOGS.format(target=target)
    training = data_reference(SETTINGS.dataset_name, SETTINGS.dataset_version)
    assert pipeline.inputs["reference_data"].path == training.removeprefix("azureml:")  # the loader drops it


@pytest.mark.parametrize("target", TARGETS)
def test_the_step_command_monitors_a_folder_of_collected_logs(dry_run: Path, target: str, tmp_path: Path) -> None:
    """The step's command, run here with its inputs bound: a breach (shifted rows) exits 1, which
    fails the scheduled job; the training data's own rows breach nothing."""
    score = import_module(f"{SETTINGS.sources_dir_train}.scoring.score")
    pipeline = load_schedule(dry_run / "schedules" / f"{target}-monitor.yml").create_job
    command = pipeline.jobs["monitor"].component.command
    reference = PROJECT_ROOT / "data" / "diabetes.csv"
    training = np.loadtxt(reference, delimiter=",", skiprows=1)[:, : len(contract(SETTINGS).FEATURES)]
    for name, rows, expected in (("same", training[::2], 0), ("shifted", training[::2] * 10 + 100, 1)):
        log = tmp_path / name / "model_inputs" / "2026" / "01" / "01"
        log.mkdir(parents=True)
        score.collect(log / "part.jsonl", rows, np.zeros(len(rows)), name)
        bound = (
            command.replace("${{inputs.log}}", str(tmp_path / name))
            .replace("${{inputs.reference}}", str(reference))
            .replace("${{outputs.report}}", str(tmp_path / f"{name}-report"))
        )
        argv = shlex.split(bound)
        assert argv[0] == "python"
        result = subprocess.run([sys.executable, *argv[1:]], cwd=PROJECT_ROOT, capture_output=True, text=True)
        assert result.returncode == expected, result.stdout + result.stderr
        assert (tmp_path / f"{name}-report" / "report.html").is_file()
