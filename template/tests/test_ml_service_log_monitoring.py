"""ACI and App Service, which Azure ML cannot monitor: the scheduled pipeline that runs the ML
package's monitor over their collected logs (docs/monitoring.md), as `make aml-dry-run` writes it."""

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
from ml_service.deploy.endpoints import targets
from ml_service.deploy.model import RegisteredModel
from ml_service.dry_run import write_dry_run
from ml_service.monitoring import MONITOR_CRON, contract, log_monitored
from ml_service.settings import EXAMPLE_VALUES, PROJECT_ROOT, load_settings

TARGETS = log_monitored(targets())
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
    assert pipeline.inputs["log"].path == collected_logs.datastore_uri(target)
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


def deployed_template(target: str, monkeypatch: pytest.MonkeyPatch) -> tuple[list[str], dict]:
    """Deploy `target` against the fakes: (the az deployment command, its template)."""
    from ml_service.testing import FakeMLClient, RecordingRunner

    module = import_module(f"ml_service.deploy.{target}")
    runner, model = RecordingRunner(), RegisteredModel(SETTINGS.model_name, "7")
    if target == "aci":
        monkeypatch.setattr(module, "az_output", lambda command: "10.20.1.4")  # the group's private IP
        module.deploy_model(FakeMLClient(), SETTINGS, model, runner, module.az_output)
    else:
        module.deploy_model(FakeMLClient(), SETTINGS, model, runner)
    (deploy,) = [command for command in runner.commands if command[:3] == ["az", "deployment", "group"]]
    (template,) = runner.templates
    return deploy, template


@pytest.mark.parametrize("target", TARGETS)
def test_the_container_collects_into_the_workspace_file_share(target: str, monkeypatch: pytest.MonkeyPatch) -> None:
    """SCORING_COLLECT_LOG points into the share mounted at MOUNT, named by the workspace's file
    datastore at deploy time; the folder is the one the scheduled monitor reads."""
    deploy, template = deployed_template(target, monkeypatch)
    parameters = deploy[deploy.index("--parameters") + 1 :]
    assert parameters == [
        f"{collected_logs.ACCOUNT}=workspacestorage",
        f"{collected_logs.SHARE}=azureml-filestore-0000",
    ]  # FakeMLClient's workspacefilestore
    assert set(template["parameters"]) == {collected_logs.ACCOUNT, collected_logs.SHARE}
    log = collected_logs.log_path(target)
    assert log.startswith(f"{collected_logs.MOUNT}/{collected_logs.folder(target)}/")
    assert collected_logs.datastore_uri(target).endswith(f"/paths/{collected_logs.folder(target)}/")
    if target == "aci":
        (group,) = template["resources"]
        (container,) = group["properties"]["containers"]
        assert {"name": "SCORING_COLLECT_LOG", "value": log} in container["properties"]["environmentVariables"]
        (mount,) = container["properties"]["volumeMounts"]
        (volume,) = group["properties"]["volumes"]
        assert (mount["name"], mount["mountPath"]) == (volume["name"], collected_logs.MOUNT)
        share = volume["azureFile"]
    else:
        site_config = template["resources"][0]["properties"]["siteConfig"]
        assert {"name": "SCORING_COLLECT_LOG", "value": log} in site_config["appSettings"]
        (share,) = site_config["azureStorageAccounts"].values()
        assert (share["type"], share["mountPath"]) == ("AzureFiles", collected_logs.MOUNT)
    values = " ".join(str(value) for value in share.values())
    assert f"parameters('{collected_logs.SHARE}')" in values
    assert f"parameters('{collected_logs.ACCOUNT}')" in values
    assert "listKeys(" in values  # the key stays in ARM, never in the pipeline


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
