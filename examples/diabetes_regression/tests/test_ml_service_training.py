"""The training pipeline: graph, switches, names from the settings, and the submit path."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from azure.ai.ml.entities import PipelineJob

from ml_service.pipelines import run_training
from ml_service.pipelines.training import build_training_pipeline
from ml_service.settings import EXAMPLE_VALUES, Settings, load_settings
from ml_service.testing import FakeMLClient

NO_DOTENV = Path("/nonexistent/.env")
CORE_VALUES = EXAMPLE_VALUES.core()  # training needs no option's variables


def environment(**overrides: str) -> dict[str, str]:
    return {**{name: value or f"<{name}>" for name, value in CORE_VALUES.items()}, **overrides}


def settings(**overrides: str) -> Settings:
    return load_settings(environ=environment(**overrides), dotenv=NO_DOTENV)


def graph(job: PipelineJob) -> dict:
    return job._to_dict()["jobs"]


def test_steps_run_train_evaluate_register_in_order() -> None:
    jobs = graph(build_training_pipeline(settings(), "42", "https://ci/42"))
    assert list(jobs) == ["train", "evaluate", "register"]
    assert jobs["evaluate"]["inputs"]["model_input"]["path"] == "${{parent.jobs.train.outputs.model}}"
    assert jobs["evaluate"]["inputs"]["metrics_input"]["path"] == "${{parent.jobs.train.outputs.metrics}}"
    register = jobs["register"]["inputs"]
    assert register["model_input"]["path"] == "${{parent.jobs.train.outputs.model}}"
    assert register["metrics_input"]["path"] == "${{parent.jobs.train.outputs.metrics}}"
    assert register["decision_input"]["path"] == "${{parent.jobs.evaluate.outputs.decision}}"
    assert register["build_id"]["path"] == "${{parent.inputs.build_id}}"
    assert jobs["register"]["outputs"]["registration"] == "${{parent.outputs.registration}}"


def test_run_evaluation_false_registers_straight_after_training() -> None:
    job = build_training_pipeline(settings(RUN_EVALUATION="false"), "42", "https://ci/42")
    jobs = graph(job)
    assert list(jobs) == ["train", "register"]
    assert "decision_input" not in jobs["register"]["inputs"]
    assert jobs["register"]["inputs"]["model_input"]["path"] == "${{parent.jobs.train.outputs.model}}"
    assert "$[[--decision-input" in jobs["register"]["component"]["command"]


def test_compute_environment_and_data_come_from_the_settings() -> None:
    chosen = settings(AML_COMPUTE_CLUSTER_NAME="gpu-cluster", AML_ENV_NAME="custom_env", DATASET_VERSION="3")
    job = build_training_pipeline(chosen, "42", "https://ci/42")
    document = job._to_dict()
    assert document["compute"] == "azureml:gpu-cluster"
    assert all(step["environment"].startswith("azureml:custom_env:") for step in document["jobs"].values())
    assert document["inputs"]["data"]["path"] == f"azureml:{chosen.dataset_name}:3"
    assert document["experiment_name"] == chosen.experiment_name
    assert job.tags == {"BuildId": "42", "BuildUri": "https://ci/42"}


def test_steps_call_the_ml_package_step_scripts() -> None:
    chosen = settings()
    jobs = graph(build_training_pipeline(chosen, "42", "https://ci/42"))
    package = chosen.sources_dir_train
    assert jobs["train"]["component"]["command"].startswith(f"python -m {package}.training.train_step ")
    assert jobs["evaluate"]["component"]["command"].startswith(f"python -m {package}.evaluate.evaluate_step ")
    assert jobs["register"]["component"]["command"].startswith(f"python -m {package}.register.register_step ")
    assert jobs["train"]["environment_variables"]["RUN_EVALUATION"] == "true"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ML_SERVICE_DOTENV", str(NO_DOTENV))


@pytest.mark.usefixtures("configured")
def test_run_training_submits_exactly_the_built_pipeline(tmp_path: Path) -> None:
    registration = {"registered": True, "name": CORE_VALUES["MODEL_NAME"], "version": "3", "reason": "better"}
    client = FakeMLClient(registration=registration)
    output = tmp_path / "model.json"
    code = run_training.main(["--build-id", "42", "--build-uri", "https://ci/42", "--output", str(output)], client)
    assert code == 0
    _, (submitted,), kwargs = next(call for call in client.jobs.calls if call[0] == "create_or_update")
    assert isinstance(submitted, PipelineJob)
    assert submitted._to_dict() == build_training_pipeline(load_settings(), "42", "https://ci/42")._to_dict()
    assert kwargs["experiment_name"] == CORE_VALUES["EXPERIMENT_NAME"]
    assert [compute.name for compute in client.compute.created] == [CORE_VALUES["AML_COMPUTE_CLUSTER_NAME"]]
    assert [env.name for env in client.environments.created] == [CORE_VALUES["AML_ENV_NAME"]]
    assert [data.name for data in client.data.created] == [CORE_VALUES["DATASET_NAME"]]
    assert json.loads(output.read_text()) == registration


@pytest.mark.usefixtures("configured")
def test_run_training_says_clearly_when_nothing_was_registered(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    reason = "new mse 3100.0 is not better than production mse 3000.0"
    client = FakeMLClient(registration={"registered": False, "name": "m", "version": None, "reason": reason})
    output = tmp_path / "model.json"
    assert run_training.main(["--build-id", "43", "--build-uri", "u", "--output", str(output)], client) == 0
    assert json.loads(output.read_text()) == {"registered": False}
    assert f"Model was not registered for this run: {reason}" in capsys.readouterr().out


@pytest.mark.usefixtures("configured")
def test_a_pipeline_canceled_by_the_evaluation_registers_nothing(tmp_path: Path, capsys: pytest.CaptureFixture) -> None:
    client = FakeMLClient()
    client.jobs.status = "Canceled"
    output = tmp_path / "model.json"
    assert run_training.main(["--build-id", "44", "--build-uri", "u", "--output", str(output)], client) == 0
    assert json.loads(output.read_text()) == {"registered": False}
    assert "Model was not registered for this run: pipeline" in capsys.readouterr().out
    assert not any(call[0] == "download" for call in client.jobs.calls)
