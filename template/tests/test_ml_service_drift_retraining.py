"""The drift-retraining pipeline (docs/monitoring.md): monitor -> train -> evaluate -> register, as
`make aml-dry-run` writes it, and what its steps do when run here with their inputs bound. Reads the
core and monitoring variables only: where each target's inputs are collected is tested with the target."""

from __future__ import annotations

import importlib
import re
import shlex
from pathlib import Path

import numpy as np
import pytest
from azure.ai.ml.entities._load_functions import load_schedule  # the schedule loader; not exported by azure.ai.ml

from ml_service.dry_run import write_entities
from ml_service.monitoring import (
    DRIFT_RETRAINING_CRON,
    contract,
    drift_monitoring_entities,
    drift_retraining_entities,
)
from ml_service.settings import PROJECT_ROOT
from ml_service.testing import example_settings

TARGET = "example"  # the pipeline depends on its target only through its name and the collected folder
COLLECTED = "azureml://datastores/workspaceblobstore/paths/collected/example/"
SETTINGS = example_settings("monitoring")
REFERENCE = PROJECT_ROOT / "data" / "diabetes.csv"


@pytest.fixture(scope="module")
def pipeline(tmp_path_factory: pytest.TempPathFactory):
    """The pipeline as the schedule's YAML loads it (the loader reads the job file too)."""
    output = tmp_path_factory.mktemp("build") / "aml"
    write_entities(output, drift_retraining_entities(SETTINGS, TARGET, COLLECTED))
    loaded = load_schedule(output / "schedules" / f"{TARGET}-drift-retraining.yml")
    assert loaded.trigger.expression == DRIFT_RETRAINING_CRON
    return loaded.create_job


def test_the_monitor_gates_training_and_the_evaluate_gate_registration(pipeline) -> None:
    document = pipeline._to_dict()
    jobs = document["jobs"]
    assert list(jobs) == ["monitor", "train", "evaluate", "register"]
    assert document["inputs"]["log"]["path"] == COLLECTED
    assert jobs["train"]["inputs"]["drift_input"]["path"] == "${{parent.jobs.monitor.outputs.breach}}"
    assert jobs["register"]["inputs"]["decision_input"]["path"] == "${{parent.jobs.evaluate.outputs.decision}}"
    assert jobs["train"]["environment_variables"]["RUN_EVALUATION"] == "true"  # unattended: always compared


def bind(command: str, values: dict[str, Path | str]) -> list[str]:
    """The step's command with its inputs and outputs bound as Azure ML binds them; an optional
    $[[...]] part stays only when everything in it is bound."""

    def value(match: re.Match) -> str:
        name = match.group(1)
        return str(values[name]) if name in values else match.group(0)

    bound = re.sub(r"\$\{\{(?:inputs|outputs)\.(\w+)\}\}", value, command)
    bound = re.sub(r"\$\[\[(.*?)\]\]", lambda m: "" if "${{" in m.group(1) else m.group(1), bound)
    return shlex.split(bound)


def run_step(pipeline, step: str, values: dict[str, Path | str], monkeypatch: pytest.MonkeyPatch) -> None:
    """Run one step's command in this process (python -m MODULE ARGS), with its environment variables."""
    job = pipeline.jobs[step]
    for name, setting in (job.environment_variables or {}).items():
        monkeypatch.setenv(name, str(setting))
    argv = bind(job.component.command, values)
    assert argv[:2] == ["python", "-m"], argv
    assert importlib.import_module(argv[2]).main(argv[3:]) == 0


@pytest.mark.parametrize("shifted", [False, True], ids=["no-drift", "drift"])
def test_a_breach_retrains_and_registers_through_the_gate_and_no_breach_trains_nothing(
    pipeline, shifted: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from mlflow.tracking import MlflowClient

    score = importlib.import_module(f"{SETTINGS.sources_dir_train}.scoring.score")
    monkeypatch.setenv("MLFLOW_TRACKING_URI", f"sqlite:///{tmp_path / 'mlruns.db'}")
    monkeypatch.chdir(PROJECT_ROOT)  # the steps run from the uploaded code's root, as in Azure ML
    training = np.loadtxt(REFERENCE, delimiter=",", skiprows=1)[:, : len(contract(SETTINGS).FEATURES)]
    rows = training[::2] * 10 + 100 if shifted else training[::2]
    collected = tmp_path / "collected" / "2026" / "01" / "01" / "00"
    collected.mkdir(parents=True)
    score.collect(collected / "part.jsonl", rows, np.zeros(len(rows)))
    folders = {name: tmp_path / name for name in ("report", "breach", "model", "metrics", "decision", "registration")}
    declared = pipeline._to_dict()["inputs"]
    parameters = {name: declared[name] for name in ("model_name", "build_id", "build_uri", "experiment_name")}

    run_step(pipeline, "monitor", {"log": tmp_path / "collected", "reference": REFERENCE, **folders}, monkeypatch)
    run_step(pipeline, "train", {"data": REFERENCE, "drift_input": folders["breach"], **folders}, monkeypatch)
    inputs = {"model_input": folders["model"], "metrics_input": folders["metrics"], **parameters}
    run_step(pipeline, "evaluate", {**inputs, **folders}, monkeypatch)
    run_step(pipeline, "register", {**inputs, "decision_input": folders["decision"], **folders}, monkeypatch)

    assert (folders["report"] / "report.html").is_file()
    assert (folders["model"] / "MLmodel").is_file() is shifted  # trained only on a breach
    versions = MlflowClient().search_model_versions(f"name='{parameters['model_name']}'")
    assert len(versions) == (1 if shifted else 0)
    if shifted:  # a scheduled build id is made unique per run, so the next breach registers again
        assert versions[0].tags["BuildId"].startswith(f"{parameters['build_id']}-")


@pytest.mark.parametrize("shifted", [False, True], ids=["no-drift", "drift"])
def test_the_drift_monitor_of_a_workspace_that_must_not_train_fails_on_a_breach_and_trains_nothing(
    shifted: bool, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """`--scope monitors` (production with environments): the monitor alone, whose failure is the alert."""
    write_entities(tmp_path / "aml", drift_monitoring_entities(SETTINGS, TARGET, COLLECTED))
    loaded = load_schedule(tmp_path / "aml" / "schedules" / f"{TARGET}-drift-monitoring.yml")
    assert loaded.trigger.expression == DRIFT_RETRAINING_CRON
    assert list(loaded.create_job.jobs) == ["monitor"]
    score = importlib.import_module(f"{SETTINGS.sources_dir_train}.scoring.score")
    training = np.loadtxt(REFERENCE, delimiter=",", skiprows=1)[:, : len(contract(SETTINGS).FEATURES)]
    rows = training[::2] * 10 + 100 if shifted else training[::2]
    collected = tmp_path / "collected" / "2026" / "01" / "01" / "00"
    collected.mkdir(parents=True)
    score.collect(collected / "part.jsonl", rows, np.zeros(len(rows)))
    monkeypatch.chdir(PROJECT_ROOT)
    job = loaded.create_job.jobs["monitor"]
    report = tmp_path / "report"
    argv = bind(job.component.command, {"log": tmp_path / "collected", "reference": REFERENCE, "report": report})
    assert importlib.import_module(argv[2]).main(argv[3:]) == (1 if shifted else 0)
    assert (report / "report.html").is_file()
