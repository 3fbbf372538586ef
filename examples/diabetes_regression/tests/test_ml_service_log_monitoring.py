"""The scheduled log monitor of the targets Azure ML cannot monitor (docs/monitoring.md): the
pipeline that runs the ML package's monitor over a target's collected logs, as `make aml-dry-run`
writes it. Reads the core and monitoring variables only: that each such target is log-monitored and
mounts the share is in its own tests (tests/test_ml_service_<target>.py)."""

from __future__ import annotations

import shlex
import subprocess
import sys
from importlib import import_module, reload
from pathlib import Path

import numpy as np
import pytest
from azure.ai.ml.entities._load_functions import load_schedule  # the schedule loader; not exported by azure.ai.ml

from ml_service.data import data_reference
from ml_service.deploy import collected_logs
from ml_service.dry_run import write_entities
from ml_service.monitoring import MONITOR_CRON, contract, log_monitor_entities
from ml_service.settings import PROJECT_ROOT
from ml_service.testing import example_settings

TARGET = "example"  # the pipeline depends on its target only through the collected folder's name
SETTINGS = example_settings("monitoring")


@pytest.fixture(scope="module")
def schedule_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    output = tmp_path_factory.mktemp("build") / "aml"
    write_entities(output, log_monitor_entities(SETTINGS, TARGET))
    return output / "schedules" / f"{TARGET}-monitor.yml"


def test_the_collected_logs_are_monitored_daily_against_the_training_data(schedule_file: Path) -> None:
    schedule = load_schedule(schedule_file)  # loads the job file too
    assert schedule.trigger.expression == MONITOR_CRON
    pipeline = schedule.create_job
    assert list(pipeline.jobs) == ["monitor"]
    assert pipeline.inputs["log"].path == collected_logs.datastore_uri(TARGET)
    training = data_reference(SETTINGS.dataset_name, SETTINGS.dataset_version)
    assert pipeline.inputs["reference_data"].path == training.removeprefix("azureml:")  # the loader drops it


def test_the_step_command_monitors_a_folder_of_collected_logs(schedule_file: Path, tmp_path: Path) -> None:
    """The step's command, run here with its inputs bound: a breach (shifted rows) exits 1, which
    fails the scheduled job; the training data's own rows breach nothing."""
    score = import_module(f"{SETTINGS.sources_dir_train}.scoring.score")
    pipeline = load_schedule(schedule_file).create_job
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


def test_each_host_collects_into_its_own_file(monkeypatch: pytest.MonkeyPatch) -> None:
    """On a share several instances write at once: {host} in the path keeps their lines apart."""
    import socket

    monkeypatch.setenv("SCORING_COLLECT_LOG", "/mnt/collected/monitoring/x/{host}.jsonl")
    score = import_module(f"{SETTINGS.sources_dir_train}.scoring.score")
    try:
        score = reload(score)
        collected = score.COLLECT_LOG
        assert collected == f"/mnt/collected/monitoring/x/{socket.gethostname()}.jsonl"
    finally:
        monkeypatch.delenv("SCORING_COLLECT_LOG")
        reload(score)
