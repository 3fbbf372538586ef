"""The batch-scoring pipeline: parallel scoring, then the copy-output step; and its submit path."""

from __future__ import annotations

from pathlib import Path

import pytest
from azure.ai.ml.entities import PipelineJob

from ml_service.pipelines import run_batch_scoring
from ml_service.pipelines.batch_scoring import OUTPUT_DATASTORE, build_batch_scoring_pipeline
from ml_service.settings import EXAMPLE_VALUES, Settings, load_settings
from ml_service.testing import FakeMLClient

NO_DOTENV = Path("/nonexistent/.env")


def environment(**overrides: str) -> dict[str, str]:
    return {**{name: value or f"<{name}>" for name, value in EXAMPLE_VALUES.items()}, **overrides}


def settings(**overrides: str) -> Settings:
    return load_settings(environ=environment(**overrides), dotenv=NO_DOTENV)


def test_parallel_step_then_copy_output() -> None:
    chosen = settings(AML_CLUSTER_MAX_NODES_SCORING="6", AML_COMPUTE_CLUSTER_NAME_SCORING="batch-cluster")
    document = build_batch_scoring_pipeline(chosen, "5")._to_dict()
    jobs = document["jobs"]
    assert list(jobs) == ["score", "copy_output"]
    score = jobs["score"]
    assert score["type"] == "parallel"
    assert score["resources"]["instance_count"] == 6
    assert score["mini_batch_size"] == "1"
    assert score["error_threshold"] >= 0
    assert score["input_data"] == "${{inputs.scoring_data}}"
    assert score["task"]["append_row_to"] == "${{outputs.scores}}"
    assert score["task"]["entry_script"] == f"{chosen.sources_dir_train}/scoring/batch_score.py"
    assert jobs["copy_output"]["inputs"]["scores"]["path"] == "${{parent.jobs.score.outputs.scores}}"
    assert jobs["copy_output"]["outputs"]["destination"]["path"] == f"azureml://datastores/{OUTPUT_DATASTORE}/paths/"
    assert document["compute"] == "azureml:batch-cluster"
    assert document["inputs"]["model"]["path"] == f"azureml:{chosen.model_name}:5"


@pytest.fixture
def configured(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in environment().items():
        monkeypatch.setenv(name, value)
    monkeypatch.setenv("ML_SERVICE_DOTENV", str(NO_DOTENV))


@pytest.mark.usefixtures("configured")
def test_run_batch_scoring_submits_exactly_the_built_pipeline() -> None:
    client = FakeMLClient()
    assert run_batch_scoring.main(["--model-version", "5"], client) == 0
    (submitted,) = client.jobs.created
    assert isinstance(submitted, PipelineJob)
    assert submitted._to_dict() == build_batch_scoring_pipeline(load_settings(), "5")._to_dict()
    assert [store.name for store in client.datastores.created] == ["scoring_input", "scoring_output"]
    assert [compute.name for compute in client.compute.created] == [EXAMPLE_VALUES["AML_COMPUTE_CLUSTER_NAME_SCORING"]]
